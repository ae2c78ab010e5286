/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_rules.c - the rulesets control keeps: their versions, their history
 * with the sources, and what survives a restart (docs/sipedge-control.md,
 * "Rules").
 *
 *   state_dir/state.json     "rules": the next version number, the version
 *                            wanted live and shadow, the history's list
 *   state_dir/rules/<V>/     one version: meta.json (origin, files, counts,
 *                            compile figures, the digest sent per platform)
 *                            and src/<original path> of every file it read
 *
 * A version's directory is complete before its number is: a LOAD job
 * writes a tmp.* directory, which is renamed to <V> when the number is
 * given, and state.json names it after that; leftover tmp.* directories
 * (a crash in between) are removed at start-up. A version named by
 * state.json whose directory cannot be read stops the start-up, as a bad
 * state.json does: throwing rules away is the operator's decision.
 *
 * Old versions are parsed again only when asked about (show, diff): the
 * parse of 10 000 rules takes milliseconds, their compile seconds, and
 * only the wanted versions are compiled.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH, FTW_PHYS */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cp_rules.h"

const char *ctl_rs_slot_name(enum ctl_rs_slot s)
{
	return s == CTL_RS_SHADOW ? "shadow" : "live";
}

static void rules_dir(const struct ctl_rules *rs, char *buf, size_t len)
{
	snprintf(buf, len, "%s/rules", rs->cp->cfg.state_dir);
}

struct ctl_rs_ver *ctl_rs_find(struct ctl_rules *rs, uint64_t version)
{
	struct ctl_rs_ver *v;

	for (v = rs != NULL ? rs->hist : NULL; v != NULL; v = v->next)
		if (v->version == version)
			return v;
	return NULL;
}

const char *ctl_rs_orig(const struct ctl_rs_ver *v, const char *file)
{
	size_t n = v->parse_root != NULL ? strlen(v->parse_root) : 0;

	return n > 0 && strncmp(file, v->parse_root, n) == 0 ? file + n : file;
}

/* ---- versions ---- */

static void drop_compiled(struct ctl_rs_ver *v);

static void ver_free(struct ctl_rs_ver *v)
{
	unsigned i;

	if (v == NULL)
		return;
	for (i = 0; i < v->ntexts; i++) {
		free(v->texts[i].name);
		free(v->texts[i].p);
	}
	free(v->texts);
	free(v->byid);
	json_decref(v->top);
	json_decref(v->files);
	json_decref(v->digests);
	free(v->dir);
	free(v->parse_root);
	ctl_rs_src_free(v->src);
	drop_compiled(v);
	free(v);
}

static struct ctl_rs_ver *ver_new(struct ctl_rules *rs, uint64_t version)
{
	struct ctl_rs_ver *v = calloc(1, sizeof(*v));
	char dir[CTL_CFG_PATH_MAX + 64];

	if (v == NULL)
		return NULL;
	rules_dir(rs, dir, sizeof(dir));
	v->version = version;
	v->digests = json_object();
	v->top = json_array();
	v->files = json_array();
	if (asprintf(&v->dir, "%s/%llu", dir, (unsigned long long)version) < 0) {
		v->dir = NULL;
		ver_free(v);
		return NULL;
	}
	return v;
}

int ctl_rs_meta_save(struct ctl_rules *rs, struct ctl_rs_ver *v)
{
	json_t *m = json_pack("{s:I, s:s, s:I, s:O, s:O, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, "
			      "s:I}, s:O, s:b}",
			      "version", (json_int_t)v->version, "origin", v->origin, "loaded",
			      (json_int_t)v->loaded_s, "top", v->top, "files", v->files, "n_rules",
			      (json_int_t)v->n_rules, "src_bytes", (json_int_t)v->src_bytes,
			      "compile", "ms", (json_int_t)(v->st.compile_ns / 1000000),
			      "blob_bytes", (json_int_t)v->st.blob_bytes, "db_bytes",
			      (json_int_t)v->st.db_bytes, "scratch_bytes",
			      (json_int_t)v->st.scratch_bytes, "patterns", (json_int_t)v->st.n_patterns,
			      "dbs", (json_int_t)v->st.n_dbs, "digests", v->digests, "refused",
			      v->refused);
	if (m != NULL)
		json_object_set_new(m, "was_live", json_boolean(v->was_live));
	char *text = m != NULL ? json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	int rc = -ENOMEM, dir_err;

	(void)rs;
	if (text != NULL)
		rc = ctl_write_atomic(v->dir, "meta.json", text, strlen(text), &dir_err);
	if (rc < 0)
		ctl_log(CTL_LOG_ERR, "%s/meta.json: %s", v->dir, strerror(-rc));
	free(text);
	json_decref(m);
	return rc;
}

static int meta_load(struct ctl_rs_ver *v, char *err, size_t errlen)
{
	char path[CTL_CFG_PATH_MAX + 96];
	json_error_t je;
	json_t *m, *c;
	const char *o;

	snprintf(path, sizeof(path), "%s/meta.json", v->dir);
	m = json_load_file(path, 0, &je);
	if (m == NULL) {
		snprintf(err, errlen, "%s: %s", path, je.text);
		return -EINVAL;
	}
	c = json_object_get(m, "compile");
	o = json_string_value(json_object_get(m, "origin"));
	if (json_integer_value(json_object_get(m, "version")) != (json_int_t)v->version ||
	    !json_is_array(json_object_get(m, "top")) ||
	    !json_is_array(json_object_get(m, "files")) || o == NULL) {
		snprintf(err, errlen, "%s: not the meta.json of version %llu", path,
			 (unsigned long long)v->version);
		json_decref(m);
		return -EINVAL;
	}
	snprintf(v->origin, sizeof(v->origin), "%s", o);
	v->loaded_s = (uint64_t)json_integer_value(json_object_get(m, "loaded"));
	json_decref(v->top);
	json_decref(v->files);
	v->top = json_incref(json_object_get(m, "top"));
	v->files = json_incref(json_object_get(m, "files"));
	if (json_is_object(json_object_get(m, "digests"))) {
		json_decref(v->digests);
		v->digests = json_incref(json_object_get(m, "digests"));
	}
	v->n_rules = (uint32_t)json_integer_value(json_object_get(m, "n_rules"));
	v->src_bytes = (uint64_t)json_integer_value(json_object_get(m, "src_bytes"));
	v->st.compile_ns = (uint64_t)json_integer_value(json_object_get(c, "ms")) * 1000000;
	v->st.blob_bytes = (uint64_t)json_integer_value(json_object_get(c, "blob_bytes"));
	v->st.db_bytes = (uint64_t)json_integer_value(json_object_get(c, "db_bytes"));
	v->st.scratch_bytes = (uint64_t)json_integer_value(json_object_get(c, "scratch_bytes"));
	v->st.n_patterns = (uint32_t)json_integer_value(json_object_get(c, "patterns"));
	v->st.n_dbs = (uint32_t)json_integer_value(json_object_get(c, "dbs"));
	v->st.n_rules = v->n_rules;
	v->refused = json_is_true(json_object_get(m, "refused"));
	v->was_live = json_is_true(json_object_get(m, "was_live"));
	json_decref(m);
	return 0;
}

static void hist_insert(struct ctl_rules *rs, struct ctl_rs_ver *v)
{
	struct ctl_rs_ver **pp;

	for (pp = &rs->hist; *pp != NULL && (*pp)->version > v->version; pp = &(*pp)->next)
		;
	v->next = *pp;
	*pp = v;
}

/* The job's host set (explain) moves to v. */
static void take_sets(struct ctl_rs_ver *v, struct ctl_rs_job *j)
{
	if (j->set != NULL) {
		rs_scratch_free(v->sc_set);
		rs_set_free(v->set);
		v->set = j->set;
		v->sc_set = NULL;
		j->set = NULL;
	}
}

/* The job's blobs move to v (a platform's newer blob replaces the older). */
static void take_blobs(struct ctl_rs_ver *v, struct ctl_rs_job *j)
{
	while (j->blobs != NULL) {
		struct ctl_rs_blob *b = j->blobs, **pp;

		j->blobs = b->next;
		for (pp = &v->blobs; *pp != NULL && strcmp((*pp)->platform, b->platform) != 0;
		     pp = &(*pp)->next)
			;
		if (*pp != NULL) {
			struct ctl_rs_blob *old = *pp;

			*pp = old->next;
			free(old->data);
			free(old);
		}
		b->next = v->blobs;
		v->blobs = b;
	}
}

struct ctl_rs_ver *ctl_rs_adopt(struct ctl_rules *rs, struct ctl_rs_job *j, const char *origin,
				char *err, size_t errlen)
{
	struct ctl_rs_ver *v = ver_new(rs, rs->next_version);
	size_t sl = j->strip != NULL ? strlen(j->strip) : 0;
	unsigned i;

	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rename(j->snap, v->dir) < 0) {
		snprintf(err, errlen, "%s: cannot be renamed to %s: %s", j->snap, v->dir,
			 strerror(errno));
		ver_free(v);
		return NULL;
	}
	snprintf(v->origin, sizeof(v->origin), "%s", origin);
	v->loaded_s = (uint64_t)time(NULL);
	for (i = 0; i < j->npaths; i++)
		json_array_append_new(v->top, json_string(j->paths[i] + sl));
	for (i = 0; i < j->nfiles; i++)
		json_array_append_new(v->files, json_string(j->files[i]));
	v->n_rules = j->src->all.n_rules;
	v->src_bytes = j->src_bytes;
	v->st = j->st;
	if (asprintf(&v->parse_root, "%s/src", j->snap) < 0)
		v->parse_root = NULL;
	v->src = j->src;
	j->src = NULL;
	take_blobs(v, j);
	take_sets(v, j);
	rs->next_version++;
	hist_insert(rs, v);
	ctl_rs_meta_save(rs, v);
	return v;
}

char *ctl_rs_tmp_dir(struct ctl_rules *rs)
{
	static unsigned seq;
	char dir[CTL_CFG_PATH_MAX + 64], *out;

	rules_dir(rs, dir, sizeof(dir));
	if (mkdir(rs->cp->cfg.state_dir, 0750) < 0 && errno != EEXIST)
		return NULL;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return NULL;
	if (asprintf(&out, "%s/tmp.%d.%u", dir, (int)getpid(), ++seq) < 0)
		return NULL;
	ctl_rs_rm_tree(out); /* a pid reused after a crash */
	if (mkdir(out, 0750) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- sources and rule text ---- */

int ctl_rs_ensure_src(struct ctl_rules *rs, struct ctl_rs_ver *v, char *err, size_t errlen)
{
	struct ctl_rs_job *j;
	char **paths;
	json_t *t;
	size_t i;
	int rc;

	if (v->src != NULL)
		return 0;
	j = ctl_rs_job_new(CTL_RS_JOB_RESTORE);
	paths = calloc(json_array_size(v->top) + 1, sizeof(*paths));
	if (j == NULL || paths == NULL) {
		free(paths);
		ctl_rs_job_free(j);
		return -ENOMEM;
	}
	j->paths = paths;
	j->opts.max_bytes = (uint64_t)rs->cp->cfg.rules_max_bytes;
	json_array_foreach(v->top, i, t)
		if (asprintf(&paths[j->npaths], "%s/src%s", v->dir, json_string_value(t)) >= 0)
			j->npaths++;
	free(v->parse_root);
	if (asprintf(&v->parse_root, "%s/src", v->dir) < 0)
		v->parse_root = NULL;
	rc = ctl_rs_parse(j->paths, j->npaths, v->parse_root, &j->opts, &j->d, &v->src);
	if (rc < 0)
		snprintf(err, errlen, "version %llu: its kept sources in %s/src do not parse: %s",
			 (unsigned long long)v->version, v->dir,
			 j->d.n > 0 ? j->d.v[0] : strerror(-rc));
	ctl_rs_job_free(j);
	return rc;
}

static const struct ctl_rs_text *text_of(struct ctl_rs_ver *v, const char *orig)
{
	char path[8192];
	struct ctl_rs_text *nt, t = {0};
	FILE *f;
	unsigned i;

	for (i = 0; i < v->ntexts; i++)
		if (strcmp(v->texts[i].name, orig) == 0)
			return &v->texts[i];
	snprintf(path, sizeof(path), "%s/src%s", v->dir, orig);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	t.len = (size_t)ftell(f);
	rewind(f);
	t.p = malloc(t.len + 1);
	t.name = strdup(orig);
	nt = realloc(v->texts, (v->ntexts + 1) * sizeof(*nt));
	if (t.p == NULL || t.name == NULL || nt == NULL || fread(t.p, 1, t.len, f) != t.len) {
		if (nt != NULL)
			v->texts = nt;
		free(t.p);
		free(t.name);
		fclose(f);
		return NULL;
	}
	fclose(f);
	t.p[t.len] = '\0';
	v->texts = nt;
	v->texts[v->ntexts] = t;
	return &v->texts[v->ntexts++];
}

/* Whether the physical line [p, e) ends in a backslash: the rule goes on
 * on the next line (rules/README.md). */
static bool continues(const char *p, const char *e)
{
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return e > p && e[-1] == '\\';
}

char *ctl_rs_rule_text(struct ctl_rs_ver *v, const struct rs_rule *r)
{
	const struct ctl_rs_text *t = text_of(v, ctl_rs_orig(v, r->loc.file));
	const char *p, *end, *stop;
	uint32_t line = 1;

	if (t == NULL)
		return NULL;
	end = t->p + t->len;
	for (p = t->p; p < end && line < r->loc.line; p++)
		line += *p == '\n';
	/* the rule's physical lines: its own and those its backslashes join */
	for (stop = p; stop < end;) {
		const char *eol = memchr(stop, '\n', (size_t)(end - stop));

		if (eol == NULL)
			eol = end;
		stop = eol;
		if (eol == end || !continues(p, eol))
			break;
		stop = eol + 1;
	}
	while (stop > p && (stop[-1] == '\n' || stop[-1] == '\r' || stop[-1] == ' '))
		stop--;
	return strndup(p, (size_t)(stop - p) < 4096 ? (size_t)(stop - p) : 4096);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

const struct rs_rule *ctl_rs_rule_by_id(struct ctl_rules *rs, struct ctl_rs_ver *v, uint32_t id)
{
	uint32_t lo = 0, hi, i;
	char err[300];

	if (v->src == NULL && ctl_rs_ensure_src(rs, v, err, sizeof(err)) < 0)
		return NULL;
	if (v->byid == NULL) {
		v->byid = malloc((v->src->all.n_rules + 1) * sizeof(*v->byid));
		if (v->byid == NULL)
			return NULL;
		for (i = 0; i < v->src->all.n_rules; i++)
			v->byid[i] = (uint64_t)v->src->rules[i].id << 32 | i;
		qsort(v->byid, v->src->all.n_rules, sizeof(*v->byid), u64_cmp);
	}
	hi = v->src->all.n_rules;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((uint32_t)(v->byid[mid] >> 32) < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->src->all.n_rules && (uint32_t)(v->byid[lo] >> 32) == id)
		return &v->src->rules[(uint32_t)v->byid[lo]];
	return NULL;
}

/* ---- platforms ---- */

void ctl_rs_node_platform(const struct ctl_rules *rs, const struct ctl_node *n,
			  struct ctl_rs_platform *p)
{
	if (n == NULL || n->rs_platform[0] == '\0' || strcmp(n->rs_platform, rs->host.key) == 0) {
		*p = rs->host;
		return;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", n->rs_platform);
	p->p.cpu_features = n->rs_cpu_features;
	p->p.tune = n->rs_tune;
}

struct ctl_rs_blob *ctl_rs_blob_for(struct ctl_rs_ver *v, const struct ctl_node *n)
{
	struct ctl_rs_platform p;
	struct ctl_rs_blob *b;

	ctl_rs_node_platform(n->cp->rules, n, &p);
	for (b = v->blobs; b != NULL; b = b->next)
		if (strcmp(b->platform, p.key) == 0)
			return b;
	return NULL;
}

static void on_platform_done(struct ctl_rules *rs, struct ctl_rs_job *j)
{
	struct ctl_rs_ver *v = j->ver;
	unsigned i;

	v->busy--;
	if (j->rc < 0) {
		ctl_log(CTL_LOG_ERR, "rules: version %llu: compile for %s failed: %s",
			(unsigned long long)v->version, j->plat[0].key,
			j->d.n > 0 ? j->d.v[0] : j->err);
		for (i = 0; i < j->nplat; i++)
			json_object_set_new(v->digests, j->plat[i].key, json_string("failed"));
	} else {
		take_blobs(v, j);
	}
	ctl_rs_reconcile_all(rs);
}

void ctl_rs_want_platform(struct ctl_rules *rs, struct ctl_rs_ver *v, const struct ctl_node *n)
{
	struct ctl_rs_platform p;
	struct ctl_rs_job *j, *q;

	ctl_rs_node_platform(rs, n, &p);
	if (json_is_string(json_object_get(v->digests, p.key)) &&
	    strcmp(json_string_value(json_object_get(v->digests, p.key)), "failed") == 0)
		return; /* it did not compile for that platform: `nodes` says why */
	for (q = rs->jq; q != NULL; q = q->next)
		if (q->ver == v && q->nplat > 0 && strcmp(q->plat[0].key, p.key) == 0)
			return; /* on its way */
	q = rs->jcur;
	if (q != NULL && q->ver == v && q->nplat > 0 && strcmp(q->plat[0].key, p.key) == 0)
		return;
	if (v->src == NULL) {
		char err[300];

		if (ctl_rs_ensure_src(rs, v, err, sizeof(err)) < 0) {
			ctl_log(CTL_LOG_ERR, "rules: %s", err);
			return;
		}
	}
	j = ctl_rs_job_new(CTL_RS_JOB_PLATFORM);
	if (j == NULL)
		return;
	j->plat[0] = p;
	j->nplat = 1;
	j->ver = v;
	j->done = on_platform_done;
	v->busy++;
	ctl_rs_job_queue(rs, j);
}

/* ---- diagnostics and listing ---- */

json_t *ctl_rs_jstr(const char *s)
{
	json_t *j;
	char *c;
	size_t i;

	if (s == NULL)
		return json_null();
	j = json_string(s);
	if (j != NULL)
		return j;
	/* not UTF-8 (a Latin-1 comment, a path): JSON cannot say it */
	c = strdup(s);
	if (c == NULL)
		return json_null();
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	j = json_string(c);
	free(c);
	return j != NULL ? j : json_null();
}

json_t *ctl_rs_diags_json(const struct ctl_rs_job *j)
{
	json_t *arr = json_array();
	unsigned i;

	for (i = 0; i < j->d.n; i++)
		json_array_append_new(arr, ctl_rs_jstr(j->d.v[i]));
	return arr;
}

json_t *ctl_rs_ver_json(struct ctl_rules *rs, const struct ctl_rs_ver *v)
{
	json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:I, s:O, s:O, s:{s:I, s:I, s:I, s:I, s:I, s:I}, "
			      "s:b, s:b, s:b}",
			      "version", (json_int_t)v->version, "origin", v->origin, "loaded",
			      (json_int_t)v->loaded_s, "n_rules", (json_int_t)v->n_rules, "src_bytes",
			      (json_int_t)v->src_bytes, "top", v->top, "files", v->files, "compile",
			      "ms", (json_int_t)(v->st.compile_ns / 1000000), "blob_bytes",
			      (json_int_t)v->st.blob_bytes, "db_bytes", (json_int_t)v->st.db_bytes,
			      "scratch_bytes", (json_int_t)v->st.scratch_bytes, "patterns",
			      (json_int_t)v->st.n_patterns, "dbs", (json_int_t)v->st.n_dbs, "live",
			      rs->want[CTL_RS_LIVE] == v->version, "shadow",
			      rs->want[CTL_RS_SHADOW] == v->version, "refused", v->refused);
	json_t *nodes = json_object();
	const struct ctl_node *n;
	unsigned s;

	for (n = rs->cp->nodes; n != NULL; n = n->next)
		for (s = 0; s < CTL_RS__SLOTS; s++)
			if (n->rs_have[s].version == v->version)
				json_object_set_new(nodes, n->name,
						    json_string(ctl_rs_slot_name((enum ctl_rs_slot)s)));
	json_object_set_new(o, "in_force_on", nodes);
	return o;
}

/* ---- pruning ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void ctl_rs_rm_tree(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		ctl_log(CTL_LOG_WARNING, "%s: not removed: %s", dir, strerror(errno));
}

/* A version no longer wanted keeps its sources, not its blobs (tens of
 * megabytes for ten thousand rules): a rollback compiles it again. */
static void drop_compiled(struct ctl_rs_ver *v)
{
	while (v->blobs != NULL) {
		struct ctl_rs_blob *b = v->blobs;

		v->blobs = b->next;
		free(b->data);
		free(b);
	}
	rs_scratch_free(v->sc_set);
	rs_set_free(v->set);
	v->sc_set = NULL;
	v->set = NULL;
}

void ctl_rs_prune(struct ctl_rules *rs)
{
	struct ctl_rs_ver **pp = &rs->hist, *v;
	int64_t keep = rs->cp->cfg.rules_history;

	while ((v = *pp) != NULL) {
		bool wanted = v->version == rs->want[CTL_RS_LIVE] ||
			      v->version == rs->want[CTL_RS_SHADOW];

		if (!wanted && v->busy == 0)
			drop_compiled(v);
		if (keep > 0 || wanted || v->busy > 0) {
			keep -= !wanted;
			pp = &v->next;
			continue;
		}
		*pp = v->next;
		ctl_rs_rm_tree(v->dir);
		ver_free(v);
	}
}

/* ---- the state file's part, and start-up ---- */

json_t *ctl_rules_save(const struct ctl_cp *cp)
{
	const struct ctl_rules *rs = cp->rules;
	json_t *hist = json_array();
	const struct ctl_rs_ver *v;

	for (v = rs->hist; v != NULL; v = v->next)
		json_array_append_new(hist, json_integer((json_int_t)v->version));
	return json_pack("{s:I, s:I, s:I, s:b, s:b, s:o, s:O, s:O}", "next_version",
			 (json_int_t)rs->next_version, "live", (json_int_t)rs->want[CTL_RS_LIVE],
			 "shadow", (json_int_t)rs->want[CTL_RS_SHADOW], "live_managed",
			 rs->managed[CTL_RS_LIVE], "shadow_managed", rs->managed[CTL_RS_SHADOW],
			 "history", hist, "config_files", rs->cfg_applied[CTL_RS_LIVE],
			 "config_shadow_files", rs->cfg_applied[CTL_RS_SHADOW]);
}

/* tmp.* left by a load that a crash cut short are removed; a version
 * directory above next_version (a state file lost or moved away) moves
 * next_version past it: a number never names two rulesets. */
static void scan_dir(struct ctl_rules *rs)
{
	char dir[CTL_CFG_PATH_MAX + 64], path[CTL_CFG_PATH_MAX + 400], *end;
	struct dirent *e;
	unsigned long long v;
	DIR *d;

	rules_dir(rs, dir, sizeof(dir));
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "tmp.", 4) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			ctl_rs_rm_tree(path);
			continue;
		}
		v = strtoull(e->d_name, &end, 10);
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && *end == '\0' &&
		    v >= rs->next_version && v < UINT64_MAX - 1)
			rs->next_version = v + 1;
	}
	closedir(d);
}

int ctl_rules_load(struct ctl_cp *cp, json_t *j, char *err, size_t errlen)
{
	struct ctl_rules *rs = cp->rules;
	json_t *h = json_object_get(j, "history"), *e;
	unsigned s;
	size_t i;

	if (j == NULL)
		return 0;
	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "next_version")) ||
	    !json_is_array(h)) {
		snprintf(err, errlen, "rules: not {\"next_version\", \"history\", ...}");
		return -EINVAL;
	}
	rs->next_version = (uint64_t)json_integer_value(json_object_get(j, "next_version"));
	rs->want[CTL_RS_LIVE] = (uint64_t)json_integer_value(json_object_get(j, "live"));
	rs->want[CTL_RS_SHADOW] = (uint64_t)json_integer_value(json_object_get(j, "shadow"));
	rs->managed[CTL_RS_LIVE] = json_is_true(json_object_get(j, "live_managed"));
	rs->managed[CTL_RS_SHADOW] = json_is_true(json_object_get(j, "shadow_managed"));
	for (s = 0; s < CTL_RS__SLOTS; s++) {
		e = json_object_get(j, s == CTL_RS_LIVE ? "config_files" : "config_shadow_files");
		json_decref(rs->cfg_applied[s]);
		rs->cfg_applied[s] = json_is_array(e) ? json_incref(e) : json_array();
	}
	json_array_foreach(h, i, e) {
		struct ctl_rs_ver *v;
		char why[400];

		if (!json_is_integer(e) || json_integer_value(e) <= 0 ||
		    (uint64_t)json_integer_value(e) >= rs->next_version) {
			snprintf(err, errlen, "rules.history[%zu]: not a version below next_version",
				 i);
			return -EINVAL;
		}
		v = ver_new(rs, (uint64_t)json_integer_value(e));
		if (v == NULL)
			return -ENOMEM;
		if (meta_load(v, why, sizeof(why)) < 0) {
			bool wanted = v->version == rs->want[CTL_RS_LIVE] ||
				      v->version == rs->want[CTL_RS_SHADOW];

			ver_free(v);
			if (wanted) {
				snprintf(err, errlen,
					 "%s (the version wanted in force: move state_dir/rules and "
					 "the \"rules\" of state.json away to start without rules)",
					 why);
				return -EINVAL;
			}
			ctl_log(CTL_LOG_WARNING, "rules: %s: that version is dropped", why);
			continue;
		}
		hist_insert(rs, v);
	}
	for (s = 0; s < CTL_RS__SLOTS; s++) {
		if (rs->want[s] != 0 && ctl_rs_find(rs, rs->want[s]) == NULL) {
			snprintf(err, errlen, "rules: the %s version %llu is not in the history",
				 ctl_rs_slot_name((enum ctl_rs_slot)s),
				 (unsigned long long)rs->want[s]);
			return -EINVAL;
		}
	}
	return 0;
}

int ctl_rules_init(struct ctl_cp *cp)
{
	struct ctl_rules *rs = calloc(1, sizeof(*rs));
	unsigned s;

	if (rs == NULL)
		return -ENOMEM;
	rs->cp = cp;
	rs->next_version = 1;
	rs->efd = -1;
	for (s = 0; s < CTL_RS__SLOTS; s++)
		rs->cfg_applied[s] = json_array();
	ctl_rs_platform_host(&rs->host);
	cp->rules = rs;
	return ctl_rs_jobs_init(rs);
}

void ctl_rules_free(struct ctl_cp *cp)
{
	struct ctl_rules *rs = cp->rules;
	unsigned s;

	if (rs == NULL)
		return;
	/* the thread first: an op's copy directory may still be written */
	ctl_rs_jobs_stop(rs);
	ctl_rs_ops_stop(rs);
	while (rs->hist != NULL) {
		struct ctl_rs_ver *v = rs->hist;

		rs->hist = v->next;
		ver_free(v);
	}
	for (s = 0; s < CTL_RS__SLOTS; s++)
		json_decref(rs->cfg_applied[s]);
	free(rs);
	cp->rules = NULL;
}

/* A wanted version after a restart: parsed and compiled again from its
 * kept sources, then reconciled with the nodes. */
static void on_restored(struct ctl_rules *rs, struct ctl_rs_job *j)
{
	struct ctl_rs_ver *v = j->ver;

	v->busy--;
	if (j->rc < 0) {
		ctl_log(CTL_LOG_ERR, "rules: version %llu does not compile again from %s/src: %s",
			(unsigned long long)v->version, v->dir,
			j->d.n > 0 ? j->d.v[0] : j->err);
		json_object_set_new(v->digests, rs->host.key, json_string("failed"));
		return;
	}
	if (v->src == NULL) {
		v->src = j->src;
		j->src = NULL;
	}
	take_blobs(v, j);
	take_sets(v, j);
	ctl_log(CTL_LOG_INFO, "rules: version %llu ready again (%u rules, %llu ms)",
		(unsigned long long)v->version, v->n_rules, (unsigned long long)j->ms);
	ctl_rs_reconcile_all(rs);
}

static void restore(struct ctl_rules *rs, struct ctl_rs_ver *v)
{
	struct ctl_rs_job *j = ctl_rs_job_new(CTL_RS_JOB_RESTORE);
	json_t *t;
	size_t i;

	if (j == NULL || (j->paths = calloc(json_array_size(v->top) + 1, sizeof(char *))) == NULL) {
		ctl_rs_job_free(j);
		return;
	}
	json_array_foreach(v->top, i, t)
		if (asprintf(&j->paths[j->npaths], "%s/src%s", v->dir, json_string_value(t)) >= 0)
			j->npaths++;
	free(v->parse_root);
	if (asprintf(&v->parse_root, "%s/src", v->dir) < 0)
		v->parse_root = NULL;
	j->strip = strdup(v->parse_root != NULL ? v->parse_root : "");
	j->opts.max_bytes = (uint64_t)rs->cp->cfg.rules_max_bytes;
	j->plat[0] = rs->host;
	j->nplat = 1;
	j->ver = v;
	j->done = on_restored;
	v->busy++;
	ctl_rs_job_queue(rs, j);
}

/* rules.files, made absolute against the config file's directory, as the
 * JSON array an op takes. */
static json_t *cfg_paths(const struct ctl_cp *cp, const struct ctl_cfg_files *f)
{
	json_t *arr = json_array();
	char dir[4096], real[PATH_MAX], path[8192];
	const char *slash = strrchr(cp->cfg_path, '/');
	unsigned i;

	snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - cp->cfg_path) : 1,
		 slash != NULL ? cp->cfg_path : ".");
	/* "/x.yaml" leaves an empty dir: the root */
	bool resolved = realpath(dir[0] != '\0' ? dir : "/", real) != NULL;

	for (i = 0; i < f->n; i++) {
		if (f->v[i][0] == '/')
			snprintf(path, sizeof(path), "%s", f->v[i]);
		else if (resolved)
			ctl_rs_path_join(path, sizeof(path), real, f->v[i]);
		else /* the directory is gone: the paths as written */
			snprintf(path, sizeof(path), "%s/%s", dir, f->v[i]);
		json_array_append_new(arr, json_string(path));
	}
	return arr;
}

/* The config's lists are loaded when they differ from the ones loaded last
 * (so an operator's `rules load` stays in force across a restart until the
 * config itself changes). An empty list asks for nothing. */
static void apply_config(struct ctl_cp *cp)
{
	struct ctl_rules *rs = cp->rules;
	unsigned s;

	for (s = 0; s < CTL_RS__SLOTS; s++) {
		const struct ctl_cfg_files *f = s == CTL_RS_LIVE ? &cp->cfg.rules_files
							      : &cp->cfg.rules_shadow_files;
		json_t *paths = cfg_paths(cp, f);

		if (f->n == 0 || json_equal(paths, rs->cfg_applied[s])) {
			json_decref(paths);
			continue;
		}
		ctl_log(CTL_LOG_INFO, "rules: loading rules.%s (%u file%s)",
			s == CTL_RS_LIVE ? "files" : "shadow_files", f->n, f->n == 1 ? "" : "s");
		ctl_rs_op_start(rs, NULL, CTL_RS_OP_LOAD, (enum ctl_rs_slot)s, paths, 0);
		json_decref(paths);
	}
}

void ctl_rules_start(struct ctl_cp *cp)
{
	struct ctl_rules *rs = cp->rules;
	unsigned s;

	scan_dir(rs);
	for (s = 0; s < CTL_RS__SLOTS; s++) {
		struct ctl_rs_ver *v = ctl_rs_find(rs, rs->want[s]);

		if (v != NULL && (s == CTL_RS_LIVE || rs->want[CTL_RS_LIVE] != rs->want[s]))
			restore(rs, v);
	}
	apply_config(cp);
}

void ctl_rules_reload(struct ctl_cp *cp)
{
	ctl_rs_prune(cp->rules);
	apply_config(cp);
}

/* A config list whose load went in: remembered, so that it is not loaded
 * again at the next start-up. */
void ctl_rs_config_applied(struct ctl_rules *rs, enum ctl_rs_slot s, json_t *paths)
{
	json_decref(rs->cfg_applied[s]);
	rs->cfg_applied[s] = json_incref(paths);
}
