/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_eval.c - one message through a loaded set (rs.h, docs/rules-engine.md).
 *
 * Three steps, none of which walks the rules:
 *   1. every field the set names is taken from the message, value by value,
 *      and each value of a scanned field goes through its Hyperscan
 *      database, unless it is shorter than any of its patterns can match;
 *      the match callback marks the atom that matched (an epoch stamp, so
 *      that nothing is cleared between messages) and lists it; a value
 *      marks the == literals it is (a hash probe, when a literal has its
 *      length) and the len() bounds its length passes the same way;
 *      the source and destination addresses go through the CIDR tables,
 *      one hash probe per prefix length, marking their atoms the same way
 *      (the prefixes of atoms that trigger no rule only when a candidate
 *      first reads one),
 *      and so do the number atoms that hold (a binary search per operator)
 *      and the exists atoms of the fields present;
 *   2. the candidates are the rules triggered by a listed atom plus the
 *      rules that have no trigger (only negations and !=); each
 *      is tested condition by condition against the marks and the fields'
 *      values;
 *   3. among the candidates that hold, the lowest-ranked live deciding rule
 *      decides; count rules ranked ahead of it and shadow rules are
 *      counted.
 * A rule is triggered by at most one atom and an atom is listed at most
 * once a message, so a candidate is never tested twice. A field whose
 * patterns trigger no rule (method == "INVITE" beside a number prefix) is
 * counted in step 1 but scanned only when a candidate first needs it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "rs_priv.h"

/* extract_str walks from first[id] to the end: an absent header's must be
 * past every index */
_Static_assert(SIP_HDR_NONE >= SIP_HDRS_MAX_HARD, "SIP_HDR_NONE is an index");

struct ev {
	const struct rs_set *s;
	struct rs_scratch *sc;
	const struct sip_msg *m;
	uint32_t epoch;
	int32_t only; /* >= 0: scanning this lazy slot, nothing else */
	int err;      /* a lazy scan failed */
	struct rs_scan_rec *rec; /* rs_eval_scans: record, do not scan */
	const struct rs_addr *src, *dst; /* for cidr_lazy */
	uint32_t n_rec, max_rec;
};

/* Slot i's figures in this message, zero when it has none (read). */
static inline const struct rs_slot_state *st_get(const struct ev *e, uint32_t i)
{
	static const struct rs_slot_state none;
	const struct rs_slot_state *st = &e->sc->st[i];

	return st->epoch == e->epoch ? st : &none;
}

/* Slot i's figures in this message, zeroed on the first write. */
static inline struct rs_slot_state *st_touch(struct ev *e, uint32_t i)
{
	struct rs_slot_state *st = &e->sc->st[i];

	if (st->epoch != e->epoch)
		*st = (struct rs_slot_state){.epoch = e->epoch};
	return st;
}

static inline void mark(struct ev *e, uint32_t a)
{
	if (e->sc->atom_mark[a] != e->epoch) {
		e->sc->atom_mark[a] = e->epoch;
		e->sc->matched[e->sc->n_matched++] = a;
	}
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct ev *e = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (id < e->s->n_atoms) /* ids are atoms; a bad one is ignored */
		mark(e, id);
	return 0;
}

/* First entry of e[0..n) with k >= v (strict: k > v). */
static uint32_t bound(const struct rs_num_ent *e, uint32_t n, int64_t v, bool strict)
{
	uint32_t lo = 0;

	while (n > 0) {
		uint32_t half = n / 2;
		if (strict ? e[lo + half].k <= v : e[lo + half].k < v) {
			lo += half + 1;
			n -= half + 1;
		} else {
			n = half;
		}
	}
	return lo;
}

static void mark_range(struct ev *e, const struct rs_num_ent *x, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		mark(e, x[i].atom);
}

/* The atoms of index x that hold for value v: per operator, the range of
 * bounds v satisfies. */
static __attribute__((noinline)) void mark_bounds_hit(struct ev *e, const struct rs_num_idx *x,
						      int64_t v)
{
	const struct rs_num_ent *lt = x->ent + x->off[RS_NUM_LT], *le = x->ent + x->off[RS_NUM_LE];
	const struct rs_num_ent *gt = x->ent + x->off[RS_NUM_GT], *ge = x->ent + x->off[RS_NUM_GE];
	const struct rs_num_ent *eq = x->ent + x->off[RS_NUM_EQ];
	uint32_t nlt = x->off[RS_NUM_LT + 1] - x->off[RS_NUM_LT];
	uint32_t nle = x->off[RS_NUM_LE + 1] - x->off[RS_NUM_LE];
	uint32_t ngt = x->off[RS_NUM_GT + 1] - x->off[RS_NUM_GT];
	uint32_t nge = x->off[RS_NUM_GE + 1] - x->off[RS_NUM_GE];
	uint32_t neq = x->off[RS_NUM_EQ + 1] - x->off[RS_NUM_EQ];

	/* the ends first: mostly no bound holds, and then no search */
	if (nlt && v < lt[nlt - 1].k) /* v < k */
		mark_range(e, lt, bound(lt, nlt, v, true), nlt);
	if (nle && v <= le[nle - 1].k) /* v <= k */
		mark_range(e, le, bound(le, nle, v, false), nle);
	if (ngt && v > gt[0].k) /* v > k */
		mark_range(e, gt, 0, bound(gt, ngt, v, false));
	if (nge && v >= ge[0].k) /* v >= k */
		mark_range(e, ge, 0, bound(ge, nge, v, true));
	if (neq && v >= eq[0].k && v <= eq[neq - 1].k)
		mark_range(e, eq, bound(eq, neq, v, false), bound(eq, neq, v, true));
}

/* Mostly no bound holds for a value: four compares say so, inline. */
static inline void mark_bounds(struct ev *e, const struct rs_num_idx *x, int64_t v)
{
	if (v <= x->lo || v >= x->hi || (v >= x->eq_lo && v <= x->eq_hi))
		mark_bounds_hit(e, x, v);
}

/* a[0..n) and b[0..n) alike but for the case of ASCII letters: what
 * Hyperscan's CASELESS does outside UTF-8 mode. */
static bool same_caseless(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z'))
			return false;
	}
	return true;
}

/* The == literals of t that value p[0..len) is, marked (e not NULL), and
 * how many: one hash, and only when a literal has its length. */
static inline unsigned mark_lits(struct ev *e, const struct rs_lit_tab *t, const char *p,
				 uint32_t len)
{
	unsigned n = 0;

	if (len < 256 ? !((t->lens[len >> 6] >> (len & 63)) & 1) : !t->long_lit)
		return 0;
	uint32_t h = rs_lit_hash(p, len);
	for (uint32_t k = h & t->mask; t->ent[k].used; k = (k + 1) & t->mask) {
		const struct rs_lit_ent *x = &t->ent[k];
		if (x->h == h && x->len == len &&
		    (x->caseless ? same_caseless(x->p, p, len) : memcmp(x->p, p, len) == 0)) {
			if (e != NULL)
				mark(e, x->atom);
			n++;
		}
	}
	return n;
}

unsigned rs_lit_lookup(const struct rs_lit_tab *t, const char *p, uint32_t len)
{
	return t != NULL ? mark_lits(NULL, t, p, len) : 0;
}

/* What a value of slot i tells without a scan: counted (when an atom
 * reads the count), its length, its literals. */
static inline void count(struct ev *e, const struct rs_rt_slot *sl, uint32_t i, const char *p,
			 uint32_t len)
{
	if (sl->counted) {
		struct rs_slot_state *st = st_touch(e, i);
		if (__builtin_expect(sl->len_ne, 0)) {
			st->len_min = st->n_val == 0 || len < st->len_min ? len : st->len_min;
			st->len_max = st->n_val == 0 || len > st->len_max ? len : st->len_max;
		}
		st->n_val++;
		st->empty |= len == 0;
	}
	if (sl->lens != NULL)
		mark_bounds(e, sl->lens, len);
	if (sl->lits != NULL)
		mark_lits(e, sl->lits, p, len);
}

/* One value of slot i: counted, and scanned when the slot has a database
 * and the value is not too short for all of it. */
static int put_val(struct ev *e, uint32_t i, const char *p, uint32_t len)
{
	const struct rs_rt_slot *sl = &e->s->slots[i];
	hs_database_t *db = sl->db;

	if (__builtin_expect(e->only >= 0, 0)) { /* the lazy pass: counted before */
		if ((int32_t)i != e->only)
			return 0;
	} else {
		count(e, sl, i, p ? p : "", len);
		if (__builtin_expect(e->rec != NULL, 0) && sl->lits != NULL) {
			if (e->n_rec < e->max_rec)
				e->rec[e->n_rec] = (struct rs_scan_rec){NULL, sl->lits, p ? p : "", len};
			e->n_rec++;
		}
		if (db == NULL || (sl->lazy && e->rec == NULL))
			return 0;
	}
	if (len < sl->min_width) /* no pattern of db matches so few bytes */
		return 0;
	if (__builtin_expect(e->rec != NULL, 0)) {
		if (e->n_rec < e->max_rec)
			e->rec[e->n_rec] = (struct rs_scan_rec){db, NULL, p ? p : "", len};
		e->n_rec++;
		return 0;
	}
	return hs_scan(db, p ? p : "", len, 0, e->sc->hs, on_match, e) == HS_SUCCESS ? 0 : -EIO;
}

/* A value of slot i, nothing when i < 0 (most fields a message has are
 * named by no rule: the test stays in the caller). */
static inline int put(struct ev *e, int32_t i, const char *p, uint32_t len)
{
	return i >= 0 ? put_val(e, (uint32_t)i, p, len) : 0;
}

static inline int put_str(struct ev *e, int32_t i, struct sip_str v)
{
	return v.p != NULL ? put(e, i, v.p, v.len) : 0;
}

static inline void put_num(struct ev *e, int32_t i, bool present, int64_t v)
{
	if (i >= 0 && present) {
		struct rs_slot_state *st = st_touch(e, (uint32_t)i);
		st->n_val = 1;
		st->num = v;
	}
}

/* The slot of field f, or -1. The lazy pass gets every slot too: put_val
 * lets only the one being scanned through (testing e->only here cost a
 * load after every hs_scan, for a pass that is rare). */
static inline int32_t fslot(const struct ev *e, enum rs_field f)
{
	return e->s->fslot[f];
}

/* The first byte c or d in [p, e), or NULL, as memchr finds c: inline,
 * 16 bytes a step while they lie before lim (the end of the message, which
 * follows every value a header gives), then a byte at a time. memchr's call
 * and set-up cost as much as its search of a URI or a user part. */
static inline const char *find_byte2(const char *p, const char *e, const char *lim, char c, char d)
{
#if defined(__SSE2__)
	const __m128i k = _mm_set1_epi8(c), l = _mm_set1_epi8(d);

	for (; p < e && lim - p >= 16; p += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned b = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(x, k), _mm_cmpeq_epi8(x, l)));
		if (b != 0)
			return p + __builtin_ctz(b) < e ? p + __builtin_ctz(b) : NULL;
	}
#else
	(void)lim;
#endif
	for (; p < e; p++)
		if (*p == c || *p == d)
			return p;
	return NULL;
}

/* The first byte c in [p, e), or NULL (the compiler folds the second
 * compare into the first). */
static inline const char *find_byte(const char *p, const char *e, const char *lim, char c)
{
	return find_byte2(p, e, lim, c, c);
}

/* Whether a byte c lies in [p, e): from e back, 16 bytes a step while they
 * lie after p, where the '>' of a name-addr mostly is (last, or before a
 * short tag). */
static inline bool has_byte_back(const char *p, const char *e, char c)
{
#if defined(__SSE2__)
	const __m128i k = _mm_set1_epi8(c);

	for (; e - p >= 16; e -= 16)
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)(e - 16)), k)) != 0)
			return true;
#endif
	for (; e > p; e--)
		if (e[-1] == c)
			return true;
	return false;
}

/* The length of a "sip:" or "sips:" (any case) that p[0..len) starts
 * with, or 0: one load and compare instead of a byte at a time. */
static inline uint32_t sip_scheme(const char *p, uint32_t len)
{
	uint32_t w;

	if (len < 4)
		return 0;
	memcpy(&w, p, 4);
	if ((w | 0x00202020u) == 0x3a706973u) /* "sip:", the letters folded */
		return 4;
	return len >= 5 && (w | 0x20202020u) == 0x73706973u && p[4] == ':' ? 5 : 0;
}

/* The user part of a URI: for sip: and sips:, the userinfo before '@'
 * without its ":password" (as sip_parse_uri takes it, but without checking
 * the host, port and parameters after it: a fifth of rs_eval's time went
 * there, and a rule on the user has no use for them); for tel:, the number
 * (sip_parse_uri: short, no host). Absent when there is none. lim: the end
 * of the message the URI lies in. */
static inline __attribute__((always_inline)) struct sip_str uri_user(struct sip_str uri,
								     const char *lim)
{
	struct sip_str none = {NULL, 0};
	const char *p = uri.p, *e = uri.p + uri.len;
	uint32_t sl = sip_scheme(p, uri.len);

	if (sl != 0) {
		const char *q = p + sl, *at = find_byte(q, e, lim, '@');
		if (at == NULL || at == q)
			return none;
		const char *ue = find_byte(q, at, lim, ':');
		return (struct sip_str){q, (uint32_t)((ue ? ue : at) - q)};
	}
	if (uri.len >= 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p')
		return none; /* "sipx:", "sips" without ":": no user, as before */
	struct sip_uri u;
	if (sip_parse_uri(uri.p, uri.len, &u) < 0 || u.user.p == NULL)
		return none;
	return u.user;
}

static inline bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_lws(const char *p, const char *e)
{
	while (p < e && is_lws(*p))
		p++;
	return p;
}

/* The closing quote of the quoted string that opens at p: the first one
 * after an even run of backslashes (quoted pairs), found by find_byte, not
 * byte by byte; NULL when there is none before e. */
static const char *closing_quote(const char *p, const char *e, const char *lim)
{
	const char *q = p + 1, *b;

	for (;; q++) {
		if ((q = find_byte(q, e, lim, '"')) == NULL)
			return NULL;
		for (b = q; b[-1] == '\\'; b--) /* stops at the opening quote */
			;
		if (((q - b) & 1) == 0)
			return q;
	}
}

/* A name-addr or addr-spec (RFC 3261 20.10) cut into display name and URI
 * the way sip_parse_nameaddr cuts it, without checking the parameters that
 * follow (a third of what the fields cost went there, and only the tag is
 * read from them: hdr[...] sees the raw value); na->params is what follows
 * the address, unchecked. lim: the end of the message v lies in. Returns
 * 0, or -1 when it is neither. */
static inline __attribute__((always_inline)) int nameaddr(struct sip_str v, const char *lim,
							   struct sip_nameaddr *na)
{
	const char *p = v.p, *e = v.p + v.len;

	na->display = na->uri = na->params = (struct sip_str){NULL, 0};
	na->display_quoted = na->star = false;
	if (p == NULL || (p = skip_lws(p, e)) == e)
		return -1;
	if (*p == '*') /* Contact: * */
		return (na->star = skip_lws(p + 1, e) == e) ? 0 : -1;
	if (*p == '"') {
		const char *q = closing_quote(p, e, lim);
		if (q == NULL)
			return -1;
		na->display = (struct sip_str){p + 1, (uint32_t)(q - p - 1)};
		na->display_quoted = true;
		if ((p = skip_lws(q + 1, e)) == e || *p != '<')
			return -1;
	} else {
		/* tokens and LWS up to a '<': a display name; else an addr-spec */
		const char *r = p, *de;
		while (r < e && (rs_is_tchar((unsigned char)*r) || is_lws(*r)))
			r++;
		if (r < e && *r == '<') {
			for (de = r; de > p && is_lws(de[-1]); de--)
				;
			na->display = (struct sip_str){p, (uint32_t)(de - p)};
			p = r;
		}
	}
	const char *u = p, *ue;
	if (*p == '<') {
		u = p + 1;
		if ((ue = find_byte(u, e, lim, '>')) == NULL || ue == u)
			return -1;
	} else {
		for (ue = u; ue < e && *ue != ';' && !is_lws(*ue); ue++)
			;
	}
	na->uri = (struct sip_str){u, (uint32_t)(ue - u)};
	p = ue + (*p == '<'); /* past the '>' of a name-addr */
	na->params = (struct sip_str){p, (uint32_t)(e - p)};
	/* a URI starts with its scheme: ALPHA *(ALPHA / DIGIT / + - .) ":" */
	if (sip_scheme(u, (uint32_t)(ue - u)) != 0) /* most */
		return 0;
	const char *s = u;
	if (s == ue || !((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
		return -1;
	while (s < ue && ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z' ? true : (*s >= '0' && *s <= '9') ||
				  *s == '+' || *s == '-' || *s == '.'))
		s++;
	return s < ue && *s == ':' ? 0 : -1;
}

/* The slots of the fields one name-addr header gives (-1: not named). */
struct na_slots {
	int32_t uri, user, disp, tag;
};

/* The URI, user, display name and tag of one name-addr value. A value that
 * does not parse has none of them (rules on the raw text use hdr[...]). */
static int put_nameaddr(struct ev *e, struct sip_str v, const struct na_slots *sl)
{
	const char *lim = e->m->buf + e->m->len; /* v lies inside the message */
	struct sip_nameaddr na;
	struct sip_str tag;
	int rc;

	if (nameaddr(v, lim, &na) < 0)
		return 0;
	if (na.star)
		return put(e, sl->uri, "*", 1);
	if ((rc = put_str(e, sl->uri, na.uri)) < 0)
		return rc;
	if ((na.display_quoted || na.display.len > 0) && (rc = put_str(e, sl->disp, na.display)) < 0)
		return rc;
	/* the first tag parameter, LWS around ; and = allowed (RFC 3261 25.1) */
	if (sl->tag >= 0 && sip_param_find(na.params, "tag", 3, &tag) == 1 &&
	    (rc = put_str(e, sl->tag, tag)) < 0)
		return rc;
	return sl->user >= 0 ? put_str(e, sl->user, uri_user(na.uri, lim)) : 0;
}

/* The user part of name-addr v the long way: cut whole, then its URI's. */
static __attribute__((noinline)) struct sip_str nameaddr_user_cut(struct sip_str v, const char *lim)
{
	struct sip_nameaddr na;

	return nameaddr(v, lim, &na) < 0 || na.star ? (struct sip_str){NULL, 0}
						    : uri_user(na.uri, lim);
}

/* The user part of name-addr v, when a rule names nothing else of it:
 * what nameaddr and uri_user give, in fewer passes for a sip:/sips: URI in
 * <> (most): the first '@' or '>' after the scheme (a '>' first: no user),
 * then any '>' after the '@' (else it is no name-addr), from the end of v
 * where it mostly lies. Other forms are cut whole (nameaddr_user_cut). */
static __attribute__((noinline)) struct sip_str nameaddr_user(struct sip_str v, const char *lim)
{
	const struct sip_str none = {NULL, 0};
	const char *p = v.p, *e = v.p + v.len;

	if (p != NULL && (p = skip_lws(p, e)) < e && *p == '"') {
		const char *q = closing_quote(p, e, lim);
		if (q == NULL || (p = skip_lws(q + 1, e)) == e || *p != '<')
			return none;
	}
	uint32_t sl;
	if (p == NULL || p == e || *p != '<' || (sl = sip_scheme(p + 1, (uint32_t)(e - p - 1))) == 0)
		return nameaddr_user_cut(v, lim);
	/* the scheme holds no '>': the URI's first '@' or '>' is the first after it */
	const char *q = p + 1 + sl, *at = find_byte2(q, e, lim, '@', '>');
	if (at == NULL || *at == '>' || at == q || !has_byte_back(at + 1, e, '>'))
		return none;
	const char *ue = find_byte(q, at, lim, ':');
	return (struct sip_str){q, (uint32_t)((ue ? ue : at) - q)};
}

/* The values of a name-addr header other than From's and To's user
 * alone: every Contact value, From and To parsed whole. */
static inline int put_addr_vals(struct ev *e, const struct sip_msg *m, enum sip_hdr_id id,
				const struct na_slots *sl)
{
	if (id != SIP_HDR_CONTACT) { /* From, To: one value */
		int i = sip_hdr_first(m, id);
		return i < 0 ? 0 : put_nameaddr(e, sip_hdr_value(m, (unsigned)i), sl);
	}
	struct sip_iter it;
	struct sip_str v;
	int rc;
	sip_iter_init(&it);
	while (sip_value_next(m, id, &it, &v) == 1)
		if ((rc = put_nameaddr(e, v, sl)) < 0)
			return rc;
	return 0;
}

/* A name-addr header's fields, nothing when no rule names one (the slots
 * are -1: all negative when their AND is). From's or To's user alone, what
 * most sets name, stays inline. */
static inline __attribute__((always_inline)) int put_addr_hdr(struct ev *e,
							       const struct sip_msg *m,
							       enum sip_hdr_id id, enum rs_field f,
							       enum rs_field fuser,
							       enum rs_field fdisp,
							       enum rs_field ftag)
{
	struct na_slots sl = {fslot(e, f), fslot(e, fuser), fslot(e, fdisp),
			      ftag != RS_F__NONE ? fslot(e, ftag) : -1};

	if ((sl.uri & sl.user & sl.disp & sl.tag) < 0)
		return 0;
	if (id != SIP_HDR_CONTACT && (sl.uri & sl.disp & sl.tag) < 0) {
		unsigned i = m->first[id];
		return i == SIP_HDR_NONE
			       ? 0
			       : put_str(e, sl.user,
					 nameaddr_user(sip_hdr_value(m, i), m->buf + m->len));
	}
	return put_addr_vals(e, m, id, &sl);
}

/* The slot of header h when the parser does not know its name, or -1:
 * hashed by name only when some rule names a header of its name's
 * length. */
static inline int32_t other_slot(const struct rs_set *s, const struct sip_msg *m,
				 const struct sip_hdr *h)
{
	if (!((s->other_lens[h->name_len >> 6] >> (h->name_len & 63)) & 1))
		return -1;
	return rs_other_slot(s, m->buf + h->name_off, h->name_len);
}

/* Every occurrence of every header the set names, in one pass. Most
 * headers are named by no rule: when the set names only headers the
 * parser does not know (X-...), the pass starts at the first of those
 * (first[OTHER]; none in most messages) and a header costs a test of its
 * id; else a known one costs a load of its slot (hdr_slot[OTHER] is -1,
 * so an unknown one is told apart only then). */
static int put_hdrs(struct ev *e, const struct sip_msg *m)
{
	const struct rs_set *s = e->s;
	const struct sip_hdr *h = m->hdrs, *end = h + m->nhdrs;
	int32_t slot;
	int rc;

	if (s->n_hdr_slots == s->n_other_slots) {
		if (m->first[SIP_HDR_OTHER] >= m->nhdrs) /* SIP_HDR_NONE */
			return 0;
		for (h += m->first[SIP_HDR_OTHER]; h < end; h++)
			if (h->id == SIP_HDR_OTHER && (slot = other_slot(s, m, h)) >= 0 &&
			    (rc = put_val(e, (uint32_t)slot, m->buf + h->value_off, h->value_len)) < 0)
				return rc;
		return 0;
	}
	for (; h < end; h++) {
		slot = h->id < SIP_HDR__COUNT ? s->hdr_slot[h->id] : -1;
		if (slot < 0 && (h->id != SIP_HDR_OTHER || (slot = other_slot(s, m, h)) < 0))
			continue;
		if ((rc = put_val(e, (uint32_t)slot, m->buf + h->value_off, h->value_len)) < 0)
			return rc;
	}
	return 0;
}

/* Whether the prefix of length index k of t that address (w0, w1) lies
 * in is in the table: its atoms marked, one bloom bit and at most a probe.
 * Inlined apart for IPv4, where w1 is the constant 0 and the second word
 * of the hash and of the compares folds away. */
static inline __attribute__((always_inline)) void cidr_probe(struct ev *e,
							     const struct rs_cidr_tab *t,
							     uint32_t k, uint64_t w0, uint64_t w1)
{
	uint64_t key[2] = {w0 & t->len[k].m[0], w1 & t->len[k].m[1]};
	uint8_t plen = t->len[k].plen;
	uint32_t hash = rs_cidr_hash(plen, key);

	if (!rs_cidr_bloom(t, hash))
		return;
	for (uint32_t h = hash & t->mask; t->ent[h].used; h = (h + 1) & t->mask) {
		const struct rs_cidr_ent *c = &t->ent[h];
		if (c->plen == plen && c->a[0] == key[0] && c->a[1] == key[1]) {
			for (uint32_t j = 0; j < c->n_atom; j++)
				mark(e, e->s->cidr_atoms[c->atom + j]);
			return;
		}
	}
}

/* The prefixes of t that address a is in, their atoms marked. An IPv4
 * address is probed only at the lengths of the prefixes that share its
 * first byte (by_octet), an IPv6 one at every length in use. */
static void cidr_marks(struct ev *e, const struct rs_cidr_tab *t, const struct rs_addr *a)
{
	uint64_t w[2];

	memcpy(w, a->a, 16);
	if (a->af == 4) {
		if (t->by_octet == NULL) /* no IPv4 prefix */
			return;
		/* a[0..3]: the low half of word 0, a[0] its low byte */
		for (uint64_t ks = t->by_octet[a->a[0]]; ks != 0; ks &= ks - 1)
			cidr_probe(e, t, (uint32_t)__builtin_ctzll(ks), w[0] & 0xffffffffu, 0);
	} else {
		for (uint32_t k = 0; k < t->n_plen; k++)
			cidr_probe(e, t, k, w[0], w[1]);
	}
}

/* Address a of field f, whose slot is i: present, and the prefixes of
 * atoms that trigger a rule that it is in (the others wait for
 * cidr_lazy). */
static void put_addr(struct ev *e, enum rs_field f, uint32_t i, const struct rs_addr *a)
{
	if (a == NULL || (a->af != 4 && a->af != 6))
		return;
	st_touch(e, i)->n_val = 1;
	cidr_marks(e, &e->s->cidr[0][f == RS_F_dst][a->af == 6], a);
}

/* The prefixes of atoms that trigger no rule (not src in ...) that the
 * address of slot i is in, once a message, when a candidate first reads
 * one of them: most messages make no such candidate. The address is
 * there (put_addr counted it). */
static void cidr_lazy(struct ev *e, uint32_t i)
{
	bool dst = e->s->slots[i].field == RS_F_dst;
	const struct rs_addr *a = dst ? e->dst : e->src;

	st_touch(e, i)->scanned = true;
	cidr_marks(e, &e->s->cidr[1][dst][a->af == 6], a);
}

/* Number atoms that trigger and hold for the message's values. */
static void mark_numbers(struct ev *e)
{
	for (uint32_t i = 0; i < e->s->n_num; i++) {
		const struct rs_num_idx *x = &e->s->num[i];
		const struct rs_slot_state *st = st_get(e, (uint32_t)e->s->fslot[x->field]);
		if (st->n_val > 0)
			mark_bounds(e, x, st->num);
	}
}

static void mark_presence(struct ev *e)
{
	for (uint32_t i = 0; i < e->s->n_pres; i++) {
		const struct rs_pres *p = &e->s->pres[i];
		const struct rs_slot_state *st = st_get(e, p->slot);
		if (p->empty ? st->empty : st->n_val > 0)
			mark(e, p->atom);
	}
}

/* The values of the string fields: counted and scanned (eager slots), or
 * only scanned (the lazy pass over one slot). */
static int extract_str(struct ev *e, const struct sip_msg *m)
{
	int rc;

	if ((rc = put_str(e, fslot(e, RS_F_method), m->method_str)) < 0 ||
	    (rc = put_str(e, fslot(e, RS_F_ruri), m->ruri)) < 0 ||
	    (m->ruri.p && (rc = put_str(e, fslot(e, RS_F_ruri_user), m->uri.user)) < 0) ||
	    (m->ruri.p && (rc = put_str(e, fslot(e, RS_F_ruri_host), m->uri.host)) < 0) ||
	    (rc = put_addr_hdr(e, m, SIP_HDR_FROM, RS_F_from, RS_F_from_user, RS_F_from_display,
			       RS_F_from_tag)) < 0 ||
	    (rc = put_addr_hdr(e, m, SIP_HDR_TO, RS_F_to, RS_F_to_user, RS_F_to_display,
			       RS_F_to_tag)) < 0 ||
	    (rc = put_addr_hdr(e, m, SIP_HDR_CONTACT, RS_F_contact, RS_F_contact_user,
			       RS_F_contact_display, RS_F__NONE)) < 0 ||
	    (rc = put_str(e, fslot(e, RS_F_call_id), m->call_id)) < 0 ||
	    (m->body.len && (rc = put_str(e, fslot(e, RS_F_body), m->body)) < 0) ||
	    (m->buf && (rc = put(e, fslot(e, RS_F_msg), m->buf, m->len)) < 0))
		return rc;
	int32_t ua = fslot(e, RS_F_ua);
	/* from the first User-Agent on, by id (sip_hdr_next, a call, cost
	 * more than the scan of the few headers after it); first[] is
	 * SIP_HDR_NONE (255, above any index) when there is none */
	if (ua >= 0)
		for (unsigned i = m->first[SIP_HDR_USER_AGENT]; i < m->nhdrs; i++)
			if (m->hdrs[i].id == SIP_HDR_USER_AGENT &&
			    (rc = put_str(e, ua, sip_hdr_value(m, i))) < 0)
				return rc;
	if (e->s->any_hdr && (e->only < 0 || e->s->slots[e->only].field == RS_F_hdr))
		return put_hdrs(e, m);
	return 0;
}

/* A lazy slot's values through its database, once a message, when a
 * candidate rule first needs one of its atoms. */
static void scan_lazy(struct ev *e, uint32_t slot)
{
	st_touch(e, slot)->scanned = true;
	e->only = (int32_t)slot;
	if (extract_str(e, e->m) < 0)
		e->err = -EIO;
	e->only = -1;
}

static int extract(struct ev *e, const struct sip_msg *m, const struct rs_addr *src,
		   const struct rs_addr *dst)
{
	const struct rs_set *s = e->s;
	const int32_t *fs = s->fslot;
	int rc;

	if ((rc = extract_str(e, m)) < 0)
		return rc;
	put_num(e, fs[RS_F_src_port], src && (src->af == 4 || src->af == 6), src ? src->port : 0);
	put_num(e, fs[RS_F_max_forwards], m->max_forwards >= 0, m->max_forwards);
	put_num(e, fs[RS_F_content_length], m->content_length >= 0, m->content_length);
	put_num(e, fs[RS_F_expires], m->expires >= 0, m->expires);
	put_num(e, fs[RS_F_cseq], m->first[SIP_HDR_CSEQ] != SIP_HDR_NONE, m->cseq);
	/* an address no rule names (dst, most often) is not looked at: a
	 * prefix's atom is of its field's slot, so no slot, no prefixes */
	if (fs[RS_F_src] >= 0)
		put_addr(e, RS_F_src, (uint32_t)fs[RS_F_src], src);
	if (fs[RS_F_dst] >= 0)
		put_addr(e, RS_F_dst, (uint32_t)fs[RS_F_dst], dst);
	mark_presence(e);
	mark_numbers(e);
	return 0;
}

static inline bool num_holds(uint8_t op, int64_t v, int64_t k)
{
	switch (op) {
	case RS_OP_LT:
		return v < k;
	case RS_OP_LE:
		return v <= k;
	case RS_OP_GT:
		return v > k;
	case RS_OP_GE:
		return v >= k;
	case RS_OP_NUM_EQ:
		return v == k;
	default:
		return v != k;
	}
}

static inline bool atom_holds(struct ev *e, uint32_t a)
{
	const struct rs_rt_atom *at = &e->s->atoms[a];
	const struct rs_slot_state *st = st_get(e, at->slot);

	switch (at->type) {
	case RS_AT_SCAN:
		if (__builtin_expect(e->s->slots[at->slot].lazy && !st->scanned && st->n_val, 0))
			scan_lazy(e, at->slot);
		return e->sc->atom_mark[a] == e->epoch;
	case RS_AT_LEN: /* != from the extremes; the others marked value by value */
		if (at->op == RS_OP_NUM_NE)
			return st->n_val > 0 && (st->len_min != at->num || st->len_max != at->num);
		return e->sc->atom_mark[a] == e->epoch;
	case RS_AT_CIDR:
		if (__builtin_expect(at->n_trig == 0 && st->n_val && !st->scanned, 0))
			cidr_lazy(e, at->slot);
		return e->sc->atom_mark[a] == e->epoch;
	case RS_AT_LIT:
		return e->sc->atom_mark[a] == e->epoch;
	case RS_AT_EXISTS:
		return st->n_val > 0;
	case RS_AT_EMPTY:
		return st->empty;
	default:
		return st->n_val > 0 && num_holds(at->op, st->num, at->num);
	}
}

static inline bool rule_holds(struct ev *e, uint32_t r)
{
	const struct rs_rt_rule *ru = &e->s->rules[r];
	const struct rs_rt_cond *c = &e->s->conds[ru->cond];

	for (uint32_t i = 0; i < ru->n_cond; i++)
		if (atom_holds(e, c[i].atom) == (bool)c[i].neg)
			return false;
	return true;
}

static uint32_t next_epoch(struct rs_scratch *sc)
{
	if (++sc->epoch == 0) {
		/* once in 2^32 messages: marks and figures of the last epochs
		 * could pass for this one's */
		memset(sc->atom_mark, 0, sizeof(*sc->atom_mark) * sc->cap_atoms);
		memset(sc->st, 0, sizeof(*sc->st) * sc->cap_slots);
		sc->epoch = 1;
	}
	return sc->epoch;
}

/* Steps 1 and 2: the candidates that hold, into sc->hold (unordered).
 * Returns how many, -EIO (Hyperscan) or -EINVAL (scratch too small). */
static int64_t run(const struct rs_set *s, struct rs_scratch *sc, const struct sip_msg *m,
		   const struct rs_addr *src, const struct rs_addr *dst)
{
	struct ev e = {.s = s, .sc = sc, .m = m, .only = -1, .src = src, .dst = dst};
	uint32_t n = 0;

	if (s == NULL || sc == NULL || m == NULL || sc->cap_atoms < s->n_atoms ||
	    sc->cap_rules < s->n_rules || sc->cap_slots < s->n_slots || sc->atom_mark == NULL)
		return -EINVAL;
	e.epoch = next_epoch(sc);
	sc->n_matched = 0;
	if (extract(&e, m, src, dst) < 0)
		return -EIO;
	for (uint32_t k = 0; k < sc->n_matched; k++) {
		const struct rs_rt_atom *a = &s->atoms[sc->matched[k]];
		for (uint32_t j = 0; j < a->n_trig; j++) {
			uint32_t r = s->trig_rules[a->trig + j];
			if (rule_holds(&e, r))
				sc->hold[n++] = r;
		}
	}
	for (uint32_t j = 0; j < s->n_always; j++)
		if (rule_holds(&e, s->always[j]))
			sc->hold[n++] = s->always[j];
	return e.err < 0 ? (int64_t)e.err : (int64_t)n;
}

/* Step 3: the deciding rule among those that hold. */
static uint32_t decide(const struct rs_set *s, const uint32_t *hold, uint32_t n,
		       struct rs_verdict *v)
{
	uint32_t best = RS_NONE;

	for (uint32_t i = 0; i < n; i++) {
		const struct rs_rt_rule *r = &s->rules[hold[i]];
		if (!r->shadow && r->action != RS_ACT_COUNT && hold[i] < best)
			best = hold[i];
	}
	memset(v, 0, sizeof(*v));
	v->rule = best;
	if (best != RS_NONE) {
		const struct rs_rule_info *in = &s->info[best];
		v->action = in->action;
		v->code = in->code;
		v->ban_s = in->ban_s;
		if (in->reason != NULL) {
			v->reason.p = in->reason;
			v->reason.len = (uint32_t)strlen(in->reason);
		}
	}
	return best;
}

int rs_eval(const struct rs_set *s, struct rs_scratch *sc, const struct sip_msg *m,
	    const struct rs_addr *src, const struct rs_addr *dst, uint64_t *hits,
	    struct rs_verdict *v)
{
	int64_t n = run(s, sc, m, src, dst);

	if (n < 0) {
		memset(v, 0, sizeof(*v));
		v->rule = RS_RULE_NONE;
		return (int)n;
	}
	uint32_t best = decide(s, sc->hold, (uint32_t)n, v);
	if (hits != NULL)
		for (uint32_t i = 0; i < (uint32_t)n; i++) {
			uint32_t r = sc->hold[i];
			if (s->rules[r].shadow || r == best ||
			    (s->rules[r].action == RS_ACT_COUNT && r < best))
				hits[r]++;
		}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int rs_eval_match(const struct rs_set *s, struct rs_scratch *sc, const struct sip_msg *m,
		  const struct rs_addr *src, const struct rs_addr *dst, uint32_t *ranks,
		  uint32_t max, struct rs_verdict *v)
{
	int64_t n = run(s, sc, m, src, dst);

	if (n < 0) {
		memset(v, 0, sizeof(*v));
		v->rule = RS_RULE_NONE;
		return (int)n;
	}
	decide(s, sc->hold, (uint32_t)n, v);
	qsort(sc->hold, (size_t)n, sizeof(*sc->hold), cmp_u32);
	for (uint32_t i = 0; i < (uint32_t)n && i < max; i++)
		ranks[i] = sc->hold[i];
	return (int)n;
}

int rs_eval_scans(const struct rs_set *s, struct rs_scratch *sc, const struct sip_msg *m,
		  struct rs_scan_rec *rec, uint32_t max)
{
	struct ev e = {.s = s, .sc = sc, .m = m, .only = -1, .rec = rec, .max_rec = max};

	if (s == NULL || sc == NULL || m == NULL || sc->cap_atoms < s->n_atoms ||
	    sc->cap_slots < s->n_slots || sc->atom_mark == NULL)
		return -EINVAL;
	e.epoch = next_epoch(sc);
	sc->n_matched = 0;
	extract(&e, m, NULL, NULL);
	return (int)e.n_rec;
}
