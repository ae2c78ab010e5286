/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent_rules.c - the agent's commands for rulesets and bans (docs/agent.md,
 * "Rulesets" and "Bans"): rules.begin, .chunk, .load, .commit, .abort,
 * .clear, .get; bans.list, bans.lift; and what hello and snapshot say of
 * them.
 *
 * A ruleset comes in three steps, like a state: uploaded (begin, then
 * base64 chunks in order, each well under the agent's 1 MiB line), loaded
 * (the SHA-256 of the bytes checked, the blob deserialized and checked for
 * this CPU and Hyperscan, a scratch and hit counters made for every worker:
 * it is then ready, not in force), committed (one pointer store into its
 * slot; the set it replaces is retired through RCU). An upload belongs to
 * the connection that began it: one at a time per connection, a new begin
 * replaces it, and a connection that closes takes it with it. Versions are
 * per slot and never reused.
 *
 * The dynamic bans live in the workers' own tables (ban.h): this file reads
 * them without stopping anyone, and a lift is a message to the worker that
 * holds the ban, which removes it at the top of its next loop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs/hs.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "agent_priv.h"
#include "ban.h"
#include "cp_codec.h"
#include "filter.h"
#include "rs.h"
#include "worker.h"

#define AGENT_BANS_LIMIT 10000	     /* bans.list's limit: a reply under 1 MiB */
#define AGENT_BANS_SCAN	 262144	     /* bans.list's scan: slots one call reads */
/* Decoded bytes of one rules.chunk: 768 KiB less 1.5 KiB, so that its
 * base64 (1046528 characters) and the request's other fields fit in the
 * agent's 1 MiB line. */
#define AGENT_CHUNK_MAX	 784896u
#define AGENT_CHUNK_B64	 (AGENT_CHUNK_MAX / 3 * 4)

/* An upload on one connection: its bytes until rules.load, then the set
 * it made until rules.commit or rules.abort. */
struct agent_upload {
	int64_t version;
	unsigned slot;
	size_t size, got;
	uint8_t *buf;		    /* NULL once loaded */
	struct ctl_sha256_ctx sha;  /* of the bytes received, chunk by chunk */
	struct filter_rules *ready; /* loaded, not in force */
};

static const char *const slot_names[FILTER_SLOTS] = {"live", "shadow"};

/* ---- uploads ---- */

static void upload_free(struct agent_upload *up)
{
	if (up == NULL)
		return;
	free(up->buf);
	filter_rules_free(up->ready);
	free(up);
}

void agent_rules_conn_gone(struct agent_conn *c)
{
	upload_free(c->up);
	c->up = NULL;
}

static int parse_slot(json_t *v, unsigned *slot, char *err)
{
	char q[100];

	for (unsigned s = 0; s < FILTER_SLOTS; s++)
		if (strcmp(json_string_value(v), slot_names[s]) == 0 &&
		    json_string_length(v) == strlen(slot_names[s])) {
			*slot = s;
			return 0;
		}
	return agent_fail(err, "slot: %s is not live or shadow", agent_quote(v, q, sizeof(q)));
}

/* A version a slot can take: above every one committed to it. */
static int check_version(const struct agent *a, unsigned slot, json_int_t v, char *err)
{
	if (v > a->rules_high[slot])
		return 0;
	return agent_fail(err, "version: %" JSON_INTEGER_FORMAT " is not greater than %" PRId64
			  ", the highest committed to the %s slot (versions are not reused)", v,
			  a->rules_high[slot], slot_names[slot]);
}

/* The connection's upload of version v, at the step want (an upload still
 * receiving, or a loaded set); NULL with the message in err otherwise. */
enum { UP_RECEIVING, UP_LOADED, UP_ANY };

static struct agent_upload *upload_of(struct agent *a, json_int_t v, int want, char *err)
{
	struct agent_upload *up = a->answering->up;

	if (up == NULL) {
		agent_fail(err, "version: %" JSON_INTEGER_FORMAT ": no upload on this connection "
			   "(rules.begin first)", v);
		return NULL;
	}
	if (v != up->version) {
		agent_fail(err, "version: %" JSON_INTEGER_FORMAT " is not the upload in progress "
			   "(%" PRId64 ")", v, up->version);
		return NULL;
	}
	if (want == UP_RECEIVING && up->ready != NULL) {
		agent_fail(err, "version: %" PRId64 " is loaded already (rules.commit or "
			   "rules.abort next)", up->version);
		return NULL;
	}
	if (want == UP_LOADED && up->ready == NULL) {
		agent_fail(err, "version: %" PRId64 " is not loaded yet (%zu of %zu bytes "
			   "received; rules.load next)", up->version, up->got, up->size);
		return NULL;
	}
	return up;
}

/* rules.begin {slot, version, size}: a new upload on this connection,
 * replacing any it had. */
int agent_cmd_rules_begin(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t v = json_integer_value(json_object_get(req, "version"));
	json_int_t size = json_integer_value(json_object_get(req, "size"));
	uint32_t max = a->dp->cfg.rules.max_blob_bytes;
	struct agent_upload *up;
	unsigned slot = 0;

	if (parse_slot(json_object_get(req, "slot"), &slot, err) != 0 ||
	    check_version(a, slot, v, err) != 0)
		return -1;
	if (size < 1 || size > max)
		return agent_fail(err, "size: %" JSON_INTEGER_FORMAT " out of range [1, %u] "
				  "(rules.max_blob_bytes)", size, max);
	agent_rules_conn_gone(a->answering);
	up = calloc(1, sizeof(*up));
	if (up == NULL || (up->buf = malloc((size_t)size)) == NULL) {
		free(up);
		return agent_fail(err, "out of memory for a ruleset of %" JSON_INTEGER_FORMAT
				  " bytes", size);
	}
	up->version = v;
	up->slot = slot;
	up->size = (size_t)size;
	ctl_sha256_init(&up->sha);
	a->answering->up = up;
	agent_set(reply, "slot", json_string(slot_names[slot]));
	agent_set(reply, "version", json_integer(v));
	agent_set(reply, "size", json_integer(size));
	agent_set(reply, "chunk_max", json_integer(AGENT_CHUNK_MAX));
	return 0;
}

/* rules.chunk {version, off, data}: the next bytes, base64. */
int agent_cmd_rules_chunk(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t v = json_integer_value(json_object_get(req, "version"));
	json_int_t off = json_integer_value(json_object_get(req, "off"));
	json_t *data = json_object_get(req, "data");
	const char *s = json_string_value(data);
	size_t len = json_string_length(data), n;
	struct agent_upload *up = upload_of(a, v, UP_RECEIVING, err);
	long got;

	if (up == NULL)
		return -1;
	if (off < 0 || (uint64_t)off != up->got)
		return agent_fail(err, "off: %" JSON_INTEGER_FORMAT " is not %zu, the bytes "
				  "received so far (chunks come in order)", off, up->got);
	if (len > AGENT_CHUNK_B64)
		return agent_fail(err, "data: %zu characters, more than a chunk's %u (%u bytes)",
				  len, AGENT_CHUNK_B64, AGENT_CHUNK_MAX);
	if (len % 4 != 0)
		return agent_fail(err, "data: %zu characters: base64 comes in groups of 4 "
				  "(padded with =)", len);
	n = len / 4 * 3 - (len && s[len - 1] == '=') - (len > 1 && s[len - 2] == '=');
	if (n > up->size - up->got)
		return agent_fail(err, "data: %zu bytes at off %zu go past the size of %zu given "
				  "to rules.begin", n, up->got, up->size);
	got = ctl_b64_decode(s, len, up->buf + up->got);
	if (got < 0)
		return agent_fail(err, "data: not base64 at character %ld", -got - 1);
	ctl_sha256_update(&up->sha, up->buf + up->got, (size_t)got);
	up->got += (size_t)got;
	agent_set(reply, "version", json_integer(v));
	agent_set(reply, "got", json_integer((json_int_t)up->got));
	return 0;
}

/* Whether s is 64 hex digits; into lower case. */
static bool sha256_hex(const char *s, size_t len, char out[65])
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		char c = s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] - 'A' + 'a') : s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[64] = '\0';
	return true;
}

/* rules.load {version, sha256}: every byte received and its digest right:
 * the set deserialized and made ready for every worker. Refused, the
 * upload is dropped: its bytes are of no further use. */
int agent_cmd_rules_load(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t v = json_integer_value(json_object_get(req, "version"));
	json_t *sha = json_object_get(req, "sha256");
	struct agent_upload *up = upload_of(a, v, UP_RECEIVING, err);
	char want[65], have[65], q[100], why[AGENT_ERR_MAX - 64];
	uint8_t dig[32];
	int rc;

	if (up == NULL)
		return -1;
	if (!sha256_hex(json_string_value(sha), json_string_length(sha), want))
		return agent_fail(err, "sha256: %s is not 64 hex digits", agent_quote(sha, q, sizeof(q)));
	if (up->got != up->size)
		return agent_fail(err, "version: %" PRId64 ": %zu of %zu bytes received", up->version,
				  up->got, up->size);
	ctl_sha256_final(&up->sha, dig);
	ctl_sha256_hex_of(dig, have);
	if (strcmp(want, have) != 0) {
		a->mw->st->ctr[STATS_rules_load_errors]++;
		agent_rules_conn_gone(a->answering);
		return agent_fail(err, "sha256: %s does not match the bytes received (%s); the upload "
				  "is dropped", agent_quote(sha, q, sizeof(q)), have);
	}
	rc = filter_load(a->dp, up->buf, up->size, up->version, have, &up->ready, why, sizeof(why));
	if (rc != 0) {
		a->mw->st->ctr[STATS_rules_load_errors]++;
		RTE_LOG(WARNING, USER1, "agent: ruleset %" PRId64 " refused: %s\n", up->version, why);
		agent_rules_conn_gone(a->answering);
		return agent_fail(err, "ruleset %" JSON_INTEGER_FORMAT " refused: %s; the upload is "
				  "dropped", v, why);
	}
	free(up->buf);
	up->buf = NULL;
	a->mw->st->ctr[STATS_rules_loaded]++;
	RTE_LOG(NOTICE, USER1, "agent: ruleset %" PRId64 " for the %s slot loaded: %u rules, "
		"%zu bytes, %.1f ms on the main lcore\n", up->version, slot_names[up->slot],
		up->ready->n_rules, up->size, up->ready->load_ms);
	agent_set(reply, "version", json_integer(v));
	agent_set(reply, "slot", json_string(slot_names[up->slot]));
	agent_set(reply, "n_rules", json_integer(up->ready->n_rules));
	agent_set(reply, "load_ms", json_real(up->ready->load_ms));
	return 0;
}

/* A retire queue full: a worker has not reported a quiescent state for
 * DP_RETIRE_MAX changes. */
static int retire_full(char *err, const char *what)
{
	return agent_fail(err, "%s: %u old tables still wait for the workers to let go of them; "
			  "try again", what, DP_RETIRE_MAX);
}

/* rules.commit {version}: the loaded set in force in its slot. */
int agent_cmd_rules_commit(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t v = json_integer_value(json_object_get(req, "version"));
	struct agent_upload *up = upload_of(a, v, UP_LOADED, err);
	const struct filter_rules *old;
	char what[64];

	if (up == NULL || check_version(a, up->slot, v, err) != 0)
		return -1;
	old = filter_in(a->dp, up->slot);
	if (old != NULL)
		agent_set(reply, "previous", json_integer(old->version));
	else
		agent_set(reply, "previous", json_null());
	snprintf(what, sizeof(what), "ruleset %" PRId64 " not put in force", up->version);
	if (filter_publish(a->dp, up->slot, up->ready) != 0)
		return retire_full(err, what);
	if (old != NULL)
		snprintf(what, sizeof(what), "was %" PRId64, old->version);
	else
		snprintf(what, sizeof(what), "was empty");
	RTE_LOG(NOTICE, USER1, "agent: ruleset %" PRId64 " in force in the %s slot (%u rules; "
		"%s)\n", up->version, slot_names[up->slot], up->ready->n_rules, what);
	a->rules_high[up->slot] = up->version;
	a->mw->st->ctr[STATS_rules_commits]++;
	agent_set(reply, "slot", json_string(slot_names[up->slot]));
	agent_set(reply, "version", json_integer(v));
	up->ready = NULL;
	agent_rules_conn_gone(a->answering);
	return 0;
}

/* rules.abort {version}: this connection's upload or loaded set dropped. */
int agent_cmd_rules_abort(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t v = json_integer_value(json_object_get(req, "version"));
	struct agent_upload *up = upload_of(a, v, UP_ANY, err);

	if (up == NULL)
		return -1;
	agent_set(reply, "version", json_integer(v));
	agent_set(reply, "dropped", json_string(up->ready ? "loaded" : "upload"));
	agent_rules_conn_gone(a->answering);
	return 0;
}

/* rules.clear {slot}: the slot emptied (live: every request forwarded). */
int agent_cmd_rules_clear(struct agent *a, json_t *req, json_t *reply, char *err)
{
	const struct filter_rules *old;
	unsigned slot = 0;

	if (parse_slot(json_object_get(req, "slot"), &slot, err) != 0)
		return -1;
	old = filter_in(a->dp, slot);
	agent_set(reply, "slot", json_string(slot_names[slot]));
	agent_set(reply, "previous", old ? json_integer(old->version) : json_null());
	if (old == NULL)
		return 0;
	RTE_LOG(NOTICE, USER1, "agent: the %s slot cleared (ruleset %" PRId64 " out of force)\n",
		slot_names[slot], old->version);
	if (filter_publish(a->dp, slot, NULL) != 0)
		return retire_full(err, "not cleared");
	a->mw->st->ctr[STATS_rules_clears]++;
	return 0;
}

/* {"version", "sha256"[, more]} of what is in slot, or null. */
static json_t *slot_json(const struct dp *dp, unsigned slot, bool full)
{
	const struct filter_rules *r = filter_in(dp, slot);
	json_t *o;

	if (r == NULL)
		return json_null();
	o = json_object();
	agent_set(o, "version", json_integer(r->version));
	agent_set(o, "sha256", json_string(r->sha256));
	if (full) {
		agent_set(o, "n_rules", json_integer(r->n_rules));
		agent_set(o, "loaded_at", json_integer(r->loaded_at));
		agent_set(o, "load_ms", json_real(r->load_ms));
	}
	return o;
}

/* hello's "rules": what each slot holds. */
json_t *agent_rules_hello(const struct agent *a)
{
	json_t *o = json_object();

	for (unsigned s = 0; o && s < FILTER_SLOTS; s++)
		agent_set(o, slot_names[s], slot_json(a->dp, s, false));
	return o;
}

/* hello's "hyperscan": what sipedge-control compiles for. */
json_t *agent_rules_hyperscan(void)
{
	struct rs_platform p = {0, 0};
	json_t *o = json_object();

	rs_platform_host(&p);
	agent_set(o, "version", json_string(hs_version()));
	agent_set(o, "cpu_features", json_integer((json_int_t)p.cpu_features));
	agent_set(o, "tune", json_integer(p.tune));
	return o;
}

/* rules.get: each slot's set, the sets waiting for their grace period, and
 * the highest version each slot took. */
int agent_cmd_rules_get(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_t *high = json_object();

	(void)req;
	(void)err;
	for (unsigned s = 0; s < FILTER_SLOTS; s++) {
		agent_set(reply, slot_names[s], slot_json(a->dp, s, true));
		agent_set(high, slot_names[s], json_integer(a->rules_high[s]));
	}
	agent_set(reply, "retiring", json_integer(filter_retiring(a->dp)));
	agent_set(reply, "highest_version", high);
	return 0;
}

/* filter_hits_each's callback: "id": [per worker] */
struct hits_arg {
	json_t *o;
	unsigned nw;
};

static void add_hits(void *arg, uint32_t id, const uint64_t *per_worker)
{
	struct hits_arg *h = arg;
	json_t *arr = json_array();
	char key[12];

	for (unsigned k = 0; arr && k < h->nw; k++)
		agent_append(arr, json_integer((json_int_t)per_worker[k]));
	snprintf(key, sizeof(key), "%" PRIu32, id);
	agent_set(h->o, key, arr);
}

/* The snapshot's "rules": per slot the version in force (null when empty)
 * and the hits of every rule id that has any since the start. */
json_t *agent_rules_snapshot(struct agent *a)
{
	json_t *o = json_object();

	for (unsigned s = 0; o && s < FILTER_SLOTS; s++) {
		const struct filter_rules *r = filter_in(a->dp, s);
		struct hits_arg h = {json_object(), a->dp->n_workers};
		json_t *e = json_object();

		if (h.o != NULL && filter_hits_each(a->dp, s, add_hits, &h) != 0) {
			json_decref(h.o);
			h.o = NULL; /* the reply is refused as incomplete */
		}
		agent_set(e, "version", r ? json_integer(r->version) : json_null());
		agent_set(e, "hits", h.o);
		agent_set(o, slot_names[s], e);
	}
	return o;
}

/* ---- bans ---- */

/* A position in the dynamic tables: worker << 32 | slot, the cursor of
 * bans.list. */
struct ban_pos {
	unsigned worker;
	uint32_t slot;
};

/* The dynamic bans in force from *pos on, through at most scan slots in all
 * (across workers), up to limit of them: [{"ip", "worker", "rule",
 * "expires_in_s"}]. *pos ends where the next call goes on (worker
 * n_workers: the last table's end). NULL when memory ran out. */
static json_t *dynamic_json(const struct dp *dp, unsigned limit, uint32_t scan,
			    struct ban_pos *pos)
{
	struct ban_info *bi = calloc(limit, sizeof(*bi));
	json_t *arr = json_array();
	uint64_t now = rte_rdtsc();
	unsigned left = limit;
	char ip[64];

	while (bi && arr && pos->worker < dp->n_workers && scan > 0 && left > 0) {
		const struct worker *w = dp->workers[pos->worker];
		uint32_t slots = ban_table_slots(w), end = slots, next;
		unsigned n;

		if (slots - pos->slot > scan)
			end = pos->slot + scan;
		n = ban_table_walk(w, now, pos->slot, end, bi, left, &next);
		scan -= next - pos->slot;
		left -= n;
		for (unsigned i = 0; i < n; i++) {
			json_t *o = json_object();
			uint64_t s = (bi[i].expires - now + dp->tsc_hz - 1) / dp->tsc_hz;

			if (o != NULL) {
				agent_set(o, "ip", json_string(cfg_fmt_addr(&bi[i].ip, 0, ip,
									    sizeof(ip))));
				agent_set(o, "worker", json_integer(pos->worker));
				agent_set(o, "rule", json_integer(bi[i].rule));
				agent_set(o, "expires_in_s", json_integer((json_int_t)s));
			}
			agent_append(arr, o);
		}
		pos->slot = next;
		if (next == slots) {
			pos->worker++;
			pos->slot = 0;
		}
	}
	if (bi == NULL) {
		json_decref(arr);
		arr = NULL;
	}
	free(bi);
	return arr;
}

/* The state's manual bans not yet expired, up to limit: [{"prefix",
 * "expires"}]; *total how many are in force. */
static json_t *manual_json(const struct agent *a, unsigned limit, unsigned *total)
{
	json_t *arr = json_array();
	int64_t now = (int64_t)time(NULL);
	char b[80];

	*total = 0;
	for (unsigned i = 0; arr && i < a->cur.n_bans; i++) {
		const struct ban_prefix *p = &a->cur.bans[i];
		json_t *o;

		if (p->expires != 0 && p->expires <= now)
			continue;
		if ((*total)++ >= limit)
			continue;
		o = json_object();
		if (o != NULL) {
			agent_set(o, "prefix", json_string(ban_prefix_fmt(p, b, sizeof(b))));
			agent_set(o, "expires", json_integer(p->expires));
		}
		agent_append(arr, o);
	}
	return arr;
}

/* bans.list {limit, cursor?, scan?}: the dynamic bans of at most scan
 * slots from cursor on (a page: the main lcore answers nothing else while
 * it reads them) and the manual bans in force, each list cut at limit.
 * dynamic_total is the tables' own count, not a walk. */
int agent_cmd_bans_list(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_int_t limit = json_integer_value(json_object_get(req, "limit"));
	json_t *jc = json_object_get(req, "cursor"), *js = json_object_get(req, "scan");
	json_int_t cursor = jc ? json_integer_value(jc) : 0;
	json_int_t scan = js ? json_integer_value(js) : AGENT_BANS_SCAN;
	const struct dp *dp = a->dp;
	uint32_t slots = ban_table_slots(dp->workers[0]);
	struct ban_pos pos = {(unsigned)((uint64_t)cursor >> 32), (uint32_t)cursor};
	unsigned nd = 0, nm;
	json_t *d, *m;

	if (limit < 1 || limit > AGENT_BANS_LIMIT)
		return agent_fail(err, "limit: %" JSON_INTEGER_FORMAT " out of range [1, %d]", limit,
				  AGENT_BANS_LIMIT);
	if (scan < 1 || scan > AGENT_BANS_SCAN)
		return agent_fail(err, "scan: %" JSON_INTEGER_FORMAT " out of range [1, %d]", scan,
				  AGENT_BANS_SCAN);
	if (cursor < 0 || pos.worker >= dp->n_workers || pos.slot >= slots)
		return agent_fail(err, "cursor: %" JSON_INTEGER_FORMAT " is not worker << 32 | "
				  "slot of a table here (workers 0..%u, slots 0..%" PRIu32 "; "
				  "next_cursor of the previous reply)", cursor, dp->n_workers - 1,
				  slots - 1);
	d = dynamic_json(dp, (unsigned)limit, (uint32_t)scan, &pos);
	m = manual_json(a, (unsigned)limit, &nm);
	for (unsigned k = 0; k < dp->n_workers; k++)
		nd += ban_table_count(dp->workers[k]);
	agent_set(reply, "dynamic", d);
	agent_set(reply, "dynamic_total", json_integer(nd));
	agent_set(reply, "next_cursor", pos.worker < dp->n_workers
						? json_integer((json_int_t)pos.worker << 32 | pos.slot)
						: json_null());
	agent_set(reply, "manual", m);
	agent_set(reply, "manual_total", json_integer(nm));
	agent_set(reply, "state_version", json_integer(a->cur.version));
	return 0;
}

/* bans.lift {ip}: the dynamic ban of ip removed by the worker that holds
 * it, at the top of its next loop. */
int agent_cmd_bans_lift(struct agent *a, json_t *req, json_t *reply, char *err)
{
	json_t *v = json_object_get(req, "ip"), *ws;
	const struct dp *dp = a->dp;
	uint64_t now = rte_rdtsc();
	struct dp_ip ip;
	char q[100];

	if (strlen(json_string_value(v)) != json_string_length(v) ||
	    cfg_parse_ip(json_string_value(v), &ip) != 0)
		return agent_fail(err, "ip: %s is not an IPv4 or IPv6 address",
				  agent_quote(v, q, sizeof(q)));
	ws = json_array();
	for (unsigned k = 0; ws && k < dp->n_workers; k++) {
		if (!ban_table_has(dp->workers[k], &ip, now))
			continue;
		if (ban_lift(dp->workers[k], &ip) != 0) {
			json_decref(ws);
			return agent_fail(err, "ip: %s: worker %u has %u control messages waiting; "
					  "try again", agent_quote(v, q, sizeof(q)), k, BAN_CTL_RING);
		}
		agent_append(ws, json_integer(k));
	}
	if (ws != NULL && json_array_size(ws) == 0) {
		json_decref(ws);
		return agent_fail(err, "ip: %s has no dynamic ban (a manual ban goes with a state "
				  "that no longer lists it)", agent_quote(v, q, sizeof(q)));
	}
	agent_set(reply, "ip", json_string(cfg_fmt_addr(&ip, 0, q, sizeof(q))));
	agent_set(reply, "workers", ws);
	return 0;
}

/* The snapshot's "bans": the dynamic bans in use per worker (expired ones
 * go within one sweep of the table) and the manual ones of the state. */
json_t *agent_bans_counts(const struct agent *a)
{
	json_t *o = json_object(), *per = json_array();

	for (unsigned k = 0; per && k < a->dp->n_workers; k++)
		agent_append(per, json_integer(ban_table_count(a->dp->workers[k])));
	agent_set(o, "dynamic", per);
	agent_set(o, "manual", json_integer(a->cur.n_bans));
	return o;
}
