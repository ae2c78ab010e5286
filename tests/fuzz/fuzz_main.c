/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * fuzz_main.c - replays files through a libFuzzer target without libFuzzer.
 *
 * Linked with a fuzz target in a normal (gcc or clang) build, it is what
 * makes `meson test` run every corpus file through the target's checks:
 *     fuzz_sip_replay FILE|DIR...
 * Directories are walked recursively, files sorted by name so that runs are
 * reproducible. A crash is the failure (the target traps); an unreadable
 * path is an error (exit 1); no file at all is a skip (exit 77), so that an
 * empty corpus does not pass as tested.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_FILE (16u << 20)

static unsigned replay_files;
static unsigned replay_errors;
/* The file being replayed, named by the crash handler. */
static const char *volatile replay_current;

/* A trap or a fault in the target: say which file did it, then die of the
 * same signal so that the exit status tells what happened. Only
 * async-signal-safe calls here. */
static void replay_crash(int sig)
{
	static const char msg[] = "fuzz replay: crashed on ";
	const char *path = replay_current;

	if (write(2, msg, sizeof(msg) - 1) < 0 || path == NULL ||
	    write(2, path, strlen(path)) < 0 || write(2, "\n", 1) < 0) {
		/* nothing more can be done from here */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void replay_file(const char *path, off_t size)
{
	uint8_t *data = NULL;
	FILE *f = NULL;

	if (size < 0 || (uint64_t)size > REPLAY_MAX_FILE) {
		fprintf(stderr, "%s: %lld bytes, over the %u-byte limit\n", path, (long long)size,
			REPLAY_MAX_FILE);
		replay_errors++;
		return;
	}
	data = malloc(size ? (size_t)size : 1);
	f = fopen(path, "rb");
	if (data == NULL || f == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno ? errno : EIO));
		replay_errors++;
		goto out;
	}
	replay_current = path;
	LLVMFuzzerTestOneInput(data, (size_t)size);
	replay_current = NULL;
	replay_files++;
out:
	if (f != NULL)
		fclose(f);
	free(data);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		replay_errors++;
		return;
	}
	if (S_ISREG(st.st_mode)) {
		replay_file(path, st.st_size);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		return;

	struct dirent **ents;
	int n = scandir(path, &ents, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		replay_errors++;
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		/* Skip ".", ".." and hidden files (.gitkeep, editor droppings). */
		if (name[0] != '.') {
			size_t len = strlen(path) + 1 + strlen(name) + 1;
			char *sub = malloc(len);

			if (sub != NULL) {
				snprintf(sub, len, "%s/%s", path, name);
				replay_path(sub);
				free(sub);
			}
		}
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	/* Where a sanitizer already handles a signal, it reports better. */
	static const int sigs[] = {SIGILL, SIGABRT, SIGSEGV, SIGBUS, SIGFPE};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			signal(sigs[i], replay_crash);
	}
	for (int i = 1; i < argc; i++)
		replay_path(argv[i]);

	printf("replayed %u file(s), %u error(s)\n", replay_files, replay_errors);
	if (replay_errors)
		return 1;
	return replay_files ? 0 : 77;
}
