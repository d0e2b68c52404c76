/* http_parse.c: the fast client's incremental HTTP/1.1 response parser (see http_parse.h).
 * Status and header lines are copied into the caller's header buffer as they arrive and turned
 * into "name\0value\0" in place once complete; the body is never copied: LC_RESP_BODY points
 * into the bytes fed. Line ends may be CRLF or a bare LF, as most clients accept. */
#include "engine/http_parse.h"

#include <string.h>

enum {
  S_START,      /* nothing fed yet */
  S_STATUS,     /* in the status line (or the empty lines before it) */
  S_HEADER,     /* in the header lines */
  S_NO_BODY,    /* headers returned; the response has no body */
  S_BODY_LEN,   /* Content-Length body */
  S_BODY_CLOSE, /* body delimited by the connection's close */
  S_CHUNK_SIZE, /* hex digits of a chunk-size line */
  S_CHUNK_EXT,  /* the rest of a chunk-size line (extensions) */
  S_CHUNK_DATA,
  S_CHUNK_END,  /* the CRLF after a chunk's data */
  S_TRAILER,    /* trailer lines after the last chunk, up to an empty line */
  S_DONE,
  S_ERROR,
};

#define CHUNK_EXT_MAX 4096 /* bytes of chunk extensions on one line */

void lc_resp_parser_init(struct lc_resp_parser *p, char *head, size_t head_cap,
                         struct lc_http_header *headers, size_t max_headers, bool head_request) {
  memset(p, 0, sizeof *p);
  p->head = head;
  p->head_cap = head_cap;
  p->headers = headers;
  p->max_headers = max_headers;
  p->no_body = head_request;
  p->content_length = -1;
  p->state = S_START;
}

bool lc_resp_parser_started(const struct lc_resp_parser *p) { return p->started; }

bool lc_resp_parser_has_headers(const struct lc_resp_parser *p) { return p->got_headers; }

static enum lc_resp_event fail(struct lc_resp_parser *p, const char *msg) {
  p->state = S_ERROR;
  p->error = msg;
  return LC_RESP_ERROR;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool ieq(const char *a, size_t n, const char *b) {
  if (strlen(b) != n) return false;
  for (size_t i = 0; i < n; i++)
    if (lower(a[i]) != b[i]) return false;
  return true;
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* Whether the comma-separated list v holds token tok (case-insensitive). With last, only its
 * last element is looked at (Transfer-Encoding: the final coding). */
static bool list_has(const char *v, const char *tok, bool last) {
  bool found = false;
  while (*v) {
    while (*v == ',' || is_ows(*v)) v++;
    const char *s = v;
    while (*v && *v != ',') v++;
    const char *e = v;
    while (e > s && is_ows(e[-1])) e--;
    if (e == s) continue;
    bool m = ieq(s, (size_t)(e - s), tok);
    if (last) found = m;
    else if (m) return true;
  }
  return found;
}

/* "HTTP/1.x NNN[ reason]" */
static bool parse_status(struct lc_resp_parser *p, const char *l, size_t n) {
  if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || !is_digit(l[7]) || l[8] != ' ') return false;
  if (l[9] < '1' || l[9] > '5' || !is_digit(l[10]) || !is_digit(l[11])) return false;
  if (n > 12 && l[12] != ' ') return false;
  for (size_t i = 12; i < n; i++)
    if ((unsigned char)l[i] < 0x20 && l[i] != '\t') return false;
  p->minor = l[7] - '0';
  p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
  return true;
}

static bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The header line in head[line_start, end) becomes "name\0value\0" in place. */
static enum lc_resp_event header_line(struct lc_resp_parser *p, size_t end) {
  char *l = p->head + p->line_start;
  size_t n = end - p->line_start;
  if (is_ows(l[0])) { /* obsolete line folding: more of the previous value */
    if (p->nheaders == 0) return fail(p, "malformed header line");
    size_t i = 0;
    while (i < n && is_ows(l[i])) i++;
    while (n > i && is_ows(l[n - 1])) n--;
    p->head[p->line_start - 1] = ' '; /* the previous value's NUL */
    memmove(l, l + i, n - i);
    l[n - i] = '\0';
    p->head_len = p->line_start + (n - i) + 1;
    return LC_RESP_AGAIN;
  }
  const char *colon = memchr(l, ':', n);
  if (!colon || colon == l) return fail(p, "malformed header line");
  size_t nl = (size_t)(colon - l);
  for (size_t i = 0; i < nl; i++)
    if (!is_tchar(l[i])) return fail(p, "malformed header line");
  if (p->nheaders == p->max_headers) return fail(p, "too many response headers");
  size_t v = nl + 1, e = n;
  while (v < e && is_ows(l[v])) v++;
  while (e > v && is_ows(l[e - 1])) e--;
  for (size_t i = v; i < e; i++)
    if (l[i] == '\0') return fail(p, "malformed header line");
  l[nl] = '\0';
  memmove(l + nl + 1, l + v, e - v);
  l[nl + 1 + (e - v)] = '\0';
  p->headers[p->nheaders].name = l;
  p->headers[p->nheaders].value = l + nl + 1;
  p->nheaders++;
  p->head_len = p->line_start + nl + 1 + (e - v) + 1;
  return LC_RESP_AGAIN;
}

static bool parse_length(const char *v, int64_t *out) {
  size_t n = strlen(v);
  if (n == 0 || n > 18) return false;
  int64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(v[i])) return false;
    x = x * 10 + (v[i] - '0');
  }
  *out = x;
  return true;
}

/* The blank line after the headers: an interim response is forgotten; a final one's framing
 * and connection are worked out. */
static enum lc_resp_event headers_done(struct lc_resp_parser *p) {
  if (p->status < 200) {
    if (p->status == 101) return fail(p, "unexpected 101 switching protocols");
    p->nheaders = 0;
    p->head_len = 0;
    p->state = S_STATUS;
    return LC_RESP_AGAIN;
  }
  bool te = false, close = false, ka = false;
  for (size_t i = 0; i < p->nheaders; i++) {
    const char *name = p->headers[i].name, *v = p->headers[i].value;
    size_t nl = strlen(name);
    if (ieq(name, nl, "transfer-encoding")) {
      te = true;
      p->chunked = list_has(v, "chunked", true);
    } else if (ieq(name, nl, "content-length")) {
      int64_t x;
      if (!parse_length(v, &x) || (p->content_length >= 0 && p->content_length != x))
        return fail(p, "invalid content-length");
      p->content_length = x;
    } else if (ieq(name, nl, "connection")) {
      close = close || list_has(v, "close", false);
      ka = ka || list_has(v, "keep-alive", false);
    }
  }
  p->keep_alive = !close && (p->minor >= 1 || ka);
  p->got_headers = true;
  if (p->no_body || p->status == 204 || p->status == 304) {
    p->state = S_NO_BODY;
  } else if (te) {
    p->content_length = -1;
    if (p->chunked) {
      p->state = S_CHUNK_SIZE;
    } else {
      p->state = S_BODY_CLOSE;
      p->keep_alive = false;
    }
  } else if (p->content_length >= 0) {
    p->state = S_BODY_LEN;
    p->body_left = (uint64_t)p->content_length;
  } else {
    p->state = S_BODY_CLOSE;
    p->close_delimited = true;
    p->keep_alive = false;
  }
  return LC_RESP_HEADERS;
}

/* Status and header lines: copies bytes up to the end of the line, then handles the line. */
static enum lc_resp_event feed_head(struct lc_resp_parser *p, const char *data, size_t len,
                                    size_t *used) {
  size_t at = 0;
  while (at < len) {
    const char *nl = memchr(data + at, '\n', len - at);
    size_t copy = nl ? (size_t)(nl - (data + at)) : len - at;
    if (copy + 2 > p->head_cap - p->head_len) {
      *used = at;
      return fail(p, "response headers too large");
    }
    memcpy(p->head + p->head_len, data + at, copy);
    p->head_len += copy;
    at += copy;
    if (!nl) break;
    at++; /* the LF */
    size_t end = p->head_len;
    if (end > p->line_start && p->head[end - 1] == '\r') end--;
    enum lc_resp_event ev = LC_RESP_AGAIN;
    if (p->state == S_STATUS) {
      if (end == p->line_start) { /* an empty line before the status line: ignored */
        p->head_len = p->line_start;
        continue;
      }
      if (!parse_status(p, p->head + p->line_start, end - p->line_start)) {
        *used = at;
        p->status = 0;
        return fail(p, "malformed status line");
      }
      p->head_len = 0; /* the status line is not kept */
      p->state = S_HEADER;
    } else if (end == p->line_start) {
      p->head_len = p->line_start;
      ev = headers_done(p);
    } else {
      ev = header_line(p, end);
    }
    p->line_start = p->head_len;
    if (ev != LC_RESP_AGAIN) {
      *used = at;
      return ev;
    }
  }
  *used = at;
  return LC_RESP_AGAIN;
}

/* A chunk-size line, byte by byte: hex digits, then extensions (skipped) to the LF. */
static enum lc_resp_event feed_chunk_line(struct lc_resp_parser *p, const char *data, size_t len,
                                          size_t *used) {
  size_t i = 0;
  for (; i < len; i++) {
    char c = data[i];
    if (p->line_cr && c != '\n') return fail(p, "invalid chunk size");
    if (c == '\n') {
      if (p->chunk_digits == 0) return fail(p, "invalid chunk size");
      p->line_cr = false;
      p->body_left = p->chunk_size;
      p->state = p->chunk_size ? S_CHUNK_DATA : S_TRAILER;
      p->trailer_bytes = 0;
      p->chunk_digits = 0;
      *used = i + 1;
      return LC_RESP_AGAIN;
    }
    if (p->state == S_CHUNK_EXT) {
      if (c == '\r') p->line_cr = true;
      else if (++p->trailer_bytes > CHUNK_EXT_MAX) return fail(p, "chunk extension too long");
      continue;
    }
    int d = is_digit(c) ? c - '0' : (lower(c) >= 'a' && lower(c) <= 'f') ? lower(c) - 'a' + 10 : -1;
    if (d >= 0) {
      if (p->chunk_size > (UINT64_MAX >> 4) || ++p->chunk_digits > 16)
        return fail(p, "invalid chunk size");
      p->chunk_size = (p->chunk_size << 4) | (uint64_t)d;
    } else if (c == '\r' && p->chunk_digits) {
      p->line_cr = true;
    } else if ((c == ';' || is_ows(c)) && p->chunk_digits) {
      p->state = S_CHUNK_EXT;
      p->trailer_bytes = 0;
    } else {
      return fail(p, "invalid chunk size");
    }
  }
  *used = i;
  return LC_RESP_AGAIN;
}

/* Trailer lines (not kept, but bounded) up to an empty line. */
static enum lc_resp_event feed_trailer(struct lc_resp_parser *p, const char *data, size_t len,
                                       size_t *used) {
  for (size_t i = 0; i < len; i++) {
    char c = data[i];
    if (c == '\n') {
      if (p->chunk_digits == 0) { /* (reused: bytes on this trailer line) */
        p->state = S_DONE;
        *used = i + 1;
        return LC_RESP_DONE;
      }
      p->chunk_digits = 0;
    } else if (c != '\r' || p->chunk_digits) {
      p->chunk_digits = 1;
    }
    if (++p->trailer_bytes > p->head_cap) return fail(p, "response trailers too large");
  }
  *used = len;
  return LC_RESP_AGAIN;
}

static enum lc_resp_event body_piece(struct lc_resp_parser *p, const char *data, size_t len,
                                     size_t *used, const char **body, size_t *body_len) {
  size_t n = p->body_left < len ? (size_t)p->body_left : len;
  p->body_left -= n;
  *used = n;
  *body = data;
  *body_len = n;
  return LC_RESP_BODY;
}

enum lc_resp_event lc_resp_parser_feed(struct lc_resp_parser *p, const char *data, size_t len,
                                       size_t *used, const char **body, size_t *body_len) {
  *used = 0;
  *body = NULL;
  *body_len = 0;
  for (;;) {
    size_t n = 0;
    enum lc_resp_event ev;
    switch (p->state) {
    case S_START:
      if (len == 0) return LC_RESP_AGAIN;
      p->state = S_STATUS;
      p->started = true;
      continue;
    case S_STATUS:
    case S_HEADER:
      ev = feed_head(p, data, len, &n);
      *used += n;
      return ev;
    case S_NO_BODY:
      p->state = S_DONE;
      return LC_RESP_DONE;
    case S_BODY_LEN:
      if (p->body_left == 0) {
        p->state = S_DONE;
        return LC_RESP_DONE;
      }
      if (len == 0) return LC_RESP_AGAIN;
      ev = body_piece(p, data, len, &n, body, body_len);
      *used += n;
      return ev;
    case S_BODY_CLOSE:
      if (len == 0) return LC_RESP_AGAIN;
      *used += len;
      *body = data;
      *body_len = len;
      return LC_RESP_BODY;
    case S_CHUNK_SIZE:
    case S_CHUNK_EXT:
      if (len == 0) return LC_RESP_AGAIN;
      ev = feed_chunk_line(p, data, len, &n);
      *used += n;
      if (ev != LC_RESP_AGAIN || n == len) return ev;
      data += n;
      len -= n;
      continue;
    case S_CHUNK_DATA:
      if (p->body_left == 0) {
        p->state = S_CHUNK_END;
        continue;
      }
      if (len == 0) return LC_RESP_AGAIN;
      ev = body_piece(p, data, len, &n, body, body_len);
      *used += n;
      return ev;
    case S_CHUNK_END:
      if (len == 0) return LC_RESP_AGAIN;
      if (data[0] == '\r' && !p->line_cr) {
        p->line_cr = true;
      } else if (data[0] == '\n') {
        p->line_cr = false;
        p->state = S_CHUNK_SIZE;
        p->chunk_digits = 0;
        p->chunk_size = 0;
      } else {
        return fail(p, "missing CRLF after chunk data");
      }
      *used += 1;
      data++;
      len--;
      continue;
    case S_TRAILER:
      if (len == 0) return LC_RESP_AGAIN;
      ev = feed_trailer(p, data, len, &n);
      *used += n;
      return ev;
    case S_DONE:
      return LC_RESP_DONE;
    default:
      return LC_RESP_ERROR;
    }
  }
}

enum lc_resp_event lc_resp_parser_eof(struct lc_resp_parser *p) {
  switch (p->state) {
  case S_BODY_CLOSE:
  case S_DONE:
  case S_NO_BODY:
    p->state = S_DONE;
    return LC_RESP_DONE;
  case S_BODY_LEN:
    if (p->body_left == 0) {
      p->state = S_DONE;
      return LC_RESP_DONE;
    }
    return fail(p, "connection closed before the end of the body");
  case S_START:
    return fail(p, "connection closed without a response");
  case S_STATUS:
  case S_HEADER:
    return fail(p, "connection closed before the end of the headers");
  case S_ERROR:
    return LC_RESP_ERROR;
  default:
    return fail(p, "connection closed before the end of the body");
  }
}
