/* serve_int.h: what the files of cmd/serve share, not part of its interface (serve.h).
 * decode.c (query, cookie and JSON string helpers), token.c (login tokens), counts.c (the
 * /__stats tables) and routes.c (the endpoints) do no I/O and know nothing of libuv: serve.c
 * owns the sockets and timers and asks routes.c what to answer. */
#ifndef LC_SERVE_INT_H
#define LC_SERVE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmd/serve/http_req.h"
#include "engine/base/base.h"

/* ---- decode.c ------------------------------------------------------------------------- */

struct lc_span {
  const char *p;
  size_t n;
};

/* URL-decodes src[0..n) into dst (which has room for n bytes): "%XX" becomes the byte, '+' a
 * space when `plus`; a '%' not followed by two hex digits stays as it is. Returns the length. */
size_t lc_serve_url_decode(char *dst, const char *src, size_t n, int plus);

/* Iterates "a=1&b&c=3" (raw, not decoded): sets name and value (empty when there is no '=') of
 * the next non-empty segment and returns 1, or returns 0 at the end. *cur starts at the
 * string. */
int lc_serve_query_next(const char **cur, const char *end, struct lc_span *name,
                        struct lc_span *value);

/* Iterates a Cookie header value "a=1; b=2": name and value trimmed; pieces without '=' or with an
 * empty name are skipped. Returns 1 per cookie, 0 at the end. */
int lc_serve_cookie_next(const char **cur, const char *end, struct lc_span *name,
                         struct lc_span *value);

/* Appends s[0..n) as a JSON string literal; bytes that are not valid UTF-8 become U+FFFD (one
 * per maximal invalid subsequence), control characters are escaped. Returns 0 or LC_ETOOBIG
 * (then nothing is appended). */
int lc_serve_json_str(struct lc_buf *b, const char *s, size_t n);

/* A name/value list to merge repeated names (query arguments, headers, cookies). */
#define LC_SERVE_KV_END UINT32_MAX
struct lc_serve_kv {
  const char *name, *value;
  size_t name_len, value_len;
  uint32_t next; /* set by lc_serve_kv_group: next entry with the same name, or LC_SERVE_KV_END */
  uint8_t first; /* set by lc_serve_kv_group: the first entry with this name */
  uint8_t del;   /* the caller's mark (a cookie deleted) */
};
/* Links the entries with equal names (ASCII case-insensitively when icase) in order. n must be
 * below LC_SERVE_KV_END. */
void lc_serve_kv_group(struct lc_serve_kv *kv, size_t n, int icase);

/* ---- token.c -------------------------------------------------------------------------- */

/* The key of the tokens /login hands out: random per server process. */
struct lc_serve_token_key {
  uint64_t k[4];
};
void lc_serve_token_key_init(struct lc_serve_token_key *key);
/* Appends the token naming `user` to out: hex(user) "." hex(128-bit keyed hash). */
int lc_serve_token_make(const struct lc_serve_token_key *key, const char *user, size_t n,
                        struct lc_buf *out);
/* Checks a token; when it is valid, sets out to the user it names and returns 0, else returns
 * LC_EINVAL. */
int lc_serve_token_check(const struct lc_serve_token_key *key, const char *tok, size_t n,
                         struct lc_buf *out);

/* ---- counts.c ------------------------------------------------------------------------- */

/* Distinct "METHOD TARGET" keys kept in /__stats (docs/serve.md); the same cap bounds the
 * "METHOD PATH" ones. */
#define LC_SERVE_MAX_TARGETS 100000

/* The counts behind /__stats. Owned by the caller of _new, freed with _free. */
struct lc_serve_counts;
struct lc_serve_counts *lc_serve_counts_new(size_t max_keys);
void lc_serve_counts_free(struct lc_serve_counts *c);
/* A request parsed: total, by method and path, by method and target. */
void lc_serve_counts_request(struct lc_serve_counts *c, const struct lc_http_req *req);
/* A response sent (statuses outside 100-599 are not counted). */
void lc_serve_counts_status(struct lc_serve_counts *c, int status);
void lc_serve_counts_bad(struct lc_serve_counts *c);
void lc_serve_counts_accepted(struct lc_serve_counts *c);
void lc_serve_counts_reset(struct lc_serve_counts *c);
/* Appends the /__stats document. */
int lc_serve_counts_json(const struct lc_serve_counts *c, uint64_t open, struct lc_buf *out);

/* ---- routes.c ------------------------------------------------------------------------- */

/* What a server keeps for answering requests; embedded by serve.c (or a test). */
struct lc_serve_ctx {
  struct lc_serve_counts *counts;
  struct lc_serve_token_key key;
  uint64_t conns_open;   /* set by the caller: connections open now */
  struct lc_buf body;    /* scratch: the body being built */
  struct lc_buf hdr;     /* scratch: extra response headers */
  struct lc_buf tmp;     /* scratch: decoded strings */
  time_t date_sec;       /* cached Date header for this second */
  char date[64];
};
void lc_serve_ctx_init(struct lc_serve_ctx *x);
void lc_serve_ctx_release(struct lc_serve_ctx *x);

/* A body produced in pieces: /bytes and /chunked. Byte i of the content is 'a' + i % 26. */
struct lc_serve_stream {
  uint64_t left;       /* content bytes still to produce */
  uint64_t pos;        /* index of the next content byte */
  uint32_t chunk;      /* chunk size for Transfer-Encoding: chunked; 0 for raw bytes */
  uint32_t chunk_left; /* bytes of the current chunk still to produce */
  int ended;           /* chunked: the last chunk went out too */
};
/* Produces the next at most `cap` bytes (cap >= 16) into dst; returns how many. */
size_t lc_serve_stream_fill(struct lc_serve_stream *s, char *dst, size_t cap);
int lc_serve_stream_done(const struct lc_serve_stream *s);

enum lc_serve_kind {
  LC_SERVE_NOW,       /* the whole response is in out */
  LC_SERVE_DELAY,     /* the whole response is in out, to be sent after ms */
  LC_SERVE_SLOW_BODY, /* the head is in out (head_len bytes) then the body, sent after ms */
  LC_SERVE_STREAM,    /* the head is in out, the body follows from `stream` */
  LC_SERVE_DROP,      /* close without answering */
  LC_SERVE_GARBAGE    /* a broken response is in out; close after it */
};

struct lc_serve_res {
  enum lc_serve_kind kind;
  int status;            /* for the log; 0 when there is none */
  int counted;           /* the status goes in /__stats */
  int close;             /* close the connection after the response */
  uint64_t ms;           /* DELAY, SLOW_BODY */
  size_t head_len;       /* bytes of out that are the head */
  size_t len;            /* bytes appended to out */
  uint64_t body_bytes;   /* body length announced (0 for HEAD), for the log */
  struct lc_serve_stream stream;
};

/* Answers a parsed request: appends its response (or the head of it) to out, says how to send
 * it in res and counts the request. Returns 0, or LC_ETOOBIG when out cannot take the response
 * (out is then left as it was; close the connection). */
int lc_serve_route(struct lc_serve_ctx *x, const struct lc_http_req *req, struct lc_buf *out,
                   struct lc_serve_res *res);
/* The same for a request lc_http_parse rejected with `status` (400, 413, 431, 505): an error
 * document and Connection: close. */
int lc_serve_reject(struct lc_serve_ctx *x, const struct lc_http_req *req, int status,
                    struct lc_buf *out, struct lc_serve_res *res);

#endif
