/* SPDX-License-Identifier: Apache-2.0 */
/* The container's first process. One clone makes every namespace; the parent maps the
   ids (newuidmap/newgidmap) and the child then builds the root inside its own mount
   namespace, becomes the container user and execs. Parent and child talk over a
   SEQPACKET socket: the parent says "mapped"; the child may send the pty master, or an
   error (errno + message) that becomes the CLI's message. EOF means exec succeeded. */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/mount.h"
#include "runtime/seccomp.h"
#include "userns/userns.h"

const char *const rcr_masked_paths[] = {
  "/proc/acpi",        "/proc/kcore", "/proc/keys",    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
  "/proc/sched_debug", "/proc/scsi",  "/sys/firmware", "/sys/fs/selinux",     "/sys/dev/block",   NULL,
};

const char *const rcr_readonly_paths[] = {
  "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };

enum
{
  MSG_MAPPED = 'M',
  MSG_ERROR = 'E',
  MSG_PTY = 'T',
  MSG_FUSE = 'F',
};

struct child_msg
{
  char type;
  int errno_;
  char text[4000];
};

/* ---- child side ---- */

static int child_sock = -1;

static void __attribute__ ((noreturn)) child_fail_err (rcr_error_t err, int exit_code)
{
  struct child_msg m = { .type = MSG_ERROR, .errno_ = err ? err->status : 0 };
  snprintf (m.text, sizeof (m.text), "%s", err ? err->msg : "container setup failed");
  (void)!send (child_sock, &m, offsetof (struct child_msg, text) + strlen (m.text) + 1, MSG_NOSIGNAL);
  _exit (exit_code);
}

static void __attribute__ ((noreturn, format (printf, 2, 3))) child_fail (int errno_, const char *fmt, ...)
{
  rcr_error_t err = NULL;
  char buf[2048];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof (buf), fmt, ap);
  va_end (ap);
  rcr_make_error (&err, errno_, "%s", buf);
  child_fail_err (err, 125);
}

/* In the child every failure ends it, with the error sent to the parent. */
#define CHECK(expr)                                                                                                    \
  do                                                                                                                   \
    {                                                                                                                  \
      if ((expr) < 0)                                                                                                  \
        child_fail_err (*err_p, 125);                                                                                  \
    }                                                                                                                  \
  while (0)

static void
attach_new (int rootfd, const char *dest, const char *fstype, const char *source, const char *const *opts,
            unsigned attrs, bool no_symlinks, rcr_error_t *err_p)
{
  cleanup_close int target = -1;
  cleanup_close int m = -1;
  CHECK (rcr_mount_open_in_root (rootfd, dest, true, false, no_symlinks, &target, err_p));
  CHECK (rcr_mount_fs (fstype, source, opts, attrs, &m, err_p));
  CHECK (rcr_mount_attach (m, target, dest, err_p));
}

/* Binds a host file or directory (resolved on the host, before pivot) into the root. */
static void
bind_into (int rootfd, const char *host_path, const char *dest, bool readonly, bool create_file, bool no_symlinks,
           rcr_error_t *err_p)
{
  cleanup_close int target = -1;
  cleanup_close int m = -1;
  CHECK (rcr_mount_clone (AT_FDCWD, host_path, true, readonly, &m, err_p));
  CHECK (rcr_mount_open_in_root (rootfd, dest, true, create_file, no_symlinks, &target, err_p));
  CHECK (rcr_mount_attach (m, target, dest, err_p));
}

static void
setup_dev (int rootfd, bool single_map, rcr_error_t *err_p)
{
  static const char *const dev_opts[] = { "mode=755", "size=65536k", NULL };
  /* gid 5 is the tty group of most images; it is mapped whenever subordinate ids are
     (without them only gid 0 is, and devpts refuses an unmapped gid: podman drops it) */
  static const char *const pts_opts[] = { "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const pts_opts_single[] = { "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  static const char *const shm_opts[] = { "mode=1777", "size=65536k", NULL };
  static const struct
  {
    const char *link, *target;
  } links[] = { { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
                { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },         { "core", "/proc/kcore" } };
  attach_new (rootfd, "/dev", "tmpfs", "tmpfs", dev_opts,
              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_STRICTATIME, true, err_p);
  {
    /* /dev is our fresh tmpfs: plain *at calls on it cannot leave it */
    cleanup_close int d = openat (rootfd, "dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0)
      child_fail (errno, "open /dev in the container");
    /* the kernel refuses device nodes in a user namespace: bind the host's, each onto an
       empty file of the same name */
    for (const char *const *dev = devices; *dev; dev++)
      {
        cleanup_free char *host = rcr_strdup_printf ("/dev/%s", *dev);
        cleanup_close int m = (int)syscall (SYS_open_tree, AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        int f;
        if (m < 0 && errno == ENOENT)
          continue; /* not on this host */
        if (m < 0)
          child_fail (errno, "clone mount of \"%s\"", host);
        f = openat (d, *dev, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0)
          child_fail (errno, "create /dev/%s", *dev);
        close (f);
        if (syscall (SYS_move_mount, m, "", d, *dev, MOVE_MOUNT_F_EMPTY_PATH) < 0)
          child_fail (errno, "mount /dev/%s", *dev);
      }
    for (size_t i = 0; i < sizeof (links) / sizeof (links[0]); i++)
      if (!(strcmp (links[i].link, "core") == 0 && access ("/proc/kcore", F_OK) < 0) /* runc's rule */
          && symlinkat (links[i].target, d, links[i].link) < 0 && errno != EEXIST)
        child_fail (errno, "symlink /dev/%s", links[i].link);
    if ((mkdirat (d, "pts", 0755) < 0 && errno != EEXIST) || (mkdirat (d, "shm", 01777) < 0 && errno != EEXIST)
        || (mkdirat (d, "mqueue", 0755) < 0 && errno != EEXIST))
      child_fail (errno, "create /dev directories");
  }
  attach_new (rootfd, "/dev/pts", "devpts", "devpts", single_map ? pts_opts_single : pts_opts,
              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, true, err_p);
  attach_new (rootfd, "/dev/shm", "tmpfs", "shm", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
              true, err_p);
  attach_new (rootfd, "/dev/mqueue", "mqueue", "mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
              true, err_p);
}

static void
setup_proc_sys (int rootfd, bool own_netns, bool privileged, rcr_error_t *err_p)
{
  cleanup_close int procfd = -1;
  struct statfs sfs;
  /* podman: /sys and the cgroup file system are writable with --privileged */
  unsigned ro = privileged ? 0 : MOUNT_ATTR_RDONLY;

  attach_new (rootfd, "/proc", "proc", "proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true,
              err_p);
  /* Everything written under /proc later must really go to procfs (CVE-2019-16884 class). */
  CHECK (rcr_mount_open_in_root (rootfd, "/proc", false, false, true, &procfd, err_p));
  if (fstatfs (procfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    child_fail (EINVAL, "/proc in the container is not procfs");

  /* sysfs needs a network namespace of our own; without one, the host's */
  {
    rcr_error_t tmp = NULL;
    cleanup_close int target = -1;
    cleanup_close int m = -1;
    CHECK (rcr_mount_open_in_root (rootfd, "/sys", true, false, true, &target, err_p));
    if (!own_netns
        || rcr_mount_fs ("sysfs", "sysfs", NULL, ro | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &m,
                         &tmp)
               < 0)
      {
        rcr_error_release (&tmp);
        CHECK (rcr_mount_clone (AT_FDCWD, "/sys", true, !privileged, &m, err_p));
      }
    CHECK (rcr_mount_attach (m, target, "/sys", err_p));
  }
  /* the container's own cgroup view, when the kernel gives us one */
  {
    rcr_error_t tmp = NULL;
    cleanup_close int target = -1;
    cleanup_close int m = -1;
    if (rcr_mount_open_in_root (rootfd, "/sys/fs/cgroup", false, false, true, &target, &tmp) == 0
        && rcr_mount_fs ("cgroup2", "cgroup2", NULL, ro | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &m,
                         &tmp)
               == 0)
      rcr_mount_attach (m, target, "/sys/fs/cgroup", &tmp);
    rcr_error_release (&tmp);
  }
}

static void
mask_paths (int rootfd, rcr_error_t *err_p)
{
  static const char *const ro_tmpfs[] = { "size=0", NULL };
  /* the first masked directory gets an empty read-only tmpfs; the others get binds of it
     (one file system instance to make and to tear down, not one each) */
  const char *empty_dir = NULL;

  for (const char *const *p = rcr_masked_paths; *p; p++)
    {
      cleanup_close int target = -1;
      cleanup_close int m = -1;
      struct stat st;
      rcr_error_t tmp = NULL;
      if (rcr_mount_open_in_root (rootfd, *p, false, false, true, &target, &tmp) < 0)
        {
          rcr_error_release (&tmp);
          continue; /* not there on this kernel */
        }
      if (fstat (target, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode) && empty_dir)
        {
          cleanup_close int src = -1;
          CHECK (rcr_mount_open_in_root (rootfd, empty_dir, false, false, true, &src, err_p));
          CHECK (rcr_mount_clone (src, "", false, false, &m, err_p));
        }
      else if (S_ISDIR (st.st_mode))
        {
          CHECK (rcr_mount_fs ("tmpfs", "tmpfs", ro_tmpfs, MOUNT_ATTR_RDONLY, &m, err_p));
          empty_dir = *p;
        }
      else
        CHECK (rcr_mount_clone (AT_FDCWD, "/dev/null", false, false, &m, err_p));
      CHECK (rcr_mount_attach (m, target, *p, err_p));
    }
  for (const char *const *p = rcr_readonly_paths; *p; p++)
    {
      cleanup_close int target = -1;
      cleanup_close int m = -1;
      rcr_error_t tmp = NULL;
      if (rcr_mount_open_in_root (rootfd, *p, false, false, true, &target, &tmp) < 0)
        {
          rcr_error_release (&tmp);
          continue;
        }
      CHECK (rcr_mount_clone (target, "", true, true, &m, err_p));
      CHECK (rcr_mount_attach (m, target, *p, err_p));
    }
}

static void
setup_mounts (const struct rcr_spawn_config *c, int rootfd, rcr_error_t *err_p)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct rcr_mount_spec *ms = &c->mounts[i];
      if (ms->tmpfs)
        {
          cleanup_strv char **opts = rcr_xmalloc0 (sizeof (char *));
          size_t n = 0;
          unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
          if (ms->options)
            {
              cleanup_free char *copy = rcr_xstrdup (ms->options);
              char *save = NULL;
              for (char *o = strtok_r (copy, ",", &save); o; o = strtok_r (NULL, ",", &save))
                {
                  if (strcmp (o, "ro") == 0)
                    attrs |= MOUNT_ATTR_RDONLY;
                  else if (strcmp (o, "rw") == 0)
                    ;
                  else if (strcmp (o, "noexec") == 0)
                    attrs |= MOUNT_ATTR_NOEXEC;
                  else if (strcmp (o, "exec") == 0 || strcmp (o, "suid") == 0 || strcmp (o, "dev") == 0)
                    {
                      if (strcmp (o, "suid") == 0)
                        attrs &= ~(unsigned)MOUNT_ATTR_NOSUID;
                      if (strcmp (o, "dev") == 0)
                        attrs &= ~(unsigned)MOUNT_ATTR_NODEV;
                    }
                  else if (strcmp (o, "nosuid") == 0 || strcmp (o, "nodev") == 0)
                    ;
                  else
                    {
                      opts = rcr_xrealloc (opts, (n + 2) * sizeof (char *));
                      opts[n++] = rcr_xstrdup (o);
                      opts[n] = NULL;
                    }
                }
            }
          if (ms->readonly)
            attrs |= MOUNT_ATTR_RDONLY;
          attach_new (rootfd, ms->dest, "tmpfs", "tmpfs", (const char *const *)opts, attrs, false, err_p);
        }
      else
        {
          struct stat st;
          /* a file is bound onto a file: create one when the image lacks the path */
          bool file = ms->create_file || (stat (ms->source, &st) == 0 && !S_ISDIR (st.st_mode));
          /* rcr's own files (hosts, passwd, ...) belong to the container's root; made by the
             user, they would show as the user's own id under keep-id */
          if (ms->create_file && c->userns_mode == RCR_USERNS_KEEP_ID && chown (ms->source, 0, 0) < 0)
            child_fail (errno, "chown \"%s\"", ms->source);
          /* a symlink in the container path resolves inside the root, never out of it */
          bind_into (rootfd, ms->source, ms->dest, ms->readonly, file, false, err_p);
        }
    }
}

/* Hands an fd to the parent (SCM_RIGHTS) with a one-byte message type. */
static void
send_fd (char type, int fd, const char *what)
{
  struct msghdr msg = { 0 };
  struct iovec iov;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct cmsghdr *cm;

  iov.iov_base = &type;
  iov.iov_len = 1;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
  if (sendmsg (child_sock, &msg, MSG_NOSIGNAL) < 0)
    child_fail (errno, "send %s to the monitor", what);
}

static void
setup_pty (rcr_error_t *err_p)
{
  int master, slave;
  char name[64];

  (void)err_p;
  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0 || ptsname_r (master, name, sizeof (name)) != 0)
    child_fail (errno, "allocate a pseudo-terminal");
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    child_fail (errno, "open \"%s\"", name);
  send_fd (MSG_PTY, master, "the terminal");
  close (master);
  if (setsid () < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
    child_fail (errno, "make the terminal the controlling one");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      child_fail (errno, "dup2 terminal");
  if (slave > 2)
    close (slave);
}

/* execvp with the container's PATH, reporting ENOENT (127) or EACCES (126). */
static void __attribute__ ((noreturn)) exec_command (char **argv, char **env)
{
  const char *path = rcr_env_get (env, "PATH");
  int saved = ENOENT;
  char buf[4096];

  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
    child_fail (EINVAL, "no command: the image has no Entrypoint or Cmd; give one after the image name");
  if (strchr (argv[0], '/'))
    {
      execve (argv[0], argv, env);
      saved = errno;
    }
  else
    {
      if (path == NULL)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
      for (const char *p = path; *p;)
        {
          const char *e = strchrnul (p, ':');
          int n = snprintf (buf, sizeof (buf), "%.*s%s%s", (int)(e - p), p, e > p ? "/" : "", argv[0]);
          if (n > 0 && (size_t)n < sizeof (buf))
            {
              execve (buf, argv, env);
              if (errno == EACCES)
                saved = EACCES;
              else if (errno != ENOENT && errno != ENOTDIR)
                saved = errno;
            }
          p = *e ? e + 1 : e;
        }
    }
  {
    rcr_error_t err = NULL;
    if (saved == ENOENT)
      rcr_make_error (&err, 0, "%s: executable file not found in $PATH", argv[0]);
    else
      rcr_make_error (&err, saved, "exec \"%s\"", argv[0]);
    err->status = saved == ENOENT ? RCR_SPAWN_NOT_FOUND : RCR_SPAWN_CANNOT_INVOKE;
    child_fail_err (err, saved == ENOENT ? 127 : 126);
  }
}

/* --init: pid 1 stays ours, reaps every orphan and forwards signals to the command. */
static pid_t init_child;
static char *argv_area;
static size_t argv_area_len;

void
rcr_spawn_set_argv_area (char *start, size_t len)
{
  argv_area = start;
  argv_area_len = len;
}

static void
forward_signal (int sig)
{
  if (init_child > 0)
    kill (init_child, sig);
}

static void __attribute__ ((noreturn)) run_reaper (void)
{
  static const char name[] = "rcr-init";
  if (argv_area && argv_area_len > sizeof (name))
    {
      memset (argv_area, 0, argv_area_len);
      memcpy (argv_area, name, sizeof (name));
    }
  prctl (PR_SET_NAME, name);
  /* CVE-2024-21626 class: the reaper never execs, so close-on-exec closes nothing here;
     every fd beyond the container's stdio must really go, or /proc/1/fd/N would hand the
     container whatever rcr was given (a host directory, the root fd, the signalfd) */
  if (syscall (SYS_close_range, 3, ~0U, 0) < 0)
    for (int fd = 3; fd < 65536; fd++)
      close (fd);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
      signal (sig, forward_signal);
  for (;;)
    {
      int status;
      pid_t p = wait (&status);
      if (p < 0 && errno == ECHILD)
        _exit (0);
      if (p == init_child)
        {
          if (WIFEXITED (status))
            _exit (WEXITSTATUS (status));
          _exit (128 + WTERMSIG (status));
        }
    }
}

static void __attribute__ ((noreturn)) child_main (const struct rcr_spawn_config *c, bool single_map, int sock)
{
  rcr_error_t err = NULL;
  rcr_error_t *err_p = &err;
  cleanup_close int rootfd = -1;
  struct rcr_user user = { 0 };
  struct rcr_seccomp *filter = NULL;
  char **env = NULL;
  size_t n_env = 0;
  char type;

  child_sock = sock;
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* the monitor blocks signals for its signalfd: the container must not inherit that */
  rcr_signals_reset ();
  if (recv (sock, &type, 1, 0) != 1 || type != MSG_MAPPED)
    _exit (125);
  if (c->rootless && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    child_fail (errno, "become root in the user namespace");

  /* nothing below may propagate to the host */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    child_fail (errno, "make the mount namespace private");

  {
    cleanup_close int m = -1;
    cleanup_close int target = open (c->rootfs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (target < 0)
      child_fail (errno, "open \"%s\"", c->rootfs_dir);
    /* keep-id: the upper directory is the container's / and belongs to its root (made by
       the user, it would show as the user's own id inside) */
    if (c->userns_mode == RCR_USERNS_KEEP_ID && chown (c->vfs_root ? c->vfs_root : c->upper, 0, 0) < 0)
      child_fail (errno, "chown the container's root directory");
    if (c->vfs_root)
      CHECK (rcr_mount_clone (AT_FDCWD, c->vfs_root, false, false, &m, err_p));
    else if (c->fuse)
      {
        /* the monitor starts the daemon on this device; until then the mount waits */
        int dev = -1;
        CHECK (rcr_mount_fuse ("fuse-overlayfs", "fuse-overlayfs", &dev, &m, err_p));
        send_fd (MSG_FUSE, dev, "the fuse device");
        close (dev);
      }
    else
      CHECK (rcr_mount_overlay (c->layers, c->n_layers, c->upper, c->work, c->rootless, &m, err_p));
    CHECK (rcr_mount_attach (m, target, "the container's root", err_p));
  }
  rootfd = open (c->rootfs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    child_fail (errno, "open the container's root");

  if (!c->read_only)
    {
      /* podman adds /etc/mtab -> /proc/mounts to a writable root that lacks it, in the
         root itself: before any volume is mounted on /etc */
      cleanup_close int etc = -1;
      rcr_error_t ignored = NULL;
      if (rcr_mount_open_in_root (rootfd, "/etc", false, false, true, &etc, &ignored) == 0 && etc >= 0)
        {
          struct stat st;
          if (fstatat (etc, "mtab", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
            symlinkat ("/proc/mounts", etc, "mtab");
        }
      rcr_error_release (&ignored);
    }
  setup_proc_sys (rootfd, c->new_netns, c->privileged, err_p);
  setup_dev (rootfd, single_map, err_p);
  if (c->privileged)
    CHECK (rcr_mount_host_devices (rootfd, c->rootless, err_p));
  if (c->read_only)
    {
      static const char *const tmp_opts[] = { "mode=1777", NULL };
      static const char *const dirs[] = { "/tmp", "/var/tmp", "/run", NULL };
      /* podman's --read-only-tmpfs default: writable /tmp, /var/tmp and /run, mounted
         before the binds so /run/.containerenv and volumes under them stay visible */
      for (const char *const *d = dirs; *d; d++)
        attach_new (rootfd, *d, "tmpfs", "tmpfs", tmp_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false, err_p);
    }
  setup_mounts (c, rootfd, err_p);
  if (!c->privileged)
    mask_paths (rootfd, err_p);

  if (c->read_only)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      /* the working directory is created while the root can still be written (podman does) */
      if (c->cwd && *c->cwd)
        {
          cleanup_close int cwdfd = -1;
          CHECK (rcr_mount_open_in_root (rootfd, c->cwd, true, false, false, &cwdfd, err_p));
        }
      if (syscall (SYS_mount_setattr, rootfd, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
        child_fail (errno, "make the root read-only");
    }

  if (fchdir (rootfd) < 0 || syscall (SYS_pivot_root, ".", ".") < 0 || umount2 (".", MNT_DETACH) < 0 || chdir ("/") < 0)
    child_fail (errno, "pivot_root into the container");

  if (c->hostname && sethostname (c->hostname, strlen (c->hostname)) < 0)
    child_fail (errno, "sethostname");

  if (c->new_netns)
    {
      /* bring up lo: a namespace starts with it down */
      cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      struct ifreq ifr = { 0 };
      memcpy (ifr.ifr_name, "lo", 3);
      if (s < 0 || ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
        child_fail (errno, "get loopback flags");
      ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
      if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
        child_fail (errno, "bring up loopback");
    }

  /* stdio: the terminal, or what the monitor handed us */
  if (c->tty)
    setup_pty (err_p);
  else
    for (int fd = 0; fd < 3; fd++)
      {
        int src = c->stdio[fd];
        if (src < 0)
          {
            src = open ("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (src < 0)
              child_fail (errno, "open /dev/null");
          }
        if (src != fd && dup2 (src, fd) < 0)
          child_fail (errno, "dup2");
      }

  {
    /* podman raises the open-files soft limit to the hard one; --ulimit may say otherwise */
    struct rlimit nofile;
    if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max)
      {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit (RLIMIT_NOFILE, &nofile);
      }
  }
  for (size_t i = 0; i < c->n_ulimits; i++)
    if (setrlimit (c->ulimits[i].resource, &c->ulimits[i].lim) < 0)
      child_fail (errno, "set ulimit %s", rcr_ulimit_name (c->ulimits[i].resource));

  {
    cleanup_close int newroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK (rcr_user_resolve (newroot, c->user ? c->user : "", &user, err_p));
    if (c->userns_mode == RCR_USERNS_KEEP_ID)
      rcr_user_add_group (&user, c->keep_id_gid);
  }
  for (char **e = c->env; e && *e; e++)
    rcr_env_set (&env, &n_env, *e);
  if (rcr_env_get (env, "HOME") == NULL)
    {
      cleanup_free char *home = rcr_strdup_printf ("HOME=%s", user.home ? user.home : "/");
      rcr_env_set (&env, &n_env, home);
    }
  if (rcr_env_get (env, "HOSTNAME") == NULL && c->hostname)
    {
      cleanup_free char *h = rcr_strdup_printf ("HOSTNAME=%s", c->hostname);
      rcr_env_set (&env, &n_env, h);
    }

  if (c->cwd && *c->cwd)
    {
      cleanup_close int cwdfd = -1;
      cleanup_close int slash = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      /* podman creates a missing working directory */
      CHECK (rcr_mount_open_in_root (slash, c->cwd, true, false, false, &cwdfd, err_p));
      if (fchdir (cwdfd) < 0)
        child_fail (errno, "chdir \"%s\"", c->cwd);
    }

  /* every filter was built on the host before clone: nothing in the container's files
     decides what the filter is */
  filter = c->seccomp_filter;

  /* Without no_new_privs, loading the filter needs CAP_SYS_ADMIN: load it while we are
     still root of the namespace (the default profile allows what follows). */
  if (filter && !c->no_new_privs)
    CHECK (rcr_seccomp_load (filter, err_p));
  if (c->seccomp_bpf && !c->no_new_privs)
    CHECK (rcr_seccomp_load_bpf (c->seccomp_bpf, c->seccomp_bpf_len, err_p));
  if (prctl (PR_SET_KEEPCAPS, 1) < 0)
    child_fail (errno, "keep capabilities");
  if (setgroups (user.n_groups, user.groups) < 0 && errno != EPERM)
    child_fail (errno, "setgroups");
  if (setresgid (user.gid, user.gid, user.gid) < 0)
    child_fail (errno, "setgid %u", (unsigned)user.gid);
  if (setresuid (user.uid, user.uid, user.uid) < 0)
    child_fail (errno, "setuid %u", (unsigned)user.uid);
  CHECK (rcr_caps_apply (c->caps, c->user_caps, user.uid == 0, err_p));
  if (c->no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail (errno, "set no_new_privs");
  if (filter && c->no_new_privs)
    CHECK (rcr_seccomp_load (filter, err_p));
  if (c->seccomp_bpf && c->no_new_privs)
    CHECK (rcr_seccomp_load_bpf (c->seccomp_bpf, c->seccomp_bpf_len, err_p));

  /* only 0, 1 and 2 survive exec (the socket is close-on-exec like everything else) */
  if (syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3; fd < 1024; fd++)
      if (fd != sock)
        close (fd);

  if (c->init)
    {
      init_child = fork ();
      if (init_child < 0)
        child_fail (errno, "fork the init's child");
      if (init_child > 0)
        {
          close (sock);
          run_reaper ();
        }
    }
  exec_command (c->argv, env);
}

/* ---- parent side ---- */

static int
receive (int sock, struct child_msg *m, int *fd)
{
  struct msghdr msg = { 0 };
  struct iovec iov = { .iov_base = m, .iov_len = sizeof (*m) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  ssize_t n;

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return (int)n;
  *fd = -1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR (&msg); cm; cm = CMSG_NXTHDR (&msg, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      memcpy (fd, CMSG_DATA (cm), sizeof (int));
  return (int)n;
}

int
rcr_spawn (const struct rcr_spawn_config *c, struct rcr_spawned *out, rcr_error_t *err)
{
  int sp[2];
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
  char mapped = MSG_MAPPED;
  struct rcr_idmap_plan plan = { 0 };
  cleanup_close int userns_fd = -1;
  pid_t pid;

  out->pid = -1;
  out->pty_master = -1;
  /* everything about the maps is settled before clone: between clone and the helpers'
     start the container is only waiting */
  if (c->rootless && rcr_userns_plan (c->userns_mode, &plan, err) < 0)
    return -1;
  out->fuse_pid = -1;
  if (c->new_netns)
    flags |= CLONE_NEWNET;
  if (c->rootless)
    flags |= CLONE_NEWUSER;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return rcr_make_error (err, errno, "socketpair");
  fflush (NULL);
  pid = (pid_t)syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0)
    {
      int r = rcr_make_error (err, errno, "clone the container's namespaces");
      close (sp[0]);
      close (sp[1]);
      rcr_userns_plan_clear (&plan);
      return r;
    }
  if (pid == 0)
    {
      close (sp[0]);
      child_main (c, plan.single, sp[1]);
    }
  close (sp[1]);

  rcr_debug ("cloned %d", (int)pid);
  if (c->rootless && rcr_userns_apply (&plan, pid, err) < 0)
    goto kill_child;
  rcr_userns_plan_clear (&plan);
  /* the user namespace for the fuse-overlayfs daemon, opened while the child is still
     us: once it is root inside (under keep-id another host uid) it is no longer ours to
     open, and an fd cannot be fooled by a reused pid */
  if (c->fuse && c->rootless)
    {
      cleanup_free char *ns = rcr_strdup_printf ("/proc/%d/ns/user", (int)pid);
      userns_fd = open (ns, O_RDONLY | O_CLOEXEC);
      if (userns_fd < 0)
        {
          rcr_make_error (err, errno, "open \"%s\"", ns);
          goto kill_child;
        }
    }
  rcr_debug ("id maps written");
  if (send (sp[0], &mapped, 1, MSG_NOSIGNAL) != 1)
    {
      rcr_make_error (err, errno, "start the container process");
      goto kill_child;
    }
  for (;;)
    {
      struct child_msg m;
      int fd = -1;
      int n = receive (sp[0], &m, &fd);
      if (n == 0)
        break; /* exec happened: the socket closed on exec */
      if (n < 0)
        {
          rcr_make_error (err, errno, "read from the container process");
          goto kill_child;
        }
      if (m.type == MSG_PTY && fd >= 0)
        out->pty_master = fd;
      else if (m.type == MSG_FUSE && fd >= 0 && c->fuse && out->fuse_pid < 0)
        {
          int r = rcr_fuse_overlayfs_start (c->fuse, userns_fd, fd, &out->fuse_pid, err);
          close (fd);
          if (r < 0)
            goto kill_child;
        }
      else if (m.type == MSG_ERROR)
        {
          m.text[sizeof (m.text) - 1] = '\0';
          rcr_make_error (err, 0, "%s", m.text);
          (*err)->status = m.errno_;
          goto reap;
        }
      else if (fd >= 0)
        close (fd);
    }
  close (sp[0]);
  out->pid = pid;
  return 0;

kill_child:
  rcr_userns_plan_clear (&plan);
  kill (pid, SIGKILL);
reap:
  close (sp[0]);
  if (out->pty_master >= 0)
    close (out->pty_master);
  out->pty_master = -1;
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (out->fuse_pid > 0)
    {
      /* the container is gone, and with it the mount: the daemon ends now */
      int st = rcr_fuse_overlayfs_reap (out->fuse_pid, 5000);
      rcr_fuse_overlayfs_explain (c->fuse, st, err);
      out->fuse_pid = -1;
    }
  return -1;
}
