/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * main.c - sipedge, the dataplane: read the config, start the EAL from it,
 * bring up pools, ports, workers, backends, the agent socket; run the
 * management loop on the main lcore (exceptions, neighbours, probes, the
 * agent, counters) until SIGINT/SIGTERM or --duration; print the counters;
 * tear down.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "agent.h"
#include "backend.h"
#include "cfg.h"
#include "net.h"
#include "port.h"
#include "stats.h"
#include "telemetry.h"
#include "token.h"
#include "worker.h"

#ifndef SIPEDGE_VERSION
#define SIPEDGE_VERSION "0"
#endif

static volatile sig_atomic_t got_stop, got_usr1, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sipedge [-c FILE] [--duration SECONDS] [-- EAL-ARGS...]\n"
		"       sipedge --check-config FILE\n"
		"       sipedge --version\n"
		"\n"
		"The SIP edge dataplane. Reads its configuration (default\n"
		"/etc/sipedge/sipedge.yaml; see docs/config.md), starts DPDK with the\n"
		"EAL arguments it implies plus those after \"--\", and forwards SIP until\n"
		"SIGINT or SIGTERM. SIGUSR1 prints the counters; SIGHUP reads\n"
		"agent.psk_file again (the agent's TLS key, docs/agent.md).\n"
		"\n"
		"options:\n"
		"  -c, --config FILE       the configuration file\n"
		"  --check-config FILE     check FILE and exit: 0 valid, 1 invalid\n"
		"  --duration SECONDS      stop by itself after SECONDS (tests, demos)\n"
		"  -h, --help              this text\n"
		"  --version               print the version\n");
}

/* ---- the management loop ---- */

static void print_stats(struct dp *dp, FILE *f)
{
	struct stats_block *sum = calloc(1, sizeof(*sum));
	const char *pn[DP_MAX_PORTS], *bn[DP_MAX_BACKENDS];

	if (sum == NULL)
		return;
	for (unsigned k = 0; k <= dp->n_workers; k++)
		stats_add(sum, &dp->stats[k]);
	for (unsigned i = 0; i < dp->n_ports; i++)
		pn[i] = dp->ports[i].name;
	for (unsigned i = 0; i < dp->cfg.n_backends; i++)
		bn[i] = dp->cfg.backends[i].name;
	fprintf(f, "sipedge counters:\n");
	stats_print(f, sum, pn, dp->n_ports, bn, dp->cfg.n_backends);
	for (unsigned k = 0; k <= dp->n_workers; k++) {
		struct stats_brief b;

		stats_brief(&dp->stats[k], &b);
		fprintf(f, "  %s %-2u (lcore %2u): rx %" PRIu64 " tx %" PRIu64 " requests %" PRIu64
			" responses %" PRIu64 " forwarded %" PRIu64 " replies %" PRIu64
			" drops %" PRIu64 " exceptions %" PRIu64 "\n",
			k < dp->n_workers ? "worker" : "main  ", k, dp->workers[k]->lcore, b.rx,
			b.tx, b.requests, b.responses, b.forwarded, b.replies, b.drops, b.exceptions);
	}
	fflush(f);
	free(sum);
}

static void main_loop(struct dp *dp, struct agent *agent, double duration)
{
	struct worker *mw = dp->workers[dp->n_workers];
	uint64_t start = rte_rdtsc(), next_timer = 0;
	uint64_t end = duration > 0 ? start + (uint64_t)(duration * (double)dp->tsc_hz) : 0;

	while (!got_stop && (end == 0 || rte_rdtsc() < end)) {
		bool busy = false;

		mw->now = rte_rdtsc();
		for (unsigned k = 0; k < dp->n_workers; k++) {
			struct rte_mbuf *m[DP_BURST];
			unsigned n = rte_ring_sc_dequeue_burst(dp->workers[k]->exc, (void **)m,
							       DP_BURST, NULL);

			busy |= n > 0;
			for (unsigned i = 0; i < n; i++) {
				if ((m[i]->hash.usr & 0xff) == DP_EXC_PROBE_REPLY)
					be_probe_reply(dp, mw, m[i]);
				else
					net_exception(mw, m[i]);
			}
		}
		if (mw->now >= next_timer) {
			net_timer(mw);
			be_poll(dp, mw);
			next_timer = mw->now + dp->tsc_hz / 100;
		}
		net_tx_flush(mw);
		dp_retire_poll(dp); /* rulesets, ban tables: freed after RCU */
		busy |= agent_poll(agent);
		if (got_usr1) {
			got_usr1 = 0;
			print_stats(dp, stdout);
		}
		if (got_hup) {
			got_hup = 0;
			agent_reload_key(agent);
		}
		/* The main lcore shares its core with the system: sleep a little
		 * when there was nothing to do. Exceptions wait at most this. */
		if (!busy)
			rte_delay_us_sleep(200);
	}
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	static struct dp dp; /* large; zeroed */
	struct agent *agent = NULL;
	const char *cfg_path = "/etc/sipedge/sipedge.yaml", *check = NULL;
	double duration = 0;
	char err[512];
	char *eal_argv[128];
	int eal_argc, rc, opt, status = 1;
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", required_argument, NULL, 'C'},
		{"duration", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};

	/* From the first instruction: a SIGHUP or SIGUSR1 while the EAL
	 * starts (seconds with hugepages and NICs) must not end the process,
	 * their default action; it is acted on once the main loop runs (a key
	 * replaced during the start-up is read again then). SIGINT and SIGTERM
	 * keep theirs until the workers start: a start-up can be stopped. */
	signal(SIGUSR1, on_signal);
	signal(SIGHUP, on_signal);
	while ((opt = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfg_path = optarg; break;
		case 'C': check = optarg; break;
		case 'd': {
			char *e;

			duration = strtod(optarg, &e);
			if (*e || duration <= 0 || duration > 1e7) {
				fprintf(stderr, "sipedge: --duration \"%s\": not a positive number of seconds\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("sipedge %s\n", SIPEDGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (check != NULL) {
		rc = cfg_load(check, &dp.cfg, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		printf("%s: valid (%u ports, %u workers, %u backends)\n", check,
		       dp.cfg.n_ports, dp.cfg.n_workers, dp.cfg.n_backends);
		return 0;
	}
	rc = cfg_load(cfg_path, &dp.cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	eal_argc = cfg_eal_args(&dp.cfg, eal_argv, (int)RTE_DIM(eal_argv) - 1,
				argv + optind, argc - optind);
	if (eal_argc < 0) {
		fprintf(stderr, "sipedge: too many EAL arguments\n");
		return 1;
	}
	eal_argv[eal_argc] = NULL;
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "sipedge: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (dp_init(&dp) != 0)
		goto out;
	telemetry_init(&dp);
	/* dpdk-dumpcap (a secondary process) captures any port through the
	 * pdump framework; without hugepages there is no shared memory for it */
	if (dp.cfg.eal.huge && rte_pdump_init() != 0)
		RTE_LOG(WARNING, USER1, "pdump: %s; dpdk-dumpcap will not attach\n",
			rte_strerror(rte_errno));

	/* before the workers start: a socket that cannot be made (in use by
	 * another sipedge, a bad agent.group) stops the start-up */
	agent = agent_open(&dp);
	if (agent == NULL)
		goto out_dp;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (unsigned k = 0; k < dp.n_workers; k++) {
		rc = rte_eal_remote_launch(worker_main, dp.workers[k], dp.workers[k]->lcore);
		if (rc != 0) {
			fprintf(stderr, "sipedge: cannot start worker on lcore %u: %s\n",
				dp.workers[k]->lcore, strerror(-rc));
			__atomic_store_n(&dp.stop, true, __ATOMIC_RELAXED);
			rte_eal_mp_wait_lcore();
			goto out_dp;
		}
	}
	RTE_LOG(NOTICE, USER1, "sipedge %s: %u port(s), %u worker(s), %u backend(s): running\n",
		SIPEDGE_VERSION, dp.n_ports, dp.n_workers, dp.cfg.n_backends);
	printf("sipedge: running (%u workers); SIGUSR1 prints counters, SIGHUP rereads "
	       "agent.psk_file, SIGINT stops\n",
	       dp.n_workers);
	fflush(stdout);

	main_loop(&dp, agent, duration);

	__atomic_store_n(&dp.stop, true, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	net_tx_flush(dp.workers[dp.n_workers]);
	print_stats(&dp, stdout);
	status = 0;
out_dp:
	agent_close(agent);
	dp_fini(&dp);
out:
	rte_eal_cleanup();
	return status;
}
