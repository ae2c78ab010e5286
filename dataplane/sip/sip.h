/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * sip.h - the zero-copy SIP message parser (RFC 3261).
 *
 * A pure library: no DPDK, no allocation, no globals, no locale, no
 * NUL-terminated strings. Every function is reentrant and may be called from
 * any thread; the caller owns every structure and the message bytes, which
 * must outlive the slices that point into them.
 *
 * sip_parse() frames one message, splits its start line, indexes every header
 * and runs the sanity checks a proxy needs on every packet. Everything else
 * (Via, name-addr, URI, Content-Type, ...) is parsed on demand from the
 * slices it leaves, by the sip_parse_*() functions below.
 */
#ifndef SIPEDGE_SIP_H
#define SIPEDGE_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A slice of the message: never NUL-terminated. An absent field has p == NULL
 * and len == 0; a present but empty one has p != NULL and len == 0. */
struct sip_str {
	const char *p;
	uint32_t len;
};

/* ---- tables (see the .def files) ---- */

enum sip_hdr_id {
	SIP_HDR_OTHER = 0, /* any header the parser does not know by name */
#define X(id, name, compact, flags, rfc) SIP_HDR_##id,
#include "sip_hdr.def"
#undef X
	SIP_HDR__COUNT
};

enum sip_method {
	SIP_METHOD_OTHER = 0, /* a valid extension token; see method_str */
#define X(id, name, rfc) SIP_METHOD_##id,
#include "sip_method.def"
#undef X
	SIP_METHOD__COUNT
};

/* Error codes are returned negated (-SIP_ERR_x) by the functions below. */
enum sip_err {
	SIP_OK = 0,
#define X(id, name, text) SIP_ERR_##id,
#include "sip_err.def"
#undef X
	SIP_ERR__COUNT
};

/* ---- limits ---- */

/* Hard ceilings: the header index stores 16-bit offsets and 8-bit indices. */
#define SIP_MSG_MAX_HARD	65535u
#define SIP_HDRS_MAX_HARD	128u

/* Documented defaults (docs/parser.md). */
#define SIP_DEF_MAX_MSG		16384u
#define SIP_DEF_MAX_HDRS	64u
#define SIP_DEF_MAX_LINE	4096u

struct sip_limits {
	uint32_t max_msg;  /* bytes in the datagram, at most SIP_MSG_MAX_HARD */
	uint16_t max_hdrs; /* header fields, at most SIP_HDRS_MAX_HARD */
	uint16_t max_line; /* bytes in one line (the start line too), without its
			    * CRLF; a folded continuation counts apart */
};

/* Fills *lim with the documented defaults. */
void sip_limits_default(struct sip_limits *lim);

/* ---- URIs (RFC 3261 19.1, RFC 3966) ---- */

enum sip_scheme {
	SIP_SCHEME_SIP = 1,
	SIP_SCHEME_SIPS,
	SIP_SCHEME_TEL,
};

enum sip_host_type {
	SIP_HOST_NONE = 0,
	SIP_HOST_NAME,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6, /* host holds the reference without its brackets */
};

struct sip_uri {
	uint8_t scheme;	   /* enum sip_scheme */
	uint8_t host_type; /* enum sip_host_type; NONE for tel */
	uint16_t port;	   /* 0 when absent */
	struct sip_str user;	 /* escaped as written; tel: the number */
	struct sip_str password;
	struct sip_str host;
	struct sip_str port_str;
	struct sip_str params;	 /* ";a=b;c", without the first ';' */
	struct sip_str headers;	 /* "a=b&c=d", without the '?' */
};

/* ---- the parsed message ---- */

/* One header field, 8 bytes: offsets into sip_msg.buf, so a full index of a
 * message stays within a few cache lines. Use sip_hdr_name()/sip_hdr_value(). */
struct sip_hdr {
	uint16_t name_off;
	uint8_t name_len;
	uint8_t id;	   /* enum sip_hdr_id */
	uint16_t value_off;
	uint16_t value_len; /* trimmed; a folded value spans CRLF+WS inside */
};

#define SIP_MSG_REQUEST		0x01u
#define SIP_MSG_FOLDED		0x02u /* some header was folded (LWS continuation) */
#define SIP_MSG_COMPACT		0x04u /* some header used its compact form */
#define SIP_MSG_BODY_TRIMMED	0x08u /* bytes beyond Content-Length discarded */
#define SIP_MSG_BARE_LF		0x10u /* some line ended in LF without CR: accepted
				       * (RFC 3261 says CRLF), flagged so that a
				       * policy can refuse what a core might read
				       * differently */

#define SIP_HDR_NONE		0xffu /* sip_msg.first[] of an absent header */

struct sip_msg {
	const char *buf;   /* the datagram given to sip_parse() */
	uint32_t len;	   /* bytes of the SIP message: headers + body */
	uint32_t hdr_len;  /* offset of the body (just past the empty line) */
	uint32_t flags;	   /* SIP_MSG_* */

	/* start line */
	uint8_t method;	   /* enum sip_method; requests only */
	uint16_t status;   /* 100..699; responses only */
	struct sip_str method_str; /* requests */
	struct sip_str ruri;	   /* requests */
	struct sip_uri uri;	   /* requests: the Request-URI parsed when its
				    * scheme is sip, sips or tel (scheme 0 for
				    * another, which is checked only for its
				    * characters) */
	struct sip_str reason;	   /* responses: may be empty */
	struct sip_str version;	   /* "SIP/2.0", as written */

	/* fields checked and cached by sip_parse() */
	struct sip_str call_id;
	uint32_t cseq;		   /* 0 .. 2^31-1 */
	uint8_t cseq_method;	   /* enum sip_method */
	struct sip_str cseq_method_str;
	int32_t content_length;	   /* -1 when absent */
	int16_t max_forwards;	   /* 0..255, -1 when absent */
	int64_t expires;	   /* delta-seconds, -1 when absent */
	struct sip_str body;	   /* empty (p set, len 0) when there is none */

	/* error report: code (enum sip_err) and offset where parsing stopped */
	uint16_t err;
	uint32_t err_off;

	/* the header index, in message order */
	uint16_t nhdrs;
	uint8_t first[SIP_HDR__COUNT]; /* index of first occurrence or SIP_HDR_NONE */
	struct sip_hdr hdrs[SIP_HDRS_MAX_HARD];
};

/* Parse options. */
#define SIP_PARSE_STREAM 0x01u /* a byte stream (TCP/TLS): incomplete returns 0
				* and Content-Length is mandatory */

/* sip_parse - frame, split and index one SIP message.
 * Accepts: buf/len, one UDP datagram (or the head of a stream with
 *   SIP_PARSE_STREAM); lim, or NULL for the defaults.
 * Refuses: anything malformed (see sip_err.def), with msg->err set and
 *   msg->err_off the byte offset where parsing stopped.
 * Returns: bytes of the message (headers + body as framed; extra datagram
 *   bytes beyond Content-Length are discarded, RFC 3261 18.3), 0 when a
 *   stream needs more bytes, or -SIP_ERR_x.
 * Reads nothing outside [buf, buf+len). Any thread; msg is the caller's. */
int sip_parse(const char *buf, uint32_t len, const struct sip_limits *lim,
	      unsigned opts, struct sip_msg *msg);

static inline struct sip_str sip_hdr_name(const struct sip_msg *m, unsigned i)
{
	struct sip_str s = {m->buf + m->hdrs[i].name_off, m->hdrs[i].name_len};
	return s;
}

static inline struct sip_str sip_hdr_value(const struct sip_msg *m, unsigned i)
{
	struct sip_str s = {m->buf + m->hdrs[i].value_off, m->hdrs[i].value_len};
	return s;
}

/* Index of the first header with this id, or -1. */
static inline int sip_hdr_first(const struct sip_msg *m, enum sip_hdr_id id)
{
	return m->first[id] == SIP_HDR_NONE ? -1 : (int)m->first[id];
}

/* Index of the next header with the same id after index i, or -1. */
int sip_hdr_next(const struct sip_msg *m, int i);

/* Index of the first header named name (case-insensitive; a known header is
 * also found by its compact form and vice versa), or -1. */
int sip_hdr_find(const struct sip_msg *m, const char *name, uint32_t len);

/* The id of a header name (full or compact, any case), or SIP_HDR_OTHER. */
enum sip_hdr_id sip_hdr_lookup(const char *name, uint32_t len);

/* ---- lists: the comma-separated values of a header kind ---- */

/* Iterator over every value of every header with one id, in message order.
 * Commas inside quoted strings, <...> and URI parts are not separators. */
struct sip_iter {
	int hdr;	/* current header index, -1 before the start */
	uint32_t off;	/* next offset within that header's value */
};

static inline void sip_iter_init(struct sip_iter *it)
{
	it->hdr = -1;
	it->off = 0;
}

/* Returns 1 with *val set, 0 at the end, or -SIP_ERR_x for an empty element,
 * an empty list header whose grammar needs one element, or an unterminated
 * quote/angle bracket. After an error the iterator does not advance: stop. */
int sip_value_next(const struct sip_msg *m, enum sip_hdr_id id,
		   struct sip_iter *it, struct sip_str *val);

/* Parses a whole URI (no surrounding <> or whitespace). Returns len or
 * -SIP_ERR_BAD_URI. */
int sip_parse_uri(const char *p, uint32_t len, struct sip_uri *u);

/* ---- parameters: ";name[=value]" lists ---- */

/* Finds parameter name (case-insensitive) in a params slice such as
 * sip_uri.params. Returns 1 with *val set (p non-NULL, len 0 for a
 * parameter without value), 0 when absent. */
int sip_param_find(struct sip_str params, const char *name, uint32_t nlen,
		   struct sip_str *val);

/* ---- Via (RFC 3261 20.42, RFC 3581) ---- */

struct sip_via {
	struct sip_str proto;	  /* "SIP/2.0" */
	struct sip_str transport; /* "UDP", "TCP", "TLS", "SCTP", "WS", ... */
	struct sip_str host;	  /* sent-by host; IPv6 without brackets */
	uint8_t host_type;	  /* enum sip_host_type */
	bool has_ip4;		  /* ip4 holds the host's IPv4 address (the usual
				   * dotted quad; else the caller parses host) */
	uint8_t ip4[4];
	uint16_t port;		  /* 0 when absent (port_str tells from ":0") */
	struct sip_str port_str;
	bool has_rport;		  /* ";rport" present, with or without value */
	uint16_t rport;		  /* its value, 0 when empty */
	const char *rport_end;	  /* where its name ends (a proxy adds "=port" there) */
	struct sip_str rport_str; /* its value as written; .p NULL when it has none */
	uint8_t ttl;
	bool has_ttl;
	struct sip_str branch, received, maddr;
	struct sip_str params;	  /* every parameter, without the first ';' */
};

/* Parses one via-parm (one element of a Via list, as sip_value_next gives).
 * Returns len or -SIP_ERR_BAD_VIA. */
int sip_parse_via(const char *p, uint32_t len, struct sip_via *v);

/* Iterates every Via value of the message, top first: 1, 0 at the end, or
 * -SIP_ERR_BAD_VIA. */
int sip_via_next(const struct sip_msg *m, struct sip_iter *it,
		 struct sip_via *v);

/* ---- name-addr / addr-spec (From, To, Contact, Route, Record-Route, Path,
 *      Reply-To, Refer-To, P-Asserted-Identity, ...) ---- */

struct sip_nameaddr {
	struct sip_str display; /* inside the quotes, escapes as written; or
				 * the token display name; empty when none */
	bool display_quoted;
	bool star;		/* Contact: "*" */
	struct sip_str uri;	/* without <> */
	struct sip_str params;	/* header params after the address */
	struct sip_str tag;	/* ";tag=" value, or absent */
};

/* Parses one element (name-addr or addr-spec followed by params).
 * Returns len or -SIP_ERR_BAD_NAME_ADDR. The URI is not parsed: call
 * sip_parse_uri() on na->uri. */
int sip_parse_nameaddr(const char *p, uint32_t len, struct sip_nameaddr *na);

/* ---- other on-demand fields ---- */

struct sip_ctype {
	struct sip_str type, subtype, params;
};

/* Content-Type / media-type. Returns len or -SIP_ERR_BAD_VALUE. */
int sip_parse_ctype(const char *p, uint32_t len, struct sip_ctype *ct);

/* Decodes %HH escapes of src into dst (at most dlen bytes). Returns the
 * decoded length, or -SIP_ERR_BAD_URI for a bad escape or short dst. */
int sip_unescape(struct sip_str src, char *dst, uint32_t dlen);

/* ---- names ---- */

const char *sip_err_name(int err);	/* "bad-cseq"; accepts err or -err */
const char *sip_err_text(int err);	/* "Malformed CSeq" */
const char *sip_method_name(enum sip_method m); /* "INVITE"; "" for OTHER */
const char *sip_hdr_canon(enum sip_hdr_id id);	/* "Call-ID"; "" for OTHER */
/* Method of a token (case-sensitive, RFC 3261 7.1), SIP_METHOD_OTHER if none. */
enum sip_method sip_method_lookup(const char *p, uint32_t len);

/* Case-insensitive equality of a slice and a literal of known length. */
bool sip_str_ieq(struct sip_str s, const char *lit, uint32_t len);

#define SIP_LIT(s) (s), (uint32_t)(sizeof(s) - 1)

#ifdef __cplusplus
}
#endif
#endif /* SIPEDGE_SIP_H */
