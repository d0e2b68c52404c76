/* node.h: a YAML document loaded with libyaml into an immutable tree whose every node (and
 * every mapping key) keeps its file, line and column, so the compiler can report errors where
 * they are. Anchors/aliases, YAML 1.1 merge keys and ${NAME} / ${NAME:-default} environment
 * substitution are resolved at load; duplicate keys, syntax errors, missing variables and alias
 * bombs become diagnostics. Also: key-table checks and typed scalar readers for the compiler. */
#ifndef LC_CONFIG_NODE_H
#define LC_CONFIG_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"

enum lc_node_kind { LC_NODE_SCALAR, LC_NODE_SEQUENCE, LC_NODE_MAPPING };

enum lc_scalar_style {
  LC_STYLE_PLAIN,
  LC_STYLE_SINGLE_QUOTED,
  LC_STYLE_DOUBLE_QUOTED,
  LC_STYLE_LITERAL, /* block scalar | */
  LC_STYLE_FOLDED,  /* block scalar > */
};

struct lc_doc;
struct lc_node;

/* Returns the value of environment variable `name`, or NULL when it is not set. The string
 * must stay valid until the load returns. */
typedef const char *(*lc_getenv_fn)(const char *name, void *ctx);

struct lc_load_opts {
  lc_getenv_fn getenv_fn; /* NULL: the process environment (getenv) */
  void *getenv_ctx;
  size_t max_nodes;       /* nodes after expanding aliases and merges; 0 = LC_LOAD_MAX_NODES */
  size_t max_depth;       /* nesting, also through aliases; 0 = LC_LOAD_MAX_DEPTH */
  size_t max_bytes;       /* file size and a scalar after substitution; 0 = LC_LOAD_MAX_BYTES */
};
#define LC_LOAD_MAX_NODES 1000000
#define LC_LOAD_MAX_DEPTH 256
#define LC_LOAD_MAX_BYTES (64u << 20)

/* Loads the one YAML document of `path` (or of `len` bytes of `text`, named `name` in marks).
 * Every problem is added to `d` (required), and the source text is registered with it for
 * caret output. Returns the document, or NULL when it could not be read or parsed (a YAML
 * syntax error, a file that cannot be read, an alias bomb, nesting too deep): then `d` says
 * why. A document may come back with errors in `d` (a duplicate key, a missing environment
 * variable, an unknown alias, a bad merge); its tree is still complete and checkable, so a
 * caller reports everything in one pass and decides with lc_diags_errors(). An empty file
 * gives a document whose root is an empty plain scalar at 1:1. `opts` may be NULL for the
 * defaults. The caller frees the document with lc_doc_free. */
struct lc_doc *lc_doc_load_file(const char *path, const struct lc_load_opts *opts,
                                struct lc_diags *d);
struct lc_doc *lc_doc_load_string(const char *name, const char *text, size_t len,
                                  const struct lc_load_opts *opts, struct lc_diags *d);
void lc_doc_free(struct lc_doc *doc);

/* The root node, owned by the document like every node and string reached from it; all of
 * them live until lc_doc_free. */
const struct lc_node *lc_doc_root(const struct lc_doc *doc);
/* The file name used in the document's marks. */
const char *lc_doc_file(const struct lc_doc *doc);

/* Accessors. An alias is transparent: every accessor answers for the anchored node, except
 * lc_node_mark, which gives the position of the alias itself (`*name`) so that an error about
 * a value reached through an alias points where it is used. Functions taking a node of the
 * wrong kind return 0 / NULL / false rather than crash. */
enum lc_node_kind lc_node_kind(const struct lc_node *n);
/* Where the node's content starts (after any &anchor and !tag): the first key of a block
 * mapping, the '[' or '{' of a flow collection, the quote of a quoted scalar, the | or > of a
 * block scalar. For a mapping key, its own position. */
const struct lc_mark *lc_node_mark(const struct lc_node *n);
bool lc_node_is_alias(const struct lc_node *n);
/* The anchored node of an alias (whose mark is at the anchor's definition), else n. */
const struct lc_node *lc_node_resolve(const struct lc_node *n);

/* Scalars: the text after environment substitution, NUL-terminated (it may also contain NUL
 * bytes from "\0" escapes: use lc_node_len), its length in bytes, style and tag ("!foo" or
 * a full "tag:yaml.org,2002:str"; NULL when none was written). "" / 0 for other kinds. */
const char *lc_node_str(const struct lc_node *n);
size_t lc_node_len(const struct lc_node *n);
enum lc_scalar_style lc_node_style(const struct lc_node *n);
const char *lc_node_tag(const struct lc_node *n);
/* True for a plain scalar that is empty, "~" or "null" (any of YAML's spellings) without a
 * tag other than !!null: a key written without a value. */
bool lc_node_is_null(const struct lc_node *n);
/* True if the scalar text equals the NUL-terminated `s`. */
bool lc_node_is(const struct lc_node *n, const char *s);

/* Sequences: number of items and the i-th (NULL when out of range). Mappings: number of
 * entries and the i-th key and value, in document order, with merged entries where their
 * `<<` was and duplicate keys already dropped. lc_node_count is 0 for scalars. */
size_t lc_node_count(const struct lc_node *n);
const struct lc_node *lc_node_item(const struct lc_node *n, size_t i);
const struct lc_node *lc_node_key(const struct lc_node *n, size_t i);
const struct lc_node *lc_node_value(const struct lc_node *n, size_t i);
/* The value for scalar key `key` in a mapping, or NULL (also when n is not a mapping). The
 * entry's key node comes with it through `key_out` when that is not NULL. O(log n). */
const struct lc_node *lc_node_get(const struct lc_node *n, const char *key,
                                  const struct lc_node **key_out);

/* The file position of byte `offset` of a scalar's text, for errors inside a value (a bad
 * unit, a template, a regex): exact for single-line plain and quoted scalars and for literal
 * block scalars, the start of a substituted ${...} for bytes that came from the environment,
 * and the scalar's own mark otherwise (other kinds, folded or multi-line flow scalars). */
void lc_node_mark_at(const struct lc_node *n, size_t offset, struct lc_mark *out);

/* Writes a short description of n for messages into buf: "a mapping", "a sequence",
 * "an empty value", "null", or the scalar quoted ('abc'), shortened and with control
 * characters escaped. Returns buf. */
const char *lc_node_describe(const struct lc_node *n, char *buf, size_t size);

/* Checks that n is of `kind`; if not reports "expected a mapping, got a sequence" at n and
 * returns false. A NULL n is false without a report. */
bool lc_node_expect(const struct lc_node *n, enum lc_node_kind kind, struct lc_diags *d);

/* Checks every key of mapping `map` against the NULL-terminated list `allowed`. Each unknown
 * key is reported at the key itself: "unknown key 'thinktime'" with the closest allowed key as
 * hint ("did you mean 'think_time'?"), a key that is not a scalar as such. Reports "expected a
 * mapping" if map is not one. Returns the number of problems reported (0 = all keys known). */
size_t lc_node_check_keys(const struct lc_node *map, const char *const *allowed,
                          struct lc_diags *d);
/* The value of `key`, or NULL after reporting "missing key 'key'" at the mapping. */
const struct lc_node *lc_node_require(const struct lc_node *map, const char *key,
                                      struct lc_diags *d);

/* Typed scalar readers: each returns 0 and sets *out, or reports at n (when d is not NULL)
 * and returns LC_EINVAL leaving *out alone. The style does not matter ("10" and 10 are both
 * integers): the compiler knows the type each key wants.
 *   bool:   only true and false; yes/no/on/off and True/FALSE are refused, and the message
 *           says so.
 *   int:    optional sign and decimal digits, in int64_t range ("expected an integer, got
 *           'abc'"); _range also checks min <= value <= max.
 *   number: a decimal number with optional fraction and exponent (no hex, inf or nan).
 *   string: any scalar that is not null; *out points into the document, *len may be NULL. */
int lc_node_read_bool(const struct lc_node *n, struct lc_diags *d, bool *out);
int lc_node_read_int(const struct lc_node *n, struct lc_diags *d, int64_t *out);
int lc_node_read_int_range(const struct lc_node *n, struct lc_diags *d, int64_t min,
                           int64_t max, int64_t *out);
int lc_node_read_number(const struct lc_node *n, struct lc_diags *d, double *out);
int lc_node_read_string(const struct lc_node *n, struct lc_diags *d, const char **out,
                        size_t *len);

#endif
