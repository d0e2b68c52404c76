/* template.h: `{{ expr }}` templates, compiled at load into segments of literal text and
 * parsed expressions, so that rendering at run time only walks the segments. A stray `}}`
 * is literal text (JSON bodies end with it); a `{{` without its `}}` is an error. A literal
 * `{{` is written `{{ '{{' }}`. */
#ifndef LC_TEMPLATE_H
#define LC_TEMPLATE_H

#include <stddef.h>

#include "config/expr.h"

enum lc_tpl_seg_kind { LC_TPL_TEXT, LC_TPL_EXPR };

/* How a rendered expression is escaped where it lands (set by the compiler): as is, inside a
 * JSON string literal, or percent-encoded for a URL query or form value. */
enum lc_tpl_escape { LC_ESC_NONE, LC_ESC_JSON, LC_ESC_URL };

struct lc_tpl_seg {
  enum lc_tpl_seg_kind kind;
  enum lc_tpl_escape escape;
  char *text;            /* LC_TPL_TEXT: the literal bytes (NUL-terminated copy) */
  size_t len;
  struct lc_expr *expr;  /* LC_TPL_EXPR */
};

struct lc_tpl {
  struct lc_tpl_seg *segs;
  size_t n;
};

/* Compiles s[0..n). Returns the template (free with lc_tpl_free) or NULL with *err set; error
 * offsets are byte offsets into s. */
struct lc_tpl *lc_tpl_parse(const char *s, size_t n, struct lc_expr_error *err);
void lc_tpl_free(struct lc_tpl *t);
/* 1 when the template has no `{{ }}` (its one segment, if any, is the whole text). */
int lc_tpl_is_literal(const struct lc_tpl *t);

/* Builders, for a template assembled from several pieces (the compiler writes a JSON body
 * from a YAML document this way: JSON text around the templates of its string values).
 * lc_tpl_new returns an empty template (free with lc_tpl_free). lc_tpl_append_text copies
 * s[0..n) to the end of t, joining it to a text segment already there. lc_tpl_append moves
 * the segments of src to the end of dst and frees src: its expression segments take `escape`;
 * its text is appended as it is, except with LC_ESC_JSON, which escapes it for the inside of
 * a JSON string literal (the caller writes the quotes around it). */
struct lc_tpl *lc_tpl_new(void);
void lc_tpl_append_text(struct lc_tpl *t, const char *s, size_t n);
void lc_tpl_append(struct lc_tpl *dst, struct lc_tpl *src, enum lc_tpl_escape escape);

#endif
