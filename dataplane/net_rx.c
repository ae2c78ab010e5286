/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * net_rx.c - the l2/l3/l4 stage of a worker (net.h: net_rx_stage).
 *
 * What is accepted, and why the rest is not:
 * - Ethernet: unicast to the port's MAC, or broadcast/multicast (ARP and
 *   IPv6 ND use them; the IP checks below drop the rest). One 802.1Q tag,
 *   in the frame or stripped by the NIC; a port with vlan 0 takes untagged
 *   and priority-tagged (VID 0) frames only, a port with a VLAN exactly its
 *   VID. QinQ is refused.
 * - ARP: only requests and replies whose target is the port's IPv4 address
 *   (no proxy ARP; gratuitous ARP is not merged).
 * - IPv4: options are accepted and ignored (never honoured: no source
 *   routing; we are an end host). The header checksum is checked unless the
 *   port's NIC reports GOOD/BAD. The destination must be the port's address
 *   (so broadcasts are dropped, ip_other_host).
 * - IPv6: the next header must be UDP, ICMPv6 or a fragment header right
 *   after the fixed header carrying UDP; any other extension header is
 *   ip_bad_header (rte_ip_frag handles no other layout, and SIP does not
 *   need them). The destination must be the port's address, or its
 *   solicited-node multicast address for ND. Sources :: (so DAD probes are
 *   not defended against), ::1, multicast and IPv4-mapped are refused.
 * - Fragments of UDP only (a fragmented ping is not answered), reassembled
 *   in the worker's rte_ip_frag table: at most RTE_LIBRTE_IP_FRAG_MAX_FRAG
 *   (8) fragments per datagram, so a datagram over 8 MTUs is frag_bad.
 *   Overlapping or duplicate fragments drop the whole datagram (frag_bad).
 * - UDP: the length must equal the IP payload; a zero checksum is accepted
 *   for IPv4 only. Checksums are verified strictly: the lab's namespaces
 *   disable tx checksum offload on their veths (`ethtool -K eth0 tx off`),
 *   otherwise AF_PACKET would show us CHECKSUM_PARTIAL datagrams with
 *   checksums that are wrong on the wire. The destination port is checked
 *   before the checksum: closed-port traffic costs no checksum.
 *
 * Per-packet path: no allocation, no logging, no division. The one exception
 * to "a stage never frees" is the reassembly death row, freed at the end of
 * the burst (or in the middle, when it could overflow).
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ip_frag_table_del_expired_entries */

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "net.h"
#include "net_priv.h"

#define NET_PREFETCH 4

/* A reassembly call puts at most two datagrams' fragments (an evicted stale
 * one and a refused one) and the new fragment on the death row: keep room
 * for that. */
#define DR_ROOM (2 * RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1)

static inline void drop(struct dp_pkt *p, unsigned reason)
{
	p->step = DP_STEP_DROP;
	p->reason = (uint8_t)reason;
}

static inline void to_main(struct dp_pkt *p, struct rte_mbuf *m,
			   enum dp_exc exc, unsigned l2len, unsigned l3len)
{
	p->step = DP_STEP_EXCEPTION;
	p->exc = (uint8_t)exc;
	m->hash.usr = (uint32_t)exc | (uint32_t)p->in_port << 8;
	m->l2_len = l2len;
	m->l3_len = l3len;
}

/* Whether m was put on the death row since index from: the reassembly
 * refused it (or the datagram it completed was bad). */
static inline bool on_death_row(const struct rte_ip_frag_death_row *dr,
				uint32_t from, const struct rte_mbuf *m)
{
	for (uint32_t k = from; k < dr->cnt; k++)
		if (dr->row[k] == m)
			return true;
	return false;
}

/* Hands fragment m (l2_len, l3_len set) to the reassembly table. Returns the
 * completed datagram (now in slot i), or NULL: the slot is HELD (the table
 * keeps the fragment, or has freed it: frag_bad, counted here since the
 * dispatcher no longer sees it). */
static struct rte_mbuf *reassemble(struct worker *w, struct dp_burst *b,
				   unsigned i, void *ip, bool v6)
{
	struct rte_mbuf *m = b->m[i], *r;
	uint32_t cnt;

	if (unlikely(w->dr.cnt > RTE_IP_FRAG_DEATH_ROW_MBUF_LEN - DR_ROOM))
		rte_ip_frag_free_death_row(&w->dr, 0);
	cnt = w->dr.cnt;
	if (v6)
		r = rte_ipv6_frag_reassemble_packet(w->frag, &w->dr, m, w->now,
			ip, (struct rte_ipv6_fragment_ext *)
				((struct rte_ipv6_hdr *)ip + 1));
	else
		r = rte_ipv4_frag_reassemble_packet(w->frag, &w->dr, m, w->now,
						    ip);
	if (r == NULL) {
		if (on_death_row(&w->dr, cnt, m))
			w->st->drop[STATS_DROP_frag_bad]++;
		b->m[i] = NULL;
		b->p[i].step = DP_STEP_HELD;
		return NULL;
	}
	w->st->ctr[STATS_frag_reassembled]++;
	b->m[i] = r;
	return r;
}

/* UDP at l4off (l4len bytes of IP payload); the addresses are in p. sum is
 * the pseudo-header sum, not folded; hw: the NIC's L4 flags may be
 * trusted. */
static void rx_udp(struct worker *w, struct dp_burst *b, unsigned i,
		   unsigned l4off, unsigned l4len, uint64_t sum, bool v4,
		   bool hw)
{
	struct rte_mbuf *m = b->m[i];
	struct dp_pkt *p = &b->p[i];
	const struct rte_udp_hdr *udp;
	unsigned dport, len, off;

	if (unlikely(l4len < sizeof(*udp) || m->data_len < l4off + sizeof(*udp))) {
		drop(p, STATS_DROP_udp_bad_len);
		return;
	}
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, l4off);
	if (unlikely(rte_be_to_cpu_16(udp->dgram_len) != l4len)) {
		drop(p, STATS_DROP_udp_bad_len);
		return;
	}
	dport = rte_be_to_cpu_16(udp->dst_port);
	if (unlikely(!worker_is_sip_port(w->dp, (uint16_t)dport))) {
		drop(p, STATS_DROP_udp_port);
		return;
	}
	if (udp->dgram_cksum == 0) {
		if (!v4) {	/* RFC 8200 8.1: mandatory over IPv6 */
			drop(p, STATS_DROP_udp_bad_cksum);
			return;
		}
	} else {
		uint64_t f = hw ? m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK
				: RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;

		/* one segment, the usual case: no walk of the chain */
		if (unlikely(f == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
			     (f == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN &&
			      net_fold64(sum + (m->nb_segs == 1 ? net_sum64(udp, l4len)
								: net_sum_mbuf(m, l4off, l4len))) !=
				      0xffff))) {
			drop(p, STATS_DROP_udp_bad_cksum);
			return;
		}
	}
	p->src.port = rte_be_to_cpu_16(udp->src_port);
	p->dst.port = (uint16_t)dport;
	len = l4len - sizeof(*udp);
	off = l4off + sizeof(*udp);
	p->sip_len = len;
	if (unlikely(len > w->dp->cfg.limits.max_message))
		p->sip = NULL;	/* the proxy answers 513 (net.h) */
	else if (likely(off + len <= m->data_len))
		p->sip = rte_pktmbuf_mtod_offset(m, const char *, off);
	else
		p->sip = rte_pktmbuf_read(m, off, len, w->linear[i]);
}

static inline bool bad_source4(const struct dp_port *pt, uint32_t s_be,
			       uint32_t me_be)
{
	uint32_t s = rte_be_to_cpu_32(s_be), mask = net_mask4(pt->plen4);
	unsigned top = s >> 24;

	if (top == 0 || top == 127 || top >= 224 || s_be == me_be)
		return true;
	/* the directed broadcast of our own subnet */
	return pt->plen4 <= 30 && (s & ~mask) == ~mask &&
	       ((s ^ rte_be_to_cpu_32(me_be)) & mask) == 0;
}

static void rx_ip4(struct worker *w, struct dp_burst *b, unsigned i,
		   const struct dp_port *pt, unsigned l2len)
{
	struct rte_mbuf *m = b->m[i];
	struct dp_pkt *p = &b->p[i];
	struct rte_ipv4_hdr *ip;
	unsigned hl, tot;
	uint16_t fo;
	uint32_t me;
	bool hw = pt->rx_cksum;

	if (unlikely(m->data_len < l2len + sizeof(*ip)))
		goto bad_header;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2len);
	hl = (ip->version_ihl & 0xf) << 2;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || hl < sizeof(*ip) ||
		     m->data_len < l2len + hl || tot < hl ||
		     l2len + tot > m->pkt_len))
		goto bad_header;
	if (m->pkt_len > l2len + tot &&	/* Ethernet padding */
	    rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - l2len - tot)) != 0)
		goto bad_header;
	/* the NIC's verdict when the port trusts it: BAD, or GOOD / NONE
	 * (verified, whatever the field says); UNKNOWN: check it here */
	if (pt->rx_cksum &&
	    (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) !=
		    RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN) {
		if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
		    RTE_MBUF_F_RX_IP_CKSUM_BAD) {
			drop(p, STATS_DROP_ip_bad_cksum);
			return;
		}
	} else if (unlikely(net_ip4_hdr_sum(ip, hl) != 0xffff)) {
		drop(p, STATS_DROP_ip_bad_cksum);
		return;
	}
	memcpy(&me, pt->ip4.a, 4);
	if (unlikely(pt->ip4.af != 4 || ip->dst_addr != me)) {
		drop(p, STATS_DROP_ip_other_host);
		return;
	}
	if (unlikely(bad_source4(pt, ip->src_addr, me))) {
		drop(p, STATS_DROP_ip_bad_source);
		return;
	}
	fo = rte_be_to_cpu_16(ip->fragment_offset);
	if (unlikely(fo & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		unsigned len = tot - hl;
		unsigned ofs = (unsigned)(fo & RTE_IPV4_HDR_OFFSET_MASK) << 3;

		if (ip->next_proto_id != IPPROTO_UDP) {
			drop(p, STATS_DROP_ip_proto);
			return;
		}
		if (len == 0 || ((fo & RTE_IPV4_HDR_MF_FLAG) && (len & 7)) ||
		    ofs + len + hl > UINT16_MAX) {
			drop(p, STATS_DROP_frag_bad);
			return;
		}
		m->l2_len = l2len;
		m->l3_len = hl;
		m = reassemble(w, b, i, ip, false);
		if (m == NULL)
			return;
		/* the first fragment's headers; the checksum is now zero */
		l2len = m->l2_len;
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2len);
		hl = m->l3_len;
		tot = rte_be_to_cpu_16(ip->total_length);
		hw = false; /* the NIC's L4 flags were about one fragment */
	}
	net_ip4_set(&p->src.ip, &ip->src_addr);
	net_ip4_set(&p->dst.ip, &ip->dst_addr);
	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		rx_udp(w, b, i, l2len + hl, tot - hl,
		       net_phdr4(ip, tot - hl), true, hw);
		return;
	case IPPROTO_ICMP:
		if (tot - hl >= sizeof(struct rte_icmp_hdr) &&
		    m->data_len >= l2len + hl + 1 &&
		    *rte_pktmbuf_mtod_offset(m, uint8_t *, l2len + hl) ==
			    RTE_IP_ICMP_ECHO_REQUEST) {
			to_main(p, m, DP_EXC_ICMP, l2len, hl);
			return;
		}
		break;
	}
	drop(p, STATS_DROP_ip_proto);
	return;
bad_header:
	drop(p, STATS_DROP_ip_bad_header);
}

static inline bool bad_source6(const uint8_t *s, const uint8_t *me)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0xff, 0xff };
	uint64_t hi, lo;

	memcpy(&hi, s, 8);
	memcpy(&lo, s + 8, 8);
	if (hi == 0 && (lo == 0 || lo == rte_cpu_to_be_64(1)))
		return true;	/* :: and ::1 */
	return s[0] == 0xff || memcmp(s, mapped, sizeof(mapped)) == 0 ||
	       memcmp(s, me, 16) == 0;
}

static inline bool ext_header(unsigned nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS: case IPPROTO_ROUTING: case IPPROTO_DSTOPTS:
	case IPPROTO_AH: case IPPROTO_ESP: case 135 /* mobility */:
	case 139 /* HIP */: case 140 /* shim6 */: case 253: case 254:
		return true;
	}
	return false;
}

static void rx_ip6(struct worker *w, struct dp_burst *b, unsigned i,
		   const struct dp_port *pt, unsigned l2len)
{
	struct rte_mbuf *m = b->m[i];
	struct dp_pkt *p = &b->p[i];
	struct rte_ipv6_hdr *ip;
	unsigned plen, l4off, nh;
	bool mcast = false, hw = pt->rx_cksum;

	if (unlikely(m->data_len < l2len + sizeof(*ip)))
		goto bad_header;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, l2len);
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (unlikely((*(const uint8_t *)ip >> 4) != 6 || plen == 0 ||
		     l2len + sizeof(*ip) + plen > m->pkt_len))
		goto bad_header;
	if (m->pkt_len > l2len + sizeof(*ip) + plen &&
	    rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - l2len - sizeof(*ip) -
					   plen)) != 0)
		goto bad_header;
	if (unlikely(pt->ip6.af != 6)) {
		drop(p, STATS_DROP_ip_other_host);
		return;
	}
	if (unlikely(memcmp(ip->dst_addr, pt->ip6.a, 16) != 0)) {
		uint8_t sn[16];

		net_snma(pt->ip6.a, sn);
		if (memcmp(ip->dst_addr, sn, 16) != 0) {
			drop(p, STATS_DROP_ip_other_host);
			return;
		}
		mcast = true;
	}
	if (unlikely(bad_source6(ip->src_addr, pt->ip6.a))) {
		drop(p, STATS_DROP_ip_bad_source);
		return;
	}
	nh = ip->proto;
	l4off = l2len + sizeof(*ip);
	if (nh == IPPROTO_FRAGMENT) {
		const struct rte_ipv6_fragment_ext *fh;
		unsigned fd, ofs, len = plen - sizeof(*fh);

		if (m->data_len < l4off + sizeof(*fh) || plen < sizeof(*fh))
			goto bad_header;
		fh = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_fragment_ext *,
					     l4off);
		if (fh->next_header != IPPROTO_UDP || mcast) {
			drop(p, mcast ? STATS_DROP_ip_other_host
				      : STATS_DROP_ip_proto);
			return;
		}
		fd = rte_be_to_cpu_16(fh->frag_data);
		ofs = fd & RTE_IPV6_EHDR_FO_MASK & 0xffff;
		if (ofs == 0 && !RTE_IPV6_GET_MF(fd)) {
			/* an atomic fragment (RFC 6946): not a fragment */
			nh = IPPROTO_UDP;
			l4off += sizeof(*fh);
			plen = len;
		} else {
			if (len == 0 || (RTE_IPV6_GET_MF(fd) && (len & 7)) ||
			    ofs + len > UINT16_MAX) {
				drop(p, STATS_DROP_frag_bad);
				return;
			}
			m->l2_len = l2len;
			m->l3_len = sizeof(*ip) + sizeof(*fh);
			m = reassemble(w, b, i, ip, true);
			if (m == NULL)
				return;
			/* rte_ip_frag removed the fragment header */
			l2len = m->l2_len;
			ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
						     l2len);
			nh = ip->proto;
			plen = rte_be_to_cpu_16(ip->payload_len);
			l4off = l2len + sizeof(*ip);
			hw = false;
		}
	}
	net_ip6_set(&p->src.ip, ip->src_addr);
	net_ip6_set(&p->dst.ip, ip->dst_addr);
	if (nh == IPPROTO_UDP) {
		if (mcast) {
			drop(p, STATS_DROP_ip_other_host);
			return;
		}
		rx_udp(w, b, i, l4off, plen,
		       net_phdr6(ip->src_addr, ip->dst_addr, plen, IPPROTO_UDP),
		       false, hw);
		return;
	}
	if (nh == IPPROTO_ICMPV6) {
		unsigned type;

		if (plen < 4 || m->data_len < l4off + 4)
			goto bad_header;
		type = *rte_pktmbuf_mtod_offset(m, uint8_t *, l4off);
		if (type == 135 || type == 136) {	/* NS, NA */
			if (ip->hop_limits != NET_ND_HOPS) {
				drop(p, STATS_DROP_neigh_nd_bad);
				return;
			}
			to_main(p, m, DP_EXC_ICMP6, l2len, l4off - l2len);
			return;
		}
		if (type == 128 && !mcast) {		/* echo request */
			to_main(p, m, DP_EXC_ICMP6, l2len, l4off - l2len);
			return;
		}
		drop(p, STATS_DROP_ip_proto);
		return;
	}
	if (ext_header(nh))
		goto bad_header;
	drop(p, STATS_DROP_ip_proto);
	return;
bad_header:
	drop(p, STATS_DROP_ip_bad_header);
}

static void rx_arp(struct dp_burst *b, unsigned i, const struct dp_port *pt,
		   unsigned l2len)
{
	struct rte_mbuf *m = b->m[i];
	struct dp_pkt *p = &b->p[i];
	const struct rte_arp_hdr *a;
	unsigned op;

	if (m->data_len < l2len + sizeof(*a))
		goto bad;
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2len);
	op = rte_be_to_cpu_16(a->arp_opcode);
	if (a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4 ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
	    pt->ip4.af != 4 || memcmp(&a->arp_data.arp_tip, pt->ip4.a, 4) != 0)
		goto bad;
	to_main(p, m, DP_EXC_ARP, l2len, sizeof(*a));
	return;
bad:
	drop(p, STATS_DROP_arp_bad);
}

static void rx_one(struct worker *w, struct dp_burst *b, unsigned i)
{
	struct rte_mbuf *m = b->m[i];
	struct dp_pkt *p = &b->p[i];
	const struct dp_port *pt = &w->dp->ports[p->in_port];
	const struct rte_ether_hdr *eth;
	struct net_l2 l2;
	int r;

	r = net_l2_parse(m, &l2);
	if (unlikely(r != NET_L2_OK)) {
		drop(p, r == NET_L2_SHORT ? STATS_DROP_l2_short
					  : STATS_DROP_l2_vlan);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (rte_is_unicast_ether_addr(&eth->dst_addr) &&
	    unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &pt->mac))) {
		drop(p, STATS_DROP_l2_other_host);
		return;
	}
	if (unlikely(l2.vid != pt->vlan)) {
		drop(p, STATS_DROP_l2_vlan);
		return;
	}
	switch (l2.type) {
	case RTE_ETHER_TYPE_IPV4:
		rx_ip4(w, b, i, pt, l2.len);
		return;
	case RTE_ETHER_TYPE_IPV6:
		rx_ip6(w, b, i, pt, l2.len);
		return;
	case RTE_ETHER_TYPE_ARP:
		rx_arp(b, i, pt, l2.len);
		return;
	}
	drop(p, STATS_DROP_l2_ethertype);
}

void net_rx_stage(struct worker *w, struct dp_burst *b)
{
	struct stats_block *st = w->st;
	unsigned n = b->n;

	/* expired incomplete datagrams give their mbufs back here rather than
	 * whenever their hash bucket is next wanted */
	if (unlikely(w->now >= w->net.sweep_next) && w->frag != NULL) {
		uint32_t cnt = w->dr.cnt;

		rte_ip_frag_table_del_expired_entries(w->frag, &w->dr, w->now);
		st->drop[STATS_DROP_frag_timeout] += w->dr.cnt - cnt;
		w->net.sweep_next = w->now + w->net.sweep_period;
	}
	for (unsigned i = 0; i < n && i < NET_PREFETCH; i++)
		if (b->m[i] != NULL)
			rte_prefetch0(rte_pktmbuf_mtod(b->m[i], void *));
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->m[i];
		unsigned port = b->p[i].in_port;

		if (i + NET_PREFETCH < n && b->m[i + NET_PREFETCH] != NULL)
			rte_prefetch0(rte_pktmbuf_mtod(b->m[i + NET_PREFETCH],
						       void *));
		if (b->p[i].step != DP_STEP_CONTINUE)
			continue;
		st->ctr[STATS_rx_pkts]++;
		st->ctr[STATS_rx_bytes] += m->pkt_len;
		st->port[port][STATS_PORT_rx_pkts]++;
		st->port[port][STATS_PORT_rx_bytes] += m->pkt_len;
		rx_one(w, b, i);
	}
	if (w->dr.cnt != 0)
		rte_ip_frag_free_death_row(&w->dr, NET_PREFETCH);
}
