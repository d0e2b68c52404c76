/* test_config_expr.c: unit tests for the expression parser and the template compiler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/expr.h"
#include "config/template.h"
#include "engine/base/base.h"

/* Renders a tree as a compact S-expression, e.g. (== token "x"). */
static void dump(struct lc_buf *b, const struct lc_expr *e) {
  static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">=", "&&", "||"};
  switch (e->kind) {
  case LC_EXPR_NULL: lc_buf_puts(b, "null"); break;
  case LC_EXPR_BOOL: lc_buf_puts(b, e->u.boolean ? "true" : "false"); break;
  case LC_EXPR_NUM: lc_buf_printf(b, "%g", e->u.num); break;
  case LC_EXPR_STR: lc_buf_json_string(b, e->u.str.s, e->u.str.n); break;
  case LC_EXPR_LIST:
    lc_buf_puts(b, "[");
    for (size_t i = 0; i < e->u.list.n; i++) {
      if (i) lc_buf_puts(b, " ");
      dump(b, e->u.list.items[i]);
    }
    lc_buf_puts(b, "]");
    break;
  case LC_EXPR_VAR:
    for (size_t i = 0; i < e->u.var.n; i++) {
      if (e->u.var.parts[i].name)
        lc_buf_printf(b, "%s%s", i ? "." : "", e->u.var.parts[i].name);
      else
        lc_buf_printf(b, "[%ld]", e->u.var.parts[i].index);
    }
    break;
  case LC_EXPR_CALL:
    lc_buf_printf(b, "(%s", lc_fn_info(e->u.call.fn)->name);
    for (size_t i = 0; i < e->u.call.nargs; i++) {
      lc_buf_puts(b, " ");
      dump(b, e->u.call.args[i]);
    }
    lc_buf_puts(b, ")");
    break;
  case LC_EXPR_NOT:
    lc_buf_puts(b, "(! ");
    dump(b, e->u.not_);
    lc_buf_puts(b, ")");
    break;
  case LC_EXPR_BINARY:
    lc_buf_printf(b, "(%s ", ops[e->u.bin.op]);
    dump(b, e->u.bin.l);
    lc_buf_puts(b, " ");
    dump(b, e->u.bin.r);
    lc_buf_puts(b, ")");
    break;
  }
}

static void expect_parse(const char *src, const char *want) {
  struct lc_expr_error err = {0, ""};
  struct lc_expr *e = lc_expr_parse(src, strlen(src), 0, &err);
  if (!e) fail_msg("parse of '%s' failed at %zu: %s", src, err.offset, err.msg);
  struct lc_buf b;
  lc_buf_init(&b, 0);
  dump(&b, e);
  assert_string_equal(b.data, want);
  assert_int_equal(e->offset, strspn(src, " "));
  lc_buf_release(&b);
  lc_expr_free(e);
}

static void expect_error(const char *src, size_t offset, const char *msg) {
  struct lc_expr_error err = {0, ""};
  struct lc_expr *e = lc_expr_parse(src, strlen(src), 0, &err);
  assert_null(e);
  assert_string_equal(err.msg, msg);
  assert_int_equal(err.offset, offset);
}

static void parses_values_and_paths(void **state) {
  (void)state;
  expect_parse("token", "token");
  expect_parse(" item.id ", "item.id");
  expect_parse("data.accounts.user", "data.accounts.user");
  expect_parse("response.header.content-type", "response.header.content-type");
  expect_parse("ids[0].name", "ids[0].name");
  expect_parse("42", "42");
  expect_parse("-1.5", "-1.5");
  expect_parse("'a\\'b'", "\"a'b\"");
  expect_parse("\"x\\ny\"", "\"x\\ny\"");
  expect_parse("[1, 'two', three]", "[1 \"two\" three]");
  expect_parse("[]", "[]");
  expect_parse("true", "true");
  expect_parse("null", "null");
}

static void parses_calls(void **state) {
  (void)state;
  expect_parse("random_int(1, 10)", "(random_int 1 10)");
  expect_parse("uuid()", "(uuid)");
  expect_parse("base64(url_encode(user))", "(base64 (url_encode user))");
  expect_parse("random_choice(['a', 'b'])", "(random_choice [\"a\" \"b\"])");
}

static void parses_operators_with_precedence(void **state) {
  (void)state;
  expect_parse("a == 1 && b != 'x' || !c", "(|| (&& (== a 1) (!= b \"x\")) (! c))");
  expect_parse("response.status >= 500", "(>= response.status 500)");
  expect_parse("a < 1 || (b > 2 && c <= 3)", "(|| (< a 1) (&& (> b 2) (<= c 3)))");
  expect_parse("!!a", "(! (! a))");
}

static void reports_errors_at_offsets(void **state) {
  (void)state;
  expect_error("randint(1, 2)", 0, "unknown function 'randint' (did you mean 'random_int'?)");
  expect_error("frobnicate()", 0, "unknown function 'frobnicate'");
  expect_error("x + random_int(1)", 2, "unexpected '+' after the expression");
  expect_error("random_int(1)", 0, "function 'random_int' takes 2 arguments (random_int(min, max)), got 1");
  expect_error("uuid(1)", 0, "function 'uuid' takes 0 arguments (uuid()), got 1");
  expect_error("'abc", 0, "unterminated string");
  expect_error("(a == b", 7, "expected ')', got the end of the expression");
  expect_error("a ==", 4, "expected a value, got the end of the expression");
  expect_error("a.", 2, "expected a name after '.'");
  expect_error("a[x]", 2, "expected a non-negative index and ']'");
  expect_error("   ", 0, "empty expression");
  expect_error("f(1 2)", 0, "unknown function 'f'");
  expect_error("random_int(1 2)", 13, "expected ',' or ')', got '2'");
  expect_error("#", 0, "expected a value, got '#'");
  expect_error("response.status = 200", 16,
               "unexpected '=' after the expression (did you mean '=='?)");
}

static void deep_nesting_is_bounded(void **state) {
  (void)state;
  char deep[400];
  memset(deep, '(', 300);
  deep[300] = 'a';
  deep[301] = '\0';
  struct lc_expr_error err;
  assert_null(lc_expr_parse(deep, strlen(deep), 0, &err));
  assert_non_null(strstr(err.msg, "nested too deeply"));
  memset(deep, '!', 300);
  assert_null(lc_expr_parse(deep, strlen(deep), 0, &err));
  assert_non_null(strstr(err.msg, "nested too deeply"));
}

static int count_var(void *ctx, const struct lc_expr *v) {
  struct lc_buf *b = ctx;
  lc_buf_printf(b, "%s@%zu ", v->u.var.parts[0].name, v->offset);
  return 0;
}

static void visits_variables_in_order(void **state) {
  (void)state;
  struct lc_expr_error err;
  const char *src = "a == random_int(b, 3) || !c.d";
  struct lc_expr *e = lc_expr_parse(src, strlen(src), 10, &err);
  assert_non_null(e);
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_expr_each_var(e, count_var, &b);
  assert_string_equal(b.data, "a@10 b@26 c@36 ");
  lc_buf_release(&b);
  lc_expr_free(e);
}

static void template_segments(void **state) {
  (void)state;
  struct lc_expr_error err;
  const char *src = "/items/{{ item.id }}?page={{random_int(1, 9)}}&x={\"a\":{\"b\":1}}";
  struct lc_tpl *t = lc_tpl_parse(src, strlen(src), &err);
  assert_non_null(t);
  assert_int_equal(t->n, 5);
  assert_int_equal(t->segs[0].kind, LC_TPL_TEXT);
  assert_string_equal(t->segs[0].text, "/items/");
  assert_int_equal(t->segs[1].kind, LC_TPL_EXPR);
  assert_int_equal(t->segs[1].expr->offset, 10);
  assert_string_equal(t->segs[2].text, "?page=");
  assert_int_equal(t->segs[3].kind, LC_TPL_EXPR);
  assert_string_equal(t->segs[4].text, "&x={\"a\":{\"b\":1}}");
  assert_false(lc_tpl_is_literal(t));
  lc_tpl_free(t);

  t = lc_tpl_parse("{\"a\":{\"b\":1}}", 13, &err);
  assert_non_null(t);
  assert_true(lc_tpl_is_literal(t));
  assert_int_equal(t->n, 1);
  lc_tpl_free(t);

  t = lc_tpl_parse("a{{ '}}' }}b", 12, &err);
  assert_non_null(t);
  assert_int_equal(t->n, 3);
  assert_string_equal(t->segs[1].expr->u.str.s, "}}");
  lc_tpl_free(t);

  t = lc_tpl_parse("", 0, &err);
  assert_non_null(t);
  assert_int_equal(t->n, 0);
  lc_tpl_free(t);
}

static void template_errors(void **state) {
  (void)state;
  struct lc_expr_error err;
  assert_null(lc_tpl_parse("/a/{{ id", 8, &err));
  assert_string_equal(err.msg, "'{{' without a closing '}}'");
  assert_int_equal(err.offset, 3);
  assert_null(lc_tpl_parse("x{{  }}", 7, &err));
  assert_string_equal(err.msg, "empty template expression '{{ }}'");
  assert_int_equal(err.offset, 1);
  assert_null(lc_tpl_parse("/u/{{ uuidd() }}", 16, &err));
  assert_string_equal(err.msg, "unknown function 'uuidd' (did you mean 'uuid'?)");
  assert_int_equal(err.offset, 6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parses_values_and_paths),
      cmocka_unit_test(parses_calls),
      cmocka_unit_test(parses_operators_with_precedence),
      cmocka_unit_test(reports_errors_at_offsets),
      cmocka_unit_test(deep_nesting_is_bounded),
      cmocka_unit_test(visits_variables_in_order),
      cmocka_unit_test(template_segments),
      cmocka_unit_test(template_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
