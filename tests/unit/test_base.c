/* test_base.c: unit tests for engine/base (buffers, suggestions, integer parsing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

static void buf_appends_and_caps(void **state) {
  (void)state;
  struct lc_buf b;
  lc_buf_init(&b, 8);
  assert_int_equal(lc_buf_puts(&b, "hello"), 0);
  assert_int_equal(lc_buf_puts(&b, "abcd"), LC_ETOOBIG);
  assert_string_equal(b.data, "hello");
  assert_int_equal(lc_buf_printf(&b, "%d", 123), 0);
  assert_string_equal(b.data, "hello123");
  lc_buf_consume(&b, 5);
  assert_string_equal(b.data, "123");
  assert_int_equal(b.len, 3);
  lc_buf_release(&b);
}

static void buf_grows_past_small_sizes(void **state) {
  (void)state;
  struct lc_buf b;
  lc_buf_init(&b, 0);
  for (int i = 0; i < 1000; i++) assert_int_equal(lc_buf_printf(&b, "%04d", i), 0);
  assert_int_equal(b.len, 4000);
  assert_memory_equal(b.data + 3996, "0999", 4);
  char *s = lc_buf_steal(&b);
  assert_null(b.data);
  free(s);
}

static void buf_json_string_escapes(void **state) {
  (void)state;
  struct lc_buf b;
  lc_buf_init(&b, 0);
  const char in[] = "a\"b\\c\nd\x01";
  assert_int_equal(lc_buf_json_string(&b, in, sizeof in - 1), 0);
  assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\u0001\"");
  lc_buf_release(&b);
  lc_buf_init(&b, 4);
  assert_int_equal(lc_buf_json_string(&b, "abcdef", 6), LC_ETOOBIG);
  assert_int_equal(b.len, 0);
  lc_buf_release(&b);
}

static void suggest_finds_near_words(void **state) {
  (void)state;
  static const char *const cmds[] = {"run", "check", "graph", "schema", "serve", NULL};
  assert_string_equal(lc_suggest("chek", cmds), "check");
  assert_string_equal(lc_suggest("serv", cmds), "serve");
  assert_string_equal(lc_suggest("grahp", cmds), "graph");
  assert_null(lc_suggest("banana", cmds));
  assert_int_equal(lc_edit_distance("think_time", "thinktime"), 1);
  assert_int_equal(lc_edit_distance("", "abc"), 3);
}

static void parse_uint_is_strict(void **state) {
  (void)state;
  uint64_t v = 0;
  assert_int_equal(lc_parse_uint("600000", 6, 600000, &v), 0);
  assert_int_equal(v, 600000);
  assert_int_equal(lc_parse_uint("600001", 6, 600000, &v), LC_EINVAL);
  assert_int_equal(lc_parse_uint("12a", 3, 1000, &v), LC_EINVAL);
  assert_int_equal(lc_parse_uint("", 0, 1000, &v), LC_EINVAL);
  assert_int_equal(lc_parse_uint("-1", 2, 1000, &v), LC_EINVAL);
  assert_int_equal(lc_parse_uint("99999999999999999999", 20, UINT64_MAX, &v), LC_EINVAL);
}

static void arena_allocates_aligned_zeroed_memory(void **state) {
  (void)state;
  struct lc_arena a;
  lc_arena_init(&a);
  char *prev = NULL;
  for (int i = 0; i < 5000; i++) {
    char *p = lc_arena_alloc(&a, (size_t)(i % 37) + 1);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    for (int k = 0; k < (i % 37) + 1; k++) assert_int_equal(p[k], 0);
    memset(p, 0xab, (size_t)(i % 37) + 1);
    assert_ptr_not_equal(p, prev);
    prev = p;
  }
  char *big = lc_arena_alloc(&a, 100000);
  memset(big, 1, 100000);
  char *after = lc_arena_alloc(&a, 8);
  assert_true(after < big || after >= big + 100000);
  assert_string_equal(lc_arena_strdup(&a, "plan"), "plan");
  assert_string_equal(lc_arena_strndup(&a, "planet", 4), "plan");
  lc_arena_release(&a);
  assert_null(a.head);
}

static void memmem_finds_needles(void **state) {
  (void)state;
  const char hay[] = "abcabcabd";
  assert_ptr_equal(lc_memmem(hay, 9, "abd", 3), hay + 6);
  assert_ptr_equal(lc_memmem(hay, 9, "abc", 3), hay);
  assert_null(lc_memmem(hay, 9, "abe", 3));
  assert_null(lc_memmem(hay, 2, "abc", 3));
  assert_ptr_equal(lc_memmem(hay, 9, "", 0), hay);
  assert_null(lc_memmem(hay, 8, "abd", 3));
}

static void quote_shortens_and_cleans(void **state) {
  (void)state;
  char buf[128];
  assert_string_equal(lc_quote(buf, sizeof buf, "abc", 3), "'abc'");
  assert_string_equal(lc_quote(buf, sizeof buf, "a\nb", 3), "'a?b'");
  const char *long_text = "0123456789012345678901234567890123456789xyz";
  assert_string_equal(lc_quote(buf, sizeof buf, long_text, strlen(long_text)),
                      "'0123456789012345678901234567890123456789...'");
  assert_string_equal(lc_quote(buf, 4, "abc", 3), "");
  struct lc_buf b;
  lc_buf_init(&b, 10);
  assert_int_equal(lc_buf_reserve(&b, 10), 0);
  assert_true(b.cap >= 11);
  assert_int_equal(b.len, 0);
  assert_int_equal(lc_buf_reserve(&b, 11), LC_ETOOBIG);
  lc_buf_release(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(buf_appends_and_caps),
      cmocka_unit_test(buf_grows_past_small_sizes),
      cmocka_unit_test(buf_json_string_escapes),
      cmocka_unit_test(suggest_finds_near_words),
      cmocka_unit_test(parse_uint_is_strict),
      cmocka_unit_test(arena_allocates_aligned_zeroed_memory),
      cmocka_unit_test(memmem_finds_needles),
      cmocka_unit_test(quote_shortens_and_cleans),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
