/* template.c: splitting text into literal segments and `{{ expr }}` segments (template.h). */
#include "config/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

static void push(struct lc_tpl *t, enum lc_tpl_seg_kind kind, const char *text, size_t len,
                 struct lc_expr *expr) {
  t->segs = lc_xrealloc(t->segs, (t->n + 1) * sizeof *t->segs);
  struct lc_tpl_seg *s = &t->segs[t->n++];
  s->kind = kind;
  s->escape = LC_ESC_NONE;
  s->text = text ? lc_xstrndup(text, len) : NULL;
  s->len = len;
  s->expr = expr;
}

/* Finds the `}}` closing an expression that starts at `from`, skipping quoted strings (so
 * `{{ '}}' }}` works). Returns its offset or n when there is none. */
static size_t find_close(const char *s, size_t n, size_t from) {
  char quote = 0;
  for (size_t i = from; i < n; i++) {
    char c = s[i];
    if (quote) {
      if (c == '\\') i++;
      else if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '}' && i + 1 < n && s[i + 1] == '}') {
      return i;
    }
  }
  return n;
}

struct lc_tpl *lc_tpl_parse(const char *s, size_t n, struct lc_expr_error *err) {
  struct lc_tpl *t = lc_xcalloc(1, sizeof *t);
  size_t i = 0, text_start = 0;
  while (i + 1 < n) {
    if (s[i] != '{' || s[i + 1] != '{') {
      i++;
      continue;
    }
    if (i > text_start) push(t, LC_TPL_TEXT, s + text_start, i - text_start, NULL);
    size_t open = i, inner = i + 2;
    size_t close = find_close(s, n, inner);
    if (close == n) {
      err->offset = open;
      snprintf(err->msg, sizeof err->msg, "'{{' without a closing '}}'");
      lc_tpl_free(t);
      return NULL;
    }
    size_t k = inner;
    while (k < close && (s[k] == ' ' || s[k] == '\t')) k++;
    if (k == close) {
      err->offset = open;
      snprintf(err->msg, sizeof err->msg, "empty template expression '{{ }}'");
      lc_tpl_free(t);
      return NULL;
    }
    struct lc_expr *e = lc_expr_parse(s + inner, close - inner, inner, err);
    if (!e) {
      lc_tpl_free(t);
      return NULL;
    }
    push(t, LC_TPL_EXPR, NULL, 0, e);
    i = text_start = close + 2;
  }
  if (text_start < n) push(t, LC_TPL_TEXT, s + text_start, n - text_start, NULL);
  return t;
}

void lc_tpl_free(struct lc_tpl *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) {
    free(t->segs[i].text);
    lc_expr_free(t->segs[i].expr);
  }
  free(t->segs);
  free(t);
}

int lc_tpl_is_literal(const struct lc_tpl *t) {
  for (size_t i = 0; i < t->n; i++)
    if (t->segs[i].kind == LC_TPL_EXPR) return 0;
  return 1;
}

struct lc_tpl *lc_tpl_new(void) { return lc_xcalloc(1, sizeof(struct lc_tpl)); }

void lc_tpl_append_text(struct lc_tpl *t, const char *s, size_t n) {
  if (n == 0) return;
  struct lc_tpl_seg *last = t->n ? &t->segs[t->n - 1] : NULL;
  if (!last || last->kind != LC_TPL_TEXT) {
    push(t, LC_TPL_TEXT, s, n, NULL);
    return;
  }
  last->text = lc_xrealloc(last->text, last->len + n + 1);
  memcpy(last->text + last->len, s, n);
  last->len += n;
  last->text[last->len] = '\0';
}

void lc_tpl_append(struct lc_tpl *dst, struct lc_tpl *src, enum lc_tpl_escape escape) {
  for (size_t i = 0; i < src->n; i++) {
    struct lc_tpl_seg *s = &src->segs[i];
    if (s->kind == LC_TPL_EXPR) {
      push(dst, LC_TPL_EXPR, NULL, 0, s->expr);
      dst->segs[dst->n - 1].escape = escape;
      s->expr = NULL;
    } else if (escape == LC_ESC_JSON) {
      struct lc_buf b;
      lc_buf_init(&b, 0);
      lc_buf_json_string(&b, s->text, s->len);
      lc_tpl_append_text(dst, b.data + 1, b.len - 2); /* without the quotes */
      lc_buf_release(&b);
    } else {
      lc_tpl_append_text(dst, s->text, s->len);
    }
  }
  lc_tpl_free(src);
}
