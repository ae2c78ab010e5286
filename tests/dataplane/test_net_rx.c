/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_net_rx.c - net_rx_stage: datagrams that continue (and what they
 * carry), one case per drop reason, the exceptions, IPv4 and IPv6
 * reassembly (in order, out of order, duplicates, overlaps, too many
 * fragments, expiry) and bursts of 0, 1, 3, 31, 32 and 33 packets.
 */
#include <stdlib.h>

#include "test_net.h"

static struct pkt k, whole, f[16];

static bool ip_is(const struct dp_ip *ip, unsigned af, const void *a)
{
	struct dp_ip want;

	memset(&want, 0, sizeof(want));
	want.af = (uint8_t)af;
	memcpy(want.a, a, af == 4 ? 4 : 16);
	return memcmp(ip, &want, sizeof(want)) == 0;
}

static void check_sip(const char *payload, unsigned n)
{
	CHECK_INT(B->p[0].sip_len, n);
	CHECK(B->p[0].sip != NULL && memcmp(B->p[0].sip, payload, n) == 0);
}

static void rx_valid4(void)
{
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 2);
	unsigned n = (unsigned)strlen(SIPMSG);
	struct rte_mbuf *m;
	static char big[9000];

	clear_stats();
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	expect_continue("ipv4 sip", mk(&k), 0);
	CHECK(ip_is(&B->p[0].src.ip, 4, &peer));
	CHECK(ip_is(&B->p[0].dst.ip, 4, &me));
	CHECK_INT(B->p[0].src.port, 40000);
	CHECK_INT(B->p[0].dst.port, 5060);
	check_sip(SIPMSG, n);
	/* zero copy: the payload is read in place */
	CHECK(B->p[0].sip == rte_pktmbuf_mtod_offset(B->m[0], char *, 42));
	CHECK_INT(w->st->ctr[STATS_rx_pkts], 1);
	CHECK_INT(w->st->ctr[STATS_rx_bytes], k.len);
	CHECK_INT(w->st->port[0][STATS_PORT_rx_pkts], 1);
	CHECK_INT(w->st->port[0][STATS_PORT_rx_bytes], k.len);
	burst_free();

	udp4(&k, MAC0, -1, peer, me, 40000, 5080, SIPMSG, n);
	expect_continue("second listen port", mk(&k), 0);
	CHECK_INT(B->p[0].dst.port, 5080);
	burst_free();

	pk_eth(&k, MAC0, PEER, -1, 0x0800);
	pk_ip4(&k, peer, me, IPPROTO_UDP, 7);
	pk_udp(&k, 40000, 5060, SIPMSG, n);
	pk_fix(&k);
	expect_continue("ipv4 options (ihl 7)", mk(&k), 0);
	check_sip(SIPMSG, n);
	burst_free();

	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	put16(k.b + k.l4 + 6, 0);
	expect_continue("ipv4 udp checksum 0", mk(&k), 0);
	burst_free();

	udp4(&k, MAC0, -1, peer, me, 40000, 5060, "\r\n\r\n", 4);
	memset(k.b + k.len, 0, 60 - k.len);
	m = mk_bytes(k.b, 60, 0);	/* Ethernet padding */
	expect_continue("padded keep-alive", m, 0);
	check_sip("\r\n\r\n", 4);
	CHECK_INT(B->m[0]->pkt_len, 46);
	burst_free();

	udp4(&k, MAC0, 0, peer, me, 40000, 5060, SIPMSG, n);
	expect_continue("priority tag (VID 0) on an untagged port", mk(&k), 0);
	burst_free();

	udp4(&k, MAC1, 100, ip4be(192, 168, 1, 2), ip4be(192, 168, 1, 1),
	     40000, 5060, SIPMSG, n);
	expect_continue("vlan 100 on port 1", mk(&k), 1);
	CHECK_INT(w->st->port[1][STATS_PORT_rx_pkts], 1);
	burst_free();

	udp4(&k, MAC1, -1, ip4be(192, 168, 1, 2), ip4be(192, 168, 1, 1),
	     40000, 5060, SIPMSG, n);
	m = mk(&k);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 100;
	expect_continue("vlan 100 stripped by the NIC", m, 1);
	burst_free();

	udp4(&k, BCAST, -1, peer, me, 40000, 5060, SIPMSG, n);
	expect_continue("broadcast frame, unicast IP", mk(&k), 0);
	burst_free();

	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	m = mk_bytes(k.b, k.len, 60);	/* payload over 3 segments */
	expect_continue("multi-segment frame", m, 0);
	check_sip(SIPMSG, n);
	CHECK(B->p[0].sip == w->linear[0]);
	burst_free();

	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	m = mk_bytes(k.b, k.len, 61);	/* segments of odd length */
	expect_continue("multi-segment frame, odd split", m, 0);
	check_sip(SIPMSG, n);
	burst_free();
	k.b[k.len - 1] ^= 0x01;
	check_ctx = "multi-segment frame, odd split, bad checksum";
	CHECK_INT(rx1(mk_bytes(k.b, k.len, 61), 0), DP_STEP_DROP);
	CHECK_INT(B->p[0].reason, STATS_DROP_udp_bad_cksum);
	burst_free();

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, big, sizeof(big));
	expect_continue("over limits.max_message", mk(&k), 0);
	CHECK(B->p[0].sip == NULL);
	CHECK_INT(B->p[0].sip_len, sizeof(big));
	burst_free();

	udp4(&k, MAC0, -1, peer, me, 40000, 5060, big, 8000);
	expect_continue("exactly limits.max_message, chained", mk(&k), 0);
	check_sip(big, 8000);
	burst_free();

	/* a NIC that checks: its verdict wins over the bytes */
	dp->ports[0].rx_cksum = true;
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.b[k.l3 + 10] ^= 0xff;
	k.b[k.l4 + 6] ^= 0xff;
	m = mk(&k);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	expect_continue("rx_cksum: NIC says GOOD", m, 0);
	burst_free();
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.b[k.l3 + 10] ^= 0xff;
	k.b[k.l4 + 6] ^= 0xff;
	m = mk(&k);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_NONE | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	expect_continue("rx_cksum: NIC says NONE (verified otherwise)", m, 0);
	burst_free();
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.b[k.l4 + 6] ^= 0xff;
	expect_drop("rx_cksum: NIC says UNKNOWN, checked here", &k, 0,
		    STATS_DROP_udp_bad_cksum);
	dp->ports[0].rx_cksum = false;
}

static void rx_valid6(void)
{
	unsigned n = (unsigned)strlen(SIPMSG);

	udp6(&k, PEER6, ME6, 5060, SIPMSG, n);
	expect_continue("ipv6 sip", mk(&k), 0);
	CHECK(ip_is(&B->p[0].src.ip, 6, PEER6));
	CHECK(ip_is(&B->p[0].dst.ip, 6, ME6));
	CHECK_INT(B->p[0].src.port, 40000);
	CHECK_INT(B->p[0].dst.port, 5060);
	check_sip(SIPMSG, n);
	burst_free();

	udp6(&whole, PEER6, ME6, 5060, SIPMSG, n);
	frag6(&whole, 0, whole.len - whole.l4, false, 0x5a5a5a5a, &k);
	expect_continue("ipv6 atomic fragment (RFC 6946)", mk(&k), 0);
	check_sip(SIPMSG, n);
	burst_free();

	udp6(&k, (const uint8_t[16]){ 0xfe, 0x80, [15] = 7 }, ME6, 5060,
	     SIPMSG, n);
	expect_continue("ipv6 from a link-local source", mk(&k), 0);
	burst_free();
}

void test_rx_valid(void)
{
	rx_valid4();
	rx_valid6();
}

/* ---- drops ---- */

static void drops_l2(void)
{
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 2);
	unsigned n = (unsigned)strlen(SIPMSG);

	pk_eth(&k, MAC0, PEER, -1, 0x0800);
	k.len = 10;
	expect_drop("10-byte frame", &k, 0, STATS_DROP_l2_short);
	pk_eth(&k, MAC0, PEER, 5, 0x0800);
	k.len = 16;
	expect_drop("truncated vlan tag", &k, 0, STATS_DROP_l2_short);
	udp4(&k, OTHER, -1, peer, me, 40000, 5060, SIPMSG, n);
	expect_drop("another host's MAC", &k, 0, STATS_DROP_l2_other_host);
	udp4(&k, MAC0, 200, peer, me, 40000, 5060, SIPMSG, n);
	expect_drop("tagged on an untagged port", &k, 0, STATS_DROP_l2_vlan);
	udp4(&k, MAC1, -1, ip4be(192, 168, 1, 2), ip4be(192, 168, 1, 1), 40000,
	     5060, SIPMSG, n);
	expect_drop("untagged on a vlan port", &k, 1, STATS_DROP_l2_vlan);
	udp4(&k, MAC1, 101, ip4be(192, 168, 1, 2), ip4be(192, 168, 1, 1), 40000,
	     5060, SIPMSG, n);
	expect_drop("another vid", &k, 1, STATS_DROP_l2_vlan);
	pk_eth(&k, MAC0, PEER, -1, 0x88a8);
	pk_data(&k, "\x00\x05\x81\x00\x00\x05\x08\x00", 8);
	expect_drop("qinq", &k, 0, STATS_DROP_l2_vlan);
	pk_eth(&k, MAC1, PEER, 100, 0x8100);
	pk_data(&k, "\x00\x64\x08\x00", 4);
	expect_drop("two tags", &k, 1, STATS_DROP_l2_vlan);
	pk_eth(&k, MAC0, PEER, -1, 0x88cc);
	pk_data(&k, "lldp lldp lldp lldp lldp lldp lldp lldp lldp", 44);
	expect_drop("lldp", &k, 0, STATS_DROP_l2_ethertype);
}

static void ip4_recksum(struct pkt *p)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p->b + p->l3);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, 20);
}

static void drops_ip4(void)
{
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 2);
	static const struct {
		const char *name;
		unsigned a, b, c, d, reason;
		bool src;
	} addr[] = {
		{ "dst another host", 10, 0, 0, 9, STATS_DROP_ip_other_host, false },
		{ "dst broadcast", 255, 255, 255, 255, STATS_DROP_ip_other_host, false },
		{ "dst subnet broadcast", 10, 0, 0, 255, STATS_DROP_ip_other_host, false },
		{ "dst multicast", 224, 0, 0, 1, STATS_DROP_ip_other_host, false },
		{ "src loopback", 127, 0, 0, 1, STATS_DROP_ip_bad_source, true },
		{ "src 0.0.0.0", 0, 0, 0, 0, STATS_DROP_ip_bad_source, true },
		{ "src multicast", 224, 0, 0, 5, STATS_DROP_ip_bad_source, true },
		{ "src broadcast", 255, 255, 255, 255, STATS_DROP_ip_bad_source, true },
		{ "src subnet broadcast", 10, 0, 0, 255, STATS_DROP_ip_bad_source, true },
		{ "src ourselves", 10, 0, 0, 1, STATS_DROP_ip_bad_source, true },
	};
	unsigned n = (unsigned)strlen(SIPMSG);
	struct rte_mbuf *m;

	for (unsigned i = 0; i < RTE_DIM(addr); i++) {
		uint32_t x = ip4be(addr[i].a, addr[i].b, addr[i].c, addr[i].d);

		udp4(&k, MAC0, -1, addr[i].src ? x : peer, addr[i].src ? me : x,
		     40000, 5060, SIPMSG, n);
		expect_drop(addr[i].name, &k, 0, addr[i].reason);
	}

	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.b[k.l3] = 0x55;
	ip4_recksum(&k);
	expect_drop("ip version 5", &k, 0, STATS_DROP_ip_bad_header);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.b[k.l3] = 0x44;
	expect_drop("ihl 4", &k, 0, STATS_DROP_ip_bad_header);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	put16(k.b + k.l3 + 2, k.len - k.l3 + 1);
	ip4_recksum(&k);
	expect_drop("total length beyond the frame", &k, 0,
		    STATS_DROP_ip_bad_header);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	put16(k.b + k.l3 + 2, 19);
	ip4_recksum(&k);
	expect_drop("total length under the header", &k, 0,
		    STATS_DROP_ip_bad_header);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.len = k.l3 + 12;
	expect_drop("frame cut in the ip header", &k, 0,
		    STATS_DROP_ip_bad_header);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.b[k.l3 + 10] ^= 0x01;
	expect_drop("bad ip checksum", &k, 0, STATS_DROP_ip_bad_cksum);
	/* a header with options is summed apart from the usual 20 bytes */
	pk_eth(&k, MAC0, PEER, -1, 0x0800);
	pk_ip4(&k, peer, me, IPPROTO_UDP, 7);
	pk_udp(&k, 40000, 5060, SIPMSG, n);
	pk_fix(&k);
	k.b[k.l3 + 26] ^= 0x01;
	expect_drop("bad ip checksum in an option", &k, 0,
		    STATS_DROP_ip_bad_cksum);

	dp->ports[0].rx_cksum = true;
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	m = mk(&k);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	check_ctx = "rx_cksum: NIC says ip BAD";
	CHECK_INT(rx1(m, 0), DP_STEP_DROP);
	CHECK_INT(B->p[0].reason, STATS_DROP_ip_bad_cksum);
	burst_free();
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	m = mk(&k);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD;
	check_ctx = "rx_cksum: NIC says udp BAD";
	CHECK_INT(rx1(m, 0), DP_STEP_DROP);
	CHECK_INT(B->p[0].reason, STATS_DROP_udp_bad_cksum);
	burst_free();
	dp->ports[0].rx_cksum = false;

	pk_eth(&k, MAC0, PEER, -1, 0x0800);
	pk_ip4(&k, peer, me, IPPROTO_TCP, 5);
	pk_data(&k, "\x9c\x40\x13\xc4 tcp header bytes..", 20);
	pk_fix(&k);
	expect_drop("tcp", &k, 0, STATS_DROP_ip_proto);
	echo4(&k, peer, me, 3, 28);
	expect_drop("icmp unreachable", &k, 0, STATS_DROP_ip_proto);
	pk_eth(&k, MAC0, PEER, -1, 0x0800);
	pk_ip4(&k, peer, me, IPPROTO_TCP, 5);
	pk_data(&k, SIPMSG, 64);
	pk_fix(&k);
	put16(k.b + k.l3 + 6, 0x2000);
	ip4_recksum(&k);
	expect_drop("fragment of tcp", &k, 0, STATS_DROP_ip_proto);
	udp4(&whole, MAC0, -1, peer, me, 40000, 5060, SIPMSG, 100);
	frag4(&whole, 0, 100, true, &k);
	expect_drop("fragment not a multiple of 8", &k, 0, STATS_DROP_frag_bad);
	frag4(&whole, 65512, 48, false, &k);
	expect_drop("fragment beyond 64 KB", &k, 0, STATS_DROP_frag_bad);
}

static void drops_udp(void)
{
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 2);
	unsigned n = (unsigned)strlen(SIPMSG);

	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	put16(k.b + k.l4 + 4, n + 9);
	expect_drop("udp length over the ip payload", &k, 0,
		    STATS_DROP_udp_bad_len);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	put16(k.b + k.l4 + 4, n + 7);
	expect_drop("udp length under the ip payload", &k, 0,
		    STATS_DROP_udp_bad_len);
	pk_eth(&k, MAC0, PEER, -1, 0x0800);
	pk_ip4(&k, peer, me, IPPROTO_UDP, 5);
	pk_data(&k, "\x9c\x40\x13\xc4", 4);
	pk_fix(&k);
	expect_drop("ip payload shorter than a udp header", &k, 0,
		    STATS_DROP_udp_bad_len);
	udp4(&k, MAC0, -1, peer, me, 40000, 5060, SIPMSG, n);
	k.b[k.len - 3] ^= 0x20;
	expect_drop("bad udp checksum", &k, 0, STATS_DROP_udp_bad_cksum);
	udp4(&k, MAC0, -1, peer, me, 40000, 5061, SIPMSG, n);
	expect_drop("closed port", &k, 0, STATS_DROP_udp_port);
	udp4(&k, MAC0, -1, peer, me, 40000, 5061, SIPMSG, n);
	k.b[k.len - 3] ^= 0x20;
	expect_drop("closed port, bad checksum: the port is checked first", &k,
		    0, STATS_DROP_udp_port);
}

static void drops_ip6(void)
{
	static const uint8_t srcs[][16] = {
		{ 0 },						/* :: */
		{ [15] = 1 },					/* ::1 */
		{ 0xff, 0x02, [15] = 1 },			/* ff02::1 */
		{ [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 },	/* mapped */
		{ 0xfd, [15] = 1 },				/* ourselves */
	};
	unsigned n = (unsigned)strlen(SIPMSG);
	uint8_t nd[32];

	udp6(&k, PEER6, ME6, 5060, SIPMSG, n);
	k.b[k.l3] = 0x40;
	expect_drop("ipv6 version 4", &k, 0, STATS_DROP_ip_bad_header);
	udp6(&k, PEER6, ME6, 5060, SIPMSG, n);
	put16(k.b + k.l3 + 4, k.len - k.l3 - 40 + 1);
	expect_drop("ipv6 payload beyond the frame", &k, 0,
		    STATS_DROP_ip_bad_header);
	udp6(&k, PEER6, ME6, 5060, SIPMSG, n);
	put16(k.b + k.l3 + 4, 0);
	expect_drop("ipv6 payload length 0 (jumbogram)", &k, 0,
		    STATS_DROP_ip_bad_header);
	udp6(&k, PEER6, (const uint8_t[16]){ 0xfd, [15] = 9 }, 5060, SIPMSG, n);
	expect_drop("ipv6 another host", &k, 0, STATS_DROP_ip_other_host);
	for (unsigned i = 0; i < RTE_DIM(srcs); i++) {
		udp6(&k, srcs[i], ME6, 5060, SIPMSG, n);
		expect_drop("ipv6 bad source", &k, 0, STATS_DROP_ip_bad_source);
	}
	pk_eth(&k, MAC0, PEER, -1, 0x86dd);
	pk_ip6(&k, PEER6, ME6, 0, 64);	/* hop-by-hop options */
	pk_data(&k, "\x11\x00\x01\x04\x00\x00\x00\x00", 8);
	k.l4 = k.len;
	pk_udp(&k, 40000, 5060, SIPMSG, n);
	put16(k.b + k.l3 + 4, k.len - k.l3 - 40);
	expect_drop("ipv6 hop-by-hop header", &k, 0, STATS_DROP_ip_bad_header);
	pk_eth(&k, MAC0, PEER, -1, 0x86dd);
	pk_ip6(&k, PEER6, ME6, IPPROTO_TCP, 64);
	pk_data(&k, SIPMSG, 20);
	pk_fix(&k);
	expect_drop("ipv6 tcp", &k, 0, STATS_DROP_ip_proto);
	udp6(&k, PEER6, ME6, 5060, SIPMSG, n);
	put16(k.b + k.l4 + 6, 0);
	expect_drop("ipv6 udp checksum 0", &k, 0, STATS_DROP_udp_bad_cksum);
	udp6(&k, PEER6, SN_ME6, 5060, SIPMSG, n);
	expect_drop("ipv6 udp to our solicited-node group", &k, 0,
		    STATS_DROP_ip_other_host);
	icmp6(&k, MAC0, PEER6, SN_ME6, 64,
	      nd, nd_msg(nd, 135, 0, ME6, 1, PEER));
	expect_drop("ns with hop limit 64", &k, 0, STATS_DROP_neigh_nd_bad);
	icmp6(&k, MAC0, PEER6, ME6, 64, "\x01\x04\x00\x00\x00\x00\x00\x00", 8);
	expect_drop("icmpv6 unreachable", &k, 0, STATS_DROP_ip_proto);
	udp6(&k, PEER6, ME6, 5060, SIPMSG, n);
	k.b[k.l3 + 6] = IPPROTO_ICMPV6;
	frag6(&k, 0, 64, true, 1, &whole);
	expect_drop("ipv6 fragment of icmpv6", &whole, 0, STATS_DROP_ip_proto);
	udp6(&k, PEER6, ME6, 5060, SIPMSG, n);
	frag6(&k, 0, 60, true, 1, &whole);
	expect_drop("ipv6 fragment not a multiple of 8", &whole, 0,
		    STATS_DROP_frag_bad);
	pk_eth(&k, MAC1, PEER, 100, 0x86dd);
	pk_ip6(&k, PEER6, ME6, IPPROTO_UDP, 64);
	pk_udp(&k, 40000, 5060, SIPMSG, n);
	pk_fix(&k);
	expect_drop("ipv6 on a port without ipv6", &k, 1,
		    STATS_DROP_ip_other_host);
}

static void drops_arp(void)
{
	static const uint8_t zero[6];
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 7);

	arp_frame(&k, BCAST, -1, 1, PEER, peer, zero, ip4be(10, 0, 0, 9));
	expect_drop("arp for another address", &k, 0, STATS_DROP_arp_bad);
	arp_frame(&k, BCAST, -1, 1, PEER, peer, zero, me);
	k.len -= 4;
	expect_drop("arp truncated", &k, 0, STATS_DROP_arp_bad);
	arp_frame(&k, BCAST, -1, 3, PEER, peer, zero, me);
	expect_drop("rarp opcode", &k, 0, STATS_DROP_arp_bad);
	arp_frame(&k, BCAST, -1, 1, PEER, peer, zero, me);
	k.b[k.l3 + 4] = 8;
	expect_drop("arp hardware length 8", &k, 0, STATS_DROP_arp_bad);
	arp_frame(&k, BCAST, 100, 1, PEER, peer, zero, me);
	expect_drop("arp for port 0's address on port 1", &k, 1,
		    STATS_DROP_arp_bad);
}

void test_rx_drops(void)
{
	drops_l2();
	drops_ip4();
	drops_udp();
	drops_ip6();
	drops_arp();
}

static void expect_exc(const char *name, struct pkt *p, unsigned port,
		       unsigned exc)
{
	check_ctx = name;
	CHECK_INT(rx1(mk(p), port), DP_STEP_EXCEPTION);
	CHECK_INT(B->p[0].exc, exc);
	CHECK_INT(B->m[0]->hash.usr, exc | port << 8);
	burst_free();
}

void test_rx_exceptions(void)
{
	static const uint8_t zero[6];
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 7);
	uint8_t nd[32];

	arp_frame(&k, BCAST, -1, 1, PEER, peer, zero, me);
	expect_exc("arp request for us", &k, 0, DP_EXC_ARP);
	arp_frame(&k, MAC0, -1, 2, PEER, peer, MAC0, me);
	expect_exc("arp reply to us", &k, 0, DP_EXC_ARP);
	arp_frame(&k, BCAST, 100, 1, PEER, ip4be(192, 168, 1, 2), zero,
		  ip4be(192, 168, 1, 1));
	expect_exc("arp request on the vlan port", &k, 1, DP_EXC_ARP);
	echo4(&k, peer, me, 8, 56);
	expect_exc("icmp echo", &k, 0, DP_EXC_ICMP);
	icmp6(&k, MAC0, PEER6, ME6, 64, "\x80\x00\x00\x00\x42\x42\x00\x01ping", 12);
	expect_exc("icmpv6 echo", &k, 0, DP_EXC_ICMP6);
	icmp6(&k, (const uint8_t[6]){ 0x33, 0x33, 0xff, 0, 0, 1 }, PEER6,
	      SN_ME6, 255, nd, nd_msg(nd, 135, 0, ME6, 1, PEER));
	expect_exc("ns to our solicited-node group", &k, 0, DP_EXC_ICMP6);
	icmp6(&k, MAC0, PEER6, ME6, 255, nd, nd_msg(nd, 136, 0x60, PEER6, 2, PEER));
	expect_exc("na to us", &k, 0, DP_EXC_ICMP6);
}

/* ---- reassembly ---- */

static char payload[16384];

/* Runs fragments idx[0..n) of f[] one per burst; returns the step of the
 * last one (its slot stays in B). */
static unsigned run_frags(const unsigned *idx, unsigned n)
{
	unsigned st = DP_STEP_DROP;

	for (unsigned i = 0; i < n; i++) {
		burst_free();
		st = rx1(mk(&f[idx[i]]), 0);
		if (i + 1 < n)
			CHECK_INT(st, DP_STEP_HELD);
		if (st == DP_STEP_HELD)
			CHECK(B->m[0] == NULL);
	}
	return st;
}

static void whole4(unsigned id, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		payload[i] = (char)('A' + (i * 7 + id) % 26);
	udp4(&whole, MAC0, -1, ip4be(10, 0, 0, 2), ip4be(10, 0, 0, 1), 40000,
	     5060, payload, len);
	put16(whole.b + whole.l3 + 4, id);
}

void test_frag4(void)
{
	static const unsigned in_order[] = { 0, 1, 2 }, shuffled[] = { 2, 0, 1 };
	unsigned udp = 3008;	/* 3000 bytes of payload */

	clear_stats();
	whole4(1, 3000);
	frag4(&whole, 0, 1480, true, &f[0]);
	frag4(&whole, 1480, 1480, true, &f[1]);
	frag4(&whole, 2960, udp - 2960, false, &f[2]);
	check_ctx = "ipv4 3 fragments in order";
	CHECK_INT(run_frags(in_order, 3), DP_STEP_CONTINUE);
	check_sip(payload, 3000);
	CHECK(B->p[0].sip == w->linear[0]);
	CHECK_INT(B->p[0].src.port, 40000);
	CHECK_INT(B->m[0]->nb_segs, 3);
	CHECK_INT(w->st->ctr[STATS_frag_reassembled], 1);
	CHECK_INT(w->st->ctr[STATS_rx_pkts], 3);
	burst_free();

	whole4(2, 3000);
	frag4(&whole, 0, 1480, true, &f[0]);
	frag4(&whole, 1480, 1480, true, &f[1]);
	frag4(&whole, 2960, udp - 2960, false, &f[2]);
	check_ctx = "ipv4 3 fragments, last first";
	CHECK_INT(run_frags(shuffled, 3), DP_STEP_CONTINUE);
	check_sip(payload, 3000);
	burst_free();

	whole4(3, 3000);
	frag4(&whole, 0, 1480, true, &f[0]);
	frag4(&whole, 1480, 1480, true, &f[1]);
	frag4(&whole, 2960, udp - 2960, false, &f[2]);
	check_ctx = "ipv4 3 fragments in one burst";
	burst_init(3);
	B->m[0] = mk(&f[1]);
	B->m[1] = mk(&f[2]);
	B->m[2] = mk(&f[0]);
	net_rx_stage(w, B);
	CHECK_INT(B->p[0].step, DP_STEP_HELD);
	CHECK_INT(B->p[1].step, DP_STEP_HELD);
	CHECK_INT(B->p[2].step, DP_STEP_CONTINUE);
	CHECK(B->m[0] == NULL && B->m[1] == NULL && B->m[2] != NULL);
	CHECK(B->p[2].sip == w->linear[2]);
	CHECK(B->p[2].sip != NULL && memcmp(B->p[2].sip, payload, 3000) == 0);
	burst_free();

	clear_stats();
	whole4(4, 3000);
	frag4(&whole, 0, 1480, true, &f[0]);
	frag4(&whole, 1480, 1480, true, &f[1]);
	frag4(&whole, 2960, udp - 2960, false, &f[2]);
	check_ctx = "ipv4 duplicate first fragment";
	CHECK_INT(run_frags((const unsigned[]){ 0, 0, 1, 2 }, 4), DP_STEP_HELD);
	CHECK_INT(w->st->drop[STATS_DROP_frag_bad], 1);
	CHECK_INT(w->st->ctr[STATS_frag_reassembled], 0);
	burst_free();

	clear_stats();
	whole4(5, 3000);
	frag4(&whole, 0, 1480, true, &f[0]);
	frag4(&whole, 1000, 1000, true, &f[1]);
	frag4(&whole, 2000, udp - 2000, false, &f[2]);
	check_ctx = "ipv4 overlapping fragments";
	CHECK_INT(run_frags(in_order, 3), DP_STEP_HELD);
	CHECK_INT(w->st->drop[STATS_DROP_frag_bad], 1);
	burst_free();

	clear_stats();
	whole4(6, 3000);
	frag4(&whole, 0, 1480, true, &f[0]);
	frag4(&whole, 1000, 480, true, &f[1]);
	frag4(&whole, 1960, udp - 1960, false, &f[2]);
	check_ctx = "ipv4 overlap and hole, lengths adding up";
	CHECK_INT(run_frags(in_order, 3), DP_STEP_HELD);
	CHECK_INT(w->st->drop[STATS_DROP_frag_bad], 1);
	CHECK_INT(w->st->ctr[STATS_frag_reassembled], 0);
	burst_free();

	whole4(7, 3000);
	whole.b[whole.len - 1] ^= 0x01;	/* after the checksum */
	frag4(&whole, 0, 1480, true, &f[0]);
	frag4(&whole, 1480, 1480, true, &f[1]);
	frag4(&whole, 2960, udp - 2960, false, &f[2]);
	check_ctx = "ipv4 reassembled, bad udp checksum";
	CHECK_INT(run_frags(in_order, 3), DP_STEP_DROP);
	CHECK_INT(B->p[0].reason, STATS_DROP_udp_bad_cksum);
	CHECK(B->m[0] != NULL);
	burst_free();

	whole4(8, 9000);
	for (unsigned i = 0; i < 7; i++)
		frag4(&whole, i * 1480, i < 6 ? 1480 : 9008 - 6 * 1480, i < 6,
		      &f[i]);
	check_ctx = "ipv4 7 fragments over limits.max_message";
	CHECK_INT(run_frags((const unsigned[]){ 0, 1, 2, 3, 4, 5, 6 }, 7),
		  DP_STEP_CONTINUE);
	CHECK(B->p[0].sip == NULL);
	CHECK_INT(B->p[0].sip_len, 9000);
	burst_free();

	clear_stats();
	whole4(9, 72);		/* 80 bytes of UDP in 10 fragments of 8 */
	for (unsigned i = 0; i < 10; i++)
		frag4(&whole, i * 8, 8, i < 9, &f[i]);
	check_ctx = "ipv4 10 fragments: over RTE_LIBRTE_IP_FRAG_MAX_FRAG";
	CHECK_INT(run_frags((const unsigned[]){ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
			    10), DP_STEP_HELD);
	CHECK_INT(w->st->drop[STATS_DROP_frag_bad], 1);
	CHECK_INT(w->st->ctr[STATS_frag_reassembled], 0);
	burst_free();

	/* left in the table: fragments 1, 2 of datagram 4 and 9, 10 of
	 * datagram 9; an empty burst after the timeout sweeps them */
	check_ctx = "ipv4 expired fragments";
	set_time(T + 3 * hz);
	burst_init(0);
	net_rx_stage(w, B);
	CHECK_INT(w->st->drop[STATS_DROP_frag_timeout], 4);
	set_time(T + hz);
	burst_init(0);
	net_rx_stage(w, B);
	CHECK_INT(w->st->drop[STATS_DROP_frag_timeout], 4);
}

void test_frag6(void)
{
	static const unsigned in_order[] = { 0, 1, 2 }, backwards[] = { 2, 1, 0 };
	unsigned udp = 3008;

	clear_stats();
	for (unsigned i = 0; i < 3000; i++)
		payload[i] = (char)('a' + i % 23);
	udp6(&whole, PEER6, ME6, 5080, payload, 3000);
	frag6(&whole, 0, 1448, true, 0x11223344, &f[0]);
	frag6(&whole, 1448, 1448, true, 0x11223344, &f[1]);
	frag6(&whole, 2896, udp - 2896, false, 0x11223344, &f[2]);
	check_ctx = "ipv6 3 fragments in order";
	CHECK_INT(run_frags(in_order, 3), DP_STEP_CONTINUE);
	check_sip(payload, 3000);
	CHECK(ip_is(&B->p[0].src.ip, 6, PEER6));
	CHECK_INT(B->p[0].dst.port, 5080);
	CHECK_INT(w->st->ctr[STATS_frag_reassembled], 1);
	burst_free();

	frag6(&whole, 0, 1448, true, 0x55667788, &f[0]);
	frag6(&whole, 1448, 1448, true, 0x55667788, &f[1]);
	frag6(&whole, 2896, udp - 2896, false, 0x55667788, &f[2]);
	check_ctx = "ipv6 3 fragments backwards";
	CHECK_INT(run_frags(backwards, 3), DP_STEP_CONTINUE);
	check_sip(payload, 3000);
	burst_free();

	frag6(&whole, 0, 1448, true, 0x99, &f[0]);
	frag6(&whole, 1448, 1448, true, 0x99, &f[1]);
	frag6(&whole, 2896, udp - 2896, false, 0x99, &f[2]);
	check_ctx = "ipv6 duplicate last fragment";
	CHECK_INT(run_frags((const unsigned[]){ 2, 2 }, 2), DP_STEP_HELD);
	CHECK_INT(w->st->drop[STATS_DROP_frag_bad], 1);
	burst_free();
}

/* ---- bursts ---- */

void test_bursts(void)
{
	static const unsigned sizes[] = { 0, 1, 3, 31, 32, 33 };
	uint32_t me = ip4be(10, 0, 0, 1), peer = ip4be(10, 0, 0, 2);
	unsigned n = (unsigned)strlen(SIPMSG);

	for (unsigned s = 0; s < RTE_DIM(sizes); s++) {
		unsigned total = sizes[s], done = 0, rx = 0;
		char name[64];

		snprintf(name, sizeof(name), "burst of %u", total);
		check_ctx = name;
		clear_stats();
		/* 33 is one full burst and one of 1: the caller's loop */
		do {
			unsigned cnt = total - done > DP_BURST ? DP_BURST
							       : total - done;

			burst_init(cnt);
			for (unsigned i = 0; i < cnt; i++) {
				unsigned j = done + i;

				udp4(&k, MAC0, -1, peer, me, 1000 + j,
				     j % 4 == 3 ? 5061 : 5060, SIPMSG, n);
				B->m[i] = mk(&k);
			}
			if (cnt > 2) {	/* a slot an earlier stage decided */
				B->p[1].step = DP_STEP_DROP;
				B->p[1].reason = STATS_DROP_no_mbuf;
			}
			w->now = T;
			net_rx_stage(w, B);
			for (unsigned i = 0; i < cnt; i++) {
				unsigned j = done + i;

				if (cnt > 2 && i == 1) {
					CHECK_INT(B->p[i].step, DP_STEP_DROP);
					CHECK_INT(B->p[i].reason,
						  STATS_DROP_no_mbuf);
					continue;
				}
				rx++;
				if (j % 4 == 3) {
					CHECK_INT(B->p[i].step, DP_STEP_DROP);
					CHECK_INT(B->p[i].reason,
						  STATS_DROP_udp_port);
				} else {
					CHECK_INT(B->p[i].step,
						  DP_STEP_CONTINUE);
					CHECK_INT(B->p[i].src.port, 1000 + j);
					CHECK_INT(B->p[i].sip_len, n);
				}
			}
			burst_free();
			done += cnt;
		} while (done < total);
		CHECK_INT(w->st->ctr[STATS_rx_pkts], rx);
		CHECK_INT(w->st->port[0][STATS_PORT_rx_pkts], rx);
	}
}
