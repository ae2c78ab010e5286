/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_codec.h - SHA-256 and base64 for sipedge-control and sipedgectl
 * (cp_codec.c). Pure functions: no allocation, any thread.
 */
#ifndef SIPEDGE_CP_CODEC_H
#define SIPEDGE_CP_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Incremental: init, update with the bytes in any pieces, final. The
 * dataplane hashes a ruleset upload chunk by chunk as it arrives, so that
 * rules.load does not stall its main lcore hashing megabytes at once. */
struct ctl_sha256_ctx {
	uint32_t h[8];
	uint8_t buf[64];
	size_t n;     /* bytes in buf */
	uint64_t len; /* bytes given so far */
};

void ctl_sha256_init(struct ctl_sha256_ctx *c);
void ctl_sha256_update(struct ctl_sha256_ctx *c, const void *data, size_t len);
void ctl_sha256_final(struct ctl_sha256_ctx *c, uint8_t out[32]);
void ctl_sha256_hex_of(const uint8_t d[32], char out[65]);

void ctl_sha256(const void *data, size_t len, uint8_t out[32]);
/* The digest in lower-case hex, NUL-terminated. */
void ctl_sha256_hex(const void *data, size_t len, char out[65]);

/* Bytes of the base64 text of len bytes, without the NUL. */
#define CTL_B64_LEN(len) (((len) + 2) / 3 * 4)

/* Writes CTL_B64_LEN(len) characters and a NUL to out; returns the
 * characters written. */
size_t ctl_b64_encode(const void *data, size_t len, char *out);

/* Decodes len characters (padded, standard alphabet, no whitespace) into
 * out, which has room for len / 4 * 3 bytes. Returns the bytes written, or
 * -(offset + 1) of the first character that is wrong. */
long ctl_b64_decode(const char *in, size_t len, uint8_t *out);

#endif /* SIPEDGE_CP_CODEC_H */
