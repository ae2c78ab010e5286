/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_priv.h - what the files of the agent module share (agent.h is the
 * module's API):
 *
 *   agent.c        the socket, the connections, the line framing, the
 *                  command table and its dispatch; hello, ping
 *   agent_json.c   messages and reply building (Jansson helpers)
 *   agent_sock.c   making and removing the socket file
 *   agent_tls.c    the TCP listener: TLS 1.3 with a pre-shared key, its
 *                  handshakes and their failures
 *   agent_state.c  the versioned state: state.prepare, .commit, .rollback,
 *                  .get
 *   agent_snap.c   snapshot: the counters, ports and backends
 *   agent_rules.c  rulesets (rules.*) and bans (bans.*)
 *
 * Main lcore only, like the rest of the module.
 */
#ifndef SIPEDGE_AGENT_PRIV_H
#define SIPEDGE_AGENT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "agent.h"
#include "cp_tls.h"
#include "backend.h"
#include "ban.h"
#include "cfg.h"

#define AGENT_PROTO	   1		/* the protocol version hello agrees on */
#define AGENT_LINE_MAX	   (1u << 20)	/* a request line, without its \n */
#define AGENT_OUT_MAX	   (4u << 20)	/* replies a client may leave unread */
#define AGENT_CONN_MAX	   64u		/* agent.max_clients' upper bound */
#define AGENT_ERR_MAX	   512u		/* an error message */
#define AGENT_PEER_MAX	   56u		/* "[v6 address]:port" */

/* A byte buffer that grows on demand: its data is p[off..len). */
struct agent_buf {
	char *p;
	size_t off, len, cap;
};

/* One client. Its input is read into in until a line is whole; its
 * replies wait in out until the socket takes them. Both are bounded: in by
 * AGENT_LINE_MAX + 1, out by AGENT_OUT_MAX. A client of the TCP listener
 * speaks TLS: its handshake comes first, bounded by hs_deadline, and no
 * line is read before it is done. */
struct agent_conn {
	struct ctl_xp xp;	/* its socket, plain (Unix) or TLS (TCP) */
	unsigned id;		/* the n-th connection since start, for logs */
	bool tcp;		/* came through the TLS listener */
	bool handshaking;	/* TLS, not finished yet */
	bool peeked;		/* TLS: its first byte starts a handshake */
	bool bad_identity;	/* TLS: it offered an identity we do not know */
	uint64_t hs_deadline;	/* TSC by which the handshake must be done */
	char peer[AGENT_PEER_MAX]; /* TCP: its address, for logs */
	struct dp_addr src;	/* TCP: its address and port (accept4's) */
	struct agent_buf in;	/* received, not yet answered */
	size_t scanned;		/* in.p[in.off..scanned) holds no '\n' */
	struct agent_buf out;	/* replies not yet sent */
	uint32_t events;	/* the epoll events armed */
	uint64_t last_req;	/* TSC of its last request (of its connect before one) */
	struct agent_upload *up; /* its ruleset upload (agent_rules.c), or NULL */
	bool readable;		/* an event this turn: to be read */
	bool eof;		/* the client has closed its side */
	bool dead;		/* to be closed at the end of this turn */
};

/* A state as the control plane pushes it (docs/agent.md, "State"). bans
 * is owned by the state (malloc'd; NULL when n_bans is 0). */
struct agent_state {
	int64_t version;
	struct be_setting be[DP_MAX_BACKENDS];
	struct ban_prefix *bans;
	unsigned n_bans;
};

struct agent {
	struct dp *dp;
	struct worker *mw;	   /* the main lcore's: its counter block */
	int lfd;		   /* the Unix listening socket, -1 if none */
	int tfd;		   /* the TCP listener (TLS), -1 if none */
	struct agent_tls *tls;	   /* its context and key (agent_tls.c) */
	int ep;			   /* epoll over both and every connection */
	char path[CFG_PATH_MAX];   /* the socket file */
	dev_t dev;		   /* and its identity, so that agent_close */
	ino_t ino;		   /* removes only the file it made */
	struct agent_conn *conn[AGENT_CONN_MAX];
	unsigned turn;		   /* which connection answers first this turn */
	unsigned n_conn;
	unsigned next_id;
	int64_t started;	   /* Unix seconds */

	/* the versioned state (agent_state.c): in force, the one before it
	 * (what state.rollback restores; one level), the one staged by
	 * state.prepare, and the highest version ever committed */
	struct agent_state cur, prev, staged;
	bool has_prev, has_staged;
	int64_t high;
	struct ban_deny *staged_deny; /* the staged state's manual bans, built */

	/* the connection whose request is being answered (its upload); the
	 * highest ruleset version committed to each slot (agent_rules.c) */
	struct agent_conn *answering;
	int64_t rules_high[2];

	/* rate limit of the connection log lines */
	uint64_t log_window_end;
	unsigned log_lines, log_dropped;
};

/* A command: its handler reads its arguments from req (each of the JSON
 * type the table gives, and present unless optional: agent.c has checked;
 * the handler gives an optional one its default) and adds the fields
 * of its reply to reply. Returns 0, or -1 with the message in err (the
 * reply's fields are then dropped). */
struct agent_arg {
	const char *name;
	json_type type;		/* JSON_INTEGER, JSON_OBJECT, ... */
	bool optional;
};

struct agent_cmd {
	const char *name;
	int (*fn)(struct agent *a, json_t *req, json_t *reply, char *err);
	struct agent_arg args[3]; /* name NULL ends */
	const char *help;
};

/* agent_fail - formats the message into err (AGENT_ERR_MAX bytes).
 * Returns -1, for the handler to return. */
int __attribute__((format(printf, 2, 3))) agent_fail(char *err, const char *fmt, ...);

/* agent_quote - v as a message shows it: its JSON text, ASCII only, cut at
 * 80 characters ("paused" with its quotes, 70000, {"a": 1}). Returns buf. */
const char *agent_quote(const json_t *v, char *buf, size_t len);

/* agent_quote_str - the same for a C string (a JSON object's key). */
const char *agent_quote_str(const char *s, char *buf, size_t len);

/* agent_type_name - "an integer", "a string", ... for a json_type. */
const char *agent_type_name(json_type type);

/* agent_wrong_type - "FIELD: expected WANT, found a string \"5\"". Returns
 * -1. */
int agent_wrong_type(char *err, const char *field, json_type want, const json_t *v);

/* agent_set - json_object_set_new that tolerates a NULL value (out of
 * memory): the reply is then checked whole, by json_dumps. */
void agent_set(json_t *o, const char *key, json_t *v);

/* agent_append - json_array_append_new, the same way. */
void agent_append(json_t *arr, json_t *v);

/* agent_oom_clear - before a request; agent_oom - whether agent_set or
 * agent_append failed since. */
void agent_oom_clear(void);
bool agent_oom(void);

/* agent_conn_log - a connection event (accept, refuse, close) on the log,
 * at most AGENT_LOG_LINES per window (agent.c). */
void __attribute__((format(printf, 2, 3))) agent_conn_log(struct agent *a, const char *fmt, ...);

/* The TCP listener (agent_tls.c), when agent.listen is set:
 * agent_tls_open reads the key file (refused: group/world readable, under
 * 32 bytes), makes the TLS context and the listening socket, sets a->tfd
 * and a->tls; 0 or -errno with the reason on stderr. agent_tls_close
 * undoes it. agent_tls_start: a new connection's handshake is due by
 * agent.handshake_timeout_ms. agent_tls_step: one step of its handshake
 * (returns whether it is done; a failure is counted, logged and marks the
 * connection dead). agent_tls_expire: connections past their deadline cut
 * off. agent_tls_reload: agent_reload_key (agent.h) when there is a
 * listener. */
struct agent_tls;
int agent_tls_open(struct agent *a, const struct cfg *c);
void agent_tls_close(struct agent *a);
int agent_tls_start(struct agent *a, struct agent_conn *c);
bool agent_tls_step(struct agent *a, struct agent_conn *c);
void agent_tls_expire(struct agent *a);
void agent_tls_reload(struct agent *a);

/* The socket file (agent_sock.c). agent_sock_open makes a->path's socket
 * and sets a->lfd, a->dev, a->ino; 0 or -errno with the reason on stderr.
 * agent_sock_close closes it and removes the file if it is still ours. */
int agent_sock_open(struct agent *a, const struct cfg *c);
void agent_sock_close(struct agent *a);

/* The state (agent_state.c). agent_state_fini frees what the states own. */
void agent_state_init(struct agent *a);
void agent_state_fini(struct agent *a);
int agent_cmd_state_prepare(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_state_commit(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_state_rollback(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_state_get(struct agent *a, json_t *req, json_t *reply, char *err);

/* Rules and bans (agent_rules.c). agent_rules_conn_gone: a closing
 * connection's upload dropped. agent_rules_hello, agent_rules_hyperscan:
 * hello's "rules" and "hyperscan"; agent_rules_snapshot and
 * agent_bans_counts: the snapshot's "rules" and "bans". */
int agent_cmd_rules_begin(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_rules_chunk(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_rules_load(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_rules_commit(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_rules_abort(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_rules_clear(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_rules_get(struct agent *a, json_t *req, json_t *reply, char *err);
void agent_rules_conn_gone(struct agent_conn *c);
json_t *agent_rules_hello(const struct agent *a);
json_t *agent_rules_hyperscan(void);
json_t *agent_rules_snapshot(struct agent *a);
int agent_cmd_bans_list(struct agent *a, json_t *req, json_t *reply, char *err);
int agent_cmd_bans_lift(struct agent *a, json_t *req, json_t *reply, char *err);
json_t *agent_bans_counts(const struct agent *a);

/* The snapshot (agent_snap.c). */
int agent_cmd_snapshot(struct agent *a, json_t *req, json_t *reply, char *err);

#endif /* SIPEDGE_AGENT_PRIV_H */
