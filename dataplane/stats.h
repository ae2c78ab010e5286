/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * stats.h - per-worker counters (stats.def). Each worker owns one
 * cache-aligned struct stats_block and increments it without atomics; readers
 * (the main lcore, telemetry) sum the blocks and accept that a sum may be a
 * few increments behind.
 */
#ifndef SIPEDGE_STATS_H
#define SIPEDGE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>

enum stats_drop {
	STATS_DROP_NONE = 0,
#define DROP(id, help) STATS_DROP_##id,
#include "stats.def"
	STATS_DROP__COUNT
};

enum stats_reply {
#define REPLY(code, help) STATS_REPLY_##code,
#include "stats.def"
	STATS_REPLY__COUNT
};

enum stats_ctr {
#define CTR(id, help) STATS_##id,
#include "stats.def"
	STATS_CTR__COUNT
};

enum stats_port_ctr {
#define PORT(id, help) STATS_PORT_##id,
#include "stats.def"
	STATS_PORT__COUNT
};

enum stats_be_ctr {
#define BE(id, help) STATS_BE_##id,
#include "stats.def"
	STATS_BE__COUNT
};

enum stats_stage {
#define STAGE(id, help) STATS_STAGE_##id,
#include "stats.def"
	STATS_STAGE__COUNT
};

/* Latency of one stage of the worker loop. A stage runs over a whole burst,
 * so it is timed per burst and each burst adds its cycles per packet (its
 * cycles over its packets) to the histogram: bucket i counts bursts that
 * took [2^i, 2^(i+1)) cycles a packet (bucket 0: under 2), the last bucket
 * everything from 2^(STATS_HIST_BUCKETS-1). */
#define STATS_HIST_BUCKETS	20u

struct stats_stage_time {
	uint64_t bursts, pkts, cycles;
	uint64_t hist[STATS_HIST_BUCKETS];
};

#define STATS_MAX_PORTS		8u
#define STATS_MAX_BACKENDS	64u

struct stats_block {
	uint64_t drop[STATS_DROP__COUNT];
	uint64_t reply[STATS_REPLY__COUNT];
	uint64_t ctr[STATS_CTR__COUNT];
	uint64_t port[STATS_MAX_PORTS][STATS_PORT__COUNT];
	uint64_t be[STATS_MAX_BACKENDS][STATS_BE__COUNT];
	struct stats_stage_time stage[STATS_STAGE__COUNT];
} __rte_cache_aligned;

/* Index of a reply code in stats_block.reply, or -1 for a code not in
 * stats.def. */
int stats_reply_idx(unsigned code);
unsigned stats_reply_code(unsigned idx);

const char *stats_drop_name(unsigned r);
const char *stats_drop_help(unsigned r);
const char *stats_ctr_name(unsigned c);
const char *stats_port_name(unsigned c);
const char *stats_be_name(unsigned c);
const char *stats_stage_name(unsigned s);

/* One worker's block in a few figures: for the per-worker line on exit and
 * /sipedge/workers. */
struct stats_brief {
	uint64_t rx, tx, requests, responses, forwarded, replies, drops, exceptions;
};

void stats_brief(const struct stats_block *b, struct stats_brief *out);

/* The groups of single counters of a block. A counter's flat name, as the
 * exit print, DPDK telemetry and docs/counters.md give it, is its group's
 * prefix and its name in the group: "rx_pkts", "reply_200", "drop_l2_short";
 * the agent's snapshot nests them by group name ("ctr", "reply", "drop"). */
enum stats_group {
	STATS_G_CTR = 0,
	STATS_G_REPLY,
	STATS_G_DROP,
	STATS_G__COUNT
};

const char *stats_group_name(unsigned g);   /* "ctr", "reply", "drop" */
const char *stats_group_prefix(unsigned g); /* "", "reply_", "drop_" */

/* stats_each - calls fn once for every counter of the groups above in *b,
 * in stats.def's order (the drop reason "none" left out), with its group,
 * its name in the group (valid during the call only) and its value. Any
 * thread; b is only read. */
void stats_each(const struct stats_block *b,
		void (*fn)(void *arg, unsigned group, const char *name, uint64_t v),
		void *arg);

/* Adds every counter of *b into *sum. */
void stats_add(struct stats_block *sum, const struct stats_block *b);

/* Prints every non-zero counter of *s, one "name value" line each, ports and
 * backends named by the callbacks' names (may be NULL: index). */
void stats_print(FILE *f, const struct stats_block *s,
		 const char *const *port_names, unsigned nports,
		 const char *const *be_names, unsigned nbe);

#endif /* SIPEDGE_STATS_H */
