/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * backend.h - the backend table, rendezvous hashing and health probes.
 *
 * Workers read the table in force (dp->be) with an acquire load and never
 * write it. The main lcore owns everything else: it probes the backends with
 * OPTIONS, and when a backend's health changes it builds a new table,
 * publishes it with a release store and frees the old one once every worker
 * has reported a quiescent state since (rte_rcu_qsbr).
 */
#ifndef SIPEDGE_BACKEND_H
#define SIPEDGE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"

struct dp;
struct worker;

struct be {
	struct dp_addr addr;
	uint16_t weight;
	uint8_t idx;	  /* index in cfg.backends and in the stats blocks */
	bool up;	  /* healthy (probes) and enabled (config/admin) */
	uint64_t seed;	  /* per-backend hash seed, from its name */
};

/* The immutable table the workers read: only healthy backends, so a pick
 * never looks at a down one. */
struct be_table {
	unsigned n;
	struct be b[DP_MAX_BACKENDS];
};

/* be_pick - rendezvous (highest random weight) hashing of the Call-ID over
 * the healthy backends, weights honoured: each backend scores
 * weight / -ln(u) where u is a per-backend uniform hash of the Call-ID, the
 * highest wins. Removing a backend moves only the Call-IDs it had won.
 * Returns the backend or NULL when none is healthy. Any lcore. */
const struct be *be_pick(const struct be_table *t, const char *callid,
			 uint32_t len);

/* be_init - the first table (every enabled backend up until probes say
 * otherwise) and the probe state. Main lcore, start-up. 0 or -errno. */
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

#endif /* SIPEDGE_BACKEND_H */
