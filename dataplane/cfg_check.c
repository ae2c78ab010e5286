/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cfg_check.c - the configuration's cross-checks: the rules between keys
 * that the key table of cfg_keys.def cannot say (a gateway inside its
 * subnet, two ports on one device, a backend of a family no core port has,
 * enough mbufs for the rings...), run by cfg_load once every key is read.
 * Each refusal names the key at fault and the line it was written on.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfg_priv.h"

#define CFG_NO_HUGE_MB	512u	   /* -m without hugepages: the EAL's 64 MB
				    * does not hold the default mbuf pool */

static uint32_t line_of(const struct ld *ld, const void *obj, unsigned key)
{
	for (unsigned i = 0; i < ld->n_obj; i++)
		if (ld->obj[i].obj == obj)
			return ld->obj[i].line[key] ? ld->obj[i].line[key] : ld->obj[i].at;
	return 0;
}

static bool has_key(const struct ld *ld, const void *obj, unsigned key)
{
	for (unsigned i = 0; i < ld->n_obj; i++)
		if (ld->obj[i].obj == obj)
			return ld->obj[i].line[key] != 0;
	return false;
}

/* "10.0.0.1/24" */
static const char *fmt_net(const struct dp_ip *ip, unsigned plen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN + 8];

	snprintf(buf, len, "%s/%u", cfg_fmt_addr(ip, 0, a, sizeof(a)), plen);
	return buf;
}

/* Whether a is inside net/plen (same family). */
static bool ip_in_net(const struct dp_ip *a, const struct dp_ip *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (a->af != net->af || memcmp(a->a, net->a, full) != 0)
		return false;
	return rest == 0 ||
	       ((a->a[full] ^ net->a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* An address on port p's subnet of its family: a gateway or a neighbour. */
static int check_onlink(struct ld *ld, const struct cfg_port *p, const void *obj,
			unsigned key, const char *path, const struct dp_ip *ip)
{
	const struct dp_ip *net = ip->af == 4 ? &p->ip4 : &p->ip6;
	unsigned plen = ip->af == 4 ? p->plen4 : p->plen6;
	char a[64], b[80];

	cfg_fmt_addr(ip, 0, a, sizeof(a));
	if (net->af == 0)
		return cfg_ld_fail(ld, line_of(ld, obj, key), path,
				   "\"%s\" is IPv%u and the port has no ipv%u", a, ip->af, ip->af);
	if (memcmp(ip, net, sizeof(*ip)) == 0)
		return cfg_ld_fail(ld, line_of(ld, obj, key), path,
				   "\"%s\" is the port's own address", a);
	if (!ip_in_net(ip, net, plen))
		return cfg_ld_fail(ld, line_of(ld, obj, key), path,
				   "\"%s\" is not inside ipv%u %s", a, ip->af,
				   fmt_net(net, plen, b, sizeof(b)));
	return 0;
}

static int check_port(struct ld *ld, unsigned i)
{
	struct cfg *c = ld->c;
	struct cfg_port *p = &c->ports[i];
	bool vdev = has_key(ld, p, CFG_KEY_ports_vdev), pci = has_key(ld, p, CFG_KEY_ports_pci);
	char path[96], a[64], b[80];
	int rc;

	snprintf(path, sizeof(path), "ports[%u]", i);
	if (vdev && pci)
		return cfg_ld_fail(ld, line_of(ld, p, CFG_KEY_ports_pci), path,
				   "has both vdev and pci; a port is one device");
	if (!vdev && !pci)
		return cfg_ld_fail(ld, line_of(ld, p, CFG_KEY_ports_name), path,
				   "missing key \"vdev\" or \"pci\" (the port's device)");
	p->is_vdev = vdev;
	if (p->ip4.af == 0 && p->ip6.af == 0)
		return cfg_ld_fail(ld, line_of(ld, p, CFG_KEY_ports_name), path,
				   "missing key \"ipv4\" or \"ipv6\" (a port needs an address)");
	if (p->ip6.af != 0 && p->mtu < 1280) {
		snprintf(path, sizeof(path), "ports[%u].mtu", i);
		return cfg_ld_fail(ld, line_of(ld, p, CFG_KEY_ports_mtu), path,
				   "\"%u\" is below 1280, the IPv6 minimum (the port has ipv6)", p->mtu);
	}
	snprintf(path, sizeof(path), "ports[%u].gateway4", i);
	if (p->gw4.af && (rc = check_onlink(ld, p, p, CFG_KEY_ports_gateway4, path, &p->gw4)))
		return rc;
	snprintf(path, sizeof(path), "ports[%u].gateway6", i);
	if (p->gw6.af && (rc = check_onlink(ld, p, p, CFG_KEY_ports_gateway6, path, &p->gw6)))
		return rc;
	for (unsigned j = 0; j < p->n_neigh; j++) {
		snprintf(path, sizeof(path), "ports[%u].neighbours[%u].ip", i, j);
		if ((rc = check_onlink(ld, p, &p->neigh[j], CFG_KEY_neighbours_ip, path,
				       &p->neigh[j].ip)) != 0)
			return rc;
		for (unsigned k = 0; k < j; k++)
			if (memcmp(&p->neigh[k].ip, &p->neigh[j].ip, sizeof(struct dp_ip)) == 0)
				return cfg_ld_fail(ld, line_of(ld, &p->neigh[j], CFG_KEY_neighbours_ip),
						   path, "\"%s\" repeats ports[%u].neighbours[%u].ip",
						   cfg_fmt_addr(&p->neigh[j].ip, 0, a, sizeof(a)), i, k);
	}
	for (unsigned k = 0; k < i; k++) {
		const struct cfg_port *q = &c->ports[k];
		char dp[CFG_DEV_MAX], dq[CFG_DEV_MAX];

		snprintf(path, sizeof(path), "ports[%u].name", i);
		if (strcmp(p->name, q->name) == 0)
			return cfg_ld_fail(ld, line_of(ld, p, CFG_KEY_ports_name), path,
					   "\"%s\" repeats ports[%u].name", p->name, k);
		cfg_port_devname(p, dp, sizeof(dp));
		cfg_port_devname(q, dq, sizeof(dq));
		snprintf(path, sizeof(path), "ports[%u].%s", i, p->is_vdev ? "vdev" : "pci");
		if (strcmp(dp, dq) == 0)
			return cfg_ld_fail(ld, line_of(ld, p, p->is_vdev ? CFG_KEY_ports_vdev :
						       CFG_KEY_ports_pci), path,
					   "\"%s\" is device %s again, as ports[%u]", p->dev, dp, k);
		snprintf(path, sizeof(path), "ports[%u].ipv4", i);
		if (p->ip4.af && memcmp(&p->ip4, &q->ip4, sizeof(p->ip4)) == 0)
			return cfg_ld_fail(ld, line_of(ld, p, CFG_KEY_ports_ipv4), path,
					   "\"%s\" repeats the address of ports[%u]",
					   fmt_net(&p->ip4, p->plen4, b, sizeof(b)), k);
		snprintf(path, sizeof(path), "ports[%u].ipv6", i);
		if (p->ip6.af && memcmp(&p->ip6, &q->ip6, sizeof(p->ip6)) == 0)
			return cfg_ld_fail(ld, line_of(ld, p, CFG_KEY_ports_ipv6), path,
					   "\"%s\" repeats the address of ports[%u]",
					   fmt_net(&p->ip6, p->plen6, b, sizeof(b)), k);
	}
	return 0;
}

static int check_backend(struct ld *ld, unsigned i)
{
	struct cfg *c = ld->c;
	const struct cfg_backend *be = &c->backends[i];
	uint32_t line = line_of(ld, be, CFG_KEY_backends_address);
	bool family = false;
	char path[64], a[80];

	cfg_fmt_addr(&be->addr.ip, be->addr.port, a, sizeof(a));
	snprintf(path, sizeof(path), "backends[%u].address", i);
	for (unsigned k = 0; k < i; k++) {
		if (strcmp(be->name, c->backends[k].name) == 0) {
			snprintf(path, sizeof(path), "backends[%u].name", i);
			return cfg_ld_fail(ld, line_of(ld, be, CFG_KEY_backends_name), path,
					   "\"%s\" repeats backends[%u].name", be->name, k);
		}
		if (memcmp(&be->addr.ip, &c->backends[k].addr.ip, sizeof(struct dp_ip)) == 0 &&
		    be->addr.port == c->backends[k].addr.port)
			return cfg_ld_fail(ld, line, path, "\"%s\" repeats backends[%u].address", a, k);
	}
	for (unsigned k = 0; k < c->n_ports; k++) {
		const struct cfg_port *p = &c->ports[k];
		const struct dp_ip *own = be->addr.ip.af == 4 ? &p->ip4 : &p->ip6;

		if (memcmp(own, &be->addr.ip, sizeof(*own)) == 0)
			return cfg_ld_fail(ld, line, path, "\"%s\" is an address of ports[%u]", a, k);
		if (p->role == DP_ROLE_CORE && own->af != 0)
			family = true;
	}
	if (!family)
		return cfg_ld_fail(ld, line, path, "\"%s\" is IPv%u and no core port has ipv%u",
				   a, be->addr.ip.af, be->addr.ip.af);
	return 0;
}

/* node.name when the file has none: the host name up to its first dot,
 * each character a name may not hold as '-' (the name is part of a file
 * name and of JSON), "sipedge" when the host has no name. */
static void default_node_name(struct cfg *c)
{
	char host[256] = "";
	size_t n;

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	n = strcspn(host, ".");
	if (n > CFG_NAME_MAX - 1)
		n = CFG_NAME_MAX - 1;
	for (size_t i = 0; i < n; i++) {
		char ch = host[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';

		c->node.name[i] = ok ? ch : '-';
	}
	c->node.name[n] = '\0';
	if (n == 0)
		snprintf(c->node.name, sizeof(c->node.name), "sipedge");
}

/* The agent's transports: the TCP listener and its key go together, and
 * without the Unix socket there must be the listener. The key file itself
 * is read at start-up (agent_tls.c): a config check reads no secrets. */
static int check_agent(struct ld *ld)
{
	struct cfg *c = ld->c;
	bool listen = has_key(ld, c, CFG_KEY_agent_listen);
	bool psk = has_key(ld, c, CFG_KEY_agent_psk_file);
	char a[INET6_ADDRSTRLEN + 8];

	if (listen && !psk)
		return cfg_ld_fail(ld, line_of(ld, c, CFG_KEY_agent_listen), "agent.listen",
				   "\"%s\" needs agent.psk_file (the TLS listener's shared key)",
				   cfg_fmt_addr(&c->agent.listen.ip, c->agent.listen.port, a,
						sizeof(a)));
	if (psk && !listen)
		return cfg_ld_fail(ld, line_of(ld, c, CFG_KEY_agent_psk_file), "agent.psk_file",
				   "\"%s\" is given but agent.listen is not (the key is the TCP "
				   "listener's)", c->agent.psk_file);
	if (!c->agent.unix_socket && !listen)
		return cfg_ld_fail(ld, line_of(ld, c, CFG_KEY_agent_unix_socket),
				   "agent.unix_socket", "\"false\" and no agent.listen: the "
				   "control plane could not connect");
	if (!has_key(ld, c, CFG_KEY_agent_psk_identity))
		snprintf(c->agent.psk_identity, sizeof(c->agent.psk_identity), "%s",
			 c->node.name);
	return 0;
}

/* cfg_check - the rules between keys, in the order of the file, on ld->c as
 * the walk left it; also sets what follows from them (ports[].is_vdev,
 * eal.no_pci, proxy.has_secret, eal.memory_mb without hugepages). Returns 0
 * or -EINVAL with the message in ld->err. Also fills the defaults that
 * follow from the host or from other keys: node.name, agent.socket. */
int cfg_check(struct ld *ld)
{
	struct cfg *c = ld->c;
	bool role[2] = {false, false};
	uint32_t rings = 0;
	int rc;

	for (unsigned i = 0; i < c->n_workers; i++)
		if (c->workers[i] == c->eal.main_lcore) {
			char path[32];

			snprintf(path, sizeof(path), "workers[%u]", i);
			return cfg_ld_fail(ld, ld->elem[CFG_KEY_root_workers][i], path,
					   "\"%u\" is eal.main_lcore; a worker needs an lcore of its own",
					   c->workers[i]);
		}
	c->eal.no_pci = true;
	for (unsigned i = 0; i < c->n_ports; i++) {
		if ((rc = check_port(ld, i)) != 0)
			return rc;
		role[c->ports[i].role] = true;
		c->eal.no_pci &= c->ports[i].is_vdev;
		rings += (uint32_t)c->ports[i].rx_desc + c->ports[i].tx_desc;
	}
	if (!role[DP_ROLE_ACCESS] || !role[DP_ROLE_CORE])
		return cfg_ld_fail(ld, line_of(ld, c, CFG_KEY_root_ports), "ports",
				   "no port has role %s (one access and one core port are needed)",
				   role[DP_ROLE_ACCESS] ? "core" : "access");
	for (unsigned i = 0; i < c->n_backends; i++)
		if ((rc = check_backend(ld, i)) != 0)
			return rc;
	if (c->probe.timeout_ms >= c->probe.interval_ms)
		return cfg_ld_fail(ld, line_of(ld, c, has_key(ld, c, CFG_KEY_probe_timeout_ms) ?
					       CFG_KEY_probe_timeout_ms : CFG_KEY_probe_interval_ms),
				   "probe.timeout_ms", "\"%u\" is not less than probe.interval_ms (%u)",
				   c->probe.timeout_ms, c->probe.interval_ms);
	if (c->limits.max_line > c->limits.max_message)
		return cfg_ld_fail(ld, line_of(ld, c, has_key(ld, c, CFG_KEY_limits_max_line) ?
					       CFG_KEY_limits_max_line : CFG_KEY_limits_max_message),
				   "limits.max_line", "\"%u\" is more than limits.max_message (%u)",
				   c->limits.max_line, c->limits.max_message);
	/* every rx ring is filled at start and every tx ring can hold its
	 * size in flight: with fewer mbufs a port stops receiving */
	if (c->limits.mbufs < rings)
		return cfg_ld_fail(ld, line_of(ld, c, has_key(ld, c, CFG_KEY_limits_mbufs) ?
					       CFG_KEY_limits_mbufs : CFG_KEY_root_ports),
				   "limits.mbufs", "\"%u\" is fewer than the %u the ports' rings hold "
				   "(the sum of every rx_desc and tx_desc)", c->limits.mbufs, rings);
	if (!has_key(ld, c, CFG_KEY_node_name))
		default_node_name(c);
	/* fits: 13 + CFG_NAME_MAX - 1 + 6 < CFG_PATH_MAX */
	if (!has_key(ld, c, CFG_KEY_agent_socket))
		snprintf(c->agent.socket, sizeof(c->agent.socket), "/run/sipedge/%s.agent",
			 c->node.name);
	if ((rc = check_agent(ld)) != 0)
		return rc;
	c->proxy.has_secret = has_key(ld, c, CFG_KEY_proxy_secret);
	if (!c->eal.huge && c->eal.memory_mb == 0)
		c->eal.memory_mb = CFG_NO_HUGE_MB;
	return 0;
}
