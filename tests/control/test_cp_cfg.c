/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_cp_cfg.c - sipedge-control's config loader (control/cp_cfg.c): the
 * defaults, every key at and past its bounds, bad YAML and bad values with
 * the message asserted (file:line:col, key, quoted value), the example
 * file deploy/sipedge-control.yaml, and the key table of
 * docs/sipedge-control.md against the loader's table. A TLS node's key
 * file (cp_tls.c, shared with the dataplane): a good one read, and the bad
 * ones refused with the file named (mode 0644, 0640, too short, too long,
 * not hex, odd digits, missing, a directory, empty); keys wiped when a
 * later one is refused, and by ctl_cfg_wipe_keys.
 *
 *   test_cp_cfg SOURCE_ROOT
 */
#define CHECK_MAIN
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
	{"nodes not list", "nodes: gw1\n", "nodes: expected a list of {name, socket} or {name, "
	 "address, psk_file}"},
	{"node not map", "nodes:\n  - gw1\n", "nodes[0]: expected a mapping of keys"},
	{"node no socket", "nodes:\n  - {name: gw1}\n",
	 "t.yaml:2:5: nodes[0]: \"socket\" (a Unix socket) or \"address\" (TCP with TLS) is required"},
	{"node socket and address", "nodes:\n  - {name: gw1, socket: /x, address: \"127.0.0.1:7443\"}\n",
	 "t.yaml:2:38: nodes[0]: \"socket\" and \"address\" both given: a node's agent is one or "
	 "the other"},
	{"node address, no key", "nodes:\n  - {name: gw1, address: \"127.0.0.1:7443\"}\n",
	 "t.yaml:2:5: nodes[0]: \"address\" needs \"psk_file\" (the TLS link's shared key)"},
	{"node address a name",
	 "nodes:\n  - {name: gw1, address: \"gw1.example:7443\", psk_file: /k}\n",
	 "t.yaml:2:26: nodes[0].address: \"gw1.example:7443\" is not IPv4:port or [IPv6]:port (a "
	 "host name is not resolved: sipedge-control never waits for DNS)"},
	{"node address, no port", "nodes:\n  - {name: gw1, address: \"10.0.0.1\", psk_file: /k}\n",
	 "nodes[0].address: \"10.0.0.1\" is not ADDRESS:PORT (port 1..65535) or \"\""},
	{"node address, IPv6 unbracketed",
	 "nodes:\n  - {name: gw1, address: \"fd00::1:7443\", psk_file: /k}\n",
	 "nodes[0].address: \"fd00::1:7443\" is not IPv4:port or [IPv6]:port"},
	{"node key relative",
	 "nodes:\n  - {name: gw1, address: \"10.0.0.1:7443\", psk_file: gw1.psk}\n",
	 "t.yaml:2:53: nodes[0].psk_file: \"gw1.psk\" is not an absolute path"},
	{"node key with a socket", "nodes:\n  - {name: gw1, socket: /x, psk_file: /k}\n",
	 "t.yaml:2:39: nodes[0]: \"psk_file\" and \"psk_identity\" go with \"address\" (TLS), not "
	 "with a Unix socket"},
	{"node identity with a socket", "nodes:\n  - {name: gw1, socket: /x, psk_identity: a}\n",
	 "nodes[0]: \"psk_file\" and \"psk_identity\" go with \"address\""},
	{"node identity too long",
	 "nodes:\n  - {name: gw1, address: \"10.0.0.1:7443\", psk_file: /k, psk_identity: "
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n",
	 "nodes[0].psk_identity: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is 65 "
	 "bytes long, not 0..63"},
	{"node no name", "nodes:\n  - {socket: /x}\n", "nodes[0]: \"name\" is required"},
	{"node bad name", "nodes:\n  - {name: \"g w\", socket: /x}\n",
	 "nodes[0].name: \"g w\": only letters, digits, '.', '_' and '-' are allowed"},
	{"node unknown key", "nodes:\n  - {name: a, socket: /x, port: 5}\n",
	 "nodes[]: unknown key \"port\" (known: name, socket, address, psk_file, psk_identity)"},
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
	CHECK(parse("nodes:\n  - {name: gw1, address: \"[fd00::1]:7443\", psk_file: /k, "
		    "psk_identity: \"ops key\"}\n  - {name: gw2, socket: /s}\n", &cfg, err) == 0);
	CHECK(strcmp(cfg.nodes[0].address, "[fd00::1]:7443") == 0);
	CHECK(strcmp(cfg.nodes[0].psk_identity, "ops key") == 0);
	CHECK(cfg.nodes[0].socket[0] == '\0');
	CHECK(strcmp(cfg.nodes[1].socket, "/s") == 0);

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

/* A config of one TLS node whose key file holds key (written with mode),
 * loaded: 0 or the error in err. */
static int load_key(const char *dir, const char *key, size_t len, mode_t mode, char *err)
{
	char kpath[256], cpath[256];
	struct ctl_cfg *cfg = malloc(sizeof(*cfg));
	FILE *f;
	int rc;

	snprintf(kpath, sizeof(kpath), "%s/gw1.psk", dir);
	snprintf(cpath, sizeof(cpath), "%s/c.yaml", dir);
	unlink(kpath);
	if (key != NULL) {
		f = fopen(kpath, "w");
		fwrite(key, 1, len, f);
		fclose(f);
		chmod(kpath, mode);
	}
	f = fopen(cpath, "w");
	fprintf(f, "nodes:\n  - {name: gw1, address: \"127.0.0.1:7443\", psk_file: %s}\n", kpath);
	fclose(f);
	err[0] = '\0';
	rc = ctl_cfg_load(cpath, cfg, err, CTL_CFG_ERR_MAX);
	if (rc == 0) {
		CHECK_INT(cfg->nodes[0].psk.len, 32);
		CHECK(cfg->nodes[0].psk.key[0] == 0x01 && cfg->nodes[0].psk.key[31] == 0xef);
		CHECK(strcmp(cfg->nodes[0].psk.identity, "gw1") == 0);
	}
	free(cfg);
	return rc;
}

/* err holds every one of the parts. */
static void check_err(const char *err, const char *a, const char *b)
{
	bool ok = strstr(err, a) != NULL && strstr(err, b) != NULL;

	if (!ok)
		fprintf(stderr, "  got:  %s\n  want: ...%s...%s...\n", err, a, b);
	CHECK(ok);
}

/* Key files: the bytes written (NULL: no file), their mode, and what
 * loading a config that names them gives. */
#define GOOD_KEY "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"
static const struct key_row {
	const char *name, *text;
	size_t len;
	mode_t mode;
	int rc;
	const char *want, *want2; /* parts of the message */
} key_rows[] = {
	{"good, mode 0600", GOOD_KEY "\n", 65, 0600, 0, NULL, NULL},
	{"good, mode 0400, no newline, spaces around", "  " GOOD_KEY " ", 67, 0400, 0, NULL, NULL},
	{"mode 0644", GOOD_KEY "\n", 65, 0644, -22, "c.yaml: nodes[0].psk_file \"/tmp/test_cp_cfg.",
	 "/gw1.psk\": mode 0644 lets its group or others read the key; refused (chmod 600 it)"},
	{"mode 0640", GOOD_KEY, 64, 0640, -22, "mode 0640 lets its group or others read the key",
	 "gw1.psk"},
	{"16 bytes", GOOD_KEY, 32, 0600, -22,
	 "gw1.psk\": the key is 16 bytes; 32 to 256 are needed (64 to 512 hex digits",
	 "openssl rand -hex 32"},
	{"257 bytes", NULL, 514, 0600, -22, "the key is 257 bytes; 32 to 256 are needed", "gw1.psk"},
	{"not hex", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", 64, 0600,
	 -22, "gw1.psk\": byte 64 (0x67) is not a hex digit", "openssl rand -hex 32"},
	{"binary", "\x00\x01\x02", 3, 0600, -22, "byte 1 (0x00) is not a hex digit", "gw1.psk"},
	{"odd digits", GOOD_KEY, 63, 0600, -22, "gw1.psk\": 63 hex digits, an odd number",
	 "nodes[0].psk_file"},
	{"empty", "", 0, 0600, -22, "the key is 0 bytes", "gw1.psk"},
};

static void test_keys(void)
{
	char dir[] = "/tmp/test_cp_cfg.XXXXXX", err[CTL_CFG_ERR_MAX], big[600], path[300];

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	memset(big, 'a', sizeof(big));
	for (unsigned i = 0; i < sizeof(key_rows) / sizeof(key_rows[0]); i++) {
		const struct key_row *k = &key_rows[i];
		int rc = load_key(dir, k->text ? k->text : big, k->len, k->mode, err);

		check_ctx = k->name;
		CHECK_INT(rc, k->rc);
		if (k->want != NULL)
			check_err(err, k->want, k->want2);
	}
	check_ctx = "key file missing";
	CHECK(load_key(dir, NULL, 0, 0600, err) == -2);
	check_err(err, "gw1.psk\": No such file or directory", "nodes[0].psk_file");
	check_ctx = "key file a directory";
	snprintf(path, sizeof(path), "%s/gw1.psk", dir);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(load_key(dir, NULL, 0, 0600, err) < 0); /* unlink fails: stays a directory */
	check_err(err, "gw1.psk\": not a regular file", "nodes[0].psk_file");
	rmdir(path);
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	unlink(path);
	rmdir(dir);
}

static bool key_wiped(const struct ctl_psk *psk)
{
	static const struct ctl_psk zero;

	return memcmp(psk, &zero, sizeof(zero)) == 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Keys are wiped, not only freed (found by review): a load that fails at
 * the second node's key leaves no trace of the first one's in cfg, and
 * ctl_cfg_wipe_keys leaves none of a good load's. */
static void test_key_wipe(void)
{
	char dir[] = "/tmp/test_cp_cfg.XXXXXX", err[CTL_CFG_ERR_MAX], k1[300], k2[300];
	char cpath[300], text[1000];
	struct ctl_cfg *cfg = malloc(sizeof(*cfg));

	if (cfg == NULL || mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		free(cfg);
		return;
	}
	snprintf(k1, sizeof(k1), "%s/gw1.psk", dir);
	snprintf(k2, sizeof(k2), "%s/gw2.psk", dir);
	snprintf(cpath, sizeof(cpath), "%s/c.yaml", dir);
	write_file(k1, GOOD_KEY "\n", 0600);
	write_file(k2, GOOD_KEY "\n", 0644);
	snprintf(text, sizeof(text), "nodes:\n  - {name: gw1, address: \"10.0.0.1:7443\", psk_file: %s}"
		 "\n  - {name: gw2, address: \"10.0.0.2:7443\", psk_file: %s}\n", k1, k2);
	write_file(cpath, text, 0600);

	check_ctx = "second key refused: the first one wiped";
	memset(cfg, 0, sizeof(*cfg));
	CHECK_INT(ctl_cfg_load(cpath, cfg, err, sizeof(err)), -EINVAL);
	check_err(err, "nodes[1].psk_file", "mode 0644");
	CHECK(strcmp(cfg->nodes[0].psk_file, k1) == 0); /* parsed, then the keys read */
	CHECK(key_wiped(&cfg->nodes[0].psk));

	check_ctx = "good load, then ctl_cfg_wipe_keys";
	chmod(k2, 0600);
	CHECK_INT(ctl_cfg_load(cpath, cfg, err, sizeof(err)), 0);
	CHECK(cfg->nodes[0].psk.len == 32 && cfg->nodes[1].psk.len == 32);
	ctl_cfg_wipe_keys(cfg);
	CHECK(key_wiped(&cfg->nodes[0].psk) && key_wiped(&cfg->nodes[1].psk));
	CHECK(strcmp(cfg->nodes[1].name, "gw2") == 0); /* the rest as it was */

	unlink(k1);
	unlink(k2);
	unlink(cpath);
	rmdir(dir);
	free(cfg);
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
	test_keys();
	test_key_wipe();
	test_example(root);
	test_doc(root);
	printf("%u passed, %u failed\n", check_pass, check_fail);
	return check_fail != 0;
}
