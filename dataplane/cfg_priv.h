/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cfg_priv.h - what the files of the configuration module share: the key
 * table's types (enum cfg_type, struct cfg_key, the section and key ids
 * generated from cfg_keys.def) and the loader's state (struct ld).
 *
 *   cfg.c        the key table, the YAML walk, cfg_load, cfg_defaults,
 *                cfg_eal_args, cfg_doc_keys
 *   cfg_value.c  the scalar value parsers (set_scalar and what it calls)
 *   cfg_read.c   reading the file and the event-parser scan
 *   cfg_check.c  the cross-checks between keys
 *
 * Main lcore / start-up only, like the rest of the module.
 */
#ifndef SIPEDGE_CFG_PRIV_H
#define SIPEDGE_CFG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "cfg.h"

#define CFG_LIST_MAX	32u	   /* the longest scalar list (eal.extra_args) */

enum cfg_type {
	CFG_T_UINT = 1, /* decimal digits, lo..hi */
	CFG_T_POW2,	/* the same, a power of two */
	CFG_T_BOOL,	/* true | false */
	CFG_T_NAME,	/* [A-Za-z0-9_-], length lo..hi */
	CFG_T_TEXT,	/* printable ASCII, length lo..hi */
	CFG_T_ARG,	/* an EAL argument: printable ASCII, length lo..hi */
	CFG_T_PATH,	/* an absolute file name: printable ASCII, length lo..hi */
	CFG_T_ROLE,	/* access | core */
	CFG_T_VDEV,	/* DPDK vdev: name[,key=value...] */
	CFG_T_PCI,	/* [domain:]bus:dev.fn */
	CFG_T_NET4,	/* IPv4/prefix */
	CFG_T_NET6,	/* IPv6/prefix */
	CFG_T_IP4,
	CFG_T_IP6,
	CFG_T_IP,	/* either family */
	CFG_T_MAC,
	CFG_T_ADDR,	/* IPv4:port, [IPv6]:port */
	CFG_T_LISTEN,	/* the same, to bind: loopback and unspecified too */
	CFG_T_HEX,	/* hi hex digits into size bytes */
	CFG_T_MAP,	/* a section: a mapping */
	CFG_T_ITEMS,	/* a section: a list of mappings */
};

enum cfg_sec {
	CFG_SEC_root = 0,
#define MAP(id, parent, help) CFG_SEC_##id,
#define ITEMS(id, parent, field, nfield, nlo, nhi, help) CFG_SEC_##id,
#include "cfg_keys.def"
	CFG_SEC__COUNT
};

enum cfg_key_id {
#define MAP(id, parent, help) CFG_KEY_##parent##_##id,
#define ITEMS(id, parent, field, nfield, nlo, nhi, help) CFG_KEY_##parent##_##id,
#define KEY(sec, name, ...) CFG_KEY_##sec##_##name,
#define NET(sec, name, ...) CFG_KEY_##sec##_##name,
#define LIST(sec, name, ...) CFG_KEY_##sec##_##name,
#include "cfg_keys.def"
	CFG_KEY__COUNT
};

struct cfg_key {
	const char *name;
	uint8_t sec;	     /* enum cfg_sec it is written in */
	uint8_t type;	     /* enum cfg_type; of each element for a list */
	uint8_t child;	     /* MAP, ITEMS: the section it opens */
	bool list;	     /* a list of scalars */
	uint32_t off, size;  /* its field in the section's struct; for a list or
			      * ITEMS, the array and the size of one element */
	uint32_t off2;	     /* NET: prefix length; list, ITEMS: the count */
	uint64_t lo, hi;     /* value, length, prefix or port bounds */
	uint32_t nlo, nhi;   /* list, ITEMS: number of entries */
	const char *def;     /* CFG_REQUIRED (NULL), CFG_NONE (""), or text */
	const char *example, *help;
	const char *lo_doc, *hi_doc; /* bounds as written in the .def */
};

/* Where the keys of one object (the struct cfg, a port, a backend, a
 * neighbour) were written: for the cross-checks' messages and to find a
 * key given twice. */
struct ld_obj {
	const void *obj;
	uint32_t at;		       /* line of its mapping */
	uint32_t line[CFG_KEY__COUNT]; /* line of each key given; 0: absent */
};

#define LD_MAX_OBJ (1 + DP_MAX_PORTS * (1 + CFG_MAX_STATIC_NEIGH) + DP_MAX_BACKENDS)

struct ld {
	const char *file;
	char *err;
	size_t errlen;
	const char *buf;	 /* the file's text */
	size_t len;
	yaml_document_t doc;
	struct cfg *c;
	uint32_t doc_line;	 /* where the document starts */
	char kp[160];		 /* the key path being read: ports[1].mtu */
	struct ld_obj obj[LD_MAX_OBJ];
	unsigned n_obj;
	uint32_t elem[CFG_KEY__COUNT][CFG_LIST_MAX]; /* lines of list elements */
};

/* Whether the text of a plain scalar is YAML's null (empty, ~, null). */
bool cfg_is_null(const char *s, size_t n);

/* Parses s[0..n) as key k into element idx of k's field in obj. Returns NULL
 * or why the value is refused (static, good until the next call). */
const char *cfg_set_scalar(const struct cfg_key *k, void *obj, unsigned idx,
			   const char *s, size_t n, bool plain);

/* FILE:LINE: PATH: message into ld->err. Returns -EINVAL. */
int __attribute__((format(printf, 4, 5)))
cfg_ld_fail(struct ld *ld, uint32_t line, const char *path, const char *fmt, ...);

/* The whole of ld->file into a malloc'd buffer (*bufp, the caller frees it).
 * Returns 0 or -errno with the message in ld->err. */
int cfg_read_file(struct ld *ld, char **bufp, size_t *lenp);

/* libyaml's error in p, as a message in ld->err. Returns -EINVAL or -ENOMEM. */
int cfg_syntax_error(struct ld *ld, const yaml_parser_t *p);

/* The event parser's pass over ld->buf: syntax errors, anchors, aliases,
 * tags, no document or two. Returns 0 or -EINVAL/-ENOMEM. */
int cfg_scan(struct ld *ld);

/* The rules between keys, on the loaded ld->c. Returns 0 or -EINVAL. */
int cfg_check(struct ld *ld);

#endif /* SIPEDGE_CFG_PRIV_H */
