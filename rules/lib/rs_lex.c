/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_lex.c - what the rule parser stands on: the AST's arena, diagnostics,
 * reading a file within the limits, the first pass over its bytes, the
 * lexer's primitives and did-you-mean suggestions (rs_parse_priv.h).
 *
 * A file is checked whole before it is parsed (ps_prescan): a NUL, a control
 * character, invalid UTF-8 or an over-long line make it binary or broken
 * rather than a rules file with a typo, and the grammar then never meets
 * them. Strings and regexes can still hold any byte, written \xHH.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs_parse_priv.h"

/* ---- the arena ---- */

#define ARENA_BLK (64u << 10)
#define ARENA_ALIGN 16u

struct rs_arena_blk {
	struct rs_arena_blk *next;
	size_t used, cap;
	max_align_t data[];
};

/* ps_alloc - n zeroed bytes that live as long as the AST, 16-byte aligned.
 * NULL (and ps->oom set) when memory runs out. */
void *ps_alloc(struct ps *ps, size_t n)
{
	struct rs_arena_blk *b = ps->ast->arena;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (n > SIZE_MAX / 2) {
		ps->oom = true;
		return NULL;
	}
	if (b == NULL || b->cap - b->used < need) {
		size_t cap = need > ARENA_BLK ? need : ARENA_BLK;

		b = calloc(1, sizeof(*b) + cap);
		if (b == NULL) {
			ps->oom = true;
			return NULL;
		}
		b->cap = cap;
		b->next = ps->ast->arena;
		ps->ast->arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

/* A copy of n bytes of s, NUL-terminated, in the arena. */
char *ps_strdup(struct ps *ps, const char *s, size_t n)
{
	char *d = ps_alloc(ps, n + 1);

	if (d != NULL && n > 0)
		memcpy(d, s, n);
	return d;
}

void ps_arena_free(struct rs_arena_blk *b)
{
	while (b != NULL) {
		struct rs_arena_blk *next = b->next;

		free(b);
		b = next;
	}
}

/* ---- diagnostics ---- */

/* ps_verr - one error at loc (line 0: the file as a whole). The first
 * RS_DIAG_MAX go into the caller's rs_diag, the rest are counted. */
void ps_verr(struct ps *ps, struct rs_loc loc, const char *fmt, va_list ap)
{
	struct rs_diag *d = ps->diag;

	ps->n_err++;
	if (d->n >= RS_DIAG_MAX) {
		d->n_more++;
		return;
	}
	snprintf(d->e[d->n].file, sizeof(d->e[d->n].file), "%s", loc.file ? loc.file : "");
	d->e[d->n].line = loc.line;
	d->e[d->n].col = loc.col;
	vsnprintf(d->e[d->n].msg, sizeof(d->e[d->n].msg), fmt, ap);
	d->n++;
}

void ps_err(struct ps *ps, struct rs_loc loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps_verr(ps, loc, fmt, ap);
	va_end(ap);
}

/* rs_diag_str - see rs.h. An error about a whole file (line 0) is
 * "file: msg". */
const char *rs_diag_str(const struct rs_diag *d, unsigned i, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return buf;
	if (d == NULL || i >= d->n || i >= RS_DIAG_MAX)
		buf[0] = '\0';
	else if (d->e[i].line == 0)
		snprintf(buf, len, "%s: %s", d->e[i].file, d->e[i].msg);
	else
		snprintf(buf, len, "%s:%" PRIu32 ":%" PRIu32 ": %s", d->e[i].file, d->e[i].line,
			 d->e[i].col, d->e[i].msg);
	return buf;
}

/* ---- reading a file ---- */

/* An error of ps_read: about the root file itself (at.line 0), or about
 * the file an include names, at the include. */
static void read_err(struct ps *ps, struct rs_loc at, const char *shown, const char *path,
		     const char *what)
{
	if (at.line == 0)
		ps_err(ps, at, "%s", what);
	else if (strcmp(shown, path) == 0)
		ps_err(ps, at, "include \"%s\": %s", shown, what);
	else
		ps_err(ps, at, "include \"%s\" (%s): %s", shown, path, what);
}

/* ps_read - the whole of the regular file path into a malloc'd buffer the
 * caller frees (*bufp, *lenp), its identity in *id. shown is how the rules
 * wrote it (an include's operand), at where (line 0: path is the root).
 * Refuses what is not a regular file (a FIFO could block for ever: it is
 * opened non-blocking and refused), and a file that would take the bytes
 * of all files read past ps->max_bytes, by its size before a byte is read
 * and again if it grew while being read. Returns 0, -EINVAL, -EFBIG or
 * -ENOMEM, each in diag. */
int ps_read(struct ps *ps, const char *path, struct rs_loc at, const char *shown, char **bufp,
	    size_t *lenp, struct ps_file *id)
{
	uint64_t room = ps->max_bytes > ps->bytes ? ps->max_bytes - ps->bytes : 0;
	char *buf = NULL, what[160];
	size_t len = 0, cap;
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -EINVAL;
		read_err(ps, at, shown, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		read_err(ps, at, shown, path,
			 S_ISDIR(st.st_mode) ? "is a directory, not a rules file"
					     : "not a regular file");
		goto out;
	}
	if ((uint64_t)st.st_size > room)
		goto too_big;
	cap = (size_t)st.st_size + 1; /* one more: EOF is seen without a realloc */
	buf = malloc(cap);
	if (buf == NULL)
		goto oom;
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t ncap = cap < room + 1 - cap ? cap * 2 : (size_t)room + 1;
			char *nb;

			if (ncap <= cap)
				goto grew;
			nb = realloc(buf, ncap);
			if (nb == NULL)
				goto oom;
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -EINVAL;
			read_err(ps, at, shown, path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > room)
			goto grew;
	}
	ps->bytes += len;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->has_id = true;
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	goto out;
too_big:
	snprintf(what, sizeof(what),
		 "%" PRIu64 " bytes: over the limit of %" PRIu64
		 " bytes for all rule files together",
		 (uint64_t)st.st_size, ps->max_bytes);
	goto limit;
grew:
	snprintf(what, sizeof(what),
		 "grew while being read, past the limit of %" PRIu64
		 " bytes for all rule files together",
		 ps->max_bytes);
limit:
	rc = -EFBIG;
	ps->limit = true;
	read_err(ps, at, shown, path, what);
	goto out;
oom:
	rc = -ENOMEM;
	ps->oom = true;
	read_err(ps, at, shown, path, "out of memory");
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- the first pass ---- */

/* Bytes of the UTF-8 sequence at s (at most n bytes there), or 0 when it is
 * not one: overlong forms, surrogates and code points past U+10FFFF are
 * refused like stray continuation bytes. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return k;
}

bool rs_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);

		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* ps_prescan - refuses, one error per line, every line of buf that is
 * longer than RS_LINE_MAX or holds a NUL, a control character other than
 * tab and CR, or invalid UTF-8. Returns true when the file is clean. */
bool ps_prescan(struct ps *ps, const char *file, const char *buf, size_t len)
{
	const unsigned char *u = (const unsigned char *)buf;
	unsigned before = ps->n_err;
	uint32_t line = 1;

	for (size_t bol = 0; bol < len; line++) {
		const unsigned char *nl = memchr(u + bol, '\n', len - bol);
		size_t eol = nl ? (size_t)(nl - u) : len, i = bol;
		struct rs_loc at = {file, line, 0};

		if (eol - bol > RS_LINE_MAX) {
			at.col = RS_LINE_MAX + 1;
			ps->limit = true;
			ps_err(ps, at, "line longer than %u bytes (the limit); continue a long rule "
				       "with \\ at the end of a line",
			       RS_LINE_MAX);
			bol = eol + 1;
			continue;
		}
		while (i < eol) {
			unsigned char c = u[i];
			size_t k = 1;

			if (c >= 0x80)
				k = utf8_seq(u + i, eol - i);
			else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
				k = 0;
			if (k > 0) {
				i += k;
				continue;
			}
			at.col = (uint32_t)(i - bol + 1);
			if (c == 0)
				ps_err(ps, at, "NUL byte: a rules file is text");
			else if (c < 0x80)
				ps_err(ps, at, "control character 0x%02x: a rules file is text; "
					       "write it as \\x%02x in a quoted string or regex",
				       c, c);
			else
				ps_err(ps, at, "invalid UTF-8 (byte 0x%02x): a rules file is UTF-8 "
					       "text; write other bytes as \\xHH in a quoted string "
					       "or regex",
				       c);
			break;
		}
		bol = eol + 1;
	}
	return ps->n_err == before;
}

/* ---- the lexer ---- */

struct rs_loc lx_here(const struct lx *lx)
{
	struct rs_loc l = {lx->file, lx->line, (uint32_t)(lx->pos - lx->bol + 1)};

	return l;
}

/* Where byte pos of the current physical line is. */
struct rs_loc lx_at(const struct lx *lx, size_t pos)
{
	struct rs_loc l = {lx->file, lx->line, (uint32_t)(pos - lx->bol + 1)};

	return l;
}

/* The byte ahead of pos, or -1 past the end. */
int lx_peek(const struct lx *lx, size_t ahead)
{
	return lx->pos + ahead < lx->len ? (unsigned char)lx->p[lx->pos + ahead] : -1;
}

/* A backslash that ends its line (blanks may follow it): the line goes on
 * on the next one. Consumes it and the newline when it is one. */
static bool lx_continuation(struct lx *lx)
{
	size_t j = lx->pos + 1;

	while (j < lx->len && (lx->p[j] == ' ' || lx->p[j] == '\t' || lx->p[j] == '\r'))
		j++;
	if (j < lx->len && lx->p[j] != '\n')
		return false;
	lx->pos = j;
	if (j < lx->len) {
		lx->pos++;
		lx->line++;
		lx->bol = lx->pos;
	}
	return true;
}

/* Skips blanks (space, tab, CR) and continuations, never a newline. */
void lx_blank(struct lx *lx)
{
	while (lx->pos < lx->len) {
		char c = lx->p[lx->pos];

		if (c == ' ' || c == '\t' || c == '\r')
			lx->pos++;
		else if (c != '\\' || !lx_continuation(lx))
			break;
	}
}

/* The logical line ends here: end of file, newline, or a comment. */
bool lx_eol(const struct lx *lx)
{
	return lx->pos >= lx->len || lx->p[lx->pos] == '\n' || lx->p[lx->pos] == '#';
}

/* Past the end of the logical line (after an error: the next rule is
 * parsed afresh). A comment ends it even if it ends in a backslash. */
void lx_skip_line(struct lx *lx)
{
	bool comment = false;

	while (lx->pos < lx->len) {
		char c = lx->p[lx->pos];

		if (c == '\n') {
			lx->pos++;
			lx->line++;
			lx->bol = lx->pos;
			return;
		}
		if (c == '#')
			comment = true;
		if (comment || c != '\\' || !lx_continuation(lx))
			lx->pos++;
	}
}

bool lx_word_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '.' || c == '-');
}

/* A word (letters, digits, _ . -) at pos: its length (0: none there) and
 * start; pos moves past it. */
size_t lx_word(struct lx *lx, const char **w)
{
	size_t s = lx->pos;

	while (lx->pos < lx->len && lx_word_char((unsigned char)lx->p[lx->pos]))
		lx->pos++;
	*w = lx->p + s;
	return lx->pos - s;
}

/* Keywords are case-insensitive, like field names. */
bool lx_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* lx_found - what is at pos, for "expected X, found Y": "end of line",
 * "end of file", or the text up to the next blank in quotes (cut at 32
 * bytes, on a character boundary). Returns buf. */
const char *lx_found(const struct lx *lx, char *buf, size_t len)
{
	size_t i = lx->pos, n;

	if (i >= lx->len) {
		snprintf(buf, len, "end of file");
		return buf;
	}
	if (lx->p[i] == '\n' || lx->p[i] == '#') {
		snprintf(buf, len, "end of line");
		return buf;
	}
	while (i < lx->len && i - lx->pos < 32 && !strchr(" \t\r\n", lx->p[i]))
		i++;
	while (i < lx->len && i > lx->pos + 1 && ((unsigned char)lx->p[i] & 0xc0) == 0x80)
		i--; /* not in the middle of a character */
	n = i - lx->pos;
	snprintf(buf, len, "\"%.*s%s\"", (int)n, lx->p + lx->pos,
		 i < lx->len && !strchr(" \t\r\n", lx->p[i]) ? "..." : "");
	return buf;
}

/* ---- did you mean ---- */

static int fold(char c)
{
	return c == '_' ? '-' : tolower((unsigned char)c);
}

/* Optimal string alignment distance (Levenshtein plus transpositions),
 * case-insensitive, _ and - the same; words past 32 bytes are never
 * close. */
static unsigned osa(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned d[33][33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned c = fold(a[i - 1]) != fold(b[j - 1]), v = d[i - 1][j - 1] + c;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
			    fold(a[i - 2]) == fold(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* rs_suggest - the closest word of t to w (its say, or the word), if it is
 * close enough for a typo: one edit in a word of up to 5 bytes, two up to
 * 9, three beyond. NULL when none is. */
const char *rs_suggest(const char *w, size_t n, const struct rs_sugg *t, size_t nt)
{
	unsigned best = (n <= 5 ? 1 : n <= 9 ? 2 : 3) + 1;
	const char *say = NULL;

	for (size_t i = 0; i < nt; i++) {
		unsigned d = osa(w, n, t[i].word, strlen(t[i].word));

		if (d < best) {
			best = d;
			say = t[i].say ? t[i].say : t[i].word;
		}
	}
	return say;
}
