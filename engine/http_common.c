/* http_common.c: what both HTTP clients (curl, fast) say the same way. */
#include "engine/http.h"

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "engine/base/base.h"

/* Running out of descriptors or local ports fails every request the same way: one message that
 * names the fix (the errors table counts its occurrences) instead of a bare errno. */
bool lc_http_resource_message(char *msg, size_t cap, int err) {
  struct rlimit rl;
  switch (err) {
  case EMFILE:
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      snprintf(msg, cap, "too many open files (limit %llu): raise it with `ulimit -n`",
               (unsigned long long)rl.rlim_cur);
    else
      snprintf(msg, cap, "too many open files: raise the limit with `ulimit -n`");
    return true;
  case ENFILE:
    snprintf(msg, cap, "too many open files in the system: raise fs.file-max (sysctl)");
    return true;
  case EADDRNOTAVAIL:
    snprintf(msg, cap, "no free local port: every ephemeral port to this target is in use; "
                       "use more source addresses or fewer connections (or widen "
                       "net.ipv4.ip_local_port_range)");
    return true;
  case ENOBUFS:
  case ENOMEM:
    snprintf(msg, cap, "out of socket buffers (kernel memory): use fewer connections");
    return true;
  default:
    return false;
  }
}

void lc_http_format_size(char *out, size_t cap, uint64_t n) {
  static const struct { uint64_t unit; const char *name; } units[] = {
      {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (size_t i = 0; i < LC_ARRAY_LEN(units); i++)
    if (n >= units[i].unit && n % units[i].unit == 0) {
      snprintf(out, cap, "%llu %s", (unsigned long long)(n / units[i].unit), units[i].name);
      return;
    }
  snprintf(out, cap, "%llu bytes", (unsigned long long)n);
}

void lc_http_format_duration(char *out, size_t cap, int64_t us) {
  if (us % 1000000 == 0) snprintf(out, cap, "%llds", (long long)(us / 1000000));
  else if (us % 1000 == 0) snprintf(out, cap, "%lldms", (long long)(us / 1000));
  else snprintf(out, cap, "%lldus", (long long)us);
}
