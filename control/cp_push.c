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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"

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
 * that), and above what we pushed before (so a version number never names
 * two different states of ours). */
static uint64_t next_version(const struct ctl_node *n)
{
	uint64_t v = n->version;

	if (n->dp_state_version > v)
		v = n->dp_state_version;
	if (n->dp_highest_version > v)
		v = n->dp_highest_version;
	return v + 1;
}

void ctl_push_versions(struct ctl_node *n, json_t *r)
{
	json_t *hv = json_object_get(r, "highest_version");

	n->dp_state_version = (uint64_t)json_integer_value(json_object_get(r, "state_version"));
	if (json_is_integer(hv) && json_integer_value(hv) >= 0)
		n->dp_highest_version = (uint64_t)json_integer_value(hv);
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
	if (n->w_next != NULL)
		push_start(n);
	else if (n->link == CTL_LINK_SYNC)
		ctl_agent_ready(n);
}

static const char *reply_error(json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	return e != NULL ? e : "no reason given";
}

static void on_commit(struct ctl_node *n, json_t *r, void *arg)
{
	uint64_t v = (uint64_t)(uintptr_t)arg;
	char err[300];

	if (r == NULL) {
		push_end(n, false, "link to the dataplane lost during commit");
		return;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		snprintf(err, sizeof(err), "state.commit %llu refused: %s", (unsigned long long)v,
			 reply_error(r));
		ctl_log(CTL_LOG_ERR, "node %s: %s", n->name, err);
		push_end(n, false, err);
		return;
	}
	n->version = v;
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
	uint64_t v = (uint64_t)(uintptr_t)arg;
	char err[300];

	if (r == NULL) {
		push_end(n, false, "link to the dataplane lost during prepare");
		return;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		snprintf(err, sizeof(err), "state.prepare %llu refused: %s", (unsigned long long)v,
			 reply_error(r));
		ctl_log(CTL_LOG_ERR, "node %s: %s", n->name, err);
		push_end(n, false, err);
		return;
	}
	ctl_agent_send(n, json_pack("{s:s, s:I}", "cmd", "state.commit", "version", (json_int_t)v),
		       on_commit, (void *)(uintptr_t)v);
}

static void push_start(struct ctl_node *n)
{
	uint64_t v = next_version(n);
	json_t *req, *bans;

	n->w_cur = n->w_next;
	n->w_next = NULL;
	n->pushing = true;
	req = json_pack("{s:s, s:I, s:{s:O}}", "cmd", "state.prepare", "version", (json_int_t)v,
			"state", "backends", n->backends);
	/* manual bans, the same on every node, once any was ever set */
	if ((bans = ctl_bans_state(n->cp)) != NULL)
		json_object_set_new(json_object_get(req, "state"), "bans", bans);
	if (ctl_agent_send(n, req, on_prepare, (void *)(uintptr_t)v) < 0)
		push_end(n, false, "the dataplane is not connected");
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
	if (none) {
		/* nothing ever pushed: the dataplane's own config stands */
		ctl_agent_ready(n);
		return;
	}
	ctl_agent_send(n, json_pack("{s:s}", "cmd", "state.get"), on_state_get, NULL);
}
