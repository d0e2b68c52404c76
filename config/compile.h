/* compile.h: from a loaded scenario document to the plan (plan.h), reporting every problem
 * found on the way: unknown keys, wrong types, bad units, templates, regexes, JSONPaths,
 * thresholds, variables used before they can be set, impossible load settings, classes left
 * without tasks by tag filters. */
#ifndef LC_CONFIG_COMPILE_H
#define LC_CONFIG_COMPILE_H

#include "config/diag.h"
#include "config/node.h"
#include "config/plan.h"

struct lc_compile_opts {
  const char *const *tags;          /* --tags, NULL-terminated; NULL: no filter */
  const char *const *exclude_tags;  /* --exclude-tags */
  const char *const *sets;          /* --set NAME=VALUE overrides of `variables:` */
  lc_getenv_fn getenv_fn;           /* environment for ${NAME}; NULL: the process's */
  void *getenv_ctx;
};

/* Compiles doc. Returns the plan (free with lc_plan_free), or NULL when d holds errors. Warnings
 * do not stop it. opts may be NULL. The plan's marks point into doc: keep doc until the plan
 * is freed. */
struct lc_plan *lc_compile(const struct lc_doc *doc, const struct lc_compile_opts *opts,
                           struct lc_diags *d);

/* Loads and compiles the file at path: lc_doc_load_file + lc_compile, with the same opts. The
 * plan owns the document (freed with it). */
struct lc_plan *lc_compile_file(const char *path, const struct lc_compile_opts *opts,
                                struct lc_diags *d);

#endif
