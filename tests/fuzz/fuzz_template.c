/* fuzz_template.c: libFuzzer target over the template parser (config/template.c) and the
 * run-time renderer (engine/render.c): any bytes must parse into a template or give an error,
 * and a parsed template must render (or fail with a message) in every escape mode and through
 * the builders, never crash, leak or hit undefined behaviour. Expressions run in the context of
 * fuzz_eval.h. See docs/testing.md for a long run. */
#include <stddef.h>
#include <stdint.h>

#include "config/template.h"
#include "engine/render.h"
#include "fuzz_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_eval fe;
static int ready;

static void render_all(const struct lc_tpl *t) {
  struct lc_buf out, err;
  lc_buf_init(&out, 1 << 20);
  lc_buf_init(&err, 4096);
  lc_render(t, &fe.ctx, &out, &err);
  lc_buf_release(&out);
  lc_buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready) {
    fuzz_eval_init(&fe);
    ready = 1;
  }
  struct lc_expr_error perr;
  struct lc_tpl *t = lc_tpl_parse((const char *)data, size, &perr);
  if (!t) return 0;
  (void)lc_tpl_is_literal(t);
  static const enum lc_tpl_escape modes[] = {LC_ESC_NONE, LC_ESC_JSON, LC_ESC_URL};
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    for (size_t i = 0; i < t->n; i++) t->segs[i].escape = modes[m];
    render_all(t);
  }
  /* the compiler's JSON body builder: text around a template moved in with LC_ESC_JSON */
  struct lc_tpl *body = lc_tpl_new();
  lc_tpl_append_text(body, "{\"k\": \"", 7);
  lc_tpl_append(body, t, LC_ESC_JSON);
  lc_tpl_append_text(body, "\"}", 2);
  render_all(body);
  lc_tpl_free(body);
  return 0;
}
