/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cfg.c - the dataplane's YAML configuration (docs/config.md).
 *
 * The keys are the lines of cfg_keys.def, expanded here into one table that
 * drives everything: the lookup of each key in its section, the type check
 * and parse of its value, its bounds, its default and its row in the docs.
 * What the table cannot say (a gateway inside its subnet, two ports on one
 * device...) is in the cross-checks at the end of cfg_load (cfg_check.c).
 *
 * The file is read whole (at most 1 MiB), scanned once by libyaml's event
 * parser to refuse what the config does not use (anchors, aliases, tags, a
 * second document) and to report syntax errors with line and column (both
 * in cfg_read.c), then loaded as a libyaml document and walked against the
 * table, each scalar parsed by its type (cfg_value.c). Every error stops
 * the load and is one line: FILE:LINE: KEY.PATH: "VALUE" why.
 *
 * This file holds the table, the walk, cfg_load, cfg_defaults, the EAL's
 * command line and the docs' key table; cfg_priv.h is what the files share.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

/* How each type is named in messages ("expected an integer") and in the
 * docs' type column. */
static const struct {
	const char *a, *doc;
} cfg_type_name[] = {
	[CFG_T_UINT] = {"an integer", "integer"},
	[CFG_T_POW2] = {"an integer", "integer"},
	[CFG_T_BOOL] = {"a boolean", "boolean"},
	[CFG_T_NAME] = {"a name", "name"},
	[CFG_T_TEXT] = {"a string", "string"},
	[CFG_T_ARG] = {"a string", "string"},
	[CFG_T_PATH] = {"a path", "path"},
	[CFG_T_ROLE] = {"a role", "role"},
	[CFG_T_VDEV] = {"a device string", "vdev string"},
	[CFG_T_PCI] = {"a PCI address", "PCI address"},
	[CFG_T_NET4] = {"an IPv4 address/prefix", "IPv4/prefix"},
	[CFG_T_NET6] = {"an IPv6 address/prefix", "IPv6/prefix"},
	[CFG_T_IP4] = {"an IPv4 address", "IPv4 address"},
	[CFG_T_IP6] = {"an IPv6 address", "IPv6 address"},
	[CFG_T_IP] = {"an IP address", "IP address"},
	[CFG_T_MAC] = {"a MAC address", "MAC address"},
	[CFG_T_ADDR] = {"an IP:port", "IP:port"},
	[CFG_T_LISTEN] = {"an IP:port", "IP:port to bind"},
	[CFG_T_HEX] = {"a hex string", "hex string"},
	[CFG_T_MAP] = {"a mapping", "mapping"},
	[CFG_T_ITEMS] = {"a list of mappings", "list of mappings"},
};

/* Compile-time checks of a row against its field, so that a bound the field
 * cannot hold fails the build rather than truncating: a negative array size
 * is an error, and the check adds 0 to the value. */
#define CFG_ASSERT(cond, v) ((v) + 0 * sizeof(char[(cond) ? 1 : -1]))
#define CFG_UMAX(size) (~0ull >> (8 * (8 - ((size) > 8 ? 8 : (size)))))
#define CFG_IS_STR(t) ((t) == CFG_T_NAME || (t) == CFG_T_TEXT || \
		       (t) == CFG_T_ARG || (t) == CFG_T_PATH || (t) == CFG_T_VDEV || (t) == CFG_T_PCI)
#define CFG_FITS(t, hi, size)                                                \
	((t) == CFG_T_UINT || (t) == CFG_T_POW2 ? ((uint64_t)(hi) & ~CFG_UMAX(size)) == 0 : \
	 (t) == CFG_T_HEX ? (uint64_t)(hi) == 2 * (uint64_t)(size) :         \
	 CFG_IS_STR(t) ? (uint64_t)(hi) < (size) : 1)
#define CFG_SIZE(sec, f) sizeof(((CFG_OBJ_##sec *)0)->f)
#define CFG_CAP(sec, f) (CFG_SIZE(sec, f) / CFG_SIZE(sec, f[0]))

static const struct cfg_key cfg_keys[CFG_KEY__COUNT] = {
#define MAP(id, parent, h_)                                                  \
	{.name = #id, .sec = CFG_SEC_##parent, .type = CFG_T_MAP,            \
	 .child = CFG_SEC_##id, .help = h_},
#define ITEMS(id, parent, field, nfield, nlo_, nhi_, h_)                     \
	{.name = #id, .sec = CFG_SEC_##parent, .type = CFG_T_ITEMS,          \
	 .child = CFG_SEC_##id, .off = offsetof(CFG_OBJ_##parent, field),    \
	 .size = CFG_SIZE(parent, field[0]),                                 \
	 .off2 = offsetof(CFG_OBJ_##parent, nfield), .nlo = nlo_,            \
	 .nhi = CFG_ASSERT(nhi_ <= CFG_CAP(parent, field), nhi_), .help = h_},
#define KEY(sec_, name_, type_, field, lo_, hi_, def_, ex_, h_)              \
	{.name = #name_, .sec = CFG_SEC_##sec_, .type = CFG_T_##type_,       \
	 .off = offsetof(CFG_OBJ_##sec_, field), .size = CFG_SIZE(sec_, field), \
	 .lo = lo_,                                                          \
	 .hi = CFG_ASSERT(CFG_FITS(CFG_T_##type_, hi_, CFG_SIZE(sec_, field)), hi_), \
	 .def = def_, .example = ex_, .help = h_, .lo_doc = #lo_, .hi_doc = #hi_},
#define NET(sec_, name_, type_, field, pfield, lo_, hi_, ex_, h_)            \
	{.name = #name_, .sec = CFG_SEC_##sec_, .type = CFG_T_##type_,       \
	 .off = offsetof(CFG_OBJ_##sec_, field), .size = CFG_SIZE(sec_, field), \
	 .off2 = offsetof(CFG_OBJ_##sec_, pfield), .lo = lo_, .hi = hi_,     \
	 .def = CFG_NONE, .example = ex_, .help = h_, .lo_doc = #lo_, .hi_doc = #hi_},
#define LIST(sec_, name_, type_, field, nfield, nlo_, nhi_, lo_, hi_, def_, ex_, h_) \
	{.name = #name_, .sec = CFG_SEC_##sec_, .type = CFG_T_##type_,       \
	 .list = true, .off = offsetof(CFG_OBJ_##sec_, field),               \
	 .size = CFG_SIZE(sec_, field[0]),                                   \
	 .off2 = offsetof(CFG_OBJ_##sec_, nfield), .lo = lo_,                \
	 .hi = CFG_ASSERT(CFG_FITS(CFG_T_##type_, hi_, CFG_SIZE(sec_, field[0])), hi_), \
	 .nlo = nlo_,                                                        \
	 .nhi = CFG_ASSERT(nhi_ <= CFG_CAP(sec_, field) && nhi_ <= CFG_LIST_MAX, nhi_), \
	 .def = def_, .example = ex_, .help = h_, .lo_doc = #lo_, .hi_doc = #hi_},
#include "cfg_keys.def"
};

/* The key that opens section s (NULL for the root). */
static const struct cfg_key *sec_key(unsigned s)
{
	for (unsigned i = 0; s != CFG_SEC_root && i < CFG_KEY__COUNT; i++)
		if ((cfg_keys[i].type == CFG_T_MAP || cfg_keys[i].type == CFG_T_ITEMS) &&
		    cfg_keys[i].child == s)
			return &cfg_keys[i];
	return NULL;
}

/* The section whose struct holds the keys of s: s itself for a list of
 * mappings, its parent's for a plain mapping. */
static unsigned sec_obj(unsigned s)
{
	const struct cfg_key *k;

	while ((k = sec_key(s)) != NULL && k->type == CFG_T_MAP)
		s = k->sec;
	return s;
}

/* "ports[].neighbours[]": the path of a section, for the docs and hints. */
static void sec_path(unsigned s, char *buf, size_t len)
{
	const struct cfg_key *k = sec_key(s);
	char up[64];

	if (k == NULL) {
		buf[0] = '\0';
		return;
	}
	sec_path(k->sec, up, sizeof(up));
	snprintf(buf, len, "%s%s%s%s", up, up[0] ? "." : "", k->name,
		 k->type == CFG_T_ITEMS ? "[]" : "");
}

/* ---- defaults ---- */

/* Every key of the struct of section s at its default, in obj. */
static void set_defaults(unsigned s, void *obj)
{
	for (unsigned i = 0; i < CFG_KEY__COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->def == NULL || k->def[0] == '\0' || sec_obj(k->sec) != s)
			continue;
		/* a default that does not parse is a bug in cfg_keys.def,
		 * caught by the unit test's defaults rows */
		if (cfg_set_scalar(k, obj, 0, k->def, strlen(k->def), true) == NULL && k->list)
			*(unsigned *)(void *)((uint8_t *)obj + k->off2) = 1;
	}
}

/* cfg_defaults - every key of struct cfg at its cfg_keys.def default, no
 * ports and no backends (their defaults are set per entry, as read). */
void cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	set_defaults(CFG_SEC_root, c);
}

/* ---- the load ---- */

/* Quotes s[0..n) for a message: "...", with \" \\ and \xNN escapes, cut at
 * 80 characters. */
static const char *quote(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < n && o + 8 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == 80) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* cfg_ld_fail - FILE:LINE: PATH: message into ld->err; line 0 leaves out the
 * line, an empty path the path. Returns -EINVAL, for the caller to return. */
int __attribute__((format(printf, 4, 5)))
cfg_ld_fail(struct ld *ld, uint32_t line, const char *path, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (line)
		o = snprintf(ld->err, ld->errlen, "%s:%u: %s%s", ld->file, line,
			     path, path[0] ? ": " : "");
	else
		o = snprintf(ld->err, ld->errlen, "%s: %s%s", ld->file, path,
			     path[0] ? ": " : "");
	if (o >= 0 && (size_t)o < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + o, ld->errlen - (size_t)o, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static uint32_t node_line(const yaml_node_t *n)
{
	return (uint32_t)n->start_mark.line + 1;
}

static const char *node_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool node_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       cfg_is_null(node_text(n), n->data.scalar.length);
}

/* KP: "VALUE" expected ..., or KP: expected ..., found a list */
static int ld_wrong_type(struct ld *ld, const yaml_node_t *n, const char *want,
			 const char *hint)
{
	char q[128];

	if (n->type == YAML_SCALAR_NODE)
		return cfg_ld_fail(ld, node_line(n), ld->kp, "%s is not %s%s",
				   quote(node_text(n), n->data.scalar.length, q, sizeof(q)),
				   want, hint);
	return cfg_ld_fail(ld, node_line(n), ld->kp, "expected %s, found a %s%s", want,
			   n->type == YAML_SEQUENCE_NODE ? "list" : "mapping", hint);
}

/* The key path grows by ".name" or "[i]"; each returns the length to cut
 * it back to. */
static size_t kp_key(struct ld *ld, const char *name)
{
	size_t at = strlen(ld->kp);

	snprintf(ld->kp + at, sizeof(ld->kp) - at, "%s%s", at ? "." : "", name);
	return at;
}

static size_t kp_idx(struct ld *ld, unsigned idx)
{
	size_t at = strlen(ld->kp);

	snprintf(ld->kp + at, sizeof(ld->kp) - at, "[%u]", idx);
	return at;
}

/* Optimal string alignment distance, for "did you mean". */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned d[33][33], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la > 32 || lb > 32)
		return 99;
	for (unsigned i = 0; i <= la; i++)
		for (unsigned j = 0; j <= lb; j++) {
			unsigned v = i == 0 ? j : j == 0 ? i : d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (i && j && d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (i && j && d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

static int ld_unknown(struct ld *ld, const yaml_node_t *key, unsigned sec)
{
	const char *name = node_text(key);
	const struct cfg_key *best = NULL;
	unsigned bestd = 3;
	char q[128], hint[128] = "";

	for (unsigned i = 0; strlen(name) == key->data.scalar.length && i < CFG_KEY__COUNT; i++) {
		unsigned d = cfg_keys[i].sec == sec ? edit_distance(name, cfg_keys[i].name) : 99;

		if (d < bestd && d < strlen(cfg_keys[i].name)) {
			best = &cfg_keys[i];
			bestd = d;
		}
	}
	if (best != NULL) {
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best->name);
	} else {
		/* a key written in the wrong section */
		for (unsigned i = 0; strlen(name) == key->data.scalar.length && i < CFG_KEY__COUNT; i++)
			if (strcmp(name, cfg_keys[i].name) == 0) {
				char p[96];

				sec_path(cfg_keys[i].sec, p, sizeof(p));
				snprintf(hint, sizeof(hint), " (it is a key of %s)",
					 p[0] ? p : "the top level");
				break;
			}
	}
	return cfg_ld_fail(ld, node_line(key), ld->kp, "unknown key %s%s",
			   quote(name, key->data.scalar.length, q, sizeof(q)), hint);
}

static int walk_map(struct ld *ld, yaml_node_t *n, unsigned sec, void *obj,
		    struct ld_obj *lo);

/* A list of scalars: each element parsed as k into element i of its field;
 * integers may not repeat. */
static int walk_list(struct ld *ld, const struct cfg_key *k, yaml_node_t *n,
		     void *obj)
{
	unsigned cnt = 0, *count = (unsigned *)(void *)((uint8_t *)obj + k->off2);
	char q[128];

	if (n->type == YAML_SEQUENCE_NODE)
		cnt = (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
	else if (!node_null(n))
		return ld_wrong_type(ld, n, "a list", "");
	if (cnt < k->nlo || cnt > k->nhi)
		return cfg_ld_fail(ld, node_line(n), ld->kp, "has %u entries, not %u to %u",
				   cnt, k->nlo, k->nhi);
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *e = yaml_document_get_node(&ld->doc,
							n->data.sequence.items.start[i]);
		size_t at = kp_idx(ld, i);
		const char *why;

		if (e->type != YAML_SCALAR_NODE)
			return ld_wrong_type(ld, e, cfg_type_name[k->type].a, "");
		why = cfg_set_scalar(k, obj, i, node_text(e), e->data.scalar.length,
				     e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
		if (why != NULL)
			return cfg_ld_fail(ld, node_line(e), ld->kp, "%s %s",
					   quote(node_text(e), e->data.scalar.length, q, sizeof(q)), why);
		ld->elem[k - cfg_keys][i] = node_line(e);
		for (unsigned j = 0; k->type == CFG_T_UINT && j < i; j++) {
			const uint8_t *f = (const uint8_t *)obj + k->off;

			if (memcmp(f + (size_t)i * k->size, f + (size_t)j * k->size, k->size) == 0)
				return cfg_ld_fail(ld, node_line(e), ld->kp, "%s repeats %.*s[%u]",
						   quote(node_text(e), e->data.scalar.length, q, sizeof(q)),
						   (int)at, ld->kp, j);
		}
		ld->kp[at] = '\0';
	}
	*count = cnt;
	return 0;
}

/* A list of mappings: each one a new element of k's array in obj, set to
 * its defaults and then walked. */
static int walk_items(struct ld *ld, const struct cfg_key *k, yaml_node_t *n,
		      void *obj)
{
	unsigned cnt = 0, *count = (unsigned *)(void *)((uint8_t *)obj + k->off2);
	int rc;

	if (n->type == YAML_SEQUENCE_NODE)
		cnt = (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
	else if (!node_null(n))
		return ld_wrong_type(ld, n, "a list of mappings", "");
	if (cnt < k->nlo || cnt > k->nhi)
		return cfg_ld_fail(ld, node_line(n), ld->kp, "has %u entries, not %u to %u",
				   cnt, k->nlo, k->nhi);
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *e = yaml_document_get_node(&ld->doc,
							n->data.sequence.items.start[i]);
		void *item = (uint8_t *)obj + k->off + (size_t)i * k->size;
		size_t at = kp_idx(ld, i);
		struct ld_obj *lo = &ld->obj[ld->n_obj++];

		memset(item, 0, k->size);
		set_defaults(k->child, item);
		lo->obj = item;
		lo->at = node_line(e);
		if (e->type != YAML_MAPPING_NODE)
			return ld_wrong_type(ld, e, "a mapping", "");
		if ((rc = walk_map(ld, e, k->child, item, lo)) != 0)
			return rc;
		ld->kp[at] = '\0';
		*count = i + 1;
	}
	return 0;
}

static int walk_value(struct ld *ld, const struct cfg_key *k, yaml_node_t *v,
		      void *obj, struct ld_obj *lo)
{
	const char *why;
	char q[128];

	if (k->type == CFG_T_MAP) {
		if (node_null(v))
			return walk_map(ld, NULL, k->child, obj, lo);
		if (v->type != YAML_MAPPING_NODE)
			return ld_wrong_type(ld, v, "a mapping", "");
		return walk_map(ld, v, k->child, obj, lo);
	}
	if (k->type == CFG_T_ITEMS)
		return walk_items(ld, k, v, obj);
	if (k->list)
		return walk_list(ld, k, v, obj);
	if (v->type != YAML_SCALAR_NODE)
		return ld_wrong_type(ld, v, cfg_type_name[k->type].a,
				     k->type == CFG_T_ADDR || k->type == CFG_T_LISTEN ||
				     k->type == CFG_T_IP6 ?
				     " (quote an IPv6 address: \"[2001:db8::2]:5060\")" : "");
	why = cfg_set_scalar(k, obj, 0, node_text(v), v->data.scalar.length,
			     v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
	if (why != NULL)
		return cfg_ld_fail(ld, node_line(v), ld->kp, "%s %s",
				   quote(node_text(v), v->data.scalar.length, q, sizeof(q)), why);
	return 0;
}

/* walk_map - the keys of mapping n (NULL: an empty section) as keys of
 * section sec, stored in obj; their lines in lo. Refuses keys the section
 * does not have, keys given twice and missing required keys. */
static int walk_map(struct ld *ld, yaml_node_t *n, unsigned sec, void *obj,
		    struct ld_obj *lo)
{
	yaml_node_pair_t *p;
	int rc;

	for (p = n ? n->data.mapping.pairs.start : NULL; n && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *key = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(&ld->doc, p->value);
		const struct cfg_key *k = NULL;
		size_t at;

		if (key->type != YAML_SCALAR_NODE)
			return cfg_ld_fail(ld, node_line(key), ld->kp,
					   "a key must be a name, not a %s",
					   key->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
		for (unsigned i = 0; i < CFG_KEY__COUNT && k == NULL; i++)
			if (cfg_keys[i].sec == sec && strcmp(cfg_keys[i].name, node_text(key)) == 0)
				k = &cfg_keys[i];
		if (k == NULL)
			return ld_unknown(ld, key, sec);
		at = kp_key(ld, k->name);
		if (lo->line[k - cfg_keys] != 0)
			return cfg_ld_fail(ld, node_line(key), ld->kp,
					   "duplicate key (first at line %u)", lo->line[k - cfg_keys]);
		lo->line[k - cfg_keys] = node_line(key);
		if ((rc = walk_value(ld, k, val, obj, lo)) != 0)
			return rc;
		ld->kp[at] = '\0';
	}
	for (unsigned i = 0; i < CFG_KEY__COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->sec == sec && lo->line[i] == 0 &&
		    ((k->type == CFG_T_ITEMS && k->nlo > 0) ||
		     (k->type != CFG_T_MAP && k->type != CFG_T_ITEMS && k->def == NULL)))
			return cfg_ld_fail(ld, n ? node_line(n) : lo->at, ld->kp,
					   "missing key \"%s\" (%s)", k->name, k->help);
	}
	return 0;
}

/* cfg_load - see cfg.h. err may be NULL. The file's text, the libyaml
 * document and the loader's state are freed before it returns; *c owns
 * nothing. Main lcore / start-up (the value parsers use static buffers). */
int cfg_load(const char *path, struct cfg *c, char *err, size_t errlen)
{
	struct ld *ld = calloc(1, sizeof(*ld));
	yaml_parser_t p;
	yaml_node_t *root;
	char *buf = NULL, noerr[8];
	bool loaded = false;
	int rc;

	if (err == NULL || errlen == 0) {
		err = noerr;
		errlen = sizeof(noerr);
	}
	if (ld == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ld->file = path;
	ld->err = err;
	ld->errlen = errlen;
	ld->c = c;
	err[0] = '\0';
	cfg_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	if ((rc = cfg_read_file(ld, &buf, &ld->len)) != 0)
		goto out;
	ld->buf = buf;
	if ((rc = cfg_scan(ld)) != 0)
		goto out;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, ld->len);
	loaded = yaml_parser_load(&p, &ld->doc) != 0;
	rc = loaded ? 0 : cfg_syntax_error(ld, &p);
	yaml_parser_delete(&p);
	if (rc != 0)
		goto out;
	root = yaml_document_get_root_node(&ld->doc);
	if (root == NULL || node_null(root)) {
		rc = cfg_ld_fail(ld, ld->doc_line, "", "empty document: expected a mapping of eal, workers, sip, ports, backends, ...");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		rc = cfg_ld_fail(ld, node_line(root), "", "the top level is a %s, expected a mapping of "
				 "eal, workers, sip, ports, backends, ...",
				 root->type == YAML_SEQUENCE_NODE ? "list" : "single value");
		goto out;
	}
	ld->obj[0].obj = c;
	ld->obj[0].at = node_line(root);
	ld->n_obj = 1;
	if ((rc = walk_map(ld, root, CFG_SEC_root, c, &ld->obj[0])) != 0)
		goto out;
	rc = cfg_check(ld);
out:
	if (loaded)
		yaml_document_delete(&ld->doc);
	free(buf);
	free(ld);
	return rc;
}

/* ---- the EAL's command line ---- */

/* The EAL takes char **, and reads the strings without writing them. */
static char *unconst(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = {.c = s};

	return u.m;
}

/* cfg_eal_args - see cfg.h. --no-pci is decided from the ports, not from
 * eal.no_pci, so that a struct cfg built by hand gets it right too. Main
 * lcore, before rte_eal_init; not reentrant (static strings). */
int cfg_eal_args(const struct cfg *c, char **argv, int max,
		 char *const *extra, int n_extra)
{
	/* the strings made here live as long as the process: the EAL may
	 * keep pointers into its argv */
	static char lcores[(DP_MAX_WORKERS + 1) * 6], main_lcore[8], mem[12];
	bool pci = false;
	int argc = 0;
	size_t o;

#define ARG(s)                                  \
	do {                                    \
		if (argc >= max)                \
			return -E2BIG;          \
		argv[argc++] = unconst(s);      \
	} while (0)

	o = (size_t)snprintf(lcores, sizeof(lcores), "%u", c->eal.main_lcore);
	for (unsigned i = 0; i < c->n_workers && o < sizeof(lcores); i++)
		o += (size_t)snprintf(lcores + o, sizeof(lcores) - o, ",%u", c->workers[i]);
	snprintf(main_lcore, sizeof(main_lcore), "%u", c->eal.main_lcore);
	snprintf(mem, sizeof(mem), "%u", c->eal.memory_mb);

	ARG("sipedge");
	ARG("-l");
	ARG(lcores);
	ARG("--main-lcore");
	ARG(main_lcore);
	ARG("--file-prefix");
	ARG(c->eal.file_prefix);
	for (unsigned i = 0; i < c->n_ports; i++)
		pci |= !c->ports[i].is_vdev;
	if (!pci)
		ARG("--no-pci");
	for (unsigned i = 0; i < c->n_ports; i++)
		if (!c->ports[i].is_vdev) {
			ARG("-a");
			ARG(c->ports[i].dev);
		}
	for (unsigned i = 0; i < c->n_ports; i++)
		if (c->ports[i].is_vdev) {
			ARG("--vdev");
			ARG(c->ports[i].dev);
		}
	if (!c->eal.huge)
		ARG("--no-huge");
	if (c->eal.memory_mb > 0) {
		ARG("-m");
		ARG(mem);
	}
	for (unsigned i = 0; i < c->eal.n_extra; i++)
		ARG(c->eal.extra[i]);
	for (int i = 0; i < n_extra; i++)
		ARG(extra[i]);
#undef ARG
	if (argc < max)
		argv[argc] = NULL;
	return argc;
}

/* ---- the docs' key table ---- */

/* Markdown-safe: '|' would end a table cell. */
static void md(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void doc_bounds(FILE *f, const struct cfg_key *k)
{
	if (k->type == CFG_T_ITEMS || k->list)
		fprintf(f, "%u..%u entries%s", k->nlo, k->nhi, k->list ? ", each " : "");
	switch (k->type) {
	case CFG_T_UINT: fprintf(f, "%s..%s", k->lo_doc, k->hi_doc); break;
	case CFG_T_POW2: fprintf(f, "%s..%s, a power of two", k->lo_doc, k->hi_doc); break;
	case CFG_T_BOOL: fputs("true, false", f); break;
	case CFG_T_ROLE: fputs("access, core", f); break;
	case CFG_T_NAME: fprintf(f, "%s..%s of A-Z a-z 0-9 _ -", k->lo_doc, k->hi_doc); break;
	case CFG_T_TEXT:
	case CFG_T_ARG: fprintf(f, "%s..%s printable ASCII", k->lo_doc, k->hi_doc); break;
	case CFG_T_PATH: fprintf(f, "%s..%s printable ASCII, absolute", k->lo_doc, k->hi_doc); break;
	case CFG_T_VDEV: fprintf(f, "%s..%s characters", k->lo_doc, k->hi_doc); break;
	case CFG_T_NET4:
	case CFG_T_NET6: fprintf(f, "prefix %s..%s", k->lo_doc, k->hi_doc); break;
	case CFG_T_ADDR:
	case CFG_T_LISTEN: fprintf(f, "port %s..%s", k->lo_doc, k->hi_doc); break;
	case CFG_T_HEX: fprintf(f, "%s hex digits", k->hi_doc); break;
	default: break;
	}
}

/* cfg_doc_keys - see cfg.h: one row per line of cfg_keys.def, in its
 * order. */
int cfg_doc_keys(FILE *f)
{
	fputs("| key | type | default | bounds | example | meaning |\n"
	      "| --- | --- | --- | --- | --- | --- |\n", f);
	for (unsigned i = 0; i < CFG_KEY__COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char path[96];

		sec_path(k->sec, path, sizeof(path));
		fprintf(f, "| `%s%s%s` | %s%s%s | ", path, path[0] ? "." : "", k->name,
			k->list ? "list of " : "", cfg_type_name[k->type].doc, k->list ? "s" : "");
		if (k->type == CFG_T_MAP)
			;
		else if (k->type == CFG_T_ITEMS)
			fputs(k->nlo ? "required" : "`[]`", f);
		else if (k->def == NULL)
			fputs("required", f);
		else if (k->def[0] == '\0')
			fputs(k->list ? "`[]`" : "none", f);
		else
			fprintf(f, k->list ? "`[%s]`" : "`%s`", k->def);
		fputs(" | ", f);
		doc_bounds(f, k);
		fputs(" | ", f);
		if (k->example) {
			fputs("`", f);
			md(f, k->example);
			fputs("`", f);
		}
		fputs(" | ", f);
		md(f, k->help);
		fputs(" |\n", f);
	}
	return ferror(f) ? -EIO : 0;
}
