/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * backend.c - rendezvous hashing over the healthy backends, OPTIONS health
 * probes from the main lcore, and RCU publication of the table (backend.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "backend.h"
#include "net.h"
#include "token.h"
#include "worker.h"

/* ---- rendezvous hashing ---- */

/* log2(1 + i/256) in Q16, for the fixed-point -ln(u) below. */
static uint32_t log2_tbl[256];

static void log2_tbl_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		/* log2 by bisection-free series is overkill: the C library is
		 * fine at start-up */
		double x = 1.0 + i / 256.0, l = 0;

		/* log2(x) for x in [1,2) by repeated squaring, 16 bits */
		for (int b = 0; b < 16; b++) {
			x *= x;
			l *= 2;
			if (x >= 2.0) {
				x /= 2.0;
				l += 1;
			}
		}
		log2_tbl[i] = (uint32_t)l;
	}
}

/* 64-bit finalizer (MurmurHash3 fmix64): spreads the per-backend mix. */
static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* -log2(x / 2^64) in Q16, for x > 0: how "small" the uniform draw is. The
 * table's 8 mantissa bits make scores exact to ~0.5 %, which only matters
 * when two backends nearly tie, and then either answer is consistent. */
static inline uint32_t neg_log2_q16(uint64_t x)
{
	unsigned lz = (unsigned)__builtin_clzll(x | 1);
	unsigned mant = (unsigned)((x << lz) >> 55) & 255; /* bits after the top one */
	uint32_t l2 = ((63u - lz) << 16) + log2_tbl[mant];

	return (64u << 16) - l2;
}

const struct be *be_pick(const struct be_table *t, const char *callid,
			 uint32_t len)
{
	const struct be *best = NULL;
	uint64_t best_w = 0, best_l = 1;
	uint32_t hi = 0x5151, lo = 0xe3e3;
	uint64_t h;

	if (t == NULL || t->n == 0)
		return NULL;
	token_crc2(callid, len, &hi, &lo);
	h = (uint64_t)hi << 32 | lo;
	for (unsigned i = 0; i < t->n; i++) {
		const struct be *b = &t->b[i];
		uint64_t l = neg_log2_q16(fmix64(h ^ b->seed));

		/* score = w / l; compare w_i * l_best > w_best * l_i, no division */
		if (best == NULL || (uint64_t)b->weight * best_l > best_w * l) {
			best = b;
			best_w = b->weight;
			best_l = l;
		}
	}
	return best;
}

/* ---- health ---- */

struct be_probe_state {
	bool healthy;
	bool waiting;		/* a probe is out */
	uint32_t seq;		/* CSeq of the probe out */
	uint64_t sent_at, next_at;
	unsigned fails, oks;	/* consecutive */
};

static struct be_probe_state probe[DP_MAX_BACKENDS];
static struct be_setting setting[DP_MAX_BACKENDS]; /* in force */

/* Tables waiting for a grace period, oldest first. More than one can wait:
 * the control plane may commit states faster than a worker loops, and the
 * main lcore should not wait for that. */
#define BE_RETIRE_MAX 8u
static struct {
	struct be_table *t;
	uint64_t token;
} retired[BE_RETIRE_MAX];
static unsigned n_retired;

static const char *const admin_names[BE_ADMIN__COUNT] = {
	[BE_ADMIN_ENABLED] = "enabled",
	[BE_ADMIN_DISABLED] = "disabled",
	[BE_ADMIN_DRAIN] = "drain",
};

const char *be_name(const struct dp *dp, unsigned idx)
{
	return idx < dp->cfg.n_backends ? dp->cfg.backends[idx].name : "?";
}

const char *be_admin_name(unsigned admin)
{
	return admin < BE_ADMIN__COUNT ? admin_names[admin] : "?";
}

int be_admin_parse(const char *s, size_t n)
{
	for (unsigned i = 0; i < BE_ADMIN__COUNT; i++)
		if (strlen(admin_names[i]) == n && memcmp(admin_names[i], s, n) == 0)
			return (int)i;
	return -1;
}

void be_settings_config(const struct dp *dp, struct be_setting *s)
{
	for (unsigned i = 0; i < dp->cfg.n_backends; i++) {
		s[i].admin = dp->cfg.backends[i].enabled ? BE_ADMIN_ENABLED : BE_ADMIN_DISABLED;
		s[i].weight = dp->cfg.backends[i].weight;
	}
}

void be_settings_get(const struct dp *dp, struct be_setting *s)
{
	memcpy(s, setting, dp->cfg.n_backends * sizeof(*s));
}

struct be_setting be_setting_of(unsigned idx)
{
	struct be_setting s = {BE_ADMIN_DISABLED, 0};

	if (idx < DP_MAX_BACKENDS) {
		s.admin = __atomic_load_n(&setting[idx].admin, __ATOMIC_RELAXED);
		s.weight = __atomic_load_n(&setting[idx].weight, __ATOMIC_RELAXED);
	}
	return s;
}

/* The two sets of one publication in one allocation: work first, so that
 * the pointer the workers read (&work) is the allocation's, and rte_free of
 * dp->be frees both. */
struct be_pair {
	struct be_table work;	/* up and enabled: new dialogs, out-of-dialog */
	struct be_table dialog; /* up and (enabled or drain): within a dialog */
};

static void table_add(const struct dp *dp, struct be_table *t, unsigned i,
		      const struct be_setting *s)
{
	const struct cfg_backend *cb = &dp->cfg.backends[i];
	struct be *b = &t->b[t->n++];

	b->addr = cb->addr;
	b->weight = s->weight;
	b->idx = (uint8_t)i;
	b->up = true;
	b->seed = fmix64(rte_hash_crc(cb->name, (uint32_t)strlen(cb->name), 0x7777) |
			 (uint64_t)i << 40);
}

/* A new pair from the health in probe[] and the settings s. Returns it
 * (owned by the caller until published) or NULL. */
static struct be_table *table_build(const struct dp *dp, const struct be_setting *s)
{
	struct be_pair *p = rte_zmalloc("be_table", sizeof(*p), RTE_CACHE_LINE_SIZE);

	if (p == NULL)
		return NULL;
	for (unsigned i = 0; i < dp->cfg.n_backends; i++) {
		if (!probe[i].healthy || s[i].admin == BE_ADMIN_DISABLED)
			continue;
		if (s[i].admin == BE_ADMIN_ENABLED)
			table_add(dp, &p->work, i, &s[i]);
		table_add(dp, &p->dialog, i, &s[i]);
	}
	/* none draining: both sets hold the same backends in the same order,
	 * and the work set serves for both (be_dialog_table()), which tells a
	 * worker that within a dialog or not, a request picks the same */
	p->work.dialog = p->dialog.n != p->work.n ? &p->dialog : NULL;
	return &p->work;
}

int be_init(struct dp *dp)
{
	uint64_t now = rte_rdtsc();

	log2_tbl_init();
	be_settings_config(dp, setting);
	for (unsigned i = 0; i < dp->cfg.n_backends; i++) {
		probe[i] = (struct be_probe_state){.healthy = true, .next_at = now};
		dp->be_up[i] = true;
	}
	dp->be = table_build(dp, setting);
	return dp->be ? 0 : -ENOMEM;
}

/* Frees the retired tables whose grace period is over, oldest first; with
 * wait, waits for the oldest one at least (a few microseconds: workers
 * report a quiescent state every loop). */
static void retire_reclaim(struct dp *dp, bool wait)
{
	unsigned done = 0;

	while (done < n_retired &&
	       rte_rcu_qsbr_check(dp->qsbr, retired[done].token, wait && done == 0) == 1) {
		rte_free(retired[done].t);
		done++;
	}
	memmove(&retired[0], &retired[done], (n_retired - done) * sizeof(retired[0]));
	n_retired -= done;
}

/* Publishes t (built by table_build); the table it replaces is freed after
 * a grace period. Waits only when BE_RETIRE_MAX tables already wait. */
static void table_publish(struct dp *dp, struct be_table *t)
{
	struct be_table *old;

	retire_reclaim(dp, n_retired == BE_RETIRE_MAX);
	old = dp->be;
	/* release: the table's contents are visible before its pointer */
	__atomic_store_n(&dp->be, t, __ATOMIC_RELEASE);
	retired[n_retired].t = old;
	retired[n_retired].token = rte_rcu_qsbr_start(dp->qsbr);
	n_retired++;
}

/* A new table for the settings in force, after a health change. */
static void table_rebuild(struct dp *dp)
{
	struct be_table *t = table_build(dp, setting);

	if (t == NULL) {
		RTE_LOG(ERR, USER1, "backends: out of memory, table not updated\n");
		return;
	}
	table_publish(dp, t);
}

static const char *be_addr(const struct dp *dp, unsigned i, char *buf, size_t len)
{
	return cfg_fmt_addr(&dp->cfg.backends[i].addr.ip, dp->cfg.backends[i].addr.port,
			    buf, len);
}

int be_apply(struct dp *dp, struct worker *mw, const struct be_setting *s,
	     const char *why)
{
	struct be_table *t;
	int changed = 0;
	char a[64];

	for (unsigned i = 0; i < dp->cfg.n_backends; i++)
		changed += s[i].admin != setting[i].admin || s[i].weight != setting[i].weight;
	if (changed == 0)
		return 0;
	/* build first: when memory is short nothing changes, and the caller
	 * can say so */
	if ((t = table_build(dp, s)) == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < dp->cfg.n_backends; i++) {
		if (s[i].admin == setting[i].admin && s[i].weight == setting[i].weight)
			continue;
		RTE_LOG(NOTICE, USER1, "backend %s (%s): admin %s -> %s, weight %u -> %u (%s)\n",
			be_name(dp, i), be_addr(dp, i, a, sizeof(a)),
			be_admin_name(setting[i].admin), be_admin_name(s[i].admin),
			setting[i].weight, s[i].weight, why);
		mw->st->be[i][STATS_BE_admin_changes]++;
		/* relaxed: be_setting_of's readers want each field whole,
		 * nothing ordered with it */
		__atomic_store_n(&setting[i].admin, s[i].admin, __ATOMIC_RELAXED);
		__atomic_store_n(&setting[i].weight, s[i].weight, __ATOMIC_RELAXED);
	}
	table_publish(dp, t);
	return changed;
}

static void set_health(struct dp *dp, struct worker *mw, unsigned i, bool up)
{
	char a[64];

	probe[i].healthy = up;
	dp->be_up[i] = up;
	mw->st->be[i][up ? STATS_BE_went_up : STATS_BE_went_down]++;
	RTE_LOG(NOTICE, USER1, "backend %s (%s): %s after %u %s\n", be_name(dp, i),
		be_addr(dp, i, a, sizeof(a)),
		up ? "UP" : "DOWN", up ? probe[i].oks : probe[i].fails,
		up ? "successful probes" : "failed probes");
	table_rebuild(dp);
}

static void probe_result(struct dp *dp, struct worker *mw, unsigned i, bool ok)
{
	struct be_probe_state *s = &probe[i];

	s->waiting = false;
	if (ok) {
		mw->st->be[i][STATS_BE_probes_ok]++;
		s->fails = 0;
		s->oks++;
		if (!s->healthy && s->oks >= dp->cfg.probe.up_after)
			set_health(dp, mw, i, true);
	} else {
		mw->st->be[i][STATS_BE_probes_failed]++;
		s->oks = 0;
		s->fails++;
		if (s->healthy && s->fails >= dp->cfg.probe.down_after)
			set_health(dp, mw, i, false);
	}
}

static int fmt_host(const struct dp_ip *ip, char *buf, size_t len)
{
	char tmp[64];

	cfg_fmt_addr(ip, 0, tmp, sizeof(tmp));
	return snprintf(buf, len, ip->af == 6 ? "[%s]" : "%s", tmp);
}

/* Builds and sends one OPTIONS to backend i. Call-ID "probe-<i>-<seq>" lets
 * the reply find its backend; the branch is signed like any of ours, so the
 * worker that receives the response knows it is ours, and finding no Via
 * under ours, hands it here. */
static void probe_send(struct dp *dp, struct worker *mw, unsigned i)
{
	const struct cfg_backend *cb = &dp->cfg.backends[i];
	struct be_probe_state *s = &probe[i];
	int pi = dp_port_for(dp, DP_ROLE_CORE, cb->addr.ip.af);
	char me[80], them[80], br[TOKEN_BRANCH_MAX + 1];
	struct dp_addr src;
	struct rte_mbuf *m;
	char *p;
	int n;

	if (pi < 0)
		return;
	m = rte_pktmbuf_alloc(mw->pool);
	if (m == NULL) {
		mw->st->drop[STATS_DROP_no_mbuf]++;
		return;
	}
	s->seq++;
	src.ip = *dp_port_ip(&dp->ports[pi], cb->addr.ip.af);
	src.port = dp->cfg.sip_ports[0];
	fmt_host(&src.ip, me, sizeof(me));
	fmt_host(&cb->addr.ip, them, sizeof(them));
	br[token_branch(dp->key_branch,
			token_siphash(dp->key_branch, (uint64_t[]){i, s->seq}, 16),
			DP_ROLE_CORE, NULL, br)] = '\0';
	p = rte_pktmbuf_mtod(m, char *);
	n = snprintf(p, rte_pktmbuf_tailroom(m),
		     "OPTIONS sip:%s:%u SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s:%u;branch=%s\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:sipedge@%s>;tag=%08" PRIx64 "\r\n"
		     "To: <sip:%s:%u>\r\n"
		     "Call-ID: probe-%u-%u@%s\r\n"
		     "CSeq: %u OPTIONS\r\n"
		     "User-Agent: %s\r\n"
		     "Content-Length: 0\r\n\r\n",
		     them, cb->addr.port, me, src.port, br, me,
		     token_siphash(dp->key_token, "probe-tag", 9) & 0xffffffff, them,
		     cb->addr.port, i, s->seq,
		     me, s->seq, dp->cfg.proxy.server);
	if (n < 0 || (unsigned)n >= rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_append(m, (uint16_t)n);
	s->waiting = true;
	s->sent_at = mw->now;
	mw->st->be[i][STATS_BE_probes_sent]++;
	net_send(mw, m, (unsigned)pi, &src, &cb->addr);
}

void be_poll(struct dp *dp, struct worker *mw)
{
	uint64_t now = mw->now;
	uint64_t timeout = dp->tsc_hz / 1000 * dp->cfg.probe.timeout_ms;
	uint64_t interval = dp->tsc_hz / 1000 * dp->cfg.probe.interval_ms;

	for (unsigned i = 0; i < dp->cfg.n_backends; i++) {
		struct be_probe_state *s = &probe[i];

		/* every backend, disabled ones too: its health is known
		 * the moment it is enabled again */
		if (s->waiting && now - s->sent_at > timeout)
			probe_result(dp, mw, i, false);
		if (now >= s->next_at) {
			s->next_at = now + interval;
			if (!s->waiting)
				probe_send(dp, mw, i);
		}
	}
	retire_reclaim(dp, false);
}

void be_probe_reply(struct dp *dp, struct worker *mw, struct rte_mbuf *m)
{
	struct sip_msg *msg = &mw->burst.msg[0];
	unsigned idx, seq;
	char cid[64];
	int n;

	/* the worker left the mbuf's data at the SIP payload, one segment */
	if (sip_parse(rte_pktmbuf_mtod(m, const char *), rte_pktmbuf_data_len(m),
		      &dp->lim, 0, msg) < 0 || (msg->flags & SIP_MSG_REQUEST))
		goto stray;
	if (msg->call_id.len < 8 || msg->call_id.len >= sizeof(cid) ||
	    memcmp(msg->call_id.p, "probe-", 6) != 0)
		goto stray;
	memcpy(cid, msg->call_id.p, msg->call_id.len);
	cid[msg->call_id.len] = '\0';
	n = sscanf(cid + 6, "%u-%u@", &idx, &seq);
	if (n != 2 || idx >= dp->cfg.n_backends || !probe[idx].waiting ||
	    probe[idx].seq != seq || msg->cseq != seq)
		goto stray;
	if (msg->status < 200)
		goto done; /* provisional: the final one decides */
	/* any final answer shows the server alive, except 503 (overloaded) */
	probe_result(dp, mw, idx, msg->status != 503);
done:
	rte_pktmbuf_free(m);
	return;
stray:
	mw->st->drop[STATS_DROP_resp_stray]++;
	rte_pktmbuf_free(m);
}

void be_fini(struct dp *dp)
{
	/* the workers have stopped: no reader is left */
	for (unsigned i = 0; i < n_retired; i++)
		rte_free(retired[i].t);
	n_retired = 0;
	rte_free(dp->be);
	dp->be = NULL;
}
