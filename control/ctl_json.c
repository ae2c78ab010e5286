/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_json.c - the streaming JSON writer (API and guarantees in ctl_json.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ctl_json.h"

void ctl_json_init(struct ctl_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* The first error wins: a later one is usually a consequence of it. */
static void fail(struct ctl_json *j, int err)
{
	if (j->err == 0)
		j->err = err;
}

static void io_fail(struct ctl_json *j)
{
	fail(j, errno > 0 ? -errno : -EIO);
}

static void put(struct ctl_json *j, char c)
{
	if (putc(c, j->f) == EOF)
		io_fail(j);
}

static void put_mem(struct ctl_json *j, const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, j->f) != n)
		io_fail(j);
}

unsigned ctl_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0], len, i;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/* 0x80..0xbf: a continuation byte cannot start a sequence; 0xc0 and
	 * 0xc1 could only start overlong forms of ASCII. */
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c < 0xf0) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c < 0xf5) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past Unicode are
	 * not UTF-8 (RFC 3629 3): a strict decoder downstream would reject the
	 * whole document for one of them. */
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static void put_u(struct ctl_json *j, uint32_t v)
{
	char b[8];
	int n = snprintf(b, sizeof(b), "\\u%04" PRIx32, v);

	put_mem(j, b, (size_t)n);
}

static void write_string(struct ctl_json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* p[run, i) is pending plain text */

	put(j, '"');
	while (i < n) {
		unsigned c = p[i];
		uint32_t cp;
		unsigned l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		l = c >= 0x80 ? ctl_utf8_decode(p + i, n - i, &cp) : 0;
		/* U+2028/2029 are valid JSON but end a line in JavaScript
		 * before ES2019, which would split a JSON line in two. */
		if (l > 0 && cp != 0x2028 && cp != 0x2029) {
			i += l;
			continue;
		}
		put_mem(j, p + run, i - run);
		if (l > 0) {
			put_u(j, cp);
			i += l;
		} else {
			switch (c) {
			/* clang-format off */
			case '"': put_mem(j, "\\\"", 2); break;
			case '\\': put_mem(j, "\\\\", 2); break;
			case '\b': put_mem(j, "\\b", 2); break;
			case '\f': put_mem(j, "\\f", 2); break;
			case '\n': put_mem(j, "\\n", 2); break;
			case '\r': put_mem(j, "\\r", 2); break;
			case '\t': put_mem(j, "\\t", 2); break;
			/* Everything else: controls, DEL (a terminal may act
			 * on it) and bytes of broken UTF-8 (as U+00XX, so the
			 * document stays valid whatever the input). */
			default: put_u(j, c); break;
			/* clang-format on */
			}
			i++;
		}
		run = i;
	}
	put_mem(j, p + run, i - run);
	put(j, '"');
}

/* Checks that a value may go here and writes the comma before it.
 * Returns false (and records -EINVAL) when it may not. */
static bool value_begin(struct ctl_json *j)
{
	unsigned d;

	if (j->err)
		return false;
	if (j->depth == 0) {
		if (j->done) {
			fail(j, -EINVAL); /* one document, one value */
			return false;
		}
		return true;
	}
	d = j->depth - 1;
	if (j->in_obj[d]) {
		if (!j->need_value) {
			fail(j, -EINVAL); /* a member needs its key first */
			return false;
		}
		j->need_value = false;
		return true; /* the key wrote the comma */
	}
	if (j->has_items[d])
		put(j, ',');
	j->has_items[d] = true;
	return true;
}

static void value_end(struct ctl_json *j)
{
	if (j->depth == 0)
		j->done = true;
}

static void open_container(struct ctl_json *j, bool obj)
{
	if (j->err)
		return;
	if (j->depth >= CTL_JSON_MAX_DEPTH) {
		fail(j, -EINVAL);
		return;
	}
	if (!value_begin(j))
		return;
	j->in_obj[j->depth] = obj;
	j->has_items[j->depth] = false;
	j->depth++;
	put(j, obj ? '{' : '[');
}

static void close_container(struct ctl_json *j, bool obj)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->in_obj[j->depth - 1] != obj || j->need_value) {
		fail(j, -EINVAL);
		return;
	}
	j->depth--;
	put(j, obj ? '}' : ']');
	value_end(j);
}

void ctl_json_obj_begin(struct ctl_json *j)
{
	open_container(j, true);
}

void ctl_json_obj_end(struct ctl_json *j)
{
	close_container(j, true);
}

void ctl_json_arr_begin(struct ctl_json *j)
{
	open_container(j, false);
}

void ctl_json_arr_end(struct ctl_json *j)
{
	close_container(j, false);
}

void ctl_json_key(struct ctl_json *j, const char *key)
{
	unsigned d;

	if (j->err)
		return;
	if (j->depth == 0 || !j->in_obj[j->depth - 1] || j->need_value || key == NULL) {
		fail(j, -EINVAL);
		return;
	}
	d = j->depth - 1;
	if (j->has_items[d])
		put(j, ',');
	j->has_items[d] = true;
	write_string(j, key, strlen(key));
	put(j, ':');
	j->need_value = true;
}

void ctl_json_str(struct ctl_json *j, const char *p, size_t len)
{
	if (p == NULL && len > 0) {
		fail(j, -EINVAL);
		return;
	}
	if (!value_begin(j))
		return;
	write_string(j, p, len);
	value_end(j);
}

void ctl_json_cstr(struct ctl_json *j, const char *s)
{
	if (s == NULL)
		ctl_json_null(j);
	else
		ctl_json_str(j, s, strlen(s));
}

/* Numbers and literals: text that never needs escaping. */
static void write_raw(struct ctl_json *j, const char *s, size_t n)
{
	if (!value_begin(j))
		return;
	put_mem(j, s, n);
	value_end(j);
}

void ctl_json_int(struct ctl_json *j, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	write_raw(j, b, (size_t)n);
}

void ctl_json_uint(struct ctl_json *j, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	write_raw(j, b, (size_t)n);
}

void ctl_json_double(struct ctl_json *j, double v)
{
	char b[32];
	int n;

	if (!isfinite(v)) {
		ctl_json_null(j);
		return;
	}
	/* %.17g round-trips a double; its forms (1e+20, -0.5) are all JSON
	 * numbers. sipedgectl never calls setlocale(), so '.' is the point. */
	n = snprintf(b, sizeof(b), "%.17g", v);
	write_raw(j, b, (size_t)n);
}

void ctl_json_bool(struct ctl_json *j, bool v)
{
	if (v)
		write_raw(j, "true", 4);
	else
		write_raw(j, "false", 5);
}

void ctl_json_null(struct ctl_json *j)
{
	write_raw(j, "null", 4);
}

void ctl_json_kstr(struct ctl_json *j, const char *key, const char *p, size_t len)
{
	ctl_json_key(j, key);
	ctl_json_str(j, p, len);
}

void ctl_json_kcstr(struct ctl_json *j, const char *key, const char *s)
{
	ctl_json_key(j, key);
	ctl_json_cstr(j, s);
}

void ctl_json_kint(struct ctl_json *j, const char *key, int64_t v)
{
	ctl_json_key(j, key);
	ctl_json_int(j, v);
}

void ctl_json_kuint(struct ctl_json *j, const char *key, uint64_t v)
{
	ctl_json_key(j, key);
	ctl_json_uint(j, v);
}

void ctl_json_kbool(struct ctl_json *j, const char *key, bool v)
{
	ctl_json_key(j, key);
	ctl_json_bool(j, v);
}

void ctl_json_knull(struct ctl_json *j, const char *key)
{
	ctl_json_key(j, key);
	ctl_json_null(j);
}

int ctl_json_finish(struct ctl_json *j)
{
	FILE *f = j->f;
	bool wrote = j->done || j->depth > 0;
	int err;

	if (j->depth > 0 || j->need_value || !j->done)
		fail(j, -EINVAL);
	/* Even a broken document ends its line, so that the next one on a
	 * JSON-lines stream still starts on a line of its own. */
	if (wrote)
		put(j, '\n');
	if (fflush(f) == EOF)
		io_fail(j);
	else if (ferror(f))
		fail(j, -EIO); /* errno is not about this stream any more */
	err = j->err;
	ctl_json_init(j, f);
	return err;
}
