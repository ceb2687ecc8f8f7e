/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_CONTEXT_H
#define RCR_RUNTIME_CONTEXT_H

#include "common/paths.h"

/* The global options every verb runs with (podman's global flags). */
struct rcr_context
{
  struct rcr_paths paths;
  const char *storage_driver; /* NULL: choose automatically */
  const char *cgroup_manager; /* NULL: systemd when a user manager is reachable, else cgroupfs */
};

#endif
