/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * fuzz_sip.c - the libFuzzer target of the SIP parser.
 *
 * Each input is one datagram (or the head of a stream). It is copied to a
 * heap buffer of exactly its size, so that AddressSanitizer reports the first
 * byte read past the end: the parser gets no NUL and no slack. The input is
 * parsed in datagram and stream mode, with the default limits, with tiny ones
 * and with limits taken from the input's first bytes; every parsed message is
 * then taken apart by each on-demand parser (Via, lists, name-addr, URI,
 * parameters, Content-Type, unescaping, header lookup).
 *
 * Beyond what the sanitizers catch, every result is checked against the
 * contract in sip.h, and a violation is a crash (__builtin_trap) so that the
 * fuzzer keeps the input:
 *   - every slice lies within the buffer it was parsed from;
 *   - a returned length is at most the length given;
 *   - msg->err is set exactly when sip_parse() fails, to the code returned,
 *     and msg->err_off is within the datagram;
 *   - the header index agrees with itself (first[], sip_hdr_next(),
 *     sip_hdr_find(), sip_hdr_lookup()).
 *
 * Built with -fsanitize=fuzzer under -Dfuzz=true (see docs/build.md); in a
 * normal build fuzz_main.c drives the same function over tests/corpus, so
 * `meson test` replays the whole corpus through these checks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A violated invariant: crash where a debugger or the fuzzer's stack trace
 * points straight at the check. */
#define REQUIRE(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

/* Bigger inputs cannot be valid (SIP_MSG_MAX_HARD); a few are kept to check
 * that they are refused, the rest would only slow the replay down. */
#define FUZZ_MAX_INPUT (4u * SIP_MSG_MAX_HARD)

/* The bounds every slice of one parse must respect. */
struct span {
	const char *lo, *hi;
};

static void check_str(struct span b, struct sip_str s)
{
	if (s.p == NULL) {
		REQUIRE(s.len == 0);
		return;
	}
	REQUIRE(s.p >= b.lo && s.p <= b.hi);
	REQUIRE(s.len <= (size_t)(b.hi - s.p));
}

/* The bounds of a slice; an absent one has none (NULL + 0 would be UB). */
static struct span span_of(struct sip_str s)
{
	struct span b = {s.p, s.p == NULL ? NULL : s.p + s.len};
	return b;
}

/* Reads every byte of a slice, so that a slice pointing at freed or foreign
 * memory is caught by ASan even when the bounds check above passed. */
static volatile uint8_t fuzz_sink;

static void touch(struct sip_str s)
{
	uint8_t x = 0;

	for (uint32_t i = 0; i < s.len; i++)
		x ^= (uint8_t)s.p[i];
	fuzz_sink = x;
}

/* A length-returning on-demand parser: len on success (it takes the whole
 * slice), or a valid negative error code. */
static bool check_rc_len(int rc, uint32_t len)
{
	if (rc >= 0) {
		REQUIRE((uint32_t)rc == len);
		return true;
	}
	REQUIRE(rc > -(int)SIP_ERR__COUNT);
	return false;
}

static void check_rc_err(int rc)
{
	REQUIRE(rc < 0 && rc > -(int)SIP_ERR__COUNT);
	REQUIRE(sip_err_name(rc) != NULL && sip_err_text(rc) != NULL);
}

/* sip_unescape() into a heap buffer of exactly dlen bytes (ASan sees any
 * write past it); the result never grows and never exceeds dlen. */
static void check_unescape(struct sip_str s, uint32_t dlen)
{
	char *dst = malloc(dlen ? dlen : 1);
	int rc;

	if (dst == NULL)
		return;
	rc = sip_unescape(s, dst, dlen);
	if (rc >= 0) {
		REQUIRE((uint32_t)rc <= dlen);
		REQUIRE((uint32_t)rc <= s.len);
	} else {
		check_rc_err(rc);
	}
	free(dst);
}

static const char *const fuzz_params[] = {
	"transport", "lr",	 "user",  "maddr",   "ttl", "method", "tag",
	"branch",    "received", "rport", "expires", "q",   "ob",     "x",
};

static void check_params(struct sip_str params)
{
	struct span b = span_of(params);
	struct sip_str v;

	for (size_t i = 0; i < sizeof(fuzz_params) / sizeof(fuzz_params[0]); i++) {
		memset(&v, 0xa5, sizeof(v));
		int rc = sip_param_find(params, fuzz_params[i], (uint32_t)strlen(fuzz_params[i]),
					&v);
		REQUIRE(rc == 0 || rc == 1);
		if (rc == 1) {
			REQUIRE(v.p != NULL);
			check_str(b, v);
			touch(v);
		}
	}
}

static void check_uri(struct sip_str s)
{
	struct span b = span_of(s);
	struct sip_uri u;

	memset(&u, 0xa5, sizeof(u));
	if (!check_rc_len(sip_parse_uri(s.p, s.len, &u), s.len))
		return;
	REQUIRE(u.scheme >= SIP_SCHEME_SIP && u.scheme <= SIP_SCHEME_TEL);
	REQUIRE(u.host_type <= SIP_HOST_IPV6);
	check_str(b, u.user);
	check_str(b, u.password);
	check_str(b, u.host);
	check_str(b, u.port_str);
	check_str(b, u.params);
	check_str(b, u.headers);
	touch(u.user);
	touch(u.host);
	check_params(u.params);
	check_unescape(u.user, 0);
	check_unescape(u.user, 7);
	check_unescape(u.user, u.user.len);
	check_unescape(u.password, 7);
	check_unescape(u.headers, 7);
}

static void check_nameaddr(struct sip_str s)
{
	struct span b = span_of(s);
	struct sip_nameaddr na;

	memset(&na, 0xa5, sizeof(na));
	if (!check_rc_len(sip_parse_nameaddr(s.p, s.len, &na), s.len))
		return;
	check_str(b, na.display);
	check_str(b, na.uri);
	check_str(b, na.params);
	check_str(b, na.tag);
	touch(na.display);
	check_params(na.params);
	if (!na.star)
		check_uri(na.uri);
}

static void check_via(struct span b, const struct sip_via *v)
{
	check_str(b, v->proto);
	check_str(b, v->transport);
	check_str(b, v->host);
	check_str(b, v->branch);
	check_str(b, v->received);
	check_str(b, v->maddr);
	check_str(b, v->params);
	REQUIRE(v->host_type <= SIP_HOST_IPV6);
	touch(v->host);
	check_params(v->params);
}

/* Every Via of the message by sip_via_next(), and each value again by
 * sip_parse_via() directly. */
static void check_vias(const struct sip_msg *m, struct span b)
{
	struct sip_iter it;
	struct sip_via v;
	uint32_t n = 0;
	int rc;

	sip_iter_init(&it);
	for (;;) {
		memset(&v, 0xa5, sizeof(v));
		rc = sip_via_next(m, &it, &v);
		if (rc != 1)
			break;
		check_via(b, &v);
		REQUIRE(++n <= m->len); /* each value takes a byte at least */
	}
	if (rc != 0)
		check_rc_err(rc);
}

/* Every value of one header kind by sip_value_next(); address lists are
 * also parsed as name-addr and URI, Via values as via-parm. */
static void check_values(const struct sip_msg *m, struct span b, enum sip_hdr_id id)
{
	struct sip_iter it;
	struct sip_str val;
	uint32_t n = 0;
	int rc;

	sip_iter_init(&it);
	for (;;) {
		memset(&val, 0xa5, sizeof(val));
		rc = sip_value_next(m, id, &it, &val);
		if (rc != 1)
			break;
		REQUIRE(val.p != NULL && val.len > 0); /* empty is an error */
		check_str(b, val);
		touch(val);
		REQUIRE(++n <= m->len);

		switch (id) {
		case SIP_HDR_CONTACT:
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_PATH:
		case SIP_HDR_SERVICE_ROUTE:
		case SIP_HDR_P_ASSERTED_IDENTITY:
			check_nameaddr(val);
			break;
		case SIP_HDR_VIA: {
			struct sip_via v;

			memset(&v, 0xa5, sizeof(v));
			if (check_rc_len(sip_parse_via(val.p, val.len, &v), val.len))
				check_via(span_of(val), &v);
			break;
		}
		default:
			break;
		}
	}
	if (rc != 0)
		check_rc_err(rc);
}

/* The header index: offsets in range, first[] pointing at the first
 * header of each id, sip_hdr_next() visiting exactly the headers of that id,
 * sip_hdr_find()/sip_hdr_lookup() agreeing with the ids the parser gave. */
static void check_index(const struct sip_msg *m, struct span b)
{
	uint32_t count[SIP_HDR__COUNT] = {0};

	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		struct sip_str name = sip_hdr_name(m, i);
		struct sip_str value = sip_hdr_value(m, i);

		REQUIRE(h->id < SIP_HDR__COUNT);
		REQUIRE(name.len > 0);
		REQUIRE((uint32_t)h->name_off + h->name_len <= m->hdr_len);
		REQUIRE((uint32_t)h->value_off + h->value_len <= m->hdr_len);
		check_str(b, name);
		check_str(b, value);
		touch(value);
		if (count[h->id]++ == 0)
			REQUIRE(m->first[h->id] == i);

		REQUIRE(sip_hdr_lookup(name.p, name.len) == (enum sip_hdr_id)h->id);
		REQUIRE(sip_str_ieq(name, name.p, name.len));
		REQUIRE(sip_hdr_canon((enum sip_hdr_id)h->id) != NULL);
		int f = sip_hdr_find(m, name.p, name.len);
		REQUIRE(f >= 0 && (unsigned)f <= i);
		REQUIRE(m->hdrs[f].id == h->id);
	}

	for (unsigned id = 0; id < SIP_HDR__COUNT; id++) {
		if (count[id] == 0) {
			REQUIRE(m->first[id] == SIP_HDR_NONE);
			REQUIRE(sip_hdr_first(m, (enum sip_hdr_id)id) == -1);
			continue;
		}
		if (id == SIP_HDR_OTHER)
			continue;
		uint32_t n = 0;
		int prev = -1;
		for (int i = sip_hdr_first(m, (enum sip_hdr_id)id); i >= 0;
		     i = sip_hdr_next(m, i)) {
			REQUIRE(i > prev && (unsigned)i < m->nhdrs);
			REQUIRE(m->hdrs[i].id == id);
			REQUIRE(++n <= count[id]);
			prev = i;
		}
		REQUIRE(n == count[id]);
	}
}

/* Everything a successful sip_parse() left, then every on-demand parser. */
static void check_msg(const struct sip_msg *m, const char *buf, uint32_t rc,
		      const struct sip_limits *lim)
{
	/* The message proper, not the whole datagram: no slice may reach
	 * into discarded bytes, nor into the next message of a stream. */
	struct span mb = {buf, buf + rc};

	REQUIRE(m->err == 0);
	REQUIRE(m->buf == buf);
	REQUIRE(m->len == rc);
	REQUIRE(m->hdr_len <= m->len);
	REQUIRE(m->nhdrs <= SIP_HDRS_MAX_HARD);
	if (lim != NULL) {
		REQUIRE(rc <= lim->max_msg);
		REQUIRE(m->nhdrs <= lim->max_hdrs);
	}

	check_str(mb, m->version);
	check_str(mb, m->call_id);
	check_str(mb, m->cseq_method_str);
	REQUIRE(m->body.p != NULL);
	REQUIRE(m->body.p == buf + m->hdr_len);
	REQUIRE(m->hdr_len + m->body.len == m->len);
	check_str(mb, m->body);
	touch(m->body);
	REQUIRE(m->cseq <= INT32_MAX);
	REQUIRE(m->cseq_method < SIP_METHOD__COUNT);
	REQUIRE(m->max_forwards >= -1 && m->max_forwards <= 255);
	REQUIRE(m->content_length >= -1);
	if (m->content_length >= 0)
		REQUIRE(m->body.len == (uint32_t)m->content_length);
	REQUIRE(m->expires >= -1);

	if (m->flags & SIP_MSG_REQUEST) {
		REQUIRE(m->method < SIP_METHOD__COUNT);
		REQUIRE(m->method_str.p != NULL && m->method_str.len > 0);
		check_str(mb, m->method_str);
		check_str(mb, m->ruri);
		REQUIRE(sip_method_lookup(m->method_str.p, m->method_str.len) ==
			(enum sip_method)m->method);
		REQUIRE(sip_method_name((enum sip_method)m->method) != NULL);
		check_uri(m->ruri);
	} else {
		REQUIRE(m->status >= 100 && m->status <= 699);
		check_str(mb, m->reason);
	}

	check_index(m, mb);
	check_vias(m, mb);
	for (unsigned id = 1; id < SIP_HDR__COUNT; id++)
		if (m->first[id] != SIP_HDR_NONE)
			check_values(m, mb, (enum sip_hdr_id)id);

	static const enum sip_hdr_id single_addr[] = {
		SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_REPLY_TO, SIP_HDR_REFER_TO, SIP_HDR_REFERRED_BY,
	};
	for (size_t k = 0; k < sizeof(single_addr) / sizeof(single_addr[0]); k++)
		for (int i = sip_hdr_first(m, single_addr[k]); i >= 0; i = sip_hdr_next(m, i))
			check_nameaddr(sip_hdr_value(m, (unsigned)i));

	for (int i = sip_hdr_first(m, SIP_HDR_CONTENT_TYPE); i >= 0; i = sip_hdr_next(m, i)) {
		struct sip_str v = sip_hdr_value(m, (unsigned)i);
		struct sip_ctype ct;

		memset(&ct, 0xa5, sizeof(ct));
		if (check_rc_len(sip_parse_ctype(v.p, v.len, &ct), v.len)) {
			check_str(span_of(v), ct.type);
			check_str(span_of(v), ct.subtype);
			check_str(span_of(v), ct.params);
			check_params(ct.params);
		}
	}

	/* Any header value as a params list, and unescaped. */
	for (unsigned i = 0; i < m->nhdrs; i++) {
		check_params(sip_hdr_value(m, i));
		check_unescape(sip_hdr_value(m, i), 5);
	}
}

/* One sip_parse() and the contract of its return value. */
static int parse_one(const char *buf, uint32_t len, const struct sip_limits *lim, unsigned opts,
		     struct sip_msg *m)
{
	memset(m, 0xa5, offsetof(struct sip_msg, hdrs));
	int rc = sip_parse(buf, len, lim, opts, m);

	if (rc < 0) {
		check_rc_err(rc);
		REQUIRE(m->err == (uint16_t)-rc);
		REQUIRE(m->err_off <= len);
	} else if (rc == 0) {
		REQUIRE(opts & SIP_PARSE_STREAM); /* datagrams never need more */
		REQUIRE(m->err == 0);
	} else {
		REQUIRE((uint32_t)rc <= len);
		check_msg(m, buf, (uint32_t)rc, lim);
	}
	return rc;
}

/* A stream: parse message after message until one is incomplete or bad. */
static void parse_stream(const char *buf, uint32_t len, const struct sip_limits *lim,
			 struct sip_msg *m)
{
	uint32_t off = 0;

	while (off < len) {
		int rc = parse_one(buf + off, len - off, lim, SIP_PARSE_STREAM, m);
		if (rc <= 0)
			break;
		off += (uint32_t)rc;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg msg; /* 1 KiB+: not on the fuzzer's stack */
	struct sip_limits def, tiny = {64, 4, 32}, hard, fuzzed;
	char *buf;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	/* ASan's malloc(0) is a valid pointer to no bytes; only copy real ones. */
	if (size)
		memcpy(buf, data, size);

	uint32_t len = (uint32_t)size;
	sip_limits_default(&def);
	REQUIRE(def.max_msg == SIP_DEF_MAX_MSG && def.max_hdrs == SIP_DEF_MAX_HDRS &&
		def.max_line == SIP_DEF_MAX_LINE);
	hard.max_msg = SIP_MSG_MAX_HARD;
	hard.max_hdrs = SIP_HDRS_MAX_HARD;
	hard.max_line = UINT16_MAX;
	/* Limits from the input's last bytes: every boundary gets explored. */
	fuzzed.max_msg = size >= 2 ? (uint32_t)(data[size - 1] | data[size - 2] << 8) : 0;
	fuzzed.max_hdrs = size >= 3 ? data[size - 3] : 0;
	fuzzed.max_line = size >= 4 ? (uint16_t)(data[size - 4] << 4) : 0;

	parse_one(buf, len, NULL, 0, &msg);
	parse_one(buf, len, &def, 0, &msg);
	parse_one(buf, len, &tiny, 0, &msg);
	parse_one(buf, len, &hard, 0, &msg);
	parse_one(buf, len, &fuzzed, 0, &msg);
	parse_stream(buf, len, NULL, &msg);
	parse_stream(buf, len, &tiny, &msg);
	parse_stream(buf, len, &hard, &msg);

	free(buf);
	return 0;
}
