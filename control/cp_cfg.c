/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_cfg.c - sipedge-control's YAML configuration (cp_cfg.h).
 *
 * The file is loaded into a libyaml document, then walked against keys[]:
 * every key must be known, appear once and have the right type and bounds;
 * the first error is reported with the file, line and column of the value
 * and quotes it. Strict on purpose: a config that could be read two ways is
 * refused rather than guessed at (same rules as the dataplane's loader,
 * docs/config.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "cp_cfg.h"

#define CFG_FILE_MAX (1u << 20)

#define F(field) offsetof(struct ctl_cfg, field), sizeof(((struct ctl_cfg *)0)->field)
#define N(field) offsetof(struct ctl_cfg_node, field), sizeof(((struct ctl_cfg_node *)0)->field)

static const struct ctl_cfg_key keys[] = {
	{"control", "socket", CTL_CFG_STR, F(socket), 1, CTL_CFG_PATH_MAX - 1,
	 "/run/sipedge/control.sock", 0, "path of the admin control socket (every command)"},
	{"control", "socket_mode", CTL_CFG_MODE, F(socket_mode), 0, 0777, "0660", 0,
	 "file mode of the admin socket, octal, as a string"},
	{"control", "readonly_socket", CTL_CFG_STR, F(ro_socket), 0, CTL_CFG_PATH_MAX - 1, "", 0,
	 "path of a read-only control socket (read commands only); \"\" for none"},
	{"control", "readonly_socket_mode", CTL_CFG_MODE, F(ro_socket_mode), 0, 0777, "0660", 0,
	 "file mode of the read-only socket, octal, as a string"},
	{"control", "socket_group", CTL_CFG_STR, F(socket_group), 0, CTL_CFG_NAME_MAX - 1, "", 0,
	 "group that owns both sockets; \"\" for the daemon's own group"},
	{"control", "max_clients", CTL_CFG_INT, F(max_clients), 1, 4096, "64", 1,
	 "clients connected at once, both sockets together; one more is told so and closed"},
	{"control", "idle_timeout_ms", CTL_CFG_INT, F(idle_timeout_ms), 100, 3600000, "60000", 1,
	 "a client that sends no complete request for this long is closed"},
	{"", "state_dir", CTL_CFG_STR, F(state_dir), 1, CTL_CFG_PATH_MAX - 16,
	 "/var/lib/sipedge-control", 0, "directory of the state file (state.json)"},
	{"", "collect_interval_ms", CTL_CFG_INT, F(collect_interval_ms), 100, 60000, "1000", 1,
	 "how often each node's counters are read; rates are computed over it"},
	{"metrics", "listen", CTL_CFG_LISTEN, F(metrics_listen), 0, CTL_CFG_NAME_MAX - 1,
	 "127.0.0.1:9464", 0, "address:port of the Prometheus /metrics server; \"\" for none"},
	{"agent", "request_timeout_ms", CTL_CFG_INT, F(request_timeout_ms), 100, 600000, "5000", 1,
	 "a dataplane that does not answer a request for this long is disconnected"},
	{"agent", "reconnect_min_ms", CTL_CFG_INT, F(reconnect_min_ms), 10, 60000, "100", 1,
	 "first delay before reconnecting to a dataplane; doubles on each failure"},
	{"agent", "reconnect_max_ms", CTL_CFG_INT, F(reconnect_max_ms), 10, 600000, "5000", 1,
	 "longest delay between reconnection attempts"},
	{"rules", "files", CTL_CFG_FILES, F(rules_files), 0, CTL_CFG_FILES_MAX, "[]", 1,
	 "rule files pushed as the live ruleset at start-up (relative: to the config file)"},
	{"rules", "shadow_files", CTL_CFG_FILES, F(rules_shadow_files), 0, CTL_CFG_FILES_MAX, "[]",
	 1, "rule files pushed as the shadow ruleset (counted beside the live one, never acting)"},
	{"rules", "history", CTL_CFG_INT, F(rules_history), 1, 1000, "20", 1,
	 "ruleset versions kept with their sources (show, diff, rollback)"},
	{"rules", "max_bytes", CTL_CFG_INT, F(rules_max_bytes), 4096, 268435456, "16777216", 1,
	 "bytes of one ruleset's files together (includes too); more is refused"},
	{"state", "history", CTL_CFG_INT, F(state_history), 1, 1000, "20", 1,
	 "operator state changes kept in state.json, for `state` and `state rollback`"},
	{"nodes[]", "name", CTL_CFG_STR, N(name), 1, CTL_CFG_NAME_MAX - 1, NULL, 1,
	 "the dataplane's name: letters, digits, '.', '_', '-'; unique"},
	{"nodes[]", "socket", CTL_CFG_STR, N(socket), 0, CTL_CFG_PATH_MAX - 1, "", 1,
	 "path of its agent socket (its agent.socket); this or address is required"},
	{"nodes[]", "address", CTL_CFG_LISTEN, N(address), 0, CTL_CFG_NAME_MAX - 1, "", 1,
	 "IP:port or [IPv6]:port of its TLS listener (its agent.listen), instead of socket"},
	{"nodes[]", "psk_file", CTL_CFG_STR, N(psk_file), 0, CTL_CFG_PATH_MAX - 1, "", 1,
	 "with address: absolute path of the pre-shared key (hex, 32 to 256 bytes, mode 0600)"},
	{"nodes[]", "psk_identity", CTL_CFG_STR, N(psk_identity), 0, CTL_PSK_ID_MAX - 1, "", 1,
	 "with address: the identity the dataplane knows the key by; \"\": the node's name"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const struct ctl_cfg_key *ctl_cfg_keys(unsigned *n)
{
	*n = NKEYS;
	return keys;
}

/* A parse in progress: the document, the name for messages, the error. */
struct pctx {
	yaml_document_t *doc;
	const char *name;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct pctx *p, const yaml_node_t *at,
						       const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(p->err, p->errlen, "%s:%zu:%zu: ", p->name,
			     at != NULL ? at->start_mark.line + 1 : 1,
			     at != NULL ? at->start_mark.column + 1 : 1);
	if (n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The scalar's text, at most 200 bytes of it, for quoting in a message. */
static const char *sval(const yaml_node_t *v)
{
	return (const char *)v->data.scalar.value;
}

static int set_int(struct pctx *p, const struct ctl_cfg_key *k, const char *dotted,
		   const yaml_node_t *v, void *dst)
{
	const char *s = sval(v);
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || (s[0] < '0' || s[0] > '9') ||
	    x < k->lo || x > k->hi)
		return fail(p, v, "%s: \"%.200s\" is not an integer in [%lld, %lld]", dotted, s,
			    (long long)k->lo, (long long)k->hi);
	*(int64_t *)dst = x;
	return 0;
}

static int set_mode(struct pctx *p, const struct ctl_cfg_key *k, const char *dotted,
		    const yaml_node_t *v, void *dst)
{
	const char *s = sval(v);
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 8);
	if (s[0] != '0' || *end != '\0' || errno != 0 || x < k->lo || x > k->hi ||
	    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		return fail(p, v,
			    "%s: \"%.200s\" is not a file mode: write it as a quoted octal "
			    "string, e.g. \"0660\"",
			    dotted, s);
	*(int64_t *)dst = x;
	return 0;
}

/* "host:port", "[v6]:port"; only the shape is checked here, the address
 * itself when the metrics server binds it. */
static int set_listen(struct pctx *p, const struct ctl_cfg_key *k, const char *dotted,
		      const yaml_node_t *v, void *dst)
{
	const char *s = sval(v), *colon = strrchr(s, ':');
	size_t len = strlen(s);
	char *end;
	long port;

	if (len == 0) {
		*(char *)dst = '\0';
		return 0;
	}
	if (colon == NULL || colon == s || len > (size_t)k->hi)
		goto bad;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
		goto bad;
	memcpy(dst, s, len + 1);
	return 0;
bad:
	return fail(p, v, "%s: \"%.200s\" is not ADDRESS:PORT (port 1..65535) or \"\"", dotted,
		    s);
}

static bool name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int set_str(struct pctx *p, const struct ctl_cfg_key *k, const char *dotted,
		   const yaml_node_t *v, void *dst)
{
	const char *s = sval(v);
	size_t len = v->data.scalar.length;

	if (memchr(s, '\0', len) != NULL || strlen(s) != len)
		return fail(p, v, "%s: contains a NUL byte", dotted);
	if ((int64_t)len < k->lo || (int64_t)len > k->hi)
		return fail(p, v, "%s: \"%.200s\" is %zu bytes long, not %lld..%lld", dotted, s,
			    len, (long long)k->lo, (long long)k->hi);
	if (strcmp(k->name, "name") == 0 && !name_ok(s))
		return fail(p, v,
			    "%s: \"%.200s\": only letters, digits, '.', '_' and '-' are "
			    "allowed",
			    dotted, s);
	memcpy(dst, s, len + 1);
	return 0;
}

/* A list of paths: a YAML sequence of scalars (a flow list [a, b] or one
 * "- a" a line), each 1..CTL_CFG_FILE_MAX-1 bytes with no NUL. */
static int set_files(struct pctx *p, const struct ctl_cfg_key *k, const char *dotted,
		     const yaml_node_t *v, struct ctl_cfg_files *dst)
{
	yaml_node_item_t *it;
	unsigned n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(p, v, "%s: expected a list of file names, e.g. [/etc/sipedge/a.rules]",
			    dotted);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);
		size_t len;

		if (n == (unsigned)k->hi)
			return fail(p, e, "%s: more than %lld files", dotted, (long long)k->hi);
		if (e->type != YAML_SCALAR_NODE)
			return fail(p, e, "%s[%u]: expected a file name, got a %s", dotted, n,
				    e->type == YAML_MAPPING_NODE ? "mapping" : "list");
		len = e->data.scalar.length;
		if (len == 0 || len >= CTL_CFG_FILE_MAX || strlen(sval(e)) != len)
			return fail(p, e, "%s[%u]: \"%.200s\" is not a file name of 1..%u bytes",
				    dotted, n, sval(e), CTL_CFG_FILE_MAX - 1);
		memcpy(dst->v[n], sval(e), len + 1);
	}
	dst->n = n;
	return 0;
}

static int set_value(struct pctx *p, const struct ctl_cfg_key *k, const char *dotted,
		     const yaml_node_t *v, void *obj)
{
	void *dst = (char *)obj + k->off;

	if (k->type == CTL_CFG_FILES)
		return set_files(p, k, dotted, v, dst);
	if (v->type != YAML_SCALAR_NODE)
		return fail(p, v, "%s: expected a single value, got a %s", dotted,
			    v->type == YAML_MAPPING_NODE ? "mapping" : "list");
	switch (k->type) {
	case CTL_CFG_INT:
		return set_int(p, k, dotted, v, dst);
	case CTL_CFG_MODE:
		return set_mode(p, k, dotted, v, dst);
	case CTL_CFG_LISTEN:
		return set_listen(p, k, dotted, v, dst);
	case CTL_CFG_STR:
		return set_str(p, k, dotted, v, dst);
	case CTL_CFG_FILES:
		break;
	}
	return -EINVAL;
}

static const struct ctl_cfg_key *key_find(const char *sec, const char *name)
{
	unsigned i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].sec, sec) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool is_section(const char *name)
{
	unsigned i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].sec, name) == 0)
			return true;
	return false;
}

/* "did you mean" lists the keys of the section: there are few. */
static int unknown_key(struct pctx *p, const yaml_node_t *kn, const char *sec)
{
	char known[256] = "";
	size_t n = 0;
	unsigned i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].sec, sec) != 0)
			continue;
		n += (size_t)snprintf(known + n, n < sizeof(known) ? sizeof(known) - n : 0,
				      "%s%s", n > 0 ? ", " : "", keys[i].name);
		if (n >= sizeof(known))
			break;
	}
	if (sec[0] == '\0')
		return fail(p, kn,
			    "unknown key \"%.200s\" (known: control, metrics, agent, rules, nodes, "
			    "%s)",
			    sval(kn), known);
	return fail(p, kn, "%s: unknown key \"%.200s\" (known: %s)", sec, sval(kn), known);
}

/* Checks that a mapping has no key twice and every key is a plain scalar. */
static int check_keys(struct pctx *p, const yaml_node_t *map, const char *sec)
{
	yaml_node_pair_t *a, *b;

	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		yaml_node_t *ka = yaml_document_get_node(p->doc, a->key);

		if (ka->type != YAML_SCALAR_NODE)
			return fail(p, ka, "%s%sa key must be a plain name", sec,
				    sec[0] != '\0' ? ": " : "");
		for (b = map->data.mapping.pairs.start; b < a; b++) {
			yaml_node_t *kb = yaml_document_get_node(p->doc, b->key);

			if (kb->type == YAML_SCALAR_NODE && strcmp(sval(ka), sval(kb)) == 0)
				return fail(p, ka, "%s%s\"%.200s\" is given twice", sec,
					    sec[0] != '\0' ? "." : "key ", sval(ka));
		}
	}
	return 0;
}

/* The keys of one mapping whose rows have section sec, into obj. */
static int walk_map(struct pctx *p, const yaml_node_t *map, const char *sec, const char *prefix,
		    void *obj)
{
	yaml_node_pair_t *pr;
	int rc;

	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s: expected a mapping of keys", prefix);
	rc = check_keys(p, map, prefix);
	if (rc < 0)
		return rc;
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
		const struct ctl_cfg_key *k = key_find(sec, sval(kn));
		char dotted[160];

		if (k == NULL)
			return unknown_key(p, kn, sec);
		snprintf(dotted, sizeof(dotted), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "",
			 k->name);
		rc = set_value(p, k, dotted, vn, obj);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A key required in a nodes[] element but absent. */
static int check_required(struct pctx *p, const yaml_node_t *map, const char *prefix)
{
	unsigned i;

	for (i = 0; i < NKEYS; i++) {
		yaml_node_pair_t *pr;
		bool found = false;

		if (strcmp(keys[i].sec, "nodes[]") != 0 || keys[i].def != NULL)
			continue;
		for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++)
			if (strcmp(sval(yaml_document_get_node(p->doc, pr->key)),
				   keys[i].name) == 0)
				found = true;
		if (!found)
			return fail(p, map, "%s: \"%s\" is required", prefix, keys[i].name);
	}
	return 0;
}

/* The value of key in mapping map, or map itself when it has none: where
 * a message points. */
static const yaml_node_t *map_at(struct pctx *p, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pr;

	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++)
		if (strcmp(sval(yaml_document_get_node(p->doc, pr->key)), key) == 0)
			return yaml_document_get_node(p->doc, pr->value);
	return map;
}

/* A node's link: a Unix socket, or an address (an IP: the loop never
 * waits for DNS) with the key's file (absolute) and identity. */
static int check_link(struct pctx *p, const yaml_node_t *m, const char *prefix,
		      const struct ctl_cfg_node *nd)
{
	bool sock = nd->socket[0] != '\0', addr = nd->address[0] != '\0';
	struct sockaddr_storage ss;
	socklen_t sl;

	if (sock && addr)
		return fail(p, map_at(p, m, "address"), "%s: \"socket\" and \"address\" both "
			    "given: a node's agent is one or the other", prefix);
	if (!sock && !addr)
		return fail(p, m, "%s: \"socket\" (a Unix socket) or \"address\" (TCP with "
			    "TLS) is required", prefix);
	if (sock && (nd->psk_file[0] != '\0' || nd->psk_identity[0] != '\0'))
		return fail(p, map_at(p, m, nd->psk_file[0] ? "psk_file" : "psk_identity"),
			    "%s: \"psk_file\" and \"psk_identity\" go with \"address\" (TLS), "
			    "not with a Unix socket", prefix);
	if (sock)
		return 0;
	if (ctl_addr_parse(nd->address, &ss, &sl) != 0)
		return fail(p, map_at(p, m, "address"), "%s.address: \"%s\" is not IPv4:port or "
			    "[IPv6]:port (a host name is not resolved: sipedge-control never "
			    "waits for DNS)", prefix, nd->address);
	if (nd->psk_file[0] != '/')
		return fail(p, map_at(p, m, "psk_file"), nd->psk_file[0] == '\0' ?
			    "%s: \"address\" needs \"psk_file\" (the TLS link's shared key)%.0s" :
			    "%s.psk_file: \"%s\" is not an absolute path", prefix, nd->psk_file);
	return 0;
}

static int walk_nodes(struct pctx *p, const yaml_node_t *seq, struct ctl_cfg *cfg)
{
	yaml_node_item_t *it;
	unsigned i, j;
	int rc;

	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(p, seq, "nodes: expected a list of {name, socket} or {name, address, "
			    "psk_file}");
	cfg->nnodes = 0;
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *m = yaml_document_get_node(p->doc, *it);
		char prefix[32];

		if (cfg->nnodes == CTL_CFG_NODES_MAX)
			return fail(p, m, "nodes: more than %u nodes", CTL_CFG_NODES_MAX);
		i = cfg->nnodes;
		snprintf(prefix, sizeof(prefix), "nodes[%u]", i);
		memset(&cfg->nodes[i], 0, sizeof(cfg->nodes[i]));
		rc = walk_map(p, m, "nodes[]", prefix, &cfg->nodes[i]);
		if (rc == 0)
			rc = check_required(p, m, prefix);
		if (rc == 0)
			rc = check_link(p, m, prefix, &cfg->nodes[i]);
		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(cfg->nodes[j].name, cfg->nodes[i].name) == 0)
				return fail(p, m, "%s.name: \"%s\" is already nodes[%u]'s name",
					    prefix, cfg->nodes[i].name, j);
		cfg->nnodes++;
	}
	return 0;
}

static int walk_root(struct pctx *p, const yaml_node_t *root, struct ctl_cfg *cfg)
{
	yaml_node_pair_t *pr;
	int rc;

	if (root == NULL)
		return fail(p, NULL, "empty file: expected a mapping of keys");
	if (root->type != YAML_MAPPING_NODE)
		return fail(p, root, "expected a mapping of keys at the top");
	rc = check_keys(p, root, "");
	for (pr = root->data.mapping.pairs.start; rc == 0 && pr < root->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
		const char *name = sval(kn);
		const struct ctl_cfg_key *k = key_find("", name);

		if (k != NULL)
			rc = set_value(p, k, name, vn, cfg);
		else if (strcmp(name, "nodes") == 0)
			rc = walk_nodes(p, vn, cfg);
		else if (is_section(name))
			rc = walk_map(p, vn, name, name, cfg);
		else
			rc = unknown_key(p, kn, "");
	}
	return rc;
}

void ctl_cfg_defaults(struct ctl_cfg *cfg)
{
	yaml_document_t doc;
	struct pctx p = {.doc = &doc, .name = "defaults"};
	char err[CTL_CFG_ERR_MAX];
	unsigned i;

	memset(cfg, 0, sizeof(*cfg));
	p.err = err;
	p.errlen = sizeof(err);
	/* Run each default through the same setter as the file's values, so a
	 * default can never bypass a bound. A list's default is empty: the
	 * memset's. */
	for (i = 0; i < NKEYS; i++) {
		yaml_node_t v = {.type = YAML_SCALAR_NODE};

		if (keys[i].def == NULL || strcmp(keys[i].sec, "nodes[]") == 0 ||
		    keys[i].type == CTL_CFG_FILES)
			continue;
		v.data.scalar.value = (yaml_char_t *)(uintptr_t)keys[i].def;
		v.data.scalar.length = strlen(keys[i].def);
		v.data.scalar.style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		if (set_value(&p, &keys[i], keys[i].name, &v, cfg) < 0)
			abort(); /* a bad row in keys[]: a bug, caught by any test */
	}
}

static int yaml_error(struct pctx *p, const yaml_parser_t *yp)
{
	snprintf(p->err, p->errlen, "%s:%zu:%zu: YAML: %s%s%s", p->name, yp->problem_mark.line + 1,
		 yp->problem_mark.column + 1, yp->problem != NULL ? yp->problem : "syntax error",
		 yp->context != NULL ? " " : "", yp->context != NULL ? yp->context : "");
	return -EINVAL;
}

int ctl_cfg_parse(const char *buf, size_t len, const char *name, struct ctl_cfg *cfg, char *err,
		  size_t errlen)
{
	yaml_parser_t yp;
	yaml_document_t doc, doc2;
	struct ctl_cfg *tmp = malloc(sizeof(*tmp));
	struct pctx p = {.doc = &doc, .name = name, .err = err, .errlen = errlen};
	int rc;

	if (tmp == NULL)
		return -ENOMEM;
	ctl_cfg_defaults(tmp);
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&yp, &doc)) {
		rc = yaml_error(&p, &yp);
		goto out_parser;
	}
	rc = walk_root(&p, yaml_document_get_root_node(&doc), tmp);
	if (rc == 0) {
		/* a second document after "---" would be silently ignored */
		if (!yaml_parser_load(&yp, &doc2)) {
			rc = yaml_error(&p, &yp);
		} else {
			if (yaml_document_get_root_node(&doc2) != NULL)
				rc = fail(&p, yaml_document_get_root_node(&doc2),
					  "a second YAML document: one is expected");
			yaml_document_delete(&doc2);
		}
	}
	if (rc == 0 && tmp->reconnect_min_ms > tmp->reconnect_max_ms)
		rc = fail(&p, NULL, "agent.reconnect_min_ms %lld is over agent.reconnect_max_ms %lld",
			  (long long)tmp->reconnect_min_ms, (long long)tmp->reconnect_max_ms);
	if (rc == 0 && tmp->ro_socket[0] != '\0' && strcmp(tmp->ro_socket, tmp->socket) == 0)
		rc = fail(&p, NULL, "control.readonly_socket \"%s\" is control.socket too",
			  tmp->ro_socket);
	if (rc == 0)
		*cfg = *tmp;
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&yp);
	free(tmp);
	return rc;
}

/* ctl_cfg_wipe_keys - see cp_cfg.h. Every slot, not only nnodes: a cfg
 * is copied whole, and a key must not outlive its node in a spare one. */
void ctl_cfg_wipe_keys(struct ctl_cfg *cfg)
{
	for (unsigned i = 0; i < CTL_CFG_NODES_MAX; i++)
		OPENSSL_cleanse(&cfg->nodes[i].psk, sizeof(cfg->nodes[i].psk));
}

/* Every TLS node's key, from its psk_file; its identity. On error the
 * keys read before are wiped: the caller drops cfg. */
static int load_keys(const char *path, struct ctl_cfg *cfg, char *err, size_t errlen)
{
	char what[64], why[CTL_CFG_ERR_MAX];
	unsigned i;
	int rc;

	for (i = 0; i < cfg->nnodes; i++) {
		struct ctl_cfg_node *nd = &cfg->nodes[i];

		if (nd->address[0] == '\0')
			continue;
		snprintf(what, sizeof(what), "nodes[%u].psk_file", i);
		rc = ctl_psk_load(what, nd->psk_file, &nd->psk, why, sizeof(why));
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", path, why);
			ctl_cfg_wipe_keys(cfg);
			return rc;
		}
		snprintf(nd->psk.identity, sizeof(nd->psk.identity), "%s",
			 nd->psk_identity[0] != '\0' ? nd->psk_identity : nd->name);
	}
	return 0;
}

int ctl_cfg_load(const char *path, struct ctl_cfg *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(CFG_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, CFG_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -EIO;
	} else if (n > CFG_FILE_MAX) {
		snprintf(err, errlen, "%s: over the %u-byte limit", path, CFG_FILE_MAX);
		rc = -EFBIG;
	} else {
		rc = ctl_cfg_parse(buf, n, path, cfg, err, errlen);
	}
	free(buf);
	fclose(f);
	return rc < 0 ? rc : load_keys(path, cfg, err, errlen);
}

void ctl_cfg_restart_keys(const struct ctl_cfg *a, const struct ctl_cfg *b, char *out,
			  size_t outlen)
{
	size_t n = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < NKEYS; i++) {
		const struct ctl_cfg_key *k = &keys[i];
		const char *pa = (const char *)a + k->off, *pb = (const char *)b + k->off;
		bool same;

		if (k->runtime || strcmp(k->sec, "nodes[]") == 0)
			continue;
		if (k->type == CTL_CFG_STR || k->type == CTL_CFG_LISTEN)
			same = strcmp(pa, pb) == 0;
		else
			same = *(const int64_t *)(const void *)pa == *(const int64_t *)(const void *)pb;
		if (same)
			continue;
		n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s%s%s",
				      n > 0 ? "," : "", k->sec, k->sec[0] != '\0' ? "." : "",
				      k->name);
		if (n >= outlen)
			return;
	}
}
