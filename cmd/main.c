/* main.c: the loadc entry point. Global options (--help, --version) and dispatch to the
 * commands from one table (git's git.c). Only cmd/ calls exit(). */
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "engine/base/base.h"

static const struct lc_command *const commands[] = {
    &lc_cmd_run, &lc_cmd_check, &lc_cmd_graph, &lc_cmd_schema,
    &lc_cmd_serve, &lc_cmd_report, &lc_cmd_help, &lc_cmd_version, NULL,
};

const struct lc_command *lc_cli_find(const char *name) {
  for (size_t i = 0; commands[i]; i++)
    if (strcmp(commands[i]->name, name) == 0) return commands[i];
  return NULL;
}

void lc_cli_unknown_command(FILE *out, const char *name) {
  const char *names[LC_ARRAY_LEN(commands)];
  for (size_t i = 0; i < LC_ARRAY_LEN(commands); i++)
    names[i] = commands[i] ? commands[i]->name : NULL;
  const char *s = lc_suggest(name, names);
  if (s)
    fprintf(out, "loadc: unknown command '%s' (did you mean '%s'?)\n", name, s);
  else
    fprintf(out, "loadc: unknown command '%s'\n", name);
  fprintf(out, "run 'loadc --help' for the list of commands\n");
}

static void main_usage(FILE *out) {
  fprintf(out,
          "loadc: load testing with declarative YAML scenarios (Locust's model, wrk's speed)\n"
          "\n"
          "usage: loadc <command> [options] [args]\n"
          "       loadc --help | --version\n"
          "\n"
          "commands:\n");
  for (size_t i = 0; commands[i]; i++)
    fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
  fprintf(out,
          "\n"
          "'loadc help <command>' or 'loadc <command> --help' shows a command's options.\n"
          "exit codes: 0 ok, 1 criteria not met / invalid, 2 usage or scenario error,\n"
          "3 could not run.\n");
}

static int help_run(const struct lc_command *self, int argc, char **argv) {
  static const struct lc_opt no_opts[] = {LC_OPT_HELP_ENTRY, {0}};
  struct lc_opts p;
  const char *topic = NULL, *v;
  int id;
  lc_opts_init(&p, "loadc help", no_opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    if (id == LC_OPT_ERROR) return LC_EXIT_USAGE;
    if (id == LC_OPT_HELP) {
      lc_cli_usage(stdout, self);
      return LC_EXIT_OK;
    }
    if (topic) {
      fprintf(stderr, "loadc help: unexpected argument '%s'\n", v);
      return LC_EXIT_USAGE;
    }
    topic = v;
  }
  if (!topic) {
    main_usage(stdout);
    return LC_EXIT_OK;
  }
  const struct lc_command *cmd = lc_cli_find(topic);
  if (!cmd) {
    lc_cli_unknown_command(stderr, topic);
    return LC_EXIT_USAGE;
  }
  lc_cli_usage(stdout, cmd);
  return LC_EXIT_OK;
}

static const struct lc_opt help_opts[] = {LC_OPT_HELP_ENTRY, {0}};
const struct lc_command lc_cmd_help = {
    "help", help_run, "show help for loadc or one command", "loadc help [COMMAND]", NULL,
    help_opts,
};

void lc_cli_usage(FILE *out, const struct lc_command *cmd) {
  fprintf(out, "usage: %s\n\n%s\n", cmd->synopsis, cmd->summary);
  if (cmd->description) fprintf(out, "\n%s\n", cmd->description);
  fprintf(out, "\noptions:\n");
  lc_opts_print_help(out, cmd->opts);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    main_usage(stderr);
    return LC_EXIT_USAGE;
  }
  const char *first = argv[1];
  if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
    main_usage(stdout);
    return LC_EXIT_OK;
  }
  if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
    lc_cli_print_version(stdout);
    return LC_EXIT_OK;
  }
  if (first[0] == '-') {
    static const char *const globals[] = {"help", "version", NULL};
    const char *s = first[1] == '-' ? lc_suggest(first + 2, globals) : NULL;
    if (s)
      fprintf(stderr, "loadc: unknown option '%s' (did you mean '--%s'?)\n", first, s);
    else
      fprintf(stderr, "loadc: unknown option '%s'\n", first);
    fprintf(stderr, "usage: loadc <command> [options]; 'loadc --help' lists the commands\n");
    return LC_EXIT_USAGE;
  }
  const struct lc_command *cmd = lc_cli_find(first);
  if (!cmd) {
    lc_cli_unknown_command(stderr, first);
    return LC_EXIT_USAGE;
  }
  return cmd->run(cmd, argc - 1, argv + 1);
}
