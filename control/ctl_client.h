/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_client.h - sipedgectl's side of the control socket (docs/control.md):
 * connect, one JSON line out, one JSON line back; and the table printer
 * that every command's human output goes through.
 */
#ifndef SIPEDGE_CTL_CLIENT_H
#define SIPEDGE_CTL_CLIENT_H

#include <jansson.h>
#include <stdio.h>

#include "ctl.h"

#define CTL_SOCKET_DEFAULT "/run/sipedge/control.sock"

/* The first rows of every remote command's option table, in this order. */
enum ctl_remote_opt {
	CTL_RO_JSON = 0,
	CTL_RO_SOCKET,
	CTL_RO_TIMEOUT,
	CTL_RO__COUNT
};

#define CTL_REMOTE_OPT_ROWS                                                                       \
	{"json", NULL, 0, 0, 0, "print the reply as one JSON line (for scripts)", NULL},          \
	{"socket", "PATH", 0, 0, 0, "sipedge-control's control socket", CTL_SOCKET_DEFAULT},      \
	{"timeout", "SECONDS", 1, 3600, 10, "wait at most this long for the reply", NULL}

struct ctl_conn {
	int fd;
	const char *path;
	const char *cmd; /* for messages */
	unsigned timeout_ms;
	char *in;
	size_t len, cap;
};

/* Connects to --socket. Returns 0, or an enum ctl_exit with the reason
 * printed (socket missing, permission denied, nobody listening). */
int ctl_conn_open(struct ctl_conn *c, const struct ctl_cmd *cmd, const struct ctl_args *a);
/* Sends req (consumed), waits for one reply line. Returns the reply (new
 * reference) or NULL with the reason printed. */
json_t *ctl_conn_call(struct ctl_conn *c, json_t *req);
void ctl_conn_close(struct ctl_conn *c);

/* One request on a connection of its own. With --json, the reply is
 * printed as is and *reply is NULL. Without, a refusal is printed as
 * "sipedgectl CMD: error" and *reply is NULL, except for a refused push
 * that carries per-node "results": then *reply is set and the status is 1.
 * Otherwise *reply is the reply for the caller to print and free. Returns an enum ctl_exit. */
int ctl_remote(const struct ctl_cmd *cmd, const struct ctl_args *a, json_t *req, json_t **reply);

/* A table: headers first, then cells row by row. A header starting with
 * '>' is a right-aligned (numeric) column; the '>' is not printed. */
#define CTL_TABLE_COLS 12
struct ctl_table {
	unsigned ncols;
	const char *head[CTL_TABLE_COLS];
	char **cells;
	size_t n, cap;
};

void ctl_table_init(struct ctl_table *t, const char *const *heads);
__attribute__((format(printf, 2, 3))) void ctl_table_cell(struct ctl_table *t, const char *fmt,
							  ...);
/* Prints and frees; at most max_rows rows (0: all), then "... N more". */
void ctl_table_print(struct ctl_table *t, FILE *f, unsigned max_rows);

/* Formatting helpers for cells. */
const char *ctl_fmt_int(json_t *v, char *buf, size_t len);	/* "-" for none */
/* A change refused on one node and in force on others is taken back there
 * (docs/control.md, "taken_back"): one line per node of r's "taken_back",
 * as `state rollback` words it (rolled_back, pushed, unchanged, pending,
 * refused). what names the change. */
void ctl_print_taken_back(json_t *r, const char *what);
const char *ctl_fmt_rate(json_t *v, char *buf, size_t len);	/* "12.5", "-" */
const char *ctl_fmt_dur(unsigned long long ms, char *buf, size_t len); /* "1h02m" */

#endif /* SIPEDGE_CTL_CLIENT_H */
