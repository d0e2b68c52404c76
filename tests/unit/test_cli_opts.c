/* test_cli_opts.c: unit tests for the command-line option parser (cmd/opts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/opts.h"

enum { O_PORT = 1, O_QUIET, O_VERBOSE, O_SINGLE };

static const struct lc_opt table[] = {
    {O_PORT, "port", 'p', LC_OPT_VALUE, "N", "port"},
    {O_QUIET, "quiet", 'q', LC_OPT_FLAG, NULL, "quiet"},
    {O_VERBOSE, "verbose", 'v', LC_OPT_FLAG, NULL, "verbose"},
    {O_SINGLE, "single-user", 0, LC_OPT_OPTIONAL, "CLASS", "one user"},
    {0},
};

/* Parses argv (NULL-terminated words after the command) and renders the result as text:
 * "port=8080 quiet pos=x" or "... ERROR", with error messages captured in err. */
static void parse(const char *const *words, char *out, size_t outn, char *err, size_t errn) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = (char *)"cmd";
  for (; *words; words++) argv[argc++] = (char *)*words;
  FILE *e = fmemopen(err, errn, "w");
  struct lc_opts p;
  lc_opts_init(&p, "loadc test", table, argc, argv, 1);
  p.err = e;
  out[0] = '\0';
  const char *v;
  int id;
  size_t len = 0;
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    const char *name = id == LC_OPT_POSITIONAL ? "pos" : id == LC_OPT_ERROR ? "ERROR" : table[id - 1].name;
    len += (size_t)snprintf(out + len, outn - len, "%s%s%s%s", len ? " " : "", name, v ? "=" : "",
                            v ? v : "");
    if (id == LC_OPT_ERROR) break;
  }
  fclose(e);
}

#define EXPECT(out_want, ...)                                          \
  do {                                                                 \
    static const char *const w_[] = {__VA_ARGS__, NULL};               \
    char o_[256], e_[256] = "";                                        \
    parse(w_, o_, sizeof o_, e_, sizeof e_);                           \
    assert_string_equal(o_, out_want);                                 \
  } while (0)

static void long_and_short_forms(void **state) {
  (void)state;
  EXPECT("port=80", "--port", "80");
  EXPECT("port=80", "--port=80");
  EXPECT("port=80", "-p", "80");
  EXPECT("port=80", "-p80");
  EXPECT("quiet verbose", "-qv");
  EXPECT("quiet port=9", "-qp9");
  EXPECT("pos=a.yaml quiet pos=b", "a.yaml", "-q", "b");
  EXPECT("pos=- pos=--quiet", "-", "--", "--quiet");
}

static void optional_values(void **state) {
  (void)state;
  EXPECT("single-user pos=Shopper", "--single-user", "Shopper");
  EXPECT("single-user=Shopper", "--single-user=Shopper");
}

static void errors_suggest(void **state) {
  (void)state;
  static const char *const w1[] = {"--prot", "1", NULL};
  char o[256], e[256] = "";
  parse(w1, o, sizeof o, e, sizeof e);
  assert_string_equal(o, "ERROR");
  assert_string_equal(e, "loadc test: unknown option '--prot' (did you mean '--port'?)\n");

  static const char *const w2[] = {"--port", NULL};
  parse(w2, o, sizeof o, e, sizeof e);
  assert_string_equal(e, "loadc test: option '--port' needs a value (N)\n");

  static const char *const w3[] = {"--quiet=1", NULL};
  parse(w3, o, sizeof o, e, sizeof e);
  assert_string_equal(e, "loadc test: option '--quiet' takes no value\n");

  static const char *const w4[] = {"-x", NULL};
  parse(w4, o, sizeof o, e, sizeof e);
  assert_string_equal(e, "loadc test: unknown option '-x'\n");

  static const char *const w5[] = {"--zzzzzzzz", NULL};
  parse(w5, o, sizeof o, e, sizeof e);
  assert_string_equal(e, "loadc test: unknown option '--zzzzzzzz'\n");
}

static void integers_are_checked(void **state) {
  (void)state;
  char e[256] = "";
  FILE *f = fmemopen(e, sizeof e, "w");
  struct lc_opts p;
  lc_opts_init(&p, "loadc test", table, 0, NULL, 0);
  p.err = f;
  long long v = 0;
  assert_int_equal(lc_opts_int(&p, "port", "8080", 0, 65535, &v), 0);
  assert_int_equal(v, 8080);
  assert_int_equal(lc_opts_int(&p, "port", "70000", 0, 65535, &v), -1);
  assert_int_equal(lc_opts_int(&p, "port", "80x", 0, 65535, &v), -1);
  fclose(f);
  assert_string_equal(e, "loadc test: option '--port': 70000 is out of range (0 to 65535)\n"
                         "loadc test: option '--port': expected an integer, got '80x'\n");
}

static void help_lists_every_option(void **state) {
  (void)state;
  char buf[1024] = "";
  FILE *f = fmemopen(buf, sizeof buf, "w");
  lc_opts_print_help(f, table);
  fclose(f);
  assert_non_null(strstr(buf, "  -p, --port N "));
  assert_non_null(strstr(buf, "      --single-user[=CLASS] "));
  assert_non_null(strstr(buf, "  -q, --quiet "));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(long_and_short_forms),
      cmocka_unit_test(optional_values),
      cmocka_unit_test(errors_suggest),
      cmocka_unit_test(integers_are_checked),
      cmocka_unit_test(help_lists_every_option),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
