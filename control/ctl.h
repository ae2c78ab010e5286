/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl.h - what sipedgectl's command modules share with its dispatcher.
 *
 * Every command is one row of the table in sipedgectl.c: its name, its
 * operands, its options (a table of struct ctl_opt), one line of help and a
 * handler. The dispatcher parses the options against that table (so range
 * checks and their error messages are written once), checks the operand
 * count and calls the handler; `sipedgectl help CMD` and docs/sipedgectl.md
 * are written from the same rows.
 */
#ifndef SIPEDGE_CTL_H
#define SIPEDGE_CTL_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses, the same for every command (docs/sipedgectl.md). */
enum ctl_exit {
	CTL_EXIT_OK = 0,      /* done; for inspect: the message is well-formed */
	CTL_EXIT_REFUSED = 1, /* the command ran and said no: malformed */
	CTL_EXIT_USAGE = 2,   /* bad command line, or an I/O error */
};

/* One option of a command: "--name" for a flag, "--name N" or "--name=N"
 * for a number. */
struct ctl_opt {
	const char *name;  /* without the leading "--" */
	const char *arg;   /* metavariable of the value ("N"); NULL: flag */
	uint32_t min, max; /* accepted range of the value, inclusive */
	uint32_t def;	   /* the default, as shown by help */
	const char *help;  /* one line */
	const char *sdef;  /* non-NULL: a string option, with this default */
};

#define CTL_OPTS_MAX 16u

/* What the dispatcher hands a command: operands in order (options taken
 * out) and, per row of the command's option table, whether it was given and
 * its value (1 for a flag; the last one wins when repeated). */
struct ctl_args {
	unsigned nargs;
	char **args;
	bool set[CTL_OPTS_MAX];
	uint32_t val[CTL_OPTS_MAX];
	const char *str[CTL_OPTS_MAX]; /* string options: the value or sdef */
};

struct ctl_cmd {
	const char *name;
	const char *operands; /* synopsis of the operands, "" for none */
	unsigned min_args, max_args;
	const struct ctl_opt *opts; /* ends with a row whose name is NULL */
	const char *help;	    /* one line, for `sipedgectl help` */
	const char *more;	    /* a paragraph for `sipedgectl help CMD`, or NULL */
	/* Returns an enum ctl_exit; prints its own messages. Only main()
	 * exits, so a handler returns even after a fatal error. */
	int (*run)(const struct ctl_cmd *cmd, const struct ctl_args *a);
};

/* inspect: parse one SIP message from a file and print its fields
 * (ctl_inspect.c). ctl_inspect_opts is indexed by enum ctl_inspect_opt. */
enum ctl_inspect_opt {
	CTL_INSPECT_JSON = 0,
	CTL_INSPECT_STREAM,
	CTL_INSPECT_MAX_MSG,
	CTL_INSPECT_MAX_HEADERS,
	CTL_INSPECT_MAX_LINE,
	CTL_INSPECT__COUNT
};

extern const struct ctl_opt ctl_inspect_opts[];
int ctl_inspect_run(const struct ctl_cmd *cmd, const struct ctl_args *a);

/* Commands that speak to sipedge-control (ctl_cmds_*.c, ctl_client.h). */
int ctl_status_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
int ctl_nodes_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
int ctl_stats_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
int ctl_watch_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
int ctl_backends_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
int ctl_config_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
extern const struct ctl_opt ctl_remote_opts[], ctl_node_opts[], ctl_stats_opts[],
	ctl_watch_opts[];

/* rules (check works without a daemon), explain, bans (ctl_cmds_rules.c). */
int ctl_rules_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
int ctl_explain_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
int ctl_bans_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
extern const struct ctl_opt ctl_rules_opts[], ctl_explain_opts[], ctl_bans_opts[];

/* state: versions per node, the history of changes, rollback (ctl_cmds_state.c). */
int ctl_state_run(const struct ctl_cmd *cmd, const struct ctl_args *a);
extern const struct ctl_opt ctl_state_opts[];

#endif /* SIPEDGE_CTL_H */
