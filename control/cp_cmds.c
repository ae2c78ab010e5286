/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_cmds.c - the one table of control socket commands: name, access
 * level, arguments, help and handler (docs/control.md is written from it;
 * `help` returns it). The dispatcher checks the request against the row
 * (id, cmd, access, each argument's presence, type and range) so that a
 * handler only ever sees valid arguments, and every refusal is worded the
 * same way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cp_cmds.h"

const char *const ctl_bad_names[CTL_BAD__COUNT] = {
#define X(id, help) #id,
	CTL_BAD_REASONS(X)
#undef X
};
const char *const ctl_bad_help[CTL_BAD__COUNT] = {
#define X(id, help) help,
	CTL_BAD_REASONS(X)
#undef X
};

json_t *ctl_reply_error(json_t *id, const char *err)
{
	return json_pack("{s:O, s:b, s:s}", "id", id != NULL ? id : json_null(), "ok", 0, "error",
			 err);
}

static enum ctl_result fail(struct ctl_req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static enum ctl_result fail(struct ctl_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return CTL_R_ERR;
}

static const char *arg_str(struct ctl_req *r, const char *name)
{
	return json_string_value(json_object_get(r->msg, name));
}

/* ---- read commands ---- */

static enum ctl_result cmd_ping(struct ctl_req *r)
{
	(void)r;
	return CTL_R_OK;
}

static unsigned nodes_up(const struct ctl_cp *cp)
{
	const struct ctl_node *n;
	unsigned k = 0;

	for (n = cp->nodes; n != NULL; n = n->next)
		k += n->link == CTL_LINK_UP;
	return k;
}

static unsigned nodes_count(const struct ctl_cp *cp)
{
	const struct ctl_node *n;
	unsigned k = 0;

	for (n = cp->nodes; n != NULL; n = n->next)
		k++;
	return k;
}

static enum ctl_result cmd_status(struct ctl_req *r)
{
	struct ctl_cp *cp = r->cp;

	json_object_set_new(r->reply, "version", json_string(SIPEDGE_VERSION));
	json_object_set_new(r->reply, "pid", json_integer(getpid()));
	json_object_set_new(r->reply, "started", json_integer((json_int_t)cp->started_s));
	json_object_set_new(r->reply, "uptime_s",
			    json_integer((json_int_t)((ctl_now_ms() - cp->started_ms) / 1000)));
	json_object_set_new(r->reply, "config", json_string(cp->cfg_path));
	json_object_set_new(r->reply, "state_dir", json_string(cp->cfg.state_dir));
	json_object_set_new(r->reply, "nodes", json_integer(nodes_count(cp)));
	json_object_set_new(r->reply, "nodes_up", json_integer(nodes_up(cp)));
	json_object_set_new(r->reply, "control", ctl_stats_daemon(cp));
	return CTL_R_OK;
}

static json_t *node_json(const struct ctl_node *n)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "name", n->name, "socket",
			      n->socket, "address", n->where.address, "link", ctl_link_name(n->link),
			      "link_for_ms",
			      (json_int_t)(ctl_now_ms() - n->link_since_ms), "last_error",
			      n->last_error);

	json_object_set_new(o, "dataplane", n->hello != NULL ? json_deep_copy(n->hello)
							       : json_null());
	json_object_set_new(o, "state",
			    json_pack("{s:I, s:I, s:b, s:b}", "wanted_version",
				      (json_int_t)n->version, "dataplane_version",
				      (json_int_t)n->dp_state_version, "in_step",
				      !n->dirty && n->link == CTL_LINK_UP, "pushing", n->pushing));
	json_object_set_new(o, "counters",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "connects",
				      (json_int_t)n->connects, "disconnects",
				      (json_int_t)n->disconnects, "connect_failures",
				      (json_int_t)n->connect_failures, "snapshots",
				      (json_int_t)n->snapshots, "pushes_ok",
				      (json_int_t)n->pushes_ok, "pushes_failed",
				      (json_int_t)n->pushes_failed, "resyncs", (json_int_t)n->resyncs,
				      "agent_errors", (json_int_t)n->agent_errors, "rollbacks",
				      (json_int_t)n->rollbacks));
	return o;
}

/* The node named by the optional "node" argument, or NULL for all; an
 * unknown name is an error. */
int ctl_req_node(struct ctl_req *r, struct ctl_node **out)
{
	const char *name = arg_str(r, "node");

	*out = NULL;
	if (name == NULL)
		return 0;
	*out = ctl_node_find(r->cp, name);
	if (*out == NULL) {
		snprintf(r->err, sizeof(r->err), "node \"%s\": no such node (`nodes` lists them)",
			 name);
		return -ENOENT;
	}
	return 0;
}

static enum ctl_result cmd_nodes(struct ctl_req *r)
{
	json_t *arr = json_array();
	struct ctl_node *n, *only;

	if (ctl_req_node(r, &only) < 0) {
		json_decref(arr);
		return CTL_R_ERR;
	}
	for (n = r->cp->nodes; n != NULL; n = n->next)
		if (only == NULL || n == only)
			json_array_append_new(arr, node_json(n));
	json_object_set_new(r->reply, "nodes", arr);
	return CTL_R_OK;
}

static enum ctl_result cmd_stats(struct ctl_req *r)
{
	json_t *arr = json_array();
	struct ctl_node *n, *only;

	if (ctl_req_node(r, &only) < 0) {
		json_decref(arr);
		return CTL_R_ERR;
	}
	for (n = r->cp->nodes; n != NULL; n = n->next)
		if (only == NULL || n == only)
			json_array_append_new(arr, ctl_stats_node(n));
	json_object_set_new(r->reply, "nodes", arr);
	json_object_set_new(r->reply, "control", ctl_stats_daemon(r->cp));
	return CTL_R_OK;
}

/* One backend row: what the dataplane last said, what control wants. */
static json_t *backend_row(const struct ctl_node *n, const char *name, json_t *seen)
{
	json_t *want = json_object_get(n->backends, name);
	json_t *cur = json_object_get(json_object_get(n->cur, "backends"), name);
	json_t *rate = json_object_get(json_object_get(json_object_get(n->rates, "backends"), name),
				       "requests");
	json_t *o = json_pack("{s:s, s:s}", "node", n->name, "name", name);

	json_object_set(o, "up", seen != NULL ? json_object_get(seen, "up") : json_null());
	json_object_set(o, "admin", seen != NULL ? json_object_get(seen, "admin") : json_null());
	json_object_set(o, "weight", seen != NULL ? json_object_get(seen, "weight") : json_null());
	json_object_set_new(o, "wanted", want != NULL ? json_deep_copy(want) : json_object());
	json_object_set(o, "requests",
			json_object_get(cur, "requests") != NULL ? json_object_get(cur, "requests")
								 : json_null());
	json_object_set(o, "requests_per_s", rate != NULL ? rate : json_null());
	return o;
}

static void node_backends(const struct ctl_node *n, json_t *arr)
{
	json_t *be, *seen = json_object();
	const char *name;
	size_t i;

	json_array_foreach(json_object_get(n->snap, "backends"), i, be) {
		name = json_string_value(json_object_get(be, "name"));
		if (name == NULL)
			continue;
		json_object_set_new(seen, name, json_true());
		json_array_append_new(arr, backend_row(n, name, be));
	}
	/* wanted but never seen (node not connected yet): still listed */
	json_object_foreach(n->backends, name, be)
		if (json_object_get(seen, name) == NULL)
			json_array_append_new(arr, backend_row(n, name, NULL));
	json_decref(seen);
}

static enum ctl_result cmd_backends(struct ctl_req *r)
{
	json_t *arr = json_array();
	struct ctl_node *n, *only;

	if (ctl_req_node(r, &only) < 0) {
		json_decref(arr);
		return CTL_R_ERR;
	}
	for (n = r->cp->nodes; n != NULL; n = n->next)
		if (only == NULL || n == only)
			node_backends(n, arr);
	json_object_set_new(r->reply, "backends", arr);
	return CTL_R_OK;
}

/* ---- backend changes: a state push to every node that has it ---- */

/* One operator command's push to several nodes, answered when the last
 * node's push is over. The value it set is one json_t, put in each target
 * node's entry by reference: while that entry's field is still this very
 * value, no later command has set it, and only then is it this op's to
 * take back. */
struct ctl_push_op {
	struct ctl_cp *cp;
	uint64_t client;
	json_t *id;
	json_t *results;
	json_t *undo;  /* node -> {"entry": its wanted entry before, or null, "dirty"} */
	json_t *value; /* what it set (a reference held) */
	char field[16];
	char be[64];
	unsigned remaining; /* nodes still pushing, +1 while starting them */
	unsigned committed; /* nodes that have it in force */
	unsigned pending;   /* nodes down: they get it when they reconnect */
	uint64_t hist_seq;  /* its entry in the history (cp_history.c), 0 none */
	struct ctl_timer t_back;
	json_t *taken_back; /* the results of taking it back, or NULL */
	const char *not_back; /* why it was not taken back, or NULL */
	bool failed;
	char first_err[300];
	char what[160];
	/* A node refused: take this op's change back there; returns whether
	 * the wanted state changed (then it is saved). NULL: nothing to take
	 * back (the change stays wanted, and `nodes` says it is refused). */
	bool (*refused)(struct ctl_push_op *op, struct ctl_node *n);
};

/* Whether the node has a backend of that name, as far as we know. */
static bool node_has_backend(const struct ctl_node *n, const char *name)
{
	json_t *be;
	size_t i;

	if (json_object_get(n->backends, name) != NULL)
		return true;
	json_array_foreach(json_object_get(n->hello, "backends"), i, be)
		if ((json_is_string(be) && strcmp(json_string_value(be), name) == 0) ||
		    (json_is_object(be) &&
		     json_is_string(json_object_get(be, "name")) &&
		     strcmp(json_string_value(json_object_get(be, "name")), name) == 0))
			return true;
	json_array_foreach(json_object_get(n->snap, "backends"), i, be)
		if (json_is_string(json_object_get(be, "name")) &&
		    strcmp(json_string_value(json_object_get(be, "name")), name) == 0)
			return true;
	return false;
}

static json_t *op_reply(struct ctl_push_op *op)
{
	json_t *reply = json_pack("{s:O, s:b, s:O}", "id", op->id, "ok", !op->failed, "results",
				  op->results);

	if (op->taken_back != NULL) {
		json_object_set(reply, "taken_back", op->taken_back);
		json_object_set_new(reply, "error",
				    json_sprintf("%s; taken back on every node (history #%llu "
						 "rolled back)", op->first_err,
						 (unsigned long long)op->hist_seq));
	} else if (op->not_back != NULL) {
		json_object_set_new(reply, "diverged", json_true());
		json_object_set_new(reply, "error",
				    json_sprintf("%s; the nodes that have it in force keep it: %s",
						 op->first_err, op->not_back));
	} else if (op->failed) {
		json_object_set_new(reply, "error", json_string(op->first_err));
	}
	return reply;
}

static void op_free(struct ctl_push_op *op)
{
	json_decref(op->id);
	json_decref(op->results);
	json_decref(op->undo);
	json_decref(op->value);
	json_decref(op->taken_back);
	free(op);
}

static void op_answer(struct ctl_push_op *op)
{
	ctl_sock_reply(op->cp, op->client, op_reply(op));
	op_free(op);
}

static void op_taken_back(json_t *results, void *arg)
{
	struct ctl_push_op *op = arg;

	op->taken_back = json_incref(results);
	op_answer(op);
}

static void op_take_back(struct ctl_timer *t)
{
	struct ctl_push_op *op = t->ctx;
	int rc = ctl_hist_take_back(op->cp, op->hist_seq, op->first_err, op_taken_back, op);

	if (rc == 0)
		return; /* op_taken_back answers */
	op->not_back = rc == -EBUSY ? "a later change or rollback came meanwhile, so it was not "
				      "taken back (`sipedgectl state` shows it; `state rollback` "
				      "undoes it)"
				    : "it could not be taken back (see the log)";
	ctl_log(CTL_LOG_WARNING, "%s: in force on %u node(s), pending on %u, refused by "
		"another: %s", op->what, op->committed, op->pending, op->not_back);
	op_answer(op);
}

/* Every node's push is over. A change that some nodes refused and others
 * put in force, or will on reconnect (pending: it is what control wants
 * there), would leave them diverged: it is taken out of what every node
 * wants, and the ones that have it roll it back (cp_history.c:
 * state.rollback where they keep the state before), so that an
 * operator's change is in force on all of its nodes or on none. On the
 * loop's next turn: this runs inside the last node's push_end, which goes
 * on to start that node's next push. */
static void op_over(struct ctl_push_op *op)
{
	if (op->failed && op->committed + op->pending > 0 && op->hist_seq != 0) {
		op->t_back.cb = op_take_back;
		op->t_back.ctx = op;
		ctl_timer_arm(op->cp->loop, &op->t_back, 0);
		return;
	}
	op_answer(op);
}

/* The state file was not written: the node's entry and dirty flag as they
 * were before this op, so that nothing in memory differs from the file. */
static void undo_all(struct ctl_push_op *op, struct ctl_node *n)
{
	json_t *u = json_object_get(op->undo, n->name), *old = json_object_get(u, "entry");

	if (json_is_object(old))
		json_object_set(n->backends, op->be, old);
	else
		json_object_del(n->backends, op->be);
	n->dirty = json_is_true(json_object_get(u, "dirty"));
}

/* The dataplane refused the push: this op's field back to what it was,
 * unless a later command has set it since (pushes merge: that command's
 * value is its own to keep or take back). Returns whether it changed. */
static bool undo_field(struct ctl_push_op *op, struct ctl_node *n)
{
	json_t *old = json_object_get(json_object_get(op->undo, n->name), "entry");
	json_t *e = json_object_get(n->backends, op->be), *was = json_object_get(old, op->field);

	if (e == NULL || json_object_get(e, op->field) != op->value)
		return false;
	if (was != NULL)
		json_object_set(e, op->field, was);
	else
		json_object_del(e, op->field);
	if (json_object_size(e) == 0 && !json_is_object(old))
		json_object_del(n->backends, op->be);
	return true;
}

/* A node's push is over. A refused state is taken back out of what we
 * want there (it would be refused again on every reconnect); a state that
 * could not be sent for want of a link stays wanted and goes on reconnect. */
static void op_node_done(struct ctl_node *n, bool ok, const char *err, void *arg)
{
	struct ctl_push_op *op = arg;
	json_t *res = json_pack("{s:s, s:b}", "node", n->name, "ok", ok);

	if (ok && err != NULL && strcmp(err, "pending") == 0) {
		json_object_set_new(res, "pending", json_true());
		op->pending++;
	} else if (ok) {
		json_object_set_new(res, "state_version", json_integer((json_int_t)n->version));
		op->committed++;
	} else if (n->link == CTL_LINK_DOWN) {
		json_object_set_new(res, "ok", json_true());
		json_object_set_new(res, "pending", json_true());
		json_object_set_new(res, "note", json_string(err));
		op->pending++;
	} else {
		if (op->refused != NULL && op->refused(op, n))
			ctl_state_save(n->cp);
		json_object_set_new(res, "error", json_string(err));
		if (!op->failed)
			snprintf(op->first_err, sizeof(op->first_err), "%s: node %s: %s", op->what,
				 n->name, err);
		op->failed = true;
	}
	json_array_append_new(op->results, res);
	if (--op->remaining == 0)
		op_over(op);
}

/* Sets field to value (borrowed: the entry takes a reference) in the
 * node's wanted entry for the backend. */
static void want_set(struct ctl_node *n, const char *be, const char *field, json_t *value)
{
	json_t *e = json_object_get(n->backends, be);

	if (e == NULL) {
		e = json_object();
		json_object_set_new(n->backends, be, e);
	}
	json_object_set(e, field, value);
	n->dirty = true;
}

static bool is_target(const struct ctl_node *n, const struct ctl_node *only, const char *be)
{
	return n == only || (only == NULL && node_has_backend(n, be));
}

static int pick_targets(struct ctl_req *r, const char *be, struct ctl_node **only, unsigned *count)
{
	struct ctl_node *n;

	if (ctl_req_node(r, only) < 0)
		return -ENOENT;
	*count = 0;
	for (n = r->cp->nodes; n != NULL; n = n->next)
		if (is_target(n, *only, be))
			(*count)++;
	if (*count == 0) {
		snprintf(r->err, sizeof(r->err),
			 "backend \"%s\": no node has it (`backends` lists them)", be);
		return -ENOENT;
	}
	if (*only != NULL && (*only)->hello != NULL && !node_has_backend(*only, be)) {
		snprintf(r->err, sizeof(r->err), "backend \"%s\": node %s has no such backend", be,
			 (*only)->name);
		return -ENOENT;
	}
	return 0;
}

struct ctl_push_op *ctl_push_op_new(struct ctl_req *r, const char *what)
{
	struct ctl_push_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->cp = r->cp;
	op->client = r->client;
	op->id = json_incref(r->id);
	op->results = json_array();
	op->undo = json_object();
	op->remaining = 1;
	snprintf(op->what, sizeof(op->what), "%s %s",
		 json_string_value(json_object_get(r->msg, "cmd")), what);
	return op;
}

void ctl_push_op_add(struct ctl_push_op *op, struct ctl_node *n)
{
	op->remaining++;
	ctl_push(n, op_node_done, op);
}

void ctl_push_op_free(struct ctl_push_op *op)
{
	op_free(op);
}

enum ctl_result ctl_push_op_end(struct ctl_req *r, struct ctl_push_op *op)
{
	json_t *res;
	enum ctl_result rc = CTL_R_OK;

	/* written by now (a change is saved before it is pushed) */
	op->hist_seq = ctl_hist_request_seq();
	if (--op->remaining > 0)
		return CTL_R_LATER;
	/* every node answered at once (none connected): the reply goes now */
	res = op_reply(op);
	json_object_update(r->reply, res);
	json_decref(res);
	if (op->failed) {
		snprintf(r->err, sizeof(r->err), "%s", op->first_err);
		rc = CTL_R_ERR;
	}
	op_free(op);
	return rc;
}

static struct ctl_push_op *op_new(struct ctl_req *r, const char *be, const char *field)
{
	struct ctl_push_op *op = ctl_push_op_new(r, be);

	if (op == NULL)
		return NULL;
	snprintf(op->field, sizeof(op->field), "%s", field);
	snprintf(op->be, sizeof(op->be), "%s", be);
	op->refused = undo_field;
	return op;
}

/* value: consumed. */
static enum ctl_result backend_change(struct ctl_req *r, const char *field, json_t *value)
{
	const char *be = arg_str(r, "name");
	struct ctl_node *n, *only;
	struct ctl_push_op *op;
	unsigned count;

	if (pick_targets(r, be, &only, &count) < 0 || (op = op_new(r, be, field)) == NULL) {
		json_decref(value);
		return CTL_R_ERR;
	}
	op->value = value;
	for (n = r->cp->nodes; n != NULL; n = n->next) {
		json_t *old;

		if (!is_target(n, only, be))
			continue;
		old = json_deep_copy(json_object_get(n->backends, be));
		json_object_set_new(op->undo, n->name,
				    json_pack("{s:o, s:b}", "entry", old != NULL ? old : json_null(),
					      "dirty", n->dirty));
		want_set(n, be, field, value);
	}
	/* Saved before it is pushed: if we die now, the resync pushes it. If
	 * it cannot be saved, it is not wanted either: a later push would
	 * carry it, and a restart would lose it. */
	if (ctl_state_save(r->cp) < 0) {
		const char *name;
		json_t *u;

		json_object_foreach(op->undo, name, u)
			if ((n = ctl_node_find(r->cp, name)) != NULL)
				undo_all(op, n);
		op_free(op);
		return fail(r, "state file not written (see the log): nothing pushed");
	}
	for (n = r->cp->nodes; n != NULL; n = n->next)
		if (is_target(n, only, be))
			ctl_push_op_add(op, n);
	return ctl_push_op_end(r, op);
}

static enum ctl_result cmd_be_enable(struct ctl_req *r)
{
	return backend_change(r, "admin", json_string("enabled"));
}

static enum ctl_result cmd_be_disable(struct ctl_req *r)
{
	return backend_change(r, "admin", json_string("disabled"));
}

static enum ctl_result cmd_be_drain(struct ctl_req *r)
{
	return backend_change(r, "admin", json_string("drain"));
}

static enum ctl_result cmd_be_weight(struct ctl_req *r)
{
	return backend_change(r, "weight", json_copy(json_object_get(r->msg, "weight")));
}

static enum ctl_result cmd_reload(struct ctl_req *r)
{
	char err[CTL_CFG_ERR_MAX], restart[512];

	if (ctl_reload(r->cp, err, sizeof(err), restart, sizeof(restart)) < 0)
		return fail(r, "config not reloaded, the running one stays: %s", err);
	json_object_set_new(r->reply, "config", json_string(r->cp->cfg_path));
	json_object_set_new(r->reply, "restart_needed", json_string(restart));
	return CTL_R_OK;
}

static enum ctl_result cmd_help(struct ctl_req *r);

/* ---- the table ---- */

static const struct ctl_arg args_none[] = {{NULL}};
static const struct ctl_arg args_node[] = {
	{"node", CTL_ARG_STR, false, 1, CTL_CFG_NAME_MAX - 1, "only this node (default: all)"},
	{NULL},
};
static const struct ctl_arg args_be[] = {
	{"name", CTL_ARG_STR, true, 1, 63, "the backend's name (as in the dataplane's config)"},
	{"node", CTL_ARG_STR, false, 1, CTL_CFG_NAME_MAX - 1,
	 "only this node (default: every node that has the backend)"},
	{NULL},
};
static const struct ctl_arg args_weight[] = {
	{"name", CTL_ARG_STR, true, 1, 63, "the backend's name (as in the dataplane's config)"},
	{"weight", CTL_ARG_INT, true, 1, 65535, "its rendezvous-hashing weight"},
	{"node", CTL_ARG_STR, false, 1, CTL_CFG_NAME_MAX - 1,
	 "only this node (default: every node that has the backend)"},
	{NULL},
};
static const struct ctl_arg args_rules_load[] = {
	{"files", CTL_ARG_STRS, true, 1, 64, "the rule files, absolute paths"},
	{"shadow", CTL_ARG_BOOL, false, 0, 0,
	 "load them as the shadow ruleset: counted beside the live one, never acting"},
	{NULL},
};
static const struct ctl_arg args_rules_check[] = {
	{"files", CTL_ARG_STRS, true, 1, 64, "the rule files, absolute paths"},
	{NULL},
};
static const struct ctl_arg args_rules_show[] = {
	{"version", CTL_ARG_INT, false, 1, INT64_MAX, "this version (default: the live one)"},
	{"rule", CTL_ARG_INT, false, 1, UINT32_MAX, "only the rule with this id"},
	{NULL},
};
static const struct ctl_arg args_rules_diff[] = {
	{"from", CTL_ARG_INT, false, 1, INT64_MAX,
	 "the older version (default: the one live before \"to\")"},
	{"to", CTL_ARG_INT, false, 1, INT64_MAX, "the newer version (default: the live one)"},
	{NULL},
};
static const struct ctl_arg args_rules_rollback[] = {
	{"version", CTL_ARG_INT, false, 1, INT64_MAX,
	 "the version whose rules go back in force (default: the one live before)"},
	{NULL},
};
static const struct ctl_arg args_rules_unload[] = {
	{"shadow", CTL_ARG_BOOL, true, 0, 0, "true: the shadow ruleset (the only one unloaded)"},
	{NULL},
};
static const struct ctl_arg args_explain[] = {
	{"message", CTL_ARG_STR, false, 1, 65535, "the SIP message, as text"},
	{"message_b64", CTL_ARG_STR, false, 4, 87380,
	 "the SIP message in base64 (for bytes that are not UTF-8, or NUL)"},
	{"from", CTL_ARG_STR, false, 1, 63,
	 "its source, ADDRESS[:PORT] (default 192.0.2.1:5060)"},
	{"to", CTL_ARG_STR, false, 1, 63,
	 "its destination, ADDRESS[:PORT] (default: the node's access address, else 0.0.0.0)"},
	{"node", CTL_ARG_STR, false, 1, CTL_CFG_NAME_MAX - 1,
	 "the node whose limits and address apply (default: the first connected)"},
	{NULL},
};
static const struct ctl_arg args_bans_list[] = {
	{"limit", CTL_ARG_INT, false, 1, 10000,
	 "at most this many dynamic bans per node (default 1000)"},
	{NULL},
};
static const struct ctl_arg args_bans_add[] = {
	{"prefix", CTL_ARG_STR, true, 1, 63, "an address or prefix: 192.0.2.7, 2001:db8::/32"},
	{"for_s", CTL_ARG_INT, false, 1, 31536000, "how long the ban lasts (default: until removed)"},
	{NULL},
};
static const struct ctl_arg args_state[] = {
	{"node", CTL_ARG_STR, false, 1, CTL_CFG_NAME_MAX - 1,
	 "only this node, and the history entries about it"},
	{"limit", CTL_ARG_INT, false, 1, 1000, "at most this many history entries, newest first"},
	{NULL},
};
static const struct ctl_arg args_state_rollback[] = {
	{"node", CTL_ARG_STR, false, 1, CTL_CFG_NAME_MAX - 1,
	 "undo only this node's part of the newest change there (not a ban change)"},
	{NULL},
};
static const struct ctl_arg args_bans_remove[] = {
	{"prefix", CTL_ARG_STR, true, 1, 63, "a manual ban's prefix, or a dynamically banned address"},
	{NULL},
};

static const struct ctl_cmd_def cmds[] = {
	{"help", CTL_ACCESS_READ, args_none, "the commands, their arguments and access", cmd_help},
	{"ping", CTL_ACCESS_READ, args_none, "answer ok", cmd_ping},
	{"status", CTL_ACCESS_READ, args_none, "the daemon: version, uptime, nodes, own counters",
	 cmd_status},
	{"nodes", CTL_ACCESS_READ, args_node, "each dataplane: link, hello, state versions, counters",
	 cmd_nodes},
	{"stats", CTL_ACCESS_READ, args_node,
	 "counters summed per node, worker, port, reason, backend, with rates", cmd_stats},
	{"backends", CTL_ACCESS_READ, args_node,
	 "each backend: health, admin state, weight, wanted state, requests", cmd_backends},
	{"backend.enable", CTL_ACCESS_ADMIN, args_be, "let a backend take traffic again",
	 cmd_be_enable},
	{"backend.disable", CTL_ACCESS_ADMIN, args_be,
	 "take a backend out: no traffic (its probes go on)", cmd_be_disable},
	{"backend.drain", CTL_ACCESS_ADMIN, args_be,
	 "no new dialogs to a backend; in-dialog requests still reach it", cmd_be_drain},
	{"backend.weight", CTL_ACCESS_ADMIN, args_weight, "set a backend's weight", cmd_be_weight},
	{"config.reload", CTL_ACCESS_ADMIN, args_none,
	 "re-read sipedge-control's config file (nodes, intervals, limits)", cmd_reload},
	{"rules.list", CTL_ACCESS_READ, args_none,
	 "ruleset versions kept, which is live and shadow, what each node has", ctl_cmd_rules_list},
	{"rules.load", CTL_ACCESS_ADMIN, args_rules_load,
	 "parse, compile and push rule files to every node as a new version", ctl_cmd_rules_load},
	{"rules.check", CTL_ACCESS_READ, args_rules_check,
	 "parse and compile rule files, touching no dataplane", ctl_cmd_rules_check},
	{"rules.show", CTL_ACCESS_READ, args_rules_show,
	 "the rules of a version: id, priority, action, message, place and text", ctl_cmd_rules_show},
	{"rules.diff", CTL_ACCESS_READ, args_rules_diff,
	 "rules added, removed and changed between two versions", ctl_cmd_rules_diff},
	{"rules.rollback", CTL_ACCESS_ADMIN, args_rules_rollback,
	 "put an older version's rules back in force, as a new version", ctl_cmd_rules_rollback},
	{"rules.unload", CTL_ACCESS_ADMIN, args_rules_unload,
	 "take the shadow ruleset off every node", ctl_cmd_rules_unload},
	{"rules.stats", CTL_ACCESS_READ, args_node,
	 "hits per rule, per node and per worker, with rates", ctl_cmd_rules_stats},
	{"explain", CTL_ACCESS_READ, args_explain,
	 "what the gateway would do with a message, and which rules match it", ctl_cmd_explain},
	{"bans.list", CTL_ACCESS_READ, args_bans_list,
	 "manual bans, and each node's dynamic bans (made by ban rules)", ctl_cmd_bans_list},
	{"bans.add", CTL_ACCESS_ADMIN, args_bans_add,
	 "ban a source prefix on every node, for a time or until removed", ctl_cmd_bans_add},
	{"bans.remove", CTL_ACCESS_ADMIN, args_bans_remove,
	 "remove a manual ban, or lift a dynamic ban on every node", ctl_cmd_bans_remove},
	{"state", CTL_ACCESS_READ, args_state,
	 "state versions per node, and the history of state changes (who, when, what)",
	 ctl_cmd_state},
	{"state.rollback", CTL_ACCESS_ADMIN, args_state_rollback,
	 "undo the newest state change (backends, bans) and put that state in force",
	 ctl_cmd_state_rollback},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

const struct ctl_cmd_def *ctl_cmds_table(unsigned *n)
{
	*n = NCMDS;
	return cmds;
}

const struct ctl_cmd_def *ctl_cmds_find(const char *name)
{
	unsigned i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static const char *type_name(enum ctl_arg_type t)
{
	return t == CTL_ARG_STR	   ? "string"
	       : t == CTL_ARG_INT  ? "integer"
	       : t == CTL_ARG_BOOL ? "boolean"
				   : "array of strings";
}

static enum ctl_result cmd_help(struct ctl_req *r)
{
	json_t *arr = json_array();
	unsigned i;

	for (i = 0; i < NCMDS; i++) {
		json_t *args = json_array();
		const struct ctl_arg *a;

		for (a = cmds[i].args; a->name != NULL; a++)
			json_array_append_new(args, json_pack("{s:s, s:s, s:b, s:I, s:I, s:s}", "name",
							      a->name, "type", type_name(a->type),
							      "required", a->required, "min",
							      (json_int_t)a->lo, "max",
							      (json_int_t)a->hi, "help", a->help));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s}", "name", cmds[i].name,
						     "access",
						     cmds[i].access == CTL_ACCESS_ADMIN ? "admin"
											 : "read",
						     "args", args, "help", cmds[i].help));
	}
	json_object_set_new(r->reply, "commands", arr);
	return CTL_R_OK;
}

/* ---- the dispatcher ---- */

/* The value as JSON, cut to 60 bytes, for quoting in a message. */
static void quote_value(json_t *v, char *out, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	snprintf(out, len, "%.60s%s", s != NULL ? s : "?", s != NULL && strlen(s) > 60 ? "..." : "");
	free(s);
}

/* An array of lo..hi non-empty strings; the first bad item is named by
 * its index and quoted. */
static int check_strs(const struct ctl_arg *a, json_t *v, const char *q, char *err,
		      size_t errlen)
{
	json_t *e;
	size_t i;
	char qe[80];

	if (!json_is_array(v) || (int64_t)json_array_size(v) < a->lo ||
	    (int64_t)json_array_size(v) > a->hi) {
		snprintf(err, errlen, "argument \"%s\": expected an array of %lld to %lld strings, got %s",
			 a->name, (long long)a->lo, (long long)a->hi, q);
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		if (json_is_string(e) && json_string_length(e) >= 1 &&
		    json_string_length(e) <= CTL_ARG_ITEM_MAX &&
		    strlen(json_string_value(e)) == json_string_length(e))
			continue;
		quote_value(e, qe, sizeof(qe));
		snprintf(err, errlen, "argument \"%s\"[%zu]: expected a string of 1 to %u bytes, got %s",
			 a->name, i, CTL_ARG_ITEM_MAX, qe);
		return -EINVAL;
	}
	return 0;
}

static int check_one(const struct ctl_arg *a, json_t *v, char *err, size_t errlen)
{
	char q[80];

	quote_value(v, q, sizeof(q));
	switch (a->type) {
	case CTL_ARG_STR:
		if (!json_is_string(v) || (int64_t)json_string_length(v) < a->lo ||
		    (int64_t)json_string_length(v) > a->hi ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(err, errlen, "argument \"%s\": expected a string of %lld to %lld bytes, got %s",
				 a->name, (long long)a->lo, (long long)a->hi, q);
			return -EINVAL;
		}
		return 0;
	case CTL_ARG_INT:
		if (!json_is_integer(v) || json_integer_value(v) < a->lo ||
		    json_integer_value(v) > a->hi) {
			snprintf(err, errlen, "argument \"%s\": expected an integer in [%lld, %lld], got %s",
				 a->name, (long long)a->lo, (long long)a->hi, q);
			return -EINVAL;
		}
		return 0;
	case CTL_ARG_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "argument \"%s\": expected true or false, got %s", a->name,
				 q);
			return -EINVAL;
		}
		return 0;
	case CTL_ARG_STRS:
		return check_strs(a, v, q, err, errlen);
	}
	return -EINVAL;
}

int ctl_cmds_check_args(const struct ctl_cmd_def *cmd, json_t *msg, char *err, size_t errlen)
{
	const struct ctl_arg *a;
	const char *key;
	json_t *v;

	json_object_foreach(msg, key, v) {
		if (strcmp(key, "id") == 0 || strcmp(key, "cmd") == 0)
			continue;
		for (a = cmd->args; a->name != NULL && strcmp(a->name, key) != 0; a++)
			;
		if (a->name == NULL) {
			snprintf(err, errlen, "%s: unknown argument \"%.60s\" (`help` lists the arguments)",
				 cmd->name, key);
			return -EINVAL;
		}
		if (check_one(a, v, err, errlen) < 0)
			return -EINVAL;
	}
	for (a = cmd->args; a->name != NULL; a++) {
		if (a->required && json_object_get(msg, a->name) == NULL) {
			snprintf(err, errlen, "%s: argument \"%s\" (%s) is required", cmd->name, a->name,
				 type_name(a->type));
			return -EINVAL;
		}
	}
	return 0;
}

/* The request's envelope: an object, with an integer or string id (or
 * none) and a known cmd this socket may run. */
static const struct ctl_cmd_def *check_envelope(json_t *msg, enum ctl_access access, char *err,
						size_t errlen, int *bad)
{
	json_t *id = json_object_get(msg, "id"), *cmd = json_object_get(msg, "cmd");
	const struct ctl_cmd_def *def;
	char q[80];

	if (!json_is_object(msg)) {
		*bad = CTL_BAD_not_object;
		snprintf(err, errlen, "a request is a JSON object, {\"cmd\": ...}");
		return NULL;
	}
	if (id != NULL && !json_is_integer(id) && !json_is_string(id) && !json_is_null(id)) {
		quote_value(id, q, sizeof(q));
		*bad = CTL_BAD_bad_id;
		snprintf(err, errlen, "\"id\": expected an integer or a string, got %s", q);
		return NULL;
	}
	if (!json_is_string(cmd)) {
		*bad = CTL_BAD_no_cmd;
		if (cmd == NULL)
			snprintf(err, errlen, "\"cmd\" is missing");
		else {
			quote_value(cmd, q, sizeof(q));
			snprintf(err, errlen, "\"cmd\": expected a string, got %s", q);
		}
		return NULL;
	}
	def = ctl_cmds_find(json_string_value(cmd));
	if (def == NULL) {
		quote_value(cmd, q, sizeof(q));
		*bad = CTL_BAD_unknown_cmd;
		snprintf(err, errlen, "unknown command %s (`help` lists them)", q);
		return NULL;
	}
	if (def->access == CTL_ACCESS_ADMIN && access != CTL_ACCESS_ADMIN) {
		*bad = CTL_BAD_access_denied;
		snprintf(err, errlen, "%s: needs the admin socket (this one is read-only)", def->name);
		return NULL;
	}
	return def;
}

json_t *ctl_cmds_run(struct ctl_cp *cp, uint64_t client, enum ctl_access access, json_t *msg,
		     int *bad)
{
	struct ctl_req r = {.cp = cp, .client = client, .msg = msg};
	const struct ctl_cmd_def *def;
	json_t *reply, *id = json_is_object(msg) ? json_object_get(msg, "id") : NULL;
	enum ctl_result res;

	*bad = -1;
	def = check_envelope(msg, access, r.err, sizeof(r.err), bad);
	if (def == NULL)
		return ctl_reply_error(*bad == CTL_BAD_bad_id ? NULL : id, r.err);
	if (ctl_cmds_check_args(def, msg, r.err, sizeof(r.err)) < 0) {
		*bad = CTL_BAD_bad_args;
		return ctl_reply_error(id, r.err);
	}
	r.id = id != NULL ? id : json_null();
	r.reply = json_object();
	/* an admin command's changes to the wanted state are its own, in the
	 * history (cp_history.c); read commands change none */
	if (def->access == CTL_ACCESS_ADMIN)
		ctl_hist_begin(&r);
	res = def->run(&r);
	if (def->access == CTL_ACCESS_ADMIN)
		ctl_hist_end();
	if (res == CTL_R_LATER) {
		json_decref(r.reply);
		return NULL;
	}
	if (res == CTL_R_ERR) {
		reply = ctl_reply_error(r.id, r.err);
		/* keep what the handler said besides (per-node results) */
		json_object_update_missing(reply, r.reply);
		json_decref(r.reply);
		return reply;
	}
	reply = json_pack("{s:O, s:b}", "id", r.id, "ok", 1);
	json_object_update_missing(reply, r.reply);
	json_decref(r.reply);
	return reply;
}
