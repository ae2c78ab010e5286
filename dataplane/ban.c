/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ban.c - the dynamic ban table of each worker, the manual ban table of
 * the state, and the early-drop stage (ban.h).
 *
 * Keys. An address is kept as 128 bits in host order (two uint64_t, the
 * first holding the address's first 8 bytes big-endian), IPv4 as the
 * IPv4-mapped IPv6 address ::ffff:a.b.c.d: one key type for both families,
 * and prefix masks are shifts. (So an IPv6 packet from ::ffff:192.0.2.1 is
 * the same source as IPv4 192.0.2.1, which it is.)
 *
 * The dynamic table: groups of 16 slots; a key lives in the group its hash
 * names. Beside the entries, one 16-bit signature per slot (0: free), the
 * 16 of a group in half a cache line: a lookup reads that line, and the
 * entry line only when a signature matches, so it touches one or two cache
 * lines whatever the table's size. No chains, no displacement: an insert
 * into a full group evicts the entry closest to expiry. Expired entries
 * are cleared when a lookup meets them and by a sweep of one group per
 * worker loop, so the count in use (published for the snapshot) is
 * current within one sweep.
 *
 * The manual table: every prefix hashed with its length into one
 * open-addressing table, immutable once built; a lookup masks the address
 * to each distinct prefix length of its family, longest first, and probes
 * once per length. Thousands of prefixes of a few lengths cost a few
 * probes, not a scan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ban.h"
#include "worker.h"

#define BAN_GROUP	16u
#define BAN_SEED_SLOT	0x5e1ed9e5u
#define BAN_SEED_SIG	0x0b5e55edu
#define BAN_SEED_DENY	0xde11eda7u

/* ---- keys ---- */

struct ban_key {
	uint64_t hi, lo;
};

static inline struct ban_key key_of(const struct dp_ip *ip)
{
	struct ban_key k;
	uint32_t v4;

	if (ip->af == 6) {
		memcpy(&k.hi, ip->a, 8);
		memcpy(&k.lo, ip->a + 8, 8);
		k.hi = rte_be_to_cpu_64(k.hi);
		k.lo = rte_be_to_cpu_64(k.lo);
	} else {
		memcpy(&v4, ip->a, 4);
		k.hi = 0;
		k.lo = 0xffff00000000ull | rte_be_to_cpu_32(v4);
	}
	return k;
}

/* The address of key k: of family af, or (af 0) IPv4 when k is
 * IPv4-mapped. */
static void ip_of(struct ban_key k, unsigned af, struct dp_ip *ip)
{
	uint64_t hi = rte_cpu_to_be_64(k.hi), lo = rte_cpu_to_be_64(k.lo);

	memset(ip, 0, sizeof(*ip));
	if (af == 4 || (af == 0 && k.hi == 0 && (k.lo >> 32) == 0xffff)) {
		uint32_t v4 = rte_cpu_to_be_32((uint32_t)k.lo);

		ip->af = 4;
		memcpy(ip->a, &v4, 4);
	} else {
		ip->af = 6;
		memcpy(ip->a, &hi, 8);
		memcpy(ip->a + 8, &lo, 8);
	}
}

static inline uint32_t key_hash(struct ban_key k, uint32_t seed)
{
	return rte_hash_crc_8byte(k.lo, rte_hash_crc_8byte(k.hi, seed));
}

/* k with the bits past the first plen (0..128) cleared. */
static inline struct ban_key key_mask(struct ban_key k, unsigned plen)
{
	if (plen <= 64) {
		k.hi = plen == 0 ? 0 : k.hi & (~0ull << (64 - plen));
		k.lo = 0;
	} else if (plen < 128) {
		k.lo &= ~0ull << (128 - plen);
	}
	return k;
}

/* ---- the dynamic table ---- */

/* One slot. seq is the seqlock of the main lcore's reads: even when the
 * slot is stable, odd while its owner writes it. */
struct ban_entry {
	uint32_t seq;
	uint32_t rule;
	uint64_t expires; /* TSC; 0: free */
	struct ban_key k;
};

struct ban_table {
	uint32_t mask;	      /* groups - 1 */
	uint32_t n;	      /* slots in use; written by the owner only,
			       * read by the main lcore (relaxed) */
	uint32_t sweep;	      /* the group the next sweep looks at */
	uint16_t *sig;	      /* [groups * 16]; 0: free */
	struct ban_entry *e;  /* [groups * 16] */
};

/* A control message for a worker (rte_ring of elements, 4-byte units). */
enum ban_op {
	BAN_OP_LIFT = 1,
};

struct ban_msg {
	uint32_t op;
	uint32_t pad;
	struct ban_key k;
};

static inline uint16_t sig_of(struct ban_key k)
{
	uint16_t s = (uint16_t)(key_hash(k, BAN_SEED_SIG) >> 16);

	return s ? s : 1;
}

int ban_table_create(struct worker *w, uint32_t size)
{
	struct ban_table *t;
	int socket = (int)rte_lcore_to_socket_id(w->lcore);
	char name[RTE_RING_NAMESIZE];

	t = rte_zmalloc_socket("ban", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return -ENOMEM;
	w->ban = t;
	t->mask = size / BAN_GROUP - 1;
	t->sig = rte_zmalloc_socket("ban_sig", (size_t)size * sizeof(*t->sig),
				    RTE_CACHE_LINE_SIZE, socket);
	t->e = rte_zmalloc_socket("ban_ent", (size_t)size * sizeof(*t->e),
				  RTE_CACHE_LINE_SIZE, socket);
	snprintf(name, sizeof(name), "se_banctl_%u", w->id);
	w->ban_ctl = rte_ring_create_elem(name, sizeof(struct ban_msg), BAN_CTL_RING, socket,
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (t->sig == NULL || t->e == NULL || w->ban_ctl == NULL) {
		ban_table_free(w);
		return -ENOMEM;
	}
	return 0;
}

void ban_table_free(struct worker *w)
{
	if (w->ban != NULL) {
		rte_free(w->ban->sig);
		rte_free(w->ban->e);
		rte_free(w->ban);
		w->ban = NULL;
	}
	rte_ring_free(w->ban_ctl);
	w->ban_ctl = NULL;
}

/* The owner's write of slot i, seqlock style: seq made odd, then (release
 * fence) the fields, then seq even again with release, so that a reader
 * that sees the same even seq before and after its reads (acquire) has
 * read one whole version. */
static void slot_write(struct ban_table *t, uint32_t i, uint16_t sig, struct ban_key k,
		       uint32_t rule, uint64_t expires)
{
	struct ban_entry *e = &t->e[i];
	uint32_t s = e->seq;

	__atomic_store_n(&e->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->k.hi, k.hi, __ATOMIC_RELAXED);
	__atomic_store_n(&e->k.lo, k.lo, __ATOMIC_RELAXED);
	__atomic_store_n(&e->rule, rule, __ATOMIC_RELAXED);
	__atomic_store_n(&e->expires, expires, __ATOMIC_RELAXED);
	__atomic_store_n(&e->seq, s + 2, __ATOMIC_RELEASE);
	t->sig[i] = expires ? sig : 0;
}

static void slot_clear(struct ban_table *t, uint32_t i)
{
	slot_write(t, i, 0, (struct ban_key){0, 0}, 0, 0);
	__atomic_store_n(&t->n, t->n - 1, __ATOMIC_RELAXED);
}

/* The main lcore's read of slot i; false when the owner was writing it
 * (tried a few times: a write is a handful of stores). */
static bool slot_read(const struct ban_table *t, uint32_t i, struct ban_entry *out)
{
	const struct ban_entry *e = &t->e[i];

	for (unsigned tries = 0; tries < 8; tries++) {
		uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

		if (s & 1) {
			rte_pause();
			continue;
		}
		out->k.hi = __atomic_load_n(&e->k.hi, __ATOMIC_RELAXED);
		out->k.lo = __atomic_load_n(&e->k.lo, __ATOMIC_RELAXED);
		out->rule = __atomic_load_n(&e->rule, __ATOMIC_RELAXED);
		out->expires = __atomic_load_n(&e->expires, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s)
			return true;
	}
	return false;
}

/* The slot of k in the owner's table, or -1. An expired entry met on the
 * way is cleared (counted). Owner only. */
static int slot_find(struct worker *w, struct ban_key k, uint32_t g, uint16_t sig)
{
	struct ban_table *t = w->ban;
	const uint16_t *s = &t->sig[g * BAN_GROUP];

	for (unsigned j = 0; j < BAN_GROUP; j++) {
		uint32_t i = g * BAN_GROUP + j;
		const struct ban_entry *e;

		if (s[j] != sig)
			continue;
		e = &t->e[i];
		if (e->k.hi != k.hi || e->k.lo != k.lo)
			continue;
		if (e->expires > w->now)
			return (int)i;
		slot_clear(t, i);
		w->st->ctr[STATS_ban_expired]++;
		return -1;
	}
	return -1;
}

void ban_insert(struct worker *w, const struct dp_ip *ip, uint32_t rule, uint64_t expires)
{
	struct ban_table *t = w->ban;
	struct ban_key k = key_of(ip);
	uint32_t g = key_hash(k, BAN_SEED_SLOT) & t->mask, victim = UINT32_MAX;
	uint16_t sig = sig_of(k);
	int i = slot_find(w, k, g, sig);

	if (i >= 0) {
		/* banned again (a packet of the same burst, or a longer
		 * rule): the later expiry wins */
		if (expires > t->e[i].expires)
			slot_write(t, (uint32_t)i, sig, k, rule, expires);
		return;
	}
	for (unsigned j = 0; j < BAN_GROUP; j++) {
		uint32_t s = g * BAN_GROUP + j;

		if (t->sig[s] != 0 && t->e[s].expires <= w->now) {
			slot_clear(t, s);
			w->st->ctr[STATS_ban_expired]++;
		}
		if (t->sig[s] == 0) {
			victim = s;
			break;
		}
		if (victim == UINT32_MAX || t->e[s].expires < t->e[victim].expires)
			victim = s;
	}
	if (t->sig[victim] != 0) {
		w->st->ctr[STATS_ban_table_evictions]++;
		slot_clear(t, victim);
	}
	slot_write(t, victim, sig, k, rule, expires);
	__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELAXED);
	w->st->ctr[STATS_ban_inserts]++;
}

/* Whether the owner has k banned (an expired entry is cleared). */
static inline bool is_banned(struct worker *w, struct ban_key k, uint32_t h)
{
	return slot_find(w, k, h & w->ban->mask, sig_of(k)) >= 0;
}

/* One group's expired entries cleared: the whole table once every
 * (groups) loops, so that the count in use stays current. */
static void sweep(struct worker *w)
{
	struct ban_table *t = w->ban;
	uint32_t g = t->sweep;

	t->sweep = (g + 1) & t->mask;
	for (unsigned j = 0; j < BAN_GROUP; j++) {
		uint32_t i = g * BAN_GROUP + j;

		if (t->sig[i] != 0 && t->e[i].expires <= w->now) {
			slot_clear(t, i);
			w->st->ctr[STATS_ban_expired]++;
		}
	}
}

void ban_ctl_drain(struct worker *w)
{
	struct ban_msg msg[BAN_CTL_BURST];
	unsigned n;

	if (w->ban == NULL)
		return;
	if (w->ban->n)
		sweep(w);
	n = rte_ring_sc_dequeue_burst_elem(w->ban_ctl, msg, sizeof(msg[0]), BAN_CTL_BURST,
					   NULL);
	for (unsigned m = 0; m < n; m++) {
		struct ban_key k = msg[m].k;
		int i;

		if (msg[m].op != BAN_OP_LIFT)
			continue;
		i = slot_find(w, k, key_hash(k, BAN_SEED_SLOT) & w->ban->mask, sig_of(k));
		if (i >= 0) {
			slot_clear(w->ban, (uint32_t)i);
			w->st->ctr[STATS_bans_lifted]++;
		}
	}
}

/* The bans in force among slots [from, end): into out while there is room
 * (*next: the slot after the last one written when it filled up, else
 * end); *all counts every one when all is not NULL (then the walk goes on
 * to end). A free slot's signature is 0, read without its entry; a used
 * one is read whole (slot_read). */
static unsigned walk(const struct ban_table *t, uint64_t now, uint32_t from, uint32_t end,
		     struct ban_info *out, unsigned max, uint32_t *next, unsigned *all)
{
	unsigned n = 0;

	*next = end;
	for (uint32_t i = from; i < end; i++) {
		struct ban_entry e;

		if (__atomic_load_n(&t->sig[i], __ATOMIC_RELAXED) == 0 ||
		    __atomic_load_n(&t->e[i].expires, __ATOMIC_RELAXED) <= now ||
		    !slot_read(t, i, &e) || e.expires <= now)
			continue;
		if (all != NULL)
			(*all)++;
		if (out != NULL && n < max) {
			ip_of(e.k, 0, &out[n].ip);
			out[n].rule = e.rule;
			out[n].expires = e.expires;
			if (++n == max && all == NULL) {
				*next = i + 1;
				break;
			}
		}
	}
	return n;
}

unsigned ban_table_list(const struct worker *w, uint64_t now, struct ban_info *out,
			unsigned max, unsigned *total)
{
	uint32_t next;

	*total = 0;
	return walk(w->ban, now, 0, ban_table_slots(w), out, max, &next, total);
}

unsigned ban_table_walk(const struct worker *w, uint64_t now, uint32_t from, uint32_t end,
			struct ban_info *out, unsigned max, uint32_t *next)
{
	if (max == 0) {
		*next = from;
		return 0;
	}
	return walk(w->ban, now, from, end, out, max, next, NULL);
}

uint32_t ban_table_slots(const struct worker *w)
{
	return w->ban ? (w->ban->mask + 1) * BAN_GROUP : 0;
}

unsigned ban_table_count(const struct worker *w)
{
	return w->ban ? __atomic_load_n(&w->ban->n, __ATOMIC_RELAXED) : 0;
}

bool ban_table_has(const struct worker *w, const struct dp_ip *ip, uint64_t now)
{
	const struct ban_table *t = w->ban;
	struct ban_key k = key_of(ip);
	uint32_t g = key_hash(k, BAN_SEED_SLOT) & t->mask;

	for (unsigned j = 0; j < BAN_GROUP; j++) {
		struct ban_entry e;

		if (slot_read(t, g * BAN_GROUP + j, &e) && e.expires > now && e.k.hi == k.hi &&
		    e.k.lo == k.lo)
			return true;
	}
	return false;
}

int ban_lift(struct worker *w, const struct dp_ip *ip)
{
	struct ban_msg m = {.op = BAN_OP_LIFT, .k = key_of(ip)};

	return rte_ring_sp_enqueue_elem(w->ban_ctl, &m, sizeof(m)) == 0 ? 0 : -ENOBUFS;
}

/* ---- the manual table ---- */

int ban_prefix_parse(const char *s, size_t len, struct ban_prefix *out, char *why,
		     size_t whylen)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	char addr[64], fix[80];
	unsigned max, plen = 0;
	struct ban_key k, m;

	if (alen == 0 || alen >= sizeof(addr) || memchr(s, '\0', len) != NULL)
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (cfg_parse_ip(addr, &out->net) != 0)
		goto bad;
	max = out->net.af == 6 ? 128 : 32;
	if (slash == NULL) {
		plen = max;
	} else {
		size_t nd = len - alen - 1;

		if (nd == 0 || nd > 3)
			goto bad;
		for (size_t i = 0; i < nd; i++) {
			if (slash[1 + i] < '0' || slash[1 + i] > '9')
				goto bad;
			plen = plen * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (plen < 1 || plen > max) {
			snprintf(why, whylen, "length %u out of range [1, %u]", plen, max);
			return -EINVAL;
		}
	}
	out->plen = (uint8_t)plen;
	k = key_of(&out->net);
	m = key_mask(k, plen + (max == 32 ? 96 : 0));
	if (k.hi != m.hi || k.lo != m.lo) {
		struct ban_prefix f = *out;

		ip_of(m, out->net.af, &f.net);
		snprintf(why, whylen, "has bits set past /%u (%s?)", plen,
			 ban_prefix_fmt(&f, fix, sizeof(fix)));
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(why, whylen, "is not an address/length (\"192.0.2.0/24\", \"2001:db8::/32\")");
	return -EINVAL;
}

const char *ban_prefix_fmt(const struct ban_prefix *p, char *buf, size_t len)
{
	char a[64];

	snprintf(buf, len, "%s/%u", cfg_fmt_addr(&p->net, 0, a, sizeof(a)), p->plen);
	return buf;
}

struct ban_deny_ent {
	struct ban_key k;  /* masked to plen */
	uint64_t expires;  /* TSC; 0: never */
	uint32_t idx;	   /* its index in the state's list */
	uint8_t plen;	   /* of the 128-bit key: IPv4 /n is /96+n */
	uint8_t af;	   /* 0: free slot */
};

struct ban_deny {
	uint32_t mask;			/* slots - 1 */
	uint8_t n_len[2];		/* [0] IPv4, [1] IPv6 */
	uint8_t len[2][129];		/* distinct plens, longest first */
	struct ban_deny_ent slot[];
};

static inline uint32_t deny_hash(struct ban_key k, unsigned plen, unsigned af)
{
	return rte_hash_crc_4byte(plen | af << 8, key_hash(k, BAN_SEED_DENY));
}

void ban_deny_free(struct ban_deny *d)
{
	free(d);
}

int ban_deny_build(const struct ban_prefix *p, unsigned n, uint64_t now_tsc,
		   int64_t now_unix, uint64_t tsc_hz, struct ban_deny **out, unsigned *dup)
{
	uint32_t slots = 16;
	bool seen[2][129] = {{false}};
	struct ban_deny *d;

	*out = NULL;
	if (n == 0)
		return 0;
	while (slots < 2 * (uint64_t)n)
		slots *= 2;
	d = calloc(1, sizeof(*d) + slots * sizeof(d->slot[0]));
	if (d == NULL)
		return -ENOMEM;
	d->mask = slots - 1;
	for (unsigned i = 0; i < n; i++) {
		unsigned fam = p[i].net.af == 6, plen = p[i].plen + (fam ? 0 : 96);
		struct ban_key k = key_mask(key_of(&p[i].net), plen);
		uint32_t s = deny_hash(k, plen, p[i].net.af) & d->mask;
		struct ban_deny_ent *e;

		for (;; s = (s + 1) & d->mask) {
			e = &d->slot[s];
			if (e->af == 0)
				break;
			if (e->af == p[i].net.af && e->plen == plen && e->k.hi == k.hi &&
			    e->k.lo == k.lo) {
				*dup = i;
				free(d);
				return -EEXIST;
			}
		}
		e->k = k;
		e->plen = (uint8_t)plen;
		e->af = p[i].net.af;
		e->idx = i;
		if (p[i].expires == 0)
			e->expires = 0;
		else if (p[i].expires <= now_unix)
			e->expires = 1; /* already over: kept, never matches */
		else if ((uint64_t)(p[i].expires - now_unix) > (UINT64_MAX - now_tsc) / tsc_hz)
			e->expires = 0; /* beyond the TSC's range (centuries): never
					 * expires, rather than wrap to an instant */
		else
			e->expires = now_tsc + (uint64_t)(p[i].expires - now_unix) * tsc_hz;
		seen[fam][plen] = true;
	}
	for (unsigned fam = 0; fam < 2; fam++)
		for (int l = 128; l >= 0; l--)
			if (seen[fam][l])
				d->len[fam][d->n_len[fam]++] = (uint8_t)l;
	*out = d;
	return 0;
}

bool ban_denied(const struct ban_deny *d, const struct dp_ip *ip, uint64_t now)
{
	unsigned fam = ip->af == 6;
	struct ban_key k = key_of(ip);

	for (unsigned j = 0; j < d->n_len[fam]; j++) {
		unsigned plen = d->len[fam][j];
		struct ban_key m = key_mask(k, plen);

		for (uint32_t s = deny_hash(m, plen, ip->af) & d->mask;; s = (s + 1) & d->mask) {
			const struct ban_deny_ent *e = &d->slot[s];

			if (e->af == 0)
				break;
			if (e->af == ip->af && e->plen == plen && e->k.hi == m.hi && e->k.lo == m.lo) {
				/* an expired prefix does not hide a shorter
				 * one still in force */
				if (e->expires == 0 || e->expires > now)
					return true;
				break;
			}
		}
	}
	return false;
}

static void deny_free_cb(struct dp *dp, void *obj)
{
	(void)dp;
	ban_deny_free(obj);
}

int ban_deny_publish(struct dp *dp, struct ban_deny *d)
{
	struct ban_deny *old = dp->deny;

	if (old != NULL && !dp_retire_room(dp))
		return -ENOBUFS;
	/* release: the table's contents, written by this thread, are visible
	 * to a worker that loads the pointer with acquire */
	__atomic_store_n(&dp->deny, d, __ATOMIC_RELEASE);
	if (old != NULL)
		dp_retire(dp, old, deny_free_cb);
	return 0;
}

/* ---- the stage ---- */

void ban_stage(struct worker *w, struct dp_burst *b)
{
	struct dp *dp = w->dp;
	const struct ban_deny *d = __atomic_load_n(&dp->deny, __ATOMIC_ACQUIRE);
	bool dyn = w->ban != NULL && w->ban->n != 0;
	uint32_t h[DP_BURST];
	struct ban_key k[DP_BURST];

	if (!dyn && d == NULL)
		return;
	/* first pass: each key's group, its signature line prefetched, so
	 * the second pass finds the lines on their way */
	for (unsigned i = 0; dyn && i < b->n; i++) {
		k[i] = key_of(&b->p[i].src.ip);
		h[i] = key_hash(k[i], BAN_SEED_SLOT);
		rte_prefetch0(&w->ban->sig[(h[i] & w->ban->mask) * BAN_GROUP]);
	}
	for (unsigned i = 0; i < b->n; i++) {
		struct dp_pkt *p = &b->p[i];

		if (p->step != DP_STEP_CONTINUE || !ban_port_filtered(dp, p->in_port))
			continue;
		if (dyn && is_banned(w, k[i], h[i])) {
			p->step = DP_STEP_DROP;
			p->reason = STATS_DROP_banned;
		} else if (d != NULL && ban_denied(d, &p->src.ip, w->now)) {
			p->step = DP_STEP_DROP;
			p->reason = STATS_DROP_denied;
		}
	}
}
