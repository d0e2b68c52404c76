/* cookies.h: a session's cookie jar for the fast client, a subset of RFC 6265: Set-Cookie
 * parsing (name=value with Domain, Path, Expires, Max-Age, Secure and HttpOnly), domain and
 * path matching, expiry, and the Cookie header for a request. Hosts are compared
 * case-insensitively; there is no public-suffix list (a Domain attribute is accepted when the
 * request's host domain-matches it). Times are Unix seconds given by the caller. */
#ifndef LC_ENGINE_COOKIES_H
#define LC_ENGINE_COOKIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/base.h"

struct lc_cookie_jar;

#define LC_COOKIES_MAX 512       /* cookies kept per jar; the oldest goes first past it */
#define LC_COOKIE_MAX_LEN 4096   /* name, value and attributes of one Set-Cookie */

/* An empty jar. Free with lc_cookie_jar_free (NULL is fine). */
struct lc_cookie_jar *lc_cookie_jar_new(void);
void lc_cookie_jar_free(struct lc_cookie_jar *j);

/* Stores the cookie of one Set-Cookie header value `sc` received in a response from host
 * (without port) at path (the request's path, without query), over TLS when secure. now: Unix
 * seconds. A cookie with the same name, domain and path is replaced; one expired by
 * Max-Age/Expires is removed. Returns 0, or LC_EINVAL when the value is ignored (no name=value,
 * too long, a Domain the host does not match, Secure over plain http). */
int lc_cookie_jar_set(struct lc_cookie_jar *j, const char *host, const char *path, bool secure,
                      const char *sc, int64_t now);

/* Appends "name=value; name2=value2" for a request to host (without port) and path (without
 * query) to out: the cookies that match, unexpired, longer paths first, then older first.
 * Returns the number of cookies appended, or LC_ETOOBIG when out's cap was reached. */
int lc_cookie_jar_header(struct lc_cookie_jar *j, const char *host, const char *path,
                         bool secure, int64_t now, struct lc_buf *out);

/* Cookies in the jar (expired ones not yet dropped included). */
size_t lc_cookie_jar_count(const struct lc_cookie_jar *j);

/* Parses an HTTP date the way RFC 6265 section 5.1.1 does (lenient: "Wed, 09 Jun 2021
 * 10:18:14 GMT", "Wednesday, 09-Jun-21 10:18:14 GMT", asctime's form). Returns 0 and sets *out
 * (Unix seconds), or LC_EINVAL. */
int lc_cookie_parse_date(const char *s, size_t n, int64_t *out);

#endif
