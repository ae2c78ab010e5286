/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * neigh.h - the neighbour table of one port: IPv4 (ARP) and IPv6 (ND) next
 * hops and their MAC addresses.
 *
 * Threads: the main lcore is the only writer (learning, resolution, expiry,
 * the queues of packets waiting for a MAC). Workers only call neigh_lookup(),
 * which takes no lock and never waits: a slot that the main lcore is
 * rewriting at that instant reads as a miss, and the packet goes the
 * resolution path (DP_EXC_RESOLVE) to the main lcore, which has the answer.
 *
 * The table is a fixed array of NEIGH_SIZE slots with open addressing
 * (linear probing, at most NEIGH_MAX_PROBE slots from the home slot). Why not
 * rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF: its lock-free mode
 * still needs the reader to copy the value out under its own
 * version-counter protocol, it allocates its key store at run time, and it
 * cannot keep the main lcore's private per-entry state (timers, the wait
 * queue) beside the key. A port has a few neighbours (a gateway, some
 * backends, or an on-link access subnet): a fixed array with bounded probing
 * is smaller, has a bounded worst case, and its ordering is ours to state
 * (see neigh.c, "Memory ordering").
 *
 * States: STATIC (ports[].neighbours; never expires, never overwritten),
 * REACHABLE (learned; expires limits.neigh_ttl_s after the last
 * confirmation; if workers used it since then, refreshed by up to three
 * unicast ARP requests / NS 1 s apart before it expires), INCOMPLETE (a
 * request went out; up to limits.neigh_queue frames wait; after three
 * unanswered requests 1 s apart the frames are dropped, counted
 * neigh_failed, and the entry removed).
 */
#ifndef SIPEDGE_NEIGH_H
#define SIPEDGE_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp.h"

#define NEIGH_SIZE	 4096u /* slots per port, a power of two */
#define NEIGH_MAX_PROBE	 16u   /* slots looked at from the home slot */
#define NEIGH_MAX_WAIT	 64u   /* unresolved next hops with a wait queue */
#define NEIGH_REQUESTS	 3u    /* requests before giving up / expiring */

enum neigh_state {
	NEIGH_FREE = 0,	  /* never used: ends a probe sequence */
	NEIGH_DEAD,	  /* removed (a tombstone: probing goes on past it) */
	NEIGH_INCOMPLETE, /* being resolved; no MAC yet */
	NEIGH_REACHABLE,
	NEIGH_STATIC,
};

struct neigh_table;

/* What the main lcore's operations on a table ask their caller to do. Each
 * is called on the main lcore, from inside neigh_learn/neigh_hold/
 * neigh_timer; port is the table's port index. */
struct neigh_ops {
	/* m waited for ip's MAC and can go now: fill its destination MAC and
	 * transmit it. Takes m. */
	void (*release)(void *ctx, unsigned port, struct rte_mbuf *m,
			const struct rte_ether_addr *mac);
	/* send an ARP request / neighbour solicitation for ip: to mac when
	 * not NULL (refreshing a known entry), else broadcast / to the
	 * solicited-node multicast address */
	void (*solicit)(void *ctx, unsigned port, const struct dp_ip *ip,
			const struct rte_ether_addr *mac);
	/* m is dropped for reason (enum stats_drop): count it, free it */
	void (*drop)(void *ctx, unsigned port, struct rte_mbuf *m,
		     unsigned reason);
	void *ctx;
};

/* neigh_create - an empty table for port index port.
 * queue_len: frames that may wait for one next hop (limits.neigh_queue, at
 * least 1); ttl: lifetime of a learned entry and hz: one second, both in TSC
 * cycles. Memory from rte_malloc on socket. Start-up, main lcore. Returns the
 * table (free with neigh_free), or NULL with errno EINVAL/ENOMEM. */
struct neigh_table *neigh_create(unsigned port, unsigned queue_len,
				 uint64_t ttl, uint64_t hz, int socket);

/* neigh_free - frees t and every frame still waiting in it. NULL is fine. */
void neigh_free(struct neigh_table *t);

/* neigh_add_static - a permanent entry (ports[].neighbours). Start-up, main
 * lcore. Returns 0, -EINVAL (ip not af 4/6, or a multicast/zero MAC),
 * -EEXIST (ip already static with another MAC), -ENOSPC. */
int neigh_add_static(struct neigh_table *t, const struct dp_ip *ip,
		     const struct rte_ether_addr *mac);

/* neigh_lookup - the MAC of a usable (REACHABLE or STATIC) next hop ip.
 * Any lcore, lock-free and wait-free (at most NEIGH_MAX_PROBE slots).
 * Returns 0 and *mac, or -ENOENT (unknown, incomplete, or being rewritten
 * at this instant: take the resolution path). Marks the entry used, so that
 * the main lcore refreshes it before it expires. */
int neigh_lookup(struct neigh_table *t, const struct dp_ip *ip,
		 struct rte_ether_addr *mac);

/* neigh_learn - ip is at mac (an ARP request or reply for us, a NS with a
 * source link-layer option, a NA). Updates an existing learned entry
 * (INCOMPLETE or REACHABLE) to REACHABLE with a fresh lifetime and releases
 * its waiting frames through ops->release; when there is none, creates one
 * only if create (RFC 826: we are the target of the request; RFC 4861: a
 * NS for us). Static entries are never changed. Main lcore.
 * Returns 0, -ENOENT (none and !create), -EPERM (static), -ENOSPC,
 * -EINVAL (bad address or MAC). */
int neigh_learn(struct neigh_table *t, const struct dp_ip *ip,
		const struct rte_ether_addr *mac, bool create, uint64_t now,
		const struct neigh_ops *ops);

/* neigh_hold - m (a complete frame whose destination MAC is still to fill)
 * goes to next hop ip. A usable entry releases m at once; otherwise m waits
 * on the entry (created INCOMPLETE, with its first request sent through
 * ops->solicit). A full wait queue, or no room for the entry, drops m
 * through ops->drop (neigh_queue_full). Takes m in every case. Main lcore. */
void neigh_hold(struct neigh_table *t, const struct dp_ip *ip,
		struct rte_mbuf *m, uint64_t now, const struct neigh_ops *ops);

/* neigh_timer - expiry, refresh and resolution retries; cheap when called
 * often (it walks the table at most every 100 ms). Main lcore. */
void neigh_timer(struct neigh_table *t, uint64_t now,
		 const struct neigh_ops *ops);

/* neigh_get - a snapshot of ip's entry for the control plane and tests.
 * Main lcore. Returns the state (NEIGH_FREE when absent), *mac when the
 * state has one, *waiting frames queued. */
enum neigh_state neigh_get(const struct neigh_table *t, const struct dp_ip *ip,
			   struct rte_ether_addr *mac, unsigned *waiting);

/* neigh_walk - calls fn for every live entry (INCOMPLETE, REACHABLE,
 * STATIC) in slot order; stops when fn returns non-zero and returns that.
 * Main lcore. */
int neigh_walk(const struct neigh_table *t,
	       int (*fn)(void *arg, const struct dp_ip *ip,
			 const struct rte_ether_addr *mac,
			 enum neigh_state st, uint64_t expire),
	       void *arg);

/* The name of a state: "static", "reachable", ... */
const char *neigh_state_name(enum neigh_state st);

#endif /* SIPEDGE_NEIGH_H */
