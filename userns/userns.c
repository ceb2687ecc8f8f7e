/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

void
rcr_userns_probe_tool (const char *name, struct rcr_idtool *out)
{
  struct stat st;

  memset (out, 0, sizeof (*out));
  out->path = rcr_find_executable (name);
  if (out->path == NULL)
    {
      out->hint = "install it with: sudo apt-get install uidmap";
      return;
    }
  if (stat (out->path, &st) < 0)
    {
      out->hint = "cannot stat it; reinstall with: sudo apt-get install --reinstall uidmap";
      return;
    }
  if ((st.st_mode & S_ISUID) && st.st_uid == 0)
    out->usable = true;
  else if (getxattr (out->path, "security.capability", NULL, 0) > 0)
    out->usable = true;
  else
    out->hint = "it is neither setuid root nor has file capabilities; reinstall with: sudo apt-get install "
                "--reinstall uidmap";
}

void
rcr_idtool_clear (struct rcr_idtool *t)
{
  free (t->path);
  memset (t, 0, sizeof (*t));
}

static int
write_proc_file (const char *path, const char *content)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (content);
  if (fd < 0)
    return -1;
  return write (fd, content, len) == (ssize_t)len ? 0 : -1;
}

static int
map_self (uid_t uid, gid_t gid)
{
  char buf[64];

  /* setgroups must be denied before an unprivileged process may write its gid_map. */
  if (write_proc_file ("/proc/self/setgroups", "deny") < 0)
    return -1;
  snprintf (buf, sizeof (buf), "0 %u 1\n", (unsigned)uid);
  if (write_proc_file ("/proc/self/uid_map", buf) < 0)
    return -1;
  snprintf (buf, sizeof (buf), "0 %u 1\n", (unsigned)gid);
  return write_proc_file ("/proc/self/gid_map", buf);
}

int
rcr_userns_run_single (int (*fn) (void *), void *arg, int extra_flags, int *status, rcr_error_t *err)
{
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  int wstatus;
  pid_t pid;

  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    return rcr_make_error (err, errno, "fork");
  if (pid == 0)
    {
      int flags = extra_flags | (uid != 0 ? CLONE_NEWUSER : 0);
      if (flags && unshare (flags) < 0)
        _exit (126);
      if (uid != 0 && map_self (uid, gid) < 0)
        _exit (126);
      _exit (fn (arg) & 0xff);
    }
  while (waitpid (pid, &wstatus, 0) < 0)
    if (errno != EINTR)
      return rcr_make_error (err, errno, "waitpid");
  if (WIFEXITED (wstatus))
    *status = WEXITSTATUS (wstatus);
  else
    *status = 128 + WTERMSIG (wstatus);
  return 0;
}
