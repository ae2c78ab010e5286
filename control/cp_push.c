/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_push.c - versioned state pushes to one dataplane (docs/agent.md):
 * state.prepare (validated in full, nothing applied), then state.commit.
 *
 * The wanted state (n->backends) is changed and saved by the caller first,
 * then pushed: if control dies in between, the state file still says what
 * must be in force and the next resync pushes it. One push per node is in
 * flight at a time; callers that arrive meanwhile wait for the next one,
 * which carries every change made until it starts (so two operators'
 * changes never race on the dataplane's version number).
 *
 * A rollback (cp_history.c) sets the wanted state back, and
 * ctl_push_restore puts it in force: with the dataplane's state.rollback
 * when the state it keeps as the one before is exactly the wanted one,
 * else as a new version. Knowing what it keeps takes no new agent
 * command: control tracks the digest of the canonical form of every state
 * it commits (the one in force, and the one it replaced), for as long as
 * the dataplane's (state_version, highest_version) are still the ones it
 * left it at; a restart of the dataplane, or a commit control did not see
 * end, changes them and the knowledge is dropped. The versions rule makes
 * this sound: a version number names one state, so a dataplane still at
 * the version control committed holds what control committed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"
#include "cp_codec.h"

struct ctl_waiter {
	ctl_push_cb cb;
	void *arg;
	struct ctl_waiter *next;
};

static void push_start(struct ctl_node *n);

static void waiters_done(struct ctl_node *n, struct ctl_waiter *w, bool ok, const char *err)
{
	while (w != NULL) {
		struct ctl_waiter *next = w->next;

		w->cb(n, ok, err, w->arg);
		free(w);
		w = next;
	}
}

/* The version to push: above every version the dataplane ever committed
 * (it refuses any other; after a rollback the one in force is lower than
 * that), and above every one we pushed before (so a version number never
 * names two different states of ours, also after our own rollback and a
 * restart of the dataplane, which forgets its highest). */
static uint64_t next_version(const struct ctl_node *n)
{
	uint64_t v = n->version;

	if (n->highest > v)
		v = n->highest;
	if (n->dp_state_version > v)
		v = n->dp_state_version;
	if (n->dp_highest_version > v)
		v = n->dp_highest_version;
	return v + 1;
}

static int ban_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "prefix")),
		      json_string_value(json_object_get(*(json_t *const *)b, "prefix")));
}

/* The state as pushed, in a form equal for two states exactly when the
 * dataplane holds the same thing: backend entries without fields left
 * out, the bans as a sorted list ("no bans" and an empty list alike: the
 * dataplane holds none either way). */
static json_t *canon_form(const struct ctl_node *n)
{
	json_t *bes = json_object(), *bans = ctl_bans_state(n->cp), *be, *sorted = json_array();
	json_t **v = NULL;
	const char *name;
	size_t i, k = json_array_size(bans);

	json_object_foreach(n->backends, name, be)
		if (json_object_size(be) > 0)
			json_object_set(bes, name, be);
	if (k > 0 && (v = calloc(k, sizeof(*v))) != NULL) {
		for (i = 0; i < k; i++)
			v[i] = json_array_get(bans, i);
		qsort(v, k, sizeof(*v), ban_cmp);
		for (i = 0; i < k; i++)
			json_array_append(sorted, v[i]);
	}
	free(v);
	json_decref(bans);
	return json_pack("{s:o, s:o}", "backends", bes, "bans", sorted);
}

void ctl_push_form_sum(const struct ctl_node *n, char out[65])
{
	json_t *f = canon_form(n);
	char *text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);

	if (text != NULL)
		ctl_sha256_hex(text, strlen(text), out);
	else
		out[0] = '\0'; /* unknown: compares equal to nothing */
	free(text);
	json_decref(f);
}

/* Whether what we know of the dataplane's states still holds. */
static bool sums_valid(const struct ctl_node *n)
{
	return n->dp_cur_sum[0] != '\0' && n->sums_version == n->dp_state_version &&
	       n->sums_highest == n->dp_highest_version;
}

static void sums_forget(struct ctl_node *n)
{
	n->dp_cur_sum[0] = n->dp_prev_sum[0] = '\0';
	n->dp_prev_version = n->sums_version = n->sums_highest = 0;
}

void ctl_push_versions(struct ctl_node *n, json_t *r)
{
	json_t *hv = json_object_get(r, "highest_version");

	n->dp_state_version = (uint64_t)json_integer_value(json_object_get(r, "state_version"));
	if (json_is_integer(hv) && json_integer_value(hv) >= 0)
		n->dp_highest_version = (uint64_t)json_integer_value(hv);
}

/* Nothing is in flight any more: the next push if callers came
 * meanwhile, else the link is in step. */
static void push_next(struct ctl_node *n)
{
	if (n->w_next != NULL)
		push_start(n);
	else if (n->link == CTL_LINK_SYNC)
		ctl_agent_ready(n);
}

/* A push is over: tell its waiters, then start the next one if more
 * callers came meanwhile. */
static void push_end(struct ctl_node *n, bool ok, const char *err)
{
	struct ctl_waiter *w = n->w_cur;

	n->w_cur = NULL;
	n->pushing = false;
	if (ok)
		n->pushes_ok++;
	else
		n->pushes_failed++;
	waiters_done(n, w, ok, err);
	push_next(n);
}

/* One push on the wire: its version and the digest of what it carries. */
struct push_ctx {
	uint64_t v;
	char sum[65];
};

/* The dataplane committed v, whose form's digest is sum: the state it
 * replaced is the one it now keeps, known if we knew it. */
static void sums_commit(struct ctl_node *n, uint64_t v, const char *sum)
{
	if (sums_valid(n)) {
		memcpy(n->dp_prev_sum, n->dp_cur_sum, sizeof(n->dp_prev_sum));
		n->dp_prev_version = n->sums_version;
	} else {
		n->dp_prev_sum[0] = '\0';
		n->dp_prev_version = 0;
	}
	snprintf(n->dp_cur_sum, sizeof(n->dp_cur_sum), "%s", sum);
	n->sums_version = v;
	n->sums_highest = v;
}

static const char *reply_error(json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	return e != NULL ? e : "no reason given";
}

static void on_commit(struct ctl_node *n, json_t *r, void *arg)
{
	struct push_ctx *x = arg;
	uint64_t v = x->v;
	char err[300];

	if (r == NULL) {
		free(x);
		push_end(n, false, "link to the dataplane lost during commit");
		return;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		free(x);
		snprintf(err, sizeof(err), "state.commit %llu refused: %s", (unsigned long long)v,
			 reply_error(r));
		ctl_log(CTL_LOG_ERR, "node %s: %s", n->name, err);
		push_end(n, false, err);
		return;
	}
	sums_commit(n, v, x->sum);
	free(x);
	n->version = v;
	if (v > n->highest)
		n->highest = v;
	n->dp_state_version = v;
	if (v > n->dp_highest_version)
		n->dp_highest_version = v;
	n->dirty = false;
	ctl_state_save(n->cp);
	ctl_log(CTL_LOG_INFO, "node %s: state version %llu in force", n->name,
		(unsigned long long)v);
	/* a fresh snapshot, so that `backends` shows the change at once */
	if (n->link == CTL_LINK_UP)
		ctl_timer_arm(n->cp->loop, &n->t_collect, 0);
	push_end(n, true, NULL);
}

static void on_prepare(struct ctl_node *n, json_t *r, void *arg)
{
	struct push_ctx *x = arg;
	char err[300];

	if (r == NULL) {
		free(x);
		push_end(n, false, "link to the dataplane lost during prepare");
		return;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		snprintf(err, sizeof(err), "state.prepare %llu refused: %s", (unsigned long long)x->v,
			 reply_error(r));
		ctl_log(CTL_LOG_ERR, "node %s: %s", n->name, err);
		free(x);
		push_end(n, false, err);
		return;
	}
	if (ctl_agent_send(n, json_pack("{s:s, s:I}", "cmd", "state.commit", "version",
					(json_int_t)x->v),
			   on_commit, x) < 0) {
		free(x);
		push_end(n, false, "the dataplane is not connected");
	}
}

static void push_start(struct ctl_node *n)
{
	struct push_ctx *x = calloc(1, sizeof(*x));
	json_t *req, *bans;

	n->w_cur = n->w_next;
	n->w_next = NULL;
	n->pushing = true;
	if (x == NULL) {
		push_end(n, false, "out of memory");
		return;
	}
	x->v = next_version(n);
	/* The number is taken before the dataplane can commit it: written
	 * now, not after the commit's reply, or a crash in between followed
	 * by a restart of the dataplane (which forgets its highest) would
	 * give it to another state. A failed write is logged and counted
	 * there; the push goes on (the caller's write of the wanted state
	 * came first, and went through). */
	if (x->v > n->highest) {
		n->highest = x->v;
		ctl_state_save(n->cp);
	}
	ctl_push_form_sum(n, x->sum);
	req = json_pack("{s:s, s:I, s:{s:O}}", "cmd", "state.prepare", "version",
			(json_int_t)x->v, "state", "backends", n->backends);
	/* manual bans, the same on every node, once any was ever set */
	if ((bans = ctl_bans_state(n->cp)) != NULL)
		json_object_set_new(json_object_get(req, "state"), "bans", bans);
	if (ctl_agent_send(n, req, on_prepare, x) < 0) {
		free(x);
		push_end(n, false, "the dataplane is not connected");
	}
}

void ctl_push(struct ctl_node *n, ctl_push_cb cb, void *arg)
{
	struct ctl_waiter *w = calloc(1, sizeof(*w)), **pp;

	if (w == NULL) {
		cb(n, false, "out of memory", arg);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	for (pp = &n->w_next; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = w;
	if (n->link == CTL_LINK_DOWN || n->link == CTL_LINK_HELLO) {
		/* hello's resync will push it; the caller hears "pending" now */
		w = n->w_next;
		n->w_next = NULL;
		waiters_done(n, w, true, "pending");
		return;
	}
	if (!n->pushing)
		push_start(n);
}

/* Whether every field we set for every backend is what the dataplane has,
 * and the manual bans are ours. Backends we never set keep their config
 * values there: not compared. */
static bool state_matches(const struct ctl_node *n, json_t *dp)
{
	json_t *dpb = json_object_get(dp, "backends"), *want, *field;
	const char *name, *key;

	json_object_foreach(n->backends, name, want) {
		json_t *have = json_object_get(dpb, name);

		json_object_foreach(want, key, field) {
			if (!json_equal(field, json_object_get(have, key)))
				return false;
		}
	}
	return ctl_bans_match(n->cp, dp);
}

static void on_resync_push(struct ctl_node *n, bool ok, const char *err, void *arg)
{
	(void)arg;
	if (!ok && n->link != CTL_LINK_DOWN) {
		/* The dataplane refuses our state (say its config lost a backend):
		 * stay linked for counters, and say so in `nodes`. */
		snprintf(n->last_error, sizeof(n->last_error), "state not in force: %s", err);
	}
}

static void on_state_get(struct ctl_node *n, json_t *r, void *arg)
{
	json_t *sv;

	(void)arg;
	if (r == NULL)
		return;
	sv = json_object_get(r, "state_version");
	if (!json_is_true(json_object_get(r, "ok")) || !json_is_integer(sv)) {
		n->agent_errors++;
		ctl_agent_fail(n, "state.get refused or without state_version");
		return;
	}
	ctl_push_versions(n, r);
	if (n->dp_state_version == n->version &&
	    state_matches(n, json_object_get(r, "state"))) {
		n->dirty = false;
		/* the version we pushed as n->version, so our state: it is
		 * known now (what it keeps before it is not) */
		if (!sums_valid(n)) {
			sums_forget(n);
			ctl_push_form_sum(n, n->dp_cur_sum);
			n->sums_version = n->dp_state_version;
			n->sums_highest = n->dp_highest_version;
		}
		ctl_agent_ready(n);
		return;
	}
	ctl_log(CTL_LOG_NOTICE,
		"node %s: dataplane at state version %llu, ours is %llu: pushing ours again",
		n->name, (unsigned long long)n->dp_state_version, (unsigned long long)n->version);
	n->resyncs++;
	ctl_push(n, on_resync_push, NULL);
}

void ctl_push_resync(struct ctl_node *n)
{
	json_t *bans = ctl_bans_state(n->cp);
	bool none = n->version == 0 && json_object_size(n->backends) == 0 && bans == NULL;

	json_decref(bans);
	/* hello's versions: not the ones we left it at (it restarted, or
	 * committed something we did not see end): what it holds is unknown */
	if (!sums_valid(n))
		sums_forget(n);
	if (none) {
		/* nothing ever pushed: the dataplane's own config stands; at
		 * version 0 that is exactly our empty state. Nothing is left
		 * to push (a change taken back while it was down wanted it
		 * pushed) */
		n->dirty = false;
		if (n->dp_state_version == 0 && !sums_valid(n)) {
			ctl_push_form_sum(n, n->dp_cur_sum);
			n->sums_version = 0;
			n->sums_highest = n->dp_highest_version;
		}
		ctl_agent_ready(n);
		return;
	}
	ctl_agent_send(n, json_pack("{s:s}", "cmd", "state.get"), on_state_get, NULL);
}

/* ---- restoring a rolled-back state ---- */

struct restore {
	ctl_restore_cb cb;
	void *arg;
	uint64_t want; /* the version state.rollback must bring back */
	char note[300];
};

static void restore_pushed(struct ctl_node *n, bool ok, const char *err, void *arg)
{
	struct restore *x = arg;
	enum ctl_restore how = CTL_RESTORE_PUSHED;

	if (ok && err != NULL && strcmp(err, "pending") == 0)
		how = CTL_RESTORE_PENDING;
	else if (!ok)
		how = n->link == CTL_LINK_DOWN ? CTL_RESTORE_PENDING : CTL_RESTORE_FAILED;
	x->cb(n, how, how == CTL_RESTORE_FAILED ? err : x->note[0] != '\0' ? x->note : NULL,
	      x->arg);
	free(x);
}

static void on_rollback(struct ctl_node *n, json_t *r, void *arg)
{
	struct restore *x = arg;
	json_t *sv = json_object_get(r, "state_version");

	n->pushing = false;
	if (r == NULL) {
		/* wanted and dirty: the resync after reconnect puts it in force */
		x->cb(n, CTL_RESTORE_PENDING, "link to the dataplane lost during state.rollback",
		      x->arg);
		free(x);
		push_next(n); /* callers queued meanwhile hear "not connected" */
		return;
	}
	if (json_is_true(json_object_get(r, "ok")) && json_is_integer(sv) &&
	    (uint64_t)json_integer_value(sv) == x->want) {
		memcpy(n->dp_cur_sum, n->dp_prev_sum, sizeof(n->dp_cur_sum));
		n->dp_prev_sum[0] = '\0'; /* one level: it keeps nothing now */
		n->dp_prev_version = 0;
		n->sums_version = x->want;
		n->version = n->dp_state_version = x->want;
		n->dirty = false;
		n->rollbacks++;
		ctl_state_save(n->cp);
		ctl_log(CTL_LOG_INFO, "node %s: state.rollback: state version %llu in force again",
			n->name, (unsigned long long)x->want);
		if (n->link == CTL_LINK_UP)
			ctl_timer_arm(n->cp->loop, &n->t_collect, 0);
		x->cb(n, CTL_RESTORE_ROLLED_BACK, NULL, x->arg);
		free(x);
		push_next(n);
		return;
	}
	/* Refused, or another version came back: what it holds is not what we
	 * thought; the wanted state goes as a new version. */
	if (json_is_integer(sv))
		ctl_push_versions(n, r);
	sums_forget(n);
	snprintf(x->note, sizeof(x->note), "state.rollback %s: pushed as a new version instead",
		 json_is_true(json_object_get(r, "ok")) ? "brought back another version"
							 : reply_error(r));
	ctl_log(CTL_LOG_WARNING, "node %s: %s", n->name, x->note);
	ctl_push(n, restore_pushed, x);
}

void ctl_push_restore(struct ctl_node *n, ctl_restore_cb cb, void *arg)
{
	struct restore *x = calloc(1, sizeof(*x));
	char sum[65];

	if (x == NULL) {
		cb(n, CTL_RESTORE_FAILED, "out of memory", arg);
		return;
	}
	x->cb = cb;
	x->arg = arg;
	n->dirty = true;
	if (n->link != CTL_LINK_UP || n->pushing || !sums_valid(n)) {
		ctl_push(n, restore_pushed, x);
		return;
	}
	ctl_push_form_sum(n, sum);
	if (strcmp(sum, n->dp_cur_sum) == 0) {
		/* the change never reached it (refused there): in force already */
		n->version = n->dp_state_version;
		n->dirty = false;
		ctl_state_save(n->cp);
		cb(n, CTL_RESTORE_UNCHANGED, NULL, arg);
		free(x);
		return;
	}
	if (n->dp_prev_sum[0] == '\0' || strcmp(sum, n->dp_prev_sum) != 0) {
		ctl_push(n, restore_pushed, x);
		return;
	}
	/* One in flight at a time, as a push: changes that come meanwhile
	 * wait for it and go in the next push. */
	x->want = n->dp_prev_version;
	n->pushing = true;
	if (ctl_agent_send(n, json_pack("{s:s}", "cmd", "state.rollback"), on_rollback, x) < 0) {
		n->pushing = false;
		ctl_push(n, restore_pushed, x);
	}
}

uint64_t ctl_push_kept_version(const struct ctl_node *n)
{
	return sums_valid(n) && n->dp_prev_sum[0] != '\0' ? n->dp_prev_version : 0;
}
