/* vars.h: a user's variables (what captures, `set:` and loops' `as:` write), and the read-only
 * views expressions also read: the globals (`vars.NAME`) and the user's current feeder rows
 * (`data.FEEDER.COLUMN`). A user holds a handful of variables, so the map is a small array
 * searched linearly, one allocation per variable (its name and string value share it, and the
 * block is reused while a new value fits): a user costs a few hundred bytes plus its values. */
#ifndef LC_ENGINE_VARS_H
#define LC_ENGINE_VARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/plan.h"
#include "engine/value.h"

struct lc_var_entry; /* vars.c */

/* Embed it in the user; lc_vars_init before use, lc_vars_release at the end. */
struct lc_vars {
  struct lc_var_entry *items;
  uint32_t n, cap;
};

void lc_vars_init(struct lc_vars *v);
/* Frees every variable and the array. */
void lc_vars_release(struct lc_vars *v);
/* Removes every variable; keeps the array for reuse. */
void lc_vars_clear(struct lc_vars *v);

/* Sets name (copied) to a deep copy of *val: strings are copied into the map's own storage,
 * lists copied item by item, JSON values referenced (json_incref). val may be borrowed, even
 * from this map (`ids = ids[0]`, or another variable's value): the copy is made before the old
 * value is released. */
void lc_vars_set(struct lc_vars *v, const char *name, const struct lc_val *val);
/* Shorthands: a string (copied; s may point into this map), a number, a JSON value (j is
 * referenced, not stolen: the caller keeps its own reference). */
void lc_vars_set_string(struct lc_vars *v, const char *name, const char *s, size_t len);
void lc_vars_set_number(struct lc_vars *v, const char *name, double d);
void lc_vars_set_json(struct lc_vars *v, const char *name, json_t *j);
/* Moves an owned value in (a list a capture built): the map takes what *val owns and *val
 * becomes null. A borrowed *val is copied as by lc_vars_set. */
void lc_vars_take(struct lc_vars *v, const char *name, struct lc_val *val);
/* Removes name. Returns 0 or LC_ENOENT. */
int lc_vars_unset(struct lc_vars *v, const char *name);

/* The value of name, or NULL. The pointer and what it points at belong to the map, and stay
 * valid until the map next changes (any set, take, unset, clear or release). */
const struct lc_val *lc_vars_get(const struct lc_vars *v, const char *name);
/* Iteration, for logs and tests: the number of variables, and the name and value of the i-th
 * (in the order they were first set, until an unset moves the last one into the hole). */
size_t lc_vars_count(const struct lc_vars *v);
const char *lc_vars_name(const struct lc_vars *v, size_t i);
const struct lc_val *lc_vars_value(const struct lc_vars *v, size_t i);

/* The globals, read as vars.NAME: the plan's `variables:` (literals after load, --set applied)
 * and the globals captured in `setup:` (a map filled once by the setup run and read-only after
 * it; NULL when there was no setup). Both are borrowed. */
struct lc_globals {
  const struct lc_variable *plan_vars;
  size_t nplan_vars;
  const struct lc_vars *captured;
};
/* Looks name up, in captured first, then in the plan's variables. Sets *out to a borrowed view
 * (valid as long as the plan and the captured map) and returns 0, or returns LC_ENOENT. */
int lc_globals_get(const struct lc_globals *g, const char *name, struct lc_val *out);

/* The user's current row of a feeder, for data.FEEDER.COLUMN: returns the column's bytes and
 * sets *len, or returns NULL when the feeder or column is unknown or the user holds no row of
 * that feeder. The bytes must stay valid until the user takes another row (feeder files are
 * read once and shared, so the feeder module can point into them). */
typedef const char *(*lc_row_value_cb)(void *ctx, const char *feeder, const char *column,
                                       size_t *len);

#endif
