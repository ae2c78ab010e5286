/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * reply.c - the responses the gateway sends itself (RFC 3261 8.2.6): 200 to
 * an OPTIONS addressed to it, 400 with the parser's reason, 404, 482, 483,
 * 503 with Retry-After, 513; and those of reject rules, with the rule's
 * code and reason phrase.
 *
 * A response copies the request's Via headers, From, To (with our tag when
 * it had none), Call-ID and CSeq. A request the parser refused has no index:
 * those headers are salvaged by a plain line scan, and a request missing any
 * of them, or with bytes we would not echo, is dropped unanswered.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "net.h"
#include "proxy.h"
#include "proxy_priv.h"
#include "token.h"

#define RP_MAX_VIA 16u

/* The request's header values a response copies. */
struct rp_hdrs {
	struct sip_str via[RP_MAX_VIA];
	unsigned n_via;
	struct sip_str from, to, call_id, cseq;
};

static void from_index(const struct sip_msg *m, struct rp_hdrs *h)
{
	for (int k = sip_hdr_first(m, SIP_HDR_VIA); k >= 0; k = sip_hdr_next(m, k)) {
		if (h->n_via == RP_MAX_VIA) {
			h->n_via = 0; /* a reply without every Via would be lost */
			return;
		}
		h->via[h->n_via++] = sip_hdr_value(m, (unsigned)k);
	}
	h->from = sip_hdr_value(m, m->first[SIP_HDR_FROM]);
	h->to = sip_hdr_value(m, m->first[SIP_HDR_TO]);
	h->call_id = sip_hdr_value(m, m->first[SIP_HDR_CALL_ID]);
	h->cseq = sip_hdr_value(m, m->first[SIP_HDR_CSEQ]);
}

/* Bytes we echo back: printable ASCII, HTAB and UTF-8 bytes; no controls. */
static bool echoable(const char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* Line scan of a message the parser refused: header lines up to the first
 * empty one (no folding: a folded line ends the scan). Returns whether every
 * header a response needs was found. */
static bool salvage(const char *buf, uint32_t len, struct rp_hdrs *h)
{
	const char *e = buf + len, *p;

	while (buf < e && (*buf == '\r' || *buf == '\n'))
		buf++; /* CRLFs before the start line, as the parser skips them */
	len = (uint32_t)(e - buf);
	if (len < 4 || memcmp(buf, "SIP/", 4) == 0 || memcmp(buf, "ACK ", 4) == 0)
		return false; /* a response or an ACK is never answered */
	p = memchr(buf, '\n', len);

	while (p != NULL && ++p < e) {
		const char *lf = memchr(p, '\n', (size_t)(e - p));
		const char *le = lf ? lf : e, *c, *v, *ve;
		enum sip_hdr_id id;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p || *p == ' ' || *p == '\t')
			break; /* end of headers, or folding: stop here */
		c = memchr(p, ':', (size_t)(le - p));
		if (c == NULL)
			break;
		ve = c;
		while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		id = sip_hdr_lookup(p, (uint32_t)(ve - p));
		for (v = c + 1; v < le && (*v == ' ' || *v == '\t'); v++)
			;
		ve = le;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		struct sip_str val = {v, (uint32_t)(ve - v)};

		if (val.len && echoable(val.p, val.len)) {
			if (id == SIP_HDR_VIA && h->n_via == RP_MAX_VIA)
				return false;
			if (id == SIP_HDR_VIA)
				h->via[h->n_via++] = val;
			else if (id == SIP_HDR_FROM && !h->from.p)
				h->from = val;
			else if (id == SIP_HDR_TO && !h->to.p)
				h->to = val;
			else if (id == SIP_HDR_CALL_ID && !h->call_id.p)
				h->call_id = val;
			else if (id == SIP_HDR_CSEQ && !h->cseq.p)
				h->cseq = val;
		}
		p = lf;
	}
	return h->n_via && h->from.p && h->to.p && h->call_id.p && h->cseq.p;
}

struct wr {
	char *o, *end;
	bool over;
};

static void wput(struct wr *w, const char *s, size_t n)
{
	if (w->over || (size_t)(w->end - w->o) < n) {
		w->over = true;
		return;
	}
	memcpy(w->o, s, n);
	w->o += n;
}

#define WLIT(w, s) wput((w), (s), sizeof(s) - 1)

static void wstr(struct wr *w, struct sip_str s)
{
	wput(w, s.p, s.len);
}

static void wuint(struct wr *w, unsigned v)
{
	char d[10];

	wput(w, d, px_utoa(d, v));
}

/* The reason phrases of RFC 3261 21 (and RFC 3265, 4412, 6665 for the
 * codes a reject rule is likely to carry); a code without one gets its
 * class's. */
static const char *phrase(unsigned code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 423: return "Interval Too Brief";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 489: return "Bad Event";
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 494: return "Security Agreement Required";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 580: return "Precondition Failure";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:
		return code >= 600 ? "Global Failure" : code >= 500 ? "Server Internal Error"
							       : "Request Failure";
	}
}

/* Whether a To value carries a tag (";tag=" outside quotes and <>): the
 * cheap test is enough to decide whether to add ours. */
static bool has_tag(struct sip_str to)
{
	struct sip_nameaddr na;

	return sip_parse_nameaddr(to.p, to.len, &na) > 0 && na.tag.p != NULL;
}

/* The top Via with received/rport set (RFC 3581 4), when it parses. */
static void put_top_via(struct wr *w, const struct sip_msg *m, struct sip_str v,
			const struct dp_addr *src)
{
	struct pedits pe;
	struct sip_via via;
	struct sip_str first = v;
	const char *comma;
	int32_t delta;

	/* the first element of the header: up to a comma outside <> and "" is
	 * what sip_value_next would give; Via values have neither */
	comma = memchr(v.p, ',', v.len);
	if (comma)
		first.len = (uint32_t)(comma - v.p);
	while (first.len && (first.p[first.len - 1] == ' ' || first.p[first.len - 1] == '\t'))
		first.len--;
	pe_init(&pe);
	if (m->len && sip_parse_via(first.p, first.len, &via) > 0)
		px_via_nat(&pe, v.p, first, &via, src);
	delta = pe_sort(&pe, v.len);
	if (delta == INT32_MIN || w->over || (size_t)(w->end - w->o) < v.len + 128) {
		wstr(w, v);
		return;
	}
	pe_apply(&pe, v.p, v.len, w->o);
	w->o += (int32_t)v.len + delta;
}

int proxy_reply(struct worker *w, struct dp_burst *b, unsigned i)
{
	struct dp *dp = w->dp;
	struct dp_pkt *p = &b->p[i];
	const struct sip_msg *m = &b->msg[i];
	struct rp_hdrs h;
	struct rte_mbuf *o;
	struct wr wr;
	unsigned code = p->reply_code;
	int ri = stats_reply_idx(code);

	memset(&h, 0, sizeof(h));
	if (m->len)
		from_index(m, &h);
	if (m->len ? h.n_via == 0 : !salvage(p->sip, p->sip_len, &h)) {
		w->st->drop[STATS_DROP_sip_malformed]++;
		return -STATS_DROP_sip_malformed;
	}
	o = rte_pktmbuf_alloc(w->pool_out);
	if (o == NULL) {
		w->st->drop[STATS_DROP_no_mbuf]++;
		return -STATS_DROP_no_mbuf;
	}
	wr.o = rte_pktmbuf_mtod(o, char *);
	wr.end = wr.o + RTE_MIN(rte_pktmbuf_tailroom(o), dp->cfg.limits.max_message);
	wr.over = false;

	WLIT(&wr, "SIP/2.0 ");
	wuint(&wr, code);
	wput(&wr, " ", 1);
	/* a rule's reason, as the rule file wrote it: echoed only when it is
	 * text (the compiler refuses control characters; a blob is not
	 * trusted to) */
	if (p->reply_phrase != NULL && p->reply_phrase_len &&
	    echoable(p->reply_phrase, p->reply_phrase_len))
		wput(&wr, p->reply_phrase, p->reply_phrase_len);
	else
		wput(&wr, phrase(code), strlen(phrase(code)));
	if (code == 400 && p->sip_err) {
		const char *t = sip_err_text(p->sip_err);

		WLIT(&wr, " (");
		wput(&wr, t, strlen(t));
		WLIT(&wr, ")");
	}
	WLIT(&wr, "\r\n");
	for (unsigned k = 0; k < h.n_via; k++) {
		WLIT(&wr, "Via: ");
		if (k == 0)
			put_top_via(&wr, m, h.via[0], &p->src);
		else
			wstr(&wr, h.via[k]);
		WLIT(&wr, "\r\n");
	}
	WLIT(&wr, "From: ");
	wstr(&wr, h.from);
	WLIT(&wr, "\r\nTo: ");
	wstr(&wr, h.to);
	if (!has_tag(h.to)) {
		/* the same tag for a retransmission: a hash of the request */
		uint64_t t = token_siphash(dp->key_token, h.call_id.p, h.call_id.len) ^
			     token_siphash(dp->key_token, h.cseq.p, h.cseq.len);
		char tag[16];

		for (int k = 15; k >= 0; k--, t >>= 4)
			tag[k] = "0123456789abcdef"[t & 15];
		WLIT(&wr, ";tag=");
		wput(&wr, tag, sizeof(tag));
	}
	WLIT(&wr, "\r\nCall-ID: ");
	wstr(&wr, h.call_id);
	WLIT(&wr, "\r\nCSeq: ");
	wstr(&wr, h.cseq);
	WLIT(&wr, "\r\n");
	if (code == 503) {
		WLIT(&wr, "Retry-After: ");
		wuint(&wr, dp->cfg.proxy.retry_after);
		WLIT(&wr, "\r\n");
	}
	if (code == 200) {
		WLIT(&wr, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, PRACK, "
			  "UPDATE, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE, PUBLISH\r\n"
			  "Accept: application/sdp\r\n");
	}
	WLIT(&wr, "Server: ");
	wput(&wr, dp->cfg.proxy.server, strlen(dp->cfg.proxy.server));
	WLIT(&wr, "\r\nContent-Length: 0\r\n\r\n");
	if (wr.over) {
		rte_pktmbuf_free(o);
		w->st->drop[STATS_DROP_too_big_out]++;
		return -STATS_DROP_too_big_out;
	}
	o->data_len = (uint16_t)(wr.o - rte_pktmbuf_mtod(o, char *));
	o->pkt_len = o->data_len;
	if (p->rule_reply)
		w->st->ctr[STATS_rules_replies]++;
	else if (ri >= 0)
		w->st->reply[ri]++;
	return net_send(w, o, p->in_port, &p->dst, &p->src);
}
