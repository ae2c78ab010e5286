/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * filter.c - the ruleset slots, their publication and retirement, the hit
 * totals, and the filter stage (filter.h).
 *
 * Hits. Each worker counts its own hits per rank in the set in force
 * (rs_eval's hits[]: no sharing, no atomics). The main lcore keeps, per
 * slot, totals per rule id and per worker of every set it has retired:
 * when a set's grace period is over, its counts are added there before it
 * is freed. What a reader is told for a rule id is those totals plus what
 * the sets still alive count (the one in force and those waiting for their
 * grace period, during which workers may still count in them), so a rule
 * that stays from one version to the next keeps counting up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>
#include <rte_prefetch.h>

#include "ban.h"
#include "filter.h"
#include "rs.h"

/* The dataplane's address is the rules library's, byte for byte: the stage
 * hands its own to rs_eval. */
_Static_assert(sizeof(struct rs_addr) == sizeof(struct dp_addr), "rs_addr layout");
_Static_assert(offsetof(struct rs_addr, a) == offsetof(struct dp_addr, ip.a), "rs_addr.a");
_Static_assert(offsetof(struct rs_addr, port) == offsetof(struct dp_addr, port),
	       "rs_addr.port");

#define FILTER_PHRASE_MAX 256u /* a longer reason gets the code's phrase */

/* ---- totals per rule id (main lcore) ---- */

/* An open-addressing table of rule id -> hits per worker. */
struct filter_tot {
	uint32_t mask, n;
	uint32_t *id;	   /* 0: free (rule ids start at 1) */
	uint64_t *hits;	   /* [slot * nw + worker] */
	unsigned nw;
};

struct filter_ctl {
	struct filter_tot *tot[FILTER_SLOTS]; /* of the sets retired */
	struct filter_rules *retiring[DP_RETIRE_MAX];
	unsigned n_retiring;
};

static void tot_free(struct filter_tot *t)
{
	if (t == NULL)
		return;
	free(t->id);
	free(t->hits);
	free(t);
}

static struct filter_tot *tot_new(uint32_t slots, unsigned nw)
{
	struct filter_tot *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->mask = slots - 1;
	t->nw = nw;
	t->id = calloc(slots, sizeof(*t->id));
	t->hits = calloc((size_t)slots * nw, sizeof(*t->hits));
	if (t->id == NULL || t->hits == NULL) {
		tot_free(t);
		return NULL;
	}
	return t;
}

/* The counters of id in t, made when absent (the table doubles past half
 * full); NULL when memory is short. */
static uint64_t *tot_get(struct filter_tot *t, uint32_t id)
{
	uint32_t s = (id * 0x9e3779b1u) & t->mask;

	for (;; s = (s + 1) & t->mask) {
		if (t->id[s] == id)
			return &t->hits[(size_t)s * t->nw];
		if (t->id[s] == 0)
			break;
	}
	if (2 * (t->n + 1) > t->mask + 1) {
		struct filter_tot *g = tot_new(2 * (t->mask + 1), t->nw);

		if (g == NULL)
			return NULL;
		for (uint32_t i = 0; i <= t->mask; i++)
			if (t->id[i] != 0)
				memcpy(tot_get(g, t->id[i]), &t->hits[(size_t)i * t->nw],
				       t->nw * sizeof(uint64_t));
		free(t->id);
		free(t->hits);
		*t = *g;
		free(g);
		return tot_get(t, id);
	}
	t->id[s] = id;
	t->n++;
	return &t->hits[(size_t)s * t->nw];
}

/* Adds r's hits to t, rule by rule (ranks without hits skipped). Returns
 * 0 or -ENOMEM (t may then miss some). */
static int tot_add_set(struct filter_tot *t, const struct filter_rules *r)
{
	for (uint32_t i = 0; i < r->n_rules; i++) {
		uint64_t *h = NULL;

		for (unsigned k = 0; k < r->n_workers; k++) {
			uint64_t v = __atomic_load_n(&r->hits[k][i], __ATOMIC_RELAXED);

			if (v == 0)
				continue;
			if (h == NULL && (h = tot_get(t, r->ids[i])) == NULL)
				return -ENOMEM;
			h[k] += v;
		}
	}
	return 0;
}

/* ---- sets ---- */

void filter_rules_free(struct filter_rules *r)
{
	if (r == NULL)
		return;
	for (unsigned k = 0; k < r->n_workers; k++) {
		if (r->scratch[k] != NULL)
			rs_scratch_free(r->scratch[k]);
		free(r->hits[k]);
	}
	free(r->ids);
	if (r->set != NULL)
		rs_set_free(r->set);
	free(r);
}

int filter_load(struct dp *dp, const void *blob, size_t len, int64_t version,
		const char *sha256_hex, struct filter_rules **out, char *err, size_t errlen)
{
	struct filter_rules *r = calloc(1, sizeof(*r));
	struct timespec t0, t1;
	int rc;

	*out = NULL;
	if (r == NULL)
		goto nomem;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = rs_set_load(blob, len, &r->set, err, errlen);
	if (rc != 0) {
		free(r);
		return rc;
	}
	r->n_rules = rs_set_n_rules(r->set);
	r->n_workers = dp->n_workers;
	r->version = version;
	snprintf(r->sha256, sizeof(r->sha256), "%s", sha256_hex);
	r->ids = calloc(r->n_rules ? r->n_rules : 1, sizeof(*r->ids));
	if (r->ids == NULL)
		goto nomem;
	for (uint32_t i = 0; i < r->n_rules; i++) {
		struct rs_rule_info ri;

		rs_set_rule(r->set, i, &ri);
		r->ids[i] = ri.id;
	}
	for (unsigned k = 0; k < r->n_workers; k++) {
		size_t sz = RTE_ALIGN_CEIL(((size_t)r->n_rules ? r->n_rules : 1) * sizeof(uint64_t),
					   RTE_CACHE_LINE_SIZE);

		if (rs_scratch_alloc(r->set, &r->scratch[k]) != 0 ||
		    posix_memalign((void **)&r->hits[k], RTE_CACHE_LINE_SIZE, sz) != 0)
			goto nomem;
		memset(r->hits[k], 0, sz);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->load_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	r->loaded_at = (int64_t)time(NULL);
	*out = r;
	return 0;
nomem:
	filter_rules_free(r);
	snprintf(err, errlen, "out of memory for the ruleset and %u workers' scratch",
		 dp->n_workers);
	return -ENOMEM;
}

/* The retire callback: r's hits into the totals of its slot, then r
 * freed. */
static void retired(struct dp *dp, void *obj)
{
	struct filter_ctl *c = dp->fctl;
	struct filter_rules *r = obj;

	if (tot_add_set(c->tot[r->slot], r) != 0)
		RTE_LOG(WARNING, USER1, "rules: out of memory folding the hits of ruleset %" PRId64
			"; some of its counts are lost\n", r->version);
	for (unsigned i = 0; i < c->n_retiring; i++)
		if (c->retiring[i] == r) {
			c->retiring[i] = c->retiring[--c->n_retiring];
			break;
		}
	filter_rules_free(r);
}

int filter_publish(struct dp *dp, unsigned slot, struct filter_rules *r)
{
	struct filter_ctl *c = dp->fctl;
	struct filter_rules *old = dp->rules[slot];

	if (old != NULL && !dp_retire_room(dp))
		return -ENOBUFS;
	if (r != NULL)
		r->slot = (uint8_t)slot;
	/* release: the set, its scratches and zeroed hit arrays, all written
	 * by this thread, are visible to a worker that loads the pointer with
	 * acquire */
	__atomic_store_n(&dp->rules[slot], r, __ATOMIC_RELEASE);
	if (old != NULL) {
		c->retiring[c->n_retiring++] = old;
		dp_retire(dp, old, retired);
	}
	return 0;
}

unsigned filter_retiring(const struct dp *dp)
{
	return dp->fctl->n_retiring;
}

int filter_init(struct dp *dp)
{
	struct filter_ctl *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -ENOMEM;
	dp->fctl = c;
	for (unsigned s = 0; s < FILTER_SLOTS; s++)
		if ((c->tot[s] = tot_new(64, dp->n_workers)) == NULL)
			return -ENOMEM;
	return 0;
}

void filter_fini(struct dp *dp)
{
	struct filter_ctl *c = dp->fctl;

	for (unsigned s = 0; s < FILTER_SLOTS; s++) {
		filter_rules_free(dp->rules[s]);
		dp->rules[s] = NULL;
	}
	if (c == NULL)
		return;
	for (unsigned s = 0; s < FILTER_SLOTS; s++)
		tot_free(c->tot[s]);
	free(c);
	dp->fctl = NULL;
}

int filter_hits_each(struct dp *dp, unsigned slot,
		     void (*fn)(void *arg, uint32_t id, const uint64_t *per_worker), void *arg)
{
	struct filter_ctl *c = dp->fctl;
	const struct filter_tot *done = c->tot[slot];
	struct filter_tot *t = tot_new(done->mask + 1, dp->n_workers);
	int rc = t ? 0 : -ENOMEM;

	for (uint32_t i = 0; rc == 0 && i <= done->mask; i++) {
		uint64_t *h;

		if (done->id[i] == 0)
			continue;
		if ((h = tot_get(t, done->id[i])) == NULL)
			rc = -ENOMEM;
		else
			memcpy(h, &done->hits[(size_t)i * done->nw], done->nw * sizeof(*h));
	}
	if (rc == 0 && dp->rules[slot] != NULL)
		rc = tot_add_set(t, dp->rules[slot]);
	for (unsigned i = 0; rc == 0 && i < c->n_retiring; i++)
		if (c->retiring[i]->slot == slot)
			rc = tot_add_set(t, c->retiring[i]);
	for (uint32_t i = 0; rc == 0 && i <= t->mask; i++)
		if (t->id[i] != 0)
			fn(arg, t->id[i], &t->hits[(size_t)i * t->nw]);
	tot_free(t);
	return rc;
}

/* ---- the stage ---- */

/* r on message m of slot p, with this worker's scratch and hit array. */
static inline int eval(const struct worker *w, const struct filter_rules *r,
		       const struct dp_pkt *p, const struct sip_msg *m, struct rs_verdict *v)
{
	return rs_eval(r->set, r->scratch[w->id], m, (const struct rs_addr *)&p->src,
		       (const struct rs_addr *)&p->dst, r->hits[w->id], v);
}

/* What the live set decided for slot p. */
static void decide(struct worker *w, const struct filter_rules *r, struct dp_pkt *p,
		   const struct sip_msg *m)
{
	struct rs_verdict v;

	if (eval(w, r, p, m, &v) != 0) {
		w->st->ctr[STATS_rules_eval_errors]++;
		return;
	}
	w->st->ctr[STATS_rules_evaluated]++;
	switch (v.action) {
	case RS_ACT_ALLOW:
		w->st->ctr[STATS_rules_allowed]++;
		break;
	case RS_ACT_DROP:
		w->st->ctr[STATS_rules_dropped]++;
		p->step = DP_STEP_DROP;
		p->reason = STATS_DROP_rule_drop;
		break;
	case RS_ACT_REJECT:
		w->st->ctr[STATS_rules_rejected]++;
		if (m->method == SIP_METHOD_ACK) {
			/* RFC 3261 17: an ACK has no response */
			p->step = DP_STEP_DROP;
			p->reason = STATS_DROP_rule_reject_ack;
			break;
		}
		p->step = DP_STEP_REPLY;
		p->reply_code = v.code;
		p->rule_reply = true;
		if (v.reason.p != NULL && v.reason.len > 0 && v.reason.len <= FILTER_PHRASE_MAX) {
			p->reply_phrase = v.reason.p;
			p->reply_phrase_len = (uint16_t)v.reason.len;
		}
		break;
	case RS_ACT_BAN:
		w->st->ctr[STATS_rules_banned]++;
		p->step = DP_STEP_DROP;
		p->reason = STATS_DROP_rule_ban;
		ban_insert(w, &p->src.ip, v.rule < r->n_rules ? r->ids[v.rule] : 0,
			   w->now + (uint64_t)v.ban_s * w->dp->tsc_hz);
		break;
	default: /* no verdict, or count rules only: forwarded */
		break;
	}
}

/* What the shadow set would have decided: counted only. */
static void would(struct worker *w, const struct filter_rules *r, const struct dp_pkt *p,
		  const struct sip_msg *m)
{
	static const uint8_t ctr[RS_ACT__COUNT] = {
		[RS_ACT_ALLOW] = STATS_shadow_would_allow, [RS_ACT_DROP] = STATS_shadow_would_drop,
		[RS_ACT_REJECT] = STATS_shadow_would_reject, [RS_ACT_BAN] = STATS_shadow_would_ban,
	};
	struct rs_verdict v;

	if (eval(w, r, p, m, &v) != 0) {
		w->st->ctr[STATS_shadow_eval_errors]++;
		return;
	}
	w->st->ctr[STATS_shadow_evaluated]++;
	if (v.action < RS_ACT__COUNT && ctr[v.action] != 0)
		w->st->ctr[ctr[v.action]]++;
}

void filter_stage(struct worker *w, struct dp_burst *b)
{
	struct dp *dp = w->dp;
	/* the one synchronisation of the stage: each slot loaded once per
	 * burst (acquire: pairs with filter_publish's release); the sets stay
	 * valid until this worker's next quiescent report, after dispatch,
	 * which also reads a rule's reason phrase */
	const struct filter_rules *live = __atomic_load_n(&dp->rules[FILTER_LIVE],
							  __ATOMIC_ACQUIRE);
	const struct filter_rules *shadow = __atomic_load_n(&dp->rules[FILTER_SHADOW],
							    __ATOMIC_ACQUIRE);

	if (live == NULL && shadow == NULL)
		return;
	for (unsigned i = 0; i < b->n; i++) {
		struct dp_pkt *p = &b->p[i];
		const struct sip_msg *m = &b->msg[i];

		if (i + 1 < b->n) {
			/* the next message's index and bytes, which the
			 * fields are read from */
			rte_prefetch0(&b->msg[i + 1]);
			if (b->p[i + 1].sip)
				rte_prefetch0(b->p[i + 1].sip);
		}
		if (p->step != DP_STEP_CONTINUE || !(m->flags & SIP_MSG_REQUEST) ||
		    !ban_port_filtered(dp, p->in_port))
			continue;
		if (live != NULL)
			decide(w, live, p, m);
		if (shadow != NULL)
			would(w, shadow, p, m);
	}
}
