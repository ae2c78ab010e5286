/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * dp.h - the types every part of the dataplane shares: addresses, the
 * per-packet verdict a stage leaves, the burst, the worker, the ports and the
 * process-wide read-only state.
 *
 * Threads: struct dp is written by the main lcore during start-up only and
 * read by every lcore afterwards; its run-time mutable parts (backend table,
 * neighbour tables) have their own publication rules, described where they
 * are declared. A struct worker belongs to exactly one lcore.
 */
#ifndef SIPEDGE_DP_H
#define SIPEDGE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sip.h"
#include "stats.h"

#define DP_BURST		32u
#define DP_MAX_PORTS		8u
#define DP_MAX_WORKERS		16u
#define DP_MAX_BACKENDS		64u
#define DP_MAX_SIP_PORTS	8u

enum dp_role {
	DP_ROLE_ACCESS = 0, /* the internet side: phones, PBXs, trunks */
	DP_ROLE_CORE = 1,   /* the backends' side */
};

/* An IP address: af is 4 or 6 (0 for none); an IPv4 address is in a[0..3],
 * network byte order, and a[4..15] are zero so that memcmp of the whole
 * struct compares addresses. */
struct dp_ip {
	uint8_t af;
	uint8_t a[16];
};

/* An IP address and a UDP port (host byte order). */
struct dp_addr {
	struct dp_ip ip;
	uint16_t port;
};

/* What a stage decided for one packet. */
enum dp_step {
	DP_STEP_CONTINUE = 0, /* go on to the next stage */
	DP_STEP_DROP,	      /* free it; reason counted */
	DP_STEP_REPLY,	      /* answer it ourselves (reply_code); then free */
	DP_STEP_FORWARD,      /* send pkt.out (built by proxy); free the input */
	DP_STEP_EXCEPTION,    /* hand the input mbuf to the main lcore */
	DP_STEP_HELD,	      /* the mbuf is no longer ours (kept by the
			       * reassembly table); slot is empty */
};

/* The per-packet metadata of a burst slot. DESIGN.md puts the SIP index "in
 * the packet's metadata"; a struct sip_msg is 1.4 KB, too big for the mbuf's
 * private area, so it lives in the burst beside the mbuf pointer. */
struct dp_pkt {
	uint8_t step;		/* enum dp_step */
	uint8_t reason;		/* enum stats_drop when DROP */
	uint16_t reply_code;	/* REPLY: 400, 483, 503, ... */
	uint8_t in_port;	/* index into dp.ports */
	uint8_t out_port;	/* FORWARD: index into dp.ports */
	uint8_t exc;		/* EXCEPTION: enum dp_exc */
	uint8_t sip_err;	/* REPLY 400: enum sip_err from the parser */
	struct dp_addr src;	/* the packet's source IP and UDP port */
	struct dp_addr dst;	/* its destination IP and UDP port */
	struct dp_addr out_src; /* FORWARD: our address to send from */
	struct dp_addr out_dst; /* FORWARD: where to */
	const char *sip;	/* the UDP payload, contiguous */
	uint32_t sip_len;
	uint16_t reply_phrase_len;
	bool rule_reply;	/* REPLY: decided by a reject rule */
	struct rte_mbuf *out;	/* FORWARD: the message to send (SIP payload
				 * only; net_send() adds UDP/IP/Ethernet) */
	const char *reply_phrase; /* REPLY: the reason phrase, or NULL for the
				 * code's own; points into the ruleset, valid
				 * until the worker's next quiescent state */
};

/* Why a packet goes to the main lcore. */
enum dp_exc {
	DP_EXC_NONE = 0,
	DP_EXC_ARP,	      /* ARP for one of our IPv4 addresses */
	DP_EXC_ICMP,	      /* ICMP to us (echo) */
	DP_EXC_ICMP6,	      /* ICMPv6 to us (ND, echo) */
	DP_EXC_PROBE_REPLY,   /* a response to a backend health probe */
	DP_EXC_RESOLVE,	      /* an outgoing packet whose next hop has no MAC
			       * yet; see struct dp_resolve */
};

struct dp_burst {
	uint16_t n;
	struct rte_mbuf *m[DP_BURST];
	struct dp_pkt p[DP_BURST];
	struct sip_msg msg[DP_BURST];
};

/* A port as the dataplane runs it (filled from cfg at start-up, read-only). */
struct dp_port {
	uint16_t port_id;	  /* DPDK ethdev id */
	uint8_t idx;		  /* index in dp.ports */
	uint8_t role;		  /* enum dp_role */
	char name[32];
	struct rte_ether_addr mac;
	struct dp_ip ip4, ip6;	  /* af 0 when not configured */
	uint8_t plen4, plen6;	  /* prefix lengths of the on-link subnets */
	struct dp_ip gw4, gw6;	  /* default gateways, af 0 when none */
	char ip4_str[16];	  /* "10.0.0.1": as we write it in SIP */
	char ip6_str[48];	  /* "[fd00::1]": with the brackets */
	uint8_t ip4_len, ip6_len;
	uint16_t mtu;		  /* IP MTU */
	uint16_t vlan;		  /* 802.1Q VID, 0 for untagged */
	uint16_t nb_rxq;	  /* rx queues; 1 when software spreading */
	uint16_t nb_txq;	  /* one per worker plus one for the main lcore */
	bool rss;		  /* hardware RSS on IP addresses */
	bool rx_cksum;		  /* the NIC checks IPv4/UDP checksums */
	bool tx_cksum;		  /* the NIC fills IPv4/UDP checksums */
	struct neigh_table *neigh; /* written by the main lcore only */
};

struct worker;

#endif /* SIPEDGE_DP_H */
