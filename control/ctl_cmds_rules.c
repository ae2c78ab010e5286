/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_cmds_rules.c - sipedgectl rules, explain and bans (docs/sipedgectl.md).
 *
 * Every subcommand but one asks sipedge-control. `rules check` needs no
 * daemon: it links the rules library and parses and compiles the files
 * here, as control would (ctl_rs_parse.c is the same code), so that a
 * file can be checked on a laptop or in CI before it goes near a gateway.
 * File names are made absolute before they are sent: control reads them
 * from its own directory, not the operator's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cp_codec.h"
#include "ctl_client.h"
#include "ctl_json.h"
#include "ctl_rs.h"

/* rows of the option tables below, after the remote ones */
enum { OPT_SHADOW = CTL_RO__COUNT, OPT_VERSION, OPT_NODE };
enum { OPT_FROM = CTL_RO__COUNT, OPT_TO, OPT_ENODE };
enum { OPT_FOR = CTL_RO__COUNT, OPT_LIMIT };

const struct ctl_opt ctl_rules_opts[] = {
	CTL_REMOTE_OPT_ROWS,
	{"shadow", NULL, 0, 0, 0, "load: as the shadow ruleset; unload: the shadow ruleset", NULL},
	{"version", "V", 1, UINT32_MAX, 0, "show: this version (default: the live one)", NULL},
	{"node", "NAME", 0, 0, 0, "stats: only this node (default: all)", ""},
	{NULL},
};

const struct ctl_opt ctl_explain_opts[] = {
	CTL_REMOTE_OPT_ROWS,
	{"from", "ADDR", 0, 0, 0, "the message's source, ADDRESS[:PORT]", "192.0.2.1:5060"},
	{"to", "ADDR", 0, 0, 0, "its destination (default: the node's access address)", ""},
	{"node", "NAME", 0, 0, 0, "whose limits and address apply (default: the first connected)",
	 ""},
	{NULL},
};

const struct ctl_opt ctl_bans_opts[] = {
	CTL_REMOTE_OPT_ROWS,
	{"for", "DURATION", 0, 0, 0, "add: how long (90, 90s, 15m, 2h, 7d; default: until removed)",
	 ""},
	{"limit", "N", 1, 10000, 1000, "list: at most N dynamic bans per node", NULL},
	{NULL},
};

/* Compiles can take minutes on a large ruleset: a longer default wait. */
static struct ctl_args slow(const struct ctl_args *a)
{
	struct ctl_args b = *a;

	if (!b.set[CTL_RO_TIMEOUT]) {
		b.set[CTL_RO_TIMEOUT] = true;
		b.val[CTL_RO_TIMEOUT] = 600;
	}
	return b;
}

static int usage(const char *what)
{
	fprintf(stderr, "sipedgectl %s\n", what);
	return CTL_EXIT_USAGE;
}

/* Only the options this subcommand takes. */
static int only_opts(const struct ctl_args *a, const char *sub, unsigned allowed)
{
	static const char *const names[] = {[OPT_SHADOW] = "--shadow", [OPT_VERSION] = "--version",
					    [OPT_NODE] = "--node"};
	unsigned o;

	for (o = OPT_SHADOW; o <= OPT_NODE; o++) {
		if (a->set[o] && !(allowed & (1u << o))) {
			fprintf(stderr, "sipedgectl rules %s: %s does not apply\n", sub, names[o]);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_version(const char *s, const char *what, json_int_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || x == 0 || x > INT64_MAX) {
		fprintf(stderr, "sipedgectl rules: %s \"%s\" is not a number from 1\n", what, s);
		return -EINVAL;
	}
	*v = (json_int_t)x;
	return 0;
}

/* FILE made absolute against the current directory, as the daemon makes
 * rules.files absolute against its config's (getcwd has no symlink in it;
 * none in FILE is resolved: the names in diagnostics stay the operator's).
 * An empty FILE (a script's unset variable) is refused, not read as the
 * directory: NULL. */
static json_t *abs_paths(char **args, unsigned n)
{
	json_t *arr = json_array();
	char cwd[PATH_MAX], buf[PATH_MAX * 2];
	unsigned i;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	for (i = 0; i < n; i++) {
		if (args[i][0] == '\0') {
			fprintf(stderr, "sipedgectl rules: FILE %u is empty: no file name\n", i + 1);
			json_decref(arr);
			return NULL;
		}
		if (args[i][0] == '/')
			snprintf(buf, sizeof(buf), "%s", args[i]);
		else
			ctl_rs_path_join(buf, sizeof(buf), cwd, args[i]);
		json_array_append_new(arr, json_string(buf));
	}
	return arr;
}

static void print_diags(json_t *r)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(r, "diagnostics"), i, d)
		fprintf(stderr, "%s\n", json_string_value(d));
	if (json_integer_value(json_object_get(r, "diagnostics_more")) > 0)
		fprintf(stderr, "... and %lld more\n",
			(long long)json_integer_value(json_object_get(r, "diagnostics_more")));
}

static const char *fmt_bytes(json_t *v, char *buf, size_t len)
{
	double b = (double)json_integer_value(v);

	if (!json_is_integer(v))
		return "-";
	if (b < 1024)
		snprintf(buf, len, "%.0f B", b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", b / 1024);
	else
		snprintf(buf, len, "%.1f MiB", b / (1024 * 1024));
	return buf;
}

/* Per node: in force, pending, refused, aborted, cleared. */
static void print_node_results(json_t *r)
{
	json_t *res;
	size_t i;

	json_array_foreach(json_object_get(r, "results"), i, res) {
		const char *node = json_string_value(json_object_get(res, "node"));

		if (json_is_true(json_object_get(res, "pending")))
			printf("%s: pending (not connected: it gets it when it connects)\n", node);
		else if (json_is_true(json_object_get(res, "aborted")))
			printf("%s: loaded, then aborted (another node failed)\n", node);
		else if (json_is_true(json_object_get(res, "cleared")))
			printf("%s: cleared\n", node);
		else if (json_is_true(json_object_get(res, "ok")) &&
			 json_is_integer(json_object_get(res, "state_version")))
			printf("%s: in force (state version %lld)\n", node,
			       (long long)json_integer_value(json_object_get(res, "state_version")));
		else if (json_is_true(json_object_get(res, "ok")))
			printf("%s: in force (loaded in %.1f ms)\n", node,
			       json_number_value(json_object_get(res, "load_ms")));
		else
			printf("%s: refused: %s\n", node,
			       json_string_value(json_object_get(res, "error")));
	}
}

/* load and rollback: the new version, or the diagnostics; each node. */
static int push_reply(const struct ctl_cmd *cmd, const struct ctl_args *a, json_t *req)
{
	struct ctl_args b = slow(a);
	json_t *r;
	char buf[32];
	int rc = ctl_remote(cmd, &b, req, &r);

	if (r == NULL)
		return rc;
	print_diags(r);
	if (json_is_integer(json_object_get(r, "version")))
		printf("version %lld: %lld rules from %zu file%s, compiled in %lld ms (%s)%s%s%s\n",
		       (long long)json_integer_value(json_object_get(r, "version")),
		       (long long)json_integer_value(json_object_get(r, "n_rules")),
		       json_array_size(json_object_get(r, "files")),
		       json_array_size(json_object_get(r, "files")) == 1 ? "" : "s",
		       (long long)json_integer_value(json_object_get(r, "compile_ms")),
		       fmt_bytes(json_object_get(r, "blob_bytes"), buf, sizeof(buf)),
		       rc == CTL_EXIT_OK ? ", in force as the " : ", not in force",
		       rc == CTL_EXIT_OK ? json_string_value(json_object_get(r, "slot")) : "",
		       rc == CTL_EXIT_OK ? " ruleset" : "");
	print_node_results(r);
	json_decref(r);
	return rc;
}

static int rules_load(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *req, *files;

	if (a->nargs < 2)
		return usage("rules load: expected FILE...");
	if (only_opts(a, "load", 1u << OPT_SHADOW) < 0)
		return CTL_EXIT_USAGE;
	files = abs_paths(a->args + 1, a->nargs - 1);
	if (files == NULL)
		return CTL_EXIT_USAGE;
	req = json_pack("{s:s, s:o, s:b}", "cmd", "rules.load", "files", files, "shadow",
			a->set[OPT_SHADOW]);
	return push_reply(cmd, a, req);
}

static int rules_rollback(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", "rules.rollback");
	json_int_t v;

	if (a->nargs > 2 || only_opts(a, "rollback", 0) < 0) {
		json_decref(req);
		return usage("rules rollback: expected [VERSION]");
	}
	if (a->nargs == 2) {
		if (parse_version(a->args[1], "version", &v) < 0) {
			json_decref(req);
			return CTL_EXIT_USAGE;
		}
		json_object_set_new(req, "version", json_integer(v));
	}
	return push_reply(cmd, a, req);
}

static int rules_unload(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *r;
	int rc;

	if (a->nargs != 1 || !a->set[OPT_SHADOW] || only_opts(a, "unload", 1u << OPT_SHADOW) < 0)
		return usage("rules unload: expected --shadow (only the shadow ruleset is unloaded)");
	rc = ctl_remote(cmd, a, json_pack("{s:s, s:b}", "cmd", "rules.unload", "shadow", 1), &r);
	if (r == NULL)
		return rc;
	if (rc == CTL_EXIT_OK)
		printf("shadow ruleset unloaded\n");
	print_node_results(r);
	json_decref(r);
	return rc;
}

/* ---- list ---- */

static const char *slot_of(json_t *v)
{
	return json_is_true(json_object_get(v, "live"))	    ? "live"
	       : json_is_true(json_object_get(v, "shadow")) ? "shadow"
	       : json_is_true(json_object_get(v, "refused")) ? "refused"
							      : "-";
}

static void version_row(struct ctl_table *t, json_t *v)
{
	json_t *c = json_object_get(v, "compile"), *files = json_object_get(v, "files");
	time_t when = (time_t)json_integer_value(json_object_get(v, "loaded"));
	char at[32], b1[32];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S", &tm);
	ctl_table_cell(t, "%lld", (long long)json_integer_value(json_object_get(v, "version")));
	ctl_table_cell(t, "%s", slot_of(v));
	ctl_table_cell(t, "%lld", (long long)json_integer_value(json_object_get(v, "n_rules")));
	ctl_table_cell(t, "%s", at);
	ctl_table_cell(t, "%lld ms", (long long)json_integer_value(json_object_get(c, "ms")));
	ctl_table_cell(t, "%s", fmt_bytes(json_object_get(c, "blob_bytes"), b1, sizeof(b1)));
	ctl_table_cell(t, "%s", json_string_value(json_object_get(v, "origin")));
	if (json_array_size(files) > 1)
		ctl_table_cell(t, "%s +%zu", json_string_value(json_array_get(files, 0)),
			       json_array_size(files) - 1);
	else
		ctl_table_cell(t, "%s", json_string_value(json_array_get(files, 0)));
}

static const char *have(json_t *h, char *buf, size_t len)
{
	if (!json_is_object(h))
		return "-";
	snprintf(buf, len, "%lld%s", (long long)json_integer_value(json_object_get(h, "version")),
		 json_is_true(json_object_get(h, "wanted")) ? "" : " (not wanted)");
	return buf;
}

static int rules_list(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	static const char *const vh[] = {">VERSION", "IN FORCE", ">RULES", "LOADED", ">COMPILE",
					 ">BLOB", "ORIGIN", "FILES", NULL};
	static const char *const nh[] = {"NODE", "LINK", "LIVE", "SHADOW", "IN STEP", "ERROR",
					 NULL};
	struct ctl_table t;
	json_t *r, *v;
	char b1[48], b2[48];
	size_t i;
	int rc;

	if (a->nargs != 1 || only_opts(a, "list", 0) < 0)
		return usage("rules list: takes no operand");
	rc = ctl_remote(cmd, a, json_pack("{s:s}", "cmd", "rules.list"), &r);
	if (r == NULL)
		return rc;
	ctl_table_init(&t, vh);
	json_array_foreach(json_object_get(r, "versions"), i, v)
		version_row(&t, v);
	ctl_table_print(&t, stdout, 0);
	putchar('\n');
	ctl_table_init(&t, nh);
	json_array_foreach(json_object_get(r, "nodes"), i, v) {
		const char *err = json_string_value(json_object_get(v, "error"));

		ctl_table_cell(&t, "%s", json_string_value(json_object_get(v, "node")));
		ctl_table_cell(&t, "%s", json_string_value(json_object_get(v, "link")));
		ctl_table_cell(&t, "%s", have(json_object_get(v, "live"), b1, sizeof(b1)));
		ctl_table_cell(&t, "%s", have(json_object_get(v, "shadow"), b2, sizeof(b2)));
		ctl_table_cell(&t, "%s", json_is_true(json_object_get(v, "in_step")) ? "yes" : "no");
		ctl_table_cell(&t, "%s", err != NULL && err[0] != '\0' ? err : "-");
	}
	ctl_table_print(&t, stdout, 0);
	json_decref(r);
	return CTL_EXIT_OK;
}

/* ---- show, diff ---- */

/* The rule's text, indented, each line once. */
static void print_text(const char *text, const char *lead)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		int len = nl != NULL ? (int)(nl - p) : (int)strlen(p);

		printf("%s%.*s\n", lead, len, p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

static void print_rule(json_t *ru, const char *mark, const char *lead)
{
	const char *msg = json_string_value(json_object_get(ru, "msg"));

	printf("%s%lld  %s%s  prio %lld  %s:%lld:%lld%s%s%s\n", mark,
	       (long long)json_integer_value(json_object_get(ru, "id")),
	       json_string_value(json_object_get(ru, "action")),
	       json_is_true(json_object_get(ru, "shadow")) ? " (shadow)" : "",
	       (long long)json_integer_value(json_object_get(ru, "prio")),
	       json_string_value(json_object_get(ru, "file")),
	       (long long)json_integer_value(json_object_get(ru, "line")),
	       (long long)json_integer_value(json_object_get(ru, "col")), msg != NULL ? "  \"" : "",
	       msg != NULL ? msg : "", msg != NULL ? "\"" : "");
	print_text(json_string_value(json_object_get(ru, "text")), lead);
}

static int rules_show(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", "rules.show"), *r, *ru;
	json_int_t id;
	size_t i;
	int rc;

	if (a->nargs > 2 || only_opts(a, "show", 1u << OPT_VERSION) < 0) {
		json_decref(req);
		return usage("rules show: expected [ID] [--version V]");
	}
	if (a->nargs == 2) {
		if (parse_version(a->args[1], "rule id", &id) < 0 || id > UINT32_MAX) {
			json_decref(req);
			return CTL_EXIT_USAGE;
		}
		json_object_set_new(req, "rule", json_integer(id));
	}
	if (a->set[OPT_VERSION])
		json_object_set_new(req, "version", json_integer(a->val[OPT_VERSION]));
	rc = ctl_remote(cmd, a, req, &r);
	if (r == NULL)
		return rc;
	printf("version %lld (%s): %zu rule%s\n",
	       (long long)json_integer_value(json_object_get(r, "version")),
	       json_string_value(json_object_get(r, "origin")),
	       json_array_size(json_object_get(r, "rules")),
	       json_array_size(json_object_get(r, "rules")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(r, "rules"), i, ru)
		print_rule(ru, "", "    ");
	json_decref(r);
	return CTL_EXIT_OK;
}

static int rules_diff(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", "rules.diff"), *r, *e;
	json_int_t v;
	size_t i;
	int rc;

	if (a->nargs > 3 || only_opts(a, "diff", 0) < 0) {
		json_decref(req);
		return usage("rules diff: expected [FROM [TO]]");
	}
	for (i = 1; i < a->nargs; i++) {
		if (parse_version(a->args[i], i == 1 ? "from" : "to", &v) < 0) {
			json_decref(req);
			return CTL_EXIT_USAGE;
		}
		json_object_set_new(req, i == 1 ? "from" : "to", json_integer(v));
	}
	rc = ctl_remote(cmd, a, req, &r);
	if (r == NULL)
		return rc;
	printf("version %lld -> %lld: %zu added, %zu removed, %zu changed, %lld unchanged\n",
	       (long long)json_integer_value(json_object_get(r, "from")),
	       (long long)json_integer_value(json_object_get(r, "to")),
	       json_array_size(json_object_get(r, "added")),
	       json_array_size(json_object_get(r, "removed")),
	       json_array_size(json_object_get(r, "changed")),
	       (long long)json_integer_value(json_object_get(r, "unchanged")));
	json_array_foreach(json_object_get(r, "added"), i, e)
		print_rule(e, "+ ", "    + ");
	json_array_foreach(json_object_get(r, "removed"), i, e)
		print_rule(e, "- ", "    - ");
	json_array_foreach(json_object_get(r, "changed"), i, e) {
		printf("~ %lld\n", (long long)json_integer_value(json_object_get(e, "id")));
		print_text(json_string_value(json_object_get(json_object_get(e, "from"), "text")),
			   "    - ");
		print_text(json_string_value(json_object_get(json_object_get(e, "to"), "text")),
			   "    + ");
	}
	json_decref(r);
	return CTL_EXIT_OK;
}

/* ---- stats ---- */

static void stats_rows(struct ctl_table *t, json_t *node, const char *slot)
{
	json_t *s = json_object_get(node, slot), *ru;
	size_t i;
	char b1[32], b2[32], w[160];

	json_array_foreach(json_object_get(s, "rules"), i, ru) {
		json_t *wk = json_object_get(ru, "workers"), *x;
		const char *msg = json_string_value(json_object_get(ru, "msg"));
		size_t k, n = 0;

		w[0] = '\0';
		json_array_foreach(wk, k, x)
			if (n < sizeof(w))
				n += (size_t)snprintf(w + n, sizeof(w) - n, "%s%zu:%lld",
						      k > 0 ? " " : "", k,
						      (long long)json_integer_value(x));
		ctl_table_cell(t, "%s", json_string_value(json_object_get(node, "node")));
		ctl_table_cell(t, "%s", slot);
		ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(s, "version"), b1, sizeof(b1)));
		ctl_table_cell(t, "%lld", (long long)json_integer_value(json_object_get(ru, "id")));
		ctl_table_cell(t, "%s", json_is_string(json_object_get(ru, "action"))
						? json_string_value(json_object_get(ru, "action"))
						: "?");
		ctl_table_cell(t, "%s", ctl_fmt_int(json_object_get(ru, "hits"), b1, sizeof(b1)));
		ctl_table_cell(t, "%s", ctl_fmt_rate(json_object_get(ru, "per_s"), b2, sizeof(b2)));
		ctl_table_cell(t, "%s", w[0] != '\0' ? w : "-");
		ctl_table_cell(t, "%s", msg != NULL ? msg : "");
	}
}

static int rules_stats(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	static const char *const heads[] = {"NODE", "SLOT", ">VERSION", ">RULE", "ACTION", ">HITS",
					    ">PER-S", "PER WORKER", "MSG", NULL};
	json_t *req = json_pack("{s:s}", "cmd", "rules.stats"), *r, *n;
	struct ctl_table t;
	size_t i;
	int rc;

	if (a->nargs != 1 || only_opts(a, "stats", 1u << OPT_NODE) < 0) {
		json_decref(req);
		return usage("rules stats: takes no operand ([--node NAME])");
	}
	if (a->set[OPT_NODE])
		json_object_set_new(req, "node", json_string(a->str[OPT_NODE]));
	rc = ctl_remote(cmd, a, req, &r);
	if (r == NULL)
		return rc;
	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(r, "nodes"), i, n) {
		stats_rows(&t, n, "live");
		stats_rows(&t, n, "shadow");
	}
	ctl_table_print(&t, stdout, 0);
	json_decref(r);
	return CTL_EXIT_OK;
}

/* ---- check: offline ---- */

static int check_print(const struct ctl_args *a, int rc, struct ctl_rs_src *s,
		       const struct ctl_rs_diags *d, const struct rs_compile_stats *st,
		       size_t blob_len)
{
	unsigned i;

	if (a->set[CTL_RO_JSON]) {
		struct ctl_json j;

		ctl_json_init(&j, stdout);
		ctl_json_obj_begin(&j);
		ctl_json_kbool(&j, "ok", rc == 0);
		ctl_json_key(&j, "diagnostics");
		ctl_json_arr_begin(&j);
		for (i = 0; i < d->n; i++)
			ctl_json_cstr(&j, d->v[i]);
		ctl_json_arr_end(&j);
		ctl_json_kuint(&j, "diagnostics_more", d->more);
		if (rc == 0) {
			ctl_json_kuint(&j, "n_rules", s->all.n_rules);
			ctl_json_key(&j, "files");
			ctl_json_arr_begin(&j);
			for (i = 0; i < s->all.n_files; i++)
				ctl_json_cstr(&j, s->all.files[i]);
			ctl_json_arr_end(&j);
			ctl_json_kuint(&j, "src_bytes", s->all.src_bytes);
			ctl_json_kuint(&j, "compile_ms", st->compile_ns / 1000000);
			ctl_json_kuint(&j, "blob_bytes", blob_len);
			ctl_json_kuint(&j, "patterns", st->n_patterns);
			ctl_json_kuint(&j, "databases", st->n_dbs);
		}
		ctl_json_obj_end(&j);
		return ctl_json_finish(&j) < 0 ? CTL_EXIT_USAGE
		       : rc == 0		 ? CTL_EXIT_OK
						 : CTL_EXIT_REFUSED;
	}
	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->v[i]);
	if (d->more > 0)
		fprintf(stderr, "... and %u more\n", d->more);
	if (rc < 0) {
		printf("%u error%s: nothing to load\n", d->n + d->more, d->n + d->more == 1 ? "" : "s");
		return CTL_EXIT_REFUSED;
	}
	printf("ok: %u rules from %u file%s (%llu bytes), compiled in %llu ms: %zu bytes, %u "
	       "pattern%s in %u database%s\n",
	       s->all.n_rules, s->all.n_files, s->all.n_files == 1 ? "" : "s",
	       (unsigned long long)s->all.src_bytes,
	       (unsigned long long)(st->compile_ns / 1000000), blob_len, st->n_patterns,
	       st->n_patterns == 1 ? "" : "s", st->n_dbs, st->n_dbs == 1 ? "" : "s");
	return CTL_EXIT_OK;
}

static int rules_check(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	struct ctl_rs_diags d = {0};
	struct ctl_rs_src *s = NULL;
	struct rs_compile_stats st = {0};
	struct rs_diag *rd;
	size_t len = 0;
	void *blob = NULL;
	unsigned i;
	int rc;

	(void)cmd;
	if (a->nargs < 2)
		return usage("rules check: expected FILE...");
	if (only_opts(a, "check", 0) < 0)
		return CTL_EXIT_USAGE;
	/* a file that is not there is a usage error (2), not a finding (1) */
	for (i = 1; i < a->nargs; i++) {
		if (access(a->args[i], R_OK) < 0) {
			fprintf(stderr, "sipedgectl rules check: %s: %s\n", a->args[i],
				strerror(errno));
			return CTL_EXIT_USAGE;
		}
	}
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL)
		return CTL_EXIT_USAGE;
	rc = ctl_rs_parse(a->args + 1, a->nargs - 1, NULL, NULL, &d, &s);
	if (rc == 0) {
		rc = rs_compile(&s->all, NULL, &blob, &len, rd, &st);
		ctl_rs_diags_take(&d, rd, NULL);
		if (rc < 0 && rd->n == 0)
			ctl_rs_diags_add(&d, "compile: %s", strerror(-rc));
	}
	rc = check_print(a, rc, s, &d, &st, len);
	free(blob);
	free(rd);
	ctl_rs_src_free(s);
	ctl_rs_diags_free(&d);
	return rc;
}

int ctl_rules_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	static const struct {
		const char *name;
		int (*run)(const struct ctl_cmd *, const struct ctl_args *);
	} subs[] = {
		{"load", rules_load},	  {"list", rules_list},	    {"show", rules_show},
		{"diff", rules_diff},	  {"rollback", rules_rollback}, {"unload", rules_unload},
		{"stats", rules_stats},	  {"check", rules_check},
	};
	unsigned i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(a->args[0], subs[i].name) == 0)
			return subs[i].run(cmd, a);
	fprintf(stderr,
		"sipedgectl rules: unknown subcommand \"%s\" (load, list, show, diff, rollback, "
		"unload, stats, check)\n",
		a->args[0]);
	return CTL_EXIT_USAGE;
}

/* ---- explain ---- */

/* Reads FILE ("-": stdin): at most what a datagram holds. */
static char *read_message(const char *path, size_t *len)
{
	bool in = strcmp(path, "-") == 0;
	int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	char *buf = malloc(65536 + 1);
	size_t n = 0;
	ssize_t r;

	if (fd < 0 || buf == NULL) {
		fprintf(stderr, "sipedgectl explain: %s: %s\n", path, strerror(errno));
		free(buf);
		return NULL;
	}
	while (n <= 65535 && (r = read(fd, buf + n, 65536 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "sipedgectl explain: %s: %s\n", path, strerror(errno));
			n = 65536 + 1;
			break;
		}
		n += (size_t)r;
	}
	if (!in)
		close(fd);
	if (n > 65535) {
		if (n == 65536)
			fprintf(stderr, "sipedgectl explain: %s: over the 65535 bytes a datagram holds\n",
				path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Text when JSON can carry it as is (UTF-8, no NUL); else base64. */
static void add_message(json_t *req, const char *buf, size_t len)
{
	json_t *s = memchr(buf, '\0', len) == NULL ? json_stringn(buf, len) : NULL;
	char *b64;

	if (s != NULL) {
		json_object_set_new(req, "message", s);
		return;
	}
	b64 = malloc(CTL_B64_LEN(len) + 1);
	if (b64 == NULL)
		return;
	ctl_b64_encode(buf, len, b64);
	json_object_set_new(req, "message_b64", json_string(b64));
	free(b64);
}

static void print_verdict(json_t *r)
{
	const char *action = json_string_value(json_object_get(r, "action"));
	const char *why = json_string_value(json_object_get(r, "why"));
	json_t *rule = json_object_get(r, "rule"), *pe = json_object_get(r, "parse_error");
	json_t *code = json_object_get(r, "code"), *m, *sh = json_object_get(r, "shadow");
	size_t i;

	printf("%s", action);
	if (json_is_integer(code))
		printf(" %lld", (long long)json_integer_value(code));
	if (json_is_string(json_object_get(r, "reason")))
		printf(" %s", json_string_value(json_object_get(r, "reason")));
	if (json_is_integer(json_object_get(r, "ban_s")))
		printf(" (the source is banned for %lld s)",
		       (long long)json_integer_value(json_object_get(r, "ban_s")));
	if (json_is_integer(rule))
		printf(": rule %lld", (long long)json_integer_value(rule));
	else if (json_is_string(json_object_get(r, "banned")))
		printf(": the source is in the manual ban %s",
		       json_string_value(json_object_get(r, "banned")));
	else if (json_is_object(pe))
		printf(": %s (%s) at byte %lld", json_string_value(json_object_get(pe, "error")),
		       json_string_value(json_object_get(pe, "text")),
		       (long long)json_integer_value(json_object_get(pe, "offset")));
	else if (why != NULL)
		printf(": %s", why);
	else
		printf(": no rule decided");
	putchar('\n');
	if (json_array_size(json_object_get(r, "matched")) > 0)
		printf("matching rules:\n");
	json_array_foreach(json_object_get(r, "matched"), i, m) {
		const char *msg = json_string_value(json_object_get(m, "msg"));

		printf("  %-6lld %-7s %-12s%s%s\n", (long long)json_integer_value(json_object_get(m, "id")),
		       json_string_value(json_object_get(m, "action")),
		       json_is_true(json_object_get(m, "decided"))   ? "decided"
		       : json_is_true(json_object_get(m, "counted")) ? "counted"
								     : "not reached",
		       json_is_true(json_object_get(m, "shadow")) ? "(shadow) " : "",
		       msg != NULL ? msg : "");
	}
	if (json_is_object(sh) && json_is_integer(json_object_get(sh, "rule")))
		printf("shadow ruleset (version %lld) would: %s: rule %lld\n",
		       (long long)json_integer_value(json_object_get(sh, "version")),
		       json_string_value(json_object_get(sh, "action")),
		       (long long)json_integer_value(json_object_get(sh, "rule")));
	else if (json_is_object(sh))
		printf("shadow ruleset (version %lld) would: %s\n",
		       (long long)json_integer_value(json_object_get(sh, "version")),
		       json_string_value(json_object_get(sh, "action")));
}

int ctl_explain_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_t *req, *r;
	size_t len;
	char *buf = read_message(a->args[0], &len);
	int rc;

	if (buf == NULL)
		return CTL_EXIT_USAGE;
	req = json_pack("{s:s, s:s}", "cmd", "explain", "from", a->str[OPT_FROM]);
	if (a->set[OPT_ENODE])
		json_object_set_new(req, "node", json_string(a->str[OPT_ENODE]));
	if (a->set[OPT_TO])
		json_object_set_new(req, "to", json_string(a->str[OPT_TO]));
	add_message(req, buf, len);
	free(buf);
	rc = ctl_remote(cmd, a, req, &r);
	if (r == NULL)
		return rc;
	print_verdict(r);
	json_decref(r);
	return CTL_EXIT_OK;
}

/* ---- bans ---- */

/* "90", "90s", "15m", "2h", "7d": seconds, 1 .. a year. */
static int parse_duration(const char *s, long long *out)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] >= '0' && s[0] <= '9' && errno == 0 && end[0] != '\0' && end[1] == '\0') {
		mul = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
		      : end[0] == 'd' ? 86400 : 0;
		end++;
	}
	if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || mul == 0 || v < 1 ||
	    v > 31536000 / mul) {
		fprintf(stderr,
			"sipedgectl bans: --for \"%s\" is not a duration of 1s to 365d (90, 90s, "
			"15m, 2h, 7d)\n",
			s);
		return -EINVAL;
	}
	*out = v * mul;
	return 0;
}

static void bans_manual(json_t *r)
{
	static const char *const heads[] = {"MANUAL BAN", "EXPIRES", NULL};
	struct ctl_table t;
	json_t *b;
	size_t i;
	char d[32];

	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(r, "manual"), i, b) {
		json_int_t left = json_integer_value(json_object_get(b, "remaining_s"));

		ctl_table_cell(&t, "%s", json_string_value(json_object_get(b, "prefix")));
		if (json_integer_value(json_object_get(b, "expires")) == 0)
			ctl_table_cell(&t, "never");
		else
			ctl_table_cell(&t, "in %s",
				       ctl_fmt_dur((unsigned long long)left * 1000, d, sizeof(d)));
	}
	ctl_table_print(&t, stdout, 0);
}

static void bans_dynamic(json_t *r)
{
	static const char *const heads[] = {"NODE", "DYNAMIC BAN", ">WORKER", ">RULE", "EXPIRES",
					    NULL};
	struct ctl_table t;
	json_t *n, *b;
	size_t i, k;
	char d[32];

	ctl_table_init(&t, heads);
	json_array_foreach(json_object_get(r, "nodes"), i, n) {
		const char *node = json_string_value(json_object_get(n, "node"));

		if (!json_is_true(json_object_get(n, "ok"))) {
			printf("%s: %s\n", node, json_string_value(json_object_get(n, "error")));
			continue;
		}
		json_array_foreach(json_object_get(n, "dynamic"), k, b) {
			ctl_table_cell(&t, "%s", node);
			ctl_table_cell(&t, "%s", json_string_value(json_object_get(b, "ip")));
			ctl_table_cell(&t, "%lld",
				       (long long)json_integer_value(json_object_get(b, "worker")));
			ctl_table_cell(&t, "%lld",
				       (long long)json_integer_value(json_object_get(b, "rule")));
			ctl_table_cell(&t, "in %s",
				       ctl_fmt_dur((unsigned long long)json_integer_value(
							   json_object_get(b, "expires_in_s")) *
							   1000,
						   d, sizeof(d)));
		}
		/* more: the listing stopped at --limit with slots left to read
		 * (dynamic_total counts expired bans not yet cleared too, so
		 * it alone cannot tell) */
		if (json_is_true(json_object_get(n, "more")))
			printf("%s: stopped at %zu dynamic bans, --limit's (there may be more); "
			       "%lld slots in use in all\n", node,
			       json_array_size(json_object_get(n, "dynamic")),
			       (long long)json_integer_value(json_object_get(n, "dynamic_total")));
	}
	ctl_table_print(&t, stdout, 0);
}

int ctl_bans_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	const char *sub = a->args[0];
	json_t *req, *r, *n;
	long long secs = 0;
	size_t i;
	int rc;

	if (strcmp(sub, "list") == 0) {
		if (a->nargs != 1 || a->set[OPT_FOR])
			return usage("bans list: takes no operand ([--limit N])");
		req = json_pack("{s:s, s:I}", "cmd", "bans.list", "limit",
				(json_int_t)(a->set[OPT_LIMIT] ? a->val[OPT_LIMIT] : 1000));
		rc = ctl_remote(cmd, a, req, &r);
		if (r == NULL)
			return rc;
		bans_manual(r);
		putchar('\n');
		bans_dynamic(r);
		json_decref(r);
		return CTL_EXIT_OK;
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "remove") != 0) {
		fprintf(stderr, "sipedgectl bans: unknown subcommand \"%s\" (list, add, remove)\n",
			sub);
		return CTL_EXIT_USAGE;
	}
	if (a->nargs != 2 || a->set[OPT_LIMIT] || (a->set[OPT_FOR] && strcmp(sub, "add") != 0))
		return usage(strcmp(sub, "add") == 0 ? "bans add: expected PREFIX [--for DURATION]"
						     : "bans remove: expected PREFIX");
	if (a->set[OPT_FOR] && parse_duration(a->str[OPT_FOR], &secs) < 0)
		return CTL_EXIT_USAGE;
	req = json_pack("{s:s, s:s}", "cmd", strcmp(sub, "add") == 0 ? "bans.add" : "bans.remove",
			"prefix", a->args[1]);
	if (secs > 0)
		json_object_set_new(req, "for_s", json_integer(secs));
	rc = ctl_remote(cmd, a, req, &r);
	if (r == NULL)
		return rc;
	print_node_results(r);
	ctl_print_taken_back(r, a->args[1]);
	json_array_foreach(json_object_get(r, "nodes"), i, n)
		printf("%s: %s\n", json_string_value(json_object_get(n, "node")),
		       json_is_true(json_object_get(n, "lifted"))
			       ? "lifted"
			       : json_string_value(json_object_get(n, "error")));
	json_decref(r);
	return rc;
}
