/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cfg_value.c - the configuration's scalar values: the text of one YAML
 * scalar parsed as the type its key has in cfg_keys.def (integers, booleans,
 * names and strings, roles, PCI addresses, IPv4/IPv6 addresses and
 * prefixes, MACs, IP:port, hex secrets) and stored in its field, or refused
 * with why. Also the address helpers cfg.h exports (cfg_parse_ip,
 * cfg_fmt_addr, cfg_port_devname).
 *
 * A refusal is a short phrase that follows the quoted value in the load's
 * message ("70000" out of range [576, 9000]); some are built in a static
 * buffer, so the parsers are for the main lcore at start-up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cfg_priv.h"

/* cfg_is_null - whether s[0..n), the text of a plain scalar, is YAML's
 * null: empty, ~, null, Null or NULL (a quoted "" is a string). Any thread. */
bool cfg_is_null(const char *s, size_t n)
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

/* s[0..n) (no NUL inside) into a C string; false if it does not fit. */
static bool cstr(char *dst, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* Whether a host socket may bind ip although ip_unusable refuses it: the
 * loopback and the unspecified (any) addresses. */
static bool ip_bindable(const struct dp_ip *ip)
{
	static const uint8_t zero[16];

	if (ip->af == 4)
		return ip->a[0] == 127 || memcmp(ip->a, zero, 4) == 0;
	return memcmp(ip->a, zero, 15) == 0 && ip->a[15] <= 1;
}

/* One IP address of family af (4, 6, or 0 for either); bind: an address
 * for a host socket (ip_bindable's too). */
static const char *parse_ip_for(const char *s, size_t n, unsigned af, bool bind,
				struct dp_ip *ip)
{
	char b[INET6_ADDRSTRLEN + 1];

	if (!cstr(b, sizeof(b), s, n) || cfg_parse_ip(b, ip) != 0)
		return af == 4 ? "is not an IPv4 address" :
		       af == 6 ? "is not an IPv6 address" : "is not an IP address";
	if (af != 0 && ip->af != af)
		return af == 4 ? "is not an IPv4 address" : "is not an IPv6 address";
	return bind && ip_bindable(ip) ? NULL : ip_unusable(ip);
}

static const char *parse_ip(const char *s, size_t n, unsigned af, struct dp_ip *ip)
{
	return parse_ip_for(s, n, af, false, ip);
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
	bool bind = k->type == CFG_T_LISTEN;
	size_t iplen;
	uint64_t port;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || rb + 1 == s + n || rb[1] != ':')
			return "is not [IPv6]:port";
		ip = s + 1;
		iplen = (size_t)(rb - ip);
		colon = rb + 1;
		if ((e = parse_ip_for(ip, iplen, 6, bind, &a->ip)) != NULL)
			return e;
	} else {
		colon = memchr(s, ':', n);
		if (colon == NULL)
			return "needs a port: IPv4:port or [IPv6]:port";
		if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) != NULL)
			return "is not IPv4:port; an IPv6 address goes in brackets: [2001:db8::2]:5060";
		iplen = (size_t)(colon - s);
		if ((e = parse_ip_for(ip, iplen, 4, bind, &a->ip)) != NULL)
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
	if ((k->type == CFG_T_TEXT || k->type == CFG_T_PATH) && (s[0] == ' ' || s[n - 1] == ' '))
		return "starts or ends with a space";
	if (k->type == CFG_T_PATH && s[0] != '/')
		return "is not an absolute path (it starts with '/')";
	if (k->type == CFG_T_PATH && s[n - 1] == '/')
		return "names a directory (it ends with '/')";
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

/* cfg_set_scalar - parse s[0..n) (the text of a scalar, plain or quoted) as key
 * k and store it in element idx of k's field in obj. Returns NULL, or why the
 * value is refused (a static string, good until the next call). */
const char *cfg_set_scalar(const struct cfg_key *k, void *obj, unsigned idx,
			   const char *s, size_t n, bool plain)
{
	static char why[96];
	uint8_t *dst = (uint8_t *)obj + k->off + (size_t)idx * k->size;
	const char *e = NULL;
	uint64_t v;

	if (memchr(s, '\0', n) != NULL)
		return "holds a NUL character";
	if (plain && cfg_is_null(s, n))
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
	case CFG_T_PATH:
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
	case CFG_T_LISTEN:
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

/* cfg_port_devname - see cfg.h; relies on cfg_load having stored a PCI
 * address in full form (parse_pci). Any thread. */
const char *cfg_port_devname(const struct cfg_port *p, char *buf, size_t len)
{
	size_t n = p->is_vdev ? strcspn(p->dev, ",") : strlen(p->dev);

	snprintf(buf, len, "%.*s", (int)n, p->dev);
	return buf;
}
