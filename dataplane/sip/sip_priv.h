/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * sip_priv.h - what the parser's files share and nobody else needs: the
 * generated tables, character classes and small inline helpers.
 */
#ifndef SIPEDGE_SIP_PRIV_H
#define SIPEDGE_SIP_PRIV_H

#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "sip.h"
#include "sip_hdr_hash.h"

/* Bits of sip_cc[], in the order gen_hdr.py's CLASSES lists them. */
#define CC_TOKEN 0x01u
#define CC_WORD	 0x02u
#define CC_USER	 0x04u /* unreserved / user-unreserved (escapes apart) */
#define CC_PASS	 0x08u
#define CC_PARAM 0x10u
#define CC_HNV	 0x20u
#define CC_HOST	 0x40u
#define CC_TEL	 0x80u

#define HDRF_MULTI  0x01u
#define HDRF_SINGLE 0x02u
#define HDRF_EMPTY  0x04u /* the header may have an empty value */

/* Per-id facts of sip_hdr.def, in sip_names.c. */
extern const uint8_t sip_hdr_flags[SIP_HDR__COUNT];
extern const uint8_t sip_hdr_compact[SIP_HDR__COUNT];
/* Lowercase canonical names, zero-padded to 24 bytes for 8-byte compares. */
extern const char sip_hdr_lc[SIP_HDR__COUNT][24];

static inline bool cc_is(uint8_t c, unsigned cls)
{
	return (sip_cc[c] & cls) != 0;
}

static inline bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Linear whitespace inside an indexed header value: SP, HT, and the CR/LF
 * of a folded line (the indexer only lets CRLF through when SP/HT follows). */
static inline bool is_lws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool is_digit(uint8_t c)
{
	return (uint8_t)(c - '0') < 10;
}

static inline bool is_hex(uint8_t c)
{
	return is_digit(c) || (uint8_t)((c | 0x20) - 'a') < 6;
}

static inline bool is_alpha(uint8_t c)
{
	return (uint8_t)((c | 0x20) - 'a') < 26;
}

static inline uint8_t lower(uint8_t c)
{
	return (uint8_t)(c | (((uint8_t)(c - 'A') < 26) << 5));
}

static inline const char *skip_lws(const char *p, const char *end)
{
	while (p < end && is_lws((uint8_t)*p))
		p++;
	return p;
}

static inline const char *rtrim_lws(const char *start, const char *end)
{
	while (end > start && is_lws((uint8_t)end[-1]))
		end--;
	return end;
}

/* Zeroes n >= 32 bytes at p in 32-byte stores, the last one overlapping:
 * GCC clears a struct over ~128 bytes (a sip_via, a sip_uri) with rep stos,
 * some 30 instructions with the setup where this is a dozen stores. */
static inline void clear_block(void *p, size_t n)
{
	char *d = p;

#pragma GCC unroll 8
	for (size_t i = 0; i + 32 < n; i += 32)
		memset(d + i, 0, 32);
	memset(d + n - 32, 0, 32);
}

static inline struct sip_str mkstr(const char *p, const char *end)
{
	struct sip_str s = {p, (uint32_t)(end - p)};
	return s;
}

/* End of a quoted string starting at p (on the '"'), past the closing
 * quote; NULL when it is not closed. A backslash escapes the next byte. */
static inline const char *quoted_end(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\') {
			if (++p == e)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* Case-insensitive compare of n bytes; b is already lowercase. */
static inline bool ieq_lc(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (lower((uint8_t)a[i]) != (uint8_t)b[i])
			return false;
	return true;
}

/* The hash gen_hdr.py builds its table for: length and the first, third,
 * second-last and last bytes, lowercased by OR 0x20 (exact for the token
 * characters a header name may hold; the compare that follows is exact). */
/* hdr_slot() of a name of len bytes whose four hashed bytes, OR 0x20, are w
 * (lowest byte first): the arithmetic the generated table is built for.
 * sip_parse's name_fast gathers w from a register, hdr_slot from memory. */
static inline unsigned hdr_slot_word(uint32_t w, uint32_t len)
{
	uint32_t k = (len * 0x9E3779B1u) ^ w;
	return (k * SIP_HDR_HASH_SEED) >> (32 - SIP_HDR_HASH_BITS);
}

static inline unsigned hdr_slot(const uint8_t *n, uint32_t len)
{
	uint32_t w = (uint32_t)(n[0] | 0x20) |
		     (uint32_t)(n[len > 2 ? 2 : len - 1] | 0x20) << 8 |
		     (uint32_t)(n[len > 1 ? len - 2 : 0] | 0x20) << 16 |
		     (uint32_t)(n[len - 1] | 0x20) << 24;
	return hdr_slot_word(w, len);
}

static inline uint64_t ld64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t ld32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t ld16(const void *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* The only header id that the token at n (len >= 1 bytes) can have, by the
 * slot table: SIP_HDR_OTHER when its slot is empty or holds a name of another
 * length (an empty slot holds length 0). A compact form (len 1) is checked
 * whole here; a longer name still has to be compared with sip_hdr_lc[id]. */
static inline unsigned hdr_candidate(const uint8_t *n, uint32_t len)
{
	unsigned slot = sip_hdr_slot[hdr_slot(n, len)];
	unsigned id = slot & 0xff;

	if (len != slot >> 8)
		return SIP_HDR_OTHER;
	if (__builtin_expect(len == 1, 0)) /* sip_hdr_lc holds the full name */
		return (n[0] | 0x20) == sip_hdr_compact[id] ? id : SIP_HDR_OTHER;
	return id;
}

/* Header id of a token of len >= 1 bytes, or SIP_HDR_OTHER.
 * For token characters, OR 0x20 maps exactly the two cases of a letter
 * together and nothing else onto [a-z0-9-], the characters of the names in
 * sip_hdr.def; so the compare is word-wide, with overlapping loads at the
 * tail instead of a byte loop, and never reads outside the name. */
static inline unsigned hdr_id_of(const char *name, uint32_t len)
{
	const uint8_t *n = (const uint8_t *)name;
	unsigned id = hdr_candidate(n, len);

	if (id == SIP_HDR_OTHER || len == 1)
		return id;
	const char *c = sip_hdr_lc[id];
	if (len >= 8) {
		for (uint32_t i = 0; i + 8 <= len; i += 8)
			if ((ld64(n + i) | 0x2020202020202020ull) != ld64(c + i))
				return SIP_HDR_OTHER;
		return (ld64(n + len - 8) | 0x2020202020202020ull) == ld64(c + len - 8) ?
			       id : SIP_HDR_OTHER;
	}
	if (len >= 4)
		return (ld32(n) | 0x20202020u) == ld32(c) &&
			       (ld32(n + len - 4) | 0x20202020u) == ld32(c + len - 4) ?
			       id : SIP_HDR_OTHER;
	return (ld16(n) | 0x2020u) == ld16(c) && (ld16(n + len - 2) | 0x2020u) == ld16(c + len - 2) ?
		       id : SIP_HDR_OTHER;
}

/* Length of the run at p (at most end - p) of bytes in an ASCII class given
 * as nibble tables (gen_hdr.py): byte c is in it iff
 * lo_t[c & 15] & sip_nib_hi[c >> 4]. 16 bytes a step where SSSE3 is there;
 * bytes up to lim (>= end) may be loaded, and lanes past end are masked off,
 * so a run that ends near its field's end needs no byte loop. The scalar tail
 * uses the same tables, so both paths agree by construction. */
#if defined(__SSSE3__)
/* The lanes of b that are not in the class of lo_tab (a nibble table of
 * gen_hdr.py, with sip_nib_hi), as a 16-bit mask. */
static inline unsigned class_stops(__m128i b, const uint8_t *lo_tab)
{
	const __m128i nib = _mm_set1_epi8(0x0f);
	/* The low nibble needs no mask: the shuffle takes a byte's low 4 bits
	 * and gives 0 for one of 0x80-0xff, which no class holds. */
	__m128i lo = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)lo_tab), b);
	__m128i hi = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)sip_nib_hi),
				      _mm_and_si128(_mm_srli_epi16(b, 4), nib));
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128()));
}
#endif

static inline uint32_t class_len(const char *p, const char *end, const char *lim,
				 const uint8_t *lo_tab)
{
	const char *s = p;
#if defined(__SSSE3__)
	/* whole steps inside the field (lim >= end), then one masked step */
	for (; end - p >= 16; p += 16) {
		unsigned stop = class_stops(_mm_loadu_si128((const __m128i *)(const void *)p), lo_tab);
		if (stop != 0)
			return (uint32_t)(p - s) + (uint32_t)__builtin_ctz(stop);
	}
	if (lim - p >= 16) {
		unsigned stop = class_stops(_mm_loadu_si128((const __m128i *)(const void *)p), lo_tab);
		return (uint32_t)(p - s) + (uint32_t)__builtin_ctz(stop | ~0u << (end - p));
	}
#else
	(void)lim;
#endif
	while (p < end && (lo_tab[(uint8_t)*p & 15] & sip_nib_hi[(uint8_t)*p >> 4]))
		p++;
	return (uint32_t)(p - s);
}

/* class_len() for a run that may not read past end but may read back to
 * lo (<= p), such as a field handed over alone (a Via value): the last step
 * loads the 16 bytes that end at end and drops the lanes before p, so a run
 * near the field's end needs no byte loop either when end - lo >= 16. */
static inline uint32_t class_len_back(const char *p, const char *end, const char *lo,
				      const uint8_t *lo_tab)
{
#if defined(__SSSE3__)
	if (end - lo >= 16) {
		const char *s = p;
		for (; end - p > 16; p += 16) {
			unsigned stop = class_stops(_mm_loadu_si128((const __m128i *)(const void *)p),
						    lo_tab);
			if (stop != 0)
				return (uint32_t)(p - s) + (uint32_t)__builtin_ctz(stop);
		}
		unsigned stop = class_stops(_mm_loadu_si128((const __m128i *)(const void *)(end - 16)),
					    lo_tab) >> (p - (end - 16));
		return (uint32_t)(p - s) + (uint32_t)__builtin_ctz(stop | 1u << (end - p));
	}
#else
	(void)lo;
#endif
	return class_len(p, end, end, lo_tab);
}

/* First byte c in [p, e), or NULL: memchr for the short strings of a
 * start line or URI, inline, where a library call costs more than the
 * search. */
static inline const char *find_byte(const char *p, const char *e, char c)
{
#if defined(__SSE2__)
	const __m128i v = _mm_set1_epi8(c);
	for (; e - p >= 16; p += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), v));
		if (m != 0)
			return p + __builtin_ctz(m);
	}
#endif
	for (; p < e; p++)
		if (*p == c)
			return p;
	return NULL;
}

/* find_byte() that may read up to lim (>= e), as class_len() does: the
 * lanes past e are masked off, so there is no byte loop at the end. */
static inline const char *find_byte_lim(const char *p, const char *e, const char *lim, char c)
{
#if defined(__SSE2__)
	const __m128i v = _mm_set1_epi8(c);
	for (; p < e && lim - p >= 16; p += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), v));
		if (e - p < 16)
			m &= (1u << (e - p)) - 1;
		if (m != 0)
			return p + __builtin_ctz(m);
	}
#else
	(void)lim;
#endif
	return find_byte(p, e, c);
}

/* find_byte() that may also read back to lo (<= p), as class_len_back():
 * no byte loop at the end of a string of 16 bytes or more. */
static inline const char *find_byte_back(const char *p, const char *e, const char *lo, char c)
{
#if defined(__SSE2__)
	if (e - lo >= 16) {
		const __m128i v = _mm_set1_epi8(c);
		for (; e - p > 16; p += 16) {
			unsigned m = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), v));
			if (m != 0)
				return p + __builtin_ctz(m);
		}
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
				     _mm_loadu_si128((const __m128i *)(const void *)(e - 16)), v)) >>
			     (p - (e - 16));
		return m != 0 ? p + __builtin_ctz(m) : NULL;
	}
#else
	(void)lo;
#endif
	return find_byte(p, e, c);
}

/* quad_end()'s walk. Unchecked (checked false), it reads up to p + 16 with
 * no end test, for a caller that may: a quad and the byte after it are at
 * most 16 bytes, and a third of the walk's instructions were those tests.
 * out, when not NULL, gets the four numbers (written as they are read: a
 * walk that returns NULL leaves them undefined). */
static inline __attribute__((always_inline)) const char *quad_walk(const char *p, const char *e,
								    bool checked, uint8_t *out)
{
	for (unsigned i = 0;; i++) {
		if ((checked && p == e) || !is_digit((uint8_t)*p))
			return NULL;
		unsigned v = (unsigned)(*p++ - '0');
		if ((!checked || p < e) && is_digit((uint8_t)*p)) {
			v = v * 10 + (unsigned)(*p++ - '0');
			if ((!checked || p < e) && is_digit((uint8_t)*p)) {
				v = v * 10 + (unsigned)(*p++ - '0');
				if (v > 255 || ((!checked || p < e) && is_digit((uint8_t)*p)))
					return NULL;
			}
		}
		if (out != NULL)
			out[i] = (uint8_t)v;
		if (i == 3)
			return p;
		if ((checked && p == e) || *p != '.')
			return NULL;
		p++;
	}
}

/* End of the dotted quad that starts at p: four numbers of 1-3 digits, each
 * at most 255, joined by dots, the last not followed by a digit; NULL when
 * [p, e) does not start with one. The common host, in one pass. */
static inline const char *quad_end(const char *p, const char *e)
{
	return quad_walk(p, e, true, NULL);
}

/* Token and word runs in [p, end), reading at most up to lim (>= end). */
static inline uint32_t token_len(const char *p, const char *end, const char *lim)
{
	return class_len(p, end, lim, sip_tok_lo);
}

static inline uint32_t word_len(const char *p, const char *end, const char *lim)
{
	return class_len(p, end, lim, sip_word_lo);
}

/* End of the URI scheme at p, ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
 * (RFC 3986 3.1), within [p, e); p itself when there is no letter at p. */
static inline const char *scheme_end(const char *p, const char *e)
{
	if (p == e || !is_alpha((uint8_t)*p))
		return p;
	for (p++; p < e && (is_alpha((uint8_t)*p) || is_digit((uint8_t)*p) || *p == '+' ||
			    *p == '-' || *p == '.'); p++)
		;
	return p;
}

/* Numbers: 1*DIGIT, at most max; returns digits consumed or -1. */
static inline int parse_uint(const char *p, const char *end, uint64_t max, uint64_t *out)
{
	const char *s = p;
	uint64_t v = 0;

	while (p < end && is_digit((uint8_t)*p)) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return -1;
		p++;
	}
	if (p == s)
		return -1;
	*out = v;
	return (int)(p - s);
}

int sip_check_host(const char *p, const char *end, uint8_t *type);
int sip_uri_parse_lim(const char *p, uint32_t len, const char *lim, struct sip_uri *u);

#endif /* SIPEDGE_SIP_PRIV_H */
