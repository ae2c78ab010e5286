/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_cfg.h - sipedge-control's YAML configuration.
 *
 * Every key is one row of the table in cp_cfg.c (ctl_cfg_keys()): the
 * parser's lookup, type and bound checks, the defaults and the key table of
 * docs/sipedge-control.md (checked by the cp-cfg-unit test) come from it.
 */
#ifndef SIPEDGE_CP_CFG_H
#define SIPEDGE_CP_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "cp_tls.h"

#define CTL_CFG_PATH_MAX 108 /* sun_path */
#define CTL_CFG_NAME_MAX 64
#define CTL_CFG_NODES_MAX 64
#define CTL_CFG_ERR_MAX 512
#define CTL_CFG_FILES_MAX 32	 /* rules.files, rules.shadow_files */
#define CTL_CFG_FILE_MAX 1024	 /* one path in them */

/* A dataplane: its agent is a Unix socket, or a TCP address with TLS and
 * a pre-shared key (read from psk_file by ctl_cfg_load). */
struct ctl_cfg_node {
	char name[CTL_CFG_NAME_MAX];
	char socket[CTL_CFG_PATH_MAX];	 /* "" when address is given */
	char address[CTL_CFG_NAME_MAX];	 /* "IP:port", "[IPv6]:port", or "" */
	char psk_file[CTL_CFG_PATH_MAX]; /* with address */
	char psk_identity[CTL_PSK_ID_MAX]; /* "" : name */
	struct ctl_psk psk;		 /* key and identity, with address */
};

/* A list of paths (rules.files): n of them, in order. */
struct ctl_cfg_files {
	unsigned n;
	char v[CTL_CFG_FILES_MAX][CTL_CFG_FILE_MAX];
};

struct ctl_cfg {
	char socket[CTL_CFG_PATH_MAX];
	char ro_socket[CTL_CFG_PATH_MAX]; /* "" for none */
	char socket_group[CTL_CFG_NAME_MAX]; /* "" for the daemon's own */
	int64_t socket_mode, ro_socket_mode;
	int64_t max_clients;
	int64_t idle_timeout_ms;
	char state_dir[CTL_CFG_PATH_MAX];
	int64_t collect_interval_ms;
	char metrics_listen[CTL_CFG_NAME_MAX]; /* "" for no metrics server */
	int64_t request_timeout_ms;
	int64_t reconnect_min_ms, reconnect_max_ms;
	struct ctl_cfg_files rules_files, rules_shadow_files;
	int64_t rules_history;
	int64_t rules_max_bytes;
	int64_t state_history;
	unsigned nnodes;
	struct ctl_cfg_node nodes[CTL_CFG_NODES_MAX];
};

enum ctl_cfg_type {
	CTL_CFG_STR = 1, /* lo..hi bound the length */
	CTL_CFG_INT,	 /* lo..hi bound the value */
	CTL_CFG_MODE,	 /* octal file mode written as a string, "0660" */
	CTL_CFG_LISTEN,	 /* "host:port" or "" */
	CTL_CFG_FILES,	 /* a list of paths (struct ctl_cfg_files): lo..hi bound
			  * the number of paths; each is 1..CTL_CFG_FILE_MAX-1
			  * bytes */
};

/* One row of the key table. sec is "" for a top-level key, "nodes[]" for a
 * key of each element of nodes. */
struct ctl_cfg_key {
	const char *sec;
	const char *name;
	enum ctl_cfg_type type;
	size_t off;  /* in struct ctl_cfg, or struct ctl_cfg_node for nodes[] */
	size_t size; /* of the field, for strings */
	int64_t lo, hi;
	const char *def;  /* as written in the file; NULL: required */
	int runtime;	  /* 1: `config reload` applies it; 0: needs a restart */
	const char *help; /* one line, for docs/sipedge-control.md */
};

/* The table, n rows. */
const struct ctl_cfg_key *ctl_cfg_keys(unsigned *n);

/* The built-in defaults (what an empty mapping gives). */
void ctl_cfg_defaults(struct ctl_cfg *cfg);

/* Parse a YAML document from buf (len bytes), naming it `name` in errors.
 * Returns 0, or -EINVAL with the first error in err: "name:line:col: key:
 * what is wrong, quoting the value". cfg is written only on success. */
int ctl_cfg_parse(const char *buf, size_t len, const char *name, struct ctl_cfg *cfg, char *err,
		  size_t errlen);

/* Read and parse the file at path; a file over 1 MiB or unreadable is an
 * error naming the path. Then each node's key file is read (ctl_psk_load:
 * a file its group or others may read, or a key under 32 bytes, is an
 * error naming the node, the file and its mode or length). Same returns as
 * ctl_cfg_parse; on an error no key is left in cfg. A cfg that holds keys
 * is wiped (ctl_cfg_wipe_keys) by whoever drops it. */
int ctl_cfg_load(const char *path, struct ctl_cfg *cfg, char *err, size_t errlen);

/* ctl_cfg_wipe_keys - wipes the nodes' pre-shared keys in cfg
 * (OPENSSL_cleanse: no compiler drops it), before cfg is freed or goes out
 * of scope. */
void ctl_cfg_wipe_keys(struct ctl_cfg *cfg);

/* Writes into out (outlen) the dotted names of the keys that differ between
 * a and b and that need a restart, comma-separated ("" if none). */
void ctl_cfg_restart_keys(const struct ctl_cfg *a, const struct ctl_cfg *b, char *out,
			  size_t outlen);

#endif /* SIPEDGE_CP_CFG_H */
