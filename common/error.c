/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
rcr_make_error (rcr_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  char *msg;
  struct rcr_error_s *e;

  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);

  e = calloc (1, sizeof (*e));
  if (e == NULL || msg == NULL)
    {
      /* Out of memory: nothing better to do than abort, as every caller would. */
      fputs ("rcr: out of memory\n", stderr);
      abort ();
    }
  e->status = errno_;
  if (errno_ != 0)
    {
      char *full = NULL;
      if (asprintf (&full, "%s: %s", msg, strerror (errno_)) < 0)
        abort ();
      free (msg);
      msg = full;
    }
  e->msg = msg;
  if (err != NULL)
    {
      rcr_error_release (err);
      *err = e;
    }
  else
    {
      free (e->msg);
      free (e);
    }
  return -errno_ - 1;
}

int
rcr_error_wrap (rcr_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *full = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  ctx = vformat (fmt, ap);
  va_end (ap);
  if (ctx == NULL || asprintf (&full, "%s: %s", ctx, (*err)->msg) < 0)
    abort ();
  free (ctx);
  free ((*err)->msg);
  (*err)->msg = full;
  return rcr_error_code (*err);
}

int
rcr_error_code (rcr_error_t err)
{
  return err == NULL ? -1 : -err->status - 1;
}

void
rcr_error_release (rcr_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
