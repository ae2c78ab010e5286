/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * test_proxy.c - the proxy stages (parse, route) on hand-made slots, with a
 * real EAL, mempools and backend table but no ports: what is forwarded where,
 * byte for byte, what is answered with which code, what is dropped and why.
 * Also the token module (SipHash test vector, branches, flow tokens) and the
 * rendezvous hashing (weights honoured, minimal disruption).
 */
#define CHECK_MAIN
#include "check.h"

#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "backend.h"
#include "cfg.h"
#include "proxy.h"
#include "proxy_priv.h"
#include "token.h"
#include "worker.h"

static struct dp dp;
static struct worker *w;

static void ip4(struct dp_ip *ip, unsigned a, unsigned b, unsigned c, unsigned d)
{
	memset(ip, 0, sizeof(*ip));
	ip->af = 4;
	ip->a[0] = (uint8_t)a;
	ip->a[1] = (uint8_t)b;
	ip->a[2] = (uint8_t)c;
	ip->a[3] = (uint8_t)d;
}

static void setup_port(unsigned i, unsigned role, unsigned net)
{
	struct dp_port *pt = &dp.ports[i];

	pt->idx = (uint8_t)i;
	pt->role = (uint8_t)role;
	snprintf(pt->name, sizeof(pt->name), role ? "core0" : "access0");
	ip4(&pt->ip4, 10, 77, net, 1);
	pt->plen4 = 24;
	pt->ip6.af = 6;
	pt->ip6.a[0] = 0xfd;
	pt->ip6.a[3] = 0x77;
	pt->ip6.a[5] = (uint8_t)net;
	pt->ip6.a[15] = 1;
	pt->plen6 = 64;
	pt->mtu = 1500;
	pt->ip4_len = (uint8_t)px_fmt_ip(&pt->ip4, false, pt->ip4_str);
	pt->ip6_len = (uint8_t)px_fmt_ip(&pt->ip6, true, pt->ip6_str);
}

static void add_backend(const char *name, unsigned last, unsigned weight)
{
	struct cfg_backend *b = &dp.cfg.backends[dp.cfg.n_backends++];

	snprintf(b->name, sizeof(b->name), "%s", name);
	ip4(&b->addr.ip, 10, 77, 2, last);
	b->addr.port = 5060;
	b->weight = (uint16_t)weight;
	b->enabled = true;
}

static void setup(void)
{
	uint64_t k[2] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};

	dp.cfg.n_sip_ports = 1;
	dp.cfg.sip_ports[0] = 5060;
	dp.cfg.limits.max_message = 16384;
	dp.cfg.proxy.reply_malformed = true;
	dp.cfg.proxy.record_route = true;
	dp.cfg.proxy.retry_after = 5;
	snprintf(dp.cfg.proxy.server, sizeof(dp.cfg.proxy.server), "sipedge");
	dp.cfg.probe.interval_ms = 1000;
	dp.cfg.probe.timeout_ms = 500;
	dp.cfg.probe.down_after = 3;
	dp.cfg.probe.up_after = 2;
	sip_limits_default(&dp.lim);
	dp.n_ports = 2;
	setup_port(0, DP_ROLE_ACCESS, 1);
	setup_port(1, DP_ROLE_CORE, 2);
	add_backend("kam1", 2, 100);
	add_backend("kam2", 3, 100);
	dp.key_branch[0] = token_siphash(k, "b0", 2);
	dp.key_branch[1] = token_siphash(k, "b1", 2);
	dp.key_token[0] = token_siphash(k, "t0", 2);
	dp.key_token[1] = token_siphash(k, "t1", 2);
	dp.n_workers = 1;
	dp.stats = rte_zmalloc("st", 2 * sizeof(struct stats_block), 64);
	dp.pool = rte_pktmbuf_pool_create("p", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.pool_out = rte_pktmbuf_pool_create("po", 256, 0, 0, 16384 + 1024 + 128, 0);
	dp.qsbr = rte_zmalloc("q", rte_rcu_qsbr_get_memsize(1), 64);
	rte_rcu_qsbr_init(dp.qsbr, 1);
	w = rte_zmalloc("w", sizeof(*w), 64);
	w->dp = &dp;
	w->st = &dp.stats[0];
	w->pool = dp.pool;
	w->pool_out = dp.pool_out;
	if (!dp.stats || !dp.pool || !dp.pool_out || !w || be_init(&dp) != 0) {
		fprintf(stderr, "setup failed\n");
		exit(1);
	}
}

/* ---- running one message through the stages ---- */

struct res {
	struct dp_pkt p;
	char out[20000];
	unsigned out_len;
};

static void addr4(struct dp_addr *a, unsigned net, unsigned last, unsigned port)
{
	memset(a, 0, sizeof(*a));
	ip4(&a->ip, 10, 77, net, last);
	a->port = (uint16_t)port;
}

/* Runs text through parse and route as if received on in_port from src. */
static void run(unsigned in_port, const struct dp_addr *src, const char *text,
		struct res *r)
{
	struct dp_burst *b = &w->burst;
	struct dp_pkt *p = &b->p[0];

	memset(p, 0, sizeof(*p));
	b->n = 1;
	b->m[0] = NULL;
	p->in_port = (uint8_t)in_port;
	p->src = *src;
	p->dst.ip = dp.ports[in_port].ip4;
	p->dst.port = 5060;
	p->sip = text;
	p->sip_len = (uint32_t)strlen(text);
	proxy_parse_stage(w, b);
	proxy_route_stage(w, b);
	r->p = *p;
	r->out_len = 0;
	r->out[0] = '\0';
	if (p->step == DP_STEP_FORWARD) {
		r->out_len = rte_pktmbuf_data_len(p->out);
		memcpy(r->out, rte_pktmbuf_mtod(p->out, char *), r->out_len);
		r->out[r->out_len] = '\0';
		rte_pktmbuf_free(p->out);
	}
}

/* A request of method to bob@10.77.1.1 from the client at 10.77.1.2:40000,
 * with this top Via value and To, its Call-ID "rc-n@x". */
static void run_client(const char *method, const char *via, const char *to, unsigned n,
		       struct res *r)
{
	struct dp_addr src;
	char msg[2048];

	addr4(&src, 1, 2, 40000);
	snprintf(msg, sizeof(msg),
		 "%s sip:bob@10.77.1.1 SIP/2.0\r\nVia: %s\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:a@b>;tag=f\r\nTo: %s\r\n"
		 "Call-ID: rc-%u@x\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
		 method, via, to, n, method);
	run(0, &src, msg, r);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The value of the first header line starting with name ("Via: ") in s. */
static const char *hdr_line(const char *s, const char *name, char *buf, size_t len)
{
	const char *p = strstr(s, name), *e;

	if (p == NULL)
		return NULL;
	p += strlen(name);
	e = strstr(p, "\r\n");
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return buf;
}

static const char register_msg[] =
	"REGISTER sip:10.77.1.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-reg-1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@example.net>;tag=a1\r\n"
	"To: <sip:alice@example.net>\r\n"
	"Call-ID: reg-1@192.168.1.20\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:alice@192.168.1.20:5062>\r\n"
	"Expires: 3600\r\n"
	"Content-Length: 0\r\n\r\n";

static void test_register(void)
{
	struct res r, r2;
	struct dp_addr src, tok;
	char v[512], path[512];
	const char *at;

	check_ctx = "REGISTER from access";
	addr4(&src, 1, 2, 40000); /* NATed: the Via says 192.168.1.20:5062 */
	run(0, &src, register_msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK_INT(r.p.out_port, 1);
	CHECK_INT(r.p.out_dst.port, 5060);
	CHECK_INT(r.p.out_dst.ip.a[0], 10);
	CHECK_INT(r.p.out_dst.ip.a[2], 2);
	CHECK(r.p.out_dst.ip.a[3] == 2 || r.p.out_dst.ip.a[3] == 3);
	CHECK_INT(r.p.out_src.port, 5060);
	CHECK(memcmp(&r.p.out_src.ip, &dp.ports[1].ip4, sizeof(struct dp_ip)) == 0);
	/* our Via first, with a branch we can verify */
	CHECK(starts(r.out, "REGISTER sip:10.77.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.2.1:5060;branch=z9hG4bK"));
	hdr_line(r.out, "Via: SIP/2.0/UDP 10.77.2.1:5060;branch=", v, sizeof(v));
	/* signed for a response arriving on the core, to go to 10.77.1.2:40000 */
	{
		struct dp_addr to;

		CHECK_INT(token_branch_check(dp.key_branch, v, (uint32_t)strlen(v), DP_ROLE_CORE, &to),
			  strlen(v));
		CHECK(memcmp(&to, &src, sizeof(to)) == 0);
		CHECK_INT(token_branch_check(dp.key_branch, v, (uint32_t)strlen(v), DP_ROLE_ACCESS, &to),
			  0);
	}
	/* the client's Via: received and rport filled (RFC 3581) */
	CHECK(strstr(r.out, "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-reg-1;rport=40000;received=10.77.1.2\r\n") != NULL);
	CHECK(strstr(r.out, "Max-Forwards: 69\r\n") != NULL);
	CHECK(strstr(r.out, "Max-Forwards: 70\r\n") == NULL);
	CHECK(strstr(r.out, ";received=10.77.1.2\r\nPath: <sip:se") != NULL);
	/* Path with a flow token holding the client's public address */
	CHECK(hdr_line(r.out, "Path: ", path, sizeof(path)) != NULL);
	CHECK(starts(path, "<sip:se"));
	CHECK(strstr(path, "@10.77.2.1:5060;lr;ob>") != NULL);
	at = strchr(path, '@');
	CHECK(at && token_flow_parse(dp.key_token, path + 5, (uint32_t)(at - path - 5), &tok) == 1);
	CHECK(memcmp(&tok, &src, sizeof(tok)) == 0);
	CHECK(strstr(r.out, "Record-Route") == NULL);
	/* the rest untouched: the body and the headers after */
	CHECK(strstr(r.out, "Contact: <sip:alice@192.168.1.20:5062>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n") != NULL);
	CHECK_INT(r.out_len, strlen(r.out));

	check_ctx = "REGISTER retransmission: same bytes out";
	run(0, &src, register_msg, &r2);
	CHECK_INT(r2.out_len, r.out_len);
	CHECK(strcmp(r.out, r2.out) == 0);
}

static const char invite_fmt[] =
	"%s sip:bob@10.77.1.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-inv-%s\r\n"
	"%s"
	"From: \"Alice\" <sip:alice@example.net>;tag=a2\r\n"
	"To: <sip:bob@example.net>%s\r\n"
	"Call-ID: %s\r\n"
	"CSeq: 1 %s\r\n"
	"%s"
	"Content-Length: 0\r\n\r\n";

static void mk(char *buf, size_t len, const char *method, const char *br,
	       const char *mf, const char *totag, const char *cid, const char *extra)
{
	snprintf(buf, len, invite_fmt, method, br, mf, totag, cid, method, extra);
}

/* fwd with one more Via on top, as a backend that sends it back to us
 * writes it, and the Request-URI set to ruri (NULL: unchanged). */
static void via_on_top(const struct res *fwd, const char *via, const char *ruri, char *out,
		       size_t len)
{
	const char *eol = strstr(fwd->out, "\r\n");

	if (ruri != NULL)
		snprintf(out, len, "INVITE %s SIP/2.0\r\n%s%s", ruri, via, eol + 2);
	else
		snprintf(out, len, "%.*s%s%s", (int)(eol + 2 - fwd->out), fwd->out, via, eol + 2);
}

/* An INVITE is in a dialog (no Record-Route of ours) when its To has a
 * tag: To is taken apart only when it may hold a parameter, and each shape
 * here must come out as the full parse says. */
static void test_to_tag(void)
{
	static const struct {
		const char *to;
		bool tag;
	} tos[] = {
		{"<sip:bob@example.net;user=phone>", false}, /* ';' only in the URI */
		{"<sip:bob@example.net;user=phone>;tag=t1", true},
		{"<sip:bob@example.net> ;tag=t1", true},
		{"<sip:bob@example.net>;x=\"a>b\"", false},
		{"\"b>o;b\" <sip:bob@example.net>", false},	/* '>' and ';' quoted */
		{"\"b>o;b\" <sip:bob@example.net>;tag=t1", true},
		{"sip:bob@example.net", false},
		{"sip:bob@example.net;tag=t1", true},	/* addr-spec: params are the header's */
		{"<sip:bob@example.net>;TAG=t1", true},
		{"<sip:bob@example.net>;tagx=t1", false},
		/* an addr-spec's quoted parameter may hold a '>' */
		{"sip:bob@example.net;x=\"a>\";tag=t1", true},
		{"sip:bob@example.net;tag=t1;x=\">\"", true},
		{"Bob <sip:bob@example.net;user=phone>", false},
		{"Bob <sip:bob@example.net>;tag=t1;x=\">\"", true},
		/* '<' first: nothing after the '>', a tag right after it */
		{"<sip:bob@example.net>", false},
		{"<sip:bob@example.net>;tag=t1", true},
		{"<sip:bob@example.net;tag=t1>", false},
		{"Bob;x <sip:bob@example.net>;tag=t1", false}, /* no display name */
	};
	char via[128];
	struct res r;

	for (unsigned i = 0; i < sizeof(tos) / sizeof(tos[0]); i++) {
		check_ctx = tos[i].to;
		snprintf(via, sizeof(via), "SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-tt%u;rport", i);
		run_client("INVITE", via, tos[i].to, i, &r);
		CHECK_INT(r.p.step, DP_STEP_FORWARD);
		CHECK_INT(strstr(r.out, "\r\nRecord-Route: ") == NULL, tos[i].tag);
	}
}

/* RFC 3261 16.3 step 4: a request that comes back to us through the core
 * with the same Request-URI, From, Call-ID and CSeq has looped; with a new
 * Request-URI it spirals and goes on. inv: the INVITE we forwarded. */
static void test_loops(const struct res *inv)
{
	struct dp_addr kam;
	struct res r, ack;
	char msg[4096], vi[512], va[512];
	const char *kv = "Via: SIP/2.0/UDP 10.77.2.2:5060;branch=z9hG4bKkam-1\r\n";

	addr4(&kam, 2, 2, 5060);
	check_ctx = "loop: our INVITE back from the core under the backend's Via: 482";
	via_on_top(inv, kv, NULL, msg, sizeof(msg));
	run(1, &kam, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_REPLY);
	CHECK_INT(r.p.reply_code, 482);

	/* our Via moved to the end, after n more header lines: each position
	 * of the Via search's four-line steps */
	for (unsigned n = 0; n < 9; n++) {
		char *ours, *eol, *end, fill[128] = "";
		size_t len;

		check_ctx = "loop: our Via the last header line, compact, others between: 482";
		for (unsigned i = 0; i < n; i++)
			snprintf(fill + strlen(fill), sizeof(fill) - strlen(fill), "\r\nX-F%u: 1", i);
		via_on_top(inv, kv, NULL, msg, sizeof(msg));
		ours = strstr(msg, "\r\nVia: SIP/2.0/UDP 10.77.2.1:");
		end = strstr(msg, "\r\n\r\n");
		CHECK(ours != NULL && end != NULL && ours < end);
		if (ours == NULL || end == NULL || ours >= end)
			break;
		eol = strstr(ours + 2, "\r\n");
		len = (size_t)(eol - ours);
		snprintf(vi, sizeof(vi), "%s\r\nv: %.*s", fill, (int)(len - 7), ours + 7);
		memmove(ours, eol, (size_t)(end - eol));
		snprintf(end - len, sizeof(msg) - (size_t)(end - len - msg), "%s\r\n\r\n", vi);
		CHECK(strstr(msg, "\r\nv: SIP/2.0/UDP 10.77.2.1:") > strstr(msg, "\r\nCall-ID:"));
		run(1, &kam, msg, &r);
		CHECK_INT(r.p.step, DP_STEP_REPLY);
		CHECK_INT(r.p.reply_code, 482);
	}

	check_ctx = "spiral: the same INVITE with a new Request-URI goes on";
	via_on_top(inv, kv, "sip:bob@10.77.1.9", msg, sizeof(msg));
	run(1, &kam, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);

	check_ctx = "our loop prefix in a Via that is not ours: no loop";
	hdr_line(inv->out, "Via: SIP/2.0/UDP 10.77.2.1:5060;branch=", vi, sizeof(vi));
	snprintf(msg, sizeof(msg),
		 "INVITE sip:bob@10.77.1.1 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 10.77.2.2:5060;branch=%s\r\n"
		 "Via: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-inv-1\r\n"
		 "Max-Forwards: 60\r\nFrom: \"Alice\" <sip:alice@example.net>;tag=a2\r\n"
		 "To: <sip:bob@example.net>\r\nCall-ID: call-1@x\r\nCSeq: 1 INVITE\r\n"
		 "Content-Length: 0\r\n\r\n", vi);
	{
		struct dp_addr cl;

		addr4(&cl, 1, 3, 5060); /* from the access side: the URI is ours */
		run(0, &cl, msg, &r);
		CHECK_INT(r.p.step, DP_STEP_FORWARD);
	}

	check_ctx = "the ACK of a non-2xx (To tag, method ACK): the INVITE's branch";
	{
		struct dp_addr src;

		addr4(&src, 1, 2, 5060);
		mk(msg, sizeof(msg), "ACK", "1", "Max-Forwards: 70\r\n", ";tag=b9", "call-1@x", "");
		run(0, &src, msg, &ack);
		CHECK_INT(ack.p.step, DP_STEP_FORWARD);
		hdr_line(inv->out, "Via: ", vi, sizeof(vi));
		hdr_line(ack.out, "Via: ", va, sizeof(va));
		CHECK(strcmp(vi, va) == 0);
	}
}

/* Requests within a dialog follow a Route to one of our backends (the
 * backend that record-routed it), not the Call-ID's hash; a Route to
 * anything else is not followed. */
static void test_route_to_backend(void)
{
	struct dp_addr src, kam1, kam2;
	struct res r;
	char msg[2048], cid[32];
	static const char bye_fmt[] =
		"BYE sip:bob@10.77.2.9 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-bye-%.4s\r\n"
		"%s"
		"From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>;tag=b1\r\n"
		"Call-ID: %s\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
	unsigned k;

	addr4(&src, 1, 2, 5060);
	addr4(&kam1, 2, 2, 5060);
	addr4(&kam2, 2, 3, 5060);
	check_ctx = "a Call-ID that hashes to kam1";
	for (k = 0; k < 64; k++) {
		snprintf(cid, sizeof(cid), "rt-%u@x", k);
		snprintf(msg, sizeof(msg), bye_fmt, cid, "", cid);
		run(0, &src, msg, &r);
		if (r.p.step == DP_STEP_FORWARD && memcmp(&r.p.out_dst, &kam1, sizeof(kam1)) == 0)
			break;
	}
	CHECK(k < 64);
	check_ctx = "BYE with a Route to kam2 after ours: to kam2, its Route kept";
	snprintf(msg, sizeof(msg), bye_fmt, cid,
		 "Route: <sip:10.77.1.1:5060;lr>, <sip:10.77.2.3;lr>\r\n", cid);
	run(0, &src, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(memcmp(&r.p.out_dst, &kam2, sizeof(kam2)) == 0);
	CHECK(strstr(r.out, "Route: <sip:10.77.2.3;lr>\r\n") != NULL);
	check_ctx = "BYE with a Route to a host that is no backend: not followed";
	snprintf(msg, sizeof(msg), bye_fmt, cid,
		 "Route: <sip:10.77.1.1:5060;lr>, <sip:192.0.2.66;lr>\r\n", cid);
	run(0, &src, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(memcmp(&r.p.out_dst, &kam1, sizeof(kam1)) == 0);
	check_ctx = "a new request (no To tag) with a Route to kam2: by the hash";
	snprintf(msg, sizeof(msg),
		 "INVITE sip:bob@10.77.2.9 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-rt-inv\r\n"
		 "Route: <sip:10.77.2.3;lr>\r\n"
		 "From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\n"
		 "Call-ID: %s\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 cid);
	run(0, &src, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(memcmp(&r.p.out_dst, &kam1, sizeof(kam1)) == 0);
}

/* The table pair: with no backend draining, the work set serves requests
 * within a dialog too (no companion), so the proxy need not read To to
 * pick; with one draining, its companion holds that one as well, and a
 * request within a dialog (To tag, no Route) still reaches it. */
static void test_dialog_table(void)
{
	struct be_setting s[2];
	struct dp_addr kam1;
	struct res r;
	char via[128];
	unsigned n;

	addr4(&kam1, 2, 2, 5060);
	check_ctx = "backends all enabled: one set";
	CHECK(be_dialog_table(dp.be) == dp.be);
	CHECK_INT(dp.be->n, 2);
	check_ctx = "a Call-ID that hashes to kam1";
	for (n = 0; n < 64; n++) {
		snprintf(via, sizeof(via), "SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-dt%u", n);
		run_client("INVITE", via, "<sip:bob@b>", 1000 + n, &r);
		if (r.p.step == DP_STEP_FORWARD && memcmp(&r.p.out_dst, &kam1, sizeof(kam1)) == 0)
			break;
	}
	CHECK(n < 64);

	be_settings_get(&dp, s);
	s[0].admin = BE_ADMIN_DRAIN;
	CHECK_INT(be_apply(&dp, w, s, "test"), 1);
	check_ctx = "kam1 draining: a companion set with it";
	CHECK(be_dialog_table(dp.be) != dp.be);
	CHECK_INT(dp.be->n, 1);
	CHECK_INT(be_dialog_table(dp.be)->n, 2);
	run_client("BYE", via, "<sip:bob@b>;tag=t1", 1000 + n, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(memcmp(&r.p.out_dst, &kam1, sizeof(kam1)) == 0);
	check_ctx = "kam1 draining: new work goes elsewhere";
	run_client("INVITE", via, "<sip:bob@b>", 1000 + n, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(memcmp(&r.p.out_dst, &kam1, sizeof(kam1)) != 0);

	s[0].admin = BE_ADMIN_DISABLED;
	CHECK_INT(be_apply(&dp, w, s, "test"), 1);
	check_ctx = "kam1 disabled: one set again, without it";
	CHECK(be_dialog_table(dp.be) == dp.be);
	CHECK_INT(dp.be->n, 1);
	s[0].admin = BE_ADMIN_ENABLED;
	CHECK_INT(be_apply(&dp, w, s, "test"), 1);
	CHECK(be_dialog_table(dp.be) == dp.be);
	CHECK_INT(dp.be->n, 2);
}

/* Our lines name our IPv6 address with its brackets on the side a client
 * came from over IPv6: Record-Route's second URI, after the IPv4 one that
 * faces the backend. */
static void test_rr_ipv6(void)
{
	struct dp_addr src;
	struct res r;
	char rr[200], want[200];
	const char *at;

	check_ctx = "INVITE from an IPv6 client: Record-Route names [fd00:77:1::1]";
	memset(&src, 0, sizeof(src));
	src.ip.af = 6;
	src.ip.a[0] = 0xfd;
	src.ip.a[3] = 0x77;
	src.ip.a[5] = 1;
	src.ip.a[15] = 0x20;
	src.port = 40000;
	run(0, &src,
	    "INVITE sip:bob@10.77.1.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP [fd00:77:1::20]:40000;branch=z9hG4bK-v6-1;rport\r\n"
	    "Max-Forwards: 70\r\nFrom: <sip:a@b>;tag=f\r\nTo: <sip:bob@b>\r\n"
	    "Call-ID: v6-1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	    &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(hdr_line(r.out, "\r\nRecord-Route: ", rr, sizeof(rr)) != NULL);
	at = strchr(rr, '@');
	CHECK(starts(rr, "<sip:") && at != NULL);
	if (at == NULL)
		return;
	snprintf(want, sizeof(want), "<sip:%.*s@10.77.2.1:5060;lr>, <sip:%.*s@[fd00:77:1::1]:5060;lr>",
		 (int)(at - rr - 5), rr + 5, (int)(at - rr - 5), rr + 5);
	CHECK_STR(((struct sip_str){rr, (uint32_t)strlen(rr)}), want);
}

static void test_invite(void)
{
	struct res inv, can, reinv;
	struct dp_addr src;
	char msg[2048], rr[512], vi[512], vc[512];

	addr4(&src, 1, 2, 5060);
	check_ctx = "a received= the client wrote itself is replaced";
	mk(msg, sizeof(msg), "INVITE", "rcv", "Max-Forwards: 70\r\n", "", "rcv-1@x", "");
	{
		char *v = strstr(msg, "branch=z9hG4bK-inv-rcv");

		memmove(v + 22 + 25, v + 22, strlen(v + 22) + 1);
		memcpy(v + 22, ";received=198.51.100.7  ", 25);
		v[22 + 24] = ' ';
	}
	run(0, &src, msg, &inv);
	CHECK_INT(inv.p.step, DP_STEP_FORWARD);
	CHECK(strstr(inv.out, "198.51.100.7") == NULL);
	CHECK(strstr(inv.out, ";received=10.77.1.2") != NULL);

	check_ctx = "INVITE: Record-Route, two entries";
	mk(msg, sizeof(msg), "INVITE", "1", "Max-Forwards: 70\r\n", "", "call-1@x",
	   "Contact: <sip:alice@10.77.1.2>\r\n");
	run(0, &src, msg, &inv);
	CHECK_INT(inv.p.step, DP_STEP_FORWARD);
	CHECK(hdr_line(inv.out, "Record-Route: ", rr, sizeof(rr)) != NULL);
	CHECK(strstr(rr, "@10.77.2.1:5060;lr>, <sip:se") != NULL);
	CHECK(strstr(rr, "@10.77.1.1:5060;lr>") != NULL);
	/* the Vias stay together: ours, the client's, then Record-Route */
	CHECK(strstr(inv.out, "SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.2.1:5060;branch=z9hG4bK") != NULL);
	CHECK(strstr(inv.out, "\r\nVia: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-inv-1\r\nRecord-Route: <sip:se") != NULL);
	/* the client was not NATed and asked no rport: its Via is untouched */
	CHECK(strstr(inv.out, "Via: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-inv-1\r\n") != NULL);

	check_ctx = "CANCEL: same branch and backend as its INVITE";
	mk(msg, sizeof(msg), "CANCEL", "1", "Max-Forwards: 70\r\n", "", "call-1@x", "");
	run(0, &src, msg, &can);
	CHECK_INT(can.p.step, DP_STEP_FORWARD);
	hdr_line(inv.out, "Via: ", vi, sizeof(vi));
	hdr_line(can.out, "Via: ", vc, sizeof(vc));
	CHECK(strcmp(vi, vc) == 0);
	CHECK(memcmp(&inv.p.out_dst, &can.p.out_dst, sizeof(struct dp_addr)) == 0);
	CHECK(strstr(can.out, "Record-Route") == NULL);

	check_ctx = "re-INVITE (To tag): no Record-Route; other branch";
	mk(msg, sizeof(msg), "INVITE", "2", "Max-Forwards: 70\r\n", ";tag=b1", "call-1@x", "");
	run(0, &src, msg, &reinv);
	CHECK_INT(reinv.p.step, DP_STEP_FORWARD);
	CHECK(strstr(reinv.out, "Record-Route") == NULL);
	hdr_line(reinv.out, "Via: ", vc, sizeof(vc));
	CHECK(strcmp(vi, vc) != 0);

	check_ctx = "no Max-Forwards: 70 added";
	mk(msg, sizeof(msg), "OPTIONS", "3", "", "", "opt-1@x", "");
	run(0, &src, msg, &can);
	CHECK_INT(can.p.step, DP_STEP_FORWARD);
	CHECK(strstr(can.out, "Max-Forwards: 70\r\n") != NULL);

	check_ctx = "Max-Forwards 0: 483";
	mk(msg, sizeof(msg), "INVITE", "4", "Max-Forwards: 0\r\n", "", "mf0@x", "");
	run(0, &src, msg, &can);
	CHECK_INT(can.p.step, DP_STEP_REPLY);
	CHECK_INT(can.p.reply_code, 483);

	check_ctx = "Max-Forwards 0 on an ACK: dropped, never answered";
	mk(msg, sizeof(msg), "ACK", "4", "Max-Forwards: 0\r\n", "", "mf0@x", "");
	run(0, &src, msg, &can);
	CHECK_INT(can.p.step, DP_STEP_DROP);
	CHECK_INT(can.p.reason, STATS_DROP_ack_max_fwd);

	check_ctx = "Max-Forwards 1: forwarded with 0";
	mk(msg, sizeof(msg), "INVITE", "5", "Max-Forwards: 1\r\n", "", "mf1@x", "");
	run(0, &src, msg, &can);
	CHECK_INT(can.p.step, DP_STEP_FORWARD);
	CHECK(strstr(can.out, "Max-Forwards: 0\r\n") != NULL);

	check_ctx = "OPTIONS to the gateway: 200";
	run(0, &src,
	    "OPTIONS sip:10.77.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.1.2;branch=z9hG4bKo\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:10.77.1.1>\r\nCall-ID: o@x\r\nCSeq: 1 OPTIONS\r\n"
	    "Max-Forwards: 0\r\n\r\n", &can);
	CHECK_INT(can.p.step, DP_STEP_REPLY);
	CHECK_INT(can.p.reply_code, 200);

	/* our branch where the loop check must find it: below the client's
	 * Via, in the second element of the top Via header (the check compares
	 * the top element's parsed branch and searches only what follows), and
	 * in the top element itself */
	hdr_line(inv.out, "Via: SIP/2.0/UDP 10.77.2.1:5060;branch=", vi, sizeof(vi));
	static const char *const loop_vias[][3] = {
		{"loop: our own branch already in a Via: 482",
		 "Via: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-inv-1\r\n"
		 "Via: SIP/2.0/UDP 10.77.2.1:5060;branch=", "\r\n"},
		{"loop: our branch in the second element of the top Via header: 482",
		 "Via: SIP/2.0/UDP 10.77.1.2:5060;branch=z9hG4bK-inv-1, "
		 "SIP/2.0/UDP 10.77.2.1:5060;branch=", "\r\n"},
		{"loop: our branch in the top Via's first element: 482",
		 "Via: SIP/2.0/UDP 10.77.2.1:5060;branch=", ";rport\r\n"},
	};
	for (unsigned i = 0; i < RTE_DIM(loop_vias); i++) {
		char vias[1024];
		int n;

		check_ctx = loop_vias[i][0];
		snprintf(vias, sizeof(vias), "%s%s%s", loop_vias[i][1], vi, loop_vias[i][2]);
		n = snprintf(msg, sizeof(msg),
			     "INVITE sip:bob@10.77.1.1 SIP/2.0\r\n%s"
			     "Max-Forwards: 60\r\nFrom: \"Alice\" <sip:alice@example.net>;tag=a2\r\n"
			     "To: <sip:bob@example.net>\r\n"
			     "Call-ID: call-1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
			     vias);
		CHECK(n > 0 && (size_t)n < sizeof(msg));
		run(0, &src, msg, &can);
		CHECK_INT(can.p.step, DP_STEP_REPLY);
		CHECK_INT(can.p.reply_code, 482);
	}

	test_loops(&inv);
}

/* The top Via of a request, taken whole when it holds none of the bytes
 * that split, quote or bracket a list value, else through the list walk:
 * both ways give the same first value. want: the client's Via line as
 * forwarded (received and rport added to that first value). */
static void test_top_via(void)
{
	static const struct {
		const char *via, *want; /* want NULL: answered with code */
		unsigned code;
	} v[] = {
		{"SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v1;rport, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-v0",
		 "\r\nVia: SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v1;rport=40000;received=10.77.1.2, "
		 "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-v0\r\n", 0},
		{"SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v2;x=\"a,b\";rport",
		 "\r\nVia: SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v2;x=\"a,b\";rport=40000;received=10.77.1.2\r\n", 0},
		{"SIP/2.0/UDP h.ab,SIP/2.0/UDP h.cd",
		 "\r\nVia: SIP/2.0/UDP h.ab;received=10.77.1.2,SIP/2.0/UDP h.cd\r\n", 0},
		{"SIP/2.0/UDP h.abc", "\r\nVia: SIP/2.0/UDP h.abc;received=10.77.1.2\r\n", 0},
		{"SIP/2.0/UDP h", "\r\nVia: SIP/2.0/UDP h;received=10.77.1.2\r\n", 0},
		{"SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v4;x=<a", NULL, 400},
		{"SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v5;x=a>b", NULL, 400},
		{"SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v6;x=a\\b", NULL, 400},
		{"SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v7;x=\"a", NULL, 400},
		{", SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-v8", NULL, 400},
	};
	struct res r;

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		check_ctx = v[i].via;
		run_client("OPTIONS", v[i].via, "<sip:bob@b>", i, &r);
		if (v[i].want == NULL) {
			CHECK_INT(r.p.step, DP_STEP_REPLY);
			CHECK_INT(r.p.reply_code, v[i].code);
			CHECK_INT(r.p.sip_err, SIP_ERR_BAD_VIA);
			continue;
		}
		CHECK_INT(r.p.step, DP_STEP_FORWARD);
		CHECK(strstr(r.out, v[i].want) != NULL);
	}
}

static void test_malformed(void)
{
	struct res r;
	struct dp_addr src;

	addr4(&src, 1, 2, 5060);
	check_ctx = "malformed request: 400 with the parser's error";
	run(0, &src, "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 INVITE\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_REPLY);
	CHECK_INT(r.p.reply_code, 400);
	CHECK_INT(r.p.sip_err, SIP_ERR_MISSING_CALL_ID);

	check_ctx = "malformed ACK: dropped";
	run(0, &src, "ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_DROP);
	CHECK_INT(r.p.reason, STATS_DROP_sip_malformed_ack);

	check_ctx = "malformed response: dropped";
	run(1, &src, "SIP/2.0 200 OK\r\nVia: x\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_DROP);
	CHECK_INT(r.p.reason, STATS_DROP_sip_malformed_resp);

	check_ctx = "binary garbage: 400 attempted, then unanswerable";
	run(0, &src, "\x01\x02\x03garbage", &r);
	CHECK_INT(r.p.step, DP_STEP_REPLY);
	CHECK_INT(r.p.reply_code, 400);

	check_ctx = "malformed response after a CRLF: dropped, not answered";
	run(0, &src, "\nSIP/2.0 180 Ringing: x\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c@x\r\n"
		     "CSeq: bogus INVITE\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_DROP);
	CHECK_INT(r.p.reason, STATS_DROP_sip_malformed_resp);

	check_ctx = "malformed ACK after CRLFs: dropped, not answered";
	run(0, &src, "\r\n\r\nACK sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
		     "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c@x\r\n"
		     "CSeq: 1 INVITE\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_DROP);
	CHECK_INT(r.p.reason, STATS_DROP_sip_malformed_ack);

	check_ctx = "reply_malformed false: dropped";
	dp.cfg.proxy.reply_malformed = false;
	run(0, &src, "INVITE sip:a@b SIP/2.0\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_DROP);
	CHECK_INT(r.p.reason, STATS_DROP_sip_malformed);
	dp.cfg.proxy.reply_malformed = true;
}

static void test_response(void)
{
	struct res inv, resp;
	struct dp_addr client, be;
	char msg[4096], ourvia[512], corevia[512], top[256];
	const char *rest;

	addr4(&client, 1, 2, 40001);
	check_ctx = "response: our Via popped, sent to received/rport";
	run(0, &client,
	    "INVITE sip:bob@10.77.1.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-c1;rport\r\n"
	    "Max-Forwards: 70\r\nFrom: <sip:a@b>;tag=f\r\nTo: <sip:bob@b>\r\n"
	    "Call-ID: resp-1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", &inv);
	CHECK_INT(inv.p.step, DP_STEP_FORWARD);
	hdr_line(inv.out, "Via: ", ourvia, sizeof(ourvia));
	rest = strstr(inv.out, "Via: SIP/2.0/UDP 192.168.0.9");
	CHECK(rest != NULL);
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 180 Ringing\r\nVia: %s\r\n%.*s"
		 "From: <sip:a@b>;tag=f\r\nTo: <sip:bob@b>;tag=t\r\n"
		 "Call-ID: resp-1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
		 ourvia, (int)(strstr(rest, "\r\n") + 2 - rest), rest);
	be = inv.p.out_dst;
	run(1, &be, msg, &resp);
	CHECK_INT(resp.p.step, DP_STEP_FORWARD);
	CHECK_INT(resp.p.out_port, 0);
	CHECK(memcmp(&resp.p.out_dst, &client, sizeof(client)) == 0);
	CHECK(strstr(resp.out, ourvia) == NULL);
	CHECK(starts(resp.out, "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-c1;rport=40001;received=10.77.1.2\r\n"));
	CHECK_INT(resp.out_len, strlen(msg) - strlen(ourvia) - 7);

	/* the client's Via as we rewrote it, which the response carries back */
#define CLIENT_VIA "SIP/2.0/UDP 192.168.0.9:5060;branch=z9hG4bK-c1;rport=40001;received=10.77.1.2"
	static const struct {
		const char *ctx, *before, *after; /* the Via lines around ours */
		unsigned step, reason;
		const char *top; /* forwarded: the top Via then */
	} vias[] = {
		{"response: our Via first in a comma list", "", ", " CLIENT_VIA, DP_STEP_FORWARD, 0,
		 CLIENT_VIA},
		/* our branch says where it goes; the Via below is not followed */
		{"response whose next Via was changed (elsewhere): still to the client", "",
		 ", SIP/2.0/UDP 10.77.1.2:5070;branch=z9hG4bK-c2", DP_STEP_FORWARD, 0,
		 "SIP/2.0/UDP 10.77.1.2:5070;branch=z9hG4bK-c2"},
		{"response: a parameter added to our Via (split, then routed)", "",
		 ";received=10.77.2.1\r\nVia: " CLIENT_VIA, DP_STEP_FORWARD, 0, CLIENT_VIA},
		{"response: our branch behind a Via value that is not ours", "SIP/2.0/UDP 10.9.9.9, ",
		 "\r\nVia: " CLIENT_VIA, DP_STEP_DROP, STATS_DROP_resp_not_ours, NULL},
		{"response: our branch with bytes after it in its token", "", "0\r\nVia: " CLIENT_VIA,
		 DP_STEP_DROP, STATS_DROP_resp_not_ours, NULL},
		/* a first value the list splitter refuses is not ours either */
		{"response: an unterminated quote before our branch", "SIP/2.0/UDP \"x",
		 "\r\nVia: " CLIENT_VIA, DP_STEP_DROP, STATS_DROP_resp_not_ours, NULL},
		/* one byte before our Via: its first ';' still among the first 32 */
		{"response: a '<' right before our Via", "<", "\r\nVia: " CLIENT_VIA, DP_STEP_DROP,
		 STATS_DROP_resp_not_ours, NULL},
		{"response: a ',' right before our Via", ",", "\r\nVia: " CLIENT_VIA, DP_STEP_DROP,
		 STATS_DROP_resp_not_ours, NULL},
		{"response: a quote right before our Via", "\"", "\r\nVia: " CLIENT_VIA, DP_STEP_DROP,
		 STATS_DROP_resp_not_ours, NULL},
		{"response: a '>' right before our Via (no list special there)", ">",
		 "\r\nVia: " CLIENT_VIA, DP_STEP_FORWARD, 0, CLIENT_VIA},
	};
	for (unsigned i = 0; i < sizeof(vias) / sizeof(vias[0]); i++) {
		check_ctx = vias[i].ctx;
		snprintf(msg, sizeof(msg),
			 "SIP/2.0 200 OK\r\nVia: %s%s%s\r\n"
			 "From: <sip:a@b>;tag=f\r\nTo: <sip:bob@b>;tag=t\r\n"
			 "Call-ID: resp-1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
			 vias[i].before, ourvia, vias[i].after);
		run(1, &be, msg, &resp);
		CHECK_INT(resp.p.step, vias[i].step);
		if (vias[i].step == DP_STEP_DROP) {
			CHECK_INT(resp.p.reason, vias[i].reason);
			continue;
		}
		CHECK(memcmp(&resp.p.out_dst, &client, sizeof(client)) == 0);
		/* ours popped, the next one on top as it was */
		snprintf(top, sizeof(top), "SIP/2.0 200 OK\r\nVia: %s\r\n", vias[i].top);
		CHECK(starts(resp.out, top));
		CHECK(strstr(resp.out, ourvia) == NULL);
	}
#undef CLIENT_VIA

	check_ctx = "response with a forged branch: dropped";
	ourvia[strlen(ourvia) - 1] ^= 1;
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: %s\r\nVia: SIP/2.0/UDP 10.77.1.2:5070;branch=z9hG4bK-c2\r\n"
		 "From: <sip:a@b>;tag=f\r\nTo: <sip:bob@b>;tag=t\r\n"
		 "Call-ID: resp-1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", ourvia);
	run(1, &be, msg, &resp);
	CHECK_INT(resp.p.step, DP_STEP_DROP);
	CHECK_INT(resp.p.reason, STATS_DROP_resp_not_ours);

	check_ctx = "a response to a core request whose Via names a host: dropped (no DNS)";
	ourvia[strlen(ourvia) - 1] ^= 1;
	run(1, &be,
	    "INVITE sip:alice@10.77.1.2:40001 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP pbx.example.net;branch=z9hG4bK-c2\r\n"
	    "Max-Forwards: 70\r\nFrom: <sip:bob@b>;tag=f\r\nTo: <sip:alice@b>\r\n"
	    "Call-ID: resp-2@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", &inv);
	CHECK_INT(inv.p.step, DP_STEP_FORWARD);
	hdr_line(inv.out, "Via: ", corevia, sizeof(corevia));
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: %s\r\nVia: SIP/2.0/UDP pbx.example.net;branch=z9hG4bK-c2\r\n"
		 "From: <sip:bob@b>;tag=f\r\nTo: <sip:alice@b>;tag=t\r\n"
		 "Call-ID: resp-2@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", corevia);
	run(0, &client, msg, &resp);
	CHECK_INT(resp.p.step, DP_STEP_DROP);
	CHECK_INT(resp.p.reason, STATS_DROP_resp_via_host);

	check_ctx = "response with only our Via, signed as a probe, from the core: a probe reply";
	{
		char pb[TOKEN_BRANCH_MAX + 1];

		pb[token_branch(dp.key_branch, 77, DP_ROLE_CORE, NULL, pb)] = '\0';
		snprintf(msg, sizeof(msg),
			 "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.77.2.1:5060;branch=%s\r\n"
			 "From: <sip:a@b>;tag=f\r\nTo: <sip:bob@b>;tag=t\r\n"
			 "Call-ID: probe-0-1@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", pb);
		run(1, &be, msg, &resp);
		CHECK_INT(resp.p.step, DP_STEP_EXCEPTION);
		CHECK_INT(resp.p.exc, DP_EXC_PROBE_REPLY);
	}

	check_ctx = "only our Via, but a client request's branch: not a probe reply";
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: <sip:a@b>;tag=f\r\nTo: <sip:bob@b>;tag=t\r\n"
		 "Call-ID: probe-0-1@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", ourvia);
	run(1, &be, msg, &resp);
	CHECK_INT(resp.p.step, DP_STEP_DROP);
	CHECK_INT(resp.p.reason, STATS_DROP_resp_no_via);
}

/* A Route of ours is recognised with no parse when it is spelled as we
 * write it; every other spelling must come out as the parse says. The
 * Route is "<sip:" user "@" at; user NULL: our token (tampered: one
 * character changed). Where the request goes: 10.77.net.last:port. */
static void test_route_spellings(void)
{
	static const struct {
		const char *ctx, *user, *at;
		bool tampered;
		unsigned step, code, net, last, port;
	} rows[] = {
		{"as we write it", NULL, "10.77.2.1:5060;lr>", false, DP_STEP_FORWARD, 0, 1, 2, 40002},
		{"with ;ob", NULL, "10.77.2.1:5060;lr;ob>", false, DP_STEP_FORWARD, 0, 1, 2, 40002},
		{"no port: 5060", NULL, "10.77.2.1;lr>", false, DP_STEP_FORWARD, 0, 1, 2, 40002},
		{"one parameter more", NULL, "10.77.2.1:5060;lr;x=1>", false, DP_STEP_FORWARD, 0, 1, 2,
		 40002},
		{"a leading zero in the port", NULL, "10.77.2.1:05060;lr>", false, DP_STEP_FORWARD, 0, 1,
		 2, 40002},
		{"a port we do not listen on: not ours, and our address", NULL, "10.77.2.1:5061;lr>",
		 false, DP_STEP_REPLY, 404, 0, 0, 0},
		{"an address that starts as ours: not ours", NULL, "10.77.2.10:5060;lr>", false,
		 DP_STEP_FORWARD, 0, 2, 10, 5060},
		{"no token in it: the Request-URI", "alice", "10.77.2.1:5060;lr>", false,
		 DP_STEP_FORWARD, 0, 1, 20, 5062},
		{"a token with one character changed", NULL, "10.77.2.1:5060;lr>", true, DP_STEP_DROP, 0,
		 0, 0, 0},
	};
	struct dp_addr client, kam, want;
	char token[TOKEN_FLOW_MAX + 1], msg[2048];
	struct res r;

	addr4(&client, 1, 2, 40002);
	addr4(&kam, 2, 2, 5060);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		check_ctx = rows[i].ctx;
		token[token_flow(dp.key_token, &client, token)] = '\0';
		if (rows[i].tampered)
			token[5] = token[5] == 'A' ? 'B' : 'A';
		snprintf(msg, sizeof(msg),
			 "BYE sip:alice@10.77.1.20:5062 SIP/2.0\r\nRoute: <sip:%s@%s\r\n"
			 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-rs%u\r\n"
			 "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
			 "Call-ID: route-%u@x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
			 rows[i].user ? rows[i].user : token, rows[i].at, i, i);
		run(1, &kam, msg, &r);
		CHECK_INT(r.p.step, rows[i].step);
		if (rows[i].step == DP_STEP_REPLY)
			CHECK_INT(r.p.reply_code, rows[i].code);
		if (rows[i].step == DP_STEP_DROP)
			CHECK_INT(r.p.reason, STATS_DROP_token_bad);
		if (rows[i].step != DP_STEP_FORWARD)
			continue;
		addr4(&want, rows[i].net, rows[i].last, rows[i].port);
		CHECK(memcmp(&r.p.out_dst, &want, sizeof(want)) == 0);
	}
}

static void test_core_requests(void)
{
	struct res r;
	struct dp_addr client, kam;
	char token[TOKEN_FLOW_MAX + 1], msg[4096];
	unsigned n;

	addr4(&client, 1, 2, 40002);
	addr4(&kam, 2, 2, 5060);
	n = token_flow(dp.key_token, &client, token);
	token[n] = '\0';

	check_ctx = "core request through Path: to the token's address";
	snprintf(msg, sizeof(msg),
		 "INVITE sip:alice@192.168.1.20:5062 SIP/2.0\r\n"
		 "Route: <sip:%s@10.77.2.1:5060;lr;ob>\r\n"
		 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k1\r\n"
		 "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>\r\n"
		 "Call-ID: core-1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", token);
	run(1, &kam, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK_INT(r.p.out_port, 0);
	CHECK(memcmp(&r.p.out_dst, &client, sizeof(client)) == 0);
	CHECK(strstr(r.out, "\r\nRoute:") == NULL);
	CHECK(starts(r.out, "INVITE sip:alice@192.168.1.20:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.1.1:5060;branch=z9hG4bK"));
	CHECK(strstr(r.out, "Record-Route: <sip:se") != NULL);
	CHECK(strstr(r.out, "Max-Forwards: 68\r\n") != NULL);
	CHECK(strstr(r.out, "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k1\r\n") != NULL);

	check_ctx = "the client answers: our Via popped, to kam1's Via";
	{
		char ourvia[256], resp[2048];
		struct res rr;
		const char *v = strstr(r.out, "Via: SIP/2.0/UDP 10.77.1.1:5060;branch=");

		snprintf(ourvia, sizeof(ourvia), "%.*s", (int)(strstr(v, "\r\n") - v), v);
		snprintf(resp, sizeof(resp),
			 "SIP/2.0 180 Ringing\r\n%s\r\n"
			 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k1\r\n"
			 "From: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
			 "Call-ID: core-1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", ourvia);
		run(0, &client, resp, &rr);
		CHECK_INT(rr.p.step, DP_STEP_FORWARD);
		CHECK_INT(rr.p.out_port, 1);
		CHECK(memcmp(&rr.p.out_dst, &kam, sizeof(kam)) == 0);

		check_ctx = "the same branch replayed to send a response elsewhere: to kam1 still";
		snprintf(resp, sizeof(resp),
			 "SIP/2.0 200 OK\r\n%s\r\n"
			 "Via: SIP/2.0/UDP 10.77.2.200:5060;rport=6379;branch=z9hG4bK-x\r\n"
			 "From: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
			 "Call-ID: core-1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", ourvia);
		run(0, &client, resp, &rr);
		CHECK_INT(rr.p.step, DP_STEP_FORWARD);
		CHECK(memcmp(&rr.p.out_dst, &kam, sizeof(kam)) == 0);

		check_ctx = "the same branch replayed from the core side: dropped";
		snprintf(resp, sizeof(resp),
			 "SIP/2.0 200 OK\r\n%s\r\n"
			 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k1\r\n"
			 "From: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
			 "Call-ID: core-1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", ourvia);
		run(1, &kam, resp, &rr);
		CHECK_INT(rr.p.step, DP_STEP_DROP);
		CHECK_INT(rr.p.reason, STATS_DROP_resp_not_ours);
	}

	check_ctx = "core in-dialog BYE with both our Record-Route entries";
	snprintf(msg, sizeof(msg),
		 "BYE sip:alice@192.168.1.20:5062 SIP/2.0\r\n"
		 "Route: <sip:%s@10.77.2.1:5060;lr>, <sip:%s@10.77.1.1:5060;lr>\r\n"
		 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k2\r\n"
		 "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
		 "Call-ID: core-1@x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", token, token);
	run(1, &kam, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(memcmp(&r.p.out_dst, &client, sizeof(client)) == 0);
	CHECK(strstr(r.out, "\r\nRoute:") == NULL);
	CHECK(strstr(r.out, "Record-Route") == NULL);

	check_ctx = "core request: ours then a foreign Route: foreign one kept";
	snprintf(msg, sizeof(msg),
		 "BYE sip:alice@192.168.1.20:5062 SIP/2.0\r\n"
		 "Route: <sip:%s@10.77.2.1:5060;lr>, <sip:10.77.1.50;lr>\r\n"
		 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k3\r\n"
		 "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
		 "Call-ID: core-1@x\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n", token);
	run(1, &kam, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK(memcmp(&r.p.out_dst, &client, sizeof(client)) == 0);
	CHECK(strstr(r.out, "Route: <sip:10.77.1.50;lr>\r\n") != NULL);

	check_ctx = "core request with a tampered token: dropped";
	token[5] = token[5] == 'A' ? 'B' : 'A';
	snprintf(msg, sizeof(msg),
		 "BYE sip:alice@192.168.1.20:5062 SIP/2.0\r\n"
		 "Route: <sip:%s@10.77.2.1:5060;lr>\r\n"
		 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k4\r\n"
		 "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
		 "Call-ID: core-1@x\r\nCSeq: 4 BYE\r\nContent-Length: 0\r\n\r\n", token);
	run(1, &kam, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_DROP);
	CHECK_INT(r.p.reason, STATS_DROP_token_bad);

	check_ctx = "core request whose token names one of our addresses: dropped";
	{
		struct dp_addr ours;

		addr4(&ours, 2, 1, 5060);
		n = token_flow(dp.key_token, &ours, token);
		token[n] = '\0';
	}
	snprintf(msg, sizeof(msg),
		 "INVITE sip:alice@192.168.1.20:5062 SIP/2.0\r\n"
		 "Route: <sip:%s@10.77.2.1:5060;lr;ob>\r\n"
		 "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k8\r\n"
		 "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>\r\n"
		 "Call-ID: core-5@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", token);
	run(1, &kam, msg, &r);
	CHECK_INT(r.p.step, DP_STEP_DROP);
	CHECK_INT(r.p.reason, STATS_DROP_no_route);

	check_ctx = "a Route list that breaks after one of ours: 400, nothing cut";
	run(1, &kam,
	    "BYE sip:alice@10.77.1.9 SIP/2.0\r\n"
	    "Route: <sip:10.77.2.1;lr>, <sip:198.51.100.50;lr\r\n"
	    "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k9\r\n"
	    "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>;tag=c\r\n"
	    "Call-ID: core-6@x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_REPLY);
	CHECK_INT(r.p.reply_code, 400);

	check_ctx = "core request, no token, host name R-URI: 404";
	run(1, &kam,
	    "INVITE sip:alice@example.net SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k5\r\n"
	    "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>\r\n"
	    "Call-ID: core-2@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_REPLY);
	CHECK_INT(r.p.reply_code, 404);

	check_ctx = "core request for us (not OPTIONS), no token: 404, not looped";
	run(1, &kam,
	    "MESSAGE sip:10.77.2.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k7\r\n"
	    "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>\r\n"
	    "Call-ID: core-4@x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_REPLY);
	CHECK_INT(r.p.reply_code, 404);

	check_ctx = "core request to an IP literal R-URI: forwarded there";
	run(1, &kam,
	    "MESSAGE sip:alice@10.77.1.9:5070 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.77.2.2;branch=z9hG4bK-k6\r\n"
	    "Max-Forwards: 69\r\nFrom: <sip:bob@b>;tag=k\r\nTo: <sip:alice@b>\r\n"
	    "Call-ID: core-3@x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n", &r);
	CHECK_INT(r.p.step, DP_STEP_FORWARD);
	CHECK_INT(r.p.out_dst.port, 5070);
	CHECK_INT(r.p.out_dst.ip.a[3], 9);
}

/* A branch's hex digits and where it says the response goes: every h and
 * address comes back, for IPv4, IPv6 and none; a branch with any byte but
 * 0-9 a-f (upper case too), any other digit, or its tail cut short, is
 * refused. */
static void test_branch_hex(void)
{
	uint64_t key[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull}, h = 1;
	struct dp_addr dests[3], got;
	char br[TOKEN_BRANCH_MAX];
	unsigned n = 0;

	addr4(&dests[0], 1, 2, 5060);
	memset(&dests[1], 0, sizeof(dests[1]));
	dests[1].ip.af = 6;
	for (unsigned i = 0; i < 16; i++)
		dests[1].ip.a[i] = (uint8_t)(0xf0 + i);
	dests[1].port = 65535;
	memset(&dests[2], 0, sizeof(dests[2]));
	check_ctx = "branch hex: every h and destination round trips";
	for (unsigned k = 0; k < 6000; k++) {
		struct dp_addr *to = &dests[k % 3];

		h = h * 6364136223846793005ull + 1442695040888963407ull;
		to->port = to->ip.af ? (uint16_t)(h >> 48) : 0;
		if (to->ip.af == 4)
			memcpy(to->ip.a, &h, 4);
		n = token_branch(key, k < 3 ? (uint64_t[]){0, ~0ull, 0x0f0f0f0f0f0f0f0full}[k] : h, 1,
				 to, br);
		CHECK_INT(n, TOKEN_BRANCH_MIN + (to->ip.af == 4 ? 13 : to->ip.af == 6 ? 37 : 0));
		CHECK_INT(token_branch_check(key, br, n, 1, &got), n);
		CHECK(memcmp(&got, to, sizeof(got)) == 0);
		for (unsigned i = 7; i < n; i++)
			CHECK((br[i] >= '0' && br[i] <= '9') || (br[i] >= 'a' && br[i] <= 'f'));
	}
	/* the last one is k = 5999: none; go over an IPv6 one */
	n = token_branch(key, h, 1, &dests[1], br);
	check_ctx = "branch hex: a bad or changed digit anywhere is refused";
	for (unsigned i = 7; i < n; i++) {
		for (unsigned c = 0; c < 256; c++) {
			char bad[TOKEN_BRANCH_MAX];

			if (c == (unsigned char)br[i])
				continue;
			memcpy(bad, br, sizeof(bad));
			bad[i] = (char)c;
			CHECK_INT(token_branch_check(key, bad, n, 1, &got), 0);
		}
	}
	check_ctx = "branch: its tail cut short";
	for (unsigned a = 0; a < n; a++)
		CHECK_INT(token_branch_check(key, br, a, 1, &got), 0);
}

static void test_tokens(void)
{
	/* SipHash-2-4 reference vector: key 00..0f, message 00..0e */
	uint64_t key[2];
	uint8_t k[16], msg[15];
	struct dp_addr a, b;
	char t[TOKEN_BRANCH_MAX + TOKEN_FLOW_MAX];
	unsigned n;

	check_ctx = "SipHash-2-4 test vector";
	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	memcpy(key, k, 16);
	CHECK(token_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL);
	CHECK(token_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL);

	check_ctx = "flow token round trip, IPv4 and IPv6";
	addr4(&a, 1, 2, 65535);
	n = token_flow(dp.key_token, &a, t);
	CHECK_INT(n, 22);
	CHECK_INT(token_flow_parse(dp.key_token, t, n, &b), 1);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	memset(&a, 0, sizeof(a));
	a.ip.af = 6;
	memset(a.ip.a, 0xab, 16);
	a.port = 1;
	n = token_flow(dp.key_token, &a, t);
	CHECK_INT(n, 38);
	CHECK_INT(token_flow_parse(dp.key_token, t, n, &b), 1);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);

	check_ctx = "flow token: every single-character change is refused";
	for (unsigned i = 2; i < n; i++) {
		char c = t[i];

		t[i] = c == 'A' ? 'B' : 'A';
		CHECK_INT(token_flow_parse(dp.key_token, t, n, &b), -1);
		t[i] = c;
	}
	CHECK_INT(token_flow_parse(dp.key_token, "alice", 5, &b), 0);
	CHECK_INT(token_flow_parse(dp.key_token, t, n - 1, &b), 0);
	CHECK_INT(token_flow_parse(dp.key_branch, t, n, &b), -1);

	check_ctx = "branch: signed, other keys and sides refused";
	addr4(&a, 1, 2, 5060);
	n = token_branch(dp.key_branch, 0x1234, DP_ROLE_CORE, &a, t);
	CHECK_INT(token_branch_check(dp.key_branch, t, n, DP_ROLE_CORE, &b), n);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK_INT(token_branch_check(dp.key_token, t, n, DP_ROLE_CORE, &b), 0);
	CHECK_INT(token_branch_check(dp.key_branch, t, n, DP_ROLE_ACCESS, &b), 0);
	/* bytes after it are the caller's to judge: the length says where it ends */
	t[n] = ';';
	CHECK_INT(token_branch_check(dp.key_branch, t, n + 1, DP_ROLE_CORE, &b), n);

	check_ctx = "branch: its first TOKEN_BRANCH_LOOP_LEN bytes are set by the loop half alone";
	{
		char u[TOKEN_BRANCH_MAX];

		n = token_branch(dp.key_branch, 0xabcdef0100000001ull, DP_ROLE_CORE, &a, t);
		token_branch(dp.key_branch, 0xabcdef01fffffffeull, DP_ROLE_ACCESS, NULL, u);
		CHECK(memcmp(t, "z9hG4bKabcdef01", TOKEN_BRANCH_LOOP_LEN) == 0);
		CHECK(memcmp(t, u, TOKEN_BRANCH_LOOP_LEN) == 0);
		CHECK(t[TOKEN_BRANCH_LOOP_LEN] != u[TOKEN_BRANCH_LOOP_LEN]);
	}

	check_ctx = "branch: no destination, or a destination dropped from it";
	n = token_branch(dp.key_branch, 0x1234, DP_ROLE_CORE, NULL, t);
	CHECK_INT(n, TOKEN_BRANCH_MIN);
	CHECK_INT(token_branch_check(dp.key_branch, t, n, DP_ROLE_CORE, &b), n);
	CHECK_INT(b.ip.af, 0);
	n = token_branch(dp.key_branch, 0x1234, DP_ROLE_CORE, &a, t);
	CHECK_INT(token_branch_check(dp.key_branch, t, TOKEN_BRANCH_MIN, DP_ROLE_CORE, &b), 0);
	t[TOKEN_BRANCH_MIN] = '6'; /* the IPv4 tail read as an IPv6 one */
	CHECK_INT(token_branch_check(dp.key_branch, t, n, DP_ROLE_CORE, &b), 0);
}

/* Known answers: branches and flow tokens as the byte-at-a-time token.c
 * of 2026-11-25 wrote them (the SipHash input packed straight into words
 * must give the same bytes: peers and the pcap tests hold them), each
 * accepted back, and any byte of them changed to any other refused. */
static void test_token_vectors(void)
{
	static const struct {
		unsigned kind, side; /* 4, 6, 0 (nowhere); a branch's side */
		const char *branch, *flow;
	} v[] = {
		{4, 1, "z9hG4bK0123456789abcdefb33b4cf90bf22cd24c000020713c6", "seNMAAAgcTxiIWVDLxMA5x"},
		{6, 2, "z9hG4bK0123456789abcdef02ccbad1d7becc3c620010db800000000000000000000000113c4",
		 "seNiABDbgAAAAAAAAAAAAAAAETxOerPVu8TAfk"},
		{0, 1, "z9hG4bK0123456789abcdef9140ea1d1c536525", NULL},
	};
	uint64_t key[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};
	struct dp_addr a, got;
	char t[TOKEN_BRANCH_MAX + TOKEN_FLOW_MAX], bad[TOKEN_BRANCH_MAX + TOKEN_FLOW_MAX];

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned bl = (unsigned)strlen(v[i].branch), n;

		memset(&a, 0, sizeof(a));
		if (v[i].kind == 4) {
			a.ip.af = 4;
			memcpy(a.ip.a, (uint8_t[]){192, 0, 2, 7}, 4);
			a.port = 5062;
		} else if (v[i].kind == 6) {
			a.ip.af = 6;
			memcpy(a.ip.a, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
			a.ip.a[15] = 1;
			a.port = 5060;
		}
		check_ctx = "token vectors: the branch's bytes";
		n = token_branch(key, 0x0123456789abcdefull, v[i].side, v[i].kind ? &a : NULL, t);
		CHECK_INT(n, bl);
		CHECK(memcmp(t, v[i].branch, bl) == 0);
		CHECK_INT(token_branch_check(key, v[i].branch, bl, v[i].side, &got), bl);
		CHECK(memcmp(&got, &a, sizeof(a)) == 0);
		check_ctx = "token vectors: a branch with any byte changed is refused";
		for (unsigned k = 0; k < bl; k++)
			for (unsigned c = 0; c < 256; c++) {
				memcpy(bad, v[i].branch, bl);
				if (c == (unsigned char)bad[k])
					continue;
				bad[k] = (char)c;
				CHECK_INT(token_branch_check(key, bad, bl, v[i].side, &got), 0);
			}
		if (v[i].flow == NULL)
			continue;
		bl = (unsigned)strlen(v[i].flow);
		check_ctx = "token vectors: the flow token's bytes";
		n = token_flow(key, &a, t);
		CHECK_INT(n, bl);
		CHECK(memcmp(t, v[i].flow, bl) == 0);
		CHECK_INT(token_flow_parse(key, v[i].flow, bl, &got), 1);
		CHECK(memcmp(&got, &a, sizeof(a)) == 0);
		check_ctx = "token vectors: a flow token with any byte changed is refused";
		for (unsigned k = 0; k < bl; k++)
			for (unsigned c = 0; c < 256; c++) {
				memcpy(bad, v[i].flow, bl);
				if (c == (unsigned char)bad[k])
					continue;
				bad[k] = (char)c;
				CHECK_INT(token_flow_parse(key, bad, bl, &got), k < 2 ? 0 : -1);
			}
	}
}

/* Rendezvous hashing: shares follow weights, and taking a backend out moves
 * only the Call-IDs it had. */
static void test_rendezvous(void)
{
	struct be_table t;
	unsigned cnt[3] = {0}, moved = 0, n = 30000;
	static uint8_t first[30000];
	char cid[32];

	memset(&t, 0, sizeof(t));
	t.n = 3;
	for (unsigned i = 0; i < 3; i++) {
		t.b[i].idx = (uint8_t)i;
		t.b[i].weight = i == 2 ? 200 : 100;
		t.b[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1);
	}
	check_ctx = "rendezvous: weights 100/100/200";
	for (unsigned k = 0; k < n; k++) {
		int l = snprintf(cid, sizeof(cid), "%u-call@host", k);
		const struct be *b = be_pick(&t, cid, (uint32_t)l);

		first[k] = b->idx;
		cnt[b->idx]++;
	}
	CHECK(cnt[0] > n * 22 / 100 && cnt[0] < n * 28 / 100);
	CHECK(cnt[1] > n * 22 / 100 && cnt[1] < n * 28 / 100);
	CHECK(cnt[2] > n * 47 / 100 && cnt[2] < n * 53 / 100);

	check_ctx = "rendezvous: removing backend 1 moves only its Call-IDs";
	t.b[1] = t.b[2];
	t.n = 2;
	for (unsigned k = 0; k < n; k++) {
		int l = snprintf(cid, sizeof(cid), "%u-call@host", k);
		const struct be *b = be_pick(&t, cid, (uint32_t)l);

		if (first[k] != 1 && b->idx != first[k])
			moved++;
		CHECK(b->idx != 1);
	}
	CHECK_INT(moved, 0);

	check_ctx = "rendezvous: empty table";
	t.n = 0;
	CHECK(be_pick(&t, "x", 1) == NULL);
	CHECK(be_pick(NULL, "x", 1) == NULL);
}

/* Where pe_apply_inplace should put the output, by its rule spelled out:
 * the placement of the largest segment (the first of them) when the
 * segments it keeps in place hold more than half of the bytes and it fits,
 * else the first placement that fits. */
static int64_t inplace_placement(const struct pedits *pe, uint32_t len, uint32_t left,
				 uint32_t right)
{
	int64_t d[PE_MAX + 1], sz[PE_MAX + 1], out = 0, total = 0, kept = 0, newlen;
	uint32_t pos = 0;
	unsigned n = pe->n + 1, big = 0;

	for (unsigned k = 0; k < n; k++) {
		uint32_t end = k < pe->n ? pe->e[k].off : len;

		d[k] = (int64_t)pos - out;
		sz[k] = end - pos;
		total += sz[k];
		if (sz[k] > sz[big])
			big = k;
		if (k < pe->n) {
			out += end - pos + pe->e[k].ins_len;
			pos = pe->e[k].off + pe->e[k].del;
		}
	}
	newlen = out + sz[n - 1];
	for (unsigned k = 0; k < n; k++)
		kept += d[k] == d[big] ? sz[k] : 0;
	if (2 * kept > total && d[big] >= -(int64_t)left && d[big] + newlen <= (int64_t)len + right)
		return d[big];
	for (unsigned k = 0; k < n; k++)
		if (d[k] >= -(int64_t)left && d[k] + newlen <= (int64_t)len + right)
			return d[k];
	return INT64_MIN;
}

/* pe_apply_inplace against pe_apply, the copy it replaces: random messages
 * with random edits (insertions, deletions, replacements, at the start, at
 * the end, several at one offset) and random room on each side. Where it
 * succeeds the bytes must be what the copy gives, within the room; where it
 * refuses, the buffer must be untouched and no segment of the input could
 * have stayed in place within the room. The placement is the one
 * inplace_placement() spells out. */
static void test_inplace(void)
{
	static char area[4096], ref[4096], keep[4096];
	uint64_t x = 0x2545f4914f6cdd1dull;
	unsigned ok = 0, refused = 0;

	check_ctx = "pe_apply_inplace = pe_apply";
	for (unsigned it = 0; it < 20000; it++) {
		struct pedits pe;
		uint32_t len, left, right, pos = 0;
		char *buf;
		int32_t start = 0;

#define RND(n) ((x ^= x << 13, x ^= x >> 7, x ^= x << 17), (uint32_t)(x % (n)))
		len = RND(900);
		left = RND(300);
		right = RND(300);
		buf = area + 1024;
		for (uint32_t i = 0; i < 4096; i++)
			area[i] = (char)('A' + RND(26));
		pe_init(&pe);
		/* one edit in every fourth: pe_apply_one, a response's case */
		for (unsigned k = it % 4 == 0 ? 1 : RND(7); k > 0 && pos <= len; k--) {
			uint32_t off = pos + RND(len - pos + 1), del = RND(len - off + 1) / 4;
			uint32_t ins = RND(4) ? RND(120) : 0;
			char *t = ins ? pe_alloc(&pe, ins) : NULL;

			for (uint32_t i = 0; t && i < ins; i++)
				t[i] = (char)('a' + RND(26));
			pe_add(&pe, off, del, t, t ? ins : 0);
			pos = off + del + (RND(3) == 0 ? 0 : 1);
		}
		int32_t delta = pe_sort(&pe, len);

		if (delta == INT32_MIN) {
			CHECK(false);
			continue;
		}
		pe_apply(&pe, buf, len, ref);
		memcpy(keep, area, sizeof(area));
		if (pe_apply_inplace(&pe, buf, len, left, right, &start)) {
			ok++;
			CHECK(start >= -(int32_t)left);
			CHECK((int64_t)start + len + delta <= (int64_t)len + right);
			CHECK(memcmp(buf + start, ref, len + (uint32_t)delta) == 0);
			CHECK(start == inplace_placement(&pe, len, left, right));
		} else {
			bool fits = false;
			uint32_t p2 = 0;
			int64_t out = 0;

			refused++;
			CHECK(memcmp(keep, area, sizeof(area)) == 0);
			/* no segment could stay: each candidate placement overflows */
			for (unsigned k = 0; k <= pe.n; k++) {
				uint32_t end = k < pe.n ? pe.e[k].off : len;
				int64_t o = (int64_t)p2 - out;

				if (o >= -(int64_t)left && o + len + delta <= (int64_t)len + right)
					fits = true;
				if (k < pe.n) {
					out += end - p2 + pe.e[k].ins_len;
					p2 = pe.e[k].off + pe.e[k].del;
				}
			}
			CHECK(!fits);
		}
#undef RND
	}
	/* both outcomes must have been exercised */
	CHECK(ok > 1000);
	CHECK(refused > 100);
}

/* px_line_end: just past each header line's LF, as a search for it from
 * the value's end gives: CRLF right after the value, LWS before it, a bare
 * LF, a folded value, an empty value. */
static void test_line_end(void)
{
	static const char msg[] =
		"OPTIONS sip:a@10.77.1.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.77.1.2;branch=z9hG4bK-le\r\n"
		"Via: SIP/2.0/UDP 10.77.1.3;branch=z9hG4bK-le2 \t \r\n"
		"Max-Forwards: 70\n"
		"From: <sip:a@x>;\r\n tag=1\r\n"
		"To: <sip:b@x>\r\nSubject:\r\nSubject: \r\n"
		"Call-ID: le@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	struct sip_msg m;

	check_ctx = "px_line_end";
	CHECK(sip_parse(msg, sizeof(msg) - 1, NULL, 0, &m) > 0);
	CHECK(m.nhdrs == 10);
	for (unsigned i = 0; i < m.nhdrs; i++) {
		const char *e = m.buf + m.hdrs[i].value_off + m.hdrs[i].value_len;
		const char *lf = memchr(e, '\n', m.hdr_len - (uint32_t)(e - m.buf));

		CHECK(lf != NULL);
		CHECK_INT(px_line_end(&m, i), lf + 1 - m.buf);
	}
}

/* pe_sort against a plain stable insertion sort by the same order (an
 * offset; at one offset, insertions before a deletion): random lists with
 * many ties, in order, reversed and shuffled. */
static void test_sort(void)
{
	uint64_t x = 0x243f6a8885a308d3ull;
	static const char txt[] = "abcdefgh";

	check_ctx = "pe_sort = stable insertion sort";
	for (unsigned it = 0; it < 20000; it++) {
		struct pedits pe, ref;
		unsigned n;

#define RND(n) ((x ^= x << 13, x ^= x >> 7, x ^= x << 17), (uint32_t)(x % (n)))
		pe_init(&pe);
		n = RND(PE_MAX + 1);
		for (unsigned k = 0; k < n; k++) {
			uint32_t off = it % 3 == 0 ? k * 4 : it % 3 == 1 ? (n - k) * 4 : RND(6) * 4;
			bool del = RND(2);

			/* the insertion's length tells the edits apart */
			pe_add(&pe, off, del, del ? NULL : txt, del ? 0 : 1 + k % 8);
		}
		ref = pe;
		for (unsigned i = 1; i < ref.n; i++) {
			struct pedit e = ref.e[i];
			unsigned j = i;

			while (j > 0 && (ref.e[j - 1].off > e.off ||
					 (ref.e[j - 1].off == e.off && ref.e[j - 1].del && !e.del))) {
				ref.e[j] = ref.e[j - 1];
				j--;
			}
			ref.e[j] = e;
		}
		(void)pe_sort(&pe, 4096);
		CHECK_INT(pe.n, ref.n);
		for (unsigned k = 0; k < pe.n; k++)
			if (memcmp(&pe.e[k], &ref.e[k], sizeof(pe.e[k])) != 0) {
				CHECK_INT(it, -1);
				break;
			}
	}

	/* its verdict: the sorted edits must not overlap (one may start
	 * where the one before ends) nor end after len; else INT32_MIN */
	check_ctx = "pe_sort: overlapping edits and edits past the end refused";
	for (unsigned it = 0; it < 20000; it++) {
		struct pedits pe;
		uint32_t len = RND(48);
		int32_t want = 0, got;

		pe_init(&pe);
		for (unsigned k = RND(6); k > 0; k--) {
			uint32_t off = RND(48), del = RND(4) ? RND(6) : 0;

			pe_add(&pe, off, del, txt, RND(3));
		}
		got = pe_sort(&pe, len); /* sorted in place: checked below */
		for (unsigned k = 0; k < pe.n; k++) {
			const struct pedit *e = &pe.e[k];

			if (e->off + e->del > len ||
			    (k + 1 < pe.n && e->off + e->del > pe.e[k + 1].off)) {
				want = INT32_MIN;
				break;
			}
			want += (int32_t)e->ins_len - (int32_t)e->del;
		}
		CHECK_INT(got, want);
#undef RND
	}
}

/* px_utoa and px_fmt_ip against snprintf: every power of ten and its
 * neighbours, random values, every octet in every position. */
static void test_digits(void)
{
	uint64_t x = 0x853c49e6748fea9bull;
	char got[64], want[64];
	uint32_t v = 1;

	check_ctx = "px_utoa = %u";
	for (unsigned k = 0; k < 100000 + 40; k++) {
		unsigned n;

		if (k < 30) {
			v = k;
		} else if (k < 40) {
			v = (v == 1 ? 10 : v) * (k == 30 ? 1 : 10);
			if (k == 39)
				v = UINT32_MAX;
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v = (uint32_t)(x >> (x & 31));
		}
		for (int d = -1; d <= 1; d++) {
			uint32_t u = v + (uint32_t)d;

			n = px_utoa(got, u);
			CHECK_INT(n, (unsigned)snprintf(want, sizeof(want), "%u", u));
			if (memcmp(got, want, n) != 0)
				CHECK_STR(((struct sip_str){got, n}), want);
		}
	}
	check_ctx = "px_fmt_ip = dotted quad";
	for (unsigned o = 0; o < 256; o++) {
		for (unsigned pos = 0; pos < 4; pos++) {
			struct dp_ip ip = {.af = 4};
			unsigned n;

			ip.a[0] = 1;
			ip.a[1] = 22;
			ip.a[2] = 203;
			ip.a[3] = 9;
			ip.a[pos] = (uint8_t)o;
			memset(got, 0, sizeof(got));
			n = px_fmt_ip(&ip, false, got);
			snprintf(want, sizeof(want), "%u.%u.%u.%u", ip.a[0], ip.a[1], ip.a[2],
				 ip.a[3]);
			CHECK_STR(((struct sip_str){got, n}), want);
		}
	}
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {argv[0], "--no-huge", "--no-pci", "-m", "256", "-l", "0",
		       "--log-level", "error", prefix, NULL};

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=test-proxy-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	setup();
	test_inplace();
	test_line_end();
	test_sort();
	test_digits();
	test_branch_hex();
	test_tokens();
	test_token_vectors();
	test_rendezvous();
	test_register();
	test_invite();
	test_rr_ipv6();
	test_to_tag();
	test_route_to_backend();
	test_malformed();
	test_top_via();
	test_dialog_table();
	test_response();
	test_core_requests();
	test_route_spellings();

	check_ctx = "no backend healthy: 503";
	{
		struct res r;
		struct dp_addr src;
		struct be_table *saved = dp.be, empty = {0};

		addr4(&src, 1, 2, 5060);
		dp.be = &empty;
		run(0, &src, register_msg, &r);
		CHECK_INT(r.p.step, DP_STEP_REPLY);
		CHECK_INT(r.p.reply_code, 503);
		dp.be = saved;
	}
	rte_eal_cleanup();
	return check_summary();
}
