/* test_serve_routes.c: unit tests for the endpoints of `loadc serve` without sockets
 * (cmd/serve/routes.c, counts.c, token.c): requests are parsed from text, answered into a
 * buffer, and the response is checked as bytes and as JSON (jansson). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/serve/http_req.h"
#include "cmd/serve/serve_int.h"

/* One server context, one request struct, one response. */
struct fx {
  struct lc_serve_ctx ctx;
  struct lc_http_req req;
  struct lc_buf out;
  struct lc_serve_res res;
  char *in;
  const char *body; /* into out, after the head */
  size_t body_len;
};

static int setup(void **state) {
  struct fx *f = lc_xcalloc(1, sizeof *f);
  lc_serve_ctx_init(&f->ctx);
  lc_buf_init(&f->out, 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  lc_serve_ctx_release(&f->ctx);
  lc_buf_release(&f->out);
  free(f->in);
  free(f);
  return 0;
}

/* Parses and answers `raw`; returns the status. */
static int ask(struct fx *f, const char *raw) {
  size_t n = strlen(raw);
  free(f->in);
  f->in = lc_xstrdup(raw);
  struct lc_http_parser p;
  lc_http_parser_init(&p);
  int rc = lc_http_parse(&p, f->in, n, &f->req);
  if (rc == LC_HTTP_CONTINUE) rc = lc_http_parse(&p, f->in, n, &f->req);
  lc_buf_reset(&f->out);
  if (rc == LC_HTTP_DONE) assert_int_equal(lc_serve_route(&f->ctx, &f->req, &f->out, &f->res), 0);
  else assert_int_equal(lc_serve_reject(&f->ctx, &f->req, rc, &f->out, &f->res), 0);
  assert_int_equal(f->res.len, f->out.len);
  if (f->out.len) {
    const char *e = strstr(f->out.data, "\r\n\r\n");
    assert_non_null(e);
    assert_int_equal((size_t)(e + 4 - f->out.data), f->res.head_len);
    f->body = e + 4;
    f->body_len = f->out.len - f->res.head_len;
  }
  return f->res.status;
}

/* The value of response header `name` (first one), or NULL; case-sensitive name. */
static char *resp_header(struct fx *f, const char *name, char *dst, size_t cap) {
  char key[64];
  snprintf(key, sizeof key, "\r\n%s: ", name);
  const char *h = strstr(f->out.data, key);
  if (!h || h >= f->out.data + f->res.head_len) return NULL;
  h += strlen(key);
  const char *e = strstr(h, "\r\n");
  snprintf(dst, cap, "%.*s", (int)(e - h), h);
  return dst;
}

static int count_headers(struct fx *f, const char *name) {
  char key[64];
  snprintf(key, sizeof key, "\r\n%s: ", name);
  int n = 0;
  for (const char *h = f->out.data; (h = strstr(h, key)) && h < f->out.data + f->res.head_len;
       h++)
    n++;
  return n;
}

static json_t *body_json(struct fx *f) {
  json_error_t err;
  json_t *j = json_loadb(f->body, f->body_len, JSON_ALLOW_NUL, &err);
  if (!j) fail_msg("not JSON (%s): %.*s", err.text, (int)f->body_len, f->body);
  return j;
}

/* Compares the body with the JSON text `want` (as values, not bytes). */
static void assert_body_json(struct fx *f, const char *want) {
  json_error_t err;
  json_t *w = json_loads(want, JSON_ALLOW_NUL, &err);
  if (!w) fail_msg("bad expected JSON: %s", want);
  json_t *got = body_json(f);
  if (!json_equal(got, w)) fail_msg("body %.*s, expected %s", (int)f->body_len, f->body, want);
  json_decref(got);
  json_decref(w);
}

static void json_and_framing(void **state) {
  struct fx *f = *state;
  char v[64];
  assert_int_equal(ask(f, "GET /json HTTP/1.1\r\n\r\n"), 200);
  assert_true(strncmp(f->out.data, "HTTP/1.1 200 OK\r\n", 17) == 0);
  assert_string_equal(resp_header(f, "Content-Type", v, sizeof v), "application/json");
  snprintf(v, sizeof v, "%zu", f->body_len);
  char cl[32];
  assert_string_equal(resp_header(f, "Content-Length", cl, sizeof cl), v);
  assert_null(resp_header(f, "Connection", v, sizeof v));
  assert_body_json(f, "{\"name\": \"loadc\", \"version\": 1, \"count\": 3, \"ok\": true, "
                      "\"nothing\": null, \"items\": [{\"id\": 1, \"name\": \"one\", \"tags\": "
                      "[\"a\", \"b\"]}, {\"id\": 2, \"name\": \"two\", \"tags\": [\"b\"]}, "
                      "{\"id\": 3, \"name\": \"three\", \"tags\": []}], \"nested\": {\"level\": "
                      "1, \"inner\": {\"level\": 2, \"values\": [1.5, 2.5, 3.5]}}}");
  assert_int_equal(f->res.kind, LC_SERVE_NOW);
  assert_int_equal(f->res.close, 0);
  size_t get_len = f->body_len;
  /* HEAD: the same Content-Length, no body. */
  assert_int_equal(ask(f, "HEAD /json HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->body_len, 0);
  assert_int_equal(f->res.body_bytes, 0);
  snprintf(v, sizeof v, "%zu", get_len);
  assert_string_equal(resp_header(f, "Content-Length", cl, sizeof cl), v);
  /* HTTP/1.0 with and without keep-alive. */
  assert_int_equal(ask(f, "GET /json HTTP/1.0\r\n\r\n"), 200);
  assert_string_equal(resp_header(f, "Connection", v, sizeof v), "close");
  assert_int_equal(f->res.close, 1);
  assert_int_equal(ask(f, "GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 200);
  assert_string_equal(resp_header(f, "Connection", v, sizeof v), "keep-alive");
  assert_int_equal(ask(f, "GET /json HTTP/1.1\r\nConnection: close\r\n\r\n"), 200);
  assert_string_equal(resp_header(f, "Connection", v, sizeof v), "close");
}

static void status_codes(void **state) {
  struct fx *f = *state;
  char v[64];
  assert_int_equal(ask(f, "GET /status/418 HTTP/1.1\r\n\r\n"), 418);
  assert_body_json(f, "{\"status\": 418}");
  assert_int_equal(ask(f, "GET /status/599 HTTP/1.1\r\n\r\n"), 599);
  assert_int_equal(ask(f, "GET /status/204 HTTP/1.1\r\n\r\n"), 204);
  assert_int_equal(f->body_len, 0);
  assert_null(resp_header(f, "Content-Length", v, sizeof v));
  assert_int_equal(ask(f, "GET /status/304 HTTP/1.1\r\n\r\n"), 304);
  assert_int_equal(f->body_len, 0);
  assert_string_equal(resp_header(f, "Content-Length", v, sizeof v), "0");
  static const char *const bad[] = {"199", "600", "100", "0", "abc", "20x", "-200", "", "1e3",
                                    "2000000000000000000000", "200/"};
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    char raw[128];
    snprintf(raw, sizeof raw, "GET /status/%s HTTP/1.1\r\n\r\n", bad[i]);
    assert_int_equal(ask(f, raw), 400);
    json_t *j = body_json(f);
    assert_true(json_is_string(json_object_get(j, "error")));
    json_decref(j);
  }
  assert_int_equal(ask(f, "GET /status HTTP/1.1\r\n\r\n"), 404);
  assert_body_json(f, "{\"error\": \"not found\", \"path\": \"/status\"}");
}

static void delays_and_slow_bodies(void **state) {
  struct fx *f = *state;
  assert_int_equal(ask(f, "GET /delay/250 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.kind, LC_SERVE_DELAY);
  assert_int_equal(f->res.ms, 250);
  assert_body_json(f, "{\"delay_ms\": 250}");
  assert_int_equal(ask(f, "GET /delay/600001 HTTP/1.1\r\n\r\n"), 400);
  assert_int_equal(f->res.kind, LC_SERVE_NOW);
  assert_int_equal(ask(f, "GET /slow-body/600000 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.kind, LC_SERVE_SLOW_BODY);
  assert_int_equal(f->res.ms, 600000);
  assert_body_json(f, "{\"slow_body_ms\": 600000}");
  assert_int_equal(ask(f, "HEAD /slow-body/10 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.kind, LC_SERVE_NOW);
}

static void check_pattern(const char *p, size_t n, uint64_t from) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (char)('a' + (from + i) % 26)) fail_msg("byte %zu is %c", i, p[i]);
}

static void bytes_and_streams(void **state) {
  struct fx *f = *state;
  char v[64];
  assert_int_equal(ask(f, "GET /bytes/100 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.kind, LC_SERVE_NOW);
  assert_int_equal(f->body_len, 100);
  check_pattern(f->body, 100, 0);
  assert_string_equal(resp_header(f, "Content-Type", v, sizeof v), "application/octet-stream");
  assert_int_equal(ask(f, "GET /bytes/0 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->body_len, 0);
  assert_int_equal(ask(f, "GET /bytes/1073741824 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.kind, LC_SERVE_STREAM);
  assert_int_equal(f->body_len, 0);
  assert_int_equal(f->res.stream.left, 1073741824);
  assert_int_equal(f->res.stream.chunk, 0);
  assert_string_equal(resp_header(f, "Content-Length", v, sizeof v), "1073741824");
  assert_int_equal(ask(f, "HEAD /bytes/1073741824 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.kind, LC_SERVE_NOW);
  assert_int_equal(ask(f, "GET /bytes/1073741825 HTTP/1.1\r\n\r\n"), 400);
  /* Chunked, inline. */
  assert_int_equal(ask(f, "GET /chunked/30?chunk=7 HTTP/1.1\r\n\r\n"), 200);
  assert_string_equal(resp_header(f, "Transfer-Encoding", v, sizeof v), "chunked");
  assert_null(resp_header(f, "Content-Length", v, sizeof v));
  assert_string_equal(resp_header(f, "Content-Type", v, sizeof v), "text/plain");
  static const char want[] = "7\r\nabcdefg\r\n7\r\nhijklmn\r\n7\r\nopqrstu\r\n7\r\nvwxyzab\r\n"
                             "2\r\ncd\r\n0\r\n\r\n";
  assert_int_equal(f->body_len, sizeof want - 1);
  assert_memory_equal(f->body, want, sizeof want - 1);
  assert_int_equal(ask(f, "GET /chunked/0 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->body_len, 5);
  assert_memory_equal(f->body, "0\r\n\r\n", 5);
  assert_int_equal(ask(f, "GET /chunked/100000 HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.kind, LC_SERVE_STREAM);
  assert_int_equal(f->res.stream.chunk, 4096);
  /* HTTP/1.0 cannot take chunks: a Content-Length instead. */
  assert_int_equal(ask(f, "GET /chunked/10 HTTP/1.0\r\n\r\n"), 200);
  assert_string_equal(resp_header(f, "Content-Length", v, sizeof v), "10");
  assert_null(resp_header(f, "Transfer-Encoding", v, sizeof v));
  static const char *const bad[] = {"/chunked/10?chunk=0", "/chunked/10?chunk=65537",
                                    "/chunked/10?chunk=x", "/chunked/abc", "/chunked/-5"};
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    char raw[128];
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\n\r\n", bad[i]);
    assert_int_equal(ask(f, raw), 400);
  }
}

/* Decodes a chunked body; returns the content length, sizes in *nchunks. */
static size_t dechunk(const char *s, size_t n, char *out, size_t *nchunks, uint32_t *sizes) {
  size_t i = 0, o = 0;
  *nchunks = 0;
  for (;;) {
    char *end;
    unsigned long k = strtoul(s + i, &end, 16);
    i = (size_t)(end - s);
    assert_memory_equal(s + i, "\r\n", 2);
    i += 2;
    if (k == 0) break;
    sizes[(*nchunks)++] = (uint32_t)k;
    memcpy(out + o, s + i, k);
    o += k;
    i += k;
    assert_memory_equal(s + i, "\r\n", 2);
    i += 2;
  }
  assert_memory_equal(s + i, "\r\n", 2);
  assert_int_equal(i + 2, n);
  return o;
}

static void stream_fill_in_small_pieces(void **state) {
  (void)state;
  static const struct {
    uint64_t n;
    uint32_t chunk;
    size_t cap;
  } cases[] = {{10000, 4096, 16}, {10000, 4096, 17}, {10, 1, 16}, {100000, 65536, 1000},
               {5, 4096, 64 * 1024}, {0, 10, 16}, {70000, 0, 333}, {8192, 4096, 4101}};
  for (size_t c = 0; c < LC_ARRAY_LEN(cases); c++) {
    struct lc_serve_stream s = {.left = cases[c].n, .chunk = cases[c].chunk};
    size_t total = 0, cap = cases[c].cap;
    char *enc = lc_xmalloc(8 * cases[c].n + 64);
    int guard = 0;
    while (!lc_serve_stream_done(&s)) {
      size_t k = lc_serve_stream_fill(&s, enc + total, cap);
      assert_true(k <= cap);
      assert_true(k > 0);
      total += k;
      assert_true(++guard < 10000000);
    }
    if (!cases[c].chunk) {
      assert_int_equal(total, cases[c].n);
      check_pattern(enc, total, 0);
    } else {
      char *dec = lc_xmalloc(cases[c].n + 1);
      uint32_t sizes[1024];
      size_t nchunks;
      assert_int_equal(dechunk(enc, total, dec, &nchunks, sizes), cases[c].n);
      check_pattern(dec, (size_t)cases[c].n, 0);
      for (size_t i = 0; i < nchunks; i++)
        assert_int_equal(sizes[i], i + 1 < nchunks ? cases[c].chunk
                                                   : cases[c].n - (nchunks - 1) * cases[c].chunk);
      free(dec);
    }
    free(enc);
  }
}

static void echo(void **state) {
  struct fx *f = *state;
  assert_int_equal(ask(f, "POST /echo?a=1&b=hello+world&c=%41%2F%20x&a=2&empty=&flag HTTP/1.1\r\n"
                          "X-Dup: one\r\nx-dup: two\r\nX-Pad:   spaced  \r\nContent-Length: 8\r\n"
                          "\r\nab\xff" "cd\xc3(\x01"),
                   200);
  assert_body_json(f, "{\"method\": \"POST\", \"path\": \"/echo\", "
                      "\"query\": \"a=1&b=hello+world&c=%41%2F%20x&a=2&empty=&flag\", "
                      "\"args\": {\"a\": \"2\", \"b\": \"hello world\", \"c\": \"A/ x\", "
                      "\"empty\": \"\", \"flag\": \"\"}, "
                      "\"headers\": {\"x-dup\": \"one, two\", \"x-pad\": \"spaced\", "
                      "\"content-length\": \"8\"}, "
                      "\"body\": \"ab\\ufffdcd\\ufffd(\\u0001\"}");
  /* Keys keep the order of first appearance. */
  const char *a = strstr(f->body, "\"a\": \"2\""), *b = strstr(f->body, "\"b\":");
  assert_true(a && b && a < b);
  assert_int_equal(ask(f, "CUSTOMVERB /echo HTTP/1.1\r\n\r\n"), 200);
  assert_body_json(f, "{\"method\": \"CUSTOMVERB\", \"path\": \"/echo\", \"query\": \"\", "
                      "\"args\": {}, \"headers\": {}, \"body\": \"\"}");
  assert_int_equal(ask(f, "GET /echo?%01=%ff%00 HTTP/1.1\r\n\r\n"), 200);
  assert_body_json(f, "{\"method\": \"GET\", \"path\": \"/echo\", \"query\": \"%01=%ff%00\", "
                      "\"args\": {\"\\u0001\": \"\\ufffd\\u0000\"}, \"headers\": {}, \"body\": \"\"}");
}

static void cookies(void **state) {
  struct fx *f = *state;
  char v[128];
  assert_int_equal(ask(f, "GET /cookies HTTP/1.1\r\n\r\n"), 200);
  assert_body_json(f, "{\"cookies\": {}}");
  assert_int_equal(ask(f, "GET /cookies HTTP/1.1\r\nCookie: a=1; b=two\r\nCookie: c=3\r\n\r\n"),
                   200);
  assert_body_json(f, "{\"cookies\": {\"a\": \"1\", \"b\": \"two\", \"c\": \"3\"}}");
  assert_int_equal(ask(f, "GET /cookies/set?a=1&b=2 HTTP/1.1\r\nCookie: c=3; a=0\r\n\r\n"), 200);
  assert_body_json(f, "{\"cookies\": {\"a\": \"1\", \"b\": \"2\", \"c\": \"3\"}}");
  assert_int_equal(count_headers(f, "Set-Cookie"), 2);
  assert_non_null(strstr(f->out.data, "\r\nSet-Cookie: a=1; Path=/\r\n"));
  assert_non_null(strstr(f->out.data, "\r\nSet-Cookie: b=2; Path=/\r\n"));
  /* Values a cookie cannot hold come back %-encoded, the same in the body and the header. */
  assert_int_equal(ask(f, "GET /cookies/set?s=a+b%3Bc&n%20m=1&=x HTTP/1.1\r\n\r\n"), 200);
  assert_body_json(f, "{\"cookies\": {\"s\": \"a%20b%3Bc\", \"n%20m\": \"1\"}}");
  assert_string_equal(resp_header(f, "Set-Cookie", v, sizeof v), "s=a%20b%3Bc; Path=/");
  assert_int_equal(count_headers(f, "Set-Cookie"), 2);
  assert_int_equal(ask(f, "GET /cookies/delete?a&b HTTP/1.1\r\nCookie: a=1; b=2; c=3\r\n\r\n"),
                   200);
  assert_body_json(f, "{\"cookies\": {\"c\": \"3\"}}");
  assert_non_null(strstr(f->out.data, "\r\nSet-Cookie: a=; Max-Age=0; Path=/\r\n"));
  assert_non_null(strstr(f->out.data, "\r\nSet-Cookie: b=; Max-Age=0; Path=/\r\n"));
  assert_int_equal(ask(f, "GET /cookies/delete HTTP/1.1\r\nCookie: a=1\r\n\r\n"), 200);
  assert_body_json(f, "{\"cookies\": {\"a\": \"1\"}}");
  assert_int_equal(count_headers(f, "Set-Cookie"), 0);
}

/* Logs in; returns the token (caller frees) or NULL. */
static char *login(struct fx *f, const char *ctype, const char *body, int *status) {
  char raw[512];
  snprintf(raw, sizeof raw,
           "POST /login HTTP/1.1\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s", ctype,
           strlen(body), body);
  *status = ask(f, raw);
  if (*status != 200) return NULL;
  json_t *j = body_json(f);
  char *tok = lc_xstrdup(json_string_value(json_object_get(j, "token")));
  json_decref(j);
  char v[256], want[256];
  snprintf(want, sizeof want, "session=%s; Path=/; HttpOnly", tok);
  assert_string_equal(resp_header(f, "Set-Cookie", v, sizeof v), want);
  return tok;
}

static void login_and_items(void **state) {
  struct fx *f = *state;
  int st;
  char raw[512], v[64];
  char *tok = login(f, "application/json", "{\"user\": \"alice\", \"password\": \"pw\"}", &st);
  assert_int_equal(st, 200);
  snprintf(raw, sizeof raw, "GET /items HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
  assert_int_equal(ask(f, raw), 200);
  json_t *j = body_json(f);
  assert_string_equal(json_string_value(json_object_get(j, "user")), "alice");
  assert_int_equal(json_integer_value(json_object_get(j, "total")), 100);
  assert_int_equal(json_array_size(json_object_get(j, "items")), 10);
  json_decref(j);
  snprintf(raw, sizeof raw,
           "GET /items?page=3&per_page=20 HTTP/1.1\r\nauthorization: bearer   %s\r\n\r\n", tok);
  assert_int_equal(ask(f, raw), 200);
  j = body_json(f);
  json_t *items = json_object_get(j, "items");
  assert_int_equal(json_array_size(items), 20);
  json_t *first = json_array_get(items, 0);
  assert_int_equal(json_integer_value(json_object_get(first, "id")), 41);
  assert_true(json_real_value(json_object_get(first, "price")) == 61.5);
  assert_string_equal(json_string_value(json_object_get(first, "name")), "item 41");
  json_decref(j);
  snprintf(raw, sizeof raw, "GET /items?page=11 HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n",
           tok);
  assert_int_equal(ask(f, raw), 200);
  assert_non_null(strstr(f->body, "\"items\": []"));
  snprintf(raw, sizeof raw, "GET /items/7 HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", tok);
  assert_int_equal(ask(f, raw), 200);
  assert_body_json(f, "{\"id\": 7, \"name\": \"item 7\", \"price\": 10.5, \"user\": \"alice\"}");
  static const char *const q404[] = {"/items/0", "/items/101", "/items/99999999999999999999999"};
  for (size_t i = 0; i < LC_ARRAY_LEN(q404); i++) {
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", q404[i], tok);
    assert_int_equal(ask(f, raw), 404);
  }
  static const char *const q400[] = {"/items/x", "/items/", "/items?per_page=0",
                                     "/items?per_page=101", "/items?page=0", "/items?page=a"};
  for (size_t i = 0; i < LC_ARRAY_LEN(q400); i++) {
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", q400[i], tok);
    assert_int_equal(ask(f, raw), 400);
  }
  /* Bad tokens. */
  char forged[256];
  snprintf(forged, sizeof forged, "%s", tok);
  forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
  const char *bad[] = {forged, "not-a-token", "", "00.00000000000000000000000000000000"};
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    snprintf(raw, sizeof raw, "GET /items/1 HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", bad[i]);
    assert_int_equal(ask(f, raw), 401);
    assert_string_equal(resp_header(f, "WWW-Authenticate", v, sizeof v), "Bearer");
    assert_body_json(f, "{\"error\": \"missing or invalid token\"}");
  }
  snprintf(raw, sizeof raw, "GET /items HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\n", tok);
  assert_int_equal(ask(f, raw), 401);
  assert_int_equal(ask(f, "GET /items HTTP/1.1\r\n\r\n"), 401);
  /* Form login, a user with bytes to escape; another user gets another token. */
  char *tok2 = login(f, "application/x-www-form-urlencoded",
                     "password=x&user=b%C3%B6b+%22x%22", &st);
  assert_int_equal(st, 200);
  assert_string_not_equal(tok, tok2);
  snprintf(raw, sizeof raw, "GET /items/1 HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", tok2);
  assert_int_equal(ask(f, raw), 200);
  assert_body_json(f, "{\"id\": 1, \"name\": \"item 1\", \"price\": 1.5, "
                      "\"user\": \"b\\u00f6b \\\"x\\\"\"}");
  free(tok);
  free(tok2);
}

static void login_errors(void **state) {
  struct fx *f = *state;
  int st;
  char v[64];
  static const char *const bad[] = {"", "not json", "[1, 2]", "\"alice\"", "null",
                                    "{\"user\": 1, \"password\": \"x\"}",
                                    "{\"user\": \"a\", \"password\": [\"x\"]}", "{\"user\": \"a\", ",
                                    "{\"user\": \"a\"}", "{\"user\": \"a\\u0000b\", \"password\": \"x\"}"};
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    assert_null(login(f, "application/json", bad[i], &st));
    if (st != 400) fail_msg("%s: %d", bad[i], st);
    assert_int_equal(count_headers(f, "Set-Cookie"), 0);
  }
  assert_null(login(f, "text/plain", "user=a", &st));
  assert_int_equal(st, 400);
  assert_null(login(f, "application/json", "{\"user\": \"\", \"password\": \"x\"}", &st));
  assert_int_equal(st, 401);
  assert_null(login(f, "application/x-www-form-urlencoded", "user=a&password=", &st));
  assert_int_equal(st, 401);
  assert_int_equal(count_headers(f, "Set-Cookie"), 0);
  /* Sniffed without a Content-Type. */
  static const char sniffed[] = " {\"user\": \"u\", \"password\": \"p\"}";
  char raw[256];
  snprintf(raw, sizeof raw, "POST /login HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s",
           sizeof sniffed - 1, sniffed);
  assert_int_equal(ask(f, raw), 200);
  assert_int_equal(ask(f, "GET /login HTTP/1.1\r\n\r\n"), 405);
  assert_string_equal(resp_header(f, "Allow", v, sizeof v), "POST");
  assert_int_equal(ask(f, "HEAD /login HTTP/1.1\r\n\r\n"), 405);
}

static void tokens(void **state) {
  (void)state;
  struct lc_serve_token_key k1, k2;
  lc_serve_token_key_init(&k1);
  lc_serve_token_key_init(&k2);
  struct lc_buf t, u;
  lc_buf_init(&t, 0);
  lc_buf_init(&u, 0);
  assert_int_equal(lc_serve_token_make(&k1, "bob", 3, &t), 0);
  assert_int_equal(t.len, 6 + 1 + 32);
  assert_memory_equal(t.data, "626f62.", 7);
  assert_int_equal(lc_serve_token_check(&k1, t.data, t.len, &u), 0);
  assert_string_equal(u.data, "bob");
  assert_int_equal(lc_serve_token_check(&k2, t.data, t.len, &u), LC_EINVAL);
  assert_int_equal(u.len, 0);
  t.data[0] = '7'; /* another user, same tag */
  assert_int_equal(lc_serve_token_check(&k1, t.data, t.len, &u), LC_EINVAL);
  assert_int_equal(lc_serve_token_check(&k1, t.data, t.len - 1, &u), LC_EINVAL);
  assert_int_equal(lc_serve_token_check(&k1, "", 0, &u), LC_EINVAL);
  lc_buf_release(&t);
  lc_buf_release(&u);
}

static void redirects_drop_garbage_index(void **state) {
  struct fx *f = *state;
  char v[64];
  assert_int_equal(ask(f, "GET /redirect/3 HTTP/1.1\r\n\r\n"), 302);
  assert_string_equal(resp_header(f, "Location", v, sizeof v), "/redirect/2");
  assert_int_equal(ask(f, "GET /redirect/0 HTTP/1.1\r\n\r\n"), 200);
  assert_body_json(f, "{\"redirects\": \"done\"}");
  assert_int_equal(ask(f, "GET /redirect/101 HTTP/1.1\r\n\r\n"), 400);
  assert_int_equal(ask(f, "GET /drop HTTP/1.1\r\n\r\n"), 0);
  assert_int_equal(f->res.kind, LC_SERVE_DROP);
  assert_int_equal(f->out.len, 0);
  assert_int_equal(ask(f, "GET /garbage HTTP/1.1\r\n\r\n"), 0);
  assert_int_equal(f->res.kind, LC_SERVE_GARBAGE);
  assert_true(strncmp(f->out.data, "HTTP/1.1 2x0 Garbage\r\n", 22) == 0);
  assert_true(f->res.close);
  assert_int_equal(ask(f, "GET / HTTP/1.1\r\n\r\n"), 200);
  assert_string_equal(resp_header(f, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
  static const char *const listed[] = {"/status/", "/delay/", "/bytes/", "/chunked/", "/json",
                                       "/echo", "/cookies/set", "/cookies/delete", "/login",
                                       "/items", "/redirect/", "/drop", "/garbage",
                                       "/slow-body/", "/__stats", "/__reset"};
  for (size_t i = 0; i < LC_ARRAY_LEN(listed); i++) assert_non_null(strstr(f->body, listed[i]));
}

static void rejects_close(void **state) {
  struct fx *f = *state;
  char v[64];
  assert_int_equal(ask(f, "GET / HTTP/2.0\r\n\r\n"), 505);
  assert_string_equal(resp_header(f, "Connection", v, sizeof v), "close");
  assert_true(f->res.close);
  assert_int_equal(ask(f, "BROKEN\r\n\r\n"), 400);
  assert_body_json(f, "{\"error\": \"bad request\"}");
  assert_int_equal(ask(f, "HEAD / HTTP/1.1\r\nBad Header: x\r\n\r\n"), 400);
  assert_int_equal(f->body_len, 0);
}

static void stats_counts(void **state) {
  struct fx *f = *state;
  lc_serve_counts_free(f->ctx.counts);
  f->ctx.counts = lc_serve_counts_new(3);
  f->ctx.conns_open = 2;
  ask(f, "GET /json HTTP/1.1\r\n\r\n");
  ask(f, "GET /json?x=1 HTTP/1.1\r\n\r\n");
  ask(f, "HEAD /json HTTP/1.1\r\n\r\n");
  ask(f, "GET /nope?a HTTP/1.1\r\n\r\n");
  ask(f, "GET /nope?b HTTP/1.1\r\n\r\n");
  ask(f, "GET /json HTTP/1.1\r\n\r\n");
  ask(f, "GET /__stats HTTP/1.1\r\n\r\n");
  ask(f, "BROKEN\r\n\r\n");
  lc_serve_counts_status(f->ctx.counts, 200);
  lc_serve_counts_status(f->ctx.counts, 400);
  lc_serve_counts_status(f->ctx.counts, 99);
  lc_serve_counts_accepted(f->ctx.counts);
  assert_int_equal(ask(f, "GET /__stats HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.counted, 0);
  assert_body_json(f, "{\"total\": 6, \"requests\": {\"GET /json\": 3, \"HEAD /json\": 1, "
                      "\"GET /nope\": 2}, \"targets\": {\"GET /json\": 2, \"GET /json?x=1\": 1, "
                      "\"HEAD /json\": 1}, \"targets_overflow\": 2, \"statuses\": {\"200\": 1, "
                      "\"400\": 1}, \"bad_requests\": 1, \"connections\": {\"accepted\": 1, "
                      "\"open\": 2}}");
  assert_int_equal(ask(f, "GET /__reset HTTP/1.1\r\n\r\n"), 200);
  assert_int_equal(f->res.counted, 0);
  assert_body_json(f, "{\"reset\": true}");
  ask(f, "GET /__stats HTTP/1.1\r\n\r\n");
  assert_body_json(f, "{\"total\": 0, \"requests\": {}, \"targets\": {}, \"targets_overflow\": 0, "
                      "\"statuses\": {}, \"bad_requests\": 0, \"connections\": {\"accepted\": 0, "
                      "\"open\": 2}}");
  /* Many distinct keys: the tables grow and stay exact. */
  lc_serve_counts_free(f->ctx.counts);
  f->ctx.counts = lc_serve_counts_new(LC_SERVE_MAX_TARGETS);
  for (int i = 0; i < 3000; i++) {
    char raw[64];
    snprintf(raw, sizeof raw, "GET /s?i=%d HTTP/1.1\r\n\r\n", i % 1000);
    ask(f, raw);
  }
  ask(f, "GET /__stats HTTP/1.1\r\n\r\n");
  json_t *j = body_json(f);
  json_t *t = json_object_get(j, "targets");
  assert_int_equal(json_object_size(t), 1000);
  assert_int_equal(json_integer_value(json_object_get(t, "GET /s?i=999")), 3);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "requests"), "GET /s")),
                   3000);
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(json_and_framing, setup, teardown),
      cmocka_unit_test_setup_teardown(status_codes, setup, teardown),
      cmocka_unit_test_setup_teardown(delays_and_slow_bodies, setup, teardown),
      cmocka_unit_test_setup_teardown(bytes_and_streams, setup, teardown),
      cmocka_unit_test(stream_fill_in_small_pieces),
      cmocka_unit_test_setup_teardown(echo, setup, teardown),
      cmocka_unit_test_setup_teardown(cookies, setup, teardown),
      cmocka_unit_test_setup_teardown(login_and_items, setup, teardown),
      cmocka_unit_test_setup_teardown(login_errors, setup, teardown),
      cmocka_unit_test(tokens),
      cmocka_unit_test_setup_teardown(redirects_drop_garbage_index, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_close, setup, teardown),
      cmocka_unit_test_setup_teardown(stats_counts, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
