/* compile_task.c: tasks (requests, steps, tasksets, sequences, interrupt), steps (sleep, set,
 * loop, if, reschedule, interrupt, stop_user, log, next_row) and wait functions, with
 * Locust's tag filtering applied as tasks are compiled. */
#include <stdlib.h>
#include <string.h>

#include "config/compile_int.h"

/* ---- wait ---- */

int cc_wait(struct cc *c, const struct lc_node *n, struct lc_wait *out) {
  static const char *const kinds[] = {"between", "constant", "constant_pacing",
                                      "constant_throughput", NULL};
  memset(out, 0, sizeof *out);
  if (lc_node_kind(n) == LC_NODE_SCALAR) {
    out->kind = LC_WAIT_CONSTANT;
    return cc_duration(c, n, &out->a_us);
  }
  if (!lc_node_expect(n, LC_NODE_MAPPING, c->d)) return -1;
  if (!cc_keys(c, n, kinds)) return -1;
  if (lc_node_count(n) != 1) {
    lc_diag_error(c->d, lc_node_mark(n),
                  "a wait has exactly one of between, constant, constant_pacing, "
                  "constant_throughput");
    return -1;
  }
  const struct lc_node *key = lc_node_key(n, 0), *v = lc_node_value(n, 0);
  if (lc_node_is(key, "between")) {
    out->kind = LC_WAIT_BETWEEN;
    if (!lc_node_expect(v, LC_NODE_SEQUENCE, c->d)) return -1;
    if (lc_node_count(v) != 2) {
      lc_diag_error(c->d, lc_node_mark(v), "'between' takes two durations, [min, max]");
      return -1;
    }
    if (cc_duration(c, lc_node_item(v, 0), &out->a_us) != 0 ||
        cc_duration(c, lc_node_item(v, 1), &out->b_us) != 0)
      return -1;
    if (out->a_us > out->b_us) {
      lc_diag_error(c->d, lc_node_mark(v), "'between': the minimum is larger than the maximum");
      return -1;
    }
    return 0;
  }
  if (lc_node_is(key, "constant")) {
    out->kind = LC_WAIT_CONSTANT;
    return cc_duration(c, v, &out->a_us);
  }
  if (lc_node_is(key, "constant_pacing")) {
    out->kind = LC_WAIT_PACING;
    if (cc_duration(c, v, &out->a_us) != 0) return -1;
    if (out->a_us == 0) {
      lc_diag_error(c->d, lc_node_mark(v), "'constant_pacing' must be greater than 0");
      return -1;
    }
    return 0;
  }
  out->kind = LC_WAIT_THROUGHPUT;
  if (lc_node_read_number(v, c->d, &out->rate) != 0) return -1;
  if (!(out->rate > 0)) {
    lc_diag_error(c->d, lc_node_mark(v),
                  "'constant_throughput' is task runs per second per user and must be above 0");
    return -1;
  }
  out->a_us = (int64_t)(1e6 / out->rate);
  return 0;
}

/* ---- steps ---- */

static const char *const step_kinds[] = {"request", "get", "post", "put", "patch", "delete",
                                         "head", "options", "sleep", "set", "loop", "if",
                                         "reschedule", "interrupt", "stop_user", "log",
                                         "next_row", NULL};

static const char *const task_kinds[] = {"request", "get", "post", "put", "patch", "delete",
                                         "head", "options", "steps", "taskset", "sequence",
                                         "interrupt", NULL};

/* The kind keys present in a step or task mapping, from `kinds`. */
static size_t find_kinds(const struct lc_node *map, const char *const *kinds,
                         const struct lc_node **first_key, const char **first_kind) {
  size_t found = 0;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i);
    for (size_t j = 0; kinds[j]; j++) {
      if (lc_node_is(k, kinds[j])) {
        if (!found) {
          *first_key = k;
          *first_kind = kinds[j];
        }
        found++;
      }
    }
  }
  return found;
}

/* The i-th (0-based) kind key of map, from `kinds`, or NULL. */
static const struct lc_node *nth_kind(const struct lc_node *map, const char *const *kinds,
                                      size_t nth) {
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i);
    for (size_t j = 0; kinds[j]; j++)
      if (lc_node_is(k, kinds[j]) && nth-- == 0) return k;
  }
  return NULL;
}

/* Allowed keys for a mapping of kind `kind`: the kind itself, plus `extra`, plus the request
 * options when the kind is a request. */
static bool check_step_keys(struct cc *c, const struct lc_node *map, const char *kind,
                            const char *const *extra) {
  const char *allowed[64];
  size_t n = 0;
  allowed[n++] = kind;
  for (size_t i = 0; extra && extra[i] && n < 40; i++) allowed[n++] = extra[i];
  if (cc_method_key(kind) || strcmp(kind, "request") == 0)
    for (size_t i = 0; cc_request_keys[i] && n < 63; i++) allowed[n++] = cc_request_keys[i];
  allowed[n] = NULL;
  return cc_keys(c, map, allowed);
}

/* No kind, or several: the latter is reported at the second kind, naming the first two. */
static void report_kinds(struct cc *c, const struct lc_node *map, const char *const *kinds,
                         size_t found, const char *what, const char *list) {
  if (found == 0) {
    lc_diag_error(c->d, lc_node_mark(map), "%s has no kind: it needs one of %s", what, list);
    return;
  }
  const struct lc_node *a = nth_kind(map, kinds, 0), *b = nth_kind(map, kinds, 1);
  lc_diag_error(c->d, lc_node_mark(b), "%s has %zu kinds ('%s' and '%s'%s): it needs exactly one "
                "of %s", what, found, lc_node_str(a), lc_node_str(b), found > 2 ? ", ..." : "",
                list);
}

static int compile_step(struct cc *c, const struct lc_node *n, enum cc_where where,
                        struct lc_step *st);

static struct lc_expr *literal_list(struct cc *c, const struct lc_node *seq) {
  struct lc_expr *list = lc_xcalloc(1, sizeof *list);
  list->kind = LC_EXPR_LIST;
  list->mark = *lc_node_mark(seq);
  size_t n = lc_node_count(seq);
  list->u.list.items = lc_xcalloc(n ? n : 1, sizeof *list->u.list.items);
  for (size_t i = 0; i < n; i++) {
    const struct lc_node *item = lc_node_item(seq, i);
    struct lc_expr *e = lc_xcalloc(1, sizeof *e);
    e->mark = *lc_node_mark(item);
    struct lc_value v;
    if (cc_value(c, item, &v) != 0 || v.kind == LC_VALUE_NULL) {
      e->kind = LC_EXPR_NULL;
    } else if (v.kind == LC_VALUE_NUMBER) {
      e->kind = LC_EXPR_NUM;
      e->u.num = v.number;
    } else if (v.kind == LC_VALUE_BOOL) {
      e->kind = LC_EXPR_BOOL;
      e->u.boolean = v.boolean;
    } else {
      e->kind = LC_EXPR_STR;
      e->u.str.s = lc_xstrndup(v.str, v.len);
      e->u.str.n = v.len;
    }
    list->u.list.items[list->u.list.n++] = e;
  }
  c->own->exprs = lc_xrealloc(c->own->exprs, (c->own->nexprs + 1) * sizeof *c->own->exprs);
  c->own->exprs[c->own->nexprs++] = list;
  return list;
}

static int compile_loop(struct cc *c, const struct lc_node *v, enum cc_where where,
                        struct lc_step *st) {
  static const char *const keys[] = {"count", "over", "as", "steps", NULL};
  if (!lc_node_expect(v, LC_NODE_MAPPING, c->d)) return -1;
  cc_keys(c, v, keys);
  const struct lc_node *count = lc_node_get(v, "count", NULL), *over = lc_node_get(v, "over", NULL);
  st->u.loop.count = -1;
  st->u.loop.as = "item";
  int rc = 0;
  if (count && over) {
    lc_diag_error(c->d, lc_node_mark(over), "a loop has 'count' or 'over', not both");
    rc = -1;
  } else if (!count && !over) {
    lc_diag_error(c->d, lc_node_mark(v), "a loop needs 'count' (a number) or 'over' (a list)");
    rc = -1;
  }
  if (count) {
    int64_t k;
    if (lc_node_read_int_range(count, c->d, 0, 100000000, &k) == 0)
      st->u.loop.count = k;
    else
      rc = -1;
  }
  if (over) {
    if (lc_node_kind(over) == LC_NODE_SEQUENCE)
      st->u.loop.over = literal_list(c, over);
    else if (!(st->u.loop.over = cc_expression(c, over)))
      rc = -1;
  }
  const struct lc_node *k = NULL, *as = lc_node_get(v, "as", &k);
  if (as) {
    const char *name = cc_string(c, as);
    if (name && cc_var_name(c, as, name))
      st->u.loop.as = name;
    else
      rc = -1;
  }
  const struct lc_node *steps = lc_node_require(v, "steps", c->d);
  if (!steps || cc_steps(c, steps, where, &st->u.loop.body) != 0) rc = -1;
  return rc;
}

static int compile_if(struct cc *c, const struct lc_node *map, const struct lc_node *cond,
                      enum cc_where where, struct lc_step *st) {
  int rc = 0;
  if (!(st->u.if_.cond = cc_expression(c, cond))) rc = -1;
  const struct lc_node *then = lc_node_require(map, "then", c->d);
  if (!then || cc_steps(c, then, where, &st->u.if_.then_steps) != 0) rc = -1;
  const struct lc_node *els = lc_node_get(map, "else", NULL);
  if (els && cc_steps(c, els, where, &st->u.if_.else_steps) != 0) rc = -1;
  return rc;
}

/* interrupt: true | {reschedule: bool}; reschedule defaults to true as in Locust. */
static int read_interrupt(struct cc *c, const struct lc_node *v, bool *reschedule) {
  static const char *const keys[] = {"reschedule", NULL};
  *reschedule = true;
  if (lc_node_kind(v) == LC_NODE_MAPPING) {
    if (!cc_keys(c, v, keys)) return -1;
    const struct lc_node *r = lc_node_get(v, "reschedule", NULL);
    return r ? cc_bool(c, r, reschedule) : 0;
  }
  bool on;
  if (cc_bool(c, v, &on) != 0) return -1;
  if (!on) {
    lc_diag_error(c->d, lc_node_mark(v), "'interrupt: false' does nothing; remove it");
    return -1;
  }
  return 0;
}

static const char *where_name(enum cc_where where) {
  switch (where) {
  case CC_IN_ON_START: return "on_start";
  case CC_IN_ON_STOP: return "on_stop";
  case CC_IN_SETUP: return "setup/teardown";
  default: return "a task";
  }
}

static int compile_step(struct cc *c, const struct lc_node *n, enum cc_where where,
                        struct lc_step *st) {
  static const char *const if_keys[] = {"then", "else", NULL};
  static const char *const resched_keys[] = {"immediately", NULL};
  if (!lc_node_expect(n, LC_NODE_MAPPING, c->d)) return -1;
  const struct lc_node *key = NULL;
  const char *kind = NULL;
  size_t found = find_kinds(n, step_kinds, &key, &kind);
  if (found != 1) {
    const struct lc_node *tk = NULL;
    const char *task_kind = NULL;
    if (found == 0 && lc_node_get(n, "steps", &tk))
      lc_diag_error(c->d, lc_node_mark(tk),
                    "'steps' is a task, not a step: list its steps here directly");
    else if (found == 0 && find_kinds(n, task_kinds, &tk, &task_kind) == 1)
      lc_diag_error(c->d, lc_node_mark(tk),
                    "'%s' is a task, not a step: tasksets and sequences go in a 'tasks' list",
                    task_kind);
    else
      report_kinds(c, n, step_kinds, found, "this step",
                   "a request (get, post, ...), sleep, set, loop, if, reschedule, interrupt, "
                   "stop_user, log, next_row");
    return -1;
  }
  st->mark = *lc_node_mark(n);
  const struct lc_node *v = lc_node_get(n, kind, NULL);
  check_step_keys(c, n, kind, strcmp(kind, "if") == 0 ? if_keys : NULL);
  if (cc_method_key(kind) || strcmp(kind, "request") == 0) {
    st->kind = LC_STEP_REQUEST;
    st->u.request = cc_request(c, n, kind);
    return st->u.request ? 0 : -1;
  }
  if (strcmp(kind, "sleep") == 0) {
    st->kind = LC_STEP_SLEEP;
    return cc_duration(c, v, &st->u.sleep_us);
  }
  if (strcmp(kind, "set") == 0) {
    st->kind = LC_STEP_SET;
    if (!lc_node_expect(v, LC_NODE_MAPPING, c->d)) return -1;
    for (size_t i = 0; i < lc_node_count(v); i++) {
      const struct lc_node *k = lc_node_key(v, i);
      const char *name = cc_string(c, k);
      if (!name || !cc_var_name(c, k, name)) return -1;
    }
    return cc_kvs(c, v, &st->u.set);
  }
  if (strcmp(kind, "loop") == 0) {
    st->kind = LC_STEP_LOOP;
    return compile_loop(c, v, where, st);
  }
  if (strcmp(kind, "if") == 0) {
    st->kind = LC_STEP_IF;
    return compile_if(c, n, v, where, st);
  }
  if (strcmp(kind, "log") == 0) {
    st->kind = LC_STEP_LOG;
    return (st->u.log = cc_template(c, v)) ? 0 : -1;
  }
  if (strcmp(kind, "next_row") == 0) {
    st->kind = LC_STEP_NEXT_ROW;
    if (!(st->u.feeder = cc_string(c, v))) return -1;
    for (size_t i = 0; i < c->plan->nfeeders; i++)
      if (strcmp(c->plan->feeders[i].name, st->u.feeder) == 0) return 0;
    const char **names = lc_xcalloc(c->plan->nfeeders + 1, sizeof *names);
    for (size_t i = 0; i < c->plan->nfeeders; i++) names[i] = c->plan->feeders[i].name;
    lc_diags_add(c->d, LC_SEV_ERROR, lc_node_mark(v), lc_suggest(st->u.feeder, names),
                 "unknown feeder '%s' in 'next_row' (feeders are declared under 'data:')",
                 st->u.feeder);
    free(names);
    return -1;
  }
  if (strcmp(kind, "stop_user") == 0) {
    st->kind = LC_STEP_STOP_USER;
    bool on;
    if (cc_bool(c, v, &on) != 0) return -1;
    if (!on) {
      lc_diag_error(c->d, lc_node_mark(v), "'stop_user: false' does nothing; remove it");
      return -1;
    }
    if (where == CC_IN_SETUP || where == CC_IN_ON_STOP) {
      lc_diag_error(c->d, lc_node_mark(key), "'stop_user' cannot be used in %s",
                    where_name(where));
      return -1;
    }
    return 0;
  }
  if (strcmp(kind, "reschedule") == 0) {
    st->kind = LC_STEP_RESCHEDULE;
    if (where != CC_IN_TASK) {
      lc_diag_error(c->d, lc_node_mark(key),
                    "'reschedule' ends the current task, so it only works in a task, not in %s",
                    where_name(where));
      return -1;
    }
    if (lc_node_kind(v) == LC_NODE_MAPPING) {
      if (!cc_keys(c, v, resched_keys)) return -1;
      const struct lc_node *im = lc_node_get(v, "immediately", NULL);
      return im ? cc_bool(c, im, &st->u.immediately) : 0;
    }
    bool on;
    if (cc_bool(c, v, &on) != 0) return -1;
    if (!on) {
      lc_diag_error(c->d, lc_node_mark(v), "'reschedule: false' does nothing; remove it");
      return -1;
    }
    return 0;
  }
  /* interrupt */
  st->kind = LC_STEP_INTERRUPT;
  if (read_interrupt(c, v, &st->u.reschedule) != 0) return -1;
  if (c->depth == 0 || where == CC_IN_SETUP || where == CC_IN_ON_STOP) {
    lc_diag_error(c->d, lc_node_mark(key),
                  "'interrupt' leaves the enclosing taskset or sequence, so it only works inside "
                  "one (to end the user, use 'stop_user')");
    return -1;
  }
  return 0;
}

int cc_steps(struct cc *c, const struct lc_node *seq, enum cc_where where, struct lc_steps *out) {
  memset(out, 0, sizeof *out);
  if (!lc_node_expect(seq, LC_NODE_SEQUENCE, c->d)) return -1;
  int rc = 0;
  for (size_t i = 0; i < lc_node_count(seq); i++) {
    struct lc_step *st = cc_push(c, &out->items, &out->n, sizeof *st);
    if (compile_step(c, lc_node_item(seq, i), where, st) != 0) {
      out->n--;
      rc = -1;
    }
  }
  return rc;
}

/* ---- tasks ---- */

static const char *const task_keys[] = {"weight", "tags", "name", NULL};

static bool has_tag(const struct lc_strs *tags, const char *const *wanted) {
  for (size_t i = 0; wanted[i]; i++)
    for (size_t k = 0; k < tags->n; k++)
      if (strcmp(tags->items[k], wanted[i]) == 0) return true;
  return false;
}

/* Locust's rule: keep a task if (no --tags or it has one of them) and (no --exclude-tags or it
 * has none of them). */
static bool tags_keep(const struct cc *c, const struct lc_strs *tags) {
  if (c->opts->tags && !has_tag(tags, c->opts->tags)) return false;
  if (c->opts->exclude_tags && has_tag(tags, c->opts->exclude_tags)) return false;
  return true;
}

/* The keys of a taskset or sequence mapping. */
static const char *const set_keys[] = {"tasks", "wait", "on_start", "on_stop", NULL};

/* Reports each key of map that is one of `misplaced` (keys that belong on the other side of
 * `kind:`, inside or beside it) with where it goes. Such keys are then allowed by the caller
 * so that they are not also reported as unknown. */
static void misplaced_keys(struct cc *c, const struct lc_node *map, const char *kind,
                           const char *const *misplaced, bool belongs_inside) {
  for (size_t i = 0; misplaced[i]; i++) {
    const struct lc_node *k = NULL;
    if (!lc_node_get(map, misplaced[i], &k) || !k) continue;
    if (belongs_inside)
      lc_diag_error(c->d, lc_node_mark(k),
                    "'%s' of a %s goes inside it ('%s: {tasks: [...], %s: ...}'), not beside "
                    "'%s:'", misplaced[i], kind, kind, misplaced[i], kind);
    else
      lc_diag_error(c->d, lc_node_mark(k),
                    "'%s' is a task key: write it beside '%s:', not inside it", misplaced[i],
                    kind);
  }
}

static int compile_set(struct cc *c, const struct lc_node *v, bool sequential,
                       const struct lc_strs *tags, struct lc_taskset *set) {
  static const char *const keys[] = {"tasks",  "wait", "on_start", "on_stop",
                                     "weight", "tags", "name",     NULL};
  int rc = 0;
  set->sequential = sequential;
  set->wait.kind = LC_WAIT_INHERIT;
  c->depth++;
  if (lc_node_kind(v) == LC_NODE_SEQUENCE) {
    rc = cc_tasks(c, v, sequential, tags, set);
  } else if (lc_node_expect(v, LC_NODE_MAPPING, c->d)) {
    misplaced_keys(c, v, sequential ? "sequence" : "taskset", task_keys, false);
    cc_keys(c, v, keys); /* the task keys among them are reported just above */
    const struct lc_node *n;
    if ((n = lc_node_get(v, "wait", NULL)) && cc_wait(c, n, &set->wait) != 0) rc = -1;
    if ((n = lc_node_get(v, "on_start", NULL)) && cc_steps(c, n, CC_IN_ON_START, &set->on_start) != 0)
      rc = -1;
    if ((n = lc_node_get(v, "on_stop", NULL)) && cc_steps(c, n, CC_IN_ON_STOP, &set->on_stop) != 0)
      rc = -1;
    const struct lc_node *tasks = lc_node_require(v, "tasks", c->d);
    if (!tasks || cc_tasks(c, tasks, sequential, tags, set) != 0) rc = -1;
  } else {
    rc = -1;
  }
  c->depth--;
  return rc;
}

/* Compiles one task entry into t. Returns 1 when it is kept, 0 when tag filters or a zero
 * weight drop it, -1 on errors. */
static int compile_task(struct cc *c, const struct lc_node *n, const struct lc_strs *inherited,
                        struct lc_task *t) {
  if (!lc_node_expect(n, LC_NODE_MAPPING, c->d)) return -1;
  const struct lc_node *key = NULL;
  const char *kind = NULL;
  size_t found = find_kinds(n, task_kinds, &key, &kind);
  if (found != 1) {
    const struct lc_node *k2 = NULL;
    const char *step_kind = NULL;
    if (found == 0 && find_kinds(n, step_kinds, &k2, &step_kind) == 1)
      lc_diag_error(c->d, lc_node_mark(k2),
                    "'%s' is a step, not a task: put it in a task's 'steps' list", step_kind);
    else
      report_kinds(c, n, task_kinds, found, "this task",
                   "a request (get, post, ...), steps, taskset, sequence, interrupt");
    return -1;
  }
  if (strcmp(kind, "taskset") == 0 || strcmp(kind, "sequence") == 0) {
    static const char *const with_set_keys[] = {"weight", "tags", "name", "tasks", "wait",
                                                "on_start", "on_stop", NULL};
    misplaced_keys(c, n, kind, set_keys, true);
    check_step_keys(c, n, kind, with_set_keys);
  } else {
    check_step_keys(c, n, kind, task_keys);
  }
  memset(t, 0, sizeof *t);
  t->mark = *lc_node_mark(n);
  t->weight = 1;
  int rc = 0;
  const struct lc_node *v = lc_node_get(n, kind, NULL), *w;
  if ((w = lc_node_get(n, "weight", NULL))) {
    int64_t weight;
    if (lc_node_read_int_range(w, c->d, 0, 1000000, &weight) == 0)
      t->weight = (uint32_t)weight;
    else
      rc = -1;
  }
  /* tags: inherited, then own */
  for (size_t i = 0; i < inherited->n; i++) {
    const char **slot = cc_push(c, &t->tags.items, &t->tags.n, sizeof *slot);
    *slot = inherited->items[i];
  }
  const struct lc_node *tg = lc_node_get(n, "tags", NULL);
  if (tg) {
    struct lc_strs own;
    if (cc_strs(c, tg, &own) != 0) rc = -1;
    else
      for (size_t i = 0; i < own.n; i++) {
        const char **slot = cc_push(c, &t->tags.items, &t->tags.n, sizeof *slot);
        *slot = own.items[i];
      }
  }
  const struct lc_node *name = lc_node_get(n, "name", NULL);
  if (cc_method_key(kind) || strcmp(kind, "request") == 0) {
    t->kind = LC_TASK_STEPS;
    struct lc_step *st = cc_push(c, &t->steps.items, &t->steps.n, sizeof *st);
    st->kind = LC_STEP_REQUEST;
    st->mark = t->mark;
    st->u.request = cc_request(c, n, kind);
    if (!st->u.request) {
      t->steps.n--;
      return -1;
    }
    t->name = st->u.request->url_source;
    if (name && lc_node_kind(name) == LC_NODE_SCALAR) t->name = cc_string(c, name);
    char *label = lc_xasprintf("%s %s", st->u.request->method, t->name);
    t->name = cc_strndup(c, label, strlen(label));
    free(label);
  } else {
    if (name && !(t->name = cc_string(c, name))) rc = -1;
    if (strcmp(kind, "steps") == 0) {
      t->kind = LC_TASK_STEPS;
      if (cc_steps(c, v, CC_IN_TASK, &t->steps) != 0) rc = -1;
      if (!t->name) t->name = "steps";
    } else if (strcmp(kind, "interrupt") == 0) {
      t->kind = LC_TASK_INTERRUPT;
      if (read_interrupt(c, v, &t->reschedule) != 0) rc = -1;
      else if (c->depth == 0) {
        lc_diag_error(c->d, lc_node_mark(key),
                      "'interrupt' leaves the enclosing taskset or sequence, so it only works "
                      "inside one (to end the user, use 'stop_user')");
        rc = -1;
      }
      if (!t->name) t->name = "interrupt";
    } else {
      bool seq = strcmp(kind, "sequence") == 0;
      t->kind = seq ? LC_TASK_SEQUENCE : LC_TASK_TASKSET;
      t->set = cc_alloc(c, sizeof *t->set);
      if (!t->name) t->name = kind;
      if (compile_set(c, v, seq, &t->tags, t->set) != 0) return -1;
      if (rc != 0) return -1;
      /* a set survives the filters if one of its tasks does */
      return t->set->n > 0 && t->weight > 0 ? 1 : 0;
    }
  }
  if (rc != 0) return -1;
  return t->weight > 0 && tags_keep(c, &t->tags) ? 1 : 0;
}

int cc_tasks(struct cc *c, const struct lc_node *tasks, bool sequential,
             const struct lc_strs *tags, struct lc_taskset *set) {
  if (!lc_node_expect(tasks, LC_NODE_SEQUENCE, c->d)) return -1;
  int rc = 0;
  bool weighted = false; /* a task with a weight above 0 (kept or dropped by tags) */
  for (size_t i = 0; i < lc_node_count(tasks); i++) {
    struct lc_task t;
    memset(&t, 0, sizeof t);
    int kept = compile_task(c, lc_node_item(tasks, i), tags, &t);
    if (kept >= 0 && t.weight > 0) weighted = true;
    /* A task with errors stays (when it has content), so that later checks such as the
     * variable analysis still see it; the plan is not used when there are errors. */
    if (kept < 0) rc = -1;
    if (kept == 0 || (kept < 0 && t.steps.n == 0 && !t.set)) continue;
    struct lc_task *slot = cc_push(c, &set->tasks, &set->n, sizeof *slot);
    *slot = t;
  }
  if (lc_node_count(tasks) == 0 && c->depth > 0) {
    lc_diag_error(c->d, lc_node_mark(tasks), "this %s has no tasks",
                  sequential ? "sequence" : "taskset");
    rc = -1;
  } else if (!weighted && rc == 0 && c->depth > 0) {
    /* Locust fails such a set at run time ("No tasks defined"); say so now */
    lc_diag_error(c->d, lc_node_mark(tasks), "this %s has no task with a weight above 0",
                  sequential ? "sequence" : "taskset");
    rc = -1;
  }
  set->cumulative = cc_alloc(c, (set->n ? set->n : 1) * sizeof *set->cumulative);
  set->total_weight = 0;
  for (size_t i = 0; i < set->n; i++) {
    set->total_weight += set->tasks[i].weight;
    set->cumulative[i] = set->total_weight;
  }
  return rc;
}
