/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_rules.c - the agent's commands for bans (docs/agent.md, "Bans"):
 * bans.list and bans.lift.
 *
 * The dynamic bans live in the workers' own tables (ban.h): this file reads
 * them without stopping anyone, and a lift is a message to the worker that
 * holds the ban, which removes it at the top of its next loop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "agent_priv.h"
#include "ban.h"
#include "worker.h"

#define AGENT_BANS_LIMIT 10000 /* bans.list's limit: a reply under 1 MiB */

/* ---- bans ---- */

/* Every worker's dynamic bans in force, up to limit in all: [{"ip",
 * "worker", "rule", "expires_in_s"}]; *total the count in all tables. */
static json_t *dynamic_json(const struct dp *dp, unsigned limit, unsigned *total)
{
	struct ban_info *bi = calloc(limit, sizeof(*bi));
	json_t *arr = json_array();
	uint64_t now = rte_rdtsc();
	unsigned left = limit;
	char ip[64];

	*total = 0;
	for (unsigned k = 0; bi && arr && k < dp->n_workers; k++) {
		unsigned all, n = ban_table_list(dp->workers[k], now, bi, left, &all);

		*total += all;
		left -= n;
		for (unsigned i = 0; i < n; i++) {
			json_t *o = json_object();
			uint64_t s = (bi[i].expires - now + dp->tsc_hz - 1) / dp->tsc_hz;

			if (o != NULL) {
				agent_set(o, "ip", json_string(cfg_fmt_addr(&bi[i].ip, 0, ip,
									    sizeof(ip))));
				agent_set(o, "worker", json_integer(k));
				agent_set(o, "rule", json_integer(bi[i].rule));
				agent_set(o, "expires_in_s", json_integer((json_int_t)s));
			}
			agent_append(arr, o);
		}
	}
	if (bi == NULL) {
		json_decref(arr);
		arr = NULL;
	}
	free(bi);
	return arr;
}

/* The state's manual bans not yet expired, up to limit: [{"prefix",
 * "expires"}]; *total how many are in force. */
static json_t *manual_json(const struct agent *a, unsigned limit, unsigned *total)
{
	json_t *arr = json_array();
	int64_t now = (int64_t)time(NULL);
	char b[80];

	*total = 0;
	for (unsigned i = 0; arr && i < a->cur.n_bans; i++) {
		const struct ban_prefix *p = &a->cur.bans[i];
		json_t *o;

		if (p->expires != 0 && p->expires <= now)
			continue;
		if ((*total)++ >= limit)
			continue;
		o = json_object();
		if (o != NULL) {
			agent_set(o, "prefix", json_string(ban_prefix_fmt(p, b, sizeof(b))));
			agent_set(o, "expires", json_integer(p->expires));
		}
		agent_append(arr, o);
	}
	return arr;
}

/* bans.list {limit}: the dynamic bans of every worker and the manual bans
 * in force, each list cut at limit. Reads every slot of every table: a few
 * milliseconds for the default sizes. */
int agent_cmd_bans_list(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t limit = json_integer_value(json_object_get(req, "limit"));
	unsigned nd, nm;
	json_t *d, *m;

	if (limit < 1 || limit > AGENT_BANS_LIMIT)
		return agent_fail(err, "limit: %" JSON_INTEGER_FORMAT " out of range [1, %d]", limit,
				  AGENT_BANS_LIMIT);
	d = dynamic_json(a->dp, (unsigned)limit, &nd);
	m = manual_json(a, (unsigned)limit, &nm);
	agent_set(reply, "dynamic", d);
	agent_set(reply, "dynamic_total", json_integer(nd));
	agent_set(reply, "manual", m);
	agent_set(reply, "manual_total", json_integer(nm));
	agent_set(reply, "state_version", json_integer(a->cur.version));
	return 0;
}

/* bans.lift {ip}: the dynamic ban of ip removed by the worker that holds
 * it, at the top of its next loop. */
int agent_cmd_bans_lift(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_t *v = json_object_get(req, "ip"), *ws;
	const struct dp *dp = a->dp;
	uint64_t now = rte_rdtsc();
	struct dp_ip ip;
	char q[100];

	if (strlen(json_string_value(v)) != json_string_length(v) ||
	    cfg_parse_ip(json_string_value(v), &ip) != 0)
		return agent_fail(err, "ip: %s is not an IPv4 or IPv6 address",
				  agent_quote(v, q, sizeof(q)));
	ws = json_array();
	for (unsigned k = 0; ws && k < dp->n_workers; k++) {
		if (!ban_table_has(dp->workers[k], &ip, now))
			continue;
		if (ban_lift(dp->workers[k], &ip) != 0) {
			json_decref(ws);
			return agent_fail(err, "ip: %s: worker %u has %u control messages waiting; "
					  "try again", agent_quote(v, q, sizeof(q)), k, BAN_CTL_RING);
		}
		agent_append(ws, json_integer(k));
	}
	if (ws != NULL && json_array_size(ws) == 0) {
		json_decref(ws);
		return agent_fail(err, "ip: %s has no dynamic ban (a manual ban goes with a state "
				  "that no longer lists it)", agent_quote(v, q, sizeof(q)));
	}
	agent_set(reply, "ip", json_string(cfg_fmt_addr(&ip, 0, q, sizeof(q))));
	agent_set(reply, "workers", ws);
	return 0;
}

/* The snapshot's "bans": the dynamic bans in use per worker (expired ones
 * go within one sweep of the table) and the manual ones of the state. */
json_t *agent_bans_counts(const struct agent *a)
{
	json_t *o = json_object(), *per = json_array();

	for (unsigned k = 0; per && k < a->dp->n_workers; k++)
		agent_append(per, json_integer(ban_table_count(a->dp->workers[k])));
	agent_set(o, "dynamic", per);
	agent_set(o, "manual", json_integer(a->cur.n_bans));
	return o;
}
