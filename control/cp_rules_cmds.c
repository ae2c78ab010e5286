/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_rules_cmds.c - the rules.* commands of the control socket
 * (docs/control.md): load, check, list, show, diff, rollback, unload,
 * stats. Their rows are in cp_cmds.c's one table; a change (load,
 * rollback, unload) is an op of cp_rules_push.c and is answered when it is
 * over everywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_rules.h"

static bool started(struct ctl_req *r)
{
	if (r->cp->rules != NULL)
		return true;
	snprintf(r->err, sizeof(r->err), "rules: not started");
	return false;
}

static bool arg_true(struct ctl_req *r, const char *name)
{
	return json_is_true(json_object_get(r->msg, name));
}

/* Control may run in another directory than the operator's shell: a
 * relative name would be read from control's own (sipedgectl makes them
 * absolute). */
static int check_paths(struct ctl_req *r, json_t *files)
{
	json_t *f;
	size_t i;

	json_array_foreach(files, i, f) {
		if (json_string_value(f)[0] != '/') {
			snprintf(r->err, sizeof(r->err),
				 "files[%zu]: \"%.200s\" is not an absolute path (sipedge-control "
				 "does not know your directory; sipedgectl makes paths absolute)",
				 i, json_string_value(f));
			return -EINVAL;
		}
	}
	return 0;
}

enum ctl_result ctl_cmd_rules_load(struct ctl_req *r)
{
	json_t *files = json_object_get(r->msg, "files");

	if (!started(r) || check_paths(r, files) < 0)
		return CTL_R_ERR;
	return ctl_rs_op_start(r->cp->rules, r, CTL_RS_OP_LOAD,
			       arg_true(r, "shadow") ? CTL_RS_SHADOW : CTL_RS_LIVE, files, 0);
}

/* ---- check: parse and compile here, no dataplane touched ---- */

struct check {
	struct ctl_cp *cp;
	uint64_t client;
	json_t *id;
};

static void on_checked(struct ctl_rules *rs, struct ctl_rs_job *j)
{
	(void)rs;
	struct check *c = j->arg;
	json_t *r, *files = json_array();
	unsigned i;

	for (i = 0; j->src != NULL && i < j->src->all.n_files; i++)
		json_array_append_new(files, json_string(j->src->all.files[i]));
	if (j->rc < 0) {
		char err[800];

		snprintf(err, sizeof(err), "%u error%s%s%s", j->d.n + j->d.more,
			 j->d.n + j->d.more == 1 ? "" : "s",
			 j->d.n > 0 ? ", the first: " : ": ", j->d.n > 0 ? j->d.v[0] : j->err);
		r = ctl_reply_error(c->id, err);
	} else {
		r = json_pack("{s:O, s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "id", c->id, "ok", 1,
			      "n_rules", (json_int_t)j->src->all.n_rules, "src_bytes",
			      (json_int_t)j->src_bytes, "compile_ms",
			      (json_int_t)(j->st.compile_ns / 1000000), "blob_bytes",
			      (json_int_t)j->st.blob_bytes, "db_bytes", (json_int_t)j->st.db_bytes,
			      "patterns", (json_int_t)j->st.n_patterns);
	}
	json_object_set_new(r, "files", files);
	json_object_set_new(r, "diagnostics", ctl_rs_diags_json(j));
	json_object_set_new(r, "diagnostics_more", json_integer(j->d.more));
	ctl_sock_reply(c->cp, c->client, r);
	json_decref(c->id);
	free(c);
}

enum ctl_result ctl_cmd_rules_check(struct ctl_req *r)
{
	json_t *files = json_object_get(r->msg, "files"), *f;
	struct ctl_rs_job *j;
	struct check *c;
	size_t i;

	if (!started(r) || check_paths(r, files) < 0)
		return CTL_R_ERR;
	j = ctl_rs_job_new(CTL_RS_JOB_CHECK);
	c = calloc(1, sizeof(*c));
	if (j == NULL || c == NULL ||
	    (j->paths = calloc(json_array_size(files) + 1, sizeof(char *))) == NULL) {
		ctl_rs_job_free(j);
		free(c);
		snprintf(r->err, sizeof(r->err), "out of memory");
		return CTL_R_ERR;
	}
	json_array_foreach(files, i, f)
		if ((j->paths[j->npaths] = strdup(json_string_value(f))) != NULL)
			j->npaths++;
	j->strip = strdup("");
	j->opts.max_bytes = (uint64_t)r->cp->cfg.rules_max_bytes;
	j->plat[0] = r->cp->rules->host;
	j->nplat = 1;
	j->done = on_checked;
	j->arg = c;
	c->cp = r->cp;
	c->client = r->client;
	c->id = json_incref(r->id);
	ctl_rs_job_queue(r->cp->rules, j);
	return CTL_R_LATER;
}

/* ---- list ---- */

static json_t *have_json(const struct ctl_rules *rs, const struct ctl_node *n, unsigned s)
{
	const struct ctl_rs_have *h = &n->rs_have[s];

	if (h->version == 0)
		return json_null();
	return json_pack("{s:I, s:s, s:I, s:b}", "version", (json_int_t)h->version, "sha256",
			 h->sha256, "n_rules", (json_int_t)h->n_rules, "wanted",
			 rs->want[s] == h->version);
}

static json_t *node_rules(const struct ctl_rules *rs, const struct ctl_node *n)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:I, s:I, s:I}", "node",
			      n->name, "link", ctl_link_name(n->link), "platform",
			      n->rs_platform[0] != '\0' ? n->rs_platform : rs->host.key, "live",
			      have_json(rs, n, CTL_RS_LIVE), "shadow",
			      have_json(rs, n, CTL_RS_SHADOW), "error", n->rs_error, "busy",
			      n->rs_xq != NULL, "pushes_ok", (json_int_t)n->rs_pushes_ok,
			      "pushes_failed", (json_int_t)n->rs_pushes_failed, "resyncs",
			      (json_int_t)n->rs_resyncs);
	unsigned s;
	bool step = n->link == CTL_LINK_UP;

	for (s = 0; s < CTL_RS__SLOTS; s++)
		if (rs->managed[s] && n->rs_have[s].version != rs->want[s])
			step = false;
	json_object_set_new(o, "in_step", json_boolean(step));
	return o;
}

static json_t *want_json(const struct ctl_rules *rs, unsigned s)
{
	return rs->want[s] != 0 ? json_integer((json_int_t)rs->want[s]) : json_null();
}

enum ctl_result ctl_cmd_rules_list(struct ctl_req *r)
{
	struct ctl_rules *rs = r->cp->rules;
	json_t *vers = json_array(), *nodes = json_array();
	struct ctl_rs_ver *v;
	struct ctl_node *n;

	if (!started(r)) {
		json_decref(vers);
		json_decref(nodes);
		return CTL_R_ERR;
	}
	for (v = rs->hist; v != NULL; v = v->next)
		json_array_append_new(vers, ctl_rs_ver_json(rs, v));
	for (n = r->cp->nodes; n != NULL; n = n->next)
		json_array_append_new(nodes, node_rules(rs, n));
	json_object_set_new(r->reply, "live", want_json(rs, CTL_RS_LIVE));
	json_object_set_new(r->reply, "shadow", want_json(rs, CTL_RS_SHADOW));
	json_object_set_new(r->reply, "next_version", json_integer((json_int_t)rs->next_version));
	json_object_set_new(r->reply, "platform", json_string(rs->host.key));
	json_object_set_new(r->reply, "busy", json_boolean(rs->ocur != NULL || rs->jcur != NULL));
	/* the job thread counts them; relaxed: figures, not synchronisation */
	json_object_set_new(r->reply, "compile_cache",
			    json_pack("{s:I,s:I}", "hits",
				      (json_int_t)__atomic_load_n(&rs->cache.hits, __ATOMIC_RELAXED),
				      "misses",
				      (json_int_t)__atomic_load_n(&rs->cache.misses, __ATOMIC_RELAXED)));
	json_object_set_new(r->reply, "versions", vers);
	json_object_set_new(r->reply, "nodes", nodes);
	return CTL_R_OK;
}

/* ---- show, diff ---- */

/* The version named by the argument, or the live one. */
static struct ctl_rs_ver *pick_version(struct ctl_req *r, const char *arg, uint64_t def)
{
	json_t *a = json_object_get(r->msg, arg);
	uint64_t want = a != NULL ? (uint64_t)json_integer_value(a) : def;
	struct ctl_rs_ver *v;

	if (want == 0) {
		snprintf(r->err, sizeof(r->err), "no live ruleset: name a version (`rules list`)");
		return NULL;
	}
	v = ctl_rs_find(r->cp->rules, want);
	if (v == NULL) {
		snprintf(r->err, sizeof(r->err),
			 "%s %llu: no such version in the history (`rules list` shows them)", arg,
			 (unsigned long long)want);
		return NULL;
	}
	if (ctl_rs_ensure_src(r->cp->rules, v, r->err, sizeof(r->err)) < 0)
		return NULL;
	return v;
}

static json_t *rule_json(struct ctl_rs_ver *v, const struct rs_rule *ru)
{
	char *text = ctl_rs_rule_text(v, ru);
	json_t *o = json_pack("{s:I, s:i, s:s, s:b, s:I, s:I, s:I}", "id", (json_int_t)ru->id,
			      "prio", ru->prio, "action", rs_action_name((enum rs_action)ru->action),
			      "shadow", ru->shadow, "line", (json_int_t)ru->loc.line, "col",
			      (json_int_t)ru->loc.col, "conditions", (json_int_t)ru->n_cond);

	json_object_set_new(o, "file", ctl_rs_jstr(ctl_rs_orig(v, ru->loc.file)));
	json_object_set_new(o, "msg", ctl_rs_jstr(ru->msg));
	if (ru->action == RS_ACT_REJECT) {
		json_object_set_new(o, "code", json_integer(ru->code));
		json_object_set_new(o, "reason", ctl_rs_jstr(ru->reason));
	}
	if (ru->action == RS_ACT_BAN)
		json_object_set_new(o, "ban_s", json_integer(ru->ban_s));
	json_object_set_new(o, "text", ctl_rs_jstr(text));
	free(text);
	return o;
}

enum ctl_result ctl_cmd_rules_show(struct ctl_req *r)
{
	json_t *id = json_object_get(r->msg, "rule"), *arr;
	struct ctl_rs_ver *v;
	uint32_t i;

	if (!started(r) || (v = pick_version(r, "version", r->cp->rules->want[CTL_RS_LIVE])) == NULL)
		return CTL_R_ERR;
	arr = json_array();
	for (i = 0; i < v->src->all.n_rules; i++) {
		const struct rs_rule *ru = &v->src->rules[i];

		if (id == NULL || (json_int_t)ru->id == json_integer_value(id))
			json_array_append_new(arr, rule_json(v, ru));
	}
	if (id != NULL && json_array_size(arr) == 0) {
		json_decref(arr);
		snprintf(r->err, sizeof(r->err), "rule %lld: not in version %llu",
			 (long long)json_integer_value(id), (unsigned long long)v->version);
		return CTL_R_ERR;
	}
	json_object_set_new(r->reply, "version", json_integer((json_int_t)v->version));
	json_object_set_new(r->reply, "origin", json_string(v->origin));
	json_object_set_new(r->reply, "rules", arr);
	return CTL_R_OK;
}

/* The version that was live before v: the newest older one that was in
 * force as the live ruleset; failing that, the newest older one. */
static uint64_t previous_live(struct ctl_rules *rs, uint64_t v)
{
	struct ctl_rs_ver *x, *older = NULL;

	for (x = rs->hist; x != NULL; x = x->next) {
		if (x->version >= v || x->refused)
			continue;
		if (x->was_live)
			return x->version;
		if (older == NULL)
			older = x;
	}
	return older != NULL ? older->version : 0;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Rule ids of v, sorted. */
static uint32_t *ids_of(const struct ctl_rs_ver *v)
{
	uint32_t *ids = malloc((v->src->all.n_rules + 1) * sizeof(*ids)), i;

	if (ids == NULL)
		return NULL;
	for (i = 0; i < v->src->all.n_rules; i++)
		ids[i] = v->src->rules[i].id;
	qsort(ids, v->src->all.n_rules, sizeof(*ids), id_cmp);
	return ids;
}

static bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

enum ctl_result ctl_cmd_rules_diff(struct ctl_req *r)
{
	struct ctl_rules *rs = r->cp->rules;
	struct ctl_rs_ver *from, *to;
	json_t *added, *removed, *changed;
	uint32_t *a, *b, i = 0, k = 0, na, nb, same = 0;

	if (!started(r) || (to = pick_version(r, "to", rs->want[CTL_RS_LIVE])) == NULL ||
	    (from = pick_version(r, "from", previous_live(rs, to->version))) == NULL)
		return CTL_R_ERR;
	a = ids_of(from);
	b = ids_of(to);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		snprintf(r->err, sizeof(r->err), "out of memory");
		return CTL_R_ERR;
	}
	na = from->src->all.n_rules;
	nb = to->src->all.n_rules;
	added = json_array();
	removed = json_array();
	changed = json_array();
	/* a merge of the two sorted id lists */
	while (i < na || k < nb) {
		if (k == nb || (i < na && a[i] < b[k])) {
			json_array_append_new(removed,
					      rule_json(from, ctl_rs_rule_by_id(rs, from, a[i++])));
		} else if (i == na || b[k] < a[i]) {
			json_array_append_new(added, rule_json(to, ctl_rs_rule_by_id(rs, to, b[k++])));
		} else {
			const struct rs_rule *x = ctl_rs_rule_by_id(rs, from, a[i++]);
			const struct rs_rule *y = ctl_rs_rule_by_id(rs, to, b[k++]);
			char *tx = ctl_rs_rule_text(from, x), *ty = ctl_rs_rule_text(to, y);

			if (same_text(tx, ty))
				same++;
			else
				json_array_append_new(changed,
						      json_pack("{s:I, s:o, s:o}", "id",
								(json_int_t)x->id, "from",
								rule_json(from, x), "to",
								rule_json(to, y)));
			free(tx);
			free(ty);
		}
	}
	free(a);
	free(b);
	json_object_set_new(r->reply, "from", json_integer((json_int_t)from->version));
	json_object_set_new(r->reply, "to", json_integer((json_int_t)to->version));
	json_object_set_new(r->reply, "added", added);
	json_object_set_new(r->reply, "removed", removed);
	json_object_set_new(r->reply, "changed", changed);
	json_object_set_new(r->reply, "unchanged", json_integer(same));
	return CTL_R_OK;
}

/* ---- rollback, unload ---- */

enum ctl_result ctl_cmd_rules_rollback(struct ctl_req *r)
{
	struct ctl_rules *rs = r->cp->rules;
	json_t *a = json_object_get(r->msg, "version");
	uint64_t to;
	struct ctl_rs_ver *v;

	if (!started(r))
		return CTL_R_ERR;
	to = a != NULL ? (uint64_t)json_integer_value(a) : previous_live(rs, rs->want[CTL_RS_LIVE]);
	if (to == 0) {
		snprintf(r->err, sizeof(r->err),
			 "no version before the live one in the history (`rules list`)");
		return CTL_R_ERR;
	}
	v = ctl_rs_find(rs, to);
	if (v == NULL) {
		snprintf(r->err, sizeof(r->err),
			 "version %llu: not in the history (`rules list` shows the %lld kept)",
			 (unsigned long long)to, (long long)r->cp->cfg.rules_history);
		return CTL_R_ERR;
	}
	return ctl_rs_op_start(rs, r, CTL_RS_OP_ROLLBACK, CTL_RS_LIVE, NULL, to);
}

enum ctl_result ctl_cmd_rules_unload(struct ctl_req *r)
{
	struct ctl_rules *rs = r->cp->rules;
	const struct ctl_node *n;
	bool any = false;

	if (!started(r))
		return CTL_R_ERR;
	if (!arg_true(r, "shadow")) {
		snprintf(r->err, sizeof(r->err),
			 "only the shadow ruleset is unloaded (\"shadow\": true); the live one is "
			 "replaced: load another, or roll back");
		return CTL_R_ERR;
	}
	for (n = r->cp->nodes; n != NULL; n = n->next)
		any |= n->rs_have[CTL_RS_SHADOW].version != 0;
	if (rs->want[CTL_RS_SHADOW] == 0 && !any) {
		snprintf(r->err, sizeof(r->err), "no shadow ruleset is loaded");
		return CTL_R_ERR;
	}
	return ctl_rs_op_start(rs, r, CTL_RS_OP_UNLOAD, CTL_RS_SHADOW, NULL, 0);
}

/* ---- stats ---- */

/* One slot of a node's snapshot: hits per rule id, summed and per worker,
 * with the rate over the last collect interval and, when control has the
 * version the node runs, the rule's action and message. */
static json_t *slot_stats(struct ctl_rules *rs, const struct ctl_node *n, const char *slot)
{
	json_t *snap = json_object_get(json_object_get(n->snap, "rules"), slot);
	json_t *cur = json_object_get(json_object_get(n->cur, "rules"), slot);
	json_t *rate = json_object_get(json_object_get(n->rates, "rules"), slot);
	json_t *ver = json_object_get(snap, "version"), *out, *rules = json_array(), *w;
	struct ctl_rs_ver *v = json_is_integer(ver) ? ctl_rs_find(rs, (uint64_t)json_integer_value(ver))
						    : NULL;
	const char *id;

	json_object_foreach(json_object_get(snap, "hits"), id, w) {
		json_t *o = json_pack("{s:s, s:O?, s:O?, s:O}", "id", id, "hits",
				      json_object_get(json_object_get(cur, "hits"), id), "per_s",
				      json_object_get(json_object_get(rate, "hits"), id), "workers", w);
		const struct rs_rule *ru =
			v != NULL ? ctl_rs_rule_by_id(rs, v, (uint32_t)strtoul(id, NULL, 10)) : NULL;

		json_object_set_new(o, "id", json_integer(strtoll(id, NULL, 10)));
		if (ru != NULL) {
			json_object_set_new(o, "action",
					    json_string(rs_action_name((enum rs_action)ru->action)));
			if (ru->msg != NULL)
				json_object_set_new(o, "msg", json_string(ru->msg));
		}
		json_array_append_new(rules, o);
	}
	out = json_pack("{s:O?, s:o}", "version", ver, "rules", rules);
	return out;
}

enum ctl_result ctl_cmd_rules_stats(struct ctl_req *r)
{
	const char *only = json_string_value(json_object_get(r->msg, "node"));
	json_t *arr = json_array();
	struct ctl_node *n;

	if (!started(r)) {
		json_decref(arr);
		return CTL_R_ERR;
	}
	if (only != NULL && ctl_node_find(r->cp, only) == NULL) {
		json_decref(arr);
		snprintf(r->err, sizeof(r->err), "node \"%s\": no such node (`nodes` lists them)",
			 only);
		return CTL_R_ERR;
	}
	for (n = r->cp->nodes; n != NULL; n = n->next) {
		if (only != NULL && strcmp(n->name, only) != 0)
			continue;
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:I, s:o, s:o}", "node", n->name, "link",
				       ctl_link_name(n->link), "interval_ms",
				       (json_int_t)(n->rates != NULL ? n->cur_ms - n->prev_ms : 0),
				       "live", slot_stats(r->cp->rules, n, "live"), "shadow",
				       slot_stats(r->cp->rules, n, "shadow")));
	}
	json_object_set_new(r->reply, "nodes", arr);
	return CTL_R_OK;
}
