/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * sip_fields.c - the header values parsed on demand: comma lists, Via,
 * name-addr (From, To, Contact, Route, ...), Content-Type, and lookups of
 * headers by name. Header values come from the indexer, so a CR or LF in
 * them is always part of a folded line and counts as whitespace.
 */
#include <string.h>

#include "sip_priv.h"

/* ---- lookups ---- */

static bool all_token(const char *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (!cc_is((uint8_t)p[i], CC_TOKEN))
			return false;
	return true;
}

enum sip_hdr_id sip_hdr_lookup(const char *name, uint32_t len)
{
	if (len == 0 || len > 255 || !all_token(name, len))
		return SIP_HDR_OTHER;
	return (enum sip_hdr_id)hdr_id_of(name, len);
}

static bool name_ieq(struct sip_str a, const char *b, uint32_t len)
{
	return sip_str_ieq(a, b, len);
}

int sip_hdr_next(const struct sip_msg *m, int i)
{
	if (i < 0 || i >= m->nhdrs)
		return -1;
	unsigned id = m->hdrs[i].id;
	struct sip_str n = sip_hdr_name(m, (unsigned)i);
	for (unsigned j = (unsigned)i + 1; j < m->nhdrs; j++) {
		if (m->hdrs[j].id != id)
			continue;
		/* Unknown headers share the OTHER id: match them by name. */
		if (id != SIP_HDR_OTHER || name_ieq(sip_hdr_name(m, j), n.p, n.len))
			return (int)j;
	}
	return -1;
}

int sip_hdr_find(const struct sip_msg *m, const char *name, uint32_t len)
{
	enum sip_hdr_id id = sip_hdr_lookup(name, len);

	if (id != SIP_HDR_OTHER)
		return sip_hdr_first(m, id);
	for (unsigned j = 0; j < m->nhdrs; j++)
		if (m->hdrs[j].id == SIP_HDR_OTHER && name_ieq(sip_hdr_name(m, j), name, len))
			return (int)j;
	return -1;
}

/* ---- comma lists ---- */

#if defined(__SSE2__)
/* The lanes of b that hold one of , " < > \\ */
static inline unsigned specials(__m128i b)
{
	__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(',')),
					      _mm_cmpeq_epi8(b, _mm_set1_epi8('"'))),
				 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('<')),
							   _mm_cmpeq_epi8(b, _mm_set1_epi8('>'))),
					      _mm_cmpeq_epi8(b, _mm_set1_epi8('\\'))));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif
#if defined(__AVX2__)
static inline unsigned specials32(__m256i b)
{
	__m256i m = _mm256_or_si256(
		_mm256_or_si256(_mm256_cmpeq_epi8(b, _mm256_set1_epi8(',')),
				_mm256_cmpeq_epi8(b, _mm256_set1_epi8('"'))),
		_mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('<')),
						_mm256_cmpeq_epi8(b, _mm256_set1_epi8('>'))),
				_mm256_cmpeq_epi8(b, _mm256_set1_epi8('\\'))));
	return (unsigned)_mm256_movemask_epi8(m);
}
#endif

/* Next byte at or after p that is one of , " < > \\ (the bytes that matter to
 * element_end), or e. SIMD, 16 bytes a step: list values are mostly URIs
 * and parameters where none of these occur for tens of bytes. Bytes back to
 * lo (<= p) may be read: the last step loads the 16 bytes that end at e,
 * as class_len_back() does, instead of a byte loop over the value's end. */
static inline const char *next_special(const char *p, const char *e, const char *lo)
{
#if defined(__SSE2__)
	if (e - lo >= 16) {
#if defined(__AVX2__)
		/* a Via value is 60-100 bytes, each searched whole */
		for (; e - p > 32; p += 32) {
			unsigned bits = specials32(
				_mm256_loadu_si256((const __m256i *)(const void *)p));
			if (bits != 0)
				return p + __builtin_ctz(bits);
		}
#endif
		for (; e - p > 16; p += 16) {
			unsigned bits = specials(_mm_loadu_si128((const __m128i *)(const void *)p));
			if (bits != 0)
				return p + __builtin_ctz(bits);
		}
		unsigned bits = specials(_mm_loadu_si128((const __m128i *)(const void *)(e - 16))) >>
				(p - (e - 16));
		return bits != 0 ? p + __builtin_ctz(bits) : e;
	}
#else
	(void)lo;
#endif
	while (p < e && *p != ',' && *p != '"' && *p != '<' && *p != '>' && *p != '\\')
		p++;
	return p;
}

/* End of one list element starting at p: the first comma outside a quoted
 * string and outside <...>, or e. NULL when a quote or bracket is open.
 * Bytes from lo (<= p, the message) to e may be read. */
static const char *element_end(const char *p, const char *e, const char *lo)
{
	bool quote = false, angle = false;

	for (p = next_special(p, e, lo); p < e; p = next_special(p + 1, e, lo)) {
		char c = *p;
		if (quote) {
			if (c == '\\' && p + 1 < e)
				p++;
			else if (c == '"')
				quote = false;
		} else if (c == '"') {
			quote = true;
		} else if (c == '<') {
			angle = true;
		} else if (c == '>') {
			angle = false;
		} else if (c == ',' && !angle) {
			break;
		}
	}
	return quote || angle ? NULL : p;
}

int sip_value_next(const struct sip_msg *m, enum sip_hdr_id id,
		   struct sip_iter *it, struct sip_str *val)
{
	for (;;) {
		if (it->hdr < 0) {
			it->hdr = sip_hdr_first(m, id);
			it->off = 0;
		}
		if (it->hdr < 0 || it->hdr >= m->nhdrs) {
			it->hdr = SIP_HDRS_MAX_HARD; /* stays at the end */
			return 0;
		}
		struct sip_str v = sip_hdr_value(m, (unsigned)it->hdr);
		/* An empty list header is malformed unless its grammar says
		 * [ ... ]; an empty value of any other header has no element. */
		if (v.len == 0 && (sip_hdr_flags[id] & (HDRF_MULTI | HDRF_EMPTY)) == HDRF_MULTI)
			return -SIP_ERR_BAD_VALUE;
		if (it->off > v.len || v.len == 0) {
			int n = sip_hdr_next(m, it->hdr);
			it->hdr = n < 0 ? (int)SIP_HDRS_MAX_HARD : n;
			it->off = 0;
			continue;
		}
		const char *e = v.p + v.len;
		const char *s = skip_lws(v.p + it->off, e);
		const char *q = (sip_hdr_flags[id] & HDRF_MULTI) ? element_end(s, e, m->buf) : e;
		if (q == NULL)
			return -SIP_ERR_BAD_VALUE;
		const char *end = rtrim_lws(s, q);
		if (end == s)
			return -SIP_ERR_BAD_VALUE;
		*val = mkstr(s, end);
		it->off = (uint32_t)(q - v.p) + 1;
		return 1;
	}
}

/* ---- generic parameters: *( SEMI name [ EQUAL value ] ) ---- */

struct gparam {
	struct sip_str name, value;
	bool has_value;
};

/* Reads one ";name[=value]" at *pp, LWS allowed around ';' and '='; a value
 * is a token, a host (with [] and ':') or a quoted string. Bytes back to lo
 * (the start of the field) may be read, for the token runs' last step.
 * Returns 1 with *g set, 0 at the end, -1 when malformed. The ';', the
 * name and the '=' are looked for before any LWS, which is there only when
 * they are not (LWS is none of them): the same bytes taken the same way.
 * Inlined into each parameter loop, where *g stays in registers and the
 * class tables' loads are hoisted out of the loop (a Via: -100 of ~830). */
static inline __attribute__((always_inline)) int
gparam_next(const char **pp, const char *e, const char *lo, struct gparam *g)
{
	const char *p = *pp;

	if (p == e || *p != ';') {
		p = skip_lws(p, e);
		if (p == e)
			return 0;
		if (*p != ';')
			return -1;
	}
	const char *n = ++p;
	p += class_len_back(p, e, lo, sip_tok_lo);
	if (p == n) {
		n = p = skip_lws(p, e);
		p += class_len_back(p, e, lo, sip_tok_lo);
		if (p == n)
			return -1;
	}
	g->name = mkstr(n, p);
	g->has_value = false;
	g->value = mkstr(p, p);
	const char *r = p < e && *p == '=' ? p : skip_lws(p, e);
	if (r < e && *r == '=') {
		p = skip_lws(r + 1, e);
		const char *v = p;
		if (p < e && *p == '"') {
			p = quoted_end(p, e);
			if (p == NULL)
				return -1;
		} else {
			/* token runs joined by the bytes of an IPv6 reference */
			for (;;) {
				p += class_len_back(p, e, lo, sip_tok_lo);
				if (p == e || (*p != '[' && *p != ']' && *p != ':'))
					break;
				p++;
			}
		}
		if (p == v)
			return -1;
		g->value = mkstr(v, p);
		g->has_value = true;
	}
	*pp = p;
	return 1;
}

static bool all_gparams(const char *p, const char *e, const char *lo)
{
	struct gparam g;
	int rc;

	while ((rc = gparam_next(&p, e, lo, &g)) > 0)
		;
	return rc == 0;
}

/* ---- Via ---- */

static bool pick_token(const char **pp, const char *e, struct sip_str *out)
{
	const char *p = skip_lws(*pp, e), *s = p;
	while (p < e && cc_is((uint8_t)*p, CC_TOKEN))
		p++;
	*out = mkstr(s, p);
	*pp = p;
	return p > s;
}

static bool pick_slash(const char **pp, const char *e)
{
	const char *p = skip_lws(*pp, e);
	if (p == e || *p != '/')
		return false;
	*pp = p + 1;
	return true;
}

static bool port_value(struct sip_str v, uint16_t *port)
{
	uint64_t n;
	int d = parse_uint(v.p, v.p + v.len, 65535, &n);
	if (d < 0 || (uint32_t)d != v.len || d > 5)
		return false;
	*port = (uint16_t)n;
	return true;
}

/* Whether name n (of len bytes, at most 8, as the caller checked) is lit,
 * a literal of lower-case letters, in any case: one load and an OR of 0x20
 * per byte, exact for such a literal (only a letter's capital folds onto
 * it), where a compare byte by byte cost a third of a Via's parse. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "name_is folds the low bytes of a word: a little-endian CPU");
static inline bool name_is(struct sip_str n, const char *lit, uint32_t len)
{
	uint64_t a = 0, b = 0;

	memcpy(&a, n.p, len);
	memcpy(&b, lit, len);
	return (a | (0x2020202020202020ull >> (8 * (8 - len)))) == b;
}

/* Records one Via parameter. The parameters the gateway acts on may appear
 * once: a second branch (or received, rport, maddr, ttl) would be read one
 * way here and another way by whoever takes the first. */
static bool via_param(struct sip_via *v, const struct gparam *g)
{
	uint8_t type;
	uint64_t n;

	/* by length first: most parameters are none of these, and each name
	 * is then compared once */
	switch (g->name.len) {
	case 6:
		if (!name_is(g->name, "branch", 6))
			return true;
		if (v->branch.p != NULL)
			return false;
		v->branch = g->value;
		return g->has_value && g->value.p[0] != '"';
	case 8:
		if (!name_is(g->name, "received", 8))
			return true;
		if (v->received.p != NULL)
			return false;
		v->received = g->value;
		return g->has_value &&
		       sip_check_host(g->value.p, g->value.p + g->value.len, &type) == 0 &&
		       type != SIP_HOST_NAME;
	case 5:
		if (name_is(g->name, "rport", 5)) {
			if (v->has_rport)
				return false;
			v->has_rport = true;
			v->rport_end = g->name.p + g->name.len;
			if (g->has_value)
				v->rport_str = g->value;
			return !g->has_value || port_value(g->value, &v->rport);
		}
		if (!name_is(g->name, "maddr", 5))
			return true;
		if (v->maddr.p != NULL)
			return false;
		v->maddr = g->value;
		return g->has_value &&
		       sip_check_host(g->value.p, g->value.p + g->value.len, &type) == 0;
	case 3: {
		if (!name_is(g->name, "ttl", 3))
			return true;
		int d = g->has_value ? parse_uint(g->value.p, g->value.p + g->value.len, 255, &n) : -1;
		if (d < 0 || (uint32_t)d != g->value.len || v->has_ttl)
			return false;
		v->ttl = (uint8_t)n;
		v->has_ttl = true;
		return true;
	}
	default:
		return true;
	}
}

/* The sent-by host at h (not at e) in general: a reference in brackets, or
 * the bytes up to ':', ';' or LWS, which must be a name or IPv4. Returns its
 * end with *type set, or NULL. */
static const char *via_host(const char *h, const char *e, uint8_t *type)
{
	const char *he = h;

	if (*h == '[') {
		he = find_byte(h, e, ']');
		if (he == NULL)
			return NULL;
		he++;
	} else {
		while (he < e && *he != ':' && *he != ';' && !is_lws((uint8_t)*he))
			he++;
	}
	if (sip_check_host(h, he, type) < 0 || (*type == SIP_HOST_IPV6 && *h != '['))
		return NULL;
	return he;
}

int sip_parse_via(const char *p, uint32_t len, struct sip_via *v)
{
	const char *e = p + len, *q = p;
	struct sip_str name, version;

	clear_block(v, sizeof(*v));
	if (p == NULL) /* an absent slice: no arithmetic on it */
		return -SIP_ERR_BAD_VIA;
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport,
	 * SLASH = SWS "/" SWS */
	if (len >= 8 && memcmp(p, "SIP/2.0/", 8) == 0) {
		/* nearly every Via: what the token walks below would find */
		name = mkstr(p, p + 3);
		version = mkstr(p + 4, p + 7);
		q = p + 8;
		if (!pick_token(&q, e, &v->transport))
			return -SIP_ERR_BAD_VIA;
	} else if (!pick_token(&q, e, &name) || !pick_slash(&q, e) ||
		   !pick_token(&q, e, &version) || !pick_slash(&q, e) ||
		   !pick_token(&q, e, &v->transport)) {
		return -SIP_ERR_BAD_VIA;
	}
	v->proto = mkstr(name.p, version.p + version.len);

	/* LWS sent-by: most often a dotted quad, which ends where the walk of
	 * via_host() would stop and which sip_check_host() calls IPv4 */
	const char *h = skip_lws(q, e);
	if (h == q || h == e)
		return -SIP_ERR_BAD_VIA;
	const char *he = NULL;
	if (is_digit((uint8_t)*h)) /* 16 bytes on: no end tests (-18 a Via) */
		he = e - h >= 16 ? quad_walk(h, e, false, v->ip4) : quad_walk(h, e, true, v->ip4);
	if (he != NULL && (he == e || *he == ':' || *he == ';' || is_lws((uint8_t)*he))) {
		v->host_type = SIP_HOST_IPV4;
		v->has_ip4 = true;
	} else if ((he = via_host(h, e, &v->host_type)) == NULL)
		return -SIP_ERR_BAD_VIA;
	v->host = v->host_type == SIP_HOST_IPV6 ? mkstr(h + 1, he - 1) : mkstr(h, he);
	q = skip_lws(he, e);
	if (q < e && *q == ':') {
		/* port_value() in the same pass as the digits' walk: a sixth
		 * digit is already too many */
		q = skip_lws(q + 1, e);
		const char *ps = q, *pe = e - q > 6 ? q + 6 : e;
		unsigned port = 0;
		while (q < pe && is_digit((uint8_t)*q))
			port = port * 10 + (unsigned)(*q++ - '0');
		if (q == ps || q - ps > 5 || port > 65535)
			return -SIP_ERR_BAD_VIA;
		v->port = (uint16_t)port;
		v->port_str = mkstr(ps, q);
	}

	/* *( SEMI via-params ) */
	const char *ps = skip_lws(q, e);
	struct gparam g;
	int rc;
	q = ps;
	while ((rc = gparam_next(&q, e, p, &g)) > 0)
		if (!via_param(v, &g))
			return -SIP_ERR_BAD_VIA;
	if (rc < 0)
		return -SIP_ERR_BAD_VIA;
	if (ps < e)
		v->params = mkstr(skip_lws(ps + 1, e), e);
	return (int)len;
}

int sip_via_next(const struct sip_msg *m, struct sip_iter *it, struct sip_via *v)
{
	struct sip_str val;
	int rc = sip_value_next(m, SIP_HDR_VIA, it, &val);

	if (rc <= 0)
		return rc < 0 ? -SIP_ERR_BAD_VIA : 0;
	return sip_parse_via(val.p, val.len, v) < 0 ? -SIP_ERR_BAD_VIA : 1;
}

/* ---- name-addr / addr-spec ---- */

/* A URI starts with scheme ":" (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" /
 * "-" / "." )); the rest is sip_parse_uri()'s business. */
static bool has_scheme(struct sip_str u)
{
	if (u.len == 0)
		return false;
	const char *e = u.p + u.len, *s = scheme_end(u.p, e);
	return s > u.p && s < e && *s == ':';
}

int sip_parse_nameaddr(const char *p, uint32_t len, struct sip_nameaddr *na)
{
	memset(na, 0, sizeof(*na));
	if (p == NULL) /* an absent slice: no arithmetic on it */
		return -SIP_ERR_BAD_NAME_ADDR;
	const char *e = p + len, *q = skip_lws(p, e);
	if (q == e)
		return -SIP_ERR_BAD_NAME_ADDR;
	if (*q == '*') {
		if (skip_lws(q + 1, e) != e)
			return -SIP_ERR_BAD_NAME_ADDR;
		na->star = true;
		return (int)len;
	}

	if (*q == '"') {
		const char *qe = quoted_end(q, e);
		if (qe == NULL)
			return -SIP_ERR_BAD_NAME_ADDR;
		na->display = mkstr(q + 1, qe - 1);
		na->display_quoted = true;
		q = skip_lws(qe, e);
		if (q == e || *q != '<')
			return -SIP_ERR_BAD_NAME_ADDR;
	} else {
		/* display-name = *(token LWS): if only tokens and LWS lead to a
		 * '<', this is a name-addr; otherwise an addr-spec. */
		const char *r = q;
		while (r < e && (cc_is((uint8_t)*r, CC_TOKEN) || is_lws((uint8_t)*r)))
			r++;
		if (r < e && *r == '<') {
			na->display = mkstr(q, rtrim_lws(q, r));
			q = r;
		}
	}

	if (*q == '<') {
		const char *ue = find_byte_back(q + 1, e, p, '>');
		if (ue == NULL || ue == q + 1)
			return -SIP_ERR_BAD_NAME_ADDR;
		na->uri = mkstr(q + 1, ue);
		q = ue + 1;
	} else {
		/* addr-spec: any ';' that follows starts the header's params
		 * (RFC 3261 20.10), and a URI holds no LWS, '<' or '>'. */
		const char *s = q;
		while (q < e && *q != ';' && !is_lws((uint8_t)*q)) {
			/* RFC 3261 20.10: a URI with ',', '?' or ';' needs <> */
			if (*q == '<' || *q == '>' || *q == '"' || *q == '?' || *q == ',')
				return -SIP_ERR_BAD_NAME_ADDR;
			q++;
		}
		na->uri = mkstr(s, q);
	}

	if (!has_scheme(na->uri))
		return -SIP_ERR_BAD_NAME_ADDR;
	const char *ps = skip_lws(q, e);
	if (ps < e) {
		/* the first tag, taken in the walk that checks the list: in a
		 * valid list, the one sip_param_find() would give */
		struct sip_str tag = {NULL, 0};
		struct gparam g;
		int rc;
		if (*ps != ';')
			return -SIP_ERR_BAD_NAME_ADDR;
		for (q = ps; (rc = gparam_next(&q, e, p, &g)) > 0;)
			if (tag.p == NULL && g.name.len == 3 && name_is(g.name, "tag", 3))
				tag = g.value;
		if (rc < 0)
			return -SIP_ERR_BAD_NAME_ADDR;
		na->params = mkstr(skip_lws(ps + 1, e), e);
		if (tag.p != NULL) {
			if (tag.len == 0)
				return -SIP_ERR_BAD_NAME_ADDR;
			na->tag = tag;
		}
	}
	return (int)len;
}

/* ---- Content-Type ---- */

int sip_parse_ctype(const char *p, uint32_t len, struct sip_ctype *ct)
{
	memset(ct, 0, sizeof(*ct));
	if (p == NULL) /* an absent slice: no arithmetic on it */
		return -SIP_ERR_BAD_VALUE;
	const char *e = p + len, *q = p;

	if (!pick_token(&q, e, &ct->type) || !pick_slash(&q, e) ||
	    !pick_token(&q, e, &ct->subtype))
		return -SIP_ERR_BAD_VALUE;
	const char *ps = skip_lws(q, e);
	if (ps < e) {
		if (!all_gparams(ps, e, p))
			return -SIP_ERR_BAD_VALUE;
		ct->params = mkstr(skip_lws(ps + 1, e), e);
	}
	return (int)len;
}
