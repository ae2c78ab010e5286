/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_client.c - sipedgectl's control socket client and table printer
 * (ctl_client.h). Every error names the socket and says what to do: the
 * commonest failures are a daemon that is not running and a user who is
 * not in the socket's group.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"

#define REPLY_MAX (64u << 20)

static void conn_error(const struct ctl_conn *c, int e)
{
	const char *hint = "";

	if (e == ENOENT)
		hint = " (is sipedge-control running? --socket PATH names another socket)";
	else if (e == EACCES || e == EPERM)
		hint = " (the socket is for the sipedge-control group: are you in it? the read-only "
		       "socket serves read commands)";
	else if (e == ECONNREFUSED)
		hint = " (nobody listens on it: sipedge-control is not running)";
	fprintf(stderr, "sipedgectl %s: %s: %s%s\n", c->cmd, c->path, strerror(e), hint);
}

int ctl_conn_open(struct ctl_conn *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	c->path = a->str[CTL_RO_SOCKET];
	c->cmd = cmd->name;
	c->timeout_ms = (a->set[CTL_RO_TIMEOUT] ? a->val[CTL_RO_TIMEOUT] : 10u) * 1000u;
	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sipedgectl %s: --socket \"%s\" is longer than %zu bytes\n",
			cmd->name, c->path, sizeof(sa.sun_path) - 1);
		return CTL_EXIT_USAGE;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		conn_error(c, errno);
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return CTL_EXIT_USAGE;
	}
	return 0;
}

void ctl_conn_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
	c->len = c->cap = 0;
}

static int send_all(struct ctl_conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until a whole line is buffered. Returns its length, or -errno
 * (-ETIMEDOUT, -ECONNRESET for EOF, -EFBIG). */
static long read_line(struct ctl_conn *c, uint64_t deadline_ms)
{
	for (;;) {
		char *nl = c->len > 0 ? memchr(c->in, '\n', c->len) : NULL;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		struct timespec ts;
		uint64_t now;
		ssize_t r;

		if (nl != NULL)
			return (long)(nl - c->in);
		if (c->len == c->cap) {
			size_t cap = c->cap != 0 ? c->cap * 2 : 65536;
			char *p = cap <= REPLY_MAX ? realloc(c->in, cap) : NULL;

			if (p == NULL)
				return -EFBIG;
			c->in = p;
			c->cap = cap;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline_ms - now));
		if (r < 0 && errno == EINTR)
			return -EINTR;
		if (r == 0)
			return -ETIMEDOUT;
		r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
		if (r < 0 && errno == EINTR)
			return -EINTR;
		if (r <= 0)
			return r == 0 ? -ECONNRESET : -errno;
		c->len += (size_t)r;
	}
}

json_t *ctl_conn_call(struct ctl_conn *c, json_t *req)
{
	char *line = json_dumps(req, JSON_COMPACT);
	struct timespec ts;
	json_error_t je;
	json_t *reply;
	long n;
	int rc;

	json_decref(req);
	if (line == NULL)
		return NULL;
	rc = send_all(c, line, strlen(line));
	if (rc == 0)
		rc = send_all(c, "\n", 1);
	free(line);
	if (rc < 0) {
		fprintf(stderr, "sipedgectl %s: %s: %s\n", c->cmd, c->path, strerror(-rc));
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = read_line(c, (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u +
				 c->timeout_ms);
	if (n < 0) {
		if (n != -EINTR)
			fprintf(stderr, "sipedgectl %s: %s: %s\n", c->cmd, c->path,
				n == -ECONNRESET ? "sipedge-control closed the connection"
				: n == -ETIMEDOUT ? "no reply within --timeout"
						  : strerror((int)-n));
		return NULL;
	}
	reply = json_loadb(c->in, (size_t)n, 0, &je);
	memmove(c->in, c->in + n + 1, c->len - (size_t)n - 1);
	c->len -= (size_t)n + 1;
	if (!json_is_object(reply)) {
		fprintf(stderr, "sipedgectl %s: %s: a reply that is not a JSON object: %s\n", c->cmd,
			c->path, reply == NULL ? je.text : "");
		json_decref(reply);
		return NULL;
	}
	return reply;
}

int ctl_remote(const struct ctl_cmd *cmd, const struct ctl_args *a, json_t *req, json_t **reply)
{
	struct ctl_conn c;
	json_t *r;
	int rc;

	*reply = NULL;
	rc = ctl_conn_open(&c, cmd, a);
	if (rc != 0) {
		json_decref(req);
		return rc;
	}
	json_object_set_new(req, "id", json_integer(1));
	r = ctl_conn_call(&c, req);
	ctl_conn_close(&c);
	if (r == NULL)
		return CTL_EXIT_USAGE;
	rc = json_is_true(json_object_get(r, "ok")) ? CTL_EXIT_OK : CTL_EXIT_REFUSED;
	if (a->set[CTL_RO_JSON]) {
		json_dumpf(r, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(r);
		return rc;
	}
	if (rc != CTL_EXIT_OK) {
		const char *e = json_string_value(json_object_get(r, "error"));

		fprintf(stderr, "sipedgectl %s: %s\n", cmd->name, e != NULL ? e : "refused");
		/* per-node results of a push: the caller shows which went through */
		if (json_is_array(json_object_get(r, "results")))
			*reply = r;
		else
			json_decref(r);
		return rc;
	}
	*reply = r;
	return CTL_EXIT_OK;
}

/* ---- tables ---- */

void ctl_table_init(struct ctl_table *t, const char *const *heads)
{
	memset(t, 0, sizeof(*t));
	while (heads[t->ncols] != NULL && t->ncols < CTL_TABLE_COLS) {
		t->head[t->ncols] = heads[t->ncols];
		t->ncols++;
	}
}

void ctl_table_cell(struct ctl_table *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (t->n == t->cap) {
		size_t cap = t->cap != 0 ? t->cap * 2 : 64;
		char **p = realloc(t->cells, cap * sizeof(*p));

		if (p == NULL)
			return;
		t->cells = p;
		t->cap = cap;
	}
	t->cells[t->n++] = strdup(buf);
}

static const char *head_text(const char *h)
{
	return h[0] == '>' ? h + 1 : h;
}

static void print_row(const struct ctl_table *t, FILE *f, const size_t *w, size_t row)
{
	unsigned c;

	for (c = 0; c < t->ncols; c++) {
		const char *s = row == 0 ? head_text(t->head[c]) : t->cells[(row - 1) * t->ncols + c];
		bool last = c + 1 == t->ncols;

		if (s == NULL)
			s = "";
		if (t->head[c][0] == '>')
			fprintf(f, "%s%*s", c > 0 ? "  " : "", (int)w[c], s);
		else
			fprintf(f, "%s%-*s", c > 0 ? "  " : "", last ? 0 : (int)w[c], s);
	}
	fputc('\n', f);
}

void ctl_table_print(struct ctl_table *t, FILE *f, unsigned max_rows)
{
	size_t w[CTL_TABLE_COLS] = {0}, i, all = t->ncols != 0 ? t->n / t->ncols : 0, rows = all;
	unsigned c;

	if (max_rows != 0 && rows > max_rows)
		rows = max_rows;
	for (c = 0; c < t->ncols; c++)
		w[c] = strlen(head_text(t->head[c]));
	for (i = 0; i < rows * t->ncols; i++)
		if (t->cells[i] != NULL && strlen(t->cells[i]) > w[i % t->ncols])
			w[i % t->ncols] = strlen(t->cells[i]);
	for (i = 0; i <= rows; i++)
		print_row(t, f, w, i);
	if (all > rows)
		fprintf(f, "... %zu more\n", all - rows);
	for (i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

const char *ctl_fmt_int(json_t *v, char *buf, size_t len)
{
	if (!json_is_integer(v))
		return "-";
	snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	return buf;
}

const char *ctl_fmt_rate(json_t *v, char *buf, size_t len)
{
	double r;

	if (!json_is_number(v))
		return "-";
	r = json_number_value(v);
	snprintf(buf, len, r < 100 ? "%.1f" : "%.0f", r);
	return buf;
}

const char *ctl_fmt_dur(unsigned long long ms, char *buf, size_t len)
{
	unsigned long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%llu.%llus", s, (ms % 1000) / 100);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", s / 3600, (s / 60) % 60);
	else
		snprintf(buf, len, "%llud%02lluh", s / 86400, (s / 3600) % 24);
	return buf;
}

void ctl_print_taken_back(json_t *r, const char *what)
{
	json_t *res;
	char b[32];
	size_t i;

	json_array_foreach(json_object_get(r, "taken_back"), i, res)
		printf("%s: %s: taken back (%s, state version %s)\n",
		       json_string_value(json_object_get(res, "node")), what,
		       json_string_value(json_object_get(res, "action")),
		       ctl_fmt_int(json_object_get(res, "state_version"), b, sizeof(b)));
}
