/* source.c: line tables over loaded text so diagnostics and node marks agree with libyaml on
 * what a line and a column are (see source.h). */
#include "config/source.h"

#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

size_t lc_source_break_len(const char *text, size_t len, size_t i) {
  const unsigned char *t = (const unsigned char *)text;
  if (i >= len) return 0;
  if (t[i] == '\n') return 1;
  if (t[i] == '\r') return (i + 1 < len && t[i + 1] == '\n') ? 2 : 1;
  if (t[i] == 0xC2 && i + 1 < len && t[i + 1] == 0x85) return 2;               /* NEL */
  if (t[i] == 0xE2 && i + 2 < len && t[i + 1] == 0x80 && (t[i + 2] == 0xA8 || t[i + 2] == 0xA9))
    return 3;                                                                  /* LS, PS */
  return 0;
}

size_t lc_utf8_count(const char *p, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)p[i] & 0xC0) != 0x80) c++;
  return c;
}

void lc_source_init(struct lc_source *s, const char *name, const char *text, size_t len) {
  s->name = lc_xstrdup(name ? name : "");
  s->text = lc_xstrndup(text ? text : "", text ? len : 0);
  s->len = text ? len : 0;
  size_t cap = 16;
  s->lines = lc_xmalloc(cap * sizeof *s->lines);
  size_t start = 0;
  if (s->len >= 3 && memcmp(s->text, "\xEF\xBB\xBF", 3) == 0) start = 3;
  s->lines[0] = start;
  s->nlines = 1;
  for (size_t i = start; i < s->len;) {
    size_t b = lc_source_break_len(s->text, s->len, i);
    if (!b) {
      i++;
      continue;
    }
    i += b;
    if (s->nlines == cap) {
      cap *= 2;
      s->lines = lc_xrealloc(s->lines, cap * sizeof *s->lines);
    }
    s->lines[s->nlines++] = i;
  }
}

void lc_source_release(struct lc_source *s) {
  free(s->name);
  free(s->text);
  free(s->lines);
  memset(s, 0, sizeof *s);
}

/* End of the line's content: the offset of its break, or len. */
static size_t line_end(const struct lc_source *s, size_t idx) {
  size_t end = idx + 1 < s->nlines ? s->lines[idx + 1] : s->len;
  size_t i = s->lines[idx];
  while (i < end && !lc_source_break_len(s->text, s->len, i)) i++;
  return i;
}

int lc_source_line(const struct lc_source *s, size_t line, const char **start, size_t *len) {
  if (line == 0 || line > s->nlines) return -1;
  size_t b = s->lines[line - 1];
  *start = s->text + b;
  *len = line_end(s, line - 1) - b;
  return 0;
}

size_t lc_source_offset(const struct lc_source *s, size_t line, size_t column) {
  if (line == 0) return 0;
  if (line > s->nlines) return s->len;
  size_t i = s->lines[line - 1], end = line_end(s, line - 1);
  size_t chars = column > 0 ? column - 1 : 0;
  while (i < end && chars > 0) {
    i++;
    while (i < end && ((unsigned char)s->text[i] & 0xC0) == 0x80) i++;
    chars--;
  }
  return i;
}

void lc_source_position(const struct lc_source *s, size_t offset, size_t *line, size_t *column) {
  if (offset > s->len) offset = s->len;
  size_t lo = 0, hi = s->nlines; /* find the last line starting at or before offset */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->lines[mid] <= offset) lo = mid;
    else hi = mid;
  }
  size_t b = s->lines[lo];
  if (offset < b) offset = b; /* inside a BOM */
  *line = lo + 1;
  *column = lc_utf8_count(s->text + b, offset - b) + 1;
}
