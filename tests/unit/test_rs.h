/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_rs.h - what the files of the rs-eval program share: messages built
 * and parsed for real, rulesets built by hand (struct rs_rule arrays, as the
 * parser would give them) and run through the real compiler and loader.
 */
#ifndef SIPEDGE_TESTS_TEST_RS_H
#define SIPEDGE_TESTS_TEST_RS_H

#include <hs/hs.h>

#include "check.h"
#include "rs.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A parsed message and the bytes it points into. */
struct tmsg {
	struct sip_msg m;
	char buf[8192];
	uint32_t len;
};

/* head: start line and headers, lines ending in "\n" (made CRLF here), no
 * Content-Length; body: NULL or the body. Adds an exact Content-Length
 * (unless head has one already) and parses. Returns sip_parse's result. */
int tmsg_make(struct tmsg *t, const char *head, const char *body);

/* Compiles n rules and loads the blob; NULL (with the diagnostics printed
 * and a failure counted) when either fails. */
struct rs_set *tset(const struct rs_rule *rules, uint32_t n);

/* Compiles; the return value of rs_compile, diag filled. */
int tcompile(const struct rs_rule *rules, uint32_t n, const struct rs_platform *target,
	     void **blob, size_t *len, struct rs_diag *diag);

/* The requests of tests/corpus (load_corpus(SOURCE_ROOT) fills them). */
extern struct tmsg *corpus;
extern unsigned n_corpus;
void load_corpus(const char *root);

static inline struct rs_addr taddr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct rs_addr x = {.af = 4, .a = {a, b, c, d}, .port = port};
	return x;
}

/* A condition on a string field (pattern bytes as a C string). */
static inline struct rs_cond tstr(enum rs_field f, enum rs_op op, const char *pat, unsigned flags)
{
	struct rs_cond c = {.field = f, .op = op, .pat = pat,
			    .pat_len = pat ? (uint32_t)strlen(pat) : 0, .hs_flags = flags};
	return c;
}

static inline struct rs_cond thdr(const char *name, enum rs_op op, const char *pat, unsigned flags)
{
	struct rs_cond c = tstr(RS_F_hdr, op, pat, flags);
	c.hdr = name;
	c.hdr_len = (uint32_t)strlen(name);
	return c;
}

static inline struct rs_cond tnum(enum rs_field f, enum rs_op op, int64_t k)
{
	struct rs_cond c = {.field = f, .op = op, .num = k};
	return c;
}

/* len(f) OP k on a text field. */
static inline struct rs_cond tlen(enum rs_field f, enum rs_op op, int64_t k)
{
	struct rs_cond c = {.field = f, .op = op, .num = k, .len = true};
	return c;
}

static inline struct rs_cond tcidr(enum rs_field f, const struct rs_cidr *p, uint32_t n)
{
	struct rs_cond c = {.field = f, .op = RS_OP_CIDR, .cidr = p, .n_cidr = n};
	return c;
}

static inline struct rs_cond tnot(struct rs_cond c)
{
	c.neg = true;
	return c;
}

static inline struct rs_rule trule(uint32_t id, int32_t prio, enum rs_action a,
				   const struct rs_cond *c, uint32_t n)
{
	struct rs_rule r = {.id = id, .prio = prio, .action = (uint8_t)a, .cond = c, .n_cond = n,
			    .code = a == RS_ACT_REJECT ? 403 : 0,
			    .ban_s = a == RS_ACT_BAN ? 60 : 0};
	return r;
}

void test_blob(void);
void test_diff(unsigned n_sets, unsigned n_msgs);
void test_text(const char *root);
void test_shipped_rules(const char *root);

#endif /* SIPEDGE_TESTS_TEST_RS_H */
