/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_rules_push.c - rulesets to the dataplanes (docs/agent.md, "rules.*").
 *
 * A transfer takes one version's blob to one node: rules.begin, then
 * rules.chunk after rules.chunk, each sent when the one before it is
 * answered (so a blob of megabytes never sits whole in the link's buffer,
 * and the link's other requests, snapshots, go between), then rules.load:
 * the dataplane checks and prepares it, nothing is in force yet. There
 * the transfer waits ("loaded") for its op to say commit or abort. A node
 * runs one transfer at a time; the others queue behind it.
 *
 * An op is one operator change (rules load, rollback, unload, or the
 * config's rules.files), one at a time: its job (parse, compile), then a
 * transfer to every connected node; only when every one has loaded are
 * they all committed. If any node fails (refuses, or its link drops) the
 * others are aborted and every node keeps what it had: the reply says
 * which node said what. A node that is not connected is not waited for:
 * it gets the version when it connects.
 *
 * Resync: after a node's hello, and after every op, each node's slots are
 * compared with the versions wanted (and, when known, the blob's digest);
 * a node that differs gets a transfer of its own, committed as soon as it
 * has loaded. A version a node refused is not offered to it again until
 * another version is wanted or it reconnects.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <hs/hs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_codec.h"
#include "cp_rules.h"

enum xfer_kind {
	XF_PUSH = 1,
	XF_CLEAR,
};

enum xfer_state {
	XS_QUEUED = 1,
	XS_BEGIN,   /* rules.begin sent */
	XS_CHUNK,   /* a rules.chunk sent */
	XS_LOAD,    /* rules.load sent */
	XS_LOADED,  /* waiting for the op */
	XS_COMMIT,
	XS_ABORT,
	XS_CLEAR,
};

struct ctl_rs_xfer {
	struct ctl_node *n;
	struct ctl_rs_op *op; /* NULL: a resync */
	enum xfer_kind kind;
	enum xfer_state st;
	enum ctl_rs_slot slot;
	struct ctl_rs_ver *ver; /* busy while the transfer lives */
	struct ctl_rs_blob *blob;
	size_t off;
	size_t chunk; /* decoded bytes per rules.chunk */
	bool inflight; /* a request of ours waits for its reply */
	double load_ms; /* the dataplane's: deserializing and its scratches */
	struct ctl_rs_xfer *next;
};

enum op_state {
	OP_QUEUED = 1,
	OP_JOB,
	OP_PUSH,
	OP_COMMIT,
};

struct ctl_rs_op {
	struct ctl_rules *rs;
	enum ctl_rs_op_kind kind;
	enum ctl_rs_slot slot;
	enum op_state st;
	bool has_client;
	uint64_t client;
	json_t *id;
	json_t *paths;	     /* LOAD: the files */
	uint64_t from;	     /* ROLLBACK: the version whose sources go again */
	char *snap;	     /* the job's copy until adopted */
	struct ctl_rs_ver *ver;
	json_t *reply;	     /* members so far: version, counts, results... */
	json_t *results;     /* per node */
	unsigned waiting;    /* transfers that have not reported */
	bool failed;
	char err[700];
	struct ctl_rs_op *next;
};

static void op_next(struct ctl_rules *rs);
static void xfer_step(struct ctl_rs_xfer *x);
static void op_xfer_done(struct ctl_rs_op *op, struct ctl_rs_xfer *x, bool ok, const char *err);

/* ---- transfers ---- */

static bool connected(const struct ctl_node *n)
{
	return n->link == CTL_LINK_SYNC || n->link == CTL_LINK_UP;
}

/* Queues a transfer on its node; the first in the queue starts at once
 * (and may be over before this returns, when the link is down). */
static void xfer_new(struct ctl_node *n, struct ctl_rs_op *op, enum xfer_kind kind,
		     enum ctl_rs_slot slot, struct ctl_rs_ver *ver, struct ctl_rs_blob *blob)
{
	struct ctl_rs_xfer *x = calloc(1, sizeof(*x)), **pp;

	if (x == NULL) {
		if (op != NULL)
			op_xfer_done(op, &(struct ctl_rs_xfer){.n = n}, false, "out of memory");
		return;
	}
	x->n = n;
	x->op = op;
	x->kind = kind;
	x->st = XS_QUEUED;
	x->slot = slot;
	x->ver = ver;
	x->blob = blob;
	if (ver != NULL)
		ver->busy++;
	for (pp = &n->rs_xq; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = x;
	if (n->rs_xq == x)
		xfer_step(x);
}

/* The transfer is over: out of its node's queue, the next one starts, and
 * a node left idle is compared again (a resync may be due). */
static void xfer_free(struct ctl_rs_xfer *x)
{
	struct ctl_node *n = x->n;

	n->rs_xq = x->next;
	if (x->ver != NULL)
		x->ver->busy--;
	free(x);
	if (n->rs_xq != NULL)
		xfer_step(n->rs_xq);
	else
		ctl_rs_reconcile(n);
}

static const char *reply_err(json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	return r == NULL ? "link to the dataplane lost" : e != NULL ? e : "no reason given";
}

/* A resync's end: in force, or why not (kept for `nodes`). */
static void resync_done(struct ctl_rs_xfer *x, bool ok, const char *err, bool refused)
{
	struct ctl_node *n = x->n;

	if (ok) {
		n->rs_resyncs++;
		n->rs_pushes_ok++;
		n->rs_error[0] = '\0';
		ctl_log(CTL_LOG_NOTICE, "node %s: rules: %s %s", n->name,
			ctl_rs_slot_name(x->slot),
			x->kind == XF_CLEAR ? "cleared"
					    : "version pushed again (it had another)");
		return;
	}
	n->rs_pushes_failed++;
	snprintf(n->rs_error, sizeof(n->rs_error), "%s version %llu not in force: %s",
		 ctl_rs_slot_name(x->slot), x->ver != NULL ? (unsigned long long)x->ver->version : 0ull,
		 err);
	if (refused) /* UINT64_MAX: a clear it refused */
		n->rs_refused[x->slot] = x->ver != NULL ? x->ver->version : UINT64_MAX;
	ctl_log(CTL_LOG_ERR, "node %s: rules: %s", n->name, n->rs_error);
}

/* The node's slot holds what the transfer carried. */
static void have_it(struct ctl_rs_xfer *x)
{
	struct ctl_rs_have *h = &x->n->rs_have[x->slot];

	if (x->kind == XF_CLEAR) {
		memset(h, 0, sizeof(*h));
		return;
	}
	h->version = x->ver->version;
	h->n_rules = x->ver->n_rules;
	snprintf(h->sha256, sizeof(h->sha256), "%s", x->blob->sha256);
	json_object_set_new(x->ver->digests, x->blob->platform, json_string(x->blob->sha256));
	if (x->slot == CTL_RS_LIVE)
		x->ver->was_live = true;
}

/* The end of a request: commit, abort, clear. */
static void on_final(struct ctl_node *n, json_t *r, void *arg)
{
	struct ctl_rs_xfer *x = arg;
	bool ok = r != NULL && json_is_true(json_object_get(r, "ok"));
	const char *err = reply_err(r);

	(void)n;
	x->inflight = false;
	if (ok && x->st != XS_ABORT)
		have_it(x);
	if (x->st == XS_ABORT)
		; /* the op has its answer already */
	else if (x->op != NULL)
		op_xfer_done(x->op, x, ok, err);
	else
		resync_done(x, ok, err, r != NULL);
	xfer_free(x);
}

static void send_final(struct ctl_rs_xfer *x, enum xfer_state st)
{
	json_t *req;

	x->st = st;
	if (st == XS_CLEAR)
		req = json_pack("{s:s, s:s}", "cmd", "rules.clear", "slot",
				ctl_rs_slot_name(x->slot));
	else
		req = json_pack("{s:s, s:I}", "cmd", st == XS_COMMIT ? "rules.commit" : "rules.abort",
				"version", (json_int_t)x->ver->version);
	x->inflight = true;
	if (ctl_agent_send(x->n, req, on_final, x) < 0)
		on_final(x->n, NULL, x);
}

static void ignore_reply(struct ctl_node *n, json_t *r, void *arg)
{
	(void)n, (void)r, (void)arg;
}

/* A step of begin/chunk/load failed: the transfer ends here. */
static void xfer_fail(struct ctl_rs_xfer *x, json_t *r, const char *what)
{
	char err[600];

	x->inflight = false;
	snprintf(err, sizeof(err), "%s: %s", what, reply_err(r));
	if (x->op != NULL)
		op_xfer_done(x->op, x, false, err);
	else
		resync_done(x, false, err, r != NULL);
	/* what the dataplane holds of it is dropped by the next begin, or
	 * now when the link is still there */
	if (r != NULL && x->n->link != CTL_LINK_DOWN)
		ctl_agent_send(x->n, json_pack("{s:s, s:I}", "cmd", "rules.abort", "version",
					       (json_int_t)x->ver->version),
			       ignore_reply, NULL);
	xfer_free(x);
}

static void on_step(struct ctl_node *n, json_t *r, void *arg)
{
	struct ctl_rs_xfer *x = arg;
	json_t *ms;

	(void)n;
	x->inflight = false;
	if (r == NULL || !json_is_true(json_object_get(r, "ok"))) {
		xfer_fail(x, r, x->st == XS_BEGIN ? "rules.begin"
				: x->st == XS_CHUNK ? "rules.chunk"
						    : "rules.load");
		return;
	}
	if (x->st == XS_BEGIN) {
		/* the dataplane says how much a chunk may hold: the fewer
		 * round trips the better, within what our own line allows */
		json_t *cm = json_object_get(r, "chunk_max");

		x->chunk = CTL_RS_CHUNK;
		if (json_is_integer(cm) && json_integer_value(cm) >= 4096 &&
		    json_integer_value(cm) < (json_int_t)CTL_RS_CHUNK_MAX)
			x->chunk = (size_t)json_integer_value(cm);
		else if (json_is_integer(cm) && json_integer_value(cm) >= (json_int_t)CTL_RS_CHUNK_MAX)
			x->chunk = CTL_RS_CHUNK_MAX;
	}
	if (x->st != XS_LOAD) {
		xfer_step(x);
		return;
	}
	/* loaded: the dataplane holds it ready */
	ms = json_object_get(r, "load_ms");
	x->load_ms = json_is_number(ms) ? json_number_value(ms) : 0;
	x->st = XS_LOADED;
	if (x->op != NULL)
		op_xfer_done(x->op, x, true, NULL);
	else
		send_final(x, XS_COMMIT);
}

/* Sends the transfer's next request: begin, a chunk, or load. */
static void xfer_step(struct ctl_rs_xfer *x)
{
	json_t *req;
	char *b64 = NULL;

	if (x->kind == XF_CLEAR) {
		send_final(x, XS_CLEAR);
		return;
	}
	if (x->st == XS_QUEUED) {
		x->st = XS_BEGIN;
		req = json_pack("{s:s, s:s, s:I, s:I}", "cmd", "rules.begin", "slot",
				ctl_rs_slot_name(x->slot), "version", (json_int_t)x->ver->version,
				"size", (json_int_t)x->blob->len);
	} else if (x->off < x->blob->len) {
		size_t len = x->blob->len - x->off < x->chunk ? x->blob->len - x->off : x->chunk;

		b64 = malloc(CTL_B64_LEN(len) + 1);
		if (b64 == NULL) {
			xfer_fail(x, NULL, "rules.chunk: out of memory");
			return;
		}
		x->st = XS_CHUNK;
		ctl_b64_encode((const char *)x->blob->data + x->off, len, b64);
		req = json_pack("{s:s, s:I, s:I, s:s}", "cmd", "rules.chunk", "version",
				(json_int_t)x->ver->version, "off", (json_int_t)x->off, "data", b64);
		free(b64);
		x->off += len;
	} else {
		x->st = XS_LOAD;
		req = json_pack("{s:s, s:I, s:s}", "cmd", "rules.load", "version",
				(json_int_t)x->ver->version, "sha256", x->blob->sha256);
	}
	x->inflight = true;
	if (req == NULL || ctl_agent_send(x->n, req, on_step, x) < 0)
		on_step(x->n, NULL, x);
}

void ctl_rs_link_down(struct ctl_node *n)
{
	/* A transfer with a request out hears of it from that request's
	 * callback; one that waits for its op (loaded) has none out. */
	if (n->rs_xq != NULL && !n->rs_xq->inflight && n->rs_xq->st == XS_LOADED) {
		struct ctl_rs_xfer *x = n->rs_xq;

		x->st = XS_ABORT; /* nothing to send: the link is gone */
		if (x->op != NULL)
			op_xfer_done(x->op, x, false, "link to the dataplane lost while loaded");
		xfer_free(x);
	}
}

/* ---- resync ---- */

/* Whether node n's slot s holds version w (the blob for its platform, when
 * we know that blob's digest). */
static bool in_step(struct ctl_rules *rs, struct ctl_node *n, unsigned s, struct ctl_rs_ver *v)
{
	struct ctl_rs_platform p;
	const char *d;

	if (n->rs_have[s].version != v->version)
		return false;
	ctl_rs_node_platform(rs, n, &p);
	d = json_string_value(json_object_get(v->digests, p.key));
	return d == NULL || n->rs_have[s].sha256[0] == '\0' || strcmp(d, "failed") == 0 ||
	       strcmp(d, n->rs_have[s].sha256) == 0;
}

static bool in_op(const struct ctl_rules *rs, const struct ctl_node *n)
{
	const struct ctl_rs_xfer *x;

	(void)rs;
	for (x = n->rs_xq; x != NULL; x = x->next)
		if (x->op != NULL)
			return true;
	return false;
}

void ctl_rs_reconcile(struct ctl_node *n)
{
	struct ctl_rules *rs = n->cp->rules;
	unsigned s;

	if (rs == NULL || !connected(n) || n->hello == NULL || n->rs_xq != NULL || in_op(rs, n))
		return;
	/* an op in its push: its own transfers decide for the nodes in it,
	 * and the others are compared once it is over */
	if (rs->ocur != NULL && rs->ocur->st >= OP_PUSH)
		return;
	for (s = 0; s < CTL_RS__SLOTS; s++) {
		struct ctl_rs_ver *v;
		struct ctl_rs_blob *b;

		if (!rs->managed[s])
			continue;
		if (rs->want[s] == 0) {
			if (n->rs_have[s].version != 0 && n->rs_refused[s] != UINT64_MAX) {
				xfer_new(n, NULL, XF_CLEAR, (enum ctl_rs_slot)s, NULL, NULL);
				return;
			}
			continue;
		}
		v = ctl_rs_find(rs, rs->want[s]);
		if (v == NULL || in_step(rs, n, s, v) || n->rs_refused[s] == v->version)
			continue;
		b = ctl_rs_blob_for(v, n);
		if (b == NULL) {
			ctl_rs_want_platform(rs, v, n);
			continue;
		}
		ctl_log(CTL_LOG_NOTICE, "node %s: rules: %s has version %llu, version %llu wanted: "
			"pushing it", n->name, ctl_rs_slot_name((enum ctl_rs_slot)s),
			(unsigned long long)n->rs_have[s].version, (unsigned long long)v->version);
		xfer_new(n, NULL, XF_PUSH, (enum ctl_rs_slot)s, v, b);
		return; /* one at a time: the other slot when this one is over */
	}
}

void ctl_rs_reconcile_all(struct ctl_rules *rs)
{
	struct ctl_node *n;

	for (n = rs->cp->nodes; n != NULL; n = n->next)
		ctl_rs_reconcile(n);
}

/* hello's "hyperscan" and "rules": the node's platform and what it has. */
void ctl_rs_hello(struct ctl_node *n, json_t *hello)
{
	json_t *hs = json_object_get(hello, "hyperscan"), *rules = json_object_get(hello, "rules");
	unsigned s;

	n->rs_platform[0] = '\0';
	if (json_is_object(hs) && json_is_string(json_object_get(hs, "version"))) {
		n->rs_cpu_features = (uint64_t)json_integer_value(json_object_get(hs, "cpu_features"));
		n->rs_tune = (unsigned)json_integer_value(json_object_get(hs, "tune"));
		snprintf(n->rs_hs_version, sizeof(n->rs_hs_version), "%s",
			 json_string_value(json_object_get(hs, "version")));
		ctl_rs_platform_key(n->rs_platform, sizeof(n->rs_platform), n->rs_hs_version,
				    n->rs_cpu_features, n->rs_tune);
	}
	for (s = 0; s < CTL_RS__SLOTS; s++) {
		json_t *e = json_object_get(rules, ctl_rs_slot_name((enum ctl_rs_slot)s));
		const char *sha = json_string_value(json_object_get(e, "sha256"));

		memset(&n->rs_have[s], 0, sizeof(n->rs_have[s]));
		n->rs_refused[s] = 0;
		if (!json_is_object(e))
			continue;
		n->rs_have[s].version = (uint64_t)json_integer_value(json_object_get(e, "version"));
		n->rs_have[s].n_rules = (uint32_t)json_integer_value(json_object_get(e, "n_rules"));
		snprintf(n->rs_have[s].sha256, sizeof(n->rs_have[s].sha256), "%s",
			 sha != NULL ? sha : "");
		/* never give a number the dataplane already knows another way */
		if (n->cp->rules != NULL && n->rs_have[s].version >= n->cp->rules->next_version &&
		    n->rs_have[s].version < UINT64_MAX - 1)
			n->cp->rules->next_version = n->rs_have[s].version + 1;
	}
	n->rs_error[0] = '\0';
	ctl_rs_reconcile(n);
}

/* ---- ops ---- */

static void op_free(struct ctl_rs_op *op)
{
	if (op->ver != NULL)
		op->ver->busy--;
	if (op->snap != NULL)
		ctl_rs_rm_tree(op->snap);
	free(op->snap);
	json_decref(op->id);
	json_decref(op->paths);
	json_decref(op->reply);
	json_decref(op->results);
	free(op);
}

/* The op is over: its reply (a config op logs instead), the next op, and a
 * resync of every node (those that connected meanwhile). */
static void op_end(struct ctl_rs_op *op)
{
	struct ctl_rules *rs = op->rs;
	json_t *r;

	json_object_set(op->reply, "results", op->results);
	if (op->failed) {
		r = ctl_reply_error(op->id, op->err);
		json_object_update_missing(r, op->reply);
		rs->loads_failed++;
	} else {
		r = json_pack("{s:O, s:b}", "id", op->id, "ok", 1);
		json_object_update_missing(r, op->reply);
		rs->loads_ok++;
	}
	if (op->has_client) {
		ctl_sock_reply(rs->cp, op->client, r);
	} else {
		if (op->failed)
			ctl_log(CTL_LOG_ERR, "rules: %s", op->err);
		json_decref(r);
	}
	if (rs->ocur == op)
		rs->ocur = NULL;
	op_free(op);
	ctl_rs_prune(rs);
	ctl_state_save(rs->cp);
	op_next(rs);
	ctl_rs_reconcile_all(rs);
}

static void op_fail(struct ctl_rs_op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void op_fail(struct ctl_rs_op *op, const char *fmt, ...)
{
	va_list ap;

	if (op->failed)
		return;
	op->failed = true;
	va_start(ap, fmt);
	vsnprintf(op->err, sizeof(op->err), fmt, ap);
	va_end(ap);
}

static void op_result(struct ctl_rs_op *op, struct ctl_node *n, json_t *res)
{
	json_object_set_new(res, "node", json_string(n->name));
	json_array_append_new(op->results, res);
}

/* Commits (or clears) went out; every reply is in. */
static void op_committed(struct ctl_rs_op *op)
{
	struct ctl_rules *rs = op->rs;

	if (op->ver != NULL)
		ctl_rs_meta_save(rs, op->ver); /* the digests sent */
	if (op->failed)
		ctl_log(CTL_LOG_ERR, "rules: %s", op->err);
	else if (op->ver != NULL)
		ctl_log(CTL_LOG_NOTICE, "rules: version %llu in force as the %s ruleset (%u rules)",
			(unsigned long long)op->ver->version, ctl_rs_slot_name(op->slot),
			op->ver->n_rules);
	op_end(op);
}

/* Every transfer has loaded, or one failed: commit all, or abort all. */
static void op_decide(struct ctl_rs_op *op)
{
	struct ctl_rules *rs = op->rs;
	uint64_t before = rs->want[op->slot];
	bool managed = rs->managed[op->slot];
	struct ctl_node *n;

	if (!op->failed) {
		/* wanted before it is committed: if control dies between the
		 * commits, the resync finishes the job */
		rs->want[op->slot] = op->ver->version;
		rs->managed[op->slot] = true;
		if (ctl_state_save(rs->cp) < 0) {
			rs->want[op->slot] = before;
			rs->managed[op->slot] = managed;
			op_fail(op, "version %llu: state file not written (see the log): aborted on "
				    "every node, version %llu stays in force",
				(unsigned long long)op->ver->version, (unsigned long long)before);
		}
	}
	op->st = OP_COMMIT;
	for (n = rs->cp->nodes; n != NULL; n = n->next) {
		struct ctl_rs_xfer *x = n->rs_xq;

		if (x == NULL || x->op != op || x->st != XS_LOADED)
			continue;
		if (op->failed) {
			json_t *res = json_pack("{s:b, s:b}", "ok", 0, "aborted", 1);

			op_result(op, n, res);
			x->op = NULL; /* the op answers now; the abort goes on alone */
			send_final(x, XS_ABORT);
		} else {
			op->waiting++;
			send_final(x, XS_COMMIT);
		}
	}
	if (op->failed) {
		op->ver->refused = true;
		ctl_rs_meta_save(rs, op->ver);
		op_end(op);
	} else if (op->waiting == 0) {
		op_committed(op);
	}
}

static void op_xfer_done(struct ctl_rs_op *op, struct ctl_rs_xfer *x, bool ok, const char *err)
{
	struct ctl_node *n = x->n;

	if (op->st == OP_COMMIT) {
		/* a commit or a clear answered */
		json_t *res = json_pack("{s:b}", "ok", ok);

		if (ok && x->kind == XF_PUSH)
			json_object_set_new(res, "version", json_integer((json_int_t)x->ver->version));
		if (ok && x->kind == XF_PUSH)
			json_object_set_new(res, "load_ms", json_real(x->load_ms));
		if (ok && x->kind == XF_CLEAR)
			json_object_set_new(res, "cleared", json_true());
		if (!ok) {
			json_object_set_new(res, "error", json_string(err));
			op_fail(op, "node %s: %s (the others have it in force: it is pushed again "
				    "when the node reconnects)",
				n->name, err);
		}
		if (ok)
			n->rs_pushes_ok++;
		else
			n->rs_pushes_failed++;
		op_result(op, n, res);
		if (--op->waiting == 0)
			op_committed(op);
		return;
	}
	if (!ok) {
		json_t *res = json_pack("{s:b, s:s}", "ok", 0, "error", err);

		op_result(op, n, res);
		n->rs_pushes_failed++;
		op_fail(op, "version %llu not loaded on node %s: %s; nothing changed anywhere, the "
			    "%s ruleset in force stays",
			(unsigned long long)op->ver->version, n->name, err,
			ctl_rs_slot_name(op->slot));
	}
	if (--op->waiting == 0)
		op_decide(op);
}

/* The push: a transfer to every connected node (a clear for an unload). */
static void op_push(struct ctl_rs_op *op)
{
	struct ctl_rules *rs = op->rs;
	struct ctl_node *n;

	/* an unload has nothing to load first: its clears are the commits */
	op->st = op->kind == CTL_RS_OP_UNLOAD ? OP_COMMIT : OP_PUSH;
	op->waiting = 1; /* while starting them */
	for (n = rs->cp->nodes; n != NULL; n = n->next) {
		struct ctl_rs_blob *b = NULL;

		if (!connected(n) || n->hello == NULL) {
			op_result(op, n, json_pack("{s:b, s:b}", "ok", 1, "pending", 1));
			continue;
		}
		if (op->kind == CTL_RS_OP_UNLOAD) {
			if (n->rs_have[op->slot].version == 0)
				continue;
			op->waiting++;
			xfer_new(n, op, XF_CLEAR, op->slot, NULL, NULL);
			continue;
		}
		b = ctl_rs_blob_for(op->ver, n);
		if (b == NULL) {
			struct ctl_rs_platform p;

			ctl_rs_node_platform(rs, n, &p);
			op_result(op, n, json_pack("{s:b, s:s}", "ok", 0, "error",
						   "not compiled for its platform"));
			op_fail(op, "version %llu: node %s: not compiled for its platform %s "
				    "(Hyperscan %s here): nothing changed anywhere",
				(unsigned long long)op->ver->version, n->name, p.key, hs_version());
			continue;
		}
		op->waiting++;
		xfer_new(n, op, XF_PUSH, op->slot, op->ver, b);
	}
	if (op->kind == CTL_RS_OP_UNLOAD) {
		if (--op->waiting == 0)
			op_committed(op);
		return;
	}
	if (--op->waiting == 0)
		op_decide(op);
}

static void on_op_job(struct ctl_rules *rs, struct ctl_rs_job *j)
{
	struct ctl_rs_op *op = j->arg;
	char err[600], origin[160];

	if (j->rc < 0) {
		json_object_set_new(op->reply, "diagnostics", ctl_rs_diags_json(j));
		if (j->d.more > 0)
			json_object_set_new(op->reply, "diagnostics_more",
					    json_integer(j->d.more));
		op_fail(op, "%s: %u error%s%s%s; nothing was pushed, the %s ruleset in force stays",
			op->kind == CTL_RS_OP_ROLLBACK ? "rules.rollback" : "rules.load",
			j->d.n + j->d.more, j->d.n + j->d.more == 1 ? "" : "s",
			j->d.n > 0 ? ", the first: " : ": ", j->d.n > 0 ? j->d.v[0] : j->err,
			ctl_rs_slot_name(op->slot));
		op_end(op);
		return;
	}
	if (op->kind == CTL_RS_OP_ROLLBACK)
		snprintf(origin, sizeof(origin), "rollback to %llu", (unsigned long long)op->from);
	else
		snprintf(origin, sizeof(origin), "%s", op->has_client ? "rules.load" : "rules.files");
	op->ver = ctl_rs_adopt(rs, j, origin, err, sizeof(err));
	if (op->ver == NULL) {
		op_fail(op, "%s; nothing was pushed", err);
		op_end(op);
		return;
	}
	free(op->snap); /* renamed: it is the version's now */
	op->snap = NULL;
	op->ver->busy++;
	ctl_state_save(rs->cp); /* the number is taken */
	json_object_set_new(op->reply, "version", json_integer((json_int_t)op->ver->version));
	json_object_set_new(op->reply, "n_rules", json_integer(op->ver->n_rules));
	json_object_set_new(op->reply, "files", json_incref(op->ver->files));
	json_object_set_new(op->reply, "compile_ms",
			    json_integer((json_int_t)(op->ver->st.compile_ns / 1000000)));
	json_object_set_new(op->reply, "blob_bytes", json_integer((json_int_t)op->ver->st.blob_bytes));
	json_object_set_new(op->reply, "job_ms", json_integer((json_int_t)j->ms));
	if (!op->has_client)
		ctl_rs_config_applied(rs, op->slot, op->paths);
	op_push(op);
}

/* The platforms to compile for: this host's, and each connected node's. */
static void job_platforms(struct ctl_rules *rs, struct ctl_rs_job *j)
{
	struct ctl_node *n;
	unsigned i;

	j->plat[0] = rs->host;
	j->nplat = 1;
	for (n = rs->cp->nodes; n != NULL; n = n->next) {
		struct ctl_rs_platform p;

		if (!connected(n))
			continue;
		ctl_rs_node_platform(rs, n, &p);
		for (i = 0; i < j->nplat && strcmp(j->plat[i].key, p.key) != 0; i++)
			;
		if (i == j->nplat && j->nplat < CTL_RS_PLATFORMS_MAX)
			j->plat[j->nplat++] = p;
	}
}

static void op_run(struct ctl_rs_op *op)
{
	struct ctl_rules *rs = op->rs;
	struct ctl_rs_job *j;
	struct ctl_rs_ver *from = NULL;
	json_t *t;
	size_t i;

	if (op->kind == CTL_RS_OP_UNLOAD) {
		uint64_t before = rs->want[op->slot];

		rs->want[op->slot] = 0;
		rs->managed[op->slot] = true;
		if (ctl_state_save(rs->cp) < 0) {
			rs->want[op->slot] = before;
			op_fail(op, "state file not written (see the log): nothing changed");
			op_end(op);
			return;
		}
		json_object_set_new(op->reply, "was", json_integer((json_int_t)before));
		op_push(op);
		return;
	}
	op->st = OP_JOB;
	j = ctl_rs_job_new(CTL_RS_JOB_LOAD);
	op->snap = ctl_rs_tmp_dir(rs);
	if (j == NULL || op->snap == NULL) {
		ctl_rs_job_free(j);
		op_fail(op, "%s/rules: cannot make a directory there: %s", rs->cp->cfg.state_dir,
			strerror(errno));
		op_end(op);
		return;
	}
	j->snap = strdup(op->snap);
	if (op->kind == CTL_RS_OP_ROLLBACK) {
		from = ctl_rs_find(rs, op->from);
		j->paths = calloc(json_array_size(from->top) + 1, sizeof(char *));
		json_array_foreach(from->top, i, t)
			if (j->paths != NULL &&
			    asprintf(&j->paths[j->npaths], "%s/src%s", from->dir,
				     json_string_value(t)) >= 0)
				j->npaths++;
		if (asprintf(&j->strip, "%s/src", from->dir) < 0)
			j->strip = NULL;
	} else {
		j->paths = calloc(json_array_size(op->paths) + 1, sizeof(char *));
		json_array_foreach(op->paths, i, t)
			if (j->paths != NULL && (j->paths[j->npaths] = strdup(json_string_value(t))))
				j->npaths++;
		j->strip = strdup("");
	}
	j->opts.max_bytes = (uint64_t)rs->cp->cfg.rules_max_bytes;
	job_platforms(rs, j);
	j->done = on_op_job;
	j->arg = op;
	ctl_rs_job_queue(rs, j);
}

static void op_next(struct ctl_rules *rs)
{
	struct ctl_rs_op *op;

	if (rs->ocur != NULL || (op = rs->oq) == NULL)
		return;
	rs->oq = op->next;
	op->next = NULL;
	rs->ocur = op;
	op_run(op);
}

enum ctl_result ctl_rs_op_start(struct ctl_rules *rs, struct ctl_req *r, enum ctl_rs_op_kind kind,
				enum ctl_rs_slot slot, json_t *paths, uint64_t from)
{
	struct ctl_rs_op *op = calloc(1, sizeof(*op)), **pp;

	if (op == NULL) {
		if (r != NULL)
			snprintf(r->err, sizeof(r->err), "out of memory");
		return CTL_R_ERR;
	}
	op->rs = rs;
	op->kind = kind;
	op->slot = slot;
	op->st = OP_QUEUED;
	op->has_client = r != NULL;
	op->client = r != NULL ? r->client : 0;
	op->id = json_incref(r != NULL ? r->id : json_null());
	op->paths = json_incref(paths);
	op->from = from;
	op->reply = json_pack("{s:s}", "slot", ctl_rs_slot_name(slot));
	op->results = json_array();
	for (pp = &rs->oq; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = op;
	op_next(rs);
	return CTL_R_LATER;
}

void ctl_rs_ops_stop(struct ctl_rules *rs)
{
	struct ctl_rs_op *op;

	/* shutdown: no reply, the clients are gone */
	while ((op = rs->oq) != NULL) {
		rs->oq = op->next;
		op_free(op);
	}
	if (rs->ocur != NULL) {
		op_free(rs->ocur);
		rs->ocur = NULL;
	}
}
