/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent.c - the agent socket (agent.h, docs/agent.md): the connections,
 * the line framing, the command table and its dispatch; hello and ping.
 * The JSON helpers the commands share are in agent_json.c.
 *
 * Everything here runs on the main lcore, between its other jobs, and must
 * never make it wait: one epoll_wait with a zero timeout per turn,
 * non-blocking reads and writes (plain or TLS: the transport is cp_tls.c's
 * struct ctl_xp, and a TLS client's handshake is agent_tls.c's), and a
 * budget per connection per turn
 * (bytes read, requests answered) so that one busy client cannot starve ARP,
 * probes or the other clients. Memory is bounded per connection: a request
 * line of at most AGENT_LINE_MAX bytes (a longer one is answered with an
 * error and the connection closed) and at most AGENT_OUT_MAX bytes of
 * replies left unread (more closes the connection: a client that does not
 * read cannot make the dataplane hold its replies forever).
 */
#define _GNU_SOURCE /* accept4, struct ucred */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "agent_priv.h"
#include "worker.h"

#ifndef SIPEDGE_VERSION
#define SIPEDGE_VERSION "0"
#endif

#define AGENT_ACCEPT_BURST 8u		  /* connections accepted per turn */
#define AGENT_READ_BURST   (256u << 10)	  /* bytes read per connection per turn */
#define AGENT_LINES_BURST  8u		  /* requests answered per connection per turn */
#define AGENT_TURN_US	   1000u	  /* answering budget of a turn, all connections */
#define AGENT_KEEP	   (64u << 10)	  /* an emptied buffer larger than this is freed */
#define AGENT_IN_MAX	   (AGENT_LINE_MAX + 1) /* a whole line and its '\n' */
#define AGENT_LOG_LINES	   10u		  /* connection log lines per window */
#define AGENT_LOG_WINDOW_S 10u

static int cmd_hello(struct agent *a, json_t *req, json_t *reply, char *err);
static int cmd_ping(struct agent *a, json_t *req, json_t *reply, char *err);

/* The commands, in the order of docs/agent.md; hello lists their names. */
static const struct agent_cmd cmds[] = {
	{"hello", cmd_hello, {{"proto", JSON_INTEGER}},
	 "agree on the protocol version; who this dataplane is"},
	{"ping", cmd_ping, {{NULL, 0}}, "is it alive and answering"},
	{"snapshot", agent_cmd_snapshot, {{NULL, 0}},
	 "every counter block, per worker; ports; backends"},
	{"state.prepare", agent_cmd_state_prepare,
	 {{"version", JSON_INTEGER}, {"state", JSON_OBJECT}},
	 "validate a state in full and stage it; nothing is applied"},
	{"state.commit", agent_cmd_state_commit, {{"version", JSON_INTEGER}},
	 "put the staged state in force"},
	{"state.rollback", agent_cmd_state_rollback, {{NULL, 0}},
	 "put the previous committed state back in force"},
	{"state.get", agent_cmd_state_get, {{NULL, 0}}, "the state in force"},
	{"rules.begin", agent_cmd_rules_begin,
	 {{"slot", JSON_STRING}, {"version", JSON_INTEGER}, {"size", JSON_INTEGER}},
	 "start uploading a compiled ruleset on this connection"},
	{"rules.chunk", agent_cmd_rules_chunk,
	 {{"version", JSON_INTEGER}, {"off", JSON_INTEGER}, {"data", JSON_STRING}},
	 "the next bytes of the upload, base64"},
	{"rules.load", agent_cmd_rules_load, {{"version", JSON_INTEGER}, {"sha256", JSON_STRING}},
	 "check and deserialize the upload: ready, not in force"},
	{"rules.commit", agent_cmd_rules_commit, {{"version", JSON_INTEGER}},
	 "put the loaded ruleset in force in its slot"},
	{"rules.abort", agent_cmd_rules_abort, {{"version", JSON_INTEGER}},
	 "drop this connection's upload or loaded ruleset"},
	{"rules.clear", agent_cmd_rules_clear, {{"slot", JSON_STRING}},
	 "empty a slot"},
	{"rules.get", agent_cmd_rules_get, {{NULL, 0}}, "what each slot holds"},
	{"bans.list", agent_cmd_bans_list,
	 {{"limit", JSON_INTEGER}, {"cursor", JSON_INTEGER, true}, {"scan", JSON_INTEGER, true}},
	 "a page of the workers' dynamic bans (from cursor, at most scan slots) and the manual "
	 "bans in force"},
	{"bans.lift", agent_cmd_bans_lift, {{"ip", JSON_STRING}},
	 "remove the dynamic ban of an address"},
};

/* Connection events (accept, refuse, close) are logged, at most
 * AGENT_LOG_LINES per window: a client that reconnects in a loop must not
 * flood the log. State changes are logged elsewhere, always. */
void agent_conn_log(struct agent *a, const char *fmt, ...)
{
	uint64_t now = rte_get_tsc_cycles();
	char line[256];
	va_list ap;

	if (now >= a->log_window_end) {
		if (a->log_dropped)
			RTE_LOG(NOTICE, USER1, "agent: %u connection log lines suppressed\n",
				a->log_dropped);
		a->log_window_end = now + AGENT_LOG_WINDOW_S * rte_get_tsc_hz();
		a->log_lines = 0;
		a->log_dropped = 0;
	}
	if (a->log_lines >= AGENT_LOG_LINES) {
		a->log_dropped++;
		return;
	}
	a->log_lines++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	RTE_LOG(NOTICE, USER1, "agent: %s\n", line);
}

/* ---- hello, ping ---- */

static const char *role_name(unsigned role)
{
	return role == DP_ROLE_ACCESS ? "access" : "core";
}

static json_t *hello_ports(const struct dp *dp)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && i < dp->n_ports; i++) {
		json_t *p = json_object();

		if (p != NULL) {
			const struct dp_port *pt = &dp->ports[i];

			agent_set(p, "name", json_string(pt->name));
			agent_set(p, "role", json_string(role_name(pt->role)));
			/* the addresses SIP is sent to and written with (explain
			 * takes the access one as a message's destination) */
			if (pt->ip4_len != 0)
				agent_set(p, "ipv4", json_stringn(pt->ip4_str, pt->ip4_len));
			if (pt->ip6_len > 2) /* without the brackets */
				agent_set(p, "ipv6", json_stringn(pt->ip6_str + 1, pt->ip6_len - 2u));
		}
		agent_append(arr, p);
	}
	return arr;
}

static json_t *hello_workers(const struct dp *dp)
{
	json_t *arr = json_array();

	for (unsigned k = 0; arr && k < dp->n_workers; k++) {
		json_t *w = json_object();

		if (w != NULL) {
			agent_set(w, "id", json_integer(k));
			agent_set(w, "lcore", json_integer(dp->workers[k]->lcore));
		}
		agent_append(arr, w);
	}
	return arr;
}

static int cmd_hello(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t proto = json_integer_value(json_object_get(req, "proto"));
	const struct dp *dp = a->dp;
	json_t *be = json_array(), *names = json_array();

	if (proto != AGENT_PROTO) {
		json_decref(be);
		json_decref(names);
		return agent_fail(err, "proto: %" JSON_INTEGER_FORMAT " is not a version this "
				  "dataplane speaks (%d)", proto, AGENT_PROTO);
	}
	for (unsigned i = 0; be && i < dp->cfg.n_backends; i++)
		agent_append(be, json_string(dp->cfg.backends[i].name));
	for (unsigned i = 0; names && i < RTE_DIM(cmds); i++)
		agent_append(names, json_string(cmds[i].name));
	agent_set(reply, "proto", json_integer(AGENT_PROTO));
	agent_set(reply, "node", json_string(dp->cfg.node.name));
	agent_set(reply, "version", json_string(SIPEDGE_VERSION));
	agent_set(reply, "pid", json_integer(getpid()));
	agent_set(reply, "started", json_integer(a->started));
	agent_set(reply, "tsc_hz", json_integer((json_int_t)dp->tsc_hz));
	agent_set(reply, "main_lcore", json_integer(dp->cfg.eal.main_lcore));
	/* what explain needs to parse and answer a message as the workers do */
	agent_set(reply, "limits", json_pack("{s:I, s:I, s:I}", "max_message",
					     (json_int_t)dp->lim.max_msg, "max_headers",
					     (json_int_t)dp->lim.max_hdrs, "max_line",
					     (json_int_t)dp->lim.max_line));
	agent_set(reply, "proxy", json_pack("{s:b}", "reply_malformed",
					    dp->cfg.proxy.reply_malformed ? 1 : 0));
	agent_set(reply, "workers", hello_workers(dp));
	agent_set(reply, "ports", hello_ports(dp));
	agent_set(reply, "backends", be);
	agent_set(reply, "commands", names);
	agent_set(reply, "state_version", json_integer(a->cur.version));
	/* a rollback puts an older version in force; the next prepare must
	 * still be above every version committed */
	agent_set(reply, "highest_version", json_integer(a->high));
	agent_set(reply, "hyperscan", agent_rules_hyperscan());
	agent_set(reply, "rules", agent_rules_hello(a));
	return 0;
}

static int cmd_ping(struct agent *a, json_t *req, json_t *reply, char *err)
{
	(void)a;
	(void)req;
	(void)reply;
	(void)err;
	return 0;
}

/* ---- one request ---- */

static const struct agent_cmd *find_cmd(const char *name)
{
	for (unsigned i = 0; i < RTE_DIM(cmds); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* "hello, ping, ...": for the unknown-command message. */
static const char *cmd_list(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < RTE_DIM(cmds) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", cmds[i].name);
	return buf;
}

/* The arguments of req against cmd's: each one known, present (unless
 * optional) and of its type ("id" and "cmd" aside). */
static int check_args(const struct agent_cmd *cmd, json_t *req, char *err)
{
	const char *key;
	json_t *v;
	char q[100];

	json_object_foreach(req, key, v) {
		const struct agent_arg *arg = NULL;

		if (strcmp(key, "id") == 0 || strcmp(key, "cmd") == 0)
			continue;
		for (unsigned i = 0; i < RTE_DIM(cmd->args) && cmd->args[i].name; i++)
			if (strcmp(cmd->args[i].name, key) == 0)
				arg = &cmd->args[i];
		if (arg == NULL)
			return agent_fail(err, "%s: unknown argument %s", cmd->name,
					  agent_quote_str(key, q, sizeof(q)));
		if (json_typeof(v) != arg->type)
			return agent_wrong_type(err, arg->name, arg->type, v);
	}
	for (unsigned i = 0; i < RTE_DIM(cmd->args) && cmd->args[i].name; i++)
		if (!cmd->args[i].optional && json_object_get(req, cmd->args[i].name) == NULL)
			return agent_fail(err, "%s: missing argument \"%s\" (%s)", cmd->name,
					  cmd->args[i].name, agent_type_name(cmd->args[i].type));
	return 0;
}

/* Checks the envelope of a parsed request and runs its command, which adds
 * its fields to reply. Returns 0 or -1 with the message in err. */
static int dispatch(struct agent *a, json_t *req, json_t *reply, char *err)
{
	const struct agent_cmd *cmd;
	json_t *id, *name;
	char q[100], list[160];

	if (!json_is_object(req))
		return agent_fail(err, "a request is a JSON object, not %s",
				  agent_type_name(json_typeof(req)));
	if ((id = json_object_get(req, "id")) == NULL)
		return agent_fail(err, "missing \"id\" (an integer)");
	if (!json_is_integer(id))
		return agent_wrong_type(err, "id", JSON_INTEGER, id);
	if ((name = json_object_get(req, "cmd")) == NULL)
		return agent_fail(err, "missing \"cmd\" (a string: %s)", cmd_list(list, sizeof(list)));
	if (!json_is_string(name))
		return agent_wrong_type(err, "cmd", JSON_STRING, name);
	if ((cmd = find_cmd(json_string_value(name))) == NULL)
		return agent_fail(err, "cmd: unknown command %s (%s)", agent_quote(name, q, sizeof(q)),
				  cmd_list(list, sizeof(list)));
	if (check_args(cmd, req, err) != 0)
		return -1;
	return cmd->fn(a, req, reply, err);
}

/* {"id": id, "ok": false, "error": err}; the message made printable ASCII
 * (Jansson's own messages may quote bytes of the input). */
static json_t *error_reply(json_int_t id, bool has_id, char *err)
{
	json_t *r = json_object();

	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "id", has_id ? json_integer(id) : json_null());
	json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "error", json_string(err));
	return r;
}

static void conn_send_reply(struct agent *a, struct agent_conn *c, json_t *reply);

/* Answers one request line (its '\n' and any '\r' before it removed). */
static void answer(struct agent *a, struct agent_conn *c, const char *line, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	json_t *reply = NULL, *id = NULL;
	char err[AGENT_ERR_MAX];
	int rc = -1;

	a->mw->st->ctr[STATS_agent_requests]++;
	agent_oom_clear();
	if (req == NULL) {
		agent_fail(err, "not JSON: %s (at byte %zu)", je.text, (size_t)je.position);
	} else if ((reply = json_object()) == NULL) {
		agent_fail(err, "out of memory");
	} else {
		id = json_is_object(req) ? json_object_get(req, "id") : NULL;
		if (!json_is_integer(id))
			id = NULL;
		agent_set(reply, "id", id ? json_integer(json_integer_value(id)) : json_null());
		agent_set(reply, "ok", json_true());
		a->answering = c;
		rc = dispatch(a, req, reply, err);
		if (rc == 0 && agent_oom())
			rc = agent_fail(err, "out of memory building the reply (state.get tells "
					"whether a change was made)");
	}
	if (rc != 0) {
		a->mw->st->ctr[STATS_agent_errors]++;
		json_decref(reply);
		reply = error_reply(id ? json_integer_value(id) : 0, id != NULL, err);
	}
	conn_send_reply(a, c, reply);
	json_decref(reply);
	json_decref(req);
}

/* ---- a connection's buffers ---- */

/* Makes room for need bytes in b (data moved to the front first), growing
 * it by doubling, at most to max. Returns false when need is over max or
 * memory is short. */
static bool buf_reserve(struct agent_buf *b, size_t need, size_t max)
{
	size_t cap;
	char *p;

	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (need <= b->cap)
		return true;
	if (need > max)
		return false;
	for (cap = b->cap < 4096 ? 4096 : b->cap; cap < need; cap *= 2)
		;
	if (cap > max)
		cap = max;
	if ((p = realloc(b->p, cap)) == NULL)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

/* An emptied buffer starts again at 0, and gives back its memory when it
 * grew large (a 1 MiB request is no reason to keep 1 MiB per client). */
static void buf_settle(struct agent_buf *b)
{
	if (b->off < b->len)
		return;
	b->off = b->len = 0;
	if (b->cap > AGENT_KEEP) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
}

/* Room at the end of in: the unread part moved to the front, or the
 * buffer grown up to AGENT_IN_MAX. Returns false when it is full (a whole
 * maximal line is in it) or out of memory (then the connection is dead). */
static bool conn_in_room(struct agent *a, struct agent_conn *c)
{
	size_t off = c->in.off;

	if (c->in.len < c->in.cap)
		return true;
	if (c->in.len - off == AGENT_IN_MAX)
		return false;
	if (!buf_reserve(&c->in, c->in.len - off + 1, AGENT_IN_MAX)) {
		agent_conn_log(a, "connection %u: out of memory for its request; closed", c->id);
		c->dead = true;
		return false;
	}
	c->scanned -= off;
	return true;
}

/* A transport error (-errno or -EPROTO) as a log line says it. */
static const char *xp_error(const struct agent_conn *c, ssize_t rc, char *buf, size_t len)
{
	if (rc == -EPROTO && c->xp.ssl != NULL)
		return ctl_xp_why(&c->xp, buf, len);
	return strerror((int)-rc);
}

/* Reads what the socket holds, up to the turn's budget. */
static void conn_read(struct agent *a, struct agent_conn *c)
{
	size_t budget = AGENT_READ_BURST;
	char why[80];

	while (budget > 0 && !c->eof && !c->dead && conn_in_room(a, c)) {
		size_t room = c->in.cap - c->in.len < budget ? c->in.cap - c->in.len : budget;
		ssize_t n = ctl_xp_read(&c->xp, c->in.p + c->in.len, room);

		if (n > 0) {
			c->in.len += (size_t)n;
			budget -= (size_t)n;
		} else if (n == 0) {
			c->eof = true;
		} else if (n == -EAGAIN) {
			break;
		} else if (n != -EINTR) {
			agent_conn_log(a, "connection %u: recv: %s; closed", c->id,
				       xp_error(c, n, why, sizeof(why)));
			c->dead = true;
		}
	}
}

/* Sends what the socket takes. */
static void conn_flush(struct agent *a, struct agent_conn *c)
{
	char why[80];

	while (c->out.off < c->out.len && !c->dead) {
		ssize_t n = ctl_xp_write(&c->xp, c->out.p + c->out.off, c->out.len - c->out.off);

		if (n > 0)
			c->out.off += (size_t)n;
		else if (n == -EAGAIN)
			break;
		else if (n != -EINTR) {
			/* EPIPE, ECONNRESET: the client went away */
			if (n != -EPIPE && n != -ECONNRESET)
				agent_conn_log(a, "connection %u: send: %s; closed", c->id,
					       xp_error(c, n, why, sizeof(why)));
			c->dead = true;
		}
	}
	buf_settle(&c->out);
}

/* Queues one reply line and sends what the socket takes at once. Over
 * AGENT_OUT_MAX unsent, the client is not reading: it is closed. */
static void conn_send_reply(struct agent *a, struct agent_conn *c, json_t *reply)
{
	static const char oom[] = "{\"id\":null,\"ok\":false,\"error\":\"out of memory\"}";
	static const char big[] = "{\"id\":null,\"ok\":false,\"error\":\"the reply is over "
				  "the 4 MiB a client may leave unread\"}";
	char *s = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	const char *line = s ? s : oom;
	size_t n = strlen(line), pending = c->out.len - c->out.off;

	/* a reply no client could ever take whole: say so rather than close
	 * a client that reads (none is that large today: a snapshot of 16
	 * workers and 64 backends is under 1 MiB) */
	if (n + 1 > AGENT_OUT_MAX) {
		line = big;
		n = strlen(big);
	}
	if (pending + n + 1 > AGENT_OUT_MAX) {
		a->mw->st->ctr[STATS_agent_closed_overflow]++;
		agent_conn_log(a, "connection %u: %zu bytes of replies unread (limit %u); closed",
			 c->id, pending, AGENT_OUT_MAX);
		c->dead = true;
	} else if (!buf_reserve(&c->out, pending + n + 1, AGENT_OUT_MAX)) {
		agent_conn_log(a, "connection %u: out of memory for its replies; closed", c->id);
		c->dead = true;
	} else {
		memcpy(c->out.p + c->out.len, line, n);
		c->out.p[c->out.len + n] = '\n';
		c->out.len += n + 1;
		conn_flush(a, c);
	}
	free(s);
}

/* ---- a connection's turn ---- */

/* Answers up to AGENT_LINES_BURST whole lines. Returns how many. */
static unsigned conn_answer(struct agent *a, struct agent_conn *c, unsigned max)
{
	struct agent_buf *in = &c->in;
	unsigned n = 0;

	while (n < max && !c->dead) {
		char *nl = in->len > c->scanned ?
			   memchr(in->p + c->scanned, '\n', in->len - c->scanned) : NULL;
		char *start;
		size_t len;

		if (nl == NULL) {
			c->scanned = in->len;
			break;
		}
		start = in->p + in->off;
		len = (size_t)(nl - start);
		if (len > 0 && start[len - 1] == '\r')
			len--;
		answer(a, c, start, len);
		in->off = c->scanned = (size_t)(nl - in->p) + 1;
		c->last_req = a->mw->now;
		n++;
	}
	buf_settle(in);
	if (in->len == 0)
		c->scanned = 0;
	return n;
}

/* A partial line already longer than any request may be: answered with an
 * error and closed, without reading the rest of it. */
static void conn_check_long(struct agent *a, struct agent_conn *c)
{
	char err[AGENT_ERR_MAX];
	json_t *r;

	if (c->dead || c->scanned < c->in.len || c->in.len - c->in.off <= AGENT_LINE_MAX)
		return;
	a->mw->st->ctr[STATS_agent_requests]++;
	a->mw->st->ctr[STATS_agent_errors]++;
	a->mw->st->ctr[STATS_agent_closed_long_line]++;
	agent_fail(err, "request line longer than %u bytes; closing the connection",
		   AGENT_LINE_MAX);
	r = error_reply(0, false, err);
	conn_send_reply(a, c, r);
	json_decref(r);
	agent_conn_log(a, "connection %u: request line over %u bytes; closed", c->id, AGENT_LINE_MAX);
	c->dead = true;
}

/* Arms EPOLLIN while there is room to read into and the client has not
 * closed its side, EPOLLOUT while replies wait (or TLS waits to write):
 * level-triggered readiness that cannot be acted on would only spin the
 * loop. A handshake waits for the one its last step asked for. */
static void conn_arm(struct agent *a, struct agent_conn *c)
{
	uint32_t want = 0;
	struct epoll_event ev;

	if (c->handshaking) {
		want = c->xp.want_write ? EPOLLOUT : EPOLLIN;
	} else {
		if (!c->eof && c->in.len - c->in.off < AGENT_IN_MAX)
			want |= EPOLLIN;
		if (c->out.off < c->out.len || c->xp.want_write)
			want |= EPOLLOUT;
	}
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(a->ep, EPOLL_CTL_MOD, c->xp.fd, &ev) == 0)
		c->events = want;
}

/* One connection's turn after its reads: answer (at most max requests),
 * refuse an overlong line, send, decide whether it is finished. Returns
 * whether it did anything. */
static bool conn_turn(struct agent *a, struct agent_conn *c, unsigned max)
{
	size_t pending = c->out.len - c->out.off;
	unsigned answered;

	if (c->handshaking) {
		if (!c->dead)
			conn_arm(a, c);
		return false;
	}
	answered = conn_answer(a, c, max);

	conn_check_long(a, c);
	if (!c->dead)
		conn_flush(a, c);
	if (!c->dead && c->eof && c->scanned == c->in.len && c->out.off == c->out.len) {
		/* the client closed its side and has every reply: done. A
		 * partial last line is dropped: it was never a request. */
		if (c->in.len > c->in.off)
			agent_conn_log(a, "connection %u: closed by the client mid-line (%zu bytes "
				 "dropped)", c->id, c->in.len - c->in.off);
		c->dead = true;
	}
	if (!c->dead)
		conn_arm(a, c);
	return answered > 0 || pending != c->out.len - c->out.off;
}

/* ---- connections ---- */

static void conn_free(struct agent *a, struct agent_conn *c)
{
	agent_rules_conn_gone(c); /* its upload goes with it */
	epoll_ctl(a->ep, EPOLL_CTL_DEL, c->xp.fd, NULL);
	ctl_xp_close(&c->xp);
	free(c->in.p);
	free(c->out.p);
	free(c);
}

/* One more client than agent.max_clients: told so, best effort, and
 * closed. A TLS client is only closed: it expects a handshake, and plain
 * text on its socket would be noise. */
static void refuse(struct agent *a, int fd, bool tcp)
{
	char line[128];
	int n = snprintf(line, sizeof(line),
			 "{\"id\":null,\"ok\":false,\"error\":\"too many agent connections "
			 "(agent.max_clients is %u)\"}\n", a->dp->cfg.agent.max_clients);

	/* best effort: a client that cannot take it sees the close */
	if (!tcp)
		(void)!send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	a->mw->st->ctr[STATS_agent_refused]++;
	agent_conn_log(a, "connection refused: %u of agent.max_clients %u connected",
		 a->n_conn, a->dp->cfg.agent.max_clients);
}

/* Connections still served (those marked dead this turn go at its end). */
static unsigned live_conns(const struct agent *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->n_conn; i++)
		n += !a->conn[i]->dead;
	return n;
}

/* A new connection; a TLS one (from src) starts with its handshake. */
static void conn_add(struct agent *a, int fd, bool tcp, const struct dp_addr *src)
{
	struct agent_conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = {.events = EPOLLIN};
	struct ucred cred = {0};
	socklen_t cl = sizeof(cred);

	if (c == NULL) {
		agent_conn_log(a, "out of memory for a connection; refused");
		close(fd);
		return;
	}
	c->xp.fd = fd;
	c->tcp = tcp;
	c->src = *src;
	c->id = ++a->next_id;
	c->last_req = a->mw->now;
	c->events = EPOLLIN;
	ev.data.ptr = c;
	if ((tcp && agent_tls_start(a, c) != 0) || epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		agent_conn_log(a, "%s; connection refused", tcp && c->xp.ssl == NULL ?
			       "out of memory for a TLS session" : strerror(errno));
		ctl_xp_close(&c->xp);
		free(c);
		return;
	}
	a->conn[a->n_conn++] = c;
	a->mw->st->ctr[STATS_agent_accepted]++;
	if (tcp) {
		agent_conn_log(a, "connection %u from %s, TLS (%u of %u)", c->id, c->peer,
			       live_conns(a), a->dp->cfg.agent.max_clients);
		return;
	}
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
	agent_conn_log(a, "connection %u from pid %d uid %u (%u of %u)", c->id, (int)cred.pid,
		 (unsigned)cred.uid, live_conns(a), a->dp->cfg.agent.max_clients);
}

/* All slots taken and one more client knocks: the connection silent the
 * longest goes, if it has sent no request for agent.idle_evict_s, so that
 * clients that connect and say nothing cannot lock the control plane out.
 * It is only marked: this turn's events may still point at it, and reap()
 * frees it at the end of the turn. Returns whether a slot was freed. */
static bool evict_idle(struct agent *a)
{
	uint64_t idle = (uint64_t)a->dp->cfg.agent.idle_evict_s * a->dp->tsc_hz;
	struct agent_conn *k = NULL;

	for (unsigned i = 0; i < a->n_conn; i++) {
		struct agent_conn *c = a->conn[i];

		if (!c->dead && a->mw->now - c->last_req >= idle &&
		    (k == NULL || c->last_req < k->last_req))
			k = c;
	}
	if (k == NULL)
		return false;
	agent_conn_log(a, "connection %u evicted: silent for %u s and every slot taken", k->id,
		 a->dp->cfg.agent.idle_evict_s);
	a->mw->st->ctr[STATS_agent_evicted]++;
	k->dead = true;
	return true;
}

/* TLS handshakes under way at once: half of agent.max_clients, at least
 * one. A client in its handshake holds a slot before it has shown that it
 * holds the key, and one that says nothing holds it for
 * agent.handshake_timeout_ms, far less than agent.idle_evict_s: without a
 * cap of their own, a few silent connections reopened as they are cut off
 * would hold every slot and lock the control plane out. */
static unsigned hs_max(const struct agent *a)
{
	unsigned m = a->dp->cfg.agent.max_clients / 2;

	return m > 0 ? m : 1;
}

static unsigned handshakes(const struct agent *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->n_conn; i++)
		n += !a->conn[i]->dead && a->conn[i]->handshaking;
	return n;
}

static bool same_ip(const struct dp_ip *x, const struct dp_ip *y)
{
	return x->af != 0 && x->af == y->af && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

/* Handshakes under way from c's address. */
static unsigned handshakes_from(const struct agent *a, const struct agent_conn *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->n_conn; i++)
		n += !a->conn[i]->dead && a->conn[i]->handshaking && same_ip(&a->conn[i]->src.ip, &c->src.ip);
	return n;
}

/* Makes room by cutting off a client in its TLS handshake (why says for
 * what), chosen so that one address cannot cut off another's: the oldest
 * handshake of src's own address (a TLS client; NULL for one of the
 * socket) if it has one under way, else the oldest of the address that has
 * the most under way. A flood from one host then only ever displaces
 * itself, while control's handshake from its own address goes through;
 * under the cap nobody is cut off, so clients behind one address connect
 * side by side. A client that finished its handshake is never taken by
 * this. Marked only, as evict_idle. Returns whether one was. */
static bool evict_handshake(struct agent *a, const struct dp_ip *src, const char *why)
{
	struct agent_conn *k = NULL;
	unsigned kn = 0;

	for (unsigned i = 0; src != NULL && i < a->n_conn; i++) {
		struct agent_conn *c = a->conn[i];

		if (!c->dead && c->handshaking && same_ip(&c->src.ip, src) &&
		    (k == NULL || c->hs_deadline < k->hs_deadline))
			k = c;
	}
	if (k != NULL) {
		agent_conn_log(a, "connection %u from %s: cut off mid-handshake: a newer one "
			       "came from the same address (%s)", k->id, k->peer, why);
		a->mw->st->ctr[STATS_agent_tls_replaced]++;
		k->dead = true;
		return true;
	}
	for (unsigned i = 0; i < a->n_conn; i++) {
		struct agent_conn *c = a->conn[i];
		unsigned n;

		if (c->dead || !c->handshaking)
			continue;
		n = handshakes_from(a, c);
		if (k == NULL || n > kn || (n == kn && c->hs_deadline < k->hs_deadline)) {
			k = c;
			kn = n;
		}
	}
	if (k == NULL)
		return false;
	agent_conn_log(a, "connection %u from %s: cut off mid-handshake: %s", k->id, k->peer,
		       why);
	a->mw->st->ctr[STATS_agent_tls_evicted]++;
	k->dead = true;
	return true;
}

/* Whether one more client may be served, after making room if need be:
 * a TLS client past the cap of handshakes takes the place of one
 * (evict_handshake); any client with every slot taken takes the place of a
 * handshake, else of the client silent the longest (evict_idle). src: a
 * TLS client's address, NULL for one of the socket. */
static bool make_room(struct agent *a, const struct dp_ip *src)
{
	if (a->n_conn >= AGENT_CONN_MAX) /* the evicted are freed at the turn's end */
		return false;
	if (src != NULL && handshakes(a) >= hs_max(a))
		evict_handshake(a, src, "a newer one came with agent.max_clients / 2 handshakes "
				"under way");
	return live_conns(a) < a->dp->cfg.agent.max_clients ||
	       evict_handshake(a, src, "a newer client came with every slot taken") ||
	       evict_idle(a);
}

/* The address and port of a TCP peer (af 0 for anything else). */
static void peer_addr(const struct sockaddr_storage *ss, struct dp_addr *pa)
{
	memset(pa, 0, sizeof(*pa));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		pa->ip.af = 4;
		memcpy(pa->ip.a, &s4->sin_addr, 4);
		pa->port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		pa->ip.af = 6;
		memcpy(pa->ip.a, &s6->sin6_addr, 16);
		pa->port = ntohs(s6->sin6_port);
	}
}

/* Accepts from one listener: the Unix socket's lfd, or the TCP tfd. */
static void accept_some(struct agent *a, int lfd, bool tcp)
{
	for (unsigned k = 0; k < AGENT_ACCEPT_BURST; k++) {
		struct sockaddr_storage ss = {0};
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct dp_addr src;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				agent_conn_log(a, "accept: %s", strerror(errno)); /* EMFILE... */
			return;
		}
		peer_addr(&ss, &src);
		if (make_room(a, tcp ? &src.ip : NULL))
			conn_add(a, fd, tcp, &src);
		else
			refuse(a, fd, tcp);
	}
}

/* Frees the connections marked dead this turn. */
static void reap(struct agent *a)
{
	for (unsigned i = 0; i < a->n_conn;) {
		struct agent_conn *c = a->conn[i];

		if (!c->dead) {
			i++;
			continue;
		}
		agent_conn_log(a, "connection %u closed", c->id);
		conn_free(a, c);
		a->conn[i] = a->conn[--a->n_conn];
	}
}

/* ---- the module's API ---- */

/* agent_poll - see agent.h. Connections are freed only at the end of the
 * turn, so the pointers in this turn's epoll events stay valid. An event's
 * pointer is NULL for the Unix listener, a->tls for the TCP one, else the
 * connection's. */
bool agent_poll(struct agent *a)
{
	struct epoll_event ev[AGENT_CONN_MAX + 2];
	int n = epoll_wait(a->ep, ev, (int)RTE_DIM(ev), 0);
	bool busy = n > 0;

	uint64_t deadline = rte_rdtsc() + a->dp->tsc_hz / 1000000 * AGENT_TURN_US;
	unsigned first;

	for (int i = 0; i < n; i++) {
		struct agent_conn *c = ev[i].data.ptr;

		if (c == NULL)
			accept_some(a, a->lfd, false);
		else if (ev[i].data.ptr == (void *)a->tls)
			accept_some(a, a->tfd, true);
		else if (!c->dead && c->handshaking)
			c->readable = agent_tls_step(a, c);
		else if ((ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ||
			 (c->xp.ssl != NULL && (ev[i].events & EPOLLOUT)))
			c->readable = true; /* TLS may need to write to read */
	}
	/* TLS may hold bytes it decrypted past a read's room or budget: no
	 * event will tell of them */
	for (unsigned k = 0; k < a->n_conn; k++) {
		struct agent_conn *c = a->conn[k];

		if (!c->dead && !c->handshaking && (c->readable || ctl_xp_pending(&c->xp)))
			conn_read(a, c);
		c->readable = false;
	}
	agent_tls_expire(a);
	/* The turn's answering budget is shared: the main lcore also serves
	 * ARP/ND, exceptions and probes, so clients that pipeline requests
	 * (a snapshot of a large dataplane costs milliseconds) get at most
	 * AGENT_TURN_US between them, starting from a different connection
	 * each turn; past it the others only send what is already built. */
	first = a->n_conn ? a->turn++ % a->n_conn : 0;
	for (unsigned k = 0; k < a->n_conn; k++) {
		struct agent_conn *c = a->conn[(first + k) % a->n_conn];
		unsigned max = k == 0 || rte_rdtsc() < deadline ? AGENT_LINES_BURST : 0;

		busy |= conn_turn(a, c, max);
	}
	reap(a);
	return busy;
}

struct agent *agent_open(struct dp *dp)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	int rc;

	if (a == NULL) {
		fprintf(stderr, "sipedge: out of memory for the agent\n");
		errno = ENOMEM;
		return NULL;
	}
	/* Jansson seeds its hash tables from /dev/urandom on first use: here
	 * rather than in the middle of the first request */
	json_object_seed(0);
	a->dp = dp;
	a->mw = dp->workers[dp->n_workers];
	a->started = (int64_t)time(NULL);
	a->lfd = -1;
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	if (a->ep < 0) {
		rc = -errno;
		fprintf(stderr, "sipedge: agent: epoll_create1: %s\n", strerror(-rc));
		free(a);
		errno = -rc;
		return NULL;
	}
	a->tfd = -1;
	if (dp->cfg.agent.unix_socket && (rc = agent_sock_open(a, &dp->cfg)) != 0)
		goto fail;
	if (a->lfd >= 0 && epoll_ctl(a->ep, EPOLL_CTL_ADD, a->lfd, &ev) != 0)
		goto fail_epoll;
	if (dp->cfg.agent.listen.port != 0) {
		if ((rc = agent_tls_open(a, &dp->cfg)) != 0)
			goto fail;
		ev.data.ptr = a->tls;
		if (epoll_ctl(a->ep, EPOLL_CTL_ADD, a->tfd, &ev) != 0)
			goto fail_epoll;
	}
	agent_state_init(a);
	if (a->lfd >= 0)
		RTE_LOG(NOTICE, USER1, "agent: listening on %s (node %s, at most %u clients)\n",
			a->path, dp->cfg.node.name, dp->cfg.agent.max_clients);
	return a;
fail_epoll:
	rc = -errno;
	fprintf(stderr, "sipedge: agent: epoll_ctl: %s\n", strerror(-rc));
fail:
	agent_close(a);
	errno = -rc;
	return NULL;
}

void agent_reload_key(struct agent *a)
{
	if (a->tls != NULL)
		agent_tls_reload(a);
	else
		RTE_LOG(NOTICE, USER1, "agent: SIGHUP: no agent.listen, so no key to read again\n");
}

void agent_close(struct agent *a)
{
	if (a == NULL)
		return;
	for (unsigned i = 0; i < a->n_conn; i++)
		conn_free(a, a->conn[i]);
	a->n_conn = 0;
	agent_state_fini(a);
	agent_sock_close(a);
	agent_tls_close(a);
	if (a->ep >= 0)
		close(a->ep);
	free(a);
}
