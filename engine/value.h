/* value.h: the run-time values of expressions and user variables: null, boolean, number,
 * string, list, and JSON (a jansson json_t, for captured objects and arrays that `item.id` or
 * `ids[1]` index into). Conversion to text for templates, truthiness for `if:`, comparison.
 * Named lc_val (not lc_value): struct lc_value is already the plan's literal (config/plan.h).
 *
 * Ownership: a value either borrows what it points at (owned == false: a string in a user
 * variable, the plan, a response; a json_t someone else holds a reference to) or owns it
 * (owned == true: heap string bytes, a heap list whose items are owned too, a reference to a
 * json_t). lc_val_release frees what an owned value holds and does nothing for a borrowed one;
 * lc_val_copy makes an owned deep copy of either. JSON values are never modified once they are
 * held by a value: copies share them by reference count. */
#ifndef LC_ENGINE_VALUE_H
#define LC_ENGINE_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/base/base.h"

enum lc_val_kind {
  LC_VAL_NULL,
  LC_VAL_BOOL,
  LC_VAL_NUM,   /* a double */
  LC_VAL_STR,   /* bytes + length, not necessarily NUL-terminated, may hold NUL bytes */
  LC_VAL_LIST,  /* an array of values (a list literal, a `pick: all` capture) */
  LC_VAL_JSON,  /* a JSON object or array; or an integer beyond 2^53, kept exact */
};

struct lc_val {
  enum lc_val_kind kind;
  bool owned;
  union {
    bool b;
    double num;
    struct { const char *s; size_t len; } str;
    struct { struct lc_val *items; size_t n; } list;
    json_t *json;
  } u;
};

/* Constructors of borrowed values (nothing to release). */
struct lc_val lc_val_null(void);
struct lc_val lc_val_bool(bool b);
struct lc_val lc_val_num(double d);
struct lc_val lc_val_str(const char *s, size_t len);
/* A view of a JSON value (j borrowed, may be NULL = null). Scalars become plain values: a JSON
 * string is LC_VAL_STR pointing into j (valid while j lives), true/false LC_VAL_BOOL, null
 * LC_VAL_NULL, a real or an integer within +-2^53 LC_VAL_NUM; objects, arrays and larger
 * integers (which a double would round) stay LC_VAL_JSON. */
struct lc_val lc_val_json(json_t *j);

/* An owned list of n null items (n may be 0), for the caller to fill with owned items (set an
 * item with lc_val_copy). */
void lc_val_list_init(struct lc_val *v, size_t n);
/* Items of a list or a JSON array: the count (0 for anything else), and a borrowed view of
 * item i (LC_ENOENT when i is out of range or v is not a list; *out is then null). */
size_t lc_val_list_len(const struct lc_val *v);
int lc_val_list_get(const struct lc_val *v, size_t i, struct lc_val *out);

/* Makes *dst an owned deep copy of *src (strings and lists copied, JSON referenced). dst must
 * not hold anything (it is overwritten, not released); src may be borrowed or owned. */
void lc_val_copy(struct lc_val *dst, const struct lc_val *src);
/* Frees what v owns (if anything) and makes it null. */
void lc_val_release(struct lc_val *v);

/* Truthiness, for `if:`, `!`, `&&`, `||`: null, false, 0, NaN, "" and an empty list, object or
 * array are false; everything else is true (the string "0" and "false" too). */
bool lc_val_truthy(const struct lc_val *v);

/* The value as a number: a number; a string that reads entirely as a decimal number
 * ([+-]digits[.digits][e[+-]digits], no spaces, at most 64 bytes); a large JSON integer.
 * Returns false for anything else (booleans included). */
bool lc_val_number(const struct lc_val *v, double *out);

/* ==: null equals only null; numbers compare numerically, also with a string that reads as a
 * number ("3" == 3, "3.0" == 3); strings compare byte for byte ("3" != "3.0"); a boolean equals
 * a boolean or the string "true" / "false"; lists and JSON arrays compare item by item, JSON
 * objects by content (json_equal). Any other pair is unequal. */
bool lc_val_equal(const struct lc_val *a, const struct lc_val *b);
/* Ordering for < <= > >=: numbers (or a number and a string that reads as one) numerically;
 * two strings lexicographically by bytes (so "10" < "9"). Sets *cmp to <0, 0 or >0 and returns
 * 0, or returns LC_EINVAL for any other pair (null, booleans, lists, a NaN, a number and a
 * string that is not a number). */
int lc_val_compare(const struct lc_val *a, const struct lc_val *b, int *cmp);

/* "null", "boolean", "number", "string", "list", "JSON object", "JSON array", "JSON number":
 * for messages. */
const char *lc_val_kind_name(const struct lc_val *v);

/* Where text goes: returns 0 or a negative LC_E* code, which stops the writer's caller. */
typedef int (*lc_write_cb)(void *ctx, const char *p, size_t n);

/* Writes v as text: null as nothing, booleans as true / false, numbers as lc_num_format,
 * strings as their bytes, lists and JSON objects and arrays as compact JSON text. Returns 0 or
 * the writer's first error. Allocates nothing. */
int lc_val_write(const struct lc_val *v, lc_write_cb write, void *ctx);
/* Writes v as JSON: like lc_val_write, but strings are quoted and escaped, and null is null.
 * NaN and infinities become null. */
int lc_val_write_json(const struct lc_val *v, lc_write_cb write, void *ctx);
/* lc_val_write into a buffer (appended); LC_ETOOBIG when it passes the buffer's cap, and then
 * the buffer is left as it was. */
int lc_val_to_text(const struct lc_val *v, struct lc_buf *out);
/* A writer that appends to the struct lc_buf * ctx. */
int lc_buf_writer(void *ctx, const char *p, size_t n);

/* Escapes s[0..n) for the inside of a JSON string literal (no quotes): " \ and control
 * characters (\n \r \t \b \f, others \u00XX, DEL too); other bytes, UTF-8 included, as they
 * are. Writes runs of plain bytes at once. */
int lc_json_escape(const char *s, size_t n, lc_write_cb write, void *ctx);

/* Text of a number: integral values below 1e21 in magnitude without a fraction or exponent
 * (3, -2, 100000000000000000000), -0 as 0; others in the shortest %g form that reads back as
 * the same double (1.5, 0.1, 1e+21, 1.5e-07); NaN, Infinity, -Infinity. buf needs
 * LC_NUM_BUF bytes; returns the length written (NUL-terminated). */
enum { LC_NUM_BUF = 40 };
size_t lc_num_format(double d, char *buf);

#endif
