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
 * fields), CIDR prefixes, strings (== literals among them) and one
 * serialized Hyperscan database per scanned slot, with the fewest bytes a
 * pattern of it can match. Every index the evaluator needs (trigger lists, CIDR hash
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
#define RS_BLOB_VERSION 2u /* 2: min_width, == literals and len() atoms */
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
			   * makes the rule a candidate (positive; a scan,
			   * literal, CIDR, exists, == "", number or length
			   * atom other than !=), or RS_NONE: always a
			   * candidate */
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
	RS_AT_LIT,	/* some value is the literal (==), found by hash: no scan */
	RS_AT_LEN,	/* some value's length, op (LT .. NUM_NE) against num */
	RS_AT__COUNT
};

struct rs_blob_atom {
	uint8_t type;  /* enum rs_atom_type */
	uint8_t op;    /* enum rs_op: SCAN (informative), LIT (EQ), NUM, LEN */
	uint16_t slot;
	uint32_t flags; /* LIT: HS_FLAG_CASELESS or 0 */
	int64_t num;   /* NUM, LEN: the bound */
	uint32_t lit;  /* LIT: offset of the bytes in STRS (a NUL follows
			* them; they may hold NULs of their own) */
	uint32_t lit_len; /* LIT: 1 .. */
};

struct rs_blob_slot {
	uint16_t field;	 /* enum rs_field */
	uint16_t reserved;
	uint32_t hdr;	 /* RS_F_hdr: the name's offset in STRS, else RS_NOSTR */
	uint64_t db_off; /* in DBS; db_len 0: no database */
	uint64_t db_len;
	uint32_t min_width; /* the fewest bytes any pattern of the database
			     * matches (hs_expression_info): a shorter value
			     * cannot match and is not scanned; 0 without one */
	uint32_t reserved2;
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
_Static_assert(sizeof(struct rs_blob_atom) == 24, "blob atom layout");
_Static_assert(sizeof(struct rs_blob_slot) == 32, "blob slot layout");
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

struct rs_num_idx;
struct rs_lit_tab;

struct rs_rt_slot {
	uint16_t field;
	int16_t hdr_id;	  /* RS_F_hdr: enum sip_hdr_id (OTHER: by name) */
	const char *hdr;  /* RS_F_hdr: the name, NUL-terminated */
	uint32_t hdr_len;
	uint32_t min_width; /* a value shorter than this is not scanned */
	hs_database_t *db;
	const struct rs_num_idx *lens; /* its length atoms but !=, or NULL */
	const struct rs_lit_tab *lits; /* its == literals, or NULL */
	bool lazy; /* no pattern of db triggers a rule: scanned only when a
		    * candidate rule needs one of its atoms */
	bool len_ne; /* a len() != atom: the values' shortest and longest
		      * lengths are kept */
	bool counted; /* an exists, == "" or len() atom, or lazy: its values
		       * are counted (rs_slot_state); else only matched */
};

/* One prefix of a (field, family) CIDR table: the atoms holding it. The
 * address is two words in memory order (network order bytes), host bits
 * zero, so that masking and comparing is two ANDs and two compares. */
struct rs_cidr_ent {
	uint64_t a[2];
	uint8_t plen, used;
	uint32_t atom, n_atom; /* cidr_atoms[atom ..] */
};

/* Prefixes of one address field and family, one hash probe per length.
 * Most addresses are in no prefix: a bit per hash (rs_cidr_bloom) says so
 * from 512 bytes that stay in cache, instead of a probe into the table. */
#define RS_CIDR_BLOOM_WORDS 64
struct rs_cidr_tab {
	uint32_t n_plen;
	uint32_t mask; /* table size - 1 (a power of two) */
	struct rs_cidr_ent *ent;
	/* IPv4 (NULL for IPv6): bit k of by_octet[b] is set when a prefix
	 * of length len[k].plen holds addresses whose first byte is b, so
	 * that an address is hashed at those lengths only (most lengths in
	 * use are of prefixes nowhere near it) */
	uint64_t *by_octet;
	uint64_t bloom[RS_CIDR_BLOOM_WORDS];
	struct {
		uint64_t m[2]; /* the prefix length's mask, like the address */
		uint8_t plen;
	} len[129]; /* longest first */
};

/* An atom that triggers when its slot has a value (exists) or an empty
 * value (== ""). */
struct rs_pres {
	uint32_t slot, atom;
	bool empty;
};

/* Number atoms that trigger, of one field, or the length atoms of one
 * slot (!= apart): sorted by threshold within each operator, so that the
 * ones that hold for a value are one range each. */
enum { RS_NUM_LT, RS_NUM_LE, RS_NUM_GT, RS_NUM_GE, RS_NUM_EQ, RS_NUM__COUNT };

struct rs_num_ent {
	int64_t k;
	uint32_t atom;
};

struct rs_num_idx {
	uint16_t field; /* numbers: the field; lengths: the slot */
	uint32_t off[RS_NUM__COUNT + 1]; /* ent[off[op] .. off[op + 1]) */
	struct rs_num_ent *ent;
	/* a value v with lo < v < hi, outside [eq_lo, eq_hi], makes none
	 * hold: most values, rejected with four compares */
	int64_t lo, hi, eq_lo, eq_hi;
};

/* The == literals of one slot, hashed folded to lower case (rs_lit_hash),
 * so that a value is hashed once for its exact and its caseless literals
 * alike; a hit is then compared byte by byte. */
struct rs_lit_ent {
	const char *p; /* in the set's strings */
	uint32_t len, atom, h;
	bool caseless, used;
};

struct rs_lit_tab {
	uint64_t lens[4]; /* bit n: a literal of n bytes (n < 256) */
	bool long_lit;	  /* and one of 256 bytes or more */
	uint32_t mask;
	struct rs_lit_ent *ent;
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
	struct rs_pres *pres;  /* exists / == "" atoms that trigger */
	uint32_t n_pres;
	struct rs_num_idx num[RS_F__COUNT]; /* number atoms that trigger */
	uint32_t n_num;
	struct rs_num_idx *lens; /* per slot with length atoms */
	uint32_t n_lens;
	struct rs_lit_tab *lits; /* per slot with == literals */
	uint32_t n_lits;
	uint32_t *by_id;       /* rank indices sorted by rule id */
	uint32_t *cidr_atoms;
	/* [eager, lazy][src, dst][v4, v6]: the prefixes of atoms that
	 * trigger a rule, looked up for every message, and of the others
	 * (not src in ...), looked up when a candidate first reads one */
	struct rs_cidr_tab cidr[2][2][2];
	int32_t fslot[RS_F__COUNT];    /* slot of a field (not hdr), or -1 */
	int32_t hdr_slot[SIP_HDR__COUNT]; /* slot of a known header, or -1 */
	uint32_t n_hdr_slots, n_other_slots;
	uint32_t other_mask;
	uint64_t other_lens[4]; /* bit n: some OTHER slot's name has n bytes */
	struct rs_hdr_ent *other; /* OTHER header names */
	bool any_hdr;
	char *strs;
	size_t strs_len;
	uint64_t cpu_features;
	unsigned tune;
};

/* Per-message state of a slot. */
/* A slot's figures in one message. Only the slots a message gives values
 * to are written: one whose epoch is not the scratch's reads as all zero
 * (no clearing of every slot per message). */
struct rs_slot_state {
	uint32_t epoch;
	uint32_t n_val;
	bool empty;
	bool scanned; /* a lazy slot's values went through its database;
		       * an address: its lazy prefixes were looked up */
	union {
		int64_t num; /* NUM */
		struct {
			uint32_t len_min, len_max; /* STR with len_ne: of its values */
		};
	};
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

/* One match that rs_eval makes: an hs_scan of db, or (db NULL) the lookup
 * of a value among a field's == literals. */
struct rs_scan_rec {
	const hs_database_t *db;
	const struct rs_lit_tab *lits;
	const char *p;
	uint32_t len;
};

/* rs_eval_scans - every match the set takes for m: each value of each
 * scanned field through its database (the lazy ones included, a value
 * shorter than the database's width not) and each value of a field with ==
 * literals looked up among them: what matching alone costs, in order, into
 * rec[0 .. max) without making them: bench_rules's ceiling. Returns how
 * many (may exceed max), or -EINVAL for a scratch too small. */
int rs_eval_scans(const struct rs_set *s, struct rs_scratch *sc, const struct sip_msg *m,
		  struct rs_scan_rec *rec, uint32_t max);

/* rs_lit_lookup - how many of t's literals p[0..len) is: the hash, probe
 * and compares rs_eval makes for a value, without marking (the ceiling). */
unsigned rs_lit_lookup(const struct rs_lit_tab *t, const char *p, uint32_t len);

/* The hash of a value or a literal, folded to lower case: ASCII letters
 * hash as their lower case (and a few other bytes with them: x | 0x20 is
 * enough for a hash, the comparison after it is exact). Eight bytes a
 * step: a value is hashed whole on every message its length is one of a
 * literal's. */
static inline uint32_t rs_lit_hash(const char *p, uint32_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	uint32_t i = 0;

	for (; i + 8 <= len; i += 8) {
		__builtin_memcpy(&w, p + i, 8);
		h = (h ^ (w | 0x2020202020202020ULL)) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	if (i < len) {
		w = 0;
		__builtin_memcpy(&w, p + i, len - i);
		h = (h ^ (w | 0x2020202020202020ULL)) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	h *= 0x94d049bb133111ebULL;
	return (uint32_t)(h >> 32);
}

/* RFC 3261 token characters (header names, display-name words). */
static inline bool rs_is_tchar(unsigned char ch)
{
	/* bit c of the pair: ALPHA / DIGIT / "-.!%*_+`'~" */
	static const uint64_t tok[2] = {0x03ff6ca200000000ULL, 0x47ffffff87fffffeULL};

	return ch < 128 && ((tok[ch >> 6] >> (ch & 63)) & 1);
}

/* A CIDR table's hash of a prefix (address already masked). */
static inline uint32_t rs_cidr_hash(uint8_t plen, const uint64_t a[2])
{
	uint64_t h = (a[0] * 0x9e3779b97f4a7c15ULL) ^ (a[1] * 0xc2b2ae3d27d4eb4fULL) ^ plen;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h >> 32);
}

/* The bloom bit of hash h: its top 12 bits (the table takes the low). */
static inline bool rs_cidr_bloom(const struct rs_cidr_tab *t, uint32_t h)
{
	return (t->bloom[h >> 26] >> ((h >> 20) & 63)) & 1;
}

/* The mask of a prefix length, as two words laid out like the address. */
static inline void rs_plen_mask(unsigned plen, uint64_t m[2])
{
	uint8_t b[16];

	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;
		b[i] = (uint8_t)(0xff00u >> bits);
	}
	__builtin_memcpy(m, b, 16);
}

static inline void rs_mask_addr(uint8_t *out, const uint8_t *a, unsigned plen)
{
	uint64_t m[2], x[2];

	rs_plen_mask(plen, m);
	__builtin_memcpy(x, a, 16);
	x[0] &= m[0];
	x[1] &= m[1];
	__builtin_memcpy(out, x, 16);
}

#endif /* SIPEDGE_RS_PRIV_H */
