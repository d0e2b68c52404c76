/* cmd_graph.c: `loadc graph FILE`: prints the compiled plan so people can see what will run:
 * user classes and their shares, each taskset's tasks with their probabilities, sequences in
 * order, waits, tags after filtering, and which HTTP client each class uses. Text, DOT or JSON. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/scenario.h"
#include "config/plan.h"
#include "engine/base/base.h"

enum { OPT_FORMAT = 1 };
enum graph_format { GRAPH_TEXT, GRAPH_DOT, GRAPH_JSON };

static const struct lc_opt graph_opts[] = {
    {OPT_FORMAT, "format", 0, LC_OPT_VALUE, "FMT", "text (default), dot or json"},
    {LC_OPT_TAGS, "tags", 'T', LC_OPT_VALUE, "TAGS", "apply --tags filtering first"},
    {LC_OPT_EXCLUDE_TAGS, "exclude-tags", 'E', LC_OPT_VALUE, "TAGS", "apply --exclude-tags filtering first"},
    {LC_OPT_SET, "set", 0, LC_OPT_VALUE, "NAME=VALUE", "override a scenario variable"},
    LC_OPT_HELP_ENTRY,
    {0},
};

/* ---- words ---- */

static void fmt_duration(char *out, size_t n, int64_t us) {
  if (us % 1000000 == 0) {
    int64_t s = us / 1000000;
    if (s >= 3600 && s % 60 == 0)
      snprintf(out, n, "%" PRId64 "h%s%" PRId64 "m", s / 3600, "", s % 3600 / 60);
    else if (s >= 60)
      snprintf(out, n, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
    else
      snprintf(out, n, "%" PRId64 "s", s);
    /* trim "0m" / "0s" tails: 2h0m -> 2h, 5m0s -> 5m */
    size_t len = strlen(out);
    if (len > 2 && out[len - 2] == '0' && (out[len - 1] == 'm' || out[len - 1] == 's') &&
        (out[len - 3] == 'h' || out[len - 3] == 'm'))
      out[len - 2] = '\0';
  } else if (us % 1000 == 0) {
    snprintf(out, n, "%" PRId64 "ms", us / 1000);
  } else {
    snprintf(out, n, "%" PRId64 "us", us);
  }
}

static void fmt_wait(char *out, size_t n, const struct lc_wait *w) {
  char a[32], b[32];
  fmt_duration(a, sizeof a, w->a_us);
  fmt_duration(b, sizeof b, w->b_us);
  switch (w->kind) {
  case LC_WAIT_INHERIT: snprintf(out, n, "inherited"); break;
  case LC_WAIT_NONE: snprintf(out, n, "none"); break;
  case LC_WAIT_CONSTANT: snprintf(out, n, "constant %s", a); break;
  case LC_WAIT_BETWEEN: snprintf(out, n, "between %s and %s", a, b); break;
  case LC_WAIT_PACING: snprintf(out, n, "constant_pacing %s", a); break;
  case LC_WAIT_THROUGHPUT: snprintf(out, n, "constant_throughput %g/s", w->rate); break;
  }
}

static const char *task_kind_name(enum lc_task_kind k) {
  switch (k) {
  case LC_TASK_STEPS: return "steps";
  case LC_TASK_TASKSET: return "taskset";
  case LC_TASK_SEQUENCE: return "sequence";
  case LC_TASK_INTERRUPT: return "interrupt";
  }
  return "?";
}

static const char *client_name(enum lc_client c) {
  return c == LC_CLIENT_FAST ? "fast" : c == LC_CLIENT_CURL ? "curl" : "auto";
}

static uint64_t weighted_total(const struct lc_plan *p) {
  uint64_t t = 0;
  for (size_t i = 0; i < p->nclasses; i++)
    if (p->classes[i].fixed_count == 0) t += p->classes[i].weight;
  return t;
}

static void fmt_tags(char *out, size_t n, const struct lc_strs *tags) {
  size_t len = 0;
  out[0] = '\0';
  if (!tags->n) return;
  len += (size_t)snprintf(out + len, n - len, "  [tags: ");
  for (size_t i = 0; i < tags->n && len < n; i++)
    len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", tags->items[i]);
  if (len < n) snprintf(out + len, n - len, "]");
}

/* ---- text ---- */

static void text_steps_summary(FILE *out, const char *indent, const char *label,
                               const struct lc_steps *s) {
  if (s->n) fprintf(out, "%s%s: %zu step%s\n", indent, label, s->n, s->n == 1 ? "" : "s");
}

static void text_set(FILE *out, const struct lc_taskset *set, int depth);

static void text_task(FILE *out, const struct lc_taskset *set, size_t i, int depth) {
  const struct lc_task *t = &set->tasks[i];
  char tags[256], share[32];
  fmt_tags(tags, sizeof tags, &t->tags);
  if (set->sequential)
    snprintf(share, sizeof share, "%zu.", i + 1);
  else
    snprintf(share, sizeof share, "%6.2f %%", 100.0 * t->weight / (double)set->total_weight);
  fprintf(out, "%*s%s  ", depth * 2, "", share);
  if (t->kind == LC_TASK_STEPS && t->steps.n == 1 && t->steps.items[0].kind == LC_STEP_REQUEST)
    fprintf(out, "%s", t->name);
  else if (t->kind == LC_TASK_STEPS)
    fprintf(out, "%s (%zu steps)", t->name, t->steps.n);
  else if (t->kind == LC_TASK_INTERRUPT)
    fprintf(out, "interrupt (%s)", t->reschedule ? "reschedule" : "wait first");
  else
    fprintf(out, "%s%s%s", task_kind_name(t->kind),
            strcmp(t->name, task_kind_name(t->kind)) ? " " : "",
            strcmp(t->name, task_kind_name(t->kind)) ? t->name : "");
  if (set->sequential && t->weight > 1) fprintf(out, " x%u", t->weight);
  if (!set->sequential) fprintf(out, "  (weight %u)", t->weight);
  fprintf(out, "%s\n", tags);
  if (t->set) text_set(out, t->set, depth + 2);
}

static void text_set(FILE *out, const struct lc_taskset *set, int depth) {
  char wait[96], indent[64];
  snprintf(indent, sizeof indent, "%*s", depth * 2, "");
  fmt_wait(wait, sizeof wait, &set->wait);
  fprintf(out, "%swait: %s\n", indent, wait);
  text_steps_summary(out, indent, "on_start", &set->on_start);
  text_steps_summary(out, indent, "on_stop", &set->on_stop);
  fprintf(out, "%s%s:\n", indent, set->sequential ? "tasks in order" : "tasks (random pick by weight)");
  for (size_t i = 0; i < set->n; i++) text_task(out, set, i, depth + 1);
}

static void text_load(FILE *out, const struct lc_load *L) {
  char a[32];
  switch (L->model) {
  case LC_LOAD_USERS:
    fprintf(out, "load: %u user%s, spawn rate %g/s", L->users, L->users == 1 ? "" : "s",
            L->spawn_rate);
    if (L->run_time_us) {
      fmt_duration(a, sizeof a, L->run_time_us);
      fprintf(out, ", run time %s", a);
    }
    fprintf(out, "\n");
    break;
  case LC_LOAD_STAGES:
    fprintf(out, "load: %zu stage%s\n", L->nstages, L->nstages == 1 ? "" : "s");
    for (size_t i = 0; i < L->nstages; i++) {
      fmt_duration(a, sizeof a, L->stages[i].duration_us);
      fprintf(out, "  %zu. %s: %u users, spawn rate %g/s", i + 1, a, L->stages[i].users,
              L->stages[i].spawn_rate);
      for (size_t k = 0; k < L->stages[i].user_classes.n; k++)
        fprintf(out, "%s%s", k ? ", " : ", classes ", L->stages[i].user_classes.items[k]);
      fprintf(out, "\n");
    }
    break;
  case LC_LOAD_ARRIVAL:
    fprintf(out, "load: arrivals (open model), at most %u users at once\n", L->max_users);
    for (size_t i = 0; i < L->narrivals; i++) {
      fmt_duration(a, sizeof a, L->arrivals[i].duration_us);
      if (L->arrivals[i].ramp_to != L->arrivals[i].rate)
        fprintf(out, "  %zu. %s: %g/s ramping to %g/s\n", i + 1, a, L->arrivals[i].rate,
                L->arrivals[i].ramp_to);
      else
        fprintf(out, "  %zu. %s: %g/s\n", i + 1, a, L->arrivals[i].rate);
    }
    break;
  }
}

/* ---- the files a run reads ---- */

/* Every file the plan names (feeders, multipart files, client certificates and keys), each
 * once: a run reads these and nothing else. */
struct files {
  struct file { const char *kind, *path; } *items;
  size_t n;
};

static void file_add(struct files *f, const char *kind, const char *path) {
  if (!path) return;
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->items[i].path, path) == 0 && strcmp(f->items[i].kind, kind) == 0) return;
  f->items = lc_xrealloc(f->items, (f->n + 1) * sizeof *f->items);
  f->items[f->n++] = (struct file){kind, path};
}

static void files_request(void *ctx, const struct lc_request *r) {
  struct files *f = ctx;
  for (size_t i = 0; i < r->nparts; i++)
    if (r->parts[i].path) file_add(f, "multipart file", r->parts[i].path);
  file_add(f, "client certificate", r->client_cert);
  file_add(f, "client key", r->client_key);
}

static void collect_files(const struct lc_plan *p, struct files *f) {
  for (size_t i = 0; i < p->nfeeders; i++) file_add(f, "feeder", p->feeders[i].path);
  lc_plan_each_request(p, files_request, f);
}

static void print_text(FILE *out, const struct lc_plan *p) {
  fprintf(out, "scenario: %s%s%s%s\n", p->file, p->name ? " (" : "", p->name ? p->name : "",
          p->name ? ")" : "");
  fprintf(out, "host: %s\n", p->host ? p->host : "(none: give --host)");
  text_load(out, &p->load);
  if (p->tags.n || p->exclude_tags.n) {
    fprintf(out, "tag filter:");
    for (size_t i = 0; i < p->tags.n; i++) fprintf(out, "%s%s", i ? "," : " --tags ", p->tags.items[i]);
    for (size_t i = 0; i < p->exclude_tags.n; i++)
      fprintf(out, "%s%s", i ? "," : " --exclude-tags ", p->exclude_tags.items[i]);
    fprintf(out, "\n");
  }
  uint64_t total = weighted_total(p);
  fprintf(out, "user classes:\n");
  for (size_t i = 0; i < p->nclasses; i++) {
    const struct lc_user_class *uc = &p->classes[i];
    if (uc->fixed_count)
      fprintf(out, "  %s: fixed_count %u\n", uc->name, uc->fixed_count);
    else
      fprintf(out, "  %s: weight %u (%.2f %% of weighted users)\n", uc->name, uc->weight,
              total ? 100.0 * uc->weight / (double)total : 0.0);
    fprintf(out, "    client: %s (%s)\n", client_name(uc->client), uc->client_reason);
    if (uc->host) fprintf(out, "    host: %s\n", uc->host);
    text_steps_summary(out, "    ", "on_start", &uc->on_start);
    text_steps_summary(out, "    ", "on_stop", &uc->on_stop);
    text_set(out, &uc->root, 2);
  }
  struct files f = {NULL, 0};
  collect_files(p, &f);
  fprintf(out, "files read:%s\n", f.n ? "" : " none");
  for (size_t i = 0; i < f.n; i++) fprintf(out, "  %s: %s\n", f.items[i].kind, f.items[i].path);
  free(f.items);
  if (p->nthresholds) {
    fprintf(out, "thresholds:\n");
    for (size_t i = 0; i < p->nthresholds; i++)
      fprintf(out, "  %s%s\n", p->thresholds[i].source,
              p->thresholds[i].abort_on_fail ? "  (aborts the run when failed)" : "");
  }
}

/* ---- dot ---- */

static void dot_label(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void dot_set(FILE *out, const struct lc_taskset *set, const char *parent, int *counter) {
  const char *prev = NULL;
  char prev_buf[32];
  for (size_t i = 0; i < set->n; i++) {
    const struct lc_task *t = &set->tasks[i];
    char id[32], label[512];
    snprintf(id, sizeof id, "t%d", (*counter)++);
    if (set->sequential)
      snprintf(label, sizeof label, "%zu. %s", i + 1, t->name);
    else
      snprintf(label, sizeof label, "%s\n%.2f %%", t->name,
               100.0 * t->weight / (double)set->total_weight);
    fprintf(out, "  %s [label=", id);
    dot_label(out, label);
    fprintf(out, ", shape=%s];\n", t->set ? "folder" : "box");
    if (set->sequential && prev)
      fprintf(out, "  %s -> %s [style=dashed, label=\"then\"];\n", prev, id);
    else
      fprintf(out, "  %s -> %s;\n", parent, id);
    if (t->set) dot_set(out, t->set, id, counter);
    snprintf(prev_buf, sizeof prev_buf, "%s", id);
    prev = prev_buf;
  }
}

static void print_dot(FILE *out, const struct lc_plan *p) {
  int counter = 0;
  uint64_t total = weighted_total(p);
  fprintf(out, "digraph loadc {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
  for (size_t i = 0; i < p->nclasses; i++) {
    const struct lc_user_class *uc = &p->classes[i];
    char id[32], label[256];
    snprintf(id, sizeof id, "c%zu", i);
    if (uc->fixed_count)
      snprintf(label, sizeof label, "%s\nfixed_count %u\nclient %s", uc->name, uc->fixed_count,
               client_name(uc->client));
    else
      snprintf(label, sizeof label, "%s\n%.2f %% of users\nclient %s", uc->name,
               total ? 100.0 * uc->weight / (double)total : 0.0, client_name(uc->client));
    fprintf(out, "  %s [label=", id);
    dot_label(out, label);
    fprintf(out, ", shape=ellipse, style=bold];\n");
    dot_set(out, &uc->root, id, &counter);
  }
  fprintf(out, "}\n");
}

/* ---- json ---- */

static json_t *json_wait(const struct lc_wait *w) {
  static const char *const kinds[] = {"inherit", "none", "constant", "between",
                                      "constant_pacing", "constant_throughput"};
  json_t *o = json_pack("{s:s}", "kind", kinds[w->kind]);
  if (w->kind == LC_WAIT_CONSTANT || w->kind == LC_WAIT_PACING || w->kind == LC_WAIT_BETWEEN)
    json_object_set_new(o, "min_s", json_real((double)w->a_us / 1e6));
  if (w->kind == LC_WAIT_BETWEEN) json_object_set_new(o, "max_s", json_real((double)w->b_us / 1e6));
  if (w->kind == LC_WAIT_THROUGHPUT) json_object_set_new(o, "rate", json_real(w->rate));
  return o;
}

static json_t *json_strs(const struct lc_strs *s) {
  json_t *a = json_array();
  for (size_t i = 0; i < s->n; i++) json_array_append_new(a, json_string(s->items[i]));
  return a;
}

static json_t *json_set(const struct lc_taskset *set) {
  json_t *tasks = json_array();
  for (size_t i = 0; i < set->n; i++) {
    const struct lc_task *t = &set->tasks[i];
    json_t *o = json_pack("{s:s, s:s, s:i, s:o, s:s, s:i}", "name", t->name, "kind",
                          task_kind_name(t->kind), "weight", (json_int_t)t->weight, "tags",
                          json_strs(&t->tags), "file", t->mark.file ? t->mark.file : "",
                          "line", (json_int_t)t->mark.line);
    if (!set->sequential)
      json_object_set_new(o, "probability", json_real((double)t->weight / (double)set->total_weight));
    if (t->kind == LC_TASK_STEPS) json_object_set_new(o, "steps", json_integer((json_int_t)t->steps.n));
    if (t->set) json_object_set_new(o, "set", json_set(t->set));
    json_array_append_new(tasks, o);
  }
  return json_pack("{s:b, s:o, s:i, s:i, s:o}", "sequential", set->sequential, "wait",
                   json_wait(&set->wait), "on_start", (json_int_t)set->on_start.n, "on_stop",
                   (json_int_t)set->on_stop.n, "tasks", tasks);
}

static int print_json(FILE *out, const struct lc_plan *p) {
  uint64_t total = weighted_total(p);
  json_t *classes = json_array();
  for (size_t i = 0; i < p->nclasses; i++) {
    const struct lc_user_class *uc = &p->classes[i];
    json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:o}", "name", uc->name, "weight",
                          (json_int_t)uc->weight, "fixed_count", (json_int_t)uc->fixed_count,
                          "client", client_name(uc->client), "client_asked",
                          client_name(uc->client_asked), "client_reason", uc->client_reason,
                          "tasks", json_set(&uc->root));
    if (!uc->fixed_count)
      json_object_set_new(o, "share", json_real(total ? (double)uc->weight / (double)total : 0));
    if (uc->host) json_object_set_new(o, "host", json_string(uc->host));
    json_array_append_new(classes, o);
  }
  json_t *thresholds = json_array();
  for (size_t i = 0; i < p->nthresholds; i++)
    json_array_append_new(thresholds, json_string(p->thresholds[i].source));
  struct files f = {NULL, 0};
  collect_files(p, &f);
  json_t *files = json_array();
  for (size_t i = 0; i < f.n; i++)
    json_array_append_new(files, json_pack("{s:s, s:s}", "kind", f.items[i].kind, "path",
                                           f.items[i].path));
  free(f.items);
  static const char *const models[] = {"users", "stages", "arrival"};
  json_t *doc = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "file", p->file, "name",
                          p->name ? json_string(p->name) : json_null(), "host",
                          p->host ? json_string(p->host) : json_null(), "load_model",
                          models[p->load.model], "tags", json_strs(&p->tags), "exclude_tags",
                          json_strs(&p->exclude_tags), "classes", classes, "thresholds",
                          thresholds, "files", files);
  int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', out);
  json_decref(doc);
  return rc;
}

static int graph_run(const struct lc_command *self, int argc, char **argv) {
  struct lc_scenario_opts so;
  memset(&so, 0, sizeof so);
  enum graph_format format = GRAPH_TEXT;
  const char *file = NULL;
  int rc = LC_EXIT_OK;
  struct lc_opts p;
  const char *v;
  int id;
  lc_opts_init(&p, "loadc graph", self->opts, argc, argv, 1);
  while ((id = lc_opts_next(&p, &v)) != LC_OPT_END) {
    if (lc_scenario_opts_take(&so, id, v)) continue;
    switch (id) {
    case OPT_FORMAT:
      if (strcmp(v, "text") == 0) format = GRAPH_TEXT;
      else if (strcmp(v, "dot") == 0) format = GRAPH_DOT;
      else if (strcmp(v, "json") == 0) format = GRAPH_JSON;
      else {
        fprintf(stderr, "loadc graph: unknown format '%s' (text, dot or json)\n", v);
        rc = LC_EXIT_USAGE;
        goto out;
      }
      break;
    case LC_OPT_HELP: lc_cli_usage(stdout, self); goto out;
    case LC_OPT_POSITIONAL:
      if (file) {
        fprintf(stderr, "loadc graph: one scenario at a time ('%s' and '%s')\n", file, v);
        rc = LC_EXIT_USAGE;
        goto out;
      }
      file = v;
      break;
    default: rc = LC_EXIT_USAGE; goto out;
    }
  }
  if (!file) {
    fprintf(stderr, "loadc graph: no scenario file given\nusage: %s\n", self->synopsis);
    rc = LC_EXIT_USAGE;
    goto out;
  }
  struct lc_diags *d = lc_diags_new(0);
  struct lc_plan *plan = lc_scenario_compile(file, &so, d);
  lc_diags_sort(d);
  lc_diags_print(d, stderr, LC_DIAG_TEXT);
  if (!plan) {
    rc = LC_EXIT_USAGE;
  } else if (format == GRAPH_TEXT) {
    print_text(stdout, plan);
  } else if (format == GRAPH_DOT) {
    print_dot(stdout, plan);
  } else if (print_json(stdout, plan) != 0) {
    rc = LC_EXIT_CANNOT;
  }
  lc_plan_free(plan);
  lc_diags_free(d);
out:
  lc_scenario_opts_release(&so);
  return rc;
}

const struct lc_command lc_cmd_graph = {
    "graph",
    graph_run,
    "print the compiled plan: classes, tasks, shares, waits, clients",
    "loadc graph [options] FILE",
    "Shows what a run would do: user classes with their weights and shares, each taskset's\n"
    "tasks with their probabilities (15 : 1 -> 93.75 % / 6.25 %), sequences in order, waits,\n"
    "tags after filtering, and the HTTP client each class uses and why. Exit 2 when the\n"
    "scenario is invalid (the diagnostics go to stderr).",
    graph_opts,
};
