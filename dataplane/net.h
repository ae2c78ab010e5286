/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * net.h - layers 2 to 4: the ingress stage (Ethernet, VLAN, IPv4/IPv6,
 * reassembly, UDP), the egress path (UDP/IP/Ethernet headers, checksums,
 * fragmentation, next-hop resolution, transmit buffers) and the main lcore's
 * exception handling (ARP, ICMP echo, IPv6 ND, packets waiting for a MAC).
 */
#ifndef SIPEDGE_NET_H
#define SIPEDGE_NET_H

#include "dp.h"
#include "worker.h"

/* net_rx_stage - the l2/l3/l4 stage of a worker.
 * For each slot with step CONTINUE (p->in_port set by the caller): checks
 * Ethernet (our MAC, broadcast or multicast), the VLAN, IPv4/IPv6 headers and
 * checksums, that the destination is one of the port's addresses,
 * reassembles fragments (the slot becomes HELD while a datagram is
 * incomplete; a completed datagram replaces the slot's mbuf), checks UDP
 * length and checksum and the listen port. A SIP datagram stays CONTINUE with
 * p->src, p->dst, p->sip, p->sip_len set (a multi-segment datagram is copied
 * to w->linear[i]). ARP, ICMP/ICMPv6 to us become EXCEPTION. Everything else
 * is DROP with its reason. Worker lcores only (or the main lcore for its own
 * worker struct). What is accepted and why: net_rx.c.
 *
 * Contract with the caller (dispatch):
 * - p->sip == NULL with p->sip_len > 0: the datagram is longer than
 *   limits.max_message (sip_len is its real length) and was not copied; the
 *   proxy answers 513 or drops it. Otherwise p->sip points into the mbuf or
 *   into w->linear[i], valid until the slot's mbuf is freed or the next
 *   burst.
 * - HELD: m[i] is NULL. A fragment the reassembly refused is HELD too and
 *   already counted (frag_bad): its mbuf is on the worker's death row, freed
 *   at the end of this stage. Expired fragments are counted frag_timeout.
 * - DROP: the mbuf is still in m[i]; the caller counts p->reason and frees.
 * - EXCEPTION: m->hash.usr is set (p->exc | p->in_port << 8), as
 *   net_exception() wants it; the caller enqueues it on w->exc and counts
 *   exceptions / exc_ring_full.
 * - rx_pkts/rx_bytes (worker and port) are counted here, for every slot
 *   that entered with step CONTINUE. */
void net_rx_stage(struct worker *w, struct dp_burst *b);

/* The most net_send puts in front of a UDP payload: Ethernet, a VLAN tag,
 * IPv6, UDP. */
#define NET_HDR_ROOM	(14u + 4u + 40u + 8u)

/* net_send - send one UDP datagram.
 * m holds the UDP payload only, contiguous, with at least NET_HDR_ROOM
 * bytes of headroom. Adds UDP, IPv4 or IPv6 (by
 * dst->ip.af) and Ethernet (+VLAN) headers, fills the checksums (or asks the
 * NIC), fragments when the datagram exceeds the port's MTU, looks up the next
 * hop's MAC and queues the frame(s) on w's tx buffer of that port; a next hop
 * without a MAC sends the frame to the main lcore (DP_EXC_RESOLVE).
 * Consumes m in every case. Returns 0, or -(enum stats_drop) already counted
 * in w->st. */
int net_send(struct worker *w, struct rte_mbuf *m, unsigned port,
	     const struct dp_addr *src, const struct dp_addr *dst);
/* (net_send, continued) The next hop is dst when inside the port's on-link
 * subnet (ip4/plen4, ip6/plen6; IPv6 link-local too), else the port's
 * gateway of dst's family (none: ip_no_route). A next hop without a MAC: a
 * worker hands the frame to the main lcore through w->exc (counting
 * exceptions, or exc_ring_full); the main lcore (w->id == dp->n_workers)
 * queues it on the neighbour entry directly. Frames are counted tx_* when
 * flushed, not here. */

/* net_tx_flush - transmit what w has buffered on every port; count what the
 * queue refused (tx_full, port tx_drop) and free it. Any lcore, for its own
 * worker struct. The main lcore's frames for a port where it has no tx queue
 * (dp->main_tx[port] set, port.h) go to that ring for worker 0 instead. */
void net_tx_flush(struct worker *w);

/* net_exception - main lcore: handle one packet a worker handed over (ARP,
 * ICMP, ICMPv6, RESOLVE). m->hash.usr holds (exc | port_idx << 8). Consumes
 * m. */
void net_exception(struct worker *mw, struct rte_mbuf *m);

/* net_timer - main lcore, called every few milliseconds: neighbour entries
 * refreshed before they expire and removed after, resolution retried and
 * given up (neigh_failed). */
void net_timer(struct worker *mw);

/* net_init - start-up: neighbour tables for every port (with the static
 * entries of cfg), reassembly tables and linear buffers for every worker
 * (dp->workers[0..n_workers], the main lcore's included; NULL ones are
 * skipped). Call after the workers' structs exist and the ports are
 * configured (dp_port filled). Returns 0 or -errno with a message on
 * stderr; on error everything it made is freed again. */
int net_init(struct dp *dp);

/* net_fini - frees what net_init made (and the frames still waiting for a
 * MAC or held by reassembly). Main lcore, workers stopped. */
void net_fini(struct dp *dp);

#endif /* SIPEDGE_NET_H */
