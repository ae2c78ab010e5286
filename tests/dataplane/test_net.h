/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_net.h - what the files of the net-unit test share: the EAL set-up's
 * objects (test_net.c), frame builders, the stage runner and the cases.
 *
 * The set-up: port 0 "access0" (MAC0, 10.0.0.1/24 gw 10.0.0.254, fd00::1/64
 * gw fe80::1, untagged), port 1 "core0" (MAC1, 192.168.1.1/24, VLAN 100, no
 * gateway, static neighbour 192.168.1.9); SIP ports 5060 and 5080;
 * limits.max_message 8000, neigh_queue 4, neigh_ttl_s 300. Worker w (id 0,
 * exception ring w->exc) and the main lcore's mw (id 1). Both ports are
 * net_ring devices whose tx rings are txr[0], txr[1].
 */
#ifndef SIPEDGE_TEST_NET_H
#define SIPEDGE_TEST_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "check.h"
#include "neigh.h"
#include "net.h"
#include "worker.h"

#define MAXPKT 70000

extern struct dp *dp;
extern struct worker *w, *mw;
extern struct rte_mempool *pool, *pool_ind, *pool_out;
extern struct rte_ring *txr[2], *rxr[2];
extern struct dp_burst *B;
extern uint64_t T, hz;

extern const uint8_t MAC0[6], MAC1[6], PEER[6], GWMAC[6], OTHER[6], BCAST[6];
extern const uint8_t ME6[16], PEER6[16], SN_ME6[16];
extern const char SIPMSG[];
extern uint8_t fb[MAXPKT], dg[MAXPKT], hdrbuf[MAXPKT];

/* A frame being built: l3 and l4 are the offsets of the IP header and of
 * what follows it; af 4 or 6 once an IP header is in. */
struct pkt {
	uint8_t b[MAXPKT];
	unsigned len, l3, l4;
	int af;
};

uint32_t ip4be(unsigned a, unsigned b, unsigned c, unsigned d);
struct dp_ip ip4of(uint32_t be);	/* a dp_ip of a network-order IPv4 */
void put16(uint8_t *p, unsigned v);
unsigned get16(const uint8_t *p);

/* Builders: Ethernet (vlan -1: untagged), IPv4 (ihl words), IPv6, bytes,
 * UDP; pk_fix sets lengths and checksums of IP and UDP/ICMP/ICMPv6. */
void pk_eth(struct pkt *k, const uint8_t *dst, const uint8_t *src, int vlan,
	    unsigned type);
void pk_ip4(struct pkt *k, uint32_t src, uint32_t dst, unsigned proto,
	    unsigned ihl);
void pk_ip6(struct pkt *k, const uint8_t *src, const uint8_t *dst,
	    unsigned nh, unsigned hops);
void pk_data(struct pkt *k, const void *d, unsigned n);
void pk_udp(struct pkt *k, unsigned sport, unsigned dport,
	    const void *payload, unsigned n);
void pk_fix(struct pkt *k);
/* Whole UDP datagrams, from PEER (sport 40000 for udp6). */
void udp4(struct pkt *k, const uint8_t *dmac, int vlan, uint32_t src,
	  uint32_t dst, unsigned sport, unsigned dport, const void *payload,
	  unsigned n);
void udp6(struct pkt *k, const uint8_t *src, const uint8_t *dst,
	  unsigned dport, const void *payload, unsigned n);
/* An ARP packet (from sha); an ICMP echo (request 8 / reply 0) of n
 * payload bytes from PEER to MAC0; an ICMPv6 message from PEER; the body
 * of a NS (135) or NA (136) with one link-layer option (opt 1 source, 2
 * target) unless mac is NULL: returns its length. */
void arp_frame(struct pkt *k, const uint8_t *dmac, int vlan, unsigned op,
	       const uint8_t *sha, uint32_t sip, const uint8_t *tha,
	       uint32_t tip);
void echo4(struct pkt *k, uint32_t src, uint32_t dst, unsigned type,
	   unsigned n);
void icmp6(struct pkt *k, const uint8_t *dmac, const uint8_t *src,
	   const uint8_t *dst, unsigned hops, const void *msg6, unsigned n);
unsigned nd_msg(uint8_t *out, unsigned type, unsigned flags,
		const uint8_t *target, unsigned opt, const uint8_t *mac);
/* Fragment [ofs, ofs+len) of the IP payload of a whole datagram. */
void frag4(const struct pkt *whole, unsigned ofs, unsigned len, bool mf,
	   struct pkt *out);
void frag6(const struct pkt *whole, unsigned ofs, unsigned len, bool mf,
	   uint32_t id, struct pkt *out);

/* mbufs of bytes (seg: at most that many bytes per segment; 0: full). */
struct rte_mbuf *mk_bytes(const uint8_t *b, unsigned len, unsigned seg);
struct rte_mbuf *mk(const struct pkt *k);

/* The stage over B: slots reset to CONTINUE on port 0. */
void burst_init(unsigned n);
void burst_free(void);
void set_time(uint64_t t);
unsigned rx1(struct rte_mbuf *m, unsigned port);
void clear_stats(void);
void expect_drop(const char *name, struct pkt *k, unsigned port,
		 unsigned reason);
void expect_continue(const char *name, struct rte_mbuf *m, unsigned port);

/* What the ports transmitted; messages for net_send; addresses. */
unsigned tx_take(unsigned port, struct rte_mbuf **out, unsigned max);
void tx_drain(void);
struct rte_mbuf *msg(const void *payload, unsigned n);
void addr4(struct dp_addr *a, uint32_t be, unsigned port);
void addr6(struct dp_addr *a, const uint8_t *ip, unsigned port);
unsigned flat(const struct rte_mbuf *m, uint8_t *out);

/* test_net_rx.c */
void test_rx_valid(void);
void test_rx_drops(void);
void test_rx_exceptions(void);
void test_frag4(void);
void test_frag6(void);
void test_bursts(void);

/* test_net_tx.c */
void test_exception_replies(void);
void test_send(void);
void test_resolve(void);

/* test_neigh.c */
void test_neigh_table(void);
void test_neigh_concurrent(void);

#endif /* SIPEDGE_TEST_NET_H */
