/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * telemetry.c - DPDK telemetry commands over the per-worker counters.
 * Callbacks run on the telemetry thread; they only read the counter blocks
 * (each a worker's, written without atomics: a sum may lag by a few
 * increments, and 64-bit aligned loads do not tear on x86-64).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "backend.h"
#include "telemetry.h"

static struct dp *tdp;

static void sum(struct stats_block *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned k = 0; k <= tdp->n_workers; k++)
		stats_add(s, &tdp->stats[k]);
}

/* DPDK telemetry runs a thread per client: each call sums into its own
 * block. */
static struct stats_block *sum_new(void)
{
	struct stats_block *s = malloc(sizeof(*s));

	if (s != NULL)
		sum(s);
	return s;
}

/* Telemetry dictionary keys allow [A-Za-z0-9_.]: a port or backend name
 * with '-' (allowed by the config) would be refused. */
static const char *tel_key(const char *name, char *buf, size_t len)
{
	size_t i = 0;

	for (; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}

static int add_container(struct rte_tel_data *d, const char *name, struct rte_tel_data *c)
{
	char key[64];

	if (rte_tel_data_add_dict_container(d, tel_key(name, key, sizeof(key)), c, 0) != 0) {
		rte_tel_data_free(c);
		return -1;
	}
	return 0;
}

/* Each counter under its flat name: "rx_pkts", "reply_200", "drop_..." */
static void add_flat(void *arg, unsigned group, const char *name, uint64_t v)
{
	char flat[64];

	snprintf(flat, sizeof(flat), "%s%s", stats_group_prefix(group), name);
	rte_tel_data_add_dict_u64(arg, flat, v);
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stats_block *sp = sum_new();

	(void)cmd;
	(void)params;
	if (sp == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	stats_each(sp, add_flat, d);
	free(sp);
	return 0;
}

static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stats_block *s = sum_new();

	(void)cmd;
	(void)params;
	if (s == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	for (unsigned p = 0; p < tdp->n_ports; p++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		for (unsigned i = 0; i < STATS_PORT__COUNT; i++)
			rte_tel_data_add_dict_u64(c, stats_port_name(i), s->port[p][i]);
		add_container(d, tdp->ports[p].name, c);
	}
	free(s);
	return 0;
}

static int cmd_backends(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stats_block *s = sum_new();

	(void)cmd;
	(void)params;
	if (s == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	for (unsigned b = 0; b < tdp->cfg.n_backends; b++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "state", tdp->be_up[b] ? "up" : "down");
		rte_tel_data_add_dict_string(c, "admin", be_admin_name(be_setting_of(b).admin));
		rte_tel_data_add_dict_u64(c, "weight", be_setting_of(b).weight);
		for (unsigned i = 0; i < STATS_BE__COUNT; i++)
			rte_tel_data_add_dict_u64(c, stats_be_name(i), s->be[b][i]);
		add_container(d, tdp->cfg.backends[b].name, c);
	}
	free(s);
	return 0;
}

static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned k = 0; k <= tdp->n_workers; k++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		struct stats_brief b;
		char name[32];

		if (c == NULL)
			break;
		stats_brief(&tdp->stats[k], &b);
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", tdp->workers[k]->lcore);
		rte_tel_data_add_dict_u64(c, "rx_pkts", b.rx);
		rte_tel_data_add_dict_u64(c, "tx_pkts", b.tx);
		rte_tel_data_add_dict_u64(c, "sip_requests", b.requests);
		rte_tel_data_add_dict_u64(c, "sip_responses", b.responses);
		rte_tel_data_add_dict_u64(c, "forwarded", b.forwarded);
		rte_tel_data_add_dict_u64(c, "replies", b.replies);
		rte_tel_data_add_dict_u64(c, "drops", b.drops);
		rte_tel_data_add_dict_u64(c, "exceptions", b.exceptions);
		if (k < tdp->n_workers)
			snprintf(name, sizeof(name), "worker%u", k);
		else
			snprintf(name, sizeof(name), "main");
		add_container(d, name, c);
	}
	return 0;
}

void telemetry_init(struct dp *dp)
{
	tdp = dp;
	rte_telemetry_register_cmd("/sipedge/stats", cmd_stats,
				   "sipedge counters summed over workers: events, replies, drops");
	rte_telemetry_register_cmd("/sipedge/ports", cmd_ports,
				   "sipedge per-port counters");
	rte_telemetry_register_cmd("/sipedge/backends", cmd_backends,
				   "sipedge backends: state and counters");
	rte_telemetry_register_cmd("/sipedge/workers", cmd_workers,
				   "sipedge per worker (and main lcore): packets, messages, drops");
}
