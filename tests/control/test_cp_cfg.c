/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_cp_cfg.c - sipedge-control's config loader (control/cp_cfg.c): the
 * defaults, every key at and past its bounds, bad YAML and bad values with
 * the message asserted (file:line:col, key, quoted value), the example
 * file deploy/sipedge-control.yaml, and the key table of
 * docs/sipedge-control.md against the loader's table.
 *
 *   test_cp_cfg SOURCE_ROOT
 */
#define CHECK_MAIN
#include <stdlib.h>

#include "check.h"
#include "cp_cfg.h"

static int parse(const char *text, struct ctl_cfg *cfg, char *err)
{
	err[0] = '\0';
	return ctl_cfg_parse(text, strlen(text), "t.yaml", cfg, err, CTL_CFG_ERR_MAX);
}

/* Bad input: the error must contain want. */
struct bad {
	const char *name, *text, *want;
};

static const struct bad bads[] = {
	{"empty", "", "t.yaml:1:1: empty file"},
	{"comments only", "# nothing\n", "empty file"},
	{"list at top", "- a\n", "expected a mapping of keys at the top"},
	{"unknown top key", "colect_interval_ms: 500\n",
	 "t.yaml:1:1: unknown key \"colect_interval_ms\" (known: control, metrics, agent, rules, nodes, "
	 "state_dir, collect_interval_ms)"},
	{"int under", "collect_interval_ms: 99\n",
	 "t.yaml:1:22: collect_interval_ms: \"99\" is not an integer in [100, 60000]"},
	{"int over", "collect_interval_ms: 60001\n", "\"60001\" is not an integer in [100, 60000]"},
	{"int word", "collect_interval_ms: fast\n", "\"fast\" is not an integer"},
	{"int float", "collect_interval_ms: 1e3\n", "\"1e3\" is not an integer"},
	{"int negative", "collect_interval_ms: -500\n", "\"-500\" is not an integer"},
	{"int overflow", "collect_interval_ms: 99999999999999999999999\n",
	 "\"99999999999999999999999\" is not an integer"},
	{"int hex", "collect_interval_ms: 0x200\n", "\"0x200\" is not an integer"},
	{"int empty", "collect_interval_ms:\n", "\"\" is not an integer"},
	{"max_clients 0", "control:\n  max_clients: 0\n",
	 "t.yaml:2:16: control.max_clients: \"0\" is not an integer in [1, 4096]"},
	{"idle under", "control:\n  idle_timeout_ms: 99\n", "control.idle_timeout_ms: \"99\""},
	{"mode plain", "control:\n  socket_mode: 0660\n",
	 "control.socket_mode: \"0660\" is not a file mode: write it as a quoted octal string"},
	{"mode not octal", "control:\n  socket_mode: \"0999\"\n", "control.socket_mode: \"0999\""},
	{"mode too big", "control:\n  socket_mode: \"01777\"\n", "control.socket_mode: \"01777\""},
	{"mode no 0", "control:\n  socket_mode: \"660\"\n", "control.socket_mode: \"660\""},
	{"section key typo", "control:\n  sockt: /x\n",
	 "t.yaml:2:3: control: unknown key \"sockt\" (known: socket, socket_mode, readonly_socket"},
	{"section not map", "control: 5\n", "control: expected a mapping of keys"},
	{"value is a list", "state_dir: [a, b]\n", "state_dir: expected a single value, got a list"},
	{"value is a map", "state_dir: {a: b}\n", "state_dir: expected a single value, got a mapping"},
	{"string too long",
	 "state_dir: /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	 "bytes long, not 1..92"},
	{"socket empty", "control:\n  socket: \"\"\n", "control.socket: \"\" is 0 bytes long, not 1..107"},
	{"listen no port", "metrics:\n  listen: localhost\n",
	 "metrics.listen: \"localhost\" is not ADDRESS:PORT (port 1..65535) or \"\""},
	{"listen port 0", "metrics:\n  listen: 127.0.0.1:0\n", "\"127.0.0.1:0\" is not ADDRESS:PORT"},
	{"listen port big", "metrics:\n  listen: 127.0.0.1:65536\n", "\"127.0.0.1:65536\""},
	{"listen port word", "metrics:\n  listen: \"127.0.0.1:http\"\n", "\"127.0.0.1:http\""},
	{"nodes not list", "nodes: gw1\n", "nodes: expected a list of {name, socket}"},
	{"node not map", "nodes:\n  - gw1\n", "nodes[0]: expected a mapping of keys"},
	{"node no socket", "nodes:\n  - {name: gw1}\n", "t.yaml:2:5: nodes[0]: \"socket\" is required"},
	{"node no name", "nodes:\n  - {socket: /x}\n", "nodes[0]: \"name\" is required"},
	{"node bad name", "nodes:\n  - {name: \"g w\", socket: /x}\n",
	 "nodes[0].name: \"g w\": only letters, digits, '.', '_' and '-' are allowed"},
	{"node unknown key", "nodes:\n  - {name: a, socket: /x, port: 5}\n",
	 "nodes[]: unknown key \"port\" (known: name, socket)"},
	{"node twice", "nodes:\n  - {name: a, socket: /x}\n  - {name: a, socket: /y}\n",
	 "nodes[1].name: \"a\" is already nodes[0]'s name"},
	{"duplicate key", "state_dir: /a\nstate_dir: /b\n", "t.yaml:2:1: key \"state_dir\" is given twice"},
	{"duplicate in section", "agent:\n  reconnect_min_ms: 10\n  reconnect_min_ms: 20\n",
	 "agent.\"reconnect_min_ms\" is given twice"},
	{"tab indent", "control:\n\tsocket: /x\n", "t.yaml:2:1: YAML: found character that cannot start any token"},
	{"unterminated", "state_dir: [\n", "YAML:"},
	{"second document", "state_dir: /a\n---\nstate_dir: /b\n", "a second YAML document"},
	{"binary", "\x01\x02\xff\n", "YAML:"},
	{"min over max", "agent:\n  reconnect_min_ms: 5000\n  reconnect_max_ms: 1000\n",
	 "agent.reconnect_min_ms 5000 is over agent.reconnect_max_ms 1000"},
	{"ro is admin", "control:\n  socket: /r/a\n  readonly_socket: /r/a\n",
	 "control.readonly_socket \"/r/a\" is control.socket too"},
	{"key not scalar", "[a]: 1\n", "a key must be a plain name"},
	{"rules.files scalar", "rules:\n  files: a.rules\n",
	 "t.yaml:2:10: rules.files: expected a list of file names"},
	{"rules.files map", "rules:\n  files: {a: b}\n", "rules.files: expected a list"},
	{"rules.files nested", "rules:\n  files: [[a]]\n",
	 "t.yaml:2:11: rules.files[0]: expected a file name, got a list"},
	{"rules.files empty name", "rules:\n  files: [a, \"\"]\n",
	 "rules.files[1]: \"\" is not a file name of 1..1023 bytes"},
	{"rules.files NUL", "rules:\n  files: [\"a\\0b\"]\n", "rules.files[0]"},
	{"rules.shadow_files map item", "rules:\n  shadow_files:\n    - {a: 1}\n",
	 "rules.shadow_files[0]: expected a file name, got a mapping"},
	{"rules.history 0", "rules:\n  history: 0\n",
	 "rules.history: \"0\" is not an integer in [1, 1000]"},
	{"rules.max_bytes small", "rules:\n  max_bytes: 100\n",
	 "rules.max_bytes: \"100\" is not an integer in [4096, 268435456]"},
	{"rules unknown", "rules:\n  file: [a]\n",
	 "rules: unknown key \"file\" (known: files, shadow_files, history, max_bytes)"},
	{"rules twice", "rules:\n  files: [a]\n  files: [b]\n", "rules.\"files\" is given twice"},
};

static void test_bad(void)
{
	struct ctl_cfg cfg;
	char err[CTL_CFG_ERR_MAX];
	unsigned i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		check_ctx = bads[i].name;
		CHECK(parse(bads[i].text, &cfg, err) == -22);
		if (strstr(err, bads[i].want) == NULL) {
			fprintf(stderr, "  got:  %s\n  want: %s\n", err, bads[i].want);
			CHECK(!"error message");
		} else {
			CHECK(1);
		}
	}
}

static void test_too_many_nodes(void)
{
	char *text = malloc(65536), err[CTL_CFG_ERR_MAX];
	struct ctl_cfg cfg;
	size_t n = 0;
	unsigned i;

	check_ctx = "65 nodes";
	n += (size_t)sprintf(text + n, "nodes:\n");
	for (i = 0; i < CTL_CFG_NODES_MAX + 1; i++)
		n += (size_t)sprintf(text + n, "  - {name: n%u, socket: /s%u}\n", i, i);
	CHECK(parse(text, &cfg, err) == -22);
	CHECK(strstr(err, "nodes: more than 64 nodes") != NULL);
	text[0] = '\0';
	n = (size_t)sprintf(text, "nodes:\n");
	for (i = 0; i < CTL_CFG_NODES_MAX; i++)
		n += (size_t)sprintf(text + n, "  - {name: n%u, socket: /s%u}\n", i, i);
	check_ctx = "64 nodes";
	CHECK(parse(text, &cfg, err) == 0);
	CHECK_INT(cfg.nnodes, 64);
	free(text);
}

static void test_too_many_files(void)
{
	char *text = malloc(65536), err[CTL_CFG_ERR_MAX];
	struct ctl_cfg cfg;
	size_t n;
	unsigned i;

	check_ctx = "33 rule files";
	n = (size_t)sprintf(text, "rules:\n  files:\n");
	for (i = 0; i < CTL_CFG_FILES_MAX + 1; i++)
		n += (size_t)sprintf(text + n, "    - /r/%u.rules\n", i);
	CHECK(parse(text, &cfg, err) == -22);
	CHECK(strstr(err, "rules.files: more than 32 files") != NULL);
	check_ctx = "32 rule files";
	n = (size_t)sprintf(text, "rules:\n  files:\n");
	for (i = 0; i < CTL_CFG_FILES_MAX; i++)
		n += (size_t)sprintf(text + n, "    - /r/%u.rules\n", i);
	CHECK(parse(text, &cfg, err) == 0);
	CHECK_INT(cfg.rules_files.n, 32);
	free(text);
}

static void test_good(void)
{
	struct ctl_cfg cfg, def;
	char err[CTL_CFG_ERR_MAX], restart[256];

	check_ctx = "defaults";
	ctl_cfg_defaults(&def);
	CHECK(strcmp(def.socket, "/run/sipedge/control.sock") == 0);
	CHECK_INT(def.socket_mode, 0660);
	CHECK_INT(def.max_clients, 64);
	CHECK_INT(def.collect_interval_ms, 1000);
	CHECK(strcmp(def.metrics_listen, "127.0.0.1:9464") == 0);
	CHECK(def.ro_socket[0] == '\0');
	CHECK_INT(def.nnodes, 0);
	CHECK(parse("{}\n", &cfg, err) == 0);
	CHECK(memcmp(&cfg, &def, sizeof(cfg)) == 0);

	check_ctx = "bounds";
	CHECK(parse("collect_interval_ms: 100\ncontrol:\n  max_clients: 4096\n", &cfg, err) == 0);
	CHECK_INT(cfg.collect_interval_ms, 100);
	CHECK_INT(cfg.max_clients, 4096);
	CHECK(parse("collect_interval_ms: 60000\n", &cfg, err) == 0);
	CHECK(parse("control:\n  socket_mode: \"0600\"\n  readonly_socket_mode: '0666'\n", &cfg,
		    err) == 0);
	CHECK_INT(cfg.socket_mode, 0600);
	CHECK_INT(cfg.ro_socket_mode, 0666);
	CHECK(parse("metrics:\n  listen: \"\"\n", &cfg, err) == 0);
	CHECK(cfg.metrics_listen[0] == '\0');
	CHECK(parse("metrics:\n  listen: \"[::1]:9464\"\n", &cfg, err) == 0);
	CHECK(strcmp(cfg.metrics_listen, "[::1]:9464") == 0);

	check_ctx = "nodes";
	CHECK(parse("nodes:\n  - name: gw-1.a_b\n    socket: /run/sipedge/gw1.agent\n", &cfg,
		    err) == 0);
	CHECK_INT(cfg.nnodes, 1);
	CHECK(strcmp(cfg.nodes[0].name, "gw-1.a_b") == 0);
	CHECK(parse("nodes: []\n", &cfg, err) == 0);

	check_ctx = "rules";
	CHECK_INT(def.rules_files.n, 0);
	CHECK_INT(def.rules_history, 20);
	CHECK_INT(def.rules_max_bytes, 16 << 20);
	CHECK(parse("rules:\n  files:\n    - /etc/a.rules\n    - b.rules\n  shadow_files: []\n"
		    "  history: 1000\n",
		    &cfg, err) == 0);
	CHECK_INT(cfg.rules_files.n, 2);
	CHECK(strcmp(cfg.rules_files.v[1], "b.rules") == 0);
	CHECK_INT(cfg.rules_shadow_files.n, 0);
	CHECK_INT(cfg.rules_history, 1000);
	ctl_cfg_restart_keys(&def, &cfg, restart, sizeof(restart));
	CHECK(restart[0] == '\0'); /* rules.* are reloadable */

	check_ctx = "restart keys";
	CHECK(parse("control:\n  socket: /a\n  max_clients: 5\nstate_dir: /s\n", &cfg, err) == 0);
	ctl_cfg_restart_keys(&def, &cfg, restart, sizeof(restart));
	CHECK(strcmp(restart, "control.socket,state_dir") == 0);
	ctl_cfg_restart_keys(&def, &def, restart, sizeof(restart));
	CHECK(restart[0] == '\0');

	check_ctx = "missing file";
	CHECK(ctl_cfg_load("/nonexistent/x.yaml", &cfg, err, sizeof(err)) < 0);
	CHECK(strcmp(err, "/nonexistent/x.yaml: No such file or directory") == 0);
}

static void test_example(const char *root)
{
	char path[4096], err[CTL_CFG_ERR_MAX];
	struct ctl_cfg cfg;

	check_ctx = "deploy/sipedge-control.yaml";
	snprintf(path, sizeof(path), "%s/deploy/sipedge-control.yaml", root);
	CHECK(ctl_cfg_load(path, &cfg, err, sizeof(err)) == 0);
	if (err[0] != '\0')
		fprintf(stderr, "  %s\n", err);
	CHECK(cfg.nnodes >= 1);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Every key has a row "| `sec.name` | ... `default` |" in the doc's key
 * table, and the table has no row that is not a key. */
static void test_doc(const char *root)
{
	char path[4096], row[256], *doc, *p, *end;
	unsigned i, nk, rows = 0;
	const struct ctl_cfg_key *k = ctl_cfg_keys(&nk);

	snprintf(path, sizeof(path), "%s/docs/sipedge-control.md", root);
	doc = slurp(path);
	check_ctx = "docs/sipedge-control.md";
	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	for (i = 0; i < nk; i++) {
		char *line, *eol;

		snprintf(row, sizeof(row), "| `%s%s%s` |", k[i].sec, k[i].sec[0] != '\0' ? "." : "",
			 k[i].name);
		check_ctx = row;
		line = strstr(doc, row);
		CHECK(line != NULL);
		if (line == NULL)
			continue;
		eol = strchr(line, '\n');
		snprintf(path, sizeof(path), "`\"%s\"`", k[i].def != NULL ? k[i].def : "");
		if (k[i].def == NULL)
			snprintf(path, sizeof(path), "required");
		else if (k[i].type == CTL_CFG_INT || k[i].type == CTL_CFG_FILES)
			snprintf(path, sizeof(path), "`%s`", k[i].def);
		p = strstr(line, path);
		CHECK(p != NULL && p < eol);
	}
	p = strstr(doc, "<!-- keys -->");
	end = strstr(doc, "<!-- /keys -->");
	check_ctx = "key table markers";
	CHECK(p != NULL && end != NULL);
	for (; p != NULL && end != NULL && (p = strstr(p, "\n| `")) != NULL && p < end; p++)
		rows++;
	check_ctx = "key table rows";
	CHECK_INT(rows, nk);
	free(doc);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : ".";

	test_bad();
	test_too_many_nodes();
	test_too_many_files();
	test_good();
	test_example(root);
	test_doc(root);
	printf("%u passed, %u failed\n", check_pass, check_fail);
	return check_fail != 0;
}
