/* source.h: a loaded text with its line table, shared by diag.c (to print the source line
 * under a diagnostic) and node.c (to map libyaml's marks and scalar offsets to columns).
 * Internal to config/. Lines break as libyaml breaks them (LF, CRLF, CR, NEL, LS, PS) and a
 * leading UTF-8 BOM is not part of line 1; columns count UTF-8 characters, a tab counts 1. */
#ifndef LC_CONFIG_SOURCE_H
#define LC_CONFIG_SOURCE_H

#include <stddef.h>

struct lc_source {
  char *name;       /* owned */
  char *text;       /* owned copy, NUL-terminated (may hold NULs inside: use len) */
  size_t len;
  size_t *lines;    /* byte offset where each line starts; lines[0] is line 1 */
  size_t nlines;    /* at least 1 */
};

/* Copies `name` and `text` (len bytes) and builds the line table. */
void lc_source_init(struct lc_source *s, const char *name, const char *text, size_t len);
void lc_source_release(struct lc_source *s);

/* The bytes of 1-based `line` without its line break. Returns 0, or -1 when there is no such
 * line (then *start and *len are not set). */
int lc_source_line(const struct lc_source *s, size_t line, const char **start, size_t *len);

/* Byte offset of 1-based (line, column); a column past the end of the line gives the offset of
 * the line break, a line past the end gives len. */
size_t lc_source_offset(const struct lc_source *s, size_t line, size_t column);

/* The 1-based line and column of byte `offset` (clamped to len). */
void lc_source_position(const struct lc_source *s, size_t offset, size_t *line, size_t *column);

/* Length in bytes of the line break at text[i], or 0 if there is none. */
size_t lc_source_break_len(const char *text, size_t len, size_t i);

/* Number of UTF-8 characters in p[0..n) (continuation bytes are not counted). */
size_t lc_utf8_count(const char *p, size_t n);

#endif
