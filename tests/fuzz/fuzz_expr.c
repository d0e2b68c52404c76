/* fuzz_expr.c: libFuzzer target over the expression parser (config/expr.c) and evaluation
 * (lc_eval in engine/render.c): any bytes must parse into an expression or give an error, and
 * a parsed expression must evaluate to a value or fail with a message, in the fixed context of
 * fuzz_eval.h (variables of every kind, globals, a feeder row, a fake last response). The value
 * is then written as text and as JSON, tested for truth and compared with itself, as `if:`,
 * `set:` and templates do. Never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "config/expr.h"
#include "engine/render.h"
#include "fuzz_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_eval fe;
static int ready;

static int count_var(void *ctx, const struct lc_expr *var) {
  (void)var;
  ++*(size_t *)ctx;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready) {
    fuzz_eval_init(&fe);
    ready = 1;
  }
  struct lc_expr_error perr;
  struct lc_expr *e = lc_expr_parse((const char *)data, size, 0, &perr);
  if (!e) return 0;
  size_t nvars = 0;
  lc_expr_each_var(e, count_var, &nvars);
  struct lc_buf err, text;
  lc_buf_init(&err, 4096);
  lc_buf_init(&text, 1 << 20);
  struct lc_val v;
  if (lc_eval(e, &fe.ctx, &v, &err) == 0) {
    lc_val_to_text(&v, &text);
    lc_buf_reset(&text);
    lc_val_write_json(&v, lc_buf_writer, &text);
    (void)lc_val_truthy(&v);
    (void)lc_val_equal(&v, &v);
    int cmp;
    (void)lc_val_compare(&v, &v, &cmp);
    double d;
    (void)lc_val_number(&v, &d);
    struct lc_val copy;
    lc_val_copy(&copy, &v);
    lc_val_release(&copy);
    lc_val_release(&v);
  }
  lc_buf_release(&text);
  lc_buf_release(&err);
  lc_expr_free(e);
  return 0;
}
