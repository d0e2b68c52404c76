/* render.h: the run-time side of templates and expressions: lc_render writes a compiled
 * template (config/template.h) into a capped buffer, escaping each expression for where it
 * lands; lc_eval evaluates an expression (config/expr.h) for `if:`, `loop: over` and `set:`.
 * Expressions read the user's variables, the globals, the user's feeder rows and the last
 * response, and call the built-in functions below. Rendering variables and literals allocates
 * nothing beyond the output buffer; function results live in a scratch area of 1 KB on the
 * stack, and in heap blocks freed before returning when they need more (at most
 * LC_EVAL_SCRATCH_MAX bytes per call).
 *
 * Built-in functions (config/expr.c, docs/language.md):
 *   random_int(min, max)  an integer in [min, max], both ends included, uniform (no modulo
 *                         bias). min and max are integers (numbers, or strings that read as
 *                         numbers) within +-2^53; min > max is an error
 *                         ("random_int: min 5 is above max 1").
 *   random_choice(list)   a uniformly chosen item of a list literal, a list variable or a JSON
 *                         array; an empty list or another kind is an error.
 *   random_string(length) length characters drawn uniformly from [A-Za-z0-9]; length an integer
 *                         from 0 to 4096.
 *   uuid()                a random (version 4, RFC 9562 variant) UUID in lower case:
 *                         xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx.
 *   now()                 Unix time in whole seconds (rounded down), a number: 1795689303.
 *                         Whole seconds because that is what "Unix time" means to the APIs that
 *                         take one (JWT exp/iat, cache keys); now_ms() has the precision.
 *   now_ms()              Unix time in whole milliseconds (rounded down), a number.
 *   iso_time()            the current UTC time, RFC 3339 with milliseconds (rounded down) and
 *                         Z: 2026-11-26T10:35:03.123Z.
 *   base64(x)             standard Base64 (RFC 4648 section 4, + and /, with = padding) of x's
 *                         text (as rendered: base64(3) is "Mw==").
 *   url_encode(x)         x's text with every byte but the unreserved A-Z a-z 0-9 - . _ ~
 *                         written %XX (upper-case hex; a space is %20, UTF-8 byte by byte).
 *   user_id()             this user's number (ctx->user_id), unique in the run.
 *   iteration()           this user's task runs so far (ctx->iteration).
 * Randomness comes from ctx->rng (the user's generator); time from ctx->wall_us.
 *
 * Variables: a user variable (`token`; `item.id` and `ids[1]` walk into a JSON object or
 * array, or a list); vars.NAME (globals); data.FEEDER.COLUMN (ctx->row_value; a string);
 * response.status (a number, 0 for a failure before any status, and before the first
 * response), response.url, response.header.NAME (case-insensitive; the first of repeated
 * headers) and response.body (strings; "" before the first response). An unknown user variable,
 * global or feeder value is an error ("unknown variable 'item'"). A key, index or header that
 * is not there reads as null where a value is compared or tested (== != < ... ! && ||, the
 * result of lc_eval), so `if: item.discount != null` works; where it would be rendered or
 * passed to a function it is an error ("'item.nme': no key 'nme'"), so a typo does not
 * silently render as empty text. */
#ifndef LC_ENGINE_RENDER_H
#define LC_ENGINE_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/expr.h"
#include "config/plan.h"
#include "config/template.h"
#include "engine/base/base.h"
#include "engine/http.h"
#include "engine/rng.h"
#include "engine/value.h"
#include "engine/vars.h"

/* The most bytes of function results one lc_render or lc_eval call may hold at once. */
#define LC_EVAL_SCRATCH_MAX ((size_t)32 << 20)

/* ---- the last response, for response.* ---- */

/* What a view keeps of a response beyond its status and URL. */
enum { LC_VIEW_HEADERS = 1, LC_VIEW_BODY = 2, LC_VIEW_ALL = 3 };

/* A copy of the last response, owned by the user, reused from one response to the next (its
 * buffers keep their memory, given back when it is much larger than what it holds). */
struct lc_response_view {
  unsigned keep;          /* LC_VIEW_* */
  bool valid;             /* a response has been set */
  int status;
  struct lc_buf url;
  struct lc_buf headers;  /* name '\0' value '\0', nheaders times */
  size_t nheaders;
  struct lc_buf body;
  bool body_kept;         /* the response had a body to keep and keep has LC_VIEW_BODY */
};

/* An empty view keeping `keep` (use lc_plan_response_needs: a user need not hold a copy of
 * every body when no expression reads response.body). */
void lc_response_view_init(struct lc_response_view *v, unsigned keep);
void lc_response_view_release(struct lc_response_view *v);
/* Copies what the view keeps of resp (valid only during the call; the view does not point
 * into it). A body larger than 64 MB is not kept (response.body is then an error). */
void lc_response_view_set(struct lc_response_view *v, const struct lc_http_response *resp);

/* Which parts of responses the plan's expressions read (LC_VIEW_HEADERS for
 * response.header.*, LC_VIEW_BODY for response.body), over every template and expression of
 * setup, teardown and every class. */
unsigned lc_plan_response_needs(const struct lc_plan *plan);

/* ---- evaluation ---- */

/* Wall-clock time in microseconds since the Unix epoch. */
typedef int64_t (*lc_clock_cb)(void *ctx);

/* What an expression can read. Every pointer is borrowed for the duration of a call. */
struct lc_eval_ctx {
  const struct lc_vars *vars;          /* the user's variables (NULL: none) */
  struct lc_globals globals;           /* vars.NAME */
  lc_row_value_cb row_value;           /* data.FEEDER.COLUMN (NULL: no feeders) */
  void *row_ctx;
  const struct lc_response_view *response; /* the last response (NULL: none yet) */
  struct lc_rng *rng;                  /* the user's generator (NULL: random_* and uuid fail) */
  lc_clock_cb wall_us;                 /* NULL: the system's real-time clock */
  void *clock_ctx;
  uint64_t user_id;
  uint64_t iteration;
};

/* Fills ctx for a user: the plan's variables as globals (plan may be NULL), vars, rng, the
 * user's number and iteration count; no captured globals, feeders or response, the system
 * clock. Set the other fields afterwards. */
void lc_eval_ctx_init(struct lc_eval_ctx *ctx, const struct lc_plan *plan,
                      const struct lc_vars *vars, struct lc_rng *rng, uint64_t user_id,
                      uint64_t iteration);

/* Appends template t, rendered, to out: text segments as they are, each expression's value as
 * text (lc_val_write) escaped by the segment's mode (LC_ESC_JSON: lc_json_escape; LC_ESC_URL:
 * lc_url_encode; LC_ESC_NONE: as is). Returns 0; or LC_EINVAL when an expression fails, or
 * LC_ETOOBIG when the output passes out's cap (or function results LC_EVAL_SCRATCH_MAX), with
 * a message appended to err (may be NULL; a capped err gets as much of it as fits). On an
 * error out is left as it was. */
int lc_render(const struct lc_tpl *t, const struct lc_eval_ctx *ctx, struct lc_buf *out,
              struct lc_buf *err);

/* Evaluates e into *out, which the caller owns and releases with lc_val_release (a string,
 * list or JSON result is a copy, so it stays valid whatever the variables do next, as a loop's
 * list must). && and || evaluate their right side only when needed and give a boolean, as do
 * ! and comparisons. Returns 0, or LC_EINVAL / LC_ETOOBIG with a message appended to err
 * (*out is then null). */
int lc_eval(const struct lc_expr *e, const struct lc_eval_ctx *ctx, struct lc_val *out,
            struct lc_buf *err);

/* ---- encoders, also for whoever builds requests ---- */

/* Writes s[0..n) percent-encoded: every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper case). */
int lc_url_encode(const char *s, size_t n, lc_write_cb write, void *ctx);
/* Appends the standard Base64 of s[0..n), with padding. LC_ETOOBIG (nothing appended) past
 * out's cap. */
int lc_base64(const char *s, size_t n, struct lc_buf *out);

#endif
