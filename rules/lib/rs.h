/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs.h - the rule language, its compiler and its evaluator (rules/README.md).
 *
 * Three stages, one library, no DPDK:
 *
 *   text --rs_parse_*--> struct rs_ast --rs_compile--> blob (bytes)
 *   blob --rs_set_load--> struct rs_set --rs_eval(msg, addresses)--> verdict
 *
 * sipedge-control parses and compiles (and evaluates, for `explain`); the
 * dataplane only loads blobs and evaluates. The blob is self-contained: the
 * rule table, the non-regex conditions and one serialized Hyperscan database
 * per field the rules name, behind a header the loader checks (format,
 * Hyperscan version, CPU features) before it trusts a byte.
 *
 * Semantics (the evaluator and `explain` share them, by construction):
 *   - a rule holds when all of its conditions hold (and); a condition with
 *     "not" holds when its test does not;
 *   - a STR condition tests every value of its field (every Contact, every
 *     occurrence of hdr[X]); it holds when any value matches; an absent
 *     field has no value, so only a negated condition (or !exists) holds;
 *     len(FIELD) compares each value's length in bytes the same way;
 *   - rules are ranked by priority (lower first; default RS_PRIO_DEFAULT),
 *     then by their order in the files (include order);
 *   - the first holding live rule whose action decides (allow, drop,
 *     reject, ban) decides; count rules ranked ahead of it that hold are
 *     counted and do not stop the walk; a rule in shadow mode is counted
 *     when it holds and never acts (a whole ruleset in shadow mode is run
 *     by the caller beside the live one, its verdict only counted);
 *   - no deciding rule: the message goes on (forward).
 *
 * Threads: every function is reentrant. A struct rs_set is immutable once
 * loaded and may be read by any number of threads at once; a struct
 * rs_scratch belongs to one thread at a time.
 */
#ifndef SIPEDGE_RS_H
#define SIPEDGE_RS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tables ---- */

enum rs_field {
	RS_F__NONE = 0,
#define X(id, name, kind, help) RS_F_##id,
#include "rs_field.def"
#undef X
	RS_F__COUNT
};

enum rs_kind {
	RS_KIND_STR = 1,
	RS_KIND_NUM,
	RS_KIND_ADDR,
};

enum rs_op {
	RS_OP_REGEX = 1, /* STR: Hyperscan regex, pat/pat_len, hs_flags */
	RS_OP_EQ,	 /* STR: the whole value is the literal */
	RS_OP_PREFIX,	 /* STR: the value starts with the literal */
	RS_OP_SUFFIX,	 /* STR: the value ends with the literal */
	RS_OP_CONTAINS,	 /* STR: the literal occurs in the value */
	RS_OP_EXISTS,	 /* any kind: the field is present */
	RS_OP_CIDR,	 /* ADDR: in one of cidr[0..n_cidr) */
	RS_OP_LT,	 /* NUM: value < num */
	RS_OP_LE,
	RS_OP_GT,
	RS_OP_GE,
	RS_OP_NUM_EQ,
	RS_OP_NUM_NE,
	RS_OP__COUNT
};

enum rs_action {
	RS_ACT_NONE = 0, /* verdict only: no rule decided, forward */
	RS_ACT_ALLOW,	 /* decides: forward, skip the rules ranked after */
	RS_ACT_DROP,	 /* decides: drop silently */
	RS_ACT_REJECT,	 /* decides: answer with code and reason */
	RS_ACT_BAN,	 /* decides: drop, and drop the source for ban_s */
	RS_ACT_COUNT,	 /* never decides: count and go on */
	RS_ACT__COUNT
};

#define RS_PRIO_DEFAULT 1000

/* Names as written in rules ("ruri.user", "~", "reject"); NULL if out of
 * range. */
const char *rs_field_name(enum rs_field f);
enum rs_kind rs_field_kind(enum rs_field f);
const char *rs_field_help(enum rs_field f);
enum rs_field rs_field_lookup(const char *name, size_t len); /* RS_F__NONE */
const char *rs_action_name(enum rs_action a);
const char *rs_op_name(enum rs_op op);

/* ---- diagnostics ---- */

/* Where something is in the rule sources; file points into the AST's (or
 * the set's) own storage. line and col count from 1; col in bytes. */
struct rs_loc {
	const char *file;
	uint32_t line, col;
};

#define RS_DIAG_MAX 64

/* Errors of a parse or compile, in source order, each rendered as
 * "file:line:col: what was expected or what is wrong". More than
 * RS_DIAG_MAX are counted in n_more. */
struct rs_diag {
	unsigned n, n_more;
	struct {
		char file[256];
		uint32_t line, col;
		char msg[256];
	} e[RS_DIAG_MAX];
};

/* Formats diagnostic i as "file:line:col: msg" into buf (NUL-terminated,
 * truncated to len). Returns buf. */
const char *rs_diag_str(const struct rs_diag *d, unsigned i, char *buf, size_t len);

/* ---- the language: text to AST (rs_parse.c) ---- */

struct rs_cidr {
	uint8_t af;   /* 4 or 6 */
	uint8_t plen; /* 0..32 or 0..128 */
	uint8_t a[16]; /* network order; IPv4 in a[0..3]; host bits zero */
};

struct rs_cond {
	uint16_t field;		/* enum rs_field */
	uint8_t op;		/* enum rs_op */
	bool neg;		/* "not": holds when the test does not */
	bool len;		/* len(FIELD): a STR field, a number op (LT ..
				 * NUM_NE) against the byte length of each value,
				 * num the bound; no scan */
	const char *hdr;	/* RS_F_hdr: the header name, NUL-terminated */
	uint32_t hdr_len;
	const char *pat;	/* STR ops: regex source or literal bytes (a
				 * literal may hold any byte, NUL included) */
	uint32_t pat_len;
	unsigned hs_flags;	/* REGEX: HS_FLAG_*; literals: HS_FLAG_CASELESS
				 * or 0 */
	int64_t num;		/* NUM ops */
	const struct rs_cidr *cidr; /* RS_OP_CIDR */
	uint32_t n_cidr;
	struct rs_loc loc;	/* where the condition starts */
	struct rs_loc pat_loc;	/* where its pattern starts (regex errors) */
};

struct rs_rule {
	uint32_t id;		/* unique in a ruleset, 1 .. 2^32-1 */
	int32_t prio;		/* lower ranks first */
	uint8_t action;		/* enum rs_action, never NONE */
	bool shadow;		/* counted, never acts */
	uint16_t code;		/* REJECT: 400..699 */
	const char *reason;	/* REJECT: reason phrase, NUL-terminated; NULL
				 * for the code's standard phrase */
	uint32_t ban_s;		/* BAN: seconds, 1 .. 86400*30 */
	const char *msg;	/* free text for operators, or NULL */
	const struct rs_cond *cond;
	uint32_t n_cond;	/* at least 1 */
	struct rs_loc loc;	/* where the rule starts */
};

/* A parsed ruleset. Everything it points to is owned by it. */
struct rs_ast {
	const struct rs_rule *rules; /* in source (include) order */
	uint32_t n_rules;
	uint64_t src_bytes;	/* bytes of every file read */
	uint32_t n_files;
	const char *const *files; /* each file read, in the order first read */
};

struct rs_parse_opts {
	uint64_t max_bytes;	/* all files together; 0: RS_DEF_MAX_BYTES */
	uint32_t max_rules;	/* 0: RS_DEF_MAX_RULES */
	unsigned max_depth;	/* include nesting; 0: RS_DEF_MAX_DEPTH */
};

#define RS_DEF_MAX_BYTES (16u << 20)
#define RS_DEF_MAX_RULES 100000u
#define RS_DEF_MAX_DEPTH 8u

/* rs_parse_file - reads path and the files it includes (relative to the
 * including file's directory) and parses them.
 * Refuses: unreadable files, include cycles or depth, limits, and every
 *   syntax or semantic error (unknown field, wrong operator for the field's
 *   kind, bad CIDR or number, duplicate id, missing action or condition...),
 *   each in diag; regexes are only checked by rs_compile.
 * Returns 0 with *out set (free with rs_ast_free), or -EINVAL (diag says
 *   why), -ENOMEM, -EFBIG (a limit; in diag). Any thread. */
int rs_parse_file(const char *path, const struct rs_parse_opts *opts, struct rs_ast **out,
		  struct rs_diag *diag);

/* The same on text in memory; name is what diagnostics call it; an include
 * is resolved relative to dir (NULL: the current directory). */
int rs_parse_buf(const char *name, const char *dir, const char *buf, size_t len,
		 const struct rs_parse_opts *opts, struct rs_ast **out, struct rs_diag *diag);

void rs_ast_free(struct rs_ast *ast);

/* ---- the compiler: AST to blob (rs_compile.c) ---- */

/* The Hyperscan platform to compile for (what a dataplane reports in its
 * hello); NULL: this host's. */
struct rs_platform {
	uint64_t cpu_features; /* HS_CPU_FEATURES_* */
	unsigned tune;	       /* HS_TUNE_FAMILY_* */
};

struct rs_compile_stats {
	uint32_t n_rules, n_conds, n_patterns, n_dbs;
	uint64_t blob_bytes;	/* serialized size */
	uint64_t db_bytes;	/* Hyperscan databases in memory, all fields */
	uint64_t scratch_bytes; /* one scratch for all of them */
	uint64_t compile_ns;	/* wall clock */
};

/* rs_compile - one Hyperscan database per field the rules name (literal and
 * regex conditions alike), the other conditions in tables, all serialized.
 * Refuses: a pattern Hyperscan rejects (diag names the condition's
 *   pat_loc and quotes Hyperscan's message), a platform it cannot target.
 * Returns 0 with *blob (malloc'd, caller frees) and *len, stats filled when
 *   st is not NULL; -EINVAL (diag), -ENOMEM. Any thread. */
int rs_compile(const struct rs_ast *ast, const struct rs_platform *target, void **blob,
	       size_t *len, struct rs_diag *diag, struct rs_compile_stats *st);

/* The platform of this host, as rs_compile would target it. */
int rs_platform_host(struct rs_platform *p);

/* ---- the evaluator (rs_set.c, rs_eval.c) ---- */

struct rs_set;
struct rs_scratch;

/* rs_set_load - takes a blob: checks its header (magic, format version,
 * length, checksum), that Hyperscan here is the version that compiled it
 * and that this CPU has the features it was compiled for, then
 * deserializes every database.
 * Returns 0 with *out (free with rs_set_free), or -EINVAL / -ENOTSUP
 *   (err says why: "compiled by Hyperscan 5.2.1, this is 5.4.0",
 *   "compiled for AVX-512, this CPU lacks it", ...), -ENOMEM.
 * The blob may be freed once it returns. Any thread. */
int rs_set_load(const void *blob, size_t len, struct rs_set **out, char *err, size_t errlen);
void rs_set_free(struct rs_set *s);

/* rs_scratch_alloc - scratch big enough for set s. With *sc not NULL, the
 * scratch is grown in place when needed (Hyperscan's rule: not while
 * another thread scans with it). Returns 0 or -ENOMEM. */
int rs_scratch_alloc(const struct rs_set *s, struct rs_scratch **sc);
void rs_scratch_free(struct rs_scratch *sc);

/* What the set says about itself (for counters, `rules list`, explain). */
struct rs_rule_info {
	uint32_t id;
	int32_t prio;
	uint8_t action;	 /* enum rs_action */
	bool shadow;
	uint16_t code;
	uint32_t ban_s;
	const char *reason; /* NUL-terminated, or NULL */
	const char *msg;    /* NUL-terminated, or NULL */
};

uint32_t rs_set_n_rules(const struct rs_set *s);
/* Rule i (0 .. n_rules-1, in rank order: the order hits[] uses). */
void rs_set_rule(const struct rs_set *s, uint32_t i, struct rs_rule_info *out);
/* Index of the rule with this id, or -1. */
int64_t rs_set_find(const struct rs_set *s, uint32_t id);

/* An address as the dataplane keeps it (same layout as struct dp_addr). */
struct rs_addr {
	uint8_t af; /* 4 or 6 */
	uint8_t a[16];
	uint16_t port;
};

struct rs_verdict {
	uint8_t action;		/* enum rs_action: NONE, ALLOW, DROP, REJECT, BAN */
	uint32_t rule;		/* rank index of the deciding rule */
	uint16_t code;		/* REJECT */
	uint32_t ban_s;		/* BAN */
	struct sip_str reason;	/* REJECT: p NULL for the standard phrase;
				 * points into the set */
};

/* rs_eval - runs set s on one parsed request m that came from src to dst.
 * Every rule that is counted (the deciding one, the count rules ranked
 * ahead of it that hold, the shadow rules that hold) gets hits[rank]++;
 * hits has rs_set_n_rules(s) entries, or is NULL.
 * A whole ruleset in shadow mode is a second set that the caller runs
 * beside the live one and whose verdict it only counts: the set itself
 * does not know (the dataplane's shadow slot, `rules load --shadow`).
 * Returns 0, or -EIO when Hyperscan failed (v->action NONE: the caller
 * counts it and lets the message through: fail open, documented).
 * Cost grows with the fields the set scans and the conditions that match,
 * not with the number of rules. No allocation, no syscall. One thread per
 * scratch. */
int rs_eval(const struct rs_set *s, struct rs_scratch *sc, const struct sip_msg *m,
	    const struct rs_addr *src, const struct rs_addr *dst, uint64_t *hits,
	    struct rs_verdict *v);

/* rs_verdict.rule when no rule decided (action NONE). */
#define RS_RULE_NONE UINT32_MAX

/* rs_eval_match - the same verdict as rs_eval, and every rule of s that
 * holds for m (live, count and shadow alike, wherever the walk would have
 * stopped), in rank order into ranks[0 .. max): for explain and tests.
 * hits are not counted. Returns how many rules hold (only the first max are
 * written), or -EIO as rs_eval. Sorts what holds: for control paths, not
 * the dataplane. */
int rs_eval_match(const struct rs_set *s, struct rs_scratch *sc, const struct sip_msg *m,
		  const struct rs_addr *src, const struct rs_addr *dst, uint32_t *ranks,
		  uint32_t max, struct rs_verdict *v);

#ifdef __cplusplus
}
#endif
#endif /* SIPEDGE_RS_H */
