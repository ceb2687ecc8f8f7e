/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_CGROUP_H
#define RCR_RUNTIME_CGROUP_H

#include <stdbool.h>

#include "common/error.h"

/* What the host's cgroups offer this user for resource limits. */
struct rcr_cgroup_probe
{
  const char *version; /* "v2", "hybrid" or "v1" */
  char *unified_mount; /* mount point of cgroup2, NULL when none */
  char *own_path;      /* our cgroup in the v2 hierarchy ("/user.slice/...") */
  char **available;    /* controllers enabled in our v2 cgroup (NULL-terminated) */
  char **usable;       /* of those, the ones delegated to us (our cgroup is writable) */
  bool delegated;      /* our v2 cgroup directory is writable by us */
  bool systemd;        /* a systemd manager (the user's own when rootless) to ask for a scope */
  const char *hint;    /* why limits are not available and how to fix it */
};

void rcr_cgroup_probe (struct rcr_cgroup_probe *out);
void rcr_cgroup_probe_clear (struct rcr_cgroup_probe *p);

/* True when the probe says memory limits can be enforced. */
bool rcr_cgroup_has_controller (const struct rcr_cgroup_probe *p, const char *name);

/* Validates a --cgroup-manager value ("systemd" or "cgroupfs"). */
int rcr_cgroup_manager_validate (const char *name, rcr_error_t *err);

#endif
