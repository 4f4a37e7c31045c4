// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replay a fuzz harness's corpus and regression inputs without libFuzzer:
 *
 *   replay_PARSER FUZZDIR PARSER
 *
 * feeds every file of FUZZDIR/corpus/PARSER (which must hold at least one)
 * and of FUZZDIR/regress/PARSER (if it exists) to the harness linked in
 * (LLVMFuzzerTestOneInput), each in a buffer of exactly its size, in name
 * order, and speaks TAP: one line per file. A property that fails aborts
 * the program with the harness's message, so the test fails.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

struct input {
	char *path;
};

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->path,
		      ((const struct input *)b)->path);
}

/* Append the regular files of @dir to @v; -1 if @dir cannot be read. */
static int list_dir(const char *dir, struct input **v, size_t *n)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	char *path;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			abort();
		if (stat(path, &st) || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		*v = realloc(*v, (*n + 1) * sizeof(**v));
		if (!*v)
			abort();
		(*v)[(*n)++].path = path;
	}
	closedir(d);
	return 0;
}

static uint8_t *read_all(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &st))
		return NULL;
	/* Exactly sized (1 byte for an empty file, never read). */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (buf && fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = st.st_size;
	return buf;
}

int main(int argc, char **argv)
{
	struct input *v = NULL;
	size_t n = 0, corpus, i, size;
	char *corpus_dir, *regress_dir;
	uint8_t *buf;
	int failed = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FUZZDIR PARSER\n", argv[0]);
		return 2;
	}
	if (asprintf(&corpus_dir, "%s/corpus/%s", argv[1], argv[2]) < 0 ||
	    asprintf(&regress_dir, "%s/regress/%s", argv[1], argv[2]) < 0)
		return 1;
	if (list_dir(corpus_dir, &v, &n) || !n) {
		printf("1..1\nnot ok 1 - %s: %s\n", corpus_dir,
		       n ? strerror(errno) : "no inputs");
		return 1;
	}
	corpus = n;
	if (list_dir(regress_dir, &v, &n) && errno != ENOENT) {
		printf("1..1\nnot ok 1 - %s: %s\n", regress_dir,
		       strerror(errno));
		return 1;
	}
	qsort(v, corpus, sizeof(*v), cmp_path);
	qsort(v + corpus, n - corpus, sizeof(*v), cmp_path);

	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		buf = read_all(v[i].path, &size);
		if (!buf) {
			printf("not ok %zu - %s: cannot read\n", i + 1,
			       v[i].path);
			failed = 1;
			continue;
		}
		fflush(stdout);
		LLVMFuzzerTestOneInput(buf, size);
		printf("ok %zu - %s (%zu bytes)\n", i + 1, v[i].path, size);
		free(buf);
		free(v[i].path);
	}
	printf("# %zu corpus and %zu regression inputs of %s\n", corpus,
	       n - corpus, argv[2]);
	free(v);
	free(corpus_dir);
	free(regress_dir);
	return failed;
}
