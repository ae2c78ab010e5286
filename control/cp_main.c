/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_main.c - sipedge-control: start-up, nodes, config reload, signals.
 *
 *   sipedge-control [-c FILE]            run (foreground; systemd runs it)
 *   sipedge-control --check-config FILE  0: valid, 1: the first error
 *
 * SIGTERM and SIGINT stop it (the dataplanes go on with the state they
 * have: fail-static), SIGHUP reloads the config like `config reload`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp.h"

#define DEFAULT_CONFIG "/etc/sipedge/sipedge-control.yaml"

static void on_signal(int sig, void *ctx)
{
	struct ctl_cp *cp = ctx;
	char err[CTL_CFG_ERR_MAX], restart[512];

	if (sig == SIGHUP) {
		ctl_reload(cp, err, sizeof(err), restart, sizeof(restart));
		return;
	}
	ctl_log(CTL_LOG_INFO, "signal %d: stopping (the dataplanes keep their state)", sig);
	ctl_loop_stop(cp->loop);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sipedge-control [-c FILE]\n"
		   "       sipedge-control --check-config FILE\n"
		   "       sipedge-control --help | --version\n"
		   "\n"
		   "The sipedge control plane. -c: the config file (default %s).\n"
		   "--check-config: exit 0 if FILE is valid, else print the first error and\n"
		   "exit 1. See docs/sipedge-control.md.\n",
		   DEFAULT_CONFIG);
}

static int check_config(const char *path)
{
	struct ctl_cfg *cfg = malloc(sizeof(*cfg));
	char err[CTL_CFG_ERR_MAX];
	int rc;

	if (cfg == NULL)
		return 1;
	rc = ctl_cfg_load(path, cfg, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "sipedge-control: %s\n", err);
	else
		printf("%s: ok (%u node%s)\n", path, cfg->nnodes, cfg->nnodes == 1 ? "" : "s");
	ctl_cfg_wipe_keys(cfg);
	free(cfg);
	return rc < 0 ? 1 : 0;
}

static int start(struct ctl_cp *cp)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, 0};
	struct ctl_node *n;
	int rc;

	cp->loop = ctl_loop_new();
	if (cp->loop == NULL)
		return -errno;
	rc = ctl_nodes_create(cp);
	if (rc == 0)
		rc = ctl_bans_init(cp);
	if (rc == 0)
		rc = ctl_rules_init(cp);
	if (rc == 0)
		rc = ctl_state_load(cp);
	if (rc == 0)
		rc = ctl_sock_open(cp);
	if (rc == 0)
		rc = ctl_metrics_open(cp);
	if (rc == 0)
		rc = ctl_loop_signals(cp->loop, sigs, on_signal, cp);
	if (rc < 0)
		return rc;
	ctl_rules_start(cp);
	for (n = cp->nodes; n != NULL; n = n->next)
		ctl_agent_start(n);
	ctl_log(CTL_LOG_INFO, "started: %u node%s, control socket %s%s%s, metrics %s",
		cp->cfg.nnodes, cp->cfg.nnodes == 1 ? "" : "s", cp->cfg.socket,
		cp->cfg.ro_socket[0] != '\0' ? ", read-only " : "", cp->cfg.ro_socket,
		cp->cfg.metrics_listen[0] != '\0' ? cp->cfg.metrics_listen : "off");
	return 0;
}

static void stop(struct ctl_cp *cp)
{
	struct ctl_node *n;

	ctl_metrics_close(cp);
	ctl_sock_close(cp);
	while ((n = cp->nodes) != NULL) {
		cp->nodes = n->next;
		ctl_node_free(n);
	}
	ctl_nodes_reap(cp);
	ctl_rules_free(cp);
	ctl_bans_free(cp);
	ctl_state_free();
	ctl_loop_free(cp->loop);
}

static int run(const char *path)
{
	static struct ctl_cp cp; /* big (the config); one per process */
	char err[CTL_CFG_ERR_MAX];
	int rc;

	snprintf(cp.cfg_path, sizeof(cp.cfg_path), "%s", path);
	if (ctl_cfg_load(path, &cp.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "sipedge-control: %s\n", err);
		return 1;
	}
	cp.started_s = (uint64_t)time(NULL);
	cp.started_ms = ctl_now_ms();
	signal(SIGPIPE, SIG_IGN);
	rc = start(&cp);
	if (rc == 0)
		rc = ctl_loop_run(cp.loop);
	else
		ctl_log(CTL_LOG_ERR, "not started: %s", strerror(-rc));
	stop(&cp);
	ctl_cfg_wipe_keys(&cp.cfg);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("sipedge-control %s\n", SIPEDGE_VERSION);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--check-config") == 0)
		return check_config(argv[2]);
	if (argc == 1)
		return run(DEFAULT_CONFIG);
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		return run(argv[2]);
	usage(stderr);
	return 2;
}
