/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_state.c - the state file: what control wants in force on each
 * dataplane, so that after a restart of either side the same state is
 * pushed again (docs/sipedge-control.md, "State file").
 *
 *   {"format": 1, "written": 1764000000,
 *    "nodes": {"gw1": {"version": 3, "highest": 4,
 *                      "backends": {"kam1": {"admin": "drain"}},
 *                      "dataplane": {"version": 3, "highest": 4, "sha256": "...",
 *                                    "prev_version": 0, "prev_sha256": ""}}},
 *    "bans": {"managed": true, "list": [{"prefix": "192.0.2.0/24", "expires": 0}]},
 *    "history": {...}, "rules": {...}}
 *
 * "highest", "dataplane" (what the dataplane holds, cp_push.c), "bans",
 * "history" (cp_history.c) and "rules" are optional (a file from before
 * them is format 1 too); the rulesets' sources live beside it in
 * state_dir/rules/ (cp_rules.c).
 *
 * Written whole on every change: a temp file in the same directory,
 * fsync, rename over state.json, fsync of the directory; a crash leaves the
 * old file or the new one, never a mix. A file that cannot be read back is
 * refused at start-up rather than replaced: it is the operator's decision
 * to throw state away, not the daemon's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cp.h"

#define STATE_FORMAT 1

/* Nodes found in the file that the config does not name: kept as they are,
 * so that taking a node out of the config and back does not lose its state. */
static json_t *kept_nodes;

static void state_path(const struct ctl_cp *cp, char *buf, size_t len, const char *suffix)
{
	snprintf(buf, len, "%s/state.json%s", cp->cfg.state_dir, suffix);
}

bool ctl_backend_valid(json_t *be)
{
	json_t *a = json_object_get(be, "admin"), *w = json_object_get(be, "weight");

	return json_is_object(be) &&
	       (a == NULL || (json_is_string(a) && (strcmp(json_string_value(a), "enabled") == 0 ||
						    strcmp(json_string_value(a), "disabled") == 0 ||
						    strcmp(json_string_value(a), "drain") == 0))) &&
	       (w == NULL || (json_is_integer(w) && json_integer_value(w) >= 1 &&
			      json_integer_value(w) <= 65535));
}

static bool is_count(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

/* A SHA-256 in hex, or "" for none. */
static bool is_sum(json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL && (s[0] == '\0' || (strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64));
}

/* "dataplane": what it holds as control knew it last (optional). */
static bool dataplane_valid(json_t *d)
{
	return d == NULL ||
	       (json_is_object(d) && is_count(json_object_get(d, "version")) &&
		is_count(json_object_get(d, "highest")) && is_sum(json_object_get(d, "sha256")) &&
		is_count(json_object_get(d, "prev_version")) &&
		is_sum(json_object_get(d, "prev_sha256")));
}

/* Checks one node's entry: version >= 0, highest >= 0 if there, backends
 * an object of {admin: enabled|disabled|drain, weight: 1..65535}. */
static int check_node(const char *name, json_t *e, char *err, size_t errlen)
{
	json_t *h = json_object_get(e, "highest"), *bes = json_object_get(e, "backends");
	const char *bname;
	json_t *be;

	if (!is_count(json_object_get(e, "version")) || (h != NULL && !is_count(h))) {
		snprintf(err, errlen, "nodes.%s.version, .highest: not integers >= 0", name);
		return -EINVAL;
	}
	if (!dataplane_valid(json_object_get(e, "dataplane"))) {
		snprintf(err, errlen, "nodes.%s.dataplane: not {version, highest, sha256, "
			 "prev_version, prev_sha256}", name);
		return -EINVAL;
	}
	if (!json_is_object(bes)) {
		snprintf(err, errlen, "nodes.%s.backends: not an object", name);
		return -EINVAL;
	}
	json_object_foreach(bes, bname, be) {
		if (!ctl_backend_valid(be)) {
			snprintf(err, errlen, "nodes.%s.backends.%s: bad admin or weight", name,
				 bname);
			return -EINVAL;
		}
	}
	return 0;
}

/* Validates every node's entry and keeps them all in kept_nodes; each
 * configured node then adopts its own (ctl_state_adopt). */
static int load_nodes(json_t *nodes, const char *path)
{
	const char *name;
	json_t *e;
	char err[256];

	json_object_foreach(nodes, name, e) {
		if (check_node(name, e, err, sizeof(err)) < 0) {
			ctl_log(CTL_LOG_ERR, "%s: %s", path, err);
			return -EINVAL;
		}
	}
	json_decref(kept_nodes);
	kept_nodes = json_deep_copy(nodes);
	return 0;
}

static uint64_t get_u64(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

void ctl_state_adopt(struct ctl_node *n)
{
	json_t *e = json_object_get(kept_nodes, n->name), *d;

	if (e == NULL)
		return;
	n->version = get_u64(e, "version");
	n->highest = get_u64(e, "highest");
	json_decref(n->backends);
	n->backends = json_deep_copy(json_object_get(e, "backends"));
	n->dirty = json_object_size(n->backends) > 0;
	d = json_object_get(e, "dataplane");
	if (d != NULL) {
		n->sums_version = get_u64(d, "version");
		n->sums_highest = get_u64(d, "highest");
		snprintf(n->dp_cur_sum, sizeof(n->dp_cur_sum), "%s",
			 json_string_value(json_object_get(d, "sha256")));
		n->dp_prev_version = get_u64(d, "prev_version");
		snprintf(n->dp_prev_sum, sizeof(n->dp_prev_sum), "%s",
			 json_string_value(json_object_get(d, "prev_sha256")));
	}
	json_object_del(kept_nodes, n->name);
}

/* A node's entry in the file. */
static json_t *node_entry(const struct ctl_node *n)
{
	json_t *e = json_pack("{s:I, s:I, s:O}", "version", (json_int_t)n->version, "highest",
			      (json_int_t)n->highest, "backends", n->backends);

	if (n->dp_cur_sum[0] != '\0')
		json_object_set_new(e, "dataplane",
				    json_pack("{s:I, s:I, s:s, s:I, s:s}", "version",
					      (json_int_t)n->sums_version, "highest",
					      (json_int_t)n->sums_highest, "sha256", n->dp_cur_sum,
					      "prev_version", (json_int_t)n->dp_prev_version,
					      "prev_sha256", n->dp_prev_sum));
	return e;
}

void ctl_state_keep(const struct ctl_node *n)
{
	if (kept_nodes == NULL)
		kept_nodes = json_object();
	json_object_set_new(kept_nodes, n->name, node_entry(n));
}

int ctl_state_load(struct ctl_cp *cp)
{
	char path[CTL_CFG_PATH_MAX + 32], err[600];
	json_error_t je;
	json_t *root, *fmt;
	struct ctl_node *n;
	int rc;

	state_path(cp, path, sizeof(path), "");
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return ctl_hist_load(cp, NULL, err, sizeof(err));
		ctl_log(CTL_LOG_ERR,
			"%s:%d:%d: %s (move the file away to start with no pushed state)", path,
			je.line, je.column, je.text);
		return -EINVAL;
	}
	fmt = json_object_get(root, "format");
	if (!json_is_integer(fmt) || json_integer_value(fmt) != STATE_FORMAT ||
	    !json_is_object(json_object_get(root, "nodes"))) {
		ctl_log(CTL_LOG_ERR, "%s: not a format %d state file (\"format\", \"nodes\")", path,
			STATE_FORMAT);
		json_decref(root);
		return -EINVAL;
	}
	rc = load_nodes(json_object_get(root, "nodes"), path);
	if (rc == 0 && cp->bans != NULL &&
	    ctl_bans_load(cp, json_object_get(root, "bans"), err, sizeof(err)) < 0) {
		ctl_log(CTL_LOG_ERR, "%s: %s", path, err);
		rc = -EINVAL;
	}
	if (rc == 0 && cp->rules != NULL &&
	    ctl_rules_load(cp, json_object_get(root, "rules"), err, sizeof(err)) < 0) {
		ctl_log(CTL_LOG_ERR, "%s: %s", path, err);
		rc = -EINVAL;
	}
	for (n = cp->nodes; rc == 0 && n != NULL; n = n->next)
		ctl_state_adopt(n);
	/* last: the history's base is the wanted state just adopted */
	if (rc == 0 && ctl_hist_load(cp, json_object_get(root, "history"), err, sizeof(err)) < 0) {
		ctl_log(CTL_LOG_ERR, "%s: %s", path, err);
		rc = -EINVAL;
	}
	json_decref(root);
	return rc;
}

static json_t *state_doc(const struct ctl_cp *cp)
{
	json_t *nodes = json_object();
	const struct ctl_node *n;

	if (kept_nodes != NULL)
		json_object_update(nodes, kept_nodes);
	for (n = cp->nodes; n != NULL; n = n->next)
		json_object_set_new(nodes, n->name, node_entry(n));
	json_t *doc = json_pack("{s:i, s:I, s:o, s:o}", "format", STATE_FORMAT, "written",
				(json_int_t)time(NULL), "nodes", nodes, "history",
				ctl_hist_save(cp));

	if (cp->bans != NULL)
		json_object_set_new(doc, "bans", ctl_bans_save(cp));
	if (cp->rules != NULL)
		json_object_set_new(doc, "rules", ctl_rules_save(cp));
	return doc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Once the rename is done the file holds the new state: a failed fsync of
 * the directory only means a crash now could bring the old one back. That
 * is a warning (once per distinct error), not "not written": the caller
 * would take back a change that is in the file. */
static void dir_sync_warn(const struct ctl_cp *cp, int rc)
{
	static int last;

	if (rc < 0 && rc != last)
		ctl_log(CTL_LOG_WARNING,
			"%s/state.json: written, but the fsync of %s failed: %s (a crash now "
			"could bring back the state before)", cp->cfg.state_dir, cp->cfg.state_dir,
			strerror(-rc));
	last = rc;
}

int ctl_write_atomic(const char *dir, const char *name, const char *text, size_t len,
		     int *dir_err)
{
	char tmp[CTL_CFG_PATH_MAX + 64], path[CTL_CFG_PATH_MAX + 64];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, text, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	*dir_err = fsync_dir(dir);
	return 0;
}

static int write_atomic(const struct ctl_cp *cp, const char *text)
{
	size_t len = strlen(text);
	char *t;
	int rc, dir_err = 0;

	if (mkdir(cp->cfg.state_dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	t = malloc(len + 1);
	if (t == NULL)
		return -ENOMEM;
	memcpy(t, text, len);
	t[len] = '\n';
	rc = ctl_write_atomic(cp->cfg.state_dir, "state.json", t, len + 1, &dir_err);
	free(t);
	if (rc < 0)
		return rc;
	dir_sync_warn(cp, dir_err);
	return 0;
}

int ctl_state_save(struct ctl_cp *cp)
{
	json_t *doc;
	char *text;
	int rc;

	ctl_hist_note(cp);
	doc = state_doc(cp);
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	rc = text != NULL ? write_atomic(cp, text) : -ENOMEM;
	free(text);
	json_decref(doc);
	ctl_hist_written(cp, rc == 0);
	if (rc < 0) {
		cp->st.state_write_errors++;
		ctl_log(CTL_LOG_ERR, "%s/state.json: %s", cp->cfg.state_dir, strerror(-rc));
		return rc;
	}
	cp->st.state_writes++;
	return 0;
}

void ctl_state_free(void)
{
	json_decref(kept_nodes);
	kept_nodes = NULL;
	ctl_hist_free();
}
