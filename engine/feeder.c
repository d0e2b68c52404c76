/* feeder.c: data feeders at run time (feeder.h). lc_feeders_load reads each CSV file once with
 * libcsv into one block per feeder: the fields back to back, each NUL-terminated, and an array
 * of nrows * ncols + 1 offsets into them (field k spans off[k] .. off[k + 1] - 1). Users keep
 * row numbers; the only state that changes during a run is one atomic cursor per feeder, on a
 * cache line of its own so that two busy feeders do not slow each other down. */
#include "engine/feeder.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One loaded feeder: immutable once loaded. */
struct feed {
  const struct lc_feeder *def;   /* the plan's */
  const char **columns;          /* ncols names, pointing into the plan */
  size_t ncols, nrows;
  char *text;                    /* every field, NUL-terminated */
  size_t text_len;
  uint32_t *off;                 /* nrows * ncols + 1 offsets into text */
};

/* A shared cursor alone on its cache line (64 bytes apart, so never two on one line). */
struct cursor {
  atomic_uint_fast64_t next;
  char pad[64 - sizeof(atomic_uint_fast64_t)];
};

struct lc_feeders {
  struct feed *items;
  size_t n;
  struct cursor *cursors;        /* n; written through a const struct lc_feeders * */
};

/* ---- loading ---- */

static const char utf8_bom[3] = {'\xEF', '\xBB', '\xBF'};

/* A column name as the run uses it: without a byte order mark (a compiler that kept the file's
 * BOM in the first header name would otherwise name that column "\xEF\xBB\xBFid"). */
static const char *column_name(const char *s) {
  return strncmp(s, utf8_bom, sizeof utf8_bom) == 0 ? s + sizeof utf8_bom : s;
}

/* The state of one file's parse, shared by libcsv's two callbacks. */
struct load {
  struct feed *fd;
  bool header;                   /* the first record names the columns */
  size_t record;                 /* records seen so far, the header included */
  size_t field;                  /* fields seen in the current record */
  size_t nfields;                /* data fields stored */
  size_t text_cap;
  char why[256];                 /* set on the first mismatch; parsing then does nothing */
};

static bool failed(const struct load *l) { return l->why[0] != '\0'; }

static void on_field(void *s, size_t len, void *ctx) {
  struct load *l = ctx;
  struct feed *fd = l->fd;
  if (failed(l)) return;
  if (l->header && l->record == 0) {
    if (l->field < fd->ncols &&
        (strlen(fd->columns[l->field]) != len || memcmp(fd->columns[l->field], s, len) != 0))
      snprintf(l->why, sizeof l->why, "column %zu is now named '%.*s', not '%s'", l->field + 1,
               len > 64 ? 64 : (int)len, (const char *)s, fd->columns[l->field]);
    l->field++;
    return;
  }
  size_t row = l->record - (l->header ? 1 : 0);
  if (row >= fd->nrows) {
    snprintf(l->why, sizeof l->why, "it has more than the %zu data rows it had", fd->nrows);
    return;
  }
  if (l->field >= fd->ncols) { /* reported by on_record */
    l->field++;
    return;
  }
  if (len >= (size_t)UINT32_MAX - 1 - fd->text_len) {
    snprintf(l->why, sizeof l->why, "its fields take 4 GiB or more");
    return;
  }
  if (fd->text_len + len + 1 > l->text_cap) {
    while (fd->text_len + len + 1 > l->text_cap) l->text_cap *= 2;
    fd->text = lc_xrealloc(fd->text, l->text_cap);
  }
  fd->off[l->nfields++] = (uint32_t)fd->text_len;
  if (len) memcpy(fd->text + fd->text_len, s, len);
  fd->text[fd->text_len + len] = '\0';
  fd->text_len += len + 1;
  l->field++;
}

static void on_record(int term, void *ctx) {
  (void)term;
  struct load *l = ctx;
  if (failed(l)) return;
  if (l->field != l->fd->ncols) {
    snprintf(l->why, sizeof l->why, "row %zu has %zu field%s, not %zu", l->record + 1, l->field,
             l->field == 1 ? "" : "s", l->fd->ncols);
    return;
  }
  l->field = 0;
  l->record++;
}

static void feed_error(struct lc_buf *err, const struct feed *fd, const char *fmt, ...)
    LC_PRINTF(3, 4);
static void feed_error(struct lc_buf *err, const struct feed *fd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (err) lc_buf_printf(err, "%sdata '%s': %s", err->len ? "\n" : "", fd->def->name, msg);
}

/* Reads fd->def's file into fd. Returns 0, or LC_EIO with a message appended to err. */
static int load_feed(struct feed *fd, struct lc_buf *err) {
  const struct lc_feeder *def = fd->def;
  fd->ncols = def->columns.n;
  fd->nrows = def->nrows;
  if (fd->ncols == 0 || fd->nrows == 0) {
    feed_error(err, fd, "CSV file '%s' has no columns or no data rows", def->path);
    return LC_EIO;
  }
  FILE *fp = fopen(def->path, "rb");
  struct stat st;
  int e = !fp ? errno : fstat(fileno(fp), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (e) {
    char why[128];
    if (strerror_r(e, why, sizeof why) != 0) snprintf(why, sizeof why, "error %d", e);
    feed_error(err, fd, "cannot read CSV file '%s': %s", def->path, why);
    if (fp) fclose(fp);
    return LC_EIO;
  }
  fd->columns = lc_xcalloc(fd->ncols, sizeof *fd->columns);
  for (size_t c = 0; c < fd->ncols; c++) fd->columns[c] = column_name(def->columns.items[c]);
  fd->off = lc_xmalloc((fd->nrows * fd->ncols + 1) * sizeof *fd->off);
  struct load l;
  memset(&l, 0, sizeof l);
  l.fd = fd;
  l.header = def->header;
  /* the fields take at most the file's bytes + 1: a NUL stands for each delimiter that
   * followed a field, and quotes only shrink */
  l.text_cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
  if (l.text_cap > UINT32_MAX) l.text_cap = UINT32_MAX;
  fd->text = lc_xmalloc(l.text_cap);

  struct csv_parser p;
  csv_init(&p, CSV_APPEND_NULL);
  char buf[65536];
  size_t got, at = 0;
  bool bad = false;
  while (!failed(&l) && (got = fread(buf, 1, sizeof buf, fp)) > 0) {
    size_t skip = at == 0 && got >= sizeof utf8_bom && memcmp(buf, utf8_bom, sizeof utf8_bom) == 0
                      ? sizeof utf8_bom : 0;
    at += got;
    if (csv_parse(&p, buf + skip, got - skip, on_field, on_record, &l) != got - skip) {
      bad = true;
      break;
    }
  }
  if (!bad && ferror(fp)) {
    feed_error(err, fd, "cannot read CSV file '%s'", def->path);
    csv_free(&p);
    fclose(fp);
    return LC_EIO;
  }
  if (!bad && !failed(&l) && csv_fini(&p, on_field, on_record, &l) != 0) bad = true;
  if (bad) feed_error(err, fd, "CSV file '%s': %s", def->path, csv_strerror(csv_error(&p)));
  csv_free(&p);
  fclose(fp);
  if (bad) return LC_EIO;
  size_t rows = l.record - (l.header && l.record ? 1 : 0);
  if (!failed(&l) && rows != fd->nrows)
    snprintf(l.why, sizeof l.why, "it has %zu data row%s, not %zu", rows, rows == 1 ? "" : "s",
             fd->nrows);
  if (failed(&l)) {
    feed_error(err, fd, "CSV file '%s' changed since it was checked: %s", def->path, l.why);
    return LC_EIO;
  }
  fd->off[l.nfields] = (uint32_t)fd->text_len;
  fd->text = lc_xrealloc(fd->text, fd->text_len ? fd->text_len : 1);
  return 0;
}

static void feed_release(struct feed *fd) {
  free(fd->columns);
  free(fd->text);
  free(fd->off);
}

struct lc_feeders *lc_feeders_load(const struct lc_plan *plan, struct lc_buf *err) {
  struct lc_feeders *f = lc_xcalloc(1, sizeof *f);
  f->n = plan->nfeeders;
  f->items = lc_xcalloc(f->n ? f->n : 1, sizeof *f->items);
  f->cursors = lc_xcalloc(f->n ? f->n : 1, sizeof *f->cursors);
  bool ok = true;
  for (size_t i = 0; i < f->n; i++) {
    f->items[i].def = &plan->feeders[i];
    atomic_init(&f->cursors[i].next, 0);
    if (load_feed(&f->items[i], err) != 0) ok = false;
  }
  if (!ok) {
    lc_feeders_free(f);
    return NULL;
  }
  return f;
}

void lc_feeders_free(struct lc_feeders *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) feed_release(&f->items[i]);
  free(f->items);
  free(f->cursors);
  free(f);
}

/* ---- reading ---- */

size_t lc_feeders_count(const struct lc_feeders *f) { return f ? f->n : 0; }

size_t lc_feeders_find(const struct lc_feeders *f, const char *name) {
  for (size_t i = 0; f && i < f->n; i++)
    if (strcmp(f->items[i].def->name, name) == 0) return i;
  return SIZE_MAX;
}

size_t lc_feeders_rows(const struct lc_feeders *f, size_t i) { return f->items[i].nrows; }
size_t lc_feeders_columns(const struct lc_feeders *f, size_t i) { return f->items[i].ncols; }

static const char *field_at(const struct feed *fd, size_t row, size_t col, size_t *len) {
  size_t k = row * fd->ncols + col;
  *len = fd->off[k + 1] - fd->off[k] - 1;
  return fd->text + fd->off[k];
}

const char *lc_feeders_field(const struct lc_feeders *f, size_t i, size_t row, size_t col,
                             size_t *len) {
  const struct feed *fd = &f->items[i];
  assert(row < fd->nrows && col < fd->ncols);
  return field_at(fd, row, col, len);
}

size_t lc_feeders_memory(const struct lc_feeders *f) {
  if (!f) return 0;
  size_t n = sizeof *f + (f->n ? f->n : 1) * (sizeof *f->items + sizeof *f->cursors);
  for (size_t i = 0; i < f->n; i++) {
    const struct feed *fd = &f->items[i];
    n += (fd->text_len ? fd->text_len : 1) + (fd->nrows * fd->ncols + 1) * sizeof *fd->off +
         fd->ncols * sizeof *fd->columns;
  }
  return n;
}

/* ---- a user's rows ---- */

static uint32_t *slots(struct lc_user_rows *r) { return r->heap ? r->heap : r->inline_rows; }
static const uint32_t *cslots(const struct lc_user_rows *r) {
  return r->heap ? r->heap : r->inline_rows;
}

void lc_user_rows_init(struct lc_user_rows *r, const struct lc_feeders *f) {
  memset(r, 0, sizeof *r);
  size_t n = lc_feeders_count(f);
  assert(n <= UINT32_MAX);
  r->n = (uint32_t)n;
  if (n > LC_USER_ROWS_INLINE) r->heap = lc_xcalloc(n, sizeof *r->heap);
}

void lc_user_rows_release(struct lc_user_rows *r) {
  free(r->heap);
  memset(r, 0, sizeof *r);
}

static int exhausted(const struct feed *fd) {
  return fd->def->on_exhausted == LC_EXHAUSTED_STOP_TEST ? LC_FEEDER_EXHAUSTED_STOP_TEST
                                                          : LC_FEEDER_EXHAUSTED_STOP_USER;
}

int lc_user_rows_take(struct lc_user_rows *r, const struct lc_feeders *f, size_t feeder_index,
                      struct lc_rng *rng) {
  assert(feeder_index < f->n && feeder_index < r->n);
  const struct feed *fd = &f->items[feeder_index];
  atomic_uint_fast64_t *cur = &f->cursors[feeder_index].next;
  uint64_t n = fd->nrows, row;
  switch (fd->def->order) {
  case LC_ORDER_RANDOM: row = lc_rng_below(rng, n); break;
  case LC_ORDER_UNIQUE:
    if (fd->def->on_exhausted == LC_EXHAUSTED_RECYCLE) {
      row = atomic_fetch_add_explicit(cur, 1, memory_order_relaxed) % n;
      break;
    }
    /* once exhausted, stop writing the shared line: every later take only reads it */
    if (atomic_load_explicit(cur, memory_order_relaxed) >= n) return exhausted(fd);
    row = atomic_fetch_add_explicit(cur, 1, memory_order_relaxed);
    if (row >= n) return exhausted(fd);
    break;
  case LC_ORDER_SEQUENTIAL:
  default: row = atomic_fetch_add_explicit(cur, 1, memory_order_relaxed) % n; break;
  }
  slots(r)[feeder_index] = (uint32_t)row + 1;
  return 0;
}

static int take_all(struct lc_user_rows *r, const struct lc_feeders *f, enum lc_feeder_row which,
                    struct lc_rng *rng) {
  for (size_t i = 0; f && i < f->n; i++) {
    if (f->items[i].def->row != which) continue;
    int rc = lc_user_rows_take(r, f, i, rng);
    if (rc != 0) return rc;
  }
  return 0;
}

int lc_user_rows_take_start(struct lc_user_rows *r, const struct lc_feeders *f,
                            struct lc_rng *rng) {
  return take_all(r, f, LC_ROW_PER_USER, rng);
}

int lc_user_rows_take_task(struct lc_user_rows *r, const struct lc_feeders *f,
                           struct lc_rng *rng) {
  return take_all(r, f, LC_ROW_PER_TASK, rng);
}

size_t lc_user_rows_current(const struct lc_user_rows *r, size_t feeder_index) {
  if (feeder_index >= r->n) return SIZE_MAX;
  uint32_t v = cslots(r)[feeder_index];
  return v ? (size_t)v - 1 : SIZE_MAX;
}

const char *lc_user_rows_value(void *ctx, const char *feeder, const char *column, size_t *len) {
  const struct lc_user_rows_ctx *c = ctx;
  if (!c || !c->rows || !c->feeders) return NULL;
  size_t i = lc_feeders_find(c->feeders, feeder);
  size_t row = i == SIZE_MAX ? SIZE_MAX : lc_user_rows_current(c->rows, i);
  if (row == SIZE_MAX) return NULL;
  const struct feed *fd = &c->feeders->items[i];
  for (size_t col = 0; col < fd->ncols; col++)
    if (strcmp(fd->columns[col], column) == 0) return field_at(fd, row, col, len);
  return NULL;
}
