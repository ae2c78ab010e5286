/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_rules_job.c - parsing and compiling rulesets off the event loop.
 *
 * Hyperscan takes seconds to compile ten thousand rules; the loop must go
 * on answering `status`, /metrics and the agent links meanwhile. So a job
 * runs on a thread of its own: one job at a time, the others wait in a
 * FIFO. A job reads only what it was handed (paths, options, a version's
 * parse marked busy so that nothing frees it) and writes only into itself
 * and the files of its snapshot directory; no jansson, no log, no node.
 * When it is over it writes the loop's eventfd, and its done callback runs
 * on the loop. The rules library is reentrant (rs.h), so nothing here
 * locks but the hand-over.
 *
 * A LOAD job keeps what it read: the parse gives the list of every file
 * read (includes too); each is copied byte for byte to
 * <snap>/src/<its path>, and that copy is parsed again and compiled. So
 * what is compiled is exactly what is kept, a rollback or a restart finds
 * the same text even when the files changed since, and an include that
 * would reach outside the copy (an absolute path) is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <hs/hs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cp_codec.h"
#include "cp_rules.h"

/* ---- platforms ---- */

void ctl_rs_platform_key(char *out, size_t len, const char *hs_version, uint64_t cpu,
			 unsigned tune)
{
	size_t v = strcspn(hs_version, " ");

	snprintf(out, len, "%.*s/%llx/%u", (int)(v < 32 ? v : 32), hs_version,
		 (unsigned long long)cpu, tune);
}

void ctl_rs_platform_host(struct ctl_rs_platform *p)
{
	memset(p, 0, sizeof(*p));
	rs_platform_host(&p->p);
	p->host = true;
	ctl_rs_platform_key(p->key, sizeof(p->key), hs_version(), p->p.cpu_features, p->p.tune);
}

/* ---- jobs ---- */

struct ctl_rs_job *ctl_rs_job_new(enum ctl_rs_job_kind kind)
{
	struct ctl_rs_job *j = calloc(1, sizeof(*j));

	if (j != NULL)
		j->kind = kind;
	return j;
}

static void strv_free(char **v, unsigned n)
{
	unsigned i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static void blobs_free(struct ctl_rs_blob *b)
{
	while (b != NULL) {
		struct ctl_rs_blob *next = b->next;

		free(b->data);
		free(b);
		b = next;
	}
}

void ctl_rs_job_free(struct ctl_rs_job *j)
{
	if (j == NULL)
		return;
	strv_free(j->paths, j->npaths);
	ctl_rs_diags_free(&j->d);
	strv_free(j->files, j->nfiles);
	free(j->strip);
	free(j->snap);
	ctl_rs_src_free(j->src);
	blobs_free(j->blobs);
	rs_set_free(j->set);
	free(j);
}

/* The parse of the files a job was given (strip: what their names have
 * that the originals do not). */
static int parse(struct ctl_rs_job *j, char **paths, const char *root, struct ctl_rs_src **out)
{
	return ctl_rs_parse(paths, j->npaths, root, &j->opts, &j->d, out);
}

/* ---- keeping the sources ---- */

/* mkdir -p of path's directory. */
static int mkdirs(char *path)
{
	char *p;

	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST) {
			int e = errno;

			*p = '/';
			return -e;
		}
		*p = '/';
	}
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536], *dst = strdup(to);
	/* non-blocking, regular files only: one swapped for a FIFO since the
	 * parse read it must not hang the job */
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), out = -1, rc = 0;
	struct stat st;
	ssize_t r;

	if (dst == NULL || in < 0) {
		rc = in < 0 ? -errno : -ENOMEM;
		goto out;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	rc = mkdirs(dst);
	if (rc == 0 && (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		rc = -errno;
	while (rc == 0 && (r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || write(out, buf, (size_t)r) != r)
			rc = -(errno != 0 ? errno : EIO);
	}
	if (rc == 0 && fsync(out) < 0)
		rc = -errno;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = -errno;
	free(dst);
	return rc;
}

/* Copies every file the first parse read under snap/src/, records their
 * original names, and gives the paths of the top files in the copy. */
static int keep_sources(struct ctl_rs_job *j, const struct ctl_rs_src *s, char ***tops)
{
	const char *root = j->strip;
	char path[8192];
	unsigned i;
	int rc;

	j->files = calloc(s->all.n_files + 1, sizeof(*j->files));
	*tops = calloc(j->npaths + 1, sizeof(**tops));
	if (j->files == NULL || *tops == NULL)
		return -ENOMEM;
	for (i = 0; i < s->all.n_files; i++) {
		const char *orig = ctl_rs_strip(root, s->all.files[i]);

		if (orig[0] != '/') {
			ctl_rs_diags_add(&j->d, "%s: not an absolute path", orig);
			return -EINVAL;
		}
		snprintf(path, sizeof(path), "%s/src%s", j->snap, orig);
		rc = copy_file(s->all.files[i], path);
		if (rc < 0) {
			snprintf(j->err, sizeof(j->err), "%.200s: not kept in %.200s: %s", orig, path,
				 strerror(-rc));
			return rc;
		}
		j->files[j->nfiles] = strdup(orig);
		if (j->files[j->nfiles++] == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < j->npaths; i++) {
		snprintf(path, sizeof(path), "%s/src%s", j->snap, ctl_rs_strip(root, j->paths[i]));
		if (((*tops)[i] = strdup(path)) == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* Every file of the parse of the copy is in the copy: an include by
 * absolute path would read the live file, and a rollback would not be
 * the same rules. */
static int check_inside(struct ctl_rs_job *j, const struct ctl_rs_src *s, const char *root)
{
	size_t n = strlen(root);
	uint32_t i;
	int rc = 0;

	for (i = 0; i < s->all.n_files; i++) {
		if (strncmp(s->all.files[i], root, n) == 0)
			continue;
		ctl_rs_diags_add(&j->d, "%s: included by an absolute path: its text could not be kept with the "
			    "ruleset (include it by a path relative to the including file)",
			 s->all.files[i]);
		rc = -EINVAL;
	}
	return rc;
}

/* ---- the compile cache (cp_rules.h) ---- */

/* SHA-256 over every file the parse read: its name below root and its
 * bytes, so that the same rules kept under another version's directory
 * give the same digest. 0, or -errno (then nothing is cached). */
static int src_digest(const struct ctl_rs_src *s, const char *root, char hex[65])
{
	size_t rl = strlen(root), len = 0, cap = 0;
	char *buf = NULL;
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < s->all.n_files; i++) {
		const char *f = s->all.files[i], *name = f;
		size_t nl, need;
		FILE *fp;
		long sz;

		if (rl > 0 && strncmp(f, root, rl) == 0)
			name += rl;
		nl = strlen(name);
		if ((fp = fopen(f, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
		    (sz = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
			rc = -EIO;
		} else if ((need = len + nl + 1 + 20 + (size_t)sz) > cap) {
			char *nb = realloc(buf, need * 2);

			if (nb == NULL)
				rc = -ENOMEM;
			else
				buf = nb, cap = need * 2;
		}
		if (rc == 0) {
			memcpy(buf + len, name, nl + 1);
			len += nl + 1 + (size_t)snprintf(buf + len + nl + 1, 21, "%ld", sz);
			if (fread(buf + len, 1, (size_t)sz, fp) != (size_t)sz)
				rc = -EIO;
			len += (size_t)sz;
		}
		if (fp != NULL)
			fclose(fp);
	}
	if (rc == 0)
		ctl_sha256_hex(buf, len, hex);
	free(buf);
	return rc;
}

static struct ctl_rs_cache_ent *cache_find(struct ctl_rs_cache *c, const char *key)
{
	struct ctl_rs_cache_ent **pp, *e;

	for (pp = &c->head; (e = *pp) != NULL; pp = &e->next)
		if (strcmp(e->key, key) == 0) {
			*pp = e->next; /* to the front: most recently used */
			e->next = c->head;
			c->head = e;
			return e;
		}
	return NULL;
}

/* Keeps a copy of a blob just compiled; the least recently used go while
 * over the bound. Out of memory: not kept, no harm. */
static void cache_put(struct ctl_rs_cache *c, const char *key, const void *data, size_t len,
		      const struct rs_compile_stats *st)
{
	struct ctl_rs_cache_ent *e, **pp;

	if (len > CTL_RS_CACHE_BYTES || (e = calloc(1, sizeof(*e))) == NULL)
		return;
	if ((e->data = malloc(len)) == NULL) {
		free(e);
		return;
	}
	memcpy(e->data, data, len);
	e->len = len;
	e->st = *st;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->next = c->head;
	c->head = e;
	c->bytes += len;
	while (c->bytes > CTL_RS_CACHE_BYTES) {
		for (pp = &c->head; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		c->bytes -= (*pp)->len;
		free((*pp)->data);
		free(*pp);
		*pp = NULL;
	}
}

void ctl_rs_cache_free(struct ctl_rs_cache *c)
{
	while (c->head != NULL) {
		struct ctl_rs_cache_ent *e = c->head;

		c->head = e->next;
		free(e->data);
		free(e);
	}
	c->bytes = 0;
}

/* ---- compiling ---- */

/* One platform's blob of ast: from the cache when these sources (digest
 * src, "" for none) were compiled for it before, else by rs_compile. */
static int compile_one(struct ctl_rs_job *j, const struct rs_ast *ast,
		       const struct ctl_rs_platform *p, const char *root, const char *src,
		       struct ctl_rs_blob **out, struct rs_compile_stats *st)
{
	struct ctl_rs_blob *b = calloc(1, sizeof(*b));
	struct rs_diag *d = calloc(1, sizeof(*d));
	struct rs_compile_stats cst;
	struct ctl_rs_cache_ent *e = NULL;
	char key[sizeof(e->key)];
	int rc;

	*out = NULL;
	if (b == NULL || d == NULL) {
		free(b);
		free(d);
		return -ENOMEM;
	}
	snprintf(key, sizeof(key), "%s|%s", p->key, src);
	if (src[0] != '\0' && j->cache != NULL && (e = cache_find(j->cache, key)) != NULL &&
	    (b->data = malloc(e->len)) != NULL) {
		memcpy(b->data, e->data, e->len);
		b->len = e->len;
		if (st != NULL) {
			*st = e->st;
			st->compile_ns = 0; /* not compiled: taken as compiled before */
		}
		__atomic_fetch_add(&j->cache->hits, 1, __ATOMIC_RELAXED);
		rc = 0;
	} else {
		rc = rs_compile(ast, p->host ? NULL : &p->p, &b->data, &b->len, d, &cst);
		if (rc == 0 && st != NULL)
			*st = cst;
		if (rc == 0 && src[0] != '\0' && j->cache != NULL) {
			__atomic_fetch_add(&j->cache->misses, 1, __ATOMIC_RELAXED);
			cache_put(j->cache, key, b->data, b->len, &cst);
		}
	}
	if (rc < 0) {
		ctl_rs_diags_take(&j->d, d, root);
		if (d->n == 0)
			snprintf(j->err, sizeof(j->err), "compile for %s: %s", p->key, strerror(-rc));
		free(d);
		free(b);
		return rc;
	}
	free(d);
	snprintf(b->platform, sizeof(b->platform), "%s", p->key);
	ctl_sha256_hex(b->data, b->len, b->sha256);
	*out = b;
	return 0;
}

static int load_set(struct ctl_rs_job *j, const struct ctl_rs_blob *b, struct rs_set **out)
{
	char err[256] = "";
	int rc = rs_set_load(b->data, b->len, out, err, sizeof(err));

	if (rc < 0)
		snprintf(j->err, sizeof(j->err), "the ruleset compiled here does not load here: %s",
			 err[0] != '\0' ? err : strerror(-rc));
	return rc;
}

/* For each platform asked: one blob; the host's also loaded (explain). */
static int compile(struct ctl_rs_job *j, const struct ctl_rs_src *s, const char *root)
{
	char src[65] = "";
	unsigned i;
	int rc = 0;

	if (src_digest(s, root, src) != 0)
		src[0] = '\0'; /* compiled, not cached */
	for (i = 0; rc == 0 && i < j->nplat; i++) {
		struct ctl_rs_blob *b;

		rc = compile_one(j, &s->all, &j->plat[i], root, src, &b,
				 j->plat[i].host ? &j->st : NULL);
		if (rc < 0)
			break;
		b->next = j->blobs;
		j->blobs = b;
		if (j->plat[i].host && j->kind != CTL_RS_JOB_PLATFORM)
			rc = load_set(j, b, &j->set);
	}
	return rc;
}

static int run_load(struct ctl_rs_job *j)
{
	struct ctl_rs_src *first = NULL;
	char **tops = NULL, root[8192];
	int rc;

	rc = parse(j, j->paths, j->strip, &first);
	if (rc == 0 && j->kind == CTL_RS_JOB_CHECK) {
		j->src = first;
		j->src_bytes = first->all.src_bytes;
		return compile(j, first, j->strip);
	}
	if (rc == 0)
		rc = keep_sources(j, first, &tops);
	ctl_rs_src_free(first);
	if (rc == 0) {
		snprintf(root, sizeof(root), "%s/src", j->snap);
		rc = parse(j, tops, root, &j->src);
		if (rc == 0)
			rc = check_inside(j, j->src, root);
		if (rc == 0) {
			j->src_bytes = j->src->all.src_bytes;
			rc = compile(j, j->src, root);
		}
	}
	strv_free(tops, j->npaths);
	return rc;
}

static void job_run(struct ctl_rs_job *j)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (j->kind) {
	case CTL_RS_JOB_LOAD:
	case CTL_RS_JOB_CHECK:
		j->rc = run_load(j);
		break;
	case CTL_RS_JOB_RESTORE:
		j->rc = parse(j, j->paths, j->strip, &j->src);
		if (j->rc == 0)
			j->rc = compile(j, j->src, j->strip);
		break;
	case CTL_RS_JOB_PLATFORM:
		j->rc = compile(j, j->ver->src, j->ver->parse_root);
		break;
	}
	if (j->rc < 0 && j->d.n == 0 && j->err[0] == '\0')
		snprintf(j->err, sizeof(j->err), "%s", strerror(-j->rc));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->ms = (uint64_t)(((int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 +
			    (t1.tv_nsec - t0.tv_nsec)) / 1000000);
}

/* ---- the thread and the hand-over ---- */

/* The thread's whole life: one job. The eventfd write publishes every
 * store of job_run to the loop (the loop reads the job only after its
 * read of the eventfd, and joins the thread before the next job). */
static void *thread_main(void *arg)
{
	struct ctl_rules *rs = arg;
	uint64_t one = 1;

	job_run(rs->jcur);
	while (write(rs->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static int start_next(struct ctl_rules *rs)
{
	pthread_t t;
	int rc;

	if (rs->jcur != NULL || rs->jq == NULL)
		return 0;
	rs->jcur = rs->jq;
	rs->jq = rs->jcur->next;
	rs->jcur->next = NULL;
	rc = pthread_create(&t, NULL, thread_main, rs);
	if (rc != 0) {
		/* no thread: run it here, late rather than never */
		ctl_log(CTL_LOG_WARNING, "rules: no thread for a job (%s): compiling on the loop",
			strerror(rc));
		thread_main(rs);
		return 0;
	}
	rs->thread = (unsigned long)t;
	rs->thread_live = true;
	return 0;
}

static void on_job_done(struct ctl_io *io, uint32_t ev)
{
	struct ctl_rules *rs = io->ctx;
	struct ctl_rs_job *j = rs->jcur;
	uint64_t v;

	(void)ev;
	if (read(rs->efd, &v, sizeof(v)) < 0 || j == NULL)
		return;
	if (rs->thread_live) {
		pthread_join((pthread_t)rs->thread, NULL);
		rs->thread_live = false;
	}
	rs->jcur = NULL;
	rs->compile_ms_total += j->ms;
	j->done(rs, j); /* it takes what it keeps out of j */
	ctl_rs_job_free(j);
	start_next(rs);
}

int ctl_rs_jobs_init(struct ctl_rules *rs)
{
	rs->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rs->efd < 0)
		return -errno;
	rs->eio.fd = rs->efd;
	rs->eio.cb = on_job_done;
	rs->eio.ctx = rs;
	return ctl_loop_add(rs->cp->loop, &rs->eio, EPOLLIN);
}

int ctl_rs_job_queue(struct ctl_rules *rs, struct ctl_rs_job *j)
{
	struct ctl_rs_job **pp;

	for (pp = &rs->jq; *pp != NULL; pp = &(*pp)->next)
		;
	j->cache = &rs->cache;
	*pp = j;
	return start_next(rs);
}

void ctl_rs_jobs_stop(struct ctl_rules *rs)
{
	struct ctl_rs_job *j;

	if (rs->thread_live) {
		pthread_join((pthread_t)rs->thread, NULL);
		rs->thread_live = false;
	}
	if (rs->jcur != NULL) {
		if (rs->jcur->ver != NULL)
			rs->jcur->ver->busy--;
		ctl_rs_job_free(rs->jcur);
		rs->jcur = NULL;
	}
	while ((j = rs->jq) != NULL) {
		rs->jq = j->next;
		if (j->ver != NULL)
			j->ver->busy--;
		ctl_rs_job_free(j);
	}
	ctl_rs_cache_free(&rs->cache);
	if (rs->efd >= 0) {
		ctl_loop_del(rs->cp->loop, &rs->eio);
		close(rs->efd);
		rs->efd = -1;
	}
}
