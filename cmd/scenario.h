/* scenario.h: what the commands that read scenarios share (check, graph, run): the options that
 * shape compilation (--tags, --exclude-tags, --set) and loading + compiling with diagnostics. */
#ifndef LC_CMD_SCENARIO_H
#define LC_CMD_SCENARIO_H

#include <stdbool.h>
#include <stdio.h>

#include "config/compile.h"
#include "config/diag.h"

struct lc_scenario_opts {
  char **tags;          /* NULL-terminated lists (NULL: no filter), owned */
  char **exclude_tags;
  char **sets;
  size_t nsets;
};

/* Option ids of --tags, --exclude-tags and --set in every command that reads scenarios (each
 * command's table gives them its own help text). */
enum { LC_OPT_TAGS = 900, LC_OPT_EXCLUDE_TAGS, LC_OPT_SET };

/* Takes the value of one of those options into o; false when id is none of them. */
bool lc_scenario_opts_take(struct lc_scenario_opts *o, int id, const char *value);

/* Splits "a,b , c" into a NULL-terminated list of trimmed, non-empty words (owned by the
 * caller, free with lc_strv_free). Returns NULL when there is no word. */
char **lc_split_list(const char *s);
void lc_strv_free(char **v);
/* Appends a copy of s to the list *v of *n items. */
void lc_strv_push(char ***v, size_t *n, const char *s);
void lc_scenario_opts_release(struct lc_scenario_opts *o);

/* Loads and compiles path with o; diagnostics go to d. NULL when invalid. */
struct lc_plan *lc_scenario_compile(const char *path, const struct lc_scenario_opts *o,
                                    struct lc_diags *d);

#endif
