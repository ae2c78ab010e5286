/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_json.h - a small streaming JSON writer.
 *
 * Used by `sipedgectl inspect --json` and by every JSON the control plane
 * speaks (the control socket is JSON lines), so the output must be valid
 * JSON whatever bytes it is given:
 *
 *   - strings are binary-safe (pointer + length); '"' and '\' are escaped,
 *     control characters become \b \f \n \r \t or \u00XX, DEL becomes
 *     \u007f, U+2028/U+2029 become \u2028/\u2029 (JavaScript line breaks);
 *   - well-formed UTF-8 is copied as is; every byte that is not part of a
 *     well-formed sequence (stray continuation, overlong form, surrogate,
 *     above U+10FFFF, truncated) becomes \u00XX with the byte's value, so a
 *     Latin-1 or binary field reads back as U+0000..U+00FF per byte;
 *   - commas and the ':' after a key are written automatically;
 *   - nesting is tracked up to CTL_JSON_MAX_DEPTH; a value where a key is due,
 *     a key inside an array, a mismatched end, too deep a nesting or a second
 *     top-level value is misuse: the writer records -EINVAL, writes nothing
 *     more, and ctl_json_finish() reports it.
 *
 * Errors are sticky, so a caller writes a whole document and checks once:
 *
 *	struct ctl_json j;
 *	ctl_json_init(&j, stdout);
 *	ctl_json_obj_begin(&j);
 *	ctl_json_key(&j, "ok");
 *	ctl_json_bool(&j, true);
 *	ctl_json_kstr(&j, "call_id", p, len);
 *	ctl_json_obj_end(&j);
 *	if (ctl_json_finish(&j) < 0) ...   // {"ok":true,"call_id":"..."}\n
 *
 * Output is compact (no spaces, no newlines inside a document): one document,
 * one line. A writer is one thread's; it never allocates.
 */
#ifndef SIPEDGE_CTL_JSON_H
#define SIPEDGE_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CTL_JSON_MAX_DEPTH 32u

struct ctl_json {
	FILE *f;
	int err;			    /* 0, or the first -errno (sticky) */
	unsigned depth;			    /* open containers */
	bool done;			    /* a complete top-level value was written */
	bool need_value;		    /* a key was written, its value is due */
	bool in_obj[CTL_JSON_MAX_DEPTH];    /* object (true) or array */
	bool has_items[CTL_JSON_MAX_DEPTH]; /* a comma goes before the next */
};

/* Starts a document on f (not owned; the caller closes it). */
void ctl_json_init(struct ctl_json *j, FILE *f);

/* Containers. Inside an object, each value must follow ctl_json_key(). */
void ctl_json_obj_begin(struct ctl_json *j);
void ctl_json_obj_end(struct ctl_json *j);
void ctl_json_arr_begin(struct ctl_json *j);
void ctl_json_arr_end(struct ctl_json *j);

/* A member name (NUL-terminated, escaped like any string); only in an
 * object, and only where a member may start. */
void ctl_json_key(struct ctl_json *j, const char *key);

/* Scalars. ctl_json_str takes any len bytes (NULs included); p may be NULL
 * only when len is 0. ctl_json_cstr writes null for a NULL s. A non-finite
 * double (NaN, inf) has no JSON form and is written as null. */
void ctl_json_str(struct ctl_json *j, const char *p, size_t len);
void ctl_json_cstr(struct ctl_json *j, const char *s);
void ctl_json_int(struct ctl_json *j, int64_t v);
void ctl_json_uint(struct ctl_json *j, uint64_t v);
void ctl_json_double(struct ctl_json *j, double v);
void ctl_json_bool(struct ctl_json *j, bool v);
void ctl_json_null(struct ctl_json *j);

/* Member shorthands: ctl_json_key() then the value. */
void ctl_json_kstr(struct ctl_json *j, const char *key, const char *p, size_t len);
void ctl_json_kcstr(struct ctl_json *j, const char *key, const char *s);
void ctl_json_kint(struct ctl_json *j, const char *key, int64_t v);
void ctl_json_kuint(struct ctl_json *j, const char *key, uint64_t v);
void ctl_json_kbool(struct ctl_json *j, const char *key, bool v);
void ctl_json_knull(struct ctl_json *j, const char *key);

/* ctl_json_finish - end the document: writes '\n' and flushes.
 * Returns 0, -EINVAL if the writer was misused or the document is
 * incomplete (open containers, a key without value, nothing written), or
 * -EIO (or the stream's errno) if a write failed. Either way the writer is
 * reset for the next document on the same stream (JSON lines). */
int ctl_json_finish(struct ctl_json *j);

/* ctl_utf8_decode - the UTF-8 check the writer uses, exported so that human
 * output escapes exactly what JSON would.
 * Accepts the n >= 1 bytes at p. Returns the length (1..4) of the
 * well-formed sequence at p with its code point in *cp, or 0 if p[0] does
 * not start one (ASCII is a sequence of length 1). */
unsigned ctl_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

#ifdef __cplusplus
}
#endif
#endif /* SIPEDGE_CTL_JSON_H */
