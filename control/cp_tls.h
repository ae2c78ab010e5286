/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_tls.h - the agent link's byte transport, shared by both ends
 * (docs/agent.md, "Transport"): a Unix socket, or TCP with TLS 1.3
 * authenticated by an external pre-shared key (RFC 8446 section 4.2.11)
 * combined with (EC)DHE (psk_dhe_ke: forward secrecy). No certificates.
 *
 * The dataplane (dataplane/agent_tls.c, the server) and sipedge-control
 * (control/cp_agent.c, the client) both link cp_tls.c, as they link
 * cp_codec.c: one key file reader, one TLS set-up, one transport.
 *
 * Everything here is non-blocking: a read or write that cannot proceed now
 * returns -EAGAIN and says in want_write whether the socket must become
 * writable (TLS may need to write to read) rather than readable. Main
 * lcore / the event loop's thread; the OpenSSL error queue is per thread.
 */
#ifndef SIPEDGE_CP_TLS_H
#define SIPEDGE_CP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define CTL_PSK_MIN	  32u	/* bytes: 256 bits */
#define CTL_PSK_MAX	  256u
#define CTL_PSK_ID_MAX	  64u	/* an identity, with its NUL */
#define CTL_PSK_FILE_MAX  4096u /* a key file larger than this is not one */

struct ssl_st;
struct ssl_ctx_st;
struct ssl_session_st;

/* A shared secret and the identity it is known by. */
struct ctl_psk {
	uint8_t key[CTL_PSK_MAX];
	size_t len;
	char identity[CTL_PSK_ID_MAX];
};

/* One connection's byte transport: the socket, and the TLS session on it
 * (NULL: plain). */
struct ctl_xp {
	int fd;
	struct ssl_st *ssl;
	bool want_write;   /* the last -EAGAIN waits for POLLOUT, not POLLIN */
	unsigned long err; /* the OpenSSL error of the last -EPROTO */
};

/* ctl_psk_load - reads a key file: the key in hex (`openssl rand -hex 32`),
 * whitespace around it ignored. Refuses a file that is not a regular file,
 * one that its group or others may access (mode & 077), a byte that is not
 * a hex digit, an odd count of digits, a key shorter than CTL_PSK_MIN or
 * longer than CTL_PSK_MAX bytes. what names the key in messages
 * ("agent.psk_file"). Returns 0 with psk->key and psk->len set (identity
 * untouched), or -errno / -EINVAL with a message in err naming what, the
 * file and the value. Any thread. */
int ctl_psk_load(const char *what, const char *path, struct ctl_psk *psk, char *err,
		 size_t errlen);

/* ctl_addr_parse - "IPv4:port" or "[IPv6]:port" (port 1..65535) into *ss
 * and *len. A host name is refused: neither end waits for DNS. Returns 0
 * or -EINVAL. Any thread. */
int ctl_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* ctl_psk_equal - whether two keys and identities are the same. */
bool ctl_psk_equal(const struct ctl_psk *a, const struct ctl_psk *b);

/* ctl_tls_ctx_new - a TLS context for one side: TLS 1.3 only, SHA-256
 * cipher suites (the PSK's hash), no session tickets, psk_dhe_ke only; a
 * client also refuses any certificate (there is no trust store: a peer that
 * does not know the PSK cannot get in with one). Returns the context
 * (the caller owns it: SSL_CTX_free), or NULL with the reason in err. */
struct ssl_ctx_st *ctl_tls_ctx_new(bool server, char *err, size_t errlen);

/* ctl_tls_session - an SSL_SESSION that carries psk->key for the
 * handshake's PSK callbacks, or NULL (out of memory). Ownership passes to
 * OpenSSL when the callback returns it. */
struct ssl_session_st *ctl_tls_session(struct ssl_st *ssl, const struct ctl_psk *psk);

/* ctl_tls_psk_hash_ok - whether the handshake digest md (NULL: not chosen
 * yet) is the one the PSK session uses. */
bool ctl_tls_psk_hash_ok(struct ssl_st *ssl, const void *md);

/* ctl_xp_tls - puts a new TLS session of ctx on x->fd, as a server or a
 * client; app is its app data (for the PSK callbacks). Returns 0 or
 * -ENOMEM. */
int ctl_xp_tls(struct ctl_xp *x, struct ssl_ctx_st *ctx, bool server, void *app);

/* ctl_xp_handshake - one step of the TLS handshake. Returns 0 (done),
 * -EAGAIN (call again when the socket is readable, or writable when
 * x->want_write), -EPROTO (refused: x->err), -ECONNRESET (the peer closed)
 * or -errno. */
int ctl_xp_handshake(struct ctl_xp *x);

/* ctl_xp_read - up to len bytes. Returns the bytes read (> 0), 0 when the
 * peer closed its side, or -EAGAIN, -EPROTO, -errno as ctl_xp_handshake. */
ssize_t ctl_xp_read(struct ctl_xp *x, void *buf, size_t len);

/* ctl_xp_write - up to len bytes (never raises SIGPIPE on a plain socket;
 * the TLS library writes with write(2): its users ignore SIGPIPE). Returns
 * the bytes taken (> 0), or -EAGAIN, -EPROTO, -errno as above. A write
 * that returned -EAGAIN must be repeated with the same bytes, possibly
 * more, possibly moved. */
ssize_t ctl_xp_write(struct ctl_xp *x, const void *buf, size_t len);

/* ctl_xp_pending - bytes TLS has decrypted but not handed out yet: no
 * epoll event will say so. A record received in part is not pending: its
 * rest is in the kernel, and epoll says when it comes. */
bool ctl_xp_pending(const struct ctl_xp *x);

/* ctl_xp_close - tells a TLS peer (close_notify, best effort, never
 * waiting), frees the session, closes the fd; x is then fd -1, ssl NULL.
 * Safe on a closed x. */
void ctl_xp_close(struct ctl_xp *x);

/* ctl_xp_why - x->err as a short text ("decryption failed"), into buf. */
const char *ctl_xp_why(const struct ctl_xp *x, char *buf, size_t len);

/* The TLS failures each side tells apart. */
enum ctl_tls_fail {
	CTL_TLS_FAIL_OTHER = 0,
	CTL_TLS_FAIL_BAD_KEY,	 /* the binder did not verify (server), or the
				  * server said so (client): another key */
	CTL_TLS_FAIL_NO_PSK,	 /* the server knew no PSK by that identity
				  * (client's view: bad PSK or identity) */
};

/* ctl_xp_fail_kind - what x->err of a failed handshake means. */
enum ctl_tls_fail ctl_xp_fail_kind(const struct ctl_xp *x);

#endif /* SIPEDGE_CP_TLS_H */
