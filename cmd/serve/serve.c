/* serve.c: placeholder until the server lands (replaced in this same change series). */
#include "cmd/serve/serve.h"
#include "engine/base/base.h"

int lc_serve_run(const struct lc_serve_opts *opts) {
  (void)opts;
  return LC_ENOTSUP;
}
