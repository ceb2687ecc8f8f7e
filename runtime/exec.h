/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_EXEC_H
#define RCR_RUNTIME_EXEC_H

#include <stdbool.h>

#include "common/error.h"
#include "runtime/container.h"

struct rcr_exec_opts
{
  char **argv;
  char **env;       /* extra KEY=VALUE, applied over the container's */
  const char *user; /* NULL: the container's */
  const char *cwd;  /* NULL: the container's */
  bool tty;
  bool interactive;
  bool detach;
  bool privileged;
};

/* Runs a process in a running container: joins its user namespace first, then mount,
   uts, ipc, net, cgroup and pid; applies its user, capabilities and seccomp filter.
   Returns the process's exit code (or 0 for detach). Errors as rcr_spawn's. */
int rcr_container_exec (const struct rcr_context *ctx, struct rcr_container *c, const struct rcr_exec_opts *o,
                        int *exit_code, rcr_error_t *err);

/* Re-executes the running binary from a sealed memfd unless it already runs from one,
   so nothing in a container can reach rcr's file on disk through /proc/PID/exe
   (CVE-2019-5736). Returns only on failure or when already sealed. */
int rcr_reexec_sealed (char **argv, rcr_error_t *err);

#endif
