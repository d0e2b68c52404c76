/* file.h: how every report file is written. The missing directories above it are created, it
 * is written to a temporary file beside it (PATH.tmp.PID.N, created exclusively, mode 0666 less
 * the umask, like the file it becomes) and renamed over it, so a reader never sees half a file.
 * Errors are LC_EIO with a message in err: "cannot create directory 'D': REASON" or "cannot
 * write 'PATH': REASON" (REASON as strerror says it). */
#ifndef LC_REPORT_FILE_H
#define LC_REPORT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Creates the missing directories above `path` (mkdir -p of its directory part). */
int lc_report_mkdirs(const char *path, char *err, size_t errlen);

/* Creates the directories, then the temporary file beside `path`; *tmp gets its name. Returns
 * the stream, or NULL with a message (also when `path` is a directory). */
FILE *lc_report_tmp_open(const char *path, char **tmp, char *err, size_t errlen);

/* Ends what lc_report_tmp_open began: closes f and, when `ok` and nothing failed while writing,
 * renames tmp over `path`; otherwise removes tmp. Frees tmp. Returns 0 or LC_EIO. */
int lc_report_tmp_commit(FILE *f, char *tmp, const char *path, bool ok, char *err,
                         size_t errlen);

/* Before a run: `path` can be written (directories created, a temporary file created and
 * removed beside it, and `path` is not a directory). */
int lc_report_check_writable(const char *path, char *err, size_t errlen);

#endif
