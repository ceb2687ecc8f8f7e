/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_USERNS_USERNS_H
#define RCR_USERNS_USERNS_H

#include <stdbool.h>

#include "common/error.h"

/* newuidmap / newgidmap as found on this host. */
struct rcr_idtool
{
  char *path;  /* NULL when not found */
  bool usable; /* setuid root or carrying file capabilities */
  const char *hint;
};

void rcr_userns_probe_tool (const char *name, struct rcr_idtool *out);
void rcr_idtool_clear (struct rcr_idtool *t);

/* Runs fn(arg) in a forked child that is root of a new user namespace through a single-id
   mapping of the caller (no newuidmap needed), with the extra CLONE_* flags unshared too.
   As real root no user namespace is made. *status receives fn's return value (0-255) or
   128+signal. */
int rcr_userns_run_single (int (*fn) (void *), void *arg, int extra_flags, int *status, rcr_error_t *err);

#endif
