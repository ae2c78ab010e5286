/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_priv.h - the blob format shared by the compiler (rs_compile.c) and the
 * loader (rs_set.c), and the loaded set the evaluator (rs_eval.c) reads.
 * docs/rules-engine.md describes both.
 *
 * The blob is little-endian with fixed-width fields (x86-64 only, like
 * Hyperscan's own serialized databases, so records are copied out with
 * memcpy). It holds the source of truth only: rules in rank order, their
 * conditions, the atoms (distinct condition tests), the slots (distinct
 * fields), CIDR prefixes, strings and one serialized Hyperscan database per
 * scanned slot. Every index the evaluator needs (trigger lists, CIDR hash
 * tables, the id index) is rebuilt by the loader from those, so a blob has
 * nothing derived in it that could disagree with the rest.
 */
#ifndef SIPEDGE_RS_PRIV_H
#define SIPEDGE_RS_PRIV_H

#include <hs/hs.h>

#include "rs.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the rules blob is little-endian and read in place"
#endif

#define RS_BLOB_MAGIC "SPDGRULE"
#define RS_BLOB_VERSION 1u
#define RS_NOSTR UINT32_MAX /* a string offset meaning "none" */
#define RS_NONE UINT32_MAX  /* an index meaning "none" */

/* Bounds the compiler enforces and the loader checks again. */
#define RS_MAX_REASON 128u  /* bytes of a reject reason phrase */
#define RS_MAX_MSG 1024u    /* bytes of a rule's msg */
#define RS_MAX_HDR_NAME 255u
#define RS_MAX_BAN_S (86400u * 30)
#define RS_MAX_CONDS 64u    /* conditions in one rule */

enum rs_sec {
	RS_SEC_RULES = 0,
	RS_SEC_CONDS,
	RS_SEC_ATOMS,
	RS_SEC_SLOTS,
	RS_SEC_CIDRS,
	RS_SEC_STRS,
	RS_SEC_DBS,
	RS_SEC__COUNT
};

struct rs_blob_sec {
	uint64_t off, len; /* from the start of the blob */
};

/* The checksum covers every byte after its own field; the fields before it
 * are checked one by one. */
struct rs_blob_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;
	uint64_t total_len;
	uint64_t checksum; /* FNV-1a 64 of [offsetof(hs_version), total_len) */
	char hs_version[64]; /* hs_version() of the compiler, NUL-padded */
	uint64_t cpu_features; /* the target's HS_CPU_FEATURES_* */
	uint32_t tune;
	uint32_t reserved;
	struct rs_blob_sec sec[RS_SEC__COUNT];
};

/* Rules, in rank order. */
struct rs_blob_rule {
	uint32_t id;
	int32_t prio;
	uint8_t action;
	uint8_t shadow;
	uint16_t code;
	uint32_t ban_s;
	uint32_t reason; /* offset in STRS or RS_NOSTR */
	uint32_t msg;
	uint32_t cond;	 /* first condition in CONDS */
	uint32_t n_cond;
	uint32_t trigger; /* index of the condition (0 .. n_cond-1) whose atom
			   * makes the rule a candidate, or RS_NONE: always */
	uint32_t reserved;
};

struct rs_blob_cond {
	uint32_t atom;
	uint8_t neg;
	uint8_t reserved[3];
};

/* What an atom tests; how the evaluator learns whether it holds. */
enum rs_atom_type {
	RS_AT_SCAN = 1, /* a pattern in its slot's database (id = atom) */
	RS_AT_EXISTS,	/* the slot has a value */
	RS_AT_EMPTY,	/* some value of the slot is empty (== "") */
	RS_AT_NUM,	/* op (LT .. NUM_NE) against num */
	RS_AT_CIDR,	/* the address is in one of the atom's prefixes */
	RS_AT__COUNT
};

struct rs_blob_atom {
	uint8_t type; /* enum rs_atom_type */
	uint8_t op;   /* enum rs_op: SCAN (informative) and NUM */
	uint16_t slot;
	uint32_t reserved;
	int64_t num;
};

struct rs_blob_slot {
	uint16_t field;	 /* enum rs_field */
	uint16_t reserved;
	uint32_t hdr;	 /* RS_F_hdr: the name's offset in STRS, else RS_NOSTR */
	uint64_t db_off; /* in DBS; db_len 0: no database */
	uint64_t db_len;
};

struct rs_blob_cidr {
	uint32_t atom;
	uint8_t af, plen;
	uint8_t a[16];
	uint8_t reserved[2];
};

_Static_assert(sizeof(struct rs_blob_hdr) == 224, "blob header layout");
_Static_assert(sizeof(struct rs_blob_rule) == 40, "blob rule layout");
_Static_assert(sizeof(struct rs_blob_cond) == 8, "blob cond layout");
_Static_assert(sizeof(struct rs_blob_atom) == 16, "blob atom layout");
_Static_assert(sizeof(struct rs_blob_slot) == 24, "blob slot layout");
_Static_assert(sizeof(struct rs_blob_cidr) == 24, "blob cidr layout");

uint64_t rs_fnv64(const void *p, size_t len);

/* Names of the HS_CPU_FEATURES_* bits in f ("AVX2, AVX-512"), or "none". */
const char *rs_features_str(uint64_t f, char *buf, size_t len);

#define RS_KNOWN_FEATURES \
	(HS_CPU_FEATURES_AVX2 | HS_CPU_FEATURES_AVX512 | HS_CPU_FEATURES_AVX512VBMI)

/* ---- the loaded set ---- */

/* Hot: what rs_eval reads for a candidate rule. */
struct rs_rt_rule {
	uint32_t cond, n_cond;
	uint8_t action;
	uint8_t shadow;
};

struct rs_rt_cond {
	uint32_t atom;
	uint32_t neg;
};

struct rs_rt_atom {
	uint8_t type;
	uint8_t op;
	uint16_t slot;
	uint32_t trig, n_trig; /* the rules it triggers: trig_rules[trig ..] */
	int64_t num;
};

struct rs_rt_slot {
	uint16_t field;
	int16_t hdr_id;	  /* RS_F_hdr: enum sip_hdr_id (OTHER: by name) */
	const char *hdr;  /* RS_F_hdr: the name, NUL-terminated */
	uint32_t hdr_len;
	hs_database_t *db;
};

/* One prefix of a (field, family) CIDR table: the atoms holding it. */
struct rs_cidr_ent {
	uint8_t plen, used;
	uint8_t a[16];
	uint32_t atom, n_atom; /* cidr_atoms[atom ..] */
};

/* Prefixes of one address field and family, one hash probe per length. */
struct rs_cidr_tab {
	uint32_t n_plen;
	uint8_t plens[129]; /* longest first */
	uint32_t mask;	    /* table size - 1 (a power of two) */
	struct rs_cidr_ent *ent;
};

/* OTHER header names, hashed case-insensitively. */
struct rs_hdr_ent {
	uint32_t slot; /* RS_NONE: empty */
};

struct rs_set {
	uint32_t n_rules, n_conds, n_atoms, n_slots;
	struct rs_rt_rule *rules;
	struct rs_rule_info *info;
	struct rs_rt_cond *conds;
	struct rs_rt_atom *atoms;
	struct rs_rt_slot *slots;
	uint32_t *trig_rules;  /* per atom, the rules it triggers */
	uint32_t *always;      /* rules with no trigger: always candidates */
	uint32_t n_always;
	uint32_t *by_id;       /* rank indices sorted by rule id */
	uint32_t *cidr_atoms;
	struct rs_cidr_tab cidr[2][2]; /* [src, dst][v4, v6] */
	int32_t fslot[RS_F__COUNT];    /* slot of a field (not hdr), or -1 */
	int32_t hdr_slot[SIP_HDR__COUNT]; /* slot of a known header, or -1 */
	uint32_t n_hdr_slots, n_other_slots;
	uint32_t other_mask;
	struct rs_hdr_ent *other; /* OTHER header names */
	bool any_hdr;
	char *strs;
	size_t strs_len;
	uint64_t cpu_features;
	unsigned tune;
};

/* Per-message state of a slot. */
struct rs_slot_state {
	uint32_t n_val;
	bool empty;
	int64_t num;
};

struct rs_scratch {
	hs_scratch_t *hs;
	uint32_t epoch;
	uint32_t cap_atoms, cap_rules, cap_slots;
	uint32_t *atom_mark; /* == epoch: the atom held in this message */
	uint32_t *matched;   /* atoms that held, this message */
	uint32_t n_matched;
	uint32_t *hold;	     /* candidate rules that held */
	struct rs_slot_state *st;
};

/* rs_set_load_as - rs_set_load with the host's features given (tests: a
 * host without AVX-512). */
int rs_set_load_as(const void *blob, size_t len, uint64_t host_features, struct rs_set **out,
		   char *err, size_t errlen);

/* The slot of a header the SIP parser does not know, by name (any case), or
 * -1. */
int32_t rs_other_slot(const struct rs_set *s, const char *name, uint32_t len);

/* A CIDR table's hash of a prefix (address already masked). */
static inline uint32_t rs_cidr_hash(uint8_t plen, const uint8_t *a)
{
	uint64_t x, y;

	__builtin_memcpy(&x, a, 8);
	__builtin_memcpy(&y, a + 8, 8);
	uint64_t h = (x * 0x9e3779b97f4a7c15ULL) ^ (y * 0xc2b2ae3d27d4eb4fULL) ^ plen;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h >> 32);
}

static inline void rs_mask_addr(uint8_t *out, const uint8_t *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;
		out[i] = bits == 0 ? 0 : (uint8_t)(a[i] & (0xff00u >> bits));
	}
}

#endif /* SIPEDGE_RS_PRIV_H */
