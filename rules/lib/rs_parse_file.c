/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_parse_file.c - files and includes: the loop over a file's lines, the
 * include statement (relative paths, cycles, depth, a file read twice) and
 * the public functions of rs.h's "language" section.
 *
 * An included file is parsed where its include stands, so that the rules
 * keep their order across files (rank ties break on it). Each file is read
 * whole within what is left of max_bytes and checked by ps_prescan before
 * its first rule is parsed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_parse_priv.h"

static int parse_file(struct ps *ps, const char *name, const char *dir, const char *buf,
		      size_t len, unsigned depth, const struct ps_file *id);

/* The directory part of path, for the includes it makes (in the arena;
 * "" for none: relative to the current directory). */
static const char *dir_of(struct ps *ps, const char *path)
{
	const char *sl = strrchr(path, '/');

	if (sl == NULL)
		return "";
	return ps_strdup(ps, path, sl == path ? 1 : (size_t)(sl - path));
}

/* name relative to dir (unless absolute), in the arena. */
static char *path_join(struct ps *ps, const char *dir, const char *name)
{
	size_t dn = name[0] == '/' ? 0 : strlen(dir), nn = strlen(name);
	bool slash = dn > 0 && dir[dn - 1] != '/';
	char *p = ps_alloc(ps, dn + slash + nn + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, dn);
	if (slash)
		p[dn] = '/';
	memcpy(p + dn + slash, name, nn + 1);
	return p;
}

/* "a.rules -> b.rules -> last" from the include chain, for a message. */
static void chain_str(const struct ps *ps, unsigned depth, const char *last, char *buf,
		      size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i <= depth && o < len; i++) {
		int k = snprintf(buf + o, len - o, "%s -> ", ps->chain[i].name);

		o += k > 0 ? (size_t)k : 0;
	}
	if (o < len)
		snprintf(buf + o, len - o, "%s", last);
}

static int vec_push(struct ps *ps, void **v, uint32_t *n, uint32_t *cap, size_t size)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 8;
		void *nv = realloc(*v, c * size);

		if (nv == NULL) {
			ps->oom = true;
			return -1;
		}
		*v = nv;
		*cap = c;
	}
	(*n)++;
	return 0;
}

/* include_parse - include "FILE" at pos (after the word include), in the
 * file of depth depth whose includes are relative to dir. Refuses an
 * include nested deeper than max_depth, a cycle (both with the chain of
 * includes in the message), a file already read, a file past RS_FILES_MAX,
 * and whatever ps_read refuses. Returns 0 or -1 (reported at the file name). */
static int include_parse(struct ps *ps, struct lx *lx, unsigned depth, const char *dir)
{
	struct ps_file id = {0};
	struct rs_loc at;
	uint32_t n;
	char *name, *path, *buf = NULL, fb[48], chain[200];
	size_t len;
	int rc;

	lx_blank(lx);
	at = lx_here(lx);
	if (lx_peek(lx, 0) != '"') {
		ps_err(ps, at, "expected a quoted file name after \"include\", found %s",
		       lx_found(lx, fb, sizeof(fb)));
		return -1;
	}
	if (ps_str(ps, lx, &name, &n, NULL) < 0)
		return -1;
	if (n == 0 || memchr(name, '\0', n) != NULL) {
		ps_err(ps, at, "include needs a file name (no NUL byte in it)");
		return -1;
	}
	lx_blank(lx);
	if (!lx_eol(lx)) {
		ps_err(ps, lx_here(lx), "expected the end of the line after the include, found %s",
		       lx_found(lx, fb, sizeof(fb)));
		return -1;
	}
	path = path_join(ps, dir, name);
	if (path == NULL)
		return -1;
	if (strlen(path) > RS_PATH_MAX) {
		ps_err(ps, at, "include \"%.64s...\": path longer than %u bytes", name, RS_PATH_MAX);
		return -1;
	}
	if (depth + 1 > ps->max_depth) {
		chain_str(ps, depth, path, chain, sizeof(chain));
		ps->limit = true;
		ps_err(ps, at, "includes nested deeper than %u (max_depth): %s", ps->max_depth, chain);
		return -1;
	}
	if (ps->ast->pub.n_files >= RS_FILES_MAX) {
		/* also what keeps the "already included" search below cheap */
		ps->limit = true;
		ps_err(ps, at, "include \"%s\": more than %u files in one ruleset (the limit)",
		       name, RS_FILES_MAX);
		return -1;
	}
	if (ps_read(ps, path, at, name, &buf, &len, &id) < 0)
		return -1;
	for (unsigned i = 0; i <= depth; i++)
		if (ps->chain[i].has_id && ps->chain[i].dev == id.dev && ps->chain[i].ino == id.ino) {
			chain_str(ps, depth, path, chain, sizeof(chain));
			ps_err(ps, at, "include cycle: %s", chain);
			goto refused;
		}
	for (uint32_t i = 0; i < ps->n_seen; i++)
		if (ps->seen[i].dev == id.dev && ps->seen[i].ino == id.ino) {
			ps_err(ps, at, "\"%s\" is already included (as %s): include each file once",
			       name, ps->seen[i].name);
			goto refused;
		}
	id.name = path;
	rc = parse_file(ps, path, dir_of(ps, path), buf, len, depth + 1, &id);
	free(buf);
	return rc;
refused:
	ps->bytes -= len;
	free(buf);
	return -1;
}

/* parse_file - every line of one file (name, as diagnostics call it;
 * includes relative to dir) at include depth depth. Records the file in
 * the AST and on the chain; a file that fails ps_prescan is not parsed
 * further. Errors go to diag; returns 0, or -1 when it stopped short (out
 * of memory, max_rules). */
static int parse_file(struct ps *ps, const char *name, const char *dir, const char *buf,
		      size_t len, unsigned depth, const struct ps_file *id)
{
	struct ast_own *a = ps->ast;
	struct lx lx = {name, buf, len, 0, 1, 0};
	void *v;

	if (name == NULL || dir == NULL)
		return -1;
	v = a->files;
	if (vec_push(ps, &v, &a->pub.n_files, &a->cap_files, sizeof(*a->files)) < 0)
		return -1;
	a->files = v;
	a->files[a->pub.n_files - 1] = name;
	ps->chain[depth] = *id;
	ps->chain[depth].name = name;
	if (id->has_id) {
		v = ps->seen;
		if (vec_push(ps, &v, &ps->n_seen, &ps->cap_seen, sizeof(*ps->seen)) < 0)
			return -1;
		ps->seen = v;
		ps->seen[ps->n_seen - 1] = ps->chain[depth];
	}
	if (!ps_prescan(ps, name, buf, len))
		return 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		lx.pos = lx.bol = 3; /* a UTF-8 BOM, as some editors write: columns after it */
	while (lx.pos < lx.len && !ps->stop && !ps->oom) {
		lx_blank(&lx);
		if (!lx_eol(&lx)) {
			struct lx save = lx;
			const char *w;
			size_t n = lx_word(&lx, &w);

			if (lx_is(w, n, "include") && lx_peek(&lx, 0) != ':') {
				include_parse(ps, &lx, depth, dir);
			} else {
				lx = save;
				ps_rule(ps, &lx);
			}
		}
		lx_skip_line(&lx);
	}
	return ps->stop || ps->oom ? -1 : 0;
}

/* The parse's state with opts' limits (0: the defaults), diag emptied. */
static int ps_begin(struct ps *ps, const struct rs_parse_opts *o, struct rs_diag *diag)
{
	memset(ps, 0, sizeof(*ps));
	ps->diag = diag;
	diag->n = diag->n_more = 0;
	ps->max_bytes = o && o->max_bytes ? o->max_bytes : RS_DEF_MAX_BYTES;
	ps->max_rules = o && o->max_rules ? o->max_rules : RS_DEF_MAX_RULES;
	ps->max_depth = o && o->max_depth ? o->max_depth : RS_DEF_MAX_DEPTH;
	if (ps->max_depth > RS_DEPTH_CAP)
		ps->max_depth = RS_DEPTH_CAP;
	ps->ast = calloc(1, sizeof(*ps->ast));
	return ps->ast != NULL ? 0 : -ENOMEM;
}

/* The AST when nothing went wrong, else freed and the error code. */
static int ps_end(struct ps *ps, const char *root, struct rs_ast **out)
{
	struct ast_own *a = ps->ast;
	int rc = 0;

	free(ps->conds);
	free(ps->cidrs);
	free(ps->ids);
	free(ps->seen);
	if (ps->oom) {
		struct rs_loc at = {root, 0, 0};

		ps_err(ps, at, "out of memory");
		rc = -ENOMEM;
	} else if (ps->n_err > 0) {
		rc = ps->limit ? -EFBIG : -EINVAL;
	}
	if (rc != 0) {
		rs_ast_free(&a->pub);
		return rc;
	}
	a->pub.rules = a->rules;
	a->pub.files = a->files;
	a->pub.src_bytes = ps->bytes;
	*out = &a->pub;
	return 0;
}

/* rs_parse_file - see rs.h. */
int rs_parse_file(const char *path, const struct rs_parse_opts *opts, struct rs_ast **out,
		  struct rs_diag *diag)
{
	struct rs_diag own;
	struct ps_file id = {0};
	struct ps ps;
	struct rs_loc at = {path, 0, 0};
	const char *name;
	char *buf = NULL;
	size_t len;

	if (diag == NULL)
		diag = &own;
	if (out == NULL || path == NULL)
		return -EINVAL;
	*out = NULL;
	if (ps_begin(&ps, opts, diag) < 0)
		return -ENOMEM;
	name = ps_strdup(&ps, path, strlen(path));
	if (name != NULL) {
		at.file = name;
		if (ps_read(&ps, path, at, path, &buf, &len, &id) == 0) {
			id.name = name;
			parse_file(&ps, name, dir_of(&ps, name), buf, len, 0, &id);
		}
	}
	free(buf);
	return ps_end(&ps, path, out);
}

/* rs_parse_buf - see rs.h. A NULL name is "<buffer>". */
int rs_parse_buf(const char *name, const char *dir, const char *buf, size_t len,
		 const struct rs_parse_opts *opts, struct rs_ast **out, struct rs_diag *diag)
{
	struct rs_diag own;
	struct ps_file id = {0};
	struct ps ps;
	const char *n;

	if (diag == NULL)
		diag = &own;
	if (out == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	*out = NULL;
	if (name == NULL)
		name = "<buffer>";
	if (ps_begin(&ps, opts, diag) < 0)
		return -ENOMEM;
	n = ps_strdup(&ps, name, strlen(name));
	if (n != NULL && len > ps.max_bytes) {
		struct rs_loc at = {n, 0, 0};

		ps.limit = true;
		ps_err(&ps, at, "%zu bytes: over the limit of %" PRIu64
				" bytes for all rule files together",
		       len, ps.max_bytes);
	} else if (n != NULL) {
		ps.bytes = len;
		id.name = n;
		parse_file(&ps, n, dir != NULL ? ps_strdup(&ps, dir, strlen(dir)) : "", buf, len, 0,
			   &id);
	}
	return ps_end(&ps, name, out);
}

void rs_ast_free(struct rs_ast *ast)
{
	struct ast_own *a = (struct ast_own *)ast;

	if (a == NULL)
		return;
	free(a->rules);
	free(a->files);
	ps_arena_free(a->arena);
	free(a);
}
