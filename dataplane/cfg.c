/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cfg.c - the dataplane's YAML configuration (docs/config.md).
 *
 * The keys are the lines of cfg_keys.def, expanded here into one table that
 * drives everything: the lookup of each key in its section, the type check
 * and parse of its value, its bounds, its default and its row in the docs.
 * What the table cannot say (a gateway inside its subnet, two ports on one
 * device...) is in the cross-checks at the end of cfg_load.
 *
 * The file is read whole (at most 1 MiB), scanned once by libyaml's event
 * parser to refuse what the config does not use (anchors, aliases, tags, a
 * second document) and to report syntax errors with line and column, then
 * loaded as a libyaml document and walked against the table. Every error
 * stops the load and is one line: FILE:LINE: KEY.PATH: "VALUE" why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "cfg.h"

#define CFG_FILE_MAX	(1u << 20) /* a config is a few KB; 1 MiB is a mistake */
#define CFG_NO_HUGE_MB	512u	   /* -m without hugepages: the EAL's 64 MB
				    * does not hold the default mbuf pool */
#define CFG_LIST_MAX	32u	   /* the longest scalar list (eal.extra_args) */

enum cfg_type {
	CFG_T_UINT = 1, /* decimal digits, lo..hi */
	CFG_T_POW2,	/* the same, a power of two */
	CFG_T_BOOL,	/* true | false */
	CFG_T_NAME,	/* [A-Za-z0-9_-], length lo..hi */
	CFG_T_TEXT,	/* printable ASCII, length lo..hi */
	CFG_T_ARG,	/* an EAL argument: printable ASCII, length lo..hi */
	CFG_T_ROLE,	/* access | core */
	CFG_T_VDEV,	/* DPDK vdev: name[,key=value...] */
	CFG_T_PCI,	/* [domain:]bus:dev.fn */
	CFG_T_NET4,	/* IPv4/prefix */
	CFG_T_NET6,	/* IPv6/prefix */
	CFG_T_IP4,
	CFG_T_IP6,
	CFG_T_IP,	/* either family */
	CFG_T_MAC,
	CFG_T_ADDR,	/* IPv4:port, [IPv6]:port */
	CFG_T_HEX,	/* hi hex digits into size bytes */
	CFG_T_MAP,	/* a section: a mapping */
	CFG_T_ITEMS,	/* a section: a list of mappings */
};

/* How each type is named in messages ("expected an integer") and in the
 * docs' type column. */
static const struct {
	const char *a, *doc;
} cfg_type_name[] = {
	[CFG_T_UINT] = {"an integer", "integer"},
	[CFG_T_POW2] = {"an integer", "integer"},
	[CFG_T_BOOL] = {"a boolean", "boolean"},
	[CFG_T_NAME] = {"a name", "name"},
	[CFG_T_TEXT] = {"a string", "string"},
	[CFG_T_ARG] = {"a string", "string"},
	[CFG_T_ROLE] = {"a role", "role"},
	[CFG_T_VDEV] = {"a device string", "vdev string"},
	[CFG_T_PCI] = {"a PCI address", "PCI address"},
	[CFG_T_NET4] = {"an IPv4 address/prefix", "IPv4/prefix"},
	[CFG_T_NET6] = {"an IPv6 address/prefix", "IPv6/prefix"},
	[CFG_T_IP4] = {"an IPv4 address", "IPv4 address"},
	[CFG_T_IP6] = {"an IPv6 address", "IPv6 address"},
	[CFG_T_IP] = {"an IP address", "IP address"},
	[CFG_T_MAC] = {"a MAC address", "MAC address"},
	[CFG_T_ADDR] = {"an IP:port", "IP:port"},
	[CFG_T_HEX] = {"a hex string", "hex string"},
	[CFG_T_MAP] = {"a mapping", "mapping"},
	[CFG_T_ITEMS] = {"a list of mappings", "list of mappings"},
};

enum cfg_sec {
	CFG_SEC_root = 0,
#define MAP(id, parent, help) CFG_SEC_##id,
#define ITEMS(id, parent, field, nfield, nlo, nhi, help) CFG_SEC_##id,
#include "cfg_keys.def"
	CFG_SEC__COUNT
};

enum cfg_key_id {
#define MAP(id, parent, help) CFG_KEY_##parent##_##id,
#define ITEMS(id, parent, field, nfield, nlo, nhi, help) CFG_KEY_##parent##_##id,
#define KEY(sec, name, ...) CFG_KEY_##sec##_##name,
#define NET(sec, name, ...) CFG_KEY_##sec##_##name,
#define LIST(sec, name, ...) CFG_KEY_##sec##_##name,
#include "cfg_keys.def"
	CFG_KEY__COUNT
};

struct cfg_key {
	const char *name;
	uint8_t sec;	     /* enum cfg_sec it is written in */
	uint8_t type;	     /* enum cfg_type; of each element for a list */
	uint8_t child;	     /* MAP, ITEMS: the section it opens */
	bool list;	     /* a list of scalars */
	uint32_t off, size;  /* its field in the section's struct; for a list or
			      * ITEMS, the array and the size of one element */
	uint32_t off2;	     /* NET: prefix length; list, ITEMS: the count */
	uint64_t lo, hi;     /* value, length, prefix or port bounds */
	uint32_t nlo, nhi;   /* list, ITEMS: number of entries */
	const char *def;     /* CFG_REQUIRED (NULL), CFG_NONE (""), or text */
	const char *example, *help;
	const char *lo_doc, *hi_doc; /* bounds as written in the .def */
};

/* Compile-time checks of a row against its field, so that a bound the field
 * cannot hold fails the build rather than truncating: a negative array size
 * is an error, and the check adds 0 to the value. */
#define CFG_ASSERT(cond, v) ((v) + 0 * sizeof(char[(cond) ? 1 : -1]))
#define CFG_UMAX(size) (~0ull >> (8 * (8 - ((size) > 8 ? 8 : (size)))))
#define CFG_IS_STR(t) ((t) == CFG_T_NAME || (t) == CFG_T_TEXT || \
		       (t) == CFG_T_ARG || (t) == CFG_T_VDEV || (t) == CFG_T_PCI)
#define CFG_FITS(t, hi, size)                                                \
	((t) == CFG_T_UINT || (t) == CFG_T_POW2 ? ((uint64_t)(hi) & ~CFG_UMAX(size)) == 0 : \
	 (t) == CFG_T_HEX ? (uint64_t)(hi) == 2 * (uint64_t)(size) :         \
	 CFG_IS_STR(t) ? (uint64_t)(hi) < (size) : 1)
#define CFG_SIZE(sec, f) sizeof(((CFG_OBJ_##sec *)0)->f)
#define CFG_CAP(sec, f) (CFG_SIZE(sec, f) / CFG_SIZE(sec, f[0]))

static const struct cfg_key cfg_keys[CFG_KEY__COUNT] = {
#define MAP(id, parent, h_)                                                  \
	{.name = #id, .sec = CFG_SEC_##parent, .type = CFG_T_MAP,            \
	 .child = CFG_SEC_##id, .help = h_},
#define ITEMS(id, parent, field, nfield, nlo_, nhi_, h_)                     \
	{.name = #id, .sec = CFG_SEC_##parent, .type = CFG_T_ITEMS,          \
	 .child = CFG_SEC_##id, .off = offsetof(CFG_OBJ_##parent, field),    \
	 .size = CFG_SIZE(parent, field[0]),                                 \
	 .off2 = offsetof(CFG_OBJ_##parent, nfield), .nlo = nlo_,            \
	 .nhi = CFG_ASSERT(nhi_ <= CFG_CAP(parent, field), nhi_), .help = h_},
#define KEY(sec_, name_, type_, field, lo_, hi_, def_, ex_, h_)              \
	{.name = #name_, .sec = CFG_SEC_##sec_, .type = CFG_T_##type_,       \
	 .off = offsetof(CFG_OBJ_##sec_, field), .size = CFG_SIZE(sec_, field), \
	 .lo = lo_,                                                          \
	 .hi = CFG_ASSERT(CFG_FITS(CFG_T_##type_, hi_, CFG_SIZE(sec_, field)), hi_), \
	 .def = def_, .example = ex_, .help = h_, .lo_doc = #lo_, .hi_doc = #hi_},
#define NET(sec_, name_, type_, field, pfield, lo_, hi_, ex_, h_)            \
	{.name = #name_, .sec = CFG_SEC_##sec_, .type = CFG_T_##type_,       \
	 .off = offsetof(CFG_OBJ_##sec_, field), .size = CFG_SIZE(sec_, field), \
	 .off2 = offsetof(CFG_OBJ_##sec_, pfield), .lo = lo_, .hi = hi_,     \
	 .def = CFG_NONE, .example = ex_, .help = h_, .lo_doc = #lo_, .hi_doc = #hi_},
#define LIST(sec_, name_, type_, field, nfield, nlo_, nhi_, lo_, hi_, def_, ex_, h_) \
	{.name = #name_, .sec = CFG_SEC_##sec_, .type = CFG_T_##type_,       \
	 .list = true, .off = offsetof(CFG_OBJ_##sec_, field),               \
	 .size = CFG_SIZE(sec_, field[0]),                                   \
	 .off2 = offsetof(CFG_OBJ_##sec_, nfield), .lo = lo_,                \
	 .hi = CFG_ASSERT(CFG_FITS(CFG_T_##type_, hi_, CFG_SIZE(sec_, field[0])), hi_), \
	 .nlo = nlo_,                                                        \
	 .nhi = CFG_ASSERT(nhi_ <= CFG_CAP(sec_, field) && nhi_ <= CFG_LIST_MAX, nhi_), \
	 .def = def_, .example = ex_, .help = h_, .lo_doc = #lo_, .hi_doc = #hi_},
#include "cfg_keys.def"
};

/* The key that opens section s (NULL for the root). */
static const struct cfg_key *sec_key(unsigned s)
{
	for (unsigned i = 0; s != CFG_SEC_root && i < CFG_KEY__COUNT; i++)
		if ((cfg_keys[i].type == CFG_T_MAP || cfg_keys[i].type == CFG_T_ITEMS) &&
		    cfg_keys[i].child == s)
			return &cfg_keys[i];
	return NULL;
}

/* The section whose struct holds the keys of s: s itself for a list of
 * mappings, its parent's for a plain mapping. */
static unsigned sec_obj(unsigned s)
{
	const struct cfg_key *k;

	while ((k = sec_key(s)) != NULL && k->type == CFG_T_MAP)
		s = k->sec;
	return s;
}

/* "ports[].neighbours[]": the path of a section, for the docs and hints. */
static void sec_path(unsigned s, char *buf, size_t len)
{
	const struct cfg_key *k = sec_key(s);
	char up[64];

	if (k == NULL) {
		buf[0] = '\0';
		return;
	}
	sec_path(k->sec, up, sizeof(up));
	snprintf(buf, len, "%s%s%s%s", up, up[0] ? "." : "", k->name,
		 k->type == CFG_T_ITEMS ? "[]" : "");
}

/* ---- scalar values ---- */

static bool is_null(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	       (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
			   !memcmp(s, "NULL", 4)));
}

/* Decimal digits only: no sign, no 0x, no exponent, no underscores, and no
 * leading zero (YAML 1.1 reads 010 as octal 8). Returns 0 with *v saturated
 * at UINT64_MAX on overflow (it is then out of any range), -EINVAL. */
static int parse_uint(const char *s, size_t n, uint64_t *v, const char **why)
{
	uint64_t x = 0;

	*why = "is not an unsigned decimal integer";
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		x = x > (UINT64_MAX - 9) / 10 ? UINT64_MAX : x * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > 1 && s[0] == '0') {
		*why = "has a leading zero (read as octal by some YAML tools)";
		return -EINVAL;
	}
	*v = x;
	return 0;
}

/* cfg_parse_ip - a dotted quad or an RFC 4291 text address (no zone, no
 * prefix), chosen by the presence of ':'; inet_pton refuses octal and short
 * forms. Any thread; *ip is zeroed first. */
int cfg_parse_ip(const char *s, struct dp_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, ip->a) != 1)
			return -EINVAL;
		ip->af = 6;
	} else {
		if (inet_pton(AF_INET, s, ip->a) != 1)
			return -EINVAL;
		ip->af = 4;
	}
	return 0;
}

/* cfg_fmt_addr - inet_ntop's text, "none" for af 0; with a port,
 * "a.b.c.d:port" or "[v6]:port". Truncates to len; returns buf. Any thread. */
const char *cfg_fmt_addr(const struct dp_ip *ip, uint16_t port, char *buf,
			 size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ip->af != 4 && ip->af != 6)
		snprintf(a, sizeof(a), "none");
	else
		inet_ntop(ip->af == 4 ? AF_INET : AF_INET6, ip->a, a, sizeof(a));
	if (port == 0)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, ip->af == 6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

/* Why ip cannot be an address of ours, a gateway, a neighbour or a backend;
 * NULL when it can. */
static const char *ip_unusable(const struct dp_ip *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t zero[16];
	const uint8_t *a = ip->a;

	if (ip->af == 4) {
		if (a[0] == 0)
			return "is in 0.0.0.0/8, not a host address";
		if (a[0] == 127)
			return "is a loopback address";
		if (a[0] >= 224 && a[0] < 240)
			return "is a multicast address";
		if (a[0] >= 240)
			return "is a reserved or broadcast address";
		return NULL;
	}
	if (memcmp(a, zero, 16) == 0)
		return "is the unspecified address";
	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return "is the loopback address";
	if (a[0] == 0xff)
		return "is a multicast address";
	if (memcmp(a, mapped, 12) == 0)
		return "is an IPv4-mapped address (write the IPv4 address)";
	return NULL;
}

/* Whether a is inside net/plen (same family). */
static bool ip_in_net(const struct dp_ip *a, const struct dp_ip *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (a->af != net->af || memcmp(a->a, net->a, full) != 0)
		return false;
	return rest == 0 ||
	       ((a->a[full] ^ net->a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* s[0..n) (no NUL inside) into a C string; false if it does not fit. */
static bool cstr(char *dst, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* One IP address of family af (4, 6, or 0 for either). */
static const char *parse_ip(const char *s, size_t n, unsigned af, struct dp_ip *ip)
{
	char b[INET6_ADDRSTRLEN + 1];

	if (!cstr(b, sizeof(b), s, n) || cfg_parse_ip(b, ip) != 0)
		return af == 4 ? "is not an IPv4 address" :
		       af == 6 ? "is not an IPv6 address" : "is not an IP address";
	if (af != 0 && ip->af != af)
		return af == 4 ? "is not an IPv4 address" : "is not an IPv6 address";
	return ip_unusable(ip);
}

static const char *parse_net(const char *s, size_t n, unsigned af,
			     const struct cfg_key *k, struct dp_ip *ip, uint8_t *plen)
{
	static char why[64];
	const char *slash = memchr(s, '/', n), *e;
	uint64_t v;

	if (slash == NULL)
		return "needs a prefix length: address/prefix";
	if ((e = parse_ip(s, (size_t)(slash - s), af, ip)) != NULL)
		return e;
	if (parse_uint(slash + 1, n - (size_t)(slash + 1 - s), &v, &e) != 0)
		return "has a prefix length that is not a decimal integer";
	if (v < k->lo || v > k->hi) {
		snprintf(why, sizeof(why), "prefix length out of range [%" PRIu64 ", %" PRIu64 "]",
			 k->lo, k->hi);
		return why;
	}
	*plen = (uint8_t)v;
	if (af == 4 && v <= 30) {
		/* the host part all zeros or all ones is the subnet's network
		 * or broadcast address, never an interface's */
		uint32_t h = (uint32_t)ip->a[0] << 24 | (uint32_t)ip->a[1] << 16 |
			     (uint32_t)ip->a[2] << 8 | ip->a[3];
		uint32_t host = ~0u >> v;

		if ((h & host) == 0)
			return "is the network address of its subnet";
		if ((h & host) == host)
			return "is the broadcast address of its subnet";
	}
	return NULL;
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' :
	       ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
	       ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* n hex digits into n/2 bytes; -1 when one is not a hex digit. */
static int parse_hex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		int h = hexval(s[i]), l = hexval(s[i + 1]);

		if (h < 0 || l < 0)
			return -1;
		out[i / 2] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

static const char *parse_mac(const char *s, size_t n, uint8_t *mac)
{
	static const uint8_t zero[6];

	if (n != 17)
		return "is not a MAC address (six hex pairs: 02:00:00:00:00:01)";
	for (unsigned i = 0; i < 6; i++)
		if ((i < 5 && s[3 * i + 2] != ':') || parse_hex(s + 3 * i, 2, mac + i) != 0)
			return "is not a MAC address (six hex pairs: 02:00:00:00:00:01)";
	if (mac[0] & 1)
		return "is a multicast or broadcast MAC address";
	if (memcmp(mac, zero, 6) == 0)
		return "is the all-zero MAC address";
	return NULL;
}

/* "0000:03:00.0" or "03:00.0", into the full lowercase form the EAL names
 * the device by (PCI_PRI_FMT). */
static const char *parse_pci(const char *s, size_t n, char *dst, size_t len)
{
	unsigned v[4] = {0}, w[4] = {4, 2, 2, 1}, i = n == 7 ? 1 : 0;
	const char *sep = ":.";
	size_t at = 0;

	if (n != 7 && n != 12)
		goto bad;
	for (; i < 4; i++) {
		for (unsigned d = 0; d < w[i]; d++, at++) {
			int h = hexval(s[at]);

			if (h < 0)
				goto bad;
			v[i] = v[i] << 4 | (unsigned)h;
		}
		if (i < 3 && s[at++] != sep[i == 2])
			goto bad;
	}
	if (v[2] > 0x1f || v[3] > 7)
		goto bad;
	snprintf(dst, len, "%04x:%02x:%02x.%x", v[0], v[1], v[2], v[3]);
	return NULL;
bad:
	return "is not a PCI address (domain:bus:device.function, 0000:03:00.0)";
}

static const char *parse_addr(const char *s, size_t n, const struct cfg_key *k,
			      struct dp_addr *a)
{
	static char why[64];
	const char *colon, *ip = s, *e;
	size_t iplen;
	uint64_t port;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || rb + 1 == s + n || rb[1] != ':')
			return "is not [IPv6]:port";
		ip = s + 1;
		iplen = (size_t)(rb - ip);
		colon = rb + 1;
		if ((e = parse_ip(ip, iplen, 6, &a->ip)) != NULL)
			return e;
	} else {
		colon = memchr(s, ':', n);
		if (colon == NULL)
			return "needs a port: IPv4:port or [IPv6]:port";
		if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) != NULL)
			return "is not IPv4:port; an IPv6 address goes in brackets: [2001:db8::2]:5060";
		iplen = (size_t)(colon - s);
		if ((e = parse_ip(ip, iplen, 4, &a->ip)) != NULL)
			return e;
	}
	if (parse_uint(colon + 1, n - (size_t)(colon + 1 - s), &port, &e) != 0)
		return "has a port that is not a decimal integer";
	if (port < k->lo || port > k->hi) {
		snprintf(why, sizeof(why), "port out of range [%" PRIu64 ", %" PRIu64 "]",
			 k->lo, k->hi);
		return why;
	}
	a->port = (uint16_t)port;
	return NULL;
}

/* EAL options the config sets itself: given again in eal.extra_args they
 * would contradict it (two -l, a second --file-prefix). */
static const char *const eal_owned[] = {
	"-l", "-c", "--lcores", "--main-lcore", "--master-lcore", "--file-prefix",
	"--no-huge", "-m", "--no-pci",
};

static const char *check_text(const struct cfg_key *k, const char *s, size_t n)
{
	static char why[96];
	bool name = k->type == CFG_T_NAME, vdev = k->type == CFG_T_VDEV;
	const char *comma = memchr(s, ',', n);
	size_t dev = vdev && comma != NULL ? (size_t)(comma - s) : n; /* device name */

	if (n < k->lo || n > k->hi) {
		snprintf(why, sizeof(why), "has %zu characters, not %" PRIu64 " to %" PRIu64,
			 n, k->lo, k->hi);
		return why;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '_';

		if (name && !word && ch != '-')
			return "may hold only letters, digits, '_' and '-'";
		if (vdev && i < dev && !word)
			return "has a device name (before the first ',') that is not letters, digits and '_'";
		if (vdev && ch == ' ')
			return "holds a space";
		if (ch < 0x20 || ch > 0x7e)
			return "holds a character that is not printable ASCII";
	}
	if (k->type == CFG_T_TEXT && (s[0] == ' ' || s[n - 1] == ' '))
		return "starts or ends with a space";
	if (vdev && dev == 0)
		return "has no device name before its arguments";
	if (k->type == CFG_T_ARG)
		for (size_t i = 0; i < sizeof(eal_owned) / sizeof(eal_owned[0]); i++) {
			size_t l = strlen(eal_owned[i]);
			bool lng = eal_owned[i][1] == '-';

			if (n >= l && memcmp(s, eal_owned[i], l) == 0 &&
			    (n == l || !lng || s[l] == '=')) {
				snprintf(why, sizeof(why),
					 "is an option the config sets itself (%s)", eal_owned[i]);
				return why;
			}
		}
	return NULL;
}

static void store_uint(void *dst, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	memcpy(dst, size == 1 ? (void *)&u8 : size == 2 ? (void *)&u16 :
		    size == 4 ? (void *)&u32 : (void *)&v, size);
}

/* set_scalar - parse s[0..n) (the text of a scalar, plain or quoted) as key
 * k and store it in element idx of k's field in obj. Returns NULL, or why the
 * value is refused (a static string, good until the next call). */
static const char *set_scalar(const struct cfg_key *k, void *obj, unsigned idx,
			      const char *s, size_t n, bool plain)
{
	static char why[96];
	uint8_t *dst = (uint8_t *)obj + k->off + (size_t)idx * k->size;
	const char *e = NULL;
	uint64_t v;

	if (memchr(s, '\0', n) != NULL)
		return "holds a NUL character";
	if (plain && is_null(s, n))
		return "is empty (leave the key out for its default)";
	switch (k->type) {
	case CFG_T_UINT:
	case CFG_T_POW2:
		if (!plain)
			return "is quoted: a number is written without quotes";
		if (parse_uint(s, n, &v, &e) != 0)
			return e;
		if (v < k->lo || v > k->hi) {
			snprintf(why, sizeof(why), "out of range [%" PRIu64 ", %" PRIu64 "]",
				 k->lo, k->hi);
			return why;
		}
		if (k->type == CFG_T_POW2 && (v & (v - 1)) != 0)
			return "is not a power of two";
		store_uint(dst, k->size, v);
		return NULL;
	case CFG_T_BOOL:
		if (!plain)
			return "is quoted: a boolean is true or false, without quotes";
		if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) ||
				!memcmp(s, "TRUE", 4))) ||
		    (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) ||
				!memcmp(s, "FALSE", 5)))) {
			*(bool *)dst = s[0] == 't' || s[0] == 'T';
			return NULL;
		}
		return "is not a boolean: write true or false";
	case CFG_T_ROLE:
		if (n == 6 && memcmp(s, "access", 6) == 0)
			*dst = DP_ROLE_ACCESS;
		else if (n == 4 && memcmp(s, "core", 4) == 0)
			*dst = DP_ROLE_CORE;
		else
			return "is not a role: access or core";
		return NULL;
	case CFG_T_NAME:
	case CFG_T_TEXT:
	case CFG_T_ARG:
	case CFG_T_VDEV:
		if ((e = check_text(k, s, n)) != NULL)
			return e;
		memcpy(dst, s, n);
		dst[n] = '\0';
		return NULL;
	case CFG_T_PCI:
		return parse_pci(s, n, (char *)dst, k->size);
	case CFG_T_NET4:
	case CFG_T_NET6:
		return parse_net(s, n, k->type == CFG_T_NET4 ? 4 : 6, k,
				 (struct dp_ip *)dst, (uint8_t *)obj + k->off2);
	case CFG_T_IP4:
		return parse_ip(s, n, 4, (struct dp_ip *)dst);
	case CFG_T_IP6:
		return parse_ip(s, n, 6, (struct dp_ip *)dst);
	case CFG_T_IP:
		return parse_ip(s, n, 0, (struct dp_ip *)dst);
	case CFG_T_MAC:
		return parse_mac(s, n, dst);
	case CFG_T_ADDR:
		return parse_addr(s, n, k, (struct dp_addr *)dst);
	case CFG_T_HEX:
		if (n != k->hi || parse_hex(s, n, dst) != 0) {
			snprintf(why, sizeof(why), "is not %" PRIu64 " hex digits", k->hi);
			return why;
		}
		return NULL;
	}
	return "has a type this build does not know";
}

/* Every key of the struct of section s at its default, in obj. */
static void set_defaults(unsigned s, void *obj)
{
	for (unsigned i = 0; i < CFG_KEY__COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->def == NULL || k->def[0] == '\0' || sec_obj(k->sec) != s)
			continue;
		/* a default that does not parse is a bug in cfg_keys.def,
		 * caught by the unit test's defaults rows */
		if (set_scalar(k, obj, 0, k->def, strlen(k->def), true) == NULL && k->list)
			*(unsigned *)(void *)((uint8_t *)obj + k->off2) = 1;
	}
}

/* cfg_defaults - every key of struct cfg at its cfg_keys.def default, no
 * ports and no backends (their defaults are set per entry, as read). */
void cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	set_defaults(CFG_SEC_root, c);
}

/* ---- the load ---- */

/* Where the keys of one object (the struct cfg, a port, a backend, a
 * neighbour) were written: for the cross-checks' messages and to find a
 * key given twice. */
struct ld_obj {
	const void *obj;
	uint32_t at;		       /* line of its mapping */
	uint32_t line[CFG_KEY__COUNT]; /* line of each key given; 0: absent */
};

#define LD_MAX_OBJ (1 + DP_MAX_PORTS * (1 + CFG_MAX_STATIC_NEIGH) + DP_MAX_BACKENDS)

struct ld {
	const char *file;
	char *err;
	size_t errlen;
	const char *buf;	 /* the file's text */
	size_t len;
	yaml_document_t doc;
	struct cfg *c;
	uint32_t doc_line;	 /* where the document starts */
	char kp[160];		 /* the key path being read: ports[1].mtu */
	struct ld_obj obj[LD_MAX_OBJ];
	unsigned n_obj;
	uint32_t elem[CFG_KEY__COUNT][CFG_LIST_MAX]; /* lines of list elements */
};

/* Quotes s[0..n) for a message: "...", with \" \\ and \xNN escapes, cut at
 * 80 characters. */
static const char *quote(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < n && o + 8 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == 80) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* FILE:LINE: PATH: message; line 0 leaves out the line, an empty path the
 * path. Returns -EINVAL, for the caller to return. */
static int __attribute__((format(printf, 4, 5)))
ld_fail(struct ld *ld, uint32_t line, const char *path, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (line)
		o = snprintf(ld->err, ld->errlen, "%s:%u: %s%s", ld->file, line,
			     path, path[0] ? ": " : "");
	else
		o = snprintf(ld->err, ld->errlen, "%s: %s%s", ld->file, path,
			     path[0] ? ": " : "");
	if (o >= 0 && (size_t)o < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + o, ld->errlen - (size_t)o, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static uint32_t node_line(const yaml_node_t *n)
{
	return (uint32_t)n->start_mark.line + 1;
}

static const char *node_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool node_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       is_null(node_text(n), n->data.scalar.length);
}

/* KP: "VALUE" expected ..., or KP: expected ..., found a list */
static int ld_wrong_type(struct ld *ld, const yaml_node_t *n, const char *want,
			 const char *hint)
{
	char q[128];

	if (n->type == YAML_SCALAR_NODE)
		return ld_fail(ld, node_line(n), ld->kp, "%s is not %s%s",
			       quote(node_text(n), n->data.scalar.length, q, sizeof(q)),
			       want, hint);
	return ld_fail(ld, node_line(n), ld->kp, "expected %s, found a %s%s", want,
		       n->type == YAML_SEQUENCE_NODE ? "list" : "mapping", hint);
}

/* The key path grows by ".name" or "[i]"; each returns the length to cut
 * it back to. */
static size_t kp_key(struct ld *ld, const char *name)
{
	size_t at = strlen(ld->kp);

	snprintf(ld->kp + at, sizeof(ld->kp) - at, "%s%s", at ? "." : "", name);
	return at;
}

static size_t kp_idx(struct ld *ld, unsigned idx)
{
	size_t at = strlen(ld->kp);

	snprintf(ld->kp + at, sizeof(ld->kp) - at, "[%u]", idx);
	return at;
}

/* Optimal string alignment distance, for "did you mean". */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned d[33][33], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la > 32 || lb > 32)
		return 99;
	for (unsigned i = 0; i <= la; i++)
		for (unsigned j = 0; j <= lb; j++) {
			unsigned v = i == 0 ? j : j == 0 ? i : d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (i && j && d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (i && j && d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

static int ld_unknown(struct ld *ld, const yaml_node_t *key, unsigned sec)
{
	const char *name = node_text(key);
	const struct cfg_key *best = NULL;
	unsigned bestd = 3;
	char q[128], hint[128] = "";

	for (unsigned i = 0; strlen(name) == key->data.scalar.length && i < CFG_KEY__COUNT; i++) {
		unsigned d = cfg_keys[i].sec == sec ? edit_distance(name, cfg_keys[i].name) : 99;

		if (d < bestd && d < strlen(cfg_keys[i].name)) {
			best = &cfg_keys[i];
			bestd = d;
		}
	}
	if (best != NULL) {
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best->name);
	} else {
		/* a key written in the wrong section */
		for (unsigned i = 0; strlen(name) == key->data.scalar.length && i < CFG_KEY__COUNT; i++)
			if (strcmp(name, cfg_keys[i].name) == 0) {
				char p[96];

				sec_path(cfg_keys[i].sec, p, sizeof(p));
				snprintf(hint, sizeof(hint), " (it is a key of %s)",
					 p[0] ? p : "the top level");
				break;
			}
	}
	return ld_fail(ld, node_line(key), ld->kp, "unknown key %s%s",
		       quote(name, key->data.scalar.length, q, sizeof(q)), hint);
}

static int walk_map(struct ld *ld, yaml_node_t *n, unsigned sec, void *obj,
		    struct ld_obj *lo);

/* A list of scalars: each element parsed as k into element i of its field;
 * integers may not repeat. */
static int walk_list(struct ld *ld, const struct cfg_key *k, yaml_node_t *n,
		     void *obj)
{
	unsigned cnt = 0, *count = (unsigned *)(void *)((uint8_t *)obj + k->off2);
	char q[128];

	if (n->type == YAML_SEQUENCE_NODE)
		cnt = (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
	else if (!node_null(n))
		return ld_wrong_type(ld, n, "a list", "");
	if (cnt < k->nlo || cnt > k->nhi)
		return ld_fail(ld, node_line(n), ld->kp, "has %u entries, not %u to %u",
			       cnt, k->nlo, k->nhi);
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *e = yaml_document_get_node(&ld->doc,
							n->data.sequence.items.start[i]);
		size_t at = kp_idx(ld, i);
		const char *why;

		if (e->type != YAML_SCALAR_NODE)
			return ld_wrong_type(ld, e, cfg_type_name[k->type].a, "");
		why = set_scalar(k, obj, i, node_text(e), e->data.scalar.length,
				 e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
		if (why != NULL)
			return ld_fail(ld, node_line(e), ld->kp, "%s %s",
				       quote(node_text(e), e->data.scalar.length, q, sizeof(q)), why);
		ld->elem[k - cfg_keys][i] = node_line(e);
		for (unsigned j = 0; k->type == CFG_T_UINT && j < i; j++) {
			const uint8_t *f = (const uint8_t *)obj + k->off;

			if (memcmp(f + (size_t)i * k->size, f + (size_t)j * k->size, k->size) == 0)
				return ld_fail(ld, node_line(e), ld->kp, "%s repeats %.*s[%u]",
					       quote(node_text(e), e->data.scalar.length, q, sizeof(q)),
					       (int)at, ld->kp, j);
		}
		ld->kp[at] = '\0';
	}
	*count = cnt;
	return 0;
}

/* A list of mappings: each one a new element of k's array in obj, set to
 * its defaults and then walked. */
static int walk_items(struct ld *ld, const struct cfg_key *k, yaml_node_t *n,
		      void *obj)
{
	unsigned cnt = 0, *count = (unsigned *)(void *)((uint8_t *)obj + k->off2);
	int rc;

	if (n->type == YAML_SEQUENCE_NODE)
		cnt = (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
	else if (!node_null(n))
		return ld_wrong_type(ld, n, "a list of mappings", "");
	if (cnt < k->nlo || cnt > k->nhi)
		return ld_fail(ld, node_line(n), ld->kp, "has %u entries, not %u to %u",
			       cnt, k->nlo, k->nhi);
	for (unsigned i = 0; i < cnt; i++) {
		yaml_node_t *e = yaml_document_get_node(&ld->doc,
							n->data.sequence.items.start[i]);
		void *item = (uint8_t *)obj + k->off + (size_t)i * k->size;
		size_t at = kp_idx(ld, i);
		struct ld_obj *lo = &ld->obj[ld->n_obj++];

		memset(item, 0, k->size);
		set_defaults(k->child, item);
		lo->obj = item;
		lo->at = node_line(e);
		if (e->type != YAML_MAPPING_NODE)
			return ld_wrong_type(ld, e, "a mapping", "");
		if ((rc = walk_map(ld, e, k->child, item, lo)) != 0)
			return rc;
		ld->kp[at] = '\0';
		*count = i + 1;
	}
	return 0;
}

static int walk_value(struct ld *ld, const struct cfg_key *k, yaml_node_t *v,
		      void *obj, struct ld_obj *lo)
{
	const char *why;
	char q[128];

	if (k->type == CFG_T_MAP) {
		if (node_null(v))
			return walk_map(ld, NULL, k->child, obj, lo);
		if (v->type != YAML_MAPPING_NODE)
			return ld_wrong_type(ld, v, "a mapping", "");
		return walk_map(ld, v, k->child, obj, lo);
	}
	if (k->type == CFG_T_ITEMS)
		return walk_items(ld, k, v, obj);
	if (k->list)
		return walk_list(ld, k, v, obj);
	if (v->type != YAML_SCALAR_NODE)
		return ld_wrong_type(ld, v, cfg_type_name[k->type].a,
				     k->type == CFG_T_ADDR || k->type == CFG_T_IP6 ?
				     " (quote an IPv6 address: \"[2001:db8::2]:5060\")" : "");
	why = set_scalar(k, obj, 0, node_text(v), v->data.scalar.length,
			 v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
	if (why != NULL)
		return ld_fail(ld, node_line(v), ld->kp, "%s %s",
			       quote(node_text(v), v->data.scalar.length, q, sizeof(q)), why);
	return 0;
}

/* walk_map - the keys of mapping n (NULL: an empty section) as keys of
 * section sec, stored in obj; their lines in lo. Refuses keys the section
 * does not have, keys given twice and missing required keys. */
static int walk_map(struct ld *ld, yaml_node_t *n, unsigned sec, void *obj,
		    struct ld_obj *lo)
{
	yaml_node_pair_t *p;
	int rc;

	for (p = n ? n->data.mapping.pairs.start : NULL; n && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *key = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(&ld->doc, p->value);
		const struct cfg_key *k = NULL;
		size_t at;

		if (key->type != YAML_SCALAR_NODE)
			return ld_fail(ld, node_line(key), ld->kp,
				       "a key must be a name, not a %s",
				       key->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
		for (unsigned i = 0; i < CFG_KEY__COUNT && k == NULL; i++)
			if (cfg_keys[i].sec == sec && strcmp(cfg_keys[i].name, node_text(key)) == 0)
				k = &cfg_keys[i];
		if (k == NULL)
			return ld_unknown(ld, key, sec);
		at = kp_key(ld, k->name);
		if (lo->line[k - cfg_keys] != 0)
			return ld_fail(ld, node_line(key), ld->kp,
				       "duplicate key (first at line %u)", lo->line[k - cfg_keys]);
		lo->line[k - cfg_keys] = node_line(key);
		if ((rc = walk_value(ld, k, val, obj, lo)) != 0)
			return rc;
		ld->kp[at] = '\0';
	}
	for (unsigned i = 0; i < CFG_KEY__COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->sec == sec && lo->line[i] == 0 &&
		    ((k->type == CFG_T_ITEMS && k->nlo > 0) ||
		     (k->type != CFG_T_MAP && k->type != CFG_T_ITEMS && k->def == NULL)))
			return ld_fail(ld, n ? node_line(n) : lo->at, ld->kp,
				       "missing key \"%s\" (%s)", k->name, k->help);
	}
	return 0;
}

/* ---- reading and scanning the file ---- */

static int read_file(struct ld *ld, char **bufp, size_t *lenp)
{
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, rc = 0;

	fd = open(ld->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(ld->err, ld->errlen, "%s: %s", ld->file, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		snprintf(ld->err, ld->errlen, "%s: is a directory, not a config file", ld->file);
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > (off_t)CFG_FILE_MAX)
		goto too_big;
	buf = malloc(CFG_FILE_MAX + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		snprintf(ld->err, ld->errlen, "%s: out of memory", ld->file);
		goto out;
	}
	while (len <= CFG_FILE_MAX) { /* a pipe or /dev/stdin too */
		ssize_t r = read(fd, buf + len, CFG_FILE_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(ld->err, ld->errlen, "%s: %s", ld->file, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > CFG_FILE_MAX)
		goto too_big;
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	goto out;
too_big:
	rc = -EINVAL;
	snprintf(ld->err, ld->errlen, "%s: larger than %u bytes; a config is a few KB",
		 ld->file, CFG_FILE_MAX);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Line and column (1-based) of byte offset off. */
static void offset_mark(const struct ld *ld, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < ld->len; i++, (*col)++)
		if (ld->buf[i] == '\n') {
			(*line)++;
			*col = 0;
		}
}

/* The byte at libyaml's mark (line and column in characters, 0-based). */
static char mark_byte(const struct ld *ld, const yaml_mark_t *m)
{
	size_t i = 0, line = 0;

	for (; i < ld->len && line < m->line; i++)
		if (ld->buf[i] == '\n')
			line++;
	for (size_t col = 0; i < ld->len && ld->buf[i] != '\n' && col < m->column; col++) {
		i++;
		while (i < ld->len && ((unsigned char)ld->buf[i] & 0xc0) == 0x80)
			i++; /* UTF-8 continuation bytes */
	}
	return i < ld->len ? ld->buf[i] : '\0';
}

static int syntax_error(struct ld *ld, const yaml_parser_t *p)
{
	size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
	const char *tab = "";

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(ld->err, ld->errlen, "%s: out of memory", ld->file);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR)
		/* the reader (encoding, control characters) only has an offset */
		offset_mark(ld, p->problem_offset, &line, &col);
	else if (p->problem != NULL && strstr(p->problem, "tab") == NULL &&
		 mark_byte(ld, &p->problem_mark) == '\t')
		tab = " (a tab: YAML indents with spaces only)";
	if (p->context != NULL && p->error != YAML_READER_ERROR)
		snprintf(ld->err, ld->errlen, "%s:%zu:%zu: %s%s (%s at line %zu, column %zu)",
			 ld->file, line, col, p->problem ? p->problem : "syntax error", tab,
			 p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	else
		snprintf(ld->err, ld->errlen, "%s:%zu:%zu: %s%s", ld->file, line, col,
			 p->problem ? p->problem : "syntax error", tab);
	return -EINVAL;
}

/* scan - one pass of the event parser over the text: syntax errors, and
 * what the config refuses although YAML has it: anchors and aliases (a
 * value written once and used twice hides what a key is set to), explicit
 * tags, more than one document, and no document at all. */
static int scan(struct ld *ld)
{
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned docs = 0;
	int rc = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)ld->buf, ld->len);
	for (bool done = false; !done && rc == 0;) {
		const char *anchor = NULL, *tag = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			rc = syntax_error(ld, &p);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			ld->doc_line = (uint32_t)ev.start_mark.line + 1;
			if (++docs > 1)
				rc = ld_fail(ld, (uint32_t)ev.start_mark.line + 1, "",
					     "a second document; a config is one");
			break;
		case YAML_ALIAS_EVENT:
			anchor = (const char *)ev.data.alias.anchor;
			break;
		case YAML_SCALAR_EVENT:
			anchor = (const char *)ev.data.scalar.anchor;
			tag = (const char *)ev.data.scalar.tag;
			break;
		case YAML_SEQUENCE_START_EVENT:
			anchor = (const char *)ev.data.sequence_start.anchor;
			tag = (const char *)ev.data.sequence_start.tag;
			break;
		case YAML_MAPPING_START_EVENT:
			anchor = (const char *)ev.data.mapping_start.anchor;
			tag = (const char *)ev.data.mapping_start.tag;
			break;
		default:
			break;
		}
		if (rc == 0 && anchor != NULL)
			rc = ld_fail(ld, (uint32_t)ev.start_mark.line + 1, "",
				     "anchor or alias \"%.40s\": not supported, write the value out",
				     anchor);
		else if (rc == 0 && tag != NULL)
			rc = ld_fail(ld, (uint32_t)ev.start_mark.line + 1, "",
				     "tag \"%.40s\": not supported", tag);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == 0 && docs == 0)
		rc = ld_fail(ld, 1, "", "empty file: expected a mapping of eal, workers, sip, ports, backends, ...");
	return rc;
}

/* ---- cross-checks ---- */

static uint32_t line_of(const struct ld *ld, const void *obj, unsigned key)
{
	for (unsigned i = 0; i < ld->n_obj; i++)
		if (ld->obj[i].obj == obj)
			return ld->obj[i].line[key] ? ld->obj[i].line[key] : ld->obj[i].at;
	return 0;
}

static bool has_key(const struct ld *ld, const void *obj, unsigned key)
{
	for (unsigned i = 0; i < ld->n_obj; i++)
		if (ld->obj[i].obj == obj)
			return ld->obj[i].line[key] != 0;
	return false;
}

/* "10.0.0.1/24" */
static const char *fmt_net(const struct dp_ip *ip, unsigned plen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN + 8];

	snprintf(buf, len, "%s/%u", cfg_fmt_addr(ip, 0, a, sizeof(a)), plen);
	return buf;
}

/* An address on port p's subnet of its family: a gateway or a neighbour. */
static int check_onlink(struct ld *ld, const struct cfg_port *p, const void *obj,
			unsigned key, const char *path, const struct dp_ip *ip)
{
	const struct dp_ip *net = ip->af == 4 ? &p->ip4 : &p->ip6;
	unsigned plen = ip->af == 4 ? p->plen4 : p->plen6;
	char a[64], b[80];

	cfg_fmt_addr(ip, 0, a, sizeof(a));
	if (net->af == 0)
		return ld_fail(ld, line_of(ld, obj, key), path,
			       "\"%s\" is IPv%u and the port has no ipv%u", a, ip->af, ip->af);
	if (memcmp(ip, net, sizeof(*ip)) == 0)
		return ld_fail(ld, line_of(ld, obj, key), path,
			       "\"%s\" is the port's own address", a);
	if (!ip_in_net(ip, net, plen))
		return ld_fail(ld, line_of(ld, obj, key), path,
			       "\"%s\" is not inside ipv%u %s", a, ip->af,
			       fmt_net(net, plen, b, sizeof(b)));
	return 0;
}

static int check_port(struct ld *ld, unsigned i)
{
	struct cfg *c = ld->c;
	struct cfg_port *p = &c->ports[i];
	bool vdev = has_key(ld, p, CFG_KEY_ports_vdev), pci = has_key(ld, p, CFG_KEY_ports_pci);
	char path[96], a[64], b[80];
	int rc;

	snprintf(path, sizeof(path), "ports[%u]", i);
	if (vdev && pci)
		return ld_fail(ld, line_of(ld, p, CFG_KEY_ports_pci), path,
			       "has both vdev and pci; a port is one device");
	if (!vdev && !pci)
		return ld_fail(ld, line_of(ld, p, CFG_KEY_ports_name), path,
			       "missing key \"vdev\" or \"pci\" (the port's device)");
	p->is_vdev = vdev;
	if (p->ip4.af == 0 && p->ip6.af == 0)
		return ld_fail(ld, line_of(ld, p, CFG_KEY_ports_name), path,
			       "missing key \"ipv4\" or \"ipv6\" (a port needs an address)");
	if (p->ip6.af != 0 && p->mtu < 1280) {
		snprintf(path, sizeof(path), "ports[%u].mtu", i);
		return ld_fail(ld, line_of(ld, p, CFG_KEY_ports_mtu), path,
			       "\"%u\" is below 1280, the IPv6 minimum (the port has ipv6)", p->mtu);
	}
	snprintf(path, sizeof(path), "ports[%u].gateway4", i);
	if (p->gw4.af && (rc = check_onlink(ld, p, p, CFG_KEY_ports_gateway4, path, &p->gw4)))
		return rc;
	snprintf(path, sizeof(path), "ports[%u].gateway6", i);
	if (p->gw6.af && (rc = check_onlink(ld, p, p, CFG_KEY_ports_gateway6, path, &p->gw6)))
		return rc;
	for (unsigned j = 0; j < p->n_neigh; j++) {
		snprintf(path, sizeof(path), "ports[%u].neighbours[%u].ip", i, j);
		if ((rc = check_onlink(ld, p, &p->neigh[j], CFG_KEY_neighbours_ip, path,
				       &p->neigh[j].ip)) != 0)
			return rc;
		for (unsigned k = 0; k < j; k++)
			if (memcmp(&p->neigh[k].ip, &p->neigh[j].ip, sizeof(struct dp_ip)) == 0)
				return ld_fail(ld, line_of(ld, &p->neigh[j], CFG_KEY_neighbours_ip),
					       path, "\"%s\" repeats ports[%u].neighbours[%u].ip",
					       cfg_fmt_addr(&p->neigh[j].ip, 0, a, sizeof(a)), i, k);
	}
	for (unsigned k = 0; k < i; k++) {
		const struct cfg_port *q = &c->ports[k];
		char dp[CFG_DEV_MAX], dq[CFG_DEV_MAX];

		snprintf(path, sizeof(path), "ports[%u].name", i);
		if (strcmp(p->name, q->name) == 0)
			return ld_fail(ld, line_of(ld, p, CFG_KEY_ports_name), path,
				       "\"%s\" repeats ports[%u].name", p->name, k);
		cfg_port_devname(p, dp, sizeof(dp));
		cfg_port_devname(q, dq, sizeof(dq));
		snprintf(path, sizeof(path), "ports[%u].%s", i, p->is_vdev ? "vdev" : "pci");
		if (strcmp(dp, dq) == 0)
			return ld_fail(ld, line_of(ld, p, p->is_vdev ? CFG_KEY_ports_vdev :
						   CFG_KEY_ports_pci), path,
				       "\"%s\" is device %s again, as ports[%u]", p->dev, dp, k);
		snprintf(path, sizeof(path), "ports[%u].ipv4", i);
		if (p->ip4.af && memcmp(&p->ip4, &q->ip4, sizeof(p->ip4)) == 0)
			return ld_fail(ld, line_of(ld, p, CFG_KEY_ports_ipv4), path,
				       "\"%s\" repeats the address of ports[%u]",
				       fmt_net(&p->ip4, p->plen4, b, sizeof(b)), k);
		snprintf(path, sizeof(path), "ports[%u].ipv6", i);
		if (p->ip6.af && memcmp(&p->ip6, &q->ip6, sizeof(p->ip6)) == 0)
			return ld_fail(ld, line_of(ld, p, CFG_KEY_ports_ipv6), path,
				       "\"%s\" repeats the address of ports[%u]",
				       fmt_net(&p->ip6, p->plen6, b, sizeof(b)), k);
	}
	return 0;
}

static int check_backend(struct ld *ld, unsigned i)
{
	struct cfg *c = ld->c;
	const struct cfg_backend *be = &c->backends[i];
	uint32_t line = line_of(ld, be, CFG_KEY_backends_address);
	bool family = false;
	char path[64], a[80];

	cfg_fmt_addr(&be->addr.ip, be->addr.port, a, sizeof(a));
	snprintf(path, sizeof(path), "backends[%u].address", i);
	for (unsigned k = 0; k < i; k++) {
		if (strcmp(be->name, c->backends[k].name) == 0) {
			snprintf(path, sizeof(path), "backends[%u].name", i);
			return ld_fail(ld, line_of(ld, be, CFG_KEY_backends_name), path,
				       "\"%s\" repeats backends[%u].name", be->name, k);
		}
		if (memcmp(&be->addr.ip, &c->backends[k].addr.ip, sizeof(struct dp_ip)) == 0 &&
		    be->addr.port == c->backends[k].addr.port)
			return ld_fail(ld, line, path, "\"%s\" repeats backends[%u].address", a, k);
	}
	for (unsigned k = 0; k < c->n_ports; k++) {
		const struct cfg_port *p = &c->ports[k];
		const struct dp_ip *own = be->addr.ip.af == 4 ? &p->ip4 : &p->ip6;

		if (memcmp(own, &be->addr.ip, sizeof(*own)) == 0)
			return ld_fail(ld, line, path, "\"%s\" is an address of ports[%u]", a, k);
		if (p->role == DP_ROLE_CORE && own->af != 0)
			family = true;
	}
	if (!family)
		return ld_fail(ld, line, path, "\"%s\" is IPv%u and no core port has ipv%u",
			       a, be->addr.ip.af, be->addr.ip.af);
	return 0;
}

/* check - the rules between keys, in the order of the file. */
static int check(struct ld *ld)
{
	struct cfg *c = ld->c;
	bool role[2] = {false, false};
	uint32_t rings = 0;
	int rc;

	for (unsigned i = 0; i < c->n_workers; i++)
		if (c->workers[i] == c->eal.main_lcore) {
			char path[32];

			snprintf(path, sizeof(path), "workers[%u]", i);
			return ld_fail(ld, ld->elem[CFG_KEY_root_workers][i], path,
				       "\"%u\" is eal.main_lcore; a worker needs an lcore of its own",
				       c->workers[i]);
		}
	c->eal.no_pci = true;
	for (unsigned i = 0; i < c->n_ports; i++) {
		if ((rc = check_port(ld, i)) != 0)
			return rc;
		role[c->ports[i].role] = true;
		c->eal.no_pci &= c->ports[i].is_vdev;
		rings += (uint32_t)c->ports[i].rx_desc + c->ports[i].tx_desc;
	}
	if (!role[DP_ROLE_ACCESS] || !role[DP_ROLE_CORE])
		return ld_fail(ld, line_of(ld, c, CFG_KEY_root_ports), "ports",
			       "no port has role %s (one access and one core port are needed)",
			       role[DP_ROLE_ACCESS] ? "core" : "access");
	for (unsigned i = 0; i < c->n_backends; i++)
		if ((rc = check_backend(ld, i)) != 0)
			return rc;
	if (c->probe.timeout_ms >= c->probe.interval_ms)
		return ld_fail(ld, line_of(ld, c, has_key(ld, c, CFG_KEY_probe_timeout_ms) ?
					   CFG_KEY_probe_timeout_ms : CFG_KEY_probe_interval_ms),
			       "probe.timeout_ms", "\"%u\" is not less than probe.interval_ms (%u)",
			       c->probe.timeout_ms, c->probe.interval_ms);
	if (c->limits.max_line > c->limits.max_message)
		return ld_fail(ld, line_of(ld, c, has_key(ld, c, CFG_KEY_limits_max_line) ?
					   CFG_KEY_limits_max_line : CFG_KEY_limits_max_message),
			       "limits.max_line", "\"%u\" is more than limits.max_message (%u)",
			       c->limits.max_line, c->limits.max_message);
	/* every rx ring is filled at start and every tx ring can hold its
	 * size in flight: with fewer mbufs a port stops receiving */
	if (c->limits.mbufs < rings)
		return ld_fail(ld, line_of(ld, c, has_key(ld, c, CFG_KEY_limits_mbufs) ?
					   CFG_KEY_limits_mbufs : CFG_KEY_root_ports),
			       "limits.mbufs", "\"%u\" is fewer than the %u the ports' rings hold "
			       "(the sum of every rx_desc and tx_desc)", c->limits.mbufs, rings);
	c->proxy.has_secret = has_key(ld, c, CFG_KEY_proxy_secret);
	if (!c->eal.huge && c->eal.memory_mb == 0)
		c->eal.memory_mb = CFG_NO_HUGE_MB;
	return 0;
}

/* cfg_load - see cfg.h. err may be NULL. The file's text, the libyaml
 * document and the loader's state are freed before it returns; *c owns
 * nothing. Main lcore / start-up (the value parsers use static buffers). */
int cfg_load(const char *path, struct cfg *c, char *err, size_t errlen)
{
	struct ld *ld = calloc(1, sizeof(*ld));
	yaml_parser_t p;
	yaml_node_t *root;
	char *buf = NULL, noerr[8];
	bool loaded = false;
	int rc;

	if (err == NULL || errlen == 0) {
		err = noerr;
		errlen = sizeof(noerr);
	}
	if (ld == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ld->file = path;
	ld->err = err;
	ld->errlen = errlen;
	ld->c = c;
	err[0] = '\0';
	cfg_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	if ((rc = read_file(ld, &buf, &ld->len)) != 0)
		goto out;
	ld->buf = buf;
	if ((rc = scan(ld)) != 0)
		goto out;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, ld->len);
	loaded = yaml_parser_load(&p, &ld->doc) != 0;
	rc = loaded ? 0 : syntax_error(ld, &p);
	yaml_parser_delete(&p);
	if (rc != 0)
		goto out;
	root = yaml_document_get_root_node(&ld->doc);
	if (root == NULL || node_null(root)) {
		rc = ld_fail(ld, ld->doc_line, "", "empty document: expected a mapping of eal, workers, sip, ports, backends, ...");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		rc = ld_fail(ld, node_line(root), "", "the top level is a %s, expected a mapping of "
			     "eal, workers, sip, ports, backends, ...",
			     root->type == YAML_SEQUENCE_NODE ? "list" : "single value");
		goto out;
	}
	ld->obj[0].obj = c;
	ld->obj[0].at = node_line(root);
	ld->n_obj = 1;
	if ((rc = walk_map(ld, root, CFG_SEC_root, c, &ld->obj[0])) != 0)
		goto out;
	rc = check(ld);
out:
	if (loaded)
		yaml_document_delete(&ld->doc);
	free(buf);
	free(ld);
	return rc;
}

/* ---- the EAL's command line ---- */

/* The EAL takes char **, and reads the strings without writing them. */
static char *unconst(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = {.c = s};

	return u.m;
}

/* cfg_port_devname - see cfg.h; relies on cfg_load having stored a PCI
 * address in full form. Any thread. */
const char *cfg_port_devname(const struct cfg_port *p, char *buf, size_t len)
{
	size_t n = p->is_vdev ? strcspn(p->dev, ",") : strlen(p->dev);

	snprintf(buf, len, "%.*s", (int)n, p->dev);
	return buf;
}

/* cfg_eal_args - see cfg.h. --no-pci is decided from the ports, not from
 * eal.no_pci, so that a struct cfg built by hand gets it right too. Main
 * lcore, before rte_eal_init; not reentrant (static strings). */
int cfg_eal_args(const struct cfg *c, char **argv, int max,
		 char *const *extra, int n_extra)
{
	/* the strings made here live as long as the process: the EAL may
	 * keep pointers into its argv */
	static char lcores[(DP_MAX_WORKERS + 1) * 6], main_lcore[8], mem[12];
	bool pci = false;
	int argc = 0;
	size_t o;

#define ARG(s)                                  \
	do {                                    \
		if (argc >= max)                \
			return -E2BIG;          \
		argv[argc++] = unconst(s);      \
	} while (0)

	o = (size_t)snprintf(lcores, sizeof(lcores), "%u", c->eal.main_lcore);
	for (unsigned i = 0; i < c->n_workers && o < sizeof(lcores); i++)
		o += (size_t)snprintf(lcores + o, sizeof(lcores) - o, ",%u", c->workers[i]);
	snprintf(main_lcore, sizeof(main_lcore), "%u", c->eal.main_lcore);
	snprintf(mem, sizeof(mem), "%u", c->eal.memory_mb);

	ARG("sipedge");
	ARG("-l");
	ARG(lcores);
	ARG("--main-lcore");
	ARG(main_lcore);
	ARG("--file-prefix");
	ARG(c->eal.file_prefix);
	for (unsigned i = 0; i < c->n_ports; i++)
		pci |= !c->ports[i].is_vdev;
	if (!pci)
		ARG("--no-pci");
	for (unsigned i = 0; i < c->n_ports; i++)
		if (!c->ports[i].is_vdev) {
			ARG("-a");
			ARG(c->ports[i].dev);
		}
	for (unsigned i = 0; i < c->n_ports; i++)
		if (c->ports[i].is_vdev) {
			ARG("--vdev");
			ARG(c->ports[i].dev);
		}
	if (!c->eal.huge)
		ARG("--no-huge");
	if (c->eal.memory_mb > 0) {
		ARG("-m");
		ARG(mem);
	}
	for (unsigned i = 0; i < c->eal.n_extra; i++)
		ARG(c->eal.extra[i]);
	for (int i = 0; i < n_extra; i++)
		ARG(extra[i]);
#undef ARG
	if (argc < max)
		argv[argc] = NULL;
	return argc;
}

/* ---- the docs' key table ---- */

/* Markdown-safe: '|' would end a table cell. */
static void md(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void doc_bounds(FILE *f, const struct cfg_key *k)
{
	if (k->type == CFG_T_ITEMS || k->list)
		fprintf(f, "%u..%u entries%s", k->nlo, k->nhi, k->list ? ", each " : "");
	switch (k->type) {
	case CFG_T_UINT: fprintf(f, "%s..%s", k->lo_doc, k->hi_doc); break;
	case CFG_T_POW2: fprintf(f, "%s..%s, a power of two", k->lo_doc, k->hi_doc); break;
	case CFG_T_BOOL: fputs("true, false", f); break;
	case CFG_T_ROLE: fputs("access, core", f); break;
	case CFG_T_NAME: fprintf(f, "%s..%s of A-Z a-z 0-9 _ -", k->lo_doc, k->hi_doc); break;
	case CFG_T_TEXT:
	case CFG_T_ARG: fprintf(f, "%s..%s printable ASCII", k->lo_doc, k->hi_doc); break;
	case CFG_T_VDEV: fprintf(f, "%s..%s characters", k->lo_doc, k->hi_doc); break;
	case CFG_T_NET4:
	case CFG_T_NET6: fprintf(f, "prefix %s..%s", k->lo_doc, k->hi_doc); break;
	case CFG_T_ADDR: fprintf(f, "port %s..%s", k->lo_doc, k->hi_doc); break;
	case CFG_T_HEX: fprintf(f, "%s hex digits", k->hi_doc); break;
	default: break;
	}
}

/* cfg_doc_keys - see cfg.h: one row per line of cfg_keys.def, in its
 * order. */
int cfg_doc_keys(FILE *f)
{
	fputs("| key | type | default | bounds | example | meaning |\n"
	      "| --- | --- | --- | --- | --- | --- |\n", f);
	for (unsigned i = 0; i < CFG_KEY__COUNT; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char path[96];

		sec_path(k->sec, path, sizeof(path));
		fprintf(f, "| `%s%s%s` | %s%s%s | ", path, path[0] ? "." : "", k->name,
			k->list ? "list of " : "", cfg_type_name[k->type].doc, k->list ? "s" : "");
		if (k->type == CFG_T_MAP)
			;
		else if (k->type == CFG_T_ITEMS)
			fputs(k->nlo ? "required" : "`[]`", f);
		else if (k->def == NULL)
			fputs("required", f);
		else if (k->def[0] == '\0')
			fputs(k->list ? "`[]`" : "none", f);
		else
			fprintf(f, k->list ? "`[%s]`" : "`%s`", k->def);
		fputs(" | ", f);
		doc_bounds(f, k);
		fputs(" | ", f);
		if (k->example) {
			fputs("`", f);
			md(f, k->example);
			fputs("`", f);
		}
		fputs(" | ", f);
		md(f, k->help);
		fputs(" |\n", f);
	}
	return ferror(f) ? -EIO : 0;
}
