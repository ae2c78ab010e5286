/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * udpload.c - the UDP side of the proxy benchmark (tests/bench/proxy/README.md,
 * docs/bench-kamailio.md): plain C and kernel sockets, no DPDK.
 *
 *   udpload send   sends a weighted, shuffled schedule of the mix to a proxy
 *                  with sendmmsg: requests from one socket (the "client"),
 *                  responses from another (the "backend"), placeholders
 *                  substituted and @UNIQ@ made unique per message sent;
 *                  bounded by --count and --seconds, optionally paced.
 *   udpload sink   binds one or more addresses, counts what arrives with
 *                  recvmmsg, stops after --count messages, --idle-ms without
 *                  one, --seconds, or SIGINT/SIGTERM.
 *   udpload render prints one message of the mix as it would be sent.
 *
 * Every mode prints one JSON object on stdout (render: the message). Errors go
 * to stderr with exit status 2 (usage) or 1 (anything else).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES	64u
#define MAX_VARS	32u
#define MAX_UNIQ	16u	/* @UNIQ@ occurrences in one message */
#define MAX_MSG		65507u	/* the largest UDP payload over IPv4 */
#define MAX_SOCKS	8u
#define MAX_BURST	256u
#define SCHED_ROUNDS	10u	/* the schedule is the weights times this */
#define UNIQ_W		8u	/* @UNIQ@ becomes this many hex digits */
#define MAX_SECONDS	3600.0

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("udpload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs(
"usage: udpload send --to HOST:PORT --mix DIR|FILE [options]\n"
"       udpload sink --bind HOST:PORT [--bind HOST:PORT ...] [options]\n"
"       udpload render --mix DIR|FILE [--set NAME=VALUE ...] MESSAGE.sip\n"
"\n"
"send:\n"
"  --to HOST:PORT        the proxy (also the default of @GW@)\n"
"  --mix DIR|FILE        a mix.txt (\"weight filename\" lines) or its directory\n"
"  --from HOST:PORT      bind the request (client) socket here; default of\n"
"                        @CLIENT@, @CLIENT_RECEIVED@, @CLIENT_RPORT@\n"
"  --from-resp HOST:PORT bind the response (backend) socket here\n"
"  --set NAME=VALUE      the value of placeholder @NAME@ (repeatable)\n"
"  --count N             stop after N messages (0: no limit; default 0)\n"
"  --seconds S           stop after S seconds (default 10, at most 3600)\n"
"  --rate R              offered load in messages/s (0: as fast as possible)\n"
"  --burst B             messages per sendmmsg batch (default 32, max 256)\n"
"  --only requests|responses  send only that part of the mix\n"
"  --seed N              schedule shuffle seed (default 1)\n"
"  --cpu N               pin to CPU N\n"
"sink:\n"
"  --bind HOST:PORT      a socket to count on (repeatable, at most 8)\n"
"  --count N             stop after N messages in all (0: no limit)\n"
"  --idle-ms MS          stop MS ms after the last message (default 1000)\n"
"  --seconds S           stop after S seconds in all (default 60, at most 3600)\n"
"  --ready FILE          create FILE once every socket is bound\n"
"  --dump DIR            write the first --dump-count messages of each socket\n"
"                        to DIR/sockI-N.sip (default count 20)\n"
"  --rcvbuf BYTES        socket receive buffer (default 8 MiB, forced as root)\n"
"  --cpu N               pin to CPU N\n"
"render:\n"
"  --uniq N              the value @UNIQ@ stands for (default 0)\n"
"\n"
"Placeholders: @GW@ @GW_ROUTE@ @CLIENT@ @CLIENT_RECEIVED@ @CLIENT_RPORT@\n"
"@BACKEND@ @BRANCH@ @UNIQ@; see tests/bench/proxy/README.md.\n",
		stderr);
	exit(2);
}

/* ---- small helpers ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long long parse_ull(const char *opt, const char *s,
				    unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "udpload: %s: bad number \"%s\"\n", opt, s);
		exit(2);
	}
	return v;
}

static double parse_dbl(const char *opt, const char *s, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > max) {
		fprintf(stderr, "udpload: %s: bad number \"%s\"\n", opt, s);
		exit(2);
	}
	return v;
}

/* "a.b.c.d:port" or "[v6]:port" -> sockaddr. */
static socklen_t parse_addr(const char *opt, const char *s,
			    struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon;
	size_t hl;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
		host[hl] = 0;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535)
		goto bad;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return sizeof(*a4);
	}
bad:
	fprintf(stderr, "udpload: %s: \"%s\" is not IPv4:PORT or [IPv6]:PORT\n",
		opt, s);
	exit(2);
}

static void pin_cpu(long cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		die("--cpu %ld: %s", cpu, strerror(errno));
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	buf = malloc(MAX_MSG + 1);
	if (buf == NULL)
		die("out of memory");
	n = fread(buf, 1, MAX_MSG + 1, f);
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	if (n > MAX_MSG)
		die("%s: larger than %u bytes", path, MAX_MSG);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* ---- placeholders ---- */

struct var {
	char name[33];
	char value[256];
};

struct vars {
	struct var v[MAX_VARS];
	unsigned n;
};

static void var_set(struct vars *vs, const char *name, size_t nl,
		    const char *value, bool overwrite)
{
	unsigned i;

	if (nl == 0 || nl >= sizeof(vs->v[0].name))
		die("placeholder name \"%.*s\": 1 to 32 characters", (int)nl, name);
	if (strlen(value) >= sizeof(vs->v[0].value))
		die("@%.*s@: value longer than 255 characters", (int)nl, name);
	for (i = 0; i < vs->n; i++) {
		if (strlen(vs->v[i].name) == nl &&
		    memcmp(vs->v[i].name, name, nl) == 0) {
			if (overwrite)
				strcpy(vs->v[i].value, value);
			return;
		}
	}
	if (vs->n == MAX_VARS)
		die("more than %u placeholders", MAX_VARS);
	memcpy(vs->v[vs->n].name, name, nl);
	vs->v[vs->n].name[nl] = 0;
	strcpy(vs->v[vs->n].value, value);
	vs->n++;
}

static const char *var_get(const struct vars *vs, const char *name, size_t nl)
{
	unsigned i;

	for (i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == nl &&
		    memcmp(vs->v[i].name, name, nl) == 0)
			return vs->v[i].value;
	return NULL;
}

/* "NAME=VALUE" from --set. */
static void var_arg(struct vars *vs, const char *s)
{
	const char *eq = strchr(s, '=');

	if (eq == NULL) {
		fprintf(stderr, "udpload: --set %s: expected NAME=VALUE\n", s);
		exit(2);
	}
	var_set(vs, s, (size_t)(eq - s), eq + 1, true);
}

/* Defaults derived from the addresses: only where not --set. */
static void var_defaults(struct vars *vs, const char *to, const char *from)
{
	char buf[256];

	if (to != NULL) {
		var_set(vs, "GW", 2, to, false);
		snprintf(buf, sizeof(buf), "sip:%s;lr", var_get(vs, "GW", 2));
		var_set(vs, "GW_ROUTE", 8, buf, false);
	}
	if (from != NULL) {
		const char *colon = strrchr(from, ':');

		var_set(vs, "CLIENT", 6, from, false);
		if (colon != NULL) {
			snprintf(buf, sizeof(buf), "%.*s", (int)(colon - from), from);
			var_set(vs, "CLIENT_RECEIVED", 15, buf, false);
			var_set(vs, "CLIENT_RPORT", 12, colon + 1, false);
		}
	}
	var_set(vs, "BRANCH", 6, "z9hG4bK.udpload.0", false);
}

static bool is_ph_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A template rendered for sending: the bytes, and where @UNIQ@ went. */
struct msg {
	char name[256];
	char *buf;
	uint32_t len;
	bool response;
	unsigned n_uniq;
	uint32_t uniq_off[MAX_UNIQ];
	unsigned weight;
};

static void put_hex(char *p, uint64_t v)
{
	static const char hx[] = "0123456789abcdef";
	int i;

	for (i = (int)UNIQ_W - 1; i >= 0; i--) {
		p[i] = hx[v & 15];
		v >>= 4;
	}
}

/* Checks a rendered message: CRLF framing and an exact Content-Length. */
static void check_framing(const struct msg *m)
{
	const char *end = memmem(m->buf, m->len, "\r\n\r\n", 4);
	const char *p, *line;
	long cl = -1;
	size_t body;

	if (end == NULL)
		die("%s: no CRLF CRLF ending the headers", m->name);
	body = m->len - (size_t)(end + 4 - m->buf);
	for (line = m->buf; line < end; line = p + 2) {
		size_t ll;

		p = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		if (p == NULL)
			break;
		ll = (size_t)(p - line);
		if (memchr(line, '\n', ll) != NULL)
			die("%s: a bare LF in the headers", m->name);
		if (ll > 15 && strncasecmp(line, "Content-Length:", 15) == 0)
			cl = strtol(line + 15, NULL, 10);
		else if (ll > 2 && strncasecmp(line, "l:", 2) == 0)
			cl = strtol(line + 2, NULL, 10);
	}
	if (cl < 0)
		die("%s: no Content-Length", m->name);
	if ((size_t)cl != body)
		die("%s: Content-Length %ld but the body has %zu bytes", m->name,
		    cl, body);
}

/* Substitutes every @NAME@ of src (n bytes) into m. */
static void render(struct msg *m, const char *src, size_t n,
		   const struct vars *vs)
{
	char *out = malloc(MAX_MSG + 1);
	size_t o = 0, i = 0;

	if (out == NULL)
		die("out of memory");
	m->n_uniq = 0;
	while (i < n) {
		size_t j, nl;
		const char *val;
		size_t vl;

		if (src[i] != '@') {
			if (o == MAX_MSG)
				goto too_big;
			out[o++] = src[i++];
			continue;
		}
		for (j = i + 1; j < n && j - i <= 33 && is_ph_char(src[j]); j++)
			;
		nl = j - i - 1;
		if (j >= n || src[j] != '@' || nl == 0 || src[i + 1] < 'A' ||
		    src[i + 1] > 'Z') {
			/* not a placeholder: a plain '@' */
			if (o == MAX_MSG)
				goto too_big;
			out[o++] = src[i++];
			continue;
		}
		if (nl == 4 && memcmp(src + i + 1, "UNIQ", 4) == 0) {
			if (m->n_uniq == MAX_UNIQ)
				die("%s: more than %u @UNIQ@", m->name, MAX_UNIQ);
			if (o + UNIQ_W > MAX_MSG)
				goto too_big;
			m->uniq_off[m->n_uniq++] = (uint32_t)o;
			put_hex(out + o, 0);
			o += UNIQ_W;
		} else {
			val = var_get(vs, src + i + 1, nl);
			if (val == NULL)
				die("%s: placeholder @%.*s@ has no value "
				    "(--set %.*s=VALUE)", m->name, (int)nl,
				    src + i + 1, (int)nl, src + i + 1);
			vl = strlen(val);
			if (o + vl > MAX_MSG)
				goto too_big;
			memcpy(out + o, val, vl);
			o += vl;
		}
		i = j + 1;
	}
	m->buf = out;
	m->len = (uint32_t)o;
	m->response = o >= 8 && memcmp(out, "SIP/2.0 ", 8) == 0;
	check_framing(m);
	return;
too_big:
	die("%s: larger than %u bytes once rendered", m->name, MAX_MSG);
}

struct mix {
	struct msg m[MAX_FILES];
	unsigned n;
	char dir[PATH_MAX];
};

/* Reads "weight filename" lines of mix.txt (or the directory holding it). */
static void mix_load(struct mix *mx, const char *arg, const struct vars *vs)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *f;
	char line[512];
	unsigned lineno = 0;

	if (stat(arg, &st) != 0)
		die("%s: %s", arg, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		snprintf(mx->dir, sizeof(mx->dir), "%s", arg);
		if ((size_t)snprintf(path, sizeof(path), "%s/mix.txt", arg) >=
		    sizeof(path))
			die("%s: path too long", arg);
	} else {
		const char *sl = strrchr(arg, '/');

		snprintf(path, sizeof(path), "%s", arg);
		if (sl == NULL)
			snprintf(mx->dir, sizeof(mx->dir), ".");
		else
			snprintf(mx->dir, sizeof(mx->dir), "%.*s",
				 (int)(sl - arg), arg);
	}
	f = fopen(path, "r");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	mx->n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[256], fp[PATH_MAX + 256];
		unsigned w;
		char *src;
		size_t sl;
		int k;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == 0 ||
		    line[strspn(line, " \t")] == '#')
			continue;
		if (sscanf(line, "%u %255s %n", &w, name, &k) != 2 ||
		    line[k] != 0 || w == 0 || w > 100000)
			die("%s:%u: expected \"weight filename\"", path, lineno);
		if (mx->n == MAX_FILES)
			die("%s: more than %u messages", path, MAX_FILES);
		snprintf(fp, sizeof(fp), "%s/%s", mx->dir, name);
		src = read_file(fp, &sl);
		snprintf(mx->m[mx->n].name, sizeof(mx->m[0].name), "%s", name);
		mx->m[mx->n].weight = w;
		render(&mx->m[mx->n], src, sl, vs);
		free(src);
		mx->n++;
	}
	fclose(f);
	if (mx->n == 0)
		die("%s: no messages", path);
}

/* ---- send ---- */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static int udp_socket(int family, const char *bind_to, const char *opt)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	int one = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind_to != NULL) {
		struct sockaddr_storage ss;
		socklen_t sl = parse_addr(opt, bind_to, &ss);

		if (ss.ss_family != family)
			die("%s %s: not the address family of --to", opt, bind_to);
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
			die("bind %s: %s", bind_to, strerror(errno));
	}
	return fd;
}

struct slot {
	struct msg *m;
	char *buf;	/* this slot's copy: @UNIQ@ is written per send */
};

static int cmd_send(int argc, char **argv)
{
	const char *to = NULL, *mixarg = NULL, *from = NULL, *from_resp = NULL;
	const char *only = NULL;
	unsigned long long count = 0, seed = 1;
	double seconds = 10, rate = 0;
	unsigned burst = 32;
	long cpu = -1;
	struct vars vs = {.n = 0};
	static struct mix mx;
	struct sockaddr_storage dst;
	socklen_t dl;
	int fd_req, fd_resp;
	struct slot *sched;
	unsigned n_sched = 0, i, pos = 0;
	uint64_t rng;
	uint64_t sent = 0, sent_req = 0, sent_resp = 0, bytes = 0, errors = 0;
	uint64_t uniq = 0, batches = 0;
	double t0, t1, deadline;
	int last_errno = 0;

	for (i = 2; i < (unsigned)argc; i += 2) {
		const char *a = argv[i];
		const char *v = i + 1 < (unsigned)argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (strcmp(a, "--to") == 0)
			to = v;
		else if (strcmp(a, "--mix") == 0)
			mixarg = v;
		else if (strcmp(a, "--from") == 0)
			from = v;
		else if (strcmp(a, "--from-resp") == 0)
			from_resp = v;
		else if (strcmp(a, "--set") == 0)
			var_arg(&vs, v);
		else if (strcmp(a, "--count") == 0)
			count = parse_ull(a, v, 1ull << 40);
		else if (strcmp(a, "--seconds") == 0)
			seconds = parse_dbl(a, v, MAX_SECONDS);
		else if (strcmp(a, "--rate") == 0)
			rate = parse_dbl(a, v, 1e9);
		else if (strcmp(a, "--burst") == 0)
			burst = (unsigned)parse_ull(a, v, MAX_BURST);
		else if (strcmp(a, "--only") == 0)
			only = v;
		else if (strcmp(a, "--seed") == 0)
			seed = parse_ull(a, v, ULLONG_MAX);
		else if (strcmp(a, "--cpu") == 0)
			cpu = (long)parse_ull(a, v, CPU_SETSIZE - 1);
		else
			usage();
	}
	if (to == NULL || mixarg == NULL || burst == 0)
		usage();
	if (only != NULL && strcmp(only, "requests") != 0 &&
	    strcmp(only, "responses") != 0)
		usage();
	if (seconds <= 0)
		die("--seconds must be above 0");
	pin_cpu(cpu);
	var_defaults(&vs, to, from);
	mix_load(&mx, mixarg, &vs);

	/* The schedule: each message weight x SCHED_ROUNDS times, shuffled. */
	for (i = 0; i < mx.n; i++) {
		bool keep = only == NULL ||
			    (only[0] == 'r' && only[2] == 'q') == !mx.m[i].response;

		if (keep)
			n_sched += mx.m[i].weight * SCHED_ROUNDS;
	}
	if (n_sched == 0)
		die("--only %s: nothing of the mix is left", only);
	sched = calloc(n_sched, sizeof(*sched));
	if (sched == NULL)
		die("out of memory");
	n_sched = 0;
	for (i = 0; i < mx.n; i++) {
		unsigned k;
		bool keep = only == NULL ||
			    (only[0] == 'r' && only[2] == 'q') == !mx.m[i].response;

		if (!keep)
			continue;
		for (k = 0; k < mx.m[i].weight * SCHED_ROUNDS; k++) {
			sched[n_sched].m = &mx.m[i];
			sched[n_sched].buf = malloc(mx.m[i].len);
			if (sched[n_sched].buf == NULL)
				die("out of memory");
			memcpy(sched[n_sched].buf, mx.m[i].buf, mx.m[i].len);
			n_sched++;
		}
	}
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	for (i = n_sched - 1; i > 0; i--) {
		unsigned j = (unsigned)(xorshift(&rng) % (i + 1));
		struct slot t = sched[i];

		sched[i] = sched[j];
		sched[j] = t;
	}

	dl = parse_addr("--to", to, &dst);
	fd_req = udp_socket(dst.ss_family, from, "--from");
	fd_resp = udp_socket(dst.ss_family, from_resp, "--from-resp");
	if (connect(fd_req, (struct sockaddr *)&dst, dl) != 0 ||
	    connect(fd_resp, (struct sockaddr *)&dst, dl) != 0)
		die("connect %s: %s", to, strerror(errno));
	{
		int sz = 4 << 20;

		setsockopt(fd_req, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(fd_resp, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	catch_signals();

	t0 = now_s();
	deadline = t0 + seconds;
	while (!g_stop && (count == 0 || sent < count)) {
		struct mmsghdr mq[MAX_BURST], mr[MAX_BURST];
		struct iovec iq[MAX_BURST], ir[MAX_BURST];
		unsigned nq = 0, nr = 0, want = burst, k;
		double t = now_s();

		if (t >= deadline)
			break;
		if (count != 0 && count - sent < want)
			want = (unsigned)(count - sent);
		if (rate > 0) {
			/* message number `sent` is due at t0 + sent / rate */
			double due = t0 + (double)sent / rate;

			if (due > t) {
				if (due - t > 200e-6) {
					struct timespec ts;
					double d = due - t - 100e-6;

					ts.tv_sec = (time_t)d;
					ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
					nanosleep(&ts, NULL);
				}
				continue;
			}
			/* behind schedule: catch up, one burst at a time */
		}
		for (k = 0; k < want; k++) {
			struct slot *s = &sched[pos];
			struct msg *m = s->m;
			unsigned u;

			if (++pos == n_sched)
				pos = 0;
			for (u = 0; u < m->n_uniq; u++)
				put_hex(s->buf + m->uniq_off[u], uniq);
			uniq++;
			if (m->response) {
				ir[nr].iov_base = s->buf;
				ir[nr].iov_len = m->len;
				memset(&mr[nr], 0, sizeof(mr[nr]));
				mr[nr].msg_hdr.msg_iov = &ir[nr];
				mr[nr].msg_hdr.msg_iovlen = 1;
				nr++;
			} else {
				iq[nq].iov_base = s->buf;
				iq[nq].iov_len = m->len;
				memset(&mq[nq], 0, sizeof(mq[nq]));
				mq[nq].msg_hdr.msg_iov = &iq[nq];
				mq[nq].msg_hdr.msg_iovlen = 1;
				nq++;
			}
		}
		/* Both halves of the burst; a message refused (ECONNREFUSED
		 * from an earlier ICMP, ENOBUFS) is counted and skipped. */
		for (k = 0; k < 2; k++) {
			struct mmsghdr *mv = k ? mr : mq;
			unsigned n = k ? nr : nq, done = 0;
			int fd = k ? fd_resp : fd_req;

			while (done < n) {
				int r = sendmmsg(fd, mv + done, n - done, 0);
				unsigned j;

				if (r < 0) {
					if (errno == EINTR)
						continue;
					last_errno = errno;
					errors++;
					done++;
					continue;
				}
				for (j = done; j < done + (unsigned)r; j++)
					bytes += mv[j].msg_hdr.msg_iov->iov_len;
				done += (unsigned)r;
				if (k)
					sent_resp += (unsigned)r;
				else
					sent_req += (unsigned)r;
			}
		}
		sent += want;
		batches++;
	}
	t1 = now_s();

	printf("{\"mode\":\"send\",\"to\":\"%s\",\"messages\":%u,"
	       "\"schedule\":%u,\"sent\":%" PRIu64 ",\"requests\":%" PRIu64
	       ",\"responses\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"errors\":%" PRIu64 ",\"last_error\":\"%s\","
	       "\"batches\":%" PRIu64 ",\"seconds\":%.6f,\"offered_rate\":%.1f,"
	       "\"rate\":%.1f}\n",
	       to, mx.n, n_sched, sent_req + sent_resp, sent_req, sent_resp,
	       bytes, errors, last_errno ? strerror(last_errno) : "",
	       batches, t1 - t0, rate,
	       t1 > t0 ? (double)(sent_req + sent_resp) / (t1 - t0) : 0.0);
	return 0;
}

/* ---- sink ---- */

struct sink_sock {
	const char *addr;
	int fd;
	uint64_t msgs, bytes, requests, responses;
	unsigned dumped;
};

static int cmd_sink(int argc, char **argv)
{
	struct sink_sock sk[MAX_SOCKS];
	unsigned n_sk = 0, i, dump_count = 20;
	unsigned long long count = 0, idle_ms = 1000, rcvbuf = 8u << 20;
	double seconds = 60;
	const char *ready = NULL, *dump = NULL;
	long cpu = -1;
	struct pollfd pfd[MAX_SOCKS];
	static char bufs[64][MAX_MSG + 1];
	struct mmsghdr mv[64];
	struct iovec iov[64];
	uint64_t total = 0, bytes = 0;
	double t_start, t_first = 0, t_last = 0, deadline;
	const char *why = "seconds";

	for (i = 2; i < (unsigned)argc; i += 2) {
		const char *a = argv[i];
		const char *v = i + 1 < (unsigned)argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (strcmp(a, "--bind") == 0) {
			if (n_sk == MAX_SOCKS)
				die("at most %u --bind", MAX_SOCKS);
			memset(&sk[n_sk], 0, sizeof(sk[0]));
			sk[n_sk++].addr = v;
		} else if (strcmp(a, "--count") == 0)
			count = parse_ull(a, v, 1ull << 40);
		else if (strcmp(a, "--idle-ms") == 0)
			idle_ms = parse_ull(a, v, 3600000);
		else if (strcmp(a, "--seconds") == 0)
			seconds = parse_dbl(a, v, MAX_SECONDS);
		else if (strcmp(a, "--ready") == 0)
			ready = v;
		else if (strcmp(a, "--dump") == 0)
			dump = v;
		else if (strcmp(a, "--dump-count") == 0)
			dump_count = (unsigned)parse_ull(a, v, 10000);
		else if (strcmp(a, "--rcvbuf") == 0)
			rcvbuf = parse_ull(a, v, 1u << 30);
		else if (strcmp(a, "--cpu") == 0)
			cpu = (long)parse_ull(a, v, CPU_SETSIZE - 1);
		else
			usage();
	}
	if (n_sk == 0)
		usage();
	pin_cpu(cpu);
	for (i = 0; i < n_sk; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = parse_addr("--bind", sk[i].addr, &ss);
		int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
		int sz = (int)rcvbuf;

		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
			die("bind %s: %s", sk[i].addr, strerror(errno));
		sk[i].fd = fd;
		pfd[i].fd = fd;
		pfd[i].events = POLLIN;
	}
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MAX_MSG;
	}
	catch_signals();
	if (ready != NULL) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			die("%s: %s", ready, strerror(errno));
		close(fd);
	}

	t_start = now_s();
	deadline = t_start + seconds;
	for (;;) {
		double t = now_s();
		int timeout_ms, r;

		if (g_stop) {
			why = "signal";
			break;
		}
		if (count != 0 && total >= count) {
			why = "count";
			break;
		}
		if (t >= deadline) {
			why = "seconds";
			break;
		}
		if (total > 0 && (t - t_last) * 1000.0 >= (double)idle_ms) {
			why = "idle";
			break;
		}
		timeout_ms = (int)((deadline - t) * 1000.0) + 1;
		if (total > 0) {
			int it = (int)((double)idle_ms - (t - t_last) * 1000.0) + 1;

			if (it < timeout_ms)
				timeout_ms = it;
		}
		r = poll(pfd, n_sk, timeout_ms);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (i = 0; i < n_sk; i++) {
			int n, j;

			if (!(pfd[i].revents & POLLIN))
				continue;
			for (j = 0; j < 64; j++) {
				memset(&mv[j].msg_hdr, 0, sizeof(mv[j].msg_hdr));
				mv[j].msg_hdr.msg_iov = &iov[j];
				mv[j].msg_hdr.msg_iovlen = 1;
			}
			n = recvmmsg(sk[i].fd, mv, 64, MSG_DONTWAIT, NULL);
			if (n <= 0)
				continue;
			t_last = now_s();
			if (total == 0)
				t_first = t_last;
			for (j = 0; j < n; j++) {
				unsigned len = mv[j].msg_len;

				sk[i].msgs++;
				sk[i].bytes += len;
				if (len >= 8 && memcmp(bufs[j], "SIP/2.0 ", 8) == 0)
					sk[i].responses++;
				else
					sk[i].requests++;
				if (dump != NULL && sk[i].dumped < dump_count) {
					char p[PATH_MAX];
					FILE *f;

					snprintf(p, sizeof(p), "%s/sock%u-%03u.sip",
						 dump, i, sk[i].dumped);
					f = fopen(p, "wb");
					if (f == NULL)
						die("%s: %s", p, strerror(errno));
					fwrite(bufs[j], 1, len, f);
					fclose(f);
					sk[i].dumped++;
				}
			}
			total += (unsigned)n;
		}
	}
	for (i = 0; i < n_sk; i++)
		bytes += sk[i].bytes;
	printf("{\"mode\":\"sink\",\"stopped_by\":\"%s\",\"received\":%" PRIu64
	       ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"rate\":%.1f,"
	       "\"sockets\":[", why, total, bytes, t_last - t_first,
	       t_last > t_first ? (double)total / (t_last - t_first) : 0.0);
	for (i = 0; i < n_sk; i++)
		printf("%s{\"bind\":\"%s\",\"received\":%" PRIu64
		       ",\"bytes\":%" PRIu64 ",\"requests\":%" PRIu64
		       ",\"responses\":%" PRIu64 "}", i ? "," : "", sk[i].addr,
		       sk[i].msgs, sk[i].bytes, sk[i].requests, sk[i].responses);
	printf("]}\n");
	return 0;
}

/* ---- render ---- */

static int cmd_render(int argc, char **argv)
{
	const char *mixarg = NULL, *file = NULL;
	struct vars vs = {.n = 0};
	unsigned long long uq = 0;
	static struct mix mx;
	unsigned i;

	i = 2;
	while (i < (unsigned)argc) {
		const char *a = argv[i];
		const char *v = i + 1 < (unsigned)argc ? argv[i + 1] : NULL;

		if (a[0] != '-') {
			if (file != NULL)
				usage();
			file = a;
			i++;
			continue;
		}
		if (v == NULL)
			usage();
		if (strcmp(a, "--mix") == 0)
			mixarg = v;
		else if (strcmp(a, "--set") == 0)
			var_arg(&vs, v);
		else if (strcmp(a, "--uniq") == 0)
			uq = parse_ull(a, v, 0xffffffffull);
		else
			usage();
		i += 2;
	}
	if (mixarg == NULL || file == NULL)
		usage();
	/* Defaults that make every message of the shipped mix render: the
	 * proxy, the client and the backend on documentation addresses. */
	var_set(&vs, "BACKEND", 7, "192.0.2.20:5060", false);
	var_defaults(&vs, "192.0.2.10:5060", "198.51.100.23:5060");
	mix_load(&mx, mixarg, &vs);
	for (i = 0; i < mx.n; i++) {
		struct msg *m = &mx.m[i];
		unsigned u;

		if (strcmp(m->name, file) != 0)
			continue;
		for (u = 0; u < m->n_uniq; u++)
			put_hex(m->buf + m->uniq_off[u], uq);
		if (fwrite(m->buf, 1, m->len, stdout) != m->len)
			die("write: %s", strerror(errno));
		return 0;
	}
	die("%s: not in the mix", file);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc, argv);
	if (strcmp(argv[1], "sink") == 0)
		return cmd_sink(argc, argv);
	if (strcmp(argv[1], "render") == 0)
		return cmd_render(argc, argv);
	usage();
}
