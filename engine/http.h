/* http.h: the interface between users and HTTP clients. A worker owns one client per kind on
 * its libuv loop; each simulated user owns one session (its cookies and keep-alive connection,
 * like Locust's HttpSession). A user hands a fully rendered request to lc_http_send and is
 * called back once with the response or the failure. The curl client (http_curl.c) implements
 * it now; the fast HTTP/1.1 client (issue 8) will implement the same interface. */
#ifndef LC_ENGINE_HTTP_H
#define LC_ENGINE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uv_loop_s;

/* Why a request failed: below HTTP (then status is 0, as Locust reports connection errors), or
 * LC_HTTP_ETOOBIG, where the status that was read is kept. */
enum lc_http_error {
  LC_HTTP_OK = 0,
  LC_HTTP_ECONNREFUSED,   /* connection refused */
  LC_HTTP_ECONNRESET,     /* reset or closed before the response was complete */
  LC_HTTP_ETIMEDOUT,      /* no complete response within the timeout */
  LC_HTTP_ERESOLVE,       /* the host name did not resolve */
  LC_HTTP_ETLS,           /* TLS handshake or certificate verification failed */
  LC_HTTP_EPROTOCOL,      /* malformed response (status line, headers, chunking) */
  LC_HTTP_ETOOBIG,        /* the body passed the request's max_body while it had to be kept */
  LC_HTTP_ETOOMANYREDIRECTS,
  LC_HTTP_EOTHER,
};

/* One header, both parts NUL-terminated. */
struct lc_http_header {
  const char *name;
  const char *value;
};

/* A part of a multipart/form-data body: a field (value) or a file (path). */
struct lc_http_part {
  const char *name;
  const char *value;              /* a field's bytes, or NULL for a file */
  size_t value_len;
  const char *path;               /* a file to send */
  const char *content_type;       /* NULL: the client's default */
  const char *filename;           /* NULL: the file's base name */
};

/* A rendered request. Every pointer is borrowed until the callback has run. */
struct lc_http_request {
  const char *method;             /* "GET", ... */
  const char *url;                /* absolute: scheme://host[:port]/path?query */
  const struct lc_http_header *headers;
  size_t nheaders;
  const char *body;               /* NULL: no body */
  size_t body_len;
  const struct lc_http_part *parts;  /* multipart/form-data parts instead of body, or NULL */
  size_t nparts;
  int64_t timeout_us;             /* whole request, 0 = none */
  bool follow_redirects;
  bool verify_tls;
  int http_version;               /* 11 or 2 */
  bool stream;                    /* time ends at the headers; the body is drained, not kept */
  bool keep_body;                 /* a check or capture reads the body */
  uint64_t max_body;              /* with keep_body: past this many bytes, LC_HTTP_ETOOBIG */
  const char *auth_user, *auth_password;  /* basic or digest, when set */
  bool auth_digest;
  const char *client_cert, *client_key;
};

/* What came back. Valid until the callback returns, even if the callback starts the session's
 * next request or frees it. */
struct lc_http_response {
  int status;                     /* 0 on every error except LC_HTTP_ETOOBIG */
  enum lc_http_error error;
  const char *error_message;      /* "connection refused", "timeout after 5s", ... or NULL */
  int64_t start_us;               /* when the request was handed to the client (monotonic) */
  int64_t headers_us;             /* when the response headers were complete (0 if never) */
  int64_t end_us;                 /* when the last byte of the body arrived or it failed */
  uint64_t body_bytes;            /* bytes of body received, kept or not (decoded length when
                                     available) */
  const char *body;               /* the body when keep_body (NUL-terminated), else NULL */
  size_t body_len;
  const struct lc_http_header *headers;  /* the final response's headers, in order (none
                                            when status is 0) */
  size_t nheaders;
  const char *final_url;          /* after redirects */
};

typedef void (*lc_http_done_cb)(void *ctx, const struct lc_http_response *resp);

struct lc_http_client;
struct lc_http_session;

/* A client on `loop` (the worker's). NULL after logging why (libcurl could not start). */
struct lc_http_client *lc_http_client_new(struct uv_loop_s *loop);
/* Frees the sessions still open (no callback runs for their requests) and closes every handle;
 * the loop then runs until they are closed (the caller keeps running it), after which
 * uv_loop_close() succeeds. May be called from a callback. */
void lc_http_client_free(struct lc_http_client *c);

/* A user's session: cookies and connections persist across its requests and are never shared
 * with another session. */
struct lc_http_session *lc_http_session_new(struct lc_http_client *c);
/* Cancels a request in flight (its callback does not run) and frees the session. May be called
 * from any callback, the session's own included. */
void lc_http_session_free(struct lc_http_session *s);

/* Starts req on session s (one request at a time per session). cb runs exactly once, later,
 * from the loop, with the response or the failure; never from inside lc_http_send. A request
 * the client cannot set up (say, headers over 1 MiB) is such a failure too. Returns 0, or
 * LC_EINVAL when a request is already in flight on s or req lacks its method or URL (then cb
 * never runs). */
int lc_http_send(struct lc_http_session *s, const struct lc_http_request *req, lc_http_done_cb cb,
                 void *ctx);

/* Running out of descriptors or local ports (EMFILE, ENFILE, EADDRNOTAVAIL, ENOBUFS, ENOMEM:
 * an errno value) fails every request the same way: writes one message that names the fix into
 * msg and returns true; false for other errors. Both clients use it, so reports read alike. */
bool lc_http_resource_message(char *msg, size_t cap, int err);
/* Sizes and durations as both clients' messages write them: "10 MiB", "1234 bytes"; "5s",
 * "250ms", "1500us". */
void lc_http_format_size(char *out, size_t cap, uint64_t n);
void lc_http_format_duration(char *out, size_t cap, int64_t us);

/* Monotonic clock in microseconds, the one response times are measured with. */
int64_t lc_now_us(void);

#endif
