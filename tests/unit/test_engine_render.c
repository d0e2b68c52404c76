/* test_engine_render.c: unit tests for run-time values (engine/value.h), user variables
 * (engine/vars.h) and template rendering and expression evaluation (engine/render.h): every
 * built-in function, every escape mode, every kind of variable, comparisons, truthiness,
 * short-circuits, run-time errors and capped output. Templates and expressions are built with
 * the real parser (config/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/render.h"

/* ---- fixture ---- */

struct fx {
  struct lc_vars vars;
  struct lc_vars captured;
  struct lc_rng rng;
  struct lc_response_view view;
  struct lc_eval_ctx ctx;
  struct lc_variable globals[4];
  int64_t now_us;
  struct lc_buf out, err;
};

static int64_t fixed_clock(void *ctx) { return ((struct fx *)ctx)->now_us; }

/* One feeder, "accounts", with columns user and password. */
static const char *row_value(void *ctx, const char *feeder, const char *column, size_t *len) {
  (void)ctx;
  if (strcmp(feeder, "accounts") != 0) return NULL;
  const char *v = strcmp(column, "user") == 0       ? "alice@example.com"
                  : strcmp(column, "password") == 0 ? "p&ss w=rd"
                                                    : NULL;
  if (v) *len = strlen(v);
  return v;
}

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  lc_vars_init(&f->vars);
  lc_vars_init(&f->captured);
  lc_rng_seed(&f->rng, 12345, 1);
  lc_response_view_init(&f->view, LC_VIEW_ALL);
  f->globals[0] = (struct lc_variable){.name = "page_size", .value = {.kind = LC_VALUE_NUMBER, .number = 20}};
  f->globals[1] = (struct lc_variable){.name = "api", .value = {.kind = LC_VALUE_STRING, .str = "k-1", .len = 3}};
  f->globals[2] = (struct lc_variable){.name = "debug", .value = {.kind = LC_VALUE_BOOL, .boolean = true}};
  f->globals[3] = (struct lc_variable){.name = "nothing", .value = {.kind = LC_VALUE_NULL}};
  lc_eval_ctx_init(&f->ctx, NULL, &f->vars, &f->rng, 42, 7);
  f->ctx.globals.plan_vars = f->globals;
  f->ctx.globals.nplan_vars = 4;
  f->ctx.globals.captured = &f->captured;
  f->ctx.row_value = row_value;
  f->ctx.wall_us = fixed_clock;
  f->ctx.clock_ctx = f;
  f->now_us = 1795689303123456; /* 2026-11-26T10:35:03.123456Z */
  lc_buf_init(&f->out, 0);
  lc_buf_init(&f->err, 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  lc_vars_release(&f->vars);
  lc_vars_release(&f->captured);
  lc_response_view_release(&f->view);
  lc_buf_release(&f->out);
  lc_buf_release(&f->err);
  free(f);
  return 0;
}

/* Parses a template and gives every expression segment the escape mode. */
static struct lc_tpl *tpl(const char *s, enum lc_tpl_escape esc) {
  struct lc_expr_error perr;
  struct lc_tpl *t = lc_tpl_parse(s, strlen(s), &perr);
  if (!t) fail_msg("template '%s': %s", s, perr.msg);
  for (size_t i = 0; i < t->n; i++)
    if (t->segs[i].kind == LC_TPL_EXPR) t->segs[i].escape = esc;
  return t;
}

/* Renders s (escape mode esc) into fresh f->out / f->err; returns lc_render's result. */
static int render_esc(struct fx *f, const char *s, enum lc_tpl_escape esc) {
  struct lc_tpl *t = tpl(s, esc);
  lc_buf_reset(&f->out);
  lc_buf_reset(&f->err);
  int rc = lc_render(t, &f->ctx, &f->out, &f->err);
  lc_tpl_free(t);
  return rc;
}

static int render(struct fx *f, const char *s) { return render_esc(f, s, LC_ESC_NONE); }

static const char *out_str(struct fx *f) { return f->out.data ? f->out.data : ""; }
static const char *err_str(struct fx *f) { return f->err.data ? f->err.data : ""; }

/* Renders s and checks the output. */
#define assert_renders(f, s, want)                                                              \
  do {                                                                                          \
    int rc_ = render(f, s);                                                                     \
    if (rc_ != 0) fail_msg("%s: error %d: %s", s, rc_, err_str(f));                             \
    assert_string_equal(out_str(f), want);                                                      \
  } while (0)

/* Renders s, checks that it fails with code rc and exactly the message want. */
#define assert_render_fails(f, s, rc, want)                                                     \
  do {                                                                                          \
    assert_int_equal(render(f, s), rc);                                                         \
    assert_string_equal(err_str(f), want);                                                      \
  } while (0)

static int eval_str(struct fx *f, const char *s, struct lc_val *out) {
  struct lc_expr_error perr;
  struct lc_expr *e = lc_expr_parse(s, strlen(s), 0, &perr);
  if (!e) fail_msg("expression '%s': %s", s, perr.msg);
  lc_buf_reset(&f->err);
  int rc = lc_eval(e, &f->ctx, out, &f->err);
  lc_expr_free(e);
  return rc;
}

/* Evaluates a condition that must succeed; returns its truthiness. */
static bool cond(struct fx *f, const char *s) {
  struct lc_val v;
  int rc = eval_str(f, s, &v);
  if (rc != 0) fail_msg("%s: error %d: %s", s, rc, err_str(f));
  bool yes = lc_val_truthy(&v);
  lc_val_release(&v);
  return yes;
}

static void assert_eval_fails(struct fx *f, const char *s, const char *want) {
  struct lc_val v;
  assert_int_equal(eval_str(f, s, &v), LC_EINVAL);
  assert_int_equal(v.kind, LC_VAL_NULL);
  assert_string_equal(err_str(f), want);
}

static json_t *json(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
  if (!j) fail_msg("json '%s': %s", text, je.text);
  return j;
}

static void set_json(struct fx *f, const char *name, const char *text) {
  json_t *j = json(text);
  lc_vars_set_json(&f->vars, name, j);
  json_decref(j);
}

static const char *text_of(const struct lc_val *v, struct lc_buf *b) {
  lc_buf_reset(b);
  assert_int_equal(lc_val_to_text(v, b), 0);
  return b->data ? b->data : "";
}

/* ---- values ---- */

static void test_number_text(void **state) {
  (void)state;
  static const struct { double d; const char *want; } cases[] = {
      {3, "3"},          {-2, "-2"},       {1.5, "1.5"},
      {1e20, "100000000000000000000"},     {0.1, "0.1"},
      {-0.0, "0"},       {0, "0"},         {1e21, "1e+21"},
      {1.5e-7, "1.5e-07"}, {0.30000000000000004, "0.30000000000000004"},
      {123456789.25, "123456789.25"},      {-1e300, "-1e+300"},
  };
  char buf[LC_NUM_BUF];
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    lc_num_format(cases[i].d, buf);
    assert_string_equal(buf, cases[i].want);
  }
  lc_num_format(NAN, buf);
  assert_string_equal(buf, "NaN");
  lc_num_format(-INFINITY, buf);
  assert_string_equal(buf, "-Infinity");
}

static void test_value_text(void **state) {
  (void)state;
  struct lc_buf b;
  lc_buf_init(&b, 0);
  struct lc_val v = lc_val_null();
  assert_string_equal(text_of(&v, &b), "");
  v = lc_val_bool(true);
  assert_string_equal(text_of(&v, &b), "true");
  v = lc_val_bool(false);
  assert_string_equal(text_of(&v, &b), "false");
  v = lc_val_num(3);
  assert_string_equal(text_of(&v, &b), "3");
  v = lc_val_str("a\"b", 3);
  assert_string_equal(text_of(&v, &b), "a\"b");

  /* a list is JSON array text, strings quoted and escaped */
  struct lc_val l;
  lc_val_list_init(&l, 4);
  struct lc_val items[4] = {lc_val_num(1), lc_val_str("a\"\n", 3), lc_val_null(), lc_val_bool(true)};
  for (int i = 0; i < 4; i++) lc_val_copy(&l.u.list.items[i], &items[i]);
  assert_string_equal(text_of(&l, &b), "[1,\"a\\\"\\n\",null,true]");
  lc_val_release(&l);
  assert_int_equal(l.kind, LC_VAL_NULL);

  /* JSON: compact, in document order, numbers as lc_num_format, large integers exact */
  json_t *j = json("{\"b\": [1, 2.5, 0.1, \"x\"], \"a\": {\"c\": null, \"d\": false}, \"e\": \"\\u00e9\"}");
  v = lc_val_json(j);
  assert_int_equal(v.kind, LC_VAL_JSON);
  assert_string_equal(text_of(&v, &b),
                      "{\"b\":[1,2.5,0.1,\"x\"],\"a\":{\"c\":null,\"d\":false},\"e\":\"\xc3\xa9\"}");
  json_decref(j);
  j = json("9007199254740993");
  v = lc_val_json(j);
  assert_int_equal(v.kind, LC_VAL_JSON); /* 2^53 + 1: a double would round it */
  assert_string_equal(text_of(&v, &b), "9007199254740993");
  json_decref(j);
  /* JSON scalars become plain values */
  j = json("[\"s\", 12, 1.25, true, null]");
  struct lc_val x;
  assert_int_equal(lc_val_list_len(&(struct lc_val){.kind = LC_VAL_JSON, .u.json = j}), 5);
  v = lc_val_json(j);
  assert_int_equal(lc_val_list_get(&v, 0, &x), 0);
  assert_int_equal(x.kind, LC_VAL_STR);
  assert_int_equal(lc_val_list_get(&v, 1, &x), 0);
  assert_int_equal(x.kind, LC_VAL_NUM);
  assert_true(x.u.num == 12);
  assert_int_equal(lc_val_list_get(&v, 3, &x), 0);
  assert_int_equal(x.kind, LC_VAL_BOOL);
  assert_int_equal(lc_val_list_get(&v, 4, &x), 0);
  assert_int_equal(x.kind, LC_VAL_NULL);
  assert_int_equal(lc_val_list_get(&v, 5, &x), LC_ENOENT);
  json_decref(j);

  /* a capped buffer: error, nothing appended */
  struct lc_buf small;
  lc_buf_init(&small, 4);
  lc_buf_puts(&small, "ab");
  v = lc_val_str("cdef", 4);
  assert_int_equal(lc_val_to_text(&v, &small), LC_ETOOBIG);
  assert_string_equal(small.data, "ab");
  lc_buf_release(&small);
  lc_buf_release(&b);
}

static void test_truthiness(void **state) {
  (void)state;
  json_t *empty_obj = json("{}"), *obj = json("{\"a\":0}"), *empty_arr = json("[]"),
         *arr = json("[0]");
  struct lc_val empty_list, list;
  lc_val_list_init(&empty_list, 0);
  lc_val_list_init(&list, 1);
  const struct { struct lc_val v; bool want; } cases[] = {
      {lc_val_null(), false},         {lc_val_bool(false), false},
      {lc_val_bool(true), true},      {lc_val_num(0), false},
      {lc_val_num(-0.0), false},      {lc_val_num(NAN), false},
      {lc_val_num(1), true},          {lc_val_num(-0.5), true},
      {lc_val_str("", 0), false},     {lc_val_str("0", 1), true},
      {lc_val_str("false", 5), true}, {empty_list, false},
      {list, true},                   {lc_val_json(empty_obj), false},
      {lc_val_json(obj), true},       {lc_val_json(empty_arr), false},
      {lc_val_json(arr), true},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++)
    if (lc_val_truthy(&cases[i].v) != cases[i].want) fail_msg("truthiness case %zu", i);
  lc_val_release(&empty_list);
  lc_val_release(&list);
  json_decref(empty_obj);
  json_decref(obj);
  json_decref(empty_arr);
  json_decref(arr);
}

static void test_comparisons(void **state) {
  struct fx *f = *state;
  set_json(f, "obj", "{\"a\": 1, \"b\": [1, \"x\"]}");
  set_json(f, "obj2", "{\"b\": [1, \"x\"], \"a\": 1.0}");
  set_json(f, "arr", "[1, \"a\"]");
  set_json(f, "big", "9007199254740993");
  set_json(f, "big2", "9007199254740992");
  lc_vars_set_string(&f->vars, "s10", "10", 2);
  static const struct { const char *expr; bool want; } yes_no[] = {
      {"null == null", true},     {"null == ''", false},      {"null == 0", false},
      {"null == false", false},   {"null != 0", true},        {"3 == '3'", true},
      {"'3.0' == 3", true},       {"'3' == '3.0'", false},    {"3 == 'abc'", false},
      {"3 == ' 3'", false},       {"'1e3' == 1000", true},    {"true == 'true'", true},
      {"false == 'false'", true}, {"true == 1", false},       {"true == true", true},
      {"'a' == 'a'", true},       {"'a' != 'b'", true},       {"arr == [1, 'a']", true},
      {"[1, 'a'] == [1, 'b']", false}, {"obj == obj2", true}, {"obj == arr", false},
      {"big == big2", false},     {"big != big2", true},      {"big > big2", true},
      {"2 < 10", true},           {"'2' < 10", true},         {"s10 > 9", true},
      {"'10' < '9'", true},       {"'abc' < 'abd'", true},    {"'ab' < 'abc'", true},
      {"'abc' <= 'abc'", true},   {"3 >= 3", true},           {"3 > 3", false},
      {"-1.5 < -1", true},        {"1 <= 0", false},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(yes_no); i++)
    if (cond(f, yes_no[i].expr) != yes_no[i].want)
      fail_msg("'%s' should be %s", yes_no[i].expr, yes_no[i].want ? "true" : "false");
  assert_eval_fails(f, "'abc' < 3", "cannot compare string 'abc' with number 3 using '<'");
  assert_eval_fails(f, "null >= 1", "cannot compare null with number 1 using '>='");
  assert_eval_fails(f, "true < false",
                    "cannot compare boolean true with boolean false using '<'");
  assert_eval_fails(f, "arr > 1", "cannot compare JSON array with number 1 using '>'");
}

static void test_boolean_operators(void **state) {
  struct fx *f = *state;
  assert_true(cond(f, "!false"));
  assert_false(cond(f, "!'x'"));
  assert_true(cond(f, "!null"));
  assert_true(cond(f, "1 && 'x'"));
  assert_false(cond(f, "1 && ''"));
  assert_true(cond(f, "0 || 'x'"));
  /* the right side is not evaluated when the left decides */
  assert_false(cond(f, "false && nosuch"));
  assert_true(cond(f, "true || nosuch"));
  assert_false(cond(f, "false && random_int(5, 1)"));
  assert_true(cond(f, "1 == 1 || random_int(5, 1) == 3"));
  /* and is when it does not */
  assert_eval_fails(f, "true && nosuch", "unknown variable 'nosuch'");
  assert_eval_fails(f, "false || random_int(5, 1)", "random_int: min 5 is above max 1");
  /* && and || give booleans */
  struct lc_val v;
  assert_int_equal(eval_str(f, "'a' || 'b'", &v), 0);
  assert_int_equal(v.kind, LC_VAL_BOOL);
  assert_true(v.u.b);
}

/* ---- functions ---- */

static void test_random_int(void **state) {
  struct fx *f = *state;
  bool seen[3] = {false, false, false};
  for (int i = 0; i < 300; i++) {
    assert_int_equal(render(f, "{{ random_int(1, 3) }}"), 0);
    long v = strtol(out_str(f), NULL, 10);
    assert_true(v >= 1 && v <= 3);
    seen[v - 1] = true;
  }
  assert_true(seen[0] && seen[1] && seen[2]);
  for (int i = 0; i < 100; i++) {
    struct lc_val v;
    assert_int_equal(eval_str(f, "random_int(-2, 2)", &v), 0);
    assert_int_equal(v.kind, LC_VAL_NUM);
    assert_true(v.u.num >= -2 && v.u.num <= 2 && v.u.num == floor(v.u.num));
  }
  assert_renders(f, "{{ random_int(5, 5) }}", "5");
  assert_renders(f, "{{ random_int('7', '7') }}", "7");
  assert_renders(f, "{{ random_int(9007199254740992, 9007199254740992) }}", "9007199254740992");
  assert_render_fails(f, "{{ random_int(5, 1) }}", LC_EINVAL, "random_int: min 5 is above max 1");
  assert_render_fails(f, "{{ random_int(1.5, 3) }}", LC_EINVAL,
                      "random_int: min must be an integer, got number 1.5");
  assert_render_fails(f, "{{ random_int(1, 'x') }}", LC_EINVAL,
                      "random_int: max must be an integer, got string 'x'");
  assert_render_fails(f, "{{ random_int(1, 90071992547409930) }}", LC_EINVAL,
                      "random_int: max must be an integer, got number 90071992547409936");
  f->ctx.rng = NULL;
  assert_render_fails(f, "{{ random_int(1, 2) }}", LC_EINVAL,
                      "random_int: no random number generator");
}

static void test_random_choice(void **state) {
  struct fx *f = *state;
  struct lc_val l;
  lc_val_list_init(&l, 2);
  struct lc_val a = lc_val_str("x", 1), b = lc_val_num(2);
  lc_val_copy(&l.u.list.items[0], &a);
  lc_val_copy(&l.u.list.items[1], &b);
  lc_vars_take(&f->vars, "list", &l);
  set_json(f, "arr", "[{\"id\": 1}, {\"id\": 2}]");
  bool seen[3] = {false, false, false};
  for (int i = 0; i < 300; i++) {
    assert_int_equal(render(f, "{{ random_choice(['a', 'b', 'c']) }}"), 0);
    const char *s = out_str(f);
    assert_true(strlen(s) == 1 && s[0] >= 'a' && s[0] <= 'c');
    seen[s[0] - 'a'] = true;
  }
  assert_true(seen[0] && seen[1] && seen[2]);
  bool x = false, two = false;
  for (int i = 0; i < 100; i++) {
    assert_int_equal(render(f, "{{ random_choice(list) }}"), 0);
    if (strcmp(out_str(f), "x") == 0) x = true;
    else if (strcmp(out_str(f), "2") == 0) two = true;
    else fail_msg("random_choice(list) gave '%s'", out_str(f));
  }
  assert_true(x && two);
  for (int i = 0; i < 20; i++) {
    assert_int_equal(render(f, "{{ random_choice(arr) }}"), 0);
    assert_true(strcmp(out_str(f), "{\"id\":1}") == 0 || strcmp(out_str(f), "{\"id\":2}") == 0);
  }
  assert_render_fails(f, "{{ random_choice([]) }}", LC_EINVAL, "random_choice: the list is empty");
  assert_render_fails(f, "{{ random_choice('abc') }}", LC_EINVAL,
                      "random_choice: expects a list, got string 'abc'");
  set_json(f, "obj", "{}");
  assert_render_fails(f, "{{ random_choice(obj) }}", LC_EINVAL,
                      "random_choice: expects a list, got JSON object");
}

static bool all_alnum(const char *s) {
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

static void test_random_string(void **state) {
  struct fx *f = *state;
  assert_renders(f, "[{{ random_string(0) }}]", "[]");
  assert_int_equal(render(f, "{{ random_string(16) }}"), 0);
  assert_int_equal(f->out.len, 16);
  assert_true(all_alnum(out_str(f)));
  char first[17];
  memcpy(first, out_str(f), 17);
  assert_int_equal(render(f, "{{ random_string(16) }}"), 0);
  assert_string_not_equal(first, out_str(f));
  /* the largest: more than the stack scratch */
  assert_int_equal(render(f, "{{ random_string(4096) }}{{ random_string(4096) }}"), 0);
  assert_int_equal(f->out.len, 8192);
  assert_true(all_alnum(out_str(f)));
  /* every character of the alphabet comes up */
  bool seen[128] = {false};
  for (int i = 0; i < 20; i++) {
    assert_int_equal(render(f, "{{ random_string(100) }}"), 0);
    for (const char *s = out_str(f); *s; s++) seen[(unsigned char)*s] = true;
  }
  int distinct = 0;
  for (int i = 0; i < 128; i++) distinct += seen[i];
  assert_int_equal(distinct, 62);
  assert_render_fails(f, "{{ random_string(4097) }}", LC_EINVAL,
                      "random_string: length must be an integer from 0 to 4096, got number 4097");
  assert_render_fails(f, "{{ random_string(-1) }}", LC_EINVAL,
                      "random_string: length must be an integer from 0 to 4096, got number -1");
  assert_render_fails(f, "{{ random_string('ab') }}", LC_EINVAL,
                      "random_string: length must be an integer from 0 to 4096, got string 'ab'");
}

static void test_uuid(void **state) {
  struct fx *f = *state;
  regex_t re;
  assert_int_equal(regcomp(&re,
                           "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
                           REG_EXTENDED | REG_NOSUB),
                   0);
  char prev[37] = "";
  for (int i = 0; i < 200; i++) {
    assert_int_equal(render(f, "{{ uuid() }}"), 0);
    if (regexec(&re, out_str(f), 0, NULL, 0) != 0) fail_msg("not a v4 uuid: '%s'", out_str(f));
    assert_string_not_equal(prev, out_str(f));
    memcpy(prev, out_str(f), 37);
  }
  regfree(&re);
}

static void test_time(void **state) {
  struct fx *f = *state;
  assert_renders(f, "{{ now() }}", "1795689303");
  assert_renders(f, "{{ now_ms() }}", "1795689303123");
  assert_renders(f, "{{ iso_time() }}", "2026-11-26T10:35:03.123Z");
  f->now_us = 0;
  assert_renders(f, "{{ iso_time() }} {{ now() }} {{ now_ms() }}", "1970-01-01T00:00:00.000Z 0 0");
  f->now_us = 951782399999999; /* the last microsecond of 2000-02-28 */
  assert_renders(f, "{{ iso_time() }}", "2000-02-28T23:59:59.999Z");
  f->now_us += 86400000000;
  assert_renders(f, "{{ iso_time() }}", "2000-02-29T23:59:59.999Z");
  /* against gmtime_r, from 1970 to 2400 (leap centuries and all) */
  for (int i = 0; i < 3000; i++) {
    int64_t sec = (int64_t)(lc_rng_next(&f->rng) % UINT64_C(13569465600));
    int ms = (int)(lc_rng_next(&f->rng) % 1000);
    f->now_us = sec * 1000000 + ms * 1000 + 999;
    time_t t = (time_t)sec;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    char want[80];
    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    assert_renders(f, "{{ iso_time() }}", want);
  }
  struct lc_val v;
  assert_int_equal(eval_str(f, "now() < now_ms()", &v), 0);
  assert_true(v.u.b);
  /* the system clock by default: some time after this test was written */
  f->ctx.wall_us = NULL;
  assert_true(cond(f, "now() > 1750000000"));
  assert_int_equal(render(f, "{{ iso_time() }}"), 0);
  assert_int_equal(f->out.len, 24);
}

static void test_base64(void **state) {
  struct fx *f = *state;
  /* RFC 4648 section 10 */
  static const char *const vectors[][2] = {
      {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  char tpl_text[64], want[64];
  for (size_t i = 0; i < LC_ARRAY_LEN(vectors); i++) {
    snprintf(tpl_text, sizeof tpl_text, "[{{ base64('%s') }}]", vectors[i][0]);
    snprintf(want, sizeof want, "[%s]", vectors[i][1]);
    assert_renders(f, tpl_text, want);
    struct lc_buf b;
    lc_buf_init(&b, 0);
    assert_int_equal(lc_base64(vectors[i][0], strlen(vectors[i][0]), &b), 0);
    assert_string_equal(b.data ? b.data : "", vectors[i][1]);
    lc_buf_release(&b);
  }
  assert_renders(f, "{{ base64(3) }}", "Mw==");
  assert_renders(f, "{{ base64('user:p\\xss') }}", "dXNlcjpweHNz");
  lc_vars_set_string(&f->vars, "bin", "\xff\xfe\x00\x01", 4);
  assert_renders(f, "{{ base64(bin) }}", "//4AAQ==");
  assert_renders(f, "{{ base64(vars.api) }}", "ay0x");
  /* nested calls */
  assert_int_equal(render(f, "{{ base64(random_string(4096)) }}"), 0);
  assert_int_equal(f->out.len, 5464);
  struct lc_buf capped;
  lc_buf_init(&capped, 3);
  assert_int_equal(lc_base64("foo", 3, &capped), LC_ETOOBIG);
  assert_int_equal(capped.len, 0);
  lc_buf_release(&capped);
}

static void test_url_encode(void **state) {
  struct fx *f = *state;
  assert_renders(f, "{{ url_encode('a b&c=d/e?f#g+h%i') }}", "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25i");
  assert_renders(f, "{{ url_encode('AZaz09-._~') }}", "AZaz09-._~");
  assert_renders(f, "{{ url_encode('\xc3\xa9\xe2\x82\xac') }}", "%C3%A9%E2%82%AC");
  assert_renders(f, "{{ url_encode(data.accounts.password) }}", "p%26ss%20w%3Drd");
  assert_renders(f, "{{ url_encode(1.5) }}", "1.5");
  assert_renders(f, "{{ url_encode(['a', 1]) }}", "%5B%22a%22%2C1%5D");
  /* a long input crosses the encoder's chunks */
  lc_vars_set_string(&f->vars, "long", "", 0);
  char big[1000];
  memset(big, '/', sizeof big);
  lc_vars_set_string(&f->vars, "long", big, sizeof big);
  assert_int_equal(render(f, "{{ url_encode(long) }}"), 0);
  assert_int_equal(f->out.len, 3000);
  assert_memory_equal(f->out.data + 2997, "%2F", 3);
}

static void test_user_id_iteration(void **state) {
  struct fx *f = *state;
  assert_renders(f, "u{{ user_id() }}-i{{ iteration() }}", "u42-i7");
  f->ctx.iteration = 8;
  assert_renders(f, "{{ iteration() }}", "8");
  assert_true(cond(f, "user_id() == 42 && iteration() > 7"));
}

/* ---- escape modes ---- */

static void test_escape_json(void **state) {
  struct fx *f = *state;
  const char v[] = "a \"q\" \\ b\nc\td\r\x01\x1f\x7f \xc3\xa9 /";
  lc_vars_set_string(&f->vars, "v", v, sizeof v - 1);
  assert_int_equal(render_esc(f, "{\"k\": \"{{ v }}\"}", LC_ESC_JSON), 0);
  assert_string_equal(out_str(f),
                      "{\"k\": \"a \\\"q\\\" \\\\ b\\nc\\td\\r\\u0001\\u001f\\u007f \xc3\xa9 /\"}");
  /* the result is valid JSON that reads back as the value */
  json_error_t je;
  json_t *j = json_loads(out_str(f), 0, &je);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "k")), v);
  json_decref(j);
  /* a number, and a JSON value (its text escaped as a string) */
  set_json(f, "o", "{\"a\":\"b\"}");
  assert_int_equal(render_esc(f, "{{ 3 }}|{{ o }}|{{ null }}", LC_ESC_JSON), 0);
  assert_string_equal(out_str(f), "3|{\\\"a\\\":\\\"b\\\"}|");
  /* NUL bytes in a value */
  lc_vars_set_string(&f->vars, "nul", "a\0b", 3);
  assert_int_equal(render_esc(f, "{{ nul }}", LC_ESC_JSON), 0);
  assert_string_equal(out_str(f), "a\\u0000b");
}

static void test_escape_url(void **state) {
  struct fx *f = *state;
  lc_vars_set_string(&f->vars, "q", "a b&c=d/e\xc3\xa9~", strlen("a b&c=d/e\xc3\xa9~"));
  assert_int_equal(render_esc(f, "/search?q={{ q }}&n={{ 3 }}", LC_ESC_URL), 0);
  assert_string_equal(out_str(f), "/search?q=a%20b%26c%3Dd%2Fe%C3%A9~&n=3");
  /* the text segments are left alone: the compiler escaped them already */
  assert_int_equal(render_esc(f, "a b{{ 'a b' }}", LC_ESC_URL), 0);
  assert_string_equal(out_str(f), "a ba%20b");
}

static void test_escape_none(void **state) {
  struct fx *f = *state;
  lc_vars_set_string(&f->vars, "q", "a \"b\"&c\n", 8);
  assert_int_equal(render_esc(f, "<{{ q }}>", LC_ESC_NONE), 0);
  assert_string_equal(out_str(f), "<a \"b\"&c\n>");
}

/* ---- variables ---- */

static void test_variables(void **state) {
  struct fx *f = *state;
  lc_vars_set_string(&f->vars, "token", "abc", 3);
  lc_vars_set_number(&f->vars, "n", 2.5);
  struct lc_val b = lc_val_bool(false);
  lc_vars_set(&f->vars, "flag", &b);
  struct lc_val nul = lc_val_null();
  lc_vars_set(&f->vars, "nothing", &nul);
  assert_renders(f, "Bearer {{ token }}", "Bearer abc");
  assert_renders(f, "{{n}}|{{ flag }}|{{ nothing }}|{{ 'lit' }}|{{ -4 }}|{{ true }}",
                 "2.5|false||lit|-4|true");

  /* JSON: objects, arrays, walks */
  set_json(f, "item", "{\"id\": 7, \"name\": \"x\", \"tags\": [\"a\", \"b\"], "
                      "\"nested\": {\"k-1\": [1, {\"z\": \"deep\"}]}, \"none\": null}");
  set_json(f, "ids", "[10, 20, 30]");
  assert_renders(f, "/items/{{ item.id }}/{{ item.name }}", "/items/7/x");
  assert_renders(f, "{{ item.tags[1] }}{{ item.nested.k-1[1].z }}", "bdeep");
  assert_renders(f, "{{ ids[1] }}", "20");
  assert_renders(f, "{{ item.tags }}", "[\"a\",\"b\"]");
  assert_renders(f, "[{{ item.none }}]", "[]");
  assert_true(cond(f, "item.id == 7 && item.tags[0] == 'a' && ids[2] > ids[1]"));
  assert_true(cond(f, "item.none == null"));

  /* a list variable */
  struct lc_val l;
  lc_val_list_init(&l, 2);
  struct lc_val x = lc_val_str("p", 1);
  lc_val_copy(&l.u.list.items[0], &x);
  x = lc_val_json(json_object_get(lc_vars_get(&f->vars, "item")->u.json, "nested"));
  lc_val_copy(&l.u.list.items[1], &x);
  lc_vars_take(&f->vars, "list", &l);
  assert_renders(f, "{{ list[0] }} {{ list[1].k-1[0] }}", "p 1");
  assert_renders(f, "{{ list }}", "[\"p\",{\"k-1\":[1,{\"z\":\"deep\"}]}]");

  /* globals */
  assert_renders(f, "{{ vars.page_size }}/{{ vars.api }}/{{ vars.debug }}/{{ vars.nothing }}",
                 "20/k-1/true/");
  lc_vars_set_string(&f->captured, "api", "captured", 8);
  assert_renders(f, "{{ vars.api }}", "captured");
  assert_render_fails(f, "{{ vars.nope }}", LC_EINVAL, "unknown global variable 'vars.nope'");

  /* feeders */
  assert_renders(f, "{{ data.accounts.user }}", "alice@example.com");
  assert_render_fails(f, "{{ data.accounts.email }}", LC_EINVAL,
                      "no value for 'data.accounts.email' (no row of feeder 'accounts', or no "
                      "column 'email')");
  f->ctx.row_value = NULL;
  assert_int_equal(render(f, "{{ data.accounts.user }}"), LC_EINVAL);
}

static void test_variable_errors(void **state) {
  struct fx *f = *state;
  lc_buf_puts(&f->out, "kept");
  struct lc_tpl *t = tpl("x{{ item.id }}y", LC_ESC_NONE);
  assert_int_equal(lc_render(t, &f->ctx, &f->out, &f->err), LC_EINVAL);
  assert_string_equal(err_str(f), "unknown variable 'item'");
  assert_string_equal(out_str(f), "kept"); /* out as it was */
  lc_tpl_free(t);
  assert_eval_fails(f, "item", "unknown variable 'item'");

  lc_vars_set_string(&f->vars, "token", "abc", 3);
  set_json(f, "item", "{\"id\": 7, \"tags\": [\"a\"]}");
  set_json(f, "ids", "[1, 2]");
  assert_render_fails(f, "{{ token.x }}", LC_EINVAL,
                      "'token.x': 'token' is a string 'abc', not a JSON object");
  assert_render_fails(f, "{{ token[0] }}", LC_EINVAL,
                      "'token[0]': 'token' is a string 'abc', not a list");
  assert_render_fails(f, "{{ item[0] }}", LC_EINVAL, "'item[0]': 'item' is a JSON object, not a list");
  assert_render_fails(f, "{{ ids.x }}", LC_EINVAL, "'ids.x': 'ids' is a JSON array, not a JSON object");
  assert_render_fails(f, "{{ item.id.x }}", LC_EINVAL,
                      "'item.id.x': 'item.id' is a number 7, not a JSON object");
  /* missing keys and indexes: errors where rendered or passed to a function ... */
  assert_render_fails(f, "{{ item.nme }}", LC_EINVAL, "'item.nme': no key 'nme'");
  assert_render_fails(f, "{{ ids[5] }}", LC_EINVAL, "'ids[5]': index 5 is out of range (2 items)");
  assert_render_fails(f, "{{ item.tags[1] }}", LC_EINVAL,
                      "'item.tags[1]': index 1 is out of range (1 item)");
  assert_render_fails(f, "{{ url_encode(item.nme) }}", LC_EINVAL, "'item.nme': no key 'nme'");
  /* ... null where compared or tested, with no message left behind */
  assert_true(cond(f, "item.nme == null"));
  assert_true(cond(f, "!item.nme"));
  assert_false(cond(f, "item.nme"));
  assert_true(cond(f, "ids[5] != 1 && !ids[9]"));
  assert_string_equal(err_str(f), "");
  /* a capped error buffer gets what fits */
  struct lc_buf small;
  lc_buf_init(&small, 10);
  t = tpl("{{ nosuch }}", LC_ESC_NONE);
  lc_buf_reset(&f->out);
  assert_int_equal(lc_render(t, &f->ctx, &f->out, &small), LC_EINVAL);
  assert_string_equal(small.data, "unknown va");
  assert_int_equal(lc_render(t, &f->ctx, &f->out, NULL), LC_EINVAL);
  lc_tpl_free(t);
  lc_buf_release(&small);
}

static void test_response(void **state) {
  struct fx *f = *state;
  /* before any response: status 0, empty url and body, no headers */
  f->ctx.response = &f->view;
  assert_renders(f, "{{ response.status }}|{{ response.url }}|{{ response.body }}", "0||");
  assert_render_fails(f, "{{ response.header.etag }}", LC_EINVAL,
                      "no header 'etag': there is no response yet");
  assert_true(cond(f, "response.header.etag == null && response.status == 0"));

  struct lc_http_header h[] = {{"Content-Type", "application/json"}, {"X-Cache", "HIT"},
                               {"x-cache", "second"}};
  char body[] = "{\"ok\":true}";
  struct lc_http_response resp;
  memset(&resp, 0, sizeof resp);
  resp.status = 201;
  resp.final_url = "http://127.0.0.1:8080/items?id=1";
  resp.headers = h;
  resp.nheaders = 3;
  resp.body = body;
  resp.body_len = strlen(body);
  lc_response_view_set(&f->view, &resp);
  memset(body, 'x', sizeof body - 1); /* the view holds a copy */
  assert_renders(f, "{{ response.status }} {{ response.url }}",
                 "201 http://127.0.0.1:8080/items?id=1");
  assert_renders(f, "{{ response.header.content-type }}|{{ response.header.X-CACHE }}",
                 "application/json|HIT");
  assert_renders(f, "{{ response.body }}", "{\"ok\":true}");
  assert_true(cond(f, "response.status >= 200 && response.status < 300"));
  assert_true(cond(f, "response.header.x-cache == 'HIT' && !response.header.etag"));
  assert_render_fails(f, "{{ response.header.etag }}", LC_EINVAL,
                      "no header 'etag' in the last response");
  assert_render_fails(f, "{{ response.bdy }}", LC_EINVAL,
                      "unknown field 'response.bdy' (expected status, url, header.NAME or body)");
  assert_render_fails(f, "{{ response.status.x }}", LC_EINVAL,
                      "'response.status.x': 'response.status' is a number 201, not a JSON object");

  /* a failure before any status; a view that keeps no body or headers */
  struct lc_response_view lean;
  lc_response_view_init(&lean, 0);
  memset(&resp, 0, sizeof resp);
  resp.error = LC_HTTP_ECONNREFUSED;
  resp.body = "";
  lc_response_view_set(&lean, &resp);
  f->ctx.response = &lean;
  assert_renders(f, "{{ response.status }}", "0");
  assert_render_fails(f, "{{ response.body }}", LC_EINVAL,
                      "response.body: the body of the last response was not kept");
  assert_render_fails(f, "{{ response.header.a }}", LC_EINVAL,
                      "response.header.a: the headers of responses are not kept");
  lc_response_view_release(&lean);
  f->ctx.response = NULL;
  assert_renders(f, "{{ response.status }}", "0");
}

static void test_plan_response_needs(void **state) {
  (void)state;
  struct lc_expr_error perr;
  struct lc_plan plan;
  memset(&plan, 0, sizeof plan);
  assert_int_equal(lc_plan_response_needs(&plan), 0);
  struct lc_step step;
  memset(&step, 0, sizeof step);
  step.kind = LC_STEP_LOG;
  step.u.log = lc_tpl_parse("{{ response.header.x }}", strlen("{{ response.header.x }}"), &perr);
  struct lc_task task;
  memset(&task, 0, sizeof task);
  task.steps.items = &step;
  task.steps.n = 1;
  struct lc_user_class uc;
  memset(&uc, 0, sizeof uc);
  uc.root.tasks = &task;
  uc.root.n = 1;
  plan.classes = &uc;
  plan.nclasses = 1;
  assert_int_equal(lc_plan_response_needs(&plan), LC_VIEW_HEADERS);
  struct lc_step cond_step;
  memset(&cond_step, 0, sizeof cond_step);
  cond_step.kind = LC_STEP_IF;
  cond_step.u.if_.cond = lc_expr_parse("response.body != ''", strlen("response.body != ''"), 0, &perr);
  plan.setup.items = &cond_step;
  plan.setup.n = 1;
  assert_int_equal(lc_plan_response_needs(&plan), LC_VIEW_ALL);
  lc_tpl_free(step.u.log);
  lc_expr_free(cond_step.u.if_.cond);
}

/* ---- lc_eval results ---- */

static void test_eval_results_owned(void **state) {
  struct fx *f = *state;
  lc_vars_set_string(&f->vars, "token", "abc", 3);
  struct lc_val v;
  assert_int_equal(eval_str(f, "token", &v), 0);
  assert_int_equal(v.kind, LC_VAL_STR);
  assert_true(v.owned);
  lc_vars_set_string(&f->vars, "token", "xyz", 3); /* the result does not change with it */
  assert_memory_equal(v.u.str.s, "abc", 3);
  lc_val_release(&v);

  /* a list literal, for loop: over */
  assert_int_equal(eval_str(f, "[1, 'two', random_string(3), [true]]", &v), 0);
  assert_int_equal(v.kind, LC_VAL_LIST);
  assert_int_equal(lc_val_list_len(&v), 4);
  struct lc_buf b;
  lc_buf_init(&b, 0);
  struct lc_val item;
  assert_int_equal(lc_val_list_get(&v, 1, &item), 0);
  assert_string_equal(text_of(&item, &b), "two");
  assert_int_equal(lc_val_list_get(&v, 2, &item), 0);
  assert_int_equal(item.u.str.len, 3);
  lc_val_release(&v);

  /* a JSON array is referenced, not copied */
  json_t *j = json("[{\"id\": 1}, {\"id\": 2}]");
  lc_vars_set_json(&f->vars, "ids", j);
  assert_int_equal(j->refcount, 2);
  assert_int_equal(eval_str(f, "ids", &v), 0);
  assert_int_equal(j->refcount, 3);
  lc_vars_unset(&f->vars, "ids");
  json_decref(j);
  assert_int_equal(lc_val_list_len(&v), 2); /* still alive through v */
  assert_int_equal(lc_val_list_get(&v, 1, &item), 0);
  assert_string_equal(text_of(&item, &b), "{\"id\":2}");
  lc_val_release(&v);
  lc_buf_release(&b);

  /* a missing key at the top of a condition is null */
  set_json(f, "o", "{}");
  assert_int_equal(eval_str(f, "o.a", &v), 0);
  assert_int_equal(v.kind, LC_VAL_NULL);
  assert_int_equal(eval_str(f, "random_int(2, 1)", &v), LC_EINVAL);
  assert_int_equal(v.kind, LC_VAL_NULL);
}

/* ---- the output buffer ---- */

static void test_capped_output(void **state) {
  struct fx *f = *state;
  lc_vars_set_string(&f->vars, "token", "world!!!", 8);
  struct lc_buf out;
  lc_buf_init(&out, 10);
  lc_buf_puts(&out, "ab");
  struct lc_tpl *t = tpl("hello {{ token }}", LC_ESC_NONE);
  lc_buf_reset(&f->err);
  assert_int_equal(lc_render(t, &f->ctx, &out, &f->err), LC_ETOOBIG);
  assert_string_equal(err_str(f), "the rendered text is longer than the limit of 10 bytes");
  assert_string_equal(out.data, "ab");
  assert_int_equal(out.len, 2);
  lc_tpl_free(t);
  /* exactly at the cap fits */
  t = tpl("12{{ token }}", LC_ESC_NONE);
  lc_buf_reset(&out);
  assert_int_equal(lc_render(t, &f->ctx, &out, NULL), 0);
  assert_string_equal(out.data, "12world!!!");
  lc_tpl_free(t);
  /* escaping that grows past the cap */
  t = tpl("{{ token }}", LC_ESC_URL);
  lc_buf_reset(&out);
  assert_int_equal(lc_render(t, &f->ctx, &out, NULL), LC_ETOOBIG);
  assert_int_equal(out.len, 0);
  lc_tpl_free(t);
  /* a large function result */
  t = tpl("{{ random_string(4096) }}", LC_ESC_NONE);
  assert_int_equal(lc_render(t, &f->ctx, &out, NULL), LC_ETOOBIG);
  assert_int_equal(out.len, 0);
  lc_tpl_free(t);
  lc_buf_release(&out);
}

static void test_no_allocation(void **state) {
  struct fx *f = *state;
  lc_vars_set_string(&f->vars, "token", "abc", 3);
  set_json(f, "item", "{\"id\": 12}");
  struct lc_buf out;
  lc_buf_init(&out, 0);
  char fill[200];
  memset(fill, 'x', sizeof fill);
  lc_buf_append(&out, fill, sizeof fill);
  lc_buf_reset(&out);
  char *data = out.data;
  size_t cap = out.cap;
  static const char *const templates[] = {
      "only text, nothing else", "Bearer {{ token }}", "/items/{{ item.id }}?n={{ 3 }}",
      "{{ vars.api }}-{{ vars.page_size }}-{{ true }}", "{{ token == 'abc' && !false }}",
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(templates); i++) {
    struct lc_tpl *t = tpl(templates[i], LC_ESC_NONE);
    lc_buf_reset(&out);
    assert_int_equal(lc_render(t, &f->ctx, &out, NULL), 0);
    assert_ptr_equal(out.data, data);
    assert_int_equal(out.cap, cap);
    lc_tpl_free(t);
  }
  assert_string_equal(out.data, "true");
  lc_buf_release(&out);
}

/* ---- the variable map ---- */

static void test_vars_map(void **state) {
  (void)state;
  struct lc_vars v;
  lc_vars_init(&v);
  assert_null(lc_vars_get(&v, "a"));
  lc_vars_set_string(&v, "a", "short", 5);
  const struct lc_val *a = lc_vars_get(&v, "a");
  assert_int_equal(a->kind, LC_VAL_STR);
  assert_memory_equal(a->u.str.s, "short", 6); /* NUL-terminated too */
  /* longer, then shorter in the same block */
  char big[5000];
  memset(big, 'b', sizeof big);
  lc_vars_set_string(&v, "a", big, sizeof big);
  assert_int_equal(lc_vars_get(&v, "a")->u.str.len, 5000);
  lc_vars_set_string(&v, "a", "s", 1);
  assert_memory_equal(lc_vars_get(&v, "a")->u.str.s, "s", 2);
  /* from its own bytes */
  lc_vars_set_string(&v, "a", "hello world", 11);
  a = lc_vars_get(&v, "a");
  lc_vars_set_string(&v, "a", a->u.str.s + 6, 5);
  assert_memory_equal(lc_vars_get(&v, "a")->u.str.s, "world", 6);
  /* from another variable while the array grows */
  for (int i = 0; i < 40; i++) {
    char name[16];
    snprintf(name, sizeof name, "v%d", i);
    lc_vars_set(&v, name, lc_vars_get(&v, "a"));
  }
  assert_int_equal(lc_vars_count(&v), 41);
  assert_memory_equal(lc_vars_get(&v, "v39")->u.str.s, "world", 5);
  assert_string_equal(lc_vars_name(&v, 0), "a");
  assert_null(lc_vars_name(&v, 41));
  /* a list replaced by one of its own items */
  struct lc_val l;
  lc_val_list_init(&l, 2);
  struct lc_val s = lc_val_str("first", 5);
  lc_val_copy(&l.u.list.items[0], &s);
  lc_vars_take(&v, "ids", &l);
  assert_int_equal(l.kind, LC_VAL_NULL);
  struct lc_val item;
  assert_int_equal(lc_val_list_get(lc_vars_get(&v, "ids"), 0, &item), 0);
  lc_vars_set(&v, "ids", &item);
  assert_int_equal(lc_vars_get(&v, "ids")->kind, LC_VAL_STR);
  assert_memory_equal(lc_vars_get(&v, "ids")->u.str.s, "first", 5);
  /* kinds change */
  lc_vars_set_number(&v, "ids", 4);
  assert_true(lc_vars_get(&v, "ids")->u.num == 4);
  json_t *j = json("{\"k\": 1}");
  lc_vars_set_json(&v, "ids", j);
  assert_int_equal(j->refcount, 2);
  lc_vars_set_string(&v, "ids", "x", 1);
  assert_int_equal(j->refcount, 1);
  json_decref(j);
  /* unset and clear */
  assert_int_equal(lc_vars_unset(&v, "v3"), 0);
  assert_int_equal(lc_vars_unset(&v, "v3"), LC_ENOENT);
  assert_null(lc_vars_get(&v, "v3"));
  assert_non_null(lc_vars_get(&v, "v39"));
  lc_vars_clear(&v);
  assert_int_equal(lc_vars_count(&v), 0);
  lc_vars_set_string(&v, "again", "1", 1);
  assert_non_null(lc_vars_get(&v, "again"));
  lc_vars_release(&v);
  lc_vars_release(&v); /* twice is harmless */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_number_text),
      cmocka_unit_test(test_value_text),
      cmocka_unit_test(test_truthiness),
      cmocka_unit_test_setup_teardown(test_comparisons, setup, teardown),
      cmocka_unit_test_setup_teardown(test_boolean_operators, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_int, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_choice, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_string, setup, teardown),
      cmocka_unit_test_setup_teardown(test_uuid, setup, teardown),
      cmocka_unit_test_setup_teardown(test_time, setup, teardown),
      cmocka_unit_test_setup_teardown(test_base64, setup, teardown),
      cmocka_unit_test_setup_teardown(test_url_encode, setup, teardown),
      cmocka_unit_test_setup_teardown(test_user_id_iteration, setup, teardown),
      cmocka_unit_test_setup_teardown(test_escape_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_escape_url, setup, teardown),
      cmocka_unit_test_setup_teardown(test_escape_none, setup, teardown),
      cmocka_unit_test_setup_teardown(test_variables, setup, teardown),
      cmocka_unit_test_setup_teardown(test_variable_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response, setup, teardown),
      cmocka_unit_test(test_plan_response_needs),
      cmocka_unit_test_setup_teardown(test_eval_results_owned, setup, teardown),
      cmocka_unit_test_setup_teardown(test_capped_output, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_allocation, setup, teardown),
      cmocka_unit_test(test_vars_map),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
