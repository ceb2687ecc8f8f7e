/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_MONITOR_H
#define RCR_RUNTIME_MONITOR_H

#include <stdbool.h>

#include "common/error.h"
#include "runtime/container.h"

struct rcr_start_opts
{
  bool attach;      /* this process is the monitor and relays the terminal; else detach */
  bool interactive; /* -i: the container reads our stdin */
  bool sig_proxy;   /* forward signals we receive to the container */
  bool remove;      /* --rm: delete the container after it exits */
};

/* Starts a created or exited container under one monitor process. Attached, returns
   when the container exits, with its exit code (128+N for signal N). Detached, the
   monitor double-forks away and this returns as soon as the command runs. */
int rcr_container_start (const struct rcr_context *ctx, struct rcr_container *c, const struct rcr_start_opts *o,
                         int *exit_code, rcr_error_t *err);

#endif
