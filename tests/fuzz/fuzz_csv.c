/* fuzz_csv.c: libFuzzer target over data feeders' CSV reading: the compiler's check of the file
 * (config/compile.c: columns and row count) and the engine's load of it (engine/feeder.c), which
 * both read files, so each input is written to a temporary file that a small scenario names.
 * Input: the first byte chooses the form (bit 0: `columns: [a, b]` instead of a header row;
 * bit 1: the file changes between check and load: the rest is split at its first NUL byte, the
 * part before is checked, the part after loaded); the rest is the file. A plan's feeders are
 * loaded, every field read, and rows taken as users do. Any file must give a plan and feeders,
 * or diagnostics and messages: never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/compile.h"
#include "config/diag.h"
#include "config/node.h"
#include "engine/feeder.h"
#include "engine/rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_file(void) {
  if (path[0]) unlink(path);
}

static int write_file(const void *p, size_t n) {
  FILE *fp = fopen(path, "wb");
  if (!fp) return -1;
  size_t put = n ? fwrite(p, 1, n, fp) : 0;
  return fclose(fp) == 0 && put == n ? 0 : -1;
}

static void use_feeders(const struct lc_plan *plan, const struct lc_feeders *f) {
  for (size_t i = 0; i < lc_feeders_count(f); i++) {
    size_t len, total = 0;
    for (size_t r = 0; r < lc_feeders_rows(f, i); r++)
      for (size_t c = 0; c < lc_feeders_columns(f, i); c++)
        total += strlen(lc_feeders_field(f, i, r, c, &len)) <= len;
    (void)total;
  }
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  struct lc_user_rows rows;
  lc_user_rows_init(&rows, f);
  struct lc_user_rows_ctx rc = {&rows, f};
  for (int k = 0; k < 3; k++) {
    lc_user_rows_take_start(&rows, f, &rng);
    for (size_t c = 0; c < plan->feeders[0].columns.n; c++) {
      size_t len;
      (void)lc_user_rows_value(&rc, "d", plan->feeders[0].columns.items[c], &len);
    }
  }
  lc_user_rows_release(&rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/loadc-fuzz-csv-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) abort();
    close(fd);
    atexit(remove_file);
  }
  if (size == 0) return 0;
  unsigned flags = data[0];
  const char *csv = (const char *)data + 1;
  size_t n = size - 1, checked = n;
  const char *later = NULL;
  if (flags & 2) {
    const char *nul = memchr(csv, '\0', n);
    if (nul) {
      checked = (size_t)(nul - csv);
      later = nul + 1;
    }
  }
  if (write_file(csv, checked) != 0) abort();
  char yaml[512];
  int ylen = snprintf(yaml, sizeof yaml,
                      "data:\n  d:\n    csv: %s\n%s    order: unique\n    on_exhausted: recycle\n"
                      "users:\n  U:\n    tasks:\n      - get: /\n",
                      path, flags & 1 ? "    columns: [a, b]\n" : "");
  struct lc_diags *d = lc_diags_new(0);
  struct lc_doc *doc = lc_doc_load_string("fuzz.yaml", yaml, (size_t)ylen, NULL, d);
  struct lc_plan *plan = doc ? lc_compile(doc, NULL, d) : NULL;
  if (plan) {
    if (later && write_file(later, n - checked - 1) != 0) abort();
    struct lc_buf err;
    lc_buf_init(&err, 0);
    struct lc_feeders *f = lc_feeders_load(plan, &err);
    if (f) use_feeders(plan, f);
    lc_feeders_free(f);
    lc_buf_release(&err);
  }
  lc_plan_free(plan);
  lc_doc_free(doc);
  lc_diags_free(d);
  return 0;
}
