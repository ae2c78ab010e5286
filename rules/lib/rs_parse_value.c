/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_parse_value.c - the values of the rule language (rules/README.md,
 * "Values"): numbers, quoted strings and their escapes, msg and reason
 * texts, regexes and their flags, addresses and prefixes.
 *
 * Each function parses one value at lx->pos, reports what it expected and
 * found at the value's column, and returns -1 so that the rule is given
 * up; what it keeps goes into the AST's arena.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <hs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_parse_priv.h"

/* A decimal integer ([-]digits) in int64 range: 0, -EINVAL (not one) or
 * -ERANGE. */
static int num_parse(const char *w, size_t n, int64_t *v)
{
	bool minus = n > 0 && w[0] == '-';
	uint64_t x = 0, lim = minus ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	size_t i = minus;

	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned d = (unsigned char)w[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (x > (lim - d) / 10) {
			while (++i < n) /* a number too big, or no number at all? */
				if ((unsigned char)w[i] - '0' > 9)
					return -EINVAL;
			return -ERANGE;
		}
		x = x * 10 + d;
	}
	*v = minus ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

/* ps_num - a number word at pos in [lo, hi], for what ("id", "prio", "reject
 * code"): after is what came before it, for "expected a number after". */
int ps_num(struct ps *ps, struct lx *lx, const char *what, const char *after, int64_t lo,
		    int64_t hi, int64_t *v)
{
	struct lx save = *lx;
	const char *w;
	size_t n = lx_word(lx, &w);
	int rc = num_parse(w, n, v);
	char fb[48];

	if (rc == -EINVAL) {
		ps_err(ps, lx_here(&save), "expected a number after %s, found %s", after,
		       FOUND(&save));
		return -1;
	}
	if (rc < 0 || *v < lo || *v > hi) {
		ps_err(ps, lx_here(&save), "%s \"%.*s\" out of range [%" PRId64 ", %" PRId64 "]",
		       what, (int)(n > 40 ? 40 : n), w, lo, hi);
		return -1;
	}
	return 0;
}

/* After a quoted string or a regex, the next thing must be apart from it. */
static int need_sep(struct ps *ps, struct lx *lx, const char *what)
{
	int c = lx_peek(lx, 0);
	char fb[48];

	if (c < 0 || strchr(" \t\r\n#&|\\", c))
		return 0;
	ps_err(ps, lx_here(lx), "expected a space after %s, found %s", what, FOUND(lx));
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The closing delimiter q of the string or regex opening at pos, skipping
 * backslash escapes, on this line: true with its offset in *e; false (pos
 * then at the end of the line) when there is none. */
static bool closing(struct lx *lx, char q, size_t *e)
{
	size_t i = lx->pos + 1;

	while (i < lx->len && lx->p[i] != q && lx->p[i] != '\n')
		i += lx->p[i] == '\\' && i + 1 < lx->len && lx->p[i + 1] != '\n' ? 2 : 1;
	*e = i;
	if (i < lx->len && lx->p[i] == q)
		return true;
	lx->pos = i;
	return false;
}

/* ps_str - the quoted string at pos (lx_peek is '"'), unescaped into the
 * arena (NUL-terminated; it may hold NULs of its own via \x00). With
 * caseless not NULL, a trailing i sets it. Refuses an unterminated string
 * (a string ends on its line), an unknown escape and \x without two hex
 * digits. Returns 0 or -1. */
int ps_str(struct ps *ps, struct lx *lx, char **out, uint32_t *outlen, bool *caseless)
{
	struct rs_loc at = lx_here(lx);
	size_t s = lx->pos + 1, e, n = 0;
	char *d;

	if (!closing(lx, '"', &e)) {
		ps_err(ps, at, "unterminated string: no closing quote on this line");
		return -1;
	}
	d = ps_alloc(ps, e - s + 1);
	if (d == NULL)
		return -1;
	for (size_t i = s; i < e; i++) {
		int h, l;

		if (lx->p[i] != '\\') {
			d[n++] = lx->p[i];
			continue;
		}
		switch (lx->p[++i]) {
		case '"': d[n++] = '"'; break;
		case '\\': d[n++] = '\\'; break;
		case 'n': d[n++] = '\n'; break;
		case 'r': d[n++] = '\r'; break;
		case 't': d[n++] = '\t'; break;
		case 'x':
			h = i + 1 < e ? hexval((unsigned char)lx->p[i + 1]) : -1;
			l = i + 2 < e ? hexval((unsigned char)lx->p[i + 2]) : -1;
			if (h < 0 || l < 0) {
				ps_err(ps, lx_at(lx, i - 1), "\\x needs two hex digits (\\x00 .. \\xff)");
				lx->pos = e + 1;
				return -1;
			}
			d[n++] = (char)(h << 4 | l);
			i += 2;
			break;
		default:
			ps_err(ps, lx_at(lx, i - 1),
			       "unknown escape \"\\%c\" in a string (known: \\\" \\\\ \\n \\r \\t \\xHH)",
			       lx->p[i]);
			lx->pos = e + 1;
			return -1;
		}
	}
	lx->pos = e + 1;
	if (caseless != NULL && lx_peek(lx, 0) == 'i' && !lx_word_char(lx_peek(lx, 1))) {
		*caseless = true;
		lx->pos++;
	}
	*out = d;
	*outlen = (uint32_t)n;
	return need_sep(ps, lx, "the closing quote");
}

/* ps_text - a msg or reject reason: text shown to operators, in logs, JSON and a
 * reply's status line, so only printable UTF-8. */
int ps_text(struct ps *ps, struct lx *lx, const char *what, uint32_t max, char **out)
{
	struct rs_loc at = lx_here(lx);
	uint32_t n;
	char fb[48];

	if (lx_peek(lx, 0) != '"') {
		ps_err(ps, at, "expected a quoted string after %s, found %s", what, FOUND(lx));
		return -1;
	}
	if (ps_str(ps, lx, out, &n, NULL) < 0)
		return -1;
	if (n == 0) {
		ps_err(ps, at, "empty %s: leave it out instead", what);
		return -1;
	}
	if (n > max) {
		ps_err(ps, at, "%s longer than %u bytes (%u)", what, max, n);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		if ((unsigned char)(*out)[i] < 0x20 || (*out)[i] == 0x7f) {
			ps_err(ps, at, "%s holds a control character (0x%02x): it must be printable",
			       what, (unsigned char)(*out)[i]);
			return -1;
		}
	if (!rs_utf8_valid(*out, n)) {
		ps_err(ps, at, "%s is not valid UTF-8 (an \\xHH escape?)", what);
		return -1;
	}
	return 0;
}

/* ps_regex - /source/flags at pos: the source as Hyperscan takes it
 * (\/ turned into /, every other escape left to Hyperscan) and the flags
 * as HS_FLAG_*. Refuses an unterminated or empty regex and unknown flags;
 * whether Hyperscan accepts the source is rs_compile's to say. */
int ps_regex(struct ps *ps, struct lx *lx, struct rs_cond *c)
{
	struct rs_loc at = lx_here(lx);
	size_t s = lx->pos + 1, e, n = 0;
	char *d;

	if (!closing(lx, '/', &e)) {
		ps_err(ps, at, "unterminated regex: no closing / on this line (write a / inside "
			       "it as \\/)");
		return -1;
	}
	if (e == s) {
		ps_err(ps, at, "empty regex: it would match anything; use exists FIELD");
		lx->pos = e + 1;
		return -1;
	}
	d = ps_alloc(ps, e - s + 1);
	if (d == NULL)
		return -1;
	for (size_t i = s; i < e; i++) {
		if (lx->p[i] == '\\' && lx->p[i + 1] == '/')
			i++;
		else if (lx->p[i] == '\\')
			d[n++] = lx->p[i++];
		d[n++] = lx->p[i];
	}
	lx->pos = e + 1;
	while (lx->pos < lx->len && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
					   lx->p[lx->pos])) {
		static const char fl[] = "ismup";
		static const unsigned hf[] = {HS_FLAG_CASELESS, HS_FLAG_DOTALL,
					      HS_FLAG_MULTILINE, HS_FLAG_UTF8, HS_FLAG_UCP};
		const char *k = strchr(fl, lx->p[lx->pos]);

		if (k == NULL) {
			ps_err(ps, lx_here(lx),
			       "unknown regex flag \"%c\" (i caseless, s dot matches newline, "
			       "m multiline, u UTF-8, p Unicode classes)",
			       lx->p[lx->pos]);
			return -1;
		}
		c->hs_flags |= hf[k - fl];
		lx->pos++;
	}
	if ((c->hs_flags & HS_FLAG_UCP) && !(c->hs_flags & HS_FLAG_UTF8)) {
		ps_err(ps, lx_at(lx, e), "regex flag p (Unicode classes) needs u (UTF-8) too");
		return -1;
	}
	c->pat = d;
	c->pat_len = (uint32_t)n;
	return need_sep(ps, lx, "the regex");
}

/* cidr_parse - an address or prefix (192.0.2.7, 10.0.0.0/8, 2001:db8::/32)
 * into *out; a bare address is /32 or /128. Refuses host bits set past
 * the prefix (a typo more often than not: 10.1.0.0/8) with the prefix it
 * would be as a suggestion. */
static int cidr_parse(struct ps *ps, struct rs_loc at, const char *t, size_t n,
		      struct rs_cidr *out)
{
	const char *slash = memchr(t, '/', n);
	size_t an = slash ? (size_t)(slash - t) : n;
	unsigned max, plen;
	char a[64];
	bool bad;

	memset(out, 0, sizeof(*out));
	if (an == 0 || an >= 46)
		goto bad_addr;
	memcpy(a, t, an);
	a[an] = '\0';
	out->af = memchr(a, ':', an) ? 6 : 4;
	max = out->af == 6 ? 128 : 32;
	if (inet_pton(out->af == 6 ? AF_INET6 : AF_INET, a, out->a) != 1)
		goto bad_addr;
	plen = max;
	if (slash) {
		size_t pn = n - an - 1;

		bad = pn == 0 || pn > 3;
		plen = 0;
		for (size_t i = 0; !bad && i < pn; i++) {
			bad = slash[1 + i] < '0' || slash[1 + i] > '9';
			plen = plen * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (bad || plen > max) {
			ps_err(ps, at, "prefix length \"%.*s\" out of range [0, %u]", (int)(pn > 8 ? 8 : pn),
			       slash + 1, max);
			return -1;
		}
	}
	out->plen = (uint8_t)plen;
	bad = false;
	for (unsigned b = plen; b < max; b++)
		if (out->a[b / 8] & (0x80u >> (b % 8))) {
			out->a[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
			bad = true;
		}
	if (bad) {
		char net[64];

		inet_ntop(out->af == 6 ? AF_INET6 : AF_INET, out->a, net, sizeof(net));
		ps_err(ps, at, "\"%.*s\" has host bits set past /%u: did you mean %s/%u?", (int)n, t,
		       plen, net, plen);
		return -1;
	}
	return 0;
bad_addr:
	ps_err(ps, at, "\"%.*s\" is not an IPv4 or IPv6 address or prefix (192.0.2.0/24, "
		       "2001:db8::/32)",
	       (int)(n > 48 ? 48 : n), t);
	return -1;
}

/* ps_cidrs - a comma-separated list of addresses and prefixes, after "in",
 * into c (in the arena). */
int ps_cidrs(struct ps *ps, struct lx *lx, struct rs_cond *c)
{
	const char *after = "\"in\"";
	struct rs_cidr *v;
	char fb[48];

	ps->n_cidrs = 0;
	for (;;) {
		struct rs_loc at;
		size_t s;

		lx_blank(lx);
		at = lx_here(lx);
		s = lx->pos;
		while (lx->pos < lx->len && !strchr(" \t\r\n,#&\\", lx->p[lx->pos]))
			lx->pos++;
		if (lx->pos == s) {
			ps_err(ps, at, "expected an address or prefix after %s (192.0.2.0/24, "
				       "2001:db8::/32), found %s",
			       after, FOUND(lx));
			return -1;
		}
		if (ps->n_cidrs == ps->cap_cidrs) {
			uint32_t cap = ps->cap_cidrs ? ps->cap_cidrs * 2 : 16;

			v = realloc(ps->cidrs, cap * sizeof(*v));
			if (v == NULL) {
				ps->oom = true;
				return -1;
			}
			ps->cidrs = v;
			ps->cap_cidrs = cap;
		}
		if (cidr_parse(ps, at, lx->p + s, lx->pos - s, &ps->cidrs[ps->n_cidrs]) < 0)
			return -1;
		ps->n_cidrs++;
		lx_blank(lx);
		if (lx_peek(lx, 0) != ',')
			break;
		lx->pos++;
		after = "\",\"";
	}
	v = ps_alloc(ps, ps->n_cidrs * sizeof(*v));
	if (v == NULL)
		return -1;
	memcpy(v, ps->cidrs, ps->n_cidrs * sizeof(*v));
	c->cidr = v;
	c->n_cidr = ps->n_cidrs;
	return 0;
}
