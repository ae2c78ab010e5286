/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * worker.c - the poll-mode loop of a worker and the dispatch step.
 *
 * A loop iteration: the main lcore's control messages (ban.h), then receive
 * a burst from each queue this worker owns (and the packets other workers
 * spread to it), run each burst through the stages (net_rx_stage,
 * ban_stage, proxy_parse_stage, filter_stage, proxy_route_stage), then
 * dispatch: count, free, build replies, hand exceptions to the main lcore,
 * buffer output; transmit; report a quiescent state to RCU. Stages only mark packets; only
 * dispatch frees or sends, so a stage can be added (rate limit, rules)
 * between two others without touching the rest.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "ban.h"
#include "filter.h"
#include "net.h"
#include "port.h"
#include "proxy.h"
#include "worker.h"

/* ---- dispatch ---- */

/* A probe reply goes to the main lcore as its SIP payload only: the main
 * lcore parses it without walking the headers again. */
static bool trim_to_sip(struct rte_mbuf *m, const struct dp_pkt *p)
{
	const char *d = rte_pktmbuf_mtod(m, const char *);

	if (m->nb_segs != 1 || p->sip < d || p->sip + p->sip_len > d + m->data_len)
		return false;
	rte_pktmbuf_adj(m, (uint16_t)(p->sip - d));
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - p->sip_len));
	return true;
}

static void dispatch(struct worker *w, struct dp_burst *b)
{
	struct rte_mbuf *exc[DP_BURST];
	unsigned n_exc = 0;

	for (unsigned i = 0; i < b->n; i++) {
		struct dp_pkt *p = &b->p[i];
		struct rte_mbuf *m = b->m[i];

		switch (p->step) {
		case DP_STEP_REPLY:
			proxy_reply(w, b, i);
			rte_pktmbuf_free(m);
			break;
		case DP_STEP_FORWARD:
			/* p->out is m itself when the route stage rewrote the
			 * message where it came in: net_send consumes it */
			net_send(w, p->out, p->out_port, &p->out_src, &p->out_dst);
			if (p->out != m)
				rte_pktmbuf_free(m);
			break;
		case DP_STEP_EXCEPTION:
			if (p->exc == DP_EXC_PROBE_REPLY && !trim_to_sip(m, p)) {
				w->st->drop[STATS_DROP_resp_stray]++;
				rte_pktmbuf_free(m);
				break;
			}
			m->hash.usr = p->exc | (uint32_t)p->in_port << 8;
			exc[n_exc++] = m;
			break;
		case DP_STEP_HELD:
			break;
		case DP_STEP_DROP:
		default: /* CONTINUE here would be a stage's bug: count it */
			w->st->drop[p->reason]++;
			rte_pktmbuf_free(m);
			break;
		}
	}
	if (n_exc) {
		unsigned k = rte_ring_sp_enqueue_burst(w->exc, (void **)exc, n_exc, NULL);

		w->st->ctr[STATS_exceptions] += k;
		if (k < n_exc) {
			w->st->drop[STATS_DROP_exc_ring_full] += n_exc - k;
			rte_pktmbuf_free_bulk(exc + k, n_exc - k);
		}
	}
}

/* Closes the timing of stage s over a burst of n packets that began at
 * *t (stats.h: per burst, so one division and a few increments per up to
 * DP_BURST packets); *t becomes the start of the next stage. */
static inline void stage_done(struct worker *w, unsigned s, unsigned n, uint64_t *t)
{
	struct stats_stage_time *st = &w->st->stage[s];
	uint64_t now = rte_rdtsc(), c = now - *t, per = c / n;
	unsigned k = per < 2 ? 0 : 63u - (unsigned)__builtin_clzll(per);

	st->bursts++;
	st->pkts += n;
	st->cycles += c;
	st->hist[k < STATS_HIST_BUCKETS ? k : STATS_HIST_BUCKETS - 1]++;
	*t = now;
}

void worker_process(struct worker *w, struct dp_burst *b)
{
	unsigned n = b->n;
	uint64_t t;

	if (n == 0)
		return;
	t = rte_rdtsc();
	for (unsigned i = 0; i < b->n; i++) {
		struct dp_pkt *p = &b->p[i];

		p->step = DP_STEP_CONTINUE;
		p->reason = STATS_DROP_NONE;
		p->sip = NULL;
		p->sip_len = 0;
		p->sip_err = 0;
		p->out = NULL;
		p->rule_reply = false;
		p->reply_phrase = NULL;
	}
	net_rx_stage(w, b);
	stage_done(w, STATS_STAGE_net, n, &t);
	ban_stage(w, b);
	stage_done(w, STATS_STAGE_early, n, &t);
	proxy_parse_stage(w, b);
	stage_done(w, STATS_STAGE_parse, n, &t);
	filter_stage(w, b);
	stage_done(w, STATS_STAGE_filter, n, &t);
	proxy_route_stage(w, b);
	stage_done(w, STATS_STAGE_route, n, &t);
	dispatch(w, b);
	stage_done(w, STATS_STAGE_dispatch, n, &t);
}

/* ---- software spreading ---- */

/* The worker of a frame by its IP addresses, as RSS would choose: the same
 * for every fragment of a datagram and for every packet of a source. Frames
 * that are not IP (ARP) stay with the worker that read them. */
static unsigned spread_target(const struct worker *w, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *l3 = (const uint8_t *)(eh + 1);
	uint16_t type = eh->ether_type;
	uint32_t h;

	if (m->data_len < sizeof(*eh) + 40 + 4)
		return w->id;
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		type = *(const uint16_t *)(l3 + 2);
		l3 += 4;
	}
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		h = rte_hash_crc(l3 + 12, 8, 0);
	else if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))
		h = rte_hash_crc(l3 + 8, 32, 0);
	else
		return w->id;
	/* multiply-shift instead of a modulo: no division per packet */
	return (unsigned)(((uint64_t)h * w->dp->n_workers) >> 32);
}

static void spread(struct worker *w, struct rte_mbuf **pkts, unsigned n,
		   uint8_t in_port)
{
	struct dp *dp = w->dp;
	struct dp_burst *b = &w->burst;
	struct rte_mbuf *out[DP_MAX_WORKERS][DP_BURST];
	unsigned cnt[DP_MAX_WORKERS] = {0};

	b->n = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned t = spread_target(w, pkts[i]);

		if (t == w->id) {
			b->p[b->n].in_port = in_port;
			b->m[b->n++] = pkts[i];
		} else {
			/* the receiving worker learns the port from the mbuf: not
			 * every PMD sets it (net_ring does not) */
			pkts[i]->port = dp->ports[in_port].port_id;
			out[t][cnt[t]++] = pkts[i];
		}
	}
	for (unsigned t = 0; t < dp->n_workers; t++) {
		unsigned k;

		if (cnt[t] == 0)
			continue;
		k = rte_ring_mp_enqueue_burst(dp->workers[t]->spread_in, (void **)out[t],
					      cnt[t], NULL);
		w->st->ctr[STATS_spread_out] += k;
		if (k < cnt[t]) {
			w->st->drop[STATS_DROP_exc_ring_full] += cnt[t] - k;
			rte_pktmbuf_free_bulk(out[t] + k, cnt[t] - k);
		}
	}
	if (b->n)
		worker_process(w, b);
}

/* ---- the loop ---- */

/* Worker 0 transmits, on its own queue, what the main lcore queued for a
 * port where it has none. */
static void relay_main_tx(struct worker *w)
{
	struct dp *dp = w->dp;

	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct rte_mbuf *m[DP_BURST];
		uint32_t bytes[DP_BURST];
		unsigned n, k;

		if (dp->main_tx[i] == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(dp->main_tx[i], (void **)m, DP_BURST, NULL);
		if (n == 0)
			continue;
		/* sizes first: once sent, the mbufs are the driver's */
		for (unsigned j = 0; j < n; j++)
			bytes[j] = m[j]->pkt_len;
		k = rte_eth_tx_burst(dp->ports[i].port_id, w->txq[i].queue, m, (uint16_t)n);
		for (unsigned j = 0; j < k; j++) {
			w->st->port[i][STATS_PORT_tx_pkts]++;
			w->st->port[i][STATS_PORT_tx_bytes] += bytes[j];
		}
		if (k < n) {
			w->st->port[i][STATS_PORT_tx_drop] += n - k;
			w->st->drop[STATS_DROP_tx_full] += n - k;
			rte_pktmbuf_free_bulk(m + k, n - k);
		}
	}
}

void worker_flush(struct worker *w)
{
	net_tx_flush(w);
}

void worker_poll(struct worker *w)
{
	struct dp *dp = w->dp;
	struct dp_burst *b = &w->burst;

	w->now = rte_rdtsc();
	ban_ctl_drain(w);
	for (unsigned q = 0; q < w->n_rxq; q++) {
		const struct worker_rxq *rq = &w->rxq[q];
		struct rte_mbuf *pkts[DP_BURST];
		uint16_t n;

		if (rq->spread) {
			n = rte_eth_rx_burst(dp->ports[rq->port].port_id, rq->queue, pkts,
					     DP_BURST);
			if (n)
				spread(w, pkts, n, rq->port);
			continue;
		}
		n = rte_eth_rx_burst(dp->ports[rq->port].port_id, rq->queue, b->m, DP_BURST);
		if (n == 0)
			continue;
		b->n = n;
		for (unsigned i = 0; i < n; i++)
			b->p[i].in_port = rq->port;
		worker_process(w, b);
	}
	if (w->spread_in) {
		unsigned n = rte_ring_sc_dequeue_burst(w->spread_in, (void **)b->m, DP_BURST,
						       NULL);

		if (n) {
			w->st->ctr[STATS_spread_in] += n;
			b->n = (uint16_t)n;
			for (unsigned i = 0; i < n; i++)
				b->p[i].in_port = dp->port_idx[b->m[i]->port];
			worker_process(w, b);
		}
	}
	if (w->id == 0)
		relay_main_tx(w);
	worker_flush(w);
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct dp *dp = w->dp;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		worker_poll(w);
		rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
	}
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->id);
	worker_flush(w);
	return 0;
}
