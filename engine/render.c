/* render.c: evaluating expressions and rendering templates at run time (see render.h). One
 * evaluation walks the parsed tree with values that borrow what they read (variables, the plan,
 * the response), so that rendering `{{ token }}` copies the token once, into the output; only
 * function results need memory of their own, taken from a scratch area that starts on the
 * stack. Paths into JSON and lists that do not exist come back as MISSING, which operands of
 * comparisons and boolean operators read as null and everything else reports. */
#include "engine/render.h"

#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Internal result of eval: a key, index or header that is not there (message already in err). */
enum { MISSING = 1 };

enum { RANDOM_STRING_MAX = 4096, STACK_SCRATCH = 1024 };

/* ---- scratch: stable memory for function results during one call ---- */

struct block {
  struct block *next;
  max_align_t data[];
};

struct scratch {
  union {
    max_align_t align;
    char bytes[STACK_SCRATCH];
  } stack;
  size_t used;        /* of stack */
  size_t total;       /* bytes handed out, stack and heap */
  struct block *heap; /* blocks beyond the stack, each for one allocation */
};

struct eval {
  const struct lc_eval_ctx *ctx;
  struct lc_buf *err;
  struct scratch sc;
};

static void scratch_reset(struct scratch *sc) {
  while (sc->heap) {
    struct block *b = sc->heap;
    sc->heap = b->next;
    free(b);
  }
  sc->used = sc->total = 0;
}

static int fail(struct eval *ev, int rc, const char *fmt, ...) LC_PRINTF(3, 4);
static int fail(struct eval *ev, int rc, const char *fmt, ...) {
  if (!ev->err) return rc;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t len = n < 0 ? 0 : (size_t)n >= sizeof msg ? sizeof msg - 1 : (size_t)n;
  struct lc_buf *b = ev->err;
  if (b->max && len > b->max - (b->len < b->max ? b->len : b->max))
    len = b->len < b->max ? b->max - b->len : 0;
  lc_buf_append(b, msg, len);
  return rc;
}

/* n bytes that stay put until the scratch is reset, or NULL (with the error set) past the cap. */
static void *scratch_alloc(struct eval *ev, size_t n) {
  struct scratch *sc = &ev->sc;
  size_t align = alignof(max_align_t);
  size_t size = (n + align - 1) / align * align;
  if (size == 0) size = align;
  if (size > LC_EVAL_SCRATCH_MAX - sc->total) {
    fail(ev, LC_ETOOBIG, "function results need more than %zu bytes", LC_EVAL_SCRATCH_MAX);
    return NULL;
  }
  sc->total += size;
  if (size <= sizeof sc->stack.bytes - sc->used) {
    void *p = sc->stack.bytes + sc->used;
    sc->used += size;
    return p;
  }
  struct block *b = lc_xmalloc(sizeof *b + size);
  b->next = sc->heap;
  sc->heap = b;
  return b->data;
}

/* ---- messages ---- */

/* "string 'abc'", "number 1.5", "boolean true", "null", "list", "JSON object": what a value is,
 * for messages; long strings are cut. */
static void describe(const struct lc_val *v, char *buf, size_t size) {
  char num[LC_NUM_BUF];
  switch (v->kind) {
  case LC_VAL_STR: {
    int n = v->u.str.len > 40 ? 40 : (int)v->u.str.len;
    snprintf(buf, size, "string '%.*s%s'", n, v->u.str.s, v->u.str.len > 40 ? "..." : "");
    break;
  }
  case LC_VAL_NUM:
    lc_num_format(v->u.num, num);
    snprintf(buf, size, "number %s", num);
    break;
  case LC_VAL_BOOL: snprintf(buf, size, "boolean %s", v->u.b ? "true" : "false"); break;
  default: snprintf(buf, size, "%s", lc_val_kind_name(v)); break;
  }
}

/* The variable path of e up to (not including) part `upto`: item.id, ids[1]. */
static void path_text(const struct lc_expr *e, size_t upto, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < upto && i < e->u.var.n && len < size; i++) {
    const struct lc_var_part *p = &e->u.var.parts[i];
    int n = p->name ? snprintf(buf + len, size - len, "%s%s", i ? "." : "", p->name)
                    : snprintf(buf + len, size - len, "[%ld]", p->index);
    if (n < 0) break;
    len += (size_t)n;
  }
}

/* ---- variables ---- */

static int walk(struct eval *ev, const struct lc_expr *e, size_t from, struct lc_val *out) {
  for (size_t k = from; k < e->u.var.n; k++) {
    const struct lc_var_part *p = &e->u.var.parts[k];
    char path[160], parent[160], what[80];
    if (p->name) {
      if (out->kind == LC_VAL_JSON && json_is_object(out->u.json)) {
        json_t *j = json_object_get(out->u.json, p->name);
        if (!j) {
          path_text(e, k + 1, path, sizeof path);
          return fail(ev, MISSING, "'%s': no key '%s'", path, p->name);
        }
        *out = lc_val_json(j);
        continue;
      }
      path_text(e, k + 1, path, sizeof path);
      path_text(e, k, parent, sizeof parent);
      describe(out, what, sizeof what);
      return fail(ev, LC_EINVAL, "'%s': '%s' is a %s, not a JSON object", path, parent, what);
    }
    size_t n = lc_val_list_len(out);
    if (out->kind == LC_VAL_LIST || (out->kind == LC_VAL_JSON && json_is_array(out->u.json))) {
      if ((size_t)p->index >= n) {
        path_text(e, k + 1, path, sizeof path);
        return fail(ev, MISSING, "'%s': index %ld is out of range (%zu item%s)", path, p->index,
                    n, n == 1 ? "" : "s");
      }
      struct lc_val item;
      lc_val_list_get(out, (size_t)p->index, &item);
      *out = item;
      continue;
    }
    path_text(e, k + 1, path, sizeof path);
    path_text(e, k, parent, sizeof parent);
    describe(out, what, sizeof what);
    return fail(ev, LC_EINVAL, "'%s': '%s' is a %s, not a list", path, parent, what);
  }
  return 0;
}

static bool name_eq_nocase(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static const char *view_header(const struct lc_response_view *v, const char *name, size_t *len) {
  const char *p = v->headers.data;
  for (size_t i = 0; i < v->nheaders; i++) {
    const char *value = p + strlen(p) + 1;
    size_t vlen = strlen(value);
    if (name_eq_nocase(p, name)) {
      *len = vlen;
      return value;
    }
    p = value + vlen + 1;
  }
  return NULL;
}

/* response.FIELD...: sets *next to the first part left to walk. */
static int resolve_response(struct eval *ev, const struct lc_expr *e, struct lc_val *out,
                            size_t *next) {
  const struct lc_var_part *p = e->u.var.parts;
  const struct lc_response_view *r = ev->ctx->response;
  bool valid = r && r->valid;
  const char *field = e->u.var.n >= 2 ? p[1].name : NULL;
  *next = 2;
  if (!field)
    return fail(ev, LC_EINVAL, "'response' needs a field: response.status, response.url, "
                               "response.header.NAME or response.body");
  if (strcmp(field, "status") == 0) {
    *out = lc_val_num(valid ? r->status : 0);
  } else if (strcmp(field, "url") == 0) {
    *out = valid ? lc_val_str(r->url.data, r->url.len) : lc_val_str("", 0);
  } else if (strcmp(field, "body") == 0) {
    if (valid && !r->body_kept)
      return fail(ev, LC_EINVAL, "response.body: the body of the last response was not kept");
    *out = valid ? lc_val_str(r->body.data, r->body.len) : lc_val_str("", 0);
  } else if (strcmp(field, "header") == 0) {
    if (e->u.var.n < 3 || !p[2].name)
      return fail(ev, LC_EINVAL, "'response.header' needs a header name: response.header.NAME");
    *next = 3;
    if (!valid) return fail(ev, MISSING, "no header '%s': there is no response yet", p[2].name);
    if (!(r->keep & LC_VIEW_HEADERS))
      return fail(ev, LC_EINVAL, "response.header.%s: the headers of responses are not kept",
                  p[2].name);
    size_t len;
    const char *s = view_header(r, p[2].name, &len);
    if (!s) return fail(ev, MISSING, "no header '%s' in the last response", p[2].name);
    *out = lc_val_str(s, len);
  } else {
    return fail(ev, LC_EINVAL,
                "unknown field 'response.%s' (expected status, url, header.NAME or body)", field);
  }
  return 0;
}

static int resolve_var(struct eval *ev, const struct lc_expr *e, struct lc_val *out) {
  const struct lc_eval_ctx *ctx = ev->ctx;
  const struct lc_var_part *p = e->u.var.parts;
  const char *root = p[0].name;
  size_t next = 1;
  int rc;
  *out = lc_val_null();
  if (strcmp(root, "vars") == 0) {
    if (e->u.var.n < 2 || !p[1].name)
      return fail(ev, LC_EINVAL, "'vars' needs a name: vars.NAME");
    if (lc_globals_get(&ctx->globals, p[1].name, out) != 0)
      return fail(ev, LC_EINVAL, "unknown global variable 'vars.%s'", p[1].name);
    next = 2;
  } else if (strcmp(root, "data") == 0) {
    if (e->u.var.n < 3 || !p[1].name || !p[2].name)
      return fail(ev, LC_EINVAL, "'data' needs a feeder and a column: data.FEEDER.COLUMN");
    size_t len = 0;
    const char *s = ctx->row_value ? ctx->row_value(ctx->row_ctx, p[1].name, p[2].name, &len)
                                   : NULL;
    if (!s)
      return fail(ev, LC_EINVAL,
                  "no value for 'data.%s.%s' (no row of feeder '%s', or no column '%s')",
                  p[1].name, p[2].name, p[1].name, p[2].name);
    *out = lc_val_str(s, len);
    next = 3;
  } else if (strcmp(root, "response") == 0) {
    if ((rc = resolve_response(ev, e, out, &next)) != 0) return rc;
  } else {
    const struct lc_val *v = ctx->vars ? lc_vars_get(ctx->vars, root) : NULL;
    if (!v) return fail(ev, LC_EINVAL, "unknown variable '%s'", root);
    *out = *v;
    out->owned = false;
  }
  return walk(ev, e, next, out);
}

/* ---- functions ---- */

static int eval(struct eval *ev, const struct lc_expr *e, struct lc_val *out);

/* An integer argument within +-2^53 (and [lo, hi]). */
static int arg_int(struct eval *ev, const char *fn, const char *name, const struct lc_val *v,
                   int64_t lo, int64_t hi, int64_t *out) {
  double d;
  if (lc_val_number(v, &d) && d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
      d == floor(d) && d >= (double)lo && d <= (double)hi) {
    *out = (int64_t)d;
    return 0;
  }
  char what[80];
  describe(v, what, sizeof what);
  if (lo > -9007199254740992LL || hi < 9007199254740992LL)
    return fail(ev, LC_EINVAL, "%s: %s must be an integer from %lld to %lld, got %s", fn, name,
                (long long)lo, (long long)hi, what);
  return fail(ev, LC_EINVAL, "%s: %s must be an integer, got %s", fn, name, what);
}

/* Counting and copying writers, to lay a value's text out in scratch memory. */
static int count_writer(void *ctx, const char *p, size_t n) {
  (void)p;
  *(size_t *)ctx += n;
  return 0;
}
static int copy_writer(void *ctx, const char *p, size_t n) {
  char **at = ctx;
  memcpy(*at, p, n);
  *at += n;
  return 0;
}

/* The text of v: a string as it is, anything else written into scratch. */
static int text_of(struct eval *ev, const struct lc_val *v, const char **s, size_t *n) {
  if (v->kind == LC_VAL_STR) {
    *s = v->u.str.s;
    *n = v->u.str.len;
    return 0;
  }
  size_t len = 0;
  lc_val_write(v, count_writer, &len);
  char *p = scratch_alloc(ev, len);
  if (!p) return LC_ETOOBIG;
  char *at = p;
  lc_val_write(v, copy_writer, &at);
  *s = p;
  *n = len;
  return 0;
}

static int64_t system_wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_us(const struct eval *ev) {
  return ev->ctx->wall_us ? ev->ctx->wall_us(ev->ctx->clock_ctx) : system_wall_us();
}

/* Floor division, so that times before 1970 round down too. */
static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static int fn_random_choice(struct eval *ev, const struct lc_val *list, struct lc_val *out) {
  char what[80];
  if (list->kind != LC_VAL_LIST && !(list->kind == LC_VAL_JSON && json_is_array(list->u.json))) {
    describe(list, what, sizeof what);
    return fail(ev, LC_EINVAL, "random_choice: expects a list, got %s", what);
  }
  size_t n = lc_val_list_len(list);
  if (n == 0) return fail(ev, LC_EINVAL, "random_choice: the list is empty");
  lc_val_list_get(list, (size_t)lc_rng_below(ev->ctx->rng, n), out);
  return 0;
}

static int fn_random_string(struct eval *ev, const struct lc_val *len, struct lc_val *out) {
  static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  int64_t n;
  int rc = arg_int(ev, "random_string", "length", len, 0, RANDOM_STRING_MAX, &n);
  if (rc != 0) return rc;
  char *p = scratch_alloc(ev, (size_t)n);
  if (!p) return LC_ETOOBIG;
  for (int64_t i = 0; i < n; i++) p[i] = alnum[lc_rng_below(ev->ctx->rng, sizeof alnum - 1)];
  *out = lc_val_str(p, (size_t)n);
  return 0;
}

static int fn_uuid(struct eval *ev, struct lc_val *out) {
  static const char hex[] = "0123456789abcdef";
  unsigned char b[16];
  uint64_t hi = lc_rng_next(ev->ctx->rng), lo = lc_rng_next(ev->ctx->rng);
  for (int i = 0; i < 8; i++) {
    b[i] = (unsigned char)(hi >> (56 - 8 * i));
    b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
  char *p = scratch_alloc(ev, 36);
  if (!p) return LC_ETOOBIG;
  size_t k = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) p[k++] = '-';
    p[k++] = hex[b[i] >> 4];
    p[k++] = hex[b[i] & 15];
  }
  *out = lc_val_str(p, 36);
  return 0;
}

/* The civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days): gmtime_r
 * without its time-zone lock, which worker threads would share. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes v as `width` decimal digits, zero-padded (v < 10^width). */
static void put_digits(char *p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; i--) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

static int fn_iso_time(struct eval *ev, struct lc_val *out) {
  int64_t us = wall_us(ev);
  int64_t days = floor_div(us, 86400000000LL);
  int64_t in_day = us - days * 86400000000LL; /* [0, 86400e6) */
  int64_t year;
  unsigned month, day;
  civil_from_days(days, &year, &month, &day);
  if (year < 0 || year > 9999) return fail(ev, LC_EINVAL, "iso_time: the clock is out of range");
  char *p = scratch_alloc(ev, 24);
  if (!p) return LC_ETOOBIG;
  unsigned secs = (unsigned)(in_day / 1000000), ms = (unsigned)(in_day % 1000000 / 1000);
  memcpy(p, "0000-00-00T00:00:00.000Z", 24);
  put_digits(p, (unsigned)year, 4);
  put_digits(p + 5, month, 2);
  put_digits(p + 8, day, 2);
  put_digits(p + 11, secs / 3600, 2);
  put_digits(p + 14, secs / 60 % 60, 2);
  put_digits(p + 17, secs % 60, 2);
  put_digits(p + 20, ms, 3);
  *out = lc_val_str(p, 24);
  return 0;
}

static void base64_encode(const unsigned char *s, size_t n, char *out) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0, k = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
    out[k++] = abc[v >> 18];
    out[k++] = abc[(v >> 12) & 63];
    out[k++] = abc[(v >> 6) & 63];
    out[k++] = abc[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
    out[k++] = abc[v >> 18];
    out[k++] = abc[(v >> 12) & 63];
    out[k++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
    out[k++] = '=';
  }
}

static size_t base64_len(size_t n) { return (n + 2) / 3 * 4; }

static int fn_base64(struct eval *ev, const struct lc_val *x, struct lc_val *out) {
  const char *s;
  size_t n;
  int rc = text_of(ev, x, &s, &n);
  if (rc != 0) return rc;
  if (n > (LC_EVAL_SCRATCH_MAX / 4) * 3)
    return fail(ev, LC_ETOOBIG, "base64: the text is too long (%zu bytes)", n);
  char *p = scratch_alloc(ev, base64_len(n));
  if (!p) return LC_ETOOBIG;
  base64_encode((const unsigned char *)s, n, p);
  *out = lc_val_str(p, base64_len(n));
  return 0;
}

static bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

static int fn_url_encode(struct eval *ev, const struct lc_val *x, struct lc_val *out) {
  const char *s;
  size_t n, len = 0;
  int rc = text_of(ev, x, &s, &n);
  if (rc != 0) return rc;
  for (size_t i = 0; i < n; i++) len += unreserved((unsigned char)s[i]) ? 1 : 3;
  char *p = scratch_alloc(ev, len);
  if (!p) return LC_ETOOBIG;
  char *at = p;
  lc_url_encode(s, n, copy_writer, &at);
  *out = lc_val_str(p, len);
  return 0;
}

static int call(struct eval *ev, const struct lc_expr *e, struct lc_val *out) {
  const struct lc_eval_ctx *ctx = ev->ctx;
  enum lc_fn fn = e->u.call.fn;
  const struct lc_fn_info *fi = lc_fn_info(fn);
  struct lc_val args[2] = {lc_val_null(), lc_val_null()};
  if (!fi || e->u.call.nargs < fi->min_args || e->u.call.nargs > fi->max_args ||
      e->u.call.nargs > LC_ARRAY_LEN(args))
    return fail(ev, LC_EINVAL, "bad call of %s", fi ? fi->signature : "an unknown function");
  for (size_t i = 0; i < e->u.call.nargs; i++) {
    int rc = eval(ev, e->u.call.args[i], &args[i]);
    if (rc != 0) return rc == MISSING ? LC_EINVAL : rc;
  }
  bool needs_rng = fn == LC_FN_RANDOM_INT || fn == LC_FN_RANDOM_CHOICE ||
                fn == LC_FN_RANDOM_STRING || fn == LC_FN_UUID;
  if (needs_rng && !ctx->rng)
    return fail(ev, LC_EINVAL, "%s: no random number generator", fi->name);
  switch (fn) {
  case LC_FN_RANDOM_INT: {
    const int64_t big = 9007199254740992LL;
    int64_t lo, hi;
    int rc = arg_int(ev, "random_int", "min", &args[0], -big, big, &lo);
    if (rc == 0) rc = arg_int(ev, "random_int", "max", &args[1], -big, big, &hi);
    if (rc != 0) return rc;
    if (lo > hi)
      return fail(ev, LC_EINVAL, "random_int: min %lld is above max %lld", (long long)lo,
                  (long long)hi);
    *out = lc_val_num((double)lc_rng_int(ctx->rng, lo, hi));
    return 0;
  }
  case LC_FN_RANDOM_CHOICE: return fn_random_choice(ev, &args[0], out);
  case LC_FN_RANDOM_STRING: return fn_random_string(ev, &args[0], out);
  case LC_FN_UUID: return fn_uuid(ev, out);
  case LC_FN_NOW: *out = lc_val_num((double)floor_div(wall_us(ev), 1000000)); return 0;
  case LC_FN_NOW_MS: *out = lc_val_num((double)floor_div(wall_us(ev), 1000)); return 0;
  case LC_FN_ISO_TIME: return fn_iso_time(ev, out);
  case LC_FN_BASE64: return fn_base64(ev, &args[0], out);
  case LC_FN_URL_ENCODE: return fn_url_encode(ev, &args[0], out);
  case LC_FN_USER_ID: *out = lc_val_num((double)ctx->user_id); return 0;
  case LC_FN_ITERATION: *out = lc_val_num((double)ctx->iteration); return 0;
  case LC_FN_COUNT_: break;
  }
  return fail(ev, LC_EINVAL, "bad call of %s", fi->signature);
}

/* ---- expressions ---- */

/* eval, where a missing key, index or header reads as null (operands that are compared or
 * tested, not rendered). */
static int eval_operand(struct eval *ev, const struct lc_expr *e, struct lc_val *out) {
  size_t mark = ev->err ? ev->err->len : 0;
  int rc = eval(ev, e, out);
  if (rc == MISSING) {
    if (ev->err) {
      ev->err->len = mark;
      if (ev->err->data) ev->err->data[mark] = '\0';
    }
    *out = lc_val_null();
    rc = 0;
  }
  return rc;
}

static int compare(struct eval *ev, const struct lc_expr *e, struct lc_val *out) {
  static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
  struct lc_val l, r;
  int rc = eval_operand(ev, e->u.bin.l, &l);
  if (rc == 0) rc = eval_operand(ev, e->u.bin.r, &r);
  if (rc != 0) return rc;
  enum lc_expr_op op = e->u.bin.op;
  if (op == LC_OP_EQ || op == LC_OP_NE) {
    *out = lc_val_bool(lc_val_equal(&l, &r) == (op == LC_OP_EQ));
    return 0;
  }
  int c;
  if (lc_val_compare(&l, &r, &c) != 0) {
    char a[80], b[80];
    describe(&l, a, sizeof a);
    describe(&r, b, sizeof b);
    return fail(ev, LC_EINVAL, "cannot compare %s with %s using '%s'", a, b,
                (unsigned)op < LC_ARRAY_LEN(ops) ? ops[op] : "?");
  }
  bool yes = op == LC_OP_LT ? c < 0 : op == LC_OP_LE ? c <= 0 : op == LC_OP_GT ? c > 0 : c >= 0;
  *out = lc_val_bool(yes);
  return 0;
}

static int eval(struct eval *ev, const struct lc_expr *e, struct lc_val *out) {
  int rc;
  *out = lc_val_null();
  switch (e->kind) {
  case LC_EXPR_NULL: return 0;
  case LC_EXPR_BOOL: *out = lc_val_bool(e->u.boolean != 0); return 0;
  case LC_EXPR_NUM: *out = lc_val_num(e->u.num); return 0;
  case LC_EXPR_STR: *out = lc_val_str(e->u.str.s, e->u.str.n); return 0;
  case LC_EXPR_LIST: {
    size_t n = e->u.list.n;
    struct lc_val *items = n ? scratch_alloc(ev, n * sizeof *items) : NULL;
    if (n && !items) return LC_ETOOBIG;
    for (size_t i = 0; i < n; i++)
      if ((rc = eval(ev, e->u.list.items[i], &items[i])) != 0) return rc == MISSING ? LC_EINVAL : rc;
    out->kind = LC_VAL_LIST;
    out->u.list.items = items;
    out->u.list.n = n;
    return 0;
  }
  case LC_EXPR_VAR: return resolve_var(ev, e, out);
  case LC_EXPR_CALL: return call(ev, e, out);
  case LC_EXPR_NOT: {
    struct lc_val v;
    if ((rc = eval_operand(ev, e->u.not_, &v)) != 0) return rc;
    *out = lc_val_bool(!lc_val_truthy(&v));
    return 0;
  }
  case LC_EXPR_BINARY: {
    if (e->u.bin.op != LC_OP_AND && e->u.bin.op != LC_OP_OR) return compare(ev, e, out);
    struct lc_val v;
    if ((rc = eval_operand(ev, e->u.bin.l, &v)) != 0) return rc;
    bool l = lc_val_truthy(&v);
    if (e->u.bin.op == LC_OP_AND ? !l : l) {
      *out = lc_val_bool(l);
      return 0;
    }
    if ((rc = eval_operand(ev, e->u.bin.r, &v)) != 0) return rc;
    *out = lc_val_bool(lc_val_truthy(&v));
    return 0;
  }
  }
  return fail(ev, LC_EINVAL, "bad expression");
}

static void eval_init(struct eval *ev, const struct lc_eval_ctx *ctx, struct lc_buf *err) {
  ev->ctx = ctx;
  ev->err = err;
  ev->sc.used = ev->sc.total = 0;
  ev->sc.heap = NULL;
}

int lc_eval(const struct lc_expr *e, const struct lc_eval_ctx *ctx, struct lc_val *out,
            struct lc_buf *err) {
  struct eval ev;
  struct lc_val v;
  eval_init(&ev, ctx, err);
  int rc = eval_operand(&ev, e, &v);
  if (rc == 0)
    lc_val_copy(out, &v);
  else
    *out = lc_val_null();
  scratch_reset(&ev.sc);
  return rc;
}

/* ---- rendering ---- */

static int json_escape_writer(void *ctx, const char *p, size_t n) {
  return lc_json_escape(p, n, lc_buf_writer, ctx);
}

static int url_writer(void *ctx, const char *p, size_t n) {
  return lc_url_encode(p, n, lc_buf_writer, ctx);
}

int lc_url_encode(const char *s, size_t n, lc_write_cb write, void *ctx) {
  static const char hex[] = "0123456789ABCDEF";
  char chunk[256];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (k + 3 > sizeof chunk) {
      int rc = write(ctx, chunk, k);
      if (rc != 0) return rc;
      k = 0;
    }
    if (unreserved(c)) {
      chunk[k++] = (char)c;
    } else {
      chunk[k++] = '%';
      chunk[k++] = hex[c >> 4];
      chunk[k++] = hex[c & 15];
    }
  }
  return k ? write(ctx, chunk, k) : 0;
}

int lc_base64(const char *s, size_t n, struct lc_buf *out) {
  if (n > SIZE_MAX / 4 * 3 - 3) return LC_ETOOBIG;
  size_t len = base64_len(n), start = out->len;
  /* grow once, then encode in place */
  char pad[256];
  memset(pad, 0, sizeof pad);
  for (size_t left = len; left > 0;) {
    size_t k = left < sizeof pad ? left : sizeof pad;
    int rc = lc_buf_append(out, pad, k);
    if (rc != 0) {
      out->len = start;
      if (out->data) out->data[start] = '\0';
      return rc;
    }
    left -= k;
  }
  base64_encode((const unsigned char *)s, n, out->data + start);
  return 0;
}

static int render_seg(struct eval *ev, const struct lc_tpl_seg *seg, struct lc_buf *out) {
  if (seg->kind == LC_TPL_TEXT) return lc_buf_append(out, seg->text, seg->len);
  struct lc_val v;
  int rc = eval(ev, seg->expr, &v);
  if (rc != 0) return rc == MISSING ? LC_EINVAL : rc;
  switch (seg->escape) {
  case LC_ESC_JSON: return lc_val_write(&v, json_escape_writer, out);
  case LC_ESC_URL: return lc_val_write(&v, url_writer, out);
  case LC_ESC_NONE: break;
  }
  return lc_val_write(&v, lc_buf_writer, out);
}

int lc_render(const struct lc_tpl *t, const struct lc_eval_ctx *ctx, struct lc_buf *out,
              struct lc_buf *err) {
  struct eval ev;
  size_t start = out->len, err_mark = err ? err->len : 0;
  int rc = 0;
  eval_init(&ev, ctx, err);
  for (size_t i = 0; i < t->n && rc == 0; i++) {
    rc = render_seg(&ev, &t->segs[i], out);
    scratch_reset(&ev.sc);
  }
  if (rc == LC_ETOOBIG && (!err || err->len == err_mark))
    fail(&ev, rc, "the rendered text is longer than the limit of %zu bytes", out->max);
  if (rc != 0) {
    out->len = start;
    if (out->data) out->data[start] = '\0';
  }
  return rc;
}

/* ---- context ---- */

void lc_eval_ctx_init(struct lc_eval_ctx *ctx, const struct lc_plan *plan,
                      const struct lc_vars *vars, struct lc_rng *rng, uint64_t user_id,
                      uint64_t iteration) {
  memset(ctx, 0, sizeof *ctx);
  ctx->vars = vars;
  if (plan) {
    ctx->globals.plan_vars = plan->variables;
    ctx->globals.nplan_vars = plan->nvariables;
  }
  ctx->rng = rng;
  ctx->user_id = user_id;
  ctx->iteration = iteration;
}

/* ---- the response view ---- */

enum {
  VIEW_URL_MAX = 64 << 10,
  VIEW_HEADERS_MAX = 1 << 20,
  VIEW_BODY_MAX = 64 << 20,
  VIEW_SHRINK_ABOVE = 64 << 10,
};

void lc_response_view_init(struct lc_response_view *v, unsigned keep) {
  memset(v, 0, sizeof *v);
  v->keep = keep;
  lc_buf_init(&v->url, VIEW_URL_MAX);
  lc_buf_init(&v->headers, VIEW_HEADERS_MAX);
  lc_buf_init(&v->body, VIEW_BODY_MAX);
}

void lc_response_view_release(struct lc_response_view *v) {
  lc_buf_release(&v->url);
  lc_buf_release(&v->headers);
  lc_buf_release(&v->body);
  v->valid = false;
  v->nheaders = 0;
  v->body_kept = false;
}

/* Empties b, giving its memory back when it is much larger than the `need` bytes coming. */
static void buf_refill(struct lc_buf *b, size_t need) {
  if (b->cap > VIEW_SHRINK_ABOVE && need < b->cap / 4)
    lc_buf_release(b);
  else
    lc_buf_reset(b);
}

void lc_response_view_set(struct lc_response_view *v, const struct lc_http_response *resp) {
  v->valid = true;
  v->status = resp->status;
  const char *url = resp->final_url ? resp->final_url : "";
  buf_refill(&v->url, strlen(url));
  lc_buf_puts(&v->url, url); /* a URL past the cap reads as "" */
  v->nheaders = 0;
  if (v->keep & LC_VIEW_HEADERS) {
    size_t need = 0;
    for (size_t i = 0; i < resp->nheaders; i++)
      need += strlen(resp->headers[i].name) + strlen(resp->headers[i].value) + 2;
    buf_refill(&v->headers, need);
    for (size_t i = 0; i < resp->nheaders; i++) {
      const struct lc_http_header *h = &resp->headers[i];
      size_t mark = v->headers.len;
      if (lc_buf_append(&v->headers, h->name, strlen(h->name) + 1) != 0 ||
          lc_buf_append(&v->headers, h->value, strlen(h->value) + 1) != 0) {
        v->headers.len = mark; /* the headers that fit are kept */
        break;
      }
      v->nheaders++;
    }
  }
  v->body_kept = false;
  if ((v->keep & LC_VIEW_BODY) && resp->body) {
    buf_refill(&v->body, resp->body_len);
    v->body_kept = lc_buf_append(&v->body, resp->body, resp->body_len) == 0;
    if (!v->body.data) lc_buf_append(&v->body, "", 0);
  } else {
    buf_refill(&v->body, 0);
  }
}

/* ---- what the plan reads of responses ---- */

static int need_var(void *ctx, const struct lc_expr *e) {
  unsigned *keep = ctx;
  const struct lc_var_part *p = e->u.var.parts;
  if (e->u.var.n >= 2 && strcmp(p[0].name, "response") == 0 && p[1].name) {
    if (strcmp(p[1].name, "header") == 0) *keep |= LC_VIEW_HEADERS;
    if (strcmp(p[1].name, "body") == 0) *keep |= LC_VIEW_BODY;
  }
  return 0;
}

static void need_expr(unsigned *keep, const struct lc_expr *e) {
  if (e) lc_expr_each_var(e, need_var, keep);
}

static void need_tpl(unsigned *keep, const struct lc_tpl *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) need_expr(keep, t->segs[i].expr);
}

static void need_kvs(unsigned *keep, const struct lc_kvs *kv) {
  for (size_t i = 0; i < kv->n; i++) need_tpl(keep, kv->items[i].value);
}

static void need_request(unsigned *keep, const struct lc_request *r) {
  need_tpl(keep, r->url);
  need_tpl(keep, r->name);
  need_kvs(keep, &r->headers);
  need_kvs(keep, &r->query);
  need_tpl(keep, r->body);
  need_kvs(keep, &r->form);
  for (size_t i = 0; i < r->nparts; i++) need_tpl(keep, r->parts[i].value);
  need_tpl(keep, r->auth_user);
  need_tpl(keep, r->auth_password);
  need_tpl(keep, r->auth_token);
  need_tpl(keep, r->message);
}

static void need_steps(unsigned *keep, const struct lc_steps *steps) {
  for (size_t i = 0; i < steps->n; i++) {
    const struct lc_step *st = &steps->items[i];
    switch (st->kind) {
    case LC_STEP_REQUEST: need_request(keep, st->u.request); break;
    case LC_STEP_SET: need_kvs(keep, &st->u.set); break;
    case LC_STEP_LOG: need_tpl(keep, st->u.log); break;
    case LC_STEP_LOOP:
      need_expr(keep, st->u.loop.over);
      need_steps(keep, &st->u.loop.body);
      break;
    case LC_STEP_IF:
      need_expr(keep, st->u.if_.cond);
      need_steps(keep, &st->u.if_.then_steps);
      need_steps(keep, &st->u.if_.else_steps);
      break;
    default: break;
    }
  }
}

static void need_set(unsigned *keep, const struct lc_taskset *set) {
  need_steps(keep, &set->on_start);
  need_steps(keep, &set->on_stop);
  for (size_t i = 0; i < set->n; i++) {
    need_steps(keep, &set->tasks[i].steps);
    if (set->tasks[i].set) need_set(keep, set->tasks[i].set);
  }
}

unsigned lc_plan_response_needs(const struct lc_plan *plan) {
  unsigned keep = 0;
  need_request(&keep, &plan->defaults);
  need_steps(&keep, &plan->setup);
  need_steps(&keep, &plan->teardown);
  for (size_t i = 0; i < plan->nclasses; i++) {
    need_steps(&keep, &plan->classes[i].on_start);
    need_steps(&keep, &plan->classes[i].on_stop);
    need_set(&keep, &plan->classes[i].root);
  }
  return keep;
}
