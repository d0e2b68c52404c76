/* user.c: the user state machine (see user.h). One function, run(), executes steps until the
 * user must wait for a response or for time; block_done() decides what follows a finished block
 * of steps (on_start, a task, a taskset's on_start or on_stop), following Locust's TaskSet.run
 * loop: pick, execute, wait; interrupt returns to the parent; the on_stop chain runs innermost
 * first. Requests are built here from the plan and sent through the worker's hooks. */
#include "engine/user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"
#include "engine/render.h"
#include "engine/request.h"
#include "engine/wait.h"

/* Limits on nesting; the stacks start small and grow on demand (most users need 1-3 of each,
 * and a waiting user should cost a few hundred bytes, not the 4 KB fixed arrays took). */
enum { MAX_FRAMES = 32, MAX_CURSORS = 32, FIRST_STACK = 4 };

/* What the steps being run belong to. */
enum block {
  B_NONE,
  B_CLASS_ON_START,
  B_TASK,
  B_SET_ON_START,
  B_SET_ON_STOP,
  B_CLASS_ON_STOP,
  B_SCRIPT,       /* setup or teardown: the steps once, then the user is done */
};

enum state {
  S_NEW,
  S_RUNNING,
  S_IN_REQUEST,
  S_SLEEPING,   /* a `sleep` step */
  S_WAITING,    /* the wait after a task */
  S_DONE,
};

/* A position in a list of steps; loops keep their counters here. */
struct cursor {
  const struct lc_steps *steps;
  uint32_t index;
  const struct lc_step *loop;  /* the loop step whose body this is, or NULL */
  int64_t loop_left;           /* count loops: runs after this one */
  size_t loop_pos;             /* list loops: index of the current element */
  struct lc_val loop_list;     /* list loops: the list (owned) */
};

/* An entered taskset or sequence (frame 0 is the class's root set). */
struct frame {
  const struct lc_taskset *set;
  uint32_t seq_next;           /* sequences: the next task */
  uint32_t seq_left;           /* sequences: repeats left of the current task (weight n) */
  struct lc_wait_state ws;
};

struct lc_user {
  struct lc_user_links links;  /* first: the worker's */
  const struct lc_plan *plan;
  const struct lc_user_class *uc;  /* NULL for a script (setup, teardown) */
  const struct lc_steps *script;
  struct lc_user_hooks hooks;
  const char *base_url;
  uint64_t id;
  uint64_t iterations;
  uint64_t task_runs;          /* tasks run (interrupts too), for an arrival's single task */
  bool arrival;                /* an open-model arrival: on_start, one task, on_stop */
  int64_t lateness_us;         /* an arrival's start minus its intended start */
  struct lc_rng rng;
  enum state state;
  enum block block;
  bool stop_requested;         /* graceful: stop at the next wait */
  bool stopping;               /* the on_stop chain is running */
  bool interrupt_reschedule;   /* how the parent continues after a taskset's on_stop */
  bool task_failed_end;        /* on_failure: end_task asked to end the current task */
  bool yielded;                /* the loop has run since the last pick (I/O, a wait, a yield) */
  struct frame *frames;
  int nframes, capframes;
  struct cursor *cursors;
  int ncursors, capcursors;
  const struct lc_request *req;          /* the request in flight */
  struct lc_request_build *built;        /* its rendered form, freed on the response */
  struct lc_vars vars;
  struct lc_response_view last;          /* the last response, for response.* */
  struct lc_user_rows rows;              /* the feeder rows the user holds */
  struct lc_user_rows_ctx rows_ctx;
};

static void run(struct lc_user *u);

/* ---- small helpers ---- */

static int64_t now(struct lc_user *u) { return u->hooks.now_us(u->hooks.w); }

static void user_error(struct lc_user *u, const char *fmt, ...) LC_PRINTF(2, 3);
static void user_error(struct lc_user *u, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  u->hooks.user_error(u->hooks.w, u, msg);
}

static void clear_cursors(struct lc_user *u) {
  while (u->ncursors > 0) {
    struct cursor *c = &u->cursors[--u->ncursors];
    lc_val_release(&c->loop_list);
  }
}

static bool push_steps(struct lc_user *u, const struct lc_steps *steps) {
  if (u->ncursors == MAX_CURSORS) {
    user_error(u, "steps nested deeper than %d levels", MAX_CURSORS);
    return false;
  }
  if (u->ncursors == u->capcursors) {
    u->capcursors = u->capcursors ? u->capcursors * 2 : FIRST_STACK;
    u->cursors = lc_xrealloc(u->cursors, (size_t)u->capcursors * sizeof *u->cursors);
  }
  struct cursor *c = &u->cursors[u->ncursors++];
  memset(c, 0, sizeof *c);
  c->steps = steps;
  return true;
}

static void begin_block(struct lc_user *u, enum block b, const struct lc_steps *steps) {
  clear_cursors(u);
  u->block = b;
  push_steps(u, steps);
}

/* The wait that applies in the innermost frame: its own, else the nearest enclosing one's. */
static struct frame *wait_frame(struct lc_user *u) {
  for (int i = u->nframes - 1; i > 0; i--)
    if (u->frames[i].set->wait.kind != LC_WAIT_INHERIT) return &u->frames[i];
  return &u->frames[0];
}

/* Records a finished request, and its time from the intended start where the user has a
 * schedule: an arrival (its lateness is added to every request of its flow) or a user whose
 * wait is constant_pacing / constant_throughput (HdrHistogram's correction by the interval). */
static void record(struct lc_user *u, const char *name, const char *method, int status,
                   int64_t rt_us, uint64_t len, const char *failure) {
  int64_t intended = -1, interval = 0;
  if (u->arrival) {
    intended = rt_us + u->lateness_us;
  } else if (u->nframes > 0) {
    const struct lc_wait *wt = &wait_frame(u)->set->wait;
    if (wt->kind == LC_WAIT_PACING) interval = wt->a_us;
    else if (wt->kind == LC_WAIT_THROUGHPUT && wt->rate > 0) interval = (int64_t)(1e6 / wt->rate);
    if (interval > 0) intended = rt_us;
  }
  u->hooks.record(u->hooks.w, name, method, status, rt_us, len, failure, intended, interval);
}

static bool push_frame(struct lc_user *u, const struct lc_taskset *set) {
  if (u->nframes == MAX_FRAMES) {
    user_error(u, "tasksets nested deeper than %d levels", MAX_FRAMES);
    return false;
  }
  if (u->nframes == u->capframes) {
    u->capframes = u->capframes ? u->capframes * 2 : FIRST_STACK;
    u->frames = lc_xrealloc(u->frames, (size_t)u->capframes * sizeof *u->frames);
  }
  struct frame *f = &u->frames[u->nframes++];
  memset(f, 0, sizeof *f);
  f->set = set;
  lc_wait_state_init(&f->ws, now(u));
  return true;
}

/* ---- the on_stop chain ---- */

static void finish(struct lc_user *u) {
  clear_cursors(u);
  u->state = S_DONE;
  u->block = B_NONE;
  u->hooks.stopped(u->hooks.w, u);
}

/* Runs the next on_stop of the chain: the innermost entered taskset's, then the class's. */
static void stop_chain_next(struct lc_user *u) {
  if (u->nframes > 1) {
    begin_block(u, B_SET_ON_STOP, &u->frames[u->nframes - 1].set->on_stop);
    return;
  }
  if (u->block == B_CLASS_ON_STOP) {
    finish(u);
    return;
  }
  begin_block(u, B_CLASS_ON_STOP, &u->uc->on_stop);
}

static void begin_stop_chain(struct lc_user *u) {
  if (u->script) {
    finish(u);
    return;
  }
  u->stopping = true;
  u->block = B_NONE;
  stop_chain_next(u);
  u->state = S_RUNNING;
}

/* ---- picking and starting tasks ---- */

static void start_task(struct lc_user *u, const struct lc_task *t);
static void interrupt(struct lc_user *u, bool reschedule);

/* A feeder ran out: stop_test also tells the worker, which stops the run. */
static void exhausted(struct lc_user *u, int rc) {
  if (rc == LC_FEEDER_EXHAUSTED_STOP_TEST && u->hooks.stop_test) u->hooks.stop_test(u->hooks.w, u);
}

static const struct lc_task *pick(struct lc_user *u) {
  struct frame *f = &u->frames[u->nframes - 1];
  const struct lc_taskset *set = f->set;
  if (set->n == 0) return NULL;
  if (set->sequential) {
    /* tasks in order, a weight n meaning n runs in a row; wrap after the last */
    if (f->seq_left == 0) {
      f->seq_left = set->tasks[f->seq_next].weight;
    }
    const struct lc_task *t = &set->tasks[f->seq_next];
    if (--f->seq_left == 0) f->seq_next = (f->seq_next + 1) % (uint32_t)set->n;
    return t;
  }
  uint64_t r = lc_rng_below(&u->rng, set->total_weight);
  size_t lo = 0, hi = set->n - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (set->cumulative[mid] > r)
      hi = mid;
    else
      lo = mid + 1;
  }
  return &set->tasks[lo];
}

static void pick_next(struct lc_user *u) {
  if (u->stop_requested) {
    begin_stop_chain(u);
    return;
  }
  if (!u->yielded) {
    /* the last task did no I/O and had no wait: give the loop a turn before the next one, as
       Locust's gevent.sleep(0) does, so that timers, signals and other users are not starved */
    u->yielded = true;
    u->state = S_WAITING;
    u->hooks.wake_at(u->hooks.w, u, now(u) + 1000);
    return;
  }
  u->yielded = false;
  const struct lc_task *t = pick(u);
  if (!t) {
    user_error(u, "no tasks defined in user class '%s'", u->uc->name);
    begin_stop_chain(u);
    return;
  }
  /* --iterations counts task runs as locust-plugins does: entering a taskset or sequence is
   * not one, but once the limit is reached the user stops before it enters */
  bool counted = t->kind != LC_TASK_TASKSET && t->kind != LC_TASK_SEQUENCE;
  if (!u->hooks.task_allowed(u->hooks.w, counted)) {
    begin_stop_chain(u);
    return;
  }
  if (counted) u->task_runs++;
  if (t->kind != LC_TASK_INTERRUPT) {
    int rc = lc_user_rows_take_task(&u->rows, u->hooks.feeders, &u->rng);
    if (rc) {
      exhausted(u, rc);
      begin_stop_chain(u);
      return;
    }
  }
  if (t->kind == LC_TASK_STEPS) u->iterations++; /* as -i counts: task runs, not entries */
  start_task(u, t);
}

/* After a task (or an interrupted taskset with reschedule false): wait, then pick. */
static void wait_then_pick(struct lc_user *u) {
  if (u->stop_requested || (u->arrival && u->task_runs > 0)) { /* an arrival leaves at once */
    begin_stop_chain(u);
    return;
  }
  struct frame *f = wait_frame(u);
  int64_t t = now(u);
  int64_t wait_us = lc_wait_next(&f->set->wait, &f->ws, t, &u->rng);
  if (wait_us <= 0) {
    pick_next(u);
    return;
  }
  u->state = S_WAITING;
  u->yielded = true;
  u->hooks.wake_at(u->hooks.w, u, t + wait_us);
}

static void start_task(struct lc_user *u, const struct lc_task *t) {
  u->task_failed_end = false;
  switch (t->kind) {
  case LC_TASK_STEPS: begin_block(u, B_TASK, &t->steps); break;
  case LC_TASK_TASKSET:
  case LC_TASK_SEQUENCE:
    if (!push_frame(u, t->set)) {
      wait_then_pick(u);
      return;
    }
    begin_block(u, B_SET_ON_START, &t->set->on_start);
    break;
  case LC_TASK_INTERRUPT: interrupt(u, t->reschedule); break;
  }
}

/* Leaves the innermost taskset (Locust's InterruptTaskSet): its on_stop runs, unless the
 * interrupt came from its on_start; then the parent goes on, at once with reschedule, else
 * after its wait. */
static void interrupt(struct lc_user *u, bool reschedule) {
  if (u->nframes <= 1) {
    /* from the class's own tasks Locust ends the user; the compiler rejects it anyway */
    begin_stop_chain(u);
    return;
  }
  u->interrupt_reschedule = reschedule;
  if (u->block == B_SET_ON_START) {
    clear_cursors(u);
    u->nframes--;
    u->block = B_NONE;
    if (reschedule)
      pick_next(u);
    else
      wait_then_pick(u);
    return;
  }
  begin_block(u, B_SET_ON_STOP, &u->frames[u->nframes - 1].set->on_stop);
}

/* The steps of a block are done: what follows depends on the block. */
static void block_done(struct lc_user *u) {
  enum block b = u->block;
  u->block = B_NONE;
  switch (b) {
  case B_CLASS_ON_START:
  case B_SET_ON_START: pick_next(u); break;
  case B_TASK: wait_then_pick(u); break;
  case B_SET_ON_STOP:
    u->nframes--;
    if (u->stopping) {
      stop_chain_next(u);
    } else if (u->interrupt_reschedule) {
      pick_next(u);
    } else {
      wait_then_pick(u);
    }
    break;
  case B_CLASS_ON_STOP:
  case B_SCRIPT: finish(u); break;
  case B_NONE: break;
  }
}

/* Ends the current task early (reschedule, on_failure: end_task, an error): the wait follows
 * unless `immediately`. In on_start or on_stop the rest of that block is skipped. */
static void end_task(struct lc_user *u, bool immediately) {
  clear_cursors(u);
  enum block b = u->block;
  if (b == B_TASK) {
    u->block = B_NONE;
    if (immediately)
      pick_next(u);
    else
      wait_then_pick(u);
    return;
  }
  if (b == B_CLASS_ON_START || b == B_SCRIPT) {
    /* Locust: an exception in on_start kills the user; a failed setup step ends the setup */
    begin_stop_chain(u);
    return;
  }
  block_done(u);
}

/* ---- steps ---- */

static void eval_error(struct lc_user *u, const struct lc_step *st, const char *what,
                       const struct lc_buf *err) {
  user_error(u, "%s:%u: %s: %s", st->mark.file ? st->mark.file : "?", st->mark.line, what,
             err->data ? err->data : "error");
  end_task(u, false);
}

static void render_ctx(struct lc_user *u, struct lc_eval_ctx *ctx) {
  lc_eval_ctx_init(ctx, u->plan, &u->vars, &u->rng, u->id, u->iterations);
  ctx->globals.captured = u->hooks.globals;
  ctx->response = u->last.valid ? &u->last : NULL;
  if (u->hooks.feeders) {
    ctx->row_value = lc_user_rows_value;
    ctx->row_ctx = &u->rows_ctx;
  }
}

static void exec_set(struct lc_user *u, const struct lc_step *st) {
  struct lc_eval_ctx ctx;
  struct lc_buf out, err;
  render_ctx(u, &ctx);
  lc_buf_init(&out, 16u << 20);
  lc_buf_init(&err, 512);
  for (size_t i = 0; i < st->u.set.n; i++) {
    lc_buf_reset(&out);
    if (lc_render(st->u.set.items[i].value, &ctx, &out, &err) != 0) {
      lc_buf_release(&out);
      eval_error(u, st, "set", &err);
      lc_buf_release(&err);
      return;
    }
    lc_vars_set_string(&u->vars, st->u.set.items[i].name, out.data ? out.data : "", out.len);
  }
  lc_buf_release(&out);
  lc_buf_release(&err);
}

static void exec_log(struct lc_user *u, const struct lc_step *st) {
  struct lc_eval_ctx ctx;
  struct lc_buf out, err;
  render_ctx(u, &ctx);
  lc_buf_init(&out, 64u << 10);
  lc_buf_init(&err, 512);
  if (lc_render(st->u.log, &ctx, &out, &err) != 0)
    eval_error(u, st, "log", &err);
  else
    u->hooks.log(u->hooks.w, u, out.data ? out.data : "");
  lc_buf_release(&out);
  lc_buf_release(&err);
}

/* Sets the loop variable to element i of the cursor's list. */
static void set_loop_item(struct lc_user *u, struct cursor *c) {
  struct lc_val item;
  if (lc_val_list_get(&c->loop_list, c->loop_pos, &item) == 0)
    lc_vars_set(&u->vars, c->loop->u.loop.as, &item);
}

static bool exec_loop(struct lc_user *u, const struct lc_step *st) {
  const struct lc_steps *body = &st->u.loop.body;
  if (st->u.loop.count >= 0) {
    if (st->u.loop.count == 0 || body->n == 0) return true;
    if (!push_steps(u, body)) return false;
    struct cursor *c = &u->cursors[u->ncursors - 1];
    c->loop = st;
    c->loop_left = st->u.loop.count - 1;
    return true;
  }
  struct lc_eval_ctx ctx;
  struct lc_val list;
  struct lc_buf err;
  render_ctx(u, &ctx);
  lc_buf_init(&err, 512);
  if (lc_eval(st->u.loop.over, &ctx, &list, &err) != 0) {
    eval_error(u, st, "loop over", &err);
    lc_buf_release(&err);
    return false;
  }
  lc_buf_release(&err);
  if (lc_val_list_len(&list) == 0 || body->n == 0) {
    lc_val_release(&list);
    return true;
  }
  if (!push_steps(u, body)) {
    lc_val_release(&list);
    return false;
  }
  struct cursor *c = &u->cursors[u->ncursors - 1];
  c->loop = st;
  c->loop_list = list;
  c->loop_pos = 0;
  set_loop_item(u, c);
  return true;
}

static bool exec_if(struct lc_user *u, const struct lc_step *st) {
  struct lc_eval_ctx ctx;
  struct lc_val v;
  struct lc_buf err;
  render_ctx(u, &ctx);
  lc_buf_init(&err, 512);
  if (lc_eval(st->u.if_.cond, &ctx, &v, &err) != 0) {
    eval_error(u, st, "if", &err);
    lc_buf_release(&err);
    return false;
  }
  lc_buf_release(&err);
  bool yes = lc_val_truthy(&v);
  lc_val_release(&v);
  const struct lc_steps *branch = yes ? &st->u.if_.then_steps : &st->u.if_.else_steps;
  return branch->n == 0 || push_steps(u, branch);
}

static void exec_request(struct lc_user *u, const struct lc_step *st) {
  const struct lc_request *r = st->u.request;
  struct lc_eval_ctx ctx;
  struct lc_buf err;
  render_ctx(u, &ctx);
  lc_buf_init(&err, 512);
  u->built = lc_request_build(r, u->base_url, &ctx, &err);
  if (!u->built) {
    /* a request that cannot be built is a failed request of its own name, as Locust counts
     * a request that raised before sending */
    record(u, r->url_source, r->method, 0, 0, 0, err.data ? err.data : "error");
    user_error(u, "%s:%u: %s", st->mark.file ? st->mark.file : "?", st->mark.line,
               err.data ? err.data : "cannot build the request");
    lc_buf_release(&err);
    end_task(u, false);
    return;
  }
  lc_buf_release(&err);
  u->req = r;
  u->state = S_IN_REQUEST;
  u->yielded = true;
  if (u->hooks.send(u->hooks.w, u, lc_request_build_http(u->built)) != 0) {
    struct lc_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.error = LC_HTTP_EOTHER;
    resp.error_message = "the request could not be started";
    resp.start_us = resp.end_us = now(u);
    lc_user_on_response(u, &resp);
  }
}

/* Executes one step; false when the user must stop running (it waits, or its block ended). */
static bool exec_step(struct lc_user *u, const struct lc_step *st) {
  switch (st->kind) {
  case LC_STEP_REQUEST: exec_request(u, st); return false;
  case LC_STEP_SLEEP:
    if (st->u.sleep_us <= 0) return true;
    u->state = S_SLEEPING;
    u->yielded = true;
    u->hooks.wake_at(u->hooks.w, u, now(u) + st->u.sleep_us);
    return false;
  case LC_STEP_SET: exec_set(u, st); return u->state == S_RUNNING && u->ncursors > 0;
  case LC_STEP_LOG: exec_log(u, st); return u->state == S_RUNNING && u->ncursors > 0;
  case LC_STEP_LOOP: return exec_loop(u, st) && u->state == S_RUNNING;
  case LC_STEP_IF: return exec_if(u, st) && u->state == S_RUNNING;
  case LC_STEP_RESCHEDULE: end_task(u, st->u.immediately); return false;
  case LC_STEP_INTERRUPT: interrupt(u, st->u.reschedule); return false;
  case LC_STEP_STOP_USER:
    clear_cursors(u);
    begin_stop_chain(u);
    return false;
  case LC_STEP_NEXT_ROW: {
    size_t i = lc_feeders_find(u->hooks.feeders, st->u.feeder); /* the compiler checked it */
    int rc = i == SIZE_MAX ? 0 : lc_user_rows_take(&u->rows, u->hooks.feeders, i, &u->rng);
    if (rc == 0) return true;
    exhausted(u, rc);
    if (u->stopping) {
      end_task(u, false);
      return false;
    }
    clear_cursors(u);
    begin_stop_chain(u);
    return false;
  }
  }
  return true;
}

/* Runs steps until the user waits (for a response or time) or is done. */
static void run(struct lc_user *u) {
  while (u->state == S_RUNNING) {
    if (u->ncursors == 0) {
      if (u->block == B_NONE) return;
      block_done(u);
      continue;
    }
    struct cursor *c = &u->cursors[u->ncursors - 1];
    if (c->index >= c->steps->n) {
      if (c->loop && c->loop->u.loop.count >= 0 && c->loop_left > 0) {
        c->loop_left--;
        c->index = 0;
      } else if (c->loop && c->loop->u.loop.count < 0 &&
                 c->loop_pos + 1 < lc_val_list_len(&c->loop_list)) {
        c->loop_pos++;
        c->index = 0;
        set_loop_item(u, c);
      } else {
        lc_val_release(&c->loop_list);
        u->ncursors--;
      }
      continue;
    }
    const struct lc_step *st = &c->steps->items[c->index++];
    exec_step(u, st);
  }
}

/* ---- responses ---- */

void lc_user_on_response(struct lc_user *u, const struct lc_http_response *resp) {
  const struct lc_request *r = u->req;
  if (u->state != S_IN_REQUEST || !r) return;
  u->req = NULL;
  u->state = S_RUNNING;
  lc_response_view_set(&u->last, resp);
  struct lc_eval_ctx ctx;
  render_ctx(u, &ctx);
  struct lc_request_result res;
  lc_request_finish(r, u->built, resp, &ctx, &u->vars, &res);
  record(u, res.name, r->method, resp->status, res.response_time_us, resp->body_bytes,
         res.failure);
  /* a failure goes on as on_failure says; a capture that found nothing ends the task, since
   * the steps after it would read a variable that does not exist */
  enum lc_on_failure action = res.failure ? r->on_failure : LC_ON_FAILURE_CONTINUE;
  if (res.capture_missing && action == LC_ON_FAILURE_CONTINUE) action = LC_ON_FAILURE_END_TASK;
  lc_request_result_release(&res);
  lc_request_build_free(u->built);
  u->built = NULL;
  switch (action) {
  case LC_ON_FAILURE_CONTINUE: break;
  case LC_ON_FAILURE_END_TASK: end_task(u, false); break;
  case LC_ON_FAILURE_STOP_USER:
    clear_cursors(u);
    begin_stop_chain(u);
    break;
  }
  run(u);
}

/* ---- the public side ---- */

struct lc_user *lc_user_new(const struct lc_plan *plan, const struct lc_user_class *uc,
                            const char *base_url, uint64_t id, const struct lc_rng *rng,
                            const struct lc_user_hooks *hooks) {
  struct lc_user *u = lc_xcalloc(1, sizeof *u);
  u->links.heap_index = SIZE_MAX;
  u->plan = plan;
  u->uc = uc;
  u->hooks = *hooks;
  u->base_url = base_url;
  u->id = id;
  u->rng = *rng;
  lc_vars_init(&u->vars);
  lc_response_view_init(&u->last, hooks->response_keep);
  lc_user_rows_init(&u->rows, hooks->feeders);
  u->rows_ctx = (struct lc_user_rows_ctx){&u->rows, hooks->feeders};
  return u;
}

void lc_user_free(struct lc_user *u) {
  if (!u) return;
  clear_cursors(u);
  lc_request_build_free(u->built);
  lc_vars_release(&u->vars);
  lc_response_view_release(&u->last);
  lc_user_rows_release(&u->rows);
  free(u->frames);
  free(u->cursors);
  free(u);
}

struct lc_user *lc_user_new_script(const struct lc_plan *plan, const struct lc_steps *steps,
                                   const char *base_url, uint64_t id, const struct lc_rng *rng,
                                   const struct lc_user_hooks *hooks) {
  struct lc_user *u = lc_user_new(plan, NULL, base_url, id, rng, hooks);
  u->script = steps;
  return u;
}

struct lc_vars *lc_user_vars(struct lc_user *u) { return &u->vars; }

bool lc_user_is_arrival(const struct lc_user *u) { return u->arrival; }

void lc_user_start_arrival(struct lc_user *u, int64_t lateness_us) {
  u->arrival = true;
  u->lateness_us = lateness_us > 0 ? lateness_us : 0;
  lc_user_start(u);
}

void lc_user_start(struct lc_user *u) {
  if (u->state != S_NEW) return;
  u->state = S_RUNNING;
  u->yielded = true;
  if (u->script) {
    begin_block(u, B_SCRIPT, u->script);
    run(u);
    return;
  }
  int rc = lc_user_rows_take_start(&u->rows, u->hooks.feeders, &u->rng);
  if (rc) {
    /* no row for this user: it never begins, so neither on_start nor on_stop runs */
    exhausted(u, rc);
    finish(u);
    return;
  }
  push_frame(u, &u->uc->root);
  begin_block(u, B_CLASS_ON_START, &u->uc->on_start);
  run(u);
}

void lc_user_wake(struct lc_user *u) {
  if (u->state == S_WAITING) {
    u->state = S_RUNNING;
    pick_next(u);
  } else if (u->state == S_SLEEPING) {
    u->state = S_RUNNING;
  } else {
    return;
  }
  run(u);
}

void lc_user_stop(struct lc_user *u, bool force) {
  switch (u->state) {
  case S_NEW: finish(u); return;
  case S_DONE: return;
  case S_WAITING:
  case S_SLEEPING:
    u->hooks.cancel_wake(u->hooks.w, u);
    if (u->stopping && force) {
      finish(u);
      return;
    }
    if (u->stopping) return;
    u->state = S_RUNNING;
    begin_stop_chain(u);
    run(u);
    return;
  case S_IN_REQUEST:
  case S_RUNNING:
    if (!force) {
      u->stop_requested = true;
      return;
    }
    if (u->state == S_IN_REQUEST) {
      u->hooks.cancel(u->hooks.w, u);
      u->req = NULL;
      lc_request_build_free(u->built);
      u->built = NULL;
    }
    if (u->stopping) {
      finish(u);
      return;
    }
    u->state = S_RUNNING;
    begin_stop_chain(u);
    run(u);
    return;
  }
}

uint64_t lc_user_id(const struct lc_user *u) { return u->id; }
const struct lc_user_class *lc_user_class(const struct lc_user *u) { return u->uc; }
uint64_t lc_user_iterations(const struct lc_user *u) { return u->iterations; }
bool lc_user_is_waiting(const struct lc_user *u) {
  return u->state == S_WAITING || u->state == S_SLEEPING;
}
bool lc_user_is_stopping(const struct lc_user *u) {
  return u->stop_requested || u->stopping || u->state == S_DONE;
}
struct lc_user_links *lc_user_links(struct lc_user *u) { return &u->links; }
