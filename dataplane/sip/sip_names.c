/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * sip_names.c - the per-id tables of sip_hdr.def, sip_method.def and
 * sip_err.def. Everything here is const: expanded from the .def files so
 * that adding a header, method or error is one line there.
 */
#include "sip_priv.h"

#define MULTI  HDRF_MULTI
#define LIST0  (HDRF_MULTI | HDRF_EMPTY)
#define SINGLE HDRF_SINGLE

const uint8_t sip_hdr_flags[SIP_HDR__COUNT] = {
#define X(id, name, compact, flags, rfc) [SIP_HDR_##id] = (flags),
#include "sip_hdr.def"
#undef X
};

const uint8_t sip_hdr_compact[SIP_HDR__COUNT] = {
#define X(id, name, compact, flags, rfc) [SIP_HDR_##id] = (compact),
#include "sip_hdr.def"
#undef X
};

static const char *const hdr_canon[SIP_HDR__COUNT] = {
	[SIP_HDR_OTHER] = "",
#define X(id, name, compact, flags, rfc) [SIP_HDR_##id] = name,
#include "sip_hdr.def"
#undef X
};

/* The lowercase names, built at compile time from the canonical spelling:
 * each byte is OR'd with 0x20 (exact for letters, digits and '-', the only
 * characters of the names in sip_hdr.def; gen_hdr.py relies on the same). */
/* The index is clamped so that even the branch not taken stays in bounds. */
#define LC(s, i) (char)((i) < sizeof(s) - 1 ? (s)[(i) < sizeof(s) - 1 ? (i) : 0] | 0x20 : 0)
#define LC24(s) { LC(s, 0), LC(s, 1), LC(s, 2), LC(s, 3), LC(s, 4), LC(s, 5), \
	LC(s, 6), LC(s, 7), LC(s, 8), LC(s, 9), LC(s, 10), LC(s, 11), LC(s, 12), \
	LC(s, 13), LC(s, 14), LC(s, 15), LC(s, 16), LC(s, 17), LC(s, 18), \
	LC(s, 19), LC(s, 20), LC(s, 21), LC(s, 22), LC(s, 23) }

const char sip_hdr_lc[SIP_HDR__COUNT][24] = {
#define X(id, name, compact, flags, rfc) [SIP_HDR_##id] = LC24(name),
#include "sip_hdr.def"
#undef X
};

_Static_assert(SIP_HDR__COUNT <= 255, "header ids are 8 bits (sip_hdr.id, slot table)");

/* Every canonical name must fit the padded table. */
#define X(id, name, compact, flags, rfc) \
	_Static_assert(sizeof(name) - 1 <= 23, "header name too long: " name);
#include "sip_hdr.def"
#undef X

static const char *const method_names[SIP_METHOD__COUNT] = {
	[SIP_METHOD_OTHER] = "",
#define X(id, name, rfc) [SIP_METHOD_##id] = name,
#include "sip_method.def"
#undef X
};

static const char *const err_names[SIP_ERR__COUNT] = {
	[SIP_OK] = "ok",
#define X(id, name, text) [SIP_ERR_##id] = name,
#include "sip_err.def"
#undef X
};

static const char *const err_texts[SIP_ERR__COUNT] = {
	[SIP_OK] = "OK",
#define X(id, name, text) [SIP_ERR_##id] = text,
#include "sip_err.def"
#undef X
};

static unsigned err_index(int err)
{
	unsigned e = err < 0 ? 0u - (unsigned)err : (unsigned)err; /* INT_MIN too */
	return e < SIP_ERR__COUNT ? e : SIP_ERR__COUNT;
}

const char *sip_err_name(int err)
{
	unsigned e = err_index(err);
	return e < SIP_ERR__COUNT ? err_names[e] : "unknown";
}

const char *sip_err_text(int err)
{
	unsigned e = err_index(err);
	return e < SIP_ERR__COUNT ? err_texts[e] : "Unknown Error";
}

const char *sip_method_name(enum sip_method m)
{
	return (unsigned)m < SIP_METHOD__COUNT ? method_names[m] : "";
}

const char *sip_hdr_canon(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_HDR__COUNT ? hdr_canon[id] : "";
}
