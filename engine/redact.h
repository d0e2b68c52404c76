/* redact.h: keeping secrets out of what loadc prints and stores. A redactor knows the values of
 * the scenario's variables marked `secret: true` (their text as rendered: strings as they are,
 * numbers as %g) and replaces every occurrence of one in a message with "***" before the
 * message reaches a log line, the --single-user output, the errors table or a report. Values
 * shorter than 3 bytes are not redacted (they would blank out ordinary text); `loadc check`
 * does not warn about them yet. Headers that carry credentials (Authorization,
 * Proxy-Authorization, Cookie, Set-Cookie) are never quoted by checks in the first place
 * (lc_redact_header_is_sensitive).
 *
 * Built once per run from the plan, then read-only: workers share it without locks. */
#ifndef LC_ENGINE_REDACT_H
#define LC_ENGINE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/plan.h"

#define LC_REDACTED "***"

struct lc_redactor;

/* The secrets of `plan` (NULL when it has none: every function accepts NULL). */
struct lc_redactor *lc_redactor_new(const struct lc_plan *plan);
void lc_redactor_free(struct lc_redactor *r);

/* Replaces, in place, every occurrence of a secret in the NUL-terminated `s` with LC_REDACTED
 * (never longer than a secret, so `s` only shrinks). Returns whether it changed anything. */
bool lc_redact(const struct lc_redactor *r, char *s);

/* Whether a header's value is a credential that is never shown (case-insensitive name). */
bool lc_redact_header_is_sensitive(const char *name);

#endif
