/* scenario.c: option lists and compilation shared by the commands that read scenarios. */
#include "cmd/scenario.h"

#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

void lc_strv_push(char ***v, size_t *n, const char *s) {
  *v = lc_xrealloc(*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = lc_xstrdup(s);
  (*v)[*n] = NULL;
}

char **lc_split_list(const char *s) {
  char **v = NULL;
  size_t n = 0;
  while (*s) {
    const char *end = strchr(s, ',');
    if (!end) end = s + strlen(s);
    const char *a = s, *b = end;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    if (b > a) {
      char *word = lc_xstrndup(a, (size_t)(b - a));
      lc_strv_push(&v, &n, word);
      free(word);
    }
    s = *end ? end + 1 : end;
  }
  return v;
}

void lc_strv_free(char **v) {
  if (!v) return;
  for (size_t i = 0; v[i]; i++) free(v[i]);
  free(v);
}

void lc_scenario_opts_release(struct lc_scenario_opts *o) {
  lc_strv_free(o->tags);
  lc_strv_free(o->exclude_tags);
  lc_strv_free(o->sets);
  memset(o, 0, sizeof *o);
}

bool lc_scenario_opts_take(struct lc_scenario_opts *o, int id, const char *value) {
  switch (id) {
  case LC_OPT_TAGS:
    lc_strv_free(o->tags);
    o->tags = lc_split_list(value);
    return true;
  case LC_OPT_EXCLUDE_TAGS:
    lc_strv_free(o->exclude_tags);
    o->exclude_tags = lc_split_list(value);
    return true;
  case LC_OPT_SET: lc_strv_push(&o->sets, &o->nsets, value); return true;
  default: return false;
  }
}

struct lc_plan *lc_scenario_compile(const char *path, const struct lc_scenario_opts *o,
                                    struct lc_diags *d) {
  struct lc_compile_opts co;
  memset(&co, 0, sizeof co);
  co.tags = (const char *const *)o->tags;
  co.exclude_tags = (const char *const *)o->exclude_tags;
  co.sets = (const char *const *)o->sets;
  return lc_compile_file(path, &co, d);
}
