/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * fuzz_rules.c - the libFuzzer target of the rule language's parser
 * (rs_parse_buf; rules/README.md).
 *
 * Each input is the text of one rules file, copied to a heap buffer of
 * exactly its size (no NUL after it: ASan reports the first byte read past
 * the end). It is parsed with the default limits and again with tiny ones
 * taken from its first byte (max_rules, max_bytes, max_depth), includes
 * resolved in a directory that does not exist (an absolute include still
 * reads a real file: the parser must refuse what is not a regular file and
 * what is too big without reading it).
 *
 * Beyond what the sanitizers catch, every result is checked against rs.h's
 * contract, and a violation traps so that the fuzzer keeps the input:
 *   - the return code is 0, -EINVAL, -EFBIG or -ENOMEM; 0 exactly when no
 *     error was reported, and the AST is set exactly then;
 *   - every error has a file, a line and column from 1 (0 only for an error
 *     about a whole file), a message, and renders with rs_diag_str;
 *   - every rule has an id, an action, a condition; ids are unique; every
 *     condition has an operator that fits its field's kind (len(FIELD): a
 *     text field, a number operator, a length), a pattern
 *     NUL-terminated at pat_len, CIDRs with host bits clear.
 *
 * Built with -fsanitize=fuzzer under -Dfuzz=true (docs/build.md); in a
 * normal build fuzz_main.c replays tests/unit/rules/ and the shipped
 * rulesets through the same checks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

/* Larger inputs only test the line-length and size limits, which a few
 * do; the rest would slow the fuzzer down. */
#define FUZZ_MAX_INPUT (1u << 20)

static void check_cond(const struct rs_cond *c)
{
	enum rs_kind k = rs_field_kind(c->field);

	REQUIRE(k != 0);
	REQUIRE(c->op > 0 && c->op < RS_OP__COUNT && rs_op_name(c->op) != NULL);
	REQUIRE((c->field == RS_F_hdr) == (c->hdr != NULL));
	if (c->hdr != NULL)
		REQUIRE(c->hdr_len > 0 && strlen(c->hdr) == c->hdr_len);
	REQUIRE(c->loc.line > 0 && c->loc.col > 0 && c->pat_loc.line > 0);
	if (c->len) { /* len(FIELD): a text field's length, a number op */
		REQUIRE(k == RS_KIND_STR && c->op >= RS_OP_LT && c->op <= RS_OP_NUM_NE);
		REQUIRE(c->num >= 0 && c->num <= UINT32_MAX);
		return;
	}
	if (c->op == RS_OP_EXISTS)
		return;
	switch (k) {
	case RS_KIND_STR:
		REQUIRE(c->op >= RS_OP_REGEX && c->op <= RS_OP_CONTAINS);
		REQUIRE(c->pat != NULL && c->pat[c->pat_len] == '\0');
		REQUIRE(c->op == RS_OP_EQ || c->pat_len > 0);
		if (c->op == RS_OP_REGEX)
			REQUIRE(strlen(c->pat) == c->pat_len); /* Hyperscan takes a C string */
		break;
	case RS_KIND_NUM:
		REQUIRE(c->op >= RS_OP_LT && c->op <= RS_OP_NUM_NE);
		break;
	case RS_KIND_ADDR:
		REQUIRE(c->op == RS_OP_CIDR && c->n_cidr > 0 && c->cidr != NULL);
		for (uint32_t i = 0; i < c->n_cidr; i++) {
			const struct rs_cidr *p = &c->cidr[i];
			unsigned max = p->af == 6 ? 128 : 32;

			REQUIRE(p->af == 4 || p->af == 6);
			REQUIRE(p->plen <= max);
			for (unsigned b = p->plen; b < max; b++)
				REQUIRE(!(p->a[b / 8] & (0x80u >> (b % 8))));
		}
		break;
	}
}

static void check_ast(const struct rs_ast *a, const struct rs_parse_opts *o)
{
	REQUIRE(a->n_files >= 1 && a->files != NULL);
	REQUIRE(o->max_rules == 0 || a->n_rules <= o->max_rules);
	for (uint32_t i = 0; i < a->n_rules; i++) {
		const struct rs_rule *r = &a->rules[i];

		REQUIRE(r->id != 0 && r->n_cond > 0 && r->cond != NULL);
		REQUIRE(r->action > RS_ACT_NONE && r->action < RS_ACT__COUNT);
		REQUIRE(r->action != RS_ACT_REJECT || (r->code >= 400 && r->code <= 699));
		REQUIRE(r->action != RS_ACT_BAN || (r->ban_s >= 1 && r->ban_s <= 86400u * 30));
		REQUIRE(r->msg == NULL || (r->msg[0] != '\0' && strlen(r->msg) <= 256));
		REQUIRE(r->loc.file != NULL && r->loc.line > 0 && r->loc.col > 0);
		for (uint32_t j = i + 1; j < a->n_rules && j < i + 64; j++)
			REQUIRE(a->rules[j].id != r->id);
		for (uint32_t j = 0; j < r->n_cond; j++)
			check_cond(&r->cond[j]);
	}
}

static void run(const char *buf, size_t len, const struct rs_parse_opts *o)
{
	struct rs_ast *a = NULL;
	struct rs_diag d;
	char line[600];
	int rc = rs_parse_buf("fuzz.rules", "/nonexistent-fuzz-dir", buf, len, o, &a, &d);

	REQUIRE(rc == 0 || rc == -EINVAL || rc == -EFBIG || rc == -ENOMEM);
	REQUIRE((rc == 0) == (a != NULL));
	REQUIRE((rc == 0) == (d.n == 0));
	REQUIRE(d.n <= RS_DIAG_MAX && (d.n_more == 0 || d.n == RS_DIAG_MAX));
	for (unsigned i = 0; i < d.n; i++) {
		REQUIRE(d.e[i].file[0] != '\0' && d.e[i].msg[0] != '\0');
		REQUIRE(d.e[i].line > 0 || d.e[i].col == 0);
		REQUIRE(d.e[i].line == 0 || d.e[i].col > 0);
		REQUIRE(rs_diag_str(&d, i, line, sizeof(line)) == line && line[0] != '\0');
	}
	if (a != NULL)
		check_ast(a, o);
	rs_ast_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_parse_opts def = {0}, tiny;
	char *buf;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	buf = calloc(1, size ? size : 1);
	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	run(buf, size, &def);
	tiny.max_rules = size ? 1 + data[0] % 4 : 1;
	tiny.max_bytes = size ? size - (data[0] & 1) : 1;
	tiny.max_depth = 1;
	run(buf, size, &tiny);
	free(buf);
	return 0;
}
