/* test_config_jsonpath.c: unit tests for JSONPath parsing and evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config/jsonpath.h"
#include "engine/base/base.h"

static const char doc_text[] =
    "{\"name\": \"loadc\", \"count\": 3, \"a-b\": 1,"
    " \"items\": [{\"id\": 1, \"name\": \"one\", \"tags\": [\"a\", \"b\"]},"
    "            {\"id\": 2, \"name\": \"two\", \"tags\": [\"b\"]},"
    "            {\"id\": 3, \"name\": \"three\", \"tags\": []}],"
    " \"nested\": {\"level\": 1, \"inner\": {\"level\": 2, \"id\": 9}}}";

static int collect(void *ctx, const json_t *v) {
  struct lc_buf *b = ctx;
  char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
  lc_buf_printf(b, "%s%s", b->len ? " " : "", s);
  free(s);
  return 0;
}

static void expect(const char *path, const char *want) {
  json_error_t jerr;
  json_t *doc = json_loads(doc_text, 0, &jerr);
  assert_non_null(doc);
  struct lc_expr_error err;
  struct lc_jsonpath *p = lc_jsonpath_parse(path, strlen(path), &err);
  if (!p) fail_msg("%s: %s", path, err.msg);
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_jsonpath_eval(p, doc, collect, &b);
  assert_string_equal(b.data ? b.data : "", want);
  lc_buf_release(&b);
  lc_jsonpath_free(p);
  json_decref(doc);
}

static void evaluates_the_subset(void **state) {
  (void)state;
  expect("$.name", "\"loadc\"");
  expect("$.count", "3");
  expect("$['a-b']", "1");
  expect("$.a-b", "1");
  expect("$.items[0].id", "1");
  expect("$.items[-1].name", "\"three\"");
  expect("$.items[5].id", "");
  expect("$.items[*].id", "1 2 3");
  expect("$.items.*.name", "\"one\" \"two\" \"three\"");
  expect("$.items[*].tags[*]", "\"a\" \"b\" \"b\"");
  expect("$..id", "1 2 3 9");
  expect("$..level", "1 2");
  expect("$.nested.inner", "{\"level\":2,\"id\":9}");
}

static void root_matches_the_document(void **state) {
  (void)state;
  struct lc_expr_error err;
  struct lc_jsonpath *p = lc_jsonpath_parse("$", 1, &err);
  json_t *doc = json_integer(7);
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_jsonpath_eval(p, doc, collect, &b);
  assert_string_equal(b.data, "7");
  assert_true(lc_jsonpath_is_single(p));
  lc_buf_release(&b);
  json_decref(doc);
  lc_jsonpath_free(p);
}

static int stop_first(void *ctx, const json_t *v) {
  *(json_int_t *)ctx = json_integer_value(v);
  return 1;
}

static void stops_when_asked(void **state) {
  (void)state;
  json_error_t jerr;
  json_t *doc = json_loads(doc_text, 0, &jerr);
  struct lc_expr_error err;
  struct lc_jsonpath *p = lc_jsonpath_parse("$..id", 5, &err);
  json_int_t got = 0;
  assert_int_equal(lc_jsonpath_eval(p, doc, stop_first, &got), 1);
  assert_int_equal(got, 1);
  assert_false(lc_jsonpath_is_single(p));
  lc_jsonpath_free(p);
  json_decref(doc);
}

static void expect_error(const char *path, size_t offset, const char *msg) {
  struct lc_expr_error err;
  assert_null(lc_jsonpath_parse(path, strlen(path), &err));
  assert_string_equal(err.msg, msg);
  assert_int_equal(err.offset, offset);
}

static void reports_errors(void **state) {
  (void)state;
  expect_error("items[0]", 0, "a JSONPath starts with '$' (like $.items[0].id)");
  expect_error("", 0, "a JSONPath starts with '$' (like $.items[0].id)");
  expect_error("$.", 2, "expected a member name after '.'");
  expect_error("$..", 3, "expected a member name after '..'");
  expect_error("$.a[x]", 3, "expected an index, '*' or a quoted name inside '[ ]'");
  expect_error("$.a[0", 3, "expected an index, '*' or a quoted name inside '[ ]'");
  expect_error("$['a", 1, "unterminated quoted name");
  expect_error("$.a b", 3, "unexpected ' ' in JSONPath (steps are .name, [N], [*], ..name)");
  expect_error("$[*", 3, "expected ']' after '[*'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(evaluates_the_subset),
      cmocka_unit_test(root_matches_the_document),
      cmocka_unit_test(stops_when_asked),
      cmocka_unit_test(reports_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
