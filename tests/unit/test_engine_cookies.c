/* test_engine_cookies.c: the fast client's cookie jar (engine/cookies.c): Set-Cookie parsing,
 * domain and path matching, replacement, expiry by Max-Age and Expires, Secure, the order of
 * the Cookie header, and the date parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/base/base.h"
#include "engine/cookies.h"

#define NOW 1700000000 /* 2023-11-14T22:13:20Z */

/* The Cookie header for host and path at time now, as a static string. */
static const char *header(struct lc_cookie_jar *j, const char *host, const char *path,
                          bool secure, int64_t now) {
  static char out[1024];
  struct lc_buf b;
  lc_buf_init(&b, 0);
  int n = lc_cookie_jar_header(j, host, path, secure, now, &b);
  assert_true(n >= 0);
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  lc_buf_release(&b);
  return out;
}

static void basics(void **state) {
  (void)state;
  struct lc_cookie_jar *j = lc_cookie_jar_new();
  assert_string_equal(header(j, "example.com", "/", false, NOW), "");
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "a=1", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, " b = two words ; HttpOnly",
                                     NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "c=\"quoted\"", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "empty=", NOW), 0);
  assert_string_equal(header(j, "example.com", "/x", false, NOW),
                      "a=1; b=two words; c=quoted; empty=");
  /* replaced: same name, domain and path; the order of creation is the new one's */
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "a=3", NOW), 0);
  assert_string_equal(header(j, "example.com", "/", false, NOW),
                      "b=two words; c=quoted; empty=; a=3");
  assert_int_equal(lc_cookie_jar_count(j), 4);
  /* ignored */
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "novalue", NOW), LC_EINVAL);
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "=x", NOW), LC_EINVAL);
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "s=1; Secure", NOW), LC_EINVAL);
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false, "z=1\x01", NOW), LC_EINVAL);
  assert_int_equal(lc_cookie_jar_count(j), 4);
  /* host-only: not for other hosts, even sub-domains, nor case-sensitive */
  assert_string_equal(header(j, "www.example.com", "/", false, NOW), "");
  assert_string_equal(header(j, "EXAMPLE.com", "/", false, NOW),
                      "b=two words; c=quoted; empty=; a=3");
  lc_cookie_jar_free(j);
  lc_cookie_jar_free(NULL);
}

static void domains(void **state) {
  (void)state;
  struct lc_cookie_jar *j = lc_cookie_jar_new();
  assert_int_equal(lc_cookie_jar_set(j, "www.example.com", "/", false, "d=1; Domain=.Example.COM",
                                     NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "www.example.com", "/", false, "e=1; domain=other.com",
                                     NOW), LC_EINVAL);
  assert_int_equal(lc_cookie_jar_set(j, "www.example.com", "/", false, "f=1; domain=ample.com",
                                     NOW), LC_EINVAL);
  assert_int_equal(lc_cookie_jar_set(j, "example.com", "/", false,
                                     "g=1; domain=www.example.com", NOW), LC_EINVAL);
  assert_string_equal(header(j, "example.com", "/", false, NOW), "d=1");
  assert_string_equal(header(j, "a.b.example.com", "/", false, NOW), "d=1");
  assert_string_equal(header(j, "badexample.com", "/", false, NOW), "");
  /* an IP address only matches itself */
  assert_int_equal(lc_cookie_jar_set(j, "127.0.0.1", "/", false, "ip=1; Domain=0.0.1", NOW),
                   LC_EINVAL);
  assert_int_equal(lc_cookie_jar_set(j, "127.0.0.1", "/", false, "ip=2; Domain=127.0.0.1", NOW),
                   0);
  assert_string_equal(header(j, "127.0.0.1", "/", false, NOW), "ip=2");
  lc_cookie_jar_free(j);
}

static void paths(void **state) {
  (void)state;
  struct lc_cookie_jar *j = lc_cookie_jar_new();
  /* default path: the request path's directory */
  assert_int_equal(lc_cookie_jar_set(j, "h", "/shop/cart/add", false, "dflt=1", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/login", false, "root=1", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "p=1; Path=/shop", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "bad=1; Path=relative", NOW), 0);
  assert_string_equal(header(j, "h", "/shop/cart/add", false, NOW), "dflt=1; p=1; root=1; bad=1");
  assert_string_equal(header(j, "h", "/shop/cart", false, NOW), "dflt=1; p=1; root=1; bad=1");
  assert_string_equal(header(j, "h", "/shop/carts", false, NOW), "p=1; root=1; bad=1");
  assert_string_equal(header(j, "h", "/shopping", false, NOW), "root=1; bad=1");
  assert_string_equal(header(j, "h", "/shop", false, NOW), "p=1; root=1; bad=1");
  /* the same name at two paths: two cookies */
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "p=2; Path=/", NOW), 0);
  assert_string_equal(header(j, "h", "/shop/x", false, NOW), "p=1; root=1; bad=1; p=2");
  lc_cookie_jar_free(j);
}

static void expiry(void **state) {
  (void)state;
  struct lc_cookie_jar *j = lc_cookie_jar_new();
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "m=1; Max-Age=10", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false,
                                     "x=1; Expires=Wed, 15 Nov 2023 00:00:00 GMT", NOW), 0);
  /* Max-Age wins over Expires */
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false,
                                     "both=1; Max-Age=5; Expires=Wed, 15 Nov 2093 00:00:00 GMT",
                                     NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "keep=1; Max-Age=oops", NOW), 0);
  assert_string_equal(header(j, "h", "/", false, NOW), "m=1; x=1; both=1; keep=1");
  assert_string_equal(header(j, "h", "/", false, NOW + 6), "m=1; x=1; keep=1");
  assert_string_equal(header(j, "h", "/", false, NOW + 10), "x=1; keep=1");
  assert_int_equal(lc_cookie_jar_count(j), 2); /* expired ones are dropped */
  assert_string_equal(header(j, "h", "/", false, 1700006400), "keep=1");
  /* deleted by Max-Age=0, or by an Expires in the past */
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "a=1", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "b=1", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, "a=; Max-Age=0", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false,
                                     "b=; expires=Thu, 01 Jan 1970 00:00:00 GMT", NOW), 0);
  assert_string_equal(header(j, "h", "/", false, NOW), "keep=1");
  lc_cookie_jar_free(j);
}

static void secure(void **state) {
  (void)state;
  struct lc_cookie_jar *j = lc_cookie_jar_new();
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", true, "s=1; Secure", NOW), 0);
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", true, "p=1", NOW), 0);
  assert_string_equal(header(j, "h", "/", false, NOW), "p=1");
  assert_string_equal(header(j, "h", "/", true, NOW), "s=1; p=1");
  lc_cookie_jar_free(j);
}

static void limits(void **state) {
  (void)state;
  struct lc_cookie_jar *j = lc_cookie_jar_new();
  char sc[32];
  for (int i = 0; i < LC_COOKIES_MAX + 10; i++) {
    snprintf(sc, sizeof sc, "c%d=%d", i, i);
    assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, sc, NOW), 0);
  }
  assert_int_equal(lc_cookie_jar_count(j), LC_COOKIES_MAX);
  const char *h = header(j, "h", "/", false, NOW);
  assert_int_equal(strncmp(h, "c10=10; c11=11", 14), 0); /* the oldest went first */
  /* a Cookie header over the buffer's cap */
  struct lc_buf b;
  lc_buf_init(&b, 16);
  assert_int_equal(lc_cookie_jar_header(j, "h", "/", false, NOW, &b), LC_ETOOBIG);
  lc_buf_release(&b);
  char big[LC_COOKIE_MAX_LEN + 16];
  memset(big, 'v', sizeof big - 1);
  big[0] = 'k';
  big[1] = '=';
  big[sizeof big - 1] = '\0';
  assert_int_equal(lc_cookie_jar_set(j, "h", "/", false, big, NOW), LC_EINVAL);
  lc_cookie_jar_free(j);
}

static void dates(void **state) {
  (void)state;
  static const struct {
    const char *in;
    int64_t want;
  } ok[] = {
      {"Wed, 09 Jun 2021 10:18:14 GMT", 1623233894},
      {"Wednesday, 09-Jun-21 10:18:14 GMT", 1623233894},
      {"Wed Jun  9 10:18:14 2021", 1623233894},
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
      {"Sun, 29 Feb 2004 23:59:59 GMT", 1078099199},
      {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(ok); i++) {
    int64_t t = -1;
    assert_int_equal(lc_cookie_parse_date(ok[i].in, strlen(ok[i].in), &t), 0);
    assert_int_equal(t, ok[i].want);
  }
  static const char *const bad[] = {
      "", "yesterday", "Wed, 09 Jun 2021", "Wed, 32 Jun 2021 10:18:14 GMT",
      "Wed, 09 Foo 2021 10:18:14 GMT", "Wed, 09 Jun 1500 10:18:14 GMT",
      "Wed, 09 Jun 2021 25:18:14 GMT",
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    int64_t t;
    assert_int_equal(lc_cookie_parse_date(bad[i], strlen(bad[i]), &t), LC_EINVAL);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(basics), cmocka_unit_test(domains), cmocka_unit_test(paths),
      cmocka_unit_test(expiry), cmocka_unit_test(secure),  cmocka_unit_test(limits),
      cmocka_unit_test(dates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
