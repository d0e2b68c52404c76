/* base.c: memory, logging, buffers and suggestions shared by every module (see base.h). */
#include "engine/base/base.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static LC_NORETURN void oom(size_t n) {
  fprintf(stderr, "loadc: out of memory (allocating %zu bytes)\n", n);
  abort();
}

void *lc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *lc_xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) oom(count * size);
  return p;
}

void *lc_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n);
  return q;
}

char *lc_xstrndup(const char *s, size_t n) {
  char *d = lc_xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *lc_xstrdup(const char *s) { return lc_xstrndup(s, strlen(s)); }

char *lc_xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *s = lc_xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static enum lc_log_level log_level = LC_LOG_WARN;

void lc_log_set_level(enum lc_log_level level) { log_level = level; }
enum lc_log_level lc_log_get_level(void) { return log_level; }

void lc_log(enum lc_log_level level, const char *fmt, ...) {
  static const char *const names[] = {"error", "warning", "info", "debug"};
  if (level > log_level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "loadc: %s: %s\n", names[level], line);
}

void lc_buf_init(struct lc_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void lc_buf_release(struct lc_buf *b) {
  free(b->data);
  lc_buf_init(b, b->max);
}

void lc_buf_reset(struct lc_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

int lc_buf_reserve(struct lc_buf *b, size_t n) {
  if (b->max && (n > b->max || b->len > b->max - n)) return LC_ETOOBIG;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    b->data = lc_xrealloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0';
  }
  return 0;
}

int lc_buf_append(struct lc_buf *b, const void *p, size_t n) {
  if (lc_buf_reserve(b, n) != 0) return LC_ETOOBIG;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int lc_buf_puts(struct lc_buf *b, const char *s) { return lc_buf_append(b, s, strlen(s)); }

int lc_buf_printf(struct lc_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return LC_EINVAL;
  if ((size_t)n < sizeof small) return lc_buf_append(b, small, (size_t)n);
  char *big = lc_xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  int rc = lc_buf_append(b, big, (size_t)n);
  free(big);
  return rc;
}

int lc_buf_json_string(struct lc_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t start = b->len;
  int rc = lc_buf_append(b, "\"", 1);
  for (size_t i = 0; i < n && rc == 0; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      rc = lc_buf_append(b, e, 2);
    } else if (c == '\n') {
      rc = lc_buf_append(b, "\\n", 2);
    } else if (c == '\r') {
      rc = lc_buf_append(b, "\\r", 2);
    } else if (c == '\t') {
      rc = lc_buf_append(b, "\\t", 2);
    } else if (c < 0x20 || c == 0x7f) {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      rc = lc_buf_append(b, e, 6);
    } else {
      rc = lc_buf_append(b, &s[i], 1);
    }
  }
  if (rc == 0) rc = lc_buf_append(b, "\"", 1);
  if (rc != 0) {
    b->len = start;
    if (b->data) b->data[start] = '\0';
  }
  return rc;
}

void lc_buf_consume(struct lc_buf *b, size_t n) {
  if (n >= b->len) {
    lc_buf_reset(b);
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
  b->data[b->len] = '\0';
}

char *lc_buf_steal(struct lc_buf *b) {
  char *s = b->data ? b->data : lc_xstrdup("");
  lc_buf_init(b, b->max);
  return s;
}

const char *lc_strerror(int err) {
  switch (err) {
  case LC_OK: return "success";
  case LC_EINVAL: return "invalid input";
  case LC_ETOOBIG: return "limit reached";
  case LC_ENOENT: return "not found";
  case LC_EIO: return "input/output error";
  case LC_ENOTSUP: return "not supported";
  default: return "unknown error";
  }
}

size_t lc_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return (size_t)-1;
  size_t d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
      size_t best = d[i - 1][j - 1] + (same ? 0 : 1);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

const char *lc_suggest(const char *word, const char *const *candidates) {
  size_t len = strlen(word);
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; candidates[i]; i++) {
    size_t d = lc_edit_distance(word, candidates[i]);
    size_t clen = strlen(candidates[i]);
    size_t longer = clen > len ? clen : len;
    size_t limit = longer / 3 > 1 ? longer / 3 : 1;
    if (d <= limit && d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}

const char *lc_quote(char *buf, size_t size, const char *s, size_t n) {
  size_t k = 0, chars = 0, i = 0;
  if (size < 8) {
    if (size) buf[0] = '\0';
    return buf;
  }
  buf[k++] = '\'';
  for (; i < n && chars < 40 && k + 6 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c & 0xC0) != 0x80) chars++;
    buf[k++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
  }
  while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80 && k + 5 < size) buf[k++] = s[i++];
  if (i < n) {
    memcpy(buf + k, "...", 3);
    k += 3;
  }
  buf[k++] = '\'';
  buf[k] = '\0';
  return buf;
}

const char *lc_memmem(const char *hay, size_t hn, const char *needle, size_t nn) {
  if (nn == 0) return hay;
  if (nn > hn) return NULL;
  const char *end = hay + (hn - nn) + 1;
  for (const char *p = hay; p < end; p++) {
    p = memchr(p, needle[0], (size_t)(end - p));
    if (!p) return NULL;
    if (memcmp(p, needle, nn) == 0) return p;
  }
  return NULL;
}

int lc_parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out) {
  if (n == 0 || n > 20) return LC_EINVAL;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return LC_EINVAL;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return LC_EINVAL;
    v = v * 10 + d;
  }
  if (v > max) return LC_EINVAL;
  *out = v;
  return 0;
}

struct lc_arena_block {
  struct lc_arena_block *next;
  size_t used, size;
  max_align_t data[];
};

enum { ARENA_BLOCK = 16384 };

void lc_arena_init(struct lc_arena *a) { a->head = NULL; }

void lc_arena_release(struct lc_arena *a) {
  struct lc_arena_block *b = a->head;
  while (b) {
    struct lc_arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
}

void *lc_arena_alloc(struct lc_arena *a, size_t n) {
  size_t align = _Alignof(max_align_t);
  n = (n + align - 1) / align * align;
  if (n == 0) n = align;
  struct lc_arena_block *b = a->head;
  if (!b || b->size - b->used < n) {
    size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    b = lc_xmalloc(sizeof *b + size);
    b->used = 0;
    b->size = size;
    if (n > ARENA_BLOCK && a->head) {
      /* a big one-off block goes behind the current one, which keeps its free space */
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  void *p = (char *)b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *lc_arena_strndup(struct lc_arena *a, const char *s, size_t n) {
  char *d = lc_arena_alloc(a, n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *lc_arena_strdup(struct lc_arena *a, const char *s) { return lc_arena_strndup(a, s, strlen(s)); }
