/* decode.c: the small text codecs of `loadc serve`: URL decoding, query and Cookie iteration,
 * JSON strings that stay valid whatever the input bytes, and merging of repeated names.
 * Inputs are (pointer, length) pairs that may hold any byte; nothing relies on a NUL. */
#include "cmd/serve/serve_int.h"

#include <stdlib.h>
#include <string.h>


static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t lc_serve_url_decode(char *dst, const char *src, size_t n, int plus) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = src[i];
    if (c == '%' && i + 2 < n) {
      int hi = hexval((unsigned char)src[i + 1]), lo = hexval((unsigned char)src[i + 2]);
      if (hi >= 0 && lo >= 0) {
        dst[o++] = (char)(hi * 16 + lo);
        i += 2;
        continue;
      }
    } else if (c == '+' && plus) {
      c = ' ';
    }
    dst[o++] = c;
  }
  return o;
}

int lc_serve_query_next(const char **cur, const char *end, struct lc_span *name,
                        struct lc_span *value) {
  const char *p = *cur;
  while (p < end && *p == '&') p++;
  if (p >= end) {
    *cur = end;
    return 0;
  }
  const char *amp = memchr(p, '&', (size_t)(end - p));
  const char *e = amp ? amp : end;
  const char *eq = memchr(p, '=', (size_t)(e - p));
  name->p = p;
  name->n = (size_t)((eq ? eq : e) - p);
  value->p = eq ? eq + 1 : e;
  value->n = eq ? (size_t)(e - eq - 1) : 0;
  *cur = e;
  return 1;
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

int lc_serve_cookie_next(const char **cur, const char *end, struct lc_span *name,
                         struct lc_span *value) {
  const char *p = *cur;
  while (p < end) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *e = semi ? semi : end;
    const char *next = semi ? semi + 1 : end;
    const char *eq = memchr(p, '=', (size_t)(e - p));
    if (eq) {
      const char *ns = p, *ne = eq, *vs = eq + 1, *ve = e;
      while (ns < ne && is_ows(*ns)) ns++;
      while (ne > ns && is_ows(ne[-1])) ne--;
      while (vs < ve && is_ows(*vs)) vs++;
      while (ve > vs && is_ows(ve[-1])) ve--;
      if (ne > ns) {
        name->p = ns;
        name->n = (size_t)(ne - ns);
        value->p = vs;
        value->n = (size_t)(ve - vs);
        *cur = next;
        return 1;
      }
    }
    p = next;
  }
  *cur = end;
  return 0;
}

/* Length of the UTF-8 sequence at s (n > 0 bytes available): sets *ok and returns the length
 * of the valid sequence, or of the maximal invalid subpart to replace by one U+FFFD. */
static size_t utf8_seq(const unsigned char *s, size_t n, int *ok) {
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t need;
  *ok = 0;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c == 0xE0) need = 2, lo = 0xA0;
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
  else if (c == 0xED) need = 2, hi = 0x9F;
  else if (c == 0xF0) need = 3, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) need = 3;
  else if (c == 0xF4) need = 3, hi = 0x8F;
  else return 1;
  for (size_t k = 1; k <= need; k++) {
    if (k >= n) return k;
    unsigned char d = s[k];
    if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) return k;
  }
  *ok = 1;
  return need + 1;
}

int lc_serve_json_str(struct lc_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t start = b->len;
  const unsigned char *u = (const unsigned char *)s;
  int rc = lc_buf_append(b, "\"", 1);
  size_t i = 0, run = 0;
  while (i < n && rc == 0) {
    unsigned char c = u[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      i++;
      continue;
    }
    if (i > run) rc = lc_buf_append(b, s + run, i - run);
    if (rc) break;
    if (c < 0x80) {
      char e[6] = {'\\', (char)c, 0, 0, 0, 0};
      size_t el = 2;
      if (c == '\n') e[1] = 'n';
      else if (c == '\r') e[1] = 'r';
      else if (c == '\t') e[1] = 't';
      else if (c != '"' && c != '\\') {
        e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
        el = 6;
      }
      rc = lc_buf_append(b, e, el);
      i++;
    } else {
      int ok;
      size_t k = utf8_seq(u + i, n - i, &ok);
      rc = ok ? lc_buf_append(b, s + i, k) : lc_buf_append(b, "\xef\xbf\xbd", 3);
      i += k;
    }
    run = i;
  }
  if (rc == 0 && i > run) rc = lc_buf_append(b, s + run, i - run);
  if (rc == 0) rc = lc_buf_append(b, "\"", 1);
  if (rc) {
    b->len = start;
    if (b->data) b->data[start] = '\0';
  }
  return rc;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static uint64_t name_hash(const char *s, size_t n, int icase) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)(icase ? lower(s[i]) : s[i]);
    h *= 0x100000001b3ULL;
  }
  return h ^ (h >> 29);
}

static int name_eq(const struct lc_serve_kv *a, const struct lc_serve_kv *b, int icase) {
  if (a->name_len != b->name_len) return 0;
  if (!icase) return memcmp(a->name, b->name, a->name_len) == 0;
  for (size_t i = 0; i < a->name_len; i++)
    if (lower(a->name[i]) != lower(b->name[i])) return 0;
  return 1;
}

void lc_serve_kv_group(struct lc_serve_kv *kv, size_t n, int icase) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  uint32_t *slot = lc_xmalloc(cap * sizeof *slot);
  uint32_t *tail = lc_xmalloc((n ? n : 1) * sizeof *tail);
  memset(slot, 0xff, cap * sizeof *slot);
  for (size_t i = 0; i < n; i++) {
    kv[i].next = LC_SERVE_KV_END;
    kv[i].first = 1;
    size_t h = (size_t)name_hash(kv[i].name, kv[i].name_len, icase) & (cap - 1);
    for (; slot[h] != UINT32_MAX; h = (h + 1) & (cap - 1)) {
      uint32_t j = slot[h];
      if (name_eq(&kv[j], &kv[i], icase)) {
        kv[tail[j]].next = (uint32_t)i;
        tail[j] = (uint32_t)i;
        kv[i].first = 0;
        break;
      }
    }
    if (kv[i].first) {
      slot[h] = (uint32_t)i;
      tail[i] = (uint32_t)i;
    }
  }
  free(tail);
  free(slot);
}
