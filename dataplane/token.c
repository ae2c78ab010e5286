/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * token.c - SipHash-2-4, signed Via branches and flow tokens (token.h).
 *
 * SipHash is a keyed PRF that is fast on short inputs (a branch or a token
 * is signed in ~20 ns); 64-bit MACs make forging one a 2^64 guess, and a
 * wrong guess costs the attacker a counted drop.
 */
#include <string.h>

#if defined(__SSSE3__) || defined(__SSE4_1__)
#include <immintrin.h>
#endif

#include "token.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);      \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                         \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                         \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);      \
	} while (0)

/* SipHash's state, kept in registers: the helpers below are inlined so
 * that a caller with a fixed input layout packs its input straight into
 * 64-bit words and feeds them, with no byte buffer and no byte loop. */
struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static inline __attribute__((always_inline)) void sip_init(struct sip_state *s,
							    const uint64_t key[2])
{
	s->v0 = 0x736f6d6570736575ULL ^ key[0];
	s->v1 = 0x646f72616e646f6dULL ^ key[1];
	s->v2 = 0x6c7967656e657261ULL ^ key[0];
	s->v3 = 0x7465646279746573ULL ^ key[1];
}

/* One message word, little-endian (the last one carries the input's length
 * in its top byte, as SipHash pads it). */
static inline __attribute__((always_inline)) void sip_word(struct sip_state *s, uint64_t m)
{
	uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3 ^ m;

	SIPROUND;
	SIPROUND;
	s->v0 = v0 ^ m;
	s->v1 = v1;
	s->v2 = v2;
	s->v3 = v3;
}

static inline __attribute__((always_inline)) uint64_t sip_final(struct sip_state *s)
{
	uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2 ^ 0xff, v3 = s->v3;

	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t token_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t b = (uint64_t)len << 56, m;
	struct sip_state s;
	size_t i;

	sip_init(&s, key);
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8); /* x86-64 is little-endian, like SipHash */
		sip_word(&s, m);
	}
	for (size_t k = 0; i + k < len; k++)
		b |= (uint64_t)p[i + k] << (8 * k);
	sip_word(&s, b);
	return sip_final(&s);
}

static const char hexd[16] = "0123456789abcdef";

/* 16 lowercase hex digits of v, most significant first. Every branch we
 * write and check has two of these: one shuffle instead of 16 steps. */
static void put_hex64(char *out, uint64_t v)
{
#if defined(__SSSE3__)
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i x = _mm_cvtsi64_si128((long long)__builtin_bswap64(v));
	__m128i n = _mm_unpacklo_epi8(_mm_and_si128(_mm_srli_epi16(x, 4), nib),
				      _mm_and_si128(x, nib));

	_mm_storeu_si128((__m128i *)(void *)out,
			 _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)hexd), n));
#else
	for (int i = 15; i >= 0; i--) {
		out[i] = hexd[v & 15];
		v >>= 4;
	}
#endif
}

/* The value of 16 lowercase hex digits at p; false when one is not. */
static bool get_hex64(const char *p, uint64_t *v)
{
#if defined(__SSE4_1__)
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i d = _mm_sub_epi8(c, _mm_set1_epi8('0'));
	__m128i l = _mm_sub_epi8(c, _mm_set1_epi8('a'));
	/* unsigned d <= 9, l <= 5: min leaves such a lane as it is */
	__m128i isd = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
	__m128i isl = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);
	__m128i val, pairs;

	if (_mm_movemask_epi8(_mm_or_si128(isd, isl)) != 0xffff)
		return false;
	val = _mm_blendv_epi8(_mm_add_epi8(l, _mm_set1_epi8(10)), d, isd);
	/* each pair of digits: first * 16 + second, then the 8 bytes */
	pairs = _mm_maddubs_epi16(val, _mm_set1_epi16(0x0110));
	*v = __builtin_bswap64((uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(pairs, pairs)));
	return true;
#else
	uint64_t r = 0;

	for (int i = 0; i < 16; i++) {
		unsigned c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return false;
		r = r << 4 | d;
	}
	*v = r;
	return true;
#endif
}

/* The MAC of a branch: h, then where the response goes (the address,
 * its port, big-endian), then one byte of the side it arrives on and the
 * family (0: nowhere). 15 bytes for IPv4 or nowhere, which SipHash takes
 * in one word and its last, and 27 for IPv6; packed here straight into
 * the words SipHash reads. Flow tokens have their own key, so a MAC of one
 * is never valid as the other's. */
static inline __attribute__((always_inline)) uint64_t
branch_mac(const uint64_t key[2], uint64_t h, unsigned side, const struct dp_addr *to)
{
	/* nowhere (NULL, family 0) as put_dest() writes it: no tail */
	unsigned af = to != NULL && (to->ip.af == 4 || to->ip.af == 6) ? to->ip.af : 0;
	uint64_t port = af != 0 ? __builtin_bswap16(to->port) : 0;
	uint64_t tag = (uint8_t)(side << 4 | af);
	struct sip_state s;

	sip_init(&s, key);
	sip_word(&s, h);
	if (af == 6) {
		uint64_t a0, a1;

		memcpy(&a0, to->ip.a, 8);
		memcpy(&a1, to->ip.a + 8, 8);
		sip_word(&s, a0);
		sip_word(&s, a1);
		sip_word(&s, port | tag << 16 | 27ULL << 56);
	} else {
		uint32_t a = 0;

		if (af == 4)
			memcpy(&a, to->ip.a, 4);
		sip_word(&s, a | port << 32 | tag << 48 | 15ULL << 56);
	}
	return sip_final(&s);
}

/* The digits after the MAC that name where the response goes: an IPv4
 * address and port in 12, an IPv6 one in 36. */
#define DEST4_DIGITS	12u
#define DEST6_DIGITS	36u

static unsigned put_dest(char *out, const struct dp_addr *to)
{
	uint64_t hi, lo;
	char port[16];

	if (to == NULL || (to->ip.af != 4 && to->ip.af != 6))
		return 0;
	if (to->ip.af == 4) {
		uint32_t a;

		memcpy(&a, to->ip.a, 4);
		out[0] = '4';
		/* 16 digits of (address, port) << 16; the length cuts the
		 * last 4, zeros */
		put_hex64(out + 1, ((uint64_t)__builtin_bswap32(a) << 16 | to->port) << 16);
		return 1 + DEST4_DIGITS;
	}
	memcpy(&hi, to->ip.a, 8);
	memcpy(&lo, to->ip.a + 8, 8);
	out[0] = '6';
	put_hex64(out + 1, __builtin_bswap64(hi));
	put_hex64(out + 17, __builtin_bswap64(lo));
	put_hex64(port, (uint64_t)to->port << 48);
	memcpy(out + 33, port, 4);
	return 1 + DEST6_DIGITS;
}

/* Where a branch's tail (p, n bytes, after the MAC) says the response goes;
 * false when it is no tail token_branch writes. The 16 hex digits that end
 * with the 12 of an IPv4 tail or the 4 of an IPv6 port are read whole (the
 * MAC's last, the family '4', the address's 12th to 15th are hex digits
 * checked already) and the value masked, so no digit is copied. */
static bool get_dest(const char *p, unsigned n, struct dp_addr *to)
{
	uint64_t a, b, port;

	memset(to, 0, sizeof(*to));
	if (n == 0)
		return true;
	if (n == 1 + DEST4_DIGITS && p[0] == '4') {
		uint32_t ip;

		if (!get_hex64(p + 1 + DEST4_DIGITS - 16, &a))
			return false;
		a &= (1ULL << (4 * DEST4_DIGITS)) - 1;
		ip = __builtin_bswap32((uint32_t)(a >> 16));
		to->ip.af = 4;
		memcpy(to->ip.a, &ip, 4);
		to->port = (uint16_t)a;
		return true;
	}
	if (n == 1 + DEST6_DIGITS && p[0] == '6') {
		if (!get_hex64(p + 1, &a) || !get_hex64(p + 17, &b) ||
		    !get_hex64(p + 1 + DEST6_DIGITS - 16, &port))
			return false;
		a = __builtin_bswap64(a);
		b = __builtin_bswap64(b);
		to->ip.af = 6;
		memcpy(to->ip.a, &a, 8);
		memcpy(to->ip.a + 8, &b, 8);
		to->port = (uint16_t)port;
		return true;
	}
	return false;
}

unsigned token_branch(const uint64_t key[2], uint64_t h, unsigned side,
		      const struct dp_addr *to, char *out)
{
	/* the tail in place: put_dest() writes at most 17 bytes for IPv4 and
	 * 37 for IPv6, within out[TOKEN_BRANCH_MAX] */
	unsigned n = put_dest(out + TOKEN_BRANCH_MIN, to);

	memcpy(out, "z9hG4bK", 7);
	put_hex64(out + 7, h);
	put_hex64(out + 23, branch_mac(key, h, side, to));
	return TOKEN_BRANCH_MIN + n;
}

unsigned token_branch_check(const uint64_t key[2], const char *br, uint32_t avail,
			    unsigned side, struct dp_addr *to)
{
	uint64_t h, mac;
	unsigned n;

	if (avail < TOKEN_BRANCH_MIN || memcmp(br, "z9hG4bK", 7) != 0)
		return 0;
	/* the tail's first byte says its length */
	n = avail == TOKEN_BRANCH_MIN ? 0 :
	    br[TOKEN_BRANCH_MIN] == '4' ? 1 + DEST4_DIGITS :
	    br[TOKEN_BRANCH_MIN] == '6' ? 1 + DEST6_DIGITS : 0;
	if (TOKEN_BRANCH_MIN + n > avail)
		return 0;
	if (!get_hex64(br + 7, &h) || !get_hex64(br + 23, &mac) ||
	    !get_dest(br + TOKEN_BRANCH_MIN, n, to))
		return 0;
	if (branch_mac(key, h, side, to) != mac)
		return 0;
	return TOKEN_BRANCH_MIN + n;
}

#if defined(__SSSE3__)
/* 16 base64url digits of the 12 bytes at in (16 readable): Muła and
 * Lemire's encoder, the 6-bit fields moved into bytes by two multiplies,
 * then each turned into its digit by adding an offset that one shuffle
 * looks up by its range. */
static __m128i b64_enc12(const uint8_t *in)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)in), f, r;

	x = _mm_shuffle_epi8(x, _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10));
	f = _mm_or_si128(_mm_mulhi_epu16(_mm_and_si128(x, _mm_set1_epi32(0x0fc0fc00)),
					 _mm_set1_epi32(0x04000040)),
			 _mm_mullo_epi16(_mm_and_si128(x, _mm_set1_epi32(0x003f03f0)),
					 _mm_set1_epi32(0x01000010)));
	/* the offset's index: 0-25 -> 13, 26-51 -> 0, 52-61 -> 1-10, 62 -> 11, 63 -> 12 */
	r = _mm_or_si128(_mm_subs_epu8(f, _mm_set1_epi8(51)),
			 _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), f), _mm_set1_epi8(13)));
	return _mm_add_epi8(f, _mm_shuffle_epi8(_mm_setr_epi8('a' - 26, '0' - 52, '0' - 52,
							      '0' - 52, '0' - 52, '0' - 52,
							      '0' - 52, '0' - 52, '0' - 52,
							      '0' - 52, '0' - 52, '-' - 62,
							      '_' - 63, 'A', 0, 0),
						r));
}

/* base64url of the payload and MAC at in, 15 or 27 bytes (in has 40
 * readable): 20 or 36 digits. */
static unsigned b64_enc(const uint8_t *in, unsigned n, char *out)
{
	char d[48];

	_mm_storeu_si128((__m128i *)(void *)d, b64_enc12(in));
	_mm_storeu_si128((__m128i *)(void *)(d + 16), b64_enc12(in + 12));
	if (n == 15) {
		memcpy(out, d, 20);
		return 20;
	}
	_mm_storeu_si128((__m128i *)(void *)(d + 32), b64_enc12(in + 24));
	memcpy(out, d, 36);
	return 36;
}
#else
static const char b64[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static unsigned b64_enc(const uint8_t *in, unsigned n, char *out)
{
	unsigned o = 0, i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	/* the two payload sizes (15 and 27 bytes) are multiples of 3 */
	return o;
}
#endif

#if defined(__SSSE3__)
/* The 12 bytes of the 16 base64url digits at p into out (16 writable);
 * false when one is no digit. Each digit's value from its range (A-Z, a-z,
 * 0-9, '-', '_'), then the 6-bit fields packed by two multiply-adds and a
 * shuffle (Muła and Lemire's decoder). */
static bool b64_dec16(const char *p, uint8_t *out)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i u = _mm_sub_epi8(x, _mm_set1_epi8('A'));
	__m128i l = _mm_sub_epi8(x, _mm_set1_epi8('a'));
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	/* unsigned u, l <= 25, d <= 9: min leaves such a lane as it is */
	__m128i isu = _mm_cmpeq_epi8(_mm_min_epu8(u, _mm_set1_epi8(25)), u);
	__m128i isl = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l);
	__m128i isd = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
	__m128i ism = _mm_cmpeq_epi8(x, _mm_set1_epi8('-'));
	__m128i iss = _mm_cmpeq_epi8(x, _mm_set1_epi8('_'));
	__m128i v;

	if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(isu, isl),
					   _mm_or_si128(isd, _mm_or_si128(ism, iss)))) != 0xffff)
		return false;
	v = _mm_or_si128(
		_mm_or_si128(_mm_and_si128(isu, u),
			     _mm_and_si128(isl, _mm_add_epi8(l, _mm_set1_epi8(26)))),
		_mm_or_si128(_mm_and_si128(isd, _mm_add_epi8(d, _mm_set1_epi8(52))),
			     _mm_or_si128(_mm_and_si128(ism, _mm_set1_epi8(62)),
					  _mm_and_si128(iss, _mm_set1_epi8(63)))));
	/* digits a b c d -> a << 18 | b << 12 | c << 6 | d in each 32-bit
	 * lane, whose three low bytes go out most significant first */
	v = _mm_madd_epi16(_mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140)),
			   _mm_set1_epi32(0x00011000));
	v = _mm_shuffle_epi8(v, _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
	_mm_storeu_si128((__m128i *)(void *)out, v);
	return true;
}

/* The 15 or 27 bytes of a token's 20 or 36 digits into out (31 writable):
 * 16 digits a step, the last step the 16 that end the token; in that
 * order, as each store's 4 bytes past its 12 are the next one's to fix. */
static bool b64_dec(const char *p, unsigned len, uint8_t *out)
{
	return b64_dec16(p, out) && (len == 20 || b64_dec16(p + 16, out + 12)) &&
	       b64_dec16(p + len - 16, out + (len - 16) / 4 * 3);
}
#else
static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

static bool b64_dec(const char *p, unsigned len, uint8_t *out)
{
	for (unsigned i = 0, o = 0; i < len; i += 4, o += 3) {
		int a = b64_val((unsigned char)p[i]), b = b64_val((unsigned char)p[i + 1]);
		int c = b64_val((unsigned char)p[i + 2]), d = b64_val((unsigned char)p[i + 3]);

		if ((a | b | c | d) < 0)
			return false;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o] = (uint8_t)(v >> 16);
		out[o + 1] = (uint8_t)(v >> 8);
		out[o + 2] = (uint8_t)v;
	}
	return true;
}
#endif

/* Payload: version/family byte ('4' or '6'), address, port (big-endian),
 * then the MAC of those bytes: 1+4+2+8 = 15 or 1+16+2+8 = 27 bytes. */
static unsigned flow_payload(const struct dp_addr *a, uint8_t *buf)
{
	unsigned alen = a->ip.af == 6 ? 16 : 4, n = 0;

	buf[n++] = a->ip.af == 6 ? '6' : '4';
	memcpy(buf + n, a->ip.a, alen);
	n += alen;
	buf[n++] = (uint8_t)(a->port >> 8);
	buf[n++] = (uint8_t)a->port;
	return n;
}

/* The MAC of the n-byte payload at buf (7 or 19; 24 bytes readable, what
 * follows the payload ignored): read as SipHash's words straight away. */
static inline __attribute__((always_inline)) uint64_t
flow_mac(const uint64_t key[2], const uint8_t *buf, unsigned n)
{
	uint64_t w[3];
	struct sip_state s;

	memcpy(w, buf, sizeof(w));
	sip_init(&s, key);
	if (n == 7) {
		sip_word(&s, (w[0] & 0x00ffffffffffffffULL) | 7ULL << 56);
	} else {
		sip_word(&s, w[0]);
		sip_word(&s, w[1]);
		sip_word(&s, (w[2] & 0xffffffULL) | 19ULL << 56);
	}
	return sip_final(&s);
}

unsigned token_flow(const uint64_t key[2], const struct dp_addr *a, char *out)
{
	uint8_t buf[40] = {0}; /* whole blocks for b64_enc */
	unsigned n = flow_payload(a, buf);
	uint64_t mac = flow_mac(key, buf, n);

	memcpy(buf + n, &mac, 8);
	out[0] = 's';
	out[1] = 'e';
	return 2 + b64_enc(buf, n + 8, out + 2);
}

int token_flow_parse(const uint64_t key[2], const char *p, uint32_t len,
		     struct dp_addr *a)
{
	uint8_t buf[32]; /* 27, and b64_dec's last 16-byte store */
	unsigned n;
	uint64_t mac;

	if (len < 2 || p[0] != 's' || p[1] != 'e')
		return 0;
	if (len != 2 + 20 && len != 2 + 36)
		return 0;
	if (!b64_dec(p + 2, len - 2, buf))
		return -1;
	n = len == 22 ? 7 : 19;
	if (buf[0] != (n == 7 ? '4' : '6'))
		return -1;
	memcpy(&mac, buf + n, 8);
	if (flow_mac(key, buf, n) != mac)
		return -1;
	memset(a, 0, sizeof(*a));
	a->ip.af = n == 7 ? 4 : 6;
	memcpy(a->ip.a, buf + 1, n - 3);
	a->port = (uint16_t)(buf[n - 2] << 8 | buf[n - 1]);
	return 1;
}
