/* expr.c: recursive-descent parser for the expression language (see expr.h). Bounded nesting
 * depth, every read checked against the end of the text, so any input is safe to parse. */
#include "config/expr.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

static const struct lc_fn_info fns[LC_FN_COUNT_] = {
    [LC_FN_RANDOM_INT] = {"random_int", 2, 2, "random_int(min, max)"},
    [LC_FN_RANDOM_CHOICE] = {"random_choice", 1, 1, "random_choice(list)"},
    [LC_FN_RANDOM_STRING] = {"random_string", 1, 1, "random_string(length)"},
    [LC_FN_UUID] = {"uuid", 0, 0, "uuid()"},
    [LC_FN_NOW] = {"now", 0, 0, "now()"},
    [LC_FN_NOW_MS] = {"now_ms", 0, 0, "now_ms()"},
    [LC_FN_ISO_TIME] = {"iso_time", 0, 0, "iso_time()"},
    [LC_FN_BASE64] = {"base64", 1, 1, "base64(text)"},
    [LC_FN_URL_ENCODE] = {"url_encode", 1, 1, "url_encode(text)"},
    [LC_FN_USER_ID] = {"user_id", 0, 0, "user_id()"},
    [LC_FN_ITERATION] = {"iteration", 0, 0, "iteration()"},
};

const struct lc_fn_info *lc_fn_info(enum lc_fn fn) {
  return (unsigned)fn < LC_FN_COUNT_ ? &fns[fn] : NULL;
}

enum { MAX_DEPTH = 64, MAX_ITEMS = 1024 };

struct parser {
  const char *s;
  size_t n, pos, base;
  int depth;
  struct lc_expr_error *err;
  int failed;
};

static void fail(struct parser *p, size_t at, const char *fmt, ...) LC_PRINTF(3, 4);
static void fail(struct parser *p, size_t at, const char *fmt, ...) {
  if (p->failed) return;
  p->failed = 1;
  p->err->offset = p->base + at;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
  va_end(ap);
}

static void skip_space(struct parser *p) {
  while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                           p->s[p->pos] == '\r'))
    p->pos++;
}

static int peek(struct parser *p) { return p->pos < p->n ? (unsigned char)p->s[p->pos] : -1; }

static int accept(struct parser *p, const char *tok) {
  size_t k = strlen(tok);
  skip_space(p);
  if (p->n - p->pos >= k && memcmp(p->s + p->pos, tok, k) == 0) {
    p->pos += k;
    return 1;
  }
  return 0;
}

static struct lc_expr *node(enum lc_expr_kind kind, size_t start, struct parser *p) {
  struct lc_expr *e = lc_xcalloc(1, sizeof *e);
  e->kind = kind;
  e->offset = p->base + start;
  return e;
}

static void finish(struct lc_expr *e, struct parser *p) { e->len = p->base + p->pos - e->offset; }

static void describe(struct parser *p, char *out, size_t n) {
  int c = peek(p);
  if (c < 0)
    snprintf(out, n, "the end of the expression");
  else if (isprint(c))
    snprintf(out, n, "'%c'", c);
  else
    snprintf(out, n, "byte 0x%02x", (unsigned)c);
}

static struct lc_expr *parse_or(struct parser *p);

static int is_ident_start(int c) { return c >= 0 && (isalpha(c) || c == '_'); }
static int is_ident_char(int c) { return c >= 0 && (isalnum(c) || c == '_'); }
/* After a dot, names may also hold '-' and start with a digit (header names, JSON keys). */
static int is_name_char(int c) { return c >= 0 && (isalnum(c) || c == '_' || c == '-'); }

static struct lc_expr *parse_string(struct parser *p) {
  size_t start = p->pos;
  char quote = p->s[p->pos++];
  struct lc_buf b;
  lc_buf_init(&b, 0);
  for (;;) {
    if (p->pos >= p->n) {
      fail(p, start, "unterminated string");
      lc_buf_release(&b);
      return NULL;
    }
    char c = p->s[p->pos++];
    if (c == quote) break;
    if (c == '\\' && p->pos < p->n) {
      char e = p->s[p->pos++];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
    }
    lc_buf_append(&b, &c, 1);
  }
  struct lc_expr *e = node(LC_EXPR_STR, start, p);
  e->u.str.n = b.len;
  e->u.str.s = lc_buf_steal(&b);
  finish(e, p);
  return e;
}

static struct lc_expr *parse_number(struct parser *p) {
  size_t start = p->pos;
  size_t i = p->pos;
  if (i < p->n && p->s[i] == '-') i++;
  size_t digits = i;
  while (i < p->n && (isdigit((unsigned char)p->s[i]) || p->s[i] == '.')) i++;
  if (i == digits || i - start > 64) {
    fail(p, start, "invalid number");
    return NULL;
  }
  char tmp[80];
  memcpy(tmp, p->s + start, i - start);
  tmp[i - start] = '\0';
  char *end = NULL;
  errno = 0;
  double v = strtod(tmp, &end);
  if (errno || *end != '\0') {
    fail(p, start, "invalid number '%s'", tmp);
    return NULL;
  }
  p->pos = i;
  struct lc_expr *e = node(LC_EXPR_NUM, start, p);
  e->u.num = v;
  finish(e, p);
  return e;
}

/* Parses "(" args ")" or "[" items "]" into a growing array; `close` is ')' or ']'. */
static int parse_items(struct parser *p, char close, struct lc_expr ***items, size_t *count) {
  *items = NULL;
  *count = 0;
  skip_space(p);
  if (peek(p) == close) {
    p->pos++;
    return 0;
  }
  for (;;) {
    struct lc_expr *e = parse_or(p);
    if (!e) return -1;
    if (*count == MAX_ITEMS) {
      lc_expr_free(e);
      fail(p, p->pos, "too many items (at most %d)", MAX_ITEMS);
      return -1;
    }
    *items = lc_xrealloc(*items, (*count + 1) * sizeof **items);
    (*items)[(*count)++] = e;
    skip_space(p);
    if (peek(p) == ',') {
      p->pos++;
      continue;
    }
    if (peek(p) == close) {
      p->pos++;
      return 0;
    }
    char what[32];
    describe(p, what, sizeof what);
    fail(p, p->pos, "expected ',' or '%c', got %s", close, what);
    return -1;
  }
}

static struct lc_expr *parse_call(struct parser *p, size_t start, const char *name, size_t len) {
  const char *names[LC_FN_COUNT_ + 1];
  int fn = -1;
  for (int i = 0; i < LC_FN_COUNT_; i++) {
    names[i] = fns[i].name;
    if (strlen(fns[i].name) == len && memcmp(fns[i].name, name, len) == 0) fn = i;
  }
  names[LC_FN_COUNT_] = NULL;
  if (fn < 0) {
    char *word = lc_xstrndup(name, len);
    const char *s = lc_suggest(word, names);
    if (s)
      fail(p, start, "unknown function '%s' (did you mean '%s'?)", word, s);
    else
      fail(p, start, "unknown function '%s'", word);
    free(word);
    return NULL;
  }
  struct lc_expr *e = node(LC_EXPR_CALL, start, p);
  e->u.call.fn = (enum lc_fn)fn;
  p->pos++; /* '(' */
  if (parse_items(p, ')', &e->u.call.args, &e->u.call.nargs) < 0) {
    lc_expr_free(e);
    return NULL;
  }
  const struct lc_fn_info *fi = &fns[fn];
  if (e->u.call.nargs < fi->min_args || e->u.call.nargs > fi->max_args) {
    fail(p, start, "function '%s' takes %u argument%s (%s), got %zu", fi->name, fi->min_args,
         fi->min_args == 1 ? "" : "s", fi->signature, e->u.call.nargs);
    lc_expr_free(e);
    return NULL;
  }
  finish(e, p);
  return e;
}

static void var_push(struct lc_expr *e, char *name, long index) {
  e->u.var.parts = lc_xrealloc(e->u.var.parts, (e->u.var.n + 1) * sizeof *e->u.var.parts);
  e->u.var.parts[e->u.var.n].name = name;
  e->u.var.parts[e->u.var.n].index = index;
  e->u.var.n++;
}

static struct lc_expr *parse_path(struct parser *p, size_t start, const char *name, size_t len) {
  struct lc_expr *e = node(LC_EXPR_VAR, start, p);
  var_push(e, lc_xstrndup(name, len), 0);
  for (;;) {
    if (peek(p) == '.') {
      size_t at = ++p->pos;
      while (is_name_char(peek(p))) p->pos++;
      if (p->pos == at) {
        fail(p, at, "expected a name after '.'");
        lc_expr_free(e);
        return NULL;
      }
      var_push(e, lc_xstrndup(p->s + at, p->pos - at), 0);
    } else if (peek(p) == '[') {
      size_t at = ++p->pos;
      long v = 0;
      while (peek(p) >= '0' && peek(p) <= '9' && v < 100000000) v = v * 10 + (p->s[p->pos++] - '0');
      if (p->pos == at || peek(p) != ']') {
        fail(p, at, "expected a non-negative index and ']'");
        lc_expr_free(e);
        return NULL;
      }
      p->pos++;
      var_push(e, NULL, v);
    } else {
      break;
    }
  }
  finish(e, p);
  return e;
}

static struct lc_expr *parse_primary(struct parser *p) {
  skip_space(p);
  size_t start = p->pos;
  int c = peek(p);
  if (c == '"' || c == '\'') return parse_string(p);
  if ((c >= '0' && c <= '9') || (c == '-' && p->pos + 1 < p->n && isdigit((unsigned char)p->s[p->pos + 1])))
    return parse_number(p);
  if (c == '(') {
    p->pos++;
    struct lc_expr *e = parse_or(p);
    if (!e) return NULL;
    if (!accept(p, ")")) {
      char what[32];
      describe(p, what, sizeof what);
      fail(p, p->pos, "expected ')', got %s", what);
      lc_expr_free(e);
      return NULL;
    }
    return e;
  }
  if (c == '[') {
    struct lc_expr *e = node(LC_EXPR_LIST, start, p);
    p->pos++;
    if (parse_items(p, ']', &e->u.list.items, &e->u.list.n) < 0) {
      lc_expr_free(e);
      return NULL;
    }
    finish(e, p);
    return e;
  }
  if (is_ident_start(c)) {
    while (is_ident_char(peek(p))) p->pos++;
    const char *name = p->s + start;
    size_t len = p->pos - start;
    if (peek(p) == '(') return parse_call(p, start, name, len);
    if ((len == 4 && memcmp(name, "true", 4) == 0) || (len == 5 && memcmp(name, "false", 5) == 0)) {
      struct lc_expr *e = node(LC_EXPR_BOOL, start, p);
      e->u.boolean = len == 4;
      finish(e, p);
      return e;
    }
    if (len == 4 && memcmp(name, "null", 4) == 0) {
      struct lc_expr *e = node(LC_EXPR_NULL, start, p);
      finish(e, p);
      return e;
    }
    return parse_path(p, start, name, len);
  }
  char what[32];
  describe(p, what, sizeof what);
  if (c < 0)
    fail(p, start, "expected a value, got the end of the expression");
  else
    fail(p, start, "expected a value, got %s", what);
  return NULL;
}

static struct lc_expr *parse_unary(struct parser *p) {
  skip_space(p);
  if (peek(p) == '!' && !(p->pos + 1 < p->n && p->s[p->pos + 1] == '=')) {
    size_t start = p->pos++;
    if (++p->depth > MAX_DEPTH) {
      fail(p, start, "expression nested too deeply (at most %d levels)", MAX_DEPTH);
      return NULL;
    }
    struct lc_expr *inner = parse_unary(p);
    p->depth--;
    if (!inner) return NULL;
    struct lc_expr *e = node(LC_EXPR_NOT, start, p);
    e->u.not_ = inner;
    finish(e, p);
    return e;
  }
  return parse_primary(p);
}

static struct lc_expr *binary(struct parser *p, enum lc_expr_op op, struct lc_expr *l,
                              struct lc_expr *r) {
  struct lc_expr *e = node(LC_EXPR_BINARY, l->offset - p->base, p);
  e->u.bin.op = op;
  e->u.bin.l = l;
  e->u.bin.r = r;
  finish(e, p);
  return e;
}

static struct lc_expr *parse_cmp(struct parser *p) {
  static const struct { const char *tok; enum lc_expr_op op; } ops[] = {
      {"==", LC_OP_EQ}, {"!=", LC_OP_NE}, {"<=", LC_OP_LE},
      {">=", LC_OP_GE}, {"<", LC_OP_LT},  {">", LC_OP_GT},
  };
  struct lc_expr *l = parse_unary(p);
  if (!l) return NULL;
  for (size_t i = 0; i < LC_ARRAY_LEN(ops); i++) {
    if (accept(p, ops[i].tok)) {
      struct lc_expr *r = parse_unary(p);
      if (!r) {
        lc_expr_free(l);
        return NULL;
      }
      return binary(p, ops[i].op, l, r);
    }
  }
  return l;
}

static struct lc_expr *parse_and(struct parser *p) {
  struct lc_expr *l = parse_cmp(p);
  while (l && accept(p, "&&")) {
    struct lc_expr *r = parse_cmp(p);
    if (!r) {
      lc_expr_free(l);
      return NULL;
    }
    l = binary(p, LC_OP_AND, l, r);
  }
  return l;
}

static struct lc_expr *parse_or(struct parser *p) {
  if (++p->depth > MAX_DEPTH) {
    fail(p, p->pos, "expression nested too deeply (at most %d levels)", MAX_DEPTH);
    return NULL;
  }
  struct lc_expr *l = parse_and(p);
  while (l && accept(p, "||")) {
    struct lc_expr *r = parse_and(p);
    if (!r) {
      lc_expr_free(l);
      return NULL;
    }
    l = binary(p, LC_OP_OR, l, r);
  }
  p->depth--;
  return l;
}

struct lc_expr *lc_expr_parse(const char *text, size_t n, size_t base, struct lc_expr_error *err) {
  struct parser p = {text, n, 0, base, 0, err, 0};
  skip_space(&p);
  if (p.pos == n) {
    fail(&p, 0, "empty expression");
    return NULL;
  }
  struct lc_expr *e = parse_or(&p);
  if (!e) return NULL;
  skip_space(&p);
  if (p.pos < n) {
    char what[32];
    describe(&p, what, sizeof what);
    if (text[p.pos] == '=' && !(p.pos + 1 < n && text[p.pos + 1] == '='))
      fail(&p, p.pos, "unexpected '=' after the expression (did you mean '=='?)");
    else
      fail(&p, p.pos, "unexpected %s after the expression", what);
    lc_expr_free(e);
    return NULL;
  }
  return e;
}

void lc_expr_free(struct lc_expr *e) {
  if (!e) return;
  switch (e->kind) {
  case LC_EXPR_STR: free(e->u.str.s); break;
  case LC_EXPR_LIST:
    for (size_t i = 0; i < e->u.list.n; i++) lc_expr_free(e->u.list.items[i]);
    free(e->u.list.items);
    break;
  case LC_EXPR_VAR:
    for (size_t i = 0; i < e->u.var.n; i++) free(e->u.var.parts[i].name);
    free(e->u.var.parts);
    break;
  case LC_EXPR_CALL:
    for (size_t i = 0; i < e->u.call.nargs; i++) lc_expr_free(e->u.call.args[i]);
    free(e->u.call.args);
    break;
  case LC_EXPR_NOT: lc_expr_free(e->u.not_); break;
  case LC_EXPR_BINARY:
    lc_expr_free(e->u.bin.l);
    lc_expr_free(e->u.bin.r);
    break;
  default: break;
  }
  free(e);
}

int lc_expr_each_var(const struct lc_expr *e, int (*fn)(void *ctx, const struct lc_expr *var),
                     void *ctx) {
  int rc = 0;
  switch (e->kind) {
  case LC_EXPR_VAR: return fn(ctx, e);
  case LC_EXPR_LIST:
    for (size_t i = 0; i < e->u.list.n && !rc; i++) rc = lc_expr_each_var(e->u.list.items[i], fn, ctx);
    return rc;
  case LC_EXPR_CALL:
    for (size_t i = 0; i < e->u.call.nargs && !rc; i++)
      rc = lc_expr_each_var(e->u.call.args[i], fn, ctx);
    return rc;
  case LC_EXPR_NOT: return lc_expr_each_var(e->u.not_, fn, ctx);
  case LC_EXPR_BINARY:
    rc = lc_expr_each_var(e->u.bin.l, fn, ctx);
    return rc ? rc : lc_expr_each_var(e->u.bin.r, fn, ctx);
  default: return 0;
  }
}
