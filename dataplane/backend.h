/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * backend.h - the backend table, rendezvous hashing and health probes.
 *
 * Workers read the table in force (dp->be) with an acquire load and never
 * write it. The main lcore owns everything else: it probes the backends with
 * OPTIONS, and when a backend's health or its admin setting (admin state,
 * weight: pushed by the control plane through the agent socket) changes it
 * builds a new table, publishes it with a release store and frees the old
 * one once every worker has reported a quiescent state since (rte_rcu_qsbr).
 *
 * A table comes in a pair: the backends that take new work (up and enabled)
 * and, through its dialog pointer, those that take requests within a dialog
 * (up and enabled or draining). One pointer publishes both, so a worker never
 * sees one set without its companion.
 */
#ifndef SIPEDGE_BACKEND_H
#define SIPEDGE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"

struct dp;
struct worker;

/* A backend's admin state: what the operator (config, control plane) wants
 * of it, whatever its health. */
enum be_admin {
	BE_ADMIN_ENABLED = 0,  /* new and in-dialog requests, when healthy */
	BE_ADMIN_DISABLED = 1, /* no requests; still probed, so its health is known */
	BE_ADMIN_DRAIN = 2,    /* requests within a dialog (and CANCEL, ACK) only */
	BE_ADMIN__COUNT
};

/* What the control plane sets per backend (docs/agent.md, "State"). */
struct be_setting {
	uint8_t admin;	  /* enum be_admin */
	uint16_t weight;  /* 1..65535 */
};

struct be {
	struct dp_addr addr;
	uint16_t weight;
	uint8_t idx;	  /* index in cfg.backends and in the stats blocks */
	bool up;	  /* healthy (probes) and admitted to this table */
	uint64_t seed;	  /* per-backend hash seed, from its name */
};

/* The immutable table the workers read: only the backends that may take the
 * request, so a pick never looks at a down, disabled or (for new work)
 * draining one. */
struct be_table {
	unsigned n;
	struct be b[DP_MAX_BACKENDS];
	/* the companion set for requests within a dialog; NULL when this
	 * table serves both (it is that set, no backend drains, or it was
	 * built by hand) */
	const struct be_table *dialog;
};

/* be_dialog_table - the set to pick from for a request within a dialog,
 * its CANCEL or ACK: t's companion, or t itself. NULL for NULL. Any lcore. */
static inline const struct be_table *be_dialog_table(const struct be_table *t)
{
	return t != NULL && t->dialog != NULL ? t->dialog : t;
}

/* be_pick - rendezvous (highest random weight) hashing of the Call-ID over
 * the healthy backends, weights honoured: each backend scores
 * weight / -ln(u) where u is a per-backend uniform hash of the Call-ID, the
 * highest wins. Removing a backend moves only the Call-IDs it had won.
 * Returns the backend or NULL when none is healthy. Any lcore. */
const struct be *be_pick(const struct be_table *t, const char *callid,
			 uint32_t len);

/* be_init - the settings of the config, the first table (every backend
 * healthy until probes say otherwise) and the probe state. Main lcore,
 * start-up. 0 or -errno. */
int be_init(struct dp *dp);

/* be_poll - main lcore: send due probes, time out the unanswered ones,
 * publish a new table when health changed, retire old tables. */
void be_poll(struct dp *dp, struct worker *mw);

/* be_probe_reply - main lcore: a response that came back with only our Via
 * (a worker handed it over, DP_EXC_PROBE_REPLY). Consumes m. */
void be_probe_reply(struct dp *dp, struct worker *mw, struct rte_mbuf *m);

/* be_fini - main lcore, after the workers stopped. */
void be_fini(struct dp *dp);

/* A printable name per backend (for the counters). */
const char *be_name(const struct dp *dp, unsigned idx);

/* "enabled", "disabled", "drain"; "?" out of range. */
const char *be_admin_name(unsigned admin);

/* The enum be_admin named s[0..n), or -1. */
int be_admin_parse(const char *s, size_t n);

/* be_settings_config - the settings the config file gives every backend
 * (enabled: true/false, weight) into s[0..cfg.n_backends). Any thread. */
void be_settings_config(const struct dp *dp, struct be_setting *s);

/* be_settings_get - the settings in force into s[0..cfg.n_backends).
 * Main lcore (it owns them). */
void be_settings_get(const struct dp *dp, struct be_setting *s);

/* be_setting_of - backend idx's setting in force. Any thread (telemetry):
 * each field is read atomically; the pair may straddle a change. */
struct be_setting be_setting_of(unsigned idx);

/* be_apply - makes s[0..cfg.n_backends) the settings in force: each
 * backend whose admin state or weight changes is logged (with why, e.g.
 * "state 3") and counted (admin_changes, in mw's block), and a new table
 * pair is published when anything changed. The caller has validated s
 * (admin < BE_ADMIN__COUNT, weight >= 1). Returns the number of backends
 * changed, or -ENOMEM when no table could be built: then nothing changed.
 * Main lcore. */
int be_apply(struct dp *dp, struct worker *mw, const struct be_setting *s,
	     const char *why);

#endif /* SIPEDGE_BACKEND_H */
