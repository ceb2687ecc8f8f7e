/* SPDX-License-Identifier: Apache-2.0 */
/* restart, top, port, pause, unpause */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/monitor.h"

static int
run_restart (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { "time", 't', true, 1 }, { NULL, 0, false, 0 } };
  const char *arg;
  int optind = 1, c, timeout = -1, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        {
          uint64_t v;
          if (rcr_parse_u64 (arg, &v) < 0 || v > 1000000)
            return cmd_usage_error (verb, "invalid --time \"%s\"", arg);
          timeout = (int)v;
          break;
        }
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind >= argc)
    return cmd_usage_error (verb, "`rcr restart` requires at least one container");
  for (int i = optind; i < argc; i++)
    {
      cleanup_container struct rcr_container *ct = NULL;
      struct rcr_start_opts so = { .sig_proxy = true };
      rcr_error_t err = NULL;
      int code;
      if (rcr_container_load (ctx, argv[i], &ct, &err) < 0
          || rcr_container_stop (ctx, ct,
                                 timeout >= 0 ? timeout : (int)rcr_json_get_int64 (ct->config, "stopTimeout", 10), &err)
                 < 0)
        {
          ret = cmd_fail (&err);
          continue;
        }
      /* the stop was recorded by the monitor: take the new state before starting */
      rcr_container_free (ct);
      ct = NULL;
      if (rcr_container_load (ctx, argv[i], &ct, &err) < 0 || rcr_container_start (ctx, ct, &so, &code, &err) < 0)
        {
          ret = cmd_fail (&err);
          continue;
        }
      printf ("%s\n", argv[i]);
    }
  return ret;
}

const struct rcr_verb rcr_verb_restart = {
  .name = "restart",
  .summary = "Restart one or more containers",
  .usage = "  rcr restart [options] CONTAINER [CONTAINER...]\n"
           "\n"
           "Options:\n"
           "  -t, --time int   seconds to wait for the stop before killing (default: the container's)\n",
  .run = run_restart,
};

/* Reads a regular file of the container through its root, symlinks resolved inside it
   and never a FIFO: the container's files must not steer or stall us. */
static int
read_in_root (const char *root, const char *rel, char **out)
{
  struct open_how how
      = { .flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  cleanup_close int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  rcr_error_t err = NULL;
  struct stat st;

  if (rootfd < 0 || (fd = (int)syscall (SYS_openat2, rootfd, rel, &how, sizeof (how))) < 0 || fstat (fd, &st) < 0
      || !S_ISREG (st.st_mode))
    return -1;
  if (rcr_read_fd (fd, rel, 16 << 20, out, NULL, &err) < 0)
    {
      rcr_error_release (&err);
      return -1;
    }
  return 0;
}

/* The same read from inside the container's user namespace: a FUSE root (the
   fuse-overlayfs driver) refuses every process outside it, ours included. */
static int
read_in_root_userns (pid_t init, const char *root, const char *rel, char **out)
{
  char ns[64];
  int p[2], status = 0, r;
  rcr_error_t err = NULL;
  pid_t child;

  snprintf (ns, sizeof (ns), "/proc/%d/ns/user", (int)init);
  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  child = fork ();
  if (child == 0)
    {
      cleanup_free char *data = NULL;
      int fd = open (ns, O_RDONLY | O_CLOEXEC);
      close (p[0]);
      if (fd < 0 || setns (fd, CLONE_NEWUSER) < 0 || read_in_root (root, rel, &data) < 0)
        _exit (1);
      for (const char *d = data, *end = data + strlen (data); d < end;)
        {
          ssize_t w = write (p[1], d, (size_t)(end - d));
          if (w <= 0)
            _exit (1);
          d += w;
        }
      _exit (0);
    }
  close (p[1]);
  if (child < 0)
    {
      close (p[0]);
      return -1;
    }
  r = rcr_read_fd (p[0], rel, 16 << 20, out, NULL, &err);
  close (p[0]);
  rcr_error_release (&err);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (r == 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  free (*out);
  *out = NULL;
  return -1;
}

/* The container's view of a host uid: through its uid_map, then its own /etc/passwd. */
static char *
container_user (pid_t init, uid_t host_uid)
{
  char path[64];
  cleanup_free char *map = NULL;
  cleanup_free char *passwd = NULL;
  rcr_error_t err = NULL;
  long inside = -1;
  char *save = NULL;

  snprintf (path, sizeof (path), "/proc/%d/uid_map", (int)init);
  if (rcr_read_file (path, 1 << 16, &map, NULL, &err) == 0)
    for (char *l = strtok_r (map, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
      {
        unsigned long in, out, count;
        if (sscanf (l, "%lu %lu %lu", &in, &out, &count) == 3 && host_uid >= out && host_uid - out < count)
          inside = (long)(in + (host_uid - out));
      }
  rcr_error_release (&err);
  if (inside < 0)
    return rcr_strdup_printf ("%u", (unsigned)host_uid);
  snprintf (path, sizeof (path), "/proc/%d/root", (int)init);
  if (read_in_root (path, "etc/passwd", &passwd) == 0 || read_in_root_userns (init, path, "etc/passwd", &passwd) == 0)
    {
      save = NULL;
      for (char *l = strtok_r (passwd, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
        {
          char *c1 = strchr (l, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
          if (c2 && atol (c2 + 1) == inside)
            return rcr_xstrndup (l, (size_t)(c1 - l));
        }
    }
  rcr_error_release (&err);
  return rcr_strdup_printf ("%ld", inside);
}

/* The processes whose pid namespace is the container init's. */
static int
run_top (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { NULL, 0, false, 0 } };
  cleanup_container struct rcr_container *ct = NULL;
  char nspath[64], want[128], have[128];
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  rcr_error_t err = NULL;
  struct cmd_table t;
  static const char *const hdr[] = { "USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND", NULL };
  long hz = sysconf (_SC_CLK_TCK);
  double uptime = 0;
  const char *arg;
  int optind = 1, c;
  ssize_t n;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    return c == 'h' ? cmd_print_help (verb) : RCR_EXIT_FAILURE;
  if (argc - optind < 1)
    return cmd_usage_error (verb, "`rcr top` requires a container");
  if (argc - optind > 1)
    return cmd_usage_error (verb, "ps descriptors are not supported; rcr top shows podman's default columns");
  if (rcr_container_load (ctx, argv[optind], &ct, &err) < 0)
    return cmd_fail (&err);
  if (ct->state.status != RCR_STATUS_RUNNING || !rcr_pid_alive (ct->state.pid, ct->state.pid_start_time))
    {
      fprintf (stderr, "Error: top can only be used on running containers: container state improper\n");
      return RCR_EXIT_FAILURE;
    }
  snprintf (nspath, sizeof (nspath), "/proc/%d/ns/pid", (int)ct->state.pid);
  n = readlink (nspath, want, sizeof (want) - 1);
  if (n < 0)
    {
      rcr_make_error (&err, errno, "readlink %s", nspath);
      return cmd_fail (&err);
    }
  want[n] = '\0';
  {
    cleanup_file FILE *f = fopen ("/proc/uptime", "re");
    if (f && fscanf (f, "%lf", &uptime) != 1)
      uptime = 0;
  }
  cmd_table_init (&t, hdr);
  d = opendir ("/proc");
  while (d && (de = readdir (d)) != NULL)
    {
      char path[280], stat[1024], status[4096];
      cleanup_close int sfd = -1;
      char *rp, *nspid, **cells;
      unsigned long long utime = 0, stime = 0, start = 0;
      int ppid = 0, cpid = 0, cppid = 0;
      uid_t uid = 0;
      cleanup_free char *cmdline = NULL;
      size_t cl = 0;
      rcr_error_t tmp = NULL;

      if (de->d_name[0] < '0' || de->d_name[0] > '9')
        continue;
      snprintf (path, sizeof (path), "/proc/%s/ns/pid", de->d_name);
      n = readlink (path, have, sizeof (have) - 1);
      if (n < 0)
        continue;
      have[n] = '\0';
      if (strcmp (have, want) != 0)
        continue;
      snprintf (path, sizeof (path), "/proc/%s/stat", de->d_name);
      sfd = open (path, O_RDONLY | O_CLOEXEC);
      if (sfd < 0 || (n = read (sfd, stat, sizeof (stat) - 1)) <= 0)
        continue;
      stat[n] = '\0';
      rp = strrchr (stat, ')');
      if (rp == NULL
          || sscanf (rp + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu", &ppid,
                     &utime, &stime, &start)
                 != 4)
        continue;
      /* pids as the container sees them: the last NSpid entry */
      {
        cleanup_free char *st = NULL;
        snprintf (path, sizeof (path), "/proc/%s/status", de->d_name);
        if (rcr_read_file (path, sizeof (status), &st, NULL, &tmp) < 0)
          {
            rcr_error_release (&tmp);
            continue;
          }
        nspid = strstr (st, "NSpid:");
        if (nspid)
          {
            char *eol = strchr (nspid, '\n'), *last = NULL;
            if (eol)
              *eol = '\0';
            for (char *p = nspid + 6; (p = strpbrk (p, "0123456789")); p += strspn (p, "0123456789"))
              last = p;
            cpid = last ? atoi (last) : 0;
            if (eol)
              *eol = '\n';
          }
        {
          char *u = strstr (st, "Uid:");
          if (u)
            uid = (uid_t)strtoul (u + 4, NULL, 10);
        }
        cppid = cpid == 1 ? 0 : ppid;
      }
      {
        /* the parent's container pid */
        cleanup_free char *pst = NULL;
        snprintf (path, sizeof (path), "/proc/%d/status", ppid);
        if (cppid && rcr_read_file (path, sizeof (status), &pst, NULL, &tmp) == 0)
          {
            char *p = strstr (pst, "NSpid:"), *eol, *last = NULL;
            if (p && (eol = strchr (p, '\n')))
              {
                *eol = '\0';
                for (char *q = p + 6; (q = strpbrk (q, "0123456789")); q += strspn (q, "0123456789"))
                  last = q;
                cppid = last ? atoi (last) : 0;
              }
          }
        rcr_error_release (&tmp);
      }
      snprintf (path, sizeof (path), "/proc/%s/cmdline", de->d_name);
      if (rcr_read_file (path, 1 << 16, &cmdline, &cl, &tmp) < 0)
        {
          rcr_error_release (&tmp);
          continue;
        }
      for (size_t i = 0; i + 1 < cl; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      while (cl > 0 && (cmdline[cl - 1] == ' ' || cmdline[cl - 1] == '\0'))
        cmdline[--cl] = '\0';
      cells = rcr_xmalloc0 (8 * sizeof (char *));
      cells[0] = container_user (ct->state.pid, uid);
      cells[1] = rcr_strdup_printf ("%d", cpid);
      cells[2] = rcr_strdup_printf ("%d", cppid);
      {
        double elapsed = uptime - (double)start / (double)hz;
        double cpu = elapsed > 0 ? 100.0 * (double)(utime + stime) / (double)hz / elapsed : 0;
        unsigned long long secs = (utime + stime) / (unsigned long long)hz;
        cells[3] = rcr_strdup_printf ("%.3f", cpu);
        cells[4] = rcr_strdup_printf ("%.0fs", elapsed > 0 ? elapsed : 0);
        cells[5] = rcr_xstrdup ("?");
        cells[6] = rcr_strdup_printf ("%02llu:%02llu:%02llu", secs / 3600, secs / 60 % 60, secs % 60);
      }
      cells[7] = rcr_xstrdup (cmdline);
      cmd_table_add (&t, cells);
    }
  cmd_table_print (&t, true);
  cmd_table_clear (&t);
  return 0;
}

const struct rcr_verb rcr_verb_top = {
  .name = "top",
  .summary = "Display the running processes of a container",
  .usage = "  rcr top CONTAINER\n"
           "\n"
           "Lists the processes in the container's pid namespace with podman's default columns;\n"
           "PID and PPID are as the container sees them.\n",
  .run = run_top,
};

static int
run_port (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[]
      = { { "all", 'a', false, 1 }, { "latest", 'l', false, 2 }, { NULL, 0, false, 0 } };
  const char *arg;
  int optind = 1, c;
  bool all = false;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        all = true;
        break;
      case 2:
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (!all && optind >= argc)
    return cmd_usage_error (verb, "`rcr port` requires a container or --all");
  for (int i = optind; i < argc && i < optind + 1; i++)
    {
      cleanup_container struct rcr_container *ct = NULL;
      rcr_error_t err = NULL;
      if (rcr_container_load (ctx, argv[i], &ct, &err) < 0)
        return cmd_fail (&err);
    }
  /* no published ports until slirp networking lands: nothing to list, as podman prints
     for a container without -p */
  return 0;
}

const struct rcr_verb rcr_verb_port = {
  .name = "port",
  .summary = "List port mappings for a container",
  .usage = "  rcr port [options] CONTAINER [PRIVATE_PORT[/PROTO]]\n"
           "\n"
           "rcr publishes no ports yet (-p arrives with slirp networking), so the list is empty.\n",
  .run = run_port,
};

static int
run_pause (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { "all", 'a', false, 1 }, { NULL, 0, false, 0 } };
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    if (c == 'h')
      return cmd_print_help (verb);
    else if (c != 1)
      return RCR_EXIT_FAILURE;
  for (int i = optind; i < argc; i++)
    {
      cleanup_container struct rcr_container *ct = NULL;
      rcr_error_t err = NULL;
      if (rcr_container_load (ctx, argv[i], &ct, &err) < 0)
        return cmd_fail (&err);
    }
  /* freezing needs the container in a cgroup v2 subtree of its own (cgroup.freeze), which
     arrives with resource limits */
  fprintf (stderr,
           "Error: %s needs the container in a cgroup v2 subtree delegated to you (cgroup.freeze); rcr does not "
           "create container cgroups yet (see `rcr info` for this host's cgroups)\n",
           verb->name);
  return RCR_EXIT_FAILURE;
}

const struct rcr_verb rcr_verb_pause = {
  .name = "pause",
  .summary = "Pause all the processes in one or more containers",
  .usage = "  rcr pause CONTAINER [CONTAINER...]\n"
           "\n"
           "Needs a cgroup v2 freezer for the container; rcr does not create container cgroups\n"
           "yet, so this reports an error.\n",
  .run = run_pause,
};

const struct rcr_verb rcr_verb_unpause = {
  .name = "unpause",
  .summary = "Unpause the processes in one or more containers",
  .usage = "  rcr unpause CONTAINER [CONTAINER...]\n"
           "\n"
           "See rcr pause.\n",
  .run = run_pause,
};
