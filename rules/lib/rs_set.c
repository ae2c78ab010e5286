/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_set.c - a blob to a loaded set, and scratch (rs.h,
 * docs/rules-engine.md).
 *
 * A blob comes from another process over a socket: nothing in it is used
 * before it is checked. The header first (magic, format, length, checksum,
 * Hyperscan version, CPU features), then every section's bounds, then every
 * record (indices in range, enums known, strings terminated inside the
 * string table), then the databases through Hyperscan's own checks (its
 * version, platform and CRC). Only then are the evaluator's indexes built:
 * the rules each atom triggers, the rules with no trigger, the CIDR hash
 * tables, the literals and lengths of each slot, the header names and the
 * id index.
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rs_priv.h"

uint64_t rs_fnv64(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

const char *rs_features_str(uint64_t f, char *buf, size_t len)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{HS_CPU_FEATURES_AVX2, "AVX2"},
		{HS_CPU_FEATURES_AVX512, "AVX-512"},
		{HS_CPU_FEATURES_AVX512VBMI, "AVX-512 VBMI"},
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
					      names[i].name);
	if (f & ~(uint64_t)RS_KNOWN_FEATURES)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%sunknown bits 0x%llx",
				      n ? ", " : "",
				      (unsigned long long)(f & ~(uint64_t)RS_KNOWN_FEATURES));
	if (n == 0)
		snprintf(buf, len, "none");
	return buf;
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The version number of a Hyperscan version string ("5.4.0 2023-..."). */
static void version_num(const char *v, char *out, size_t len)
{
	size_t n = strcspn(v, " ");

	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), v);
}

/* ---- the header ---- */

static int check_header(const unsigned char *b, size_t len, uint64_t host, struct rs_blob_hdr *h,
			char *err, size_t errlen)
{
	if (b == NULL || len < sizeof(*h))
		return fail(err, errlen, -EINVAL, "rules blob: %zu bytes, shorter than its header (%zu)",
			    len, sizeof(*h));
	memcpy(h, b, sizeof(*h));
	if (memcmp(h->magic, RS_BLOB_MAGIC, sizeof(h->magic)) != 0)
		return fail(err, errlen, -EINVAL, "rules blob: bad magic (not a sipedge rules blob)");
	if (h->version != RS_BLOB_VERSION)
		return fail(err, errlen, -ENOTSUP, "rules blob: format version %u, this dataplane reads %u",
			    h->version, RS_BLOB_VERSION);
	if (h->hdr_size != sizeof(*h))
		return fail(err, errlen, -EINVAL, "rules blob: header size %u, want %zu", h->hdr_size,
			    sizeof(*h));
	if (h->total_len != len)
		return fail(err, errlen, -EINVAL, "rules blob: says %llu bytes, got %zu (truncated?)",
			    (unsigned long long)h->total_len, len);
	size_t ck = offsetof(struct rs_blob_hdr, hs_version);
	uint64_t sum = rs_fnv64(b + ck, len - ck);
	if (sum != h->checksum)
		return fail(err, errlen, -EINVAL, "rules blob: checksum 0x%016llx, computed 0x%016llx (corrupt)",
			    (unsigned long long)h->checksum, (unsigned long long)sum);

	char theirs[64], ours[64];
	if (memchr(h->hs_version, '\0', sizeof(h->hs_version)) == NULL)
		return fail(err, errlen, -EINVAL, "rules blob: Hyperscan version not terminated");
	version_num(h->hs_version, theirs, sizeof(theirs));
	version_num(hs_version(), ours, sizeof(ours));
	if (strcmp(theirs, ours) != 0)
		return fail(err, errlen, -ENOTSUP, "rules blob: compiled by Hyperscan %s, this is %s",
			    theirs, ours);

	char fb[96], hb[96];
	uint64_t missing = h->cpu_features & ~host;
	if (missing)
		return fail(err, errlen, -ENOTSUP,
			    "rules blob: compiled for %s (cpu_features 0x%llx), this CPU has %s%s",
			    rs_features_str(h->cpu_features, fb, sizeof(fb)),
			    (unsigned long long)h->cpu_features,
			    host ? rs_features_str(host, hb, sizeof(hb)) : "none of them",
			    host ? " only" : "");

	for (unsigned i = 0; i < RS_SEC__COUNT; i++) {
		const struct rs_blob_sec *s = &h->sec[i];
		if (s->off < sizeof(*h) || s->off > len || s->len > len - s->off || (s->off & 7))
			return fail(err, errlen, -EINVAL,
				    "rules blob: section %u [%llu, +%llu) outside the blob (%zu bytes)", i,
				    (unsigned long long)s->off, (unsigned long long)s->len, len);
	}
	return 0;
}

/* ---- records ---- */

struct ld {
	const unsigned char *b;
	const struct rs_blob_hdr *h;
	struct rs_set *s;
	char *err;
	size_t errlen;
};

/* Number of records of size sz in section i, or -1 (not a whole number, or
 * more than the evaluator's 32-bit indices hold). */
static int64_t sec_count(const struct ld *l, unsigned i, size_t sz)
{
	uint64_t n = l->h->sec[i].len;

	if (n % sz != 0 || n / sz >= UINT32_MAX / 4)
		return -1;
	return (int64_t)(n / sz);
}

static const void *sec_at(const struct ld *l, unsigned i, size_t sz, uint32_t k)
{
	return l->b + l->h->sec[i].off + (uint64_t)sz * k;
}

/* A string of the string table: NULL for RS_NOSTR, or *bad set when off is
 * outside it or its NUL is missing. */
static const char *str_at(const struct ld *l, uint32_t off, bool *bad)
{
	if (off == RS_NOSTR)
		return NULL;
	if (off >= l->s->strs_len || memchr(l->s->strs + off, '\0', l->s->strs_len - off) == NULL) {
		*bad = true;
		return NULL;
	}
	return l->s->strs + off;
}

static int load_db(struct ld *l, uint32_t i, const struct rs_blob_slot *bs)
{
	const struct rs_blob_sec *dbs = &l->h->sec[RS_SEC_DBS];
	const char *fname = rs_field_name((enum rs_field)bs->field);

	if (bs->db_off > dbs->len || bs->db_len > dbs->len - bs->db_off)
		return fail(l->err, l->errlen, -EINVAL, "rules blob: database of field %s outside its section",
			    fname);
	const char *p = (const char *)l->b + dbs->off + bs->db_off;
	hs_error_t he = hs_deserialize_database(p, bs->db_len, &l->s->slots[i].db);
	if (he == HS_SUCCESS)
		return 0;
	l->s->slots[i].db = NULL;
	if (he == HS_DB_VERSION_ERROR || he == HS_DB_PLATFORM_ERROR) {
		/* Hyperscan's own header: version (major<<24|minor<<16|patch<<8)
		 * at 4, the platform's "lacks" bits at 12. */
		uint32_t v = 0;
		uint64_t plat = 0;
		if (bs->db_len >= 20) {
			memcpy(&v, p + 4, 4);
			memcpy(&plat, p + 12, 8);
		}
		char ours[64];
		version_num(hs_version(), ours, sizeof(ours));
		if (he == HS_DB_VERSION_ERROR)
			return fail(l->err, l->errlen, -ENOTSUP,
				    "rules blob: database of field %s built by Hyperscan %u.%u.%u, this is %s",
				    fname, v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, ours);
		/* the platform word says what the target lacked (Hyperscan's
		 * database.h: NOAVX2 4<<13, NOAVX512 8<<13, NOAVX512VBMI 16<<13) */
		uint64_t f = RS_KNOWN_FEATURES;
		if (plat & (4u << 13))
			f &= ~(uint64_t)HS_CPU_FEATURES_AVX2;
		if (plat & (8u << 13))
			f &= ~(uint64_t)HS_CPU_FEATURES_AVX512;
		if (plat & (16u << 13))
			f &= ~(uint64_t)HS_CPU_FEATURES_AVX512VBMI;
		char fb[96];
		return fail(l->err, l->errlen, -ENOTSUP,
			    "rules blob: database of field %s built for %s (platform 0x%llx): Hyperscan here cannot run it",
			    fname, rs_features_str(f, fb, sizeof(fb)), (unsigned long long)plat);
	}
	return fail(l->err, l->errlen, he == HS_NOMEM ? -ENOMEM : -EINVAL,
		    "rules blob: database of field %s refused by Hyperscan (error %d)", fname, he);
}

static int load_slots(struct ld *l)
{
	struct rs_set *s = l->s;

	for (unsigned f = 0; f < RS_F__COUNT; f++)
		s->fslot[f] = -1;
	for (unsigned k = 0; k < SIP_HDR__COUNT; k++)
		s->hdr_slot[k] = -1;
	for (uint32_t i = 0; i < s->n_slots; i++) {
		struct rs_blob_slot bs;
		bool bad = false;
		struct rs_rt_slot *sl = &s->slots[i];

		memcpy(&bs, sec_at(l, RS_SEC_SLOTS, sizeof(bs), i), sizeof(bs));
		if (rs_field_kind((enum rs_field)bs.field) == 0)
			return fail(l->err, l->errlen, -EINVAL, "rules blob: slot %u: field %u unknown", i,
				    bs.field);
		sl->field = bs.field;
		sl->hdr_id = -1;
		sl->hdr = str_at(l, bs.hdr, &bad);
		if (bad || (bs.field == RS_F_hdr) != (sl->hdr != NULL) ||
		    (sl->hdr && (strlen(sl->hdr) == 0 || strlen(sl->hdr) > RS_MAX_HDR_NAME)))
			return fail(l->err, l->errlen, -EINVAL, "rules blob: slot %u: bad header name", i);
		if (bs.field == RS_F_hdr) {
			sl->hdr_len = (uint32_t)strlen(sl->hdr);
			sl->hdr_id = (int16_t)sip_hdr_lookup(sl->hdr, sl->hdr_len);
			if (sl->hdr_id != SIP_HDR_OTHER) {
				if (s->hdr_slot[sl->hdr_id] >= 0)
					return fail(l->err, l->errlen, -EINVAL,
						    "rules blob: header \"%s\" in two slots", sl->hdr);
				s->hdr_slot[sl->hdr_id] = (int32_t)i;
			} else {
				s->n_other_slots++;
			}
			s->n_hdr_slots++;
		} else {
			if (s->fslot[bs.field] >= 0)
				return fail(l->err, l->errlen, -EINVAL, "rules blob: field %s in two slots",
					    rs_field_name((enum rs_field)bs.field));
			s->fslot[bs.field] = (int32_t)i;
		}
		if (bs.db_len && rs_field_kind((enum rs_field)bs.field) != RS_KIND_STR)
			return fail(l->err, l->errlen, -EINVAL, "rules blob: a database for field %s",
				    rs_field_name((enum rs_field)bs.field));
		if ((bs.db_len == 0 && bs.min_width != 0) || bs.reserved || bs.reserved2)
			return fail(l->err, l->errlen, -EINVAL,
				    "rules blob: slot %u: min_width %u without a database, or reserved bits set",
				    i, bs.min_width);
		sl->min_width = bs.min_width;
		int rc = bs.db_len ? load_db(l, i, &bs) : 0;
		if (rc < 0)
			return rc;
	}
	s->any_hdr = s->n_hdr_slots > 0;
	return 0;
}

static uint32_t name_hash(const char *p, uint32_t len)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)(p[i] | (p[i] >= 'A' && p[i] <= 'Z' ? 0x20 : 0))) * 16777619u;
	return h;
}

/* Headers the parser does not know, found by name in a hash table. */
static int index_other(struct rs_set *s)
{
	uint32_t sz = 8;

	while (sz < s->n_other_slots * 2)
		sz <<= 1;
	s->other = malloc(sizeof(*s->other) * sz);
	if (s->other == NULL)
		return -ENOMEM;
	s->other_mask = sz - 1;
	for (uint32_t i = 0; i < sz; i++)
		s->other[i].slot = RS_NONE;
	for (uint32_t i = 0; i < s->n_slots; i++) {
		const struct rs_rt_slot *sl = &s->slots[i];
		if (sl->field != RS_F_hdr || sl->hdr_id != SIP_HDR_OTHER)
			continue;
		uint32_t k = name_hash(sl->hdr, sl->hdr_len) & s->other_mask;
		for (; s->other[k].slot != RS_NONE; k = (k + 1) & s->other_mask) {
			const struct rs_rt_slot *o = &s->slots[s->other[k].slot];
			if (o->hdr_len == sl->hdr_len && strncasecmp(o->hdr, sl->hdr, sl->hdr_len) == 0)
				return -EINVAL;
		}
		s->other[k].slot = i;
		s->other_lens[sl->hdr_len >> 6] |= 1ULL << (sl->hdr_len & 63);
	}
	return 0;
}

int32_t rs_other_slot(const struct rs_set *s, const char *name, uint32_t len)
{
	for (uint32_t k = name_hash(name, len) & s->other_mask; s->other[k].slot != RS_NONE;
	     k = (k + 1) & s->other_mask) {
		const struct rs_rt_slot *o = &s->slots[s->other[k].slot];
		if (o->hdr_len == len && strncasecmp(o->hdr, name, len) == 0)
			return (int32_t)s->other[k].slot;
	}
	return -1;
}

static int load_atoms(struct ld *l)
{
	struct rs_set *s = l->s;

	for (uint32_t i = 0; i < s->n_atoms; i++) {
		struct rs_blob_atom ba;
		memcpy(&ba, sec_at(l, RS_SEC_ATOMS, sizeof(ba), i), sizeof(ba));
		bool ok = ba.slot < s->n_slots && (ba.type == RS_AT_LIT || (ba.flags | ba.lit | ba.lit_len) == 0);
		enum rs_kind k = ok ? rs_field_kind((enum rs_field)s->slots[ba.slot].field) : 0;
		switch (ba.type) {
		case RS_AT_SCAN:
			ok = ok && k == RS_KIND_STR && s->slots[ba.slot].db != NULL;
			break;
		case RS_AT_LIT: /* bytes inside the strings, a NUL after them */
			ok = ok && k == RS_KIND_STR && ba.op == RS_OP_EQ && ba.lit_len > 0 &&
			     !(ba.flags & ~(uint32_t)HS_FLAG_CASELESS) && ba.lit < s->strs_len &&
			     ba.lit_len < s->strs_len - ba.lit && s->strs[ba.lit + ba.lit_len] == '\0';
			break;
		case RS_AT_LEN:
			ok = ok && k == RS_KIND_STR && ba.op >= RS_OP_LT && ba.op <= RS_OP_NUM_NE;
			break;
		case RS_AT_EMPTY:
			ok = ok && k == RS_KIND_STR;
			break;
		case RS_AT_NUM:
			ok = ok && k == RS_KIND_NUM && ba.op >= RS_OP_LT && ba.op <= RS_OP_NUM_NE;
			break;
		case RS_AT_CIDR:
			ok = ok && k == RS_KIND_ADDR;
			break;
		case RS_AT_EXISTS:
			break;
		default:
			ok = false;
		}
		if (!ok)
			return fail(l->err, l->errlen, -EINVAL, "rules blob: atom %u: type %u op %u slot %u invalid",
				    i, ba.type, ba.op, ba.slot);
		s->atoms[i] = (struct rs_rt_atom){.type = ba.type, .op = ba.op, .slot = ba.slot,
						  .num = ba.num};
	}
	for (uint32_t i = 0; i < s->n_conds; i++) {
		struct rs_blob_cond bc;
		memcpy(&bc, sec_at(l, RS_SEC_CONDS, sizeof(bc), i), sizeof(bc));
		if (bc.atom >= s->n_atoms || bc.neg > 1)
			return fail(l->err, l->errlen, -EINVAL, "rules blob: condition %u: atom %u of %u", i,
				    bc.atom, s->n_atoms);
		s->conds[i].atom = bc.atom;
		s->conds[i].neg = bc.neg;
	}
	return 0;
}

static int check_rule(struct ld *l, uint32_t i, const struct rs_blob_rule *br)
{
	struct rs_set *s = l->s;
	bool bad = false;
	const char *reason = str_at(l, br->reason, &bad), *msg = str_at(l, br->msg, &bad);

	if (bad)
		return fail(l->err, l->errlen, -EINVAL, "rules blob: rule %u: string outside the table", br->id);
	if (br->id == 0 || br->action == RS_ACT_NONE || br->action >= RS_ACT__COUNT || br->shadow > 1 ||
	    (br->action == RS_ACT_REJECT && (br->code < 400 || br->code > 699)) ||
	    (br->action == RS_ACT_BAN && (br->ban_s < 1 || br->ban_s > RS_MAX_BAN_S)) ||
	    (i > 0 && br->prio < s->info[i - 1].prio))
		return fail(l->err, l->errlen, -EINVAL, "rules blob: rule %u (rank %u): bad action, code, ban time or rank",
			    br->id, i);
	if (reason != NULL) {
		/* it goes into a status line: no CR, LF or other control */
		size_t n = strlen(reason);
		bool ok = n <= RS_MAX_REASON;
		for (size_t k = 0; ok && k < n; k++)
			ok = (unsigned char)reason[k] >= 0x20 && reason[k] != 0x7f;
		if (!ok)
			return fail(l->err, l->errlen, -EINVAL, "rules blob: rule %u: bad reason phrase", br->id);
	}
	if (msg != NULL && strlen(msg) > RS_MAX_MSG)
		return fail(l->err, l->errlen, -EINVAL, "rules blob: rule %u: msg too long", br->id);
	if (br->n_cond == 0 || br->n_cond > RS_MAX_CONDS || br->cond > s->n_conds ||
	    br->n_cond > s->n_conds - br->cond)
		return fail(l->err, l->errlen, -EINVAL, "rules blob: rule %u: conditions [%u, +%u) of %u",
			    br->id, br->cond, br->n_cond, s->n_conds);
	if (br->trigger != RS_NONE) {
		const struct rs_rt_cond *c = br->trigger < br->n_cond ? &s->conds[br->cond + br->trigger] : NULL;
		const struct rs_rt_atom *a = c ? &s->atoms[c->atom] : NULL;
		if (c == NULL || c->neg ||
		    ((a->type == RS_AT_NUM || a->type == RS_AT_LEN) && a->op == RS_OP_NUM_NE))
			return fail(l->err, l->errlen, -EINVAL, "rules blob: rule %u: bad trigger %u", br->id,
				    br->trigger);
	}
	s->rules[i] = (struct rs_rt_rule){.cond = br->cond, .n_cond = br->n_cond,
					  .action = br->action, .shadow = br->shadow};
	s->info[i] = (struct rs_rule_info){.id = br->id, .prio = br->prio, .action = br->action,
					   .shadow = br->shadow, .code = br->code,
					   .ban_s = br->ban_s, .reason = reason, .msg = msg};
	return 0;
}

/* The exists and == "" atoms that trigger rules: tested once per message
 * after the fields are taken. */
static int index_presence(struct rs_set *s)
{
	uint32_t n = 0;

	for (uint32_t a = 0; a < s->n_atoms; a++)
		n += s->atoms[a].n_trig && (s->atoms[a].type == RS_AT_EXISTS || s->atoms[a].type == RS_AT_EMPTY);
	s->pres = calloc(n + 1, sizeof(*s->pres));
	if (s->pres == NULL)
		return -ENOMEM;
	for (uint32_t a = 0; a < s->n_atoms; a++) {
		const struct rs_rt_atom *at = &s->atoms[a];
		if (at->n_trig && (at->type == RS_AT_EXISTS || at->type == RS_AT_EMPTY))
			s->pres[s->n_pres++] = (struct rs_pres){at->slot, a, at->type == RS_AT_EMPTY};
	}
	return 0;
}

static int cmp_num(const void *x, const void *y)
{
	const struct rs_num_ent *a = x, *b = y;

	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return a->atom < b->atom ? -1 : a->atom > b->atom;
}

static int num_class(uint8_t op)
{
	switch (op) {
	case RS_OP_LT:
		return RS_NUM_LT;
	case RS_OP_LE:
		return RS_NUM_LE;
	case RS_OP_GT:
		return RS_NUM_GT;
	case RS_OP_GE:
		return RS_NUM_GE;
	case RS_OP_NUM_EQ:
		return RS_NUM_EQ;
	default:
		return -1;
	}
}

/* The atoms of one slot of this type (those that trigger a rule only, with
 * trig_only), per operator, sorted by bound into x. Returns how many (0: x
 * left empty), or -ENOMEM. */
static int64_t fill_idx(struct rs_set *s, struct rs_num_idx *x, uint32_t slot, uint8_t type,
			bool trig_only)
{
	uint32_t cnt[RS_NUM__COUNT] = {0}, fill[RS_NUM__COUNT] = {0}, n = 0;

	for (uint32_t a = 0; a < s->n_atoms; a++) {
		const struct rs_rt_atom *at = &s->atoms[a];
		int k = num_class(at->op);
		if ((at->n_trig || !trig_only) && at->type == type && at->slot == slot && k >= 0)
			cnt[k]++, n++;
	}
	if (n == 0)
		return 0;
	x->ent = calloc(n, sizeof(*x->ent));
	if (x->ent == NULL)
		return -ENOMEM;
	for (int k = 0; k < RS_NUM__COUNT; k++)
		x->off[k + 1] = x->off[k] + cnt[k];
	for (uint32_t a = 0; a < s->n_atoms; a++) {
		const struct rs_rt_atom *at = &s->atoms[a];
		int k = num_class(at->op);
		if ((at->n_trig || !trig_only) && at->type == type && at->slot == slot && k >= 0)
			x->ent[x->off[k] + fill[k]++] = (struct rs_num_ent){at->num, a};
	}
	for (int k = 0; k < RS_NUM__COUNT; k++)
		qsort(x->ent + x->off[k], cnt[k], sizeof(*x->ent), cmp_num);
	/* v < k holds up to k - 1, v <= k up to k; v > k from k + 1, v >= k
	 * from k (a bound at the end of int64 that can never hold is left
	 * out) */
	x->lo = INT64_MIN;
	x->hi = INT64_MAX;
	x->eq_lo = INT64_MAX;
	x->eq_hi = INT64_MIN;
	for (uint32_t i = 0; i < n; i++) {
		int64_t k = x->ent[i].k;
		if (i < x->off[RS_NUM_LE])
			x->lo = k > INT64_MIN && k - 1 > x->lo ? k - 1 : x->lo;
		else if (i < x->off[RS_NUM_GT])
			x->lo = k > x->lo ? k : x->lo;
		else if (i < x->off[RS_NUM_GE])
			x->hi = k < INT64_MAX && k + 1 < x->hi ? k + 1 : x->hi;
		else if (i < x->off[RS_NUM_EQ])
			x->hi = k < x->hi ? k : x->hi;
		else
			x->eq_lo = k < x->eq_lo ? k : x->eq_lo, x->eq_hi = k > x->eq_hi ? k : x->eq_hi;
	}
	return n;
}

/* Number atoms that trigger rules, per field and operator, sorted: the ones
 * a value makes hold are found by binary search, not by trying each.
 * Length atoms, all of them but != (which min and max answer), per slot:
 * each value of the slot marks those it makes hold. */
static int index_numbers(struct rs_set *s)
{
	int64_t n;

	for (unsigned f = RS_F__NONE + 1; f < RS_F__COUNT; f++) {
		if (rs_field_kind((enum rs_field)f) != RS_KIND_NUM || s->fslot[f] < 0)
			continue;
		if ((n = fill_idx(s, &s->num[s->n_num], (uint32_t)s->fslot[f], RS_AT_NUM, true)) < 0)
			return (int)n;
		if (n > 0)
			s->num[s->n_num++].field = (uint16_t)f;
	}
	s->lens = calloc(s->n_slots + 1, sizeof(*s->lens));
	if (s->lens == NULL)
		return -ENOMEM;
	for (uint32_t a = 0; a < s->n_atoms; a++)
		if (s->atoms[a].type == RS_AT_LEN && s->atoms[a].op == RS_OP_NUM_NE)
			s->slots[s->atoms[a].slot].len_ne = true;
	for (uint32_t i = 0; i < s->n_slots; i++) {
		if ((n = fill_idx(s, &s->lens[s->n_lens], i, RS_AT_LEN, false)) < 0)
			return (int)n;
		if (n > 0) {
			s->lens[s->n_lens].field = (uint16_t)i;
			s->slots[i].lens = &s->lens[s->n_lens++];
		}
	}
	return 0;
}

/* The == literals of each slot in a hash table: a value is hashed once
 * (when a literal of its length exists) and compared with what is there. */
static int index_lits(struct ld *l)
{
	struct rs_set *s = l->s;
	uint32_t *cnt = calloc(s->n_slots + 1, sizeof(*cnt));

	s->lits = calloc(s->n_slots + 1, sizeof(*s->lits));
	if (cnt == NULL || s->lits == NULL) {
		free(cnt);
		return -ENOMEM;
	}
	for (uint32_t a = 0; a < s->n_atoms; a++)
		cnt[s->atoms[a].slot] += s->atoms[a].type == RS_AT_LIT;
	for (uint32_t i = 0; i < s->n_slots; i++) {
		struct rs_lit_tab *t = &s->lits[s->n_lits];
		uint32_t sz = 8;
		if (cnt[i] == 0)
			continue;
		while (sz < cnt[i] * 2)
			sz <<= 1;
		if ((t->ent = calloc(sz, sizeof(*t->ent))) == NULL) {
			free(cnt);
			return -ENOMEM;
		}
		t->mask = sz - 1;
		s->slots[i].lits = t;
		cnt[i] = s->n_lits++; /* from now on: the slot's table */
	}
	for (uint32_t a = 0; a < s->n_atoms; a++) {
		struct rs_blob_atom ba;
		if (s->atoms[a].type != RS_AT_LIT)
			continue;
		memcpy(&ba, sec_at(l, RS_SEC_ATOMS, sizeof(ba), a), sizeof(ba));
		struct rs_lit_tab *t = &s->lits[cnt[ba.slot]];
		const char *p = s->strs + ba.lit;
		uint32_t h = rs_lit_hash(p, ba.lit_len), k = h & t->mask;
		while (t->ent[k].used)
			k = (k + 1) & t->mask;
		t->ent[k] = (struct rs_lit_ent){.p = p, .len = ba.lit_len, .atom = a, .h = h,
						.caseless = (ba.flags & HS_FLAG_CASELESS) != 0,
						.used = true};
		if (ba.lit_len < 256)
			t->lens[ba.lit_len >> 6] |= 1ULL << (ba.lit_len & 63);
		else
			t->long_lit = true;
	}
	free(cnt);
	return 0;
}

static int cmp_by_id(const void *a, const void *b, void *ctx)
{
	const struct rs_rule_info *info = ctx;
	uint32_t x = info[*(const uint32_t *)a].id, y = info[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

/* Rules, the id index and the trigger lists (per atom, in rank order). */
static int load_rules(struct ld *l)
{
	struct rs_set *s = l->s;
	uint32_t *trig = calloc(s->n_rules + 1, sizeof(*trig));
	int rc = 0;

	if (trig == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n_rules && rc == 0; i++) {
		struct rs_blob_rule br;
		memcpy(&br, sec_at(l, RS_SEC_RULES, sizeof(br), i), sizeof(br));
		if ((rc = check_rule(l, i, &br)) == 0) /* trigger in range */
			trig[i] = br.trigger == RS_NONE ? RS_NONE : s->conds[br.cond + br.trigger].atom;
	}
	for (uint32_t i = 0; i < s->n_rules; i++)
		s->by_id[i] = i;
	qsort_r(s->by_id, s->n_rules, sizeof(*s->by_id), cmp_by_id, s->info);
	for (uint32_t i = 1; rc == 0 && i < s->n_rules; i++)
		if (s->info[s->by_id[i]].id == s->info[s->by_id[i - 1]].id)
			rc = fail(l->err, l->errlen, -EINVAL, "rules blob: rule id %u twice",
				  s->info[s->by_id[i]].id);
	if (rc < 0)
		goto out;

	/* Counting sort: each atom's rules contiguous, ranks ascending. */
	for (uint32_t i = 0; i < s->n_rules; i++) {
		if (trig[i] == RS_NONE)
			s->always[s->n_always++] = i;
		else
			s->atoms[trig[i]].n_trig++;
	}
	uint32_t off = 0;
	for (uint32_t a = 0; a < s->n_atoms; a++) {
		s->atoms[a].trig = off;
		off += s->atoms[a].n_trig;
		s->atoms[a].n_trig = 0;
	}
	for (uint32_t i = 0; i < s->n_rules; i++)
		if (trig[i] != RS_NONE) {
			struct rs_rt_atom *a = &s->atoms[trig[i]];
			s->trig_rules[a->trig + a->n_trig++] = i;
		}
	/* A database none of whose patterns triggers a rule waits until a
	 * candidate needs it (method ~ /^INV/ beside a number prefix). */
	for (uint32_t i = 0; i < s->n_slots; i++)
		s->slots[i].lazy = s->slots[i].db != NULL;
	for (uint32_t a = 0; a < s->n_atoms; a++)
		if (s->atoms[a].type == RS_AT_SCAN && s->atoms[a].n_trig)
			s->slots[s->atoms[a].slot].lazy = false;
	/* A string slot's figures (how many values, an empty one, the
	 * lengths) are read by its exists, == "" and len() atoms and by a lazy
	 * scan only: a slot with none has its values scanned and looked up,
	 * not counted. */
	for (uint32_t i = 0; i < s->n_slots; i++)
		s->slots[i].counted = s->slots[i].lazy;
	for (uint32_t a = 0; a < s->n_atoms; a++)
		if (s->atoms[a].type == RS_AT_EXISTS || s->atoms[a].type == RS_AT_EMPTY ||
		    s->atoms[a].type == RS_AT_LEN)
			s->slots[s->atoms[a].slot].counted = true;
	rc = index_presence(s);
	if (rc == 0)
		rc = index_numbers(s);
out:
	free(trig);
	return rc;
}

/* ---- CIDR tables ---- */

struct pfx {
	uint8_t lz, fi, ai, plen; /* lz: of an atom that triggers no rule */
	uint8_t a[16];
	uint32_t atom;
};

static int cmp_pfx(const void *x, const void *y)
{
	const struct pfx *a = x, *b = y;

	if (a->lz != b->lz)
		return a->lz < b->lz ? -1 : 1;
	if (a->fi != b->fi)
		return a->fi < b->fi ? -1 : 1;
	if (a->ai != b->ai)
		return a->ai < b->ai ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1; /* longest first */
	int c = memcmp(a->a, b->a, 16);
	if (c != 0)
		return c;
	return a->atom < b->atom ? -1 : a->atom > b->atom;
}

static bool same_prefix(const struct pfx *a, const struct pfx *b)
{
	return a->lz == b->lz && a->fi == b->fi && a->ai == b->ai && a->plen == b->plen &&
	       memcmp(a->a, b->a, 16) == 0;
}

/* One table: prefixes p[0..n) of one field and family, sorted. */
static int build_tab(struct rs_set *s, struct rs_cidr_tab *t, const struct pfx *p, uint32_t n,
		     uint32_t *na)
{
	uint32_t distinct = 0, sz = 8;

	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || !same_prefix(&p[i - 1], &p[i])) {
			distinct++;
			if (i == 0 || p[i - 1].plen != p[i].plen) {
				t->len[t->n_plen].plen = p[i].plen;
				rs_plen_mask(p[i].plen, t->len[t->n_plen++].m);
			}
		}
	while (sz < distinct * 2)
		sz <<= 1;
	t->ent = calloc(sz, sizeof(*t->ent));
	if (t->ent == NULL)
		return -ENOMEM;
	t->mask = sz - 1;
	if (p[0].ai == 0) { /* IPv4: at most 33 lengths, a bit each */
		t->by_octet = calloc(256, sizeof(*t->by_octet));
		if (t->by_octet == NULL)
			return -ENOMEM;
	}
	for (uint32_t i = 0, k = 0; t->by_octet != NULL && i < n; i++) {
		while (t->len[k].plen != p[i].plen) /* both longest first */
			k++;
		/* the first bytes of the prefix's addresses: one, or a run
		 * when it is shorter than 8 bits */
		uint32_t span = p[i].plen >= 8 ? 1u : 1u << (8 - p[i].plen);
		for (uint32_t b = p[i].a[0]; b < p[i].a[0] + span; b++)
			t->by_octet[b] |= 1ull << k;
	}
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i, k;
		for (; j < n && same_prefix(&p[i], &p[j]); j++)
			if (j == i || p[j].atom != p[j - 1].atom)
				s->cidr_atoms[(*na)++] = p[j].atom;
		uint64_t a[2];
		memcpy(a, p[i].a, 16);
		uint32_t h = rs_cidr_hash(p[i].plen, a);
		t->bloom[h >> 26] |= 1ull << ((h >> 20) & 63);
		for (k = h & t->mask; t->ent[k].used; k = (k + 1) & t->mask)
			;
		struct rs_cidr_ent *e = &t->ent[k];
		e->used = 1;
		e->plen = p[i].plen;
		e->a[0] = a[0];
		e->a[1] = a[1];
		uint32_t cnt = 0;
		for (uint32_t x = i; x < j; x++)
			cnt += x == i || p[x].atom != p[x - 1].atom;
		e->atom = *na - cnt;
		e->n_atom = cnt;
		i = j;
	}
	return 0;
}

static int load_cidrs(struct ld *l, uint32_t n)
{
	struct rs_set *s = l->s;
	struct pfx *p = calloc(n + 1, sizeof(*p));
	uint32_t na = 0;
	int rc = 0;

	s->cidr_atoms = calloc(n + 1, sizeof(*s->cidr_atoms));
	if (p == NULL || s->cidr_atoms == NULL) {
		free(p);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rs_blob_cidr bc;
		memcpy(&bc, sec_at(l, RS_SEC_CIDRS, sizeof(bc), i), sizeof(bc));
		if (bc.atom >= s->n_atoms || s->atoms[bc.atom].type != RS_AT_CIDR ||
		    (bc.af != 4 && bc.af != 6) || bc.plen > (bc.af == 4 ? 32 : 128)) {
			rc = fail(l->err, l->errlen, -EINVAL, "rules blob: prefix %u: atom %u family %u length %u",
				  i, bc.atom, bc.af, bc.plen);
			goto out;
		}
		p[i].lz = s->atoms[bc.atom].n_trig == 0;
		p[i].fi = s->slots[s->atoms[bc.atom].slot].field == RS_F_dst;
		p[i].ai = bc.af == 6;
		p[i].plen = bc.plen;
		p[i].atom = bc.atom;
		rs_mask_addr(p[i].a, bc.a, bc.plen);
	}
	qsort(p, n, sizeof(*p), cmp_pfx);
	for (uint32_t i = 0; i < n && rc == 0;) {
		uint32_t j = i;
		while (j < n && p[j].lz == p[i].lz && p[j].fi == p[i].fi && p[j].ai == p[i].ai)
			j++;
		rc = build_tab(s, &s->cidr[p[i].lz][p[i].fi][p[i].ai], p + i, j - i, &na);
		i = j;
	}
out:
	free(p);
	return rc;
}

/* ---- the whole ---- */

static int alloc_set(struct ld *l, uint32_t n_rules, uint32_t n_conds)
{
	struct rs_set *s = l->s;

	s->n_rules = n_rules;
	s->n_conds = n_conds;
	s->rules = calloc(n_rules + 1, sizeof(*s->rules));
	s->info = calloc(n_rules + 1, sizeof(*s->info));
	s->by_id = calloc(n_rules + 1, sizeof(*s->by_id));
	s->always = calloc(n_rules + 1, sizeof(*s->always));
	s->trig_rules = calloc(n_rules + 1, sizeof(*s->trig_rules));
	s->conds = calloc(n_conds + 1, sizeof(*s->conds));
	s->atoms = calloc(s->n_atoms + 1, sizeof(*s->atoms));
	s->slots = calloc(s->n_slots + 1, sizeof(*s->slots));
	s->strs_len = l->h->sec[RS_SEC_STRS].len;
	s->strs = malloc(s->strs_len + 1);
	if (!s->rules || !s->info || !s->by_id || !s->always || !s->trig_rules || !s->conds ||
	    !s->atoms || !s->slots || !s->strs)
		return -ENOMEM;
	memcpy(s->strs, l->b + l->h->sec[RS_SEC_STRS].off, s->strs_len);
	s->strs[s->strs_len] = '\0'; /* str_at still wants a NUL inside */
	return 0;
}

int rs_set_load_as(const void *blob, size_t len, uint64_t host_features, struct rs_set **out,
		   char *err, size_t errlen)
{
	struct rs_blob_hdr h;
	struct ld l = {.b = blob, .h = &h, .err = err, .errlen = errlen};
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if ((rc = check_header(blob, len, host_features, &h, err, errlen)) < 0)
		return rc;
	int64_t nr = sec_count(&l, RS_SEC_RULES, sizeof(struct rs_blob_rule));
	int64_t nc = sec_count(&l, RS_SEC_CONDS, sizeof(struct rs_blob_cond));
	int64_t na = sec_count(&l, RS_SEC_ATOMS, sizeof(struct rs_blob_atom));
	int64_t ns = sec_count(&l, RS_SEC_SLOTS, sizeof(struct rs_blob_slot));
	int64_t np = sec_count(&l, RS_SEC_CIDRS, sizeof(struct rs_blob_cidr));
	if (nr < 0 || nc < 0 || na < 0 || ns < 0 || np < 0 || ns > UINT16_MAX)
		return fail(err, errlen, -EINVAL, "rules blob: a section is not a whole number of records");

	l.s = calloc(1, sizeof(*l.s));
	if (l.s == NULL)
		return -ENOMEM;
	l.s->n_atoms = (uint32_t)na;
	l.s->n_slots = (uint32_t)ns;
	l.s->cpu_features = h.cpu_features;
	l.s->tune = h.tune;
	if ((rc = alloc_set(&l, (uint32_t)nr, (uint32_t)nc)) < 0 || (rc = load_slots(&l)) < 0 ||
	    (rc = load_atoms(&l)) < 0 || (rc = load_rules(&l)) < 0 ||
	    (rc = load_cidrs(&l, (uint32_t)np)) < 0 || (rc = index_lits(&l)) < 0)
		goto fail;
	if ((rc = index_other(l.s)) < 0) {
		fail(err, errlen, rc, "rules blob: a header name in two slots");
		goto fail;
	}
	*out = l.s;
	return 0;
fail:
	if (rc == -ENOMEM)
		fail(err, errlen, rc, "rules blob: out of memory");
	rs_set_free(l.s);
	return rc;
}

int rs_set_load(const void *blob, size_t len, struct rs_set **out, char *err, size_t errlen)
{
	hs_platform_info_t pi;

	if (hs_populate_platform(&pi) != HS_SUCCESS)
		return fail(err, errlen, -ENOTSUP, "Hyperscan cannot tell this CPU's features");
	return rs_set_load_as(blob, len, pi.cpu_features, out, err, errlen);
}

void rs_set_free(struct rs_set *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; s->slots && i < s->n_slots; i++)
		hs_free_database(s->slots[i].db);
	for (unsigned z = 0; z < 2; z++)
		for (unsigned f = 0; f < 2; f++)
			for (unsigned a = 0; a < 2; a++) {
				free(s->cidr[z][f][a].ent);
				free(s->cidr[z][f][a].by_octet);
			}
	free(s->rules);
	free(s->info);
	free(s->by_id);
	free(s->always);
	free(s->pres);
	for (uint32_t i = 0; i < s->n_num; i++)
		free(s->num[i].ent);
	for (uint32_t i = 0; s->lens && i < s->n_lens; i++)
		free(s->lens[i].ent);
	free(s->lens);
	for (uint32_t i = 0; s->lits && i < s->n_lits; i++)
		free(s->lits[i].ent);
	free(s->lits);
	free(s->trig_rules);
	free(s->conds);
	free(s->atoms);
	free(s->slots);
	free(s->cidr_atoms);
	free(s->other);
	free(s->strs);
	free(s);
}

uint32_t rs_set_n_rules(const struct rs_set *s)
{
	return s ? s->n_rules : 0;
}

void rs_set_rule(const struct rs_set *s, uint32_t i, struct rs_rule_info *out)
{
	if (s == NULL || i >= s->n_rules)
		memset(out, 0, sizeof(*out));
	else
		*out = s->info[i];
}

int64_t rs_set_find(const struct rs_set *s, uint32_t id)
{
	uint32_t lo = 0, hi = s ? s->n_rules : 0;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, mid_id = s->info[s->by_id[mid]].id;
		if (mid_id == id)
			return s->by_id[mid];
		if (mid_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ---- scratch ---- */

static int grow_arr(void **p, uint32_t have, uint32_t want, size_t elem)
{
	if (want <= have && *p != NULL)
		return 0;
	void *q = realloc(*p, elem * (want + 1));
	if (q == NULL)
		return -ENOMEM;
	/* zero: a mark of 0 is "not this message" (epochs start at 1) */
	memset((char *)q + elem * have, 0, elem * (want + 1 - have));
	*p = q;
	return 0;
}

int rs_scratch_alloc(const struct rs_set *s, struct rs_scratch **sc)
{
	struct rs_scratch *x;

	if (s == NULL || sc == NULL)
		return -EINVAL;
	x = *sc ? *sc : calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	bool grew_a = s->n_atoms > x->cap_atoms || x->atom_mark == NULL;
	if (grow_arr((void **)&x->atom_mark, x->cap_atoms, s->n_atoms, sizeof(*x->atom_mark)) < 0 ||
	    grow_arr((void **)&x->matched, x->cap_atoms, s->n_atoms, sizeof(*x->matched)) < 0 ||
	    grow_arr((void **)&x->hold, x->cap_rules, s->n_rules, sizeof(*x->hold)) < 0 ||
	    grow_arr((void **)&x->st, x->cap_slots, s->n_slots, sizeof(*x->st)) < 0)
		goto nomem;
	if (grew_a)
		x->cap_atoms = s->n_atoms;
	if (s->n_rules > x->cap_rules)
		x->cap_rules = s->n_rules;
	if (s->n_slots > x->cap_slots)
		x->cap_slots = s->n_slots;
	for (uint32_t i = 0; i < s->n_slots; i++)
		if (s->slots[i].db != NULL && hs_alloc_scratch(s->slots[i].db, &x->hs) != HS_SUCCESS)
			goto nomem;
	*sc = x;
	return 0;
nomem:
	if (*sc == NULL)
		rs_scratch_free(x);
	return -ENOMEM;
}

void rs_scratch_free(struct rs_scratch *sc)
{
	if (sc == NULL)
		return;
	hs_free_scratch(sc->hs);
	free(sc->atom_mark);
	free(sc->matched);
	free(sc->hold);
	free(sc->st);
	free(sc);
}
