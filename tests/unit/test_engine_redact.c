/* test_engine_redact.c: unit tests for engine/redact: secrets of a plan replaced in messages
 * (every occurrence, longest first, numbers too), short and non-secret values left alone, and
 * the credential headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "engine/redact.h"

static struct lc_variable var(const char *name, const char *value, bool secret) {
  struct lc_variable v;
  memset(&v, 0, sizeof v);
  v.name = name;
  v.value.kind = LC_VALUE_STRING;
  v.value.str = value;
  v.value.len = strlen(value);
  v.secret = secret;
  return v;
}

static void redacts_secrets(void **state) {
  (void)state;
  struct lc_variable vars[5] = {var("key", "s3cr3t", true), var("long", "s3cr3t-and-more", true),
                                var("page", "s3cr3t", false), var("pin", "42", true),
                                var("num", "", true)};
  vars[4].value.kind = LC_VALUE_NUMBER;
  vars[4].value.number = 123456;
  struct lc_plan plan;
  memset(&plan, 0, sizeof plan);
  plan.variables = vars;
  plan.nvariables = 5;
  struct lc_redactor *r = lc_redactor_new(&plan);
  assert_non_null(r);
  char m[] = "bad key s3cr3t (s3cr3t-and-more), id 123456, pin 42, again s3cr3t";
  assert_true(lc_redact(r, m));
  assert_string_equal(m, "bad key *** (***), id ***, pin 42, again ***");
  char clean[] = "nothing to hide";
  assert_false(lc_redact(r, clean));
  assert_string_equal(clean, "nothing to hide");
  lc_redactor_free(r);

  plan.nvariables = 0; /* no secret: no redactor, and NULL is accepted */
  assert_null(lc_redactor_new(&plan));
  char m2[] = "s3cr3t";
  assert_false(lc_redact(NULL, m2));
}

static void credential_headers(void **state) {
  (void)state;
  assert_true(lc_redact_header_is_sensitive("Authorization"));
  assert_true(lc_redact_header_is_sensitive("proxy-authorization"));
  assert_true(lc_redact_header_is_sensitive("COOKIE"));
  assert_true(lc_redact_header_is_sensitive("Set-Cookie"));
  assert_false(lc_redact_header_is_sensitive("Content-Type"));
  assert_false(lc_redact_header_is_sensitive(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(redacts_secrets),
      cmocka_unit_test(credential_headers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
