/* http_fast.c: the fast HTTP/1.1 client (see http_fast.h) on the worker's libuv loop.
 * A session is small while it waits: its connection (a uv_tcp_t and one request slot for the
 * connect or the write, never both at once) and its cookie jar, if it has cookies. A request
 * takes a transfer from the client's pool: the request bytes (built once per request and hop,
 * into a buffer that keeps its capacity), the read buffer, the header buffer and array the
 * parser (http_parse.c) fills, the kept body and the timeout timer; it goes back to the pool
 * once the callback has returned, so the hot path allocates nothing once the pool is warm.
 * Writes try uv_try_write first and queue only what the socket did not take. Connections are
 * read from all the time, idle ones included (into a small buffer of the client's), so that a
 * server's close is seen while the session waits; a request that meets a kept connection the
 * server closed anyway, before any byte of the response, is sent again once on a new one, as
 * browsers do. Failures are reported with the curl client's kinds and messages. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS (mmap of transfers); POSIX names it only since 2024 */
#include "engine/http_fast.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include <uv.h>
#include <zlib.h>

#include "engine/base/base.h"
#include "engine/cookies.h"
#include "engine/http_parse.h"

#define MAX_REDIRS 30
#define HEAD_MAX (32 * 1024)          /* header bytes of one response */
#define MAX_HEADERS 256               /* headers of one response */
#define REQ_HEAD_MAX (1024 * 1024)    /* header lines of one request */
#define RBUF_SIZE (16 * 1024)         /* read buffer of a request in flight */
#define POOL_MAX 64                   /* idle transfers kept per client (about 50 KB each) */
#define POOL_KEEP_CAP (1024 * 1024)   /* a body buffer larger than this is freed when pooled */
#define MAX_ORIGINS 1024              /* origins whose addresses are kept */
#define MAX_ADDRS 4                   /* addresses tried per origin */
#define HOST_MAX 256
#define MSG_MAX 320

/* An origin's addresses (or why it has none), looked up once per client. */
struct origin {
  char host[HOST_MAX]; /* lower-case, IPv6 without brackets */
  int port;
  int naddrs;
  struct sockaddr_storage addrs[MAX_ADDRS];
};

/* A session's connection. Freed only in its close callback; detached from its session (s is
 * NULL) from the moment it starts closing. */
struct conn {
  uv_tcp_t tcp;
  union {
    uv_connect_t connect;
    uv_write_t write;
  } req;
  struct lc_fast_session *s;
  int origin;          /* index in the client's origins */
  unsigned responses;  /* complete responses read on it */
  bool connected, writing;
};

/* A request's URL, in pieces pointing into it. */
struct target {
  bool https;
  const char *host;    /* without brackets */
  size_t host_len;
  const char *authority; /* host[:port] as written, for Host */
  size_t authority_len;
  int port;
  const char *path;    /* path and query, without the fragment; may be empty */
  size_t path_len;
};

/* What one request in flight needs. Pooled per client. */
struct xfer {
  struct xfer *next;
  struct lc_fast_client *c;
  struct lc_fast_session *s;
  uv_timer_t timer;
  const struct lc_http_request *rq;
  const char *method;      /* rq's, or "GET" after a redirect that changes it */
  bool send_body;          /* rq's body goes out (not after a change to GET) */
  bool drop_auth;          /* redirected to another host: no credentials */
  bool keep, toobig, retried, in_send, redirect;
  int redirects;
  int origin;              /* of the current hop */
  int addr;                /* the address of the origin being tried */
  int64_t start_us, headers_us;
  uint64_t body_bytes;
  char host[HOST_MAX];     /* the current hop's host (lower-case) and path, for cookies */
  struct lc_buf path;
  struct lc_buf req;       /* the request's bytes up to its body */
  struct lc_buf body;      /* the kept body */
  struct lc_buf url, url2; /* the current URL; the next one while a redirect is set up */
  struct lc_resp_parser p;
  /* a kept body with Content-Encoding gzip or deflate is inflated as it arrives; the stream is
   * set up by the first such response and reset for the next ones, freed with the transfer */
  z_stream z;
  bool z_ready;            /* z was initialised (inflateInit2) */
  bool z_on;               /* the current response's body goes through z */
  bool z_raw_ok;           /* deflate: a raw stream may still be tried (nothing consumed yet) */
  bool z_end;              /* the compressed stream ended */
  char msg[MSG_MAX];
  struct lc_http_header hdrs[MAX_HEADERS];
  char head[HEAD_MAX];
  char rbuf[RBUF_SIZE];
};

enum sstate { S_IDLE, S_ACTIVE, S_DEFERRED };

struct lc_fast_session {
  struct lc_fast_client *c;
  struct lc_fast_session *prev, *next; /* the client's sessions */
  struct lc_fast_session *dnext;       /* the client's deferred failures */
  struct conn *conn;
  struct lc_cookie_jar *jar;           /* NULL until the first cookie */
  struct xfer *x;                      /* while a request is in flight */
  lc_http_done_cb cb;
  void *ctx;
  enum sstate state;
  enum lc_http_error derr;
};

struct lc_fast_client {
  uv_loop_t *loop;
  uv_idle_t defer;   /* reports failures that happened inside lc_fast_send */
  int nhandles;      /* defer and the pooled transfers' timers not closed yet */
  bool closing;
  struct lc_fast_session *sessions;
  struct lc_fast_session *dhead, *dtail;
  size_t ndeferred;
  struct xfer *pool;
  size_t npool;
  struct origin *origins;
  size_t norigins;
  char idle_buf[64]; /* what idle connections read into (a close, or bytes nobody asked for) */
};

static void client_unref(struct lc_fast_client *c);

/* ---- transfers ---- */

static struct xfer *xfer_get(struct lc_fast_client *c) {
  struct xfer *x = c->pool;
  if (x) {
    c->pool = x->next;
    c->npool--;
    return x;
  }
  /* its own mapping: a burst of requests in flight (a ramp) must not leave the heap holding
   * its pages, fragmented among the users' small allocations, once the transfers go back;
   * untouched parts of the buffers are never resident */
  x = mmap(NULL, sizeof *x, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (x == MAP_FAILED) {
    lc_log(LC_LOG_ERROR, "out of memory (a transfer of the fast client)");
    abort();
  }
  x->c = c;
  uv_timer_init(c->loop, &x->timer);
  x->timer.data = x;
  c->nhandles++;
  lc_buf_init(&x->req, REQ_HEAD_MAX + 4096);
  lc_buf_init(&x->body, 0);
  lc_buf_init(&x->url, 0);
  lc_buf_init(&x->url2, 0);
  lc_buf_init(&x->path, 0);
  return x;
}

static void xfer_free(uv_handle_t *h) {
  struct xfer *x = h->data;
  struct lc_fast_client *c = x->c;
  lc_buf_release(&x->req);
  lc_buf_release(&x->body);
  lc_buf_release(&x->url);
  lc_buf_release(&x->url2);
  lc_buf_release(&x->path);
  if (x->z_ready) inflateEnd(&x->z);
  munmap(x, sizeof *x);
  client_unref(c);
}

static void xfer_put(struct lc_fast_client *c, struct xfer *x) {
  if (!x) return;
  uv_timer_stop(&x->timer);
  x->s = NULL;
  x->rq = NULL;
  if (c->closing || c->npool >= POOL_MAX) {
    uv_close((uv_handle_t *)&x->timer, xfer_free);
    return;
  }
  if (x->body.cap > POOL_KEEP_CAP) {
    lc_buf_release(&x->body);
    lc_buf_init(&x->body, 0);
  }
  x->next = c->pool;
  c->pool = x;
  c->npool++;
}

/* ---- messages ---- */

/* ---- connections ---- */

static void on_conn_closed(uv_handle_t *h) { free(h->data); }

/* Detaches and closes the session's connection, if any. */
static void conn_close(struct lc_fast_session *s) {
  struct conn *k = s->conn;
  if (!k) return;
  s->conn = NULL;
  k->s = NULL;
  uv_close((uv_handle_t *)&k->tcp, on_conn_closed);
}

/* ---- completion ---- */

/* Hands r to the callback; the session is idle (and may be reused or freed) from then on, and
 * the transfer goes back to the pool once the callback has returned. */
static void finish(struct lc_fast_session *s, const struct lc_http_response *r) {
  struct lc_fast_client *c = s->c;
  struct xfer *x = s->x;
  lc_http_done_cb cb = s->cb;
  void *ctx = s->ctx;
  uv_timer_stop(&x->timer);
  s->x = NULL;
  s->cb = NULL;
  s->ctx = NULL;
  s->state = S_IDLE;
  cb(ctx, r);
  xfer_put(c, x);
}

static void base_response(const struct xfer *x, struct lc_http_response *r) {
  memset(r, 0, sizeof *r);
  r->start_us = x->start_us;
  r->headers_us = x->headers_us;
  r->end_us = lc_now_us();
  r->body_bytes = x->body_bytes;
  r->final_url = x->url.data ? x->url.data : "";
}

static void on_defer(uv_idle_t *h) {
  struct lc_fast_client *c = h->data;
  struct lc_fast_session *s;
  uv_idle_stop(h);
  /* one at a time (a callback may free sessions still queued), and only those queued now */
  for (size_t n = c->ndeferred; n > 0 && (s = c->dhead); n--) {
    c->dhead = s->dnext;
    if (!c->dhead) c->dtail = NULL;
    s->dnext = NULL;
    c->ndeferred--;
    struct lc_http_response r;
    base_response(s->x, &r);
    r.error = s->derr;
    r.error_message = s->x->msg;
    finish(s, &r);
  }
}

static void defer_failure(struct lc_fast_session *s, enum lc_http_error e) {
  struct lc_fast_client *c = s->c;
  uv_timer_stop(&s->x->timer);
  s->state = S_DEFERRED;
  s->derr = e;
  s->dnext = NULL;
  if (c->dtail) c->dtail->dnext = s;
  else c->dhead = s;
  c->dtail = s;
  c->ndeferred++;
  uv_idle_start(&c->defer, on_defer);
}

static void defer_remove(struct lc_fast_client *c, struct lc_fast_session *s) {
  struct lc_fast_session **pp = &c->dhead, *prev = NULL;
  while (*pp && *pp != s) prev = *pp, pp = &(*pp)->dnext;
  if (!*pp) return;
  *pp = s->dnext;
  if (c->dtail == s) c->dtail = prev;
  c->ndeferred--;
}

/* The request failed with e (message in x->msg): the connection goes (it is in an unknown
 * state), and the callback runs now, or from the loop when inside lc_fast_send. */
static void fail(struct lc_fast_session *s, enum lc_http_error e) {
  struct xfer *x = s->x;
  conn_close(s);
  if (x->in_send) {
    defer_failure(s, e);
    return;
  }
  struct lc_http_response r;
  base_response(x, &r);
  r.error = e;
  r.error_message = x->msg;
  if (e == LC_HTTP_ETOOBIG) { /* the status was read: not a transport failure */
    r.status = x->p.status;
    r.headers = x->p.nheaders ? x->hdrs : NULL;
    r.nheaders = x->p.nheaders;
  }
  finish(s, &r);
}

static void failf(struct lc_fast_session *s, enum lc_http_error e, const char *fmt, ...)
    LC_PRINTF(3, 4);
static void failf(struct lc_fast_session *s, enum lc_http_error e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->x->msg, sizeof s->x->msg, fmt, ap);
  va_end(ap);
  fail(s, e);
}

static void complete(struct lc_fast_session *s) {
  struct xfer *x = s->x;
  struct lc_http_response r;
  base_response(x, &r);
  r.status = x->p.status;
  r.headers = x->p.nheaders ? x->hdrs : NULL;
  r.nheaders = x->p.nheaders;
  if (x->keep) {
    r.body = x->body.data ? x->body.data : "";
    r.body_len = x->body.len;
  }
  finish(s, &r);
}

/* ---- URLs ---- */

static bool is_scheme_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '+' || ch == '-' || ch == '.';
}

/* Length of the scheme before "://", 0 if url does not start with one. */
static size_t scheme_len(const char *url) {
  size_t i = 0;
  while (is_scheme_char(url[i])) i++;
  return i && strncmp(url + i, "://", 3) == 0 ? i : 0;
}

/* Splits url into t. Returns 0, or an error kind with the message in msg. */
static enum lc_http_error parse_url(const char *url, struct target *t, char *msg, size_t cap) {
  memset(t, 0, sizeof *t);
  size_t sl = scheme_len(url);
  if (sl == 0) {
    snprintf(msg, cap, "malformed URL (no scheme)");
    return LC_HTTP_EOTHER;
  }
  if (sl == 5 && strncasecmp(url, "https", 5) == 0) {
    t->https = true;
    snprintf(msg, cap, "https is not supported by the fast client (client: curl)");
    return LC_HTTP_EOTHER;
  }
  if (sl != 4 || strncasecmp(url, "http", 4) != 0) {
    snprintf(msg, cap, "unsupported protocol '%.*s'", (int)(sl > 16 ? 16 : sl), url);
    return LC_HTTP_EOTHER;
  }
  const char *a = url + sl + 3;
  size_t al = strcspn(a, "/?#");
  t->authority = a;
  t->authority_len = al;
  if (memchr(a, '@', al)) {
    snprintf(msg, cap, "credentials in the URL are not supported by the fast client");
    return LC_HTTP_EOTHER;
  }
  const char *hend;
  if (al && a[0] == '[') {
    const char *rb = memchr(a, ']', al);
    if (!rb) goto bad;
    t->host = a + 1;
    t->host_len = (size_t)(rb - a - 1);
    hend = rb + 1;
  } else {
    const char *colon = memchr(a, ':', al);
    hend = colon ? colon : a + al;
    t->host = a;
    t->host_len = (size_t)(hend - a);
  }
  if (t->host_len == 0 || t->host_len >= HOST_MAX) goto bad;
  for (size_t i = 0; i < t->host_len; i++) {
    unsigned char ch = (unsigned char)t->host[i];
    if (ch <= 0x20 || ch == 0x7f) goto bad;
  }
  t->port = 80;
  if (hend < a + al) {
    if (*hend != ':') goto bad;
    uint64_t port;
    if (lc_parse_uint(hend + 1, (size_t)(a + al - hend - 1), 65535, &port) || port == 0) goto bad;
    t->port = (int)port;
  }
  t->path = a + al;
  t->path_len = strcspn(t->path, "#");
  return LC_HTTP_OK;
bad:
  snprintf(msg, cap, "malformed URL");
  return LC_HTTP_EOTHER;
}

/* loc (a Location value) resolved against base into out. */
static int join_url(struct lc_buf *out, const char *base, const char *loc) {
  lc_buf_reset(out);
  if (scheme_len(loc)) return lc_buf_puts(out, loc);
  size_t sl = scheme_len(base);
  if (loc[0] == '/' && loc[1] == '/') {
    int rc = lc_buf_append(out, base, sl + 1);
    return rc ? rc : lc_buf_puts(out, loc);
  }
  size_t origin = sl + 3 + strcspn(base + sl + 3, "/?#");
  size_t pathq = origin + strcspn(base + origin, "#");
  size_t path = origin + strcspn(base + origin, "?#");
  int rc;
  if (loc[0] == '/') {
    rc = lc_buf_append(out, base, origin);
  } else if (loc[0] == '?') {
    rc = lc_buf_append(out, base, path);
  } else if (loc[0] == '#') {
    rc = lc_buf_append(out, base, pathq);
  } else if (loc[0] == '\0') {
    rc = lc_buf_append(out, base, pathq);
  } else { /* relative to the base's directory */
    size_t dir = path;
    while (dir > origin && base[dir - 1] != '/') dir--;
    rc = lc_buf_append(out, base, dir);
    if (rc == 0 && dir == origin) rc = lc_buf_append(out, "/", 1);
  }
  return rc ? rc : lc_buf_puts(out, loc);
}

/* ---- names ---- */

static void lower_copy(char *out, const char *in, size_t n) {
  for (size_t i = 0; i < n; i++)
    out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];
  out[n] = '\0';
}

/* The index of host:port among the client's origins, looked up on first use (numeric hosts
 * without a lookup). An origin that does not resolve is kept too, with no address. Returns -1
 * only past MAX_ORIGINS, with the addresses in *tmp. */
static int origin_find(struct lc_fast_client *c, const char *host, int port,
                       struct origin *tmp) {
  for (size_t i = 0; i < c->norigins; i++)
    if (c->origins[i].port == port && strcmp(c->origins[i].host, host) == 0) return (int)i;
  struct origin *o = tmp;
  memset(o, 0, sizeof *o);
  snprintf(o->host, sizeof o->host, "%s", host);
  o->port = port;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&o->addrs[0];
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&o->addrs[0];
  if (uv_ip4_addr(host, port, a4) == 0) {
    o->naddrs = 1;
  } else if (strchr(host, ':') && uv_ip6_addr(host, port, a6) == 0) {
    o->naddrs = 1;
  } else {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    char ps[8];
    snprintf(ps, sizeof ps, "%d", port);
    int err = getaddrinfo(host, ps, &hints, &res);
    if (err) lc_log(LC_LOG_DEBUG, "http: cannot resolve '%s': %s", host, gai_strerror(err));
    for (struct addrinfo *ai = res; ai && o->naddrs < MAX_ADDRS; ai = ai->ai_next)
      if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
          ai->ai_addrlen <= sizeof o->addrs[0])
        memcpy(&o->addrs[o->naddrs++], ai->ai_addr, ai->ai_addrlen);
    if (res) freeaddrinfo(res);
  }
  if (c->norigins == MAX_ORIGINS) return -1;
  if ((c->norigins & (c->norigins - 1)) == 0) /* 0, 1, 2, 4, ...: grow */
    c->origins = lc_xrealloc(c->origins, (c->norigins ? 2 * c->norigins : 1) * sizeof *o);
  c->origins[c->norigins] = *o;
  return (int)c->norigins++;
}

/* ---- building a request ---- */

static int put_base64(struct lc_buf *b, const char *s, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char q[4];
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i += 3) {
    unsigned v = (unsigned char)s[i] << 16;
    if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)s[i + 2];
    q[0] = tab[(v >> 18) & 63];
    q[1] = tab[(v >> 12) & 63];
    q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
    q[3] = i + 2 < n ? tab[v & 63] : '=';
    rc = lc_buf_append(b, q, 4);
  }
  return rc;
}

static bool has_header(const struct lc_http_request *rq, const char *name) {
  for (size_t i = 0; i < rq->nheaders; i++)
    if (strcasecmp(rq->headers[i].name, name) == 0) return true;
  return false;
}

static bool bad_header_text(const char *s) {
  for (; *s; s++)
    if (*s == '\r' || *s == '\n') return true;
  return false;
}

/* Whether the method sends a body (curl's rules: GET and HEAD only with one given). */
static bool sends_body(const struct xfer *x) {
  if (strcmp(x->method, "HEAD") == 0) return false;
  return x->send_body && (x->rq->body || strcmp(x->method, "GET") != 0);
}

/* The request line and headers of the current hop into x->req. Returns 0 or a message. */
static const char *build_request(struct xfer *x, const struct target *t, struct lc_cookie_jar *jar) {
  const struct lc_http_request *rq = x->rq;
  struct lc_buf *b = &x->req;
  int rc = 0;
  lc_buf_reset(b);
  rc |= lc_buf_puts(b, x->method);
  rc |= lc_buf_append(b, " ", 1);
  if (t->path_len == 0 || t->path[0] != '/') rc |= lc_buf_append(b, "/", 1);
  for (size_t i = 0; i < t->path_len; i++) { /* spaces escaped; other controls refused */
    unsigned char ch = (unsigned char)t->path[i];
    if (ch == ' ') rc |= lc_buf_append(b, "%20", 3);
    else if (ch < 0x20 || ch == 0x7f) return "malformed URL";
    else rc |= lc_buf_append(b, &t->path[i], 1);
  }
  rc |= lc_buf_append(b, " HTTP/1.1\r\n", 11);
  if (!has_header(rq, "Host")) {
    rc |= lc_buf_append(b, "Host: ", 6);
    rc |= lc_buf_append(b, t->authority, t->authority_len);
    rc |= lc_buf_append(b, "\r\n", 2);
  }
  if (rq->auth_user && !x->drop_auth) {
    const char *pw = rq->auth_password ? rq->auth_password : "";
    rc |= lc_buf_puts(b, "Authorization: Basic ");
    size_t ul = strlen(rq->auth_user), pl = strlen(pw);
    struct lc_buf *cred = &x->url2; /* scratch: url2 is only used while a redirect is set up */
    lc_buf_reset(cred);
    rc |= lc_buf_append(cred, rq->auth_user, ul);
    rc |= lc_buf_append(cred, ":", 1);
    rc |= lc_buf_append(cred, pw, pl);
    if (rc == 0) rc |= put_base64(b, cred->data, cred->len);
    if (cred->data) memset(cred->data, 0, cred->len); /* no password left in a pooled buffer */
    lc_buf_reset(cred);
    rc |= lc_buf_append(b, "\r\n", 2);
  }
  if (!has_header(rq, "User-Agent")) rc |= lc_buf_puts(b, "User-Agent: loadc/" LC_VERSION "\r\n");
  if (!has_header(rq, "Accept")) rc |= lc_buf_puts(b, "Accept: */*\r\n");
  const char *user_cookie = NULL;
  bool get_now = !x->send_body; /* changed to GET by a redirect: no body headers */
  for (size_t i = 0; i < rq->nheaders; i++) {
    const struct lc_http_header *h = &rq->headers[i];
    if (bad_header_text(h->name) || bad_header_text(h->value) || !h->name[0] ||
        strchr(h->name, ':'))
      return "invalid request header";
    if (strcasecmp(h->name, "Content-Length") == 0 ||
        strcasecmp(h->name, "Transfer-Encoding") == 0 ||
        (get_now && strcasecmp(h->name, "Content-Type") == 0) ||
        (x->drop_auth && strcasecmp(h->name, "Authorization") == 0))
      continue;
    if (strcasecmp(h->name, "Cookie") == 0) { /* merged with the jar's below */
      user_cookie = h->value;
      continue;
    }
    rc |= lc_buf_puts(b, h->name);
    rc |= lc_buf_append(b, ": ", 2);
    rc |= lc_buf_puts(b, h->value);
    rc |= lc_buf_append(b, "\r\n", 2);
  }
  if (user_cookie || lc_cookie_jar_count(jar)) {
    size_t at = b->len;
    rc |= lc_buf_puts(b, "Cookie: ");
    size_t vat = b->len;
    if (user_cookie) rc |= lc_buf_puts(b, user_cookie);
    size_t before = b->len;
    if (user_cookie && lc_cookie_jar_count(jar)) rc |= lc_buf_append(b, "; ", 2);
    int n = lc_cookie_jar_header(jar, x->host, x->path.data, false, (int64_t)time(NULL), b);
    if (n < 0) rc |= n;
    else if (n == 0) b->len = before; /* none matched: no separator */
    if (rc == 0 && b->len == vat) b->len = at; /* nothing at all: no header */
    else rc |= lc_buf_append(b, "\r\n", 2);
    if (b->data) b->data[b->len] = '\0';
  }
  if (sends_body(x)) rc |= lc_buf_printf(b, "Content-Length: %zu\r\n", rq->body ? rq->body_len : 0);
  rc |= lc_buf_append(b, "\r\n", 2);
  if (rc) return "request headers larger than 1048576 bytes";
  return NULL;
}

/* ---- I/O ---- */

static void conn_open(struct lc_fast_session *s);
static void send_request(struct lc_fast_session *s);

/* A kept connection failed before any byte of the response: send again, once, on a new one. */
static bool may_retry(const struct lc_fast_session *s, const struct conn *k) {
  const struct xfer *x = s->x;
  return k && k->responses > 0 && !x->retried && !lc_resp_parser_started(&x->p);
}

static void retry(struct lc_fast_session *s) {
  s->x->retried = true;
  conn_close(s);
  s->x->addr = 0;
  conn_open(s);
}

static void io_failed(struct lc_fast_session *s, int err, bool sending) {
  if (may_retry(s, s->conn)) {
    retry(s);
    return;
  }
  if (err == UV_ECONNRESET || err == UV_ECONNABORTED)
    failf(s, LC_HTTP_ECONNRESET, "connection reset by peer");
  else if (err == UV_EPIPE)
    failf(s, LC_HTTP_ECONNRESET, "connection closed by peer (broken pipe)");
  else
    failf(s, LC_HTTP_EOTHER, "%s failure: %s", sending ? "send" : "recv", uv_strerror(err));
}

static void on_write(uv_write_t *w, int status) {
  struct conn *k = w->handle->data;
  k->writing = false;
  struct lc_fast_session *s = k->s;
  if (status == 0 || !s || s->state != S_ACTIVE || s->conn != k) return;
  io_failed(s, status, true);
}

static void send_request(struct lc_fast_session *s) {
  struct conn *k = s->conn;
  struct xfer *x = s->x;
  uv_buf_t bufs[2];
  unsigned nb = 0;
  bufs[nb++] = uv_buf_init(x->req.data, (unsigned)x->req.len);
  if (sends_body(x) && x->rq->body && x->rq->body_len)
    bufs[nb++] = uv_buf_init((char *)x->rq->body, (unsigned)x->rq->body_len);
  int n = uv_try_write((uv_stream_t *)&k->tcp, bufs, nb);
  if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
  if (n < 0) {
    io_failed(s, n, true);
    return;
  }
  unsigned i = 0;
  size_t done = (size_t)n;
  while (i < nb && done >= bufs[i].len) done -= bufs[i++].len;
  if (i == nb) return;
  bufs[i].base += done;
  bufs[i].len -= done;
  k->writing = true;
  int rc = uv_write(&k->req.write, (uv_stream_t *)&k->tcp, bufs + i, nb - i, on_write);
  if (rc) {
    k->writing = false;
    io_failed(s, rc, true);
  }
}

static void process(struct lc_fast_session *s, const char *data, size_t len);

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  struct conn *k = h->data;
  (void)hint;
  struct lc_fast_session *s = k->s;
  if (s && s->state == S_ACTIVE && s->conn == k) *buf = uv_buf_init(s->x->rbuf, RBUF_SIZE);
  else if (s) *buf = uv_buf_init(s->c->idle_buf, sizeof s->c->idle_buf);
  else *buf = uv_buf_init(NULL, 0);
}

static void on_eof(struct lc_fast_session *s) {
  struct xfer *x = s->x;
  if (!lc_resp_parser_started(&x->p) && may_retry(s, s->conn)) {
    retry(s);
    return;
  }
  enum lc_resp_event ev = lc_resp_parser_eof(&x->p);
  conn_close(s);
  if (ev == LC_RESP_DONE) {
    process(s, "", 0);
    return;
  }
  if (!lc_resp_parser_started(&x->p)) {
    failf(s, LC_HTTP_ECONNRESET, "connection closed without a response");
  } else if (lc_resp_parser_has_headers(&x->p) && !x->p.chunked) {
    failf(s, LC_HTTP_ECONNRESET,
          "connection closed before the end of the body: transfer closed with %llu bytes "
          "remaining to read", (unsigned long long)x->p.body_left);
  } else if (lc_resp_parser_has_headers(&x->p)) {
    failf(s, LC_HTTP_ECONNRESET,
          "connection closed before the end of the body: transfer closed with outstanding read "
          "data remaining");
  } else {
    failf(s, LC_HTTP_ECONNRESET, "connection closed before the end of the headers");
  }
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct conn *k = st->data;
  struct lc_fast_session *s = k->s;
  if (!s || n == 0) return;
  if (s->state != S_ACTIVE) {
    /* idle: the server closed it, or sent what nobody asked for; either way it is done */
    conn_close(s);
    return;
  }
  if (n == UV_EOF) on_eof(s);
  else if (n < 0) io_failed(s, (int)n, false);
  else process(s, buf->base, (size_t)n);
}

static void on_connect(uv_connect_t *req, int status) {
  struct conn *k = req->handle->data;
  struct lc_fast_session *s = k->s;
  if (!s || status == UV_ECANCELED) return;
  struct xfer *x = s->x;
  if (status < 0) {
    const struct origin *o = &s->c->origins[k->origin];
    conn_close(s);
    if (x->addr + 1 < o->naddrs) { /* the origin's next address */
      x->addr++;
      conn_open(s);
    } else if (status == UV_ECONNREFUSED) {
      failf(s, LC_HTTP_ECONNREFUSED, "connection refused");
    } else if (status == UV_ETIMEDOUT) {
      failf(s, LC_HTTP_ETIMEDOUT, "timeout: connection timed out");
    } else {
      char m[256];
      if (lc_http_resource_message(m, sizeof m, -status)) failf(s, LC_HTTP_EOTHER, "%s", m);
      else failf(s, LC_HTTP_EOTHER, "could not connect: %s", uv_strerror(status));
    }
    return;
  }
  k->connected = true;
  uv_tcp_nodelay(&k->tcp, 1);
  int rc = uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read);
  if (rc) {
    failf(s, LC_HTTP_EOTHER, "recv failure: %s", uv_strerror(rc));
    return;
  }
  send_request(s);
}

/* A new connection to the current hop's origin, to its address x->addr. */
static void conn_open(struct lc_fast_session *s) {
  struct xfer *x = s->x;
  const struct origin *o = &s->c->origins[x->origin];
  struct conn *k = lc_xcalloc(1, sizeof *k);
  uv_tcp_init(s->c->loop, &k->tcp);
  k->tcp.data = k;
  k->s = s;
  k->origin = x->origin;
  s->conn = k;
  int rc = uv_tcp_connect(&k->req.connect, &k->tcp, (const struct sockaddr *)&o->addrs[x->addr],
                          on_connect);
  if (rc) {
    k->req.connect.handle = NULL;
    char m[256];
    if (rc == UV_ECONNREFUSED) failf(s, LC_HTTP_ECONNREFUSED, "connection refused");
    else if (lc_http_resource_message(m, sizeof m, -rc)) failf(s, LC_HTTP_EOTHER, "%s", m);
    else failf(s, LC_HTTP_EOTHER, "could not connect: %s", uv_strerror(rc));
  }
}

/* Sets up and sends the current hop (x->url): its origin, request bytes and connection. */
static void start_hop(struct lc_fast_session *s) {
  struct xfer *x = s->x;
  struct target t;
  enum lc_http_error e = parse_url(x->url.data, &t, x->msg, sizeof x->msg);
  if (e != LC_HTTP_OK) {
    fail(s, e);
    return;
  }
  lower_copy(x->host, t.host, t.host_len);
  lc_buf_reset(&x->path);
  size_t pl = strcspn(t.path, "?#");
  if (pl == 0 || t.path[0] != '/') lc_buf_append(&x->path, "/", 1);
  lc_buf_append(&x->path, t.path, pl);
  struct origin tmp;
  int oi = origin_find(s->c, x->host, t.port, &tmp);
  const struct origin *o = oi >= 0 ? &s->c->origins[oi] : &tmp;
  if (o->naddrs == 0) {
    failf(s, LC_HTTP_ERESOLVE, "could not resolve host '%s'", x->host);
    return;
  }
  if (oi < 0) { /* too many origins to keep: this one goes in the last slot */
    oi = MAX_ORIGINS - 1;
    s->c->origins[oi] = tmp;
  }
  const char *err = build_request(x, &t, s->jar);
  if (err) {
    failf(s, LC_HTTP_EOTHER, "cannot start the request: %s", err);
    return;
  }
  lc_resp_parser_init(&x->p, x->head, sizeof x->head, x->hdrs, MAX_HEADERS,
                      strcmp(x->method, "HEAD") == 0);
  x->redirect = false;
  x->origin = oi;
  x->addr = 0;
  struct conn *k = s->conn;
  if (k && (k->origin != oi || !k->connected || k->writing)) conn_close(s);
  if (s->conn) send_request(s);
  else conn_open(s);
}

/* ---- responses ---- */

static bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static const char *header_value(const struct xfer *x, const char *name) {
  for (size_t i = 0; i < x->p.nheaders; i++)
    if (strcasecmp(x->hdrs[i].name, name) == 0) return x->hdrs[i].value;
  return NULL;
}

/* 1 for gzip (or x-gzip), 2 for deflate, 0 for anything else (identity, several codings: the
 * body is kept as it came). */
static int content_coding(const char *v) {
  if (!v) return 0;
  while (*v == ' ' || *v == '\t') v++;
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if ((n == 4 && strncasecmp(v, "gzip", 4) == 0) || (n == 6 && strncasecmp(v, "x-gzip", 6) == 0))
    return 1;
  if (n == 7 && strncasecmp(v, "deflate", 7) == 0) return 2;
  return 0;
}

/* Readies x->z for a new compressed body (gzip or zlib, detected): initialised once per
 * transfer, reset afterwards. False when zlib could not (out of memory): kept undecoded. */
static bool z_start(struct xfer *x) {
  if (x->z_ready) return inflateReset2(&x->z, 15 + 32) == Z_OK;
  memset(&x->z, 0, sizeof x->z);
  if (inflateInit2(&x->z, 15 + 32) != Z_OK) return false;
  x->z_ready = true;
  return true;
}

static void on_headers(struct lc_fast_session *s) {
  struct xfer *x = s->x;
  x->headers_us = lc_now_us();
  int64_t now = -1;
  for (size_t i = 0; i < x->p.nheaders; i++) {
    if (strcasecmp(x->hdrs[i].name, "Set-Cookie") != 0) continue;
    if (now < 0) now = (int64_t)time(NULL);
    if (!s->jar) s->jar = lc_cookie_jar_new();
    lc_cookie_jar_set(s->jar, x->host, x->path.data, false, x->hdrs[i].value, now);
  }
  x->redirect = x->rq->follow_redirects && is_redirect(x->p.status) && header_value(x, "Location");
  x->z_on = false;
  if (x->keep && !x->redirect) {
    int enc = content_coding(header_value(x, "Content-Encoding"));
    if (enc && z_start(x)) {
      x->z_on = true;
      x->z_raw_ok = enc == 2;
      x->z_end = false;
    }
  }
}

/* Appends n bytes to the kept body. Returns false when the request failed (too big). */
static bool keep_bytes(struct lc_fast_session *s, const char *p, size_t n) {
  struct xfer *x = s->x;
  struct lc_buf *b = &x->body;
  if (n > x->rq->max_body || b->len > x->rq->max_body - n) {
    char size[64];
    lc_http_format_size(size, sizeof size, x->rq->max_body);
    failf(s, LC_HTTP_ETOOBIG, "response body larger than max_body (%s)", size);
    return false;
  }
  lc_buf_append(b, p, n);
  return true;
}

static void bad_gzip(struct lc_fast_session *s, const char *why) {
  failf(s, LC_HTTP_EPROTOCOL, "malformed response: bad gzip body (%s)", why);
}

/* Inflates n bytes of a compressed body into the kept body; body_bytes counts the decoded
 * bytes. Returns false when the request failed (corrupt data, too big). Bytes after the end of
 * the compressed stream are ignored. */
static bool inflate_body(struct lc_fast_session *s, const char *p, size_t n) {
  struct xfer *x = s->x;
  z_stream *z = &x->z;
  unsigned char out[16 * 1024];
  const unsigned char *in = (const unsigned char *)p;
  while (n > 0 && !x->z_end) {
    uInt chunk = n > (1u << 30) ? 1u << 30 : (uInt)n;
    z->next_in = (Bytef *)(uintptr_t)in;
    z->avail_in = chunk;
    for (;;) {
      z->next_out = out;
      z->avail_out = sizeof out;
      int rc = inflate(z, Z_NO_FLUSH);
      if (rc == Z_DATA_ERROR && x->z_raw_ok && z->total_out == 0 && in == (const unsigned char *)p &&
          z->total_in == (uLong)(chunk - z->avail_in) && inflateReset2(z, -15) == Z_OK) {
        /* `deflate` sent as a raw stream, without the zlib header, as some servers do */
        x->z_raw_ok = false;
        z->next_in = (Bytef *)(uintptr_t)in;
        z->avail_in = chunk;
        continue;
      }
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        bad_gzip(s, z->msg ? z->msg : rc == Z_MEM_ERROR ? "out of memory" : "invalid data");
        return false;
      }
      size_t got = sizeof out - z->avail_out;
      x->body_bytes += got;
      if (got && !keep_bytes(s, (const char *)out, got)) return false;
      if (rc == Z_STREAM_END) {
        x->z_end = true;
        break;
      }
      /* more output pending, or input left that inflate can still use */
      if (z->avail_out == 0 || (rc == Z_OK && z->avail_in > 0)) continue;
      break;
    }
    if (z->total_in > 0) x->z_raw_ok = false;
    size_t used = chunk - z->avail_in;
    if (x->z_end) break;
    in += used;
    n -= used;
    if (used == 0 && z->avail_in > 0) { /* no progress with input left: cannot happen */
      bad_gzip(s, "stalled");
      return false;
    }
  }
  return true;
}

/* Returns false when the request failed (too big). */
static bool on_body(struct lc_fast_session *s, const char *p, size_t n) {
  struct xfer *x = s->x;
  if (x->redirect) return true; /* a followed redirect's body is drained */
  if (x->z_on) return inflate_body(s, p, n);
  x->body_bytes += n;
  if (!x->keep) return true;
  return keep_bytes(s, p, n);
}

/* The next hop of a redirect. */
static void follow(struct lc_fast_session *s) {
  struct xfer *x = s->x;
  if (x->redirects == MAX_REDIRS) {
    failf(s, LC_HTTP_ETOOMANYREDIRECTS, "too many redirects (more than %d)", MAX_REDIRS);
    return;
  }
  x->redirects++;
  int st = x->p.status;
  bool head = strcmp(x->method, "HEAD") == 0;
  if (((st == 302 || st == 303) && !head) || (st == 301 && strcmp(x->method, "POST") == 0)) {
    x->method = "GET"; /* as requests and browsers do */
    x->send_body = false;
  }
  if (join_url(&x->url2, x->url.data, header_value(x, "Location"))) {
    failf(s, LC_HTTP_EOTHER, "redirect location too long");
    return;
  }
  struct lc_buf tmp = x->url;
  x->url = x->url2;
  x->url2 = tmp;
  struct target t;
  char msg[8];
  if (parse_url(x->url.data, &t, msg, sizeof msg) == LC_HTTP_OK &&
      (t.host_len != strlen(x->host) || strncasecmp(t.host, x->host, t.host_len) != 0))
    x->drop_auth = true; /* credentials stay with the host they were given for */
  lc_buf_reset(&x->body);
  start_hop(s);
}

static void message_done(struct lc_fast_session *s, size_t leftover) {
  struct xfer *x = s->x;
  if (x->z_on && !x->z_end && x->z.total_in > 0) {
    bad_gzip(s, "truncated");
    return;
  }
  struct conn *k = s->conn;
  if (k) {
    k->responses++;
    if (!x->p.keep_alive || leftover || k->writing) conn_close(s);
  }
  if (x->redirect) follow(s);
  else complete(s);
}

/* Feeds what was read to the parser and acts on its events. Returns once the session may be
 * gone (after a callback) or the bytes are used. */
static void process(struct lc_fast_session *s, const char *data, size_t len) {
  struct xfer *x = s->x;
  for (;;) {
    size_t used;
    const char *body;
    size_t blen;
    enum lc_resp_event ev = lc_resp_parser_feed(&x->p, data, len, &used, &body, &blen);
    data += used;
    len -= used;
    switch (ev) {
    case LC_RESP_AGAIN:
      return;
    case LC_RESP_HEADERS:
      on_headers(s);
      break;
    case LC_RESP_BODY:
      if (!on_body(s, body, blen)) return;
      break;
    case LC_RESP_DONE:
      message_done(s, len);
      return;
    case LC_RESP_ERROR:
      failf(s, LC_HTTP_EPROTOCOL, "malformed response: %s", x->p.error);
      return;
    }
  }
}

/* ---- timeouts ---- */

static void on_timeout(uv_timer_t *t) {
  struct xfer *x = t->data;
  struct lc_fast_session *s = x->s;
  if (!s || s->x != x || s->state != S_ACTIVE) return;
  char d[32];
  lc_http_format_duration(d, sizeof d, x->rq->timeout_us);
  failf(s, LC_HTTP_ETIMEDOUT, "timeout after %s", d);
}

/* ---- the interface ---- */

int lc_fast_send(struct lc_fast_session *s, const struct lc_http_request *req, lc_http_done_cb cb,
                 void *ctx) {
  if (!s || !req || !cb || !req->url || !req->method) return LC_EINVAL;
  struct lc_fast_client *c = s->c;
  if (s->state != S_IDLE || c->closing) return LC_EINVAL;
  struct xfer *x = xfer_get(c);
  s->x = x;
  s->cb = cb;
  s->ctx = ctx;
  s->state = S_ACTIVE;
  x->s = s;
  x->rq = req;
  x->method = req->method;
  x->send_body = true;
  x->drop_auth = x->toobig = x->retried = x->redirect = x->z_on = false;
  x->keep = req->keep_body && !req->stream;
  x->redirects = 0;
  x->start_us = lc_now_us();
  x->headers_us = 0;
  x->body_bytes = 0;
  x->msg[0] = '\0';
  lc_resp_parser_init(&x->p, x->head, sizeof x->head, x->hdrs, MAX_HEADERS, false);
  lc_buf_reset(&x->body);
  lc_buf_reset(&x->url);
  lc_buf_puts(&x->url, req->url);
  x->in_send = true;
  if (req->timeout_us > 0)
    uv_timer_start(&x->timer, on_timeout, (uint64_t)((req->timeout_us + 999) / 1000), 0);
  if (req->parts) {
    failf(s, LC_HTTP_EOTHER, "multipart bodies are not supported by the fast client");
  } else if (req->auth_user && req->auth_digest) {
    failf(s, LC_HTTP_EOTHER, "digest authentication is not supported by the fast client");
  } else {
    start_hop(s);
  }
  if (s->x == x) x->in_send = false;
  return 0;
}

struct lc_fast_session *lc_fast_session_new(struct lc_fast_client *c) {
  struct lc_fast_session *s = lc_xcalloc(1, sizeof *s);
  s->c = c;
  s->next = c->sessions;
  if (c->sessions) c->sessions->prev = s;
  c->sessions = s;
  return s;
}

void lc_fast_session_free(struct lc_fast_session *s) {
  if (!s) return;
  struct lc_fast_client *c = s->c;
  if (s->state == S_DEFERRED) defer_remove(c, s);
  if (s->x) xfer_put(c, s->x);
  s->x = NULL;
  conn_close(s);
  lc_cookie_jar_free(s->jar);
  if (s->prev) s->prev->next = s->next;
  else c->sessions = s->next;
  if (s->next) s->next->prev = s->prev;
  free(s);
}

size_t lc_fast_session_idle_bytes(void) {
  return sizeof(struct lc_fast_session) + sizeof(struct conn);
}

/* libuv writes with write(2), without MSG_NOSIGNAL: a write to a connection the server reset
 * would raise SIGPIPE and end the process. It is ignored (EPIPE is reported instead), unless
 * the program installed a handler of its own. */
static void ignore_sigpipe(void) {
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) != 0 || old.sa_handler != SIG_DFL) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}

struct lc_fast_client *lc_fast_client_new(struct uv_loop_s *loop) {
  ignore_sigpipe();
  struct lc_fast_client *c = lc_xcalloc(1, sizeof *c);
  c->loop = loop;
  uv_idle_init(loop, &c->defer);
  c->defer.data = c;
  c->nhandles = 1;
  return c;
}

/* One of the client's handles is closed: the last one frees it. */
static void client_unref(struct lc_fast_client *c) {
  if (--c->nhandles > 0) return;
  free(c->origins);
  free(c);
}

static void on_defer_closed(uv_handle_t *h) { client_unref(h->data); }

void lc_fast_client_free(struct lc_fast_client *c) {
  if (!c || c->closing) return;
  while (c->sessions) lc_fast_session_free(c->sessions);
  c->closing = true;
  for (struct xfer *x = c->pool, *next; x; x = next) {
    next = x->next;
    uv_close((uv_handle_t *)&x->timer, xfer_free);
  }
  c->pool = NULL;
  c->npool = 0;
  uv_close((uv_handle_t *)&c->defer, on_defer_closed);
}
