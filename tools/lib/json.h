/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal JSON: a writer for one-object-per-line output, and a validator for tests. */
#ifndef KHT_JSON_H
#define KHT_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* An append-only buffer; writes past the end are dropped and `overflow` set. */
struct kht_buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

void kht_buf_init(struct kht_buf *b, char *mem, size_t cap);
void kht_buf_printf(struct kht_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* JSON object builder on a kht_buf: {"k":v,...} */
void kht_json_begin(struct kht_buf *b);
void kht_json_end(struct kht_buf *b);
void kht_json_str(struct kht_buf *b, const char *key, const char *val);
void kht_json_u64(struct kht_buf *b, const char *key, unsigned long long val);
void kht_json_i64(struct kht_buf *b, const char *key, long long val);
void kht_json_bool(struct kht_buf *b, const char *key, bool val);
void kht_json_null(struct kht_buf *b, const char *key);
void kht_json_double(struct kht_buf *b, const char *key, double val);
/* Start a nested value under key: caller writes it raw. */
void kht_json_key(struct kht_buf *b, const char *key);

/* true if s[0..len) is exactly one valid JSON value (RFC 8259), surrounding whitespace allowed */
bool kht_json_valid(const char *s, size_t len);

#endif
