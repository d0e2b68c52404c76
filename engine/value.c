/* value.c: run-time values (see value.h): constructors, copies, truthiness, comparison, and
 * writing as text or JSON through a writer callback, so that a value can be rendered straight
 * into a capped output buffer, escaped on the way, without an intermediate copy. */
#include "engine/value.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: integers up to this magnitude are exact in a double. */
#define EXACT_INT_I 9007199254740992LL

struct lc_val lc_val_null(void) {
  struct lc_val v;
  memset(&v, 0, sizeof v);
  v.kind = LC_VAL_NULL;
  return v;
}

struct lc_val lc_val_bool(bool b) {
  struct lc_val v = lc_val_null();
  v.kind = LC_VAL_BOOL;
  v.u.b = b;
  return v;
}

struct lc_val lc_val_num(double d) {
  struct lc_val v = lc_val_null();
  v.kind = LC_VAL_NUM;
  v.u.num = d;
  return v;
}

struct lc_val lc_val_str(const char *s, size_t len) {
  struct lc_val v = lc_val_null();
  v.kind = LC_VAL_STR;
  v.u.str.s = s ? s : "";
  v.u.str.len = s ? len : 0;
  return v;
}

struct lc_val lc_val_json(json_t *j) {
  struct lc_val v = lc_val_null();
  if (!j) return v;
  switch (json_typeof(j)) {
  case JSON_STRING: return lc_val_str(json_string_value(j), json_string_length(j));
  case JSON_TRUE: return lc_val_bool(true);
  case JSON_FALSE: return lc_val_bool(false);
  case JSON_NULL: return v;
  case JSON_REAL: return lc_val_num(json_real_value(j));
  case JSON_INTEGER: {
    json_int_t i = json_integer_value(j);
    if (i >= -EXACT_INT_I && i <= EXACT_INT_I) return lc_val_num((double)i);
    break;
  }
  default: break;
  }
  v.kind = LC_VAL_JSON;
  v.u.json = j;
  return v;
}

/* A JSON value that holds a scalar reads as the plain value (values built by hand may hold
 * one); everything else is returned as it is. */
static struct lc_val norm(const struct lc_val *v) {
  if (v->kind == LC_VAL_JSON) return lc_val_json(v->u.json);
  return *v;
}

static bool is_json_int(const struct lc_val *v) {
  return v->kind == LC_VAL_JSON && json_is_integer(v->u.json);
}

void lc_val_list_init(struct lc_val *v, size_t n) {
  *v = lc_val_null();
  v->kind = LC_VAL_LIST;
  v->owned = true;
  v->u.list.n = n;
  v->u.list.items = lc_xcalloc(n ? n : 1, sizeof *v->u.list.items);
  for (size_t i = 0; i < n; i++) v->u.list.items[i] = lc_val_null();
}

size_t lc_val_list_len(const struct lc_val *v) {
  if (v->kind == LC_VAL_LIST) return v->u.list.n;
  if (v->kind == LC_VAL_JSON && json_is_array(v->u.json)) return json_array_size(v->u.json);
  return 0;
}

int lc_val_list_get(const struct lc_val *v, size_t i, struct lc_val *out) {
  *out = lc_val_null();
  if (i >= lc_val_list_len(v)) return LC_ENOENT;
  if (v->kind == LC_VAL_LIST) {
    *out = v->u.list.items[i];
    out->owned = false;
  } else {
    *out = lc_val_json(json_array_get(v->u.json, i));
  }
  return 0;
}

void lc_val_copy(struct lc_val *dst, const struct lc_val *src) {
  struct lc_val s = *src; /* src may alias dst */
  switch (s.kind) {
  case LC_VAL_STR: {
    char *p = lc_xmalloc(s.u.str.len + 1);
    if (s.u.str.len) memcpy(p, s.u.str.s, s.u.str.len);
    p[s.u.str.len] = '\0';
    *dst = lc_val_str(p, s.u.str.len);
    dst->owned = true;
    return;
  }
  case LC_VAL_LIST: {
    struct lc_val l;
    lc_val_list_init(&l, s.u.list.n);
    for (size_t i = 0; i < s.u.list.n; i++) lc_val_copy(&l.u.list.items[i], &s.u.list.items[i]);
    *dst = l;
    return;
  }
  case LC_VAL_JSON:
    *dst = s;
    dst->u.json = json_incref(s.u.json);
    dst->owned = true;
    return;
  default:
    *dst = s;
    dst->owned = false;
    return;
  }
}

void lc_val_release(struct lc_val *v) {
  if (v->owned) {
    switch (v->kind) {
    case LC_VAL_STR: free((char *)v->u.str.s); break;
    case LC_VAL_LIST:
      for (size_t i = 0; i < v->u.list.n; i++) lc_val_release(&v->u.list.items[i]);
      free(v->u.list.items);
      break;
    case LC_VAL_JSON: json_decref(v->u.json); break;
    default: break;
    }
  }
  *v = lc_val_null();
}

bool lc_val_truthy(const struct lc_val *v) {
  struct lc_val x = norm(v);
  switch (x.kind) {
  case LC_VAL_NULL: return false;
  case LC_VAL_BOOL: return x.u.b;
  case LC_VAL_NUM: return x.u.num != 0 && !isnan(x.u.num);
  case LC_VAL_STR: return x.u.str.len > 0;
  case LC_VAL_LIST: return x.u.list.n > 0;
  case LC_VAL_JSON:
    if (json_is_object(x.u.json)) return json_object_size(x.u.json) > 0;
    if (json_is_array(x.u.json)) return json_array_size(x.u.json) > 0;
    return true; /* a large integer: never 0 */
  }
  return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? over the whole of s[0..n). */
static bool reads_as_number(const char *s, size_t n) {
  size_t i = 0, digits = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  while (i < n && is_digit(s[i])) i++, digits++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && is_digit(s[i])) i++, digits++;
  }
  if (digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t exp = 0;
    while (i < n && is_digit(s[i])) i++, exp++;
    if (exp == 0) return false;
  }
  return i == n;
}

bool lc_val_number(const struct lc_val *v, double *out) {
  struct lc_val x = norm(v);
  if (x.kind == LC_VAL_NUM) {
    *out = x.u.num;
    return true;
  }
  if (is_json_int(&x)) {
    *out = (double)json_integer_value(x.u.json);
    return true;
  }
  if (x.kind == LC_VAL_STR && x.u.str.len <= 64 && reads_as_number(x.u.str.s, x.u.str.len)) {
    char tmp[65];
    memcpy(tmp, x.u.str.s, x.u.str.len);
    tmp[x.u.str.len] = '\0';
    *out = strtod(tmp, NULL); /* out of range gives +-HUGE_VAL or 0: still a number */
    return true;
  }
  return false;
}

static bool is_numeric(const struct lc_val *v) { return v->kind == LC_VAL_NUM || is_json_int(v); }

/* The value as an exact integer: a large JSON integer, or an integral number within the range
 * of json_int_t. */
static bool exact_int(const struct lc_val *v, json_int_t *out) {
  if (is_json_int(v)) {
    *out = json_integer_value(v->u.json);
    return true;
  }
  if (v->kind == LC_VAL_NUM && v->u.num == floor(v->u.num) && v->u.num >= -9223372036854775808.0 &&
      v->u.num < 9223372036854775808.0) {
    *out = (json_int_t)v->u.num;
    return true;
  }
  return false;
}

/* Compares two numeric values (is_numeric or a numeric string), exactly when one of them is a
 * large JSON integer and the other an integer. Returns false when either is not a number or is
 * NaN. */
static bool num_cmp(const struct lc_val *a, const struct lc_val *b, int *cmp) {
  json_int_t i, k;
  if ((is_json_int(a) || is_json_int(b)) && exact_int(a, &i) && exact_int(b, &k)) {
    *cmp = (i > k) - (i < k);
    return true;
  }
  double x, y;
  if (!lc_val_number(a, &x) || !lc_val_number(b, &y) || isnan(x) || isnan(y)) return false;
  *cmp = (x > y) - (x < y);
  return true;
}
static bool is_listlike(const struct lc_val *v) {
  return v->kind == LC_VAL_LIST || (v->kind == LC_VAL_JSON && json_is_array(v->u.json));
}

static bool str_is(const struct lc_val *v, const char *lit) {
  size_t n = strlen(lit);
  return v->u.str.len == n && memcmp(v->u.str.s, lit, n) == 0;
}

static bool objects_equal(json_t *a, json_t *b) {
  if (json_object_size(a) != json_object_size(b)) return false;
  const char *key;
  json_t *va;
  json_object_foreach(a, key, va) {
    json_t *vb = json_object_get(b, key);
    if (!vb) return false;
    struct lc_val x = lc_val_json(va), y = lc_val_json(vb);
    if (!lc_val_equal(&x, &y)) return false;
  }
  return true;
}

bool lc_val_equal(const struct lc_val *pa, const struct lc_val *pb) {
  struct lc_val a = norm(pa), b = norm(pb);
  if (a.kind == LC_VAL_NULL || b.kind == LC_VAL_NULL) return a.kind == b.kind;
  int c;
  if ((is_numeric(&a) && (is_numeric(&b) || b.kind == LC_VAL_STR)) ||
      (is_numeric(&b) && a.kind == LC_VAL_STR))
    return num_cmp(&a, &b, &c) && c == 0;
  if (a.kind == LC_VAL_BOOL && b.kind == LC_VAL_BOOL) return a.u.b == b.u.b;
  if (a.kind == LC_VAL_BOOL && b.kind == LC_VAL_STR) return str_is(&b, a.u.b ? "true" : "false");
  if (b.kind == LC_VAL_BOOL && a.kind == LC_VAL_STR) return str_is(&a, b.u.b ? "true" : "false");
  if (a.kind == LC_VAL_STR && b.kind == LC_VAL_STR)
    return a.u.str.len == b.u.str.len &&
           (a.u.str.len == 0 || memcmp(a.u.str.s, b.u.str.s, a.u.str.len) == 0);
  if (is_listlike(&a) && is_listlike(&b)) {
    size_t n = lc_val_list_len(&a);
    if (n != lc_val_list_len(&b)) return false;
    for (size_t i = 0; i < n; i++) {
      struct lc_val x1, y1;
      lc_val_list_get(&a, i, &x1);
      lc_val_list_get(&b, i, &y1);
      if (!lc_val_equal(&x1, &y1)) return false;
    }
    return true;
  }
  if (a.kind == LC_VAL_JSON && b.kind == LC_VAL_JSON && json_is_object(a.u.json) &&
      json_is_object(b.u.json))
    return objects_equal(a.u.json, b.u.json);
  return false;
}

int lc_val_compare(const struct lc_val *pa, const struct lc_val *pb, int *cmp) {
  struct lc_val a = norm(pa), b = norm(pb);
  if (a.kind == LC_VAL_STR && b.kind == LC_VAL_STR) {
    size_t n = a.u.str.len < b.u.str.len ? a.u.str.len : b.u.str.len;
    int c = n ? memcmp(a.u.str.s, b.u.str.s, n) : 0;
    if (c == 0) c = (a.u.str.len > b.u.str.len) - (a.u.str.len < b.u.str.len);
    *cmp = c;
    return 0;
  }
  if ((is_numeric(&a) || is_numeric(&b)) && num_cmp(&a, &b, cmp)) return 0;
  return LC_EINVAL;
}

const char *lc_val_kind_name(const struct lc_val *v) {
  switch (v->kind) {
  case LC_VAL_NULL: return "null";
  case LC_VAL_BOOL: return "boolean";
  case LC_VAL_NUM: return "number";
  case LC_VAL_STR: return "string";
  case LC_VAL_LIST: return "list";
  case LC_VAL_JSON:
    if (json_is_object(v->u.json)) return "JSON object";
    if (json_is_array(v->u.json)) return "JSON array";
    if (json_is_number(v->u.json)) return "JSON number";
    return "JSON value";
  }
  return "value";
}

static size_t format_int(int64_t v, char *buf) {
  char tmp[24];
  size_t k = 0, n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[k++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) buf[n++] = '-';
  while (k) buf[n++] = tmp[--k];
  buf[n] = '\0';
  return n;
}

size_t lc_num_format(double d, char *buf) {
  int n;
  if (isnan(d))
    n = snprintf(buf, LC_NUM_BUF, "NaN");
  else if (isinf(d))
    n = snprintf(buf, LC_NUM_BUF, "%s", d > 0 ? "Infinity" : "-Infinity");
  else if (d == 0)
    n = snprintf(buf, LC_NUM_BUF, "0");
  else if (d == floor(d) && fabs(d) < 9007199254740992.0)
    n = (int)format_int((int64_t)d, buf); /* the common case, without printf's float code */
  else if (d == floor(d) && fabs(d) < 1e21)
    n = snprintf(buf, LC_NUM_BUF, "%.0f", d);
  else {
    n = 0;
    for (int prec = 1; prec <= 17; prec++) {
      n = snprintf(buf, LC_NUM_BUF, "%.*g", prec, d);
      if (strtod(buf, NULL) == d) break;
    }
  }
  return n < 0 ? 0 : (size_t)n;
}

int lc_json_escape(const char *s, size_t n, lc_write_cb write, void *ctx) {
  static const char hex[] = "0123456789abcdef";
  size_t run = 0; /* start of the bytes not written yet */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char e[6];
    size_t en = 2;
    e[0] = '\\';
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    default:
      if (c >= 0x20 && c != 0x7f) continue;
      e[1] = 'u';
      e[2] = '0';
      e[3] = '0';
      e[4] = hex[c >> 4];
      e[5] = hex[c & 15];
      en = 6;
      break;
    }
    int rc = i > run ? write(ctx, s + run, i - run) : 0;
    if (rc == 0) rc = write(ctx, e, en);
    if (rc != 0) return rc;
    run = i + 1;
  }
  return n > run ? write(ctx, s + run, n - run) : 0;
}

static int write_lit(lc_write_cb write, void *ctx, const char *s) {
  return write(ctx, s, strlen(s));
}

static int write_num(double d, lc_write_cb write, void *ctx) {
  char buf[LC_NUM_BUF];
  size_t n = lc_num_format(d, buf);
  return write(ctx, buf, n);
}

static int write_quoted(const char *s, size_t n, lc_write_cb write, void *ctx) {
  int rc = write(ctx, "\"", 1);
  if (rc == 0) rc = lc_json_escape(s, n, write, ctx);
  if (rc == 0) rc = write(ctx, "\"", 1);
  return rc;
}

static int write_json_t(json_t *j, lc_write_cb write, void *ctx) {
  int rc = 0;
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    const char *key;
    json_t *v;
    size_t i = 0;
    rc = write(ctx, "{", 1);
    json_object_foreach(j, key, v) {
      if (rc == 0 && i++) rc = write(ctx, ",", 1);
      if (rc == 0) rc = write_quoted(key, strlen(key), write, ctx);
      if (rc == 0) rc = write(ctx, ":", 1);
      if (rc == 0) rc = write_json_t(v, write, ctx);
      if (rc != 0) return rc;
    }
    return rc == 0 ? write(ctx, "}", 1) : rc;
  }
  case JSON_ARRAY:
    rc = write(ctx, "[", 1);
    for (size_t i = 0; rc == 0 && i < json_array_size(j); i++) {
      if (i) rc = write(ctx, ",", 1);
      if (rc == 0) rc = write_json_t(json_array_get(j, i), write, ctx);
    }
    return rc == 0 ? write(ctx, "]", 1) : rc;
  case JSON_STRING: return write_quoted(json_string_value(j), json_string_length(j), write, ctx);
  case JSON_INTEGER: {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(j));
    return write(ctx, buf, n < 0 ? 0 : (size_t)n);
  }
  case JSON_REAL: {
    double d = json_real_value(j);
    return isfinite(d) ? write_num(d, write, ctx) : write_lit(write, ctx, "null");
  }
  case JSON_TRUE: return write_lit(write, ctx, "true");
  case JSON_FALSE: return write_lit(write, ctx, "false");
  case JSON_NULL: return write_lit(write, ctx, "null");
  }
  return 0;
}

int lc_val_write_json(const struct lc_val *pv, lc_write_cb write, void *ctx) {
  struct lc_val v = norm(pv);
  switch (v.kind) {
  case LC_VAL_NULL: return write_lit(write, ctx, "null");
  case LC_VAL_BOOL: return write_lit(write, ctx, v.u.b ? "true" : "false");
  case LC_VAL_NUM:
    return isfinite(v.u.num) ? write_num(v.u.num, write, ctx) : write_lit(write, ctx, "null");
  case LC_VAL_STR: return write_quoted(v.u.str.s, v.u.str.len, write, ctx);
  case LC_VAL_LIST: {
    int rc = write(ctx, "[", 1);
    for (size_t i = 0; rc == 0 && i < v.u.list.n; i++) {
      if (i) rc = write(ctx, ",", 1);
      if (rc == 0) rc = lc_val_write_json(&v.u.list.items[i], write, ctx);
    }
    return rc == 0 ? write(ctx, "]", 1) : rc;
  }
  case LC_VAL_JSON: return write_json_t(v.u.json, write, ctx);
  }
  return 0;
}

int lc_val_write(const struct lc_val *pv, lc_write_cb write, void *ctx) {
  struct lc_val v = norm(pv);
  switch (v.kind) {
  case LC_VAL_NULL: return 0;
  case LC_VAL_BOOL: return write_lit(write, ctx, v.u.b ? "true" : "false");
  case LC_VAL_NUM: return write_num(v.u.num, write, ctx);
  case LC_VAL_STR: return v.u.str.len ? write(ctx, v.u.str.s, v.u.str.len) : 0;
  case LC_VAL_LIST:
  case LC_VAL_JSON: return lc_val_write_json(&v, write, ctx);
  }
  return 0;
}

int lc_buf_writer(void *ctx, const char *p, size_t n) { return lc_buf_append(ctx, p, n); }

int lc_val_to_text(const struct lc_val *v, struct lc_buf *out) {
  size_t start = out->len;
  int rc = lc_val_write(v, lc_buf_writer, out);
  if (rc != 0) {
    out->len = start;
    if (out->data) out->data[start] = '\0';
  }
  return rc;
}
