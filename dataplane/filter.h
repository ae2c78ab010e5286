/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * filter.h - the rules in the dataplane (docs/dataplane.md, "Rules and
 * bans"): the two ruleset slots, live and shadow, loaded from the blobs
 * sipedge-control compiles (rules/lib/rs.h), published by pointer and
 * retired through RCU; the filter stage that runs them; the hit counters
 * per rule.
 *
 * Threads. A struct filter_rules is built by the main lcore (filter_load),
 * published with one release store into dp->rules[slot] (filter_publish)
 * and from then on only read: each worker loads the slot with acquire once
 * per burst and uses its own scratch and its own hit array, so the stage
 * shares nothing writable. Replaced or cleared, it is retired
 * (dp_retire): freed, its hits folded into the main lcore's totals, once
 * every worker has reported a quiescent state since. The main lcore never
 * waits for a worker.
 */
#ifndef SIPEDGE_FILTER_H
#define SIPEDGE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker.h"

struct rs_set;
struct rs_scratch;

enum filter_slot {
	FILTER_LIVE = 0,   /* decides */
	FILTER_SHADOW = 1, /* evaluated beside the live one; only counted */
	FILTER_SLOTS
};

/* A loaded ruleset, immutable once published (but for the workers' own
 * hit arrays). Everything it points to is its own. */
struct filter_rules {
	struct rs_set *set;
	uint32_t n_rules;
	uint32_t *ids;		   /* the rule id of each rank */
	int64_t version;
	uint8_t slot;		   /* enum filter_slot, from filter_publish */
	char sha256[65];	   /* of the blob, lower-case hex */
	int64_t loaded_at;	   /* Unix seconds */
	double load_ms;		   /* rs_set_load and the scratches */
	unsigned n_workers;
	/* per worker: its Hyperscan scratch, and its hits per rank in cache
	 * lines of its own (n_rules counters, rounded up to a line) */
	struct rs_scratch *scratch[DP_MAX_WORKERS];
	uint64_t *hits[DP_MAX_WORKERS];
};

/* filter_init - the main lcore's side (cumulative hits, the sets being
 * retired). Returns 0 or -ENOMEM. filter_fini frees it and the published
 * sets: the workers have stopped. */
int filter_init(struct dp *dp);
void filter_fini(struct dp *dp);

/* filter_load - deserializes a blob (rs_set_load: format, checksum,
 * Hyperscan version, CPU features) and builds a scratch and a hit array for
 * every worker. The blob may be freed afterwards.
 * Returns 0 with *out (not published; free with filter_rules_free unless
 * published), -EINVAL / -ENOTSUP (err says why, as rs_set_load says it),
 * -ENOMEM. Main lcore: it takes the time deserializing takes (logged). */
int filter_load(struct dp *dp, const void *blob, size_t len, int64_t version,
		const char *sha256_hex, struct filter_rules **out, char *err, size_t errlen);
void filter_rules_free(struct filter_rules *r);

/* filter_publish - puts r in slot (NULL: empties it) with one store, and
 * retires what was there (dp_retire). Returns 0, or -ENOBUFS when the
 * retire queue is full (nothing changed). Main lcore. */
int filter_publish(struct dp *dp, unsigned slot, struct filter_rules *r);

/* What is in slot: the published set, or NULL. Main lcore. */
static inline const struct filter_rules *filter_in(const struct dp *dp, unsigned slot)
{
	return dp->rules[slot];
}

/* How many sets wait for their grace period. Main lcore. */
unsigned filter_retiring(const struct dp *dp);

/* filter_hits_each - calls fn once per rule id that has hits in slot since
 * the dataplane started, with its hits per worker (n_workers counters):
 * what retired sets counted, plus what the set in force and those being
 * retired count now, so that a rule's hits never go back. Main lcore; the
 * array is valid during the call. Returns 0 or -ENOMEM. */
int filter_hits_each(struct dp *dp, unsigned slot,
		     void (*fn)(void *arg, uint32_t id, const uint64_t *per_worker), void *arg);

/* filter_stage - after parsing: every CONTINUE slot that is a parsed
 * request from a filtered port (ban_port_filtered) is run through the live
 * set: allow and no verdict go on; drop DROPs (rule_drop); reject REPLYs
 * with the rule's code and reason (an ACK is dropped, rule_reject_ack);
 * ban DROPs (rule_ban) and bans the source in this worker's table for the
 * rule's time. Then through the shadow set, whose verdict is only counted.
 * Hyperscan failing is counted and the message goes on (fail open: a
 * scanning error must not become an outage). Worker only. */
void filter_stage(struct worker *w, struct dp_burst *b);

#endif /* SIPEDGE_FILTER_H */
