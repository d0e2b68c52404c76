/* jsonpath.h: the JSONPath subset of checks and captures, parsed once at load and evaluated
 * against jansson documents at run time: `$`, `.name`, `['name']`, `[N]` (negative counts from
 * the end), `[*]` and `.*` (every element or member), `..name` (the name at any depth). */
#ifndef LC_CONFIG_JSONPATH_H
#define LC_CONFIG_JSONPATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/expr.h"

struct lc_jsonpath;

/* Parses s[0..n). Returns the path (free with lc_jsonpath_free), or NULL with *err set (byte
 * offset into s and a message). */
struct lc_jsonpath *lc_jsonpath_parse(const char *s, size_t n, struct lc_expr_error *err);
void lc_jsonpath_free(struct lc_jsonpath *p);

/* True when the path can match at most one value (no wildcard, no `..`). */
bool lc_jsonpath_is_single(const struct lc_jsonpath *p);

/* Calls fn(ctx, value) for each match in document order; stops at the first non-zero return
 * and returns it; 0 after all matches (or none). The values are borrowed from doc. Bounded:
 * recursion follows the document, whose depth jansson limits when parsing. */
int lc_jsonpath_eval(const struct lc_jsonpath *p, const json_t *doc,
                     int (*fn)(void *ctx, const json_t *value), void *ctx);

#endif
