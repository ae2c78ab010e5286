/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_rs_parse.c - several rule files as one ruleset (ctl_rs.h), shared
 * by sipedge-control and sipedgectl so that `rules check` offline and
 * `rules load` through the daemon accept and refuse the same files with
 * the same words.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_rs.h"

const char *ctl_rs_strip(const char *root, const char *file)
{
	size_t n = root != NULL ? strlen(root) : 0;

	return n > 0 && strncmp(file, root, n) == 0 ? file + n : file;
}

void ctl_rs_path_join(char *out, size_t n, const char *dir, const char *rel)
{
	size_t len = (size_t)snprintf(out, n, "%s", dir);

	for (;;) {
		if (rel[0] == '/' || (rel[0] == '.' && (rel[1] == '/' || rel[1] == '\0'))) {
			rel += rel[0] == '/' ? 1 : 1 + (rel[1] == '/');
		} else if (rel[0] == '.' && rel[1] == '.' && (rel[2] == '/' || rel[2] == '\0')) {
			char *slash = strrchr(out, '/');

			if (slash != NULL)
				*(slash == out ? slash + 1 : slash) = '\0';
			len = strlen(out);
			rel += 2 + (rel[2] == '/');
		} else {
			break;
		}
	}
	if (len > 0 && out[len - 1] == '/')
		len--;
	snprintf(out + len, n - len, "/%s", rel);
}

void ctl_rs_diags_add(struct ctl_rs_diags *d, const char *fmt, ...)
{
	char buf[700], **nv;
	va_list ap;

	if (d->n >= RS_DIAG_MAX) {
		d->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		d->more++;
		return;
	}
	d->v = nv;
	d->v[d->n] = strdup(buf);
	if (d->v[d->n] != NULL)
		d->n++;
	else
		d->more++;
}

void ctl_rs_diags_take(struct ctl_rs_diags *d, const struct rs_diag *rd, const char *root)
{
	unsigned i;

	for (i = 0; i < rd->n && i < RS_DIAG_MAX; i++)
		ctl_rs_diags_add(d, "%s:%u:%u: %s", ctl_rs_strip(root, rd->e[i].file),
				 rd->e[i].line, rd->e[i].col, rd->e[i].msg);
	d->more += rd->n_more;
}

void ctl_rs_diags_free(struct ctl_rs_diags *d)
{
	unsigned i;

	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = d->more = 0;
}

void ctl_rs_src_free(struct ctl_rs_src *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nasts; i++)
		rs_ast_free(s->asts[i]);
	free(s->asts);
	free(s->rules);
	free(s->files);
	free(s);
}

struct idx {
	uint32_t id;
	uint32_t i;
};

static int idx_cmp(const void *a, const void *b)
{
	const struct idx *x = a, *y = b;

	return x->id != y->id ? (x->id < y->id ? -1 : 1) : (x->i > y->i) - (x->i < y->i);
}

/* Ids are unique in a file (the parser checks); across the files of one
 * ruleset, here. */
static int check_ids(const struct ctl_rs_src *s, const char *root, struct ctl_rs_diags *d)
{
	struct idx *v = malloc((s->all.n_rules + 1) * sizeof(*v));
	uint32_t i;
	int rc = 0;

	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < s->all.n_rules; i++) {
		v[i].id = s->rules[i].id;
		v[i].i = i;
	}
	qsort(v, s->all.n_rules, sizeof(*v), idx_cmp);
	for (i = 1; i < s->all.n_rules; i++) {
		const struct rs_rule *a = &s->rules[v[i - 1].i], *b = &s->rules[v[i].i];

		if (v[i].id != v[i - 1].id)
			continue;
		if (strcmp(a->loc.file, b->loc.file) == 0 && a->loc.line == b->loc.line) {
			/* the same rule twice: its file was read twice */
			ctl_rs_diags_add(d, "%s: read twice (given twice, or given and included by "
					    "another file): give each file once",
					 ctl_rs_strip(root, a->loc.file));
			rc = -EINVAL;
			break;
		}
		ctl_rs_diags_add(d, "%s:%u:%u: duplicate id %u (first at %s:%u:%u)",
				 ctl_rs_strip(root, b->loc.file), b->loc.line, b->loc.col, b->id,
				 ctl_rs_strip(root, a->loc.file), a->loc.line, a->loc.col);
		rc = -EINVAL;
	}
	free(v);
	return rc;
}

/* The rules of every AST in one, in file order, and every file read once. */
static int merge(struct ctl_rs_src *s)
{
	uint32_t n = 0, f = 0, i, k;

	for (i = 0; i < s->nasts; i++) {
		n += s->asts[i]->n_rules;
		f += s->asts[i]->n_files;
	}
	s->rules = malloc((n + 1) * sizeof(*s->rules));
	s->files = malloc((f + 1) * sizeof(*s->files));
	if (s->rules == NULL || s->files == NULL)
		return -ENOMEM;
	n = f = 0;
	for (i = 0; i < s->nasts; i++) {
		const struct rs_ast *a = s->asts[i];

		if (a->n_rules > 0)
			memcpy(s->rules + n, a->rules, a->n_rules * sizeof(*s->rules));
		n += a->n_rules;
		for (k = 0; k < a->n_files; k++) {
			uint32_t x;

			for (x = 0; x < f && strcmp(s->files[x], a->files[k]) != 0; x++)
				;
			if (x == f)
				s->files[f++] = a->files[k];
		}
		s->all.src_bytes += a->src_bytes;
	}
	s->all.rules = s->rules;
	s->all.n_rules = n;
	s->all.files = s->files;
	s->all.n_files = f;
	return 0;
}

int ctl_rs_parse(char **paths, unsigned npaths, const char *root,
		 const struct rs_parse_opts *opts, struct ctl_rs_diags *d, struct ctl_rs_src **out)
{
	struct ctl_rs_src *s = calloc(1, sizeof(*s));
	struct rs_diag *rd = malloc(sizeof(*rd));
	struct rs_parse_opts o = opts != NULL ? *opts : (struct rs_parse_opts){0};
	uint64_t left = o.max_bytes != 0 ? o.max_bytes : RS_DEF_MAX_BYTES;
	unsigned i;
	int rc = 0, r;

	*out = NULL;
	if (s == NULL || rd == NULL || (s->asts = calloc(npaths + 1, sizeof(*s->asts))) == NULL) {
		free(rd);
		ctl_rs_src_free(s);
		return -ENOMEM;
	}
	/* Every file is parsed, so that one reply names every error; the byte
	 * limit is for all of them together. */
	for (i = 0; i < npaths; i++) {
		memset(rd, 0, sizeof(*rd));
		o.max_bytes = left > 0 ? left : 1;
		r = rs_parse_file(paths[i], &o, &s->asts[s->nasts], rd);
		if (r < 0) {
			ctl_rs_diags_take(d, rd, root);
			if (rd->n == 0)
				ctl_rs_diags_add(d, "%s: %s", ctl_rs_strip(root, paths[i]),
						 strerror(-r));
			rc = rc < 0 ? rc : r;
			continue;
		}
		left -= s->asts[s->nasts]->src_bytes < left ? s->asts[s->nasts]->src_bytes : left;
		s->nasts++;
	}
	free(rd);
	if (rc == 0)
		rc = merge(s);
	if (rc == 0)
		rc = check_ids(s, root, d);
	if (rc < 0) {
		ctl_rs_src_free(s);
		return rc;
	}
	*out = s;
	return 0;
}
