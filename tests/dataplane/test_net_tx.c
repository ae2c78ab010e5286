/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_net_tx.c - what the gateway sends: ARP replies, echo replies and
 * neighbour advertisements (net_exception), datagrams small and fragmented
 * over IPv4 and IPv6 (net_send; the fragments are put back together here
 * and their checksums verified), next-hop resolution, refresh and failure
 * (net_timer). The neighbour table on its own is in test_neigh.c.
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ipv4/6_udptcp_cksum_verify */

#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_udp.h>

#include "test_net.h"

static struct pkt k;
static const uint8_t ZERO6[6];

/* Exactly one frame from port's ring, flattened into fb; NULL if not. */
static struct rte_mbuf *take1(unsigned port, unsigned *len)
{
	struct rte_mbuf *m[8];
	unsigned n = tx_take(port, m, 8);

	CHECK_INT(n, 1);
	if (n != 1) {
		rte_pktmbuf_free_bulk(m, n);
		return NULL;
	}
	*len = flat(m[0], fb);
	return m[0];
}

/* The rx stage and then the main lcore, as a worker and main would. */
static void via_main(struct pkt *p, unsigned port)
{
	struct rte_mbuf *m;

	CHECK_INT(rx1(mk(p), port), DP_STEP_EXCEPTION);
	m = B->m[0];
	B->m[0] = NULL;
	if (m != NULL)
		net_exception(mw, m);
	net_tx_flush(mw);
}

static struct dp_ip ip6of(const uint8_t *a)
{
	struct dp_ip ip;

	ip.af = 6;
	memcpy(ip.a, a, 16);
	return ip;
}

static enum neigh_state state_of(unsigned port, struct dp_ip ip,
				 uint8_t *mac, unsigned *waiting)
{
	struct rte_ether_addr a;
	enum neigh_state st = neigh_get(dp->ports[port].neigh, &ip, &a, waiting);

	if (mac != NULL)
		memcpy(mac, a.addr_bytes, 6);
	return st;
}

/* ---- replies of the main lcore ---- */

static void replies_arp(void)
{
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 7);
	uint8_t want[60] = { 0 }, mac[6];
	struct rte_mbuf *m;
	unsigned len;

	check_ctx = "arp request -> reply";
	clear_stats();
	arp_frame(&k, BCAST, -1, 1, PEER, peer, ZERO6, me);
	via_main(&k, 0);
	memcpy(want, PEER, 6);
	memcpy(want + 6, MAC0, 6);
	put16(want + 12, 0x0806);
	put16(want + 14, 1);
	put16(want + 16, 0x0800);
	want[18] = 6;
	want[19] = 4;
	put16(want + 20, 2);
	memcpy(want + 22, MAC0, 6);
	memcpy(want + 28, &me, 4);
	memcpy(want + 32, PEER, 6);
	memcpy(want + 38, &peer, 4);
	m = take1(0, &len);
	if (m != NULL) {
		CHECK_INT(len, 60);
		CHECK(memcmp(fb, want, 60) == 0);
		rte_pktmbuf_free(m);
	}
	CHECK_INT(mw->st->ctr[STATS_tx_pkts], 1);
	CHECK_INT(mw->st->port[0][STATS_PORT_tx_pkts], 1);
	CHECK_INT(mw->st->port[0][STATS_PORT_tx_bytes], 60);
	CHECK_INT(state_of(0, ip4of(peer), mac, NULL), NEIGH_REACHABLE);
	CHECK(memcmp(mac, PEER, 6) == 0);

	check_ctx = "arp request on the vlan port -> tagged reply";
	arp_frame(&k, BCAST, 100, 1, OTHER, ip4be(192, 168, 1, 2), ZERO6,
		  ip4be(192, 168, 1, 1));
	via_main(&k, 1);
	m = take1(1, &len);
	if (m != NULL) {
		CHECK_INT(len, 60);
		CHECK(memcmp(fb, OTHER, 6) == 0 && memcmp(fb + 6, MAC1, 6) == 0);
		CHECK_INT(get16(fb + 12), 0x8100);
		CHECK_INT(get16(fb + 14), 100);
		CHECK_INT(get16(fb + 16), 0x0806);
		CHECK_INT(get16(fb + 24), 2);
		rte_pktmbuf_free(m);
	}
	CHECK_INT(state_of(1, ip4of(ip4be(192, 168, 1, 2)), mac, NULL),
		  NEIGH_REACHABLE);

	check_ctx = "arp from an off-link sender: answered, not learned";
	arp_frame(&k, BCAST, -1, 1, OTHER, ip4be(172, 16, 0, 1), ZERO6, me);
	via_main(&k, 0);
	m = take1(0, &len);
	rte_pktmbuf_free(m);
	CHECK_INT(state_of(0, ip4of(ip4be(172, 16, 0, 1)), NULL, NULL),
		  NEIGH_FREE);
}

static void replies_icmp(void)
{
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 7);
	struct rte_mbuf *m;
	unsigned len;

	check_ctx = "icmp echo -> reply";
	echo4(&k, peer, me, 8, 56);
	via_main(&k, 0);
	m = take1(0, &len);
	if (m != NULL) {
		const uint8_t *ip = fb + 14, *e = fb + 34;

		CHECK_INT(len, 14 + 20 + 8 + 56);
		CHECK(memcmp(fb, PEER, 6) == 0 && memcmp(fb + 6, MAC0, 6) == 0);
		CHECK_INT(ip[0], 0x45);
		CHECK_INT(ip[8], 64);
		CHECK_INT(ip[9], IPPROTO_ICMP);
		CHECK_INT(get16(ip + 2), 20 + 8 + 56);
		CHECK(memcmp(ip + 12, &me, 4) == 0 && memcmp(ip + 16, &peer, 4) == 0);
		CHECK_INT(rte_raw_cksum(ip, 20), 0xffff);
		CHECK_INT(e[0], 0);
		CHECK_INT(e[1], 0);
		CHECK(memcmp(e + 4, k.b + k.l4 + 4, 4 + 56) == 0);
		CHECK_INT(rte_raw_cksum(e, 8 + 56), 0xffff);
		rte_pktmbuf_free(m);
	}

	check_ctx = "icmp echo with a bad checksum";
	clear_stats();
	echo4(&k, peer, me, 8, 56);
	k.b[k.len - 1] ^= 1;
	via_main(&k, 0);
	CHECK_INT(rte_ring_count(txr[0]), 0);
	CHECK_INT(mw->st->drop[STATS_DROP_ip_icmp_bad], 1);
}

static void replies_nd(void)
{
	uint8_t nd[40], mac[6];
	struct rte_mbuf *m;
	unsigned len, n;

	check_ctx = "ns -> na";
	icmp6(&k, (const uint8_t[6]){ 0x33, 0x33, 0xff, 0, 0, 1 }, PEER6,
	      SN_ME6, 255, nd, nd_msg(nd, 135, 0, ME6, 1, PEER));
	via_main(&k, 0);
	m = take1(0, &len);
	if (m != NULL) {
		const uint8_t *ip = fb + 14, *na = fb + 54;

		CHECK_INT(len, 14 + 40 + 32);
		CHECK(memcmp(fb, PEER, 6) == 0 && memcmp(fb + 6, MAC0, 6) == 0);
		CHECK_INT(get16(fb + 12), 0x86dd);
		CHECK_INT(ip[0] >> 4, 6);
		CHECK_INT(get16(ip + 4), 32);
		CHECK_INT(ip[6], IPPROTO_ICMPV6);
		CHECK_INT(ip[7], 255);
		CHECK(memcmp(ip + 8, ME6, 16) == 0);
		CHECK(memcmp(ip + 24, PEER6, 16) == 0);
		CHECK_INT(na[0], 136);
		CHECK_INT(na[1], 0);
		CHECK_INT(na[4], 0x60);	/* solicited, override, not router */
		CHECK(memcmp(na + 8, ME6, 16) == 0);
		CHECK_INT(na[24], 2);
		CHECK_INT(na[25], 1);
		CHECK(memcmp(na + 26, MAC0, 6) == 0);
		CHECK_INT(rte_ipv6_udptcp_cksum_verify(
				  (const struct rte_ipv6_hdr *)ip, na), 0);
		rte_pktmbuf_free(m);
	}
	CHECK_INT(state_of(0, ip6of(PEER6), mac, NULL), NEIGH_REACHABLE);
	CHECK(memcmp(mac, PEER, 6) == 0);

	check_ctx = "ns for another target";
	clear_stats();
	icmp6(&k, (const uint8_t[6]){ 0x33, 0x33, 0xff, 0, 0, 1 }, PEER6,
	      SN_ME6, 255, nd,
	      nd_msg(nd, 135, 0, (const uint8_t[16]){ 0xfd, [15] = 0x21 }, 1,
		     PEER));
	via_main(&k, 0);
	CHECK_INT(rte_ring_count(txr[0]), 0);
	CHECK_INT(mw->st->drop[STATS_DROP_ip_other_host], 1);

	check_ctx = "ns with an option of length 0";
	n = nd_msg(nd, 135, 0, ME6, 1, PEER);
	nd[25] = 0;
	icmp6(&k, MAC0, PEER6, ME6, 255, nd, n);
	via_main(&k, 0);
	CHECK_INT(rte_ring_count(txr[0]), 0);
	CHECK_INT(mw->st->drop[STATS_DROP_neigh_nd_bad], 1);

	check_ctx = "icmpv6 echo -> reply";
	icmp6(&k, MAC0, PEER6, ME6, 64, "\x80\x00\x00\x00\x42\x42\x00\x01ping",
	      12);
	via_main(&k, 0);
	m = take1(0, &len);
	if (m != NULL) {
		const uint8_t *ip = fb + 14, *e = fb + 54;

		CHECK_INT(len, 14 + 40 + 12);
		CHECK(memcmp(ip + 8, ME6, 16) == 0);
		CHECK(memcmp(ip + 24, PEER6, 16) == 0);
		CHECK_INT(e[0], 129);
		CHECK(memcmp(e + 4, "\x42\x42\x00\x01ping", 8) == 0);
		CHECK_INT(rte_ipv6_udptcp_cksum_verify(
				  (const struct rte_ipv6_hdr *)ip, e), 0);
		rte_pktmbuf_free(m);
	}
}

void test_exception_replies(void)
{
	tx_drain();
	replies_arp();
	replies_icmp();
	replies_nd();
	tx_drain();
}

/* ---- net_send ---- */

/* Puts the fragments (or the one frame) of a datagram back together into
 * dg (the UDP header and payload) and checks each frame's headers. Returns
 * the datagram's length, or 0. l2: Ethernet bytes per frame. */
static unsigned reassemble(struct rte_mbuf **fr, unsigned n, int af,
			   unsigned l2, uint32_t *id)
{
	unsigned total = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned len = flat(fr[i], fb), ofs, dlen, hl;
		const uint8_t *ip = fb + l2;
		bool mf;

		CHECK(len <= l2 + 1500);
		if (af == 4) {
			unsigned fo = get16(ip + 6);

			hl = 20;
			CHECK_INT(rte_raw_cksum(ip, 20), 0xffff);
			CHECK_INT(fo & 0x4000, 0);	/* DF clear */
			ofs = (fo & 0x1fff) * 8;
			mf = fo & 0x2000;
			dlen = get16(ip + 2) - 20;
			if (i == 0)
				*id = get16(ip + 4);
			CHECK_INT(get16(ip + 4), *id);
		} else if (ip[6] == 44) {
			const uint8_t *fh = ip + 40;
			uint32_t fid;

			hl = 48;
			CHECK_INT(fh[0], IPPROTO_UDP);
			ofs = get16(fh + 2) & ~7u;
			mf = get16(fh + 2) & 1;
			memcpy(&fid, fh + 4, 4);
			if (i == 0)
				*id = fid;
			CHECK(fid == *id && fid != 0);
			dlen = get16(ip + 4) - 8;
		} else {
			hl = 40;
			ofs = 0;
			mf = false;
			dlen = get16(ip + 4);
		}
		CHECK_INT(len, l2 + hl + dlen);
		if (ofs + dlen > MAXPKT)
			return 0;
		memcpy(dg + ofs, ip + hl, dlen);
		if (!mf)
			total = ofs + dlen;
		memcpy(hdrbuf, ip, 40);	/* the last one's is enough */
	}
	return total;
}

/* The UDP checksum of datagram dg of len bytes between src and dst. */
static int verify_udp(int af, const uint8_t *src, const uint8_t *dst,
		      unsigned len)
{
	static uint8_t buf[MAXPKT + 40];

	if (af == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

		memset(ip, 0, 20);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + len));
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		memcpy(buf + 20, dg, len);
		return rte_ipv4_udptcp_cksum_verify(ip, buf + 20);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)buf;

		memset(ip, 0, 40);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)len);
		ip->proto = IPPROTO_UDP;
		memcpy(ip->src_addr, src, 16);
		memcpy(ip->dst_addr, dst, 16);
		memcpy(buf + 40, dg, len);
		return rte_ipv6_udptcp_cksum_verify(ip, buf + 40);
	}
}

static char big[65536];

/* Sends n bytes of big from w to dst over port and checks what comes out:
 * nfrag frames, to dmac, that reassemble to the datagram. */
static void send_check(const char *name, unsigned port, int af,
		       const struct dp_addr *src, const struct dp_addr *dst,
		       unsigned n, unsigned nfrag, const uint8_t *dmac)
{
	struct rte_mbuf *fr[64];
	unsigned got, len, l2 = dp->ports[port].vlan ? 18 : 14;
	uint32_t id = 0;

	check_ctx = name;
	CHECK_INT(net_send(w, msg(big, n), port, src, dst), 0);
	net_tx_flush(w);
	got = tx_take(port, fr, 64);
	CHECK_INT(got, nfrag);
	for (unsigned i = 0; i < got; i++) {
		flat(fr[i], fb);
		CHECK(memcmp(fb, dmac, 6) == 0);
		CHECK(memcmp(fb + 6, dp->ports[port].mac.addr_bytes, 6) == 0);
		if (l2 == 18)
			CHECK_INT(get16(fb + 14), dp->ports[port].vlan);
		CHECK_INT(get16(fb + l2 - 2), af == 4 ? 0x0800 : 0x86dd);
	}
	len = reassemble(fr, got, af, l2, &id);
	CHECK_INT(len, n + 8);
	CHECK_INT(get16(dg), src->port);
	CHECK_INT(get16(dg + 2), dst->port);
	CHECK_INT(get16(dg + 4), n + 8);
	CHECK(memcmp(dg + 8, big, n) == 0);
	CHECK_INT(verify_udp(af, src->ip.a, dst->ip.a, len), 0);
	if (af == 4) {
		CHECK_INT(hdrbuf[8], 64);		/* TTL */
		CHECK_INT(hdrbuf[9], IPPROTO_UDP);
	} else {
		CHECK_INT(hdrbuf[7], 64);		/* hop limit */
	}
	rte_pktmbuf_free_bulk(fr, got);
}

static void send_offload(void)
{
	struct dp_addr src, dst;
	struct rte_mbuf *m;
	unsigned len;

	check_ctx = "tx_cksum: the NIC is asked to fill the checksums";
	dp->ports[0].tx_cksum = true;
	addr4(&src, ip4be(10, 0, 0, 1), 5060);
	addr4(&dst, ip4be(10, 0, 0, 7), 5060);
	CHECK_INT(net_send(w, msg(big, 300), 0, &src, &dst), 0);
	net_tx_flush(w);
	m = take1(0, &len);
	if (m != NULL) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
		const struct rte_udp_hdr *udp = (const void *)(ip + 1);
		uint64_t want = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
				RTE_MBUF_F_TX_UDP_CKSUM;

		CHECK((m->ol_flags & want) == want);
		CHECK_INT(m->l2_len, 14);
		CHECK_INT(m->l3_len, 20);
		CHECK_INT(ip->hdr_checksum, 0);
		CHECK_INT(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, 0));
		rte_pktmbuf_free(m);
	}
	addr6(&src, ME6, 5060);
	addr6(&dst, PEER6, 5060);
	CHECK_INT(net_send(w, msg(big, 300), 0, &src, &dst), 0);
	net_tx_flush(w);
	m = take1(0, &len);
	if (m != NULL) {
		const struct rte_ipv6_hdr *ip =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
		const struct rte_udp_hdr *udp = (const void *)(ip + 1);

		CHECK((m->ol_flags & (RTE_MBUF_F_TX_IPV6 |
				      RTE_MBUF_F_TX_UDP_CKSUM)) ==
		      (RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM));
		CHECK_INT(udp->dgram_cksum, rte_ipv6_phdr_cksum(ip, 0));
		rte_pktmbuf_free(m);
	}
	/* fragments: software checksums all the same */
	addr4(&src, ip4be(10, 0, 0, 1), 5060);
	addr4(&dst, ip4be(10, 0, 0, 7), 5060);
	send_check("tx_cksum: a fragmented datagram in software", 0, 4, &src,
		   &dst, 4000, 3, PEER);
	dp->ports[0].tx_cksum = false;
}

static void send_errors(void)
{
	struct dp_addr src, dst, d6;
	struct rte_mbuf *m, *fill[1100];
	unsigned n;

	clear_stats();
	addr4(&src, ip4be(192, 168, 1, 1), 5060);
	addr4(&dst, ip4be(8, 8, 8, 8), 5060);
	check_ctx = "no gateway";
	CHECK_INT(net_send(w, msg(big, 10), 1, &src, &dst),
		  -STATS_DROP_ip_no_route);
	addr6(&d6, PEER6, 5060);
	check_ctx = "no ipv6 on the port";
	CHECK_INT(net_send(w, msg(big, 10), 1, &src, &d6),
		  -STATS_DROP_ip_no_route);
	check_ctx = "no such port";
	CHECK_INT(net_send(w, msg(big, 10), 7, &src, &dst),
		  -STATS_DROP_ip_no_route);
	CHECK_INT(w->st->drop[STATS_DROP_ip_no_route], 3);

	addr4(&src, ip4be(10, 0, 0, 1), 5060);
	addr4(&dst, ip4be(10, 0, 0, 7), 5060);
	check_ctx = "message in two segments";
	m = msg(big, 100);
	rte_pktmbuf_chain(m, msg(big, 100));
	CHECK_INT(net_send(w, m, 0, &src, &dst), -STATS_DROP_tx_bad_mbuf);
	CHECK_INT(rte_ring_count(txr[0]), 0);

	check_ctx = "transmit queue refuses";
	n = 0;
	while (rte_ring_free_count(txr[0]) > 0 && n < RTE_DIM(fill)) {
		fill[n] = rte_pktmbuf_alloc(pool);
		rte_ring_enqueue(txr[0], fill[n]);
		n++;
	}
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dst), 0);
	net_tx_flush(w);
	CHECK_INT(w->st->drop[STATS_DROP_tx_full], 1);
	CHECK_INT(w->st->port[0][STATS_PORT_tx_drop], 1);
	CHECK_INT(w->st->ctr[STATS_tx_pkts], 0);
	tx_drain();

	check_ctx = "main lcore without a tx queue: relayed to worker 0";
	clear_stats();
	dp->main_tx[0] = rte_ring_create("maintx0", 128, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	for (unsigned i = 0; i < 70; i++)	/* over a full tx buffer */
		net_send(mw, msg(big, 100), 0, &src, &dst);
	net_tx_flush(mw);
	CHECK_INT(rte_ring_count(txr[0]), 0);
	CHECK_INT(rte_ring_count(dp->main_tx[0]), 70);
	while (rte_ring_dequeue(dp->main_tx[0], (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(dp->main_tx[0]);
	dp->main_tx[0] = NULL;

	check_ctx = "transmit buffer flushes itself when full";
	clear_stats();
	for (unsigned i = 0; i < 70; i++)
		net_send(w, msg(big, 100), 0, &src, &dst);
	CHECK_INT(rte_ring_count(txr[0]), RTE_DIM(w->txq[0].m));
	net_tx_flush(w);
	CHECK_INT(rte_ring_count(txr[0]), 70);
	CHECK_INT(w->st->ctr[STATS_tx_pkts], 70);
	CHECK_INT(w->st->ctr[STATS_tx_bytes], 70 * (14 + 28 + 100));
	CHECK_INT(w->st->port[0][STATS_PORT_tx_pkts], 70);
	tx_drain();
}

/* next_hop_mac keeps the MACs it found until the next flush: two next hops
 * that share its entry, and a MAC the table changes between two flushes. */
static void send_nh_cache(void)
{
	static const uint8_t mx[6] = { 2, 0, 0, 0, 0, 0x20 },
			     my[6] = { 2, 0, 0, 0, 0, 0x24 },
			     mz[6] = { 2, 0, 0, 0, 0, 0x2f };
	static const struct neigh_ops ops; /* nothing waits on these */
	struct dp_ip x = { .af = 4, .a = { 10, 0, 0, 20 } };
	struct dp_ip y = { .af = 4, .a = { 10, 0, 0, 24 } }; /* x's entry */
	struct dp_addr src, dx, dy;
	struct rte_mbuf *fr[8];
	unsigned got;

	tx_drain();
	CHECK_INT(neigh_learn(dp->ports[0].neigh, &x, (const void *)mx, true,
			      rte_rdtsc(), &ops), 0);
	CHECK_INT(neigh_learn(dp->ports[0].neigh, &y, (const void *)my, true,
			      rte_rdtsc(), &ops), 0);
	addr4(&src, ip4be(10, 0, 0, 1), 5060);
	addr4(&dx, ip4be(10, 0, 0, 20), 5060);
	addr4(&dy, ip4be(10, 0, 0, 24), 5060);
	check_ctx = "next hops sharing a cache entry, one flush";
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dx), 0);
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dy), 0);
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dx), 0);
	net_tx_flush(w);
	got = tx_take(0, fr, 8);
	CHECK_INT(got, 3);
	for (unsigned i = 0; i < got; i++) {
		flat(fr[i], fb);
		CHECK(memcmp(fb, i == 1 ? my : mx, 6) == 0);
	}
	rte_pktmbuf_free_bulk(fr, got);

	check_ctx = "a MAC changed between two flushes";
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dx), 0);
	net_tx_flush(w);
	CHECK_INT(neigh_learn(dp->ports[0].neigh, &x, (const void *)mz, false,
			      rte_rdtsc(), &ops), 0);
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dx), 0);
	net_tx_flush(w);
	got = tx_take(0, fr, 8);
	CHECK_INT(got, 2);
	if (got == 2) {
		flat(fr[0], fb);
		CHECK(memcmp(fb, mx, 6) == 0);
		flat(fr[1], fb);
		CHECK(memcmp(fb, mz, 6) == 0);
	}
	rte_pktmbuf_free_bulk(fr, got);
}

void test_send(void)
{
	struct dp_addr src, dst;

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 13 + i / 256);
	tx_drain();
	clear_stats();
	addr4(&src, ip4be(10, 0, 0, 1), 5060);
	addr4(&dst, ip4be(10, 0, 0, 7), 5070);
	send_check("ipv4 small", 0, 4, &src, &dst, 500, 1, PEER);
	CHECK_INT(w->st->ctr[STATS_tx_pkts], 1);
	CHECK_INT(w->st->ctr[STATS_tx_bytes], 14 + 28 + 500);
	CHECK_INT(w->st->port[0][STATS_PORT_tx_pkts], 1);
	send_check("ipv4 1472 bytes: exactly the MTU", 0, 4, &src, &dst, 1472,
		   1, PEER);
	send_check("ipv4 1473 bytes: two fragments", 0, 4, &src, &dst, 1473, 2,
		   PEER);
	send_check("ipv4 4000 bytes: three fragments", 0, 4, &src, &dst, 4000,
		   3, PEER);
	CHECK_INT(w->st->ctr[STATS_frag_sent], 2);
	send_check("ipv4 16000 bytes", 0, 4, &src, &dst, 16000, 11, PEER);
	/* the largest a single-segment mbuf holds (data room 65535) */
	send_check("ipv4 65000 bytes: 44 fragments", 0, 4, &src, &dst, 65000,
		   44, PEER);

	addr6(&src, ME6, 5060);
	addr6(&dst, PEER6, 5070);
	send_check("ipv6 small", 0, 6, &src, &dst, 500, 1, PEER);
	send_check("ipv6 1452 bytes: exactly the MTU", 0, 6, &src, &dst, 1452,
		   1, PEER);
	send_check("ipv6 4000 bytes: three fragments", 0, 6, &src, &dst, 4000,
		   3, PEER);
	send_check("ipv6 65000 bytes: 45 fragments", 0, 6, &src, &dst, 65000,
		   45, PEER);

	addr4(&src, ip4be(192, 168, 1, 1), 5060);
	addr4(&dst, ip4be(192, 168, 1, 9), 5060);
	send_check("vlan port, static neighbour", 1, 4, &src, &dst, 200, 1,
		   (const uint8_t[6]){ 2, 0, 0, 0, 0, 9 });
	send_check("vlan port, fragments", 1, 4, &src, &dst, 3000, 3,
		   (const uint8_t[6]){ 2, 0, 0, 0, 0, 9 });

	send_offload();
	send_errors();
	send_nh_cache();
}

/* ---- resolution ---- */

/* Takes every frame of port 0; counts ARP requests for tip (and checks they
 * go to dmac: broadcast or the neighbour), frees them all. */
static unsigned arp_requests(uint32_t tip, const uint8_t *dmac)
{
	struct rte_mbuf *m[64];
	unsigned n, cnt = 0;

	while ((n = tx_take(0, m, 64)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			flat(m[i], fb);
			if (get16(fb + 12) != 0x0806 || get16(fb + 20) != 1 ||
			    memcmp(fb + 38, &tip, 4) != 0)
				continue;
			cnt++;
			CHECK(memcmp(fb, dmac, 6) == 0);
			CHECK(memcmp(fb + 22, MAC0, 6) == 0);
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	return cnt;
}

static void main_takes_exceptions(void)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(w->exc, (void **)&m) == 0)
		net_exception(mw, m);
	net_tx_flush(mw);
}

static void resolve4(void)
{
	uint32_t gw = ip4be(10, 0, 0, 254), far = ip4be(8, 8, 8, 8);
	struct dp_addr src, dst;
	struct rte_mbuf *m;
	unsigned waiting, len;

	tx_drain();
	clear_stats();
	check_ctx = "worker: next hop unknown -> main lcore";
	addr4(&src, ip4be(10, 0, 0, 1), 5060);
	addr4(&dst, far, 5060);
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dst), 0);
	net_tx_flush(w);
	CHECK_INT(rte_ring_count(txr[0]), 0);
	CHECK_INT(rte_ring_count(w->exc), 1);
	CHECK_INT(w->st->ctr[STATS_exceptions], 1);
	if (rte_ring_dequeue(w->exc, (void **)&m) == 0) {
		CHECK_INT(m->hash.usr, DP_EXC_RESOLVE | 0 << 8);
		net_exception(mw, m);
	}
	net_tx_flush(mw);
	CHECK_INT(state_of(0, ip4of(gw), NULL, &waiting), NEIGH_INCOMPLETE);
	CHECK_INT(waiting, 1);
	m = take1(0, &len);
	if (m != NULL) {	/* who-has 10.0.0.254 tell 10.0.0.1 */
		CHECK(memcmp(fb, BCAST, 6) == 0);
		CHECK_INT(get16(fb + 12), 0x0806);
		CHECK_INT(get16(fb + 20), 1);
		CHECK(memcmp(fb + 22, MAC0, 6) == 0);
		CHECK(memcmp(fb + 28, (uint8_t[]){ 10, 0, 0, 1 }, 4) == 0);
		CHECK(memcmp(fb + 32, ZERO6, 6) == 0);
		CHECK(memcmp(fb + 38, &gw, 4) == 0);
		rte_pktmbuf_free(m);
	}

	check_ctx = "arp reply releases the waiting datagram";
	arp_frame(&k, MAC0, -1, 2, GWMAC, gw, MAC0, ip4be(10, 0, 0, 1));
	via_main(&k, 0);
	CHECK_INT(state_of(0, ip4of(gw), NULL, &waiting), NEIGH_REACHABLE);
	m = take1(0, &len);
	if (m != NULL) {
		CHECK(memcmp(fb, GWMAC, 6) == 0);
		CHECK(memcmp(fb + 14 + 16, &far, 4) == 0);
		rte_pktmbuf_free(m);
	}

	check_ctx = "worker: next hop known";
	addr4(&dst, ip4be(8, 8, 4, 4), 5060);
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dst), 0);
	net_tx_flush(w);
	CHECK_INT(rte_ring_count(w->exc), 0);
	m = take1(0, &len);
	if (m != NULL) {
		CHECK(memcmp(fb, GWMAC, 6) == 0);
		rte_pktmbuf_free(m);
	}

	check_ctx = "main lcore: waits on the entry directly";
	clear_stats();
	addr4(&dst, ip4be(10, 0, 0, 50), 5060);
	CHECK_INT(net_send(mw, msg(big, 100), 0, &src, &dst), 0);
	CHECK_INT(mw->st->ctr[STATS_exceptions], 0);
	CHECK_INT(state_of(0, ip4of(ip4be(10, 0, 0, 50)), NULL, &waiting),
		  NEIGH_INCOMPLETE);
	CHECK_INT(waiting, 1);
	net_tx_flush(mw);
	CHECK_INT(arp_requests(ip4be(10, 0, 0, 50), BCAST), 1);

	check_ctx = "wait queue full (limits.neigh_queue 4)";
	for (unsigned i = 0; i < 4; i++)
		net_send(w, msg(big, 100), 0, &src, &dst);
	main_takes_exceptions();
	CHECK_INT(state_of(0, ip4of(ip4be(10, 0, 0, 50)), NULL, &waiting),
		  NEIGH_INCOMPLETE);
	CHECK_INT(waiting, 4);
	CHECK_INT(mw->st->drop[STATS_DROP_neigh_queue_full], 1);

	check_ctx = "three requests 1 s apart, then neigh_failed";
	for (unsigned s = 1; s <= 3; s++) {
		set_time(T + hz + hz / 50);
		net_timer(mw);
	}
	CHECK_INT(arp_requests(ip4be(10, 0, 0, 50), BCAST), 2);
	CHECK_INT(mw->st->drop[STATS_DROP_neigh_failed], 4);
	CHECK_INT(state_of(0, ip4of(ip4be(10, 0, 0, 50)), NULL, NULL),
		  NEIGH_FREE);
}

static void resolve6(void)
{
	const uint8_t nb6[16] = { 0xfd, [15] = 9 }, nbmac[6] = { 2, 0, 0, 0, 0, 9 };
	struct dp_addr src, dst;
	struct rte_mbuf *m;
	uint8_t nd[40], mac[6];
	unsigned len;

	tx_drain();
	check_ctx = "ipv6: ns to the solicited-node group";
	addr6(&src, ME6, 5060);
	addr6(&dst, nb6, 5060);
	CHECK_INT(net_send(w, msg(big, 100), 0, &src, &dst), 0);
	main_takes_exceptions();
	m = take1(0, &len);
	if (m != NULL) {
		const uint8_t *ip = fb + 14, *ns = fb + 54;

		CHECK(memcmp(fb, (uint8_t[]){ 0x33, 0x33, 0xff, 0, 0, 9 }, 6) == 0);
		CHECK(memcmp(ip + 8, ME6, 16) == 0);
		CHECK(memcmp(ip + 24, (uint8_t[]){ 0xff, 2, 0, 0, 0, 0, 0, 0, 0,
						  0, 0, 1, 0xff, 0, 0, 9 }, 16) == 0);
		CHECK_INT(ip[7], 255);
		CHECK_INT(ns[0], 135);
		CHECK(memcmp(ns + 8, nb6, 16) == 0);
		CHECK_INT(ns[24], 1);	/* source link-layer address */
		CHECK(memcmp(ns + 26, MAC0, 6) == 0);
		CHECK_INT(rte_ipv6_udptcp_cksum_verify(
				  (const struct rte_ipv6_hdr *)ip, ns), 0);
		rte_pktmbuf_free(m);
	}

	check_ctx = "ipv6: na releases the datagram";
	icmp6(&k, MAC0, nb6, ME6, 255, nd, nd_msg(nd, 136, 0x60, nb6, 2, nbmac));
	memcpy(k.b + 6, nbmac, 6);
	via_main(&k, 0);
	CHECK_INT(state_of(0, ip6of(nb6), mac, NULL), NEIGH_REACHABLE);
	m = take1(0, &len);
	if (m != NULL) {
		CHECK(memcmp(fb, nbmac, 6) == 0);
		CHECK(memcmp(fb + 14 + 24, nb6, 16) == 0);
		rte_pktmbuf_free(m);
	}

	check_ctx = "ipv6: na without override keeps the MAC";
	icmp6(&k, MAC0, nb6, ME6, 255, nd, nd_msg(nd, 136, 0x00, nb6, 2, OTHER));
	via_main(&k, 0);
	CHECK_INT(state_of(0, ip6of(nb6), mac, NULL), NEIGH_REACHABLE);
	CHECK(memcmp(mac, nbmac, 6) == 0);
	check_ctx = "ipv6: na with override changes it";
	icmp6(&k, MAC0, nb6, ME6, 255, nd, nd_msg(nd, 136, 0x20, nb6, 2, OTHER));
	via_main(&k, 0);
	CHECK_INT(state_of(0, ip6of(nb6), mac, NULL), NEIGH_REACHABLE);
	CHECK(memcmp(mac, OTHER, 6) == 0);
	tx_drain();
}

static void refresh(void)
{
	uint32_t used = ip4be(10, 0, 0, 8), idle = ip4be(10, 0, 0, 12);
	const uint8_t umac[6] = { 2, 0, 0, 0, 0, 8 }, imac[6] = { 2, 0, 0, 0, 0, 12 };
	struct dp_addr src, dst;
	uint64_t t0;
	uint8_t mac[6];

	tx_drain();
	check_ctx = "refresh of a used entry before it expires";
	arp_frame(&k, BCAST, -1, 1, umac, used, ZERO6, ip4be(10, 0, 0, 1));
	via_main(&k, 0);
	arp_frame(&k, BCAST, -1, 1, imac, idle, ZERO6, ip4be(10, 0, 0, 1));
	via_main(&k, 0);
	t0 = T;
	addr4(&src, ip4be(10, 0, 0, 1), 5060);
	addr4(&dst, used, 5060);
	CHECK_INT(net_send(w, msg(big, 10), 0, &src, &dst), 0);
	net_tx_flush(w);
	tx_drain();

	set_time(t0 + 296 * hz);
	net_timer(mw);
	CHECK_INT(arp_requests(used, umac), 0);
	set_time(t0 + 297 * hz + hz / 2);
	net_timer(mw);
	CHECK_INT(arp_requests(used, umac), 1);	/* unicast, to its MAC */
	CHECK_INT(arp_requests(idle, imac), 0);
	set_time(t0 + 298 * hz + hz / 2 + hz / 10);
	net_timer(mw);
	CHECK_INT(arp_requests(used, umac), 1);
	CHECK_INT(state_of(0, ip4of(used), mac, NULL), NEIGH_REACHABLE);

	check_ctx = "a reply to the refresh extends the lifetime";
	arp_frame(&k, MAC0, -1, 2, umac, used, MAC0, ip4be(10, 0, 0, 1));
	via_main(&k, 0);
	set_time(t0 + 300 * hz + hz / 5);
	net_timer(mw);
	CHECK_INT(state_of(0, ip4of(used), mac, NULL), NEIGH_REACHABLE);
	CHECK_INT(state_of(0, ip4of(idle), NULL, NULL), NEIGH_FREE);
	CHECK_INT(arp_requests(used, umac), 0);	/* not used since */

	check_ctx = "unused: expires without a request";
	set_time(T + 300 * hz);
	net_timer(mw);
	CHECK_INT(state_of(0, ip4of(used), NULL, NULL), NEIGH_FREE);
	CHECK_INT(arp_requests(used, umac), 0);
	CHECK_INT(state_of(1, ip4of(ip4be(192, 168, 1, 9)), mac, NULL),
		  NEIGH_STATIC);
	tx_drain();
}

void test_resolve(void)
{
	resolve4();
	resolve6();
	refresh();
}
