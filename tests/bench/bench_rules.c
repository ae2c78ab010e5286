/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * bench_rules.c - the rules engine (rules/lib, docs/rules-engine.md):
 * compile time and memory for generated rulesets of 0, 100, 1 000 and
 * 10 000 rules or for rule files, and what rs_eval costs per request of the
 * message mix against its ceiling, matching alone: Hyperscan scanning the
 * same fields with the same databases (every database over every value of
 * its field that rs_eval could scan, including the lazy ones it mostly
 * skips) and the values of fields with == literals looked up among them,
 * and nothing else.
 *
 * Figures only: nothing here passes or fails on timing. It does stop when a
 * message of the mix does not parse, when rs_eval fails, or when a rule
 * decides on a request of the mix (generated rules are drawn so that
 * ordinary traffic goes through, and the pipeline benchmark refuses a drop
 * of its mix: a figure of rs_eval deciding would be another figure).
 *
 * Usage: bench_rules [--rules N|FILE,..] [--runs N] [--ms N] [--cpu N]
 *                    [--seed S] [--fields] [--smoke] [MIX]
 * --rules: rulesets to measure, each a count of generated rules or a rules
 * file (what bench_pipeline --rules reads: tests/bench/rules/compare.sh
 * gives both benches the same files); may be repeated.
 * MIX: a mix file or a directory holding mix.txt (default: the pipeline
 * benchmark's, tests/bench/proxy/mix, its placeholders filled in as
 * bench_pipeline fills them for the access side). Only requests are
 * evaluated, as in the filter stage; responses are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "rs_priv.h"

#ifndef BENCH_MIX_DIR
#define BENCH_MIX_DIR "tests/bench/mix"
#endif

#define MAX_MSGS 64u
#define MAX_SCHED 4096u
#define MAX_RUNS 51u
#define MAX_SCANS 48u /* hs_scan calls and literal lookups recorded per request */
#define MAX_SETS 8u
#define MAX_FIELDS 64u /* per-field figures (--fields) */

struct msg {
	char name[64];
	char *data;
	uint32_t len;
	struct sip_msg m;
	struct rs_scan_rec scans[MAX_SCANS];
	uint32_t n_scans;
};

struct mix {
	struct msg msgs[MAX_MSGS];
	unsigned n;
	struct msg *sched[MAX_SCHED]; /* requests, by weight, shuffled */
	unsigned sched_len;
};

/* A ruleset to measure: n generated rules, or a rules file. */
struct set_arg {
	uint32_t n;
	const char *file;
};

/* One scanned field's share of the ceiling (--fields). */
struct field_res {
	char name[64];
	double values_per_req, scan_ns;
};

struct result {
	char name[24]; /* "1000", or the file's base name */
	uint32_t n_rules;
	double parse_ms, compile_ms, load_ms;
	struct rs_compile_stats st;
	long heap_kib;
	long peak_mib; /* the process's peak RSS once this set is compiled */
	double eval_ns, scan_ns, scans_per_req, recs_per_req;
	struct field_res fields[MAX_FIELDS];
	unsigned n_fields, n_idle; /* idle: scanned fields with no value in the mix */
};

static volatile uint64_t sink;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_rules: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

/* Heap bytes in use, KiB: what the loaded set and its scratch hold (the
 * resident size says little here: the compiler's freed memory is reused). */
static long heap_kib(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

/* ---- the mix ---- */

/* The placeholders of tests/bench/proxy/mix's requests, filled in as
 * bench_pipeline fills them for the access side (its render()): the same
 * bytes reach rs_eval here and in the filter stage there. */
static const struct {
	const char *name, *val;
} placeholders[] = {
	{"@GW@", "10.77.1.1:5060"},	   {"@CLIENT@", "192.0.2.10:5062"},
	{"@GW_ROUTE@", "sip:10.77.2.1:5060;lr"}, {"@BACKEND@", "10.77.2.2:5060"},
	{"@UNIQ@", "0000002a"},
};

/* in[0..n) with the placeholders replaced, into out (cap bytes); the new
 * length, or 0 when it does not fit. A placeholder left unknown stays. */
static size_t fill_in(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		const char *val = NULL;
		size_t skip = 1;
		for (size_t k = 0; in[i] == '@' && k < sizeof(placeholders) / sizeof(placeholders[0]); k++) {
			size_t pl = strlen(placeholders[k].name);
			if (n - i >= pl && memcmp(in + i, placeholders[k].name, pl) == 0) {
				val = placeholders[k].val;
				skip = pl;
				break;
			}
		}
		size_t vl = val ? strlen(val) : 1;
		if (o + vl > cap)
			return 0;
		memcpy(out + o, val ? val : in + i, vl);
		o += vl;
		i += skip;
	}
	return o;
}

/* One message of the mix; a response is only named (the filter stage
 * evaluates requests only). */
static void load_msg(struct msg *m, const char *dir)
{
	static char raw[SIP_MSG_MAX_HARD], out[SIP_MSG_MAX_HARD];
	char path[1024];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	f = fopen(path, "rb");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	n = fread(raw, 1, sizeof(raw), f);
	if (n == 0 || !feof(f))
		die("%s: empty, or over %zu bytes", path, sizeof(raw));
	fclose(f);
	if (n >= 8 && memcmp(raw, "SIP/2.0 ", 8) == 0)
		return;
	m->len = (uint32_t)fill_in(raw, n, out, sizeof(out));
	if (m->len == 0)
		die("%s: over %zu bytes once its placeholders are filled in", path, sizeof(out));
	/* 42 bytes into a line, like the payload after Ethernet, IPv4, UDP */
	char *blk = aligned_alloc(64, ((size_t)m->len + 42 + 64) & ~63ul);
	if (blk == NULL)
		die("out of memory");
	m->data = blk + 42;
	memcpy(m->data, out, m->len);
	if (sip_parse(m->data, m->len, NULL, 0, &m->m) != (int)m->len)
		die("%s: sip_parse refuses it or does not take it whole", path);
}

static void load_mix(struct mix *mx, const char *arg)
{
	char dir[512], path[600], line[512], name[64];
	unsigned w, lineno = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct stat st;

	if (stat(arg, &st) != 0)
		die("mix \"%s\": %s", arg, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		snprintf(dir, sizeof(dir), "%s", arg);
		snprintf(path, sizeof(path), "%s/mix.txt", arg);
	} else {
		const char *sl = strrchr(arg, '/');
		snprintf(dir, sizeof(dir), "%.*s", sl ? (int)(sl - arg) : 1, sl ? arg : ".");
		snprintf(path, sizeof(path), "%s", arg);
	}
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[strspn(line, " \t")] == '#' || sscanf(line, "%u %63s", &w, name) != 2)
			continue;
		if (mx->n == MAX_MSGS || w == 0 || mx->sched_len + w > MAX_SCHED)
			die("%s:%u: too many messages or weight out of range", path, lineno);
		struct msg *m = &mx->msgs[mx->n++];
		snprintf(m->name, sizeof(m->name), "%s", name);
		load_msg(m, dir);
		if (!(m->m.flags & SIP_MSG_REQUEST))
			continue;
		for (unsigned i = 0; i < w; i++)
			mx->sched[mx->sched_len++] = m;
	}
	fclose(f);
	if (mx->sched_len == 0)
		die("%s: no requests", path);
	for (unsigned k = mx->sched_len - 1; k > 0; k--) {
		unsigned j = (unsigned)(xorshift(&seed) % (k + 1));
		struct msg *t = mx->sched[k];
		mx->sched[k] = mx->sched[j];
		mx->sched[j] = t;
	}
}

/* ---- generated rules ---- */

static const char *const words[] = {"vox", "dial", "probe", "scan", "crack", "bomb", "war",
				    "map", "flood", "sweep", "brute", "spray", "ghost", "razor",
				    "viper", "cobra", "hydra", "storm", "sonic", "nova"};
static const char *const hdrs[] = {"P-Asserted-Identity", "Subject", "Organization",
				   "X-Serialnumber"};

#define W(s) words[xorshift(s) % (sizeof(words) / sizeof(words[0]))]

/* n rules in the shape of a carrier's ruleset: scanner User-Agents,
 * barred number prefixes, source prefixes, From users, injection shapes in
 * headers, hygiene numbers. None matches ordinary traffic: 198.18.0.0/15
 * and 2001:db8::/32 sources, 881-888 and 979 numbers, words no UA has. */
static char *gen_rules(uint32_t n, uint64_t seed)
{
	size_t cap = (size_t)n * 160 + 64, len = 0;
	char *t = malloc(cap);

	if (t == NULL)
		die("out of memory");
	t[0] = '\0';
	for (uint32_t i = 1; i <= n; i++) {
		uint64_t r = xorshift(&seed) % 100;
		char *p = t + len;
		size_t room = cap - len;
		int k;
		if (r < 30)
			k = snprintf(p, room, "drop id:%u ua ~ /%s%s[-_ ]?(scan|agent)?\\/?%u/i msg:\"ua\"\n", i,
				     W(&seed), W(&seed), (unsigned)(xorshift(&seed) % 1000));
		else if (r < 50)
			k = snprintf(p, room, "reject 403 \"Barred\" id:%u %s ^= \"%s%s%u\"\n", i,
				     xorshift(&seed) % 2 ? "ruri.user" : "to.user",
				     xorshift(&seed) % 2 ? "+" : "00",
				     (const char *[]){"979", "881", "8828", "8835", "888"}[xorshift(&seed) % 5],
				     (unsigned)(xorshift(&seed) % 100000));
		else if (r < 70 && xorshift(&seed) % 5) {
			unsigned plen = (unsigned[]){24, 28, 32}[xorshift(&seed) % 3];
			unsigned last = (unsigned)(xorshift(&seed) % 256) & (plen == 24 ? 0 : plen == 28 ? 0xf0 : 0xff);
			k = snprintf(p, room, "ban 10m id:%u src in 198.%u.%u.%u/%u\n", i,
				     18 + (unsigned)(xorshift(&seed) % 2), (unsigned)(xorshift(&seed) % 256),
				     last, plen);
		} else if (r < 70)
			k = snprintf(p, room, "ban 10m id:%u src in 2001:db8:%x::/48\n", i,
				     (unsigned)(xorshift(&seed) % 0xffff));
		else if (r < 80)
			k = snprintf(p, room, "drop id:%u from.user == \"%s%s%u\"i\n", i, W(&seed), W(&seed),
				     (unsigned)(xorshift(&seed) % 1000));
		else if (r < 90)
			k = snprintf(p, room, "drop id:%u hdr[%s] ~ /(select|union|drop)\\s+%s/i\n", i,
				     hdrs[xorshift(&seed) % 4], W(&seed));
		else
			k = snprintf(p, room, "drop id:%u method == \"%s\" and %s\n", i,
				     (const char *[]){"INVITE", "REGISTER", "OPTIONS"}[xorshift(&seed) % 3],
				     (const char *[]){"max-forwards < 2", "content-length > 9000",
						      "expires > 100000", "cseq > 2000000000"}[xorshift(&seed) % 4]);
		if (k < 0 || (size_t)k >= room)
			die("rule %u does not fit", i);
		len += (size_t)k;
	}
	return t;
}

/* ---- one ruleset ---- */

static int noop(unsigned id, unsigned long long f, unsigned long long t, unsigned fl, void *c)
{
	(void)id, (void)f, (void)t, (void)fl, (void)c;
	return 0;
}

static void run_eval(const struct mix *mx, const struct rs_set *s, struct rs_scratch *sc,
		     uint64_t *hits, uint64_t passes)
{
	/* a client of bench_pipeline's access side, to the gateway */
	struct rs_addr src = {.af = 4, .a = {10, 77, 1, 2}, .port = 40000};
	struct rs_addr dst = {.af = 4, .a = {10, 77, 1, 1}, .port = 5060};
	struct rs_verdict v;
	uint64_t acc = 0;

	for (uint64_t p = 0; p < passes; p++)
		for (unsigned i = 0; i < mx->sched_len; i++) {
			if (rs_eval(s, sc, &mx->sched[i]->m, &src, &dst, hits, &v) != 0)
				die("rs_eval failed on %s", mx->sched[i]->name);
			if (v.action != RS_ACT_NONE) {
				struct rs_rule_info ri;
				rs_set_rule(s, v.rule, &ri);
				die("rule %u (%s) decides on %s: a rule of the bench must let the mix through",
				    ri.id, rs_action_name((enum rs_action)v.action), mx->sched[i]->name);
			}
			acc += v.action;
		}
	sink += acc;
}

/* A recorded match belongs to slot sl (NULL: to every slot). */
static bool of_slot(const struct rs_scan_rec *r, const struct rs_rt_slot *sl)
{
	return sl == NULL || (r->db != NULL ? r->db == sl->db : r->lits == sl->lits);
}

/* Every recorded match of the mix (hs_scan, or == literal lookup), or
 * only those of slot sl. */
static void run_scan(const struct mix *mx, hs_scratch_t *hs, uint64_t passes,
		     const struct rs_rt_slot *sl)
{
	uint64_t acc = 0;

	for (uint64_t p = 0; p < passes; p++)
		for (unsigned i = 0; i < mx->sched_len; i++) {
			const struct msg *m = mx->sched[i];
			for (uint32_t k = 0; k < m->n_scans; k++) {
				const struct rs_scan_rec *r = &m->scans[k];
				if (!of_slot(r, sl))
					continue;
				if (r->db == NULL)
					acc += rs_lit_lookup(r->lits, r->p, r->len);
				else if (hs_scan(r->db, r->p, r->len, 0, hs, noop, NULL) != HS_SUCCESS)
					die("hs_scan failed on %s", m->name);
			}
		}
	sink += acc;
}

/* The ceiling field by field: each scanned slot's values alone (a slot
 * none of whose values the mix has is only counted). */
static void bench_fields(const struct mix *mx, const struct rs_set *s, hs_scratch_t *hs,
			 uint64_t passes, unsigned runs, struct result *res)
{
	double reqs = (double)passes * mx->sched_len, v[MAX_RUNS];

	for (uint32_t i = 0; i < s->n_slots && res->n_fields < MAX_FIELDS; i++) {
		const struct rs_rt_slot *sl = &s->slots[i];
		struct field_res *f = &res->fields[res->n_fields];
		uint64_t n = 0;
		if (sl->db == NULL && sl->lits == NULL)
			continue;
		for (unsigned k = 0; k < mx->sched_len; k++)
			for (uint32_t j = 0; j < mx->sched[k]->n_scans; j++)
				n += of_slot(&mx->sched[k]->scans[j], sl);
		if (n == 0) {
			res->n_idle++;
			continue;
		}
		if (sl->field == RS_F_hdr)
			snprintf(f->name, sizeof(f->name), "hdr[%.50s]", sl->hdr);
		else
			snprintf(f->name, sizeof(f->name), "%s", rs_field_name((enum rs_field)sl->field));
		f->values_per_req = (double)n / mx->sched_len;
		for (unsigned r = 0; r < runs; r++) {
			uint64_t t0 = now_ns();
			run_scan(mx, hs, passes, sl);
			v[r] = (double)(now_ns() - t0) / reqs;
		}
		f->scan_ns = median(v, runs);
		res->n_fields++;
	}
}

/* The text of a ruleset: generated, or read by the parser from its file
 * (its includes too), as bench_pipeline reads it. */
static struct rs_ast *parse_set(const struct set_arg *a, uint64_t seed, struct result *res)
{
	struct rs_diag d;
	struct rs_ast *ast = NULL;
	char b[600];
	int rc;

	if (a->file != NULL) {
		const char *base = strrchr(a->file, '/');
		snprintf(res->name, sizeof(res->name), "%s", base ? base + 1 : a->file);
		rc = rs_parse_file(a->file, NULL, &ast, &d);
	} else {
		char *text = gen_rules(a->n, seed);
		snprintf(res->name, sizeof(res->name), "%u", a->n);
		rc = rs_parse_buf("generated.rules", NULL, text, strlen(text), NULL, &ast, &d);
		free(text);
	}
	if (rc != 0 && d.n > 0) /* the diagnostic names the file */
		die("%s", rs_diag_str(&d, 0, b, sizeof(b)));
	if (rc != 0)
		die("%s: %s", a->file ? a->file : "generated rules", strerror(-rc));
	return ast;
}

static void bench_one(struct mix *mx, const struct set_arg *a, uint64_t seed, unsigned runs,
		      unsigned ms, bool fields, struct result *res)
{
	struct rs_diag d;
	void *blob = NULL;
	size_t len = 0;
	char err[256], b[600];

	memset(res, 0, sizeof(*res));
	uint64_t t0 = now_ns();
	struct rs_ast *ast = parse_set(a, seed, res);
	uint64_t t1 = now_ns();
	res->n_rules = ast->n_rules;
	if (rs_compile(ast, NULL, &blob, &len, &d, &res->st) != 0)
		die("%s: %s", res->name, rs_diag_str(&d, 0, b, sizeof(b)));
	uint64_t t2 = now_ns();
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		res->peak_mib = ru.ru_maxrss / 1024;
	res->parse_ms = (double)(t1 - t0) / 1e6;
	res->compile_ms = (double)(t2 - t1) / 1e6;
	rs_ast_free(ast);

	long heap0 = heap_kib();
	struct rs_set *s = NULL;
	struct rs_scratch *sc = NULL;
	t0 = now_ns();
	if (rs_set_load(blob, len, &s, err, sizeof(err)) != 0)
		die("load: %s", err);
	res->load_ms = (double)(now_ns() - t0) / 1e6;
	if (rs_scratch_alloc(s, &sc) != 0)
		die("scratch: out of memory");
	uint64_t *hits = calloc(rs_set_n_rules(s) + 1, sizeof(*hits));
	if (hits == NULL)
		die("out of memory");
	res->heap_kib = heap_kib() - heap0;
	free(blob); /* after: heap0 counted it */

	uint64_t n_scans = 0;
	for (unsigned i = 0; i < mx->n; i++) {
		struct msg *m = &mx->msgs[i];
		int k = (m->m.flags & SIP_MSG_REQUEST) ? rs_eval_scans(s, sc, &m->m, m->scans, MAX_SCANS) : 0;
		if (k < 0 || k > (int)MAX_SCANS)
			die("%s: %d scans", m->name, k);
		m->n_scans = (uint32_t)k;
	}
	for (unsigned i = 0; i < mx->sched_len; i++)
		for (uint32_t k = 0; k < mx->sched[i]->n_scans; k++)
			n_scans += mx->sched[i]->scans[k].db != NULL;
	res->scans_per_req = (double)n_scans / mx->sched_len;
	for (unsigned i = 0; i < mx->sched_len; i++)
		res->recs_per_req += (double)mx->sched[i]->n_scans / mx->sched_len;

	/* calibrate on rs_eval: passes so that a run lasts ms */
	t0 = now_ns();
	run_eval(mx, s, sc, hits, 1);
	double one = (double)(now_ns() - t0);
	uint64_t passes = (uint64_t)((double)ms * 1e6 / (one > 1 ? one : 1)) + 1;
	double ev[MAX_RUNS], sv[MAX_RUNS];
	double reqs = (double)passes * mx->sched_len;
	for (unsigned r = 0; r < runs; r++) { /* interleaved: drift hits both */
		t0 = now_ns();
		run_eval(mx, s, sc, hits, passes);
		t1 = now_ns();
		run_scan(mx, sc->hs, passes, NULL);
		t2 = now_ns();
		ev[r] = (double)(t1 - t0) / reqs;
		sv[r] = (double)(t2 - t1) / reqs;
	}
	res->eval_ns = median(ev, runs);
	res->scan_ns = median(sv, runs);
	if (fields)
		bench_fields(mx, s, sc->hs, passes, runs, res);
	free(hits);
	rs_scratch_free(sc);
	rs_set_free(s);
}

/* ---- output ---- */

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown CPU");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
			snprintf(buf, len, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	if (f != NULL)
		fclose(f);
}

static void print_table(const struct mix *mx, const struct result *r, unsigned n, unsigned runs)
{
	char cpu[128];
	struct rs_platform p;

	cpu_model(cpu, sizeof(cpu));
	rs_platform_host(&p);
	printf("rules engine: %s, Hyperscan %s, target cpu_features 0x%llx\n", cpu, hs_version(),
	       (unsigned long long)p.cpu_features);
	printf("mix: %u requests a pass (responses skipped); median of %u runs; rs_eval with "
	       "hits[], source 10.77.1.2:40000\n\n", mx->sched_len, runs);
	printf("%18s %7s %9s %10s %8s %9s %4s %8s %8s %11s %9s %8s %8s | %8s %8s | %8s %8s %9s | %6s\n",
	       "ruleset", "rules", "parse_ms", "compile_ms", "peak_MiB", "blob_KiB", "dbs", "patterns", "db_KiB",
	       "scratch_KiB", "heap_KiB", "load_ms", "scans", "eval_ns", "Mreq/s", "scan_ns",
	       "Mreq/s", "", "ratio");
	for (unsigned i = 0; i < n; i++) {
		const struct result *x = &r[i];
		printf("%18s %7u %9.1f %10.1f %8ld %9.1f %4u %8u %8.1f %11.1f %9ld %8.2f %8.2f | %8.1f %8.2f | ",
		       x->name, x->n_rules, x->parse_ms, x->compile_ms, x->peak_mib, x->st.blob_bytes / 1024.0, x->st.n_dbs,
		       x->st.n_patterns, x->st.db_bytes / 1024.0, x->st.scratch_bytes / 1024.0,
		       x->heap_kib, x->load_ms, x->scans_per_req, x->eval_ns, 1e3 / x->eval_ns);
		if (x->recs_per_req > 0)
			printf("%8.1f %8.2f %9s | %5.0f%%\n", x->scan_ns, 1e3 / x->scan_ns, "",
			       100.0 * x->scan_ns / x->eval_ns);
		else
			printf("%8s %8s %9s | %6s\n", "-", "-", "", "-");
	}
	printf("\npeak: the process's peak RSS once the set is compiled (sets run in order); heap: "
	       "the loaded set, its scratch and hits[]; scans: hs_scan calls per request; "
	       "ratio: rs_eval's requests/s as a share of matching alone (Hyperscan scanning every "
	       "database of the set over its field's values, == literals looked up)\n");
	for (unsigned i = 0; i < n; i++) {
		if (r[i].n_fields == 0 && r[i].n_idle == 0)
			continue;
		printf("\n%s: the ceiling by field (matches per request: scans and literal lookups; "
		       "ns per request)\n",
		       r[i].name);
		for (unsigned k = 0; k < r[i].n_fields; k++)
			printf("  %-28s %6.2f %8.1f\n", r[i].fields[k].name,
			       r[i].fields[k].values_per_req, r[i].fields[k].scan_ns);
		if (r[i].n_idle)
			printf("  and %u matched fields with no value in the mix (or none long enough)\n",
			       r[i].n_idle);
	}
}

static unsigned long num_arg(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);

	if (*s == '\0' || *e != '\0' || v < lo || v > hi)
		die("%s \"%s\": want a number in [%lu, %lu]", opt, s, lo, hi);
	return v;
}

/* --rules: counts and files, comma-separated, appended to sets. */
static void add_sets(char *arg, struct set_arg *sets, unsigned *n)
{
	char *save = NULL;

	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_SETS)
			die("--rules: at most %u rulesets", MAX_SETS);
		if (tok[strspn(tok, "0123456789")] == '\0')
			sets[(*n)++] = (struct set_arg){(uint32_t)num_arg("--rules", tok, 0, 100000), NULL};
		else
			sets[(*n)++] = (struct set_arg){0, tok};
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"rules", required_argument, NULL, 'r'}, {"runs", required_argument, NULL, 'n'},
		{"ms", required_argument, NULL, 'm'},	 {"cpu", required_argument, NULL, 'c'},
		{"seed", required_argument, NULL, 's'},	 {"smoke", no_argument, NULL, 'k'},
		{"fields", no_argument, NULL, 'f'},	 {NULL, 0, NULL, 0},
	};
	static struct mix mx;
	static struct result res[MAX_SETS];
	struct set_arg sets[MAX_SETS] = {{0, NULL}, {100, NULL}, {1000, NULL}, {10000, NULL}};
	unsigned n_sets = 0, runs = 7, ms = 500;
	uint64_t seed = 42;
	bool smoke = false, fields = false;
	int opt, cpu = -1;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'r':
			add_sets(optarg, sets, &n_sets);
			break;
		case 'n':
			runs = (unsigned)num_arg("--runs", optarg, 1, MAX_RUNS);
			break;
		case 'm':
			ms = (unsigned)num_arg("--ms", optarg, 1, 60000);
			break;
		case 'c':
			cpu = (int)num_arg("--cpu", optarg, 0, CPU_SETSIZE - 1);
			break;
		case 's':
			seed = num_arg("--seed", optarg, 1, ~0ul);
			break;
		case 'k':
			smoke = true;
			break;
		case 'f':
			fields = true;
			break;
		default:
			fprintf(stderr, "usage: bench_rules [--rules N|FILE,..] [--runs N] [--ms N] "
					"[--cpu N] [--seed S] [--fields] [--smoke] [MIX]\n");
			return 2;
		}
	}
	if (n_sets == 0) /* the default: 0, 100, 1 000, 10 000; smoke: up to 1 000 */
		n_sets = smoke ? 3 : 4;
	if (smoke) { /* a test: the whole path once, quickly */
		runs = 1;
		ms = 20;
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			die("--cpu %d: %s", cpu, strerror(errno));
	}
	load_mix(&mx, optind < argc ? argv[optind] : BENCH_MIX_DIR);
	for (unsigned i = 0; i < n_sets; i++)
		bench_one(&mx, &sets[i], seed, runs, ms, fields, &res[i]);
	print_table(&mx, res, n_sets, runs);
	return 0;
}
