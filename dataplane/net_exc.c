/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * net_exc.c - the main lcore's side of layers 2-4 (net.h: net_exception,
 * net_timer, net_init): ARP, ICMP echo, IPv6 neighbour discovery, frames
 * waiting for a next hop's MAC, and the start-up of all of it.
 *
 * Replies (ARP, echo, NA) go back to the Ethernet source of the request:
 * that is the neighbour (or router) the request came through, so no table
 * lookup can be wrong or missing. They are queued on the main lcore's own
 * transmit buffers; the main loop flushes them (net_tx_flush), as does
 * net_timer.
 *
 * Learning (the table is in neigh.c): an ARP request or reply for us merges
 * the sender (RFC 826: created, since we are the target), if it is on-link;
 * a NS for us with a source link-layer option creates or updates the
 * sender (RFC 4861 7.2.3); a NA updates an entry that exists only, from its
 * target link-layer option or else the frame's source MAC; a NA without
 * the Override flag does not change the MAC of a reachable entry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "net.h"
#include "net_priv.h"

#define ICMP6_ECHO_REQUEST	128
#define ICMP6_ECHO_REPLY	129
#define ICMP6_NS		135
#define ICMP6_NA		136
#define ND_OPT_SLLA		1
#define ND_OPT_TLLA		2
#define NA_FLAG_SOLICITED	0x40
#define NA_FLAG_OVERRIDE	0x20
#define ETH_MIN_FRAME		60	/* without FCS */

/* The fixed part of a NS / NA (RFC 4861 4.3, 4.4) and a link-layer address
 * option for Ethernet. */
struct nd_msg {
	uint8_t type, code;
	rte_be16_t cksum;
	uint8_t flags, reserved[3];
	uint8_t target[16];
} __rte_packed;

struct nd_opt_lla {
	uint8_t type, len;	/* len in units of 8 bytes: 1 */
	uint8_t mac[RTE_ETHER_ADDR_LEN];
} __rte_packed;

/* ---- the callbacks of the neighbour tables ---- */

static void op_release(void *ctx, unsigned port, struct rte_mbuf *m,
		       const struct rte_ether_addr *mac)
{
	struct worker *mw = ctx;

	rte_ether_addr_copy(mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)
					  ->dst_addr);
	net_txq_push(mw, port, m);
}

static void op_drop(void *ctx, unsigned port, struct rte_mbuf *m,
		    unsigned reason)
{
	struct worker *mw = ctx;

	RTE_SET_USED(port);
	mw->st->drop[reason]++;
	rte_pktmbuf_free(m);
}

static void send_solicit(struct worker *mw, unsigned port,
			 const struct dp_ip *ip,
			 const struct rte_ether_addr *mac);

static void op_solicit(void *ctx, unsigned port, const struct dp_ip *ip,
		       const struct rte_ether_addr *mac)
{
	send_solicit(ctx, port, ip, mac);
}

static struct neigh_ops ops_of(struct worker *mw)
{
	return (struct neigh_ops){ .release = op_release, .drop = op_drop,
				   .solicit = op_solicit, .ctx = mw };
}

void net_exc_hold(struct worker *mw, struct rte_mbuf *m, unsigned port,
		  const struct dp_ip *nh)
{
	struct neigh_ops ops = ops_of(mw);

	neigh_hold(mw->dp->ports[port].neigh, nh, m, mw->now, &ops);
}

/* ---- building frames ---- */

static void *frame_new(struct worker *mw, struct rte_mbuf **mp, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mw->pool);
	char *p;

	*mp = m;
	if (m == NULL) {
		mw->st->drop[STATS_DROP_no_mbuf]++;
		return NULL;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		*mp = NULL;
		mw->st->drop[STATS_DROP_tx_bad_mbuf]++;
		return NULL;
	}
	return p;
}

/* Adds Ethernet, pads to the minimum frame and queues m on port. */
static void frame_send(struct worker *mw, unsigned port, struct rte_mbuf *m,
		       const struct rte_ether_addr *dst, uint16_t type)
{
	const struct dp_port *pt = &mw->dp->ports[port];

	if (net_l2_push(pt, m, dst, type) == NULL) {
		op_drop(mw, port, m, STATS_DROP_tx_bad_mbuf);
		return;
	}
	if (m->pkt_len < ETH_MIN_FRAME) {
		unsigned pad = ETH_MIN_FRAME - m->pkt_len;
		char *p = rte_pktmbuf_append(m, (uint16_t)pad);

		if (p != NULL)
			memset(p, 0, pad);
	}
	net_txq_push(mw, port, m);
}

static void ip6_fill(struct rte_ipv6_hdr *ip, const uint8_t *src,
		     const uint8_t *dst, unsigned plen, uint8_t hops)
{
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)plen);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
}

/* An ND message (NS or NA) for target with our link-layer address option,
 * to dst_ip / dst_mac. */
static void send_nd(struct worker *mw, unsigned port, uint8_t type,
		    uint8_t flags, const uint8_t *target, const uint8_t *dst_ip,
		    const struct rte_ether_addr *dst_mac)
{
	const struct dp_port *pt = &mw->dp->ports[port];
	unsigned plen = sizeof(struct nd_msg) + sizeof(struct nd_opt_lla);
	struct rte_ipv6_hdr *ip;
	struct nd_opt_lla *o;
	struct nd_msg *nd;
	struct rte_mbuf *m;

	ip = frame_new(mw, &m, sizeof(*ip) + plen);
	if (ip == NULL)
		return;
	ip6_fill(ip, pt->ip6.a, dst_ip, plen, NET_ND_HOPS);
	nd = (struct nd_msg *)(ip + 1);
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->flags = flags;
	memcpy(nd->target, target, 16);
	o = (struct nd_opt_lla *)(nd + 1);
	o->type = type == ICMP6_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
	o->len = 1;
	memcpy(o->mac, pt->mac.addr_bytes, sizeof(o->mac));
	nd->cksum = rte_ipv6_udptcp_cksum(ip, nd);
	frame_send(mw, port, m, dst_mac, RTE_ETHER_TYPE_IPV6);
}

static void send_arp(struct worker *mw, unsigned port, uint16_t op,
		     const struct rte_ether_addr *tha, const void *tip,
		     const struct rte_ether_addr *dst_mac)
{
	const struct dp_port *pt = &mw->dp->ports[port];
	struct rte_arp_hdr *a;
	struct rte_mbuf *m;

	a = frame_new(mw, &m, sizeof(*a));
	if (a == NULL)
		return;
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = pt->mac;
	memcpy(&a->arp_data.arp_sip, pt->ip4.a, 4);
	if (tha != NULL)
		a->arp_data.arp_tha = *tha;
	else
		memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
	memcpy(&a->arp_data.arp_tip, tip, 4);
	frame_send(mw, port, m, dst_mac, RTE_ETHER_TYPE_ARP);
}

/* An ARP request for ip (broadcast, or to mac when refreshing), or a NS
 * (to the solicited-node multicast address, or to ip and mac). */
static void send_solicit(struct worker *mw, unsigned port,
			 const struct dp_ip *ip,
			 const struct rte_ether_addr *mac)
{
	const struct dp_port *pt = &mw->dp->ports[port];
	struct rte_ether_addr bcast, snmac;
	uint8_t sn[16];

	if (ip->af == 4) {
		if (pt->ip4.af != 4)
			return;
		memset(&bcast, 0xff, sizeof(bcast));
		send_arp(mw, port, RTE_ARP_OP_REQUEST, mac, ip->a,
			 mac != NULL ? mac : &bcast);
		return;
	}
	if (pt->ip6.af != 6)
		return;
	if (mac != NULL) {
		send_nd(mw, port, ICMP6_NS, 0, ip->a, ip->a, mac);
		return;
	}
	net_snma(ip->a, sn);
	net_snma_mac(ip->a, &snmac);
	send_nd(mw, port, ICMP6_NS, 0, ip->a, sn, &snmac);
}

/* ---- handling what workers hand over ---- */

static void exc_arp(struct worker *mw, struct rte_mbuf *m, unsigned port,
		    unsigned l2len)
{
	const struct dp_port *pt = &mw->dp->ports[port];
	const struct rte_arp_hdr *a;
	struct neigh_ops ops = ops_of(mw);
	struct rte_ether_addr sha;
	uint32_t sip;
	struct dp_ip ip;

	if (m->data_len < l2len + sizeof(*a) || pt->ip4.af != 4) {
		op_drop(mw, port, m, STATS_DROP_arp_bad);
		return;
	}
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2len);
	sha = a->arp_data.arp_sha;
	sip = a->arp_data.arp_sip;
	net_ip4_set(&ip, &sip);
	if (sip != 0 && (net_onlink4(pt, ip.a) ||
			 memcmp(&ip, &pt->gw4, sizeof(ip)) == 0))
		neigh_learn(pt->neigh, &ip, &sha, true, mw->now, &ops);
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) &&
	    rte_is_unicast_ether_addr(&sha) && !rte_is_zero_ether_addr(&sha))
		send_arp(mw, port, RTE_ARP_OP_REPLY, &sha, &sip, &sha);
	rte_pktmbuf_free(m);
}

static void exc_icmp(struct worker *mw, struct rte_mbuf *m, unsigned port,
		     unsigned l2len)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *rq;
	const void *src;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_ether_addr to;
	struct rte_mbuf *r;
	unsigned hl, len;

	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	to = eth->src_addr;
	rq = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2len);
	hl = (rq->version_ihl & 0xf) << 2;
	len = rte_be_to_cpu_16(rq->total_length) - hl;
	/* the stage checked the IP header; this is about the ICMP part */
	if (len < sizeof(*icmp) || m->pkt_len < l2len + hl + len ||
	    net_fold(net_sum_mbuf(m, l2len + hl, len)) != 0xffff ||
	    !rte_is_unicast_ether_addr(&to)) {
		op_drop(mw, port, m, STATS_DROP_ip_icmp_bad);
		return;
	}
	ip = frame_new(mw, &r, sizeof(*ip) + len);
	if (ip == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	src = rte_pktmbuf_read(m, l2len + hl, len, icmp);
	if (src != icmp)
		memcpy(icmp, src, len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = rq->type_of_service;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + len));
	ip->packet_id = rte_cpu_to_be_16((uint16_t)mw->net.ip_id++);
	ip->fragment_offset = 0;
	ip->time_to_live = NET_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rq->dst_addr;
	ip->dst_addr = rq->src_addr;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_code = 0;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len);
	rte_pktmbuf_free(m);
	frame_send(mw, port, r, &to, RTE_ETHER_TYPE_IPV4);
}

/* The link-layer address option of type want in the options of an ND
 * message (off..off+len of m). Returns 1 found, 0 absent, -1 malformed. */
static int nd_option(const struct rte_mbuf *m, unsigned off, unsigned len,
		     unsigned want, struct rte_ether_addr *mac)
{
	int found = 0;

	while (len > 0) {
		uint8_t h[2 + RTE_ETHER_ADDR_LEN];
		const uint8_t *o;
		unsigned olen;

		if (len < 2)
			return -1;
		o = rte_pktmbuf_read(m, off, len < sizeof(h) ? 2 : sizeof(h), h);
		olen = (unsigned)o[1] * 8;
		if (olen == 0 || olen > len)
			return -1;
		if (o[0] == want && olen >= sizeof(h)) {
			memcpy(mac, o + 2, RTE_ETHER_ADDR_LEN);
			found = 1;
		}
		off += olen;
		len -= olen;
	}
	return found;
}

static void exc_icmp6(struct worker *mw, struct rte_mbuf *m, unsigned port,
		      unsigned l2len)
{
	const struct dp_port *pt = &mw->dp->ports[port];
	struct neigh_ops ops = ops_of(mw);
	const struct rte_ipv6_hdr *rq;
	struct rte_ether_addr src_mac, lla;
	struct nd_msg nd;
	unsigned off = l2len + sizeof(*rq), len;
	struct dp_ip from;
	const void *src;
	int o;

	rq = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, l2len);
	len = rte_be_to_cpu_16(rq->payload_len);
	src_mac = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->src_addr;
	if (len < 4 || m->pkt_len < off + len ||
	    net_fold(net_phdr6(rq->src_addr, rq->dst_addr, len, IPPROTO_ICMPV6) +
		     net_sum_mbuf(m, off, len)) != 0xffff ||
	    !rte_is_unicast_ether_addr(&src_mac)) {
		op_drop(mw, port, m, STATS_DROP_ip_icmp_bad);
		return;
	}
	net_ip6_set(&from, rq->src_addr);
	memset(&nd, 0, sizeof(nd));
	src = rte_pktmbuf_read(m, off, len < sizeof(nd) ? len : sizeof(nd), &nd);
	if (src != &nd)	/* it copies only what is not contiguous */
		memcpy(&nd, src, len < sizeof(nd) ? len : sizeof(nd));

	if (nd.type == ICMP6_ECHO_REQUEST) {
		struct rte_ipv6_hdr *ip;
		struct rte_icmp_hdr *icmp;
		struct rte_mbuf *r;

		if (len < sizeof(*icmp)) {
			op_drop(mw, port, m, STATS_DROP_ip_icmp_bad);
			return;
		}
		ip = frame_new(mw, &r, sizeof(*ip) + len);
		if (ip == NULL) {
			rte_pktmbuf_free(m);
			return;
		}
		icmp = (struct rte_icmp_hdr *)(ip + 1);
		src = rte_pktmbuf_read(m, off, len, icmp);
		if (src != icmp)
			memcpy(icmp, src, len);
		ip6_fill(ip, pt->ip6.a, rq->src_addr, len, NET_TTL);
		icmp->icmp_type = ICMP6_ECHO_REPLY;
		icmp->icmp_code = 0;
		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = rte_ipv6_udptcp_cksum(ip, icmp);
		rte_pktmbuf_free(m);
		frame_send(mw, port, r, &src_mac, RTE_ETHER_TYPE_IPV6);
		return;
	}
	if ((nd.type != ICMP6_NS && nd.type != ICMP6_NA) ||
	    rq->hop_limits != NET_ND_HOPS || nd.code != 0 ||
	    len < sizeof(nd) || nd.target[0] == 0xff) {
		op_drop(mw, port, m, STATS_DROP_neigh_nd_bad);
		return;
	}
	o = nd_option(m, off + sizeof(nd), len - sizeof(nd),
		      nd.type == ICMP6_NS ? ND_OPT_SLLA : ND_OPT_TLLA, &lla);
	if (o < 0) {
		op_drop(mw, port, m, STATS_DROP_neigh_nd_bad);
		return;
	}
	if (nd.type == ICMP6_NS) {
		if (memcmp(nd.target, pt->ip6.a, 16) != 0) {
			op_drop(mw, port, m, STATS_DROP_ip_other_host);
			return;
		}
		if (o > 0)
			neigh_learn(pt->neigh, &from, &lla, true, mw->now, &ops);
		send_nd(mw, port, ICMP6_NA, NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE,
			pt->ip6.a, rq->src_addr, o > 0 ? &lla : &src_mac);
	} else {
		struct rte_ether_addr cur;
		struct dp_ip target;

		net_ip6_set(&target, nd.target);
		if (o == 0)
			lla = src_mac;
		if ((nd.flags & NA_FLAG_OVERRIDE) ||
		    neigh_get(pt->neigh, &target, &cur, NULL) != NEIGH_REACHABLE)
			neigh_learn(pt->neigh, &target, &lla, false, mw->now,
				    &ops);
	}
	rte_pktmbuf_free(m);
}

/* The next hop of a frame built by net_send (m->l2_len set). */
static int frame_next_hop(const struct dp_port *pt, const struct rte_mbuf *m,
			  struct dp_ip *nh)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *,
						    m->l2_len);
	unsigned room = m->data_len - m->l2_len;
	struct dp_ip dst;

	if (m->data_len < m->l2_len + sizeof(struct rte_ipv4_hdr))
		return -1;
	if (ip[0] >> 4 == 4)
		net_ip4_set(&dst, ip + offsetof(struct rte_ipv4_hdr, dst_addr));
	else if (ip[0] >> 4 == 6 && room >= sizeof(struct rte_ipv6_hdr))
		net_ip6_set(&dst, ip + offsetof(struct rte_ipv6_hdr, dst_addr));
	else
		return -1;
	return net_next_hop(pt, &dst, nh);
}

void net_exception(struct worker *mw, struct rte_mbuf *m)
{
	unsigned exc = m->hash.usr & 0xff, port = (m->hash.usr >> 8) & 0xff;
	struct net_l2 l2;
	struct dp_ip nh;

	if (port >= mw->dp->n_ports) {
		mw->st->drop[STATS_DROP_l2_other_host]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (exc == DP_EXC_RESOLVE) {
		if (frame_next_hop(&mw->dp->ports[port], m, &nh) != 0) {
			op_drop(mw, port, m, STATS_DROP_ip_no_route);
			return;
		}
		net_exc_hold(mw, m, port, &nh);
		return;
	}
	if (net_l2_parse(m, &l2) != NET_L2_OK) {
		op_drop(mw, port, m, STATS_DROP_l2_short);
		return;
	}
	switch (exc) {
	case DP_EXC_ARP:
		exc_arp(mw, m, port, l2.len);
		return;
	case DP_EXC_ICMP:
		exc_icmp(mw, m, port, l2.len);
		return;
	case DP_EXC_ICMP6:
		exc_icmp6(mw, m, port, l2.len);
		return;
	}
	op_drop(mw, port, m, STATS_DROP_ip_proto);
}

void net_timer(struct worker *mw)
{
	struct neigh_ops ops = ops_of(mw);

	for (unsigned p = 0; p < mw->dp->n_ports; p++)
		if (mw->dp->ports[p].neigh != NULL)
			neigh_timer(mw->dp->ports[p].neigh, mw->now, &ops);
	net_tx_flush(mw);
}

/* ---- start-up ---- */

static int init_worker(struct dp *dp, struct worker *w, uint64_t hz)
{
	const struct cfg *c = &dp->cfg;
	int socket = (int)rte_lcore_to_socket_id(w->lcore);
	uint32_t flows = c->limits.frag_flows ? c->limits.frag_flows : 1;
	uint64_t ttl = hz / 1000 * (c->limits.frag_timeout_ms ?
				    c->limits.frag_timeout_ms : 1);
	char *lin;

	if (socket < 0 || (unsigned)socket >= RTE_MAX_NUMA_NODES)
		socket = SOCKET_ID_ANY;
	/* 4-way buckets, twice as many slots as flows: a full table is
	 * max_entries, not a bucket that overflowed early */
	if (w->frag == NULL) {
		w->frag = rte_ip_frag_table_create(
			RTE_MAX(rte_align32pow2(flows) / 2, 1u), 4, flows, ttl,
			socket);
		if (w->frag == NULL) {
			fprintf(stderr, "worker %u: reassembly table for "
				"limits.frag_flows \"%u\": %s\n", w->id, flows,
				rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	w->dr.cnt = 0;
	if (w->linear[0] == NULL) {
		size_t max = c->limits.max_message;

		lin = rte_malloc_socket("net_linear", DP_BURST * max,
					RTE_CACHE_LINE_SIZE, socket);
		if (lin == NULL) {
			fprintf(stderr, "worker %u: %u linear buffers of "
				"limits.max_message \"%zu\" bytes: out of "
				"memory\n", w->id, DP_BURST, max);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < DP_BURST; i++)
			w->linear[i] = lin + i * max;
	}
	w->net.ip_id = (uint32_t)rte_rand();
	w->net.sweep_period = hz / 100;
	w->net.sweep_next = 0;
	return 0;
}

int net_init(struct dp *dp)
{
	const struct cfg *c = &dp->cfg;
	uint64_t hz = dp->tsc_hz ? dp->tsc_hz : rte_get_tsc_hz();
	uint64_t ttl = hz * (c->limits.neigh_ttl_s ? c->limits.neigh_ttl_s : 1);
	unsigned qlen = c->limits.neigh_queue ? c->limits.neigh_queue : 1;
	int r;

	for (unsigned i = 0; i < dp->n_ports; i++) {
		struct dp_port *pt = &dp->ports[i];
		int socket = rte_eth_dev_socket_id(pt->port_id);

		if (pt->neigh != NULL)
			continue;
		pt->neigh = neigh_create(i, qlen, ttl, hz,
					 socket < 0 ? SOCKET_ID_ANY : socket);
		if (pt->neigh == NULL) {
			fprintf(stderr, "port %s: neighbour table "
				"(limits.neigh_queue \"%u\"): %s\n", pt->name,
				qlen, strerror(errno));
			r = -errno;
			goto fail;
		}
		for (unsigned k = 0; i < c->n_ports && k < c->ports[i].n_neigh;
		     k++) {
			const struct cfg_neigh *n = &c->ports[i].neigh[k];
			struct rte_ether_addr mac;
			char buf[INET6_ADDRSTRLEN];

			memcpy(mac.addr_bytes, n->mac, sizeof(mac.addr_bytes));
			r = neigh_add_static(pt->neigh, &n->ip, &mac);
			if (r != 0) {
				fprintf(stderr, "port %s: neighbours[%u] "
					"\"%s\": %s\n", pt->name, k,
					inet_ntop(n->ip.af == 6 ? AF_INET6 : AF_INET,
						  n->ip.a, buf, sizeof(buf)) ?
						buf : "?",
					r == -EEXIST ? "listed twice with two MACs" :
					r == -ENOSPC ? "no room in the table" :
					"not a unicast address and MAC");
				goto fail;
			}
		}
	}
	for (unsigned i = 0; i <= dp->n_workers && i < RTE_DIM(dp->workers); i++) {
		if (dp->workers[i] == NULL)
			continue;
		r = init_worker(dp, dp->workers[i], hz);
		if (r != 0)
			goto fail;
	}
	/* incomplete datagrams hold their fragments until they expire: a
	 * flood of first fragments can pin frag_flows * 8 mbufs per worker */
	if ((uint64_t)c->limits.frag_flows * RTE_LIBRTE_IP_FRAG_MAX_FRAG *
		    (dp->n_workers ? dp->n_workers : 1) > c->limits.mbufs &&
	    c->limits.mbufs != 0)
		fprintf(stderr, "warning: limits.frag_flows \"%u\": the "
			"reassembly tables of %u worker(s) can hold up to %u "
			"fragments each, more than limits.mbufs \"%u\"\n",
			c->limits.frag_flows, dp->n_workers,
			c->limits.frag_flows * RTE_LIBRTE_IP_FRAG_MAX_FRAG,
			c->limits.mbufs);
	return 0;
fail:
	net_fini(dp);
	return r;
}

void net_fini(struct dp *dp)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		neigh_free(dp->ports[i].neigh);
		dp->ports[i].neigh = NULL;
	}
	for (unsigned i = 0; i <= dp->n_workers && i < RTE_DIM(dp->workers); i++) {
		struct worker *w = dp->workers[i];

		if (w == NULL)
			continue;
		if (w->frag != NULL) {
			rte_ip_frag_free_death_row(&w->dr, 0);
			rte_ip_frag_table_destroy(w->frag);
			w->frag = NULL;
		}
		rte_free(w->linear[0]);
		for (unsigned k = 0; k < DP_BURST; k++)
			w->linear[k] = NULL;
	}
}
