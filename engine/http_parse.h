/* http_parse.h: an incremental HTTP/1.1 response parser for the fast client (http_fast.c). It
 * does no I/O and knows nothing of libuv: the caller feeds it the bytes as they arrive, in
 * pieces of any size, and gets events back (headers complete, a piece of body, message
 * complete, error). Interim 1xx responses are skipped; the framing (Content-Length, chunked
 * with trailers, close-delimited, none for HEAD, 1xx, 204 and 304) and the connection's fate
 * (Connection: close / keep-alive, HTTP/1.0's default) are worked out from the headers. */
#ifndef LC_ENGINE_HTTP_PARSE_H
#define LC_ENGINE_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/http.h"

enum lc_resp_event {
  LC_RESP_AGAIN,   /* every byte given was used: feed more */
  LC_RESP_HEADERS, /* the final response's status line and headers are complete */
  LC_RESP_BODY,    /* a piece of body (decoded from chunks) at *body, *body_len */
  LC_RESP_DONE,    /* the response is complete; bytes after it were not used */
  LC_RESP_ERROR,   /* malformed or over a limit: see lc_resp_parser.error */
};

/* The parser. The header buffer and array are the caller's (owned by it, borrowed until the
 * parser is no longer used); the parser keeps the headers of the current response there as
 * NUL-terminated names and values. Everything else is plain state: no allocation. */
struct lc_resp_parser {
  /* given by lc_resp_parser_init */
  char *head;                       /* header bytes */
  size_t head_cap;
  struct lc_http_header *headers;   /* pointers into head */
  size_t max_headers;
  /* the current response, valid from LC_RESP_HEADERS on */
  int status;
  int minor;                        /* HTTP/1.minor */
  size_t nheaders;
  bool keep_alive;                  /* the connection may carry another request after this */
  bool chunked;
  int64_t content_length;           /* -1: none */
  uint64_t body_left;               /* of the Content-Length, or of the current chunk */
  const char *error;                /* with LC_RESP_ERROR: "malformed status line", ... */
  /* internal */
  int state;
  bool no_body;                     /* a response to HEAD */
  bool got_headers;
  bool started;                     /* a byte was fed */
  bool close_delimited;
  bool line_cr;                     /* the line so far ended with CR */
  size_t head_len;                  /* bytes of head in use */
  size_t line_start;                /* where the line being read starts in head */
  uint64_t chunk_size;
  int chunk_digits;
  size_t trailer_bytes;
};

/* Prepares p for a response (to a HEAD request when head_request: then no body follows). head
 * holds at most head_cap bytes of header lines (names and values); past it, or past
 * max_headers headers, the response is an error. */
void lc_resp_parser_init(struct lc_resp_parser *p, char *head, size_t head_cap,
                         struct lc_http_header *headers, size_t max_headers, bool head_request);

/* Feeds up to len bytes. Returns the next event and sets *used to the bytes consumed (the
 * caller feeds the rest again). With LC_RESP_BODY, *body and *body_len point into data. Call
 * again after LC_RESP_HEADERS and LC_RESP_BODY, even with len 0, until LC_RESP_AGAIN,
 * LC_RESP_DONE or LC_RESP_ERROR. After LC_RESP_DONE or LC_RESP_ERROR, only init again. */
enum lc_resp_event lc_resp_parser_feed(struct lc_resp_parser *p, const char *data, size_t len,
                                       size_t *used, const char **body, size_t *body_len);

/* The connection was closed by the server: LC_RESP_DONE when that ends the response (a body
 * delimited by the close), else LC_RESP_ERROR (p->error says what was missing). */
enum lc_resp_event lc_resp_parser_eof(struct lc_resp_parser *p);

/* Whether any byte of the response (interim ones included) has been fed. */
bool lc_resp_parser_started(const struct lc_resp_parser *p);

/* Whether the headers of the final response are complete. */
bool lc_resp_parser_has_headers(const struct lc_resp_parser *p);

#endif
