/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * proxy_priv.h - what proxy.c and reply.c share: the edit list that turns a
 * received message into the one we send, and address helpers.
 *
 * A forwarded message is the received one with a few edits: lines inserted
 * after the start line (our Via, Record-Route, Path), values replaced
 * (Max-Forwards, the client's Via received/rport) and elements deleted (our
 * Route entries, our Via in a response). Edits are collected as (offset,
 * bytes deleted, bytes inserted) and applied in one pass that copies the
 * unchanged spans with memcpy into a fresh single-segment mbuf.
 */
#ifndef SIPEDGE_PROXY_PRIV_H
#define SIPEDGE_PROXY_PRIV_H

#include <stdint.h>
#include <string.h>

#include "dp.h"
#include "worker.h"

#define PE_MAX		16u
#define PE_SCRATCH	1024u

struct pedit {
	uint32_t off, del;
	const char *ins;
	uint32_t ins_len;
};

struct pedits {
	unsigned n;
	uint32_t used;
	bool overflow;
	struct pedit e[PE_MAX];
	char scratch[PE_SCRATCH];
};

static inline void pe_init(struct pedits *pe)
{
	pe->n = 0;
	pe->used = 0;
	pe->overflow = false;
}

/* Room for n bytes of inserted text that lives as long as pe. */
static inline char *pe_alloc(struct pedits *pe, uint32_t n)
{
	char *r;

	if (pe->used + n > PE_SCRATCH) {
		pe->overflow = true;
		return NULL;
	}
	r = pe->scratch + pe->used;
	pe->used += n;
	return r;
}

static inline void pe_add(struct pedits *pe, uint32_t off, uint32_t del,
			  const char *ins, uint32_t ins_len)
{
	if (pe->n == PE_MAX || (ins_len && ins == NULL)) {
		pe->overflow = true;
		return;
	}
	pe->e[pe->n++] = (struct pedit){off, del, ins, ins_len};
}

/* Sorts the edits by offset (stable: insertions at one offset keep their
 * order) and checks they do not overlap. Returns the output length change,
 * or INT32_MIN when the edits are inconsistent. */
int32_t pe_sort(struct pedits *pe, uint32_t len);

/* Copies [0, len) of src with the sorted edits applied into out. */
void pe_apply(const struct pedits *pe, const char *src, uint32_t len, char *out);

/* Applies the sorted edits to [0, len) of buf where it lies, leaving one
 * segment in place (the rule is at pe_apply_inplace): the result starts at
 * buf + *start, which may be up to left bytes before buf, and ends at most
 * right bytes after buf + len. Returns false, with buf untouched, when no
 * placement fits; the caller copies. */
bool pe_apply_inplace(const struct pedits *pe, char *buf, uint32_t len, uint32_t left,
		      uint32_t right, int32_t *start);

/* Formats ip as SIP writes it in a Via received= or a URI host: IPv4 dotted,
 * IPv6 with brackets when brackets is true. Returns the length. */
unsigned px_fmt_ip(const struct dp_ip *ip, bool brackets, char *out);

/* Parses a host as the parser leaves it (IPv6 without brackets) into *ip.
 * Returns false for a name or anything malformed. */
bool px_parse_ip(const char *p, uint32_t len, uint8_t host_type, struct dp_ip *ip);

/* Whether ip is the address of one of our ports. */
bool px_is_our_ip(const struct dp *dp, const struct dp_ip *ip);

/* Edits of the top Via element [val] of a request received from src per
 * RFC 3261 18.2.1 and RFC 3581: received= when the sent-by host is not the
 * source address or rport was asked for, rport= filled. */
void px_via_nat(struct pedits *pe, const char *base, struct sip_str val,
		const struct sip_via *v, const struct dp_addr *src);

/* Writes v in decimal (at most 10 digits) to out; returns the length. */
unsigned px_utoa(char *out, uint32_t v);

/* The end of header line i (just past its LF). */
uint32_t px_line_end(const struct sip_msg *m, unsigned i);

#endif /* SIPEDGE_PROXY_PRIV_H */
