/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_net.c - layers 2-4 (net.h) and the neighbour table (neigh.h) with a
 * real EAL (--no-huge, no PCI) and two net_ring ports made with
 * rte_eth_from_rings: what we transmit is read back from the rings.
 *
 * Frames are built byte by byte here, independently of the code under test;
 * expectations come from the RFCs (791, 768, 826, 8200, 4861, 792) and from
 * net.h, not from the implementation.
 */
#define _GNU_SOURCE		 /* sched_getaffinity */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ipv4/6_udptcp_cksum_verify */
#define CHECK_MAIN
#include "check.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "net_priv.h"
#include "test_net.h"

struct dp *dp;
struct worker *w, *mw;
struct rte_mempool *pool, *pool_ind, *pool_out;
struct rte_ring *txr[2], *rxr[2];
struct dp_burst *B;
uint64_t T, hz;

const uint8_t MAC0[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t MAC1[6] = { 0x02, 0, 0, 0, 0, 0x02 };
const uint8_t PEER[6] = { 0x02, 0, 0, 0, 0, 0x07 };
const uint8_t GWMAC[6] = { 0x02, 0, 0, 0, 0, 0xfe };
const uint8_t OTHER[6] = { 0x02, 0, 0, 0, 0, 0x99 };
const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
const uint8_t ME6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
const uint8_t PEER6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
const uint8_t SN_ME6[16] = { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1 };
const char SIPMSG[] = "OPTIONS sip:10.0.0.1 SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\n"
		      "Max-Forwards: 70\r\n"
		      "Content-Length: 0\r\n\r\n";
uint8_t fb[MAXPKT], dg[MAXPKT], hdrbuf[MAXPKT];

uint32_t ip4be(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return rte_cpu_to_be_32(RTE_IPV4(a, b, c, d));
}

void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* ---- building frames ---- */

void pk_eth(struct pkt *k, const uint8_t *dst, const uint8_t *src,
		   int vlan, unsigned type)
{
	memset(k, 0, offsetof(struct pkt, b) + 64);
	memcpy(k->b, dst, 6);
	memcpy(k->b + 6, src, 6);
	if (vlan >= 0) {
		put16(k->b + 12, 0x8100);
		put16(k->b + 14, (unsigned)vlan);
		put16(k->b + 16, type);
		k->len = 18;
	} else {
		put16(k->b + 12, type);
		k->len = 14;
	}
	k->l3 = k->l4 = k->len;
	k->af = 0;
}

void pk_ip4(struct pkt *k, uint32_t src, uint32_t dst, unsigned proto,
		   unsigned ihl)
{
	uint8_t *h = k->b + k->l3;

	memset(h, 0, ihl * 4);
	h[0] = (uint8_t)(0x40 | ihl);
	put16(h + 4, 0x1234);	/* id */
	h[8] = 64;
	h[9] = (uint8_t)proto;
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	if (ihl > 5)
		h[20] = 1;	/* NOP options */
	k->l4 = k->len = k->l3 + ihl * 4;
	k->af = 4;
}

void pk_ip6(struct pkt *k, const uint8_t *src, const uint8_t *dst,
		   unsigned nh, unsigned hops)
{
	uint8_t *h = k->b + k->l3;

	memset(h, 0, 40);
	h[0] = 0x60;
	h[6] = (uint8_t)nh;
	h[7] = (uint8_t)hops;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	k->l4 = k->len = k->l3 + 40;
	k->af = 6;
}

void pk_data(struct pkt *k, const void *d, unsigned n)
{
	memcpy(k->b + k->len, d, n);
	k->len += n;
}

void pk_udp(struct pkt *k, unsigned sport, unsigned dport,
		   const void *payload, unsigned n)
{
	uint8_t *u = k->b + k->l4;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, 8 + n);
	put16(u + 6, 0);
	k->len = k->l4 + 8;
	pk_data(k, payload, n);
}

/* Lengths and checksums of the IP header and of UDP/ICMP/ICMPv6. */
void pk_fix(struct pkt *k)
{
	uint8_t *h = k->b + k->l3, *l4 = k->b + k->l4;

	if (k->af == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)h;

		put16(h + 2, k->len - k->l3);
		ip->hdr_checksum = 0;
		if (h[9] == IPPROTO_UDP) {
			put16(l4 + 4, k->len - k->l4);
			put16(l4 + 6, 0);
			((struct rte_udp_hdr *)l4)->dgram_cksum =
				rte_ipv4_udptcp_cksum(ip, l4);
		} else if (h[9] == IPPROTO_ICMP) {
			put16(l4 + 2, 0);
			*(uint16_t *)(l4 + 2) =
				(uint16_t)~rte_raw_cksum(l4, k->len - k->l4);
		}
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else if (k->af == 6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)h;

		put16(h + 4, k->len - k->l3 - 40);
		if (h[6] == IPPROTO_UDP) {
			put16(l4 + 4, k->len - k->l4);
			put16(l4 + 6, 0);
			((struct rte_udp_hdr *)l4)->dgram_cksum =
				rte_ipv6_udptcp_cksum(ip, l4);
		} else if (h[6] == IPPROTO_ICMPV6) {
			put16(l4 + 2, 0);
			*(uint16_t *)(l4 + 2) = rte_ipv6_udptcp_cksum(ip, l4);
		}
	}
}

void udp4(struct pkt *k, const uint8_t *dmac, int vlan, uint32_t src,
		 uint32_t dst, unsigned sport, unsigned dport,
		 const void *payload, unsigned n)
{
	pk_eth(k, dmac, PEER, vlan, 0x0800);
	pk_ip4(k, src, dst, IPPROTO_UDP, 5);
	pk_udp(k, sport, dport, payload, n);
	pk_fix(k);
}

void udp6(struct pkt *k, const uint8_t *src, const uint8_t *dst,
		 unsigned dport, const void *payload, unsigned n)
{
	pk_eth(k, MAC0, PEER, -1, 0x86dd);
	pk_ip6(k, src, dst, IPPROTO_UDP, 64);
	pk_udp(k, 40000, dport, payload, n);
	pk_fix(k);
}

void arp_frame(struct pkt *k, const uint8_t *dmac, int vlan, unsigned op,
	       const uint8_t *sha, uint32_t sip, const uint8_t *tha,
	       uint32_t tip)
{
	uint8_t *a;

	pk_eth(k, dmac, sha, vlan, 0x0806);
	a = k->b + k->len;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &sip, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tip, 4);
	k->len += 28;
}

void echo4(struct pkt *k, uint32_t src, uint32_t dst, unsigned type,
	   unsigned n)
{
	uint8_t *e;

	pk_eth(k, MAC0, PEER, -1, 0x0800);
	pk_ip4(k, src, dst, IPPROTO_ICMP, 5);
	e = k->b + k->l4;
	memset(e, 0, 8);
	e[0] = (uint8_t)type;
	put16(e + 4, 0x4242);	/* identifier */
	put16(e + 6, 7);	/* sequence */
	k->len += 8;
	for (unsigned i = 0; i < n; i++)
		k->b[k->len++] = (uint8_t)(i * 7 + 1);
	pk_fix(k);
}

void icmp6(struct pkt *k, const uint8_t *dmac, const uint8_t *src,
	   const uint8_t *dst, unsigned hops, const void *msg6, unsigned n)
{
	pk_eth(k, dmac, PEER, -1, 0x86dd);
	pk_ip6(k, src, dst, IPPROTO_ICMPV6, hops);
	pk_data(k, msg6, n);
	pk_fix(k);
}

unsigned nd_msg(uint8_t *out, unsigned type, unsigned flags,
		const uint8_t *target, unsigned opt, const uint8_t *mac)
{
	memset(out, 0, 32);
	out[0] = (uint8_t)type;
	out[4] = (uint8_t)flags;
	memcpy(out + 8, target, 16);
	if (mac == NULL)
		return 24;
	out[24] = (uint8_t)opt;
	out[25] = 1;
	memcpy(out + 26, mac, 6);
	return 32;
}

/* Fragment [ofs, ofs+len) of the IP payload of whole (a fixed IPv4 packet). */
void frag4(const struct pkt *whole, unsigned ofs, unsigned len,
		  bool mf, struct pkt *out)
{
	struct rte_ipv4_hdr *ip;

	memcpy(out->b, whole->b, whole->l4);
	memcpy(out->b + whole->l4, whole->b + whole->l4 + ofs, len);
	out->l3 = whole->l3;
	out->l4 = whole->l4;
	out->len = whole->l4 + len;
	out->af = 4;
	ip = (struct rte_ipv4_hdr *)(out->b + out->l3);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(out->l4 - out->l3 + len));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((ofs >> 3) |
							  (mf ? 0x2000 : 0)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

void frag6(const struct pkt *whole, unsigned ofs, unsigned len,
		  bool mf, uint32_t id, struct pkt *out)
{
	uint8_t *h, *fh;

	memcpy(out->b, whole->b, whole->l3 + 40);
	h = out->b + whole->l3;
	fh = h + 40;
	fh[0] = h[6];
	fh[1] = 0;
	put16(fh + 2, ofs | (mf ? 1 : 0));
	memcpy(fh + 4, &id, 4);
	h[6] = 44;
	memcpy(fh + 8, whole->b + whole->l4 + ofs, len);
	put16(h + 4, 8 + len);
	out->l3 = whole->l3;
	out->l4 = whole->l3 + 48;
	out->len = out->l4 + len;
	out->af = 6;
}

struct dp_ip ip4of(uint32_t be)
{
	struct dp_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.af = 4;
	memcpy(ip.a, &be, 4);
	return ip;
}

/* An mbuf (chain, segments of at most seg bytes when seg != 0) of the
 * bytes. */
struct rte_mbuf *mk_bytes(const uint8_t *b, unsigned len, unsigned seg)
{
	struct rte_mbuf *head = NULL;
	unsigned done = 0;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		unsigned n = len - done;

		if (m == NULL) {
			fprintf(stderr, "test pool empty\n");
			exit(2);
		}
		if (n > rte_pktmbuf_tailroom(m))
			n = rte_pktmbuf_tailroom(m);
		if (seg != 0 && n > seg)
			n = seg;
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), b + done, n);
		done += n;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			exit(2);
	} while (done < len);
	return head;
}

struct rte_mbuf *mk(const struct pkt *k)
{
	return mk_bytes(k->b, k->len, 0);
}

/* ---- running the stage ---- */

void burst_init(unsigned n)
{
	B->n = (uint16_t)n;
	for (unsigned i = 0; i < DP_BURST; i++) {
		memset(&B->p[i], 0, sizeof(B->p[i]));
		B->p[i].step = DP_STEP_CONTINUE;
		B->m[i] = NULL;
	}
}

void burst_free(void)
{
	for (unsigned i = 0; i < DP_BURST; i++) {
		rte_pktmbuf_free(B->m[i]);
		B->m[i] = NULL;
	}
}

void set_time(uint64_t t)
{
	T = t;
	w->now = mw->now = T;
}

unsigned rx1(struct rte_mbuf *m, unsigned port)
{
	burst_init(1);
	B->m[0] = m;
	B->p[0].in_port = (uint8_t)port;
	w->now = T;
	net_rx_stage(w, B);
	return B->p[0].step;
}

void clear_stats(void)
{
	memset(w->st, 0, sizeof(*w->st));
	memset(mw->st, 0, sizeof(*mw->st));
}

void expect_drop(const char *name, struct pkt *k, unsigned port,
			unsigned reason)
{
	check_ctx = name;
	CHECK_INT(rx1(mk(k), port), DP_STEP_DROP);
	if (B->p[0].step == DP_STEP_DROP && B->p[0].reason != reason)
		fprintf(stderr, "  [%s] reason %s, want %s\n", name,
			stats_drop_name(B->p[0].reason), stats_drop_name(reason));
	CHECK_INT(B->p[0].reason, reason);
	burst_free();
}

void expect_continue(const char *name, struct rte_mbuf *m,
			    unsigned port)
{
	check_ctx = name;
	CHECK_INT(rx1(m, port), DP_STEP_CONTINUE);
	if (B->p[0].step == DP_STEP_DROP)
		fprintf(stderr, "  [%s] dropped: %s\n", name,
			stats_drop_name(B->p[0].reason));
}

/* ---- transmit side ---- */

unsigned tx_take(unsigned port, struct rte_mbuf **out, unsigned max)
{
	return rte_ring_dequeue_burst(txr[port], (void **)out, max, NULL);
}

void tx_drain(void)
{
	struct rte_mbuf *m[64];
	unsigned n;

	for (unsigned p = 0; p < 2; p++)
		while ((n = tx_take(p, m, 64)) > 0)
			rte_pktmbuf_free_bulk(m, n);
}

struct rte_mbuf *msg(const void *payload, unsigned n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool_out);

	memcpy(rte_pktmbuf_append(m, (uint16_t)n), payload, n);
	return m;
}

void addr4(struct dp_addr *a, uint32_t be, unsigned port)
{
	memset(a, 0, sizeof(*a));
	a->ip.af = 4;
	memcpy(a->ip.a, &be, 4);
	a->port = (uint16_t)port;
}

void addr6(struct dp_addr *a, const uint8_t *ip, unsigned port)
{
	memset(a, 0, sizeof(*a));
	a->ip.af = 6;
	memcpy(a->ip.a, ip, 16);
	a->port = (uint16_t)port;
}

/* A flat copy of frame m. */
unsigned flat(const struct rte_mbuf *m, uint8_t *out)
{
	const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, out);

	if (p != out)
		memcpy(out, p, m->pkt_len);
	return m->pkt_len;
}

/* ---- set-up ---- */

static void setup_port(unsigned i, const char *name, const uint8_t *mac)
{
	struct rte_eth_conf conf;
	char rn[32];
	int id;

	snprintf(rn, sizeof(rn), "rx%u", i);
	rxr[i] = rte_ring_create(rn, 1024, SOCKET_ID_ANY, 0);
	snprintf(rn, sizeof(rn), "tx%u", i);
	txr[i] = rte_ring_create(rn, 1024, SOCKET_ID_ANY, 0);
	id = rte_eth_from_rings(name, &rxr[i], 1, &txr[i], 1, SOCKET_ID_ANY);
	if (rxr[i] == NULL || txr[i] == NULL || id < 0) {
		fprintf(stderr, "ring port %s: %s\n", name,
			rte_strerror(rte_errno));
		exit(2);
	}
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure((uint16_t)id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup((uint16_t)id, 0, 256, SOCKET_ID_ANY, NULL,
				   pool) != 0 ||
	    rte_eth_tx_queue_setup((uint16_t)id, 0, 256, SOCKET_ID_ANY,
				   NULL) != 0 ||
	    rte_eth_dev_start((uint16_t)id) != 0) {
		fprintf(stderr, "ring port %s: set-up failed\n", name);
		exit(2);
	}
	dp->ports[i].port_id = (uint16_t)id;
	dp->ports[i].idx = (uint8_t)i;
	snprintf(dp->ports[i].name, sizeof(dp->ports[i].name), "%s", name);
	memcpy(dp->ports[i].mac.addr_bytes, mac, 6);
	dp->ports[i].mtu = 1500;
	dp->ports[i].nb_rxq = dp->ports[i].nb_txq = 1;
}

static struct worker *mk_worker(unsigned id)
{
	struct worker *x = rte_zmalloc("w", sizeof(*x), RTE_CACHE_LINE_SIZE);

	x->id = id;
	x->lcore = rte_lcore_id();
	x->dp = dp;
	x->pool = pool;
	x->pool_out = pool_out;
	x->pool_ind = pool_ind;
	x->st = &dp->stats[id];
	for (unsigned p = 0; p < DP_MAX_PORTS; p++)
		x->txq[p].queue = 0;
	dp->workers[id] = x;
	return x;
}

static void setup(int argc, char **argv)
{
	char prefix[64], lcores[64];
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "-m", "256",
			"--file-prefix", prefix, "--lcores", lcores,
			"--log-level", "*:error", NULL };
	struct cfg *c;
	cpu_set_t cs;
	int cpu[2] = { -1, -1 };

	RTE_SET_USED(argc);
	snprintf(prefix, sizeof(prefix), "test-net-%d", (int)getpid());
	CPU_ZERO(&cs);
	if (sched_getaffinity(0, sizeof(cs), &cs) == 0)
		for (int i = 0; i < CPU_SETSIZE && cpu[1] < 0; i++)
			if (CPU_ISSET(i, &cs))
				cpu[cpu[0] < 0 ? 0 : 1] = i;
	if (cpu[0] < 0)
		cpu[0] = 0;
	if (cpu[1] < 0)
		cpu[1] = cpu[0];
	snprintf(lcores, sizeof(lcores), "0@%d,1@%d", cpu[0], cpu[1]);
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		exit(2);
	}
	hz = rte_get_tsc_hz();
	pool = rte_pktmbuf_pool_create("pool", 8191, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	pool_ind = rte_pktmbuf_pool_create("ind", 2047, 0, 0, 0, SOCKET_ID_ANY);
	pool_out = rte_pktmbuf_pool_create("out", 255, 0, 0, UINT16_MAX,
					   SOCKET_ID_ANY);
	dp = rte_zmalloc("dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	B = rte_zmalloc("burst", sizeof(*B), RTE_CACHE_LINE_SIZE);
	if (pool == NULL || pool_ind == NULL || pool_out == NULL || dp == NULL ||
	    B == NULL) {
		fprintf(stderr, "set-up: out of memory\n");
		exit(2);
	}
	dp->stats = rte_zmalloc("st", 2 * sizeof(*dp->stats),
				RTE_CACHE_LINE_SIZE);
	dp->tsc_hz = hz;
	dp->n_workers = 1;
	dp->pool = pool;
	dp->pool_ind = pool_ind;

	c = &dp->cfg;
	c->sip_ports[0] = 5060;
	c->sip_ports[1] = 5080;
	c->n_sip_ports = 2;
	c->limits.max_message = 8000;
	c->limits.mbufs = 8191;
	c->limits.frag_flows = 64;
	c->limits.frag_timeout_ms = 2000;
	c->limits.neigh_ttl_s = 300;
	c->limits.neigh_queue = 4;
	c->n_ports = 2;
	c->ports[1].neigh[0].ip.af = 4;
	memcpy(c->ports[1].neigh[0].ip.a, (uint8_t[]){ 192, 168, 1, 9 }, 4);
	memcpy(c->ports[1].neigh[0].mac, (uint8_t[]){ 2, 0, 0, 0, 0, 9 }, 6);
	c->ports[1].n_neigh = 1;

	dp->n_ports = 2;
	setup_port(0, "access0", MAC0);
	setup_port(1, "core0", MAC1);
	dp->ports[0].ip4.af = 4;
	memcpy(dp->ports[0].ip4.a, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	dp->ports[0].plen4 = 24;
	dp->ports[0].gw4.af = 4;
	memcpy(dp->ports[0].gw4.a, (uint8_t[]){ 10, 0, 0, 254 }, 4);
	dp->ports[0].ip6.af = 6;
	memcpy(dp->ports[0].ip6.a, ME6, 16);
	dp->ports[0].plen6 = 64;
	dp->ports[0].gw6.af = 6;
	memcpy(dp->ports[0].gw6.a,
	       (uint8_t[]){ 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	       16);
	dp->ports[1].ip4.af = 4;
	memcpy(dp->ports[1].ip4.a, (uint8_t[]){ 192, 168, 1, 1 }, 4);
	dp->ports[1].plen4 = 24;
	dp->ports[1].vlan = 100;

	w = mk_worker(0);
	mw = mk_worker(1);
	w->exc = rte_ring_create("exc", 1024, SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (net_init(dp) != 0) {
		fprintf(stderr, "net_init failed\n");
		exit(2);
	}
	set_time(rte_rdtsc());
}

/* net_raw_sum against DPDK's rte_raw_cksum: every length 0..2048 at every
 * alignment 0..7, random bytes and all-0xff (the carry-heavy case); then
 * lengths up to the largest datagram. */
static void test_raw_sum(void)
{
	static uint8_t buf[2048 + 8];

	check_ctx = "net_raw_sum = rte_raw_cksum";
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < sizeof(buf); i++)
			buf[i] = pass ? 0xff : (uint8_t)rte_rand();
		for (unsigned a = 0; a < 8; a++)
			for (unsigned n = 0; n <= 2048; n++)
				if (net_raw_sum(buf + a, n) != rte_raw_cksum(buf + a, n)) {
					CHECK_INT(net_raw_sum(buf + a, n), rte_raw_cksum(buf + a, n));
					return;
				}
	}
	/* the largest datagram's worth, all 0xff: the most any lane adds */
	{
		static uint8_t big[65535 + 8];

		memset(big, 0xff, sizeof(big));
		big[100] = 0x12; /* and one word that is not */
		for (unsigned a = 0; a < 8; a++)
			for (unsigned n = 65535 - 64; n <= 65535; n += 7)
				if (net_raw_sum(big + a, n) != rte_raw_cksum(big + a, n)) {
					CHECK_INT(net_raw_sum(big + a, n), rte_raw_cksum(big + a, n));
					return;
				}
	}
	CHECK(1);
}

int main(int argc, char **argv)
{
	setup(argc, argv);
	test_raw_sum();
	test_rx_valid();
	test_rx_drops();
	test_rx_exceptions();
	test_frag4();
	test_frag6();
	test_bursts();
	test_exception_replies();
	test_send();
	test_resolve();
	test_neigh_table();
	test_neigh_concurrent();
	check_ctx = "teardown";
	tx_drain();
	net_fini(dp);
	CHECK(dp->ports[0].neigh == NULL && w->frag == NULL);
	rte_eal_cleanup();
	return check_summary();
}
