/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_rs_diff.c - rs_eval against a naive reference evaluator.
 *
 * Random rulesets (every field, every operator, len() of every text field,
 * negations, caseless, empty literals, several conditions, priorities,
 * shadow, every action) and
 * random messages (repeated and absent headers, Contact lists and *, tel:
 * URIs, display names, IPv4 and IPv6 sources, no destination) built as text
 * and parsed by sip_parse, and the requests of tests/corpus. The reference walks every rule in rank order and
 * tests every condition directly: literals with memcmp/strncasecmp (where
 * rs_eval hashes == literals), lengths compared, regexes with
 * a single-pattern Hyperscan database each, CIDRs bit by bit, fields taken
 * from the message by its own code. Verdict, deciding rule, hits[] and the
 * set of rules that hold (rs_eval_match) must agree exactly.
 */
#define _GNU_SOURCE /* memmem, strncasecmp */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "test_rs.h"

#define MAXR 40
#define MAXC 4
#define MAXV 16

static unsigned rnd(unsigned n)
{
	return (unsigned)random() % n;
}

#define PICK(a) (a)[rnd(NELEM(a))]

/* ---- random messages ---- */

static const char *const users[] = {"+4930123", "+15551234", "alice", "00491", "bob", "al"};
static const char *const hosts[] = {"example.com", "10.0.0.1", "atlanta.example", "[2001:db8::1]"};
static const char *const uas[] = {"friendly-scanner", "sipvicious 0.3", "Asterisk PBX 18",
				  "Linphone/5.0", "", "SIPcli/1.0", "FRIENDLY-SCANNER"};
static const char *const probes[] = {"one", "two", "ONE", "", "on"};
static const char *const displays[] = {"\"Alice A\" ", "\"\" ", "Bob ", "", "\"al\" "};
static const char *const methods[] = {"INVITE", "REGISTER", "OPTIONS", "BYE", "MESSAGE"};
static const char *const bodies[] = {"v=0\r\nm=audio 4000 RTP/AVP 0\r\n", "hello", "ONE two"};
/* header params after an address: tags in several spellings, or none */
static const char *const params[] = {";tag=1", ";tag=3206210844", "; TAG = abc", ";x=1;tag=ABC",
				     "", ";x=tag"};

static const char *const numbers[] = {"+4930123", "+15551234", "+1"};

static char *uri(char *p, bool tel)
{
	if (tel)
		return p + sprintf(p, "tel:%s", PICK(numbers));
	if (rnd(4) == 0)
		return p + sprintf(p, "sip:%s", PICK(hosts));
	return p + sprintf(p, "sip:%s@%s", PICK(users), PICK(hosts));
}

static char *nameaddr(char *p)
{
	p += sprintf(p, "%s<", PICK(displays));
	p = uri(p, rnd(5) == 0);
	return p + sprintf(p, ">");
}

static int random_msg(struct tmsg *t, struct rs_addr *src, struct rs_addr *dst, bool *has_dst)
{
	static char head[4096];
	char *p = head;
	const char *m = PICK(methods);

	p += sprintf(p, "%s ", m);
	p = uri(p, rnd(6) == 0);
	p += sprintf(p, " SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK%u\n", rnd(1000));
	p += sprintf(p, "%s: ", rnd(3) ? "From" : "f");
	p = nameaddr(p);
	p += sprintf(p, "%s\nTo: ", PICK(params));
	p = nameaddr(p);
	p += sprintf(p, "%s\nCall-ID: c%u@%s\nCSeq: %u %s\n", rnd(2) ? PICK(params) : "", rnd(50),
		     PICK(hosts), rnd(100000), m);
	if (rnd(6) == 0) {
		p += sprintf(p, "Contact: *\n");
	} else {
		for (unsigned h = rnd(3); h > 0; h--) {
			p += sprintf(p, "%s: ", rnd(2) ? "Contact" : "m");
			for (unsigned k = 1 + rnd(2); k > 0; k--) {
				p = nameaddr(p);
				p += sprintf(p, "%s", k > 1 ? ", " : "");
			}
			*p++ = '\n';
		}
	}
	for (unsigned h = rnd(3); h > 0; h--)
		p += sprintf(p, "User-Agent: %s\n", PICK(uas));
	for (unsigned h = rnd(3); h > 0; h--)
		p += sprintf(p, "%s: %s\n", rnd(2) ? "X-Probe" : "x-PROBE", PICK(probes));
	if (rnd(3))
		p += sprintf(p, "Max-Forwards: %u\n", rnd(80));
	if (rnd(2))
		p += sprintf(p, "Expires: %u\n", rnd(3) == 0 ? 0 : 60 * rnd(100));
	*p = '\0';

	static const struct rs_addr pool[] = {
		{4, {10, 0, 0, 1}, 5060}, {4, {10, 200, 3, 4}, 5061}, {4, {192, 0, 2, 9}, 40000},
		{4, {198, 51, 100, 7}, 5060}, {6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 5060},
		{6, {0x20, 0x01, 0x0d, 0xb9, [15] = 2}, 5062},
	};
	*src = PICK(pool);
	*dst = PICK(pool);
	*has_dst = rnd(4) != 0;
	return tmsg_make(t, head, rnd(2) ? PICK(bodies) : NULL);
}

/* ---- random rules ---- */

static const struct rs_cidr cidrs[] = {
	{4, 8, {10}}, {4, 16, {10, 200}}, {4, 24, {192, 0, 2}}, {4, 32, {198, 51, 100, 7}},
	{4, 0, {0}}, {6, 32, {0x20, 0x01, 0x0d, 0xb8}}, {6, 128, {0x20, 0x01, 0x0d, 0xb9, [15] = 2}},
	{6, 15, {0x20, 0x00}},
};
static const char *const regexes[] = {"^\\+49", "scanner|vicious", "[0-9]{4}", "o", "a.c",
				      "^al", "e\\.com$", "^(one|two)$", "\\d+\\s", "[A-Z]{3}"};
/* every string a message can hold, cut into literals */
static const char *const tags[] = {"1", "3206210844", "abc", "ABC"};
static const char *const *const pools[] = {users, hosts, uas, probes, methods, bodies, tags};
static const unsigned pool_n[] = {NELEM(users), NELEM(hosts), NELEM(uas), NELEM(probes),
				  NELEM(methods), NELEM(bodies), NELEM(tags)};

static char lits[MAXR * MAXC][64];

static const char *random_literal(unsigned k)
{
	unsigned pi = rnd(NELEM(pools));
	const char *s = pools[pi][rnd(pool_n[pi])];
	size_t n = strlen(s), a = n ? rnd((unsigned)n + 1) : 0, b = a + (n > a ? rnd((unsigned)(n - a) + 1) : 0);

	snprintf(lits[k], sizeof(lits[k]), "%.*s", (int)(b - a), s + a);
	return lits[k];
}

static const char *const hdr_names[] = {"X-Probe", "x-probe", "User-Agent", "f", "Expires", "X-None"};

static struct rs_cond random_cond(unsigned k)
{
	static const enum rs_op str_ops[] = {RS_OP_REGEX, RS_OP_EQ, RS_OP_PREFIX, RS_OP_SUFFIX,
					     RS_OP_CONTAINS, RS_OP_EXISTS};
	static const enum rs_op num_ops[] = {RS_OP_LT, RS_OP_LE, RS_OP_GT, RS_OP_GE,
					     RS_OP_NUM_EQ, RS_OP_NUM_NE, RS_OP_EXISTS};
	enum rs_field f = (enum rs_field)(1 + rnd(RS_F__COUNT - 1));
	struct rs_cond c = {.field = (uint16_t)f};

	if (f == RS_F_hdr) {
		c.hdr = PICK(hdr_names);
		c.hdr_len = (uint32_t)strlen(c.hdr);
	}
	switch (rs_field_kind(f)) {
	case RS_KIND_STR:
		if (rnd(5) == 0) { /* len(FIELD): the lengths of the pools' strings and around */
			c.len = true;
			c.op = (uint8_t)num_ops[rnd(NELEM(num_ops) - 1)];
			c.num = rnd(3) ? (int64_t)strlen(random_literal(k)) : (int64_t)rnd(60) - 1;
			break;
		}
		c.op = (uint8_t)PICK(str_ops);
		if (c.op == RS_OP_REGEX) {
			c.pat = PICK(regexes);
			c.hs_flags = rnd(3) == 0 ? HS_FLAG_CASELESS : rnd(4) == 0 ? HS_FLAG_DOTALL : 0;
		} else if (c.op != RS_OP_EXISTS) {
			c.pat = random_literal(k);
			c.hs_flags = rnd(3) == 0 ? HS_FLAG_CASELESS : 0;
		}
		c.pat_len = c.pat ? (uint32_t)strlen(c.pat) : 0;
		break;
	case RS_KIND_NUM:
		c.op = (uint8_t)PICK(num_ops);
		c.num = rnd(2) ? (int64_t)rnd(100) : rnd(2) ? 5060 : (int64_t)rnd(4) * 60 - 60;
		break;
	default:
		c.op = rnd(6) ? RS_OP_CIDR : RS_OP_EXISTS;
		c.cidr = &cidrs[rnd(NELEM(cidrs) - 1)];
		c.n_cidr = c.op == RS_OP_CIDR ? 1 + rnd(2) : 0;
		break;
	}
	c.neg = rnd(4) == 0;
	return c;
}

/* ---- the reference ---- */

struct vals {
	uint32_t n;
	struct sip_str v[MAXV];
};

static void add(struct vals *vs, struct sip_str s)
{
	if (s.p != NULL && vs->n < MAXV)
		vs->v[vs->n++] = s;
}

static void ref_nameaddr(struct vals *vs, struct sip_str v, enum rs_field want)
{
	struct sip_nameaddr na;
	struct sip_uri u;

	if (sip_parse_nameaddr(v.p, v.len, &na) < 0)
		return;
	bool uri = want == RS_F_from || want == RS_F_to || want == RS_F_contact;
	bool disp = want == RS_F_from_display || want == RS_F_to_display || want == RS_F_contact_display;
	if (na.star) {
		if (uri)
			add(vs, (struct sip_str){"*", 1});
		return;
	}
	if (want == RS_F_from_tag || want == RS_F_to_tag)
		add(vs, na.tag);
	else if (uri)
		add(vs, na.uri);
	else if (disp && (na.display_quoted || na.display.len))
		add(vs, na.display);
	else if (!uri && !disp && sip_parse_uri(na.uri.p, na.uri.len, &u) >= 0)
		add(vs, u.user);
}

static bool name_is(const struct sip_msg *m, unsigned i, const char *name)
{
	struct sip_str n = sip_hdr_name(m, i);
	enum sip_hdr_id a = sip_hdr_lookup(n.p, n.len), b = sip_hdr_lookup(name, (uint32_t)strlen(name));

	if (a != SIP_HDR_OTHER || b != SIP_HDR_OTHER)
		return a == b;
	return n.len == strlen(name) && strncasecmp(n.p, name, n.len) == 0;
}

/* The values of a string field, the reference's own way. */
static void ref_values(const struct sip_msg *m, const struct rs_cond *c, struct vals *vs)
{
	struct sip_uri u;

	vs->n = 0;
	switch (c->field) {
	case RS_F_method:
		add(vs, m->method_str);
		break;
	case RS_F_ruri:
		add(vs, m->ruri);
		break;
	case RS_F_ruri_user:
	case RS_F_ruri_host:
		if (m->ruri.p && sip_parse_uri(m->ruri.p, m->ruri.len, &u) >= 0)
			add(vs, c->field == RS_F_ruri_user ? u.user : u.host);
		break;
	case RS_F_from:
	case RS_F_from_user:
	case RS_F_from_display:
	case RS_F_to:
	case RS_F_to_user:
	case RS_F_to_display:
	case RS_F_from_tag:
	case RS_F_to_tag: {
		bool from = c->field == RS_F_from || c->field == RS_F_from_user ||
			    c->field == RS_F_from_display || c->field == RS_F_from_tag;
		int i = sip_hdr_find(m, from ? "From" : "To", from ? 4 : 2);
		if (i >= 0)
			ref_nameaddr(vs, sip_hdr_value(m, (unsigned)i), (enum rs_field)c->field);
		break;
	}
	case RS_F_contact:
	case RS_F_contact_user:
	case RS_F_contact_display: {
		struct sip_iter it;
		struct sip_str v;
		sip_iter_init(&it);
		while (sip_value_next(m, SIP_HDR_CONTACT, &it, &v) == 1)
			ref_nameaddr(vs, v, (enum rs_field)c->field);
		break;
	}
	case RS_F_ua:
	case RS_F_hdr:
		for (unsigned i = 0; i < m->nhdrs; i++)
			if (name_is(m, i, c->field == RS_F_ua ? "User-Agent" : c->hdr))
				add(vs, sip_hdr_value(m, i));
		break;
	case RS_F_call_id:
		add(vs, m->call_id);
		break;
	case RS_F_body:
		if (m->body.len)
			add(vs, m->body);
		break;
	case RS_F_msg:
		add(vs, (struct sip_str){m->buf, m->len});
		break;
	}
}

static hs_scratch_t *ref_scr;
static struct {
	const char *pat;
	unsigned flags;
	hs_database_t *db;
} ref_dbs[64];
static unsigned n_ref_dbs;

static int ref_hit(unsigned id, unsigned long long f, unsigned long long t, unsigned fl, void *ctx)
{
	(void)id, (void)f, (void)t, (void)fl;
	*(bool *)ctx = true;
	return 1;
}

static bool ref_regex(const char *pat, unsigned flags, struct sip_str v)
{
	unsigned i = 0;
	hs_compile_error_t *err = NULL;
	bool hit = false;

	while (i < n_ref_dbs && !(ref_dbs[i].pat == pat && ref_dbs[i].flags == flags))
		i++;
	if (i == n_ref_dbs) {
		ref_dbs[i].pat = pat;
		ref_dbs[i].flags = flags;
		CHECK_INT(hs_compile(pat, flags, HS_MODE_BLOCK, NULL, &ref_dbs[i].db, &err), HS_SUCCESS);
		hs_free_compile_error(err);
		CHECK_INT(hs_alloc_scratch(ref_dbs[i].db, &ref_scr), HS_SUCCESS);
		n_ref_dbs++;
	}
	hs_scan(ref_dbs[i].db, v.p, v.len, 0, ref_scr, ref_hit, &hit);
	return hit;
}

static bool ieq(const char *a, const char *b, size_t n, bool caseless)
{
	return caseless ? strncasecmp(a, b, n) == 0 : memcmp(a, b, n) == 0;
}

/* A comparison as the set of orders it admits: bit 0 v < k, bit 1 v == k,
 * bit 2 v > k (another way than rs_eval's, on purpose). */
static bool ref_num(uint8_t op, int64_t v, int64_t k)
{
	static const uint8_t admits[RS_OP__COUNT] = {
		[RS_OP_LT] = 1, [RS_OP_LE] = 3, [RS_OP_GT] = 4, [RS_OP_GE] = 6,
		[RS_OP_NUM_EQ] = 2, [RS_OP_NUM_NE] = 5,
	};

	return (admits[op] >> ((v > k) - (v < k) + 1)) & 1;
}

static bool ref_str(const struct rs_cond *c, struct sip_str v)
{
	bool cl = c->hs_flags & HS_FLAG_CASELESS;

	if (c->len)
		return ref_num(c->op, v.len, c->num);
	switch (c->op) {
	case RS_OP_REGEX:
		return ref_regex(c->pat, c->hs_flags, v);
	case RS_OP_EQ:
		return v.len == c->pat_len && ieq(v.p, c->pat, v.len, cl);
	case RS_OP_PREFIX:
		return v.len >= c->pat_len && ieq(v.p, c->pat, c->pat_len, cl);
	case RS_OP_SUFFIX:
		return v.len >= c->pat_len && ieq(v.p + v.len - c->pat_len, c->pat, c->pat_len, cl);
	default:
		for (uint32_t i = 0; i + c->pat_len <= v.len; i++)
			if (ieq(v.p + i, c->pat, c->pat_len, cl))
				return true;
		return false;
	}
}

static bool in_prefix(const struct rs_cidr *p, const struct rs_addr *a)
{
	if (p->af != a->af)
		return false;
	for (unsigned bit = 0; bit < p->plen; bit++)
		if (((p->a[bit / 8] ^ a->a[bit / 8]) >> (7 - bit % 8)) & 1)
			return false;
	return true;
}

static bool ref_test(const struct sip_msg *m, const struct rs_cond *c, const struct rs_addr *src,
		     const struct rs_addr *dst)
{
	if (rs_field_kind((enum rs_field)c->field) == RS_KIND_ADDR) {
		const struct rs_addr *a = c->field == RS_F_src ? src : dst;
		if (a == NULL)
			return false;
		if (c->op == RS_OP_EXISTS)
			return true;
		for (uint32_t i = 0; i < c->n_cidr; i++)
			if (in_prefix(&c->cidr[i], a))
				return true;
		return false;
	}
	if (rs_field_kind((enum rs_field)c->field) == RS_KIND_NUM) {
		int64_t v = 0;
		bool has = true;
		switch (c->field) {
		case RS_F_src_port:
			v = src->port;
			break;
		case RS_F_max_forwards:
			v = m->max_forwards, has = v >= 0;
			break;
		case RS_F_content_length:
			v = m->content_length, has = v >= 0;
			break;
		case RS_F_expires:
			v = m->expires, has = v >= 0;
			break;
		default:
			v = m->cseq;
		}
		return c->op == RS_OP_EXISTS ? has : has && ref_num(c->op, v, c->num);
	}
	struct vals vs;
	ref_values(m, c, &vs);
	if (c->op == RS_OP_EXISTS && !c->len)
		return vs.n > 0;
	for (uint32_t i = 0; i < vs.n; i++)
		if (ref_str(c, vs.v[i]))
			return true;
	return false;
}

static bool ref_holds(const struct sip_msg *m, const struct rs_rule *r, const struct rs_addr *src,
		      const struct rs_addr *dst)
{
	for (uint32_t i = 0; i < r->n_cond; i++)
		if (ref_test(m, &r->cond[i], src, dst) == r->cond[i].neg)
			return false;
	return true;
}

/* ---- the comparison ---- */

static struct rs_rule rules[MAXR];
static struct rs_cond conds[MAXR][MAXC];

static int by_rank(const void *a, const void *b)
{
	const struct rs_rule *x = &rules[*(const uint32_t *)a], *y = &rules[*(const uint32_t *)b];

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static void compare(struct rs_set *s, struct rs_scratch *sc, uint32_t nr, const uint32_t *rank,
		    const struct tmsg *t, const struct rs_addr *src, const struct rs_addr *dst,
		    unsigned *decided)
{
	uint64_t want_hits[MAXR] = {0}, hits[MAXR] = {0};
	bool hold[MAXR];
	uint32_t want = RS_RULE_NONE, n_hold = 0;

	for (uint32_t k = 0; k < nr; k++) {
		const struct rs_rule *r = &rules[rank[k]];
		hold[k] = ref_holds(&t->m, r, src, dst);
		if (!hold[k])
			continue;
		n_hold++;
		if (r->shadow)
			want_hits[k]++;
		else if (want != RS_RULE_NONE)
			continue;
		else if (r->action == RS_ACT_COUNT)
			want_hits[k]++;
		else
			want = k, want_hits[k]++;
	}
	struct rs_verdict v;
	uint32_t ranks[MAXR];
	CHECK_INT(rs_eval(s, sc, &t->m, src, dst, hits, &v), 0);
	CHECK_INT(v.rule, want);
	CHECK_INT(v.action, want == RS_RULE_NONE ? RS_ACT_NONE : rules[rank[want]].action);
	*decided += want != RS_RULE_NONE;
	bool same = true;
	for (uint32_t k = 0; k < nr; k++)
		same &= hits[k] == want_hits[k];
	CHECK(same);
	int h = rs_eval_match(s, sc, &t->m, src, dst, ranks, MAXR, &v);
	CHECK_INT(h, n_hold);
	for (int i = 0, k = 0; i < h && k < (int)nr; i++, k++) {
		while (k < (int)nr && !hold[k])
			k++;
		CHECK_INT(ranks[i], k);
	}
	if (!same || v.rule != want || h != (int)n_hold) {
		fprintf(stderr, "  message:\n%.*s\n  rules (rank order):\n", (int)t->len, t->buf);
		for (uint32_t k = 0; k < nr; k++) {
			const struct rs_rule *r = &rules[rank[k]];
			fprintf(stderr, "   %u: id %u %s%s holds %d hits %llu want %llu:", k, r->id,
				rs_action_name(r->action), r->shadow ? " shadow" : "", hold[k],
				(unsigned long long)hits[k], (unsigned long long)want_hits[k]);
			for (uint32_t i = 0; i < r->n_cond; i++)
				fprintf(stderr, " %s%s%s%s%s \"%.*s\" %lld;", r->cond[i].neg ? "not " : "",
					rs_field_name((enum rs_field)r->cond[i].field),
					r->cond[i].hdr ? "[" : "", r->cond[i].hdr ? r->cond[i].hdr : "",
					r->cond[i].hdr ? "]" : "", (int)r->cond[i].pat_len,
					r->cond[i].pat ? r->cond[i].pat : "", (long long)r->cond[i].num);
			fprintf(stderr, "\n");
		}
	}
}

void test_diff(unsigned n_sets, unsigned n_msgs)
{
	static const enum rs_action acts[] = {RS_ACT_ALLOW, RS_ACT_DROP, RS_ACT_REJECT, RS_ACT_BAN,
					      RS_ACT_COUNT, RS_ACT_COUNT};
	static const int32_t prios[] = {-1, 0, 5, 1000, 1000};
	unsigned decided = 0, evals = 0, fail0 = check_fail;

	srandom(12345);
	for (unsigned set = 0; set < n_sets && check_fail - fail0 < 20; set++) {
		uint32_t nr = 1 + rnd(MAXR), rank[MAXR];
		for (uint32_t i = 0; i < nr; i++) {
			uint32_t nc = 1 + rnd(MAXC);
			for (uint32_t k = 0; k < nc; k++)
				conds[i][k] = random_cond(i * MAXC + k);
			rules[i] = trule(i * 3 + 1 + rnd(3), PICK(prios), PICK(acts), conds[i], nc);
			rules[i].shadow = rnd(10) == 0;
			rank[i] = i;
		}
		qsort(rank, nr, sizeof(*rank), by_rank);
		check_ctx = "differential";
		struct rs_set *s = tset(rules, nr);
		struct rs_scratch *sc = NULL;
		if (s == NULL)
			continue;
		CHECK_INT(rs_scratch_alloc(s, &sc), 0);
		for (unsigned k = 0; k < n_msgs; k++) {
			struct tmsg t;
			struct rs_addr src, dst;
			bool has_dst;
			if (random_msg(&t, &src, &dst, &has_dst) <= 0) {
				CHECK(!"random message refused by sip_parse");
				fprintf(stderr, "%.*s\n", (int)t.len, t.buf);
				continue;
			}
			compare(s, sc, nr, rank, &t, &src, has_dst ? &dst : NULL, &decided);
			evals++;
		}
		for (unsigned k = 0; n_corpus && k < 4; k++) {
			struct tmsg t;
			struct rs_addr src, dst;
			bool has_dst;
			random_msg(&t, &src, &dst, &has_dst); /* for the addresses */
			compare(s, sc, nr, rank, &corpus[rnd(n_corpus)], &src, has_dst ? &dst : NULL,
				&decided);
			evals++;
		}
		rs_scratch_free(sc);
		rs_set_free(s);
	}
	printf("differential: %u rulesets, %u messages, %u decided by a rule\n", n_sets, evals,
	       decided);
	CHECK(decided > evals / 10 && decided < evals); /* the test saw both outcomes */
	for (unsigned i = 0; i < n_ref_dbs; i++)
		hs_free_database(ref_dbs[i].db);
	hs_free_scratch(ref_scr);
}
