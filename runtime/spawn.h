/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_SPAWN_H
#define RCR_RUNTIME_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime/fuse.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "userns/userns.h"

/* One mount of the container: a bind (-v HOST:CTR, named volumes, /etc/hosts) or a
   tmpfs (--tmpfs). */
struct rcr_mount_spec
{
  char *source;  /* host path for binds; NULL for tmpfs */
  char *dest;    /* path in the container */
  char *options; /* tmpfs options ("size=64m,mode=1777"), NULL for binds */
  bool readonly;
  bool tmpfs;
  bool create_file; /* the destination is a file (hosts, resolv.conf, hostname) */
};

/* Everything the container's first process needs, fixed before clone. */
struct rcr_spawn_config
{
  /* rootfs: overlay of the image layers (bottom first) with upper/work, mounted on
     rootfs_dir inside the container's own mount namespace */
  char **layers;
  size_t n_layers;
  const char *upper;
  const char *work;
  const char *rootfs_dir;
  const char *vfs_root;                  /* the vfs driver: a copied tree bound as the root instead of overlay */
  const struct rcr_fuse_overlayfs *fuse; /* the fuse-overlayfs driver instead of overlay */
  bool read_only;
  bool volatile_upper; /* overlay's "volatile": an upper layer that is never synced (--rm) */
  bool privileged;     /* no masked or read-only paths */

  /* process */
  char **argv;
  char **env;
  const char *cwd;
  const char *user; /* podman's --user forms; "" = root */
  const char *hostname;
  bool tty;
  bool init; /* a reaper as pid 1 that forwards signals */
  uint64_t caps;
  uint64_t user_caps; /* what a user other than root gets (rcr_caps_user) */
  bool no_new_privs;
  struct rcr_seccomp *seccomp_filter; /* a --security-opt profile, built on the host before clone */
  bool no_seccomp;                    /* seccomp=unconfined or --privileged */
  const void *seccomp_bpf;            /* the default profile, compiled in advance (may be NULL) */
  size_t seccomp_bpf_len;
  struct rcr_ulimit *ulimits;
  size_t n_ulimits;

  bool new_netns; /* false for --network host */
  bool rootless;
  enum rcr_userns_mode userns_mode; /* rootless: the default map or keep-id */
  gid_t keep_id_gid;                /* keep-id: the caller's gid, a supplementary group inside */

  struct rcr_mount_spec *mounts;
  size_t n_mounts;

  /* the container's stdin/stdout/stderr when not a tty (-1 = /dev/null) */
  int stdio[3];

  /* the caller's work that the container needs only once it is mapped (files it will
     bind, say): run while the id-map helpers run, in the parent; a failure fails the spawn */
  int (*meanwhile) (void *arg, rcr_error_t *err);
  void *meanwhile_arg;
};

struct rcr_spawned
{
  pid_t pid;
  int pty_master; /* with tty, the terminal's master side; else -1 */
  pid_t fuse_pid; /* the fuse-overlayfs daemon, our child, or -1: reap it with
                     rcr_fuse_overlayfs_reap once the container is gone */
};

/* Status of a spawn error whose command could not be found (→ exit 127) or run (→ 126).
   Values no errno takes: any other error of a start keeps its errno as its status, and an
   ENOENT of rcr's own (a missing newuidmap, a vanished bind source) means 125. */
#define RCR_SPAWN_NOT_FOUND 0x10127
#define RCR_SPAWN_CANNOT_INVOKE 0x10126

/* Creates the container's namespaces and first process, which is running the user's
   command when this returns 0. An error raised inside the container comes back as
   its message; err->status is RCR_SPAWN_NOT_FOUND / RCR_SPAWN_CANNOT_INVOKE for exec
   failures. */
int rcr_spawn (const struct rcr_spawn_config *c, struct rcr_spawned *out, rcr_error_t *err);

/* Where main's argv strings live: --init's reaper overwrites them, so the container
   never sees the host's command line (paths, flags) as pid 1's. */
void rcr_spawn_set_argv_area (char *start, size_t len);

/* Podman's masked and read-only paths (exported for inspect and tests). */
extern const char *const rcr_masked_paths[];
extern const char *const rcr_readonly_paths[];

#endif
