/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_cmds_state.c - sipedgectl state: the state versions of each node and
 * the history of state changes (who, when, what changed), and `state
 * rollback`, which undoes the newest change and says per node how the
 * state before went back in force (docs/sipedgectl.md).
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl_client.h"

enum {
	OPT_NODE = CTL_RO__COUNT,
	OPT_LIMIT,
};

const struct ctl_opt ctl_state_opts[] = {
	CTL_REMOTE_OPT_ROWS,
	{"node", "NAME", 0, 0, 0,
	 "only this node (rollback: undo its part of the newest change there)", ""},
	{"limit", "N", 1, 1000, 20, "at most N history entries, newest first", NULL},
	{NULL},
};

static void node_row(struct ctl_table *t, json_t *n)
{
	char b[32];

	ctl_table_cell(t, "%s", json_string_value(json_object_get(n, "node")));
	ctl_table_cell(t, "%s", json_string_value(json_object_get(n, "link")));
	ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(n, "wanted_version"), b, sizeof(b)));
	ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(n, "dataplane_version"), b, sizeof(b)));
	ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(n, "highest_version"), b, sizeof(b)));
	ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(n, "kept_version"), b, sizeof(b)));
	ctl_table_cell(t, "%s", json_is_true(json_object_get(n, "pushing")) ? "pushing"
				: json_is_true(json_object_get(n, "in_step"))	 ? "yes"
										 : "no");
	ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(n, "rollbacks"), b, sizeof(b)));
}

/* "backend.weight kam1 50 --node gw1": the command and its arguments. */
static const char *what(json_t *e, char *buf, size_t len)
{
	json_t *args = json_object_get(e, "args"), *v;
	const char *k;
	size_t o = (size_t)snprintf(buf, len, "%s", json_string_value(json_object_get(e, "cmd")));

	json_object_foreach(args, k, v) {
		if (o >= len || strcmp(k, "reason") == 0)
			continue;
		if (json_is_string(v))
			o += (size_t)snprintf(buf + o, len - o, " %s%s%s",
					      strcmp(k, "node") == 0 ? "--node " : "",
					      strcmp(k, "for_s") == 0 ? "for " : "",
					      json_string_value(v));
		else if (json_is_integer(v))
			o += (size_t)snprintf(buf + o, len - o, " %s%lld%s",
					      strcmp(k, "for_s") == 0 ? "for " : "",
					      (long long)json_integer_value(v),
					      strcmp(k, "for_s") == 0 ? "s" : "");
	}
	if (o < len && json_object_get(e, "undoes") != NULL)
		snprintf(buf + o, len - o, " (undoes #%lld)",
			 (long long)json_integer_value(json_object_get(e, "undoes")));
	return buf;
}

/* "alice (uid 1000)", "sipedge-control" for its own take-backs. */
static const char *who(json_t *e, char *buf, size_t len)
{
	json_t *by = json_object_get(e, "by"), *uid = json_object_get(by, "uid");
	struct passwd *pw;

	if (!json_is_integer(uid))
		return json_object_get(json_object_get(e, "args"), "reason") != NULL
			       ? "sipedge-control"
			       : "-";
	pw = getpwuid((uid_t)json_integer_value(uid));
	snprintf(buf, len, "%s (uid %lld)", pw != NULL ? pw->pw_name : "?",
		 (long long)json_integer_value(uid));
	return buf;
}

static const char *when(json_t *e, char *buf, size_t len)
{
	time_t t = (time_t)json_integer_value(json_object_get(e, "time"));
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* What became of a change: "rolled back by #12", "gw1 rolled back by
 * #13", or "". */
static const char *fate(json_t *e, char *buf, size_t len)
{
	json_t *by = json_object_get(e, "undone_by"), *v;
	const char *k;
	size_t o = 0;

	buf[0] = '\0';
	if (by != NULL) {
		snprintf(buf, len, "rolled back by #%lld", (long long)json_integer_value(by));
		return buf;
	}
	json_object_foreach(json_object_get(e, "undone_on"), k, v)
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s rolled back by #%lld",
					      o > 0 ? ", " : "", k, (long long)json_integer_value(v));
	return buf;
}

static void history_rows(struct ctl_table *t, json_t *e)
{
	char b1[32], b2[96], b3[300], b4[200];
	json_t *changes = json_object_get(e, "changes"), *c;
	size_t i, k = json_array_size(changes);

	ctl_table_cell(t, "%lld", (long long)json_integer_value(json_object_get(e, "seq")));
	ctl_table_cell(t, "%s", when(e, b1, sizeof(b1)));
	ctl_table_cell(t, "%s", who(e, b2, sizeof(b2)));
	ctl_table_cell(t, "%s", what(e, b3, sizeof(b3)));
	ctl_table_cell(t, "%s", fate(e, b4, sizeof(b4)));
	ctl_table_cell(t, "%s", k > 0 ? json_string_value(json_array_get(changes, 0))
				      : "(nothing changed)");
	json_array_foreach(changes, i, c) {
		if (i == 0)
			continue;
		for (unsigned col = 0; col < 5; col++)
			ctl_table_cell(t, "%s", "");
		ctl_table_cell(t, "%s", json_string_value(c));
	}
}

static void print_nodes(json_t *r)
{
	static const char *const heads[] = {"NODE", "LINK", ">WANTED", ">IN FORCE", ">HIGHEST",
					    ">KEPT", "IN STEP", ">ROLLBACKS", NULL};
	struct ctl_table t;
	json_t *x;
	size_t i;

	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(r, "nodes"), i, x)
		node_row(&t, x);
	ctl_table_print(&t, stdout, 0);
}

/* The history, newest first, and what a rollback would undo. */
static void print_history(json_t *r)
{
	static const char *const heads[] = {">#", "WHEN", "BY", "COMMAND", "ROLLED BACK",
					    "CHANGES", NULL};
	json_t *hist = json_object_get(r, "history"), *next = json_object_get(r, "next_rollback");
	struct ctl_table t;
	char b[300];
	json_t *x;
	size_t i;

	if (json_array_size(hist) == 0) {
		printf("\nno state change in the history (state.history keeps %lld)\n",
		       (long long)json_integer_value(json_object_get(r, "history_max")));
	} else {
		ctl_table_init(&t, heads);
		json_array_foreach(hist, i, x)
			history_rows(&t, x);
		printf("\n");
		ctl_table_print(&t, stdout, 0);
	}
	if (json_is_object(next))
		printf("\n`state rollback` would undo #%lld: %s\n",
		       (long long)json_integer_value(json_object_get(next, "seq")),
		       what(next, b, sizeof(b)));
	else
		printf("\n%s\n", json_string_value(json_object_get(r, "no_rollback")));
}

/* The request of state or state.rollback, with --node (and --limit). */
static json_t *request(const char *name, const struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", name);

	if (a->set[OPT_NODE])
		json_object_set_new(req, "node", json_string(a->str[OPT_NODE]));
	if (strcmp(name, "state") == 0)
		json_object_set_new(req, "limit", json_integer(a->set[OPT_LIMIT]
								   ? (json_int_t)a->val[OPT_LIMIT]
								   : 20));
	return req;
}

static void result_line(json_t *res)
{
	const char *node = json_string_value(json_object_get(res, "node"));
	const char *act = json_string_value(json_object_get(res, "action"));
	const char *note = json_string_value(json_object_get(res, "note"));
	long long v = (long long)json_integer_value(json_object_get(res, "state_version"));

	if (strcmp(act, "rolled_back") == 0)
		printf("%s: the dataplane's state.rollback: state version %lld in force again\n",
		       node, v);
	else if (strcmp(act, "pushed") == 0)
		printf("%s: pushed as state version %lld\n", node, v);
	else if (strcmp(act, "unchanged") == 0)
		printf("%s: in force already, state version %lld\n", node, v);
	else if (strcmp(act, "pending") == 0)
		printf("%s: pending (node not connected: pushed when it is)\n", node);
	else
		printf("%s: refused: %s\n", node,
		       json_string_value(json_object_get(res, "error")));
	if (note != NULL)
		printf("%s:   (%s)\n", node, note);
}

/* Prints what was rolled back and what became of it on each node. */
static void print_rollback(json_t *r)
{
	json_t *undid = json_object_get(r, "undid"), *x;
	char b1[300], b2[96], b3[32];
	size_t i;

	if (undid != NULL)
		printf("#%lld: rolled back #%lld %s (%s, %s)\n",
		       (long long)json_integer_value(json_object_get(r, "seq")),
		       (long long)json_integer_value(json_object_get(undid, "seq")),
		       what(undid, b1, sizeof(b1)), who(undid, b2, sizeof(b2)),
		       when(undid, b3, sizeof(b3)));
	json_array_foreach(json_object_get(r, "changes"), i, x)
		printf("  %s\n", json_string_value(x));
	json_array_foreach(json_object_get(r, "notes"), i, x)
		printf("note: %s\n", json_string_value(x));
	json_array_foreach(json_object_get(r, "results"), i, x)
		result_line(x);
}

int ctl_state_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	const char *sub = a->nargs > 0 ? a->args[0] : "show";

	bool show = strcmp(sub, "show") == 0;
	json_t *r;
	int rc;

	if (!show && strcmp(sub, "rollback") != 0) {
		fprintf(stderr, "sipedgectl state: unknown subcommand \"%s\" (show, rollback)\n",
			sub);
		return CTL_EXIT_USAGE;
	}
	if (!show && a->set[OPT_LIMIT]) {
		fprintf(stderr, "sipedgectl state rollback: --limit is for show\n");
		return CTL_EXIT_USAGE;
	}
	rc = ctl_remote(cmd, a, request(show ? "state" : "state.rollback", a), &r);
	if (r == NULL)
		return rc;
	if (show) {
		print_nodes(r);
		print_history(r);
	} else {
		print_rollback(r);
	}
	json_decref(r);
	return rc;
}
