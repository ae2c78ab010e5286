/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp.h - what sipedge-control's modules share: the daemon, its nodes (one
 * per dataplane), its own counters, and each module's entry points.
 *
 *   cp_loop.c     the event loop (cp_loop.h)
 *   cp_cfg.c      the YAML config (cp_cfg.h)
 *   cp_state.c    the state file: what was pushed, to be pushed again
 *   cp_agent.c    the link to each dataplane's agent socket (docs/agent.md)
 *   cp_push.c     versioned state pushes: prepare, commit, rollback, resync
 *   cp_stats.c    counter snapshots summed, and their rates
 *   cp_sock.c     the control socket server (docs/control.md)
 *   cp_cmds.c     the one table of control commands
 *   cp_metrics.c  Prometheus /metrics (docs/metrics.md)
 *   cp_node.c     nodes, config reload, the log
 *   cp_main.c     start-up, signals
 *   cp_rules.c    rulesets: versions, history, sources kept in state_dir
 *   cp_rules_job.c  parse and compile off the loop, on a thread of their own
 *   cp_rules_push.c rulesets to the dataplanes: two-phase across nodes, resync
 *   cp_rules_cmds.c rules.* commands: list, show, diff, stats
 *   cp_explain.c  explain: a message through the parser and the live ruleset
 *   cp_bans.c     manual bans (in the versioned state) and dynamic ones
 *   cp_history.c  the operator changes to that state, and rolling them back
 *   cp_codec.c    SHA-256 and base64 (the blobs' digests and chunks)
 *   cp_tls.c      the agent link's transport: TLS 1.3 with a pre-shared key
 *
 * Everything runs on the event loop's one thread, but for the body of a
 * rules job (cp_rules_job.c): parsing and compiling a ruleset of 10 000
 * rules takes seconds, and the loop must answer `status` and /metrics
 * meanwhile. A job touches only what it was handed and hands its result
 * back to the loop.
 */
#ifndef SIPEDGE_CP_H
#define SIPEDGE_CP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cp_cfg.h"
#include "cp_loop.h"

#ifndef SIPEDGE_VERSION
#define SIPEDGE_VERSION "unknown"
#endif

#define CTL_LINE_MAX 65536u	    /* a control socket request line, '\n' excluded */
#define CTL_AGENT_LINE_MAX (16u << 20) /* an agent reply line (a snapshot) */

/* Why a control socket request was refused or a client cut off; each is a
 * counter (status, stats, sipedge_control_bad_requests_total{reason}). */
#define CTL_BAD_REASONS(X)                                                                        \
	X(malformed_json, "the line is not valid JSON")                                           \
	X(not_object, "the JSON is not an object")                                                \
	X(bad_id, "id is not an integer or a string")                                             \
	X(no_cmd, "cmd is missing or not a string")                                               \
	X(unknown_cmd, "no such command")                                                         \
	X(bad_args, "an argument is unknown, missing or of the wrong type or range")              \
	X(access_denied, "an admin command on the read-only socket")                              \
	X(line_too_long, "a line over 65536 bytes: the client is closed")                         \
	X(idle_timeout, "no complete request within control.idle_timeout_ms: the client is closed") \
	X(too_many_clients, "control.max_clients reached: the new client is told so and closed")  \
	X(output_overflow, "a client that does not read its replies: closed")

enum ctl_bad {
#define X(id, help) CTL_BAD_##id,
	CTL_BAD_REASONS(X)
#undef X
	CTL_BAD__COUNT
};

extern const char *const ctl_bad_names[CTL_BAD__COUNT];
extern const char *const ctl_bad_help[CTL_BAD__COUNT];

/* The daemon's own counters. */
struct ctl_cp_stats {
	uint64_t clients_accepted;
	uint64_t requests;
	uint64_t bad[CTL_BAD__COUNT];
	uint64_t config_reloads, config_reload_errors;
	uint64_t state_writes, state_write_errors;
	uint64_t metrics_scrapes;
};

enum ctl_link {
	CTL_LINK_DOWN = 0,  /* waiting to reconnect */
	CTL_LINK_HELLO,	    /* connected, hello sent */
	CTL_LINK_SYNC,	    /* hello answered; comparing and pushing state */
	CTL_LINK_UP,	    /* in step; snapshots every collect_interval_ms */
};

struct ctl_waiter;
struct ctl_pending; /* an agent request waiting for its reply (cp_agent.c) */
struct ctl_rs_xfer; /* a ruleset on its way to one node (cp_rules_push.c) */

/* The two ruleset slots of a dataplane: the live one acts; the shadow one
 * is run beside it and only counted. */
enum ctl_rs_slot {
	CTL_RS_LIVE = 0,
	CTL_RS_SHADOW,
	CTL_RS__SLOTS
};

/* What a dataplane has in a slot (hello, rules.get, our commits). */
struct ctl_rs_have {
	uint64_t version; /* 0: nothing */
	char sha256[65];  /* hex, "" when unknown */
	uint32_t n_rules;
};
struct ctl_buf {
	char *p;
	size_t len, cap;
};

struct ctl_node {
	struct ctl_cp *cp;
	char name[CTL_CFG_NAME_MAX];
	char socket[CTL_CFG_PATH_MAX];	/* its agent socket, "" when TCP */
	struct ctl_cfg_node where;	/* its config: socket, or address and key */
	struct ctl_node *next;

	/* What control wants in force there (persisted, cp_state.c): the
	 * version last pushed or to push, and the backends' admin/weight. */
	uint64_t version;
	json_t *backends; /* {"kam1": {"admin": "drain", "weight": 100}}, owned */
	bool dirty;	  /* wanted state not yet confirmed by the dataplane */
	bool pushing;	  /* a prepare/commit is in flight */
	bool snap_pending; /* a snapshot request is in flight */
	/* The highest version control ever pushed there (persisted): after a
	 * state.rollback the wanted version is below it, and the next push
	 * must pass it, so that a number never names two states. */
	uint64_t highest;
	/* What the dataplane holds, as control knows it (cp_push.c, persisted):
	 * the SHA-256 of the canonical form of the state in force and of the
	 * one it keeps for state.rollback (with its version), "" when not
	 * known; true only while the dataplane still says sums_version in
	 * force and sums_highest committed. */
	char dp_cur_sum[65], dp_prev_sum[65];
	uint64_t dp_prev_version, sums_version, sums_highest;
	struct ctl_waiter *w_cur, *w_next; /* callers of ctl_push (cp_push.c) */

	/* The link (cp_agent.c): io.fd is xp.fd, the byte transport (plain,
	 * or TLS with tls_ctx); over TCP, the connect and the handshake come
	 * before the hello is written. */
	enum ctl_link link;
	struct ctl_io io;
	struct ctl_xp xp;
	struct ssl_ctx_st *tls_ctx;
	bool connecting, handshaking;
	struct ctl_buf in, out;
	struct ctl_pending *pend_head, *pend_tail;
	uint64_t link_gen; /* +1 on every close: a reader sees its link go */
	uint64_t next_id;
	uint64_t backoff_ms;
	uint64_t link_since_ms; /* when link last changed */
	struct ctl_timer t_reconnect, t_request, t_collect;
	char last_error[256];

	/* What the dataplane said (hello, the last snapshot), owned. */
	json_t *hello;
	uint64_t dp_state_version;
	/* The highest version it ever committed (hello, state.get): above the
	 * one in force after a rollback, and its next prepare must pass it. */
	uint64_t dp_highest_version;
	json_t *cur;   /* counters summed (cp_stats.c) */
	json_t *rates; /* per second over the last interval */
	json_t *snap;  /* the last snapshot as received */
	uint64_t cur_ms, prev_ms;
	json_t *prev;

	/* Rulesets (cp_rules_push.c): what the dataplane has, its Hyperscan
	 * platform (from hello: "" until then), the transfers queued to it
	 * (the head one is on the wire), and per slot the version it refused
	 * (not offered again until another version is wanted). */
	struct ctl_rs_have rs_have[CTL_RS__SLOTS];
	char rs_platform[96];
	uint64_t rs_cpu_features;
	unsigned rs_tune;
	char rs_hs_version[32];
	struct ctl_rs_xfer *rs_xq;
	uint64_t rs_refused[CTL_RS__SLOTS];
	char rs_error[300]; /* why its rules are not in step, "" if they are */

	/* Counters. */
	uint64_t connects, connect_failures, disconnects, snapshots;
	uint64_t pushes_ok, pushes_failed, resyncs, agent_errors, rollbacks;
	uint64_t rs_pushes_ok, rs_pushes_failed, rs_resyncs;
};

struct ctl_sock; /* the control socket server (cp_sock.c) */
struct ctl_metrics;
struct ctl_rules; /* rulesets (cp_rules.c) */
struct ctl_bans;  /* manual bans (cp_bans.c) */

struct ctl_cp {
	struct ctl_loop *loop;
	struct ctl_cfg cfg;
	char cfg_path[4096];
	uint64_t started_s; /* Unix time */
	uint64_t started_ms;
	struct ctl_node *nodes;
	struct ctl_node *retired; /* out of the config, freed by t_reap */
	struct ctl_timer t_reap;
	struct ctl_sock *sock;
	struct ctl_metrics *metrics;
	struct ctl_rules *rules;
	struct ctl_bans *bans;
	struct ctl_cp_stats st;
};

/* ---- cp_state.c ---- */
/* Loads state_dir/state.json into the nodes that the config names (a node
 * not in the file starts at version 0 with no backend set; a node in the
 * file but not in the config is kept in the file). Returns 0 (a missing
 * file is an empty state) or -errno with a message on stderr. */
int ctl_state_load(struct ctl_cp *cp);
/* Writes every node's wanted state atomically (temp file, fsync, rename,
 * fsync of the directory). Returns 0 once the rename is done (a failed
 * fsync of the directory after it is only a warning: the file holds the
 * state), or -errno when the file still holds the state before (counted
 * and logged). */
int ctl_state_save(struct ctl_cp *cp);
void ctl_state_free(void);
/* Writes dir/name atomically (dir/name.tmp, fsync, rename), then fsyncs
 * dir: 0 once renamed (*dir_err: 0 or the fsync's -errno), or -errno with
 * the old file in place. */
int ctl_write_atomic(const char *dir, const char *name, const char *text, size_t len,
		     int *dir_err);
/* A node taken out of the config keeps its wanted state in the file... */
void ctl_state_keep(const struct ctl_node *n);
/* ...and a node put (back) in takes it up again. */
void ctl_state_adopt(struct ctl_node *n);

/* ---- cp_agent.c ---- */
typedef void (*ctl_agent_cb)(struct ctl_node *n, json_t *reply, void *arg);
/* Starts linking to a node (connects now). */
void ctl_agent_start(struct ctl_node *n);
/* Closes the link and cancels its timers; every pending callback is
 * called with reply NULL. Idempotent. */
void ctl_agent_stop(struct ctl_node *n);
/* Sends one request (cmd and its arguments in req, which is consumed; the
 * id is added). cb is called once with the reply object (borrowed), or with
 * NULL if the link went down first. Returns 0 or -ENOTCONN (cb not called). */
int ctl_agent_send(struct ctl_node *n, json_t *req, ctl_agent_cb cb, void *arg);
/* Drops the link now (it reconnects after the backoff), with a reason. */
void ctl_agent_fail(struct ctl_node *n, const char *why);
/* The link is in step: snapshots start. Called by cp_push.c. */
void ctl_agent_ready(struct ctl_node *n);
const char *ctl_link_name(enum ctl_link l);

/* ---- cp_push.c ---- */
/* Takes the dataplane's versions from a hello or state.get reply:
 * state_version (checked by the caller), highest_version when it says. */
void ctl_push_versions(struct ctl_node *n, json_t *r);
/* After hello: reads the dataplane's state and pushes ours if it differs. */
void ctl_push_resync(struct ctl_node *n);
/* One node's push is over: ok, or err says why (static or in n). */
typedef void (*ctl_push_cb)(struct ctl_node *n, bool ok, const char *err, void *arg);
/* Pushes the node's wanted state (n->backends) as version n->version + 1:
 * prepare, then commit. cb is called once. If the node is not connected
 * the state stays wanted and is pushed on reconnect: cb(ok, "pending"). */
void ctl_push(struct ctl_node *n, ctl_push_cb cb, void *arg);
/* How ctl_push_restore ended. */
enum ctl_restore {
	CTL_RESTORE_ROLLED_BACK = 1, /* state.rollback: the kept state in force again */
	CTL_RESTORE_PUSHED,	     /* pushed as a new version */
	CTL_RESTORE_UNCHANGED,	     /* in force already: nothing sent */
	CTL_RESTORE_PENDING,	     /* not connected: pushed when it reconnects */
	CTL_RESTORE_FAILED,	     /* refused, or the link lost: err says why */
};
typedef void (*ctl_restore_cb)(struct ctl_node *n, enum ctl_restore how, const char *err,
			       void *arg);
/* Puts the node's wanted state, just set back by a rollback, in force:
 * with state.rollback when the dataplane keeps exactly that state as the
 * one before the one in force (one pointer swap, nothing validated again),
 * else as a new version. cb is called once; err is a note when ok. */
void ctl_push_restore(struct ctl_node *n, ctl_restore_cb cb, void *arg);
/* The SHA-256 (hex) of the node's wanted state in canonical form. */
void ctl_push_form_sum(const struct ctl_node *n, char out[65]);
/* The version the dataplane keeps for state.rollback, as far as control
 * knows: 0 when none is known. */
uint64_t ctl_push_kept_version(const struct ctl_node *n);

/* ---- cp_bans.c ---- */
int ctl_bans_init(struct ctl_cp *cp);
void ctl_bans_free(struct ctl_cp *cp);
/* The manual bans for state.prepare's "bans" (new reference), or NULL
 * while no ban was ever set (the state then carries no "bans"). */
json_t *ctl_bans_state(const struct ctl_cp *cp);
/* Whether a dataplane's state (state.get's "state") has our manual bans. */
bool ctl_bans_match(const struct ctl_cp *cp, json_t *dp_state);
/* For the state file (new reference), and back (0 or -EINVAL with err). */
json_t *ctl_bans_save(const struct ctl_cp *cp);
int ctl_bans_load(struct ctl_cp *cp, json_t *j, char *err, size_t errlen);
/* "192.0.2.0/24", "2001:db8::1": normalized into out, or -EINVAL (err
 * names and quotes s: not an address, a bad length, host bits set). */
int ctl_ban_parse(const char *s, char *out, size_t outlen, char *err, size_t errlen);

/* ---- cp_history.c ---- */
struct ctl_req;
/* The state file's "history" (new reference), and back at start-up, once
 * the nodes and bans are loaded (0, or -EINVAL with err). */
json_t *ctl_hist_save(const struct ctl_cp *cp);
int ctl_hist_load(struct ctl_cp *cp, json_t *j, char *err, size_t errlen);
/* Around each write of the state file (ctl_state_save): note records the
 * operator's change since the last write, written keeps it or drops it. */
void ctl_hist_note(struct ctl_cp *cp);
void ctl_hist_written(struct ctl_cp *cp, bool ok);
/* Around an admin command's handler (ctl_cmds_run): changes written
 * meanwhile are its own. */
void ctl_hist_begin(struct ctl_req *r);
void ctl_hist_end(void);
/* The entry the command being handled recorded, 0 if none. */
uint64_t ctl_hist_request_seq(void);
/* A change that some node refused, taken back on every node if it is
 * still the newest one (done gets the per-node results), else -EBUSY. */
int ctl_hist_take_back(struct ctl_cp *cp, uint64_t seq, const char *why,
		       void (*done)(json_t *results, void *arg), void *arg);
void ctl_hist_free(void);
/* Whether a backend's wanted entry is valid: an object of admin
 * (enabled|disabled|drain) and weight (1..65535), both optional. */
bool ctl_backend_valid(json_t *be);

/* ---- cp_rules*.c ---- */
int ctl_rules_init(struct ctl_cp *cp);
void ctl_rules_free(struct ctl_cp *cp);
/* The state file's "rules" (new reference), and back at start-up: reads
 * every kept version's meta.json (0, or -EINVAL with err). */
json_t *ctl_rules_save(const struct ctl_cp *cp);
int ctl_rules_load(struct ctl_cp *cp, json_t *j, char *err, size_t errlen);
/* After the state is loaded: the wanted versions compiled again, the
 * config's rules.files loaded if they changed. */
void ctl_rules_start(struct ctl_cp *cp);
/* After a config reload: rules.files loaded again if the list changed. */
void ctl_rules_reload(struct ctl_cp *cp);
/* The node's hello: its Hyperscan platform and rulesets; resync. */
void ctl_rs_hello(struct ctl_node *n, json_t *hello);
/* Its link closed: a transfer waiting for its op fails now. */
void ctl_rs_link_down(struct ctl_node *n);

/* ---- cp_stats.c ---- */
/* Takes a snapshot reply: sums it and computes rates against the last. */
void ctl_stats_take(struct ctl_node *n, json_t *snap);
/* The node's stats for the `stats` command (new reference). */
json_t *ctl_stats_node(const struct ctl_node *n);
/* The daemon's own counters (new reference). */
json_t *ctl_stats_daemon(const struct ctl_cp *cp);
void ctl_stats_clear(struct ctl_node *n);

/* ---- cp_sock.c ---- */
/* Opens the admin socket and the read-only one if configured. Returns 0 or
 * -errno with a message on stderr. */
int ctl_sock_open(struct ctl_cp *cp);
void ctl_sock_close(struct ctl_cp *cp);
/* Number of clients connected. */
unsigned ctl_sock_clients(const struct ctl_cp *cp);
/* Completes a request that a handler left pending: sends reply (consumed)
 * to the client with that serial, if it is still connected. The client's
 * next requests run on a later turn of the loop, never from here: the
 * caller is deep in an agent reply's callbacks, and a request (a reload)
 * may free what they still use. */
void ctl_sock_reply(struct ctl_cp *cp, uint64_t client, json_t *reply);
/* Who is at the other end of a client: its uid and pid (SO_PEERCRED).
 * Returns 0, or -ENOENT when that client is gone. */
int ctl_sock_peer(const struct ctl_cp *cp, uint64_t client, long *uid, long *pid);

/* ---- cp_cmds.c ---- */
enum ctl_access {
	CTL_ACCESS_READ = 1, /* both sockets */
	CTL_ACCESS_ADMIN,    /* the admin socket only */
};

/* A request being handled. */
struct ctl_req {
	struct ctl_cp *cp;
	uint64_t client; /* serial, for ctl_sock_reply */
	json_t *id;	 /* borrowed; null when the request had none */
	json_t *msg;	 /* the whole request object, borrowed */
	json_t *reply;	 /* the handler adds its members; "ok" and "id" are added */
	char err[512];	 /* for CTL_R_ERR */
};

enum ctl_result {
	CTL_R_OK = 0,  /* reply is complete */
	CTL_R_ERR,     /* err says why */
	CTL_R_LATER,   /* the handler calls ctl_sock_reply itself */
};

/* Runs one request line (already JSON-decoded) on a socket of the given
 * access. Returns the reply to send (new reference), or NULL when the
 * handler will answer later. *bad is set to a CTL_BAD_ reason when the
 * request was refused as bad, -1 otherwise. */
json_t *ctl_cmds_run(struct ctl_cp *cp, uint64_t client, enum ctl_access access, json_t *msg,
		     int *bad);
/* An error reply: {"id":id,"ok":false,"error":err} (new reference). */
json_t *ctl_reply_error(json_t *id, const char *err);

/* One operator change pushed to several nodes' versioned state, answered
 * when the last node's push is over, with "results" per node (in force,
 * pending, refused): new, add each target node, then end, which returns
 * CTL_R_LATER or, when no node is connected, the reply at once. what
 * names the change in errors (after the command's name). */
struct ctl_push_op;
struct ctl_push_op *ctl_push_op_new(struct ctl_req *r, const char *what);
void ctl_push_op_add(struct ctl_push_op *op, struct ctl_node *n);
enum ctl_result ctl_push_op_end(struct ctl_req *r, struct ctl_push_op *op);
void ctl_push_op_free(struct ctl_push_op *op);

/* Handlers of the table's rows that live in other modules. */
enum ctl_result ctl_cmd_bans_list(struct ctl_req *r);
enum ctl_result ctl_cmd_bans_add(struct ctl_req *r);
enum ctl_result ctl_cmd_bans_remove(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_load(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_check(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_list(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_show(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_diff(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_rollback(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_unload(struct ctl_req *r);
enum ctl_result ctl_cmd_rules_stats(struct ctl_req *r);
enum ctl_result ctl_cmd_explain(struct ctl_req *r);
enum ctl_result ctl_cmd_state(struct ctl_req *r);
enum ctl_result ctl_cmd_state_rollback(struct ctl_req *r);
/* The node named by the request's optional "node" argument (*out NULL
 * when none is named). Returns 0, or -ENOENT with r->err naming it. */
int ctl_req_node(struct ctl_req *r, struct ctl_node **out);

/* ---- cp_metrics.c ---- */
int ctl_metrics_open(struct ctl_cp *cp);
void ctl_metrics_close(struct ctl_cp *cp);
/* The exposition text (malloc'd, NUL-terminated); for tests too. */
char *ctl_metrics_render(struct ctl_cp *cp, size_t *len);

/* ---- cp_node.c ---- */
/* Creates the configured nodes (not started). Returns 0 or -ENOMEM. */
int ctl_nodes_create(struct ctl_cp *cp);
/* Stops a node's link and frees it (unlinked by the caller). Only where
 * nothing up the stack can hold the node: start-up, shutdown, the reap. */
void ctl_node_free(struct ctl_node *n);
/* A node leaves (unlinked by the caller): its link is stopped now (every
 * pending callback runs, with NULL), the node is freed on the loop's next
 * turn, so that a caller up the stack that still holds it is safe. */
void ctl_node_retire(struct ctl_node *n);
/* Frees the retired nodes now (the reap timer's work; shutdown calls it). */
void ctl_nodes_reap(struct ctl_cp *cp);
/* Re-reads the config file. Returns 0 or -EINVAL with the message in err;
 * restart lists keys that changed but need a restart. */
int ctl_reload(struct ctl_cp *cp, char *err, size_t errlen, char *restart, size_t rlen);
struct ctl_node *ctl_node_find(struct ctl_cp *cp, const char *name);
__attribute__((format(printf, 2, 3))) void ctl_log(int level, const char *fmt, ...);
/* log levels: syslog's */
#define CTL_LOG_ERR 3
#define CTL_LOG_WARNING 4
#define CTL_LOG_NOTICE 5
#define CTL_LOG_INFO 6

/* ---- buffers (cp_agent.c) ---- */
int ctl_buf_append(struct ctl_buf *b, const char *p, size_t n);
void ctl_buf_consume(struct ctl_buf *b, size_t n);
void ctl_buf_free(struct ctl_buf *b);

#endif /* SIPEDGE_CP_H */
