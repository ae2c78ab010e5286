/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_cmds.h - the table of control socket commands (cp_cmds.c), exported
 * for the command-table unit test and for `help`.
 */
#ifndef SIPEDGE_CP_CMDS_H
#define SIPEDGE_CP_CMDS_H

#include "cp.h"

enum ctl_arg_type {
	CTL_ARG_STR = 1,
	CTL_ARG_INT,
	CTL_ARG_BOOL,
	CTL_ARG_STRS, /* an array of strings: lo..hi bound the count, each
		       * string is 1..CTL_ARG_ITEM_MAX bytes without NUL */
};

#define CTL_ARG_ITEM_MAX 4095

/* One argument of a command: a member of the request object. */
struct ctl_arg {
	const char *name;
	enum ctl_arg_type type;
	bool required;
	int64_t lo, hi; /* integers: the value; strings: the length; arrays:
			 * the number of items */
	const char *help;
};

struct ctl_cmd_def {
	const char *name;
	enum ctl_access access;
	const struct ctl_arg *args; /* ends with a row whose name is NULL */
	const char *help;	    /* one line */
	enum ctl_result (*run)(struct ctl_req *r);
};

/* The table, n rows. */
const struct ctl_cmd_def *ctl_cmds_table(unsigned *n);
const struct ctl_cmd_def *ctl_cmds_find(const char *name);
/* Checks msg's members against cmd's args. Returns 0, or -EINVAL with the
 * message in err (naming the argument and quoting the value). */
int ctl_cmds_check_args(const struct ctl_cmd_def *cmd, json_t *msg, char *err, size_t errlen);

#endif /* SIPEDGE_CP_CMDS_H */
