/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * net_tx.c - the egress path (net.h: net_send, net_tx_flush): UDP, IPv4 or
 * IPv6 and Ethernet headers, checksums, fragmentation, the next hop's MAC,
 * the per-port transmit buffers.
 *
 * Checksums: with dp_port.tx_cksum the NIC fills the IPv4 header and UDP
 * checksums of a datagram that fits the MTU (we put the pseudo-header sum in
 * the UDP field, as DPDK's offload contract asks); the port must then have
 * enabled RTE_ETH_TX_OFFLOAD_IPV4_CKSUM and _UDP_CKSUM. A datagram that
 * must be fragmented gets its UDP checksum in software over the whole
 * datagram before fragmenting, and each fragment its IPv4 header checksum
 * in software: the NIC would checksum each fragment as if it were a whole
 * datagram. Fragments are chains (a direct mbuf with the headers and an
 * indirect one with the data), so such a port needs
 * RTE_ETH_TX_OFFLOAD_MULTI_SEGS.
 *
 * IP identification: a per-worker counter, started at a random value by
 * net_init. IPv6 fragments get it as their fragment id (rte_ip_frag leaves
 * the id at zero). DF is never set on IPv4: a SIP message over the path
 * MTU must still arrive.
 */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "net.h"
#include "net_priv.h"

#define UDP_HDR	sizeof(struct rte_udp_hdr)
#define IP4_HDR	sizeof(struct rte_ipv4_hdr)
#define IP6_HDR	sizeof(struct rte_ipv6_hdr)

static int fail(struct worker *w, struct rte_mbuf *m, unsigned reason)
{
	w->st->drop[reason]++;
	rte_pktmbuf_free(m);
	return -(int)reason;
}

/* The main lcore on a port without a tx queue of its own (a device with
 * only as many queues as workers): its frames go to worker 0 through
 * dp->main_tx[port] (port.h), which transmits and counts them. */
static void relay_to_worker0(struct worker *w, unsigned port)
{
	struct worker_txq *q = &w->txq[port];
	unsigned k = rte_ring_sp_enqueue_burst(w->dp->main_tx[port],
					       (void **)q->m, q->n, NULL);

	if (k < q->n) {
		w->st->drop[STATS_DROP_tx_full] += q->n - k;
		w->st->port[port][STATS_PORT_tx_drop] += q->n - k;
		rte_pktmbuf_free_bulk(q->m + k, q->n - k);
	}
	q->n = 0;
}

void net_tx_flush_port(struct worker *w, unsigned port)
{
	struct worker_txq *q = &w->txq[port];
	struct stats_block *st = w->st;
	uint64_t bytes = 0;
	uint16_t sent, n = q->n;

	if (n == 0)
		return;
	if (unlikely(w->dp->main_tx[port] != NULL &&
		     w->id == w->dp->n_workers)) {
		relay_to_worker0(w, port);
		return;
	}
	/* count before: a sent mbuf is no longer ours to read */
	for (uint16_t k = 0; k < n; k++)
		bytes += q->m[k]->pkt_len;
	sent = rte_eth_tx_burst(w->dp->ports[port].port_id, q->queue, q->m, n);
	for (uint16_t k = sent; k < n; k++) {
		bytes -= q->m[k]->pkt_len;
		rte_pktmbuf_free(q->m[k]);
	}
	q->n = 0;
	st->ctr[STATS_tx_pkts] += sent;
	st->ctr[STATS_tx_bytes] += bytes;
	st->port[port][STATS_PORT_tx_pkts] += sent;
	st->port[port][STATS_PORT_tx_bytes] += bytes;
	if (sent < n) {
		st->drop[STATS_DROP_tx_full] += n - sent;
		st->port[port][STATS_PORT_tx_drop] += n - sent;
	}
}

void net_tx_flush(struct worker *w)
{
	w->net.nh_gen++;	/* next_hop_mac: look the next hops up again */
	for (unsigned p = 0; p < w->dp->n_ports; p++)
		if (w->txq[p].n != 0)
			net_tx_flush_port(w, p);
}

/* Frame f has no destination MAC yet: the main lcore resolves nh. */
static void resolve(struct worker *w, struct rte_mbuf *f, unsigned port,
		    const struct dp_ip *nh)
{
	if (w->id == w->dp->n_workers) {	/* we are the main lcore */
		net_exc_hold(w, f, port, nh);
		return;
	}
	f->hash.usr = (uint32_t)DP_EXC_RESOLVE | (uint32_t)port << 8;
	if (unlikely(w->exc == NULL || rte_ring_enqueue(w->exc, f) != 0)) {
		w->st->drop[STATS_DROP_exc_ring_full]++;
		rte_pktmbuf_free(f);
		return;
	}
	w->st->ctr[STATS_exceptions]++;
}

/* Whether next hop nh out of port has a MAC (in *mac). A MAC found once is
 * used again until the next transmit flush without a table lookup: a burst
 * goes to a few next hops. A frame queued with a MAC leaves at that flush
 * anyway, whatever the main lcore changes meanwhile, so this sends nothing
 * the table did not say since the flush before. Not cached: a miss (the
 * main lcore may resolve it at any moment). The entry's used mark is set
 * by the first lookup of each flush period only, as often as neigh.c
 * needs it. */
static inline bool next_hop_mac(struct worker *w, const struct dp_port *pt,
				unsigned port, const struct dp_ip *nh,
				struct rte_ether_addr *mac)
{
	/* the low byte of an IPv4 address, the last of an IPv6 one mixed
	 * in (a[4..15] are zero for IPv4) */
	struct worker_nh *c = &w->net.nh[port][(nh->a[3] ^ nh->a[15]) &
					       (WORKER_NH - 1)];

	/* a zeroed entry has af 0: it matches no next hop */
	if (c->gen == w->net.nh_gen && memcmp(&c->ip, nh, sizeof(*nh)) == 0) {
		memcpy(mac->addr_bytes, c->mac, sizeof(c->mac));
		return true;
	}
	if (neigh_lookup(pt->neigh, nh, mac) != 0)
		return false;
	c->gen = w->net.nh_gen;
	c->ip = *nh;
	memcpy(c->mac, mac->addr_bytes, sizeof(c->mac));
	return true;
}

/* Adds Ethernet to each of the n frames and queues them, or hands them to
 * the main lcore when nh has no MAC. Inlined: for the usual single frame
 * the call and its loop cost more than the work. */
static __rte_always_inline void emit(struct worker *w,
				     const struct dp_port *pt, unsigned port,
				     const struct dp_ip *nh,
				     struct rte_mbuf **f, unsigned n,
				     uint16_t type)
{
	struct rte_ether_addr mac;
	bool hit = next_hop_mac(w, pt, port, nh, &mac);

	for (unsigned k = 0; k < n; k++) {
		if (unlikely(net_l2_push(pt, f[k], hit ? &mac : NULL, type) ==
			     NULL)) {
			fail(w, f[k], STATS_DROP_tx_bad_mbuf);
			continue;
		}
		if (hit)
			net_txq_push(w, port, f[k]);
		else
			resolve(w, f[k], port, nh);
	}
}

/* The UDP header before the payload of m (ports, length; checksum 0). */
static struct rte_udp_hdr *udp_push(struct rte_mbuf *m,
				    const struct dp_addr *src,
				    const struct dp_addr *dst, unsigned l3)
{
	struct rte_udp_hdr *udp;
	uint16_t len = (uint16_t)(m->pkt_len + UDP_HDR);

	udp = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m,
							(uint16_t)(UDP_HDR + l3));
	if (udp == NULL)
		return NULL;
	udp = (struct rte_udp_hdr *)((char *)udp + l3);
	udp->src_port = rte_cpu_to_be_16(src->port);
	udp->dst_port = rte_cpu_to_be_16(dst->port);
	udp->dgram_len = rte_cpu_to_be_16(len);
	udp->dgram_cksum = 0;
	return udp;
}

/* The fragments of m (UDP and IPv4 headers written, the IPv4 checksum
 * zero) out of port; the UDP checksum over the whole datagram first. Apart
 * from send4 so that the usual datagram does not pay for fr's stack. */
static __rte_noinline int send4_frags(struct worker *w, struct rte_mbuf *m,
				      unsigned port, const struct dp_ip *nh)
{
	const struct dp_port *pt = &w->dp->ports[port];
	struct rte_mbuf *fr[NET_MAX_FRAGS];
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	int n;

	udp->dgram_cksum = net_udp4_cksum(ip, udp, m->pkt_len - IP4_HDR);
	n = rte_ipv4_fragment_packet(m, fr, RTE_DIM(fr), pt->mtu, w->pool,
				     w->pool_ind);
	if (n < 0)
		return fail(w, m, n == -ENOMEM ? STATS_DROP_no_mbuf
					       : STATS_DROP_frag_out_failed);
	rte_pktmbuf_free(m);	/* the fragments hold their own references */
	for (int k = 0; k < n; k++) {
		struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(fr[k],
							  struct rte_ipv4_hdr *);

		h->hdr_checksum = rte_ipv4_cksum(h);
		fr[k]->l3_len = IP4_HDR;
	}
	w->st->ctr[STATS_frag_sent]++;
	emit(w, pt, port, nh, fr, (unsigned)n, RTE_ETHER_TYPE_IPV4);
	return 0;
}

static int send4(struct worker *w, struct rte_mbuf *m, unsigned port,
		 const struct dp_addr *src, const struct dp_addr *dst,
		 const struct dp_ip *nh)
{
	const struct dp_port *pt = &w->dp->ports[port];
	struct rte_udp_hdr *udp;
	unsigned tot = m->pkt_len + UDP_HDR + IP4_HDR;
	bool whole = tot <= pt->mtu;
	/* built here and copied out whole: a few wide stores, and the header
	 * checksum summed from registers instead of read back */
	struct rte_ipv4_hdr ip = {
		.version_ihl = RTE_IPV4_VHL_DEF,
		.time_to_live = NET_TTL,
		.next_proto_id = IPPROTO_UDP,
	};

	if (tot > UINT16_MAX)
		return fail(w, m, STATS_DROP_too_big_out);
	udp = udp_push(m, src, dst, IP4_HDR);
	if (udp == NULL)
		return fail(w, m, STATS_DROP_tx_bad_mbuf);
	ip.total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip.packet_id = rte_cpu_to_be_16((uint16_t)w->net.ip_id++);
	memcpy(&ip.src_addr, src->ip.a, 4);
	memcpy(&ip.dst_addr, dst->ip.a, 4);
	if (whole && !pt->tx_cksum)
		ip.hdr_checksum = (uint16_t)~net_ip4_hdr_sum(&ip, IP4_HDR);
	memcpy(rte_pktmbuf_mtod(m, void *), &ip, IP4_HDR);
	m->l3_len = IP4_HDR;
	m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;

	if (unlikely(!whole))
		return send4_frags(w, m, port, nh);
	if (pt->tx_cksum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
			       RTE_MBUF_F_TX_UDP_CKSUM;
		udp->dgram_cksum = rte_ipv4_phdr_cksum(&ip, m->ol_flags);
	} else {
		udp->dgram_cksum = net_udp4_cksum(&ip, udp, tot - IP4_HDR);
	}
	emit(w, pt, port, nh, &m, 1, RTE_ETHER_TYPE_IPV4);
	return 0;
}

static int send6(struct worker *w, struct rte_mbuf *m, unsigned port,
		 const struct dp_addr *src, const struct dp_addr *dst,
		 const struct dp_ip *nh)
{
	const struct dp_port *pt = &w->dp->ports[port];
	struct rte_mbuf *fr[NET_MAX_FRAGS];
	struct rte_ipv6_hdr *ip;
	struct rte_udp_hdr *udp;
	unsigned plen = m->pkt_len + UDP_HDR;
	uint32_t id;
	int n;

	if (plen > UINT16_MAX)
		return fail(w, m, STATS_DROP_too_big_out);
	udp = udp_push(m, src, dst, IP6_HDR);
	if (udp == NULL)
		return fail(w, m, STATS_DROP_tx_bad_mbuf);
	ip = rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)plen);
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = NET_TTL;
	memcpy(ip->src_addr, src->ip.a, 16);
	memcpy(ip->dst_addr, dst->ip.a, 16);
	m->l3_len = IP6_HDR;
	m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;

	if (likely(plen + IP6_HDR <= pt->mtu)) {
		if (pt->tx_cksum) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 |
				       RTE_MBUF_F_TX_UDP_CKSUM;
			udp->dgram_cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
		} else {
			udp->dgram_cksum = net_udp6_cksum(ip, udp, plen);
		}
		emit(w, pt, port, nh, &m, 1, RTE_ETHER_TYPE_IPV6);
		return 0;
	}
	udp->dgram_cksum = net_udp6_cksum(ip, udp, plen);
	n = rte_ipv6_fragment_packet(m, fr, RTE_DIM(fr), pt->mtu, w->pool,
				     w->pool_ind);
	if (n < 0)
		return fail(w, m, n == -ENOMEM ? STATS_DROP_no_mbuf
					       : STATS_DROP_frag_out_failed);
	rte_pktmbuf_free(m);
	id = rte_cpu_to_be_32(w->net.ip_id++);
	for (int k = 0; k < n; k++) {
		struct rte_ipv6_fragment_ext *fh;

		fh = rte_pktmbuf_mtod_offset(fr[k], struct rte_ipv6_fragment_ext *,
					     IP6_HDR);
		fh->id = id;
		fr[k]->l3_len = IP6_HDR + sizeof(*fh);
	}
	w->st->ctr[STATS_frag_sent]++;
	emit(w, pt, port, nh, fr, (unsigned)n, RTE_ETHER_TYPE_IPV6);
	return 0;
}

int net_send(struct worker *w, struct rte_mbuf *m, unsigned port,
	     const struct dp_addr *src, const struct dp_addr *dst)
{
	struct dp_ip nh;

	if (unlikely(port >= w->dp->n_ports || src->ip.af != dst->ip.af ||
		     net_next_hop(&w->dp->ports[port], &dst->ip, &nh) != 0))
		return fail(w, m, STATS_DROP_ip_no_route);
	if (unlikely(m->nb_segs != 1))
		return fail(w, m, STATS_DROP_tx_bad_mbuf);
	if (dst->ip.af == 4)
		return send4(w, m, port, src, dst, &nh);
	return send6(w, m, port, src, dst, &nh);
}
