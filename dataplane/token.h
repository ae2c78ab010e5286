/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * token.h - what the gateway signs so that it needs no per-call state:
 * the branch of the Via it adds (a retransmission gets the same branch, and
 * a response proves it went through us) and the flow token in its
 * Record-Route and Path URIs (the client's address and port, so requests
 * coming back from the core reach the client's NAT binding).
 *
 * Pure C, no DPDK, no allocation: any thread. Keys are the caller's.
 */
#ifndef SIPEDGE_TOKEN_H
#define SIPEDGE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#else
#include <rte_hash_crc.h>
#endif

#include "dp.h"

/* CRC32C of len bytes at p, continuing *a and *b at once (be_pick hashes
 * a Call-ID under two seeds; token_crc() below is the one-chain case):
 * the value of DPDK's rte_hash_crc(), by
 * which the branch's hash (proxy.c) and the backend pick (backend.c) are
 * defined, without its test of the CPU at every step when the build's
 * target has SSE4.2 (then so has the CPU it runs on). */
static inline void token_crc2(const void *p, uint32_t len, uint32_t *a, uint32_t *b)
{
#if defined(__SSE4_2__)
	const uint8_t *s = p;
	uint64_t x = *a, y = *b;

	/* the steps and their order as rte_hash_crc(): 8 bytes, then 4, 2, 1;
	 * two 8-byte steps a turn, for half the loop's own instructions */
	for (uint32_t n = len / 16; n > 0; n--, s += 16) {
		uint64_t w[2];

		memcpy(w, s, 16);
		x = _mm_crc32_u64(_mm_crc32_u64(x, w[0]), w[1]);
		y = _mm_crc32_u64(_mm_crc32_u64(y, w[0]), w[1]);
	}
	if (len & 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		x = _mm_crc32_u64(x, w);
		y = _mm_crc32_u64(y, w);
		s += 8;
	}
	if (len & 4) {
		uint32_t w;

		memcpy(&w, s, 4);
		x = _mm_crc32_u32((uint32_t)x, w);
		y = _mm_crc32_u32((uint32_t)y, w);
		s += 4;
	}
	if (len & 2) {
		uint16_t w;

		memcpy(&w, s, 2);
		x = _mm_crc32_u16((uint32_t)x, w);
		y = _mm_crc32_u16((uint32_t)y, w);
		s += 2;
	}
	if (len & 1) {
		x = _mm_crc32_u8((uint32_t)x, *s);
		y = _mm_crc32_u8((uint32_t)y, *s);
	}
	*a = (uint32_t)x;
	*b = (uint32_t)y;
#else
	*a = rte_hash_crc(p, len, *a);
	*b = rte_hash_crc(p, len, *b);
#endif
}

static inline uint32_t token_crc(const void *p, uint32_t len, uint32_t crc)
{
#if defined(__SSE4_2__)
	uint32_t none = 0; /* its chain is dropped by the compiler */

	token_crc2(p, len, &crc, &none);
	return crc;
#else
	return rte_hash_crc(p, len, crc); /* asm volatile: nothing is dropped */
#endif
}

/* SipHash-2-4 (Aumasson, Bernstein) of len bytes under a 128-bit key. */
uint64_t token_siphash(const uint64_t key[2], const void *p, size_t len);

/* Branch: "z9hG4bK", 16 hex digits of h, 16 of its MAC, then where the
 * response to the request goes: '4' and 12 hex digits (address, port), '6'
 * and 36, or nothing (a request of our own, or a peer whose Via names no
 * address we can send to). The response is routed from its top Via, with
 * no parse of the next (docs/dataplane.md, "Responses": where this departs
 * from RFC 3261 16.11). */
#define TOKEN_BRANCH_MIN	(7u + 32u)
#define TOKEN_BRANCH_MAX	(TOKEN_BRANCH_MIN + 1u + 36u)

/* Writes the branch for hash h (which the caller derives from the request,
 * RFC 3261 16.11) into out[TOKEN_BRANCH_MAX]; returns its length. side: the
 * role of our port the response comes back to; to: where it will be sent,
 * as the Via below ours says once rewritten (NULL or family 0: nowhere).
 * The MAC covers h, side and to: a branch seen on the wire cannot be
 * replayed on a forged response to send it anywhere else, nor in from the
 * other side. */
unsigned token_branch(const uint64_t key[2], uint64_t h, unsigned side,
		      const struct dp_addr *to, char *out);

/* A branch's first TOKEN_BRANCH_LOOP_LEN bytes, "z9hG4bK" and the 8 hex
 * digits of its hash's upper 32 bits, are the same for every branch whose
 * hash has the same loop half (RFC 3261 16.3 step 4: proxy.c's loop test). */
#define TOKEN_BRANCH_LOOP_LEN	(7u + 8u)

/* Checks the branch at br, whose Via value has avail bytes from br on:
 * returns its length when token_branch made it with this key and side
 * (the caller checks that the value's token ends there), with *to set to
 * where the response goes (family 0: nowhere); 0 when it is not ours. */
unsigned token_branch_check(const uint64_t key[2], const char *br, uint32_t avail,
			    unsigned side, struct dp_addr *to);

/* Flow token: "se" + base64url(af, address, port, MAC64). At most: */
#define TOKEN_FLOW_MAX		(2u + 36u)

/* Writes the flow token of a into out[TOKEN_FLOW_MAX]; returns its length. */
unsigned token_flow(const uint64_t key[2], const struct dp_addr *a, char *out);

/* Decodes a flow token (a URI's user part). Returns 1 with *a set when it is
 * ours and its MAC is right, 0 when it is not a token of ours at all (no
 * "se" prefix or wrong length), -1 when it looks like one but fails the MAC
 * or does not decode (tampered). */
int token_flow_parse(const uint64_t key[2], const char *p, uint32_t len,
		     struct dp_addr *a);

#endif /* SIPEDGE_TOKEN_H */
