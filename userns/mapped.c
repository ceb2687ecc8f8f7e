/* SPDX-License-Identifier: Apache-2.0 */
/* "Run this in the user namespace": a child unshares, the parent maps it with the setuid
   helpers, the child becomes root inside and runs the work. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "userns/subid.h"
#include "userns/userns.h"

extern char **environ;

#define ERRMSG_MAX 4096

static int
read_full (int fd, void *buf, size_t len)
{
  char *p = buf;
  while (len > 0)
    {
      ssize_t n = read (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t)n;
    }
  return 0;
}

/* One helper's command line: TOOL PID (filled in at apply) then the map's triples. */
static char **
idmap_argv (const char *tool, const struct rcr_id_map *map, size_t n_map)
{
  char **argv = rcr_xmalloc0 ((2 + 3 * n_map + 1) * sizeof (char *));
  size_t k = 0;

  argv[k++] = rcr_xstrdup (tool);
  argv[k++] = NULL; /* the pid, set by rcr_userns_apply */
  for (size_t i = 0; i < n_map; i++)
    {
      argv[k++] = rcr_strdup_printf ("%llu", (unsigned long long)map[i].container_id);
      argv[k++] = rcr_strdup_printf ("%llu", (unsigned long long)map[i].host_id);
      argv[k++] = rcr_strdup_printf ("%llu", (unsigned long long)map[i].size);
    }
  return argv;
}

static void
free_argv (char **argv)
{
  if (argv == NULL)
    return;
  for (size_t i = 2; argv[i]; i++)
    free (argv[i]);
  free (argv[0]);
  free (argv[1]);
  free (argv);
}

static int
spawn_idmap_tool (const char *path, char **argv, pid_t *child, rcr_error_t *err)
{
  errno = posix_spawn (child, path, NULL, NULL, argv, environ);
  if (errno != 0)
    return rcr_make_error (err, errno, "run %s", path);
  return 0;
}

static int
wait_idmap_tool (const char *tool, pid_t child, pid_t pid, rcr_error_t *err)
{
  int status;
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return rcr_make_error (err, errno, "wait for %s", tool);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return rcr_make_error (err, 0,
                           "%s failed for pid %d (check that your /etc/sub%cid ranges are valid and that %s is "
                           "setuid root: sudo apt-get install --reinstall uidmap)",
                           tool, (int)pid, strcmp (tool, "newuidmap") == 0 ? 'u' : 'g', tool);
  return 0;
}

static int
write_proc (pid_t pid, const char *file, const char *text, rcr_error_t *err)
{
  cleanup_free char *path = rcr_strdup_printf ("/proc/%d/%s", (int)pid, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t)strlen (text))
    return rcr_make_error (err, errno, "write \"%s\"", path);
  return 0;
}

int
rcr_userns_apply (struct rcr_idmap_plan *plan, pid_t pid, int (*meanwhile) (void *arg, rcr_error_t *err),
                  void *meanwhile_arg, rcr_error_t *err)
{
  char pidbuf[32];
  pid_t u = -1, g = -1;
  rcr_error_t later = NULL;
  int ret;

  if (plan->single)
    {
      /* the owner of a child user namespace may map its own ids, one each, once
         setgroups is denied */
      char line[64];
      snprintf (line, sizeof (line), "0 %u 1\n", (unsigned)plan->uid);
      if (write_proc (pid, "uid_map", line, err) < 0 || write_proc (pid, "setgroups", "deny", err) < 0)
        return -1;
      snprintf (line, sizeof (line), "0 %u 1\n", (unsigned)plan->gid);
      if (write_proc (pid, "gid_map", line, err) < 0)
        return -1;
      return meanwhile ? meanwhile (meanwhile_arg, err) : 0;
    }
  snprintf (pidbuf, sizeof (pidbuf), "%d", (int)pid);
  plan->uid_argv[1] = pidbuf;
  plan->gid_argv[1] = pidbuf;
  /* both helpers at once: they are independent. The first error wins. */
  ret = spawn_idmap_tool (plan->uid_tool, plan->uid_argv, &u, err);
  if (ret == 0)
    ret = spawn_idmap_tool (plan->gid_tool, plan->gid_argv, &g, err);
  if (ret == 0 && meanwhile && meanwhile (meanwhile_arg, err) < 0)
    ret = -1;
  if (u > 0 && wait_idmap_tool ("newuidmap", u, pid, ret < 0 ? &later : err) < 0)
    ret = -1;
  if (g > 0 && wait_idmap_tool ("newgidmap", g, pid, ret < 0 ? &later : err) < 0)
    ret = -1;
  rcr_error_release (&later);
  plan->uid_argv[1] = NULL;
  plan->gid_argv[1] = NULL;
  return ret;
}

void
rcr_userns_plan_clear (struct rcr_idmap_plan *plan)
{
  free_argv (plan->uid_argv);
  free_argv (plan->gid_argv);
  free (plan->uid_tool);
  free (plan->gid_tool);
  memset (plan, 0, sizeof (*plan));
}

static void
child_fail (int errfd, const char *msg)
{
  size_t len = strnlen (msg, ERRMSG_MAX - 1);
  uint32_t l = (uint32_t)len;
  (void)rcr_write_all (errfd, &l, sizeof (l));
  (void)rcr_write_all (errfd, msg, len);
  _exit (1);
}

static bool warned_single;

int
rcr_userns_plan (enum rcr_userns_mode mode, struct rcr_idmap_plan *plan, rcr_error_t *err)
{
  cleanup_free struct rcr_id_range *uids = NULL;
  cleanup_free struct rcr_id_range *gids = NULL;
  cleanup_free struct rcr_id_map *umap = NULL;
  cleanup_free struct rcr_id_map *gmap = NULL;
  size_t n_uids = 0, n_gids = 0, n_umap, n_gmap;
  uid_t uid = geteuid ();
  cleanup_free char *user = NULL;

  if (rcr_user_lookup (uid, &user, NULL) < 0)
    user = rcr_strdup_printf ("%u", (unsigned)uid);

  memset (plan, 0, sizeof (*plan));
  plan->uid = uid;
  plan->gid = getegid ();
  if (rcr_subid_read ("/etc/subuid", user, uid, &uids, &n_uids, err) < 0
      || rcr_subid_read ("/etc/subgid", user, uid, &gids, &n_gids, err) < 0)
    return -1;
  if (n_uids == 0 || n_gids == 0)
    {
      if (mode == RCR_USERNS_KEEP_ID)
        return rcr_make_error (err, 0,
                               "--userns=keep-id needs subordinate ids, and user '%s' has no range in %s; add one "
                               "with: sudo usermod --add-sub%ss 100000-165535 %s",
                               user, n_uids == 0 ? "/etc/subuid" : "/etc/subgid", n_uids == 0 ? "uid" : "gid", user);
      /* podman's fallback: only the caller is mapped (to root); images owned by
         anybody else cannot be used */
      if (!warned_single)
        rcr_warn ("no subordinate %s range for user '%s' in %s: using a single-id mapping (only root inside the "
                  "container is mapped; files owned by other ids cannot be created). Add one with: sudo usermod "
                  "--add-sub%ss 100000-165535 %s",
                  n_uids == 0 ? "uid" : "gid", user, n_uids == 0 ? "/etc/subuid" : "/etc/subgid",
                  n_uids == 0 ? "uid" : "gid", user);
      warned_single = true;
      plan->single = true;
      return 0;
    }
  plan->uid_tool = rcr_find_executable ("newuidmap");
  plan->gid_tool = rcr_find_executable ("newgidmap");
  if (plan->uid_tool == NULL || plan->gid_tool == NULL)
    {
      const char *missing = plan->uid_tool == NULL ? "newuidmap" : "newgidmap";
      rcr_userns_plan_clear (plan);
      return rcr_make_error (err, ENOENT, "%s not found; install it with: sudo apt-get install uidmap", missing);
    }
  if (mode == RCR_USERNS_KEEP_ID)
    {
      n_umap = rcr_idmap_build_keep_id (uid, uids, n_uids, &umap);
      n_gmap = rcr_idmap_build_keep_id (plan->gid, gids, n_gids, &gmap);
    }
  else
    {
      n_umap = rcr_idmap_build (uid, uids, n_uids, &umap);
      n_gmap = rcr_idmap_build (plan->gid, gids, n_gids, &gmap);
    }
  plan->uid_argv = idmap_argv ("newuidmap", umap, n_umap);
  plan->gid_argv = idmap_argv ("newgidmap", gmap, n_gmap);
  return 0;
}

int
rcr_userns_run_mapped (rcr_userns_fn fn, void *arg, int extra_flags, int *exit_status, rcr_error_t *err)
{
  struct rcr_idmap_plan plan = { 0 };
  int to_parent[2] = { -1, -1 }, to_child[2] = { -1, -1 }, errp[2] = { -1, -1 };
  uid_t uid = geteuid ();
  bool rootless = uid != 0;
  pid_t pid;
  int status, ret = 0;
  char c = 0;
  uint32_t l = 0;

  if (rootless && rcr_userns_plan (RCR_USERNS_DEFAULT, &plan, err) < 0)
    return -1;
  if (pipe2 (to_parent, O_CLOEXEC) < 0 || pipe2 (to_child, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
    {
      ret = rcr_make_error (err, errno, "pipe");
      goto out;
    }
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      ret = rcr_make_error (err, errno, "fork");
      goto out;
    }
  if (pid == 0)
    {
      rcr_error_t cerr = NULL;
      int flags = extra_flags | (rootless ? CLONE_NEWUSER : 0);
      close (to_parent[0]);
      close (to_child[1]);
      close (errp[0]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (flags && unshare (flags) < 0)
        {
          char msg[256];
          snprintf (msg, sizeof (msg), "unshare user namespace: %s (are unprivileged user namespaces enabled?)",
                    strerror (errno));
          child_fail (errp[1], msg);
        }
      if (rcr_write_all (to_parent[1], &c, 1) < 0 || read_full (to_child[0], &c, 1) < 0)
        _exit (1);
      if (rootless
          && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0 || (!plan.single && setgroups (0, NULL) < 0)))
        {
          char msg[256];
          snprintf (msg, sizeof (msg), "become root in the user namespace: %s", strerror (errno));
          child_fail (errp[1], msg);
        }
      if (fn (arg, &cerr) < 0)
        child_fail (errp[1], cerr ? cerr->msg : "failed");
      _exit (0);
    }
  close (to_parent[1]);
  to_parent[1] = -1;
  close (to_child[0]);
  to_child[0] = -1;
  close (errp[1]);
  errp[1] = -1;

  if (read_full (to_parent[0], &c, 1) < 0)
    ret = -1; /* the child failed before unsharing: its message follows */
  else if (rootless && rcr_userns_apply (&plan, pid, NULL, NULL, err) < 0)
    {
      kill (pid, SIGKILL);
      ret = -1;
    }
  else
    (void)rcr_write_all (to_child[1], &c, 1);
  close (to_child[1]);
  to_child[1] = -1;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        if (ret == 0)
          ret = rcr_make_error (err, errno, "waitpid");
        goto out;
      }
  if (ret < 0 && err && *err)
    goto out;
  if (read_full (errp[0], &l, sizeof (l)) == 0 && l > 0 && l < ERRMSG_MAX)
    {
      char msg[ERRMSG_MAX];
      if (read_full (errp[0], msg, l) == 0)
        {
          msg[l] = '\0';
          ret = rcr_make_error (err, 0, "%s", msg);
          goto out;
        }
    }
  if (exit_status)
    *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    ret = rcr_make_error (err, 0, "user namespace child %s %d", WIFEXITED (status) ? "exited with" : "killed by signal",
                          WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));

out:
  for (int i = 0; i < 2; i++)
    {
      rcr_cleanup_closep (&to_parent[i]);
      rcr_cleanup_closep (&to_child[i]);
      rcr_cleanup_closep (&errp[i]);
    }
  rcr_userns_plan_clear (&plan);
  return ret;
}
