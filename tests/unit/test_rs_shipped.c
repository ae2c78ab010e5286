/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_rs_shipped.c - what each rule of the shipped rulesets (the three
 * files of rules/, loaded together as the lab loads them) catches and what
 * it lets through,
 * as rules/README.md's tables say: one request per row, built from a
 * harmless one by changing the header that matters, and the exact set of
 * rule ids that hold for it (count and shadow rules included). A rule
 * rewritten for speed must keep every row; a row per boundary (255 and 256
 * bytes, 5 and 6 digit pairs, a word and the same letters inside a word).
 */
#include <limits.h>
#include <stdlib.h>

#include "test_rs.h"

/* A request: each header the harmless default, or this value; "" leaves
 * the header out. */
struct req {
	const char *method, *ruri, *via, *from, *to, *call_id, *contact, *ua, *extra;
};

static const struct req harmless = {
	"INVITE", "sip:+4930901820@gw.example.net",
	"SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport",
	"\"Alice\" <sip:alice@example.org>;tag=as5e1c7a0b", "<sip:+4930901820@example.net>",
	"a84b4c76e66710@pc33.example.org", "<sip:alice@192.0.2.10:5062>", "Asterisk PBX 18.20.0",
	"Max-Forwards: 70\n",
};

#define OR(a, b) ((a) != NULL ? (a) : (b))

static int build(struct tmsg *t, const struct req *r)
{
	static char head[6144];
	const char *m = OR(r->method, harmless.method), *contact = OR(r->contact, harmless.contact);
	const char *ua = OR(r->ua, harmless.ua);
	int n = snprintf(head, sizeof(head),
			 "%s %s SIP/2.0\nVia: %s\nFrom: %s\nTo: %s\nCall-ID: %s\nCSeq: 1 %s\n%s%s%s%s%s%s",
			 m, OR(r->ruri, harmless.ruri), OR(r->via, harmless.via),
			 OR(r->from, harmless.from), OR(r->to, harmless.to),
			 OR(r->call_id, harmless.call_id), m, *contact ? "Contact: " : "", contact,
			 *contact ? "\n" : "", *ua ? "User-Agent: " : "", ua, *ua ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head) - 1024)
		return -1;
	snprintf(head + n, sizeof(head) - (size_t)n, "%s", OR(r->extra, harmless.extra));
	return tmsg_make(t, head, NULL);
}

/* pre, n bytes of c, post: a string of its own for each call (the table is
 * built before it is read). */
static const char *fill(const char *pre, char c, unsigned n, const char *post)
{
	static char buf[16][800];
	static unsigned k;
	char *b = buf[k++ % 16];
	size_t l = strlen(pre);

	if (k > 16 || l + n + strlen(post) >= sizeof(buf[0]))
		return NULL; /* more than the buffers hold: the row fails */
	memcpy(b, pre, l);
	memset(b + l, c, n);
	snprintf(b + l + n, sizeof(buf[0]) - l - n, "%s", post);
	return b;
}

struct srow {
	const char *name;
	struct req r;
	uint32_t want[4]; /* the ids that hold, ascending; 0 ends */
};

/* svmap's tag for 127.0.0.1:5060 (README, "scanners.rules"): the hex of
 * "7f0000013ae5", 01, the hex of "1036413316". */
#define SV_TAG "3766303030303031336165350131303336343133333136"

static void rows(struct srow *t, unsigned *n)
{
	unsigned k = 0;
#define ROW(nm, ...) t[k++] = (struct srow){nm, __VA_ARGS__}
	ROW("harmless", {0}, {0});
	ROW("a REGISTER", {.method = "REGISTER", .ruri = "sip:gw.example.net", .extra = "Expires: 3600\n"}, {0});
	/* scanners.rules */
	ROW("1001 friendly-scanner", {.ua = "friendly-scanner"}, {1001});
	ROW("1001 any case", {.ua = "SIPVicious/0.3.3"}, {1001});
	ROW("1001 not friendly scanner", {.ua = "friendly scanner"}, {0});
	ROW("1002 iWar", {.ua = "iWar 0.1"}, {1002});
	ROW("1002 smap alone", {.ua = "smap"}, {1002});
	ROW("1002 iwar inside a word", {.ua = "Kiwari/2.0"}, {0});
	ROW("1002 VaxSIPUserAgent", {.ua = "VaxSIPUserAgent/3.1"}, {1002});
	ROW("1010 display sipvicious", {.from = "\"SIPVicious\" <sip:alice@example.org>;tag=1"}, {1010});
	ROW("1010 display sipvicious2", {.from = "\"sipvicious2\" <sip:alice@example.org>;tag=1"}, {0});
	ROW("1011 svcrack's tag", {.from = "<sip:alice@example.org>;tag=3206210844"}, {1011});
	ROW("1011 blanks and case", {.from = "<sip:a@b> ; TAG = 3206210844;x=1"}, {1011});
	ROW("1011 a longer tag", {.from = "<sip:alice@example.org>;tag=32062108445"}, {0});
	ROW("1011 a URI parameter is no tag", {.from = "<sip:a@b;tag=3206210844>;tag=1"}, {0});
	ROW("1012 svmap's tag", {.from = "\"x\" <sip:100@example.org>;tag=" SV_TAG}, {1012});
	ROW("1012 six digits", {.from = "<sip:a@b>;tag=6162" "01" "313233343536"}, {1012});
	ROW("1012 five digits", {.from = "<sip:a@b>;tag=6162" "01" "3132333435"}, {0});
	ROW("1012 odd hex before 01", {.from = "<sip:a@b>;tag=616" "01" "313233343536"}, {0});
	ROW("1012 then another parameter", {.from = "<sip:a@b>;tag=" SV_TAG ";x=y"}, {1012});
	ROW("1013 branch, rport and Call-ID", {.via = "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-985483490;rport",
					      .call_id = "420424494052869556191429"}, {1013, 1051, 1052});
	ROW("1051 branch alone", {.via = "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-985483490;rport"}, {1051});
	ROW("1051 rport not last", {.via = "SIP/2.0/UDP h;branch=z9hG4bK-985483490;rport;x"}, {0});
	ROW("1051 eleven digits", {.via = "SIP/2.0/UDP h;branch=z9hG4bK-98548349012;rport"}, {0});
	ROW("1052 Call-ID alone", {.call_id = "420424494052869556191429"}, {1052});
	ROW("1052 five digits", {.call_id = "42042"}, {0});
	ROW("1014 svcrack's Contact", {.contact = "sip:123@1.1.1.1"}, {1014});
	ROW("1014 in <>, with params", {.contact = "<sip:123@1.1.1.1>;expires=0"}, {1014});
	ROW("1015 svmap's From", {.from = "\"x\" <sip:100@1.1.1.1>;tag=1"}, {1015});
	ROW("1016 Contact None", {.contact = "None"}, {1016});
	ROW("1016 <sip:None@...>", {.contact = "<sip:None@192.0.2.1>"}, {1016});
	ROW("1016 <None>", {.contact = "<None>;expires=0"}, {1016});
	ROW("1016 Nonesuch", {.contact = "sip:Nonesuch@192.0.2.1"}, {0});
	ROW("1050 sipsak", {.ua = "sipsak 0.9.6"}, {1050});
	ROW("1050 not first", {.ua = "my-sipsak"}, {0});
	/* toll-fraud.rules */
	ROW("2001 +882", {.ruri = "sip:+88212345678@gw"}, {2001});
	ROW("2001 a REGISTER to it", {.method = "REGISTER", .ruri = "sip:+88212345678@gw"}, {0});
	ROW("2002 00870", {.ruri = "sip:00870123456@gw"}, {2002});
	ROW("2010 Cuba (shadow)", {.ruri = "sip:+5371234567@gw"}, {2010});
	ROW("2020 1-900", {.ruri = "sip:19005551234@gw"}, {2020});
	ROW("2021 UK 09", {.ruri = "sip:09012345678@gw"}, {2021});
	ROW("2022 +49900", {.ruri = "sip:+499001234567@gw"}, {2022});
	ROW("2050 9011 probing", {.ruri = "sip:9011441234567890@gw"}, {2050});
	ROW("2051 To +882", {.to = "<sip:+88212345678@example.net>"}, {2051});
	/* hygiene.rules */
	ROW("3001 FOO", {.method = "FOO"}, {3001});
	ROW("3001 invite in lower case", {.method = "invite"}, {3001});
	ROW("3001 SUBSCRIBE is taken", {.method = "SUBSCRIBE", .extra = "Event: presence\n"}, {0});
	ROW("3010 UA of 256 bytes", {.ua = fill("", 'u', 256, "")}, {3010});
	ROW("3010 UA of 255 bytes", {.ua = fill("", 'u', 255, "")}, {0});
	ROW("3011 Call-ID of 256 bytes", {.call_id = fill("", 'c', 256, "")}, {3011});
	ROW("3012 user of 128 bytes", {.ruri = fill("sip:", '1', 128, "@gw")}, {3012});
	ROW("3012 user of 127 bytes", {.ruri = fill("sip:", '1', 127, "@gw")}, {0});
	ROW("3013 display of 128 bytes", {.from = fill("\"", 'd', 128, "\" <sip:a@b>;tag=1")}, {3013});
	ROW("3014 Subject of 512 bytes", {.extra = fill("Subject: ", 's', 512, "\n")}, {3014});
	ROW("3014 Subject of 511 bytes", {.extra = fill("Subject: ", 's', 511, "\n")}, {0});
	ROW("3015 Contact URI of 512 bytes", {.contact = fill("<sip:a@", 'h', 506, ">")}, {3015});
	ROW("3015 Contact URI of 511 bytes", {.contact = fill("<sip:a@", 'h', 505, ">")}, {0});
	ROW("3020 UA SQL", {.ua = "x' or 1=1"}, {3020});
	ROW("3020 UA shell", {.ua = "curl $(id)"}, {3020});
	ROW("3020 UA log4shell", {.ua = "${jndi:ldap://x}"}, {3020});
	ROW("3021 display SQL", {.from = "\"a' OR 'x'='x\" <sip:a@b>;tag=1"}, {3021});
	ROW("3022 To display script", {.to = "\"<script>\" <sip:b@c>"}, {3022});
	ROW("3023 From user %27or", {.from = "<sip:a%27or1@b>;tag=1"}, {3023});
	ROW("3024 To user backquote", {.to = "<sip:x`id`@b>"}, {3024});
	ROW("3025 R-URI user %60", {.ruri = "sip:a%60b@gw"}, {3025});
	ROW("3026 Contact user %24%7b", {.contact = "<sip:%24%7bjndi@b>"}, {3026});
	ROW("3027 Call-ID %0a", {.call_id = "a%0ab@host"}, {3027, 3028});
	ROW("3027 Call-ID sleep(", {.call_id = "x.SLEEP(5)"}, {3027});
	ROW("3028 Call-ID braces", {.call_id = "a{b}@c"}, {3028});
	ROW("3030 Max-Forwards 71", {.extra = "Max-Forwards: 71\n"}, {3030});
	ROW("3031 REGISTER for 31 days", {.method = "REGISTER", .ruri = "sip:gw", .extra = "Expires: 2678400\n"}, {3031});
	ROW("3031 30 days exactly", {.method = "REGISTER", .ruri = "sip:gw", .extra = "Expires: 2592000\n"}, {0});
#undef ROW
	*n = k;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void test_shipped_rules(const char *root)
{
	static struct srow t[96];
	char path[PATH_MAX], text[4 * PATH_MAX], err[256], b[600];
	struct rs_ast *ast = NULL;
	struct rs_diag d;
	void *blob = NULL;
	size_t len = 0;
	struct rs_set *s = NULL;
	struct rs_scratch *sc = NULL;
	unsigned n;

	check_ctx = "shipped rules: compile";
	if (realpath(root, path) == NULL)
		snprintf(path, sizeof(path), "%s", root);
	snprintf(text, sizeof(text), "include \"%s/rules/scanners.rules\"\ninclude \"%s/rules/toll-fraud.rules\"\n"
				     "include \"%s/rules/hygiene.rules\"\n", path, path, path);
	CHECK_INT(rs_parse_buf("all.rules", NULL, text, strlen(text), NULL, &ast, &d), 0);
	if (ast == NULL || rs_compile(ast, NULL, &blob, &len, &d, NULL) != 0 ||
	    rs_set_load(blob, len, &s, err, sizeof(err)) != 0 || rs_scratch_alloc(s, &sc) != 0) {
		for (unsigned i = 0; i < d.n; i++)
			fprintf(stderr, "  %s\n", rs_diag_str(&d, i, b, sizeof(b)));
		CHECK(!"the shipped rulesets compile and load");
		goto out;
	}
	rows(t, &n);
	CHECK(n <= NELEM(t));
	for (unsigned i = 0; i < n; i++) {
		struct tmsg m;
		struct rs_addr src = taddr4(192, 0, 2, 10, 5062);
		uint32_t ranks[64], ids[64], nw = 0;
		struct rs_verdict v;
		int h;

		check_ctx = t[i].name;
		if (build(&m, &t[i].r) <= 0) {
			CHECK(!"the request parses");
			continue;
		}
		h = rs_eval_match(s, sc, &m.m, &src, NULL, ranks, 64, &v);
		CHECK(h >= 0 && h <= 64);
		for (int k = 0; k < h && k < 64; k++) {
			struct rs_rule_info ri;
			rs_set_rule(s, ranks[k], &ri);
			ids[k] = ri.id;
		}
		qsort(ids, (size_t)(h > 0 ? h : 0), sizeof(*ids), cmp_u32);
		while (nw < NELEM(t[i].want) && t[i].want[nw] != 0)
			nw++;
		bool same = h == (int)nw;
		for (uint32_t k = 0; same && k < nw; k++)
			same = ids[k] == t[i].want[k];
		CHECK(same);
		if (!same) {
			fprintf(stderr, "  holds:");
			for (int k = 0; k < h && k < 64; k++)
				fprintf(stderr, " %u", ids[k]);
			fprintf(stderr, "\n");
		}
	}
	printf("shipped rules: %u requests, each rule caught and passed as README says\n", n);
out:
	rs_scratch_free(sc);
	rs_set_free(s);
	free(blob);
	rs_ast_free(ast);
}
