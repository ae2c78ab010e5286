/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ban.h - the ban tables (docs/dataplane.md, "Bans") and the early-drop
 * stage that applies them before any SIP parsing.
 *
 * Two kinds of ban:
 *   dynamic  a source IP that a ban rule matched, for the rule's time. Each
 *            worker has its own fixed-size table (rules.ban_table_size) that
 *            only it writes: RSS (or the software spreading, which uses the
 *            same hash of the IP addresses) sends every packet of a source
 *            to one worker, so the worker that banned a source is the one
 *            that sees its next packets, and a per-worker table is exact
 *            with no sharing. (A source talking to two of our addresses may
 *            hash to two workers: each bans it when it matches a rule.)
 *   manual   prefixes the control plane pushes in the versioned state
 *            (state.bans), with an optional expiry: compiled by the main
 *            lcore into one immutable table published through RCU.
 *
 * Threads: ban_stage, ban_insert and ban_ctl_drain run on the worker that
 * owns the table; everything else on the main lcore. The main lcore reads
 * a worker's table (bans.list, bans.lift) without stopping it: every entry
 * carries a sequence number (a seqlock of one writer), so a read that
 * overlaps a write is retried or skipped, never reported torn. Changes the
 * main lcore wants (a lifted ban) go to the worker through a small SP/SC
 * ring it drains at the top of its loop.
 */
#ifndef SIPEDGE_BAN_H
#define SIPEDGE_BAN_H

#include <stdbool.h>
#include <stdint.h>

#include "worker.h"

#define BAN_TABLE_MIN	  1024u	      /* rules.ban_table_size bounds (cfg_keys.def) */
#define BAN_TABLE_MAX	  (1u << 22)
#define BAN_MANUAL_MAX	  65536u      /* prefixes in state.bans */
#define BAN_CTL_RING	  64u	      /* control messages waiting per worker */
#define BAN_CTL_BURST	  8u	      /* handled per worker loop */

/* ---- dynamic bans: one table per worker ---- */

struct ban_table;

/* ban_table_create - a table of size entries (a power of two, at least
 * BAN_TABLE_MIN) for worker w, on w's socket, with w's control ring.
 * Returns 0 or -ENOMEM (w->ban and w->ban_ctl NULL). Main lcore, start-up. */
int ban_table_create(struct worker *w, uint32_t size);
void ban_table_free(struct worker *w);

/* ban_insert - bans ip until TSC expires, by rule id rule: a ban already
 * there is extended (never shortened); else a free or expired slot of the
 * ip's group is taken; else the entry of the group closest to expiry is
 * evicted (ban_table_evictions). O(1): one group of 16 slots. Worker
 * owning the table. */
void ban_insert(struct worker *w, const struct dp_ip *ip, uint32_t rule, uint64_t expires);

/* ban_ctl_drain - the control messages waiting for w (bans lifted), at
 * most BAN_CTL_BURST. Top of the worker loop. */
void ban_ctl_drain(struct worker *w);

/* What bans.list reports of one dynamic ban. */
struct ban_info {
	struct dp_ip ip;
	uint32_t rule;
	uint64_t expires; /* TSC */
};

/* ban_table_list - up to max bans of worker w's table in force at TSC
 * now, into out (NULL: only counted); *total gets how many there are in
 * all. Reads every slot: ~5 ms at BAN_TABLE_MAX, so not for the agent,
 * which reads pages (ban_table_walk). Main lcore, while the worker runs. Returns
 * the number written. */
unsigned ban_table_list(const struct worker *w, uint64_t now, struct ban_info *out,
			unsigned max, unsigned *total);

/* ban_table_walk - the bans of worker w's table in force at TSC now among
 * its slots [from, end) (end at most ban_table_slots), at most max of them
 * into out. *next gets the slot to go on from: end, or the one after the
 * max-th ban written when out filled up first. A free slot costs its
 * 2-byte signature, a used one (in force or expired, not yet cleared) its
 * 32-byte entry too: 262144 slots in 0.14 ms empty, 0.45 ms all used
 * (test_ban --timing). Main lcore, while the worker runs. Returns the
 * number written. */
unsigned ban_table_walk(const struct worker *w, uint64_t now, uint32_t from, uint32_t end,
			struct ban_info *out, unsigned max, uint32_t *next);

/* ban_table_slots - the size of worker w's table (rules.ban_table_size),
 * 0 with none. */
uint32_t ban_table_slots(const struct worker *w);

/* ban_table_count - the slots in use in worker w's table: bans in force,
 * and expired ones not yet cleared (by the sweep, one group of 16 per
 * worker loop, so within size / 16 loops; or sooner by a lookup of that
 * source or an insert into its group). O(1). Main lcore. */
unsigned ban_table_count(const struct worker *w);

/* ban_table_has - whether worker w has ip banned at TSC now (the same
 * consistent read). Main lcore. */
bool ban_table_has(const struct worker *w, const struct dp_ip *ip, uint64_t now);

/* ban_lift - asks worker w to remove its ban of ip. Returns 0, or -ENOBUFS
 * when its control ring is full (the worker is stuck or flooded). Main
 * lcore. */
int ban_lift(struct worker *w, const struct dp_ip *ip);

/* ---- manual bans: one table for all workers ---- */

/* A prefix as the state gives it: host bits zero; expires in Unix seconds,
 * 0 for never. */
struct ban_prefix {
	struct dp_ip net;
	uint8_t plen;
	int64_t expires;
};

struct ban_deny;

/* ban_prefix_parse - "192.0.2.0/24", "2001:db8::/32", or an address alone
 * (its full length), len bytes at s, into *out (expires untouched).
 * Refuses: not an address, a length that is not 1..32 (1..128 for IPv6)
 * in decimal, bits set past the length. Returns 0, or -EINVAL with why
 * (the message after the quoted value, e.g. "has bits set past /24
 * (192.0.2.0/24?)"). Any thread. */
int ban_prefix_parse(const char *s, size_t len, struct ban_prefix *out, char *why,
		     size_t whylen);

/* "192.0.2.0/24" into buf. Returns buf. */
const char *ban_prefix_fmt(const struct ban_prefix *p, char *buf, size_t len);

/* ban_deny_build - the lookup table of n prefixes (n may be 0: *out NULL,
 * nothing denied). Expiries become TSC values from now_tsc/now_unix.
 * Returns 0, -EEXIST with *dup the index of the first prefix that repeats
 * an earlier one, or -ENOMEM. Main lcore. */
int ban_deny_build(const struct ban_prefix *p, unsigned n, uint64_t now_tsc,
		   int64_t now_unix, uint64_t tsc_hz, struct ban_deny **out, unsigned *dup);
void ban_deny_free(struct ban_deny *d);

/* ban_deny_publish - puts d in force (one pointer store; NULL: none) and
 * retires the table it replaces through RCU (filter_retire). Returns 0 or
 * -ENOBUFS when the retire queue is full (d is then not published). Main
 * lcore. */
int ban_deny_publish(struct dp *dp, struct ban_deny *d);

/* ban_denied - whether ip is inside a prefix of d in force at TSC now.
 * O(distinct prefix lengths of ip's family). Any thread holding d. */
bool ban_denied(const struct ban_deny *d, const struct dp_ip *ip, uint64_t now);

/* ---- the stage ---- */

/* Whether bans and rules apply to what comes in on port i: the access
 * side always, the core side with rules.filter_core_side. */
static inline bool ban_port_filtered(const struct dp *dp, unsigned i)
{
	return dp->ports[i].role == DP_ROLE_ACCESS || dp->cfg.rules.filter_core_side;
}

/* ban_stage - right after net_rx_stage, before parsing: every CONTINUE
 * slot that came in on an access port (and the core side too with
 * rules.filter_core_side) whose source is in this worker's dynamic table
 * (DROP banned) or in a manual ban (DROP denied). Dynamic first: it is the
 * cheaper lookup. An empty table costs one test per burst. */
void ban_stage(struct worker *w, struct dp_burst *b);

#endif /* SIPEDGE_BAN_H */
