/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_state.c - the versioned state the control plane pushes through the
 * agent (docs/agent.md, "State"): state.prepare validates a whole state and
 * stages it, state.commit puts the staged state in force, state.rollback
 * puts the one before back, state.get says what is in force.
 *
 * A state is absolute, not a change: every backend it does not name, and
 * every field of a backend it leaves out, takes the config file's value;
 * the manual bans (state.bans) are the list it holds, none when it has
 * none.
 * Version 0 is the config itself. A version is never reused: a prepare must
 * carry a version greater than any committed before, so that one number
 * always names one state, also after a rollback.
 *
 * Applying is backend.c's be_apply: one new backend table, published by
 * pointer, so the workers see all of a state or none of it; and the manual
 * ban table (ban.h), built at prepare (where a repeated prefix is found)
 * and published by pointer too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "agent_priv.h"
#include "worker.h"

#define AGENT_WEIGHT_MAX 65535

/* The index of the backend named name, or -1. */
static int backend_idx(const struct dp *dp, const char *name)
{
	for (unsigned i = 0; i < dp->cfg.n_backends; i++)
		if (strcmp(dp->cfg.backends[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "kam1, kam2, ...": the backends' names, cut to fit a message. */
static const char *backend_list(const struct dp *dp, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < dp->cfg.n_backends; i++) {
		size_t need = strlen(dp->cfg.backends[i].name) + 2;

		if (o + need + 4 >= len) {
			snprintf(buf + o, len - o, "...");
			break;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      dp->cfg.backends[i].name);
	}
	return buf;
}

static int parse_admin(const char *field, json_t *v, struct be_setting *s, char *err)
{
	char q[100];
	int admin;

	if (!json_is_string(v))
		return agent_wrong_type(err, field, JSON_STRING, v);
	admin = be_admin_parse(json_string_value(v), json_string_length(v));
	if (admin < 0)
		return agent_fail(err, "%s: %s is not enabled, disabled or drain", field,
				  agent_quote(v, q, sizeof(q)));
	s->admin = (uint8_t)admin;
	return 0;
}

static int parse_weight(const char *field, json_t *v, struct be_setting *s, char *err)
{
	json_int_t w;

	if (!json_is_integer(v))
		return agent_wrong_type(err, field, JSON_INTEGER, v);
	w = json_integer_value(v);
	if (w < 1 || w > AGENT_WEIGHT_MAX)
		return agent_fail(err, "%s: %" JSON_INTEGER_FORMAT " out of range [1, %d]", field,
				  w, AGENT_WEIGHT_MAX);
	s->weight = (uint16_t)w;
	return 0;
}

/* One backend's object, {"admin": ..., "weight": ...}, over *s. */
static int parse_backend(const char *name, json_t *o, struct be_setting *s, char *err)
{
	char path[64], field[80], q[100];
	const char *key;
	json_t *v;

	snprintf(path, sizeof(path), "state.backends.%s", name);
	if (!json_is_object(o))
		return agent_wrong_type(err, path, JSON_OBJECT, o);
	json_object_foreach(o, key, v) {
		snprintf(field, sizeof(field), "%s.%s", path, key);
		if (strcmp(key, "admin") == 0) {
			if (parse_admin(field, v, s, err) != 0)
				return -1;
		} else if (strcmp(key, "weight") == 0) {
			if (parse_weight(field, v, s, err) != 0)
				return -1;
		} else {
			return agent_fail(err, "%s: unknown key %s (a backend has admin and weight)",
					  path, agent_quote_str(key, q, sizeof(q)));
		}
	}
	return 0;
}

/* One element of state.bans, {"prefix": "192.0.2.0/24", "expires": 0},
 * into *out. */
static int parse_ban(unsigned i, json_t *o, struct ban_prefix *out, char *err)
{
	char path[40], field[60], q[100], why[120];
	const char *key;
	json_t *v;

	snprintf(path, sizeof(path), "state.bans[%u]", i);
	if (!json_is_object(o))
		return agent_wrong_type(err, path, JSON_OBJECT, o);
	out->expires = 0;
	json_object_foreach(o, key, v) {
		snprintf(field, sizeof(field), "%s.%s", path, key);
		if (strcmp(key, "prefix") == 0) {
			if (!json_is_string(v))
				return agent_wrong_type(err, field, JSON_STRING, v);
			if (ban_prefix_parse(json_string_value(v), json_string_length(v), out, why,
					     sizeof(why)) != 0)
				return agent_fail(err, "%s: %s %s", field, agent_quote(v, q, sizeof(q)),
						  why);
		} else if (strcmp(key, "expires") == 0) {
			if (!json_is_integer(v))
				return agent_wrong_type(err, field, JSON_INTEGER, v);
			out->expires = json_integer_value(v);
			if (out->expires < 0)
				return agent_fail(err, "%s: %" PRId64 " is negative (Unix seconds; 0: "
						  "never)", field, out->expires);
		} else {
			return agent_fail(err, "%s: unknown key %s (a ban has prefix and expires)",
					  path, agent_quote_str(key, q, sizeof(q)));
		}
	}
	if (json_object_get(o, "prefix") == NULL)
		return agent_fail(err, "%s: missing \"prefix\" (a string such as "
				  "\"192.0.2.0/24\")", path);
	return 0;
}

/* state.bans, an array of at most BAN_MANUAL_MAX bans, into st->bans
 * (malloc'd). */
static int parse_bans(json_t *v, struct agent_state *st, char *err)
{
	size_t n;

	if (!json_is_array(v))
		return agent_wrong_type(err, "state.bans", JSON_ARRAY, v);
	n = json_array_size(v);
	if (n > BAN_MANUAL_MAX)
		return agent_fail(err, "state.bans: %zu prefixes, at most %u", n, BAN_MANUAL_MAX);
	free(st->bans);
	st->bans = NULL;
	st->n_bans = 0;
	if (n == 0)
		return 0;
	st->bans = calloc(n, sizeof(*st->bans));
	if (st->bans == NULL)
		return agent_fail(err, "out of memory for %zu bans", n);
	for (size_t i = 0; i < n; i++)
		if (parse_ban((unsigned)i, json_array_get(v, i), &st->bans[i], err) != 0)
			return -1;
	st->n_bans = (unsigned)n;
	return 0;
}

/* The settings state gives every backend, into st->be: the config's, then
 * what state names; its manual bans into st->bans. Validates everything;
 * st is scratch on error (its bans still owned). */
static int parse_state(const struct dp *dp, json_t *state, struct agent_state *st, char *err)
{
	struct be_setting *out = st->be;
	char q[100], list[200];
	const char *key, *name;
	json_t *v, *bv;

	be_settings_config(dp, out);
	json_object_foreach(state, key, v) {
		if (strcmp(key, "bans") == 0) {
			if (parse_bans(v, st, err) != 0)
				return -1;
			continue;
		}
		if (strcmp(key, "backends") != 0)
			return agent_fail(err, "state: unknown key %s (a state holds \"backends\" "
					  "and \"bans\")", agent_quote_str(key, q, sizeof(q)));
		if (!json_is_object(v))
			return agent_wrong_type(err, "state.backends", JSON_OBJECT, v);
		json_object_foreach(v, name, bv) {
			int i = backend_idx(dp, name);

			if (i < 0)
				return agent_fail(err, "state.backends: unknown backend %s (this "
						  "dataplane has %s)", agent_quote_str(name, q, sizeof(q)),
						  backend_list(dp, list, sizeof(list)));
			if (parse_backend(name, bv, &out[i], err) != 0)
				return -1;
		}
	}
	return 0;
}

/* How many backends s sets otherwise than the state in force. */
static unsigned changes(const struct agent *a, const struct be_setting *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->dp->cfg.n_backends; i++)
		n += s[i].admin != a->cur.be[i].admin || s[i].weight != a->cur.be[i].weight;
	return n;
}

/* [{"prefix": "192.0.2.0/24", "expires": 0}, ...] */
static json_t *bans_json(const struct agent_state *st)
{
	json_t *arr = json_array();
	char b[80];

	for (unsigned i = 0; arr && i < st->n_bans; i++) {
		json_t *o = json_object();

		if (o != NULL) {
			agent_set(o, "prefix", json_string(ban_prefix_fmt(&st->bans[i], b, sizeof(b))));
			agent_set(o, "expires", json_integer(st->bans[i].expires));
		}
		agent_append(arr, o);
	}
	return arr;
}

/* {"backends": {"kam1": {"admin": "enabled", "weight": 100}, ...},
 * "bans": [...]}: every backend, stated in full; bans when there are. */
static json_t *state_json(const struct agent *a, const struct agent_state *st)
{
	json_t *state = json_object(), *bes = json_object();

	for (unsigned i = 0; bes && i < a->dp->cfg.n_backends; i++) {
		json_t *b = json_object();

		if (b != NULL) {
			agent_set(b, "admin", json_string(be_admin_name(st->be[i].admin)));
			agent_set(b, "weight", json_integer(st->be[i].weight));
		}
		agent_set(bes, a->dp->cfg.backends[i].name, b);
	}
	if (state == NULL) {
		json_decref(bes);
		return NULL;
	}
	agent_set(state, "backends", bes);
	if (st->n_bans)
		agent_set(state, "bans", bans_json(st));
	return state;
}

/* Drops what the staged state owns. */
static void unstage(struct agent *a)
{
	free(a->staged.bans);
	a->staged.bans = NULL;
	a->staged.n_bans = 0;
	ban_deny_free(a->staged_deny);
	a->staged_deny = NULL;
	a->has_staged = false;
}

void agent_state_init(struct agent *a)
{
	a->cur.version = 0;
	be_settings_config(a->dp, a->cur.be);
	a->high = 0;
	a->has_prev = false;
	a->has_staged = false;
}

void agent_state_fini(struct agent *a)
{
	unstage(a);
	free(a->cur.bans);
	free(a->prev.bans);
	a->cur.bans = a->prev.bans = NULL;
	a->cur.n_bans = a->prev.n_bans = 0;
}

/* The manual ban table of st, built now (expiries are taken to TSC from
 * the present). Returns 0, or -1 with the message in err. */
static int build_deny(struct agent *a, const struct agent_state *st, struct ban_deny **d,
		      char *err)
{
	unsigned dup = 0;
	char b[80], b0[80];
	int rc = ban_deny_build(st->bans, st->n_bans, rte_rdtsc(), (int64_t)time(NULL),
				a->dp->tsc_hz, d, &dup);

	if (rc == -EEXIST) {
		for (unsigned i = 0; i < dup; i++)
			if (st->bans[i].plen == st->bans[dup].plen &&
			    memcmp(&st->bans[i].net, &st->bans[dup].net, sizeof(st->bans[i].net)) == 0)
				return agent_fail(err, "state.bans[%u].prefix: \"%s\" repeats "
						  "state.bans[%u]", dup, ban_prefix_fmt(&st->bans[dup], b,
						  sizeof(b)), i);
		return agent_fail(err, "state.bans[%u].prefix: \"%s\" repeats an earlier one",
				  dup, ban_prefix_fmt(&st->bans[dup], b0, sizeof(b0)));
	}
	if (rc != 0)
		return agent_fail(err, "out of memory for the table of %u manual bans", st->n_bans);
	return 0;
}

/* state.prepare {version, state}: the state validated in full and staged
 * (replacing any staged before); nothing applied. A refused prepare leaves
 * what was staged as it was. */
int agent_cmd_state_prepare(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t v = json_integer_value(json_object_get(req, "version"));
	struct ban_deny *d = NULL;
	struct agent_state st;

	if (v <= a->high) {
		if (a->high == a->cur.version)
			return agent_fail(err, "version: %" JSON_INTEGER_FORMAT " is not greater than "
					  "%" PRId64 ", the version in force", v, a->high);
		return agent_fail(err, "version: %" JSON_INTEGER_FORMAT " is not greater than %"
				  PRId64 ", the highest committed (a rollback put %" PRId64
				  " back in force; versions are not reused)", v, a->high,
				  a->cur.version);
	}
	memset(&st, 0, sizeof(st));
	st.version = v;
	if (parse_state(a->dp, json_object_get(req, "state"), &st, err) != 0 ||
	    build_deny(a, &st, &d, err) != 0) {
		free(st.bans);
		return -1;
	}
	unstage(a);
	a->staged = st;
	a->staged_deny = d;
	a->has_staged = true;
	agent_set(reply, "version", json_integer(v));
	agent_set(reply, "changes", json_integer(changes(a, st.be)));
	agent_set(reply, "bans", json_integer(st.n_bans));
	return 0;
}

/* state.commit {version}: the staged state, if version names it, in
 * force; the one it replaces kept for state.rollback. */
int agent_cmd_state_commit(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t v = json_integer_value(json_object_get(req, "version"));
	char why[48];
	int rc;

	if (!a->has_staged)
		return agent_fail(err, "version: %" JSON_INTEGER_FORMAT " is not staged: nothing "
				  "is (state.prepare first)", v);
	if (v != a->staged.version)
		return agent_fail(err, "version: %" JSON_INTEGER_FORMAT " is not the staged "
				  "version %" PRId64, v, a->staged.version);
	/* the old ban table needs a place in the retire queue: made sure of
	 * before anything changes, so that the state goes in whole or not */
	if (!dp_retire_room(a->dp))
		return agent_fail(err, "state %" PRId64 " not applied: %u tables still wait for "
				  "the workers to let go of them; try again", a->staged.version,
				  DP_RETIRE_MAX);
	snprintf(why, sizeof(why), "state %" PRId64, a->staged.version);
	rc = be_apply(a->dp, a->mw, a->staged.be, why);
	if (rc < 0)
		return agent_fail(err, "out of memory: state %" PRId64 " not applied; state %"
				  PRId64 " stays in force", a->staged.version, a->cur.version);
	ban_deny_publish(a->dp, a->staged_deny);
	a->staged_deny = NULL;
	RTE_LOG(NOTICE, USER1, "agent: state %" PRId64 " committed (was %" PRId64 "): %d "
		"backend(s) changed, %u manual ban(s)\n", a->staged.version, a->cur.version, rc,
		a->staged.n_bans);
	free(a->prev.bans);
	a->prev = a->cur;
	a->has_prev = true;
	a->cur = a->staged;
	a->staged.bans = NULL;
	a->staged.n_bans = 0;
	a->has_staged = false;
	a->high = a->cur.version;
	a->mw->st->ctr[STATS_state_commits]++;
	agent_set(reply, "state_version", json_integer(a->cur.version));
	agent_set(reply, "changed", json_integer(rc));
	return 0;
}

/* state.rollback: the state before the one in force, back in force. One
 * level: the state rolled back from is not kept, and a staged state is
 * dropped (it was prepared against what is no longer in force). */
int agent_cmd_state_rollback(struct agent *a, json_t *req, json_t *reply, char *err)
{
	struct ban_deny *d = NULL;
	char why[64];
	int rc;

	(void)req;
	if (!a->has_prev) {
		if (a->cur.version == 0)
			return agent_fail(err, "nothing to roll back to: state 0 (the config file) "
					  "is in force");
		return agent_fail(err, "nothing to roll back to: state %" PRId64 " is in force "
				  "and the one before it is not kept (one rollback per commit)",
				  a->cur.version);
	}
	if (!dp_retire_room(a->dp))
		return agent_fail(err, "state %" PRId64 " not restored: %u tables still wait for "
				  "the workers to let go of them; try again", a->prev.version,
				  DP_RETIRE_MAX);
	if (build_deny(a, &a->prev, &d, err) != 0)
		return -1;
	snprintf(why, sizeof(why), "rollback to state %" PRId64, a->prev.version);
	rc = be_apply(a->dp, a->mw, a->prev.be, why);
	if (rc < 0) {
		ban_deny_free(d);
		return agent_fail(err, "out of memory: state %" PRId64 " not restored; state %"
				  PRId64 " stays in force", a->prev.version, a->cur.version);
	}
	ban_deny_publish(a->dp, d);
	RTE_LOG(NOTICE, USER1, "agent: state rolled back from %" PRId64 " to %" PRId64
		": %d backend(s) changed, %u manual ban(s)%s\n", a->cur.version, a->prev.version,
		rc, a->prev.n_bans, a->has_staged ? "; the staged state dropped" : "");
	free(a->cur.bans);
	a->cur = a->prev;
	a->prev.bans = NULL;
	a->prev.n_bans = 0;
	a->has_prev = false;
	unstage(a);
	a->mw->st->ctr[STATS_state_rollbacks]++;
	agent_set(reply, "state_version", json_integer(a->cur.version));
	agent_set(reply, "changed", json_integer(rc));
	return 0;
}

/* state.get: the state in force, in full, and the version staged (null
 * when none). */
int agent_cmd_state_get(struct agent *a, json_t *req, json_t *reply, char *err)
{
	(void)req;
	(void)err;
	agent_set(reply, "state_version", json_integer(a->cur.version));
	agent_set(reply, "highest_version", json_integer(a->high));
	agent_set(reply, "state", state_json(a, &a->cur));
	agent_set(reply, "staged_version", a->has_staged ? json_integer(a->staged.version) :
		  json_null());
	return 0;
}
