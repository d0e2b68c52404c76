/* plan.h: the compiled scenario. The compiler (compile.h) turns a checked YAML document into
 * this immutable graph of user classes, tasks, steps and requests, with templates, regexes and
 * JSONPaths already compiled and tag filters already applied. The engine only reads it; all
 * threads share one plan. Everything reachable from a struct lc_plan is owned by it and freed by
 * lc_plan_free. Times are microseconds (int64_t). Every element keeps the mark of its YAML node
 * so that run-time messages and `loadc graph` can point at the scenario. */
#ifndef LC_CONFIG_PLAN_H
#define LC_CONFIG_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "config/template.h"

struct lc_jsonpath; /* config/jsonpath.h */
struct lc_plan_owned;

/* ---- small shared pieces ---- */

struct lc_strs {
  const char **items;
  size_t n;
};

/* name: value pairs whose values are templates (headers, query, form). */
struct lc_kv {
  const char *name;
  struct lc_tpl *value;
  struct lc_mark mark;
};
struct lc_kvs {
  struct lc_kv *items;
  size_t n;
};

enum lc_wait_kind {
  LC_WAIT_INHERIT,    /* a taskset/sequence without its own wait: the parent's applies */
  LC_WAIT_NONE,       /* constant 0 (the default for a user class) */
  LC_WAIT_CONSTANT,   /* a_us */
  LC_WAIT_BETWEEN,    /* uniform in [a_us, b_us) */
  LC_WAIT_PACING,     /* constant_pacing(a_us) */
  LC_WAIT_THROUGHPUT, /* constant_throughput(rate) = constant_pacing(1/rate) */
};
struct lc_wait {
  enum lc_wait_kind kind;
  int64_t a_us, b_us;
  double rate;        /* task runs per second per user, for THROUGHPUT */
};

enum lc_on_failure { LC_ON_FAILURE_CONTINUE, LC_ON_FAILURE_END_TASK, LC_ON_FAILURE_STOP_USER };

/* ---- requests ---- */

enum lc_body_kind { LC_BODY_NONE, LC_BODY_RAW, LC_BODY_JSON, LC_BODY_FORM, LC_BODY_MULTIPART };
enum lc_auth_kind { LC_AUTH_NONE, LC_AUTH_BASIC, LC_AUTH_BEARER, LC_AUTH_DIGEST };

struct lc_multipart_part {
  const char *name;
  struct lc_tpl *value;        /* a field, or NULL for a file */
  const char *path;            /* a file, resolved against the scenario's directory */
  const char *content_type;    /* NULL: application/octet-stream */
  const char *filename;        /* NULL: the file's base name */
};

struct lc_check_status {
  /* Allowed statuses: a code matches when it is one of codes[] or its class (2 for 2xx) is one
   * of classes[]. */
  int codes[32];
  size_t ncodes;
  int classes[5];
  size_t nclasses;
};

enum lc_cmp_op {
  LC_CMP_EQ, LC_CMP_NE, LC_CMP_GT, LC_CMP_GE, LC_CMP_LT, LC_CMP_LE,
  LC_CMP_EXISTS, LC_CMP_MATCHES, LC_CMP_CONTAINS, LC_CMP_LEN,
};

/* A literal the checks compare against. */
enum lc_value_kind { LC_VALUE_NULL, LC_VALUE_BOOL, LC_VALUE_NUMBER, LC_VALUE_STRING };
struct lc_value {
  enum lc_value_kind kind;
  bool boolean;
  double number;
  const char *str;
  size_t len;
};

/* One comparison: `op` against `value` (or `regex` for MATCHES). LEN compares the length of
 * the found value with `len_op` `value` (a number). EXISTS: value.boolean says whether the
 * path must exist. */
struct lc_cond {
  enum lc_cmp_op op;
  enum lc_cmp_op len_op;
  struct lc_value value;
  void *regex;                 /* pcre2_code_8 *, JIT-compiled by lc_plan_jit, for MATCHES */
  const char *source;          /* the condition as written, for messages: "> 0" */
};

enum lc_check_kind {
  LC_CHECK_STATUS,
  LC_CHECK_BODY_CONTAINS,      /* every string of strs must occur */
  LC_CHECK_BODY_NOT_CONTAINS,  /* none may occur */
  LC_CHECK_BODY_MATCHES,       /* regex */
  LC_CHECK_JSON,               /* jsonpath + cond */
  LC_CHECK_HEADER,             /* name + cond */
  LC_CHECK_URL,                /* cond on the final URL */
  LC_CHECK_IS_JSON,
  LC_CHECK_MAX_TIME,           /* us */
  LC_CHECK_SIZE,               /* min/max bytes */
};
struct lc_check {
  enum lc_check_kind kind;
  struct lc_mark mark;
  struct lc_check_status status;
  struct lc_strs strs;
  void *regex;                 /* pcre2_code_8 * */
  const char *pattern;         /* regex or path as written */
  struct lc_jsonpath *path;
  const char *header;          /* lower-case header name */
  struct lc_cond cond;
  int64_t us;
  int64_t size_min, size_max;  /* -1 = no bound */
};

enum lc_capture_kind { LC_CAPTURE_JSON, LC_CAPTURE_REGEX, LC_CAPTURE_HEADER, LC_CAPTURE_COOKIE,
                       LC_CAPTURE_XPATH };
enum lc_pick { LC_PICK_FIRST, LC_PICK_RANDOM, LC_PICK_ALL };
struct lc_capture {
  const char *var;             /* the user variable it sets */
  enum lc_capture_kind kind;
  struct lc_mark mark;
  const char *source;          /* path / regex / header / cookie / xpath as written */
  struct lc_jsonpath *path;
  void *regex;                 /* pcre2_code_8 * */
  int group;                   /* regex group number (default 1 when the regex has groups) */
  const char *group_name;      /* or a named group */
  enum lc_pick pick;
  bool has_default;
  struct lc_value default_value;
};

struct lc_request {
  struct lc_mark mark;
  const char *method;          /* upper case */
  struct lc_tpl *url;
  const char *url_source;      /* as written: the default stats name */
  struct lc_tpl *name;         /* NULL: url_source */
  struct lc_kvs headers;       /* defaults and class headers merged in, request's last */
  struct lc_kvs query;
  enum lc_body_kind body_kind;
  struct lc_tpl *body;         /* RAW, and JSON (the document with templated strings) */
  struct lc_kvs form;
  struct lc_multipart_part *parts;
  size_t nparts;
  enum lc_auth_kind auth_kind;
  struct lc_tpl *auth_user, *auth_password, *auth_token;
  int64_t timeout_us;
  bool follow_redirects;
  bool verify_tls;
  const char *client_cert, *client_key;
  int http_version;            /* 11 or 2 */
  bool stream;
  uint64_t max_body;           /* bytes of a body kept for checks and captures */
  struct lc_check *checks;
  size_t nchecks;
  bool has_status_check;       /* a status check replaces the 400-599 rule */
  struct lc_tpl *message;      /* check.message, or NULL */
  struct lc_capture *captures;
  size_t ncaptures;
  enum lc_on_failure on_failure;
  bool needs_body;             /* a check or capture reads the body */
};

/* ---- steps ---- */

enum lc_step_kind {
  LC_STEP_REQUEST, LC_STEP_SLEEP, LC_STEP_SET, LC_STEP_LOOP, LC_STEP_IF, LC_STEP_RESCHEDULE,
  LC_STEP_INTERRUPT, LC_STEP_STOP_USER, LC_STEP_LOG, LC_STEP_NEXT_ROW,
};

struct lc_steps {
  struct lc_step *items;
  size_t n;
};

struct lc_step {
  enum lc_step_kind kind;
  struct lc_mark mark;
  union {
    struct lc_request *request;
    int64_t sleep_us;
    struct lc_kvs set;                       /* variable = template */
    struct {
      int64_t count;                         /* -1 when looping over a list */
      struct lc_expr *over;                  /* a list expression */
      const char *as;                        /* element variable; "item" by default */
      struct lc_steps body;
    } loop;
    struct {
      struct lc_expr *cond;
      struct lc_steps then_steps, else_steps;
    } if_;
    bool immediately;                        /* RESCHEDULE */
    bool reschedule;                         /* INTERRUPT */
    struct lc_tpl *log;
    const char *feeder;                      /* NEXT_ROW: take the next row of this feeder */
  } u;
};

/* ---- tasks ---- */

enum lc_task_kind { LC_TASK_STEPS, LC_TASK_TASKSET, LC_TASK_SEQUENCE, LC_TASK_INTERRUPT };

struct lc_taskset;

struct lc_task {
  enum lc_task_kind kind;
  struct lc_mark mark;
  const char *name;            /* for graph and errors: `name:`, else the request or kind */
  uint32_t weight;             /* > 0: tasks of weight 0 and tasks removed by tags are gone */
  struct lc_strs tags;         /* own tags and those inherited from enclosing sets */
  struct lc_steps steps;       /* STEPS (a single request task is one request step) */
  struct lc_taskset *set;      /* TASKSET, SEQUENCE */
  bool reschedule;             /* INTERRUPT */
};

struct lc_taskset {
  bool sequential;
  struct lc_task *tasks;
  size_t n;
  uint64_t total_weight;       /* sum of weights; a random pick takes r in [0, total) */
  uint64_t *cumulative;        /* cumulative[i] = weights of tasks[0..i]; binary search */
  struct lc_wait wait;
  struct lc_steps on_start, on_stop;
};

/* ---- user classes ---- */

enum lc_client { LC_CLIENT_AUTO, LC_CLIENT_FAST, LC_CLIENT_CURL };

struct lc_user_class {
  const char *name;
  struct lc_mark mark;
  uint32_t weight;
  uint32_t fixed_count;
  const char *host;            /* NULL: the plan's host */
  enum lc_client client_asked; /* as written */
  enum lc_client client;       /* chosen: FAST or CURL */
  const char *client_reason;   /* why, for `loadc graph` */
  bool fast_ok;                /* every request is within the fast client (--client fast) */
  struct lc_kvs headers;       /* defaults' and class headers (already in its requests) */
  struct lc_steps on_start, on_stop;
  struct lc_taskset root;      /* the class's tasks and wait */
  enum lc_on_failure on_failure;
};

/* ---- data, variables ---- */

enum lc_feeder_order { LC_ORDER_SEQUENTIAL, LC_ORDER_RANDOM, LC_ORDER_UNIQUE };
enum lc_feeder_row { LC_ROW_PER_USER, LC_ROW_PER_TASK };
enum lc_exhausted { LC_EXHAUSTED_RECYCLE, LC_EXHAUSTED_STOP_USER, LC_EXHAUSTED_STOP_TEST };

struct lc_feeder {
  const char *name;
  struct lc_mark mark;
  const char *path;            /* resolved against the scenario's directory */
  struct lc_strs columns;      /* from the header row, or `columns:` */
  bool header;                 /* the first row names the columns */
  enum lc_feeder_order order;
  enum lc_feeder_row row;
  enum lc_exhausted on_exhausted;
  size_t nrows;                /* rows counted at compile time (the engine reads the file) */
};

struct lc_variable {
  const char *name;
  struct lc_mark mark;
  struct lc_value value;       /* globals are read-only literals after load */
  bool secret;                 /* never printed */
};

/* ---- load ---- */

struct lc_stage {
  struct lc_mark mark;
  int64_t duration_us;
  uint32_t users;
  double spawn_rate;
  struct lc_strs user_classes; /* empty: all */
};

struct lc_arrival_stage {
  struct lc_mark mark;
  int64_t duration_us;
  double rate;                 /* arrivals per second at the start */
  double ramp_to;              /* at the end (= rate when not ramping) */
};

enum lc_load_model { LC_LOAD_USERS, LC_LOAD_STAGES, LC_LOAD_ARRIVAL };

struct lc_load {
  enum lc_load_model model;
  uint32_t users;              /* default 1 */
  double spawn_rate;           /* default 1 */
  int64_t run_time_us;         /* 0 = until interrupted (or the stages end) */
  uint64_t iterations;         /* 0 = no limit */
  int64_t stop_timeout_us;
  bool reset_stats;
  struct lc_stage *stages;
  size_t nstages;
  uint32_t max_users;          /* arrival */
  struct lc_arrival_stage *arrivals;
  size_t narrivals;
};

/* ---- thresholds and output ---- */

enum lc_metric {
  LC_METRIC_PERCENTILE, LC_METRIC_AVG, LC_METRIC_MIN, LC_METRIC_MAX, LC_METRIC_MEDIAN,
  LC_METRIC_RPS, LC_METRIC_REQUESTS, LC_METRIC_FAILURES, LC_METRIC_ERROR_RATE,
  LC_METRIC_CHECK_RATE,
};
enum lc_unit { LC_UNIT_NONE, LC_UNIT_US, LC_UNIT_RATIO };

struct lc_threshold {
  const char *source;          /* as written, for reports */
  struct lc_mark mark;
  enum lc_metric metric;
  double percentile;           /* 0.95 for p95 */
  bool intended;               /* measured from the intended start (p99_intended) */
  const char *filter_name, *filter_method, *filter_tag;  /* NULL: no filter */
  enum lc_cmp_op op;           /* EQ NE GT GE LT LE */
  double value;                /* us for durations, 0..1 for percentages, else as written */
  enum lc_unit unit;
  bool abort_on_fail;
  int64_t delay_us;
};

struct lc_output {
  const char *csv, *html, *json, *junit;  /* NULL: not written; paths as written */
  bool csv_full_history;
};

/* ---- the plan ---- */

struct lc_plan {
  const char *file;            /* the scenario's path */
  const char *dir;             /* its directory, for relative paths */
  const char *name;
  const char *host;            /* NULL: must come from --host */
  struct lc_request defaults;  /* request defaults (headers, timeout, verify_tls, ...) */
  struct lc_variable *variables;
  size_t nvariables;
  struct lc_feeder *feeders;
  size_t nfeeders;
  struct lc_steps setup, teardown;
  struct lc_load load;
  struct lc_user_class *classes;  /* spawnable classes (abstract ones are gone), sorted by name */
  size_t nclasses;
  struct lc_threshold *thresholds;
  size_t nthresholds;
  struct lc_output output;
  struct lc_mark insecure;     /* the first `verify_tls: false` (file NULL: none) */
  struct lc_strs tags, exclude_tags;  /* the filters the plan was compiled with */
  struct lc_plan_owned *owned;        /* internal: the memory behind all of the above */
};

/* Visiting every request (config/plan_walk.c): in steps (loop bodies and if branches
 * included), in a taskset (on_start, on_stop, tasks, nested sets), in a class (on_start,
 * on_stop, tasks), or in a whole plan (`defaults` first, then setup, teardown, the classes). */
typedef void (*lc_request_visit_cb)(void *ctx, const struct lc_request *r);
void lc_steps_each_request(const struct lc_steps *steps, lc_request_visit_cb fn, void *ctx);
void lc_taskset_each_request(const struct lc_taskset *set, lc_request_visit_cb fn, void *ctx);
void lc_class_each_request(const struct lc_user_class *uc, lc_request_visit_cb fn, void *ctx);
void lc_plan_each_request(const struct lc_plan *p, lc_request_visit_cb fn, void *ctx);

/* JIT-compiles the plan's regexes (PCRE2); call once before running, before any thread reads
 * the plan. Regexes work without it, only slower; `loadc check` skips it. */
void lc_plan_jit(struct lc_plan *plan);
void lc_plan_free(struct lc_plan *plan);

#endif
