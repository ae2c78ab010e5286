/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * dp_init.c - bring the dataplane up from a loaded config and an initialised
 * EAL, and take it down: keys, mbuf pools, ports, workers and their rings,
 * RCU, the net layer, the backend table. Shared by sipedge and by the
 * pipeline benchmark, so that both run the same start-up. Main lcore only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "backend.h"
#include "ban.h"
#include "filter.h"
#include "net.h"
#include "port.h"
#include "token.h"
#include "worker.h"

#define DP_RING_SIZE 1024u

static int make_pools(struct dp *dp)
{
	const struct cfg *c = &dp->cfg;
	unsigned n = c->limits.mbufs;
	unsigned n_out = RTE_MAX(1024u, n / 4);
	/* one segment holds a whole message we build, plus our headers */
	unsigned out_room = RTE_PKTMBUF_HEADROOM + c->limits.max_message + 1024;

	dp->pool = rte_pktmbuf_pool_create("sipedge_rx", n, 256, 0,
					   (uint16_t)(RTE_PKTMBUF_HEADROOM + c->limits.mbuf_size),
					   (int)rte_socket_id());
	dp->pool_out = rte_pktmbuf_pool_create("sipedge_out", n_out, 64, 0,
					       (uint16_t)out_room, (int)rte_socket_id());
	dp->pool_ind = rte_pktmbuf_pool_create("sipedge_ind", n, 256, 0, 0,
					       (int)rte_socket_id());
	if (!dp->pool || !dp->pool_out || !dp->pool_ind) {
		fprintf(stderr,
			"sipedge: cannot create mbuf pools (limits.mbufs %u of %u bytes, "
			"limits.max_message %u): %s; more hugepages or eal.memory_mb?\n",
			n, c->limits.mbuf_size, c->limits.max_message, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static struct rte_ring *ring(const char *what, unsigned id, unsigned flags)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "se_%s_%u", what, id);
	return rte_ring_create(name, DP_RING_SIZE, (int)rte_socket_id(), flags);
}

/* One struct worker per worker lcore plus the main lcore's; rx queues are
 * dealt to the workers: queue q of an RSS port to worker q, the single
 * queue of a port without RSS to worker (port index mod workers), which
 * spreads by the IP hash when there is more than one worker. */
static int make_workers(struct dp *dp)
{
	unsigned nw = dp->n_workers;
	size_t sz = sizeof(struct stats_block) * (nw + 1);

	dp->stats = rte_zmalloc("stats", sz, RTE_CACHE_LINE_SIZE);
	if (dp->stats == NULL)
		return -ENOMEM;
	for (unsigned k = 0; k <= nw; k++) {
		struct worker *w = rte_zmalloc("worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

		if (w == NULL)
			return -ENOMEM;
		dp->workers[k] = w;
		w->id = k;
		w->lcore = k < nw ? dp->cfg.workers[k] : dp->cfg.eal.main_lcore;
		w->dp = dp;
		w->st = &dp->stats[k];
		w->pool = dp->pool;
		w->pool_out = dp->pool_out;
		w->pool_ind = dp->pool_ind;
		for (unsigned i = 0; i < dp->n_ports; i++)
			w->txq[i].queue = (uint16_t)k;
		if (k < nw) {
			w->exc = ring("exc", k, RING_F_SP_ENQ | RING_F_SC_DEQ);
			w->spread_in = nw > 1 ? ring("spread", k, RING_F_SC_DEQ) : NULL;
			if (w->exc == NULL || (nw > 1 && w->spread_in == NULL))
				return -ENOMEM;
			if (ban_table_create(w, dp->cfg.rules.ban_table_size) != 0) {
				fprintf(stderr, "sipedge: out of memory for worker %u's ban table "
					"(rules.ban_table_size %u: %zu KiB); more hugepages or "
					"eal.memory_mb?\n", k, dp->cfg.rules.ban_table_size,
					(size_t)dp->cfg.rules.ban_table_size * 34 / 1024);
				return -ENOMEM;
			}
		}
	}
	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct dp_port *pt = &dp->ports[i];

		if (pt->rss) {
			for (unsigned q = 0; q < pt->nb_rxq; q++) {
				struct worker *w = dp->workers[q];

				w->rxq[w->n_rxq++] = (struct worker_rxq){(uint8_t)i, (uint16_t)q, false};
			}
		} else {
			struct worker *w = dp->workers[i % nw];

			w->rxq[w->n_rxq++] = (struct worker_rxq){(uint8_t)i, 0, nw > 1};
		}
		if (!port_main_has_txq(dp, i)) {
			dp->main_tx[i] = ring("maintx", i, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (dp->main_tx[i] == NULL)
				return -ENOMEM;
		}
	}
	return 0;
}

/* The signing keys: from proxy.secret so that every node of a cluster, and
 * this one after a restart, accepts the tokens the others issued. */
static void make_keys(struct dp *dp)
{
	uint64_t k[2];

	if (dp->cfg.proxy.has_secret) {
		memcpy(k, dp->cfg.proxy.secret, 16);
	} else {
		k[0] = rte_rand();
		k[1] = rte_rand();
		RTE_LOG(WARNING, USER1,
			"proxy.secret not set: using a random one; flow tokens and "
			"branches will not survive a restart\n");
	}
	dp->key_branch[0] = token_siphash(k, "branch-key-0", 12);
	dp->key_branch[1] = token_siphash(k, "branch-key-1", 12);
	dp->key_token[0] = token_siphash(k, "token-key-0", 11);
	dp->key_token[1] = token_siphash(k, "token-key-1", 11);
}

static int make_rcu(struct dp *dp)
{
	size_t sz = rte_rcu_qsbr_get_memsize(dp->n_workers);

	dp->qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL)
		return -ENOMEM;
	return rte_rcu_qsbr_init(dp->qsbr, dp->n_workers);
}

int dp_init(struct dp *dp)
{
	int rc;

	dp->n_workers = dp->cfg.n_workers;
	dp->tsc_hz = rte_get_tsc_hz();
	dp->lim.max_msg = dp->cfg.limits.max_message;
	dp->lim.max_hdrs = dp->cfg.limits.max_headers;
	dp->lim.max_line = dp->cfg.limits.max_line;
	make_keys(dp);
	if ((rc = make_pools(dp)) != 0)
		return rc;
	if ((rc = port_init(dp)) != 0)
		return rc;
	if ((rc = make_workers(dp)) != 0 || (rc = make_rcu(dp)) != 0 ||
	    (rc = filter_init(dp)) != 0) {
		fprintf(stderr, "sipedge: out of memory for workers\n");
		return rc;
	}
	if ((rc = net_init(dp)) != 0)
		return rc;
	if ((rc = be_init(dp)) != 0) {
		fprintf(stderr, "sipedge: out of memory for the backend table\n");
		return rc;
	}
	return 0;
}

/* ---- retiring what the workers may still read ---- */

bool dp_retire_room(struct dp *dp)
{
	dp_retire_poll(dp);
	return dp->n_retired < DP_RETIRE_MAX;
}

int dp_retire(struct dp *dp, void *obj, void (*fn)(struct dp *dp, void *obj))
{
	if (!dp_retire_room(dp))
		return -ENOBUFS;
	/* the token orders after the unpublishing store the caller made: a
	 * worker that reports a quiescent state later has dropped any
	 * reference it loaded before */
	dp->retired[dp->n_retired].obj = obj;
	dp->retired[dp->n_retired].fn = fn;
	dp->retired[dp->n_retired].token = rte_rcu_qsbr_start(dp->qsbr);
	dp->n_retired++;
	return 0;
}

unsigned dp_retire_poll(struct dp *dp)
{
	unsigned done = 0;

	/* tokens grow with time: once one is not over, the later ones are
	 * not either */
	while (done < dp->n_retired &&
	       rte_rcu_qsbr_check(dp->qsbr, dp->retired[done].token, false) == 1) {
		dp->retired[done].fn(dp, dp->retired[done].obj);
		done++;
	}
	if (done == 0)
		return dp->n_retired;
	memmove(&dp->retired[0], &dp->retired[done],
		(dp->n_retired - done) * sizeof(dp->retired[0]));
	dp->n_retired -= done;
	return dp->n_retired;
}

/* Frees what a ring still holds (after the workers stopped). */
static void ring_drain(struct rte_ring *r)
{
	void *m[DP_BURST];
	unsigned n;

	if (r == NULL)
		return;
	while ((n = rte_ring_dequeue_burst(r, m, DP_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk((struct rte_mbuf **)m, n);
}

void dp_fini(struct dp *dp)
{
	/* the workers have stopped: nothing retired is read any more */
	for (unsigned i = 0; i < dp->n_retired; i++)
		dp->retired[i].fn(dp, dp->retired[i].obj);
	dp->n_retired = 0;
	filter_fini(dp);
	ban_deny_free(dp->deny);
	dp->deny = NULL;
	for (unsigned k = 0; k < dp->n_workers; k++) {
		if (dp->workers[k] == NULL)
			continue;
		ring_drain(dp->workers[k]->exc);
		ring_drain(dp->workers[k]->spread_in);
		ban_table_free(dp->workers[k]);
	}
	for (unsigned i = 0; i < DP_MAX_PORTS; i++)
		ring_drain(dp->main_tx[i]);
	if (dp->workers[0] != NULL)
		net_fini(dp);
	be_fini(dp);
	port_fini(dp);
}
