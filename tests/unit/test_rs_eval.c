/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_rs_eval.c - the rules compiler, loader and evaluator (rs.h) on real
 * parsed SIP messages, real Hyperscan and real blobs.
 *
 *   test_rs_eval SOURCE_ROOT [SETS [MSGS]]
 *        SETS random rulesets x MSGS random messages (and 4 of the corpus)
 *        in the differential test (default 1000 x 24)
 *
 * This file: every operator on every field kind, positive and negated, on
 * three messages (repeated headers, two Contacts, Contact: *, compact
 * forms, tel: URIs, absent fields, IPv6); ranking, count, shadow, allow and
 * hits[]; compile errors; scratch growth and misuse; fail-open on a
 * Hyperscan error; 10 000 rules. test_rs_blob.c: corrupt and foreign
 * blobs. test_rs_diff.c: rs_eval against a naive reference evaluator.
 * test_rs_text.c: from rule text (the parser) to verdicts, the corpus and
 * the shipped rulesets.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define CHECK_MAIN
#include "rs_priv.h"
#include "test_rs.h"

/* ---- shared helpers ---- */

int tmsg_make(struct tmsg *t, const char *head, const char *body)
{
	uint32_t n = 0, blen = body ? (uint32_t)strlen(body) : 0;

	for (const char *p = head; *p && n + 2 < sizeof(t->buf); p++) {
		if (*p == '\n')
			t->buf[n++] = '\r';
		t->buf[n++] = *p;
	}
	if (strstr(head, "Content-Length:") == NULL && strstr(head, "\nl:") == NULL)
		n += (uint32_t)snprintf(t->buf + n, sizeof(t->buf) - n, "Content-Length: %u\r\n", blen);
	n += (uint32_t)snprintf(t->buf + n, sizeof(t->buf) - n, "\r\n%s", body ? body : "");
	t->len = n;
	return sip_parse(t->buf, n, NULL, 0, &t->m);
}

int tcompile(const struct rs_rule *rules, uint32_t n, const struct rs_platform *target,
	     void **blob, size_t *len, struct rs_diag *diag)
{
	struct rs_ast ast = {.rules = rules, .n_rules = n};

	return rs_compile(&ast, target, blob, len, diag, NULL);
}

struct rs_set *tset(const struct rs_rule *rules, uint32_t n)
{
	static struct rs_diag d;
	char err[256], b[600];
	void *blob = NULL;
	size_t len = 0;
	struct rs_set *s = NULL;
	int rc = tcompile(rules, n, NULL, &blob, &len, &d);

	CHECK_INT(rc, 0);
	for (unsigned i = 0; rc != 0 && i < d.n; i++)
		fprintf(stderr, "  %s\n", rs_diag_str(&d, i, b, sizeof(b)));
	if (rc == 0) {
		rc = rs_set_load(blob, len, &s, err, sizeof(err));
		CHECK_INT(rc, 0);
		if (rc != 0)
			fprintf(stderr, "  load: %s\n", err);
	}
	free(blob);
	return s;
}

/* ---- the messages ---- */

static const char *const m_invite =
	"INVITE sip:+4930123@example.com;user=phone SIP/2.0\n"
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\n"
	"Max-Forwards: 70\n"
	"To: <sip:bob@example.com>\n"
	"From: \"Alice A\" <sip:alice@atlanta.example>;tag=1928301774\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example\n"
	"CSeq: 314159 INVITE\n"
	"Contact: <sip:alice@10.0.0.1:5060>\n"
	"Contact: \"Second\" <sip:second@192.0.2.7>\n"
	"User-Agent: friendly-scanner 1.0\n"
	"X-Probe: one\n"
	"X-Probe: two\n"
	"Subject: \n"
	"Content-Type: application/sdp\n";
static const char *const m_invite_body =
	"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
	"m=audio 4000 RTP/AVP 0\r\n";

static const char *const m_register =
	"REGISTER sip:registrar.example SIP/2.0\n"
	"Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-r1\n"
	"From: sip:carol@example.com;tag=x1\n"
	"To: sip:carol@example.com\n"
	"Call-ID: reg-1\n"
	"CSeq: 2 REGISTER\n"
	"Contact: *\n"
	"Expires: 0\n";

static const char *const m_options =
	"OPTIONS tel:+15551234 SIP/2.0\n"
	"v: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-o1\n"
	"f: \"\" <tel:+15550000>;tag=o1\n"
	"t: <sip:gw.example>\n"
	"i: opt-1@host\n"
	"CSeq: 7 OPTIONS\n"
	"m: <sip:x@[2001:db8::1]>, <sips:y@example.net>\n"
	"User-Agent: A\n"
	"User-Agent: B\n"
	"X-Long: aaa\n";

enum { MI, MR, MO, N_MSG };

static struct tmsg msgs[N_MSG];
static struct rs_addr srcs[N_MSG], dsts[N_MSG];
static const struct rs_addr *dstp[N_MSG];

static void make_msgs(void)
{
	check_ctx = "messages";
	CHECK(tmsg_make(&msgs[MI], m_invite, m_invite_body) > 0);
	CHECK(tmsg_make(&msgs[MR], m_register, NULL) > 0);
	CHECK(tmsg_make(&msgs[MO], m_options, NULL) > 0);
	srcs[MI] = taddr4(10, 0, 0, 1, 5060);
	srcs[MR] = taddr4(192, 0, 2, 9, 5070);
	srcs[MO] = (struct rs_addr){.af = 6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, .port = 5060};
	dsts[MI] = taddr4(192, 0, 2, 100, 5060);
	dsts[MR] = taddr4(192, 0, 2, 100, 5060);
	dstp[MI] = &dsts[MI];
	dstp[MR] = &dsts[MR];
	dstp[MO] = NULL; /* no destination: dst is absent */
}

/* ---- every operator on every field ---- */

struct frow {
	const char *name;
	int msg;
	struct rs_cond c;
	bool want; /* does the test hold (before "not")? */
};

static const struct rs_cidr p10 = {4, 8, {10}};
static const struct rs_cidr p10_32 = {4, 32, {10, 0, 0, 1}};
static const struct rs_cidr p192[] = {{4, 24, {198, 51, 100}}, {4, 24, {192, 0, 2}}};
static const struct rs_cidr p6 = {6, 32, {0x20, 0x01, 0x0d, 0xb8}};
static const struct rs_cidr p6_other = {6, 16, {0x20, 0x02}};
static const struct rs_cidr p0 = {4, 0, {0}};
/* IPv4 prefixes shorter than a byte (several first bytes each), and
 * lengths in use at one first byte but not at another */
static const struct rs_cidr p192_4 = {4, 4, {192}}, p8_7 = {4, 7, {8}}, p10_7 = {4, 7, {10}};
static const struct rs_cidr p_mixed[] = {{4, 16, {10, 0}}, {4, 30, {192, 0, 2, 8}}};
static const struct rs_cidr p_mixed_other[] = {{4, 16, {10, 1}}, {4, 30, {192, 0, 2, 12}}};

static void field_rows(struct frow *r, unsigned *n)
{
	const unsigned CL = HS_FLAG_CASELESS;
	unsigned k = 0;
#define ROW(nm, mi, cond, w) r[k++] = (struct frow){nm, mi, cond, w}
	/* method */
	ROW("method == INVITE", MI, tstr(RS_F_method, RS_OP_EQ, "INVITE", 0), true);
	ROW("method == INVITE on REGISTER", MR, tstr(RS_F_method, RS_OP_EQ, "INVITE", 0), false);
	ROW("method == invite (case)", MI, tstr(RS_F_method, RS_OP_EQ, "invite", 0), false);
	ROW("method == invite caseless", MI, tstr(RS_F_method, RS_OP_EQ, "invite", CL), true);
	ROW("method == INVIT (whole value)", MI, tstr(RS_F_method, RS_OP_EQ, "INVIT", 0), false);
	ROW("method ~ /^reg/i", MR, tstr(RS_F_method, RS_OP_REGEX, "^reg", CL), true);
	ROW("method ^= OPT", MO, tstr(RS_F_method, RS_OP_PREFIX, "OPT", 0), true);
	ROW("method ^= PTI", MO, tstr(RS_F_method, RS_OP_PREFIX, "PTI", 0), false);
	ROW("method $= ONS", MO, tstr(RS_F_method, RS_OP_SUFFIX, "ONS", 0), true);
	ROW("method $= OPTI", MO, tstr(RS_F_method, RS_OP_SUFFIX, "OPTI", 0), false);
	ROW("method *= VIT", MI, tstr(RS_F_method, RS_OP_CONTAINS, "VIT", 0), true);
	ROW("method exists", MR, tstr(RS_F_method, RS_OP_EXISTS, NULL, 0), true);
	/* Request-URI */
	ROW("ruri == whole", MI, tstr(RS_F_ruri, RS_OP_EQ, "sip:+4930123@example.com;user=phone", 0), true);
	ROW("ruri *= literal +.", MI, tstr(RS_F_ruri, RS_OP_CONTAINS, "+4930123@example.", 0), true);
	ROW("ruri *= dot is no wildcard", MI, tstr(RS_F_ruri, RS_OP_CONTAINS, "example-com", 0), false);
	ROW("ruri ~ /user=phone$/", MI, tstr(RS_F_ruri, RS_OP_REGEX, "user=phone$", 0), true);
	ROW("ruri.user == +4930123", MI, tstr(RS_F_ruri_user, RS_OP_EQ, "+4930123", 0), true);
	ROW("ruri.user ^= +49", MI, tstr(RS_F_ruri_user, RS_OP_PREFIX, "+49", 0), true);
	ROW("ruri.user ^= +1", MI, tstr(RS_F_ruri_user, RS_OP_PREFIX, "+1", 0), false);
	ROW("ruri.user tel number", MO, tstr(RS_F_ruri_user, RS_OP_EQ, "+15551234", 0), true);
	ROW("ruri.user absent", MR, tstr(RS_F_ruri_user, RS_OP_EXISTS, NULL, 0), false);
	ROW("ruri.user absent ~ /.*/", MR, tstr(RS_F_ruri_user, RS_OP_REGEX, "x|y", 0), false);
	ROW("ruri.host == example.com", MI, tstr(RS_F_ruri_host, RS_OP_EQ, "example.com", 0), true);
	ROW("ruri.host $= .example", MR, tstr(RS_F_ruri_host, RS_OP_SUFFIX, ".example", 0), true);
	ROW("ruri.host tel: absent", MO, tstr(RS_F_ruri_host, RS_OP_EXISTS, NULL, 0), false);
	/* From / To */
	ROW("from == uri", MI, tstr(RS_F_from, RS_OP_EQ, "sip:alice@atlanta.example", 0), true);
	ROW("from addr-spec", MR, tstr(RS_F_from, RS_OP_EQ, "sip:carol@example.com", 0), true);
	ROW("from.user == alice", MI, tstr(RS_F_from_user, RS_OP_EQ, "alice", 0), true);
	ROW("from.user == ALICE", MI, tstr(RS_F_from_user, RS_OP_EQ, "ALICE", 0), false);
	ROW("from.user tel", MO, tstr(RS_F_from_user, RS_OP_EQ, "+15550000", 0), true);
	ROW("from.display == Alice A", MI, tstr(RS_F_from_display, RS_OP_EQ, "Alice A", 0), true);
	ROW("from.display none", MR, tstr(RS_F_from_display, RS_OP_EXISTS, NULL, 0), false);
	ROW("from.display \"\" exists", MO, tstr(RS_F_from_display, RS_OP_EXISTS, NULL, 0), true);
	ROW("from.display == \"\"", MO, tstr(RS_F_from_display, RS_OP_EQ, "", 0), true);
	ROW("from.display == \"\" not empty", MI, tstr(RS_F_from_display, RS_OP_EQ, "", 0), false);
	ROW("to ^= sip:bob", MI, tstr(RS_F_to, RS_OP_PREFIX, "sip:bob", 0), true);
	ROW("to.user == bob", MI, tstr(RS_F_to_user, RS_OP_EQ, "bob", 0), true);
	ROW("to.user no user", MO, tstr(RS_F_to_user, RS_OP_EXISTS, NULL, 0), false);
	ROW("to (compact t:)", MO, tstr(RS_F_to, RS_OP_EQ, "sip:gw.example", 0), true);
	ROW("to.display none", MI, tstr(RS_F_to_display, RS_OP_EXISTS, NULL, 0), false);
	ROW("to.display ~ none", MI, tstr(RS_F_to_display, RS_OP_REGEX, "b", 0), false);
	ROW("from.tag == name-addr's", MI, tstr(RS_F_from_tag, RS_OP_EQ, "1928301774", 0), true);
	ROW("from.tag ~ digits", MI, tstr(RS_F_from_tag, RS_OP_REGEX, "^[0-9]{10}$", 0), true);
	ROW("from.tag == addr-spec's", MR, tstr(RS_F_from_tag, RS_OP_EQ, "x1", 0), true);
	ROW("from.tag compact f:", MO, tstr(RS_F_from_tag, RS_OP_EQ, "o1", 0), true);
	ROW("to.tag absent", MI, tstr(RS_F_to_tag, RS_OP_EXISTS, NULL, 0), false);
	/* Contact: every value */
	ROW("contact 1st", MI, tstr(RS_F_contact, RS_OP_EQ, "sip:alice@10.0.0.1:5060", 0), true);
	ROW("contact 2nd", MI, tstr(RS_F_contact, RS_OP_EQ, "sip:second@192.0.2.7", 0), true);
	ROW("contact neither", MI, tstr(RS_F_contact, RS_OP_EQ, "sip:third@192.0.2.7", 0), false);
	ROW("contact.user 2nd", MI, tstr(RS_F_contact_user, RS_OP_EQ, "second", 0), true);
	ROW("contact.display 2nd", MI, tstr(RS_F_contact_display, RS_OP_EQ, "Second", 0), true);
	ROW("contact.display any", MI, tstr(RS_F_contact_display, RS_OP_EXISTS, NULL, 0), true);
	ROW("contact *", MR, tstr(RS_F_contact, RS_OP_EQ, "*", 0), true);
	ROW("contact.user of *", MR, tstr(RS_F_contact_user, RS_OP_EXISTS, NULL, 0), false);
	ROW("contact list in one header", MO, tstr(RS_F_contact, RS_OP_PREFIX, "sips:y@", 0), true);
	ROW("contact.user in list", MO, tstr(RS_F_contact_user, RS_OP_EQ, "x", 0), true);
	/* User-Agent: every header */
	ROW("ua ~ scanner", MI, tstr(RS_F_ua, RS_OP_REGEX, "friendly-scanner|sipvicious", CL), true);
	ROW("ua *= FRIENDLY caseless", MI, tstr(RS_F_ua, RS_OP_CONTAINS, "FRIENDLY", CL), true);
	ROW("ua *= FRIENDLY", MI, tstr(RS_F_ua, RS_OP_CONTAINS, "FRIENDLY", 0), false);
	ROW("ua absent", MR, tstr(RS_F_ua, RS_OP_EXISTS, NULL, 0), false);
	ROW("ua absent ~", MR, tstr(RS_F_ua, RS_OP_REGEX, "a", 0), false);
	ROW("ua 2nd header", MO, tstr(RS_F_ua, RS_OP_EQ, "B", 0), true);
	ROW("ua ^= \"\" is exists", MO, tstr(RS_F_ua, RS_OP_PREFIX, "", 0), true);
	ROW("ua ^= \"\" absent", MR, tstr(RS_F_ua, RS_OP_PREFIX, "", 0), false);
	/* Call-ID */
	ROW("call-id $=", MI, tstr(RS_F_call_id, RS_OP_SUFFIX, "@pc33.atlanta.example", 0), true);
	ROW("call-id compact i:", MO, tstr(RS_F_call_id, RS_OP_EQ, "opt-1@host", 0), true);
	/* any header */
	ROW("hdr[X-Probe] == two", MI, thdr("X-Probe", RS_OP_EQ, "two", 0), true);
	ROW("hdr[x-probe] == one", MI, thdr("x-probe", RS_OP_EQ, "one", 0), true);
	ROW("hdr[X-Probe] == three", MI, thdr("X-Probe", RS_OP_EQ, "three", 0), false);
	ROW("hdr[X-Probe] == on (whole)", MI, thdr("X-Probe", RS_OP_EQ, "on", 0), false);
	ROW("hdr[X-Missing] exists", MI, thdr("X-Missing", RS_OP_EXISTS, NULL, 0), false);
	ROW("hdr[X-Probe], no unknown header", MR, thdr("X-Probe", RS_OP_EXISTS, NULL, 0), false);
	ROW("hdr[X-Long], the last header", MO, thdr("X-Long", RS_OP_EXISTS, NULL, 0), true);
	ROW("hdr[f] is From", MI, thdr("f", RS_OP_CONTAINS, "tag=1928301774", 0), true);
	ROW("hdr[Call-ID] from i:", MO, thdr("Call-ID", RS_OP_EQ, "opt-1@host", 0), true);
	ROW("hdr[Subject] == \"\"", MI, thdr("Subject", RS_OP_EQ, "", 0), true);
	ROW("hdr[Subject] exists", MI, thdr("Subject", RS_OP_EXISTS, NULL, 0), true);
	ROW("hdr[Via] ~ rport-less", MR, thdr("via", RS_OP_REGEX, "branch=z9hG4bK-r[0-9]", 0), true);
	ROW("hdr[Max-Forwards] absent", MR, thdr("Max-Forwards", RS_OP_EXISTS, NULL, 0), false);
	ROW("hdr[X-Long] ~ /a{3}/", MO, thdr("X-Long", RS_OP_REGEX, "^a{3}$", 0), true);
	/* body and the whole message */
	ROW("body *= m=audio", MI, tstr(RS_F_body, RS_OP_CONTAINS, "m=audio", 0), true);
	ROW("body ~ multiline", MI, tstr(RS_F_body, RS_OP_REGEX, "^s=-\r$", HS_FLAG_MULTILINE), true);
	ROW("body absent", MR, tstr(RS_F_body, RS_OP_EXISTS, NULL, 0), false);
	ROW("msg *= X-Probe: two", MI, tstr(RS_F_msg, RS_OP_CONTAINS, "X-Probe: two\r\n", 0), true);
	ROW("msg ^= REGISTER", MR, tstr(RS_F_msg, RS_OP_PREFIX, "REGISTER sip:", 0), true);
	ROW("msg ~ dotall", MO, tstr(RS_F_msg, RS_OP_REGEX, "OPTIONS.*X-Long", HS_FLAG_DOTALL), true);
	ROW("msg ~ no dotall", MO, tstr(RS_F_msg, RS_OP_REGEX, "OPTIONS.*X-Long", 0), false);
	/* addresses */
	ROW("src in 10/8", MI, tcidr(RS_F_src, &p10, 1), true);
	ROW("src in 10.0.0.1/32", MI, tcidr(RS_F_src, &p10_32, 1), true);
	ROW("src in 10/8 other", MR, tcidr(RS_F_src, &p10, 1), false);
	ROW("src in list 2nd", MR, tcidr(RS_F_src, p192, 2), true);
	ROW("src in 0/0", MR, tcidr(RS_F_src, &p0, 1), true);
	ROW("src in 192/4", MR, tcidr(RS_F_src, &p192_4, 1), true);
	ROW("src in 8/7 other", MI, tcidr(RS_F_src, &p8_7, 1), false);
	ROW("src in 10/7", MI, tcidr(RS_F_src, &p10_7, 1), true);
	ROW("src in 10.0/16 of /16 and /30", MI, tcidr(RS_F_src, p_mixed, 2), true);
	ROW("src in 192.0.2.8/30 of /16 and /30", MR, tcidr(RS_F_src, p_mixed, 2), true);
	ROW("src in neither /16 nor /30", MI, tcidr(RS_F_src, p_mixed_other, 2), false);
	ROW("src in neither /30 nor /16", MR, tcidr(RS_F_src, p_mixed_other, 2), false);
	ROW("src v6 in 2001:db8::/32", MO, tcidr(RS_F_src, &p6, 1), true);
	ROW("src v6 in 2002::/16", MO, tcidr(RS_F_src, &p6_other, 1), false);
	ROW("src v6 not in v4 0/0", MO, tcidr(RS_F_src, &p0, 1), false);
	ROW("src exists", MI, tstr(RS_F_src, RS_OP_EXISTS, NULL, 0), true);
	ROW("dst in list", MI, tcidr(RS_F_dst, p192, 2), true);
	ROW("dst in 10/8", MI, tcidr(RS_F_dst, &p10, 1), false);
	ROW("dst absent", MO, tstr(RS_F_dst, RS_OP_EXISTS, NULL, 0), false);
	ROW("dst absent in 0/0", MO, tcidr(RS_F_dst, &p0, 1), false);
	/* numbers */
	ROW("src.port == 5060", MI, tnum(RS_F_src_port, RS_OP_NUM_EQ, 5060), true);
	ROW("src.port != 5060", MR, tnum(RS_F_src_port, RS_OP_NUM_NE, 5060), true);
	ROW("max-forwards < 71", MI, tnum(RS_F_max_forwards, RS_OP_LT, 71), true);
	ROW("max-forwards < 70", MI, tnum(RS_F_max_forwards, RS_OP_LT, 70), false);
	ROW("max-forwards <= 70", MI, tnum(RS_F_max_forwards, RS_OP_LE, 70), true);
	ROW("max-forwards <= 69", MI, tnum(RS_F_max_forwards, RS_OP_LE, 69), false);
	ROW("max-forwards > 69", MI, tnum(RS_F_max_forwards, RS_OP_GT, 69), true);
	ROW("max-forwards > 70", MI, tnum(RS_F_max_forwards, RS_OP_GT, 70), false);
	ROW("max-forwards >= 70", MI, tnum(RS_F_max_forwards, RS_OP_GE, 70), true);
	ROW("max-forwards >= 71", MI, tnum(RS_F_max_forwards, RS_OP_GE, 71), false);
	ROW("max-forwards == 70", MI, tnum(RS_F_max_forwards, RS_OP_NUM_EQ, 70), true);
	ROW("max-forwards != 70", MI, tnum(RS_F_max_forwards, RS_OP_NUM_NE, 70), false);
	ROW("max-forwards absent <", MR, tnum(RS_F_max_forwards, RS_OP_LT, 100), false);
	ROW("max-forwards absent !=", MR, tnum(RS_F_max_forwards, RS_OP_NUM_NE, 1), false);
	ROW("max-forwards absent exists", MR, tnum(RS_F_max_forwards, RS_OP_EXISTS, 0), false);
	ROW("content-length == body", MI, tnum(RS_F_content_length, RS_OP_NUM_EQ, 85), true);
	ROW("content-length == 0", MR, tnum(RS_F_content_length, RS_OP_NUM_EQ, 0), true);
	ROW("expires == 0", MR, tnum(RS_F_expires, RS_OP_NUM_EQ, 0), true);
	ROW("expires absent", MI, tnum(RS_F_expires, RS_OP_GE, 0), false);
	ROW("cseq == 314159", MI, tnum(RS_F_cseq, RS_OP_NUM_EQ, 314159), true);
	ROW("cseq > 2^40", MI, tnum(RS_F_cseq, RS_OP_GT, (int64_t)1 << 40), false);
	ROW("cseq > -2^62", MO, tnum(RS_F_cseq, RS_OP_GT, -((int64_t)1 << 62)), true);
	ROW("cseq exists", MO, tnum(RS_F_cseq, RS_OP_EXISTS, 0), true);
	/* == literals, found by a hash folded to lower case: the fold must
	 * not make other bytes equal ('@' | 0x20 is '`'), nor a NUL end one */
	ROW("call-id == caseless", MO, tstr(RS_F_call_id, RS_OP_EQ, "OPT-1@HOST", CL), true);
	ROW("call-id == ` for @ caseless", MO, tstr(RS_F_call_id, RS_OP_EQ, "opt-1`host", CL), false);
	ROW("call-id == ` for @", MO, tstr(RS_F_call_id, RS_OP_EQ, "opt-1`host", 0), false);
	ROW("call-id == with a NUL", MO, ((struct rs_cond){.field = RS_F_call_id, .op = RS_OP_EQ,
						      .pat = "opt-1\0host", .pat_len = 10}), false);
	ROW("ua == A of two", MO, tstr(RS_F_ua, RS_OP_EQ, "a", CL), true);
	ROW("ua == C of two", MO, tstr(RS_F_ua, RS_OP_EQ, "C", 0), false);
	/* len(FIELD): every value's length in bytes, no scan */
	ROW("len(ua) == 20", MI, tlen(RS_F_ua, RS_OP_NUM_EQ, 20), true);
	ROW("len(ua) > 19", MI, tlen(RS_F_ua, RS_OP_GT, 19), true);
	ROW("len(ua) > 20", MI, tlen(RS_F_ua, RS_OP_GT, 20), false);
	ROW("len(ua) >= 20", MI, tlen(RS_F_ua, RS_OP_GE, 20), true);
	ROW("len(ua) >= 21", MI, tlen(RS_F_ua, RS_OP_GE, 21), false);
	ROW("len(ua) < 21", MI, tlen(RS_F_ua, RS_OP_LT, 21), true);
	ROW("len(ua) < 20", MI, tlen(RS_F_ua, RS_OP_LT, 20), false);
	ROW("len(ua) <= 20", MI, tlen(RS_F_ua, RS_OP_LE, 20), true);
	ROW("len(ua) <= 19", MI, tlen(RS_F_ua, RS_OP_LE, 19), false);
	ROW("len(ua) != 20", MI, tlen(RS_F_ua, RS_OP_NUM_NE, 20), false);
	ROW("len(ua) > -1", MI, tlen(RS_F_ua, RS_OP_GT, -1), true);
	ROW("len(ua) absent >= 0", MR, tlen(RS_F_ua, RS_OP_GE, 0), false);
	ROW("len(ua) absent != 5", MR, tlen(RS_F_ua, RS_OP_NUM_NE, 5), false);
	ROW("len(ua) two of 1 == 1", MO, tlen(RS_F_ua, RS_OP_NUM_EQ, 1), true);
	ROW("len(ua) two of 1 != 1", MO, tlen(RS_F_ua, RS_OP_NUM_NE, 1), false);
	/* two Contacts of 23 and 20 bytes: a length between them is neither */
	ROW("len(contact) == 20", MI, tlen(RS_F_contact, RS_OP_NUM_EQ, 20), true);
	ROW("len(contact) == 23", MI, tlen(RS_F_contact, RS_OP_NUM_EQ, 23), true);
	ROW("len(contact) == 21", MI, tlen(RS_F_contact, RS_OP_NUM_EQ, 21), false);
	ROW("len(contact) != 20", MI, tlen(RS_F_contact, RS_OP_NUM_NE, 20), true);
	ROW("len(contact) > 22", MI, tlen(RS_F_contact, RS_OP_GT, 22), true);
	ROW("len(contact) < 21", MI, tlen(RS_F_contact, RS_OP_LT, 21), true);
	ROW("len(contact) >= 24", MI, tlen(RS_F_contact, RS_OP_GE, 24), false);
	ROW("len(contact) <= 19", MI, tlen(RS_F_contact, RS_OP_LE, 19), false);
	ROW("len(contact.user) of *", MR, tlen(RS_F_contact_user, RS_OP_GE, 0), false);
	ROW("len(from.display) \"\" == 0", MO, tlen(RS_F_from_display, RS_OP_NUM_EQ, 0), true);
	struct rs_cond subj = tlen(RS_F_hdr, RS_OP_LT, 1);
	subj.hdr = "Subject";
	subj.hdr_len = 7;
	ROW("len(hdr[Subject]) < 1", MI, subj, true);
	/* a pattern that matches the empty value: a database of width 0 is
	 * scanned even on an empty value */
	ROW("hdr[Subject] ~ /^a*$/ allowempty", MI, thdr("Subject", RS_OP_REGEX, "^a*$", HS_FLAG_ALLOWEMPTY), true);
#undef ROW
	*n = k;
}

/* Per message, one ruleset: every row twice (as is, and negated), each a
 * count rule; rs_eval_match says which hold. */
static void test_fields(void)
{
	static struct frow rows[200];
	static struct rs_rule rules[400];
	static struct rs_cond conds[400];
	unsigned n;

	field_rows(rows, &n);
	for (int mi = 0; mi < N_MSG; mi++) {
		uint32_t nr = 0;
		for (unsigned i = 0; i < n; i++) {
			if (rows[i].msg != mi)
				continue;
			conds[nr] = rows[i].c;
			conds[nr + 1] = tnot(rows[i].c);
			rules[nr] = trule(1 + 2 * i, 1000, RS_ACT_COUNT, &conds[nr], 1);
			rules[nr + 1] = trule(2 + 2 * i, 1000, RS_ACT_COUNT, &conds[nr + 1], 1);
			nr += 2;
		}
		check_ctx = "fields: compile";
		struct rs_set *s = tset(rules, nr);
		struct rs_scratch *sc = NULL;
		if (s == NULL)
			continue;
		CHECK_INT(rs_scratch_alloc(s, &sc), 0);
		uint32_t ranks[400];
		uint64_t hits[400] = {0};
		struct rs_verdict v;
		int h = rs_eval_match(s, sc, &msgs[mi].m, &srcs[mi], dstp[mi], ranks, 400, &v);
		CHECK_INT(v.action, RS_ACT_NONE);
		CHECK_INT(v.rule, RS_RULE_NONE);
		CHECK(h >= 0);
		for (unsigned i = 0; i < n; i++) {
			if (rows[i].msg != mi)
				continue;
			check_ctx = rows[i].name;
			int64_t rp = rs_set_find(s, 1 + 2 * i), rn = rs_set_find(s, 2 + 2 * i);
			bool hp = false, hn = false;
			for (int k = 0; k < h; k++) {
				hp |= ranks[k] == rp;
				hn |= ranks[k] == rn;
			}
			CHECK_INT(hp, rows[i].want);
			CHECK_INT(hn, !rows[i].want);
		}
		/* rs_eval counts the same rules: all are count rules */
		check_ctx = "fields: hits";
		CHECK_INT(rs_eval(s, sc, &msgs[mi].m, &srcs[mi], dstp[mi], hits, &v), 0);
		uint64_t sum = 0;
		for (uint32_t i = 0; i < nr; i++)
			sum += hits[i];
		CHECK_INT(sum, h);
		CHECK_INT(sum, nr / 2); /* exactly one of each pair */
		rs_scratch_free(sc);
		rs_set_free(s);
	}
}

/* ---- ranking, count, shadow, allow, hits ---- */

static void test_ranking(void)
{
	static const struct rs_cidr p192_24 = {4, 24, {192, 0, 2}};
	struct rs_cond c_mexists = tstr(RS_F_method, RS_OP_EXISTS, NULL, 0);
	struct rs_cond c_scanner = tstr(RS_F_ua, RS_OP_CONTAINS, "scanner", 0);
	struct rs_cond c_friendly = tstr(RS_F_ua, RS_OP_CONTAINS, "friendly", 0);
	struct rs_cond c_invite = tstr(RS_F_method, RS_OP_EQ, "INVITE", 0);
	struct rs_cond c_allow = tcidr(RS_F_src, &p192_24, 1);
	struct rs_cond c_none = thdr("X-Probe", RS_OP_EQ, "none", 0);
	struct rs_rule r[] = {
		trule(10, 100, RS_ACT_COUNT, &c_mexists, 1),
		trule(11, 100, RS_ACT_DROP, &c_scanner, 1),
		trule(12, 200, RS_ACT_REJECT, &c_friendly, 1),
		trule(13, 200, RS_ACT_COUNT, &c_invite, 1),
		trule(14, 50, RS_ACT_ALLOW, &c_allow, 1),
		trule(15, 300, RS_ACT_COUNT, &c_mexists, 1),
		trule(16, 150, RS_ACT_DROP, &c_none, 1),
		trule(17, 200, RS_ACT_BAN, &c_invite, 1),
		trule(18, -5, RS_ACT_DROP, &c_none, 1),
	};
	r[1].shadow = true;
	r[2].reason = "Go Away";
	r[2].code = 488;
	r[2].msg = "friendly scanner";
	r[5].shadow = true;
	r[7].ban_s = 3600;

	check_ctx = "ranking";
	struct rs_set *s = tset(r, NELEM(r));
	struct rs_scratch *sc = NULL;
	if (s == NULL)
		return;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	CHECK_INT(rs_set_n_rules(s), NELEM(r));
	/* rank: prio, then file order: 18 14 10 11 16 12 13 17 15 */
	static const uint32_t order[] = {18, 14, 10, 11, 16, 12, 13, 17, 15};
	for (uint32_t i = 0; i < NELEM(order); i++) {
		struct rs_rule_info in;
		rs_set_rule(s, i, &in);
		CHECK_INT(in.id, order[i]);
		CHECK_INT(rs_set_find(s, order[i]), i);
	}
	CHECK_INT(rs_set_find(s, 99), -1);
	struct rs_rule_info in;
	rs_set_rule(s, 5, &in);
	CHECK_INT(in.code, 488);
	CHECK(in.reason && strcmp(in.reason, "Go Away") == 0);
	CHECK(in.msg && strcmp(in.msg, "friendly scanner") == 0);
	rs_set_rule(s, 3, &in);
	CHECK(in.shadow);
	CHECK(in.reason == NULL && in.msg == NULL);

	/* From 10.0.0.1: 12 decides; 10 (count, ahead) and the shadow rules 11
	 * and 15 are counted; 13 (count, behind) and 17 (ban, behind) not. */
	uint64_t hits[NELEM(r)] = {0};
	struct rs_verdict v;
	CHECK_INT(rs_eval(s, sc, &msgs[MI].m, &srcs[MI], &dsts[MI], hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_REJECT);
	CHECK_INT(v.rule, 5);
	CHECK_INT(v.code, 488);
	CHECK_STR(v.reason, "Go Away");
	static const uint64_t want1[] = {0, 0, 1, 1, 0, 1, 0, 0, 1};
	for (uint32_t i = 0; i < NELEM(want1); i++)
		CHECK_INT(hits[i], want1[i]);

	/* From 192.0.2.5: allow (rank 1) stops the walk; count 10 is behind
	 * it and not counted; shadow rules still are. */
	struct rs_addr a = taddr4(192, 0, 2, 5, 5060);
	memset(hits, 0, sizeof(hits));
	CHECK_INT(rs_eval(s, sc, &msgs[MI].m, &a, NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_ALLOW);
	CHECK_INT(v.rule, 1);
	static const uint64_t want2[] = {0, 1, 0, 1, 0, 0, 0, 0, 1};
	for (uint32_t i = 0; i < NELEM(want2); i++)
		CHECK_INT(hits[i], want2[i]);

	/* REGISTER: only 10 and 15 hold: no decision, both counted. */
	memset(hits, 0, sizeof(hits));
	CHECK_INT(rs_eval(s, sc, &msgs[MR].m, &srcs[MI], NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_NONE);
	CHECK_INT(v.rule, RS_RULE_NONE);
	static const uint64_t want3[] = {0, 0, 1, 0, 0, 0, 0, 0, 1};
	for (uint32_t i = 0; i < NELEM(want3); i++)
		CHECK_INT(hits[i], want3[i]);
	/* hits NULL is allowed */
	CHECK_INT(rs_eval(s, sc, &msgs[MR].m, &srcs[MR], NULL, NULL, &v), 0);

	/* Every holding rule, in rank order */
	uint32_t ranks[16];
	CHECK_INT(rs_eval_match(s, sc, &msgs[MI].m, &srcs[MI], NULL, ranks, 16, &v), 6);
	static const uint32_t wantm[] = {2, 3, 5, 6, 7, 8};
	for (uint32_t i = 0; i < NELEM(wantm); i++)
		CHECK_INT(ranks[i], wantm[i]);
	CHECK_INT(v.rule, 5);
	CHECK_INT(rs_eval_match(s, sc, &msgs[MI].m, &srcs[MI], NULL, ranks, 2, &v), 6);

	/* Without the reject, the ban behind it decides. */
	rs_scratch_free(sc);
	rs_set_free(s);
	r[2].action = RS_ACT_COUNT;
	sc = NULL;
	s = tset(r, NELEM(r));
	if (s == NULL)
		return;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	memset(hits, 0, sizeof(hits));
	CHECK_INT(rs_eval(s, sc, &msgs[MI].m, &srcs[MI], NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_BAN);
	CHECK_INT(v.ban_s, 3600);
	CHECK_INT(v.rule, 7);
	CHECK(v.reason.p == NULL);
	static const uint64_t want4[] = {0, 0, 1, 1, 0, 1, 1, 1, 1};
	for (uint32_t i = 0; i < NELEM(want4); i++)
		CHECK_INT(hits[i], want4[i]);
	rs_scratch_free(sc);
	rs_set_free(s);
}

/* Rules with no positive scanned atom are candidates on every message:
 * negations only, numbers only, exists only, and a negated trigger. */
static void test_untriggered(void)
{
	struct rs_cond c1[] = {tnot(tstr(RS_F_ua, RS_OP_EXISTS, NULL, 0)),
			       tnot(tstr(RS_F_method, RS_OP_EQ, "INVITE", 0))};
	struct rs_cond c2[] = {tnum(RS_F_expires, RS_OP_LT, 10), tstr(RS_F_contact, RS_OP_EXISTS, NULL, 0)};
	struct rs_cond c3[] = {tstr(RS_F_method, RS_OP_EQ, "REGISTER", 0),
			       tnot(tstr(RS_F_contact, RS_OP_EQ, "*", 0))};
	struct rs_rule r[] = {
		trule(1, 10, RS_ACT_COUNT, c1, 2),
		trule(2, 20, RS_ACT_DROP, c2, 2),
		trule(3, 5, RS_ACT_DROP, c3, 2),
	};

	check_ctx = "untriggered";
	struct rs_set *s = tset(r, NELEM(r));
	struct rs_scratch *sc = NULL;
	if (s == NULL)
		return;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	uint64_t hits[3] = {0};
	struct rs_verdict v;
	CHECK_INT(rs_eval(s, sc, &msgs[MR].m, &srcs[MR], NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_DROP);
	CHECK_INT(v.rule, 2); /* rule 2; rule 3 fails on Contact: * */
	CHECK_INT(hits[0], 0);
	CHECK_INT(hits[1], 1);
	CHECK_INT(hits[2], 1);
	CHECK_INT(rs_eval(s, sc, &msgs[MI].m, &srcs[MI], NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_NONE);
	rs_scratch_free(sc);
	rs_set_free(s);
}

/* ---- what the compiler refuses ---- */

struct erow {
	const char *name;
	struct rs_rule r;
	const char *want; /* in the first diagnostic */
};

/* Prefixes of atoms that trigger no rule are looked up only when a
 * candidate reads them (cidr_lazy): the same prefix in both tables, IPv4
 * and IPv6, dst, an absent dst, a prefix shorter than a byte. */
static void test_cidr_lazy(void)
{
	static const struct rs_cidr p10_192[] = {{4, 8, {10}}, {4, 24, {192, 0, 2}}};
	static const struct rs_cidr p192_24 = {4, 24, {192, 0, 2}};
	static const struct rs_cidr p2002 = {6, 16, {0x20, 0x02}};
	struct rs_cond inv = tstr(RS_F_method, RS_OP_EQ, "INVITE", 0);
	struct rs_cond reg = tstr(RS_F_method, RS_OP_EQ, "REGISTER", 0);
	struct rs_cond opt = tstr(RS_F_method, RS_OP_EQ, "OPTIONS", 0);
	struct rs_cond c[9][2] = {
		{inv, tnot(tcidr(RS_F_src, &p10, 1))},
		{inv, tcidr(RS_F_src, &p10, 1)},
		{tcidr(RS_F_src, p10_192, 2)},
		{tnot(tcidr(RS_F_src, &p192_24, 1))},
		{reg, tnot(tcidr(RS_F_dst, &p10, 1))},
		{opt, tnot(tcidr(RS_F_src, &p6, 1))},
		{inv, tnot(tcidr(RS_F_src, &p8_7, 1))},
		{reg, tnot(tcidr(RS_F_dst, &p192_24, 1))},
		{opt, tnot(tcidr(RS_F_src, &p2002, 1))},
	};
	static const unsigned n_cond[9] = {2, 2, 1, 1, 2, 2, 2, 2, 2};
	static const struct {
		int msg;
		unsigned n, want[4];
	} rows[] = {
		{MI, 4, {1, 2, 3, 6}}, {MR, 2, {2, 4}}, {MO, 2, {3, 8}}, {MI, 4, {1, 2, 3, 6}},
	};
	struct rs_rule r[9];

	check_ctx = "cidr lazy";
	for (unsigned k = 0; k < NELEM(r); k++)
		r[k] = trule(k + 1, 0, RS_ACT_COUNT, c[k], n_cond[k]);
	struct rs_set *s = tset(r, NELEM(r));
	struct rs_scratch *sc = NULL;
	if (s == NULL)
		return;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	for (unsigned i = 0; i < NELEM(rows); i++) {
		uint32_t ranks[9];
		struct rs_verdict v;
		int n = rs_eval_match(s, sc, &msgs[rows[i].msg].m, &srcs[rows[i].msg],
				      dstp[rows[i].msg], ranks, 9, &v);
		CHECK_INT(n, (int)rows[i].n);
		for (unsigned j = 0; j < rows[i].n && j < (unsigned)n; j++)
			CHECK_INT(ranks[j], rows[i].want[j]);
	}
	rs_scratch_free(sc);
	rs_set_free(s);
}

static void test_compile_errors(void)
{
	static const struct rs_cidr bad_plen = {4, 33, {10}};
	struct rs_cond ok = tstr(RS_F_method, RS_OP_EQ, "INVITE", 0);
	struct rs_cond bad_re = tstr(RS_F_ua, RS_OP_REGEX, "abc(", 0);
	struct rs_cond empty_re = tstr(RS_F_ua, RS_OP_REGEX, "a*", 0);
	struct rs_cond back_re = tstr(RS_F_ua, RS_OP_REGEX, "(a)\\1", 0);
	struct rs_cond nul_re = {.field = RS_F_ua, .op = RS_OP_REGEX, .pat = "a\0b", .pat_len = 3};
	struct rs_cond lt_method = tnum(RS_F_method, RS_OP_LT, 3);
	struct rs_cond re_num = tstr(RS_F_cseq, RS_OP_REGEX, "1", 0);
	struct rs_cond cidr_str = tcidr(RS_F_ua, &bad_plen, 1);
	struct rs_cond plen33 = tcidr(RS_F_src, &bad_plen, 1);
	struct rs_cond no_cidr = tcidr(RS_F_src, NULL, 0);
	struct rs_cond hdr_sp = thdr("X Foo", RS_OP_EXISTS, NULL, 0);
	struct rs_cond hdr_empty = thdr("", RS_OP_EXISTS, NULL, 0);
	struct rs_cond lit_dotall = tstr(RS_F_ua, RS_OP_EQ, "x", HS_FLAG_DOTALL);
	struct rs_cond re_prefilter = tstr(RS_F_ua, RS_OP_REGEX, "x", HS_FLAG_PREFILTER);
	struct rs_cond bad_field = {.field = RS_F__COUNT, .op = RS_OP_EXISTS};
	struct rs_cond bad_op = {.field = RS_F_ua, .op = 0};
	struct rs_cond no_pat = {.field = RS_F_ua, .op = RS_OP_EQ, .pat = NULL, .pat_len = 4};
	struct rs_cond len_num = tlen(RS_F_cseq, RS_OP_GT, 3);
	struct rs_cond len_addr = tlen(RS_F_src, RS_OP_GT, 3);
	struct rs_cond len_re = tlen(RS_F_ua, RS_OP_REGEX, 3);
	struct rs_cond len_exists = tlen(RS_F_ua, RS_OP_EXISTS, 0);
	struct rs_cond len_cidr = tlen(RS_F_ua, RS_OP_CIDR, 0);
	bad_re.pat_loc = (struct rs_loc){"t.rules", 7, 12};
	struct erow rows[] = {
		{"bad regex", trule(5, 0, RS_ACT_DROP, &bad_re, 1), "t.rules:7:12: rule 5: regex /abc(/ refused by Hyperscan"},
		{"regex matching empty", trule(6, 0, RS_ACT_DROP, &empty_re, 1), "empty"},
		{"backreference", trule(6, 0, RS_ACT_DROP, &back_re, 1), "refused by Hyperscan"},
		{"NUL in regex", trule(6, 0, RS_ACT_DROP, &nul_re, 1), "NUL"},
		{"< on a string", trule(6, 0, RS_ACT_DROP, &lt_method, 1), "operator \"<\" does not apply to field \"method\""},
		{"regex on a number", trule(6, 0, RS_ACT_DROP, &re_num, 1), "does not apply to field \"cseq\""},
		{"cidr on a string", trule(6, 0, RS_ACT_DROP, &cidr_str, 1), "does not apply"},
		{"prefix length 33", trule(6, 0, RS_ACT_DROP, &plen33, 1), "length 33"},
		{"no prefixes", trule(6, 0, RS_ACT_DROP, &no_cidr, 1), "empty prefix list"},
		{"header name with space", trule(6, 0, RS_ACT_DROP, &hdr_sp, 1), "bad header name \"X Foo\""},
		{"empty header name", trule(6, 0, RS_ACT_DROP, &hdr_empty, 1), "bad header name"},
		{"literal flags", trule(6, 0, RS_ACT_DROP, &lit_dotall, 1), "only caseless"},
		{"prefilter", trule(6, 0, RS_ACT_DROP, &re_prefilter, 1), "not supported"},
		{"unknown field", trule(6, 0, RS_ACT_DROP, &bad_field, 1), "unknown field"},
		{"no operator", trule(6, 0, RS_ACT_DROP, &bad_op, 1), "does not apply"},
		{"pattern NULL", trule(6, 0, RS_ACT_DROP, &no_pat, 1), "pattern missing"},
		{"len of a number", trule(6, 0, RS_ACT_DROP, &len_num, 1), "rule 6: len() of field \"cseq\": only a text field has a length"},
		{"len of an address", trule(6, 0, RS_ACT_DROP, &len_addr, 1), "len() of field \"src\""},
		{"len ~", trule(6, 0, RS_ACT_DROP, &len_re, 1), "operator \"~\" does not apply to len(ua)"},
		{"len exists", trule(6, 0, RS_ACT_DROP, &len_exists, 1), "operator \"exists\" does not apply to len(ua)"},
		{"len in", trule(6, 0, RS_ACT_DROP, &len_cidr, 1), "operator \"in\" does not apply to len(ua)"},
		{"id 0", trule(0, 0, RS_ACT_DROP, &ok, 1), "rule id 0"},
		{"action none", trule(6, 0, RS_ACT_NONE, &ok, 1), "not an action"},
		{"action 99", trule(6, 0, (enum rs_action)99, &ok, 1), "not an action"},
		{"no condition", trule(6, 0, RS_ACT_DROP, &ok, 0), "0 conditions"},
		{"conditions NULL", trule(6, 0, RS_ACT_DROP, NULL, 1), "conditions"},
	};
	struct rs_diag d;
	char b[600];
	void *blob;
	size_t len;

	for (unsigned i = 0; i < NELEM(rows); i++) {
		check_ctx = rows[i].name;
		int rc = tcompile(&rows[i].r, 1, NULL, &blob, &len, &d);
		CHECK_INT(rc, -EINVAL);
		CHECK(blob == NULL);
		CHECK(d.n >= 1);
		if (d.n >= 1 && strstr(rs_diag_str(&d, 0, b, sizeof(b)), rows[i].want) == NULL)
			fprintf(stderr, "  [%s] got \"%s\"\n", rows[i].name, b);
		CHECK(d.n >= 1 && strstr(b, rows[i].want) != NULL);
	}

	/* action fields out of range */
	struct rs_rule r = trule(6, 0, RS_ACT_REJECT, &ok, 1);
	check_ctx = "reject 700";
	r.code = 700;
	CHECK_INT(tcompile(&r, 1, NULL, &blob, &len, &d), -EINVAL);
	CHECK(strstr(rs_diag_str(&d, 0, b, sizeof(b)), "reject code 700 out of range [400, 699]") != NULL);
	check_ctx = "reason with CRLF";
	r.code = 403;
	r.reason = "Bad\r\nX-Injected: 1";
	CHECK_INT(tcompile(&r, 1, NULL, &blob, &len, &d), -EINVAL);
	check_ctx = "ban 0 s";
	r = trule(6, 0, RS_ACT_BAN, &ok, 1);
	r.ban_s = 0;
	CHECK_INT(tcompile(&r, 1, NULL, &blob, &len, &d), -EINVAL);
	r.ban_s = 86400 * 30 + 1;
	CHECK_INT(tcompile(&r, 1, NULL, &blob, &len, &d), -EINVAL);

	/* Several errors: each reported, in order, naming its rule. */
	check_ctx = "three bad regexes";
	struct rs_cond b1 = tstr(RS_F_ua, RS_OP_REGEX, "(x", 0), b2 = tstr(RS_F_ua, RS_OP_REGEX, "[z", 0);
	struct rs_cond b3 = tstr(RS_F_ruri, RS_OP_REGEX, "y{2,1}", 0);
	b1.pat_loc = (struct rs_loc){"a.rules", 1, 5};
	b2.pat_loc = (struct rs_loc){"a.rules", 3, 9};
	b3.pat_loc = (struct rs_loc){"b.rules", 2, 4};
	struct rs_rule many[] = {trule(1, 0, RS_ACT_DROP, &b1, 1), trule(2, 0, RS_ACT_DROP, &ok, 1),
				 trule(3, 0, RS_ACT_DROP, &b2, 1), trule(4, 0, RS_ACT_DROP, &b3, 1)};
	CHECK_INT(tcompile(many, 4, NULL, &blob, &len, &d), -EINVAL);
	CHECK_INT(d.n, 3);
	CHECK(strncmp(rs_diag_str(&d, 0, b, sizeof(b)), "a.rules:1:5: rule 1:", 20) == 0);
	CHECK(strncmp(rs_diag_str(&d, 1, b, sizeof(b)), "a.rules:3:9: rule 3:", 20) == 0);
	CHECK(strncmp(rs_diag_str(&d, 2, b, sizeof(b)), "b.rules:2:4: rule 4:", 20) == 0);

	check_ctx = "duplicate id";
	many[0].loc = (struct rs_loc){"a.rules", 1, 1};
	many[1].loc = (struct rs_loc){"a.rules", 2, 1};
	many[0].cond = &ok;
	many[1].id = 1;
	CHECK_INT(tcompile(many, 2, NULL, &blob, &len, &d), -EINVAL);
	CHECK(strstr(rs_diag_str(&d, 0, b, sizeof(b)), "a.rules:2:1: duplicate rule id 1 (first at a.rules:1)") != NULL);

	/* One bad regex in 100 rules: each rule is named (the pattern is
	 * compiled once). */
	check_ctx = "more than RS_DIAG_MAX errors";
	static struct rs_rule lots[100];
	for (unsigned i = 0; i < NELEM(lots); i++)
		lots[i] = trule(i + 1, 0, RS_ACT_DROP, &bad_re, 1);
	CHECK_INT(tcompile(lots, NELEM(lots), NULL, &blob, &len, &d), -EINVAL);
	CHECK_INT(d.n, RS_DIAG_MAX);
	CHECK_INT(d.n_more, 100 - RS_DIAG_MAX);
	CHECK(strstr(rs_diag_str(&d, 63, b, sizeof(b)), "rule 64: regex /abc(/") != NULL);

	check_ctx = "bad target";
	struct rs_platform t = {.cpu_features = 1ull << 40};
	CHECK_INT(tcompile(many + 1, 1, &t, &blob, &len, &d), -EINVAL);
	CHECK(strstr(rs_diag_str(&d, 0, b, sizeof(b)), "not a platform") != NULL);
	t = (struct rs_platform){.tune = 99};
	CHECK_INT(tcompile(many + 1, 1, &t, &blob, &len, &d), -EINVAL);

	check_ctx = "NULL arguments";
	CHECK_INT(rs_compile(NULL, NULL, &blob, &len, &d, NULL), -EINVAL);
	struct rs_ast bad = {.rules = NULL, .n_rules = 3};
	CHECK_INT(rs_compile(&bad, NULL, &blob, &len, &d, NULL), -EINVAL);
}

/* ---- what is not scanned ---- */

/* A value shorter than every pattern of its field's database is not
 * scanned (the blob keeps the width), nor is an absent field; an ==
 * literal and len() never are; a 300-byte literal is found by its hash. */
static void test_widths(void)
{
	static char big[301], other[301];
	struct rs_cond c[] = {
		tstr(RS_F_ua, RS_OP_REGEX, "scanner-[0-9]{4}", 0), /* 12 bytes at least */
		tstr(RS_F_ua, RS_OP_CONTAINS, "friendly-sc", 0),   /* 11 */
		tstr(RS_F_call_id, RS_OP_EQ, "opt-1@host", 0),
		tlen(RS_F_call_id, RS_OP_GT, 5),
		{0}, {0}, /* X-Big == 300 bytes, and == the same but one */
	};
	struct rs_rule r[NELEM(c)];
	struct rs_scan_rec rec[8];
	struct tmsg t;

	memset(big, 'b', 300);
	memset(other, 'b', 300);
	other[150] = 'c';
	c[4] = thdr("X-Big", RS_OP_EQ, big, 0);
	c[5] = thdr("X-Big", RS_OP_EQ, other, 0);
	for (unsigned i = 0; i < NELEM(c); i++)
		r[i] = trule(i + 1, 1000, RS_ACT_COUNT, &c[i], 1);
	check_ctx = "widths";
	struct rs_set *s = tset(r, NELEM(r));
	struct rs_scratch *sc = NULL;
	if (s == NULL)
		return;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	int ua = s->fslot[RS_F_ua], cid = s->fslot[RS_F_call_id];
	CHECK(ua >= 0 && cid >= 0);
	CHECK_INT(s->slots[ua].min_width, 11);
	CHECK(s->slots[cid].db == NULL); /* == and len() only: nothing to scan */
	CHECK_INT(s->slots[cid].min_width, 0);
	/* MO: User-Agent A and B, 1 byte each: no scan at all; its Call-ID
	 * looked up among the literals, and found */
	CHECK_INT(rs_eval_scans(s, sc, &msgs[MO].m, rec, NELEM(rec)), 1);
	CHECK(rec[0].db == NULL && rec[0].lits != NULL && rec[0].len == 10);
	CHECK_INT(rs_lit_lookup(rec[0].lits, rec[0].p, rec[0].len), 1);
	/* MI: its Call-ID looked up (not found), friendly-scanner 1.0 (20
	 * bytes) scanned */
	CHECK_INT(rs_eval_scans(s, sc, &msgs[MI].m, rec, NELEM(rec)), 2);
	CHECK(rec[0].db == NULL && rec[0].lits != NULL);
	CHECK_INT(rs_lit_lookup(rec[0].lits, rec[0].p, rec[0].len), 0);
	CHECK(rec[1].db != NULL && rec[1].lits == NULL && rec[1].len == 20);
	uint32_t ranks[8];
	struct rs_verdict v;
	CHECK_INT(rs_eval_match(s, sc, &msgs[MI].m, &srcs[MI], NULL, ranks, 8, &v), 2); /* 2, 4 */
	CHECK_INT(rs_eval_match(s, sc, &msgs[MO].m, &srcs[MO], NULL, ranks, 8, &v), 2); /* 3, 4 */
	CHECK_INT(ranks[0], 2);
	CHECK_INT(ranks[1], 3);

	char head[600];
	snprintf(head, sizeof(head), "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
		 "From: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 OPTIONS\nX-Big: %s\n", big);
	CHECK(tmsg_make(&t, head, NULL) > 0);
	CHECK_INT(rs_eval_match(s, sc, &t.m, &srcs[MI], NULL, ranks, 8, &v), 1);
	CHECK_INT(ranks[0], 4);
	rs_scratch_free(sc);
	rs_set_free(s);
}

/* from.tag and to.tag: the tag among the header's parameters, whatever the
 * case and the blanks around ; and =; not a ";tag=" inside the URI's <>
 * or the quoted display name; ";tag=" with nothing after it is an empty
 * value. */
static void test_tags(void)
{
	static const char *const want[] = {"Y1", "inuri", "disp"};
	struct rs_cond c[6];
	struct rs_rule r[NELEM(c)];
	struct tmsg t;

	for (unsigned i = 0; i < NELEM(want); i++)
		c[i] = tstr(RS_F_from_tag, RS_OP_EQ, want[i], 0);
	c[3] = tstr(RS_F_to_tag, RS_OP_EQ, "", 0);
	c[4] = tstr(RS_F_to_tag, RS_OP_EXISTS, NULL, 0);
	c[5] = tlen(RS_F_from_tag, RS_OP_NUM_EQ, 2);
	for (unsigned i = 0; i < NELEM(c); i++)
		r[i] = trule(i + 1, 1000, RS_ACT_COUNT, &c[i], 1);
	check_ctx = "tags";
	CHECK(tmsg_make(&t, "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
			    "From: \"x;tag=disp\" <sip:a@b;tag=inuri>; TAG = Y1 ;x=2\n"
			    "To: <sip:b@c>;tag=\nCall-ID: t\nCSeq: 1 OPTIONS\n", NULL) > 0);
	struct rs_set *s = tset(r, NELEM(r));
	struct rs_scratch *sc = NULL;
	if (s == NULL)
		return;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	uint32_t ranks[8];
	struct rs_verdict v;
	CHECK_INT(rs_eval_match(s, sc, &t.m, &srcs[MI], NULL, ranks, 8, &v), 4);
	CHECK_INT(ranks[0], 0); /* Y1 */
	CHECK_INT(ranks[1], 3); /* to.tag "" */
	CHECK_INT(ranks[2], 4);
	CHECK_INT(ranks[3], 5); /* len 2 */
	rs_scratch_free(sc);
	rs_set_free(s);
}

/* The forms of a name-addr and of its URI's scheme that rs_eval takes
 * apart by word compares and 16-byte searches instead of byte loops: the
 * scheme in any case, sips, schemes that only start like sip; quoted
 * display names with escaped quotes and backslashes (the closing quote is
 * the one after an even run of backslashes), unterminated ones. Each with
 * To in the middle of the message, a '@' in the Call-ID after it (inside
 * the 16 bytes searched past a short URI), and with To the last header
 * (searched byte by byte at the message's end). NULL: absent. */
static void test_nameaddr_forms(void)
{
	static const struct {
		const char *to, *uri, *user, *disp;
	} rows[] = {
		{"<sip:alice@h>", "sip:alice@h", "alice", NULL},
		{"<SIP:alice@h>", "SIP:alice@h", "alice", NULL},
		{"<sIpS:alice@h>", "sIpS:alice@h", "alice", NULL},
		{"sips:al:pw@h;x=1", "sips:al:pw@h", "al", NULL},
		{"<sip:@h>", "sip:@h", NULL, NULL},
		{"<sip:h>", "sip:h", NULL, NULL},
		{"<sipx:alice@h>", "sipx:alice@h", NULL, NULL},
		{"<sipsx:alice@h>", "sipsx:alice@h", NULL, NULL},
		{"<sips alice@h>", NULL, NULL, NULL},
		{"<si:alice@h>", "si:alice@h", NULL, NULL},
		{"<sip>", NULL, NULL, NULL},
		{"<tel:+4930123>", "tel:+4930123", "+4930123", NULL},
		{"\"A \\\"B\\\" C\" <sip:u1@h>", "sip:u1@h", "u1", "A \\\"B\\\" C"},
		{"\"A\\\\\" <sip:u2@h>", "sip:u2@h", "u2", "A\\\\"},
		{"\"A\\\\\\\"\" <sip:u3@h>", "sip:u3@h", "u3", "A\\\\\\\""},
		{"\"\\\"\" <sip:u4@h>", "sip:u4@h", "u4", "\\\""},
		{"\"A\\\" <sip:u5@h>", NULL, NULL, NULL},
		{"\"A\\\\\\\" <sip:u6@h>", NULL, NULL, NULL},
		{"\"A <sip:u7@h>", NULL, NULL, NULL},
		{"\"\" <sip:u8@h>", "sip:u8@h", "u8", ""},
		{"Bob  <sip:u9@h>", "sip:u9@h", "u9", "Bob"},
		/* the user alone is found apart (nameaddr_user): '>' or '@' first */
		{"<sip:h>;tag=a@b", "sip:h", NULL, NULL},
		{"<sip:al>@h>", "sip:al", NULL, NULL},
		{"<sip:al@h", NULL, NULL, NULL},
		{"<sip:al@h;tag=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL, NULL},
		{"\"A\" <sip:al@h", NULL, NULL, NULL},
		{"\"A\"<sip:a:b@h>", "sip:a:b@h", "a", "A"},
		{"<sip:al@h;x=\">\">", "sip:al@h;x=\"", "al", NULL},
		{"<sip:al@>", "sip:al@", "al", NULL},
		{"<sips:@h>", "sips:@h", NULL, NULL},
		{"<sip:a@b@c>", "sip:a@b@c", "a", NULL},
		{"<sip:+4930901820@carrier.example.net;user=phone>;tag=SDf0k3a01-9b2c7e41",
		 "sip:+4930901820@carrier.example.net;user=phone", "+4930901820", NULL},
		{"<sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh>",
		 "sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL},
	};
	char head[400];
	struct tmsg t;

	/* To first, then last (its value's end is the message's); then both
	 * again with a set that names to.user alone */
	for (unsigned i = 0; i < 4 * NELEM(rows); i++) {
		unsigned ri = i % NELEM(rows);
		bool user_only = i >= 2 * NELEM(rows);
		const char *want[3] = {rows[ri].uri, rows[ri].user, rows[ri].disp};
		static const enum rs_field f[3] = {RS_F_to, RS_F_to_user, RS_F_to_display};
		struct rs_cond c[3];
		struct rs_rule r[3];
		for (unsigned k = 0; k < 3; k++) {
			c[k] = want[k] ? tstr(f[k], RS_OP_EQ, want[k], 0) : tstr(f[k], RS_OP_EXISTS, NULL, 0);
			r[k] = trule(k + 1, 0, RS_ACT_COUNT, &c[k], 1);
		}
		check_ctx = rows[ri].to;
		if (i % (2 * NELEM(rows)) < NELEM(rows))
			snprintf(head, sizeof(head), "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
				 "From: <sip:a@b>;tag=1\nTo: %s\nCall-ID: n%u@h\nCSeq: 1 OPTIONS\n", rows[ri].to, i);
		else
			snprintf(head, sizeof(head), "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
				 "From: <sip:a@b>;tag=1\nCall-ID: n%u@h\nCSeq: 1 OPTIONS\nContent-Length: 0\n"
				 "To: %s\n", i, rows[ri].to);
		CHECK(tmsg_make(&t, head, NULL) > 0);
		struct rs_set *s = user_only ? tset(&r[1], 1) : tset(r, NELEM(r));
		struct rs_scratch *sc = NULL;
		if (s == NULL)
			continue;
		CHECK_INT(rs_scratch_alloc(s, &sc), 0);
		uint32_t ranks[3];
		struct rs_verdict v;
		int n = rs_eval_match(s, sc, &t.m, &srcs[MI], NULL, ranks, 3, &v), j = 0;
		for (unsigned k = user_only; k < (user_only ? 2u : 3u); k++)
			if (want[k] != NULL) /* an == holds; an exists of an absent one does not */
				CHECK(j < n && ranks[j++] == k - user_only);
		CHECK_INT(n, j);
		rs_scratch_free(sc);
		rs_set_free(s);
	}
}

/* ---- scratch ---- */

static void test_scratch(void)
{
	struct rs_cond small = tnum(RS_F_max_forwards, RS_OP_EXISTS, 0);
	struct rs_cond big[6] = {
		tstr(RS_F_ua, RS_OP_REGEX, "friendly.{0,200}scanner", 0),
		tstr(RS_F_ua, RS_OP_CONTAINS, "1.0", 0),
		tstr(RS_F_body, RS_OP_REGEX, "m=audio [0-9]+", 0),
		thdr("X-Probe", RS_OP_EQ, "two", 0),
		tnum(RS_F_cseq, RS_OP_GT, 5),
		tstr(RS_F_call_id, RS_OP_PREFIX, "a84", 0),
	};
	struct rs_rule rs_small = trule(1, 0, RS_ACT_DROP, &small, 1);
	struct rs_rule rs_big = trule(2, 0, RS_ACT_DROP, big, 6);
	struct rs_verdict v;
	uint64_t hits[1] = {0};

	check_ctx = "scratch";
	struct rs_set *a = tset(&rs_small, 1), *b = tset(&rs_big, 1);
	struct rs_scratch *sc = NULL;
	if (a == NULL || b == NULL)
		goto out;
	CHECK_INT(rs_scratch_alloc(a, &sc), 0);
	/* too small for b: refused before anything is touched */
	CHECK_INT(rs_eval(b, sc, &msgs[MI].m, &srcs[MI], NULL, hits, &v), -EINVAL);
	CHECK_INT(v.action, RS_ACT_NONE);
	CHECK_INT(hits[0], 0);
	/* grown in place, then good for both */
	struct rs_scratch *before = sc;
	CHECK_INT(rs_scratch_alloc(b, &sc), 0);
	CHECK(sc == before);
	CHECK_INT(rs_eval(b, sc, &msgs[MI].m, &srcs[MI], NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_DROP);
	CHECK_INT(hits[0], 1);
	CHECK_INT(rs_eval(a, sc, &msgs[MI].m, &srcs[MI], NULL, NULL, &v), 0);
	CHECK_INT(v.action, RS_ACT_DROP);
	CHECK_INT(rs_eval(a, sc, &msgs[MR].m, &srcs[MR], NULL, NULL, &v), 0);
	CHECK_INT(v.action, RS_ACT_NONE);
	/* The epoch wraps once in 2^32 messages: what a message wrote at
	 * epoch 1 (MI's Max-Forwards, its atom) must not pass for the values
	 * of the message that comes after the wrap, at epoch 1 again (MR has
	 * no Max-Forwards). */
	check_ctx = "scratch epoch wrap";
	sc->epoch = 0;
	CHECK_INT(rs_eval(a, sc, &msgs[MI].m, &srcs[MI], NULL, NULL, &v), 0);
	CHECK_INT(v.action, RS_ACT_DROP);
	CHECK_INT(sc->epoch, 1);
	sc->epoch = UINT32_MAX;
	CHECK_INT(rs_eval(a, sc, &msgs[MR].m, &srcs[MR], NULL, NULL, &v), 0);
	CHECK_INT(sc->epoch, 1);
	CHECK_INT(v.action, RS_ACT_NONE);
	CHECK_INT(rs_eval(a, sc, &msgs[MI].m, &srcs[MI], NULL, NULL, &v), 0);
	CHECK_INT(v.action, RS_ACT_DROP);
	rs_scratch_free(sc);

	/* Fail open: a scratch with no Hyperscan part (made for a set with no
	 * database: headers tested for existence only) but big enough
	 * otherwise; Hyperscan refuses the scan. */
	check_ctx = "fail open";
	static const char *const names[8] = {"X-A", "X-B", "X-C", "X-D", "X-E", "X-F", "X-G", "X-H"};
	struct rs_cond nums[8];
	struct rs_rule rn[8];
	for (unsigned i = 0; i < 8; i++) {
		nums[i] = thdr(names[i], RS_OP_EXISTS, NULL, 0);
		rn[i] = trule(i + 1, 0, RS_ACT_DROP, &nums[i], 1);
	}
	struct rs_set *c = tset(rn, 8);
	sc = NULL;
	if (c != NULL) {
		CHECK_INT(rs_scratch_alloc(c, &sc), 0);
		hits[0] = 0;
		CHECK_INT(rs_eval(b, sc, &msgs[MI].m, &srcs[MI], NULL, hits, &v), -EIO);
		CHECK_INT(v.action, RS_ACT_NONE);
		CHECK_INT(hits[0], 0);
		rs_scratch_free(sc);
		rs_set_free(c);
	}
	check_ctx = "scratch NULL";
	CHECK_INT(rs_eval(a, NULL, &msgs[MI].m, NULL, NULL, NULL, &v), -EINVAL);
	CHECK_INT(rs_scratch_alloc(NULL, &sc), -EINVAL);
	rs_scratch_free(NULL);
	rs_set_free(NULL);
out:
	rs_set_free(a);
	rs_set_free(b);
}

/* ---- sizes ---- */

static void test_empty(void)
{
	check_ctx = "empty ruleset";
	struct rs_set *s = tset(NULL, 0);
	struct rs_scratch *sc = NULL;
	struct rs_verdict v;

	if (s == NULL)
		return;
	CHECK_INT(rs_set_n_rules(s), 0);
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	CHECK_INT(rs_eval(s, sc, &msgs[MI].m, &srcs[MI], NULL, NULL, &v), 0);
	CHECK_INT(v.action, RS_ACT_NONE);
	CHECK_INT(rs_set_find(s, 1), -1);
	rs_scratch_free(sc);
	rs_set_free(s);
}

/* 10 000 rules of four shapes; the one that should decide does. */
static void test_10k(void)
{
	enum { N = 10000 };
	static struct rs_rule r[N];
	static struct rs_cond c[N][2];
	static char pats[N][40];
	static struct rs_cidr p[N];
	struct rs_compile_stats st;
	struct rs_diag d;
	void *blob = NULL;
	size_t len = 0;

	for (unsigned i = 0; i < N; i++) {
		unsigned n = 1;
		switch (i % 4) {
		case 0:
			snprintf(pats[i], sizeof(pats[i]), "scanner-%u\\b", i);
			c[i][0] = tstr(RS_F_ua, RS_OP_REGEX, pats[i], HS_FLAG_CASELESS);
			break;
		case 1:
			snprintf(pats[i], sizeof(pats[i]), "+%u", 100000 + i);
			c[i][0] = tstr(RS_F_ruri_user, RS_OP_PREFIX, pats[i], 0);
			break;
		case 2:
			p[i] = (struct rs_cidr){4, 24, {10, (uint8_t)(i >> 8), (uint8_t)i}};
			c[i][0] = tcidr(RS_F_src, &p[i], 1);
			break;
		default:
			snprintf(pats[i], sizeof(pats[i]), "tag%u", i);
			c[i][0] = thdr("X-Tag", RS_OP_EQ, pats[i], 0);
			c[i][1] = tnum(RS_F_max_forwards, RS_OP_LT, 10);
			n = 2;
		}
		r[i] = trule(i + 1, 1000, RS_ACT_DROP, c[i], n);
	}
	check_ctx = "10k compile";
	struct rs_ast ast = {.rules = r, .n_rules = N};
	int rc = rs_compile(&ast, NULL, &blob, &len, &d, &st);
	CHECK_INT(rc, 0);
	if (rc != 0)
		return;
	CHECK_INT(st.n_rules, N);
	CHECK_INT(st.n_conds, N + N / 4);
	CHECK_INT(st.n_dbs, 2); /* X-Tag's == literals are found by hash, not scanned */
	CHECK_INT(st.n_patterns, N / 4 * 2);
	CHECK(st.db_bytes > 0 && st.scratch_bytes > 0 && st.blob_bytes == len);
	printf("10k rules: compile %.2f s, blob %zu B, dbs %llu B, scratch %llu B\n",
	       st.compile_ns / 1e9, len, (unsigned long long)st.db_bytes,
	       (unsigned long long)st.scratch_bytes);

	struct rs_set *s = NULL;
	struct rs_scratch *sc = NULL;
	char err[256];
	CHECK_INT(rs_set_load(blob, len, &s, err, sizeof(err)), 0);
	free(blob);
	if (s == NULL)
		return;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	struct tmsg t;
	struct rs_verdict v;
	CHECK(tmsg_make(&t,
			"INVITE sip:+100017999@x SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
			"From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: 1\nCSeq: 1 INVITE\n"
			"Max-Forwards: 5\nX-Tag: tag7\nX-Tag: tag4003\nUser-Agent: Scanner-8000\n",
			NULL) > 0);
	struct rs_addr a = taddr4(10, 9, 202, 7, 5060); /* 10.9.202.0/24 is rule 2507: i=2506 */
	uint32_t ranks[16];
	/* ua: rule 8001 (i=8000); ruri.user ^= +100017 (i=17: rule 18);
	 * hdr X-Tag tag7 (i=7: 8) and tag4003 (i=4003: 4004), both with
	 * max-forwards < 10; src: i = 9*256+202 = 2506 -> 2507 */
	CHECK_INT(rs_eval_match(s, sc, &t.m, &a, NULL, ranks, 16, &v), 5);
	CHECK_INT(v.action, RS_ACT_DROP);
	struct rs_rule_info in;
	rs_set_rule(s, v.rule, &in);
	CHECK_INT(in.id, 8);
	static const uint32_t ids[] = {8, 18, 2507, 4004, 8001};
	for (unsigned i = 0; i < NELEM(ids); i++)
		CHECK_INT(ranks[i], rs_set_find(s, ids[i]));
	rs_scratch_free(sc);
	rs_set_free(s);
}

int main(int argc, char **argv)
{
	unsigned sets = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
	unsigned per = argc > 3 ? (unsigned)atoi(argv[3]) : 24;

	if (argc < 2) {
		fprintf(stderr, "usage: test_rs_eval SOURCE_ROOT [SETS [MSGS]]\n");
		return 2;
	}
	load_corpus(argv[1]);
	make_msgs();
	test_fields();
	test_ranking();
	test_untriggered();
	test_cidr_lazy();
	test_widths();
	test_tags();
	test_nameaddr_forms();
	test_compile_errors();
	test_scratch();
	test_empty();
	test_blob();
	test_diff(sets, per);
	test_text(argv[1]);
	test_shipped_rules(argv[1]);
	test_10k();
	return check_summary();
}
