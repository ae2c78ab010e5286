/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_sock.c - the agent's socket file: made at start-up (its directory
 * when missing, a stale file of a dead process replaced, a live one never
 * taken over), mode 0660 and owned by agent.group, and removed at exit only
 * if it is still the file this process made. Main lcore, start-up and
 * exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_priv.h"

#define AGENT_BACKLOG 16

static void sock_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* cfg bounds agent.socket to CFG_PATH_MAX - 1 == sizeof(sun_path) - 1 */
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
}

/* The socket's directory: made (0755) when missing, one level only, so
 * that the default /run/sipedge appears on a fresh boot (/run is a tmpfs)
 * while a mistyped deeper path is reported rather than built. */
static int make_dir(const char *path)
{
	char dir[CFG_PATH_MAX];
	char *slash;
	struct stat st;
	int rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0; /* in / */
	*slash = '\0';
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		fprintf(stderr, "sipedge: agent.socket \"%s\": \"%s\" is not a directory\n",
			path, dir);
		return -ENOTDIR;
	}
	if (errno == ENOENT && mkdir(dir, 0755) == 0)
		return 0;
	rc = -errno;
	fprintf(stderr, "sipedge: agent.socket \"%s\": cannot make directory \"%s\": %s\n",
		path, dir, strerror(-rc));
	return rc;
}

/* Whether a process accepts connections on the socket file at path: a
 * non-blocking connect either succeeds at once or is refused at once for a
 * Unix socket. Returns 1 (in use), 0 (stale: nobody listens) or -errno. */
static int sock_in_use(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	sock_addr(&sa, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		rc = 1;
	else if (errno == EAGAIN || errno == EINPROGRESS)
		rc = 1; /* alive, its backlog full */
	else if (errno == ECONNREFUSED || errno == ENOENT)
		rc = 0;
	else
		rc = -errno;
	close(fd);
	return rc;
}

/* A file already at path: removed when it is a socket nobody listens on
 * (left by a process that died); anything else is refused. */
static int clear_stale(const char *path, const char *node)
{
	struct stat st;
	int rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "sipedge: agent.socket \"%s\": exists and is not a socket; "
			"not removed\n", path);
		return -EEXIST;
	}
	rc = sock_in_use(path);
	if (rc == 1) {
		fprintf(stderr, "sipedge: agent.socket \"%s\": in use by a running process "
			"(another sipedge with node.name \"%s\"?)\n", path, node);
		return -EADDRINUSE;
	}
	if (rc < 0 || unlink(path) != 0) {
		rc = rc < 0 ? rc : -errno;
		fprintf(stderr, "sipedge: agent.socket \"%s\": cannot replace the stale socket: "
			"%s\n", path, strerror(-rc));
		return rc;
	}
	fprintf(stderr, "sipedge: agent.socket \"%s\": replaced a stale socket\n", path);
	return 0;
}

/* Binds fd to path with mode 0660 from the start: the umask decides the
 * mode bind gives the file, so there is no moment at which others may
 * connect. */
static int bind_0660(int fd, const char *path)
{
	struct sockaddr_un sa;
	mode_t old = umask(0117);
	int rc;

	sock_addr(&sa, path);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == 0 && chmod(path, 0660) == 0)
		return 0;
	rc = -errno;
	fprintf(stderr, "sipedge: agent.socket \"%s\": %s\n", path, strerror(-rc));
	return rc;
}

static int set_group(const char *path, const char *group)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int rc;

	if (group[0] == '\0')
		return 0;
	rc = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (res == NULL) {
		fprintf(stderr, "sipedge: agent.group \"%s\": %s\n", group,
			rc ? strerror(rc) : "no such group on this host");
		return rc ? -rc : -ENOENT;
	}
	if (chown(path, (uid_t)-1, gr.gr_gid) == 0)
		return 0;
	rc = -errno;
	fprintf(stderr, "sipedge: agent.group \"%s\": chown \"%s\": %s\n", group, path,
		strerror(-rc));
	return rc;
}

/* agent_sock_open - see agent_priv.h. */
int agent_sock_open(struct agent *a, const struct cfg *c)
{
	struct stat st;
	int rc;

	a->lfd = -1;
	if (c->agent.socket[0] != '/') {
		fprintf(stderr, "sipedge: agent.socket \"%s\": not an absolute path\n",
			c->agent.socket);
		return -EINVAL;
	}
	snprintf(a->path, sizeof(a->path), "%s", c->agent.socket);
	if ((rc = make_dir(a->path)) != 0 || (rc = clear_stale(a->path, c->node.name)) != 0)
		return rc;
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->lfd < 0) {
		rc = -errno;
		fprintf(stderr, "sipedge: agent socket: %s\n", strerror(-rc));
		return rc;
	}
	if ((rc = bind_0660(a->lfd, a->path)) != 0)
		goto fail;
	if (stat(a->path, &st) != 0) {
		rc = -errno;
		fprintf(stderr, "sipedge: agent.socket \"%s\": %s\n", a->path, strerror(-rc));
		goto fail_unlink;
	}
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	if ((rc = set_group(a->path, c->agent.group)) != 0)
		goto fail_unlink;
	if (listen(a->lfd, AGENT_BACKLOG) != 0) {
		rc = -errno;
		fprintf(stderr, "sipedge: agent.socket \"%s\": listen: %s\n", a->path,
			strerror(-rc));
		goto fail_unlink;
	}
	return 0;
fail_unlink:
	unlink(a->path);
fail:
	close(a->lfd);
	a->lfd = -1;
	return rc;
}

/* agent_sock_close - see agent_priv.h. Another process may have replaced
 * the file since (a second sipedge after this one was thought dead): its
 * socket is left alone. */
void agent_sock_close(struct agent *a)
{
	struct stat st;

	if (a->lfd < 0)
		return;
	close(a->lfd);
	a->lfd = -1;
	if (lstat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino)
		unlink(a->path);
}
