/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_snap.c - the agent's snapshot command (docs/agent.md, "Snapshot"):
 * every worker's counter block as it is (the main lcore's too), the ports'
 * ethdev statistics and link, and the backends' health, admin setting and
 * summed counters. The control plane sums and differentiates; the dataplane
 * only copies, so a snapshot costs the main lcore a read of each block and
 * nothing of the workers.
 *
 * Counter names are those of stats.def (stats_each and the stats_*_name
 * helpers, shared with the exit print and DPDK telemetry): within a block
 * "ctr", "reply" and "drop" nest the single counters by group, "port" and
 * "backend" the per-port and per-backend ones by name.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include "agent_priv.h"
#include "worker.h"

/* stats_each's callback: each counter into the object of its group. */
static void add_counter(void *arg, unsigned group, const char *name, uint64_t v)
{
	json_t **groups = arg;

	if (groups[group] != NULL)
		agent_set(groups[group], name, json_integer((json_int_t)v));
}

static json_t *port_counters(const uint64_t *c)
{
	json_t *o = json_object();

	for (unsigned i = 0; o && i < STATS_PORT__COUNT; i++)
		agent_set(o, stats_port_name(i), json_integer((json_int_t)c[i]));
	return o;
}

static json_t *be_counters(const uint64_t *c)
{
	json_t *o = json_object();

	for (unsigned i = 0; o && i < STATS_BE__COUNT; i++)
		agent_set(o, stats_be_name(i), json_integer((json_int_t)c[i]));
	return o;
}


/* A block's stage timings (stats.h): per stage its bursts, packets, TSC
 * cycles and the histogram of cycles per packet. */
static json_t *stages_json(const struct stats_block *b)
{
	json_t *o = json_object();

	for (unsigned s = 0; o && s < STATS_STAGE__COUNT; s++) {
		const struct stats_stage_time *st = &b->stage[s];
		json_t *e = json_object(), *h = json_array();

		for (unsigned k = 0; h && k < STATS_HIST_BUCKETS; k++)
			agent_append(h, json_integer((json_int_t)st->hist[k]));
		agent_set(e, "bursts", json_integer((json_int_t)st->bursts));
		agent_set(e, "pkts", json_integer((json_int_t)st->pkts));
		agent_set(e, "cycles", json_integer((json_int_t)st->cycles));
		agent_set(e, "hist", h);
		agent_set(o, stats_stage_name(s), e);
	}
	return o;
}

/* One block: {"id", "lcore", "role", "ctr", "reply", "drop", "port",
 * "backend"}. Read while its worker writes it: a counter may be a few
 * increments behind, never torn (aligned 64-bit loads on x86-64). */
static json_t *block_json(const struct dp *dp, unsigned k)
{
	const struct stats_block *b = &dp->stats[k];
	json_t *w = json_object(), *groups[STATS_G__COUNT], *ports, *bes;

	if (w == NULL)
		return NULL;
	agent_set(w, "id", json_integer(k));
	agent_set(w, "lcore", json_integer(dp->workers[k]->lcore));
	agent_set(w, "role", json_string(k < dp->n_workers ? "worker" : "main"));
	for (unsigned g = 0; g < STATS_G__COUNT; g++)
		groups[g] = json_object();
	stats_each(b, add_counter, groups);
	for (unsigned g = 0; g < STATS_G__COUNT; g++)
		agent_set(w, stats_group_name(g), groups[g]);
	ports = json_object();
	for (unsigned p = 0; ports && p < dp->n_ports; p++)
		agent_set(ports, dp->ports[p].name, port_counters(b->port[p]));
	agent_set(w, "port", ports);
	bes = json_object();
	for (unsigned i = 0; bes && i < dp->cfg.n_backends; i++)
		agent_set(bes, dp->cfg.backends[i].name, be_counters(b->be[i]));
	agent_set(w, "backend", bes);
	agent_set(w, "stage", stages_json(b));
	return w;
}

/* One port: its role, link and the NIC's own statistics (rte_eth_stats:
 * what the driver counted, which includes what never reached a worker). */
static json_t *port_json(const struct dp_port *pt)
{
	json_t *o = json_object();
	struct rte_eth_stats st;
	struct rte_eth_link link;

	if (o == NULL)
		return NULL;
	memset(&st, 0, sizeof(st));
	memset(&link, 0, sizeof(link));
	rte_eth_stats_get(pt->port_id, &st);
	rte_eth_link_get_nowait(pt->port_id, &link);
	agent_set(o, "name", json_string(pt->name));
	agent_set(o, "role", json_string(pt->role == DP_ROLE_ACCESS ? "access" : "core"));
	agent_set(o, "link_up", json_boolean(link.link_status == RTE_ETH_LINK_UP));
	agent_set(o, "link_speed_mbps", json_integer(link.link_speed));
	agent_set(o, "ipackets", json_integer((json_int_t)st.ipackets));
	agent_set(o, "opackets", json_integer((json_int_t)st.opackets));
	agent_set(o, "ibytes", json_integer((json_int_t)st.ibytes));
	agent_set(o, "obytes", json_integer((json_int_t)st.obytes));
	agent_set(o, "imissed", json_integer((json_int_t)st.imissed));
	agent_set(o, "ierrors", json_integer((json_int_t)st.ierrors));
	agent_set(o, "oerrors", json_integer((json_int_t)st.oerrors));
	agent_set(o, "rx_nombuf", json_integer((json_int_t)st.rx_nombuf));
	return o;
}

/* One backend: address, health, the setting in force, and its counters
 * summed over every block (probes are the main lcore's, requests the
 * workers'). */
static json_t *backend_json(const struct dp *dp, unsigned i, const struct be_setting *s)
{
	json_t *o = json_object();
	uint64_t sum[STATS_BE__COUNT] = {0};
	char a[64];

	if (o == NULL)
		return NULL;
	for (unsigned k = 0; k <= dp->n_workers; k++)
		for (unsigned c = 0; c < STATS_BE__COUNT; c++)
			sum[c] += dp->stats[k].be[i][c];
	agent_set(o, "name", json_string(dp->cfg.backends[i].name));
	agent_set(o, "address", json_string(cfg_fmt_addr(&dp->cfg.backends[i].addr.ip,
							 dp->cfg.backends[i].addr.port, a,
							 sizeof(a))));
	agent_set(o, "up", json_boolean(dp->be_up[i]));
	agent_set(o, "admin", json_string(be_admin_name(s->admin)));
	agent_set(o, "weight", json_integer(s->weight));
	for (unsigned c = 0; c < STATS_BE__COUNT; c++)
		agent_set(o, stats_be_name(c), json_integer((json_int_t)sum[c]));
	return o;
}

/* What reading the per-worker "stage" objects needs: the stages in loop
 * order and the histogram's buckets. */
static json_t *stages_meta(void)
{
	json_t *o = json_object(), *names = json_array();

	for (unsigned s = 0; names && s < STATS_STAGE__COUNT; s++)
		agent_append(names, json_string(stats_stage_name(s)));
	agent_set(o, "names", names);
	agent_set(o, "hist_buckets", json_integer(STATS_HIST_BUCKETS));
	agent_set(o, "unit", json_string("tsc_cycles_per_packet"));
	return o;
}

/* snapshot: see the file's comment. */
int agent_cmd_snapshot(struct agent *a, json_t *req, json_t *reply, char *err)
{
	const struct dp *dp = a->dp;
	struct be_setting s[DP_MAX_BACKENDS];
	json_t *workers = json_array(), *ports = json_array(), *bes = json_array();
	struct timespec ts;

	(void)req;
	(void)err;
	clock_gettime(CLOCK_REALTIME, &ts);
	be_settings_get(dp, s);
	for (unsigned k = 0; workers && k <= dp->n_workers; k++)
		agent_append(workers, block_json(dp, k));
	for (unsigned p = 0; ports && p < dp->n_ports; p++)
		agent_append(ports, port_json(&dp->ports[p]));
	for (unsigned i = 0; bes && i < dp->cfg.n_backends; i++)
		agent_append(bes, backend_json(dp, i, &s[i]));
	agent_set(reply, "time_ns", json_integer((json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
	agent_set(reply, "tsc_hz", json_integer((json_int_t)dp->tsc_hz));
	agent_set(reply, "state_version", json_integer(a->cur.version));
	agent_set(reply, "workers", workers);
	agent_set(reply, "ports", ports);
	agent_set(reply, "backends", bes);
	agent_set(reply, "stages", stages_meta());
	agent_set(reply, "rules", agent_rules_snapshot(a));
	agent_set(reply, "bans", agent_bans_counts(a));
	return 0;
}
