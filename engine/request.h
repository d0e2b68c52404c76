/* request.h: one request of the plan, from the user's side: rendered into an HTTP request
 * (URL joined to the host, query, headers with defaults and auth, body as raw text, JSON, form
 * or multipart), then, when the response is back, judged as Locust's catch_response would: the
 * default rule (a transport error or a status of 400-599 fails) or the request's checks, and
 * its captures stored in the user's variables. */
#ifndef LC_ENGINE_REQUEST_H
#define LC_ENGINE_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "config/plan.h"
#include "engine/base/base.h"
#include "engine/http.h"
#include "engine/render.h"
#include "engine/vars.h"

/* A rendered request; owns every byte its lc_http_request points at. */
struct lc_request_build;

/* Renders r for sending. base_url is the host relative URLs are joined to (NULL: none, then a
 * relative URL is an error). Returns the build (free with lc_request_build_free), or NULL
 * with a message in err (a template that failed, a header value with a line break, no host). */
struct lc_request_build *lc_request_build(const struct lc_request *r, const char *base_url,
                                          const struct lc_eval_ctx *ctx, struct lc_buf *err);
const struct lc_http_request *lc_request_build_http(const struct lc_request_build *b);
/* The stats name: the rendered `name:` or the URL as written (before rendering). */
const char *lc_request_build_name(const struct lc_request_build *b);
void lc_request_build_free(struct lc_request_build *b);

struct lc_request_result {
  const char *name;            /* the stats name (points into the build) */
  int64_t response_time_us;    /* to the end of the body, or to the headers with stream */
  char *failure;               /* the failure message (owned), or NULL for a success */
  bool capture_missing;        /* a capture found nothing and had no default */
};

/* Judges resp: runs the checks (or the default rule) and the captures, which set variables in
 * vars. ctx renders a check's `message:`. Fills *out; release it with
 * lc_request_result_release. The build b must still be alive. */
void lc_request_finish(const struct lc_request *r, const struct lc_request_build *b,
                       const struct lc_http_response *resp, const struct lc_eval_ctx *ctx,
                       struct lc_vars *vars, struct lc_request_result *out);
void lc_request_result_release(struct lc_request_result *res);

/* Frees the calling thread's PCRE2 match data (kept across responses so that judging one
 * allocates none); a worker calls it before its thread ends. */
void lc_request_thread_release(void);

#endif
