/* serve.h: the built-in HTTP/1.1 target server (docs/serve.md). */
#ifndef LC_SERVE_H
#define LC_SERVE_H

#include <stdio.h>

struct lc_serve_opts {
  const char *host; /* address to bind (IPv4 or IPv6 literal); "127.0.0.1" when NULL */
  int port;         /* 0 picks a free port */
  int quiet;        /* no access log */
  FILE *out;        /* where the first line (the base URL) goes; stdout when NULL */
};

/* Runs the server on its own libuv loop in the calling thread until SIGINT or SIGTERM.
 * Returns 0 after a clean stop, or a negative LC_E* code after logging why it could not start
 * (address in use, bad host). The options are only read during the call. Sets SIGPIPE to be
 * ignored and raises the soft RLIMIT_NOFILE to the hard limit, for the whole process. */
int lc_serve_run(const struct lc_serve_opts *opts);

#endif
