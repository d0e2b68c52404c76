/* cookies.c: the fast client's cookie jar (see cookies.h). Cookies are kept in a list sorted
 * for sending (longer paths first, then by creation), each in one allocation holding its
 * strings, so a session without cookies costs nothing but the jar pointer. */
#include "engine/cookies.h"

#include <stdlib.h>
#include <string.h>

struct cookie {
  struct cookie *next;
  char *name, *value, *domain, *path; /* in the same allocation, after the struct */
  size_t path_len;
  int64_t expires; /* Unix seconds; -1: until the session ends */
  uint64_t created;
  bool host_only, secure, http_only;
};

struct lc_cookie_jar {
  struct cookie *head;
  size_t n;
  uint64_t seq;
};

struct lc_cookie_jar *lc_cookie_jar_new(void) { return lc_xcalloc(1, sizeof(struct lc_cookie_jar)); }

void lc_cookie_jar_free(struct lc_cookie_jar *j) {
  if (!j) return;
  for (struct cookie *c = j->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(j);
}

size_t lc_cookie_jar_count(const struct lc_cookie_jar *j) { return j ? j->n : 0; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool is_ws(char c) { return c == ' ' || c == '\t'; }

static bool ieqn(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

static bool attr_is(const char *a, size_t n, const char *name) {
  return strlen(name) == n && ieqn(a, name, n);
}

/* ---- dates (RFC 6265 5.1.1) ---- */

static bool is_delim(char c) {
  unsigned char u = (unsigned char)c;
  return u == 0x09 || (u >= 0x20 && u <= 0x2f) || (u >= 0x3b && u <= 0x40) ||
         (u >= 0x5b && u <= 0x60) || (u >= 0x7b && u <= 0x7e);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* 1-max digits at t, followed by a non-digit or the end; returns the count, 0 if none. */
static size_t digits(const char *t, size_t n, size_t max, int *v) {
  size_t i = 0;
  *v = 0;
  while (i < n && i < max && is_digit(t[i])) *v = *v * 10 + (t[i++] - '0');
  if (i < n && is_digit(t[i])) return 0;
  return i;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int lc_cookie_parse_date(const char *s, size_t n, int64_t *out) {
  static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
  bool has_time = false, has_day = false, has_month = false, has_year = false;
  int hh = 0, mm = 0, ss = 0, day = 0, month = 0, year = 0;
  size_t i = 0;
  while (i < n) {
    while (i < n && is_delim(s[i])) i++;
    size_t st = i;
    while (i < n && !is_delim(s[i])) i++;
    const char *t = s + st;
    size_t tl = i - st;
    if (tl == 0) continue;
    int a, b, c;
    size_t k;
    if (!has_time && (k = digits(t, tl, 2, &a)) && k < tl && t[k] == ':') {
      size_t k2 = digits(t + k + 1, tl - k - 1, 2, &b);
      if (k2 && k + 1 + k2 < tl && t[k + 1 + k2] == ':') {
        size_t k3 = digits(t + k + 2 + k2, tl - k - 2 - k2, 2, &c);
        if (k3) {
          has_time = true;
          hh = a, mm = b, ss = c;
          continue;
        }
      }
    }
    if (!has_day && digits(t, tl, 2, &a)) {
      has_day = true;
      day = a;
      continue;
    }
    if (!has_month && tl >= 3) {
      for (int m = 0; m < 12; m++)
        if (ieqn(t, months + 3 * m, 3)) {
          has_month = true;
          month = m + 1;
          break;
        }
      if (has_month) continue;
    }
    if (!has_year && (k = digits(t, tl, 4, &a)) >= 2) {
      has_year = true;
      year = a;
      continue;
    }
  }
  if (!has_time || !has_day || !has_month || !has_year) return LC_EINVAL;
  if (year >= 70 && year <= 99) year += 1900;
  else if (year >= 0 && year <= 69) year += 2000;
  if (day < 1 || day > 31 || year < 1601 || hh > 23 || mm > 59 || ss > 59) return LC_EINVAL;
  *out = days_from_civil(year, month, day) * 86400 + hh * 3600 + mm * 60 + ss;
  return 0;
}

/* ---- matching ---- */

static bool is_ip(const char *h) {
  if (strchr(h, ':')) return true; /* IPv6 */
  for (const char *p = h; *p; p++)
    if (!is_digit(*p) && *p != '.') return false;
  return *h != '\0';
}

/* RFC 6265 5.1.3 */
static bool domain_match(const char *host, const char *domain) {
  size_t hl = strlen(host), dl = strlen(domain);
  if (hl == dl) return ieqn(host, domain, hl);
  if (hl < dl || is_ip(host)) return false;
  return host[hl - dl - 1] == '.' && ieqn(host + hl - dl, domain, dl);
}

/* RFC 6265 5.1.4 */
static bool path_match(const char *req, const struct cookie *c) {
  size_t n = c->path_len;
  if (strncmp(req, c->path, n) != 0) return false;
  return req[n] == '\0' || c->path[n - 1] == '/' || req[n] == '/';
}

/* ---- storing ---- */

static void unlink_cookie(struct lc_cookie_jar *j, struct cookie **pp) {
  struct cookie *c = *pp;
  *pp = c->next;
  free(c);
  j->n--;
}

/* Inserted before the first cookie with a shorter path (older cookies of equal length first). */
static void insert(struct lc_cookie_jar *j, struct cookie *c) {
  struct cookie **pp = &j->head;
  while (*pp && (*pp)->path_len >= c->path_len) pp = &(*pp)->next;
  c->next = *pp;
  *pp = c;
  j->n++;
}

static void drop_oldest(struct lc_cookie_jar *j) {
  struct cookie **oldest = NULL;
  for (struct cookie **pp = &j->head; *pp; pp = &(*pp)->next)
    if (!oldest || (*pp)->created < (*oldest)->created) oldest = pp;
  if (oldest) unlink_cookie(j, oldest);
}

static void trim(const char **s, const char **e) {
  while (*s < *e && is_ws(**s)) (*s)++;
  while (*e > *s && is_ws((*e)[-1])) (*e)--;
}

int lc_cookie_jar_set(struct lc_cookie_jar *j, const char *host, const char *path, bool secure,
                      const char *sc, int64_t now) {
  size_t total = strlen(sc);
  if (total > LC_COOKIE_MAX_LEN) return LC_EINVAL;
  const char *end = sc + total, *semi = memchr(sc, ';', total);
  const char *pe = semi ? semi : end;
  const char *eq = memchr(sc, '=', (size_t)(pe - sc));
  if (!eq) return LC_EINVAL;
  const char *ns = sc, *ne = eq, *vs = eq + 1, *ve = pe;
  trim(&ns, &ne);
  trim(&vs, &ve);
  if (ns == ne) return LC_EINVAL;
  if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') vs++, ve--; /* sent back without quotes */
  for (const char *p = ns; p < ve; p++)
    if ((unsigned char)*p < 0x20 && *p != '\t') return LC_EINVAL;
  const char *ds = NULL, *de = NULL, *ps = NULL, *pth_e = NULL;
  bool has_max_age = false, has_expires = false, sec = false, http_only = false;
  int64_t max_age = 0, expires = 0;
  for (const char *a = pe; a < end;) {
    a++; /* the ';' */
    const char *ae = memchr(a, ';', (size_t)(end - a));
    if (!ae) ae = end;
    const char *an = a, *ane = ae, *av = ae, *ave = ae;
    const char *aeq = memchr(a, '=', (size_t)(ae - a));
    if (aeq) ane = aeq, av = aeq + 1;
    trim(&an, &ane);
    trim(&av, &ave);
    size_t al = (size_t)(ane - an);
    if (attr_is(an, al, "domain")) {
      if (av < ave && *av == '.') av++;
      ds = av, de = ave;
    } else if (attr_is(an, al, "path")) {
      if (av < ave && *av == '/') ps = av, pth_e = ave;
      else ps = pth_e = NULL;
    } else if (attr_is(an, al, "max-age")) {
      const char *p = av;
      bool neg = p < ave && *p == '-';
      if (neg) p++;
      if (p < ave) {
        int64_t x = 0;
        while (p < ave && is_digit(*p) && x < 1000000000000LL) x = x * 10 + (*p++ - '0');
        if (p == ave) {
          has_max_age = true;
          max_age = neg ? -x : x;
        }
      }
    } else if (attr_is(an, al, "expires")) {
      int64_t t;
      if (lc_cookie_parse_date(av, (size_t)(ave - av), &t) == 0) {
        has_expires = true;
        expires = t;
      }
    } else if (attr_is(an, al, "secure")) {
      sec = true;
    } else if (attr_is(an, al, "httponly")) {
      http_only = true;
    }
    a = ae;
  }
  if (sec && !secure) return LC_EINVAL; /* RFC 6265bis: only a secure origin sets them */
  /* the domain, lower-cased */
  char dom[256];
  bool host_only = ds == NULL || ds == de;
  const char *dsrc = host_only ? host : ds;
  size_t dl = host_only ? strlen(host) : (size_t)(de - ds);
  if (dl == 0 || dl >= sizeof dom) return LC_EINVAL;
  for (size_t i = 0; i < dl; i++) dom[i] = lower(dsrc[i]);
  dom[dl] = '\0';
  if (!host_only && !domain_match(host, dom)) return LC_EINVAL;
  /* the path: the attribute's, else the request path's directory */
  const char *cp = ps, *cpe = pth_e;
  if (!cp) {
    const char *slash = path[0] == '/' ? strrchr(path, '/') : NULL;
    cp = "/";
    cpe = cp + 1;
    if (slash && slash != path) cp = path, cpe = slash;
  }
  int64_t exp = -1;
  if (has_max_age) exp = max_age <= 0 ? INT64_MIN : now + max_age;
  else if (has_expires) exp = expires;
  size_t nl = (size_t)(ne - ns), vl = (size_t)(ve - vs), pl = (size_t)(cpe - cp);
  /* the same name, domain and path: replaced (or removed, if now expired) */
  for (struct cookie **pp = &j->head; *pp; pp = &(*pp)->next) {
    struct cookie *o = *pp;
    if (strlen(o->name) == nl && memcmp(o->name, ns, nl) == 0 && strcmp(o->domain, dom) == 0 &&
        o->path_len == pl && memcmp(o->path, cp, pl) == 0) {
      unlink_cookie(j, pp);
      break;
    }
  }
  if (exp != -1 && exp <= now) return 0;
  struct cookie *c = lc_xmalloc(sizeof *c + nl + vl + dl + pl + 4);
  char *s = (char *)(c + 1);
  c->name = s;
  memcpy(s, ns, nl);
  s[nl] = '\0';
  c->value = s += nl + 1;
  memcpy(s, vs, vl);
  s[vl] = '\0';
  c->domain = s += vl + 1;
  memcpy(s, dom, dl + 1);
  c->path = s += dl + 1;
  memcpy(s, cp, pl);
  s[pl] = '\0';
  c->path_len = pl;
  c->expires = exp;
  c->created = j->seq++;
  c->host_only = host_only;
  c->secure = sec;
  c->http_only = http_only;
  if (j->n == LC_COOKIES_MAX) drop_oldest(j);
  insert(j, c);
  return 0;
}

int lc_cookie_jar_header(struct lc_cookie_jar *j, const char *host, const char *path,
                         bool secure, int64_t now, struct lc_buf *out) {
  if (!j) return 0;
  int n = 0;
  for (struct cookie **pp = &j->head; *pp;) {
    struct cookie *c = *pp;
    if (c->expires != -1 && c->expires <= now) {
      unlink_cookie(j, pp);
      continue;
    }
    pp = &c->next;
    bool dm = c->host_only ? strlen(host) == strlen(c->domain) &&
                                 ieqn(host, c->domain, strlen(host))
                           : domain_match(host, c->domain);
    if (!dm || !path_match(path, c) || (c->secure && !secure)) continue;
    if ((n && lc_buf_append(out, "; ", 2)) || lc_buf_puts(out, c->name) ||
        lc_buf_append(out, "=", 1) || lc_buf_puts(out, c->value))
      return LC_ETOOBIG;
    n++;
  }
  return n;
}
