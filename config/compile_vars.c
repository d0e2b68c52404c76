/* compile_vars.c: where variables are set and where they are used. Walks the finished plan in
 * the order a user runs it (on_start, then each task from the state on_start left, sequences
 * in order) and checks every variable that a template or expression reads: an unknown name is
 * an error with a suggestion; a name set somewhere in the class but not on the way to its use
 * is a warning (it depends on which task ran first). */
#include <stdlib.h>
#include <string.h>

#include "config/compile_int.h"

/* A set of names, copied when the walk branches. */
struct names {
  const char **items;
  size_t n, cap;
};

static void names_add(struct names *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->items[i], name) == 0) return;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    s->items = lc_xrealloc(s->items, s->cap * sizeof *s->items);
  }
  s->items[s->n++] = name;
}

static bool names_has(const struct names *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->items[i], name) == 0) return true;
  return false;
}

static void names_copy(struct names *dst, const struct names *src) {
  dst->n = 0;
  for (size_t i = 0; i < src->n; i++) names_add(dst, src->items[i]);
}

static void names_free(struct names *s) {
  free(s->items);
  memset(s, 0, sizeof *s);
}

struct walk {
  struct cc *c;
  struct names globals;   /* vars.NAME: variables and setup captures */
  struct names anywhere;  /* every name the class sets somewhere */
  const struct names *defined;
};

/* ---- collecting every definition of a class ---- */

static void collect_steps(struct names *out, const struct lc_steps *steps);

static void collect_step(struct names *out, const struct lc_step *st) {
  switch (st->kind) {
  case LC_STEP_REQUEST:
    for (size_t i = 0; i < st->u.request->ncaptures; i++)
      names_add(out, st->u.request->captures[i].var);
    break;
  case LC_STEP_SET:
    for (size_t i = 0; i < st->u.set.n; i++) names_add(out, st->u.set.items[i].name);
    break;
  case LC_STEP_LOOP: collect_steps(out, &st->u.loop.body); break;
  case LC_STEP_IF:
    collect_steps(out, &st->u.if_.then_steps);
    collect_steps(out, &st->u.if_.else_steps);
    break;
  default: break;
  }
}

static void collect_steps(struct names *out, const struct lc_steps *steps) {
  for (size_t i = 0; i < steps->n; i++) collect_step(out, &steps->items[i]);
}

static void collect_set(struct names *out, const struct lc_taskset *set) {
  collect_steps(out, &set->on_start);
  collect_steps(out, &set->on_stop);
  for (size_t i = 0; i < set->n; i++) {
    collect_steps(out, &set->tasks[i].steps);
    if (set->tasks[i].set) collect_set(out, set->tasks[i].set);
  }
}

/* ---- checking uses ---- */

static const struct lc_feeder *find_feeder(const struct lc_plan *p, const char *name) {
  for (size_t i = 0; i < p->nfeeders; i++)
    if (strcmp(p->feeders[i].name, name) == 0) return &p->feeders[i];
  return NULL;
}

static void check_data(struct walk *w, const struct lc_expr *e) {
  struct cc *c = w->c;
  const struct lc_var_part *p = e->u.var.parts;
  if (e->u.var.n < 3 || !p[1].name || !p[2].name) {
    lc_diag_error(c->d, &e->mark, "'data' needs a feeder and a column: data.FEEDER.COLUMN");
    return;
  }
  const struct lc_feeder *f = find_feeder(c->plan, p[1].name);
  if (!f) {
    const char **names = lc_xcalloc(c->plan->nfeeders + 1, sizeof *names);
    for (size_t i = 0; i < c->plan->nfeeders; i++) names[i] = c->plan->feeders[i].name;
    lc_diags_add(c->d, LC_SEV_ERROR, &e->mark, lc_suggest(p[1].name, names),
                 "unknown feeder '%s' (feeders are declared under 'data:')", p[1].name);
    free(names);
    return;
  }
  if (f->columns.n == 0) return; /* the file could not be read: reported already */
  for (size_t i = 0; i < f->columns.n; i++)
    if (strcmp(f->columns.items[i], p[2].name) == 0) return;
  const char **cols = lc_xcalloc(f->columns.n + 1, sizeof *cols);
  memcpy(cols, f->columns.items, f->columns.n * sizeof *cols);
  lc_diags_add(c->d, LC_SEV_ERROR, &e->mark, lc_suggest(p[2].name, cols),
               "feeder '%s' has no column '%s'", f->name, p[2].name);
  free(cols);
}

static void check_global(struct walk *w, const struct lc_expr *e) {
  const struct lc_var_part *p = e->u.var.parts;
  if (e->u.var.n < 2 || !p[1].name) {
    lc_diag_error(w->c->d, &e->mark, "'vars' needs a name: vars.NAME");
    return;
  }
  if (names_has(&w->globals, p[1].name)) return;
  const char **names = lc_xcalloc(w->globals.n + 1, sizeof *names);
  if (w->globals.n) memcpy(names, w->globals.items, w->globals.n * sizeof *names);
  /* the suggestion is written as the name is read: vars.NAME */
  const char *near = lc_suggest(p[1].name, names);
  char *hint = near ? lc_xasprintf("vars.%s", near) : NULL;
  lc_diags_add(w->c->d, LC_SEV_ERROR, &e->mark, hint,
               "unknown global variable 'vars.%s' (globals are declared under 'variables:' or "
               "captured in 'setup:')", p[1].name);
  free(hint);
  free(names);
}

/* response.status, response.url, response.header.NAME, response.body: the fields of the last
 * response (docs/language.md, templates). Anything else would render nothing at run time. */
static void check_response(struct walk *w, const struct lc_expr *e) {
  static const char *const fields[] = {"status", "url", "header", "body", NULL};
  const struct lc_var_part *p = e->u.var.parts;
  if (e->u.var.n < 2 || !p[1].name) {
    lc_diag_error(w->c->d, &e->mark,
                  "'response' needs a field: response.status, response.url, "
                  "response.header.NAME or response.body");
    return;
  }
  for (size_t i = 0; fields[i]; i++) {
    if (strcmp(p[1].name, fields[i]) != 0) continue;
    if (i == 2 && (e->u.var.n < 3 || !p[2].name))
      lc_diag_error(w->c->d, &e->mark,
                    "'response.header' needs a header name: response.header.NAME");
    return;
  }
  const char *near = lc_suggest(p[1].name, fields);
  char *hint = near ? lc_xasprintf("response.%s", near) : NULL;
  lc_diags_add(w->c->d, LC_SEV_ERROR, &e->mark, hint,
               "unknown field 'response.%s' (expected status, url, header.NAME or body)",
               p[1].name);
  free(hint);
}

static int check_use(void *ctx, const struct lc_expr *e) {
  struct walk *w = ctx;
  struct cc *c = w->c;
  const char *root = e->u.var.parts[0].name;
  if (strcmp(root, "data") == 0) {
    check_data(w, e);
  } else if (strcmp(root, "vars") == 0) {
    check_global(w, e);
  } else if (strcmp(root, "response") == 0) {
    /* the last response: always there once a request ran; empty before */
    check_response(w, e);
  } else if (names_has(w->defined, root)) {
    /* set on the way here */
  } else if (names_has(&w->anywhere, root)) {
    lc_diag_warning(c->d, &e->mark,
                    "variable '%s' may be used before it is set: it is set only by another "
                    "task, later in this one, or in an 'if' or a loop, which may not have run",
                    root);
  } else if (names_has(&w->globals, root)) {
    char *hint = lc_xasprintf("vars.%s", root);
    lc_diags_add(c->d, LC_SEV_ERROR, &e->mark, hint,
                 "unknown variable '%s': global variables are read as vars.NAME", root);
    free(hint);
  } else {
    struct names all = {0};
    names_copy(&all, w->defined);
    for (size_t i = 0; i < w->anywhere.n; i++) names_add(&all, w->anywhere.items[i]);
    names_add(&all, "vars");
    names_add(&all, "data");
    names_add(&all, "response");
    const char **list = lc_xcalloc(all.n + 1, sizeof *list);
    if (all.n) memcpy(list, all.items, all.n * sizeof *list);
    lc_diags_add(c->d, LC_SEV_ERROR, &e->mark, lc_suggest(root, list),
                 "unknown variable '%s': no capture, set or loop defines it", root);
    free(list);
    names_free(&all);
  }
  return 0;
}

static void use_expr(struct walk *w, const struct lc_expr *e) {
  if (e) lc_expr_each_var(e, check_use, w);
}

static void use_tpl(struct walk *w, const struct lc_tpl *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) use_expr(w, t->segs[i].expr);
}

static void use_kvs(struct walk *w, const struct lc_kvs *kv) {
  for (size_t i = 0; i < kv->n; i++) use_tpl(w, kv->items[i].value);
}

static void use_request(struct walk *w, const struct lc_request *r) {
  use_tpl(w, r->url);
  use_tpl(w, r->name);
  use_kvs(w, &r->headers);
  use_kvs(w, &r->query);
  use_tpl(w, r->body);
  use_kvs(w, &r->form);
  for (size_t i = 0; i < r->nparts; i++) use_tpl(w, r->parts[i].value);
  use_tpl(w, r->auth_user);
  use_tpl(w, r->auth_password);
  use_tpl(w, r->auth_token);
  use_tpl(w, r->message);
}

/* Walks steps with `defined` (updated as steps set names). */
static void walk_steps(struct walk *w, const struct lc_steps *steps, struct names *defined);

static void walk_step(struct walk *w, const struct lc_step *st, struct names *defined) {
  w->defined = defined;
  switch (st->kind) {
  case LC_STEP_REQUEST:
    use_request(w, st->u.request);
    for (size_t i = 0; i < st->u.request->ncaptures; i++)
      names_add(defined, st->u.request->captures[i].var);
    break;
  case LC_STEP_SET:
    use_kvs(w, &st->u.set);
    for (size_t i = 0; i < st->u.set.n; i++) names_add(defined, st->u.set.items[i].name);
    break;
  case LC_STEP_LOG: use_tpl(w, st->u.log); break;
  case LC_STEP_LOOP: {
    use_expr(w, st->u.loop.over);
    struct names inner = {0};
    names_copy(&inner, defined);
    names_add(&inner, st->u.loop.as);
    walk_steps(w, &st->u.loop.body, &inner);
    /* What the body sets is set after the loop only when the body surely runs: a count above
     * 0, or a literal list that is not empty. A list from a variable may be empty. */
    const struct lc_expr *over = st->u.loop.over;
    bool runs = st->u.loop.count > 0 ||
                (st->u.loop.count < 0 && over && over->kind == LC_EXPR_LIST && over->u.list.n);
    for (size_t i = 0; runs && i < inner.n; i++)
      if (strcmp(inner.items[i], st->u.loop.as) != 0) names_add(defined, inner.items[i]);
    names_free(&inner);
    break;
  }
  case LC_STEP_IF: {
    use_expr(w, st->u.if_.cond);
    struct names a = {0}, b = {0};
    names_copy(&a, defined);
    names_copy(&b, defined);
    walk_steps(w, &st->u.if_.then_steps, &a);
    walk_steps(w, &st->u.if_.else_steps, &b);
    /* set after the if: what both branches set (a name set by one branch only may not be) */
    for (size_t i = 0; i < a.n; i++)
      if (names_has(&b, a.items[i])) names_add(defined, a.items[i]);
    names_free(&a);
    names_free(&b);
    break;
  }
  default: break;
  }
  w->defined = defined;
}

static void walk_steps(struct walk *w, const struct lc_steps *steps, struct names *defined) {
  for (size_t i = 0; i < steps->n; i++) walk_step(w, &steps->items[i], defined);
}

static void walk_set(struct walk *w, const struct lc_taskset *set, struct names *defined) {
  walk_steps(w, &set->on_start, defined);
  struct names flow = {0};
  names_copy(&flow, defined);
  for (size_t i = 0; i < set->n; i++) {
    const struct lc_task *t = &set->tasks[i];
    struct names mine = {0};
    /* a sequence carries what earlier tasks set; a random set starts each task afresh */
    names_copy(&mine, set->sequential ? &flow : defined);
    walk_steps(w, &t->steps, &mine);
    if (t->set) walk_set(w, t->set, &mine);
    if (set->sequential) names_copy(&flow, &mine);
    names_free(&mine);
  }
  struct names stop = {0};
  names_copy(&stop, defined);
  walk_steps(w, &set->on_stop, &stop);
  names_free(&stop);
  names_free(&flow);
}

void cc_check_variables(struct cc *c) {
  struct walk w;
  memset(&w, 0, sizeof w);
  w.c = c;
  const struct lc_plan *p = c->plan;
  for (size_t i = 0; i < p->nvariables; i++) names_add(&w.globals, p->variables[i].name);

  struct names setup = {0};
  walk_steps(&w, &p->setup, &setup);
  for (size_t i = 0; i < setup.n; i++) names_add(&w.globals, setup.items[i]);
  names_free(&setup);
  struct names teardown = {0};
  walk_steps(&w, &p->teardown, &teardown);
  names_free(&teardown);

  for (size_t k = 0; k < p->nclasses; k++) {
    const struct lc_user_class *uc = &p->classes[k];
    names_free(&w.anywhere);
    collect_steps(&w.anywhere, &uc->on_start);
    collect_steps(&w.anywhere, &uc->on_stop);
    collect_set(&w.anywhere, &uc->root);
    struct names start = {0};
    walk_steps(&w, &uc->on_start, &start);
    walk_set(&w, &uc->root, &start);
    /* the user's on_stop runs after any task */
    struct names stop = {0};
    names_copy(&stop, &start);
    walk_steps(&w, &uc->on_stop, &stop);
    names_free(&stop);
    names_free(&start);
  }
  names_free(&w.anywhere);
  names_free(&w.globals);
}
