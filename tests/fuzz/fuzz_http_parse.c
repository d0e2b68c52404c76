/* fuzz_http_parse.c: libFuzzer target over the fast client's response parser
 * (engine/http_parse.c) and, with the headers it yields, the cookie jar (engine/cookies.c): any
 * bytes, fed in pieces whose sizes the input's first byte picks, must give events within the
 * parser's contract (bodies inside the input, used bytes counted right, headers inside the
 * caller's buffer), never a crash, a leak or undefined behaviour. Build with -DLC_FUZZ=ON and
 * clang; see docs/testing.md for a long run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cookies.h"
#include "engine/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok) {
  if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  size_t piece = (size_t)(data[0] & 0x3f) + 1; /* 1-64 bytes per feed */
  bool head_request = data[0] & 0x40;
  bool eof = data[0] & 0x80;
  const char *in = (const char *)data + 1;
  size_t len = size - 1;
  char head[512];
  struct lc_http_header hdrs[16];
  struct lc_resp_parser p;
  lc_resp_parser_init(&p, head, sizeof head, hdrs, 16, head_request);
  struct lc_cookie_jar *jar = lc_cookie_jar_new();
  enum lc_resp_event ev = LC_RESP_AGAIN;
  size_t at = 0;
  uint64_t body = 0;
  while (ev == LC_RESP_AGAIN && at < len) {
    size_t step = len - at < piece ? len - at : piece, n = step;
    const char *cur = in + at;
    for (;;) {
      size_t used;
      const char *b;
      size_t bl;
      ev = lc_resp_parser_feed(&p, cur, n, &used, &b, &bl);
      check(used <= n);
      if (ev == LC_RESP_BODY) check(bl > 0 && b >= cur && b + bl == cur + used);
      cur += used;
      n -= used;
      if (ev == LC_RESP_HEADERS) {
        check(p.status >= 200 && p.status <= 599 && p.nheaders <= 16);
        for (size_t i = 0; i < p.nheaders; i++) {
          check(hdrs[i].name >= head && hdrs[i].name < head + sizeof head);
          check(hdrs[i].value >= head && hdrs[i].value < head + sizeof head);
          if (strcmp(hdrs[i].name, "Set-Cookie") == 0)
            lc_cookie_jar_set(jar, "www.example.com", "/a/b", false, hdrs[i].value, 1700000000);
        }
      } else if (ev == LC_RESP_BODY) {
        body += bl;
      } else {
        break;
      }
    }
    if (ev == LC_RESP_AGAIN) check(n == 0);
    at += step;
  }
  check(body <= len);
  if (ev == LC_RESP_AGAIN && eof) ev = lc_resp_parser_eof(&p);
  if (ev == LC_RESP_ERROR) check(p.error != NULL);
  struct lc_buf out;
  lc_buf_init(&out, 4096);
  lc_cookie_jar_header(jar, "www.example.com", "/a/b/c", false, 1700000001, &out);
  lc_buf_release(&out);
  lc_cookie_jar_free(jar);
  return 0;
}
