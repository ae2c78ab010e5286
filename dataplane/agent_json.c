/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_json.c - what the agent's commands share to read requests and
 * write replies with Jansson: error messages that name the field and quote
 * the value (as JSON text, ASCII, cut at 80 characters), the names of JSON
 * types, and setters that remember when memory ran out, so that a reply
 * missing a field is never sent as if whole. Main lcore only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_priv.h"

/* Set when building a reply ran out of memory: the reply would miss a
 * field, so it is replaced by an error. Main lcore only. */
static bool reply_oom;

int agent_fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, AGENT_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* A JSON text cut at 80 characters, "..." marking the cut (inside the
 * quotes of a string, as the config's messages do). */
static const char *cut80(const char *s, char *buf, size_t len)
{
	if (strlen(s) <= 80)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%.80s...%s", s, s[0] == '"' ? "\"" : "");
	return buf;
}

const char *agent_quote(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

	cut80(s ? s : "?", buf, len);
	free(s);
	return buf;
}

const char *agent_quote_str(const char *s, char *buf, size_t len)
{
	json_t *j = json_string(s);

	if (j == NULL) /* not UTF-8: Jansson's keys always are */
		return cut80("?", buf, len);
	agent_quote(j, buf, len);
	json_decref(j);
	return buf;
}

const char *agent_type_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	default: return "?";
	}
}

int agent_wrong_type(char *err, const char *field, json_type want, const json_t *v)
{
	char q[100];
	json_type t = json_typeof(v);

	if (t == JSON_STRING || t == JSON_INTEGER || t == JSON_REAL)
		return agent_fail(err, "%s: expected %s, found %s %s", field, agent_type_name(want),
				  agent_type_name(t), agent_quote(v, q, sizeof(q)));
	return agent_fail(err, "%s: expected %s, found %s", field, agent_type_name(want),
			  agent_type_name(t));
}

void agent_set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		reply_oom = true;
}

void agent_append(json_t *arr, json_t *v)
{
	if (v == NULL || json_array_append_new(arr, v) != 0)
		reply_oom = true;
}

void agent_oom_clear(void)
{
	reply_oom = false;
}

bool agent_oom(void)
{
	return reply_oom;
}
