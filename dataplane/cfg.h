/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cfg.h - the dataplane's YAML configuration (docs/config.md).
 *
 * cfg_load() reads one file into a struct cfg, checks every key against the
 * table in cfg_keys.def (type, bounds, default) and the relations between
 * keys (a worker core twice, a backend port 0, two ports with one device...).
 * It allocates nothing that outlives it: struct cfg is plain data.
 * Main lcore / start-up only.
 */
#ifndef SIPEDGE_CFG_H
#define SIPEDGE_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dp.h"

#define CFG_MAX_EAL_EXTRA	32u
#define CFG_MAX_STATIC_NEIGH	16u
#define CFG_NAME_MAX		32u
#define CFG_DEV_MAX		256u
#define CFG_PATH_MAX		108u	/* sockaddr_un.sun_path, with its NUL */

struct cfg_neigh {
	struct dp_ip ip;
	uint8_t mac[6];
};

struct cfg_port {
	char name[CFG_NAME_MAX];  /* ports[].name: the operator's name, "access0" */
	char dev[CFG_DEV_MAX];	  /* ports[].pci "0000:03:00.0", or
				   * ports[].vdev "net_af_packet0,iface=veth0" */
	bool is_vdev;
	uint8_t role;		  /* enum dp_role: ports[].role access|core */
	struct dp_ip ip4, ip6;	  /* ports[].ipv4 / ipv6 "10.0.0.1/24" */
	uint8_t plen4, plen6;
	struct dp_ip gw4, gw6;	  /* ports[].gateway4 / gateway6 */
	uint16_t mtu;		  /* ports[].mtu, IP MTU, default 1500 */
	uint16_t vlan;		  /* ports[].vlan, 0 = untagged */
	uint16_t rx_desc, tx_desc; /* ports[].rx_desc / tx_desc */
	struct cfg_neigh neigh[CFG_MAX_STATIC_NEIGH]; /* ports[].neighbours */
	unsigned n_neigh;
};

struct cfg_backend {
	char name[CFG_NAME_MAX];  /* backends[].name */
	struct dp_addr addr;	  /* backends[].address "10.0.2.2:5060" / "[fd00::2]:5060" */
	uint16_t weight;	  /* backends[].weight 1..1000, default 100 */
	bool enabled;		  /* backends[].enabled, default true */
};

struct cfg {
	char path[512];		  /* the file it came from */

	struct {
		char name[CFG_NAME_MAX];  /* node.name; absent: the host name up
					   * to its first dot (cfg_check) */
	} node;

	struct {
		uint16_t main_lcore;	  /* eal.main_lcore, default 0 */
		char file_prefix[64];	  /* eal.file_prefix, default "sipedge" */
		bool no_pci;		  /* eal.no_pci: true when no port uses pci */
		bool huge;		  /* eal.hugepages, default true */
		uint32_t memory_mb;	  /* eal.memory_mb, 0 = EAL default */
		char extra[CFG_MAX_EAL_EXTRA][128]; /* eal.extra_args */
		unsigned n_extra;
	} eal;

	uint16_t workers[DP_MAX_WORKERS]; /* workers: lcore ids */
	unsigned n_workers;

	uint16_t sip_ports[DP_MAX_SIP_PORTS]; /* sip.listen_ports, default [5060] */
	unsigned n_sip_ports;

	struct cfg_port ports[DP_MAX_PORTS];
	unsigned n_ports;

	struct cfg_backend backends[DP_MAX_BACKENDS];
	unsigned n_backends;

	struct {
		uint32_t interval_ms;	  /* probe.interval_ms, default 2000 */
		uint32_t timeout_ms;	  /* probe.timeout_ms, default 1000 */
		uint8_t down_after;	  /* probe.down_after, default 3 */
		uint8_t up_after;	  /* probe.up_after, default 2 */
	} probe;

	struct {
		uint8_t secret[16];	  /* proxy.secret: 32 hex digits */
		bool has_secret;	  /* false: a random one at start-up */
		uint16_t retry_after;	  /* proxy.retry_after_s (503), default 5 */
		bool reply_malformed;	  /* proxy.reply_malformed: 400 (true,
					   * default) or drop */
		bool record_route;	  /* proxy.record_route, default true */
		char server[64];	  /* proxy.server: Server header of our
					   * replies, default "sipedge" */
	} proxy;

	struct {
		uint32_t max_message;	  /* limits.max_message, default 16384 */
		uint16_t max_headers;	  /* limits.max_headers, default 64 */
		uint16_t max_line;	  /* limits.max_line, default 4096 */
		uint32_t mbufs;		  /* limits.mbufs, default 16384 */
		uint32_t mbuf_size;	  /* limits.mbuf_size: rx data room, 2048 */
		uint32_t frag_flows;	  /* limits.frag_flows, default 4096 */
		uint32_t frag_timeout_ms; /* limits.frag_timeout_ms, default 2000 */
		uint32_t neigh_ttl_s;	  /* limits.neigh_ttl_s, default 300 */
		uint32_t neigh_queue;	  /* limits.neigh_queue: packets waiting
					   * for one next hop, default 16 */
	} limits;

	struct {
		uint32_t ban_table_size;   /* rules.ban_table_size, default
					    * 65536, a power of two */
		uint32_t max_blob_bytes;   /* rules.max_blob_bytes, default
					    * 64 MiB */
		bool filter_core_side;	   /* rules.filter_core_side, default
					    * false */
	} rules;

	struct {
		char socket[CFG_PATH_MAX]; /* agent.socket; absent:
					    * /run/sipedge/<node.name>.agent */
		uint8_t max_clients;	   /* agent.max_clients, default 4 */
		uint16_t idle_evict_s;	   /* agent.idle_evict_s, default 30 */
		char group[CFG_NAME_MAX];  /* agent.group; "" : root's */
		bool unix_socket;	   /* agent.unix_socket, default true */
		struct dp_addr listen;	   /* agent.listen; port 0: none */
		char psk_file[CFG_PATH_MAX]; /* agent.psk_file */
		char psk_identity[64];	   /* agent.psk_identity; absent:
					    * node.name (cfg_check) */
		uint32_t handshake_timeout_ms; /* agent.handshake_timeout_ms,
						* default 5000 */
	} agent;
};

/* cfg_load - read and check one YAML file.
 * Returns 0, or -EINVAL (bad content) / -errno (I/O) with a one-line message
 * in err naming the file, line, key and value:
 *   sipedge.yaml:12: ports[1].mtu: "70000" out of range [576, 9000]
 * On error *c is left in an unspecified state. */
int cfg_load(const char *path, struct cfg *c, char *err, size_t errlen);

/* cfg_defaults - every key at its default (no ports, no backends). */
void cfg_defaults(struct cfg *c);

/* cfg_eal_args - the EAL argv for this config: argv[0] "sipedge", -l with the
 * main lcore and the workers, --main-lcore, --file-prefix, --no-pci when no
 * port is a PCI device (and -a for each PCI device otherwise), --vdev for
 * each vdev port, --no-huge/-m, then eal.extra_args, then extra[] (the
 * command line's own pass-through). Strings point into c, extra, or static
 * storage of cfg.c that lives as long as the process (the lcore list and
 * numbers; overwritten by the next call). argv[argc] is NULL when max leaves
 * room for it. Returns argc, or -E2BIG if more than max. */
int cfg_eal_args(const struct cfg *c, char **argv, int max,
		 char *const *extra, int n_extra);

/* Parses "a.b.c.d", "x::y" into *ip. Returns 0 or -EINVAL. */
int cfg_parse_ip(const char *s, struct dp_ip *ip);

/* Formats *ip (and port when non-zero, "[v6]:port" style) into buf. */
const char *cfg_fmt_addr(const struct dp_ip *ip, uint16_t port, char *buf,
			 size_t len);

/* cfg_port_devname - the name the EAL gives p's device, for
 * rte_eth_dev_get_port_by_name(): a vdev's name (the part before its first
 * comma, "net_af_packet0"), or the PCI address in full form
 * ("0000:03:00.0", as cfg_load stores it). Returns buf. */
const char *cfg_port_devname(const struct cfg_port *p, char *buf, size_t len);

/* cfg_doc_keys - the key table of docs/config.md (markdown), generated from
 * cfg_keys.def; the cfg-unit test checks the doc holds it verbatim.
 * Returns 0 or -EIO. */
int cfg_doc_keys(FILE *f);

#endif /* SIPEDGE_CFG_H */
