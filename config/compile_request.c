/* compile_request.c: one request of a scenario into a struct lc_request: method and URL, the
 * headers merged from `defaults:`, the user class and the request, query, the one body (raw,
 * JSON, form or multipart), auth and transport options, its checks and captures; and the
 * `defaults:` request itself. Part of the compiler (compile_int.h). */
#include "config/compile_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <libxml/xpath.h>
#include <pcre2.h>

/* ---- tables ---- */

const char *const cc_request_keys[] = {
    "name",         "headers", "query", "body",    "json",       "form",
    "multipart",    "auth",    "timeout", "follow_redirects", "verify_tls", "client_cert",
    "http_version", "stream",  "check", "capture", "on_failure", "max_body", NULL};

static const char *const defaults_keys[] = {"headers", "timeout", "follow_redirects",
                                            "verify_tls", "client_cert", "http_version",
                                            "auth", "max_body", NULL};

static const char *const method_keys[][2] = {
    {"get", "GET"},       {"post", "POST"},   {"put", "PUT"},         {"patch", "PATCH"},
    {"delete", "DELETE"}, {"head", "HEAD"},   {"options", "OPTIONS"},
};

static const char *const body_keys[] = {"body", "json", "form", "multipart", NULL};

static const char *const check_keys[] = {"status", "body_contains", "body_not_contains",
                                         "body_matches", "json", "headers", "url", "is_json",
                                         "max_time", "size", "message", NULL};

static const char *const capture_keys[] = {"json", "regex", "header", "cookie", "xpath",
                                           "pick", "group", "default", NULL};
/* In the order of enum lc_capture_kind. */
static const char *const capture_sources[] = {"json", "regex", "header", "cookie", "xpath", NULL};

static const char *const on_failure_names[] = {"continue", "end_task", "stop_user", NULL};
static const char *const pick_names[] = {"first", "random", "all", NULL};
static const char *const http_versions[] = {"1.1", "2", NULL};

/* A word people write for another one: looked up before the edit-distance suggestion, so that
 * `gte` suggests `ge` (and not `gt`, as near in letters but not in meaning). */
struct alias {
  const char *from, *to;
};

/* JSON conditions, in the order of enum lc_cmp_op. */
static const char *const json_ops[] = {"eq",     "ne",      "gt",       "ge",  "lt", "le",
                                       "exists", "matches", "contains", "len", NULL};
/* The comparisons of `len`: the first six of json_ops. */
static const char *const len_ops[] = {"eq", "ne", "gt", "ge", "lt", "le", NULL};
static const struct alias op_aliases[] = {
    {"gte", "ge"},     {"lte", "le"},      {"neq", "ne"},      {"not", "ne"},
    {"equals", "eq"},  {"equal", "eq"},    {"is", "eq"},       {"==", "eq"},
    {"=", "eq"},       {"!=", "ne"},       {">", "gt"},        {">=", "ge"},
    {"<", "lt"},       {"<=", "le"},       {"regex", "matches"}, {"match", "matches"},
    {"length", "len"}, {"size", "len"},    {"count", "len"},   {"exist", "exists"},
    {"has", "contains"}, {"includes", "contains"}, {NULL, NULL}};

/* Header and URL conditions (url_ops is the start of header_ops), and the enum lc_cmp_op each
 * stands for. */
static const char *const header_ops[] = {"equals", "contains", "matches", "exists", NULL};
static const char *const url_ops[] = {"equals", "contains", "matches", NULL};
static const enum lc_cmp_op header_op_values[] = {LC_CMP_EQ, LC_CMP_CONTAINS, LC_CMP_MATCHES,
                                                  LC_CMP_EXISTS};
static const struct alias text_op_aliases[] = {
    {"eq", "equals"},     {"equal", "equals"},    {"is", "equals"},   {"==", "equals"},
    {"regex", "matches"}, {"match", "matches"},   {"has", "contains"}, {"includes", "contains"},
    {"present", "exists"}, {"exist", "exists"},  {NULL, NULL}};

static const struct alias version_aliases[] = {
    {"1", "1.1"},     {"1.0", "1.1"},     {"http/1.1", "1.1"}, {"HTTP/1.1", "1.1"},
    {"2.0", "2"},     {"h2", "2"},        {"http/2", "2"},     {"HTTP/2", "2"},
    {"11", "1.1"},    {NULL, NULL}};

#define MIB (UINT64_C(1) << 20)

/* ---- the request being compiled ---- */

/* `bad` turns true at the first problem, so that cc_request returns NULL after errors even
 * when a diagnostic was dropped as an exact repeat (a class that extends another compiles the
 * same steps again). */
struct rq {
  struct cc *c;
  struct lc_request *r;
  bool bad;
};

static void err_at(struct rq *q, const struct lc_mark *where, const char *hint, const char *fmt,
                   ...) LC_PRINTF(4, 5);
static void err_at(struct rq *q, const struct lc_mark *where, const char *hint, const char *fmt,
                   ...) {
  va_list ap;
  va_start(ap, fmt);
  lc_diags_vadd(q->c->d, LC_SEV_ERROR, where, hint, fmt, ap);
  va_end(ap);
  q->bad = true;
}

static const struct lc_mark *at(const struct lc_node *n) { return lc_node_mark(n); }

/* Keeps a template made here (not by cc_template) with the plan's other objects. */
static void own_tpl(struct cc *c, struct lc_tpl *t) {
  c->own->tpls = lc_xrealloc(c->own->tpls, (c->own->ntpls + 1) * sizeof *c->own->tpls);
  c->own->tpls[c->own->ntpls++] = t;
}

static struct lc_tpl *tpl(struct rq *q, const struct lc_node *n) {
  struct lc_tpl *t = cc_template(q->c, n);
  if (!t) q->bad = true;
  return t;
}

static const char *str(struct rq *q, const struct lc_node *n) {
  const char *s = cc_string(q->c, n);
  if (!s) q->bad = true;
  return s;
}

static bool expect(struct rq *q, const struct lc_node *n, enum lc_node_kind kind) {
  if (lc_node_expect(n, kind, q->c->d)) return true;
  q->bad = true;
  return false;
}

static bool keys(struct rq *q, const struct lc_node *map, const char *const *allowed) {
  if (cc_keys(q->c, map, allowed)) return true;
  q->bad = true;
  return false;
}

static void set_escape(struct lc_tpl *t, enum lc_tpl_escape escape) {
  for (size_t i = 0; i < t->n; i++)
    if (t->segs[i].kind == LC_TPL_EXPR) t->segs[i].escape = escape;
}

static bool ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static bool istarts(const char *s, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  if (n < k) return false;
  for (size_t i = 0; i < k; i++) {
    char x = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    if (x != prefix[i]) return false;
  }
  return true;
}

static const char *lower_dup(struct cc *c, const char *s) {
  size_t n = strlen(s);
  char *out = cc_alloc(c, n + 1);
  for (size_t i = 0; i < n; i++)
    out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
  return out;
}

/* A YAML value written as {{ x }} without quotes is a flow mapping whose key is a mapping;
 * cc_template explains that mistake, so such a value goes to it. */
static bool looks_like_unquoted_template(const struct lc_node *n) {
  return lc_node_kind(n) == LC_NODE_MAPPING && lc_node_count(n) == 1 &&
         lc_node_kind(lc_node_key(n, 0)) == LC_NODE_MAPPING;
}

/* Finds the scalar n among names (with aliases for the suggestion); reports "unknown <what>"
 * listing the names. `suggest` false keeps lc_suggest out (its nearest word can be wrong
 * where the names are numbers). Returns the index or -1. */
static int word(struct rq *q, const struct lc_node *n, const char *what, const char *const *names,
                const struct alias *aliases, bool suggest) {
  const char *s;
  size_t len;
  if (lc_node_read_string(n, q->c->d, &s, &len) != 0) {
    q->bad = true;
    return -1;
  }
  for (int i = 0; names[i]; i++)
    if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0) return i;
  const char *hint = NULL;
  for (size_t i = 0; aliases && aliases[i].from && !hint; i++)
    if (strcmp(s, aliases[i].from) == 0) hint = aliases[i].to;
  if (!hint && suggest && strlen(s) == len) hint = lc_suggest(s, names);
  struct lc_buf list;
  lc_buf_init(&list, 0);
  for (int i = 0; names[i]; i++) lc_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
  char shown[96];
  err_at(q, at(n), hint, "unknown %s %s (expected one of: %s)", what,
         lc_node_describe(n, shown, sizeof shown), list.data);
  lc_buf_release(&list);
  return -1;
}

/* RFC 9110 token characters: methods and header names. */
static bool is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Reports the first character of scalar n that cannot be in a token, at its column. */
static bool check_token(struct rq *q, const struct lc_node *n, const char *what) {
  const char *s = lc_node_str(n);
  size_t len = lc_node_len(n);
  char shown[96];
  if (len == 0) {
    err_at(q, at(n), NULL, "empty %s", what);
    return false;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (is_tchar(ch)) continue;
    struct lc_mark m;
    lc_node_mark_at(n, i, &m);
    char chs[8];
    if (ch >= 0x20 && ch < 0x7f) snprintf(chs, sizeof chs, "%c", ch);
    else snprintf(chs, sizeof chs, "\\x%02x", ch);
    err_at(q, &m, NULL, "invalid character '%s' in %s %s", chs, what,
           lc_node_describe(n, shown, sizeof shown));
    return false;
  }
  return true;
}

/* A path relative to the scenario's directory, checked to be a readable regular file (opened
 * without blocking, so a FIFO cannot hang `loadc check`). Returns the resolved path (plan
 * memory) or NULL after reporting at n. */
static const char *readable_file(struct rq *q, const struct lc_node *n) {
  const char *rel = str(q, n);
  if (!rel) return NULL;
  const char *dir = q->c->plan->dir;
  char *path = rel[0] == '/' || !dir || !*dir ? lc_xstrdup(rel)
                                              : lc_xasprintf("%s/%s", dir, rel);
  const char *why = NULL;
  char buf[128];
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    why = cc_strerror(errno, buf, sizeof buf);
  } else {
    struct stat st;
    if (fstat(fd, &st) != 0) why = cc_strerror(errno, buf, sizeof buf);
    else if (S_ISDIR(st.st_mode)) why = cc_strerror(EISDIR, buf, sizeof buf);
    else if (!S_ISREG(st.st_mode)) why = "not a regular file";
    close(fd);
  }
  const char *out = NULL;
  if (why)
    err_at(q, at(n), NULL, "cannot read file '%s': %s", rel, why);
  else
    out = cc_strndup(q->c, path, strlen(path));
  free(path);
  return out;
}

/* ---- headers, query, form ---- */

/* Adds kv to out; one with the same name (any letter case) is replaced where it stands, as
 * python-requests merges session and request headers. */
static void merge_kv(struct cc *c, struct lc_kvs *out, const struct lc_kv *kv) {
  for (size_t i = 0; i < out->n; i++) {
    if (ieq(out->items[i].name, kv->name)) {
      out->items[i] = *kv;
      return;
    }
  }
  struct lc_kv *slot = cc_push(c, &out->items, &out->n, sizeof *slot);
  *slot = *kv;
}

static void remove_kv(struct lc_kvs *out, const char *name) {
  for (size_t i = 0; i < out->n; i++) {
    if (!ieq(out->items[i].name, name)) continue;
    memmove(&out->items[i], &out->items[i + 1], (out->n - i - 1) * sizeof *out->items);
    out->n--;
    return;
  }
}

/* A header value may not hold a line break in its literal text (it would end the header). */
static void check_header_value(struct rq *q, const struct lc_node *v, const char *name) {
  const char *s = lc_node_str(v);
  size_t len = lc_node_len(v);
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '\r' && s[i] != '\n') continue;
    struct lc_mark m;
    lc_node_mark_at(v, i, &m);
    err_at(q, &m, NULL, "the value of header '%s' contains a line break", name);
    return;
  }
}

/* `headers:` merged into out. A header set to null removes one merged before (requests'
 * rule for None), so a request can drop a default header. */
static void read_headers(struct rq *q, const struct lc_node *map, struct lc_kvs *out) {
  if (!expect(q, map, LC_NODE_MAPPING)) return;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i), *v = lc_node_value(map, i);
    const char *name = str(q, k);
    if (!name || !check_token(q, k, "header name")) continue;
    if (lc_node_kind(v) == LC_NODE_SCALAR && lc_node_style(v) == LC_STYLE_PLAIN &&
        lc_node_is_null(v)) {
      remove_kv(out, name);
      continue;
    }
    struct lc_tpl *t = tpl(q, v);
    if (!t) continue;
    check_header_value(q, v, name);
    struct lc_kv kv = {name, t, *at(k)};
    merge_kv(q->c, out, &kv);
  }
}

/* `query:` and `form:`: name: template, or name: [templates] for a repeated parameter (as
 * requests sends params={'id': [1, 2]}). Expressions are percent-encoded. */
static void read_params(struct rq *q, const struct lc_node *map, struct lc_kvs *out) {
  if (!expect(q, map, LC_NODE_MAPPING)) return;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i), *v = lc_node_value(map, i);
    const char *name = str(q, k);
    if (!name) continue;
    bool list = lc_node_kind(v) == LC_NODE_SEQUENCE;
    size_t n = list ? lc_node_count(v) : 1;
    for (size_t j = 0; j < n; j++) {
      struct lc_tpl *t = tpl(q, list ? lc_node_item(v, j) : v);
      if (!t) continue;
      set_escape(t, LC_ESC_URL);
      struct lc_kv *kv = cc_push(q->c, &out->items, &out->n, sizeof *kv);
      kv->name = name;
      kv->value = t;
      kv->mark = *at(k);
    }
  }
}

/* ---- bodies ---- */

/* A YAML number as JSON: the text as written when JSON allows it, else normalised (+1 -> 1,
 * .5 -> 0.5, 1. -> 1, 007 -> 7). t passed lc_node_read_number, so it is a number. */
static void jw_number(struct lc_buf *b, const char *t, size_t len) {
  size_t i = 0;
  if (i < len && (t[i] == '-' || t[i] == '+')) {
    if (t[i] == '-') lc_buf_append(b, "-", 1);
    i++;
  }
  size_t start = i;
  while (i < len && t[i] >= '0' && t[i] <= '9') i++;
  size_t z = start;
  while (z + 1 < i && t[z] == '0') z++;
  if (i == start) lc_buf_append(b, "0", 1);
  else lc_buf_append(b, t + z, i - z);
  if (i < len && t[i] == '.') {
    size_t f = ++i;
    while (i < len && t[i] >= '0' && t[i] <= '9') i++;
    if (i > f) {
      lc_buf_append(b, ".", 1);
      lc_buf_append(b, t + f, i - f);
    }
  }
  if (i < len) lc_buf_append(b, t + i, len - i); /* the exponent: e5, E-3, e+2 are JSON */
}

static bool is_str_tag(const struct lc_node *n) {
  const char *tag = lc_node_tag(n);
  return tag && (strcmp(tag, "tag:yaml.org,2002:str") == 0 || strcmp(tag, "!!str") == 0);
}

/* A JSON body being written: literal JSON text gathers in `text` and goes to the template
 * only when a templated string needs an expression segment after it. */
struct json_out {
  struct lc_buf text;
  struct lc_tpl *t;
};

static void jw_flush(struct json_out *o) {
  lc_tpl_append_text(o->t, o->text.data, o->text.len);
  lc_buf_reset(&o->text);
}

/* A scalar that is a JSON string: its `{{ }}` are rendered (escaped for JSON) inside the
 * quotes. */
static bool jw_string(struct rq *q, const struct lc_node *n, struct json_out *o) {
  struct lc_expr_error err;
  struct lc_tpl *t = lc_tpl_parse(lc_node_str(n), lc_node_len(n), &err);
  if (!t) {
    struct lc_mark m;
    lc_node_mark_at(n, err.offset, &m);
    err_at(q, &m, NULL, "%s", err.msg);
    return false;
  }
  if (lc_tpl_is_literal(t)) {
    lc_buf_json_string(&o->text, lc_node_str(n), lc_node_len(n));
    lc_tpl_free(t);
    return true;
  }
  for (size_t i = 0; i < t->n; i++)
    if (t->segs[i].expr) cc_mark_expr(t->segs[i].expr, n);
  lc_buf_append(&o->text, "\"", 1);
  jw_flush(o);
  lc_tpl_append(o->t, t, LC_ESC_JSON);
  lc_buf_append(&o->text, "\"", 1);
  return true;
}

/* Writes the JSON text of YAML node n. Plain scalars that read as null, booleans or numbers
 * stay so; every other scalar is a JSON string. Returns false after an error. */
static bool jw_value(struct rq *q, const struct lc_node *n, struct json_out *o) {
  bool ok = true;
  switch (lc_node_kind(n)) {
  case LC_NODE_MAPPING:
    if (looks_like_unquoted_template(n)) return tpl(q, n) != NULL; /* reports the mistake */
    lc_buf_append(&o->text, "{", 1);
    for (size_t i = 0; i < lc_node_count(n); i++) {
      const struct lc_node *k = lc_node_key(n, i);
      if (lc_node_kind(k) != LC_NODE_SCALAR) {
        char shown[96];
        err_at(q, at(k), NULL, "a JSON key must be a string, got %s",
               lc_node_describe(k, shown, sizeof shown));
        ok = false;
        continue;
      }
      if (i) lc_buf_append(&o->text, ",", 1);
      lc_buf_json_string(&o->text, lc_node_str(k), lc_node_len(k));
      lc_buf_append(&o->text, ":", 1);
      if (!jw_value(q, lc_node_value(n, i), o)) ok = false;
    }
    lc_buf_append(&o->text, "}", 1);
    return ok;
  case LC_NODE_SEQUENCE:
    lc_buf_append(&o->text, "[", 1);
    for (size_t i = 0; i < lc_node_count(n); i++) {
      if (i) lc_buf_append(&o->text, ",", 1);
      if (!jw_value(q, lc_node_item(n, i), o)) ok = false;
    }
    lc_buf_append(&o->text, "]", 1);
    return ok;
  case LC_NODE_SCALAR: break;
  }
  if (lc_node_style(n) == LC_STYLE_PLAIN && !is_str_tag(n)) {
    double v;
    if (lc_node_is_null(n)) {
      lc_buf_puts(&o->text, "null");
      return true;
    }
    if (lc_node_is(n, "true") || lc_node_is(n, "false")) {
      lc_buf_puts(&o->text, lc_node_str(n));
      return true;
    }
    if (lc_node_read_number(n, NULL, &v) == 0) {
      jw_number(&o->text, lc_node_str(n), lc_node_len(n));
      return true;
    }
  }
  return jw_string(q, n, o);
}

static void read_json_body(struct rq *q, const struct lc_node *n) {
  struct json_out o;
  lc_buf_init(&o.text, 0);
  o.t = lc_tpl_new();
  bool ok = jw_value(q, n, &o);
  jw_flush(&o);
  lc_buf_release(&o.text);
  if (!ok) {
    lc_tpl_free(o.t);
    return;
  }
  own_tpl(q->c, o.t);
  q->r->body = o.t;
}

static void read_raw_body(struct rq *q, const struct lc_node *n) {
  if (lc_node_kind(n) != LC_NODE_SCALAR && !looks_like_unquoted_template(n)) {
    char shown[96];
    err_at(q, at(n), NULL,
           "'body' is text, got %s: use 'json:' to send a JSON document or 'form:' for form "
           "fields", lc_node_describe(n, shown, sizeof shown));
    return;
  }
  q->r->body = tpl(q, n);
}

static void read_multipart(struct rq *q, const struct lc_node *map) {
  static const char *const file_keys[] = {"path", "content_type", "filename", NULL};
  struct lc_request *r = q->r;
  if (!expect(q, map, LC_NODE_MAPPING)) return;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i), *v = lc_node_value(map, i);
    struct lc_multipart_part part;
    memset(&part, 0, sizeof part);
    part.name = str(q, k);
    if (!part.name) continue;
    if (lc_node_kind(v) == LC_NODE_MAPPING && !looks_like_unquoted_template(v)) {
      keys(q, v, file_keys);
      const struct lc_node *n = lc_node_get(v, "path", NULL);
      if (!n) {
        err_at(q, at(v), NULL,
               "missing key 'path': a multipart file is {path, content_type, filename}");
        continue;
      }
      part.path = readable_file(q, n);
      if ((n = lc_node_get(v, "content_type", NULL))) part.content_type = str(q, n);
      if ((n = lc_node_get(v, "filename", NULL))) part.filename = str(q, n);
      if (!part.path) continue;
    } else {
      part.value = tpl(q, v);
      if (!part.value) continue;
    }
    struct lc_multipart_part *slot = cc_push(q->c, &r->parts, &r->nparts, sizeof *slot);
    *slot = part;
  }
}

/* ---- auth, client_cert, transport ---- */

static void read_auth(struct rq *q, const struct lc_node *n, struct lc_request *r) {
  static const char *const kinds[] = {"basic", "bearer", "digest", NULL};
  static const enum lc_auth_kind values[] = {LC_AUTH_BASIC, LC_AUTH_BEARER, LC_AUTH_DIGEST};
  if (!expect(q, n, LC_NODE_MAPPING)) return;
  bool known = keys(q, n, kinds);
  r->auth_kind = LC_AUTH_NONE;
  r->auth_user = r->auth_password = r->auth_token = NULL;
  const char *first = NULL;
  for (size_t i = 0; i < lc_node_count(n); i++) {
    const struct lc_node *k = lc_node_key(n, i), *v = lc_node_value(n, i);
    int kind = -1;
    for (int j = 0; kinds[j]; j++)
      if (lc_node_is(k, kinds[j])) kind = j;
    if (kind < 0) continue;
    if (first) {
      err_at(q, at(k), NULL, "'%s' cannot be used with '%s': a request has one kind of auth",
             kinds[kind], first);
      continue;
    }
    first = kinds[kind];
    r->auth_kind = values[kind];
    if (values[kind] == LC_AUTH_BEARER) {
      r->auth_token = tpl(q, v);
      continue;
    }
    if (lc_node_kind(v) != LC_NODE_SEQUENCE || lc_node_count(v) != 2) {
      char shown[96];
      if (lc_node_kind(v) == LC_NODE_SEQUENCE)
        snprintf(shown, sizeof shown, "%zu item%s", lc_node_count(v),
                 lc_node_count(v) == 1 ? "" : "s");
      else
        lc_node_describe(v, shown, sizeof shown);
      err_at(q, at(v), NULL, "'%s' takes [user, password], got %s", kinds[kind], shown);
      continue;
    }
    r->auth_user = tpl(q, lc_node_item(v, 0));
    r->auth_password = tpl(q, lc_node_item(v, 1));
  }
  if (!first && known)
    err_at(q, at(n), NULL, "'auth' needs one of: basic, bearer, digest");
}

/* {cert, key}, or the path of one PEM file holding both (requests' cert='client.pem'). */
static void read_client_cert(struct rq *q, const struct lc_node *n, struct lc_request *r) {
  static const char *const cert_keys[] = {"cert", "key", NULL};
  r->client_cert = r->client_key = NULL;
  if (lc_node_kind(n) == LC_NODE_SCALAR) {
    r->client_cert = readable_file(q, n);
    return;
  }
  if (!expect(q, n, LC_NODE_MAPPING)) return;
  keys(q, n, cert_keys);
  const struct lc_node *v = lc_node_get(n, "cert", NULL);
  if (!v) {
    err_at(q, at(n), NULL, "missing key 'cert' in 'client_cert'");
  } else {
    r->client_cert = readable_file(q, v);
  }
  if ((v = lc_node_get(n, "key", NULL))) r->client_key = readable_file(q, v);
}

/* The options a request shares with `defaults:`; the request's own win. */
static void read_transport(struct rq *q, const struct lc_node *m, struct lc_request *r) {
  const struct lc_node *n;
  if ((n = lc_node_get(m, "timeout", NULL))) {
    int64_t us;
    if (cc_duration(q->c, n, &us) != 0) q->bad = true;
    else if (us <= 0) err_at(q, at(n), NULL, "'timeout' must be greater than 0");
    else r->timeout_us = us;
  }
  if ((n = lc_node_get(m, "follow_redirects", NULL)) && cc_bool(q->c, n, &r->follow_redirects))
    q->bad = true;
  if ((n = lc_node_get(m, "verify_tls", NULL)) && cc_bool(q->c, n, &r->verify_tls))
    q->bad = true;
  else if (n && !r->verify_tls && !q->c->plan->insecure.file)
    q->c->plan->insecure = *at(n); /* the first place that turns verification off, for a warning */
  if ((n = lc_node_get(m, "http_version", NULL))) {
    int v = word(q, n, "http_version", http_versions, version_aliases, false);
    if (v >= 0) r->http_version = v == 0 ? 11 : 2;
  }
  if ((n = lc_node_get(m, "max_body", NULL)) && lc_node_read_size(n, q->c->d, &r->max_body))
    q->bad = true;
  if ((n = lc_node_get(m, "client_cert", NULL))) read_client_cert(q, n, r);
  if ((n = lc_node_get(m, "auth", NULL))) read_auth(q, n, r);
}

/* ---- checks ---- */

static void push_check(struct rq *q, const struct lc_check *ck) {
  struct lc_check *slot = cc_push(q->c, &q->r->checks, &q->r->nchecks, sizeof *slot);
  *slot = *ck;
}

/* "gt 0": a condition as written, for run-time messages. */
static const char *cond_source(struct cc *c, const char *prefix, const char *op,
                               const struct lc_node *v) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  if (prefix) lc_buf_printf(&b, "%s ", prefix);
  lc_buf_puts(&b, op);
  if (lc_node_kind(v) == LC_NODE_SCALAR) {
    lc_buf_append(&b, " ", 1);
    if (lc_node_is_null(v) && lc_node_style(v) == LC_STYLE_PLAIN) lc_buf_puts(&b, "null");
    else lc_buf_append(&b, lc_node_str(v), lc_node_len(v));
  }
  const char *s = cc_strndup(c, b.data, b.len);
  lc_buf_release(&b);
  return s;
}

static bool add_status(struct rq *q, const struct lc_node *n, struct lc_check_status *st) {
  char shown[96];
  if (!expect(q, n, LC_NODE_SCALAR)) return false;
  const char *s = lc_node_str(n);
  size_t len = lc_node_len(n);
  if (len == 3 && s[0] >= '1' && s[0] <= '5' && (s[1] == 'x' || s[1] == 'X') &&
      (s[2] == 'x' || s[2] == 'X')) {
    int cls = s[0] - '0';
    for (size_t i = 0; i < st->nclasses; i++)
      if (st->classes[i] == cls) return true;
    st->classes[st->nclasses++] = cls;
    return true;
  }
  uint64_t v;
  if (lc_parse_uint(s, len, 999, &v) != 0) {
    err_at(q, at(n), NULL,
           "invalid status %s: expected a code from 100 to 599 or a class like '2xx'",
           lc_node_describe(n, shown, sizeof shown));
    return false;
  }
  if (v < 100 || v > 599) {
    err_at(q, at(n), NULL, "status %d is out of range: codes go from 100 to 599", (int)v);
    return false;
  }
  for (size_t i = 0; i < st->ncodes; i++)
    if (st->codes[i] == (int)v) return true;
  if (st->ncodes == LC_ARRAY_LEN(st->codes)) {
    err_at(q, at(n), NULL, "too many status codes: at most %zu, or use a class like '2xx'",
           LC_ARRAY_LEN(st->codes));
    return false;
  }
  st->codes[st->ncodes++] = (int)v;
  return true;
}

static void check_status(struct rq *q, const struct lc_node *n) {
  struct lc_check ck;
  memset(&ck, 0, sizeof ck);
  ck.kind = LC_CHECK_STATUS;
  ck.mark = *at(n);
  bool ok = true;
  if (lc_node_kind(n) == LC_NODE_SEQUENCE) {
    if (lc_node_count(n) == 0) {
      err_at(q, at(n), NULL, "'status' is an empty list: give at least one code or class");
      ok = false;
    }
    for (size_t i = 0; i < lc_node_count(n); i++)
      if (!add_status(q, lc_node_item(n, i), &ck.status)) ok = false;
  } else {
    ok = add_status(q, n, &ck.status);
  }
  if (ok) {
    push_check(q, &ck);
    q->r->has_status_check = true;
  }
}

static void check_strings(struct rq *q, const struct lc_node *n, enum lc_check_kind kind,
                          const char *key) {
  struct lc_check ck;
  memset(&ck, 0, sizeof ck);
  ck.kind = kind;
  ck.mark = *at(n);
  if (cc_strs(q->c, n, &ck.strs) != 0) {
    q->bad = true;
    return;
  }
  for (size_t i = 0; i < ck.strs.n; i++) {
    if (!strstr(ck.strs.items[i], "{{")) continue;
    lc_diag_warning(q->c->d, at(lc_node_kind(n) == LC_NODE_SEQUENCE ? lc_node_item(n, i) : n),
                    "'%s' is matched as written: checks do not render '{{ }}' templates", key);
  }
  if (ck.strs.n) push_check(q, &ck);
  q->r->needs_body = true;
}

/* Reads a number for gt/ge/lt/le (a quoted "5" is accepted: the comparison says it is one). */
static bool cond_number(struct rq *q, const char *op, const struct lc_node *v,
                        struct lc_value *out) {
  double x;
  if (lc_node_kind(v) != LC_NODE_SCALAR || lc_node_read_number(v, NULL, &x) != 0) {
    char shown[96];
    err_at(q, at(v), NULL, "'%s' compares numbers, got %s", op,
           lc_node_describe(v, shown, sizeof shown));
    return false;
  }
  memset(out, 0, sizeof *out);
  out->kind = LC_VALUE_NUMBER;
  out->number = x;
  out->str = cc_strndup(q->c, lc_node_str(v), lc_node_len(v));
  out->len = lc_node_len(v);
  return true;
}

static bool cond_scalar(struct rq *q, const struct lc_node *v, struct lc_value *out) {
  if (lc_node_kind(v) != LC_NODE_SCALAR && looks_like_unquoted_template(v)) {
    tpl(q, v); /* explains the unquoted {{ }} */
    return false;
  }
  if (!expect(q, v, LC_NODE_SCALAR)) return false;
  if (cc_value(q->c, v, out) != 0) {
    q->bad = true;
    return false;
  }
  return true;
}

/* `len: 3` or `len: {gt: 0, le: 10}`: one check per comparison. */
static void json_len(struct rq *q, const struct lc_check *base, const struct lc_node *opkey,
                     const struct lc_node *v) {
  struct lc_check ck = *base;
  ck.cond.op = LC_CMP_LEN;
  if (lc_node_kind(v) == LC_NODE_SCALAR) {
    int64_t want;
    if (lc_node_read_int_range(v, q->c->d, 0, INT64_MAX, &want) != 0) {
      q->bad = true;
      return;
    }
    ck.mark = *at(opkey);
    ck.cond.len_op = LC_CMP_EQ;
    ck.cond.value.kind = LC_VALUE_NUMBER;
    ck.cond.value.number = (double)want;
    ck.cond.source = cond_source(q->c, NULL, "len", v);
    push_check(q, &ck);
    return;
  }
  if (!expect(q, v, LC_NODE_MAPPING)) return;
  if (lc_node_count(v) == 0)
    err_at(q, at(v), NULL, "'len' needs a length or comparisons like {gt: 0}");
  for (size_t i = 0; i < lc_node_count(v); i++) {
    const struct lc_node *k = lc_node_key(v, i), *lv = lc_node_value(v, i);
    int op = word(q, k, "comparison", len_ops, op_aliases, true);
    if (op < 0) continue;
    if (!cond_number(q, len_ops[op], lv, &ck.cond.value)) continue;
    ck.mark = *at(k);
    ck.cond.len_op = (enum lc_cmp_op)op;
    ck.cond.source = cond_source(q->c, "len", len_ops[op], lv);
    push_check(q, &ck);
  }
}

/* One condition of a JSON check: `op` (index in json_ops) with value v. */
static void json_cond(struct rq *q, const struct lc_check *base, int op,
                      const struct lc_node *opkey, const struct lc_node *v) {
  struct lc_check ck = *base;
  ck.mark = *at(opkey);
  ck.cond.op = (enum lc_cmp_op)op;
  switch (ck.cond.op) {
  case LC_CMP_EQ:
  case LC_CMP_NE:
  case LC_CMP_CONTAINS:
    if (!cond_scalar(q, v, &ck.cond.value)) return;
    break;
  case LC_CMP_GT:
  case LC_CMP_GE:
  case LC_CMP_LT:
  case LC_CMP_LE:
    if (!cond_number(q, json_ops[op], v, &ck.cond.value)) return;
    break;
  case LC_CMP_EXISTS:
    ck.cond.value.kind = LC_VALUE_BOOL;
    if (cc_bool(q->c, v, &ck.cond.value.boolean) != 0) {
      q->bad = true;
      return;
    }
    break;
  case LC_CMP_MATCHES:
    if (!(ck.cond.regex = cc_regex(q->c, v))) {
      q->bad = true;
      return;
    }
    ck.cond.value.kind = LC_VALUE_STRING;
    ck.cond.value.str = cc_strndup(q->c, lc_node_str(v), lc_node_len(v));
    ck.cond.value.len = lc_node_len(v);
    break;
  case LC_CMP_LEN: json_len(q, base, opkey, v); return;
  }
  ck.cond.source = cond_source(q->c, NULL, json_ops[op], v);
  push_check(q, &ck);
}

static void check_json(struct rq *q, const struct lc_node *map) {
  if (!expect(q, map, LC_NODE_MAPPING)) return;
  q->r->needs_body = true;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i), *v = lc_node_value(map, i);
    const char *path;
    size_t len;
    if (lc_node_read_string(k, q->c->d, &path, &len) != 0) {
      q->bad = true;
      continue;
    }
    struct lc_check base;
    memset(&base, 0, sizeof base);
    base.kind = LC_CHECK_JSON;
    base.pattern = cc_strndup(q->c, path, len);
    base.path = cc_jsonpath(q->c, k, path, len, 0);
    if (!base.path) q->bad = true;
    if (lc_node_kind(v) == LC_NODE_SCALAR) {
      json_cond(q, &base, LC_CMP_EQ, v, v);
      continue;
    }
    if (looks_like_unquoted_template(v)) {
      tpl(q, v); /* explains the unquoted {{ }} */
      continue;
    }
    if (lc_node_kind(v) == LC_NODE_SEQUENCE) {
      err_at(q, at(v), NULL,
             "a JSON check takes a value or conditions like {gt: 0}, got a sequence");
      continue;
    }
    if (lc_node_count(v) == 0)
      err_at(q, at(v), NULL, "no condition for '%s': use a value or one of %s", base.pattern,
             "eq, ne, gt, ge, lt, le, exists, matches, contains, len");
    for (size_t j = 0; j < lc_node_count(v); j++) {
      const struct lc_node *ok = lc_node_key(v, j);
      int op = word(q, ok, "condition", json_ops, op_aliases, true);
      if (op >= 0) json_cond(q, &base, op, ok, lc_node_value(v, j));
    }
  }
}

/* A condition on text (a header or the URL): equals/contains take a string, matches a regex,
 * exists true/false. */
static void text_cond(struct rq *q, struct lc_check *ck, const char *opname, enum lc_cmp_op op,
                      const struct lc_node *v) {
  ck->cond.op = op;
  memset(&ck->cond.value, 0, sizeof ck->cond.value);
  ck->cond.regex = NULL;
  if (op == LC_CMP_EXISTS) {
    ck->cond.value.kind = LC_VALUE_BOOL;
    if (cc_bool(q->c, v, &ck->cond.value.boolean) != 0) {
      q->bad = true;
      return;
    }
  } else if (op == LC_CMP_MATCHES) {
    if (!(ck->cond.regex = cc_regex(q->c, v))) {
      q->bad = true;
      return;
    }
  } else {
    const char *s;
    size_t len;
    if (lc_node_read_string(v, q->c->d, &s, &len) != 0) {
      q->bad = true;
      return;
    }
  }
  if (op != LC_CMP_EXISTS) {
    ck->cond.value.kind = LC_VALUE_STRING;
    ck->cond.value.str = cc_strndup(q->c, lc_node_str(v), lc_node_len(v));
    ck->cond.value.len = lc_node_len(v);
  }
  ck->cond.source = cond_source(q->c, NULL, opname, v);
  push_check(q, ck);
}

/* A bare string (equals) or {equals|contains|matches[|exists]} for one header or the URL. */
static void text_conds(struct rq *q, struct lc_check *ck, const struct lc_node *v,
                       const char *const *ops) {
  if (lc_node_kind(v) == LC_NODE_SCALAR) {
    ck->mark = *at(v);
    text_cond(q, ck, "equals", LC_CMP_EQ, v);
    return;
  }
  if (looks_like_unquoted_template(v)) {
    tpl(q, v);
    return;
  }
  if (!expect(q, v, LC_NODE_MAPPING)) return;
  if (lc_node_count(v) == 0) {
    struct lc_buf list;
    lc_buf_init(&list, 0);
    for (size_t i = 0; ops[i]; i++) lc_buf_printf(&list, "%s%s", i ? ", " : "", ops[i]);
    err_at(q, at(v), NULL, "no condition: use a string or one of %s", list.data);
    lc_buf_release(&list);
  }
  for (size_t i = 0; i < lc_node_count(v); i++) {
    const struct lc_node *k = lc_node_key(v, i);
    int op = word(q, k, "condition", ops, text_op_aliases, true);
    if (op < 0) continue;
    ck->mark = *at(k);
    text_cond(q, ck, ops[op], header_op_values[op], lc_node_value(v, i));
  }
}

static void check_headers(struct rq *q, const struct lc_node *map) {
  if (!expect(q, map, LC_NODE_MAPPING)) return;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i);
    const char *name = str(q, k);
    if (!name || !check_token(q, k, "header name")) continue;
    struct lc_check ck;
    memset(&ck, 0, sizeof ck);
    ck.kind = LC_CHECK_HEADER;
    ck.header = lower_dup(q->c, name);
    text_conds(q, &ck, lc_node_value(map, i), header_ops);
  }
}

static bool read_size(struct rq *q, const struct lc_node *n, int64_t *out) {
  uint64_t v;
  if (lc_node_read_size(n, q->c->d, &v) != 0) {
    q->bad = true;
    return false;
  }
  *out = v > INT64_MAX ? INT64_MAX : (int64_t)v;
  return true;
}

static void check_size(struct rq *q, const struct lc_node *n) {
  static const char *const size_keys[] = {"min", "max", NULL};
  struct lc_check ck;
  memset(&ck, 0, sizeof ck);
  ck.kind = LC_CHECK_SIZE;
  ck.mark = *at(n);
  ck.size_min = ck.size_max = -1;
  if (lc_node_kind(n) == LC_NODE_SCALAR) {
    if (read_size(q, n, &ck.size_max)) push_check(q, &ck);
    return;
  }
  if (!expect(q, n, LC_NODE_MAPPING)) return;
  keys(q, n, size_keys);
  const struct lc_node *mn = lc_node_get(n, "min", NULL), *mx = lc_node_get(n, "max", NULL);
  if (!mn && !mx) {
    err_at(q, at(n), NULL, "'size' needs 'min' or 'max' (or a size, which is the max)");
    return;
  }
  bool ok = !mn || read_size(q, mn, &ck.size_min);
  if (mx && !read_size(q, mx, &ck.size_max)) ok = false;
  if (!ok) return;
  if (mn && mx && ck.size_min > ck.size_max) {
    err_at(q, at(mn), NULL, "'size': min %lld is larger than max %lld", (long long)ck.size_min,
           (long long)ck.size_max);
    return;
  }
  push_check(q, &ck);
}

/* True when template t reads response.body (a check message may quote it). */
static int var_is_response_body(void *ctx, const struct lc_expr *var) {
  (void)ctx;
  return var->u.var.n >= 2 && var->u.var.parts[0].name && var->u.var.parts[1].name &&
         strcmp(var->u.var.parts[0].name, "response") == 0 &&
         strcmp(var->u.var.parts[1].name, "body") == 0;
}

static bool tpl_reads_body(const struct lc_tpl *t) {
  for (size_t i = 0; t && i < t->n; i++)
    if (t->segs[i].expr && lc_expr_each_var(t->segs[i].expr, var_is_response_body, NULL))
      return true;
  return false;
}

static void read_checks(struct rq *q, const struct lc_node *m) {
  struct lc_request *r = q->r;
  if (!expect(q, m, LC_NODE_MAPPING)) return;
  keys(q, m, check_keys);
  const struct lc_node *n;
  if ((n = lc_node_get(m, "status", NULL))) check_status(q, n);
  if ((n = lc_node_get(m, "body_contains", NULL)))
    check_strings(q, n, LC_CHECK_BODY_CONTAINS, "body_contains");
  if ((n = lc_node_get(m, "body_not_contains", NULL)))
    check_strings(q, n, LC_CHECK_BODY_NOT_CONTAINS, "body_not_contains");
  if ((n = lc_node_get(m, "body_matches", NULL))) {
    struct lc_check ck;
    memset(&ck, 0, sizeof ck);
    ck.kind = LC_CHECK_BODY_MATCHES;
    ck.mark = *at(n);
    r->needs_body = true;
    if ((ck.regex = cc_regex(q->c, n))) {
      ck.pattern = cc_strndup(q->c, lc_node_str(n), lc_node_len(n));
      push_check(q, &ck);
    } else {
      q->bad = true;
    }
  }
  if ((n = lc_node_get(m, "json", NULL))) check_json(q, n);
  if ((n = lc_node_get(m, "headers", NULL))) check_headers(q, n);
  if ((n = lc_node_get(m, "url", NULL))) {
    struct lc_check ck;
    memset(&ck, 0, sizeof ck);
    ck.kind = LC_CHECK_URL;
    text_conds(q, &ck, n, url_ops);
  }
  if ((n = lc_node_get(m, "is_json", NULL))) {
    bool want;
    if (cc_bool(q->c, n, &want) != 0) {
      q->bad = true;
    } else if (want) { /* false asks for nothing */
      struct lc_check ck;
      memset(&ck, 0, sizeof ck);
      ck.kind = LC_CHECK_IS_JSON;
      ck.mark = *at(n);
      push_check(q, &ck);
      r->needs_body = true;
    }
  }
  if ((n = lc_node_get(m, "max_time", NULL))) {
    struct lc_check ck;
    memset(&ck, 0, sizeof ck);
    ck.kind = LC_CHECK_MAX_TIME;
    ck.mark = *at(n);
    if (cc_duration(q->c, n, &ck.us) != 0) q->bad = true;
    else if (ck.us <= 0) err_at(q, at(n), NULL, "'max_time' must be greater than 0");
    else push_check(q, &ck);
  }
  if ((n = lc_node_get(m, "size", NULL))) check_size(q, n);
  if ((n = lc_node_get(m, "message", NULL))) {
    r->message = tpl(q, n);
    if (tpl_reads_body(r->message)) r->needs_body = true;
  }
}

/* ---- captures ---- */

/* The messages of libxml2's XPath errors (XML_XPATH_EXPRESSION_OK = 1200 onwards). */
static const char *const xpath_messages[] = {
    "ok", "number encoding", "unfinished literal", "start of literal",
    "expected $ for variable reference", "undefined variable", "invalid predicate",
    "invalid expression", "missing closing curly brace", "unregistered function",
    "invalid operand", "invalid type", "invalid number of arguments", "invalid context size",
    "invalid context position", "memory allocation error", "syntax error", "resource error",
    "sub resource error", "undefined namespace prefix", "encoding error",
    "character out of the XML range", "invalid or incomplete context", "stack usage error",
    "forbidden variable"};

struct xpath_error {
  bool seen;
  int code;
  int offset;
};

#if LIBXML_VERSION >= 21200
static void xpath_error_cb(void *ctx, const xmlError *e) {
#else
static void xpath_error_cb(void *ctx, xmlErrorPtr e) {
#endif
  struct xpath_error *xe = ctx;
  if (xe->seen) return;
  xe->seen = true;
  xe->code = e->code;
  xe->offset = e->int1;
}

/* Compiles the XPath once to check it (the engine compiles its own per thread). The errors go
 * to a handler on a private context, not to libxml2's default one, which prints to stderr. */
static bool check_xpath(struct rq *q, const struct lc_node *n, const char *s, size_t len) {
  if (len == 0) {
    err_at(q, at(n), NULL, "empty XPath");
    return false;
  }
  if (strlen(s) != len) {
    struct lc_mark m;
    lc_node_mark_at(n, strlen(s), &m);
    err_at(q, &m, NULL, "invalid XPath: it contains a NUL byte");
    return false;
  }
  xmlInitParser();
  xmlXPathContextPtr ctx = xmlXPathNewContext(NULL);
  struct xpath_error xe = {false, 0, 0};
  ctx->error = xpath_error_cb;
  ctx->userData = &xe;
  xmlXPathCompExprPtr comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)s);
  bool compiled = comp != NULL;
  xmlXPathFreeCompExpr(comp);
  xmlXPathFreeContext(ctx);
  if (compiled && !xe.seen) return true;
  int k = xe.code - XML_XPATH_EXPRESSION_OK;
  const char *why = xe.seen && k > 0 && (size_t)k < LC_ARRAY_LEN(xpath_messages)
                        ? xpath_messages[k]
                        : "invalid expression";
  size_t off = xe.offset > 0 && (size_t)xe.offset <= len ? (size_t)xe.offset : 0;
  struct lc_mark m;
  lc_node_mark_at(n, off, &m);
  err_at(q, &m, NULL, "invalid XPath '%.*s': %s", (int)(len > 60 ? 60 : len), s, why);
  return false;
}

/* `group: N|name` of a regex capture, checked against the pattern. */
static void capture_group(struct rq *q, struct lc_capture *cap, const struct lc_node *n) {
  uint32_t count = 0;
  pcre2_pattern_info(cap->regex, PCRE2_INFO_CAPTURECOUNT, &count);
  if (!expect(q, n, LC_NODE_SCALAR)) return;
  const char *s = lc_node_str(n);
  size_t len = lc_node_len(n);
  bool numeric = len > 0;
  for (size_t i = (len && (s[0] == '-' || s[0] == '+')) ? 1 : 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9') numeric = false;
  if (numeric) {
    int64_t g;
    if (lc_node_read_int_range(n, q->c->d, 0, INT32_MAX, &g) != 0) {
      q->bad = true;
      return;
    }
    if (g > (int64_t)count) {
      err_at(q, at(n), NULL, "regex has no group %lld", (long long)g);
      return;
    }
    cap->group = (int)g;
    return;
  }
  int num = len && strlen(s) == len
                ? pcre2_substring_number_from_name(cap->regex, (PCRE2_SPTR)s)
                : PCRE2_ERROR_NOSUBSTRING;
  if (num >= 0) {
    cap->group = num;
    cap->group_name = cc_strndup(q->c, s, len);
    return;
  }
  /* Suggest one of the pattern's names. */
  uint32_t nnames = 0, entry = 0;
  PCRE2_SPTR table = NULL;
  pcre2_pattern_info(cap->regex, PCRE2_INFO_NAMECOUNT, &nnames);
  pcre2_pattern_info(cap->regex, PCRE2_INFO_NAMEENTRYSIZE, &entry);
  pcre2_pattern_info(cap->regex, PCRE2_INFO_NAMETABLE, &table);
  const char **names = lc_xcalloc(nnames + 1, sizeof *names);
  for (uint32_t i = 0; i < nnames && table; i++) names[i] = (const char *)(table + i * entry + 2);
  const char *hint = len && strlen(s) == len ? lc_suggest(s, names) : NULL;
  char shown[96];
  err_at(q, at(n), hint, "regex has no group named %s", lc_node_describe(n, shown, sizeof shown));
  free(names);
}

static void read_capture(struct rq *q, const struct lc_node *k, const struct lc_node *v) {
  struct lc_request *r = q->r;
  char shown[96];
  const char *name = str(q, k);
  if (!name) return;
  if (!cc_var_name(q->c, k, name)) {
    q->bad = true;
    return;
  }
  for (size_t i = 0; i < r->ncaptures; i++) {
    if (strcmp(r->captures[i].var, name) == 0) {
      err_at(q, at(k), NULL, "variable '%s' is captured twice in this request", name);
      return;
    }
  }
  if (lc_node_kind(v) != LC_NODE_MAPPING) {
    err_at(q, at(v), NULL, "capture '%s' takes a mapping like {json: $.token}, got %s", name,
           lc_node_describe(v, shown, sizeof shown));
    return;
  }
  bool known = keys(q, v, capture_keys);
  struct lc_capture cap;
  memset(&cap, 0, sizeof cap);
  cap.var = name;
  cap.mark = *at(k);
  const struct lc_node *src = NULL;
  int kind = -1;
  for (size_t i = 0; i < lc_node_count(v); i++) {
    const struct lc_node *sk = lc_node_key(v, i);
    for (int j = 0; capture_sources[j]; j++) {
      if (!lc_node_is(sk, capture_sources[j])) continue;
      if (src)
        err_at(q, at(sk), NULL, "'%s' cannot be used with '%s': a capture has one source",
               capture_sources[j], capture_sources[kind]);
      else {
        src = lc_node_value(v, i);
        kind = j;
      }
    }
  }
  if (!src) {
    if (known)
      err_at(q, at(v), NULL,
             "capture '%s' needs a source: one of json, regex, header, cookie, xpath", name);
    return;
  }
  cap.kind = (enum lc_capture_kind)kind;
  const char *s;
  size_t len;
  bool ok = true;
  if (cap.kind == LC_CAPTURE_REGEX) {
    ok = (cap.regex = cc_regex(q->c, src)) != NULL;
    if (ok) {
      uint32_t count = 0;
      pcre2_pattern_info(cap.regex, PCRE2_INFO_CAPTURECOUNT, &count);
      cap.group = count >= 1 ? 1 : 0;
    }
  } else if (lc_node_read_string(src, q->c->d, &s, &len) != 0) {
    ok = false;
  } else if (cap.kind == LC_CAPTURE_JSON) {
    ok = (cap.path = cc_jsonpath(q->c, src, s, len, 0)) != NULL;
  } else if (cap.kind == LC_CAPTURE_XPATH) {
    ok = check_xpath(q, src, s, len);
  } else if (cap.kind == LC_CAPTURE_HEADER) {
    ok = check_token(q, src, "header name");
  } else if (len == 0) {
    err_at(q, at(src), NULL, "empty cookie name");
    ok = false;
  }
  if (!ok) {
    q->bad = true;
    return;
  }
  cap.source = cc_strndup(q->c, lc_node_str(src), lc_node_len(src));
  if (cap.kind == LC_CAPTURE_JSON || cap.kind == LC_CAPTURE_REGEX ||
      cap.kind == LC_CAPTURE_XPATH)
    r->needs_body = true;

  const struct lc_node *gk = NULL, *n;
  if ((n = lc_node_get(v, "group", &gk))) {
    if (cap.kind != LC_CAPTURE_REGEX)
      err_at(q, at(gk), NULL, "'group' is only for 'regex' captures");
    else
      capture_group(q, &cap, n);
  }
  if ((n = lc_node_get(v, "pick", NULL))) {
    int p;
    if (cc_enum(q->c, n, pick_names, &p) == 0) cap.pick = (enum lc_pick)p;
    else q->bad = true;
  }
  if ((n = lc_node_get(v, "default", NULL))) {
    if (cond_scalar(q, n, &cap.default_value)) cap.has_default = true;
  }
  struct lc_capture *slot = cc_push(q->c, &r->captures, &r->ncaptures, sizeof *slot);
  *slot = cap;
}

static void read_captures(struct rq *q, const struct lc_node *m) {
  if (!expect(q, m, LC_NODE_MAPPING)) return;
  for (size_t i = 0; i < lc_node_count(m); i++)
    read_capture(q, lc_node_key(m, i), lc_node_value(m, i));
}

/* ---- the request ---- */

const char *cc_method_key(const char *key) {
  for (size_t i = 0; i < LC_ARRAY_LEN(method_keys); i++)
    if (strcmp(key, method_keys[i][0]) == 0) return method_keys[i][1];
  return NULL;
}

/* The URL: a template whose literal start, if any, is a path or an http(s) URL. */
static void read_url(struct rq *q, const struct lc_node *n) {
  struct lc_request *r = q->r;
  if (!(r->url = tpl(q, n))) return;
  r->url_source = cc_strndup(q->c, lc_node_str(n), lc_node_len(n));
  const struct lc_tpl_seg *first = r->url->n ? &r->url->segs[0] : NULL;
  if (first && first->kind == LC_TPL_EXPR) return; /* known when rendered */
  if (first && (first->text[0] == '/' || istarts(first->text, first->len, "http://") ||
                istarts(first->text, first->len, "https://")))
    return;
  char shown[96];
  err_at(q, at(n), NULL, "a URL must start with '/' or http:// or https://, got %s",
         lc_node_describe(n, shown, sizeof shown));
}

/* `request: {method, url}`. */
static void read_long_form(struct rq *q, const struct lc_node *n) {
  static const char *const long_keys[] = {"method", "url", NULL};
  if (!expect(q, n, LC_NODE_MAPPING)) return;
  keys(q, n, long_keys);
  const struct lc_node *m = lc_node_get(n, "method", NULL), *u = lc_node_get(n, "url", NULL);
  if (!m) err_at(q, at(n), NULL, "missing key 'method' in 'request'");
  if (!u) err_at(q, at(n), NULL, "missing key 'url' in 'request'");
  if (m && str(q, m) && check_token(q, m, "method")) {
    const char *s = lc_node_str(m);
    size_t len = lc_node_len(m);
    char *up = cc_alloc(q->c, len + 1);
    for (size_t i = 0; i < len; i++)
      up[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    q->r->method = up;
  }
  if (u) read_url(q, u);
}

/* body, json, form or multipart: the first in the mapping is the body, others are errors. */
static void read_body(struct rq *q, const struct lc_node *step) {
  struct lc_request *r = q->r;
  const char *first = NULL;
  for (size_t i = 0; i < lc_node_count(step); i++) {
    const struct lc_node *k = lc_node_key(step, i), *v = lc_node_value(step, i);
    int which = -1;
    for (int j = 0; body_keys[j]; j++)
      if (lc_node_is(k, body_keys[j])) which = j;
    if (which < 0) continue;
    if (first) {
      err_at(q, at(k), NULL, "'%s' cannot be used with '%s': a request has one body",
             body_keys[which], first);
      continue;
    }
    first = body_keys[which];
    switch (which) {
    case 0:
      r->body_kind = LC_BODY_RAW;
      read_raw_body(q, v);
      break;
    case 1:
      r->body_kind = LC_BODY_JSON;
      read_json_body(q, v);
      break;
    case 2:
      r->body_kind = LC_BODY_FORM;
      read_params(q, v, &r->form);
      break;
    default:
      r->body_kind = LC_BODY_MULTIPART;
      read_multipart(q, v);
      break;
    }
  }
}

struct lc_request *cc_request(struct cc *c, const struct lc_node *step, const char *method_key) {
  struct rq q = {c, NULL, false};
  if (!lc_node_expect(step, LC_NODE_MAPPING, c->d)) return NULL;
  const struct lc_node *key = NULL;
  const struct lc_node *target = lc_node_get(step, method_key, &key);
  const char *method = cc_method_key(method_key);
  if (!target || (!method && strcmp(method_key, "request") != 0)) {
    lc_diag_error(c->d, lc_node_mark(step), "expected a request ('get: /path' or 'request:')");
    return NULL;
  }
  struct lc_request *r = q.r = cc_alloc(c, sizeof *r);
  const struct lc_request *D = &c->plan->defaults;
  r->mark = *lc_node_mark(key);
  r->method = method;
  if (method) read_url(&q, target);
  else read_long_form(&q, target);

  /* defaults and the class's headers (already merged into class_headers while a class is
   * compiled), then the request's own */
  const struct lc_kvs *base = c->class_node ? &c->class_headers : &D->headers;
  for (size_t i = 0; i < base->n; i++) merge_kv(c, &r->headers, &base->items[i]);
  r->timeout_us = D->timeout_us;
  r->follow_redirects = D->follow_redirects;
  r->verify_tls = D->verify_tls;
  r->http_version = D->http_version;
  r->max_body = D->max_body;
  r->client_cert = D->client_cert;
  r->client_key = D->client_key;
  r->auth_kind = D->auth_kind;
  r->auth_user = D->auth_user;
  r->auth_password = D->auth_password;
  r->auth_token = D->auth_token;
  r->on_failure = c->class_on_failure;

  const struct lc_node *n, *stream_node = NULL;
  if ((n = lc_node_get(step, "name", NULL))) r->name = tpl(&q, n);
  if ((n = lc_node_get(step, "headers", NULL))) read_headers(&q, n, &r->headers);
  if ((n = lc_node_get(step, "query", NULL))) read_params(&q, n, &r->query);
  read_body(&q, step);
  read_transport(&q, step, r);
  if ((n = lc_node_get(step, "stream", NULL))) {
    if (cc_bool(c, n, &r->stream) != 0) q.bad = true;
    else if (r->stream) stream_node = n;
  }
  if ((n = lc_node_get(step, "on_failure", NULL))) {
    int e;
    if (cc_enum(c, n, on_failure_names, &e) == 0) r->on_failure = (enum lc_on_failure)e;
    else q.bad = true;
  }
  if ((n = lc_node_get(step, "check", NULL))) read_checks(&q, n);
  if ((n = lc_node_get(step, "capture", NULL))) read_captures(&q, n);
  if (r->needs_body && stream_node)
    err_at(&q, lc_node_mark(stream_node), NULL,
           "'stream: true' keeps no body, but a check or capture of this request reads it");
  else if (r->needs_body && r->max_body == 0)
    /* at the request's own max_body when it has one, else at the request (from defaults) */
    lc_diag_warning(c->d, lc_node_mark((n = lc_node_get(step, "max_body", NULL)) ? n : key),
                    "'max_body' is 0, so the checks and captures that read the body see it "
                    "empty");
  return q.bad ? NULL : r;
}

int cc_headers(struct cc *c, const struct lc_node *map, struct lc_kvs *out) {
  struct rq q = {c, NULL, false};
  read_headers(&q, map, out);
  return q.bad ? -1 : 0;
}

int cc_request_defaults(struct cc *c, const struct lc_node *defaults, struct lc_request *out) {
  struct rq q = {c, out, false};
  out->timeout_us = 60 * INT64_C(1000000);
  out->follow_redirects = true;
  out->verify_tls = true;
  out->http_version = 11;
  out->max_body = 10 * MIB;
  out->on_failure = LC_ON_FAILURE_CONTINUE;
  if (!defaults) return 0;
  if (!expect(&q, defaults, LC_NODE_MAPPING)) return -1;
  out->mark = *lc_node_mark(defaults);
  keys(&q, defaults, defaults_keys);
  const struct lc_node *n;
  if ((n = lc_node_get(defaults, "headers", NULL))) read_headers(&q, n, &out->headers);
  read_transport(&q, defaults, out);
  return q.bad ? -1 : 0;
}
