/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_ctl_json.c - the JSON writer: string escaping (a table of byte
 * strings and the exact JSON each must give), structure, misuse, and a
 * randomized check that any bytes give a valid JSON string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_json.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

struct buf {
	char *p;
	size_t len;
	FILE *f;
};

static void buf_open(struct buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->f = open_memstream(&b->p, &b->len);
	if (b->f == NULL) {
		perror("open_memstream");
		exit(2);
	}
}

static void buf_close(struct buf *b)
{
	fclose(b->f);
	free(b->p);
}

/* ---- escaping ---- */

static const struct {
	const char *in;
	size_t len;
	const char *want; /* the document: the string, quoted, and '\n' */
} str_cases[] = {
/* clang-format off */
#define S(lit, want) { lit, sizeof(lit) - 1, want }
	S("", "\"\"\n"),
	S("plain text", "\"plain text\"\n"),
	S("q\"b\\s/", "\"q\\\"b\\\\s/\"\n"),
	S("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"\n"),
	S("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"\n"),
	S("a\0b", "\"a\\u0000b\"\n"),
	S("caf\xc3\xa9", "\"caf\xc3\xa9\"\n"),			/* é as is */
	S("\xe2\x82\xac", "\"\xe2\x82\xac\"\n"),		/* € */
	S("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"\n"),	/* 4 bytes */
	S("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"\n"),	/* U+10FFFF */
	S("\xc2\x80", "\"\xc2\x80\"\n"),			/* U+0080 */
	S("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"\n"),
	S("\xff", "\"\\u00ff\"\n"),
	S("\x80", "\"\\u0080\"\n"),				/* stray cont. */
	S("\xc3", "\"\\u00c3\"\n"),				/* truncated */
	S("\xc3(", "\"\\u00c3(\"\n"),				/* bad cont. */
	S("\xc0\xaf", "\"\\u00c0\\u00af\"\n"),			/* overlong / */
	S("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"\n"),	/* overlong */
	S("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"\n"),	/* surrogate */
	S("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"\n"),
	S("\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"\n"),
	S("\xe2\x82", "\"\\u00e2\\u0082\"\n"),			/* short € */
	S("ok\xe9ok", "\"ok\\u00e9ok\"\n"),			/* Latin-1 */
#undef S
/* clang-format on */
};

static void test_strings(void)
{
	unsigned i;

	for (i = 0; i < sizeof(str_cases) / sizeof(str_cases[0]); i++) {
		struct ctl_json j;
		struct buf b;
		int rc;

		buf_open(&b);
		ctl_json_init(&j, b.f);
		ctl_json_str(&j, str_cases[i].in, str_cases[i].len);
		rc = ctl_json_finish(&j);
		fflush(b.f);
		CHECK(rc == 0, "string case %u: finish %d", i, rc);
		CHECK(b.len == strlen(str_cases[i].want) &&
			      memcmp(b.p, str_cases[i].want, b.len) == 0,
		      "string case %u: got [%.*s] want [%s]", i, (int)b.len, b.p,
		      str_cases[i].want);
		buf_close(&b);
	}
}

/* ---- structure ---- */

static void test_document(void)
{
	static const char want[] = "{\"a\":1,\"b\":\"x\",\"c\":[1,-2,{\"d\":null},[],{}],"
				   "\"e\":true,\"f\":false,\"g\":-9223372036854775808,"
				   "\"h\":18446744073709551615,\"i\":0.5,\"j\":null,\"k\":null,"
				   "\"k\\\"ey\":\"v\"}\n[]\n";
	struct ctl_json j;
	struct buf b;

	buf_open(&b);
	ctl_json_init(&j, b.f);
	ctl_json_obj_begin(&j);
	ctl_json_kint(&j, "a", 1);
	ctl_json_kstr(&j, "b", "x", 1);
	ctl_json_key(&j, "c");
	ctl_json_arr_begin(&j);
	ctl_json_int(&j, 1);
	ctl_json_int(&j, -2);
	ctl_json_obj_begin(&j);
	ctl_json_knull(&j, "d");
	ctl_json_obj_end(&j);
	ctl_json_arr_begin(&j);
	ctl_json_arr_end(&j);
	ctl_json_obj_begin(&j);
	ctl_json_obj_end(&j);
	ctl_json_arr_end(&j);
	ctl_json_kbool(&j, "e", true);
	ctl_json_kbool(&j, "f", false);
	ctl_json_kint(&j, "g", INT64_MIN);
	ctl_json_kuint(&j, "h", UINT64_MAX);
	ctl_json_key(&j, "i");
	ctl_json_double(&j, 0.5);
	ctl_json_key(&j, "j");
	ctl_json_double(&j, 0.0 / 0.0);
	ctl_json_kcstr(&j, "k", NULL);
	ctl_json_kcstr(&j, "k\"ey", "v");
	ctl_json_obj_end(&j);
	CHECK(ctl_json_finish(&j) == 0, "document: finish");
	/* the writer is reset: a second document on the same stream */
	ctl_json_arr_begin(&j);
	ctl_json_arr_end(&j);
	CHECK(ctl_json_finish(&j) == 0, "second document: finish");
	fflush(b.f);
	CHECK(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0,
	      "document: got [%.*s] want [%s]", (int)b.len, b.p, want);
	buf_close(&b);
}

static void test_depth(void)
{
	struct ctl_json j;
	struct buf b;
	unsigned i;

	buf_open(&b);
	ctl_json_init(&j, b.f);
	for (i = 0; i < CTL_JSON_MAX_DEPTH; i++)
		ctl_json_arr_begin(&j);
	for (i = 0; i < CTL_JSON_MAX_DEPTH; i++)
		ctl_json_arr_end(&j);
	CHECK(ctl_json_finish(&j) == 0, "depth %u must be accepted", CTL_JSON_MAX_DEPTH);
	for (i = 0; i <= CTL_JSON_MAX_DEPTH; i++)
		ctl_json_arr_begin(&j);
	CHECK(ctl_json_finish(&j) == -EINVAL, "depth %u must be refused", CTL_JSON_MAX_DEPTH + 1);
	buf_close(&b);
}

/* ---- misuse: each must end in -EINVAL ---- */

static void misuse_value_without_key(struct ctl_json *j)
{
	ctl_json_obj_begin(j);
	ctl_json_int(j, 1);
	ctl_json_obj_end(j);
}

static void misuse_key_in_array(struct ctl_json *j)
{
	ctl_json_arr_begin(j);
	ctl_json_key(j, "a");
	ctl_json_int(j, 1);
	ctl_json_arr_end(j);
}

static void misuse_key_twice(struct ctl_json *j)
{
	ctl_json_obj_begin(j);
	ctl_json_key(j, "a");
	ctl_json_key(j, "b");
	ctl_json_int(j, 1);
	ctl_json_obj_end(j);
}

static void misuse_key_without_value(struct ctl_json *j)
{
	ctl_json_obj_begin(j);
	ctl_json_key(j, "a");
	ctl_json_obj_end(j);
}

static void misuse_mismatched_end(struct ctl_json *j)
{
	ctl_json_obj_begin(j);
	ctl_json_arr_end(j);
}

static void misuse_extra_end(struct ctl_json *j)
{
	ctl_json_arr_begin(j);
	ctl_json_arr_end(j);
	ctl_json_arr_end(j);
}

static void misuse_two_values(struct ctl_json *j)
{
	ctl_json_int(j, 1);
	ctl_json_int(j, 2);
}

static void misuse_unclosed(struct ctl_json *j)
{
	ctl_json_obj_begin(j);
}

static void misuse_nothing(struct ctl_json *j)
{
	(void)j;
}

static void misuse_null_bytes(struct ctl_json *j)
{
	ctl_json_str(j, NULL, 3);
}

static const struct {
	const char *name;
	void (*fn)(struct ctl_json *j);
} misuse_cases[] = {
	{"value without key", misuse_value_without_key},
	{"key in array", misuse_key_in_array},
	{"key twice", misuse_key_twice},
	{"key without value", misuse_key_without_value},
	{"mismatched end", misuse_mismatched_end},
	{"extra end", misuse_extra_end},
	{"two top-level values", misuse_two_values},
	{"unclosed object", misuse_unclosed},
	{"empty document", misuse_nothing},
	{"NULL with length", misuse_null_bytes},
};

static void test_misuse(void)
{
	unsigned i;

	for (i = 0; i < sizeof(misuse_cases) / sizeof(misuse_cases[0]); i++) {
		struct ctl_json j;
		struct buf b;
		int rc;

		buf_open(&b);
		ctl_json_init(&j, b.f);
		misuse_cases[i].fn(&j);
		rc = ctl_json_finish(&j);
		CHECK(rc == -EINVAL, "misuse \"%s\": finish gave %d, want %d", misuse_cases[i].name,
		      rc, -EINVAL);
		/* and the writer works again after the reset */
		ctl_json_null(&j);
		CHECK(ctl_json_finish(&j) == 0, "misuse \"%s\": no reset", misuse_cases[i].name);
		buf_close(&b);
	}
}

/* ---- any bytes give a valid JSON string ---- */

/* Validates one JSON string token at p (RFC 8259 7), independently of the
 * writer's escaping code: returns its length or 0. UTF-8 validity of the
 * raw bytes uses ctl_utf8_decode, which the table above pins down. */
static size_t json_string_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 1;

	if (n < 2 || p[0] != '"')
		return 0;
	while (i < n && p[i] != '"') {
		uint32_t cp;
		unsigned l;

		if (p[i] < 0x20)
			return 0;
		if (p[i] == '\\') {
			if (i + 1 >= n)
				return 0;
			if (strchr("\"\\/bfnrt", p[i + 1]) != NULL) {
				i += 2;
				continue;
			}
			if (p[i + 1] != 'u' || i + 6 > n)
				return 0;
			for (l = 2; l < 6; l++)
				if (strchr("0123456789abcdefABCDEF", p[i + l]) == NULL ||
				    p[i + l] == '\0')
					return 0;
			i += 6;
			continue;
		}
		l = ctl_utf8_decode(p + i, n - i, &cp);
		if (l == 0)
			return 0;
		i += l;
	}
	return i < n ? i + 1 : 0;
}

static void test_random(void)
{
	static const char tricky[] = "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98"
				     "\xed\xa0\xbf\xc0\xf4\x90\x8f\"\\\x7f\x1f\n";
	unsigned round, k;
	char in[64];

	srand(2026);
	for (round = 0; round < 200000; round++) {
		size_t len = (size_t)rand() % sizeof(in);
		struct ctl_json j;
		struct buf b;

		/* half the bytes from a set that makes well-formed and
		 * nearly well-formed sequences likely */
		for (k = 0; k < len; k++)
			in[k] = rand() & 1 ? (char)(rand() & 0xff) :
					     tricky[(unsigned)rand() % sizeof(tricky)];
		buf_open(&b);
		ctl_json_init(&j, b.f);
		ctl_json_str(&j, in, len);
		CHECK(ctl_json_finish(&j) == 0, "random %u: finish", round);
		fflush(b.f);
		CHECK(b.len >= 3 && json_string_ok(b.p, b.len) == b.len - 1 &&
			      b.p[b.len - 1] == '\n',
		      "random %u: invalid [%.*s]", round, (int)b.len, b.p);
		buf_close(&b);
		if (failures > 10)
			return;
	}
}

int main(void)
{
	test_strings();
	test_document();
	test_depth();
	test_misuse();
	test_random();
	if (failures > 0) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("ctl_json: all tests passed\n");
	return 0;
}
