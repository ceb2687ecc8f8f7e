/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "userns/userns.h"

struct probe_dirs
{
  char *lower, *upper, *work, *merged;
  bool userxattr;
};

static int
try_overlay_mount (void *arg)
{
  struct probe_dirs *d = arg;
  cleanup_free char *opts = rcr_strdup_printf ("lowerdir=%s,upperdir=%s,workdir=%s%s", d->lower, d->upper, d->work,
                                               d->userxattr ? ",userxattr" : "");
  /* The child's mount namespace dies with it, so nothing is ever visible on the host. */
  if (mount ("overlay", d->merged, "overlay", 0, opts) < 0)
    return errno > 0 && errno < 126 ? errno : 125;
  return 0;
}

static void
probe_overlay (const char *runroot, struct rcr_driver_probe *out)
{
  cleanup_free char *base = rcr_strdup_printf ("%s/probe-XXXXXX", runroot);
  struct probe_dirs d = { 0 };
  rcr_error_t err = NULL;
  int status = 0;

  if (rcr_mkdir_p (runroot, 0700, &err) < 0 || mkdtemp (base) == NULL)
    {
      if (err == NULL)
        rcr_make_error (&err, errno, "mkdtemp \"%s\"", base);
      out->overlay_error = rcr_xstrdup (err->msg);
      rcr_error_release (&err);
      return;
    }
  d.lower = rcr_strdup_printf ("%s/lower", base);
  d.upper = rcr_strdup_printf ("%s/upper", base);
  d.work = rcr_strdup_printf ("%s/work", base);
  d.merged = rcr_strdup_printf ("%s/merged", base);
  if (mkdir (d.lower, 0700) < 0 || mkdir (d.upper, 0700) < 0 || mkdir (d.work, 0700) < 0 || mkdir (d.merged, 0700) < 0)
    out->overlay_error = rcr_strdup_printf ("mkdir under \"%s\": %s", base, strerror (errno));
  else
    {
      for (int attempt = 0; attempt < 2; attempt++)
        {
          d.userxattr = attempt == 0;
          if (rcr_userns_run_single (try_overlay_mount, &d, CLONE_NEWNS, &status, &err) < 0)
            {
              out->overlay_error = rcr_xstrdup (err->msg);
              rcr_error_release (&err);
              break;
            }
          if (status == 0)
            {
              out->overlay_usable = true;
              out->overlay_userxattr = d.userxattr;
              break;
            }
          free (out->overlay_error);
          if (status == 126)
            out->overlay_error = rcr_xstrdup ("cannot create a user namespace");
          else
            out->overlay_error = rcr_strdup_printf ("mount overlay%s: %s", d.userxattr ? " (userxattr)" : "",
                                                    status < 126 ? strerror (status) : "failed");
          if (status == 126)
            break;
        }
    }
  if (rcr_rm_rf (base, &err) < 0)
    rcr_error_release (&err);
  free (d.lower);
  free (d.upper);
  free (d.work);
  free (d.merged);
}

#define FUSE_INSTALL_HINT "install it with: sudo apt-get install fuse-overlayfs"
#define FUSE_DEVICE_HINT                                                                                               \
  "/dev/fuse is not usable by you; make it mode 0666 (sudo chmod 0666 /dev/fuse) or load the fuse module (sudo "       \
  "modprobe fuse)"

static void
probe_fuse (struct rcr_driver_probe *out)
{
  cleanup_close int fd = -1;

  out->fuse_overlayfs_path = rcr_find_executable ("fuse-overlayfs");
  fd = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  out->dev_fuse_usable = fd >= 0;
  if (out->fuse_overlayfs_path == NULL)
    out->fuse_hint = FUSE_INSTALL_HINT;
  else if (!out->dev_fuse_usable)
    out->fuse_hint = FUSE_DEVICE_HINT;
}

void
rcr_driver_probe (const char *runroot, struct rcr_driver_probe *out)
{
  memset (out, 0, sizeof (*out));
  probe_overlay (runroot, out);
  if (!out->overlay_usable)
    out->overlay_hint = "kernel overlay in a user namespace needs Linux >= 5.11 and unprivileged user namespaces "
                        "(sysctl kernel.unprivileged_userns_clone=1); rcr falls back to fuse-overlayfs or a copy";

  probe_fuse (out);
}

void
rcr_driver_probe_clear (struct rcr_driver_probe *p)
{
  free (p->overlay_error);
  free (p->fuse_overlayfs_path);
  memset (p, 0, sizeof (*p));
}

const char *
rcr_driver_choose (const struct rcr_driver_probe *p)
{
  if (p->overlay_usable)
    return "overlay";
  if (p->fuse_overlayfs_path && p->dev_fuse_usable)
    return "fuse-overlayfs";
  return "vfs";
}

int
rcr_driver_validate (const char *name, rcr_error_t *err)
{
  static const char *const known[] = { "overlay", "fuse-overlayfs", "vfs" };
  for (size_t i = 0; i < sizeof (known) / sizeof (known[0]); i++)
    if (strcmp (name, known[i]) == 0)
      return 0;
  return rcr_make_error (err, 0, "unknown storage driver \"%s\": use overlay, fuse-overlayfs or vfs", name);
}

int
rcr_driver_check_fuse (char **program, rcr_error_t *err)
{
  cleanup_free char *path = rcr_find_executable ("fuse-overlayfs");
  cleanup_close int fd = -1;

  if (path == NULL)
    return rcr_make_error (err, 0,
                           "the fuse-overlayfs storage driver needs the fuse-overlayfs program, which is "
                           "not in $PATH; " FUSE_INSTALL_HINT ", or use --storage-driver vfs");
  fd = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return rcr_make_error (err, 0,
                           "the fuse-overlayfs storage driver needs /dev/fuse (open: %s); " FUSE_DEVICE_HINT
                           ", or use --storage-driver vfs",
                           strerror (errno));
  *program = steal_pointer (&path);
  return 0;
}

const char *
rcr_driver_pick (const char *runroot)
{
  cleanup_free char *marker = rcr_strdup_printf ("%s/overlay-usable", runroot);
  struct rcr_driver_probe p;
  const char *chosen;

  /* The kernel's answer lasts until reboot (runroot is volatile) and the probe costs a
     user namespace and a mount: only a yes is remembered. Without overlay, what is
     installed may change between two runs, so that is looked at every time. */
  if (access (marker, F_OK) == 0)
    return "overlay";
  rcr_driver_probe (runroot, &p);
  chosen = rcr_driver_choose (&p);
  if (p.overlay_usable)
    {
      int fd = open (marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0)
        close (fd);
    }
  rcr_driver_probe_clear (&p);
  return chosen;
}
