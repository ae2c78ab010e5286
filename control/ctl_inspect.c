/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * ctl_inspect.c - `sipedgectl inspect`: parse one SIP message from a file
 * with the dataplane's parser and show what it saw.
 *
 * One walk over the parsed message writes both outputs: the out_*() helpers
 * below turn each field into a "key  value" line for a terminal or into a
 * JSON member, so the text and the JSON cannot drift apart. Text keys are
 * the JSON keys with '-' for '_'.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_json.h"
#include "sip.h"

const struct ctl_opt ctl_inspect_opts[] = {
	[CTL_INSPECT_JSON] =
		{
			.name = "json",
			.help = "print one JSON object (one line) instead of text",
		},
	[CTL_INSPECT_STREAM] =
		{
			.name = "stream",
			.help = "parse as the head of a TCP/TLS stream "
				"(Content-Length mandatory)",
		},
	[CTL_INSPECT_MAX_MSG] =
		{
			.name = "max-msg",
			.arg = "N",
			.min = 1,
			.max = SIP_MSG_MAX_HARD,
			.def = SIP_DEF_MAX_MSG,
			.help = "refuse a message over N bytes",
		},
	[CTL_INSPECT_MAX_HEADERS] =
		{
			.name = "max-headers",
			.arg = "N",
			.min = 1,
			.max = SIP_HDRS_MAX_HARD,
			.def = SIP_DEF_MAX_HDRS,
			.help = "refuse a message with over N header fields",
		},
	/* sip_limits.max_line is 16 bits wide. */
	[CTL_INSPECT_MAX_LINE] =
		{
			.name = "max-line",
			.arg = "N",
			.min = 1,
			.max = UINT16_MAX,
			.def = SIP_DEF_MAX_LINE,
			.help = "refuse a header line over N bytes",
		},
	[CTL_INSPECT__COUNT] = {.name = NULL},
};

_Static_assert(CTL_INSPECT__COUNT <= CTL_OPTS_MAX,
	       "inspect has more options than struct ctl_args holds");

/* Past the parser's hard ceiling we stop storing and only count, and past
 * this we stop counting too, so that `inspect /dev/zero` ends. */
#define READ_COUNT_CAP (64u << 20)

#define VALUE_COL     18u /* text output: where values start */
#define PREVIEW_LINES 12u /* body preview in text output */
#define PREVIEW_BYTES 768u
#define CONTEXT_COLS  60u /* error line shown this far either side */

struct out {
	FILE *f;
	bool json;
	struct ctl_json j;
	unsigned depth;	     /* text: nesting level, two spaces each */
	const char *item;    /* text: label of the current array's items */
	const char *arr_key; /* text: key of the current array */
	unsigned arr_items;  /* text: items written in it */
	char *scratch;	     /* SIP_MSG_MAX_HARD bytes for unfold() */
};

/* ---- escaping for a terminal ---- */

/* Code points that are well-formed UTF-8 but act on a terminal or reorder
 * what it shows: C1 controls (0x9b is CSI on many terminals), bidi
 * controls ("Trojan Source"), zero-width and line/paragraph separators. */
static bool cp_unsafe(uint32_t cp)
{
	return cp < 0xa0 || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* Writes n bytes so that no control byte reaches the terminal: printable
 * ASCII and safe UTF-8 as is, \t \r \n, everything else \xNN. Backslash is
 * not escaped, so SIP's own quoted-pair escapes read as written; --json is
 * the exact form. Returns the columns written (a UTF-8 character counts 1). */
static size_t put_esc(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cols = 0;

	while (i < n) {
		uint32_t cp;
		unsigned l;

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			putc(p[i++], f);
			cols++;
			continue;
		}
		l = p[i] >= 0x80 ? ctl_utf8_decode(p + i, n - i, &cp) : 0;
		if (l > 0 && !cp_unsafe(cp)) {
			fwrite(p + i, 1, l, f);
			i += l;
			cols++;
			continue;
		}
		/* an unsafe character: each of its bytes escaped */
		for (l = l > 0 ? l : 1; l > 0; l--, i++) {
			switch (p[i]) {
			/* clang-format off */
			case '\t': fputs("\\t", f); cols += 2; break;
			case '\r': fputs("\\r", f); cols += 2; break;
			case '\n': fputs("\\n", f); cols += 2; break;
			default: fprintf(f, "\\x%02x", p[i]); cols += 4; break;
			/* clang-format on */
			}
		}
	}
	return cols;
}

/* A header value as RFC 3261 7.3.1 reads it: each fold (SP/HT, CRLF,
 * SP/HT) is one SP. Returns s itself when it has no line break, else a
 * copy in o->scratch that lives until the next call. A value never holds a
 * line break that is not a fold: the parser ends a header at any other. */
static struct sip_str unfold(struct out *o, struct sip_str s)
{
	uint32_t i = 0, n = 0;

	if (s.p == NULL || (memchr(s.p, '\n', s.len) == NULL && memchr(s.p, '\r', s.len) == NULL))
		return s;
	while (i < s.len) {
		char c = s.p[i];

		if (c != '\r' && c != '\n') {
			o->scratch[n++] = c;
			i++;
			continue;
		}
		while (n > 0 && (o->scratch[n - 1] == ' ' || o->scratch[n - 1] == '\t'))
			n--;
		while (i < s.len && strchr(" \t\r\n", s.p[i]) != NULL)
			i++;
		o->scratch[n++] = ' ';
	}
	return (struct sip_str){o->scratch, n};
}

/* ---- one writer, two forms ---- */

/* Text: the indented key, then (with pad) spaces up to the value column. */
static void label_pad(struct out *o, const char *key, bool pad)
{
	size_t k, n = strlen(key), ind = 2u * o->depth;

	fprintf(o->f, "%*s", (int)ind, "");
	for (k = 0; k < n; k++)
		putc(key[k] == '_' ? '-' : key[k], o->f);
	if (pad)
		fprintf(o->f, "%*s", ind + n < VALUE_COL ? (int)(VALUE_COL - ind - n) : 1, "");
}

static void label(struct out *o, const char *key)
{
	label_pad(o, key, true);
}

/* An absent field (p == NULL) is null in JSON and "-" in text; a present,
 * empty one is "" in both. */
static void out_str(struct out *o, const char *key, struct sip_str s)
{
	struct sip_str u = unfold(o, s);

	if (o->json) {
		ctl_json_key(&o->j, key);
		if (u.p == NULL)
			ctl_json_null(&o->j);
		else
			ctl_json_str(&o->j, u.p, u.len);
		return;
	}
	label(o, key);
	if (u.p == NULL)
		fputs("-", o->f);
	else if (u.len == 0)
		fputs("\"\"", o->f);
	else
		put_esc(o->f, u.p, u.len);
	putc('\n', o->f);
}

/* A field rarely present (a URI's password and headers): text leaves it
 * out when absent, JSON still has it, as null. */
static void out_str_rare(struct out *o, const char *key, struct sip_str s)
{
	if (o->json || s.p != NULL)
		out_str(o, key, s);
}

static void out_cstr(struct out *o, const char *key, const char *s)
{
	struct sip_str v = {s, s != NULL ? (uint32_t)strlen(s) : 0};

	out_str(o, key, v);
}

static void out_num(struct out *o, const char *key, bool present, int64_t v)
{
	if (o->json) {
		ctl_json_key(&o->j, key);
		if (present)
			ctl_json_int(&o->j, v);
		else
			ctl_json_null(&o->j);
		return;
	}
	label(o, key);
	if (present)
		fprintf(o->f, "%lld\n", (long long)v);
	else
		fputs("-\n", o->f);
}

/* Opens an object member; with sumkey, its first member is sumkey: summary,
 * which text shows on the object's own line. */
static void out_obj(struct out *o, const char *key, const char *sumkey, struct sip_str summary)
{
	if (o->json) {
		ctl_json_key(&o->j, key);
		ctl_json_obj_begin(&o->j);
		if (sumkey != NULL)
			out_str(o, sumkey, summary);
	} else {
		struct sip_str u = unfold(o, summary);
		bool show = sumkey != NULL && u.p != NULL;

		label_pad(o, key, show);
		if (show)
			put_esc(o->f, u.p, u.len);
		putc('\n', o->f);
	}
	o->depth++;
}

static void out_obj_end(struct out *o)
{
	if (o->json)
		ctl_json_obj_end(&o->j);
	o->depth--;
}

/* Arrays hold objects, each with its "index"; text labels them item[i]
 * and shows an empty array as "key  -". One array open at a time. */
static void out_arr(struct out *o, const char *key, const char *item)
{
	if (o->json) {
		ctl_json_key(&o->j, key);
		ctl_json_arr_begin(&o->j);
	}
	o->item = item;
	o->arr_key = key;
	o->arr_items = 0;
}

static void out_arr_end(struct out *o)
{
	if (o->json)
		ctl_json_arr_end(&o->j);
	else if (o->arr_items == 0)
		out_cstr(o, o->arr_key, NULL);
}

/* Opens item index of the array; with sumkey, like out_obj(). */
static void out_item(struct out *o, unsigned index, const char *sumkey, struct sip_str summary)
{
	char b[32];

	o->arr_items++;
	if (o->json) {
		ctl_json_obj_begin(&o->j);
		ctl_json_kuint(&o->j, "index", index);
		if (sumkey != NULL)
			out_str(o, sumkey, summary);
	} else {
		struct sip_str u = unfold(o, summary);
		bool show = sumkey != NULL && u.p != NULL;

		snprintf(b, sizeof(b), "%s[%u]", o->item, index);
		label_pad(o, b, show);
		if (show)
			put_esc(o->f, u.p, u.len);
		putc('\n', o->f);
	}
	o->depth++;
}

static void out_item_end(struct out *o)
{
	out_obj_end(o);
}

/* "error" and "text" members for a parse error from an on-demand parser:
 * sip_parse() accepts some headers that their own parser then refuses. */
static void out_error(struct out *o, int rc)
{
	out_cstr(o, "error", sip_err_name(rc));
	out_cstr(o, "text", sip_err_text(rc));
}

/* ---- the fields ---- */

static const char *scheme_name(unsigned s)
{
	switch (s) {
	/* clang-format off */
	case SIP_SCHEME_SIP: return "sip";
	case SIP_SCHEME_SIPS: return "sips";
	case SIP_SCHEME_TEL: return "tel";
	default: return "?";
	/* clang-format on */
	}
}

static const char *host_type_name(unsigned t)
{
	switch (t) {
	/* clang-format off */
	case SIP_HOST_NAME: return "name";
	case SIP_HOST_IPV4: return "ipv4";
	case SIP_HOST_IPV6: return "ipv6";
	default: return NULL; /* none: absent */
	/* clang-format on */
	}
}

/* sip_parse_uri() knows sip:, sips: and tel:; a Request-URI or an address
 * may be any absoluteURI (RFC 3261 25.1: urn:service:sos, http:, ...). */
static bool known_scheme(struct sip_str raw)
{
	const char *c = memchr(raw.p, ':', raw.len);
	struct sip_str sch = {raw.p, c != NULL ? (uint32_t)(c - raw.p) : 0};

	return c == NULL || sip_str_ieq(sch, SIP_LIT("sip")) || sip_str_ieq(sch, SIP_LIT("sips")) ||
	       sip_str_ieq(sch, SIP_LIT("tel"));
}

/* Another scheme: its name, and no parts (JSON: null, as for absent). */
static void out_other_uri(struct out *o, struct sip_str raw)
{
	const char *c = memchr(raw.p, ':', raw.len);
	struct sip_str none = {NULL, 0};
	struct sip_str sch = {raw.p, (uint32_t)(c - raw.p)};
	static const char *const parts[] = {
		"user", "password", "host", "host_type", "port", "params", "headers",
	};
	unsigned i;

	out_str(o, "scheme", sch);
	if (!o->json)
		return;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		out_str(o, parts[i], none);
}

/* key: {"uri": raw, its parts} or null when raw is absent. */
static void out_uri(struct out *o, const char *key, struct sip_str raw)
{
	struct sip_uri u;
	int rc;

	if (raw.p == NULL) {
		out_str(o, key, raw);
		return;
	}
	out_obj(o, key, "uri", raw);
	if (!known_scheme(raw)) {
		out_other_uri(o, raw);
		out_obj_end(o);
		return;
	}
	memset(&u, 0, sizeof(u));
	rc = sip_parse_uri(raw.p, raw.len, &u);
	if (rc < 0) {
		out_error(o, rc);
	} else {
		out_cstr(o, "scheme", scheme_name(u.scheme));
		out_str(o, "user", u.user);
		out_str_rare(o, "password", u.password);
		out_str(o, "host", u.host);
		out_cstr(o, "host_type", host_type_name(u.host_type));
		out_num(o, "port", u.port_str.p != NULL, u.port);
		out_str(o, "params", u.params);
		out_str_rare(o, "headers", u.headers);
	}
	out_obj_end(o);
}

/* The members of one From/To/Contact element (raw: its text); a contact
 * also says whether it is the "*" of a REGISTER removing all bindings. */
static void out_nameaddr(struct out *o, struct sip_str raw, bool contact)
{
	struct sip_str none = {NULL, 0};
	struct sip_nameaddr na;
	int rc;

	memset(&na, 0, sizeof(na));
	rc = sip_parse_nameaddr(raw.p, raw.len, &na);
	if (rc < 0) {
		out_error(o, rc);
		return;
	}
	if (contact && o->json)
		ctl_json_kbool(&o->j, "star", na.star);
	else if (contact && na.star)
		out_cstr(o, "star", "yes");
	/* the parser leaves display empty when there is none */
	if (na.display.len == 0)
		na.display.p = NULL;
	out_str(o, "display", na.display);
	out_uri(o, "uri", na.star ? none : na.uri);
	out_str(o, "tag", na.tag);
	out_str(o, "params", na.params);
}

/* From and To: the first header of the kind (a repeat with another value
 * is refused by sip_parse). */
static void out_addr_hdr(struct out *o, const struct sip_msg *m, const char *key,
			 enum sip_hdr_id id)
{
	int i = sip_hdr_first(m, id);
	struct sip_str none = {NULL, 0};

	if (i < 0) {
		out_str(o, key, none);
		return;
	}
	out_obj(o, key, "value", sip_hdr_value(m, (unsigned)i));
	out_nameaddr(o, sip_hdr_value(m, (unsigned)i), false);
	out_obj_end(o);
}

static void out_contacts(struct out *o, const struct sip_msg *m)
{
	struct sip_str v, none = {NULL, 0};
	struct sip_iter it;
	unsigned n = 0;
	int rc;

	sip_iter_init(&it);
	out_arr(o, "contacts", "contact");
	/* Each element is at least one byte of the message: the bound only
	 * stops a looping iterator from hanging the CLI. */
	while (n < SIP_MSG_MAX_HARD && (rc = sip_value_next(m, SIP_HDR_CONTACT, &it, &v)) == 1) {
		out_item(o, n++, "value", v);
		out_nameaddr(o, v, true);
		out_item_end(o);
	}
	if (n < SIP_MSG_MAX_HARD && rc < 0) {
		out_item(o, n, NULL, none);
		out_error(o, rc);
		out_item_end(o);
	}
	out_arr_end(o);
}

static void out_rport(struct out *o, const struct sip_via *v)
{
	if (o->json) {
		ctl_json_kbool(&o->j, "has_rport", v->has_rport);
		out_num(o, "rport", v->has_rport && v->rport != 0, v->rport);
		return;
	}
	label(o, "rport");
	if (!v->has_rport)
		fputs("-\n", o->f);
	else if (v->rport == 0)
		fputs("(no value)\n", o->f);
	else
		fprintf(o->f, "%u\n", v->rport);
}

static void out_vias(struct out *o, const struct sip_msg *m)
{
	struct sip_str none = {NULL, 0};
	struct sip_iter it;
	struct sip_via v;
	unsigned n = 0;
	int rc;

	sip_iter_init(&it);
	out_arr(o, "vias", "via");
	while (n < SIP_MSG_MAX_HARD &&
	       (memset(&v, 0, sizeof(v)), rc = sip_via_next(m, &it, &v)) == 1) {
		out_item(o, n++, NULL, none);
		out_str(o, "proto", v.proto);
		out_str(o, "transport", v.transport);
		out_str(o, "host", v.host);
		out_cstr(o, "host_type", host_type_name(v.host_type));
		out_num(o, "port", v.port != 0, v.port);
		out_str(o, "branch", v.branch);
		out_str(o, "received", v.received);
		out_rport(o, &v);
		out_str(o, "maddr", v.maddr);
		out_num(o, "ttl", v.has_ttl, v.ttl);
		out_str(o, "params", v.params);
		out_item_end(o);
	}
	if (n < SIP_MSG_MAX_HARD && rc < 0) {
		out_item(o, n, NULL, none);
		out_error(o, rc);
		out_item_end(o);
	}
	out_arr_end(o);
}

static struct sip_str first_value(const struct sip_msg *m, enum sip_hdr_id id)
{
	int i = sip_hdr_first(m, id);
	struct sip_str none = {NULL, 0};

	return i < 0 ? none : sip_hdr_value(m, (unsigned)i);
}

static void out_cseq(struct out *o, const struct sip_msg *m)
{
	if (o->json) {
		ctl_json_key(&o->j, "cseq");
		ctl_json_obj_begin(&o->j);
		ctl_json_kuint(&o->j, "num", m->cseq);
		out_str(o, "method", m->cseq_method_str);
		ctl_json_obj_end(&o->j);
		return;
	}
	label(o, "cseq");
	fprintf(o->f, "%u ", m->cseq);
	put_esc(o->f, m->cseq_method_str.p, m->cseq_method_str.len);
	putc('\n', o->f);
}

/* The header index: JSON objects, or a table whose columns fit the
 * longest name (up to a point). */
static void out_headers(struct out *o, const struct sip_msg *m)
{
	unsigned i, name_w = 4, id_w = 1;

	if (o->json) {
		ctl_json_key(&o->j, "headers");
		ctl_json_arr_begin(&o->j);
		for (i = 0; i < m->nhdrs; i++) {
			const char *canon = m->hdrs[i].id != SIP_HDR_OTHER ?
						    sip_hdr_canon(m->hdrs[i].id) :
						    NULL;

			ctl_json_obj_begin(&o->j);
			ctl_json_kuint(&o->j, "index", i);
			out_str(o, "name", sip_hdr_name(m, i));
			ctl_json_kcstr(&o->j, "id", canon);
			out_str(o, "value", sip_hdr_value(m, i));
			ctl_json_obj_end(&o->j);
		}
		ctl_json_arr_end(&o->j);
		return;
	}
	label(o, "headers");
	fprintf(o->f, "%u\n", m->nhdrs);
	for (i = 0; i < m->nhdrs; i++) {
		size_t l = strlen(sip_hdr_canon(m->hdrs[i].id));

		if (m->hdrs[i].name_len > name_w)
			name_w = m->hdrs[i].name_len;
		if (l > id_w)
			id_w = (unsigned)l;
	}
	name_w = name_w > 24 ? 24 : name_w;
	for (i = 0; i < m->nhdrs; i++) {
		struct sip_str name = sip_hdr_name(m, i);
		struct sip_str val = unfold(o, sip_hdr_value(m, i));
		const char *canon = sip_hdr_canon(m->hdrs[i].id);
		size_t w;

		fprintf(o->f, "  %3u  ", i);
		w = put_esc(o->f, name.p, name.len);
		fprintf(o->f, "%*s", w < name_w ? (int)(name_w - w) + 2 : 2, "");
		fprintf(o->f, "%-*s  ", (int)id_w, canon[0] != '\0' ? canon : "-");
		put_esc(o->f, val.p, val.len);
		putc('\n', o->f);
	}
}

/* Text: the first lines of the body, CRLF ends not shown. */
static void out_body_preview(struct out *o, struct sip_str body)
{
	uint32_t off = 0, end = body.len < PREVIEW_BYTES ? body.len : PREVIEW_BYTES;
	unsigned lines = 0;

	while (off < end && lines < PREVIEW_LINES) {
		const char *nl = memchr(body.p + off, '\n', end - off);
		uint32_t le = nl != NULL ? (uint32_t)(nl - body.p) : end;
		uint32_t shown = le;

		if (nl != NULL && le > off && body.p[le - 1] == '\r')
			shown = le - 1;
		fputs("  | ", o->f);
		put_esc(o->f, body.p + off, shown - off);
		putc('\n', o->f);
		off = nl != NULL ? le + 1 : le;
		lines++;
	}
	if (off < body.len)
		fprintf(o->f, "  ... %u more bytes\n", body.len - off);
}

static const struct {
	uint32_t bit;
	const char *name;
} msg_flags[] = {
	{SIP_MSG_FOLDED, "folded"},
	{SIP_MSG_COMPACT, "compact"},
	{SIP_MSG_BODY_TRIMMED, "body-trimmed"},
	{SIP_MSG_BARE_LF, "bare-lf"},
};

static void out_flags(struct out *o, uint32_t flags)
{
	unsigned i, n = 0;

	if (o->json) {
		ctl_json_key(&o->j, "flags");
		ctl_json_arr_begin(&o->j);
	} else {
		label(o, "flags");
	}
	for (i = 0; i < sizeof(msg_flags) / sizeof(msg_flags[0]); i++) {
		if (!(flags & msg_flags[i].bit))
			continue;
		if (o->json)
			ctl_json_cstr(&o->j, msg_flags[i].name);
		else
			fprintf(o->f, "%s%s", n > 0 ? " " : "", msg_flags[i].name);
		n++;
	}
	if (o->json)
		ctl_json_arr_end(&o->j);
	else
		fputs(n == 0 ? "-\n" : "\n", o->f);
}

/* A well-formed message: every field, in the order a SIP trace reads. */
static void show_msg(struct out *o, const struct sip_msg *m, uint32_t total)
{
	bool req = (m->flags & SIP_MSG_REQUEST) != 0;
	uint32_t trailing = total > m->len ? total - m->len : 0;
	struct sip_str none = {NULL, 0};

	if (o->json) {
		ctl_json_obj_begin(&o->j);
		ctl_json_kbool(&o->j, "ok", true);
	}
	/* JSON has every key in every message (null when it does not apply);
	 * text shows only what applies. */
	out_cstr(o, "type", req ? "request" : "response");
	if (req || o->json)
		out_str(o, "method", req ? m->method_str : none);
	if (req)
		out_uri(o, "ruri", m->ruri);
	else if (o->json)
		out_str(o, "ruri", none);
	if (!req || o->json) {
		out_num(o, "status", !req, m->status);
		out_str(o, "reason", req ? none : m->reason);
	}
	out_str(o, "version", m->version);
	if (o->json) {
		ctl_json_kuint(&o->j, "len", m->len);
		ctl_json_kuint(&o->j, "hdr_len", m->hdr_len);
		ctl_json_kuint(&o->j, "trailing", trailing);
	} else {
		label(o, "size");
		fprintf(o->f, "%u bytes: %u of headers, %u of body", m->len, m->hdr_len,
			m->body.len);
		if (trailing > 0)
			fprintf(o->f, "; %u more bytes not parsed", trailing);
		putc('\n', o->f);
	}
	out_flags(o, m->flags);
	out_vias(o, m);
	out_addr_hdr(o, m, "from", SIP_HDR_FROM);
	out_addr_hdr(o, m, "to", SIP_HDR_TO);
	out_contacts(o, m);
	out_str(o, "call_id", m->call_id);
	out_cseq(o, m);
	out_num(o, "max_forwards", m->max_forwards >= 0, m->max_forwards);
	out_num(o, "content_length", m->content_length >= 0, m->content_length);
	out_str(o, "content_type", first_value(m, SIP_HDR_CONTENT_TYPE));
	out_num(o, "expires", m->expires >= 0, m->expires);
	out_str(o, "user_agent", first_value(m, SIP_HDR_USER_AGENT));
	out_str(o, "server", first_value(m, SIP_HDR_SERVER));
	out_headers(o, m);
	if (o->json) {
		ctl_json_kuint(&o->j, "body_len", m->body.len);
		ctl_json_kstr(&o->j, "body", m->body.p, m->body.len);
		ctl_json_obj_end(&o->j);
		return;
	}
	label(o, "body");
	fprintf(o->f, "%u bytes\n", m->body.len);
	out_body_preview(o, m->body);
}

/* The line holding byte off, a window of it if long, and a caret under
 * off, like a compiler's diagnostic. */
static void show_line(FILE *f, const char *buf, uint32_t len, uint32_t off, uint32_t line)
{
	uint32_t ls = off, le, from, to;
	size_t col;

	while (ls > 0 && buf[ls - 1] != '\n')
		ls--;
	le = off;
	while (le < len && buf[le] != '\n')
		le++;
	/* the CR of CRLF is noise, unless it is what the error is about */
	if (le > ls && le > off + 1 && buf[le - 1] == '\r')
		le--;
	from = off - ls > CONTEXT_COLS ? off - CONTEXT_COLS : ls;
	to = le - off > CONTEXT_COLS ? off + CONTEXT_COLS : le;
	fprintf(f, "%5u | %s", line, from > ls ? "..." : "");
	col = (from > ls ? 3 : 0) + put_esc(f, buf + from, off - from);
	put_esc(f, buf + off, to - off);
	fprintf(f, "%s\n      | %*s^\n", to < le ? "..." : "", (int)col, "");
}

/* A refused message: the parser's error and where. */
static void show_error(struct out *o, const char *src, const char *buf, uint32_t len, int code,
		       uint32_t off)
{
	uint32_t i, line = 1, col;

	if (off > len)
		off = len; /* a parser bug; still show something sane */
	for (i = 0; i < off; i++)
		line += buf[i] == '\n';
	for (i = off; i > 0 && buf[i - 1] != '\n'; i--)
		;
	col = off - i + 1;
	if (o->json) {
		ctl_json_obj_begin(&o->j);
		ctl_json_kbool(&o->j, "ok", false);
		ctl_json_kcstr(&o->j, "error", code != 0 ? sip_err_name(code) : "incomplete");
		ctl_json_kcstr(&o->j, "text",
			       code != 0 ? sip_err_text(code) : "Incomplete Message");
		ctl_json_kuint(&o->j, "offset", off);
		ctl_json_kuint(&o->j, "line", line);
		ctl_json_kuint(&o->j, "column", col);
		ctl_json_obj_end(&o->j);
		return;
	}
	put_esc(o->f, src, strlen(src));
	if (code == 0) {
		fprintf(o->f,
			":%u:%u: error: incomplete: the stream needs "
			"more than the %u bytes given\n",
			line, col, len);
		return;
	}
	fprintf(o->f, ":%u:%u: error: %s: %s (byte offset %u%s)\n", line, col, sip_err_name(code),
		sip_err_text(code), off, off == len ? ", the end of the message" : "");
	/* an empty last line says nothing a caret could point at */
	if (len > 0 && !(off == len && col == 1))
		show_line(o->f, buf, len, off, line);
}

/* Reads all of path ("-": stdin) into buf, up to cap bytes, and counts the
 * total (up to READ_COUNT_CAP). Returns 0 or -errno. */
static int read_input(const char *path, char *buf, size_t cap, size_t *total)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	char sink[4096];
	size_t n = 0;
	int rc = 0;

	if (fd < 0)
		return -errno;
	while (n <= READ_COUNT_CAP) {
		char *dst = n < cap ? buf + n : sink;
		size_t room = n < cap ? cap - n : sizeof(sink);
		ssize_t r = read(fd, dst, room);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!is_stdin)
		close(fd);
	*total = n;
	return rc;
}

/* ctl_inspect_run - the inspect command (a row of sipedgectl's table).
 * Accepts: one operand, a file or "-" for stdin, of at most
 *   SIP_MSG_MAX_HARD bytes; options as parsed against ctl_inspect_opts.
 * Refuses: unreadable or oversized input (CTL_EXIT_USAGE, message on
 *   stderr, nothing on stdout).
 * Returns: CTL_EXIT_OK for a well-formed message, CTL_EXIT_REFUSED for a
 *   malformed or incomplete one, its fields or error printed on stdout.
 * Keeps no state between calls; writes stdout, so one caller at a time. */
int ctl_inspect_run(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	const char *path = a->args[0];
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	struct out o = {.f = stdout, .json = a->set[CTL_INSPECT_JSON]};
	struct sip_limits lim;
	struct sip_msg *msg = NULL;
	char *buf = NULL, *exact = NULL;
	size_t total = 0;
	int rc, ret = CTL_EXIT_USAGE;

	(void)cmd;
	sip_limits_default(&lim);
	if (a->set[CTL_INSPECT_MAX_MSG])
		lim.max_msg = a->val[CTL_INSPECT_MAX_MSG];
	if (a->set[CTL_INSPECT_MAX_HEADERS])
		lim.max_hdrs = (uint16_t)a->val[CTL_INSPECT_MAX_HEADERS];
	if (a->set[CTL_INSPECT_MAX_LINE])
		lim.max_line = (uint16_t)a->val[CTL_INSPECT_MAX_LINE];

	buf = malloc(SIP_MSG_MAX_HARD + 1);
	o.scratch = malloc(SIP_MSG_MAX_HARD);
	msg = malloc(sizeof(*msg));
	if (buf == NULL || o.scratch == NULL || msg == NULL) {
		fprintf(stderr, "sipedgectl: %s\n", strerror(ENOMEM));
		goto out;
	}
	rc = read_input(path, buf, SIP_MSG_MAX_HARD + 1, &total);
	if (rc < 0) {
		fprintf(stderr, "sipedgectl: %s: %s\n", name, strerror(-rc));
		goto out;
	}
	if (total > READ_COUNT_CAP) {
		fprintf(stderr,
			"sipedgectl: %s: more than %u bytes is over "
			"the %u-byte limit\n",
			name, READ_COUNT_CAP, SIP_MSG_MAX_HARD);
		goto out;
	}
	if (total > SIP_MSG_MAX_HARD) {
		fprintf(stderr,
			"sipedgectl: %s: %zu bytes is over the "
			"%u-byte limit\n",
			name, total, SIP_MSG_MAX_HARD);
		goto out;
	}
	/* The parser gets a heap block of exactly the input's size, so that
	 * under ASan a read past the datagram is caught here and not hidden
	 * by the slack of a bigger buffer. */
	exact = malloc(total > 0 ? total : 1);
	if (exact == NULL) {
		fprintf(stderr, "sipedgectl: %s\n", strerror(ENOMEM));
		goto out;
	}
	memcpy(exact, buf, total);
	memset(msg, 0, sizeof(*msg));
	rc = sip_parse(exact, (uint32_t)total, &lim,
		       a->set[CTL_INSPECT_STREAM] ? SIP_PARSE_STREAM : 0, msg);

	if (o.json)
		ctl_json_init(&o.j, stdout);
	if (rc > 0) {
		show_msg(&o, msg, (uint32_t)total);
		ret = CTL_EXIT_OK;
	} else {
		show_error(&o, name, exact, (uint32_t)total, -rc,
			   rc == 0 ? (uint32_t)total : msg->err_off);
		ret = CTL_EXIT_REFUSED;
	}
	if (o.json) {
		rc = ctl_json_finish(&o.j);
		if (rc < 0) {
			/* -EINVAL would be a bug in this file */
			fprintf(stderr, "sipedgectl: stdout: %s\n", strerror(-rc));
			ret = CTL_EXIT_USAGE;
		}
	}
out:
	free(exact);
	free(msg);
	free(o.scratch);
	free(buf);
	return ret;
}
