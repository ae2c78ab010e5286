/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_rules.h - what the rules modules of sipedge-control share (private to
 * cp_rules*.c and cp_explain.c; the rest of the daemon sees cp.h).
 *
 * A ruleset version is what one `rules load` (or rollback, or the config's
 * rules.files) made: the files it read, kept byte for byte under
 * state_dir/rules/<version>/src/<original path>, their parse, and one
 * compiled blob per Hyperscan platform. Versions are numbered by control,
 * never reused; the last rules.history of them are kept.
 *
 * Parsing and compiling run on a job thread (cp_rules_job.c); sending a
 * blob to a node is a transfer (cp_rules_push.c); an operator's change is
 * an op: a job, then a two-phase push across the connected nodes.
 */
#ifndef SIPEDGE_CP_RULES_H
#define SIPEDGE_CP_RULES_H

#include "cp.h"
#include "ctl_rs.h"

/* Decoded bytes per rules.chunk when the dataplane does not say (its
 * rules.begin reply's chunk_max), and at most: the base64 (4/3 of it) and
 * the request around it stay under the agent's 1 MiB line. */
#define CTL_RS_CHUNK (512u << 10)
#define CTL_RS_CHUNK_MAX 784896u

/* One platform's blob of a version. */
struct ctl_rs_blob {
	char platform[96];
	void *data;
	size_t len;
	char sha256[65];
	struct ctl_rs_blob *next;
};

struct ctl_rs_ver {
	uint64_t version;
	char origin[160];   /* "rules.load", "rules.files", "rollback to 4" */
	uint64_t loaded_s;  /* Unix time */
	json_t *top;	    /* the files given, original paths */
	json_t *files;	    /* every file read (includes too), in order */
	json_t *digests;    /* platform -> sha256 of the blob sent there */
	uint32_t n_rules;
	uint64_t src_bytes;
	struct rs_compile_stats st; /* the host compile */
	bool refused;	    /* a push of it failed: never in force */
	bool was_live;	    /* it was in force as the live ruleset once */
	char *dir;	    /* state_dir/rules/<version> */
	char *parse_root;   /* the prefix of the AST's file names */
	struct ctl_rs_src *src; /* NULL until parsed (lazily for old ones) */
	struct ctl_rs_blob *blobs;
	struct rs_set *set;	   /* the host's, loaded: for explain */
	struct rs_scratch *sc_set;
	unsigned busy;	    /* jobs and transfers using it */
	/* the kept sources read so far (show, diff) */
	struct ctl_rs_text *texts;
	unsigned ntexts;
	uint64_t *byid; /* (id << 32 | index) sorted: rules by id */
	struct ctl_rs_ver *next; /* older */
};

struct ctl_rs_text {
	char *name, *p;
	size_t len;
};

enum ctl_rs_job_kind {
	CTL_RS_JOB_LOAD = 1, /* parse the files, keep them, parse the copy, compile */
	CTL_RS_JOB_CHECK,    /* parse the files, compile for this host */
	CTL_RS_JOB_RESTORE,  /* parse a kept version, compile for this host */
	CTL_RS_JOB_PLATFORM, /* compile a parsed version for more platforms */
};

#define CTL_RS_PLATFORMS_MAX 8

struct ctl_rs_platform {
	char key[96];
	struct rs_platform p;
	bool host;
};

struct ctl_rs_job;
typedef void (*ctl_rs_job_cb)(struct ctl_rules *rs, struct ctl_rs_job *j);

struct ctl_rs_job {
	enum ctl_rs_job_kind kind;
	/* inputs, owned by the job */
	char **paths;	    /* top files, as the parser opens them */
	unsigned npaths;
	char *strip;	    /* prefix of paths that is not the original's ("" none) */
	char *snap;	    /* LOAD: where to keep the copy: snap/src/<original> */
	struct rs_parse_opts opts;
	struct ctl_rs_platform plat[CTL_RS_PLATFORMS_MAX];
	unsigned nplat;	    /* plat[0] is this host's */
	struct ctl_rs_ver *ver; /* RESTORE, PLATFORM: the version (busy) */
	/* outputs, read by the loop once done */
	int rc;
	char err[512];	    /* rc < 0 and no diagnostics: why */
	struct ctl_rs_diags d; /* original file names */
	struct ctl_rs_src *src;
	char **files;	    /* LOAD, CHECK: every file read, original names */
	unsigned nfiles;
	uint64_t src_bytes;
	struct ctl_rs_blob *blobs;
	struct rs_compile_stats st;
	struct rs_set *set;
	uint64_t ms;	    /* wall clock of the whole job */
	/* the loop's */
	ctl_rs_job_cb done;
	void *arg;
	struct ctl_rs_cache *cache; /* the rules' compile cache (job thread) */
	struct ctl_rs_job *next;
};

/* What one rules operation is: an op queued until the one before it is
 * over (cp_rules_push.c). */
enum ctl_rs_op_kind {
	CTL_RS_OP_LOAD = 1, /* rules.load, and rules.files from the config */
	CTL_RS_OP_ROLLBACK,
	CTL_RS_OP_UNLOAD,
};

struct ctl_rs_op;

/* Blobs compiled before, by what they were compiled from (the platform and
 * a SHA-256 over every file read, names and bytes): loading the same rules
 * again (a swap back, a rollback, a ruleset loaded on a second slot) takes
 * the copy instead of Hyperscan's seconds. Used by the job thread only
 * (one job at a time); at most CTL_RS_CACHE_BYTES of blobs, least recently
 * used first out. */
#define CTL_RS_CACHE_BYTES (128u << 20)
struct ctl_rs_cache_ent {
	char key[96 + 65];
	void *data;
	size_t len;
	struct rs_compile_stats st;
	struct ctl_rs_cache_ent *next; /* less recently used */
};

struct ctl_rs_cache {
	struct ctl_rs_cache_ent *head;
	size_t bytes;
	uint64_t hits, misses; /* written by the job thread, read by the loop */
};

struct ctl_rules {
	struct ctl_cp *cp;
	struct ctl_rs_cache cache;
	uint64_t next_version;
	uint64_t want[CTL_RS__SLOTS];  /* version wanted in force; 0: none */
	bool managed[CTL_RS__SLOTS];   /* control ever set the slot */
	struct ctl_rs_ver *hist;       /* newest first */
	json_t *cfg_applied[CTL_RS__SLOTS]; /* rules.files lists last loaded */
	struct ctl_rs_platform host;
	/* jobs: one runs at a time on its thread, the rest wait */
	struct ctl_rs_job *jq, *jcur;
	int efd;
	struct ctl_io eio;
	bool thread_live;
	unsigned long thread; /* pthread_t */
	/* ops: one at a time */
	struct ctl_rs_op *oq, *ocur;
	/* counters */
	uint64_t loads_ok, loads_failed, compile_ms_total;
};

/* ---- cp_rules_job.c ---- */
struct ctl_rs_job *ctl_rs_job_new(enum ctl_rs_job_kind kind);
void ctl_rs_job_free(struct ctl_rs_job *j);
/* Queues j; done(rs, j) runs on the loop once it is over, taking out of
 * j what it keeps; j is freed after. Returns 0. */
int ctl_rs_job_queue(struct ctl_rules *rs, struct ctl_rs_job *j);
int ctl_rs_jobs_init(struct ctl_rules *rs);
/* Waits for the running job, drops the queued ones (their done is not
 * called). Shutdown only. */
void ctl_rs_jobs_stop(struct ctl_rules *rs);
/* Frees the compile cache (no job running: after ctl_rs_jobs_stop). */
void ctl_rs_cache_free(struct ctl_rs_cache *c);
/* This host's platform (rs_platform_host and Hyperscan's version). */
void ctl_rs_platform_host(struct ctl_rs_platform *p);
/* The key of a platform: "<hyperscan version>/<cpu features hex>/<tune>". */
void ctl_rs_platform_key(char *out, size_t len, const char *hs_version, uint64_t cpu,
			 unsigned tune);
/* ---- cp_rules.c ---- */
struct ctl_rs_ver *ctl_rs_find(struct ctl_rules *rs, uint64_t version);
/* The original name of a file name as the parser saw it. */
const char *ctl_rs_orig(const struct ctl_rs_ver *v, const char *file);
/* Parses a kept version now if it is not (show, diff): 0 or -errno. */
int ctl_rs_ensure_src(struct ctl_rules *rs, struct ctl_rs_ver *v, char *err, size_t errlen);
/* The rule of v with that id (v parsed now if it is not), or NULL. */
const struct rs_rule *ctl_rs_rule_by_id(struct ctl_rules *rs, struct ctl_rs_ver *v, uint32_t id);
/* The text of a rule: its lines in the kept source (malloc'd). */
char *ctl_rs_rule_text(struct ctl_rs_ver *v, const struct rs_rule *r);
/* A new version from a finished LOAD job (its files kept under state_dir):
 * numbered, in the history, saved. NULL with err on failure. */
struct ctl_rs_ver *ctl_rs_adopt(struct ctl_rules *rs, struct ctl_rs_job *j, const char *origin,
				char *err, size_t errlen);
/* The blob of v for node n's platform, or NULL (not compiled yet). */
struct ctl_rs_blob *ctl_rs_blob_for(struct ctl_rs_ver *v, const struct ctl_node *n);
/* The platform a node reports (its hello), or this host's. */
void ctl_rs_node_platform(const struct ctl_rules *rs, const struct ctl_node *n,
			  struct ctl_rs_platform *p);
/* Writes meta.json of v again (digests changed). */
int ctl_rs_meta_save(struct ctl_rules *rs, struct ctl_rs_ver *v);
/* Drops versions beyond rules.history (never a wanted one or a busy one). */
void ctl_rs_prune(struct ctl_rules *rs);
/* Starts a PLATFORM job so that v gets a blob for n; reconcile follows. */
void ctl_rs_want_platform(struct ctl_rules *rs, struct ctl_rs_ver *v, const struct ctl_node *n);
/* "file:line:col: msg" of every diagnostic, and how many more (new ref). */
json_t *ctl_rs_diags_json(const struct ctl_rs_job *j);
json_t *ctl_rs_ver_json(struct ctl_rules *rs, const struct ctl_rs_ver *v);
/* A JSON string of s (null for NULL); a byte that is not UTF-8 becomes
 * '?' (JSON cannot carry it). */
json_t *ctl_rs_jstr(const char *s);

/* ---- cp_rules_push.c ---- */
/* Compares what node n has with what is wanted and starts transfers. */
void ctl_rs_reconcile(struct ctl_node *n);
void ctl_rs_reconcile_all(struct ctl_rules *rs);
/* Queues an op (kind, slot, files or version) for the request r; its
 * reply comes when it is over. client 0: from the config, no reply. */
enum ctl_result ctl_rs_op_start(struct ctl_rules *rs, struct ctl_req *r, enum ctl_rs_op_kind kind,
				enum ctl_rs_slot slot, json_t *paths, uint64_t from);
void ctl_rs_ops_stop(struct ctl_rules *rs);
/* A rules.files list whose load went in (not loaded again at start-up). */
void ctl_rs_config_applied(struct ctl_rules *rs, enum ctl_rs_slot s, json_t *paths);
/* rules_dir/tmp.<pid>.<n>: where a LOAD job keeps its copy (malloc'd). */
char *ctl_rs_tmp_dir(struct ctl_rules *rs);
void ctl_rs_rm_tree(const char *dir);
const char *ctl_rs_slot_name(enum ctl_rs_slot s);

#endif /* SIPEDGE_CP_RULES_H */
