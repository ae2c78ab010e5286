/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_neigh.c - the neighbour table (neigh.h) on its own: static entries,
 * refusals, thousands of entries with half of them expired and the slots
 * reused, wait queues and their limits, and a lock-free reader on another
 * lcore while the main lcore rewrites, expires and reuses slots (every hit
 * must carry the MAC of the address looked up).
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "test_net.h"

/* ---- the table alone ---- */

static unsigned n_release, n_solicit, n_drop, last_reason;

static void t_release(void *ctx, unsigned port, struct rte_mbuf *m,
		      const struct rte_ether_addr *mac)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(port);
	RTE_SET_USED(mac);
	n_release++;
	rte_pktmbuf_free(m);
}

static void t_solicit(void *ctx, unsigned port, const struct dp_ip *ip,
		      const struct rte_ether_addr *mac)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(port);
	RTE_SET_USED(ip);
	RTE_SET_USED(mac);
	n_solicit++;
}

static void t_drop(void *ctx, unsigned port, struct rte_mbuf *m,
		   unsigned reason)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(port);
	n_drop++;
	last_reason = reason;
	rte_pktmbuf_free(m);
}

static const struct neigh_ops t_ops = { t_release, t_solicit, t_drop, NULL };

static struct dp_ip nip(unsigned set, unsigned i)
{
	return ip4of(ip4be(10, set, i >> 8, i & 0xff));
}

static struct rte_ether_addr nmac(const struct dp_ip *ip, unsigned g)
{
	struct rte_ether_addr a = { { 0x02, (uint8_t)g, 0, 0, 0, 0 } };

	for (unsigned i = 0; i < 4; i++)
		a.addr_bytes[2 + i] = (uint8_t)(ip->a[i] ^ g);
	return a;
}

static bool mac_matches(const struct dp_ip *ip, const struct rte_ether_addr *a)
{
	for (unsigned i = 0; i < 4; i++)
		if ((uint8_t)(a->addr_bytes[2 + i] ^ a->addr_bytes[1]) != ip->a[i])
			return false;
	return true;
}

static int count_live(void *arg, const struct dp_ip *ip,
		      const struct rte_ether_addr *mac, enum neigh_state st,
		      uint64_t expire)
{
	RTE_SET_USED(ip);
	RTE_SET_USED(mac);
	RTE_SET_USED(st);
	RTE_SET_USED(expire);
	(*(unsigned *)arg)++;
	return 0;
}

void test_neigh_table(void)
{
	uint64_t ttl = 100 * hz, t0 = T;
	struct neigh_table *t = neigh_create(5, 4, ttl, hz, SOCKET_ID_ANY);
	struct rte_ether_addr a, b, got;
	struct dp_ip ip, mc;
	unsigned ok1 = 0, ok2 = 0, hit = 0, live = 0;
	static bool in1[1500], in2[1500];

	check_ctx = "neigh: create";
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK(neigh_create(5, 0, ttl, hz, SOCKET_ID_ANY) == NULL && errno == EINVAL);

	check_ctx = "neigh: static entries";
	ip = nip(9, 1);
	a = nmac(&ip, 1);
	b = nmac(&ip, 2);
	CHECK_INT(neigh_add_static(t, &ip, &a), 0);
	CHECK_INT(neigh_add_static(t, &ip, &a), 0);
	CHECK_INT(neigh_add_static(t, &ip, &b), -EEXIST);
	CHECK_INT(neigh_learn(t, &ip, &b, true, t0, &t_ops), -EPERM);
	CHECK_INT(neigh_lookup(t, &ip, &got), 0);
	CHECK(rte_is_same_ether_addr(&got, &a));
	mc = ip4of(ip4be(224, 0, 0, 1));
	CHECK_INT(neigh_learn(t, &mc, &a, true, t0, &t_ops), -EINVAL);
	memset(&b, 0xff, sizeof(b));
	CHECK_INT(neigh_learn(t, &ip, &b, true, t0, &t_ops), -EINVAL);
	ip = nip(9, 2);
	CHECK_INT(neigh_learn(t, &ip, &a, false, t0, &t_ops), -ENOENT);
	CHECK_INT(neigh_lookup(t, &ip, &got), -ENOENT);

	check_ctx = "neigh: 3000 entries, half expired, refilled";
	for (unsigned i = 0; i < 1500; i++) {
		ip = nip(10, i);
		a = nmac(&ip, 3);
		in1[i] = neigh_learn(t, &ip, &a, true, t0, &t_ops) == 0;
		ok1 += in1[i];
	}
	for (unsigned i = 0; i < 1500; i++) {
		ip = nip(11, i);
		a = nmac(&ip, 4);
		in2[i] = neigh_learn(t, &ip, &a, true, t0 + ttl / 2, &t_ops) == 0;
		ok2 += in2[i];
	}
	CHECK(ok1 + ok2 > 2900);	/* 73% full with 16-slot probing */
	for (unsigned i = 0; i < 1500; i++) {
		ip = nip(10, i);
		if (neigh_lookup(t, &ip, &got) == 0 && in1[i] &&
		    mac_matches(&ip, &got))
			hit++;
	}
	CHECK_INT(hit, ok1);
	neigh_walk(t, count_live, &live);
	CHECK_INT(live, ok1 + ok2 + 1);
	neigh_timer(t, t0 + ttl + hz / 10, &t_ops);
	hit = 0;
	for (unsigned i = 0; i < 1500; i++) {
		ip = nip(10, i);
		hit += neigh_lookup(t, &ip, &got) == 0;
	}
	CHECK_INT(hit, 0);
	hit = 0;
	for (unsigned i = 0; i < 1500; i++) {
		ip = nip(11, i);
		if (neigh_lookup(t, &ip, &got) == 0 && in2[i] &&
		    mac_matches(&ip, &got))
			hit++;
	}
	CHECK_INT(hit, ok2);
	ok1 = 0;
	for (unsigned i = 0; i < 1500; i++) {
		ip = nip(12, i);
		a = nmac(&ip, 5);
		in1[i] = neigh_learn(t, &ip, &a, true, t0 + ttl, &t_ops) == 0;
		ok1 += in1[i];
	}
	CHECK(ok1 > 1400);
	hit = 0;
	for (unsigned i = 0; i < 1500; i++) {
		ip = nip(11, i);
		if (neigh_lookup(t, &ip, &got) == 0 && mac_matches(&ip, &got))
			hit++;
		ip = nip(12, i);
		if (neigh_lookup(t, &ip, &got) == 0 && mac_matches(&ip, &got))
			hit++;
	}
	CHECK_INT(hit, ok1 + ok2);
	neigh_free(t);

	check_ctx = "neigh: wait queues";
	t = neigh_create(5, 4, ttl, hz, SOCKET_ID_ANY);
	n_release = n_solicit = n_drop = 0;
	ip = nip(20, 1);
	for (unsigned i = 0; i < 5; i++)
		neigh_hold(t, &ip, rte_pktmbuf_alloc(pool), t0, &t_ops);
	CHECK_INT(n_solicit, 1);
	CHECK_INT(n_drop, 1);
	CHECK_INT(last_reason, STATS_DROP_neigh_queue_full);
	a = nmac(&ip, 1);
	CHECK_INT(neigh_learn(t, &ip, &a, false, t0, &t_ops), 0);
	CHECK_INT(n_release, 4);
	neigh_hold(t, &ip, rte_pktmbuf_alloc(pool), t0, &t_ops);
	CHECK_INT(n_release, 5);

	check_ctx = "neigh: more unresolved next hops than wait queues";
	n_drop = n_solicit = 0;
	for (unsigned i = 0; i < NEIGH_MAX_WAIT + 1; i++) {
		ip = nip(21, i);
		neigh_hold(t, &ip, rte_pktmbuf_alloc(pool), t0, &t_ops);
	}
	CHECK_INT(n_solicit, NEIGH_MAX_WAIT + 1);
	CHECK_INT(n_drop, 1);
	neigh_free(t);	/* frees the 64 still waiting */
}

/* ---- a reader on another lcore ---- */

static volatile bool stress_stop;
static uint64_t stress_lookups, stress_hits, stress_bad;

static int stress_reader(void *arg)
{
	struct neigh_table *t = arg;
	struct rte_ether_addr mac;

	while (!stress_stop) {
		for (unsigned i = 0; i < 512; i++) {
			struct dp_ip ip = nip(30 + (i & 1), i >> 1);

			stress_lookups++;
			if (neigh_lookup(t, &ip, &mac) != 0)
				continue;
			stress_hits++;
			if (!mac_matches(&ip, &mac))
				stress_bad++;
		}
	}
	return 0;
}

void test_neigh_concurrent(void)
{
	uint64_t ttl = hz, now = T, end;
	struct neigh_table *t = neigh_create(6, 4, ttl, hz, SOCKET_ID_ANY);
	unsigned reader = rte_get_next_lcore(-1, 1, 0);
	unsigned rounds = 0;

	check_ctx = "neigh: lock-free reader while the main lcore writes";
	if (t == NULL || reader >= RTE_MAX_LCORE) {
		CHECK(t != NULL && reader < RTE_MAX_LCORE);
		neigh_free(t);
		return;
	}
	stress_stop = false;
	rte_eal_remote_launch(stress_reader, t, reader);
	end = rte_rdtsc() + rte_get_tsc_hz() / 4;
	while (rte_rdtsc() < end) {
		/* new MACs for both sets, then one set expired and reused by
		 * the other's addresses: slots change key under the reader */
		for (unsigned g = 0; g < 4; g++)
			for (unsigned i = 0; i < 256; i++) {
				struct dp_ip ip = nip(30 + (g & 1), i);
				struct rte_ether_addr a = nmac(&ip, rounds * 4 + g);

				neigh_learn(t, &ip, &a, true, now, &t_ops);
			}
		now += ttl + hz;
		neigh_timer(t, now, &t_ops);
		rounds++;
	}
	stress_stop = true;
	rte_eal_wait_lcore(reader);
	printf("neigh stress: %u rounds, %" PRIu64 " lookups, %" PRIu64
	       " hits, %" PRIu64 " inconsistent\n", rounds, stress_lookups,
	       stress_hits, stress_bad);
	CHECK(rounds > 10);
	CHECK(stress_lookups > 0);
	CHECK_INT(stress_bad, 0);
	neigh_free(t);
}
