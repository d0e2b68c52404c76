/* http_curl.c: the curl client behind engine/http.h. libcurl's multi_socket API runs on the
 * worker's libuv loop: curl names the sockets to watch (one uv_poll each, kept for the life of
 * a keep-alive connection, not per transfer) and one timeout (a uv_timer); completions come
 * from curl_multi_info_read. A session is one easy handle with its own cookie engine and its
 * own connections, so a user's cookies and connection are never another user's. In a multi
 * handle curl pools connections for all easy handles; it looks for a connection to reuse only
 * in the "bundle" of its key, which is the port, the host and the IPv6 scope id. Each session
 * gets a scope id of its own (CURLOPT_ADDRESS_SCOPE, from 2^30 up, so never a real interface
 * index; the kernel reads it only for link-local IPv6, which needs a zone in the URL, and a
 * zone replaces it), so it only finds its own connections. That costs 16 KB a user where a
 * private connection cache (CURLSH) cost 25 KB: the share brings a second easy handle and a
 * 103-slot hash (bench/run_memory.sh). The multi's cache is made unbounded (curl would
 * otherwise close "surplus" idle connections of waiting users), and a session that ends shuts
 * its sockets down, so the server sees them close; curl closes the descriptors when it next
 * prunes dead connections (about once a second while requests run) or at the end.
 * Host names are resolved once per client: the first request to an origin calls getaddrinfo
 * (blocking the loop that once) and hands the addresses to the multi handle's DNS cache as
 * permanent entries (CURLOPT_RESOLVE); names met later (redirects to other hosts) curl resolves
 * itself, in its resolver thread, and keeps for the run (CURLOPT_DNS_CACHE_TIMEOUT -1). */
#include "engine/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "engine/base/base.h"

#define MAX_REDIRS 30
#define HEAD_MAX (512 * 1024)         /* header bytes kept of one response (curl stops at 300 KB) */
#define REQ_HEAD_MAX (1024 * 1024)    /* header lines of one request */
#define MAX_ORIGINS 256               /* origins resolved by us; later ones are left to curl */
#define POOL_MAX 64                   /* idle response buffers kept per client */
#define POOL_KEEP_CAP (1024 * 1024)   /* a body buffer larger than this is freed, not pooled */
#define MSG_MAX 320
#define SCOPE_BASE 0x40000000u         /* the first session's address scope id */

/* A socket curl watches. Sockets curl opens through open_socket() keep their poll handle until
 * curl closes them through close_socket(), across the transfers of a keep-alive connection: curl
 * forgets a socket (CURL_POLL_REMOVE) at the end of every transfer, and stopping and restarting
 * the poll would cost two epoll_ctl calls per request. Other sockets (the threaded resolver's
 * wake-up pipe) are closed as soon as curl stops watching them, since we do not see them close.
 * Freed only in the poll's close callback. */
struct sock {
  uv_poll_t poll;
  struct lc_http_client *c;
  curl_socket_t fd;
  int events;  /* UV_READABLE | UV_WRITABLE being watched; 0 when stopped */
  bool ours;   /* opened by open_socket(), so closed by close_socket() */
  struct lc_http_session *owner;  /* the session that opened it, while that session lives */
  struct sock *onext;             /* the owner's other sockets */
  bool idle;   /* curl stopped watching it: the poll, unreferenced, stops at its next event */
};

/* An origin ("scheme://authority") this client has seen. */
struct origin {
  char *text;
  size_t len;
  char *resolve;  /* "host:port:addr[,addr]" for CURLOPT_RESOLVE; NULL: literal, or left to curl */
};

/* What one response in flight needs. Pooled per client, so that a waiting session holds none. */
struct rbuf {
  struct rbuf *next;
  struct lc_buf body;          /* with keep_body */
  struct lc_buf head;          /* the current response's headers, "name\0value\0" each */
  size_t *offs;                /* two per header: offsets of its name and value in head */
  size_t noffs, capoffs;
  struct lc_http_header *hdrs; /* pointers into head, built when the transfer completes */
  size_t caphdrs;
  struct lc_buf url;           /* the final URL: curl's own copy goes at the next request */
  char msg[MSG_MAX];
};

enum sstate { S_IDLE, S_ACTIVE, S_DEFERRED };

struct lc_http_session {
  struct lc_http_client *c;
  struct lc_http_session *prev, *next;  /* the client's sessions */
  struct lc_http_session *dnext;        /* the client's deferred failures */
  CURL *easy;
  struct sock *socks;                   /* the sockets it opened that are still open */
  struct curl_slist *headers;           /* the last request's, reused while unchanged */
  struct curl_slist *resolve;           /* for a transfer that meets a new origin */
  curl_mime *mime;                      /* for a transfer with a multipart body */
  struct rbuf *rb;                      /* while a request is in flight */
  lc_http_done_cb cb;
  void *ctx;
  enum sstate state;
  /* the request in flight */
  int64_t start_us, headers_us, timeout_us;
  uint64_t body_bytes, max_body;
  int status;                           /* of the last status line seen */
  bool keep, in_head, toobig;
  int sock_errno;                       /* why socket() failed in open_socket(), else 0 */
  enum lc_http_error derr;              /* S_DEFERRED: the failure to report */
  /* options as last set on the easy handle, so only changes are set */
  long o_timeout_ms, o_follow, o_verify, o_version;
  bool o_auth, o_cert, o_decode;
  char errbuf[CURL_ERROR_SIZE];
};

struct lc_http_client {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;  /* curl's timeout, when it is in the future */
  uv_idle_t kick;    /* curl's timeout when it is "now": on the next loop iteration */
  uv_idle_t defer;   /* reports failures that happened inside lc_http_send */
  uv_idle_t recycle; /* a new multi handle once every session is gone (see session_free) */
  size_t orphans;    /* sockets shut down by freed sessions that curl has not closed yet */
  int nhandles;      /* of timer, kick and defer not closed yet: the client is freed at 0 */
  bool closing;
  struct lc_http_session *sessions;
  struct lc_http_session *dhead, *dtail;
  size_t ndeferred;
  struct sock **socks;  /* by file descriptor */
  size_t nsocks;
  unsigned scope;       /* the address scope id of the newest session */
  struct origin *origins;
  size_t norigins;
  struct rbuf *pool;
  size_t npool;
  struct lc_buf scratch;  /* the header lines of the request being set up */
};

/* ---- sockets ---- */

static struct sock *sock_get(struct lc_http_client *c, curl_socket_t fd) {
  return fd >= 0 && (size_t)fd < c->nsocks ? c->socks[fd] : NULL;
}

static void on_sock_closed(uv_handle_t *h) { free(h->data); }

static void sock_disown(struct sock *k) {
  if (!k->owner) return;
  for (struct sock **p = &k->owner->socks; *p; p = &(*p)->onext)
    if (*p == k) {
      *p = k->onext;
      break;
    }
  k->owner = NULL;
  k->onext = NULL;
}

static void sock_close(struct lc_http_client *c, struct sock *k) {
  sock_disown(k);
  if (sock_get(c, k->fd) == k) c->socks[k->fd] = NULL;
  uv_close((uv_handle_t *)&k->poll, on_sock_closed);
}

static struct sock *sock_new(struct lc_http_client *c, curl_socket_t fd, bool ours) {
  if (fd < 0) return NULL;
  struct sock *k = lc_xcalloc(1, sizeof *k);
  int err = uv_poll_init_socket(c->loop, &k->poll, fd);
  if (err) {
    lc_log(LC_LOG_ERROR, "http: cannot watch socket %d: %s", (int)fd, uv_strerror(err));
    free(k);
    return NULL;
  }
  k->poll.data = k;
  k->c = c;
  k->fd = fd;
  k->ours = ours;
  if ((size_t)fd >= c->nsocks) {
    size_t n = c->nsocks ? c->nsocks : 64;
    while (n <= (size_t)fd) n *= 2;
    c->socks = lc_xrealloc(c->socks, n * sizeof *c->socks);
    memset(c->socks + c->nsocks, 0, (n - c->nsocks) * sizeof *c->socks);
    c->nsocks = n;
  }
  c->socks[fd] = k;
  return k;
}

static void check_done(struct lc_http_client *c);

static void on_poll(uv_poll_t *h, int status, int events) {
  struct sock *k = h->data;
  struct lc_http_client *c = k->c;
  if (k->idle) { /* a kept connection between transfers: curl checks it when it reuses it */
    uv_poll_stop(h);
    k->events = 0;
    return;
  }
  int flags = 0;
  if (status < 0) {
    /* POLLERR (a reset): libuv stopped the poll. Let curl read or write the socket so that it
       sees the socket's own error (ECONNRESET) instead of "select/poll returned error". */
    k->events = 0;
    flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
  }
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(c->multi, k->fd, flags, &running);
  check_done(c);
}

/* CURLMOPT_SOCKETFUNCTION: what curl wants to know about fd. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp) {
  struct lc_http_client *c = userp;
  struct sock *k = socketp ? socketp : sock_get(c, fd);
  (void)e;
  if (what == CURL_POLL_REMOVE) {
    if (!k) return 0;
    if (k->ours) { /* keep watching until an event or the next transfer, without keeping the
                      loop alive */
      k->idle = true;
      uv_unref((uv_handle_t *)&k->poll);
    } else {
      sock_close(c, k);
    }
    return 0;
  }
  if (!k && !(k = sock_new(c, fd, false))) return -1;
  if (!socketp) curl_multi_assign(c->multi, fd, k);
  if (k->idle) {
    k->idle = false;
    uv_ref((uv_handle_t *)&k->poll);
  }
  int ev = 0;
  if (what & CURL_POLL_IN) ev |= UV_READABLE;
  if (what & CURL_POLL_OUT) ev |= UV_WRITABLE;
  if (ev == k->events) return 0;
  int err = uv_poll_start(&k->poll, ev, on_poll);
  if (err) {
    lc_log(LC_LOG_ERROR, "http: cannot watch socket %d: %s", (int)fd, uv_strerror(err));
    return -1;
  }
  k->events = ev;
  return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: a connection's socket, watched from now until close_socket and
 * owned by the session that opened it until either ends. (The close callback's data is the
 * client: curl may close a connection after its session is gone.) */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a) {
  struct lc_http_session *s = clientp;
  struct lc_http_client *c = s->c;
  (void)purpose;
  curl_socket_t fd = socket(a->family, a->socktype, a->protocol);
  if (fd == CURL_SOCKET_BAD) {
    s->sock_errno = errno; /* curl keeps no errno for this: map_error() names the cause */
    return fd;
  }
  struct sock *stale = sock_get(c, fd);
  if (stale) sock_close(c, stale); /* its socket was closed behind our back */
  struct sock *k = sock_new(c, fd, true);
  if (!k) {
    close(fd);
    return CURL_SOCKET_BAD;
  }
  k->owner = s;
  k->onext = s->socks;
  s->socks = k;
  return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: the poll handle goes first (epoll still knows the fd). */
static int close_socket(void *clientp, curl_socket_t fd) {
  struct lc_http_client *c = clientp;
  struct sock *k = sock_get(c, fd);
  if (k) {
    if (k->ours && !k->owner && c->orphans) c->orphans--;
    sock_close(c, k);
  }
  return close(fd);
}

/* ---- timers ---- */

static void run_timeout(struct lc_http_client *c) {
  int running;
  curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(c);
}

static void on_timeout(uv_timer_t *t) { run_timeout(t->data); }

static void on_kick(uv_idle_t *h) {
  uv_idle_stop(h);
  run_timeout(h->data);
}

/* CURLMOPT_TIMERFUNCTION: one timeout for the whole multi handle. "Now" (every new transfer
 * asks for it) runs from an idle handle, not a 0 ms timer: libuv 1.44 runs a 0 ms timer
 * restarted from a timer callback again at once, without polling in between (libuv #4245), so
 * requests failing at once (out of file descriptors) would spin the loop; and a 1 ms timer
 * would add up to a millisecond to every request's time. An idle handle runs once per loop
 * iteration and keeps that iteration's poll from blocking. */
static int on_curl_timer(CURLM *m, long ms, void *userp) {
  struct lc_http_client *c = userp;
  (void)m;
  if (c->closing) return 0;
  if (ms != 0) uv_idle_stop(&c->kick);
  if (ms < 0) uv_timer_stop(&c->timer);
  else if (ms == 0) uv_idle_start(&c->kick, on_kick);
  else uv_timer_start(&c->timer, on_timeout, (uint64_t)ms, 0);
  return 0;
}

/* ---- response buffers ---- */

static struct rbuf *rbuf_get(struct lc_http_client *c) {
  struct rbuf *rb = c->pool;
  if (rb) {
    c->pool = rb->next;
    c->npool--;
  } else {
    rb = lc_xcalloc(1, sizeof *rb);
    lc_buf_init(&rb->body, 0);
    lc_buf_init(&rb->head, HEAD_MAX);
    lc_buf_init(&rb->url, 0);
  }
  lc_buf_reset(&rb->body);
  lc_buf_reset(&rb->head);
  lc_buf_reset(&rb->url);
  rb->noffs = 0;
  rb->msg[0] = '\0';
  return rb;
}

static void rbuf_free(struct rbuf *rb) {
  lc_buf_release(&rb->body);
  lc_buf_release(&rb->head);
  lc_buf_release(&rb->url);
  free(rb->offs);
  free(rb->hdrs);
  free(rb);
}

static void rbuf_put(struct lc_http_client *c, struct rbuf *rb) {
  if (!rb) return;
  if (c->closing || c->npool >= POOL_MAX) {
    rbuf_free(rb);
    return;
  }
  if (rb->body.cap > POOL_KEEP_CAP) lc_buf_release(&rb->body);
  rb->next = c->pool;
  c->pool = rb;
  c->npool++;
}

/* ---- curl's data callbacks ---- */

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
  struct lc_http_session *s = userdata;
  size_t len = size * n;
  s->body_bytes += len;
  if (!s->keep) return len;
  struct lc_buf *b = &s->rb->body;
  if (len > s->max_body || b->len > s->max_body - len) {
    s->toobig = true;
    return 0; /* CURLE_WRITE_ERROR */
  }
  lc_buf_append(b, p, len);
  return len;
}

/* Appends "text\0" to head; false when head is full (the rest is dropped). */
static bool head_put(struct rbuf *rb, const char *p, size_t n) {
  size_t at = rb->head.len;
  if (lc_buf_append(&rb->head, p, n) || lc_buf_append(&rb->head, "", 1)) {
    rb->head.len = at;
    return false;
  }
  return true;
}

static void head_line(struct rbuf *rb, const char *p, size_t n) {
  if (*p == ' ' || *p == '\t') { /* obsolete line folding: part of the previous value */
    if (rb->noffs == 0 || rb->head.len == 0) return;
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    rb->head.len--; /* reopen the previous value */
    if (lc_buf_append(&rb->head, " ", 1) || !head_put(rb, p, n)) head_put(rb, "", 0);
    return;
  }
  const char *colon = memchr(p, ':', n);
  if (!colon) return;
  size_t nl = (size_t)(colon - p);
  const char *v = colon + 1, *end = p + n;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  size_t at = rb->head.len;
  if (!head_put(rb, p, nl)) return;
  size_t vat = rb->head.len;
  if (!head_put(rb, v, (size_t)(end - v))) {
    rb->head.len = at;
    return;
  }
  if (rb->noffs + 2 > rb->capoffs) {
    rb->capoffs = rb->capoffs ? rb->capoffs * 2 : 32;
    rb->offs = lc_xrealloc(rb->offs, rb->capoffs * sizeof *rb->offs);
  }
  rb->offs[rb->noffs++] = at;
  rb->offs[rb->noffs++] = vat;
}

/* CURLOPT_HEADERFUNCTION: one whole line per call, status lines and the blank line included,
 * for every response of a redirect chain, interim 1xx responses and trailers. */
static size_t on_header(char *p, size_t size, size_t n, void *userdata) {
  struct lc_http_session *s = userdata;
  size_t len = size * n, l = len;
  while (l && (p[l - 1] == '\n' || p[l - 1] == '\r')) l--;
  if (l >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response: forget the previous one's */
    size_t i = 5;
    while (i < l && p[i] != ' ') i++;
    while (i < l && p[i] == ' ') i++;
    int code = 0;
    for (int d = 0; d < 3 && i < l && p[i] >= '0' && p[i] <= '9'; d++, i++)
      code = code * 10 + (p[i] - '0');
    s->status = code;
    s->in_head = true;
    lc_buf_reset(&s->rb->head);
    s->rb->noffs = 0;
    return len;
  }
  if (!s->in_head) return len; /* trailers */
  if (l == 0) {
    s->in_head = false;
    /* the last non-1xx response of the chain is the final one: later ones overwrite this */
    if (s->status < 100 || s->status >= 200) s->headers_us = lc_now_us();
    return len;
  }
  head_line(s->rb, p, l);
  return len;
}

/* ---- completion ---- */

/* curl's message with a lower-case first letter, as the rest of loadc's messages. */
static void curl_message(char *out, size_t cap, const char *prefix, const char *m) {
  snprintf(out, cap, "%s%s", prefix, m);
  size_t at = strlen(prefix);
  if (out[at] >= 'A' && out[at] <= 'Z' && !(out[at + 1] >= 'A' && out[at + 1] <= 'Z'))
    out[at] = (char)(out[at] - 'A' + 'a');
  size_t n = strlen(out);
  while (n && (out[n - 1] == '\n' || out[n - 1] == '.')) out[--n] = '\0';
}

static void os_message(char *out, size_t cap, const char *prefix, long err) {
  char buf[128];
  if (strerror_r((int)err, buf, sizeof buf) != 0) snprintf(buf, sizeof buf, "error %ld", err);
  curl_message(out, cap, prefix, buf);
}

static bool has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The kind and message of a failed transfer, Locust-like ("connection refused"). */
static enum lc_http_error map_error(struct lc_http_session *s, CURLcode rc, char *msg,
                                    size_t cap) {
  const char *eb = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
  long oserr = 0;
  char buf[64];
  curl_easy_getinfo(s->easy, CURLINFO_OS_ERRNO, &oserr);
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    if (s->sock_errno) oserr = s->sock_errno;
    if (lc_http_resource_message(msg, cap, (int)oserr)) return LC_HTTP_EOTHER;
    if (oserr == ECONNREFUSED) {
      snprintf(msg, cap, "connection refused");
      return LC_HTTP_ECONNREFUSED;
    }
    if (oserr) os_message(msg, cap, "could not connect: ", oserr);
    else curl_message(msg, cap, "", eb);
    return LC_HTTP_EOTHER;
  case CURLE_OPERATION_TIMEDOUT:
    if (s->timeout_us > 0) {
      curl_off_t lookup = 0, conn = 0;  /* both 0: the name lookup never ended */
      curl_easy_getinfo(s->easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup);
      curl_easy_getinfo(s->easy, CURLINFO_CONNECT_TIME_T, &conn);
      lc_http_format_duration(buf, sizeof buf, s->timeout_us);
      snprintf(msg, cap, "timeout after %s%s", buf,
               lookup == 0 && conn == 0 ? " (resolving the host name)" : "");
    } else {
      curl_message(msg, cap, "timeout: ", eb); /* curl's connect timeout */
    }
    return LC_HTTP_ETIMEDOUT;
  case CURLE_COULDNT_RESOLVE_HOST: {
    static const char p[] = "Could not resolve host: ";
    const char *host = has_prefix(eb, p) ? eb + sizeof p - 1 : eb;
    snprintf(msg, cap, "could not resolve host '%s'", host);
    return LC_HTTP_ERESOLVE;
  }
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    if (has_prefix(eb, "Recv failure") || has_prefix(eb, "Send failure")) {
      if (oserr == ECONNRESET || oserr == ECONNABORTED) {
        snprintf(msg, cap, "connection reset by peer");
        return LC_HTTP_ECONNRESET;
      }
      if (oserr == EPIPE) {
        snprintf(msg, cap, "connection closed by peer (broken pipe)");
        return LC_HTTP_ECONNRESET;
      }
      curl_message(msg, cap, "", eb);
      return LC_HTTP_EOTHER;
    }
    if (rc == CURLE_RECV_ERROR) { /* curl's own parsers (chunked encoding, ...) */
      curl_message(msg, cap, "malformed response: ", eb);
      return LC_HTTP_EPROTOCOL;
    }
    curl_message(msg, cap, "", eb);
    return LC_HTTP_EOTHER;
  case CURLE_GOT_NOTHING:
    snprintf(msg, cap, "connection closed without a response");
    return LC_HTTP_ECONNRESET;
  case CURLE_PARTIAL_FILE:
    curl_message(msg, cap, "connection closed before the end of the body: ", eb);
    return LC_HTTP_ECONNRESET;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_UNSUPPORTED_PROTOCOL: /* also "unsupported HTTP version in response" */
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_BAD_CONTENT_ENCODING:
    curl_message(msg, cap, "malformed response: ", eb);
    return LC_HTTP_EPROTOCOL;
  case CURLE_PEER_FAILED_VERIFICATION: {
    static const char p[] = "SSL certificate problem: ";
    snprintf(msg, cap, "TLS: certificate verify failed (%s)",
             has_prefix(eb, p) ? eb + sizeof p - 1 : eb);
    return LC_HTTP_ETLS;
  }
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_USE_SSL_FAILED:
    snprintf(msg, cap, "TLS: %s", eb);
    return LC_HTTP_ETLS;
  case CURLE_TOO_MANY_REDIRECTS:
    snprintf(msg, cap, "too many redirects (more than %d)", MAX_REDIRS);
    return LC_HTTP_ETOOMANYREDIRECTS;
  case CURLE_OUT_OF_MEMORY:
    /* loadc's own allocations abort; in the head of a response this is curl's cap on one
       header line (CURL_MAX_HTTP_HEADER, 100 KiB), not the machine's memory */
    if (s->headers_us == 0) {
      snprintf(msg, cap, "malformed response: a header line is longer than curl's limit "
                         "(100 KiB)");
      return LC_HTTP_EPROTOCOL;
    }
    curl_message(msg, cap, "", eb);
    return LC_HTTP_EOTHER;
  case CURLE_WRITE_ERROR:
    if (s->toobig) {
      lc_http_format_size(buf, sizeof buf, s->max_body);
      snprintf(msg, cap, "response body larger than max_body (%s)", buf);
      return LC_HTTP_ETOOBIG;
    }
    curl_message(msg, cap, "", eb);
    return LC_HTTP_EOTHER;
  default:
    curl_message(msg, cap, "", eb);
    return LC_HTTP_EOTHER;
  }
}

/* Drops what only the transfer needed, so that a waiting session holds no buffers. */
static void release_transfer(struct lc_http_session *s) {
  if (s->mime) {
    curl_easy_setopt(s->easy, CURLOPT_MIMEPOST, (curl_mime *)NULL);
    curl_mime_free(s->mime);
    s->mime = NULL;
  }
  if (s->resolve) {
    curl_easy_setopt(s->easy, CURLOPT_RESOLVE, (struct curl_slist *)NULL);
    curl_slist_free_all(s->resolve);
    s->resolve = NULL;
  }
}

/* Hands r to the session's callback; the session is idle (and may be reused or freed) from
 * then on, and the response's buffers go back to the pool once the callback has returned. */
static void finish(struct lc_http_session *s, const struct lc_http_response *r) {
  struct lc_http_client *c = s->c;
  release_transfer(s);
  lc_http_done_cb cb = s->cb;
  void *ctx = s->ctx;
  struct rbuf *rb = s->rb;
  s->rb = NULL;
  s->cb = NULL;
  s->ctx = NULL;
  s->state = S_IDLE;
  cb(ctx, r);
  rbuf_put(c, rb);
}

static void set_headers_out(struct rbuf *rb, struct lc_http_response *r) {
  size_t n = rb->noffs / 2;
  if (n > rb->caphdrs) {
    rb->caphdrs = n * 2;
    free(rb->hdrs);
    rb->hdrs = lc_xmalloc(rb->caphdrs * sizeof *rb->hdrs);
  }
  for (size_t i = 0; i < n; i++) {
    rb->hdrs[i].name = rb->head.data + rb->offs[2 * i];
    rb->hdrs[i].value = rb->head.data + rb->offs[2 * i + 1];
  }
  r->headers = n ? rb->hdrs : NULL;
  r->nheaders = n;
}

static void complete(struct lc_http_session *s, CURLcode rc) {
  struct rbuf *rb = s->rb;
  struct lc_http_response r;
  memset(&r, 0, sizeof r);
  r.start_us = s->start_us;
  r.end_us = lc_now_us();
  r.headers_us = s->headers_us;
  r.body_bytes = s->body_bytes;
  char *url = NULL;
  curl_easy_getinfo(s->easy, CURLINFO_EFFECTIVE_URL, &url);
  lc_buf_puts(&rb->url, url ? url : "");
  r.final_url = rb->url.data ? rb->url.data : "";
  if (rc != CURLE_OK) {
    r.error = map_error(s, rc, rb->msg, sizeof rb->msg);
    r.error_message = rb->msg;
  }
  /* Locust reports transport failures with status 0; a body over max_body is not one */
  if (rc == CURLE_OK || r.error == LC_HTTP_ETOOBIG) {
    long code = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    r.status = (int)code;
    set_headers_out(rb, &r);
  }
  if (rc == CURLE_OK && s->keep) {
    r.body = rb->body.data ? rb->body.data : "";
    r.body_len = rb->body.len;
  }
  finish(s, &r);
}

static void check_done(struct lc_http_client *c) {
  CURLMsg *m;
  int left;
  while (c->multi && (m = curl_multi_info_read(c->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL *e = m->easy_handle;
    CURLcode rc = m->data.result;
    char *priv = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
    struct lc_http_session *s = (struct lc_http_session *)(void *)priv;
    curl_multi_remove_handle(c->multi, e); /* m is gone from here on */
    if (s && s->state == S_ACTIVE) complete(s, rc);
  }
}

/* ---- failures inside lc_http_send, reported from the loop ---- */

static void on_defer(uv_idle_t *h) {
  struct lc_http_client *c = h->data;
  struct lc_http_session *s;
  uv_idle_stop(h);
  /* one at a time, since a callback may free sessions still queued; and only as many as were
     queued, since a callback may queue a new failure (that one waits for the next iteration) */
  for (size_t n = c->ndeferred; n > 0 && (s = c->dhead); n--) {
    c->dhead = s->dnext;
    if (!c->dhead) c->dtail = NULL;
    s->dnext = NULL;
    c->ndeferred--;
    struct lc_http_response r;
    memset(&r, 0, sizeof r);
    r.error = s->derr;
    r.error_message = s->rb->msg;
    r.start_us = s->start_us;
    r.end_us = lc_now_us();
    finish(s, &r);
  }
}

static void defer_failure(struct lc_http_session *s, enum lc_http_error e) {
  struct lc_http_client *c = s->c;
  s->state = S_DEFERRED;
  s->derr = e;
  s->dnext = NULL;
  if (c->dtail) c->dtail->dnext = s;
  else c->dhead = s;
  c->dtail = s;
  c->ndeferred++;
  uv_idle_start(&c->defer, on_defer); /* next iteration (see on_curl_timer) */
}

static void defer_remove(struct lc_http_client *c, struct lc_http_session *s) {
  struct lc_http_session **pp = &c->dhead, *prev = NULL;
  while (*pp && *pp != s) prev = *pp, pp = &(*pp)->dnext;
  if (!*pp) return;
  *pp = s->dnext;
  if (c->dtail == s) c->dtail = prev;
  c->ndeferred--;
}

/* ---- setting a request up ---- */

#define SET(opt, val)                                                                      \
  do {                                                                                     \
    CURLcode rc_ = curl_easy_setopt(e, opt, val);                                          \
    if (rc_ != CURLE_OK) return rc_;                                                       \
  } while (0)

static bool is_method(const char *m, const char *name) { return strcmp(m, name) == 0; }

enum body_kind { BODY_NONE, BODY_FIELDS, BODY_MIME };

/* GET and HEAD go without a body; POST and every other method send one (empty when there is
 * none, so that Content-Length: 0 goes out as requests does); parts make a multipart body. */
static enum body_kind body_kind(const struct lc_http_request *req) {
  if (is_method(req->method, "HEAD")) return BODY_NONE;
  if (req->parts) return BODY_MIME;
  return req->body || !is_method(req->method, "GET") ? BODY_FIELDS : BODY_NONE;
}

/* The parts as curl's mime structure (curl copies the fields' bytes; files are read during
 * the transfer). Built for each request that has parts. */
static CURLcode set_mime(struct lc_http_session *s, const struct lc_http_request *req) {
  curl_mime *m = curl_mime_init(s->easy);
  if (!m) return CURLE_OUT_OF_MEMORY;
  CURLcode rc = CURLE_OK;
  for (size_t i = 0; i < req->nparts && rc == CURLE_OK; i++) {
    const struct lc_http_part *p = &req->parts[i];
    curl_mimepart *mp = curl_mime_addpart(m);
    if (!mp) {
      rc = CURLE_OUT_OF_MEMORY;
      break;
    }
    rc = curl_mime_name(mp, p->name);
    if (rc == CURLE_OK)
      rc = p->value ? curl_mime_data(mp, p->value, p->value_len) : curl_mime_filedata(mp, p->path);
    if (rc == CURLE_OK && p->content_type) rc = curl_mime_type(mp, p->content_type);
    if (rc == CURLE_OK && p->filename) rc = curl_mime_filename(mp, p->filename);
  }
  if (rc == CURLE_OK) rc = curl_easy_setopt(s->easy, CURLOPT_MIMEPOST, m);
  if (rc != CURLE_OK) {
    curl_mime_free(m);
    return rc;
  }
  s->mime = m;
  return CURLE_OK;
}

/* POST keeps curl's own method (no CURLOPT_CUSTOMREQUEST) so that a 301/302/303 turns it into
 * a GET, as browsers and requests do. */
static CURLcode set_method(struct lc_http_session *s, const struct lc_http_request *req) {
  CURL *e = s->easy;
  if (is_method(req->method, "HEAD")) {
    SET(CURLOPT_CUSTOMREQUEST, (const char *)NULL);
    SET(CURLOPT_NOBODY, 1L);
    return CURLE_OK;
  }
  SET(CURLOPT_HTTPGET, 1L); /* also clears NOBODY and the POST state of the last request */
  enum body_kind kind = body_kind(req);
  if (kind == BODY_FIELDS) {
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
    SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
  } else if (kind == BODY_MIME) {
    CURLcode rc = set_mime(s, req);
    if (rc != CURLE_OK) return rc;
  }
  bool plain = is_method(req->method, "POST") ||
               (is_method(req->method, "GET") && kind == BODY_NONE);
  SET(CURLOPT_CUSTOMREQUEST, plain ? (const char *)NULL : req->method);
  return CURLE_OK;
}

/* The request's header lines into c->scratch, "line\0" each: "Name: value", "Name;" for an
 * empty value (curl would drop "Name:"), then an empty "Content-Type:" so that curl adds no
 * form type of its own to a raw body, and an empty "Expect:" so that no body waits for a
 * 100-continue. */
static int header_lines(struct lc_buf *b, const struct lc_http_request *req) {
  bool ct = false, expect = false;
  int rc = 0;
  lc_buf_reset(b);
  for (size_t i = 0; i < req->nheaders && rc == 0; i++) {
    const struct lc_http_header *h = &req->headers[i];
    ct = ct || strcasecmp(h->name, "Content-Type") == 0;
    expect = expect || strcasecmp(h->name, "Expect") == 0;
    rc = lc_buf_puts(b, h->name);
    if (rc == 0) rc = h->value[0] ? lc_buf_printf(b, ": %s", h->value) : lc_buf_puts(b, ";");
    if (rc == 0) rc = lc_buf_append(b, "", 1);
  }
  if (rc == 0 && !ct && body_kind(req) == BODY_FIELDS) rc = lc_buf_append(b, "Content-Type:", 14);
  if (rc == 0 && !expect) rc = lc_buf_append(b, "Expect:", 8);
  return rc;
}

static CURLcode set_headers(struct lc_http_session *s, const struct lc_http_request *req) {
  CURL *e = s->easy;
  struct lc_buf *b = &s->c->scratch;
  if (header_lines(b, req)) {
    snprintf(s->errbuf, sizeof s->errbuf, "request headers larger than %d bytes", REQ_HEAD_MAX);
    return CURLE_BAD_FUNCTION_ARGUMENT;
  }
  /* the same lines as the last request's: keep its list (no allocation) */
  const struct curl_slist *l = s->headers;
  size_t at = 0;
  while (l && at < b->len && strcmp(l->data, b->data + at) == 0) {
    at += strlen(b->data + at) + 1;
    l = l->next;
  }
  if (s->headers && !l && at == b->len) return CURLE_OK;
  struct curl_slist *list = NULL;
  for (at = 0; at < b->len; at += strlen(b->data + at) + 1) {
    struct curl_slist *n = curl_slist_append(list, b->data + at);
    if (!n) {
      curl_slist_free_all(list);
      return CURLE_OUT_OF_MEMORY;
    }
    list = n;
  }
  CURLcode rc = curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  if (rc != CURLE_OK) {
    curl_slist_free_all(list);
    return rc;
  }
  curl_slist_free_all(s->headers);
  s->headers = list;
  return CURLE_OK;
}

/* Length of the "scheme://authority" that starts url, 0 if it does not start with one. */
static size_t origin_len(const char *url) {
  size_t i = 0;
  while ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
         (url[i] >= '0' && url[i] <= '9') || url[i] == '+' || url[i] == '-' || url[i] == '.')
    i++;
  if (i == 0 || strncmp(url + i, "://", 3) != 0) return 0;
  i += 3;
  return i + strcspn(url + i, "/?#");
}

/* "host:port:addr[,addr...]" for CURLOPT_RESOLVE from getaddrinfo, or NULL when the host is an
 * address literal or does not resolve (curl then resolves it itself, asynchronously, and
 * reports the failure). Blocks the loop, once per origin and client. */
static char *resolve_origin(const char *origin) {
  CURLU *u = curl_url();
  char *host = NULL, *port = NULL, *out = NULL;
  struct addrinfo *res = NULL;
  if (!u || curl_url_set(u, CURLUPART_URL, origin, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
    goto out;
  unsigned char addr[16];
  if (host[0] == '[' || inet_pton(AF_INET, host, addr) == 1) goto out;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  int err = getaddrinfo(host, port, &hints, &res);
  if (err) {
    lc_log(LC_LOG_DEBUG, "http: cannot resolve '%s': %s", host, gai_strerror(err));
    goto out;
  }
  struct lc_buf b;
  lc_buf_init(&b, 64 * 1024);
  int rc = lc_buf_printf(&b, "%s:%s:", host, port);
  size_t n = 0;
  for (struct addrinfo *ai = res; ai && rc == 0; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN];
    const void *a;
    if (ai->ai_family == AF_INET)
      a = &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr;
    else if (ai->ai_family == AF_INET6)
      a = &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
    else
      continue;
    if (!inet_ntop(ai->ai_family, a, text, sizeof text)) continue;
    rc = lc_buf_printf(&b, ai->ai_family == AF_INET6 ? "%s[%s]" : "%s%s", n++ ? "," : "", text);
  }
  if (rc == 0 && n) out = lc_buf_steal(&b);
  lc_buf_release(&b);
out:
  if (res) freeaddrinfo(res);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

/* Resolves a new origin once: its addresses go into the multi handle's DNS cache through this
 * transfer's CURLOPT_RESOLVE, as permanent entries every later transfer finds. */
static CURLcode set_resolve(struct lc_http_session *s, const char *url) {
  struct lc_http_client *c = s->c;
  CURL *e = s->easy;
  size_t n = origin_len(url);
  if (n == 0) return CURLE_OK;
  for (size_t i = 0; i < c->norigins; i++)
    if (c->origins[i].len == n && strncasecmp(c->origins[i].text, url, n) == 0) return CURLE_OK;
  if (c->norigins == MAX_ORIGINS) return CURLE_OK;
  if ((c->norigins & (c->norigins - 1)) == 0) /* 0, 1, 2, 4, ...: grow */
    c->origins = lc_xrealloc(c->origins, (c->norigins ? 2 * c->norigins : 1) * sizeof *c->origins);
  struct origin *o = &c->origins[c->norigins++];
  o->text = lc_xstrndup(url, n);
  o->len = n;
  o->resolve = resolve_origin(o->text);
  if (!o->resolve) return CURLE_OK;
  s->resolve = curl_slist_append(NULL, o->resolve);
  if (!s->resolve) return CURLE_OUT_OF_MEMORY;
  SET(CURLOPT_RESOLVE, s->resolve);
  return CURLE_OK;
}

/* Sets every field of req on the easy handle; options equal to the last request's are left. */
static CURLcode set_request(struct lc_http_session *s, const struct lc_http_request *req) {
  CURL *e = s->easy;
  CURLcode rc;
  SET(CURLOPT_URL, req->url);
  if ((rc = set_method(s, req)) != CURLE_OK) return rc;
  if ((rc = set_headers(s, req)) != CURLE_OK) return rc;
  if ((rc = set_resolve(s, req->url)) != CURLE_OK) return rc;
  long ms = req->timeout_us > 0 ? (long)((req->timeout_us + 999) / 1000) : 0;
  if (ms != s->o_timeout_ms) {
    SET(CURLOPT_TIMEOUT_MS, ms);
    s->o_timeout_ms = ms;
  }
  long follow = req->follow_redirects ? 1L : 0L;
  if (follow != s->o_follow) {
    SET(CURLOPT_FOLLOWLOCATION, follow);
    s->o_follow = follow;
  }
  long verify = req->verify_tls ? 1L : 0L;
  if (verify != s->o_verify) {
    SET(CURLOPT_SSL_VERIFYPEER, verify);
    SET(CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    s->o_verify = verify;
  }
  long version = req->http_version == 2 ? (long)CURL_HTTP_VERSION_2TLS
                                        : (long)CURL_HTTP_VERSION_1_1;
  if (version != s->o_version) {
    SET(CURLOPT_HTTP_VERSION, version);
    s->o_version = version;
  }
  if (req->auth_user || s->o_auth) {
    SET(CURLOPT_HTTPAUTH, req->auth_digest ? CURLAUTH_DIGEST : CURLAUTH_BASIC);
    SET(CURLOPT_USERNAME, req->auth_user);
    SET(CURLOPT_PASSWORD, req->auth_user ? req->auth_password : NULL);
    s->o_auth = req->auth_user != NULL;
  }
  /* a compressed body is decoded (as the fast client does) only when a check or capture reads
   * it and the scenario asked for compression; curl's own Accept-Encoding yields to the
   * scenario's header */
  bool decode = false;
  for (size_t i = 0; req->keep_body && i < req->nheaders; i++)
    if (strcasecmp(req->headers[i].name, "Accept-Encoding") == 0) decode = true;
  if (decode != s->o_decode) {
    SET(CURLOPT_ACCEPT_ENCODING, decode ? "" : (const char *)NULL);
    s->o_decode = decode;
  }
  if (req->client_cert || req->client_key || s->o_cert) {
    SET(CURLOPT_SSLCERT, req->client_cert);
    SET(CURLOPT_SSLKEY, req->client_key);
    s->o_cert = req->client_cert || req->client_key;
  }
  return CURLE_OK;
}

/* ---- the interface ---- */

int lc_http_send(struct lc_http_session *s, const struct lc_http_request *req, lc_http_done_cb cb,
                 void *ctx) {
  if (!s || !req || !cb || !req->url || !req->method) return LC_EINVAL;
  struct lc_http_client *c = s->c;
  if (s->state != S_IDLE || c->closing) return LC_EINVAL;
  s->start_us = lc_now_us();
  s->rb = rbuf_get(c);
  s->cb = cb;
  s->ctx = ctx;
  s->headers_us = 0;
  s->body_bytes = 0;
  s->status = 0;
  s->in_head = s->toobig = false;
  s->keep = req->keep_body && !req->stream;
  s->max_body = req->max_body;
  s->timeout_us = req->timeout_us;
  s->errbuf[0] = '\0';
  s->sock_errno = 0;
  CURLcode rc = set_request(s, req);
  if (rc != CURLE_OK) {
    curl_message(s->rb->msg, sizeof s->rb->msg, "cannot start the request: ",
                 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    defer_failure(s, LC_HTTP_EOTHER);
    return 0;
  }
  CURLMcode mc = curl_multi_add_handle(c->multi, s->easy);
  if (mc != CURLM_OK) {
    curl_message(s->rb->msg, sizeof s->rb->msg, "cannot start the request: ",
                 curl_multi_strerror(mc));
    defer_failure(s, LC_HTTP_EOTHER);
    return 0;
  }
  s->state = S_ACTIVE;
  return 0;
}

static void multi_setup(struct lc_http_client *c) {
  /* every session keeps its connection while it waits (curl's default limit, 4 per handle in
   * a transfer, would close the connections of waiting users) */
  curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)INT32_MAX);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, (void *)c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, (void *)c);
}

static void on_recycle(uv_idle_t *h) {
  struct lc_http_client *c = h->data;
  uv_idle_stop(h);
  if (c->sessions || !c->orphans || c->closing) return;
  CURLM *fresh = curl_multi_init();
  if (!fresh) return; /* keep the old one: its descriptors wait for the end */
  curl_multi_cleanup(c->multi); /* closes every connection it kept (close_socket) */
  c->multi = fresh;
  multi_setup(c);
  uv_timer_stop(&c->timer);
  uv_idle_stop(&c->kick);
  c->orphans = 0;
  /* the new handle's DNS cache is empty: origins are handed to it again when met */
  for (size_t i = 0; i < c->norigins; i++) {
    free(c->origins[i].text);
    free(c->origins[i].resolve);
  }
  c->norigins = 0;
}

struct lc_http_session *lc_http_session_new(struct lc_http_client *c) {
  struct lc_http_session *s = lc_xcalloc(1, sizeof *s);
  s->c = c;
  s->o_timeout_ms = s->o_follow = s->o_verify = s->o_version = -1;
  s->easy = curl_easy_init();
  if (!s->easy) {
    lc_log(LC_LOG_ERROR, "out of memory (libcurl)");
    abort();
  }
  CURL *e = s->easy;
  /* a connection bundle of its own (see the top of this file) */
  if (++c->scope < SCOPE_BASE) c->scope = SCOPE_BASE;
  curl_easy_setopt(e, CURLOPT_ADDRESS_SCOPE, (long)c->scope);
  curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)s);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_COOKIEFILE, ""); /* this handle's own cookie engine */
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)s);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)s);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, (void *)s);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, (void *)c);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRS);
  curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, -1L); /* names curl resolves: once per run */
  curl_easy_setopt(e, CURLOPT_USERAGENT, "loadc/" LC_VERSION);
  s->next = c->sessions;
  if (c->sessions) c->sessions->prev = s;
  c->sessions = s;
  return s;
}

void lc_http_session_free(struct lc_http_session *s) {
  if (!s) return;
  struct lc_http_client *c = s->c;
  if (s->state == S_ACTIVE) curl_multi_remove_handle(c->multi, s->easy);
  else if (s->state == S_DEFERRED) defer_remove(c, s);
  rbuf_put(c, s->rb);
  curl_easy_cleanup(s->easy);
  curl_mime_free(s->mime);
  /* its connections stay in the multi's cache: end them so the server sees them go, and so
   * curl finds them dead and closes them */
  while (s->socks) {
    struct sock *k = s->socks;
    shutdown(k->fd, SHUT_RDWR);
    sock_disown(k);
    c->orphans++;
  }
  curl_slist_free_all(s->headers);
  curl_slist_free_all(s->resolve);
  if (s->prev) s->prev->next = s->next;
  else c->sessions = s->next;
  if (s->next) s->next->prev = s->prev;
  free(s);
  /* curl closes dead connections only while transfers run: a worker whose users are all gone
   * would keep their descriptors to the end of the run. A fresh multi handle closes them, from
   * the loop (this may run inside one of curl's callbacks). */
  if (!c->sessions && c->orphans && !c->closing) uv_idle_start(&c->recycle, on_recycle);
}

struct lc_http_client *lc_http_client_new(struct uv_loop_s *loop) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    lc_log(LC_LOG_ERROR, "http: libcurl could not start");
    return NULL;
  }
  struct lc_http_client *c = lc_xcalloc(1, sizeof *c);
  c->loop = loop;
  c->multi = curl_multi_init();
  if (!c->multi) {
    lc_log(LC_LOG_ERROR, "http: libcurl could not start (curl_multi_init failed)");
    free(c);
    curl_global_cleanup();
    return NULL;
  }
  multi_setup(c);
  uv_timer_init(loop, &c->timer);
  uv_idle_init(loop, &c->kick);
  uv_idle_init(loop, &c->defer);
  uv_idle_init(loop, &c->recycle);
  c->timer.data = c->kick.data = c->defer.data = c->recycle.data = c;
  c->nhandles = 4;
  lc_buf_init(&c->scratch, REQ_HEAD_MAX);
  return c;
}

static void on_client_handle_closed(uv_handle_t *h) {
  struct lc_http_client *c = h->data;
  if (--c->nhandles > 0) return;
  for (struct rbuf *rb = c->pool, *next; rb; rb = next) {
    next = rb->next;
    rbuf_free(rb);
  }
  for (size_t i = 0; i < c->norigins; i++) {
    free(c->origins[i].text);
    free(c->origins[i].resolve);
  }
  free(c->origins);
  lc_buf_release(&c->scratch);
  free(c);
  curl_global_cleanup();
}

void lc_http_client_free(struct lc_http_client *c) {
  if (!c || c->closing) return;
  while (c->sessions) lc_http_session_free(c->sessions);
  c->closing = true;
  curl_multi_cleanup(c->multi);
  c->multi = NULL;
  for (size_t fd = 0; fd < c->nsocks; fd++) /* what curl left open (none, normally) */
    if (c->socks[fd]) sock_close(c, c->socks[fd]);
  free(c->socks);
  c->socks = NULL;
  c->nsocks = 0;
  uv_close((uv_handle_t *)&c->timer, on_client_handle_closed);
  uv_close((uv_handle_t *)&c->kick, on_client_handle_closed);
  uv_close((uv_handle_t *)&c->defer, on_client_handle_closed);
  uv_close((uv_handle_t *)&c->recycle, on_client_handle_closed);
}
