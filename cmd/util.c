/* SPDX-License-Identifier: Apache-2.0 */
/* Podman-style human units, ages and tables. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "common/util.h"
#include "storage/store.h"

char *
cmd_human_size (int64_t bytes)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
  double v = (double)bytes;
  size_t u = 0;
  while (v >= 1000.0 && u + 1 < sizeof (units) / sizeof (units[0]))
    {
      v /= 1000.0;
      u++;
    }
  return rcr_strdup_printf ("%.3g %s", v, units[u]);
}

char *
cmd_human_age (int64_t then)
{
  int64_t d = (int64_t)time (NULL) - then;
  int64_t h = d / 3600;
  const char *what;
  int64_t n;

  if (then <= 0)
    return rcr_xstrdup ("unknown");
  if (d < 1)
    return rcr_xstrdup ("Less than a second ago");
  if (d == 1)
    return rcr_xstrdup ("1 second ago");
  if (d < 60)
    return rcr_strdup_printf ("%lld seconds ago", (long long)d);
  if (d / 60 == 1)
    return rcr_xstrdup ("About a minute ago");
  if (d < 3600)
    return rcr_strdup_printf ("%lld minutes ago", (long long)(d / 60));
  if (h == 1)
    return rcr_xstrdup ("About an hour ago");
  if (h < 48)
    return rcr_strdup_printf ("%lld hours ago", (long long)h);
  if (h < 24 * 7 * 2)
    n = h / 24, what = "days";
  else if (h < 24 * 30 * 2)
    n = h / 24 / 7, what = "weeks";
  else if (h < 24 * 365 * 2)
    n = h / 24 / 30, what = "months";
  else
    n = h / 24 / 365, what = "years";
  return rcr_strdup_printf ("%lld %s ago", (long long)n, what);
}

int64_t
cmd_parse_rfc3339 (const char *s)
{
  struct tm tm = { 0 };
  const char *p;
  int64_t t;

  if (s == NULL || (p = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
    return -1;
  t = (int64_t)timegm (&tm);
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      ;
  if (*p == '+' || *p == '-')
    {
      int hh = 0, mm = 0;
      if (sscanf (p + 1, "%2d:%2d", &hh, &mm) == 2)
        t += (*p == '+' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
    }
  return t;
}

void
cmd_table_init (struct cmd_table *t, const char *const *header)
{
  char **row;
  memset (t, 0, sizeof (*t));
  while (header[t->ncols])
    t->ncols++;
  row = rcr_xmalloc0 (t->ncols * sizeof (char *));
  for (size_t i = 0; i < t->ncols; i++)
    row[i] = rcr_xstrdup (header[i]);
  cmd_table_add (t, row);
}

void
cmd_table_add (struct cmd_table *t, char **cells)
{
  t->rows = rcr_xrealloc (t->rows, (t->nrows + 1) * sizeof (char **));
  t->rows[t->nrows++] = cells;
}

void
cmd_table_print (struct cmd_table *t, bool header)
{
  size_t *w = rcr_xmalloc0 (t->ncols * sizeof (size_t));
  for (size_t r = 0; r < t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++)
      if (strlen (t->rows[r][c]) > w[c])
        w[c] = strlen (t->rows[r][c]);
  /* podman's tabwriter: cells at least 12 wide, 2 blanks of padding */
  for (size_t c = 0; c < t->ncols; c++)
    w[c] = w[c] + 2 < 12 ? 12 : w[c] + 2;
  for (size_t r = header ? 0 : 1; r < t->nrows; r++)
    {
      for (size_t c = 0; c < t->ncols; c++)
        {
          if (c + 1 == t->ncols)
            fputs (t->rows[r][c], stdout);
          else
            printf ("%-*s", (int)w[c], t->rows[r][c]);
        }
      putchar ('\n');
    }
  free (w);
}

void
cmd_table_clear (struct cmd_table *t)
{
  for (size_t r = 0; r < t->nrows; r++)
    {
      for (size_t c = 0; c < t->ncols; c++)
        free (t->rows[r][c]);
      free (t->rows[r]);
    }
  free (t->rows);
  memset (t, 0, sizeof (*t));
}

int
cmd_open_store (struct rcr_context *ctx, struct rcr_store **out)
{
  rcr_error_t err = NULL;
  if (rcr_store_open (&ctx->paths, out, &err) < 0)
    return cmd_fail (&err);
  return 0;
}

int
cmd_parse_bool (const char *s)
{
  if (s == NULL || strcmp (s, "true") == 0)
    return 1;
  if (strcmp (s, "false") == 0)
    return 0;
  return -1;
}
