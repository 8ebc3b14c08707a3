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
/*
 * The same without a format to parse, for the per-event paths (report
 * --timeline writes millions of rows): all or nothing, as kht_buf_printf.
 */
void kht_buf_put_slow(struct kht_buf *b, const char *s, size_t n);
/* Most pieces are a few bytes: copied here, not through a memcpy call. */
static inline void kht_buf_put(struct kht_buf *b, const char *s, size_t n)
{
	char *d = b->p + b->len;

	if (n > 16 || b->overflow || n + 1 > b->cap - b->len) {
		kht_buf_put_slow(b, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
	d[n] = '\0';
	b->len += n;
}
void kht_buf_str(struct kht_buf *b, const char *s);
void kht_buf_u64(struct kht_buf *b, unsigned long long v);		/* %llu */
void kht_buf_i64(struct kht_buf *b, long long v);			/* %lld */
/*
 * (ts - base) / 1e9 seconds with `decimals` (1-9) digits after the point,
 * a sign if plus or negative: what "%+.6f"/"%.3f" print of kht_rel_s(), in
 * integers where that is provably the same (the double is exact to well
 * under a nanosecond below 2^20 s, and no nanosecond sits on a rounding
 * tie), through printf otherwise.
 */
void kht_buf_rel_s(struct kht_buf *b, unsigned long long ts, unsigned long long base,
		   int decimals, bool plus);

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
