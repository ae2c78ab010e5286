/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_sip_fields.c - table-driven tests of the on-demand parsers: value
 * lists, Via, name-addr, URI, parameters, Content-Type and unescaping.
 * Every input is handed over in a heap block of exactly its length, so a
 * parser that reads one byte too far is caught by ASan or valgrind.
 */
#include <stdlib.h>
#include <strings.h>

#include "test_sip.h"

#define ANY_ERR	 1000 /* any negative return */

static char *dup_buf;

/* An exact-size heap copy of s, valid until the next call. */
static const char *exact(const char *s, uint32_t *len)
{
	*len = (uint32_t)strlen(s);
	free(dup_buf);
	dup_buf = malloc(*len ? *len : 1);
	if (dup_buf == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(dup_buf, s, *len);
	return dup_buf;
}

/* want: 0 means "the whole input", otherwise an SIP_ERR_x or ANY_ERR. */
static void check_ret(int r, uint32_t len, int want)
{
	if (want == 0)
		CHECK_INT(r, len);
	else if (want == ANY_ERR)
		CHECK(r < 0);
	else
		CHECK_INT(r, -want);
}

static struct sip_msg msg;

/* ---- sip_value_next ---- */

struct vn_row {
	const char *name;
	const char *hdrs; /* extra header lines of a request */
	int id;
	const char *vals[6];
	int end; /* 0, or ANY_ERR */
};

static const struct vn_row vn_rows[] = {
	{"two contacts", "Contact: <sip:a@x.example>, <sip:b@y.example>\r\n", SIP_HDR_CONTACT,
	 {"<sip:a@x.example>", "<sip:b@y.example>"}, 0},
	{"comma in quotes", "Contact: \"Doe, J\" <sip:j@x.example>;q=1, sip:k@y.example\r\n",
	 SIP_HDR_CONTACT, {"\"Doe, J\" <sip:j@x.example>;q=1", "sip:k@y.example"}, 0},
	{"comma in angle brackets", "Contact: <sip:a,b@x.example>;q=0.1,<sip:c@d.example>\r\n",
	 SIP_HDR_CONTACT, {"<sip:a,b@x.example>;q=0.1", "<sip:c@d.example>"}, 0},
	{"escaped quote before a comma",
	 "Contact: \"a\\\", b\" <sip:a@x.example>, <sip:c@d.example>\r\n", SIP_HDR_CONTACT,
	 {"\"a\\\", b\" <sip:a@x.example>", "<sip:c@d.example>"}, 0},
	{"escaped backslash ends the quote",
	 "Contact: \"a\\\\\" <sip:a@x.example>, <sip:c@d.example>\r\n", SIP_HDR_CONTACT,
	 {"\"a\\\\\" <sip:a@x.example>", "<sip:c@d.example>"}, 0},
	{"quoted param with comma and <>",
	 "Contact: <sip:a@x.example>;+sip.instance=\"<urn:uuid:1,2>\", <sip:b@y.example>\r\n",
	 SIP_HDR_CONTACT, {"<sip:a@x.example>;+sip.instance=\"<urn:uuid:1,2>\"", "<sip:b@y.example>"},
	 0},
	{"across headers",
	 "Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\nSubject: x\r\nRoute: <sip:p3.example;lr>\r\n",
	 SIP_HDR_ROUTE, {"<sip:p1.example;lr>", "<sip:p2.example;lr>", "<sip:p3.example;lr>"}, 0},
	{"trimmed elements", "Supported: timer ,100rel,\t path \r\n", SIP_HDR_SUPPORTED,
	 {"timer", "100rel", "path"}, 0},
	{"folded list", "Supported: timer,\r\n 100rel\r\n", SIP_HDR_SUPPORTED, {"timer", "100rel"}, 0},
	{"compact and full", "k: a\r\nSupported: b, c\r\n", SIP_HDR_SUPPORTED, {"a", "b", "c"}, 0},
	{"contact star", "Contact: *\r\n", SIP_HDR_CONTACT, {"*"}, 0},
	{"via list", "Via: SIP/2.0/UDP b.example;branch=z9hG4bK2,SIP/2.0/UDP c.example\r\n",
	 SIP_HDR_VIA, {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-t1",
		       "SIP/2.0/UDP b.example;branch=z9hG4bK2", "SIP/2.0/UDP c.example"}, 0},
	{"specials past 32 bytes",
	 "Contact: <sip:abcdefghijklmnopqrstuvwxyz012345@x.example>,\"q,\\\"\" <sip:b@y.example>\r\n",
	 SIP_HDR_CONTACT,
	 {"<sip:abcdefghijklmnopqrstuvwxyz012345@x.example>", "\"q,\\\"\" <sip:b@y.example>"}, 0},
	{"a comma in the last 16 bytes", "Supported: abcdefghijklmnopqrstuvwxyz0123,a\r\n",
	 SIP_HDR_SUPPORTED, {"abcdefghijklmnopqrstuvwxyz0123", "a"}, 0},
	{"a comma at byte 32", "Supported: abcdefghijklmnopqrstuvwxyz012345,abcdefghijklmnopq\r\n",
	 SIP_HDR_SUPPORTED, {"abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopq"}, 0},
	{"unterminated quote at the end",
	 "Contact: <sip:abcdefghijklmnopqrstuvwxyz@x.example>;x=\"abc\r\n", SIP_HDR_CONTACT, {NULL},
	 ANY_ERR},
	{"not a list header", "Subject: hello, world\r\n", SIP_HDR_SUBJECT, {"hello, world"}, 0},
	{"absent header", "", SIP_HDR_CONTACT, {NULL}, 0},
	{"empty element", "Supported: a,,b\r\n", SIP_HDR_SUPPORTED, {"a"}, ANY_ERR},
	{"blank element", "Supported: a, ,b\r\n", SIP_HDR_SUPPORTED, {"a"}, ANY_ERR},
	{"leading comma", "Supported: ,a\r\n", SIP_HDR_SUPPORTED, {NULL}, ANY_ERR},
	{"trailing comma", "Supported: a,\r\n", SIP_HDR_SUPPORTED, {"a"}, ANY_ERR},
	{"unterminated quote", "Contact: \"abc <sip:a@x.example>\r\n", SIP_HDR_CONTACT, {NULL},
	 ANY_ERR},
	{"unterminated angle bracket", "Contact: <sip:a@x.example\r\n", SIP_HDR_CONTACT, {NULL},
	 ANY_ERR},
};

static void test_value_next(void)
{
	char buf[1024];

	for (unsigned i = 0; i < NELEM(vn_rows); i++) {
		const struct vn_row *row = &vn_rows[i];
		int len = snprintf(buf, sizeof(buf), REQ("%s"), row->hdrs);
		struct sip_iter it;
		struct sip_str val;
		unsigned k = 0;
		int r;

		check_ctx = row->name;
		r = parse_copy(buf, (uint32_t)len, NULL, 0, &msg);
		CHECK_INT(r, len);
		if (r <= 0)
			continue;
		sip_iter_init(&it);
		while ((r = sip_value_next(&msg, (enum sip_hdr_id)row->id, &it, &val)) == 1) {
			CHECK(k < NELEM(row->vals) && row->vals[k] != NULL);
			if (k < NELEM(row->vals) && row->vals[k] != NULL)
				CHECK_STR(val, row->vals[k]);
			k++;
			if (k > NELEM(row->vals))
				break;
		}
		CHECK(k == NELEM(row->vals) || row->vals[k] == NULL);
		if (row->end == 0)
			CHECK_INT(r, 0);
		else
			CHECK(r < 0);
	}
}

/* The end of a list element as sip_value_next() documents it, byte by
 * byte: the first comma outside quotes and <>, NULL when one is open. */
static const char *ref_element_end(const char *p, const char *e)
{
	bool quote = false, angle = false;

	for (; p < e; p++) {
		if (quote) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				quote = false;
		} else if (*p == '"') {
			quote = true;
		} else if (*p == '<') {
			angle = true;
		} else if (*p == '>') {
			angle = false;
		} else if (*p == ',' && !angle) {
			break;
		}
	}
	return quote || angle ? NULL : p;
}

/* The vector search for a list's special bytes (16 and 32 bytes a step, the
 * last step loaded back from the value's end) against the byte loop, over
 * random Contact values of the bytes that matter to it and of runs long
 * enough to cross every step. The first element and its return. */
static void test_value_walk(void)
{
	static const char *const frag[] = {",", ",", "\"", "\\", "<", ">", "a", " ", "sip:x@y.example",
					   "abcdefghijklmnopqrst", ";q=1"};
	uint64_t x = 0x13198a2e03707344ull;
	char buf[600], val[300];

	for (unsigned k = 0; k < 30000; k++) {
		size_t n = 0;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t y = x;
		for (unsigned i = 0, nf = 1 + (unsigned)(x % 12); i < nf; i++) {
			y = y * 6364136223846793005ull + 1442695040888963407ull;
			const char *f = frag[(y >> 33) % NELEM(frag)];
			memcpy(val + n, f, strlen(f));
			n += strlen(f);
		}
		val[n] = '\0';
		check_ctx = val;
		int len = snprintf(buf, sizeof(buf), REQ("Contact: %s\r\n"), val);
		if (parse_copy(buf, (uint32_t)len, NULL, 0, &msg) != len)
			continue;
		int h = sip_hdr_first(&msg, SIP_HDR_CONTACT);
		CHECK(h >= 0);
		if (h < 0)
			continue;
		struct sip_str v = sip_hdr_value(&msg, (unsigned)h), got;
		const char *e = v.p + v.len, *s0 = v.p;
		while (s0 < e && *s0 == ' ')
			s0++;
		const char *q = ref_element_end(s0, e), *end = q;
		while (end != NULL && end > s0 && end[-1] == ' ')
			end--;
		struct sip_iter it;
		sip_iter_init(&it);
		int r = sip_value_next(&msg, SIP_HDR_CONTACT, &it, &got);
		if (v.len == 0 || q == NULL || end == s0) {
			CHECK(r < 0);
		} else {
			CHECK_INT(r, 1);
			if (r == 1)
				CHECK(got.p == s0 && got.len == (uint32_t)(end - s0));
		}
	}
}

/* ---- Via ---- */

struct via_row {
	const char *in;
	int want;
	const char *proto, *transport, *host;
	int host_type, port;
	bool has_rport;
	int rport;
	bool has_ttl;
	int ttl;
	const char *branch, *received, *maddr, *params;
};

#define VIA_BAD(s) {s, SIP_ERR_BAD_VIA}

static const struct via_row via_rows[] = {
	{"SIP/2.0/UDP example.com", 0, "SIP/2.0", "UDP", "example.com", SIP_HOST_NAME, 0, false, 0,
	 false, 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK776asdhds", 0, "SIP/2.0", "TCP", "192.0.2.1",
	 SIP_HOST_IPV4, 5060, false, 0, false, 0, "z9hG4bK776asdhds", NULL, NULL,
	 "branch=z9hG4bK776asdhds"},
	{"SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKx;received=2001:db8::2", 0, "SIP/2.0", "TLS",
	 "2001:db8::1", SIP_HOST_IPV6, 5061, false, 0, false, 0, "z9hG4bKx", "2001:db8::2", NULL,
	 "branch=z9hG4bKx;received=2001:db8::2"},
	{"SIP/2.0/UDP [2001:db8::1];rport", 0, "SIP/2.0", "UDP", "2001:db8::1", SIP_HOST_IPV6, 0, true,
	 0, false, 0, NULL, NULL, NULL, "rport"},
	{"SIP/2.0/UDP [::1]", 0, "SIP/2.0", "UDP", "::1", SIP_HOST_IPV6, 0, false, 0, false, 0, NULL,
	 NULL, NULL, ""},
	{"SIP/2.0/UDP [::ffff:192.0.2.7]:5060", 0, "SIP/2.0", "UDP", "::ffff:192.0.2.7",
	 SIP_HOST_IPV6, 5060, false, 0, false, 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/UDP h.example;rport=5070;received=192.0.2.9", 0, "SIP/2.0", "UDP", "h.example",
	 SIP_HOST_NAME, 0, true, 5070, false, 0, NULL, "192.0.2.9", NULL,
	 "rport=5070;received=192.0.2.9"},
	{"SIP/2.0/UDP h.example;maddr=239.255.0.1;ttl=16;branch=z9hG4bKm", 0, "SIP/2.0", "UDP",
	 "h.example", SIP_HOST_NAME, 0, false, 0, true, 16, "z9hG4bKm", NULL, "239.255.0.1",
	 "maddr=239.255.0.1;ttl=16;branch=z9hG4bKm"},
	{"SIP/2.0/UDP h.example;ttl=0", 0, "SIP/2.0", "UDP", "h.example", SIP_HOST_NAME, 0, false, 0,
	 true, 0, NULL, NULL, NULL, "ttl=0"},
	{"SIP/2.0/UDP h.example;ttl=255", 0, "SIP/2.0", "UDP", "h.example", SIP_HOST_NAME, 0, false,
	 0, true, 255, NULL, NULL, NULL, "ttl=255"},
	{"SIP / 2.0 / UDP  h.example : 5060 ; branch = z9hG4bKs", 0, NULL, "UDP", "h.example",
	 SIP_HOST_NAME, 5060, false, 0, false, 0, "z9hG4bKs", NULL, NULL, NULL},
	{"SIP/2.0/UDP 192.0.2.1:5060 ;branch=z9hG4bKa", 0, "SIP/2.0", "UDP", "192.0.2.1",
	 SIP_HOST_IPV4, 5060, false, 0, false, 0, "z9hG4bKa", NULL, NULL, NULL},
	{"SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws", 0, "SIP/2.0", "WS",
	 "df7jal23ls0d.invalid", SIP_HOST_NAME, 0, false, 0, false, 0, "z9hG4bKws", NULL, NULL,
	 "branch=z9hG4bKws"},
	{"SIP/2.0/SCTP h.example:65535", 0, "SIP/2.0", "SCTP", "h.example", SIP_HOST_NAME, 65535,
	 false, 0, false, 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/FOO h.example", 0, "SIP/2.0", "FOO", "h.example", SIP_HOST_NAME, 0, false, 0, false,
	 0, NULL, NULL, NULL, ""},
	{"sip/2.0/udp h.example", 0, "sip/2.0", "udp", "h.example", SIP_HOST_NAME, 0, false, 0, false,
	 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/UDP h.example;Branch=z9hG4bKc;RPORT", 0, "SIP/2.0", "UDP", "h.example",
	 SIP_HOST_NAME, 0, true, 0, false, 0, "z9hG4bKc", NULL, NULL, "Branch=z9hG4bKc;RPORT"},
	{"SIP/2.0/UDP h.example;x=y;branch=z9hG4bK1;lr", 0, "SIP/2.0", "UDP", "h.example",
	 SIP_HOST_NAME, 0, false, 0, false, 0, "z9hG4bK1", NULL, NULL, "x=y;branch=z9hG4bK1;lr"},
	/* the fast paths: "SIP/2.0/" exactly, a dotted quad, parameters by
	 * length, long token values; each must agree with the general walk */
	{"SIP/2.0/UDP 10.0.0.1:5;received=10.0.0.2;rport=7;branch=z9hG4bKab", 0, "SIP/2.0", "UDP",
	 "10.0.0.1", SIP_HOST_IPV4, 5, true, 7, false, 0, "z9hG4bKab", "10.0.0.2", NULL, NULL},
	{"SIP/2.0/UDP 010.1.1.255", 0, "SIP/2.0", "UDP", "010.1.1.255", SIP_HOST_IPV4, 0, false, 0,
	 false, 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/UDP 1.2.3.a4", 0, "SIP/2.0", "UDP", "1.2.3.a4", SIP_HOST_NAME, 0, false, 0, false,
	 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/UDP 1.2.3.4 ;xport=1;BRANCH=z9hG4bK[1]:2:abcdefghijklmnopqrstuvwxyz0123456789", 0,
	 "SIP/2.0", "UDP", "1.2.3.4", SIP_HOST_IPV4, 0, false, 0, false, 0,
	 "z9hG4bK[1]:2:abcdefghijklmnopqrstuvwxyz0123456789", NULL, NULL, NULL},
	{"SIP/2.0/UDP h;Maddr=1.2.3.4;TTL=1;rports=1;received1=x", 0, "SIP/2.0", "UDP", "h",
	 SIP_HOST_NAME, 0, false, 0, true, 1, NULL, NULL, "1.2.3.4", NULL},
	/* names matched by a word compare with case folded by OR 0x20: mixed
	 * case is each name; token bytes next to the letters ('`', '~',
	 * '\'', '-') and other names of the same lengths are none */
	{"SIP/2.0/UDP h;bRaNcH=z9hG4bKq;ReCeIvEd=10.0.0.9;rPoRt=9;tTl=2;mAdDr=10.0.0.8", 0,
	 "SIP/2.0", "UDP", "h", SIP_HOST_NAME, 0, true, 9, true, 2, "z9hG4bKq", "10.0.0.9",
	 "10.0.0.8", NULL},
	{"SIP/2.0/UDP h;br`nch=1;receiveD1=x;rp~rt=2;tt'=3;madd-=4;branc=5;ttll=6", 0, "SIP/2.0",
	 "UDP", "h", SIP_HOST_NAME, 0, false, 0, false, 0, NULL, NULL, NULL, NULL},
	{"SIP/2.0/ UDP h", 0, "SIP/2.0", "UDP", "h", SIP_HOST_NAME, 0, false, 0, false, 0, NULL,
	 NULL, NULL, ""},
	/* the sent-by quad taken whole where the walk would stop (':', ';',
	 * LWS, the end), the port's digits in one pass, and each parameter
	 * step with and without LWS, near the field's end and far from it */
	{"SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK0000002a6a8f2c1e;rport", 0, "SIP/2.0", "UDP",
	 "192.0.2.10", SIP_HOST_IPV4, 5062, true, 0, false, 0, "z9hG4bK0000002a6a8f2c1e", NULL,
	 NULL, "branch=z9hG4bK0000002a6a8f2c1e;rport"},
	{"SIP/2.0/UDP 255.255.255.255:65535", 0, "SIP/2.0", "UDP", "255.255.255.255", SIP_HOST_IPV4,
	 65535, false, 0, false, 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/UDP 1.2.3.4\t;rport", 0, "SIP/2.0", "UDP", "1.2.3.4", SIP_HOST_IPV4, 0, true, 0,
	 false, 0, NULL, NULL, NULL, "rport"},
	{"SIP/2.0/UDP 1.2.3.4 : 00001", 0, "SIP/2.0", "UDP", "1.2.3.4", SIP_HOST_IPV4, 1, false, 0,
	 false, 0, NULL, NULL, NULL, ""},
	{"SIP/2.0/UDP 1.2.3.4:0 ;\tbranch\t=\tz9hG4bKt ; rport = 1 ;x", 0, "SIP/2.0", "UDP",
	 "1.2.3.4", SIP_HOST_IPV4, 0, true, 1, false, 0, "z9hG4bKt", NULL, NULL, NULL},
	{"SIP/2.0/UDP 1.2.3.4;x=\"a;branch=b\";branch=z9hG4bKq", 0, "SIP/2.0", "UDP", "1.2.3.4",
	 SIP_HOST_IPV4, 0, false, 0, false, 0, "z9hG4bKq", NULL, NULL, NULL},
	{"SIP/2.0/UDP h;received=[2001:db8::2]", 0, "SIP/2.0", "UDP", "h", SIP_HOST_NAME, 0, false,
	 0, false, 0, NULL, "[2001:db8::2]", NULL, "received=[2001:db8::2]"},
	{"SIP/2.0/UDP h;maddr=[::1];x", 0, "SIP/2.0", "UDP", "h", SIP_HOST_NAME, 0, false, 0, false,
	 0, NULL, NULL, "[::1]", "maddr=[::1];x"},
	{"SIP/2.0/UDP h;a", 0, "SIP/2.0", "UDP", "h", SIP_HOST_NAME, 0, false, 0, false, 0, NULL,
	 NULL, NULL, "a"},
	{"SIP/2.0/UDP 1.2.3.44;RPORT", 0, "SIP/2.0", "UDP", "1.2.3.44", SIP_HOST_IPV4, 0, true, 0,
	 false, 0, NULL, NULL, NULL, "RPORT"},
	{"SIP/2.0/UDP 1.2.3.4;received=10.0.0.255", 0, "SIP/2.0", "UDP", "1.2.3.4", SIP_HOST_IPV4, 0,
	 false, 0, false, 0, NULL, "10.0.0.255", NULL, NULL},
	{"SIP/2.0/UDP 255.255.255.255;x", 0, "SIP/2.0", "UDP", "255.255.255.255", SIP_HOST_IPV4, 0,
	 false, 0, false, 0, NULL, NULL, NULL, "x"},
	{"SIP/2.0/UDP 255.255.255.25;xy", 0, "SIP/2.0", "UDP", "255.255.255.25", SIP_HOST_IPV4, 0,
	 false, 0, false, 0, NULL, NULL, NULL, "xy"},
	VIA_BAD("SIP/2.0/UDP 255.255.255.2555"),
	VIA_BAD("SIP/2.0/UDP 255.255.255.25555"),
	VIA_BAD("SIP/2.0/UDP 255.255.255.256;x"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.1234"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4444:5060"),
	VIA_BAD("SIP/2.0/UDP 256.1.1.1"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4.:5060"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4-5"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4,"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4:"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4:123456"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4:000001"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4:65536"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4:5060x"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4; "),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;rport="),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;x=\"a"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;branch=\"z9hG4bK\""),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;received=10.0.0.1234"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;received=10.0.0.1."),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;received=1.2.3.4;RECEIVED=1.2.3.4"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;rport;rport"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.256"),
	VIA_BAD("SIP/2.0/UDP 1.2.3"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4.5"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4."),
	VIA_BAD("SIP/2.0/UDP 1234.1.1.1"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4a"),
	VIA_BAD("SIP/2.0/UDP 1..3.4"),
	VIA_BAD("SIP/2.0/"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;received=1.2.3.256"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;received=h.example"),
	VIA_BAD("SIP/2.0/UDP 1.2.3.4;branch=a;BRANCH=b"),

	VIA_BAD(""),
	VIA_BAD("SIP/2.0 h.example"),
	VIA_BAD("SIP/2.0/ h.example"),
	VIA_BAD("SIP/2.0/UDP"),
	VIA_BAD("SIP/2.0/UDP "),
	VIA_BAD("SIP/2.0/UDP h.example:65536"),
	VIA_BAD("SIP/2.0/UDP h.example:99999999999"),
	VIA_BAD("SIP/2.0/UDP h.example:abc"),
	VIA_BAD("SIP/2.0/UDP h.example:"),
	VIA_BAD("SIP/2.0/UDP [2001:db8::1"),
	VIA_BAD("SIP/2.0/UDP [2001:db8::1]:"),
	VIA_BAD("SIP/2.0/UDP 2001:db8::1"),
	VIA_BAD("SIP/2.0/UDP [2001:db8::g]"),
	VIA_BAD("SIP/2.0/UDP h.example;rport=abc"),
	VIA_BAD("SIP/2.0/UDP h.example;rport=65536"),
	VIA_BAD("SIP/2.0/UDP h.example;ttl=256"),
	VIA_BAD("SIP/2.0/UDP h.example;ttl=x"),
	VIA_BAD("SIP/2.0/UDP h.example;branch="),
	VIA_BAD("SIP/2.0/UDP h.example;;branch=z9hG4bKq"),
	VIA_BAD("SIP/2.0/UDP h.example junk"),
	VIA_BAD("SIP/2.0/UDP h.example,"),
};

static void test_via(void)
{
	for (unsigned i = 0; i < NELEM(via_rows); i++) {
		const struct via_row *row = &via_rows[i];
		struct sip_via v;
		uint32_t len;
		const char *in = exact(row->in, &len);

		check_ctx = row->in;
		memset(&v, 0xa5, sizeof(v));
		int r = sip_parse_via(in, len, &v);
		check_ret(r, len, row->want);
		if (row->want != 0 || r != (int)len)
			continue;
		if (row->proto != NULL)
			CHECK_STR(v.proto, row->proto);
		CHECK_STR(v.transport, row->transport);
		CHECK_STR(v.host, row->host);
		CHECK_INT(v.host_type, row->host_type);
		/* a dotted quad's address, read by the parse (the proxy's NAT test) */
		if (v.has_ip4) {
			unsigned a, b, c, d; /* as written: leading zeros too */

			CHECK_INT(v.host_type, SIP_HOST_IPV4);
			CHECK(sscanf(v.host.p, "%u.%u.%u.%u", &a, &b, &c, &d) == 4 && a == v.ip4[0] &&
			      b == v.ip4[1] && c == v.ip4[2] && d == v.ip4[3]);
		} else {
			CHECK(v.host_type != SIP_HOST_IPV4);
		}
		CHECK_INT(v.port, row->port);
		CHECK_INT(v.has_rport, row->has_rport);
		CHECK_INT(v.rport, row->rport);
		/* where a proxy writes "=port": right after the name */
		if (row->has_rport)
			CHECK(v.rport_end != NULL && v.rport_end - in >= 5 &&
			      strncasecmp(v.rport_end - 5, "rport", 5) == 0);
		else
			CHECK(v.rport_end == NULL);
		if (row->has_rport && row->rport)
			CHECK(v.rport_str.p != NULL && atoi(v.rport_str.p) == row->rport);
		CHECK_INT(v.has_ttl, row->has_ttl);
		if (row->has_ttl)
			CHECK_INT(v.ttl, row->ttl);
		CHECK_STR(v.branch, row->branch);
		CHECK_STR(v.received, row->received);
		CHECK_STR(v.maddr, row->maddr);
		if (row->params != NULL)
			CHECK_OPT_STR(v.params, row->params);
	}
}

static void test_via_next(void)
{
	static const char good[] =
		"OPTIONS sip:x.example SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example;branch=z9hG4bKa, SIP/2.0/TCP b.example:5070\r\n"
		"Subject: between\r\n"
		"v: SIP/2.0/UDP [2001:db8::3]\r\n"
		"Via: SIP/2.0/TLS d.example;rport,\r\n SIP/2.0/UDP 192.0.2.5\r\n"
		H_FROM H_TO H_CID "CSeq: 1 OPTIONS\r\n\r\n";
	static const char *const hosts[] = {"a.example", "b.example", "2001:db8::3", "d.example",
					    "192.0.2.5"};
	static const char bad[] =
		"OPTIONS sip:x.example SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example, SIP/2.0 b.example\r\n"
		H_FROM H_TO H_CID "CSeq: 1 OPTIONS\r\n\r\n";
	struct sip_iter it;
	struct sip_via v;
	unsigned k = 0;
	int r;

	check_ctx = "sip_via_next";
	r = parse_copy(good, sizeof(good) - 1, NULL, 0, &msg);
	CHECK_INT(r, sizeof(good) - 1);
	if (r > 0) {
		sip_iter_init(&it);
		while ((r = sip_via_next(&msg, &it, &v)) == 1) {
			CHECK(k < NELEM(hosts));
			if (k < NELEM(hosts))
				CHECK_STR(v.host, hosts[k]);
			k++;
			if (k > NELEM(hosts))
				break;
		}
		CHECK_INT(r, 0);
		CHECK_INT(k, NELEM(hosts));
		/* At the end it stays at the end. */
		CHECK_INT(sip_via_next(&msg, &it, &v), 0);
	}

	/* RFC 3261 20.42: Via is 1#via-parm. A Via header with none at all must
	 * be refused by one of the two layers: sip_parse() (missing or bad
	 * Via) or the iterator; an iterator that just ends would make the
	 * message look like one whose Vias were all consumed. */
	static const struct {
		const char *name, *msg;
	} empty_vias[] = {
		{"empty Via header", "OPTIONS sip:x.example SIP/2.0\r\nVia:\r\n" H_FROM H_TO H_CID
				     "CSeq: 1 OPTIONS\r\n\r\n"},
		{"blank Via header", "OPTIONS sip:x.example SIP/2.0\r\nVia:  \t \r\n" H_FROM H_TO
				     H_CID "CSeq: 1 OPTIONS\r\n\r\n"},
		{"Via of one comma", "OPTIONS sip:x.example SIP/2.0\r\nv: ,\r\n" H_FROM H_TO H_CID
				     "CSeq: 1 OPTIONS\r\n\r\n"},
		{"Via not a via-parm", "OPTIONS sip:x.example SIP/2.0\r\nVia: garbage\r\n" H_FROM
				       H_TO H_CID "CSeq: 1 OPTIONS\r\n\r\n"},
	};
	for (unsigned i = 0; i < NELEM(empty_vias); i++) {
		check_ctx = empty_vias[i].name;
		r = parse_copy(empty_vias[i].msg, (uint32_t)strlen(empty_vias[i].msg), NULL, 0, &msg);
		if (r < 0) {
			CHECK(r == -SIP_ERR_BAD_VIA || r == -SIP_ERR_MISSING_VIA);
		} else {
			sip_iter_init(&it);
			CHECK_INT(sip_via_next(&msg, &it, &v), -SIP_ERR_BAD_VIA);
		}
	}

	check_ctx = "sip_via_next, a bad element";
	r = parse_copy(bad, sizeof(bad) - 1, NULL, 0, &msg);
	/* sip_parse() may check Via itself; if it does not, the iterator must. */
	if (r < 0) {
		CHECK_INT(r, -SIP_ERR_BAD_VIA);
	} else {
		sip_iter_init(&it);
		CHECK_INT(sip_via_next(&msg, &it, &v), 1);
		CHECK_STR(v.host, "a.example");
		CHECK_INT(sip_via_next(&msg, &it, &v), -SIP_ERR_BAD_VIA);
	}
}

/* ---- name-addr ---- */

struct na_row {
	const char *in;
	int want;
	const char *display; /* "" for none */
	bool quoted, star;
	const char *uri, *params, *tag; /* tag NULL: absent */
};

#define NA_BAD(s) {s, SIP_ERR_BAD_NAME_ADDR}

static const struct na_row na_rows[] = {
	{"\"Alice \\\"A\\\" Smith\" <sip:alice@example.com>;tag=abc", 0, "Alice \\\"A\\\" Smith", true,
	 false, "sip:alice@example.com", "tag=abc", "abc"},
	{"Bob <sip:bob@b.example>", 0, "Bob", false, false, "sip:bob@b.example", "", NULL},
	{"Bob  Q. Smith   <sip:bob@b.example>", 0, "Bob  Q. Smith", false, false, "sip:bob@b.example",
	 "", NULL},
	{"<sip:c@d.example>", 0, "", false, false, "sip:c@d.example", "", NULL},
	{"\"\" <sip:c@d.example>", 0, "", true, false, "sip:c@d.example", "", NULL},
	{"\"a\\\\\" <sip:c@d.example>", 0, "a\\\\", true, false, "sip:c@d.example", "", NULL},
	{"\"Zo\xc3\xab\" <sip:z@d.example>", 0, "Zo\xc3\xab", true, false, "sip:z@d.example", "", NULL},
	{"\"<sip:fake@x>\" <sip:real@d.example>", 0, "<sip:fake@x>", true, false,
	 "sip:real@d.example", "", NULL},
	{"sip:carol@c.example;tag=xyz", 0, "", false, false, "sip:carol@c.example", "tag=xyz", "xyz"},
	/* RFC 3261 20.10: without <>, parameters are the header's. */
	{"sip:carol@c.example;transport=tcp;tag=xyz", 0, "", false, false, "sip:carol@c.example",
	 "transport=tcp;tag=xyz", "xyz"},
	{"<sip:c@d.example;transport=tcp>;tag=1;expires=60", 0, "", false, false,
	 "sip:c@d.example;transport=tcp", "tag=1;expires=60", "1"},
	{"<sip:c@d.example>;expires=60;TAG=Mixed", 0, "", false, false, "sip:c@d.example",
	 "expires=60;TAG=Mixed", "Mixed"},
	{"<tel:+15550100>;tag=9", 0, "", false, false, "tel:+15550100", "tag=9", "9"},
	{"<urn:service:sos>", 0, "", false, false, "urn:service:sos", "", NULL},
	{"*", 0, "", false, true, NULL, NULL, NULL},
	{"\"A\"<sip:a@b.example>", 0, "A", true, false, "sip:a@b.example", "", NULL},
	{"<sip:a@b.example>;x=\"a;tag=no\";tag=t", 0, "", false, false, "sip:a@b.example",
	 "x=\"a;tag=no\";tag=t", "t"},

	/* the tag taken in the walk that checks the parameters: the first
	 * one, in any case, with LWS, quoted, never inside a quoted value */
	{"<sip:a@b.example>;TAG=x;tag=y", 0, "", false, false, "sip:a@b.example", "TAG=x;tag=y", "x"},
	{"<sip:a@b.example>;tags=1;ta=2;tag=3", 0, "", false, false, "sip:a@b.example",
	 "tags=1;ta=2;tag=3", "3"},
	{"<sip:a@b.example> ;\ttag = \"q;r\" ;x", 0, "", false, false, "sip:a@b.example",
	 "tag = \"q;r\" ;x", "\"q;r\""},
	{"<sip:a@b.example>;x=\"tag=1\"", 0, "", false, false, "sip:a@b.example", "x=\"tag=1\"",
	 NULL},
	{"<sip:a-long-user-part@a-long-host.example.net;transport=udp>;tag=abcdefghijklmnopq", 0, "",
	 false, false, "sip:a-long-user-part@a-long-host.example.net;transport=udp",
	 "tag=abcdefghijklmnopq", "abcdefghijklmnopq"},
	NA_BAD("<sip:a@b.example>;tag"),
	NA_BAD("<sip:a@b.example>;tag=;x=1"),
	NA_BAD("<sip:a@b.example>;x=1;TAG"),
	NA_BAD("<sip:a@b.example>;tag=\"a"),
	NA_BAD("<sip:a-long-user-part@a-long-host.example.net"),
	NA_BAD("<sip:a-long-user-part@a-long-host.example.net>;;tag=1"),
	NA_BAD(""),
	NA_BAD("\"unterminated <sip:a@b.example>"),
	NA_BAD("<sip:a@b.example"),
	NA_BAD("Bob"),
	NA_BAD("<>"),
	NA_BAD("Bob Smith sip:a@b.example"),
	NA_BAD("<sip:a@b.example> trailing"),
	NA_BAD("\"Bob\" sip:a@b.example"),
};

static void test_nameaddr(void)
{
	for (unsigned i = 0; i < NELEM(na_rows); i++) {
		const struct na_row *row = &na_rows[i];
		struct sip_nameaddr na;
		uint32_t len;
		const char *in = exact(row->in, &len);

		check_ctx = row->in;
		memset(&na, 0xa5, sizeof(na));
		int r = sip_parse_nameaddr(in, len, &na);
		check_ret(r, len, row->want);
		if (row->want != 0 || r != (int)len)
			continue;
		CHECK_INT(na.star, row->star);
		if (row->star)
			continue;
		CHECK_OPT_STR(na.display, row->display);
		CHECK_INT(na.display_quoted, row->quoted);
		CHECK_STR(na.uri, row->uri);
		CHECK_OPT_STR(na.params, row->params);
		CHECK_STR(na.tag, row->tag);
	}
}

/* ---- URI ---- */

struct uri_row {
	const char *in;
	int want;
	int scheme, host_type, port;
	const char *user, *password, *host, *port_str, *params, *headers;
};

#define URI_BAD(s) {s, SIP_ERR_BAD_URI}

static const struct uri_row uri_rows[] = {
	{"sip:alice@example.com", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, "alice", NULL, "example.com",
	 NULL, "", ""},
	{"sips:bob:secret@192.0.2.4:5061;transport=tls?subject=x&priority=urgent", 0,
	 SIP_SCHEME_SIPS, SIP_HOST_IPV4, 5061, "bob", "secret", "192.0.2.4", "5061",
	 "transport=tls", "subject=x&priority=urgent"},
	{"sip:[2001:db8::10]:5070", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 5070, NULL, NULL,
	 "2001:db8::10", "5070", "", ""},
	{"sip:[2001:db8::10]", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 0, NULL, NULL, "2001:db8::10", NULL,
	 "", ""},
	{"sip:u@[2001:DB8:0:0:8:800:200C:417A];maddr=[2001:db8::1]", 0, SIP_SCHEME_SIP,
	 SIP_HOST_IPV6, 0, "u", NULL, "2001:DB8:0:0:8:800:200C:417A", NULL,
	 "maddr=[2001:db8::1]", ""},
	{"sip:u@[::ffff:192.0.2.1]", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 0, "u", NULL,
	 "::ffff:192.0.2.1", NULL, "", ""},
	{"sip:host.example:0", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, NULL, NULL, "host.example", "0",
	 "", ""},
	{"sip:host.example:65535", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 65535, NULL, NULL,
	 "host.example", "65535", "", ""},
	{"sip:192.0.2.1", 0, SIP_SCHEME_SIP, SIP_HOST_IPV4, 0, NULL, NULL, "192.0.2.1", NULL, "", ""},
	{"sip:a@host-1.example-2.com.", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, "a", NULL,
	 "host-1.example-2.com.", NULL, "", ""},
	{"tel:+1-201-555-0123;phone-context=example.com", 0, SIP_SCHEME_TEL, SIP_HOST_NONE, 0,
	 "+1-201-555-0123", NULL, "", NULL, "phone-context=example.com", ""},
	{"tel:7042;phone-context=+1-201-555", 0, SIP_SCHEME_TEL, SIP_HOST_NONE, 0, "7042", NULL, "",
	 NULL, "phone-context=+1-201-555", ""},
	{"SIP:Alice@EXAMPLE.com", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, "Alice", NULL, "EXAMPLE.com",
	 NULL, "", ""},
	{"sip:%61lice%40home@example.com", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, "%61lice%40home", NULL,
	 "example.com", NULL, "", ""},
	{"sip:bob;ext=1@example.org;user=phone", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, "bob;ext=1",
	 NULL, "example.org", NULL, "user=phone", ""},
	{"sip:alice:@example.com", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, "alice", "", "example.com",
	 NULL, "", ""},
	{"sip:a@example.com;transport=udp;lr;maddr=239.1.1.1", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0,
	 "a", NULL, "example.com", NULL, "transport=udp;lr;maddr=239.1.1.1", ""},
	{"sip:a@example.com?Subject=hi%20there", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0, "a", NULL,
	 "example.com", NULL, "", "Subject=hi%20there"},
	{"sip:+1-555-0100;isub=1@gw.example;user=phone", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 0,
	 "+1-555-0100;isub=1", NULL, "gw.example", NULL, "user=phone", ""},
	{"sip:[::]", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 0, NULL, NULL, "::", NULL, "", ""},
	{"sip:[1:2:3:4:5:6:7:8]", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 0, NULL, NULL,
	 "1:2:3:4:5:6:7:8", NULL, "", ""},
	{"sip:[1:2:3:4:5:6:7::]", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 0, NULL, NULL,
	 "1:2:3:4:5:6:7::", NULL, "", ""},
	{"sip:[::2:3:4:5:6:7:8]", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 0, NULL, NULL,
	 "::2:3:4:5:6:7:8", NULL, "", ""},
	{"sip:[1:2:3:4:5:6:192.0.2.1]:5060", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 5060, NULL, NULL,
	 "1:2:3:4:5:6:192.0.2.1", "5060", "", ""},
	{"sip:[::192.0.2.1]", 0, SIP_SCHEME_SIP, SIP_HOST_IPV6, 0, NULL, NULL, "::192.0.2.1", NULL,
	 "", ""},
	{"sip:h.example:05060", 0, SIP_SCHEME_SIP, SIP_HOST_NAME, 5060, NULL, NULL, "h.example",
	 "05060", "", ""},

	URI_BAD(""),
	URI_BAD("sip:[1:2:3:4:5:6:7:8:9]"),
	URI_BAD("sip:[1:2:3:4:5:6:7]"),
	URI_BAD("sip:[1::2:3:4:5:6:7:8]"),
	URI_BAD("sip:[1:2:3:4:5:6:7:192.0.2.1]"),
	URI_BAD("sip:[::ffff:192.0.2]"),
	URI_BAD("sip:[::ffff:192.0.2.256]"),
	URI_BAD("sip:[:1]"),
	URI_BAD("sip:[1:]"),
	URI_BAD("sip:[fe80::1%25eth0]"),
	URI_BAD("sip:192.0.2.256"),
	URI_BAD("sip:192.0.2.1.5"),
	URI_BAD("sip:192.0.2"),
	URI_BAD("sip:1921.0.2.1"),
	URI_BAD("sip:192.0.2.1x"),
	URI_BAD("sip"),
	URI_BAD("sip:"),
	URI_BAD("sip:@example.com"),
	URI_BAD("sip:alice@"),
	URI_BAD("http://example.com"),
	URI_BAD("mailto:a@example.com"),
	URI_BAD("sip:[2001:db8::1"),
	URI_BAD("sip:2001:db8::1"),
	URI_BAD("sip:a@[192.0.2.1]"),
	URI_BAD("sip:a@[2001:db8:::1]"),
	URI_BAD("sip:a@[2001:db8::1::2]"),
	URI_BAD("sip:a@[12345::1]"),
	URI_BAD("sip:a@[]"),
	URI_BAD("sip:b%zzob@example.com"),
	URI_BAD("sip:b%4@example.com"),
	URI_BAD("sip:bob%@example.com"),
	URI_BAD("sip:host name"),
	URI_BAD("sip:a@exa mple.com"),
	URI_BAD("sip:host.example:65536"),
	URI_BAD("sip:host.example:99999999999"),
	URI_BAD("sip:host.example:"),
	URI_BAD("sip:host.example:5x"),
	URI_BAD("sip:a@example.com:5060:5061"),
	URI_BAD("tel:"),
	URI_BAD("sip:a:b:c@example.com"),
	URI_BAD("sip:a@b.example;x=%g0"),
};

static void test_uri(void)
{
	for (unsigned i = 0; i < NELEM(uri_rows); i++) {
		const struct uri_row *row = &uri_rows[i];
		struct sip_uri u;
		uint32_t len;
		const char *in = exact(row->in, &len);

		check_ctx = row->in;
		memset(&u, 0xa5, sizeof(u));
		int r = sip_parse_uri(in, len, &u);
		check_ret(r, len, row->want);
		if (row->want != 0 || r != (int)len)
			continue;
		CHECK_INT(u.scheme, row->scheme);
		CHECK_INT(u.host_type, row->host_type);
		CHECK_INT(u.port, row->port);
		CHECK_OPT_STR(u.user, row->user);
		CHECK_OPT_STR(u.password, row->password);
		CHECK_OPT_STR(u.host, row->host);
		CHECK_OPT_STR(u.port_str, row->port_str);
		CHECK_OPT_STR(u.params, row->params);
		CHECK_OPT_STR(u.headers, row->headers);
		/* password "" means present and empty, not absent */
		if (row->password != NULL && row->password[0] == '\0')
			CHECK(u.password.p != NULL);
	}
}

/* ---- parameters ---- */

struct param_row {
	const char *params, *name;
	int want;
	const char *val; /* "" with want 1: present without value */
};

static const struct param_row param_rows[] = {
	{"transport=udp;lr;maddr=239.255.0.1", "transport", 1, "udp"},
	{"transport=udp;lr;maddr=239.255.0.1", "TRANSPORT", 1, "udp"},
	{"transport=udp;lr;maddr=239.255.0.1", "lr", 1, ""},
	{"transport=udp;lr;maddr=239.255.0.1", "maddr", 1, "239.255.0.1"},
	{"transport=udp;lr;maddr=239.255.0.1", "ttl", 0, NULL},
	{"transport=udp;lr;maddr=239.255.0.1", "t", 0, NULL},
	{"transport=udp;lr;maddr=239.255.0.1", "transportx", 0, NULL},
	{"transport=udp;lr;maddr=239.255.0.1", "udp", 0, NULL},
	{"Tag=AbC;expires=60", "tag", 1, "AbC"},
	{"expires=60;+sip.instance=\"<urn:uuid:x;lr=1>\";lr", "lr", 1, ""},
	{"expires=60;+sip.instance=\"<urn:uuid:x;lr=1>\"", "lr", 0, NULL},
	{"expires=60;+sip.instance=\"<urn:uuid:x;lr=1>\"", "+sip.instance", 1, "\"<urn:uuid:x;lr=1>\""},
	{"q = 0.5 ; expires = 60", "expires", 1, "60"},
	{"q = 0.5 ; expires = 60", "q", 1, "0.5"},
	{"lr", "lr", 1, ""},
	{"x=\"a\\\";lr\";tag=1", "lr", 0, NULL},
	{"x=\"a\\\";lr\";tag=1", "tag", 1, "1"},
	{"", "lr", 0, NULL},
};

static void test_params(void)
{
	for (unsigned i = 0; i < NELEM(param_rows); i++) {
		const struct param_row *row = &param_rows[i];
		struct sip_str params, val = {NULL, 0};
		uint32_t len;

		check_ctx = row->name;
		params.p = exact(row->params, &len);
		params.len = len;
		int r = sip_param_find(params, row->name, (uint32_t)strlen(row->name), &val);
		CHECK_INT(r, row->want);
		if (r == 1 && row->want == 1) {
			CHECK_STR(val, row->val);
			CHECK(val.p != NULL);
		}
	}
}

/* ---- Content-Type ---- */

struct ct_row {
	const char *in;
	int want;
	const char *type, *subtype, *params;
};

static const struct ct_row ct_rows[] = {
	{"application/sdp", 0, "application", "sdp", ""},
	{"Application/SDP", 0, "Application", "SDP", ""},
	{"application/pidf+xml", 0, "application", "pidf+xml", ""},
	{"multipart/mixed;boundary=xyz", 0, "multipart", "mixed", "boundary=xyz"},
	{"text/plain ; charset=utf-8", 0, "text", "plain", "charset=utf-8"},
	{"text / plain", 0, "text", "plain", ""},
	{"message/sipfrag;version=2.0", 0, "message", "sipfrag", "version=2.0"},
	{"multipart/related;type=\"application/sdp\";boundary=\"a;b\"", 0, "multipart", "related",
	 "type=\"application/sdp\";boundary=\"a;b\""},
	{"application", SIP_ERR_BAD_VALUE},
	{"/sdp", SIP_ERR_BAD_VALUE},
	{"application/", SIP_ERR_BAD_VALUE},
	{"", SIP_ERR_BAD_VALUE},
	{"app lication/sdp", SIP_ERR_BAD_VALUE},
	{"application/sdp/x", SIP_ERR_BAD_VALUE},
};

static void test_ctype(void)
{
	for (unsigned i = 0; i < NELEM(ct_rows); i++) {
		const struct ct_row *row = &ct_rows[i];
		struct sip_ctype ct;
		uint32_t len;
		const char *in = exact(row->in, &len);

		check_ctx = row->in;
		memset(&ct, 0xa5, sizeof(ct));
		int r = sip_parse_ctype(in, len, &ct);
		check_ret(r, len, row->want);
		if (row->want != 0 || r != (int)len)
			continue;
		CHECK_STR(ct.type, row->type);
		CHECK_STR(ct.subtype, row->subtype);
		CHECK_OPT_STR(ct.params, row->params);
	}
}

/* ---- unescaping ---- */

struct unesc_row {
	const char *in;
	uint32_t dlen;
	int want; /* decoded length, or -SIP_ERR_BAD_URI */
	const char *out;
	uint32_t out_len;
};

static const struct unesc_row unesc_rows[] = {
	{"%41b%20c", 16, 4, "Ab c", 4},
	{"abc", 16, 3, "abc", 3},
	{"", 16, 0, "", 0},
	{"%2f%2F", 16, 2, "//", 2},
	{"%00x", 16, 2, "\0x", 2},
	{"%ff", 16, 1, "\xff", 1},
	{"abcd", 4, 4, "abcd", 4},
	{"%41", 1, 1, "A", 1},
	{"abcd", 3, -SIP_ERR_BAD_URI, NULL, 0},
	{"%41%42", 1, -SIP_ERR_BAD_URI, NULL, 0},
	{"%4", 16, -SIP_ERR_BAD_URI, NULL, 0},
	{"%", 16, -SIP_ERR_BAD_URI, NULL, 0},
	{"a%zz", 16, -SIP_ERR_BAD_URI, NULL, 0},
	{"%g1", 16, -SIP_ERR_BAD_URI, NULL, 0},
	{"%1g", 16, -SIP_ERR_BAD_URI, NULL, 0},
};

static void test_unescape(void)
{
	for (unsigned i = 0; i < NELEM(unesc_rows); i++) {
		const struct unesc_row *row = &unesc_rows[i];
		struct sip_str src;
		uint32_t len;
		char *dst = malloc(row->dlen);

		check_ctx = row->in;
		CHECK(dst != NULL);
		if (dst == NULL)
			continue;
		src.p = exact(row->in, &len);
		src.len = len;
		int r = sip_unescape(src, dst, row->dlen);
		CHECK_INT(r, row->want);
		if (r >= 0 && r == row->want)
			CHECK(memcmp(dst, row->out, row->out_len) == 0);
		free(dst);
	}
}

/* A host of digits, dots, letters and hyphens, classified from its
 * grammar alone (RFC 3261 25.1 hostname / IPv4address), independently of
 * the parser's fast and general paths. */
static int ref_host_type(const char *h, size_t n)
{
	size_t labels = 0, i = 0, end = n;
	bool quad = true;
	const char *last = h;

	if (n > 0 && h[n - 1] == '.')
		end = n - 1, quad = false; /* a trailing dot: only a name */
	if (end == 0)
		return SIP_HOST_NONE;
	while (i <= end) {
		size_t s = i, digits = 0;

		while (i < end && h[i] != '.')
			digits += h[i] >= '0' && h[i] <= '9', i++;
		if (i == s || h[s] == '-' || h[i - 1] == '-')
			return SIP_HOST_NONE;
		quad = quad && digits == i - s && i - s <= 3 && atoi(h + s) <= 255;
		labels++;
		last = h + s;
		i++;
	}
	if (*last >= 'a' && *last <= 'z')
		return SIP_HOST_NAME;
	return quad && labels == 4 ? SIP_HOST_IPV4 : SIP_HOST_NONE;
}

/* The dotted-quad fast path of host parsing against the reference, over
 * short random strings of the bytes that matter to it, through a Via and
 * a URI. */
static void test_host_classes(void)
{
	static const char alpha[] = "0123456789.a-2.5";
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (unsigned k = 0; k < 300000; k++) {
		char host[24], via[64], uri[64]; /* a quad prints up to 16 */
		size_t n;
		struct sip_via v;
		struct sip_uri u;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = 1 + x % 15;
		for (size_t i = 0; i < n; i++)
			host[i] = alpha[(x >> (4 + 4 * (i % 15))) % (sizeof(alpha) - 1)];
		if (k % 3 == 0) /* mostly quad-shaped */
			n = (size_t)snprintf(host, sizeof(host), "%u.%u.%u.%u", (unsigned)(x % 300),
					     (unsigned)(x >> 9) % 300, (unsigned)(x >> 18) % 1100,
					     (unsigned)(x >> 29) % 270);
		host[n] = '\0';
		int want = ref_host_type(host, n);
		int lv = snprintf(via, sizeof(via), "SIP/2.0/UDP %s;rport", host);
		int lu = snprintf(uri, sizeof(uri), "sip:%s", host);

		check_ctx = host;
		int rv = sip_parse_via(via, (uint32_t)lv, &v);
		int ru = sip_parse_uri(uri, (uint32_t)lu, &u);
		if (want == SIP_HOST_NONE) {
			CHECK(rv < 0);
			CHECK(ru < 0);
		} else {
			CHECK_INT(rv, lv);
			CHECK_INT(ru, lu);
			if (rv == lv)
				CHECK_INT(v.host_type, want);
			if (ru == lu)
				CHECK_INT(u.host_type, want);
		}
	}
}

/* A generic parameter list, ";name[=value]" repeated with LWS around ';'
 * and '=', read byte by byte from the grammar alone (RFC 3261 25.1 generic-
 * param; a value a token, a host with [ ] :, or a quoted string), apart from
 * the parser's vector runs and fast steps. Returns whether [p, e) is one,
 * with *tag the first tag parameter's value (p NULL when there is none). */
static bool ref_is_tok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

static const char *ref_lws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static bool ref_gparams(const char *p, const char *e, struct sip_str *tag)
{
	tag->p = NULL;
	tag->len = 0;
	for (p = ref_lws(p, e); p < e; p = ref_lws(p, e)) {
		if (*p != ';')
			return false;
		const char *n = p = ref_lws(p + 1, e);
		while (p < e && ref_is_tok(*p))
			p++;
		if (p == n)
			return false;
		bool is_tag = p - n == 3 && strncasecmp(n, "tag", 3) == 0;
		const char *v = p, *r = ref_lws(p, e);
		if (r < e && *r == '=') {
			v = p = ref_lws(r + 1, e);
			if (p < e && *p == '"') {
				for (p++; p < e && *p != '"'; p++)
					if (*p == '\\' && ++p == e)
						return false;
				if (p == e)
					return false;
				p++;
			} else {
				while (p < e && (ref_is_tok(*p) || *p == '[' || *p == ']' || *p == ':'))
					p++;
			}
			if (p == v)
				return false;
		}
		if (is_tag && tag->p == NULL) {
			tag->p = v;
			tag->len = (uint32_t)(p - v);
		}
	}
	return true;
}

/* The parameter walk (its LWS steps, the token runs that load back from the
 * field's end, the tag taken in passing) against the reference, over random
 * lists of the fragments that matter to it, at every length around the
 * 16-byte steps: through a name-addr, and through a Via whose branch and
 * rport must be what sip_param_find() finds in its parameters (after a
 * port, so that no list may start with one). */
static void test_param_walk(void)
{
	static const char *const frag[] = {
		";",	  ";",	   "=",	   " ",	    "\t",   "\"",	 "\\",	  "tag",
		"TaG",	  "branch", "rport", "x",	    "5060", "1.2.3.4", "[",	  "]",
		":",	  ",",	   "<",	   "\"a;b\"", ";tag=1", ";x=y",	 ";rport", " ; x",
		";Tag = \"a\\\"b\"", ";branch=z9hG4bKabcdefghijklmnop", ";received=10.0.0.1"};
	uint64_t x = 0x243f6a8885a308d3ull;

	for (unsigned k = 0; k < 200000; k++) {
		char na_in[360], via_in[360];
		char params[320]; /* 9 fragments of at most 33 bytes */
		size_t n = 0;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned nf = 1 + (unsigned)(x % 9);
		uint64_t y = x;
		for (unsigned i = 0; i < nf; i++) {
			y = y * 6364136223846793005ull + 1442695040888963407ull;
			const char *f = frag[(y >> 33) % NELEM(frag)];
			size_t fl = strlen(f);
			memcpy(params + n, f, fl);
			n += fl;
		}
		params[n] = '\0';
		check_ctx = params;

		struct sip_str tag;
		bool ok = ref_gparams(params, params + n, &tag);
		int lna = snprintf(na_in, sizeof(na_in), "<sip:a@b.example>%s", params);
		uint32_t len;
		const char *in = exact(na_in, &len);
		struct sip_nameaddr na;
		int r = sip_parse_nameaddr(in, len, &na);
		if (!ok || (tag.p != NULL && tag.len == 0)) {
			CHECK_INT(r, -SIP_ERR_BAD_NAME_ADDR);
		} else {
			CHECK_INT(r, lna);
			if (r == lna && tag.p != NULL)
				CHECK(na.tag.p == in + 17 + (tag.p - params) && na.tag.len == tag.len);
			else if (r == lna)
				CHECK(na.tag.p == NULL);
		}

		int lv = snprintf(via_in, sizeof(via_in), "SIP/2.0/UDP 192.0.2.1:5060%s", params);
		in = exact(via_in, &len);
		struct sip_via v;
		r = sip_parse_via(in, len, &v);
		if (!ok)
			CHECK_INT(r, -SIP_ERR_BAD_VIA);
		if (r == lv) {
			struct sip_str b, rp;
			int hb = sip_param_find(v.params, SIP_LIT("branch"), &b);
			CHECK(hb == (v.branch.p != NULL));
			if (hb == 1 && v.branch.p != NULL)
				CHECK(b.p == v.branch.p && b.len == v.branch.len);
			CHECK(sip_param_find(v.params, SIP_LIT("rport"), &rp) == v.has_rport);
		}
	}
}

void test_fields(void)
{
	test_host_classes();
	test_param_walk();
	test_value_walk();
	test_value_next();
	test_via();
	test_via_next();
	test_nameaddr();
	test_uri();
	test_params();
	test_ctype();
	test_unescape();
	free(dup_buf);
	dup_buf = NULL;
}
