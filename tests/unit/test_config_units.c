/* test_config_units.c: unit tests for config/units: durations, sizes, rates and percentages,
 * good values exactly, bad ones with their exact message and offset, and the node readers'
 * columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/units.h"

struct bad {
  const char *in;
  size_t offset;
  const char *message;
};

static void durations_parse_exactly(void **state) {
  (void)state;
  static const struct {
    const char *in;
    int64_t us;
  } good[] = {
      {"250ms", 250000},          {"1.5s", 1500000},        {"2m", 120000000},
      {"1h30m", 5400000000},      {"1h2m3s", 3723000000},   {"10", 10000000},
      {"0.25", 250000},           {"0", 0},                 {"1s500ms", 1500000},
      {"1.1s", 1100000},          {"750us", 750},           {".5s", 500000},
      {"0.0000019s", 1},          {"2562047788h", 9223372036800000000},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(good); i++) {
    int64_t us = -1;
    struct lc_unit_error err;
    int rc = lc_parse_duration(good[i].in, strlen(good[i].in), &us, &err);
    if (rc != 0) fail_msg("%s: %s", good[i].in, err.message);
    assert_true(us == good[i].us);
  }
}

static void durations_refuse_with_messages(void **state) {
  (void)state;
  static const struct bad bad[] = {
      {"", 0, "expected a duration (like 250ms, 1.5s or 1h30m), got an empty value"},
      {"-1s", 0, "invalid duration '-1s': durations cannot be negative"},
      {"5x", 1, "invalid duration '5x': unknown unit 'x' (use h, m, s, ms or us)"},
      {"1h5sec", 3, "invalid duration '1h5sec': unknown unit 'sec' (use h, m, s, ms or us)"},
      {"1m30", 2, "invalid duration '1m30': the last number has no unit (use h, m, s, ms or us)"},
      {"30s1m", 4, "invalid duration '30s1m': units must go from the largest to the smallest, "
                   "as in 1h30m"},
      {"1s1s", 3, "invalid duration '1s1s': unit 's' appears twice"},
      {"abc", 0, "invalid duration 'abc': expected a number, then a unit (h, m, s, ms or us)"},
      {"1.s", 1, "invalid duration '1.s': expected digits after '.'"},
      {"1 s", 1, "invalid duration '1 s': unexpected ' '"},
      {"+1s", 0, "invalid duration '+1s': expected a number, then a unit (h, m, s, ms or us)"},
      {"1S", 1, "invalid duration '1S': unknown unit 'S' (use h, m, s, ms or us)"},
      {"2562047789h", 0, "invalid duration '2562047789h': too large"},
      {"2562047788h1h", 12, "invalid duration '2562047788h1h': unit 'h' appears twice"},
      {"2562047788h59m", 11, "invalid duration '2562047788h59m': too large"},
      {"99999999999999999999999s", 0, "invalid duration '99999999999999999999999s': too large"},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    int64_t us = 7;
    struct lc_unit_error err;
    assert_int_equal(lc_parse_duration(bad[i].in, strlen(bad[i].in), &us, &err), LC_EINVAL);
    assert_string_equal(err.message, bad[i].message);
    assert_int_equal(err.offset, bad[i].offset);
    assert_true(us == 7);
  }
  int64_t us;
  assert_int_equal(lc_parse_duration("x", 1, &us, NULL), LC_EINVAL); /* err is optional */
  /* Not NUL-terminated: only n bytes are read. */
  assert_int_equal(lc_parse_duration("2sXYZ", 2, &us, NULL), 0);
  assert_true(us == 2000000);
}

static void sizes_use_1024(void **state) {
  (void)state;
  static const struct {
    const char *in;
    uint64_t bytes;
  } good[] = {
      {"512", 512},          {"64KB", 65536},          {"1MB", 1048576},
      {"1GB", 1073741824},   {"64KiB", 65536},         {"2MiB", 2097152},
      {"1kb", 1024},         {"10B", 10},              {"1.5MB", 1572864},
      {"1TB", 1099511627776}, {"0", 0},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(good); i++) {
    uint64_t b = 0;
    struct lc_unit_error err;
    int rc = lc_parse_size(good[i].in, strlen(good[i].in), &b, &err);
    if (rc != 0) fail_msg("%s: %s", good[i].in, err.message);
    assert_true(b == good[i].bytes);
  }
  static const struct bad bad[] = {
      {"", 0, "expected a size (like 512, 64KB or 1MB), got an empty value"},
      {"-1KB", 0, "invalid size '-1KB': sizes cannot be negative"},
      {"5XB", 1, "invalid size '5XB': unknown unit 'XB' (use B, KB, MB, GB or TB, where 1 KB = "
                 "1 KiB = 1024 bytes)"},
      {"KB", 0, "invalid size 'KB': expected a number of bytes, then a unit (B, KB, MB, GB or TB, "
                "where 1 KB = 1 KiB = 1024 bytes)"},
      {"20000000TB", 0, "invalid size '20000000TB': too large"},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    uint64_t b = 0;
    struct lc_unit_error err;
    assert_int_equal(lc_parse_size(bad[i].in, strlen(bad[i].in), &b, &err), LC_EINVAL);
    assert_string_equal(err.message, bad[i].message);
    assert_int_equal(err.offset, bad[i].offset);
  }
}

static void rates_and_percentages(void **state) {
  (void)state;
  double v = -1;
  assert_int_equal(lc_parse_rate("10/s", 4, &v, NULL), 0);
  assert_true(v == 10.0);
  assert_int_equal(lc_parse_rate("600/m", 5, &v, NULL), 0);
  assert_true(v == 10.0);
  assert_int_equal(lc_parse_rate("36/h", 4, &v, NULL), 0);
  assert_true(v == 0.01);
  assert_int_equal(lc_parse_rate("2.5", 3, &v, NULL), 0);
  assert_true(v == 2.5);
  assert_int_equal(lc_parse_percent("1%", 2, &v, NULL), 0);
  assert_true(v == 0.01);
  assert_int_equal(lc_parse_percent("0.5%", 4, &v, NULL), 0);
  assert_true(v == 0.005);
  assert_int_equal(lc_parse_percent("100%", 4, &v, NULL), 0);
  assert_true(v == 1.0);
  static const struct {
    int (*fn)(const char *, size_t, double *, struct lc_unit_error *);
    struct bad b;
  } bad[] = {
      {lc_parse_rate, {"10/x", 2, "invalid rate '10/x': unknown unit '/x' (use /s, /m or /h)"}},
      {lc_parse_rate, {"-1/s", 0, "invalid rate '-1/s': rates cannot be negative"}},
      {lc_parse_rate, {"/s", 0, "invalid rate '/s': expected a number, then /s, /m or /h"}},
      {lc_parse_rate, {"", 0, "expected a rate (like 10/s or 600/m), got an empty value"}},
      {lc_parse_percent, {"1", 1, "invalid percentage '1': a '%' is missing (like 1% or 0.5%)"}},
      {lc_parse_percent, {"150%", 0, "invalid percentage '150%': more than 100%"}},
      {lc_parse_percent, {"-1%", 0, "invalid percentage '-1%': percentages cannot be negative"}},
      {lc_parse_percent, {"1 %", 1, "invalid percentage '1 %': unexpected ' %' after the number"}},
      {lc_parse_percent, {"", 0, "expected a percentage (like 1% or 0.5%), got an empty value"}},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    struct lc_unit_error err;
    assert_int_equal(bad[i].fn(bad[i].b.in, strlen(bad[i].b.in), &v, &err), LC_EINVAL);
    assert_string_equal(err.message, bad[i].b.message);
    assert_int_equal(err.offset, bad[i].b.offset);
  }
}

static const char *no_env(const char *name, void *ctx) {
  (void)name;
  (void)ctx;
  return NULL;
}

static void node_readers_report_at_the_column(void **state) {
  (void)state;
  static const char yaml[] = "timeout: 1h5x\n"
                             "quoted: \"2m\"\n"
                             "wait: {between: [1s, 5s]}\n"
                             "size: &s 64KB\n"
                             "max: *s\n"
                             "bad: *s\n"
                             "rate: 10/m\n"
                             "err: 1.5%\n"
                             "none:\n"
                             "nul: ~\n"
                             "late: ${T:-2s}x\n";
  struct lc_diags *d = lc_diags_new(0);
  struct lc_load_opts o = {no_env, NULL, 0, 0, 0};
  struct lc_doc *doc = lc_doc_load_string("u.yaml", yaml, sizeof yaml - 1, &o, d);
  assert_non_null(doc);
  const struct lc_node *r = lc_doc_root(doc);
  int64_t us = 0;
  uint64_t bytes = 0;
  double v = 0;
  assert_int_equal(lc_node_read_duration(lc_node_get(r, "timeout", NULL), d, &us), LC_EINVAL);
  assert_int_equal(lc_node_read_duration(lc_node_get(r, "quoted", NULL), d, &us), 0);
  assert_true(us == 120000000);
  assert_int_equal(lc_node_read_duration(lc_node_get(r, "wait", NULL), d, &us), LC_EINVAL);
  assert_int_equal(lc_node_read_size(lc_node_get(r, "max", NULL), d, &bytes), 0);
  assert_true(bytes == 65536);
  assert_int_equal(lc_node_read_rate(lc_node_get(r, "bad", NULL), d, &v), LC_EINVAL);
  assert_int_equal(lc_node_read_rate(lc_node_get(r, "rate", NULL), d, &v), 0);
  assert_true(v > 0.1666 && v < 0.1667);
  assert_int_equal(lc_node_read_percent(lc_node_get(r, "err", NULL), d, &v), 0);
  assert_true(v == 0.015);
  assert_int_equal(lc_node_read_duration(lc_node_get(r, "none", NULL), d, &us), LC_EINVAL);
  assert_int_equal(lc_node_read_duration(lc_node_get(r, "nul", NULL), d, &us), LC_EINVAL);
  assert_int_equal(lc_node_read_duration(lc_node_get(r, "late", NULL), d, &us), LC_EINVAL);
  assert_int_equal(lc_node_read_duration(lc_node_get(r, "late", NULL), NULL, &us), LC_EINVAL);
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  lc_diags_print(d, f, LC_DIAG_TEXT);
  fclose(f);
  assert_string_equal(out,
                      "u.yaml:1:13: error: invalid duration '1h5x': unknown unit 'x' (use h, m, "
                      "s, ms or us)\n"
                      "timeout: 1h5x\n"
                      "            ^\n"
                      "u.yaml:3:7: error: expected a duration, got a mapping\n"
                      "wait: {between: [1s, 5s]}\n"
                      "      ^\n"
                      "u.yaml:6:6: error: invalid rate '64KB': unknown unit 'KB' (use /s, /m or "
                      "/h)\n"
                      "bad: *s\n"
                      "     ^\n"
                      "u.yaml:9:6: error: expected a duration (like 250ms, 1.5s or 1h30m), got "
                      "an empty value\n"
                      "none:\n"
                      "     ^\n"
                      "u.yaml:10:6: error: expected a duration, got null\n"
                      "nul: ~\n"
                      "     ^\n"
                      /* The unit starts inside substituted text: at its ${. */
                      "u.yaml:11:7: error: invalid duration '2sx': unknown unit 'sx' (use h, m, "
                      "s, ms or us)\n"
                      "late: ${T:-2s}x\n"
                      "      ^\n");
  free(out);
  lc_doc_free(doc);
  lc_diags_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(durations_parse_exactly),
      cmocka_unit_test(durations_refuse_with_messages),
      cmocka_unit_test(sizes_use_1024),
      cmocka_unit_test(rates_and_percentages),
      cmocka_unit_test(node_readers_report_at_the_column),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
