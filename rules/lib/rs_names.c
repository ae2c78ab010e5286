/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_names.c - names of fields, operators and actions, from rs_field.def.
 */
#include <string.h>
#include <strings.h>

#include "rs.h"

static const struct {
	const char *name;
	enum rs_kind kind;
	const char *help;
} fields[RS_F__COUNT] = {
#define X(id, nm, k, h) [RS_F_##id] = {nm, RS_KIND_##k, h},
#include "rs_field.def"
#undef X
};

static const char *const ops[RS_OP__COUNT] = {
	[RS_OP_REGEX] = "~", [RS_OP_EQ] = "==", [RS_OP_PREFIX] = "^=",
	[RS_OP_SUFFIX] = "$=", [RS_OP_CONTAINS] = "*=", [RS_OP_EXISTS] = "exists",
	[RS_OP_CIDR] = "in", [RS_OP_LT] = "<", [RS_OP_LE] = "<=", [RS_OP_GT] = ">",
	[RS_OP_GE] = ">=", [RS_OP_NUM_EQ] = "==", [RS_OP_NUM_NE] = "!=",
};

static const char *const actions[RS_ACT__COUNT] = {
	[RS_ACT_NONE] = "forward", [RS_ACT_ALLOW] = "allow", [RS_ACT_DROP] = "drop",
	[RS_ACT_REJECT] = "reject", [RS_ACT_BAN] = "ban", [RS_ACT_COUNT] = "count",
};

const char *rs_field_name(enum rs_field f)
{
	return f > RS_F__NONE && f < RS_F__COUNT ? fields[f].name : NULL;
}

enum rs_kind rs_field_kind(enum rs_field f)
{
	return f > RS_F__NONE && f < RS_F__COUNT ? fields[f].kind : 0;
}

const char *rs_field_help(enum rs_field f)
{
	return f > RS_F__NONE && f < RS_F__COUNT ? fields[f].help : NULL;
}

/* Field names are case-insensitive, like the header names they mirror. */
enum rs_field rs_field_lookup(const char *name, size_t len)
{
	for (unsigned f = RS_F__NONE + 1; f < RS_F__COUNT; f++)
		if (strlen(fields[f].name) == len && strncasecmp(fields[f].name, name, len) == 0)
			return (enum rs_field)f;
	return RS_F__NONE;
}

const char *rs_action_name(enum rs_action a)
{
	return (unsigned)a < RS_ACT__COUNT ? actions[a] : NULL;
}

const char *rs_op_name(enum rs_op op)
{
	return op > 0 && (unsigned)op < RS_OP__COUNT ? ops[op] : NULL;
}
