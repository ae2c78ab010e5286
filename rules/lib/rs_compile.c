/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_compile.c - a parsed ruleset to a blob (rs.h, docs/rules-engine.md).
 *
 * Every condition becomes a reference to an atom, the distinct test it
 * makes: the same "ua ~ /sipvicious/i" in ten rules is one atom, scanned
 * once. Atoms on a string field are patterns in that field's Hyperscan
 * database (literals escaped and anchored), except those that need no
 * scan: exists, == "", len(FIELD), and == "literal", which the evaluator
 * finds by a hash of the value; numbers, CIDR lists and exists are tested
 * after the scan. Each database keeps the fewest bytes any of its patterns
 * matches, so that a shorter value is not scanned at all. Each rule names one trigger: a positive scanned or CIDR atom that
 * must hold for the rule to hold, so that the evaluator only looks at the
 * rules whose trigger fired (plus the few that have none).
 *
 * The AST is checked again here even though the parser checked it: a blob
 * is what a dataplane trusts, and an AST can be built by hand (tests, tools).
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rs_priv.h"

/* Regex flags a rule may carry: those that change what matches. PREFILTER
 * would turn a rule into an approximation, COMBINATION and QUIET are
 * Hyperscan's own logic and have no meaning for one condition. */
#define RS_REGEX_FLAGS                                                            \
	(HS_FLAG_CASELESS | HS_FLAG_DOTALL | HS_FLAG_MULTILINE | HS_FLAG_SINGLEMATCH | \
	 HS_FLAG_ALLOWEMPTY | HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SOM_LEFTMOST)

struct c_slot {
	uint16_t field;
	int hdr_id; /* RS_F_hdr: enum sip_hdr_id */
	const char *hdr;
	uint32_t hdr_len;
	uint32_t hash;
	uint32_t n_scan;
	uint32_t min_width; /* of the patterns in the database */
	char *ser; /* serialized database */
	size_t ser_len;
};

struct c_atom {
	uint8_t type, op;
	uint16_t slot;
	unsigned flags;
	int64_t num;
	const char *pat;
	uint32_t pat_len;
	const struct rs_cidr *cidr;
	uint32_t n_cidr;
	uint32_t hash;
	uint32_t min_width; /* SCAN: the fewest bytes a match takes */
	uint32_t lit_off;   /* LIT: where its bytes went in the strings */
	char *bad; /* Hyperscan's message when it refused the pattern alone */
	const struct rs_cond *first; /* the first condition using it */
};

/* Open addressing over indices into an array of the caller's. */
struct htab {
	uint32_t *v;
	uint32_t mask, n;
};

struct cc {
	const struct rs_ast *ast;
	struct rs_diag *diag;
	struct c_slot *slots;
	uint32_t n_slots, cap_slots;
	struct c_atom *atoms;
	uint32_t n_atoms, cap_atoms;
	struct htab slot_ix, atom_ix;
	uint32_t *cond_atom; /* per condition, rules in source order */
	uint32_t *cond_base; /* per rule, its first entry in cond_atom */
	uint32_t n_conds, n_cidrs;
	uint32_t *order;     /* rank -> source index */
	char *strs;
	size_t n_strs, cap_strs;
	hs_platform_info_t plat;
	uint64_t db_bytes, scratch_bytes;
};

static void diag_add(struct rs_diag *d, const struct rs_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag_add(struct rs_diag *d, const struct rs_loc *loc, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return;
	if (d->n >= RS_DIAG_MAX) {
		d->n_more++;
		return;
	}
	snprintf(d->e[d->n].file, sizeof(d->e[d->n].file), "%s",
		 loc && loc->file ? loc->file : "<rules>");
	d->e[d->n].line = loc ? loc->line : 0;
	d->e[d->n].col = loc ? loc->col : 0;
	va_start(ap, fmt);
	vsnprintf(d->e[d->n].msg, sizeof(d->e[d->n].msg), fmt, ap);
	va_end(ap);
	d->n++;
}

/* ---- small tables ---- */

static int htab_init(struct htab *t, uint32_t want)
{
	uint32_t sz = 16;

	while (sz < want * 2)
		sz <<= 1;
	t->v = malloc(sizeof(*t->v) * sz);
	if (t->v == NULL)
		return -ENOMEM;
	memset(t->v, 0xff, sizeof(*t->v) * sz);
	t->mask = sz - 1;
	t->n = 0;
	return 0;
}

/* The slot of hash h where eq(ctx, index) holds, or the empty one where it
 * would go. Tables are sized for their final count up front (never grown). */
static uint32_t *htab_find(struct htab *t, uint32_t h, bool (*eq)(const void *, uint32_t, const void *),
			   const void *ctx, const void *key)
{
	for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask)
		if (t->v[i] == RS_NONE || eq(ctx, t->v[i], key))
			return &t->v[i];
}

static int grow(void **p, uint32_t *cap, uint32_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	uint32_t nc = *cap ? *cap * 2 : 16;
	void *q = realloc(*p, elem * nc);
	if (q == NULL)
		return -ENOMEM;
	*p = q;
	*cap = nc;
	return 0;
}

/* Appends s (len bytes and a NUL) to the string table; its offset, or
 * RS_NOSTR when s is NULL. */
static int str_add(struct cc *c, const char *s, size_t len, uint32_t *off)
{
	if (s == NULL) {
		*off = RS_NOSTR;
		return 0;
	}
	if (c->n_strs + len + 1 > c->cap_strs) {
		size_t nc = (c->cap_strs ? c->cap_strs * 2 : 4096) + len + 1;
		char *q = realloc(c->strs, nc);
		if (q == NULL)
			return -ENOMEM;
		c->strs = q;
		c->cap_strs = nc;
	}
	if (c->n_strs + len + 1 >= RS_NOSTR)
		return -EFBIG;
	memcpy(c->strs + c->n_strs, s, len);
	c->strs[c->n_strs + len] = '\0';
	*off = (uint32_t)c->n_strs;
	c->n_strs += len + 1;
	return 0;
}

/* ---- checking the AST ---- */

static bool op_fits(enum rs_kind k, unsigned op)
{
	switch (op) {
	case RS_OP_EXISTS:
		return true;
	case RS_OP_REGEX:
	case RS_OP_EQ:
	case RS_OP_PREFIX:
	case RS_OP_SUFFIX:
	case RS_OP_CONTAINS:
		return k == RS_KIND_STR;
	case RS_OP_CIDR:
		return k == RS_KIND_ADDR;
	case RS_OP_LT:
	case RS_OP_LE:
	case RS_OP_GT:
	case RS_OP_GE:
	case RS_OP_NUM_EQ:
	case RS_OP_NUM_NE:
		return k == RS_KIND_NUM;
	default:
		return false;
	}
}

/* One condition: 0, or -EINVAL after a diagnostic. */
static int check_cond(struct cc *c, const struct rs_rule *r, const struct rs_cond *cd)
{
	struct rs_diag *d = c->diag;
	enum rs_kind k = rs_field_kind((enum rs_field)cd->field);
	const struct rs_loc *loc = cd->loc.line ? &cd->loc : &r->loc;

	if (k == 0) {
		diag_add(d, loc, "rule %u: unknown field number %u", r->id, cd->field);
		return -EINVAL;
	}
	if (cd->len && k != RS_KIND_STR) {
		diag_add(d, loc, "rule %u: len() of field \"%s\": only a text field has a length",
			 r->id, rs_field_name((enum rs_field)cd->field));
		return -EINVAL;
	}
	/* len(FIELD) is a number: the number operators */
	if (!op_fits(cd->len ? RS_KIND_NUM : k, cd->op) || (cd->len && cd->op == RS_OP_EXISTS)) {
		const char *on = rs_op_name((enum rs_op)cd->op);
		diag_add(d, loc, cd->len ? "rule %u: operator \"%s\" does not apply to len(%s)"
					 : "rule %u: operator \"%s\" does not apply to field \"%s\"",
			 r->id, on ? on : "?", rs_field_name((enum rs_field)cd->field));
		return -EINVAL;
	}
	if (cd->field == RS_F_hdr) {
		bool ok = cd->hdr != NULL && cd->hdr_len > 0 && cd->hdr_len <= RS_MAX_HDR_NAME;
		for (uint32_t i = 0; ok && i < cd->hdr_len; i++)
			ok = rs_is_tchar((unsigned char)cd->hdr[i]);
		if (!ok) {
			diag_add(d, loc, "rule %u: bad header name \"%.*s\"", r->id,
				 cd->hdr ? (int)(cd->hdr_len > 64 ? 64 : cd->hdr_len) : 0,
				 cd->hdr ? cd->hdr : "");
			return -EINVAL;
		}
	}
	if (k == RS_KIND_STR && cd->op != RS_OP_EXISTS && !cd->len) {
		const struct rs_loc *pl = cd->pat_loc.line ? &cd->pat_loc : loc;
		if (cd->pat == NULL && cd->pat_len > 0) {
			diag_add(d, pl, "rule %u: pattern missing", r->id);
			return -EINVAL;
		}
		if (cd->op == RS_OP_REGEX) {
			if (cd->hs_flags & ~(unsigned)RS_REGEX_FLAGS) {
				diag_add(d, pl, "rule %u: regex flags 0x%x not supported (allowed: 0x%x)",
					 r->id, cd->hs_flags, (unsigned)RS_REGEX_FLAGS);
				return -EINVAL;
			}
			if (cd->pat_len == 0 || memchr(cd->pat, '\0', cd->pat_len) != NULL) {
				diag_add(d, pl, "rule %u: regex is empty or holds a NUL byte (write \\x00)",
					 r->id);
				return -EINVAL;
			}
		} else if (cd->hs_flags & ~(unsigned)HS_FLAG_CASELESS) {
			diag_add(d, pl, "rule %u: literal flags 0x%x: only caseless applies", r->id,
				 cd->hs_flags);
			return -EINVAL;
		}
	}
	if (cd->op == RS_OP_CIDR) {
		if (cd->n_cidr == 0 || cd->cidr == NULL) {
			diag_add(d, loc, "rule %u: empty prefix list", r->id);
			return -EINVAL;
		}
		for (uint32_t i = 0; i < cd->n_cidr; i++) {
			const struct rs_cidr *p = &cd->cidr[i];
			if ((p->af != 4 && p->af != 6) || p->plen > (p->af == 4 ? 32 : 128)) {
				diag_add(d, loc, "rule %u: prefix %u: family %u length %u", r->id, i,
					 p->af, p->plen);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int check_rule(struct cc *c, const struct rs_rule *r)
{
	struct rs_diag *d = c->diag;
	int rc = 0;

	if (r->id == 0) {
		diag_add(d, &r->loc, "rule id 0: ids run from 1");
		rc = -EINVAL;
	}
	if (r->action == RS_ACT_NONE || r->action >= RS_ACT__COUNT) {
		diag_add(d, &r->loc, "rule %u: action %u is not an action", r->id, r->action);
		rc = -EINVAL;
	}
	if (r->action == RS_ACT_REJECT && (r->code < 400 || r->code > 699)) {
		diag_add(d, &r->loc, "rule %u: reject code %u out of range [400, 699]", r->id,
			 r->code);
		rc = -EINVAL;
	}
	if (r->action == RS_ACT_BAN && (r->ban_s < 1 || r->ban_s > RS_MAX_BAN_S)) {
		diag_add(d, &r->loc, "rule %u: ban time %u s out of range [1, %u]", r->id, r->ban_s,
			 RS_MAX_BAN_S);
		rc = -EINVAL;
	}
	if (r->reason != NULL) {
		/* It goes into a status line: no control bytes, no CR or LF. */
		size_t n = strnlen(r->reason, RS_MAX_REASON + 1);
		bool ok = n <= RS_MAX_REASON;
		for (size_t i = 0; ok && i < n; i++)
			ok = (unsigned char)r->reason[i] >= 0x20 && r->reason[i] != 0x7f;
		if (!ok) {
			diag_add(d, &r->loc, "rule %u: reason \"%.40s\" longer than %u bytes or with a control character",
				 r->id, r->reason, RS_MAX_REASON);
			rc = -EINVAL;
		}
	}
	if (r->msg != NULL && strnlen(r->msg, RS_MAX_MSG + 1) > RS_MAX_MSG) {
		diag_add(d, &r->loc, "rule %u: msg longer than %u bytes", r->id, RS_MAX_MSG);
		rc = -EINVAL;
	}
	if (r->n_cond == 0 || r->n_cond > RS_MAX_CONDS || r->cond == NULL) {
		diag_add(d, &r->loc, "rule %u: %u conditions, want 1 to %u", r->id, r->n_cond,
			 RS_MAX_CONDS);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < r->n_cond; i++)
		if (check_cond(c, r, &r->cond[i]) < 0)
			rc = -EINVAL;
	return rc;
}

static int cmp_id(const void *a, const void *b, void *ctx)
{
	const struct rs_rule *rules = ctx;
	uint32_t x = rules[*(const uint32_t *)a].id, y = rules[*(const uint32_t *)b].id;

	if (x != y)
		return x < y ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int check_ids(struct cc *c)
{
	const struct rs_rule *rules = c->ast->rules;
	uint32_t n = c->ast->n_rules;
	uint32_t *ix = malloc(sizeof(*ix) * (n ? n : 1));
	int rc = 0;

	if (ix == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_id, (void *)(uintptr_t)rules);
	for (uint32_t i = 1; i < n; i++) {
		const struct rs_rule *a = &rules[ix[i - 1]], *b = &rules[ix[i]];
		if (a->id == b->id) {
			diag_add(c->diag, &b->loc, "duplicate rule id %u (first at %s:%u)", b->id,
				 a->loc.file ? a->loc.file : "<rules>", a->loc.line);
			rc = -EINVAL;
		}
	}
	free(ix);
	return rc;
}

/* ---- slots and atoms ---- */

static uint32_t fnv32(const void *p, size_t len, uint32_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static bool slot_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct c_slot *a = &((const struct cc *)ctx)->slots[i], *b = key;

	if (a->field != b->field || a->hdr_id != b->hdr_id)
		return false;
	return b->field != RS_F_hdr || b->hdr_id != SIP_HDR_OTHER ||
	       (a->hdr_len == b->hdr_len && strncasecmp(a->hdr, b->hdr, a->hdr_len) == 0);
}

/* The slot of a condition's field, made on first use. Headers are one slot
 * per header: "hdr[m]", "hdr[Contact]" and "hdr[CONTACT]" are one. */
static int slot_of(struct cc *c, const struct rs_cond *cd, uint32_t *out)
{
	struct c_slot k = {.field = cd->field, .hdr_id = -1};

	k.hash = fnv32(&k.field, sizeof(k.field), 2166136261u);
	if (cd->field == RS_F_hdr) {
		k.hdr = cd->hdr;
		k.hdr_len = cd->hdr_len;
		k.hdr_id = sip_hdr_lookup(cd->hdr, cd->hdr_len);
		k.hash = fnv32(&k.hdr_id, sizeof(k.hdr_id), k.hash);
		if (k.hdr_id == SIP_HDR_OTHER)
			for (uint32_t i = 0; i < cd->hdr_len; i++) {
				char ch = cd->hdr[i] | (cd->hdr[i] >= 'A' && cd->hdr[i] <= 'Z' ? 0x20 : 0);
				k.hash = fnv32(&ch, 1, k.hash);
			}
	}
	uint32_t *e = htab_find(&c->slot_ix, k.hash, slot_eq, c, &k);
	if (*e != RS_NONE) {
		*out = *e;
		return 0;
	}
	if (c->n_slots >= UINT16_MAX)
		return -EFBIG;
	if (grow((void **)&c->slots, &c->cap_slots, c->n_slots, sizeof(*c->slots)) < 0)
		return -ENOMEM;
	c->slots[c->n_slots] = k;
	*e = *out = c->n_slots++;
	return 0;
}

static bool atom_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct c_atom *a = &((const struct cc *)ctx)->atoms[i], *b = key;

	return a->hash == b->hash && a->type == b->type && a->op == b->op && a->slot == b->slot &&
	       a->flags == b->flags && a->num == b->num && a->pat_len == b->pat_len &&
	       (a->pat_len == 0 || memcmp(a->pat, b->pat, a->pat_len) == 0) &&
	       a->n_cidr == b->n_cidr &&
	       (a->n_cidr == 0 || memcmp(a->cidr, b->cidr, sizeof(*a->cidr) * a->n_cidr) == 0);
}

/* The atom a condition tests: what kind of test, made on first use. */
static int atom_of(struct cc *c, const struct rs_cond *cd, uint32_t *out)
{
	struct c_atom k = {.op = cd->op, .first = cd};
	uint32_t slot;
	int rc = slot_of(c, cd, &slot);

	if (rc < 0)
		return rc;
	k.slot = (uint16_t)slot;
	switch (rs_field_kind((enum rs_field)cd->field)) {
	case RS_KIND_STR:
		if (cd->len) {
			k.type = RS_AT_LEN;
			k.num = cd->num;
		} else if (cd->op == RS_OP_EXISTS) {
			k.type = RS_AT_EXISTS;
		} else if (cd->pat_len == 0 && cd->op != RS_OP_REGEX) {
			/* "" is a prefix, suffix and part of every value; only
			 * == "" says something more than exists. */
			k.type = cd->op == RS_OP_EQ ? RS_AT_EMPTY : RS_AT_EXISTS;
		} else {
			/* a whole value is found by its hash, not scanned */
			k.type = cd->op == RS_OP_EQ ? RS_AT_LIT : RS_AT_SCAN;
			k.flags = cd->hs_flags & ~(unsigned)(HS_FLAG_SOM_LEFTMOST | HS_FLAG_SINGLEMATCH);
			k.pat = cd->pat;
			k.pat_len = cd->pat_len;
			k.min_width = cd->op == RS_OP_REGEX ? 0 : cd->pat_len; /* regex: check_regexes */
		}
		break;
	case RS_KIND_NUM:
		k.type = cd->op == RS_OP_EXISTS ? RS_AT_EXISTS : RS_AT_NUM;
		k.num = cd->op == RS_OP_EXISTS ? 0 : cd->num;
		break;
	default:
		k.type = cd->op == RS_OP_EXISTS ? RS_AT_EXISTS : RS_AT_CIDR;
		if (k.type == RS_AT_CIDR) {
			k.cidr = cd->cidr;
			k.n_cidr = cd->n_cidr;
		}
		break;
	}
	if (k.type != RS_AT_SCAN && k.type != RS_AT_NUM && k.type != RS_AT_LEN && k.type != RS_AT_LIT)
		k.op = k.type == RS_AT_CIDR ? RS_OP_CIDR : RS_OP_EXISTS;
	if (k.type == RS_AT_EMPTY)
		k.op = RS_OP_EQ;
	k.hash = fnv32(&k.type, 1, 2166136261u);
	k.hash = fnv32(&k.op, 1, k.hash);
	k.hash = fnv32(&k.slot, sizeof(k.slot), k.hash);
	k.hash = fnv32(&k.flags, sizeof(k.flags), k.hash);
	k.hash = fnv32(&k.num, sizeof(k.num), k.hash);
	k.hash = fnv32(k.pat ? k.pat : "", k.pat_len, k.hash);
	k.hash = fnv32(k.cidr ? (const void *)k.cidr : "", sizeof(*k.cidr) * k.n_cidr, k.hash);

	uint32_t *e = htab_find(&c->atom_ix, k.hash, atom_eq, c, &k);
	if (*e != RS_NONE) {
		*out = *e;
		return 0;
	}
	if (grow((void **)&c->atoms, &c->cap_atoms, c->n_atoms, sizeof(*c->atoms)) < 0)
		return -ENOMEM;
	c->atoms[c->n_atoms] = k;
	if (k.type == RS_AT_SCAN)
		c->slots[slot].n_scan++;
	if (k.type == RS_AT_CIDR)
		c->n_cidrs += k.n_cidr;
	*e = *out = c->n_atoms++;
	return 0;
}

/* How few messages an atom is likely to hold for: the trigger of a rule is
 * its most selective positive atom. A guess from the shape of the test;
 * 0: the atom cannot trigger (a number's != holds for nearly any value). */
static unsigned atom_score(const struct c_atom *a, uint16_t field)
{
	static const unsigned by_op[RS_OP__COUNT] = {
		[RS_OP_EQ] = 400, [RS_OP_PREFIX] = 300, [RS_OP_SUFFIX] = 250,
		[RS_OP_CONTAINS] = 200, [RS_OP_REGEX] = 100,
		[RS_OP_NUM_EQ] = 150, [RS_OP_LT] = 60, [RS_OP_LE] = 60, [RS_OP_GT] = 60,
		[RS_OP_GE] = 60,
	};

	switch (a->type) {
	case RS_AT_CIDR: {
		unsigned best = 0;
		for (uint32_t i = 0; i < a->n_cidr; i++) {
			unsigned s = a->cidr[i].af == 4 ? a->cidr[i].plen * 8u : a->cidr[i].plen * 2u;
			if (i == 0 || s < best)
				best = s; /* the widest prefix says how often */
		}
		return 50 + best;
	}
	case RS_AT_NUM:
	case RS_AT_LEN:
		return by_op[a->op];
	case RS_AT_EMPTY:
		return 45;
	case RS_AT_EXISTS:
		return 40;
	default: {
		unsigned s = by_op[a->op] + 2 * (a->pat_len > 64 ? 64 : a->pat_len);
		return field == RS_F_method ? s / 8 : s; /* a handful of methods */
	}
	}
}

static uint32_t pick_trigger(const struct cc *c, uint32_t src)
{
	const struct rs_rule *r = &c->ast->rules[src];
	uint32_t best = RS_NONE;
	unsigned best_s = 0;

	for (uint32_t i = 0; i < r->n_cond; i++) {
		const struct c_atom *a = &c->atoms[c->cond_atom[c->cond_base[src] + i]];
		unsigned s = r->cond[i].neg ? 0 : atom_score(a, r->cond[i].field);
		if (s > best_s) {
			best = i;
			best_s = s;
		}
	}
	return best;
}

static int cmp_rank(const void *a, const void *b, void *ctx)
{
	const struct rs_rule *rules = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (rules[x].prio != rules[y].prio)
		return rules[x].prio < rules[y].prio ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* ---- Hyperscan ---- */

/* A literal as a Hyperscan expression: every byte that is not a letter or a
 * digit as \xHH (NUL included), anchored for ^= and $= (== is not scanned:
 * a LIT atom). malloc'd. */
static char *literal_expr(const struct c_atom *a)
{
	char *e = malloc((size_t)a->pat_len * 4 + 8), *p = e;

	if (e == NULL)
		return NULL;
	if (a->op == RS_OP_PREFIX)
		p += sprintf(p, "\\A");
	for (uint32_t i = 0; i < a->pat_len; i++) {
		unsigned char ch = (unsigned char)a->pat[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
			*p++ = (char)ch;
		else
			p += sprintf(p, "\\x%02x", ch);
	}
	if (a->op == RS_OP_SUFFIX)
		p += sprintf(p, "\\z");
	*p = '\0';
	return e;
}

static char *atom_expr(const struct c_atom *a)
{
	if (a->op != RS_OP_REGEX)
		return literal_expr(a);
	char *e = malloc(a->pat_len + 1);
	if (e != NULL) {
		memcpy(e, a->pat, a->pat_len);
		e[a->pat_len] = '\0';
	}
	return e;
}

static void diag_cond(struct cc *c, const struct rs_rule *r, const struct rs_cond *cd,
		      const char *what)
{
	/* Hyperscan's messages end with a full stop; the diagnostic may be
	 * followed by more ("; nothing was pushed") */
	int wl = (int)strlen(what);

	if (wl > 0 && what[wl - 1] == '.')
		wl--;
	diag_add(c->diag, cd->pat_loc.line ? &cd->pat_loc : &cd->loc,
		 "rule %u: %s /%.*s/ refused by Hyperscan: %.*s", r->id,
		 cd->op == RS_OP_REGEX ? "regex" : "literal", (int)(cd->pat_len > 80 ? 80 : cd->pat_len),
		 cd->pat, wl, what);
}

/* The first rule that uses atom a (hs_compile_multi names an atom). */
static void diag_pattern(struct cc *c, const struct c_atom *a, const char *what)
{
	const struct rs_cond *cd = a->first;

	for (uint32_t i = 0; i < c->ast->n_rules; i++)
		if (cd >= c->ast->rules[i].cond && cd < c->ast->rules[i].cond + c->ast->rules[i].n_cond) {
			diag_cond(c, &c->ast->rules[i], cd, what);
			return;
		}
}

/* Every regex alone first, so that every bad one is reported, not only the
 * first of its field (hs_compile_multi names one at most), and its width
 * is known; then every condition that uses a bad one, in source order: the
 * same bad pattern in ten rules is ten errors. */
static int check_regexes(struct cc *c)
{
	int rc = 0;

	for (uint32_t i = 0; i < c->n_atoms; i++) {
		struct c_atom *a = &c->atoms[i];
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *err = NULL;

		if (a->type != RS_AT_SCAN || a->op != RS_OP_REGEX)
			continue;
		char *e = atom_expr(a);
		if (e == NULL)
			return -ENOMEM;
		if (hs_expression_info(e, a->flags | HS_FLAG_SINGLEMATCH, &info, &err) != HS_SUCCESS) {
			a->bad = strdup(err ? err->message : "unknown error");
			rc = a->bad ? -EINVAL : -ENOMEM;
		} else {
			a->min_width = info->min_width;
		}
		hs_free_compile_error(err);
		free(info);
		free(e);
		if (rc == -ENOMEM)
			return rc;
	}
	for (uint32_t i = 0, k = 0; rc < 0 && i < c->ast->n_rules; i++)
		for (uint32_t j = 0; j < c->ast->rules[i].n_cond; j++, k++)
			if (c->atoms[c->cond_atom[k]].bad)
				diag_cond(c, &c->ast->rules[i], &c->ast->rules[i].cond[j],
					  c->atoms[c->cond_atom[k]].bad);
	return rc;
}

/* One block-mode database with every scanned atom of slot s, serialized
 * into the slot. */
static int compile_slot(struct cc *c, uint32_t s)
{
	struct c_slot *sl = &c->slots[s];
	uint32_t n = 0;
	char **ex = calloc(sl->n_scan, sizeof(*ex));
	unsigned *fl = calloc(sl->n_scan, sizeof(*fl)), *ids = calloc(sl->n_scan, sizeof(*ids));
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	int rc = -ENOMEM;

	if (ex == NULL || fl == NULL || ids == NULL)
		goto out;
	for (uint32_t i = 0; i < c->n_atoms; i++) {
		const struct c_atom *a = &c->atoms[i];
		if (a->slot != s || a->type != RS_AT_SCAN || a->bad)
			continue;
		if ((ex[n] = atom_expr(a)) == NULL)
			goto out;
		/* One match per scan is all a yes/no needs. */
		fl[n] = a->flags | HS_FLAG_SINGLEMATCH;
		sl->min_width = n == 0 || a->min_width < sl->min_width ? a->min_width : sl->min_width;
		ids[n++] = i;
	}
	rc = 0;
	if (n == 0)
		goto out;
	hs_error_t he = hs_compile_multi((const char *const *)ex, fl, ids, n, HS_MODE_BLOCK, &c->plat,
					 &db, &err);
	if (he == HS_COMPILER_ERROR && err != NULL) {
		if (err->expression >= 0 && (uint32_t)err->expression < n) {
			diag_pattern(c, &c->atoms[ids[err->expression]], err->message);
		} else {
			const struct rs_cond *cd = c->atoms[ids[0]].first;
			diag_add(c->diag, &cd->loc, "field \"%s%s%.*s%s\": Hyperscan: %s",
				 rs_field_name((enum rs_field)sl->field), sl->hdr ? "[" : "",
				 (int)sl->hdr_len, sl->hdr ? sl->hdr : "", sl->hdr ? "]" : "",
				 err->message);
		}
		rc = -EINVAL;
		goto out;
	}
	if (he != HS_SUCCESS) {
		rc = he == HS_NOMEM ? -ENOMEM : -EINVAL;
		diag_add(c->diag, &c->atoms[ids[0]].first->loc, "Hyperscan compile failed (error %d)", he);
		goto out;
	}
	size_t dsz = 0;
	if (hs_database_size(db, &dsz) == HS_SUCCESS)
		c->db_bytes += dsz;
	if (hs_serialize_database(db, &sl->ser, &sl->ser_len) != HS_SUCCESS) {
		rc = -ENOMEM;
		goto out;
	}
out:
	hs_free_compile_error(err);
	hs_free_database(db);
	for (uint32_t i = 0; ex != NULL && i < n; i++)
		free(ex[i]);
	free(ex);
	free(fl);
	free(ids);
	return rc;
}

/* What one scratch for every database costs, for the stats: measured on
 * the databases as the dataplane will load them. */
static void measure_scratch(struct cc *c)
{
	hs_scratch_t *scr = NULL;

	for (uint32_t s = 0; s < c->n_slots; s++) {
		hs_database_t *db = NULL;
		if (c->slots[s].ser == NULL)
			continue;
		if (hs_deserialize_database(c->slots[s].ser, c->slots[s].ser_len, &db) == HS_SUCCESS)
			hs_alloc_scratch(db, &scr); /* fails for another CPU: no figure */
		hs_free_database(db);
	}
	size_t sz = 0;
	if (scr != NULL && hs_scratch_size(scr, &sz) == HS_SUCCESS)
		c->scratch_bytes = sz;
	hs_free_scratch(scr);
}

static int set_platform(struct cc *c, const struct rs_platform *t)
{
	if (t == NULL)
		return hs_populate_platform(&c->plat) == HS_SUCCESS ? 0 : -EINVAL;
	if ((t->cpu_features & ~(uint64_t)RS_KNOWN_FEATURES) || t->tune > HS_TUNE_FAMILY_ICX) {
		struct rs_loc l = {"<target>", 0, 0};
		diag_add(c->diag, &l, "target platform: cpu_features 0x%llx tune %u: not a platform Hyperscan %.16s can target",
			 (unsigned long long)t->cpu_features, t->tune, hs_version());
		return -EINVAL;
	}
	memset(&c->plat, 0, sizeof(c->plat));
	/* Each feature implies the ones below it: Hyperscan's loader only
	 * knows those combinations. */
	uint64_t f = t->cpu_features;
	if (f & HS_CPU_FEATURES_AVX512VBMI)
		f |= HS_CPU_FEATURES_AVX512;
	if (f & HS_CPU_FEATURES_AVX512)
		f |= HS_CPU_FEATURES_AVX2;
	c->plat.cpu_features = f;
	c->plat.tune = t->tune;
	return 0;
}

/* ---- the blob ---- */

static uint64_t align8(uint64_t x)
{
	return (x + 7) & ~(uint64_t)7;
}

static int write_rules(struct cc *c, struct rs_blob_rule *br, struct rs_blob_cond *bc)
{
	uint32_t nc = 0;

	for (uint32_t rank = 0; rank < c->ast->n_rules; rank++) {
		uint32_t src = c->order[rank];
		const struct rs_rule *r = &c->ast->rules[src];
		struct rs_blob_rule *o = &br[rank];
		int rc;

		o->id = r->id;
		o->prio = r->prio;
		o->action = r->action;
		o->shadow = r->shadow;
		o->code = r->action == RS_ACT_REJECT ? r->code : 0;
		o->ban_s = r->action == RS_ACT_BAN ? r->ban_s : 0;
		if ((rc = str_add(c, r->action == RS_ACT_REJECT ? r->reason : NULL,
				  r->reason ? strlen(r->reason) : 0, &o->reason)) < 0 ||
		    (rc = str_add(c, r->msg, r->msg ? strlen(r->msg) : 0, &o->msg)) < 0)
			return rc;
		o->cond = nc;
		o->n_cond = r->n_cond;
		o->trigger = pick_trigger(c, src);
		for (uint32_t i = 0; i < r->n_cond; i++, nc++) {
			bc[nc].atom = c->cond_atom[c->cond_base[src] + i];
			bc[nc].neg = r->cond[i].neg;
		}
	}
	return 0;
}

static void write_atoms(struct cc *c, unsigned char *b, const struct rs_blob_hdr *h)
{
	struct rs_blob_atom *ba = (void *)(b + h->sec[RS_SEC_ATOMS].off);
	struct rs_blob_cidr *bp = (void *)(b + h->sec[RS_SEC_CIDRS].off);
	uint32_t np = 0;

	for (uint32_t i = 0; i < c->n_atoms; i++) {
		const struct c_atom *a = &c->atoms[i];
		ba[i].type = a->type;
		ba[i].op = a->op;
		ba[i].slot = a->slot;
		ba[i].num = a->num;
		if (a->type == RS_AT_LIT) {
			ba[i].flags = a->flags;
			ba[i].lit = a->lit_off;
			ba[i].lit_len = a->pat_len;
		}
		for (uint32_t k = 0; k < a->n_cidr; k++, np++) {
			bp[np].atom = i;
			bp[np].af = a->cidr[k].af;
			bp[np].plen = a->cidr[k].plen;
			/* host bits are zero by rs.h's contract; make it so */
			rs_mask_addr(bp[np].a, a->cidr[k].a, a->cidr[k].plen);
		}
	}
}

/* Lays the blob out: header, the fixed-size sections, strings, databases. */
static int write_blob(struct cc *c, void **blob, size_t *len)
{
	struct rs_blob_hdr h = {.version = RS_BLOB_VERSION, .hdr_size = sizeof(h)};
	uint64_t sizes[RS_SEC__COUNT] = {
		[RS_SEC_RULES] = sizeof(struct rs_blob_rule) * (uint64_t)c->ast->n_rules,
		[RS_SEC_CONDS] = sizeof(struct rs_blob_cond) * (uint64_t)c->n_conds,
		[RS_SEC_ATOMS] = sizeof(struct rs_blob_atom) * (uint64_t)c->n_atoms,
		[RS_SEC_SLOTS] = sizeof(struct rs_blob_slot) * (uint64_t)c->n_slots,
		[RS_SEC_CIDRS] = sizeof(struct rs_blob_cidr) * (uint64_t)c->n_cidrs,
	};
	struct rs_blob_rule *br = NULL;
	struct rs_blob_cond *bc = NULL;
	int rc;

	/* Header names first: their offsets go into the slots. */
	uint32_t *hdr_off = calloc(c->n_slots + 1, sizeof(*hdr_off));
	if (hdr_off == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < c->n_slots; s++)
		if ((rc = str_add(c, c->slots[s].hdr, c->slots[s].hdr_len, &hdr_off[s])) < 0)
			goto out;
	for (uint32_t i = 0; i < c->n_atoms; i++)
		if (c->atoms[i].type == RS_AT_LIT &&
		    (rc = str_add(c, c->atoms[i].pat, c->atoms[i].pat_len, &c->atoms[i].lit_off)) < 0)
			goto out;
	for (uint32_t s = 0; s < c->n_slots; s++)
		sizes[RS_SEC_DBS] += align8(c->slots[s].ser_len);

	/* Rules add their strings: lay out only once they are written. */
	br = calloc(c->ast->n_rules + 1, sizeof(*br));
	bc = calloc(c->n_conds + 1, sizeof(*bc));
	if (br == NULL || bc == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = write_rules(c, br, bc)) < 0)
		goto out;
	sizes[RS_SEC_STRS] = c->n_strs;

	uint64_t off = align8(sizeof(h));
	for (unsigned i = 0; i < RS_SEC__COUNT; i++) {
		h.sec[i].off = off;
		h.sec[i].len = sizes[i];
		off = align8(off + sizes[i]);
	}
	unsigned char *b = calloc(1, off);
	if (b == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(b + h.sec[RS_SEC_RULES].off, br, sizes[RS_SEC_RULES]);
	memcpy(b + h.sec[RS_SEC_CONDS].off, bc, sizes[RS_SEC_CONDS]);
	write_atoms(c, b, &h);
	struct rs_blob_slot *bs = (void *)(b + h.sec[RS_SEC_SLOTS].off);
	uint64_t doff = 0;
	for (uint32_t s = 0; s < c->n_slots; s++) {
		bs[s].field = c->slots[s].field;
		bs[s].hdr = hdr_off[s];
		bs[s].db_off = doff;
		bs[s].db_len = c->slots[s].ser_len;
		bs[s].min_width = c->slots[s].ser_len ? c->slots[s].min_width : 0;
		if (c->slots[s].ser_len)
			memcpy(b + h.sec[RS_SEC_DBS].off + doff, c->slots[s].ser, c->slots[s].ser_len);
		doff += align8(c->slots[s].ser_len);
	}
	if (c->n_strs)
		memcpy(b + h.sec[RS_SEC_STRS].off, c->strs, c->n_strs);

	memcpy(h.magic, RS_BLOB_MAGIC, sizeof(h.magic));
	h.total_len = off;
	snprintf(h.hs_version, sizeof(h.hs_version), "%s", hs_version());
	h.cpu_features = c->plat.cpu_features;
	h.tune = c->plat.tune;
	memcpy(b, &h, sizeof(h));
	size_t ck = offsetof(struct rs_blob_hdr, hs_version);
	h.checksum = rs_fnv64(b + ck, off - ck);
	memcpy(b + offsetof(struct rs_blob_hdr, checksum), &h.checksum, sizeof(h.checksum));
	*blob = b;
	*len = off;
	rc = 0;
out:
	free(hdr_off);
	free(br);
	free(bc);
	return rc;
}

/* ---- the whole ---- */

static int build_atoms(struct cc *c)
{
	const struct rs_ast *ast = c->ast;
	int rc;

	for (uint32_t i = 0; i < ast->n_rules; i++) {
		if (c->n_conds + (uint64_t)ast->rules[i].n_cond > UINT32_MAX / 2)
			return -EFBIG;
		c->n_conds += ast->rules[i].n_cond;
	}
	c->cond_atom = malloc(sizeof(*c->cond_atom) * (c->n_conds + 1));
	c->cond_base = malloc(sizeof(*c->cond_base) * (ast->n_rules + 1));
	if (c->cond_atom == NULL || c->cond_base == NULL ||
	    htab_init(&c->slot_ix, c->n_conds + 1) < 0 || htab_init(&c->atom_ix, c->n_conds + 1) < 0)
		return -ENOMEM;
	for (uint32_t i = 0, k = 0; i < ast->n_rules; i++) {
		c->cond_base[i] = k;
		for (uint32_t j = 0; j < ast->rules[i].n_cond; j++, k++)
			if ((rc = atom_of(c, &ast->rules[i].cond[j], &c->cond_atom[k])) < 0)
				return rc;
	}
	c->order = malloc(sizeof(*c->order) * (ast->n_rules + 1));
	if (c->order == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < ast->n_rules; i++)
		c->order[i] = i;
	qsort_r(c->order, ast->n_rules, sizeof(*c->order), cmp_rank, (void *)(uintptr_t)ast->rules);
	return 0;
}

static void cc_free(struct cc *c)
{
	for (uint32_t s = 0; s < c->n_slots; s++)
		free(c->slots[s].ser); /* hs_misc_alloc is malloc: not replaced here */
	free(c->slots);
	for (uint32_t i = 0; i < c->n_atoms; i++)
		free(c->atoms[i].bad);
	free(c->atoms);
	free(c->slot_ix.v);
	free(c->atom_ix.v);
	free(c->cond_atom);
	free(c->cond_base);
	free(c->order);
	free(c->strs);
}

int rs_compile(const struct rs_ast *ast, const struct rs_platform *target, void **blob,
	       size_t *len, struct rs_diag *diag, struct rs_compile_stats *st)
{
	struct cc c = {.ast = ast, .diag = diag};
	struct timespec t0, t1;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (diag != NULL)
		diag->n = diag->n_more = 0;
	if (ast == NULL || blob == NULL || len == NULL || (ast->n_rules && ast->rules == NULL))
		return -EINVAL;
	*blob = NULL;
	*len = 0;
	if ((rc = set_platform(&c, target)) < 0)
		return rc;
	for (uint32_t i = 0; i < ast->n_rules; i++)
		if (check_rule(&c, &ast->rules[i]) < 0)
			rc = -EINVAL;
	if (rc == 0)
		rc = check_ids(&c);
	if (rc < 0)
		goto out;
	if ((rc = build_atoms(&c)) < 0)
		goto out;
	rc = check_regexes(&c);
	for (uint32_t s = 0; s < c.n_slots; s++) {
		int r2 = compile_slot(&c, s);
		if (r2 < 0 && (rc == 0 || r2 == -ENOMEM))
			rc = r2;
	}
	if (rc < 0)
		goto out;
	if ((rc = write_blob(&c, blob, len)) < 0)
		goto out;
	if (st != NULL) {
		measure_scratch(&c);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		memset(st, 0, sizeof(*st));
		st->n_rules = ast->n_rules;
		st->n_conds = c.n_conds;
		for (uint32_t s = 0; s < c.n_slots; s++) {
			st->n_patterns += c.slots[s].n_scan;
			st->n_dbs += c.slots[s].ser != NULL;
		}
		st->blob_bytes = *len;
		st->db_bytes = c.db_bytes;
		st->scratch_bytes = c.scratch_bytes;
		st->compile_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
				 (uint64_t)(t1.tv_nsec - t0.tv_nsec);
	}
out:
	if (rc == -EFBIG) {
		struct rs_loc l = {"<rules>", 0, 0};
		diag_add(diag, &l, "ruleset too large for one blob");
		rc = -EINVAL;
	}
	cc_free(&c);
	return rc;
}

int rs_platform_host(struct rs_platform *p)
{
	hs_platform_info_t pi;

	if (p == NULL || hs_populate_platform(&pi) != HS_SUCCESS)
		return -EINVAL;
	p->cpu_features = pi.cpu_features;
	p->tune = pi.tune;
	return 0;
}
