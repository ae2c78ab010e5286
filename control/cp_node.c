/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_node.c - sipedge-control's nodes and config reload, and its log.
 *
 * A reload is all or nothing: the new file is parsed in full first, and a
 * bad one leaves the running config as it is. Keys that need a restart
 * (sockets, state_dir, metrics.listen) keep their running value and are
 * named in the reply, so that what `status` shows is what is in force.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cp.h"

/* journald reads "<N>" as the line's priority; a terminal gets a name. */
void ctl_log(int level, const char *fmt, ...)
{
	static int journal = -1;
	va_list ap;

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal)
		fprintf(stderr, "<%d>", level);
	else
		fprintf(stderr, "sipedge-control: %s",
			level <= CTL_LOG_ERR ? "error: " : level == CTL_LOG_WARNING ? "warning: " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct ctl_node *ctl_node_find(struct ctl_cp *cp, const char *name)
{
	struct ctl_node *n;

	for (n = cp->nodes; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

static struct ctl_node *node_new(struct ctl_cp *cp, const struct ctl_cfg_node *c)
{
	struct ctl_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->cp = cp;
	snprintf(n->name, sizeof(n->name), "%s", c->name);
	snprintf(n->socket, sizeof(n->socket), "%s", c->socket);
	n->where = *c;
	n->backends = json_object();
	n->io.fd = -1;
	return n;
}

void ctl_node_free(struct ctl_node *n)
{
	ctl_agent_stop(n);
	OPENSSL_cleanse(&n->where.psk, sizeof(n->where.psk));
	json_decref(n->backends);
	json_decref(n->hello);
	ctl_stats_clear(n);
	free(n);
}

void ctl_nodes_reap(struct ctl_cp *cp)
{
	struct ctl_node *n;

	ctl_timer_cancel(cp->loop, &cp->t_reap);
	while ((n = cp->retired) != NULL) {
		cp->retired = n->next;
		ctl_node_free(n);
	}
}

static void on_reap(struct ctl_timer *t)
{
	ctl_nodes_reap(t->ctx);
}

void ctl_node_retire(struct ctl_node *n)
{
	struct ctl_cp *cp = n->cp;

	ctl_agent_stop(n);
	n->next = cp->retired;
	cp->retired = n;
	cp->t_reap.cb = on_reap;
	cp->t_reap.ctx = cp;
	if (!cp->t_reap.armed)
		ctl_timer_arm(cp->loop, &cp->t_reap, 0);
}

/* Appends at the tail, so that nodes list in config order. */
static void node_link(struct ctl_cp *cp, struct ctl_node *n)
{
	struct ctl_node **pp;

	for (pp = &cp->nodes; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = n;
}

int ctl_nodes_create(struct ctl_cp *cp)
{
	unsigned i;

	for (i = 0; i < cp->cfg.nnodes; i++) {
		struct ctl_node *n = node_new(cp, &cp->cfg.nodes[i]);

		if (n == NULL)
			return -ENOMEM;
		node_link(cp, n);
	}
	return 0;
}

static const struct ctl_cfg_node *cfg_node(const struct ctl_cfg *cfg, const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->nnodes; i++)
		if (strcmp(cfg->nodes[i].name, name) == 0)
			return &cfg->nodes[i];
	return NULL;
}

/* Whether a node's agent is elsewhere, or its key or identity changed. */
static bool link_changed(const struct ctl_cfg_node *a, const struct ctl_cfg_node *b)
{
	return strcmp(a->socket, b->socket) != 0 || strcmp(a->address, b->address) != 0 ||
	       !ctl_psk_equal(&a->psk, &b->psk);
}

/* Nodes gone from the config are unlinked (their wanted state stays in the
 * state file) and retired, not freed: a caller up the stack may hold one;
 * nodes whose agent moved (socket, address) or whose key changed (the key
 * file is read again on every reload: a new key takes a reload) are
 * relinked; new ones start. */
static void nodes_apply(struct ctl_cp *cp, const struct ctl_cfg *ncfg)
{
	struct ctl_node **pp = &cp->nodes, *n;
	unsigned i;

	while ((n = *pp) != NULL) {
		const struct ctl_cfg_node *c = cfg_node(ncfg, n->name);

		if (c == NULL) {
			ctl_log(CTL_LOG_NOTICE, "node %s: removed from the config", n->name);
			*pp = n->next;
			ctl_state_keep(n);
			ctl_node_retire(n);
			continue;
		}
		if (link_changed(c, &n->where)) {
			ctl_agent_stop(n);
			snprintf(n->socket, sizeof(n->socket), "%s", c->socket);
			n->where = *c;
			ctl_agent_start(n);
		}
		pp = &n->next;
	}
	for (i = 0; i < ncfg->nnodes; i++) {
		if (ctl_node_find(cp, ncfg->nodes[i].name) != NULL)
			continue;
		n = node_new(cp, &ncfg->nodes[i]);
		if (n == NULL)
			continue;
		ctl_log(CTL_LOG_NOTICE, "node %s: added to the config", n->name);
		node_link(cp, n);
		ctl_state_adopt(n);
		ctl_agent_start(n);
	}
}

/* Keys that only a restart applies keep their running value, so that what
 * `status` shows is what is in force. */
static void keep_restart_keys(struct ctl_cfg *ncfg, const struct ctl_cfg *old)
{
	unsigned i, nk;
	const struct ctl_cfg_key *k = ctl_cfg_keys(&nk);

	for (i = 0; i < nk; i++) {
		if (k[i].runtime || strcmp(k[i].sec, "nodes[]") == 0)
			continue;
		memcpy((char *)ncfg + k[i].off, (const char *)old + k[i].off, k[i].size);
	}
}

int ctl_reload(struct ctl_cp *cp, char *err, size_t errlen, char *restart, size_t rlen)
{
	struct ctl_cfg *ncfg = malloc(sizeof(*ncfg));
	int rc;

	restart[0] = '\0';
	if (ncfg == NULL)
		return -ENOMEM;
	rc = ctl_cfg_load(cp->cfg_path, ncfg, err, errlen);
	if (rc < 0) {
		cp->st.config_reload_errors++;
		ctl_log(CTL_LOG_ERR, "config reload: %s", err);
		free(ncfg);
		return -EINVAL;
	}
	ctl_cfg_restart_keys(&cp->cfg, ncfg, restart, rlen);
	keep_restart_keys(ncfg, &cp->cfg);
	nodes_apply(cp, ncfg);
	cp->cfg = *ncfg;
	ctl_cfg_wipe_keys(ncfg); /* cp->cfg and the nodes have their copies */
	free(ncfg);
	cp->st.config_reloads++;
	ctl_state_save(cp);
	ctl_rules_reload(cp);
	ctl_log(CTL_LOG_INFO, "config reloaded from %s%s%s", cp->cfg_path,
		restart[0] != '\0' ? "; these need a restart: " : "", restart);
	return 0;
}

