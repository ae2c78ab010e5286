/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_parse_priv.h - what the files of the rule parser share (rules/README.md
 * documents the language).
 *
 *   rs_lex.c    the AST's arena, diagnostics, reading a file within the
 *               limits, the first pass over its bytes (NUL, control
 *               characters, UTF-8, line length), the lexer's primitives and
 *               the did-you-mean suggestions
 *   rs_parse.c  the grammar of a rule: action, options, conditions
 *   rs_parse_value.c  values: numbers, strings, texts, regexes, prefixes
 *   rs_parse_file.c  the file loop, includes (cycles, depth), the public
 *               functions of rs.h's "language" section
 *
 * The parser state (struct ps) lives on the stack of rs_parse_file or
 * rs_parse_buf: nothing here is global, every function is reentrant.
 */
#ifndef SIPEDGE_RS_PARSE_PRIV_H
#define SIPEDGE_RS_PARSE_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rs.h"

/* The limits the language sets itself (rules/README.md, "Limits"); the
 * others come from struct rs_parse_opts. */
#define RS_LINE_MAX	65536u	/* bytes in one physical line, newline excluded */
#define RS_COND_MAX	64u	/* conditions in one rule */
#define RS_MSG_MAX	256u	/* bytes of a msg:"..." once unescaped */
#define RS_REASON_MAX	128u	/* bytes of a reject reason once unescaped */
#define RS_BAN_MAX	(86400u * 30) /* seconds */
#define RS_DEPTH_CAP	64u	/* max_depth above this is taken as this */
#define RS_PATH_MAX	4096u	/* an include's resolved path */
#define RS_FILES_MAX	1024u	/* files in one ruleset, the root included */

/* The AST as the parser builds it; pub first so that rs_ast_free can take
 * the struct rs_ast back. Rules and the file list are vectors; everything
 * they point to (conditions, patterns, strings, file names) is in the
 * arena, freed at once. */
struct rs_arena_blk;

struct ast_own {
	struct rs_ast pub;
	struct rs_arena_blk *arena;
	struct rs_rule *rules;
	uint32_t cap_rules;
	const char **files;
	uint32_t cap_files;
};

/* One file being read on the include chain, or read before (identity, to
 * refuse cycles and a second include of one file). */
struct ps_file {
	const char *name; /* in the arena */
	dev_t dev;
	ino_t ino;
	bool has_id;	  /* false for rs_parse_buf's text */
};

/* The parser's state for one rs_parse_* call. */
struct ps {
	struct ast_own *ast;
	struct rs_diag *diag;
	uint64_t max_bytes;
	uint32_t max_rules;
	unsigned max_depth;
	uint64_t bytes;		/* read so far, all files */
	unsigned n_err;		/* errors, in diag or counted in n_more */
	bool limit;		/* one of them was a limit: -EFBIG */
	bool oom;		/* out of memory: stop, -ENOMEM */
	bool stop;		/* max_rules reached: parse no further */
	struct ps_file chain[RS_DEPTH_CAP + 1]; /* [0] the root .. [depth] */
	struct ps_file *seen;	/* every file read, for "already included" */
	uint32_t n_seen, cap_seen;
	struct rs_cond *conds;	/* the rule being parsed */
	uint32_t cap_conds;
	struct rs_cidr *cidrs;	/* the CIDR list being parsed */
	uint32_t n_cidrs, cap_cidrs;
	struct { uint32_t id, rule; } *ids; /* open addressing; id 0: empty */
	uint32_t cap_ids, n_ids;
};

/* The lexer over one file's bytes. pos only moves forward; line and bol
 * (the offset of the current physical line's first byte) follow it. */
struct lx {
	const char *file; /* as diagnostics name it (in the arena) */
	const char *p;
	size_t len, pos;
	uint32_t line;
	size_t bol;
};

/* The diagnostics are full: further errors are only counted, so whatever
 * only makes a message better (a suggestion) is not worth its time. */
static inline bool ps_full(const struct ps *ps)
{
	return ps->diag->n >= RS_DIAG_MAX;
}

/* ---- rs_parse.c ---- */

int ps_rule(struct ps *ps, struct lx *lx);

/* ---- rs_parse_value.c ---- */

int ps_num(struct ps *ps, struct lx *lx, const char *what, const char *after, int64_t lo,
	   int64_t hi, int64_t *v);
int ps_str(struct ps *ps, struct lx *lx, char **out, uint32_t *outlen, bool *caseless);
int ps_text(struct ps *ps, struct lx *lx, const char *what, uint32_t max, char **out);
int ps_regex(struct ps *ps, struct lx *lx, struct rs_cond *c);
int ps_cidrs(struct ps *ps, struct lx *lx, struct rs_cond *c);

/* "found X" in a message; fb is the caller's char array. */
#define FOUND(lx) lx_found((lx), fb, sizeof(fb))

/* ---- rs_lex.c ---- */

void *ps_alloc(struct ps *ps, size_t n);
char *ps_strdup(struct ps *ps, const char *s, size_t n);
void ps_arena_free(struct rs_arena_blk *b);

void ps_err(struct ps *ps, struct rs_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ps_verr(struct ps *ps, struct rs_loc loc, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

int ps_read(struct ps *ps, const char *path, struct rs_loc at, const char *shown, char **bufp,
	    size_t *lenp, struct ps_file *id);
bool ps_prescan(struct ps *ps, const char *file, const char *buf, size_t len);
bool rs_utf8_valid(const char *s, size_t n);

struct rs_loc lx_here(const struct lx *lx);
struct rs_loc lx_at(const struct lx *lx, size_t pos);
void lx_blank(struct lx *lx);
bool lx_eol(const struct lx *lx);
void lx_skip_line(struct lx *lx);
int lx_peek(const struct lx *lx, size_t ahead);
bool lx_word_char(int c);
size_t lx_word(struct lx *lx, const char **w);
bool lx_is(const char *w, size_t n, const char *kw);
const char *lx_found(const struct lx *lx, char *buf, size_t len);

/* A table of words a misspelling may be close to: written, and what to
 * suggest for it (NULL: the word itself). */
struct rs_sugg {
	const char *word, *say;
};

const char *rs_suggest(const char *w, size_t n, const struct rs_sugg *t, size_t nt);

#endif /* SIPEDGE_RS_PARSE_PRIV_H */
