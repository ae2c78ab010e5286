/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * stats.c - names of the counters of stats.def, sums and printing.
 */
#include <inttypes.h>
#include <stdio.h>

#include "stats.h"

static const char *const drop_names[] = {
	[STATS_DROP_NONE] = "none",
#define DROP(id, help) [STATS_DROP_##id] = #id,
#include "stats.def"
};

static const char *const drop_help[] = {
	[STATS_DROP_NONE] = "",
#define DROP(id, help) [STATS_DROP_##id] = help,
#include "stats.def"
};

static const unsigned reply_codes[] = {
#define REPLY(code, help) code,
#include "stats.def"
};

static const char *const ctr_names[] = {
#define CTR(id, help) #id,
#include "stats.def"
};

static const char *const port_names_[] = {
#define PORT(id, help) #id,
#include "stats.def"
};

static const char *const be_names_[] = {
#define BE(id, help) #id,
#include "stats.def"
};

static const char *const stage_names[] = {
#define STAGE(id, help) #id,
#include "stats.def"
};

const char *stats_stage_name(unsigned s)
{
	return s < STATS_STAGE__COUNT ? stage_names[s] : "?";
}

int stats_reply_idx(unsigned code)
{
	for (unsigned i = 0; i < STATS_REPLY__COUNT; i++)
		if (reply_codes[i] == code)
			return (int)i;
	return -1;
}

unsigned stats_reply_code(unsigned idx)
{
	return idx < STATS_REPLY__COUNT ? reply_codes[idx] : 0;
}

const char *stats_drop_name(unsigned r)
{
	return r < STATS_DROP__COUNT ? drop_names[r] : "?";
}

const char *stats_drop_help(unsigned r)
{
	return r < STATS_DROP__COUNT ? drop_help[r] : "?";
}

const char *stats_ctr_name(unsigned c)
{
	return c < STATS_CTR__COUNT ? ctr_names[c] : "?";
}

const char *stats_port_name(unsigned c)
{
	return c < STATS_PORT__COUNT ? port_names_[c] : "?";
}

const char *stats_be_name(unsigned c)
{
	return c < STATS_BE__COUNT ? be_names_[c] : "?";
}

void stats_brief(const struct stats_block *b, struct stats_brief *o)
{
	o->rx = b->ctr[STATS_rx_pkts];
	o->tx = b->ctr[STATS_tx_pkts];
	o->requests = b->ctr[STATS_sip_requests];
	o->responses = b->ctr[STATS_sip_responses];
	o->forwarded = b->ctr[STATS_fwd_access_to_core] + b->ctr[STATS_fwd_core_to_access] +
		       b->ctr[STATS_fwd_responses];
	o->exceptions = b->ctr[STATS_exceptions];
	o->replies = 0;
	for (unsigned i = 0; i < STATS_REPLY__COUNT; i++)
		o->replies += b->reply[i];
	o->drops = 0;
	for (unsigned i = 1; i < STATS_DROP__COUNT; i++)
		o->drops += b->drop[i];
}

static const char *const group_names[STATS_G__COUNT][2] = {
	[STATS_G_CTR] = {"ctr", ""},
	[STATS_G_REPLY] = {"reply", "reply_"},
	[STATS_G_DROP] = {"drop", "drop_"},
};

const char *stats_group_name(unsigned g)
{
	return g < STATS_G__COUNT ? group_names[g][0] : "?";
}

const char *stats_group_prefix(unsigned g)
{
	return g < STATS_G__COUNT ? group_names[g][1] : "?";
}

void stats_each(const struct stats_block *b,
		void (*fn)(void *arg, unsigned group, const char *name, uint64_t v),
		void *arg)
{
	char code[12];

	for (unsigned i = 0; i < STATS_CTR__COUNT; i++)
		fn(arg, STATS_G_CTR, ctr_names[i], b->ctr[i]);
	for (unsigned i = 0; i < STATS_REPLY__COUNT; i++) {
		snprintf(code, sizeof(code), "%u", reply_codes[i]);
		fn(arg, STATS_G_REPLY, code, b->reply[i]);
	}
	for (unsigned i = 1; i < STATS_DROP__COUNT; i++)
		fn(arg, STATS_G_DROP, drop_names[i], b->drop[i]);
}

void stats_add(struct stats_block *sum, const struct stats_block *b)
{
	/* the block is an array of uint64_t in disguise */
	uint64_t *d = (uint64_t *)sum;
	const uint64_t *s = (const uint64_t *)b;

	for (size_t i = 0; i < sizeof(*b) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

/* One "  flat_name value" line per non-zero counter. */
static void print_one(void *arg, unsigned group, const char *name, uint64_t v)
{
	char flat[64];

	if (v == 0)
		return;
	snprintf(flat, sizeof(flat), "%s%s", group_names[group][1], name);
	fprintf(arg, "  %-28s %" PRIu64 "\n", flat, v);
}

void stats_print(FILE *f, const struct stats_block *s,
		 const char *const *port_names, unsigned nports,
		 const char *const *be_names, unsigned nbe)
{
	stats_each(s, print_one, f);
	for (unsigned p = 0; p < nports && p < STATS_MAX_PORTS; p++)
		for (unsigned i = 0; i < STATS_PORT__COUNT; i++)
			fprintf(f, "  port %-10s %-12s %" PRIu64 "\n",
				port_names ? port_names[p] : "?", port_names_[i],
				s->port[p][i]);
	for (unsigned b = 0; b < nbe && b < STATS_MAX_BACKENDS; b++)
		for (unsigned i = 0; i < STATS_BE__COUNT; i++)
			fprintf(f, "  backend %-10s %-9s %" PRIu64 "\n",
				be_names ? be_names[b] : "?", be_names_[i],
				s->be[b][i]);
}
