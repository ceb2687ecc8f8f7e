/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/spawn.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALED_MARK "_RCR_SEALED_EXE"

extern char **environ;

/* Signals `rcr exec` passes on to the command, as podman's sig-proxy does: from rcr to
   the process inside the namespaces, and from it to the command.  SIGWINCH resizes the
   terminal instead. */
static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGALRM, SIGWINCH };
static volatile pid_t forward_to;
static volatile int forward_winsize_to = -1;

static void
forward_signal (int sig)
{
  int saved = errno;
  if (sig == SIGWINCH)
    {
      struct winsize ws;
      if (forward_winsize_to >= 0 && ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl (forward_winsize_to, TIOCSWINSZ, &ws);
    }
  else if (forward_to > 0)
    kill (forward_to, sig);
  errno = saved;
}

static void
forwarding_mask (sigset_t *set)
{
  sigemptyset (set);
  for (size_t i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaddset (set, forwarded[i]);
}

/* with the signals blocked: from now on they go to PID */
static void
forward_signals_to (pid_t pid)
{
  struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
  sigemptyset (&sa.sa_mask);
  forward_to = pid;
  for (size_t i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    {
      struct sigaction cur;
      /* what the user ignores (nohup) stays ignored, here and in the command */
      if (sigaction (forwarded[i], NULL, &cur) == 0 && cur.sa_handler == SIG_IGN)
        continue;
      sigaction (forwarded[i], &sa, NULL);
    }
}

int
rcr_reexec_sealed (char **argv, rcr_error_t *err)
{
  cleanup_close int exe = -1;
  int mfd;
  struct stat st;
  off_t off = 0;

  if (getenv (SEALED_MARK))
    {
      /* trust the mark only when /proc/self/exe really is a write-sealed memfd */
      cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
      int seals = self >= 0 ? fcntl (self, F_GET_SEALS) : -1;
      unsetenv (SEALED_MARK);
      if (seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SEAL)) == (F_SEAL_WRITE | F_SEAL_SEAL))
        return 0;
    }
  exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0 || fstat (exe, &st) < 0)
    return rcr_make_error (err, errno, "open /proc/self/exe");
  /* kernels with vm.memfd_noexec need MFD_EXEC; older ones refuse the flag */
  mfd = memfd_create ("rcr", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("rcr", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return rcr_make_error (err, errno, "memfd_create");
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, exe, &off, (size_t)(st.st_size - off));
      if (n <= 0)
        {
          int r = rcr_make_error (err, n < 0 ? errno : EIO, "copy rcr into a sealed memfd");
          close (mfd);
          return r;
        }
    }
  if (fcntl (mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    {
      int r = rcr_make_error (err, errno, "seal the memfd");
      close (mfd);
      return r;
    }
  setenv (SEALED_MARK, "1", 1);
  fexecve (mfd, argv, environ);
  {
    int r = rcr_make_error (err, errno, "re-execute rcr from a sealed memfd");
    unsetenv (SEALED_MARK);
    close (mfd);
    return r;
  }
}

static int
open_ns (pid_t pid, const char *ns, int *fd, rcr_error_t *err)
{
  char path[64];
  snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int)pid, ns);
  *fd = open (path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return rcr_make_error (err, errno, "open %s", path);
  return 0;
}

/* Sends "CODE MESSAGE" (CODE: the exit code it means, 125/126/127) and exits with it. */
static void __attribute__ ((noreturn)) fail_to (int fd, rcr_error_t err, int code)
{
  char buf[4096];
  int n = snprintf (buf, sizeof (buf), "%d %s", code, err ? err->msg : "exec failed");
  (void)!write (fd, buf, (size_t)(n < (int)sizeof (buf) ? n : (int)sizeof (buf) - 1));
  _exit (code);
}

/* What the process's limits are, decided on the host before any namespace is joined:
   nothing in the container's files may choose its filter or capabilities. */
struct prepared
{
  uint64_t caps;
  uint64_t user_caps;
  void *bpf;
  size_t bpf_len;
  struct rcr_seccomp *filter;
  struct rcr_ulimit *ulimits;
  size_t n_ulimits;
};

static int
prepare (const struct rcr_context *ctx, struct rcr_container *c, const struct rcr_exec_opts *o, struct prepared *p,
         rcr_error_t *err)
{
  cleanup_strv char **cap_add = NULL, **cap_drop = NULL;
  bool privileged = o->privileged || rcr_json_get_bool (c->config, "privileged", false);
  const char *seccomp = rcr_json_get_string (c->config, "seccomp", NULL);
  json_object *a = rcr_json_get_array (c->config, "capAdd"), *d = rcr_json_get_array (c->config, "capDrop");
  json_object *ul = rcr_json_get_array (c->config, "ulimits");

  memset (p, 0, sizeof (*p));
  cap_add = rcr_xmalloc0 (((a ? json_object_array_length (a) : 0) + 1) * sizeof (char *));
  cap_drop = rcr_xmalloc0 (((d ? json_object_array_length (d) : 0) + 1) * sizeof (char *));
  for (size_t i = 0; a && i < json_object_array_length (a); i++)
    cap_add[i] = rcr_xstrdup (json_object_get_string (json_object_array_get_idx (a, i)));
  for (size_t i = 0; d && i < json_object_array_length (d); i++)
    cap_drop[i] = rcr_xstrdup (json_object_get_string (json_object_array_get_idx (d, i)));
  if (rcr_caps_compute (privileged ? rcr_caps_all () : rcr_caps_default (), cap_add, cap_drop, &p->caps, err) < 0)
    return -1;
  /* podman exec: a user other than root gets the container's --cap-add list only when it
     is the container's own --user, as written */
  if ((o->user == NULL || strcmp (o->user, rcr_json_get_string (c->config, "user", "")) == 0)
      && rcr_caps_user (cap_add, &p->user_caps, err) < 0)
    return -1;
  if (!privileged && seccomp == NULL)
    {
      cleanup_free char *cache = rcr_strdup_printf ("%s/seccomp", ctx->paths.runroot);
      if (rcr_seccomp_cached_bpf (cache, p->caps, &p->bpf, &p->bpf_len, err) < 0)
        return -1;
    }
  else if (!privileged && strcmp (seccomp, "unconfined") != 0
           && rcr_seccomp_from_file (seccomp, p->caps, &p->filter, err) < 0)
    return -1;
  p->ulimits = rcr_xmalloc0 (((ul ? json_object_array_length (ul) : 0) + 1) * sizeof (*p->ulimits));
  for (size_t i = 0; ul && i < json_object_array_length (ul); i++)
    if (rcr_ulimit_parse (json_object_get_string (json_object_array_get_idx (ul, i)), &p->ulimits[p->n_ulimits++], err)
        < 0)
      return -1;
  return 0;
}

static void
prepared_clear (struct prepared *p)
{
  free (p->bpf);
  rcr_seccomp_free (p->filter);
  free (p->ulimits);
  memset (p, 0, sizeof (*p));
}

/* The process inside: identity, limits, filter, exec (in the container's pid namespace). */
static void __attribute__ ((noreturn))
exec_inside (struct rcr_container *c, const struct rcr_exec_opts *o, const struct prepared *p, int errfd, int ptyfd)
{
  rcr_error_t err = NULL;
  struct rcr_user user = { 0 };
  cleanup_strv char **env = NULL;
  size_t n_env = 0;
  const char *cwd = o->cwd ? o->cwd : rcr_json_get_string (c->config, "workdir", "/");
  json_object *cenv = rcr_json_get_array (c->config, "env");

  {
    sigset_t none;
    /* the command starts with the dispositions it would have outside rcr: ignored stays
       ignored, forwarded is default again */
    for (size_t i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
      {
        struct sigaction cur;
        if (sigaction (forwarded[i], NULL, &cur) == 0 && cur.sa_handler == forward_signal)
          signal (forwarded[i], SIG_DFL);
      }
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
  }
  if (ptyfd >= 0)
    {
      if (setsid () < 0 || ioctl (ptyfd, TIOCSCTTY, 0) < 0)
        {
          rcr_make_error (&err, errno, "make the terminal the controlling one");
          fail_to (errfd, err, 125);
        }
      for (int fd = 0; fd < 3; fd++)
        dup2 (ptyfd, fd);
      if (ptyfd > 2)
        close (ptyfd);
    }
  else if (!o->interactive)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0)
        dup2 (null, 0);
    }

  {
    cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rcr_user_resolve (root, o->user ? o->user : rcr_json_get_string (c->config, "user", ""), &user, &err) < 0)
      fail_to (errfd, err, 125);
    if (rcr_json_get_int64 (c->config, "keepIdGid", -1) >= 0)
      rcr_user_add_group (&user, (gid_t)rcr_json_get_int64 (c->config, "keepIdGid", -1));
  }
  env = rcr_xmalloc0 (sizeof (char *));
  for (size_t i = 0; cenv && i < json_object_array_length (cenv); i++)
    rcr_env_set (&env, &n_env, json_object_get_string (json_object_array_get_idx (cenv, i)));
  for (char **e = o->env; e && *e; e++)
    rcr_env_set (&env, &n_env, *e);
  if (rcr_env_get (env, "HOME") == NULL)
    {
      cleanup_free char *h = rcr_strdup_printf ("HOME=%s", user.home ? user.home : "/");
      rcr_env_set (&env, &n_env, h);
    }
  if (rcr_env_get (env, "HOSTNAME") == NULL)
    {
      cleanup_free char *h = rcr_strdup_printf ("HOSTNAME=%s", rcr_json_get_string (c->config, "hostname", ""));
      rcr_env_set (&env, &n_env, h);
    }
  if (chdir (cwd) < 0)
    {
      rcr_make_error (&err, errno, "chdir \"%s\"", cwd);
      fail_to (errfd, err, 125);
    }

  for (size_t i = 0; i < p->n_ulimits; i++)
    if (setrlimit (p->ulimits[i].resource, &p->ulimits[i].lim) < 0)
      {
        rcr_make_error (&err, errno, "set ulimit %s", rcr_ulimit_name (p->ulimits[i].resource));
        fail_to (errfd, err, 125);
      }
  /* loaded while we are root of the namespace: without no_new_privs that needs CAP_SYS_ADMIN */
  if (p->bpf && rcr_seccomp_load_bpf (p->bpf, p->bpf_len, &err) < 0)
    fail_to (errfd, err, 125);
  if (p->filter && rcr_seccomp_load (p->filter, &err) < 0)
    fail_to (errfd, err, 125);
  if (prctl (PR_SET_KEEPCAPS, 1) < 0 || (setgroups (user.n_groups, user.groups) < 0 && errno != EPERM)
      || setresgid (user.gid, user.gid, user.gid) < 0 || setresuid (user.uid, user.uid, user.uid) < 0)
    {
      rcr_make_error (&err, errno, "become user %u:%u", (unsigned)user.uid, (unsigned)user.gid);
      fail_to (errfd, err, 125);
    }
  if (rcr_caps_apply (p->caps, p->user_caps, user.uid == 0, &err) < 0)
    fail_to (errfd, err, 125);
  if (rcr_json_get_bool (c->config, "noNewPrivileges", false) && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      rcr_make_error (&err, errno, "set no_new_privs");
      fail_to (errfd, err, 125);
    }
  if (syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3; fd < 1024; fd++)
      if (fd != errfd)
        close (fd);

  {
    const char *path = rcr_env_get (env, "PATH");
    char buf[4096];
    int saved = ENOENT;
    if (strchr (o->argv[0], '/'))
      {
        execve (o->argv[0], o->argv, env);
        saved = errno;
      }
    else
      for (const char *dir = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"; *dir;)
        {
          const char *e = strchrnul (dir, ':');
          int n = snprintf (buf, sizeof (buf), "%.*s/%s", (int)(e - dir), dir, o->argv[0]);
          if (n > 0 && (size_t)n < sizeof (buf))
            {
              execve (buf, o->argv, env);
              if (errno == EACCES)
                saved = EACCES;
            }
          dir = *e ? e + 1 : e;
        }
    if (saved == ENOENT)
      rcr_make_error (&err, 0, "%s: executable file not found in $PATH", o->argv[0]);
    else
      rcr_make_error (&err, saved, "exec \"%s\"", o->argv[0]);
    err->status = saved == ENOENT ? RCR_SPAWN_NOT_FOUND : RCR_SPAWN_CANNOT_INVOKE;
    fail_to (errfd, err, saved == ENOENT ? 127 : 126);
  }
}

static void
relay_pty (int master, bool interactive)
{
  struct termios saved, raw;
  bool restore = false;
  char buf[65536];

  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      struct winsize ws;
      raw = saved;
      cfmakeraw (&raw);
      restore = tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0;
      if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl (master, TIOCSWINSZ, &ws);
    }
  for (;;)
    {
      /* stdin only with -i, and only until it ends */
      struct pollfd p[2]
          = { { .fd = master, .events = POLLIN }, { .fd = interactive ? STDIN_FILENO : -1, .events = POLLIN } };
      ssize_t n;
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          n = read (master, buf, sizeof (buf));
          if (n <= 0)
            break;
          (void)!write (STDOUT_FILENO, buf, (size_t)n);
        }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
        {
          n = read (STDIN_FILENO, buf, sizeof (buf));
          if (n > 0)
            (void)!write (master, buf, (size_t)n);
          else
            interactive = false;
        }
    }
  if (restore)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
}

int
rcr_container_exec (const struct rcr_context *ctx, struct rcr_container *c, const struct rcr_exec_opts *o,
                    int *exit_code, rcr_error_t *err)
{
  pid_t init = c->state.pid, child;
  int errp[2], master = -1, status;
  sigset_t fwd_set, old_set;
  struct prepared prep = { 0 };
  char buf[4096];
  ssize_t n;

  *exit_code = 0;
  if (o->tty && o->detach)
    return rcr_make_error (err, 0, "exec -d with -t is not supported: run it attached, or without -t");
  if (c->state.status != RCR_STATUS_RUNNING || !rcr_pid_alive (init, c->state.pid_start_time))
    return rcr_make_error (err, 0, "can only create exec sessions on running containers: container state improper");
  if (o->argv == NULL || o->argv[0] == NULL)
    return rcr_make_error (err, 0, "exec requires a command");
  /* filter, capabilities and limits are settled here, on the host: nothing the container
     holds may choose them */
  if (prepare (ctx, c, o, &prep, err) < 0)
    {
      prepared_clear (&prep);
      return -1;
    }
  if (pipe2 (errp, O_CLOEXEC) < 0)
    {
      prepared_clear (&prep);
      return rcr_make_error (err, errno, "pipe");
    }
  /* blocked across the forks: a signal waits until there is a process to pass it to */
  forwarding_mask (&fwd_set);
  sigprocmask (SIG_BLOCK, &fwd_set, &old_set);
  fflush (NULL);
  child = fork ();
  if (child < 0)
    {
      sigprocmask (SIG_SETMASK, &old_set, NULL);
      prepared_clear (&prep);
      return rcr_make_error (err, errno, "fork");
    }
  if (child == 0)
    {
      rcr_error_t cerr = NULL;
      static const struct
      {
        const char *name;
        int type;
      } order[] = { { "mnt", CLONE_NEWNS },  { "uts", CLONE_NEWUTS },       { "ipc", CLONE_NEWIPC },
                    { "net", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID } };
      pid_t inner;
      int slave = -1;

      close (errp[0]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      int fds[6] = { -1, -1, -1, -1, -1, -1 }, userfd = -1;
      bool host_net = strcmp (rcr_json_get_string (c->config, "network", "none"), "host") == 0;

      /* every namespace is opened before the first is joined: inside the mount namespace
         the host's /proc/PID is not there any more */
      if (ctx->paths.rootless && open_ns (init, "user", &userfd, &cerr) < 0)
        fail_to (errp[1], cerr, 125);
      for (size_t i = 0; i < sizeof (order) / sizeof (order[0]); i++)
        if (!(order[i].type == CLONE_NEWNET && host_net) && open_ns (init, order[i].name, &fds[i], &cerr) < 0)
          fail_to (errp[1], cerr, 125);
      /* the user namespace first: it owns every other one */
      if (userfd >= 0 && setns (userfd, CLONE_NEWUSER) < 0)
        {
          rcr_make_error (&cerr, errno, "join the container's user namespace");
          fail_to (errp[1], cerr, 125);
        }
      for (size_t i = 0; i < sizeof (order) / sizeof (order[0]); i++)
        if (fds[i] >= 0 && setns (fds[i], order[i].type) < 0)
          {
            rcr_make_error (&cerr, errno, "join the container's %s namespace", order[i].name);
            fail_to (errp[1], cerr, 125);
          }
      if (ctx->paths.rootless && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
        {
          rcr_make_error (&cerr, errno, "become root in the container's user namespace");
          fail_to (errp[1], cerr, 125);
        }
      /* joining the mount namespace made its (pivoted) root ours */
      if (chdir ("/") < 0)
        {
          rcr_make_error (&cerr, errno, "enter the container's root");
          fail_to (errp[1], cerr, 125);
        }
      if (o->tty)
        {
          char name[64];
          int m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
          if (m < 0 || grantpt (m) < 0 || unlockpt (m) < 0 || ptsname_r (m, name, sizeof (name)) != 0
              || (slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
            {
              rcr_make_error (&cerr, errno, "allocate a pseudo-terminal in the container");
              fail_to (errp[1], cerr, 125);
            }
          /* hand the master back through a socket: the parent is outside every namespace */
          master = m;
        }
      /* setns(pid) takes effect for children only */
      inner = fork ();
      if (inner < 0)
        {
          rcr_make_error (&cerr, errno, "fork into the container's pid namespace");
          fail_to (errp[1], cerr, 125);
        }
      if (inner == 0)
        {
          if (master >= 0)
            close (master);
          exec_inside (c, o, &prep, errp[1], slave);
        }
      close (errp[1]);
      if (slave >= 0)
        close (slave);
      /* detached: nothing of rcr stays behind (the process is re-parented on the host) */
      if (o->detach)
        _exit (0);
      forward_winsize_to = master;
      forward_signals_to (inner);
      sigprocmask (SIG_SETMASK, &old_set, NULL);
      if (master >= 0)
        relay_pty (master, o->interactive);
      while (waitpid (inner, &status, 0) < 0 && errno == EINTR)
        ;
      _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
    }
  close (errp[1]);
  prepared_clear (&prep);
  if (!o->detach)
    forward_signals_to (child);
  sigprocmask (SIG_SETMASK, &old_set, NULL);
  if (o->detach)
    {
      /* wait only for the command to start: EOF on the pipe means exec happened */
      n = read (errp[0], buf, sizeof (buf) - 1);
      close (errp[0]);
      while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
        ;
      if (n > 0)
        goto failed;
      return 0;
    }
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      {
        forward_to = 0;
        close (errp[0]);
        return rcr_make_error (err, errno, "waitpid");
      }
  /* reaped: its pid may be anybody's from now on */
  forward_to = 0;
  n = read (errp[0], buf, sizeof (buf) - 1);
  close (errp[0]);
  if (n > 0)
    goto failed;
  *exit_code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  return 0;

failed:
  {
    int code = 125, r;
    const char *msg;
    buf[n] = '\0';
    sscanf (buf, "%d", &code);
    msg = strchr (buf, ' ');
    r = rcr_make_error (err, 0, "%s", msg ? msg + 1 : buf);
    (*err)->status = code == 127 ? RCR_SPAWN_NOT_FOUND : code == 126 ? RCR_SPAWN_CANNOT_INVOKE : 0;
    return r;
  }
}
