/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_bans.c - bans: manual ones that operators set (bans.add/remove), and
 * the dynamic ones that ban rules make on each dataplane (bans.list shows
 * them, bans.remove lifts one).
 *
 * A manual ban is part of the versioned state (docs/agent.md, "State"):
 * the same list goes to every node in state.prepare's "bans", beside the
 * backends, so it is pushed, resynced after a restart of either side and
 * persisted exactly like a backend change (cp_push.c, cp_state.c). Until
 * the first ban is ever set the state carries no "bans" at all, so that a
 * dataplane's own state is left alone. The dataplane drops a ban whose
 * expiry has passed by itself; control also takes it out of the list then
 * (one timer, at the earliest expiry) and pushes the shorter list, so that
 * the two never disagree for long.
 *
 * Dynamic bans live in each dataplane only (a ban rule's source, for its
 * ban_s): bans.list asks every connected node (page by page: a dataplane
 * reads a bounded part of its tables per call), bans.remove sends
 * bans.lift to every one. Both answer when the last node has.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_cmds.h"

#define BANS_MAX 4096u
#define PREFIX_MAX 48 /* "ffff:...:ffff/128" and its NUL */

struct ban {
	char prefix[PREFIX_MAX]; /* normalized: "192.0.2.0/24", "2001:db8::/32" */
	uint64_t expires;	 /* Unix seconds; 0: until removed */
};

struct ctl_bans {
	struct ctl_cp *cp;
	struct ban v[BANS_MAX];
	unsigned n;
	bool managed; /* a ban was ever set: the state carries "bans" */
	struct ctl_timer t_expire;
};

static void expire_arm(struct ctl_bans *b);

int ctl_bans_init(struct ctl_cp *cp)
{
	cp->bans = calloc(1, sizeof(*cp->bans));
	if (cp->bans == NULL)
		return -ENOMEM;
	cp->bans->cp = cp;
	return 0;
}

void ctl_bans_free(struct ctl_cp *cp)
{
	if (cp->bans == NULL)
		return;
	ctl_timer_cancel(cp->loop, &cp->bans->t_expire);
	free(cp->bans);
	cp->bans = NULL;
}

/* ---- prefixes ---- */

/* "192.0.2.7", "192.0.2.0/24", "2001:db8::/32": the address with an
 * optional length (default: the whole address), host bits zero. Writes the
 * normalized text to out. Returns 0 or -EINVAL with err saying why,
 * quoting s. */
int ctl_ban_parse(const char *s, char *out, size_t outlen, char *err, size_t errlen)
{
	char addr[64], text[INET6_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	uint8_t a[16];
	unsigned i, bits;
	long plen;
	int af;

	if (strlen(s) >= sizeof(addr) || (slash != NULL && (size_t)(slash - s) >= sizeof(addr)))
		goto bad;
	snprintf(addr, sizeof(addr), "%.*s", slash != NULL ? (int)(slash - s) : (int)strlen(s), s);
	af = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(af, addr, a) != 1)
		goto bad;
	bits = af == AF_INET ? 32 : 128;
	plen = bits;
	if (slash != NULL) {
		errno = 0;
		plen = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 || plen < 1 ||
		    plen > (long)bits) {
			/* /0 would be everyone: the dataplane refuses it too */
			snprintf(err, errlen, "prefix \"%.60s\": length \"%.8s\" is not 1..%u", s,
				 slash + 1, bits);
			return -EINVAL;
		}
	}
	for (i = (unsigned)plen; i < bits; i++) {
		if (a[i / 8] & (0x80u >> (i % 8))) {
			for (; i < bits; i++)
				a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
			inet_ntop(af, a, text, sizeof(text));
			snprintf(err, errlen,
				 "prefix \"%.60s\": host bits are set (the network is %s/%ld)", s,
				 text, plen);
			return -EINVAL;
		}
	}
	inet_ntop(af, a, text, sizeof(text));
	snprintf(out, outlen, "%s/%ld", text, plen);
	return 0;
bad:
	snprintf(err, errlen,
		 "prefix \"%.60s\": not an IPv4 or IPv6 address with an optional /length", s);
	return -EINVAL;
}

static struct ban *ban_find(struct ctl_bans *b, const char *prefix)
{
	unsigned i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i].prefix, prefix) == 0)
			return &b->v[i];
	return NULL;
}

static void ban_del(struct ctl_bans *b, struct ban *x)
{
	memmove(x, x + 1, (size_t)(b->v + b->n - (x + 1)) * sizeof(*x));
	b->n--;
}

/* ---- the state: pushed, compared, saved ---- */

json_t *ctl_bans_state(const struct ctl_cp *cp)
{
	const struct ctl_bans *b = cp->bans;
	json_t *arr;
	unsigned i;

	if (b == NULL || !b->managed)
		return NULL;
	arr = json_array();
	for (i = 0; i < b->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I}", "prefix", b->v[i].prefix,
						     "expires", (json_int_t)b->v[i].expires));
	return arr;
}

bool ctl_bans_match(const struct ctl_cp *cp, json_t *dp_state)
{
	json_t *want = ctl_bans_state(cp), *have = json_object_get(dp_state, "bans"), *e;
	bool same = true;
	size_t i;

	if (want == NULL)
		return true; /* never managed: the dataplane's own stand */
	/* as sets: the dataplane may keep them in another order, and shows
	 * no "bans" at all when it has none */
	if (have == NULL ? json_array_size(want) != 0
			 : !json_is_array(have) || json_array_size(have) != json_array_size(want))
		same = false;
	json_array_foreach(have, i, e) {
		json_t *p = json_object_get(e, "prefix"), *x = json_object_get(e, "expires");
		struct ban *mine;
		char norm[PREFIX_MAX], err[160];

		if (!same)
			break;
		if (!json_is_string(p) ||
		    ctl_ban_parse(json_string_value(p), norm, sizeof(norm), err, sizeof(err)) < 0 ||
		    (mine = ban_find(cp->bans, norm)) == NULL || !json_is_integer(x) ||
		    (uint64_t)json_integer_value(x) != mine->expires)
			same = false;
	}
	json_decref(want);
	return same;
}

json_t *ctl_bans_save(const struct ctl_cp *cp)
{
	json_t *list = ctl_bans_state(cp);

	return json_pack("{s:b, s:o}", "managed", cp->bans != NULL && cp->bans->managed, "list",
			 list != NULL ? list : json_array());
}

int ctl_bans_load(struct ctl_cp *cp, json_t *j, char *err, size_t errlen)
{
	struct ctl_bans *b = cp->bans;
	json_t *list = json_object_get(j, "list"), *e;
	size_t i;

	if (j == NULL)
		return 0;
	if (!json_is_object(j) || !json_is_array(list) || json_array_size(list) > BANS_MAX) {
		snprintf(err, errlen, "bans: not {\"managed\", \"list\": [at most %u]}", BANS_MAX);
		return -EINVAL;
	}
	b->n = 0;
	json_array_foreach(list, i, e) {
		json_t *p = json_object_get(e, "prefix"), *x = json_object_get(e, "expires");
		char perr[160];

		if (!json_is_string(p) || !json_is_integer(x) || json_integer_value(x) < 0 ||
		    ctl_ban_parse(json_string_value(p), b->v[b->n].prefix, PREFIX_MAX, perr,
				  sizeof(perr)) < 0) {
			snprintf(err, errlen, "bans.list[%zu]: not {\"prefix\", \"expires\" >= 0}", i);
			b->n = 0;
			return -EINVAL;
		}
		b->v[b->n++].expires = (uint64_t)json_integer_value(x);
	}
	b->managed = json_is_true(json_object_get(j, "managed")) || b->n > 0;
	expire_arm(b);
	return 0;
}

/* ---- expiry ---- */

static void push_quietly(struct ctl_node *n, bool ok, const char *err, void *arg)
{
	(void)n, (void)ok, (void)err, (void)arg; /* `nodes` shows a refusal */
}

/* Takes the bans whose time is up out of the list and pushes the rest to
 * every node. */
static void on_expire(struct ctl_timer *t)
{
	struct ctl_bans *b = t->ctx;
	uint64_t now = (uint64_t)time(NULL);
	struct ctl_node *n;
	unsigned i, gone = 0;

	for (i = 0; i < b->n;) {
		if (b->v[i].expires != 0 && b->v[i].expires <= now) {
			ctl_log(CTL_LOG_INFO, "ban %s: expired", b->v[i].prefix);
			ban_del(b, &b->v[i]);
			gone++;
		} else {
			i++;
		}
	}
	if (gone > 0) {
		ctl_state_save(b->cp);
		for (n = b->cp->nodes; n != NULL; n = n->next) {
			n->dirty = true;
			ctl_push(n, push_quietly, NULL);
		}
	}
	expire_arm(b);
}

static void expire_arm(struct ctl_bans *b)
{
	uint64_t next = 0, now = (uint64_t)time(NULL);
	unsigned i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].expires != 0 && (next == 0 || b->v[i].expires < next))
			next = b->v[i].expires;
	b->t_expire.cb = on_expire;
	b->t_expire.ctx = b;
	if (next == 0)
		ctl_timer_cancel(b->cp->loop, &b->t_expire);
	else
		ctl_timer_arm(b->cp->loop, &b->t_expire, next > now ? (next - now) * 1000 : 0);
}

/* ---- asking every connected node ---- */

/* One agent request to every connected node, answered when the last one
 * has: "nodes", one entry per node (ok, or the error; not connected nodes
 * are listed as such). take() adds a node's reply to its entry and says
 * whether that node counts as done what was asked. */
struct ask {
	struct ctl_cp *cp;
	uint64_t client;
	json_t *id;
	json_t *nodes;
	json_t *extra; /* members of the reply besides "nodes" */
	unsigned remaining, hits;
	bool (*take)(json_t *entry, json_t *reply);
	/* sends req (consumed) to n, its answer to ask_done in the end: as
	 * ctl_agent_send, < 0 when it did not go */
	int (*send)(struct ask *a, struct ctl_node *n, json_t *req);
	char none[200]; /* the error when no node counts */
};

static json_t *ask_reply(struct ask *a)
{
	json_t *r;

	if (a->none[0] != '\0' && a->hits == 0) {
		r = ctl_reply_error(a->id, a->none);
	} else {
		r = json_pack("{s:O, s:b}", "id", a->id, "ok", 1);
	}
	json_object_set(r, "nodes", a->nodes);
	json_object_update_missing(r, a->extra);
	return r;
}

static void ask_free(struct ask *a)
{
	json_decref(a->id);
	json_decref(a->nodes);
	json_decref(a->extra);
	free(a);
}

static void ask_done(struct ctl_node *n, json_t *reply, void *arg)
{
	struct ask *a = arg;
	json_t *e = json_pack("{s:s}", "node", n->name);

	if (reply == NULL) {
		json_object_set_new(e, "ok", json_false());
		json_object_set_new(e, "error", json_string("link to the dataplane lost"));
	} else if (!json_is_true(json_object_get(reply, "ok"))) {
		json_object_set_new(e, "ok", json_false());
		json_object_set(e, "error", json_object_get(reply, "error"));
	} else {
		json_object_set_new(e, "ok", json_true());
		a->hits += a->take(e, reply);
	}
	json_array_append_new(a->nodes, e);
	if (--a->remaining == 0) {
		ctl_sock_reply(a->cp, a->client, ask_reply(a));
		ask_free(a);
	}
}

/* One request, one reply: ask_done takes it. */
static int ask_one(struct ask *a, struct ctl_node *n, json_t *req)
{
	return ctl_agent_send(n, req, ask_done, a);
}

/* req is a template, copied for each node (send: ask_one, or one that asks
 * more than once); extra is consumed. */
static enum ctl_result ask_all(struct ctl_req *r, json_t *req, json_t *extra,
			       bool (*take)(json_t *, json_t *), const char *none,
			       int (*send)(struct ask *, struct ctl_node *, json_t *))
{
	struct ask *a = calloc(1, sizeof(*a));
	struct ctl_node *n;
	json_t *res;

	if (a == NULL) {
		json_decref(extra);
		snprintf(r->err, sizeof(r->err), "out of memory");
		return CTL_R_ERR;
	}
	a->cp = r->cp;
	a->client = r->client;
	a->id = json_incref(r->id);
	a->nodes = json_array();
	a->extra = extra;
	a->take = take;
	a->send = send != NULL ? send : ask_one;
	a->remaining = 1;
	snprintf(a->none, sizeof(a->none), "%s", none != NULL ? none : "");
	for (n = r->cp->nodes; n != NULL; n = n->next) {
		if (n->link != CTL_LINK_UP && n->link != CTL_LINK_SYNC) {
			json_array_append_new(a->nodes,
					      json_pack("{s:s, s:b, s:s}", "node", n->name, "ok", 0,
							"error", "not connected"));
			continue;
		}
		a->remaining++;
		if (a->send(a, n, json_deep_copy(req)) < 0)
			a->remaining--;
	}
	if (--a->remaining > 0)
		return CTL_R_LATER;
	res = ask_reply(a);
	json_object_update(r->reply, res);
	if (!json_is_true(json_object_get(res, "ok")))
		snprintf(r->err, sizeof(r->err), "%s", a->none);
	json_decref(res);
	ask_free(a);
	return json_is_true(json_object_get(r->reply, "ok")) ? CTL_R_OK : CTL_R_ERR;
}

/* ---- commands ---- */

static bool have_bans(struct ctl_req *r)
{
	if (r->cp->bans != NULL)
		return true;
	snprintf(r->err, sizeof(r->err), "bans: not started");
	return false;
}

static bool take_list(json_t *e, json_t *reply)
{
	const char *k;
	json_t *v;

	json_object_foreach(reply, k, v)
		if (strcmp(k, "id") != 0 && strcmp(k, "ok") != 0)
			json_object_set(e, k, v);
	return true;
}

static json_t *manual_json(const struct ctl_bans *b)
{
	json_t *arr = json_array();
	uint64_t now = (uint64_t)time(NULL);
	unsigned i;

	for (i = 0; i < b->n; i++) {
		const struct ban *x = &b->v[i];

		json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "prefix", x->prefix,
						     "expires", (json_int_t)x->expires,
						     "remaining_s",
						     (json_int_t)(x->expires == 0	 ? 0
								  : x->expires > now ? x->expires - now
										     : 0)));
	}
	return arr;
}

/* ---- bans.list, page by page ---- */

/* A node's bans.list goes in pages (docs/agent.md, "bans.list": one call
 * reads at most 262144 slots, so that the dataplane's main lcore is never
 * held long): the next page is asked for, from the reply's next_cursor,
 * until limit bans are in or next_cursor is null. At most LIST_PAGES per
 * node, and each next_cursor past the one before, so that a dataplane that
 * never says null cannot keep control asking (a real one needs 16 per
 * worker at the largest table). */
#define LIST_PAGES 4096u

struct list_pages {
	struct ask *a;
	json_t *acc;	  /* the first page's reply, later pages' bans added */
	json_int_t limit; /* bans wanted in all */
	json_int_t cursor; /* of the page asked for */
	unsigned pages;	   /* answered */
};

static void list_page(struct ctl_node *n, json_t *reply, void *arg);

/* Sends the request for the page at p->cursor; false when it did not go
 * (p then untouched). */
static bool list_ask(struct list_pages *p, struct ctl_node *n, json_t *req)
{
	return ctl_agent_send(n, req, list_page, p) == 0;
}

/* The node's answer, to ask_done: reply (the whole list), or an error. */
static void list_end(struct list_pages *p, struct ctl_node *n, json_t *reply)
{
	ask_done(n, reply, p->a); /* reply may be p->acc */
	json_decref(p->acc);
	free(p);
}

static void list_fail(struct list_pages *p, struct ctl_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void list_fail(struct list_pages *p, struct ctl_node *n, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r = json_pack("{s:b, s:s}", "ok", 0, "error", why);
	list_end(p, n, r);
	json_decref(r);
}

static void list_page(struct ctl_node *n, json_t *reply, void *arg)
{
	struct list_pages *p = arg;
	json_t *next, *dyn, *req;
	json_int_t got;

	if (reply == NULL || !json_is_true(json_object_get(reply, "ok"))) {
		list_end(p, n, reply); /* a later page's error is the node's */
		return;
	}
	p->pages++;
	dyn = json_object_get(reply, "dynamic");
	next = json_object_get(reply, "next_cursor");
	if (p->acc == NULL) {
		p->acc = json_incref(reply);
	} else {
		json_array_extend(json_object_get(p->acc, "dynamic"), dyn);
		json_object_set(p->acc, "dynamic_total", json_object_get(reply, "dynamic_total"));
	}
	got = (json_int_t)json_array_size(json_object_get(p->acc, "dynamic"));
	if (next == NULL)
		next = json_null(); /* a dataplane from before pages: its whole table */
	if (!json_is_array(dyn) || (!json_is_null(next) && !json_is_integer(next))) {
		list_fail(p, n, "bans.list page %u: the reply has no dynamic list, or a "
			  "next_cursor neither an integer nor null", p->pages);
		return;
	}
	json_object_set_new(p->acc, "pages", json_integer(p->pages));
	/* a dataplane from before pages counted only the bans in force in
	 * dynamic_total and cut its one list at the limit */
	json_object_set_new(p->acc, "more",
			    json_boolean(json_object_get(reply, "next_cursor") != NULL
						 ? !json_is_null(next)
						 : json_integer_value(json_object_get(
							   reply, "dynamic_total")) > got));
	if (json_is_null(next) || got >= p->limit) {
		json_object_del(p->acc, "next_cursor");
		list_end(p, n, p->acc);
		return;
	}
	if (json_integer_value(next) <= p->cursor || p->pages >= LIST_PAGES) {
		list_fail(p, n, "bans.list: the dataplane's next_cursor %" JSON_INTEGER_FORMAT
			  " after %u pages (from %" JSON_INTEGER_FORMAT "): %s; listing stopped",
			  json_integer_value(next), p->pages, p->cursor,
			  p->pages >= LIST_PAGES ? "still not at the end" : "does not go forward");
		return;
	}
	p->cursor = json_integer_value(next);
	req = json_pack("{s:s, s:I, s:I}", "cmd", "bans.list", "limit", p->limit - got, "cursor",
			p->cursor);
	if (!list_ask(p, n, req))
		list_end(p, n, NULL);
}

/* ask_all's send for bans.list: the first page; list_page asks for the
 * rest. */
static int list_first(struct ask *a, struct ctl_node *n, json_t *req)
{
	struct list_pages *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		json_decref(req);
		return -ENOMEM;
	}
	p->a = a;
	p->limit = json_integer_value(json_object_get(req, "limit"));
	if (!list_ask(p, n, req)) {
		free(p);
		return -ENOTCONN;
	}
	return 0;
}

enum ctl_result ctl_cmd_bans_list(struct ctl_req *r)
{
	json_t *lim = json_object_get(r->msg, "limit");
	json_t *req;
	enum ctl_result rc;

	if (!have_bans(r))
		return CTL_R_ERR;
	req = json_pack("{s:s, s:I}", "cmd", "bans.list", "limit",
			(json_int_t)(lim != NULL ? json_integer_value(lim) : 1000));
	rc = ask_all(r, req, json_pack("{s:o}", "manual", manual_json(r->cp->bans)), take_list,
		     NULL, list_first);
	json_decref(req);
	return rc;
}

/* The change is saved before it is pushed (as a backend change is); a
 * state file that cannot be written takes it back. */
static enum ctl_result bans_push(struct ctl_req *r, const char *what, struct ban *undo_old,
				 bool undo_added, const char *undo_prefix)
{
	struct ctl_bans *b = r->cp->bans;
	struct ctl_push_op *op;
	struct ctl_node *n;

	if (ctl_state_save(r->cp) < 0) {
		struct ban *x = ban_find(b, undo_prefix);

		if (undo_added && x != NULL)
			ban_del(b, x);
		else if (x != NULL && undo_old != NULL)
			*x = *undo_old;
		else if (x == NULL && undo_old != NULL && b->n < BANS_MAX)
			b->v[b->n++] = *undo_old;
		expire_arm(b);
		snprintf(r->err, sizeof(r->err), "state file not written (see the log): nothing pushed");
		return CTL_R_ERR;
	}
	expire_arm(b);
	op = ctl_push_op_new(r, what);
	if (op == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return CTL_R_ERR;
	}
	for (n = r->cp->nodes; n != NULL; n = n->next) {
		n->dirty = true;
		ctl_push_op_add(op, n);
	}
	return ctl_push_op_end(r, op);
}

enum ctl_result ctl_cmd_bans_add(struct ctl_req *r)
{
	json_t *fs = json_object_get(r->msg, "for_s");
	struct ctl_bans *b = r->cp->bans;
	struct ban nb = {0}, old, *x;
	bool added = false;

	if (!have_bans(r))
		return CTL_R_ERR;
	if (ctl_ban_parse(json_string_value(json_object_get(r->msg, "prefix")), nb.prefix,
			  sizeof(nb.prefix), r->err, sizeof(r->err)) < 0)
		return CTL_R_ERR;
	nb.expires = fs != NULL ? (uint64_t)time(NULL) + (uint64_t)json_integer_value(fs) : 0;
	x = ban_find(b, nb.prefix);
	if (x == NULL) {
		if (b->n == BANS_MAX) {
			snprintf(r->err, sizeof(r->err),
				 "bans.add %s: %u manual bans already (the most): remove some first",
				 nb.prefix, BANS_MAX);
			return CTL_R_ERR;
		}
		x = &b->v[b->n++];
		added = true;
	}
	old = *x;
	*x = nb;
	b->managed = true;
	json_object_set_new(r->reply, "prefix", json_string(nb.prefix));
	json_object_set_new(r->reply, "expires", json_integer((json_int_t)nb.expires));
	ctl_log(CTL_LOG_NOTICE, "ban %s: added%s", nb.prefix, nb.expires != 0 ? " (with expiry)" : "");
	return bans_push(r, nb.prefix, added ? NULL : &old, added, nb.prefix);
}

/* A node without that ban says so (ok false), so an ok reply is a lift. */
static bool take_lift(json_t *e, json_t *reply)
{
	json_object_set_new(e, "lifted", json_true());
	json_object_set(e, "workers", json_object_get(reply, "workers"));
	return true;
}

enum ctl_result ctl_cmd_bans_remove(struct ctl_req *r)
{
	const char *arg = json_string_value(json_object_get(r->msg, "prefix"));
	struct ctl_bans *b = r->cp->bans;
	char norm[PREFIX_MAX], none[160], ip[PREFIX_MAX];
	struct ban old, *x;
	enum ctl_result rc;
	json_t *req;

	if (!have_bans(r))
		return CTL_R_ERR;
	if (ctl_ban_parse(arg, norm, sizeof(norm), r->err, sizeof(r->err)) < 0)
		return CTL_R_ERR;
	x = ban_find(b, norm);
	if (x != NULL) {
		old = *x;
		ban_del(b, x);
		json_object_set_new(r->reply, "kind", json_string("manual"));
		ctl_log(CTL_LOG_NOTICE, "ban %s: removed", norm);
		return bans_push(r, norm, &old, false, norm);
	}
	/* Not one of ours: a dynamic ban, which is one address. */
	if (strcmp(strchr(norm, '/'), strchr(norm, ':') != NULL ? "/128" : "/32") != 0) {
		snprintf(r->err, sizeof(r->err),
			 "bans.remove %s: no manual ban of that prefix (dynamic bans are single "
			 "addresses; `bans list` shows both)",
			 norm);
		return CTL_R_ERR;
	}
	snprintf(ip, sizeof(ip), "%.*s", (int)(strchr(norm, '/') - norm), norm);
	snprintf(none, sizeof(none), "bans.remove %s: no manual ban and no node has it banned", ip);
	req = json_pack("{s:s, s:s}", "cmd", "bans.lift", "ip", ip);
	rc = ask_all(r, req, json_pack("{s:s}", "kind", "dynamic"), take_lift, none, NULL);
	json_decref(req);
	return rc;
}
