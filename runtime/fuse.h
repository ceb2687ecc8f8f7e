/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_FUSE_H
#define RCR_RUNTIME_FUSE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* The fuse-overlayfs driver. The container's first process mounts an empty FUSE
   filesystem in its own mount namespace (rcr_mount_fuse: never visible on the host) and
   hands its /dev/fuse fd to the monitor, which starts the daemon on that fd
   (fuse-overlayfs accepts /dev/fd/N for a mount made by someone else). The daemon joins
   the container's user namespace, so files keep the image's owners, but stays in rcr's
   mount and pid namespaces: it is no process of the container, and it keeps no reference
   to the container's mount namespace. When the container's last process is gone, the
   namespace and the mount go with it, the kernel aborts the connection and the daemon
   exits. */
struct rcr_fuse_overlayfs
{
  const char *program; /* the fuse-overlayfs binary */
  char **lower;        /* layer directories, bottom first */
  size_t n_lower;
  const char *upper;
  const char *work;
  const char *log_path; /* the daemon's stdout and stderr */
};

/* The daemon's command line, serving /dev/fd/FD: every path relative to *dir (the
   directory the daemon starts in, their longest common parent), which keeps ':' and ','
   in rcr's own directories out of the option string; a relative path that still holds
   one of them (or a '\') is an error. */
int rcr_fuse_overlayfs_argv (const struct rcr_fuse_overlayfs *f, int fd, char **dir, char ***argv, rcr_error_t *err);

/* Starts the daemon on devfd (the caller keeps and closes its own copy): a child of the
   caller in a session of its own, in the user namespace usernsfd names (-1: stay in
   ours), with no fd but 0-2 and the device's. */
int rcr_fuse_overlayfs_start (const struct rcr_fuse_overlayfs *f, int usernsfd, int devfd, pid_t *pid,
                              rcr_error_t *err);

/* Waits up to timeout_ms for the daemon to exit (it does once the container's mount
   namespace is gone), kills it when it has not, and reaps it. Returns its wait status,
   or -1 when something else reaped it first. */
int rcr_fuse_overlayfs_reap (pid_t pid, int timeout_ms);

/* Replaces *err with what the daemon said in its log when it failed (status from
   rcr_fuse_overlayfs_reap) or left without serving (*err is ENOTCONN): the container's
   setup then fails with ENOTCONN, which names the wrong culprit. */
void rcr_fuse_overlayfs_explain (const struct rcr_fuse_overlayfs *f, int status, rcr_error_t *err);

#endif
