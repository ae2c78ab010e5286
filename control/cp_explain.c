/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cp_explain.c - explain: what the gateway would do with one message, and
 * which rules match it (docs/control.md, "explain").
 *
 * The message goes the dataplane's way, step by step and with its code:
 *   1. a source inside a manual ban is dropped before any parsing (the
 *      early-drop stage; a dynamic ban lives in the dataplane only and is
 *      not known here: `bans list`);
 *   2. sip_parse() with the node's limits (hello's "limits" when it says,
 *      else the parser's defaults); a message it refuses gets what
 *      proxy_parse_stage gives it: a response or an ACK is dropped, a
 *      request answered 400 (513 when too large) if proxy.reply_malformed
 *      (hello's "proxy", default true), else dropped;
 *   3. a response passes: rules run on requests only (filter_stage);
 *   4. rs_eval() of the live ruleset, compiled for this host from the same
 *      sources as the dataplane's: its verdict; a reject of an ACK is a
 *      drop (an ACK is never answered). The shadow ruleset runs beside it
 *      and its verdict is only reported.
 * "matched" lists every rule that holds, in rank order (rs_eval_match),
 * and which of them the dataplane would count (rs_eval's hits: the
 * deciding one, the count rules ranked ahead of it, shadow rules).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_codec.h"
#include "cp_rules.h"

#define EXPLAIN_FROM "192.0.2.1:5060"

/* "192.0.2.1", "192.0.2.1:5060", "2001:db8::1", "[2001:db8::1]:5060". */
static int parse_addr(const char *what, const char *s, struct rs_addr *a, char *err,
		      size_t errlen)
{
	char host[64];
	const char *colon = strrchr(s, ':'), *hs = s;
	size_t hl = strlen(s);
	long port = 5060;
	char *end;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			goto bad;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else if (colon != NULL && strchr(s, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
	} else if (colon != NULL) {
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || port < 1 ||
		    port > 65535)
			goto bad;
	}
	if (inet_pton(AF_INET, host, a->a) == 1)
		a->af = 4;
	else if (inet_pton(AF_INET6, host, a->a) == 1)
		a->af = 6;
	else
		goto bad;
	a->port = (uint16_t)port;
	return 0;
bad:
	snprintf(err, errlen,
		 "%s: \"%.80s\" is not ADDRESS[:PORT] (192.0.2.1:5060, [2001:db8::1]:5060)", what,
		 s);
	return -EINVAL;
}

/* The node explain answers for: the one named, else the first that said
 * hello (its limits, policy and address), else none. */
static int pick(struct ctl_req *r, struct ctl_node **out)
{
	const char *name = json_string_value(json_object_get(r->msg, "node"));
	struct ctl_node *n;

	*out = NULL;
	if (name != NULL) {
		*out = ctl_node_find(r->cp, name);
		if (*out == NULL) {
			snprintf(r->err, sizeof(r->err),
				 "node \"%s\": no such node (`nodes` lists them)", name);
			return -ENOENT;
		}
		return 0;
	}
	for (n = r->cp->nodes; n != NULL && n->hello == NULL; n = n->next)
		;
	*out = n;
	return 0;
}

static void node_limits(const struct ctl_node *n, struct sip_limits *lim, bool *reply_malformed)
{
	json_t *l = n != NULL ? json_object_get(n->hello, "limits") : NULL;
	json_t *rm = n != NULL ? json_object_get(json_object_get(n->hello, "proxy"),
						  "reply_malformed")
			       : NULL;
	json_t *v;

	sip_limits_default(lim);
	if ((v = json_object_get(l, "max_message")) != NULL && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= SIP_MSG_MAX_HARD)
		lim->max_msg = (uint32_t)json_integer_value(v);
	if ((v = json_object_get(l, "max_headers")) != NULL && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= SIP_HDRS_MAX_HARD)
		lim->max_hdrs = (uint16_t)json_integer_value(v);
	if ((v = json_object_get(l, "max_line")) != NULL && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= 65535)
		lim->max_line = (uint16_t)json_integer_value(v);
	*reply_malformed = !json_is_false(rm);
}

/* The node's access address, when its hello says ("ipv4" of a port whose
 * role is access); else 0.0.0.0 (the "to" argument says otherwise). */
static void node_dst(const struct ctl_node *n, struct rs_addr *dst)
{
	struct rs_addr a;
	json_t *p;
	size_t i;
	char err[128];

	memset(dst, 0, sizeof(*dst));
	dst->af = 4;
	dst->port = 5060;
	json_array_foreach(n != NULL ? json_object_get(n->hello, "ports") : NULL, i, p) {
		const char *ip = json_string_value(json_object_get(p, "ipv4"));
		char buf[64];

		if (ip == NULL || !json_is_string(json_object_get(p, "role")) ||
		    strcmp(json_string_value(json_object_get(p, "role")), "access") != 0)
			continue;
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(ip, "/"), ip);
		if (parse_addr("ipv4", buf, &a, err, sizeof(err)) == 0)
			*dst = a;
		return;
	}
}

/* The manual ban that holds the source, if any. */
static const char *banned(struct ctl_cp *cp, const struct rs_addr *src, char *buf, size_t len)
{
	json_t *bans = ctl_bans_state(cp), *b;
	uint64_t now = (uint64_t)time(NULL);
	const char *hit = NULL;
	size_t i;

	json_array_foreach(bans, i, b) {
		const char *p = json_string_value(json_object_get(b, "prefix"));
		uint64_t exp = (uint64_t)json_integer_value(json_object_get(b, "expires"));
		struct rs_addr net;
		char host[64], err[128];
		unsigned plen, k;
		const char *slash = p != NULL ? strchr(p, '/') : NULL;

		if (slash == NULL || (exp != 0 && exp <= now))
			continue;
		snprintf(host, sizeof(host), "%.*s", (int)(slash - p), p);
		plen = (unsigned)atoi(slash + 1);
		if (parse_addr("prefix", host, &net, err, sizeof(err)) < 0 || net.af != src->af)
			continue;
		for (k = 0; k < plen && ((src->a[k / 8] ^ net.a[k / 8]) & (0x80u >> (k % 8))) == 0;
		     k++)
			;
		if (k == plen) {
			snprintf(buf, len, "%s", p);
			hit = buf;
			break;
		}
	}
	json_decref(bans);
	return hit;
}

static const char *verdict_name(const struct rs_verdict *v, const struct sip_msg *m)
{
	switch (v->action) {
	case RS_ACT_DROP:
		return "drop";
	case RS_ACT_REJECT:
		return m->method == SIP_METHOD_ACK ? "drop" : "reject";
	case RS_ACT_BAN:
		return "ban";
	default:
		return "forward";
	}
}

/* One set's run: its verdict (rs_eval, whose hits say what the dataplane
 * would count), and every rule that holds (rs_eval_match). */
static int run_set(struct ctl_rs_ver *v, const struct sip_msg *m, const struct rs_addr *src,
		   const struct rs_addr *dst, const char *slot, json_t *matched,
		   struct rs_verdict *verdict)
{
	uint32_t n = rs_set_n_rules(v->set), i;
	uint64_t *hits = calloc(n + 1, sizeof(*hits));
	uint32_t *ranks = calloc(n + 1, sizeof(*ranks));
	struct rs_verdict again;
	int rc = -ENOMEM, k;

	if (hits == NULL || ranks == NULL || rs_scratch_alloc(v->set, &v->sc_set) < 0)
		goto out;
	rc = rs_eval(v->set, v->sc_set, m, src, dst, hits, verdict);
	k = rc == 0 ? rs_eval_match(v->set, v->sc_set, m, src, dst, ranks, n, &again) : rc;
	if (k < 0) {
		rc = k;
		goto out;
	}
	for (i = 0; i < (uint32_t)k && i < n; i++) {
		struct rs_rule_info ri;

		rs_set_rule(v->set, ranks[i], &ri);
		json_array_append_new(
			matched, json_pack("{s:I, s:s, s:b, s:b, s:b, s:s, s:o}", "id",
					   (json_int_t)ri.id, "action",
					   rs_action_name((enum rs_action)ri.action), "shadow",
					   ri.shadow || strcmp(slot, "shadow") == 0, "counted",
					   hits[ranks[i]] > 0, "decided",
					   verdict->action != RS_ACT_NONE && verdict->rule == ranks[i],
					   "slot", slot, "msg", ctl_rs_jstr(ri.msg)));
	}
out:
	free(hits);
	free(ranks);
	return rc;
}

static json_t *verdict_json(struct ctl_rs_ver *v, const struct rs_verdict *vd,
			    const struct sip_msg *m)
{
	json_t *o = json_pack("{s:s, s:I}", "action", verdict_name(vd, m), "version",
			      (json_int_t)v->version);
	struct rs_rule_info ri;

	if (vd->action != RS_ACT_NONE && vd->rule != RS_RULE_NONE &&
	    vd->rule < rs_set_n_rules(v->set)) {
		rs_set_rule(v->set, vd->rule, &ri);
		json_object_set_new(o, "rule", json_integer(ri.id));
		json_object_set_new(o, "rule_action", json_string(rs_action_name(
								 (enum rs_action)vd->action)));
	} else {
		json_object_set_new(o, "rule", json_null());
	}
	if (vd->action == RS_ACT_REJECT && m->method != SIP_METHOD_ACK) {
		json_object_set_new(o, "code", json_integer(vd->code));
		if (vd->reason.p != NULL) {
			char *reason = strndup(vd->reason.p, vd->reason.len);

			json_object_set_new(o, "reason", ctl_rs_jstr(reason));
			free(reason);
		}
	} else {
		json_object_set_new(o, "code", json_null());
	}
	if (vd->action == RS_ACT_BAN)
		json_object_set_new(o, "ban_s", json_integer(vd->ban_s));
	return o;
}

/* The message refused by the parser: proxy_parse_stage's answer. */
static void parse_refused(struct ctl_req *r, const char *buf, uint32_t len, int rc,
			  const struct sip_msg *m, bool reply_malformed)
{
	const char *st = buf, *se = buf + len;
	bool resp, ack;

	while (st < se && (*st == '\r' || *st == '\n'))
		st++;
	resp = se - st >= 4 && memcmp(st, "SIP/", 4) == 0;
	ack = se - st >= 4 && memcmp(st, "ACK ", 4) == 0;
	json_object_set_new(r->reply, "parse_error",
			    json_pack("{s:s, s:s, s:I}", "error", sip_err_name(rc), "text",
				      sip_err_text(rc), "offset", (json_int_t)m->err_off));
	if (resp || ack || !reply_malformed) {
		json_object_set_new(r->reply, "action", json_string("drop"));
		json_object_set_new(r->reply, "code", json_null());
		json_object_set_new(r->reply, "why",
				    json_string(resp  ? "a malformed response is never answered"
						: ack ? "a malformed ACK is never answered"
						      : "malformed (proxy.reply_malformed is false)"));
	} else {
		json_object_set_new(r->reply, "action", json_string("reject"));
		json_object_set_new(r->reply, "code",
				    json_integer(rc == -SIP_ERR_TOO_LARGE ? 513 : 400));
		json_object_set_new(r->reply, "why", json_string("malformed: the parser refuses it"));
	}
}

/* The message's bytes: "message" (text) or "message_b64" (any bytes). */
static char *message_bytes(struct ctl_req *r, uint32_t *len)
{
	json_t *t = json_object_get(r->msg, "message"), *b = json_object_get(r->msg, "message_b64");
	char *buf;
	long n;

	if ((t == NULL) == (b == NULL)) {
		snprintf(r->err, sizeof(r->err),
			 "explain: give the message as \"message\" (text) or \"message_b64\" "
			 "(base64), one of them");
		return NULL;
	}
	if (t != NULL) {
		*len = (uint32_t)json_string_length(t);
		buf = malloc(*len + 1);
		if (buf != NULL)
			memcpy(buf, json_string_value(t), *len);
		return buf;
	}
	buf = malloc(json_string_length(b) / 4 * 3 + 1);
	if (buf == NULL)
		return NULL;
	n = ctl_b64_decode(json_string_value(b), json_string_length(b), (uint8_t *)buf);
	if (n < 0 || n > SIP_MSG_MAX_HARD) {
		snprintf(r->err, sizeof(r->err),
			 n < 0 ? "message_b64: not base64 at character %ld"
			       : "message_b64: %ld bytes, over the 65535 a datagram holds",
			 n < 0 ? -n - 1 : n);
		free(buf);
		return NULL;
	}
	*len = (uint32_t)n;
	return buf;
}

enum ctl_result ctl_cmd_explain(struct ctl_req *r)
{
	struct ctl_rules *rs = r->cp->rules;
	const char *from = json_string_value(json_object_get(r->msg, "from"));
	const char *to = json_string_value(json_object_get(r->msg, "to"));
	struct ctl_rs_ver *live, *shadow;
	struct rs_addr src, dst;
	struct sip_limits lim;
	struct sip_msg *m = NULL;
	struct rs_verdict vd = {0}, vs = {0};
	struct ctl_node *n;
	bool reply_malformed;
	json_t *matched;
	char ban[64];
	uint32_t len;
	char *buf = NULL;
	int rc;

	if (rs == NULL) {
		snprintf(r->err, sizeof(r->err), "rules: not started");
		return CTL_R_ERR;
	}
	if (pick(r, &n) < 0 ||
	    parse_addr("from", from != NULL ? from : EXPLAIN_FROM, &src, r->err, sizeof(r->err)) <
		    0 ||
	    (buf = message_bytes(r, &len)) == NULL)
		goto fail;
	m = malloc(sizeof(*m));
	if (m == NULL)
		goto fail;
	node_limits(n, &lim, &reply_malformed);
	node_dst(n, &dst);
	if (to != NULL && parse_addr("to", to, &dst, r->err, sizeof(r->err)) < 0)
		goto fail;
	json_object_set_new(r->reply, "node", n != NULL ? json_string(n->name) : json_null());
	json_object_set_new(r->reply, "rule", json_null());
	json_object_set_new(r->reply, "matched", json_array());
	json_object_set_new(r->reply, "parse_error", json_null());
	if (banned(r->cp, &src, ban, sizeof(ban)) != NULL) {
		json_object_set_new(r->reply, "action", json_string("drop"));
		json_object_set_new(r->reply, "code", json_null());
		json_object_set_new(r->reply, "why", json_string("the source is banned"));
		json_object_set_new(r->reply, "banned", json_string(ban));
		goto done;
	}
	rc = sip_parse(buf, len, &lim, 0, m);
	if (rc <= 0) {
		parse_refused(r, buf, len, rc, m, reply_malformed);
		goto done;
	}
	if (!(m->flags & SIP_MSG_REQUEST)) {
		json_object_set_new(r->reply, "action", json_string("forward"));
		json_object_set_new(r->reply, "code", json_null());
		json_object_set_new(r->reply, "why", json_string("a response: rules run on requests"));
		goto done;
	}
	live = ctl_rs_find(rs, rs->want[CTL_RS_LIVE]);
	shadow = ctl_rs_find(rs, rs->want[CTL_RS_SHADOW]);
	matched = json_object_get(r->reply, "matched");
	if (live != NULL && live->set == NULL) {
		snprintf(r->err, sizeof(r->err),
			 "the live ruleset (version %llu) is not compiled here yet: try again",
			 (unsigned long long)live->version);
		goto fail;
	}
	if (live != NULL && run_set(live, m, &src, &dst, "live", matched, &vd) < 0) {
		snprintf(r->err, sizeof(r->err), "the live ruleset failed to run (Hyperscan)");
		goto fail;
	}
	json_object_set_new(r->reply, "action", json_string(verdict_name(&vd, m)));
	if (live != NULL) {
		json_t *vj = verdict_json(live, &vd, m);

		json_object_set(r->reply, "rule", json_object_get(vj, "rule"));
		json_object_set(r->reply, "code", json_object_get(vj, "code"));
		if (json_object_get(vj, "reason") != NULL)
			json_object_set(r->reply, "reason", json_object_get(vj, "reason"));
		if (json_object_get(vj, "ban_s") != NULL)
			json_object_set(r->reply, "ban_s", json_object_get(vj, "ban_s"));
		json_object_set_new(r->reply, "version", json_integer((json_int_t)live->version));
		json_decref(vj);
	} else {
		json_object_set_new(r->reply, "code", json_null());
		json_object_set_new(r->reply, "why", json_string("no live ruleset"));
	}
	if (shadow != NULL && shadow->set != NULL &&
	    run_set(shadow, m, &src, &dst, "shadow", matched, &vs) == 0)
		json_object_set_new(r->reply, "shadow", verdict_json(shadow, &vs, m));
done:
	free(buf);
	free(m);
	return CTL_R_OK;
fail:
	free(buf);
	free(m);
	return CTL_R_ERR;
}
