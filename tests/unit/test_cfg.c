/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_cfg.c - table-driven tests of the dataplane's configuration (cfg.h,
 * docs/config.md).
 *
 *   test_cfg SOURCE_ROOT     run every test
 *   test_cfg --markdown      print the key table of docs/config.md
 *
 * Most cases start from one valid config held as "path=value" lines (base[]),
 * change a few lines, turn the lines into YAML, load it and compare the
 * whole error message, line number included, with the row's. The bounds of
 * every key are tried from cfg_keys.def itself, so a key added there is
 * tried at and one past each of its limits without a new row; the rows with
 * literal messages pin the table's values. No EAL: cfg is plain C.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK_MAIN
#include "check.h"
#include "cfg.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[256];
static char tpath[300]; /* the file every case is written to */
static struct cfg cfg;
static char err[1024];

/* ---- the key table, as cfg_keys.def gives it ---- */

struct tkey {
	const char *sec, *name, *type;
	char kind; /* M(ap) I(tems) K(ey) N(et) L(ist) */
	uint64_t lo, hi;
	unsigned nlo, nhi;
	size_t off, size, noff; /* field, its (element) size, the count */
	const char *def, *example;
};

static const struct tkey tkeys[] = {
#define MAP(id, parent, help) {#parent, #id, "MAP", 'M', 0, 0, 0, 0, 0, 0, 0, NULL, NULL},
#define ITEMS(id, parent, field, nfield, nlo, nhi, help) \
	{#parent, #id, "ITEMS", 'I', 0, 0, nlo, nhi, 0, 0,   \
	 offsetof(CFG_OBJ_##parent, nfield), NULL, NULL},
#define KEY(sec, name, type, field, lo, hi, def, ex, help)                   \
	{#sec, #name, #type, 'K', lo, hi, 0, 0, offsetof(CFG_OBJ_##sec, field), \
	 sizeof(((CFG_OBJ_##sec *)0)->field), 0, def, ex},
#define NET(sec, name, type, field, pfield, lo, hi, ex, help)                \
	{#sec, #name, #type, 'N', lo, hi, 0, 0, offsetof(CFG_OBJ_##sec, field), \
	 sizeof(((CFG_OBJ_##sec *)0)->field), 0, CFG_NONE, ex},
#define LIST(sec, name, type, field, nfield, nlo, nhi, lo, hi, def, ex, help) \
	{#sec, #name, #type, 'L', lo, hi, nlo, nhi, offsetof(CFG_OBJ_##sec, field), \
	 sizeof(((CFG_OBJ_##sec *)0)->field[0]), offsetof(CFG_OBJ_##sec, nfield), def, ex},
#include "cfg_keys.def"
};

/* The path a key of section sec has in the test configs: the first
 * element of each list of mappings ("ports[0].neighbours[0]"). */
static void tsec_path(const char *sec, char *buf, size_t len)
{
	buf[0] = '\0';
	if (strcmp(sec, "root") == 0)
		return;
	for (size_t i = 0; i < NELEM(tkeys); i++)
		if ((tkeys[i].kind == 'M' || tkeys[i].kind == 'I') &&
		    strcmp(tkeys[i].name, sec) == 0) {
			char up[128];

			tsec_path(tkeys[i].sec, up, sizeof(up));
			snprintf(buf, len, "%.60s%s%.40s%s", up, up[0] ? "." : "", sec,
				 tkeys[i].kind == 'I' ? "[0]" : "");
			return;
		}
}

static void tkey_path(const struct tkey *k, char *buf, size_t len)
{
	char s[128];

	tsec_path(k->sec, s, sizeof(s));
	snprintf(buf, len, "%s%s%s", s, s[0] ? "." : "", k->name);
}

/* The struct a key of section sec lands in, for the first element. */
static void *tobj(const char *sec)
{
	if (strcmp(sec, "ports") == 0)
		return &cfg.ports[0];
	if (strcmp(sec, "neighbours") == 0)
		return &cfg.ports[0].neigh[0];
	if (strcmp(sec, "backends") == 0)
		return &cfg.backends[0];
	return &cfg;
}

static uint64_t tread(const struct tkey *k, unsigned idx)
{
	const uint8_t *p = (const uint8_t *)tobj(k->sec) + k->off + (size_t)idx * k->size;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (k->size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

/* ---- a config as "path=value" lines, and the YAML made of them ---- */

struct ent {
	char path[96];
	char *val;
};

static struct ent ents[512];
static unsigned n_ents;

static struct {
	char path[96];
	unsigned line;
} marks[1024];
static unsigned n_marks;

/* Every key given, most at a value other than the default, so that a row
 * that changes one line changes something. */
static const char *const base[] = {
	"eal.main_lcore=0",
	"eal.file_prefix=test-cfg",
	"eal.hugepages=false",
	"eal.memory_mb=0",
	"eal.extra_args=[]",
	"workers=[1, 2]",
	"sip.listen_ports=[5060, 5080]",
	"ports[0].name=access0",
	"ports[0].role=access",
	"ports[0].vdev=net_null0",
	"ports[0].ipv4=10.77.1.1/24",
	"ports[0].gateway4=10.77.1.254",
	"ports[0].mtu=1500",
	"ports[0].vlan=0",
	"ports[0].rx_desc=256",
	"ports[0].tx_desc=256",
	"ports[0].neighbours[0].ip=10.77.1.2",
	"ports[0].neighbours[0].mac=\"02:00:00:00:00:01\"",
	"ports[1].name=core0",
	"ports[1].role=core",
	"ports[1].vdev=net_null1",
	"ports[1].ipv4=10.77.2.1/24",
	"ports[1].ipv6=fd00:77:2::1/64",
	"ports[1].gateway6=fd00:77:2::fe",
	"ports[1].rx_desc=256",
	"ports[1].tx_desc=256",
	"backends[0].name=kam1",
	"backends[0].address=10.77.2.2:5060",
	"backends[0].weight=100",
	"backends[0].enabled=true",
	"backends[1].name=kam2",
	"backends[1].address=\"[fd00:77:2::2]:5060\"",
	"probe.interval_ms=2000",
	"probe.timeout_ms=1000",
	"probe.down_after=3",
	"probe.up_after=2",
	"proxy.secret=\"000102030405060708090a0b0c0d0e0f\"",
	"proxy.retry_after_s=5",
	"proxy.reply_malformed=true",
	"proxy.record_route=true",
	"proxy.server=sipedge-test",
	"limits.max_message=16384",
	"limits.max_headers=64",
	"limits.max_line=4096",
	"limits.mbufs=16384",
	"limits.mbuf_size=2048",
	"limits.frag_flows=1024",
	"limits.frag_timeout_ms=2000",
	"limits.neigh_ttl_s=300",
	"limits.neigh_queue=16",
	"node.name=edge-t1",
	"agent.socket=/run/sipedge-test/t1.agent",
	"agent.max_clients=8",
	"agent.group=sipedge",
};

static void ents_clear(void)
{
	for (unsigned i = 0; i < n_ents; i++)
		free(ents[i].val);
	n_ents = 0;
}

/* Whether e is path or inside it (path. or path[ follows). */
static bool under(const char *e, const char *path, size_t n)
{
	return strncmp(e, path, n) == 0 && (e[n] == '\0' || e[n] == '.' || e[n] == '[');
}

/* set("a.b=v") changes or adds a line; set("a.b!") removes a.b and all
 * that is inside it. A new line goes after the last line of its deepest
 * existing parent, so that the YAML has each mapping once. */
static void set(const char *spec)
{
	const char *eq = strchr(spec, '=');
	size_t n = eq ? (size_t)(eq - spec) : strlen(spec) - 1;
	unsigned at = n_ents;

	if (eq == NULL) {
		unsigned o = 0;

		for (unsigned i = 0; i < n_ents; i++) {
			if (under(ents[i].path, spec, n))
				free(ents[i].val);
			else
				ents[o++] = ents[i];
		}
		n_ents = o;
		return;
	}
	for (unsigned i = 0; i < n_ents; i++)
		if (strlen(ents[i].path) == n && strncmp(ents[i].path, spec, n) == 0) {
			free(ents[i].val);
			ents[i].val = strdup(eq + 1);
			return;
		}
	for (size_t l = n; l > 0 && at == n_ents; l--) {
		if (spec[l] != '.' && spec[l] != '[')
			continue;
		for (unsigned i = 0; i < n_ents; i++)
			if (under(ents[i].path, spec, l))
				at = i + 1;
	}
	if (n_ents == NELEM(ents) || n >= sizeof(ents[0].path))
		abort();
	memmove(&ents[at + 1], &ents[at], (n_ents - at) * sizeof(ents[0]));
	snprintf(ents[at].path, sizeof(ents[at].path), "%.*s", (int)n, spec);
	ents[at].val = strdup(eq + 1);
	n_ents++;
}

static void __attribute__((format(printf, 1, 2))) setf(const char *fmt, ...)
{
	char b[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	set(b);
}

static void base_reset(void)
{
	ents_clear();
	for (size_t i = 0; i < NELEM(base); i++)
		set(base[i]);
}

struct comp {
	char name[48];
	int idx; /* -1: a mapping key */
};

static unsigned split(const char *path, struct comp *c)
{
	unsigned n = 0;

	while (*path) {
		size_t l = strcspn(path, ".[");

		snprintf(c[n].name, sizeof(c[n].name), "%.*s", (int)l, path);
		c[n].idx = -1;
		path += l;
		if (*path == '[') {
			c[n].idx = atoi(path + 1);
			path = strchr(path, ']') + 1;
		}
		if (*path == '.')
			path++;
		n++;
	}
	return n;
}

static void mark(const char *path, unsigned line)
{
	snprintf(marks[n_marks].path, sizeof(marks[0].path), "%s", path);
	marks[n_marks++].line = line;
}

/* The YAML of ents[], block style, each list element a "-" line of its
 * own; marks[] gets the line of every path and of every prefix of one. */
static char *emit(size_t *len)
{
	struct comp prev[8], cur[8];
	unsigned np = 0, line = 1;
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	n_marks = 0;
	for (unsigned e = 0; e < n_ents; e++) {
		unsigned nc = split(ents[e].path, cur), d = 0, ind = 0;
		char pfx[96] = "";

		while (d < nc && d < np && strcmp(cur[d].name, prev[d].name) == 0 &&
		       cur[d].idx == prev[d].idx)
			d++;
		for (unsigned j = 0; j < nc; j++) {
			bool last = j + 1 == nc;
			size_t pl = strlen(pfx);

			snprintf(pfx + pl, sizeof(pfx) - pl, "%s%.47s", pl ? "." : "", cur[j].name);
			if (j >= d && !(j == d && j < np && strcmp(cur[j].name, prev[j].name) == 0 &&
					cur[j].idx >= 0)) {
				mark(pfx, line);
				fprintf(f, "%*s%s:%s%s\n", (int)ind, "", cur[j].name,
					last && cur[j].idx < 0 ? " " : "",
					last && cur[j].idx < 0 ? ents[e].val : "");
				line++;
			}
			if (cur[j].idx >= 0) {
				pl = strlen(pfx);
				snprintf(pfx + pl, sizeof(pfx) - pl, "[%d]", cur[j].idx);
				if (j >= d) {
					mark(pfx, line);
					fprintf(f, "%*s-%s%s\n", (int)ind + 2, "", last ? " " : "",
						last ? ents[e].val : "");
					line++;
				}
				ind += 4;
			} else {
				ind += 2;
			}
		}
		memcpy(prev, cur, sizeof(cur));
		np = nc;
	}
	fclose(f);
	return out;
}

static unsigned line_of(const char *path)
{
	for (unsigned i = 0; i < n_marks; i++)
		if (strcmp(marks[i].path, path) == 0)
			return marks[i].line;
	return 0;
}

static void write_file(const char *p, const char *text, size_t len)
{
	FILE *f = fopen(p, "w");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(p);
		exit(2);
	}
}

static int load_text(const char *text, size_t len)
{
	write_file(tpath, text, len);
	memset(&cfg, 0xa5, sizeof(cfg));
	err[0] = '\0';
	return cfg_load(tpath, &cfg, err, sizeof(err));
}

/* Loads ents[]. */
static int load_ents(void)
{
	size_t len;
	char *y = emit(&len);
	int rc = load_text(y, len);

	free(y);
	return rc;
}

/* The whole message: FILE:LINE: want, where LINE is the line of path at
 * (or of the path want starts with). */
static void check_err(int rc, const char *want, const char *at, const char *file,
		      int line)
{
	char path[128], full[1200];
	unsigned l;

	if (at == NULL) {
		size_t n = strcspn(want, ":");

		snprintf(path, sizeof(path), "%.*s", (int)n, want);
		at = path;
	}
	l = line_of(at);
	snprintf(full, sizeof(full), "%s:%u: %s", tpath, l, want);
	if (rc == -EINVAL && l != 0 && strcmp(err, full) == 0) {
		check_pass++;
		return;
	}
	char b[2600];

	snprintf(b, sizeof(b), "rc %d, line of \"%s\" %u\n    got  \"%s\"\n    want \"%s\"",
		 rc, at, l, err, full);
	check_report(file, line, b);
}

#define CHECK_ERR(rc, want, at) check_err(rc, want, at, __FILE__, __LINE__)

#define CHECK_OK(rc)                                                    \
	do {                                                            \
		if ((rc) == 0) {                                        \
			check_pass++;                                   \
		} else {                                                \
			char b_[1200];                                  \
			snprintf(b_, sizeof(b_), "rc %d: %s", rc, err); \
			check_report(__FILE__, __LINE__, b_);           \
		}                                                       \
	} while (0)

#define CHECK_STREQ(got, want)                                               \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (strcmp(g_, w_) == 0) {                                   \
			check_pass++;                                        \
		} else {                                                     \
			char b_[1200];                                       \
			snprintf(b_, sizeof(b_), "%s == \"%.500s\", want \"%.500s\"", #got, g_, w_); \
			check_report(__FILE__, __LINE__, b_);                \
		}                                                            \
	} while (0)

/* ---- rows: changes to the base config and the message they give ---- */

struct row {
	const char *name;
	const char *set[10];
	const char *want; /* NULL: loads */
	const char *at;	  /* the path whose line the message has */
};

static void run_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc;

		check_ctx = rows[i].name;
		base_reset();
		for (unsigned j = 0; j < NELEM(rows[i].set) && rows[i].set[j]; j++)
			set(rows[i].set[j]);
		rc = load_ents();
		if (rows[i].want == NULL)
			CHECK_OK(rc);
		else
			CHECK_ERR(rc, rows[i].want, rows[i].at);
	}
}

/* The example file loads, and says what its comments say. */
static void test_example(const char *root)
{
	char p[512], b[64];
	const struct cfg_port *a = &cfg.ports[0], *c = &cfg.ports[1];
	int rc;

	check_ctx = "example";
	snprintf(p, sizeof(p), "%s/deploy/sipedge.example.yaml", root);
	rc = cfg_load(p, &cfg, err, sizeof(err));
	CHECK_OK(rc);
	CHECK_STREQ(cfg.path, p);
	CHECK_INT(cfg.eal.main_lcore, 0);
	CHECK_STREQ(cfg.eal.file_prefix, "sipedge");
	CHECK_INT(cfg.eal.huge, true);
	CHECK_INT(cfg.eal.no_pci, false);
	CHECK_INT(cfg.eal.memory_mb, 2048);
	CHECK_INT(cfg.eal.n_extra, 1);
	CHECK_STREQ(cfg.eal.extra[0], "--log-level=pmd.net.ice:notice");
	CHECK_INT(cfg.n_workers, 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK_INT(cfg.workers[i], i + 2);
	CHECK_INT(cfg.n_sip_ports, 1);
	CHECK_INT(cfg.sip_ports[0], 5060);
	CHECK_INT(cfg.n_ports, 2);
	CHECK_STREQ(a->name, "access0");
	CHECK_INT(a->role, DP_ROLE_ACCESS);
	CHECK_STREQ(a->dev, "0000:03:00.0");
	CHECK_INT(a->is_vdev, false);
	CHECK_STREQ(cfg_fmt_addr(&a->ip4, 0, b, sizeof(b)), "192.0.2.10");
	CHECK_INT(a->plen4, 24);
	CHECK_STREQ(cfg_fmt_addr(&a->ip6, 0, b, sizeof(b)), "2001:db8:10::10");
	CHECK_INT(a->plen6, 64);
	CHECK_STREQ(cfg_fmt_addr(&a->gw4, 0, b, sizeof(b)), "192.0.2.1");
	CHECK_STREQ(cfg_fmt_addr(&a->gw6, 0, b, sizeof(b)), "2001:db8:10::1");
	CHECK_INT(a->mtu, 1500);
	CHECK_INT(a->vlan, 0);
	CHECK_INT(a->rx_desc, 2048);
	CHECK_INT(a->tx_desc, 2048);
	CHECK_INT(a->n_neigh, 0);
	CHECK_STREQ(c->name, "core0");
	CHECK_INT(c->role, DP_ROLE_CORE);
	CHECK_STREQ(c->dev, "0000:03:00.1");
	CHECK_STREQ(cfg_fmt_addr(&c->ip4, 0, b, sizeof(b)), "10.20.0.10");
	CHECK_INT(c->plen4, 24);
	CHECK_STREQ(cfg_fmt_addr(&c->ip6, 0, b, sizeof(b)), "fd00:20::10");
	CHECK_INT(c->plen6, 64);
	CHECK_INT(c->gw4.af, 0);
	CHECK_INT(c->gw6.af, 0);
	CHECK_INT(c->mtu, 9000);
	CHECK_INT(c->vlan, 120);
	CHECK_INT(c->rx_desc, 2048);
	CHECK_INT(c->tx_desc, 2048);
	CHECK_INT(c->n_neigh, 2);
	CHECK_STREQ(cfg_fmt_addr(&c->neigh[0].ip, 0, b, sizeof(b)), "10.20.0.21");
	CHECK_STREQ(cfg_fmt_addr(&c->neigh[1].ip, 0, b, sizeof(b)), "fd00:20::21");
	CHECK(memcmp(c->neigh[0].mac, "\x02\x00\x0a\x14\x00\x15", 6) == 0);
	CHECK(memcmp(c->neigh[1].mac, "\x02\x00\x0a\x14\x00\x15", 6) == 0);
	CHECK_INT(cfg.n_backends, 3);
	CHECK_STREQ(cfg.backends[0].name, "kam1");
	CHECK_STREQ(cfg_fmt_addr(&cfg.backends[0].addr.ip, cfg.backends[0].addr.port, b,
				 sizeof(b)), "10.20.0.21:5060");
	CHECK_INT(cfg.backends[0].weight, 100);
	CHECK_INT(cfg.backends[0].enabled, true);
	CHECK_STREQ(cfg.backends[1].name, "kam2");
	CHECK_STREQ(cfg_fmt_addr(&cfg.backends[1].addr.ip, cfg.backends[1].addr.port, b,
				 sizeof(b)), "[fd00:20::22]:5060");
	CHECK_INT(cfg.backends[1].weight, 100);
	CHECK_INT(cfg.backends[1].enabled, true);
	CHECK_STREQ(cfg.backends[2].name, "kam3");
	CHECK_STREQ(cfg_fmt_addr(&cfg.backends[2].addr.ip, cfg.backends[2].addr.port, b,
				 sizeof(b)), "10.20.0.23:5060");
	CHECK_INT(cfg.backends[2].weight, 50);
	CHECK_INT(cfg.backends[2].enabled, false);
	CHECK_INT(cfg.probe.interval_ms, 2000);
	CHECK_INT(cfg.probe.timeout_ms, 1000);
	CHECK_INT(cfg.probe.down_after, 3);
	CHECK_INT(cfg.probe.up_after, 2);
	CHECK_INT(cfg.proxy.has_secret, false); /* commented out on purpose */
	CHECK_INT(cfg.proxy.retry_after, 5);
	CHECK_INT(cfg.proxy.reply_malformed, true);
	CHECK_INT(cfg.proxy.record_route, true);
	CHECK_STREQ(cfg.proxy.server, "sipedge");
	CHECK_INT(cfg.limits.max_message, 16384);
	CHECK_INT(cfg.limits.max_headers, 64);
	CHECK_INT(cfg.limits.max_line, 4096);
	CHECK_INT(cfg.limits.mbufs, 65536);
	CHECK_INT(cfg.limits.frag_flows, 1024);
	CHECK_INT(cfg.limits.frag_timeout_ms, 2000);
	CHECK_INT(cfg.limits.neigh_ttl_s, 300);
	CHECK_INT(cfg.limits.neigh_queue, 16);
	CHECK_STREQ(cfg.node.name, "edge-1");
	CHECK_STREQ(cfg.agent.socket, "/run/sipedge/edge-1.agent");
	CHECK_INT(cfg.agent.max_clients, 4);
	CHECK_INT(cfg.agent.idle_evict_s, 30);
	CHECK_STREQ(cfg.agent.group, "");
}

/* The defaults of docs/config.md, written out here rather than read from
 * the table, so that a changed default is a deliberate change of both. */
static void check_root_defaults(bool huge)
{
	CHECK_INT(cfg.eal.main_lcore, 0);
	CHECK_STREQ(cfg.eal.file_prefix, "sipedge");
	CHECK_INT(cfg.eal.huge, huge);
	CHECK_INT(cfg.eal.n_extra, 0);
	CHECK_INT(cfg.n_workers, 1);
	CHECK_INT(cfg.workers[0], 1);
	CHECK_INT(cfg.n_sip_ports, 1);
	CHECK_INT(cfg.sip_ports[0], 5060);
	CHECK_INT(cfg.probe.interval_ms, 2000);
	CHECK_INT(cfg.probe.timeout_ms, 1000);
	CHECK_INT(cfg.probe.down_after, 3);
	CHECK_INT(cfg.probe.up_after, 2);
	CHECK_INT(cfg.proxy.has_secret, false);
	CHECK_INT(cfg.proxy.retry_after, 5);
	CHECK_INT(cfg.proxy.reply_malformed, true);
	CHECK_INT(cfg.proxy.record_route, true);
	CHECK_STREQ(cfg.proxy.server, "sipedge");
	CHECK_INT(cfg.limits.max_message, 16384);
	CHECK_INT(cfg.limits.max_headers, 64);
	CHECK_INT(cfg.limits.max_line, 4096);
	CHECK_INT(cfg.limits.mbufs, 16384);
	CHECK_INT(cfg.limits.frag_flows, 1024);
	CHECK_INT(cfg.limits.frag_timeout_ms, 2000);
	CHECK_INT(cfg.limits.neigh_ttl_s, 300);
	CHECK_INT(cfg.limits.neigh_queue, 16);
	CHECK_INT(cfg.agent.max_clients, 4);
	CHECK_INT(cfg.agent.idle_evict_s, 30);
}

/* node.name as cfg_check derives it from the host name, and the agent
 * socket's path from it. */
static void check_node_default(void)
{
	char host[256] = "", want[64], sock[128];
	size_t n;

	gethostname(host, sizeof(host) - 1);
	n = strcspn(host, ".");
	snprintf(want, sizeof(want), "%.*s", (int)(n > 31 ? 31 : n), host);
	for (char *c = want; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			*c = '-';
	if (want[0] == '\0')
		snprintf(want, sizeof(want), "sipedge");
	CHECK_STREQ(cfg.node.name, want);
	snprintf(sock, sizeof(sock), "/run/sipedge/%s.agent", want);
	CHECK_STREQ(cfg.agent.socket, sock);
}

static void test_defaults(const char *root)
{
	char p[512];
	int rc;

	check_ctx = "cfg_defaults";
	memset(&cfg, 0xa5, sizeof(cfg));
	cfg_defaults(&cfg);
	check_root_defaults(true);
	CHECK_INT(cfg.eal.memory_mb, 0);
	CHECK_INT(cfg.n_ports, 0);
	CHECK_INT(cfg.n_backends, 0);

	check_ctx = "minimal.yaml";
	snprintf(p, sizeof(p), "%s/tests/unit/cfg/minimal.yaml", root);
	rc = cfg_load(p, &cfg, err, sizeof(err));
	CHECK_OK(rc);
	check_root_defaults(true);
	CHECK_INT(cfg.eal.memory_mb, 0);
	CHECK_INT(cfg.eal.no_pci, true);
	CHECK_INT(cfg.n_ports, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct cfg_port *pt = &cfg.ports[i];

		CHECK_INT(pt->is_vdev, true);
		CHECK_INT(pt->mtu, 1500);
		CHECK_INT(pt->vlan, 0);
		CHECK_INT(pt->rx_desc, 1024);
		CHECK_INT(pt->tx_desc, 1024);
		CHECK_INT(pt->n_neigh, 0);
		CHECK_INT(pt->gw4.af, 0);
		CHECK_INT(pt->gw6.af, 0);
	}
	CHECK_INT(cfg.ports[0].ip6.af, 0);
	CHECK_INT(cfg.ports[1].ip4.af, 0);
	CHECK_INT(cfg.n_backends, 1);
	CHECK_INT(cfg.backends[0].weight, 100);
	CHECK_INT(cfg.backends[0].enabled, true);
	check_node_default();
	CHECK_STREQ(cfg.agent.group, "");

	/* a node name given: the socket follows it; a socket given: kept */
	check_ctx = "node name and agent socket";
	base_reset();
	set("agent.socket!");
	CHECK_OK(load_ents());
	CHECK_STREQ(cfg.node.name, "edge-t1");
	CHECK_STREQ(cfg.agent.socket, "/run/sipedge/edge-t1.agent");
	CHECK_INT(cfg.agent.max_clients, 8);
	CHECK_STREQ(cfg.agent.group, "sipedge");
	set("node!");
	CHECK_OK(load_ents());
	check_node_default();
	set("agent.socket=/tmp/a b/x.agent");
	CHECK_OK(load_ents());
	CHECK_STREQ(cfg.agent.socket, "/tmp/a b/x.agent");

	/* the TLS listener: off by default; its identity is the node's name
	 * unless given */
	check_ctx = "agent TLS listener";
	base_reset();
	CHECK_OK(load_ents());
	CHECK_INT(cfg.agent.listen.port, 0);
	CHECK_INT(cfg.agent.unix_socket, true);
	CHECK_INT(cfg.agent.handshake_timeout_ms, 5000);
	set("agent.listen=\"[::1]:7443\"");
	set("agent.psk_file=/etc/sipedge/agent.psk");
	CHECK_OK(load_ents());
	CHECK_INT(cfg.agent.listen.port, 7443);
	CHECK_INT(cfg.agent.listen.ip.af, 6);
	CHECK_STREQ(cfg.agent.psk_file, "/etc/sipedge/agent.psk");
	CHECK_STREQ(cfg.agent.psk_identity, "edge-t1");
	set("agent.psk_identity=\"ops key 1\"");
	CHECK_OK(load_ents());
	CHECK_STREQ(cfg.agent.psk_identity, "ops key 1");

	/* hugepages: false without memory_mb gets 512 MB, not the EAL's 64 */
	check_ctx = "no-huge memory";
	base_reset();
	CHECK_OK(load_ents());
	CHECK_INT(cfg.eal.memory_mb, 512);
	set("eal.memory_mb=100");
	CHECK_OK(load_ents());
	CHECK_INT(cfg.eal.memory_mb, 100);
	set("eal.hugepages=true");
	set("eal.memory_mb!");
	CHECK_OK(load_ents());
	CHECK_INT(cfg.eal.memory_mb, 0);

	/* empty sections are all defaults */
	check_ctx = "empty sections";
	base_reset();
	set("probe!");
	set("probe=");
	set("limits!");
	set("limits={}");
	set("eal!");
	set("eal=~");
	CHECK_OK(load_ents());
	CHECK_INT(cfg.eal.main_lcore, 0);
	CHECK_STREQ(cfg.eal.file_prefix, "sipedge");
	CHECK_INT(cfg.eal.huge, true);
	CHECK_INT(cfg.eal.memory_mb, 0);
	CHECK_INT(cfg.eal.n_extra, 0);
	CHECK_INT(cfg.probe.interval_ms, 2000);
	CHECK_INT(cfg.probe.timeout_ms, 1000);
	CHECK_INT(cfg.probe.down_after, 3);
	CHECK_INT(cfg.probe.up_after, 2);
	CHECK_INT(cfg.limits.max_message, 16384);
	CHECK_INT(cfg.limits.max_headers, 64);
	CHECK_INT(cfg.limits.max_line, 4096);
	CHECK_INT(cfg.limits.mbufs, 16384);
	CHECK_INT(cfg.limits.frag_flows, 1024);
	CHECK_INT(cfg.limits.frag_timeout_ms, 2000);
	CHECK_INT(cfg.limits.neigh_ttl_s, 300);
	CHECK_INT(cfg.limits.neigh_queue, 16);
	CHECK_STREQ(cfg.proxy.server, "sipedge-test"); /* not emptied */
}

/* The values of the base config, read back. */
static void test_base(void)
{
	char b[64];

	check_ctx = "base";
	base_reset();
	CHECK_OK(load_ents());
	CHECK_STREQ(cfg.eal.file_prefix, "test-cfg");
	CHECK_INT(cfg.eal.huge, false);
	CHECK_INT(cfg.n_workers, 2);
	CHECK_INT(cfg.workers[1], 2);
	CHECK_INT(cfg.n_sip_ports, 2);
	CHECK_INT(cfg.sip_ports[1], 5080);
	CHECK_INT(cfg.ports[0].n_neigh, 1);
	CHECK(memcmp(cfg.ports[0].neigh[0].mac, "\x02\0\0\0\0\x01", 6) == 0);
	CHECK_STREQ(cfg_fmt_addr(&cfg.ports[1].gw6, 0, b, sizeof(b)), "fd00:77:2::fe");
	CHECK_INT(cfg.proxy.has_secret, true);
	for (unsigned i = 0; i < 16; i++)
		CHECK_INT(cfg.proxy.secret[i], i);
	CHECK_STREQ(cfg.proxy.server, "sipedge-test");
	CHECK_STREQ(cfg_fmt_addr(&cfg.backends[1].addr.ip, cfg.backends[1].addr.port, b,
				 sizeof(b)), "[fd00:77:2::2]:5060");
	CHECK_INT(cfg.backends[1].addr.ip.af, 6);
}

/* Every key set to its docs example at once (on ports[1], the core port):
 * the examples of docs/config.md make one valid config. */
static void test_examples(void)
{
	check_ctx = "docs examples";
	for (int pass = 0; pass < 2; pass++) {
		base_reset();
		for (size_t i = 0; i < NELEM(tkeys); i++) {
			const struct tkey *k = &tkeys[i];
			char path[160], *port;

			if (k->example == NULL)
				continue;
			tkey_path(k, path, sizeof(path));
			if ((port = strstr(path, "ports[0]")) != NULL)
				port[6] = '1';
			if (strcmp(k->name, pass ? "vdev" : "pci") == 0)
				continue;
			setf("%s=%s", path, k->example);
		}
		if (pass)
			set("ports[1].vdev!");
		CHECK_OK(load_ents());
		CHECK_STREQ(cfg.ports[1].name, "core0");
		CHECK_INT(cfg.ports[1].mtu, 9000);
		CHECK_INT(cfg.proxy.has_secret, true);
		CHECK_INT(cfg.ports[1].is_vdev, !pass);
	}
}

/* A value of length n for a key of a string type. */
static void filler(const struct tkey *k, size_t n, char *buf)
{
	size_t o = 0;

	if (strcmp(k->type, "VDEV") == 0 && n >= 10)
		o = (size_t)sprintf(buf, "net_null9,");
	else if (strcmp(k->type, "ARG") == 0 && n >= 2)
		o = (size_t)sprintf(buf, "--");
	else if (strcmp(k->type, "PATH") == 0 && n >= 1)
		o = (size_t)sprintf(buf, "/");
	while (o < n)
		buf[o++] = 'a';
	buf[o] = '\0';
}

/* A quoted value as messages show it: cut at 80 characters. */
static const char *tq(const char *s, char *buf)
{
	sprintf(buf, "\"%.80s%s\"", s, strlen(s) > 80 ? "..." : "");
	return buf;
}

/* Other lines that must change for value v of path to be the only
 * problem: the rules between keys. */
static void companions(const char *path, uint64_t v)
{
	if (strcmp(path, "probe.interval_ms") == 0 && v <= 1000)
		set("probe.timeout_ms=10");
	if (strcmp(path, "probe.timeout_ms") == 0 && v >= 2000)
		set("probe.interval_ms=600000");
	if (strcmp(path, "limits.max_line") == 0 && v > 16384)
		set("limits.max_message=64000");
	if (strcmp(path, "limits.max_message") == 0 && v < 4096)
		set("limits.max_line=128");
	if (strcmp(path, "workers") == 0 && v == 0)
		set("eal.main_lcore=127");
	if (strcmp(path, "eal.memory_mb") == 0)
		set("eal.hugepages=true"); /* else 0 reads back as 512 */
	if (strcmp(path, "eal.main_lcore") == 0)
		set("workers=[3]");
	/* the TLS listener and its key go together */
	if (strcmp(path, "agent.listen") == 0)
		set("agent.psk_file=/etc/sipedge/agent.psk");
	if (strcmp(path, "agent.psk_file") == 0)
		set("agent.listen=127.0.0.1:7443");
	if (strcmp(path, "ports[0].ipv4") == 0 && v == 32) {
		set("ports[0].gateway4!");
		set("ports[0].neighbours!");
	}
}

static void bound_ok(const struct tkey *k, const char *path, const char *val, uint64_t v)
{
	int rc;

	base_reset();
	companions(path, v);
	setf("%s=%s", path, val);
	rc = load_ents();
	CHECK_OK(rc);
	if (rc == 0 && k->kind == 'K' &&
	    (strcmp(k->type, "UINT") == 0 || strcmp(k->type, "POW2") == 0))
		CHECK_INT(tread(k, 0), v);
	if (rc == 0 && k->kind == 'L' && strcmp(k->type, "UINT") == 0)
		CHECK_INT(tread(k, 0), v);
}

static void bound_bad(const char *path, const char *val, uint64_t v, const char *at,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void bound_bad(const char *path, const char *val, uint64_t v, const char *at,
		      const char *fmt, ...)
{
	char want[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	base_reset();
	companions(path, v);
	setf("%s=%s", path, val);
	rc = load_ents();
	CHECK_ERR(rc, want, at);
}

/* n entries of the list of mappings k, on top of the base config. */
static void items(const struct tkey *k, unsigned n)
{
	if (strcmp(k->name, "ports") == 0)
		for (unsigned i = 2; i < n; i++) {
			setf("ports[%u].name=p%u", i, i);
			setf("ports[%u].role=access", i);
			setf("ports[%u].vdev=net_null%u", i, i);
			setf("ports[%u].ipv4=10.78.%u.1/24", i, i);
		}
	else if (strcmp(k->name, "backends") == 0)
		for (unsigned i = 2; i < n; i++) {
			setf("backends[%u].name=b%u", i, i);
			setf("backends[%u].address=10.77.2.%u:5060", i, i + 10);
		}
	else if (strcmp(k->name, "neighbours") == 0)
		for (unsigned i = 1; i < n; i++) {
			setf("ports[0].neighbours[%u].ip=10.77.1.%u", i, i + 10);
			setf("ports[0].neighbours[%u].mac=\"02:00:00:00:01:%02x\"", i, i);
		}
	else
		abort(); /* a new list of mappings needs its generator here */
}

/* The count of a list or list of mappings, read back. */
static unsigned tcount(const struct tkey *k)
{
	const void *obj = strcmp(k->name, "neighbours") == 0 ? (const void *)&cfg.ports[0] :
			  (const void *)&cfg;
	unsigned n;

	memcpy(&n, (const uint8_t *)obj + k->noff, sizeof(n));
	return n;
}

/* A list of scalars with nlo - 1, nhi and nhi + 1 entries. */
static void list_counts(const struct tkey *k, const char *path, bool num)
{
	char val[8192];

	for (unsigned n = k->nlo ? k->nlo - 1 : k->nhi; n <= k->nhi + 1;
	     n = n < k->nhi ? k->nhi : n + 1) {
		size_t o = (size_t)sprintf(val, "[");

		for (unsigned j = 0; j < n; j++)
			o += num ? (size_t)sprintf(val + o, "%s%" PRIu64, j ? ", " : "", k->lo + 1 + j)
				 : (size_t)sprintf(val + o, "%s\"--a%u\"", j ? ", " : "", j);
		sprintf(val + o, "]");
		if (n >= k->nlo && n <= k->nhi) {
			bound_ok(k, path, val, k->lo + 1);
			CHECK_INT(tcount(k), n);
		} else {
			bound_bad(path, val, 0, NULL, "%s: has %u entries, not %u to %u",
				  path, n, k->nlo, k->nhi);
		}
	}
}

/* A list of mappings with nhi and nhi + 1 entries, and none. */
static void item_counts(const struct tkey *k, const char *path)
{
	char at[200], want[300];

	base_reset();
	items(k, k->nhi);
	CHECK_OK(load_ents());
	CHECK_INT(tcount(k), k->nhi);
	base_reset();
	items(k, k->nhi + 1);
	snprintf(at, sizeof(at), "%s[0]", path);
	snprintf(want, sizeof(want), "%s: has %u entries, not %u to %u", path,
		 k->nhi + 1, k->nlo, k->nhi);
	CHECK_ERR(load_ents(), want, at);
	base_reset();
	setf("%s!", path);
	setf("%s=[]", path);
	if (k->nlo == 0) {
		CHECK_OK(load_ents());
		CHECK_INT(tcount(k), 0);
	} else {
		snprintf(want, sizeof(want), "%s: has 0 entries, not %u to %u", path,
			 k->nlo, k->nhi);
		CHECK_ERR(load_ents(), want, NULL);
	}
}

/* Each key at and one past each of its limits, from cfg_keys.def. */
static void test_bounds(void)
{
	char path[160], val[8192], q[200], at[170];

	for (size_t i = 0; i < NELEM(tkeys); i++) {
		const struct tkey *k = &tkeys[i];
		bool num = strcmp(k->type, "UINT") == 0 || strcmp(k->type, "POW2") == 0;
		bool str = !strcmp(k->type, "NAME") || !strcmp(k->type, "TEXT") ||
			   !strcmp(k->type, "VDEV") || !strcmp(k->type, "ARG") ||
			   !strcmp(k->type, "PATH");

		tkey_path(k, path, sizeof(path));
		check_ctx = path;
		if (k->kind == 'K' && num) {
			snprintf(val, sizeof(val), "%" PRIu64, k->lo);
			bound_ok(k, path, val, k->lo);
			snprintf(val, sizeof(val), "%" PRIu64, k->hi);
			bound_ok(k, path, val, k->hi);
			snprintf(val, sizeof(val), "%" PRIu64, k->hi + 1);
			bound_bad(path, val, k->hi + 1, NULL, "%s: \"%s\" out of range [%" PRIu64
				  ", %" PRIu64 "]", path, val, k->lo, k->hi);
			if (k->lo > 0) {
				snprintf(val, sizeof(val), "%" PRIu64, k->lo - 1);
				bound_bad(path, val, k->lo - 1, NULL, "%s: \"%s\" out of range [%"
					  PRIu64 ", %" PRIu64 "]", path, val, k->lo, k->hi);
			}
			if (strcmp(k->type, "POW2") == 0) {
				snprintf(val, sizeof(val), "%" PRIu64, k->lo + 1);
				bound_bad(path, val, k->lo + 1, NULL,
					  "%s: \"%s\" is not a power of two", path, val);
			}
		} else if ((k->kind == 'K' && str) || (k->kind == 'L' && str)) {
			bool lst = k->kind == 'L';
			char v[300], w[300];

			snprintf(at, sizeof(at), k->kind == 'L' ? "%s[0]" : "%s", path);
			filler(k, k->hi, v);
			snprintf(w, sizeof(w), lst ? "[\"%s\"]" : "\"%s\"", v);
			bound_ok(k, path, w, 0);
			CHECK_STREQ((const char *)tobj(k->sec) + k->off, v);
			filler(k, k->hi + 1, v);
			snprintf(w, sizeof(w), lst ? "[\"%s\"]" : "\"%s\"", v);
			bound_bad(path, w, 0, path, "%s: %s has %" PRIu64 " characters, not %"
				  PRIu64 " to %" PRIu64, at, tq(v, q), k->hi + 1, k->lo, k->hi);
			if (k->lo > 0) {
				snprintf(w, sizeof(w), "%s", lst ? "[\"\"]" : "\"\"");
				bound_bad(path, w, 0, path, "%s: \"\" has 0 characters, not %"
					  PRIu64 " to %" PRIu64, at, k->lo, k->hi);
			}
		} else if (k->kind == 'K' && strcmp(k->type, "HEX") == 0) {
			filler(k, k->hi, val);
			memset(val, 'f', k->hi);
			bound_ok(k, path, val, 0);
			CHECK_INT(tread(k, 0) & 0xff, 0xff);
			for (int d = -1; d <= 1; d += 2) {
				filler(k, k->hi + (uint64_t)d, val);
				memset(val, '0', strlen(val));
				bound_bad(path, val, 0, NULL, "%s: \"%s\" is not %" PRIu64
					  " hex digits", path, val, k->hi);
			}
		} else if (k->kind == 'N') {
			const char *ip = strcmp(k->type, "NET4") == 0 ? "10.77.1.1" : "fd00:77:1::1";
			uint8_t plen;

			for (uint64_t v = k->lo; ; v = k->hi) {
				snprintf(val, sizeof(val), "%s/%" PRIu64, ip, v);
				bound_ok(k, path, val, v);
				memcpy(&plen, (const uint8_t *)tobj(k->sec) +
				       (strcmp(k->type, "NET4") == 0 ?
					offsetof(struct cfg_port, plen4) :
					offsetof(struct cfg_port, plen6)), 1);
				CHECK_INT(plen, v);
				if (v == k->hi)
					break;
			}
			snprintf(val, sizeof(val), "%s/%" PRIu64, ip, k->lo - 1);
			bound_bad(path, val, 0, NULL, "%s: \"%s\" prefix length out of range [%"
				  PRIu64 ", %" PRIu64 "]", path, val, k->lo, k->hi);
			snprintf(val, sizeof(val), "%s/%" PRIu64, ip, k->hi + 1);
			bound_bad(path, val, 0, NULL, "%s: \"%s\" prefix length out of range [%"
				  PRIu64 ", %" PRIu64 "]", path, val, k->lo, k->hi);
		} else if (k->kind == 'K' && (strcmp(k->type, "ADDR") == 0 ||
						     strcmp(k->type, "LISTEN") == 0)) {
			const struct dp_addr *a = (const struct dp_addr *)
				((const uint8_t *)tobj(k->sec) + k->off);

			snprintf(val, sizeof(val), "10.77.2.2:%" PRIu64, k->lo);
			bound_ok(k, path, val, 0);
			CHECK_INT(a->port, k->lo);
			snprintf(val, sizeof(val), "10.77.2.2:%" PRIu64, k->hi);
			bound_ok(k, path, val, 0);
			CHECK_INT(a->port, k->hi);
			snprintf(val, sizeof(val), "10.77.2.2:%" PRIu64, k->lo - 1);
			bound_bad(path, val, 0, NULL, "%s: \"%s\" port out of range [%" PRIu64
				  ", %" PRIu64 "]", path, val, k->lo, k->hi);
			snprintf(val, sizeof(val), "10.77.2.2:%" PRIu64, k->hi + 1);
			bound_bad(path, val, 0, NULL, "%s: \"%s\" port out of range [%" PRIu64
				  ", %" PRIu64 "]", path, val, k->lo, k->hi);
		}
		if (k->kind == 'L')
			list_counts(k, path, num);
		if (k->kind == 'L' && num) {
			/* each element at its bounds */
			snprintf(at, sizeof(at), "%s[0]", path);
			snprintf(val, sizeof(val), "[%" PRIu64 "]", k->lo);
			bound_ok(k, path, val, k->lo);
			snprintf(val, sizeof(val), "[%" PRIu64 "]", k->hi);
			bound_ok(k, path, val, k->hi);
			snprintf(val, sizeof(val), "[%" PRIu64 "]", k->hi + 1);
			bound_bad(path, val, k->hi + 1, path, "%s: \"%" PRIu64 "\" out of range [%"
				  PRIu64 ", %" PRIu64 "]", at, k->hi + 1, k->lo, k->hi);
			if (k->lo > 0) {
				snprintf(val, sizeof(val), "[%" PRIu64 "]", k->lo - 1);
				bound_bad(path, val, k->lo - 1, path, "%s: \"%" PRIu64
					  "\" out of range [%" PRIu64 ", %" PRIu64 "]",
					  at, k->lo - 1, k->lo, k->hi);
			}
		}
		if (k->kind == 'I')
			item_counts(k, path);
	}
}

/* ---- the rules between keys ---- */

static const struct row cross_rows[] = {
	{"base loads", {NULL}, NULL, NULL},
	{"worker on the main lcore", {"workers=[1, 0]"},
	 "workers[1]: \"0\" is eal.main_lcore; a worker needs an lcore of its own", "workers"},
	{"main lcore on a worker", {"eal.main_lcore=2"},
	 "workers[1]: \"2\" is eal.main_lcore; a worker needs an lcore of its own", "workers"},
	{"worker twice", {"workers=[1, 2, 1]"},
	 "workers[2]: \"1\" repeats workers[0]", "workers"},
	{"listen port twice", {"sip.listen_ports=[5060, 5080, 5060]"},
	 "sip.listen_ports[2]: \"5060\" repeats sip.listen_ports[0]", "sip.listen_ports"},
	{"vdev and pci", {"ports[0].pci=\"0000:03:00.0\""},
	 "ports[0]: has both vdev and pci; a port is one device", "ports[0].pci"},
	{"no device", {"ports[0].vdev!"},
	 "ports[0]: missing key \"vdev\" or \"pci\" (the port's device)", "ports[0].name"},
	{"no address", {"ports[0].ipv4!"},
	 "ports[0]: missing key \"ipv4\" or \"ipv6\" (a port needs an address)", "ports[0].name"},
	{"gateway4 off the subnet", {"ports[0].gateway4=10.77.2.254"},
	 "ports[0].gateway4: \"10.77.2.254\" is not inside ipv4 10.77.1.1/24", NULL},
	{"gateway4 is the port", {"ports[0].gateway4=10.77.1.1"},
	 "ports[0].gateway4: \"10.77.1.1\" is the port's own address", NULL},
	{"gateway4 without ipv4", {"ports[1].ipv4!", "ports[1].gateway4=10.77.2.254"},
	 "ports[1].gateway4: \"10.77.2.254\" is IPv4 and the port has no ipv4", NULL},
	{"gateway6 off the subnet", {"ports[1].gateway6=fd00:77:3::1"},
	 "ports[1].gateway6: \"fd00:77:3::1\" is not inside ipv6 fd00:77:2::1/64", NULL},
	{"gateway6 without ipv6", {"ports[0].gateway6=fd00:77:1::fe"},
	 "ports[0].gateway6: \"fd00:77:1::fe\" is IPv6 and the port has no ipv6", NULL},
	{"gateway4 given IPv6", {"ports[0].gateway4=fd00::1"},
	 "ports[0].gateway4: \"fd00::1\" is not an IPv4 address", NULL},
	{"gateway6 given IPv4", {"ports[1].gateway6=10.77.2.254"},
	 "ports[1].gateway6: \"10.77.2.254\" is not an IPv6 address", NULL},
	{"gateway on a /31", {"ports[0].ipv4=10.77.1.0/31", "ports[0].gateway4=10.77.1.1",
			      "ports[0].neighbours!"}, NULL, NULL},
	{"listen without a key", {"agent.listen=127.0.0.1:7443"},
	 "agent.listen: \"127.0.0.1:7443\" needs agent.psk_file (the TLS listener's shared key)",
	 NULL},
	{"key without listen", {"agent.psk_file=/etc/sipedge/agent.psk"},
	 "agent.psk_file: \"/etc/sipedge/agent.psk\" is given but agent.listen is not (the key "
	 "is the TCP listener's)", NULL},
	{"no Unix socket, no listener", {"agent.unix_socket=false"},
	 "agent.unix_socket: \"false\" and no agent.listen: the control plane could not connect",
	 NULL},
	{"TLS listener only", {"agent.unix_socket=false", "agent.listen=\"[::1]:7443\"",
			       "agent.psk_file=/etc/sipedge/agent.psk"}, NULL, NULL},
	{"mtu 1279 with ipv6", {"ports[1].mtu=1279"},
	 "ports[1].mtu: \"1279\" is below 1280, the IPv6 minimum (the port has ipv6)", NULL},
	{"mtu 1280 with ipv6", {"ports[1].mtu=1280"}, NULL, NULL},
	{"mtu 576 with ipv4 only", {"ports[0].mtu=576"}, NULL, NULL},
	{"neighbour off the subnet", {"ports[0].neighbours[0].ip=10.77.2.5"},
	 "ports[0].neighbours[0].ip: \"10.77.2.5\" is not inside ipv4 10.77.1.1/24", NULL},
	{"neighbour of the other family", {"ports[0].neighbours[0].ip=fd00:77:1::5"},
	 "ports[0].neighbours[0].ip: \"fd00:77:1::5\" is IPv6 and the port has no ipv6", NULL},
	{"neighbour is the port", {"ports[0].neighbours[0].ip=10.77.1.1"},
	 "ports[0].neighbours[0].ip: \"10.77.1.1\" is the port's own address", NULL},
	{"neighbour twice", {"ports[0].neighbours[1].ip=10.77.1.2",
			     "ports[0].neighbours[1].mac=\"02:00:00:00:00:02\""},
	 "ports[0].neighbours[1].ip: \"10.77.1.2\" repeats ports[0].neighbours[0].ip", NULL},
	{"neighbour IPv6", {"ports[1].neighbours[0].ip=fd00:77:2::9",
			    "ports[1].neighbours[0].mac=\"02:00:00:00:00:09\""}, NULL, NULL},
	{"port name twice", {"ports[1].name=access0"},
	 "ports[1].name: \"access0\" repeats ports[0].name", NULL},
	{"vdev device twice", {"ports[1].vdev=net_null0,iface=x"},
	 "ports[1].vdev: \"net_null0,iface=x\" is device net_null0 again, as ports[0]", NULL},
	{"pci device twice, two spellings",
	 {"ports[0].vdev!", "ports[0].pci=\"03:00.0\"", "ports[1].vdev!",
	  "ports[1].pci=\"0000:03:00.0\""},
	 "ports[1].pci: \"0000:03:00.0\" is device 0000:03:00.0 again, as ports[0]", NULL},
	{"ipv4 on two ports", {"ports[1].ipv4=10.77.1.1/24"},
	 "ports[1].ipv4: \"10.77.1.1/24\" repeats the address of ports[0]", NULL},
	{"ipv6 on two ports", {"ports[0].ipv6=fd00:77:2::1/64"},
	 "ports[1].ipv6: \"fd00:77:2::1/64\" repeats the address of ports[0]", NULL},
	{"no core port", {"ports[1].role=access"},
	 "ports: no port has role core (one access and one core port are needed)", NULL},
	{"no access port", {"ports[0].role=core"},
	 "ports: no port has role access (one access and one core port are needed)", NULL},
	{"backend name twice", {"backends[1].name=kam1"},
	 "backends[1].name: \"kam1\" repeats backends[0].name", NULL},
	{"backend address twice", {"backends[1].address=10.77.2.2:5060"},
	 "backends[1].address: \"10.77.2.2:5060\" repeats backends[0].address", NULL},
	{"backend address, other port", {"backends[1].address=10.77.2.2:5080"}, NULL, NULL},
	{"IPv6 backend, no IPv6 core port", {"ports[1].ipv6!", "ports[1].gateway6!"},
	 "backends[1].address: \"[fd00:77:2::2]:5060\" is IPv6 and no core port has ipv6",
	 NULL},
	{"IPv6 backend, IPv6 only on access",
	 {"ports[1].ipv6!", "ports[1].gateway6!", "ports[0].ipv6=fd00:77:1::1/64"},
	 "backends[1].address: \"[fd00:77:2::2]:5060\" is IPv6 and no core port has ipv6",
	 NULL},
	{"IPv4 backend, no IPv4 core port", {"ports[1].ipv4!"},
	 "backends[0].address: \"10.77.2.2:5060\" is IPv4 and no core port has ipv4", NULL},
	{"backend is our address", {"backends[0].address=10.77.2.1:5060"},
	 "backends[0].address: \"10.77.2.1:5060\" is an address of ports[1]", NULL},
	{"backend off every subnet", {"backends[0].address=192.0.2.7:5060"}, NULL, NULL},
	{"probe timeout = interval", {"probe.timeout_ms=2000"},
	 "probe.timeout_ms: \"2000\" is not less than probe.interval_ms (2000)", NULL},
	{"probe interval = default timeout", {"probe.timeout_ms!", "probe.interval_ms=1000"},
	 "probe.timeout_ms: \"1000\" is not less than probe.interval_ms (1000)",
	 "probe.interval_ms"},
	{"probe timeout just less", {"probe.timeout_ms=1999"}, NULL, NULL},
	{"max_line over max_message", {"limits.max_line=16385"},
	 "limits.max_line: \"16385\" is more than limits.max_message (16384)", NULL},
	{"max_line = max_message", {"limits.max_line=16384"}, NULL, NULL},
	{"max_message under default max_line", {"limits.max_line!", "limits.max_message=4095"},
	 "limits.max_line: \"4096\" is more than limits.max_message (4095)",
	 "limits.max_message"},
	{"mbufs fewer than the rings", {"limits.mbufs=1024", "ports[0].rx_desc=512"},
	 "limits.mbufs: \"1024\" is fewer than the 1280 the ports' rings hold (the sum of "
	 "every rx_desc and tx_desc)", NULL},
	{"mbufs = the rings", {"limits.mbufs=1280", "ports[0].rx_desc=512"}, NULL, NULL},
	{"mbufs default, big rings",
	 {"limits.mbufs!", "ports[0].rx_desc=4096", "ports[0].tx_desc=4096",
	  "ports[1].rx_desc=4096", "ports[1].tx_desc=4096", "ports[2].name=p2",
	  "ports[2].role=core", "ports[2].vdev=net_null2", "ports[2].ipv4=10.77.3.1/24"},
	 "limits.mbufs: \"16384\" is fewer than the 18432 the ports' rings hold (the sum of "
	 "every rx_desc and tx_desc)", "ports"},
	{"extra arg -l", {"eal.extra_args=[\"-l\", \"1-3\"]"},
	 "eal.extra_args[0]: \"-l\" is an option the config sets itself (-l)",
	 "eal.extra_args"},
	{"extra arg -l1-3", {"eal.extra_args=[\"-l1-3\"]"},
	 "eal.extra_args[0]: \"-l1-3\" is an option the config sets itself (-l)",
	 "eal.extra_args"},
	{"extra arg --file-prefix=", {"eal.extra_args=[\"--log-level=8\", \"--file-prefix=x\"]"},
	 "eal.extra_args[1]: \"--file-prefix=x\" is an option the config sets itself "
	 "(--file-prefix)", "eal.extra_args"},
	{"extra arg -m", {"eal.extra_args=[\"-m\", \"64\"]"},
	 "eal.extra_args[0]: \"-m\" is an option the config sets itself (-m)", "eal.extra_args"},
	{"extra arg --no-huge", {"eal.extra_args=[\"--no-huge\"]"},
	 "eal.extra_args[0]: \"--no-huge\" is an option the config sets itself (--no-huge)",
	 "eal.extra_args"},
	{"extra arg --lcores", {"eal.extra_args=[\"--lcores=1@2\"]"},
	 "eal.extra_args[0]: \"--lcores=1@2\" is an option the config sets itself (--lcores)",
	 "eal.extra_args"},
	{"extra arg --main-lcore", {"eal.extra_args=[\"--main-lcore\", \"4\"]"},
	 "eal.extra_args[0]: \"--main-lcore\" is an option the config sets itself "
	 "(--main-lcore)", "eal.extra_args"},
	{"extra args allowed", {"eal.extra_args=[\"--log-level=lib.eal:debug\", "
				"\"--iova-mode=va\", \"-n\", \"4\", \"--no-pci-x\"]"}, NULL, NULL},
	{"extra arg, block list", {"eal.extra_args!", "eal.extra_args[0]=--iova-mode=va",
				   "eal.extra_args[1]=--lcores"},
	 "eal.extra_args[1]: \"--lcores\" is an option the config sets itself (--lcores)",
	 NULL},
	{"missing port role", {"ports[0].role!"},
	 "ports[0]: missing key \"role\" (access: the internet side (phones, trunks); core: "
	 "the backends' side)", "ports[0].name"},
	{"missing port name", {"ports[1].name!"},
	 "ports[1]: missing key \"name\" (the port's name in logs and counters; distinct)",
	 "ports[1].role"},
	{"missing neighbour mac", {"ports[0].neighbours[0].mac!"},
	 "ports[0].neighbours[0]: missing key \"mac\" (its MAC address, six colon-separated "
	 "hex pairs; unicast)", "ports[0].neighbours[0].ip"},
	{"missing backend address", {"backends[1].address!"},
	 "backends[1]: missing key \"address\" (IPv4:port or [IPv6]:port; a core port needs an "
	 "address of its family; distinct)", "backends[1].name"},
	{"missing ports", {"ports!"},
	 "missing key \"ports\" (the NIC ports: at least one with role access and one with "
	 "role core)", "eal"},
	{"missing backends", {"backends!"},
	 "missing key \"backends\" (the SIP servers requests are forwarded to)", "eal"},
	{"ports null", {"ports!", "ports="}, "ports: has 0 entries, not 1 to 8", NULL},
	{"neighbours null", {"ports[0].neighbours!", "ports[0].neighbours=~"}, NULL, NULL},
	{"workers null", {"workers=~"}, "workers: has 0 entries, not 1 to 16", NULL},
	{"extra_args null", {"eal.extra_args=null"}, NULL, NULL},
};

/* ---- values refused one by one ---- */

static const struct row value_rows[] = {
	/* types */
	{"list for an integer", {"ports[0].mtu=[1500]"},
	 "ports[0].mtu: expected an integer, found a list", NULL},
	{"mapping for an integer", {"ports[0].mtu={v: 1500}"},
	 "ports[0].mtu: expected an integer, found a mapping", NULL},
	{"quoted integer", {"ports[0].mtu=\"1500\""},
	 "ports[0].mtu: \"1500\" is quoted: a number is written without quotes", NULL},
	{"single-quoted integer", {"ports[0].mtu='1500'"},
	 "ports[0].mtu: \"1500\" is quoted: a number is written without quotes", NULL},
	{"empty integer", {"ports[0].mtu="},
	 "ports[0].mtu: \"\" is empty (leave the key out for its default)", NULL},
	{"null integer", {"ports[0].mtu=~"},
	 "ports[0].mtu: \"~\" is empty (leave the key out for its default)", NULL},
	{"null name", {"ports[0].name=null"},
	 "ports[0].name: \"null\" is empty (leave the key out for its default)", NULL},
	{"quoted null is a name", {"ports[0].name=\"null\""}, NULL, NULL},
	{"scalar for a section", {"eal!", "eal=5"}, "eal: \"5\" is not a mapping", NULL},
	{"list for a section", {"probe!", "probe=[1]"},
	 "probe: expected a mapping, found a list", NULL},
	{"mapping for ports", {"ports!", "ports={name: x}"},
	 "ports: expected a list of mappings, found a mapping", NULL},
	{"scalar for a port", {"ports[2]=x"}, "ports[2]: \"x\" is not a mapping", NULL},
	{"scalar for a list", {"workers=5"}, "workers: \"5\" is not a list", NULL},
	{"list in a list", {"workers=[[1]]"},
	 "workers[0]: expected an integer, found a list", "workers"},
	{"list for a string", {"proxy.server=[a]"},
	 "proxy.server: expected a string, found a list", NULL},
	{"unquoted [IPv6]:port", {"backends[1].address=[fd00:77:2::2]"},
	 "backends[1].address: expected an IP:port, found a list (quote an IPv6 address: "
	 "\"[2001:db8::2]:5060\")", NULL},
	{"unknown key in a port", {"ports[0].mut=1500"},
	 "ports[0]: unknown key \"mut\" (did you mean \"mtu\"?)", "ports[0].mut"},
	{"unknown key, two letters off", {"limits.max_lines=10"},
	 "limits: unknown key \"max_lines\" (did you mean \"max_line\"?)", "limits.max_lines"},
	{"key of another section", {"probe.mtu=1500"},
	 "probe: unknown key \"mtu\" (it is a key of ports[])", "probe.mtu"},
	{"unknown key, no suggestion", {"proxy.frobnicate=1"},
	 "proxy: unknown key \"frobnicate\"", "proxy.frobnicate"},
	{"keys are case-sensitive", {"ports[0].MTU=1500"},
	 "ports[0]: unknown key \"MTU\"", "ports[0].MTU"},
	/* numbers */
	{"exponent", {"ports[0].mtu=1e3"},
	 "ports[0].mtu: \"1e3\" is not an unsigned decimal integer", NULL},
	{"hex", {"ports[0].mtu=0x5dc"},
	 "ports[0].mtu: \"0x5dc\" is not an unsigned decimal integer", NULL},
	{"negative", {"ports[0].vlan=-1"},
	 "ports[0].vlan: \"-1\" is not an unsigned decimal integer", NULL},
	{"plus sign", {"ports[0].vlan=+1"},
	 "ports[0].vlan: \"+1\" is not an unsigned decimal integer", NULL},
	{"fraction", {"ports[0].mtu=1500.0"},
	 "ports[0].mtu: \"1500.0\" is not an unsigned decimal integer", NULL},
	{"underscores", {"limits.mbufs=16_384"},
	 "limits.mbufs: \"16_384\" is not an unsigned decimal integer", NULL},
	{"leading zero", {"ports[0].vlan=010"},
	 "ports[0].vlan: \"010\" has a leading zero (read as octal by some YAML tools)", NULL},
	{"zero", {"ports[0].vlan=0"}, NULL, NULL},
	{"overflow", {"ports[0].mtu=99999999999999999999"},
	 "ports[0].mtu: \"99999999999999999999\" out of range [576, 9000]", NULL},
	{"2^64", {"eal.memory_mb=18446744073709551616"},
	 "eal.memory_mb: \"18446744073709551616\" out of range [0, 1048576]", NULL},
	{"2^32 in a 32-bit field", {"limits.mbufs=4294967296"},
	 "limits.mbufs: \"4294967296\" out of range [1024, 1048576]", NULL},
	{"70000 into 16 bits", {"ports[1].mtu=70000"},
	 "ports[1].mtu: \"70000\" out of range [576, 9000]", NULL},
	{"rx_desc not a power of two", {"ports[0].rx_desc=1000"},
	 "ports[0].rx_desc: \"1000\" is not a power of two", NULL},
	/* booleans */
	{"yes", {"backends[0].enabled=yes"},
	 "backends[0].enabled: \"yes\" is not a boolean: write true or false", NULL},
	{"on", {"eal.hugepages=on"},
	 "eal.hugepages: \"on\" is not a boolean: write true or false", NULL},
	{"1", {"proxy.record_route=1"},
	 "proxy.record_route: \"1\" is not a boolean: write true or false", NULL},
	{"quoted true", {"backends[0].enabled=\"true\""},
	 "backends[0].enabled: \"true\" is quoted: a boolean is true or false, without quotes",
	 NULL},
	{"True", {"backends[0].enabled=True"}, NULL, NULL},
	{"FALSE", {"backends[0].enabled=FALSE"}, NULL, NULL},
	/* names and strings */
	{"role", {"ports[0].role=Access"},
	 "ports[0].role: \"Access\" is not a role: access or core", NULL},
	{"name with a space", {"ports[0].name=acc 0"},
	 "ports[0].name: \"acc 0\" may hold only letters, digits, '_' and '-'", NULL},
	{"name not ASCII", {"backends[0].name=k\xc3\xa4m"},
	 "backends[0].name: \"k\\xc3\\xa4m\" may hold only letters, digits, '_' and '-'", NULL},
	{"file prefix with a slash", {"eal.file_prefix=a/b"},
	 "eal.file_prefix: \"a/b\" may hold only letters, digits, '_' and '-'", NULL},
	{"server with a leading space", {"proxy.server=\" edge\""},
	 "proxy.server: \" edge\" starts or ends with a space", NULL},
	{"server not ASCII", {"proxy.server=\"edge \xe2\x80\x94 1\""},
	 "proxy.server: \"edge \\xe2\\x80\\x94 1\" holds a character that is not printable ASCII",
	 NULL},
	{"server with a NUL", {"proxy.server=\"a\\0b\""},
	 "proxy.server: \"a\\x00b\" holds a NUL character", NULL},
	{"server with a tab", {"proxy.server=\"a\\tb\""},
	 "proxy.server: \"a\\x09b\" holds a character that is not printable ASCII", NULL},
	{"server with a quote", {"proxy.server='say \"hi\"'"}, NULL, NULL},
	/* node and agent */
	{"node name with a dot", {"node.name=edge.fra1"},
	 "node.name: \"edge.fra1\" may hold only letters, digits, '_' and '-'", NULL},
	{"node name with a slash", {"node.name=../etc"},
	 "node.name: \"../etc\" may hold only letters, digits, '_' and '-'", NULL},
	{"empty node name", {"node.name=\"\""},
	 "node.name: \"\" has 0 characters, not 1 to 31", NULL},
	{"agent socket relative", {"agent.socket=run/x.agent"},
	 "agent.socket: \"run/x.agent\" is not an absolute path (it starts with '/')", NULL},
	{"agent socket a directory", {"agent.socket=/run/sipedge/"},
	 "agent.socket: \"/run/sipedge/\" names a directory (it ends with '/')", NULL},
	{"agent socket with a space at the end", {"agent.socket=\"/run/x.agent \""},
	 "agent.socket: \"/run/x.agent \" starts or ends with a space", NULL},
	{"agent socket with a tab", {"agent.socket=\"/run/a\tb\""},
	 "agent.socket: \"/run/a\\x09b\" holds a character that is not printable ASCII", NULL},
	{"agent socket not ASCII", {"agent.socket=\"/run/k\xc3\xa4m\""},
	 "agent.socket: \"/run/k\\xc3\\xa4m\" holds a character that is not printable ASCII",
	 NULL},
	{"agent socket a number", {"agent.socket=55"},
	 "agent.socket: \"55\" is not an absolute path (it starts with '/')", NULL},
	{"agent socket a list", {"agent.socket=[/a]"},
	 "agent.socket: expected a path, found a list", NULL},
	{"agent socket empty", {"agent.socket="},
	 "agent.socket: \"\" is empty (leave the key out for its default)", NULL},
	{"max_clients 0", {"agent.max_clients=0"},
	 "agent.max_clients: \"0\" out of range [1, 64]", NULL},
	{"max_clients 65", {"agent.max_clients=65"},
	 "agent.max_clients: \"65\" out of range [1, 64]", NULL},
	{"max_clients 256 into 8 bits", {"agent.max_clients=256"},
	 "agent.max_clients: \"256\" out of range [1, 64]", NULL},
	{"idle_evict_s 0", {"agent.idle_evict_s=0"},
	 "agent.idle_evict_s: \"0\" out of range [1, 3600]", NULL},
	{"idle_evict_s 3601", {"agent.idle_evict_s=3601"},
	 "agent.idle_evict_s: \"3601\" out of range [1, 3600]", NULL},
	{"idle_evict_s 65536 into 16 bits", {"agent.idle_evict_s=65536"},
	 "agent.idle_evict_s: \"65536\" out of range [1, 3600]", NULL},
	{"max_clients quoted", {"agent.max_clients=\"4\""},
	 "agent.max_clients: \"4\" is quoted: a number is written without quotes", NULL},
	{"max_clients negative", {"agent.max_clients=-1"},
	 "agent.max_clients: \"-1\" is not an unsigned decimal integer", NULL},
	{"group with a colon", {"agent.group=\"a:b\""},
	 "agent.group: \"a:b\" may hold only letters, digits, '_' and '-'", NULL},
	{"group empty", {"agent.group=\"\""},
	 "agent.group: \"\" has 0 characters, not 1 to 31", NULL},
	/* the TLS listener: any address a host socket binds, loopback and
	 * unspecified too; nothing a socket cannot bind */
	{"listen on loopback", {"agent.listen=127.0.0.1:7443",
				"agent.psk_file=/etc/sipedge/agent.psk"}, NULL, NULL},
	{"listen on any IPv4", {"agent.listen=0.0.0.0:7443",
				"agent.psk_file=/etc/sipedge/agent.psk"}, NULL, NULL},
	{"listen on any IPv6", {"agent.listen=\"[::]:7443\"",
				"agent.psk_file=/etc/sipedge/agent.psk"}, NULL, NULL},
	{"listen on IPv6 loopback", {"agent.listen=\"[::1]:7443\"",
				     "agent.psk_file=/etc/sipedge/agent.psk"}, NULL, NULL},
	{"listen on multicast", {"agent.listen=224.0.0.1:7443",
				 "agent.psk_file=/etc/sipedge/agent.psk"},
	 "agent.listen: \"224.0.0.1:7443\" is a multicast address", NULL},
	{"listen on 0.1.2.3", {"agent.listen=0.1.2.3:7443",
			       "agent.psk_file=/etc/sipedge/agent.psk"},
	 "agent.listen: \"0.1.2.3:7443\" is in 0.0.0.0/8, not a host address", NULL},
	{"listen without a port", {"agent.listen=127.0.0.1",
				   "agent.psk_file=/etc/sipedge/agent.psk"},
	 "agent.listen: \"127.0.0.1\" needs a port: IPv4:port or [IPv6]:port", NULL},
	{"listen port 0", {"agent.listen=127.0.0.1:0", "agent.psk_file=/etc/sipedge/agent.psk"},
	 "agent.listen: \"127.0.0.1:0\" port out of range [1, 65535]", NULL},
	{"listen on a host name", {"agent.listen=gw1.example:7443",
				   "agent.psk_file=/etc/sipedge/agent.psk"},
	 "agent.listen: \"gw1.example:7443\" is not an IPv4 address", NULL},
	{"psk_file relative", {"agent.listen=127.0.0.1:7443", "agent.psk_file=agent.psk"},
	 "agent.psk_file: \"agent.psk\" is not an absolute path (it starts with '/')", NULL},
	{"unix_socket quoted", {"agent.unix_socket=\"false\""},
	 "agent.unix_socket: \"false\" is quoted: a boolean is true or false, without quotes",
	 NULL},
	{"handshake timeout 99", {"agent.handshake_timeout_ms=99"},
	 "agent.handshake_timeout_ms: \"99\" out of range [100, 60000]", NULL},
	{"psk_identity with a tab", {"agent.psk_identity=\"a\tb\""},
	 "agent.psk_identity: \"a\\x09b\" holds a character that is not printable ASCII", NULL},
	{"agent key misspelt", {"agent.max_client=4"},
	 "agent: unknown key \"max_client\" (did you mean \"max_clients\"?)", "agent.max_client"},
	{"agent key in node", {"node.socket=/a"},
	 "node: unknown key \"socket\" (it is a key of agent)", "node.socket"},
	{"long value cut in the message", {"proxy.server=" "0123456789012345678901234567890123456789"
					   "0123456789012345678901234567890123456789xyz"},
	 "proxy.server: \"0123456789012345678901234567890123456789012345678901234567890123456789"
	 "0123456789...\" has 83 characters, not 1 to 63", NULL},
	{"secret not hex", {"proxy.secret=\"000102030405060708090a0b0c0d0e0g\""},
	 "proxy.secret: \"000102030405060708090a0b0c0d0e0g\" is not 32 hex digits", NULL},
	{"secret upper case", {"proxy.secret=\"000102030405060708090A0B0C0D0E0F\""}, NULL, NULL},
	/* devices */
	{"vdev with a space", {"ports[0].vdev=\"net_null0,iface=a b\""},
	 "ports[0].vdev: \"net_null0,iface=a b\" holds a space", NULL},
	{"vdev without a name", {"ports[0].vdev=\",iface=x\""},
	 "ports[0].vdev: \",iface=x\" has no device name before its arguments", NULL},
	{"vdev name with a dash", {"ports[0].vdev=net-null0"},
	 "ports[0].vdev: \"net-null0\" has a device name (before the first ',') that is not "
	 "letters, digits and '_'", NULL},
	{"pci short form", {"ports[0].vdev!", "ports[0].pci=\"0A:1f.7\""}, NULL, NULL},
	{"pci device 0x20", {"ports[0].vdev!", "ports[0].pci=\"0000:03:20.0\""},
	 "ports[0].pci: \"0000:03:20.0\" is not a PCI address (domain:bus:device.function, "
	 "0000:03:00.0)", NULL},
	{"pci function 8", {"ports[0].vdev!", "ports[0].pci=\"0000:03:00.8\""},
	 "ports[0].pci: \"0000:03:00.8\" is not a PCI address (domain:bus:device.function, "
	 "0000:03:00.0)", NULL},
	{"pci one-digit bus", {"ports[0].vdev!", "ports[0].pci=\"0000:3:00.0\""},
	 "ports[0].pci: \"0000:3:00.0\" is not a PCI address (domain:bus:device.function, "
	 "0000:03:00.0)", NULL},
	{"pci colon for dot", {"ports[0].vdev!", "ports[0].pci=\"0000:03:00:0\""},
	 "ports[0].pci: \"0000:03:00:0\" is not a PCI address (domain:bus:device.function, "
	 "0000:03:00.0)", NULL},
	{"pci not hex", {"ports[0].vdev!", "ports[0].pci=\"0000:0g:00.0\""},
	 "ports[0].pci: \"0000:0g:00.0\" is not a PCI address (domain:bus:device.function, "
	 "0000:03:00.0)", NULL},
	/* addresses */
	{"10.0.0.256", {"ports[0].ipv4=10.0.0.256/24"},
	 "ports[0].ipv4: \"10.0.0.256/24\" is not an IPv4 address", NULL},
	{"three octets", {"ports[0].ipv4=10.77.1/24"},
	 "ports[0].ipv4: \"10.77.1/24\" is not an IPv4 address", NULL},
	{"octal octet", {"ports[0].ipv4=010.77.1.1/24"},
	 "ports[0].ipv4: \"010.77.1.1/24\" is not an IPv4 address", NULL},
	{"::1::2", {"ports[1].ipv6=\"::1::2/64\""},
	 "ports[1].ipv6: \"::1::2/64\" is not an IPv6 address", NULL},
	{"zone id", {"ports[1].ipv6=\"fe80::1%eth0/64\""},
	 "ports[1].ipv6: \"fe80::1%eth0/64\" is not an IPv6 address", NULL},
	{"IPv6 for ipv4", {"ports[0].ipv4=fd00::1/64"},
	 "ports[0].ipv4: \"fd00::1/64\" is not an IPv4 address", NULL},
	{"IPv4 for ipv6", {"ports[1].ipv6=10.0.0.1/24"},
	 "ports[1].ipv6: \"10.0.0.1/24\" is not an IPv6 address", NULL},
	{"prefix /33", {"ports[0].ipv4=10.77.1.1/33"},
	 "ports[0].ipv4: \"10.77.1.1/33\" prefix length out of range [1, 32]", NULL},
	{"prefix /129", {"ports[1].ipv6=fd00:77:2::1/129"},
	 "ports[1].ipv6: \"fd00:77:2::1/129\" prefix length out of range [1, 128]", NULL},
	{"no prefix", {"ports[0].ipv4=10.77.1.1"},
	 "ports[0].ipv4: \"10.77.1.1\" needs a prefix length: address/prefix", NULL},
	{"empty prefix", {"ports[0].ipv4=10.77.1.1/"},
	 "ports[0].ipv4: \"10.77.1.1/\" has a prefix length that is not a decimal integer", NULL},
	{"prefix -1", {"ports[0].ipv4=10.77.1.1/-1"},
	 "ports[0].ipv4: \"10.77.1.1/-1\" has a prefix length that is not a decimal integer",
	 NULL},
	{"network address", {"ports[0].ipv4=10.77.1.0/24"},
	 "ports[0].ipv4: \"10.77.1.0/24\" is the network address of its subnet", NULL},
	{"broadcast address", {"ports[0].ipv4=10.77.1.255/24"},
	 "ports[0].ipv4: \"10.77.1.255/24\" is the broadcast address of its subnet", NULL},
	{"loopback", {"ports[0].ipv4=127.0.0.2/8"},
	 "ports[0].ipv4: \"127.0.0.2/8\" is a loopback address", NULL},
	{"this network", {"ports[0].ipv4=0.0.0.1/8"},
	 "ports[0].ipv4: \"0.0.0.1/8\" is in 0.0.0.0/8, not a host address", NULL},
	{"multicast gateway", {"ports[0].gateway4=224.0.0.1"},
	 "ports[0].gateway4: \"224.0.0.1\" is a multicast address", NULL},
	{"broadcast gateway", {"ports[0].gateway4=255.255.255.255"},
	 "ports[0].gateway4: \"255.255.255.255\" is a reserved or broadcast address", NULL},
	{"IPv6 unspecified", {"ports[1].ipv6=\"::/64\""},
	 "ports[1].ipv6: \"::/64\" is the unspecified address", NULL},
	{"IPv6 loopback", {"ports[1].gateway6=\"::1\""},
	 "ports[1].gateway6: \"::1\" is the loopback address", NULL},
	{"IPv6 multicast", {"ports[1].ipv6=ff02::1/64"},
	 "ports[1].ipv6: \"ff02::1/64\" is a multicast address", NULL},
	{"IPv4-mapped", {"ports[1].ipv6=\"::ffff:10.77.2.1/120\""},
	 "ports[1].ipv6: \"::ffff:10.77.2.1/120\" is an IPv4-mapped address (write the IPv4 "
	 "address)", NULL},
	{"MAC short", {"ports[0].neighbours[0].mac=\"02:00:00:00:00\""},
	 "ports[0].neighbours[0].mac: \"02:00:00:00:00\" is not a MAC address (six hex pairs: "
	 "02:00:00:00:00:01)", NULL},
	{"MAC not hex", {"ports[0].neighbours[0].mac=\"02:00:00:00:00:0g\""},
	 "ports[0].neighbours[0].mac: \"02:00:00:00:00:0g\" is not a MAC address (six hex "
	 "pairs: 02:00:00:00:00:01)", NULL},
	{"MAC with dashes", {"ports[0].neighbours[0].mac=02-00-00-00-00-01"},
	 "ports[0].neighbours[0].mac: \"02-00-00-00-00-01\" is not a MAC address (six hex "
	 "pairs: 02:00:00:00:00:01)", NULL},
	{"MAC one digit", {"ports[0].neighbours[0].mac=\"2:00:00:00:00:001\""},
	 "ports[0].neighbours[0].mac: \"2:00:00:00:00:001\" is not a MAC address (six hex "
	 "pairs: 02:00:00:00:00:01)", NULL},
	{"MAC multicast", {"ports[0].neighbours[0].mac=\"01:00:5e:00:00:01\""},
	 "ports[0].neighbours[0].mac: \"01:00:5e:00:00:01\" is a multicast or broadcast MAC "
	 "address", NULL},
	{"MAC broadcast", {"ports[0].neighbours[0].mac=\"ff:ff:ff:ff:ff:ff\""},
	 "ports[0].neighbours[0].mac: \"ff:ff:ff:ff:ff:ff\" is a multicast or broadcast MAC "
	 "address", NULL},
	{"MAC zero", {"ports[0].neighbours[0].mac=\"00:00:00:00:00:00\""},
	 "ports[0].neighbours[0].mac: \"00:00:00:00:00:00\" is the all-zero MAC address", NULL},
	{"MAC upper case", {"ports[0].neighbours[0].mac=\"0A:BC:DE:F0:12:34\""}, NULL, NULL},
	{"address without port", {"backends[0].address=10.77.2.2"},
	 "backends[0].address: \"10.77.2.2\" needs a port: IPv4:port or [IPv6]:port", NULL},
	{"address IPv6 without brackets", {"backends[1].address=\"fd00:77:2::2:5060\""},
	 "backends[1].address: \"fd00:77:2::2:5060\" is not IPv4:port; an IPv6 address goes "
	 "in brackets: [2001:db8::2]:5060", NULL},
	{"address [IPv6] without port", {"backends[1].address=\"[fd00:77:2::2]\""},
	 "backends[1].address: \"[fd00:77:2::2]\" is not [IPv6]:port", NULL},
	{"address [IPv4]", {"backends[1].address=\"[10.77.2.2]:5060\""},
	 "backends[1].address: \"[10.77.2.2]:5060\" is not an IPv6 address", NULL},
	{"address port not a number", {"backends[0].address=10.77.2.2:50x"},
	 "backends[0].address: \"10.77.2.2:50x\" has a port that is not a decimal integer", NULL},
	{"address no IP", {"backends[0].address=\":5060\""},
	 "backends[0].address: \":5060\" is not an IPv4 address", NULL},
	{"address 10.0.0.256", {"backends[0].address=10.77.2.256:5060"},
	 "backends[0].address: \"10.77.2.256:5060\" is not an IPv4 address", NULL},
	{"address multicast", {"backends[0].address=239.1.1.1:5060"},
	 "backends[0].address: \"239.1.1.1:5060\" is a multicast address", NULL},
};

/* ---- whole files ---- */

struct raw {
	const char *name;
	const char *text; /* NULL: len bytes of bin */
	size_t len;
	const char *want; /* after "FILE:" */
};

static const char garbage[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"
			      "\x03\x00\x3e\x00\x01\x00\x00\x00\x60\x10";

static const struct raw raw_rows[] = {
	{"empty file", "", 0,
	 "1: empty file: expected a mapping of eal, workers, sip, ports, backends, ..."},
	{"comments only", "# nothing here\n\n   # at all\n", 0,
	 "1: empty file: expected a mapping of eal, workers, sip, ports, backends, ..."},
	{"document marker only", "---\n", 0,
	 "1: empty document: expected a mapping of eal, workers, sip, ports, backends, ..."},
	{"null document", "# a comment\n~\n", 0,
	 "2: empty document: expected a mapping of eal, workers, sip, ports, backends, ..."},
	{"top-level list", "- eal\n- ports\n", 0,
	 "1: the top level is a list, expected a mapping of eal, workers, sip, ports, "
	 "backends, ..."},
	{"top-level scalar", "\nsipedge\n", 0,
	 "2: the top level is a single value, expected a mapping of eal, workers, sip, "
	 "ports, backends, ..."},
	{"two documents", "probe: {}\n---\nprobe: {}\n", 0,
	 "2: a second document; a config is one"},
	{"anchor", "probe: &p {interval_ms: 100}\n", 0,
	 "1: anchor or alias \"p\": not supported, write the value out"},
	{"alias", "workers: [1]\nsip:\n  listen_ports: [5060]\nx: *y\n", 0,
	 "4: anchor or alias \"y\": not supported, write the value out"},
	{"tag", "probe: !!map {}\n", 0, "1: tag \"tag:yaml.org,2002:map\": not supported"},
	{"local tag", "limits:\n  mbufs: !int 5\n", 0, "2: tag \"!int\": not supported"},
	{"tab indent", "eal:\n\tmain_lcore: 0\n", 0,
	 "2:1: found character that cannot start any token (a tab: YAML indents with spaces "
	 "only) (while scanning for the next token at line 2, column 1)"},
	{"tab indent, deeper", "ports:\n  - name: a\n  \trole: core\n", 0,
	 "3:3: found a tab character that violates indentation (while scanning a plain "
	 "scalar at line 2, column 11)"},
	{"tab after a value is fine", "probe:\n  interval_ms: 100\t\n", 0,
	 "1: missing key \"ports\" (the NIC ports: at least one with role access and one with "
	 "role core)"},
	{"unclosed flow list", "workers: [1, 2\nsip: {}\n", 0,
	 "2:4: did not find expected ',' or ']' (while parsing a flow sequence at line 1, "
	 "column 10)"},
	{"mapping in a scalar", "probe: interval_ms: 100\n", 0,
	 "1:19: mapping values are not allowed in this context"},
	{"bad indentation", "probe:\n  interval_ms: 100\n timeout_ms: 10\n", 0,
	 "3:2: did not find expected key (while parsing a block mapping at line 1, column 1)"},
	{"unterminated quote", "proxy:\n  server: \"edge\n", 0,
	 "3:1: found unexpected end of stream (while scanning a quoted scalar at line 2, "
	 "column 11)"},
	{"binary garbage", garbage, sizeof(garbage) - 1, "1:1: control characters are not allowed"},
	{"bad UTF-8", "probe: {}\nx: \xff\xfe\n", 0, "2:4: invalid leading UTF-8 octet"},
	{"NUL byte", "probe: {}\nproxy:\n  server: a\0b\n", 31,
	 "3:12: control characters are not allowed"},
	{"duplicate top-level key", "probe: {}\nlimits: {}\nprobe: {}\n", 0,
	 "3: probe: duplicate key (first at line 1)"},
	{"duplicate nested key", "eal:\n  main_lcore: 0\n  hugepages: true\n  main_lcore: 1\n",
	 0, "4: eal.main_lcore: duplicate key (first at line 2)"},
	{"duplicate key in a flow mapping", "ports:\n  - {name: a, role: core, name: b}\n", 0,
	 "2: ports[0].name: duplicate key (first at line 2)"},
	{"unknown top-level key", "eal: {}\nprob: {}\n", 0,
	 "2: unknown key \"prob\" (did you mean \"probe\"?)"},
	{"unknown key, wrong section", "mtu: 1500\n", 0,
	 "1: unknown key \"mtu\" (it is a key of ports[])"},
	{"unknown key, quoted", "\"pro\\x00xy\": {}\n", 0, "1: unknown key \"pro\\x00xy\""},
	{"complex key", "? [a, b]\n: 1\n", 0, "1: a key must be a name, not a list"},
	{"merge key", "probe:\n  <<: {}\n", 0, "2: probe: unknown key \"<<\""},
	{"unknown key in an empty port", "ports:\n  - mut: 1\n", 0,
	 "2: ports[0]: unknown key \"mut\" (did you mean \"mtu\"?)"},
	{"empty port", "ports:\n  -\n", 0, "2: ports[0]: \"\" is not a mapping"},
};

static void test_raw(void)
{
	for (size_t i = 0; i < NELEM(raw_rows); i++) {
		const struct raw *r = &raw_rows[i];
		char want[1200];
		int rc;

		check_ctx = r->name;
		rc = load_text(r->text, r->len ? r->len : strlen(r->text));
		snprintf(want, sizeof(want), "%s:%s", tpath, r->want);
		CHECK_INT(rc, -EINVAL);
		CHECK_STREQ(err, want);
	}
}

/* The 1 MiB limit, exactly at it and one byte over; a 2 MB file; files
 * that are not there or not files. */
static void test_files(void)
{
	size_t len, pad;
	char *y, *big, want[600], dir[300];
	int rc;

	check_ctx = "1 MiB";
	base_reset();
	y = emit(&len);
	pad = (1u << 20) - len;
	big = malloc(2u << 20);
	memcpy(big, y, len);
	memset(big + len, ' ', pad);
	big[len] = '#';
	big[(1u << 20) - 1] = '\n';
	CHECK_OK(load_text(big, 1u << 20));
	big[1u << 20] = '\n';
	rc = load_text(big, (1u << 20) + 1);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes; a config is a few KB", tpath);
	CHECK_INT(rc, -EINVAL);
	CHECK_STREQ(err, want);

	check_ctx = "2 MB";
	memset(big + len, '#', (2u << 20) - len);
	rc = load_text(big, 2u << 20);
	CHECK_INT(rc, -EINVAL);
	CHECK_STREQ(err, want);
	free(big);
	free(y);

	check_ctx = "a pipe";
	rc = cfg_load("/dev/null", &cfg, err, sizeof(err));
	CHECK_INT(rc, -EINVAL);
	CHECK_STREQ(err, "/dev/null:1: empty file: expected a mapping of eal, workers, sip, "
		    "ports, backends, ...");

	check_ctx = "missing file";
	snprintf(dir, sizeof(dir), "%s/nope.yaml", tmpdir);
	rc = cfg_load(dir, &cfg, err, sizeof(err));
	CHECK_INT(rc, -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", dir);
	CHECK_STREQ(err, want);

	check_ctx = "directory";
	rc = cfg_load(tmpdir, &cfg, err, sizeof(err));
	CHECK_INT(rc, -EISDIR);
	snprintf(want, sizeof(want), "%s: is a directory, not a config file", tmpdir);
	CHECK_STREQ(err, want);

	check_ctx = "no error buffer";
	CHECK_INT(cfg_load(tmpdir, &cfg, NULL, 0), -EISDIR);

	check_ctx = "short error buffer";
	{
		char small[16];

		CHECK_INT(cfg_load(tmpdir, &cfg, small, sizeof(small)), -EISDIR);
		CHECK_INT(strlen(small), sizeof(small) - 1);
	}
}

/* ---- the EAL's command line ---- */

static void check_argv(char **argv, int argc, const char *const *want)
{
	int n = 0;

	while (want[n])
		n++;
	CHECK_INT(argc, n);
	for (int i = 0; i < argc && i < n; i++)
		CHECK_STREQ(argv[i], want[i]);
}

static void test_eal_args(const char *root)
{
	static const char *const want_vdev[] = {
		"sipedge", "-l", "3,0,1,2", "--main-lcore", "3", "--file-prefix", "ci-7",
		"--no-pci", "--vdev", "net_af_packet0,iface=se-acc0,qpairs=1",
		"--vdev", "net_af_packet1,iface=se-core0", "--no-huge", "-m", "512",
		"--log-level=lib.eal:debug", "--iova-mode=va", "--telemetry", "-v", NULL,
	};
	static const char *const want_pci[] = {
		"sipedge", "-l", "1,2,4", "--main-lcore", "1", "--file-prefix", "edge_b",
		"-a", "0000:81:00.0", "-a", "0000:81:00.1",
		"--vdev", "net_pcap0,rx_pcap=/tmp/in.pcap", "-m", "4096", NULL,
	};
	char *extra[] = {"--telemetry", "-v"};
	char p[512], *argv[64], dev[64];
	int argc;

	check_ctx = "eal args, vdev";
	snprintf(p, sizeof(p), "%s/tests/unit/cfg/vdev.yaml", root);
	CHECK_OK(cfg_load(p, &cfg, err, sizeof(err)));
	CHECK_INT(cfg.eal.no_pci, true);
	argc = cfg_eal_args(&cfg, argv, (int)NELEM(argv), extra, 2);
	check_argv(argv, argc, want_vdev);
	CHECK(argv[argc] == NULL);
	CHECK_STREQ(cfg_port_devname(&cfg.ports[0], dev, sizeof(dev)), "net_af_packet0");
	CHECK_STREQ(cfg_port_devname(&cfg.ports[1], dev, sizeof(dev)), "net_af_packet1");
	CHECK_STREQ(cfg_port_devname(&cfg.ports[0], dev, 4), "net");

	check_ctx = "eal args, too many";
	CHECK_INT(cfg_eal_args(&cfg, argv, 5, extra, 2), -E2BIG);
	CHECK_INT(cfg_eal_args(&cfg, argv, argc - 1, extra, 2), -E2BIG);
	CHECK_INT(cfg_eal_args(&cfg, argv, argc, extra, 2), argc); /* no room for NULL */
	CHECK_INT(cfg_eal_args(&cfg, argv, argc - 2, NULL, 0), argc - 2);

	check_ctx = "eal args, pci";
	snprintf(p, sizeof(p), "%s/tests/unit/cfg/pci.yaml", root);
	CHECK_OK(cfg_load(p, &cfg, err, sizeof(err)));
	CHECK_INT(cfg.eal.no_pci, false);
	argc = cfg_eal_args(&cfg, argv, (int)NELEM(argv), NULL, 0);
	check_argv(argv, argc, want_pci);
	CHECK_STREQ(cfg_port_devname(&cfg.ports[0], dev, sizeof(dev)), "0000:81:00.0");
	CHECK_STREQ(cfg_port_devname(&cfg.ports[2], dev, sizeof(dev)), "net_pcap0");
	CHECK_STREQ(cfg.ports[0].dev, "0000:81:00.0"); /* the short form, in full */
}

/* ---- the address helpers of cfg.h ---- */

static void test_ip(void)
{
	static const struct {
		const char *in;
		int rc;
		int af;
		const char *out; /* cfg_fmt_addr with port 5060 */
	} rows[] = {
		{"10.0.0.1", 0, 4, "10.0.0.1:5060"},
		{"255.255.255.255", 0, 4, "255.255.255.255:5060"},
		{"fd00::1", 0, 6, "[fd00::1]:5060"},
		{"FD00:0:0::1", 0, 6, "[fd00::1]:5060"},
		{"::ffff:1.2.3.4", 0, 6, "[::ffff:1.2.3.4]:5060"},
		{"10.0.0.256", -EINVAL, 0, NULL},
		{"10.0.0", -EINVAL, 0, NULL},
		{"10.0.0.1.2", -EINVAL, 0, NULL},
		{" 10.0.0.1", -EINVAL, 0, NULL},
		{"::1::2", -EINVAL, 0, NULL},
		{"1:2:3:4:5:6:7:8:9", -EINVAL, 0, NULL},
		{"", -EINVAL, 0, NULL},
		{"fe80::1%lo", -EINVAL, 0, NULL},
	};
	struct dp_ip ip;
	char b[64];

	for (size_t i = 0; i < NELEM(rows); i++) {
		check_ctx = rows[i].in;
		CHECK_INT(cfg_parse_ip(rows[i].in, &ip), rows[i].rc);
		if (rows[i].rc != 0)
			continue;
		CHECK_INT(ip.af, rows[i].af);
		CHECK_STREQ(cfg_fmt_addr(&ip, 5060, b, sizeof(b)), rows[i].out);
	}
	check_ctx = "ip layout";
	cfg_parse_ip("10.1.2.3", &ip);
	CHECK(memcmp(ip.a, "\x0a\x01\x02\x03\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
	CHECK_STREQ(cfg_fmt_addr(&ip, 0, b, sizeof(b)), "10.1.2.3");
	memset(&ip, 0, sizeof(ip));
	CHECK_STREQ(cfg_fmt_addr(&ip, 0, b, sizeof(b)), "none");
}

/* ---- docs/config.md holds the key table of cfg_keys.def ---- */

static void test_doc(const char *root)
{
	char p[512], *gen = NULL, *doc;
	size_t glen = 0, dlen = 0;
	FILE *f = open_memstream(&gen, &glen);
	long sz;

	check_ctx = "docs/config.md";
	CHECK_INT(cfg_doc_keys(f), 0);
	fclose(f);
	snprintf(p, sizeof(p), "%s/docs/config.md", root);
	f = fopen(p, "r");
	if (f == NULL) {
		check_report(__FILE__, __LINE__, "docs/config.md cannot be read");
		free(gen);
		return;
	}
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)sz + 1);
	dlen = fread(doc, 1, (size_t)sz, f);
	fclose(f);
	if (strstr(doc, gen) != NULL) {
		check_pass++;
	} else {
		/* name the first generated line that is not in the doc */
		char *line = gen, *nl;

		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strstr(doc, line) == NULL)
				break;
			line = nl + 1;
		}
		fprintf(stderr, "docs/config.md: line \"%s\" of the key table is missing or "
			"different; regenerate it with: test_cfg --markdown\n", line);
		check_report(__FILE__, __LINE__, "docs/config.md key table matches cfg_keys.def");
	}
	CHECK(dlen == (size_t)sz);
	free(doc);
	free(gen);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");

	if (argc == 2 && strcmp(argv[1], "--markdown") == 0)
		return cfg_doc_keys(stdout) == 0 ? 0 : 1;
	if (argc != 2) {
		fprintf(stderr, "usage: test_cfg SOURCE_ROOT | --markdown\n");
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_cfg.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		return 2;
	}
	snprintf(tpath, sizeof(tpath), "%s/t.yaml", tmpdir);

	test_example(argv[1]);
	test_defaults(argv[1]);
	test_base();
	test_examples();
	test_bounds();
	check_ctx = "cross-checks";
	run_rows(cross_rows, NELEM(cross_rows));
	run_rows(value_rows, NELEM(value_rows));
	test_raw();
	test_files();
	test_eal_args(argv[1]);
	test_ip();
	test_doc(argv[1]);

	ents_clear();
	unlink(tpath);
	rmdir(tmpdir);
	return check_summary();
}
