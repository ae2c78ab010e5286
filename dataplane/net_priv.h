/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * net_priv.h - what net_rx.c, net_tx.c and net_exc.c share: Ethernet/VLAN
 * parsing and building, next-hop choice, checksums over mbuf chains, the
 * transmit buffer and the neighbour callbacks of the main lcore.
 */
#ifndef SIPEDGE_NET_PRIV_H
#define SIPEDGE_NET_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "neigh.h"
#include "worker.h"

#define NET_TTL		64
#define NET_ND_HOPS	255	/* RFC 4861: ND messages are sent and
				 * accepted with hop limit 255 only */
#define NET_MAX_FRAGS	128	/* 64 KB at the smallest MTU (576) */

/* Ethernet and VLAN of a received frame. */
struct net_l2 {
	uint16_t len;	/* bytes before the IP/ARP header: 14 or 18 */
	uint16_t type;	/* ethertype, host order */
	uint16_t vid;	/* 802.1Q VID; 0 when untagged or priority-tagged */
};

enum {
	NET_L2_OK = 0,
	NET_L2_SHORT = -1,
	NET_L2_VLAN = -2,
};

/* Parses the Ethernet header and at most one 802.1Q tag, in the frame or
 * stripped by the NIC (RTE_MBUF_F_RX_VLAN_STRIPPED, e.g. net_af_packet
 * without its VLAN re-insertion). QinQ and a second tag are refused. */
static inline int net_l2_parse(const struct rte_mbuf *m, struct net_l2 *l2)
{
	const struct rte_ether_hdr *eth;
	bool tagged = false;

	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN))
		return NET_L2_SHORT;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	l2->len = RTE_ETHER_HDR_LEN;
	l2->type = rte_be_to_cpu_16(eth->ether_type);
	l2->vid = 0;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		tagged = true;
		l2->vid = m->vlan_tci & 0xfff;
	}
	if (l2->type == RTE_ETHER_TYPE_VLAN) {
		const struct rte_vlan_hdr *vh;

		if (tagged)
			return NET_L2_VLAN;
		if (unlikely(m->data_len < RTE_ETHER_HDR_LEN +
					   sizeof(struct rte_vlan_hdr)))
			return NET_L2_SHORT;
		vh = (const struct rte_vlan_hdr *)(eth + 1);
		l2->vid = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
		l2->type = rte_be_to_cpu_16(vh->eth_proto);
		l2->len += sizeof(struct rte_vlan_hdr);
	}
	if (unlikely(l2->type == RTE_ETHER_TYPE_VLAN ||
		     l2->type == RTE_ETHER_TYPE_QINQ))
		return NET_L2_VLAN;
	return NET_L2_OK;
}

/* Prepends Ethernet (and the port's 802.1Q tag) to m: source the port's
 * MAC, destination dst (NULL: zero, filled once the next hop resolves).
 * Sets m->l2_len. Returns the header, or NULL without headroom. */
static inline struct rte_ether_hdr *
net_l2_push(const struct dp_port *pt, struct rte_mbuf *m,
	    const struct rte_ether_addr *dst, uint16_t type)
{
	/* read once: the stores below may alias pt as far as the compiler
	 * knows, which would have it load and test vlan again */
	uint16_t vlan = pt->vlan;
	unsigned len = RTE_ETHER_HDR_LEN +
		       (vlan ? sizeof(struct rte_vlan_hdr) : 0);
	struct rte_ether_hdr *eth;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, (uint16_t)len);
	if (unlikely(eth == NULL))
		return NULL;
	if (dst != NULL)
		rte_ether_addr_copy(dst, &eth->dst_addr);
	else
		memset(&eth->dst_addr, 0, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&pt->mac, &eth->src_addr);
	if (vlan) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(vlan);
		vh->eth_proto = rte_cpu_to_be_16(type);
	} else {
		eth->ether_type = rte_cpu_to_be_16(type);
	}
	m->l2_len = len;
	return eth;
}

static inline void net_ip4_set(struct dp_ip *ip, const void *a)
{
	memset(ip, 0, sizeof(*ip));
	ip->af = 4;
	memcpy(ip->a, a, 4);
}

static inline void net_ip6_set(struct dp_ip *ip, const void *a)
{
	ip->af = 6;
	memcpy(ip->a, a, 16);
}

/* IPv4 netmask of prefix length plen, host order. */
static inline uint32_t net_mask4(unsigned plen)
{
	/* one shift, no test for 0: the ones shifted in from above */
	return (uint32_t)(0xffffffff00000000ull >> (plen > 32 ? 32 : plen));
}

/* Whether a (network order) is inside the port's IPv4 subnet. */
static inline bool net_onlink4(const struct dp_port *pt, const uint8_t *a)
{
	uint32_t x, y, mask = net_mask4(pt->plen4);

	memcpy(&x, a, 4);
	memcpy(&y, pt->ip4.a, 4);
	return ((rte_be_to_cpu_32(x) ^ rte_be_to_cpu_32(y)) & mask) == 0;
}

/* Whether a is inside the port's IPv6 subnet, or link-local. */
static inline bool net_onlink6(const struct dp_port *pt, const uint8_t *a)
{
	unsigned plen = pt->plen6 > 128 ? 128 : pt->plen6;
	unsigned bytes = plen >> 3, bits = plen & 7;

	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	if (memcmp(a, pt->ip6.a, bytes) != 0)
		return false;
	return bits == 0 ||
	       ((a[bytes] ^ pt->ip6.a[bytes]) & (0xff00u >> bits) & 0xff) == 0;
}

/* The next hop towards dst out of port pt: dst itself when on-link, else
 * the port's gateway of that family. Returns 0, or -1 when there is none
 * (or the port has no address of dst's family). */
static inline int net_next_hop(const struct dp_port *pt,
			       const struct dp_ip *dst, struct dp_ip *nh)
{
	if (dst->af == 4 && pt->ip4.af == 4) {
		if (net_onlink4(pt, dst->a))
			*nh = *dst;
		else if (pt->gw4.af == 4)
			*nh = pt->gw4;
		else
			return -1;
		return 0;
	}
	if (dst->af == 6 && pt->ip6.af == 6) {
		if (net_onlink6(pt, dst->a))
			*nh = *dst;
		else if (pt->gw6.af == 6)
			*nh = pt->gw6;
		else
			return -1;
		return 0;
	}
	return -1;
}

/* The solicited-node multicast address of a (RFC 4291 2.7.1) and its MAC. */
static inline void net_snma(const uint8_t *a, uint8_t *out)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 0x01, 0xff };

	memcpy(out, pfx, sizeof(pfx));
	memcpy(out + 13, a + 13, 3);
}

static inline void net_snma_mac(const uint8_t *a, struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	mac->addr_bytes[2] = 0xff;
	memcpy(&mac->addr_bytes[3], a + 13, 3);
}

/* A one's complement sum of 16-bit words gathered in 64 bits, folded to 16
 * bits. A sum of native 32-bit words folds to the same value as the sum of
 * their 16-bit halves (2^16 = 1 modulo 0xffff), and is zero only when every
 * word is. */
static inline uint16_t net_fold64(uint64_t s)
{
	uint32_t hi = (uint32_t)(s >> 32), x = (uint32_t)s + hi;

	x += x < hi;	/* the end-around carry: x stays below 2^32 */
	x = (x >> 16) + (x & 0xffff);
	x = (x >> 16) + (x & 0xffff);
	return (uint16_t)x;
}

/* The one's complement sum of len bytes, not folded: native-order 16-bit
 * words (a last odd byte as the low-address byte of a word) gathered in 64
 * bits, for the caller to add its pseudo-header to and fold once
 * (net_fold64). Summing 32-bit words into a 64-bit accumulator needs no
 * carry handling for any IP datagram (2^14 words of < 2^32 each) and the
 * compiler vectorises it (AVX2: 32 bytes a step), several times faster
 * than rte_raw_cksum's 16-bit loop: it runs twice per forwarded message
 * (UDP in, UDP out), over every byte. */
static inline uint64_t net_sum64(const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint64_t s = 0;
	uint32_t i = 0;

	for (; i + 4 <= len; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		s += w;
	}
	if (i + 2 <= len) {
		uint16_t h;

		memcpy(&h, p + i, 2);
		s += h;
		i += 2;
	}
	if (i < len) {
		uint16_t last = 0;

		memcpy(&last, p + i, 1);
		s += last;
	}
	return s;
}

/* The same folded to 16 bits, as rte_raw_cksum() returns it. */
static inline uint16_t net_raw_sum(const void *buf, uint32_t len)
{
	return net_fold64(net_sum64(buf, len));
}

/* The sum of an IPv4 header of hl bytes (a multiple of 4, at least 20), as
 * rte_raw_cksum(ip, hl) returns it: the usual 20 bytes in five 32-bit
 * loads rather than rte_raw_cksum's ten 16-bit ones. */
static inline uint16_t net_ip4_hdr_sum(const struct rte_ipv4_hdr *ip,
				       unsigned hl)
{
	uint32_t w[5];

	if (unlikely(hl != sizeof(w)))
		return net_raw_sum(ip, hl);
	memcpy(w, ip, sizeof(w));
	return net_fold64((uint64_t)w[0] + w[1] + w[2] + w[3] + w[4]);
}

/* One's complement sum (not complemented, not folded to 16 bits by the
 * caller's choice) of len bytes at off in the chain m, which holds them.
 * Unlike rte_raw_cksum_mbuf of DPDK 22.11, a segment that ends on an odd
 * byte does not lose the carries of its partial sum. */
static inline uint32_t net_sum_mbuf(const struct rte_mbuf *m, uint32_t off,
				    uint32_t len)
{
	uint32_t sum = 0, done = 0;

	while (off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (done < len) {
		uint32_t n = m->data_len - off;
		uint16_t s;

		if (n > len - done)
			n = len - done;
		s = net_raw_sum(rte_pktmbuf_mtod_offset(m, const char *, off), n);
		sum += (done & 1) ? rte_bswap16(s) : s;
		done += n;
		off = 0;
		m = m->next;
	}
	return sum;
}

static inline uint16_t net_fold(uint32_t sum)
{
	sum = (sum >> 16) + (sum & 0xffff);
	sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

/* The IPv6 pseudo-header sum (RFC 8200 8.1) for an upper-layer packet of
 * len bytes and protocol proto. */
static inline uint32_t net_phdr6(const uint8_t *src, const uint8_t *dst,
				 uint32_t len, uint8_t proto)
{
	uint32_t w[2] = { rte_cpu_to_be_32(len), rte_cpu_to_be_32(proto) };

	return (uint32_t)rte_raw_cksum(src, 16) + rte_raw_cksum(dst, 16) +
	       rte_raw_cksum(w, sizeof(w));
}

/* The IPv4 pseudo-header sum, not folded (below 2^34). */
static inline uint64_t net_phdr4(const struct rte_ipv4_hdr *ip, uint32_t len)
{
	return (uint64_t)ip->src_addr + ip->dst_addr +
	       rte_cpu_to_be_32((uint32_t)ip->next_proto_id << 16 | len);
}

/* The UDP checksum of an IPv4 datagram in one segment (as
 * rte_ipv4_udptcp_cksum, with net_sum64 and a single fold). */
static inline uint16_t net_udp4_cksum(const struct rte_ipv4_hdr *ip,
				      const void *udp, uint32_t len)
{
	uint16_t c = (uint16_t)~net_fold64(net_phdr4(ip, len) + net_sum64(udp, len));

	return c == 0 ? 0xffff : c; /* 0 means "no checksum" in UDP over IPv4 */
}

/* The UDP checksum of an IPv6 datagram in one segment. */
static inline uint16_t net_udp6_cksum(const struct rte_ipv6_hdr *ip,
				      const void *udp, uint32_t len)
{
	uint16_t c = (uint16_t)~net_fold64(net_phdr6(ip->src_addr, ip->dst_addr,
						     len, IPPROTO_UDP) +
					   net_sum64(udp, len));

	return c == 0 ? 0xffff : c;
}

/* net_tx.c */
void net_tx_flush_port(struct worker *w, unsigned port);

/* Buffers m on w's transmit queue of port; transmits the queue when full. */
static inline void net_txq_push(struct worker *w, unsigned port,
				struct rte_mbuf *m)
{
	struct worker_txq *q = &w->txq[port];

	q->m[q->n++] = m;
	if (q->n == RTE_DIM(q->m))
		net_tx_flush_port(w, port);
}

/* net_exc.c: main lcore - m (a frame without its destination MAC) waits
 * for next hop nh of port. Takes m. */
void net_exc_hold(struct worker *mw, struct rte_mbuf *m, unsigned port,
		  const struct dp_ip *nh);

#endif /* SIPEDGE_NET_PRIV_H */
