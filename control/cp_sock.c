/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_sock.c - the control socket server (docs/control.md): JSON lines on a
 * Unix stream socket, an admin socket and optionally a read-only one.
 *
 * A client is a line buffer in, a reply buffer out, and three limits that
 * keep one client from costing the others anything: a line over
 * CTL_LINE_MAX is answered with an error and the client closed; a client
 * that sends no complete request for control.idle_timeout_ms is closed
 * (one sweep timer for all clients); a client that does not read its
 * replies is closed once CLIENT_OUT_MAX bytes wait for it. Past
 * control.max_clients a new client is told so and closed. Requests of one
 * client are answered in order: while one waits for a dataplane, the
 * client's next lines wait in its buffer, and once it is answered the
 * client goes on a ready list that the loop's next turn runs (never the
 * reply's caller: that is an agent reply's callback, with the node and its
 * link in use up the stack). One callback reads at most READ_BUDGET bytes
 * of a client (epoll is level-triggered: the rest comes next turn), so a
 * client that streams does not keep the others waiting.
 *
 * A client being closed gets its last reply, then a half-close, and its
 * input is read and thrown away until it hangs up, so that the reply is
 * not lost to a reset while it is still writing.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cp.h"

#define CLIENT_OUT_MAX (16u << 20)
#define ACCEPT_BATCH 64
#define SWEEP_MIN_MS 100u
#define READ_BUDGET (256u << 10)

struct listener {
	struct ctl_io io;
	struct ctl_sock *s;
	enum ctl_access access;
	char path[CTL_CFG_PATH_MAX];
};

struct ctl_client {
	struct ctl_io io;
	struct ctl_sock *s;
	uint64_t serial;
	enum ctl_access access;
	struct ctl_buf in, out;
	uint64_t last_ms; /* connect or last complete request */
	bool busy;	  /* a request waits for a dataplane */
	bool closing;	  /* last reply queued: flush, half-close, drain */
	bool ready;	  /* on the ready list: its next lines to run */
	struct ctl_client *next, *prev;
	struct ctl_client *ready_next;
};

struct ctl_sock {
	struct ctl_cp *cp;
	struct listener ls[2];
	unsigned nls;
	struct ctl_client *clients;
	unsigned nclients;
	uint64_t next_serial;
	struct ctl_timer sweep;
	struct ctl_client *ready_head, *ready_tail; /* answered, lines to run */
	struct ctl_timer kick;			    /* runs them: 0 ms */
};

static void ready_del(struct ctl_sock *s, struct ctl_client *c)
{
	struct ctl_client **pp, *prev = NULL;

	for (pp = &s->ready_head; *pp != NULL; prev = *pp, pp = &(*pp)->ready_next) {
		if (*pp == c) {
			*pp = c->ready_next;
			if (s->ready_tail == c)
				s->ready_tail = prev;
			break;
		}
	}
	c->ready = false;
	c->ready_next = NULL;
}

static void client_free(struct ctl_client *c)
{
	struct ctl_sock *s = c->s;

	if (c->ready)
		ready_del(s, c);
	ctl_loop_del(s->cp->loop, &c->io);
	close(c->io.fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nclients--;
	ctl_buf_free(&c->in);
	ctl_buf_free(&c->out);
	free(c);
}

/* Writes what it can; when a closing client's replies are all out, its
 * write side is shut. Returns false if the client was freed. */
static bool client_flush(struct ctl_client *c)
{
	while (c->out.len > 0) {
		ssize_t w = send(c->io.fd, c->out.p, c->out.len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w < 0) {
			client_free(c);
			return false;
		}
		ctl_buf_consume(&c->out, (size_t)w);
	}
	if (c->closing && c->out.len == 0)
		shutdown(c->io.fd, SHUT_WR);
	ctl_loop_mod(c->s->cp->loop, &c->io, EPOLLIN | (c->out.len > 0 ? EPOLLOUT : 0u));
	return true;
}

/* Queues one reply line (reply consumed). Returns false if the client was
 * freed (it does not read its replies). */
static bool client_send(struct ctl_client *c, json_t *reply)
{
	char *line = json_dumps(reply, JSON_COMPACT);
	int rc = line != NULL ? 0 : -ENOMEM;

	json_decref(reply);
	if (rc == 0)
		rc = ctl_buf_append(&c->out, line, strlen(line));
	if (rc == 0)
		rc = ctl_buf_append(&c->out, "\n", 1);
	free(line);
	if (rc < 0 || c->out.len > CLIENT_OUT_MAX) {
		c->s->cp->st.bad[CTL_BAD_output_overflow]++;
		client_free(c);
		return false;
	}
	return client_flush(c);
}

/* Answers with an error and closes: for the cases after which the rest of
 * the client's stream cannot be trusted to be framed. */
static bool client_refuse(struct ctl_client *c, enum ctl_bad why, const char *err)
{
	c->s->cp->st.bad[why]++;
	c->closing = true;
	ctl_buf_free(&c->in);
	return client_send(c, ctl_reply_error(json_null(), err));
}

/* One complete line. Returns false if the client was freed. */
static bool client_line(struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_cp *cp = c->s->cp;
	json_error_t je;
	json_t *msg, *reply;
	char err[300];
	int bad = -1;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return true; /* a blank line is not a request: netcat users */
	c->last_ms = ctl_now_ms();
	cp->st.requests++;
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (msg == NULL) {
		cp->st.bad[CTL_BAD_malformed_json]++;
		snprintf(err, sizeof(err), "malformed JSON at byte %d: %s", je.position, je.text);
		return client_send(c, ctl_reply_error(json_null(), err));
	}
	reply = ctl_cmds_run(cp, c->serial, c->access, msg, &bad);
	json_decref(msg);
	if (bad >= 0)
		cp->st.bad[bad]++;
	if (reply == NULL) {
		c->busy = true;
		return true;
	}
	return client_send(c, reply);
}

/* Runs the complete lines in the buffer, in order, until one is left
 * waiting. Returns false if the client was freed. */
static bool client_lines(struct ctl_client *c)
{
	size_t start = 0;
	char *nl;

	while (!c->busy && !c->closing &&
	       (nl = memchr(c->in.p + start, '\n', c->in.len - start)) != NULL) {
		size_t len = (size_t)(nl - (c->in.p + start));

		if (len > CTL_LINE_MAX)
			return client_refuse(c, CTL_BAD_line_too_long,
					     "request line over 65536 bytes");
		if (!client_line(c, c->in.p + start, len))
			return false;
		start += len + 1;
	}
	if (c->closing)
		return true;
	ctl_buf_consume(&c->in, start);
	if (c->in.len > CTL_LINE_MAX && memchr(c->in.p, '\n', c->in.len) == NULL)
		return client_refuse(c, CTL_BAD_line_too_long, "request line over 65536 bytes");
	return true;
}

static void client_readable(struct ctl_client *c)
{
	char buf[16384];
	size_t got = 0;
	ssize_t r;

	while (got < READ_BUDGET) {
		r = recv(c->io.fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			client_free(c);
			return;
		}
		got += (size_t)r;
		if (c->closing)
			continue; /* thrown away until the client hangs up */
		/* A busy client's lines wait, but not without bound. */
		if (c->busy && c->in.len + (size_t)r > 4 * (CTL_LINE_MAX + 1u)) {
			client_refuse(c, CTL_BAD_line_too_long,
				      "too much input while a request is in progress");
			return;
		}
		if (ctl_buf_append(&c->in, buf, (size_t)r) < 0 || !client_lines(c))
			return;
	}
}

static void client_io(struct ctl_io *io, uint32_t ev)
{
	struct ctl_client *c = io->ctx;

	if ((ev & EPOLLOUT) && !client_flush(c))
		return;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_readable(c);
}

/* Runs the lines of the clients answered before this turn; those answered
 * meanwhile wait for the next one. */
static void on_kick(struct ctl_timer *t)
{
	struct ctl_sock *s = t->ctx;
	struct ctl_client *c;
	unsigned k = 0;

	for (c = s->ready_head; c != NULL; c = c->ready_next)
		k++;
	while (k-- > 0 && (c = s->ready_head) != NULL) {
		ready_del(s, c);
		client_lines(c);
	}
	if (s->ready_head != NULL)
		ctl_timer_arm(s->cp->loop, &s->kick, 0);
}

static void client_ready(struct ctl_client *c)
{
	struct ctl_sock *s = c->s;

	if (c->ready)
		return;
	c->ready = true;
	c->ready_next = NULL;
	if (s->ready_tail != NULL)
		s->ready_tail->ready_next = c;
	else
		s->ready_head = c;
	s->ready_tail = c;
	if (!s->kick.armed)
		ctl_timer_arm(s->cp->loop, &s->kick, 0);
}

static struct ctl_client *client_find(const struct ctl_cp *cp, uint64_t client)
{
	struct ctl_client *c;

	for (c = cp->sock != NULL ? cp->sock->clients : NULL; c != NULL; c = c->next)
		if (c->serial == client)
			break;
	return c;
}

void ctl_sock_reply(struct ctl_cp *cp, uint64_t client, json_t *reply)
{
	struct ctl_client *c = client_find(cp, client);

	if (c == NULL) {
		json_decref(reply); /* it hung up meanwhile */
		return;
	}
	c->busy = false;
	c->last_ms = ctl_now_ms();
	if (client_send(c, reply))
		client_ready(c);
}

/* The kernel's word on the peer (a Unix socket's credentials at connect),
 * not anything the client claims: for the state history's "by". */
int ctl_sock_peer(const struct ctl_cp *cp, uint64_t client, long *uid, long *pid)
{
	struct ctl_client *c = client_find(cp, client);
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (c == NULL || getsockopt(c->io.fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -ENOENT;
	*uid = (long)uc.uid;
	*pid = (long)uc.pid;
	return 0;
}

unsigned ctl_sock_clients(const struct ctl_cp *cp)
{
	return cp->sock != NULL ? cp->sock->nclients : 0;
}

/* ---- accepting ---- */

static void refuse_busy(struct ctl_sock *s, int fd)
{
	char line[128];
	int n = snprintf(line, sizeof(line),
			 "{\"id\":null,\"ok\":false,\"error\":\"too many clients "
			 "(control.max_clients %lld)\"}\n",
			 (long long)s->cp->cfg.max_clients);

	s->cp->st.bad[CTL_BAD_too_many_clients]++;
	/* best effort: a fresh socket's buffer takes one short line */
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;
	close(fd);
}

static void client_new(struct listener *l, int fd)
{
	struct ctl_sock *s = l->s;
	struct ctl_client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return;
	}
	c->s = s;
	c->serial = ++s->next_serial;
	c->access = l->access;
	c->last_ms = ctl_now_ms();
	c->io.fd = fd;
	c->io.cb = client_io;
	c->io.ctx = c;
	if (ctl_loop_add(s->cp->loop, &c->io, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = c;
	s->clients = c;
	s->nclients++;
	s->cp->st.clients_accepted++;
}

static void on_accept(struct ctl_io *io, uint32_t ev)
{
	struct listener *l = io->ctx;
	int i, fd;

	(void)ev;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				ctl_log(CTL_LOG_WARNING, "%s: accept: %s", l->path, strerror(errno));
			return;
		}
		if (l->s->nclients >= (unsigned)l->s->cp->cfg.max_clients)
			refuse_busy(l->s, fd);
		else
			client_new(l, fd);
	}
}

/* Closes the clients that said nothing for idle_timeout_ms, and the
 * closing ones that never hung up. */
static void on_sweep(struct ctl_timer *t)
{
	struct ctl_sock *s = t->ctx;
	uint64_t now = ctl_now_ms(), idle = (uint64_t)s->cp->cfg.idle_timeout_ms;
	struct ctl_client *c, *next;

	for (c = s->clients; c != NULL; c = next) {
		next = c->next;
		if (c->busy || now - c->last_ms < idle)
			continue;
		if (c->closing) {
			client_free(c);
			continue;
		}
		c->last_ms = now; /* a closing client gets one more period */
		client_refuse(c, CTL_BAD_idle_timeout,
			      "idle timeout: no complete request within control.idle_timeout_ms");
	}
	ctl_timer_arm(s->cp->loop, &s->sweep,
		      idle / 4 > SWEEP_MIN_MS ? (idle / 4 < 1000 ? idle / 4 : 1000) : SWEEP_MIN_MS);
}

/* ---- listening sockets ---- */

/* Makes the socket's directory (like mkdir -p, mode 0755) and removes a
 * stale socket file; refuses to take over one that a live process still
 * listens on, or a path that is not a socket. */
static int prepare_path(const char *path)
{
	char dir[CTL_CFG_PATH_MAX], *p;
	struct stat st;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ctl_log(CTL_LOG_ERR, "%s: mkdir %s: %s", path, dir, strerror(errno));
			return -errno;
		}
		*p = '/';
	}
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		ctl_log(CTL_LOG_ERR, "%s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		ctl_log(CTL_LOG_ERR, "%s: another process is listening on it (a second "
				     "sipedge-control?)", path);
		return -EADDRINUSE;
	}
	unlink(path);
	return 0;
}

static int set_owner(const char *path, int64_t mode, const char *group)
{
	struct group *g;

	if (group[0] != '\0') {
		g = getgrnam(group);
		if (g == NULL) {
			ctl_log(CTL_LOG_ERR, "control.socket_group: no group \"%s\"", group);
			return -ENOENT;
		}
		if (chown(path, (uid_t)-1, g->gr_gid) < 0) {
			ctl_log(CTL_LOG_ERR, "%s: chown to group \"%s\": %s", path, group,
				strerror(errno));
			return -errno;
		}
	}
	if (chmod(path, (mode_t)mode) < 0) {
		ctl_log(CTL_LOG_ERR, "%s: chmod %04llo: %s", path, (long long)mode, strerror(errno));
		return -errno;
	}
	return 0;
}

static int listen_on(struct ctl_sock *s, const char *path, int64_t mode, enum ctl_access access)
{
	struct listener *l = &s->ls[s->nls];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, rc;

	rc = prepare_path(path);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	old = umask(0177); /* nobody else may connect before the chmod */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 1024) < 0) {
		rc = -errno;
		ctl_log(CTL_LOG_ERR, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	rc = set_owner(path, mode, s->cp->cfg.socket_group);
	if (rc == 0) {
		l->io.fd = fd;
		l->io.cb = on_accept;
		l->io.ctx = l;
		l->s = s;
		l->access = access;
		snprintf(l->path, sizeof(l->path), "%s", path);
		rc = ctl_loop_add(s->cp->loop, &l->io, EPOLLIN);
	}
	if (rc < 0) {
		close(fd);
		unlink(path);
		return rc;
	}
	s->nls++;
	return 0;
}

int ctl_sock_open(struct ctl_cp *cp)
{
	struct ctl_sock *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return -ENOMEM;
	s->cp = cp;
	cp->sock = s;
	rc = listen_on(s, cp->cfg.socket, cp->cfg.socket_mode, CTL_ACCESS_ADMIN);
	if (rc == 0 && cp->cfg.ro_socket[0] != '\0')
		rc = listen_on(s, cp->cfg.ro_socket, cp->cfg.ro_socket_mode, CTL_ACCESS_READ);
	if (rc < 0) {
		ctl_sock_close(cp);
		return rc;
	}
	s->sweep.cb = on_sweep;
	s->sweep.ctx = s;
	s->kick.cb = on_kick;
	s->kick.ctx = s;
	ctl_timer_arm(cp->loop, &s->sweep, SWEEP_MIN_MS);
	return 0;
}

void ctl_sock_close(struct ctl_cp *cp)
{
	struct ctl_sock *s = cp->sock;
	unsigned i;

	if (s == NULL)
		return;
	while (s->clients != NULL)
		client_free(s->clients);
	for (i = 0; i < s->nls; i++) {
		ctl_loop_del(cp->loop, &s->ls[i].io);
		close(s->ls[i].io.fd);
		unlink(s->ls[i].path);
	}
	ctl_timer_cancel(cp->loop, &s->sweep);
	ctl_timer_cancel(cp->loop, &s->kick);
	free(s);
	cp->sock = NULL;
}
