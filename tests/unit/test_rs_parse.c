/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_rs_parse.c - table-driven tests of the rule language's parser
 * (rs_parse_file, rs_parse_buf; rules/README.md).
 *
 *   test_rs_parse SOURCE_ROOT
 *
 * good_rows: rule text and the AST it must give, written out by dump()
 *   (every field of every rule and condition), one row per keyword,
 *   operator, flag, escape and layout (continuations, comments, CRLF).
 * bad_rows: rule text and the exact "file:line:col: message" of its first
 *   error, and how many errors it has: one row per error class.
 * Then files and includes (relative paths, cycles, depth, a missing file,
 *   duplicate ids across files), limits (a 50 MB sparse file, a file that
 *   grows while read, max_rules, line length, conditions per rule, the
 *   diagnostics cap), the shipped rulesets of rules/, and random mutations
 *   of valid rules (no crash, no leak under ASan; any AST that comes back
 *   holds rs.h's invariants). Regexes the parser emits are compiled by the
 *   real Hyperscan to check that \/ and the flags reach it as meant.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hs.h>

#define CHECK_MAIN
#include "check.h"
#include "rs.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];

/* ---- the AST written out ---- */

struct sb {
	char b[16384];
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (s->n >= sizeof(s->b))
		return;
	va_start(ap, fmt);
	k = vsnprintf(s->b + s->n, sizeof(s->b) - s->n, fmt, ap);
	va_end(ap);
	s->n += k > 0 ? (size_t)k : 0;
	if (s->n > sizeof(s->b))
		s->n = sizeof(s->b);
}

/* Bytes as they could be written back: printable ASCII as is (quote and
 * backslash escaped), the rest \xHH. */
static void sb_bytes(struct sb *s, const char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\')
			sb_add(s, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			sb_add(s, "%c", c);
		else
			sb_add(s, "\\x%02x", c);
	}
}

static void dump_cond(struct sb *s, const struct rs_cond *c)
{
	static const struct {
		unsigned f;
		char c;
	} fl[] = {{HS_FLAG_CASELESS, 'i'}, {HS_FLAG_DOTALL, 's'}, {HS_FLAG_MULTILINE, 'm'},
		  {HS_FLAG_UTF8, 'u'},	   {HS_FLAG_UCP, 'p'}};
	char a[64];

	sb_add(s, "%s%s", c->neg ? "!" : "", c->len ? "len(" : "");
	if (c->op == RS_OP_EXISTS)
		sb_add(s, "exists ");
	if (c->field == RS_F_hdr)
		sb_add(s, "hdr[%s]", c->hdr);
	else
		sb_add(s, "%s", rs_field_name(c->field));
	if (c->len)
		sb_add(s, ")");
	switch (c->op) {
	case RS_OP_EXISTS:
		break;
	case RS_OP_REGEX:
		sb_add(s, " ~ /");
		sb_bytes(s, c->pat, c->pat_len);
		sb_add(s, "/");
		for (size_t i = 0; i < NELEM(fl); i++)
			if (c->hs_flags & fl[i].f)
				sb_add(s, "%c", fl[i].c);
		break;
	case RS_OP_EQ:
	case RS_OP_PREFIX:
	case RS_OP_SUFFIX:
	case RS_OP_CONTAINS:
		sb_add(s, " %s \"", rs_op_name(c->op));
		sb_bytes(s, c->pat, c->pat_len);
		sb_add(s, "\"%s", c->hs_flags == HS_FLAG_CASELESS ? "i" : c->hs_flags ? "?" : "");
		break;
	case RS_OP_CIDR:
		sb_add(s, " in ");
		for (uint32_t i = 0; i < c->n_cidr; i++) {
			inet_ntop(c->cidr[i].af == 6 ? AF_INET6 : AF_INET, c->cidr[i].a, a, sizeof(a));
			sb_add(s, "%s%s/%u", i ? "," : "", a, c->cidr[i].plen);
		}
		break;
	default:
		sb_add(s, " %s %lld", rs_op_name(c->op), (long long)c->num);
	}
}

/* One line per rule:
 * ACTION[ CODE["reason"]][ SECONDS] id=N prio=N[ shadow][ msg="..."] | COND & COND */
static const char *dump(const struct rs_ast *a, struct sb *s)
{
	s->n = 0;
	s->b[0] = '\0';
	for (uint32_t i = 0; i < a->n_rules; i++) {
		const struct rs_rule *r = &a->rules[i];

		sb_add(s, "%s%s", i ? "\n" : "", rs_action_name(r->action));
		if (r->action == RS_ACT_REJECT) {
			sb_add(s, " %u", r->code);
			if (r->reason != NULL) {
				sb_add(s, " \"");
				sb_bytes(s, r->reason, (uint32_t)strlen(r->reason));
				sb_add(s, "\"");
			}
		}
		if (r->action == RS_ACT_BAN)
			sb_add(s, " %u", r->ban_s);
		sb_add(s, " id=%u prio=%d%s", r->id, r->prio, r->shadow ? " shadow" : "");
		if (r->msg != NULL) {
			sb_add(s, " msg=\"");
			sb_bytes(s, r->msg, (uint32_t)strlen(r->msg));
			sb_add(s, "\"");
		}
		for (uint32_t j = 0; j < r->n_cond; j++) {
			sb_add(s, j ? " & " : " | ");
			dump_cond(s, &r->cond[j]);
		}
	}
	return s->b;
}

/* What rs.h promises of every AST it hands out. */
static bool ast_ok(const struct rs_ast *a)
{
	for (uint32_t i = 0; i < a->n_rules; i++) {
		const struct rs_rule *r = &a->rules[i];

		if (r->id == 0 || r->action == RS_ACT_NONE || r->action >= RS_ACT__COUNT ||
		    r->n_cond == 0 || r->loc.file == NULL || r->loc.line == 0 || r->loc.col == 0)
			return false;
		if (r->action == RS_ACT_REJECT && (r->code < 400 || r->code > 699))
			return false;
		if (r->action == RS_ACT_BAN && (r->ban_s < 1 || r->ban_s > 86400 * 30))
			return false;
		for (uint32_t j = 0; j < i; j++)
			if (a->rules[j].id == r->id)
				return false;
		for (uint32_t j = 0; j < r->n_cond; j++) {
			const struct rs_cond *c = &r->cond[j];
			enum rs_kind k = rs_field_kind(c->field);

			if (k == 0 || c->op == 0 || c->op >= RS_OP__COUNT)
				return false;
			if ((c->field == RS_F_hdr) != (c->hdr != NULL && c->hdr_len > 0))
				return false;
			if (c->len) { /* len(FIELD): a text field, a number op, a length */
				if (k != RS_KIND_STR || c->op < RS_OP_LT || c->op > RS_OP_NUM_NE ||
				    c->num < 0 || c->num > UINT32_MAX)
					return false;
				continue;
			}
			if (c->op == RS_OP_EXISTS)
				continue;
			if ((k == RS_KIND_STR) != (c->op >= RS_OP_REGEX && c->op <= RS_OP_CONTAINS))
				return false;
			if ((k == RS_KIND_ADDR) != (c->op == RS_OP_CIDR))
				return false;
			if (k == RS_KIND_STR && (c->pat == NULL || c->pat[c->pat_len] != '\0'))
				return false;
			if (c->op == RS_OP_REGEX && c->pat_len == 0)
				return false;
			if (c->op == RS_OP_CIDR && (c->n_cidr == 0 || c->cidr == NULL))
				return false;
			for (uint32_t k2 = 0; k2 < c->n_cidr; k2++)
				if (c->cidr[k2].plen > (c->cidr[k2].af == 6 ? 128 : 32))
					return false;
		}
	}
	return true;
}

/* ---- rules that parse ---- */

static const struct {
	const char *name, *text, *want;
} good_rows[] = {
	{"the issue's example",
	 "drop id:1001 ua ~ /friendly-scanner|sipvicious|sipcli/i msg:\"SIP scanner\"\n",
	 "drop id=1001 prio=1000 msg=\"SIP scanner\" | ua ~ /friendly-scanner|sipvicious|sipcli/i"},
	{"no newline at the end", "allow id:1 method == \"OPTIONS\"",
	 "allow id=1 prio=1000 | method == \"OPTIONS\""},
	{"empty file", "", ""},
	{"comments and blank lines only", "# a comment\n\n   \t\n# another \\\n", ""},
	{"every action",
	 "allow id:1 ua exists\ndrop id:2 ua exists\ncount id:3 ua exists\n"
	 "reject 403 id:4 ua exists\nban 300 id:5 ua exists",
	 "allow id=1 prio=1000 | exists ua\ndrop id=2 prio=1000 | exists ua\n"
	 "count id=3 prio=1000 | exists ua\nreject 403 id=4 prio=1000 | exists ua\n"
	 "ban 300 id=5 prio=1000 | exists ua"},
	{"actions and keywords in capitals", "DROP ID:7 NOT EXISTS UA AND Method == \"X\" SHADOW",
	 "drop id=7 prio=1000 shadow | !exists ua & method == \"X\""},
	{"reject with a reason", "reject 486 \"Busy Here\" id:9 ruri.user == \"100\"",
	 "reject 486 \"Busy Here\" id=9 prio=1000 | ruri.user == \"100\""},
	{"reject bounds", "reject 400 id:1 ua exists\nreject 699 id:2 ua exists",
	 "reject 400 id=1 prio=1000 | exists ua\nreject 699 id=2 prio=1000 | exists ua"},
	{"reject reason in UTF-8", "reject 403 \"Verboten \xc3\xbc\" id:1 ua exists",
	 "reject 403 \"Verboten \\xc3\\xbc\" id=1 prio=1000 | exists ua"},
	{"ban durations",
	 "ban 1 id:1 ua exists\nban 90s id:2 ua exists\nban 10m id:3 ua exists\n"
	 "ban 1h id:4 ua exists\nban 30d id:5 ua exists\nban 2592000 id:6 ua exists",
	 "ban 1 id=1 prio=1000 | exists ua\nban 90 id=2 prio=1000 | exists ua\n"
	 "ban 600 id=3 prio=1000 | exists ua\nban 3600 id=4 prio=1000 | exists ua\n"
	 "ban 2592000 id=5 prio=1000 | exists ua\nban 2592000 id=6 prio=1000 | exists ua"},
	{"id bounds and prio sign",
	 "drop id:4294967295 prio:-2147483648 ua exists\ndrop id:1 prio:2147483647 ua exists\n"
	 "drop id:007 prio:0 ua exists",
	 "drop id=4294967295 prio=-2147483648 | exists ua\ndrop id=1 prio=2147483647 | exists ua\n"
	 "drop id=7 prio=0 | exists ua"},
	{"options anywhere, blanks after the colon",
	 "drop ua exists msg: \"m\" and method == \"A\" prio: 5 id: 3 shadow",
	 "drop id=3 prio=5 shadow msg=\"m\" | exists ua & method == \"A\""},
	{"msg: escapes and UTF-8", "drop id:1 ua exists msg:\"a \\\"b\\\" \\\\ \\x41 \xe2\x82\xac\"",
	 "drop id=1 prio=1000 msg=\"a \\\"b\\\" \\\\ A \\xe2\\x82\\xac\" | exists ua"},
	{"every text operator",
	 "drop id:1 ua ~ /a/ and ua !~ /b/ and ua == \"c\" and ua != \"d\" and ua ^= \"e\" and "
	 "ua $= \"f\" and ua *= \"g\"",
	 "drop id=1 prio=1000 | ua ~ /a/ & !ua ~ /b/ & ua == \"c\" & !ua == \"d\" & "
	 "ua ^= \"e\" & ua $= \"f\" & ua *= \"g\""},
	{"every number operator",
	 "drop id:1 max-forwards < 1 and content-length <= 2 and expires > 3 and cseq >= 4 and "
	 "src.port == 5 and max-forwards != -6",
	 "drop id=1 prio=1000 | max-forwards < 1 & content-length <= 2 & expires > 3 & "
	 "cseq >= 4 & src.port == 5 & max-forwards != -6"},
	{"operators without blanks", "drop id:1 max-forwards>=70&&ua~/x/&&ua==\"y\"i",
	 "drop id=1 prio=1000 | max-forwards >= 70 & ua ~ /x/ & ua == \"y\"i"},
	{"int64 bounds", "count id:1 cseq > -9223372036854775808 and cseq < 9223372036854775807",
	 "count id=1 prio=1000 | cseq > -9223372036854775808 & cseq < 9223372036854775807"},
	{"every regex flag", "drop id:1 ua ~ /a/ismup and ua ~ /b/mi",
	 "drop id=1 prio=1000 | ua ~ /a/ismup & ua ~ /b/im"},
	{"exists before and after the field", "drop id:1 exists ua and ua exists and not hdr[X] exists",
	 "drop id=1 prio=1000 | exists ua & exists ua & !exists hdr[X]"},
	{"regex: \\/ is a slash, other escapes stay", "drop id:1 ruri ~ /^sip:[^\\/]+\\/\\d\\\\/",
	 "drop id=1 prio=1000 | ruri ~ /^sip:[^/]+/\\\\d\\\\\\\\/"},
	{"regex: # and quotes are not special", "drop id:1 body ~ /a#b\"c/ # real comment",
	 "drop id=1 prio=1000 | body ~ /a#b\\\"c/"},
	{"literals: caseless, escapes, NUL", "drop id:1 msg *= \"\\r\\n\\t\\x00\\xFF\" and ua ^= \"Sipp\"i",
	 "drop id=1 prio=1000 | msg *= \"\\x0d\\x0a\\x09\\x00\\xff\" & ua ^= \"Sipp\"i"},
	{"empty literal with ==", "drop id:1 ua == \"\"", "drop id=1 prio=1000 | ua == \"\""},
	{"negations", "drop id:1 not ua ~ /a/ and !ua ~ /b/ and ! exists hdr[X] and not ua != \"c\"",
	 "drop id=1 prio=1000 | !ua ~ /a/ & !ua ~ /b/ & !exists hdr[X] & ua == \"c\""},
	{"hdr[] names: token characters", "drop id:1 exists hdr[X-Foo_bar.1!%*+`'~] and hdr[subject] ~ /x/",
	 "drop id=1 prio=1000 | exists hdr[X-Foo_bar.1!%*+`'~] & hdr[subject] ~ /x/"},
	{"every field",
	 "count id:1 exists method and exists ruri and exists ruri.user and exists ruri.host and "
	 "exists from and exists from.user and exists from.display and exists to and "
	 "exists to.user and exists to.display and exists contact and exists contact.user and "
	 "exists contact.display and exists ua and exists call-id and exists hdr[A] and "
	 "exists body and exists msg and exists src and exists dst and exists src.port and "
	 "exists max-forwards and exists content-length and exists expires and exists cseq",
	 "count id=1 prio=1000 | exists method & exists ruri & exists ruri.user & exists ruri.host & "
	 "exists from & exists from.user & exists from.display & exists to & "
	 "exists to.user & exists to.display & exists contact & exists contact.user & "
	 "exists contact.display & exists ua & exists call-id & exists hdr[A] & "
	 "exists body & exists msg & exists src & exists dst & exists src.port & "
	 "exists max-forwards & exists content-length & exists expires & exists cseq"},
	{"field names in any case", "drop id:1 RURI.User ^= \"9\" and Max-Forwards < 2",
	 "drop id=1 prio=1000 | ruri.user ^= \"9\" & max-forwards < 2"},
	{"addresses", "drop id:1 src in 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::1,0.0.0.0/0 and "
		      "not dst in ::/0",
	 "drop id=1 prio=1000 | src in 10.0.0.0/8,192.0.2.7/32,2001:db8::/32,::1/128,0.0.0.0/0 & "
	 "!dst in ::/0"},
	{"continuation lines",
	 "drop id:1 \\\n   ua ~ /a/ \\  \n and \\\r\n method == \"B\"\ndrop id:2 ua exists",
	 "drop id=1 prio=1000 | ua ~ /a/ & method == \"B\"\ndrop id=2 prio=1000 | exists ua"},
	{"CRLF line ends", "drop id:1 ua exists\r\n# c\r\ndrop id:2 ua exists\r\n",
	 "drop id=1 prio=1000 | exists ua\ndrop id=2 prio=1000 | exists ua"},
	{"a comment ending in a backslash does not continue",
	 "drop id:1 ua exists # c \\\ndrop id:2 ua exists",
	 "drop id=1 prio=1000 | exists ua\ndrop id=2 prio=1000 | exists ua"},
	{"tabs", "\tdrop\tid:1\tua\t~\t/a/\t", "drop id=1 prio=1000 | ua ~ /a/"},
	{"a UTF-8 byte order mark", "\xef\xbb\xbf" "drop id:1 ua exists", "drop id=1 prio=1000 | exists ua"},
	{"msg is a field and an option", "drop id:1 msg ~ /x/ msg:\"y\"",
	 "drop id=1 prio=1000 msg=\"y\" | msg ~ /x/"},
	{"len() of text fields",
	 "drop id:1 len(ua) > 255 and len( hdr[Subject] ) >= 512 and not len(ruri.user) == 0 "
	 "and LEN(call-id)<=3",
	 "drop id=1 prio=1000 | len(ua) > 255 & len(hdr[Subject]) >= 512 & !len(ruri.user) == 0 & "
	 "len(call-id) <= 3"},
	{"len() with every number operator and its bounds",
	 "count id:1 len(ua) < 1 and len(ua) <= 2 and len(ua) > 3 and len(ua) >= 0 and "
	 "len(ua) == 4294967295 and len(ua) != 6",
	 "count id=1 prio=1000 | len(ua) < 1 & len(ua) <= 2 & len(ua) > 3 & len(ua) >= 0 & "
	 "len(ua) == 4294967295 & len(ua) != 6"},
	{"len is no field of its own", "drop id:1 hdr[len] == \"x\"",
	 "drop id=1 prio=1000 | hdr[len] == \"x\""},
};

static void test_good(void)
{
	struct rs_diag d;
	struct sb s;
	char b[600];

	for (size_t i = 0; i < NELEM(good_rows); i++) {
		struct rs_ast *a = NULL;
		const char *text = good_rows[i].text;
		int rc;

		check_ctx = good_rows[i].name;
		rc = rs_parse_buf("t.rules", NULL, text, strlen(text), NULL, &a, &d);
		CHECK_INT(rc, 0);
		if (rc != 0) {
			for (unsigned k = 0; k < d.n; k++)
				fprintf(stderr, "  %s\n", rs_diag_str(&d, k, b, sizeof(b)));
			continue;
		}
		CHECK(ast_ok(a));
		if (strcmp(dump(a, &s), good_rows[i].want) != 0) {
			check_report(__FILE__, __LINE__, "dump differs");
			fprintf(stderr, "  got:  %s\n  want: %s\n", s.b, good_rows[i].want);
		} else {
			check_pass++;
		}
		CHECK_INT(a->n_files, 1);
		CHECK(strcmp(a->files[0], "t.rules") == 0);
		CHECK_INT(a->src_bytes, strlen(text));
		rs_ast_free(a);
	}
}

/* Every name of rs_field.def is a field, in its own kind. */
static void test_fields(void)
{
	struct rs_diag d;

	check_ctx = "each field of rs_field.def";
	for (unsigned f = RS_F__NONE + 1; f < RS_F__COUNT; f++) {
		struct rs_ast *a = NULL;
		char t[128];
		int n = snprintf(t, sizeof(t), "count id:1 exists %s%s", rs_field_name(f),
				 f == RS_F_hdr ? "[X-A]" : "");

		CHECK_INT(rs_parse_buf("t.rules", NULL, t, (size_t)n, NULL, &a, &d), 0);
		if (a == NULL)
			continue;
		CHECK_INT(a->rules[0].cond[0].field, f);
		CHECK_INT(a->rules[0].cond[0].op, RS_OP_EXISTS);
		rs_ast_free(a);
	}
}

/* rules/README.md's field table names every field of rs_field.def, in its
 * kind: the docs cannot miss a field added there. */
static void test_readme(const char *root)
{
	static const char *const kinds[] = {[RS_KIND_STR] = "text", [RS_KIND_NUM] = "number",
					    [RS_KIND_ADDR] = "address"};
	char path[PATH_MAX], row[128], *doc = NULL;
	size_t len = 0;
	FILE *f;

	check_ctx = "rules/README.md names every field";
	snprintf(path, sizeof(path), "%s/rules/README.md", root);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	doc = malloc(1u << 20);
	if (doc != NULL)
		len = fread(doc, 1, (1u << 20) - 1, f);
	fclose(f);
	if (doc == NULL)
		return;
	doc[len] = '\0';
	for (unsigned fi = RS_F__NONE + 1; fi < RS_F__COUNT; fi++) {
		snprintf(row, sizeof(row), "| `%s%s` | %s |", rs_field_name(fi),
			 fi == RS_F_hdr ? "[NAME]" : "", kinds[rs_field_kind(fi)]);
		if (strstr(doc, row) == NULL) {
			check_report(__FILE__, __LINE__, "field missing from README.md");
			fprintf(stderr, "  no row \"%s\"\n", row);
		} else {
			check_pass++;
		}
	}
	free(doc);
}

/* Where conditions and patterns start (rs_compile reports regex errors at
 * pat_loc), across a continuation too. */
static void test_locations(void)
{
	static const char t[] = "\n  drop id:5 ua ~ /x/ and \\\n    not src in 10.0.0.0/8 "
				"and hdr[X] == \"y\"\n";
	struct rs_ast *a = NULL;
	struct rs_diag d;

	check_ctx = "locations";
	CHECK_INT(rs_parse_buf("loc.rules", NULL, t, sizeof(t) - 1, NULL, &a, &d), 0);
	if (a == NULL)
		return;
	CHECK(strcmp(a->rules[0].loc.file, "loc.rules") == 0);
	CHECK_INT(a->rules[0].loc.line, 2);
	CHECK_INT(a->rules[0].loc.col, 3);
	CHECK_INT(a->rules[0].cond[0].loc.line, 2);
	CHECK_INT(a->rules[0].cond[0].loc.col, 13);
	CHECK_INT(a->rules[0].cond[0].pat_loc.col, 18);
	CHECK_INT(a->rules[0].cond[1].loc.line, 3);
	CHECK_INT(a->rules[0].cond[1].loc.col, 5);
	CHECK_INT(a->rules[0].cond[1].pat_loc.col, 16);
	CHECK_INT(a->rules[0].cond[2].loc.line, 3);
	CHECK_INT(a->rules[0].cond[2].loc.col, 31);
	CHECK_INT(a->rules[0].cond[2].pat_loc.col, 41);
	CHECK_INT(a->rules[0].cond[2].hdr_len, 1);
	rs_ast_free(a);
}

/* ---- rules that do not ---- */

#define EFBIG_ (-EFBIG)

static const struct {
	const char *name, *text, *want; /* want: the first error, whole */
	unsigned n;			/* errors in all (0: 1) */
	int rc;				/* 0: -EINVAL */
	size_t len;			/* 0: strlen(text) */
} bad_rows[] = {
	/* actions and their arguments */
	{"misspelt action", "dorp id:1 ua ~ /x/",
	 "t.rules:1:1: expected an action (allow, drop, reject, ban, count), found \"dorp\"; "
	 "did you mean \"drop\"?"},
	{"another language's action", "  deny id:1 ua ~ /x/",
	 "t.rules:1:3: expected an action (allow, drop, reject, ban, count), found \"deny\"; "
	 "did you mean \"drop\"?"},
	{"no action, an option first", "id:1 drop ua ~ /x/",
	 "t.rules:1:1: expected an action (allow, drop, reject, ban, count), found \"id:1\""},
	{"not a word first", "~ ua",
	 "t.rules:1:1: expected an action (allow, drop, reject, ban, count), found \"~\""},
	{"reject without a code", "reject id:1 ua exists",
	 "t.rules:1:8: expected a number after \"reject\" (a code, 400..699), found \"id:1\""},
	{"reject code 399", "reject 399 id:1 ua exists",
	 "t.rules:1:8: reject code \"399\" out of range [400, 699]"},
	{"reject code 700", "reject 700 id:1 ua exists",
	 "t.rules:1:8: reject code \"700\" out of range [400, 699]"},
	{"reject reason empty", "reject 403 \"\" id:1 ua exists",
	 "t.rules:1:12: empty reject reason: leave it out instead"},
	{"reject reason with CR LF", "reject 403 \"a\\r\\nVia: x\" id:1 ua exists",
	 "t.rules:1:12: reject reason holds a control character (0x0d): it must be printable"},
	{"reject reason too long",
	 "reject 403 \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" id:1 ua exists",
	 "t.rules:1:12: reject reason longer than 128 bytes (129)"},
	{"ban without a duration", "ban id:1 ua exists",
	 "t.rules:1:5: expected a duration after \"ban\" (300, 90s, 10m, 1h, 1d), found \"id:1\""},
	{"ban 0", "ban 0 id:1 ua exists", "t.rules:1:5: ban duration \"0\" out of range [1s, 30d]"},
	{"ban 31d", "ban 31d id:1 ua exists",
	 "t.rules:1:5: ban duration \"31d\" out of range [1s, 30d]"},
	{"ban huge", "ban 99999999999999999999999h id:1 ua exists",
	 "t.rules:1:5: ban duration \"99999999999999999999999h\" out of range [1s, 30d]"},
	{"ban unknown unit", "ban 10x id:1 ua exists",
	 "t.rules:1:5: expected a duration after \"ban\" (300, 90s, 10m, 1h, 1d), found \"10x\""},
	{"ban unit in capitals", "ban 10M id:1 ua exists",
	 "t.rules:1:5: expected a duration after \"ban\" (300, 90s, 10m, 1h, 1d), found \"10M\""},
	{"ban two units", "ban 1h30m id:1 ua exists",
	 "t.rules:1:5: expected a duration after \"ban\" (300, 90s, 10m, 1h, 1d), found \"1h30m\""},
	/* options */
	{"no id", "drop ua ~ /x/", "t.rules:1:1: rule has no id: add id:N (1..4294967295, unique)"},
	{"id 0", "drop id:0 ua exists", "t.rules:1:9: id \"0\" out of range [1, 4294967295]"},
	{"id 2^32", "drop id:4294967296 ua exists",
	 "t.rules:1:9: id \"4294967296\" out of range [1, 4294967295]"},
	{"id negative", "drop id:-1 ua exists", "t.rules:1:9: id \"-1\" out of range [1, 4294967295]"},
	{"id not a number", "drop id:x1 ua exists",
	 "t.rules:1:9: expected a number after \"id:\", found \"x1\""},
	{"id missing its number", "drop id: ua exists",
	 "t.rules:1:10: expected a number after \"id:\", found \"ua\""},
	{"id twice", "drop id:1 id:2 ua exists", "t.rules:1:11: id given twice"},
	{"prio out of range", "drop id:1 prio:2147483648 ua exists",
	 "t.rules:1:16: prio \"2147483648\" out of range [-2147483648, 2147483647]"},
	{"prio twice", "drop id:1 prio:1 prio:2 ua exists", "t.rules:1:18: prio given twice"},
	{"msg twice", "drop id:1 msg:\"a\" msg:\"b\" ua exists", "t.rules:1:19: msg given twice"},
	{"msg not quoted", "drop id:1 msg:hello ua exists",
	 "t.rules:1:15: expected a quoted string after msg, found \"hello\""},
	{"msg empty", "drop id:1 msg:\"\" ua exists", "t.rules:1:15: empty msg: leave it out instead"},
	{"msg with a control character", "drop id:1 msg:\"a\\x01\" ua exists",
	 "t.rules:1:15: msg holds a control character (0x01): it must be printable"},
	{"msg with a tab", "drop id:1 msg:\"a\\tb\" ua exists",
	 "t.rules:1:15: msg holds a control character (0x09): it must be printable"},
	{"msg invalid UTF-8 by escape", "drop id:1 msg:\"\\xc3\\x28\" ua exists",
	 "t.rules:1:15: msg is not valid UTF-8 (an \\xHH escape?)"},
	{"msg caseless", "drop id:1 msg:\"a\"i ua exists",
	 "t.rules:1:18: expected a space after the closing quote, found \"i\""},
	{"unknown option", "drop id:1 foo:1 ua exists",
	 "t.rules:1:11: unknown option \"foo\" (options: id:N, prio:N, msg:\"text\", shadow)"},
	{"misspelt option", "drop id:1 priority:1 ua exists",
	 "t.rules:1:11: unknown option \"priority\" (options: id:N, prio:N, msg:\"text\", "
	 "shadow); did you mean \"prio\"?"},
	{"shadow with a value", "drop id:1 shadow:yes ua exists",
	 "t.rules:1:11: shadow takes no value: write shadow alone"},
	/* the shape of a rule */
	{"no condition", "drop id:7 msg:\"m\"",
	 "t.rules:1:1: rule 7 has no condition (ua ~ /scanner/i, src in 192.0.2.0/24, "
	 "exists hdr[X-Foo], ...)"},
	{"two conditions without and", "drop id:1 ua ~ /x/ method == \"A\"",
	 "t.rules:1:20: expected \"and\" between two conditions, found \"method\""},
	{"dangling and", "drop id:1 ua ~ /x/ and",
	 "t.rules:1:23: expected a condition after \"and\", found end of file"},
	{"and before a comment", "drop id:1 ua ~ /x/ && # c",
	 "t.rules:1:23: expected a condition after \"and\", found end of line"},
	{"and then an option", "drop id:1 ua ~ /x/ and msg:\"x\"",
	 "t.rules:1:24: expected a condition after \"and\", found \"msg:\"x\"\""},
	{"and then shadow", "drop id:1 ua ~ /x/ and shadow",
	 "t.rules:1:24: expected a condition after \"and\", found \"shadow\""},
	{"and first", "drop id:1 and ua ~ /x/",
	 "t.rules:1:11: \"and\" must come between two conditions"},
	{"and twice", "drop id:1 ua ~ /x/ and and ua ~ /y/",
	 "t.rules:1:24: \"and\" must come between two conditions"},
	{"a single &", "drop id:1 ua ~ /x/ & ua ~ /y/",
	 "t.rules:1:20: expected a condition, an option (id:N, prio:N, msg:\"text\", shadow) or the "
	 "end of the line, found \"&\""},
	{"or", "drop id:1 ua ~ /x/ or ua ~ /y/",
	 "t.rules:1:20: \"or\" is not in the language: write one rule per alternative, or "
	 "alternatives in one regex (a|b)"},
	{"||", "drop id:1 ua ~ /x/ || ua ~ /y/",
	 "t.rules:1:20: \"or\" is not in the language: write one rule per alternative, or "
	 "alternatives in one regex (a|b)"},
	{"parentheses", "drop id:1 (ua ~ /x/)",
	 "t.rules:1:11: expected a condition, an option (id:N, prio:N, msg:\"text\", shadow) or the "
	 "end of the line, found \"(ua\""},
	{"misspelt keyword after a condition", "drop id:1 ua ~ /x/ sahdow",
	 "t.rules:1:20: expected \"and\", an option or the end of the line, found \"sahdow\"; did "
	 "you mean \"shadow\"?"},
	{"a second action", "drop id:1 drop ua ~ /x/",
	 "t.rules:1:11: expected a condition, found \"drop\": the action comes first, once"},
	{"65 conditions", NULL, "t.rules:1:907: more than 64 conditions in one rule (the limit)", 1,
	 EFBIG_},
	/* fields */
	{"unknown field, close to an alias", "drop id:1 user_agnet ~ /x/",
	 "t.rules:1:11: unknown field \"user_agnet\"; did you mean \"ua\"?"},
	{"unknown field, an alias", "drop id:1 user-agent ~ /x/",
	 "t.rules:1:11: unknown field \"user-agent\"; did you mean \"ua\"?"},
	{"unknown field, a typo", "drop id:1 metod == \"A\"",
	 "t.rules:1:11: unknown field \"metod\"; did you mean \"method\"?"},
	{"unknown field, far from all", "drop id:1 zzzzzzzz ~ /x/",
	 "t.rules:1:11: unknown field \"zzzzzzzz\""},
	{"misspelt exists", "drop id:1 exsits ua",
	 "t.rules:1:11: unknown field \"exsits\"; did you mean \"exists\"?"},
	{"hdr without a name", "drop id:1 hdr ~ /x/", "t.rules:1:11: hdr needs a header name: hdr[X-Foo]"},
	/* len(FIELD) */
	{"len without parentheses", "drop id:1 len ua > 5",
	 "t.rules:1:11: len needs its field in parentheses: len(ua) > 255, found \"ua\" after it"},
	{"len of a number field", "drop id:1 len(cseq) > 5",
	 "t.rules:1:15: len() takes a text field: field \"cseq\" is a number"},
	{"len of an address field", "drop id:1 len( src ) > 5",
	 "t.rules:1:16: len() takes a text field: field \"src\" is an address"},
	{"len of nothing", "drop id:1 len() > 1",
	 "t.rules:1:15: expected a field (ua, ruri.user, src, hdr[Name], ...), found \")\""},
	{"len without its )", "drop id:1 len(ua > 5",
	 "t.rules:1:18: expected \")\" after len(ua, found \">\""},
	{"len of a header without its )", "drop id:1 len(hdr[X-A] 5",
	 "t.rules:1:24: expected \")\" after len(hdr[X-A], found \"5\""},
	{"len with a text operator", "drop id:1 len(ua) ~ /x/",
	 "t.rules:1:19: len(ua) is a number: \"~\" needs a text field"},
	{"len with in", "drop id:1 len(ua) in 10.0.0.0/8",
	 "t.rules:1:19: len(ua) is a number: \"in\" needs an address field (src, dst)"},
	{"len with a negative bound", "drop id:1 len(ua) > -1",
	 "t.rules:1:21: length \"-1\" out of range [0, 4294967295]"},
	{"len with a bound over 2^32-1", "drop id:1 len(ua) > 4294967296",
	 "t.rules:1:21: length \"4294967296\" out of range [0, 4294967295]"},
	{"len with a string", "drop id:1 len(ua) > \"5\"",
	 "t.rules:1:21: expected a number after \">\", found \"\"5\"\""},
	{"len without a bound", "drop id:1 len(hdr[Subject]) >=",
	 "t.rules:1:31: expected a number after \">=\", found end of file"},
	{"len exists", "drop id:1 len(ua) exists",
	 "t.rules:1:19: len(ua) is a number, present when the field is: write exists ua"},
	{"exists len()", "drop id:1 exists len(hdr[X])",
	 "t.rules:1:18: exists takes a field, not its length: write exists FIELD, or len(FIELD) > 0"},
	{"hdr with an empty name", "drop id:1 hdr[] ~ /x/",
	 "t.rules:1:15: expected a header name (1 to 255 token characters) and ] after hdr[, found "
	 "\"]\""},
	{"hdr name with a space", "drop id:1 hdr[X Y] ~ /x/",
	 "t.rules:1:15: expected a header name (1 to 255 token characters) and ] after hdr[, found "
	 "\"X\""},
	{"hdr name unclosed", "drop id:1 hdr[X ~ /x/",
	 "t.rules:1:15: expected a header name (1 to 255 token characters) and ] after hdr[, found "
	 "\"X\""},
	{"a name on another field", "drop id:1 ua[X] ~ /x/",
	 "t.rules:1:13: field \"ua\" takes no [name]; only hdr[Name] does"},
	{"exists without a field", "drop id:1 exists",
	 "t.rules:1:17: expected a field (ua, ruri.user, src, hdr[Name], ...), found end of file"},
	{"exists twice", "drop id:1 exists ua exists",
	 "t.rules:1:21: expected \"and\" between two conditions, found \"exists\""},
	{"not twice", "drop id:1 not not ua ~ /x/", "t.rules:1:15: one \"not\" per condition"},
	{"! twice", "drop id:1 !!ua ~ /x/", "t.rules:1:12: one \"not\" per condition"},
	/* operators and kinds */
	{"no operator", "drop id:1 ua /x/",
	 "t.rules:1:14: expected an operator after ua (text: ~ !~ == != ^= $= *=; numbers: < <= > >= "
	 "== !=; addresses: in), found \"/x/\""},
	{"= for ==", "drop id:1 ua = \"x\"", "t.rules:1:14: \"=\" is not an operator: write =="},
	{"regex on a number", "drop id:1 max-forwards ~ /x/",
	 "t.rules:1:24: field \"max-forwards\" is a number: \"~\" needs a text field"},
	{"prefix on a number", "drop id:1 cseq ^= \"1\"",
	 "t.rules:1:16: field \"cseq\" is a number: \"^=\" needs a text field"},
	{"in on a number", "drop id:1 src.port in 5",
	 "t.rules:1:20: field \"src.port\" is a number: \"in\" needs an address field (src, dst)"},
	{"< on text", "drop id:1 ua < 5", "t.rules:1:14: field \"ua\" is text: \"<\" needs a number field"},
	{"in on text", "drop id:1 hdr[X] in 1.2.3.4",
	 "t.rules:1:18: field \"hdr[X]\" is text: \"in\" needs an address field (src, dst)"},
	{"== on an address", "drop id:1 src == \"1.2.3.4\"",
	 "t.rules:1:15: field \"src\" is an address: \"==\" needs a text or number field; write src "
	 "in 192.0.2.0/24"},
	{"~ on an address", "drop id:1 dst ~ /1/",
	 "t.rules:1:15: field \"dst\" is an address: \"~\" needs a text field; write src in "
	 "192.0.2.0/24"},
	/* values */
	{"number as a string", "drop id:1 max-forwards == \"70\"",
	 "t.rules:1:27: expected a number after \"==\", found \"\"70\"\""},
	{"number missing", "drop id:1 max-forwards <\n",
	 "t.rules:1:25: expected a number after \"<\", found end of line"},
	{"number out of int64", "drop id:1 cseq > 9223372036854775808",
	 "t.rules:1:18: number \"9223372036854775808\" out of range [-9223372036854775808, "
	 "9223372036854775807]"},
	{"number below int64", "drop id:1 cseq > -9223372036854775809",
	 "t.rules:1:18: number \"-9223372036854775809\" out of range [-9223372036854775808, "
	 "9223372036854775807]"},
	{"number with a fraction", "drop id:1 cseq > 1.5",
	 "t.rules:1:18: expected a number after \">\", found \"1.5\""},
	{"regex given a string", "drop id:1 ua ~ \"x\"",
	 "t.rules:1:16: \"~\" needs a regex between slashes (ua ~ /scanner/i), found \"\"x\"\""},
	{"string given a regex", "drop id:1 ua == /x/",
	 "t.rules:1:17: \"==\" needs a quoted string (\"INVITE\", \"sipp\"i), found \"/x/\""},
	{"unterminated regex", "drop id:1 ua ~ /abc\ndrop id:2 ua exists",
	 "t.rules:1:16: unterminated regex: no closing / on this line (write a / inside it as \\/)"},
	{"regex ending in an escaped slash", "drop id:1 ua ~ /abc\\/",
	 "t.rules:1:16: unterminated regex: no closing / on this line (write a / inside it as \\/)"},
	{"empty regex", "drop id:1 ua ~ //",
	 "t.rules:1:16: empty regex: it would match anything; use exists FIELD"},
	{"unknown regex flag", "drop id:1 ua ~ /x/ig",
	 "t.rules:1:20: unknown regex flag \"g\" (i caseless, s dot matches newline, m multiline, u "
	 "UTF-8, p Unicode classes)"},
	{"a flag in capitals", "drop id:1 ua ~ /x/I",
	 "t.rules:1:19: unknown regex flag \"I\" (i caseless, s dot matches newline, m multiline, u "
	 "UTF-8, p Unicode classes)"},
	{"p without u", "drop id:1 ua ~ /x/p",
	 "t.rules:1:18: regex flag p (Unicode classes) needs u (UTF-8) too"},
	{"regex glued to the next word", "drop id:1 ua ~ /x/i,id:2",
	 "t.rules:1:20: expected a space after the regex, found \",id:2\""},
	{"unterminated string", "drop id:1 ua == \"abc",
	 "t.rules:1:17: unterminated string: no closing quote on this line"},
	{"string continued by a backslash", "drop id:1 ua == \"abc\\\n\"",
	 "t.rules:1:17: unterminated string: no closing quote on this line", 2},
	{"unknown escape", "drop id:1 ua == \"a\\qb\"",
	 "t.rules:1:19: unknown escape \"\\q\" in a string (known: \\\" \\\\ \\n \\r \\t \\xHH)"},
	{"\\x with one digit", "drop id:1 ua == \"\\x4\"",
	 "t.rules:1:18: \\x needs two hex digits (\\x00 .. \\xff)"},
	{"\\x with no digit", "drop id:1 ua == \"\\xzz\"",
	 "t.rules:1:18: \\x needs two hex digits (\\x00 .. \\xff)"},
	{"a flag other than i on a literal", "drop id:1 ua == \"x\"s",
	 "t.rules:1:20: expected a space after the closing quote, found \"s\""},
	{"empty literal for a prefix", "drop id:1 ua ^= \"\"",
	 "t.rules:1:17: an empty literal after \"^=\" always matches: use exists FIELD"},
	{"empty literal for contains", "drop id:1 ua *= \"\"i",
	 "t.rules:1:17: an empty literal after \"*=\" always matches: use exists FIELD"},
	/* addresses */
	{"host bits set", "drop id:1 src in 10.0.0.1/8",
	 "t.rules:1:18: \"10.0.0.1/8\" has host bits set past /8: did you mean 10.0.0.0/8?"},
	{"host bits set, IPv6", "drop id:1 src in 192.0.2.0/24, 2001:db8::1/32",
	 "t.rules:1:32: \"2001:db8::1/32\" has host bits set past /32: did you mean 2001:db8::/32?"},
	{"prefix too long", "drop id:1 src in 1.2.3.4/33",
	 "t.rules:1:18: prefix length \"33\" out of range [0, 32]"},
	{"prefix too long, IPv6", "drop id:1 src in ::/129",
	 "t.rules:1:18: prefix length \"129\" out of range [0, 128]"},
	{"prefix missing", "drop id:1 src in 1.2.3.4/",
	 "t.rules:1:18: prefix length \"\" out of range [0, 32]"},
	{"prefix not a number", "drop id:1 src in 1.2.3.4/a",
	 "t.rules:1:18: prefix length \"a\" out of range [0, 32]"},
	{"short address", "drop id:1 src in 10.0.0/8",
	 "t.rules:1:18: \"10.0.0/8\" is not an IPv4 or IPv6 address or prefix (192.0.2.0/24, "
	 "2001:db8::/32)"},
	{"a name, not an address", "drop id:1 src in example.com",
	 "t.rules:1:18: \"example.com\" is not an IPv4 or IPv6 address or prefix (192.0.2.0/24, "
	 "2001:db8::/32)"},
	{"no address", "drop id:1 src in # c",
	 "t.rules:1:18: expected an address or prefix after \"in\" (192.0.2.0/24, 2001:db8::/32), "
	 "found end of line"},
	{"trailing comma", "drop id:1 src in 1.2.3.4,",
	 "t.rules:1:26: expected an address or prefix after \",\" (192.0.2.0/24, 2001:db8::/32), "
	 "found end of file"},
	{"IPv6 zone", "drop id:1 src in fe80::1%eth0",
	 "t.rules:1:18: \"fe80::1%eth0\" is not an IPv4 or IPv6 address or prefix (192.0.2.0/24, "
	 "2001:db8::/32)"},
	/* includes */
	{"include without quotes", "include x.rules",
	 "t.rules:1:9: expected a quoted file name after \"include\", found \"x.rules\""},
	{"include of an empty name", "include \"\"",
	 "t.rules:1:9: include needs a file name (no NUL byte in it)"},
	{"include with more after it", "include \"x.rules\" drop",
	 "t.rules:1:19: expected the end of the line after the include, found \"drop\""},
	/* the bytes of the file */
	{"NUL byte", "drop id:1 ua ~ /a\0b/",
	 "t.rules:1:18: NUL byte: a rules file is text", 1, 0, 20},
	{"control character", "drop id:1 ua == \"\x1b[0m\"",
	 "t.rules:1:18: control character 0x1b: a rules file is text; write it as \\x1b in a quoted "
	 "string or regex"},
	{"DEL", "# \x7f",
	 "t.rules:1:3: control character 0x7f: a rules file is text; write it as \\x7f in a quoted "
	 "string or regex"},
	{"Latin-1 byte", "drop id:1 ua exists msg:\"caf\xe9\"",
	 "t.rules:1:29: invalid UTF-8 (byte 0xe9): a rules file is UTF-8 text; write other bytes as "
	 "\\xHH in a quoted string or regex"},
	{"overlong UTF-8", "# \xc0\x80",
	 "t.rules:1:3: invalid UTF-8 (byte 0xc0): a rules file is UTF-8 text; write other bytes as "
	 "\\xHH in a quoted string or regex"},
	{"UTF-8 surrogate", "# \xed\xa0\x80",
	 "t.rules:1:3: invalid UTF-8 (byte 0xed): a rules file is UTF-8 text; write other bytes as "
	 "\\xHH in a quoted string or regex"},
	{"UTF-8 past U+10FFFF", "# \xf4\x90\x80\x80",
	 "t.rules:1:3: invalid UTF-8 (byte 0xf4): a rules file is UTF-8 text; write other bytes as "
	 "\\xHH in a quoted string or regex"},
	{"UTF-8 cut short at the end", "# \xe2\x82",
	 "t.rules:1:3: invalid UTF-8 (byte 0xe2): a rules file is UTF-8 text; write other bytes as "
	 "\\xHH in a quoted string or regex"},
	{"a byte order mark counts no column", "\xef\xbb\xbf" "dorp",
	 "t.rules:1:1: expected an action (allow, drop, reject, ban, count), found \"dorp\"; did you "
	 "mean \"drop\"?"},
	{"a byte order mark only at the start", "# a\n\xef\xbb\xbf" "drop id:1 ua exists",
	 "t.rules:2:1: expected an action (allow, drop, reject, ban, count), found "
	 "\"\xef\xbb\xbf" "drop\""},
	{"one error per bad line, each line", "# \x01 \x02\n# ok\n\xff\n",
	 "t.rules:1:3: control character 0x01: a rules file is text; write it as \\x01 in a quoted "
	 "string or regex",
	 2},
	/* going on after an error */
	{"errors on several lines", "dorp id:1 ua exists\ndrop id:2 ua exists\ndrop id:3 ua <\n"
				    "drop id:2 ua exists\n",
	 "t.rules:1:1: expected an action (allow, drop, reject, ban, count), found \"dorp\"; "
	 "did you mean \"drop\"?",
	 3},
	{"an error then a continued line", "drop id:1 ua ~ /x/ bad \\\n and more\ndorp",
	 "t.rules:1:20: expected \"and\", an option or the end of the line, found \"bad\"", 2},
	{"duplicate id in one file", "drop id:1 ua exists\n\ndrop ua exists id:1",
	 "t.rules:3:16: duplicate id 1: already used at t.rules:1:1"},
};

/* 65 conditions on one line: "drop id:1 ua exists and ua exists ...". */
static char *many_conds(unsigned n)
{
	size_t cap = 16 + (size_t)n * 20;
	char *t = malloc(cap);
	size_t o = 0;

	if (t == NULL)
		return NULL;
	o += (size_t)snprintf(t, cap, "drop id:1");
	for (unsigned i = 0; i < n; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s exists ua", i ? " and" : "");
	return t;
}

static void test_bad(void)
{
	char b[700];

	for (size_t i = 0; i < NELEM(bad_rows); i++) {
		struct rs_ast *a = (struct rs_ast *)&a; /* must come back NULL */
		struct rs_diag d;
		char *many = bad_rows[i].text ? NULL : many_conds(65);
		const char *t = many ? many : bad_rows[i].text ? bad_rows[i].text : "";
		size_t len = bad_rows[i].len ? bad_rows[i].len : strlen(t);
		int rc;

		check_ctx = bad_rows[i].name;
		rc = rs_parse_buf("t.rules", NULL, t, len, NULL, &a, &d);
		CHECK_INT(rc, bad_rows[i].rc ? bad_rows[i].rc : -EINVAL);
		CHECK(a == NULL);
		CHECK_INT(d.n, bad_rows[i].n ? bad_rows[i].n : 1);
		CHECK_INT(d.n_more, 0);
		if (d.n > 0 && strcmp(rs_diag_str(&d, 0, b, sizeof(b)), bad_rows[i].want) != 0) {
			check_report(__FILE__, __LINE__, "first error differs");
			fprintf(stderr, "  got:  %s\n  want: %s\n", b, bad_rows[i].want);
		} else if (d.n > 0) {
			check_pass++;
		}
		free(many);
	}
}

/* ---- files and includes ---- */

/* Writes tmpdir/rel (its directory made) with text; returns the path in a
 * static buffer of its own per call slot (slot 0..3). */
static const char *wfile(unsigned slot, const char *rel, const char *text)
{
	static char path[4][512];
	char *p = path[slot & 3], *sl;
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, rel);
	sl = strrchr(p, '/');
	*sl = '\0';
	mkdir(p, 0700);
	*sl = '/';
	f = fopen(p, "w");
	if (f == NULL) {
		perror(p);
		return p;
	}
	fputs(text, f);
	fclose(f);
	return p;
}

/* rs_parse_file on path; the whole of diagnostic 0 in want (NULL: none
 * expected) and the return code. */
static struct rs_ast *pfile(const char *path, const struct rs_parse_opts *o, int rc_want,
			    const char *want)
{
	struct rs_ast *a = NULL;
	struct rs_diag d;
	char b[700];
	int rc = rs_parse_file(path, o, &a, &d);

	CHECK_INT(rc, rc_want);
	CHECK((rc == 0) == (a != NULL));
	if (want == NULL) {
		CHECK_INT(d.n, 0);
	} else if (d.n == 0 || strcmp(rs_diag_str(&d, 0, b, sizeof(b)), want) != 0) {
		check_report(__FILE__, __LINE__, "first error differs");
		fprintf(stderr, "  got:  %s\n  want: %s\n", d.n ? b : "(none)", want);
	} else {
		check_pass++;
	}
	if (rc != 0 || want != NULL)
		for (unsigned i = want ? 1 : 0; i < d.n; i++)
			fprintf(stderr, "  also: %s\n", rs_diag_str(&d, i, b, sizeof(b)));
	return a;
}

static void test_includes(void)
{
	struct rs_parse_opts o = {0};
	char want[1200], cwd[512], p[512];
	struct rs_ast *a;
	struct rs_diag d;
	struct stat st;
	uint64_t bytes = 0;
	const char *m;

	check_ctx = "includes: relative to the including file, in order";
	m = wfile(0, "inc/main.rules", "drop id:1 ua ~ /a/\ninclude \"sub/one.rules\"\ndrop id:4 ua ~ /d/\n");
	wfile(1, "inc/sub/one.rules", "drop id:2 ua ~ /b/\n  include \"two.rules\"  # here\n");
	wfile(2, "inc/sub/two.rules", "drop id:3 ua ~ /c/\n");
	a = pfile(m, NULL, 0, NULL);
	if (a != NULL) {
		CHECK_INT(a->n_rules, 4);
		for (uint32_t i = 0; i < a->n_rules && i < 4; i++)
			CHECK_INT(a->rules[i].id, i + 1);
		CHECK_INT(a->n_files, 3);
		snprintf(p, sizeof(p), "%s/inc/sub/one.rules", tmpdir);
		CHECK(a->n_files == 3 && strcmp(a->files[1], p) == 0);
		CHECK(strcmp(a->rules[1].loc.file, p) == 0);
		snprintf(p, sizeof(p), "%s/inc/sub/two.rules", tmpdir);
		CHECK(a->n_files == 3 && strcmp(a->files[2], p) == 0);
		CHECK(strcmp(a->rules[2].loc.file, p) == 0);
		for (unsigned i = 0; i < 3 && i < a->n_files; i++)
			if (stat(a->files[i], &st) == 0)
				bytes += (uint64_t)st.st_size;
		CHECK_INT(a->src_bytes, bytes);
		rs_ast_free(a);
	}

	check_ctx = "includes: a relative root path";
	if (getcwd(cwd, sizeof(cwd)) != NULL && chdir(tmpdir) == 0) {
		a = pfile("inc/main.rules", NULL, 0, NULL);
		CHECK(a != NULL && a->n_files == 3 && strcmp(a->files[2], "inc/sub/two.rules") == 0);
		rs_ast_free(a);
		check_ctx = "includes: rs_parse_buf, dir NULL is the current directory";
		a = NULL;
		CHECK_INT(rs_parse_buf("b", NULL, "include \"inc/sub/two.rules\"", 27, NULL, &a, &d), 0);
		CHECK(a != NULL && a->n_rules == 1 && a->n_files == 2);
		rs_ast_free(a);
		CHECK_INT(chdir(cwd), 0);
	}
	check_ctx = "includes: rs_parse_buf with a dir";
	snprintf(p, sizeof(p), "%s/inc", tmpdir);
	a = NULL;
	CHECK_INT(rs_parse_buf("b", p, "include \"sub/one.rules\"\n", 24, NULL, &a, &d), 0);
	CHECK(a != NULL && a->n_rules == 2 && strcmp(a->files[0], "b") == 0);
	rs_ast_free(a);

	check_ctx = "includes: an absolute path";
	snprintf(want, sizeof(want), "include \"%s/inc/sub/two.rules\"\n", tmpdir);
	a = pfile(wfile(0, "abs.rules", want), NULL, 0, NULL);
	CHECK(a != NULL && a->n_rules == 1);
	rs_ast_free(a);

	check_ctx = "includes: a missing file";
	m = wfile(0, "miss.rules", "drop id:1 ua exists\n\ninclude   \"nope.rules\"\n");
	snprintf(want, sizeof(want), "%s:3:11: include \"nope.rules\" (%s/nope.rules): No such file "
				     "or directory", m, tmpdir);
	pfile(m, NULL, -EINVAL, want);

	check_ctx = "includes: a directory";
	m = wfile(0, "dir.rules", "include \"inc\"\n");
	snprintf(want, sizeof(want), "%s:1:9: include \"inc\" (%s/inc): is a directory, not a "
				     "rules file", m, tmpdir);
	pfile(m, NULL, -EINVAL, want);

	check_ctx = "includes: the root missing";
	snprintf(p, sizeof(p), "%s/none.rules", tmpdir);
	snprintf(want, sizeof(want), "%s: No such file or directory", p);
	pfile(p, NULL, -EINVAL, want);

	check_ctx = "includes: a cycle";
	m = wfile(0, "cyc/a.rules", "drop id:1 ua exists\ninclude \"b.rules\"\n");
	wfile(1, "cyc/b.rules", "# b\ninclude \"../cyc/a.rules\"\n");
	snprintf(want, sizeof(want), "%s/cyc/b.rules:2:9: include cycle: %s/cyc/a.rules -> "
				     "%s/cyc/b.rules -> %s/cyc/../cyc/a.rules",
		 tmpdir, tmpdir, tmpdir, tmpdir);
	pfile(m, NULL, -EINVAL, want);

	check_ctx = "includes: a file including itself";
	m = wfile(0, "self.rules", "include \"self.rules\"\n");
	snprintf(want, sizeof(want), "%s:1:9: include cycle: %s -> %s", m, m, m);
	pfile(m, NULL, -EINVAL, want);

	check_ctx = "includes: one file twice";
	m = wfile(0, "twice.rules", "include \"inc/sub/two.rules\"\ninclude \"inc/sub/two.rules\"\n");
	snprintf(want, sizeof(want), "%s:2:9: \"inc/sub/two.rules\" is already included (as "
				     "%s/inc/sub/two.rules): include each file once", m, tmpdir);
	pfile(m, NULL, -EINVAL, want);

	check_ctx = "includes: duplicate ids across files";
	m = wfile(0, "dup.rules", "include \"dup2.rules\"\n\n  drop ua exists id:7\n");
	wfile(1, "dup2.rules", "\ndrop id:7 ua exists\n");
	snprintf(want, sizeof(want), "%s:3:18: duplicate id 7: already used at %s/dup2.rules:2:1", m,
		 tmpdir);
	pfile(m, NULL, -EINVAL, want);

	check_ctx = "includes: errors name the included file";
	m = wfile(0, "err.rules", "include \"err2.rules\"\ndrop id:1 ua exists\n");
	wfile(1, "err2.rules", "drop id:2 ua ~~ /x/\n");
	snprintf(want, sizeof(want), "%s/err2.rules:1:15: \"~\" needs a regex between slashes (ua ~ "
				     "/scanner/i), found \"~\"", tmpdir);
	pfile(m, NULL, -EINVAL, want);

	check_ctx = "includes: depth";
	for (unsigned i = 0; i < 10; i++) {
		char name[32], text[64];

		snprintf(name, sizeof(name), "deep/d%u.rules", i);
		snprintf(text, sizeof(text), "include \"d%u.rules\"\ndrop id:%u ua exists\n", i + 1,
			 i + 1);
		wfile(0, name, i < 9 ? text : "drop id:100 ua exists\n");
	}
	snprintf(p, sizeof(p), "%s/deep/d0.rules", tmpdir);
	o.max_depth = 9;
	a = pfile(p, &o, 0, NULL);
	CHECK(a != NULL && a->n_rules == 10 && a->n_files == 10 && a->rules[0].id == 100);
	rs_ast_free(a);
	o.max_depth = 2;
	snprintf(want, sizeof(want), "%s/deep/d2.rules:1:9: includes nested deeper than 2 "
				     "(max_depth): %s/deep/d0.rules -> %s/deep/d1.rules -> "
				     "%s/deep/d2.rules -> %s/deep/d3.rules",
		 tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	pfile(p, &o, -EFBIG, want);
	o.max_depth = 0; /* the default, 8: d9 is 9 deep; the chain is cut short */
	a = NULL;
	CHECK_INT(rs_parse_file(p, &o, &a, &d), -EFBIG);
	CHECK(a == NULL && d.n == 1);
	CHECK(strstr(d.e[0].msg, "includes nested deeper than 8 (max_depth): ") == d.e[0].msg);
	CHECK(strstr(d.e[0].file, "/deep/d8.rules") != NULL);
}

/* ---- limits ---- */

static void test_limits(void)
{
	struct rs_parse_opts o = {0};
	struct rs_ast *a;
	struct rs_diag d;
	char want[1200], b[700], *t;
	const char *m;
	int fd;

	check_ctx = "limits: a 50 MB file is refused by its size, unread";
	m = wfile(0, "big.rules", "drop id:1 ua exists\n");
	fd = open(m, O_WRONLY);
	CHECK(fd >= 0 && ftruncate(fd, 50u << 20) == 0); /* sparse: NULs past the rule */
	if (fd >= 0)
		close(fd);
	snprintf(want, sizeof(want), "%s: 52428800 bytes: over the limit of 16777216 bytes for all "
				     "rule files together", m);
	pfile(m, NULL, -EFBIG, want);
	check_ctx = "limits: a 50 MB file included";
	m = wfile(1, "inc-big.rules", "drop id:2 ua exists\ninclude \"big.rules\"\n");
	snprintf(want, sizeof(want), "%s:2:9: include \"big.rules\" (%s/big.rules): 52428800 bytes: "
				     "over the limit of 16777216 bytes for all rule files together",
		 m, tmpdir);
	pfile(m, NULL, -EFBIG, want);

	check_ctx = "limits: max_bytes counts every file";
	m = wfile(0, "mb.rules", "drop id:1 ua exists\ninclude \"mb2.rules\"\n"); /* 40 bytes */
	wfile(1, "mb2.rules", "drop id:2 ua exists\n");			       /* 20 bytes */
	o.max_bytes = 59;
	snprintf(want, sizeof(want), "%s:2:9: include \"mb2.rules\" (%s/mb2.rules): 20 bytes: over "
				     "the limit of 59 bytes for all rule files together", m, tmpdir);
	pfile(m, &o, -EFBIG, want);
	o.max_bytes = 60;
	a = pfile(m, &o, 0, NULL);
	CHECK(a != NULL && a->src_bytes == 60);
	rs_ast_free(a);

	check_ctx = "limits: a file that grows while read";
	/* procfs says 0 bytes and gives more: as a file growing under us */
	o.max_bytes = 64;
	pfile("/proc/self/status", &o, -EFBIG,
	      "/proc/self/status: grew while being read, past the limit of 64 bytes for all rule "
	      "files together");

	check_ctx = "limits: rs_parse_buf over max_bytes";
	o.max_bytes = 19;
	a = (struct rs_ast *)&o;
	CHECK_INT(rs_parse_buf("t.rules", NULL, "drop id:1 ua exists", 19, &o, &a, &d), 0);
	rs_ast_free(a);
	o.max_bytes = 18;
	CHECK_INT(rs_parse_buf("t.rules", NULL, "drop id:1 ua exists", 19, &o, &a, &d), -EFBIG);
	CHECK(a == NULL && d.n == 1 &&
	      strcmp(rs_diag_str(&d, 0, b, sizeof(b)),
		     "t.rules: 19 bytes: over the limit of 18 bytes for all rule files together") == 0);
	o.max_bytes = 0;

	check_ctx = "limits: max_rules";
	o.max_rules = 3;
	m = "drop id:1 ua exists\ndrop id:2 ua exists\ndrop id:3 ua exists\n"
	    "  drop id:4 ua exists\ndrop id:5 ua exists\ndorp\n";
	CHECK_INT(rs_parse_buf("t.rules", NULL, m, strlen(m), &o, &a, &d), -EFBIG);
	CHECK(a == NULL && d.n == 1 &&
	      strcmp(rs_diag_str(&d, 0, b, sizeof(b)),
		     "t.rules:4:3: more than 3 rules (the limit, max_rules)") == 0);
	o.max_rules = 0;

	check_ctx = "limits: lines of 65536 and 65537 bytes";
	t = malloc(70000);
	if (t != NULL) {
		memset(t, 'x', 70000);
		memcpy(t, "drop id:1 ua exists\n# ", 22);
		t[20 + 65536] = '\n';
		memcpy(t + 20 + 65537, "drop id:2 ua exists\n", 20);
		CHECK_INT(rs_parse_buf("t.rules", NULL, t, 20 + 65537 + 20, NULL, &a, &d), 0);
		CHECK(a != NULL && a->n_rules == 2);
		rs_ast_free(a);
		t[20 + 65536] = 'x';
		t[20 + 65537] = '\n';
		memcpy(t + 20 + 65538, "drop id:2 ua exists\n", 20);
		CHECK_INT(rs_parse_buf("t.rules", NULL, t, 20 + 65538 + 20, NULL, &a, &d), -EFBIG);
		CHECK(d.n == 1 && strcmp(rs_diag_str(&d, 0, b, sizeof(b)),
					 "t.rules:2:65537: line longer than 65536 bytes (the limit); "
					 "continue a long rule with \\ at the end of a line") == 0);
		free(t);
	}

	check_ctx = "limits: 64 conditions";
	t = many_conds(64);
	CHECK_INT(rs_parse_buf("t.rules", NULL, t, strlen(t), NULL, &a, &d), 0);
	CHECK(a != NULL && a->rules[0].n_cond == 64);
	rs_ast_free(a);
	free(t);

	check_ctx = "limits: msg of 256 and 257 bytes, header name of 255 and 256";
	t = malloc(1024);
	if (t != NULL) {
		int n = snprintf(t, 1024, "drop id:1 ua exists msg:\"%0256d\"", 0);

		CHECK_INT(rs_parse_buf("t.rules", NULL, t, (size_t)n, NULL, &a, &d), 0);
		CHECK(a != NULL && strlen(a->rules[0].msg) == 256);
		rs_ast_free(a);
		n = snprintf(t, 1024, "drop id:1 ua exists msg:\"%0257d\"", 0);
		CHECK_INT(rs_parse_buf("t.rules", NULL, t, (size_t)n, NULL, &a, &d), -EINVAL);
		CHECK(d.n == 1 && strcmp(rs_diag_str(&d, 0, b, sizeof(b)),
					 "t.rules:1:25: msg longer than 256 bytes (257)") == 0);
		n = snprintf(t, 1024, "drop id:1 exists hdr[%0255d]", 0);
		CHECK_INT(rs_parse_buf("t.rules", NULL, t, (size_t)n, NULL, &a, &d), 0);
		CHECK(a != NULL && a->rules[0].cond[0].hdr_len == 255);
		rs_ast_free(a);
		n = snprintf(t, 1024, "drop id:1 exists hdr[%0256d]", 0);
		CHECK_INT(rs_parse_buf("t.rules", NULL, t, (size_t)n, NULL, &a, &d), -EINVAL);
		free(t);
	}

	check_ctx = "limits: 1024 files";
	t = malloc(1100 * 32);
	if (t != NULL) {
		size_t off = 0;

		for (unsigned i = 0; i < 1100; i++) {
			char name[32];

			snprintf(name, sizeof(name), "many/f%u.rules", i);
			wfile(0, name, "");
			off += (size_t)snprintf(t + off, 1100 * 32 - off, "include \"many/f%u.rules\"\n",
						i);
		}
		CHECK_INT(rs_parse_buf("t.rules", tmpdir, t, off, NULL, &a, &d), -EFBIG);
		CHECK_INT(d.n + d.n_more, 1100 - 1023);
		CHECK(d.n > 0 && strcmp(rs_diag_str(&d, 0, b, sizeof(b)),
					"t.rules:1024:9: include \"many/f1023.rules\": more than 1024 "
					"files in one ruleset (the limit)") == 0);
		free(t);
	}

	check_ctx = "limits: the diagnostics cap";
	t = malloc(100 * 5);
	if (t != NULL) {
		for (unsigned i = 0; i < 100; i++)
			memcpy(t + i * 5, "dorp\n", 5);
		CHECK_INT(rs_parse_buf("t.rules", NULL, t, 500, NULL, &a, &d), -EINVAL);
		CHECK_INT(d.n, RS_DIAG_MAX);
		CHECK_INT(d.n_more, 100 - RS_DIAG_MAX);
		CHECK_INT(d.e[RS_DIAG_MAX - 1].line, RS_DIAG_MAX);
		free(t);
	}
}

/* ---- the API's edges ---- */

static void test_api(void)
{
	struct rs_ast *a = NULL;
	struct rs_diag d;
	char b[64];

	check_ctx = "api: bad arguments";
	CHECK_INT(rs_parse_buf("t", NULL, "drop id:1 ua exists", 19, NULL, NULL, &d), -EINVAL);
	CHECK_INT(rs_parse_buf("t", NULL, NULL, 5, NULL, &a, &d), -EINVAL);
	CHECK_INT(rs_parse_buf("t", NULL, NULL, 0, NULL, &a, &d), 0);
	CHECK(a != NULL && a->n_rules == 0 && a->n_files == 1);
	rs_ast_free(a);
	CHECK_INT(rs_parse_file(NULL, NULL, &a, &d), -EINVAL);
	CHECK_INT(rs_parse_file("x", NULL, NULL, &d), -EINVAL);
	rs_ast_free(NULL);

	check_ctx = "api: no diag wanted";
	CHECK_INT(rs_parse_buf("t", NULL, "dorp", 4, NULL, &a, NULL), -EINVAL);
	CHECK(a == NULL);

	check_ctx = "api: a NULL name";
	CHECK_INT(rs_parse_buf(NULL, NULL, "dorp", 4, NULL, &a, &d), -EINVAL);
	CHECK(d.n == 1 && strcmp(d.e[0].file, "<buffer>") == 0);

	check_ctx = "api: rs_diag_str";
	CHECK(strcmp(rs_diag_str(&d, 0, b, 12), "<buffer>:1:") == 0);
	CHECK(strcmp(rs_diag_str(&d, 1, b, sizeof(b)), "") == 0);
	CHECK(strcmp(rs_diag_str(NULL, 0, b, sizeof(b)), "") == 0);
	CHECK(rs_diag_str(&d, 0, NULL, 0) == NULL);
	d.e[0].line = 0;
	CHECK(strncmp(rs_diag_str(&d, 0, b, sizeof(b)), "<buffer>: expected an action", 28) == 0);
}

/* ---- files of the tree ---- */

/* The shipped rulesets parse, alone and together, every rule has a msg
 * and its id is in its file's range (rules/README.md). */
static void test_shipped(const char *root)
{
	static const struct {
		const char *file;
		uint32_t lo, hi;
	} sets[] = {
		{"rules/scanners.rules", 1000, 1999},
		{"rules/toll-fraud.rules", 2000, 2999},
		{"rules/hygiene.rules", 3000, 3999},
	};
	char p[PATH_MAX + 64], all[3 * PATH_MAX], abs[PATH_MAX];
	size_t o = 0;
	struct rs_ast *a;

	if (realpath(root, abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", root);
	for (size_t i = 0; i < NELEM(sets); i++) {
		check_ctx = sets[i].file;
		snprintf(p, sizeof(p), "%s/%s", abs, sets[i].file);
		o += (size_t)snprintf(all + o, sizeof(all) - o, "include \"%s\"\n", p);
		a = pfile(p, NULL, 0, NULL);
		if (a == NULL)
			continue;
		CHECK(a->n_rules >= 3);
		CHECK(ast_ok(a));
		for (uint32_t r = 0; r < a->n_rules; r++) {
			CHECK(a->rules[r].msg != NULL);
			CHECK(a->rules[r].id >= sets[i].lo && a->rules[r].id <= sets[i].hi);
		}
		rs_ast_free(a);
	}
	check_ctx = "the shipped rulesets together";
	a = pfile(wfile(0, "all.rules", all), NULL, 0, NULL);
	CHECK(a != NULL && a->n_files == 4);
	rs_ast_free(a);
}

/* tests/unit/rules/good.rules parses; bad.rules gives exactly the errors of
 * bad.expected, in order, and keeps going after each. */
static void test_rule_files(const char *root)
{
	char dir[600], cwd[600], line[800], b[800];
	struct rs_ast *a = NULL;
	struct rs_diag d;
	unsigned i = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/tests/unit/rules", root);
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) != 0) {
		check_ctx = dir;
		CHECK(!"cannot enter the rule files' directory");
		return;
	}
	check_ctx = "tests/unit/rules/good.rules";
	a = pfile("good.rules", NULL, 0, NULL);
	CHECK(a != NULL && a->n_rules >= 10 && ast_ok(a));
	if (a != NULL) { /* and the compiler takes all of it */
		void *blob = NULL;
		size_t blen;

		CHECK_INT(rs_compile(a, NULL, &blob, &blen, &d, NULL), 0);
		for (unsigned k = 0; k < d.n; k++)
			fprintf(stderr, "  %s\n", rs_diag_str(&d, k, b, sizeof(b)));
		free(blob);
	}
	rs_ast_free(a);
	check_ctx = "tests/unit/rules/bad.rules";
	CHECK_INT(rs_parse_file("bad.rules", NULL, &a, &d), -EINVAL);
	f = fopen("bad.expected", "r");
	CHECK(f != NULL);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (i >= d.n || strcmp(rs_diag_str(&d, i, b, sizeof(b)), line) != 0) {
			check_report(__FILE__, __LINE__, "error differs from bad.expected");
			fprintf(stderr, "  got:  %s\n  want: %s\n", i < d.n ? b : "(none)", line);
		} else {
			check_pass++;
		}
		i++;
	}
	CHECK_INT(d.n, i);
	if (f != NULL)
		fclose(f);
	CHECK_INT(chdir(cwd), 0);
}

/* ---- the shipped rulesets on real messages ---- */

/* What sipp sends in the lab (the scenarios of deploy/lab.d/, and sipp's built-in uac
 * scenario), its keywords filled in: no rule of the shipped sets may hold. */
static const char *const sipp_msgs[] = {
	"INVITE sip:service@10.10.0.1:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.10.0.2:5061;branch=z9hG4bK-12345-1-0;rport\r\n"
	"From: <sip:lab-uac@10.10.0.2:5061>;tag=12345SIPpTag001\r\n"
	"To: <sip:service@10.10.0.1:5060>\r\nCall-ID: 1-12345@10.10.0.2\r\nCSeq: 1 INVITE\r\n"
	"Contact: <sip:lab-uac@10.10.0.2:5061>\r\nMax-Forwards: 70\r\n"
	"Subject: sipedge lab call\r\nContent-Type: application/sdp\r\nContent-Length: 127\r\n\r\n"
	"v=0\r\no=lab 53655765 2353687637 IN IP4 10.10.0.2\r\ns=-\r\nc=IN IP4 10.10.0.2\r\n"
	"t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
	"ACK sip:service@10.10.0.3:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.10.0.2:5061;branch=z9hG4bK-12345-1-4;rport\r\n"
	"From: <sip:lab-uac@10.10.0.2:5061>;tag=12345SIPpTag001\r\n"
	"To: <sip:service@10.10.0.1:5060>;tag=98765SIPpTag011\r\nCall-ID: 1-12345@10.10.0.2\r\n"
	"CSeq: 1 ACK\r\nContact: <sip:lab-uac@10.10.0.2:5061>\r\nMax-Forwards: 70\r\n"
	"Content-Length: 0\r\n\r\n",
	"BYE sip:service@10.10.0.3:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.10.0.2:5061;branch=z9hG4bK-12345-1-7;rport\r\n"
	"From: <sip:lab-uac@10.10.0.2:5061>;tag=12345SIPpTag001\r\n"
	"To: <sip:service@10.10.0.1:5060>;tag=98765SIPpTag011\r\nCall-ID: 1-12345@10.10.0.2\r\n"
	"CSeq: 2 BYE\r\nContact: <sip:lab-uac@10.10.0.2:5061>\r\nMax-Forwards: 70\r\n"
	"Content-Length: 0\r\n\r\n",
	"REGISTER sip:10.10.0.1:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.10.0.2:5061;branch=z9hG4bK-12345-3-0;rport\r\n"
	"From: <sip:treg4u3@sipedge-lab>;tag=12345reg3\r\nTo: <sip:treg4u3@sipedge-lab>\r\n"
	"Call-ID: 3-12345@10.10.0.2\r\nCSeq: 1 REGISTER\r\n"
	"Contact: <sip:treg4u3@10.10.0.2:5061>\r\nExpires: 120\r\nSupported: path\r\n"
	"Max-Forwards: 70\r\nUser-Agent: sipedge-lab\r\nContent-Length: 0\r\n\r\n",
	"OPTIONS sip:10.10.0.1:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.10.0.2:5061;branch=z9hG4bK-12345-1-0;rport\r\n"
	"From: <sip:lab-probe@10.10.0.2:5061>;tag=12345opt1\r\nTo: <sip:10.10.0.1:5060>\r\n"
	"Call-ID: 1-12345@10.10.0.2\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
	"Accept: application/sdp\r\nContent-Length: 0\r\n\r\n",
	"INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.1.1:5061;branch=z9hG4bK-4242-1-0\r\n"
	"From: sipp <sip:sipp@127.0.1.1:5061>;tag=4242SIPpTag001\r\n"
	"To: service <sip:service@127.0.0.1:5060>\r\nCall-ID: 1-4242@127.0.1.1\r\n"
	"CSeq: 1 INVITE\r\nContact: sip:sipp@127.0.1.1:5061\r\nMax-Forwards: 70\r\n"
	"Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n",
	"CANCEL sip:service@10.10.0.1:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.10.0.2:5061;branch=z9hG4bK-12345-1-0;rport\r\n"
	"From: <sip:lab-uac@10.10.0.2:5061>;tag=12345SIPpTag001\r\n"
	"To: <sip:service@10.10.0.1:5060>\r\nCall-ID: 1-12345@10.10.0.2\r\nCSeq: 1 CANCEL\r\n"
	"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
};

/* The rules of s that hold for the message in buf: the verdict and the id
 * of every rule that holds (count and shadow too), -1 when it does not
 * parse as SIP. */
static int verdict(const struct rs_set *s, struct rs_scratch *sc, const char *buf, uint32_t len,
		   struct rs_verdict *v, uint32_t *ids, uint32_t max)
{
	static const struct rs_addr src = {.af = 4, .a = {10, 10, 0, 2}, .port = 5061};
	static const struct rs_addr dst = {.af = 4, .a = {10, 10, 0, 1}, .port = 5060};
	struct sip_msg m;
	uint32_t ranks[64];
	int n;

	if (sip_parse(buf, len, NULL, 0, &m) <= 0)
		return -1;
	n = rs_eval_match(s, sc, &m, &src, &dst, ranks, 64, v);
	for (int i = 0; i < n && (uint32_t)i < max && i < 64; i++) {
		struct rs_rule_info ri;

		rs_set_rule(s, ranks[i], &ri);
		ids[i] = ri.id;
	}
	return n;
}

/* The id of the rule that decided v, or 0. */
static uint32_t decider(const struct rs_set *s, const struct rs_verdict *v)
{
	struct rs_rule_info ri;

	if (v->action == RS_ACT_NONE)
		return 0;
	rs_set_rule(s, v->rule, &ri);
	return ri.id;
}

/* Every capture of sipvicious (tests/unit/rules/sipvicious/) is dropped by
 * scanners.rules, and still with its User-Agent taken out; sipp's traffic
 * matches nothing. Real compiler, loader and evaluator. */
static void test_verdicts(const char *root)
{
	char path[PATH_MAX], all[4 * PATH_MAX], err[256], b[700];
	struct rs_set *s = NULL;
	struct rs_scratch *sc = NULL;
	struct rs_ast *a;
	struct rs_diag d;
	struct dirent **ents;
	void *blob = NULL;
	size_t blen = 0;
	uint32_t ids[64];
	int n, k = 0;

	check_ctx = "verdicts: the shipped rulesets compile";
	if (realpath(root, path) == NULL)
		snprintf(path, sizeof(path), "%s", root);
	snprintf(all, sizeof(all), "include \"%s/rules/scanners.rules\"\n"
				   "include \"%s/rules/toll-fraud.rules\"\n"
				   "include \"%s/rules/hygiene.rules\"\n", path, path, path);
	a = pfile(wfile(0, "all.rules", all), NULL, 0, NULL);
	if (a == NULL)
		return;
	CHECK_INT(rs_compile(a, NULL, &blob, &blen, &d, NULL), 0);
	for (unsigned i = 0; i < d.n; i++)
		fprintf(stderr, "  %s\n", rs_diag_str(&d, i, b, sizeof(b)));
	rs_ast_free(a);
	if (blob == NULL || rs_set_load(blob, blen, &s, err, sizeof(err)) != 0 ||
	    rs_scratch_alloc(s, &sc) != 0) {
		check_report(__FILE__, __LINE__, err);
		goto out;
	}

	for (size_t i = 0; i < NELEM(sipp_msgs); i++) {
		struct rs_verdict v;

		check_ctx = "verdicts: sipp's traffic matches no rule";
		n = verdict(s, sc, sipp_msgs[i], (uint32_t)strlen(sipp_msgs[i]), &v, ids, 64);
		CHECK_INT(n, 0);
		CHECK_INT(v.action, RS_ACT_NONE);
		if (n < 0)
			fprintf(stderr, "  sipp message %zu does not parse\n", i);
		for (int j = 0; j < n && j < 64; j++)
			fprintf(stderr, "  sipp message %zu: rule %u holds\n", i, ids[j]);
	}

	snprintf(path, sizeof(path), "%s/tests/unit/rules/sipvicious", root);
	n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char file[PATH_MAX + 300], buf[4096], *ua;
		struct rs_verdict v;
		size_t len = 0;
		FILE *f;

		if (strstr(ents[i]->d_name, ".sip") == NULL)
			goto next;
		snprintf(file, sizeof(file), "%s/%s", path, ents[i]->d_name);
		check_ctx = ents[i]->d_name;
		f = fopen(file, "rb");
		if (f != NULL) {
			len = fread(buf, 1, sizeof(buf), f);
			fclose(f);
		}
		k++;
		CHECK(verdict(s, sc, buf, (uint32_t)len, &v, ids, 64) > 0);
		CHECK_INT(v.action, RS_ACT_DROP);
		CHECK(decider(s, &v) >= 1000 && decider(s, &v) < 1050);
		/* the same request with no User-Agent: a fingerprint still holds */
		ua = memmem(buf, len, "\r\nUser-Agent:", 13);
		if (ua != NULL) {
			char *eol = memmem(ua + 2, len - (size_t)(ua + 2 - buf), "\r\n", 2);

			if (eol != NULL) {
				memmove(ua, eol, len - (size_t)(eol - buf));
				len -= (size_t)(eol - ua);
			}
		}
		CHECK(memmem(buf, len, "User-Agent", 10) == NULL);
		CHECK(verdict(s, sc, buf, (uint32_t)len, &v, ids, 64) > 0);
		CHECK_INT(v.action, RS_ACT_DROP);
		CHECK(decider(s, &v) > 1002 && decider(s, &v) < 1050);
next:
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	check_ctx = "verdicts: the sipvicious captures";
	CHECK(k >= 10);
out:
	rs_scratch_free(sc);
	rs_set_free(s);
	free(blob);
}

/* ---- Hyperscan takes what the parser emits ---- */

static bool hs_hit_cb_seen;

static int hs_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
		  void *ctx)
{
	(void)id, (void)from, (void)to, (void)fl, (void)ctx;
	hs_hit_cb_seen = true;
	return 1;
}

/* Compiles the one condition of text's rule as rs_compile would (the
 * regex source, its flags) and scans subject with it. */
static int hs_matches(const char *text, const char *subject)
{
	struct rs_ast *a = NULL;
	struct rs_diag d;
	hs_database_t *db = NULL;
	hs_compile_error_t *ce = NULL;
	hs_scratch_t *sc = NULL;
	int rc = -1;

	if (rs_parse_buf("t", NULL, text, strlen(text), NULL, &a, &d) != 0)
		return -1;
	if (hs_compile(a->rules[0].cond[0].pat, a->rules[0].cond[0].hs_flags, HS_MODE_BLOCK, NULL,
		       &db, &ce) != HS_SUCCESS) {
		fprintf(stderr, "  hyperscan: %s\n", ce->message);
		hs_free_compile_error(ce);
	} else if (hs_alloc_scratch(db, &sc) == HS_SUCCESS) {
		hs_hit_cb_seen = false;
		hs_scan(db, subject, (unsigned)strlen(subject), 0, sc, hs_hit, NULL);
		rc = hs_hit_cb_seen;
	}
	hs_free_scratch(sc);
	hs_free_database(db);
	rs_ast_free(a);
	return rc;
}

static void test_hyperscan(void)
{
	check_ctx = "hyperscan: \\/ is a slash";
	CHECK_INT(hs_matches("drop id:1 ruri ~ /^sip:a\\/b$/", "sip:a/b"), 1);
	CHECK_INT(hs_matches("drop id:1 ruri ~ /^sip:a\\/b$/", "sip:a\\/b"), 0);
	check_ctx = "hyperscan: \\\\ is a backslash, and the slash after it closes";
	CHECK_INT(hs_matches("drop id:1 ua ~ /a\\\\/", "xa\\y"), 1);
	CHECK_INT(hs_matches("drop id:1 ua ~ /a\\\\/", "xay"), 0);
	check_ctx = "hyperscan: i is caseless";
	CHECK_INT(hs_matches("drop id:1 ua ~ /friendly-scanner/i", "Friendly-Scanner"), 1);
	CHECK_INT(hs_matches("drop id:1 ua ~ /friendly-scanner/", "Friendly-Scanner"), 0);
	check_ctx = "hyperscan: s lets . match a newline, m anchors lines";
	CHECK_INT(hs_matches("drop id:1 body ~ /a.b/s", "a\nb"), 1);
	CHECK_INT(hs_matches("drop id:1 body ~ /a.b/", "a\nb"), 0);
	CHECK_INT(hs_matches("drop id:1 body ~ /^b/m", "a\nb"), 1);
	CHECK_INT(hs_matches("drop id:1 body ~ /^b/", "a\nb"), 0);
	check_ctx = "hyperscan: u and p";
	CHECK_INT(hs_matches("drop id:1 ua ~ /^\\w$/up", "\xc3\xa9"), 1);
}

/* ---- random mutations ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* 20 000 mutants of the good rows (bytes changed, inserted, deleted,
 * lines swapped in from other rows, bytes that mean something to the
 * grammar): the parser never crashes (ASan, in build-asan), returns one of
 * its codes, an AST holding rs.h's invariants and no error, or errors and
 * no AST. */
static void test_mutations(void)
{
	static const char special[] = "\"/\\#&!~=<>[]:,\n \t\r\x00\xff\xc3i0-.*^$";
	struct rs_parse_opts o = {0};
	char buf[2048];
	unsigned bad = 0;

	check_ctx = "mutations";
	for (unsigned it = 0; it < 20000; it++) {
		const char *src = good_rows[rnd(NELEM(good_rows))].text;
		size_t n = strlen(src);
		struct rs_ast *a = NULL;
		struct rs_diag d;
		int rc;

		if (n > sizeof(buf) / 2)
			n = sizeof(buf) / 2;
		memcpy(buf, src, n);
		for (unsigned k = 1 + rnd(4); k > 0; k--) {
			uint32_t at = n ? rnd((uint32_t)n) : 0, what = rnd(4);
			char c = rnd(2) ? special[rnd(sizeof(special) - 1)] : (char)rnd(256);

			if (what == 0 && n > 0) {
				buf[at] = c;
			} else if (what == 1 && n + 1 < sizeof(buf)) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = c;
				n++;
			} else if (what == 2 && n > 0) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			} else {
				const char *o2 = good_rows[rnd(NELEM(good_rows))].text;
				size_t m = strlen(o2), from = m ? rnd((uint32_t)m) : 0;
				size_t take = m - from < 40 ? m - from : 40;

				if (n + take < sizeof(buf)) {
					memmove(buf + at + take, buf + at, n - at);
					memcpy(buf + at, o2 + from, take);
					n += take;
				}
			}
		}
		o.max_rules = rnd(8) == 0 ? 1 : 0;
		rc = rs_parse_buf("m.rules", NULL, buf, n, &o, &a, &d);
		if (rc == 0 && (a == NULL || !ast_ok(a) || d.n != 0))
			bad++;
		if (rc != 0 && (a != NULL || d.n == 0 || (rc != -EINVAL && rc != -EFBIG)))
			bad++;
		for (unsigned i = 0; i < d.n; i++)
			if (strcmp(d.e[i].file, "m.rules") != 0 || d.e[i].line == 0 ||
			    d.e[i].col == 0 || d.e[i].msg[0] == '\0')
				bad++;
		rs_ast_free(a);
	}
	CHECK_INT(bad, 0);
}

static void rm_tree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_rs_parse SOURCE_ROOT\n");
		return 2;
	}
	/* /tmp rather than $TMPDIR: the include chains in the expected
	 * messages must fit their 200 bytes */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_rs_parse.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		return 2;
	}
	test_good();
	test_fields();
	test_locations();
	test_bad();
	test_includes();
	test_limits();
	test_api();
	test_hyperscan();
	test_shipped(argv[1]);
	test_rule_files(argv[1]);
	test_verdicts(argv[1]);
	test_readme(argv[1]);
	test_mutations();
	rm_tree(tmpdir);
	return check_summary();
}
