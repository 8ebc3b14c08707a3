/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A very small unit-test harness: TEST(name) registers a function, CHECK*
 * record failures with file:line and keep going, the runner prints one
 * "name:rc" line per test and the closing "N passed, N failed".
 */
#ifndef KHT_TEST_H
#define KHT_TEST_H

#include <stdio.h>
#include <string.h>

struct kht_test {
	const char *name;
	void (*fn)(void);
};

void kht_test_register(const char *name, void (*fn)(void));
extern int kht_test_failures;

#define TEST(name)							\
	static void test_##name(void);					\
	__attribute__((constructor)) static void reg_##name(void)	\
	{ kht_test_register(#name, test_##name); }			\
	static void test_##name(void)

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		kht_test_failures++;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (!_a || !_b || strcmp(_a, _b)) {				\
		fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
			_a ? _a : "(null)", _b ? _b : "(null)");	\
		kht_test_failures++;					\
	}								\
} while (0)

#define CHECK_CONTAINS(hay, needle) do {				\
	const char *_h = (hay), *_n = (needle);				\
	if (!_h || !strstr(_h, _n)) {					\
		fprintf(stderr, "  %s:%d: \"%s\" does not contain \"%s\"\n", \
			__FILE__, __LINE__, _h ? _h : "(null)", _n);	\
		kht_test_failures++;					\
	}								\
} while (0)

#endif
