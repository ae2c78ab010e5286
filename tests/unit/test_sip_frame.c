/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_sip_frame.c - sip_parse() at its edges: the limits exactly at and one
 * over, stream framing, every prefix of a datagram, control bytes at every
 * offset (and so at every SIMD lane and block boundary), reuse of one
 * sip_msg, and single-byte mutations. Inputs live in exact-size heap blocks
 * (parse_copy), so reads past the datagram are caught by ASan and valgrind.
 */
#include <stdlib.h>

#include "test_sip.h"

static struct sip_msg msg;

/* ---- limits ---- */

/* Writes a request of exactly total bytes (a body fills it up) with extra
 * header lines. Returns the length, or -1 if it cannot be done. */
static int build_sized(char *buf, size_t cap, const char *extra, uint32_t total)
{
	for (uint32_t digits = 1; digits < 7; digits++) {
		int hl = snprintf(buf, cap, RLINE H_MAND "%sContent-Length: %0*u\r\n\r\n", extra,
				  (int)digits, 0u);
		if (hl < 0 || (uint32_t)hl > total)
			return -1;
		uint32_t body = total - (uint32_t)hl;
		char num[16];
		if ((uint32_t)snprintf(num, sizeof(num), "%u", body) != digits)
			continue;
		if (total > cap)
			return -1;
		snprintf(buf, cap, RLINE H_MAND "%sContent-Length: %u\r\n\r\n", extra, body);
		memset(buf + hl, 'b', body);
		return (int)total;
	}
	return -1;
}

/* A request whose header count is exactly n (n >= 5), folded continuation
 * lines not counting as headers. */
static int build_headers(char *buf, size_t cap, unsigned n)
{
	int len = snprintf(buf, cap, RLINE H_MAND);
	for (unsigned i = 5; i < n; i++)
		len += snprintf(buf + len, cap - (size_t)len, "X-H%u: %u\r\n folded\r\n", i, i);
	len += snprintf(buf + len, cap - (size_t)len, "\r\n");
	return len;
}

/* A request with one header line of exactly n bytes of text, not counting
 * its line ending (eol), or a start line of n bytes when start is set. */
static int build_line(char *buf, size_t cap, uint32_t n, const char *eol, bool start)
{
	int len;

	if (start) {
		/* "OPTIONS sip:" + user + "@example.com SIP/2.0" */
		uint32_t fixed = (uint32_t)strlen("OPTIONS sip:@example.com SIP/2.0");
		len = snprintf(buf, cap, "OPTIONS sip:");
		memset(buf + len, 'u', n - fixed);
		len += (int)(n - fixed);
		len += snprintf(buf + len, cap - (size_t)len, "@example.com SIP/2.0%s", eol);
		len += snprintf(buf + len, cap - (size_t)len,
				"Via: SIP/2.0/UDP h;branch=z9hG4bKl%sFrom: <sip:a@b>;tag=1%s"
				"To: <sip:c@d>%sCall-ID: l%sCSeq: 1 OPTIONS%s%s",
				eol, eol, eol, eol, eol, eol);
		return len;
	}
	len = snprintf(buf, cap, "OPTIONS sip:a@example.com SIP/2.0%s"
		       "Via: SIP/2.0/UDP h;branch=z9hG4bKl%sFrom: <sip:a@b>;tag=1%s"
		       "To: <sip:c@d>%sCall-ID: l%sCSeq: 1 OPTIONS%sX-Line: ",
		       eol, eol, eol, eol, eol, eol);
	memset(buf + len, 'x', n - strlen("X-Line: "));
	len += (int)(n - strlen("X-Line: "));
	/* A folded line of the same length after it: counted apart. */
	len += snprintf(buf + len, cap - (size_t)len, "%s ", eol);
	memset(buf + len, 'y', n - 1);
	len += (int)(n - 1);
	len += snprintf(buf + len, cap - (size_t)len, "%s%s", eol, eol);
	return len;
}

static void test_limits(void)
{
	static char buf[70000];
	struct sip_limits lim;
	int len, r;

	static const struct {
		const char *name;
		uint32_t max_msg, size;
		int want;
	} sizes[] = {
		{"max_msg default, exactly", 0, SIP_DEF_MAX_MSG, 0},
		{"max_msg default, one over", 0, SIP_DEF_MAX_MSG + 1, SIP_ERR_TOO_LARGE},
		{"max_msg 400, exactly", 400, 400, 0},
		{"max_msg 400, one over", 400, 401, SIP_ERR_TOO_LARGE},
		{"max_msg above the hard cap, at the cap", 100000, SIP_MSG_MAX_HARD, 0},
		{"max_msg above the hard cap, one over", 100000, SIP_MSG_MAX_HARD + 1,
		 SIP_ERR_TOO_LARGE},
	};
	for (unsigned i = 0; i < NELEM(sizes); i++) {
		check_ctx = sizes[i].name;
		sip_limits_default(&lim);
		if (sizes[i].max_msg)
			lim.max_msg = sizes[i].max_msg;
		len = build_sized(buf, sizeof(buf), "", sizes[i].size);
		CHECK_INT(len, sizes[i].size);
		r = parse_copy(buf, (uint32_t)len, sizes[i].max_msg ? &lim : NULL, 0, &msg);
		CHECK_INT(r, sizes[i].want ? -sizes[i].want : len);
		/* The same on a stream, where more bytes follow the message. */
		memcpy(buf + len, "OPTIONS ", 8);
		r = parse_copy(buf, (uint32_t)len + 8, sizes[i].max_msg ? &lim : NULL,
			       SIP_PARSE_STREAM, &msg);
		CHECK_INT(r, sizes[i].want ? -sizes[i].want : len);
	}

	static const struct {
		const char *name;
		uint16_t max_hdrs;
		unsigned n;
		int want;
	} counts[] = {
		{"max_hdrs default, exactly", 0, SIP_DEF_MAX_HDRS, 0},
		{"max_hdrs default, one over", 0, SIP_DEF_MAX_HDRS + 1, SIP_ERR_TOO_MANY_HEADERS},
		{"max_hdrs 8, exactly", 8, 8, 0},
		{"max_hdrs 8, one over", 8, 9, SIP_ERR_TOO_MANY_HEADERS},
		{"max_hdrs above the hard cap, at the cap", 1000, SIP_HDRS_MAX_HARD, 0},
		{"max_hdrs above the hard cap, one over", 1000, SIP_HDRS_MAX_HARD + 1,
		 SIP_ERR_TOO_MANY_HEADERS},
	};
	for (unsigned i = 0; i < NELEM(counts); i++) {
		check_ctx = counts[i].name;
		sip_limits_default(&lim);
		lim.max_msg = SIP_MSG_MAX_HARD;
		if (counts[i].max_hdrs)
			lim.max_hdrs = counts[i].max_hdrs;
		len = build_headers(buf, sizeof(buf), counts[i].n);
		r = parse_copy(buf, (uint32_t)len, &lim, 0, &msg);
		CHECK_INT(r, counts[i].want ? -counts[i].want : len);
		if (r > 0)
			CHECK_INT(msg.nhdrs, counts[i].n);
	}
	/* SIP_MSG_COMPACT is for the headers indexed: not for a compact one
	 * that is one too many, but still for one before it. */
	static const struct {
		const char *name, *text;
		uint32_t flag;
	} compact_over[] = {
		{"compact header one over", RLINE H_MAND "v: SIP/2.0/UDP h\r\n\r\n", 0},
		{"compact header one over, another one", RLINE H_MAND "y: x\r\n\r\n", 0},
		{"one-letter header one over, not a compact form", RLINE H_MAND "q: x\r\n\r\n", 0},
		{"compact header one over, a compact one before",
		 RLINE H_VIA H_FROM H_TO "i: x\r\n" H_CSEQ "v: SIP/2.0/UDP h\r\n\r\n",
		 SIP_MSG_COMPACT},
	};
	for (unsigned i = 0; i < NELEM(compact_over); i++) {
		check_ctx = compact_over[i].name;
		sip_limits_default(&lim);
		lim.max_hdrs = 5;
		len = (int)strlen(compact_over[i].text);
		r = parse_copy(compact_over[i].text, (uint32_t)len, &lim, 0, &msg);
		CHECK_INT(r, -SIP_ERR_TOO_MANY_HEADERS);
		CHECK_INT(msg.flags & SIP_MSG_COMPACT, compact_over[i].flag);
	}

	/* The index keeps a name's length in 8 bits: the longest it can hold
	 * must work, all the way to sip_hdr_find(). */
	check_ctx = "header name of 255 bytes";
	char name[256];
	memset(name, 'N', 255);
	name[255] = '\0';
	len = snprintf(buf, sizeof(buf), REQ("%s: v\r\n"), name);
	r = parse_copy(buf, (uint32_t)len, NULL, 0, &msg);
	CHECK_INT(r, len);
	if (r > 0) {
		CHECK_INT(msg.hdrs[5].name_len, 255);
		CHECK_INT(sip_hdr_find(&msg, name, 255), 5);
	}

	static const struct {
		const char *name;
		uint16_t max_line;
		uint32_t n;
		const char *eol;
		bool start;
		int want;
	} lines[] = {
		{"max_line default, exactly, CRLF", 0, SIP_DEF_MAX_LINE, "\r\n", false, 0},
		{"max_line default, one over, CRLF", 0, SIP_DEF_MAX_LINE + 1, "\r\n", false,
		 SIP_ERR_LINE_TOO_LONG},
		{"max_line default, exactly, LF", 0, SIP_DEF_MAX_LINE, "\n", false, 0},
		{"max_line default, one over, LF", 0, SIP_DEF_MAX_LINE + 1, "\n", false,
		 SIP_ERR_LINE_TOO_LONG},
		{"max_line 100, exactly, CRLF", 100, 100, "\r\n", false, 0},
		{"max_line 100, one over, CRLF", 100, 101, "\r\n", false, SIP_ERR_LINE_TOO_LONG},
		{"max_line 100, exactly, LF", 100, 100, "\n", false, 0},
		{"max_line 100, one over, LF", 100, 101, "\n", false, SIP_ERR_LINE_TOO_LONG},
		{"max_line 100, start line exactly", 100, 100, "\r\n", true, 0},
		{"max_line 100, start line one over", 100, 101, "\r\n", true, SIP_ERR_LINE_TOO_LONG},
	};
	for (unsigned i = 0; i < NELEM(lines); i++) {
		check_ctx = lines[i].name;
		sip_limits_default(&lim);
		if (lines[i].max_line)
			lim.max_line = lines[i].max_line;
		len = build_line(buf, sizeof(buf), lines[i].n, lines[i].eol, lines[i].start);
		r = parse_copy(buf, (uint32_t)len, &lim, 0, &msg);
		CHECK_INT(r, lines[i].want ? -lines[i].want : len);
	}

	/* A forbidden byte in a header line of n bytes (max_line 100): refused
	 * at that byte when the line fits, as too long at byte 100 when it does
	 * not, wherever the byte is. */
	static const struct {
		const char *name;
		uint32_t n, at;
		const char *eol;
		int want;
	} bad_in_line[] = {
		{"SOH in a line of exactly max_line", 100, 50, "\r\n", SIP_ERR_BAD_CHAR},
		{"SOH ending a line of exactly max_line", 100, 99, "\r\n", SIP_ERR_BAD_CHAR},
		{"SOH ending a line of exactly max_line, LF", 100, 99, "\n", SIP_ERR_BAD_CHAR},
		{"SOH in a line one over max_line", 101, 50, "\r\n", SIP_ERR_LINE_TOO_LONG},
		{"SOH in a line one over max_line, LF", 101, 50, "\n", SIP_ERR_LINE_TOO_LONG},
		{"SOH past max_line", 130, 110, "\r\n", SIP_ERR_LINE_TOO_LONG},
	};
	for (unsigned i = 0; i < NELEM(bad_in_line); i++) {
		check_ctx = bad_in_line[i].name;
		sip_limits_default(&lim);
		lim.max_line = 100;
		len = build_line(buf, sizeof(buf), bad_in_line[i].n, bad_in_line[i].eol, false);
		uint32_t line = (uint32_t)(strstr(buf, "X-Line: ") - buf);
		buf[line + bad_in_line[i].at] = '\x01';
		r = parse_copy(buf, (uint32_t)len, &lim, 0, &msg);
		CHECK_INT(r, -bad_in_line[i].want);
		CHECK_INT(msg.err_off, line + (bad_in_line[i].want == SIP_ERR_BAD_CHAR ?
					       bad_in_line[i].at : 100));
	}
}

/* ---- framing: streams and every prefix ---- */

static const char *const framed[] = {
	REQ("Content-Length: 0\r\n"),
	REQ("Content-Length: 5\r\n") "hello",
	RESP("Content-Type: text/plain\r\nContent-Length: 11\r\n") "a\r\n\r\nb\r\n\r\nc",
	"SIP/2.0 100 Trying\n" H_MAND "l: 3\n\nxyz",
	REQ("Subject: folded\r\n over\r\nContent-Length: 1\r\n") "!",
};

static void test_stream(void)
{
	static char buf[4096];

	for (unsigned i = 0; i < NELEM(framed); i++) {
		const char *m = framed[i];
		uint32_t len = (uint32_t)strlen(m);
		char name[64];

		snprintf(name, sizeof(name), "stream message %u", i);
		check_ctx = name;
		/* Every proper prefix, the empty one included, needs more. */
		unsigned bad = 0;
		for (uint32_t k = 0; k < len; k++) {
			int r = parse_copy(m, k, NULL, SIP_PARSE_STREAM, &msg);
			if (r != 0) {
				if (bad++ < 3)
					fprintf(stderr, "    prefix %u of %u: %d %s\n", k, len, r,
						r < 0 ? sip_err_name(r) : "");
			}
		}
		CHECK_INT(bad, 0);
		CHECK_INT(parse_copy(m, len, NULL, SIP_PARSE_STREAM, &msg), len);
		/* The next message's first bytes are not this one's business. */
		int n = snprintf(buf, sizeof(buf), "%sOPTIONS sip:x SIP/2.0\r\n", m);
		CHECK_INT(parse_copy(buf, (uint32_t)n, NULL, SIP_PARSE_STREAM, &msg), len);
		CHECK_INT(msg.len, len);
		CHECK(!(msg.flags & SIP_MSG_BODY_TRIMMED));
		CHECK_INT(msg.body.len + msg.hdr_len, len);
		/* Keep-alive CRLFs before it are consumed with it (RFC 5626 3.5.1). */
		n = snprintf(buf, sizeof(buf), "\r\n\r\n%s", m);
		CHECK_INT(parse_copy(buf, (uint32_t)n, NULL, SIP_PARSE_STREAM, &msg), n);
	}
	check_ctx = "stream of keep-alives only";
	CHECK_INT(parse_copy("\r\n\r\n", 4, NULL, SIP_PARSE_STREAM, &msg), 0);
	check_ctx = "stream without Content-Length";
	CHECK_INT(parse_copy(REQ(""), sizeof(REQ("")) - 1, NULL, SIP_PARSE_STREAM, &msg),
		  -SIP_ERR_BAD_CONTENT_LENGTH);
	check_ctx = "stream with a bad header before the end";
	CHECK_INT(parse_copy(RLINE "Bad Header\r\nVia", sizeof(RLINE "Bad Header\r\nVia") - 1, NULL,
			     SIP_PARSE_STREAM, &msg), -SIP_ERR_BAD_HEADER_NAME);
}

/* A control byte at every offset of a header section, so that it falls on
 * every lane and both sides of every block boundary of the SIMD scanner:
 * the error is BAD_CHAR, reported at that very byte. */
static void test_bad_char_positions(void)
{
	static const char m[] =
		"MESSAGE sip:someone.with.a.long.name@subdomain.example.com SIP/2.0\r\n"
		H_VIA "From: \"A rather long display name\" <sip:alice@example.org>;tag=f1\r\n"
		H_TO H_CID "CSeq: 1 MESSAGE\r\nSubject: pad pad pad pad pad pad pad pad pad\r\n"
		"Content-Length: 2\r\n\r\nok";
	static const char bytes[] = {'\0', '\x01', '\x08', '\x0b', '\x1f', '\r', '\x7f'};
	static char buf[sizeof(m)];
	const uint32_t len = sizeof(m) - 1, hdr_end = len - 2;
	unsigned bad = 0;

	check_ctx = "control byte at every offset";
	CHECK_INT(parse_copy(m, len, NULL, 0, &msg), len);
	for (unsigned b = 0; b < sizeof(bytes); b++) {
		for (uint32_t k = 0; k < hdr_end; k++) {
			if (m[k] == '\r' || m[k] == '\n')
				continue;
			memcpy(buf, m, len);
			buf[k] = bytes[b];
			int r = parse_copy(buf, len, NULL, 0, &msg);
			if (r != -SIP_ERR_BAD_CHAR || msg.err_off != k) {
				if (bad++ < 5)
					fprintf(stderr, "    byte 0x%02x at %u: %d %s at %u\n",
						(unsigned char)bytes[b], k, r,
						r < 0 ? sip_err_name(r) : "", msg.err_off);
			}
		}
	}
	CHECK_INT(bad, 0);
	/* Every byte value (but the line ends) at every offset of a value:
	 * refused at that byte when it is a control other than HT, or DEL;
	 * taken as it is otherwise (SP, HT, printable, 0x80-0xff). */
	check_ctx = "every byte value in a value";
	const uint32_t v0 = (uint32_t)(strstr(m, "pad pad") - m), v1 = v0 + 35;
	for (unsigned v = 0; v < 256; v++) {
		if (v == '\r' || v == '\n')
			continue;
		bool refused = (v < 0x20 && v != '\t') || v == 0x7f;
		for (uint32_t k = v0; k < v1; k++) {
			memcpy(buf, m, len);
			buf[k] = (char)v;
			int r = parse_copy(buf, len, NULL, 0, &msg);
			if (refused ? r != -SIP_ERR_BAD_CHAR || msg.err_off != k : r != (int)len) {
				if (bad++ < 5)
					fprintf(stderr, "    byte 0x%02x at %u: %d %s at %u\n", v, k,
						r, r < 0 ? sip_err_name(r) : "", msg.err_off);
			}
		}
	}
	CHECK_INT(bad, 0);
	/* In the body, the same bytes are nobody's business. */
	for (unsigned b = 0; b < sizeof(bytes); b++) {
		memcpy(buf, m, len);
		buf[len - 1] = bytes[b];
		CHECK_INT(parse_copy(buf, len, NULL, 0, &msg), len);
	}
}

/* One sip_msg parsed again and again, as a worker does: nothing of the
 * previous message may survive into the next. */
static void test_reuse(void)
{
	static const char big[] = REQ("Contact: <sip:a@x.example>\r\nExpires: 60\r\n"
				      "Max-Forwards: 9\r\nv: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
				      "Subject: a\r\n b\r\nContent-Length: 3\r\n") "abcde";
	static const char small[] = RESP("");
	static const char bad[] = REQ("Max-Forwards: 300\r\n");
	struct sip_msg *m = malloc(sizeof(*m));

	check_ctx = "reuse of a sip_msg";
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_INT(sip_parse(big, sizeof(big) - 1, NULL, 0, m), sizeof(big) - 3);
	CHECK_INT(sip_parse(bad, sizeof(bad) - 1, NULL, 0, m), -SIP_ERR_BAD_MAX_FORWARDS);
	CHECK_INT(sip_parse(big, sizeof(big) - 1, NULL, 0, m), sizeof(big) - 3);
	CHECK_INT(sip_parse(small, sizeof(small) - 1, NULL, 0, m), sizeof(small) - 1);
	CHECK_INT(m->err, 0);
	CHECK_INT(m->nhdrs, 5);
	CHECK_INT(m->flags, 0);
	CHECK_INT(m->content_length, -1);
	CHECK_INT(m->max_forwards, -1);
	CHECK_INT(m->expires, -1);
	CHECK_INT(m->status, 200);
	CHECK_INT(m->body.len, 0);
	for (unsigned id = SIP_HDR_CSEQ + 1; id < SIP_HDR__COUNT; id++)
		CHECK_INT(m->first[id], SIP_HDR_NONE);
	CHECK_INT(sip_hdr_next(m, 0), -1);
	free(m);
}

/* A stream must not wait for ever on a message that can never fit. */
static void test_stream_limits(void)
{
	static char buf[2048];
	struct sip_limits lim;
	int n;

	sip_limits_default(&lim);
	lim.max_msg = 300;
	check_ctx = "stream: headers beyond max_msg";
	n = snprintf(buf, sizeof(buf), RLINE "X-Long: ");
	memset(buf + n, 'a', 400);
	CHECK_INT(parse_copy(buf, (uint32_t)n + 400, &lim, SIP_PARSE_STREAM, &msg),
		  -SIP_ERR_TOO_LARGE);
	check_ctx = "stream: body beyond max_msg";
	n = snprintf(buf, sizeof(buf), REQ("Content-Length: 1000\r\n") "0123456789");
	CHECK_INT(parse_copy(buf, (uint32_t)n, &lim, SIP_PARSE_STREAM, &msg), -SIP_ERR_TOO_LARGE);
	check_ctx = "stream: a line beyond max_line";
	sip_limits_default(&lim);
	lim.max_line = 100;
	n = snprintf(buf, sizeof(buf), RLINE "X-Long: ");
	memset(buf + n, 'a', 200);
	CHECK_INT(parse_copy(buf, (uint32_t)n + 200, &lim, SIP_PARSE_STREAM, &msg),
		  -SIP_ERR_LINE_TOO_LONG);
}

/* Checks what a successful parse of len bytes says about itself. */
static void check_sane(int r, uint32_t len)
{
	CHECK(r <= (int)len);
	CHECK_INT(msg.len, r);
	CHECK(msg.hdr_len <= msg.len);
	CHECK(msg.body.p == msg.buf + msg.hdr_len);
	CHECK_INT(msg.body.len + msg.hdr_len, msg.len);
	CHECK(msg.nhdrs <= SIP_HDRS_MAX_HARD);
	for (unsigned i = 0; i < msg.nhdrs && i < SIP_HDRS_MAX_HARD; i++) {
		CHECK(msg.hdrs[i].name_off + msg.hdrs[i].name_len <= msg.hdr_len);
		CHECK(msg.hdrs[i].value_off + msg.hdrs[i].value_len <= msg.hdr_len);
	}
}

/* Every proper prefix of a datagram: an error, or (with no Content-Length
 * to say otherwise) the whole prefix as a message; never a length that
 * runs past it, never a crash. */
static void test_prefixes(void)
{
	static const char *const no_cl[] = {
		REQ(""),
		REQ("") "a body without length",
		RESP("Subject: x\r\n y\r\n"),
	};

	for (unsigned i = 0; i < NELEM(framed); i++) {
		const char *m = framed[i];
		uint32_t len = (uint32_t)strlen(m);
		unsigned bad = 0;

		check_ctx = "datagram prefix (with Content-Length)";
		for (uint32_t k = 0; k < len; k++) {
			int r = parse_copy(m, k, NULL, 0, &msg);
			bool ok = r == -SIP_ERR_EMPTY || r == -SIP_ERR_TRUNCATED ||
				  r == -SIP_ERR_BODY_TRUNCATED || r == -SIP_ERR_BAD_CHAR;
			if (!ok && bad++ < 3)
				fprintf(stderr, "    message %u prefix %u: %d %s\n", i, k, r,
					r < 0 ? sip_err_name(r) : "");
			if (r < 0)
				CHECK_INT(msg.err, -r);
		}
		CHECK_INT(bad, 0);
		CHECK_INT(parse_copy(m, len, NULL, 0, &msg), len);
	}
	for (unsigned i = 0; i < NELEM(no_cl); i++) {
		const char *m = no_cl[i];
		uint32_t len = (uint32_t)strlen(m);

		check_ctx = "datagram prefix (no Content-Length)";
		for (uint32_t k = 0; k <= len; k++) {
			int r = parse_copy(m, k, NULL, 0, &msg);
			if (r > 0) {
				CHECK_INT(r, k);
				check_sane(r, k);
			} else {
				CHECK(r < 0);
			}
		}
	}
}

/* Every byte of a few messages replaced by each of a few troublemakers:
 * whatever comes back must describe bytes inside the datagram, and the
 * on-demand parsers must survive every value of what parsed. */
static void test_mutations(void)
{
	static const char *const seeds[] = {
		REQ("Contact: \"A, b\" <sip:a@[2001:db8::1]:5060;transport=tcp>;q=0.5, *\r\n"
		    "Content-Type: application/sdp\r\nContent-Length: 4\r\n") "v=0\n",
		"SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP [::1]:5060;rport=1;received=::1,\r\n"
		" SIP/2.0/TCP h;branch=z9hG4bKx;ttl=3;maddr=1.2.3.4\r\n"
		"f: <tel:+1555>;tag=a\r\nt: b <sips:u:p@h?x=y>\r\ni: x\r\nCSeq: 9 X\r\nl: 0\r\n\r\n",
	};
	static const char subst[] = {'\0', '\r', '\n', ' ', ':', ',', ';', '<', '>', '"', '\\',
				     '[', ']', '%', '@', '=', '\xff'};
	static char buf[1024];
	unsigned vias_seen = 0;

	check_ctx = "mutations";
	for (unsigned s = 0; s < NELEM(seeds); s++) {
		uint32_t len = (uint32_t)strlen(seeds[s]);
		for (uint32_t at = 0; at < len; at++) {
			for (unsigned k = 0; k < sizeof(subst); k++) {
				memcpy(buf, seeds[s], len);
				buf[at] = subst[k];
				int r = parse_copy(buf, len, NULL, 0, &msg);
				if (r <= 0) {
					CHECK(r < 0);
					CHECK(msg.err_off <= len);
					continue;
				}
				check_sane(r, len);
				struct sip_iter it;
				struct sip_via v;
				struct sip_str val;
				struct sip_nameaddr na;
				struct sip_uri u;
				sip_iter_init(&it);
				while (sip_via_next(&msg, &it, &v) == 1)
					vias_seen++;
				static const enum sip_hdr_id ids[] = {SIP_HDR_CONTACT, SIP_HDR_FROM,
								      SIP_HDR_TO};
				for (unsigned j = 0; j < NELEM(ids); j++) {
					sip_iter_init(&it);
					while (sip_value_next(&msg, ids[j], &it, &val) == 1)
						if (sip_parse_nameaddr(val.p, val.len, &na) > 0 &&
						    !na.star)
							(void)sip_parse_uri(na.uri.p, na.uri.len, &u);
				}
				if (msg.flags & SIP_MSG_REQUEST)
					(void)sip_parse_uri(msg.ruri.p, msg.ruri.len, &u);
			}
		}
	}
	CHECK(vias_seen > 0);
}

void test_framing(void)
{
	test_limits();
	test_stream();
	test_stream_limits();
	test_reuse();
	test_bad_char_positions();
	test_prefixes();
	test_mutations();
}
