/* clock.c: the monotonic microsecond clock response times are measured with (lc_now_us,
 * declared in engine/http.h). One definition for every HTTP client and the worker. */
#include <time.h>

#include "engine/http.h"

int64_t lc_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
