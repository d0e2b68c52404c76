/* compile.c: the compiler's entry point and its document-level parts: the top-level keys,
 * variables, data feeders, load settings, output, user classes (extends, abstract, client
 * choice) and the shared readers declared in compile_int.h. */
#include "config/compile.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "config/compile_int.h"

/* ---- memory ---- */

void *cc_alloc(struct cc *c, size_t n) { return lc_arena_alloc(&c->own->arena, n); }

const char *cc_strndup(struct cc *c, const char *s, size_t n) {
  return lc_arena_strndup(&c->own->arena, s, n);
}

void *cc_push(struct cc *c, void *items_ptr, size_t *n, size_t size) {
  void **items = items_ptr;
  /* Arena arrays grow by doubling at powers of two; the old copy stays in the arena. */
  size_t cap = 1;
  while (cap < *n) cap *= 2;
  if (*n == 0 || *n == cap) {
    size_t newcap = *n == 0 ? 4 : cap * 2;
    void *grown = cc_alloc(c, newcap * size);
    if (*n) memcpy(grown, *items, *n * size);
    *items = grown;
  }
  void *slot = (char *)*items + *n * size;
  (*n)++;
  return slot;
}

#define OWN(c, field, count, ptr)                                                     \
  do {                                                                                \
    (c)->own->field = lc_xrealloc((c)->own->field, ((c)->own->count + 1) *            \
                                                       sizeof *(c)->own->field);      \
    (c)->own->field[(c)->own->count++] = (ptr);                                       \
  } while (0)

/* ---- readers ---- */

const char *cc_strerror(int err, char *buf, size_t n) {
  snprintf(buf, n, "%s", strerror(err));
  if (buf[0] >= 'A' && buf[0] <= 'Z') buf[0] = (char)(buf[0] - 'A' + 'a');
  return buf;
}

const char *cc_string(struct cc *c, const struct lc_node *n) {
  const char *s;
  size_t len;
  if (lc_node_read_string(n, c->d, &s, &len) != 0) return NULL;
  return cc_strndup(c, s, len);
}

int cc_strs(struct cc *c, const struct lc_node *n, struct lc_strs *out) {
  out->items = NULL;
  out->n = 0;
  if (lc_node_kind(n) == LC_NODE_SCALAR) {
    const char *s = cc_string(c, n);
    if (!s) return -1;
    const char **slot = cc_push(c, &out->items, &out->n, sizeof *out->items);
    *slot = s;
    return 0;
  }
  if (!lc_node_expect(n, LC_NODE_SEQUENCE, c->d)) return -1;
  int rc = 0;
  for (size_t i = 0; i < lc_node_count(n); i++) {
    const char *s = cc_string(c, lc_node_item(n, i));
    if (!s) {
      rc = -1;
      continue;
    }
    const char **slot = cc_push(c, &out->items, &out->n, sizeof *out->items);
    *slot = s;
  }
  return rc;
}

int cc_value(struct cc *c, const struct lc_node *n, struct lc_value *out) {
  memset(out, 0, sizeof *out);
  if (!lc_node_expect(n, LC_NODE_SCALAR, c->d)) return -1;
  const char *s = lc_node_str(n);
  size_t len = lc_node_len(n);
  if (lc_node_style(n) == LC_STYLE_PLAIN) {
    if (lc_node_is_null(n)) {
      out->kind = LC_VALUE_NULL;
      return 0;
    }
    if (lc_node_is(n, "true") || lc_node_is(n, "false")) {
      out->kind = LC_VALUE_BOOL;
      out->boolean = lc_node_is(n, "true");
      return 0;
    }
    double v;
    if (lc_node_read_number(n, NULL, &v) == 0) {
      out->kind = LC_VALUE_NUMBER;
      out->number = v;
      out->str = cc_strndup(c, s, len);
      out->len = len;
      return 0;
    }
  }
  out->kind = LC_VALUE_STRING;
  out->str = cc_strndup(c, s, len);
  out->len = len;
  return 0;
}

/* Names other tools (Locust, python-requests, k6) give to keys of this language: an unknown
 * key that is one of them is suggested its name here, which the edit distance would miss. */
static const char *const key_aliases[][2] = {
    {"wait_time", "wait"},          {"think_time", "wait"},    {"params", "query"},
    {"status_code", "status"},      {"allow_redirects", "follow_redirects"},
    {"verify", "verify_tls"},       {"cert", "client_cert"},   {"hatch_rate", "spawn_rate"},
    {"num_users", "users"},         {"vus", "users"},          {"duration", "run_time"},
};

static bool in_list(const char *const *list, const char *s) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(list[i], s) == 0) return true;
  return false;
}

bool cc_keys(struct cc *c, const struct lc_node *map, const char *const *allowed) {
  /* Aliased keys are reported here with their suggestion and added to the allowed list given
   * to lc_node_check_keys, which reports every other unknown key. */
  const char *with[128];
  size_t n = 0;
  while (allowed[n] && n < LC_ARRAY_LEN(with) - LC_ARRAY_LEN(key_aliases) - 1) {
    with[n] = allowed[n];
    n++;
  }
  size_t aliased = 0;
  for (size_t i = 0; i < LC_ARRAY_LEN(key_aliases); i++) {
    const char *from = key_aliases[i][0], *to = key_aliases[i][1];
    const struct lc_node *k = NULL;
    if (in_list(allowed, from) || !in_list(allowed, to) || !lc_node_get(map, from, &k) || !k)
      continue;
    lc_diags_add(c->d, LC_SEV_ERROR, lc_node_mark(k), to, "unknown key '%s'", from);
    with[n++] = from;
    aliased++;
  }
  with[n] = NULL;
  return lc_node_check_keys(map, with, c->d) == 0 && aliased == 0;
}

int cc_duration(struct cc *c, const struct lc_node *n, int64_t *out_us) {
  return lc_node_read_duration(n, c->d, out_us) == 0 ? 0 : -1;
}

int cc_bool(struct cc *c, const struct lc_node *n, bool *out) {
  return lc_node_read_bool(n, c->d, out) == 0 ? 0 : -1;
}

static void mark_expr_walk(struct lc_expr *e, const struct lc_node *n) {
  lc_node_mark_at(n, e->offset, &e->mark);
  switch (e->kind) {
  case LC_EXPR_LIST:
    for (size_t i = 0; i < e->u.list.n; i++) mark_expr_walk(e->u.list.items[i], n);
    break;
  case LC_EXPR_CALL:
    for (size_t i = 0; i < e->u.call.nargs; i++) mark_expr_walk(e->u.call.args[i], n);
    break;
  case LC_EXPR_NOT: mark_expr_walk(e->u.not_, n); break;
  case LC_EXPR_BINARY:
    mark_expr_walk(e->u.bin.l, n);
    mark_expr_walk(e->u.bin.r, n);
    break;
  default: break;
  }
}

void cc_mark_expr(struct lc_expr *e, const struct lc_node *n) { mark_expr_walk(e, n); }

/* A YAML value written as {{ x }} without quotes is a flow mapping whose key is a mapping. */
static bool looks_like_unquoted_template(const struct lc_node *n) {
  return lc_node_kind(n) == LC_NODE_MAPPING && lc_node_count(n) == 1 &&
         lc_node_kind(lc_node_key(n, 0)) == LC_NODE_MAPPING;
}

static bool expect_text(struct cc *c, const struct lc_node *n) {
  if (lc_node_kind(n) == LC_NODE_SCALAR) return true;
  if (looks_like_unquoted_template(n)) {
    lc_diag_error(c->d, lc_node_mark(n),
                  "a value that starts with '{{' must be quoted, like \"{{ token }}\": YAML "
                  "reads an unquoted '{' as a mapping");
    return false;
  }
  return lc_node_expect(n, LC_NODE_SCALAR, c->d);
}

struct lc_tpl *cc_template(struct cc *c, const struct lc_node *n) {
  if (!expect_text(c, n)) return NULL;
  struct lc_expr_error err;
  struct lc_tpl *t = lc_tpl_parse(lc_node_str(n), lc_node_len(n), &err);
  if (!t) {
    struct lc_mark at;
    lc_node_mark_at(n, err.offset, &at);
    lc_diag_error(c->d, &at, "%s", err.msg);
    return NULL;
  }
  for (size_t i = 0; i < t->n; i++)
    if (t->segs[i].expr) cc_mark_expr(t->segs[i].expr, n);
  OWN(c, tpls, ntpls, t);
  return t;
}

struct lc_expr *cc_expression(struct cc *c, const struct lc_node *n) {
  if (!expect_text(c, n)) return NULL;
  const char *s = lc_node_str(n);
  size_t len = lc_node_len(n), start = 0, end = len;
  while (start < len && (s[start] == ' ' || s[start] == '\t')) start++;
  while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t')) end--;
  if (end - start >= 4 && s[start] == '{' && s[start + 1] == '{' && s[end - 1] == '}' &&
      s[end - 2] == '}') {
    start += 2;
    end -= 2;
  }
  struct lc_expr_error err;
  struct lc_expr *e = lc_expr_parse(s + start, end - start, start, &err);
  if (!e) {
    struct lc_mark at;
    lc_node_mark_at(n, err.offset, &at);
    lc_diag_error(c->d, &at, "%s", err.msg);
    return NULL;
  }
  cc_mark_expr(e, n);
  OWN(c, exprs, nexprs, e);
  return e;
}

void *cc_regex(struct cc *c, const struct lc_node *n) {
  if (!expect_text(c, n)) return NULL;
  int code;
  PCRE2_SIZE off;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)lc_node_str(n), lc_node_len(n),
                                 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
  if (!re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(code, msg, sizeof msg);
    struct lc_mark at;
    lc_node_mark_at(n, off, &at);
    lc_diag_error(c->d, &at, "invalid regex: %s", (const char *)msg);
    return NULL;
  }
  /* JIT compilation waits for lc_plan_jit: `loadc check` does not need it */
  OWN(c, regexes, nregexes, re);
  return re;
}

struct lc_jsonpath *cc_jsonpath(struct cc *c, const struct lc_node *n, const char *s, size_t len,
                                size_t offset) {
  struct lc_expr_error err;
  struct lc_jsonpath *p = lc_jsonpath_parse(s, len, &err);
  if (!p) {
    struct lc_mark at;
    lc_node_mark_at(n, offset + err.offset, &at);
    lc_diag_error(c->d, &at, "invalid JSONPath '%.*s': %s", (int)(len > 60 ? 60 : len), s,
                  err.msg);
    return NULL;
  }
  OWN(c, paths, npaths, p);
  return p;
}

int cc_kvs(struct cc *c, const struct lc_node *map, struct lc_kvs *out) {
  if (!lc_node_expect(map, LC_NODE_MAPPING, c->d)) return -1;
  int rc = 0;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const char *name = cc_string(c, lc_node_key(map, i));
    struct lc_tpl *t = cc_template(c, lc_node_value(map, i));
    if (!name || !t) {
      rc = -1;
      continue;
    }
    struct lc_kv *kv = cc_push(c, &out->items, &out->n, sizeof *out->items);
    kv->name = name;
    kv->value = t;
    kv->mark = *lc_node_mark(lc_node_key(map, i));
  }
  return rc;
}

/* ---- variables ---- */

static bool is_identifier(const char *s) {
  if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return false;
  for (s++; *s; s++)
    if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

static const char *const reserved_names[] = {"vars", "data", "response", "true", "false", "null",
                                             NULL};

/* Reports a variable name that cannot be used; returns true when it is fine. */
bool cc_var_name(struct cc *c, const struct lc_node *key, const char *name) {
  if (!is_identifier(name)) {
    lc_diag_error(c->d, lc_node_mark(key),
                  "invalid variable name '%s': use letters, digits and '_', not starting with a "
                  "digit", name);
    return false;
  }
  for (size_t i = 0; reserved_names[i]; i++) {
    if (strcmp(name, reserved_names[i]) == 0) {
      lc_diag_error(c->d, lc_node_mark(key), "'%s' is a reserved name and cannot be a variable",
                    name);
      return false;
    }
  }
  return true;
}

static void compile_variables(struct cc *c, const struct lc_node *vars) {
  static const char *const keys[] = {"value", "secret", NULL};
  if (!lc_node_expect(vars, LC_NODE_MAPPING, c->d)) return;
  for (size_t i = 0; i < lc_node_count(vars); i++) {
    const struct lc_node *k = lc_node_key(vars, i), *v = lc_node_value(vars, i);
    const char *name = cc_string(c, k);
    if (!name || !cc_var_name(c, k, name)) continue;
    struct lc_variable *var =
        cc_push(c, &c->plan->variables, &c->plan->nvariables, sizeof *var);
    var->name = name;
    var->mark = *lc_node_mark(k);
    if (lc_node_kind(v) == LC_NODE_MAPPING) {
      cc_keys(c, v, keys);
      const struct lc_node *val = lc_node_require(v, "value", c->d);
      if (val) cc_value(c, val, &var->value);
      const struct lc_node *sec = lc_node_get(v, "secret", NULL);
      if (sec) cc_bool(c, sec, &var->secret);
    } else {
      cc_value(c, v, &var->value);
    }
  }
}

static void apply_sets(struct cc *c) {
  if (!c->opts->sets) return;
  for (size_t i = 0; c->opts->sets[i]; i++) {
    const char *s = c->opts->sets[i];
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) {
      lc_diag_error(c->d, NULL, "--set '%s': expected NAME=VALUE", s);
      continue;
    }
    const char *names[256];
    size_t nn = 0;
    struct lc_variable *found = NULL;
    for (size_t k = 0; k < c->plan->nvariables; k++) {
      struct lc_variable *v = &c->plan->variables[k];
      if (strlen(v->name) == (size_t)(eq - s) && memcmp(v->name, s, (size_t)(eq - s)) == 0)
        found = v;
      if (nn + 1 < LC_ARRAY_LEN(names)) names[nn++] = v->name;
    }
    names[nn] = NULL;
    if (!found) {
      char *word = lc_xstrndup(s, (size_t)(eq - s));
      lc_diags_add(c->d, LC_SEV_ERROR, NULL, lc_suggest(word, names),
                   "--set: unknown variable '%s' (variables are declared under 'variables:')",
                   word);
      free(word);
      continue;
    }
    found->value.kind = LC_VALUE_STRING;
    found->value.str = cc_strndup(c, eq + 1, strlen(eq + 1));
    found->value.len = strlen(eq + 1);
  }
}

/* ---- data feeders ---- */

struct csv_count {
  size_t fields, rows, columns_in_first;
  struct lc_strs header;
  struct cc *c;
  bool want_header;
  bool ragged;
  size_t ragged_row;
};

static void csv_field(void *s, size_t len, void *ctx) {
  struct csv_count *cnt = ctx;
  if (cnt->rows == 0 && cnt->want_header) {
    const char **slot = cc_push(cnt->c, &cnt->header.items, &cnt->header.n, sizeof(char *));
    *slot = cc_strndup(cnt->c, s, len);
  }
  cnt->fields++;
}

static void csv_row(int term, void *ctx) {
  (void)term;
  struct csv_count *cnt = ctx;
  if (cnt->rows == 0) {
    cnt->columns_in_first = cnt->fields;
  } else if (cnt->fields != cnt->columns_in_first && !cnt->ragged) {
    cnt->ragged = true;
    cnt->ragged_row = cnt->rows + 1;
  }
  cnt->fields = 0;
  cnt->rows++;
}

static char *resolve_path(struct cc *c, const char *rel) {
  if (rel[0] == '/' || !c->plan->dir || !*c->plan->dir) return lc_xstrdup(rel);
  return lc_xasprintf("%s/%s", c->plan->dir, rel);
}

/* Reads the CSV file once to learn its columns and count its rows. */
static void scan_csv(struct cc *c, struct lc_feeder *f, const struct lc_node *at) {
  FILE *fp = fopen(f->path, "rb");
  struct stat st;
  int err = !fp ? errno : fstat(fileno(fp), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (err) {
    char why[128];
    lc_diag_error(c->d, lc_node_mark(at), "cannot read CSV file '%s': %s", f->path,
                  cc_strerror(err, why, sizeof why));
    if (fp) fclose(fp);
    return;
  }
  struct csv_parser p;
  csv_init(&p, CSV_APPEND_NULL);
  struct csv_count cnt = {0};
  cnt.c = c;
  cnt.want_header = f->header;
  char buf[65536];
  size_t got;
  bool bad = false;
  bool first = true;
  while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
    /* a UTF-8 byte order mark names no column (engine/feeder.c drops it too) */
    size_t skip = first && got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    first = false;
    if (csv_parse(&p, buf + skip, got - skip, csv_field, csv_row, &cnt) != got - skip) {
      bad = true;
      break;
    }
  }
  if (!bad && csv_fini(&p, csv_field, csv_row, &cnt) != 0) bad = true;
  if (bad)
    lc_diag_error(c->d, lc_node_mark(at), "CSV file '%s': %s", f->path,
                  csv_strerror(csv_error(&p)));
  csv_free(&p);
  fclose(fp);
  if (bad) return;
  if (cnt.ragged)
    lc_diag_error(c->d, lc_node_mark(at),
                  "CSV file '%s': row %zu has a different number of fields than row 1",
                  f->path, cnt.ragged_row);
  if (f->header) {
    f->columns = cnt.header;
    f->nrows = cnt.rows ? cnt.rows - 1 : 0;
  } else {
    f->nrows = cnt.rows;
    if (f->columns.n && cnt.rows && cnt.columns_in_first != f->columns.n)
      lc_diag_error(c->d, lc_node_mark(at),
                    "CSV file '%s' has %zu columns but 'columns' names %zu", f->path,
                    cnt.columns_in_first, f->columns.n);
  }
  if (f->nrows == 0) lc_diag_error(c->d, lc_node_mark(at), "CSV file '%s' has no data rows", f->path);
}

int cc_enum(struct cc *c, const struct lc_node *n, const char *const *names, int *out) {
  const char *s = cc_string(c, n);
  if (!s) return -1;
  for (int i = 0; names[i]; i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return 0;
    }
  }
  struct lc_buf list;
  lc_buf_init(&list, 0);
  for (int i = 0; names[i]; i++) lc_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
  lc_diags_add(c->d, LC_SEV_ERROR, lc_node_mark(n), lc_suggest(s, names),
               "unknown value '%s' (expected one of: %s)", s, list.data);
  lc_buf_release(&list);
  return -1;
}

static void compile_data(struct cc *c, const struct lc_node *data) {
  static const char *const keys[] = {"csv", "columns", "order", "row", "on_exhausted", NULL};
  static const char *const orders[] = {"sequential", "random", "unique", NULL};
  static const char *const rows[] = {"per_user", "per_task", NULL};
  static const char *const exhausted[] = {"recycle", "stop_user", "stop_test", NULL};
  if (!lc_node_expect(data, LC_NODE_MAPPING, c->d)) return;
  for (size_t i = 0; i < lc_node_count(data); i++) {
    const struct lc_node *k = lc_node_key(data, i), *v = lc_node_value(data, i);
    const char *name = cc_string(c, k);
    if (!name || !cc_var_name(c, k, name) || !lc_node_expect(v, LC_NODE_MAPPING, c->d)) continue;
    cc_keys(c, v, keys);
    struct lc_feeder *f = cc_push(c, &c->plan->feeders, &c->plan->nfeeders, sizeof *f);
    f->name = name;
    f->mark = *lc_node_mark(k);
    f->header = true;
    int e;
    const struct lc_node *n;
    if ((n = lc_node_get(v, "order", NULL)) && cc_enum(c, n, orders, &e) == 0)
      f->order = (enum lc_feeder_order)e;
    if ((n = lc_node_get(v, "row", NULL)) && cc_enum(c, n, rows, &e) == 0)
      f->row = (enum lc_feeder_row)e;
    if ((n = lc_node_get(v, "on_exhausted", NULL)) && cc_enum(c, n, exhausted, &e) == 0) {
      f->on_exhausted = (enum lc_exhausted)e;
      if (f->order != LC_ORDER_UNIQUE && f->on_exhausted != LC_EXHAUSTED_RECYCLE)
        lc_diag_warning(c->d, lc_node_mark(n),
                        "'on_exhausted' only matters with 'order: unique': sequential and "
                        "random feeders never run out");
    }
    if ((n = lc_node_get(v, "columns", NULL))) {
      if (cc_strs(c, n, &f->columns) == 0) f->header = false;
    }
    const struct lc_node *csv = lc_node_require(v, "csv", c->d);
    const char *rel = csv ? cc_string(c, csv) : NULL;
    if (!rel) continue;
    char *path = resolve_path(c, rel);
    f->path = cc_strndup(c, path, strlen(path));
    free(path);
    scan_csv(c, f, csv);
  }
}

/* ---- load ---- */

static int read_count(struct cc *c, const struct lc_node *n, int64_t max, uint32_t *out) {
  int64_t v;
  if (lc_node_read_int_range(n, c->d, 0, max, &v) != 0) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int read_positive_rate(struct cc *c, const struct lc_node *n, const char *key,
                              double *out) {
  if (lc_node_read_rate(n, c->d, out) != 0) return -1;
  if (*out <= 0) {
    lc_diag_error(c->d, lc_node_mark(n), "'%s' must be greater than 0", key);
    return -1;
  }
  return 0;
}

static void compile_stages(struct cc *c, const struct lc_node *list) {
  static const char *const keys[] = {"duration", "users", "spawn_rate", "user_classes", NULL};
  struct lc_load *L = &c->plan->load;
  if (!lc_node_expect(list, LC_NODE_SEQUENCE, c->d)) return;
  if (lc_node_count(list) == 0) lc_diag_error(c->d, lc_node_mark(list), "'stages' is empty");
  for (size_t i = 0; i < lc_node_count(list); i++) {
    const struct lc_node *s = lc_node_item(list, i);
    if (!lc_node_expect(s, LC_NODE_MAPPING, c->d)) continue;
    cc_keys(c, s, keys);
    struct lc_stage *st = cc_push(c, &L->stages, &L->nstages, sizeof *st);
    st->mark = *lc_node_mark(s);
    st->spawn_rate = 1;
    const struct lc_node *n;
    if ((n = lc_node_require(s, "duration", c->d))) {
      if (cc_duration(c, n, &st->duration_us) == 0 && st->duration_us == 0)
        lc_diag_error(c->d, lc_node_mark(n), "a stage's duration must be greater than 0");
    }
    if ((n = lc_node_require(s, "users", c->d))) read_count(c, n, 10000000, &st->users);
    if ((n = lc_node_get(s, "spawn_rate", NULL))) read_positive_rate(c, n, "spawn_rate", &st->spawn_rate);
    if ((n = lc_node_get(s, "user_classes", NULL))) cc_strs(c, n, &st->user_classes);
  }
}

static void compile_arrival(struct cc *c, const struct lc_node *a) {
  static const char *const keys[] = {"max_users", "stages", NULL};
  static const char *const stage_keys[] = {"duration", "rate", "ramp_to", NULL};
  struct lc_load *L = &c->plan->load;
  if (!lc_node_expect(a, LC_NODE_MAPPING, c->d)) return;
  cc_keys(c, a, keys);
  L->max_users = 1000;
  const struct lc_node *n;
  if ((n = lc_node_get(a, "max_users", NULL))) {
    if (read_count(c, n, 10000000, &L->max_users) == 0 && L->max_users == 0)
      lc_diag_error(c->d, lc_node_mark(n), "'max_users' must be at least 1");
  }
  const struct lc_node *list = lc_node_require(a, "stages", c->d);
  if (!list || !lc_node_expect(list, LC_NODE_SEQUENCE, c->d)) return;
  if (lc_node_count(list) == 0) lc_diag_error(c->d, lc_node_mark(list), "'stages' is empty");
  for (size_t i = 0; i < lc_node_count(list); i++) {
    const struct lc_node *s = lc_node_item(list, i);
    if (!lc_node_expect(s, LC_NODE_MAPPING, c->d)) continue;
    cc_keys(c, s, stage_keys);
    struct lc_arrival_stage *st = cc_push(c, &L->arrivals, &L->narrivals, sizeof *st);
    st->mark = *lc_node_mark(s);
    if ((n = lc_node_require(s, "duration", c->d))) {
      if (cc_duration(c, n, &st->duration_us) == 0 && st->duration_us == 0)
        lc_diag_error(c->d, lc_node_mark(n), "a stage's duration must be greater than 0");
    }
    if ((n = lc_node_require(s, "rate", c->d))) lc_node_read_rate(n, c->d, &st->rate);
    st->ramp_to = st->rate;
    if ((n = lc_node_get(s, "ramp_to", NULL))) lc_node_read_rate(n, c->d, &st->ramp_to);
  }
}

static void compile_load(struct cc *c, const struct lc_node *load) {
  static const char *const keys[] = {"users", "spawn_rate", "run_time", "iterations",
                                     "stop_timeout", "reset_stats", "stages", "arrival", NULL};
  struct lc_load *L = &c->plan->load;
  L->users = 1;
  L->spawn_rate = 1;
  if (!load) return;
  if (!lc_node_expect(load, LC_NODE_MAPPING, c->d)) return;
  cc_keys(c, load, keys);
  const struct lc_node *users_k = NULL, *rate_k = NULL, *time_k = NULL, *stages_k = NULL,
                       *arrival_k = NULL, *n;
  if ((n = lc_node_get(load, "users", &users_k))) read_count(c, n, 10000000, &L->users);
  if ((n = lc_node_get(load, "spawn_rate", &rate_k))) read_positive_rate(c, n, "spawn_rate", &L->spawn_rate);
  if ((n = lc_node_get(load, "run_time", &time_k))) cc_duration(c, n, &L->run_time_us);
  if ((n = lc_node_get(load, "iterations", NULL))) {
    int64_t v;
    if (lc_node_read_int_range(n, c->d, 0, INT64_MAX, &v) == 0) L->iterations = (uint64_t)v;
  }
  if ((n = lc_node_get(load, "stop_timeout", NULL))) cc_duration(c, n, &L->stop_timeout_us);
  if ((n = lc_node_get(load, "reset_stats", NULL))) cc_bool(c, n, &L->reset_stats);
  if ((n = lc_node_get(load, "stages", &stages_k))) {
    L->model = LC_LOAD_STAGES;
    compile_stages(c, n);
  }
  if ((n = lc_node_get(load, "arrival", &arrival_k))) {
    L->model = LC_LOAD_ARRIVAL;
    compile_arrival(c, n);
  }
  const struct lc_node *model_k = arrival_k ? arrival_k : stages_k;
  const char *model = arrival_k ? "arrival" : "stages";
  if (arrival_k && stages_k)
    lc_diag_error(c->d, lc_node_mark(arrival_k),
                  "'arrival' and 'stages' cannot be used together: choose the closed model "
                  "(stages of users) or the open model (arrival rates)");
  if (model_k) {
    if (users_k)
      lc_diag_error(c->d, lc_node_mark(users_k),
                    "'users' cannot be used with '%s': %s", model,
                    arrival_k ? "arrivals start their own users (see 'max_users')"
                              : "each stage sets its own user count");
    if (rate_k)
      lc_diag_error(c->d, lc_node_mark(rate_k), "'spawn_rate' cannot be used with '%s': %s",
                    model,
                    arrival_k ? "arrivals start users at the arrival rate"
                              : "each stage sets its own spawn_rate");
    if (time_k)
      lc_diag_error(c->d, lc_node_mark(time_k),
                    "'run_time' cannot be used with '%s': the run ends after the last stage",
                    model);
  }
}

/* ---- output ---- */

static void compile_output(struct cc *c, const struct lc_node *out) {
  static const char *const keys[] = {"csv", "html", "json", "junit", "csv_full_history", NULL};
  if (!lc_node_expect(out, LC_NODE_MAPPING, c->d)) return;
  cc_keys(c, out, keys);
  struct lc_output *o = &c->plan->output;
  const struct lc_node *n;
  if ((n = lc_node_get(out, "csv", NULL))) o->csv = cc_string(c, n);
  if ((n = lc_node_get(out, "html", NULL))) o->html = cc_string(c, n);
  if ((n = lc_node_get(out, "json", NULL))) o->json = cc_string(c, n);
  if ((n = lc_node_get(out, "junit", NULL))) o->junit = cc_string(c, n);
  if ((n = lc_node_get(out, "csv_full_history", NULL))) cc_bool(c, n, &o->csv_full_history);
}

/* A base URL: http:// or https://, then a host. */
static const char *read_host(struct cc *c, const struct lc_node *n) {
  const char *h = cc_string(c, n);
  if (!h) return NULL;
  size_t skip = strncmp(h, "http://", 7) == 0 ? 7 : strncmp(h, "https://", 8) == 0 ? 8 : 0;
  if (!skip) {
    lc_diag_error(c->d, lc_node_mark(n), "'host' must start with http:// or https://, got '%s'", h);
    return NULL;
  }
  if (h[skip] == '\0' || h[skip] == '/') {
    lc_diag_error(c->d, lc_node_mark(n), "'host' has no host name: '%s'", h);
    return NULL;
  }
  return h;
}

/* ---- user classes ---- */

static const char *const class_keys[] = {"abstract", "extends", "weight", "fixed_count", "host",
                                         "wait", "client", "headers", "on_start", "on_stop",
                                         "tasks", "on_failure", NULL};

struct class_info {
  const char *name;
  const struct lc_node *key, *node;
  int parent;          /* index, or -1 */
  bool abstract;
  bool broken_extends; /* its `extends` is unknown, not a name, or closes a cycle (reported) */
};

/* The value of `key` for class i, looking through extends. */
static const struct lc_node *class_get(const struct class_info *ci, int i, const char *key) {
  for (int hops = 0; i >= 0 && hops < 1000; hops++) {
    const struct lc_node *v = lc_node_get(ci[i].node, key, NULL);
    if (v) return v;
    i = ci[i].parent;
  }
  return NULL;
}

static void resolve_extends(struct cc *c, struct class_info *ci, size_t n) {
  const char **names = lc_xcalloc(n + 1, sizeof *names);
  for (size_t i = 0; i < n; i++) names[i] = ci[i].name;
  for (size_t i = 0; i < n; i++) {
    ci[i].parent = -1;
    const struct lc_node *e = lc_node_get(ci[i].node, "extends", NULL);
    if (!e) continue;
    const char *parent = cc_string(c, e);
    ci[i].broken_extends = true; /* until the parent is found */
    if (!parent) continue;
    if (!*parent) {
      lc_diag_error(c->d, lc_node_mark(e), "'extends' needs the name of a user class");
      continue;
    }
    for (size_t k = 0; k < n; k++)
      if (strcmp(ci[k].name, parent) == 0) ci[i].parent = (int)k;
    if (ci[i].parent < 0)
      lc_diags_add(c->d, LC_SEV_ERROR, lc_node_mark(e), lc_suggest(parent, names),
                   "unknown user class '%s' in 'extends'", parent);
    else
      ci[i].broken_extends = false;
  }
  /* cycles: a class whose chain of parents comes back to it. Each cycle is reported once, at
   * the first of its classes, and cut there so that the classes can still be checked. */
  for (size_t i = 0; i < n; i++) {
    int k = ci[i].parent;
    size_t hops = 0;
    while (k >= 0 && k != (int)i && hops++ < n) k = ci[k].parent;
    if (k != (int)i) continue;
    struct lc_buf chain;
    lc_buf_init(&chain, 0);
    lc_buf_puts(&chain, ci[i].name);
    for (int j = ci[i].parent; j >= 0; j = j == (int)i ? -1 : ci[j].parent)
      lc_buf_printf(&chain, " -> %s", ci[j].name);
    lc_diag_error(c->d, lc_node_mark(lc_node_get(ci[i].node, "extends", NULL)),
                  "cyclic 'extends': %s", chain.data);
    lc_buf_release(&chain);
    ci[i].parent = -1;
    ci[i].broken_extends = true;
  }
  free(names);
}

/* True when class i or one of its parents has an `extends` that could not be followed (already
 * reported): what it would have inherited is unknown, so "no tasks" would only be noise. */
static bool chain_broken(const struct class_info *ci, int i) {
  for (int hops = 0; i >= 0 && hops < 1000; hops++) {
    if (ci[i].broken_extends) return true;
    i = ci[i].parent;
  }
  return false;
}

static void collect_tasks(struct cc *c, const struct class_info *ci, int i, size_t depth,
                          const struct lc_node **lists, size_t *nlists) {
  if (i < 0 || depth > 64) return;
  collect_tasks(c, ci, ci[i].parent, depth + 1, lists, nlists);
  const struct lc_node *t = lc_node_get(ci[i].node, "tasks", NULL);
  if (t && *nlists < 64) lists[(*nlists)++] = t;
}

/* The class's headers: the parents' first, each class's own over them (cc_headers rules). */
static void merge_headers(struct cc *c, const struct class_info *ci, int i, size_t depth,
                          struct lc_kvs *out) {
  if (i < 0 || depth > 64) return;
  merge_headers(c, ci, ci[i].parent, depth + 1, out);
  const struct lc_node *h = lc_node_get(ci[i].node, "headers", NULL);
  if (h) cc_headers(c, h, out);
}

static void choose_client(struct cc *c, struct lc_user_class *uc, const struct lc_node *n) {
  static const char *const clients[] = {"auto", "fast", "curl", NULL};
  int e = 0;
  if (n && cc_enum(c, n, clients, &e) != 0) e = 0;
  uc->client_asked = (enum lc_client)e;
  uc->client = LC_CLIENT_CURL;
}

/* What keeps a request from the fast client (plain HTTP/1.1, engine/http_fast.h), or NULL. */
struct fast_check {
  const char *blocker;
  struct lc_mark at;
};

static void fast_blocker(void *ctx, const struct lc_request *r) {
  struct fast_check *fc = ctx;
  if (fc->blocker || !r->method) return; /* an empty `defaults` has no method */
  const char *u = r->url_source ? r->url_source : "";
  const char *why = NULL;
  if (strncmp(u, "https://", 8) == 0) why = "an https URL";
  else if (strncmp(u, "{{", 2) == 0) why = "a URL whose scheme is only known at run time";
  else if (strncmp(u, "http://", 7) == 0 && memchr(u + 7, '@', strcspn(u + 7, "/?#")))
    why = "credentials in the URL";
  else if (r->nparts) why = "a multipart body";
  else if (r->auth_kind == LC_AUTH_DIGEST) why = "digest auth";
  else if (r->client_cert) why = "a client certificate";
  else if (r->http_version == 2) why = "HTTP/2";
  if (why) {
    fc->blocker = why;
    fc->at = r->mark;
  }
}

/* Settles the class's client once its requests are compiled: `auto` takes the fast client when
 * every request is within its features and the host is plain http. */
static void settle_client(struct cc *c, struct lc_user_class *uc, const struct lc_node *n) {
  struct fast_check fc = {NULL, {NULL, 0, 0}};
  const char *host = uc->host ? uc->host : c->plan->host;
  if (host && strncmp(host, "https://", 8) == 0) fc.blocker = "an https host";
  lc_class_each_request(uc, fast_blocker, &fc);
  uc->fast_ok = !fc.blocker;
  char buf[256];
  switch (uc->client_asked) {
  case LC_CLIENT_CURL:
    uc->client = LC_CLIENT_CURL;
    uc->client_reason = "asked for with 'client: curl'";
    break;
  case LC_CLIENT_AUTO:
    if (!fc.blocker) {
      uc->client = LC_CLIENT_FAST;
      uc->client_reason = "'client: auto': every request is plain HTTP/1.1 (an https --host "
                          "sends the class to curl at run time)";
    } else {
      uc->client = LC_CLIENT_CURL;
      if (fc.at.file)
        snprintf(buf, sizeof buf, "'client: auto' picks curl: %s at line %u", fc.blocker,
                 fc.at.line);
      else
        snprintf(buf, sizeof buf, "'client: auto' picks curl: %s", fc.blocker);
      uc->client_reason = cc_strndup(c, buf, strlen(buf));
    }
    break;
  case LC_CLIENT_FAST:
    if (!fc.blocker) {
      uc->client = LC_CLIENT_FAST;
      uc->client_reason = "asked for with 'client: fast'";
    } else {
      uc->client = LC_CLIENT_CURL;
      snprintf(buf, sizeof buf, "'client: fast' cannot send %s: curl instead", fc.blocker);
      uc->client_reason = cc_strndup(c, buf, strlen(buf));
      if (fc.at.file)
        lc_diag_warning(c->d, lc_node_mark(n),
                        "the fast client cannot send %s (the request at line %u); this class "
                        "uses the curl client", fc.blocker, fc.at.line);
      else
        lc_diag_warning(c->d, lc_node_mark(n),
                        "the fast client cannot send %s; this class uses the curl client",
                        fc.blocker);
    }
    break;
  }
}

static void compile_class(struct cc *c, const struct class_info *ci, int i,
                          struct lc_user_class *uc) {
  static const char *const failures[] = {"continue", "end_task", "stop_user", NULL};
  const struct lc_node *n;
  uc->name = cc_strndup(c, ci[i].name, strlen(ci[i].name));
  uc->mark = *lc_node_mark(ci[i].key);
  uc->weight = 1;
  c->class_node = ci[i].node;
  c->class_on_failure = LC_ON_FAILURE_CONTINUE;
  if ((n = class_get(ci, i, "on_failure"))) {
    int e;
    if (cc_enum(c, n, failures, &e) == 0) c->class_on_failure = (enum lc_on_failure)e;
  }
  uc->on_failure = c->class_on_failure;
  if ((n = class_get(ci, i, "weight"))) read_count(c, n, 1000000, &uc->weight);
  if ((n = class_get(ci, i, "fixed_count"))) read_count(c, n, 10000000, &uc->fixed_count);
  if ((n = class_get(ci, i, "host"))) uc->host = read_host(c, n);
  choose_client(c, uc, class_get(ci, i, "client"));
  memset(&c->class_headers, 0, sizeof c->class_headers);
  for (size_t h = 0; h < c->plan->defaults.headers.n; h++) {
    struct lc_kv *kv = cc_push(c, &c->class_headers.items, &c->class_headers.n, sizeof *kv);
    *kv = c->plan->defaults.headers.items[h];
  }
  merge_headers(c, ci, i, 0, &c->class_headers);
  uc->headers = c->class_headers;
  uc->root.wait.kind = LC_WAIT_NONE;
  if ((n = class_get(ci, i, "wait"))) cc_wait(c, n, &uc->root.wait);
  if ((n = class_get(ci, i, "on_start"))) cc_steps(c, n, CC_IN_ON_START, &uc->on_start);
  if ((n = class_get(ci, i, "on_stop"))) cc_steps(c, n, CC_IN_ON_STOP, &uc->on_stop);

  const struct lc_node *lists[64];
  size_t nlists = 0;
  collect_tasks(c, ci, i, 0, lists, &nlists);
  struct lc_strs no_tags = {NULL, 0};
  int tasks_rc = 0;
  for (size_t k = 0; k < nlists; k++) {
    struct lc_taskset part;
    memset(&part, 0, sizeof part);
    if (cc_tasks(c, lists[k], false, &no_tags, &part) != 0) tasks_rc = -1;
    for (size_t t = 0; t < part.n; t++) {
      struct lc_task *slot = cc_push(c, &uc->root.tasks, &uc->root.n, sizeof *slot);
      *slot = part.tasks[t];
    }
  }
  uc->root.cumulative = cc_alloc(c, (uc->root.n ? uc->root.n : 1) * sizeof(uint64_t));
  for (size_t t = 0; t < uc->root.n; t++) {
    uc->root.total_weight += uc->root.tasks[t].weight;
    uc->root.cumulative[t] = uc->root.total_weight;
  }
  if (uc->root.n == 0 && !ci[i].abstract && tasks_rc == 0 && !chain_broken(ci, i)) {
    const struct lc_node *tk = NULL;
    lc_node_get(ci[i].node, "tasks", &tk);
    const struct lc_mark *at = tk ? lc_node_mark(tk) : lc_node_mark(ci[i].key);
    size_t written = 0;
    for (size_t k = 0; k < nlists; k++) written += lc_node_count(lists[k]);
    if (written == 0)
      lc_diag_error(c->d, at, "user class '%s' has no tasks", uc->name);
    else if (c->opts->tags || c->opts->exclude_tags)
      lc_diag_error(c->d, at, "user class '%s' has no tasks left after --tags/--exclude-tags",
                    uc->name);
    else
      lc_diag_error(c->d, at, "user class '%s' has no task with a weight above 0", uc->name);
  }
  settle_client(c, uc, class_get(ci, i, "client"));
  c->class_node = NULL;
}

static int cmp_class(const void *a, const void *b) {
  return strcmp(((const struct lc_user_class *)a)->name, ((const struct lc_user_class *)b)->name);
}

static void compile_users(struct cc *c, const struct lc_node *root, const struct lc_node *users) {
  if (!users) {
    lc_diag_error(c->d, lc_node_mark(root),
                  "missing key 'users': a scenario needs at least one user class");
    return;
  }
  if (lc_node_kind(users) == LC_NODE_SCALAR && lc_node_is_null(users)) {
    lc_diag_error(c->d, lc_node_mark(users), "'users' is empty: define at least one user class");
    return;
  }
  if (!lc_node_expect(users, LC_NODE_MAPPING, c->d)) return;
  size_t n = lc_node_count(users);
  if (n == 0) {
    lc_diag_error(c->d, lc_node_mark(users), "'users' is empty: define at least one user class");
    return;
  }
  struct class_info *ci = lc_xcalloc(n, sizeof *ci);
  size_t skipped = 0; /* classes not compiled because of an error reported here */
  for (size_t i = 0; i < n; i++) {
    ci[i].key = lc_node_key(users, i);
    ci[i].node = lc_node_value(users, i);
    ci[i].name = lc_node_str(ci[i].key);
    if (lc_node_kind(ci[i].key) != LC_NODE_SCALAR) {
      char shown[96];
      lc_diag_error(c->d, lc_node_mark(ci[i].key), "a user class name must be a string, got %s",
                    lc_node_describe(ci[i].key, shown, sizeof shown));
      ci[i].node = NULL;
      skipped++;
      continue;
    }
    if (!lc_node_expect(ci[i].node, LC_NODE_MAPPING, c->d)) {
      ci[i].node = NULL;
      skipped++;
      continue;
    }
    cc_keys(c, ci[i].node, class_keys);
    const struct lc_node *a = lc_node_get(ci[i].node, "abstract", NULL);
    if (a) cc_bool(c, a, &ci[i].abstract);
  }
  for (size_t i = 0; i < n; i++)
    if (!ci[i].node) ci[i].node = users; /* keep lookups safe; never compiled */
  resolve_extends(c, ci, n);

  for (size_t i = 0; i < n; i++) {
    if (ci[i].node == users) continue;
    struct lc_user_class tmp;
    memset(&tmp, 0, sizeof tmp);
    struct lc_user_class *uc = ci[i].abstract ? &tmp : cc_push(c, &c->plan->classes, &c->plan->nclasses, sizeof *uc);
    if (ci[i].abstract) {
      /* an abstract class is checked as if it were spawned only when nothing extends it */
      bool extended = false;
      for (size_t k = 0; k < n; k++)
        if (ci[k].parent == (int)i) extended = true;
      if (!extended) compile_class(c, ci, (int)i, uc);
      continue;
    }
    compile_class(c, ci, (int)i, uc);
  }
  free(ci);
  /* Locust drops classes with weight 0 and fixed_count 0. */
  size_t kept = 0;
  for (size_t i = 0; i < c->plan->nclasses; i++) {
    struct lc_user_class *uc = &c->plan->classes[i];
    if (uc->weight == 0 && uc->fixed_count == 0) {
      lc_diag_warning(c->d, &uc->mark,
                      "user class '%s' has weight 0 and no fixed_count: it is never spawned",
                      uc->name);
      continue;
    }
    c->plan->classes[kept++] = *uc;
  }
  c->plan->nclasses = kept;
  const struct lc_node *users_key = NULL;
  lc_node_get(root, "users", &users_key);
  if (kept == 0 && skipped == 0)
    lc_diag_error(c->d, lc_node_mark(users_key ? users_key : users),
                  "no user class to spawn: every class is abstract or has weight 0");
  if (c->plan->nclasses > 1)
    qsort(c->plan->classes, c->plan->nclasses, sizeof *c->plan->classes, cmp_class);
}

/* Checks the names in stages' user_classes against the plan's classes, each at its own place in
 * the file. A class that exists but is never spawned (abstract, or weight 0 without
 * fixed_count) is reported as such rather than as unknown. */
static void check_stage_class(struct cc *c, const struct lc_node *name, const char **names,
                              const struct lc_node *users) {
  if (lc_node_kind(name) != LC_NODE_SCALAR) return; /* reported by cc_strs */
  const char *want = lc_node_str(name);
  for (size_t i = 0; names[i]; i++)
    if (strcmp(names[i], want) == 0) return;
  const struct lc_node *cls = lc_node_get(users, want, NULL);
  if (cls && lc_node_kind(cls) == LC_NODE_MAPPING) {
    const struct lc_node *a = lc_node_get(cls, "abstract", NULL);
    if (a && lc_node_is(a, "true"))
      lc_diag_error(c->d, lc_node_mark(name),
                    "user class '%s' is abstract: a stage can only start classes that are "
                    "spawned", want);
    else
      lc_diag_error(c->d, lc_node_mark(name),
                    "user class '%s' is never spawned (weight 0 and no fixed_count): a stage "
                    "cannot start it", want);
    return;
  }
  if (cls) return; /* a class that is not a mapping: reported already */
  lc_diags_add(c->d, LC_SEV_ERROR, lc_node_mark(name), lc_suggest(want, names),
               "unknown user class '%s' in 'user_classes'", want);
}

static void check_stage_classes(struct cc *c, const struct lc_node *load,
                                const struct lc_node *users) {
  const struct lc_node *stages = lc_node_get(load, "stages", NULL);
  if (!stages || lc_node_kind(stages) != LC_NODE_SEQUENCE) return;
  const char **names = lc_xcalloc(c->plan->nclasses + 1, sizeof *names);
  for (size_t i = 0; i < c->plan->nclasses; i++) names[i] = c->plan->classes[i].name;
  for (size_t s = 0; s < lc_node_count(stages); s++) {
    const struct lc_node *uc = lc_node_get(lc_node_item(stages, s), "user_classes", NULL);
    if (!uc) continue;
    if (lc_node_kind(uc) == LC_NODE_SEQUENCE)
      for (size_t k = 0; k < lc_node_count(uc); k++)
        check_stage_class(c, lc_node_item(uc, k), names, users);
    else
      check_stage_class(c, uc, names, users);
  }
  free(names);
}

/* ---- the document ---- */

static const char *const top_keys[] = {"version", "name", "host", "defaults", "variables", "data",
                                       "setup", "teardown", "load", "users", "thresholds",
                                       "output", NULL};

static void compile_doc(struct cc *c, const struct lc_node *root) {
  if (lc_node_kind(root) == LC_NODE_SCALAR && lc_node_is_null(root)) {
    lc_diag_error(c->d, lc_node_mark(root), "the scenario is empty: it needs at least 'users'");
    return;
  }
  if (!lc_node_expect(root, LC_NODE_MAPPING, c->d)) return;
  cc_keys(c, root, top_keys);
  const struct lc_node *n;
  if ((n = lc_node_get(root, "version", NULL))) {
    int64_t v;
    if (lc_node_read_int(n, c->d, &v) == 0 && v != 1)
      lc_diag_error(c->d, lc_node_mark(n), "unsupported version %lld: this loadc reads version 1",
                    (long long)v);
  }
  if ((n = lc_node_get(root, "name", NULL))) c->plan->name = cc_string(c, n);
  if ((n = lc_node_get(root, "host", NULL))) c->plan->host = read_host(c, n);
  c->defaults = lc_node_get(root, "defaults", NULL);
  cc_request_defaults(c, c->defaults, &c->plan->defaults);
  if ((n = lc_node_get(root, "variables", NULL))) compile_variables(c, n);
  apply_sets(c);
  if ((n = lc_node_get(root, "data", NULL))) compile_data(c, n);
  if ((n = lc_node_get(root, "setup", NULL))) cc_steps(c, n, CC_IN_SETUP, &c->plan->setup);
  if ((n = lc_node_get(root, "teardown", NULL))) cc_steps(c, n, CC_IN_SETUP, &c->plan->teardown);
  compile_load(c, lc_node_get(root, "load", NULL));
  compile_users(c, root, lc_node_get(root, "users", NULL));
  if (lc_node_kind(lc_node_get(root, "users", NULL)) == LC_NODE_MAPPING)
    check_stage_classes(c, lc_node_get(root, "load", NULL), lc_node_get(root, "users", NULL));
  if ((n = lc_node_get(root, "thresholds", NULL)) && lc_node_expect(n, LC_NODE_SEQUENCE, c->d)) {
    for (size_t i = 0; i < lc_node_count(n); i++) {
      struct lc_threshold *t =
          cc_push(c, &c->plan->thresholds, &c->plan->nthresholds, sizeof *t);
      if (cc_threshold(c, lc_node_item(n, i), t) != 0) c->plan->nthresholds--;
    }
  }
  if ((n = lc_node_get(root, "output", NULL))) compile_output(c, n);
  cc_check_variables(c);
}

static void copy_filter(struct cc *c, const char *const *src, struct lc_strs *out) {
  if (!src) return;
  for (size_t i = 0; src[i]; i++) {
    const char **slot = cc_push(c, &out->items, &out->n, sizeof *out->items);
    *slot = cc_strndup(c, src[i], strlen(src[i]));
  }
}

struct lc_plan *lc_compile(const struct lc_doc *doc, const struct lc_compile_opts *opts,
                           struct lc_diags *d) {
  static const struct lc_compile_opts no_opts = {0};
  struct lc_plan_owned *own = lc_xcalloc(1, sizeof *own);
  lc_arena_init(&own->arena);
  struct lc_plan *plan = lc_arena_alloc(&own->arena, sizeof *plan);
  plan->owned = own;
  struct cc c;
  memset(&c, 0, sizeof c);
  c.d = d;
  c.opts = opts ? opts : &no_opts;
  c.doc = doc;
  c.plan = plan;
  c.own = own;
  const char *file = lc_doc_file(doc);
  plan->file = cc_strndup(&c, file, strlen(file));
  const char *slash = strrchr(file, '/');
  plan->dir = slash ? cc_strndup(&c, file, (size_t)(slash - file)) : "";
  copy_filter(&c, c.opts->tags, &plan->tags);
  copy_filter(&c, c.opts->exclude_tags, &plan->exclude_tags);
  size_t errors_before = lc_diags_errors(d);
  compile_doc(&c, lc_doc_root(doc));
  if (lc_diags_errors(d) > errors_before) {
    lc_plan_free(plan);
    return NULL;
  }
  return plan;
}

struct lc_plan *lc_compile_file(const char *path, const struct lc_compile_opts *opts,
                                struct lc_diags *d) {
  struct lc_load_opts lo = {0};
  if (opts) {
    lo.getenv_fn = opts->getenv_fn;
    lo.getenv_ctx = opts->getenv_ctx;
  }
  size_t errors_before = lc_diags_errors(d);
  struct lc_doc *doc = lc_doc_load_file(path, &lo, d);
  if (!doc) return NULL;
  struct lc_plan *plan = lc_compile(doc, opts, d);
  if (plan && lc_diags_errors(d) > errors_before) {
    lc_plan_free(plan);
    plan = NULL;
  }
  if (!plan) {
    lc_doc_free(doc);
    return NULL;
  }
  /* the plan's marks and some of its strings point into the document */
  plan->owned->doc = doc;
  return plan;
}

void lc_plan_jit(struct lc_plan *plan) {
  struct lc_plan_owned *own = plan->owned;
  for (size_t i = 0; i < own->nregexes; i++)
    pcre2_jit_compile(own->regexes[i], PCRE2_JIT_COMPLETE); /* without JIT: slower, still right */
}

void lc_plan_free(struct lc_plan *plan) {
  if (!plan) return;
  struct lc_plan_owned *own = plan->owned;
  for (size_t i = 0; i < own->ntpls; i++) lc_tpl_free(own->tpls[i]);
  for (size_t i = 0; i < own->nexprs; i++) lc_expr_free(own->exprs[i]);
  for (size_t i = 0; i < own->nregexes; i++) pcre2_code_free(own->regexes[i]);
  for (size_t i = 0; i < own->npaths; i++) lc_jsonpath_free(own->paths[i]);
  free(own->tpls);
  free(own->exprs);
  free(own->regexes);
  free(own->paths);
  lc_doc_free(own->doc);
  lc_arena_release(&own->arena);
  free(own);
}
