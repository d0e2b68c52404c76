/* http_req.c: the incremental HTTP/1.1 request parser of `loadc serve` (see http_req.h).
 * Strict where a mistake could desynchronise a connection (framing: request line, header syntax,
 * Content-Length, chunk sizes), lenient where it costs nothing (bare LF line ends, leading empty
 * lines, no Host). Every index is checked against the length given; nothing is NUL-terminated. */
#include "cmd/serve/http_req.h"

#include <string.h>

enum { ST_HEAD = 0, ST_LENGTH, ST_CHUNKED };

enum {
  F_STARTED = 1,   /* the request line has begun (leading empty lines skipped) */
  F_LINE1 = 2,     /* the request line is complete and valid */
  F_EXPECT = 4,    /* Expect: 100-continue on HTTP/1.1 */
  F_CONT_SENT = 8  /* LC_HTTP_CONTINUE was returned */
};

/* Chunked sub-states: the size-line ones first, the trailer ones last (see count_line_byte). */
enum {
  CS_SIZE0 = 0, /* first hex digit of a size */
  CS_SIZE,      /* more hex digits */
  CS_SIZE_WS,   /* whitespace after the size */
  CS_EXT,       /* chunk extension, ignored */
  CS_SIZE_LF,   /* CR seen, LF expected */
  CS_DATA,      /* chunk data */
  CS_DATA_CR,   /* CRLF after the data */
  CS_DATA_LF,
  CS_TR0,       /* start of a trailer line, or the final empty line */
  CS_TR,        /* inside a trailer line, ignored */
  CS_END_LF     /* CR of the final empty line seen */
};

/* What the headers say about framing and the connection. */
struct framing {
  int has_cl, te, conn_close, conn_keep_alive, expect;
  uint64_t cl; /* UINT64_MAX when it does not fit */
};

static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static int is_tchar(char c) { return tchar[(unsigned char)c]; }

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

int lc_http_ieq(const char *s, size_t n, const char *lw) {
  size_t i = 0;
  for (; i < n; i++)
    if (lw[i] == '\0' || lower(s[i]) != lw[i]) return 0;
  return lw[i] == '\0';
}

void lc_http_parser_init(struct lc_http_parser *p) { memset(p, 0, sizeof *p); }

int lc_http_idle(const struct lc_http_parser *p) {
  return p->state == ST_HEAD && !(p->flags & F_STARTED);
}

const struct lc_http_header *lc_http_header_get(const struct lc_http_req *req, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < req->nheaders; i++) {
    const struct lc_http_header *h = &req->headers[i];
    size_t j = 0;
    if (h->name_len != n) continue;
    while (j < n && lower(h->name[j]) == lower(name[j])) j++;
    if (j == n) return h;
  }
  return NULL;
}

/* "HTTP/" 1*3DIGIT ["." 1*3DIGIT]: 1.0 and 1.1 are served, another well-formed version is 505,
 * anything else 400. */
static int parse_version(const char *v, size_t n, int *minor) {
  if (n < 6 || memcmp(v, "HTTP/", 5) != 0) return 400;
  size_t i = 5, a = i;
  while (i < n && i - a < 4 && v[i] >= '0' && v[i] <= '9') i++;
  size_t major_len = i - a;
  if (major_len == 0 || major_len > 3) return 400;
  size_t minor_len = 0;
  if (i < n && v[i] == '.') {
    size_t b = ++i;
    while (i < n && i - b < 4 && v[i] >= '0' && v[i] <= '9') i++;
    minor_len = i - b;
    if (minor_len == 0 || minor_len > 3) return 400;
  }
  if (i != n) return 400;
  if (major_len == 1 && v[5] == '1' && minor_len == 1 && (v[7] == '0' || v[7] == '1')) {
    *minor = v[7] - '0';
    return 0;
  }
  return 505;
}

/* Splits the target into path and query: origin-form "/p?q", absolute-form
 * "http://host/p?q" (path "/" when it has none), anything else ("*", "host:port") is all path. */
static void split_target(struct lc_http_req *req) {
  const char *t = req->target;
  size_t n = req->target_len, s = 0;
  req->path = t;
  req->path_len = n;
  req->query = t + n;
  req->query_len = 0;
  req->has_query = 0;
  if (t[0] != '/') {
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n; i++) {
      if (t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/') {
        sep = t + i + 3;
        break;
      }
      if (t[i] == '/' || t[i] == '?') break;
    }
    if (!sep) return;
    s = (size_t)(sep - t);
    while (s < n && t[s] != '/' && t[s] != '?') s++;
  }
  const char *q = memchr(t + s, '?', n - s);
  size_t pend = q ? (size_t)(q - t) : n;
  if (pend == s) {
    req->path = "/";
    req->path_len = 1;
  } else {
    req->path = t + s;
    req->path_len = pend - s;
  }
  if (q) {
    req->has_query = 1;
    req->query = q + 1;
    req->query_len = n - pend - 1;
  }
}

/* The request line s[0..n) (its LF excluded): method SP target SP version. */
static int parse_request_line(const char *s, size_t n, struct lc_http_req *req) {
  if (n && s[n - 1] == '\r') n--;
  size_t i = 0;
  while (i < n && is_tchar(s[i])) i++;
  if (i == 0 || i >= n || s[i] != ' ') return 400;
  req->method = s;
  req->method_len = i;
  size_t t = ++i;
  while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f) i++;
  if (i == t || i >= n || s[i] != ' ') return 400;
  req->target = s + t;
  req->target_len = i - t;
  split_target(req);
  i++;
  return parse_version(s + i, n - i, &req->minor);
}

/* Finds the end of the head, checking the request line as soon as it is complete. Returns 1
 * when the head is complete (p->body_off set), 0 for more, or an error status. */
static int scan_head(struct lc_http_parser *p, const char *buf, size_t len,
                     struct lc_http_req *req) {
  size_t lim = len < LC_HTTP_MAX_HEAD ? len : LC_HTTP_MAX_HEAD;
  size_t i = p->scan;
  while (!(p->flags & F_STARTED)) {
    if (i >= lim) goto more;
    if (buf[i] == '\n') {
      p->start = p->line = ++i;
    } else if (buf[i] == '\r') {
      if (i + 1 >= lim) goto more;
      if (buf[i + 1] != '\n') return 400;
      i += 2;
      p->start = p->line = i;
    } else {
      p->flags |= F_STARTED;
    }
  }
  while (!(p->flags & F_LINE1)) {
    if (i >= lim) goto more;
    unsigned char c = (unsigned char)buf[i];
    if (c == '\n') {
      int rc = parse_request_line(buf + p->start, i - p->start, req);
      if (rc) return rc;
      p->flags |= F_LINE1;
      p->line = ++i;
      break;
    }
    if (c == '\r') {
      if (i + 1 >= lim) goto more;
      if (buf[i + 1] != '\n') return 400;
    } else if (c < 0x20 || c > 0x7e) {
      return 400;
    }
    i++;
  }
  for (;;) {
    if (i >= lim) goto more;
    const char *nl = memchr(buf + i, '\n', lim - i);
    if (!nl) {
      i = lim;
      goto more;
    }
    size_t e = (size_t)(nl - buf);
    if (e == p->line || (e == p->line + 1 && buf[p->line] == '\r')) {
      p->body_off = e + 1;
      p->scan = e + 1;
      return 1;
    }
    p->line = i = e + 1;
  }
more:
  p->scan = i;
  return len >= LC_HTTP_MAX_HEAD ? 431 : 0;
}

static int parse_content_length(const char *v, size_t n, struct framing *f) {
  if (n == 0) return 400;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return 400;
    if (x > (UINT64_MAX - 9) / 10) x = UINT64_MAX; /* saturate: far above the limit anyway */
    else x = x * 10 + (uint64_t)(v[i] - '0');
  }
  if (f->has_cl && f->cl != x) return 400;
  f->has_cl = 1;
  f->cl = x;
  return 0;
}

/* Connection: a comma-separated list of options. */
static void parse_connection(const char *v, size_t n, struct framing *f) {
  size_t i = 0;
  while (i < n) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
    size_t s = i;
    while (i < n && v[i] != ',') i++;
    size_t e = i;
    while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
    if (lc_http_ieq(v + s, e - s, "close")) f->conn_close = 1;
    else if (lc_http_ieq(v + s, e - s, "keep-alive")) f->conn_keep_alive = 1;
  }
}

static int framing_header(const struct lc_http_header *h, struct framing *f) {
  switch (h->name_len) {
  case 6:
    if (lc_http_ieq(h->name, 6, "expect") && lc_http_ieq(h->value, h->value_len, "100-continue"))
      f->expect = 1;
    break;
  case 10:
    if (lc_http_ieq(h->name, 10, "connection")) parse_connection(h->value, h->value_len, f);
    break;
  case 14:
    if (lc_http_ieq(h->name, 14, "content-length"))
      return parse_content_length(h->value, h->value_len, f);
    break;
  case 17:
    if (lc_http_ieq(h->name, 17, "transfer-encoding")) {
      /* Only a single "chunked" is understood; other codings cannot be framed safely. */
      if (f->te || !lc_http_ieq(h->value, h->value_len, "chunked")) return 400;
      f->te = 1;
    }
    break;
  default:
    break;
  }
  return 0;
}

/* Parses the complete head (request line, headers) into req and f. */
static int parse_head(const struct lc_http_parser *p, const char *buf, struct lc_http_req *req,
                      struct framing *f) {
  memset(f, 0, sizeof *f);
  const char *s = buf + p->start, *end = buf + p->body_off;
  const char *nl = memchr(s, '\n', (size_t)(end - s));
  if (!nl) return 400;
  int rc = parse_request_line(s, (size_t)(nl - s), req);
  if (rc) return rc;
  req->nheaders = 0;
  for (s = nl + 1; s < end; s = nl + 1) {
    nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) return 400;
    const char *le = nl;
    if (le > s && le[-1] == '\r') le--;
    if (le == s) break;
    const char *c = s;
    while (c < le && is_tchar(*c)) c++;
    if (c == s || c == le || *c != ':') return 400; /* also obs-fold and space before ':' */
    struct lc_http_header h = {.name = s, .name_len = (size_t)(c - s)};
    c++;
    while (c < le && (*c == ' ' || *c == '\t')) c++;
    const char *ve = le;
    while (ve > c && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    for (const char *q = c; q < ve; q++) {
      unsigned char u = (unsigned char)*q;
      if ((u < 0x20 && u != '\t') || u == 0x7f) return 400;
    }
    h.value = c;
    h.value_len = (size_t)(ve - c);
    if (req->nheaders == LC_HTTP_MAX_HEADERS) return 431;
    req->headers[req->nheaders++] = h;
    rc = framing_header(&h, f);
    if (rc) return rc;
  }
  if (f->has_cl && f->te) return 400;
  if (f->has_cl && f->cl > LC_HTTP_MAX_BODY) return 413;
  req->chunked = f->te;
  if (req->minor == 1) req->keep_alive = !f->conn_close;
  else req->keep_alive = f->conn_keep_alive && !f->conn_close;
  return 0;
}

static int chunk_size_done(struct lc_http_parser *p, size_t w) {
  if (p->left == 0) {
    p->cstate = CS_TR0;
    p->aux = 0;
    return 0;
  }
  if (w - p->body_off + p->left > LC_HTTP_MAX_BODY) return 413;
  p->cstate = CS_DATA;
  return 0;
}

/* Decodes the chunked body in place from p->rpos; returns 1 when complete (p->rpos is then
 * just after it), 0 for more, or an error status. */
static int parse_chunked(struct lc_http_parser *p, char *buf, size_t len) {
  size_t r = p->rpos, w = p->wpos;
  int rc = 0;
  while (r < len) {
    unsigned char c = (unsigned char)buf[r];
    int v;
    if (p->cstate == CS_DATA) {
      size_t n = len - r;
      if (n > p->left) n = (size_t)p->left;
      if (w != r) memmove(buf + w, buf + r, n);
      w += n;
      r += n;
      p->left -= n;
      if (p->left == 0) p->cstate = CS_DATA_CR;
      continue;
    }
    if (p->cstate <= CS_SIZE_LF) {
      if (++p->aux > LC_HTTP_MAX_CHUNK_LINE) {
        rc = 400;
        goto out;
      }
    } else if (p->cstate >= CS_TR0) {
      if (++p->aux > LC_HTTP_MAX_TRAILERS) {
        rc = 431;
        goto out;
      }
    }
    switch (p->cstate) {
    case CS_SIZE0:
      if ((v = hexval(c)) < 0) {
        rc = 400;
        goto out;
      }
      p->left = (uint64_t)v;
      p->cstate = CS_SIZE;
      break;
    case CS_SIZE:
      if ((v = hexval(c)) >= 0) {
        p->left = p->left * 16 + (uint64_t)v;
        if (p->left > LC_HTTP_MAX_BODY) {
          rc = 413;
          goto out;
        }
        break;
      }
      /* fall through */
    case CS_SIZE_WS:
      if (c == ' ' || c == '\t') p->cstate = CS_SIZE_WS;
      else if (c == ';') p->cstate = CS_EXT;
      else if (c == '\r') p->cstate = CS_SIZE_LF;
      else if (c == '\n') rc = chunk_size_done(p, w);
      else rc = 400;
      break;
    case CS_EXT:
      if (c == '\r') p->cstate = CS_SIZE_LF;
      else if (c == '\n') rc = chunk_size_done(p, w);
      else if ((c < 0x20 && c != '\t') || c == 0x7f) rc = 400;
      break;
    case CS_SIZE_LF:
      rc = c == '\n' ? chunk_size_done(p, w) : 400;
      break;
    case CS_DATA_CR:
      if (c == '\r') {
        p->cstate = CS_DATA_LF;
        break;
      }
      /* fall through - a bare LF also ends the data */
    case CS_DATA_LF:
      if (c != '\n') rc = 400;
      p->cstate = CS_SIZE0;
      p->aux = 0;
      break;
    case CS_TR0:
      if (c == '\r') p->cstate = CS_END_LF;
      else if (c == '\n') rc = 1;
      else p->cstate = CS_TR;
      break;
    case CS_TR:
      if (c == '\n') p->cstate = CS_TR0;
      break;
    case CS_END_LF:
      rc = c == '\n' ? 1 : 400;
      break;
    default:
      rc = 400;
      break;
    }
    if (rc) {
      if (rc == 1) r++;
      goto out;
    }
    r++;
  }
out:
  p->rpos = r;
  p->wpos = w;
  return rc;
}

int lc_http_parse(struct lc_http_parser *p, char *buf, size_t len, struct lc_http_req *req) {
  struct framing f;
  int rc, fresh = 0;
  if (p->state == ST_HEAD) {
    req->method = req->target = req->path = req->query = "";
    req->method_len = req->target_len = req->path_len = req->query_len = 0;
    req->nheaders = 0;
    rc = scan_head(p, buf, len, req);
    if (rc != 1) return rc;
    rc = parse_head(p, buf, req, &f);
    if (rc) return rc;
    fresh = 1;
    if (f.te) {
      p->state = ST_CHUNKED;
      p->rpos = p->wpos = p->body_off;
      p->cstate = CS_SIZE0;
      p->aux = 0;
    } else if (f.has_cl && f.cl > 0) {
      p->state = ST_LENGTH;
      p->left = f.cl;
    }
    if (f.expect && req->minor == 1 && p->state != ST_HEAD) p->flags |= F_EXPECT;
  }
  const char *body = NULL;
  size_t body_len = 0, consumed = p->body_off;
  if (p->state == ST_LENGTH) {
    if (len - p->body_off < p->left) goto incomplete;
    body = buf + p->body_off;
    body_len = (size_t)p->left;
    consumed = p->body_off + body_len;
  } else if (p->state == ST_CHUNKED) {
    rc = parse_chunked(p, buf, len);
    if (rc == 0) goto incomplete;
    if (rc != 1) {
      if (!fresh) parse_head(p, buf, req, &f);
      return rc;
    }
    body = buf + p->body_off;
    body_len = p->wpos - p->body_off;
    consumed = p->rpos;
  }
  if (!fresh) parse_head(p, buf, req, &f); /* cannot fail: it did not the first time */
  req->body = body;
  req->body_len = body_len;
  req->consumed = consumed;
  lc_http_parser_init(p);
  return LC_HTTP_DONE;
incomplete:
  if ((p->flags & (F_EXPECT | F_CONT_SENT)) == F_EXPECT) {
    p->flags |= F_CONT_SENT;
    return LC_HTTP_CONTINUE;
  }
  return LC_HTTP_INCOMPLETE;
}

size_t lc_http_compact(struct lc_http_parser *p, char *buf, size_t len) {
  if (p->state != ST_CHUNKED || p->rpos <= p->wpos || p->rpos > len) return len;
  memmove(buf + p->wpos, buf + p->rpos, len - p->rpos);
  len -= p->rpos - p->wpos;
  p->rpos = p->wpos;
  return len;
}
