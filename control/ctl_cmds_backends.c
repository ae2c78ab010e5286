/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_cmds_backends.c - sipedgectl backends: list them, or change one's
 * admin state or weight. A change is a state push by sipedge-control to
 * every dataplane that has the backend (or --node's); each node's result
 * is printed: in force (with the state version), pending (the node is not
 * connected: pushed when it is), or refused (why).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"

#define OPT_NODE CTL_RO__COUNT

static void list_row(struct ctl_table *t, json_t *be)
{
	json_t *want = json_object_get(be, "wanted"), *up = json_object_get(be, "up");
	const char *admin = json_string_value(json_object_get(be, "admin"));
	const char *wa = json_string_value(json_object_get(want, "admin"));
	json_t *ww = json_object_get(want, "weight");
	char b1[32], b2[32], b3[32], wanted[96];

	snprintf(wanted, sizeof(wanted), "%s%s%s", wa != NULL ? wa : "",
		 wa != NULL && ww != NULL ? "," : "",
		 ww != NULL ? ctl_fmt_int(ww, b3, sizeof(b3)) : "");
	ctl_table_cell(t, "%s", json_string_value(json_object_get(be, "node")));
	ctl_table_cell(t, "%s", json_string_value(json_object_get(be, "name")));
	ctl_table_cell(t, "%s", json_is_boolean(up) ? (json_is_true(up) ? "up" : "down") : "-");
	ctl_table_cell(t, "%s", admin != NULL ? admin : "-");
	ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(be, "weight"), b1, sizeof(b1)));
	ctl_table_cell(t, "%s", wanted[0] != '\0' ? wanted : "-");
	ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(be, "requests"), b1, sizeof(b1)));
	ctl_table_cell(t, "%s", ctl_fmt_rate(json_object_get(be, "requests_per_s"), b2, sizeof(b2)));
}

static int list(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	static const char *const heads[] = {"NODE", "BACKEND", "HEALTH", "ADMIN", ">WEIGHT",
					    "WANTED", ">REQUESTS", ">REQ/S", NULL};
	json_t *req = json_pack("{s:s}", "cmd", "backends"), *r, *be;
	struct ctl_table t;
	size_t i;
	int rc;

	if (a->set[OPT_NODE])
		json_object_set_new(req, "node", json_string(a->str[OPT_NODE]));
	rc = ctl_remote(cmd, a, req, &r);
	if (r == NULL)
		return rc;
	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(r, "backends"), i, be)
		list_row(&t, be);
	ctl_table_print(&t, stdout, 0);
	json_decref(r);
	return CTL_EXIT_OK;
}

static void print_results(json_t *r, const char *what)
{
	json_t *res;
	size_t i;

	json_array_foreach(json_object_get(r, "results"), i, res) {
		const char *node = json_string_value(json_object_get(res, "node"));

		if (json_is_true(json_object_get(res, "pending")))
			printf("%s: %s: pending (node not connected: pushed when it is)\n", node,
			       what);
		else if (json_is_true(json_object_get(res, "ok")))
			printf("%s: %s: in force, state version %lld\n", node, what,
			       (long long)json_integer_value(json_object_get(res, "state_version")));
		else
			printf("%s: %s: refused: %s\n", node, what,
			       json_string_value(json_object_get(res, "error")));
	}
	ctl_print_taken_back(r, what);
}

/* "65535" -> 65535; anything else is a usage error naming the value. */
static int parse_weight(const char *s, long *w)
{
	char *end;

	errno = 0;
	*w = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || *w < 1 || *w > 65535) {
		fprintf(stderr, "sipedgectl backends: weight \"%s\" is not a number in [1, 65535]\n",
			s);
		return -EINVAL;
	}
	return 0;
}

static int change(const struct ctl_cmd *cmd, const struct ctl_args *a, const char *sub)
{
	char name[64], what[160];
	json_t *req, *r;
	long w = 0;
	int rc;

	if (a->nargs != (strcmp(sub, "weight") == 0 ? 3u : 2u)) {
		fprintf(stderr, "sipedgectl backends %s: expected %s\n", sub,
			strcmp(sub, "weight") == 0 ? "NAME WEIGHT" : "NAME");
		return CTL_EXIT_USAGE;
	}
	if (strcmp(sub, "weight") == 0 && parse_weight(a->args[2], &w) < 0)
		return CTL_EXIT_USAGE;
	snprintf(name, sizeof(name), "backend.%s", sub);
	req = json_pack("{s:s, s:s}", "cmd", name, "name", a->args[1]);
	if (w != 0)
		json_object_set_new(req, "weight", json_integer(w));
	if (a->set[OPT_NODE])
		json_object_set_new(req, "node", json_string(a->str[OPT_NODE]));
	rc = ctl_remote(cmd, a, req, &r);
	if (r == NULL)
		return rc;
	snprintf(what, sizeof(what), "%s %s%s%s", sub, a->args[1], w != 0 ? " " : "",
		 w != 0 ? a->args[2] : "");
	print_results(r, what);
	json_decref(r);
	return rc;
}

int ctl_backends_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	static const char *const subs[] = {"enable", "disable", "drain", "weight"};
	const char *sub = a->nargs > 0 ? a->args[0] : "list";
	unsigned i;

	if (strcmp(sub, "list") == 0) {
		if (a->nargs > 1) {
			fprintf(stderr, "sipedgectl backends list: takes no operand\n");
			return CTL_EXIT_USAGE;
		}
		return list(cmd, a);
	}
	for (i = 0; i < 4; i++)
		if (strcmp(sub, subs[i]) == 0)
			return change(cmd, a, sub);
	fprintf(stderr,
		"sipedgectl backends: unknown subcommand \"%s\" (list, enable, disable, drain, "
		"weight)\n",
		sub);
	return CTL_EXIT_USAGE;
}
