/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_rs.h - one ruleset made of several rule files, parsed the same way
 * by sipedge-control (rules load, check) and sipedgectl (rules check,
 * offline): every file parsed (so that one run names every error), their
 * rules merged in file order, ids checked across the files, diagnostics
 * collected as "file:line:col: msg" strings (ctl_rs_parse.c).
 *
 * Pure: no event loop, no JSON; any thread (the daemon calls it from its
 * rules job thread).
 */
#ifndef SIPEDGE_CTL_RS_H
#define SIPEDGE_CTL_RS_H

#include "rs.h"

/* A parse of one ruleset: each top file's AST and the rules of all of
 * them in one AST, in file order (what the compiler takes). */
struct ctl_rs_src {
	struct rs_ast **asts;
	unsigned nasts;
	struct rs_rule *rules; /* copies; they point into asts */
	const char **files;    /* every file read, once (all.files) */
	struct rs_ast all;
};

/* Diagnostics, in the order found; past RS_DIAG_MAX only counted. */
struct ctl_rs_diags {
	char **v;
	unsigned n, more;
};

void ctl_rs_diags_add(struct ctl_rs_diags *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The library's diagnostics; a file name starting with root is shown
 * without it (root "" or NULL: as is). */
void ctl_rs_diags_take(struct ctl_rs_diags *d, const struct rs_diag *rd, const char *root);
void ctl_rs_diags_free(struct ctl_rs_diags *d);

/* file without the root prefix. */
const char *ctl_rs_strip(const char *root, const char *file);

/* dir/rel into out (n bytes), for a rule file named relative to dir. dir
 * must have no symbolic link in it (realpath's or getcwd's), so that each
 * leading "../" of rel drops a component of it exactly; "./" and empty
 * components go too. Only the leading ".." are folded: in "a/../b" the
 * name a could be a link, and what the operator wrote is kept as written.
 * So ../../rules/x.rules reads, and shows, as /.../rules/x.rules. */
void ctl_rs_path_join(char *out, size_t n, const char *dir, const char *rel);

/* ctl_rs_parse - parses each of paths (opts->max_bytes bounds all of them
 * together), merges their rules and refuses an id given twice across
 * them. Returns 0 with *out (free with ctl_rs_src_free), or -EINVAL /
 * -EFBIG / -ENOMEM with diagnostics in d (names shown without root). */
int ctl_rs_parse(char **paths, unsigned npaths, const char *root,
		 const struct rs_parse_opts *opts, struct ctl_rs_diags *d,
		 struct ctl_rs_src **out);
void ctl_rs_src_free(struct ctl_rs_src *s);

#endif /* SIPEDGE_CTL_RS_H */
