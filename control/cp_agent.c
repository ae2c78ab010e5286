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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

static void flush_out(struct ctl_node *n)
{
	while (n->out.len > 0) {
		ssize_t w = send(n->io.fd, n->out.p, n->out.len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			ctl_agent_fail(n, strerror(errno));
			return;
		}
		ctl_buf_consume(&n->out, (size_t)w);
	}
	ctl_loop_mod(n->cp->loop, &n->io, EPOLLIN | (n->out.len > 0 ? EPOLLOUT : 0u));
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

/* Closes the socket and fails every pending request. Logs only when the
 * reason changes, so a dataplane that stays away is one line, not one per
 * attempt. The pending list is taken off the node before any callback
 * runs: a callback may start the link again (a reload), and its new
 * requests are not this link's to fail. */
static void link_close(struct ctl_node *n, const char *why)
{
	struct ctl_pending *p, *head;
	bool was_up = n->link != CTL_LINK_DOWN;

	if (strcmp(why, "stopped") != 0 && (was_up || strcmp(n->last_error, why) != 0))
		ctl_log(was_up ? CTL_LOG_WARNING : CTL_LOG_NOTICE, "node %s: %s: %s", n->name,
			n->socket, why);
	snprintf(n->last_error, sizeof(n->last_error), "%s", why);
	if (n->io.fd >= 0) {
		ctl_loop_del(n->cp->loop, &n->io);
		close(n->io.fd);
		n->io.fd = -1;
	}
	if (was_up)
		n->disconnects++;
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

static void on_readable(struct ctl_node *n)
{
	uint64_t gen = n->link_gen;
	char buf[65536];
	ssize_t r;

	for (;;) {
		r = recv(n->io.fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			ctl_agent_fail(n, r == 0 ? "connection closed by the dataplane"
						 : strerror(errno));
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

static void on_io(struct ctl_io *io, uint32_t ev)
{
	struct ctl_node *n = io->ctx;
	uint64_t gen = n->link_gen;

	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(n);
	if (n->link_gen == gen && (ev & EPOLLOUT))
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

static void agent_connect(struct ctl_node *n)
{
	int fd = open_unix(n->socket);
	char why[200];

	if (fd < 0) {
		n->connect_failures++;
		snprintf(why, sizeof(why), "connect: %s", strerror(-fd));
		ctl_agent_fail(n, why);
		return;
	}
	n->io.fd = fd;
	n->io.cb = on_io;
	n->io.ctx = n;
	if (ctl_loop_add(n->cp->loop, &n->io, EPOLLIN) < 0) {
		close(fd);
		n->io.fd = -1;
		ctl_agent_fail(n, "epoll");
		return;
	}
	set_link(n, CTL_LINK_HELLO);
	ctl_agent_send(n, json_pack("{s:s, s:i}", "cmd", "hello", "proto", AGENT_PROTO), on_hello,
		       NULL);
}

void ctl_agent_start(struct ctl_node *n)
{
	n->io.fd = -1;
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
}
