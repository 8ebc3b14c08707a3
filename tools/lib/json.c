// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "json.h"

void kht_buf_init(struct kht_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
	if (cap)
		mem[0] = '\0';
}

void kht_buf_printf(struct kht_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = true;
		if (b->cap)	/* never leave half a token behind */
			b->p[b->len] = '\0';
		return;
	}
	b->len += n;
}

/*
 * Append n bytes as one token (all or nothing, as kht_buf_printf): the
 * writers below use it instead of a printf per character or literal, which
 * made formatting the hot spot of report --perfetto and timeline -j.
 */
void kht_buf_put_slow(struct kht_buf *b, const char *s, size_t n)
{
	if (b->overflow)
		return;
	if (n >= b->cap - b->len) {
		b->overflow = true;
		if (b->cap)	/* a buffer of no bytes has no room for the NUL either */
			b->p[b->len] = '\0';
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

#define put kht_buf_put

void kht_buf_str(struct kht_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* v's digits end at end; returns where they begin (a sign before them if neg) */
static char *digits_of(unsigned long long v, char *end, bool neg)
{
	char *p = end;

	do
		*--p = '0' + v % 10;
	while (v /= 10);
	if (neg)
		*--p = '-';
	return p;
}

/* "00" "01" .. "99": two digits a lookup */
static const char pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/*
 * The 8 digits of x < 10^8, leading zeros kept, ending at end: four pair
 * lookups that do not wait on each other, in 32-bit arithmetic (a chain of
 * 64-bit divisions by 100 was most of -j's nanosecond times, 19 digits each).
 */
static inline void put8(char *end, unsigned x)
{
	unsigned hi = x / 10000, lo = x % 10000;

	__builtin_memcpy(end - 8, pairs + 2 * (hi / 100), 2);
	__builtin_memcpy(end - 6, pairs + 2 * (hi % 100), 2);
	__builtin_memcpy(end - 4, pairs + 2 * (lo / 100), 2);
	__builtin_memcpy(end - 2, pairs + 2 * (lo % 100), 2);
}

/* v's digits (and a sign if neg) written straight into b, as one token */
static void put_digits(struct kht_buf *b, unsigned long long v, bool neg)
{
	static const unsigned long long pow10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
		100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
		10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
		100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
	};
	/* digits: log10 from the bit length (x * 1233 >> 12 ~ x * log10(2)), then one compare */
	size_t nd = (64 - __builtin_clzll(v | 1)) * 1233 >> 12, n;
	unsigned w;
	char *p;

	nd += nd < 20 && v >= pow10[nd];
	nd += !nd;
	n = nd + neg;
	if (b->overflow || n >= b->cap - b->len) {
		kht_buf_put_slow(b, "", n);	/* too long: only marks the overflow */
		return;
	}
	p = b->p + b->len + n;
	*p = '\0';
	/* 8 digits a 64-bit division, then the leading (at most 8) in 32 bits */
	for (; v >= 100000000; v /= 100000000, p -= 8)
		put8(p, v % 100000000);
	for (w = v; w >= 100; w /= 100)
		__builtin_memcpy(p -= 2, pairs + 2 * (w % 100), 2);
	if (w >= 10)
		__builtin_memcpy(p -= 2, pairs + 2 * w, 2);
	else
		*--p = '0' + w;
	if (neg)
		*--p = '-';
	b->len += n;
}

void kht_buf_u64(struct kht_buf *b, unsigned long long v)
{
	put_digits(b, v, false);
}

void kht_buf_i64(struct kht_buf *b, long long v)
{
	/* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
	put_digits(b, v < 0 ? -(unsigned long long)v : (unsigned long long)v, v < 0);
}

#define put_u64 kht_buf_u64

/*
 * x ns is halfway between two printable values, q below it: does printf
 * round the double x / 1e9 up? Its value is m * 2^e exactly; compared with
 * the halfway point x / 1e9 as m * 1e9 against x * 2^-e (both about
 * m * 1e9 < 2^83: they fit 128 bits). Above the tie: up; below: down; on
 * it: to even, as glibc does.
 */
static bool tie_rounds_up(unsigned long long x, unsigned long long q)
{
	int e;
	double m = frexp(x / 1e9, &e);		/* x/1e9 = m * 2^e, 0.5 <= m < 1 */
	unsigned __int128 mant = (unsigned __int128)ldexp(m, 53), lhs, rhs;

	e -= 53;
	if (e >= 0 || -e > 100)
		return q & 1;			/* not reached below 2^20 s */
	lhs = mant * 1000000000u;
	rhs = (unsigned __int128)x << -e;
	return lhs != rhs ? lhs > rhs : (q & 1);
}

void kht_buf_rel_s(struct kht_buf *b, unsigned long long ts, unsigned long long base,
		   int decimals, bool plus)
{
	static const unsigned long long pow10[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
						      10000000, 100000000, 1000000000 };
	bool neg = ts < base;
	unsigned long long x = neg ? base - ts : ts - base, unit, q, r, whole, frac;
	char d[48], *end = d + sizeof(d), *p;

	if (decimals < 1 || decimals > 9)
		decimals = 6;
	unit = pow10[9 - decimals];	/* ns per last digit */
	q = x / unit;
	r = x % unit;
	/*
	 * Below 2^20 s the double x / 1e9 is within 1.2e-10 s of the truth, so
	 * it rounds as the integers do unless the truth is a tie (r == unit/2):
	 * then the double's own bits decide, read exactly with 128-bit integers.
	 * Further out, printf.
	 */
	if (x >= (1ULL << 20) * 1000000000ULL) {
		double v = neg ? -(x / 1e9) : x / 1e9;

		kht_buf_printf(b, plus ? "%+.*f" : "%.*f", decimals, v);
		return;
	}
	if (unit > 1 && r == unit / 2)
		q += tie_rounds_up(x, q);
	else
		q += unit > 1 && r > unit / 2;
	whole = q / pow10[decimals];
	frac = q % pow10[decimals];
	p = end;
	for (int i = 0; i < decimals; i++, frac /= 10)
		*--p = '0' + frac % 10;
	*--p = '.';
	p = digits_of(whole, p, false);
	if (neg)
		*--p = '-';
	else if (plus)
		*--p = '+';
	put(b, p, end - p);
}

#define sep kht_json_sep

/* Bytes that go into a JSON string as they are: printable ASCII but " and \\ */
static const bool plain[256] = {
	[0x20 ... '"' - 1] = true, ['"' + 1 ... '\\' - 1] = true, ['\\' + 1 ... 0x7e] = true,
};

static void put_string(struct kht_buf *b, const char *s)
{
	put(b, "\"", 1);
	while (*s) {
		size_t run = 0;
		unsigned char c;

		/* plain characters go in runs (NUL is not plain: the run ends there) */
		while (plain[(unsigned char)s[run]])
			run++;
		put(b, s, run);
		s += run;
		c = *s;
		if (!c)
			break;
		if (c == '"' || c == '\\')
			kht_buf_printf(b, "\\%c", c);
		else
			/* kernel names are bytes, not UTF-8: escape so output stays valid */
			kht_buf_printf(b, "\\u%04x", c);
		s++;
	}
	put(b, "\"", 1);
}

void kht_json_strval(struct kht_buf *b, const char *val)
{
	put_string(b, val);
}

void kht_json_key(struct kht_buf *b, const char *key)
{
	sep(b);
	put_string(b, key);
	put(b, ":", 1);
}

void kht_json_begin(struct kht_buf *b)
{
	if (b->len && b->p[b->len - 1] != ':')
		sep(b);
	put(b, "{", 1);
}

void kht_json_end(struct kht_buf *b) { put(b, "}", 1); }

void kht_json_str(struct kht_buf *b, const char *key, const char *val)
{
	kht_json_key(b, key);
	put_string(b, val);
}

void kht_json_u64(struct kht_buf *b, const char *key, unsigned long long val)
{
	kht_json_key(b, key);
	put_u64(b, val);
}

void kht_json_i64(struct kht_buf *b, const char *key, long long val)
{
	kht_json_key(b, key);
	kht_buf_i64(b, val);
}

void kht_json_bool(struct kht_buf *b, const char *key, bool val)
{
	kht_json_key(b, key);
	if (val)
		put(b, "true", 4);
	else
		put(b, "false", 5);
}

void kht_json_null(struct kht_buf *b, const char *key)
{
	kht_json_key(b, key);
	put(b, "null", 4);
}

void kht_json_double(struct kht_buf *b, const char *key, double val)
{
	kht_json_key(b, key);
	kht_buf_printf(b, "%.3f", val);
}

void kht_memo_keep(struct kht_memo *m, const struct kht_buf *b, size_t from, const void *key,
		   size_t klen)
{
	size_t n = b->len - from;

	m->keylen = 0;
	if (b->overflow || from > b->len || n > sizeof(m->text) || !klen || klen > sizeof(m->key))
		return;
	memcpy(m->text, b->p + from, n);
	memcpy(m->key, key, klen);
	m->len = n;
	m->keylen = klen;
}

/* ---- validator: recursive descent, depth-bounded ---- */

struct jp {
	const char *s, *end;
	int depth;
};

static void ws(struct jp *p)
{
	while (p->s < p->end && strchr(" \t\r\n", *p->s))
		p->s++;
}

static bool lit(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n))
		return false;
	p->s += n;
	return true;
}

static bool digits(struct jp *p)
{
	const char *st = p->s;

	while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
		p->s++;
	return p->s > st;
}

static bool number(struct jp *p)
{
	if (p->s < p->end && *p->s == '-')
		p->s++;
	if (p->s < p->end && *p->s == '0')
		p->s++;
	else if (!digits(p))
		return false;
	if (p->s < p->end && *p->s == '.') {
		p->s++;
		if (!digits(p))
			return false;
	}
	if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
		p->s++;
		if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
			p->s++;
		if (!digits(p))
			return false;
	}
	return true;
}

static bool string(struct jp *p)
{
	if (p->s >= p->end || *p->s != '"')
		return false;
	for (p->s++; p->s < p->end; p->s++) {
		unsigned char c = *p->s;

		if (c == '"') {
			p->s++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++p->s >= p->end)
				return false;
			if (*p->s == 'u') {
				for (int i = 0; i < 4; i++)
					if (++p->s >= p->end || !strchr("0123456789abcdefABCDEF", *p->s))
						return false;
			} else if (!strchr("\"\\/bfnrt", *p->s)) {
				return false;
			}
		}
	}
	return false;
}

static bool value(struct jp *p);

static bool members(struct jp *p, char close, bool keyed)
{
	p->s++;
	ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		return true;
	}
	for (;;) {
		ws(p);
		if (keyed) {
			if (!string(p))
				return false;
			ws(p);
			if (p->s >= p->end || *p->s++ != ':')
				return false;
		}
		if (!value(p))
			return false;
		ws(p);
		if (p->s >= p->end)
			return false;
		if (*p->s == close) {
			p->s++;
			return true;
		}
		if (*p->s++ != ',')
			return false;
	}
}

static bool value(struct jp *p)
{
	bool ok;

	ws(p);
	if (p->s >= p->end || ++p->depth > 64)
		return false;
	switch (*p->s) {
	case '{': ok = members(p, '}', true); break;
	case '[': ok = members(p, ']', false); break;
	case '"': ok = string(p); break;
	case 't': ok = lit(p, "true"); break;
	case 'f': ok = lit(p, "false"); break;
	case 'n': ok = lit(p, "null"); break;
	default: ok = number(p); break;
	}
	p->depth--;
	return ok;
}

bool kht_json_valid(const char *s, size_t len)
{
	struct jp p = { s, s + len, 0 };

	if (!value(&p))
		return false;
	ws(&p);
	return p.s == p.end;
}
