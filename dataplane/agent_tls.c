/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_tls.c - the agent's TCP listener (agent.listen, docs/agent.md):
 * for a control plane on another host. TLS 1.3 only, authenticated by the
 * pre-shared key of agent.psk_file under agent.psk_identity, with (EC)DHE
 * (control/cp_tls.c sets TLS up; both ends share it). Once the handshake is
 * done, a TLS client is a connection like any other (agent.c): the same
 * framing, commands, limits and idle eviction.
 *
 * Each handshake is stepped on the main lcore, non-blocking, as its socket
 * becomes ready; one that has not finished within
 * agent.handshake_timeout_ms is cut off, so a client that connects and says
 * nothing (or trickles a byte at a time) holds its slot for that long at
 * most. Before the first TLS call the first byte is peeked at: one that
 * cannot start a TLS record (a client speaking JSON in clear) is cut off at
 * once. Every failure is counted by kind (agent_tls_*) and logged through
 * the connection log's rate limit.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <rte_log.h>

#include "agent_priv.h"
#include "worker.h"

#define AGENT_TCP_BACKLOG 16
#define TLS_HANDSHAKE_RECORD 0x16 /* the content type a ClientHello comes in */

struct agent_tls {
	SSL_CTX *ctx;
	struct ctl_psk psk;
	char path[CFG_PATH_MAX]; /* agent.psk_file: read again on SIGHUP */
	char name[AGENT_PEER_MAX]; /* agent.listen, as written */
	/* the identity the handshake being stepped offered, when it was not
	 * ours (find_psk); one handshake is stepped at a time */
	bool bad_identity;
	char offered[48];
};

/* The server's PSK lookup: our key for our identity; for any other
 * identity no session, which fails the handshake (there is no certificate
 * to fall back to), and the identity is kept for the log. */
static int find_psk(SSL *ssl, const unsigned char *id, size_t len, SSL_SESSION **sess)
{
	struct agent_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	size_t k;

	*sess = NULL;
	if (len == strlen(t->psk.identity) && memcmp(id, t->psk.identity, len) == 0) {
		*sess = ctl_tls_session(ssl, &t->psk);
		return *sess != NULL;
	}
	t->bad_identity = true;
	for (k = 0; k < len && k < sizeof(t->offered) - 1; k++)
		t->offered[k] = id[k] >= 0x20 && id[k] < 0x7f && id[k] != '"' ? (char)id[k] : '?';
	t->offered[k] = '\0';
	return 1;
}

/* ---- the listener ---- */

static int listen_tcp(struct agent *a, const struct dp_addr *l)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int one = 1, rc;

	if (l->ip.af == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		memcpy(&s4->sin_addr, l->ip.a, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		memcpy(&s6->sin6_addr, l->ip.a, 16);
		sl = sizeof(*s6);
	}
	a->tfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->tfd < 0)
		goto fail;
	/* a restart must not wait for the old connections' TIME_WAIT; [::]
	 * means IPv6 only, as written */
	if (setsockopt(a->tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(a->tfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(a->tfd, (struct sockaddr *)&ss, sl) != 0 || listen(a->tfd, AGENT_TCP_BACKLOG) != 0)
		goto fail;
	return 0;
fail:
	rc = -errno;
	fprintf(stderr, "sipedge: agent.listen \"%s\": %s\n", a->tls->name, strerror(-rc));
	if (a->tfd >= 0)
		close(a->tfd);
	a->tfd = -1;
	return rc;
}

/* agent_tls_open - see agent_priv.h. */
int agent_tls_open(struct agent *a, const struct cfg *c)
{
	struct agent_tls *t = calloc(1, sizeof(*t));
	char err[AGENT_ERR_MAX];
	int rc;

	a->tfd = -1;
	if (t == NULL) {
		fprintf(stderr, "sipedge: out of memory for the agent's TLS listener\n");
		return -ENOMEM;
	}
	a->tls = t;
	cfg_fmt_addr(&c->agent.listen.ip, c->agent.listen.port, t->name, sizeof(t->name));
	if ((rc = ctl_psk_load("agent.psk_file", c->agent.psk_file, &t->psk, err,
			       sizeof(err))) != 0) {
		fprintf(stderr, "sipedge: %s\n", err);
		return rc;
	}
	snprintf(t->psk.identity, sizeof(t->psk.identity), "%s", c->agent.psk_identity);
	snprintf(t->path, sizeof(t->path), "%s", c->agent.psk_file);
	if ((t->ctx = ctl_tls_ctx_new(true, err, sizeof(err))) == NULL) {
		fprintf(stderr, "sipedge: agent.listen \"%s\": %s\n", t->name, err);
		return -ENOMEM;
	}
	SSL_CTX_set_app_data(t->ctx, t);
	SSL_CTX_set_psk_find_session_callback(t->ctx, find_psk);
	if ((rc = listen_tcp(a, &c->agent.listen)) != 0)
		return rc;
	/* OpenSSL writes with write(2): a client gone mid-write must cost an
	 * EPIPE, not the process */
	signal(SIGPIPE, SIG_IGN);
	RTE_LOG(NOTICE, USER1, "agent: listening on TCP %s, TLS 1.3 with a pre-shared key "
		"(identity \"%s\", handshakes within %u ms; node %s, at most %u clients)\n",
		t->name, t->psk.identity, c->agent.handshake_timeout_ms, c->node.name,
		c->agent.max_clients);
	return 0;
}

/* agent_tls_close - see agent_priv.h. The key is wiped. */
void agent_tls_close(struct agent *a)
{
	if (a->tfd >= 0)
		close(a->tfd);
	a->tfd = -1;
	if (a->tls == NULL)
		return;
	SSL_CTX_free(a->tls->ctx);
	OPENSSL_cleanse(&a->tls->psk, sizeof(a->tls->psk));
	free(a->tls);
	a->tls = NULL;
}

/* agent_tls_reload - see agent_priv.h. The new key goes into the struct
 * find_psk reads, between two handshake steps (the main lcore steps them
 * all): a handshake that offered its identity before keeps the session,
 * and so the key, it was given then; unless it goes through a
 * HelloRetryRequest, whose second ClientHello asks find_psk again and gets
 * the new key (refused and counted as agent_tls_bad_key; the client tries
 * again; control and sipedge share OpenSSL's groups and never retry). */
void agent_tls_reload(struct agent *a)
{
	struct agent_tls *t = a->tls;
	struct ctl_psk k = {0};
	char err[AGENT_ERR_MAX];

	if (ctl_psk_load("agent.psk_file", t->path, &k, err, sizeof(err)) != 0) {
		a->mw->st->ctr[STATS_agent_tls_key_reload_failed]++;
		RTE_LOG(ERR, USER1, "agent: SIGHUP: %s; the key in force stays\n", err);
	} else if (k.len == t->psk.len && CRYPTO_memcmp(k.key, t->psk.key, k.len) == 0) {
		RTE_LOG(NOTICE, USER1, "agent: SIGHUP: agent.psk_file \"%s\" holds the key in force: "
			"nothing changes\n", t->path);
	} else {
		OPENSSL_cleanse(t->psk.key, sizeof(t->psk.key));
		memcpy(t->psk.key, k.key, k.len);
		t->psk.len = k.len;
		a->mw->st->ctr[STATS_agent_tls_key_reloads]++;
		RTE_LOG(NOTICE, USER1, "agent: SIGHUP: the key of agent.psk_file \"%s\" (%zu bytes) "
			"is in force for new TLS handshakes; connected clients keep their sessions\n",
			t->path, k.len);
	}
	OPENSSL_cleanse(&k, sizeof(k));
}

/* ---- handshakes ---- */

/* agent_tls_start - see agent_priv.h. Returns 0 or -ENOMEM. */
int agent_tls_start(struct agent *a, struct agent_conn *c)
{
	cfg_fmt_addr(&c->src.ip, c->src.port, c->peer, sizeof(c->peer)); /* accept4's */
	c->handshaking = true;
	c->hs_deadline = a->mw->now +
			 (uint64_t)a->dp->cfg.agent.handshake_timeout_ms * a->dp->tsc_hz / 1000;
	return ctl_xp_tls(&c->xp, a->tls->ctx, true, c);
}

/* A handshake that failed: counted under ctr, logged, closed at the end of
 * the turn. */
static void __attribute__((format(printf, 4, 5)))
hs_fail(struct agent *a, struct agent_conn *c, enum stats_ctr ctr, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	a->mw->st->ctr[ctr]++;
	agent_conn_log(a, "connection %u from %s: %s; closed", c->id, c->peer, why);
	c->dead = true;
}

/* Whether the client's first byte can start a TLS handshake: 1 yes, 0 not
 * yet known, -1 no (it has been cut off). */
static int peek_first(struct agent *a, struct agent_conn *c)
{
	unsigned char b;
	ssize_t n = recv(c->xp.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		hs_fail(a, c, STATS_agent_tls_failed, "TLS: %s before a handshake",
			n == 0 ? "closed" : strerror(errno));
		return -1;
	}
	if (b != TLS_HANDSHAKE_RECORD) {
		hs_fail(a, c, STATS_agent_tls_not_tls, "not TLS (first byte 0x%02x%s)", b,
			b == '{' ? ", JSON in clear" : "");
		return -1;
	}
	c->peeked = true;
	return 1;
}

/* A handshake step that failed (rc from ctl_xp_handshake): why, counted. */
static void hs_refused(struct agent *a, struct agent_conn *c, int rc)
{
	struct agent_tls *t = a->tls;
	char why[80];

	if (t->bad_identity) {
		hs_fail(a, c, STATS_agent_tls_bad_identity, "TLS refused: unknown PSK identity "
			"\"%s\" (agent.psk_identity is another)", t->offered);
		return;
	}
	if (rc != -EPROTO) {
		hs_fail(a, c, STATS_agent_tls_failed, "TLS handshake: %s", rc == -ECONNRESET ?
			"closed by the client mid-way" : strerror(-rc));
		return;
	}
	switch (ctl_xp_fail_kind(&c->xp)) {
	case CTL_TLS_FAIL_BAD_KEY:
		hs_fail(a, c, STATS_agent_tls_bad_key, "TLS refused: identity \"%s\" with "
			"another key (the PSK binder does not verify)", t->psk.identity);
		break;
	case CTL_TLS_FAIL_NO_PSK:
		hs_fail(a, c, STATS_agent_tls_bad_identity, "TLS refused: no PSK offered (%s)",
			ctl_xp_why(&c->xp, why, sizeof(why)));
		break;
	default:
		hs_fail(a, c, STATS_agent_tls_failed, "TLS handshake: %s",
			ctl_xp_why(&c->xp, why, sizeof(why)));
		break;
	}
}

/* agent_tls_step - see agent_priv.h. */
bool agent_tls_step(struct agent *a, struct agent_conn *c)
{
	int rc;

	if (!c->peeked && peek_first(a, c) <= 0)
		return false;
	a->tls->bad_identity = false;
	rc = ctl_xp_handshake(&c->xp);
	if (rc == -EAGAIN || rc == -EINTR)
		return false;
	if (rc != 0) {
		hs_refused(a, c, rc);
		return false;
	}
	c->handshaking = false;
	c->last_req = a->mw->now; /* idle from here on, not from the connect */
	a->mw->st->ctr[STATS_agent_tls_handshakes]++;
	agent_conn_log(a, "connection %u from %s: TLS 1.3 (%s), identity \"%s\"", c->id,
		       c->peer, SSL_get_cipher_name(c->xp.ssl), a->tls->psk.identity);
	return true;
}

/* agent_tls_expire - see agent_priv.h. */
void agent_tls_expire(struct agent *a)
{
	if (a->tls == NULL)
		return;
	for (unsigned i = 0; i < a->n_conn; i++) {
		struct agent_conn *c = a->conn[i];

		if (!c->dead && c->handshaking && a->mw->now >= c->hs_deadline)
			hs_fail(a, c, STATS_agent_tls_timeout, "no TLS handshake within "
				"agent.handshake_timeout_ms (%u ms)",
				a->dp->cfg.agent.handshake_timeout_ms);
	}
}
