/* dispatch.c: Locust's UsersDispatcher and stages shape as state machines (see dispatch.h).
 * The class order reproduces UsersDispatcher._user_gen: a round of missing fixed_count users
 * whenever a removal (or a new class set) asks for one, else the weighted Kullback-Leibler
 * generator, which keeps its position across ramps as Locust's generator object does. */
#include "engine/dispatch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

#define NONE SIZE_MAX

struct dclass {
  const struct lc_user_class *uc;
  size_t index;      /* in the caller's array */
  uint32_t live;     /* running users of this class */
  bool active;       /* in the set new users are drawn from */
  uint64_t gen_n;    /* users the weighted generator has produced for it */
  uint64_t fx_w;     /* the current fixed round: users missing when it started (its weight) */
  uint64_t fx_n;     /* ... and produced so far */
};

struct entry {
  uint32_t cls;      /* index into d->cls */
  unsigned worker;
};

struct lc_dispatch {
  struct dclass *cls;       /* kept classes, sorted by name */
  size_t ncls;
  size_t *map;              /* caller's index -> index in cls, or NONE */
  size_t nall;
  unsigned nworkers;
  struct entry *stack;      /* running users in the order they were added */
  size_t len, cap;
  /* the user generator */
  bool try_fixed;           /* Locust's _try_dispatch_fixed: start a fixed round when next asked */
  uint64_t fixed_left;      /* users left in the current fixed round */
  /* the ramp */
  bool ramping;
  uint32_t target;
  uint32_t k;               /* users per step */
  double rate;
  int64_t start_us;
  uint64_t step;            /* index of the next step */
  int64_t next_us;
};

/* ---- the Kullback-Leibler generator (locust/dispatch.py _kl_generator) ---- */

/* Locust keeps a heap of (w * log2(x / (x + 1)), x + 1, w, name) with x = w + n for a class of
 * weight w that has produced n users, and yields the smallest tuple. The same doubles computed
 * in the same order give the same choices; names are unique, so the minimum is too. */
struct kl_key {
  double div, next, w;
  const char *name;
};

static struct kl_key kl_key(uint64_t w, uint64_t n, const char *name) {
  double x = (double)w + (double)n;
  struct kl_key k = {(double)w * log2(x / (x + 1.0)), x + 1.0, (double)w, name};
  return k;
}

static bool kl_less(const struct kl_key *a, const struct kl_key *b) {
  if (a->div != b->div) return a->div < b->div;
  if (a->next != b->next) return a->next < b->next;
  if (a->w != b->w) return a->w < b->w;
  return strcmp(a->name, b->name) < 0;
}

/* The class the weighted generator (fixed == false: active classes without fixed_count) or the
 * current fixed round (fixed == true: weights = missing counts) yields next, or NONE. */
static size_t kl_pick(const struct lc_dispatch *d, bool fixed) {
  size_t best = NONE;
  struct kl_key bk = {0, 0, 0, NULL};
  for (size_t i = 0; i < d->ncls; i++) {
    const struct dclass *c = &d->cls[i];
    uint64_t w, n;
    if (fixed) {
      w = c->fx_w, n = c->fx_n;
    } else {
      if (!c->active || c->uc->fixed_count) continue;
      w = c->uc->weight, n = c->gen_n;
    }
    if (w == 0) continue;
    struct kl_key k = kl_key(w, n, c->uc->name);
    if (best == NONE || kl_less(&k, &bk)) best = i, bk = k;
  }
  return best;
}

/* The class of the next user, or NONE when no class can give one (Locust's generator yields
 * None: every active class has a fixed_count and all of them are full). */
static size_t next_user(struct lc_dispatch *d) {
  for (;;) {
    if (d->fixed_left > 0) {
      size_t i = kl_pick(d, true);
      d->cls[i].fx_n++;
      d->fixed_left--;
      return i;
    }
    if (!d->try_fixed) break;
    /* A fixed round: every active fixed class's missing users, interleaved by the same
     * generator with the missing counts as weights. */
    d->try_fixed = false;
    for (size_t i = 0; i < d->ncls; i++) {
      struct dclass *c = &d->cls[i];
      uint32_t fixed = c->uc->fixed_count;
      c->fx_n = 0;
      c->fx_w = c->active && fixed > c->live ? fixed - c->live : 0;
      d->fixed_left += c->fx_w;
    }
  }
  size_t i = kl_pick(d, false);
  if (i != NONE) d->cls[i].gen_n++;
  return i;
}

/* ---- the dispatcher ---- */

static int by_name(const void *a, const void *b) {
  const struct dclass *x = a, *y = b;
  return strcmp(x->uc->name, y->uc->name);
}

int lc_dispatch_new(struct lc_dispatch **out, const struct lc_user_class *classes,
                    size_t nclasses, unsigned nworkers) {
  *out = NULL;
  if (nworkers == 0) return LC_EINVAL;
  struct lc_dispatch *d = lc_xcalloc(1, sizeof *d);
  d->cls = lc_xcalloc(nclasses ? nclasses : 1, sizeof *d->cls);
  d->map = lc_xmalloc((nclasses ? nclasses : 1) * sizeof *d->map);
  d->nall = nclasses;
  d->nworkers = nworkers;
  d->try_fixed = true;
  for (size_t i = 0; i < nclasses; i++) {
    d->map[i] = NONE;
    if (classes[i].weight == 0 && classes[i].fixed_count == 0) continue;
    struct dclass *c = &d->cls[d->ncls++];
    c->uc = &classes[i];
    c->index = i;
    c->active = true;
  }
  qsort(d->cls, d->ncls, sizeof *d->cls, by_name);
  int err = d->ncls == 0 ? LC_EINVAL : 0;
  for (size_t i = 0; i < d->ncls && !err; i++) {
    if (i > 0 && strcmp(d->cls[i - 1].uc->name, d->cls[i].uc->name) == 0) err = LC_EINVAL;
    d->map[d->cls[i].index] = i;
  }
  if (err) {
    lc_dispatch_free(d);
    return err;
  }
  *out = d;
  return 0;
}

void lc_dispatch_free(struct lc_dispatch *d) {
  if (!d) return;
  free(d->stack);
  free(d->map);
  free(d->cls);
  free(d);
}

/* Marks the classes of `only` active in `mask` (d->ncls entries). */
static int resolve_only(const struct lc_dispatch *d, const struct lc_strs *only, bool *mask) {
  bool all = !only || only->n == 0;
  for (size_t i = 0; i < d->ncls; i++) mask[i] = all;
  if (all) return 0;
  for (size_t j = 0; j < only->n; j++) {
    size_t i = 0;
    while (i < d->ncls && strcmp(d->cls[i].uc->name, only->items[j]) != 0) i++;
    if (i == d->ncls) return LC_ENOENT;
    mask[i] = true;
  }
  return 0;
}

/* The due time of step `step` of the current ramp, saturating far in the future. */
static int64_t due_at(const struct lc_dispatch *d, uint64_t step) {
  double off = (double)step * (double)d->k * 1e6 / d->rate;
  if (!(off < 0x1.0p62) || d->start_us > INT64_MAX - (int64_t)llround(off)) return INT64_MAX;
  return d->start_us + (int64_t)llround(off);
}

int lc_dispatch_set_target(struct lc_dispatch *d, uint32_t users, double rate,
                           const struct lc_strs *only, int64_t now_us) {
  if (!(rate > 0) || !isfinite(rate)) return LC_EINVAL;
  double k = floor(rate);
  if (k < 1) k = 1;
  if (k > UINT32_MAX) k = UINT32_MAX;  /* one step covers any target anyway */
  if (!(k * 1e6 / rate <= (double)LC_DISPATCH_MAX_INTERVAL_US)) return LC_EINVAL;

  bool *mask = lc_xmalloc(d->ncls * sizeof *mask);
  int err = resolve_only(d, only, mask);
  if (err) {
    free(mask);
    return err;
  }
  bool changed = false;
  for (size_t i = 0; i < d->ncls; i++) changed |= mask[i] != d->cls[i].active;
  if (changed) {
    /* Locust: a different class list gets a fresh user generator. Locust leaves
     * _try_dispatch_fixed as it was, which never spawns the fixed users of a newly listed
     * class (nor the rest of an interrupted fixed round) until some user is removed; loadc
     * starts a fixed round instead, so they are spawned first, as at the start of a test. */
    for (size_t i = 0; i < d->ncls; i++) {
      d->cls[i].active = mask[i];
      d->cls[i].gen_n = 0;
    }
    d->fixed_left = 0;
    d->try_fixed = true;
  }
  free(mask);

  d->ramping = true;
  d->target = users;
  d->rate = rate;
  d->k = (uint32_t)k;
  d->start_us = now_us;
  d->step = 0;
  d->next_us = now_us;
  return 0;
}

int64_t lc_dispatch_next_event_us(const struct lc_dispatch *d) {
  return d->ramping ? d->next_us : LC_DISPATCH_IDLE;
}

static void push(struct lc_dispatch *d, size_t ci, lc_dispatch_cb cb, void *arg) {
  if (d->len == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 64;
    d->stack = lc_xrealloc(d->stack, d->cap * sizeof *d->stack);
  }
  /* Round robin by position: the i-th running user is on worker i mod N, so ramp-down (which
   * removes from the end) keeps the workers within one user of each other. */
  unsigned worker = (unsigned)(d->len % d->nworkers);
  d->stack[d->len].cls = (uint32_t)ci;
  d->stack[d->len].worker = worker;
  d->len++;
  d->cls[ci].live++;
  if (cb) cb(arg, LC_DISPATCH_SPAWN, d->cls[ci].index, worker);
}

static void pop(struct lc_dispatch *d, lc_dispatch_cb cb, void *arg) {
  struct entry e = d->stack[--d->len];
  d->cls[e.cls].live--;
  d->try_fixed = true;  /* Locust: a removal may have left a fixed class short */
  if (cb) cb(arg, LC_DISPATCH_STOP, d->cls[e.cls].index, e.worker);
}

/* One dispatch iteration (Locust's _add_users_on_workers / _remove_users_from_workers).
 * Returns true when the ramp is over. */
static bool one_step(struct lc_dispatch *d, lc_dispatch_cb cb, void *arg) {
  uint64_t count = d->len;
  if (count < d->target) {
    uint64_t goal = count + d->k < d->target ? count + d->k : d->target;
    while (d->len < goal) {
      size_t ci = next_user(d);
      if (ci == NONE) return true;  /* Locust's _no_user_to_spawn: the dispatch stops */
      push(d, ci, cb, arg);
    }
    return d->len >= d->target;
  }
  if (count > d->target) {
    uint64_t goal = count - d->target > d->k ? count - d->k : d->target;
    while (d->len > goal) pop(d, cb, arg);
    return d->len <= d->target;
  }
  return true;
}

int lc_dispatch_step(struct lc_dispatch *d, int64_t now_us, lc_dispatch_cb cb, void *arg) {
  while (d->ramping && d->next_us <= now_us) {
    if (one_step(d, cb, arg)) {
      d->ramping = false;
      return 1;
    }
    d->next_us = due_at(d, ++d->step);
  }
  return 0;
}

void lc_dispatch_stop_all(struct lc_dispatch *d, lc_dispatch_cb cb, void *arg) {
  d->ramping = false;
  d->target = 0;
  while (d->len > 0) pop(d, cb, arg);
}

bool lc_dispatch_ramping(const struct lc_dispatch *d) { return d->ramping; }
uint32_t lc_dispatch_target(const struct lc_dispatch *d) { return d->target; }
uint32_t lc_dispatch_user_count(const struct lc_dispatch *d) { return (uint32_t)d->len; }

uint32_t lc_dispatch_class_count(const struct lc_dispatch *d, size_t class_index) {
  if (class_index >= d->nall || d->map[class_index] == NONE) return 0;
  return d->cls[d->map[class_index]].live;
}

uint32_t lc_dispatch_worker_count(const struct lc_dispatch *d, unsigned worker) {
  if (worker >= d->nworkers) return 0;
  return (uint32_t)(d->len / d->nworkers + (worker < d->len % d->nworkers ? 1 : 0));
}

int lc_dispatch_user_at(const struct lc_dispatch *d, size_t i, size_t *class_index,
                        unsigned *worker) {
  if (i >= d->len) return LC_EINVAL;
  *class_index = d->cls[d->stack[i].cls].index;
  *worker = d->stack[i].worker;
  return 0;
}

/* ---- stages ---- */

void lc_shape_init(struct lc_shape *s, const struct lc_stage *stages, size_t n) {
  s->stages = stages;
  s->n = n;
  s->last = NULL;
  s->ended = false;
}

size_t lc_shape_stage_at(const struct lc_stage *stages, size_t n, int64_t elapsed_us) {
  int64_t end = 0;
  for (size_t i = 0; i < n; i++) {
    end = stages[i].duration_us > INT64_MAX - end ? INT64_MAX : end + stages[i].duration_us;
    if (elapsed_us < end) return i;
  }
  return n;
}

int64_t lc_shape_duration_us(const struct lc_shape *s) {
  int64_t end = 0;
  for (size_t i = 0; i < s->n; i++)
    end = s->stages[i].duration_us > INT64_MAX - end ? INT64_MAX : end + s->stages[i].duration_us;
  return end;
}

int64_t lc_shape_next_change_us(const struct lc_shape *s, int64_t elapsed_us) {
  int64_t end = 0;
  for (size_t i = 0; i < s->n; i++) {
    end = s->stages[i].duration_us > INT64_MAX - end ? INT64_MAX : end + s->stages[i].duration_us;
    if (elapsed_us < end) return end;
  }
  return -1;
}

static bool same_classes(const struct lc_strs *a, const struct lc_strs *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->items[i], b->items[i]) != 0) return false;
  return true;
}

/* Locust compares the tick tuples with ==: the user count, the rate and the class list (in its
 * order) must all be equal. */
static bool same_tuple(const struct lc_stage *a, const struct lc_stage *b) {
  return a->users == b->users && a->spawn_rate == b->spawn_rate &&
         same_classes(&a->user_classes, &b->user_classes);
}

enum lc_shape_tick lc_shape_tick(struct lc_shape *s, int64_t elapsed_us,
                                 const struct lc_stage **stage) {
  if (s->ended) return LC_SHAPE_END;
  size_t i = lc_shape_stage_at(s->stages, s->n, elapsed_us);
  if (i == s->n) {
    s->ended = true;
    return LC_SHAPE_END;
  }
  const struct lc_stage *st = &s->stages[i];
  if (s->last && same_tuple(s->last, st)) return LC_SHAPE_SAME;
  s->last = st;
  *stage = st;
  return LC_SHAPE_START;
}
