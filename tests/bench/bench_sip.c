/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * bench_sip.c - SIP parser benchmark: sipedge against libosip2 and sofia-sip
 * over a weighted mix of realistic messages (tests/bench/mix/mix.txt).
 *
 * It reports figures (messages/s, MB/s, ns/message, ratios); it never passes
 * or fails on timing. It does fail, loudly, when a message of the mix does not
 * parse in one of the parsers, because figures over refused messages would
 * measure error paths. docs/benchmarks.md explains what is measured and how
 * to read the output.
 *
 * Usage: bench_sip [--runs N] [--iters N] [--ms N] [--cpu N] [--only NAME]
 *                  [--per-msg] [--json] [--smoke] [MIX]
 * MIX is a mix file or a directory holding mix.txt; the default is the
 * source tree's tests/bench/mix, configured by meson.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sip.h"

/* The two peers are included after sip.h on purpose. Their headers define
 * macros that collide with names of ours: osip's SIP_OK (200) would break our
 * enum sip_err if it came first, sofia's SIP_METHOD_INVITE & co. shadow our
 * enum sip_method constants from here on (this file does not use them), and
 * osip and sofia both define SP and two status macros differently. sofia also
 * declares a sip_method_name() of its own with another signature: the
 * declaration is renamed while its header is read. At link time our
 * sip_method_name interposes on sofia's, which only sip_request_create()
 * and sip_cseq_create() call; msg_extract() never does. */
#include <osipparser2/osip_parser.h>

#undef SP
#undef SIP_406_NOT_ACCEPTABLE
#undef SIP_606_NOT_ACCEPTABLE
#define sip_method_name sofia_sip_method_name
#include <sofia-sip/msg.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#undef sip_method_name

#ifndef BENCH_MIX_DIR
#define BENCH_MIX_DIR "tests/bench/mix"
#endif

#define BENCH_MAX_MSGS	64u
#define BENCH_MAX_RUNS	101u
#define BENCH_MAX_SCHED 4096u
/* Where the SIP payload starts in an mbuf after Ethernet + IPv4 + UDP, so the
 * parser sees the same (mis)alignment as in the dataplane. */
#define BENCH_PAYLOAD_OFF 42u

struct bench_msg {
	char name[64];
	char *data;	/* BENCH_PAYLOAD_OFF into a 64-byte aligned block */
	uint32_t len;
	unsigned weight;
	int vias;	/* Via count, from the sipedge check, for cross-checks */
};

/* One slot of the schedule: the mix expanded by weight and shuffled, so the
 * branch predictors see a mix, not one message parsed over and over. */
struct bench_slot {
	const char *p;
	uint32_t len;
};

struct bench_mix {
	char path[512];
	struct bench_msg msgs[BENCH_MAX_MSGS];
	unsigned n;
	struct bench_slot sched[BENCH_MAX_SCHED];
	unsigned sched_len;	/* messages per pass: the sum of weights */
	uint64_t pass_bytes;	/* bytes per pass */
};

struct bench_cfg {
	const char *name;
	/* parses passes x the schedule; returns the sink, counts failures */
	uint64_t (*run)(const struct bench_mix *mix, uint64_t passes,
			uint64_t *bad);
	bool on;
	uint64_t passes;	/* per run, fixed before the first run */
	double mps[BENCH_MAX_RUNS]; /* messages/s of each run */
	double med, min, max;
};

struct bench_opts {
	unsigned runs;
	uint64_t iters;	/* messages per run; 0: calibrated from ms */
	unsigned ms;
	int cpu;
	const char *only;
	bool json, smoke, per_msg;
};

/* Results are folded into this so the compiler cannot drop a parse whose
 * output is otherwise unused. */
static volatile uint64_t bench_sink;

static struct sip_limits bench_lim;

/* ---- helpers ---- */

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_sip: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
	double s[BENCH_MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- the mix ---- */

/* Reads one message file into an mbuf-like block. Refuses bare LF line
 * endings: SIP requires CRLF and a LF-only file would bench a tolerance
 * path, not the common one. */
static void mix_load_msg(struct bench_msg *bm, const char *dir)
{
	char path[1024];
	char *blk;
	FILE *f;
	long sz;

	snprintf(path, sizeof(path), "%s/%s", dir, bm->name);
	f = fopen(path, "rb");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die("%s: cannot size: %s", path, strerror(errno));
	if (sz == 0 || sz > (long)SIP_MSG_MAX_HARD)
		die("%s: size %ld out of range [1, %u]", path, sz,
		    SIP_MSG_MAX_HARD);
	blk = aligned_alloc(64, ((size_t)sz + BENCH_PAYLOAD_OFF + 64) & ~63ul);
	if (blk == NULL)
		die("%s: out of memory", path);
	bm->data = blk + BENCH_PAYLOAD_OFF;
	if (fread(bm->data, 1, (size_t)sz, f) != (size_t)sz)
		die("%s: short read", path);
	fclose(f);
	bm->len = (uint32_t)sz;
	for (uint32_t i = 0; i < bm->len; i++)
		if (bm->data[i] == '\n' && (i == 0 || bm->data[i - 1] != '\r'))
			die("%s: bare LF at byte %u: messages need CRLF line "
			    "endings", path, i);
}

/* Loads "weight filename" lines ('#' comments) from a mix file, or from
 * DIR/mix.txt when given a directory, then builds the shuffled schedule. */
static void mix_load(struct bench_mix *mix, const char *arg)
{
	char dir[512], line[512], name[64];
	unsigned lineno = 0, w, k = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct stat st;
	FILE *f;

	if (stat(arg, &st) != 0)
		die("mix \"%s\": %s", arg, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		snprintf(dir, sizeof(dir), "%s", arg);
		snprintf(mix->path, sizeof(mix->path), "%s/mix.txt", arg);
	} else {
		const char *slash = strrchr(arg, '/');

		snprintf(mix->path, sizeof(mix->path), "%s", arg);
		snprintf(dir, sizeof(dir), "%.*s",
			 slash ? (int)(slash - arg) : 1, slash ? arg : ".");
	}
	f = fopen(mix->path, "r");
	if (f == NULL)
		die("%s: %s", mix->path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line + strspn(line, " \t");
		struct bench_msg *bm;

		lineno++;
		if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
			continue;
		if (sscanf(s, "%u %63s", &w, name) != 2 || w == 0 || w > 1000)
			die("%s:%u: expected \"weight filename\" with weight "
			    "in [1, 1000]", mix->path, lineno);
		if (mix->n == BENCH_MAX_MSGS)
			die("%s:%u: more than %u messages", mix->path, lineno,
			    BENCH_MAX_MSGS);
		if (mix->sched_len + w > BENCH_MAX_SCHED)
			die("%s:%u: weights sum over %u", mix->path, lineno,
			    BENCH_MAX_SCHED);
		bm = &mix->msgs[mix->n++];
		snprintf(bm->name, sizeof(bm->name), "%s", name);
		bm->weight = w;
		mix_load_msg(bm, dir);
		for (unsigned i = 0; i < w; i++) {
			mix->sched[mix->sched_len].p = bm->data;
			mix->sched[mix->sched_len++].len = bm->len;
		}
		mix->pass_bytes += (uint64_t)w * bm->len;
	}
	fclose(f);
	if (mix->n == 0)
		die("%s: no messages", mix->path);
	/* Fisher-Yates with a fixed xorshift seed: every run, and every
	 * machine, parses the same sequence. */
	for (k = mix->sched_len - 1; k > 0; k--) {
		struct bench_slot t;
		unsigned j;

		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		j = (unsigned)(seed % (k + 1));
		t = mix->sched[k], mix->sched[k] = mix->sched[j];
		mix->sched[j] = t;
	}
}

/* ---- (1) sipedge sip_parse(): what runs on every packet ---- */

static uint64_t run_sipedge_parse(const struct bench_mix *mix,
				  uint64_t passes, uint64_t *bad)
{
	static struct sip_msg m;
	uint64_t acc = 0, nbad = 0;

	for (uint64_t p = 0; p < passes; p++) {
		for (unsigned i = 0; i < mix->sched_len; i++) {
			const struct bench_slot *s = &mix->sched[i];
			int r = sip_parse(s->p, s->len, &bench_lim, 0, &m);

			nbad += r <= 0;
			acc += (uint64_t)r + m.nhdrs + m.cseq;
		}
	}
	*bad = nbad;
	return acc;
}

/* ---- (2) sipedge proxy view ---- */

#define PV_FAIL(r, what)                                                     \
	do {                                                                 \
		if (where != NULL)                                           \
			*where = (what);                                     \
		return (r) < 0 ? (r) : -SIP_ERR_BAD_VALUE;                   \
	} while (0)

/* One name-addr header value and the URI inside it. */
static int pv_nameaddr(struct sip_str v, uint64_t *acc, const char **where,
		       const char *what)
{
	struct sip_nameaddr na;
	struct sip_uri u;
	int r;

	r = sip_parse_nameaddr(v.p, v.len, &na);
	if (r < 0)
		PV_FAIL(r, what);
	if (na.star)
		return 0;
	r = sip_parse_uri(na.uri.p, na.uri.len, &u);
	if (r < 0)
		PV_FAIL(r, what);
	*acc += u.host.len + u.port + u.user.len + na.tag.len;
	return 0;
}

/* What a stateless proxy reads on demand after sip_parse(): every Via (to
 * check and pop its own, and to route responses), From and To with their
 * URIs, the Request-URI, every Contact, and the top Route (loose routing).
 * Returns 0 or -SIP_ERR_x with *where naming the field, when where is set. */
static int proxy_view(const struct sip_msg *m, uint64_t *acc, int *nvia,
		      const char **where)
{
	struct sip_iter it;
	struct sip_via v;
	struct sip_str val;
	struct sip_uri u;
	int r, i, n = 0;

	sip_iter_init(&it);
	while ((r = sip_via_next(m, &it, &v)) == 1) {
		*acc += v.branch.len + v.port + v.rport + v.received.len;
		n++;
	}
	if (r < 0 || n == 0)
		PV_FAIL(r, "Via");
	*nvia = n;
	i = sip_hdr_first(m, SIP_HDR_FROM);
	if (i < 0 || pv_nameaddr(sip_hdr_value(m, (unsigned)i), acc, where,
				 "From") < 0)
		PV_FAIL(-SIP_ERR_BAD_NAME_ADDR, "From");
	i = sip_hdr_first(m, SIP_HDR_TO);
	if (i < 0 || pv_nameaddr(sip_hdr_value(m, (unsigned)i), acc, where,
				 "To") < 0)
		PV_FAIL(-SIP_ERR_BAD_NAME_ADDR, "To");
	if (m->flags & SIP_MSG_REQUEST) {
		r = sip_parse_uri(m->ruri.p, m->ruri.len, &u);
		if (r < 0)
			PV_FAIL(r, "Request-URI");
		*acc += u.host.len + u.user.len + u.params.len;
	}
	sip_iter_init(&it);
	while ((r = sip_value_next(m, SIP_HDR_CONTACT, &it, &val)) == 1)
		if (pv_nameaddr(val, acc, where, "Contact") < 0)
			PV_FAIL(-SIP_ERR_BAD_NAME_ADDR, "Contact");
	if (r < 0)
		PV_FAIL(r, "Contact list");
	sip_iter_init(&it);
	r = sip_value_next(m, SIP_HDR_ROUTE, &it, &val);
	if (r < 0 || (r == 1 && pv_nameaddr(val, acc, where, "Route") < 0))
		PV_FAIL(r < 0 ? r : -SIP_ERR_BAD_NAME_ADDR, "Route");
	return 0;
}

static uint64_t run_sipedge_proxy(const struct bench_mix *mix,
				  uint64_t passes, uint64_t *bad)
{
	static struct sip_msg m;
	uint64_t acc = 0, nbad = 0;
	int nvia;

	for (uint64_t p = 0; p < passes; p++) {
		for (unsigned i = 0; i < mix->sched_len; i++) {
			const struct bench_slot *s = &mix->sched[i];
			int r = sip_parse(s->p, s->len, &bench_lim, 0, &m);

			nbad += r <= 0 || proxy_view(&m, &acc, &nvia, NULL) < 0;
			acc += (uint64_t)r;
		}
	}
	*bad = nbad;
	return acc;
}

/* ---- (3) libosip2 ---- */

static uint64_t run_osip(const struct bench_mix *mix, uint64_t passes,
			 uint64_t *bad)
{
	uint64_t acc = 0, nbad = 0;

	for (uint64_t p = 0; p < passes; p++) {
		for (unsigned i = 0; i < mix->sched_len; i++) {
			const struct bench_slot *s = &mix->sched[i];
			osip_message_t *sip;

			if (osip_message_init(&sip) != 0) {
				nbad++;
				continue;
			}
			nbad += osip_message_parse(sip, s->p, s->len) != 0;
			acc += (uint64_t)osip_list_size(&sip->vias) +
			       (uint64_t)sip->status_code;
			osip_message_free(sip);
		}
	}
	*bad = nbad;
	return acc;
}

/* ---- (4) sofia-sip ---- */

/* Feeds one complete datagram the way sofia's own UDP transport does
 * (tport_recv_dgram: an exact buffer, commit with end-of-stream, extract).
 * Returns the message, parsed or not; the caller destroys it. */
static msg_t *sofia_parse(msg_mclass_t const *mc, const char *p, uint32_t len,
			  int *ret)
{
	msg_t *msg = msg_create(mc, 0);
	char *b;

	*ret = -1;
	if (msg == NULL)
		return NULL;
	b = msg_buf_exact(msg, len + 1);
	if (b == NULL)
		return msg;
	memcpy(b, p, len);
	msg_buf_commit(msg, len, 1);
	*ret = msg_extract(msg);
	return msg;
}

static uint64_t run_sofia(const struct bench_mix *mix, uint64_t passes,
			  uint64_t *bad)
{
	msg_mclass_t const *mc = sip_default_mclass();
	uint64_t acc = 0, nbad = 0;

	for (uint64_t p = 0; p < passes; p++) {
		for (unsigned i = 0; i < mix->sched_len; i++) {
			const struct bench_slot *s = &mix->sched[i];
			msg_t *msg;
			sip_t *sip;
			int r;

			msg = sofia_parse(mc, s->p, s->len, &r);
			sip = msg ? sip_object(msg) : NULL;
			if (r <= 0 || sip == NULL || sip->sip_error != NULL) {
				nbad++;
			} else {
				acc += sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
				acc += sip->sip_via != NULL;
			}
			msg_destroy(msg);
		}
	}
	*bad = nbad;
	return acc;
}

/* ---- correctness of the mix in all parsers ---- */

static int sofia_count_vias(const sip_t *sip)
{
	int n = 0;

	for (const sip_via_t *v = sip->sip_via; v != NULL; v = v->v_next)
		n++;
	return n;
}

/* The tag of a From or To value, as sipedge sees it (absent: p == NULL). */
static struct sip_str sipedge_tag(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_str none = {NULL, 0};
	struct sip_nameaddr na;
	struct sip_str v;
	int i = sip_hdr_first(m, id);

	if (i < 0)
		return none;
	v = sip_hdr_value(m, (unsigned)i);
	return sip_parse_nameaddr(v.p, v.len, &na) < 0 ? none : na.tag;
}

static bool str_eq_c(struct sip_str s, const char *c)
{
	if (s.p == NULL || c == NULL)
		return s.p == NULL && c == NULL;
	return strlen(c) == s.len && memcmp(s.p, c, s.len) == 0;
}

/* sipedge and sofia-sip must read the same start line, Call-ID, CSeq, tags
 * and Contact count: a cheap differential check that the figures compare
 * parsers doing the same job, and a tripwire for parser bugs. */
static void cross_check(const struct bench_msg *bm, const struct sip_msg *m,
			const sip_t *sip)
{
	struct sip_iter it;
	struct sip_str val;
	int nc = 0, sc = 0;

	if ((m->flags & SIP_MSG_REQUEST) ?
	    sip->sip_request == NULL ||
	    !str_eq_c(m->method_str, sip->sip_request->rq_method_name) :
	    sip->sip_status == NULL || sip->sip_status->st_status != m->status)
		die("%s: sipedge and sofia-sip disagree on the start line",
		    bm->name);
	if (!str_eq_c(m->call_id, sip->sip_call_id->i_id))
		die("%s: Call-ID \"%.*s\" (sipedge) vs \"%s\" (sofia-sip)",
		    bm->name, (int)m->call_id.len, m->call_id.p,
		    sip->sip_call_id->i_id);
	if (m->cseq != sip->sip_cseq->cs_seq)
		die("%s: CSeq %u (sipedge) vs %u (sofia-sip)", bm->name,
		    m->cseq, sip->sip_cseq->cs_seq);
	if (!str_eq_c(sipedge_tag(m, SIP_HDR_FROM), sip->sip_from->a_tag) ||
	    !str_eq_c(sipedge_tag(m, SIP_HDR_TO), sip->sip_to->a_tag))
		die("%s: sipedge and sofia-sip disagree on a From/To tag",
		    bm->name);
	sip_iter_init(&it);
	while (sip_value_next(m, SIP_HDR_CONTACT, &it, &val) == 1)
		nc++;
	for (const sip_contact_t *c = sip->sip_contact; c; c = c->m_next)
		sc++;
	if (nc != sc)
		die("%s: %d Contact values (sipedge) vs %d (sofia-sip)",
		    bm->name, nc, sc);
}

/* Every message must parse whole in each parser, with the fields a proxy
 * needs, the three must agree on the Via count and sipedge and sofia-sip
 * on the fields cross_check() compares. Exits on the first
 * failure, naming the file and what went wrong. */
static void mix_verify(struct bench_mix *mix)
{
	msg_mclass_t const *mc = sip_default_mclass();
	static struct sip_msg m;

	for (unsigned k = 0; k < mix->n; k++) {
		struct bench_msg *bm = &mix->msgs[k];
		const char *where = "?";
		osip_message_t *osip;
		uint64_t acc = 0;
		msg_t *msg;
		sip_t *sip;
		int r;

		r = sip_parse(bm->data, bm->len, &bench_lim, 0, &m);
		if (r < 0)
			die("%s: sip_parse refused it: %s (%s) at byte %u",
			    bm->name, sip_err_name(r), sip_err_text(r),
			    m.err_off);
		if ((uint32_t)r != bm->len || (m.flags & SIP_MSG_BODY_TRIMMED))
			die("%s: sip_parse framed %d of %u bytes: check "
			    "Content-Length", bm->name, r, bm->len);
		if (m.content_length != (int32_t)m.body.len ||
		    m.hdr_len + m.body.len != bm->len)
			die("%s: Content-Length %d but body of %u bytes",
			    bm->name, m.content_length, bm->len - m.hdr_len);
		r = proxy_view(&m, &acc, &bm->vias, &where);
		if (r < 0)
			die("%s: proxy view: %s refused: %s (%s)", bm->name,
			    where, sip_err_name(r), sip_err_text(r));

		if (osip_message_init(&osip) != 0)
			die("%s: osip_message_init failed", bm->name);
		r = osip_message_parse(osip, bm->data, bm->len);
		if (r != 0)
			die("%s: libosip2 refused it (%d)", bm->name, r);
		if (osip->from == NULL || osip->to == NULL ||
		    osip->call_id == NULL || osip->cseq == NULL)
			die("%s: libosip2 lost From/To/Call-ID/CSeq", bm->name);
		if (osip_list_size(&osip->vias) != bm->vias)
			die("%s: libosip2 saw %d Via, sipedge %d", bm->name,
			    osip_list_size(&osip->vias), bm->vias);
		osip_message_free(osip);

		msg = sofia_parse(mc, bm->data, bm->len, &r);
		sip = msg ? sip_object(msg) : NULL;
		if (r <= 0 || sip == NULL)
			die("%s: sofia-sip msg_extract refused it (%d)",
			    bm->name, r);
		if (sip->sip_error != NULL || msg_extract_errors(msg) != 0)
			die("%s: sofia-sip found erroneous headers (%s)",
			    bm->name, sip->sip_error && sip->sip_error->er_name
			    ? sip->sip_error->er_name : "?");
		if (sip->sip_from == NULL || sip->sip_to == NULL ||
		    sip->sip_call_id == NULL || sip->sip_cseq == NULL ||
		    (sip->sip_request == NULL && sip->sip_status == NULL))
			die("%s: sofia-sip lost the start line or "
			    "From/To/Call-ID/CSeq", bm->name);
		if (sofia_count_vias(sip) != bm->vias)
			die("%s: sofia-sip saw %d Via, sipedge %d", bm->name,
			    sofia_count_vias(sip), bm->vias);
		if (m.body.len != 0 && (sip->sip_payload == NULL ||
					sip->sip_payload->pl_len != m.body.len))
			die("%s: sofia-sip body length differs", bm->name);
		cross_check(bm, &m, sip);
		msg_destroy(msg);
		bench_sink += acc;
	}
}

/* ---- measurement ---- */

/* One timed run; returns messages/s. A parse failure inside a timed run
 * invalidates the figures, so it exits. */
static double bench_once(const struct bench_mix *mix, struct bench_cfg *c,
			 uint64_t passes)
{
	uint64_t bad = 0, t0, t1;

	t0 = now_ns();
	bench_sink += c->run(mix, passes, &bad);
	t1 = now_ns();
	if (bad != 0)
		die("%s: %" PRIu64 " parse failures in a timed run", c->name,
		    bad);
	if (t1 == t0)
		t1 = t0 + 1;
	return (double)(passes * mix->sched_len) * 1e9 / (double)(t1 - t0);
}

/* Fixes the passes per run: from --iters, or by doubling until a run takes
 * 50 ms and scaling to --ms. The calibration doubles as the warm-up. */
static void bench_calibrate(const struct bench_mix *mix, struct bench_cfg *c,
			    const struct bench_opts *o)
{
	uint64_t passes = 1, t0, dt;
	uint64_t bad;

	if (o->iters != 0) {
		c->passes = (o->iters + mix->sched_len - 1) / mix->sched_len;
		bench_sink += c->run(mix, 1, &bad);
		return;
	}
	for (;;) {
		t0 = now_ns();
		bench_sink += c->run(mix, passes, &bad);
		dt = now_ns() - t0;
		if (dt >= 50000000u || passes >= (1ull << 40))
			break;
		passes *= 2;
	}
	c->passes = (uint64_t)((double)passes * o->ms * 1e6 / (double)dt);
	if (c->passes == 0)
		c->passes = 1;
}

/* Parses each message alone: which message costs what. Median of five
 * short runs per file, so a noisy neighbour spoils one run, not the row. */
static void bench_per_msg(const struct bench_mix *mix, const struct bench_opts *o)
{
	static struct sip_msg m;
	const uint64_t n = o->smoke ? 100 : 200000;

	printf("\nsipedge sip_parse per message (alone, hot cache, median of 5):\n");
	printf("  %-22s %6s %8s %10s\n", "file", "bytes", "headers", "ns/msg");
	for (unsigned k = 0; k < mix->n; k++) {
		const struct bench_msg *bm = &mix->msgs[k];
		double ns[5];

		for (unsigned r = 0; r < 5; r++) {
			uint64_t t0 = now_ns(), acc = 0;

			for (uint64_t i = 0; i < n; i++)
				acc += (uint64_t)sip_parse(bm->data, bm->len,
							   &bench_lim, 0, &m);
			ns[r] = (double)(now_ns() - t0) / (double)n;
			bench_sink += acc;
		}
		printf("  %-22s %6u %8u %10.1f\n", bm->name, bm->len,
		       (unsigned)m.nhdrs, median(ns, 5));
	}
}

/* ---- output ---- */

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && c != NULL) {
			snprintf(buf, len, "%s", c + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

static double ratio(const struct bench_cfg *a, const struct bench_cfg *b)
{
	return a->on && b->on && b->med > 0 ? a->med / b->med : 0;
}

static void print_table(const struct bench_mix *mix, struct bench_cfg *cfg,
			unsigned ncfg, const struct bench_opts *o,
			const char *cpu)
{
	double avg = (double)mix->pass_bytes / mix->sched_len;

	printf("sipedge parser benchmark\n");
	printf("mix:  %s (%u files, %u messages per pass, %.0f bytes avg)\n",
	       mix->path, mix->n, mix->sched_len, avg);
	printf("cpu:  %s, %s%d\n", cpu, o->cpu >= 0 ? "pinned to cpu " :
	       "not pinned, ran on cpu ", o->cpu >= 0 ? o->cpu : sched_getcpu());
	printf("runs: %u per configuration, interleaved; median shown; "
	       "MB = 10^6 bytes\n\n", o->runs);
	printf("%-22s %12s %9s %9s %12s %8s\n", "configuration", "msgs/s",
	       "MB/s", "ns/msg", "msgs/run", "spread");
	for (unsigned i = 0; i < ncfg; i++) {
		const struct bench_cfg *c = &cfg[i];

		if (!c->on)
			continue;
		printf("%-22s %12.0f %9.1f %9.1f %12" PRIu64 " %7.1f%%\n",
		       c->name, c->med, c->med * avg / 1e6, 1e9 / c->med,
		       c->passes * mix->sched_len,
		       100 * (c->max - c->min) / c->med);
	}
	printf("\nratios of median msgs/s:\n");
	for (unsigned a = 0; a < 2; a++)
		for (unsigned b = 2; b < 4; b++)
			if (cfg[a].on && cfg[b].on)
				printf("  %-18s / %-9s %8.1fx\n", cfg[a].name,
				       cfg[b].name, ratio(&cfg[a], &cfg[b]));
}

static void print_json(const struct bench_mix *mix, struct bench_cfg *cfg,
		       unsigned ncfg, const struct bench_opts *o,
		       const char *cpu)
{
	double avg = (double)mix->pass_bytes / mix->sched_len;
	bool first = true;

	printf("{\"bench\":\"parser\",\"mix\":\"%s\",\"files\":%u,"
	       "\"msgs_per_pass\":%u,\"avg_bytes\":%.1f,\"cpu_model\":\"%s\","
	       "\"cpu\":%d,\"runs\":%u,\"results\":[", mix->path, mix->n,
	       mix->sched_len, avg, cpu, o->cpu, o->runs);
	for (unsigned i = 0; i < ncfg; i++) {
		const struct bench_cfg *c = &cfg[i];

		if (!c->on)
			continue;
		printf("%s{\"name\":\"%s\",\"msgs_per_run\":%" PRIu64 ","
		       "\"msgs_per_s\":%.0f,\"mb_per_s\":%.2f,"
		       "\"ns_per_msg\":%.2f,\"msgs_per_s_min\":%.0f,"
		       "\"msgs_per_s_max\":%.0f,\"msgs_per_s_runs\":[",
		       first ? "" : ",", c->name, c->passes * mix->sched_len,
		       c->med, c->med * avg / 1e6, 1e9 / c->med, c->min,
		       c->max);
		for (unsigned r = 0; r < o->runs; r++)
			printf("%s%.0f", r ? "," : "", c->mps[r]);
		printf("]}");
		first = false;
	}
	printf("],\"ratios\":{\"parse_vs_osip\":%.2f,\"parse_vs_sofia\":%.2f,"
	       "\"proxy_vs_osip\":%.2f,\"proxy_vs_sofia\":%.2f}}\n",
	       ratio(&cfg[0], &cfg[2]), ratio(&cfg[0], &cfg[3]),
	       ratio(&cfg[1], &cfg[2]), ratio(&cfg[1], &cfg[3]));
}

/* ---- main ---- */

static unsigned long parse_num(const char *opt, const char *s,
			       unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		die("%s \"%s\" out of range [%lu, %lu]", opt, s, lo, hi);
	return v;
}

static void usage(void)
{
	printf("usage: bench_sip [--runs N] [--iters N] [--ms N] [--cpu N] "
	       "[--only NAME] [--per-msg] [--json] [--smoke] [MIX]\n"
	       "  MIX       mix file or directory with mix.txt (default %s)\n"
	       "  --runs    timed runs per configuration, median shown (7)\n"
	       "  --iters   messages per run, same for all (default: each "
	       "run lasts --ms)\n"
	       "  --ms      target milliseconds per run when calibrating "
	       "(1000)\n"
	       "  --cpu     pin to this CPU\n"
	       "  --only    run only configurations whose name contains "
	       "NAME\n"
	       "  --per-msg also time sip_parse on each file alone\n"
	       "  --json    print one JSON object instead of the table\n"
	       "  --smoke   check the mix, one short run (a test, not a "
	       "benchmark)\n", BENCH_MIX_DIR);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"runs", required_argument, NULL, 'r'},
		{"iters", required_argument, NULL, 'i'},
		{"ms", required_argument, NULL, 'm'},
		{"cpu", required_argument, NULL, 'c'},
		{"only", required_argument, NULL, 'o'},
		{"per-msg", no_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"smoke", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench_cfg cfg[] = {
		{.name = "sipedge sip_parse", .run = run_sipedge_parse},
		{.name = "sipedge proxy view", .run = run_sipedge_proxy},
		{.name = "libosip2", .run = run_osip},
		{.name = "sofia-sip", .run = run_sofia},
	};
	const unsigned ncfg = sizeof(cfg) / sizeof(cfg[0]);
	struct bench_opts o = {.runs = 7, .ms = 1000, .cpu = -1};
	static struct bench_mix mix;
	char cpu[128];
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o.runs = (unsigned)parse_num("--runs", optarg, 1,
						     BENCH_MAX_RUNS);
			break;
		case 'i':
			o.iters = parse_num("--iters", optarg, 1, 1ul << 40);
			break;
		case 'm':
			o.ms = (unsigned)parse_num("--ms", optarg, 1, 600000);
			break;
		case 'c':
			o.cpu = (int)parse_num("--cpu", optarg, 0,
					       CPU_SETSIZE - 1);
			break;
		case 'o':
			o.only = optarg;
			break;
		case 'p':
			o.per_msg = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 's':
			o.smoke = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage();
		return 2;
	}
	if (o.smoke) {
		o.runs = 1;
		if (o.iters == 0)
			o.iters = 1;	/* rounded up to one pass */
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			die("--cpu %d: %s", o.cpu, strerror(errno));
	}
	cpu_model(cpu, sizeof(cpu));
	sip_limits_default(&bench_lim);
	if (parser_init() != 0)
		die("libosip2 parser_init failed");

	mix_load(&mix, optind < argc ? argv[optind] : BENCH_MIX_DIR);
	mix_verify(&mix);

	for (unsigned i = 0; i < ncfg; i++) {
		cfg[i].on = o.only == NULL || strstr(cfg[i].name, o.only);
		if (cfg[i].on)
			bench_calibrate(&mix, &cfg[i], &o);
	}
	/* Runs are interleaved across configurations so that a slow spell of
	 * a noisy machine hits all of them alike. */
	for (unsigned r = 0; r < o.runs; r++)
		for (unsigned i = 0; i < ncfg; i++)
			if (cfg[i].on)
				cfg[i].mps[r] = bench_once(&mix, &cfg[i],
							   cfg[i].passes);
	for (unsigned i = 0; i < ncfg; i++) {
		struct bench_cfg *c = &cfg[i];

		if (!c->on)
			continue;
		c->med = median(c->mps, o.runs);
		c->min = c->max = c->mps[0];
		for (unsigned r = 1; r < o.runs; r++) {
			c->min = c->mps[r] < c->min ? c->mps[r] : c->min;
			c->max = c->mps[r] > c->max ? c->mps[r] : c->max;
		}
	}
	if (o.json) {
		print_json(&mix, cfg, ncfg, &o, cpu);
	} else {
		print_table(&mix, cfg, ncfg, &o, cpu);
		if (o.per_msg)
			bench_per_msg(&mix, &o);
		if (o.smoke)
			printf("\nsmoke: all %u messages parse in sipedge, "
			       "libosip2 and sofia-sip\n", mix.n);
	}
	return 0;
}
