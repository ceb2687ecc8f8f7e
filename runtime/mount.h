/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_MOUNT_H
#define RCR_RUNTIME_MOUNT_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* Mount helpers over the new mount API. Targets inside a container root are resolved
   with openat2(RESOLVE_IN_ROOT) from rootfd, so a symlink in the image can never lead a
   mount outside the root; a mount lands on the resolved fd, not on a path string. */

/* Opens PATH inside the root (O_PATH); with create, missing directories (or, for the last
   component with create_file, an empty file) are made inside the root. With
   no_symlinks, a symlink anywhere on the way is an error (ELOOP) instead of being
   followed inside the root. */
int rcr_mount_open_in_root (int rootfd, const char *path, bool create, bool create_file, bool no_symlinks, int *out,
                            rcr_error_t *err);

/* A new filesystem instance (fsopen + fsconfig + fsmount): options are "key=value" or
   "flag" strings, attrs MOUNT_ATTR_*; returns the detached mount fd. */
int rcr_mount_fs (const char *fstype, const char *source, const char *const *options, unsigned attrs, int *mfd,
                  rcr_error_t *err);

/* A detached copy of an existing tree (open_tree OPEN_TREE_CLONE); recursive clones the
   submounts; readonly is applied recursively. */
int rcr_mount_clone (int dirfd, const char *path, bool recursive, bool readonly, int *mfd, rcr_error_t *err);

/* Attaches a detached mount onto an O_PATH fd (move_mount). */
int rcr_mount_attach (int mfd, int target_fd, const char *what, rcr_error_t *err);

/* podman's --privileged devices: binds every character and block device under the
   host's /dev (nosuid, noexec) into the container's /dev at the same path, except
   /dev/console, /dev/ptmx, what is under pts, shm, fd and mqueue, paths the container's
   /dev already has and, rootless, /dev/tty*. Access stays what the host grants the user. */
int rcr_mount_host_devices (int rootfd, bool rootless, rcr_error_t *err);

/* Kernel overlay from layer directories (lower[0] is the bottom layer), upper and work,
   with userxattr when rootless; lowerdir+ one layer at a time (no option-page limit), else
   the classic option string with paths relative to a common directory. volatile_upper:
   the upper directory is never synced (podman's choice for --rm containers, whose upper
   layer does not outlive them): no sync of the whole upper file system at unmount. */
int rcr_mount_overlay (char **lower, size_t n_lower, const char *upper, const char *work, bool userxattr,
                       bool volatile_upper, int *mfd, rcr_error_t *err);

/* An empty FUSE filesystem, detached (attach it with rcr_mount_attach): its /dev/fuse fd
   goes to the daemon that serves it, which must run before anything touches the mount
   (until then every access waits). Owned by root of the caller's user namespace, with
   default_permissions and allow_other; shows as "SOURCE / fuse.SUBTYPE". */
int rcr_mount_fuse (const char *source, const char *subtype, int *devfd, int *mfd, rcr_error_t *err);

#endif
