/* cmd_schema.c: `loadc schema`: prints the JSON Schema of the scenario language, the very file
 * schemas/loadc.schema.json, embedded at build time. */
#include <stddef.h>
#include <stdio.h>

#include "cmd/cli.h"

extern const unsigned char lc_schema_json[];
extern const size_t lc_schema_json_len;

static int schema_run(const struct lc_command *self, int argc, char **argv) {
  struct lc_opts p;
  const char *v;
  int id;
  lc_opts_init(&p, "loadc schema", self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    if (id == LC_OPT_HELP) {
      lc_cli_usage(stdout, self);
      return LC_EXIT_OK;
    }
    if (id == LC_OPT_POSITIONAL) fprintf(stderr, "loadc schema: unexpected argument '%s'\n", v);
    return LC_EXIT_USAGE;
  }
  if (fwrite(lc_schema_json, 1, lc_schema_json_len, stdout) != lc_schema_json_len)
    return LC_EXIT_CANNOT;
  return fflush(stdout) == 0 ? LC_EXIT_OK : LC_EXIT_CANNOT;
}

static const struct lc_opt schema_opts[] = {LC_OPT_HELP_ENTRY, {0}};
const struct lc_command lc_cmd_schema = {
    "schema",
    schema_run,
    "print the JSON Schema of the scenario language",
    "loadc schema",
    "The same file as schemas/loadc.schema.json (JSON Schema draft-07). Point your editor's\n"
    "YAML language server at it for completion and hover docs:\n"
    "  # yaml-language-server: $schema=../schemas/loadc.schema.json",
    schema_opts,
};
