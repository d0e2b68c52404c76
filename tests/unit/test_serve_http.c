/* test_serve_http.c: unit tests for the request parser of `loadc serve` (cmd/serve/http_req.c)
 * and its text codecs (cmd/serve/decode.c): framing, limits, malformed input, requests split at
 * every byte, pipelining, query and cookie decoding, JSON strings from arbitrary bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/serve/http_req.h"
#include "cmd/serve/serve_int.h"

#define S(lit) lit, sizeof(lit) - 1

/* The request struct is large: one per test run, passed as cmocka state. */
static int setup(void **state) {
  *state = lc_xmalloc(sizeof(struct lc_http_req));
  return 0;
}

static int teardown(void **state) {
  free(*state);
  return 0;
}

/* Parses raw[0..n) from a private copy (the parser rewrites chunked bodies in place), all
 * bytes at once, going on after LC_HTTP_CONTINUE. Returns the result; *buf keeps the copy
 * (the request points into it) for the caller to free. */
static int parse_copy(const char *raw, size_t n, struct lc_http_req *req, char **buf) {
  struct lc_http_parser p;
  lc_http_parser_init(&p);
  *buf = lc_xmalloc(n ? n : 1);
  memcpy(*buf, raw, n);
  int rc = lc_http_parse(&p, *buf, n, req);
  if (rc == LC_HTTP_CONTINUE) rc = lc_http_parse(&p, *buf, n, req);
  return rc;
}

static int parse_status(const char *raw, size_t n, struct lc_http_req *req) {
  char *buf;
  int rc = parse_copy(raw, n, req, &buf);
  free(buf);
  return rc;
}

static const char *hdr(const struct lc_http_req *req, const char *name, char *out, size_t cap) {
  const struct lc_http_header *h = lc_http_header_get(req, name);
  if (!h) return NULL;
  snprintf(out, cap, "%.*s", (int)h->value_len, h->value);
  return out;
}

static void get_with_headers(void **state) {
  struct lc_http_req *req = *state;
  static const char raw[] = "GET /echo?a=1&b=2 HTTP/1.1\r\nHost: example\r\n"
                            "X-Pad:   spaced value \t\r\nx-empty:\r\n\r\n";
  char *buf, v[64];
  assert_int_equal(parse_copy(S(raw), req, &buf), LC_HTTP_DONE);
  assert_int_equal(req->method_len, 3);
  assert_memory_equal(req->method, "GET", 3);
  assert_int_equal(req->target_len, 13);
  assert_memory_equal(req->path, "/echo", req->path_len);
  assert_int_equal(req->path_len, 5);
  assert_int_equal(req->has_query, 1);
  assert_int_equal(req->query_len, 7);
  assert_memory_equal(req->query, "a=1&b=2", 7);
  assert_int_equal(req->minor, 1);
  assert_true(req->keep_alive);
  assert_int_equal(req->nheaders, 3);
  assert_string_equal(hdr(req, "x-pad", v, sizeof v), "spaced value");
  assert_string_equal(hdr(req, "HOST", v, sizeof v), "example");
  assert_string_equal(hdr(req, "X-Empty", v, sizeof v), "");
  assert_null(lc_http_header_get(req, "missing"));
  assert_null(req->body);
  assert_int_equal(req->body_len, 0);
  assert_int_equal(req->consumed, sizeof raw - 1);
  free(buf);
}

static void targets_split_into_path_and_query(void **state) {
  struct lc_http_req *req = *state;
  static const struct {
    const char *raw, *path, *query;
    int has_query;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", "/", "", 0},
      {"GET /a? HTTP/1.1\r\n\r\n", "/a", "", 1},
      {"GET /a?b?c=d HTTP/1.1\r\n\r\n", "/a", "b?c=d", 1},
      {"GET http://host:8080/p/q?x=1 HTTP/1.1\r\n\r\n", "/p/q", "x=1", 1},
      {"GET http://host HTTP/1.1\r\n\r\n", "/", "", 0},
      {"GET https://host?z HTTP/1.1\r\n\r\n", "/", "z", 1},
      {"OPTIONS * HTTP/1.1\r\n\r\n", "*", "", 0},
      {"CONNECT host:443 HTTP/1.1\r\n\r\n", "host:443", "", 0},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    char *buf;
    assert_int_equal(parse_copy(cases[i].raw, strlen(cases[i].raw), req, &buf), LC_HTTP_DONE);
    assert_int_equal(req->path_len, strlen(cases[i].path));
    assert_memory_equal(req->path, cases[i].path, req->path_len);
    assert_int_equal(req->query_len, strlen(cases[i].query));
    assert_memory_equal(req->query, cases[i].query, req->query_len);
    assert_int_equal(req->has_query, cases[i].has_query);
    free(buf);
  }
}

static void keep_alive_rules(void **state) {
  struct lc_http_req *req = *state;
  static const struct {
    const char *raw;
    int keep_alive;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", 1},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0},
      {"GET / HTTP/1.1\r\nconnection: Close\r\n\r\n", 0},
      {"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", 0},
      {"GET / HTTP/1.1\r\nConnection: Upgrade\r\n\r\n", 1},
      {"GET / HTTP/1.0\r\n\r\n", 0},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", 0},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    assert_int_equal(parse_status(cases[i].raw, strlen(cases[i].raw), req), LC_HTTP_DONE);
    if (req->keep_alive != cases[i].keep_alive) fail_msg("keep_alive wrong for %s", cases[i].raw);
  }
}

static void content_length_body(void **state) {
  struct lc_http_req *req = *state;
  static const char raw[] = "POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello worldGET";
  char *buf;
  assert_int_equal(parse_copy(S(raw), req, &buf), LC_HTTP_DONE);
  assert_int_equal(req->body_len, 11);
  assert_memory_equal(req->body, "hello world", 11);
  assert_int_equal(req->consumed, sizeof raw - 1 - 3);
  assert_int_equal(req->chunked, 0);
  free(buf);
  /* Equal repeated Content-Length values are one value; zero is no body. */
  static const char dup[] = "PUT / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab";
  assert_int_equal(parse_status(S(dup), req), LC_HTTP_DONE);
  static const char zero[] = "POST / HTTP/1.1\r\nContent-Length: 000\r\n\r\n";
  assert_int_equal(parse_copy(S(zero), req, &buf), LC_HTTP_DONE);
  assert_int_equal(req->body_len, 0);
  assert_int_equal(req->consumed, sizeof zero - 1);
  free(buf);
}

static void chunked_body(void **state) {
  struct lc_http_req *req = *state;
  static const char raw[] = "POST /echo HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                            "5\r\nhello\r\n"
                            "1A;name=value;x\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                            "3 ; ext\r\n123\r\n"
                            "0\r\nX-Trailer: t\r\nOther: u\r\n\r\n"
                            "NEXT";
  char *buf;
  assert_int_equal(parse_copy(S(raw), req, &buf), LC_HTTP_DONE);
  assert_true(req->chunked);
  assert_int_equal(req->body_len, 5 + 26 + 3);
  assert_memory_equal(req->body, "helloabcdefghijklmnopqrstuvwxyz123", 34);
  assert_int_equal(req->consumed, sizeof raw - 1 - 4);
  /* The head is intact after decoding in place. */
  char v[32];
  assert_string_equal(hdr(req, "transfer-encoding", v, sizeof v), "Chunked");
  free(buf);
  /* Bare LF line ends, an empty body. */
  static const char lf[] = "POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n2\nab\n0\n\n";
  assert_int_equal(parse_copy(S(lf), req, &buf), LC_HTTP_DONE);
  assert_int_equal(req->body_len, 2);
  assert_memory_equal(req->body, "ab", 2);
  assert_int_equal(req->consumed, sizeof lf - 1);
  free(buf);
  static const char empty[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  assert_int_equal(parse_copy(S(empty), req, &buf), LC_HTTP_DONE);
  assert_int_equal(req->body_len, 0);
  free(buf);
}

static void pipelined_in_one_buffer(void **state) {
  struct lc_http_req *req = *state;
  static const char raw[] = "GET /one HTTP/1.1\r\n\r\n"
                            "\r\n" /* a stray empty line between requests is allowed */
                            "POST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                            "POST /three HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "1\r\nx\r\n0\r\n\r\n"
                            "GET /four HTTP/1.0\r\n\r\n"
                            "GET /fi";
  static const char *const paths[] = {"/one", "/two", "/three", "/four"};
  static const char *const bodies[] = {"", "abc", "x", ""};
  char *buf = lc_xmalloc(sizeof raw);
  memcpy(buf, raw, sizeof raw);
  struct lc_http_parser p;
  lc_http_parser_init(&p);
  size_t off = 0, len = sizeof raw - 1;
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(lc_http_parse(&p, buf + off, len - off, req), LC_HTTP_DONE);
    assert_int_equal(req->path_len, strlen(paths[i]));
    assert_memory_equal(req->path, paths[i], req->path_len);
    assert_int_equal(req->body_len, strlen(bodies[i]));
    if (req->body_len) assert_memory_equal(req->body, bodies[i], req->body_len);
    off += req->consumed;
    assert_true(lc_http_idle(&p));
  }
  assert_int_equal(lc_http_parse(&p, buf + off, len - off, req), LC_HTTP_INCOMPLETE);
  assert_false(lc_http_idle(&p));
  assert_int_equal(len - off, 7);
  free(buf);
}

/* Feeds raw one byte more each call, compacting like serve.c does, and checks that the request
 * completes exactly at the last byte with the expected body. */
static void feed_bytewise(struct lc_http_req *req, const char *raw, size_t n, const char *body,
                          size_t body_len) {
  char *buf = lc_xmalloc(n);
  struct lc_http_parser p;
  lc_http_parser_init(&p);
  size_t have = 0;
  int conts = 0;
  for (size_t i = 0; i < n; i++) {
    buf[have++] = raw[i];
    int rc = lc_http_parse(&p, buf, have, req);
    if (rc == LC_HTTP_CONTINUE) {
      conts++;
      rc = lc_http_parse(&p, buf, have, req);
    }
    if (i + 1 < n) {
      if (rc != LC_HTTP_INCOMPLETE) fail_msg("rc %d after %zu of %zu bytes", rc, i + 1, n);
      have = lc_http_compact(&p, buf, have);
    } else {
      assert_int_equal(rc, LC_HTTP_DONE);
    }
  }
  assert_int_equal(req->body_len, body_len);
  if (body_len) assert_memory_equal(req->body, body, body_len);
  assert_true(conts <= 1);
  free(buf);
}

/* Splits raw at every boundary k: the first k bytes are incomplete, then all of it is done. */
static void feed_split(struct lc_http_req *req, const char *raw, size_t n, const char *body,
                       size_t body_len) {
  for (size_t k = 0; k < n; k++) {
    char *buf = lc_xmalloc(n);
    memcpy(buf, raw, n);
    struct lc_http_parser p;
    lc_http_parser_init(&p);
    int rc = lc_http_parse(&p, buf, k, req);
    if (rc == LC_HTTP_CONTINUE) rc = lc_http_parse(&p, buf, k, req);
    if (rc != LC_HTTP_INCOMPLETE) fail_msg("rc %d with %zu of %zu bytes", rc, k, n);
    rc = lc_http_parse(&p, buf, n, req);
    if (rc == LC_HTTP_CONTINUE) rc = lc_http_parse(&p, buf, n, req);
    assert_int_equal(rc, LC_HTTP_DONE);
    assert_int_equal(req->consumed, n);
    assert_int_equal(req->body_len, body_len);
    if (body_len) assert_memory_equal(req->body, body, body_len);
    free(buf);
  }
}

static void split_at_every_byte(void **state) {
  struct lc_http_req *req = *state;
  static const char get[] = "\r\nGET /x?y=1 HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n";
  static const char cl[] = "POST /e HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
                           "hello";
  static const char ch[] = "POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3;e=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: x\r\n\r\n";
  static const char lf[] = "POST /e HTTP/1.0\nTransfer-Encoding: chunked\n\n1\nz\n0\n\n";
  feed_bytewise(req, S(get), NULL, 0);
  feed_bytewise(req, S(cl), "hello", 5);
  feed_bytewise(req, S(ch), "abc0123456789abcdef", 19);
  feed_bytewise(req, S(lf), "z", 1);
  feed_split(req, S(get), NULL, 0);
  feed_split(req, S(cl), "hello", 5);
  feed_split(req, S(ch), "abc0123456789abcdef", 19);
  feed_split(req, S(lf), "z", 1);
}

static void expect_100_continue(void **state) {
  struct lc_http_req *req = *state;
  static const char raw[] = "POST /e HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n"
                            "body";
  size_t head = sizeof raw - 1 - 4;
  char buf[sizeof raw];
  memcpy(buf, raw, sizeof raw);
  struct lc_http_parser p;
  lc_http_parser_init(&p);
  assert_int_equal(lc_http_parse(&p, buf, head - 1, req), LC_HTTP_INCOMPLETE);
  assert_int_equal(lc_http_parse(&p, buf, head, req), LC_HTTP_CONTINUE);
  assert_int_equal(lc_http_parse(&p, buf, head, req), LC_HTTP_INCOMPLETE);
  assert_int_equal(lc_http_parse(&p, buf, head + 2, req), LC_HTTP_INCOMPLETE);
  assert_int_equal(lc_http_parse(&p, buf, head + 4, req), LC_HTTP_DONE);
  /* The body already here: no 100. HTTP/1.0: never. No body: never. */
  lc_http_parser_init(&p);
  assert_int_equal(lc_http_parse(&p, buf, sizeof raw - 1, req), LC_HTTP_DONE);
  static const char v10[] = "POST /e HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
  lc_http_parser_init(&p);
  memcpy(buf, v10, sizeof v10);
  assert_int_equal(lc_http_parse(&p, buf, sizeof v10 - 1, req), LC_HTTP_INCOMPLETE);
  static const char none[] = "GET /e HTTP/1.1\r\nExpect: 100-continue\r\n\r\n";
  lc_http_parser_init(&p);
  memcpy(buf, none, sizeof none);
  assert_int_equal(lc_http_parse(&p, buf, sizeof none - 1, req), LC_HTTP_DONE);
}

/* A request whose head (blank line included) is exactly `size` bytes. */
static char *head_of_size(size_t size, size_t *n) {
  static const char start[] = "GET / HTTP/1.1\r\nX: ";
  char *s = lc_xmalloc(size + 1);
  memcpy(s, start, sizeof start - 1);
  size_t fill = size - (sizeof start - 1) - 4;
  memset(s + sizeof start - 1, 'a', fill);
  memcpy(s + size - 4, "\r\n\r\n", 4);
  s[size] = '\0';
  *n = size;
  return s;
}

static void limits(void **state) {
  struct lc_http_req *req = *state;
  size_t n;
  char *s = head_of_size(LC_HTTP_MAX_HEAD, &n);
  assert_int_equal(parse_status(s, n, req), LC_HTTP_DONE);
  free(s);
  s = head_of_size(LC_HTTP_MAX_HEAD + 1, &n);
  assert_int_equal(parse_status(s, n, req), 431);
  /* Known as soon as 16 KiB are buffered without the end of the head. */
  assert_int_equal(parse_status(s, LC_HTTP_MAX_HEAD, req), 431);
  assert_int_equal(parse_status(s, LC_HTTP_MAX_HEAD - 1, req), LC_HTTP_INCOMPLETE);
  free(s);
  /* A request line alone over the limit, without any line end. */
  s = lc_xmalloc(20000);
  memcpy(s, "GET /", 5);
  memset(s + 5, 'q', 20000 - 5);
  assert_int_equal(parse_status(s, 20000, req), 431);
  assert_int_equal(req->method_len, 0);
  free(s);
  /* Many small headers add up. */
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_buf_puts(&b, "GET / HTTP/1.1\r\n");
  for (int i = 0; i < 2000; i++) lc_buf_printf(&b, "X-%04d: v\r\n", i);
  lc_buf_puts(&b, "\r\n");
  assert_int_equal(parse_status(b.data, b.len, req), 431);
  lc_buf_release(&b);
  /* Bodies. */
  static const char cl_max[] = "POST / HTTP/1.1\r\nContent-Length: 16777216\r\n\r\n";
  assert_int_equal(parse_status(S(cl_max), req), LC_HTTP_INCOMPLETE);
  static const char cl_over[] = "POST / HTTP/1.1\r\nContent-Length: 16777217\r\n\r\n";
  assert_int_equal(parse_status(S(cl_over), req), 413);
  static const char cl_huge[] = "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
  assert_int_equal(parse_status(S(cl_huge), req), 413);
  static const char ch_over[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000001\r\n";
  assert_int_equal(parse_status(S(ch_over), req), 413);
  static const char ch_zeros[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "0000000000000000000000000001\r\nx\r\n0\r\n\r\n";
  assert_int_equal(parse_status(S(ch_zeros), req), LC_HTTP_DONE);
  /* Chunks that only together pass 16 MiB. */
  static const char head[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n900000\r\n";
  size_t big = sizeof head - 1 + 0x900000 + 2;
  char *body = lc_xmalloc(big + 16);
  memcpy(body, head, sizeof head - 1);
  memset(body + sizeof head - 1, 'b', 0x900000);
  memcpy(body + big - 2, "\r\n", 2);
  memcpy(body + big, "800000\r\n", 8);
  assert_int_equal(parse_status(body, big, req), LC_HTTP_INCOMPLETE);
  assert_int_equal(parse_status(body, big + 8, req), 413);
  free(body);
}

static void malformed_is_400(void **state) {
  struct lc_http_req *req = *state;
  static const char *const bad[] = {
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET /json\r\n\r\n",
      "GET /json HTTP/1.1 extra\r\n\r\n",
      "GET  /json HTTP/1.1\r\n\r\n",
      "GET /json  HTTP/1.1\r\n\r\n",
      "GET /json FOO/1.1\r\n\r\n",
      "GET /json http/1.1\r\n\r\n",
      "GET /json HTTP/1.\r\n\r\n",
      "GET /json HTTP/\r\n\r\n",
      "GET /json HTTP/1.1x\r\n\r\n",
      "GET /json HTTP/1111.1\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",
      " GET / HTTP/1.1\r\n\r\n",
      "GET /a\tb HTTP/1.1\r\n\r\n",
      "GET /\x7f HTTP/1.1\r\n\r\n",
      "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\rX\n\r\n",
      "\rGET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header: v\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
      "GET / HTTP/1.1\r\n: v\r\n\r\n",
      "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\r\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;\x01\r\nabc\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    int rc = parse_status(bad[i], strlen(bad[i]), req);
    if (rc != 400) fail_msg("case %zu %s: %d, not 400", i, bad[i], rc);
  }
  /* NUL bytes anywhere in the head. */
  static const char nul_line[] = "GET /js\0on HTTP/1.1\r\n\r\n";
  assert_int_equal(parse_status(S(nul_line), req), 400);
  static const char nul_value[] = "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n";
  assert_int_equal(parse_status(S(nul_value), req), 400);
  /* Binary junk is refused at its first byte, before any line end. */
  static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  assert_int_equal(parse_status(S(junk), req), 400);
  /* The request line is reported for the log when a header is bad. */
  static const char hb[] = "PUT /x?y HTTP/1.1\r\nBad Header: v\r\n\r\n";
  char *buf;
  assert_int_equal(parse_copy(S(hb), req, &buf), 400);
  assert_int_equal(req->method_len, 3);
  assert_memory_equal(req->target, "/x?y", 4);
  free(buf);
  /* Too long a chunk size line. */
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_buf_puts(&b, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  for (int i = 0; i < 5000; i++) lc_buf_puts(&b, "e");
  assert_int_equal(parse_status(b.data, b.len, req), 400);
  lc_buf_release(&b);
}

static void versions(void **state) {
  struct lc_http_req *req = *state;
  static const struct {
    const char *raw;
    int rc;
  } cases[] = {
      {"GET / HTTP/1.0\r\n\r\n", LC_HTTP_DONE},
      {"GET / HTTP/1.1\r\n\r\n", LC_HTTP_DONE},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      {"GET / HTTP/1.2\r\n\r\n", 505},
      {"GET / HTTP/3.0\r\n\r\n", 505},
      {"GET / HTTP/2\r\n\r\n", 505},
      {"GET / HTTP/0.9\r\n\r\n", 505},
      {"GET / HTTP/10.0\r\n\r\n", 505},
      {"GET / HTTP/1.10\r\n\r\n", 505},
      {"GET / HTTP/1.1.1\r\n\r\n", 400},
      {"GET / HTTP/a.1\r\n\r\n", 400},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    int rc = parse_status(cases[i].raw, strlen(cases[i].raw), req);
    if (rc != cases[i].rc) fail_msg("%s: %d, expected %d", cases[i].raw, rc, cases[i].rc);
  }
  /* The version is judged as soon as the request line ends. */
  static const char early[] = "GET / HTTP/2.0\r\n";
  assert_int_equal(parse_status(S(early), req), 505);
}

static void leading_empty_lines(void **state) {
  struct lc_http_req *req = *state;
  static const char raw[] = "\r\n\n\r\nGET /x HTTP/1.1\r\n\r\n";
  char *buf;
  assert_int_equal(parse_copy(S(raw), req, &buf), LC_HTTP_DONE);
  assert_int_equal(req->consumed, sizeof raw - 1);
  assert_memory_equal(req->path, "/x", 2);
  free(buf);
  struct lc_http_parser p;
  lc_http_parser_init(&p);
  char only[] = "\r\n\r\n";
  assert_int_equal(lc_http_parse(&p, only, 4, req), LC_HTTP_INCOMPLETE);
  assert_true(lc_http_idle(&p));
}

/* Random bytes and random mutations of valid requests must never crash, read out of bounds
 * (run under ASan) or report a body outside the buffer. */
static void random_input_never_breaks(void **state) {
  struct lc_http_req *req = *state;
  static const char *const seeds[] = {
      "POST /e?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
      "POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\n",
  };
  uint64_t seed = 42;
  for (int iter = 0; iter < 20000; iter++) {
    const char *src = seeds[iter % LC_ARRAY_LEN(seeds)];
    size_t n = strlen(src);
    char *buf = lc_xmalloc(n + 64);
    memcpy(buf, src, n);
    for (int m = 0; m < 1 + iter % 4; m++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      size_t at = (size_t)(seed >> 33) % (n + 1);
      unsigned char v = (unsigned char)(seed >> 20);
      if (at < n && (seed & 3)) buf[at] = (char)v;
      else if (n < strlen(src) + 60) buf[n++] = (char)v;
    }
    struct lc_http_parser p;
    lc_http_parser_init(&p);
    size_t have = 0, off = 0;
    while (have < n) {
      have += 1 + (size_t)(seed >> 40) % 7;
      if (have > n) have = n;
      int rc = lc_http_parse(&p, buf + off, have - off, req);
      if (rc == LC_HTTP_DONE) {
        assert_true(req->consumed <= have - off);
        if (req->body) assert_true(req->body + req->body_len <= buf + have);
        off += req->consumed;
      } else if (rc == LC_HTTP_INCOMPLETE || rc == LC_HTTP_CONTINUE) {
        size_t len = lc_http_compact(&p, buf + off, have - off);
        memmove(buf + off + len, buf + have, n - have);
        n -= have - off - len;
        have = off + len;
      } else {
        assert_true(rc == 400 || rc == 413 || rc == 431 || rc == 505);
        break;
      }
    }
    free(buf);
  }
}

/* ---- decode.c ---- */

static void url_decoding(void **state) {
  (void)state;
  char out[64];
  static const char in[] = "%41%2f+x%zz%4%%20%";
  size_t n = lc_serve_url_decode(out, S(in), 1);
  assert_int_equal(n, 12);
  assert_memory_equal(out, "A/ x%zz%4% %", 12);
  n = lc_serve_url_decode(out, S("a+b%2B"), 0);
  assert_memory_equal(out, "a+b+", n);
  n = lc_serve_url_decode(out, S("%00%ff"), 1);
  assert_int_equal(n, 2);
  assert_memory_equal(out, "\0\xff", 2);
  assert_int_equal(lc_serve_url_decode(out, "", 0, 1), 0);
}

static void query_iteration(void **state) {
  (void)state;
  static const char q[] = "a=1&&b&c=&=x&d=e=f&";
  static const char *const want[][2] = {{"a", "1"}, {"b", ""}, {"c", ""}, {"", "x"},
                                        {"d", "e=f"}};
  const char *cur = q, *end = q + sizeof q - 1;
  struct lc_span k, v;
  size_t i = 0;
  while (lc_serve_query_next(&cur, end, &k, &v)) {
    assert_true(i < LC_ARRAY_LEN(want));
    assert_int_equal(k.n, strlen(want[i][0]));
    assert_memory_equal(k.p, want[i][0], k.n);
    assert_int_equal(v.n, strlen(want[i][1]));
    assert_memory_equal(v.p, want[i][1], v.n);
    i++;
  }
  assert_int_equal(i, LC_ARRAY_LEN(want));
  cur = q;
  assert_int_equal(lc_serve_query_next(&cur, q, &k, &v), 0);
}

static void cookie_iteration(void **state) {
  (void)state;
  static const char c[] = " a=1; b = two ;noeq; =x;\tsess=\"q\"; d=;;e=f=g";
  static const char *const want[][2] = {{"a", "1"}, {"b", "two"}, {"sess", "\"q\""},
                                        {"d", ""}, {"e", "f=g"}};
  const char *cur = c, *end = c + sizeof c - 1;
  struct lc_span k, v;
  size_t i = 0;
  while (lc_serve_cookie_next(&cur, end, &k, &v)) {
    assert_true(i < LC_ARRAY_LEN(want));
    assert_int_equal(k.n, strlen(want[i][0]));
    assert_memory_equal(k.p, want[i][0], k.n);
    assert_int_equal(v.n, strlen(want[i][1]));
    assert_memory_equal(v.p, want[i][1], v.n);
    i++;
  }
  assert_int_equal(i, LC_ARRAY_LEN(want));
}

static void json_str_case(const char *in, size_t n, const char *want) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  assert_int_equal(lc_serve_json_str(&b, in, n), 0);
  assert_string_equal(b.data, want);
  lc_buf_release(&b);
}

static void json_strings_from_any_bytes(void **state) {
  (void)state;
  json_str_case(S("plain"), "\"plain\"");
  json_str_case(S("q\"\\\n\r\t\x01\x7f"), "\"q\\\"\\\\\\n\\r\\t\\u0001\\u007f\"");
  json_str_case(S("a\0b"), "\"a\\u0000b\"");
  json_str_case(S("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"),
                "\"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80\"");
  /* One U+FFFD per maximal invalid subpart (Unicode 3.9, U+FFFD substitution). */
  json_str_case(S("ab\xff" "cd\xc3("), "\"ab\xef\xbf\xbd" "cd\xef\xbf\xbd(\"");
  json_str_case(S("\xe2\x82"), "\"\xef\xbf\xbd\"");
  json_str_case(S("\xe2\x82x"), "\"\xef\xbf\xbdx\"");
  json_str_case(S("\xf0\x80\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  json_str_case(S("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  json_str_case(S("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
  json_str_case(S("\xf4\x90\x80\x80"),
                "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  json_str_case(S("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");
  json_str_case("", 0, "\"\"");
  /* A cap that is hit leaves the buffer as it was. */
  struct lc_buf b;
  lc_buf_init(&b, 8);
  lc_buf_puts(&b, "ab");
  assert_int_equal(lc_serve_json_str(&b, S("\x01\x01")), LC_ETOOBIG);
  assert_string_equal(b.data, "ab");
  lc_buf_release(&b);
}

static void kv_grouping(void **state) {
  (void)state;
  struct lc_serve_kv kv[] = {
      {.name = "a", .name_len = 1}, {.name = "B", .name_len = 1}, {.name = "a", .name_len = 1},
      {.name = "b", .name_len = 1}, {.name = "c", .name_len = 1}, {.name = "A", .name_len = 1},
  };
  lc_serve_kv_group(kv, LC_ARRAY_LEN(kv), 0);
  assert_true(kv[0].first && kv[1].first && !kv[2].first && kv[3].first && kv[4].first &&
              kv[5].first);
  assert_int_equal(kv[0].next, 2);
  assert_int_equal(kv[2].next, LC_SERVE_KV_END);
  assert_int_equal(kv[1].next, LC_SERVE_KV_END);
  lc_serve_kv_group(kv, LC_ARRAY_LEN(kv), 1);
  assert_true(kv[0].first && kv[1].first && !kv[2].first && !kv[3].first && kv[4].first &&
              !kv[5].first);
  assert_int_equal(kv[0].next, 2);
  assert_int_equal(kv[2].next, 5);
  assert_int_equal(kv[1].next, 3);
  lc_serve_kv_group(kv, 0, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_with_headers),
      cmocka_unit_test(targets_split_into_path_and_query),
      cmocka_unit_test(keep_alive_rules),
      cmocka_unit_test(content_length_body),
      cmocka_unit_test(chunked_body),
      cmocka_unit_test(pipelined_in_one_buffer),
      cmocka_unit_test(split_at_every_byte),
      cmocka_unit_test(expect_100_continue),
      cmocka_unit_test(limits),
      cmocka_unit_test(malformed_is_400),
      cmocka_unit_test(versions),
      cmocka_unit_test(leading_empty_lines),
      cmocka_unit_test(random_input_never_breaks),
      cmocka_unit_test(url_decoding),
      cmocka_unit_test(query_iteration),
      cmocka_unit_test(cookie_iteration),
      cmocka_unit_test(json_strings_from_any_bytes),
      cmocka_unit_test(kv_grouping),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
