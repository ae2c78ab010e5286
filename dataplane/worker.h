/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * worker.h - one poll-mode worker: its queues, its state, its counters, and
 * the process-wide state every worker reads (struct dp).
 *
 * The main lcore also has a struct worker (id == dp.n_workers) so that the
 * transmit path (net_send) is the same code for probes and ARP replies as for
 * forwarded SIP; it owns the last tx queue of every port.
 */
#ifndef SIPEDGE_WORKER_H
#define SIPEDGE_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip_frag.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "cfg.h"
#include "dp.h"
#include "stats.h"

#define DP_RETIRE_MAX 32u

struct be_table;
struct ban_table;
struct ban_deny;
struct filter_ctl;
struct filter_rules;

/* Transmit buffer of one port for one worker: flushed when full and at the
 * end of every loop iteration. */
struct worker_txq {
	uint16_t queue;
	uint16_t n;
	struct rte_mbuf *m[DP_BURST * 2];
};

/* A next hop's MAC as a worker last found it in its port's neighbour
 * table (net_tx.c): valid while gen equals the worker's net.nh_gen, that
 * is until its next transmit flush. */
struct worker_nh {
	uint64_t gen;
	struct dp_ip ip;
	uint8_t mac[6];
};

#define WORKER_NH 4u	/* per port, a power of two */

/* An rx queue a worker polls. */
struct worker_rxq {
	uint8_t port;	 /* index in dp.ports */
	uint16_t queue;
	bool spread;	 /* software RSS: hash each packet to its worker */
};

struct worker {
	unsigned id;		 /* 0 .. n_workers-1; n_workers for main */
	unsigned lcore;
	struct dp *dp;

	struct worker_rxq rxq[DP_MAX_PORTS];
	unsigned n_rxq;
	struct worker_txq txq[DP_MAX_PORTS];

	struct rte_ring *spread_in;  /* software RSS: packets for this worker */
	struct rte_ring *exc;	     /* to the main lcore (SP/SC) */

	struct rte_mempool *pool;     /* rx, headers, fragments */
	struct rte_mempool *pool_out; /* built messages: one segment of
				       * limits.max_message + slack */
	struct rte_mempool *pool_ind; /* indirect mbufs for fragmentation */
	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row dr;

	uint64_t now;		 /* TSC at the start of this iteration */

	/* net (net_init): the IPv4 identification / IPv6 fragment id of the
	 * next datagram this worker sends, and when net_rx_stage next sweeps
	 * the reassembly table for expired datagrams; the next hops' MACs
	 * found since the last transmit flush (net_tx.c) */
	struct {
		uint32_t ip_id;
		uint64_t sweep_next;
		uint64_t sweep_period;
		uint64_t nh_gen;
		struct worker_nh nh[DP_MAX_PORTS][WORKER_NH];
	} net;

	struct stats_block *st;

	/* this worker's dynamic bans and the ring of control messages the
	 * main lcore sends it (ban.h) */
	struct ban_table *ban;
	struct rte_ring *ban_ctl;

	/* contiguous copies of multi-segment (reassembled) datagrams, one per
	 * burst slot, allocated at start-up with limits.max_message bytes */
	char *linear[DP_BURST];

	struct dp_burst burst;
} __rte_cache_aligned;

/* The process-wide state. Written by the main lcore before the workers
 * start; afterwards only be (RCU-published) and the neighbour tables (see
 * neigh.h) change. */
struct dp {
	struct cfg cfg;
	struct sip_limits lim;

	struct dp_port ports[DP_MAX_PORTS];
	unsigned n_ports;
	uint32_t listen_mask[DP_MAX_SIP_PORTS]; /* unused */

	unsigned n_workers;
	struct worker *workers[DP_MAX_WORKERS + 1]; /* + main */
	struct stats_block *stats;		    /* n_workers + 1 blocks */

	struct rte_mempool *pool;
	struct rte_mempool *pool_out;
	struct rte_mempool *pool_ind;
	uint8_t port_idx[RTE_MAX_ETHPORTS]; /* ethdev id -> index in ports */
	struct rte_ring *main_tx[DP_MAX_PORTS]; /* see port_main_has_txq() */

	/* signing keys, derived from proxy.secret */
	uint64_t key_branch[2];
	uint64_t key_token[2];

	/* the backend table in force; workers read it through
	 * __atomic_load_n(ACQUIRE) between two quiescent-state reports */
	struct be_table *be;
	struct rte_rcu_qsbr *qsbr;
	volatile uint8_t be_up[DP_MAX_BACKENDS]; /* health, for readers outside
						  * RCU (telemetry) */

	/* the manual bans in force (ban.h), read like be */
	struct ban_deny *deny;

	/* the rulesets in force, [FILTER_LIVE] and [FILTER_SHADOW] (filter.h),
	 * read like be; and the main lcore's side of them */
	struct filter_rules *rules[2];
	struct filter_ctl *fctl;

	/* objects the workers may still read, freed once every worker has
	 * reported a quiescent state since they were unpublished
	 * (dp_retire); main lcore only */
	struct dp_retired {
		void *obj;
		void (*fn)(struct dp *dp, void *obj);
		uint64_t token;
	} retired[DP_RETIRE_MAX];
	unsigned n_retired;

	uint64_t tsc_hz;
	volatile bool stop;
};

/* Whether p is one of the SIP listen ports (host order). */
static inline bool worker_is_sip_port(const struct dp *dp, uint16_t p)
{
	for (unsigned i = 0; i < dp->cfg.n_sip_ports; i++)
		if (dp->cfg.sip_ports[i] == p)
			return true;
	return false;
}

/* The first port of a role with an address of family af (4 or 6), or -1.
 * Ports are few: a linear scan beats any index. */
static inline int dp_port_for(const struct dp *dp, unsigned role, unsigned af)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct dp_port *pt = &dp->ports[i];

		if (pt->role == role && (af == 6 ? pt->ip6.af : pt->ip4.af))
			return (int)i;
	}
	return -1;
}

/* Our address of family af on port pt (af 0 when it has none). */
static inline const struct dp_ip *dp_port_ip(const struct dp_port *pt,
					     unsigned af)
{
	return af == 6 ? &pt->ip6 : &pt->ip4;
}

/* dp_init - with dp->cfg loaded and the EAL up: keys, pools, ports,
 * workers, rings, RCU, net, backends. Returns 0 or -errno, the reason on
 * stderr. Main lcore. dp_fini undoes what was done (also after a failure). */
int dp_init(struct dp *dp);
void dp_fini(struct dp *dp);

/* dp_retire - hands obj, no longer reachable from dp by the workers, to
 * fn(dp, obj) once every worker has reported a quiescent state since
 * (rte_rcu_qsbr_start now, rte_rcu_qsbr_check later: the main lcore never
 * waits for the workers). Returns 0, or -ENOBUFS when DP_RETIRE_MAX objects
 * still wait (check dp_retire_room before unpublishing anything). Main
 * lcore. */
int dp_retire(struct dp *dp, void *obj, void (*fn)(struct dp *dp, void *obj));
bool dp_retire_room(struct dp *dp);

/* dp_retire_poll - runs fn of every retired object whose grace period is
 * over, oldest first, without waiting. Returns how many still wait. Main
 * lcore, every turn of its loop. */
unsigned dp_retire_poll(struct dp *dp);

/* The lcore entry point of a worker (rte_eal_remote_launch). arg is the
 * struct worker. Returns 0 when dp->stop is set. */
int worker_main(void *arg);

/* One iteration of the loop: a burst from each queue w owns (and from its
 * software-RSS ring) through the stages, then the transmit flush. The
 * benchmark calls it on the generator's own lcore. */
void worker_poll(struct worker *w);

/* Runs one burst through every stage and the dispatch step: used by
 * worker_main and by the benchmark and tests. */
void worker_process(struct worker *w, struct dp_burst *b);

/* Transmits what is buffered on every port. */
void worker_flush(struct worker *w);

#endif /* SIPEDGE_WORKER_H */
