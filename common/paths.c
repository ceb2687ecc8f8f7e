/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "paths.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static char *
absolute_or_null (const char *env)
{
  const char *v = getenv (env);
  /* The XDG spec says relative values are invalid and must be ignored. */
  return (v && v[0] == '/') ? rcr_xstrdup (v) : NULL;
}

int
rcr_paths_init (struct rcr_paths *p, const char *root, const char *runroot, rcr_error_t *err)
{
  cleanup_free char *pw_home = NULL;
  bool known;

  memset (p, 0, sizeof (*p));
  p->uid = geteuid ();
  p->gid = getegid ();
  p->rootless = p->uid != 0;
  known = rcr_user_lookup (p->uid, &p->user, &pw_home) == 0;
  if (!known)
    p->user = rcr_strdup_printf ("%u", (unsigned)p->uid);
  p->home = absolute_or_null ("HOME");
  if (p->home == NULL && known && pw_home[0] == '/')
    p->home = steal_pointer (&pw_home);

  if (root)
    p->root = rcr_xstrdup (root);
  else if (!p->rootless)
    p->root = rcr_xstrdup ("/var/lib/rcr");
  else
    {
      cleanup_free char *data = absolute_or_null ("XDG_DATA_HOME");
      if (data)
        p->root = rcr_strdup_printf ("%s/rcr", data);
      else if (p->home)
        p->root = rcr_strdup_printf ("%s/.local/share/rcr", p->home);
      else
        return rcr_make_error (err, 0, "cannot find a storage root: set HOME or XDG_DATA_HOME, or pass --root");
    }

  if (runroot)
    p->runroot = rcr_xstrdup (runroot);
  else if (!p->rootless)
    p->runroot = rcr_xstrdup ("/run/rcr");
  else
    {
      cleanup_free char *rt = absolute_or_null ("XDG_RUNTIME_DIR");
      struct stat st;
      /* Only a runtime dir that really is ours: a stale variable from su/sudo points at
         somebody else's directory. */
      if (rt && stat (rt, &st) == 0 && st.st_uid == p->uid && S_ISDIR (st.st_mode))
        p->runroot = rcr_strdup_printf ("%s/rcr", rt);
      else
        p->runroot = rcr_strdup_printf ("/tmp/rcr-%u", (unsigned)p->uid);
    }
  return 0;
}

void
rcr_paths_clear (struct rcr_paths *p)
{
  free (p->root);
  free (p->runroot);
  free (p->user);
  free (p->home);
  memset (p, 0, sizeof (*p));
}

static int
ensure_private_dir (const char *path, uid_t uid, rcr_error_t *err)
{
  struct stat st;
  if (rcr_mkdir_p (path, 0700, err) < 0)
    return -1;
  if (lstat (path, &st) < 0)
    return rcr_make_error (err, errno, "stat \"%s\"", path);
  if (!S_ISDIR (st.st_mode))
    return rcr_make_error (err, ENOTDIR, "\"%s\" is not a directory", path);
  if (st.st_uid != uid)
    return rcr_make_error (err, EPERM, "\"%s\" belongs to uid %u, not to you (uid %u); pass another --root/--runroot",
                           path, (unsigned)st.st_uid, (unsigned)uid);
  return 0;
}

int
rcr_paths_ensure (const struct rcr_paths *p, rcr_error_t *err)
{
  if (ensure_private_dir (p->root, p->uid, err) < 0)
    return -1;
  return ensure_private_dir (p->runroot, p->uid, err);
}
