/* redact.c: see redact.h. */
#include "engine/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/base/base.h"

#define MIN_SECRET 3

struct lc_redactor {
  char **secrets;  /* longest first, so that a secret containing another goes whole */
  size_t n;
};

static int longer_first(const void *a, const void *b) {
  size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
  return la < lb ? 1 : la > lb ? -1 : 0;
}

struct lc_redactor *lc_redactor_new(const struct lc_plan *plan) {
  struct lc_redactor *r = NULL;
  for (size_t i = 0; i < plan->nvariables; i++) {
    const struct lc_variable *v = &plan->variables[i];
    if (!v->secret) continue;
    char num[64];
    const char *text = NULL;
    size_t len = 0;
    if (v->value.kind == LC_VALUE_STRING) {
      text = v->value.str;
      len = v->value.len;
    } else if (v->value.kind == LC_VALUE_NUMBER) {
      len = (size_t)snprintf(num, sizeof num, "%.17g", v->value.number);
      text = num;
    }
    if (!text || len < MIN_SECRET || memchr(text, '\0', len)) continue;
    if (!r) r = lc_xcalloc(1, sizeof *r);
    r->secrets = lc_xrealloc(r->secrets, (r->n + 1) * sizeof *r->secrets);
    char *copy = lc_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    r->secrets[r->n++] = copy;
  }
  if (r) qsort(r->secrets, r->n, sizeof *r->secrets, longer_first);
  return r;
}

void lc_redactor_free(struct lc_redactor *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) free(r->secrets[i]);
  free(r->secrets);
  free(r);
}

bool lc_redact(const struct lc_redactor *r, char *s) {
  if (!r || !s) return false;
  bool changed = false;
  size_t mark = strlen(LC_REDACTED);
  for (size_t i = 0; i < r->n; i++) {
    const char *secret = r->secrets[i];
    size_t len = strlen(secret);
    char *p = s;
    while ((p = strstr(p, secret))) {
      memcpy(p, LC_REDACTED, mark);
      memmove(p + mark, p + len, strlen(p + len) + 1);
      p += mark;
      changed = true;
    }
  }
  return changed;
}

bool lc_redact_header_is_sensitive(const char *name) {
  static const char *const names[] = {"authorization", "proxy-authorization", "cookie",
                                      "set-cookie"};
  for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
    if (strcasecmp(name, names[i]) == 0) return true;
  return false;
}
