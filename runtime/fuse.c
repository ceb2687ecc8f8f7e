/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* The length of the longest common parent directory of paths, with its trailing '/'. */
static size_t
common_parent_len (const char *const *paths, size_t n)
{
  size_t len = strlen (paths[0]);
  for (size_t i = 1; i < n; i++)
    {
      size_t k = 0;
      while (k < len && paths[i][k] == paths[0][k])
        k++;
      len = k;
    }
  /* a path that is itself the common prefix has no parent inside it */
  for (size_t i = 0; i < n; i++)
    if (strlen (paths[i]) == len)
      len--;
  while (len > 0 && paths[0][len - 1] != '/')
    len--;
  return len;
}

int
rcr_fuse_overlayfs_argv (const struct rcr_fuse_overlayfs *f, int fd, char **dir, char ***argv, rcr_error_t *err)
{
  size_t n = f->n_lower + 2, base, len = 0, pos = 0;
  cleanup_free const char **all = NULL;
  cleanup_free char *lowers = NULL;
  char **v;

  if (f->n_lower == 0)
    return rcr_make_error (err, 0, "fuse-overlayfs: no image layers");
  all = rcr_xmalloc0 (n * sizeof (char *));
  for (size_t i = 0; i < f->n_lower; i++)
    all[i] = f->lower[i];
  all[n - 2] = f->upper;
  all[n - 1] = f->work;
  for (size_t i = 0; i < n; i++)
    if (all[i][0] != '/')
      return rcr_make_error (err, 0, "fuse-overlayfs: \"%s\" is not an absolute path", all[i]);
  base = common_parent_len (all, n);
  for (size_t i = 0; i < n; i++)
    {
      if (strpbrk (all[i] + base, ":,\\") != NULL)
        return rcr_make_error (err, 0, "fuse-overlayfs cannot be given the path \"%s\": it holds ':', ',' or '\\'",
                               all[i]);
      len += strlen (all[i] + base) + 1;
    }
  /* top layer first, as in overlay's lowerdir */
  lowers = rcr_xmalloc0 (len + 1);
  for (size_t i = f->n_lower; i > 0; i--)
    {
      size_t l = strlen (all[i - 1] + base);
      memcpy (lowers + pos, all[i - 1] + base, l);
      pos += l;
      if (i > 1)
        lowers[pos++] = ':';
    }
  v = rcr_xmalloc0 (6 * sizeof (char *));
  v[0] = rcr_xstrdup (f->program);
  v[1] = rcr_xstrdup ("-f"); /* the daemon stays our child: we reap it */
  v[2] = rcr_xstrdup ("-o");
  v[3] = rcr_strdup_printf ("lowerdir=%s,upperdir=%s,workdir=%s", lowers, all[n - 2] + base, all[n - 1] + base);
  v[4] = rcr_strdup_printf ("/dev/fd/%d", fd);
  *dir = base > 1 ? rcr_xstrndup (all[0], base - 1) : rcr_xstrdup ("/");
  *argv = v;
  return 0;
}

/* In the forked child: never returns. Failures go to the log, which the parent reads. */
static void __attribute__ ((noreturn)) run_daemon (const struct rcr_fuse_overlayfs *f, int usernsfd, int devfd)
{
  cleanup_free char *dir = NULL;
  cleanup_strv char **argv = NULL;
  rcr_error_t err = NULL;
  int log, null, fd;

  /* not in the terminal's process group: ^C is for the container, not its root */
  setsid ();
  rcr_signals_reset ();

  log = open (f->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  fd = fcntl (devfd, F_DUPFD_CLOEXEC, 10);
  if (log < 0 || null < 0 || fd < 0)
    _exit (126);
  if (usernsfd >= 0 && (usernsfd = fcntl (usernsfd, F_DUPFD_CLOEXEC, 10)) < 0)
    _exit (126);
  if (dup2 (null, 0) < 0 || dup2 (log, 1) < 0 || dup2 (log, 2) < 0 || dup2 (fd, 3) < 0
      || (usernsfd >= 0 && dup3 (usernsfd, 4, O_CLOEXEC) < 0))
    _exit (126);
  /* only 0-2 and the device reach the daemon (4, the namespace, is close-on-exec) */
  if (syscall (SYS_close_range, usernsfd >= 0 ? 5 : 4, ~0U, 0) < 0)
    for (int i = usernsfd >= 0 ? 5 : 4; i < 1024; i++)
      close (i);

  if (usernsfd >= 0)
    {
      if (setns (4, CLONE_NEWUSER) < 0 || close (4) < 0)
        {
          dprintf (2, "rcr: join the container's user namespace: %s\n", strerror (errno));
          _exit (126);
        }
      /* root of the namespace, as the container's own setup is; groups of the host mean
         nothing there */
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        {
          dprintf (2, "rcr: become root in the container's user namespace: %s\n", strerror (errno));
          _exit (126);
        }
      if (setgroups (0, NULL) < 0 && errno != EPERM)
        {
          dprintf (2, "rcr: setgroups: %s\n", strerror (errno));
          _exit (126);
        }
    }
  if (rcr_fuse_overlayfs_argv (f, 3, &dir, &argv, &err) < 0)
    {
      dprintf (2, "rcr: %s\n", err->msg);
      _exit (126);
    }
  if (chdir (dir) < 0)
    {
      dprintf (2, "rcr: chdir \"%s\": %s\n", dir, strerror (errno));
      _exit (126);
    }
  execv (argv[0], argv);
  dprintf (2, "rcr: exec \"%s\": %s\n", argv[0], strerror (errno));
  _exit (127);
}

int
rcr_fuse_overlayfs_start (const struct rcr_fuse_overlayfs *f, int usernsfd, int devfd, pid_t *pid, rcr_error_t *err)
{
  pid_t p;

  fflush (NULL);
  p = fork ();
  if (p < 0)
    return rcr_make_error (err, errno, "fork fuse-overlayfs");
  if (p == 0)
    run_daemon (f, usernsfd, devfd);
  *pid = p;
  return 0;
}

int
rcr_fuse_overlayfs_reap (pid_t pid, int timeout_ms)
{
  struct timespec tick = { 0, 10 * 1000 * 1000 };
  int status = 0;

  for (int waited = 0;; waited += 10)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        return status;
      if (r < 0 && errno != EINTR)
        return -1; /* reaped already (the monitor reaps every child it sees exit) */
      if (waited >= timeout_ms)
        break;
      nanosleep (&tick, NULL);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

void
rcr_fuse_overlayfs_explain (const struct rcr_fuse_overlayfs *f, int status, rcr_error_t *err)
{
  cleanup_free char *log = NULL;
  rcr_error_t tmp = NULL;
  char *line;
  size_t len = 0;

  /* a daemon that ends well after the container did is no culprit; one that ended
     before it answered leaves the container's setup with ENOTCONN */
  if (status == -1 || (WIFEXITED (status) && WEXITSTATUS (status) == 0 && !(*err && (*err)->status == ENOTCONN)))
    return;
  if (rcr_read_file (f->log_path, 1 << 16, &log, &len, &tmp) < 0)
    rcr_error_release (&tmp);
  /* its last line says why */
  while (log && len > 0 && (log[len - 1] == '\n' || log[len - 1] == ' '))
    log[--len] = '\0';
  line = log ? strrchr (log, '\n') : NULL;
  line = line ? line + 1 : log;
  rcr_error_release (err);
  if (WIFEXITED (status))
    rcr_make_error (err, 0, "fuse-overlayfs exited with status %d before it served the container's root%s%s",
                    WEXITSTATUS (status), line && *line ? ": " : "", line && *line ? line : "");
  else
    rcr_make_error (err, 0, "fuse-overlayfs was killed by signal %d before it served the container's root%s%s",
                    WTERMSIG (status), line && *line ? ": " : "", line && *line ? line : "");
}
