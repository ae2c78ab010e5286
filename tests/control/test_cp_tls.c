/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_cp_tls.c - the agent link's TLS transport (control/cp_tls.c) with
 * both ends in one process: a PSK server and client, each on a socket pair
 * whose other ends the test relays by hand, so that it decides which bytes
 * reach the server and when.
 *
 * ctl_xp_pending is what the dataplane's main lcore polls for bytes that
 * TLS decrypted past a read's room (no epoll event will tell of them). It
 * must say no for a record only partly received: the rest is in the
 * kernel, where epoll sees it; a yes would make the main lcore call
 * SSL_read on every turn for nothing (found by review: SSL_has_pending is
 * true for a partial record). Rows: half a record (no, and the read is
 * -EAGAIN), the rest (the read returns the line whole), 100 bytes read 10
 * at a time (yes while some are left, no after), a record's header alone.
 */
#define CHECK_MAIN
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "check.h"
#include "cp_tls.h"

/* One end: its transport on fd[0] of a socket pair; fd[1] is the wire
 * the test relays. */
struct end {
	struct ctl_xp xp;
	int wire;
};

static struct ctl_psk psk = {.len = 32, .identity = "gw1"};

static int server_psk(SSL *ssl, const unsigned char *id, size_t len, SSL_SESSION **sess)
{
	*sess = len == 3 && memcmp(id, "gw1", 3) == 0 ? ctl_tls_session(ssl, &psk) : NULL;
	return 1;
}

static int client_psk(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
		      SSL_SESSION **sess)
{
	*id = (const unsigned char *)psk.identity;
	*idlen = strlen(psk.identity);
	*sess = ctl_tls_psk_hash_ok(ssl, md) ? ctl_tls_session(ssl, &psk) : NULL;
	return 1;
}

static int end_open(struct end *e, SSL_CTX *ctx, bool server)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -errno;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	e->xp = (struct ctl_xp){.fd = sv[0]};
	e->wire = sv[1];
	return ctl_xp_tls(&e->xp, ctx, server, NULL);
}

/* Moves up to max bytes that one end wrote to the other end's socket.
 * Returns how many. */
static size_t relay(struct end *from, struct end *to, size_t max)
{
	char buf[16384];
	ssize_t n = recv(from->wire, buf, max < sizeof(buf) ? max : sizeof(buf), MSG_DONTWAIT);

	if (n <= 0)
		return 0;
	CHECK(send(to->wire, buf, (size_t)n, 0) == n);
	return (size_t)n;
}

/* Steps both handshakes, relaying everything, until both are done. */
static bool handshake(struct end *s, struct end *c)
{
	int rs = -EAGAIN, rc = -EAGAIN;

	for (int i = 0; i < 20 && (rs != 0 || rc != 0); i++) {
		if (rc != 0)
			rc = ctl_xp_handshake(&c->xp);
		relay(c, s, SIZE_MAX);
		if (rs != 0)
			rs = ctl_xp_handshake(&s->xp);
		relay(s, c, SIZE_MAX);
		if ((rs != 0 && rs != -EAGAIN) || (rc != 0 && rc != -EAGAIN))
			break;
	}
	return rs == 0 && rc == 0;
}

static void test_pending(struct end *s, struct end *c)
{
	static const char line[] = "{\"id\":1,\"cmd\":\"hello\",\"proto\":1}\n";
	char rec[512], buf[256];
	ssize_t n;
	size_t len;

	check_ctx = "half a record";
	CHECK(ctl_xp_write(&c->xp, line, sizeof(line) - 1) == (ssize_t)(sizeof(line) - 1));
	n = recv(c->wire, rec, sizeof(rec), MSG_DONTWAIT);
	CHECK(n > 20);
	len = n > 0 ? (size_t)n : 0;
	CHECK(send(s->wire, rec, len / 2, 0) == (ssize_t)(len / 2));
	CHECK_INT(ctl_xp_read(&s->xp, buf, sizeof(buf)), -EAGAIN);
	CHECK(!ctl_xp_pending(&s->xp));

	check_ctx = "the rest of the record";
	CHECK(send(s->wire, rec + len / 2, len - len / 2, 0) == (ssize_t)(len - len / 2));
	n = ctl_xp_read(&s->xp, buf, sizeof(buf));
	CHECK_INT(n, sizeof(line) - 1);
	CHECK(n > 0 && memcmp(buf, line, (size_t)n) == 0);
	CHECK(!ctl_xp_pending(&s->xp));

	check_ctx = "decrypted, not all read";
	memset(rec, 'x', 100);
	CHECK_INT(ctl_xp_write(&c->xp, rec, 100), 100);
	relay(c, s, SIZE_MAX);
	for (int i = 0; i < 10; i++) {
		CHECK_INT(ctl_xp_read(&s->xp, buf, 10), 10);
		CHECK(ctl_xp_pending(&s->xp) == (i < 9));
	}
	CHECK_INT(ctl_xp_read(&s->xp, buf, sizeof(buf)), -EAGAIN);

	check_ctx = "a record's header alone";
	CHECK_INT(ctl_xp_write(&c->xp, "ping\n", 5), 5);
	CHECK_INT(relay(c, s, 5), 5);
	CHECK_INT(ctl_xp_read(&s->xp, buf, sizeof(buf)), -EAGAIN);
	CHECK(!ctl_xp_pending(&s->xp));
	relay(c, s, SIZE_MAX);
	CHECK_INT(ctl_xp_read(&s->xp, buf, sizeof(buf)), 5);
	CHECK(!ctl_xp_pending(&s->xp));
}

int main(void)
{
	char err[200];
	SSL_CTX *sctx = ctl_tls_ctx_new(true, err, sizeof(err));
	SSL_CTX *cctx = ctl_tls_ctx_new(false, err, sizeof(err));
	struct end s, c;

	memset(psk.key, 0x5a, psk.len);
	check_ctx = "set-up";
	CHECK(sctx != NULL && cctx != NULL);
	if (sctx == NULL || cctx == NULL)
		return 1;
	SSL_CTX_set_psk_find_session_callback(sctx, server_psk);
	SSL_CTX_set_psk_use_session_callback(cctx, client_psk);
	CHECK(end_open(&s, sctx, true) == 0 && end_open(&c, cctx, false) == 0);
	check_ctx = "handshake";
	CHECK(handshake(&s, &c));
	test_pending(&s, &c);
	ctl_xp_close(&s.xp);
	ctl_xp_close(&c.xp);
	close(s.wire);
	close(c.wire);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	printf("%u passed, %u failed\n", check_pass, check_fail);
	return check_fail != 0;
}
