/* http_common.c: what both HTTP clients (curl, fast) say the same way. */
#include "engine/http.h"

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

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
