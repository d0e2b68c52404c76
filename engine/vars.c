/* vars.c: a user's variables as a small array searched linearly (see vars.h). Each entry owns
 * one block holding its name and, for a string value, the string, so that the common case (a
 * captured token or id replaced on every iteration) reuses the block without allocating. */
#include "engine/vars.h"

#include <stdlib.h>
#include <string.h>

struct lc_var_entry {
  char *mem;         /* name '\0', then a string value's bytes and '\0' */
  size_t name_len;
  size_t cap;        /* bytes allocated at mem */
  struct lc_val val; /* a string points into mem (not owned); lists and JSON are owned */
};

/* A block much larger than its string is given back rather than kept for ever. */
enum { SHRINK_ABOVE = 4096 };

void lc_vars_init(struct lc_vars *v) {
  v->items = NULL;
  v->n = v->cap = 0;
}

static void entry_free(struct lc_var_entry *e) {
  lc_val_release(&e->val);
  free(e->mem);
}

void lc_vars_clear(struct lc_vars *v) {
  for (uint32_t i = 0; i < v->n; i++) entry_free(&v->items[i]);
  v->n = 0;
}

void lc_vars_release(struct lc_vars *v) {
  lc_vars_clear(v);
  free(v->items);
  lc_vars_init(v);
}

static struct lc_var_entry *find(const struct lc_vars *v, const char *name) {
  for (uint32_t i = 0; i < v->n; i++)
    if (strcmp(v->items[i].mem, name) == 0) return &v->items[i];
  return NULL;
}

static struct lc_var_entry *find_or_add(struct lc_vars *v, const char *name) {
  struct lc_var_entry *e = find(v, name);
  if (e) return e;
  if (v->n == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 4;
    v->items = lc_xrealloc(v->items, v->cap * sizeof *v->items);
  }
  e = &v->items[v->n++];
  e->name_len = strlen(name);
  e->cap = e->name_len + 1;
  e->mem = lc_xstrndup(name, e->name_len);
  e->val = lc_val_null();
  return e;
}

/* Stores a string in e's block; s may point into that block (memmove), or into e's old list. */
static void put_string(struct lc_var_entry *e, const char *s, size_t len) {
  size_t need = e->name_len + 1 + len + 1;
  char *mem = e->mem;
  if (need > e->cap || (e->cap > SHRINK_ABOVE && need < e->cap / 4)) {
    mem = lc_xmalloc(need);
    memcpy(mem, e->mem, e->name_len + 1);
    if (len) memcpy(mem + e->name_len + 1, s, len);
  } else if (len) {
    memmove(mem + e->name_len + 1, s, len);
  }
  mem[e->name_len + 1 + len] = '\0';
  lc_val_release(&e->val); /* after the copy: s may have been inside the old value */
  if (mem != e->mem) {
    free(e->mem);
    e->mem = mem;
    e->cap = need;
  }
  e->val = lc_val_str(mem + e->name_len + 1, len);
}

/* Gives back the room of an old string when it was large. */
static void drop_string_room(struct lc_var_entry *e) {
  if (e->cap > SHRINK_ABOVE) {
    e->mem = lc_xrealloc(e->mem, e->name_len + 1);
    e->cap = e->name_len + 1;
  }
}

void lc_vars_set(struct lc_vars *v, const char *name, const struct lc_val *val) {
  struct lc_val src = *val; /* val may point into the array, which find_or_add may move */
  struct lc_var_entry *e = find_or_add(v, name);
  if (src.kind == LC_VAL_STR) {
    put_string(e, src.u.str.s, src.u.str.len);
    return;
  }
  struct lc_val copy;
  lc_val_copy(&copy, &src);
  lc_val_release(&e->val);
  e->val = copy;
  drop_string_room(e);
}

void lc_vars_set_string(struct lc_vars *v, const char *name, const char *s, size_t len) {
  struct lc_val x = lc_val_str(s, len);
  lc_vars_set(v, name, &x);
}

void lc_vars_set_number(struct lc_vars *v, const char *name, double d) {
  struct lc_val x = lc_val_num(d);
  lc_vars_set(v, name, &x);
}

void lc_vars_set_json(struct lc_vars *v, const char *name, json_t *j) {
  struct lc_val x = lc_val_json(j);
  lc_vars_set(v, name, &x);
}

void lc_vars_take(struct lc_vars *v, const char *name, struct lc_val *val) {
  if (!val->owned || val->kind == LC_VAL_STR) {
    lc_vars_set(v, name, val);
    lc_val_release(val);
    return;
  }
  struct lc_var_entry *e = find_or_add(v, name);
  lc_val_release(&e->val);
  e->val = *val;
  *val = lc_val_null();
  drop_string_room(e);
}

int lc_vars_unset(struct lc_vars *v, const char *name) {
  struct lc_var_entry *e = find(v, name);
  if (!e) return LC_ENOENT;
  entry_free(e);
  *e = v->items[--v->n];
  return 0;
}

const struct lc_val *lc_vars_get(const struct lc_vars *v, const char *name) {
  const struct lc_var_entry *e = find(v, name);
  return e ? &e->val : NULL;
}

size_t lc_vars_count(const struct lc_vars *v) { return v->n; }

const char *lc_vars_name(const struct lc_vars *v, size_t i) {
  return i < v->n ? v->items[i].mem : NULL;
}

const struct lc_val *lc_vars_value(const struct lc_vars *v, size_t i) {
  return i < v->n ? &v->items[i].val : NULL;
}

int lc_globals_get(const struct lc_globals *g, const char *name, struct lc_val *out) {
  *out = lc_val_null();
  const struct lc_val *c = g->captured ? lc_vars_get(g->captured, name) : NULL;
  if (c) {
    *out = *c;
    out->owned = false;
    return 0;
  }
  for (size_t i = 0; i < g->nplan_vars; i++) {
    const struct lc_variable *pv = &g->plan_vars[i];
    if (strcmp(pv->name, name) != 0) continue;
    switch (pv->value.kind) {
    case LC_VALUE_NULL: break;
    case LC_VALUE_BOOL: *out = lc_val_bool(pv->value.boolean); break;
    case LC_VALUE_NUMBER: *out = lc_val_num(pv->value.number); break;
    case LC_VALUE_STRING: *out = lc_val_str(pv->value.str, pv->value.len); break;
    }
    return 0;
  }
  return LC_ENOENT;
}
