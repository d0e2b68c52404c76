/* file.c: see file.h. */
#include "report/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/base.h"

static int fail(char *err, size_t errlen, const char *what, const char *path, int e) {
  if (errlen) snprintf(err, errlen, "cannot %s '%s': %s", what, path, strerror(e));
  return LC_EIO;
}

int lc_report_mkdirs(const char *path, char *err, size_t errlen) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path) return 0;
  char *dir = lc_xstrdup(path);
  dir[slash - path] = '\0';
  int rc = 0;
  for (char *q = dir + 1; rc == 0; q++) {
    if (*q != '/' && *q != '\0') continue;
    char c = *q;
    *q = '\0';
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) rc = fail(err, errlen, "create directory", dir, errno);
    else if (stat(dir, &st) != 0) rc = fail(err, errlen, "create directory", dir, errno);
    else if (!S_ISDIR(st.st_mode)) rc = fail(err, errlen, "create directory", dir, ENOTDIR);
    *q = c;
    if (c == '\0') break;
  }
  free(dir);
  return rc;
}

FILE *lc_report_tmp_open(const char *path, char **tmp, char *err, size_t errlen) {
  struct stat st;
  *tmp = NULL;
  if (!*path) {
    fail(err, errlen, "write", path, ENOENT);
    return NULL;
  }
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    fail(err, errlen, "write", path, EISDIR);
    return NULL;
  }
  if (lc_report_mkdirs(path, err, errlen) != 0) return NULL;
  int fd = -1, e = 0;
  for (unsigned i = 0; fd < 0 && i < 100; i++) {
    free(*tmp);
    *tmp = lc_xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), i);
    fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    e = errno;
    if (fd < 0 && e != EEXIST) break;
  }
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    if (fd >= 0) {
      e = errno;
      close(fd);
      unlink(*tmp);
    }
    fail(err, errlen, "write", path, e);
    free(*tmp);
    *tmp = NULL;
  }
  return f;
}

int lc_report_tmp_commit(FILE *f, char *tmp, const char *path, bool ok, char *err,
                         size_t errlen) {
  int e = ok && ferror(f) ? EIO : 0;
  if (fclose(f) != 0 && ok && !e) e = errno ? errno : EIO;
  if (ok && !e && rename(tmp, path) != 0) e = errno;
  int rc = 0;
  if (!ok || e) {
    if (e) rc = fail(err, errlen, "write", path, e);
    else rc = LC_EIO; /* the caller failed and said why */
    unlink(tmp);
  }
  free(tmp);
  return rc;
}

int lc_report_check_writable(const char *path, char *err, size_t errlen) {
  char *tmp;
  FILE *f = lc_report_tmp_open(path, &tmp, err, errlen);
  if (!f) return LC_EIO;
  fclose(f);
  unlink(tmp);
  free(tmp);
  return 0;
}
