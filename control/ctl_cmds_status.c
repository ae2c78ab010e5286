/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_cmds_status.c - sipedgectl status, nodes, config reload: the daemon
 * and its links to the dataplanes.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"

const struct ctl_opt ctl_remote_opts[] = {CTL_REMOTE_OPT_ROWS, {NULL}};
const struct ctl_opt ctl_node_opts[] = {
	CTL_REMOTE_OPT_ROWS,
	{"node", "NAME", 0, 0, 0, "only this node (default: all)", ""},
	{NULL},
};

#define OPT_NODE CTL_RO__COUNT

/* Adds "node" to the request when --node was given. */
static json_t *req_with_node(const char *cmd, const struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);

	if (a->set[OPT_NODE])
		json_object_set_new(req, "node", json_string(a->str[OPT_NODE]));
	return req;
}

static void print_bad(json_t *ctl)
{
	json_t *bad = json_object_get(ctl, "bad_requests"), *v;
	const char *k;
	int any = 0;

	printf("bad requests:");
	json_object_foreach(bad, k, v) {
		if (json_integer_value(v) == 0)
			continue;
		printf(" %s %lld", k, (long long)json_integer_value(v));
		any = 1;
	}
	printf("%s\n", any ? "" : " none");
}

int ctl_status_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *r, *ctl;
	char d[32];
	int rc = ctl_remote(cmd, a, json_pack("{s:s}", "cmd", "status"), &r);

	if (r == NULL)
		return rc;
	ctl = json_object_get(r, "control");
	printf("sipedge-control %s, pid %lld, up %s\n", json_string_value(json_object_get(r, "version")),
	       (long long)json_integer_value(json_object_get(r, "pid")),
	       ctl_fmt_dur((unsigned long long)json_integer_value(json_object_get(r, "uptime_s")) *
				   1000,
			   d, sizeof(d)));
	printf("config %s, state in %s\n", json_string_value(json_object_get(r, "config")),
	       json_string_value(json_object_get(r, "state_dir")));
	printf("nodes: %lld of %lld up\n", (long long)json_integer_value(json_object_get(r, "nodes_up")),
	       (long long)json_integer_value(json_object_get(r, "nodes")));
	printf("clients: %lld now, %lld accepted; requests %lld\n",
	       (long long)json_integer_value(json_object_get(ctl, "clients")),
	       (long long)json_integer_value(json_object_get(ctl, "clients_accepted")),
	       (long long)json_integer_value(json_object_get(ctl, "requests")));
	print_bad(ctl);
	printf("agent: %lld connects, %lld disconnects, %lld failed attempts; pushes %lld ok, %lld failed\n",
	       (long long)json_integer_value(json_object_get(ctl, "agent_connects")),
	       (long long)json_integer_value(json_object_get(ctl, "agent_disconnects")),
	       (long long)json_integer_value(json_object_get(ctl, "agent_connect_failures")),
	       (long long)json_integer_value(json_object_get(ctl, "pushes_ok")),
	       (long long)json_integer_value(json_object_get(ctl, "pushes_failed")));
	json_decref(r);
	return CTL_EXIT_OK;
}

static void node_row(struct ctl_table *t, json_t *n)
{
	json_t *st = json_object_get(n, "state"), *dp = json_object_get(n, "dataplane");
	json_t *c = json_object_get(n, "counters");
	const char *err = json_string_value(json_object_get(n, "last_error"));
	char d[32];

	ctl_table_cell(t, "%s", json_string_value(json_object_get(n, "name")));
	ctl_table_cell(t, "%s", json_string_value(json_object_get(n, "link")));
	ctl_table_cell(t, "%s",
		       ctl_fmt_dur((unsigned long long)json_integer_value(
					   json_object_get(n, "link_for_ms")),
				   d, sizeof(d)));
	if (json_is_object(dp))
		ctl_table_cell(t, "%lld", (long long)json_integer_value(json_object_get(dp, "pid")));
	else
		ctl_table_cell(t, "-");
	ctl_table_cell(t, "%lld/%lld%s",
		       (long long)json_integer_value(json_object_get(st, "wanted_version")),
		       (long long)json_integer_value(json_object_get(st, "dataplane_version")),
		       json_is_true(json_object_get(st, "in_step")) ? "" : " (not in step)");
	ctl_table_cell(t, "%lld", (long long)json_integer_value(json_object_get(c, "connects")));
	ctl_table_cell(t, "%lld",
		       (long long)json_integer_value(json_object_get(c, "connect_failures")));
	ctl_table_cell(t, "%s", err != NULL && err[0] != '\0' ? err : "-");
}

int ctl_nodes_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	static const char *const heads[] = {"NODE", "LINK", "FOR", ">DP-PID", "STATE WANT/DP",
					    ">CONNECTS", ">FAILED", "LAST ERROR", NULL};
	struct ctl_table t;
	json_t *r, *n;
	size_t i;
	int rc = ctl_remote(cmd, a, req_with_node("nodes", a), &r);

	if (r == NULL)
		return rc;
	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(r, "nodes"), i, n)
		node_row(&t, n);
	ctl_table_print(&t, stdout, 0);
	json_decref(r);
	return CTL_EXIT_OK;
}

int ctl_config_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	const char *restart;
	json_t *r;
	int rc;

	if (strcmp(a->args[0], "reload") != 0) {
		fprintf(stderr, "sipedgectl config: unknown subcommand \"%s\" (only \"reload\")\n",
			a->args[0]);
		return CTL_EXIT_USAGE;
	}
	rc = ctl_remote(cmd, a, json_pack("{s:s}", "cmd", "config.reload"), &r);
	if (r == NULL)
		return rc;
	restart = json_string_value(json_object_get(r, "restart_needed"));
	printf("config reloaded from %s\n", json_string_value(json_object_get(r, "config")));
	if (restart != NULL && restart[0] != '\0')
		printf("changed but only applied by a restart: %s\n", restart);
	json_decref(r);
	return CTL_EXIT_OK;
}
