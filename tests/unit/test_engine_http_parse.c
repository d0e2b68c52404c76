/* test_engine_http_parse.c: the fast client's response parser (engine/http_parse.c): every
 * split point of a few responses gives the same events, framing (Content-Length, chunked with
 * extensions and trailers, close-delimited, HEAD, 204/304), interim 1xx responses, connection
 * reuse rules, limits, and malformed inputs with their messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"
#include "engine/http_parse.h"

/* What feeding a response gave. */
struct out {
  enum lc_resp_event last; /* LC_RESP_DONE, LC_RESP_ERROR, or LC_RESP_AGAIN if unfinished */
  int headers_events;
  int status;
  bool keep_alive;
  char heads[1024];        /* "name: value\n" each */
  char body[4096];
  size_t body_len;
  size_t left;             /* bytes after the response, unused */
  const char *error;
};

struct fixture {
  char head[512];
  struct lc_http_header hdrs[8];
  struct lc_resp_parser p;
};

/* Feeds data in pieces cut at the given offsets (ascending), then EOF if eof. */
static void run(struct fixture *fx, const char *data, size_t len, const size_t *cuts,
                size_t ncuts, bool head_request, bool eof, struct out *o) {
  memset(o, 0, sizeof *o);
  lc_resp_parser_init(&fx->p, fx->head, sizeof fx->head, fx->hdrs, LC_ARRAY_LEN(fx->hdrs),
                      head_request);
  size_t from = 0;
  enum lc_resp_event ev = LC_RESP_AGAIN;
  for (size_t c = 0; c <= ncuts && ev == LC_RESP_AGAIN; c++) {
    size_t to = c < ncuts ? cuts[c] : len;
    const char *p = data + from;
    size_t n = to - from;
    from = to;
    for (;;) {
      size_t used;
      const char *b;
      size_t bl;
      ev = lc_resp_parser_feed(&fx->p, p, n, &used, &b, &bl);
      assert_true(used <= n);
      p += used;
      n -= used;
      if (ev == LC_RESP_HEADERS) {
        o->headers_events++;
        o->status = fx->p.status;
        for (size_t i = 0; i < fx->p.nheaders; i++) {
          size_t at = strlen(o->heads);
          snprintf(o->heads + at, sizeof o->heads - at, "%s: %s\n", fx->hdrs[i].name,
                   fx->hdrs[i].value);
        }
      } else if (ev == LC_RESP_BODY) {
        assert_true(bl > 0);
        assert_true(o->body_len + bl < sizeof o->body);
        memcpy(o->body + o->body_len, b, bl);
        o->body_len += bl;
      } else {
        break;
      }
    }
    if (ev == LC_RESP_AGAIN) assert_int_equal(n, 0);
    if (ev == LC_RESP_DONE) o->left = n + (len - from);
  }
  if (ev == LC_RESP_AGAIN && eof) ev = lc_resp_parser_eof(&fx->p);
  o->last = ev;
  o->keep_alive = fx->p.keep_alive;
  o->error = ev == LC_RESP_ERROR ? fx->p.error : NULL;
}

static void assert_same(const struct out *a, const struct out *b) {
  assert_int_equal(a->last, b->last);
  assert_int_equal(a->headers_events, b->headers_events);
  assert_int_equal(a->status, b->status);
  assert_int_equal(a->keep_alive, b->keep_alive);
  assert_string_equal(a->heads, b->heads);
  assert_int_equal(a->body_len, b->body_len);
  assert_memory_equal(a->body, b->body, a->body_len);
  assert_int_equal(a->left, b->left);
  if (a->error) assert_string_equal(a->error, b->error);
}

/* Every split in two pieces, every split in three around the middle, and byte by byte give
 * what one piece gives. */
static void check_splits(const char *data, bool head_request, bool eof, const struct out *want) {
  struct fixture fx;
  struct out whole, o;
  size_t len = strlen(data);
  run(&fx, data, len, NULL, 0, head_request, eof, &whole);
  assert_same(&whole, want);
  for (size_t i = 0; i <= len; i++) {
    run(&fx, data, len, &i, 1, head_request, eof, &o);
    assert_same(&o, want);
    size_t cuts[2] = {i, i + (len - i) / 2};
    run(&fx, data, len, cuts, 2, head_request, eof, &o);
    assert_same(&o, want);
  }
  size_t *all = lc_xmalloc((len + 1) * sizeof *all);
  for (size_t i = 0; i < len; i++) all[i] = i + 1;
  run(&fx, data, len, all, len ? len - 1 : 0, head_request, eof, &o);
  free(all);
  assert_same(&o, want);
}

static struct out expect(enum lc_resp_event last, int status, bool ka, const char *heads,
                         const char *body, size_t left) {
  struct out o;
  memset(&o, 0, sizeof o);
  o.last = last;
  o.headers_events = status ? 1 : 0;
  o.status = status;
  o.keep_alive = ka;
  snprintf(o.heads, sizeof o.heads, "%s", heads);
  o.body_len = strlen(body);
  memcpy(o.body, body, o.body_len);
  o.left = left;
  return o;
}

static void content_length(void **state) {
  (void)state;
  struct out w = expect(LC_RESP_DONE, 200, true,
                        "Server: x\nContent-Length: 5\nX-Folded: a b\n", "hello", 0);
  check_splits("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length:   5  \r\nX-Folded: a\r\n"
               "   b\r\n\r\nhello", false, false, &w);
  /* bare LF line ends; bytes after the response are left */
  w = expect(LC_RESP_DONE, 404, true, "Content-Length: 2\n", "no", 4);
  check_splits("HTTP/1.1 404 Not Found\nContent-Length: 2\n\nnoHTTP", false, false, &w);
  /* no reason phrase; Content-Length 0 */
  w = expect(LC_RESP_DONE, 200, true, "content-length: 0\n", "", 0);
  check_splits("HTTP/1.1 200\r\ncontent-length: 0\r\n\r\n", false, false, &w);
}

static void chunked(void **state) {
  (void)state;
  struct out w = expect(LC_RESP_DONE, 200, true, "Transfer-Encoding: chunked\n",
                        "hello, world!!", 0);
  check_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nhello\r\n7;ext=1;q=\"x\"\r\n, world\r\n2 \r\n!!\r\n0\r\n"
               "X-Trailer: yes\r\nX-More: 1\r\n\r\n",
               false, false, &w);
  /* no trailers, hex in both cases, bare LF */
  w = expect(LC_RESP_DONE, 200, true, "Transfer-Encoding: gzip, chunked\n",
             "0123456789abcdefghijklmnopqrstuvwxyz0123", 0);
  check_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
               "1a\r\n0123456789abcdefghijklmnop\nE\nqrstuvwxyz0123\r\n0\n\n", false, false, &w);
}

static void close_delimited(void **state) {
  (void)state;
  struct out w = expect(LC_RESP_DONE, 200, false, "Content-Type: text/plain\n",
                        "until the end", 0);
  check_splits("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", false, true,
               &w);
  /* a transfer coding other than chunked last: read to the close */
  w = expect(LC_RESP_DONE, 200, false, "Transfer-Encoding: chunked, gzip\nContent-Length: 2\n",
             "abcdef", 0);
  check_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\n"
               "abcdef", false, true, &w);
}

static void no_body(void **state) {
  (void)state;
  struct out w = expect(LC_RESP_DONE, 200, true, "Content-Length: 20\n", "", 0);
  check_splits("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n", true, false, &w);
  w = expect(LC_RESP_DONE, 204, true, "Content-Length: 20\n", "", 0);
  check_splits("HTTP/1.1 204 No Content\r\nContent-Length: 20\r\n\r\n", false, false, &w);
  w = expect(LC_RESP_DONE, 304, true, "ETag: \"x\"\n", "", 0);
  check_splits("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", false, false, &w);
}

static void interim(void **state) {
  (void)state;
  struct out w = expect(LC_RESP_DONE, 201, true, "Content-Length: 3\n", "yes", 0);
  check_splits("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
               "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nyes", false, false, &w);
  /* an empty line before the status line is ignored */
  check_splits("\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nyes", false, false, &w);
}

static void connection(void **state) {
  (void)state;
  struct out w = expect(LC_RESP_DONE, 200, false, "Connection: close\nContent-Length: 1\n", "x",
                        0);
  check_splits("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", false,
               false, &w);
  w = expect(LC_RESP_DONE, 200, false, "Content-Length: 1\n", "x", 0);
  check_splits("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false, false, &w);
  w = expect(LC_RESP_DONE, 200, true, "Connection: Keep-Alive\nContent-Length: 1\n", "x", 0);
  check_splits("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", false,
               false, &w);
  w = expect(LC_RESP_DONE, 200, false, "Connection: upgrade, CLOSE\nContent-Length: 1\n", "x", 0);
  check_splits("HTTP/1.1 200 OK\r\nConnection: upgrade, CLOSE\r\nContent-Length: 1\r\n\r\nx",
               false, false, &w);
}

/* Bytes that must fail, and with which message. */
static void malformed(void **state) {
  (void)state;
  static const struct {
    const char *in;
    const char *msg;
  } cases[] = {
      {"HTTP/1.1 2x0 Garbage\r\nthis line is not a header\r\n\r\n", "malformed status line"},
      {"HTTP/2 200 OK\r\n\r\n", "malformed status line"},
      {"HTTP/1.1 20\r\n\r\n", "malformed status line"},
      {"HTTP/1.1 200OK\r\n\r\n", "malformed status line"},
      {"HTTP/1.1 600 Bad\r\n\r\n", "malformed status line"},
      {"hello\r\n", "malformed status line"},
      {"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\n folded first\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "invalid content-length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid content-length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       "invalid content-length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "invalid chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", "invalid chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
       "invalid chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\rx", "invalid chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
       "missing CRLF after chunk data"},
      {"HTTP/1.1 101 Switching Protocols\r\n\r\n", "unexpected 101 switching protocols"},
      {"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n"
       "I: 9\r\n\r\n",
       "too many response headers"},
  };
  struct fixture fx;
  struct out o;
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    size_t len = strlen(cases[i].in);
    for (size_t cut = 0; cut <= len; cut++) {
      run(&fx, cases[i].in, len, &cut, 1, false, false, &o);
      assert_int_equal(o.last, LC_RESP_ERROR);
      assert_string_equal(o.error, cases[i].msg);
      /* and it stays failed */
      size_t used;
      const char *b;
      size_t bl;
      assert_int_equal(lc_resp_parser_feed(&fx.p, "x", 1, &used, &b, &bl), LC_RESP_ERROR);
    }
  }
}

static void limits(void **state) {
  (void)state;
  struct fixture fx;
  struct out o;
  /* header bytes past the buffer (512 bytes here) */
  char big[1024];
  snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nX-Long: %0600d\r\n\r\n", 7);
  run(&fx, big, strlen(big), NULL, 0, false, false, &o);
  assert_int_equal(o.last, LC_RESP_ERROR);
  assert_string_equal(o.error, "response headers too large");
  /* a status line alone past it */
  snprintf(big, sizeof big, "HTTP/1.1 200 %0600d\r\n\r\n", 7);
  run(&fx, big, strlen(big), NULL, 0, false, false, &o);
  assert_string_equal(o.error, "response headers too large");
  /* trailers past it */
  char tr[1200];
  snprintf(tr, sizeof tr, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: %0600d\r\n\r\n",
           1);
  run(&fx, tr, strlen(tr), NULL, 0, false, false, &o);
  assert_string_equal(o.error, "response trailers too large");
  /* chunk extensions past 4096 bytes */
  size_t n = 8000;
  char *ext = lc_xmalloc(n + 200);
  int at = snprintf(ext, n + 200, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  memset(ext + at, 'e', n);
  ext[at + n] = '\0';
  run(&fx, ext, strlen(ext), NULL, 0, false, false, &o);
  assert_string_equal(o.error, "chunk extension too long");
  free(ext);
  /* the largest chunk size (16 hex digits) is accepted */
  static const char huge[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff0\r\nab";
  run(&fx, huge, strlen(huge), NULL, 0, false, false, &o);
  assert_int_equal(o.last, LC_RESP_AGAIN);
  assert_int_equal(o.body_len, 2);
  assert_int_equal(fx.p.body_left, 0xfffffffffffffff0ull - 2);
}

/* What the end of the connection means at each point. */
static void eof(void **state) {
  (void)state;
  struct fixture fx;
  struct out o;
  run(&fx, "", 0, NULL, 0, false, true, &o);
  assert_int_equal(o.last, LC_RESP_ERROR);
  assert_false(lc_resp_parser_started(&fx.p));
  assert_string_equal(o.error, "connection closed without a response");
  static const char partial_head[] = "HTTP/1.1 200 OK\r\nContent-";
  run(&fx, partial_head, strlen(partial_head), NULL, 0, false, true, &o);
  assert_true(lc_resp_parser_started(&fx.p));
  assert_false(lc_resp_parser_has_headers(&fx.p));
  assert_string_equal(o.error, "connection closed before the end of the headers");
  static const char partial_body[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  run(&fx, partial_body, strlen(partial_body), NULL, 0, false, true, &o);
  assert_true(lc_resp_parser_has_headers(&fx.p));
  assert_int_equal(fx.p.body_left, 7);
  assert_string_equal(o.error, "connection closed before the end of the body");
  static const char partial_chunk[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
  run(&fx, partial_chunk, strlen(partial_chunk), NULL, 0, false, true, &o);
  assert_true(fx.p.chunked);
  assert_string_equal(o.error, "connection closed before the end of the body");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(content_length), cmocka_unit_test(chunked),
      cmocka_unit_test(close_delimited), cmocka_unit_test(no_body),
      cmocka_unit_test(interim),        cmocka_unit_test(connection),
      cmocka_unit_test(malformed),      cmocka_unit_test(limits),
      cmocka_unit_test(eof),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
