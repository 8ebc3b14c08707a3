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
/*
 * Most pieces are a few bytes: copied here in fixed-size chunks (each a
 * move or two; a byte loop is turned back into a memcpy call by the
 * compiler, which was most of report --timeline -j's copying).
 */
static inline void kht_buf_put(struct kht_buf *b, const char *s, size_t n)
{
	char *d = b->p + b->len;

	if (n > 16 || b->overflow || n + 1 > b->cap - b->len) {
		kht_buf_put_slow(b, s, n);
		return;
	}
	if (n & 16) {
		__builtin_memcpy(d, s, 16);
	} else {
		size_t i = 0;

		if (n & 8)
			__builtin_memcpy(d, s, 8), i = 8;
		if (n & 4)
			__builtin_memcpy(d + i, s + i, 4), i += 4;
		if (n & 2)
			__builtin_memcpy(d + i, s + i, 2), i += 2;
		if (n & 1)
			d[i] = s[i];
	}
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
/*
 * The per-event writers name their keys with string literals: those are
 * pasted into "\"key\":" at compile time (a key that is not a literal does
 * not compile) and copied as they are, with no scan for bytes to escape (an
 * identifier has none). Same bytes as kht_json_key() and the calls above.
 */
/* A comma is needed unless the last thing written opened the object or array. */
static inline void kht_json_sep(struct kht_buf *b)
{
	if (b->len && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[')
		kht_buf_put(b, ",", 1);
}
static inline void kht_json_rawkey(struct kht_buf *b, const char *quoted, size_t n)
{
	kht_json_sep(b);
	kht_buf_put(b, quoted, n);
}
#define KHT_JKEY(b, key) kht_json_rawkey(b, "\"" key "\":", sizeof(key) + 2)
/* The same when the separator is already written (a kht_memo piece's first key). */
#define KHT_JKEY_NOSEP(b, key) kht_buf_put(b, "\"" key "\":", sizeof(key) + 2)
#define KHT_JSTR(b, key, val) (KHT_JKEY(b, key), kht_json_strval(b, val))
#define KHT_JU64(b, key, val) (KHT_JKEY(b, key), kht_buf_u64(b, val))
#define KHT_JI64(b, key, val) (KHT_JKEY(b, key), kht_buf_i64(b, val))
#define KHT_JNULL(b, key) (KHT_JKEY(b, key), kht_buf_put(b, "null", 4))
/* A JSON string value, quoted and escaped (what kht_json_str writes after the key). */
void kht_json_strval(struct kht_buf *b, const char *val);

/*
 * The last piece written for a key, copied instead of formatted again: in a
 * timeline story every event names the same file and mostly the same task
 * (report --timeline -j formatted them 10 M times). The key must hold all
 * the piece is made from; the piece is what follows a separator.
 */
#define KHT_MEMO_KEY 64
#define KHT_MEMO_TEXT 192
struct kht_memo {
	unsigned char key[KHT_MEMO_KEY];
	char text[KHT_MEMO_TEXT];
	unsigned short keylen, len;	/* keylen 0: nothing kept */
};

/*
 * true, and the kept piece appended, if key (klen <= KHT_MEMO_KEY bytes) is
 * m's. Inline: with klen a constant the compare is a few loads, not a call.
 */
static inline bool kht_memo_put(struct kht_buf *b, const struct kht_memo *m, const void *key,
				size_t klen)
{
	if (!klen || m->keylen != klen || __builtin_memcmp(m->key, key, klen))
		return false;
	kht_buf_put(b, m->text, m->len);
	return true;
}
/* Keep b's bytes from `from` on as key's piece (unless b overflowed or they do not fit). */
void kht_memo_keep(struct kht_memo *m, const struct kht_buf *b, size_t from, const void *key,
		   size_t klen);

/* true if s[0..len) is exactly one valid JSON value (RFC 8259), surrounding whitespace allowed */
bool kht_json_valid(const char *s, size_t len);

#endif
