/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * cfg_read.c - reading the configuration file and the first pass over it.
 *
 * The file is read whole (at most 1 MiB; a pipe or /dev/stdin too), then
 * scanned once by libyaml's event parser to refuse what the config does not
 * use (anchors, aliases, tags, a second document) and to report syntax
 * errors with line and column; cfg.c then loads it as a document and walks
 * it against the key table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_priv.h"

#define CFG_FILE_MAX	(1u << 20) /* a config is a few KB; 1 MiB is a mistake */

/* cfg_read_file - the whole of ld->file (a regular file, a pipe or
 * /dev/stdin) into a malloc'd buffer of at most CFG_FILE_MAX bytes, which
 * the caller owns and frees; *lenp is its length. Refuses a directory and a
 * larger file. Returns 0, or -errno / -EINVAL with the message in ld->err. */
int cfg_read_file(struct ld *ld, char **bufp, size_t *lenp)
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

/* cfg_syntax_error - libyaml's error in p (from the event parser or the
 * document loader) as FILE:LINE:COL: problem (context at ...) in ld->err,
 * with a hint when it points at a tab. Returns -ENOMEM or -EINVAL. */
int cfg_syntax_error(struct ld *ld, const yaml_parser_t *p)
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

/* cfg_scan - one pass of the event parser over the text: syntax errors, and
 * what the config refuses although YAML has it: anchors and aliases (a
 * value written once and used twice hides what a key is set to), explicit
 * tags, more than one document, and no document at all. */
int cfg_scan(struct ld *ld)
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
			rc = cfg_syntax_error(ld, &p);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			ld->doc_line = (uint32_t)ev.start_mark.line + 1;
			if (++docs > 1)
				rc = cfg_ld_fail(ld, (uint32_t)ev.start_mark.line + 1, "",
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
			rc = cfg_ld_fail(ld, (uint32_t)ev.start_mark.line + 1, "",
					 "anchor or alias \"%.40s\": not supported, write the value out",
					 anchor);
		else if (rc == 0 && tag != NULL)
			rc = cfg_ld_fail(ld, (uint32_t)ev.start_mark.line + 1, "",
					 "tag \"%.40s\": not supported", tag);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == 0 && docs == 0)
		rc = cfg_ld_fail(ld, 1, "", "empty file: expected a mapping of eal, workers, sip, ports, backends, ...");
	return rc;
}
