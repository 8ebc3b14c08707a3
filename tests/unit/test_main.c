// SPDX-License-Identifier: GPL-2.0
/* Unit-test runner: `unit-tests [FILTER]` runs the tests whose name contains FILTER. */
#include <stdlib.h>
#include "kht_test.h"
#include "lib/json.h"
#include "pf_walk.h"

#define MAX_TESTS 256
static struct kht_test tests[MAX_TESTS];
static int ntests;
int kht_test_failures;

void kht_test_register(const char *name, void (*fn)(void))
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (struct kht_test){ name, fn };
}

/* Every line of FILE must be one valid JSON value (used by the live tests). */
static int validate_json_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int bad = 0, lines = 0;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 2;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		lines++;
		if (!kht_json_valid(line, n)) {
			fprintf(stderr, "%s:%d: invalid JSON\n", path, lines);
			bad = 1;
		}
	}
	free(line);
	fclose(f);
	return bad || !lines;
}

/*
 * FILE must be a Perfetto protobuf trace the walker accepts (pf_walk.h); one
 * line says what is in it: "perfetto: P packets, T tracks (S stories), N
 * slices, I instants".
 */
static int check_perfetto(const char *path)
{
	FILE *f = fopen(path, "r");
	struct pf_trace t = { 0 };
	unsigned char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n, stories = 0, instants = 0;
	int rc;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 2;
	}
	for (;;) {
		if (len == cap) {
			nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
			if (!nb) {
				free(buf);
				fclose(f);
				return 2;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	rc = pf_walk(buf, len, &t);
	free(buf);
	if (rc) {
		fprintf(stderr, "%s: not a trace Perfetto reads: %s\n", path, t.error);
		pf_free(&t);
		return 1;
	}
	for (size_t i = 0; i < t.ntracks; i++)
		stories += !t.tracks[i].parent;
	for (size_t i = 0; i < t.nevents; i++)
		instants += t.events[i].type == 3;
	printf("perfetto: %zu packets, %zu tracks (%zu stories), %zu slices, %zu instants\n",
	       t.packets, t.ntracks, stories, t.slices, instants);
	pf_free(&t);
	return 0;
}

/* FILE must be exactly one valid JSON document. */
static int validate_json_doc(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[65536];
	int ok;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 2;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				return 2;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	ok = buf && kht_json_valid(buf, len);
	if (!ok)
		fprintf(stderr, "%s: invalid JSON document\n", path);
	free(buf);
	return !ok;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	if (argc == 3 && !strcmp(argv[1], "--validate-json"))
		return validate_json_lines(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--validate-json-doc"))
		return validate_json_doc(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--check-perfetto"))
		return check_perfetto(argv[2]);

	for (int i = 0; i < ntests; i++) {
		int before = kht_test_failures;

		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		tests[i].fn();
		if (kht_test_failures == before)
			passed++;
		else
			failed++;
		printf("unit/%s:%d\n", tests[i].name, kht_test_failures != before);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
