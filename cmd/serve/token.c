/* token.c: the login tokens of `loadc serve`. A token is hex(user) "." hex(tag), the tag being
 * two SipHash-2-4 values of the user under a key drawn at start, so the server validates tokens
 * without keeping sessions and a token from another server process is refused. */
#include "cmd/serve/serve_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                 \
  do {                                                                                           \
    v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                                   \
    v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                                      \
    v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                                      \
    v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                                   \
  } while (0)

static uint64_t load64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static uint64_t siphash24(uint64_t k0, uint64_t k1, const unsigned char *in, size_t n) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  size_t full = n - n % 8;
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m = load64(in + i);
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
  }
  uint64_t b = (uint64_t)n << 56;
  for (size_t i = 0; i < n % 8; i++) b |= (uint64_t)in[full + i] << (8 * i);
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void lc_serve_token_key_init(struct lc_serve_token_key *key) {
  unsigned char raw[32];
  size_t got = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  if (f) {
    got = fread(raw, 1, sizeof raw, f);
    fclose(f);
  }
  /* Without /dev/urandom, mix what varies between processes; good enough for a test server. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
                  ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)key;
  for (int i = 0; i < 4; i++) {
    key->k[i] = splitmix(&seed);
    if (got == sizeof raw) key->k[i] ^= load64(raw + 8 * i);
  }
}

static void tag(const struct lc_serve_token_key *key, const char *user, size_t n, char out[32]) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)user;
  uint64_t h[2] = {siphash24(key->k[0], key->k[1], u, n), siphash24(key->k[2], key->k[3], u, n)};
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 16; j++) out[i * 16 + j] = hex[(h[i] >> (60 - 4 * j)) & 15];
}

int lc_serve_token_make(const struct lc_serve_token_key *key, const char *user, size_t n,
                        struct lc_buf *out) {
  static const char hex[] = "0123456789abcdef";
  if (lc_buf_reserve(out, 2 * n + 33)) return LC_ETOOBIG;
  char *d = out->data + out->len;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)user[i];
    *d++ = hex[c >> 4];
    *d++ = hex[c & 15];
  }
  *d++ = '.';
  tag(key, user, n, d);
  out->len += 2 * n + 33;
  out->data[out->len] = '\0';
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int lc_serve_token_check(const struct lc_serve_token_key *key, const char *tok, size_t n,
                         struct lc_buf *out) {
  if (n < 35) return LC_EINVAL; /* at least one user byte */
  size_t ulen = n - 33;
  if (tok[ulen] != '.' || ulen % 2) return LC_EINVAL;
  lc_buf_reset(out);
  if (lc_buf_reserve(out, ulen / 2)) return LC_EINVAL;
  for (size_t i = 0; i < ulen; i += 2) {
    int hi = hexval(tok[i]), lo = hexval(tok[i + 1]);
    if (hi < 0 || lo < 0) return LC_EINVAL;
    out->data[out->len++] = (char)(hi * 16 + lo);
  }
  out->data[out->len] = '\0';
  char want[32];
  tag(key, out->data, out->len, want);
  unsigned diff = 0;
  for (int i = 0; i < 32; i++) diff |= (unsigned)(want[i] ^ tok[ulen + 1 + i]);
  if (diff) {
    lc_buf_reset(out);
    return LC_EINVAL;
  }
  return 0;
}
