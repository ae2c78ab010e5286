/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_agent.c - sipedge-control's link to each dataplane's agent socket
 * (docs/agent.md): connect, hello, resync (cp_push.c), a snapshot every
 * collect_interval_ms; on any failure the link is closed and retried after
 * a backoff that doubles from agent.reconnect_min_ms to reconnect_max_ms.
 *
 * Requests are answered in order, so pending requests are a FIFO and each
 * reply must carry the id of its head; anything else means the two sides
 * are out of step, and the only safe answer is to drop the link and start
 * again from hello. The dataplane never waits for us: a request it does not
 * answer within agent.request_timeout_ms drops the link too.
 *
 * The bytes go over a Unix socket, or TCP with TLS 1.3 and a pre-shared
 * key (a dataplane on another host; cp_tls.c): then the connect and the
 * handshake run in the loop, non-blocking, before the hello (already
 * queued) is written, and the hello's timeout bounds them too. Nothing
 * above the transport (flush_out, on_readable) knows which it is.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "cp.h"

#define AGENT_PROTO 1

struct ctl_pending {
	uint64_t id;
	uint64_t sent_ms;
	ctl_agent_cb cb;
	void *arg;
	struct ctl_pending *next;
};

static void agent_connect(struct ctl_node *n);

/* ---- buffers ---- */

int ctl_buf_append(struct ctl_buf *b, const char *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void ctl_buf_consume(struct ctl_buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void ctl_buf_free(struct ctl_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

const char *ctl_link_name(enum ctl_link l)
{
	switch (l) {
	case CTL_LINK_DOWN:
		return "down";
	case CTL_LINK_HELLO:
		return "hello";
	case CTL_LINK_SYNC:
		return "sync";
	case CTL_LINK_UP:
		return "up";
	}
	return "?";
}

static void set_link(struct ctl_node *n, enum ctl_link l)
{
	n->link = l;
	n->link_since_ms = ctl_now_ms();
}

/* ---- requests ---- */

static void arm_request_timer(struct ctl_node *n)
{
	uint64_t due, now = ctl_now_ms();

	if (n->pend_head == NULL) {
		ctl_timer_cancel(n->cp->loop, &n->t_request);
		return;
	}
	due = n->pend_head->sent_ms + (uint64_t)n->cp->cfg.request_timeout_ms;
	ctl_timer_arm(n->cp->loop, &n->t_request, due > now ? due - now : 0);
}

/* A transport error as the link's last error says it. */
static const char *xp_error(const struct ctl_node *n, ssize_t rc, char *buf, size_t len)
{
	char why[120];

	if (rc == -EPROTO && n->xp.ssl != NULL)
		snprintf(buf, len, "TLS: %s", ctl_xp_why(&n->xp, why, sizeof(why)));
	else
		snprintf(buf, len, "%s", strerror((int)-rc));
	return buf;
}

/* Writes what the transport takes. Before it is ready (TCP connecting, TLS
 * handshaking) only waits for it. */
static void flush_out(struct ctl_node *n)
{
	char why[160];

	if (n->connecting || n->handshaking) {
		ctl_loop_mod(n->cp->loop, &n->io, n->connecting || n->xp.want_write ? EPOLLOUT
										 : EPOLLIN);
		return;
	}
	while (n->out.len > 0) {
		ssize_t w = ctl_xp_write(&n->xp, n->out.p, n->out.len);

		if (w == -EINTR)
			continue;
		if (w == -EAGAIN)
			break;
		if (w < 0) {
			ctl_agent_fail(n, xp_error(n, w, why, sizeof(why)));
			return;
		}
		ctl_buf_consume(&n->out, (size_t)w);
	}
	ctl_loop_mod(n->cp->loop, &n->io,
		     EPOLLIN | (n->out.len > 0 || n->xp.want_write ? EPOLLOUT : 0u));
}

int ctl_agent_send(struct ctl_node *n, json_t *req, ctl_agent_cb cb, void *arg)
{
	struct ctl_pending *p;
	char *line;
	int rc;

	if (n->link == CTL_LINK_DOWN) {
		json_decref(req);
		return -ENOTCONN;
	}
	p = calloc(1, sizeof(*p));
	json_object_set_new(req, "id", json_integer((json_int_t)++n->next_id));
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (p == NULL || line == NULL) {
		free(p);
		free(line);
		ctl_agent_fail(n, "out of memory");
		return -ENOTCONN;
	}
	rc = ctl_buf_append(&n->out, line, strlen(line));
	if (rc == 0)
		rc = ctl_buf_append(&n->out, "\n", 1);
	free(line);
	p->id = n->next_id;
	p->sent_ms = ctl_now_ms();
	p->cb = cb;
	p->arg = arg;
	if (n->pend_tail != NULL)
		n->pend_tail->next = p;
	else
		n->pend_head = p;
	n->pend_tail = p;
	if (rc < 0) {
		ctl_agent_fail(n, "out of memory");
		return 0; /* cb was called with NULL */
	}
	if (n->pend_head == p)
		arm_request_timer(n);
	flush_out(n);
	return 0;
}

static struct ctl_pending *pop_pending(struct ctl_node *n)
{
	struct ctl_pending *p = n->pend_head;

	if (p != NULL) {
		n->pend_head = p->next;
		if (n->pend_head == NULL)
			n->pend_tail = NULL;
	}
	return p;
}

/* ---- failure and reconnection ---- */

static void schedule_reconnect(struct ctl_node *n)
{
	const struct ctl_cfg *c = &n->cp->cfg;

	if (n->backoff_ms < (uint64_t)c->reconnect_min_ms)
		n->backoff_ms = (uint64_t)c->reconnect_min_ms;
	ctl_timer_arm(n->cp->loop, &n->t_reconnect, n->backoff_ms);
	n->backoff_ms *= 2;
	if (n->backoff_ms > (uint64_t)c->reconnect_max_ms)
		n->backoff_ms = (uint64_t)c->reconnect_max_ms;
}

/* Closes the socket and fails every pending request. A link is up once
 * its hello is answered: closed before that (a connect, a TLS handshake
 * or a hello that failed) it is a failed attempt, counted in
 * connect_failures and logged only when the reason changes, so that a
 * dataplane that stays away is one line, not one per attempt; closed
 * after, it is a disconnect, always logged. The pending list is taken off
 * the node before any callback runs: a callback may start the link again
 * (a reload), and its new requests are not this link's to fail. */
static void link_close(struct ctl_node *n, const char *why)
{
	struct ctl_pending *p, *head;
	bool was_up = n->link == CTL_LINK_SYNC || n->link == CTL_LINK_UP;
	bool stopped = strcmp(why, "stopped") == 0;

	if (!stopped && (was_up || strcmp(n->last_error, why) != 0))
		ctl_log(was_up ? CTL_LOG_WARNING : CTL_LOG_NOTICE, "node %s: %s: %s", n->name,
			n->socket[0] != '\0' ? n->socket : n->where.address, why);
	snprintf(n->last_error, sizeof(n->last_error), "%s", why);
	if (n->io.fd >= 0) {
		ctl_loop_del(n->cp->loop, &n->io);
		ctl_xp_close(&n->xp);
		n->io.fd = -1;
	}
	n->connecting = n->handshaking = false;
	if (was_up)
		n->disconnects++;
	else if (!stopped)
		n->connect_failures++;
	set_link(n, CTL_LINK_DOWN);
	n->link_gen++;
	n->snap_pending = false;
	n->pushing = false;
	ctl_buf_free(&n->in);
	ctl_buf_free(&n->out);
	ctl_timer_cancel(n->cp->loop, &n->t_request);
	ctl_timer_cancel(n->cp->loop, &n->t_collect);
	head = n->pend_head;
	n->pend_head = n->pend_tail = NULL;
	while ((p = head) != NULL) {
		head = p->next;
		p->cb(n, NULL, p->arg);
		free(p);
	}
	/* a ruleset transfer with no request out (loaded, waiting for the
	 * other nodes) has no callback above to tell it */
	ctl_rs_link_down(n);
}

void ctl_agent_fail(struct ctl_node *n, const char *why)
{
	char copy[sizeof(n->last_error)];

	/* why may point into n->last_error or a reply being freed */
	snprintf(copy, sizeof(copy), "%s", why);
	link_close(n, copy);
	schedule_reconnect(n);
}

static void on_request_timeout(struct ctl_timer *t)
{
	struct ctl_node *n = t->ctx;

	/* over TCP the hello's time covers the connect and the handshake */
	if (n->connecting || n->handshaking) {
		ctl_agent_fail(n, n->connecting ? "connect timed out (agent.request_timeout_ms)"
				  : "TLS handshake timed out (agent.request_timeout_ms)");
		return;
	}
	n->agent_errors++;
	ctl_agent_fail(n, "request timed out (agent.request_timeout_ms)");
}

static void on_reconnect(struct ctl_timer *t)
{
	agent_connect(t->ctx);
}

/* ---- replies ---- */

static void handle_reply(struct ctl_node *n, json_t *r)
{
	json_t *id = json_object_get(r, "id");
	struct ctl_pending *p;
	char why[300];

	if (n->pend_head == NULL || !json_is_integer(id) ||
	    (uint64_t)json_integer_value(id) != n->pend_head->id) {
		const char *e = json_string_value(json_object_get(r, "error"));

		n->agent_errors++;
		if (e != NULL)
			snprintf(why, sizeof(why), "dataplane said: %s", e);
		else
			snprintf(why, sizeof(why), "reply out of step (id %s)",
				 json_is_integer(id) ? "unexpected" : "missing");
		ctl_agent_fail(n, why);
		return;
	}
	p = pop_pending(n);
	arm_request_timer(n);
	p->cb(n, r, p->arg);
	free(p);
}

static void handle_line(struct ctl_node *n, const char *line, size_t len)
{
	json_error_t je;
	json_t *r = json_loadb(line, len, 0, &je);
	char why[300];

	if (!json_is_object(r)) {
		n->agent_errors++;
		snprintf(why, sizeof(why), "bad reply line: %s", r == NULL ? je.text : "not an object");
		json_decref(r);
		ctl_agent_fail(n, why);
		return;
	}
	handle_reply(n, r);
	json_decref(r);
}

static void read_lines(struct ctl_node *n)
{
	uint64_t gen = n->link_gen;
	size_t start = 0;
	char *nl;

	/* A callback may close the link (and free the buffer), and even open
	 * it again: stop then, the rest of this buffer was the old link's. */
	while (n->link_gen == gen &&
	       (nl = memchr(n->in.p + start, '\n', n->in.len - start)) != NULL) {
		size_t len = (size_t)(nl - (n->in.p + start));

		handle_line(n, n->in.p + start, len);
		start += len + 1;
	}
	if (n->link_gen == gen)
		ctl_buf_consume(&n->in, start);
}

/* Reads until the transport has no more (TLS included: what it holds
 * decrypted is read too, no event would tell of it). */
static void on_readable(struct ctl_node *n)
{
	uint64_t gen = n->link_gen;
	char buf[65536], why[160];
	ssize_t r;

	for (;;) {
		r = ctl_xp_read(&n->xp, buf, sizeof(buf));
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN) {
			if (n->xp.want_write)
				flush_out(n);
			return;
		}
		if (r <= 0) {
			ctl_agent_fail(n, r == 0 ? "connection closed by the dataplane"
						 : xp_error(n, r, why, sizeof(why)));
			return;
		}
		if (n->in.len + (size_t)r > CTL_AGENT_LINE_MAX ||
		    ctl_buf_append(&n->in, buf, (size_t)r) < 0) {
			n->agent_errors++;
			ctl_agent_fail(n, "reply line over 16 MiB");
			return;
		}
		read_lines(n);
		if (n->link_gen != gen)
			return;
	}
}

static void tcp_connected(struct ctl_node *n);
static void tls_step(struct ctl_node *n);

static void on_io(struct ctl_io *io, uint32_t ev)
{
	struct ctl_node *n = io->ctx;
	uint64_t gen = n->link_gen;

	if (n->connecting) {
		tcp_connected(n);
		return;
	}
	if (n->handshaking) {
		tls_step(n);
		return;
	}
	/* TLS may need the socket writable to read, or readable to write */
	if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) || (n->xp.ssl != NULL && (ev & EPOLLOUT)))
		on_readable(n);
	if (n->link_gen == gen && (ev & (EPOLLOUT | EPOLLIN)))
		flush_out(n);
}

/* ---- hello and snapshots ---- */

static void on_hello(struct ctl_node *n, json_t *r, void *arg)
{
	json_t *sv;
	char why[300];

	(void)arg;
	if (r == NULL)
		return;
	sv = json_object_get(r, "state_version");
	if (!json_is_true(json_object_get(r, "ok")) || !json_is_integer(sv)) {
		n->agent_errors++;
		snprintf(why, sizeof(why), "hello refused: %s",
			 json_is_string(json_object_get(r, "error"))
				 ? json_string_value(json_object_get(r, "error"))
				 : "no state_version in the reply");
		ctl_agent_fail(n, why);
		return;
	}
	json_decref(n->hello);
	n->hello = json_deep_copy(r);
	json_object_del(n->hello, "id");
	json_object_del(n->hello, "ok");
	/* a new connection, maybe a new process: only what it says now counts */
	n->dp_highest_version = 0;
	ctl_push_versions(n, r);
	n->backoff_ms = 0;
	n->connects++;
	n->last_error[0] = '\0';
	set_link(n, CTL_LINK_SYNC);
	ctl_log(CTL_LOG_INFO, "node %s: connected (dataplane pid %lld, state version %llu)", n->name,
		(long long)json_integer_value(json_object_get(r, "pid")),
		(unsigned long long)n->dp_state_version);
	ctl_push_resync(n);
	if (n->link != CTL_LINK_DOWN)
		ctl_rs_hello(n, n->hello);
}

static void on_snapshot(struct ctl_node *n, json_t *r, void *arg)
{
	(void)arg;
	n->snap_pending = false;
	if (r == NULL)
		return;
	if (!json_is_true(json_object_get(r, "ok"))) {
		n->agent_errors++;
		return;
	}
	n->snapshots++;
	ctl_stats_take(n, r);
}

static void on_collect(struct ctl_timer *t)
{
	struct ctl_node *n = t->ctx;

	if (n->link != CTL_LINK_UP)
		return;
	ctl_timer_arm(n->cp->loop, &n->t_collect, (uint64_t)n->cp->cfg.collect_interval_ms);
	if (n->snap_pending)
		return; /* a slow dataplane: never queue a second one */
	n->snap_pending = true;
	ctl_agent_send(n, json_pack("{s:s}", "cmd", "snapshot"), on_snapshot, NULL);
}

void ctl_agent_ready(struct ctl_node *n)
{
	if (n->link == CTL_LINK_DOWN)
		return;
	set_link(n, CTL_LINK_UP);
	ctl_timer_arm(n->cp->loop, &n->t_collect, 0);
}

/* ---- connecting ---- */

static int open_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* A Unix connect completes at once or fails at once: EAGAIN means the
	 * listener's backlog is full, which we treat as any other failure. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* A non-blocking TCP connect to addr (checked by the config loader): the
 * fd, connected or in progress, or -errno. */
static int open_tcp(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, e;

	if (ctl_addr_parse(addr, &ss, &sl) != 0)
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* requests are small lines, each waited for: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0 || errno == EINPROGRESS)
		return fd;
	e = errno;
	close(fd);
	return -e;
}

/* The client's PSK: the node's key under its identity, for a suite that
 * hashes as the key's session does (else none: the handshake fails). */
static int use_psk(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
		   SSL_SESSION **sess)
{
	const struct ctl_node *n = SSL_get_app_data(ssl);

	*id = NULL;
	*idlen = 0;
	*sess = NULL;
	if (!ctl_tls_psk_hash_ok(ssl, md))
		return 1;
	*sess = ctl_tls_session(ssl, &n->where.psk);
	if (*sess == NULL)
		return 0;
	*id = (const unsigned char *)n->where.psk.identity;
	*idlen = strlen(n->where.psk.identity);
	return 1;
}

/* The TCP connect is over (the socket is writable or in error): the TLS
 * handshake starts. */
static void tcp_connected(struct ctl_node *n)
{
	int e = 0;
	socklen_t el = sizeof(e);
	char why[160];

	if (getsockopt(n->io.fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
		e = errno;
	if (e != 0) {
		snprintf(why, sizeof(why), "connect: %s", strerror(e));
		ctl_agent_fail(n, why);
		return;
	}
	n->connecting = false;
	if (ctl_xp_tls(&n->xp, n->tls_ctx, false, n) != 0) {
		ctl_agent_fail(n, "TLS: out of memory");
		return;
	}
	n->handshaking = true;
	tls_step(n);
}

/* The handshake's next step; done, the queued hello goes out. A refusal
 * says what the operator can do about it. */
static void tls_step(struct ctl_node *n)
{
	int rc = ctl_xp_handshake(&n->xp);
	char why[200], r[120];

	if (rc == 0) {
		n->handshaking = false;
		flush_out(n);
		return;
	}
	if (rc == -EAGAIN || rc == -EINTR) {
		flush_out(n); /* waits for what the step asked */
		return;
	}
	if (rc == -ECONNRESET)
		snprintf(why, sizeof(why), "TLS handshake: closed by the peer (not a TLS "
			 "listener of sipedge? its agent.max_clients all connected?)");
	else if (rc == -EPROTO && ctl_xp_fail_kind(&n->xp) != CTL_TLS_FAIL_OTHER)
		snprintf(why, sizeof(why), "TLS handshake: bad PSK or identity (identity \"%s\"; "
			 "the dataplane said: %s)", n->where.psk.identity,
			 ctl_xp_why(&n->xp, r, sizeof(r)));
	else
		snprintf(why, sizeof(why), "TLS handshake: %s", xp_error(n, rc, r, sizeof(r)));
	ctl_agent_fail(n, why);
}

/* A TCP node's TLS context, made on its first attempt, or on the next
 * one when it could not be made then: a failure is a failed attempt,
 * retried with the backoff like any other. Returns 0, or -ENOMEM with the
 * reason in why. */
static int tls_ctx_get(struct ctl_node *n, char *why, size_t len)
{
	if (n->tls_ctx != NULL)
		return 0;
	n->tls_ctx = ctl_tls_ctx_new(false, why, len);
	if (n->tls_ctx == NULL)
		return -ENOMEM;
	SSL_CTX_set_psk_use_session_callback(n->tls_ctx, use_psk);
	return 0;
}

static void agent_connect(struct ctl_node *n)
{
	bool tcp = n->where.address[0] != '\0';
	char why[200];
	int fd;

	if (tcp && tls_ctx_get(n, why, sizeof(why)) != 0) {
		ctl_agent_fail(n, why);
		return;
	}
	fd = tcp ? open_tcp(n->where.address) : open_unix(n->socket);
	if (fd < 0) {
		snprintf(why, sizeof(why), "connect: %s", strerror(-fd));
		ctl_agent_fail(n, why);
		return;
	}
	n->io.fd = n->xp.fd = fd;
	n->io.cb = on_io;
	n->io.ctx = n;
	n->connecting = tcp;
	if (ctl_loop_add(n->cp->loop, &n->io, tcp ? EPOLLOUT : EPOLLIN) < 0) {
		ctl_xp_close(&n->xp);
		n->io.fd = -1;
		n->connecting = false;
		ctl_agent_fail(n, "epoll");
		return;
	}
	set_link(n, CTL_LINK_HELLO);
	ctl_agent_send(n, json_pack("{s:s, s:i}", "cmd", "hello", "proto", AGENT_PROTO), on_hello,
		       NULL);
}

/* ctl_agent_start - see cp.h. A TLS node gets its context with its first
 * attempt (agent_connect). */
void ctl_agent_start(struct ctl_node *n)
{
	n->io.fd = n->xp.fd = -1;
	n->t_reconnect.cb = on_reconnect;
	n->t_reconnect.ctx = n;
	n->t_request.cb = on_request_timeout;
	n->t_request.ctx = n;
	n->t_collect.cb = on_collect;
	n->t_collect.ctx = n;
	set_link(n, CTL_LINK_DOWN);
	agent_connect(n);
}

void ctl_agent_stop(struct ctl_node *n)
{
	if (n->link != CTL_LINK_DOWN)
		link_close(n, "stopped");
	/* a callback of link_close may have armed one again */
	ctl_timer_cancel(n->cp->loop, &n->t_reconnect);
	ctl_timer_cancel(n->cp->loop, &n->t_request);
	ctl_timer_cancel(n->cp->loop, &n->t_collect);
	SSL_CTX_free(n->tls_ctx);
	n->tls_ctx = NULL;
}
