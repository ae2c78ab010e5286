/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_ban.c - the ban tables and the early-drop stage (ban.h), the filter
 * stage and its ruleset slots (filter.h), and the RCU retire queue
 * (dp_retire), on a real EAL (--no-huge, no PCI, two lcores) with no ports
 * and real rulesets (rs_parse_buf, rs_compile, then the dataplane's own
 * load):
 *   - prefixes as the state writes them: good ones and 20 bad ones, each
 *     with its message;
 *   - the dynamic table: insert, renew, expiry (lookup, sweep), eviction
 *     when a group is full (the newest survive), lift through the control
 *     ring (and the ring full), counters;
 *   - the table read in pages (ban_table_walk, as bans.list reads it):
 *     every page size and cap on bans give each ban once, the same as a
 *     whole read, expired ones left out;
 *   - reading a table while its owner writes it (another lcore inserting
 *     and clearing for a second): nothing torn is ever reported;
 *   - the manual table against a naive reference on random prefixes and
 *     addresses of both families, expired prefixes, repeats refused;
 *   - the stage: bursts of 0, 1, 3, 31, 32 and 33 packets mixing banned,
 *     denied and clean sources, access and core ports;
 *   - dp_retire: nothing freed before every worker has been quiescent;
 *   - the filter: each action on parsed requests (drop, reject with and
 *     without a reason, a reject of an ACK dropped, ban into the table,
 *     allow, count), responses and the core side left alone (unless
 *     rules.filter_core_side), the shadow slot only counted, bursts of 0, 1,
 *     3, 31, 32 and 33; hits per rule id across three versions (folded when
 *     retired, never going back); blobs the loader refuses (garbage,
 *     truncated, flipped) with a reason and nothing leaked.
 *
 * test_ban --timing prints instead how long one bans.list page and a whole
 * table take to read at the largest rules.ban_table_size (docs/agent.md).
 */
#define CHECK_MAIN
#include "check.h"

#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "ban.h"
#include "filter.h"
#include "proxy.h"
#include "rs.h"
#include "worker.h"

/* A C string against a C string. */
#define CHECK_CSTR(got, want)                                                 \
	do {                                                                  \
		const char *g__ = (got);                                      \
		CHECK_STR(((struct sip_str){g__, (uint32_t)strlen(g__)}), want); \
	} while (0)

static struct dp dp;
static struct worker *w;

static struct dp_ip v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	struct dp_ip ip = {.af = 4, .a = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d}};

	return ip;
}

static struct dp_ip v6(uint16_t h0, uint16_t h7)
{
	struct dp_ip ip = {.af = 6, .a = {0x20, 0x01, 0x0d, 0xb8}};

	ip.a[4] = (uint8_t)(h0 >> 8);
	ip.a[5] = (uint8_t)h0;
	ip.a[14] = (uint8_t)(h7 >> 8);
	ip.a[15] = (uint8_t)h7;
	return ip;
}

static void setup(uint32_t size)
{
	dp.n_workers = 1;
	dp.n_ports = 2;
	dp.ports[0].role = DP_ROLE_ACCESS;
	dp.ports[1].role = DP_ROLE_CORE;
	dp.tsc_hz = rte_get_tsc_hz();
	dp.stats = rte_zmalloc("st", 2 * sizeof(struct stats_block), 64);
	dp.qsbr = rte_zmalloc("q", rte_rcu_qsbr_get_memsize(1), 64);
	w = rte_zmalloc("w", sizeof(*w), 64);
	if (!dp.stats || !dp.qsbr || !w || rte_rcu_qsbr_init(dp.qsbr, 1) != 0) {
		fprintf(stderr, "setup failed\n");
		exit(1);
	}
	w->dp = &dp;
	w->st = &dp.stats[0];
	w->lcore = rte_lcore_id();
	dp.workers[0] = w;
	CHECK_INT(ban_table_create(w, size), 0);
	CHECK_INT(filter_init(&dp), 0);
	sip_limits_default(&dp.lim);
	dp.cfg.proxy.reply_malformed = true;
	w->now = 1000000;
}

static uint64_t ctr(unsigned c)
{
	return w->st->ctr[c];
}

/* ---- prefixes ---- */

static void test_prefix_parse(void)
{
	static const struct {
		const char *in, *out, *why; /* out NULL: refused with why */
	} rows[] = {
		{"192.0.2.0/24", "192.0.2.0/24", NULL},
		{"192.0.2.7", "192.0.2.7/32", NULL},
		{"10.0.0.0/8", "10.0.0.0/8", NULL},
		{"128.0.0.0/1", "128.0.0.0/1", NULL},
		{"2001:db8::/32", "2001:db8::/32", NULL},
		{"2001:db8::1", "2001:db8::1/128", NULL},
		{"::ffff:0:0/96", "::ffff:0.0.0.0/96", NULL},
		{"192.0.2.0/024", "192.0.2.0/24", NULL},
		{"192.0.2.1/24", NULL, "has bits set past /24 (192.0.2.0/24?)"},
		{"2001:db8::1/64", NULL, "has bits set past /64 (2001:db8::/64?)"},
		{"192.0.2.0/33", NULL, "length 33 out of range [1, 32]"},
		{"192.0.2.0/0", NULL, "length 0 out of range [1, 32]"},
		{"2001:db8::/129", NULL, "length 129 out of range [1, 128]"},
		{"192.0.2.0/", NULL, "is not an address/length"},
		{"192.0.2.0/x", NULL, "is not an address/length"},
		{"192.0.2.0/2 4", NULL, "is not an address/length"},
		{"192.0.2.0/-1", NULL, "is not an address/length"},
		{"192.0.2.0/1000", NULL, "is not an address/length"},
		{"192.0.2.0/24/8", NULL, "is not an address/length"},
		{"/24", NULL, "is not an address/length"},
		{"", NULL, "is not an address/length"},
		{"300.0.0.0/8", NULL, "is not an address/length"},
		{"192.0.2", NULL, "is not an address/length"},
		{"example.com/24", NULL, "is not an address/length"},
		{" 192.0.2.0/24", NULL, "is not an address/length"},
		{"2001:db8:::/32", NULL, "is not an address/length"},
		{"fe80::1%eth0/64", NULL, "is not an address/length"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/8", NULL,
		 "is not an address/length"},
	};

	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		struct ban_prefix p;
		char why[160], buf[80];
		int rc;

		check_ctx = rows[i].in;
		memset(why, 0, sizeof(why));
		rc = ban_prefix_parse(rows[i].in, strlen(rows[i].in), &p, why, sizeof(why));
		if (rows[i].out) {
			CHECK_INT(rc, 0);
			if (rc == 0)
				CHECK_CSTR(ban_prefix_fmt(&p, buf, sizeof(buf)), rows[i].out);
		} else {
			CHECK_INT(rc, -EINVAL);
			CHECK(strncmp(why, rows[i].why, strlen(rows[i].why)) == 0);
		}
	}
	/* a NUL inside the length given is refused, not cut there */
	{
		struct ban_prefix p;
		char why[160];

		check_ctx = "embedded NUL";
		CHECK_INT(ban_prefix_parse("192.0.2.0\0/8", 12, &p, why, sizeof(why)), -EINVAL);
	}
}

/* ---- the dynamic table ---- */

static bool listed(const struct dp_ip *ip, uint32_t *rule)
{
	static struct ban_info bi[5000];
	unsigned total, n = ban_table_list(w, w->now, bi, RTE_DIM(bi), &total);

	for (unsigned i = 0; i < n; i++)
		if (memcmp(&bi[i].ip, ip, sizeof(*ip)) == 0) {
			if (rule)
				*rule = bi[i].rule;
			return true;
		}
	return false;
}

static void test_dynamic(void)
{
	struct dp_ip a = v4(203, 0, 113, 9), b = v6(1, 2), c = v4(203, 0, 113, 10);
	uint64_t hz = dp.tsc_hz, t0 = w->now;
	uint32_t rule = 0;
	unsigned total;

	check_ctx = "insert";
	CHECK_INT(ban_table_count(w), 0);
	ban_insert(w, &a, 1001, t0 + 10 * hz);
	ban_insert(w, &b, 1002, t0 + 20 * hz);
	CHECK_INT(ban_table_count(w), 2);
	CHECK_INT(ctr(STATS_ban_inserts), 2);
	CHECK(ban_table_has(w, &a, w->now));
	CHECK(ban_table_has(w, &b, w->now));
	CHECK(!ban_table_has(w, &c, w->now));
	CHECK(listed(&a, &rule));
	CHECK_INT(rule, 1001);
	CHECK(listed(&b, &rule));
	CHECK_INT(rule, 1002);
	CHECK_INT(ban_table_list(w, w->now, NULL, 0, &total), 0);
	CHECK_INT(total, 2);

	check_ctx = "renew: later wins, earlier does not shorten";
	ban_insert(w, &a, 1003, t0 + 30 * hz);
	ban_insert(w, &a, 1004, t0 + 5 * hz);
	CHECK_INT(ctr(STATS_ban_inserts), 2);
	CHECK_INT(ban_table_count(w), 2);
	CHECK(listed(&a, &rule));
	CHECK_INT(rule, 1003);

	check_ctx = "IPv4 and its IPv4-mapped IPv6 form are one source";
	{
		struct dp_ip m = {.af = 6};

		m.a[10] = m.a[11] = 0xff;
		memcpy(m.a + 12, a.a, 4);
		CHECK(ban_table_has(w, &m, w->now));
	}

	check_ctx = "expiry: b (20 s) over at 25 s, a (30 s) not";
	w->now = t0 + 25 * hz;
	CHECK(!ban_table_has(w, &b, w->now));
	CHECK(ban_table_has(w, &a, w->now));
	CHECK_INT(ban_table_list(w, w->now, NULL, 0, &total), 0);
	CHECK_INT(total, 1);
	/* the sweep clears it: one group a loop, the whole table in
	 * (size / 16) loops */
	for (unsigned i = 0; i < 1024 / 16; i++)
		ban_ctl_drain(w);
	CHECK_INT(ban_table_count(w), 1);
	CHECK_INT(ctr(STATS_ban_expired), 1);

	check_ctx = "lift through the control ring";
	CHECK_INT(ban_lift(w, &a), 0);
	CHECK(ban_table_has(w, &a, w->now)); /* not before the worker drains */
	ban_ctl_drain(w);
	CHECK(!ban_table_has(w, &a, w->now));
	CHECK_INT(ban_table_count(w), 0);
	CHECK_INT(ctr(STATS_bans_lifted), 1);
	/* lifting what is not there changes nothing */
	CHECK_INT(ban_lift(w, &c), 0);
	ban_ctl_drain(w);
	CHECK_INT(ctr(STATS_bans_lifted), 1);

	check_ctx = "control ring full";
	{
		unsigned ok = 0;

		for (unsigned i = 0; i < 2 * BAN_CTL_RING; i++)
			ok += ban_lift(w, &c) == 0;
		CHECK(ok >= BAN_CTL_RING - 1 && ok <= BAN_CTL_RING);
		CHECK_INT(ban_lift(w, &c), -ENOBUFS);
		for (unsigned i = 0; i < 2 * BAN_CTL_RING / BAN_CTL_BURST; i++)
			ban_ctl_drain(w);
		CHECK_INT(ban_lift(w, &c), 0);
		ban_ctl_drain(w);
	}
}

/* 3000 distinct sources into 1024 slots, each banned later than the one
 * before: evictions make room, and in every group the newest survive. */
static void test_eviction(void)
{
	enum { N = 3000 };
	uint64_t t0 = w->now, hz = dp.tsc_hz;
	uint64_t ins0 = ctr(STATS_ban_inserts), ev0 = ctr(STATS_ban_table_evictions);
	unsigned present = 0;

	check_ctx = "eviction";
	for (unsigned i = 0; i < N; i++) {
		struct dp_ip ip = i % 2 ? v4(198, 18, i >> 8, i & 255) : v6((uint16_t)i, 7);

		ban_insert(w, &ip, i + 1, t0 + hz + i);
	}
	for (unsigned i = 0; i < N; i++) {
		struct dp_ip ip = i % 2 ? v4(198, 18, i >> 8, i & 255) : v6((uint16_t)i, 7);

		present += ban_table_has(w, &ip, w->now);
		if (i >= N - 16)
			CHECK(ban_table_has(w, &ip, w->now));
	}
	CHECK_INT(ctr(STATS_ban_inserts) - ins0, N);
	CHECK_INT(present, ban_table_count(w));
	CHECK_INT(present + ctr(STATS_ban_table_evictions) - ev0, N);
	CHECK(present <= 1024 && present > 900);
	/* all of them over: the lookups and the sweep clear every one */
	w->now = t0 + 2 * hz + N;
	for (unsigned i = 0; i < 1024 / 16; i++)
		ban_ctl_drain(w);
	CHECK_INT(ban_table_count(w), 0);
	w->now = t0;
}

/* The table read in pages (ban_table_walk, what bans.list does): for page
 * sizes of 1, 16, 100 and the whole table, and at most 1, 3 or 5000 bans a
 * call, every ban in force comes exactly once, the same as ban_table_list
 * reads at once, and each call goes forward. 300 sources, 50 of them
 * expired (left in their slots: no sweep). */
static void test_walk(void)
{
	static struct ban_info all[1024], got[1024], page[1024];
	static const uint32_t scans[] = {1, 16, 100, 1024};
	static const unsigned maxes[] = {1, 3, 5000};
	uint64_t t0 = w->now, hz = dp.tsc_hz;
	uint32_t slots = ban_table_slots(w), next;
	unsigned total, n;

	check_ctx = "walk";
	CHECK_INT(slots, 1024);
	for (unsigned i = 0; i < 300; i++) {
		struct dp_ip ip = i % 2 ? v4(198, 51, i >> 8, i & 255) : v6((uint16_t)i, 9);

		ban_insert(w, &ip, 7000 + i, i < 50 ? t0 + 1 : t0 + hz + i);
	}
	w->now = t0 + 2;
	n = ban_table_list(w, w->now, all, RTE_DIM(all), &total);
	CHECK_INT(n, total);
	CHECK(n >= 240 && n <= 250); /* a full group evicts: ~250 in force */
	CHECK_INT(ban_table_count(w), n + 50);
	for (unsigned a = 0; a < RTE_DIM(scans); a++)
		for (unsigned b = 0; b < RTE_DIM(maxes); b++) {
			uint32_t from = 0;
			unsigned got_n = 0, calls = 0, over = 0;

			while (from < slots && calls++ <= slots) {
				uint32_t end = slots - from > scans[a] ? from + scans[a] : slots;
				unsigned k = ban_table_walk(w, w->now, from, end, page, maxes[b], &next);

				over += k > maxes[b] || next <= from || next > end ||
					(k < maxes[b] && next != end);
				for (unsigned i = 0; i < k && got_n < RTE_DIM(got); i++)
					got[got_n++] = page[i];
				from = next;
			}
			check_ctx = "walk: pages";
			CHECK_INT(over, 0);
			CHECK_INT(got_n, n);
			CHECK(memcmp(got, all, n * sizeof(all[0])) == 0);
		}
	check_ctx = "walk: max 0 reads nothing, goes nowhere";
	CHECK_INT(ban_table_walk(w, w->now, 5, slots, page, 0, &next), 0);
	CHECK_INT(next, 5);
	check_ctx = "walk: an empty range";
	CHECK_INT(ban_table_walk(w, w->now, slots, slots, page, 10, &next), 0);
	CHECK_INT(next, slots);
	/* all of them over: the sweep empties the table for the next cases */
	w->now = t0 + 2 * hz + 300;
	for (unsigned i = 0; i < 1024 / 16; i++)
		ban_ctl_drain(w);
	CHECK_INT(ban_table_count(w), 0);
	w->now = t0;
}

/* --timing: main-lcore time of one bans.list page (262144 slots) against
 * the whole table at the largest rules.ban_table_size, empty, with 262144
 * bans and with 2 million. A figure for docs/agent.md, not a check. */
static void timing(void)
{
	static struct ban_info out[10000];
	struct worker *t = rte_zmalloc("wt", sizeof(*t), 64);
	static const unsigned loads[] = {0, 262144, 2097152, 2097152};
	unsigned made = 0;

	if (t != NULL)
		t->id = 1; /* its control ring's name */
	if (t == NULL || ban_table_create(t, BAN_TABLE_MAX) != 0) {
		fprintf(stderr, "timing: no memory for a table of %u slots\n", BAN_TABLE_MAX);
		exit(1);
	}
	t->st = w->st;
	t->now = 1000000;
	for (unsigned l = 0; l < RTE_DIM(loads); l++) {
		uint64_t best_page = UINT64_MAX, best_all = UINT64_MAX;
		unsigned total = 0, n = 0;
		uint32_t next;

		for (; made < loads[l]; made++) {
			struct dp_ip ip = v4(10 + (made >> 24), (made >> 16) & 255, (made >> 8) & 255,
					     made & 255);

			ban_insert(t, &ip, 1, t->now + dp.tsc_hz * 3600);
		}
		if (l == RTE_DIM(loads) - 1)
			t->now += dp.tsc_hz * 7200; /* all expired, none swept: the worst page */
		for (unsigned r = 0; r < 5; r++) {
			uint64_t c0 = rte_rdtsc(), c1, c2;

			n = ban_table_walk(t, t->now, 0, 262144, out, RTE_DIM(out), &next);
			c1 = rte_rdtsc();
			ban_table_list(t, t->now, out, RTE_DIM(out), &total);
			c2 = rte_rdtsc();
			best_page = RTE_MIN(best_page, c1 - c0);
			best_all = RTE_MIN(best_all, c2 - c1);
		}
		printf("timing: %u slots, %u in use%s: a page of 262144 slots (limit %zu, %u read) "
		       "%.3f ms; the whole table %.3f ms (best of 5)\n", BAN_TABLE_MAX,
		       ban_table_count(t), l == RTE_DIM(loads) - 1 ? ", all expired" : "",
		       RTE_DIM(out), n, 1e3 * (double)best_page / (double)dp.tsc_hz,
		       1e3 * (double)best_all / (double)dp.tsc_hz);
	}
	ban_table_free(t);
	rte_free(t);
}

/* ---- reading while the owner writes ---- */

static volatile bool torn_stop;

static uint32_t rule_of(unsigned i)
{
	return 0x9e3779b1u * (i + 1);
}

static struct dp_ip torn_ip(unsigned i)
{
	return i % 3 ? v4(100, 64, i >> 8, i & 255) : v6((uint16_t)i, (uint16_t)(i * 7));
}

/* The owner: bans and clears 200 sources over and over, each always with
 * its own rule id and an expiry that encodes it too. */
static int torn_writer(void *arg)
{
	uint64_t round = 0;

	(void)arg;
	while (!torn_stop) {
		for (unsigned i = 0; i < 200; i++) {
			struct dp_ip ip = torn_ip(i);

			ban_insert(w, &ip, rule_of(i), w->now + 1000000000ull + i + (round << 8));
		}
		for (unsigned i = 0; i < 200; i++) {
			struct dp_ip ip = torn_ip(i);

			ban_lift(w, &ip);
			ban_ctl_drain(w);
		}
		round++;
	}
	return 0;
}

static void test_torn(void)
{
	static struct ban_info bi[512];
	unsigned lc = rte_get_next_lcore(rte_lcore_id(), 1, 0), bad = 0, seen = 0;
	uint64_t end = rte_rdtsc() + dp.tsc_hz;

	check_ctx = "reads while the owner writes";
	if (lc >= RTE_MAX_LCORE) {
		fprintf(stderr, "test_ban: no second lcore; skipping the torn-read case\n");
		return;
	}
	torn_stop = false;
	/* the owner's lifts are its own (same thread): the ring stays SP/SC */
	rte_eal_remote_launch(torn_writer, NULL, lc);
	while (rte_rdtsc() < end) {
		unsigned total, n = ban_table_list(w, w->now, bi, RTE_DIM(bi), &total);

		for (unsigned k = 0; k < n; k++) {
			unsigned i;

			seen++;
			for (i = 0; i < 200; i++) {
				struct dp_ip ip = torn_ip(i);

				if (memcmp(&ip, &bi[k].ip, sizeof(ip)) == 0)
					break;
			}
			if (i == 200 || bi[k].rule != rule_of(i) ||
			    ((bi[k].expires - w->now - 1000000000ull) & 255) != i)
				bad++;
		}
		CHECK(n <= 200);
	}
	torn_stop = true;
	rte_eal_wait_lcore(lc);
	CHECK_INT(bad, 0);
	CHECK(seen > 0);
	printf("torn-read case: %u entries read while written, %u torn\n", seen, bad);
	/* leave the table empty */
	for (unsigned i = 0; i < 200; i++) {
		struct dp_ip ip = torn_ip(i);

		ban_lift(w, &ip);
		ban_ctl_drain(w);
	}
	CHECK_INT(ban_table_count(w), 0);
}

/* ---- the manual table ---- */

static bool in_prefix(const struct dp_ip *ip, const struct ban_prefix *p)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;

	if (ip->af != p->net.af || memcmp(ip->a, p->net.a, full) != 0)
		return false;
	return rest == 0 || ((ip->a[full] ^ p->net.a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static void random_prefix(struct ban_prefix *p)
{
	unsigned six = rte_rand() & 1, max = six ? 128 : 32;
	/* few distinct lengths, as real lists have, and now and then any */
	static const uint8_t l4[] = {8, 16, 24, 32, 28}, l6[] = {32, 48, 64, 128, 56};
	unsigned plen = rte_rand() % 8 == 0 ? 1 + (unsigned)(rte_rand() % max)
					     : (six ? l6 : l4)[rte_rand() % 5];
	uint64_t r[2] = {rte_rand(), rte_rand()};

	memset(p, 0, sizeof(*p));
	p->net.af = six ? 6 : 4;
	memcpy(p->net.a, r, six ? 16 : 4);
	if (!six)
		p->net.a[0] = (uint8_t)(10 + (p->net.a[0] & 3)); /* dense enough to hit */
	else
		p->net.a[0] = 0x20, p->net.a[1] = (uint8_t)(p->net.a[1] & 1);
	for (unsigned b = plen; b < max; b++)
		p->net.a[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	p->plen = (uint8_t)plen;
}

static void test_manual(void)
{
	enum { NP = 2000, NA = 20000 };
	static struct ban_prefix p[NP];
	struct ban_deny *d = NULL;
	uint64_t now_tsc = 5000000, hz = dp.tsc_hz;
	int64_t now = 1790000000;
	unsigned n = 0, dup = 0, hits = 0, bad = 0, src;
	int rc;

	check_ctx = "manual: none";
	CHECK_INT(ban_deny_build(p, 0, now_tsc, now, hz, &d, &dup), 0);
	CHECK(d == NULL);

	check_ctx = "manual: random prefixes against a naive scan";
	while (n < NP) {
		bool again = false;

		random_prefix(&p[n]);
		for (unsigned j = 0; j < n && !again; j++)
			again = p[j].plen == p[n].plen && memcmp(&p[j].net, &p[n].net,
								  sizeof(p[n].net)) == 0;
		if (again)
			continue;
		/* one in ten expired, one in ten expiring in 100 s */
		p[n].expires = n % 10 == 0 ? now - 5 : n % 10 == 1 ? now + 100 : 0;
		n++;
	}
	rc = ban_deny_build(p, NP, now_tsc, now, hz, &d, &dup);
	CHECK_INT(rc, 0);
	if (rc != 0)
		return;
	for (unsigned t = 0; t < 2; t++) {
		uint64_t at = now_tsc + (t ? 200 * hz : 0); /* then the 100 s ones are over */

		for (unsigned i = 0; i < NA; i++) {
			struct dp_ip ip;
			bool want = false;

			if (i % 2) { /* inside a prefix, other bits random */
				const struct ban_prefix *q = &p[rte_rand() % NP];
				uint64_t r[2] = {rte_rand(), rte_rand()};

				ip = q->net;
				memcpy(ip.a + (q->plen + 7) / 8, r, (q->net.af == 6 ? 16 : 4) -
				       (q->plen + 7) / 8);
			} else {
				struct ban_prefix q;

				random_prefix(&q);
				ip = q.net;
			}
			for (unsigned j = 0; j < NP && !want; j++)
				want = in_prefix(&ip, &p[j]) &&
				       (p[j].expires == 0 || (t == 0 && p[j].expires > now));
			hits += want;
			bad += ban_denied(d, &ip, at) != want;
		}
	}
	CHECK_INT(bad, 0);
	CHECK(hits > NA / 4);
	ban_deny_free(d);

	check_ctx = "manual: a repeat refused with its index";
	p[1900] = p[17];
	p[1900].expires = 0;
	CHECK_INT(ban_deny_build(p, NP, now_tsc, now, hz, &d, &dup), -EEXIST);
	CHECK_INT(dup, 1900);
	CHECK(d == NULL);
	/* a listed network with a shorter length (host bits cleared) is not a
	 * repeat; the length is one no random prefix has with that network
	 * already (a short one often has: then one shorter still) */
	for (src = 17; p[src].plen < 8; src++)
		;
	p[1900] = p[src];
	for (unsigned len = p[src].plen, taken = 1; taken && len > 1; len--) {
		p[1900].plen = (uint8_t)(len - 1);
		for (unsigned b = len - 1; b < 128; b++)
			p[1900].net.a[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		taken = 0;
		for (unsigned j = 0; j < NP; j++)
			taken |= j != 1900 && p[j].plen == p[1900].plen &&
				 memcmp(&p[j].net, &p[1900].net, sizeof(p[1900].net)) == 0;
	}
	CHECK(p[1900].plen < p[src].plen);
	CHECK_INT(ban_deny_build(p, NP, now_tsc, now, hz, &d, &dup), 0);
	ban_deny_free(d);

	/* an expiry beyond the TSC's range (the year 2260, and INT64_MAX)
	 * once wrapped to an instant: the ban is in force, a year on too */
	check_ctx = "manual: an expiry centuries ahead";
	for (unsigned k = 0; k < 2; k++) {
		struct ban_prefix far = p[17];
		struct dp_ip ip = far.net;

		far.expires = k ? INT64_MAX : 9173697630;
		CHECK_INT(ban_deny_build(&far, 1, now_tsc, now, hz, &d, &dup), 0);
		if (d == NULL)
			continue;
		CHECK(ban_denied(d, &ip, now_tsc + 1));
		CHECK(ban_denied(d, &ip, now_tsc + 365ull * 86400 * hz));
		ban_deny_free(d);
	}
}

/* ---- the stage ---- */

static void fill(struct dp_burst *b, unsigned n)
{
	b->n = (uint16_t)n;
	for (unsigned i = 0; i < n; i++) {
		struct dp_pkt *p = &b->p[i];

		memset(p, 0, sizeof(*p));
		p->step = i % 7 == 6 ? DP_STEP_DROP : DP_STEP_CONTINUE;
		p->reason = i % 7 == 6 ? STATS_DROP_udp_port : 0;
		p->in_port = i % 5 == 4; /* every fifth from the core side */
		switch (i % 4) {
		case 0: p->src.ip = v4(203, 0, 113, 9); break;  /* dynamic ban */
		case 1: p->src.ip = v4(192, 0, 2, (uint8_t)i); break; /* manual 192.0.2.0/24 */
		case 2: p->src.ip = v6(3, (uint16_t)i); break; /* clean */
		case 3: p->src.ip = v6(0xbad, (uint16_t)i); break; /* manual 2001:db8:bad::/48 */
		}
	}
}

static void test_stage(void)
{
	static const unsigned sizes[] = {0, 1, 3, 31, 32, 33};
	struct ban_prefix p[2];
	struct dp_ip a = v4(203, 0, 113, 9);
	struct dp_burst *b = &w->burst;
	struct ban_deny *d;
	unsigned dup;
	char why[100];

	check_ctx = "stage";
	CHECK_INT(ban_prefix_parse("192.0.2.0/24", 12, &p[0], why, sizeof(why)), 0);
	CHECK_INT(ban_prefix_parse("2001:db8:bad::/48", 17, &p[1], why, sizeof(why)), 0);
	p[0].expires = p[1].expires = 0;
	CHECK_INT(ban_deny_build(p, 2, rte_rdtsc(), 1790000000, dp.tsc_hz, &d, &dup), 0);
	CHECK_INT(ban_deny_publish(&dp, d), 0);
	ban_insert(w, &a, 77, w->now + dp.tsc_hz);
	for (unsigned core = 0; core < 2; core++) {
		dp.cfg.rules.filter_core_side = core;
		for (size_t s = 0; s < RTE_DIM(sizes); s++) {
			unsigned want[3] = {0}, got[3] = {0}; /* continue, banned, denied */

			/* 33: one full burst and one of 1, as the worker loop
			 * would see them */
			for (unsigned left = sizes[s]; left > 0 || sizes[s] == 0;) {
				unsigned n = left > DP_BURST ? DP_BURST : left;

				fill(b, n);
				for (unsigned i = 0; i < n; i++) {
					const struct dp_pkt *q = &b->p[i];

					if (q->step != DP_STEP_CONTINUE)
						continue;
					if (q->in_port == 1 && !core)
						want[0]++;
					else
						want[i % 4 == 0 ? 1 : i % 2 ? 2 : 0]++;
				}
				ban_stage(w, b);
				for (unsigned i = 0; i < n; i++) {
					const struct dp_pkt *q = &b->p[i];

					if (i % 7 == 6)
						CHECK_INT(q->reason, STATS_DROP_udp_port);
					else if (q->step == DP_STEP_CONTINUE)
						got[0]++;
					else if (q->reason == STATS_DROP_banned)
						got[1]++;
					else if (q->reason == STATS_DROP_denied)
						got[2]++;
				}
				if (sizes[s] == 0)
					break;
				left -= n;
			}
			CHECK_INT(got[0], want[0]);
			CHECK_INT(got[1], want[1]);
			CHECK_INT(got[2], want[2]);
		}
	}
	dp.cfg.rules.filter_core_side = false;

	check_ctx = "stage: nothing banned costs nothing and drops nothing";
	CHECK_INT(ban_deny_publish(&dp, NULL), 0);
	CHECK_INT(ban_lift(w, &a), 0);
	ban_ctl_drain(w);
	fill(b, 32);
	ban_stage(w, b);
	for (unsigned i = 0; i < 32; i++)
		CHECK_INT(b->p[i].step, i % 7 == 6 ? DP_STEP_DROP : DP_STEP_CONTINUE);
}

/* ---- retire ---- */

static unsigned freed;

static void count_free(struct dp *d, void *obj)
{
	(void)d;
	freed++;
	free(obj);
}

static void test_retire(void)
{
	check_ctx = "retire";
	dp_retire_poll(&dp);
	CHECK_INT(dp.n_retired, 0);
	/* thread 0 online and not quiescent: it may still hold what it read */
	rte_rcu_qsbr_thread_register(dp.qsbr, 0);
	rte_rcu_qsbr_thread_online(dp.qsbr, 0);
	CHECK_INT(dp_retire(&dp, malloc(8), count_free), 0);
	CHECK_INT(dp_retire(&dp, malloc(8), count_free), 0);
	CHECK_INT(dp_retire_poll(&dp), 2);
	CHECK_INT(freed, 0);
	rte_rcu_qsbr_quiescent(dp.qsbr, 0);
	CHECK_INT(dp_retire_poll(&dp), 0);
	CHECK_INT(freed, 2);
	/* the queue is bounded: full, it refuses and says so beforehand */
	for (unsigned i = 0; i < DP_RETIRE_MAX; i++)
		CHECK_INT(dp_retire(&dp, malloc(8), count_free), 0);
	CHECK(!dp_retire_room(&dp));
	{
		void *x = malloc(8);

		CHECK_INT(dp_retire(&dp, x, count_free), -ENOBUFS);
		free(x);
	}
	rte_rcu_qsbr_quiescent(dp.qsbr, 0);
	CHECK(dp_retire_room(&dp));
	CHECK_INT(freed, 2 + DP_RETIRE_MAX);
	rte_rcu_qsbr_thread_offline(dp.qsbr, 0);
	rte_rcu_qsbr_thread_unregister(dp.qsbr, 0);
}


/* ---- the filter ---- */

/* A ruleset compiled from text, loaded as the agent loads one. */
static struct filter_rules *rules(const char *text, int64_t version)
{
	struct rs_ast *ast = NULL;
	struct rs_diag diag;
	struct filter_rules *r = NULL;
	void *blob = NULL;
	size_t len = 0;
	char err[256], line[700];

	memset(&diag, 0, sizeof(diag));
	if (rs_parse_buf("t.rules", NULL, text, strlen(text), NULL, &ast, &diag) != 0 ||
	    rs_compile(ast, NULL, &blob, &len, &diag, NULL) != 0) {
		for (unsigned i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", rs_diag_str(&diag, i, line, sizeof(line)));
		CHECK(!"the test's rules compile");
		rs_ast_free(ast);
		return NULL;
	}
	rs_ast_free(ast);
	if (filter_load(&dp, blob, len, version, "00", &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "filter_load: %s\n", err);
		CHECK(!"the test's blob loads");
	}
	free(blob);
	return r;
}

static char texts[DP_BURST][256];

/* Slot i of the burst: a request (or, method "SIP/2.0", a response) from
 * 198.51.100.(i+1) on port in_port, parsed. */
static void put(struct dp_burst *b, unsigned i, const char *method, unsigned in_port)
{
	struct dp_pkt *p = &b->p[i];
	bool resp = strcmp(method, "SIP/2.0") == 0;

	snprintf(texts[i], sizeof(texts[i]),
		 "%s%s%s\r\nVia: SIP/2.0/UDP 198.51.100.%u;branch=z9hG4bK-%u\r\n"
		 "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>%s\r\nCall-ID: c%u\r\n"
		 "CSeq: 1 %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 method, resp ? "" : " sip:b@y ", resp ? " 200 OK" : "SIP/2.0", i + 1, i,
		 strcmp(method, "ACK") == 0 || resp ? ";tag=2" : "", i, resp ? "INVITE" : method);
	memset(p, 0, sizeof(*p));
	p->in_port = (uint8_t)in_port;
	p->src.ip = v4(198, 51, 100, i + 1);
	p->src.port = 5060;
	p->dst.ip = v4(10, 77, 1, 1);
	p->dst.port = 5060;
	p->sip = texts[i];
	p->sip_len = (uint32_t)strlen(texts[i]);
}

/* A rule per method, and one that never matches; a shadow set. */
static const char LIVE[] =
	"drop id:11 method == \"MESSAGE\"\n"
	"reject 403 \"Go Away\" id:12 method == \"SUBSCRIBE\"\n"
	"reject 488 id:13 method == \"NOTIFY\"\n"
	"reject 403 id:14 method == \"ACK\"\n"
	"ban 30 id:15 method == \"PUBLISH\"\n"
	"allow id:16 method == \"INFO\"\n"
	"count id:17 method == \"OPTIONS\"\n"
	"drop id:18 method == \"NEVER\"\n";
static const char SHADOW[] = "drop id:21 method == \"INVITE\"\n";

static const char *const methods[] = {"MESSAGE", "SUBSCRIBE", "NOTIFY", "ACK", "PUBLISH",
				      "INFO", "OPTIONS", "INVITE", "SIP/2.0"};

static void test_filter_verdicts(void)
{
	static const unsigned sizes[] = {0, 1, 3, 31, 32, 33};
	struct filter_rules *live = rules(LIVE, 1), *shadow = rules(SHADOW, 1);
	struct dp_burst *b = &w->burst;
	unsigned marks[STATS_DROP__COUNT] = {0}, replies = 0;

	check_ctx = "filter: verdicts";
	if (live == NULL || shadow == NULL)
		return;
	CHECK_INT(live->n_rules, 8);
	CHECK_INT(filter_publish(&dp, FILTER_LIVE, live), 0);
	CHECK_INT(filter_publish(&dp, FILTER_SHADOW, shadow), 0);
	for (unsigned core = 0; core < 2; core++) {
		dp.cfg.rules.filter_core_side = core;
		for (size_t s = 0; s < RTE_DIM(sizes); s++) {
			for (unsigned left = sizes[s], base = 0; left > 0 || sizes[s] == 0;) {
				unsigned n = left > DP_BURST ? DP_BURST : left;
				uint64_t ev0 = ctr(STATS_rules_evaluated);

				b->n = (uint16_t)n;
				for (unsigned i = 0; i < n; i++)
					put(b, i, methods[(base + i) % RTE_DIM(methods)],
					    (base + i) % 5 == 4);
				proxy_parse_stage(w, b);
				filter_stage(w, b);
				for (unsigned i = 0; i < n; i++) {
					const struct dp_pkt *p = &b->p[i];
					const char *m = methods[(base + i) % RTE_DIM(methods)];

					if (p->step == DP_STEP_DROP)
						marks[p->reason]++;
					replies += p->step == DP_STEP_REPLY;
					bool skip = ((base + i) % 5 == 4 && !core) ||
						    strcmp(m, "SIP/2.0") == 0;

					check_ctx = m;
					if (skip || !strcmp(m, "INFO") || !strcmp(m, "OPTIONS") ||
					    !strcmp(m, "INVITE")) {
						CHECK_INT(p->step, DP_STEP_CONTINUE);
					} else if (!strcmp(m, "MESSAGE")) {
						CHECK_INT(p->reason, STATS_DROP_rule_drop);
					} else if (!strcmp(m, "SUBSCRIBE")) {
						CHECK_INT(p->step, DP_STEP_REPLY);
						CHECK_INT(p->reply_code, 403);
						CHECK(p->rule_reply);
						CHECK_STR(((struct sip_str){p->reply_phrase,
									    p->reply_phrase_len}),
							  "Go Away");
					} else if (!strcmp(m, "NOTIFY")) {
						CHECK_INT(p->step, DP_STEP_REPLY);
						CHECK_INT(p->reply_code, 488);
						CHECK(p->reply_phrase == NULL);
					} else if (!strcmp(m, "ACK")) {
						CHECK_INT(p->reason, STATS_DROP_rule_reject_ack);
					} else if (!strcmp(m, "PUBLISH")) {
						CHECK_INT(p->reason, STATS_DROP_rule_ban);
						CHECK(ban_table_has(w, &p->src.ip, w->now));
					}
				}
				{
					unsigned want = 0;

					for (unsigned i = 0; i < n; i++)
						want += !(((base + i) % 5 == 4 && !core) ||
							  (base + i) % RTE_DIM(methods) == 8);
					check_ctx = "filter: evaluated";
					CHECK_INT(ctr(STATS_rules_evaluated) - ev0, want);
				}
				if (sizes[s] == 0)
					break;
				left -= n;
				base += n;
			}
		}
	}
	dp.cfg.rules.filter_core_side = false;
	check_ctx = "filter: counters add up";
	CHECK_INT(ctr(STATS_rules_evaluated), ctr(STATS_shadow_evaluated));
	/* the stage marks, dispatch counts drop reasons: the marks seen */
	CHECK_INT(ctr(STATS_rules_dropped), marks[STATS_DROP_rule_drop]);
	CHECK_INT(ctr(STATS_rules_banned), marks[STATS_DROP_rule_ban]);
	CHECK_INT(ctr(STATS_rules_rejected), marks[STATS_DROP_rule_reject_ack] + replies);
	CHECK(ctr(STATS_shadow_would_drop) > 0);
	CHECK_INT(ctr(STATS_rules_eval_errors), 0);
	{
		struct dp_ip ip = v4(198, 51, 100, 5); /* slot 4: PUBLISH, access */
		uint32_t id = 0;

		CHECK(listed(&ip, &id));
		CHECK_INT(id, 15);
	}
}

struct hit_sum {
	uint64_t by_id[64];
};

static void sum_hits(void *arg, uint32_t id, const uint64_t *per_worker)
{
	struct hit_sum *h = arg;

	if (id < RTE_DIM(h->by_id))
		h->by_id[id] += per_worker[0];
}

/* Rule 17 (count OPTIONS) lives on through versions 2 and 3 (in 3 as a
 * drop): its hits only grow, and end the sum of the three. */
static void test_filter_hits(void)
{
	struct dp_burst *b = &w->burst;
	uint64_t last = 0, total = 0;

	check_ctx = "filter: hits across versions";
	for (int64_t v = 2; v <= 4; v++) {
		const char *text = v == 3 ? "drop id:17 method == \"OPTIONS\"\n" : LIVE;
		struct filter_rules *r = rules(text, v);
		struct hit_sum h = {{0}};

		if (r == NULL)
			return;
		CHECK_INT(filter_publish(&dp, FILTER_LIVE, r), 0);
		b->n = 4;
		for (unsigned i = 0; i < 4; i++)
			put(b, i, "OPTIONS", 0);
		proxy_parse_stage(w, b);
		filter_stage(w, b);
		total += 4;
		CHECK_INT(filter_hits_each(&dp, FILTER_LIVE, sum_hits, &h), 0);
		CHECK(h.by_id[17] >= last);
		last = h.by_id[17];
		/* the version before is still retiring, or folded now */
		dp_retire_poll(&dp);
		memset(&h, 0, sizeof(h));
		CHECK_INT(filter_hits_each(&dp, FILTER_LIVE, sum_hits, &h), 0);
		CHECK_INT(h.by_id[17], last);
	}
	/* everything before counted rule 17 once per OPTIONS, in every version */
	CHECK(last >= total);
	CHECK_INT(filter_publish(&dp, FILTER_LIVE, NULL), 0);
	CHECK_INT(filter_publish(&dp, FILTER_SHADOW, NULL), 0);
	dp_retire_poll(&dp);
	{
		struct hit_sum h = {{0}};

		CHECK_INT(filter_hits_each(&dp, FILTER_LIVE, sum_hits, &h), 0);
		CHECK_INT(h.by_id[17], last);
		check_ctx = "filter: an empty slot forwards everything";
		b->n = 2;
		put(b, 0, "MESSAGE", 0);
		put(b, 1, "PUBLISH", 0);
		proxy_parse_stage(w, b);
		filter_stage(w, b);
		CHECK_INT(b->p[0].step, DP_STEP_CONTINUE);
		CHECK_INT(b->p[1].step, DP_STEP_CONTINUE);
	}
}

/* Blobs the loader must refuse, each with a reason, nothing published. */
static void test_filter_bad_blobs(void)
{
	struct rs_ast *ast = NULL;
	struct rs_diag diag;
	void *blob = NULL;
	size_t len = 0;

	check_ctx = "filter: bad blobs";
	memset(&diag, 0, sizeof(diag));
	if (rs_parse_buf("t.rules", NULL, LIVE, strlen(LIVE), NULL, &ast, &diag) != 0 ||
	    rs_compile(ast, NULL, &blob, &len, &diag, NULL) != 0) {
		CHECK(!"compiles");
		rs_ast_free(ast);
		return;
	}
	rs_ast_free(ast);
	for (unsigned k = 0; k < 3 * 16; k++) {
		uint8_t *bad = malloc(len);
		size_t bl = len;
		struct filter_rules *r = NULL;
		char err[256] = "";

		memcpy(bad, blob, len);
		if (k < 16)
			bl = len * k / 16;			/* truncated */
		else if (k < 32)
			bad[(len * (k - 16)) / 16] ^= 0x5a;	/* a byte flipped */
		else
			for (size_t i = 0; i < len; i++)	/* garbage */
				bad[i] = (uint8_t)rte_rand();
		CHECK(filter_load(&dp, bad, bl, 9, "00", &r, err, sizeof(err)) != 0);
		CHECK(r == NULL);
		CHECK(err[0] != '\0');
		free(bad);
	}
	free(blob);
}

int main(int argc, char **argv)
{
	char prefix[64];
	bool timed = argc > 1 && strcmp(argv[1], "--timing") == 0;
	char *eal[] = {argv[0], "--no-huge", "--no-pci", "-m", timed ? "512" : "256", "-l", "0,1",
		       "--log-level", "error", prefix, NULL};

	snprintf(prefix, sizeof(prefix), "--file-prefix=test-ban-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	setup(1024);
	if (timed) {
		timing();
		goto out;
	}
	test_prefix_parse();
	test_dynamic();
	test_eviction();
	test_walk();
	test_torn();
	test_manual();
	test_stage();
	test_retire();
	test_filter_verdicts();
	test_filter_hits();
	test_filter_bad_blobs();
out:
	filter_fini(&dp);
	ban_deny_free(dp.deny);
	ban_table_free(w);
	rte_eal_cleanup();
	return check_summary();
}
