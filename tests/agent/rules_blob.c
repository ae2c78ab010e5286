/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rules_blob.c - what the agent-rules test pushes: a rule file compiled
 * for this host, as sipedge-control would compile it (rs_parse_file, then
 * rs_compile), written to a file.
 *
 *   rules_blob IN.rules OUT.blob     exit 0; 1 with the diagnostics on stderr
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs.h"

int main(int argc, char **argv)
{
	struct rs_ast *ast = NULL;
	struct rs_diag diag;
	struct rs_compile_stats st;
	void *blob = NULL;
	size_t len = 0;
	char line[700];
	FILE *f;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: rules_blob IN.rules OUT.blob\n");
		return 2;
	}
	memset(&diag, 0, sizeof(diag));
	rc = rs_parse_file(argv[1], NULL, &ast, &diag);
	if (rc == 0)
		rc = rs_compile(ast, NULL, &blob, &len, &diag, &st);
	if (rc != 0) {
		for (unsigned i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", rs_diag_str(&diag, i, line, sizeof(line)));
		fprintf(stderr, "rules_blob: %s: %s\n", argv[1], strerror(-rc));
		rs_ast_free(ast);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (f == NULL || fwrite(blob, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "rules_blob: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("%u rules, %zu bytes\n", st.n_rules, len);
	free(blob);
	rs_ast_free(ast);
	return 0;
}
