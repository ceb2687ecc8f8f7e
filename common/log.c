/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum rcr_log_level current_level = RCR_LOG_WARN;
static struct timespec start;

/* debug lines carry the time since start: where a slow command spends it */
__attribute__ ((constructor)) static void
record_start (void)
{
  clock_gettime (CLOCK_MONOTONIC, &start);
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
rcr_log_level_parse (const char *s)
{
  for (int i = 0; i < (int)(sizeof (level_names) / sizeof (level_names[0])); i++)
    if (strcmp (s, level_names[i]) == 0)
      return i;
  if (strcmp (s, "warning") == 0)
    return RCR_LOG_WARN;
  return -1;
}

void
rcr_log_set_level (enum rcr_log_level level)
{
  current_level = level;
}

enum rcr_log_level
rcr_log_get_level (void)
{
  return current_level;
}

void
rcr_log (enum rcr_log_level level, const char *fmt, ...)
{
  va_list ap;

  if (level > current_level)
    return;
  if (level == RCR_LOG_DEBUG)
    {
      struct timespec now;
      clock_gettime (CLOCK_MONOTONIC, &now);
      fprintf (stderr, "rcr: debug: +%.3fms [%d] ",
               (double)(now.tv_sec - start.tv_sec) * 1e3 + (double)(now.tv_nsec - start.tv_nsec) / 1e6, (int)getpid ());
    }
  else
    fprintf (stderr, "rcr: %s: ", level_names[level]);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}
