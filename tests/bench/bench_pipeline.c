/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * bench_pipeline.c - the whole worker pipeline with no NIC, against a plain
 * DPDK forwarding loop over the same path (docs/benchmarks.md).
 *
 * Two net_ring ports (access and core) are made from rte_rings; the real
 * start-up (dp_init) configures them like any port. One worker lcore runs
 * the real worker loop (rx burst, net, parse, proxy, dispatch, tx burst).
 * The main lcore is the traffic generator: it keeps the rx rings full of
 * pre-built frames (requests on the access side, responses carrying our
 * signed Via on the core side, per the weighted mix of
 * tests/bench/proxy/mix/) and drains and counts what the worker transmits.
 * Every message the worker receives is a fresh copy of a template frame
 * in an mbuf of its own (reference count 1), as a NIC hands them over: a
 * frame reused by reference count would make each free an atomic operation
 * that drains the store buffer, a cost the NIC path never pays. The copy is
 * the generator's cost, outside the worker's own cycles; by the time the
 * worker reads a message, about 2 000 others have been written after it, so
 * it comes from the last-level cache, as a NIC's DMA leaves it.
 *
 * The ceiling, in the same run and on the same lcore: a loop that receives
 * the same bursts and transmits them to the other port untouched
 * (l2fwd without the MAC rewrite).
 *
 * Reported: messages forwarded per second by one worker core, median of
 * --runs runs of --seconds each, alternating pipeline and ceiling.
 *
 * --rules FILE puts a ruleset in force first, as the dataplane runs one:
 * parsed and compiled for this CPU (rs_parse_file, rs_compile, as
 * sipedge-control does), loaded and published in the live slot (filter.h).
 * Every access-side request then goes through the filter stage; the
 * ruleset's hits and the filter stage's own cycles are reported.
 * tests/bench/rules/compare.sh runs it over 0..10 000 generated rules.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "cfg.h"
#include "filter.h"
#include "proxy_priv.h"
#include "rs.h"
#include "token.h"
#include "worker.h"

#define NFRAMES		2048u	/* distinct frames per side */
#define RING_SZ		4096u
#define MAX_TPL		64u

static struct dp dp;
#define MAX_W		2u	/* workers in-process (--workers) */
#define NTXQ		(MAX_W + 1)

static struct rte_ring *rx_ring[2], *tx_ring[2][NTXQ];
static unsigned n_workers = 1;
static struct rte_mbuf *frames[2][NFRAMES];
static struct rte_mempool *gen_pool; /* the copies the worker receives */
static unsigned nframes[2];
static volatile bool plain_stop;
static uint64_t dut_cycles; /* TSC cycles inside the device under test */
/* --nic-offload: the rx mbufs flagged as a NIC that checks checksums flags
 * them, and both ports told to leave the checksums out to the NIC */
static uint64_t rx_ol_flags;

struct tpl {
	char name[64];
	char *text;
	size_t len;
	unsigned weight;
	bool response;
};

static struct tpl tpls[MAX_TPL];
static unsigned ntpl;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_pipeline: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		die("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Parses, compiles and puts in force the ruleset of path; returns its rule
 * count. Dies on any error, quoting the diagnostics. */
static uint32_t load_rules(const char *path, double *compile_ms)
{
	struct rs_diag d;
	struct rs_ast *ast;
	struct rs_compile_stats cs;
	struct filter_rules *fr;
	void *blob;
	size_t len;
	char err[512], line[600];

	memset(&d, 0, sizeof(d));
	if (rs_parse_file(path, NULL, &ast, &d) != 0 ||
	    rs_compile(ast, NULL, &blob, &len, &d, &cs) != 0) {
		for (unsigned i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", rs_diag_str(&d, i, line, sizeof(line)));
		die("%s: refused", path);
	}
	rs_ast_free(ast);
	if (filter_load(&dp, blob, len, 1, "", &fr, err, sizeof(err)) != 0)
		die("%s: %s", path, err);
	free(blob);
	if (filter_publish(&dp, FILTER_LIVE, fr) != 0)
		die("%s: could not publish", path);
	*compile_ms = (double)cs.compile_ns / 1e6;
	return fr->n_rules;
}

/* Hits of the live ruleset, summed over ranks and workers. */
static uint64_t rules_hits(void)
{
	const struct filter_rules *fr = filter_in(&dp, FILTER_LIVE);
	uint64_t n = 0;

	if (fr == NULL)
		return 0;
	for (unsigned w = 0; w < fr->n_workers; w++)
		for (uint32_t i = 0; i < fr->n_rules; i++)
			n += fr->hits[w][i];
	return n;
}

static void load_mix(const char *dir)
{
	char path[1024], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/mix.txt", dir);
	f = fopen(path, "r");
	if (f == NULL)
		die("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		struct tpl *t;
		char fname[64];
		unsigned w;

		if (line[0] == '#' || sscanf(line, "%u %63s", &w, fname) != 2)
			continue;
		if (ntpl == MAX_TPL)
			die("%s: too many lines", path);
		t = &tpls[ntpl++];
		snprintf(t->name, sizeof(t->name), "%s", fname);
		snprintf(path, sizeof(path), "%s/%s", dir, fname);
		t->text = slurp(path, &t->len);
		t->weight = w;
		t->response = strncmp(t->text, "SIP/2.0 ", 8) == 0;
	}
	fclose(f);
	if (ntpl == 0)
		die("%s: no messages", dir);
}

/* @GW_ROUTE@: the URI of our Record-Route and Path as sipedge writes it,
 * with the client's flow token (build_frames fills it in). */
static char gw_route[64 + TOKEN_FLOW_MAX];

/* Renders a template: placeholders replaced, @UNIQ@ by 8 hex digits of u. */
static size_t render(const struct tpl *t, unsigned u, const char *branch,
		     char *out, size_t cap)
{
	static const struct {
		const char *name, *val;
	} vars[] = {
		{"@GW@", NULL}, /* access or core address, by direction */
		{"@CLIENT@", "192.0.2.10:5062"},
		{"@CLIENT_RECEIVED@", "10.77.1.2"},
		{"@CLIENT_RPORT@", "40000"},
		{"@GW_ROUTE@", gw_route},
		{"@BACKEND@", "10.77.2.2:5060"},
		{"@BRANCH@", NULL},
		{"@UNIQ@", NULL},
	};
	size_t o = 0;

	for (size_t i = 0; i < t->len;) {
		size_t k;
		const char *val = NULL;
		char uniq[9];

		for (k = 0; k < RTE_DIM(vars); k++) {
			size_t n = strlen(vars[k].name);

			if (i + n <= t->len && memcmp(t->text + i, vars[k].name, n) == 0)
				break;
		}
		if (k == RTE_DIM(vars)) {
			if (o + 1 >= cap)
				return 0;
			out[o++] = t->text[i++];
			continue;
		}
		if (k == 0)
			val = t->response ? "10.77.2.1:5060" : "10.77.1.1:5060";
		else if (k == 6)
			val = branch;
		else if (k == 7) {
			snprintf(uniq, sizeof(uniq), "%08x", u);
			val = uniq;
		} else
			val = vars[k].val;
		if (o + strlen(val) >= cap)
			return 0;
		memcpy(out + o, val, strlen(val));
		o += strlen(val);
		i += strlen(vars[k].name);
	}
	return o;
}

/* One Ethernet/IPv4/UDP frame around payload, to the gateway's port. */
static unsigned seq_src;

static struct rte_mbuf *frame(struct rte_mempool *mp, unsigned side,
			      const char *payload, size_t len)
{
	const struct dp_port *pt = &dp.ports[side];
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	size_t hl = sizeof(*eh) + sizeof(*ip) + sizeof(*udp);

	if (m == NULL || hl + len > rte_pktmbuf_tailroom(m))
		die("%s", "frame: no mbuf, or message too big for one");
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(hl + len));
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	eh->dst_addr = pt->mac;
	memcpy(eh->src_addr.addr_bytes, "\x02\x00\x00\x00\x00\x01", 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	/* access side: from clients 10.77.1.2 to .65 (software RSS spreads by
	 * address); core side: from kam1 and kam2 */
	ip->src_addr = side == 0 ? RTE_IPV4(10, 77, 1, 2 + (seq_src % 64))
				 : RTE_IPV4(10, 77, 2, 2 + (seq_src % 2));
	seq_src++;
	ip->src_addr = rte_cpu_to_be_32(ip->src_addr);
	memcpy(&ip->dst_addr, pt->ip4.a, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(side == 0 ? 40000 : 5060);
	udp->dst_port = rte_cpu_to_be_16(5060);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	memcpy(udp + 1, payload, len);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return m;
}

static void build_frames(struct rte_mempool *mp)
{
	struct dp_addr client = {.port = 40000};

	cfg_parse_ip("10.77.1.2", &client.ip);
	static char buf[8192], tok[TOKEN_FLOW_MAX + 1];
	unsigned total = 0, seq = 0;

	tok[token_flow(dp.key_token, &client, tok)] = '\0';
	snprintf(gw_route, sizeof(gw_route), "sip:%s@10.77.2.1:5060;lr", tok);

	for (unsigned t = 0; t < ntpl; t++)
		total += tpls[t].weight;
	/* frames in a fixed interleaving of the weights, so every window of
	 * the rings sees the mix */
	while (nframes[0] + nframes[1] < NFRAMES) {
		for (unsigned t = 0; t < ntpl && nframes[0] + nframes[1] < NFRAMES; t++) {
			for (unsigned k = 0; k < tpls[t].weight; k++) {
				char br[TOKEN_BRANCH_MAX + 1];
				unsigned side = tpls[t].response ? 1 : 0;
				struct sip_msg msg;
				size_t n;

				/* signed as for a response arriving on the core and
				 * going to @CLIENT_RECEIVED@:@CLIENT_RPORT@ */
				br[token_branch(dp.key_branch, seq, DP_ROLE_CORE, &client, br)] = '\0';
				n = render(&tpls[t], seq++, br, buf, sizeof(buf));
				if (n == 0 || sip_parse(buf, (uint32_t)n, &dp.lim, 0, &msg) <= 0)
					die("%s: does not render to a valid message", tpls[t].name);
				if (nframes[side] < NFRAMES)
					frames[side][nframes[side]++] = frame(mp, side, buf, n);
			}
		}
	}
	(void)total;
}

/* ---- the two loops under test ---- */

static void plain_fwd(void);

static void plain_once(void)
{
	uint64_t t = rte_rdtsc();

	plain_fwd();
	dut_cycles += rte_rdtsc() - t;
}

static void plain_fwd(void)
{
	for (unsigned s = 0; s < 2; s++) {
		struct rte_mbuf *m[DP_BURST];
		uint16_t n = rte_eth_rx_burst(dp.ports[s].port_id, 0, m, DP_BURST);
		uint16_t k;

		if (n == 0)
			continue;
		k = rte_eth_tx_burst(dp.ports[!s].port_id, 0, m, n);
		if (k < n)
			rte_pktmbuf_free_bulk(m + k, n - k);
	}
}

static int plain_loop(void *arg)
{
	(void)arg;
	while (!plain_stop)
		plain_fwd();
	return 0;
}

static void pipeline_once(void)
{
	uint64_t t = rte_rdtsc();

	for (unsigned k = 0; k < n_workers; k++)
		worker_poll(dp.workers[k]);
	dut_cycles += rte_rdtsc() - t;
}

/* The generator: keeps both rx rings topped up and drains both tx rings.
 * With dut set, the device under test runs one iteration per generator
 * iteration on this lcore (in-process); else it runs on another lcore.
 * Returns the frames the device under test transmitted in `seconds`. */
static uint64_t generate(double seconds, void (*dut)(void))
{
	uint64_t hz = rte_get_tsc_hz(), t0, end, sent = 0;
	unsigned pos[2] = {0, 0};
	bool warm = true;

	t0 = rte_rdtsc();
	end = t0 + (uint64_t)(0.2 * (double)hz); /* warm-up, not counted */
	for (;;) {
		uint64_t now = rte_rdtsc();

		if (now >= end) {
			if (!warm)
				break;
			warm = false;
			sent = 0;
			dut_cycles = 0;
			t0 = now;
			end = now + (uint64_t)(seconds * (double)hz);
		}
		for (unsigned s = 0; s < 2; s++) {
			struct rte_mbuf *m[DP_BURST];
			unsigned n;

			/* requests and responses in the mix's proportion: each
			 * side offers its share of every 32 */
			if (rte_ring_count(rx_ring[s]) < RING_SZ / 2) {
				if (rte_pktmbuf_alloc_bulk(gen_pool, m, DP_BURST) != 0)
					die("%s", "generator: mbuf pool empty");
				for (unsigned i = 0; i < DP_BURST; i++) {
					const struct rte_mbuf *f = frames[s][pos[s]];

					pos[s] = pos[s] + 1 == nframes[s] ? 0 : pos[s] + 1;
					rte_memcpy(rte_pktmbuf_mtod(m[i], void *),
						   rte_pktmbuf_mtod(f, const void *), f->data_len);
					m[i]->data_len = f->data_len;
					m[i]->pkt_len = f->pkt_len;
					m[i]->ol_flags = rx_ol_flags;
				}
				n = rte_ring_enqueue_burst(rx_ring[s], (void **)m, DP_BURST, NULL);
				rte_pktmbuf_free_bulk(m + n, DP_BURST - n);
			}
		}
		if (dut != NULL)
			dut();
		for (unsigned s = 0; s < 2; s++) {
			for (unsigned q = 0; q < NTXQ; q++) {
				struct rte_mbuf *m[DP_BURST];
				unsigned n = rte_ring_dequeue_burst(tx_ring[s][q], (void **)m,
								    DP_BURST, NULL);

				sent += n;
				rte_pktmbuf_free_bulk(m, n);
			}
		}
	}
	return sent;
}

static void drain(void)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned n;

	for (unsigned s = 0; s < 2; s++) {
		while ((n = rte_ring_dequeue_burst(rx_ring[s], (void **)m, DP_BURST, NULL)))
			rte_pktmbuf_free_bulk(m, n);
		for (unsigned q = 0; q < NTXQ; q++)
			while ((n = rte_ring_dequeue_burst(tx_ring[s][q], (void **)m, DP_BURST, NULL)))
				rte_pktmbuf_free_bulk(m, n);
	}
}

/* lcore < RTE_MAX_LCORE: the device under test on that lcore; else on
 * this one, in-process. */
static double run_pipeline(unsigned lcore, double seconds, double *dut)
{
	uint64_t n;

	if (lcore >= RTE_MAX_LCORE) {
		n = generate(seconds, pipeline_once);
	} else {
		__atomic_store_n(&dp.stop, false, __ATOMIC_RELAXED);
		rte_eal_remote_launch(worker_main, dp.workers[0], lcore);
		n = generate(seconds, NULL);
		__atomic_store_n(&dp.stop, true, __ATOMIC_RELAXED);
		rte_eal_wait_lcore(lcore);
	}
	drain();
	*dut = dut_cycles ? (double)n * (double)rte_get_tsc_hz() / (double)dut_cycles : 0;
	return (double)n / seconds;
}

static double run_plain(unsigned lcore, double seconds, double *dut)
{
	uint64_t n;

	if (lcore >= RTE_MAX_LCORE) {
		n = generate(seconds, plain_once);
	} else {
		plain_stop = false;
		rte_eal_remote_launch(plain_loop, NULL, lcore);
		n = generate(seconds, NULL);
		plain_stop = true;
		rte_eal_wait_lcore(lcore);
	}
	drain();
	*dut = dut_cycles ? (double)n * (double)rte_get_tsc_hz() / (double)dut_cycles : 0;
	return (double)n / seconds;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void make_port(struct cfg_port *cp, unsigned side, const char *dev)
{
	memset(cp, 0, sizeof(*cp));
	snprintf(cp->name, sizeof(cp->name), side ? "core0" : "access0");
	snprintf(cp->dev, sizeof(cp->dev), "%s", dev);
	cp->is_vdev = true;
	cp->role = (uint8_t)side;
	cfg_parse_ip(side ? "10.77.2.1" : "10.77.1.1", &cp->ip4);
	cp->plen4 = 24;
	cp->mtu = 1500;
	cp->rx_desc = cp->tx_desc = 1024;
	/* static neighbours: the client and the two backends */
	cfg_parse_ip(side ? "10.77.2.2" : "10.77.1.2", &cp->neigh[0].ip);
	memcpy(cp->neigh[0].mac, "\x02\x00\x00\x00\x00\x01", 6);
	cfg_parse_ip(side ? "10.77.2.3" : "10.77.1.3", &cp->neigh[1].ip);
	memcpy(cp->neigh[1].mac, "\x02\x00\x00\x00\x00\x02", 6);
	cp->n_neigh = 2;
}

int main(int argc, char **argv)
{
	const char *mix = "tests/bench/proxy/mix", *rules = NULL;
	uint32_t n_rules = 0;
	double compile_ms = 0;
	unsigned runs = 5, lcore;
	double seconds = 2, *pipe, *plain, *pipe_dut, *plain_dut;
	bool json = false, two = false, smoke = false, offload = false;
	int opt;
	static const struct option longopts[] = {
		{"mix", required_argument, NULL, 'm'},
		{"runs", required_argument, NULL, 'r'},
		{"seconds", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"two-cores", no_argument, NULL, 't'},
		{"workers", required_argument, NULL, 'w'},
		{"smoke", no_argument, NULL, 'S'},
		{"rules", required_argument, NULL, 'R'},
		{"nic-offload", no_argument, NULL, 'O'},
		{NULL, 0, NULL, 0},
	};
	int ret = rte_eal_init(argc, argv);

	if (ret < 0) {
		fprintf(stderr, "bench_pipeline: EAL init failed (give EAL args, e.g. "
				"-l 0,1 --no-pci --file-prefix bench -- [--runs N])\n");
		return 2;
	}
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': mix = optarg; break;
		case 'r': runs = (unsigned)atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'j': json = true; break;
		case 't': two = true; break;
		case 'w': n_workers = (unsigned)atoi(optarg); break;
		case 'S': smoke = true; break;
		case 'R': rules = optarg; break;
		case 'O': offload = true; break;
		default:
			fprintf(stderr, "usage: bench_pipeline EAL-ARGS -- [--mix DIR] [--runs N] "
					"[--seconds S] [--json] [--two-cores] [--workers N] [--rules FILE] "
					"[--nic-offload] [--smoke]\n");
			return 2;
		}
	}
	if (runs == 0 || runs > 100 || seconds <= 0 || seconds > 60)
		die("%s", "--runs 1..100, --seconds (0, 60]");
	if (n_workers < 1 || n_workers > MAX_W || (two && n_workers > 1))
		die("--workers 1..%u, and 1 with --two-cores", MAX_W);
	if (smoke) {
		runs = 1;
		seconds = 0.3;
	}
	/* the worker's lcore: this one (in-process) unless --two-cores */
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (two && lcore >= RTE_MAX_LCORE)
		die("%s", "--two-cores needs two lcores (-l 0,1)");
	if (!two)
		lcore = RTE_MAX_LCORE;

	/* the ports: an rx ring the generator fills, two tx rings (worker's
	 * and main's queue) it drains */
	for (unsigned s = 0; s < 2; s++) {
		char name[32];

		snprintf(name, sizeof(name), "rx%u", s);
		rx_ring[s] = rte_ring_create(name, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		for (unsigned q = 0; q < NTXQ; q++) {
			snprintf(name, sizeof(name), "tx%u%u", s, q);
			tx_ring[s][q] = rte_ring_create(name, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		}
		snprintf(name, sizeof(name), "%s", s ? "core" : "access");
		/* the driver names the port "net_ring_" + name */
		if (rte_eth_from_rings(name, &rx_ring[s], 1, tx_ring[s], NTXQ, 0) < 0)
			die("%s: rte_eth_from_rings failed", name);
	}

	cfg_defaults(&dp.cfg);
	dp.cfg.n_workers = n_workers;
	/* in-process, the workers' lcore ids are only names */
	dp.cfg.workers[0] = (uint16_t)(two ? lcore : rte_lcore_id());
	dp.cfg.workers[1] = (uint16_t)(dp.cfg.workers[0] + 1);
	dp.cfg.n_ports = 2;
	make_port(&dp.cfg.ports[0], 0, "net_ring_access");
	make_port(&dp.cfg.ports[1], 1, "net_ring_core");
	dp.cfg.n_backends = 2;
	for (unsigned b = 0; b < 2; b++) {
		struct cfg_backend *cb = &dp.cfg.backends[b];

		snprintf(cb->name, sizeof(cb->name), "kam%u", b + 1);
		cfg_parse_ip(b ? "10.77.2.3" : "10.77.2.2", &cb->addr.ip);
		cb->addr.port = 5060;
		cb->weight = 100;
		cb->enabled = true;
	}
	memcpy(dp.cfg.proxy.secret, "0123456789abcdef", 16);
	dp.cfg.proxy.has_secret = true;
	if (dp_init(&dp) != 0)
		die("%s", "dp_init failed");
	if (offload) {
		/* what a NIC with checksum offload (ixgbe, i40e, ice, mlx5...)
		 * does: rx verified and flagged, tx filled in by the NIC. The
		 * worker's path is then the one port.c sets up for such a port;
		 * net_ring itself computes nothing, so the frames leave with
		 * only the pseudo-header sums (nothing here reads them). */
		for (unsigned s = 0; s < 2; s++)
			dp.ports[s].rx_cksum = dp.ports[s].tx_cksum = true;
		rx_ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}

	if (rules != NULL)
		n_rules = load_rules(rules, &compile_ms);
	load_mix(mix);
	build_frames(dp.pool);
	/* both rx rings full, the tx rings, a burst in the worker's hands */
	gen_pool = rte_pktmbuf_pool_create("gen", 4 * RING_SZ + 2 * NTXQ * RING_SZ, 256, 0,
					   RTE_PKTMBUF_HEADROOM + 2048, (int)rte_socket_id());
	if (gen_pool == NULL)
		die("%s", "generator mbuf pool: out of memory");
	for (unsigned s = 0; s < 2; s++)
		for (unsigned i = 0; i < nframes[s]; i++)
			if (frames[s][i]->data_len > 2048)
				die("%s", "a frame of the mix is over 2048 bytes");

	pipe = calloc(runs * 4, sizeof(double));
	plain = pipe + runs;
	pipe_dut = pipe + 2 * runs;
	plain_dut = pipe + 3 * runs;
	for (unsigned r = 0; r < runs; r++) {
		plain[r] = run_plain(lcore, seconds, &plain_dut[r]);
		pipe[r] = run_pipeline(lcore, seconds, &pipe_dut[r]);
		if (!json)
			printf("run %u: pipeline %.3f M msg/s (%.3f M/s of its own cycles), "
			       "plain forwarding %.3f M msg/s (%.3f)\n",
			       r + 1, pipe[r] / 1e6, pipe_dut[r] / 1e6, plain[r] / 1e6,
			       plain_dut[r] / 1e6);
	}
	{
		struct stats_block *st = &dp.stats[0];
		uint64_t drops = 0;

		for (unsigned i = 1; i < STATS_DROP__COUNT; i++) {
			drops += st->drop[i];
			if (st->drop[i])
				fprintf(stderr, "bench_pipeline: drop %s: %lu\n",
					stats_drop_name(i), (unsigned long)st->drop[i]);
		}
		double mp = median(pipe, runs), mq = median(plain, runs);
		double md = median(pipe_dut, runs), mqd = median(plain_dut, runs);

		if (json)
			printf("{\"runs\": %u, \"seconds\": %g, \"two_cores\": %s, \"nic_offload\": %s, "
			       "\"frames_requests\": %u, \"frames_responses\": %u, "
			       "\"pipeline_msgs_per_s\": %.0f, \"pipeline_own_msgs_per_s\": %.0f, "
			       "\"plain_fwd_msgs_per_s\": %.0f, \"plain_fwd_own_msgs_per_s\": %.0f, "
			       "\"ratio\": %.4f, \"drops\": %lu, \"rules\": %u, "
			       "\"rules_compile_ms\": %.1f, \"rule_hits\": %lu, "
			       "\"filter_cycles_per_pkt\": %.1f}\n",
			       runs, seconds, two ? "true" : "false", offload ? "true" : "false", nframes[0], nframes[1], mp, md,
			       mq, mqd, mp / mq, (unsigned long)drops, n_rules, compile_ms,
			       (unsigned long)rules_hits(),
			       st->stage[STATS_STAGE_filter].pkts
				       ? (double)st->stage[STATS_STAGE_filter].cycles /
						 (double)st->stage[STATS_STAGE_filter].pkts
				       : 0.0);
		else
			printf("median of %u: pipeline %.3f M msg/s per core with the generator, "
			       "%.3f M msg/s of its own cycles; plain forwarding %.3f (%.3f); "
			       "pipeline/plain %.3f; drops %lu%s\n",
			       runs, mp / 1e6, md / 1e6, mq / 1e6, mqd / 1e6, mp / mq,
			       (unsigned long)drops, offload ? "; checksums left to the NIC" : "");
		/* where a packet's cycles go: the worker's own stage timings
		 * (stats.h), over every pipeline run */
		if (!json) {
			printf("stages, TSC cycles per packet (mean):");
			for (unsigned k = 0; k < STATS_STAGE__COUNT; k++)
				printf(" %s %.0f", stats_stage_name(k),
				       st->stage[k].pkts ? (double)st->stage[k].cycles /
							   (double)st->stage[k].pkts : 0.0);
			if (rules != NULL)
				printf("; %u rules (compiled in %.0f ms), %lu hits", n_rules,
				       compile_ms, (unsigned long)rules_hits());
			printf("; rewritten in place %.0f%%\n",
			       100.0 * (double)st->ctr[STATS_rewritten_in_place] /
				       (double)(st->ctr[STATS_fwd_access_to_core] +
						st->ctr[STATS_fwd_core_to_access] +
						st->ctr[STATS_fwd_responses] + 1));
		}
		if (drops)
			return 1; /* a bench that drops measures the wrong thing */
		if (smoke) {
			/* every worker parsed and forwarded, and with two, software
			 * RSS moved packets between them, none lost on the way */
			bool ok = mp > 0;
			uint64_t out = 0, in = 0;

			for (unsigned k = 0; k < n_workers; k++) {
				const struct stats_block *b = &dp.stats[k];

				printf("smoke: worker %u: rx %lu, parsed %lu, spread out %lu, in %lu\n", k,
				       (unsigned long)b->ctr[STATS_rx_pkts],
				       (unsigned long)(b->ctr[STATS_sip_requests] + b->ctr[STATS_sip_responses]),
				       (unsigned long)b->ctr[STATS_spread_out],
				       (unsigned long)b->ctr[STATS_spread_in]);
				ok &= b->ctr[STATS_sip_requests] + b->ctr[STATS_sip_responses] > 0;
				out += b->ctr[STATS_spread_out];
				in += b->ctr[STATS_spread_in];
			}
			if (n_workers > 1)
				ok &= out > 0 && in == out;
			printf("smoke: %s\n", ok ? "ok" : "FAILED");
			if (!ok)
				return 1;
		}
	}
	rte_eal_cleanup();
	return 0;
}
