/* SPDX-License-Identifier: Apache-2.0 */
/* --ulimit NAME=SOFT[:HARD] as docker/go-units ParseUlimit, which podman uses: the names
   are its table ("as" is deliberately absent there), -1 and "infinity" mean unlimited,
   one value sets both limits, and soft must not exceed hard. */
#define _GNU_SOURCE
#include "process.h"

#include <stdint.h>
#include <string.h>

struct ulimit_name
{
  const char *name;
  int resource;
  bool settable; /* accepted by --ulimit */
};

static const struct ulimit_name ulimit_names[] = {
  { "core", RLIMIT_CORE, true },
  { "cpu", RLIMIT_CPU, true },
  { "data", RLIMIT_DATA, true },
  { "fsize", RLIMIT_FSIZE, true },
  { "locks", RLIMIT_LOCKS, true },
  { "memlock", RLIMIT_MEMLOCK, true },
  { "msgqueue", RLIMIT_MSGQUEUE, true },
  { "nice", RLIMIT_NICE, true },
  { "nofile", RLIMIT_NOFILE, true },
  { "nproc", RLIMIT_NPROC, true },
  { "rss", RLIMIT_RSS, true },
  { "rtprio", RLIMIT_RTPRIO, true },
  { "rttime", RLIMIT_RTTIME, true },
  { "sigpending", RLIMIT_SIGPENDING, true },
  { "stack", RLIMIT_STACK, true },
  /* named for display only: go-units disabled it, so podman rejects --ulimit as=... */
  { "as", RLIMIT_AS, false },
};

#define N_ULIMIT_NAMES (sizeof (ulimit_names) / sizeof (ulimit_names[0]))
#define ULIMIT_KNOWN                                                                                                   \
  "core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack"

const char *
rcr_ulimit_name (int resource)
{
  for (size_t i = 0; i < N_ULIMIT_NAMES; i++)
    if (ulimit_names[i].resource == resource)
      return ulimit_names[i].name;
  return NULL;
}

/* "-1" and "infinity" are RLIM_INFINITY; otherwise a decimal in int64 range, as
   strconv.ParseInt would accept (without the sign). */
static int
parse_value (const char *s, size_t len, const char *spec, rlim_t *out, rcr_error_t *err)
{
  uint64_t v = 0;

  if ((len == 2 && memcmp (s, "-1", 2) == 0) || (len == 8 && memcmp (s, "infinity", 8) == 0))
    {
      *out = RLIM_INFINITY;
      return 0;
    }
  if (len == 0)
    goto bad;
  for (size_t i = 0; i < len; i++)
    {
      uint64_t d;
      if (s[i] < '0' || s[i] > '9')
        goto bad;
      d = (uint64_t)(s[i] - '0');
      if (v > ((uint64_t)INT64_MAX - d) / 10)
        return rcr_make_error (err, 0, "invalid ulimit \"%s\": value \"%.*s\" out of range", spec, (int)len, s);
      v = v * 10 + d;
    }
  *out = (rlim_t)v;
  return 0;

bad:
  return rcr_make_error (err, 0,
                         "invalid ulimit \"%s\": value \"%.*s\" is not a number (use -1 or infinity for unlimited)",
                         spec, (int)len, s);
}

int
rcr_ulimit_parse (const char *spec, struct rcr_ulimit *out, rcr_error_t *err)
{
  const struct ulimit_name *un = NULL;
  const char *eq, *val, *colon;
  rlim_t soft, hard;
  int r;

  if (spec == NULL)
    spec = "";
  eq = strchr (spec, '=');
  if (eq == NULL)
    return rcr_make_error (err, 0, "invalid ulimit argument \"%s\": expected NAME=SOFT[:HARD], e.g. nofile=1024:2048",
                           spec);
  for (size_t i = 0; i < N_ULIMIT_NAMES; i++)
    if (ulimit_names[i].settable && strlen (ulimit_names[i].name) == (size_t)(eq - spec)
        && memcmp (ulimit_names[i].name, spec, (size_t)(eq - spec)) == 0)
      un = &ulimit_names[i];
  if (un == NULL)
    return rcr_make_error (err, 0, "invalid ulimit type \"%.*s\": expected one of " ULIMIT_KNOWN, (int)(eq - spec),
                           spec);

  val = eq + 1;
  colon = strchr (val, ':');
  if (colon && strchr (colon + 1, ':'))
    return rcr_make_error (err, 0, "invalid ulimit \"%s\": too many values, expected SOFT[:HARD]", spec);
  r = parse_value (val, colon ? (size_t)(colon - val) : strlen (val), spec, &soft, err);
  if (r < 0)
    return r;
  hard = soft;
  if (colon)
    {
      r = parse_value (colon + 1, strlen (colon + 1), spec, &hard, err);
      if (r < 0)
        return r;
    }
  if (hard != RLIM_INFINITY && (soft == RLIM_INFINITY || soft > hard))
    return rcr_make_error (err, 0, "invalid ulimit \"%s\": the soft limit must be less than or equal to the hard limit",
                           spec);
  out->resource = un->resource;
  out->lim.rlim_cur = soft;
  out->lim.rlim_max = hard;
  return 0;
}
