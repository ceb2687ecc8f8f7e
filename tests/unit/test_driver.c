/* SPDX-License-Identifier: Apache-2.0 */
/* The storage driver choice and the fuse-overlayfs command line. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/fuse.h"
#include "storage/driver.h"
#include "tap.h"

static void
choose (bool overlay, const char *fuse_path, bool dev_fuse, const char *want)
{
  struct rcr_driver_probe p
      = { .overlay_usable = overlay, .fuse_overlayfs_path = (char *)fuse_path, .dev_fuse_usable = dev_fuse };
  tap_is_str (rcr_driver_choose (&p), want, "overlay %s, fuse-overlayfs %s, /dev/fuse %s: %s", overlay ? "yes" : "no",
              fuse_path ? "installed" : "missing", dev_fuse ? "usable" : "not usable", want);
}

static void
argv_ok (const char *const *lower, size_t n, const char *upper, const char *work, const char *want_dir,
         const char *want_opts)
{
  struct rcr_fuse_overlayfs f = { .program = "/usr/bin/fuse-overlayfs",
                                  .lower = (char **)lower,
                                  .n_lower = n,
                                  .upper = upper,
                                  .work = work,
                                  .log_path = "/dev/null" };
  cleanup_free char *dir = NULL;
  cleanup_strv char **argv = NULL;
  rcr_error_t err = NULL;

  if (rcr_fuse_overlayfs_argv (&f, 3, &dir, &argv, &err) < 0)
    {
      tap_ok (0, "argv for %s: %s", want_opts, err->msg);
      rcr_error_release (&err);
      tap_ok (0, "(skipped)");
      return;
    }
  tap_is_str (dir, want_dir, "starts in %s", want_dir);
  tap_ok (rcr_strv_len (argv) == 5 && strcmp (argv[0], "/usr/bin/fuse-overlayfs") == 0 && strcmp (argv[1], "-f") == 0
              && strcmp (argv[2], "-o") == 0 && strcmp (argv[3], want_opts) == 0 && strcmp (argv[4], "/dev/fd/3") == 0,
          "argv %s %s %s %s %s", argv[0], argv[1], argv[2], argv[3], argv[4]);
}

static void
argv_bad (const char *const *lower, size_t n, const char *upper, const char *work, const char *want)
{
  struct rcr_fuse_overlayfs f = { .program = "fuse-overlayfs",
                                  .lower = (char **)lower,
                                  .n_lower = n,
                                  .upper = upper,
                                  .work = work,
                                  .log_path = "/dev/null" };
  cleanup_free char *dir = NULL;
  cleanup_strv char **argv = NULL;
  rcr_error_t err = NULL;
  int r = rcr_fuse_overlayfs_argv (&f, 3, &dir, &argv, &err);

  tap_ok (r < 0 && err && strstr (err->msg, want) != NULL, "refused: %s", err ? err->msg : "(accepted)");
  rcr_error_release (&err);
}

int
main (void)
{
  choose (true, "/usr/bin/fuse-overlayfs", true, "overlay");
  choose (true, NULL, false, "overlay");
  choose (false, "/usr/bin/fuse-overlayfs", true, "fuse-overlayfs");
  choose (false, "/usr/bin/fuse-overlayfs", false, "vfs");
  choose (false, NULL, true, "vfs");
  choose (false, NULL, false, "vfs");

  {
    /* the store's layout: layers and containers under one root */
    const char *lower[]
        = { "/home/a/.local/share/rcr/storage/layers/aa/diff", "/home/a/.local/share/rcr/storage/layers/bb/diff",
            "/home/a/.local/share/rcr/storage/layers/cc/diff" };
    argv_ok (lower, 3, "/home/a/.local/share/rcr/containers/123/upper", "/home/a/.local/share/rcr/containers/123/work",
             "/home/a/.local/share/rcr",
             "lowerdir=storage/layers/cc/diff:storage/layers/bb/diff:storage/layers/aa/diff,"
             "upperdir=containers/123/upper,workdir=containers/123/work");
  }
  {
    /* ':' and ',' in rcr's own root stay out of the option string */
    const char *lower[] = { "/srv/a:b,c/storage/layers/aa/diff" };
    argv_ok (lower, 1, "/srv/a:b,c/containers/1/upper", "/srv/a:b,c/containers/1/work", "/srv/a:b,c",
             "lowerdir=storage/layers/aa/diff,upperdir=containers/1/upper,workdir=containers/1/work");
  }
  {
    /* a common prefix that is not a whole name is no directory */
    const char *lower[] = { "/data/layer1" };
    argv_ok (lower, 1, "/data/layer1-upper", "/data/layer1-work", "/data",
             "lowerdir=layer1,upperdir=layer1-upper,workdir=layer1-work");
  }
  {
    const char *lower[] = { "/x/lower" };
    argv_ok (lower, 1, "/y/upper", "/z/work", "/", "lowerdir=x/lower,upperdir=y/upper,workdir=z/work");
  }
  {
    const char *lower[] = { "/s/layers/a:b/diff" };
    argv_bad (lower, 1, "/s/c/upper", "/s/c/work", "holds ':'");
  }
  {
    const char *lower[] = { "/s/layers/a/diff" };
    argv_bad (lower, 1, "/s/c,d/upper", "/s/c,d/work", "holds ':'");
    argv_bad (lower, 1, "s/c/upper", "/s/c/work", "not an absolute path");
    argv_bad (lower, 0, "/s/c/upper", "/s/c/work", "no image layers");
  }
  return tap_done ();
}
