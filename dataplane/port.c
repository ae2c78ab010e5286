/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * port.c - bring up the configured ports: find each device, choose its queues
 * (one rx queue, read by one worker that spreads by the IP-address hash in
 * software; one tx queue per worker and one for the main lcore when the
 * device has them), offloads, MTU, start.
 * Main lcore, start-up and shutdown only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "port.h"
#include "proxy_priv.h"

static void fill_addr_strings(struct dp_port *pt)
{
	if (pt->ip4.af)
		pt->ip4_len = (uint8_t)px_fmt_ip(&pt->ip4, false, pt->ip4_str);
	if (pt->ip6.af)
		pt->ip6_len = (uint8_t)px_fmt_ip(&pt->ip6, true, pt->ip6_str);
}

static int port_one(struct dp *dp, unsigned idx)
{
	const struct cfg_port *cp = &dp->cfg.ports[idx];
	struct dp_port *pt = &dp->ports[idx];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_txconf txconf;
	char name[CFG_DEV_MAX];
	uint16_t pid, rxd = cp->rx_desc, txd = cp->tx_desc;
	unsigned nw = dp->n_workers;
	int rc;

	cfg_port_devname(cp, name, sizeof(name));
	rc = rte_eth_dev_get_port_by_name(name, &pid);
	if (rc != 0) {
		fprintf(stderr, "port %s: device \"%s\" not found (%s)\n", cp->name, name,
			strerror(-rc));
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0)
		return rc;

	memset(pt, 0, sizeof(*pt));
	pt->port_id = pid;
	pt->idx = (uint8_t)idx;
	pt->role = cp->role;
	memcpy(pt->name, cp->name, sizeof(pt->name)); /* both NUL-terminated, same size */
	pt->ip4 = cp->ip4;
	pt->ip6 = cp->ip6;
	pt->plen4 = cp->plen4;
	pt->plen6 = cp->plen6;
	pt->gw4 = cp->gw4;
	pt->gw6 = cp->gw6;
	pt->mtu = cp->mtu;
	pt->vlan = cp->vlan;
	fill_addr_strings(pt);

	memset(&conf, 0, sizeof(conf));
	/* Hardware RSS stays off until it can be shown to hash on the IP
	 * addresses alone: ethdev's L3_SRC_ONLY|L3_DST_ONLY together mean
	 * "both, and the ports too" for the UDP flow types, which would send
	 * a datagram's fragments and its unfragmented packets, and one
	 * source's packets, to different workers. Software spreading by the
	 * same IP hash is exact on every device; an rte_flow RSS rule per NIC
	 * is the way to bring the hardware back (docs/dataplane.md). */
	pt->rss = false;
	pt->nb_rxq = pt->rss ? (uint16_t)nw : 1;
	/* a queue per worker and one for the main lcore; with fewer, the main
	 * lcore's frames go through worker 0 (port.h) */
	pt->nb_txq = (uint16_t)RTE_MIN((unsigned)info.max_tx_queues, nw + 1);
	if (pt->nb_txq < nw) {
		fprintf(stderr,
			"port %s: device \"%s\" has %u tx queues, %u workers need one each "
			"(for net_af_packet, add qpairs=%u to the vdev)\n",
			cp->name, name, info.max_tx_queues, nw, nw);
		return -EINVAL;
	}
	if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM) == RTE_ETH_RX_OFFLOAD_CHECKSUM) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM;
		pt->rx_cksum = true;
	}
	if ((info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) ==
	    (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		pt->tx_cksum = true;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;

	rc = rte_eth_dev_configure(pid, pt->nb_rxq, pt->nb_txq, &conf);
	if (rc != 0) {
		fprintf(stderr, "port %s: configure (%u rx, %u tx queues) failed: %s\n",
			cp->name, pt->nb_rxq, pt->nb_txq, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc != 0)
		return rc;
	/* the MTU of the port is the IP MTU; devices that cannot set it (a
	 * pcap file) keep theirs, and we fragment to ours */
	rc = rte_eth_dev_set_mtu(pid, cp->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		RTE_LOG(WARNING, USER1, "port %s: cannot set MTU %u: %s\n", cp->name,
			cp->mtu, strerror(-rc));
	for (uint16_t q = 0; q < pt->nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, rxd, rte_eth_dev_socket_id(pid), NULL,
					    dp->pool);
		if (rc != 0) {
			fprintf(stderr, "port %s: rx queue %u: %s\n", cp->name, q, strerror(-rc));
			return rc;
		}
	}
	txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	for (uint16_t q = 0; q < pt->nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, txd, rte_eth_dev_socket_id(pid), &txconf);
		if (rc != 0) {
			fprintf(stderr, "port %s: tx queue %u: %s\n", cp->name, q, strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_macaddr_get(pid, &pt->mac);
	if (rc != 0)
		return rc;
	/* ARP broadcasts and ND multicasts must come in */
	rte_eth_allmulticast_enable(pid);
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		fprintf(stderr, "port %s: start failed: %s\n", cp->name, strerror(-rc));
		return rc;
	}
	dp->port_idx[pid] = (uint8_t)idx;
	RTE_LOG(INFO, USER1,
		"port %s (%s): ethdev %u, MAC " RTE_ETHER_ADDR_PRT_FMT ", %u rx queue(s)%s, "
		"%u tx queue(s), checksums %s\n",
		cp->name, name, pid, RTE_ETHER_ADDR_BYTES(&pt->mac), pt->nb_rxq,
		pt->rss ? " with RSS on IP addresses" : " (software spreading)",
		pt->nb_txq, pt->tx_cksum ? "offloaded" : "in software");
	return 0;
}

int port_init(struct dp *dp)
{
	memset(dp->port_idx, 0xff, sizeof(dp->port_idx));
	for (unsigned i = 0; i < dp->cfg.n_ports; i++) {
		int rc = port_one(dp, i);

		if (rc != 0) {
			dp->n_ports = i;
			return rc;
		}
		dp->n_ports = i + 1;
	}
	return 0;
}

void port_fini(struct dp *dp)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
	dp->n_ports = 0;
}

bool port_main_has_txq(const struct dp *dp, unsigned idx)
{
	return dp->ports[idx].nb_txq > dp->n_workers;
}
