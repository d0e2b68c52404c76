/* http_fast.h: the fast HTTP/1.1 client (issue 8), plain http only, on a worker's libuv loop.
 * It takes the same requests and gives the same responses as the curl client (engine/http.h),
 * with the same error kinds and messages for the same failures, and the same contracts for
 * callbacks and freeing; only the function names differ. What it does not support fails the
 * request with LC_HTTP_EOTHER and a message saying so: https, multipart bodies, digest auth,
 * credentials in the URL.
 * A session keeps one keep-alive connection (to the origin of its last request) and its own
 * cookie jar; while it waits it holds no buffer. A request in flight takes one transfer
 * (request bytes, read buffer, header buffer, body) from a pool of the client's. Host names are
 * resolved once per client (getaddrinfo, blocking the loop that once per origin). */
#ifndef LC_ENGINE_HTTP_FAST_H
#define LC_ENGINE_HTTP_FAST_H

#include "engine/http.h"

struct lc_fast_client;
struct lc_fast_session;

/* A client on `loop` (the worker's). Never NULL. Sets SIGPIPE to be ignored if it has its
 * default disposition (libuv's writes would otherwise end the process when a server resets a
 * connection). */
struct lc_fast_client *lc_fast_client_new(struct uv_loop_s *loop);
/* Frees the sessions still open (no callback runs for their requests) and closes every handle;
 * the loop then runs until they are closed (the caller keeps running it), after which
 * uv_loop_close() succeeds. May be called from a callback. */
void lc_fast_client_free(struct lc_fast_client *c);

/* A user's session: cookies and its connection are never shared with another session. */
struct lc_fast_session *lc_fast_session_new(struct lc_fast_client *c);
/* Cancels a request in flight (its callback does not run), closes the session's connection and
 * frees the session. May be called from any callback, the session's own included. */
void lc_fast_session_free(struct lc_fast_session *s);

/* Starts req on session s (one request at a time per session). cb runs exactly once, later,
 * from the loop, with the response or the failure; never from inside lc_fast_send. Every
 * pointer in req is borrowed until cb has run. Returns 0, or LC_EINVAL when a request is
 * already in flight on s, the client is being freed, or req lacks its method or URL (then cb
 * never runs). */
int lc_fast_send(struct lc_fast_session *s, const struct lc_http_request *req, lc_http_done_cb cb,
                 void *ctx);

/* Bytes a session takes while it waits: the session and, if it keeps one, its connection
 * (cookies not counted). For the memory figures of bench/. */
size_t lc_fast_session_idle_bytes(void);

#endif
