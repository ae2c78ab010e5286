/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * sip_uri.c - SIP/SIPS (RFC 3261 19.1, 25.1) and tel (RFC 3966) URIs, hosts
 * (names, IPv4, IPv6 references per RFC 5954), parameter lists and %HH
 * escapes. Strict to the grammar: an edge gateway that is lenient about a
 * URI is the one that forwards what the core then misreads.
 */
#include <string.h>

#include "sip_priv.h"

static bool valid_ipv4(const char *p, const char *e)
{
	for (int octet = 0; octet < 4; octet++) {
		const char *s = p;
		unsigned v = 0;
		while (p < e && is_digit((uint8_t)*p) && p - s < 3)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (p == s || v > 255 || (p < e && is_digit((uint8_t)*p)))
			return false;
		if (octet < 3) {
			if (p == e || *p != '.')
				return false;
			p++;
		}
	}
	return p == e;
}

/* IPv6address of RFC 3261 25.1 (as corrected by RFC 5954): eight groups,
 * or fewer with one "::", the last two possibly as a dotted IPv4 address. */
static bool valid_ipv6(const char *p, const char *e)
{
	unsigned groups = 0;
	bool dbl = false;

	if (e - p >= 2 && p[0] == ':' && p[1] == ':') {
		dbl = true;
		p += 2;
	}
	while (p < e) {
		const char *g = p;
		while (p < e && is_hex((uint8_t)*p) && p - g < 5)
			p++;
		if (p < e && *p == '.') {
			if (!valid_ipv4(g, e))
				return false;
			groups += 2;
			p = e;
			break;
		}
		if (p == g || p - g > 4)
			return false;
		groups++;
		if (p == e)
			break;
		if (*p++ != ':' || p == e)
			return false;
		if (*p == ':') {
			if (dbl)
				return false;
			dbl = true;
			if (++p == e)
				break;
		}
	}
	return dbl ? groups <= 7 : groups == 8;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ], where a toplabel starts
 * with a letter; a name whose last label starts with a digit can only be
 * an IPv4 address: four labels of 1-3 digits, each at most 255, no
 * trailing dot, which is exactly what quad_end() takes whole. So once that
 * has failed, the walk only checks the labels of a name. Returns the
 * sip_host_type, or SIP_HOST_NONE when neither. */
static uint8_t name_or_ipv4(const char *p, const char *e)
{
	if (p < e && is_digit((uint8_t)*p) && quad_end(p, e) == e)
		return SIP_HOST_IPV4;

	const char *end = e > p && e[-1] == '.' ? e - 1 : e;
	const char *label = p;

	for (const char *q = p; q < end; q++) {
		if (*q == '.') {
			if (q == label || label[0] == '-' || q[-1] == '-')
				return SIP_HOST_NONE;
			label = q + 1;
		} else if (!cc_is((uint8_t)*q, CC_HOST)) {
			return SIP_HOST_NONE;
		}
	}
	if (label == end || label[0] == '-' || end[-1] == '-')
		return SIP_HOST_NONE;
	return is_alpha((uint8_t)label[0]) ? SIP_HOST_NAME : SIP_HOST_NONE;
}

/* sip_check_host - classify and validate a host: "[v6]", bare v6 (as Via
 * received= carries it), IPv4 or a host name. Returns 0 with *type set, or
 * -1. The caller decides whether a bare IPv6 address is acceptable. */
int sip_check_host(const char *p, const char *end, uint8_t *type)
{
	if (p == end)
		return -1;
	if (is_digit((uint8_t)*p) && quad_end(p, end) == end) { /* as name_or_ipv4 */
		*type = SIP_HOST_IPV4;
		return 0;
	}
	if (*p == '[') {
		if (end - p < 4 || end[-1] != ']' || !valid_ipv6(p + 1, end - 1))
			return -1;
		*type = SIP_HOST_IPV6;
		return 0;
	}
	/* a name or IPv4 holds no ':' (not a host character), and every host
	 * with one is a bare IPv6 or nothing: no search for it first */
	*type = name_or_ipv4(p, end);
	if (*type != SIP_HOST_NONE)
		return 0;
	if (find_byte(p, end, ':') == NULL || !valid_ipv6(p, end))
		return -1;
	*type = SIP_HOST_IPV6;
	return 0;
}

/* The run of bytes of a class (its nibble table, gen_hdr.py) and %HH
 * escapes at p, reading at most up to lim (>= e): returns where it ends
 * (the caller checks the byte there), or NULL on a bad escape. Inlined,
 * as valid_params() is, so that a URI's runs share the tables' loads
 * (~20 instructions of ~420 a URI). */
static inline __attribute__((always_inline)) const char *
run_of(const char *p, const char *e, const char *lim, const uint8_t *cls)
{
	for (;;) {
		p += class_len(p, e, lim, cls);
		if (p == e || *p != '%')
			return p;
		if (e - p < 3 || !is_hex((uint8_t)p[1]) || !is_hex((uint8_t)p[2]))
			return NULL;
		p += 3;
	}
}

/* ;name[=value] repeated, each name and value of class cls. */
static inline __attribute__((always_inline)) bool
valid_params(const char *p, const char *e, const char *lim, const uint8_t *cls)
{
	while (p < e) {
		if (*p++ != ';')
			return false;
		const char *n = run_of(p, e, lim, cls);
		if (n == NULL || n == p)
			return false;
		p = n;
		if (p < e && *p == '=') {
			const char *v = run_of(++p, e, lim, cls);
			if (v == NULL || v == p)
				return false;
			p = v;
		}
	}
	return true;
}

/* RFC 3966: a global number is "+" and digits (with visual separators); a
 * local number (hex digits, '*', '#') needs a phone-context parameter. */
static int parse_tel(const char *p, const char *e, struct sip_uri *u)
{
	const char *n = p;
	bool digit = false;
	while (n < e && cc_is((uint8_t)*n, CC_TEL)) {
		digit = digit || is_hex((uint8_t)*n) || *n == '*' || *n == '#';
		n++;
	}
	if (!digit || (n > p + 1 && memchr(p + 1, '+', (size_t)(n - p - 1)) != NULL))
		return -1;
	u->user = mkstr(p, n);
	if (n < e) {
		if (*n != ';' || !valid_params(n, e, e, sip_param_lo))
			return -1;
		u->params = mkstr(n + 1, e);
	}
	struct sip_str ctx;
	if (*p != '+' && sip_param_find(u->params, SIP_LIT("phone-context"), &ctx) != 1)
		return -1;
	return 0;
}

/* sip_parse_uri() with lim, the end of the bytes that may be read (>= the
 * URI's end): sip_parse() passes the datagram's end, so that the vector
 * class runs need no byte loop near the end of the URI either. */
int sip_uri_parse_lim(const char *p, uint32_t len, const char *lim, struct sip_uri *u)
{
	clear_block(u, sizeof(*u));
	if (p == NULL) /* an absent slice: no arithmetic on it */
		return -SIP_ERR_BAD_URI;
	const char *e = p + len, *q;
	if (len >= 4 && ieq_lc(p, "sip:", 4)) {
		u->scheme = SIP_SCHEME_SIP;
		q = p + 4;
	} else if (len >= 5 && ieq_lc(p, "sips:", 5)) {
		u->scheme = SIP_SCHEME_SIPS;
		q = p + 5;
	} else if (len >= 4 && ieq_lc(p, "tel:", 4)) {
		u->scheme = SIP_SCHEME_TEL;
		return parse_tel(p + 4, e, u) < 0 ? -SIP_ERR_BAD_URI : (int)len;
	} else {
		return -SIP_ERR_BAD_URI;
	}

	/* userinfo: '@' may appear nowhere else unescaped, so the first one
	 * (if any) ends it. */
	const char *at = find_byte_lim(q, e, lim, '@');
	if (at != NULL) {
		const char *ue = run_of(q, at, lim, sip_user_lo);
		if (ue == NULL || ue == q || (ue != at && *ue != ':'))
			return -SIP_ERR_BAD_URI;
		u->user = mkstr(q, ue);
		if (ue < at) {
			if (run_of(ue + 1, at, lim, sip_pass_lo) != at)
				return -SIP_ERR_BAD_URI;
			u->password = mkstr(ue + 1, at);
		}
		q = at + 1;
	}

	/* host: a reference in brackets, or the run of host characters */
	const char *h = q, *he;
	if (q < e && *q == '[') {
		he = find_byte_lim(q, e, lim, ']');
		if (he == NULL)
			return -SIP_ERR_BAD_URI;
		he++;
		if (sip_check_host(h, he, &u->host_type) < 0)
			return -SIP_ERR_BAD_URI;
	} else {
		/* A run of host characters holds no ':': a name or IPv4. */
		he = q + class_len(q, e, lim, sip_host_lo);
		u->host_type = name_or_ipv4(h, he);
		if (u->host_type == SIP_HOST_NONE)
			return -SIP_ERR_BAD_URI;
	}
	u->host = u->host_type == SIP_HOST_IPV6 ? mkstr(h + 1, he - 1) : mkstr(h, he);
	q = he;

	/* port */
	if (q < e && *q == ':') {
		uint64_t port;
		int d = parse_uint(q + 1, e, 65535, &port);
		if (d < 0 || d > 5)
			return -SIP_ERR_BAD_URI;
		u->port = (uint16_t)port;
		u->port_str = mkstr(q + 1, q + 1 + d);
		q += 1 + d;
	}

	/* uri-parameters, then headers */
	const char *ps = q;
	q = find_byte_lim(q, e, lim, '?');
	if (q == NULL)
		q = e;
	if (!valid_params(ps, q, lim, sip_param_lo))
		return -SIP_ERR_BAD_URI;
	if (q > ps)
		u->params = mkstr(ps + 1, q);
	if (q < e) {
		const char *hs = ++q;
		for (;;) {
			const char *n = run_of(q, e, lim, sip_hnv_lo);
			if (n == NULL || n == q || n == e || *n != '=')
				return -SIP_ERR_BAD_URI;
			const char *v = run_of(n + 1, e, lim, sip_hnv_lo);
			if (v == NULL || (v != e && *v != '&'))
				return -SIP_ERR_BAD_URI;
			if (v == e)
				break;
			q = v + 1;
		}
		u->headers = mkstr(hs, e);
	}
	return (int)len;
}

int sip_parse_uri(const char *p, uint32_t len, struct sip_uri *u)
{
	return sip_uri_parse_lim(p, len, p + len, u);
}

static bool ieq2(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (lower((uint8_t)a[i]) != lower((uint8_t)b[i]))
			return false;
	return true;
}

bool sip_str_ieq(struct sip_str s, const char *lit, uint32_t len)
{
	return s.len == len && ieq2(s.p, lit, len);
}

/* Walks ";name[=value]" with optional LWS around ';' and '=' (header
 * params allow it, URI params never have it) and quoted-string values. */
int sip_param_find(struct sip_str params, const char *name, uint32_t nlen,
		   struct sip_str *val)
{
	if (params.p == NULL) /* absent: no arithmetic on a null pointer */
		return 0;
	const char *p = params.p, *e = params.p + params.len;

	while (p < e) {
		p = skip_lws(p, e);
		if (p < e && *p == ';') {
			p++;
			continue;
		}
		const char *ns = p;
		while (p < e && *p != '=' && *p != ';' && !is_lws((uint8_t)*p))
			p++;
		const char *ne = p;
		const char *vs = NULL, *ve = NULL;
		p = skip_lws(p, e);
		if (p < e && *p == '=') {
			p = vs = skip_lws(p + 1, e);
			if (p < e && *p == '"') {
				const char *qe = quoted_end(p, e);
				p = qe != NULL ? qe : e;
			} else {
				while (p < e && *p != ';' && !is_lws((uint8_t)*p))
					p++;
			}
			ve = p;
		}
		if ((uint32_t)(ne - ns) == nlen && ieq2(ns, name, nlen)) {
			*val = vs != NULL ? mkstr(vs, ve) : mkstr(ne, ne);
			return 1;
		}
		while (p < e && *p != ';')
			p++;
	}
	return 0;
}

int sip_unescape(struct sip_str src, char *dst, uint32_t dlen)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < src.len; i++) {
		uint8_t c = (uint8_t)src.p[i];
		if (c == '%') {
			if (i + 2 >= src.len || !is_hex((uint8_t)src.p[i + 1]) ||
			    !is_hex((uint8_t)src.p[i + 2]))
				return -SIP_ERR_BAD_URI;
			uint8_t hi = (uint8_t)src.p[i + 1], lo = (uint8_t)src.p[i + 2];
			hi = is_digit(hi) ? hi - '0' : (uint8_t)((hi | 0x20) - 'a' + 10);
			lo = is_digit(lo) ? lo - '0' : (uint8_t)((lo | 0x20) - 'a' + 10);
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
		}
		if (n >= dlen)
			return -SIP_ERR_BAD_URI;
		dst[n++] = (char)c;
	}
	return (int)n;
}
