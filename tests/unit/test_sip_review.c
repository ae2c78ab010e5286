/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Regression rows from the code review of the parser (one row per finding):
 * what was accepted that must be refused, or misread, and the API's
 * behaviour on absent slices and out-of-range codes.
 */
#include <limits.h>
#include <string.h>

#include "sip.h"
#include "test_sip.h"

static struct sip_msg msg;

#define OK 0
#define MSG(s) s, sizeof(s) - 1

/* sip_parse() rows: want is OK (the whole input) or an error code. */
static const struct {
	const char *name;
	const char *msg;
	uint32_t len;
	int want;
	uint32_t flags; /* SIP_MSG_* that must be set when want is OK */
} parse_rows[] = {
	{"empty sip: r-uri", MSG("INVITE sip: SIP/2.0\r\n" H_MAND "\r\n"), SIP_ERR_BAD_REQUEST_URI, 0},
	{"empty sips: r-uri", MSG("INVITE sips: SIP/2.0\r\n" H_MAND "\r\n"), SIP_ERR_BAD_REQUEST_URI, 0},
	{"empty SIP: r-uri", MSG("INVITE SIP: SIP/2.0\r\n" H_MAND "\r\n"), SIP_ERR_BAD_REQUEST_URI, 0},
	{"scheme with %", MSG("INVITE a%b:c SIP/2.0\r\n" H_MAND "\r\n"), SIP_ERR_BAD_REQUEST_URI, 0},
	{"scheme with nothing after", MSG("INVITE x: SIP/2.0\r\n" H_MAND "\r\n"), SIP_ERR_BAD_REQUEST_URI, 0},
	{"absoluteURI still fine", MSG("INVITE urn:service:sos SIP/2.0\r\n" H_MAND "\r\n"), OK, 0},
	{"whitespace-only continuation after Content-Length",
	 MSG(RLINE H_MAND "Content-Length: 0\r\n \r\n\r\n"), OK, SIP_MSG_FOLDED},
	{"whitespace-only continuation after Call-ID",
	 MSG(RLINE H_VIA H_FROM H_TO "Call-ID: abc\r\n\t\r\n" H_CSEQ "\r\n"), OK, SIP_MSG_FOLDED},
	{"whitespace-only continuation after CSeq",
	 MSG(RLINE H_VIA H_FROM H_TO H_CID "CSeq: 1 INVITE\r\n \r\n\r\n"), OK, SIP_MSG_FOLDED},
	{"empty Via", MSG(RLINE "Via:\r\n" H_FROM H_TO H_CID H_CSEQ "\r\n"), SIP_ERR_BAD_VIA, 0},
	{"empty From", MSG(RLINE H_VIA "From:  \r\n" H_TO H_CID H_CSEQ "\r\n"), SIP_ERR_BAD_NAME_ADDR, 0},
	{"empty To", MSG(RLINE H_VIA H_FROM "To:\r\n" H_CID H_CSEQ "\r\n"), SIP_ERR_BAD_NAME_ADDR, 0},
	{"bare LF is flagged", MSG("INVITE sip:bob@example.com SIP/2.0\n" H_MAND "\r\n"), OK,
	 SIP_MSG_BARE_LF},
	{"tel: without a digit", MSG("INVITE tel:- SIP/2.0\r\n" H_MAND "\r\n"), SIP_ERR_BAD_REQUEST_URI, 0},
	{"tel: local number without phone-context", MSG("INVITE tel:7042 SIP/2.0\r\n" H_MAND "\r\n"),
	 SIP_ERR_BAD_REQUEST_URI, 0},
	{"tel: local number with phone-context",
	 MSG("INVITE tel:7042;phone-context=example.com SIP/2.0\r\n" H_MAND "\r\n"), OK, 0},
	{"tel: global number", MSG("INVITE tel:+1-201-555-0123 SIP/2.0\r\n" H_MAND "\r\n"), OK, 0},
	{"tel: second +", MSG("INVITE tel:+1+2 SIP/2.0\r\n" H_MAND "\r\n"), SIP_ERR_BAD_REQUEST_URI, 0},
};

static void test_parse_rows(void)
{
	for (unsigned i = 0; i < NELEM(parse_rows); i++) {
		check_ctx = parse_rows[i].name;
		int r = parse_copy(parse_rows[i].msg, parse_rows[i].len, NULL, 0, &msg);
		if (parse_rows[i].want == OK) {
			CHECK_INT(r, (int)parse_rows[i].len);
			CHECK((msg.flags & parse_rows[i].flags) == parse_rows[i].flags);
		} else {
			CHECK_INT(r, -parse_rows[i].want);
		}
	}
	/* A whitespace-only continuation leaves the value as it was. */
	check_ctx = "value after a whitespace-only continuation";
	static const char m[] = RLINE H_MAND "Subject: abc\r\n \r\n\r\n";
	CHECK(parse_copy(m, sizeof(m) - 1, NULL, 0, &msg) > 0);
	CHECK_STR(sip_hdr_value(&msg, (unsigned)sip_hdr_first(&msg, SIP_HDR_SUBJECT)), "abc");
	/* Without bare LFs, no flag. */
	check_ctx = "CRLF message not flagged";
	static const char c[] = REQ("");
	CHECK(parse_copy(c, sizeof(c) - 1, NULL, 0, &msg) > 0);
	CHECK((msg.flags & SIP_MSG_BARE_LF) == 0);
}

/* Via parameters the gateway acts on may appear once. */
static const struct {
	const char *via;
	bool ok;
} via_rows[] = {
	{"SIP/2.0/UDP h;branch=z9hG4bK1;branch=z9hG4bK2", false},
	{"SIP/2.0/UDP h;received=192.0.2.1;received=192.0.2.2", false},
	{"SIP/2.0/UDP h;rport;rport=5060", false},
	{"SIP/2.0/UDP h;maddr=a.example;maddr=b.example", false},
	{"SIP/2.0/UDP h;ttl=1;ttl=2", false},
	{"SIP/2.0/UDP h;branch=z9hG4bK1;rport;received=192.0.2.1;x=1;x=2", true},
};

static void test_via_rows(void)
{
	struct sip_via v;

	for (unsigned i = 0; i < NELEM(via_rows); i++) {
		check_ctx = via_rows[i].via;
		int r = sip_parse_via(via_rows[i].via, (uint32_t)strlen(via_rows[i].via), &v);
		if (via_rows[i].ok)
			CHECK(r > 0);
		else
			CHECK_INT(r, -SIP_ERR_BAD_VIA);
	}
}

static void test_api_edges(void)
{
	struct sip_uri u;
	struct sip_via v;
	struct sip_nameaddr na;
	struct sip_ctype ct;

	check_ctx = "absent slices";
	CHECK_INT(sip_parse(NULL, 0, NULL, 0, &msg), -SIP_ERR_EMPTY);
	CHECK_INT(sip_parse(NULL, 0, NULL, SIP_PARSE_STREAM, &msg), 0);
	CHECK_INT(sip_parse_uri(NULL, 0, &u), -SIP_ERR_BAD_URI);
	CHECK_INT(sip_parse_via(NULL, 0, &v), -SIP_ERR_BAD_VIA);
	CHECK_INT(sip_parse_nameaddr(NULL, 0, &na), -SIP_ERR_BAD_NAME_ADDR);
	CHECK_INT(sip_parse_ctype(NULL, 0, &ct), -SIP_ERR_BAD_VALUE);

	check_ctx = "Contact * leaves no URI to parse";
	CHECK(sip_parse_nameaddr(SIP_LIT("*"), &na) > 0 && na.star);
	CHECK_INT(sip_parse_uri(na.uri.p, na.uri.len, &u), -SIP_ERR_BAD_URI);

	check_ctx = "error names out of range";
	CHECK(strcmp(sip_err_name(INT_MIN), "unknown") == 0);
	CHECK(strcmp(sip_err_text(INT_MAX), "Unknown Error") == 0);
	CHECK(strcmp(sip_err_name(-SIP_ERR_BAD_CSEQ), "bad-cseq") == 0);

	check_ctx = "addr-spec with ? or , needs <>";
	CHECK_INT(sip_parse_nameaddr(SIP_LIT("sip:a@b?x=1"), &na), -SIP_ERR_BAD_NAME_ADDR);
	CHECK(sip_parse_nameaddr(SIP_LIT("<sip:a@b?x=1>;tag=1"), &na) > 0);
}

void test_review(void)
{
	test_parse_rows();
	test_via_rows();
	test_api_edges();
}
