/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_cp_cmds.c - the control socket's command table (control/cp_cmds.c):
 * the table's own shape, the dispatcher's refusals (envelope, access,
 * every argument type and bound) with their messages and counter reasons,
 * the rules, bans, state and explain refusals that need no dataplane, and
 * docs/control.md against the table.
 *
 *   test_cp_cmds SOURCE_ROOT
 */
#define CHECK_MAIN
#include <stdlib.h>

#include "check.h"
#include "cp_cmds.h"
#include "ctl_rs.h"

static struct ctl_cp cp;

/* Runs one request line; returns the reply (owned by the caller). */
static json_t *run(const char *line, enum ctl_access access, int *bad)
{
	json_t *msg = json_loads(line, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL), *r;

	if (msg == NULL)
		return NULL;
	r = ctl_cmds_run(&cp, 1, access, msg, bad);
	json_decref(msg);
	return r;
}

struct row {
	const char *name, *line;
	enum ctl_access access;
	int ok;
	int bad; /* CTL_BAD_ or -1 */
	const char *err; /* substring of the error */
};

static const struct row rows[] = {
	{"ping", "{\"id\":1,\"cmd\":\"ping\"}", CTL_ACCESS_READ, 1, -1, NULL},
	{"no id", "{\"cmd\":\"ping\"}", CTL_ACCESS_READ, 1, -1, NULL},
	{"status", "{\"id\":\"a\",\"cmd\":\"status\"}", CTL_ACCESS_READ, 1, -1, NULL},
	{"help", "{\"cmd\":\"help\"}", CTL_ACCESS_READ, 1, -1, NULL},
	{"nodes", "{\"cmd\":\"nodes\"}", CTL_ACCESS_ADMIN, 1, -1, NULL},
	{"not object", "[1]", CTL_ACCESS_ADMIN, 0, CTL_BAD_not_object, "a request is a JSON object"},
	{"string", "\"status\"", CTL_ACCESS_ADMIN, 0, CTL_BAD_not_object, "JSON object"},
	{"bad id", "{\"id\":{},\"cmd\":\"ping\"}", CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_id,
	 "\"id\": expected an integer or a string, got {}"},
	{"bad id float", "{\"id\":1.5,\"cmd\":\"ping\"}", CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_id,
	 "got 1.5"},
	{"no cmd", "{\"id\":1}", CTL_ACCESS_ADMIN, 0, CTL_BAD_no_cmd, "\"cmd\" is missing"},
	{"cmd null", "{\"cmd\":null}", CTL_ACCESS_ADMIN, 0, CTL_BAD_no_cmd,
	 "\"cmd\": expected a string, got null"},
	{"unknown", "{\"cmd\":\"frobnicate\"}", CTL_ACCESS_ADMIN, 0, CTL_BAD_unknown_cmd,
	 "unknown command \"frobnicate\" (`help` lists them)"},
	{"case", "{\"cmd\":\"STATUS\"}", CTL_ACCESS_ADMIN, 0, CTL_BAD_unknown_cmd, "\"STATUS\""},
	{"ro admin", "{\"cmd\":\"config.reload\"}", CTL_ACCESS_READ, 0, CTL_BAD_access_denied,
	 "config.reload: needs the admin socket (this one is read-only)"},
	{"ro drain", "{\"cmd\":\"backend.drain\",\"name\":\"k\"}", CTL_ACCESS_READ, 0,
	 CTL_BAD_access_denied, "needs the admin socket"},
	{"unknown arg", "{\"cmd\":\"ping\",\"x\":1}", CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args,
	 "ping: unknown argument \"x\""},
	{"missing arg", "{\"cmd\":\"backend.weight\",\"name\":\"k\"}", CTL_ACCESS_ADMIN, 0,
	 CTL_BAD_bad_args, "backend.weight: argument \"weight\" (integer) is required"},
	{"int as string", "{\"cmd\":\"backend.weight\",\"name\":\"k\",\"weight\":\"5\"}",
	 CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args,
	 "argument \"weight\": expected an integer in [1, 65535], got \"5\""},
	{"int float", "{\"cmd\":\"backend.weight\",\"name\":\"k\",\"weight\":5.0}", CTL_ACCESS_ADMIN,
	 0, CTL_BAD_bad_args, "got 5.0"},
	{"int zero", "{\"cmd\":\"backend.weight\",\"name\":\"k\",\"weight\":0}", CTL_ACCESS_ADMIN, 0,
	 CTL_BAD_bad_args, "got 0"},
	{"int over", "{\"cmd\":\"backend.weight\",\"name\":\"k\",\"weight\":65536}", CTL_ACCESS_ADMIN,
	 0, CTL_BAD_bad_args, "got 65536"},
	{"int bool", "{\"cmd\":\"backend.weight\",\"name\":\"k\",\"weight\":true}", CTL_ACCESS_ADMIN,
	 0, CTL_BAD_bad_args, "got true"},
	{"str as int", "{\"cmd\":\"backend.drain\",\"name\":5}", CTL_ACCESS_ADMIN, 0,
	 CTL_BAD_bad_args, "argument \"name\": expected a string of 1 to 63 bytes, got 5"},
	{"str empty", "{\"cmd\":\"backend.drain\",\"name\":\"\"}", CTL_ACCESS_ADMIN, 0,
	 CTL_BAD_bad_args, "got \"\""},
	{"str NUL", "{\"cmd\":\"backend.drain\",\"name\":\"a\\u0000b\"}", CTL_ACCESS_ADMIN, 0,
	 CTL_BAD_bad_args, "argument \"name\""},
	{"str long", "{\"cmd\":\"nodes\",\"node\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	 CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args, "aaaa..."},
	{"no such node", "{\"cmd\":\"stats\",\"node\":\"gw9\"}", CTL_ACCESS_ADMIN, 0, -1,
	 "node \"gw9\": no such node"},
	{"no such backend", "{\"cmd\":\"backend.drain\",\"name\":\"kam9\"}", CTL_ACCESS_ADMIN, 0, -1,
	 "backend \"kam9\": no node has it"},
	{"rules.list", "{\"cmd\":\"rules.list\"}", CTL_ACCESS_READ, 1, -1, NULL},
	{"rules.load no files", "{\"cmd\":\"rules.load\"}", CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args,
	 "rules.load: argument \"files\" (array of strings) is required"},
	{"rules.load files string", "{\"cmd\":\"rules.load\",\"files\":\"/a.rules\"}",
	 CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args,
	 "argument \"files\": expected an array of 1 to 64 strings, got \"/a.rules\""},
	{"rules.load files empty", "{\"cmd\":\"rules.load\",\"files\":[]}", CTL_ACCESS_ADMIN, 0,
	 CTL_BAD_bad_args, "expected an array of 1 to 64 strings, got []"},
	{"rules.load file number", "{\"cmd\":\"rules.load\",\"files\":[\"/a\",7]}", CTL_ACCESS_ADMIN,
	 0, CTL_BAD_bad_args, "argument \"files\"[1]: expected a string of 1 to 4095 bytes, got 7"},
	{"rules.load file NUL", "{\"cmd\":\"rules.load\",\"files\":[\"/a\\u0000b\"]}",
	 CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args, "argument \"files\"[0]"},
	{"rules.load relative", "{\"cmd\":\"rules.load\",\"files\":[\"a.rules\"]}", CTL_ACCESS_ADMIN,
	 0, -1, "files[0]: \"a.rules\" is not an absolute path"},
	{"rules.load ro", "{\"cmd\":\"rules.load\",\"files\":[\"/a\"]}", CTL_ACCESS_READ, 0,
	 CTL_BAD_access_denied, "rules.load: needs the admin socket"},
	{"rules.show nothing live", "{\"cmd\":\"rules.show\"}", CTL_ACCESS_READ, 0, -1,
	 "no live ruleset: name a version"},
	{"rules.show no version", "{\"cmd\":\"rules.show\",\"version\":4}", CTL_ACCESS_READ, 0, -1,
	 "version 4: no such version in the history"},
	{"state", "{\"cmd\":\"state\"}", CTL_ACCESS_READ, 1, -1, NULL},
	{"state limit 0", "{\"cmd\":\"state\",\"limit\":0}", CTL_ACCESS_READ, 0, CTL_BAD_bad_args,
	 "argument \"limit\": expected an integer in [1, 1000], got 0"},
	{"state.rollback ro", "{\"cmd\":\"state.rollback\"}", CTL_ACCESS_READ, 0,
	 CTL_BAD_access_denied, "state.rollback: needs the admin socket"},
	{"state.rollback empty", "{\"cmd\":\"state.rollback\"}", CTL_ACCESS_ADMIN, 0, -1,
	 "state.rollback: nothing to roll back: no state change is in the history"},
	{"state.rollback node", "{\"cmd\":\"state.rollback\",\"node\":\"gwX\"}", CTL_ACCESS_ADMIN,
	 0, -1, "node \"gwX\": no such node"},
	{"state.rollback node type", "{\"cmd\":\"state.rollback\",\"node\":true}",
	 CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args, "argument \"node\": expected a string"},
	{"rules.rollback nothing", "{\"cmd\":\"rules.rollback\"}", CTL_ACCESS_ADMIN, 0, -1,
	 "no version before the live one"},
	{"rules.unload live", "{\"cmd\":\"rules.unload\",\"shadow\":false}", CTL_ACCESS_ADMIN, 0,
	 -1, "only the shadow ruleset is unloaded"},
	{"rules.unload none", "{\"cmd\":\"rules.unload\",\"shadow\":true}", CTL_ACCESS_ADMIN, 0, -1,
	 "no shadow ruleset is loaded"},
	{"explain no message", "{\"cmd\":\"explain\"}", CTL_ACCESS_READ, 0, -1,
	 "give the message as \"message\" (text) or \"message_b64\""},
	{"explain bad from", "{\"cmd\":\"explain\",\"message\":\"x\",\"from\":\"1.2.3\"}",
	 CTL_ACCESS_READ, 0, -1, "from: \"1.2.3\" is not ADDRESS[:PORT]"},
	{"explain bad to", "{\"cmd\":\"explain\",\"message\":\"x\",\"to\":\"[::1\"}",
	 CTL_ACCESS_READ, 0, -1, "to: \"[::1\" is not ADDRESS[:PORT]"},
	{"explain bad b64", "{\"cmd\":\"explain\",\"message_b64\":\"abc=x\"}", CTL_ACCESS_READ, 0,
	 -1, "message_b64: not base64 at character"},
	{"explain no rules: forward", "{\"cmd\":\"explain\",\"message\":\"OPTIONS sip:a@b SIP/2.0\\r\\n"
	 "Via: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\\r\\nFrom: <sip:a@b>;tag=1\\r\\nTo: <sip:a@b>\\r\\n"
	 "Call-ID: 1\\r\\nCSeq: 1 OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n\"}",
	 CTL_ACCESS_READ, 1, -1, NULL},
	{"bans.add host bits", "{\"cmd\":\"bans.add\",\"prefix\":\"192.0.2.1/24\"}", CTL_ACCESS_ADMIN,
	 0, -1, "prefix \"192.0.2.1/24\": host bits are set (the network is 192.0.2.0/24)"},
	{"bans.add v6 host bits", "{\"cmd\":\"bans.add\",\"prefix\":\"2001:db8::1/32\"}",
	 CTL_ACCESS_ADMIN, 0, -1, "(the network is 2001:db8::/32)"},
	{"bans.add not an address", "{\"cmd\":\"bans.add\",\"prefix\":\"300.1.1.1\"}",
	 CTL_ACCESS_ADMIN, 0, -1,
	 "prefix \"300.1.1.1\": not an IPv4 or IPv6 address with an optional /length"},
	{"bans.add name", "{\"cmd\":\"bans.add\",\"prefix\":\"example.com\"}", CTL_ACCESS_ADMIN, 0,
	 -1, "not an IPv4 or IPv6 address"},
	{"bans.add length", "{\"cmd\":\"bans.add\",\"prefix\":\"192.0.2.0/33\"}", CTL_ACCESS_ADMIN,
	 0, -1, "length \"33\" is not 1..32"},
	{"bans.add length 0", "{\"cmd\":\"bans.add\",\"prefix\":\"0.0.0.0/0\"}", CTL_ACCESS_ADMIN,
	 0, -1, "length \"0\" is not 1..32"},
	{"bans.add length word", "{\"cmd\":\"bans.add\",\"prefix\":\"192.0.2.0/x\"}",
	 CTL_ACCESS_ADMIN, 0, -1, "length \"x\" is not 1..32"},
	{"bans.add for 0", "{\"cmd\":\"bans.add\",\"prefix\":\"192.0.2.0/24\",\"for_s\":0}",
	 CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args,
	 "argument \"for_s\": expected an integer in [1, 31536000], got 0"},
	{"bans.add no prefix", "{\"cmd\":\"bans.add\"}", CTL_ACCESS_ADMIN, 0, CTL_BAD_bad_args,
	 "bans.add: argument \"prefix\" (string) is required"},
	{"bans.add ro", "{\"cmd\":\"bans.add\"}", CTL_ACCESS_READ, 0, CTL_BAD_access_denied, "admin"},
	{"bans.remove not ours", "{\"cmd\":\"bans.remove\",\"prefix\":\"10.0.0.0/8\"}",
	 CTL_ACCESS_ADMIN, 0, -1, "bans.remove 10.0.0.0/8: no manual ban of that prefix"},
	{"bans.remove no node", "{\"cmd\":\"bans.remove\",\"prefix\":\"10.1.2.3\"}", CTL_ACCESS_ADMIN,
	 0, -1, "bans.remove 10.1.2.3: no manual ban and no node has it banned"},
	{"bans.list limit", "{\"cmd\":\"bans.list\",\"limit\":0}", CTL_ACCESS_READ, 0,
	 CTL_BAD_bad_args, "argument \"limit\": expected an integer in [1, 10000], got 0"},
	{"bans.list", "{\"cmd\":\"bans.list\"}", CTL_ACCESS_READ, 1, -1, NULL},
};

static void test_rows(void)
{
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		int bad = -2;
		json_t *r = run(w->line, w->access, &bad);
		const char *err;

		check_ctx = w->name;
		CHECK(r != NULL);
		if (r == NULL)
			continue;
		CHECK(json_is_boolean(json_object_get(r, "ok")));
		CHECK_INT(json_is_true(json_object_get(r, "ok")), w->ok);
		CHECK(json_object_get(r, "id") != NULL);
		CHECK_INT(bad, w->bad);
		err = json_string_value(json_object_get(r, "error"));
		if (w->err != NULL) {
			CHECK(err != NULL && strstr(err, w->err) != NULL);
			if (err == NULL || strstr(err, w->err) == NULL)
				fprintf(stderr, "  got:  %s\n  want: %s\n", err, w->err);
		} else {
			CHECK(err == NULL);
		}
		json_decref(r);
	}
}

static void test_ids(void)
{
	int bad;
	json_t *r = run("{\"id\":42,\"cmd\":\"ping\"}", CTL_ACCESS_READ, &bad);

	check_ctx = "id echoed";
	CHECK_INT(json_integer_value(json_object_get(r, "id")), 42);
	json_decref(r);
	r = run("{\"id\":\"x-1\",\"cmd\":\"frobnicate\"}", CTL_ACCESS_READ, &bad);
	CHECK(strcmp(json_string_value(json_object_get(r, "id")), "x-1") == 0);
	json_decref(r);
	r = run("{\"id\":[1],\"cmd\":\"ping\"}", CTL_ACCESS_READ, &bad);
	check_ctx = "bad id not echoed";
	CHECK(json_is_null(json_object_get(r, "id")));
	json_decref(r);
}

/* The table: unique names, every row complete, args well-formed; every
 * admin command has a read-only sibling for looking before changing. */
static void test_table(void)
{
	unsigned i, j, n;
	const struct ctl_cmd_def *t = ctl_cmds_table(&n);

	check_ctx = "table";
	CHECK(n >= 10);
	for (i = 0; i < n; i++) {
		const struct ctl_arg *a;

		check_ctx = t[i].name;
		CHECK(t[i].name != NULL && t[i].name[0] != '\0');
		CHECK(strspn(t[i].name, "abcdefghijklmnopqrstuvwxyz.") == strlen(t[i].name));
		CHECK(t[i].help != NULL && t[i].help[0] != '\0');
		CHECK(t[i].run != NULL);
		CHECK(t[i].access == CTL_ACCESS_READ || t[i].access == CTL_ACCESS_ADMIN);
		CHECK(ctl_cmds_find(t[i].name) == &t[i]);
		for (j = 0; j < i; j++)
			CHECK(strcmp(t[i].name, t[j].name) != 0);
		for (a = t[i].args; a->name != NULL; a++) {
			CHECK(strcmp(a->name, "id") != 0 && strcmp(a->name, "cmd") != 0);
			CHECK(a->type >= CTL_ARG_STR && a->type <= CTL_ARG_STRS);
			CHECK(a->lo <= a->hi);
			CHECK(a->help != NULL && a->help[0] != '\0');
		}
	}
	check_ctx = "required commands";
	CHECK(ctl_cmds_find("status") != NULL && ctl_cmds_find("stats") != NULL &&
	      ctl_cmds_find("backends") != NULL && ctl_cmds_find("config.reload") != NULL &&
	      ctl_cmds_find("rules.list") != NULL && ctl_cmds_find("bans.list") != NULL);
	check_ctx = "access";
	CHECK(ctl_cmds_find("config.reload")->access == CTL_ACCESS_ADMIN);
	CHECK(ctl_cmds_find("backend.drain")->access == CTL_ACCESS_ADMIN);
	CHECK(ctl_cmds_find("stats")->access == CTL_ACCESS_READ);
}

/* docs/control.md has a section "### `name`" per command that names its
 * access level and each argument. */
static void test_doc(const char *root)
{
	char path[4096], head[128], *doc = calloc(1, 1 << 20), *sec, *next;
	unsigned i, n;
	const struct ctl_cmd_def *t = ctl_cmds_table(&n);
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/control.md", root);
	f = fopen(path, "rb");
	check_ctx = "docs/control.md";
	CHECK(f != NULL);
	if (f == NULL) {
		free(doc);
		return;
	}
	if (fread(doc, 1, (1 << 20) - 1, f) == 0)
		CHECK(!"empty");
	fclose(f);
	for (i = 0; i < n; i++) {
		const struct ctl_arg *a;

		snprintf(head, sizeof(head), "### `%s`", t[i].name);
		check_ctx = t[i].name;
		sec = strstr(doc, head);
		CHECK(sec != NULL);
		if (sec == NULL)
			continue;
		next = strstr(sec + 4, "\n### ");
		if (next != NULL)
			*next = '\0';
		CHECK(strstr(sec, t[i].access == CTL_ACCESS_ADMIN ? "Access: admin"
								  : "Access: read") != NULL);
		for (a = t[i].args; a->name != NULL; a++) {
			snprintf(head, sizeof(head), "`%s`", a->name);
			CHECK(strstr(sec, head) != NULL);
		}
		if (next != NULL)
			*next = '\n';
	}
	for (i = 0; i < CTL_BAD__COUNT; i++) {
		snprintf(head, sizeof(head), "`%s`", ctl_bad_names[i]);
		check_ctx = ctl_bad_names[i];
		CHECK(strstr(doc, head) != NULL);
	}
	free(doc);
}

/* Rule files named relative to a directory (rules.files to the config's,
 * sipedgectl's FILE to the current one): the leading ./ and ../ folded,
 * what follows kept as written. */
static void test_path_join(void)
{
	static const char *const joins[][3] = {
		{"/a/b", "x.rules", "/a/b/x.rules"},
		{"/a/b", "./x.rules", "/a/b/x.rules"},
		{"/a/b", "../x.rules", "/a/x.rules"},
		{"/a/b", "./../../rules/x.rules", "/rules/x.rules"},
		{"/a", "../../../x.rules", "/x.rules"}, /* no higher than / */
		{"/", "x.rules", "/x.rules"},
		{"/a/b", ".//x.rules", "/a/b/x.rules"},
		{"/a/b", "c/../x.rules", "/a/b/c/../x.rules"}, /* c could be a link */
		{"/a/b", "../c/./x.rules", "/a/c/./x.rules"},
	};
	char out[256];

	for (unsigned i = 0; i < sizeof(joins) / sizeof(joins[0]); i++) {
		check_ctx = joins[i][1];
		ctl_rs_path_join(out, sizeof(out), joins[i][0], joins[i][1]);
		CHECK(strcmp(out, joins[i][2]) == 0);
		if (strcmp(out, joins[i][2]) != 0)
			fprintf(stderr, "  %s + %s: got %s, want %s\n", joins[i][0], joins[i][1], out,
				joins[i][2]);
	}
}

int main(int argc, char **argv)
{
	ctl_cfg_defaults(&cp.cfg);
	snprintf(cp.cfg.state_dir, sizeof(cp.cfg.state_dir), "/nonexistent/sipedge-test");
	cp.loop = ctl_loop_new();
	ctl_bans_init(&cp);
	ctl_rules_init(&cp);
	test_table();
	test_rows();
	test_ids();
	test_path_join();
	test_doc(argc > 1 ? argv[1] : ".");
	ctl_rules_free(&cp);
	ctl_bans_free(&cp);
	ctl_loop_free(cp.loop);
	printf("%u passed, %u failed\n", check_pass, check_fail);
	return check_fail != 0;
}
