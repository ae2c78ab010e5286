/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * check.h - the tiny test harness of the unit tests.
 *
 * Header-only on purpose: each test program is one file plus this, so a
 * failing test can be rebuilt and run by hand with one compiler line. Every
 * CHECK counts a pass or a failure; a failure prints file:line, the
 * expression and the case it belongs to (check_ctx), and the test goes on so
 * that one run shows every failure rather than the first. check_summary()
 * prints the "N passed, N failed" line that meson's log is read for and
 * gives the exit status.
 */
#ifndef SIPEDGE_TESTS_CHECK_H
#define SIPEDGE_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sip.h"

/* One file of each test program defines CHECK_MAIN before including this,
 * so that a program split over several files counts in one place. */
#ifdef CHECK_MAIN
unsigned check_pass;
unsigned check_fail;
const char *check_ctx = "";
#else
extern unsigned check_pass;
extern unsigned check_fail;
#endif
/* The case being checked, printed with each failure: a table row's name. */
extern const char *check_ctx;

static inline void check_report(const char *file, int line, const char *what)
{
	check_fail++;
	fprintf(stderr, "%s:%d: FAIL [%s] %s\n", file, line, check_ctx, what);
}

#define CHECK(cond)                                                    \
	do {                                                           \
		if (cond)                                              \
			check_pass++;                                  \
		else                                                   \
			check_report(__FILE__, __LINE__, #cond);       \
	} while (0)

/* Integers compared as int64_t so that signed and unsigned fields of any
 * width print their real values on failure. */
#define CHECK_INT(got, want)                                                \
	do {                                                                \
		int64_t got_ = (int64_t)(got), want_ = (int64_t)(want);     \
		if (got_ == want_) {                                        \
			check_pass++;                                       \
		} else {                                                    \
			char b_[160];                                       \
			snprintf(b_, sizeof(b_),                            \
				 "%s == %" PRId64 ", want %" PRId64, #got,  \
				 got_, want_);                              \
			check_report(__FILE__, __LINE__, b_);               \
		}                                                           \
	} while (0)

/* A slice against a C string; want == NULL means "absent" (p == NULL). */
static inline int check_str_eq(struct sip_str s, const char *want)
{
	if (want == NULL)
		return s.p == NULL && s.len == 0;
	return s.p != NULL && s.len == strlen(want) &&
	       memcmp(s.p, want, s.len) == 0;
}

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		struct sip_str g_ = (got);                                   \
		const char *w_ = (want);                                     \
		if (check_str_eq(g_, w_)) {                                  \
			check_pass++;                                        \
		} else {                                                     \
			char b_[512];                                        \
			snprintf(b_, sizeof(b_), "%s == %s\"%.*s\", want %s%s%s", \
				 #got, g_.p ? "" : "(null)",                 \
				 (int)(g_.len > 200 ? 200 : g_.len),         \
				 g_.p ? g_.p : "", w_ ? "\"" : "",           \
				 w_ ? w_ : "(null)", w_ ? "\"" : "");        \
			check_report(__FILE__, __LINE__, b_);                \
		}                                                            \
	} while (0)

/* Returns the process exit status: 0 only when nothing failed and something
 * was checked at all (a harness that ran no check proves nothing). */
static inline int check_summary(void)
{
	printf("%u passed, %u failed\n", check_pass, check_fail);
	return check_fail == 0 && check_pass > 0 ? 0 : 1;
}

#endif /* SIPEDGE_TESTS_CHECK_H */
