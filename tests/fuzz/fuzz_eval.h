/* fuzz_eval.h: the evaluation context fuzz_template and fuzz_expr run expressions in: a few user
 * variables (a string, a number, a JSON object, a JSON array), globals, one feeder
 * row and a fake last response with headers and a JSON body, a fixed clock and a seeded
 * generator, so that every branch of engine/render.c is reachable and runs reproduce. Built
 * once per process (libFuzzer calls the target many times); nothing here changes per input. */
#ifndef LC_FUZZ_EVAL_H
#define LC_FUZZ_EVAL_H

#include <jansson.h>
#include <string.h>

#include "engine/render.h"

struct fuzz_eval {
  struct lc_vars vars, captured;
  struct lc_rng rng;
  struct lc_response_view view;
  struct lc_variable globals[3];
  struct lc_eval_ctx ctx;
};

static int64_t fuzz_clock(void *ctx) {
  (void)ctx;
  return 1795689303123456; /* 2026-11-26T10:35:03.123456Z */
}

/* data.accounts.user and data.accounts.password. */
static const char *fuzz_row_value(void *ctx, const char *feeder, const char *column,
                                  size_t *len) {
  (void)ctx;
  if (strcmp(feeder, "accounts") != 0) return NULL;
  const char *v = strcmp(column, "user") == 0       ? "alice@example.com"
                  : strcmp(column, "password") == 0 ? "p&ss w=rd"
                                                    : NULL;
  if (v) *len = strlen(v);
  return v;
}

/* Fills fe (static storage: released at exit by the process, kept across runs). */
static void fuzz_eval_init(struct fuzz_eval *fe) {
  lc_vars_init(&fe->vars);
  lc_vars_init(&fe->captured);
  lc_rng_seed(&fe->rng, 12345, 1);
  lc_vars_set_string(&fe->vars, "token", "abc123", 6);
  lc_vars_set_number(&fe->vars, "n", 42);
  json_t *item = json_loads("{\"id\": 3, \"name\": \"caf\\u00e9 \\\"x\\\"\", \"price\": 9.5, "
                            "\"tags\": [\"a\", \"b\"], \"discount\": null, \"big\": 1e300}",
                            0, NULL);
  lc_vars_set_json(&fe->vars, "item", item);
  json_decref(item);
  json_t *ids = json_loads("[1, 2, 3, \"4\", [5]]", 0, NULL);
  lc_vars_set_json(&fe->vars, "ids", ids);
  json_decref(ids);
  lc_vars_set_string(&fe->captured, "admin_token", "t0k", 3);
  fe->globals[0] = (struct lc_variable){.name = "page_size", .value = {.kind = LC_VALUE_NUMBER, .number = 20}};
  fe->globals[1] = (struct lc_variable){.name = "api", .value = {.kind = LC_VALUE_STRING, .str = "k-1", .len = 3}};
  fe->globals[2] = (struct lc_variable){.name = "debug", .value = {.kind = LC_VALUE_BOOL, .boolean = true}};
  lc_response_view_init(&fe->view, LC_VIEW_ALL);
  static const struct lc_http_header headers[] = {
      {"Content-Type", "application/json"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
  static const char body[] = "{\"token\": \"xyz\", \"items\": [{\"id\": 1}, {\"id\": 2}]}";
  struct lc_http_response resp;
  memset(&resp, 0, sizeof resp);
  resp.status = 200;
  resp.body = body;
  resp.body_len = sizeof body - 1;
  resp.body_bytes = resp.body_len;
  resp.headers = headers;
  resp.nheaders = sizeof headers / sizeof headers[0];
  resp.final_url = "http://127.0.0.1:8080/items?page=2";
  lc_response_view_set(&fe->view, &resp);
  lc_eval_ctx_init(&fe->ctx, NULL, &fe->vars, &fe->rng, 7, 3);
  fe->ctx.globals.plan_vars = fe->globals;
  fe->ctx.globals.nplan_vars = 3;
  fe->ctx.globals.captured = &fe->captured;
  fe->ctx.row_value = fuzz_row_value;
  fe->ctx.response = &fe->view;
  fe->ctx.wall_us = fuzz_clock;
}

#endif
