/* test_config_node.c: unit tests for config/node: marks on every node, block scalars, aliases,
 * merge keys, duplicate keys, syntax errors, environment substitution, caps against alias
 * bombs and deep nesting, key tables and typed readers. Messages are compared exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/node.h"

/* A fixed environment, so no test depends on the process's. */
static const char *fake_env(const char *name, void *ctx) {
  (void)ctx;
  static const char *const vars[][2] = {{"HOST", "example.com"}, {"EMPTY", ""}, {"N", "42"}};
  for (size_t i = 0; i < LC_ARRAY_LEN(vars); i++)
    if (strcmp(name, vars[i][0]) == 0) return vars[i][1];
  return NULL;
}

struct fixture {
  struct lc_diags *d;
  struct lc_doc *doc;
};

static const struct lc_node *load_opts(struct fixture *f, const char *yaml,
                                       const struct lc_load_opts *opts) {
  f->d = lc_diags_new(0);
  f->doc = lc_doc_load_string("t.yaml", yaml, strlen(yaml), opts, f->d);
  return f->doc ? lc_doc_root(f->doc) : NULL;
}

static const struct lc_node *load(struct fixture *f, const char *yaml) {
  struct lc_load_opts o = {fake_env, NULL, 0, 0, 0};
  return load_opts(f, yaml, &o);
}

static void done(struct fixture *f) {
  lc_doc_free(f->doc);
  lc_diags_free(f->d);
}

/* The diagnostics as GitHub commands: one line each, positions included, no source lines. */
static char *diags_of(const struct fixture *f, enum lc_diag_format format) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  assert_non_null(out);
  lc_diags_print(f->d, out, format);
  fclose(out);
  return buf;
}

static void assert_diags(const struct fixture *f, const char *want) {
  char *got = diags_of(f, LC_DIAG_GITHUB);
  assert_string_equal(got, want);
  free(got);
}

static void assert_text(const struct fixture *f, const char *want) {
  char *got = diags_of(f, LC_DIAG_TEXT);
  assert_string_equal(got, want);
  free(got);
}

static void assert_at(const struct lc_node *n, unsigned line, unsigned col) {
  assert_non_null(n);
  const struct lc_mark *m = lc_node_mark(n);
  assert_string_equal(m->file, "t.yaml");
  assert_int_equal(m->line, line);
  assert_int_equal(m->column, col);
}

static const struct lc_node *get(const struct lc_node *map, const char *key) {
  const struct lc_node *v = lc_node_get(map, key, NULL);
  assert_non_null(v);
  return v;
}

/* ---- marks ------------------------------------------------------------------------------- */

static void marks_on_nested_nodes(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "users:\n"
                                        "  Shopper:\n"
                                        "    tasks:\n"
                                        "      - get: /cart\n"
                                        "        weight: 3\n"
                                        "      - {post: \"/buy\", tags: [a, b]}\n");
  assert_non_null(root);
  assert_int_equal(lc_diags_count(f.d), 0);
  assert_int_equal(lc_node_kind(root), LC_NODE_MAPPING);
  assert_at(root, 1, 1);
  const struct lc_node *key;
  const struct lc_node *users = lc_node_get(root, "users", &key);
  assert_at(key, 1, 1);
  assert_at(users, 2, 3);
  const struct lc_node *tasks = get(get(users, "Shopper"), "tasks");
  assert_int_equal(lc_node_kind(tasks), LC_NODE_SEQUENCE);
  assert_at(tasks, 4, 7);
  assert_int_equal(lc_node_count(tasks), 2);
  const struct lc_node *t0 = lc_node_item(tasks, 0);
  assert_at(t0, 4, 9);
  assert_at(lc_node_key(t0, 1), 5, 9);
  assert_at(lc_node_value(t0, 1), 5, 17);
  assert_string_equal(lc_node_str(lc_node_value(t0, 1)), "3");
  const struct lc_node *t1 = lc_node_item(tasks, 1);
  assert_at(t1, 6, 9);
  assert_at(get(t1, "post"), 6, 16);
  assert_int_equal(lc_node_style(get(t1, "post")), LC_STYLE_DOUBLE_QUOTED);
  const struct lc_node *tags = get(t1, "tags");
  assert_at(tags, 6, 30);
  assert_at(lc_node_item(tags, 1), 6, 34);
  assert_null(lc_node_item(tags, 2));
  assert_null(lc_node_key(tags, 0));
  assert_null(lc_node_get(tags, "a", NULL));
  done(&f);
}

static void marks_skip_anchors_and_tags(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "a: &x foo\n"
                                        "b: !!str 12\n"
                                        "c: &m # a comment\n"
                                        "  k: 1\n"
                                        "d: !<tag:x> &s [1]\n"
                                        "e:\n"
                                        "f: ''\n");
  assert_non_null(root);
  assert_at(get(root, "a"), 1, 7);
  const struct lc_node *b = get(root, "b");
  assert_at(b, 2, 10);
  assert_string_equal(lc_node_tag(b), "tag:yaml.org,2002:str");
  assert_false(lc_node_is_null(b));
  assert_at(get(root, "c"), 4, 3);
  assert_at(get(root, "d"), 5, 16);
  assert_string_equal(lc_node_tag(get(root, "d")), "tag:x");
  const struct lc_node *e = get(root, "e");
  assert_true(lc_node_is_null(e));
  assert_int_equal(lc_node_len(e), 0);
  assert_at(e, 6, 3);
  assert_false(lc_node_is_null(get(root, "f")));
  assert_null(lc_node_tag(get(root, "a")));
  done(&f);
}

static void block_scalars_keep_marks(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "body: |\n"
                                        "  line one\n"
                                        "\n"
                                        "    indented ${PRICE}\n"
                                        "folded: >-\n"
                                        "  a\n"
                                        "  b\n"
                                        "next: 1\n");
  assert_non_null(root);
  const struct lc_node *body = get(root, "body");
  assert_at(body, 1, 7);
  assert_int_equal(lc_node_style(body), LC_STYLE_LITERAL);
  assert_string_equal(lc_node_str(body), "line one\n\n  indented \n");
  struct lc_mark m;
  lc_node_mark_at(body, 5, &m); /* "one" */
  assert_int_equal(m.line, 2);
  assert_int_equal(m.column, 8);
  lc_node_mark_at(body, 12, &m); /* "indented" after two extra spaces */
  assert_int_equal(m.line, 4);
  assert_int_equal(m.column, 5);
  const struct lc_node *folded = get(root, "folded");
  assert_at(folded, 5, 9);
  assert_int_equal(lc_node_style(folded), LC_STYLE_FOLDED);
  assert_string_equal(lc_node_str(folded), "a b");
  lc_node_mark_at(folded, 2, &m); /* folded: the scalar's own mark */
  assert_int_equal(m.line, 5);
  assert_int_equal(m.column, 9);
  assert_at(get(root, "next"), 8, 7);
  assert_diags(&f, "::error file=t.yaml,line=4,col=14::environment variable 'PRICE' is not set "
                   "and has no default\n");
  done(&f);
}

static void mark_at_maps_offsets_in_quoted_scalars(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "a: 'it''s {{ x'\n"
                                        "b: \"\\t\\u00e9\\\"z\"\n"
                                        "c: plain {{ y\n"
                                        "d: \"two\n"
                                        "  lines\"\n");
  assert_non_null(root);
  struct lc_mark m;
  lc_node_mark_at(get(root, "a"), 5, &m); /* '{' of "it's {{ x": '' is one byte */
  assert_int_equal(m.column, 11);
  const struct lc_node *b = get(root, "b");
  assert_string_equal(lc_node_str(b), "\t\xc3\xa9\"z");
  lc_node_mark_at(b, 4, &m); /* 'z': after \t (1 byte), \u00e9 (2 bytes), \" (1 byte) */
  assert_int_equal(m.column, 15);
  lc_node_mark_at(b, 2, &m); /* inside the two bytes of é: at its escape */
  assert_int_equal(m.column, 7);
  lc_node_mark_at(get(root, "c"), 6, &m);
  assert_int_equal(m.line, 3);
  assert_int_equal(m.column, 10);
  lc_node_mark_at(get(root, "d"), 5, &m); /* multi-line: the scalar's start */
  assert_int_equal(m.line, 4);
  assert_int_equal(m.column, 4);
  done(&f);
}

/* ---- aliases and merges ------------------------------------------------------------------ */

static void aliases_resolve_and_keep_their_own_mark(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "base: &h {Accept: json}\n"
                                        "one: *h\n"
                                        "list:\n"
                                        "  - *h\n"
                                        "  - &v 5\n"
                                        "  - *v\n");
  assert_non_null(root);
  assert_int_equal(lc_diags_count(f.d), 0);
  const struct lc_node *one = get(root, "one");
  assert_true(lc_node_is_alias(one));
  assert_at(one, 2, 6);
  assert_int_equal(lc_node_kind(one), LC_NODE_MAPPING);
  assert_string_equal(lc_node_str(get(one, "Accept")), "json");
  assert_true(lc_node_resolve(one) == get(root, "base"));
  assert_at(lc_node_resolve(one), 1, 10);
  const struct lc_node *list = get(root, "list");
  assert_at(lc_node_item(list, 0), 4, 5);
  const struct lc_node *v = lc_node_item(list, 2);
  assert_at(v, 6, 5);
  assert_string_equal(lc_node_str(v), "5");
  int64_t n = 0;
  assert_int_equal(lc_node_read_int(v, f.d, &n), 0);
  assert_int_equal(n, 5);
  /* A wrong type through an alias is reported where the alias is used. */
  assert_false(lc_node_expect(v, LC_NODE_MAPPING, f.d));
  assert_diags(&f, "::error file=t.yaml,line=6,col=5::expected a mapping, got '5'\n");
  done(&f);
}

static void unknown_and_recursive_aliases(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "a: &base 1\n"
                                        "b: *bse\n"
                                        "c: &self [1, *self]\n");
  assert_non_null(root); /* reported, and the tree is still complete */
  assert_true(lc_node_is_null(get(root, "b")));
  assert_diags(&f, "::error file=t.yaml,line=2,col=4::unknown anchor 'bse' (did you mean 'base'?)\n"
                   "::error file=t.yaml,line=3,col=14::alias '*self' is inside the node it "
                   "refers to (recursive aliases are not allowed)\n");
  done(&f);
}

static void merge_keys_follow_yaml_1_1(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "a: &a {x: a1, y: a2, z: a3}\n"
                                        "b: &b {y: b2, w: b4}\n"
                                        "m:\n"
                                        "  x: own\n"
                                        "  <<: [*a, *b]\n"
                                        "  last: 1\n"
                                        "one:\n"
                                        "  <<: *b\n"
                                        "  w: mine\n"
                                        "inline:\n"
                                        "  <<: {k: v}\n"
                                        "quoted:\n"
                                        "  '<<': *b\n");
  assert_non_null(root);
  assert_int_equal(lc_diags_count(f.d), 0);
  const struct lc_node *m = get(root, "m");
  /* Explicit keys win wherever they stand; merged entries take the place of `<<`; the
   * earlier merged mapping wins (y from a, not b). */
  static const char *const keys[] = {"x", "y", "z", "w", "last"};
  static const char *const vals[] = {"own", "a2", "a3", "b4", "1"};
  assert_int_equal(lc_node_count(m), 5);
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(lc_node_str(lc_node_key(m, i)), keys[i]);
    assert_string_equal(lc_node_str(lc_node_value(m, i)), vals[i]);
  }
  /* Merged entries keep the marks of where they were written. */
  assert_at(lc_node_key(m, 1), 1, 15);
  assert_string_equal(lc_node_str(get(m, "w")), "b4");
  const struct lc_node *one = get(root, "one");
  assert_int_equal(lc_node_count(one), 2);
  assert_string_equal(lc_node_str(get(one, "w")), "mine");
  assert_string_equal(lc_node_str(get(one, "y")), "b2");
  assert_string_equal(lc_node_str(get(get(root, "inline"), "k")), "v");
  /* A quoted '<<' is an ordinary key. */
  const struct lc_node *quoted = get(root, "quoted");
  assert_int_equal(lc_node_count(quoted), 1);
  assert_int_equal(lc_node_kind(get(quoted, "<<")), LC_NODE_MAPPING);
  done(&f);
}

static void bad_merges_are_reported(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "s: &s hello\n"
                                        "m:\n"
                                        "  <<: *s\n"
                                        "  k: 1\n"
                                        "n:\n"
                                        "  <<: [{a: 1}, [1], *s]\n"
                                        "  <<: {b: 2}\n");
  assert_non_null(root);
  assert_int_equal(lc_node_count(get(root, "m")), 1);
  const struct lc_node *n = get(root, "n");
  assert_int_equal(lc_node_count(n), 1);
  assert_string_equal(lc_node_str(get(n, "a")), "1");
  assert_diags(&f, "::error file=t.yaml,line=3,col=7::merge key '<<' expects a mapping or a "
                   "list of mappings, got 'hello'\n"
                   "::error file=t.yaml,line=7,col=3::duplicate key '<<'\n"
                   "::notice file=t.yaml,line=6,col=3::'<<' was first set here\n"
                   "::error file=t.yaml,line=6,col=16::merge key '<<' can only merge mappings, "
                   "got a sequence\n"
                   "::error file=t.yaml,line=6,col=21::merge key '<<' can only merge mappings, "
                   "got 'hello'\n");
  done(&f);
}

static void duplicate_keys_are_reported_and_the_first_kept(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "name: a\n"
                                        "load:\n"
                                        "  users: 1\n"
                                        "  users: 2\n"
                                        "name: b\n");
  assert_non_null(root);
  assert_string_equal(lc_node_str(get(root, "name")), "a");
  assert_int_equal(lc_node_count(root), 2);
  assert_string_equal(lc_node_str(get(get(root, "load"), "users")), "1");
  lc_diags_sort(f.d);
  assert_text(&f, "t.yaml:4:3: error: duplicate key 'users'\n"
                  "  users: 2\n"
                  "  ^\n"
                  "t.yaml:3:3: note: 'users' was first set here\n"
                  "  users: 1\n"
                  "  ^\n"
                  "t.yaml:5:1: error: duplicate key 'name'\n"
                  "name: b\n"
                  "^\n"
                  "t.yaml:1:1: note: 'name' was first set here\n"
                  "name: a\n"
                  "^\n");
  done(&f);
}

/* ---- syntax errors ----------------------------------------------------------------------- */

static void syntax_errors_carry_libyaml_text_and_marks(void **state) {
  (void)state;
  struct fixture f;
  assert_null(load(&f, "a: b: c\n"));
  assert_text(&f, "t.yaml:1:5: error: mapping values are not allowed in this context\n"
                  "a: b: c\n"
                  "    ^\n");
  done(&f);

  assert_null(load(&f, "users:\n  a: [1, 2\nb: 3\n"));
  assert_diags(&f, "::error file=t.yaml,line=3,col=2::did not find expected ',' or ']'\n"
                   "::notice file=t.yaml,line=2,col=6::while parsing a flow sequence\n");
  done(&f);

  assert_null(load(&f, "a: \"open\n"));
  assert_diags(&f, "::error file=t.yaml,line=2,col=1::found unexpected end of stream\n"
                   "::notice file=t.yaml,line=1,col=4::while scanning a quoted scalar\n");
  done(&f);

  assert_null(load(&f, "a:\n\tb: 1\n"));
  assert_text(&f, "t.yaml:2:1: error: found character that cannot start any token\n"
                  "\tb: 1\n"
                  "^\n"
                  "t.yaml:2:1: note: YAML does not allow tabs for indentation; use spaces\n"
                  "\tb: 1\n"
                  "^\n");
  done(&f);

  assert_null(load(&f, "a: 1\nb: \xff\n"));
  assert_diags(&f, "::error file=t.yaml,line=2,col=4::invalid leading UTF-8 octet (0xff)\n");
  done(&f);

  /* The end of a file without a final newline. */
  assert_null(load(&f, "a: [1"));
  assert_diags(&f, "::error file=t.yaml,line=1,col=6::did not find expected ',' or ']'\n"
                   "::notice file=t.yaml,line=1,col=4::while parsing a flow sequence\n");
  done(&f);
}

static void one_document_per_file(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "a: 1\n---\nb: 2\n");
  assert_non_null(root);
  assert_null(lc_node_get(root, "b", NULL));
  assert_diags(&f, "::error file=t.yaml,line=2,col=1::a second YAML document starts here; a "
                   "scenario file holds one\n");
  done(&f);

  root = load(&f, "# only a comment\n");
  assert_non_null(root);
  assert_true(lc_node_is_null(root));
  assert_at(root, 1, 1);
  assert_int_equal(lc_diags_count(f.d), 0);
  done(&f);
}

/* ---- environment ------------------------------------------------------------------------- */

static void env_substitution(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "host: http://${HOST}:${PORT:-8080}/x\n"
                                        "empty: ${EMPTY:-fallback}\n"
                                        "blank: ${EMPTY}\n"
                                        "n: ${N}\n"
                                        "money: $$5 and $${HOST} and $5 and $\n"
                                        "path: \"$.items[*]\"\n"
                                        "${HOST}: key not substituted\n"
                                        "def: ${NOPE:-}\n"
                                        "colon: ${NOPE:-a:b}\n");
  assert_non_null(root);
  assert_int_equal(lc_diags_count(f.d), 0);
  assert_string_equal(lc_node_str(get(root, "host")), "http://example.com:8080/x");
  assert_string_equal(lc_node_str(get(root, "empty")), "fallback");
  assert_string_equal(lc_node_str(get(root, "blank")), "");
  int64_t n;
  assert_int_equal(lc_node_read_int(get(root, "n"), f.d, &n), 0);
  assert_int_equal(n, 42);
  assert_string_equal(lc_node_str(get(root, "money")), "$5 and ${HOST} and $5 and $");
  assert_string_equal(lc_node_str(get(root, "path")), "$.items[*]");
  assert_non_null(lc_node_get(root, "${HOST}", NULL));
  assert_string_equal(lc_node_str(get(root, "def")), "");
  assert_string_equal(lc_node_str(get(root, "colon")), "a:b");
  /* Offsets after a substitution map back to the file; inside one, to its ${. */
  struct lc_mark m;
  lc_node_mark_at(get(root, "host"), 20, &m); /* a "0" of the default 8080: its ${ */
  assert_int_equal(m.column, 22);
  lc_node_mark_at(get(root, "host"), 23, &m); /* "/x" after it */
  assert_int_equal(m.column, 35);
  lc_node_mark_at(get(root, "money"), 2, &m); /* " and" after "$$5" */
  assert_int_equal(m.column, 11);
  lc_node_mark_at(get(root, "money"), 0, &m); /* the "$" that came from "$$" */
  assert_int_equal(m.column, 8);
  done(&f);
}

static void env_errors_point_at_the_reference(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *root = load(&f, "a: x ${NOPE} y\n"
                                        "b: \"\\t${HOST} ${MISSING}\"\n"
                                        "c: 'it''s ${ALSO}'\n"
                                        "d: \"two\n"
                                        "  ${LINES}\"\n"
                                        "e: ${1BAD} ${ok\n");
  assert_non_null(root);
  assert_string_equal(lc_node_str(get(root, "a")), "x  y");
  assert_string_equal(lc_node_str(get(root, "b")), "\texample.com ");
  assert_string_equal(lc_node_str(get(root, "e")), " ${ok");
  assert_diags(&f, "::error file=t.yaml,line=1,col=6::environment variable 'NOPE' is not set "
                   "and has no default\n"
                   "::error file=t.yaml,line=2,col=15::environment variable 'MISSING' is not set "
                   "and has no default\n"
                   "::error file=t.yaml,line=3,col=11::environment variable 'ALSO' is not set "
                   "and has no default\n"
                   "::error file=t.yaml,line=4,col=4::environment variable 'LINES' is not set "
                   "and has no default\n"
                   "::error file=t.yaml,line=6,col=4::bad environment reference '${1BAD}': a "
                   "name is letters, digits and '_', not starting with a digit\n"
                   "::error file=t.yaml,line=6,col=12::unterminated '${' (a '}' is missing)\n");
  done(&f);
}

static void env_default_is_the_process_environment(void **state) {
  (void)state;
  struct fixture f;
  assert_int_equal(setenv("LC_TEST_NODE_VAR", "from-process", 1), 0);
  const struct lc_node *root = load_opts(&f, "v: ${LC_TEST_NODE_VAR}\n", NULL);
  assert_non_null(root);
  assert_string_equal(lc_node_str(get(root, "v")), "from-process");
  done(&f);
}

/* ---- caps -------------------------------------------------------------------------------- */

static void alias_bomb_is_capped(void **state) {
  (void)state;
  struct fixture f;
  const char *lol = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                    "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                    "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
  assert_null(load(&f, lol));
  assert_diags(&f, "::error file=t.yaml,line=7,col=8::alias '*f' expands the document to more "
                   "than 1000000 nodes (an alias bomb?)\n");
  done(&f);
  struct lc_load_opts o = {fake_env, NULL, 100, 0, 0};
  assert_null(load_opts(&f, lol, &o));
  assert_diags(&f, "::error file=t.yaml,line=2,col=40::alias '*a' expands the document to more "
                   "than 100 nodes (an alias bomb?)\n");
  done(&f);
  /* Merge lists count as they are written. */
  o.max_nodes = 30;
  assert_null(load_opts(&f, "a: &a {a: 1, b: 2, c: 3, d: 4, e: 5}\n"
                            "b: &b {<<: *a, f: 6}\n"
                            "c: {<<: [*a, *b], g: 7}\n", &o));
  assert_diags(&f, "::error file=t.yaml,line=3,col=10::alias '*a' expands the document to more "
                   "than 30 nodes (an alias bomb?)\n");
  done(&f);
}

static void nesting_is_capped(void **state) {
  (void)state;
  struct fixture f;
  struct lc_load_opts o = {fake_env, NULL, 0, 4, 0};
  assert_null(load_opts(&f, "a: [[[[1]]]]\n", &o));
  assert_diags(&f, "::error file=t.yaml,line=1,col=7::the document nests deeper than 4 levels\n");
  done(&f);
  /* Through aliases, whose own nesting was allowed where they were defined. */
  assert_null(load_opts(&f, "a: &a [[1]]\nb: [[*a]]\n", &o));
  assert_diags(&f, "::error file=t.yaml,line=2,col=6::alias '*a' nests the document deeper "
                   "than 4 levels\n");
  done(&f);
  /* The default cap holds against deep input without exhausting the C stack. */
  size_t depth = 100000;
  char *deep = malloc(2 * depth + 1);
  memset(deep, '[', depth);
  memset(deep + depth, ']', depth);
  deep[2 * depth] = '\0';
  assert_null(load(&f, deep));
  assert_diags(&f, "::error file=t.yaml,line=1,col=257::the document nests deeper than 256 "
                   "levels\n");
  done(&f);
  free(deep);
}

/* ---- keys and typed readers -------------------------------------------------------------- */

static void unknown_keys_get_suggestions(void **state) {
  (void)state;
  struct fixture f;
  static const char *const allowed[] = {"think_time", "weight", "tags", "name", NULL};
  const struct lc_node *root = load(&f, "thinktime: 2s\n"
                                        "weight: 1\n"
                                        "banana: 3\n"
                                        "[a]: 4\n");
  assert_non_null(root);
  assert_int_equal(lc_node_check_keys(root, allowed, f.d), 3);
  assert_null(lc_node_require(root, "name", f.d));
  assert_non_null(lc_node_require(root, "weight", f.d));
  assert_text(&f, "t.yaml:1:1: error: unknown key 'thinktime' (did you mean 'think_time'?)\n"
                  "thinktime: 2s\n"
                  "^\n"
                  "t.yaml:3:1: error: unknown key 'banana'\n"
                  "banana: 3\n"
                  "^\n"
                  "t.yaml:4:1: error: a key must be a scalar, got a sequence\n"
                  "[a]: 4\n"
                  "^\n"
                  "t.yaml:1:1: error: missing key 'name'\n"
                  "thinktime: 2s\n"
                  "^\n");
  done(&f);
  root = load(&f, "- a\n");
  assert_int_equal(lc_node_check_keys(root, allowed, f.d), 1);
  assert_diags(&f, "::error file=t.yaml,line=1,col=1::expected a mapping, got a sequence\n");
  done(&f);
}

static void typed_readers(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *r = load(&f, "t: true\nf: \"false\"\nyes: yes\nTrue: True\n"
                                     "i: -42\nbig: 9223372036854775808\nneg: -9223372036854775808\n"
                                     "x: abc\nfl: 1.5\nw: 11\n"
                                     "num: -2.5e3\nnan: .nan\nhuge: 1e999\ndot: .5\n"
                                     "s: hi\nnul: ~\nnone:\nmap: {a: 1}\nseq: [1]\n");
  assert_non_null(r);
  bool b = false;
  assert_int_equal(lc_node_read_bool(get(r, "t"), f.d, &b), 0);
  assert_true(b);
  assert_int_equal(lc_node_read_bool(get(r, "f"), f.d, &b), 0);
  assert_false(b);
  assert_int_equal(lc_node_read_bool(get(r, "yes"), f.d, &b), LC_EINVAL);
  assert_int_equal(lc_node_read_bool(get(r, "True"), f.d, &b), LC_EINVAL);
  assert_int_equal(lc_node_read_bool(get(r, "map"), f.d, &b), LC_EINVAL);
  int64_t i = 0;
  assert_int_equal(lc_node_read_int(get(r, "i"), f.d, &i), 0);
  assert_int_equal(i, -42);
  assert_int_equal(lc_node_read_int(get(r, "neg"), f.d, &i), 0);
  assert_true(i == INT64_MIN);
  assert_int_equal(lc_node_read_int(get(r, "big"), f.d, &i), LC_EINVAL);
  assert_int_equal(lc_node_read_int(get(r, "x"), f.d, &i), LC_EINVAL);
  assert_int_equal(lc_node_read_int(get(r, "fl"), f.d, &i), LC_EINVAL);
  assert_int_equal(lc_node_read_int_range(get(r, "w"), f.d, 0, 10, &i), LC_EINVAL);
  assert_int_equal(lc_node_read_int_range(get(r, "i"), f.d, 0, INT64_MAX, &i), LC_EINVAL);
  assert_int_equal(lc_node_read_int_range(get(r, "w"), NULL, 0, 100, &i), 0);
  assert_int_equal(i, 11);
  double d = 0;
  assert_int_equal(lc_node_read_number(get(r, "num"), f.d, &d), 0);
  assert_true(d == -2500.0);
  assert_int_equal(lc_node_read_number(get(r, "dot"), f.d, &d), 0);
  assert_true(d == 0.5);
  assert_int_equal(lc_node_read_number(get(r, "nan"), f.d, &d), LC_EINVAL);
  assert_int_equal(lc_node_read_number(get(r, "huge"), f.d, &d), LC_EINVAL);
  const char *s = NULL;
  size_t len = 0;
  assert_int_equal(lc_node_read_string(get(r, "s"), f.d, &s, &len), 0);
  assert_string_equal(s, "hi");
  assert_int_equal(len, 2);
  assert_int_equal(lc_node_read_string(get(r, "nul"), f.d, &s, NULL), LC_EINVAL);
  assert_int_equal(lc_node_read_string(get(r, "none"), f.d, &s, NULL), LC_EINVAL);
  assert_int_equal(lc_node_read_string(get(r, "seq"), f.d, &s, NULL), LC_EINVAL);
  /* Silent when asked to be. */
  size_t before = lc_diags_count(f.d);
  assert_int_equal(lc_node_read_int(get(r, "x"), NULL, &i), LC_EINVAL);
  assert_int_equal(lc_diags_count(f.d), before);
  assert_int_equal(lc_node_read_int(NULL, f.d, &i), LC_EINVAL);
  assert_diags(&f,
               "::error file=t.yaml,line=3,col=6::expected true or false, got 'yes' "
               "(yes/no/on/off are not booleans in loadc)\n"
               "::error file=t.yaml,line=4,col=7::expected true or false, got 'True' "
               "(write it in lowercase)\n"
               "::error file=t.yaml,line=18,col=6::expected true or false, got a mapping\n"
               "::error file=t.yaml,line=6,col=6::integer '9223372036854775808' is out of range\n"
               "::error file=t.yaml,line=8,col=4::expected an integer, got 'abc'\n"
               "::error file=t.yaml,line=9,col=5::expected an integer, got '1.5'\n"
               "::error file=t.yaml,line=10,col=4::expected an integer from 0 to 10, got '11'\n"
               "::error file=t.yaml,line=5,col=4::expected an integer of at least 0, got '-42'\n"
               "::error file=t.yaml,line=12,col=6::expected a number, got '.nan'\n"
               "::error file=t.yaml,line=13,col=7::number '1e999' is out of range\n"
               "::error file=t.yaml,line=16,col=6::expected a string, got null\n"
               "::error file=t.yaml,line=17,col=6::expected a string, got an empty value\n"
               "::error file=t.yaml,line=19,col=6::expected a string, got a sequence\n");
  done(&f);
}

static void describe_shortens_and_escapes(void **state) {
  (void)state;
  struct fixture f;
  const struct lc_node *r = load(&f, "long: aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeee\n"
                                     "ctl: \"a\\nb\\x01\"\n");
  char buf[96];
  assert_string_equal(lc_node_describe(get(r, "long"), buf, sizeof buf),
                      "'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd...'");
  assert_string_equal(lc_node_describe(get(r, "ctl"), buf, sizeof buf), "'a\\nb\\x01'");
  assert_string_equal(lc_node_describe(r, buf, sizeof buf), "a mapping");
  assert_string_equal(lc_node_describe(NULL, buf, sizeof buf), "nothing");
  done(&f);
}

static void missing_file_is_a_diagnostic(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  assert_null(lc_doc_load_file("/nonexistent/loadc.yaml", NULL, d));
  assert_int_equal(lc_diags_errors(d), 1);
  assert_string_equal(lc_diags_get(d, 0)->message,
                      "cannot read '/nonexistent/loadc.yaml': no such file or directory");
  lc_diags_free(d);
  /* A real file: the source is registered for caret output. */
  char path[] = "/tmp/lc_test_node_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *w = fdopen(fd, "w");
  fputs("a: 1\nb: [\n", w);
  fclose(w);
  d = lc_diags_new(0);
  assert_null(lc_doc_load_file(path, NULL, d));
  assert_int_equal(lc_diags_count(d), 1);
  assert_string_equal(lc_diags_get(d, 0)->file, path);
  assert_string_equal(lc_diags_get(d, 0)->message, "did not find expected node content");
  assert_int_equal(lc_diags_get(d, 0)->line, 3);
  lc_diags_free(d);
  d = lc_diags_new(0);
  struct lc_load_opts o = {NULL, NULL, 0, 0, 4};
  assert_null(lc_doc_load_file(path, &o, d));
  assert_int_equal(lc_diags_count(d), 1);
  char want[128];
  snprintf(want, sizeof want, "'%s' is larger than 4 bytes", path);
  assert_string_equal(lc_diags_get(d, 0)->message, want);
  lc_diags_free(d);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(marks_on_nested_nodes),
      cmocka_unit_test(marks_skip_anchors_and_tags),
      cmocka_unit_test(block_scalars_keep_marks),
      cmocka_unit_test(mark_at_maps_offsets_in_quoted_scalars),
      cmocka_unit_test(aliases_resolve_and_keep_their_own_mark),
      cmocka_unit_test(unknown_and_recursive_aliases),
      cmocka_unit_test(merge_keys_follow_yaml_1_1),
      cmocka_unit_test(bad_merges_are_reported),
      cmocka_unit_test(duplicate_keys_are_reported_and_the_first_kept),
      cmocka_unit_test(syntax_errors_carry_libyaml_text_and_marks),
      cmocka_unit_test(one_document_per_file),
      cmocka_unit_test(env_substitution),
      cmocka_unit_test(env_errors_point_at_the_reference),
      cmocka_unit_test(env_default_is_the_process_environment),
      cmocka_unit_test(alias_bomb_is_capped),
      cmocka_unit_test(nesting_is_capped),
      cmocka_unit_test(unknown_keys_get_suggestions),
      cmocka_unit_test(typed_readers),
      cmocka_unit_test(describe_shortens_and_escapes),
      cmocka_unit_test(missing_file_is_a_diagnostic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
