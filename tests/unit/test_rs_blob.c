/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_rs_blob.c - blobs that must be refused, cleanly.
 *
 * Bad input tried: every byte of a small blob flipped (the checksum must
 * refuse each); every truncation; every byte flipped with the checksum made
 * right again (the structural checks and Hyperscan's own CRC are what stand
 * then: each such blob is refused or loads and evaluates without fault,
 * under ASan too); random multi-byte overwrites with a good checksum;
 * another format version; another Hyperscan version in the header and in a
 * database; databases compiled for AVX-512 VBMI loaded on a host said to
 * have AVX2 only; unknown CPU feature bits; NULL and empty input.
 */
#include <errno.h>
#include <stdlib.h>

#include "rs_priv.h"
#include "test_rs.h"

static void fix_checksum(unsigned char *b, size_t len)
{
	size_t ck = offsetof(struct rs_blob_hdr, hs_version);
	uint64_t sum = rs_fnv64(b + ck, len - ck);

	memcpy(b + offsetof(struct rs_blob_hdr, checksum), &sum, sizeof(sum));
}

static struct tmsg bm[2];
static struct rs_addr bsrc[2];

/* A set that loaded from a damaged blob must still evaluate without fault:
 * whatever it says is not checked, only that it says it safely. */
static void exercise(struct rs_set *s)
{
	struct rs_scratch *sc = NULL;
	struct rs_verdict v;
	uint64_t hits[64] = {0};
	uint32_t ranks[64];

	if (rs_scratch_alloc(s, &sc) != 0)
		return;
	for (unsigned i = 0; i < 2; i++) {
		int rc = rs_eval(s, sc, &bm[i].m, &bsrc[i], &bsrc[1 - i],
				 rs_set_n_rules(s) <= 64 ? hits : NULL, &v);
		CHECK(rc == 0 || rc == -EIO);
		CHECK(v.action <= RS_ACT_BAN);
		CHECK(v.rule == RS_RULE_NONE || v.rule < rs_set_n_rules(s));
		rc = rs_eval_match(s, sc, &bm[i].m, &bsrc[i], NULL, ranks, 64, &v);
		CHECK(rc >= -EIO && rc <= (int)rs_set_n_rules(s));
	}
	rs_scratch_free(sc);
}

static unsigned load_or_refuse(const unsigned char *b, size_t len)
{
	struct rs_set *s = NULL;
	char err[256] = "";
	int rc = rs_set_load(b, len, &s, err, sizeof(err));

	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOTSUP);
	CHECK((rc == 0) == (s != NULL));
	CHECK(rc == 0 || err[0] != '\0');
	if (s != NULL) {
		exercise(s);
		rs_set_free(s);
		return 1;
	}
	return 0;
}

static void small_blob(void **blob, size_t *len, const struct rs_platform *target)
{
	static const struct rs_cidr p[] = {{4, 8, {10}}, {6, 32, {0x20, 0x01, 0x0d, 0xb8}}};
	static struct rs_cond c[8];
	static struct rs_rule r[5];
	struct rs_diag d;

	c[0] = tstr(RS_F_ua, RS_OP_REGEX, "scan+er|sipvicious", HS_FLAG_CASELESS);
	c[1] = tstr(RS_F_method, RS_OP_EQ, "INVITE", 0);
	c[2] = tcidr(RS_F_src, p, 2);
	c[3] = thdr("X-Probe", RS_OP_CONTAINS, "tw", 0);
	c[4] = tnot(tnum(RS_F_max_forwards, RS_OP_GT, 20));
	c[5] = tstr(RS_F_contact_user, RS_OP_PREFIX, "al", 0);
	c[6] = tnot(tstr(RS_F_from_display, RS_OP_EXISTS, NULL, 0));
	c[7] = tstr(RS_F_body, RS_OP_EQ, "", 0);
	r[0] = trule(1, 10, RS_ACT_REJECT, &c[0], 2);
	r[0].reason = "Scanner";
	r[0].msg = "a scanner";
	r[1] = trule(2, 20, RS_ACT_BAN, &c[2], 2);
	r[2] = trule(3, 5, RS_ACT_COUNT, &c[4], 1);
	r[3] = trule(4, 30, RS_ACT_DROP, &c[5], 2);
	r[3].shadow = true;
	r[4] = trule(5, 40, RS_ACT_ALLOW, &c[7], 1);
	CHECK_INT(tcompile(r, NELEM(r), target, blob, len, &d), 0);
}

static void test_corrupt(const unsigned char *blob, size_t len)
{
	unsigned char *b = malloc(len);
	unsigned refused = 0, accepted = 0;

	/* Every byte flipped: the header checks or the checksum refuse it. */
	check_ctx = "blob: every byte flipped";
	for (size_t i = 0; i < len; i++) {
		memcpy(b, blob, len);
		b[i] ^= 0xff;
		refused += !load_or_refuse(b, len);
	}
	CHECK_INT(refused, len);

	/* Every truncation, each in a buffer of exactly that size (ASan). */
	check_ctx = "blob: every truncation";
	refused = 0;
	for (size_t n = 0; n < len; n++) {
		unsigned char *t = malloc(n ? n : 1);
		memcpy(t, blob, n);
		refused += !load_or_refuse(t, n);
		free(t);
	}
	CHECK_INT(refused, len);

	/* Every byte flipped, checksum made good: what is left to refuse it is
	 * the loader's own checks and Hyperscan's. */
	check_ctx = "blob: flipped, checksum fixed";
	size_t ck = offsetof(struct rs_blob_hdr, checksum);
	for (size_t i = 0; i < len; i++) {
		if (i >= ck && i < ck + 8)
			continue;
		for (unsigned x = 0; x < 2; x++) {
			memcpy(b, blob, len);
			b[i] ^= x ? 0x01 : 0x80;
			fix_checksum(b, len);
			accepted += load_or_refuse(b, len);
		}
	}
	printf("blob of %zu bytes: %u of %zu one-bit flips with a good checksum still load (reserved bytes, padding, ranks and strings) and evaluate safely\n",
	       len, accepted, 2 * (len - 8));

	/* Random overwrites of 1-4 bytes with extreme values. */
	check_ctx = "blob: random overwrites";
	srandom(7);
	for (unsigned k = 0; k < 3000; k++) {
		memcpy(b, blob, len);
		unsigned n = 1 + (unsigned)random() % 4;
		for (unsigned j = 0; j < n; j++) {
			static const unsigned char vals[] = {0, 0xff, 0x7f, 0x80, 1};
			size_t at = sizeof(struct rs_blob_hdr) + (size_t)random() % (len - sizeof(struct rs_blob_hdr));
			b[at] = random() % 2 ? vals[random() % 5] : (unsigned char)random();
		}
		fix_checksum(b, len);
		load_or_refuse(b, len);
	}
	free(b);
}

static int load_err(const unsigned char *b, size_t len, uint64_t host, char *err, size_t errlen)
{
	struct rs_set *s = NULL;
	int rc = rs_set_load_as(b, len, host, &s, err, errlen);

	rs_set_free(s);
	return rc;
}

static void test_foreign(const unsigned char *blob, size_t len)
{
	unsigned char *b = malloc(len);
	struct rs_blob_hdr h;
	char err[256];
	struct rs_platform host;

	CHECK_INT(rs_platform_host(&host), 0);
	memcpy(&h, blob, sizeof(h));

	check_ctx = "blob: other Hyperscan version";
	memcpy(b, blob, len);
	memset(b + offsetof(struct rs_blob_hdr, hs_version), 0, sizeof(h.hs_version));
	memcpy(b + offsetof(struct rs_blob_hdr, hs_version), "5.2.1 2019-01-01", 16);
	fix_checksum(b, len);
	CHECK_INT(load_err(b, len, host.cpu_features, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "compiled by Hyperscan 5.2.1, this is 5.4") != NULL);
	memset(b + offsetof(struct rs_blob_hdr, hs_version), 'x', sizeof(h.hs_version));
	fix_checksum(b, len);
	CHECK_INT(load_err(b, len, host.cpu_features, err, sizeof(err)), -EINVAL);

	check_ctx = "blob: other format version";
	memcpy(b, blob, len);
	b[offsetof(struct rs_blob_hdr, version)] = RS_BLOB_VERSION + 1;
	CHECK_INT(load_err(b, len, host.cpu_features, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "format version 3, this dataplane reads 2") != NULL);
	b[offsetof(struct rs_blob_hdr, version)] = 1; /* before min_width and literals */
	CHECK_INT(load_err(b, len, host.cpu_features, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "format version 1, this dataplane reads 2") != NULL);

	check_ctx = "blob: unknown CPU feature";
	memcpy(b, blob, len);
	uint64_t f = h.cpu_features | (1ull << 40);
	memcpy(b + offsetof(struct rs_blob_hdr, cpu_features), &f, 8);
	fix_checksum(b, len);
	struct rs_set *s = NULL;
	CHECK_INT(rs_set_load(b, len, &s, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "unknown bits 0x10000000000") != NULL);

	/* A database whose own header names another Hyperscan: Hyperscan's
	 * check, reported with the version it names. */
	check_ctx = "blob: database of another Hyperscan";
	memcpy(b, blob, len);
	const struct rs_blob_slot *sl = (const void *)(blob + h.sec[RS_SEC_SLOTS].off);
	uint32_t ns = (uint32_t)(h.sec[RS_SEC_SLOTS].len / sizeof(*sl)), si = 0;
	while (si < ns && sl[si].db_len == 0)
		si++;
	CHECK(si < ns);
	if (si < ns) {
		uint32_t v = (5u << 24) | (2u << 16) | (1u << 8);
		memcpy(b + h.sec[RS_SEC_DBS].off + sl[si].db_off + 4, &v, 4);
		fix_checksum(b, len);
		CHECK_INT(load_err(b, len, host.cpu_features, err, sizeof(err)), -ENOTSUP);
		CHECK(strstr(err, "built by Hyperscan 5.2.1") != NULL);
	}

	check_ctx = "blob: NULL, empty";
	CHECK_INT(rs_set_load(NULL, 0, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(rs_set_load(blob, 0, &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(rs_set_load(blob, len, NULL, err, sizeof(err)), -EINVAL);
	CHECK_INT(rs_set_load(NULL, 0, &s, NULL, 0), -EINVAL);
	free(b);
}

/* Compiled for a CPU with AVX-512 VBMI: a host with AVX2 only refuses it,
 * naming what it lacks; this host loads it if it has the feature. */
static void test_platforms(void)
{
	struct rs_platform host, vbmi = {HS_CPU_FEATURES_AVX512VBMI, HS_TUNE_FAMILY_ICX};
	struct rs_platform generic = {0, HS_TUNE_FAMILY_GENERIC};
	void *blob = NULL;
	size_t len = 0;
	char err[256];

	CHECK_INT(rs_platform_host(&host), 0);
	check_ctx = "blob: AVX-512 VBMI on AVX2";
	small_blob(&blob, &len, &vbmi);
	if (blob == NULL)
		return;
	CHECK_INT(load_err(blob, len, HS_CPU_FEATURES_AVX2, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "compiled for AVX2, AVX-512, AVX-512 VBMI (cpu_features 0x1c), this CPU has AVX2 only") != NULL);
	CHECK_INT(load_err(blob, len, 0, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "this CPU has none of them") != NULL);
	bool has = (host.cpu_features & HS_CPU_FEATURES_AVX512VBMI) != 0;
	CHECK_INT(load_err(blob, len, host.cpu_features, err, sizeof(err)), has ? 0 : -ENOTSUP);
	free(blob);

	/* Compiled for no feature at all: loads anywhere, works here. */
	check_ctx = "blob: generic target";
	small_blob(&blob, &len, &generic);
	if (blob == NULL)
		return;
	struct rs_set *s = NULL;
	CHECK_INT(rs_set_load(blob, len, &s, err, sizeof(err)), 0);
	if (s != NULL) {
		struct rs_scratch *sc = NULL;
		struct rs_verdict v;
		CHECK_INT(rs_scratch_alloc(s, &sc), 0);
		CHECK_INT(rs_eval(s, sc, &bm[0].m, &bsrc[0], NULL, NULL, &v), 0);
		CHECK_INT(v.action, RS_ACT_REJECT);
		CHECK_STR(v.reason, "Scanner");
		rs_scratch_free(sc);
		rs_set_free(s);
	}
	free(blob);
}

void test_blob(void)
{
	void *blob = NULL;
	size_t len = 0;

	check_ctx = "blob: messages";
	CHECK(tmsg_make(&bm[0],
			"INVITE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
			"From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: 1\nCSeq: 1 INVITE\n"
			"Max-Forwards: 5\nX-Probe: two\nUser-Agent: sipvicious\n"
			"Contact: <sip:alice@h>\n",
			"v=0\r\n") > 0);
	CHECK(tmsg_make(&bm[1],
			"OPTIONS sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
			"From: \"X\" <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: 1\nCSeq: 1 OPTIONS\n"
			"Max-Forwards: 70\n",
			NULL) > 0);
	bsrc[0] = taddr4(10, 1, 2, 3, 5060);
	bsrc[1] = (struct rs_addr){.af = 6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 9}, .port = 5061};

	check_ctx = "blob: compile";
	small_blob(&blob, &len, NULL);
	if (blob == NULL)
		return;
	check_ctx = "blob: intact";
	CHECK_INT(load_or_refuse(blob, len), 1);
	test_corrupt(blob, len);
	test_foreign(blob, len);
	free(blob);
	test_platforms();
}
