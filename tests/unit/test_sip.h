/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_sip.h - what the two files of the sip-unit program share: the
 * building blocks of test messages and the parse helper.
 */
#ifndef SIPEDGE_TESTS_TEST_SIP_H
#define SIPEDGE_TESTS_TEST_SIP_H

#include "check.h"

/* The five headers RFC 3261 8.1.1 makes mandatory (Max-Forwards aside,
 * which the parser does not require), for an INVITE. */
#define H_VIA	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-t1\r\n"
#define H_FROM	"From: <sip:alice@example.org>;tag=f1\r\n"
#define H_TO	"To: <sip:bob@example.com>\r\n"
#define H_CID	"Call-ID: call-1@192.0.2.1\r\n"
#define H_CSEQ	"CSeq: 1 INVITE\r\n"
#define H_MAND	H_VIA H_FROM H_TO H_CID H_CSEQ
#define RLINE	"INVITE sip:bob@example.com SIP/2.0\r\n"
#define SLINE	"SIP/2.0 200 OK\r\n"
/* A request / response with extra header lines (each ending in CRLF). */
#define REQ(extra)  RLINE H_MAND extra "\r\n"
#define RESP(extra) SLINE H_MAND extra "\r\n"

/* sip_parse() on a heap copy of exactly len bytes, so that ASan sees a read
 * past the end. The copy lives until the next call (m's slices point into
 * it); parse_release() frees it. */
int parse_copy(const char *s, uint32_t len, const struct sip_limits *lim,
	       unsigned opts, struct sip_msg *m);
void parse_release(void);

/* A slice check where "" means "empty, however represented" and NULL means
 * absent (p == NULL). */
#define CHECK_OPT_STR(got, want)                                   \
	do {                                                       \
		const char *ow_ = (want);                          \
		if (ow_ != NULL && ow_[0] == '\0')                 \
			CHECK_INT((got).len, 0);                   \
		else                                               \
			CHECK_STR(got, ow_);                       \
	} while (0)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void test_framing(void);
void test_fields(void);
void test_review(void);

#endif /* SIPEDGE_TESTS_TEST_SIP_H */
