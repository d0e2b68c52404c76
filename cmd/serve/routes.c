/* routes.c: the endpoints of `loadc serve` (docs/serve.md). Each handler builds its body in the
 * context's scratch buffer and appends head and body to the caller's output buffer; serve.c
 * decides when the bytes go out (now, after a delay, or streamed). No I/O here. */
#include "cmd/serve/serve_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_MAX ((size_t)128 << 20) /* /echo of 16 MiB of control bytes is 96 MiB */
#define SCRATCH_KEEP ((size_t)1 << 20)  /* scratch buffers larger than this are freed after use */
#define INLINE_MAX (64 * 1024)          /* /bytes and /chunked bodies built in one go */
#define MAX_DELAY_MS 600000
#define MAX_BYTES ((uint64_t)1 << 30)
#define ITEMS 100

/* One request being answered. */
struct call {
  struct lc_serve_ctx *x;
  const struct lc_http_req *req;
  struct lc_buf *out;
  struct lc_serve_res *res;
  struct lc_span arg; /* the path after a route's prefix */
};

/* ---- responses ------------------------------------------------------------------------- */

static const char *reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 203: return "Non-Authoritative Information";
  case 204: return "No Content";
  case 205: return "Reset Content";
  case 206: return "Partial Content";
  case 300: return "Multiple Choices";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 402: return "Payment Required";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 411: return "Length Required";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 416: return "Range Not Satisfiable";
  case 417: return "Expectation Failed";
  case 418: return "I'm a teapot";
  case 421: return "Misdirected Request";
  case 422: return "Unprocessable Content";
  case 425: return "Too Early";
  case 426: return "Upgrade Required";
  case 428: return "Precondition Required";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 451: return "Unavailable For Legal Reasons";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  case 507: return "Insufficient Storage";
  case 511: return "Network Authentication Required";
  default: return "Unknown";
  }
}

static void update_date(struct lc_serve_ctx *x) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t now = time(NULL);
  if (now == x->date_sec && x->date[0]) return;
  struct tm tm;
  if (!gmtime_r(&now, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
      tm.tm_mon > 11) {
    x->date[0] = '\0';
    return;
  }
  snprintf(x->date, sizeof x->date, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
           days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
  x->date_sec = now;
}

static int is_head(const struct lc_http_req *req) {
  return req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
}

enum { FRAME_LENGTH, FRAME_NONE, FRAME_CHUNKED };

/* Appends the status line and headers, x->hdr included. */
static int put_head(struct call *c, int status, const char *ctype, uint64_t clen, int framing) {
  struct lc_serve_ctx *x = c->x;
  struct lc_buf *out = c->out;
  update_date(x);
  int rc = lc_buf_printf(out, "HTTP/1.1 %d %s\r\nServer: loadc\r\n%sContent-Type: %s\r\n",
                         status, reason(status), x->date, ctype);
  if (framing == FRAME_LENGTH)
    rc |= lc_buf_printf(out, "Content-Length: %llu\r\n", (unsigned long long)clen);
  else if (framing == FRAME_CHUNKED)
    rc |= lc_buf_puts(out, "Transfer-Encoding: chunked\r\n");
  if (c->res->close) rc |= lc_buf_puts(out, "Connection: close\r\n");
  else if (c->req->minor == 0) rc |= lc_buf_puts(out, "Connection: keep-alive\r\n");
  if (x->hdr.len) rc |= lc_buf_append(out, x->hdr.data, x->hdr.len);
  rc |= lc_buf_append(out, "\r\n", 2);
  c->res->status = status;
  return rc;
}

/* Head and whole body (no body for HEAD, 204 and 304; no Content-Length on 204). */
static int respond(struct call *c, int status, const char *ctype, const char *body, size_t n) {
  size_t start = c->out->len;
  int bodiless = status == 204 || status == 304;
  int rc = put_head(c, status, ctype, bodiless ? 0 : n, status == 204 ? FRAME_NONE : FRAME_LENGTH);
  c->res->head_len = c->out->len - start;
  if (!is_head(c->req) && !bodiless) {
    rc |= lc_buf_append(c->out, body, n);
    c->res->body_bytes = n;
  }
  if (rc) {
    c->out->len = start;
    if (c->out->data) c->out->data[start] = '\0';
    return LC_ETOOBIG;
  }
  c->res->len = c->out->len - start;
  return 0;
}

static int reply_json(struct call *c, int status) {
  return respond(c, status, "application/json", c->x->body.data, c->x->body.len);
}

/* {"error": msg}, built in x->body. */
static int reply_error(struct call *c, int status, const char *msg) {
  struct lc_buf *b = &c->x->body;
  lc_buf_reset(b);
  int rc = lc_buf_puts(b, "{\"error\": ");
  rc |= lc_serve_json_str(b, msg, strlen(msg));
  rc |= lc_buf_puts(b, "}");
  return rc ? LC_ETOOBIG : reply_json(c, status);
}

/* A body that did not fit the scratch buffer. */
static int reply_too_big(struct call *c) {
  lc_buf_reset(&c->x->hdr);
  return reply_error(c, 500, "response too large");
}

static int reply_not_found(struct call *c) {
  struct lc_buf *b = &c->x->body;
  lc_buf_reset(b);
  int rc = lc_buf_puts(b, "{\"error\": \"not found\", \"path\": ");
  rc |= lc_serve_json_str(b, c->req->path, c->req->path_len);
  rc |= lc_buf_puts(b, "}");
  return rc ? reply_too_big(c) : reply_json(c, 404);
}

/* 400 for a path number that is not a decimal integer in [lo, hi]. */
static int reply_bad_number(struct call *c, const char *what, struct lc_span v, uint64_t lo,
                            uint64_t hi) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s must be an integer from %llu to %llu, not '%.*s'", what,
           (unsigned long long)lo, (unsigned long long)hi, v.n > 40 ? 40 : (int)v.n, v.p);
  return reply_error(c, 400, msg);
}

static int parse_num(struct lc_span v, uint64_t lo, uint64_t hi, uint64_t *out) {
  return lc_parse_uint(v.p, v.n, hi, out) == 0 && *out >= lo ? 0 : LC_EINVAL;
}

/* The last value of query argument `name`, URL-decoded into dst[0..cap); 0 when absent,
 * 1 when found, -1 when found but longer than cap. */
static int query_small(const struct lc_http_req *req, const char *name, char *dst, size_t cap,
                       size_t *len) {
  const char *cur = req->query, *end = req->query + req->query_len;
  struct lc_span k, v;
  int found = 0;
  size_t nlen = strlen(name);
  while (lc_serve_query_next(&cur, end, &k, &v)) {
    char kd[32];
    if (k.n > sizeof kd) continue;
    if (lc_serve_url_decode(kd, k.p, k.n, 1) != nlen || memcmp(kd, name, nlen) != 0) continue;
    if (v.n > cap) {
      found = -1;
      continue;
    }
    *len = lc_serve_url_decode(dst, v.p, v.n, 1);
    found = 1;
  }
  return found;
}

/* A numeric query argument in [lo, hi] (dflt when absent); replies 400 itself when bad and
 * returns 1 then. */
static int query_num(struct call *c, const char *name, uint64_t lo, uint64_t hi, uint64_t dflt,
                     uint64_t *out, int *rc) {
  char v[24];
  size_t n = 0;
  int found = query_small(c->req, name, v, sizeof v, &n);
  *out = dflt;
  if (found == 0) return 0;
  if (found == 1 && parse_num((struct lc_span){v, n}, lo, hi, out) == 0) return 0;
  char msg[120];
  snprintf(msg, sizeof msg, "query argument '%s' must be an integer from %llu to %llu", name,
           (unsigned long long)lo, (unsigned long long)hi);
  *rc = reply_error(c, 400, msg);
  return 1;
}

/* ---- streams --------------------------------------------------------------------------- */

#define A26 "abcdefghijklmnopqrstuvwxyz"
#define A260 A26 A26 A26 A26 A26 A26 A26 A26 A26 A26
static const char alphabet[] = A260 A260 A260 A260;

static void put_content(char *dst, uint64_t pos, size_t n) {
  size_t off = (size_t)(pos % 26);
  while (n) {
    size_t k = sizeof alphabet - 1 - off;
    if (k > n) k = n;
    memcpy(dst, alphabet + off, k);
    dst += k;
    n -= k;
    off = (off + k) % 26;
  }
}

size_t lc_serve_stream_fill(struct lc_serve_stream *s, char *dst, size_t cap) {
  if (!s->chunk) {
    size_t k = s->left < cap ? (size_t)s->left : cap;
    put_content(dst, s->pos, k);
    s->pos += k;
    s->left -= k;
    return k;
  }
  size_t o = 0;
  while (!s->ended) {
    if (s->chunk_left == 0) {
      if (s->left == 0) {
        if (cap - o < 5) break;
        memcpy(dst + o, "0\r\n\r\n", 5);
        o += 5;
        s->ended = 1;
        break;
      }
      if (cap - o < 16) break;
      s->chunk_left = s->left < s->chunk ? (uint32_t)s->left : s->chunk;
      o += (size_t)snprintf(dst + o, cap - o, "%x\r\n", (unsigned)s->chunk_left);
    }
    if (cap - o < 3) break;
    size_t k = cap - o - 2; /* room for the CRLF after the data */
    if (k > s->chunk_left) k = s->chunk_left;
    put_content(dst + o, s->pos, k);
    o += k;
    s->pos += k;
    s->left -= k;
    s->chunk_left -= (uint32_t)k;
    if (s->chunk_left) break;
    memcpy(dst + o, "\r\n", 2);
    o += 2;
  }
  return o;
}

int lc_serve_stream_done(const struct lc_serve_stream *s) {
  return s->chunk ? s->ended : s->left == 0;
}

/* Head, then the body inline when small, else left to serve.c as a stream. */
static int reply_stream(struct call *c, const char *ctype, uint64_t n, uint32_t chunk) {
  size_t start = c->out->len;
  int rc = put_head(c, 200, ctype, n, chunk ? FRAME_CHUNKED : FRAME_LENGTH);
  c->res->head_len = c->out->len - start;
  struct lc_serve_stream *s = &c->res->stream;
  *s = (struct lc_serve_stream){.left = n, .chunk = chunk};
  if (!is_head(c->req)) {
    c->res->body_bytes = n;
    if (n <= INLINE_MAX) {
      while (rc == 0 && !lc_serve_stream_done(s)) {
        rc = lc_buf_reserve(c->out, 16 * 1024);
        if (rc == 0) c->out->len += lc_serve_stream_fill(s, c->out->data + c->out->len, 16 * 1024);
      }
      if (c->out->data) c->out->data[c->out->len] = '\0';
    } else {
      c->res->kind = LC_SERVE_STREAM;
    }
  }
  if (rc) {
    c->out->len = start;
    if (c->out->data) c->out->data[start] = '\0';
    c->res->kind = LC_SERVE_NOW;
    return LC_ETOOBIG;
  }
  c->res->len = c->out->len - start;
  return 0;
}

/* ---- endpoints ------------------------------------------------------------------------- */

static const char index_html[] =
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>loadc serve</title></head>\n"
    "<body><h1>loadc serve</h1><p>A small target server for loadc.</p><ul>\n"
    "<li>GET / this page</li>\n"
    "<li>/status/{code} that status (200-599)</li>\n"
    "<li>/delay/{ms} answer after ms milliseconds (0-600000)</li>\n"
    "<li>/bytes/{n} n bytes (0-1 GiB), streamed</li>\n"
    "<li>/chunked/{n}?chunk=K n bytes, chunked (K 1-65536, default 4096)</li>\n"
    "<li>/json a fixed JSON document</li>\n"
    "<li>/echo the request as JSON</li>\n"
    "<li>/cookies, /cookies/set?a=1, /cookies/delete?a</li>\n"
    "<li>POST /login {\"user\", \"password\"} a token</li>\n"
    "<li>/items?page=P&amp;per_page=N, /items/{id} with Authorization: Bearer TOKEN</li>\n"
    "<li>/redirect/{n} n redirects (0-100)</li>\n"
    "<li>/drop close without answering; /garbage a broken response</li>\n"
    "<li>/slow-body/{ms} headers now, body after ms milliseconds</li>\n"
    "<li>/__stats counts, /__reset zero them</li>\n"
    "</ul></body></html>\n";

static const char json_doc[] =
    "{\"name\": \"loadc\", \"version\": 1, \"count\": 3, \"ok\": true, \"nothing\": null,\n"
    " \"items\": [{\"id\": 1, \"name\": \"one\", \"tags\": [\"a\", \"b\"]},\n"
    "           {\"id\": 2, \"name\": \"two\", \"tags\": [\"b\"]},\n"
    "           {\"id\": 3, \"name\": \"three\", \"tags\": []}],\n"
    " \"nested\": {\"level\": 1, \"inner\": {\"level\": 2, \"values\": [1.5, 2.5, 3.5]}}}\n";

static int h_index(struct call *c) {
  return respond(c, 200, "text/html; charset=utf-8", index_html, sizeof index_html - 1);
}

static int h_json(struct call *c) {
  return respond(c, 200, "application/json", json_doc, sizeof json_doc - 1);
}

static int h_status(struct call *c) {
  uint64_t code;
  if (parse_num(c->arg, 200, 599, &code)) return reply_bad_number(c, "status", c->arg, 200, 599);
  int rc = lc_buf_printf(&c->x->body, "{\"status\": %d}", (int)code);
  return rc ? reply_too_big(c) : reply_json(c, (int)code);
}

static int h_delay(struct call *c) {
  uint64_t ms;
  if (parse_num(c->arg, 0, MAX_DELAY_MS, &ms))
    return reply_bad_number(c, "ms", c->arg, 0, MAX_DELAY_MS);
  int rc = lc_buf_printf(&c->x->body, "{\"delay_ms\": %llu}", (unsigned long long)ms);
  if (rc || (rc = reply_json(c, 200))) return rc;
  c->res->kind = LC_SERVE_DELAY;
  c->res->ms = ms;
  return 0;
}

static int h_slow_body(struct call *c) {
  uint64_t ms;
  if (parse_num(c->arg, 0, MAX_DELAY_MS, &ms))
    return reply_bad_number(c, "ms", c->arg, 0, MAX_DELAY_MS);
  int rc = lc_buf_printf(&c->x->body, "{\"slow_body_ms\": %llu}", (unsigned long long)ms);
  if (rc || (rc = reply_json(c, 200))) return rc;
  if (!is_head(c->req)) {
    c->res->kind = LC_SERVE_SLOW_BODY;
    c->res->ms = ms;
  }
  return 0;
}

static int h_bytes(struct call *c) {
  uint64_t n;
  if (parse_num(c->arg, 0, MAX_BYTES, &n)) return reply_bad_number(c, "n", c->arg, 0, MAX_BYTES);
  return reply_stream(c, "application/octet-stream", n, 0);
}

static int h_chunked(struct call *c) {
  uint64_t n, chunk;
  int rc = 0;
  if (parse_num(c->arg, 0, MAX_BYTES, &n)) return reply_bad_number(c, "n", c->arg, 0, MAX_BYTES);
  if (query_num(c, "chunk", 1, 65536, 4096, &chunk, &rc)) return rc;
  /* HTTP/1.0 has no chunked encoding: the same bytes with a Content-Length. */
  return reply_stream(c, "text/plain", n, c->req->minor == 0 ? 0 : (uint32_t)chunk);
}

static int h_redirect(struct call *c) {
  uint64_t n;
  if (parse_num(c->arg, 0, 100, &n)) return reply_bad_number(c, "n", c->arg, 0, 100);
  int rc;
  if (n == 0) {
    rc = lc_buf_puts(&c->x->body, "{\"redirects\": \"done\"}");
    return rc ? reply_too_big(c) : reply_json(c, 200);
  }
  rc = lc_buf_printf(&c->x->hdr, "Location: /redirect/%llu\r\n", (unsigned long long)n - 1);
  rc |= lc_buf_printf(&c->x->body, "{\"redirect\": \"/redirect/%llu\"}", (unsigned long long)n - 1);
  return rc ? reply_too_big(c) : reply_json(c, 302);
}

static int h_drop(struct call *c) {
  c->res->kind = LC_SERVE_DROP;
  c->res->close = 1;
  return 0;
}

static int h_garbage(struct call *c) {
  static const char g[] = "HTTP/1.1 2x0 Garbage\r\nthis line is not a header\r\n\r\n";
  if (lc_buf_append(c->out, g, sizeof g - 1)) return LC_ETOOBIG;
  c->res->kind = LC_SERVE_GARBAGE;
  c->res->close = 1;
  c->res->len = c->res->head_len = sizeof g - 1;
  return 0;
}

static int h_stats(struct call *c) {
  c->res->counted = 0;
  int rc = lc_serve_counts_json(c->x->counts, c->x->conns_open, &c->x->body);
  return rc ? reply_too_big(c) : reply_json(c, 200);
}

static int h_reset(struct call *c) {
  c->res->counted = 0;
  lc_serve_counts_reset(c->x->counts);
  int rc = lc_buf_puts(&c->x->body, "{\"reset\": true}");
  return rc ? reply_too_big(c) : reply_json(c, 200);
}

/* /echo: the request as JSON. */

static int echo_args(struct call *c, struct lc_buf *b) {
  const char *q = c->req->query, *end = q + c->req->query_len, *cur = q;
  size_t n = 1;
  for (const char *p = q; p < end; p++) n += *p == '&';
  struct lc_serve_kv *kv = lc_xmalloc(n * sizeof *kv);
  struct lc_buf *t = &c->x->tmp;
  lc_buf_reset(t);
  int rc = lc_buf_reserve(t, c->req->query_len);
  size_t k = 0;
  struct lc_span name, value;
  while (rc == 0 && k < n && lc_serve_query_next(&cur, end, &name, &value)) {
    kv[k].name = t->data + t->len; /* stable: t has room for the whole query */
    kv[k].name_len = lc_serve_url_decode(t->data + t->len, name.p, name.n, 1);
    t->len += kv[k].name_len;
    kv[k].value = t->data + t->len;
    kv[k].value_len = lc_serve_url_decode(t->data + t->len, value.p, value.n, 1);
    t->len += kv[k].value_len;
    k++;
  }
  lc_serve_kv_group(kv, k, 0);
  rc |= lc_buf_append(b, "{", 1);
  int first = 1;
  for (size_t i = 0; i < k && rc == 0; i++) {
    if (!kv[i].first) continue;
    size_t last = i;
    while (kv[last].next != LC_SERVE_KV_END) last = kv[last].next;
    if (!first) rc |= lc_buf_append(b, ", ", 2);
    first = 0;
    rc |= lc_serve_json_str(b, kv[i].name, kv[i].name_len);
    rc |= lc_buf_append(b, ": ", 2);
    rc |= lc_serve_json_str(b, kv[last].value, kv[last].value_len);
  }
  free(kv);
  return rc | lc_buf_append(b, "}", 1);
}

static int echo_headers(struct call *c, struct lc_buf *b) {
  const struct lc_http_req *req = c->req;
  size_t n = req->nheaders;
  struct lc_serve_kv *kv = lc_xmalloc((n ? n : 1) * sizeof *kv);
  for (size_t i = 0; i < n; i++) {
    kv[i].name = req->headers[i].name;
    kv[i].name_len = req->headers[i].name_len;
    kv[i].value = req->headers[i].value;
    kv[i].value_len = req->headers[i].value_len;
  }
  lc_serve_kv_group(kv, n, 1);
  struct lc_buf *t = &c->x->tmp;
  int rc = lc_buf_append(b, "{", 1);
  int first = 1;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!kv[i].first) continue;
    if (!first) rc |= lc_buf_append(b, ", ", 2);
    first = 0;
    lc_buf_reset(t);
    for (size_t j = 0; j < kv[i].name_len && rc == 0; j++) {
      char ch = kv[i].name[j];
      if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
      rc |= lc_buf_append(t, &ch, 1);
    }
    rc |= lc_serve_json_str(b, t->data, t->len);
    rc |= lc_buf_append(b, ": ", 2);
    if (kv[i].next == LC_SERVE_KV_END) {
      rc |= lc_serve_json_str(b, kv[i].value, kv[i].value_len);
      continue;
    }
    lc_buf_reset(t);
    for (size_t j = i; j != LC_SERVE_KV_END && rc == 0; j = kv[j].next) {
      if (j != i) rc |= lc_buf_append(t, ", ", 2);
      rc |= lc_buf_append(t, kv[j].value, kv[j].value_len);
    }
    rc |= lc_serve_json_str(b, t->data, t->len);
  }
  free(kv);
  return rc | lc_buf_append(b, "}", 1);
}

static int h_echo(struct call *c) {
  const struct lc_http_req *req = c->req;
  struct lc_buf *b = &c->x->body;
  int rc = lc_buf_puts(b, "{\"method\": ");
  rc |= lc_serve_json_str(b, req->method, req->method_len);
  rc |= lc_buf_puts(b, ", \"path\": ");
  rc |= lc_serve_json_str(b, req->path, req->path_len);
  rc |= lc_buf_puts(b, ", \"query\": ");
  rc |= lc_serve_json_str(b, req->query, req->query_len);
  rc |= lc_buf_puts(b, ", \"args\": ");
  if (rc == 0) rc |= echo_args(c, b);
  rc |= lc_buf_puts(b, ", \"headers\": ");
  if (rc == 0) rc |= echo_headers(c, b);
  rc |= lc_buf_puts(b, ", \"body\": ");
  rc |= lc_serve_json_str(b, req->body ? req->body : "", req->body_len);
  rc |= lc_buf_puts(b, "}");
  return rc ? reply_too_big(c) : reply_json(c, 200);
}

/* Cookies. Values set from a query are URL-decoded, then the bytes a cookie cannot hold are
 * %XX-encoded again, so that the value in the body is the one the client will send back. */

static int cookie_octet(unsigned char ch, int is_name) {
  static const char sep[] = "()<>@,;:\\\"/[]?={}";
  if (ch <= 0x20 || ch >= 0x7f) return 0;
  if (is_name) return strchr(sep, ch) == NULL;
  return ch != '"' && ch != ',' && ch != ';' && ch != '\\';
}

/* Appends the cookie-safe form of src[0..n) to t, which has room for 3n more bytes. */
static size_t cookie_encode(struct lc_buf *t, const char *src, size_t n, int is_name) {
  static const char hex[] = "0123456789ABCDEF";
  char *d = t->data + t->len, *d0 = d;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)src[i];
    if (cookie_octet(ch, is_name)) {
      *d++ = (char)ch;
    } else {
      *d++ = '%';
      *d++ = hex[ch >> 4];
      *d++ = hex[ch & 15];
    }
  }
  t->len += (size_t)(d - d0);
  t->data[t->len] = '\0';
  return (size_t)(d - d0);
}

/* The request's cookies plus room for `extra` more entries; *n set to how many. */
static struct lc_serve_kv *request_cookies(const struct lc_http_req *req, size_t extra,
                                           size_t *n) {
  size_t cap = extra;
  for (size_t i = 0; i < req->nheaders; i++) {
    const struct lc_http_header *h = &req->headers[i];
    if (!lc_http_ieq(h->name, h->name_len, "cookie")) continue;
    cap++;
    for (size_t j = 0; j < h->value_len; j++) cap += h->value[j] == ';';
  }
  struct lc_serve_kv *kv = lc_xcalloc(cap ? cap : 1, sizeof *kv);
  size_t k = 0;
  for (size_t i = 0; i < req->nheaders; i++) {
    const struct lc_http_header *h = &req->headers[i];
    if (!lc_http_ieq(h->name, h->name_len, "cookie")) continue;
    const char *cur = h->value, *end = h->value + h->value_len;
    struct lc_span name, value;
    while (k < cap && lc_serve_cookie_next(&cur, end, &name, &value)) {
      kv[k] = (struct lc_serve_kv){.name = name.p, .name_len = name.n, .value = value.p,
                                   .value_len = value.n};
      k++;
    }
  }
  *n = k;
  return kv;
}

/* {"cookies": {...}}: the last value of each name, names whose last entry is deleted left out. */
static int cookies_body(struct lc_buf *b, struct lc_serve_kv *kv, size_t n) {
  lc_serve_kv_group(kv, n, 0);
  int rc = lc_buf_puts(b, "{\"cookies\": {");
  int first = 1;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!kv[i].first) continue;
    size_t last = i;
    while (kv[last].next != LC_SERVE_KV_END) last = kv[last].next;
    if (kv[last].del) continue;
    if (!first) rc |= lc_buf_append(b, ", ", 2);
    first = 0;
    rc |= lc_serve_json_str(b, kv[i].name, kv[i].name_len);
    rc |= lc_buf_append(b, ": ", 2);
    rc |= lc_serve_json_str(b, kv[last].value, kv[last].value_len);
  }
  return rc | lc_buf_puts(b, "}}");
}

/* /cookies (del < 0), /cookies/set (del = 0), /cookies/delete (del = 1). */
static int cookies(struct call *c, int del) {
  const struct lc_http_req *req = c->req;
  const char *q = req->query, *end = q + req->query_len, *cur = q;
  size_t extra = 0, n;
  if (del >= 0)
    for (const char *p = q; p <= end; p++) extra += p == end || *p == '&';
  struct lc_serve_kv *kv = request_cookies(req, extra, &n);
  size_t cap = n + extra;
  struct lc_buf *t = &c->x->tmp, *hdr = &c->x->hdr;
  lc_buf_reset(t);
  /* Decoding takes at most the query's length, encoding at most three times what it decodes. */
  int rc = del >= 0 ? lc_buf_reserve(t, 4 * req->query_len + 1) : 0;
  struct lc_span name, value;
  char *scratch = t->data;
  while (rc == 0 && del >= 0 && n < cap && lc_serve_query_next(&cur, end, &name, &value)) {
    size_t nl = lc_serve_url_decode(scratch, name.p, name.n, 1);
    size_t vl = del ? 0 : lc_serve_url_decode(scratch + nl, value.p, value.n, 1);
    if (nl == 0) continue;
    /* The decoded bytes sit at the start of t; the encoded ones go after everything so far. */
    size_t base = req->query_len;
    if (t->len < base) t->len = base;
    struct lc_serve_kv *e = &kv[n++];
    e->del = (uint8_t)del;
    e->name = t->data + t->len;
    e->name_len = cookie_encode(t, scratch, nl, 1);
    e->value = t->data + t->len;
    e->value_len = del ? 0 : cookie_encode(t, scratch + nl, vl, 0);
    rc |= lc_buf_puts(hdr, "Set-Cookie: ");
    rc |= lc_buf_append(hdr, e->name, e->name_len);
    rc |= lc_buf_append(hdr, "=", 1);
    rc |= lc_buf_append(hdr, e->value, e->value_len);
    rc |= lc_buf_puts(hdr, del ? "; Max-Age=0; Path=/\r\n" : "; Path=/\r\n");
  }
  if (rc == 0) rc = cookies_body(&c->x->body, kv, n);
  free(kv);
  if (rc) return reply_too_big(c);
  return reply_json(c, 200);
}

static int h_cookies(struct call *c) { return cookies(c, -1); }
static int h_cookies_set(struct call *c) { return cookies(c, 0); }
static int h_cookies_delete(struct call *c) { return cookies(c, 1); }

/* /login */

/* user and password from a JSON object, copied to t (with room reserved beforehand). */
static int login_json(struct call *c, struct lc_span *user, struct lc_span *pass) {
  const struct lc_http_req *req = c->req;
  json_error_t err;
  json_t *root = json_loadb(req->body ? req->body : "", req->body_len, 0, &err);
  int rc = LC_EINVAL;
  if (!root) return rc;
  json_t *u = json_object_get(root, "user"), *p = json_object_get(root, "password");
  struct lc_buf *t = &c->x->tmp;
  if (json_is_object(root) && json_is_string(u) && json_is_string(p)) {
    size_t un = json_string_length(u), pn = json_string_length(p);
    lc_buf_reset(t);
    if (lc_buf_reserve(t, un + pn + 1) == 0) {
      user->p = t->data;
      user->n = un;
      memcpy(t->data, json_string_value(u), un);
      pass->p = t->data + un;
      pass->n = pn;
      memcpy(t->data + un, json_string_value(p), pn);
      t->len = un + pn;
      t->data[t->len] = '\0';
      rc = 0;
    }
  }
  json_decref(root);
  return rc;
}

/* user=...&password=... (the last of each). */
static int login_form(struct call *c, struct lc_span *user, struct lc_span *pass) {
  const struct lc_http_req *req = c->req;
  struct lc_buf *t = &c->x->tmp;
  lc_buf_reset(t);
  if (lc_buf_reserve(t, req->body_len + 1)) return LC_EINVAL;
  const char *cur = req->body ? req->body : "", *end = cur + req->body_len;
  struct lc_span k, v;
  int got_user = 0, got_pass = 0;
  while (lc_serve_query_next(&cur, end, &k, &v)) {
    char kd[16];
    if (k.n > sizeof kd) continue;
    size_t kn = lc_serve_url_decode(kd, k.p, k.n, 1);
    struct lc_span *dst = NULL;
    if (kn == 4 && memcmp(kd, "user", 4) == 0) dst = user, got_user = 1;
    else if (kn == 8 && memcmp(kd, "password", 8) == 0) dst = pass, got_pass = 1;
    if (!dst) continue;
    dst->p = t->data + t->len;
    dst->n = lc_serve_url_decode(t->data + t->len, v.p, v.n, 1);
    t->len += dst->n;
  }
  return got_user && got_pass ? 0 : LC_EINVAL;
}

static int is_json_body(const struct lc_http_req *req) {
  const struct lc_http_header *ct = lc_http_header_get(req, "content-type");
  if (ct) {
    for (size_t i = 0; i + 4 <= ct->value_len; i++)
      if (lc_http_ieq(ct->value + i, 4, "json")) return 1;
    if (ct->value_len >= 33 && lc_http_ieq(ct->value, 33, "application/x-www-form-urlencoded"))
      return 0;
  }
  for (size_t i = 0; i < req->body_len; i++) {
    char ch = req->body[i];
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') return ch == '{';
  }
  return 0;
}

static int h_login(struct call *c) {
  if (!(c->req->method_len == 4 && memcmp(c->req->method, "POST", 4) == 0)) {
    if (lc_buf_puts(&c->x->hdr, "Allow: POST\r\n")) return reply_too_big(c);
    return reply_error(c, 405, "method not allowed: use POST");
  }
  struct lc_span user = {"", 0}, pass = {"", 0};
  int rc = is_json_body(c->req) ? login_json(c, &user, &pass) : login_form(c, &user, &pass);
  if (rc)
    return reply_error(c, 400,
                       "expected {\"user\": \"...\", \"password\": \"...\"} (JSON) or "
                       "user=...&password=... (form)");
  if (user.n == 0 || pass.n == 0) {
    if (lc_buf_puts(&c->x->hdr, "WWW-Authenticate: Bearer\r\n")) return reply_too_big(c);
    return reply_error(c, 401, "empty user or password");
  }
  struct lc_buf *t = &c->x->tmp;
  /* user points into t: make room for the token first, so that making it cannot move t */
  size_t uoff = (size_t)(user.p - t->data);
  if (lc_buf_reserve(t, 2 * user.n + 33)) return reply_too_big(c);
  user.p = t->data + uoff;
  size_t tok = t->len;
  if (lc_serve_token_make(&c->x->key, user.p, user.n, t)) return reply_too_big(c);
  struct lc_buf *hdr = &c->x->hdr, *b = &c->x->body;
  rc = lc_buf_puts(hdr, "Set-Cookie: session=");
  rc |= lc_buf_append(hdr, t->data + tok, t->len - tok);
  rc |= lc_buf_puts(hdr, "; Path=/; HttpOnly\r\n");
  rc |= lc_buf_puts(b, "{\"token\": ");
  rc |= lc_serve_json_str(b, t->data + tok, t->len - tok);
  rc |= lc_buf_puts(b, "}");
  return rc ? reply_too_big(c) : reply_json(c, 200);
}

/* /items: the token's user is left in x->tmp. */

static int authorized(struct call *c) {
  const struct lc_http_header *h = lc_http_header_get(c->req, "authorization");
  if (!h || h->value_len < 8 || !lc_http_ieq(h->value, 6, "bearer") ||
      (h->value[6] != ' ' && h->value[6] != '\t'))
    return 0;
  size_t i = 7;
  while (i < h->value_len && (h->value[i] == ' ' || h->value[i] == '\t')) i++;
  return lc_serve_token_check(&c->x->key, h->value + i, h->value_len - i, &c->x->tmp) == 0;
}

static int reply_unauthorized(struct call *c) {
  if (lc_buf_puts(&c->x->hdr, "WWW-Authenticate: Bearer\r\n")) return reply_too_big(c);
  return reply_error(c, 401, "missing or invalid token");
}

static int put_item(struct lc_buf *b, unsigned id) {
  return lc_buf_printf(b, "{\"id\": %u, \"name\": \"item %u\", \"price\": %u.%u", id, id,
                       id * 3 / 2, id % 2 ? 5u : 0u);
}

static int h_items(struct call *c) {
  if (!authorized(c)) return reply_unauthorized(c);
  uint64_t page, per;
  int rc = 0;
  if (query_num(c, "page", 1, 1000000000, 1, &page, &rc)) return rc;
  if (query_num(c, "per_page", 1, 100, 10, &per, &rc)) return rc;
  struct lc_buf *b = &c->x->body, *t = &c->x->tmp;
  rc = lc_buf_puts(b, "{\"user\": ");
  rc |= lc_serve_json_str(b, t->data, t->len);
  rc |= lc_buf_printf(b, ", \"page\": %llu, \"per_page\": %llu, \"total\": %d, \"items\": [",
                      (unsigned long long)page, (unsigned long long)per, ITEMS);
  uint64_t from = (page - 1) * per + 1;
  for (uint64_t id = from; id < from + per && id <= ITEMS && rc == 0; id++) {
    if (id != from) rc |= lc_buf_puts(b, ", ");
    rc |= put_item(b, (unsigned)id);
    rc |= lc_buf_puts(b, "}");
  }
  rc |= lc_buf_puts(b, "]}");
  return rc ? reply_too_big(c) : reply_json(c, 200);
}

static int h_item(struct call *c) {
  if (!authorized(c)) return reply_unauthorized(c);
  struct lc_span a = c->arg;
  size_t digits = 0;
  while (digits < a.n && a.p[digits] >= '0' && a.p[digits] <= '9') digits++;
  if (a.n == 0 || digits != a.n) return reply_bad_number(c, "id", a, 1, ITEMS);
  uint64_t id;
  if (parse_num(a, 1, ITEMS, &id)) return reply_not_found(c);
  struct lc_buf *b = &c->x->body, *t = &c->x->tmp;
  int rc = put_item(b, (unsigned)id);
  rc |= lc_buf_puts(b, ", \"user\": ");
  rc |= lc_serve_json_str(b, t->data, t->len);
  rc |= lc_buf_puts(b, "}");
  return rc ? reply_too_big(c) : reply_json(c, 200);
}

/* ---- dispatch -------------------------------------------------------------------------- */

struct route {
  const char *path;
  int prefix; /* path is a prefix; the rest is the argument */
  int (*fn)(struct call *c);
};

static const struct route routes[] = {
    {"/", 0, h_index},
    {"/json", 0, h_json},
    {"/echo", 0, h_echo},
    {"/status/", 1, h_status},
    {"/delay/", 1, h_delay},
    {"/bytes/", 1, h_bytes},
    {"/chunked/", 1, h_chunked},
    {"/cookies", 0, h_cookies},
    {"/cookies/set", 0, h_cookies_set},
    {"/cookies/delete", 0, h_cookies_delete},
    {"/login", 0, h_login},
    {"/items", 0, h_items},
    {"/items/", 1, h_item},
    {"/redirect/", 1, h_redirect},
    {"/drop", 0, h_drop},
    {"/garbage", 0, h_garbage},
    {"/slow-body/", 1, h_slow_body},
    {"/__stats", 0, h_stats},
    {"/__reset", 0, h_reset},
};

static const struct route *find_route(const struct lc_http_req *req, struct lc_span *arg) {
  for (size_t i = 0; i < LC_ARRAY_LEN(routes); i++) {
    const struct route *r = &routes[i];
    size_t n = strlen(r->path);
    if (r->prefix ? req->path_len < n : req->path_len != n) continue;
    if (memcmp(req->path, r->path, n) != 0) continue;
    arg->p = req->path + n;
    arg->n = req->path_len - n;
    return r;
  }
  return NULL;
}

static void shrink(struct lc_buf *b) {
  if (b->cap > SCRATCH_KEEP) lc_buf_release(b);
  else lc_buf_reset(b);
}

void lc_serve_ctx_init(struct lc_serve_ctx *x) {
  memset(x, 0, sizeof *x);
  x->counts = lc_serve_counts_new(LC_SERVE_MAX_TARGETS);
  lc_serve_token_key_init(&x->key);
  lc_buf_init(&x->body, SCRATCH_MAX);
  lc_buf_init(&x->hdr, SCRATCH_MAX);
  lc_buf_init(&x->tmp, SCRATCH_MAX);
}

void lc_serve_ctx_release(struct lc_serve_ctx *x) {
  lc_serve_counts_free(x->counts);
  lc_buf_release(&x->body);
  lc_buf_release(&x->hdr);
  lc_buf_release(&x->tmp);
  x->counts = NULL;
}

static void call_init(struct call *c, struct lc_serve_ctx *x, const struct lc_http_req *req,
                      struct lc_buf *out, struct lc_serve_res *res) {
  memset(res, 0, sizeof *res);
  res->kind = LC_SERVE_NOW;
  res->counted = 1;
  *c = (struct call){.x = x, .req = req, .out = out, .res = res};
  lc_buf_reset(&x->body);
  lc_buf_reset(&x->hdr);
  lc_buf_reset(&x->tmp);
}

static void call_done(struct call *c) {
  shrink(&c->x->body);
  shrink(&c->x->hdr);
  shrink(&c->x->tmp);
}

int lc_serve_route(struct lc_serve_ctx *x, const struct lc_http_req *req, struct lc_buf *out,
                   struct lc_serve_res *res) {
  struct call c;
  call_init(&c, x, req, out, res);
  res->close = !req->keep_alive;
  const struct route *r = find_route(req, &c.arg);
  if (!r || (r->fn != h_stats && r->fn != h_reset)) lc_serve_counts_request(x->counts, req);
  int rc = r ? r->fn(&c) : reply_not_found(&c);
  call_done(&c);
  return rc;
}

int lc_serve_reject(struct lc_serve_ctx *x, const struct lc_http_req *req, int status,
                    struct lc_buf *out, struct lc_serve_res *res) {
  struct call c;
  call_init(&c, x, req, out, res);
  res->close = 1;
  lc_serve_counts_bad(x->counts);
  const char *msg = status == 413   ? "request body too large"
                    : status == 431 ? "request header fields too large"
                    : status == 505 ? "http version not supported"
                                    : "bad request";
  int rc = reply_error(&c, status, msg);
  call_done(&c);
  return rc;
}
