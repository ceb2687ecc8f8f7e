/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_DRIVER_H
#define RCR_STORAGE_DRIVER_H

#include <stdbool.h>

#include "common/error.h"

/* What this host offers for assembling a container's rootfs. */
struct rcr_driver_probe
{
  bool overlay_usable;       /* kernel overlay mounts inside a user namespace */
  bool overlay_userxattr;    /* ... with the userxattr option (Linux >= 5.11) */
  char *overlay_error;       /* why not, when not usable */
  char *fuse_overlayfs_path; /* NULL when not installed */
  bool dev_fuse_usable;
  const char *fuse_hint;
  const char *overlay_hint;
};

/* Really mounts a tiny overlay in a throwaway user+mount namespace; scratch directories
   live under runroot and are removed again. */
void rcr_driver_probe (const char *runroot, struct rcr_driver_probe *out);
void rcr_driver_probe_clear (struct rcr_driver_probe *p);

/* The driver rcr picks when none is forced: "overlay", "fuse-overlayfs" or "vfs". */
const char *rcr_driver_choose (const struct rcr_driver_probe *p);

/* The driver for a new container when none is forced: rcr_driver_choose over a probe,
   with a yes from the overlay probe remembered in runroot until reboot. */
const char *rcr_driver_pick (const char *runroot);

/* Whether the fuse-overlayfs driver can run here: *program is its path; else an error
   that says what to install or change. */
int rcr_driver_check_fuse (char **program, rcr_error_t *err);

/* Validates a --storage-driver value. */
int rcr_driver_validate (const char *name, rcr_error_t *err);

#endif
