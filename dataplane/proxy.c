/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * proxy.c - the SIP stages of a worker (proxy.h): parsing and the RFC 3261
 * stateless proxy.
 *
 * Stateless means every decision comes from the message and the keys:
 *  - a request from the access side goes to the backend that rendezvous
 *    hashing of its Call-ID picks, so a dialog, its CANCEL and every
 *    retransmission land on one backend;
 *  - our Via branch is a hash of what identifies the transaction (RFC 3261
 *    16.11), signed, so a retransmission gets the same branch and a response
 *    proves it went through us;
 *  - Record-Route and Path carry a signed flow token of the client's
 *    address and port, so requests from the core find the client's NAT
 *    binding with no per-call state.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "backend.h"
#include "net.h"
#include "proxy.h"
#include "proxy_priv.h"
#include "token.h"

/* ---- parse stage ---- */

static bool starts_with(const char *p, uint32_t len, const char *lit, uint32_t n)
{
	return len >= n && memcmp(p, lit, n) == 0;
}

void proxy_parse_stage(struct worker *w, struct dp_burst *b)
{
	struct dp *dp = w->dp;

	for (unsigned i = 0; i < b->n; i++) {
		struct dp_pkt *p = &b->p[i];
		struct sip_msg *msg = &b->msg[i];
		int rc;

		if (i + 1 < b->n && b->p[i + 1].sip)
			rte_prefetch0(b->p[i + 1].sip);
		if (p->step != DP_STEP_CONTINUE)
			continue;
		if (p->sip == NULL) {
			/* over limits.max_message and not contiguous: no bytes
			 * to answer from */
			p->step = DP_STEP_DROP;
			p->reason = STATS_DROP_sip_too_big;
			continue;
		}
		rc = sip_parse(p->sip, p->sip_len, &dp->lim, 0, msg);
		if (rc > 0) {
			w->st->ctr[msg->flags & SIP_MSG_REQUEST ? STATS_sip_requests
								 : STATS_sip_responses]++;
			continue;
		}
		/* Malformed. RFC 3261 8.2.6: a request gets 400 (513 when too
		 * big); a response or an ACK is never answered. */
		msg->len = 0; /* tells proxy_reply to salvage what it can */
		p->sip_err = (uint8_t)-rc;
		p->step = DP_STEP_DROP;
		/* the parser skips CRLFs before the start line (RFC 3261 7.5):
		 * so must the test for what was never to be answered */
		const char *st = p->sip, *se = p->sip + p->sip_len;

		while (st < se && (*st == '\r' || *st == '\n'))
			st++;
		if (starts_with(st, (uint32_t)(se - st), SIP_LIT("SIP/")))
			p->reason = STATS_DROP_sip_malformed_resp;
		else if (starts_with(st, (uint32_t)(se - st), SIP_LIT("ACK ")))
			p->reason = STATS_DROP_sip_malformed_ack;
		else if (!dp->cfg.proxy.reply_malformed)
			p->reason = rc == -SIP_ERR_TOO_LARGE ? STATS_DROP_sip_too_big
							      : STATS_DROP_sip_malformed;
		else {
			p->step = DP_STEP_REPLY;
			p->reply_code = rc == -SIP_ERR_TOO_LARGE ? 513 : 400;
		}
	}
}

/* ---- helpers ---- */

static inline void set_drop(struct dp_pkt *p, unsigned reason)
{
	p->step = DP_STEP_DROP;
	p->reason = (uint8_t)reason;
}

static inline void set_reply(struct dp_pkt *p, unsigned code)
{
	p->step = DP_STEP_REPLY;
	p->reply_code = (uint16_t)code;
}

#if defined(__SSE2__)
/* Bit i set when byte i of the 16 at p is one of a, b, c, d, f (repeat
 * one for fewer). */
static inline unsigned lanes16(const char *p, char a, char b, char c, char d, char f)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

	return (unsigned)_mm_movemask_epi8(
		_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(a)),
					  _mm_cmpeq_epi8(x, _mm_set1_epi8(b))),
			     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)),
						       _mm_cmpeq_epi8(x, _mm_set1_epi8(d))),
					  _mm_cmpeq_epi8(x, _mm_set1_epi8(f)))));
}
#endif

#if defined(__AVX2__)
/* The same for the 32 bytes at p. */
static inline uint32_t lanes32(const char *p, char a, char b, char c, char d, char f)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);

	return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
		_mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(a)),
				_mm256_cmpeq_epi8(x, _mm256_set1_epi8(b))),
		_mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(c)),
						_mm256_cmpeq_epi8(x, _mm256_set1_epi8(d))),
				_mm256_cmpeq_epi8(x, _mm256_set1_epi8(f)))));
}
#endif

/* Whether [p, e) holds one of the bytes a, b, c, d, f: 32 or 16 bytes a
 * step, the last step the bytes that end at e, in place of a memchr() call
 * per byte. */
static inline bool has_byte_of(const char *p, const char *e, char a, char b, char c, char d,
			       char f)
{
#if defined(__AVX2__)
	if (e - p >= 32) {
		/* the step's start by a select, not a branch: one loop body,
		 * whose constants the compiler sets up once */
		for (const char *last = e - 32;; p += 32) {
			const char *q = p < last ? p : last;

			if (lanes32(q, a, b, c, d, f) != 0)
				return true;
			if (q == last)
				return false;
		}
	}
#endif
#if defined(__SSE2__)
	if (e - p >= 16) {
		for (const char *last = e - 16;; p += 16) {
			const char *q = p < last ? p : last;

			if (lanes16(q, a, b, c, d, f) != 0)
				return true;
			if (q == last)
				return false;
		}
	}
#endif
	for (; p < e; p++)
		if (*p == a || *p == b || *p == c || *p == d || *p == f)
			return true;
	return false;
}

/* Whether a URI names us: one of our addresses, and a listen port (or no
 * port, which means 5060 for sip:). */
static bool uri_is_us(const struct dp *dp, const struct sip_uri *u)
{
	struct dp_ip ip;
	uint16_t port = u->port ? u->port : 5060;

	if (!px_parse_ip(u->host.p, u->host.len, u->host_type, &ip))
		return false;
	return px_is_our_ip(dp, &ip) && worker_is_sip_port(dp, port);
}

/* Whether the host and port at h (up to e) are one of our addresses as
 * put_us() spells it, a ':' and one of our SIP ports; sets *rest past them. */
static bool our_hostport(const struct dp *dp, const char *h, const char *e, const char **rest)
{
	const char *c = NULL;
	unsigned port = 0, digits = 0;

	for (unsigned i = 0; i < dp->n_ports && c == NULL; i++) {
		const struct dp_port *pt = &dp->ports[i];

		if (pt->ip4_len && e - h > pt->ip4_len && h[pt->ip4_len] == ':' &&
		    memcmp(h, pt->ip4_str, pt->ip4_len) == 0)
			c = h + pt->ip4_len + 1;
		else if (pt->ip6_len && e - h > pt->ip6_len && h[pt->ip6_len] == ':' &&
			 memcmp(h, pt->ip6_str, pt->ip6_len) == 0)
			c = h + pt->ip6_len + 1;
	}
	if (c == NULL)
		return false;
	for (; c < e && *c >= '0' && *c <= '9' && digits < 5; c++, digits++)
		port = port * 10 + (unsigned)(*c - '0');
	*rest = c;
	return digits > 0 && port <= 65535 && worker_is_sip_port(dp, (uint16_t)port);
}

/* Whether Route value v is ours exactly as put_rr_uri() writes it,
 * "<sip:" flow token "@" our host ":" SIP port ";lr" [";ob"] ">", with a
 * token that verifies (*client): then it needs no parse. Any other
 * spelling, or a token that does not verify, is left to the parse. */
static bool route_as_we_write(const struct dp *dp, struct sip_str v, struct dp_addr *client)
{
	const char *e = v.p + v.len, *at, *rest;

	if (v.len < 16 || memcmp(v.p, "<sip:", 5) != 0 || e[-1] != '>' ||
	    (at = memchr(v.p + 5, '@', v.len - 5)) == NULL || !our_hostport(dp, at + 1, e, &rest))
		return false;
	if (!((e - rest == 4 && memcmp(rest, ";lr>", 4) == 0) ||
	      (e - rest == 7 && memcmp(rest, ";lr;ob>", 7) == 0)))
		return false;
	return token_flow_parse(dp->key_token, v.p + 5, (uint32_t)(at - v.p - 5), client) == 1;
}

/* Our Route entries at the top of the Route set: deleted from the message,
 * and the first flow token among them decoded. Returns -1 for a tampered
 * token, -2 for a Route list that does not parse, 0 otherwise; *left tells whether Route entries not ours remain
 * (*next_hop is then the URI of the first one). */
struct routes {
	bool token;		/* *client holds a verified flow token */
	bool left;		/* a Route not ours remains */
	struct sip_uri next;	/* the first remaining Route's URI, when left */
	struct dp_addr client;	/* when token */
};

static int pop_routes(const struct dp *dp, const struct sip_msg *m,
		      struct pedits *pe, struct routes *r)
{
	struct sip_iter it;
	struct sip_str val;
	int hdr = -1;
	uint32_t del_from = 0; /* start of the first ours element in hdr */
	bool any_in_hdr = false;
	int rc;

	/* next and client are read only under left and token: not cleared */
	r->token = false;
	r->left = false;
	if (m->first[SIP_HDR_ROUTE] == SIP_HDR_NONE)
		return 0;
	sip_iter_init(&it);
	while ((rc = sip_value_next(m, SIP_HDR_ROUTE, &it, &val)) == 1) {
		struct sip_nameaddr na;
		struct sip_uri u;
		struct dp_addr client;
		bool fast, parsed, ours;

		if (it.hdr != hdr) {
			/* the previous header was ours entirely: drop its line */
			if (any_in_hdr)
				pe_add(pe, m->hdrs[hdr].name_off,
				       px_line_end(m, (unsigned)hdr) - m->hdrs[hdr].name_off,
				       NULL, 0);
			hdr = it.hdr;
			any_in_hdr = false;
		}
		/* ours as we write it: no parse; else the parse says */
		fast = route_as_we_write(dp, val, &client);
		parsed = fast;
		if (!fast)
			parsed = sip_parse_nameaddr(val.p, val.len, &na) > 0 &&
				 sip_parse_uri(na.uri.p, na.uri.len, &u) > 0;
		ours = fast || (parsed && uri_is_us(dp, &u));
		if (!ours) {
			r->left = true;
			if (parsed)
				r->next = u;
			else /* empty: no IP literal to go to */
				memset(&r->next, 0, sizeof(r->next));
			if (any_in_hdr) /* ours elements before this one, same line */
				pe_add(pe, del_from, (uint32_t)(val.p - m->buf) - del_from,
				       NULL, 0);
			return 0;
		}
		if (!any_in_hdr)
			del_from = (uint32_t)(val.p - m->buf);
		any_in_hdr = true;
		if (!r->token && fast) {
			r->client = client;
			r->token = true;
		} else if (!r->token && u.user.len) {
			int t = token_flow_parse(dp->key_token, u.user.p, u.user.len,
						 &r->client);

			if (t < 0)
				return -1;
			r->token = t > 0;
		}
	}
	if (rc < 0)
		return -2; /* a Route element that does not parse: not ours to cut */
	if (any_in_hdr)
		pe_add(pe, m->hdrs[hdr].name_off,
		       px_line_end(m, (unsigned)hdr) - m->hdrs[hdr].name_off, NULL, 0);
	return 0;
}

/* RFC 3261 16.6 step 8, 16.3 step 4: the half of our branch that names the
 * request whatever path it took, so that it is the same when the request
 * comes back to us after a loop, and differs when a proxy changed the
 * Request-URI (a spiral). The raw From value rather than its tag: proxies
 * leave From alone, and it needs no parse. The CSeq number, not the method:
 * a CANCEL and the ACK of a non-2xx response carry the INVITE's branch. */
static uint32_t loop_hash(const struct sip_msg *m)
{
	int k = sip_hdr_first(m, SIP_HDR_FROM);
	uint32_t h = token_crc(m->ruri.p, m->ruri.len, 0x100b5eedu);

	if (k >= 0) {
		struct sip_str v = sip_hdr_value(m, (unsigned)k);

		h = token_crc(v.p, v.len, h);
	}
	h = token_crc(m->call_id.p, m->call_id.len, h);
	return token_crc(&m->cseq, 4, h);
}

/* RFC 3261 16.11: the other half must be the same for a retransmission (and
 * a CANCEL or non-2xx ACK of the same INVITE) and differ for a different
 * request. With an RFC 3261 top Via the client's branch says it all; an RFC
 * 2543 client's transaction is named by the 17.2.3 fields. The in-port's
 * role is mixed in so that a request crossing us twice (a spiral) gets two
 * branches. */
static uint32_t txn_hash(const struct sip_msg *m, const struct sip_via *top, unsigned role)
{
	uint32_t h = 0xb7a2c10du ^ role;

	if (top->branch.len > 7 && memcmp(top->branch.p, "z9hG4bK", 7) == 0)
		return token_crc(top->branch.p, top->branch.len, h);
	h = token_crc(top->host.p, top->host.len, h);
	h = token_crc(&(uint32_t){top->port}, 4, h);
	for (int id = SIP_HDR_FROM; id <= SIP_HDR_TO; id += SIP_HDR_TO - SIP_HDR_FROM) {
		int k = sip_hdr_first(m, (enum sip_hdr_id)id);
		struct sip_nameaddr na;

		if (k >= 0) {
			struct sip_str v = sip_hdr_value(m, (unsigned)k);

			if (sip_parse_nameaddr(v.p, v.len, &na) > 0 && na.tag.len)
				h = token_crc(na.tag.p, na.tag.len, h);
		}
	}
	return h;
}

/* Whether the Via element of value v that holds the branch at br is one we
 * wrote: ";branch=" right before it, and a sent-by that is one of our
 * addresses and SIP ports. */
static bool via_is_ours(const struct dp *dp, struct sip_str v, const char *br)
{
	const char *s = br, *e = br, *end = v.p + v.len;
	struct sip_via via;
	struct dp_ip ip;

	if (br - v.p < 8 || memcmp(br - 8, ";branch=", 8) != 0)
		return false;
	while (s > v.p && s[-1] != ',')
		s--;
	while (e < end && *e != ',')
		e++;
	if (sip_parse_via(s, (uint32_t)(e - s), &via) < 0 || via.branch.p != br ||
	    !px_parse_ip(via.host.p, via.host.len, via.host_type, &ip))
		return false;
	return px_is_our_ip(dp, &ip) && worker_is_sip_port(dp, via.port ? via.port : 5060);
}

/* The Via header line after line k, or -1. Via is a header the parser
 * knows, so its id alone names it: no call, and no name compare as
 * sip_hdr_next() makes for the headers it does not know. With AVX2 four
 * 8-byte index entries are compared a load (a request's search below its
 * top Via looks at every line after it). */
static int next_via(const struct sip_msg *m, int k)
{
	unsigned j = (unsigned)k + 1;

#if defined(__AVX2__)
	/* Vias most often stand together: the next line first, alone */
	if (j < m->nhdrs && m->hdrs[j].id == SIP_HDR_VIA)
		return (int)j;
	_Static_assert(sizeof(struct sip_hdr) == 8, "four index entries a 32-byte load");
	const __m256i via = _mm256_set1_epi8((char)SIP_HDR_VIA);
	const uint32_t ids = 0x01010101u << offsetof(struct sip_hdr, id);

	for (; j + 4 <= m->nhdrs; j += 4) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)&m->hdrs[j]);
		uint32_t hit = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, via)) & ids;

		if (hit != 0)
			return (int)(j + (unsigned)__builtin_ctz(hit) / 8);
	}
#endif
	for (; j < m->nhdrs; j++)
		if (m->hdrs[j].id == SIP_HDR_VIA)
			return (int)j;
	return -1;
}

/* RFC 3261 16.3 step 4: the request went through us before with the same
 * Request-URI, From, Call-ID and CSeq number: a loop (a spiral changes the
 * Request-URI). Our loop prefix can only stand at the start of a branch
 * value (via_is_ours checks ";branch=" before it): the top element's branch
 * is already parsed, so it is compared in place, and only what follows it
 * (the rest of its header, then every other Via header) is searched. The
 * common request, one Via from a client, costs one compare. */
static bool looped(const struct dp *dp, const struct sip_msg *m, const char *br,
		   struct sip_str topval, const struct sip_via *top)
{
	/* our branch for this request starts with its loop prefix (token.h) */
	const char *pre = br;
	const size_t plen = TOKEN_BRANCH_LOOP_LEN;
	int k = sip_hdr_first(m, SIP_HDR_VIA);

	if (top->branch.len >= plen && memcmp(top->branch.p, pre, plen) == 0 &&
	    via_is_ours(dp, topval, top->branch.p))
		return true;
	for (const char *from = topval.p + topval.len; k >= 0; k = next_via(m, k)) {
		struct sip_str v = sip_hdr_value(m, (unsigned)k);
		const char *p = v.p, *e = v.p + v.len, *f;

		if (from >= v.p && from <= e)
			p = from; /* the top Via's header: after its first element */
		/* the top Via alone in its header leaves nothing to search */
		while (e - p >= (ptrdiff_t)plen && (f = memmem(p, (size_t)(e - p), pre, plen)) != NULL) {
			if (via_is_ours(dp, v, f))
				return true;
			p = f + 1;
		}
	}
	return false;
}

/* Whether the name-addr or addr-spec v may have header parameters: a ';'
 * after the '>' that ends its URI, when it is a name-addr whose display
 * name is not quoted ('<' with no '"' before it: tokens hold no '<' or
 * '>', nor does a URI, so the first '>' after it ends the URI); else a ';'
 * anywhere (an addr-spec's parameters may quote a '>'). False only when the
 * parse would find none either (or fail). */
static bool may_have_params(struct sip_str v)
{
	const char *e = v.p + v.len, *p = v.p, *lt;

	/* most often "<" first: no display name to look for a '"' in */
	lt = v.len > 0 && v.p[0] == '<' ? v.p : memchr(v.p, '<', v.len);
	if (lt != NULL && (lt == v.p || memchr(v.p, '"', (size_t)(lt - v.p)) == NULL)) {
		const char *gt = memchr(lt, '>', (size_t)(e - lt));

		if (gt != NULL)
			p = gt + 1; /* the '>' is no ';' */
	}
	return p < e && memchr(p, ';', (size_t)(e - p)) != NULL;
}

/* Whether To has a tag (an in-dialog request). *memo (-1: not yet known)
 * keeps the answer: an INVITE asks twice, for its backend and for its
 * Record-Route, and To is parsed once; not at all when it can hold no
 * parameter (a new dialog's To, as a rule). */
static bool to_has_tag(const struct sip_msg *m, int8_t *memo)
{
	int k = sip_hdr_first(m, SIP_HDR_TO);
	struct sip_nameaddr na;
	struct sip_str v;

	if (*memo < 0) {
		v = k >= 0 ? sip_hdr_value(m, (unsigned)k) : (struct sip_str){NULL, 0};
		*memo = k >= 0 && may_have_params(v) && sip_parse_nameaddr(v.p, v.len, &na) > 0 &&
			na.tag.p != NULL;
	}
	return *memo > 0;
}

/* Dialog-creating requests get Record-Route (RFC 3261 16.6 step 4). */
static bool creates_dialog(const struct sip_msg *m, int8_t *to_tag)
{
	switch (m->method) {
	case SIP_METHOD_INVITE:
	case SIP_METHOD_SUBSCRIBE:
	case SIP_METHOD_REFER:
		return !to_has_tag(m, to_tag);
	default:
		return false;
	}
}

static char *put(char *o, const char *s, unsigned n)
{
	memcpy(o, s, n);
	return o + n;
}

static char *put_u16(char *o, unsigned v)
{
	return o + px_utoa(o, v);
}

/* "<host>:<port>" of one of our ports for family af. The address string's
 * whole array is copied (a fixed size: no libc call) and o moved by its
 * length: insert_hop's 512 bytes have room past any line for it. */
static char *put_us(char *o, const struct dp_port *pt, unsigned af, uint16_t port)
{
	if (af == 6) {
		memcpy(o, pt->ip6_str, sizeof(pt->ip6_str));
		o += pt->ip6_len;
	} else {
		memcpy(o, pt->ip4_str, sizeof(pt->ip4_str));
		o += pt->ip4_len;
	}
	*o++ = ':';
	return put_u16(o, port);
}

/* One Record-Route (or Path) URI with our flow token (tok holds
 * TOKEN_FLOW_MAX bytes). */
static char *put_rr_uri(char *o, const struct dp_port *pt, unsigned af,
			uint16_t port, const char *tok, unsigned tlen, bool path)
{
	o = put(o, "<sip:", 5);
	memcpy(o, tok, TOKEN_FLOW_MAX); /* as put_us() copies the address */
	o += tlen;
	*o++ = '@';
	o = put_us(o, pt, af, port);
	return path ? put(o, ";lr;ob>", 7) : put(o, ";lr>", 4);
}

/* What we add to a forwarded request: our Via, Record-Route or Path, and
 * Max-Forwards when it was missing. */
struct hop {
	const struct dp_port *out, *in; /* egress and ingress ports */
	unsigned out_af, in_af;		/* families used on each side */
	uint16_t port;			/* our SIP port */
	const char *br;
	unsigned brlen;
	bool rr, path, add_mf;
	const struct dp_addr *client;	/* the flow for the token */
};

/* Where a header of kind id of ours goes: before the first one of that kind
 * when one comes before `after` (ours must be on top of them), else at
 * `after`. */
static uint32_t insert_at(const struct sip_msg *m, enum sip_hdr_id id, uint32_t after)
{
	int k = sip_hdr_first(m, id);

	return k >= 0 && m->hdrs[k].name_off < after ? m->hdrs[k].name_off : after;
}

/* Our Via goes just above the first Via, so that the Vias stay together
 * (some implementations expect it); Record-Route, Path and a missing
 * Max-Forwards go just below the top block of Vias, unless a header of the
 * same kind comes earlier, in which case ours goes above it. */
static void insert_hop(const struct dp *dp, const struct sip_msg *m,
		       struct pedits *pe, const struct hop *h)
{
	char *s = pe_alloc(pe, 512), *o = s, *via_end;
	char tok[TOKEN_FLOW_MAX];
	unsigned tlen = 0, v = m->first[SIP_HDR_VIA], last = v;
	uint32_t after;

	if (s == NULL)
		return;
	while (last + 1 < m->nhdrs && m->hdrs[last + 1].id == SIP_HDR_VIA)
		last++;
	after = px_line_end(m, last);
	o = put(o, "Via: SIP/2.0/UDP ", 17);
	o = put_us(o, h->out, h->out_af, h->port);
	o = put(o, ";branch=", 8);
	o = put(o, h->br, h->brlen);
	o = put(o, "\r\n", 2);
	pe_add(pe, m->hdrs[v].name_off, 0, s, (uint32_t)(o - s));
	via_end = o;
	if (h->rr || h->path)
		tlen = token_flow(dp->key_token, h->client, tok);
	if (h->rr) {
		/* RFC 5658 double record-routing: the entry facing the next hop
		 * on top, the one facing where the request came from below */
		o = put(o, "Record-Route: ", 14);
		o = put_rr_uri(o, h->out, h->out_af, h->port, tok, tlen, false);
		o = put(o, ", ", 2);
		o = put_rr_uri(o, h->in, h->in_af, h->port, tok, tlen, false);
		o = put(o, "\r\n", 2);
		pe_add(pe, insert_at(m, SIP_HDR_RECORD_ROUTE, after), 0, via_end,
		       (uint32_t)(o - via_end));
		via_end = o;
	}
	if (h->path) {
		o = put(o, "Path: ", 6);
		o = put_rr_uri(o, h->out, h->out_af, h->port, tok, tlen, true);
		o = put(o, "\r\n", 2);
		pe_add(pe, insert_at(m, SIP_HDR_PATH, after), 0, via_end,
		       (uint32_t)(o - via_end));
		via_end = o;
	}
	if (h->add_mf) {
		o = put(o, "Max-Forwards: 70\r\n", 18);
		pe_add(pe, after, 0, via_end, (uint32_t)(o - via_end));
	}
}

/* Max-Forwards decremented in place (RFC 3261 16.6 step 3). */
static void edit_max_forwards(const struct sip_msg *m, struct pedits *pe)
{
	int k = sip_hdr_first(m, SIP_HDR_MAX_FORWARDS);
	char *s;

	if (k < 0 || (s = pe_alloc(pe, 4)) == NULL)
		return;
	pe_add(pe, m->hdrs[k].value_off, m->hdrs[k].value_len, s,
	       (uint32_t)(put_u16(s, (unsigned)m->max_forwards - 1) - s));
}

/* Whether the message can be rewritten inside in, the mbuf it came in: one
 * direct segment of ours alone, holding the whole message. */
static bool inplace_ok(const struct rte_mbuf *in, const struct sip_msg *m)
{
	const char *d = rte_pktmbuf_mtod(in, const char *);

	return in->nb_segs == 1 && RTE_MBUF_DIRECT(in) && rte_mbuf_refcnt_read(in) == 1 &&
	       m->buf >= d && m->buf + m->len <= d + in->data_len;
}

/* Builds the output message: in the mbuf it came in when the edits fit
 * around it (no allocation, and the bytes before the last edit are the
 * only ones moved: nearly always a few hundred), else into a fresh mbuf.
 * Returns the mbuf that now holds just the message, or NULL with *reason. */
static struct rte_mbuf *emit(struct worker *w, struct rte_mbuf *in, const struct sip_msg *m,
			     struct pedits *pe, unsigned *reason)
{
	int32_t delta = pe_sort(pe, m->len);
	struct rte_mbuf *o;
	uint32_t len;
	int32_t start;

	if (delta == INT32_MIN || (int64_t)m->len + delta > (int64_t)w->dp->cfg.limits.max_message + 1024) {
		*reason = STATS_DROP_too_big_out;
		return NULL;
	}
	len = (uint32_t)((int32_t)m->len + delta);
	if (in != NULL && len <= UINT16_MAX && inplace_ok(in, m)) {
		char *buf = (char *)(uintptr_t)m->buf, *room = (char *)in->buf_addr;

		/* room in front for the headers net_send adds */
		if (buf - room >= (ptrdiff_t)NET_HDR_ROOM &&
		    pe_apply_inplace(pe, buf, m->len, (uint32_t)(buf - room) - NET_HDR_ROOM,
				     (uint32_t)(room + in->buf_len - (buf + m->len)), &start)) {
			in->data_off = (uint16_t)(buf + start - room);
			in->data_len = (uint16_t)len;
			in->pkt_len = len;
			w->st->ctr[STATS_rewritten_in_place]++;
			return in;
		}
	}
	o = rte_pktmbuf_alloc(w->pool_out);
	if (o == NULL) {
		*reason = STATS_DROP_no_mbuf;
		return NULL;
	}
	if (len > rte_pktmbuf_tailroom(o)) {
		rte_pktmbuf_free(o);
		*reason = STATS_DROP_too_big_out;
		return NULL;
	}
	pe_apply(pe, m->buf, m->len, rte_pktmbuf_mtod(o, char *));
	o->data_len = (uint16_t)len;
	o->pkt_len = len;
	return o;
}

static bool options_for_us(const struct dp *dp, const struct sip_msg *m,
			   const struct routes *r)
{
	return m->method == SIP_METHOD_OPTIONS && !r->left && m->uri.user.len == 0 &&
	       m->uri.scheme != SIP_SCHEME_TEL && uri_is_us(dp, &m->uri);
}

/* Where a response goes by this Via (RFC 3261 18.2.2, RFC 3581): received=
 * else the sent-by host, which must be an IP literal (no DNS here); rport=
 * else the sent-by port else 5060. Returns false for a host name. */
static bool via_dest(const struct sip_via *v, struct dp_addr *to)
{
	memset(to, 0, sizeof(*to));
	if (v->received.p != NULL) {
		struct sip_str rv = v->received;

		if (rv.len >= 2 && rv.p[0] == '[' && rv.p[rv.len - 1] == ']') {
			rv.p++; /* not RFC 3261's grammar, but written by some */
			rv.len -= 2;
		}
		if (!px_parse_ip(rv.p, rv.len,
				 memchr(rv.p, ':', rv.len) ? SIP_HOST_IPV6 : SIP_HOST_IPV4,
				 &to->ip))
			return false;
	} else if (!px_parse_ip(v->host.p, v->host.len, v->host_type, &to->ip)) {
		return false;
	}
	to->port = v->has_rport && v->rport ? v->rport : v->port ? v->port : 5060;
	return true;
}

/* ---- requests ---- */

/* SP, HT, and the CR/LF of a folded line: what sip_value_next() trims */
static inline bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The top Via value, as sip_value_next() gives it: most often the first Via
 * header's value whole, when it holds none of the bytes that quote, bracket
 * or split a list value (, " < > \\) and no LWS at either end (the indexer
 * trims it), so no list walk. false when there is none or it is empty. */
static bool top_via(const struct sip_msg *m, struct sip_str *top)
{
	struct sip_iter it;

	if (m->first[SIP_HDR_VIA] != SIP_HDR_NONE) {
		struct sip_str v = sip_hdr_value(m, m->first[SIP_HDR_VIA]);

		if (v.len > 0 && !is_lws(v.p[0]) && !is_lws(v.p[v.len - 1]) &&
		    !has_byte_of(v.p, v.p + v.len, ',', '"', '<', '>', '\\')) {
			*top = v;
			return true;
		}
	}
	sip_iter_init(&it);
	return sip_value_next(m, SIP_HDR_VIA, &it, top) == 1;
}

/* The backend a Route left after ours names, when it is one of t's: a
 * backend that record-routed its dialog is the next hop of every request
 * within it (RFC 3261 16.12), whichever backend the Call-ID hashes to now.
 * Only our backends: a Route a client wrote to anywhere else is not
 * followed (the gateway is no open relay). */
static const struct be *be_by_route(const struct be_table *t, const struct routes *r)
{
	struct dp_ip ip;
	uint16_t port;

	if (t == NULL || !r->left ||
	    !px_parse_ip(r->next.host.p, r->next.host.len, r->next.host_type, &ip))
		return NULL;
	port = r->next.port ? r->next.port : 5060;
	for (unsigned i = 0; i < t->n; i++)
		if (t->b[i].addr.port == port && t->b[i].addr.ip.af == ip.af &&
		    memcmp(t->b[i].addr.ip.a, ip.a, sizeof(ip.a)) == 0)
			return &t->b[i];
	return NULL;
}

/* The backend of a request from the access side:
 *  - within a dialog (To tag) with a Route to one of our backends: that
 *    one, while it takes dialogs (up, enabled or draining);
 *  - within a dialog with no such Route (the backend did not record-route):
 *    rendezvous over the backends that take dialogs, which finds the one a
 *    dialog made before a drain started on;
 *  - else (new work, and a CANCEL or an ACK without a Route, which follow
 *    their INVITE): rendezvous over the backends that take new work, as
 *    their INVITE had. */
static const struct be *pick_backend(const struct be_table *t, const struct sip_msg *m,
				     const struct routes *r, bool ack, int8_t *to_tag)
{
	const struct be_table *dt = be_dialog_table(t);
	const struct be *be;

	/* one set for both and no Route to follow: the same pick within a
	 * dialog or not, so To is not looked at (REGISTER, OPTIONS) */
	if (m->method == SIP_METHOD_CANCEL || (dt == t && !r->left) || !to_has_tag(m, to_tag))
		return be_pick(t, m->call_id.p, m->call_id.len);
	if ((be = be_by_route(dt, r)) != NULL)
		return be;
	return be_pick(ack && !r->left ? t : dt, m->call_id.p, m->call_id.len);
}

static void request(struct worker *w, struct dp_pkt *p, const struct sip_msg *m,
		    struct rte_mbuf *mb)
{
	struct dp *dp = w->dp;
	const struct dp_port *in = &dp->ports[p->in_port];
	bool from_access = in->role == DP_ROLE_ACCESS;
	bool ack = m->method == SIP_METHOD_ACK;
	int8_t to_tag = -1; /* to_has_tag's memo */
	struct pedits pe;
	struct routes r;
	struct sip_str topval;
	struct sip_via top;
	char br[TOKEN_BRANCH_MAX];
	unsigned brlen;
	struct dp_addr resp_to;
	struct hop h;
	unsigned reason = 0;
	uint32_t loop;
	int op, rc;

	pe_init(&pe);
	rc = pop_routes(dp, m, &pe, &r);
	if (rc == -1) {
		set_drop(p, STATS_DROP_token_bad);
		return;
	}
	if (rc < 0) {
		if (ack)
			set_drop(p, STATS_DROP_sip_malformed_ack);
		else {
			p->sip_err = SIP_ERR_BAD_NAME_ADDR;
			set_reply(p, 400);
		}
		return;
	}
	if (options_for_us(dp, m, &r)) {
		set_reply(p, 200);
		return;
	}
	if (m->max_forwards == 0) {
		if (ack)
			set_drop(p, STATS_DROP_ack_max_fwd);
		else
			set_reply(p, 483);
		return;
	}
	if (!top_via(m, &topval) || sip_parse_via(topval.p, topval.len, &top) < 0) {
		/* sip_parse checked the Via is there; a bad one is a 400 */
		if (ack)
			set_drop(p, STATS_DROP_sip_malformed_ack);
		else {
			p->sip_err = SIP_ERR_BAD_VIA;
			set_reply(p, 400);
		}
		return;
	}
	/* where the response will go: back to this side's peer, as the Via
	 * below ours will say (for a client, as we rewrite its Via) */
	if (from_access) {
		resp_to.ip = p->src.ip;
		resp_to.port = top.has_rport ? p->src.port : top.port ? top.port : 5060;
	} else if (!via_dest(&top, &resp_to)) {
		memset(&resp_to, 0, sizeof(resp_to)); /* its responses will be dropped */
	}
	loop = loop_hash(m);
	brlen = token_branch(dp->key_branch, (uint64_t)loop << 32 | txn_hash(m, &top, in->role),
			     from_access ? DP_ROLE_CORE : DP_ROLE_ACCESS, &resp_to, br);
	if (looped(dp, m, br, topval, &top)) {
		if (ack)
			set_drop(p, STATS_DROP_ack_loop);
		else
			set_reply(p, 482);
		return;
	}

	memset(&h, 0, sizeof(h));
	h.in = in;
	h.in_af = p->src.ip.af;
	h.port = p->dst.port;
	h.br = br;
	h.brlen = brlen;
	h.add_mf = m->max_forwards < 0;
	if (from_access) {
		const struct be_table *t = __atomic_load_n(&dp->be, __ATOMIC_ACQUIRE);
		const struct be *be;

		be = pick_backend(t, m, &r, ack, &to_tag);

		if (be == NULL) {
			if (ack)
				set_drop(p, STATS_DROP_ack_no_backend);
			else
				set_reply(p, 503);
			return;
		}
		p->out_dst = be->addr;
		h.out_af = be->addr.ip.af;
		h.client = &p->src;
		px_via_nat(&pe, m->buf, topval, &top, &p->src);
		w->st->be[be->idx][STATS_BE_requests]++;
		op = dp_port_for(dp, DP_ROLE_CORE, h.out_af);
	} else {
		/* from the core: our flow token first, then a Route not ours,
		 * then the Request-URI; only IP literals (no DNS here) */
		if (r.token && px_is_our_ip(dp, &r.client.ip)) {
			set_drop(p, STATS_DROP_no_route); /* never to ourselves */
			return;
		}
		if (r.token) {
			p->out_dst = r.client;
			w->st->ctr[STATS_flow_token_used]++;
		} else {
			const struct sip_uri *u = r.left ? &r.next : &m->uri;

			/* an IP literal, and not one of ours: a request for us
			 * that is not an OPTIONS would otherwise loop back */
			if (!px_parse_ip(u->host.p, u->host.len, u->host_type,
					 &p->out_dst.ip) || px_is_our_ip(dp, &p->out_dst.ip)) {
				if (ack)
					set_drop(p, STATS_DROP_ack_no_route);
				else
					set_reply(p, 404);
				return;
			}
			p->out_dst.port = u->port ? u->port : 5060;
		}
		h.out_af = p->out_dst.ip.af;
		h.client = &p->out_dst;
		op = dp_port_for(dp, DP_ROLE_ACCESS, h.out_af);
	}
	if (op < 0) {
		set_drop(p, STATS_DROP_no_route);
		return;
	}
	h.out = &dp->ports[op];
	h.rr = dp->cfg.proxy.record_route && creates_dialog(m, &to_tag);
	h.path = from_access && m->method == SIP_METHOD_REGISTER;
	insert_hop(dp, m, &pe, &h);
	if (!h.add_mf)
		edit_max_forwards(m, &pe);

	p->out = emit(w, mb, m, &pe, &reason);
	if (p->out == NULL) {
		set_drop(p, reason);
		return;
	}
	p->out_port = (uint8_t)op;
	p->out_src.ip = *dp_port_ip(h.out, h.out_af);
	p->out_src.port = h.port;
	p->step = DP_STEP_FORWARD;
	w->st->ctr[from_access ? STATS_fwd_access_to_core : STATS_fwd_core_to_access]++;
	if (h.rr)
		w->st->ctr[STATS_record_route_added]++;
	if (h.path)
		w->st->ctr[STATS_path_added]++;
	if (h.add_mf)
		w->st->ctr[STATS_max_fwd_added]++;
}

/* ---- responses ---- */

/* The value of the ";branch=" of Via value v (which may go on with more
 * Via values after a comma): where insert_hop() writes it, at the first ';'
 * (one memchr), else anywhere in v (a Via rewritten by a peer). first:
 * only at the first ';', and only when no ',' comes before it, so that the
 * branch found is the first value's even though v was not split. */
static const char *via_branch(struct sip_str v, bool first)
{
	const char *b;

#if defined(__AVX2__)
	/* as insert_hop() writes it, the first ';' is in the first 32 bytes:
	 * it and what comes before it from one load */
	uint32_t semi = first && v.len >= 32 ? lanes32(v.p, ';', ';', ';', ';', ';') : 0;

	if (semi != 0) {
		b = v.p + __builtin_ctz(semi);
		if (v.p + v.len - b < 8 || memcmp(b, ";branch=", 8) != 0 ||
		    (lanes32(v.p, ',', '"', '<', '<', '<') & ((semi & -semi) - 1)) != 0)
			return NULL;
		return b + 8;
	}
#endif
	b = memchr(v.p, ';', v.len);
	if (b != NULL && v.p + v.len - b >= 8 && memcmp(b, ";branch=", 8) == 0) {
		/* before the first ';' a Via holds no ',', quote or '<': with
		 * one, the first value ends there or the list would not split */
		if (first && has_byte_of(v.p, b, ',', '"', '<', '<', '<'))
			return NULL;
		return b + 8;
	}
	if (first)
		return NULL;
	b = memmem(v.p, v.len, ";branch=", 8);
	return b != NULL ? b + 8 : NULL;
}

/* Whether the top Via value is ours: its branch verifies for the side it
 * came in on (*to: where the response goes) and its token ends at e or
 * before a parameter. Returns the branch's length, or 0. */
static unsigned branch_ours(const struct dp *dp, unsigned side, const char *br, const char *e,
			    struct dp_addr *to)
{
	unsigned n = token_branch_check(dp->key_branch, br, (uint32_t)(e - br), side, to);

	if (n == 0 || (br + n < e && br[n] != ';' && br[n] != ' ' && br[n] != '\t'))
		return 0;
	return n;
}

static void response(struct worker *w, struct dp_pkt *p, const struct sip_msg *m,
		     struct rte_mbuf *mb)
{
	struct dp *dp = w->dp;
	const struct dp_port *in = &dp->ports[p->in_port];
	unsigned k = m->first[SIP_HDR_VIA]; /* sip_parse made sure of one */
	struct sip_str topval = sip_hdr_value(m, k), nextval = {NULL, 0};
	const char *e = topval.p + topval.len, *br = via_branch(topval, true);
	struct dp_addr to;
	struct sip_iter it;
	struct pedits pe;
	unsigned reason = 0, n = 0;
	bool next, alone;
	int rc, op;

	/* Usually our Via is the whole first Via line, as we wrote it: then
	 * no value is split. The next Via is not parsed: our branch says
	 * where the response goes (token.h), as the Via below ours said when
	 * the request passed. */
	alone = br != NULL && (n = branch_ours(dp, in->role, br, e, &to)) != 0 && br + n == e;
	if (alone) {
		next = next_via(m, (int)k) >= 0; /* another Via line below */
	} else {
		sip_iter_init(&it);
		if (sip_value_next(m, SIP_HDR_VIA, &it, &topval) != 1 ||
		    (br = via_branch(topval, false)) == NULL ||
		    branch_ours(dp, in->role, br, topval.p + topval.len, &to) == 0) {
			set_drop(p, STATS_DROP_resp_not_ours);
			return;
		}
		rc = sip_value_next(m, SIP_HDR_VIA, &it, &nextval);
		if (rc < 0) {
			set_drop(p, STATS_DROP_resp_no_via);
			return;
		}
		next = rc == 1;
		alone = it.hdr != (int)k; /* the next value is on a line of its own */
	}
	if (!next) {
		/* only our Via: the answer to a request we made, a probe */
		if (in->role == DP_ROLE_CORE && to.ip.af == 0) {
			p->step = DP_STEP_EXCEPTION;
			p->exc = DP_EXC_PROBE_REPLY;
		} else {
			set_drop(p, STATS_DROP_resp_no_via);
		}
		return;
	}
	/* a request whose Via below ours named no address we could send to,
	 * or named us: a response looping through us */
	if (to.ip.af == 0 || px_is_our_ip(dp, &to.ip)) {
		set_drop(p, STATS_DROP_resp_via_host);
		return;
	}
	p->out_dst = to;
	op = dp_port_for(dp, in->role == DP_ROLE_CORE ? DP_ROLE_ACCESS : DP_ROLE_CORE,
			 p->out_dst.ip.af);
	if (op < 0) {
		set_drop(p, STATS_DROP_no_route);
		return;
	}

	/* pop our Via: the whole line when it is alone in its header, else
	 * the element and the comma after it */
	pe_init(&pe);
	if (alone)
		pe_add(&pe, m->hdrs[k].name_off, px_line_end(m, k) - m->hdrs[k].name_off, NULL, 0);
	else
		pe_add(&pe, (uint32_t)(topval.p - m->buf), (uint32_t)(nextval.p - topval.p), NULL, 0);
	p->out = emit(w, mb, m, &pe, &reason);
	if (p->out == NULL) {
		set_drop(p, reason);
		return;
	}
	p->out_port = (uint8_t)op;
	p->out_src.ip = *dp_port_ip(&dp->ports[op], p->out_dst.ip.af);
	p->out_src.port = p->dst.port;
	p->step = DP_STEP_FORWARD;
	w->st->ctr[STATS_fwd_responses]++;
}

void proxy_route_stage(struct worker *w, struct dp_burst *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct dp_pkt *p = &b->p[i];

		if (p->step != DP_STEP_CONTINUE)
			continue;
		if (b->msg[i].flags & SIP_MSG_REQUEST)
			request(w, p, &b->msg[i], b->m[i]);
		else
			response(w, p, &b->msg[i], b->m[i]);
	}
}
