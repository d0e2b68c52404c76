/* request.c: rendering a plan request into an HTTP request, and judging its response with the
 * default rule or the request's checks, then running its captures (see request.h). */
#include "engine/request.h"
#include "engine/redact.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <pcre2.h>

#include "config/jsonpath.h"
#include "engine/value.h"

enum { MAX_URL = 64 << 10, MAX_HEADERS_BYTES = 256 << 10, MAX_BODY = 64 << 20 };

struct lc_request_build {
  struct lc_http_request http;
  struct lc_buf url;
  struct lc_buf body;
  struct lc_buf name;
  struct lc_buf hstore;              /* header names and values, NUL-separated */
  size_t *hoffsets;                  /* 2 per header: name and value offsets into hstore */
  struct lc_http_header *headers;
  size_t nheaders;
  struct lc_buf pstore;              /* multipart field values and names */
  size_t *poffsets;                  /* 2 per part: name and value offsets into pstore */
  struct lc_http_part *parts;
  struct lc_buf auth;                /* user '\0' password '\0' */
  const char *name_ptr;              /* the stats name */
};

/* ---- rendering ---- */

static int render_to(const struct lc_tpl *t, const struct lc_eval_ctx *ctx, struct lc_buf *out,
                     struct lc_buf *err) {
  return t ? lc_render(t, ctx, out, err) : 0;
}

/* Renders t percent-encoding its literal text too (query and form values: the compiler marks
 * their expressions LC_ESC_URL; the text written in the scenario is encoded here). */
static int render_encoded(const struct lc_tpl *t, const struct lc_eval_ctx *ctx,
                          struct lc_buf *out, struct lc_buf *err) {
  for (size_t i = 0; i < t->n; i++) {
    struct lc_tpl_seg seg = t->segs[i];
    if (seg.kind == LC_TPL_TEXT) {
      if (lc_url_encode(seg.text, seg.len, lc_buf_writer, out) != 0) goto too_big;
      continue;
    }
    seg.escape = LC_ESC_URL;
    struct lc_tpl one = {&seg, 1};
    if (lc_render(&one, ctx, out, err) != 0) return -1;
  }
  return 0;
too_big:
  lc_buf_reset(err);
  lc_buf_puts(err, "the rendered value is too large");
  return -1;
}

static int encode_pairs(const struct lc_kvs *kv, const struct lc_eval_ctx *ctx,
                        struct lc_buf *out, bool first, struct lc_buf *err) {
  for (size_t i = 0; i < kv->n; i++) {
    if (!first || i) lc_buf_append(out, "&", 1);
    if (lc_url_encode(kv->items[i].name, strlen(kv->items[i].name), lc_buf_writer, out) != 0 ||
        lc_buf_append(out, "=", 1) != 0)
      return -1;
    if (render_encoded(kv->items[i].value, ctx, out, err) != 0) return -1;
  }
  return 0;
}

static bool has_header(const struct lc_request *r, const char *name) {
  for (size_t i = 0; i < r->headers.n; i++)
    if (strcasecmp(r->headers.items[i].name, name) == 0) return true;
  return false;
}

/* Appends "name\0value\0" to hstore, remembering offsets. */
static void add_header(struct lc_request_build *b, const char *name, const char *value,
                       size_t vlen) {
  b->hoffsets = lc_xrealloc(b->hoffsets, (b->nheaders + 1) * 2 * sizeof *b->hoffsets);
  b->hoffsets[2 * b->nheaders] = b->hstore.len;
  lc_buf_append(&b->hstore, name, strlen(name) + 1);
  b->hoffsets[2 * b->nheaders + 1] = b->hstore.len;
  lc_buf_append(&b->hstore, value, vlen);
  lc_buf_append(&b->hstore, "", 1);
  b->nheaders++;
}

static int build_headers(struct lc_request_build *b, const struct lc_request *r,
                         const struct lc_eval_ctx *ctx, struct lc_buf *err) {
  struct lc_buf v;
  lc_buf_init(&v, MAX_HEADERS_BYTES);
  for (size_t i = 0; i < r->headers.n; i++) {
    lc_buf_reset(&v);
    if (render_to(r->headers.items[i].value, ctx, &v, err) != 0) {
      lc_buf_release(&v);
      return -1;
    }
    if (v.len && (memchr(v.data, '\r', v.len) || memchr(v.data, '\n', v.len))) {
      lc_buf_reset(err);
      lc_buf_printf(err, "header '%s': the rendered value contains a line break",
                    r->headers.items[i].name);
      lc_buf_release(&v);
      return -1;
    }
    add_header(b, r->headers.items[i].name, v.data ? v.data : "", v.len);
  }
  if (r->auth_kind == LC_AUTH_BEARER && !has_header(r, "Authorization")) {
    lc_buf_reset(&v);
    lc_buf_puts(&v, "Bearer ");
    if (render_to(r->auth_token, ctx, &v, err) != 0) {
      lc_buf_release(&v);
      return -1;
    }
    add_header(b, "Authorization", v.data, v.len);
  }
  if (r->body_kind == LC_BODY_JSON && !has_header(r, "Content-Type"))
    add_header(b, "Content-Type", "application/json", 16);
  if (r->body_kind == LC_BODY_FORM && !has_header(r, "Content-Type"))
    add_header(b, "Content-Type", "application/x-www-form-urlencoded", 33);
  lc_buf_release(&v);
  return 0;
}

static int build_parts(struct lc_request_build *b, const struct lc_request *r,
                       const struct lc_eval_ctx *ctx, struct lc_buf *err) {
  if (r->nparts == 0) return 0;
  b->parts = lc_xcalloc(r->nparts, sizeof *b->parts);
  b->poffsets = lc_xcalloc(r->nparts * 2, sizeof *b->poffsets);
  for (size_t i = 0; i < r->nparts; i++) {
    const struct lc_multipart_part *p = &r->parts[i];
    b->parts[i].path = p->path;
    b->parts[i].content_type = p->content_type;
    b->parts[i].filename = p->filename;
    b->poffsets[2 * i] = b->pstore.len;
    lc_buf_append(&b->pstore, p->name, strlen(p->name) + 1);
    b->poffsets[2 * i + 1] = b->pstore.len;
    if (p->value) {
      size_t before = b->pstore.len;
      if (render_to(p->value, ctx, &b->pstore, err) != 0) return -1;
      b->parts[i].value_len = b->pstore.len - before;
      lc_buf_append(&b->pstore, "", 1);
    }
  }
  return 0;
}

static void fix_pointers(struct lc_request_build *b, const struct lc_request *r) {
  b->headers = lc_xcalloc(b->nheaders ? b->nheaders : 1, sizeof *b->headers);
  for (size_t i = 0; i < b->nheaders; i++) {
    b->headers[i].name = b->hstore.data + b->hoffsets[2 * i];
    b->headers[i].value = b->hstore.data + b->hoffsets[2 * i + 1];
  }
  for (size_t i = 0; i < r->nparts; i++) {
    b->parts[i].name = b->pstore.data + b->poffsets[2 * i];
    b->parts[i].value = r->parts[i].value ? b->pstore.data + b->poffsets[2 * i + 1] : NULL;
  }
}

struct lc_request_build *lc_request_build(const struct lc_request *r, const char *base_url,
                                          const struct lc_eval_ctx *ctx, struct lc_buf *err) {
  struct lc_request_build *b = lc_xcalloc(1, sizeof *b);
  lc_buf_init(&b->url, MAX_URL);
  lc_buf_init(&b->body, MAX_BODY);
  lc_buf_init(&b->name, 4096);
  lc_buf_init(&b->hstore, MAX_HEADERS_BYTES);
  lc_buf_init(&b->pstore, MAX_BODY);
  lc_buf_init(&b->auth, 8192);

  /* URL: relative ones join the host as written (Locust's rule) */
  struct lc_buf path;
  lc_buf_init(&path, MAX_URL);
  if (render_to(r->url, ctx, &path, err) != 0) goto fail_path;
  const char *p = path.data ? path.data : "";
  if (strncmp(p, "http://", 7) != 0 && strncmp(p, "https://", 8) != 0) {
    if (!base_url) {
      lc_buf_reset(err);
      lc_buf_printf(err, "no host for '%s': give 'host:' in the scenario or --host", p);
      goto fail_path;
    }
    size_t bl = strlen(base_url);
    if (bl && base_url[bl - 1] == '/' && p[0] == '/') bl--;
    lc_buf_append(&b->url, base_url, bl);
  }
  if (lc_buf_append(&b->url, p, path.len) != 0) goto too_long;
  lc_buf_release(&path);
  if (r->query.n) {
    bool first = strchr(b->url.data, '?') == NULL;
    lc_buf_append(&b->url, first ? "?" : "", first ? 1 : 0);
    if (encode_pairs(&r->query, ctx, &b->url, first, err) != 0) goto fail;
  }

  if (r->name) {
    if (render_to(r->name, ctx, &b->name, err) != 0) goto fail;
    b->name_ptr = b->name.data ? b->name.data : "";
  } else {
    b->name_ptr = r->url_source;
  }

  if (build_headers(b, r, ctx, err) != 0) goto fail;
  switch (r->body_kind) {
  case LC_BODY_NONE: break;
  case LC_BODY_RAW:
  case LC_BODY_JSON:
    if (render_to(r->body, ctx, &b->body, err) != 0) goto fail;
    lc_buf_append(&b->body, "", 0);
    break;
  case LC_BODY_FORM:
    if (encode_pairs(&r->form, ctx, &b->body, true, err) != 0) goto fail;
    lc_buf_append(&b->body, "", 0);
    break;
  case LC_BODY_MULTIPART:
    if (build_parts(b, r, ctx, err) != 0) goto fail;
    break;
  }
  if (r->auth_kind == LC_AUTH_BASIC || r->auth_kind == LC_AUTH_DIGEST) {
    if (render_to(r->auth_user, ctx, &b->auth, err) != 0) goto fail;
    size_t split = b->auth.len;
    lc_buf_append(&b->auth, "", 1);
    if (render_to(r->auth_password, ctx, &b->auth, err) != 0) goto fail;
    lc_buf_append(&b->auth, "", 1);
    b->http.auth_user = b->auth.data;
    b->http.auth_password = b->auth.data + split + 1;
    b->http.auth_digest = r->auth_kind == LC_AUTH_DIGEST;
  }
  fix_pointers(b, r);

  struct lc_http_request *h = &b->http;
  h->method = r->method;
  h->url = b->url.data;
  h->headers = b->headers;
  h->nheaders = b->nheaders;
  if (r->body_kind == LC_BODY_RAW || r->body_kind == LC_BODY_JSON || r->body_kind == LC_BODY_FORM) {
    h->body = b->body.data ? b->body.data : "";
    h->body_len = b->body.len;
  }
  h->parts = b->parts;
  h->nparts = r->body_kind == LC_BODY_MULTIPART ? r->nparts : 0;
  h->timeout_us = r->timeout_us;
  h->follow_redirects = r->follow_redirects;
  h->verify_tls = r->verify_tls;
  h->http_version = r->http_version;
  h->stream = r->stream;
  h->keep_body = r->needs_body;
  h->max_body = r->max_body;
  h->client_cert = r->client_cert;
  h->client_key = r->client_key;
  return b;

too_long:
  lc_buf_reset(err);
  lc_buf_puts(err, "the rendered URL is longer than 64 KB");
fail_path:
  lc_buf_release(&path);
fail:
  lc_request_build_free(b);
  return NULL;
}

const struct lc_http_request *lc_request_build_http(const struct lc_request_build *b) {
  return &b->http;
}

const char *lc_request_build_name(const struct lc_request_build *b) { return b->name_ptr; }

void lc_request_build_free(struct lc_request_build *b) {
  if (!b) return;
  lc_buf_release(&b->url);
  lc_buf_release(&b->body);
  lc_buf_release(&b->name);
  lc_buf_release(&b->hstore);
  lc_buf_release(&b->pstore);
  lc_buf_release(&b->auth);
  free(b->hoffsets);
  free(b->headers);
  free(b->poffsets);
  free(b->parts);
  free(b);
}

/* ---- judging the response ---- */

/* The response as checks and captures see it, with the JSON body parsed at most once. */
struct judged {
  const struct lc_http_response *resp;
  int64_t response_time_us;
  json_t *json;
  bool json_tried;
  char json_error[160];
};

static json_t *body_json(struct judged *j) {
  if (!j->json_tried) {
    j->json_tried = true;
    json_error_t e;
    if (j->resp->body)
      j->json = json_loadb(j->resp->body, j->resp->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    else
      snprintf(e.text, sizeof e.text, "no body");
    if (!j->json) snprintf(j->json_error, sizeof j->json_error, "%s", e.text);
  }
  return j->json;
}

static const char *find_header(const struct lc_http_response *resp, const char *name) {
  for (size_t i = 0; i < resp->nheaders; i++)
    if (strcasecmp(resp->headers[i].name, name) == 0) return resp->headers[i].value;
  return NULL;
}

/* PCRE2 match data, one per thread (worker) and grown to the largest pattern met, so that
 * judging a response allocates none: freed by lc_request_thread_release. */
static _Thread_local pcre2_match_data *tl_md;
static _Thread_local uint32_t tl_pairs;

static pcre2_match_data *match_data(const pcre2_code *re) {
  uint32_t groups = 0;
  pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
  if (!tl_md || tl_pairs < groups + 1) {
    pcre2_match_data_free(tl_md);
    tl_pairs = groups + 1 < 16 ? 16 : groups + 1;
    tl_md = pcre2_match_data_create(tl_pairs, NULL);
    if (!tl_md) {
      lc_log(LC_LOG_ERROR, "out of memory (PCRE2 match data)");
      abort();
    }
  }
  return tl_md;
}

void lc_request_thread_release(void) {
  pcre2_match_data_free(tl_md);
  tl_md = NULL;
  tl_pairs = 0;
}

static bool regex_find(void *re, const char *s, size_t n, size_t group, const char **out,
                       size_t *out_len) {
  pcre2_match_data *md = match_data(re);
  int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
  bool found = rc >= 0 && (int)group < rc;
  if (found) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[2 * group] == PCRE2_UNSET) {
      found = false;
    } else {
      *out = s + ov[2 * group];
      *out_len = ov[2 * group + 1] - ov[2 * group];
    }
  }
  return found;
}

static char *msg(const char *fmt, ...) LC_PRINTF(1, 2);
static char *msg(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return lc_xstrdup(buf);
}

/* A short, printable quote of a value for messages. */
static void quote(char *out, size_t n, const char *s, size_t len) {
  size_t k = 0;
  for (size_t i = 0; i < len && k + 4 < n; i++) {
    unsigned char c = (unsigned char)s[i];
    out[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  if (len > 0 && k + 4 >= n) {
    out[k++] = '.';
    out[k++] = '.';
    out[k++] = '.';
  }
  out[k] = '\0';
}

static void val_text(const struct lc_val *v, char *out, size_t n) {
  struct lc_buf b;
  lc_buf_init(&b, 4096);
  lc_val_to_text(v, &b);
  quote(out, n, b.data ? b.data : "", b.len);
  lc_buf_release(&b);
}

/* The plan's literal as a run-time value. */
static struct lc_val literal(const struct lc_value *v) {
  switch (v->kind) {
  case LC_VALUE_NULL: return lc_val_null();
  case LC_VALUE_BOOL: return lc_val_bool(v->boolean);
  case LC_VALUE_NUMBER: return lc_val_num(v->number);
  case LC_VALUE_STRING: return lc_val_str(v->str, v->len);
  }
  return lc_val_null();
}

static size_t val_len(const struct lc_val *v) {
  if (v->kind == LC_VAL_STR) return v->u.str.len;
  if (v->kind == LC_VAL_LIST) return v->u.list.n;
  if (v->kind == LC_VAL_JSON) {
    if (json_is_array(v->u.json)) return json_array_size(v->u.json);
    if (json_is_object(v->u.json)) return json_object_size(v->u.json);
  }
  return 0;
}

static bool cmp_holds(enum lc_cmp_op op, int cmp) {
  switch (op) {
  case LC_CMP_EQ: return cmp == 0;
  case LC_CMP_NE: return cmp != 0;
  case LC_CMP_GT: return cmp > 0;
  case LC_CMP_GE: return cmp >= 0;
  case LC_CMP_LT: return cmp < 0;
  case LC_CMP_LE: return cmp <= 0;
  default: return false;
  }
}

/* Does value v meet cond? */
static bool cond_holds(const struct lc_cond *c, const struct lc_val *v) {
  struct lc_val want = literal(&c->value);
  switch (c->op) {
  case LC_CMP_EQ: return lc_val_equal(v, &want);
  case LC_CMP_NE: return !lc_val_equal(v, &want);
  case LC_CMP_GT:
  case LC_CMP_GE:
  case LC_CMP_LT:
  case LC_CMP_LE: {
    int cmp;
    double a, b;
    if (!lc_val_number(v, &a) || !lc_val_number(&want, &b)) return false;
    cmp = a < b ? -1 : a > b ? 1 : 0;
    return cmp_holds(c->op, cmp);
  }
  case LC_CMP_EXISTS: return c->value.boolean;
  case LC_CMP_MATCHES: {
    struct lc_buf t;
    lc_buf_init(&t, 0);
    lc_val_to_text(v, &t);
    const char *m;
    size_t ml;
    bool ok = regex_find(c->regex, t.data ? t.data : "", t.len, 0, &m, &ml);
    lc_buf_release(&t);
    return ok;
  }
  case LC_CMP_CONTAINS: {
    if (v->kind == LC_VAL_LIST || (v->kind == LC_VAL_JSON && json_is_array(v->u.json))) {
      size_t n = lc_val_list_len(v);
      for (size_t i = 0; i < n; i++) {
        struct lc_val item;
        if (lc_val_list_get(v, i, &item) == 0 && lc_val_equal(&item, &want)) return true;
      }
      return false;
    }
    struct lc_buf t, w;
    lc_buf_init(&t, 0);
    lc_buf_init(&w, 0);
    lc_val_to_text(v, &t);
    lc_val_to_text(&want, &w);
    bool ok = w.len == 0 || (t.len >= w.len && t.data &&
                             lc_memmem(t.data, t.len, w.data, w.len) != NULL);
    lc_buf_release(&t);
    lc_buf_release(&w);
    return ok;
  }
  case LC_CMP_LEN: {
    double b;
    if (!lc_val_number(&want, &b)) return false;
    double a = (double)val_len(v);
    return cmp_holds(c->len_op, a < b ? -1 : a > b ? 1 : 0);
  }
  }
  return false;
}

struct collect {
  const json_t *items[64];
  size_t n, total;
};

static int collect_json(void *ctx, const json_t *v) {
  struct collect *c = ctx;
  if (c->n < LC_ARRAY_LEN(c->items)) c->items[c->n++] = v;
  c->total++;
  return 0;
}

static char *check_json(const struct lc_check *ck, struct judged *j) {
  json_t *doc = body_json(j);
  if (!doc) return msg("check json %s: the body is not JSON (%s)", ck->pattern, j->json_error);
  struct collect col = {{0}, 0, 0};
  lc_jsonpath_eval(ck->path, doc, collect_json, &col);
  if (ck->cond.op == LC_CMP_EXISTS) {
    bool exists = col.total > 0;
    if (exists == ck->cond.value.boolean) return NULL;
    return msg("check json %s: %s", ck->pattern, exists ? "exists, want absent" : "not found");
  }
  if (col.total == 0) return msg("check json %s: not found, want %s", ck->pattern, ck->cond.source);
  /* a path with wildcards must hold for every value it finds */
  for (size_t i = 0; i < col.n; i++) {
    struct lc_val v = lc_val_json((json_t *)col.items[i]);
    if (ck->cond.op == LC_CMP_LEN && json_is_string(col.items[i]))
      v = lc_val_str(json_string_value(col.items[i]), json_string_length(col.items[i]));
    if (!cond_holds(&ck->cond, &v)) {
      char got[96];
      if (ck->cond.op == LC_CMP_LEN)
        snprintf(got, sizeof got, "length %zu", val_len(&v));
      else
        val_text(&v, got, sizeof got);
      return msg("check json %s: got %s, want %s", ck->pattern, got, ck->cond.source);
    }
  }
  return NULL;
}

static void status_want(const struct lc_check_status *s, char *out, size_t n) {
  size_t k = 0;
  out[0] = '\0';
  for (size_t i = 0; i < s->ncodes && k < n; i++)
    k += (size_t)snprintf(out + k, n - k, "%s%d", k ? " or " : "", s->codes[i]);
  for (size_t i = 0; i < s->nclasses && k < n; i++)
    k += (size_t)snprintf(out + k, n - k, "%s%dxx", k ? " or " : "", s->classes[i]);
}

static bool status_ok(const struct lc_check_status *s, int status) {
  for (size_t i = 0; i < s->ncodes; i++)
    if (s->codes[i] == status) return true;
  for (size_t i = 0; i < s->nclasses; i++)
    if (s->classes[i] == status / 100) return true;
  return false;
}

static char *check_text(const struct lc_check *ck, const char *what, const char *s, size_t n) {
  struct lc_val v = lc_val_str(s ? s : "", s ? n : 0);
  if (ck->cond.op == LC_CMP_EXISTS) {
    if ((s != NULL) == ck->cond.value.boolean) return NULL;
    return msg("check %s: %s", what, s ? "present, want absent" : "missing");
  }
  if (!s) return msg("check %s: missing, want %s", what, ck->cond.source);
  if (cond_holds(&ck->cond, &v)) return NULL;
  if (ck->kind == LC_CHECK_HEADER && lc_redact_header_is_sensitive(ck->header))
    return msg("check %s: got %s (a credential, not shown), want %s", what, LC_REDACTED,
               ck->cond.source);
  char got[96];
  quote(got, sizeof got, s, n);
  return msg("check %s: got '%s', want %s", what, got, ck->cond.source);
}

/* Runs one check; returns the failure message (owned) or NULL. */
static char *run_check(const struct lc_check *ck, struct judged *j) {
  const struct lc_http_response *r = j->resp;
  const char *body = r->body ? r->body : "";
  size_t blen = r->body ? r->body_len : 0;
  switch (ck->kind) {
  case LC_CHECK_STATUS: {
    if (status_ok(&ck->status, r->status)) return NULL;
    char want[128];
    status_want(&ck->status, want, sizeof want);
    return msg("check status: got %d, want %s", r->status, want);
  }
  case LC_CHECK_BODY_CONTAINS:
    for (size_t i = 0; i < ck->strs.n; i++) {
      size_t n = strlen(ck->strs.items[i]);
      if (n && !lc_memmem(body, blen, ck->strs.items[i], n))
        return msg("check body_contains: '%s' not found", ck->strs.items[i]);
    }
    return NULL;
  case LC_CHECK_BODY_NOT_CONTAINS:
    for (size_t i = 0; i < ck->strs.n; i++) {
      size_t n = strlen(ck->strs.items[i]);
      if (n && lc_memmem(body, blen, ck->strs.items[i], n))
        return msg("check body_not_contains: '%s' found", ck->strs.items[i]);
    }
    return NULL;
  case LC_CHECK_BODY_MATCHES: {
    const char *m;
    size_t ml;
    if (regex_find(ck->regex, body, blen, 0, &m, &ml)) return NULL;
    return msg("check body_matches: no match for '%s'", ck->pattern);
  }
  case LC_CHECK_JSON: return check_json(ck, j);
  case LC_CHECK_HEADER: {
    const char *v = find_header(r, ck->header);
    char what[128];
    snprintf(what, sizeof what, "header %s", ck->header);
    return check_text(ck, what, v, v ? strlen(v) : 0);
  }
  case LC_CHECK_URL: {
    const char *u = r->final_url ? r->final_url : "";
    return check_text(ck, "url", u, strlen(u));
  }
  case LC_CHECK_IS_JSON:
    if (body_json(j)) return NULL;
    return msg("check is_json: the body is not JSON (%s)", j->json_error);
  case LC_CHECK_MAX_TIME:
    if (j->response_time_us <= ck->us) return NULL;
    return msg("check max_time: took %" PRId64 " ms, want at most %" PRId64 " ms",
               j->response_time_us / 1000, ck->us / 1000);
  case LC_CHECK_SIZE:
    if (ck->size_min >= 0 && (int64_t)r->body_bytes < ck->size_min)
      return msg("check size: %" PRIu64 " bytes, want at least %" PRId64, r->body_bytes,
                 ck->size_min);
    if (ck->size_max >= 0 && (int64_t)r->body_bytes > ck->size_max)
      return msg("check size: %" PRIu64 " bytes, want at most %" PRId64, r->body_bytes,
                 ck->size_max);
    return NULL;
  }
  return NULL;
}

/* ---- captures ---- */

/* What a capture keeps of the values it finds, without an array of them: the first; one
 * chosen by reservoir sampling in the same single pass (the i-th value replaces the kept one
 * with probability 1/i, so each of n values is kept with probability 1/n); or all of them, in
 * the list that becomes the variable. Values are offered borrowed; the kept one stays
 * borrowed when its source outlives the picker (the response, its JSON document), so that
 * pick: first or random allocates nothing (the variable reuses its string room). */
struct picker {
  enum lc_pick pick;
  struct lc_rng *rng;
  bool copy;           /* the offered values die after offer(): keep a copy (xpath) */
  size_t n;            /* values offered */
  struct lc_val kept;  /* first / random: the kept value (owned if copy) */
  struct lc_val list;  /* all: an owned list of n owned items */
  size_t room;         /* all: items allocated in list */
};

enum { MAX_FOUND = 1024 }; /* values a capture considers at most (the first ones) */

static void picker_init(struct picker *p, const struct lc_capture *cap, struct lc_rng *rng) {
  p->pick = cap->pick == LC_PICK_RANDOM && !rng ? LC_PICK_FIRST : cap->pick;
  p->rng = rng;
  p->copy = cap->kind == LC_CAPTURE_XPATH;
  p->n = 0;
  p->kept = lc_val_null();
  p->list = lc_val_null();
  p->room = 0;
}

/* Offers v (borrowed: copied if kept). Returns whether more values are wanted. */
static bool offer(struct picker *p, const struct lc_val *v) {
  p->n++;
  if (p->pick == LC_PICK_ALL) {
    if (p->n > p->room) {
      if (p->list.kind != LC_VAL_LIST) {
        p->list.kind = LC_VAL_LIST;
        p->list.owned = true;
        p->list.u.list.items = NULL;
        p->list.u.list.n = 0;
      }
      p->room = p->room ? 2 * p->room : 8;
      p->list.u.list.items = lc_xrealloc(p->list.u.list.items,
                                         p->room * sizeof *p->list.u.list.items);
    }
    lc_val_copy(&p->list.u.list.items[p->list.u.list.n++], v);
  } else if (p->n == 1 || lc_rng_below(p->rng, p->n) == 0) {
    lc_val_release(&p->kept);
    if (p->copy)
      lc_val_copy(&p->kept, v);
    else
      p->kept = *v;
  }
  return p->pick != LC_PICK_FIRST && p->n < MAX_FOUND;
}

/* Sets the capture's variable to the result (when something was found: the list is moved, a
 * borrowed value copied) and releases the picker. */
static void picker_store(struct picker *p, struct lc_vars *vars, const char *var) {
  if (p->n) lc_vars_take(vars, var, p->pick == LC_PICK_ALL ? &p->list : &p->kept);
  lc_val_release(&p->kept);
  lc_val_release(&p->list);
}

static int offer_json(void *ctx, const json_t *v) {
  struct lc_val val = lc_val_json((json_t *)v);
  return offer(ctx, &val) ? 0 : 1;
}

static void capture_json(const struct lc_capture *cap, struct judged *j, struct picker *p) {
  json_t *doc = body_json(j);
  if (doc) lc_jsonpath_eval(cap->path, doc, offer_json, p);
}

static void capture_regex(const struct lc_capture *cap, const struct lc_http_response *r,
                          struct picker *p) {
  if (!r->body) return;
  pcre2_match_data *md = match_data(cap->regex);
  size_t off = 0;
  int group = cap->group;
  if (cap->group_name) {
    int g = pcre2_substring_number_from_name(cap->regex, (PCRE2_SPTR)cap->group_name);
    if (g > 0) group = g;
  }
  while (off <= r->body_len) {
    int rc = pcre2_match(cap->regex, (PCRE2_SPTR)r->body, r->body_len, off, 0, md, NULL);
    if (rc < 0) break;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (group < rc && ov[2 * group] != PCRE2_UNSET) {
      struct lc_val v = lc_val_str(r->body + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
      if (!offer(p, &v)) break;
    }
    off = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
  }
}

static void capture_header(const struct lc_capture *cap, const struct lc_http_response *r,
                           struct picker *p) {
  for (size_t i = 0; i < r->nheaders; i++) {
    if (strcasecmp(r->headers[i].name, cap->source) != 0) continue;
    struct lc_val v = lc_val_str(r->headers[i].value, strlen(r->headers[i].value));
    if (!offer(p, &v)) return;
  }
}

static void capture_cookie(const struct lc_capture *cap, const struct lc_http_response *r,
                           struct picker *p) {
  size_t want = strlen(cap->source);
  for (size_t i = 0; i < r->nheaders; i++) {
    if (strcasecmp(r->headers[i].name, "Set-Cookie") != 0) continue;
    const char *s = r->headers[i].value;
    while (*s == ' ') s++;
    if (strncmp(s, cap->source, want) != 0 || s[want] != '=') continue;
    const char *val = s + want + 1;
    struct lc_val v = lc_val_str(val, strcspn(val, ";"));
    if (!offer(p, &v)) return;
  }
}

/* XPath over the body (HTML unless it starts like XML). */
static void capture_xpath(const struct lc_capture *cap, const struct lc_http_response *r,
                          struct picker *p) {
  if (!r->body || r->body_len == 0 || r->body_len > INT32_MAX) return;
  const char *b = r->body;
  while (*b == ' ' || *b == '\n' || *b == '\r' || *b == '\t') b++;
  int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDocPtr doc = strncmp(b, "<?xml", 5) == 0
                      ? xmlReadMemory(r->body, (int)r->body_len, NULL, NULL, opts)
                      : htmlReadMemory(r->body, (int)r->body_len, NULL, NULL,
                                       HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                           HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER);
  if (!doc) return;
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr obj = ctx ? xmlXPathEvalExpression((const xmlChar *)cap->source, ctx) : NULL;
  if (obj && obj->type == XPATH_NODESET && obj->nodesetval) {
    bool more = true;
    for (int i = 0; i < obj->nodesetval->nodeNr && more; i++) {
      xmlChar *s = xmlNodeGetContent(obj->nodesetval->nodeTab[i]);
      if (!s) continue;
      struct lc_val v = lc_val_str((const char *)s, strlen((const char *)s));
      more = offer(p, &v);
      xmlFree(s);
    }
  } else if (obj && obj->type == XPATH_STRING && obj->stringval) {
    struct lc_val v = lc_val_str((const char *)obj->stringval, strlen((const char *)obj->stringval));
    offer(p, &v);
  }
  xmlXPathFreeObject(obj);
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
}

/* Runs the captures; returns the failure message of the first that found nothing without a
 * default (owned), or NULL. Allocates only the copies of the values it keeps (and the list of
 * a pick: all). */
static char *run_captures(const struct lc_request *rq, struct judged *j,
                          const struct lc_eval_ctx *ctx, struct lc_vars *vars) {
  char *failure = NULL;
  for (size_t i = 0; i < rq->ncaptures; i++) {
    const struct lc_capture *cap = &rq->captures[i];
    struct picker p;
    picker_init(&p, cap, ctx->rng);
    switch (cap->kind) {
    case LC_CAPTURE_JSON: capture_json(cap, j, &p); break;
    case LC_CAPTURE_REGEX: capture_regex(cap, j->resp, &p); break;
    case LC_CAPTURE_HEADER: capture_header(cap, j->resp, &p); break;
    case LC_CAPTURE_COOKIE: capture_cookie(cap, j->resp, &p); break;
    case LC_CAPTURE_XPATH: capture_xpath(cap, j->resp, &p); break;
    }
    if (p.n > 0) {
      picker_store(&p, vars, cap->var);
    } else if (cap->has_default) {
      struct lc_val d = literal(&cap->default_value);
      lc_vars_set(vars, cap->var, &d);
    } else if (!failure) {
      static const char *const kinds[] = {"json", "regex", "header", "cookie", "xpath"};
      failure = msg("capture '%s': %s %s found nothing", cap->var, kinds[cap->kind], cap->source);
    }
  }
  return failure;
}

void lc_request_finish(const struct lc_request *r, const struct lc_request_build *b,
                       const struct lc_http_response *resp, const struct lc_eval_ctx *ctx,
                       struct lc_vars *vars, struct lc_request_result *out) {
  memset(out, 0, sizeof *out);
  out->name = b ? b->name_ptr : r->url_source;
  int64_t end = r->stream && resp->headers_us ? resp->headers_us : resp->end_us;
  out->response_time_us = end > resp->start_us ? end - resp->start_us : 0;
  if (resp->error != LC_HTTP_OK || resp->status == 0) {
    out->failure = lc_xstrdup(resp->error_message ? resp->error_message : "request failed");
    out->capture_missing = r->ncaptures > 0;
    return;
  }
  struct judged j = {resp, out->response_time_us, NULL, false, ""};
  if (!r->has_status_check && resp->status >= 400 && resp->status <= 599)
    out->failure = msg("HTTPError %d for %s", resp->status, out->name);
  for (size_t i = 0; i < r->nchecks && !out->failure; i++) out->failure = run_check(&r->checks[i], &j);
  if (out->failure && r->message && r->nchecks) {
    struct lc_buf m, err;
    lc_buf_init(&m, 4096);
    lc_buf_init(&err, 256);
    if (lc_render(r->message, ctx, &m, &err) == 0 && m.data) {
      free(out->failure);
      out->failure = lc_buf_steal(&m);
    }
    lc_buf_release(&m);
    lc_buf_release(&err);
  }
  char *cap_fail = run_captures(r, &j, ctx, vars);
  if (cap_fail) {
    out->capture_missing = true;
    if (!out->failure)
      out->failure = cap_fail;
    else
      free(cap_fail);
  }
  if (j.json) json_decref(j.json);
}

void lc_request_result_release(struct lc_request_result *res) {
  free(res->failure);
  res->failure = NULL;
}
