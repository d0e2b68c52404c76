/* http_req.h: an incremental HTTP/1.1 request parser for `loadc serve` (docs/serve.md).
 * It does no I/O and knows nothing of libuv, so it can be unit-tested byte by byte: the caller
 * keeps every byte received on a connection in one buffer, starting at the current request, and
 * calls lc_http_parse with all of them each time more arrive; the parser remembers how far it got
 * and never reads a byte twice more than it must. Chunked bodies are decoded in place. */
#ifndef LC_SERVE_HTTP_REQ_H
#define LC_SERVE_HTTP_REQ_H

#include <stddef.h>
#include <stdint.h>

/* Request line and headers together, blank line and leading empty lines included. */
#define LC_HTTP_MAX_HEAD (16 * 1024)
/* A request body, after chunked decoding. */
#define LC_HTTP_MAX_BODY (16 * 1024 * 1024)
/* Enough headers that LC_HTTP_MAX_HEAD is always the limit reached first ("a:\n" is 3 bytes). */
#define LC_HTTP_MAX_HEADERS (LC_HTTP_MAX_HEAD / 3 + 1)
/* A chunk-size line with its extensions; a trailer section (then 431). */
#define LC_HTTP_MAX_CHUNK_LINE 4096
#define LC_HTTP_MAX_TRAILERS (16 * 1024)

/* What lc_http_parse returns besides an error status (400, 413, 431, 505). */
enum {
  LC_HTTP_INCOMPLETE = 0, /* needs more bytes */
  LC_HTTP_DONE = 1,       /* a whole request: see struct lc_http_req */
  LC_HTTP_CONTINUE = 2    /* the head asked for "Expect: 100-continue" and the body is not all
                           * here: answer "100 Continue" and call again when more arrives */
};

struct lc_http_header {
  const char *name; /* as sent (not lower-cased) */
  const char *value; /* without the surrounding whitespace */
  size_t name_len, value_len;
};

/* A parsed request. Every pointer points into the buffer given to lc_http_parse and is valid
 * until that buffer changes. Large (the headers array): allocate one and reuse it. */
struct lc_http_req {
  const char *method, *target, *path, *query;
  size_t method_len, target_len, path_len, query_len;
  int has_query;     /* the target had a '?' (query may still be empty) */
  int minor;         /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
  int keep_alive;    /* the connection may stay open after the response */
  int chunked;       /* the body came with Transfer-Encoding: chunked */
  const char *body;  /* decoded body (NULL when there is none) */
  size_t body_len;
  size_t consumed;   /* bytes of the buffer the request took, leading empty lines included */
  size_t nheaders;
  struct lc_http_header headers[LC_HTTP_MAX_HEADERS];
};

/* Per-connection parser state: small, embedded in the connection. Offsets are relative to the
 * start of the buffer given to lc_http_parse, which always starts at the current request. */
struct lc_http_parser {
  size_t scan;       /* head: next byte to look at */
  size_t line;       /* head: start of the current line */
  size_t start;      /* start of the request line (after leading empty lines) */
  size_t body_off;   /* start of the body (end of the head) */
  size_t rpos, wpos; /* chunked: next raw byte to read, end of the decoded body */
  uint64_t left;     /* bytes of body (Content-Length) or of the current chunk still to come */
  uint32_t aux;      /* chunked: bytes of the current size line or of the trailers */
  uint8_t state;     /* head, body by length, chunked */
  uint8_t cstate;    /* chunked sub-state */
  uint8_t flags;
};

void lc_http_parser_init(struct lc_http_parser *p);

/* Parses the request at the start of buf[0..len). Returns LC_HTTP_INCOMPLETE, LC_HTTP_CONTINUE
 * (once per request), LC_HTTP_DONE (req filled; the parser is ready for the next request,
 * which starts at buf + req->consumed), or the HTTP status to answer a bad request with (400
 * malformed, 413 body too large, 431 head too large, 505 version): the connection cannot be
 * used any further then. On an error, req->method and req->target are set if the request line
 * was read (else their lengths are 0). May rewrite bytes of buf after the head (chunked
 * decoding). buf is not NUL-terminated. */
int lc_http_parse(struct lc_http_parser *p, char *buf, size_t len, struct lc_http_req *req);

/* After LC_HTTP_INCOMPLETE: squeezes out the chunk framing decoded so far so that the buffer does
 * not hold it; returns the new length of buf (the bytes after it are no longer used). */
size_t lc_http_compact(struct lc_http_parser *p, char *buf, size_t len);

/* 1 when the parser is between requests (nothing of the next one has been seen). */
int lc_http_idle(const struct lc_http_parser *p);

/* The first header named `name` (ASCII case-insensitive), or NULL. */
const struct lc_http_header *lc_http_header_get(const struct lc_http_req *req, const char *name);

/* ASCII case-insensitive comparison of s[0..n) with the NUL-terminated lower-case `lower`. */
int lc_http_ieq(const char *s, size_t n, const char *lower);

#endif
