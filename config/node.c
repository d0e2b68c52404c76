/* node.c: the YAML loader (libyaml's event API driving an explicit stack, so deep input
 * cannot overflow the C stack), the immutable node tree in an arena, and the helpers the
 * compiler uses to read it (see node.h). */
#include "config/node.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/source.h"

enum { KIND_ALIAS = 3 };

#define MERGE_TAG "tag:yaml.org,2002:merge"
#define NULL_TAG "tag:yaml.org,2002:null"

/* A ${...} or $$ replaced by substitution: bytes [out_off, out_off+out_len) of the node's text
 * came from bytes [in_off, in_off+in_len) of the value libyaml gave. */
struct seg {
  size_t out_off, out_len, in_off, in_len;
};

struct entry {
  const struct lc_node *key, *value;
};

struct lc_node {
  unsigned char kind;
  unsigned char style;
  struct lc_mark mark;
  uint32_t end_line;   /* 1-based line where the node ends (scalars) */
  const char *tag;
  size_t expanded;     /* nodes counted with aliases and merges expanded */
  size_t height;       /* levels, through aliases */
  union {
    struct {
      const char *text;
      size_t len;
      const struct lc_source *src;
      const struct seg *segs;
      size_t nsegs;
    } s;
    struct {
      const struct lc_node **items;
      size_t n;
    } q;
    struct {
      const struct entry *e;
      size_t n;
      const size_t *sorted; /* indexes of the entries with scalar keys, sorted by key text */
      size_t nsorted;
    } m;
    const struct lc_node *target;
  } u;
};

/* ---- arena ------------------------------------------------------------------------------ */

struct chunk {
  struct chunk *next;
  size_t cap, used;
  max_align_t data[];
};

struct arena {
  struct chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n) {
  size_t align = sizeof(max_align_t);
  n = (n + align - 1) / align * align;
  if (n == 0) n = align;
  if (!a->head || a->head->cap - a->head->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    struct chunk *c = lc_xmalloc(sizeof *c + cap);
    c->cap = cap;
    c->used = 0;
    c->next = a->head;
    a->head = c;
  }
  void *p = (char *)a->head->data + a->head->used;
  a->head->used += n;
  return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  if (n) memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static void arena_release(struct arena *a) {
  while (a->head) {
    struct chunk *c = a->head;
    a->head = c->next;
    free(c);
  }
}

/* ---- document --------------------------------------------------------------------------- */

struct lc_doc {
  struct arena arena;
  struct lc_source src;
  const struct lc_node *root;
};

void lc_doc_free(struct lc_doc *doc) {
  if (!doc) return;
  arena_release(&doc->arena);
  lc_source_release(&doc->src);
  free(doc);
}

const struct lc_node *lc_doc_root(const struct lc_doc *doc) { return doc ? doc->root : NULL; }
const char *lc_doc_file(const struct lc_doc *doc) { return doc ? doc->src.name : NULL; }

/* ---- scalar positions ------------------------------------------------------------------- */

static size_t utf8_len(unsigned long cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* A double-quoted escape at p (p[0] == '\\'): its length in the source and in the value.
 * Returns false for an escaped line break or anything unexpected. */
static bool escape_len(const char *p, size_t avail, size_t *raw, size_t *prod) {
  if (avail < 2) return false;
  size_t hex = 0;
  switch (p[1]) {
  case '0': case 'a': case 'b': case 't': case '\t': case 'n': case 'v': case 'f': case 'r':
  case 'e': case ' ': case '"': case '/': case '\\':
    *raw = 2, *prod = 1;
    return true;
  case 'N': case '_': *raw = 2, *prod = 2; return true;
  case 'L': case 'P': *raw = 2, *prod = 3; return true;
  case 'x': hex = 2; break;
  case 'u': hex = 4; break;
  case 'U': hex = 8; break;
  default: return false;
  }
  if (avail < 2 + hex) return false;
  unsigned long cp = 0;
  for (size_t i = 0; i < hex; i++) {
    char c = p[2 + i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) return false;
    cp = cp * 16 + (unsigned long)v;
  }
  *raw = 2 + hex;
  *prod = utf8_len(cp);
  return true;
}

/* The mark of byte `off` of the value libyaml produced for scalar n (before substitution),
 * found by walking the scalar's source. Falls back to the scalar's mark. */
static struct lc_mark raw_mark(const struct lc_node *n, size_t off) {
  struct lc_mark m = n->mark;
  const struct lc_source *src = n->u.s.src;
  if (!src || m.line == 0 || off == 0) return m;
  size_t b = lc_source_offset(src, m.line, m.column);
  const char *line;
  size_t llen;
  if (lc_source_line(src, m.line, &line, &llen) != 0) return m;
  size_t lend = (size_t)(line - src->text) + llen, j = b, i = 0;
  const char *t = src->text;
  if (n->style == LC_STYLE_LITERAL) {
    /* Each source line after the header is one line of the value without its indentation. */
    for (size_t k = b + 1; k < lend; k++)
      if (t[k] >= '1' && t[k] <= '9') return m; /* explicit indentation: not worth it */
    size_t indent = SIZE_MAX;
    for (size_t ln = m.line + 1; ln <= n->end_line && indent == SIZE_MAX; ln++) {
      if (lc_source_line(src, ln, &line, &llen) != 0) break;
      size_t sp = 0;
      while (sp < llen && line[sp] == ' ') sp++;
      if (sp < llen) indent = sp;
    }
    if (indent == SIZE_MAX) return m;
    for (size_t ln = m.line + 1; ln <= n->end_line; ln++) {
      if (lc_source_line(src, ln, &line, &llen) != 0) break;
      size_t vlen = llen > indent ? llen - indent : 0;
      if (off <= i + vlen) {
        m.line = (uint32_t)ln;
        m.column = (uint32_t)(indent + lc_utf8_count(line + indent, off - i) + 1);
        return m;
      }
      i += vlen + 1;
    }
    return n->mark;
  }
  if (n->end_line != m.line) return m;
  if (n->style == LC_STYLE_PLAIN) {
    j = b + off;
  } else if (n->style == LC_STYLE_SINGLE_QUOTED) {
    for (j = b + 1; i < off && j < lend; i++)
      j += (t[j] == '\'' && j + 1 < lend && t[j + 1] == '\'') ? 2 : 1;
  } else if (n->style == LC_STYLE_DOUBLE_QUOTED) {
    for (j = b + 1; i < off && j < lend;) {
      size_t raw = 1, prod = 1;
      if (t[j] == '\\' && !escape_len(t + j, lend - j, &raw, &prod)) return m;
      if (i + prod > off) break; /* inside an escape: point at it */
      i += prod;
      j += raw;
    }
  } else {
    return m;
  }
  if (j > lend) j = lend;
  m.column = (uint32_t)(m.column + lc_utf8_count(t + b, j - b));
  return m;
}

void lc_node_mark_at(const struct lc_node *n, size_t offset, struct lc_mark *out) {
  if (!n) {
    memset(out, 0, sizeof *out);
    return;
  }
  if (n->kind == KIND_ALIAS) {
    *out = n->mark; /* the text lives at the anchor, the error belongs here */
    return;
  }
  if (n->kind != LC_NODE_SCALAR) {
    *out = n->mark;
    return;
  }
  size_t in = offset;
  for (size_t k = 0; k < n->u.s.nsegs; k++) {
    const struct seg *s = &n->u.s.segs[k];
    if (offset < s->out_off) break;
    if (offset < s->out_off + s->out_len) {
      in = s->in_off;
      break;
    }
    in = offset - (s->out_off + s->out_len) + (s->in_off + s->in_len);
  }
  *out = raw_mark(n, in);
}

/* ---- loader ------------------------------------------------------------------------------ */

struct frame {
  unsigned char kind;
  struct lc_mark mark;
  const char *tag;
  char *anchor;    /* heap; registered when the node is complete */
  size_t base;     /* first child in pending */
  size_t expanded; /* sum over the children */
  size_t height;   /* highest child */
};

struct anchor {
  char *name;
  const struct lc_node *node;
};

struct loader {
  struct lc_doc *doc;
  struct lc_diags *d;
  lc_getenv_fn getenv_fn;
  void *getenv_ctx;
  size_t max_nodes, max_depth, max_bytes;
  struct frame *frames;
  size_t nframes, capframes;
  const struct lc_node **pending;
  size_t npending, cappending;
  struct anchor *anchors; /* open addressing, size a power of two */
  size_t nanchors, capanchors;
  size_t total; /* expanded nodes in the open frames */
  bool fatal;
  bool done;
};

static const char *process_getenv(const char *name, void *ctx) {
  (void)ctx;
  return getenv(name);
}

static struct lc_mark mk(const struct loader *L, yaml_mark_t ym) {
  const struct lc_source *src = &L->doc->src;
  struct lc_mark m = {src->name, (uint32_t)(ym.line + 1), (uint32_t)(ym.column + 1)};
  if (ym.line >= src->nlines || ym.line > UINT32_MAX - 1 || ym.column > UINT32_MAX - 1) {
    size_t line, col;
    lc_source_position(src, src->len, &line, &col);
    m.line = (uint32_t)line;
    m.column = (uint32_t)col;
  }
  return m;
}

static struct lc_mark mark_of_offset(const struct loader *L, size_t off) {
  size_t line, col;
  lc_source_position(&L->doc->src, off, &line, &col);
  struct lc_mark m = {L->doc->src.name, (uint32_t)line, (uint32_t)col};
  return m;
}

static bool is_space_or_break(const struct lc_source *s, size_t i) {
  return i >= s->len || s->text[i] == ' ' || s->text[i] == '\t' ||
         lc_source_break_len(s->text, s->len, i) > 0;
}

/* libyaml starts a node with properties at its &anchor or !tag; skip them (and the blanks,
 * line breaks and comments after them) so the mark is where the content is. */
static struct lc_mark content_mark(const struct loader *L, yaml_mark_t ym, bool props) {
  struct lc_mark m = mk(L, ym);
  if (!props) return m;
  const struct lc_source *s = &L->doc->src;
  size_t i = lc_source_offset(s, m.line, m.column);
  while (i < s->len) {
    char c = s->text[i];
    size_t br = lc_source_break_len(s->text, s->len, i);
    if (c == '&' || c == '!') {
      if (c == '!' && i + 1 < s->len && s->text[i + 1] == '<') {
        while (i < s->len && s->text[i] != '>') i++;
        if (i < s->len) i++;
      } else {
        while (!is_space_or_break(s, i) && !strchr(",[]{}", s->text[i])) i++;
      }
    } else if (c == ' ' || c == '\t') {
      i++;
    } else if (br) {
      i += br;
    } else if (c == '#') {
      while (i < s->len && !lc_source_break_len(s->text, s->len, i)) i++;
    } else {
      break;
    }
  }
  return mark_of_offset(L, i);
}

static size_t hash_name(const char *s) {
  size_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static const struct lc_node *anchor_find(const struct loader *L, const char *name) {
  if (!L->capanchors) return NULL;
  for (size_t i = hash_name(name) & (L->capanchors - 1);; i = (i + 1) & (L->capanchors - 1)) {
    if (!L->anchors[i].name) return NULL;
    if (strcmp(L->anchors[i].name, name) == 0) return L->anchors[i].node;
  }
}

static void anchor_put(struct loader *L, char *name, const struct lc_node *node);

static void anchor_grow(struct loader *L) {
  struct anchor *old = L->anchors;
  size_t oldcap = L->capanchors;
  L->capanchors = oldcap ? oldcap * 2 : 16;
  L->anchors = lc_xcalloc(L->capanchors, sizeof *L->anchors);
  L->nanchors = 0;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i].name) anchor_put(L, old[i].name, old[i].node);
  free(old);
}

/* Takes ownership of name. A later anchor of the same name replaces the earlier (YAML). */
static void anchor_put(struct loader *L, char *name, const struct lc_node *node) {
  if ((L->nanchors + 1) * 2 > L->capanchors) anchor_grow(L);
  for (size_t i = hash_name(name) & (L->capanchors - 1);; i = (i + 1) & (L->capanchors - 1)) {
    if (!L->anchors[i].name) {
      L->anchors[i].name = name;
      L->anchors[i].node = node;
      L->nanchors++;
      return;
    }
    if (strcmp(L->anchors[i].name, name) == 0) {
      free(name);
      L->anchors[i].node = node;
      return;
    }
  }
}

static struct lc_node *new_node(struct loader *L, unsigned char kind, struct lc_mark mark) {
  struct lc_node *n = arena_alloc(&L->doc->arena, sizeof *n);
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->mark = mark;
  n->end_line = mark.line;
  n->expanded = 1;
  n->height = 1;
  return n;
}

static const struct lc_node *null_node(struct loader *L, struct lc_mark mark) {
  struct lc_node *n = new_node(L, LC_NODE_SCALAR, mark);
  n->u.s.text = "";
  n->u.s.src = &L->doc->src;
  return n;
}

/* Adds a finished node to the open collection (or makes it the root), enforcing the caps on
 * expanded size and depth; `alias` names the alias that brought it, for the message. */
static void add_child(struct loader *L, const struct lc_node *n, const char *alias) {
  if (L->nframes + n->height > L->max_depth) {
    if (alias)
      lc_diag_error(L->d, &n->mark, "alias '*%s' nests the document deeper than %zu levels",
                    alias, L->max_depth);
    else
      lc_diag_error(L->d, &n->mark, "the document nests deeper than %zu levels", L->max_depth);
    L->fatal = true;
    return;
  }
  if (n->expanded > L->max_nodes - L->total) {
    if (alias)
      lc_diag_error(L->d, &n->mark,
                    "alias '*%s' expands the document to more than %zu nodes (an alias bomb?)",
                    alias, L->max_nodes);
    else
      lc_diag_error(L->d, &n->mark, "the document has more than %zu nodes", L->max_nodes);
    L->fatal = true;
    return;
  }
  L->total += n->expanded;
  if (L->nframes == 0) {
    if (!L->doc->root) L->doc->root = n;
    return;
  }
  struct frame *f = &L->frames[L->nframes - 1];
  f->expanded += n->expanded;
  if (n->height > f->height) f->height = n->height;
  if (L->npending == L->cappending) {
    L->cappending = L->cappending ? L->cappending * 2 : 64;
    L->pending = lc_xrealloc(L->pending, L->cappending * sizeof *L->pending);
  }
  L->pending[L->npending++] = n;
}

static bool next_is_key(const struct loader *L) {
  if (L->nframes == 0) return false;
  const struct frame *f = &L->frames[L->nframes - 1];
  return f->kind == LC_NODE_MAPPING && (L->npending - f->base) % 2 == 0;
}

/* ---- environment substitution ------------------------------------------------------------ */

static bool name_ok(const char *s, size_t n) {
  if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

struct segs {
  struct seg *v;
  size_t n, cap;
};

static void seg_push(struct segs *s, size_t out_off, size_t out_len, size_t in_off, size_t in_len) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 4;
    s->v = lc_xrealloc(s->v, s->cap * sizeof *s->v);
  }
  s->v[s->n++] = (struct seg){out_off, out_len, in_off, in_len};
}

/* Replaces ${NAME}, ${NAME:-default} and $$ in scalar n (whose text is libyaml's value).
 * A default applies when the variable is unset or empty, as in the shell. */
static void substitute(struct loader *L, struct lc_node *n) {
  const char *t = n->u.s.text;
  size_t len = n->u.s.len;
  if (!memchr(t, '$', len)) return;
  struct lc_buf out;
  lc_buf_init(&out, L->max_bytes);
  struct segs segs = {NULL, 0, 0};
  bool too_big = false;
  for (size_t i = 0; i < len && !too_big;) {
    if (t[i] != '$' || i + 1 >= len || (t[i + 1] != '$' && t[i + 1] != '{')) {
      size_t j = i + 1;
      while (j < len && t[j] != '$') j++;
      too_big = lc_buf_append(&out, t + i, j - i) != 0;
      i = j;
      continue;
    }
    if (t[i + 1] == '$') {
      seg_push(&segs, out.len, 1, i, 2);
      too_big = lc_buf_append(&out, "$", 1) != 0;
      i += 2;
      continue;
    }
    const char *close = memchr(t + i + 2, '}', len - i - 2);
    if (!close) {
      struct lc_mark m = raw_mark(n, i);
      lc_diag_error(L->d, &m, "unterminated '${' (a '}' is missing)");
      too_big = lc_buf_append(&out, t + i, len - i) != 0;
      break;
    }
    size_t end = (size_t)(close - t) + 1, inner = i + 2, inner_len = end - 1 - inner;
    const char *dash = NULL;
    for (size_t k = inner; k + 1 < end - 1; k++)
      if (t[k] == ':' && t[k + 1] == '-') {
        dash = t + k;
        break;
      }
    size_t name_len = dash ? (size_t)(dash - (t + inner)) : inner_len;
    const char *value = NULL;
    size_t value_len = 0;
    if (!name_ok(t + inner, name_len)) {
      struct lc_mark m = raw_mark(n, i);
      char shown[80];
      snprintf(shown, sizeof shown, "%.*s", (int)(end - i > 64 ? 64 : end - i), t + i);
      lc_diag_error(L->d, &m,
                    "bad environment reference '%s': a name is letters, digits and '_', "
                    "not starting with a digit", shown);
    } else {
      char *name = lc_xstrndup(t + inner, name_len);
      value = L->getenv_fn(name, L->getenv_ctx);
      if (value) value_len = strlen(value);
      if (dash && value_len == 0) {
        value = dash + 2;
        value_len = (size_t)(close - (dash + 2));
      } else if (!value) {
        struct lc_mark m = raw_mark(n, i);
        lc_diag_error(L->d, &m, "environment variable '%s' is not set and has no default", name);
      }
      free(name);
    }
    seg_push(&segs, out.len, value_len, i, end - i);
    if (value_len) too_big = lc_buf_append(&out, value, value_len) != 0;
    i = end;
  }
  if (too_big) {
    lc_diag_error(L->d, &n->mark, "value is longer than %zu bytes after environment substitution",
                  L->max_bytes);
  } else {
    n->u.s.text = arena_strndup(&L->doc->arena, out.data ? out.data : "", out.len);
    n->u.s.len = out.len;
    struct seg *v = arena_alloc(&L->doc->arena, (segs.n ? segs.n : 1) * sizeof *v);
    if (segs.n) memcpy(v, segs.v, segs.n * sizeof *v);
    n->u.s.segs = v;
    n->u.s.nsegs = segs.n;
  }
  free(segs.v);
  lc_buf_release(&out);
}

/* ---- events ------------------------------------------------------------------------------ */

static void on_scalar(struct loader *L, const yaml_event_t *e) {
  bool props = e->data.scalar.anchor || e->data.scalar.tag;
  bool key = next_is_key(L);
  struct lc_node *n = new_node(L, LC_NODE_SCALAR, content_mark(L, e->start_mark, props));
  static const unsigned char styles[] = {
      [YAML_PLAIN_SCALAR_STYLE] = LC_STYLE_PLAIN,
      [YAML_SINGLE_QUOTED_SCALAR_STYLE] = LC_STYLE_SINGLE_QUOTED,
      [YAML_DOUBLE_QUOTED_SCALAR_STYLE] = LC_STYLE_DOUBLE_QUOTED,
      [YAML_LITERAL_SCALAR_STYLE] = LC_STYLE_LITERAL,
      [YAML_FOLDED_SCALAR_STYLE] = LC_STYLE_FOLDED,
  };
  unsigned st = (unsigned)e->data.scalar.style;
  n->style = st < LC_ARRAY_LEN(styles) ? styles[st] : LC_STYLE_PLAIN;
  n->end_line = mk(L, e->end_mark).line;
  /* A block scalar's end mark is on the line after its last line. */
  if ((n->style == LC_STYLE_LITERAL || n->style == LC_STYLE_FOLDED) && e->end_mark.column == 0 &&
      n->end_line > n->mark.line)
    n->end_line--;
  n->u.s.text = arena_strndup(&L->doc->arena, (const char *)e->data.scalar.value,
                              e->data.scalar.length);
  n->u.s.len = e->data.scalar.length;
  n->u.s.src = &L->doc->src;
  if (e->data.scalar.tag)
    n->tag = arena_strndup(&L->doc->arena, (const char *)e->data.scalar.tag,
                           strlen((const char *)e->data.scalar.tag));
  if (!key) substitute(L, n);
  if (e->data.scalar.anchor) anchor_put(L, lc_xstrdup((const char *)e->data.scalar.anchor), n);
  add_child(L, n, NULL);
}

static void on_start(struct loader *L, const yaml_event_t *e, unsigned char kind) {
  const yaml_char_t *anchor = kind == LC_NODE_MAPPING ? e->data.mapping_start.anchor
                                                      : e->data.sequence_start.anchor;
  const yaml_char_t *tag = kind == LC_NODE_MAPPING ? e->data.mapping_start.tag
                                                   : e->data.sequence_start.tag;
  struct lc_mark m = content_mark(L, e->start_mark, anchor || tag);
  if (L->nframes + 1 > L->max_depth) {
    lc_diag_error(L->d, &m, "the document nests deeper than %zu levels", L->max_depth);
    L->fatal = true;
    return;
  }
  if (L->nframes == L->capframes) {
    L->capframes = L->capframes ? L->capframes * 2 : 16;
    L->frames = lc_xrealloc(L->frames, L->capframes * sizeof *L->frames);
  }
  struct frame *f = &L->frames[L->nframes++];
  memset(f, 0, sizeof *f);
  f->kind = kind;
  f->mark = m;
  f->tag = tag ? arena_strndup(&L->doc->arena, (const char *)tag, strlen((const char *)tag)) : NULL;
  f->anchor = anchor ? lc_xstrdup((const char *)anchor) : NULL;
  f->base = L->npending;
}

static void on_alias(struct loader *L, const yaml_event_t *e) {
  const char *name = (const char *)e->data.alias.anchor;
  struct lc_mark m = mk(L, e->start_mark);
  const struct lc_node *target = anchor_find(L, name);
  if (!target) {
    bool recursive = false;
    for (size_t i = 0; i < L->nframes; i++)
      if (L->frames[i].anchor && strcmp(L->frames[i].anchor, name) == 0) recursive = true;
    if (recursive) {
      lc_diag_error(L->d, &m, "alias '*%s' is inside the node it refers to (recursive aliases "
                    "are not allowed)", name);
    } else {
      const char **names = lc_xmalloc((L->nanchors + 1) * sizeof *names);
      size_t k = 0;
      for (size_t i = 0; i < L->capanchors; i++)
        if (L->anchors[i].name) names[k++] = L->anchors[i].name;
      names[k] = NULL;
      lc_diags_add(L->d, LC_SEV_ERROR, &m, lc_suggest(name, names), "unknown anchor '%s'", name);
      free(names);
    }
    add_child(L, null_node(L, m), NULL);
    return;
  }
  struct lc_node *n = new_node(L, KIND_ALIAS, m);
  n->u.target = target;
  n->expanded = target->expanded;
  n->height = target->height;
  add_child(L, n, name);
}

static const struct lc_node *res(const struct lc_node *n) {
  return n && n->kind == KIND_ALIAS ? n->u.target : n;
}

static bool is_merge_key(const struct lc_node *k) {
  return k->kind == LC_NODE_SCALAR && k->style == LC_STYLE_PLAIN && k->u.s.len == 2 &&
         memcmp(k->u.s.text, "<<", 2) == 0 && (!k->tag || strcmp(k->tag, MERGE_TAG) == 0);
}

struct kref {
  const char *s;
  size_t len;
  size_t idx; /* order */
  struct entry e;
};

static int kcmp_text(const struct kref *a, const struct kref *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  if (c) return c;
  return a->len < b->len ? -1 : a->len > b->len;
}

static int kcmp(const void *pa, const void *pb) {
  const struct kref *a = pa, *b = pb;
  int c = kcmp_text(a, b);
  if (c) return c;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int kcmp_idx(const void *pa, const void *pb) {
  const struct kref *a = pa, *b = pb;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static struct kref kref_of(const struct lc_node *key, const struct lc_node *value, size_t idx) {
  const struct lc_node *k = res(key);
  struct kref r = {k->u.s.text, k->u.s.len, idx, {key, value}};
  return r;
}

static bool has_key(const struct kref *sorted, size_t n, const struct kref *k) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = kcmp_text(&sorted[mid], k);
    if (c == 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/* The mappings a `<<` value names, checked: one mapping or a sequence of mappings. */
static size_t merge_sources(struct loader *L, const struct lc_node *v, const struct lc_node ***out) {
  const struct lc_node *rv = res(v);
  char what[96];
  if (rv->kind == LC_NODE_MAPPING) {
    *out = lc_xmalloc(sizeof **out);
    (*out)[0] = rv;
    return 1;
  }
  if (rv->kind != LC_NODE_SEQUENCE) {
    lc_diag_error(L->d, &v->mark, "merge key '<<' expects a mapping or a list of mappings, got %s",
                  lc_node_describe(v, what, sizeof what));
    *out = NULL;
    return 0;
  }
  *out = lc_xmalloc((rv->u.q.n ? rv->u.q.n : 1) * sizeof **out);
  size_t k = 0;
  for (size_t i = 0; i < rv->u.q.n; i++) {
    const struct lc_node *it = rv->u.q.items[i];
    if (res(it)->kind != LC_NODE_MAPPING) {
      lc_diag_error(L->d, &it->mark, "merge key '<<' can only merge mappings, got %s",
                    lc_node_describe(it, what, sizeof what));
      continue;
    }
    (*out)[k++] = res(it);
  }
  return k;
}

/* Builds the mapping from the frame's key/value pairs: duplicate keys are reported (the first
 * stays), then YAML 1.1 merges: keys written in the mapping win over merged ones wherever they
 * stand, and an earlier merged mapping wins over a later one; merged entries take the place of
 * the `<<` entry. Finally the index sorted by key for lc_node_get. */
static struct lc_node *finish_mapping(struct loader *L, const struct frame *f) {
  size_t nraw = (L->npending - f->base) / 2;
  const struct lc_node **raw = L->pending ? L->pending + f->base : NULL;
  bool *keep = lc_xmalloc((nraw ? nraw : 1) * sizeof *keep);
  struct kref *ex = lc_xmalloc((nraw ? nraw : 1) * sizeof *ex);
  size_t nex = 0, merge = SIZE_MAX;
  for (size_t i = 0; i < nraw; i++) {
    keep[i] = true;
    const struct lc_node *k = raw[2 * i];
    if (is_merge_key(k)) {
      if (merge == SIZE_MAX) {
        merge = i;
      } else {
        lc_diag_error(L->d, &k->mark, "duplicate key '<<'");
        lc_diag_note(L->d, &raw[2 * merge]->mark, "'<<' was first set here");
        keep[i] = false;
      }
    } else if (res(k)->kind == LC_NODE_SCALAR) {
      ex[nex++] = kref_of(k, raw[2 * i + 1], i);
    }
  }
  qsort(ex, nex, sizeof *ex, kcmp);
  size_t nuniq = 0;
  for (size_t j = 0; j < nex; j++) {
    if (nuniq && kcmp_text(&ex[nuniq - 1], &ex[j]) == 0) {
      char what[96];
      const struct lc_node *k = ex[j].e.key;
      lc_node_describe(k, what, sizeof what);
      lc_diag_error(L->d, &k->mark, "duplicate key %s", what);
      lc_diag_note(L->d, &ex[nuniq - 1].e.key->mark, "%s was first set here", what);
      keep[ex[j].idx] = false;
      continue;
    }
    ex[nuniq++] = ex[j];
  }

  struct kref *mg = NULL;
  size_t nmg = 0;
  if (merge != SIZE_MAX) {
    const struct lc_node **src;
    size_t nsrc = merge_sources(L, raw[2 * merge + 1], &src), cap = 0;
    for (size_t s = 0; s < nsrc; s++) cap += src[s]->u.m.n;
    mg = lc_xmalloc((cap ? cap : 1) * sizeof *mg);
    size_t order = 0;
    for (size_t s = 0; s < nsrc; s++) {
      for (size_t i = 0; i < src[s]->u.m.n; i++, order++) {
        const struct entry *e = &src[s]->u.m.e[i];
        if (res(e->key)->kind == LC_NODE_SCALAR) {
          mg[nmg] = kref_of(e->key, e->value, order);
          if (!has_key(ex, nuniq, &mg[nmg])) nmg++;
        } else {
          mg[nmg++] = (struct kref){"", 0, order, *e}; /* kept as is: the compiler reports it */
        }
      }
    }
    free(src);
    qsort(mg, nmg, sizeof *mg, kcmp);
    size_t k = 0;
    for (size_t j = 0; j < nmg; j++) {
      bool scalar = res(mg[j].e.key)->kind == LC_NODE_SCALAR;
      if (scalar && k && res(mg[k - 1].e.key)->kind == LC_NODE_SCALAR &&
          kcmp_text(&mg[k - 1], &mg[j]) == 0)
        continue; /* an earlier mapping in the merge list gave this key already */
      mg[k++] = mg[j];
    }
    nmg = k;
    qsort(mg, nmg, sizeof *mg, kcmp_idx);
  }

  size_t n = nmg;
  for (size_t i = 0; i < nraw; i++)
    if (keep[i] && i != merge) n++;
  struct lc_node *node = new_node(L, LC_NODE_MAPPING, f->mark);
  struct entry *e = arena_alloc(&L->doc->arena, (n ? n : 1) * sizeof *e);
  size_t k = 0, expanded = 1, height = 0;
  for (size_t i = 0; i < nraw; i++) {
    if (i == merge) {
      for (size_t j = 0; j < nmg; j++) e[k++] = mg[j].e;
    } else if (keep[i]) {
      e[k++] = (struct entry){raw[2 * i], raw[2 * i + 1]};
    }
  }
  struct kref *sorted = lc_xmalloc((n ? n : 1) * sizeof *sorted);
  size_t ns = 0;
  for (size_t i = 0; i < n; i++) {
    const struct lc_node *ki = e[i].key, *vi = e[i].value;
    size_t add = ki->expanded + vi->expanded;
    expanded = add > L->max_nodes || expanded > L->max_nodes ? L->max_nodes + 1 : expanded + add;
    if (ki->height > height) height = ki->height;
    if (vi->height > height) height = vi->height;
    if (res(ki)->kind == LC_NODE_SCALAR) sorted[ns++] = kref_of(ki, vi, i);
  }
  qsort(sorted, ns, sizeof *sorted, kcmp);
  size_t *idx = arena_alloc(&L->doc->arena, (ns ? ns : 1) * sizeof *idx);
  for (size_t i = 0; i < ns; i++) idx[i] = sorted[i].idx;
  node->u.m.e = e;
  node->u.m.n = n;
  node->u.m.sorted = idx;
  node->u.m.nsorted = ns;
  node->expanded = expanded;
  node->height = height + 1;
  free(sorted);
  free(mg);
  free(ex);
  free(keep);
  return node;
}

static void on_end(struct loader *L) {
  if (L->nframes == 0) return;
  struct frame f = L->frames[--L->nframes];
  struct lc_node *n;
  if (f.kind == LC_NODE_MAPPING) {
    n = finish_mapping(L, &f);
  } else {
    n = new_node(L, LC_NODE_SEQUENCE, f.mark);
    size_t cnt = L->npending - f.base;
    const struct lc_node **items = arena_alloc(&L->doc->arena, (cnt ? cnt : 1) * sizeof *items);
    if (cnt) memcpy(items, L->pending + f.base, cnt * sizeof *items);
    n->u.q.items = items;
    n->u.q.n = cnt;
    n->expanded = f.expanded + 1;
    n->height = f.height + 1;
  }
  n->tag = f.tag;
  L->npending = f.base;
  L->total -= f.expanded;
  if (f.anchor) anchor_put(L, f.anchor, n);
  add_child(L, n, NULL);
}

static void lower_first(char *s) {
  if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z')) s[0] = (char)(s[0] - 'A' + 'a');
}

static void report_yaml_error(struct loader *L, const yaml_parser_t *p) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s", p->problem ? p->problem : "invalid YAML");
  lower_first(msg);
  if (p->error == YAML_MEMORY_ERROR) {
    lc_diag_error(L->d, NULL, "out of memory while reading YAML");
    return;
  }
  if (p->error == YAML_READER_ERROR) {
    struct lc_mark m = mark_of_offset(L, p->problem_offset);
    if (p->problem_value != -1)
      lc_diag_error(L->d, &m, "%s (0x%x)", msg, (unsigned)p->problem_value);
    else
      lc_diag_error(L->d, &m, "%s", msg);
    return;
  }
  struct lc_mark m = mk(L, p->problem_mark);
  lc_diag_error(L->d, &m, "%s", msg);
  const struct lc_source *s = &L->doc->src;
  size_t off = lc_source_offset(s, m.line, m.column);
  if (off < s->len && s->text[off] == '\t' && strstr(msg, "cannot start any token"))
    lc_diag_note(L->d, &m, "YAML does not allow tabs for indentation; use spaces");
  if (p->context) {
    struct lc_mark c = mk(L, p->context_mark);
    if (c.line != m.line || c.column != m.column) {
      snprintf(msg, sizeof msg, "%s", p->context);
      lower_first(msg);
      lc_diag_note(L->d, &c, "%s", msg);
    }
  }
}

static void handle(struct loader *L, const yaml_event_t *e, int *ndocs) {
  switch (e->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++*ndocs > 1) {
      struct lc_mark m = mk(L, e->start_mark);
      lc_diag_error(L->d, &m, "a second YAML document starts here; a scenario file holds one");
      L->done = true;
    }
    break;
  case YAML_SCALAR_EVENT: on_scalar(L, e); break;
  case YAML_SEQUENCE_START_EVENT: on_start(L, e, LC_NODE_SEQUENCE); break;
  case YAML_MAPPING_START_EVENT: on_start(L, e, LC_NODE_MAPPING); break;
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT: on_end(L); break;
  case YAML_ALIAS_EVENT: on_alias(L, e); break;
  case YAML_STREAM_END_EVENT: L->done = true; break;
  default: break;
  }
}

static struct lc_doc *load(struct lc_doc *doc, const struct lc_load_opts *opts,
                           struct lc_diags *d) {
  struct loader L;
  memset(&L, 0, sizeof L);
  L.doc = doc;
  L.d = d;
  L.getenv_fn = opts && opts->getenv_fn ? opts->getenv_fn : process_getenv;
  L.getenv_ctx = opts ? opts->getenv_ctx : NULL;
  L.max_nodes = opts && opts->max_nodes ? opts->max_nodes : LC_LOAD_MAX_NODES;
  L.max_depth = opts && opts->max_depth ? opts->max_depth : LC_LOAD_MAX_DEPTH;
  L.max_bytes = opts && opts->max_bytes ? opts->max_bytes : LC_LOAD_MAX_BYTES;
  lc_diags_set_source(d, doc->src.name, doc->src.text, doc->src.len);

  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, (const unsigned char *)doc->src.text, doc->src.len);
  int ndocs = 0;
  while (!L.fatal && !L.done) {
    yaml_event_t e;
    if (!yaml_parser_parse(&parser, &e)) {
      report_yaml_error(&L, &parser);
      L.fatal = true;
      break;
    }
    handle(&L, &e, &ndocs);
    yaml_event_delete(&e);
  }
  yaml_parser_delete(&parser);

  for (size_t i = 0; i < L.nframes; i++) free(L.frames[i].anchor);
  for (size_t i = 0; i < L.capanchors; i++) free(L.anchors[i].name);
  free(L.anchors);
  free(L.frames);
  free(L.pending);
  if (L.fatal) {
    lc_doc_free(doc);
    return NULL;
  }
  if (!doc->root) {
    struct lc_mark m = {doc->src.name, 1, 1};
    doc->root = null_node(&L, m);
  }
  return doc;
}

static struct lc_doc *doc_new(const char *name, const char *text, size_t len) {
  struct lc_doc *doc = lc_xcalloc(1, sizeof *doc);
  lc_source_init(&doc->src, name, text, len);
  return doc;
}

struct lc_doc *lc_doc_load_string(const char *name, const char *text, size_t len,
                                  const struct lc_load_opts *opts, struct lc_diags *d) {
  return load(doc_new(name ? name : "<string>", text, len), opts, d);
}

struct lc_doc *lc_doc_load_file(const char *path, const struct lc_load_opts *opts,
                                struct lc_diags *d) {
  size_t max = opts && opts->max_bytes ? opts->max_bytes : LC_LOAD_MAX_BYTES;
  struct lc_mark at = {path, 0, 0};
  FILE *f = fopen(path, "rb");
  if (!f) {
    char err[128];
    snprintf(err, sizeof err, "%s", strerror(errno));
    lower_first(err);
    lc_diag_error(d, &at, "cannot read '%s': %s", path, err);
    return NULL;
  }
  struct lc_buf b;
  lc_buf_init(&b, max);
  char chunk[65536];
  size_t got;
  int rc = 0;
  while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0) rc = lc_buf_append(&b, chunk, got);
  bool failed = ferror(f) != 0;
  fclose(f);
  struct lc_doc *doc = NULL;
  if (rc != 0)
    lc_diag_error(d, &at, "'%s' is larger than %zu bytes", path, max);
  else if (failed)
    lc_diag_error(d, &at, "cannot read '%s': input/output error", path);
  else
    doc = load(doc_new(path, b.data ? b.data : "", b.len), opts, d);
  lc_buf_release(&b);
  return doc;
}

/* ---- accessors --------------------------------------------------------------------------- */

enum lc_node_kind lc_node_kind(const struct lc_node *n) {
  n = res(n);
  return n ? (enum lc_node_kind)n->kind : LC_NODE_SCALAR;
}

const struct lc_mark *lc_node_mark(const struct lc_node *n) {
  static const struct lc_mark none = {NULL, 0, 0};
  return n ? &n->mark : &none;
}

bool lc_node_is_alias(const struct lc_node *n) { return n && n->kind == KIND_ALIAS; }
const struct lc_node *lc_node_resolve(const struct lc_node *n) { return res(n); }

const char *lc_node_str(const struct lc_node *n) {
  n = res(n);
  return n && n->kind == LC_NODE_SCALAR ? n->u.s.text : "";
}

size_t lc_node_len(const struct lc_node *n) {
  n = res(n);
  return n && n->kind == LC_NODE_SCALAR ? n->u.s.len : 0;
}

enum lc_scalar_style lc_node_style(const struct lc_node *n) {
  n = res(n);
  return n ? (enum lc_scalar_style)n->style : LC_STYLE_PLAIN;
}

const char *lc_node_tag(const struct lc_node *n) {
  n = res(n);
  return n ? n->tag : NULL;
}

bool lc_node_is_null(const struct lc_node *n) {
  n = res(n);
  if (!n || n->kind != LC_NODE_SCALAR || n->style != LC_STYLE_PLAIN) return false;
  if (n->tag && strcmp(n->tag, NULL_TAG) != 0) return false;
  static const char *const spellings[] = {"", "~", "null", "Null", "NULL"};
  for (size_t i = 0; i < LC_ARRAY_LEN(spellings); i++)
    if (lc_node_is(n, spellings[i])) return true;
  return false;
}

bool lc_node_is(const struct lc_node *n, const char *s) {
  n = res(n);
  if (!n || n->kind != LC_NODE_SCALAR) return false;
  size_t len = strlen(s);
  return n->u.s.len == len && memcmp(n->u.s.text, s, len) == 0;
}

size_t lc_node_count(const struct lc_node *n) {
  n = res(n);
  if (!n) return 0;
  return n->kind == LC_NODE_SEQUENCE ? n->u.q.n : n->kind == LC_NODE_MAPPING ? n->u.m.n : 0;
}

const struct lc_node *lc_node_item(const struct lc_node *n, size_t i) {
  n = res(n);
  return n && n->kind == LC_NODE_SEQUENCE && i < n->u.q.n ? n->u.q.items[i] : NULL;
}

const struct lc_node *lc_node_key(const struct lc_node *n, size_t i) {
  n = res(n);
  return n && n->kind == LC_NODE_MAPPING && i < n->u.m.n ? n->u.m.e[i].key : NULL;
}

const struct lc_node *lc_node_value(const struct lc_node *n, size_t i) {
  n = res(n);
  return n && n->kind == LC_NODE_MAPPING && i < n->u.m.n ? n->u.m.e[i].value : NULL;
}

const struct lc_node *lc_node_get(const struct lc_node *n, const char *key,
                                  const struct lc_node **key_out) {
  n = res(n);
  if (key_out) *key_out = NULL;
  if (!n || n->kind != LC_NODE_MAPPING) return NULL;
  struct kref want = {key, strlen(key), 0, {NULL, NULL}};
  size_t lo = 0, hi = n->u.m.nsorted;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct entry *e = &n->u.m.e[n->u.m.sorted[mid]];
    const struct lc_node *k = res(e->key);
    struct kref have = {k->u.s.text, k->u.s.len, 0, {NULL, NULL}};
    int c = kcmp_text(&have, &want);
    if (c == 0) {
      if (key_out) *key_out = e->key;
      return e->value;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* ---- messages ---------------------------------------------------------------------------- */

/* 'text', shortened to about 40 characters, with control characters escaped. */
static const char *quote_text(const char *t, size_t len, char *buf, size_t size) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_buf_append(&b, "'", 1);
  size_t chars = 0, i = 0;
  for (; i < len && chars < 40; i++) {
    unsigned char c = (unsigned char)t[i];
    if ((c & 0xC0) != 0x80) chars++;
    if (c == '\n') lc_buf_puts(&b, "\\n");
    else if (c == '\t') lc_buf_puts(&b, "\\t");
    else if (c < 0x20 || c == 0x7f) lc_buf_printf(&b, "\\x%02x", c);
    else lc_buf_append(&b, &t[i], 1);
  }
  while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80) lc_buf_append(&b, &t[i++], 1);
  if (i < len) lc_buf_puts(&b, "...");
  lc_buf_append(&b, "'", 1);
  snprintf(buf, size, "%s", b.data);
  lc_buf_release(&b);
  return buf;
}

const char *lc_node_describe(const struct lc_node *n, char *buf, size_t size) {
  const struct lc_node *r = res(n);
  const char *s = !r                               ? "nothing"
                  : r->kind == LC_NODE_MAPPING     ? "a mapping"
                  : r->kind == LC_NODE_SEQUENCE    ? "a sequence"
                  : lc_node_is_null(r) && !r->u.s.len ? "an empty value"
                  : lc_node_is_null(r)             ? "null"
                                                   : NULL;
  if (s) {
    snprintf(buf, size, "%s", s);
    return buf;
  }
  return quote_text(r->u.s.text, r->u.s.len, buf, size);
}

static const char *kind_name(enum lc_node_kind k) {
  return k == LC_NODE_MAPPING ? "a mapping" : k == LC_NODE_SEQUENCE ? "a sequence" : "a scalar";
}

bool lc_node_expect(const struct lc_node *n, enum lc_node_kind kind, struct lc_diags *d) {
  if (!n) return false;
  if (lc_node_kind(n) == kind) return true;
  char what[96];
  lc_diag_error(d, &n->mark, "expected %s, got %s", kind_name(kind),
                lc_node_describe(n, what, sizeof what));
  return false;
}

size_t lc_node_check_keys(const struct lc_node *map, const char *const *allowed,
                          struct lc_diags *d) {
  if (!lc_node_expect(map, LC_NODE_MAPPING, d)) return 1;
  size_t bad = 0;
  for (size_t i = 0; i < lc_node_count(map); i++) {
    const struct lc_node *k = lc_node_key(map, i), *rk = res(k);
    char what[96];
    if (rk->kind != LC_NODE_SCALAR) {
      lc_diag_error(d, &k->mark, "a key must be a scalar, got %s",
                    lc_node_describe(k, what, sizeof what));
      bad++;
      continue;
    }
    bool known = false;
    for (size_t j = 0; allowed[j] && !known; j++) known = lc_node_is(rk, allowed[j]);
    if (known) continue;
    quote_text(rk->u.s.text, rk->u.s.len, what, sizeof what);
    const char *hint = strlen(rk->u.s.text) == rk->u.s.len ? lc_suggest(rk->u.s.text, allowed) : NULL;
    lc_diags_add(d, LC_SEV_ERROR, &k->mark, hint, "unknown key %s", what);
    bad++;
  }
  return bad;
}

const struct lc_node *lc_node_require(const struct lc_node *map, const char *key,
                                      struct lc_diags *d) {
  if (!lc_node_expect(map, LC_NODE_MAPPING, d)) return NULL;
  const struct lc_node *v = lc_node_get(map, key, NULL);
  if (!v) lc_diag_error(d, &map->mark, "missing key '%s'", key);
  return v;
}

/* ---- typed readers ----------------------------------------------------------------------- */

static bool scalar_text(const struct lc_node *n, const char **t, size_t *len) {
  const struct lc_node *r = res(n);
  if (!r || r->kind != LC_NODE_SCALAR) return false;
  *t = r->u.s.text;
  *len = r->u.s.len;
  return true;
}

static bool ieq(const char *t, size_t len, const char *w) {
  size_t n = strlen(w);
  if (len != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = t[i] >= 'A' && t[i] <= 'Z' ? (char)(t[i] - 'A' + 'a') : t[i];
    if (c != w[i]) return false;
  }
  return true;
}

int lc_node_read_bool(const struct lc_node *n, struct lc_diags *d, bool *out) {
  const char *t;
  size_t len;
  char what[96];
  if (!n) return LC_EINVAL;
  if (scalar_text(n, &t, &len) && !lc_node_is_null(n)) {
    if (len == 4 && memcmp(t, "true", 4) == 0) {
      *out = true;
      return 0;
    }
    if (len == 5 && memcmp(t, "false", 5) == 0) {
      *out = false;
      return 0;
    }
  }
  lc_node_describe(n, what, sizeof what);
  if (scalar_text(n, &t, &len) && (ieq(t, len, "true") || ieq(t, len, "false"))) {
    lc_diag_error(d, &n->mark, "expected true or false, got %s (write it in lowercase)", what);
  } else if (scalar_text(n, &t, &len) &&
             (ieq(t, len, "yes") || ieq(t, len, "no") || ieq(t, len, "on") ||
              ieq(t, len, "off") || ieq(t, len, "y") || ieq(t, len, "n"))) {
    lc_diag_error(d, &n->mark,
                  "expected true or false, got %s (yes/no/on/off are not booleans in loadc)",
                  what);
  } else {
    lc_diag_error(d, &n->mark, "expected true or false, got %s", what);
  }
  return LC_EINVAL;
}

/* Parses [+-]digits into *out; returns 0, LC_EINVAL (not an integer) or LC_ETOOBIG. */
static int parse_int(const char *t, size_t len, int64_t *out) {
  bool neg = false;
  size_t i = 0;
  if (len > 0 && (t[0] == '-' || t[0] == '+')) {
    neg = t[0] == '-';
    i = 1;
  }
  if (i == len) return LC_EINVAL;
  for (size_t k = i; k < len; k++)
    if (t[k] < '0' || t[k] > '9') return LC_EINVAL;
  while (i + 1 < len && t[i] == '0') i++; /* leading zeros do not count towards the length */
  uint64_t v;
  if (lc_parse_uint(t + i, len - i, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v) != 0)
    return LC_ETOOBIG;
  *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
  return 0;
}

int lc_node_read_int(const struct lc_node *n, struct lc_diags *d, int64_t *out) {
  return lc_node_read_int_range(n, d, INT64_MIN, INT64_MAX, out);
}

int lc_node_read_int_range(const struct lc_node *n, struct lc_diags *d, int64_t min,
                           int64_t max, int64_t *out) {
  const char *t;
  size_t len;
  char what[96];
  if (!n) return LC_EINVAL;
  lc_node_describe(n, what, sizeof what);
  int64_t v = 0;
  int rc = scalar_text(n, &t, &len) && !lc_node_is_null(n) ? parse_int(t, len, &v) : LC_EINVAL;
  if (rc == LC_EINVAL) {
    lc_diag_error(d, &n->mark, "expected an integer, got %s", what);
    return LC_EINVAL;
  }
  if (rc == 0 && v >= min && v <= max) {
    *out = v;
    return 0;
  }
  if (rc != 0 && min == INT64_MIN && max == INT64_MAX)
    lc_diag_error(d, &n->mark, "integer %s is out of range", what);
  else if (max == INT64_MAX)
    lc_diag_error(d, &n->mark, "expected an integer of at least %lld, got %s", (long long)min,
                  what);
  else if (min == INT64_MIN)
    lc_diag_error(d, &n->mark, "expected an integer of at most %lld, got %s", (long long)max,
                  what);
  else
    lc_diag_error(d, &n->mark, "expected an integer from %lld to %lld, got %s", (long long)min,
                  (long long)max, what);
  return LC_EINVAL;
}

/* [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? : YAML's float without .inf/.nan */
static bool number_syntax(const char *t, size_t len) {
  size_t i = 0, digits = 0;
  if (i < len && (t[i] == '+' || t[i] == '-')) i++;
  while (i < len && t[i] >= '0' && t[i] <= '9') i++, digits++;
  if (i < len && t[i] == '.') {
    i++;
    while (i < len && t[i] >= '0' && t[i] <= '9') i++, digits++;
  }
  if (digits == 0) return false;
  if (i < len && (t[i] == 'e' || t[i] == 'E')) {
    i++;
    if (i < len && (t[i] == '+' || t[i] == '-')) i++;
    size_t exp = 0;
    while (i < len && t[i] >= '0' && t[i] <= '9') i++, exp++;
    if (exp == 0) return false;
  }
  return i == len;
}

int lc_node_read_number(const struct lc_node *n, struct lc_diags *d, double *out) {
  const char *t;
  size_t len;
  char what[96];
  if (!n) return LC_EINVAL;
  if (!scalar_text(n, &t, &len) || !number_syntax(t, len)) {
    lc_diag_error(d, &n->mark, "expected a number, got %s", lc_node_describe(n, what, sizeof what));
    return LC_EINVAL;
  }
  /* The text is NUL-terminated and holds only number characters: strtod reads all of it. */
  double v = strtod(t, NULL);
  if (!isfinite(v)) {
    lc_diag_error(d, &n->mark, "number %s is out of range", lc_node_describe(n, what, sizeof what));
    return LC_EINVAL;
  }
  *out = v;
  return 0;
}

int lc_node_read_string(const struct lc_node *n, struct lc_diags *d, const char **out,
                        size_t *len) {
  const char *t;
  size_t l;
  char what[96];
  if (!n) return LC_EINVAL;
  if (!scalar_text(n, &t, &l) || lc_node_is_null(n)) {
    lc_diag_error(d, &n->mark, "expected a string, got %s", lc_node_describe(n, what, sizeof what));
    return LC_EINVAL;
  }
  *out = t;
  if (len) *len = l;
  return 0;
}
