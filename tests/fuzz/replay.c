/*
 * replay.c: runs a fuzz target over its seed corpus without libFuzzer.
 *
 * Linked into every fuzz target when the build is not --enable-fuzzing, so plain
 * 'make check' replays every file in tests/fuzz/NAME.in through LLVMFuzzerTestOneInput (wget2's
 * habit: fuzz finds stay fixed without a fuzzer installed).  NAME is the program's
 * name without "fuzz_".  Each file is one TAP test case; a crash fails the program.
 * Files named on the command line are replayed instead of the corpus.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path, int n)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *data;
	size_t got;

	if (f == NULL || fstat(fileno(f), &st) == -1) {
		printf("not ok %d - %s: cannot open\n", n, path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* An exact-size heap copy, so ASan sees reads past the end. */
	data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (data == NULL) {
		fclose(f);
		printf("not ok %d - %s: out of memory\n", n, path);
		return -1;
	}
	got = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, got);
	free(data);
	printf("ok %d - %s\n", n, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	fflush(stdout);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	const char *srcdir = getenv("top_srcdir");
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char dir[4096], path[8192];
	char **files = NULL;
	size_t nfiles = 0;
	struct dirent *de;
	DIR *d;
	int failed = 0;

	if (argc > 1) {
		printf("1..%d\n", argc - 1);
		for (int i = 1; i < argc; i++)
			failed |= replay_file(argv[i], i) != 0;
		return failed;
	}
	if (strncmp(name, "fuzz_", 5) == 0)
		name += 5;
	snprintf(dir, sizeof dir, "%s/tests/fuzz/%s.in", srcdir ? srcdir : ".", name);
	if ((d = opendir(dir)) == NULL) {
		printf("Bail out! no seed corpus at %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		files = realloc(files, (nfiles + 1) * sizeof *files);
		if (files == NULL || (files[nfiles] = strdup(de->d_name)) == NULL) {
			printf("Bail out! out of memory\n");
			return 1;
		}
		nfiles++;
	}
	closedir(d);
	if (nfiles == 0) {
		printf("Bail out! empty seed corpus at %s\n", dir);
		return 1;
	}
	qsort(files, nfiles, sizeof *files, by_name);
	printf("1..%zu\n", nfiles);
	for (size_t i = 0; i < nfiles; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		failed |= replay_file(path, (int)i + 1) != 0;
		free(files[i]);
	}
	free(files);
	return failed;
}
