/* base.h: the few helpers every loadc module uses (memory, logging, growable buffers,
 * "did you mean" suggestions). libc only: config/, engine/, report/ and cmd/ may all
 * include it, and it includes no library header (libuv, curl, yaml, ...). */
#ifndef LC_BASE_H
#define LC_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define LC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LC_NORETURN __attribute__((noreturn))
#else
#define LC_PRINTF(f, a)
#define LC_NORETURN
#endif

#define LC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that never returns NULL: on failure it prints a message and aborts, so callers
 * have no out-of-memory branches (redis zmalloc). Free with free(). */
void *lc_xmalloc(size_t n);
void *lc_xcalloc(size_t count, size_t size);
void *lc_xrealloc(void *p, size_t n);
char *lc_xstrdup(const char *s);
char *lc_xstrndup(const char *s, size_t n);
/* printf into a new heap string; the caller frees it. */
char *lc_xasprintf(const char *fmt, ...) LC_PRINTF(1, 2);

/* Logging to stderr. The level is process-wide and set once by cmd/ at start (the one piece
 * of global state: it is written before any thread starts and only read afterwards). */
enum lc_log_level { LC_LOG_ERROR, LC_LOG_WARN, LC_LOG_INFO, LC_LOG_DEBUG };
void lc_log_set_level(enum lc_log_level level);
enum lc_log_level lc_log_get_level(void);
/* Formats only when `level` is enabled. */
void lc_log(enum lc_log_level level, const char *fmt, ...) LC_PRINTF(2, 3);

/* A growable byte buffer with a cap (curl's dynbuf). The contents are always NUL-terminated
 * so they can be used as a string; len excludes the NUL. */
struct lc_buf {
  char *data;
  size_t len;
  size_t cap;     /* allocated bytes */
  size_t max;     /* the most len may reach; 0 = no cap */
};
void lc_buf_init(struct lc_buf *b, size_t max);
void lc_buf_release(struct lc_buf *b);
/* Appending returns 0, or LC_ETOOBIG (and appends nothing) when max would be exceeded. */
int lc_buf_append(struct lc_buf *b, const void *p, size_t n);
int lc_buf_puts(struct lc_buf *b, const char *s);
int lc_buf_printf(struct lc_buf *b, const char *fmt, ...) LC_PRINTF(2, 3);
/* Appends `s` as a JSON string literal, quotes included, escaping what JSON requires. */
int lc_buf_json_string(struct lc_buf *b, const char *s, size_t n);
/* Drops the first n bytes (n <= len). */
void lc_buf_consume(struct lc_buf *b, size_t n);
void lc_buf_reset(struct lc_buf *b);
/* Hands the string to the caller (who frees it) and leaves the buffer empty. */
char *lc_buf_steal(struct lc_buf *b);

/* An arena: many small allocations freed at once (h2o's mem pool). Blocks of at least 16 KB;
 * a request larger than a block gets a block of its own. Memory is zeroed. */
struct lc_arena_block;
struct lc_arena {
  struct lc_arena_block *head;
};
void lc_arena_init(struct lc_arena *a);
void lc_arena_release(struct lc_arena *a);
void *lc_arena_alloc(struct lc_arena *a, size_t n);
char *lc_arena_strndup(struct lc_arena *a, const char *s, size_t n);
char *lc_arena_strdup(struct lc_arena *a, const char *s);

/* Error codes: 0 or negative. */
enum {
  LC_OK = 0,
  LC_EINVAL = -1,   /* invalid argument or input */
  LC_ETOOBIG = -2,  /* a limit was reached */
  LC_ENOENT = -3,   /* not found */
  LC_EIO = -4,      /* input/output error */
  LC_ENOTSUP = -5,  /* not supported */
};
const char *lc_strerror(int err);

/* Edit distance (optimal string alignment, ASCII case-insensitive). */
size_t lc_edit_distance(const char *a, const char *b);
/* The candidate closest to `word` if it is close enough to be a likely misspelling
 * (distance <= max(1, len/3), len being the longer of the two), else NULL. `candidates` ends with NULL. Returns a pointer into
 * `candidates`. */
const char *lc_suggest(const char *word, const char *const *candidates);

/* Writes s[0..n) into buf as 'text' for a message: quoted, at most 40 characters (UTF-8 aware),
 * control characters as '?', "..." when cut. Returns buf (empty when size < 8). */
const char *lc_quote(char *buf, size_t size, const char *s, size_t n);

/* Makes room for n more bytes (and the NUL) without changing len. Returns 0, or LC_ETOOBIG when
 * max would be exceeded (nothing changes then). */
int lc_buf_reserve(struct lc_buf *b, size_t n);

/* The first occurrence of needle[0..nn) in hay[0..hn), or NULL (memmem, which C11 lacks).
 * An empty needle is found at hay. */
const char *lc_memmem(const char *hay, size_t hn, const char *needle, size_t nn);

/* Parses a whole non-negative decimal integer (no sign, no spaces, no trailing bytes) not above
 * `max`. Returns 0 or LC_EINVAL. */
int lc_parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out);

#endif
