/* fuzz_jsonpath.c: libFuzzer target over the JSONPath parser and evaluator (config/jsonpath.c)
 * as checks and captures use them (engine/request.c): the input's first line is the path, the
 * rest the response body, parsed as the engine parses bodies (jansson, JSON_DECODE_ANY |
 * JSON_ALLOW_NUL). Every match is then written as text, as a capture stores it. Never a crash,
 * a leak or undefined behaviour. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/jsonpath.h"
#include "engine/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
  struct lc_buf text;
  size_t n;
};

static int on_match(void *ctx, const json_t *v) {
  struct seen *s = ctx;
  struct lc_val val = lc_val_json((json_t *)v);
  lc_buf_reset(&s->text);
  lc_val_to_text(&val, &s->text);
  (void)lc_val_truthy(&val);
  return ++s->n >= 10000; /* a capture stops at its first value, a check looks at many */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  const char *nl = memchr(s, '\n', size);
  size_t plen = nl ? (size_t)(nl - s) : size;
  struct lc_expr_error perr;
  struct lc_jsonpath *p = lc_jsonpath_parse(s, plen, &perr);
  if (!p) return 0;
  (void)lc_jsonpath_is_single(p);
  if (nl) {
    json_error_t je;
    json_t *doc = json_loadb(nl + 1, size - plen - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (doc) {
      struct seen seen = {.n = 0};
      lc_buf_init(&seen.text, 1 << 20);
      lc_jsonpath_eval(p, doc, on_match, &seen);
      lc_buf_release(&seen.text);
      json_decref(doc);
    }
  }
  lc_jsonpath_free(p);
  return 0;
}
