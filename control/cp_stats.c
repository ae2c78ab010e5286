/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_stats.c - a dataplane's counter snapshot (docs/agent.md, "Snapshot")
 * summed over its workers, and per-second rates against the snapshot
 * before it.
 *
 * The dataplane sends each worker's block because summing is the reader's
 * job (docs/counters.md); the control plane is that reader. What a
 * snapshot holds that is not a non-negative integer is ignored rather than
 * trusted: a newer dataplane may add fields, a broken one must not crash
 * us. Counter names are taken as they come, so a counter added to
 * stats.def shows up here and in /metrics without a change to control.
 */
#include <stdlib.h>
#include <string.h>

#include "cp.h"

/* acc[k] += src[k] for every non-negative integer member of src. */
static void sum_into(json_t *acc, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach(src, k, v) {
		json_t *a;

		if (!json_is_integer(v) || json_integer_value(v) < 0)
			continue;
		a = json_object_get(acc, k);
		json_object_set_new(acc, k,
				    json_integer((a != NULL ? json_integer_value(a) : 0) +
						 json_integer_value(v)));
	}
}

static json_t *obj_member(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

static json_int_t sum_of(json_t *o)
{
	json_int_t s = 0;
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (json_is_integer(v) && json_integer_value(v) > 0)
			s += json_integer_value(v);
	return s;
}

/* One worker's block into the totals, its own entry, the ports and the
 * backends. */
static void take_worker(json_t *cur, json_t *w)
{
	static const char *const groups[] = {"ctr", "drop", "reply"};
	json_t *id = json_object_get(w, "id"), *total = obj_member(cur, "total"), *mine, *be, *po;
	char key[32];
	const char *bname, *pname;
	unsigned g;

	if (!json_is_integer(id))
		return;
	snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(id));
	mine = obj_member(obj_member(cur, "workers"), key);
	for (g = 0; g < 3; g++) {
		json_t *src = json_object_get(w, groups[g]);

		if (!json_is_object(src))
			continue;
		sum_into(obj_member(total, groups[g]), src);
		sum_into(obj_member(mine, groups[g]), src);
	}
	json_object_set_new(mine, "drops", json_integer(sum_of(json_object_get(w, "drop"))));
	json_object_set_new(mine, "replies", json_integer(sum_of(json_object_get(w, "reply"))));
	json_object_foreach(json_object_get(w, "port"), pname, po)
		if (json_is_object(po))
			sum_into(obj_member(obj_member(cur, "ports"), pname), po);
	json_object_foreach(json_object_get(w, "backend"), bname, be)
		if (json_is_object(be))
			sum_into(obj_member(obj_member(cur, "backends"), bname), be);
}

/* The snapshot's rule hits (cumulative per rule id since the dataplane
 * started, one count per worker) summed over the workers, per slot:
 * {"live": {"hits": {"1001": 523}}}. The version stays in the snapshot:
 * it is not a counter to rate. */
static void take_rules(json_t *cur, json_t *snap)
{
	json_t *rules = json_object_get(snap, "rules"), *slot, *w;
	const char *sname, *id;

	json_object_foreach(rules, sname, slot) {
		json_t *out = obj_member(obj_member(obj_member(cur, "rules"), sname), "hits");

		json_object_foreach(json_object_get(slot, "hits"), id, w) {
			json_int_t sum = 0;
			json_t *x;
			size_t k;

			json_array_foreach(w, k, x)
				if (json_is_integer(x) && json_integer_value(x) > 0)
					sum += json_integer_value(x);
			json_object_set_new(out, id, json_integer(sum));
		}
	}
}

/* Bans in force: the dynamic ones summed over the workers' tables, and the
 * manual ones of the state in force. */
static void take_bans(json_t *cur, json_t *snap)
{
	json_t *b = json_object_get(snap, "bans"), *x;
	json_int_t dyn = 0;
	size_t k;

	if (!json_is_object(b))
		return;
	json_array_foreach(json_object_get(b, "dynamic"), k, x)
		if (json_is_integer(x) && json_integer_value(x) > 0)
			dyn += json_integer_value(x);
	json_object_set_new(cur, "bans",
			    json_pack("{s:I, s:I}", "dynamic", dyn, "manual",
				      json_is_integer(json_object_get(b, "manual"))
					      ? json_integer_value(json_object_get(b, "manual"))
					      : 0));
}

static json_t *derive(json_t *snap)
{
	json_t *cur = json_object(), *w, *p;
	size_t i;

	obj_member(cur, "total");
	obj_member(cur, "workers");
	obj_member(cur, "ports");
	obj_member(cur, "backends");
	json_array_foreach(json_object_get(snap, "workers"), i, w)
		if (json_is_object(w))
			take_worker(cur, w);
	/* A port's entry: the workers' per-port counters (rx_pkts, tx_pkts,
	 * tx_drop...) summed above, and the NIC's own statistics (ipackets,
	 * imissed...), whose names differ. Its link speed is not a counter. */
	json_array_foreach(json_object_get(snap, "ports"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		json_t *o;

		if (name == NULL)
			continue;
		o = obj_member(obj_member(cur, "ports"), name);
		sum_into(o, p);
		json_object_del(o, "link_speed_mbps");
	}
	take_rules(cur, snap);
	take_bans(cur, snap);
	return cur;
}

/* The same shape as cur, each integer leaf replaced by its increase per
 * second since prev; a counter that went down (the dataplane restarted
 * between the two) rates 0 rather than a huge number. */
static json_t *rates_of(json_t *cur, json_t *prev, double dt)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach(cur, k, v) {
		json_t *pv = json_object_get(prev, k);

		if (json_is_object(v)) {
			json_object_set_new(out, k, rates_of(v, pv, dt));
		} else if (json_is_integer(v)) {
			json_int_t d = json_integer_value(v) - (json_is_integer(pv)
								? json_integer_value(pv)
								: json_integer_value(v));

			json_object_set_new(out, k, json_real(d > 0 ? (double)d / dt : 0.0));
		}
	}
	return out;
}

void ctl_stats_take(struct ctl_node *n, json_t *snap)
{
	uint64_t now = ctl_now_ms(), half = (uint64_t)n->cp->cfg.collect_interval_ms / 2;

	/* An extra snapshot soon after the last (after a push) would make
	 * rates over a few milliseconds, all noise: keep the older base. */
	if (n->cur == NULL || n->prev == NULL || now - n->cur_ms >= half) {
		json_decref(n->prev);
		n->prev = n->cur;
		n->prev_ms = n->cur_ms;
	} else {
		json_decref(n->cur);
	}
	n->cur = derive(snap);
	n->cur_ms = now;
	json_decref(n->snap);
	n->snap = json_deep_copy(snap);
	json_object_del(n->snap, "id");
	json_decref(n->rates);
	n->rates = NULL;
	if (n->prev != NULL && n->cur_ms > n->prev_ms)
		n->rates = rates_of(n->cur, n->prev, (double)(n->cur_ms - n->prev_ms) / 1000.0);
}

void ctl_stats_clear(struct ctl_node *n)
{
	json_decref(n->cur);
	json_decref(n->prev);
	json_decref(n->rates);
	json_decref(n->snap);
	n->cur = n->prev = n->rates = n->snap = NULL;
	n->cur_ms = n->prev_ms = 0;
}

/* The shape of the snapshot's lists without their counters: who is who. */
static json_t *workers_info(json_t *snap)
{
	json_t *out = json_array(), *w;
	size_t i;

	json_array_foreach(json_object_get(snap, "workers"), i, w)
		json_array_append_new(out, json_pack("{s:O*, s:O*}", "id", json_object_get(w, "id"),
						     "lcore", json_object_get(w, "lcore")));
	return out;
}

static json_t *ports_info(json_t *snap)
{
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(json_object_get(snap, "ports"), i, p)
		json_array_append_new(out, json_pack("{s:O*, s:O*}", "name",
						     json_object_get(p, "name"), "role",
						     json_object_get(p, "role")));
	return out;
}

json_t *ctl_stats_node(const struct ctl_node *n)
{
	json_t *o = json_pack("{s:s, s:s}", "node", n->name, "link", ctl_link_name(n->link));

	if (n->cur == NULL) {
		json_object_set_new(o, "counters", json_null());
		json_object_set_new(o, "rates", json_null());
		return o;
	}
	json_object_set_new(o, "age_ms", json_integer((json_int_t)(ctl_now_ms() - n->cur_ms)));
	json_object_set_new(o, "interval_ms",
			    json_integer(n->rates != NULL ? (json_int_t)(n->cur_ms - n->prev_ms) : 0));
	json_object_set(o, "time_ns", json_object_get(n->snap, "time_ns"));
	json_object_set(o, "counters", n->cur);
	json_object_set_new(o, "rates", n->rates != NULL ? json_incref(n->rates) : json_null());
	json_object_set_new(o, "workers", workers_info(n->snap));
	json_object_set_new(o, "ports", ports_info(n->snap));
	json_object_set_new(o, "backends",
			    json_is_array(json_object_get(n->snap, "backends"))
				    ? json_incref(json_object_get(n->snap, "backends"))
				    : json_array());
	return o;
}

json_t *ctl_stats_daemon(const struct ctl_cp *cp)
{
	json_t *bad = json_object(), *o;
	const struct ctl_node *n;
	json_int_t connects = 0, disconnects = 0, pok = 0, pfail = 0, cfail = 0;
	unsigned i;

	for (i = 0; i < CTL_BAD__COUNT; i++)
		json_object_set_new(bad, ctl_bad_names[i], json_integer((json_int_t)cp->st.bad[i]));
	for (n = cp->nodes; n != NULL; n = n->next) {
		connects += (json_int_t)n->connects;
		disconnects += (json_int_t)n->disconnects;
		cfail += (json_int_t)n->connect_failures;
		pok += (json_int_t)n->pushes_ok;
		pfail += (json_int_t)n->pushes_failed;
	}
	o = json_pack("{s:i, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "clients", (int)ctl_sock_clients(cp), "clients_accepted",
		      (json_int_t)cp->st.clients_accepted, "requests", (json_int_t)cp->st.requests,
		      "bad_requests", bad, "agent_connects", connects, "agent_disconnects",
		      disconnects, "agent_connect_failures", cfail, "pushes_ok", pok,
		      "pushes_failed", pfail, "config_reloads", (json_int_t)cp->st.config_reloads,
		      "config_reload_errors", (json_int_t)cp->st.config_reload_errors,
		      "state_writes", (json_int_t)cp->st.state_writes, "state_write_errors",
		      (json_int_t)cp->st.state_write_errors, "metrics_scrapes",
		      (json_int_t)cp->st.metrics_scrapes);
	return o;
}
