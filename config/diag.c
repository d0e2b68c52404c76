/* diag.c: the diagnostics collector and its three printers (see diag.h). Files and their
 * source text are interned once; diagnostics point at the interned names. */
#include "config/diag.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/source.h"

struct file {
  char *name;
  struct lc_source src;
  bool has_src;
};

struct item {
  struct lc_diag pub;
  size_t file;  /* index into files, or SIZE_MAX */
  size_t group; /* index of the error or warning a note belongs to (itself otherwise) */
  bool last;    /* the "too many errors" line */
};

struct lc_diags {
  struct file *files;
  size_t nfiles;
  struct item *items;
  size_t n, cap;
  size_t max_errors;
  size_t errors, warnings;
  size_t kept_errors, kept_warnings;
  bool full;
  bool dropping; /* the last error or warning was dropped: drop its notes too */
};

struct lc_diags *lc_diags_new(size_t max_errors) {
  struct lc_diags *d = lc_xcalloc(1, sizeof *d);
  d->max_errors = max_errors ? max_errors : LC_DIAGS_MAX_ERRORS;
  return d;
}

void lc_diags_free(struct lc_diags *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n; i++) {
    free((char *)d->items[i].pub.message);
    free((char *)d->items[i].pub.hint);
  }
  for (size_t i = 0; i < d->nfiles; i++) {
    free(d->files[i].name);
    if (d->files[i].has_src) lc_source_release(&d->files[i].src);
  }
  free(d->items);
  free(d->files);
  free(d);
}

static size_t intern(struct lc_diags *d, const char *name) {
  for (size_t i = 0; i < d->nfiles; i++)
    if (strcmp(d->files[i].name, name) == 0) return i;
  d->files = lc_xrealloc(d->files, (d->nfiles + 1) * sizeof *d->files);
  struct file *f = &d->files[d->nfiles];
  memset(f, 0, sizeof *f);
  f->name = lc_xstrdup(name);
  return d->nfiles++;
}

void lc_diags_set_source(struct lc_diags *d, const char *file, const char *text, size_t len) {
  if (!d || !file) return;
  size_t i = intern(d, file); /* may move d->files */
  struct file *f = &d->files[i];
  if (f->has_src) lc_source_release(&f->src);
  lc_source_init(&f->src, file, text, len);
  f->has_src = true;
}

static char *vformat(const char *fmt, va_list ap) LC_PRINTF(1, 0);
static char *vformat(const char *fmt, va_list ap) {
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n < 0) return lc_xstrdup(fmt);
  char *s = lc_xmalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

static bool same_str(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

static bool is_repeat(const struct lc_diags *d, const struct item *it) {
  for (size_t i = 0; i < d->n; i++) {
    const struct item *o = &d->items[i];
    if (o->pub.severity == LC_SEV_NOTE || o->last) continue;
    if (o->file == it->file && o->pub.line == it->pub.line && o->pub.column == it->pub.column &&
        o->pub.severity == it->pub.severity && same_str(o->pub.message, it->pub.message) &&
        same_str(o->pub.hint, it->pub.hint))
      return true;
  }
  return false;
}

static void push(struct lc_diags *d, struct item *it) {
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 16;
    d->items = lc_xrealloc(d->items, d->cap * sizeof *d->items);
  }
  d->items[d->n++] = *it;
}

static void drop(struct item *it) {
  free((char *)it->pub.message);
  free((char *)it->pub.hint);
}

void lc_diags_vadd(struct lc_diags *d, enum lc_severity sev, const struct lc_mark *at,
                   const char *hint, const char *fmt, va_list ap) {
  if (!d) return;
  if (sev == LC_SEV_ERROR) d->errors++;
  if (sev == LC_SEV_WARNING) d->warnings++;
  if (d->full || (sev == LC_SEV_NOTE && (d->dropping || d->n == 0))) return;

  struct item it;
  memset(&it, 0, sizeof it);
  it.file = SIZE_MAX;
  if (at && at->file) {
    it.file = intern(d, at->file);
    it.pub.line = at->line;
    it.pub.column = at->line ? at->column : 0;
  }
  it.pub.severity = sev;
  it.pub.message = vformat(fmt, ap);
  it.pub.hint = hint ? lc_xstrdup(hint) : NULL;

  if (sev == LC_SEV_NOTE) {
    it.group = d->items[d->n - 1].group;
    push(d, &it);
    return;
  }
  d->dropping = true;
  if (is_repeat(d, &it)) {
    if (sev == LC_SEV_ERROR) d->errors--;
    else d->warnings--;
    drop(&it);
    return;
  }
  if (sev == LC_SEV_WARNING && d->kept_warnings >= d->max_errors) {
    drop(&it);
    return;
  }
  if (sev == LC_SEV_ERROR && d->kept_errors >= d->max_errors) {
    drop(&it);
    memset(&it, 0, sizeof it);
    it.file = SIZE_MAX;
    it.pub.severity = LC_SEV_ERROR;
    it.pub.message = lc_xasprintf("too many errors (more than %zu), stopping here",
                                  d->max_errors);
    it.last = true;
    it.group = d->n;
    push(d, &it);
    d->full = true;
    return;
  }
  d->dropping = false;
  if (sev == LC_SEV_ERROR) d->kept_errors++;
  else d->kept_warnings++;
  it.group = d->n;
  push(d, &it);
}

void lc_diags_add(struct lc_diags *d, enum lc_severity sev, const struct lc_mark *at,
                  const char *hint, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lc_diags_vadd(d, sev, at, hint, fmt, ap);
  va_end(ap);
}

void lc_diag_error(struct lc_diags *d, const struct lc_mark *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lc_diags_vadd(d, LC_SEV_ERROR, at, NULL, fmt, ap);
  va_end(ap);
}

void lc_diag_warning(struct lc_diags *d, const struct lc_mark *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lc_diags_vadd(d, LC_SEV_WARNING, at, NULL, fmt, ap);
  va_end(ap);
}

void lc_diag_note(struct lc_diags *d, const struct lc_mark *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lc_diags_vadd(d, LC_SEV_NOTE, at, NULL, fmt, ap);
  va_end(ap);
}

size_t lc_diags_count(const struct lc_diags *d) { return d ? d->n : 0; }

const struct lc_diag *lc_diags_get(const struct lc_diags *d, size_t i) {
  if (!d || i >= d->n) return NULL;
  struct item *it = &d->items[i];
  it->pub.file = it->file == SIZE_MAX ? NULL : d->files[it->file].name;
  return &it->pub;
}

size_t lc_diags_errors(const struct lc_diags *d) { return d ? d->errors : 0; }
size_t lc_diags_warnings(const struct lc_diags *d) { return d ? d->warnings : 0; }
bool lc_diags_full(const struct lc_diags *d) { return d && d->full; }

/* Sorting works on the group leaders (an error or warning); its notes follow it. The keys are
 * copied beside each leader because qsort passes no context to the comparison. */
struct sort_key {
  bool last;
  size_t file, line, column, index;
};

static int cmp_key(const void *pa, const void *pb) {
  const struct sort_key *a = pa, *b = pb;
  if (a->last != b->last) return a->last ? 1 : -1;
  if (a->file != b->file) return a->file < b->file ? -1 : 1;
  if (a->line != b->line) return a->line < b->line ? -1 : 1;
  if (a->column != b->column) return a->column < b->column ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

void lc_diags_sort(struct lc_diags *d) {
  if (!d || d->n < 2) return;
  struct sort_key *keys = lc_xmalloc(d->n * sizeof *keys);
  size_t nk = 0;
  for (size_t i = 0; i < d->n; i++) {
    const struct item *it = &d->items[i];
    if (it->group != i) continue;
    keys[nk++] = (struct sort_key){it->last, it->file, it->pub.line, it->pub.column, i};
  }
  qsort(keys, nk, sizeof *keys, cmp_key);
  struct item *out = lc_xmalloc(d->n * sizeof *out);
  size_t k = 0;
  for (size_t g = 0; g < nk; g++) {
    size_t lead = keys[g].index, first = k;
    for (size_t i = lead; i < d->n && d->items[i].group == lead; i++) {
      out[k] = d->items[i];
      out[k].group = first;
      k++;
    }
  }
  free(d->items);
  free(keys);
  d->items = out;
  d->cap = d->n;
}

static const char *sev_name(enum lc_severity s) {
  return s == LC_SEV_ERROR ? "error" : s == LC_SEV_WARNING ? "warning" : "note";
}

/* The source line, control characters shown as '?' so a line cannot drive the terminal,
 * then the caret line: a tab where the line has a tab, so the caret lines up. */
static void print_source(FILE *out, const struct lc_source *src, uint32_t line, uint32_t col) {
  const char *p;
  size_t len;
  if (lc_source_line(src, line, &p, &len) != 0) return;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, out);
  }
  fputc('\n', out);
  if (col == 0) return;
  size_t chars = 0;
  for (size_t i = 0; i < len && chars + 1 < col; i++) {
    if (((unsigned char)p[i] & 0xC0) == 0x80) continue;
    fputc(p[i] == '\t' ? '\t' : ' ', out);
    chars++;
  }
  for (; chars + 1 < col; chars++) fputc(' ', out);
  fputs("^\n", out);
}

static void print_text(const struct lc_diags *d, FILE *out) {
  for (size_t i = 0; i < d->n; i++) {
    const struct item *it = &d->items[i];
    const struct file *f = it->file == SIZE_MAX ? NULL : &d->files[it->file];
    if (f) {
      fputs(f->name, out);
      if (it->pub.line) fprintf(out, ":%u", (unsigned)it->pub.line);
      if (it->pub.line && it->pub.column) fprintf(out, ":%u", (unsigned)it->pub.column);
      fputs(": ", out);
    }
    fprintf(out, "%s: %s", sev_name(it->pub.severity), it->pub.message);
    if (it->pub.hint) fprintf(out, " (did you mean '%s'?)", it->pub.hint);
    fputc('\n', out);
    if (f && f->has_src && it->pub.line) print_source(out, &f->src, it->pub.line, it->pub.column);
  }
}

static char *full_message(const struct item *it) {
  if (!it->pub.hint) return lc_xstrdup(it->pub.message);
  return lc_xasprintf("%s (did you mean '%s'?)", it->pub.message, it->pub.hint);
}

/* A copy of s with each byte that is not part of valid UTF-8 replaced by '?', since JSON
 * strings must be Unicode (file names and scalar values may hold anything). */
static char *valid_utf8(const char *s) {
  size_t n = strlen(s);
  char *o = lc_xstrndup(s, n);
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t len = u[i] < 0x80 ? 1 : (u[i] & 0xE0) == 0xC0 && u[i] >= 0xC2 ? 2
                 : (u[i] & 0xF0) == 0xE0 ? 3 : (u[i] & 0xF8) == 0xF0 && u[i] <= 0xF4 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; k++) ok = (u[i + k] & 0xC0) == 0x80;
    if (ok && len == 3) {
      unsigned cp = ((u[i] & 0x0Fu) << 12) | ((u[i + 1] & 0x3Fu) << 6);
      ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok && len == 4) {
      unsigned cp = ((u[i] & 0x07u) << 18) | ((u[i + 1] & 0x3Fu) << 12);
      ok = cp >= 0x10000 && cp <= 0x10FFFF;
    }
    if (!ok) {
      o[i++] = '?';
      continue;
    }
    i += len;
  }
  return o;
}

static json_t *json_text(const char *s) {
  char *v = valid_utf8(s);
  json_t *j = json_string(v);
  free(v);
  return j ? j : json_string("?");
}

static int print_json(const struct lc_diags *d, FILE *out) {
  json_t *arr = json_array();
  for (size_t i = 0; i < d->n; i++) {
    const struct item *it = &d->items[i];
    json_t *o = json_object();
    json_object_set_new(o, "file",
                        it->file == SIZE_MAX ? json_null() : json_text(d->files[it->file].name));
    json_object_set_new(o, "line", json_integer(it->pub.line));
    json_object_set_new(o, "column", json_integer(it->pub.column));
    json_object_set_new(o, "severity", json_string(sev_name(it->pub.severity)));
    char *msg = full_message(it);
    json_object_set_new(o, "message", json_text(msg));
    free(msg);
    if (it->pub.hint) json_object_set_new(o, "suggestion", json_text(it->pub.hint));
    json_array_append_new(arr, o);
  }
  int rc = json_dumpf(arr, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
  json_decref(arr);
  fputc('\n', out);
  return rc == 0 ? 0 : LC_EIO;
}

/* GitHub's workflow commands: data escapes % CR LF; property values also : and ,. */
static void gh_escape(FILE *out, const char *s, bool property) {
  for (; *s; s++) {
    switch (*s) {
    case '%': fputs("%25", out); break;
    case '\r': fputs("%0D", out); break;
    case '\n': fputs("%0A", out); break;
    case ':': if (property) fputs("%3A", out); else fputc(':', out); break;
    case ',': if (property) fputs("%2C", out); else fputc(',', out); break;
    default: fputc(*s, out);
    }
  }
}

static void print_github(const struct lc_diags *d, FILE *out) {
  for (size_t i = 0; i < d->n; i++) {
    const struct item *it = &d->items[i];
    const char *cmd = it->pub.severity == LC_SEV_ERROR     ? "error"
                      : it->pub.severity == LC_SEV_WARNING ? "warning"
                                                           : "notice";
    fprintf(out, "::%s", cmd);
    const char *sep = " ";
    if (it->file != SIZE_MAX) {
      fputs(" file=", out);
      gh_escape(out, d->files[it->file].name, true);
      sep = ",";
    }
    if (it->pub.line) {
      fprintf(out, "%sline=%u", sep, (unsigned)it->pub.line);
      sep = ",";
      if (it->pub.column) fprintf(out, ",col=%u", (unsigned)it->pub.column);
    }
    fputs("::", out);
    char *msg = full_message(it);
    gh_escape(out, msg, false);
    free(msg);
    fputc('\n', out);
  }
}

int lc_diags_print(const struct lc_diags *d, FILE *out, enum lc_diag_format format) {
  static const struct lc_diags empty;
  if (!d) d = &empty;
  int rc = 0;
  switch (format) {
  case LC_DIAG_TEXT: print_text(d, out); break;
  case LC_DIAG_JSON: rc = print_json(d, out); break;
  case LC_DIAG_GITHUB: print_github(d, out); break;
  default: return LC_EINVAL;
  }
  if (fflush(out) != 0 || ferror(out)) rc = LC_EIO;
  return rc;
}

int lc_diag_format_parse(const char *name, enum lc_diag_format *out) {
  static const struct { const char *name; enum lc_diag_format f; } names[] = {
      {"text", LC_DIAG_TEXT}, {"json", LC_DIAG_JSON}, {"github", LC_DIAG_GITHUB}};
  for (size_t i = 0; i < LC_ARRAY_LEN(names); i++) {
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].f;
      return 0;
    }
  }
  return LC_EINVAL;
}
