/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_rs_text.c - the whole chain from rule text: rs_parse_buf ->
 * rs_compile -> rs_set_load -> rs_eval, on the messages of tests/corpus and
 * the shipped rulesets of rules/ (whatever is there).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

#include "test_rs.h"

struct tmsg *corpus;
unsigned n_corpus;

/* Every message of tests/corpus/manifest.tsv marked ok. */
void load_corpus(const char *root)
{
	char path[1024], line[512];

	snprintf(path, sizeof(path), "%s/tests/corpus/manifest.tsv", root);
	FILE *f = fopen(path, "r");
	check_ctx = "corpus";
	CHECK(f != NULL);
	if (f == NULL)
		return;
	corpus = calloc(128, sizeof(*corpus));
	while (corpus && n_corpus < 128 && fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || tab == NULL || strncmp(tab + 1, "ok", 2) != 0)
			continue;
		*tab = '\0';
		snprintf(path, sizeof(path), "%s/tests/corpus/%s", root, line);
		FILE *m = fopen(path, "rb");
		if (m == NULL)
			continue;
		struct tmsg *t = &corpus[n_corpus];
		t->len = (uint32_t)fread(t->buf, 1, sizeof(t->buf), m);
		fclose(m);
		if (sip_parse(t->buf, t->len, NULL, 0, &t->m) > 0 && (t->m.flags & SIP_MSG_REQUEST))
			n_corpus++;
	}
	fclose(f);
	CHECK(n_corpus > 20);
}

static struct rs_set *text_set(const char *name, const char *text, struct rs_diag *d, int *crc)
{
	struct rs_ast *ast = NULL;
	void *blob = NULL;
	size_t len = 0;
	struct rs_set *s = NULL;
	char err[256];

	CHECK_INT(rs_parse_buf(name, NULL, text, strlen(text), NULL, &ast, d), 0);
	if (ast == NULL)
		return NULL;
	*crc = rs_compile(ast, NULL, &blob, &len, d, NULL);
	if (*crc == 0) {
		CHECK_INT(rs_set_load(blob, len, &s, err, sizeof(err)), 0);
		free(blob);
	}
	rs_ast_free(ast);
	return s;
}

static const char *const ruleset =
	"# scanners, toll fraud, hygiene: one of each shape\n"
	"reject 403 \"Forbidden\" id:1001 prio:10 ua ~ /friendly-scanner|sipvicious|sipcli/i "
	"msg:\"SIP scanner\"\n"
	"count id:1 exists method\n"
	"drop id:2 prio:20 ruri.user ^= \"+4930\" and not src in 192.0.2.0/24\n"
	"ban 10m id:3 prio:30 hdr[X-Probe] == \"two\" \\\n"
	"    and max-forwards >= 70\n"
	"allow id:4 prio:5 src in 192.0.2.0/24, 2001:db8::/32\n"
	"drop id:5 contact == \"*\" shadow\n";

static const char *const m_text =
	"INVITE sip:+4930123@example.com SIP/2.0\n"
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n"
	"Max-Forwards: 70\nTo: <sip:bob@example.com>\nFrom: <sip:a@b>;tag=1\n"
	"Call-ID: t1\nCSeq: 1 INVITE\nContact: *\nUser-Agent: SIPVicious 0.3\n"
	"X-Probe: one\nX-Probe: two\n";

static void test_text_chain(void)
{
	struct rs_diag d;
	struct tmsg t;
	int crc = -1;
	struct rs_verdict v;
	uint64_t hits[6] = {0};
	char b[600];

	check_ctx = "text: ruleset";
	struct rs_set *s = text_set("t.rules", ruleset, &d, &crc);
	CHECK_INT(crc, 0);
	for (unsigned i = 0; crc != 0 && i < d.n; i++)
		fprintf(stderr, "  %s\n", rs_diag_str(&d, i, b, sizeof(b)));
	if (s == NULL)
		return;
	struct rs_scratch *sc = NULL;
	CHECK_INT(rs_scratch_alloc(s, &sc), 0);
	CHECK(tmsg_make(&t, m_text, NULL) > 0);

	/* rank: 4 (5), 1001 (10), 2 (20), 3 (30), 1, 5 (1000, file order) */
	struct rs_addr from10 = taddr4(10, 0, 0, 1, 5060), from192 = taddr4(192, 0, 2, 1, 5060);
	CHECK_INT(rs_eval(s, sc, &t.m, &from10, NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_REJECT);
	CHECK_INT(v.code, 403);
	CHECK_STR(v.reason, "Forbidden");
	CHECK_INT(v.rule, rs_set_find(s, 1001));
	struct rs_rule_info in;
	rs_set_rule(s, v.rule, &in);
	CHECK(in.msg != NULL && strcmp(in.msg, "SIP scanner") == 0);
	static const uint64_t want1[] = {0, 1, 0, 0, 0, 1}; /* 1001; shadow 5 */
	for (unsigned i = 0; i < 6; i++)
		CHECK_INT(hits[i], want1[i]);
	uint32_t ranks[8];
	CHECK_INT(rs_eval_match(s, sc, &t.m, &from10, NULL, ranks, 8, &v), 5);

	CHECK_INT(rs_eval(s, sc, &t.m, &from192, NULL, hits, &v), 0);
	CHECK_INT(v.action, RS_ACT_ALLOW);
	CHECK_INT(v.rule, 0);

	/* without the scanner's User-Agent the toll-fraud rule decides, then
	 * the ban (once the number is not one of +4930) */
	static const char *const m2 =
		"INVITE sip:+4930123@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
		"Max-Forwards: 70\nTo: <sip:b@c>\nFrom: <sip:a@b>;tag=1\nCall-ID: t2\n"
		"CSeq: 1 INVITE\nX-Probe: two\n";
	CHECK(tmsg_make(&t, m2, NULL) > 0);
	CHECK_INT(rs_eval(s, sc, &t.m, &from10, NULL, NULL, &v), 0);
	CHECK_INT(v.action, RS_ACT_DROP);
	CHECK(tmsg_make(&t, "INVITE sip:+33123@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
			    "Max-Forwards: 70\nTo: <sip:b@c>\nFrom: <sip:a@b>;tag=1\nCall-ID: t2\n"
			    "CSeq: 1 INVITE\nX-Probe: two\n", NULL) > 0);
	CHECK_INT(rs_eval(s, sc, &t.m, &from10, NULL, NULL, &v), 0);
	CHECK_INT(v.action, RS_ACT_BAN);
	CHECK_INT(v.ban_s, 600);

	/* every corpus request: evaluates, and rs_eval agrees with
	 * rs_eval_match on the decision */
	check_ctx = "text: corpus";
	for (unsigned i = 0; i < n_corpus; i++) {
		struct rs_verdict v2;
		CHECK_INT(rs_eval(s, sc, &corpus[i].m, &from10, &from192, NULL, &v), 0);
		CHECK(rs_eval_match(s, sc, &corpus[i].m, &from10, &from192, ranks, 8, &v2) >= 1);
		CHECK_INT(v.rule, v2.rule);
	}
	rs_scratch_free(sc);
	rs_set_free(s);

	/* A regex Hyperscan refuses: parsed, refused by the compiler at the
	 * pattern's place in the text. */
	check_ctx = "text: bad regex";
	s = text_set("bad.rules", "drop id:1 ua exists\ndrop id:7 ua ~ /abc(/\n", &d, &crc);
	CHECK(s == NULL);
	CHECK_INT(crc, -EINVAL);
	CHECK_INT(d.n, 1);
	rs_diag_str(&d, 0, b, sizeof(b));
	CHECK(strncmp(b, "bad.rules:2:", 12) == 0 && strstr(b, "rule 7: regex /abc(/ refused by Hyperscan") != NULL);
	/* Hyperscan's own full stop dropped: control goes on "; nothing was
	 * pushed", which read ".;" */
	CHECK(b[0] != '\0' && b[strlen(b) - 1] != '.');
	if (strstr(b, "refused") == NULL)
		fprintf(stderr, "  got \"%s\"\n", b);
}

/* The shipped rulesets, each alone: compile, load, evaluate the corpus. */
static void test_shipped(const char *root)
{
	char dir[1024], path[1400];
	unsigned n = 0;

	snprintf(dir, sizeof(dir), "%s/rules", root);
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return;
	for (struct dirent *de; (de = readdir(dp)) != NULL;) {
		size_t l = strlen(de->d_name);
		if (l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		check_ctx = de->d_name;
		struct rs_ast *ast = NULL;
		struct rs_diag d;
		void *blob = NULL;
		size_t len;
		struct rs_set *s = NULL;
		char err[256], b[600];
		CHECK_INT(rs_parse_file(path, NULL, &ast, &d), 0);
		if (ast == NULL)
			continue;
		int rc = rs_compile(ast, NULL, &blob, &len, &d, NULL);
		CHECK_INT(rc, 0);
		for (unsigned i = 0; rc != 0 && i < d.n; i++)
			fprintf(stderr, "  %s\n", rs_diag_str(&d, i, b, sizeof(b)));
		if (rc == 0 && rs_set_load(blob, len, &s, err, sizeof(err)) == 0) {
			struct rs_scratch *sc = NULL;
			struct rs_verdict v;
			struct rs_addr a = taddr4(203, 0, 113, 5, 5060);
			CHECK_INT(rs_scratch_alloc(s, &sc), 0);
			for (unsigned i = 0; i < n_corpus; i++)
				CHECK_INT(rs_eval(s, sc, &corpus[i].m, &a, NULL, NULL, &v), 0);
			rs_scratch_free(sc);
			rs_set_free(s);
			n++;
		}
		free(blob);
		rs_ast_free(ast);
	}
	closedir(dp);
	printf("shipped rulesets: %u compiled, loaded and run on %u corpus requests\n", n, n_corpus);
}

void test_text(const char *root)
{
	test_text_chain();
	test_shipped(root);
}
