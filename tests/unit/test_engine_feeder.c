/* test_engine_feeder.c: unit tests for engine/feeder.c. Small CSV files are written to a
 * scratch directory and named by absolute path in scenarios compiled through config (so the
 * plan's feeders are exactly what `loadc check` produces); then the CSV dialect (quoting, line
 * breaks, CRLF, empty fields, a byte order mark), header rows and columns:, each order, the
 * exhausted codes, concurrent unique takes from 4 threads, data.F.C lookups and per_user vs
 * per_task rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "config/compile.h"
#include "engine/feeder.h"

static char dir[64];

static char *path_of(const char *name) { return lc_xasprintf("%s/%s", dir, name); }

/* Writes n bytes (binary: line ends stay as given). */
static void write_bytes(const char *name, const char *text, size_t n) {
  char *path = path_of(name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, n, f), n);
  fclose(f);
  free(path);
}

static void write_file(const char *name, const char *text) { write_bytes(name, text, strlen(text)); }

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lc_feed_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      char *path = path_of(e->d_name);
      unlink(path);
      free(path);
    }
  closedir(d);
  return rmdir(dir);
}

/* A compiled scenario and the feeders loaded from it. */
struct run {
  struct lc_diags *d;
  struct lc_doc *doc;
  struct lc_plan *plan;
  struct lc_feeders *f;
};

/* Compiles a scenario whose `data:` is the given YAML (already indented by 2; "DIR" in it
 * becomes the scratch directory), which must succeed without any diagnostic. */
static struct lc_plan *compile_data(struct run *r, const char *data) {
  struct lc_buf y;
  lc_buf_init(&y, 0);
  lc_buf_puts(&y, "host: http://127.0.0.1:1\ndata:\n");
  for (const char *p = data; *p;) {
    const char *hit = strstr(p, "DIR");
    if (!hit) {
      lc_buf_puts(&y, p);
      break;
    }
    lc_buf_append(&y, p, (size_t)(hit - p));
    lc_buf_puts(&y, dir);
    p = hit + 3;
  }
  lc_buf_puts(&y, "users:\n  U:\n    tasks:\n      - get: /\n");
  memset(r, 0, sizeof *r);
  r->d = lc_diags_new(0);
  r->doc = lc_doc_load_string("s.yaml", y.data, y.len, NULL, r->d);
  r->plan = r->doc ? lc_compile(r->doc, NULL, r->d) : NULL;
  if (!r->plan || lc_diags_count(r->d)) {
    lc_diags_print(r->d, stderr, LC_DIAG_TEXT);
    fail_msg("unexpected diagnostics for:\n%s", y.data);
  }
  lc_buf_release(&y);
  return r->plan;
}

/* compile_data, then lc_feeders_load, which must succeed. */
static struct lc_feeders *load(struct run *r, const char *data) {
  compile_data(r, data);
  struct lc_buf err;
  lc_buf_init(&err, 0);
  r->f = lc_feeders_load(r->plan, &err);
  if (!r->f) fail_msg("lc_feeders_load: %s", err.data);
  assert_int_equal(err.len, 0);
  lc_buf_release(&err);
  return r->f;
}

static void done(struct run *r) {
  lc_feeders_free(r->f);
  lc_plan_free(r->plan);
  lc_doc_free(r->doc);
  lc_diags_free(r->d);
}

static void assert_field(const struct lc_feeders *f, size_t i, size_t row, size_t col,
                         const char *want) {
  size_t len = 99;
  const char *s = lc_feeders_field(f, i, row, col, &len);
  assert_non_null(s);
  assert_int_equal(len, strlen(want));
  assert_memory_equal(s, want, len);
  assert_int_equal(s[len], '\0');
}

/* ---- the CSV dialect ---- */

static void quoting_edge_cases(void **state) {
  (void)state;
  static const char csv[] =
      "id,text\r\n"
      "1,\"a, b\"\r\n"                  /* a quoted comma */
      "2,\"say \"\"hi\"\"\"\r\n"        /* doubled quotes */
      "3,\"line1\nline2\"\r\n"          /* a line break inside quotes */
      "4,\"cr\r\nlf\"\r\n"              /* CRLF inside quotes is kept as written */
      "5,\r\n"                          /* an empty field */
      "6,\"\"\r\n"                      /* a quoted empty field */
      "\r\n"                            /* a blank line: skipped */
      "7,  padded  \r\n"                /* unquoted: spaces around are dropped (libcsv) */
      "8,\" kept \"\r\n"                /* quoted: kept */
      ",\r\n"                           /* two empty fields */
      "10,caf\xc3\xa9\r\n";             /* UTF-8 passes through */
  write_bytes("q.csv", csv, sizeof csv - 1);
  struct run r;
  struct lc_feeders *f = load(&r, "  q: {csv: DIR/q.csv}\n");
  assert_int_equal(lc_feeders_count(f), 1);
  assert_int_equal(lc_feeders_rows(f, 0), 10);
  assert_int_equal(lc_feeders_columns(f, 0), 2);
  assert_field(f, 0, 0, 0, "1");
  assert_field(f, 0, 0, 1, "a, b");
  assert_field(f, 0, 1, 1, "say \"hi\"");
  assert_field(f, 0, 2, 1, "line1\nline2");
  assert_field(f, 0, 3, 1, "cr\r\nlf");
  assert_field(f, 0, 4, 0, "5");
  assert_field(f, 0, 4, 1, "");
  assert_field(f, 0, 5, 1, "");
  assert_field(f, 0, 6, 1, "padded");
  assert_field(f, 0, 7, 1, " kept ");
  assert_field(f, 0, 8, 0, "");
  assert_field(f, 0, 8, 1, "");
  assert_field(f, 0, 9, 0, "10");
  assert_field(f, 0, 9, 1, "caf\xc3\xa9");
  done(&r);
}

static void trailing_newline_or_not(void **state) {
  (void)state;
  write_file("nl.csv", "a,b\n1,2\n3,4\n");
  write_file("nonl.csv", "a,b\n1,2\n3,4");
  write_file("emptylast.csv", "a,b\n1,2\n3,"); /* the last field is empty, nothing after it */
  struct run r;
  struct lc_feeders *f = load(&r,
                              "  nl: {csv: DIR/nl.csv}\n"
                              "  nonl: {csv: DIR/nonl.csv}\n"
                              "  emptylast: {csv: DIR/emptylast.csv}\n");
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(lc_feeders_rows(f, i), 2);
    assert_field(f, i, 1, 0, "3");
  }
  assert_field(f, 0, 1, 1, "4");
  assert_field(f, 1, 1, 1, "4");
  assert_field(f, 2, 1, 1, "");
  done(&r);
}

/* A UTF-8 byte order mark is dropped: it names no column and starts no value. */
static void bom_is_stripped(void **state) {
  (void)state;
  write_file("bomh.csv", "\xEF\xBB\xBFid,name\n1,x\n");
  write_file("bomc.csv", "\xEF\xBB\xBF" "1,x\n2,y\n");
  struct run r;
  struct lc_feeders *f = load(&r,
                              "  bomh: {csv: DIR/bomh.csv}\n"
                              "  bomc: {csv: DIR/bomc.csv, columns: [id, name]}\n");
  assert_int_equal(lc_feeders_rows(f, 0), 1);
  assert_field(f, 0, 0, 0, "1");
  assert_int_equal(lc_feeders_rows(f, 1), 2);
  assert_field(f, 1, 0, 0, "1");
  struct lc_user_rows rows;
  lc_user_rows_init(&rows, f);
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  assert_int_equal(lc_user_rows_take_start(&rows, f, &rng), 0);
  struct lc_user_rows_ctx ctx = {&rows, f};
  size_t len;
  const char *s = lc_user_rows_value(&ctx, "bomh", "id", &len);
  assert_non_null(s);
  assert_string_equal(s, "1");
  s = lc_user_rows_value(&ctx, "bomc", "id", &len);
  assert_non_null(s);
  assert_string_equal(s, "1");
  lc_user_rows_release(&rows);
  done(&r);
}

static void header_row_vs_columns(void **state) {
  (void)state;
  write_file("hc.csv", "a,b\n1,2\n3,4\n");
  struct run r;
  struct lc_feeders *f = load(&r,
                              "  head: {csv: DIR/hc.csv}\n"
                              "  cols: {csv: DIR/hc.csv, columns: [x, y]}\n");
  assert_int_equal(lc_feeders_rows(f, 0), 2);
  assert_field(f, 0, 0, 0, "1");
  assert_int_equal(lc_feeders_rows(f, 1), 3);
  assert_field(f, 1, 0, 0, "a");
  assert_field(f, 1, 2, 1, "4");
  struct lc_user_rows rows;
  lc_user_rows_init(&rows, f);
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  assert_int_equal(lc_user_rows_take_start(&rows, f, &rng), 0);
  struct lc_user_rows_ctx ctx = {&rows, f};
  size_t len;
  assert_string_equal(lc_user_rows_value(&ctx, "head", "b", &len), "2");
  assert_string_equal(lc_user_rows_value(&ctx, "cols", "y", &len), "b");
  assert_null(lc_user_rows_value(&ctx, "head", "x", &len));
  assert_null(lc_user_rows_value(&ctx, "cols", "a", &len));
  lc_user_rows_release(&rows);
  done(&r);
}

/* The file no longer matches what the compiler checked, or is gone: errors, for each feeder. */
static void changed_or_missing_file(void **state) {
  (void)state;
  struct { const char *after, *message; } cases[] = {
      {"a,b\n1,2\n3,4\n5,6\n", "changed since it was checked: it has more than the 2 data rows"},
      {"a,b\n1,2\n", "changed since it was checked: it has 1 data row, not 2"},
      {"a,c\n1,2\n3,4\n", "changed since it was checked: column 2 is now named 'c', not 'b'"},
      {"a,b\n1,2\n3,4,5\n", "changed since it was checked: row 3 has 3 fields, not 2"},
      {"a,b\n1\n3,4\n", "changed since it was checked: row 2 has 1 field, not 2"},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    write_file("ch.csv", "a,b\n1,2\n3,4\n");
    struct run r;
    compile_data(&r, "  ch: {csv: DIR/ch.csv}\n");
    write_file("ch.csv", cases[i].after);
    struct lc_buf err;
    lc_buf_init(&err, 0);
    assert_null(lc_feeders_load(r.plan, &err));
    assert_non_null(err.data);
    if (!strstr(err.data, cases[i].message) || strncmp(err.data, "data 'ch': CSV file '", 21) != 0)
      fail_msg("case %zu: %s", i, err.data);
    lc_buf_release(&err);
    done(&r);
  }
  write_file("gone1.csv", "a\n1\n");
  write_file("gone2.csv", "a\n1\n");
  struct run r;
  compile_data(&r, "  g1: {csv: DIR/gone1.csv}\n  g2: {csv: DIR/gone2.csv}\n");
  char *p1 = path_of("gone1.csv"), *p2 = path_of("gone2.csv");
  assert_int_equal(unlink(p1), 0);
  assert_int_equal(unlink(p2), 0);
  struct lc_buf err;
  lc_buf_init(&err, 0);
  assert_null(lc_feeders_load(r.plan, &err));
  char *want = lc_xasprintf("data 'g1': cannot read CSV file '%s': No such file or directory\n"
                            "data 'g2': cannot read CSV file '%s': No such file or directory",
                            p1, p2);
  assert_string_equal(err.data, want);
  free(want);
  free(p1);
  free(p2);
  lc_buf_release(&err);
  done(&r);
}

/* ---- orders ---- */

static void write_rows(const char *name, size_t n) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_buf_puts(&b, "n,sq\n");
  for (size_t i = 0; i < n; i++) lc_buf_printf(&b, "%zu,%zu\n", i, i * i);
  write_file(name, b.data);
  lc_buf_release(&b);
}

static void sequential_wraps_and_is_shared(void **state) {
  (void)state;
  write_rows("three.csv", 3);
  struct run r;
  struct lc_feeders *f = load(&r, "  s: {csv: DIR/three.csv}\n");
  struct lc_user_rows a, b;
  lc_user_rows_init(&a, f);
  lc_user_rows_init(&b, f);
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  assert_int_equal(lc_user_rows_current(&a, 0), SIZE_MAX);
  static const size_t want[] = {0, 1, 2, 0, 1, 2, 0};
  for (size_t i = 0; i < LC_ARRAY_LEN(want); i++) {
    assert_int_equal(lc_user_rows_take(&a, f, 0, &rng), 0);
    assert_int_equal(lc_user_rows_current(&a, 0), want[i]);
  }
  /* one cursor for the run: the next user goes on from there */
  assert_int_equal(lc_user_rows_take(&b, f, 0, &rng), 0);
  assert_int_equal(lc_user_rows_current(&b, 0), 1);
  assert_int_equal(lc_user_rows_current(&a, 0), 0);
  lc_user_rows_release(&a);
  lc_user_rows_release(&b);
  done(&r);
}

static void random_within_bounds_and_reproducible(void **state) {
  (void)state;
  write_rows("five.csv", 5);
  struct run r;
  struct lc_feeders *f = load(&r, "  rnd: {csv: DIR/five.csv, order: random}\n");
  struct lc_user_rows a, b;
  lc_user_rows_init(&a, f);
  lc_user_rows_init(&b, f);
  struct lc_rng ra, rb;
  lc_rng_seed(&ra, 42, 7);
  lc_rng_seed(&rb, 42, 7);
  size_t seen[5] = {0};
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(lc_user_rows_take(&a, f, 0, &ra), 0);
    assert_int_equal(lc_user_rows_take(&b, f, 0, &rb), 0);
    size_t row = lc_user_rows_current(&a, 0);
    assert_true(row < 5);
    assert_int_equal(lc_user_rows_current(&b, 0), row); /* same seed and stream, same rows */
    seen[row]++;
  }
  for (size_t i = 0; i < 5; i++) assert_in_range(seen[i], 130, 270); /* 200 expected */
  lc_user_rows_release(&a);
  lc_user_rows_release(&b);
  done(&r);
}

enum { UNIQUE_ROWS = 20000, THREADS = 4 };

struct taker {
  const struct lc_feeders *f;
  atomic_uint *counts;       /* takes of each row */
  size_t takes;
  int last_rc;
  uint64_t seed;
};

/* Takes rows like users of one worker would (a new handle every few takes) until exhausted. */
static void take_until_exhausted(void *arg) {
  struct taker *t = arg;
  struct lc_rng rng;
  lc_rng_seed(&rng, t->seed, 0);
  struct lc_user_rows rows;
  lc_user_rows_init(&rows, t->f);
  for (;;) {
    int rc = lc_user_rows_take(&rows, t->f, 0, &rng);
    if (rc != 0) {
      t->last_rc = rc;
      break;
    }
    atomic_fetch_add(&t->counts[lc_user_rows_current(&rows, 0)], 1);
    if (++t->takes % 3 == 0) {
      lc_user_rows_release(&rows);
      lc_user_rows_init(&rows, t->f);
    }
  }
  lc_user_rows_release(&rows);
}

static void unique_each_row_once_across_threads(void **state) {
  (void)state;
  write_rows("many.csv", UNIQUE_ROWS);
  struct run r;
  struct lc_feeders *f =
      load(&r, "  u: {csv: DIR/many.csv, order: unique, on_exhausted: stop_user}\n");
  atomic_uint *counts = lc_xmalloc(UNIQUE_ROWS * sizeof *counts);
  for (size_t i = 0; i < UNIQUE_ROWS; i++) atomic_init(&counts[i], 0);
  struct taker t[THREADS];
  uv_thread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    t[i] = (struct taker){f, counts, 0, 0, (uint64_t)i};
    assert_int_equal(uv_thread_create(&th[i], take_until_exhausted, &t[i]), 0);
  }
  size_t total = 0;
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(uv_thread_join(&th[i]), 0);
    assert_int_equal(t[i].last_rc, LC_FEEDER_EXHAUSTED_STOP_USER);
    total += t[i].takes;
  }
  assert_int_equal(total, UNIQUE_ROWS);
  for (size_t i = 0; i < UNIQUE_ROWS; i++)
    if (atomic_load(&counts[i]) != 1) fail_msg("row %zu taken %u times", i, atomic_load(&counts[i]));
  free(counts);
  done(&r);
}

static void exhausted_codes_and_recycle(void **state) {
  (void)state;
  write_rows("two.csv", 2);
  struct run r;
  struct lc_feeders *f = load(&r,
                              "  su: {csv: DIR/two.csv, order: unique, on_exhausted: stop_user}\n"
                              "  st: {csv: DIR/two.csv, order: unique, on_exhausted: stop_test}\n"
                              "  rc: {csv: DIR/two.csv, order: unique}\n");
  struct lc_user_rows a;
  lc_user_rows_init(&a, f);
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(lc_user_rows_take(&a, f, i, &rng), 0);
    assert_int_equal(lc_user_rows_take(&a, f, i, &rng), 0);
    assert_int_equal(lc_user_rows_current(&a, i), 1);
  }
  /* exhausted: the codes, again and again; the user keeps the row it held */
  for (int k = 0; k < 3; k++) {
    assert_int_equal(lc_user_rows_take(&a, f, 0, &rng), LC_FEEDER_EXHAUSTED_STOP_USER);
    assert_int_equal(lc_user_rows_take(&a, f, 1, &rng), LC_FEEDER_EXHAUSTED_STOP_TEST);
    assert_int_equal(lc_user_rows_current(&a, 0), 1);
    assert_int_equal(lc_user_rows_current(&a, 1), 1);
  }
  /* a new user gets no row, and lc_user_rows_take_start says why (the first feeder's code) */
  struct lc_user_rows b;
  lc_user_rows_init(&b, f);
  assert_int_equal(lc_user_rows_take_start(&b, f, &rng), LC_FEEDER_EXHAUSTED_STOP_USER);
  assert_int_equal(lc_user_rows_current(&b, 0), SIZE_MAX);
  assert_int_equal(lc_user_rows_take(&b, f, 1, &rng), LC_FEEDER_EXHAUSTED_STOP_TEST);
  /* recycle: starts over, rows repeat in the same order */
  static const size_t want[] = {0, 1, 0, 1};
  for (size_t i = 0; i < LC_ARRAY_LEN(want); i++) {
    assert_int_equal(lc_user_rows_take(&b, f, 2, &rng), 0);
    assert_int_equal(lc_user_rows_current(&b, 2), want[i]);
  }
  lc_user_rows_release(&a);
  lc_user_rows_release(&b);
  done(&r);
}

/* ---- what users see ---- */

static void data_lookup(void **state) {
  (void)state;
  write_file("acc.csv", "user,password\nalice,a1\nbob,\"b,2\"\n");
  struct run r;
  struct lc_feeders *f = load(&r, "  accounts: {csv: DIR/acc.csv}\n");
  assert_int_equal(lc_feeders_find(f, "accounts"), 0);
  assert_int_equal(lc_feeders_find(f, "account"), SIZE_MAX);
  struct lc_user_rows a;
  lc_user_rows_init(&a, f);
  struct lc_user_rows_ctx ctx = {&a, f};
  size_t len = 0;
  /* no row yet */
  assert_null(lc_user_rows_value(&ctx, "accounts", "user", &len));
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  assert_int_equal(lc_user_rows_take(&a, f, 0, &rng), 0);
  assert_int_equal(lc_user_rows_take(&a, f, 0, &rng), 0);
  const char *s = lc_user_rows_value(&ctx, "accounts", "password", &len);
  assert_non_null(s);
  assert_int_equal(len, 3);
  assert_memory_equal(s, "b,2", 3);
  assert_string_equal(lc_user_rows_value(&ctx, "accounts", "user", &len), "bob");
  assert_null(lc_user_rows_value(&ctx, "account", "user", &len));
  assert_null(lc_user_rows_value(&ctx, "accounts", "usr", &len));
  assert_null(lc_user_rows_value(&ctx, "accounts", "", &len));
  struct lc_user_rows_ctx none = {&a, NULL};
  assert_null(lc_user_rows_value(&none, "accounts", "user", &len));
  assert_null(lc_user_rows_value(NULL, "accounts", "user", &len));
  lc_user_rows_release(&a);
  done(&r);
}

static void per_user_vs_per_task(void **state) {
  (void)state;
  write_rows("ten.csv", 10);
  struct run r;
  struct lc_feeders *f = load(&r,
                              "  pu: {csv: DIR/ten.csv}\n"
                              "  pt: {csv: DIR/ten.csv, row: per_task}\n");
  struct lc_user_rows a;
  lc_user_rows_init(&a, f);
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  struct lc_user_rows_ctx ctx = {&a, f};
  size_t len;
  assert_int_equal(lc_user_rows_take_start(&a, f, &rng), 0);
  assert_int_equal(lc_user_rows_current(&a, 0), 0);
  assert_int_equal(lc_user_rows_current(&a, 1), SIZE_MAX);  /* on_start: no per_task row */
  assert_null(lc_user_rows_value(&ctx, "pt", "n", &len));
  for (size_t task = 0; task < 4; task++) {
    assert_int_equal(lc_user_rows_take_task(&a, f, &rng), 0);
    assert_int_equal(lc_user_rows_current(&a, 0), 0);       /* the user's row stays */
    assert_int_equal(lc_user_rows_current(&a, 1), task);    /* a new one each task */
    char want[8];
    snprintf(want, sizeof want, "%zu", task * task);
    assert_string_equal(lc_user_rows_value(&ctx, "pt", "sq", &len), want);
    assert_string_equal(lc_user_rows_value(&ctx, "pu", "n", &len), "0");
  }
  lc_user_rows_release(&a);
  done(&r);
}

/* More feeders than a handle keeps inline, and a plan with none. */
static void many_feeders_and_none(void **state) {
  (void)state;
  write_rows("six.csv", 6);
  struct run r;
  struct lc_feeders *f = load(&r,
                              "  f0: {csv: DIR/six.csv}\n  f1: {csv: DIR/six.csv}\n"
                              "  f2: {csv: DIR/six.csv}\n  f3: {csv: DIR/six.csv}\n"
                              "  f4: {csv: DIR/six.csv}\n  f5: {csv: DIR/six.csv, row: per_task}\n");
  assert_int_equal(lc_feeders_count(f), 6);
  struct lc_user_rows a;
  lc_user_rows_init(&a, f);
  assert_non_null(a.heap);
  struct lc_rng rng;
  lc_rng_seed(&rng, 1, 1);
  assert_int_equal(lc_user_rows_take_start(&a, f, &rng), 0);
  assert_int_equal(lc_user_rows_take(&a, f, 4, &rng), 0);
  assert_int_equal(lc_user_rows_current(&a, 4), 1);
  assert_int_equal(lc_user_rows_current(&a, 5), SIZE_MAX);
  struct lc_user_rows_ctx ctx = {&a, f};
  size_t len;
  assert_string_equal(lc_user_rows_value(&ctx, "f4", "sq", &len), "1");
  lc_user_rows_release(&a);
  done(&r);

  /* no data: at all: an empty set, and handles that hold nothing */
  memset(&r, 0, sizeof r);
  r.d = lc_diags_new(0);
  static const char yaml[] = "host: http://127.0.0.1:1\nusers:\n  U:\n    tasks:\n      - get: /\n";
  r.doc = lc_doc_load_string("s.yaml", yaml, strlen(yaml), NULL, r.d);
  r.plan = lc_compile(r.doc, NULL, r.d);
  assert_non_null(r.plan);
  struct lc_buf err;
  lc_buf_init(&err, 0);
  r.f = lc_feeders_load(r.plan, &err);
  assert_non_null(r.f);
  lc_buf_release(&err);
  assert_int_equal(lc_feeders_count(r.f), 0);
  lc_user_rows_init(&a, r.f);
  assert_int_equal(lc_user_rows_take_start(&a, r.f, &rng), 0);
  assert_int_equal(lc_user_rows_take_task(&a, r.f, &rng), 0);
  ctx = (struct lc_user_rows_ctx){&a, r.f};
  assert_null(lc_user_rows_value(&ctx, "f0", "n", &len));
  lc_user_rows_release(&a);
  done(&r);
}

/* What a loaded row costs: its field bytes plus a NUL and a 4-byte offset per field. */
static void memory_is_fields_plus_index(void **state) {
  (void)state;
  write_file("mem.csv", "a,b,c\n1,22,333\n\"4\",55,\"6,6\"\n");
  struct run r;
  struct lc_feeders *f = load(&r, "  m: {csv: DIR/mem.csv}\n");
  size_t fields = strlen("1223334556,6");                  /* 12 bytes of values */
  size_t base = lc_feeders_memory(f) - fields - 6 - 7 * sizeof(uint32_t);
  write_file("mem2.csv", "a,b,c\n1,22,333\n\"4\",55,\"6,6\"\n7,8,9\n");
  struct run r2;
  struct lc_feeders *f2 = load(&r2, "  m: {csv: DIR/mem2.csv}\n");
  /* one more row of 3 one-byte fields: 3 bytes + 3 NULs + 3 offsets */
  assert_int_equal(lc_feeders_memory(f2) - lc_feeders_memory(f), 3 + 3 + 3 * sizeof(uint32_t));
  assert_true(base < 1024);
  assert_true(sizeof(struct lc_user_rows) <= 32);
  done(&r);
  done(&r2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(quoting_edge_cases),
      cmocka_unit_test(trailing_newline_or_not),
      cmocka_unit_test(bom_is_stripped),
      cmocka_unit_test(header_row_vs_columns),
      cmocka_unit_test(changed_or_missing_file),
      cmocka_unit_test(sequential_wraps_and_is_shared),
      cmocka_unit_test(random_within_bounds_and_reproducible),
      cmocka_unit_test(unique_each_row_once_across_threads),
      cmocka_unit_test(exhausted_codes_and_recycle),
      cmocka_unit_test(data_lookup),
      cmocka_unit_test(per_user_vs_per_task),
      cmocka_unit_test(many_feeders_and_none),
      cmocka_unit_test(memory_is_fields_plus_index),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
