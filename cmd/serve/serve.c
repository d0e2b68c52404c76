/* serve.c: `loadc serve` on one libuv loop: accepting, reading, pipelining, timers, writes with
 * backpressure, lingering close and a clean stop on SIGINT/SIGTERM. What to answer is decided
 * by routes.c; how requests are framed by http_req.c.
 *
 * Memory: an idle keep-alive connection holds only struct conn (under 1 KiB: libuv handles and
 * the parser state). Reads land in one shared 64 KiB buffer and are parsed there; only the bytes
 * of an unfinished request are copied into the connection's own buffer, freed again once empty.
 * Responses are built in one shared buffer and written with uv_try_write; only what the socket
 * does not take at once is copied for uv_write. A connection answers its requests in order: while
 * a response is delayed, streamed or being written, later requests stay buffered (reading stops
 * past IN_HIGH bytes) and are parsed when it is done. */
#include "cmd/serve/serve.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "cmd/serve/serve_int.h"

#define READ_SIZE (64 * 1024)     /* the shared read buffer */
#define IN_HIGH (64 * 1024)       /* stop reading past this much buffered input while busy */
#define IN_MAX ((size_t)LC_HTTP_MAX_HEAD + LC_HTTP_MAX_BODY + 4 * READ_SIZE)
#define OUT_HIGH (256 * 1024)     /* write out pipelined responses past this */
#define OUT_KEEP (1024 * 1024)    /* the output buffer is freed after use when larger */
#define OUT_MAX ((size_t)256 << 20)
#define STEAL_MIN (256 * 1024)    /* hand the output buffer itself to uv_write past this */
#define PIECE (64 * 1024)         /* /bytes and /chunked write size */
#define LINGER_MS 2000            /* after our FIN, read and drop the peer's bytes this long */
#define IDLE_MS 60000
#define LOG_FLUSH (64 * 1024)

enum { T_IDLE, T_JOB, T_LINGER };

/* A response that is not sent at once: delayed, slow body, or streamed. */
struct job {
  enum lc_serve_kind kind;
  int ready;   /* DELAY, SLOW_BODY: the time has come */
  int close;   /* close the connection after it */
  int status;  /* DELAY: counted when sent */
  int counted;
  char *buf;   /* DELAY: the whole response; SLOW_BODY: the body */
  size_t len;
  struct lc_serve_stream stream;
  char *fill;  /* STREAM with chunks: PIECE bytes to encode into */
};

struct server;

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer; /* idle timeout, delays, lingering close: one at a time */
  union {
    uv_write_t write;
    uv_shutdown_t shutdown;
  } req;
  struct server *srv;
  struct conn *prev, *next;
  struct lc_buf in; /* bytes of unfinished requests, from in_off */
  size_t in_off;
  struct lc_http_parser parser;
  struct job *job;
  char *wown;       /* freed when the write in flight completes */
  uint64_t last_active;
  uint8_t handles;  /* open libuv handles; freed when it drops to 0 */
  uint8_t timer_mode;
  uint8_t reading, writing;
  uint8_t closing;  /* no more requests: finish writing, then shut down */
  uint8_t shut;     /* FIN sent, waiting for the peer's */
  uint8_t eof;      /* the peer sent FIN */
  uint8_t closed;   /* uv_close called */
};

struct server {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigint, sigterm;
  uv_prepare_t prepare; /* flushes the access log before the loop blocks */
  int have_listener, have_signals, have_prepare, stopping;
  int quiet;
  uint64_t idle_ms;
  struct lc_serve_ctx ctx;
  struct lc_http_req *req;
  struct lc_buf out, log;
  char *rd;               /* the shared read buffer */
  struct conn *rd_conn;   /* the connection whose input is in rd[rd_off..rd_len) */
  size_t rd_off, rd_len;
  char *pattern;          /* PIECE + 26 bytes of 'a' + i % 26, for /bytes */
  struct conn *conns;
  uint64_t open;
};

static void conn_advance(struct conn *c);
static void on_timer(uv_timer_t *t);

/* ---- input ----------------------------------------------------------------------------- */

static char *in_view(struct conn *c, size_t *len) {
  struct server *s = c->srv;
  if (s->rd_conn == c) {
    *len = s->rd_len - s->rd_off;
    return s->rd + s->rd_off;
  }
  *len = c->in.len - c->in_off;
  return c->in.data ? c->in.data + c->in_off : s->rd;
}

static void in_consume(struct conn *c, size_t n) {
  if (c->srv->rd_conn == c) c->srv->rd_off += n;
  else c->in_off += n;
}

static void in_set_len(struct conn *c, size_t len) {
  struct server *s = c->srv;
  if (s->rd_conn == c) {
    s->rd_len = s->rd_off + len;
  } else if (c->in.data) {
    c->in.len = c->in_off + len;
    c->in.data[c->in.len] = '\0';
  }
}

static size_t in_len(struct conn *c) {
  size_t n;
  in_view(c, &n);
  return n;
}

/* Drops the consumed prefix of the connection's buffer; frees it when empty. */
static void in_compact(struct conn *c) {
  if (c->in_off) {
    lc_buf_consume(&c->in, c->in_off);
    c->in_off = 0;
  }
  if (c->in.len == 0 && c->in.data) lc_buf_release(&c->in);
}

/* ---- connections ----------------------------------------------------------------------- */

static void job_free(struct job *j) {
  if (!j) return;
  free(j->buf);
  free(j->fill);
  free(j);
}

static void on_close(uv_handle_t *h) {
  struct conn *c = h->data;
  if (--c->handles) return;
  job_free(c->job);
  lc_buf_release(&c->in);
  free(c);
}

static void conn_close(struct conn *c) {
  if (c->closed) return;
  struct server *s = c->srv;
  c->closed = 1;
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  s->open--;
  if (s->rd_conn == c) s->rd_conn = NULL;
  uv_close((uv_handle_t *)&c->tcp, on_close);
  uv_close((uv_handle_t *)&c->timer, on_close);
}

static void timer_set(struct conn *c, int mode, uint64_t ms) {
  c->timer_mode = (uint8_t)mode;
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void timer_idle(struct conn *c) {
  c->last_active = uv_now(&c->srv->loop);
  timer_set(c, T_IDLE, c->srv->idle_ms);
}

static void on_timer(uv_timer_t *t) {
  struct conn *c = t->data;
  if (c->closed) return;
  if (c->timer_mode == T_LINGER) {
    conn_close(c);
  } else if (c->timer_mode == T_JOB) {
    if (c->job) c->job->ready = 1;
    timer_idle(c);
    conn_advance(c);
  } else {
    uint64_t idle = uv_now(&c->srv->loop) - c->last_active;
    if (idle >= c->srv->idle_ms) conn_close(c);
    else timer_set(c, T_IDLE, c->srv->idle_ms - idle);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct conn *c = h->data;
  (void)suggested;
  buf->base = c->srv->rd;
  buf->len = READ_SIZE;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void conn_update_reading(struct conn *c) {
  if (c->closed) return;
  int want = !c->eof;
  if (want && !c->closing && !c->shut && (c->writing || c->job) && in_len(c) >= IN_HIGH) want = 0;
  if (want && !c->reading) {
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) {
      conn_close(c);
      return;
    }
    c->reading = 1;
  } else if (!want && c->reading) {
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
  }
}

/* ---- output ---------------------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status) {
  struct conn *c = req->handle->data;
  free(c->wown);
  c->wown = NULL;
  c->writing = 0;
  if (c->closed) return;
  if (status < 0) {
    conn_close(c);
    return;
  }
  c->last_active = uv_now(&c->srv->loop);
  conn_advance(c);
}

/* Starts writing base[0..len), which stays valid until on_write (owned is freed then). */
static int write_async(struct conn *c, char *base, size_t len, char *owned) {
  uv_buf_t b = {.base = base, .len = len};
  c->wown = owned;
  if (uv_write(&c->req.write, (uv_stream_t *)&c->tcp, &b, 1, on_write)) {
    c->wown = NULL;
    free(owned);
    conn_close(c);
    return -1;
  }
  c->writing = 1;
  return 0;
}

/* Writes what the socket takes now; returns how much, or -1 after closing on an error. */
static ssize_t try_write(struct conn *c, char *base, size_t len) {
  if (len == 0) return 0;
  uv_buf_t b = {.base = base, .len = len};
  int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (n == UV_EAGAIN) return 0;
  if (n < 0) {
    conn_close(c);
    return -1;
  }
  return n;
}

/* Sends bytes that stay valid until the write completes (owned: freed after). */
static int conn_send(struct conn *c, char *base, size_t len, char *owned) {
  ssize_t n = try_write(c, base, len);
  if (n < 0) {
    free(owned);
    return -1;
  }
  if ((size_t)n == len) {
    free(owned);
    return 0;
  }
  return write_async(c, base + n, len - (size_t)n, owned);
}

/* Sends the shared output buffer, keeping a copy of what the socket did not take. */
static void conn_flush(struct conn *c) {
  struct lc_buf *o = &c->srv->out;
  if (o->len && !c->closed) {
    ssize_t n = try_write(c, o->data, o->len);
    if (n >= 0 && (size_t)n < o->len) {
      size_t rest = o->len - (size_t)n;
      if (rest >= STEAL_MIN) {
        char *all = lc_buf_steal(o);
        write_async(c, all + n, rest, all);
      } else {
        char *cp = lc_xmalloc(rest);
        memcpy(cp, o->data + n, rest);
        write_async(c, cp, rest, cp);
      }
    }
  }
  if (o->cap > OUT_KEEP) lc_buf_release(o);
  else lc_buf_reset(o);
}

/* ---- responses ------------------------------------------------------------------------- */

static void log_flush(struct server *s) {
  if (!s->log.len) return;
  fwrite(s->log.data, 1, s->log.len, stderr);
  fflush(stderr);
  lc_buf_reset(&s->log);
}

static void on_prepare(uv_prepare_t *p) { log_flush(p->data); }

static void access_log(struct server *s, const struct lc_http_req *req,
                       const struct lc_serve_res *res) {
  if (s->quiet) return;
  char status[8] = "-";
  if (res->status) snprintf(status, sizeof status, "%d", res->status);
  /* A request rejected before its request line was read has neither method nor target. */
  struct lc_span m = {"-", 1}, t = {"-", 1};
  if (req->method_len) m = (struct lc_span){req->method, req->method_len};
  if (req->target_len) t = (struct lc_span){req->target, req->target_len};
  lc_buf_printf(&s->log, "%.*s %.*s %s %llu\n", (int)m.n, m.p, (int)t.n, t.p, status,
                (unsigned long long)res->body_bytes);
  if (s->log.len >= LOG_FLUSH) log_flush(s);
}

static void job_end(struct conn *c) {
  if (c->job->close) c->closing = 1;
  job_free(c->job);
  c->job = NULL;
}

/* Moves out[from..] into a new heap buffer. */
static char *take_out(struct server *s, size_t from, size_t *len) {
  *len = s->out.len - from;
  char *b = lc_xmalloc(*len ? *len : 1);
  memcpy(b, s->out.data + from, *len);
  s->out.len = from;
  s->out.data[from] = '\0';
  return b;
}

/* Carries out what routes.c decided; the response starts at out[mark]. */
static void conn_dispatch(struct conn *c, const struct lc_serve_res *res, size_t mark) {
  struct server *s = c->srv;
  struct job *j;
  if (res->kind == LC_SERVE_NOW || res->kind == LC_SERVE_GARBAGE || res->kind == LC_SERVE_DROP) {
    if (res->counted && res->status) lc_serve_counts_status(s->ctx.counts, res->status);
    if (res->close) c->closing = 1;
    return;
  }
  j = lc_xcalloc(1, sizeof *j);
  j->kind = res->kind;
  j->close = res->close;
  j->status = res->status;
  j->counted = res->counted;
  c->job = j;
  if (res->kind == LC_SERVE_DELAY) {
    j->buf = take_out(s, mark, &j->len);
    timer_set(c, T_JOB, res->ms);
    return;
  }
  if (res->counted) lc_serve_counts_status(s->ctx.counts, res->status);
  if (res->kind == LC_SERVE_SLOW_BODY) {
    j->buf = take_out(s, mark + res->head_len, &j->len);
    timer_set(c, T_JOB, res->ms);
  } else { /* LC_SERVE_STREAM */
    j->stream = res->stream;
    if (j->stream.chunk) j->fill = lc_xmalloc(PIECE);
  }
}

/* Advances the pending job; returns 1 when it is over (its last write may be in flight). */
static int job_step(struct conn *c) {
  struct server *s = c->srv;
  struct job *j = c->job;
  if (j->kind == LC_SERVE_DELAY || j->kind == LC_SERVE_SLOW_BODY) {
    if (!j->ready) return 0;
    if (j->kind == LC_SERVE_DELAY && j->counted) lc_serve_counts_status(s->ctx.counts, j->status);
    char *b = j->buf;
    size_t len = j->len;
    j->buf = NULL;
    job_end(c);
    conn_send(c, b, len, b);
    return 1;
  }
  struct lc_serve_stream *st = &j->stream;
  while (!lc_serve_stream_done(st) && !c->writing && !c->closed) {
    if (!st->chunk) {
      size_t k = st->left < PIECE ? (size_t)st->left : PIECE;
      char *base = s->pattern + st->pos % 26;
      st->pos += k;
      st->left -= k;
      conn_send(c, base, k, NULL);
    } else {
      size_t k = lc_serve_stream_fill(st, j->fill, PIECE);
      char *fill = j->fill, *owned = NULL;
      if (lc_serve_stream_done(st)) owned = fill, j->fill = NULL;
      conn_send(c, fill, k, owned);
    }
  }
  if (c->closed || !lc_serve_stream_done(st)) return 0;
  job_end(c);
  return 1;
}

/* Parses and answers the buffered requests until one must wait. Returns 1 when it stopped only
 * because the output buffer is full. */
static int conn_process(struct conn *c) {
  struct server *s = c->srv;
  while (!c->closing && !c->writing && !c->job && !c->closed) {
    if (s->out.len >= OUT_HIGH) return 1;
    size_t len;
    char *data = in_view(c, &len);
    int rc = lc_http_parse(&c->parser, data, len, s->req);
    if (rc == LC_HTTP_INCOMPLETE) {
      in_set_len(c, lc_http_compact(&c->parser, data, len));
      if (c->eof) c->closing = 1; /* nothing more will come */
      return 0;
    }
    if (rc == LC_HTTP_CONTINUE) {
      if (lc_buf_puts(&s->out, "HTTP/1.1 100 Continue\r\n\r\n")) conn_close(c);
      continue;
    }
    struct lc_serve_res res;
    size_t mark = s->out.len;
    s->ctx.conns_open = s->open;
    int r;
    if (rc == LC_HTTP_DONE) {
      r = lc_serve_route(&s->ctx, s->req, &s->out, &res);
      in_consume(c, s->req->consumed);
    } else {
      r = lc_serve_reject(&s->ctx, s->req, rc, &s->out, &res);
    }
    if (r) {
      lc_log(LC_LOG_WARN, "serve: response too large, closing the connection");
      conn_close(c);
      return 0;
    }
    access_log(s, s->req, &res);
    conn_dispatch(c, &res, mark);
  }
  return 0;
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  struct conn *c = req->handle->data;
  if (c->closed) return;
  if (status < 0 || c->eof) conn_close(c);
}

/* Sends FIN after the last response, then drops what the peer still sends until its FIN (or
 * LINGER_MS): closing at once with unread input would reset the connection, and the peer could
 * lose the response. */
static void conn_shutdown(struct conn *c) {
  if (c->shut || c->closed) return;
  c->shut = 1;
  c->in_off = 0;
  lc_buf_release(&c->in);
  if (c->srv->rd_conn == c) c->srv->rd_conn = NULL;
  if (uv_shutdown(&c->req.shutdown, (uv_stream_t *)&c->tcp, on_shutdown)) {
    conn_close(c);
    return;
  }
  timer_set(c, T_LINGER, LINGER_MS);
}

/* Moves the connection on after any event: finish the job, answer requests, or shut down. */
static void conn_advance(struct conn *c) {
  while (!c->closed && !c->writing && !c->shut) {
    if (c->job) {
      if (!job_step(c)) break;
      continue;
    }
    if (c->closing) {
      conn_shutdown(c);
      break;
    }
    int more = conn_process(c);
    conn_flush(c);
    if (!more && !c->job && !c->closing) break;
  }
  if (c->closed) return;
  if (c->srv->rd_conn != c) in_compact(c);
  conn_update_reading(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  struct conn *c = st->data;
  struct server *s = c->srv;
  if (nread == 0 || c->closed) return;
  if (nread < 0) {
    if (nread != UV_EOF) {
      conn_close(c);
      return;
    }
    c->eof = 1;
    uv_read_stop(st);
    c->reading = 0;
    if (c->shut) conn_close(c);
    else if (!c->closing) conn_advance(c);
    return;
  }
  if (c->closing || c->shut) return; /* lingering: drop it */
  c->last_active = uv_now(&s->loop);
  if (c->in.len == 0) {
    s->rd_conn = c;
    s->rd_off = 0;
    s->rd_len = (size_t)nread;
  } else if (lc_buf_append(&c->in, buf->base, (size_t)nread)) {
    conn_close(c);
    return;
  }
  conn_advance(c);
  if (s->rd_conn == c) {
    s->rd_conn = NULL;
    if (!c->closing && !c->shut && s->rd_off < s->rd_len &&
        lc_buf_append(&c->in, s->rd + s->rd_off, s->rd_len - s->rd_off)) {
      conn_close(c);
      return;
    }
    conn_update_reading(c);
  }
}

static void on_connection(uv_stream_t *l, int status) {
  struct server *s = l->data;
  if (status < 0) {
    lc_log(LC_LOG_WARN, "serve: accept: %s", uv_strerror(status));
    return;
  }
  struct conn *c = lc_xcalloc(1, sizeof *c);
  c->srv = s;
  lc_buf_init(&c->in, IN_MAX);
  uv_tcp_init(&s->loop, &c->tcp);
  uv_timer_init(&s->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles = 2;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->open++;
  if (uv_accept(l, (uv_stream_t *)&c->tcp)) {
    conn_close(c);
    return;
  }
  lc_serve_counts_accepted(s->ctx.counts);
  uv_tcp_nodelay(&c->tcp, 1);
  timer_idle(c);
  conn_update_reading(c);
}

/* ---- the server ------------------------------------------------------------------------ */

static void server_stop(struct server *s) {
  if (s->stopping) return;
  s->stopping = 1;
  if (s->have_listener) uv_close((uv_handle_t *)&s->listener, NULL);
  if (s->have_signals) {
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
  }
  if (s->have_prepare) uv_close((uv_handle_t *)&s->prepare, NULL);
  while (s->conns) conn_close(s->conns);
}

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  server_stop(h->data);
}

static void raise_nofile_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
      lc_log(LC_LOG_INFO, "serve: cannot raise the open-file limit");
  }
}

/* Binds and listens; prints the base URL. */
static int server_listen(struct server *s, const struct lc_serve_opts *opts) {
  const char *host = opts->host ? opts->host : "127.0.0.1";
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (opts->port < 0 || opts->port > 65535) {
    lc_log(LC_LOG_ERROR, "serve: port %d is out of range (0 to 65535)", opts->port);
    return LC_EINVAL;
  }
  if (uv_ip4_addr(host, opts->port, (struct sockaddr_in *)&ss) != 0 &&
      uv_ip6_addr(host, opts->port, (struct sockaddr_in6 *)&ss) != 0) {
    lc_log(LC_LOG_ERROR, "serve: cannot listen on '%s': not an IPv4 or IPv6 address", host);
    return LC_EINVAL;
  }
  uv_tcp_init(&s->loop, &s->listener);
  s->listener.data = s;
  s->have_listener = 1;
  int r = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
  if (r == 0) r = uv_listen((uv_stream_t *)&s->listener, 4096, on_connection);
  if (r) {
    lc_log(LC_LOG_ERROR, "serve: cannot listen on '%s' port %d: %s", host, opts->port,
           uv_strerror(r));
    return LC_EIO;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  char name[64] = "?";
  int port = 0;
  if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen) == 0) {
    if (bound.ss_family == AF_INET6) {
      const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&bound;
      uv_ip6_name(a, name, sizeof name);
      port = ntohs(a->sin6_port);
    } else {
      const struct sockaddr_in *a = (const struct sockaddr_in *)&bound;
      uv_ip4_name(a, name, sizeof name);
      port = ntohs(a->sin_port);
    }
  }
  FILE *out = opts->out ? opts->out : stdout;
  if (bound.ss_family == AF_INET6) fprintf(out, "http://[%s]:%d\n", name, port);
  else fprintf(out, "http://%s:%d\n", name, port);
  fflush(out);
  return 0;
}

static char *make_pattern(void) {
  char *p = lc_xmalloc(PIECE + 26);
  for (size_t i = 0; i < PIECE + 26; i++) p[i] = (char)('a' + i % 26);
  return p;
}

int lc_serve_run(const struct lc_serve_opts *opts) {
  struct server *s = lc_xcalloc(1, sizeof *s);
  int rc = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  raise_nofile_limit();

  s->quiet = opts->quiet;
  s->idle_ms = IDLE_MS;
  lc_serve_ctx_init(&s->ctx);
  s->req = lc_xmalloc(sizeof *s->req);
  lc_buf_init(&s->out, OUT_MAX);
  lc_buf_init(&s->log, 4 * LOG_FLUSH);
  s->rd = lc_xmalloc(READ_SIZE);
  s->pattern = make_pattern();
  int r = uv_loop_init(&s->loop);
  if (r) {
    lc_log(LC_LOG_ERROR, "serve: cannot start the event loop: %s", uv_strerror(r));
    rc = LC_EIO;
    goto free_all;
  }
  /* Signals first: a script may send SIGTERM as soon as it has read the URL. */
  uv_signal_init(&s->loop, &s->sigint);
  uv_signal_init(&s->loop, &s->sigterm);
  s->sigint.data = s->sigterm.data = s;
  s->have_signals = 1;
  uv_signal_start(&s->sigint, on_signal, SIGINT);
  uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  uv_prepare_init(&s->loop, &s->prepare);
  s->prepare.data = s;
  s->have_prepare = 1;
  uv_prepare_start(&s->prepare, on_prepare);
  rc = server_listen(s, opts);
  if (rc) goto out;
  uv_run(&s->loop, UV_RUN_DEFAULT);
out:
  server_stop(s);
  uv_run(&s->loop, UV_RUN_DEFAULT); /* the close callbacks */
  log_flush(s);
  r = uv_loop_close(&s->loop);
  if (r) {
    lc_log(LC_LOG_ERROR, "serve: event loop not closed cleanly: %s", uv_strerror(r));
    if (rc == 0) rc = LC_EIO;
  }
free_all:
  lc_serve_ctx_release(&s->ctx);
  lc_buf_release(&s->out);
  lc_buf_release(&s->log);
  free(s->req);
  free(s->rd);
  free(s->pattern);
  free(s);
  return rc;
}
