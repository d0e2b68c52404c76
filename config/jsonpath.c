/* jsonpath.c: parsing and evaluating the JSONPath subset (see jsonpath.h). */
#include "config/jsonpath.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

enum step_kind { STEP_NAME, STEP_INDEX, STEP_WILDCARD, STEP_DESCEND_NAME, STEP_DESCEND_WILDCARD };

struct step {
  enum step_kind kind;
  char *name;
  long index;
};

struct lc_jsonpath {
  struct step *steps;
  size_t n;
};

enum { MAX_STEPS = 64 };

static struct lc_jsonpath *fail(struct lc_jsonpath *p, struct lc_expr_error *err, size_t at,
                                const char *fmt, ...) LC_PRINTF(4, 5);
static struct lc_jsonpath *fail(struct lc_jsonpath *p, struct lc_expr_error *err, size_t at,
                                const char *fmt, ...) {
  err->offset = at;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  lc_jsonpath_free(p);
  return NULL;
}

static void push(struct lc_jsonpath *p, enum step_kind kind, char *name, long index) {
  p->steps = lc_xrealloc(p->steps, (p->n + 1) * sizeof *p->steps);
  p->steps[p->n].kind = kind;
  p->steps[p->n].name = name;
  p->steps[p->n].index = index;
  p->n++;
}

static int is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (unsigned char)c >= 0x80;
}

struct lc_jsonpath *lc_jsonpath_parse(const char *s, size_t n, struct lc_expr_error *err) {
  struct lc_jsonpath *p = lc_xcalloc(1, sizeof *p);
  if (n == 0 || s[0] != '$')
    return fail(p, err, 0, "a JSONPath starts with '$' (like $.items[0].id)");
  size_t i = 1;
  while (i < n) {
    if (p->n == MAX_STEPS) return fail(p, err, i, "JSONPath too long (at most %d steps)", MAX_STEPS);
    size_t at = i;
    if (s[i] == '.') {
      int descend = i + 1 < n && s[i + 1] == '.';
      i += descend ? 2 : 1;
      if (i < n && s[i] == '*') {
        push(p, descend ? STEP_DESCEND_WILDCARD : STEP_WILDCARD, NULL, 0);
        i++;
        continue;
      }
      size_t start = i;
      while (i < n && is_name_char(s[i])) i++;
      if (i == start)
        return fail(p, err, start, "expected a member name after '%s'", descend ? ".." : ".");
      push(p, descend ? STEP_DESCEND_NAME : STEP_NAME, lc_xstrndup(s + start, i - start), 0);
    } else if (s[i] == '[') {
      i++;
      if (i < n && s[i] == '*') {
        if (i + 1 >= n || s[i + 1] != ']') return fail(p, err, i + 1, "expected ']' after '[*'");
        push(p, STEP_WILDCARD, NULL, 0);
        i += 2;
      } else if (i < n && (s[i] == '\'' || s[i] == '"')) {
        char q = s[i++];
        size_t start = i;
        while (i < n && s[i] != q) i++;
        if (i >= n) return fail(p, err, at, "unterminated quoted name");
        if (i + 1 >= n || s[i + 1] != ']') return fail(p, err, i + 1, "expected ']' after the quoted name");
        push(p, STEP_NAME, lc_xstrndup(s + start, i - start), 0);
        i += 2;
      } else {
        int neg = i < n && s[i] == '-';
        if (neg) i++;
        size_t start = i;
        long v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && v < 100000000) v = v * 10 + (s[i++] - '0');
        if (i == start || i >= n || s[i] != ']')
          return fail(p, err, at, "expected an index, '*' or a quoted name inside '[ ]'");
        push(p, STEP_INDEX, NULL, neg ? -v : v);
        i++;
      }
    } else {
      return fail(p, err, i, "unexpected '%c' in JSONPath (steps are .name, [N], [*], ..name)", s[i]);
    }
  }
  return p;
}

void lc_jsonpath_free(struct lc_jsonpath *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) free(p->steps[i].name);
  free(p->steps);
  free(p);
}

bool lc_jsonpath_is_single(const struct lc_jsonpath *p) {
  for (size_t i = 0; i < p->n; i++)
    if (p->steps[i].kind != STEP_NAME && p->steps[i].kind != STEP_INDEX) return false;
  return true;
}

struct walk {
  const struct lc_jsonpath *p;
  int (*fn)(void *ctx, const json_t *value);
  void *ctx;
};

static int eval_from(const struct walk *w, size_t k, const json_t *v);

/* Applies fn-continuation to v and, recursively, to every value below it (for `..`). */
static int descend(const struct walk *w, size_t k, const json_t *v) {
  const struct step *st = &w->p->steps[k];
  int rc = 0;
  if (json_is_object(v)) {
    const char *key;
    json_t *child;
    json_object_foreach((json_t *)v, key, child) {
      if (st->kind == STEP_DESCEND_WILDCARD || strcmp(key, st->name) == 0) rc = eval_from(w, k + 1, child);
      if (!rc) rc = descend(w, k, child);
      if (rc) return rc;
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *child;
    json_array_foreach(v, i, child) {
      if (st->kind == STEP_DESCEND_WILDCARD) rc = eval_from(w, k + 1, child);
      if (!rc) rc = descend(w, k, child);
      if (rc) return rc;
    }
  }
  return 0;
}

static int eval_from(const struct walk *w, size_t k, const json_t *v) {
  if (k == w->p->n) return w->fn(w->ctx, v);
  const struct step *st = &w->p->steps[k];
  switch (st->kind) {
  case STEP_NAME: {
    const json_t *c = json_is_object(v) ? json_object_get(v, st->name) : NULL;
    return c ? eval_from(w, k + 1, c) : 0;
  }
  case STEP_INDEX: {
    if (!json_is_array(v)) return 0;
    long size = (long)json_array_size(v);
    long idx = st->index < 0 ? size + st->index : st->index;
    if (idx < 0 || idx >= size) return 0;
    return eval_from(w, k + 1, json_array_get(v, (size_t)idx));
  }
  case STEP_WILDCARD: {
    int rc = 0;
    if (json_is_array(v)) {
      size_t i;
      json_t *child;
      json_array_foreach(v, i, child) if ((rc = eval_from(w, k + 1, child))) return rc;
    } else if (json_is_object(v)) {
      const char *key;
      json_t *child;
      json_object_foreach((json_t *)v, key, child) if ((rc = eval_from(w, k + 1, child))) return rc;
    }
    return 0;
  }
  case STEP_DESCEND_NAME:
  case STEP_DESCEND_WILDCARD: return descend(w, k, v);
  }
  return 0;
}

int lc_jsonpath_eval(const struct lc_jsonpath *p, const json_t *doc,
                     int (*fn)(void *ctx, const json_t *value), void *ctx) {
  struct walk w = {p, fn, ctx};
  return doc ? eval_from(&w, 0, doc) : 0;
}
