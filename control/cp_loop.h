/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_loop.h - sipedge-control's one event loop: epoll for file descriptors,
 * a sorted list of one-shot timers, signalfd for signals.
 *
 * Everything in the daemon runs on the thread that calls ctl_loop_run(): the
 * control socket, the agent links, the metrics server and the timers. No
 * callback may block; a callback may add, modify or remove any fd or timer,
 * its own included (removal while an event for that fd is still queued in
 * the same epoll batch is handled: see ctl_loop_del).
 */
#ifndef SIPEDGE_CP_LOOP_H
#define SIPEDGE_CP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ctl_loop;

/* One watched fd. The owner embeds it and keeps it alive while added. */
struct ctl_io {
	int fd;
	uint32_t events; /* EPOLLIN, EPOLLOUT, ... as added */
	void (*cb)(struct ctl_io *io, uint32_t events);
	void *ctx;
	bool added;
};

/* One one-shot timer. The owner embeds it; arming an armed timer moves it. */
struct ctl_timer {
	uint64_t due_ms; /* ctl_now_ms() clock */
	void (*cb)(struct ctl_timer *t);
	void *ctx;
	struct ctl_timer *next;
	bool armed;
};

/* Monotonic milliseconds. */
uint64_t ctl_now_ms(void);

/* Constructor: NULL with errno on failure. Owned by the caller. */
struct ctl_loop *ctl_loop_new(void);
void ctl_loop_free(struct ctl_loop *l);

/* Watch io->fd for events. Returns 0 or -errno. */
int ctl_loop_add(struct ctl_loop *l, struct ctl_io *io, uint32_t events);
/* Change the events watched (no-op when unchanged). Returns 0 or -errno. */
int ctl_loop_mod(struct ctl_loop *l, struct ctl_io *io, uint32_t events);
/* Stop watching; safe on an io that is not added. The fd is not closed, and
 * an event of this batch already fetched for it is not delivered. */
void ctl_loop_del(struct ctl_loop *l, struct ctl_io *io);

/* Fire t->cb once, in ms milliseconds (0: on the next turn). */
void ctl_timer_arm(struct ctl_loop *l, struct ctl_timer *t, uint64_t ms);
void ctl_timer_cancel(struct ctl_loop *l, struct ctl_timer *t);

/* Signals: each one in sigs[] (0-terminated) is blocked and delivered to cb
 * from the loop. Returns 0 or -errno. */
int ctl_loop_signals(struct ctl_loop *l, const int *sigs, void (*cb)(int sig, void *ctx),
		     void *ctx);

/* Run until ctl_loop_stop(). Returns 0, or -errno if epoll_wait failed. */
int ctl_loop_run(struct ctl_loop *l);
void ctl_loop_stop(struct ctl_loop *l);

#endif /* SIPEDGE_CP_LOOP_H */
