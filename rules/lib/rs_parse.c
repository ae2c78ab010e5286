/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_parse.c - the rule language's grammar: a rule, its action, options
 * and conditions (rules/README.md; the values are rs_parse_value.c's).
 *
 *   rule  = ACTION [args] { option | cond | "and" | "&&" }    one a line
 *   cond  = ["not" | "!"] ( "exists" FIELD | FIELD "exists" | FIELD OP VALUE
 *           | "len(" FIELD ")" NUMOP NUMBER )
 *
 * Hand-written recursive descent over the lexer of rs_lex.c: each function
 * parses one thing at lx->pos, reports what it expected and found at the
 * right column, and returns -1 so that the caller gives up on the rule; the
 * file loop (rs_parse_file.c) then goes on with the next line. Nothing
 * here allocates outside the AST's arena and the parser's vectors.
 */
#include <errno.h>
#include <hs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_parse_priv.h"

/* Words a misspelt action may be close to, and the actions of other
 * filters' languages an operator may reach for. */
static const struct rs_sugg action_sugg[] = {
	{"allow", NULL},     {"drop", NULL},	  {"reject", NULL},  {"ban", NULL},
	{"count", NULL},     {"accept", "allow"}, {"pass", "allow"}, {"permit", "allow"},
	{"deny", "drop"},    {"block", "drop"},	  {"discard", "drop"}, {"log", "count"},
	{"alert", "count"},
};

static const struct rs_sugg option_sugg[] = {
	{"id", NULL},	     {"prio", NULL},	  {"msg", NULL},     {"sid", "id"},
	{"priority", "prio"}, {"message", "msg"}, {"shadow", NULL},
};

/* Other names for fields, and the keywords a condition may start with:
 * what an unknown field's name may be close to, besides the fields. */
static const struct rs_sugg field_alias[] = {
	{"user-agent", "ua"},	 {"useragent", "ua"},  {"request-uri", "ruri"},
	{"r-uri", "ruri"},	 {"uri", "ruri"},      {"callid", "call-id"},
	{"source", "src"},	 {"destination", "dst"}, {"header", "hdr"},
	{"max-fwd", "max-forwards"}, {"not", NULL},    {"exists", NULL},
	{"and", NULL},		 {"shadow", NULL},
};

static const char *field_suggest(const struct ps *ps, const char *w, size_t n)
{
	struct rs_sugg t[RS_F__COUNT + sizeof(field_alias) / sizeof(field_alias[0])];
	size_t nt = 0;

	if (ps_full(ps))
		return NULL;

	for (unsigned f = RS_F__NONE + 1; f < RS_F__COUNT; f++)
		t[nt++] = (struct rs_sugg){rs_field_name(f), NULL};
	for (size_t i = 0; i < sizeof(field_alias) / sizeof(field_alias[0]); i++)
		t[nt++] = field_alias[i];
	return rs_suggest(w, n, t, nt);
}

static enum rs_action action_lookup(const char *w, size_t n)
{
	for (unsigned a = RS_ACT_ALLOW; a < RS_ACT__COUNT; a++)
		if (lx_is(w, n, rs_action_name(a)))
			return (enum rs_action)a;
	return RS_ACT_NONE;
}

/* Header names are tokens (RFC 3261 25.1). */
static bool hdr_char(int c)
{
	return lx_word_char(c) || (c > 0 && strchr("!%*+`'~", c));
}

/* field_parse - a field name, or hdr[Name]. Refuses an unknown name (with
 * the closest one as a suggestion) and a hdr without its name. */
static int field_parse(struct ps *ps, struct lx *lx, struct rs_cond *c)
{
	struct lx save = *lx;
	const char *w, *sugg;
	size_t n = lx_word(lx, &w), s;
	char fb[48];

	if (n == 0) {
		ps_err(ps, lx_here(&save), "expected a field (ua, ruri.user, src, hdr[Name], ...), "
					   "found %s",
		       FOUND(&save));
		return -1;
	}
	c->field = (uint16_t)rs_field_lookup(w, n);
	if (c->field == RS_F__NONE) {
		if (action_lookup(w, n) != RS_ACT_NONE)
			ps_err(ps, lx_here(&save), "expected a condition, found %s: the action "
						   "comes first, once",
			       FOUND(&save));
		else if ((sugg = field_suggest(ps, w, n)) != NULL)
			ps_err(ps, lx_here(&save), "unknown field \"%.*s\"; did you mean \"%s\"?",
			       (int)(n > 40 ? 40 : n), w, sugg);
		else
			ps_err(ps, lx_here(&save), "unknown field \"%.*s\"", (int)(n > 40 ? 40 : n), w);
		return -1;
	}
	if (lx_peek(lx, 0) != '[') {
		if (c->field != RS_F_hdr)
			return 0;
		ps_err(ps, lx_here(&save), "hdr needs a header name: hdr[X-Foo]");
		return -1;
	}
	if (c->field != RS_F_hdr) {
		ps_err(ps, lx_here(lx), "field \"%s\" takes no [name]; only hdr[Name] does",
		       rs_field_name(c->field));
		return -1;
	}
	s = ++lx->pos;
	while (lx->pos < lx->len && hdr_char((unsigned char)lx->p[lx->pos]))
		lx->pos++;
	if (lx->pos == s || lx_peek(lx, 0) != ']' || lx->pos - s > 255) {
		lx->pos = s;
		ps_err(ps, lx_here(lx), "expected a header name (1 to 255 token characters) and ] "
					"after hdr[, found %s",
		       FOUND(lx));
		return -1;
	}
	c->hdr = ps_strdup(ps, lx->p + s, lx->pos - s);
	c->hdr_len = (uint32_t)(lx->pos - s);
	lx->pos++;
	return c->hdr != NULL ? 0 : -1;
}

/* The operators as written, each with the kinds of field it fits (bit
 * 1 << RS_KIND_*) and what it becomes on a text and on a number field. */
static const struct {
	const char *text;
	unsigned kinds;
	uint8_t str_op, num_op;
	bool neg;
} sops[] = {
	{"~", 1u << RS_KIND_STR, RS_OP_REGEX, 0, false},
	{"!~", 1u << RS_KIND_STR, RS_OP_REGEX, 0, true},
	{"==", 1u << RS_KIND_STR | 1u << RS_KIND_NUM, RS_OP_EQ, RS_OP_NUM_EQ, false},
	{"!=", 1u << RS_KIND_STR | 1u << RS_KIND_NUM, RS_OP_EQ, RS_OP_NUM_NE, true},
	{"^=", 1u << RS_KIND_STR, RS_OP_PREFIX, 0, false},
	{"$=", 1u << RS_KIND_STR, RS_OP_SUFFIX, 0, false},
	{"*=", 1u << RS_KIND_STR, RS_OP_CONTAINS, 0, false},
	{"<=", 1u << RS_KIND_NUM, 0, RS_OP_LE, false},
	{">=", 1u << RS_KIND_NUM, 0, RS_OP_GE, false},
	{"<", 1u << RS_KIND_NUM, 0, RS_OP_LT, false},
	{">", 1u << RS_KIND_NUM, 0, RS_OP_GT, false},
	{"in", 1u << RS_KIND_ADDR, 0, 0, false},
};

#define N_SOPS (sizeof(sops) / sizeof(sops[0]))

/* The operator at pos (index in sops), or -1 after an error. */
static int op_parse(struct ps *ps, struct lx *lx, const char *fname)
{
	struct lx save = *lx;
	const char *w;
	size_t n = lx_word(lx, &w);
	char fb[48];

	if (n > 0 && lx_is(w, n, "in"))
		return (int)N_SOPS - 1;
	*lx = save;
	for (size_t i = 0; i < N_SOPS - 1; i++) {
		size_t k = strlen(sops[i].text);

		if (lx->pos + k <= lx->len && memcmp(lx->p + lx->pos, sops[i].text, k) == 0) {
			lx->pos += k;
			return (int)i;
		}
	}
	if (lx_peek(lx, 0) == '=')
		ps_err(ps, lx_here(lx), "\"=\" is not an operator: write ==");
	else
		ps_err(ps, lx_here(lx), "expected an operator after %s (text: ~ !~ == != ^= $= *=; "
					"numbers: < <= > >= == !=; addresses: in), found %s",
		       fname, FOUND(lx));
	return -1;
}

static const char *const kind_is[] = {
	[RS_KIND_STR] = "text", [RS_KIND_NUM] = "a number", [RS_KIND_ADDR] = "an address",
};

/* The kinds an operator fits, as "needs ..." says them. */
static const char *op_needs(unsigned kinds)
{
	if (kinds == (1u << RS_KIND_STR))
		return "a text field";
	if (kinds == (1u << RS_KIND_NUM))
		return "a number field";
	if (kinds == (1u << RS_KIND_ADDR))
		return "an address field (src, dst)";
	return "a text or number field";
}

/* value_parse - what follows operator sop on field kind k, into c. */
static int value_parse(struct ps *ps, struct lx *lx, int sop, enum rs_kind k, struct rs_cond *c)
{
	const char *op = sops[sop].text;
	bool caseless = false;
	char fb[48], *pat;
	char after[16];

	lx_blank(lx);
	c->pat_loc = lx_here(lx);
	snprintf(after, sizeof(after), "\"%s\"", op);
	if (k == RS_KIND_ADDR)
		return ps_cidrs(ps, lx, c);
	if (k == RS_KIND_NUM)
		return ps_num(ps, lx, "number", after, INT64_MIN, INT64_MAX, &c->num);
	if (c->op == RS_OP_REGEX) {
		if (lx_peek(lx, 0) == '/')
			return ps_regex(ps, lx, c);
		ps_err(ps, c->pat_loc, "\"%s\" needs a regex between slashes (ua %s /scanner/i), "
				       "found %s",
		       op, op, FOUND(lx));
		return -1;
	}
	if (lx_peek(lx, 0) != '"') {
		ps_err(ps, c->pat_loc, "\"%s\" needs a quoted string (\"INVITE\", \"sipp\"i), found %s",
		       op, FOUND(lx));
		return -1;
	}
	if (ps_str(ps, lx, &pat, &c->pat_len, &caseless) < 0)
		return -1;
	c->pat = pat;
	c->hs_flags = caseless ? HS_FLAG_CASELESS : 0;
	if (c->pat_len == 0 && c->op != RS_OP_EQ) {
		ps_err(ps, c->pat_loc, "an empty literal after \"%s\" always matches: use exists "
				       "FIELD",
		       op);
		return -1;
	}
	return 0;
}

/* len_parse - len(FIELD) at pos (past "len"): a text field's length, a
 * number. Refuses a field of another kind and a missing parenthesis. */
static int len_parse(struct ps *ps, struct lx *lx, struct rs_cond *c)
{
	struct rs_loc at;
	char fb[48];
	enum rs_kind k;

	lx->pos++; /* ( */
	lx_blank(lx);
	at = lx_here(lx);
	if (field_parse(ps, lx, c) < 0)
		return -1;
	k = rs_field_kind(c->field);
	if (k != RS_KIND_STR) {
		ps_err(ps, at, "len() takes a text field: field \"%s\" is %s", rs_field_name(c->field),
		       k == RS_KIND_NUM ? "a number" : "an address");
		return -1;
	}
	lx_blank(lx);
	if (lx_peek(lx, 0) != ')') {
		ps_err(ps, lx_here(lx), "expected \")\" after len(%s%s%s, found %s",
		       c->field == RS_F_hdr ? "hdr[" : rs_field_name(c->field),
		       c->field == RS_F_hdr ? c->hdr : "", c->field == RS_F_hdr ? "]" : "", FOUND(lx));
		return -1;
	}
	lx->pos++;
	c->len = true;
	return 0;
}

/* cond_parse - one condition at pos into *c: [not|!] exists FIELD (or
 * FIELD exists), [not|!] FIELD OP VALUE with an operator that fits the
 * field's kind, or [not|!] len(FIELD) OP NUMBER on a text field.
 * Returns 0 or -1. */
static int cond_parse(struct ps *ps, struct lx *lx, struct rs_cond *c)
{
	struct lx save;
	const char *w;
	char fname[300], fb[48];
	struct rs_loc op_at;
	size_t n;
	int sop;
	enum rs_kind k;

	memset(c, 0, sizeof(*c));
	c->loc = lx_here(lx);
	save = *lx;
	if (lx_peek(lx, 0) == '!') {
		lx->pos++;
		c->neg = true;
	} else if (n = lx_word(lx, &w), lx_is(w, n, "not")) {
		c->neg = true;
	} else {
		*lx = save;
	}
	lx_blank(lx);
	save = *lx;
	n = lx_word(lx, &w);
	if (c->neg && (lx_is(w, n, "not") || (n == 0 && lx_peek(lx, 0) == '!'))) {
		ps_err(ps, lx_here(&save), "one \"not\" per condition");
		return -1;
	}
	if (lx_is(w, n, "exists")) {
		lx_blank(lx);
		c->op = RS_OP_EXISTS;
		c->pat_loc = lx_here(lx);
		save = *lx;
		if (n = lx_word(lx, &w), lx_is(w, n, "len") && lx_peek(lx, 0) == '(') {
			ps_err(ps, lx_here(&save), "exists takes a field, not its length: write exists "
						   "FIELD, or len(FIELD) > 0");
			return -1;
		}
		*lx = save;
		return field_parse(ps, lx, c);
	}
	if (lx_is(w, n, "len")) {
		if (lx_peek(lx, 0) != '(') {
			lx_blank(lx);
			ps_err(ps, lx_here(&save), "len needs its field in parentheses: len(ua) > 255, "
						   "found %s after it", FOUND(lx));
			return -1;
		}
		if (len_parse(ps, lx, c) < 0)
			return -1;
	} else {
		*lx = save;
		if (field_parse(ps, lx, c) < 0)
			return -1;
	}
	if (c->field == RS_F_hdr)
		snprintf(fname, sizeof(fname), c->len ? "len(hdr[%s])" : "hdr[%s]", c->hdr);
	else
		snprintf(fname, sizeof(fname), c->len ? "len(%s)" : "%s", rs_field_name(c->field));
	lx_blank(lx);
	op_at = lx_here(lx);
	save = *lx;
	n = lx_word(lx, &w);
	if (lx_is(w, n, "exists")) { /* FIELD exists reads as well as exists FIELD */
		if (c->len) {
			ps_err(ps, op_at, "%s is a number, present when the field is: write exists %.*s",
			       fname, (int)strlen(fname) - 5, fname + 4);
			return -1;
		}
		c->op = RS_OP_EXISTS;
		c->pat_loc = op_at;
		return 0;
	}
	*lx = save;
	sop = op_parse(ps, lx, fname);
	if (sop < 0)
		return -1;
	k = c->len ? RS_KIND_NUM : rs_field_kind(c->field);
	if (!(sops[sop].kinds & 1u << k)) {
		ps_err(ps, op_at, "%s%s%s is %s: \"%s\" needs %s%s", c->len ? "" : "field \"", fname,
		       c->len ? "" : "\"", kind_is[k], sops[sop].text, op_needs(sops[sop].kinds),
		       k == RS_KIND_ADDR ? "; write src in 192.0.2.0/24" : "");
		return -1;
	}
	if (c->len) {
		c->op = sops[sop].num_op;
		lx_blank(lx);
		c->pat_loc = lx_here(lx);
		snprintf(fb, sizeof(fb), "\"%s\"", sops[sop].text);
		return ps_num(ps, lx, "length", fb, 0, UINT32_MAX, &c->num);
	}
	c->op = k == RS_KIND_STR ? sops[sop].str_op : k == RS_KIND_NUM ? sops[sop].num_op
								      : RS_OP_CIDR;
	if (k == RS_KIND_STR && sops[sop].neg)
		c->neg = !c->neg;
	return value_parse(ps, lx, sop, k, c);
}

/* ---- ids ---- */

static uint32_t id_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	return x ^ (x >> 16);
}

/* The index of the rule with this id, or -1. */
static int64_t id_find(const struct ps *ps, uint32_t id)
{
	uint32_t m = ps->cap_ids - 1;

	if (ps->cap_ids == 0)
		return -1;
	for (uint32_t i = id_hash(id) & m;; i = (i + 1) & m) {
		if (ps->ids[i].id == id)
			return ps->ids[i].rule;
		if (ps->ids[i].id == 0)
			return -1;
	}
}

/* Open addressing, at most half full; ids are never 0, so 0 is empty. */
static int id_add(struct ps *ps, uint32_t id, uint32_t rule)
{
	uint32_t m;

	if (2 * (ps->n_ids + 1) > ps->cap_ids) {
		uint32_t cap = ps->cap_ids ? ps->cap_ids * 2 : 1024, om = ps->cap_ids;
		__typeof__(ps->ids) old = ps->ids, v = calloc(cap, sizeof(*v));

		if (v == NULL) {
			ps->oom = true;
			return -1;
		}
		ps->ids = v;
		ps->cap_ids = cap;
		for (uint32_t i = 0; i < om; i++)
			if (old[i].id != 0) {
				uint32_t j = id_hash(old[i].id) & (cap - 1);

				while (v[j].id != 0)
					j = (j + 1) & (cap - 1);
				v[j] = old[i];
			}
		free(old);
	}
	m = ps->cap_ids - 1;
	for (uint32_t i = id_hash(id) & m;; i = (i + 1) & m)
		if (ps->ids[i].id == 0) {
			ps->ids[i].id = id;
			ps->ids[i].rule = rule;
			ps->n_ids++;
			return 0;
		}
}

/* ---- a rule ---- */

struct rule_st {
	struct rs_rule r;
	bool has_id, has_prio;
	struct rs_loc id_loc;
};

/* option_parse - NAME:VALUE at w (lx->pos is at the colon): id, prio or
 * msg, each once. */
static int option_parse(struct ps *ps, struct lx *lx, const char *w, size_t n, struct rule_st *st)
{
	struct rs_loc at = lx_at(lx, (size_t)(w - lx->p));
	const char *sugg;
	int64_t v;
	char *t;

	lx->pos++;
	lx_blank(lx);
	if (lx_is(w, n, "id")) {
		if (st->has_id) {
			ps_err(ps, at, "id given twice");
			return -1;
		}
		if (ps_num(ps, lx, "id", "\"id:\"", 1, UINT32_MAX, &v) < 0)
			return -1;
		st->r.id = (uint32_t)v;
		st->has_id = true;
		st->id_loc = at;
	} else if (lx_is(w, n, "prio")) {
		if (st->has_prio) {
			ps_err(ps, at, "prio given twice");
			return -1;
		}
		if (ps_num(ps, lx, "prio", "\"prio:\"", INT32_MIN, INT32_MAX, &v) < 0)
			return -1;
		st->r.prio = (int32_t)v;
		st->has_prio = true;
	} else if (lx_is(w, n, "msg")) {
		if (st->r.msg != NULL) {
			ps_err(ps, at, "msg given twice");
			return -1;
		}
		if (ps_text(ps, lx, "msg", RS_MSG_MAX, &t) < 0)
			return -1;
		st->r.msg = t;
	} else if (lx_is(w, n, "shadow")) {
		ps_err(ps, at, "shadow takes no value: write shadow alone");
		return -1;
	} else {
		sugg = ps_full(ps) ? NULL
				   : rs_suggest(w, n, option_sugg,
						sizeof(option_sugg) / sizeof(option_sugg[0]));
		ps_err(ps, at, "unknown option \"%.*s\" (options: id:N, prio:N, msg:\"text\", shadow)%s%s%s",
		       (int)(n > 40 ? 40 : n), w, sugg ? "; did you mean \"" : "", sugg ? sugg : "",
		       sugg ? "\"?" : "");
		return -1;
	}
	return 0;
}

/* reject CODE ["reason"] */
static int reject_parse(struct ps *ps, struct lx *lx, struct rs_rule *r)
{
	int64_t v;
	char *t;

	lx_blank(lx);
	if (ps_num(ps, lx, "reject code", "\"reject\" (a code, 400..699)", 400, 699, &v) < 0)
		return -1;
	r->code = (uint16_t)v;
	lx_blank(lx);
	if (lx_peek(lx, 0) != '"')
		return 0;
	if (ps_text(ps, lx, "reject reason", RS_REASON_MAX, &t) < 0)
		return -1;
	r->reason = t;
	return 0;
}

/* ban DURATION: seconds, or a number and one unit of s, m, h, d. */
static int ban_parse(struct ps *ps, struct lx *lx, struct rs_rule *r)
{
	static const char units[] = "smhd";
	static const uint32_t mult[] = {1, 60, 3600, 86400};
	struct lx save;
	const char *w, *u;
	uint64_t x = 0;
	size_t n, i = 0;
	char fb[48];

	lx_blank(lx);
	save = *lx;
	n = lx_word(lx, &w);
	while (i < n && w[i] >= '0' && w[i] <= '9' && x < 1000000000000ull)
		x = x * 10 + (uint64_t)(w[i++] - '0');
	while (i < n && w[i] >= '0' && w[i] <= '9')
		i++;
	u = i + 1 == n ? strchr(units, w[i]) : NULL;
	if (i == 0 || (i < n && u == NULL)) {
		ps_err(ps, lx_here(&save), "expected a duration after \"ban\" (300, 90s, 10m, 1h, "
					   "1d), found %s",
		       FOUND(&save));
		return -1;
	}
	if (u != NULL)
		x *= mult[u - units];
	if (x < 1 || x > RS_BAN_MAX) {
		ps_err(ps, lx_here(&save), "ban duration \"%.*s\" out of range [1s, 30d]",
		       (int)(n > 40 ? 40 : n), w);
		return -1;
	}
	r->ban_s = (uint32_t)x;
	return 0;
}

/* rule_add - the rule parsed, with its conditions, into the AST; refuses a
 * duplicate id (naming where it was first) and one rule past max_rules. */
static int rule_add(struct ps *ps, struct rule_st *st, uint32_t n_cond)
{
	struct ast_own *a = ps->ast;
	int64_t dup = id_find(ps, st->r.id);
	struct rs_cond *c;

	if (dup >= 0) {
		const struct rs_loc *l = &a->rules[dup].loc;

		ps_err(ps, st->id_loc, "duplicate id %" PRIu32 ": already used at %s:%" PRIu32
				       ":%" PRIu32,
		       st->r.id, l->file, l->line, l->col);
		return -1;
	}
	if (a->pub.n_rules >= ps->max_rules) {
		ps->limit = ps->stop = true;
		ps_err(ps, st->r.loc, "more than %" PRIu32 " rules (the limit, max_rules)",
		       ps->max_rules);
		return -1;
	}
	if (a->pub.n_rules == a->cap_rules) {
		uint32_t cap = a->cap_rules ? a->cap_rules * 2 : 64;
		struct rs_rule *v = realloc(a->rules, (size_t)cap * sizeof(*v));

		if (v == NULL) {
			ps->oom = true;
			return -1;
		}
		a->rules = v;
		a->cap_rules = cap;
	}
	c = ps_alloc(ps, n_cond * sizeof(*c));
	if (c == NULL)
		return -1;
	memcpy(c, ps->conds, n_cond * sizeof(*c));
	st->r.cond = c;
	st->r.n_cond = n_cond;
	if (id_add(ps, st->r.id, a->pub.n_rules) < 0)
		return -1;
	a->rules[a->pub.n_rules++] = st->r;
	return 0;
}

/* A condition's slot in ps->conds, which grows to RS_COND_MAX. */
static struct rs_cond *cond_slot(struct ps *ps, uint32_t i)
{
	if (i == ps->cap_conds) {
		uint32_t cap = ps->cap_conds ? ps->cap_conds * 2 : 8;
		struct rs_cond *v = realloc(ps->conds, cap * sizeof(*v));

		if (v == NULL) {
			ps->oom = true;
			return NULL;
		}
		ps->conds = v;
		ps->cap_conds = cap;
	}
	return &ps->conds[i];
}

/* ps_rule - the rule at pos, to the end of its logical line: ACTION [args],
 * then options and conditions in any order, two conditions always joined
 * by "and" (or &&). Refuses a rule without an id or a condition, a
 * dangling "and", "or", more than RS_COND_MAX conditions, and whatever
 * its parts refuse. Returns 0 with the rule in the AST, or -1 (reported;
 * lx->pos somewhere in the line). */
int ps_rule(struct ps *ps, struct lx *lx)
{
	struct rule_st st = {.r = {.prio = RS_PRIO_DEFAULT, .loc = lx_here(lx)}};
	bool last_cond = false, after_and = false;
	struct lx save = *lx;
	const char *w, *sugg;
	uint32_t n_cond = 0;
	size_t n = lx_word(lx, &w);
	char fb[48];

	st.r.action = (uint8_t)action_lookup(w, n);
	if (st.r.action == RS_ACT_NONE) {
		sugg = n && !ps_full(ps) ? rs_suggest(w, n, action_sugg,
						       sizeof(action_sugg) / sizeof(action_sugg[0]))
				       : NULL;
		ps_err(ps, st.r.loc, "expected an action (allow, drop, reject, ban, count), found "
				     "%s%s%s%s",
		       FOUND(&save), sugg ? "; did you mean \"" : "", sugg ? sugg : "",
		       sugg ? "\"?" : "");
		return -1;
	}
	if (st.r.action == RS_ACT_REJECT && reject_parse(ps, lx, &st.r) < 0)
		return -1;
	if (st.r.action == RS_ACT_BAN && ban_parse(ps, lx, &st.r) < 0)
		return -1;
	for (;;) {
		struct rs_loc at;
		struct rs_cond *c;
		int c0;

		lx_blank(lx);
		if (lx_eol(lx))
			break;
		at = lx_here(lx);
		save = *lx;
		n = lx_word(lx, &w);
		c0 = lx_peek(lx, 0);
		if (n > 0 && c0 == ':') {
			if (after_and)
				goto want_cond;
			if (option_parse(ps, lx, w, n, &st) < 0)
				return -1;
		} else if ((n > 0 && lx_is(w, n, "and")) ||
			   (n == 0 && c0 == '&' && lx_peek(lx, 1) == '&')) {
			lx->pos += n ? 0 : 2;
			if (!last_cond) {
				ps_err(ps, at, "\"and\" must come between two conditions");
				return -1;
			}
			after_and = true;
			last_cond = false;
		} else if ((n > 0 && lx_is(w, n, "or")) ||
			   (n == 0 && c0 == '|' && lx_peek(lx, 1) == '|')) {
			ps_err(ps, at, "\"or\" is not in the language: write one rule per "
				       "alternative, or alternatives in one regex (a|b)");
			return -1;
		} else if (n > 0 && lx_is(w, n, "shadow")) {
			if (after_and)
				goto want_cond;
			st.r.shadow = true;
		} else if (n > 0 || c0 == '!') {
			*lx = save;
			if (last_cond && n > 0 && rs_field_lookup(w, n) == RS_F__NONE &&
			    !lx_is(w, n, "not") && !lx_is(w, n, "exists")) {
				sugg = field_suggest(ps, w, n);
				ps_err(ps, at, "expected \"and\", an option or the end of the line, "
					       "found %s%s%s%s",
				       FOUND(lx), sugg ? "; did you mean \"" : "", sugg ? sugg : "",
				       sugg ? "\"?" : "");
				return -1;
			}
			if (last_cond) {
				ps_err(ps, at, "expected \"and\" between two conditions, found %s",
				       FOUND(lx));
				return -1;
			}
			if (n_cond == RS_COND_MAX) {
				ps->limit = true;
				ps_err(ps, at, "more than %u conditions in one rule (the limit)",
				       RS_COND_MAX);
				return -1;
			}
			c = cond_slot(ps, n_cond);
			if (c == NULL || cond_parse(ps, lx, c) < 0)
				return -1;
			n_cond++;
			last_cond = true;
			after_and = false;
		} else {
			*lx = save;
			ps_err(ps, at, "expected a condition, an option (id:N, prio:N, msg:\"text\", "
				       "shadow) or the end of the line, found %s",
			       FOUND(lx));
			return -1;
		}
	}
	if (after_and) {
		save = *lx;
		goto want_cond;
	}
	if (!st.has_id) {
		ps_err(ps, st.r.loc, "rule has no id: add id:N (1..4294967295, unique)");
		return -1;
	}
	if (n_cond == 0) {
		ps_err(ps, st.r.loc, "rule %" PRIu32 " has no condition (ua ~ /scanner/i, "
				     "src in 192.0.2.0/24, exists hdr[X-Foo], ...)",
		       st.r.id);
		return -1;
	}
	return rule_add(ps, &st, n_cond);
want_cond:
	*lx = save;
	ps_err(ps, lx_here(lx), "expected a condition after \"and\", found %s", FOUND(lx));
	return -1;
}
