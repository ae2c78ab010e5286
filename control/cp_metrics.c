/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_metrics.c - Prometheus /metrics (text exposition format 0.0.4) on
 * metrics.listen, served by libmicrohttpd driven from our own event loop
 * (MHD's epoll fd is one more fd in ours; no thread), so rendering reads
 * the nodes' counters without any locking. docs/metrics.md lists every
 * metric.
 *
 * Dataplane counters are named from the names the dataplane sends, by one
 * rule (docs/metrics.md): a counter added to stats.def appears here
 * without a change to control. A family's samples must be contiguous in
 * the format, so samples are gathered per family first and written after.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "cp_rules.h"

#define FAMILIES_MAX 256

struct ctl_metrics {
	struct ctl_cp *cp;
	struct MHD_Daemon *d;
	struct ctl_io io;
	struct ctl_timer t;
};

struct family {
	char name[96];
	const char *type;
	char help[160];
	struct ctl_buf lines;
};

struct render {
	struct family fam[FAMILIES_MAX];
	unsigned nfam;
	int err;
};

/* Metric names are [a-zA-Z0-9_:]; anything else in a dataplane counter's
 * name becomes '_' (none today: stats.def names are C identifiers). */
static void sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			*s = '_';
}

static struct family *family(struct render *r, const char *name, const char *type,
			     const char *help)
{
	char clean[96];
	unsigned i;

	snprintf(clean, sizeof(clean), "%s", name);
	sanitize(clean);
	for (i = 0; i < r->nfam; i++)
		if (strcmp(r->fam[i].name, clean) == 0)
			return &r->fam[i];
	if (r->nfam == FAMILIES_MAX) {
		r->err = -ENOSPC;
		return NULL;
	}
	memcpy(r->fam[r->nfam].name, clean, sizeof(clean));
	r->fam[r->nfam].type = type;
	snprintf(r->fam[r->nfam].help, sizeof(r->fam[r->nfam].help), "%s", help);
	return &r->fam[r->nfam++];
}

/* Label values escape '\', '"' and newline, as the format requires. */
static void put_escaped(struct ctl_buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			ctl_buf_append(b, "\\", 1);
		if (*v == '\n')
			ctl_buf_append(b, "\\n", 2);
		else
			ctl_buf_append(b, v, 1);
	}
}

/* One sample: labels are name/value pairs, NULL-terminated. */
static void sample(struct render *r, const char *name, const char *type, const char *help,
		   double value, ...)
{
	struct family *f = family(r, name, type, help);
	const char *k, *sep = "{";
	char num[64];
	va_list ap;

	if (f == NULL)
		return;
	ctl_buf_append(&f->lines, f->name, strlen(f->name));
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		ctl_buf_append(&f->lines, sep, 1);
		ctl_buf_append(&f->lines, k, strlen(k));
		ctl_buf_append(&f->lines, "=\"", 2);
		put_escaped(&f->lines, v);
		ctl_buf_append(&f->lines, "\"", 1);
		sep = ",";
	}
	va_end(ap);
	if (sep[0] == ',')
		ctl_buf_append(&f->lines, "}", 1);
	snprintf(num, sizeof(num), " %.17g\n", value);
	ctl_buf_append(&f->lines, num, strlen(num));
}

/* "rx_pkts" -> "rx_packets": Prometheus names spell units out. */
static void unit_name(const char *in, char *out, size_t len)
{
	const char *p = strstr(in, "pkts");

	if (p != NULL && (p[4] == '\0' || p[4] == '_'))
		snprintf(out, len, "%.*spackets%s", (int)(p - in), in, p + 4);
	else
		snprintf(out, len, "%s", in);
}

static void worker_counters(struct render *r, const char *node, const char *wid, json_t *w)
{
	const char *k;
	json_t *v;
	char name[128], help[160], u[80];

	json_object_foreach(json_object_get(w, "ctr"), k, v) {
		unit_name(k, u, sizeof(u));
		snprintf(name, sizeof(name), "sipedge_%s_total", u);
		snprintf(help, sizeof(help), "dataplane event counter %s, per worker (docs/counters.md)",
			 k);
		sample(r, name, "counter", help, (double)json_integer_value(v), "node", node,
		       "worker", wid, NULL);
	}
	json_object_foreach(json_object_get(w, "drop"), k, v)
		sample(r, "sipedge_drops_total", "counter",
		       "packets dropped, per worker and reason (docs/counters.md)",
		       (double)json_integer_value(v), "node", node, "worker", wid, "reason", k, NULL);
	json_object_foreach(json_object_get(w, "reply"), k, v)
		sample(r, "sipedge_replies_total", "counter",
		       "responses the gateway sent itself, per worker and status code",
		       (double)json_integer_value(v), "node", node, "worker", wid, "code", k, NULL);
}

static void object_counters(struct render *r, const char *prefix, const char *node,
			    const char *label, const char *id, json_t *o)
{
	const char *k;
	json_t *v;
	char name[128], help[160], u[80];

	json_object_foreach(o, k, v) {
		unit_name(k, u, sizeof(u));
		snprintf(name, sizeof(name), "%s_%s_total", prefix, u);
		snprintf(help, sizeof(help), "dataplane %s counter %s", label, k);
		sample(r, name, "counter", help, (double)json_integer_value(v), "node", node, label,
		       id, NULL);
	}
}

static void backend_gauges(struct render *r, const char *node, json_t *be)
{
	static const char *const states[] = {"enabled", "disabled", "drain"};
	const char *name = json_string_value(json_object_get(be, "name"));
	const char *admin = json_string_value(json_object_get(be, "admin"));
	json_t *w = json_object_get(be, "weight");
	unsigned i;

	if (name == NULL)
		return;
	sample(r, "sipedge_backend_up", "gauge", "1 if the backend's health probes say it is up",
	       json_is_true(json_object_get(be, "up")) ? 1 : 0, "node", node, "backend", name,
	       NULL);
	if (json_is_integer(w))
		sample(r, "sipedge_backend_weight", "gauge", "the backend's weight in force",
		       (double)json_integer_value(w), "node", node, "backend", name, NULL);
	for (i = 0; admin != NULL && i < 3; i++)
		sample(r, "sipedge_backend_admin_state", "gauge",
		       "1 for the backend's admin state in force, 0 for the others",
		       strcmp(admin, states[i]) == 0 ? 1 : 0, "node", node, "backend", name,
		       "state", states[i], NULL);
}

/* Rulesets and bans of one node. Rule hits carry no worker label: with
 * ten thousand rules, workers times rules series would swamp Prometheus
 * (`rules stats` has them per worker). */
static void rule_metrics(struct render *r, struct ctl_rules *rs, const struct ctl_node *n)
{
	static const char *const slots[CTL_RS__SLOTS] = {"live", "shadow"};
	json_t *bans = json_object_get(n->cur, "bans"), *hits, *v;
	const char *id;
	unsigned s;
	char rid[16];

	for (s = 0; s < CTL_RS__SLOTS; s++) {
		json_t *ver = json_object_get(json_object_get(json_object_get(n->snap, "rules"),
							      slots[s]),
					      "version");
		struct ctl_rs_ver *cv = ctl_rs_find(rs, n->rs_have[s].version);

		sample(r, "sipedge_rules_version", "gauge",
		       "ruleset version in force on the node per slot (0: none)",
		       (double)n->rs_have[s].version, "node", n->name, "slot", slots[s], NULL);
		sample(r, "sipedge_ruleset_rules", "gauge", "rules in the ruleset in force per slot",
		       n->rs_have[s].version == 0 ? 0
		       : cv != NULL		  ? (double)cv->n_rules
						  : (double)n->rs_have[s].n_rules,
		       "node", n->name, "slot", slots[s], NULL);
		cv = json_is_integer(ver) ? ctl_rs_find(rs, (uint64_t)json_integer_value(ver)) : NULL;
		hits = json_object_get(json_object_get(json_object_get(n->cur, "rules"), slots[s]),
				       "hits");
		json_object_foreach(hits, id, v) {
			const struct rs_rule *ru =
				cv != NULL ? ctl_rs_rule_by_id(rs, cv, (uint32_t)strtoul(id, NULL, 10))
					   : NULL;

			snprintf(rid, sizeof(rid), "%s", id);
			sample(r, "sipedge_rule_hits_total", "counter",
			       "requests a rule matched and counted, summed over workers (since the "
			       "dataplane started, across versions)",
			       (double)json_integer_value(v), "node", n->name, "rule", rid, "action",
			       ru != NULL ? rs_action_name((enum rs_action)ru->action) : "unknown",
			       "slot", slots[s], NULL);
		}
	}
	if (json_is_object(bans)) {
		sample(r, "sipedge_bans_active", "gauge", "bans in force on the node, by kind",
		       (double)json_integer_value(json_object_get(bans, "dynamic")), "node", n->name,
		       "kind", "dynamic", NULL);
		sample(r, "sipedge_bans_active", "gauge", "bans in force on the node, by kind",
		       (double)json_integer_value(json_object_get(bans, "manual")), "node", n->name,
		       "kind", "manual", NULL);
	}
}

static void node_metrics(struct render *r, const struct ctl_node *n)
{
	const char *k;
	json_t *v;
	size_t i;

	sample(r, "sipedge_up", "gauge", "1 if control's link to the node's dataplane is up",
	       n->link == CTL_LINK_UP ? 1 : 0, "node", n->name, NULL);
	sample(r, "sipedge_state_version", "gauge", "state version in force on the dataplane",
	       (double)n->dp_state_version, "node", n->name, NULL);
	sample(r, "sipedge_state_wanted_version", "gauge",
	       "state version control wants in force (pushed or to push)", (double)n->version, "node",
	       n->name, NULL);
	if (n->cur == NULL)
		return;
	sample(r, "sipedge_snapshot_age_seconds", "gauge", "age of the last counter snapshot",
	       (double)(ctl_now_ms() - n->cur_ms) / 1000.0, "node", n->name, NULL);
	json_object_foreach(json_object_get(n->cur, "workers"), k, v)
		worker_counters(r, n->name, k, v);
	json_object_foreach(json_object_get(n->cur, "ports"), k, v)
		object_counters(r, "sipedge_port", n->name, "port", k, v);
	json_object_foreach(json_object_get(n->cur, "backends"), k, v)
		object_counters(r, "sipedge_backend", n->name, "backend", k, v);
	json_array_foreach(json_object_get(n->snap, "backends"), i, v)
		backend_gauges(r, n->name, v);
}

static void node_control(struct render *r, const struct ctl_node *n)
{
	sample(r, "sipedge_control_agent_connects_total", "counter",
	       "agent links established (hello answered)", (double)n->connects, "node", n->name,
	       NULL);
	sample(r, "sipedge_control_agent_disconnects_total", "counter", "agent links lost",
	       (double)n->disconnects, "node", n->name, NULL);
	sample(r, "sipedge_control_agent_connect_failures_total", "counter",
	       "connection attempts that failed", (double)n->connect_failures, "node", n->name, NULL);
	sample(r, "sipedge_control_agent_errors_total", "counter",
	       "protocol errors and timeouts on the agent link", (double)n->agent_errors, "node",
	       n->name, NULL);
	sample(r, "sipedge_control_snapshots_total", "counter", "counter snapshots taken",
	       (double)n->snapshots, "node", n->name, NULL);
	sample(r, "sipedge_control_pushes_total", "counter", "state pushes, by result",
	       (double)n->pushes_ok, "node", n->name, "result", "ok", NULL);
	sample(r, "sipedge_control_pushes_total", "counter", "state pushes, by result",
	       (double)n->pushes_failed, "node", n->name, "result", "failed", NULL);
	sample(r, "sipedge_control_state_rollbacks_total", "counter",
	       "states put back in force by the dataplane's own state.rollback (state rollback, "
	       "a change taken back)", (double)n->rollbacks, "node", n->name, NULL);
	sample(r, "sipedge_control_resyncs_total", "counter",
	       "reconnections that found the dataplane's state out of step and pushed ours",
	       (double)n->resyncs, "node", n->name, NULL);
	sample(r, "sipedge_control_rules_pushes_total", "counter",
	       "ruleset transfers to the node (load and commit, or clear), by result",
	       (double)n->rs_pushes_ok, "node", n->name, "result", "ok", NULL);
	sample(r, "sipedge_control_rules_pushes_total", "counter",
	       "ruleset transfers to the node (load and commit, or clear), by result",
	       (double)n->rs_pushes_failed, "node", n->name, "result", "failed", NULL);
	sample(r, "sipedge_control_rules_resyncs_total", "counter",
	       "rulesets pushed again because the node had another (a restart of either side)",
	       (double)n->rs_resyncs, "node", n->name, NULL);
}

static void rules_control(struct render *r, const struct ctl_rules *rs)
{
	sample(r, "sipedge_control_rules_wanted_version", "gauge",
	       "ruleset version control wants in force, per slot (0: none)",
	       (double)rs->want[CTL_RS_LIVE], "slot", "live", NULL);
	sample(r, "sipedge_control_rules_wanted_version", "gauge",
	       "ruleset version control wants in force, per slot (0: none)",
	       (double)rs->want[CTL_RS_SHADOW], "slot", "shadow", NULL);
	sample(r, "sipedge_control_rules_loads_total", "counter",
	       "rules load, rollback and unload operations, by result", (double)rs->loads_ok,
	       "result", "ok", NULL);
	sample(r, "sipedge_control_rules_loads_total", "counter",
	       "rules load, rollback and unload operations, by result", (double)rs->loads_failed,
	       "result", "failed", NULL);
	sample(r, "sipedge_control_rules_compile_seconds_total", "counter",
	       "time spent parsing and compiling rulesets (jobs)",
	       (double)rs->compile_ms_total / 1000.0, NULL);
}

static void daemon_metrics(struct render *r, const struct ctl_cp *cp)
{
	unsigned i;

	sample(r, "sipedge_control_start_time_seconds", "gauge", "when sipedge-control started",
	       (double)cp->started_s, NULL);
	sample(r, "sipedge_control_clients", "gauge", "control socket clients connected",
	       ctl_sock_clients(cp), NULL);
	sample(r, "sipedge_control_clients_accepted_total", "counter",
	       "control socket clients accepted", (double)cp->st.clients_accepted, NULL);
	sample(r, "sipedge_control_requests_total", "counter", "control socket request lines",
	       (double)cp->st.requests, NULL);
	for (i = 0; i < CTL_BAD__COUNT; i++)
		sample(r, "sipedge_control_bad_requests_total", "counter",
		       "control socket requests refused and clients cut off, by reason",
		       (double)cp->st.bad[i], "reason", ctl_bad_names[i], NULL);
	sample(r, "sipedge_control_config_reloads_total", "counter", "config reloads, by result",
	       (double)cp->st.config_reloads, "result", "ok", NULL);
	sample(r, "sipedge_control_config_reloads_total", "counter", "config reloads, by result",
	       (double)cp->st.config_reload_errors, "result", "failed", NULL);
	sample(r, "sipedge_control_state_writes_total", "counter", "state file writes, by result",
	       (double)cp->st.state_writes, "result", "ok", NULL);
	sample(r, "sipedge_control_state_writes_total", "counter", "state file writes, by result",
	       (double)cp->st.state_write_errors, "result", "failed", NULL);
	sample(r, "sipedge_control_scrapes_total", "counter", "/metrics requests served",
	       (double)cp->st.metrics_scrapes, NULL);
}

char *ctl_metrics_render(struct ctl_cp *cp, size_t *len)
{
	struct render *r = calloc(1, sizeof(*r));
	struct ctl_buf out = {0};
	const struct ctl_node *n;
	unsigned i;
	char head[400];

	if (r == NULL)
		return NULL;
	for (n = cp->nodes; n != NULL; n = n->next)
		node_metrics(r, n);
	for (n = cp->nodes; cp->rules != NULL && n != NULL; n = n->next)
		rule_metrics(r, cp->rules, n);
	for (n = cp->nodes; n != NULL; n = n->next)
		node_control(r, n);
	daemon_metrics(r, cp);
	if (cp->rules != NULL)
		rules_control(r, cp->rules);
	for (i = 0; i < r->nfam; i++) {
		struct family *f = &r->fam[i];

		snprintf(head, sizeof(head), "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
			 f->name, f->type);
		ctl_buf_append(&out, head, strlen(head));
		ctl_buf_append(&out, f->lines.p, f->lines.len);
		ctl_buf_free(&f->lines);
	}
	ctl_buf_append(&out, "", 1); /* NUL, not counted */
	free(r);
	if (out.p == NULL)
		return NULL;
	*len = out.len - 1;
	return out.p;
}

/* ---- the HTTP server ---- */

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct ctl_cp *cp = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	const char *type = "text/plain; version=0.0.4; charset=utf-8";
	size_t len;
	char *body;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		body = strdup("only GET /metrics\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") == 0) {
		cp->st.metrics_scrapes++;
		body = ctl_metrics_render(cp, &len);
	} else {
		body = strdup("sipedge-control: see /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	}
	if (body == NULL)
		return MHD_NO;
	if (status != MHD_HTTP_OK) {
		type = "text/plain; charset=utf-8";
		len = strlen(body);
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void run_mhd(struct ctl_metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(m->d);
	if (MHD_get_timeout(m->d, &ms) == MHD_YES)
		ctl_timer_arm(m->cp->loop, &m->t, ms);
	else
		ctl_timer_cancel(m->cp->loop, &m->t);
}

static void on_mhd_io(struct ctl_io *io, uint32_t ev)
{
	(void)ev;
	run_mhd(io->ctx);
}

static void on_mhd_timer(struct ctl_timer *t)
{
	run_mhd(t->ctx);
}

/* "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464": numeric only, so that
 * start-up never waits on DNS. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai;
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl = (size_t)(colon - s);

	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int ctl_metrics_open(struct ctl_cp *cp)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct ctl_metrics *m;
	const union MHD_DaemonInfo *di;

	if (cp->cfg.metrics_listen[0] == '\0')
		return 0;
	if (parse_listen(cp->cfg.metrics_listen, &ss, &sl) < 0) {
		ctl_log(CTL_LOG_ERR, "metrics.listen: \"%s\" is not a numeric ADDRESS:PORT",
			cp->cfg.metrics_listen);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->cp = cp;
	m->d = MHD_start_daemon(MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0,
				NULL, NULL, answer, cp, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	di = m->d != NULL ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (di == NULL) {
		ctl_log(CTL_LOG_ERR, "metrics.listen: cannot listen on %s (in use?)",
			cp->cfg.metrics_listen);
		if (m->d != NULL)
			MHD_stop_daemon(m->d);
		free(m);
		return -EADDRINUSE;
	}
	m->io.fd = di->epoll_fd;
	m->io.cb = on_mhd_io;
	m->io.ctx = m;
	m->t.cb = on_mhd_timer;
	m->t.ctx = m;
	cp->metrics = m;
	return ctl_loop_add(cp->loop, &m->io, EPOLLIN);
}

void ctl_metrics_close(struct ctl_cp *cp)
{
	struct ctl_metrics *m = cp->metrics;

	if (m == NULL)
		return;
	ctl_loop_del(cp->loop, &m->io);
	ctl_timer_cancel(cp->loop, &m->t);
	MHD_stop_daemon(m->d);
	free(m);
	cp->metrics = NULL;
}
