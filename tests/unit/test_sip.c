/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_sip.c - table-driven tests of sip_parse(): names and tables, the
 * start line, the sanity checks on headers, the header index and its
 * lookups. The limits, framing and robustness tests are in test_sip_frame.c,
 * the on-demand field parsers in test_sip_fields.c. Each row is an input and
 * what must come out; the expectations come from RFC 3261 and sip.h, not
 * from the implementation.
 */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#define CHECK_MAIN
#include "test_sip.h"

#define SKIP	 INT64_MIN /* a field a row does not check */
#define WHOLE	 (-1)	   /* expected return: the whole input */

static char *copy_buf;

int parse_copy(const char *s, uint32_t len, const struct sip_limits *lim,
	       unsigned opts, struct sip_msg *m)
{
	free(copy_buf);
	copy_buf = malloc(len ? len : 1);
	if (copy_buf == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(copy_buf, s, len);
	memset(m, 0xa5, sizeof(*m));
	return sip_parse(copy_buf, len, lim, opts, m);
}

void parse_release(void)
{
	free(copy_buf);
	copy_buf = NULL;
}

static struct sip_msg msg;

/* ---- names and tables ---- */

static void test_names(void)
{
	static const struct {
		int err;
		const char *name, *text;
	} errs[] = {
#define X(id, name, text) {SIP_ERR_##id, name, text},
#include "sip_err.def"
#undef X
	};
	static const struct {
		int id;
		const char *name;
	} methods[] = {
#define X(id, name, rfc) {SIP_METHOD_##id, name},
#include "sip_method.def"
#undef X
	}, hdrs[] = {
#define X(id, name, compact, flags, rfc) {SIP_HDR_##id, name},
#include "sip_hdr.def"
#undef X
	};
	struct sip_limits lim;

	check_ctx = "names";
	for (unsigned i = 0; i < NELEM(errs); i++) {
		CHECK(strcmp(sip_err_name(errs[i].err), errs[i].name) == 0);
		CHECK(strcmp(sip_err_name(-errs[i].err), errs[i].name) == 0);
		CHECK(strcmp(sip_err_text(errs[i].err), errs[i].text) == 0);
		CHECK(strcmp(sip_err_text(-errs[i].err), errs[i].text) == 0);
	}
	/* Out of range codes still give a string (they end up in logs). */
	CHECK(sip_err_name(SIP_ERR__COUNT) != NULL);
	CHECK(sip_err_name(-1000) != NULL);
	CHECK(sip_err_text(12345) != NULL);
	for (unsigned i = 0; i < NELEM(methods); i++) {
		const char *n = methods[i].name;
		CHECK(strcmp(sip_method_name((enum sip_method)methods[i].id), n) == 0);
		CHECK_INT(sip_method_lookup(n, (uint32_t)strlen(n)), methods[i].id);
	}
	CHECK(strcmp(sip_method_name(SIP_METHOD_OTHER), "") == 0);
	for (unsigned i = 0; i < NELEM(hdrs); i++)
		CHECK(strcmp(sip_hdr_canon((enum sip_hdr_id)hdrs[i].id), hdrs[i].name) == 0);
	CHECK(strcmp(sip_hdr_canon(SIP_HDR_OTHER), "") == 0);

	static const struct {
		const char *tok;
		int want;
	} lookups[] = {
		{"invite", SIP_METHOD_OTHER},  /* RFC 3261 7.1: case-sensitive */
		{"Invite", SIP_METHOD_OTHER},
		{"INVIT", SIP_METHOD_OTHER},
		{"INVITEX", SIP_METHOD_OTHER},
		{"INVITE ", SIP_METHOD_OTHER},
		{"BYE", SIP_METHOD_BYE},
		{"bye", SIP_METHOD_OTHER},
		{"REFERX", SIP_METHOD_OTHER},
		{"REFE", SIP_METHOD_OTHER},
		{"FOO", SIP_METHOD_OTHER},
		{"", SIP_METHOD_OTHER},
	};
	for (unsigned i = 0; i < NELEM(lookups); i++) {
		check_ctx = lookups[i].tok;
		CHECK_INT(sip_method_lookup(lookups[i].tok, (uint32_t)strlen(lookups[i].tok)),
			  lookups[i].want);
	}

	check_ctx = "sip_str_ieq";
	struct sip_str s = {"Call-ID", 7}, e = {"", 0};
	CHECK(sip_str_ieq(s, SIP_LIT("call-id")));
	CHECK(sip_str_ieq(s, SIP_LIT("CALL-ID")));
	CHECK(!sip_str_ieq(s, SIP_LIT("call-i")));
	CHECK(!sip_str_ieq(s, SIP_LIT("call-idx")));
	CHECK(!sip_str_ieq(s, SIP_LIT("call_id")));
	CHECK(sip_str_ieq(e, SIP_LIT("")));

	check_ctx = "sip_limits_default";
	memset(&lim, 0, sizeof(lim));
	sip_limits_default(&lim);
	CHECK_INT(lim.max_msg, SIP_DEF_MAX_MSG);
	CHECK_INT(lim.max_hdrs, SIP_DEF_MAX_HDRS);
	CHECK_INT(lim.max_line, SIP_DEF_MAX_LINE);
	CHECK_INT(SIP_DEF_MAX_MSG, 16384);
	CHECK_INT(SIP_DEF_MAX_HDRS, 64);
	CHECK_INT(SIP_DEF_MAX_LINE, 4096);
}

/* ---- the start line ---- */

/* Every method of sip_method.def, as a request and in a response's CSeq. */
static void test_methods(void)
{
	static const struct {
		int id;
		const char *name;
	} methods[] = {
#define X(id, name, rfc) {SIP_METHOD_##id, name},
#include "sip_method.def"
#undef X
	};
	char buf[512];

	for (unsigned i = 0; i < NELEM(methods); i++) {
		const char *n = methods[i].name;
		int len = snprintf(buf, sizeof(buf),
				   "%s sip:bob@example.com SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID
				   "CSeq: 42 %s\r\n\r\n", n, n);
		check_ctx = n;
		int r = parse_copy(buf, (uint32_t)len, NULL, 0, &msg);
		CHECK_INT(r, len);
		CHECK_INT(msg.method, methods[i].id);
		CHECK_INT(msg.cseq_method, methods[i].id);
		CHECK_INT(msg.cseq, 42);
		CHECK_STR(msg.method_str, n);
		CHECK_STR(msg.cseq_method_str, n);
		CHECK(msg.flags & SIP_MSG_REQUEST);

		len = snprintf(buf, sizeof(buf),
			       "SIP/2.0 200 OK\r\n" H_VIA H_FROM H_TO H_CID "CSeq: 42 %s\r\n\r\n", n);
		r = parse_copy(buf, (uint32_t)len, NULL, 0, &msg);
		CHECK_INT(r, len);
		CHECK_INT(msg.cseq_method, methods[i].id);
		CHECK(!(msg.flags & SIP_MSG_REQUEST));
	}
	/* A known name with more to it, or in another case, is an extension
	 * in a response's CSeq (the lookup compares whole names). */
	static const char *const ext[] = {"INVITEX", "invite", "BYE-", "REGISTER.", "ACKACK"};
	for (unsigned i = 0; i < NELEM(ext); i++) {
		int len = snprintf(buf, sizeof(buf),
				   "SIP/2.0 200 OK\r\n" H_VIA H_FROM H_TO H_CID "CSeq: 7 %s\r\n\r\n",
				   ext[i]);
		check_ctx = ext[i];
		CHECK_INT(parse_copy(buf, (uint32_t)len, NULL, 0, &msg), len);
		CHECK_INT(msg.cseq_method, SIP_METHOD_OTHER);
		CHECK_STR(msg.cseq_method_str, ext[i]);
	}
}

struct sl_row {
	const char *name;
	const char *start; /* the start line, without CRLF */
	const char *cseq;  /* the CSeq value */
	int want;	   /* 0 or SIP_ERR_x */
	int alt;	   /* another acceptable error, or 0 */
	int method;	   /* requests: enum sip_method */
	const char *method_str, *ruri, *version;
	int status;	   /* responses */
	const char *reason;
};

static const struct sl_row sl_rows[] = {
	{"invite", "INVITE sip:bob@example.com SIP/2.0", "1 INVITE", 0, 0,
	 SIP_METHOD_INVITE, "INVITE", "sip:bob@example.com", "SIP/2.0", 0, NULL},
	{"extension method", "FROBNICATE sip:svc@example.com SIP/2.0", "1 FROBNICATE", 0, 0,
	 SIP_METHOD_OTHER, "FROBNICATE", "sip:svc@example.com", "SIP/2.0", 0, NULL},
	{"lowercase method is an extension", "invite sip:b@example.com SIP/2.0", "1 invite", 0, 0,
	 SIP_METHOD_OTHER, "invite", "sip:b@example.com", "SIP/2.0", 0, NULL},
	{"method prefix", "INVITEX sip:b@example.com SIP/2.0", "1 INVITEX", 0, 0,
	 SIP_METHOD_OTHER, "INVITEX", "sip:b@example.com", "SIP/2.0", 0, NULL},
	{"every token char", "a-.!%*_+`'~Z sip:b@example.com SIP/2.0", "1 a-.!%*_+`'~Z", 0, 0,
	 SIP_METHOD_OTHER, "a-.!%*_+`'~Z", "sip:b@example.com", "SIP/2.0", 0, NULL},
	{"lowercase version", "OPTIONS sip:b@example.com sip/2.0", "1 OPTIONS", 0, 0,
	 SIP_METHOD_OPTIONS, "OPTIONS", "sip:b@example.com", "sip/2.0", 0, NULL},
	{"sips r-uri", "INVITE sips:b@example.com:5061;transport=tcp SIP/2.0", "1 INVITE", 0, 0,
	 SIP_METHOD_INVITE, "INVITE", "sips:b@example.com:5061;transport=tcp", "SIP/2.0", 0, NULL},
	{"tel r-uri", "INVITE tel:+1-555-0100 SIP/2.0", "1 INVITE", 0, 0,
	 SIP_METHOD_INVITE, "INVITE", "tel:+1-555-0100", "SIP/2.0", 0, NULL},
	{"ipv6 r-uri with port", "REGISTER sip:[2001:db8::1]:5070 SIP/2.0", "1 REGISTER", 0, 0,
	 SIP_METHOD_REGISTER, "REGISTER", "sip:[2001:db8::1]:5070", "SIP/2.0", 0, NULL},
	{"ipv6 r-uri", "OPTIONS sip:user@[2001:db8::1] SIP/2.0", "1 OPTIONS", 0, 0,
	 SIP_METHOD_OPTIONS, "OPTIONS", "sip:user@[2001:db8::1]", "SIP/2.0", 0, NULL},
	{"absoluteURI r-uri (RFC 3261 25.1)", "OPTIONS urn:service:sos SIP/2.0", "1 OPTIONS", 0, 0,
	 SIP_METHOD_OPTIONS, "OPTIONS", "urn:service:sos", "SIP/2.0", 0, NULL},
	{"r-uri escapes", "INVITE sip:%61l%40ce@example.com;x=%20 SIP/2.0", "1 INVITE", 0, 0,
	 SIP_METHOD_INVITE, "INVITE", "sip:%61l%40ce@example.com;x=%20", "SIP/2.0", 0, NULL},

	{"bad method char (", "INV(ITE sip:b@example.com SIP/2.0", "1 INVITE", SIP_ERR_BAD_METHOD, 0},
	{"bad method char @", "INV@ITE sip:b@example.com SIP/2.0", "1 INVITE", SIP_ERR_BAD_METHOD,
	 SIP_ERR_BAD_REQUEST_URI},
	{"bad method utf-8", "INVIT\xc3\x89 sip:b@example.com SIP/2.0", "1 INVITE", SIP_ERR_BAD_METHOD, 0},
	{"no r-uri", "INVITE SIP/2.0", "1 INVITE", SIP_ERR_BAD_START_LINE, SIP_ERR_BAD_REQUEST_URI},
	{"no spaces", "INVITE", "1 INVITE", SIP_ERR_BAD_START_LINE, 0},
	{"version 3.0", "INVITE sip:b@example.com SIP/3.0", "1 INVITE", SIP_ERR_BAD_VERSION, 0},
	{"version 2.00", "INVITE sip:b@example.com SIP/2.00", "1 INVITE", SIP_ERR_BAD_VERSION, 0},
	{"version 2", "INVITE sip:b@example.com SIP/2", "1 INVITE", SIP_ERR_BAD_VERSION, 0},
	{"version http", "INVITE sip:b@example.com HTTP/1.1", "1 INVITE", SIP_ERR_BAD_VERSION,
	 SIP_ERR_BAD_START_LINE},
	{"trailing space after version", "INVITE sip:b@example.com SIP/2.0 ", "1 INVITE",
	 SIP_ERR_BAD_VERSION, SIP_ERR_BAD_START_LINE},
	{"r-uri ipv6 unclosed", "INVITE sip:b@[2001:db8::1 SIP/2.0", "1 INVITE",
	 SIP_ERR_BAD_REQUEST_URI, 0},
	{"r-uri ipv6 unbracketed", "INVITE sip:b@2001:db8::1 SIP/2.0", "1 INVITE",
	 SIP_ERR_BAD_REQUEST_URI, 0},
	{"r-uri ipv6 two gaps", "INVITE sip:b@[2001::db8::1] SIP/2.0", "1 INVITE",
	 SIP_ERR_BAD_REQUEST_URI, 0},
	{"r-uri port 65536", "INVITE sip:b@example.com:65536 SIP/2.0", "1 INVITE",
	 SIP_ERR_BAD_REQUEST_URI, 0},
	{"r-uri no scheme", "INVITE bob@example.com SIP/2.0", "1 INVITE",
	 SIP_ERR_BAD_REQUEST_URI, 0},
	{"r-uri bad escape", "INVITE sip:b%4@example.com SIP/2.0", "1 INVITE",
	 SIP_ERR_BAD_REQUEST_URI, 0},

	{"200", "SIP/2.0 200 OK", "1 INVITE", 0, 0, 0, NULL, NULL, "SIP/2.0", 200, "OK"},
	{"100 lowest", "SIP/2.0 100 Trying", "1 INVITE", 0, 0, 0, NULL, NULL, "SIP/2.0", 100, "Trying"},
	{"699 highest", "SIP/2.0 699 Whatever", "1 INVITE", 0, 0, 0, NULL, NULL, "SIP/2.0", 699,
	 "Whatever"},
	{"reason with spaces", "SIP/2.0 486 Busy  Here", "1 INVITE", 0, 0, 0, NULL, NULL, "SIP/2.0",
	 486, "Busy  Here"},
	{"empty reason", "SIP/2.0 180 ", "1 INVITE", 0, 0, 0, NULL, NULL, "SIP/2.0", 180, ""},
	{"utf-8 reason", "SIP/2.0 603 D\xc3\xa9" "clin\xc3\xa9", "1 INVITE", 0, 0, 0, NULL, NULL,
	 "SIP/2.0", 603, "D\xc3\xa9" "clin\xc3\xa9"},
	{"response lowercase version", "sip/2.0 200 OK", "1 INVITE", 0, 0, 0, NULL, NULL, "sip/2.0",
	 200, "OK"},
	{"response any cseq method", "SIP/2.0 405 Method Not Allowed", "3 FROBNICATE", 0, 0, 0, NULL,
	 NULL, "SIP/2.0", 405, "Method Not Allowed"},
	{"status 99", "SIP/2.0 99 Low", "1 INVITE", SIP_ERR_BAD_STATUS, 0},
	{"status 700", "SIP/2.0 700 High", "1 INVITE", SIP_ERR_BAD_STATUS, 0},
	{"status 000", "SIP/2.0 000 Zero", "1 INVITE", SIP_ERR_BAD_STATUS, 0},
	{"status 2 digits", "SIP/2.0 20 OK", "1 INVITE", SIP_ERR_BAD_STATUS, 0},
	{"status 4 digits", "SIP/2.0 2000 OK", "1 INVITE", SIP_ERR_BAD_STATUS, 0},
	{"status letters", "SIP/2.0 OK 200", "1 INVITE", SIP_ERR_BAD_STATUS, 0},
	{"status missing", "SIP/2.0", "1 INVITE", SIP_ERR_BAD_STATUS, SIP_ERR_BAD_START_LINE},
	{"status glued to reason", "SIP/2.0 200OK", "1 INVITE", SIP_ERR_BAD_STATUS,
	 SIP_ERR_BAD_START_LINE},
	{"version with junk", "SIP/2.0x 200 OK", "1 INVITE", SIP_ERR_BAD_VERSION, 0},
	{"response version 7", "SIP/7.0 200 OK", "1 INVITE", SIP_ERR_BAD_VERSION, 0},
	{"response version 2.1", "SIP/2.1 200 OK", "1 INVITE", SIP_ERR_BAD_VERSION, 0},
};

static void test_start_lines(void)
{
	char buf[1024];

	for (unsigned i = 0; i < NELEM(sl_rows); i++) {
		const struct sl_row *row = &sl_rows[i];
		int len = snprintf(buf, sizeof(buf), "%s\r\n" H_VIA H_FROM H_TO H_CID
				   "CSeq: %s\r\n\r\n", row->start, row->cseq);
		check_ctx = row->name;
		int r = parse_copy(buf, (uint32_t)len, NULL, 0, &msg);
		if (row->want != 0) {
			CHECK(r == -row->want || (row->alt && r == -row->alt));
			if (r != -row->want && !(row->alt && r == -row->alt))
				fprintf(stderr, "    got %d %s, want %s\n", r,
					r < 0 ? sip_err_name(r) : "", sip_err_name(row->want));
			CHECK_INT(msg.err, r < 0 ? -r : 0);
			continue;
		}
		CHECK_INT(r, len);
		if (r != len) {
			fprintf(stderr, "    got %s at %u\n", r < 0 ? sip_err_name(r) : "?", msg.err_off);
			continue;
		}
		CHECK_STR(msg.version, row->version);
		if (row->method_str != NULL) {
			CHECK(msg.flags & SIP_MSG_REQUEST);
			CHECK_INT(msg.method, row->method);
			CHECK_STR(msg.method_str, row->method_str);
			CHECK_STR(msg.ruri, row->ruri);
		} else {
			CHECK(!(msg.flags & SIP_MSG_REQUEST));
			CHECK_INT(msg.status, row->status);
			CHECK_STR(msg.reason, row->reason);
		}
	}
}

/* ---- headers: the checks sip_parse() runs on every message ---- */

struct hdr_row {
	const char *name;
	const char *msg;
	uint32_t len;	  /* 0: strlen(msg) */
	int want, alt;	  /* 0 or SIP_ERR_x; alt: another acceptable error */
	int64_t ret;	  /* success: bytes returned, WHOLE, or SKIP */
	int64_t err_off;  /* failure: SKIP or the offset */
	int64_t cseq, content_length, max_forwards, expires;
	uint32_t flags_set, flags_clear;
	const char *body; /* NULL: not checked */
};

#define OK_ROW(n, m)           n, m, 0, 0, 0, WHOLE, SKIP
#define ERR_ROW(n, m, e)       n, m, 0, e, 0, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, 0, 0, NULL
#define ERR_ROW2(n, m, e, a)   n, m, 0, e, a, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, 0, 0, NULL
#define ERR_AT(n, m, l, e, at) n, m, l, e, 0, SKIP, at, SKIP, SKIP, SKIP, SKIP, 0, 0, NULL
#define NOF SKIP, SKIP, SKIP, SKIP, 0, 0, NULL
#define CSEQ_ONLY SKIP, SKIP, SKIP, 0, 0, NULL /* after a cseq value */
#define NUL_START "INVITE sip:\0b@example.com SIP/2.0\r\n" H_MAND "\r\n"

static const struct hdr_row hdr_rows[] = {
	{OK_ROW("minimal request", REQ("")), 1, -1, -1, -1, SIP_MSG_REQUEST,
	 SIP_MSG_FOLDED | SIP_MSG_COMPACT | SIP_MSG_BODY_TRIMMED, ""},
	{OK_ROW("minimal response", RESP("")), 1, -1, -1, -1, 0,
	 SIP_MSG_REQUEST | SIP_MSG_FOLDED | SIP_MSG_COMPACT | SIP_MSG_BODY_TRIMMED, ""},

	/* mandatory headers, RFC 3261 8.1.1, in requests and responses */
	{ERR_ROW("request without Via", RLINE H_FROM H_TO H_CID H_CSEQ "\r\n", SIP_ERR_MISSING_VIA)},
	{ERR_ROW("request without From", RLINE H_VIA H_TO H_CID H_CSEQ "\r\n", SIP_ERR_MISSING_FROM)},
	{ERR_ROW("request without To", RLINE H_VIA H_FROM H_CID H_CSEQ "\r\n", SIP_ERR_MISSING_TO)},
	{ERR_ROW("request without Call-ID", RLINE H_VIA H_FROM H_TO H_CSEQ "\r\n",
		 SIP_ERR_MISSING_CALL_ID)},
	{ERR_ROW("request without CSeq", RLINE H_VIA H_FROM H_TO H_CID "\r\n", SIP_ERR_MISSING_CSEQ)},
	{ERR_ROW("response without Via", SLINE H_FROM H_TO H_CID H_CSEQ "\r\n", SIP_ERR_MISSING_VIA)},
	{ERR_ROW("response without From", SLINE H_VIA H_TO H_CID H_CSEQ "\r\n", SIP_ERR_MISSING_FROM)},
	{ERR_ROW("response without To", SLINE H_VIA H_FROM H_CID H_CSEQ "\r\n", SIP_ERR_MISSING_TO)},
	{ERR_ROW("response without Call-ID", SLINE H_VIA H_FROM H_TO H_CSEQ "\r\n",
		 SIP_ERR_MISSING_CALL_ID)},
	{ERR_ROW("response without CSeq", SLINE H_VIA H_FROM H_TO H_CID "\r\n", SIP_ERR_MISSING_CSEQ)},
	{ERR_ROW("no header at all", "OPTIONS sip:a@example.com SIP/2.0\r\n\r\n", SIP_ERR_MISSING_VIA)},

	/* CSeq: 1*DIGIT LWS Method, number < 2^31 (RFC 3261 8.1.1.5) */
	{OK_ROW("cseq 0", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 0 INVITE\r\n\r\n"), 0, CSEQ_ONLY},
	{OK_ROW("cseq 2^31-1", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 2147483647 INVITE\r\n\r\n"),
	 2147483647, CSEQ_ONLY},
	{OK_ROW("cseq leading zeros", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 0007 INVITE\r\n\r\n"),
	 7, CSEQ_ONLY},
	{OK_ROW("cseq tabs and spaces", RLINE H_VIA H_FROM H_TO H_CID "CSeq:\t5 \t INVITE \r\n\r\n"),
	 5, CSEQ_ONLY},
	{ERR_ROW("cseq 2^31", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 2147483648 INVITE\r\n\r\n",
		 SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq 2^32", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 4294967296 INVITE\r\n\r\n",
		 SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq 2^64+1", RLINE H_VIA H_FROM H_TO H_CID
		 "CSeq: 18446744073709551617 INVITE\r\n\r\n", SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq negative", RLINE H_VIA H_FROM H_TO H_CID "CSeq: -1 INVITE\r\n\r\n",
		 SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq no number", RLINE H_VIA H_FROM H_TO H_CID "CSeq: INVITE\r\n\r\n",
		 SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq no method", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1\r\n\r\n", SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq no space", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1INVITE\r\n\r\n",
		 SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq trailing junk", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 INVITE x\r\n\r\n",
		 SIP_ERR_BAD_CSEQ)},
	{ERR_ROW("cseq empty", RLINE H_VIA H_FROM H_TO H_CID "CSeq:\r\n\r\n", SIP_ERR_BAD_CSEQ)},
	{ERR_ROW2("cseq method not a token", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 INV(ITE\r\n\r\n",
		  SIP_ERR_BAD_CSEQ, SIP_ERR_CSEQ_MISMATCH)},
	{ERR_ROW("cseq other method", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 BYE\r\n\r\n",
		 SIP_ERR_CSEQ_MISMATCH)},
	{ERR_ROW("cseq method case", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 Invite\r\n\r\n",
		 SIP_ERR_CSEQ_MISMATCH)},
	{ERR_ROW("cseq method prefix", RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 INVIT\r\n\r\n",
		 SIP_ERR_CSEQ_MISMATCH)},
	{ERR_ROW("cseq extension mismatch", "FOO sip:b@example.com SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID
		 "CSeq: 1 FOOX\r\n\r\n", SIP_ERR_CSEQ_MISMATCH)},
	/* a CSeq method equal to the request's is taken without a lookup;
	 * the compare goes by word, the last one overlapping */
	{ERR_ROW("cseq method last byte", "REGISTER sip:b@example.com SIP/2.0\r\n" H_VIA H_FROM
		 H_TO H_CID "CSeq: 1 REGISTEX\r\n\r\n", SIP_ERR_CSEQ_MISMATCH)},
	{ERR_ROW("cseq three-letter method", "BYE sip:b@example.com SIP/2.0\r\n" H_VIA H_FROM H_TO
		 H_CID "CSeq: 1 BYF\r\n\r\n", SIP_ERR_CSEQ_MISMATCH)},
	{ERR_ROW("cseq one-letter method", "X sip:b@example.com SIP/2.0\r\n" H_VIA H_FROM H_TO H_CID
		 "CSeq: 1 Y\r\n\r\n", SIP_ERR_CSEQ_MISMATCH)},
	{ERR_ROW("cseq long extension mismatch", "ABCDEFGHIJKLMNOPQR sip:b@example.com SIP/2.0\r\n"
		 H_VIA H_FROM H_TO H_CID "CSeq: 1 ABCDEFGHIXKLMNOPQR\r\n\r\n",
		 SIP_ERR_CSEQ_MISMATCH)},
	{OK_ROW("cseq long extension method", "ABCDEFGHIJKLMNOPQR sip:b@example.com SIP/2.0\r\n"
		H_VIA H_FROM H_TO H_CID "CSeq: 1 ABCDEFGHIJKLMNOPQR\r\n\r\n"), NOF},

	/* a response's CSeq method that is a known name skips the token
	 * test; one with a non-token byte after the name still fails it */
	{ERR_AT("response cseq method then junk",
		SLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 INVITE;\r\n\r\n", 0, SIP_ERR_BAD_CSEQ,
		(int64_t)sizeof(SLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 INVITE") - 1)},
	{ERR_AT("response cseq method not a token",
		SLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 BY(E\r\n\r\n", 0, SIP_ERR_BAD_CSEQ,
		(int64_t)sizeof(SLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 BY") - 1)},
	{ERR_ROW("response cseq method then a space", SLINE H_VIA H_FROM H_TO H_CID
		 "CSeq: 1 ACK x\r\n\r\n", SIP_ERR_BAD_CSEQ)},

	/* Call-ID: word ["@" word] */
	{OK_ROW("call-id every word char", RLINE H_VIA H_FROM H_TO H_CSEQ
		"Call-ID: a-.!%*_+`'~()<>:\\\"/[]?{}@Z9\r\n\r\n"), NOF},
	{ERR_ROW("call-id empty", RLINE H_VIA H_FROM H_TO H_CSEQ "Call-ID:\r\n\r\n", SIP_ERR_BAD_CALL_ID)},
	{ERR_ROW("call-id blank", RLINE H_VIA H_FROM H_TO H_CSEQ "Call-ID:   \r\n\r\n",
		 SIP_ERR_BAD_CALL_ID)},
	{ERR_ROW("call-id with space", RLINE H_VIA H_FROM H_TO H_CSEQ "Call-ID: a b\r\n\r\n",
		 SIP_ERR_BAD_CALL_ID)},

	/* Content-Length and UDP framing (RFC 3261 18.3, 20.14) */
	{OK_ROW("content-length 0", REQ("Content-Length: 0\r\n")), SKIP, 0, SKIP, SKIP, 0,
	 SIP_MSG_BODY_TRIMMED, ""},
	{OK_ROW("content-length exact", REQ("Content-Length: 4\r\n") "abcd"), SKIP, 4, SKIP, SKIP, 0,
	 SIP_MSG_BODY_TRIMMED, "abcd"},
	{"content-length shorter than datagram", REQ("l: 2\r\n") "abcd", 0, 0, 0,
	 (int64_t)sizeof(REQ("l: 2\r\n")) - 1 + 2, SKIP, SKIP, 2, SKIP, SKIP,
	 SIP_MSG_BODY_TRIMMED | SIP_MSG_COMPACT, 0, "ab"},
	{"content-length 0, junk after", REQ("Content-Length: 0\r\n") "junk", 0, 0, 0,
	 (int64_t)sizeof(REQ("Content-Length: 0\r\n")) - 1, SKIP, SKIP, 0, SKIP, SKIP,
	 SIP_MSG_BODY_TRIMMED, 0, ""},
	{OK_ROW("no content-length: the rest is body", REQ("") "hello"), SKIP, -1, SKIP, SKIP, 0,
	 SIP_MSG_BODY_TRIMMED, "hello"},
	{OK_ROW("content-length leading zeros", REQ("Content-Length: 003\r\n") "xyz"), SKIP, 3,
	 SKIP, SKIP, 0, 0, "xyz"},
	{OK_ROW("identical content-length twice", REQ("Content-Length: 3\r\nl: 3\r\n") "xyz"), SKIP,
	 3, SKIP, SKIP, SIP_MSG_COMPACT, 0, "xyz"},
	{ERR_ROW("content-length beyond datagram", REQ("Content-Length: 5\r\n") "abc",
		 SIP_ERR_BODY_TRUNCATED)},
	{ERR_ROW("content-length negative", REQ("Content-Length: -1\r\n"), SIP_ERR_BAD_CONTENT_LENGTH)},
	{ERR_ROW("content-length letters", REQ("Content-Length: x\r\n"), SIP_ERR_BAD_CONTENT_LENGTH)},
	{ERR_ROW("content-length empty", REQ("Content-Length:\r\n"), SIP_ERR_BAD_CONTENT_LENGTH)},
	{ERR_ROW("content-length two numbers", REQ("Content-Length: 1 2\r\n") "ab",
		 SIP_ERR_BAD_CONTENT_LENGTH)},
	{ERR_ROW2("content-length 2^31", REQ("Content-Length: 2147483648\r\n"),
		  SIP_ERR_BAD_CONTENT_LENGTH, SIP_ERR_BODY_TRUNCATED)},
	{ERR_ROW2("content-length 2^64", REQ("Content-Length: 18446744073709551616\r\n"),
		  SIP_ERR_BAD_CONTENT_LENGTH, SIP_ERR_BODY_TRUNCATED)},
	{ERR_ROW("conflicting content-length", REQ("Content-Length: 1\r\nl: 2\r\n") "ab",
		 SIP_ERR_DUPLICATE_HEADER)},

	/* Max-Forwards: 1*DIGIT, 0..255 */
	{OK_ROW("max-forwards 0", REQ("Max-Forwards: 0\r\n")), SKIP, SKIP, 0, SKIP, 0, 0, NULL},
	{OK_ROW("max-forwards 255", REQ("Max-Forwards: 255\r\n")), SKIP, SKIP, 255, SKIP, 0, 0, NULL},
	{OK_ROW("max-forwards 70", REQ("Max-Forwards:   70  \r\n")), SKIP, SKIP, 70, SKIP, 0, 0, NULL},
	{ERR_ROW("max-forwards 256", REQ("Max-Forwards: 256\r\n"), SIP_ERR_BAD_MAX_FORWARDS)},
	{ERR_ROW("max-forwards 2^32", REQ("Max-Forwards: 4294967296\r\n"), SIP_ERR_BAD_MAX_FORWARDS)},
	{ERR_ROW("max-forwards -1", REQ("Max-Forwards: -1\r\n"), SIP_ERR_BAD_MAX_FORWARDS)},
	{ERR_ROW("max-forwards letters", REQ("Max-Forwards: ten\r\n"), SIP_ERR_BAD_MAX_FORWARDS)},
	{ERR_ROW("max-forwards empty", REQ("Max-Forwards:\r\n"), SIP_ERR_BAD_MAX_FORWARDS)},
	{ERR_ROW("max-forwards two numbers", REQ("Max-Forwards: 7 0\r\n"), SIP_ERR_BAD_MAX_FORWARDS)},

	/* Expires: delta-seconds, clamped at 2^32-1 (RFC 3261 20.19, 25.1) */
	{OK_ROW("expires 0", REQ("Expires: 0\r\n")), SKIP, SKIP, SKIP, 0, 0, 0, NULL},
	{OK_ROW("expires 3600", REQ("Expires: 3600\r\n")), SKIP, SKIP, SKIP, 3600, 0, 0, NULL},
	{OK_ROW("expires 2^32-1", REQ("Expires: 4294967295\r\n")), SKIP, SKIP, SKIP, 4294967295LL, 0,
	 0, NULL},
	{OK_ROW("expires 2^32 clamps", REQ("Expires: 4294967296\r\n")), SKIP, SKIP, SKIP,
	 4294967295LL, 0, 0, NULL},
	{OK_ROW("expires 10^30 clamps", REQ("Expires: 1000000000000000000000000000000\r\n")), SKIP,
	 SKIP, SKIP, 4294967295LL, 0, 0, NULL},
	{OK_ROW("expires in a response", RESP("Expires: 60\r\n")), SKIP, SKIP, SKIP, 60, 0, 0, NULL},
	{ERR_ROW("expires letters", REQ("Expires: soon\r\n"), SIP_ERR_BAD_EXPIRES)},
	{ERR_ROW("expires negative", REQ("Expires: -1\r\n"), SIP_ERR_BAD_EXPIRES)},
	{ERR_ROW("expires empty", REQ("Expires:\r\n"), SIP_ERR_BAD_EXPIRES)},

	{OK_ROW("max-forwards leading zeros", REQ("Max-Forwards: 0070\r\n")), SKIP, SKIP, 70, SKIP,
	 0, 0, NULL},
	{ERR_ROW("content-length with plus", REQ("Content-Length: +0\r\n"),
		 SIP_ERR_BAD_CONTENT_LENGTH)},
	{ERR_ROW("expires with inner space", REQ("Expires: 36 00\r\n"), SIP_ERR_BAD_EXPIRES)},
	{OK_ROW("folded content-length", REQ("Content-Length:\r\n 2\r\n") "ab"), SKIP, 2, SKIP,
	 SKIP, SIP_MSG_FOLDED, 0, "ab"},
	{OK_ROW("whitespace-only continuation", REQ("Subject: a\r\n \r\n")), SKIP, SKIP, SKIP, SKIP,
	 SIP_MSG_FOLDED, 0, NULL},

	/* repeated single-valued headers */
	{OK_ROW("identical From twice", REQ(H_FROM)), NOF},
	{OK_ROW("identical Call-ID as i", REQ("i: call-1@192.0.2.1\r\n")), SKIP, SKIP, SKIP, SKIP,
	 SIP_MSG_COMPACT, 0, NULL},
	{OK_ROW("identical after trimming", REQ("Call-ID:    call-1@192.0.2.1   \r\n")), NOF},
	{OK_ROW("Via repeated", REQ("Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-2\r\n")), NOF},
	{OK_ROW("Subject repeated", REQ("Subject: a\r\nSubject: b\r\n")), NOF},
	{ERR_ROW("From twice", REQ("From: <sip:eve@example.org>;tag=e1\r\n"), SIP_ERR_DUPLICATE_HEADER)},
	{ERR_ROW("To twice", REQ("t: <sip:eve@example.com>\r\n"), SIP_ERR_DUPLICATE_HEADER)},
	{ERR_ROW("From as f twice", REQ("f: <sip:other@example.org>;tag=9\r\n"),
		 SIP_ERR_DUPLICATE_HEADER)},
	{OK_ROW("identical Content-Type twice",
		REQ("Content-Type: text/plain\r\nc: text/plain\r\n")), NOF},
	{ERR_ROW("Call-ID twice", REQ("Call-ID: other\r\n"), SIP_ERR_DUPLICATE_HEADER)},
	{ERR_ROW("CSeq twice", REQ("CSeq: 2 INVITE\r\n"), SIP_ERR_DUPLICATE_HEADER)},
	{ERR_ROW("Max-Forwards twice", REQ("Max-Forwards: 70\r\nMax-Forwards: 69\r\n"),
		 SIP_ERR_DUPLICATE_HEADER)},
	{ERR_ROW("Content-Type twice", REQ("c: text/plain\r\nContent-Type: text/html\r\n"),
		 SIP_ERR_DUPLICATE_HEADER)},

	/* characters and lines */
	{OK_ROW("tab and utf-8 in values", REQ("Subject: caf\xc3\xa9\tbar\r\n")), NOF},
	{OK_ROW("bare LF everywhere",
		"INVITE sip:bob@example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-lf\nFrom: <sip:a@example.org>;tag=1\n"
		"To: <sip:b@example.com>\nCall-ID: lf-1\nCSeq: 1 INVITE\nContent-Length: 2\n\nhi"),
	 1, 2, SKIP, SKIP, 0, 0, "hi"},
	{OK_ROW("folded value", REQ("Subject: one\r\n two\r\n\tthree\r\n")), SKIP, SKIP, SKIP, SKIP,
	 SIP_MSG_FOLDED, 0, NULL},
	{OK_ROW("folded with bare LF", REQ("Subject: one\n two\n")), SKIP, SKIP, SKIP, SKIP,
	 SIP_MSG_FOLDED, 0, NULL},
	{OK_ROW("space before colon", REQ("Subject  \t: x\r\n")), NOF},
	{OK_ROW("empty value", REQ("Subject:\r\n")), NOF},
	{OK_ROW("leading CRLF ignored (RFC 3261 7.5)", "\r\n\r\n" REQ("")), NOF},
	{ERR_AT("NUL in a value", REQ("Subject: a\0b\r\n"), sizeof(REQ("Subject: a\0b\r\n")) - 1,
		SIP_ERR_BAD_CHAR, sizeof(RLINE H_MAND "Subject: a") - 1)},
	{ERR_AT("bare CR in a value", REQ("Subject: a\rb\r\n"), 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND "Subject: a") - 1)},
	{ERR_AT("bare CR at end of line", REQ("Subject: a\r\r\n"), 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND "Subject: a") - 1)},
	{ERR_AT("SOH in a value", REQ("Subject: a\x01" "b\r\n"), 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND "Subject: a") - 1)},
	{ERR_AT("ESC in a name", REQ("Sub\x1bject: a\r\n"), 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND "Sub") - 1)},
	{"NUL in the start line", NUL_START, sizeof(NUL_START) - 1, SIP_ERR_BAD_CHAR,
	 SIP_ERR_BAD_REQUEST_URI, SKIP, 11, NOF},
	{ERR_ROW("folding after the start line", RLINE " Subject: x\r\n" H_MAND "\r\n",
		 SIP_ERR_BAD_FOLDING)},
	{ERR_ROW("tab folding after the start line", RLINE "\tx\r\n" H_MAND "\r\n",
		 SIP_ERR_BAD_FOLDING)},
	{ERR_ROW("header without colon", REQ("Subject x\r\n"), SIP_ERR_BAD_HEADER_NAME)},
	{ERR_ROW("header with empty name", REQ(": x\r\n"), SIP_ERR_BAD_HEADER_NAME)},
	{ERR_ROW("space inside a name", REQ("Sub ject: x\r\n"), SIP_ERR_BAD_HEADER_NAME)},
	{ERR_ROW("non-token char in a name", REQ("Sub(ject: x\r\n"), SIP_ERR_BAD_HEADER_NAME)},
	{ERR_AT("lone CR before the start line", "\r" REQ(""), 0, SIP_ERR_BAD_CHAR, 0)},
	{ERR_AT("lone CR starting a line", REQ("Subject: a\r\n\rX: b\r\n"), 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND "Subject: a\r\n") - 1)},
	{ERR_AT("lone CR as the datagram's last byte", RLINE H_MAND "Subject: a\r", 0,
		SIP_ERR_TRUNCATED, sizeof(RLINE H_MAND "Subject: a\r") - 1)},
	{ERR_AT("CR CR LF for the empty line", RLINE H_MAND "\r\r\n", 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND) - 1)},
	{ERR_AT("control byte for the empty line", RLINE H_MAND "\x01\r\n", 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND) - 1)},
	/* the scan leaves a control right before a LF to the line walk */
	{ERR_AT("control byte for the empty line, bare LF", RLINE H_MAND "\x01\n", 0,
		SIP_ERR_BAD_CHAR, sizeof(RLINE H_MAND) - 1)},
	{ERR_AT("SOH before a bare LF", REQ("Subject: a\x01\nX: b\r\n"), 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND "Subject: a") - 1)},
	{ERR_AT("DEL before a bare LF", REQ("Subject: a\x7f\nX: b\r\n"), 0, SIP_ERR_BAD_CHAR,
		sizeof(RLINE H_MAND "Subject: a") - 1)},
	{ERR_AT("ESC before the start line's bare LF", "OPTIONS sip:a@b SIP/2.0\x1b\n" H_MAND "\r\n",
		0, SIP_ERR_BAD_CHAR, sizeof("OPTIONS sip:a@b SIP/2.0") - 1)},
	{ERR_AT("SOH as the datagram's last byte", RLINE H_MAND "Subject: a\x01", 0,
		SIP_ERR_BAD_CHAR, sizeof(RLINE H_MAND "Subject: a") - 1)},
	{"NUL and lone CR in a body without Content-Length", REQ("") "a\0\rb",
	 sizeof(REQ("") "a\0\rb") - 1, 0, 0, WHOLE, SKIP, SKIP, -1, SKIP, SKIP, 0, 0, NULL},
	{ERR_ROW("empty datagram", "", SIP_ERR_EMPTY)},
	{ERR_ROW("only CRLFs", "\r\n\r\n", SIP_ERR_EMPTY)},
	{ERR_ROW("no empty line", RLINE H_MAND, SIP_ERR_TRUNCATED)},
	{ERR_ROW("cut inside a header", RLINE H_VIA "From: <sip:al", SIP_ERR_TRUNCATED)},
	{ERR_ROW("cut inside the start line", "INVITE sip:b", SIP_ERR_TRUNCATED)},
};

static void test_headers(void)
{
	for (unsigned i = 0; i < NELEM(hdr_rows); i++) {
		const struct hdr_row *row = &hdr_rows[i];
		uint32_t len = row->len ? row->len : (uint32_t)strlen(row->msg);

		check_ctx = row->name;
		int r = parse_copy(row->msg, len, NULL, 0, &msg);
		if (row->want != 0) {
			CHECK(r == -row->want || (row->alt && r == -row->alt));
			if (r != -row->want && !(row->alt && r == -row->alt))
				fprintf(stderr, "    got %d %s, want %s\n", r, r < 0 ? sip_err_name(r) : "",
					sip_err_name(row->want));
			CHECK_INT(msg.err, r < 0 ? -r : 0);
			if (row->err_off != SKIP)
				CHECK_INT(msg.err_off, row->err_off);
			continue;
		}
		if (r < 0)
			fprintf(stderr, "    got %s at %u\n", sip_err_name(r), msg.err_off);
		if (row->ret != SKIP)
			CHECK_INT(r, row->ret == WHOLE ? len : row->ret);
		if (r <= 0)
			continue;
		CHECK_INT(msg.len, r);
		CHECK_INT(msg.err, 0);
		if (row->cseq != SKIP)
			CHECK_INT(msg.cseq, row->cseq);
		if (row->content_length != SKIP)
			CHECK_INT(msg.content_length, row->content_length);
		if (row->max_forwards != SKIP)
			CHECK_INT(msg.max_forwards, row->max_forwards);
		if (row->expires != SKIP)
			CHECK_INT(msg.expires, row->expires);
		CHECK_INT(msg.flags & row->flags_set, row->flags_set);
		CHECK_INT(msg.flags & row->flags_clear, 0);
		if (row->body != NULL)
			CHECK_STR(msg.body, row->body);
		CHECK(msg.body.p == msg.buf + msg.hdr_len);
		CHECK_INT(msg.body.len + msg.hdr_len, msg.len);
	}
}

/* ---- the index and its lookups ---- */

struct idx_row {
	const char *name;
	int idx; /* expected sip_hdr_find() */
};

static void test_index(void)
{
	static const char m[] =
		"OPTIONS sip:a@example.com SIP/2.0\r\n"
		"vIa: SIP/2.0/UDP h1.example.com;branch=z9hG4bK1\r\n" /* 0 */
		"X-Custom: one\r\n"				     /* 1 */
		"V: SIP/2.0/UDP h2.example.com;branch=z9hG4bK2\r\n"   /* 2 */
		"FROM: <sip:a@example.org>;tag=1\r\n"		     /* 3 */
		"t  : <sip:c@example.com>\r\n"			     /* 4 */
		"call-id: id1\r\n"				     /* 5 */
		"CSEQ: 1 OPTIONS\r\n"				     /* 6 */
		"x-custom: two\r\n"				     /* 7 */
		"via:SIP/2.0/UDP h3.example.com;branch=z9hG4bK3\r\n"  /* 8 */
		"Subject: folded\r\n and more  \r\n"		     /* 9 */
		"\r\n";
	static const struct {
		int id;
		const char *name, *value;
	} want[] = {
		{SIP_HDR_VIA, "vIa", "SIP/2.0/UDP h1.example.com;branch=z9hG4bK1"},
		{SIP_HDR_OTHER, "X-Custom", "one"},
		{SIP_HDR_VIA, "V", "SIP/2.0/UDP h2.example.com;branch=z9hG4bK2"},
		{SIP_HDR_FROM, "FROM", "<sip:a@example.org>;tag=1"},
		{SIP_HDR_TO, "t", "<sip:c@example.com>"},
		{SIP_HDR_CALL_ID, "call-id", "id1"},
		{SIP_HDR_CSEQ, "CSEQ", "1 OPTIONS"},
		{SIP_HDR_OTHER, "x-custom", "two"},
		{SIP_HDR_VIA, "via", "SIP/2.0/UDP h3.example.com;branch=z9hG4bK3"},
		{SIP_HDR_SUBJECT, "Subject", "folded\r\n and more"},
	};
	static const struct idx_row finds[] = {
		{"Via", 0}, {"VIA", 0}, {"via", 0}, {"v", 0}, {"V", 0},
		{"X-Custom", 1}, {"x-CUSTOM", 1}, {"From", 3}, {"f", 3},
		{"To", 4}, {"T", 4}, {"Call-ID", 5}, {"i", 5}, {"cseq", 6},
		{"s", 9}, {"SUBJECT", 9}, {"Contact", -1}, {"m", -1}, {"X-Other", -1},
		{"X-Custo", -1}, {"X-Customs", -1}, {"Vi", -1}, {"z", -1}, {"Via ", -1},
		{"Via:", -1}, {" Via", -1},
	};

	check_ctx = "index";
	int r = parse_copy(m, sizeof(m) - 1, NULL, 0, &msg);
	CHECK_INT(r, sizeof(m) - 1);
	if (r <= 0)
		return;
	CHECK_INT(msg.nhdrs, NELEM(want));
	CHECK(msg.flags & SIP_MSG_COMPACT);
	CHECK(msg.flags & SIP_MSG_FOLDED);
	for (unsigned i = 0; i < NELEM(want) && i < msg.nhdrs; i++) {
		CHECK_INT(msg.hdrs[i].id, want[i].id);
		CHECK_STR(sip_hdr_name(&msg, i), want[i].name);
		CHECK_STR(sip_hdr_value(&msg, i), want[i].value);
	}
	CHECK_INT(sip_hdr_first(&msg, SIP_HDR_VIA), 0);
	CHECK_INT(sip_hdr_next(&msg, 0), 2);
	CHECK_INT(sip_hdr_next(&msg, 2), 8);
	CHECK_INT(sip_hdr_next(&msg, 8), -1);
	CHECK_INT(sip_hdr_next(&msg, 3), -1);
	CHECK_INT(sip_hdr_first(&msg, SIP_HDR_CONTACT), -1);
	CHECK_INT(msg.first[SIP_HDR_CONTACT], SIP_HDR_NONE);
	CHECK_INT(sip_hdr_first(&msg, SIP_HDR_SUBJECT), 9);
	for (unsigned i = 0; i < NELEM(finds); i++) {
		check_ctx = finds[i].name;
		CHECK_INT(sip_hdr_find(&msg, finds[i].name, (uint32_t)strlen(finds[i].name)),
			  finds[i].idx);
	}
	/* A zero-length name at the very end of a heap block: nothing may be
	 * read through it. */
	check_ctx = "find empty name";
	char *end = malloc(1);
	CHECK(end != NULL);
	if (end != NULL) {
		CHECK_INT(sip_hdr_find(&msg, end + 1, 0), -1);
		CHECK_INT(sip_hdr_lookup(end + 1, 0), SIP_HDR_OTHER);
		free(end);
	}
}

/* A header line's value and its bounds: the whitespace trimmed around it
 * (SP, HT, in any mix and number), empty values (where value_off is where the
 * trimmed value would start: after the whitespace), folded lines, bare LF.
 * Each row is parsed as the last header of a message, and again with bytes
 * after the empty line, so that both the general path (fewer than 16 bytes
 * left at the line) and the vector path of the name are taken. */
static const struct {
	const char *name;
	const char *line; /* one header (and its continuations), line ends included */
	int id;
	const char *value;
	uint32_t off; /* value_off, from the start of the line */
} value_rows[] = {
	{"one SP", "Subject: x\r\n", SIP_HDR_SUBJECT, "x", 9},
	{"no SP", "Subject:x\r\n", SIP_HDR_SUBJECT, "x", 8},
	{"two SP", "Subject:  x\r\n", SIP_HDR_SUBJECT, "x", 10},
	{"HT", "Subject:\tx\r\n", SIP_HDR_SUBJECT, "x", 9},
	{"SP HT SP", "Subject: \t x\r\n", SIP_HDR_SUBJECT, "x", 11},
	{"HT SP", "Subject:\t x\r\n", SIP_HDR_SUBJECT, "x", 10},
	{"trailing SP", "Subject: x \r\n", SIP_HDR_SUBJECT, "x", 9},
	{"trailing HT", "Subject: x\t\r\n", SIP_HDR_SUBJECT, "x", 9},
	{"trailing SP HT SP", "Subject: x \t \r\n", SIP_HDR_SUBJECT, "x", 9},
	{"inner whitespace kept", "Subject: a \t b\r\n", SIP_HDR_SUBJECT, "a \t b", 9},
	{"empty", "Subject:\r\n", SIP_HDR_SUBJECT, "", 8},
	{"empty after SP", "Subject: \r\n", SIP_HDR_SUBJECT, "", 9},
	{"all whitespace", "Subject: \t \r\n", SIP_HDR_SUBJECT, "", 11},
	{"all whitespace, one HT", "Subject:\t\r\n", SIP_HDR_SUBJECT, "", 9},
	{"bare LF", "Subject: x\n", SIP_HDR_SUBJECT, "x", 9},
	{"bare LF, trailing SP", "Subject: x \n", SIP_HDR_SUBJECT, "x", 9},
	{"bare LF, all whitespace", "Subject:  \n", SIP_HDR_SUBJECT, "", 10},
	{"bare LF, empty", "Subject:\n", SIP_HDR_SUBJECT, "", 8},
	{"folded", "Subject: a\r\n b\r\n", SIP_HDR_SUBJECT, "a\r\n b", 9},
	{"folded, trailing whitespace", "Subject: a \r\n\tb\t\r\n", SIP_HDR_SUBJECT,
	 "a \r\n\tb", 9},
	{"folded, value on the continuation", "Subject:\r\n b\r\n", SIP_HDR_SUBJECT, "b", 11},
	{"folded, whitespace then value", "Subject: \r\n\t b \r\n", SIP_HDR_SUBJECT, "b", 13},
	{"folded with bare LF", "Subject: a\n b\n", SIP_HDR_SUBJECT, "a\n b", 9},
	{"compact form", "s: x\r\n", SIP_HDR_SUBJECT, "x", 3},
	{"compact form, upper case, no SP", "S:x\r\n", SIP_HDR_SUBJECT, "x", 2},
	{"compact letter of no header", "z: x\r\n", SIP_HDR_OTHER, "x", 3},
	{"two letters", "To: <sip:bob@example.com>\r\n", SIP_HDR_TO, "<sip:bob@example.com>", 4},
	{"two letters of no header", "Tx: y\r\n", SIP_HDR_OTHER, "y", 4},
	{"15-byte name", "Accept-Encoding:gzip\r\n", SIP_HDR_ACCEPT_ENCODING, "gzip", 16},
	{"16-byte name", "Content-Language: \ten\t\r\n", SIP_HDR_CONTENT_LANGUAGE, "en", 19},
	{"long name", "Content-Disposition: session \r\n", SIP_HDR_CONTENT_DISPOSITION, "session",
	 21},
	{"whitespace before the colon", "Subject \t: x \r\n", SIP_HDR_SUBJECT, "x", 11},
	{"name of a known length, other letters", "Subjekt: x\r\n", SIP_HDR_OTHER, "x", 9},
};

static void test_values(void)
{
	static char buf[512];
	static const char tail[] = "0123456789abcdef0123456789abcdef";

	for (unsigned i = 0; i < NELEM(value_rows); i++) {
		for (unsigned more = 0; more < 2; more++) {
			check_ctx = value_rows[i].name;
			int n = snprintf(buf, sizeof(buf), RLINE H_MAND "%s\r\n%s", value_rows[i].line,
					 more ? tail : "");
			int r = parse_copy(buf, (uint32_t)n, NULL, 0, &msg);
			CHECK_INT(r, n);
			if (r <= 0)
				continue;
			CHECK_INT(msg.nhdrs, 6);
			CHECK_INT(msg.hdrs[5].id, value_rows[i].id);
			CHECK_STR(sip_hdr_value(&msg, 5), value_rows[i].value);
			CHECK_INT(msg.hdrs[5].value_off,
				  sizeof(RLINE H_MAND) - 1 + value_rows[i].off);
		}
	}
}

struct compact_hdr {
	int id;
	const char *name;
	char compact;
};

static const struct compact_hdr all_hdrs[] = {
#define X(id, name, compact, flags, rfc) {SIP_HDR_##id, name, compact},
#include "sip_hdr.def"
#undef X
};

/* A value that passes whatever check sip_parse() may run on the header. */
static const char *value_for(int id)
{
	switch (id) {
	case SIP_HDR_VIA:
		return "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-t1";
	case SIP_HDR_FROM:
		return "<sip:alice@example.org>;tag=f1";
	case SIP_HDR_TO:
		return "<sip:bob@example.com>";
	case SIP_HDR_CALL_ID:
		return "call-1@192.0.2.1";
	case SIP_HDR_CSEQ:
		return "1 INVITE";
	case SIP_HDR_CONTENT_LENGTH:
	case SIP_HDR_MAX_FORWARDS:
	case SIP_HDR_EXPIRES:
	case SIP_HDR_MIN_EXPIRES:
	case SIP_HDR_SESSION_EXPIRES:
	case SIP_HDR_MIN_SE:
	case SIP_HDR_RSEQ:
	case SIP_HDR_FLOW_TIMER:
		return "0";
	case SIP_HDR_CONTENT_TYPE:
		return "text/plain";
	case SIP_HDR_RACK:
		return "1 1 INVITE";
	default:
		return "<sip:x@example.net>;p=1";
	}
}

/* Every header of sip_hdr.def by its full name in three cases and by its
 * compact form in two, inside a message and through sip_hdr_lookup(). */
static void test_every_header(void)
{
	static const char *const mand[] = {"Via", "From", "To", "Call-ID", "CSeq"};
	static const int mand_id[] = {SIP_HDR_VIA, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID,
				      SIP_HDR_CSEQ};
	char buf[2048], name[64];

	for (unsigned i = 0; i < NELEM(all_hdrs); i++) {
		const struct compact_hdr *h = &all_hdrs[i];
		for (unsigned form = 0; form < 5; form++) {
			if (form >= 3 && h->compact == 0)
				break;
			if (form < 3) {
				snprintf(name, sizeof(name), "%s", h->name);
				for (char *c = name; *c; c++)
					if (form == 1)
						*c = (char)tolower((unsigned char)*c);
					else if (form == 2)
						*c = (char)toupper((unsigned char)*c);
			} else {
				name[0] = form == 3 ? h->compact : (char)toupper((unsigned char)h->compact);
				name[1] = '\0';
			}
			check_ctx = name;
			CHECK_INT(sip_hdr_lookup(name, (uint32_t)strlen(name)), h->id);

			/* The header under test replaces its mandatory twin, or
			 * comes after the mandatory five. */
			int len = snprintf(buf, sizeof(buf), "INVITE sip:bob@example.com SIP/2.0\r\n");
			int at = -1;
			for (unsigned k = 0; k < NELEM(mand); k++) {
				bool me = mand_id[k] == h->id;
				if (me)
					at = (int)k;
				len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s: %s\r\n",
						me ? name : mand[k], value_for(mand_id[k]));
			}
			if (at < 0) {
				at = (int)NELEM(mand);
				len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s: %s\r\n",
						name, value_for(h->id));
			}
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, "\r\n");
			int r = parse_copy(buf, (uint32_t)len, NULL, 0, &msg);
			CHECK_INT(r, len);
			if (r <= 0) {
				fprintf(stderr, "    %s\n", sip_err_name(r));
				continue;
			}
			CHECK_INT(msg.hdrs[at].id, h->id);
			CHECK_INT(sip_hdr_first(&msg, (enum sip_hdr_id)h->id), at);
			CHECK_INT(sip_hdr_find(&msg, h->name, (uint32_t)strlen(h->name)), at);
			if (h->compact) {
				char c = (char)toupper((unsigned char)h->compact);
				CHECK_INT(sip_hdr_find(&msg, &c, 1), at);
			}
			CHECK_INT(!!(msg.flags & SIP_MSG_COMPACT), form >= 3);
		}
	}

	/* Near misses of every name must not be taken for it: the lookup is a
	 * perfect hash and only the compare that follows tells them apart. */
	for (unsigned i = 0; i < NELEM(all_hdrs); i++) {
		const char *n = all_hdrs[i].name;
		size_t nl = strlen(n);
		for (unsigned v = 0; v < 6; v++) {
			size_t l = nl;
			memcpy(name, n, nl + 1);
			switch (v) {
			case 0: /* one short */
				l--;
				break;
			case 1: /* one more */
				name[l++] = 'x';
				break;
			case 2: /* first letter changed */
				name[0] = name[0] == 'Q' ? 'W' : 'Q';
				break;
			case 3: /* a middle letter changed */
				name[l / 2] = name[l / 2] == '-' ? '_' : '9';
				break;
			case 4: /* '-' as '_' */
				for (size_t k = 0; k < l; k++)
					name[k] = name[k] == '-' ? '_' : name[k];
				break;
			case 5: /* '-' as CR, which OR 0x20 turns into '-' */
				for (size_t k = 0; k < l; k++)
					name[k] = name[k] == '-' ? '\r' : name[k];
				break;
			}
			name[l] = '\0';
			if (strcmp(name, n) == 0 || l == 0)
				continue;
			int want = SIP_HDR_OTHER;
			for (unsigned k = 0; k < NELEM(all_hdrs); k++)
				if ((strlen(all_hdrs[k].name) == l &&
				     strncasecmp(all_hdrs[k].name, name, l) == 0) ||
				    (l == 1 && all_hdrs[k].compact == tolower((unsigned char)name[0])))
					want = all_hdrs[k].id;
			check_ctx = n;
			CHECK_INT(sip_hdr_lookup(name, (uint32_t)l), want);
		}
	}
	/* Every single letter: a compact form or nothing. */
	for (char c = 'a'; c <= 'z'; c++) {
		int want = SIP_HDR_OTHER;
		for (unsigned k = 0; k < NELEM(all_hdrs); k++)
			if (all_hdrs[k].compact == c)
				want = all_hdrs[k].id;
		char uc = (char)toupper((unsigned char)c);
		check_ctx = "single letters";
		CHECK_INT(sip_hdr_lookup(&c, 1), want);
		CHECK_INT(sip_hdr_lookup(&uc, 1), want);
	}
	static const char *const unknown[] = {"X-Foo", "Vias", "Froms", "Call", "Call-IDs",
					      "CSeqq", "ContentLength", "Content-Lengt", "P-Foo",
					      "-", "1", "Via:", " Via"};
	for (unsigned i = 0; i < NELEM(unknown); i++) {
		check_ctx = unknown[i];
		CHECK_INT(sip_hdr_lookup(unknown[i], (uint32_t)strlen(unknown[i])), SIP_HDR_OTHER);
	}
}

int main(void)
{
	test_names();
	test_methods();
	test_start_lines();
	test_headers();
	test_index();
	test_values();
	test_every_header();
	test_framing();
	test_fields();
	test_review();
	parse_release();
	return check_summary();
}
