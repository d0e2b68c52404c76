/* fuzz_config.c: libFuzzer target over the scenario loader and compiler: any bytes must give a
 * plan or diagnostics, never a crash, a leak or undefined behaviour. Build with -DLC_FUZZ=ON
 * and clang; see docs/testing.md for a long run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/compile.h"
#include "config/diag.h"
#include "config/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *no_env(const char *name, void *ctx) {
  (void)ctx;
  return name[0] == 'H' ? "http://127.0.0.1:8080" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct lc_diags *d = lc_diags_new(0);
  struct lc_load_opts lo = {no_env, NULL, 100000, 64, 1 << 20};
  struct lc_doc *doc = lc_doc_load_string("fuzz.yaml", (const char *)data, size, &lo, d);
  if (doc) {
    struct lc_compile_opts co = {0};
    co.getenv_fn = no_env;
    struct lc_plan *plan = lc_compile(doc, &co, d);
    lc_plan_free(plan);
    lc_doc_free(doc);
  }
  lc_diags_sort(d);
  FILE *sink = fopen("/dev/null", "w");
  if (sink) {
    lc_diags_print(d, sink, LC_DIAG_TEXT);
    lc_diags_print(d, sink, LC_DIAG_JSON);
    lc_diags_print(d, sink, LC_DIAG_GITHUB);
    fclose(sink);
  }
  lc_diags_free(d);
  return 0;
}
