/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_loop.c - epoll, timers and signals for sipedge-control (cp_loop.h).
 *
 * Timers are a singly linked list sorted by due time: the daemon has a few
 * per node and a handful of its own (clients' idle timeouts are one sweep
 * timer, not one each), so an O(n) insert is cheaper than a heap's code.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cp_loop.h"

#define LOOP_BATCH 64

struct ctl_loop {
	int epfd;
	bool stop;
	struct ctl_timer *timers; /* sorted by due_ms, earliest first */
	/* The batch being dispatched, so that ctl_loop_del can blank an
	 * event already fetched for an io that its owner is freeing. */
	struct epoll_event *batch;
	int nbatch;
	struct ctl_io sig_io;
	void (*sig_cb)(int sig, void *ctx);
	void *sig_ctx;
};

uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct ctl_loop *ctl_loop_new(void)
{
	struct ctl_loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;

		free(l);
		errno = e;
		return NULL;
	}
	l->sig_io.fd = -1;
	return l;
}

void ctl_loop_free(struct ctl_loop *l)
{
	if (l == NULL)
		return;
	if (l->sig_io.fd >= 0) {
		ctl_loop_del(l, &l->sig_io);
		close(l->sig_io.fd);
	}
	close(l->epfd);
	free(l);
}

int ctl_loop_add(struct ctl_loop *l, struct ctl_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	io->added = true;
	return 0;
}

int ctl_loop_mod(struct ctl_loop *l, struct ctl_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};

	if (!io->added)
		return -EINVAL;
	if (io->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

void ctl_loop_del(struct ctl_loop *l, struct ctl_io *io)
{
	int i;

	if (!io->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->added = false;
	for (i = 0; i < l->nbatch; i++)
		if (l->batch[i].data.ptr == io)
			l->batch[i].data.ptr = NULL;
}

void ctl_timer_cancel(struct ctl_loop *l, struct ctl_timer *t)
{
	struct ctl_timer **pp;

	if (!t->armed)
		return;
	for (pp = &l->timers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void ctl_timer_arm(struct ctl_loop *l, struct ctl_timer *t, uint64_t ms)
{
	struct ctl_timer **pp;

	ctl_timer_cancel(l, t);
	t->due_ms = ctl_now_ms() + ms;
	for (pp = &l->timers; *pp != NULL && (*pp)->due_ms <= t->due_ms; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = true;
}

static void sig_ready(struct ctl_io *io, uint32_t events)
{
	struct ctl_loop *l = io->ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		l->sig_cb((int)si.ssi_signo, l->sig_ctx);
}

int ctl_loop_signals(struct ctl_loop *l, const int *sigs, void (*cb)(int sig, void *ctx),
		     void *ctx)
{
	sigset_t set;
	int fd, rc;

	sigemptyset(&set);
	for (; *sigs != 0; sigs++)
		sigaddset(&set, *sigs);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	l->sig_io.fd = fd;
	l->sig_io.cb = sig_ready;
	l->sig_io.ctx = l;
	l->sig_cb = cb;
	l->sig_ctx = ctx;
	rc = ctl_loop_add(l, &l->sig_io, EPOLLIN);
	if (rc < 0) {
		close(fd);
		l->sig_io.fd = -1;
	}
	return rc;
}

/* Fires every timer that is due; a callback may re-arm its own timer (it
 * then goes back into the list for a later turn, never this one). */
static void run_timers(struct ctl_loop *l)
{
	uint64_t now = ctl_now_ms();

	while (l->timers != NULL && l->timers->due_ms <= now) {
		struct ctl_timer *t = l->timers;

		l->timers = t->next;
		t->next = NULL;
		t->armed = false;
		t->cb(t);
	}
}

static int next_timeout(const struct ctl_loop *l)
{
	uint64_t now;

	if (l->timers == NULL)
		return -1;
	now = ctl_now_ms();
	if (l->timers->due_ms <= now)
		return 0;
	if (l->timers->due_ms - now > 60000)
		return 60000;
	return (int)(l->timers->due_ms - now);
}

int ctl_loop_run(struct ctl_loop *l)
{
	struct epoll_event evs[LOOP_BATCH];
	int i, n;

	l->stop = false;
	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, LOOP_BATCH, next_timeout(l));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->batch = evs;
		l->nbatch = n;
		for (i = 0; i < n && !l->stop; i++) {
			struct ctl_io *io = evs[i].data.ptr;

			if (io != NULL)
				io->cb(io, evs[i].events);
		}
		l->batch = NULL;
		l->nbatch = 0;
		run_timers(l);
	}
	return 0;
}

void ctl_loop_stop(struct ctl_loop *l)
{
	l->stop = true;
}
