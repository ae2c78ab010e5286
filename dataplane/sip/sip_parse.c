/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * sip_parse.c - framing, start line, header index and the per-packet sanity
 * checks of RFC 3261.
 *
 * The header section is scanned 64 bytes at a time with SIMD: one pass gives
 * a bitmask of line feeds and one of bytes a header may not hold (controls
 * other than HT, a CR not followed by LF, DEL; a control right before a LF
 * is left to the line walk, which looks at that byte anyway). Lines are
 * then walked by popping bits, and only header names are looked at byte by
 * byte (with a SIMD token test where available), so the cost per message is
 * one vector pass over the header bytes plus a small constant per header.
 */
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "sip_priv.h"

/* ---- the 64-byte block scanner ---- */

/* The constants of the AVX2 blk_masks(), made once a parse and kept in the
 * scan state: GCC would build them again at every entry into the block loop,
 * that is about once a block, as a header line is about as long as one. */
struct blk_k {
#if defined(__AVX2__) && !defined(__AVX512BW__)
	__m256i lo_t, hi_t, ctl_t, nib;
#else
	char none;
#endif
};

static inline struct blk_k blk_k_make(void)
{
	struct blk_k k;

#if defined(__AVX2__) && !defined(__AVX512BW__)
	/* Each byte is classified by two nibble lookups: x = lo_t[low nibble]
	 * & hi_t[high nibble] is 0x80 for LF, 1, 2, 4 or 8 for a control
	 * (0x00-0x0f but HT, LF and CR; 0x10-0x1f; DEL; CR) and 0 for any
	 * other; ctl_t[x] has its top bit set for those controls. */
#define LO_T 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, (char)0x82, 3, 3, 0x0a, 3, 7
#define HI_T (char)0x89, 2, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0
#define CTL_T 0, (char)0x80, (char)0x80, 0, (char)0x80, 0, 0, 0, (char)0x80, 0, 0, 0, 0, 0, 0, 0
	k.lo_t = _mm256_setr_epi8(LO_T, LO_T);
	k.hi_t = _mm256_setr_epi8(HI_T, HI_T);
	k.ctl_t = _mm256_setr_epi8(CTL_T, CTL_T);
#undef CTL_T
#undef HI_T
#undef LO_T
	k.nib = _mm256_set1_epi8(0x0f);
	/* opaque from here on, so that they are not rebuilt where used */
	__asm__("" : "+x"(k.lo_t), "+x"(k.hi_t), "+x"(k.ctl_t), "+x"(k.nib));
#else
	k.none = 0;
#endif
	return k;
}

struct scan {
	struct blk_k k;
	const uint8_t *buf;
	const uint8_t *end; /* of the bytes to scan: the datagram, cut at a forbidden byte */
	const uint8_t *at;  /* the current block */
	uint64_t lf;	    /* line feeds of the current block not yet returned */
	uint32_t first_bad; /* offset of the first forbidden byte seen, or ~0 */
};

/* Masks of one block of 64 bytes at p (all readable): line feeds, and the
 * controls a header may not hold at that place but for the one before a line
 * feed: all controls but HT and LF (a CR among them); DEL. */
static inline void blk_masks(const uint8_t *p, const struct blk_k *k, uint64_t *lf,
			     uint64_t *ctl)
{
	(void)k;
#if defined(__AVX512BW__)
	__m512i b = _mm512_loadu_si512((const void *)p);
	__mmask64 l = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('\n'));
	__mmask64 t = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('\t'));
	__mmask64 c = _mm512_cmple_epu8_mask(b, _mm512_set1_epi8(0x1f));
	__mmask64 d = _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8(0x7f));
	*lf = l;
	*ctl = (c & ~(l | t)) | d;
#elif defined(__AVX2__)
	/* Two halves, each byte classified as blk_k_make() says. LF is then
	 * x's top bit, a control that of ctl_t[x] (which a top bit in x
	 * zeroes). The tables are lookups, where compares would need more
	 * splatted constants. */
	const __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
	const __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	/* The low nibble needs no mask: the shuffle takes a byte's low 4 bits
	 * and gives 0 for one of 0x80-0xff, the class of those. */
#define CLASS(b) _mm256_and_si256( \
			_mm256_shuffle_epi8(k->lo_t, (b)), \
			_mm256_shuffle_epi8(k->hi_t, _mm256_and_si256(_mm256_srli_epi16((b), 4), k->nib)))
	const __m256i xl = CLASS(lo), xh = CLASS(hi);
#undef CLASS
#define MASK64(f) ((uint64_t)(uint32_t)_mm256_movemask_epi8(f(xl)) | \
		   (uint64_t)(uint32_t)_mm256_movemask_epi8(f(xh)) << 32)
#define LF(x)  (x)
#define CTL(x) _mm256_shuffle_epi8(k->ctl_t, (x))
	*lf = MASK64(LF);
	*ctl = MASK64(CTL);
#undef CTL
#undef LF
#undef MASK64
#elif defined(__SSE2__)
	uint64_t ml = 0, mc = 0;
	for (int q = 0; q < 4; q++) {
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * q));
		__m128i l = _mm_cmpeq_epi8(b, _mm_set1_epi8('\n'));
		__m128i t = _mm_cmpeq_epi8(b, _mm_set1_epi8('\t'));
		__m128i c = _mm_cmpeq_epi8(_mm_min_epu8(b, _mm_set1_epi8(0x1f)), b);
		__m128i d = _mm_cmpeq_epi8(b, _mm_set1_epi8(0x7f));
		c = _mm_or_si128(_mm_andnot_si128(_mm_or_si128(l, t), c), d);
		ml |= (uint64_t)(uint16_t)_mm_movemask_epi8(l) << (16 * q);
		mc |= (uint64_t)(uint16_t)_mm_movemask_epi8(c) << (16 * q);
	}
	*lf = ml;
	*ctl = mc;
#else
	uint64_t l = 0, c = 0;
	for (int i = 0; i < 64; i++) {
		uint8_t x = p[i];
		l |= (uint64_t)(x == '\n') << i;
		c |= (uint64_t)((x < 0x20 && x != '\t' && x != '\n') || x == 0x7f) << i;
	}
	*lf = l;
	*ctl = c;
#endif
}

/* Records the masks of the block at s->at, whose bytes are at p + skip
 * (p holds 64 readable bytes). */
static inline void scan_masks(struct scan *s, const uint8_t *p, uint32_t left, uint64_t valid,
			      unsigned skip)
{
	uint64_t lf, ctl;

	blk_masks(p, &s->k, &lf, &ctl);
	lf >>= skip;
	ctl >>= skip;
	lf &= valid;
	/* A control right before a LF is not judged here but by next_line(),
	 * which looks at that byte anyway: a CR is allowed there, and another
	 * control is then the first forbidden byte (the scan passed the bytes
	 * before it). So the scan needs no mask of CRs of its own. */
	uint64_t bad = ctl & ~(lf >> 1) & valid;
	if (__builtin_expect(bad != 0, 0)) {
		/* Two more controls are let through, looked at only here as
		 * few blocks have a control in either place: the one at bit 63
		 * when the next block starts with a LF, and a CR that is the
		 * datagram's last byte: on a stream its LF may be on the way,
		 * and a datagram that ends there is truncated anyway. */
		if (left > 64 && s->at[64] == '\n')
			bad &= ~(1ull << 63);
		if (left <= 64 && s->end[-1] == '\r')
			bad &= ~(1ull << (left - 1));
	}
	if (__builtin_expect(bad != 0, 0)) {
		/* No line reaches past a forbidden byte: the scan ends there, so
		 * that the line loop needs no check of its own (line_error then
		 * tells the bad byte from a missing line end). */
		unsigned at = (unsigned)__builtin_ctzll(bad);
		s->first_bad = (uint32_t)(s->at - s->buf) + at;
		s->end = s->buf + s->first_bad;
		lf &= (1ull << at) - 1;
	}
	s->lf = lf;
}

/* Copies the last block, shorter than 64 bytes, into tail so that no load
 * reads past the datagram. Out of line, as most messages end in the body;
 * it takes no pointer to the scan state, which then stays in registers. */
static __attribute__((noinline)) void copy_tail(uint8_t *tail, const uint8_t *p, uint32_t left)
{
	memset(tail, 'x', 64);
	memcpy(tail, p, left);
}

/* Loads the block at s->at: never reads outside the datagram. A short last
 * block is read as the datagram's last 64 bytes, overlapping the block
 * before, with the masks shifted into place; only a datagram shorter than
 * 64 bytes is copied, which only the first block can be (first): the
 * others start at 64 or more, so the callers of those have no copy. */
static inline __attribute__((always_inline)) void scan_load(struct scan *s, bool first)
{
	uint32_t left = (uint32_t)(s->end - s->at);

	if (__builtin_expect(left >= 64, 1)) {
		scan_masks(s, s->at, left, ~0ull, 0);
	} else if (!first || s->end - s->buf >= 64) {
		scan_masks(s, s->end - 64, left, (1ull << left) - 1, 64 - left);
	} else {
		uint8_t tail[64];
		copy_tail(tail, s->at, left);
		scan_masks(s, tail, left, (1ull << left) - 1, 0);
	}
}

/* Starts the scan at offset 'from' (before s->end): line feeds before it are
 * not returned. */
static inline void scan_start(struct scan *s, uint32_t from)
{
	s->at = s->buf + (from & ~63u);
	scan_load(s, true);
	s->lf &= ~0ull << (from & 63u);
}

/* Moves to the next block that holds a line feed; false when there is none
 * before s->end. */
static inline __attribute__((always_inline)) bool scan_next_block(struct scan *s)
{
	do {
		if (s->end - s->at <= 64)
			return false;
		s->at += 64;
		scan_load(s, false);
	} while (s->lf == 0);
	return true;
}

/* The next line feed, each returned once and in order (the block
 * must hold one: see scan_next_block). A bit is cleared as its line feed is
 * returned, so the next one is the lowest bit left, whatever the line's
 * length. */
static inline const char *scan_pop_lf(struct scan *s)
{
	const char *lf = (const char *)s->at + __builtin_ctzll(s->lf);

	s->lf &= s->lf - 1;
	return lf;
}

/* ---- the header index ---- */

#if defined(__SSSE3__)
/* For a name of each length (1..15): pick, the lanes of the four bytes that
 * hdr_slot() hashes, for one shuffle (the first, the third or the last when
 * there are fewer than three, the second-last or the first, the last); and
 * lanes, the mask of the name's lanes, with bit 16 set for one letter so
 * that no compare of 16 lanes matches it: sip_hdr_lc holds the full name of
 * a compact form. */
#define NAME(n) {(uint32_t)((n) > 2 ? 2 : (n) - 1) << 8 | \
		 (uint32_t)((n) > 1 ? (n) - 2 : 0) << 16 | (uint32_t)((n) - 1) << 24, \
		 ((1u << (n)) - 1) | (uint32_t)((n) == 1) << 16}
static const struct {
	uint32_t pick, lanes;
} name_lanes[16] = {
	{0, 0},	  NAME(1),  NAME(2),  NAME(3),	NAME(4),  NAME(5),  NAME(6),  NAME(7),
	NAME(8),  NAME(9),  NAME(10), NAME(11), NAME(12), NAME(13), NAME(14), NAME(15),
};
#undef NAME
#endif

/* The ':' splatted for name_fast(), made once by index_headers and opaque
 * to GCC, which would otherwise build it again for every line. */
struct name_k {
#if defined(__SSSE3__)
	__m128i colon;
#else
	char none;
#endif
};

static inline struct name_k name_k_make(void)
{
	struct name_k k;
#if defined(__SSSE3__)
	k.colon = _mm_set1_epi8(':');
	__asm__("" : "+x"(k.colon));
#else
	k.none = 0;
#endif
	return k;
}

/* The usual header name, in one 16-byte load: the search for the ':', the
 * bytes of the hash, the compare with the canonical name and, for a name
 * that is none of those known, the token test all come from the same
 * register, with no branch on the name's length. p must have 16 readable
 * bytes (the caller checks) and start a line, whose end is a CR or a LF (see
 * next_line). Sets *nlp and *idp (and SIP_MSG_COMPACT in *flags for a known
 * compact form) and returns true for a name of 1..15 token bytes followed
 * directly by ':'; returns false, deciding nothing, for anything else (a
 * longer name, whitespace before the colon, a malformed name, an empty line,
 * a folded one), which the general path then handles. */
static inline bool name_fast(const char *p, const struct name_k *k, uint32_t *nlp, unsigned *idp,
			     uint32_t *flags)
{
#if defined(__SSSE3__)
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i lc = _mm_or_si128(b, _mm_set1_epi8(0x20));
	/* nl: where the first ':' is, 32 when there is none */
	unsigned nl = (unsigned)__builtin_ctz(
		(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, k->colon)) | 1u << 31);
	if (nl - 1 >= 15)
		return false;

	/* hdr_candidate(), with the hashed bytes picked by one shuffle. The
	 * compare with a known name is the token test too: OR 0x20 maps onto
	 * the bytes of a known name ([a-z0-9-]) only those bytes themselves,
	 * capitals, controls that no line holds, and the CR before a LF,
	 * which never matches: its LF would be the next lane, and that maps
	 * onto '*', or else it is at nl, where the ':' is. So a match is a
	 * name of exactly nl token bytes whatever the lanes past the line. */
	uint32_t w = (uint32_t)_mm_cvtsi128_si32(
		_mm_shuffle_epi8(lc, _mm_cvtsi32_si128((int)name_lanes[nl].pick)));
	unsigned slot = sip_hdr_slot[hdr_slot_word(w, nl)];
	unsigned id = slot & 0xff;
	if (__builtin_expect(nl == slot >> 8, 1)) {
		/* sip_hdr_lc is zero-padded past the name and no byte of lc is
		 * zero (OR 0x20): no lane from nl on is equal, so a match is
		 * exactly the name's lanes */
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)sip_hdr_lc[id]);
		if (__builtin_expect((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(lc, c)) ==
					     name_lanes[nl].lanes, 1))
			goto known;
		if (__builtin_expect(nl == 1, 0) && (uint8_t)(p[0] | 0x20) == sip_hdr_compact[id]) {
			*flags |= SIP_MSG_COMPACT;
			goto known;
		}
	}
	/* Another name: its nl bytes must all be token bytes. */
	if (class_stops(b, sip_tok_lo) & name_lanes[nl].lanes)
		return false;
	id = SIP_HDR_OTHER;
known:
	*nlp = nl;
	*idp = id;
	return true;
#else
	(void)p, (void)k, (void)nlp, (void)idp, (void)flags;
	return false;
#endif
}

/* Writes one index record as two 32-bit halves built in general registers
 * (which GCC stores as one 8-byte word; built as one 64-bit value, it costs
 * more shifts). Field by field, byte-typed stores would alias everything
 * and make the compiler reload this loop's state after each; as a struct
 * literal, GCC's SLP vectorizer assembles it in vector registers, which
 * measured 5% slower on the whole parse. */
static inline void hdr_store(struct sip_hdr *h, uint32_t name_off, uint32_t name_len,
			     uint32_t id, uint32_t value_off, uint32_t value_len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	_Static_assert(sizeof(struct sip_hdr) == 8 && offsetof(struct sip_hdr, id) == 3 &&
			       offsetof(struct sip_hdr, value_len) == 6,
		       "struct sip_hdr layout");
	uint32_t v[2] = {name_off | name_len << 16 | id << 24, value_off | value_len << 16};
	memcpy(h, v, sizeof(v));
#else
	struct sip_hdr r = {(uint16_t)name_off, (uint8_t)name_len, (uint8_t)id,
			    (uint16_t)value_off, (uint16_t)value_len};
	memcpy(h, &r, sizeof(r));
#endif
}

/* ---- start line ---- */

enum sip_method sip_method_lookup(const char *p, uint32_t len)
{
	/* Dispatch on the first letter; methods are case-sensitive (7.1). */
#define M(id, lit) \
	if (len == sizeof(lit) - 1 && memcmp(p, lit, sizeof(lit) - 1) == 0) \
		return SIP_METHOD_##id
	if (len < 3)
		return SIP_METHOD_OTHER;
	switch (p[0]) {
	case 'I': M(INVITE, "INVITE"); M(INFO, "INFO"); break;
	case 'A': M(ACK, "ACK"); break;
	case 'B': M(BYE, "BYE"); break;
	case 'C': M(CANCEL, "CANCEL"); break;
	case 'O': M(OPTIONS, "OPTIONS"); break;
	case 'R': M(REGISTER, "REGISTER"); M(REFER, "REFER"); break;
	case 'P': M(PRACK, "PRACK"); M(PUBLISH, "PUBLISH"); break;
	case 'S': M(SUBSCRIBE, "SUBSCRIBE"); break;
	case 'N': M(NOTIFY, "NOTIFY"); break;
	case 'U': M(UPDATE, "UPDATE"); break;
	case 'M': M(MESSAGE, "MESSAGE"); break;
	default: break;
	}
#undef M
	return SIP_METHOD_OTHER;
}

/* Word compares, with the letters' case ignored by OR 0x20 (exact for the
 * letters: only 'S' and 's' give 's'); "   " is the OR for three letters
 * and an exact fourth byte. */
static inline bool is_sip20(const char *p, uint32_t len)
{
	return len == 7 && (ld32(p) | ld32("   ")) == ld32("sip/") && ld32(p + 3) == ld32("/2.0");
}

static inline bool is_sip_slash(const char *p, const char *end)
{
	return end - p >= 4 && (ld32(p) | ld32("   ")) == ld32("sip/");
}

/* Sets the error and returns its negation, for one-line error exits. */
static int fail(struct sip_msg *m, enum sip_err e, const char *at)
{
	m->err = (uint16_t)e;
	m->err_off = (uint32_t)(at - m->buf);
	return -(int)e;
}

/* fail() from inside the header loop, which counts headers in a register
 * (see sip_parse) and stores the count only on its way out. */
static int fail_at(struct sip_msg *m, unsigned nh, enum sip_err e, const char *at)
{
	m->nhdrs = (uint16_t)nh;
	return fail(m, e, at);
}

static int parse_status_line(struct sip_msg *m, const char *p, const char *e)
{
	const char *sp = find_byte(p, e, ' ');
	if (sp == NULL)
		return fail(m, SIP_ERR_BAD_START_LINE, e);
	if (!is_sip20(p, (uint32_t)(sp - p)))
		return fail(m, SIP_ERR_BAD_VERSION, p);
	m->version = mkstr(p, sp);
	const char *c = sp + 1;
	if (e - c < 3 || !is_digit((uint8_t)c[0]) || !is_digit((uint8_t)c[1]) ||
	    !is_digit((uint8_t)c[2]) || (e - c > 3 && c[3] != ' '))
		return fail(m, SIP_ERR_BAD_STATUS, c);
	unsigned code = (unsigned)(c[0] - '0') * 100 + (unsigned)(c[1] - '0') * 10 +
			(unsigned)(c[2] - '0');
	if (code < 100 || code > 699)
		return fail(m, SIP_ERR_BAD_STATUS, c);
	m->status = (uint16_t)code;
	/* RFC 3261 requires the SP before an empty reason; "SIP/2.0 200" with
	 * none is common enough in the wild to be taken as an empty reason. */
	m->reason = e - c > 3 ? mkstr(c + 4, e) : mkstr(c + 3, c + 3);
	return 0;
}

static int parse_request_line(struct sip_msg *m, const char *p, const char *e, const char *lim)
{
	uint32_t tl = token_len(p, e, lim);
	const char *sp = p + tl;
	if (tl == 0)
		return fail(m, SIP_ERR_BAD_METHOD, p);
	if (sp == e || *sp != ' ')
		return fail(m, sp == e || is_ws((uint8_t)*sp) ? SIP_ERR_BAD_START_LINE :
				SIP_ERR_BAD_METHOD, sp);
	m->method_str = mkstr(p, sp);
	m->method = (uint8_t)sip_method_lookup(p, tl);
	m->flags |= SIP_MSG_REQUEST;

	const char *u = sp + 1;
	const char *usp = find_byte(u, e, ' ');
	if (usp == NULL || usp == u)
		return fail(m, SIP_ERR_BAD_START_LINE, usp ? usp : e);
	m->ruri = mkstr(u, usp);
	const char *v = usp + 1;
	if (!is_sip20(v, (uint32_t)(e - v)))
		return fail(m, is_sip_slash(v, e) ? SIP_ERR_BAD_VERSION : SIP_ERR_BAD_START_LINE, v);
	m->version = mkstr(v, e);

	/* The URI itself: a sip/sips/tel one must parse; another scheme must at
	 * least be scheme ":" followed by URI characters (absoluteURI). */
	uint32_t ul = (uint32_t)(usp - u);
	uint32_t w = ul >= 4 ? ld32(u) : 0;
	if ((w | ld32("   ")) == ld32("sip:") || (w | ld32("   ")) == ld32("tel:") ||
	    (ul >= 5 && (w | ld32("    ")) == ld32("sips") && u[4] == ':')) {
		if (sip_uri_parse_lim(u, m->ruri.len, lim, &m->uri) < 0)
			return fail(m, SIP_ERR_BAD_REQUEST_URI, u);
	} else {
		/* absoluteURI: a scheme, ":" and at least one more byte */
		const char *colon = find_byte(u, usp, ':');
		const char *se = colon != NULL ? scheme_end(u, colon) : u;
		if (se == u || colon + 1 == usp)
			return fail(m, SIP_ERR_BAD_REQUEST_URI, u);
		if (se != colon)
			return fail(m, SIP_ERR_BAD_REQUEST_URI, se);
		for (const char *q = u; q < usp; q++)
			if ((uint8_t)*q <= 0x20 || (uint8_t)*q >= 0x7f || *q == '"' ||
			    *q == '<' || *q == '>')
				return fail(m, SIP_ERR_BAD_REQUEST_URI, q);
	}
	return 0;
}

/* ---- the sanity checks after indexing ---- */

/* Whether a and b hold the same n bytes: a method's few bytes in two word
 * compares (overlapping), where memcmp costs a call. */
static inline bool same_bytes(const char *a, const char *b, uint32_t n)
{
	if (n >= 8 && n <= 16)
		return ld64(a) == ld64(b) && ld64(a + n - 8) == ld64(b + n - 8);
	if (n >= 4 && n < 8)
		return ld32(a) == ld32(b) && ld32(a + n - 4) == ld32(b + n - 4);
	if (n >= 2 && n < 4)
		return ld16(a) == ld16(b) && ld16(a + n - 2) == ld16(b + n - 2);
	return memcmp(a, b, n) == 0;
}

static int check_cseq(struct sip_msg *m)
{
	int i = sip_hdr_first(m, SIP_HDR_CSEQ);
	struct sip_str v = sip_hdr_value(m, (unsigned)i);
	const char *p = v.p, *e = v.p + v.len;
	uint64_t n;
	int d = parse_uint(p, e, 0x7fffffffu, &n);

	if (d < 0)
		return fail(m, SIP_ERR_BAD_CSEQ, p);
	p += d;
	const char *ms = skip_lws(p, e);
	if (ms == p || ms == e)
		return fail(m, SIP_ERR_BAD_CSEQ, ms);
	/* A request's CSeq method is usually its method, byte for byte, which
	 * passed the token test and the lookup already. */
	if ((m->flags & SIP_MSG_REQUEST) && (uint32_t)(e - ms) == m->method_str.len &&
	    same_bytes(ms, m->method_str.p, m->method_str.len)) {
		m->cseq = (uint32_t)n;
		m->cseq_method_str = mkstr(ms, e);
		m->cseq_method = m->method;
		return 0;
	}
	/* A known method is a token byte for byte (the lookup compares whole
	 * names), so only another gets the token test. */
	uint32_t tl = (uint32_t)(e - ms);
	enum sip_method id = sip_method_lookup(ms, tl);
	if (id == SIP_METHOD_OTHER) {
		tl = token_len(ms, e, m->buf + m->hdr_len);
		if (tl == 0 || ms + tl != e)
			return fail(m, SIP_ERR_BAD_CSEQ, ms + tl);
	}
	m->cseq = (uint32_t)n;
	m->cseq_method_str = mkstr(ms, e);
	m->cseq_method = (uint8_t)id;
	/* Known methods are recognised byte for byte, so equal ids mean equal
	 * text; only extension methods need the bytes compared. */
	if ((m->flags & SIP_MSG_REQUEST) &&
	    (m->cseq_method != m->method ||
	     (m->method == SIP_METHOD_OTHER &&
	      (tl != m->method_str.len || memcmp(ms, m->method_str.p, tl) != 0))))
		return fail(m, SIP_ERR_CSEQ_MISMATCH, ms);
	return 0;
}

static int check_call_id(struct sip_msg *m)
{
	struct sip_str v = sip_hdr_value(m, (unsigned)sip_hdr_first(m, SIP_HDR_CALL_ID));

	/* callid = word [ "@" word ] */
	const char *p = v.p, *e = v.p + v.len, *w = p;
	const char *lim = m->buf + m->hdr_len; /* readable: the header section */
	p += word_len(p, e, lim);
	if (p < e && *p == '@' && p > w) {
		w = ++p;
		p += word_len(p, e, lim);
	}
	if (p != e || p == w)
		return fail(m, SIP_ERR_BAD_CALL_ID, p);
	m->call_id = v;
	return 0;
}

/* A whole value that must be 1*DIGIT no larger than max. */
static int number_value(struct sip_msg *m, enum sip_hdr_id id, uint64_t max,
			enum sip_err err, uint64_t *out, bool clamp)
{
	struct sip_str v = sip_hdr_value(m, (unsigned)sip_hdr_first(m, id));
	const char *p = v.p, *e = v.p + v.len;
	uint64_t n = 0;
	const char *q = p;

	while (q < e && is_digit((uint8_t)*q)) {
		if (n <= max)
			n = n * 10 + (uint64_t)(*q - '0');
		q++;
	}
	if (q == p || q != e)
		return fail(m, err, q);
	if (n > max) {
		if (!clamp)
			return fail(m, err, p);
		n = max;
	}
	*out = n;
	return 0;
}

/* Single-valued headers may repeat only with the same value. */
static int check_duplicates(struct sip_msg *m)
{
	for (unsigned i = 0; i < m->nhdrs; i++) {
		unsigned id = m->hdrs[i].id;
		if (!(sip_hdr_flags[id] & HDRF_SINGLE) || m->first[id] == i)
			continue;
		struct sip_str a = sip_hdr_value(m, m->first[id]);
		struct sip_str b = sip_hdr_value(m, i);
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
			return fail(m, SIP_ERR_DUPLICATE_HEADER, b.p);
	}
	return 0;
}

static int check_headers(struct sip_msg *m, bool dups)
{
	static const struct {
		uint8_t id, err;
	} mandatory[] = {
		{SIP_HDR_VIA, SIP_ERR_MISSING_VIA},
		{SIP_HDR_FROM, SIP_ERR_MISSING_FROM},
		{SIP_HDR_TO, SIP_ERR_MISSING_TO},
		{SIP_HDR_CALL_ID, SIP_ERR_MISSING_CALL_ID},
		{SIP_HDR_CSEQ, SIP_ERR_MISSING_CSEQ},
	};
	uint64_t n;
	int rc;

	for (unsigned i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
		if (m->first[mandatory[i].id] == SIP_HDR_NONE)
			return fail(m, mandatory[i].err, m->buf + m->hdr_len);
	/* Their contents are parsed on demand; an empty one is refused here. */
	static const struct {
		uint8_t id, err;
	} nonempty[] = {
		{SIP_HDR_VIA, SIP_ERR_BAD_VIA},
		{SIP_HDR_FROM, SIP_ERR_BAD_NAME_ADDR},
		{SIP_HDR_TO, SIP_ERR_BAD_NAME_ADDR},
	};
	for (unsigned i = 0; i < sizeof(nonempty) / sizeof(nonempty[0]); i++) {
		unsigned h = m->first[nonempty[i].id];
		if (m->hdrs[h].value_len == 0)
			return fail(m, nonempty[i].err, m->buf + m->hdrs[h].value_off);
	}
	if (dups && (rc = check_duplicates(m)) < 0)
		return rc;
	if ((rc = check_cseq(m)) < 0 || (rc = check_call_id(m)) < 0)
		return rc;
	if (m->first[SIP_HDR_CONTENT_LENGTH] != SIP_HDR_NONE) {
		if ((rc = number_value(m, SIP_HDR_CONTENT_LENGTH, SIP_MSG_MAX_HARD,
				       SIP_ERR_BAD_CONTENT_LENGTH, &n, false)) < 0)
			return rc;
		m->content_length = (int32_t)n;
	}
	if (m->first[SIP_HDR_MAX_FORWARDS] != SIP_HDR_NONE) {
		if ((rc = number_value(m, SIP_HDR_MAX_FORWARDS, 255,
				       SIP_ERR_BAD_MAX_FORWARDS, &n, false)) < 0)
			return rc;
		m->max_forwards = (int16_t)n;
	}
	/* RFC 3261 20.19: a larger delta-seconds means 2^32-1. */
	if (m->first[SIP_HDR_EXPIRES] != SIP_HDR_NONE) {
		if ((rc = number_value(m, SIP_HDR_EXPIRES, 0xffffffffu,
				       SIP_ERR_BAD_EXPIRES, &n, true)) < 0)
			return rc;
		m->expires = (int64_t)n;
	}
	return 0;
}

/* ---- the indexer ---- */

void sip_limits_default(struct sip_limits *lim)
{
	lim->max_msg = SIP_DEF_MAX_MSG;
	lim->max_hdrs = SIP_DEF_MAX_HDRS;
	lim->max_line = SIP_DEF_MAX_LINE;
}

static void msg_reset(struct sip_msg *m, const char *buf)
{
	/* Everything up to the header array; the array is written as filled.
	 * In 32-byte stores: GCC's rep stos costs three times the instructions. */
	clear_block(m, offsetof(struct sip_msg, first));
	memset(m->first, SIP_HDR_NONE, sizeof(m->first));
	m->buf = buf;
	m->content_length = -1;
	m->max_forwards = -1;
	m->expires = -1;
}

/* Appends a folded line [p, e) to the last header's value. */
static int fold_line(struct sip_msg *m, unsigned nh, const char *p, const char *e)
{
	struct sip_hdr *h = &m->hdrs[nh - 1];
	const char *vs = m->buf + h->value_off;
	const char *ve = rtrim_lws(p, e);

	m->flags |= SIP_MSG_FOLDED;
	if (ve == p) /* a continuation of nothing but whitespace adds nothing */
		return 0;
	if (h->value_len == 0) /* the value started on this line */
		vs = skip_lws(p, ve);
	if (ve > vs) {
		h->value_off = (uint16_t)(vs - m->buf);
		h->value_len = (uint16_t)(ve - vs);
	}
	return 0;
}

/* fail_at() for the header line at p that is one too many. SIP_MSG_COMPACT
 * is for the headers indexed, but the line was flagged as its name was
 * read (off the usual path): flag again from those indexed. */
static __attribute__((noinline)) int too_many(struct sip_msg *m, unsigned nh, const char *p)
{
	m->flags &= ~SIP_MSG_COMPACT;
	for (unsigned i = 0; i < nh; i++)
		if (m->hdrs[i].name_len == 1 && m->hdrs[i].id != SIP_HDR_OTHER)
			m->flags |= SIP_MSG_COMPACT;
	return fail_at(m, nh, SIP_ERR_TOO_MANY_HEADERS, p);
}

/* The walk from line to line: the scan, and the limits that a line end
 * must meet. */
struct lines {
	struct scan s;
	uint32_t end;	   /* bytes the parse may look at (the scan's first len) */
	uint32_t max_line; /* bytes in a line, without its line end */
	uint8_t cut;	   /* enum sip_err of a line with no end before 'end';
			    * SIP_OK: a stream waiting for more bytes */
};

/* Why the line starting at pos has no acceptable end: no line feed before
 * the scan's end (end, or the first forbidden byte). Out of line: never
 * taken by a well-formed message. A line's length excludes its CRLF. Takes
 * the fields of struct lines, not its address, which would keep the scan
 * state of the line loop in memory. */
static int line_error(struct sip_msg *m, uint32_t first_bad, uint32_t end, uint32_t max_line,
		      enum sip_err cut, uint32_t pos)
{
	const char *buf = m->buf;
	const char *nl = memchr(buf + pos, '\n', end - pos);

	if (nl != NULL) { /* past a forbidden byte, which the scan stopped at */
		uint32_t lf = (uint32_t)(nl - buf);
		uint32_t n = lf - pos - (lf > pos && buf[lf - 1] == '\r');
		if (n > max_line)
			return fail(m, SIP_ERR_LINE_TOO_LONG, buf + pos + max_line);
		return fail(m, SIP_ERR_BAD_CHAR, buf + first_bad);
	}
	if (end - pos > max_line)
		return fail(m, SIP_ERR_LINE_TOO_LONG, buf + pos + max_line);
	if (first_bad < end)
		return fail(m, SIP_ERR_BAD_CHAR, buf + first_bad);
	return cut == SIP_OK ? 0 : fail(m, cut, buf + end);
}

/* next_line() once the line feed lf of the line at p is known; its length
 * is tested against max_line only when check is set. */
static inline __attribute__((always_inline)) int
line_at(struct sip_msg *m, const struct lines *l, const char *buf, const char *p, const char *lf,
	const char **e, bool check)
{
	/* A branch on the CR that SIP requires, rather than the CR's flag
	 * subtracted from lf and tested again for SIP_MSG_BARE_LF. */
	if (__builtin_expect(lf[-1] == '\r', 1)) {
		*e = lf - 1;
		if (check && __builtin_expect((uint32_t)(*e - p) > l->max_line, 0))
			return fail(m, SIP_ERR_LINE_TOO_LONG, p + l->max_line);
	} else {
		/* the control before a LF that the scan left to this test: the
		 * first forbidden byte, as the scan passed the bytes before it */
		uint8_t b = (uint8_t)lf[-1];
		if ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7f)
			return line_error(m, (uint32_t)(lf - 1 - buf), l->end, l->max_line,
					  (enum sip_err)l->cut, (uint32_t)(p - buf));
		*e = lf;
		if (check && (uint32_t)(*e - p) > l->max_line)
			return fail(m, SIP_ERR_LINE_TOO_LONG, p + l->max_line);
		m->flags |= SIP_MSG_BARE_LF;
	}
	return 1;
}

/* The line starting at p: sets *e to its end without the line end and
 * *next past it, and returns 1; or, when there is no acceptable line (never
 * for a well-formed message), returns 0 for a stream that needs more bytes or
 * -SIP_ERR_x. The byte before a line feed is always readable and is the
 * previous line feed when the line is empty (the first line never is:
 * sip_parse skips leading line ends), so the CR test needs no bound.
 * A line that ends in the block it starts in is at most 63 bytes: only one
 * that the scan had to move to another block for can be longer than a
 * max_line of 63 or more (long_max), so only that one is measured then. */
static inline __attribute__((always_inline)) int
next_line(struct sip_msg *m, struct lines *l, const char *buf, const char *p, const char **e,
	  const char **next, bool long_max)
{
	const char *lf;

	if (__builtin_expect(l->s.lf == 0, 0)) {
		if (!scan_next_block(&l->s))
			return line_error(m, l->s.first_bad, l->end, l->max_line,
					  (enum sip_err)l->cut, (uint32_t)(p - buf));
		lf = scan_pop_lf(&l->s);
		*next = lf + 1;
		return line_at(m, l, buf, p, lf, e, true);
	}
	lf = scan_pop_lf(&l->s);
	*next = lf + 1;
	return line_at(m, l, buf, p, lf, e, !long_max);
}

/* Indexes the header lines from next to the empty line into m->hdrs, m->nhdrs
 * and m->first[]; *dups is set when a single-valued header repeats. Returns
 * the offset past the empty line, or what next_line() returns for a line with
 * no acceptable end, or -SIP_ERR_x. len: the bytes readable at m->buf. Apart
 * from sip_parse so that the loop's state has the registers to itself. */
static inline __attribute__((always_inline)) int
index_loop(struct sip_msg *m, const struct lines *lp, const char *next, uint32_t max_hdrs,
	   uint32_t len, bool *dups, bool long_max)
{
	struct lines l = *lp; /* a copy that the stores below cannot alias */
	const char *buf = (const char *)l.s.buf; /* m->buf, in the scan's register */
	const char *lim = buf + len;
	/* name_fast() loads 16 bytes at a line start up to here */
	const uintptr_t last16 = len >= 16 ? (uintptr_t)(lim - 16) : 0;
	const char *p, *e;
	int rc;

	/* The header count lives in a register: as m->nhdrs, every line would
	 * wait on the store-to-load forwarding of the line before. Each line
	 * ends at a LF that the scan found, so the byte at e (CR or LF) stops
	 * every whitespace loop below without a bounds check. */
	unsigned nh = 0;
	const struct name_k nk = name_k_make();
	for (;;) {
		p = next;
		if ((rc = next_line(m, &l, buf, p, &e, &next, long_max)) <= 0) {
			m->nhdrs = (uint16_t)nh;
			return rc;
		}
		/* name_fast() refuses the empty line and a folded one (no name
		 * at p), so the usual line is tested for neither. */
		uint32_t nl;
		unsigned id;
		const char *c;
		if (__builtin_expect((uintptr_t)p <= last16 &&
					     name_fast(p, &nk, &nl, &id, &m->flags), 1)) {
			c = p + nl;
		} else {
			if (p == e)
				break; /* the empty line: end of headers */
			if (is_ws((uint8_t)*p)) {
				if (nh == 0)
					return fail(m, SIP_ERR_BAD_FOLDING, p);
				fold_line(m, nh, p, e);
				continue;
			}
			nl = token_len(p, e, lim);
			c = p + nl;
			/* nl - 1 > 254: an empty name, or one too long for the index */
			if (*c != ':' || nl - 1 > 254) {
				while (is_ws((uint8_t)*c)) /* HCOLON allows WS before ':' */
					c++;
				if (nl == 0 || nl > 255 || *c != ':')
					return fail_at(m, nh, SIP_ERR_BAD_HEADER_NAME,
						       nl == 0 || nl > 255 ? p : c);
			}
			id = hdr_id_of(p, nl);
			if (nl == 1 && id != SIP_HDR_OTHER)
				m->flags |= SIP_MSG_COMPACT;
		}
		if (__builtin_expect(nh >= max_hdrs, 0))
			return too_many(m, nh, p);

		/* The value, trimmed: usually one SP after the colon and no
		 * whitespace at its end, which cost a test each. The trailing
		 * loop needs no bound but at an empty value, whose last byte
		 * before e is the colon or the whitespace just skipped. No byte
		 * of a line is below SP but HT and the line end (CR or LF, at
		 * an empty value), so '<= SP' lets through a superset of the
		 * whitespace, which the loops then test exactly. */
		const char *vs = c + 2;
		if (__builtin_expect(c[1] != ' ' || (uint8_t)*vs <= ' ', 0)) {
			vs = c + 1;
			while (is_ws((uint8_t)*vs))
				vs++;
		}
		const char *ve = e;
		if (__builtin_expect((uint8_t)ve[-1] <= ' ', 0))
			while (ve > vs && is_ws((uint8_t)ve[-1]))
				ve--;

		unsigned idx = nh++;
		hdr_store(&m->hdrs[idx], (uint32_t)(p - buf), nl, id, (uint32_t)(vs - buf),
			  (uint32_t)(ve - vs));
		if (m->first[id] == SIP_HDR_NONE)
			m->first[id] = (uint8_t)idx;
		else if (sip_hdr_flags[id] & HDRF_SINGLE)
			*dups = true;
	}
	m->nhdrs = (uint16_t)nh;
	return (int)(next - buf);
}

/* index_loop() in two copies, so that the usual one has no length test on
 * a line that ends in the block it starts in. */
static __attribute__((noinline)) int index_headers(struct sip_msg *m, const struct lines *lp,
						   const char *next, uint32_t max_hdrs, uint32_t len,
						   bool *dups)
{
	if (__builtin_expect(lp->max_line >= 63, 1))
		return index_loop(m, lp, next, max_hdrs, len, dups, true);
	return index_loop(m, lp, next, max_hdrs, len, dups, false);
}

int sip_parse(const char *buf, uint32_t len, const struct sip_limits *lim,
	      unsigned opts, struct sip_msg *m)
{
	struct sip_limits def;
	const bool stream = (opts & SIP_PARSE_STREAM) != 0;
	bool dups = false;
	int rc;

	msg_reset(m, buf);
	if (len == 0) { /* buf may be NULL: no arithmetic on it */
		if (stream)
			return 0;
		m->err = SIP_ERR_EMPTY;
		return -SIP_ERR_EMPTY;
	}
	if (lim == NULL) {
		sip_limits_default(&def);
		lim = &def;
	}
	uint32_t max_msg = lim->max_msg < SIP_MSG_MAX_HARD ? lim->max_msg : SIP_MSG_MAX_HARD;
	uint32_t max_hdrs = lim->max_hdrs < SIP_HDRS_MAX_HARD ? lim->max_hdrs : SIP_HDRS_MAX_HARD;
	if (len > max_msg && !stream)
		return fail(m, SIP_ERR_TOO_LARGE, buf + max_msg);
	/* A stream parser looks no further than the limit: the message must
	 * be complete within it. */
	uint32_t slen = len > max_msg ? max_msg : len;

	/* 7.5: CRLFs before the start line are ignored (stream keep-alives,
	 * and harmless on a datagram). */
	uint32_t pos = 0;
	while (pos < slen && (buf[pos] == '\n' ||
			      (buf[pos] == '\r' && (pos + 1 == slen || buf[pos + 1] == '\n'))))
		pos++;
	if (pos == slen) {
		if (stream && len <= max_msg)
			return 0;
		return fail(m, SIP_ERR_EMPTY, buf + pos);
	}

	struct lines l = {
		.s = {blk_k_make(), (const uint8_t *)buf, (const uint8_t *)buf + slen,
		      (const uint8_t *)buf, 0, UINT32_MAX},
		.end = slen,
		.max_line = lim->max_line,
		.cut = stream && len <= max_msg ? SIP_OK :
		       len > max_msg		 ? SIP_ERR_TOO_LARGE :
						   SIP_ERR_TRUNCATED,
	};
	scan_start(&l.s, pos);

	const char *p = buf + pos, *e = p, *next = p; /* e, next: for the compiler */
	if ((rc = next_line(m, &l, buf, p, &e, &next, false)) <= 0)
		return rc;
	rc = is_sip_slash(p, e) ? parse_status_line(m, p, e) :
				  parse_request_line(m, p, e, buf + len);
	if (rc < 0)
		return rc;

	if ((rc = index_headers(m, &l, next, max_hdrs, len, &dups)) <= 0)
		return rc;
	pos = (uint32_t)rc;
	m->hdr_len = pos;
	if ((rc = check_headers(m, dups)) < 0)
		return rc;

	/* 18.3: the body is Content-Length bytes; a datagram shorter than that
	 * is an error, one longer has its extra bytes discarded. Without the
	 * header, a datagram's body is the rest and a stream's is malformed. */
	uint32_t body = len - pos;
	if (m->content_length >= 0) {
		if ((uint32_t)m->content_length > body) {
			if (!stream)
				return fail(m, SIP_ERR_BODY_TRUNCATED, buf + len);
			if (pos + (uint32_t)m->content_length > max_msg)
				return fail(m, SIP_ERR_TOO_LARGE, buf + pos);
			return 0;
		}
		if ((uint32_t)m->content_length < body && !stream)
			m->flags |= SIP_MSG_BODY_TRIMMED;
		body = (uint32_t)m->content_length;
	} else if (stream) {
		return fail(m, SIP_ERR_BAD_CONTENT_LENGTH, buf + pos);
	}
	if (pos + body > max_msg)
		return fail(m, SIP_ERR_TOO_LARGE, buf + max_msg);
	m->body = mkstr(buf + pos, buf + pos + body);
	m->len = pos + body;
	return (int)m->len;
}
