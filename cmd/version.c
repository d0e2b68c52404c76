/* version.c: `loadc version` / `loadc --version`: loadc's version and the versions of the
 * libraries it runs with (read from the libraries at run time where they tell it). */
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <libxml/globals.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <yaml.h>
#include <csv.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cmd/cli.h"
#include "engine/base/base.h"

/* libxml2 reports "20914" for 2.9.14. */
static void xml_version(char *out, size_t n) {
  const char *v = xmlParserVersion;
  long num = v ? strtol(v, NULL, 10) : 0;
  snprintf(out, n, "%ld.%ld.%ld", num / 10000, num / 100 % 100, num % 100);
}

char *lc_cli_library_versions(void) {
  curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
  char pcre[64] = "?";
  char xml[32];
  pcre2_config(PCRE2_CONFIG_VERSION, pcre);
  xml_version(xml, sizeof xml);
  char buf[512];
  snprintf(buf, sizeof buf, "libcurl/%s %s libuv/%s libyaml/%s PCRE2/%s jansson/%s libxml2/%s libcsv/%d.%d.%d",
           cv->version, cv->ssl_version ? cv->ssl_version : "no-TLS", uv_version_string(),
           yaml_get_version_string(), pcre, jansson_version_str(), xml, CSV_MAJOR, CSV_MINOR,
           CSV_RELEASE);
  return lc_xstrdup(buf);
}

void lc_cli_print_version(FILE *out) {
  curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
  char pcre[64] = "?";
  char xml[32];
  pcre2_config(PCRE2_CONFIG_VERSION, pcre);
  xml_version(xml, sizeof xml);
  fprintf(out, "loadc %s\n", LC_VERSION);
  fprintf(out, "libcurl %s (%s%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS",
          (cv->features & CURL_VERSION_HTTP2) ? ", HTTP/2" : "");
  fprintf(out, "libuv %s\n", uv_version_string());
  fprintf(out, "libyaml %s\n", yaml_get_version_string());
  fprintf(out, "PCRE2 %s\n", pcre);
  fprintf(out, "jansson %s\n", jansson_version_str());
  fprintf(out, "libxml2 %s\n", xml);
  fprintf(out, "libcsv %d.%d.%d\n", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
}

static int version_run(const struct lc_command *self, int argc, char **argv) {
  struct lc_opts p;
  const char *v;
  int id;
  lc_opts_init(&p, "loadc version", self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    if (id == LC_OPT_HELP) {
      lc_cli_usage(stdout, self);
      return LC_EXIT_OK;
    }
    if (id == LC_OPT_POSITIONAL) fprintf(stderr, "loadc version: unexpected argument '%s'\n", v);
    return LC_EXIT_USAGE;
  }
  lc_cli_print_version(stdout);
  return LC_EXIT_OK;
}

static const struct lc_opt version_opts[] = {LC_OPT_HELP_ENTRY, {0}};
const struct lc_command lc_cmd_version = {
    "version", version_run, "print the versions of loadc and its libraries", "loadc version",
    NULL, version_opts,
};
