/* test_config_diag.c: unit tests for config/diag (the collector, its caps, sorting and the
 * text, JSON and GitHub printers with exact expected output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"

/* Everything `d` prints in `format`, as a heap string. */
static char *render(const struct lc_diags *d, enum lc_diag_format format) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(lc_diags_print(d, f, format), 0);
  fclose(f);
  return buf;
}

static void assert_renders(const struct lc_diags *d, enum lc_diag_format format,
                           const char *want) {
  char *got = render(d, format);
  assert_string_equal(got, want);
  free(got);
}

static const char src[] = "name: shop\n"
                          "users:\n"
                          "\tthinktime: 2s\n"
                          "  héllo: [1, 2\n";

static void text_has_source_line_and_caret(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  lc_diags_set_source(d, "s.yaml", src, sizeof src - 1);
  struct lc_mark a = {"s.yaml", 1, 7};
  lc_diag_error(d, &a, "expected a mapping, got '%s'", "shop");
  struct lc_mark b = {"s.yaml", 3, 2};
  lc_diags_add(d, LC_SEV_ERROR, &b, "think_time", "unknown key 'thinktime'");
  struct lc_mark c = {"s.yaml", 4, 10}; /* after the two-byte é: columns count characters */
  lc_diag_warning(d, &c, "a flow sequence");
  lc_diag_note(d, &a, "see here");
  assert_renders(d, LC_DIAG_TEXT,
                 "s.yaml:1:7: error: expected a mapping, got 'shop'\n"
                 "name: shop\n"
                 "      ^\n"
                 "s.yaml:3:2: error: unknown key 'thinktime' (did you mean 'think_time'?)\n"
                 "\tthinktime: 2s\n"
                 "\t^\n"
                 "s.yaml:4:10: warning: a flow sequence\n"
                 "  héllo: [1, 2\n"
                 "         ^\n"
                 "s.yaml:1:7: note: see here\n"
                 "name: shop\n"
                 "      ^\n");
  assert_int_equal(lc_diags_errors(d), 2);
  assert_int_equal(lc_diags_warnings(d), 1);
  assert_int_equal(lc_diags_count(d), 4);
  const struct lc_diag *g = lc_diags_get(d, 1);
  assert_string_equal(g->file, "s.yaml");
  assert_int_equal(g->line, 3);
  assert_int_equal(g->column, 2);
  assert_string_equal(g->message, "unknown key 'thinktime'");
  assert_string_equal(g->hint, "think_time");
  assert_null(lc_diags_get(d, 4));
  lc_diags_free(d);
}

static void text_without_positions_or_source(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  lc_diags_set_source(d, "s.yaml", src, sizeof src - 1);
  struct lc_mark file_only = {"s.yaml", 0, 0};
  struct lc_mark no_col = {"s.yaml", 2, 0};
  struct lc_mark past_end = {"s.yaml", 1, 14};
  struct lc_mark no_line = {"s.yaml", 99, 1};
  struct lc_mark other = {"other.yaml", 3, 4};
  lc_diag_error(d, &file_only, "cannot read 's.yaml'");
  lc_diag_error(d, &no_col, "line only");
  lc_diag_error(d, &past_end, "past the end of the line");
  lc_diag_error(d, &no_line, "no such line");
  lc_diag_error(d, &other, "no source text");
  lc_diag_error(d, NULL, "nowhere");
  assert_renders(d, LC_DIAG_TEXT,
                 "s.yaml: error: cannot read 's.yaml'\n"
                 "s.yaml:2: error: line only\n"
                 "users:\n"
                 "s.yaml:1:14: error: past the end of the line\n"
                 "name: shop\n"
                 "             ^\n"
                 "s.yaml:99:1: error: no such line\n"
                 "other.yaml:3:4: error: no source text\n"
                 "error: nowhere\n");
  lc_diags_free(d);
}

static void control_characters_do_not_reach_the_terminal(void **state) {
  (void)state;
  static const char text[] = "a: \x1b[31mred\r\n";
  struct lc_diags *d = lc_diags_new(0);
  lc_diags_set_source(d, "c.yaml", text, sizeof text - 1);
  struct lc_mark m = {"c.yaml", 1, 4};
  lc_diag_error(d, &m, "bad");
  assert_renders(d, LC_DIAG_TEXT, "c.yaml:1:4: error: bad\na: ?[31mred\n   ^\n");
  lc_diags_free(d);
}

static void json_is_one_document(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  struct lc_mark a = {"s.yaml", 3, 2};
  lc_diags_add(d, LC_SEV_ERROR, &a, "think_time", "unknown key 'thinktime'");
  lc_diag_note(d, &a, "quote \"this\"");
  lc_diag_warning(d, NULL, "bad byte \xff here");
  char *out = render(d, LC_DIAG_JSON);
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  assert_non_null(j);
  assert_true(json_is_array(j));
  assert_int_equal(json_array_size(j), 3);
  json_t *o = json_array_get(j, 0);
  assert_string_equal(json_string_value(json_object_get(o, "file")), "s.yaml");
  assert_int_equal(json_integer_value(json_object_get(o, "line")), 3);
  assert_int_equal(json_integer_value(json_object_get(o, "column")), 2);
  assert_string_equal(json_string_value(json_object_get(o, "severity")), "error");
  assert_string_equal(json_string_value(json_object_get(o, "message")),
                      "unknown key 'thinktime' (did you mean 'think_time'?)");
  assert_string_equal(json_string_value(json_object_get(o, "suggestion")), "think_time");
  o = json_array_get(j, 1);
  assert_string_equal(json_string_value(json_object_get(o, "severity")), "note");
  assert_string_equal(json_string_value(json_object_get(o, "message")), "quote \"this\"");
  assert_null(json_object_get(o, "suggestion"));
  o = json_array_get(j, 2);
  assert_true(json_is_null(json_object_get(o, "file")));
  assert_int_equal(json_integer_value(json_object_get(o, "line")), 0);
  assert_string_equal(json_string_value(json_object_get(o, "message")), "bad byte ? here");
  json_decref(j);
  free(out);
  /* The exact layout, for a single diagnostic. */
  struct lc_diags *one = lc_diags_new(0);
  struct lc_mark m = {"a.yaml", 1, 2};
  lc_diag_error(one, &m, "x");
  assert_renders(one, LC_DIAG_JSON,
                 "[\n  {\n    \"file\": \"a.yaml\",\n    \"line\": 1,\n    \"column\": 2,\n"
                 "    \"severity\": \"error\",\n    \"message\": \"x\"\n  }\n]\n");
  lc_diags_free(one);
  struct lc_diags *none = lc_diags_new(0);
  assert_renders(none, LC_DIAG_JSON, "[]\n");
  lc_diags_free(none);
  lc_diags_free(d);
}

static void github_commands_are_escaped(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  struct lc_mark a = {"dir,x/a:b%.yaml", 3, 7};
  lc_diag_error(d, &a, "50%% done: a, b\r\nnext");
  lc_diag_note(d, &a, "here");
  struct lc_mark b = {"w.yaml", 2, 0};
  lc_diags_add(d, LC_SEV_WARNING, &b, "timeout", "unknown key 'timout'");
  lc_diag_error(d, NULL, "no file");
  assert_renders(d, LC_DIAG_GITHUB,
                 "::error file=dir%2Cx/a%3Ab%25.yaml,line=3,col=7::50%25 done: a, b%0D%0Anext\n"
                 "::notice file=dir%2Cx/a%3Ab%25.yaml,line=3,col=7::here\n"
                 "::warning file=w.yaml,line=2::unknown key 'timout' (did you mean 'timeout'?)\n"
                 "::error::no file\n");
  lc_diags_free(d);
}

static void cap_adds_one_too_many_errors_line(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(3);
  struct lc_mark m = {"f.yaml", 1, 1};
  for (uint32_t i = 1; i <= 5; i++) {
    m.line = i;
    assert_false(lc_diags_full(d) && i <= 3);
    lc_diag_error(d, &m, "error %u", (unsigned)i);
    lc_diag_note(d, &m, "note %u", (unsigned)i);
  }
  lc_diag_warning(d, &m, "after the cap");
  assert_true(lc_diags_full(d));
  assert_int_equal(lc_diags_errors(d), 5);
  assert_int_equal(lc_diags_warnings(d), 1);
  assert_renders(d, LC_DIAG_GITHUB,
                 "::error file=f.yaml,line=1,col=1::error 1\n"
                 "::notice file=f.yaml,line=1,col=1::note 1\n"
                 "::error file=f.yaml,line=2,col=1::error 2\n"
                 "::notice file=f.yaml,line=2,col=1::note 2\n"
                 "::error file=f.yaml,line=3,col=1::error 3\n"
                 "::notice file=f.yaml,line=3,col=1::note 3\n"
                 "::error::too many errors (more than 3), stopping here\n");
  lc_diags_free(d);
}

static void repeats_are_dropped_with_their_notes(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  struct lc_mark m = {"f.yaml", 4, 2};
  lc_diag_error(d, &m, "unknown key 'x'");
  lc_diag_note(d, &m, "first");
  lc_diag_error(d, &m, "unknown key 'x'"); /* e.g. an anchored mapping checked twice */
  lc_diag_note(d, &m, "dropped with its error");
  lc_diags_add(d, LC_SEV_ERROR, &m, "y", "unknown key 'x'"); /* differs by its hint */
  lc_diag_warning(d, &m, "unknown key 'x'");                 /* differs by severity */
  assert_int_equal(lc_diags_count(d), 4);
  assert_int_equal(lc_diags_errors(d), 2);
  assert_string_equal(lc_diags_get(d, 1)->message, "first");
  lc_diags_free(d);
  /* A note with nothing before it has nothing to belong to. */
  d = lc_diags_new(0);
  lc_diag_note(d, &m, "orphan");
  assert_int_equal(lc_diags_count(d), 0);
  lc_diags_free(d);
}

static void sort_orders_groups_by_position(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  struct lc_mark b5 = {"b.yaml", 5, 1}, a9 = {"a.yaml", 9, 3}, a2 = {"a.yaml", 2, 8},
                 a2b = {"a.yaml", 2, 1}, b1 = {"b.yaml", 1, 1};
  lc_diag_error(d, &b5, "b5");
  lc_diag_error(d, &a9, "a9");
  lc_diag_note(d, &b1, "a9's note");
  lc_diag_error(d, &a2, "a2:8");
  lc_diag_warning(d, &a2b, "a2:1");
  lc_diag_error(d, NULL, "none");
  lc_diags_sort(d);
  /* Files in the order first seen (b.yaml first), then line and column. */
  static const char *const want[] = {"b5", "a2:1", "a2:8", "a9", "a9's note", "none"};
  assert_int_equal(lc_diags_count(d), LC_ARRAY_LEN(want));
  for (size_t i = 0; i < LC_ARRAY_LEN(want); i++)
    assert_string_equal(lc_diags_get(d, i)->message, want[i]);
  lc_diags_free(d);
}

static void null_collector_and_formats(void **state) {
  (void)state;
  struct lc_mark m = {"f.yaml", 1, 1};
  lc_diag_error(NULL, &m, "ignored");
  assert_int_equal(lc_diags_errors(NULL), 0);
  assert_int_equal(lc_diags_count(NULL), 0);
  enum lc_diag_format f = LC_DIAG_TEXT;
  assert_int_equal(lc_diag_format_parse("github", &f), 0);
  assert_int_equal(f, LC_DIAG_GITHUB);
  assert_int_equal(lc_diag_format_parse("json", &f), 0);
  assert_int_equal(f, LC_DIAG_JSON);
  assert_int_equal(lc_diag_format_parse("xml", &f), LC_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(text_has_source_line_and_caret),
      cmocka_unit_test(text_without_positions_or_source),
      cmocka_unit_test(control_characters_do_not_reach_the_terminal),
      cmocka_unit_test(json_is_one_document),
      cmocka_unit_test(github_commands_are_escaped),
      cmocka_unit_test(cap_adds_one_too_many_errors_line),
      cmocka_unit_test(repeats_are_dropped_with_their_notes),
      cmocka_unit_test(sort_orders_groups_by_position),
      cmocka_unit_test(null_collector_and_formats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
