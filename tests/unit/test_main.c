// SPDX-License-Identifier: GPL-2.0
/* Unit-test runner: `unit-tests [FILTER]` runs the tests whose name contains FILTER. */
#include <stdlib.h>
#include "kht_test.h"

#define MAX_TESTS 256
static struct kht_test tests[MAX_TESTS];
static int ntests;
int kht_test_failures;

void kht_test_register(const char *name, void (*fn)(void))
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (struct kht_test){ name, fn };
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

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
