/* cmd_serve.c: `loadc serve`, the built-in target server (docs/serve.md). */
#include <stdlib.h>

#include "cmd/cli.h"
#include "cmd/serve/serve.h"

enum { OPT_HOST = 1, OPT_PORT, OPT_QUIET };

static const struct lc_opt serve_opts[] = {
    {OPT_HOST, "host", 0, LC_OPT_VALUE, "ADDR", "address to bind (default 127.0.0.1)"},
    {OPT_PORT, "port", 'p', LC_OPT_VALUE, "N", "port (default 8080; 0 picks a free one)"},
    {OPT_QUIET, "quiet", 'q', LC_OPT_FLAG, NULL, "no access log on stderr"},
    LC_OPT_HELP_ENTRY,
    {0},
};

static int serve_run(const struct lc_command *self, int argc, char **argv) {
  struct lc_serve_opts so = {.host = "127.0.0.1", .port = 8080};
  struct lc_opts p;
  const char *v;
  long long port;
  int id;
  lc_opts_init(&p, "loadc serve", self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    switch (id) {
    case OPT_HOST: so.host = v; break;
    case OPT_PORT:
      if (lc_opts_int(&p, "port", v, 0, 65535, &port) < 0) return LC_EXIT_USAGE;
      so.port = (int)port;
      break;
    case OPT_QUIET: so.quiet = 1; break;
    case LC_OPT_HELP: lc_cli_usage(stdout, self); return LC_EXIT_OK;
    case LC_OPT_POSITIONAL:
      fprintf(stderr, "loadc serve: unexpected argument '%s'\n", v);
      return LC_EXIT_USAGE;
    default: return LC_EXIT_USAGE;
    }
  }
  return lc_serve_run(&so) == 0 ? LC_EXIT_OK : LC_EXIT_CANNOT;
}

const struct lc_command lc_cmd_serve = {
    "serve",
    serve_run,
    "run the built-in target server (for trying scenarios offline and for tests)",
    "loadc serve [--host ADDR] [--port N] [--quiet]",
    "Serves the endpoints listed in docs/serve.md: /status/{code}, /delay/{ms}, /bytes/{n},\n"
    "/chunked/{n}, /json, /echo, /cookies, /login, /items, /redirect/{n}, /drop, /garbage,\n"
    "/slow-body/{ms}, /__stats and /__reset. The first line on stdout is the base URL.\n"
    "SIGINT or SIGTERM stops it.",
    serve_opts,
};
