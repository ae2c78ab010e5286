/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_cmds_stats.c - sipedgectl stats and watch: the counters that
 * sipedge-control collects from each dataplane, with the rates it computed
 * over its last collect interval (docs/sipedgectl.md).
 *
 * watch redraws the same view like top: one request per interval on one
 * connection, the screen cleared only on a terminal, q or Ctrl-C to stop,
 * --count N to stop after N frames (for scripts and tests). Each table is
 * cut to a few rows so that a frame fits a screen.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_client.h"

/* rows of the option tables below */
enum { OPT_NODE = CTL_RO__COUNT, OPT_ALL, OPT_INTERVAL = OPT_ALL, OPT_COUNT };

const struct ctl_opt ctl_stats_opts[] = {
	CTL_REMOTE_OPT_ROWS,
	{"node", "NAME", 0, 0, 0, "only this node (default: all)", ""},
	{"all", NULL, 0, 0, 0, "also show counters that are zero", NULL},
	{NULL},
};

const struct ctl_opt ctl_watch_opts[] = {
	CTL_REMOTE_OPT_ROWS,
	{"node", "NAME", 0, 0, 0, "only this node (default: all)", ""},
	{"interval-ms", "N", 200, 60000, 1000, "time between frames", NULL},
	{"count", "N", 0, 1000000, 0, "stop after N frames (0: until q or Ctrl-C)", NULL},
	{NULL},
};

/* root["a"]["b"]... for a NULL-terminated list of keys; NULL if absent. */
static json_t *jget(json_t *root, ...)
{
	const char *k;
	va_list ap;

	va_start(ap, root);
	while (root != NULL && (k = va_arg(ap, const char *)) != NULL)
		root = json_object_get(root, k);
	va_end(ap);
	return root;
}

static bool is_zero(json_t *v)
{
	return !json_is_integer(v) || json_integer_value(v) == 0;
}

/* name / value / per second, for one group of the totals. */
static void group_table(json_t *node, const char *group, const char *head, bool all,
			unsigned max_rows)
{
	const char *heads[] = {head, ">TOTAL", ">PER-S", NULL};
	struct ctl_table t;
	const char *k;
	json_t *v;
	char b1[32], b2[32];

	ctl_table_init(&t, heads);
	json_object_foreach(jget(node, "counters", "total", group, NULL), k, v) {
		if (!all && is_zero(v))
			continue;
		ctl_table_cell(&t, "%s", k);
		ctl_table_cell(&t, "%s", ctl_fmt_int(v, b1, sizeof(b1)));
		ctl_table_cell(&t, "%s", ctl_fmt_rate(jget(node, "rates", "total", group, k, NULL),
						      b2, sizeof(b2)));
	}
	ctl_table_print(&t, stdout, max_rows);
	putchar('\n');
}

/* a counter and its rate, as two cells */
static void pair(struct ctl_table *t, json_t *node, const char *sec, const char *id,
		 const char *grp, const char *k)
{
	char b1[32], b2[32];
	json_t *v = grp != NULL ? jget(node, "counters", sec, id, grp, k, NULL)
				: jget(node, "counters", sec, id, k, NULL);
	json_t *r = grp != NULL ? jget(node, "rates", sec, id, grp, k, NULL)
				: jget(node, "rates", sec, id, k, NULL);

	ctl_table_cell(t, "%s", ctl_fmt_int(v, b1, sizeof(b1)));
	ctl_table_cell(t, "%s", ctl_fmt_rate(r, b2, sizeof(b2)));
}

static void ports_table(json_t *node)
{
	static const char *const heads[] = {"PORT", "ROLE", ">RX-PKTS", ">RX/S", ">TX-PKTS",
					    ">TX/S", NULL};
	struct ctl_table t;
	json_t *p;
	size_t i;

	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(node, "ports"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *role = json_string_value(json_object_get(p, "role"));

		if (name == NULL)
			continue;
		ctl_table_cell(&t, "%s", name);
		ctl_table_cell(&t, "%s", role != NULL ? role : "-");
		pair(&t, node, "ports", name, NULL, "rx_pkts");
		pair(&t, node, "ports", name, NULL, "tx_pkts");
	}
	ctl_table_print(&t, stdout, 0);
	putchar('\n');
}

static void workers_table(json_t *node)
{
	static const char *const heads[] = {"WORKER", ">LCORE", ">RX-PKTS", ">RX/S", ">TX-PKTS",
					    ">TX/S", ">DROPS", ">DROPS/S", ">REPLIES", NULL};
	struct ctl_table t;
	json_t *w;
	size_t i;
	char id[32], b[32];

	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(node, "workers"), i, w) {
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(w, "id")));
		ctl_table_cell(&t, "%s", id);
		ctl_table_cell(&t, "%s", ctl_fmt_int(json_object_get(w, "lcore"), b, sizeof(b)));
		pair(&t, node, "workers", id, "ctr", "rx_pkts");
		pair(&t, node, "workers", id, "ctr", "tx_pkts");
		pair(&t, node, "workers", id, NULL, "drops");
		ctl_table_cell(&t, "%s",
			       ctl_fmt_int(jget(node, "counters", "workers", id, "replies", NULL), b,
					   sizeof(b)));
	}
	ctl_table_print(&t, stdout, 0);
	putchar('\n');
}

static void backends_table(json_t *node)
{
	static const char *const heads[] = {"BACKEND", "UP", "ADMIN", ">WEIGHT", ">REQUESTS",
					    ">REQ/S", NULL};
	struct ctl_table t;
	json_t *be;
	size_t i;
	char b[32];

	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(node, "backends"), i, be) {
		const char *name = json_string_value(json_object_get(be, "name"));
		const char *admin = json_string_value(json_object_get(be, "admin"));

		if (name == NULL)
			continue;
		ctl_table_cell(&t, "%s", name);
		ctl_table_cell(&t, "%s", json_is_true(json_object_get(be, "up")) ? "up" : "down");
		ctl_table_cell(&t, "%s", admin != NULL ? admin : "-");
		ctl_table_cell(&t, "%s", ctl_fmt_int(json_object_get(be, "weight"), b, sizeof(b)));
		pair(&t, node, "backends", name, NULL, "requests");
	}
	ctl_table_print(&t, stdout, 0);
}

static void node_header(json_t *node)
{
	char d1[32], d2[32];

	printf("node %s: link %s", json_string_value(json_object_get(node, "node")),
	       json_string_value(json_object_get(node, "link")));
	if (json_is_null(json_object_get(node, "counters")) ||
	    json_object_get(node, "counters") == NULL) {
		printf(", no snapshot yet\n\n");
		return;
	}
	printf(", snapshot %s old, rates over %s\n\n",
	       ctl_fmt_dur((unsigned long long)json_integer_value(json_object_get(node, "age_ms")),
			   d1, sizeof(d1)),
	       ctl_fmt_dur((unsigned long long)json_integer_value(
				   json_object_get(node, "interval_ms")),
			   d2, sizeof(d2)));
}

/* The view of one node; compact (watch) cuts the long tables. */
static void print_node(json_t *node, bool all, bool compact)
{
	node_header(node);
	if (json_object_get(node, "counters") == NULL || json_is_null(json_object_get(node, "counters")))
		return;
	if (!compact)
		group_table(node, "ctr", "EVENT", all, 0);
	ports_table(node);
	workers_table(node);
	group_table(node, "drop", "DROP REASON", all, compact ? 8 : 0);
	group_table(node, "reply", "REPLY", all, compact ? 8 : 0);
	backends_table(node);
	putchar('\n');
}

static void print_control(json_t *ctl)
{
	json_t *v;
	const char *k;
	bool any = false;

	printf("control: clients %lld, requests %lld, agent reconnects %lld, pushes %lld ok %lld "
	       "failed; bad requests:",
	       (long long)json_integer_value(json_object_get(ctl, "clients")),
	       (long long)json_integer_value(json_object_get(ctl, "requests")),
	       (long long)json_integer_value(json_object_get(ctl, "agent_disconnects")),
	       (long long)json_integer_value(json_object_get(ctl, "pushes_ok")),
	       (long long)json_integer_value(json_object_get(ctl, "pushes_failed")));
	json_object_foreach(json_object_get(ctl, "bad_requests"), k, v)
		if (!is_zero(v)) {
			printf(" %s %lld", k, (long long)json_integer_value(v));
			any = true;
		}
	printf("%s\n", any ? "" : " none");
}

static json_t *stats_req(const struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", "stats");

	if (a->set[OPT_NODE])
		json_object_set_new(req, "node", json_string(a->str[OPT_NODE]));
	return req;
}

int ctl_stats_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *r, *node;
	size_t i;
	int rc = ctl_remote(cmd, a, stats_req(a), &r);

	if (r == NULL)
		return rc;
	json_array_foreach(json_object_get(r, "nodes"), i, node)
		print_node(node, a->set[OPT_ALL], false);
	print_control(json_object_get(r, "control"));
	json_decref(r);
	return CTL_EXIT_OK;
}

/* ---- watch ---- */

static volatile sig_atomic_t watch_stop;

static void on_sigint(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* Waits up to ms for the interval to pass; true if the user pressed q. */
static bool wait_key(bool tty, unsigned ms)
{
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	char ch;

	if (!tty) {
		poll(NULL, 0, (int)ms);
		return false;
	}
	if (poll(&pfd, 1, (int)ms) > 0 && read(STDIN_FILENO, &ch, 1) == 1)
		return ch == 'q' || ch == 'Q' || ch == 3;
	return false;
}

static int watch_frame(struct ctl_conn *c, const struct ctl_args *a, bool tty, unsigned frame)
{
	json_t *r = ctl_conn_call(c, stats_req(a)), *node;
	size_t i;

	if (r == NULL)
		return CTL_EXIT_USAGE;
	if (!json_is_true(json_object_get(r, "ok"))) {
		fprintf(stderr, "sipedgectl watch: %s\n",
			json_string_value(json_object_get(r, "error")));
		json_decref(r);
		return CTL_EXIT_REFUSED;
	}
	if (tty)
		fputs("\033[H\033[2J", stdout);
	if (a->set[CTL_RO_JSON]) {
		json_dumpf(r, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		printf("sipedgectl watch: frame %u, every %u ms%s\n\n", frame,
		       a->set[OPT_INTERVAL] ? a->val[OPT_INTERVAL] : 1000u,
		       tty ? " (q to quit)" : "");
		json_array_foreach(json_object_get(r, "nodes"), i, node)
			print_node(node, false, true);
		print_control(json_object_get(r, "control"));
	}
	fflush(stdout);
	json_decref(r);
	return CTL_EXIT_OK;
}

int ctl_watch_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	unsigned count = a->set[OPT_COUNT] ? a->val[OPT_COUNT] : 0;
	unsigned ms = a->set[OPT_INTERVAL] ? a->val[OPT_INTERVAL] : 1000u, frame;
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO), restore = false;
	struct termios old, raw;
	struct sigaction sa = {.sa_handler = on_sigint};
	struct ctl_conn c;
	int rc = ctl_conn_open(&c, cmd, a);

	if (rc != 0)
		return rc;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	for (frame = 1; !watch_stop && (count == 0 || frame <= count); frame++) {
		rc = watch_frame(&c, a, tty, frame);
		if (rc != CTL_EXIT_OK || (count != 0 && frame == count))
			break;
		if (wait_key(tty, ms))
			break;
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	ctl_conn_close(&c);
	return watch_stop ? CTL_EXIT_OK : rc;
}
