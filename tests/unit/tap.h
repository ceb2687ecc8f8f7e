/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal TAP producer for the C unit tests: one binary per module, plan at the end. */
#ifndef RCR_TESTS_TAP_H
#define RCR_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline void __attribute__ ((format (printf, 2, 3))) tap_ok (int cond, const char *fmt, ...)
{
  va_list ap;
  tap_count++;
  if (!cond)
    tap_failed++;
  printf ("%sok %d - ", cond ? "" : "not ", tap_count);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

static inline void __attribute__ ((format (printf, 3, 4)))
tap_is_str (const char *got, const char *want, const char *fmt, ...)
{
  va_list ap;
  int same = (got == NULL && want == NULL) || (got && want && strcmp (got, want) == 0);
  char desc[512];

  va_start (ap, fmt);
  vsnprintf (desc, sizeof (desc), fmt, ap);
  va_end (ap);
  tap_ok (same, "%s", desc);
  if (!same)
    printf ("#   got:  \"%s\"\n#   want: \"%s\"\n", got ? got : "(null)", want ? want : "(null)");
}

static inline void __attribute__ ((format (printf, 3, 4)))
tap_is_int (long long got, long long want, const char *fmt, ...)
{
  va_list ap;
  char desc[512];

  va_start (ap, fmt);
  vsnprintf (desc, sizeof (desc), fmt, ap);
  va_end (ap);
  tap_ok (got == want, "%s", desc);
  if (got != want)
    printf ("#   got:  %lld\n#   want: %lld\n", got, want);
}

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

#endif
