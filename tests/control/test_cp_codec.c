/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_cp_codec.c - SHA-256 and base64 of the control plane
 * (control/cp_codec.c): FIPS 180-4's vectors, lengths on each side of a
 * block's padding boundary (digests from Python's hashlib), a million
 * bytes, and the same hashed incrementally in pieces of 1..130 bytes; RFC 4648's base64 vectors, round trips of every length 0..300,
 * and bad input (wrong length, bad characters, misplaced padding), each
 * refused at the offset of the first wrong character.
 */
#define CHECK_MAIN
#include <stdlib.h>

#include "check.h"
#include "cp_codec.h"

static void hex_is(const void *data, size_t len, const char *want)
{
	char got[65];

	ctl_sha256_hex(data, len, got);
	CHECK(strcmp(got, want) == 0);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "  got:  %s\n  want: %s\n", got, want);
}

static void test_sha256(void)
{
	static const struct {
		size_t n;
		const char *hex;
	} lens[] = {
		{55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
		{56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
		{63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
		{64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
		{65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
		{119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
		{120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
		{1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"},
	};
	unsigned char buf[1000];
	char *mil = malloc(1000000);
	unsigned i;

	check_ctx = "sha256 FIPS 180-4";
	hex_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)((i * 7 + 3) & 255);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		check_ctx = "sha256 block boundaries";
		hex_is(buf, lens[i].n, lens[i].hex);
	}
	check_ctx = "sha256 a million a";
	memset(mil, 'a', 1000000);
	hex_is(mil, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* incremental, as the dataplane hashes an upload chunk by chunk: the
	 * same digest for pieces of every size 1..130 (across block edges) */
	check_ctx = "sha256 incremental";
	for (size_t step = 1; step <= 130; step++) {
		struct ctl_sha256_ctx c;
		uint8_t d[32];
		char got[65];

		ctl_sha256_init(&c);
		for (size_t off = 0; off < 1000000; off += step)
			ctl_sha256_update(&c, mil + off, 1000000 - off < step ? 1000000 - off : step);
		ctl_sha256_final(&c, d);
		ctl_sha256_hex_of(d, got);
		CHECK(strcmp(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
	}
	free(mil);
}

static void test_b64(void)
{
	static const char *const rfc[][2] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	static const struct {
		const char *in;
		long want; /* -(offset + 1) */
	} bad[] = {
		{"Zg=", -4},	 /* not a multiple of 4 */
		{"Zg", -3},
		{"Z===", -2},	 /* padding too early */
		{"Zg=a", -3},	 /* '=' then a character */
		{"Zg==Zg==", -3}, /* padding before the last quad */
		{"Zm9*", -4},	 /* not in the alphabet */
		{"Zm9 ", -4},	 /* whitespace */
		{"Zm-_", -3},	 /* the URL alphabet */
	};
	unsigned char in[300], out[300];
	char text[CTL_B64_LEN(300) + 1];
	unsigned i, n;

	check_ctx = "base64 RFC 4648";
	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		size_t len = ctl_b64_encode(rfc[i][0], strlen(rfc[i][0]), text);

		CHECK(len == strlen(rfc[i][1]) && strcmp(text, rfc[i][1]) == 0);
		CHECK_INT(ctl_b64_decode(rfc[i][1], strlen(rfc[i][1]), out), strlen(rfc[i][0]));
		CHECK(memcmp(out, rfc[i][0], strlen(rfc[i][0])) == 0);
	}
	check_ctx = "base64 round trips 0..300";
	srand(7);
	for (n = 0; n <= 300; n++) {
		size_t len;

		for (i = 0; i < n; i++)
			in[i] = (unsigned char)rand();
		len = ctl_b64_encode(in, n, text);
		CHECK_INT(len, CTL_B64_LEN(n));
		CHECK_INT(strlen(text), len);
		CHECK_INT(ctl_b64_decode(text, len, out), n);
		CHECK(memcmp(in, out, n) == 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_ctx = bad[i].in;
		CHECK_INT(ctl_b64_decode(bad[i].in, strlen(bad[i].in), out), bad[i].want);
	}
}

int main(void)
{
	test_sha256();
	test_b64();
	printf("%u passed, %u failed\n", check_pass, check_fail);
	return check_fail != 0;
}
