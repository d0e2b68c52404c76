/* compile_int.h: what the compiler's files share (compile.c: the document and user classes;
 * compile_task.c: tasks and steps; compile_request.c: requests, checks, captures;
 * compile_threshold.c: thresholds; compile_vars.c: where variables are set and used).
 * Internal to config/. */
#ifndef LC_CONFIG_COMPILE_INT_H
#define LC_CONFIG_COMPILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/compile.h"
#include "config/expr.h"
#include "config/jsonpath.h"
#include "config/node.h"
#include "config/plan.h"
#include "config/template.h"
#include "config/units.h"
#include "engine/base/base.h"

/* The memory behind a plan: one arena for the structures and strings, and the objects made by
 * other allocators, freed one by one. */
struct lc_plan_owned {
  struct lc_arena arena;
  struct lc_tpl **tpls;
  size_t ntpls;
  struct lc_expr **exprs;
  size_t nexprs;
  void **regexes;               /* pcre2_code_8 * */
  size_t nregexes;
  struct lc_jsonpath **paths;
  size_t npaths;
  struct lc_doc *doc;           /* the document, when the plan owns it (lc_compile_file) */
};

/* Where steps stand, for the rules on which steps may appear there. */
enum cc_where {
  CC_IN_TASK,       /* the steps of a task (or a loop/if inside one) */
  CC_IN_ON_START,   /* a user's or taskset's on_start */
  CC_IN_ON_STOP,    /* a user's or taskset's on_stop */
  CC_IN_SETUP,      /* setup / teardown */
};

/* The compile context: one per lc_compile call. */
struct cc {
  struct lc_diags *d;
  const struct lc_compile_opts *opts;
  const struct lc_doc *doc;
  struct lc_plan *plan;
  struct lc_plan_owned *own;
  const struct lc_node *defaults;   /* the `defaults:` mapping, or NULL */
  const struct lc_node *class_node; /* the user class being compiled (its merged view), or NULL */
  struct lc_kvs class_headers;      /* defaults' headers merged with those of the class being
                                     * compiled and its parents */
  enum lc_on_failure class_on_failure;
  int depth;                        /* taskset nesting, for the interrupt rule */
};

/* Memory that lives as long as the plan. */
void *cc_alloc(struct cc *c, size_t n);
const char *cc_strndup(struct cc *c, const char *s, size_t n);
/* Grows an arena array of `size`-byte elements by one and returns the new (zeroed) element.
 * *items and *n are the array and its length. */
void *cc_push(struct cc *c, void *items_ptr, size_t *n, size_t size);

/* strerror(err) lowercased, as every message is ("No such file" -> "no such file"). */
const char *cc_strerror(int err, char *buf, size_t n);

/* Readers that report at the node and return NULL / -1 on error. */
const char *cc_string(struct cc *c, const struct lc_node *n);
/* A string or a list of strings. */
int cc_strs(struct cc *c, const struct lc_node *n, struct lc_strs *out);
/* A literal scalar as a value: null, true/false, a number when it reads as one (plain style
 * only), else a string. */
int cc_value(struct cc *c, const struct lc_node *n, struct lc_value *out);
/* Checks the keys of a mapping; false when one is unknown (reported). */
bool cc_keys(struct cc *c, const struct lc_node *map, const char *const *allowed);
int cc_duration(struct cc *c, const struct lc_node *n, int64_t *out_us);
/* Checks that `name` (the text of key) can name a variable: letters, digits and '_', not
 * starting with a digit, not a reserved name (vars, data, response). Reports at key. */
bool cc_var_name(struct cc *c, const struct lc_node *key, const char *name);
/* Reads one of the NULL-terminated `names` into *out (its index); reports an unknown value
 * with the list and a suggestion. */
int cc_enum(struct cc *c, const struct lc_node *n, const char *const *names, int *out);
int cc_bool(struct cc *c, const struct lc_node *n, bool *out);

/* Compiles the scalar n as a template; errors point into the scalar. Numbers and booleans are
 * templates of their text. A mapping or sequence is reported, with the hint that a value
 * starting with `{{` must be quoted when n is a flow mapping that looks like one. */
struct lc_tpl *cc_template(struct cc *c, const struct lc_node *n);
/* Compiles the scalar n as an expression: `{{ expr }}` or the bare expression. */
struct lc_expr *cc_expression(struct cc *c, const struct lc_node *n);
/* Sets e->mark (and its children's) from offsets into the scalar n. */
void cc_mark_expr(struct lc_expr *e, const struct lc_node *n);
/* Compiles the scalar n as a PCRE2 regex (JIT compilation comes later, lc_plan_jit); the error of a bad pattern
 * points at its column in the file. Returns a pcre2_code_8 * owned by the plan. */
void *cc_regex(struct cc *c, const struct lc_node *n);
/* Compiles s[0..len) (a JSONPath found at byte `offset` of the scalar n). */
struct lc_jsonpath *cc_jsonpath(struct cc *c, const struct lc_node *n, const char *s, size_t len,
                                size_t offset);
/* name: template mapping (headers, query, form), appended to *out. */
int cc_kvs(struct cc *c, const struct lc_node *map, struct lc_kvs *out);

/* compile_task.c */
int cc_wait(struct cc *c, const struct lc_node *n, struct lc_wait *out);
int cc_steps(struct cc *c, const struct lc_node *seq, enum cc_where where, struct lc_steps *out);
/* Compiles a `tasks:` list into set (tags inherited from `tags`), applying tag filters and
 * dropping weight-0 tasks. `sequential` for a sequence. */
int cc_tasks(struct cc *c, const struct lc_node *tasks, bool sequential,
             const struct lc_strs *tags, struct lc_taskset *set);

/* compile_request.c */
/* The request keys, shared with the task keys of a request task. NULL-terminated. */
extern const char *const cc_request_keys[];
/* The HTTP method named by a step key (get, post, ...), or NULL. */
const char *cc_method_key(const char *key);
/* Compiles the request in mapping `step`, whose method key is `method_key` (get, post, ...
 * or "request"). Defaults and class headers from c are merged in. NULL after errors. */
struct lc_request *cc_request(struct cc *c, const struct lc_node *step, const char *method_key);
/* Merges a `headers:` mapping into *out: names checked as HTTP tokens, values as templates
 * without line breaks; a later header replaces an earlier one of the same name (any case);
 * `NAME: null` removes one. */
int cc_headers(struct cc *c, const struct lc_node *map, struct lc_kvs *out);
/* Compiles `defaults:` into the plan's default request (headers, timeout, ...). */
int cc_request_defaults(struct cc *c, const struct lc_node *defaults, struct lc_request *out);

/* compile_threshold.c */
int cc_threshold(struct cc *c, const struct lc_node *n, struct lc_threshold *out);

/* compile_vars.c: after the whole plan is built, checks every variable a template or
 * expression uses: unknown ones are errors (with a suggestion), ones that may be used before a
 * capture or set defines them are warnings. */
void cc_check_variables(struct cc *c);

#endif
