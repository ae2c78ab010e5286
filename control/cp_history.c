/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_history.c - the operator changes to the wanted state (each node's
 * backends, the manual bans), kept in state.json, and rolling them back
 * (`state`, `state.rollback`; docs/sipedge-control.md, "History and
 * rollback").
 *
 * Every change to the wanted state reaches the state file through
 * ctl_state_save, so the history is taken there: before each write the
 * wanted state is compared with what the last write held (the base). A
 * difference written while an admin command is being handled is that
 * command's change: one entry with what changed, the values before (its
 * undo), who sent it (the socket peer's uid and pid) and when. A
 * difference written outside any command (a ban that expired, a refused
 * change taken back by cp_cmds.c) moves the base without an entry: no
 * operator made it. An entry is kept only if its write succeeds; the
 * caller takes the change back otherwise.
 *
 * A rollback undoes the newest change not undone yet: the backends and
 * bans it changed get their values before again (a ban whose expiry has
 * passed meanwhile is not brought back), the result is written, then put
 * in force on each node whose state it changes (ctl_push_restore: the
 * dataplane's state.rollback where it keeps exactly that state, else a
 * new version). A rollback is an entry too ("undoes": N), but no rollback
 * undoes another: a second one walks further back, as an editor's undo
 * does (to undo a rollback, make the change again). With a node named,
 * only that node's part of the newest change there is undone.
 *
 * The module's state is static, as cp_state.c's: one daemon per process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_cmds.h"

static struct {
	json_t *entries;	/* oldest first */
	uint64_t next_seq;
	json_t *base;		/* the wanted state as last written: snapshot() */
	json_t *next_base;	/* as being written now */
	json_t *tentative;	/* the entry this write added or grew (borrowed) */
	json_t *tentative_was;	/* that entry before it grew; NULL: added */
	json_t *req;		/* the admin command being handled: cmd, args, by */
	uint64_t req_seq;	/* the entry it recorded, 0 none */
	bool quiet;		/* a rollback is writing: its entry is its own */
	uint64_t busy;		/* the rollback whose pushes are out, 0 none */
} h;

/* ---- the wanted state, and what changed in it ---- */

/* {"nodes": {node: its backends}, "bans": {prefix: expires}} */
static json_t *snapshot(const struct ctl_cp *cp)
{
	json_t *nodes = json_object(), *bans = json_object(), *list = ctl_bans_state(cp), *e;
	const struct ctl_node *n;
	size_t i;

	for (n = cp->nodes; n != NULL; n = n->next)
		json_object_set_new(nodes, n->name, json_deep_copy(n->backends));
	json_array_foreach(list, i, e)
		json_object_set(bans, json_string_value(json_object_get(e, "prefix")),
				json_object_get(e, "expires"));
	json_decref(list);
	return json_pack("{s:o, s:o}", "nodes", nodes, "bans", bans);
}

/* A backend entry with no field is no entry: the config's values. */
static json_t *be_norm(json_t *v)
{
	return json_object_size(v) > 0 ? v : NULL;
}

static bool same(json_t *a, json_t *b)
{
	return a == NULL ? b == NULL : b != NULL && json_equal(a, b);
}

static const char *fmt_val(json_t *v, char *buf, size_t len)
{
	if (v == NULL)
		return "(config)";
	if (json_is_string(v))
		return json_string_value(v);
	snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	return buf;
}

static const char *fmt_expiry(json_t *v, char *buf, size_t len)
{
	time_t t = (time_t)json_integer_value(v);
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return "until removed";
	strftime(buf, len, "until %Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* "gw1 kam1 admin: (config) -> disabled", per field that differs. */
static void describe_be(json_t *changes, const char *node, const char *be, json_t *old,
			json_t *now)
{
	static const char *const fields[] = {"admin", "weight"};
	char b1[32], b2[32];
	unsigned i;

	for (i = 0; i < 2; i++) {
		json_t *o = json_object_get(old, fields[i]), *c = json_object_get(now, fields[i]);

		if (!same(o, c))
			json_array_append_new(changes, json_sprintf("%s %s %s: %s -> %s", node, be,
								    fields[i],
								    fmt_val(o, b1, sizeof(b1)),
								    fmt_val(c, b2, sizeof(b2))));
	}
}

static void describe_ban(json_t *changes, const char *prefix, json_t *old, json_t *now)
{
	char b1[48], b2[48];

	if (old == NULL)
		json_array_append_new(changes, json_sprintf("ban %s added (%s)", prefix,
							    fmt_expiry(now, b1, sizeof(b1))));
	else if (now == NULL)
		json_array_append_new(changes, json_sprintf("ban %s removed", prefix));
	else
		json_array_append_new(changes, json_sprintf("ban %s: %s -> %s", prefix,
							    fmt_expiry(old, b1, sizeof(b1)),
							    fmt_expiry(now, b2, sizeof(b2))));
}

/* One node's backends from b (before) to c: their undo (the value before,
 * or null for none), and the changes described. */
static json_t *diff_node(const char *node, json_t *b, json_t *c, json_t *changes)
{
	json_t *undo = json_object(), *v;
	const char *be;

	json_object_foreach(b, be, v) {
		json_t *o = be_norm(v), *now = be_norm(json_object_get(c, be));

		if (same(o, now))
			continue;
		json_object_set_new(undo, be, o != NULL ? json_deep_copy(o) : json_null());
		describe_be(changes, node, be, o, now);
	}
	json_object_foreach(c, be, v) {
		if (json_object_get(b, be) != NULL || be_norm(v) == NULL)
			continue;
		json_object_set_new(undo, be, json_null());
		describe_be(changes, node, be, NULL, v);
	}
	return undo;
}

/* From snapshot b to snapshot c: {"nodes": {node: undo}, "bans": {prefix:
 * expires before, or null}}; changes gets one line per field. A node
 * only in one of them came or went with the config: no change of state. */
static json_t *diff(json_t *b, json_t *c, json_t *changes)
{
	json_t *un = json_object(), *ub = json_object(), *v;
	json_t *bb = json_object_get(b, "bans"), *cb = json_object_get(c, "bans");
	const char *name;

	json_object_foreach(json_object_get(c, "nodes"), name, v) {
		json_t *old = json_object_get(json_object_get(b, "nodes"), name), *u;

		if (old == NULL)
			continue;
		u = diff_node(name, old, v, changes);
		if (json_object_size(u) > 0)
			json_object_set(un, name, u);
		json_decref(u);
	}
	json_object_foreach(bb, name, v) {
		if (same(v, json_object_get(cb, name)))
			continue;
		json_object_set(ub, name, v);
		describe_ban(changes, name, v, json_object_get(cb, name));
	}
	json_object_foreach(cb, name, v) {
		if (json_object_get(bb, name) != NULL)
			continue;
		json_object_set_new(ub, name, json_null());
		describe_ban(changes, name, NULL, v);
	}
	return json_pack("{s:o, s:o}", "nodes", un, "bans", ub);
}

static bool undo_empty(json_t *u)
{
	return json_object_size(json_object_get(u, "nodes")) == 0 &&
	       json_object_size(json_object_get(u, "bans")) == 0;
}

/* ---- recording, around each write ---- */

static uint64_t seq_of(json_t *e)
{
	return (uint64_t)json_integer_value(json_object_get(e, "seq"));
}

/* A change, not a rollback of one. */
static bool is_change(json_t *e)
{
	return json_object_get(e, "undoes") == NULL;
}

static json_t *last_entry(void)
{
	size_t k = json_array_size(h.entries);

	return k > 0 ? json_array_get(h.entries, k - 1) : NULL;
}

/* The same command wrote twice: its first values before are the ones. */
static void merge(json_t *e, json_t *undo, json_t *changes)
{
	json_t *eu = json_object_get(e, "undo"), *v, *nu;
	const char *k, *be;

	json_object_foreach(json_object_get(undo, "nodes"), k, nu) {
		json_t *en = json_object_get(json_object_get(eu, "nodes"), k);

		if (en == NULL) {
			json_object_set(json_object_get(eu, "nodes"), k, nu);
			continue;
		}
		json_object_foreach(nu, be, v)
			if (json_object_get(en, be) == NULL)
				json_object_set(en, be, v);
	}
	json_object_foreach(json_object_get(undo, "bans"), k, v)
		if (json_object_get(json_object_get(eu, "bans"), k) == NULL)
			json_object_set(json_object_get(eu, "bans"), k, v);
	json_array_extend(json_object_get(e, "changes"), changes);
}

/* The oldest changes past state.history go, each with the rollbacks of
 * it (so a rollback never takes the place of a change that could still be
 * rolled back). Before the write: a failed write keeps the shorter list
 * in memory, which the next write would make anyway. */
static void prune(const struct ctl_cp *cp)
{
	size_t keep = cp->cfg.state_history > 0 ? (size_t)cp->cfg.state_history : 1;
	size_t i, changes = 0;
	json_t *e, *u;

	json_array_foreach(h.entries, i, e)
		changes += is_change(e);
	while (changes > keep) {
		for (i = 0; (e = json_array_get(h.entries, i)) != NULL; i++)
			if (is_change(e))
				break;
		if (e == NULL)
			break;
		u = json_integer((json_int_t)seq_of(e));
		json_array_remove(h.entries, i);
		changes--;
		/* and the rollbacks of it, which come after it */
		while ((e = json_array_get(h.entries, i)) != NULL) {
			if (json_equal(json_object_get(e, "undoes"), u))
				json_array_remove(h.entries, i);
			else
				i++;
		}
		json_decref(u);
	}
}

void ctl_hist_note(struct ctl_cp *cp)
{
	json_t *changes, *undo, *last;

	json_decref(h.next_base);
	h.next_base = snapshot(cp);
	h.tentative = NULL;
	json_decref(h.tentative_was);
	h.tentative_was = NULL;
	if (h.entries == NULL)
		h.entries = json_array();
	if (h.quiet)
		return; /* a rollback's entry is in; no prune under its feet */
	if (h.req == NULL || h.base == NULL) {
		prune(cp);
		return;
	}
	changes = json_array();
	undo = diff(h.base, h.next_base, changes);
	last = last_entry();
	if (undo_empty(undo)) {
		/* nothing of the state changed (a ruleset, a reload) */
	} else if (h.req_seq != 0 && last != NULL && seq_of(last) == h.req_seq) {
		h.tentative_was = json_deep_copy(last);
		merge(last, undo, changes);
		h.tentative = last;
	} else {
		h.req_seq = h.next_seq++;
		h.tentative = json_pack("{s:I, s:I, s:O, s:O, s:O, s:O, s:O}", "seq",
					(json_int_t)h.req_seq, "time", (json_int_t)time(NULL), "cmd",
					json_object_get(h.req, "cmd"), "args",
					json_object_get(h.req, "args"), "by",
					json_object_get(h.req, "by"), "changes", changes, "undo", undo);
		json_array_append_new(h.entries, h.tentative);
	}
	json_decref(changes);
	json_decref(undo);
	prune(cp);
}

void ctl_hist_written(struct ctl_cp *cp, bool ok)
{
	(void)cp;
	if (ok) {
		json_decref(h.base);
		h.base = h.next_base;
		h.next_base = NULL;
	} else if (h.tentative != NULL) {
		size_t k = json_array_size(h.entries);

		/* the caller takes the change back: so does the history */
		if (h.tentative_was != NULL) {
			json_array_set(h.entries, k - 1, h.tentative_was);
		} else {
			json_array_remove(h.entries, k - 1);
			h.req_seq = 0;
		}
	}
	json_decref(h.next_base);
	h.next_base = NULL;
	h.tentative = NULL;
	json_decref(h.tentative_was);
	h.tentative_was = NULL;
}

void ctl_hist_begin(struct ctl_req *r)
{
	json_t *args = json_deep_copy(r->msg), *by = json_null();
	long uid, pid;

	json_object_del(args, "id");
	json_object_del(args, "cmd");
	if (ctl_sock_peer(r->cp, r->client, &uid, &pid) == 0)
		by = json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "pid", (json_int_t)pid);
	json_decref(h.req);
	h.req = json_pack("{s:O, s:o, s:o}", "cmd", json_object_get(r->msg, "cmd"), "args", args,
			  "by", by);
	h.req_seq = 0;
}

void ctl_hist_end(void)
{
	json_decref(h.req);
	h.req = NULL;
}

uint64_t ctl_hist_request_seq(void)
{
	return h.req != NULL ? h.req_seq : 0;
}

/* ---- the state file ---- */

json_t *ctl_hist_save(const struct ctl_cp *cp)
{
	(void)cp;
	return json_pack("{s:I, s:O}", "next_seq", (json_int_t)h.next_seq, "entries",
			 h.entries != NULL ? h.entries : json_array());
}

/* An entry's undo: {"nodes": {node: {backend: entry or null}}, "bans":
 * {normalized prefix: expires >= 0 or null}}. */
static bool undo_valid(json_t *u)
{
	json_t *nodes = json_object_get(u, "nodes"), *bans = json_object_get(u, "bans"), *nu, *v;
	const char *k, *be;
	char norm[64], err[160];

	if (!json_is_object(u) || !json_is_object(nodes) || !json_is_object(bans))
		return false;
	json_object_foreach(nodes, k, nu) {
		if (!json_is_object(nu))
			return false;
		json_object_foreach(nu, be, v)
			if (!json_is_null(v) && !ctl_backend_valid(v))
				return false;
	}
	json_object_foreach(bans, k, v)
		if (ctl_ban_parse(k, norm, sizeof(norm), err, sizeof(err)) < 0 ||
		    strcmp(norm, k) != 0 ||
		    (!json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0)))
			return false;
	return true;
}

static int entry_check(json_t *e, uint64_t after, uint64_t next, char *err, size_t errlen,
		       size_t i)
{
	json_t *seq = json_object_get(e, "seq"), *ch = json_object_get(e, "changes"), *c;
	size_t k;

	if (!json_is_object(e) || !json_is_integer(seq) ||
	    (uint64_t)json_integer_value(seq) <= after ||
	    (uint64_t)json_integer_value(seq) >= next ||
	    !json_is_integer(json_object_get(e, "time")) ||
	    !json_is_string(json_object_get(e, "cmd")) || !json_is_array(ch)) {
		snprintf(err, errlen, "history.entries[%zu]: not {seq (rising, below next_seq), "
			 "time, cmd, changes, ...}", i);
		return -EINVAL;
	}
	json_array_foreach(ch, k, c)
		if (!json_is_string(c))
			goto bad;
	if (json_object_get(e, "undoes") == NULL && !undo_valid(json_object_get(e, "undo")))
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "history.entries[%zu] (seq %lld): bad changes or undo", i,
		 (long long)json_integer_value(seq));
	return -EINVAL;
}

int ctl_hist_load(struct ctl_cp *cp, json_t *j, char *err, size_t errlen)
{
	json_t *entries = json_object_get(j, "entries"), *ns = json_object_get(j, "next_seq"), *e;
	uint64_t after = 0;
	size_t i;

	json_decref(h.base);
	h.base = snapshot(cp);
	json_decref(h.entries);
	h.entries = json_array();
	h.next_seq = 1;
	if (j == NULL)
		return 0;
	if (!json_is_object(j) || !json_is_array(entries) || !json_is_integer(ns) ||
	    json_integer_value(ns) < 1) {
		snprintf(err, errlen, "history: not {\"next_seq\" >= 1, \"entries\": [...]}");
		return -EINVAL;
	}
	json_array_foreach(entries, i, e) {
		if (entry_check(e, after, (uint64_t)json_integer_value(ns), err, errlen, i) < 0)
			return -EINVAL;
		after = seq_of(e);
	}
	json_array_extend(h.entries, entries);
	h.next_seq = (uint64_t)json_integer_value(ns);
	return 0;
}

void ctl_hist_free(void)
{
	json_decref(h.entries);
	json_decref(h.base);
	json_decref(h.next_base);
	json_decref(h.tentative_was);
	json_decref(h.req);
	memset(&h, 0, sizeof(h));
}

/* ---- choosing what to roll back ---- */

/* Whether node's part of e (or with node NULL, the bans) is undone. */
static bool part_undone(json_t *e, const char *node)
{
	if (node == NULL)
		return json_object_get(e, "bans_undone") != NULL ||
		       json_object_size(json_object_get(json_object_get(e, "undo"), "bans")) == 0;
	return json_object_get(json_object_get(e, "undone_on"), node) != NULL ||
	       json_object_get(json_object_get(json_object_get(e, "undo"), "nodes"), node) == NULL;
}

static size_t index_of(json_t *e)
{
	json_t *x;
	size_t i;

	json_array_foreach(h.entries, i, x)
		if (x == e)
			break;
	return i;
}

static json_t *find_entry(uint64_t seq)
{
	json_t *e;
	size_t i;

	json_array_foreach(h.entries, i, e)
		if (seq_of(e) == seq)
			return e;
	return NULL;
}

/* The newest change not wholly undone; with a node, the newest change
 * whose part on that node or bans are not undone. */
static json_t *newest_change(const char *node)
{
	size_t i = json_array_size(h.entries);

	while (i-- > 0) {
		json_t *e = json_array_get(h.entries, i);

		if (!is_change(e) || json_object_get(e, "undone_by") != NULL)
			continue;
		if (node == NULL || !part_undone(e, node) || !part_undone(e, NULL))
			return e;
	}
	return NULL;
}

/* What `state rollback` would undo, or NULL with err saying why not. */
static json_t *pick(const struct ctl_cp *cp, const struct ctl_node *only, char *err,
		    size_t errlen)
{
	json_t *e = newest_change(only != NULL ? only->name : NULL);

	if (e != NULL && only != NULL && !part_undone(e, NULL)) {
		snprintf(err, errlen,
			 "state.rollback --node %s: the newest change there, #%llu (%s), changed "
			 "the manual bans, which every node shares: roll it back without a node",
			 only->name, (unsigned long long)seq_of(e),
			 json_string_value(json_object_get(e, "cmd")));
		return NULL;
	}
	if (e != NULL)
		return e;
	if (json_array_size(h.entries) == 0)
		snprintf(err, errlen, "state.rollback: nothing to roll back: no state change is in "
			 "the history (state.history keeps the last %lld)",
			 (long long)cp->cfg.state_history);
	else
		snprintf(err, errlen, "state.rollback: nothing to roll back%s%s: every change in the "
			 "history is rolled back already (state.history keeps the last %lld)",
			 only != NULL ? " on node " : "", only != NULL ? only->name : "",
			 (long long)cp->cfg.state_history);
	return NULL;
}

/* ---- rolling back ---- */

struct rb {
	struct ctl_cp *cp;
	uint64_t client; /* the operator's, when done is NULL */
	json_t *id;
	void (*done)(json_t *results, void *arg); /* a take-back's */
	void *arg;
	uint64_t seq;	 /* the rollback's own entry */
	json_t *reply;	 /* what the reply says besides results */
	json_t *results;
	unsigned remaining;
	bool failed;
	char first_err[400];
};

/* The bans list with the undo's values: a ban whose expiry has passed is
 * not brought back (the dataplane would drop it at once). */
static int apply_bans(struct ctl_cp *cp, json_t *ub, json_t *notes, char *err, size_t errlen)
{
	json_t *saved = ctl_bans_save(cp), *list = json_array(), *seen = json_object(), *e, *v;
	int64_t now = (int64_t)time(NULL);
	const char *p;
	size_t i;
	int rc;

	json_array_foreach(json_object_get(saved, "list"), i, e) {
		p = json_string_value(json_object_get(e, "prefix"));
		if ((v = json_object_get(ub, p)) == NULL) {
			json_array_append(list, e);
			continue;
		}
		json_object_set_new(seen, p, json_true());
		if (!json_is_null(v))
			json_array_append_new(list, json_pack("{s:s, s:O}", "prefix", p, "expires",
							      v));
	}
	json_object_foreach(ub, p, v) {
		if (json_object_get(seen, p) != NULL || json_is_null(v))
			continue;
		if (json_integer_value(v) != 0 && json_integer_value(v) <= now) {
			json_array_append_new(notes, json_sprintf("ban %s: expired since, not brought "
								  "back", p));
			continue;
		}
		json_array_append_new(list, json_pack("{s:s, s:O}", "prefix", p, "expires", v));
	}
	v = json_pack("{s:b, s:o}", "managed", 1, "list", list);
	rc = ctl_bans_load(cp, v, err, errlen);
	json_decref(v);
	json_decref(saved);
	json_decref(seen);
	return rc;
}

/* Sets e's undo (only's part, or every part not undone) back as the
 * wanted state and marks it undone by seq. Returns 0, or -EINVAL with err
 * (the bans list would not load: the caller puts everything back). */
static int apply(struct ctl_cp *cp, json_t *e, const struct ctl_node *only, uint64_t seq,
		 json_t *notes, char *err, size_t errlen)
{
	json_t *u = json_object_get(e, "undo"), *nu, *v, *on;
	const char *name, *be;
	struct ctl_node *n;

	json_object_foreach(json_object_get(u, "nodes"), name, nu) {
		if ((only != NULL && strcmp(name, only->name) != 0) || part_undone(e, name))
			continue;
		if ((on = json_object_get(e, "undone_on")) == NULL)
			json_object_set_new(e, "undone_on", on = json_object());
		json_object_set_new(on, name, json_integer((json_int_t)seq));
		if ((n = ctl_node_find(cp, name)) == NULL) {
			json_array_append_new(notes, json_sprintf("node %s: not in the config: its "
								  "part is not rolled back", name));
			continue;
		}
		json_object_foreach(nu, be, v) {
			if (json_is_null(v))
				json_object_del(n->backends, be);
			else
				json_object_set_new(n->backends, be, json_deep_copy(v));
		}
	}
	if (only == NULL && !part_undone(e, NULL)) {
		if (apply_bans(cp, json_object_get(u, "bans"), notes, err, errlen) < 0)
			return -EINVAL;
		json_object_set_new(e, "bans_undone", json_integer((json_int_t)seq));
	}
	json_object_foreach(json_object_get(u, "nodes"), name, nu)
		if (!part_undone(e, name))
			return 0;
	if (part_undone(e, NULL))
		json_object_set_new(e, "undone_by", json_integer((json_int_t)seq));
	return 0;
}

/* The wanted state as it was before a rollback that could not be written. */
static void put_back(struct ctl_cp *cp, json_t *snap, json_t *bans)
{
	json_t *dirty = json_object_get(snap, "dirty");
	struct ctl_node *n;
	char err[200];

	for (n = cp->nodes; n != NULL; n = n->next) {
		json_decref(n->backends);
		n->backends = json_deep_copy(json_object_get(json_object_get(snap, "nodes"), n->name));
		n->dirty = json_is_true(json_object_get(dirty, n->name));
	}
	ctl_bans_load(cp, bans, err, sizeof(err));
}

static const char *const how_names[] = {
	[CTL_RESTORE_ROLLED_BACK] = "rolled_back", [CTL_RESTORE_PUSHED] = "pushed",
	[CTL_RESTORE_UNCHANGED] = "unchanged",	   [CTL_RESTORE_PENDING] = "pending",
	[CTL_RESTORE_FAILED] = "refused",
};

static json_t *rb_reply(struct rb *x)
{
	json_t *r = json_pack("{s:O, s:b, s:O}", "id", x->id, "ok", !x->failed, "results",
			      x->results);

	json_object_update_missing(r, x->reply);
	if (x->failed)
		json_object_set_new(r, "error", json_string(x->first_err));
	return r;
}

static void rb_free(struct rb *x)
{
	json_decref(x->id);
	json_decref(x->reply);
	json_decref(x->results);
	free(x);
}

/* Every node is done: the results go in the rollback's entry. */
static void rb_complete(struct rb *x)
{
	json_t *e = find_entry(x->seq);

	if (e != NULL)
		json_object_set(e, "results", x->results);
	h.busy = 0;
	ctl_state_save(x->cp);
}

/* ...and the one who asked is told. */
static void rb_finish(struct rb *x)
{
	rb_complete(x);
	if (x->done != NULL)
		x->done(x->results, x->arg);
	else
		ctl_sock_reply(x->cp, x->client, rb_reply(x));
	rb_free(x);
}

static void rb_node_done(struct ctl_node *n, enum ctl_restore how, const char *err, void *arg)
{
	struct rb *x = arg;
	json_t *res = json_pack("{s:s, s:b, s:s}", "node", n->name, "ok",
				how != CTL_RESTORE_FAILED, "action", how_names[how]);

	if (how == CTL_RESTORE_ROLLED_BACK || how == CTL_RESTORE_PUSHED ||
	    how == CTL_RESTORE_UNCHANGED)
		json_object_set_new(res, "state_version", json_integer((json_int_t)n->version));
	if (how == CTL_RESTORE_FAILED) {
		json_object_set_new(res, "error", json_string(err));
		if (!x->failed)
			snprintf(x->first_err, sizeof(x->first_err),
				 "state.rollback: node %s: %s (the state before is wanted there "
				 "and pushed again on reconnect)", n->name, err);
		x->failed = true;
	} else if (err != NULL) {
		json_object_set_new(res, "note", json_string(err));
	}
	json_array_append_new(x->results, res);
	if (--x->remaining == 0)
		rb_finish(x);
}

/* Each node's wanted state: its backends, whether dirty, its digest. */
static json_t *before_of(const struct ctl_cp *cp)
{
	json_t *dirty = json_object(), *sums = json_object(), *snap = snapshot(cp);
	const struct ctl_node *n;
	char sum[65];

	for (n = cp->nodes; n != NULL; n = n->next) {
		json_object_set_new(dirty, n->name, json_boolean(n->dirty));
		ctl_push_form_sum(n, sum);
		json_object_set_new(sums, n->name, json_string(sum));
	}
	json_object_set_new(snap, "dirty", dirty);
	json_object_set_new(snap, "sums", sums);
	return snap;
}

/* Rolls e back (only's part, or every part not undone) as a change made
 * by req ({cmd, args, by}): written, recorded as an entry, then put in
 * force on every node whose state it changed. Returns 1 while nodes are
 * still at it (x is answered then), 0 when all answered at once (x's
 * results complete), or -1 with err and nothing changed. */
static int rb_run(struct ctl_cp *cp, struct rb *x, json_t *e, const struct ctl_node *only,
		  json_t *req, char *err, size_t errlen)
{
	json_t *before = before_of(cp), *bans = ctl_bans_save(cp), *was = json_deep_copy(e);
	json_t *notes = json_array(), *changes = json_array(), *now, *undid;
	struct ctl_node *n;
	size_t at = json_array_size(h.entries);
	char sum[65];
	int rc = -1;

	x->seq = h.next_seq++;
	if (apply(cp, e, only, x->seq, notes, err, errlen) < 0)
		goto out;
	now = snapshot(cp);
	json_decref(diff(h.base, now, changes));
	json_decref(now);
	if (json_array_size(changes) == 0)
		json_array_append_new(notes, json_sprintf("the wanted state already was as before "
							  "#%llu (a ban expired since, or the "
							  "change was refused): nothing to push",
							  (unsigned long long)seq_of(e)));
	undid = json_pack("{s:I, s:O, s:O, s:O, s:O}", "seq", (json_int_t)seq_of(e), "time",
			  json_object_get(e, "time"), "cmd", json_object_get(e, "cmd"), "args",
			  json_object_get(e, "args"), "by", json_object_get(e, "by"));
	json_array_append_new(h.entries,
			      json_pack("{s:I, s:I, s:O, s:O, s:O, s:I, s:O}", "seq",
					(json_int_t)x->seq, "time", (json_int_t)time(NULL), "cmd",
					json_object_get(req, "cmd"), "args",
					json_object_get(req, "args"), "by", json_object_get(req, "by"),
					"undoes", (json_int_t)seq_of(e), "changes", changes));
	h.quiet = true;
	rc = ctl_state_save(cp);
	h.quiet = false;
	if (rc < 0) {
		json_array_remove(h.entries, at);
		json_decref(undid);
		snprintf(err, errlen, "state.rollback: state file not written (see the log): "
			 "nothing rolled back");
		rc = -1;
		goto out;
	}
	x->reply = json_pack("{s:I, s:o, s:O, s:O}", "seq", (json_int_t)x->seq, "undid", undid,
			     "changes", changes, "notes", notes);
	ctl_log(CTL_LOG_NOTICE, "state.rollback #%llu: change #%llu (%s) rolled back%s%s",
		(unsigned long long)x->seq, (unsigned long long)seq_of(e),
		json_string_value(json_object_get(e, "cmd")), only != NULL ? " on node " : "",
		only != NULL ? only->name : "");
	h.busy = x->seq;
	x->remaining = 1;
	for (n = cp->nodes; n != NULL; n = n->next) {
		ctl_push_form_sum(n, sum);
		if (strcmp(sum, json_string_value(json_object_get(json_object_get(before, "sums"),
								  n->name))) == 0)
			continue;
		x->remaining++;
		ctl_push_restore(n, rb_node_done, x);
	}
	rc = --x->remaining > 0 ? 1 : 0;
out:
	if (rc < 0) {
		put_back(cp, before, bans);
		/* the entry as it was (where it was: a rollback's write prunes
		 * nothing) */
		json_array_set(h.entries, index_of(e), was);
	}
	json_decref(before);
	json_decref(bans);
	json_decref(was);
	json_decref(notes);
	json_decref(changes);
	return rc;
}

int ctl_hist_take_back(struct ctl_cp *cp, uint64_t seq, const char *why,
		       void (*done)(json_t *results, void *arg), void *arg)
{
	json_t *e = newest_change(NULL), *req;
	struct rb *x;
	char err[400];
	int rc;

	if (h.busy != 0 || e == NULL || seq_of(e) != seq)
		return -EBUSY;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->cp = cp;
	x->id = json_null();
	x->done = done;
	x->arg = arg;
	x->results = json_array();
	req = json_pack("{s:s, s:{s:s}, s:n}", "cmd", "state.rollback", "args", "reason", why,
			"by");
	rc = rb_run(cp, x, e, NULL, req, err, sizeof(err));
	json_decref(req);
	if (rc < 0) {
		ctl_log(CTL_LOG_ERR, "change #%llu not taken back: %s", (unsigned long long)seq, err);
		rb_free(x);
		return -EIO;
	}
	if (rc == 0)
		rb_finish(x);
	return 0;
}

/* ---- commands ---- */

/* Whether rolling e back (only's part, or all) changes n's state. */
static bool touches(json_t *e, const struct ctl_node *n, const struct ctl_node *only)
{
	if (only != NULL)
		return n == only;
	return !part_undone(e, NULL) || !part_undone(e, n->name);
}

enum ctl_result ctl_cmd_state_rollback(struct ctl_req *r)
{
	struct ctl_node *only, *n;
	struct rb *x;
	json_t *e, *reply;
	int rc;

	if (ctl_req_node(r, &only) < 0)
		return CTL_R_ERR;
	if (h.busy != 0) {
		snprintf(r->err, sizeof(r->err), "state.rollback: rollback #%llu is still being "
			 "pushed: try again once it has answered", (unsigned long long)h.busy);
		return CTL_R_ERR;
	}
	if ((e = pick(r->cp, only, r->err, sizeof(r->err))) == NULL)
		return CTL_R_ERR;
	for (n = r->cp->nodes; n != NULL; n = n->next) {
		if (n->pushing && touches(e, n, only)) {
			snprintf(r->err, sizeof(r->err), "state.rollback: node %s: a state push is "
				 "in flight: try again once it is over (`sipedgectl state` shows "
				 "\"pushing\")", n->name);
			return CTL_R_ERR;
		}
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return CTL_R_ERR;
	}
	x->cp = r->cp;
	x->client = r->client;
	x->id = json_incref(r->id);
	x->results = json_array();
	rc = rb_run(r->cp, x, e, only, h.req, r->err, sizeof(r->err));
	if (rc != 0) {
		if (rc < 0)
			rb_free(x);
		return rc < 0 ? CTL_R_ERR : CTL_R_LATER;
	}
	/* every node answered at once (none touched, or none connected) */
	rb_complete(x);
	reply = rb_reply(x);
	json_object_update(r->reply, reply);
	json_decref(reply);
	rc = x->failed;
	if (x->failed)
		snprintf(r->err, sizeof(r->err), "%s", x->first_err);
	rb_free(x);
	return rc ? CTL_R_ERR : CTL_R_OK;
}

static json_t *node_json(const struct ctl_node *n)
{
	uint64_t kept = ctl_push_kept_version(n);
	uint64_t high = n->highest > n->dp_highest_version ? n->highest : n->dp_highest_version;

	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:b, s:b, s:I}", "node", n->name, "link",
			 ctl_link_name(n->link), "wanted_version", (json_int_t)n->version,
			 "dataplane_version", (json_int_t)n->dp_state_version, "highest_version",
			 (json_int_t)high, "kept_version",
			 kept != 0 ? json_integer((json_int_t)kept) : json_null(), "in_step",
			 !n->dirty && n->link == CTL_LINK_UP, "pushing", n->pushing, "rollbacks",
			 (json_int_t)n->rollbacks);
}

/* Whether an entry is about the node: a change of its backends or of the
 * bans, a rollback on every node or on it. */
static bool about(json_t *e, const char *node)
{
	json_t *u = json_object_get(e, "undo");
	const char *on = json_string_value(json_object_get(json_object_get(e, "args"), "node"));

	if (!is_change(e))
		return on == NULL || strcmp(on, node) == 0;
	return json_object_get(json_object_get(u, "nodes"), node) != NULL ||
	       json_object_size(json_object_get(u, "bans")) > 0;
}

enum ctl_result ctl_cmd_state(struct ctl_req *r)
{
	json_t *lim = json_object_get(r->msg, "limit"), *nodes, *hist, *next, *e;
	size_t i = json_array_size(h.entries), max = lim != NULL ? (size_t)json_integer_value(lim)
								: SIZE_MAX;
	struct ctl_node *only, *n;
	char why[400];

	if (ctl_req_node(r, &only) < 0)
		return CTL_R_ERR;
	nodes = json_array();
	for (n = r->cp->nodes; n != NULL; n = n->next)
		if (only == NULL || n == only)
			json_array_append_new(nodes, node_json(n));
	hist = json_array();
	while (i-- > 0 && json_array_size(hist) < max) {
		e = json_array_get(h.entries, i);
		if (only != NULL && !about(e, only->name))
			continue;
		e = json_deep_copy(e);
		json_object_del(e, "undo"); /* the values before: ours to use */
		json_array_append_new(hist, e);
	}
	next = pick(r->cp, only, why, sizeof(why));
	json_object_set_new(r->reply, "nodes", nodes);
	json_object_set_new(r->reply, "history", hist);
	json_object_set_new(r->reply, "history_max", json_integer(r->cp->cfg.state_history));
	json_object_set_new(r->reply, "rolling_back",
			    h.busy != 0 ? json_integer((json_int_t)h.busy) : json_null());
	json_object_set_new(r->reply, "next_rollback",
			    next != NULL ? json_pack("{s:O, s:O, s:O, s:O, s:O}", "seq",
						     json_object_get(next, "seq"), "cmd",
						     json_object_get(next, "cmd"), "args",
						     json_object_get(next, "args"), "time",
						     json_object_get(next, "time"), "changes",
						     json_object_get(next, "changes"))
					 : json_null());
	if (next == NULL)
		json_object_set_new(r->reply, "no_rollback", json_string(why));
	return CTL_R_OK;
}
