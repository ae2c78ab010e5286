/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_corpus.c - run sip_parse() over the sample corpus.
 *
 *   test_corpus tests/corpus/manifest.tsv
 *
 * Every manifest row names a file and what sip_parse() must say about it
 * (see tests/corpus/gen_corpus.py for the format). Each file is copied into
 * a heap block of exactly its size, so that ASan and valgrind see any read
 * past the datagram. For every message that must parse, the index is checked
 * against a deliberately slow and simple reference scan written here from
 * RFC 3261 7.3 and sharing no code with the parser: if the two disagree on
 * one header name, value, id or offset, the case fails.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#define CHECK_MAIN
#include "check.h"

#define MAX_REF_HDRS 256

/* ---- the reference scan ---- */

struct ref_hdr {
	uint32_t name_off, name_len;
	uint32_t value_off, value_len;
	unsigned id;
	bool folded;
};

struct ref_msg {
	bool request;
	uint32_t start_end;  /* end of the start line's text (before CR/LF) */
	uint32_t hdr_len;    /* just past the empty line */
	unsigned nhdrs;
	struct ref_hdr hdrs[MAX_REF_HDRS];
};

static const struct {
	const char *name;
	char compact;
} ref_names[SIP_HDR__COUNT] = {
	[SIP_HDR_OTHER] = {"", 0},
#define X(id, name, compact, flags, rfc) [SIP_HDR_##id] = {name, compact},
#include "sip_hdr.def"
#undef X
};

static const char *const ref_methods[SIP_METHOD__COUNT] = {
	[SIP_METHOD_OTHER] = "",
#define X(id, name, rfc) [SIP_METHOD_##id] = name,
#include "sip_method.def"
#undef X
};

static unsigned ref_hdr_id(const char *p, uint32_t len)
{
	for (unsigned id = 1; id < SIP_HDR__COUNT; id++) {
		const char *n = ref_names[id].name;
		if (strlen(n) == len && strncasecmp(n, p, len) == 0)
			return id;
		if (len == 1 && ref_names[id].compact &&
		    tolower((unsigned char)p[0]) == ref_names[id].compact)
			return id;
	}
	return SIP_HDR_OTHER;
}

static unsigned ref_method(const char *p, uint32_t len)
{
	for (unsigned m = 1; m < SIP_METHOD__COUNT; m++)
		if (strlen(ref_methods[m]) == len && memcmp(ref_methods[m], p, len) == 0)
			return m;
	return SIP_METHOD_OTHER;
}

static bool is_sp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_lws_c(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Next line starting at *pos: sets its text [*s, *e) without CR LF and moves
 * *pos past the LF. Returns false when no LF is left. */
static bool ref_line(const char *b, uint32_t len, uint32_t *pos, uint32_t *s, uint32_t *e)
{
	const char *lf = memchr(b + *pos, '\n', len - *pos);

	if (lf == NULL)
		return false;
	*s = *pos;
	*e = (uint32_t)(lf - b);
	if (*e > *s && b[*e - 1] == '\r')
		(*e)--;
	*pos = (uint32_t)(lf - b) + 1;
	return true;
}

/* Splits a message the way RFC 3261 7.3 reads: lines, a continuation line
 * (starting with SP/HT) belongs to the header above, name before the first
 * colon with trailing SP/HT removed, value trimmed of LWS at both ends. Only
 * for messages the corpus says are valid, so it trusts their syntax. */
static bool ref_scan(const char *b, uint32_t len, struct ref_msg *r)
{
	uint32_t pos = 0, s, e;
	uint32_t raw_end[MAX_REF_HDRS];

	memset(r, 0, sizeof(*r));
	if (!ref_line(b, len, &pos, &s, &e))
		return false;
	r->start_end = e;
	r->request = !(e - s >= 4 && strncasecmp(b, "SIP/", 4) == 0);
	for (;;) {
		if (!ref_line(b, len, &pos, &s, &e))
			return false;
		if (s == e)
			break;
		if (is_sp(b[s])) {
			if (r->nhdrs == 0)
				return false;
			raw_end[r->nhdrs - 1] = e;
			r->hdrs[r->nhdrs - 1].folded = true;
			continue;
		}
		if (r->nhdrs == MAX_REF_HDRS)
			return false;
		struct ref_hdr *h = &r->hdrs[r->nhdrs];
		h->name_off = s;
		raw_end[r->nhdrs] = e;
		r->nhdrs++;
	}
	r->hdr_len = pos;
	for (unsigned i = 0; i < r->nhdrs; i++) {
		struct ref_hdr *h = &r->hdrs[i];
		const char *colon = memchr(b + h->name_off, ':', raw_end[i] - h->name_off);
		if (colon == NULL)
			return false;
		uint32_t ne = (uint32_t)(colon - b);
		while (ne > h->name_off && is_sp(b[ne - 1]))
			ne--;
		h->name_len = ne - h->name_off;
		uint32_t vs = (uint32_t)(colon - b) + 1, ve = raw_end[i];
		while (vs < ve && is_lws_c(b[vs]))
			vs++;
		while (ve > vs && is_lws_c(b[ve - 1]))
			ve--;
		h->value_off = vs;
		h->value_len = ve - vs;
		h->id = ref_hdr_id(b + h->name_off, h->name_len);
	}
	return true;
}

static int ref_first(const struct ref_msg *r, unsigned id)
{
	for (unsigned i = 0; i < r->nhdrs; i++)
		if (r->hdrs[i].id == id)
			return (int)i;
	return -1;
}

/* 1*DIGIT as a value; -1 if it is not one. Saturates at limit. */
static int64_t ref_number(const char *p, uint32_t len, int64_t limit)
{
	int64_t v = 0;

	if (len == 0)
		return -1;
	for (uint32_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
		if (v > limit)
			v = limit;
	}
	return v;
}

static struct sip_str ref_value(const char *b, const struct ref_msg *r, int i)
{
	struct sip_str s = {b + r->hdrs[i].value_off, r->hdrs[i].value_len};
	return s;
}

/* ---- the checks of one valid message ---- */

static bool in_msg(const struct sip_msg *m, const char *p, uint32_t len)
{
	return p >= m->buf && p + len <= m->buf + m->hdr_len;
}

static void check_start_line(const char *b, const struct ref_msg *r, const struct sip_msg *m)
{
	const char *sp1 = memchr(b, ' ', r->start_end);

	CHECK(sp1 != NULL);
	if (sp1 == NULL)
		return;
	uint32_t a = (uint32_t)(sp1 - b);
	const char *sp2 = memchr(sp1 + 1, ' ', r->start_end - a - 1);

	CHECK_INT(!!(m->flags & SIP_MSG_REQUEST), r->request);
	if (r->request) {
		CHECK(sp2 != NULL);
		if (sp2 == NULL)
			return;
		uint32_t c = (uint32_t)(sp2 - b);
		struct sip_str ms = {b, a}, ru = {sp1 + 1, c - a - 1},
			       ver = {sp2 + 1, r->start_end - c - 1};
		CHECK(m->method_str.p == ms.p && m->method_str.len == ms.len);
		CHECK(m->ruri.p == ru.p && m->ruri.len == ru.len);
		CHECK(m->version.p == ver.p && m->version.len == ver.len);
		CHECK_INT(m->method, ref_method(b, a));
		return;
	}
	struct sip_str ver = {b, a};
	CHECK(m->version.p == ver.p && m->version.len == ver.len);
	CHECK_INT(m->status, ref_number(sp1 + 1, 3, 999));
	/* The reason phrase is everything after the second SP, maybe nothing. */
	uint32_t rs = a + 5 <= r->start_end ? a + 5 : r->start_end;
	CHECK(m->reason.p == b + rs && m->reason.len == r->start_end - rs);
}

static void check_cached(const char *b, uint32_t len, const struct ref_msg *r,
			 const struct sip_msg *m)
{
	int i = ref_first(r, SIP_HDR_CALL_ID);

	CHECK(i >= 0);
	if (i >= 0) {
		struct sip_str v = ref_value(b, r, i);
		CHECK(m->call_id.p == v.p && m->call_id.len == v.len);
	}

	i = ref_first(r, SIP_HDR_CSEQ);
	if (i >= 0) {
		struct sip_str v = ref_value(b, r, i);
		uint32_t k = 0;
		while (k < v.len && isdigit((unsigned char)v.p[k]))
			k++;
		CHECK_INT(m->cseq, ref_number(v.p, k, INT64_MAX));
		while (k < v.len && is_lws_c(v.p[k]))
			k++;
		CHECK(m->cseq_method_str.p == v.p + k && m->cseq_method_str.len == v.len - k);
		CHECK_INT(m->cseq_method, ref_method(v.p + k, v.len - k));
	}

	i = ref_first(r, SIP_HDR_MAX_FORWARDS);
	CHECK_INT(m->max_forwards, i < 0 ? -1 : ref_number(b + r->hdrs[i].value_off,
							   r->hdrs[i].value_len, 255));
	i = ref_first(r, SIP_HDR_EXPIRES);
	CHECK_INT(m->expires, i < 0 ? -1 : ref_number(b + r->hdrs[i].value_off,
						      r->hdrs[i].value_len, UINT32_MAX));

	/* Framing: RFC 3261 18.3 over UDP. */
	i = ref_first(r, SIP_HDR_CONTENT_LENGTH);
	CHECK_INT(m->hdr_len, r->hdr_len);
	CHECK(m->body.p == b + m->hdr_len);
	CHECK_INT(m->body.len + m->hdr_len, m->len);
	if (i < 0) {
		CHECK_INT(m->content_length, -1);
		CHECK_INT(m->len, len);
		CHECK(!(m->flags & SIP_MSG_BODY_TRIMMED));
	} else {
		int64_t cl = ref_number(b + r->hdrs[i].value_off, r->hdrs[i].value_len, INT32_MAX);
		CHECK_INT(m->content_length, cl);
		CHECK_INT(m->len, r->hdr_len + cl);
		CHECK_INT(!!(m->flags & SIP_MSG_BODY_TRIMMED), r->hdr_len + cl < len);
	}
}

static void check_index(const char *b, const struct ref_msg *r, const struct sip_msg *m)
{
	bool folded = false, compact = false;

	CHECK_INT(m->nhdrs, r->nhdrs);
	for (unsigned i = 0; i < m->nhdrs && i < r->nhdrs; i++) {
		struct sip_str n = sip_hdr_name(m, i), v = sip_hdr_value(m, i);
		const struct ref_hdr *h = &r->hdrs[i];

		CHECK(in_msg(m, n.p, n.len));
		CHECK(in_msg(m, v.p, v.len));
		CHECK(n.p == b + h->name_off && n.len == h->name_len);
		CHECK(v.p == b + h->value_off && v.len == h->value_len);
		CHECK_INT(m->hdrs[i].id, h->id);
		folded |= h->folded;
		compact |= h->name_len == 1 && h->id != SIP_HDR_OTHER;
	}
	CHECK_INT(!!(m->flags & SIP_MSG_FOLDED), folded);
	CHECK_INT(!!(m->flags & SIP_MSG_COMPACT), compact);

	/* first[] and sip_hdr_next() walk the same occurrences as the scan. */
	for (unsigned id = 1; id < SIP_HDR__COUNT; id++) {
		int want = ref_first(r, id);
		CHECK_INT(sip_hdr_first(m, (enum sip_hdr_id)id), want);
		CHECK_INT(m->first[id], want < 0 ? (int)SIP_HDR_NONE : want);
		for (int at = want; at >= 0;) {
			int next = -1;
			for (unsigned j = (unsigned)at + 1; j < r->nhdrs; j++)
				if (r->hdrs[j].id == id) {
					next = (int)j;
					break;
				}
			CHECK_INT(sip_hdr_next(m, at), next);
			at = next;
		}
	}
}

static bool uri_scheme_known(struct sip_str u)
{
	return (u.len >= 4 && strncasecmp(u.p, "sip:", 4) == 0) ||
	       (u.len >= 5 && strncasecmp(u.p, "sips:", 5) == 0) ||
	       (u.len >= 4 && strncasecmp(u.p, "tel:", 4) == 0);
}

/* The on-demand parsers must accept every element of a valid message too. */
static void check_fields(const char *b, const struct ref_msg *r, const struct sip_msg *m)
{
	struct sip_iter it;
	struct sip_via via;
	struct sip_uri uri;
	struct sip_nameaddr na;
	struct sip_str val;
	int n, want = 0, got = 0;

	if (r->request && uri_scheme_known(m->ruri))
		CHECK_INT(sip_parse_uri(m->ruri.p, m->ruri.len, &uri), m->ruri.len);

	/* None of the corpus' Via values holds a quoted comma. */
	for (unsigned i = 0; i < r->nhdrs; i++) {
		if (r->hdrs[i].id != SIP_HDR_VIA)
			continue;
		want++;
		for (uint32_t k = 0; k < r->hdrs[i].value_len; k++)
			want += b[r->hdrs[i].value_off + k] == ',';
	}
	sip_iter_init(&it);
	while ((n = sip_via_next(m, &it, &via)) == 1)
		got++;
	CHECK_INT(n, 0);
	CHECK_INT(got, want);

	static const enum sip_hdr_id addr_hdrs[] = {SIP_HDR_FROM, SIP_HDR_TO,
						    SIP_HDR_CONTACT, SIP_HDR_ROUTE,
						    SIP_HDR_RECORD_ROUTE};
	for (unsigned k = 0; k < sizeof(addr_hdrs) / sizeof(addr_hdrs[0]); k++) {
		sip_iter_init(&it);
		while ((n = sip_value_next(m, addr_hdrs[k], &it, &val)) == 1) {
			CHECK_INT(sip_parse_nameaddr(val.p, val.len, &na), val.len);
			if (!na.star && uri_scheme_known(na.uri))
				CHECK_INT(sip_parse_uri(na.uri.p, na.uri.len, &uri), na.uri.len);
		}
		CHECK_INT(n, 0);
	}
	int ct = sip_hdr_first(m, SIP_HDR_CONTENT_TYPE);
	if (ct >= 0) {
		struct sip_ctype c;
		struct sip_str v = sip_hdr_value(m, (unsigned)ct);
		CHECK_INT(sip_parse_ctype(v.p, v.len, &c), v.len);
	}
}

static void check_valid(const char *b, uint32_t len, const struct sip_msg *m)
{
	struct ref_msg *r = malloc(sizeof(*r));

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(ref_scan(b, len, r));
	CHECK(m->buf == b);
	CHECK(m->len <= len);
	CHECK(m->hdr_len <= m->len);
	CHECK_INT(m->err, SIP_OK);
	check_start_line(b, r, m);
	check_index(b, r, m);
	check_cached(b, len, r, m);
	check_fields(b, r, m);
	free(r);
}

/* Every proper prefix of a valid datagram, in an exact-size block: an error,
 * or, when no Content-Length frames it, a message of exactly the prefix; with
 * Content-Length, a prefix that still holds the framed message (msg_len
 * bytes, when extra bytes follow it) gives that message. */
static void check_prefixes(const char *b, uint32_t len, bool has_cl, uint32_t msg_len)
{
	struct sip_msg *m = malloc(sizeof(*m));
	unsigned bad = 0;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	for (uint32_t k = 0; k < len; k++) {
		char *p = malloc(k ? k : 1);
		if (p == NULL)
			break;
		memcpy(p, b, k);
		int r = sip_parse(p, k, NULL, 0, m);
		uint32_t want = !has_cl ? k : k >= msg_len ? msg_len : 0;
		if (r == 0 || (r > 0 && ((uint32_t)r != want || m->len != want)) ||
		    (r < 0 && has_cl && k >= msg_len))
			bad++;
		free(p);
	}
	CHECK_INT(bad, 0);
	free(m);
}

/* ---- the manifest ---- */

/* Reads a whole file into a heap block of exactly its size. */
static char *read_file(const char *path, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (long)UINT32_MAX ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = (uint32_t)n;
out:
	fclose(f);
	return buf;
}

/* True when the error short name is one of the '|'-separated expectations
 * ("error" standing for any). */
static bool expect_matches(const char *expect, const char *name)
{
	size_t nl = strlen(name);

	if (strcmp(expect, "error") == 0)
		return true;
	for (const char *p = expect;;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l == nl && memcmp(p, name, l) == 0)
			return true;
		if (bar == NULL)
			return false;
		p = bar + 1;
	}
}

static bool run_case(const char *dir, const char *file, const char *expect, long err_off)
{
	char path[8192];
	uint32_t len = 0;
	unsigned fails = check_fail;
	struct sip_msg *m = malloc(sizeof(*m));

	check_ctx = file;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	char *buf = read_file(path, &len);
	CHECK(buf != NULL);
	CHECK(m != NULL);
	if (buf == NULL || m == NULL) {
		printf("FAIL %s: cannot read: %s\n", file, strerror(errno));
		free(m);
		return false;
	}
	/* Poison: a field the parser forgets to set shows up as garbage. */
	memset(m, 0xa5, sizeof(*m));
	int ret = sip_parse(buf, len, NULL, 0, m);

	if (strcmp(expect, "ok") == 0) {
		CHECK(ret > 0);
		if (ret > 0) {
			CHECK_INT(m->len, ret);
			check_valid(buf, len, m);
			check_prefixes(buf, len, m->content_length >= 0, m->len);
		}
	} else {
		CHECK(ret < 0);
		if (ret < 0) {
			CHECK(expect_matches(expect, sip_err_name(ret)));
			CHECK_INT(m->err, -ret);
			CHECK(m->err_off <= len);
			if (err_off >= 0)
				CHECK_INT(m->err_off, err_off);
		}
	}
	bool ok = check_fail == fails;
	if (ret < 0)
		printf("%s %s: %s at %u (want %s)\n", ok ? "PASS" : "FAIL", file,
		       sip_err_name(ret), m->err_off, expect);
	else
		printf("%s %s: %d bytes, %u headers (want %s)\n", ok ? "PASS" : "FAIL",
		       file, ret, ret > 0 ? m->nhdrs : 0, expect);
	free(buf);
	free(m);
	return ok;
}

int main(int argc, char **argv)
{
	char line[4096], dir[4096];
	unsigned passed = 0, failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
		return 2;
	}
	/* Line-buffered: if the parser crashes, the log names the last case. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	FILE *f = fopen(argv[1], "r");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");

	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *file = strtok(line, "\t");
		char *expect = strtok(NULL, "\t");
		char *off = strtok(NULL, "\t");
		if (file == NULL || expect == NULL) {
			printf("FAIL manifest line \"%s\": want path<TAB>expect\n", line);
			failed++;
			continue;
		}
		if (run_case(dir, file, expect, off ? strtol(off, NULL, 10) : -1))
			passed++;
		else
			failed++;
	}
	fclose(f);
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
