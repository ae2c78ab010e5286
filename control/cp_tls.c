/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_tls.c - the agent link's byte transport, both ends (cp_tls.h): the
 * key file, the TLS 1.3 external-PSK set-up, and read/write over a plain
 * socket or a TLS session, non-blocking.
 *
 * Why these choices:
 * - TLS 1.3 only, external PSK, psk_dhe_ke: the two ends share a secret
 *   and nothing else (no CA, no certificate to renew); the (EC)DHE share
 *   gives forward secrecy, so a key stolen later does not decrypt a
 *   recorded link. OpenSSL offers and accepts psk_dhe_ke alone unless
 *   SSL_OP_ALLOW_NO_DHE_KEX is set, which it never is here.
 * - The PSK session's cipher is TLS_AES_128_GCM_SHA256, the one `openssl
 *   s_client -psk` and `s_server -psk` use, so that they can stand in for
 *   either end; the suites offered all hash with SHA-256, as the PSK must.
 * - No session tickets: a resumed session would be a second way in, and
 *   the link reconnects rarely.
 * - A peer that closes without close_notify reads as an ordinary close:
 *   the protocol is lines, and a cut line is dropped by both ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cp_tls.h"

#define TLS_SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"

/* TLS_AES_128_GCM_SHA256, as RFC 8446 numbers it */
static const unsigned char psk_cipher_id[2] = {0x13, 0x01};

/* ---- the key file ---- */

static int hex_val(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The hex text of buf[0..n) into psk->key. */
static int parse_key(const char *what, const char *path, const char *buf, size_t n,
		     struct ctl_psk *psk, char *err, size_t errlen)
{
	size_t a = 0, b = n, digits;

	while (a < b && is_space((unsigned char)buf[a]))
		a++;
	while (b > a && is_space((unsigned char)buf[b - 1]))
		b--;
	for (size_t i = a; i < b; i++)
		if (hex_val((unsigned char)buf[i]) < 0) {
			snprintf(err, errlen, "%s \"%s\": byte %zu (0x%02x) is not a hex digit "
				 "(the file holds the key in hex, as `openssl rand -hex 32` "
				 "writes it)", what, path, i + 1, (unsigned char)buf[i]);
			return -EINVAL;
		}
	digits = b - a;
	if (digits % 2 != 0) {
		snprintf(err, errlen, "%s \"%s\": %zu hex digits, an odd number", what, path,
			 digits);
		return -EINVAL;
	}
	if (digits / 2 < CTL_PSK_MIN || digits / 2 > CTL_PSK_MAX) {
		snprintf(err, errlen, "%s \"%s\": the key is %zu bytes; %u to %u are needed "
			 "(%u to %u hex digits; `openssl rand -hex 32` makes one)", what, path,
			 digits / 2, CTL_PSK_MIN, CTL_PSK_MAX, 2 * CTL_PSK_MIN, 2 * CTL_PSK_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < digits / 2; i++)
		psk->key[i] = (uint8_t)(hex_val((unsigned char)buf[a + 2 * i]) << 4 |
					hex_val((unsigned char)buf[a + 2 * i + 1]));
	psk->len = digits / 2;
	return 0;
}

/* ctl_psk_load - see cp_tls.h. The mode is checked on the open file, so
 * that what is read is what was checked. */
int ctl_psk_load(const char *what, const char *path, struct ctl_psk *psk, char *err,
		 size_t errlen)
{
	char buf[CTL_PSK_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s \"%s\": %s", what, path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s \"%s\": %s", what, path, strerror(-rc));
		goto out;
	}
	rc = -EINVAL;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s \"%s\": not a regular file", what, path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s \"%s\": mode %04o lets its group or others read "
			 "the key; refused (chmod 600 it)", what, path,
			 (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s \"%s\": %s", what, path, strerror(-rc));
	} else if ((size_t)n > CTL_PSK_FILE_MAX) {
		snprintf(err, errlen, "%s \"%s\": over %u bytes: not a key file", what, path,
			 CTL_PSK_FILE_MAX);
	} else {
		rc = parse_key(what, path, buf, (size_t)n, psk, err, errlen);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
out:
	close(fd);
	return rc;
}

int ctl_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], *end;
	size_t hl = colon != NULL ? (size_t)(colon - s) : 0;
	long port;

	if (colon == NULL || hl == 0 || hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 1 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[' && s[hl - 1] == ']') {
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof(*s4);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

bool ctl_psk_equal(const struct ctl_psk *a, const struct ctl_psk *b)
{
	return a->len == b->len && CRYPTO_memcmp(a->key, b->key, a->len) == 0 &&
	       strcmp(a->identity, b->identity) == 0;
}

/* ---- the context and the PSK session ---- */

/* ctl_tls_ctx_new - see cp_tls.h. */
struct ssl_ctx_st *ctl_tls_ctx_new(bool server, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (ctx == NULL)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS_SUITES) || !SSL_CTX_set_num_tickets(ctx, 0))
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* the output buffer may move (it grows) between a write that could
	 * not finish and its repetition */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!server)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	snprintf(err, errlen, "TLS set-up: %s",
		 ERR_reason_error_string(ERR_peek_last_error()) ?: "out of memory");
	SSL_CTX_free(ctx);
	return NULL;
}

/* ctl_tls_session - see cp_tls.h. */
struct ssl_session_st *ctl_tls_session(struct ssl_st *ssl, const struct ctl_psk *psk)
{
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, psk_cipher_id);
	SSL_SESSION *s = SSL_SESSION_new();

	if (s == NULL || cipher == NULL || !SSL_SESSION_set1_master_key(s, psk->key, psk->len) ||
	    !SSL_SESSION_set_cipher(s, cipher) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

/* ctl_tls_psk_hash_ok - see cp_tls.h. */
bool ctl_tls_psk_hash_ok(struct ssl_st *ssl, const void *md)
{
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, psk_cipher_id);

	return md == NULL || (cipher != NULL && SSL_CIPHER_get_handshake_digest(cipher) == md);
}

/* ---- the transport ---- */

int ctl_xp_tls(struct ctl_xp *x, struct ssl_ctx_st *ctx, bool server, void *app)
{
	x->ssl = SSL_new(ctx);
	if (x->ssl == NULL || !SSL_set_fd(x->ssl, x->fd)) {
		SSL_free(x->ssl);
		x->ssl = NULL;
		return -ENOMEM;
	}
	SSL_set_app_data(x->ssl, app);
	if (server)
		SSL_set_accept_state(x->ssl);
	else
		SSL_set_connect_state(x->ssl);
	return 0;
}

/* What a TLS call that returned r <= 0 means, as cp_tls.h's returns. */
static int xp_status(struct ctl_xp *x, int r, int sys_errno)
{
	switch (SSL_get_error(x->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		x->want_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		x->err = ERR_peek_last_error();
		if (x->err != 0)
			return -EPROTO;
		return sys_errno != 0 ? -sys_errno : -ECONNRESET;
	default:
		x->err = ERR_peek_last_error();
		return -EPROTO;
	}
}

int ctl_xp_handshake(struct ctl_xp *x)
{
	int r, rc;

	x->want_write = false;
	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(x->ssl);
	if (r == 1)
		return 0;
	rc = xp_status(x, r, errno);
	return rc == 0 ? -ECONNRESET : rc;
}

/* One read (wr false) or write of up to len bytes, as cp_tls.h's
 * ctl_xp_read and ctl_xp_write return. */
static ssize_t xp_io(struct ctl_xp *x, void *buf, size_t len, bool wr)
{
	size_t n = 0;
	ssize_t k;
	int r;

	x->want_write = false;
	if (x->ssl == NULL) {
		k = wr ? send(x->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
		       : recv(x->fd, buf, len, MSG_DONTWAIT);
		if (k >= 0)
			return k;
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	ERR_clear_error();
	errno = 0;
	r = wr ? SSL_write_ex(x->ssl, buf, len, &n) : SSL_read_ex(x->ssl, buf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	k = xp_status(x, r, errno);
	return wr && k == 0 ? -EPIPE : k; /* a write after close_notify */
}

ssize_t ctl_xp_read(struct ctl_xp *x, void *buf, size_t len)
{
	return xp_io(x, buf, len, false);
}

ssize_t ctl_xp_write(struct ctl_xp *x, const void *buf, size_t len)
{
	return xp_io(x, (void *)(uintptr_t)buf, len, true);
}

/* SSL_pending, not SSL_has_pending: the latter is also true for a record
 * received in part, whose rest is still in the kernel (read-ahead is off,
 * the default: OpenSSL reads a record's bytes and no more), where epoll
 * will see it; saying yes then would have the caller read on every turn
 * for nothing. */
bool ctl_xp_pending(const struct ctl_xp *x)
{
	return x->ssl != NULL && SSL_pending(x->ssl) > 0;
}

void ctl_xp_close(struct ctl_xp *x)
{
	if (x->ssl != NULL) {
		/* one try: whatever the socket does not take now is lost */
		ERR_clear_error();
		if (SSL_is_init_finished(x->ssl))
			SSL_shutdown(x->ssl);
		SSL_free(x->ssl);
		ERR_clear_error();
		x->ssl = NULL;
	}
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->want_write = false;
}

const char *ctl_xp_why(const struct ctl_xp *x, char *buf, size_t len)
{
	const char *r = x->err != 0 ? ERR_reason_error_string(x->err) : NULL;

	snprintf(buf, len, "%s", r != NULL ? r : "TLS error");
	return buf;
}

enum ctl_tls_fail ctl_xp_fail_kind(const struct ctl_xp *x)
{
	if (ERR_GET_LIB(x->err) != ERR_LIB_SSL)
		return CTL_TLS_FAIL_OTHER;
	switch (ERR_GET_REASON(x->err)) {
	case SSL_R_BINDER_DOES_NOT_VERIFY:	 /* server: another key */
	case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:	 /* client: the server's word for it */
	case SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER: /* client: OpenSSL's server's word */
		return CTL_TLS_FAIL_BAD_KEY;
	case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE: /* client: no PSK by that name */
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM: /* server: none, nor a certificate */
	case SSL_R_NO_SHARED_CIPHER:
		return CTL_TLS_FAIL_NO_PSK;
	default:
		return CTL_TLS_FAIL_OTHER;
	}
}
