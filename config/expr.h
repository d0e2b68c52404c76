/* expr.h: the small, safe expression language of templates (`{{ expr }}`) and of `if:`
 * conditions: literals, variable paths, calls of built-in functions, comparisons and boolean
 * operators. Parsing only (at load time, into an immutable tree); evaluation is the engine's.
 * Nothing here can run code, touch files or loop. */
#ifndef LC_EXPR_H
#define LC_EXPR_H

#include <stddef.h>

#include "config/diag.h"

enum lc_expr_kind {
  LC_EXPR_NULL,
  LC_EXPR_BOOL,
  LC_EXPR_NUM,
  LC_EXPR_STR,
  LC_EXPR_LIST,   /* [a, b, c] */
  LC_EXPR_VAR,    /* token, item.id, data.accounts.user, ids[0] */
  LC_EXPR_CALL,   /* random_int(1, 10) */
  LC_EXPR_NOT,    /* !e */
  LC_EXPR_BINARY, /* l op r */
};

enum lc_expr_op { LC_OP_EQ, LC_OP_NE, LC_OP_LT, LC_OP_LE, LC_OP_GT, LC_OP_GE, LC_OP_AND, LC_OP_OR };

/* The built-in functions. */
enum lc_fn {
  LC_FN_RANDOM_INT, LC_FN_RANDOM_CHOICE, LC_FN_RANDOM_STRING, LC_FN_UUID, LC_FN_NOW,
  LC_FN_NOW_MS, LC_FN_ISO_TIME, LC_FN_BASE64, LC_FN_URL_ENCODE, LC_FN_USER_ID, LC_FN_ITERATION,
  LC_FN_COUNT_
};

struct lc_fn_info {
  const char *name;
  unsigned min_args, max_args;
  const char *signature; /* "random_int(a, b)" for messages and docs */
};
/* The table of built-in functions, indexed by enum lc_fn. */
const struct lc_fn_info *lc_fn_info(enum lc_fn fn);

/* One step of a variable path: a name (`item`, `id`) or an index (`[0]`). */
struct lc_var_part {
  char *name;  /* NULL for an index */
  long index;
};

struct lc_expr {
  enum lc_expr_kind kind;
  size_t offset; /* where the expression starts in the parsed text (bytes) */
  size_t len;
  struct lc_mark mark; /* set by the compiler (file position of offset); zero from the parser */
  union {
    int boolean;
    double num;
    struct { char *s; size_t n; } str;
    struct { struct lc_expr **items; size_t n; } list;
    struct { struct lc_var_part *parts; size_t n; } var;
    struct { enum lc_fn fn; struct lc_expr **args; size_t nargs; } call;
    struct lc_expr *not_;
    struct { enum lc_expr_op op; struct lc_expr *l, *r; } bin;
  } u;
};

/* A parse error: where (byte offset into the parsed text) and what. */
struct lc_expr_error {
  size_t offset;
  char msg[200];
};

/* Parses text[0..n) as one whole expression. Returns the tree (free with lc_expr_free), or NULL
 * with *err filled. Offsets in the tree and in *err are relative to text, plus `base` (so a
 * caller parsing the inside of `{{ }}` gets offsets into the whole string). */
struct lc_expr *lc_expr_parse(const char *text, size_t n, size_t base, struct lc_expr_error *err);
void lc_expr_free(struct lc_expr *e);

/* Calls fn(ctx, var) for each variable path in e, in source order; stops at the first non-zero
 * return and returns it. */
int lc_expr_each_var(const struct lc_expr *e, int (*fn)(void *ctx, const struct lc_expr *var),
                     void *ctx);

#endif
