/* counts.c: the tables behind /__stats: requests by "METHOD PATH" and by "METHOD TARGET" (each
 * capped at max_keys distinct keys, in first-seen order), responses by status, bad requests and
 * connections. Counting a key already seen allocates nothing: keys are hashed and compared in
 * their pieces, without building the "METHOD PATH" string. */
#include "cmd/serve/serve_int.h"

#include <stdlib.h>
#include <string.h>

struct entry {
  char *key; /* "METHOD PATH", owned */
  size_t len;
  uint64_t hash, count;
};

/* Entries in insertion order plus an open-addressing index of them. */
struct table {
  struct entry *e;
  size_t n, cap;
  uint32_t *slot; /* index into e, UINT32_MAX when empty */
  size_t nslot;   /* a power of two, 0 before the first insert */
};

struct lc_serve_counts {
  size_t max_keys;
  uint64_t total, targets_overflow, bad, accepted;
  uint64_t status[600];
  struct table requests, targets;
};

static void table_release(struct table *t) {
  for (size_t i = 0; i < t->n; i++) free(t->e[i].key);
  free(t->e);
  free(t->slot);
  memset(t, 0, sizeof *t);
}

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static uint64_t key_hash(const char *a, size_t an, const char *b, size_t bn) {
  uint64_t h = hash_bytes(0xcbf29ce484222325ULL, a, an);
  h = hash_bytes(h, " ", 1);
  h = hash_bytes(h, b, bn);
  return h ^ (h >> 32);
}

static void table_grow(struct table *t) {
  size_t nslot = t->nslot ? t->nslot * 2 : 64;
  uint32_t *slot = lc_xmalloc(nslot * sizeof *slot);
  memset(slot, 0xff, nslot * sizeof *slot);
  for (size_t i = 0; i < t->n; i++) {
    size_t h = (size_t)t->e[i].hash & (nslot - 1);
    while (slot[h] != UINT32_MAX) h = (h + 1) & (nslot - 1);
    slot[h] = (uint32_t)i;
  }
  free(t->slot);
  t->slot = slot;
  t->nslot = nslot;
}

/* Counts key "a b" once; returns 0, or LC_ETOOBIG when it is new and the table is full. */
static int table_add(struct table *t, size_t max, const char *a, size_t an, const char *b,
                     size_t bn) {
  uint64_t hash = key_hash(a, an, b, bn);
  size_t len = an + 1 + bn;
  size_t h = 0;
  if (t->nslot) {
    for (h = (size_t)hash & (t->nslot - 1); t->slot[h] != UINT32_MAX; h = (h + 1) & (t->nslot - 1)) {
      struct entry *e = &t->e[t->slot[h]];
      if (e->hash == hash && e->len == len && memcmp(e->key, a, an) == 0 &&
          memcmp(e->key + an + 1, b, bn) == 0 && e->key[an] == ' ') {
        e->count++;
        return 0;
      }
    }
  }
  if (t->n >= max) return LC_ETOOBIG;
  if (2 * (t->n + 1) > t->nslot) {
    table_grow(t);
    h = (size_t)hash & (t->nslot - 1);
    while (t->slot[h] != UINT32_MAX) h = (h + 1) & (t->nslot - 1);
  }
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 64;
    t->e = lc_xrealloc(t->e, t->cap * sizeof *t->e);
  }
  char *key = lc_xmalloc(len + 1);
  memcpy(key, a, an);
  key[an] = ' ';
  memcpy(key + an + 1, b, bn);
  key[len] = '\0';
  t->e[t->n] = (struct entry){.key = key, .len = len, .hash = hash, .count = 1};
  t->slot[h] = (uint32_t)t->n++;
  return 0;
}

struct lc_serve_counts *lc_serve_counts_new(size_t max_keys) {
  struct lc_serve_counts *c = lc_xcalloc(1, sizeof *c);
  c->max_keys = max_keys < UINT32_MAX ? max_keys : UINT32_MAX - 1;
  return c;
}

void lc_serve_counts_free(struct lc_serve_counts *c) {
  if (!c) return;
  table_release(&c->requests);
  table_release(&c->targets);
  free(c);
}

void lc_serve_counts_request(struct lc_serve_counts *c, const struct lc_http_req *req) {
  c->total++;
  table_add(&c->requests, c->max_keys, req->method, req->method_len, req->path, req->path_len);
  if (table_add(&c->targets, c->max_keys, req->method, req->method_len, req->target,
                req->target_len))
    c->targets_overflow++;
}

void lc_serve_counts_status(struct lc_serve_counts *c, int status) {
  if (status >= 100 && status < 600) c->status[status]++;
}

void lc_serve_counts_bad(struct lc_serve_counts *c) { c->bad++; }
void lc_serve_counts_accepted(struct lc_serve_counts *c) { c->accepted++; }

void lc_serve_counts_reset(struct lc_serve_counts *c) {
  table_release(&c->requests);
  table_release(&c->targets);
  c->total = c->targets_overflow = c->bad = c->accepted = 0;
  memset(c->status, 0, sizeof c->status);
}

static int table_json(const struct table *t, struct lc_buf *out) {
  int rc = lc_buf_append(out, "{", 1);
  for (size_t i = 0; i < t->n && rc == 0; i++) {
    if (i) rc |= lc_buf_append(out, ", ", 2);
    rc |= lc_serve_json_str(out, t->e[i].key, t->e[i].len);
    rc |= lc_buf_printf(out, ": %llu", (unsigned long long)t->e[i].count);
  }
  return rc | lc_buf_append(out, "}", 1);
}

int lc_serve_counts_json(const struct lc_serve_counts *c, uint64_t open, struct lc_buf *out) {
  size_t start = out->len;
  int rc = lc_buf_printf(out, "{\"total\": %llu, \"requests\": ", (unsigned long long)c->total);
  rc |= table_json(&c->requests, out);
  rc |= lc_buf_puts(out, ", \"targets\": ");
  rc |= table_json(&c->targets, out);
  rc |= lc_buf_printf(out, ", \"targets_overflow\": %llu, \"statuses\": {",
                      (unsigned long long)c->targets_overflow);
  int first = 1;
  for (int s = 100; s < 600; s++) {
    if (!c->status[s]) continue;
    rc |= lc_buf_printf(out, "%s\"%d\": %llu", first ? "" : ", ", s,
                        (unsigned long long)c->status[s]);
    first = 0;
  }
  rc |= lc_buf_printf(out,
                      "}, \"bad_requests\": %llu, \"connections\": {\"accepted\": %llu, "
                      "\"open\": %llu}}",
                      (unsigned long long)c->bad, (unsigned long long)c->accepted,
                      (unsigned long long)open);
  if (rc) {
    out->len = start;
    if (out->data) out->data[start] = '\0';
    return LC_ETOOBIG;
  }
  return 0;
}
