/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum rcr_log_level current_level = RCR_LOG_WARN;

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
  fprintf (stderr, "rcr: %s: ", level_names[level]);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}
