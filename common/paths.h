/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_COMMON_PATHS_H
#define RCR_COMMON_PATHS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Where rcr keeps its data; filled once from the global flags and the environment. */
struct rcr_paths
{
  char *root;    /* persistent: $XDG_DATA_HOME/rcr, ~/.local/share/rcr, or /var/lib/rcr as root */
  char *runroot; /* volatile: $XDG_RUNTIME_DIR/rcr, /tmp/rcr-UID, or /run/rcr as root */
  bool rootless;
  uid_t uid;
  gid_t gid;
  char *user; /* login name, or the decimal uid when it has no passwd entry */
  char *home;
};

/* Fills defaults; root/runroot override them when not NULL (the --root/--runroot flags). */
int rcr_paths_init (struct rcr_paths *p, const char *root, const char *runroot, rcr_error_t *err);
void rcr_paths_clear (struct rcr_paths *p);

/* Creates root and runroot (mode 0700) when missing. */
int rcr_paths_ensure (const struct rcr_paths *p, rcr_error_t *err);

#endif
