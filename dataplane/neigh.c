/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * neigh.c - the neighbour table of one port (see neigh.h for the states and
 * why a fixed open-addressing array rather than rte_hash).
 *
 * Memory ordering. The main lcore is the only writer; workers read with no
 * lock. Every slot carries a sequence counter (a seqlock without the lock,
 * since there is one writer):
 *   writer: seq = odd (relaxed store); release fence; write state, ip, mac;
 *           seq = even (release store).
 *   reader: s = seq (acquire load); copy state, ip, mac; acquire fence;
 *           valid only if s is even and seq still equals s.
 * The release fence keeps the data stores from becoming visible before the
 * odd count; the release store keeps them from becoming visible after the
 * even one; the reader's acquire load and acquire fence keep its data loads
 * between its two loads of seq. So a reader either sees a slot as it was
 * between two writes, or sees a changed seq and treats the slot as a miss
 * (the packet then takes the resolution path: slower, never wrong). The
 * reader never retries, so a worker never spins on a main lcore that the
 * kernel has descheduled in the middle of a write. On x86 every one of these
 * barriers is a compiler barrier only. The reader's copies of ip and mac
 * race with the writer by design; the counter detects it (the rte_seqlock
 * argument, without its experimental API).
 *
 * The used flag is outside the protocol: workers set it (relaxed, and only
 * when it reads 0, so a hot entry costs no store per packet), the main lcore
 * clears it when the entry is confirmed. A lost or spurious mark costs at
 * most one refresh request too many or too few.
 *
 * Removal leaves a tombstone (DEAD) so that probe sequences through the slot
 * stay intact; a run of tombstones that ends at a FREE slot is needed by no
 * probe sequence and becomes FREE again.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "neigh.h"
#include "stats.h"

#define SLOT_MASK (NEIGH_SIZE - 1)

/* What workers read: two slots per cache line. */
struct neigh_entry {
	uint32_t seq;		 /* odd while the main lcore rewrites the slot */
	uint8_t state;		 /* enum neigh_state */
	uint8_t used;		 /* set by workers on a hit */
	struct rte_ether_addr mac;
	struct dp_ip ip;	 /* zero when FREE or DEAD */
} __rte_aligned(32);

/* What only the main lcore reads and writes. */
struct neigh_priv {
	uint64_t expire;	 /* REACHABLE: TSC when it stops being usable */
	uint64_t next;		 /* TSC of the next request (INCOMPLETE, refresh) */
	uint8_t sent;		 /* requests sent without an answer */
	int16_t wait;		 /* index in neigh_table.wait, -1 none */
};

struct neigh_wait {
	int32_t slot;		 /* the entry waiting, -1 when this queue is free */
	uint32_t n;
	struct rte_mbuf **m;	 /* queue_len pointers in neigh_table.mbufs */
};

struct neigh_table {
	struct neigh_entry e[NEIGH_SIZE];
	struct neigh_priv priv[NEIGH_SIZE];
	struct neigh_wait wait[NEIGH_MAX_WAIT];
	unsigned port;
	unsigned queue_len;
	unsigned n_live;	 /* INCOMPLETE + REACHABLE slots */
	uint32_t seed;
	uint64_t ttl, hz, refresh, walk_period, next_walk;
	struct rte_mbuf *mbufs[];
};

static const char *const state_names[] = {
	[NEIGH_FREE] = "free",
	[NEIGH_DEAD] = "dead",
	[NEIGH_INCOMPLETE] = "incomplete",
	[NEIGH_REACHABLE] = "reachable",
	[NEIGH_STATIC] = "static",
};

const char *neigh_state_name(enum neigh_state st)
{
	return (unsigned)st < RTE_DIM(state_names) ? state_names[st] : "?";
}

static inline uint32_t neigh_hash(const struct neigh_table *t,
				  const struct dp_ip *ip)
{
	uint64_t k[2];

	/* a[4..15] are zero for IPv4 (dp.h), so one hash serves both
	 * families; af in the seed keeps 0.0.0.1 and ::1 apart. The copy:
	 * a is at an odd offset, and rte_hash_crc loads 8 bytes at a time. */
	memcpy(k, ip->a, sizeof(k));
	return rte_hash_crc_8byte(k[1],
				  rte_hash_crc_8byte(k[0], t->seed ^ ip->af));
}

static bool ip_valid(const struct dp_ip *ip)
{
	static const uint8_t zero[16];

	if (ip->af == 4)
		return memcmp(ip->a, zero, 4) != 0 && ip->a[0] < 224 &&
		       memcmp(ip->a + 4, zero, 12) == 0;
	if (ip->af == 6)
		return memcmp(ip->a, zero, 16) != 0 && ip->a[0] != 0xff;
	return false;
}

static bool mac_valid(const struct rte_ether_addr *mac)
{
	return rte_is_unicast_ether_addr(mac) && !rte_is_zero_ether_addr(mac);
}

struct neigh_table *neigh_create(unsigned port, unsigned queue_len,
				 uint64_t ttl, uint64_t hz, int socket)
{
	struct neigh_table *t;
	size_t sz;

	if (queue_len == 0 || queue_len > 4096 || hz == 0 || ttl == 0) {
		errno = EINVAL;
		return NULL;
	}
	sz = sizeof(*t) + sizeof(t->mbufs[0]) * NEIGH_MAX_WAIT * queue_len;
	t = rte_zmalloc_socket("neigh", sz, RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->port = port;
	t->queue_len = queue_len;
	t->seed = (uint32_t)rte_rand();
	t->ttl = ttl;
	t->hz = hz;
	/* refresh during the last NEIGH_REQUESTS seconds, or the second half
	 * of a lifetime too short for that */
	t->refresh = ttl > 2 * NEIGH_REQUESTS * hz ? NEIGH_REQUESTS * hz
						     : ttl / 2;
	t->walk_period = hz / 10;
	for (unsigned i = 0; i < NEIGH_SIZE; i++)
		t->priv[i].wait = -1;
	for (unsigned i = 0; i < NEIGH_MAX_WAIT; i++) {
		t->wait[i].slot = -1;
		t->wait[i].m = &t->mbufs[i * queue_len];
	}
	return t;
}

void neigh_free(struct neigh_table *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < NEIGH_MAX_WAIT; i++)
		for (unsigned k = 0; k < t->wait[i].n; k++)
			rte_pktmbuf_free(t->wait[i].m[k]);
	rte_free(t);
}

/* ---- the reader (any lcore) ---- */

int neigh_lookup(struct neigh_table *t, const struct dp_ip *ip,
		 struct rte_ether_addr *mac)
{
	uint32_t h = neigh_hash(t, ip);

	for (unsigned k = 0; k < NEIGH_MAX_PROBE; k++) {
		struct neigh_entry *e = &t->e[(h + k) & SLOT_MASK];
		struct rte_ether_addr a;
		struct dp_ip key;
		uint32_t s;
		uint8_t st;

		s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		st = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
		memcpy(&key, &e->ip, sizeof(key));
		memcpy(&a, &e->mac, sizeof(a));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((s & 1) || __atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s)
			return -ENOENT; /* being rewritten: ask the main lcore */
		if (st == NEIGH_FREE)
			return -ENOENT;
		if (memcmp(&key, ip, sizeof(key)) != 0)
			continue;	/* another address, or a tombstone */
		if (st < NEIGH_REACHABLE)
			return -ENOENT;
		*mac = a;
		if (__atomic_load_n(&e->used, __ATOMIC_RELAXED) == 0)
			__atomic_store_n(&e->used, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return -ENOENT;
}

/* ---- the writer (main lcore) ---- */

static inline void slot_write_begin(struct neigh_entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void slot_write_end(struct neigh_entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
}

static void slot_set(struct neigh_entry *e, enum neigh_state st,
		     const struct dp_ip *ip, const struct rte_ether_addr *mac)
{
	slot_write_begin(e);
	__atomic_store_n(&e->state, (uint8_t)st, __ATOMIC_RELAXED);
	if (ip != NULL)
		e->ip = *ip;
	else
		memset(&e->ip, 0, sizeof(e->ip));
	if (mac != NULL)
		e->mac = *mac;
	else
		memset(&e->mac, 0, sizeof(e->mac));
	slot_write_end(e);
}

/* The slot holding ip (any live state), or -1; *cand is the first FREE or
 * DEAD slot on ip's probe sequence (-1 when the sequence is full). */
static int slot_find(const struct neigh_table *t, const struct dp_ip *ip,
		     int *cand)
{
	uint32_t h = neigh_hash(t, ip);

	*cand = -1;
	for (unsigned k = 0; k < NEIGH_MAX_PROBE; k++) {
		unsigned i = (h + k) & SLOT_MASK;
		const struct neigh_entry *e = &t->e[i];

		if (e->state == NEIGH_FREE) {
			if (*cand < 0)
				*cand = (int)i;
			return -1;
		}
		if (e->state == NEIGH_DEAD) {
			if (*cand < 0)
				*cand = (int)i;
			continue;
		}
		if (memcmp(&e->ip, ip, sizeof(*ip)) == 0)
			return (int)i;
	}
	return -1;
}

static void wait_release(struct neigh_table *t, unsigned slot,
			 const struct neigh_ops *ops)
{
	struct neigh_priv *p = &t->priv[slot];
	struct neigh_wait *w;

	if (p->wait < 0)
		return;
	w = &t->wait[p->wait];
	for (unsigned k = 0; k < w->n; k++)
		ops->release(ops->ctx, t->port, w->m[k], &t->e[slot].mac);
	w->n = 0;
	w->slot = -1;
	p->wait = -1;
}

static void wait_drop(struct neigh_table *t, unsigned slot, unsigned reason,
		      const struct neigh_ops *ops)
{
	struct neigh_priv *p = &t->priv[slot];
	struct neigh_wait *w;

	if (p->wait < 0)
		return;
	w = &t->wait[p->wait];
	for (unsigned k = 0; k < w->n; k++)
		ops->drop(ops->ctx, t->port, w->m[k], reason);
	w->n = 0;
	w->slot = -1;
	p->wait = -1;
}

static void slot_kill(struct neigh_table *t, unsigned slot,
		      const struct neigh_ops *ops)
{
	wait_drop(t, slot, STATS_DROP_neigh_failed, ops);
	slot_set(&t->e[slot], NEIGH_DEAD, NULL, NULL);
	__atomic_store_n(&t->e[slot].used, 0, __ATOMIC_RELAXED);
	memset(&t->priv[slot], 0, sizeof(t->priv[slot]));
	t->priv[slot].wait = -1;
	t->n_live--;

	/* tombstones ending at a FREE slot: no probe sequence needs them */
	if (t->e[(slot + 1) & SLOT_MASK].state != NEIGH_FREE)
		return;
	for (unsigned i = slot, k = 0;
	     k < NEIGH_SIZE && t->e[i].state == NEIGH_DEAD;
	     i = (i - 1) & SLOT_MASK, k++)
		slot_set(&t->e[i], NEIGH_FREE, NULL, NULL);
}

int neigh_add_static(struct neigh_table *t, const struct dp_ip *ip,
		     const struct rte_ether_addr *mac)
{
	int cand, i;

	if (!ip_valid(ip) || !mac_valid(mac))
		return -EINVAL;
	i = slot_find(t, ip, &cand);
	if (i >= 0) {
		if (rte_is_same_ether_addr(&t->e[i].mac, mac))
			return 0;
		return -EEXIST;
	}
	if (cand < 0)
		return -ENOSPC;
	slot_set(&t->e[cand], NEIGH_STATIC, ip, mac);
	return 0;
}

int neigh_learn(struct neigh_table *t, const struct dp_ip *ip,
		const struct rte_ether_addr *mac, bool create, uint64_t now,
		const struct neigh_ops *ops)
{
	struct neigh_entry *e;
	struct neigh_priv *p;
	int cand, i;

	if (!ip_valid(ip) || !mac_valid(mac))
		return -EINVAL;
	i = slot_find(t, ip, &cand);
	if (i < 0) {
		if (!create)
			return -ENOENT;
		if (cand < 0)
			return -ENOSPC;
		i = cand;
		t->n_live++;
		slot_set(&t->e[i], NEIGH_REACHABLE, ip, mac);
	} else {
		e = &t->e[i];
		if (e->state == NEIGH_STATIC)
			return -EPERM;
		/* a confirmation of what workers already read needs no
		 * rewrite: only the main lcore's timers move */
		if (e->state != NEIGH_REACHABLE ||
		    !rte_is_same_ether_addr(&e->mac, mac))
			slot_set(e, NEIGH_REACHABLE, ip, mac);
	}
	e = &t->e[i];
	p = &t->priv[i];
	__atomic_store_n(&e->used, 0, __ATOMIC_RELAXED);
	p->expire = now + t->ttl;
	p->sent = 0;
	p->next = 0;
	wait_release(t, (unsigned)i, ops);
	return 0;
}

void neigh_hold(struct neigh_table *t, const struct dp_ip *ip,
		struct rte_mbuf *m, uint64_t now, const struct neigh_ops *ops)
{
	struct neigh_priv *p;
	struct neigh_wait *w;
	int cand, i;

	if (!ip_valid(ip)) {
		ops->drop(ops->ctx, t->port, m, STATS_DROP_neigh_failed);
		return;
	}
	i = slot_find(t, ip, &cand);
	if (i >= 0 && t->e[i].state >= NEIGH_REACHABLE) {
		ops->release(ops->ctx, t->port, m, &t->e[i].mac);
		return;
	}
	if (i < 0) {
		if (cand < 0) {
			ops->drop(ops->ctx, t->port, m,
				  STATS_DROP_neigh_queue_full);
			return;
		}
		i = cand;
		t->n_live++;
		slot_set(&t->e[i], NEIGH_INCOMPLETE, ip, NULL);
		p = &t->priv[i];
		p->sent = 1;
		p->next = now + t->hz;
		p->wait = -1;
		ops->solicit(ops->ctx, t->port, ip, NULL);
	}
	p = &t->priv[i];
	if (p->wait < 0) {
		for (unsigned k = 0; k < NEIGH_MAX_WAIT; k++) {
			if (t->wait[k].slot < 0) {
				t->wait[k].slot = i;
				t->wait[k].n = 0;
				p->wait = (int16_t)k;
				break;
			}
		}
	}
	if (p->wait < 0 || t->wait[p->wait].n >= t->queue_len) {
		ops->drop(ops->ctx, t->port, m, STATS_DROP_neigh_queue_full);
		return;
	}
	w = &t->wait[p->wait];
	w->m[w->n++] = m;
}

void neigh_timer(struct neigh_table *t, uint64_t now,
		 const struct neigh_ops *ops)
{
	if (now < t->next_walk)
		return;
	t->next_walk = now + t->walk_period;
	if (t->n_live == 0)
		return;
	for (unsigned i = 0; i < NEIGH_SIZE; i++) {
		struct neigh_entry *e = &t->e[i];
		struct neigh_priv *p = &t->priv[i];

		if (e->state == NEIGH_INCOMPLETE) {
			if (now < p->next)
				continue;
			if (p->sent >= NEIGH_REQUESTS) {
				slot_kill(t, i, ops);
				continue;
			}
			ops->solicit(ops->ctx, t->port, &e->ip, NULL);
			p->sent++;
			p->next = now + t->hz;
		} else if (e->state == NEIGH_REACHABLE) {
			if (now >= p->expire) {
				slot_kill(t, i, ops);
				continue;
			}
			if (now + t->refresh < p->expire || now < p->next ||
			    p->sent >= NEIGH_REQUESTS ||
			    !__atomic_load_n(&e->used, __ATOMIC_RELAXED))
				continue;
			ops->solicit(ops->ctx, t->port, &e->ip, &e->mac);
			p->sent++;
			p->next = now + t->hz;
		}
	}
}

enum neigh_state neigh_get(const struct neigh_table *t, const struct dp_ip *ip,
			   struct rte_ether_addr *mac, unsigned *waiting)
{
	int cand, i = slot_find(t, ip, &cand);
	const struct neigh_priv *p;

	if (waiting != NULL)
		*waiting = 0;
	if (i < 0)
		return NEIGH_FREE;
	p = &t->priv[i];
	if (mac != NULL)
		*mac = t->e[i].mac;
	if (waiting != NULL && p->wait >= 0)
		*waiting = t->wait[p->wait].n;
	return (enum neigh_state)t->e[i].state;
}

int neigh_walk(const struct neigh_table *t,
	       int (*fn)(void *arg, const struct dp_ip *ip,
			 const struct rte_ether_addr *mac,
			 enum neigh_state st, uint64_t expire),
	       void *arg)
{
	for (unsigned i = 0; i < NEIGH_SIZE; i++) {
		const struct neigh_entry *e = &t->e[i];
		int r;

		if (e->state < NEIGH_INCOMPLETE)
			continue;
		r = fn(arg, &e->ip, &e->mac, (enum neigh_state)e->state,
		       e->state == NEIGH_REACHABLE ? t->priv[i].expire : 0);
		if (r != 0)
			return r;
	}
	return 0;
}
