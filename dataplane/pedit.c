/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * pedit.c - the edit list and the address helpers of proxy_priv.h.
 */
#include <arpa/inet.h>
#include <string.h>

#include "proxy_priv.h"

/* Whether edit a goes strictly before b (pe_sort's order). */
static inline bool pe_before(const struct pedit *a, const struct pedit *b)
{
	return a->off < b->off || (a->off == b->off && b->del && !a->del);
}

int32_t pe_sort(struct pedits *pe, uint32_t len)
{
	int32_t delta = 0;
	uint64_t end = 0;

	if (pe->overflow)
		return INT32_MIN;
	/* insertion sort: at most PE_MAX entries, nearly always in order. At
	 * one offset, pure insertions go before a deletion (our Via goes in
	 * where a Route line we pop starts); among insertions, order is kept. */
	for (unsigned i = 1; i < pe->n; i++) {
		struct pedit x;
		unsigned j = i;

		if (!pe_before(&pe->e[i], &pe->e[i - 1]))
			continue; /* in order: nothing to move */
		x = pe->e[i];
		do {
			pe->e[j] = pe->e[j - 1];
			j--;
		} while (j > 0 && pe_before(&x, &pe->e[j - 1]));
		pe->e[j] = x;
	}
	/* each edit starts at or after the end of the one before, so the last
	 * ends last: only its end is compared with len */
	for (unsigned i = 0; i < pe->n; i++) {
		const struct pedit *e = &pe->e[i];

		if (e->off < end)
			return INT32_MIN;
		end = (uint64_t)e->off + e->del;
		delta += (int32_t)e->ins_len - (int32_t)e->del;
	}
	return end <= len ? delta : INT32_MIN;
}

void pe_apply(const struct pedits *pe, const char *src, uint32_t len, char *out)
{
	uint32_t pos = 0;

	for (unsigned i = 0; i < pe->n; i++) {
		const struct pedit *e = &pe->e[i];

		memcpy(out, src + pos, e->off - pos);
		out += e->off - pos;
		if (e->ins_len) {
			memcpy(out, e->ins, e->ins_len);
			out += e->ins_len;
		}
		pos = e->off + e->del;
	}
	memcpy(out, src + pos, len - pos);
}

/* The pieces of the output: segment k of the input, [src, src + len), goes
 * to src - d (relative to the output's start), then the k-th insertion. */
struct pe_seg {
	uint32_t src, len;
	int64_t d;
};

/* pe_apply_inplace's rule for one edit (a response's: our Via line cut),
 * worked out for its two segments: [0, off) placed at 0, the rest at d1
 * (del - ins_len). The rest when it is the longer and fits (it keeps more
 * than half of the bytes), else the first that fits. */
static bool pe_apply_one(const struct pedit *e, char *buf, uint32_t len, uint32_t left,
			 uint32_t right, int32_t *start)
{
	uint32_t len0 = e->off, src1 = e->off + e->del, len1 = len - src1;
	int64_t d1 = (int64_t)e->del - e->ins_len, o;
	/* placed at d1 the output ends where the input does; at 0 it starts
	 * there and must end within the room on the right */
	bool fits1 = d1 >= -(int64_t)left;

	if (len1 > len0 && fits1)
		o = d1;
	else if (0 <= (int64_t)right + d1)
		o = 0;
	else if (fits1)
		o = d1;
	else
		return false;
	/* down first to last, then up last to first, as below */
	if (o < 0)
		memmove(buf + o, buf, len0);
	if (d1 > o)
		memmove(buf + o + src1 - d1, buf + src1, len1);
	if (d1 < o)
		memmove(buf + o + src1 - d1, buf + src1, len1);
	if (o > 0)
		memmove(buf + o, buf, len0);
	if (e->ins_len)
		memcpy(buf + o + len0, e->ins, e->ins_len);
	*start = (int32_t)o;
	return true;
}

bool pe_apply_inplace(const struct pedits *pe, char *buf, uint32_t len, uint32_t left,
		      uint32_t right, int32_t *start)
{
	struct pe_seg sg[PE_MAX + 1];
	unsigned n = pe->n + 1, big = 0;
	uint32_t pos = 0, out = 0, total = 0, big_len = 0;
	int64_t lo = -(int64_t)left, hi, o;

	if (pe->n == 1)
		return pe_apply_one(&pe->e[0], buf, len, left, right, start);

	/* The segments between the edits, their sum and the largest (the
	 * first of the largest). Scalar loops throughout: a message has a
	 * handful of segments, too few for vector code's set-up to pay. */
	for (unsigned k = 0; k < n; k++) {
		uint32_t end = k < pe->n ? pe->e[k].off : len;

		sg[k] = (struct pe_seg){pos, end - pos, (int64_t)pos - out};
		total += end - pos;
		if (end - pos > big_len) {
			big_len = end - pos;
			big = k;
		}
		if (k < pe->n) {
			out += end - pos + pe->e[k].ins_len;
			pos = end + pe->e[k].del;
		}
	}
	/* the output starts at o, which must leave it within the room */
	hi = (int64_t)len + right - ((int64_t)out + sg[n - 1].len);

	/* The placement that keeps the largest segment where it is, when it
	 * keeps more than half of the bytes (no other keeps as many; a
	 * response, whose status line moves down over our old Via, and a
	 * request that grew by less than the room in front, whose tail
	 * stays); else the first placement that fits, which leaves the
	 * segments before it in place (a request that grew by more, above
	 * its start line). The largest segment's length alone settles it
	 * when it is over half. */
	o = sg[big].d;
	if (o >= lo && o <= hi) {
		uint64_t kept = big_len;

		for (unsigned k = 0; k < n && 2 * kept <= total; k++)
			kept += k != big && sg[k].d == o ? sg[k].len : 0;
		if (2 * kept > total)
			goto place;
	}
	for (unsigned c = 0;; c++) {
		if (c == n)
			return false;
		if (sg[c].d >= lo && sg[c].d <= hi) {
			o = sg[c].d;
			break;
		}
	}
place:
	/* Segments that go down, first to last; up, last to first: each
	 * destination then overlaps no source still to be read. */
	for (unsigned k = 0; k < n; k++)
		if (sg[k].d > o)
			memmove(buf + o + sg[k].src - sg[k].d, buf + sg[k].src, sg[k].len);
	for (unsigned k = n; k-- > 0;)
		if (sg[k].d < o)
			memmove(buf + o + sg[k].src - sg[k].d, buf + sg[k].src, sg[k].len);
	for (unsigned k = 0; k + 1 < n; k++)
		if (pe->e[k].ins_len)
			memcpy(buf + o + sg[k].src - sg[k].d + sg[k].len, pe->e[k].ins,
			       pe->e[k].ins_len);
	*start = (int32_t)o;
	return true;
}

/* "00" to "99": two digits per division */
static const char pe_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

unsigned px_fmt_ip(const struct dp_ip *ip, bool brackets, char *out)
{
	if (ip->af == 4) {
		char *o = out;

		for (int k = 0; k < 4; k++) {
			unsigned v = ip->a[k];

			if (v >= 100) {
				*o++ = (char)('0' + v / 100);
				v %= 100;
				memcpy(o, pe_pairs + 2 * v, 2);
				o += 2;
			} else if (v >= 10) {
				memcpy(o, pe_pairs + 2 * v, 2);
				o += 2;
			} else {
				*o++ = (char)('0' + v);
			}
			if (k < 3)
				*o++ = '.';
		}
		return (unsigned)(o - out);
	}
	char tmp[INET6_ADDRSTRLEN];
	unsigned n;

	inet_ntop(AF_INET6, ip->a, tmp, sizeof(tmp));
	n = (unsigned)strlen(tmp);
	if (!brackets) {
		memcpy(out, tmp, n);
		return n;
	}
	out[0] = '[';
	memcpy(out + 1, tmp, n);
	out[n + 1] = ']';
	return n + 2;
}

bool px_parse_ip(const char *p, uint32_t len, uint8_t host_type, struct dp_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (host_type == SIP_HOST_IPV4) {
		unsigned k = 0, v = 0, digits = 0;

		for (uint32_t i = 0; i < len; i++) {
			char c = p[i];

			if (c >= '0' && c <= '9') {
				v = v * 10 + (unsigned)(c - '0');
				if (++digits > 3 || v > 255)
					return false;
			} else if (c == '.' && digits && k < 3) {
				ip->a[k++] = (uint8_t)v;
				v = digits = 0;
			} else {
				return false;
			}
		}
		if (k != 3 || !digits)
			return false;
		ip->a[3] = (uint8_t)v;
		ip->af = 4;
		return true;
	}
	if (host_type == SIP_HOST_IPV6) {
		char tmp[INET6_ADDRSTRLEN + 1];

		if (len >= sizeof(tmp))
			return false;
		memcpy(tmp, p, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET6, tmp, ip->a) != 1)
			return false;
		ip->af = 6;
		return true;
	}
	return false;
}

bool px_is_our_ip(const struct dp *dp, const struct dp_ip *ip)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct dp_port *pt = &dp->ports[i];
		const struct dp_ip *our = ip->af == 6 ? &pt->ip6 : &pt->ip4;

		if (our->af == ip->af && memcmp(our->a, ip->a, 16) == 0)
			return true;
	}
	return false;
}

unsigned px_utoa(char *out, uint32_t v)
{
	static const uint32_t pow10[9] = {10, 100, 1000, 10000, 100000, 1000000,
					  10000000, 100000000, 1000000000};
	unsigned n = 1;
	char *p;

	while (n < 10 && v >= pow10[n - 1])
		n++;
	p = out + n;
	while (v >= 100) {
		uint32_t q = v / 100;

		p -= 2;
		memcpy(p, pe_pairs + 2 * (v - q * 100), 2);
		v = q;
	}
	if (v >= 10)
		memcpy(p - 2, pe_pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return n;
}

static void via_rport(struct pedits *pe, const char *base,
		      const struct sip_via *v, uint16_t port)
{
	/* the parser recorded where the parameter is: no second walk */
	struct sip_str rv = v->rport_str;
	char *s;
	unsigned n = 0;

	if (v->rport_end == NULL || (s = pe_alloc(pe, 8)) == NULL)
		return;
	if (rv.p == NULL)
		s[n++] = '=';
	n += px_utoa(s + n, port);
	if (rv.p == NULL)
		pe_add(pe, (uint32_t)(v->rport_end - base), 0, s, n);
	else
		pe_add(pe, (uint32_t)(rv.p - base), rv.len, s, n);
}

void px_via_nat(struct pedits *pe, const char *base, struct sip_str val,
		const struct sip_via *v, const struct dp_addr *src)
{
	struct dp_ip host;
	bool same;
	char *s;

	if (v->has_ip4) /* the usual dotted quad: the Via parse read it */
		same = src->ip.af == 4 && memcmp(v->ip4, src->ip.a, 4) == 0;
	else
		same = px_parse_ip(v->host.p, v->host.len, v->host_type, &host) &&
		       memcmp(&host, &src->ip, sizeof(host)) == 0;

	/* RFC 3261 18.2.1: nothing to say when the client told the truth and
	 * asked for no rport; a received= the client wrote itself is always
	 * replaced (else it would choose where its responses go) */
	if (same && !v->has_rport && v->received.p == NULL)
		return;
	/* rport first: when ";rport" ends the element, its "=port" and our
	 * ";received=" are both inserted at the element's end, in this order */
	if (v->has_rport)
		via_rport(pe, base, v, src->port);
	if (v->received.p != NULL) {
		if ((s = pe_alloc(pe, 48)) != NULL)
			pe_add(pe, (uint32_t)(v->received.p - base), v->received.len, s,
			       px_fmt_ip(&src->ip, false, s));
	} else if ((s = pe_alloc(pe, 64)) != NULL) {
		memcpy(s, ";received=", 10);
		pe_add(pe, (uint32_t)(val.p + val.len - base), 0, s,
		       10 + px_fmt_ip(&src->ip, false, s + 10));
	}
}

uint32_t px_line_end(const struct sip_msg *m, unsigned i)
{
	const char *e = m->buf + m->hdrs[i].value_off + m->hdrs[i].value_len;
	uint32_t left = m->hdr_len - (uint32_t)(e - m->buf);
	const char *lf;

	/* the value trimmed of LWS usually ends right at its CRLF */
	if (left >= 2 && e[0] == '\r' && e[1] == '\n')
		return (uint32_t)(e + 2 - m->buf);
	lf = memchr(e, '\n', left);
	return lf ? (uint32_t)(lf + 1 - m->buf) : m->hdr_len;
}
