/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/process.h"
#include "runtime/vfs.h"
#include "storage/driver.h"
#include "userns/userns.h"

#define CONFIG_MAX (4 * 1024 * 1024)

static char *
containers_dir (const struct rcr_context *ctx)
{
  return rcr_strdup_printf ("%s/containers", ctx->paths.root);
}

static char *
new_id (void)
{
  unsigned char b[32];
  static const char hex[] = "0123456789abcdef";
  char *id = rcr_xmalloc0 (65);
  if (getrandom (b, sizeof (b), 0) != sizeof (b))
    abort ();
  for (int i = 0; i < 32; i++)
    {
      id[2 * i] = hex[b[i] >> 4];
      id[2 * i + 1] = hex[b[i] & 15];
    }
  return id;
}

uint64_t
rcr_pid_start_time (pid_t pid)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;
  unsigned long long v = 0;

  if (pid <= 0)
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* the command name may hold spaces and parentheses: count fields after the last ')' */
  p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  /* from the ')' closing field 2, each step lands on the space before the next field:
     20 steps reach the space before field 22 (starttime) */
  for (int field = 2; field < 22 && p; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL || sscanf (p, " %llu", &v) != 1)
    return 0;
  return v;
}

bool
rcr_pid_alive (pid_t pid, uint64_t start_time)
{
  char path[64], buf[512];
  cleanup_close int fd = -1;
  uint64_t now = rcr_pid_start_time (pid);
  ssize_t n;
  char *p;

  if (now == 0 || (start_time != 0 && now != start_time))
    return false;
  /* a zombie (Z) or dead (X) process does nothing any more: it only waits to be reaped,
     which a sandbox's pid 1 may never do */
  snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (n = read (fd, buf, sizeof (buf) - 1)) <= 0)
    return false;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

void
rcr_container_free (struct rcr_container *c)
{
  if (c == NULL)
    return;
  free (c->id);
  free (c->dir);
  free (c->run_dir);
  if (c->config)
    json_object_put (c->config);
  rcr_state_clear (&c->state);
  free (c);
}

void
rcr_container_list_free (struct rcr_container **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    rcr_container_free (v[i]);
  free (v);
}

static int
write_text (const char *path, const char *text, rcr_error_t *err)
{
  /* derived from the config and the host: nothing to lose in a crash */
  return rcr_write_file_replace (path, text, strlen (text), 0644, false, err);
}

/* /etc/hosts, /etc/hostname (and, sharing the host's network, /etc/resolv.conf) as podman
   4.3 writes them: the host's hosts entries, host.containers.internal, then the container's
   own name. Without a network podman writes no resolv.conf; the image's stays. Like podman
   they go to the container's run directory, written anew at every start: derived files,
   kept off the disk (and regenerated after a reboot wiped them). */
/* ---- the exit codes of --rm containers ---- */

/* How long a removed --rm container's exit code stays for `rcr wait` (podman keeps them
   for five minutes too). */
#define EXIT_CODE_KEEP_SECONDS (5 * 60)

/* exits/ID is a symlink whose target is the code: made and replaced atomically, and it
   needs no data block, so nothing to write back or to free later. */
int
rcr_exit_code_record (const struct rcr_context *ctx, const char *id, int code, rcr_error_t *err)
{
  cleanup_free char *dir = rcr_strdup_printf ("%s/exits", ctx->paths.runroot);
  cleanup_free char *path = rcr_strdup_printf ("%s/%s", dir, id);
  cleanup_free char *tmp = rcr_strdup_printf ("%s/.%s.tmp-%d", dir, id, (int)getpid ());
  char text[16];

  snprintf (text, sizeof (text), "%d", code);
  if (rcr_mkdir_p (dir, 0700, err) < 0)
    return -1;
  unlink (tmp);
  if (symlink (text, tmp) < 0)
    return rcr_make_error (err, errno, "create \"%s\"", tmp);
  if (rename (tmp, path) < 0)
    {
      int r = rcr_make_error (err, errno, "rename \"%s\"", tmp);
      unlink (tmp);
      return r;
    }
  return 0;
}

int
rcr_exit_code_lookup (const struct rcr_context *ctx, const char *id, int *code)
{
  cleanup_free char *path = rcr_strdup_printf ("%s/exits/%s", ctx->paths.runroot, id);
  char text[64];
  ssize_t n = readlink (path, text, sizeof (text) - 1);

  if (n < 0 && errno == EINVAL)
    {
      /* a regular file, as earlier versions wrote */
      cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      n = fd < 0 ? -1 : read (fd, text, sizeof (text) - 1);
    }
  if (n <= 0)
    return -1;
  text[n] = '\0';
  *code = atoi (text);
  return 0;
}

void
rcr_exit_codes_prune (const struct rcr_context *ctx)
{
  cleanup_free char *dir = rcr_strdup_printf ("%s/exits", ctx->paths.runroot);
  cleanup_free char *stamp = rcr_strdup_printf ("%s/.pruned", dir);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;
  time_t now = time (NULL);

  /* a look at the directory once a minute at most: a start in a busy loop pays one stat,
     not one per code kept */
  if (stat (stamp, &st) == 0 && now - st.st_mtime < 60 && st.st_mtime <= now)
    return;
  d = opendir (dir);
  if (d == NULL)
    return;
  {
    int fd = open (stamp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
      {
        futimens (fd, NULL);
        close (fd);
      }
  }
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue; /* ., .., the stamp, a writer's temporary name */
      if (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && now - st.st_mtime > EXIT_CODE_KEEP_SECONDS)
        unlinkat (dirfd (d), de->d_name, 0);
    }
}

bool
rcr_container_has_run_file (const struct rcr_container *c, const char *file)
{
  if (strcmp (file, "resolv.conf") == 0)
    return strcmp (rcr_json_get_string (c->config, "network", "none"), "host") == 0;
  return strcmp (file, "hosts") == 0 || strcmp (file, "hostname") == 0 || strcmp (file, ".containerenv") == 0;
}

int
rcr_container_write_run_files (const struct rcr_container *c, rcr_error_t *err)
{
  const char *dir = c->run_dir;
  json_object *config = c->config;
  const char *hostname = rcr_json_get_string (config, "hostname", "");
  const char *name = rcr_json_get_string (config, "name", "");
  bool host_net = strcmp (rcr_json_get_string (config, "network", "none"), "host") == 0;
  cleanup_free char *host_hosts = NULL;
  cleanup_free char *hosts = rcr_xstrdup ("");
  cleanup_free char *path = NULL;
  cleanup_free char *line = NULL;
  rcr_error_t tmp = NULL;
  char *save = NULL;

  if (rcr_read_file ("/etc/hosts", 1 << 20, &host_hosts, NULL, &tmp) < 0)
    {
      rcr_error_release (&tmp);
      host_hosts = rcr_xstrdup ("127.0.0.1 localhost\n::1 localhost\n");
    }
  for (char *l = strtok_r (host_hosts, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *ip, *names = NULL, *s2 = NULL, *next;
      if ((next = strchr (l, '#')))
        *next = '\0';
      ip = strtok_r (l, " \t", &s2);
      if (ip == NULL)
        continue;
      for (char *n = strtok_r (NULL, " \t", &s2); n; n = strtok_r (NULL, " \t", &s2))
        {
          char *joined = rcr_strdup_printf ("%s%s%s", names ? names : "", names ? " " : "", n);
          free (names);
          names = joined;
        }
      if (names)
        {
          char *more = rcr_strdup_printf ("%s%s\t%s\n", hosts, ip, names);
          free (hosts);
          hosts = more;
          free (names);
        }
    }
  {
    char *more = rcr_strdup_printf ("%s%s\thost.containers.internal\n127.0.0.1\t%s %s\n", hosts,
                                    host_net ? "127.0.0.1" : "192.0.2.2", hostname, name);
    free (hosts);
    hosts = more;
  }
  path = rcr_strdup_printf ("%s/hosts", dir);
  if (write_text (path, hosts, err) < 0)
    return -1;
  free (path);
  path = rcr_strdup_printf ("%s/hostname", dir);
  line = rcr_strdup_printf ("%s\n", hostname);
  if (write_text (path, line, err) < 0)
    return -1;
  free (path);
  path = rcr_strdup_printf ("%s/.containerenv", dir);
  if (write_text (path, "", err) < 0)
    return -1;
  /* which files there are is rcr_container_has_run_file's to say (the bind list asks it) */
  if (rcr_container_has_run_file (c, "resolv.conf"))
    {
      cleanup_free char *resolv = NULL;
      free (path);
      path = rcr_strdup_printf ("%s/resolv.conf", dir);
      if (rcr_read_file ("/etc/resolv.conf", 1 << 20, &resolv, NULL, &tmp) < 0)
        {
          rcr_error_release (&tmp);
          resolv = rcr_xstrdup ("");
        }
      if (write_text (path, resolv, err) < 0)
        return -1;
    }
  return 0;
}

static const struct rcr_id_shift *
keep_id_shift (json_object *config, struct rcr_id_shift *shift)
{
  if (strcmp (rcr_json_get_string (config, "userns", ""), "keep-id") != 0)
    return NULL;
  shift->uid = (uint32_t)geteuid ();
  shift->gid = (uint32_t)getegid ();
  return shift;
}

/* Before anything is copied: keep-id needs subordinate ids. */
static int
keep_id_check (const struct rcr_context *ctx, json_object *config, rcr_error_t *err)
{
  struct rcr_id_shift shift;
  struct rcr_idmap_plan plan;

  if (keep_id_shift (config, &shift) == NULL || !ctx->paths.rootless)
    return 0;
  if (rcr_userns_plan (RCR_USERNS_KEEP_ID, &plan, err) < 0)
    return -1;
  rcr_userns_plan_clear (&plan);
  return 0;
}

/* --userns=keep-id: overlay's lower directory becomes the image copied once with shifted
   owners (vfs shifted its copy already), and /etc/passwd and /etc/group get the user's
   entries as podman adds them. */
static int
keep_id_root (const struct rcr_context *ctx, struct rcr_container *c, json_object *config, rcr_error_t *err)
{
  struct rcr_id_shift shift;
  json_object *layers = rcr_json_get_array (config, "layers");
  size_t n = layers ? json_object_array_length (layers) : 0;
  cleanup_strv char **ids = NULL;
  cleanup_free char *lower = NULL;
  cleanup_free char *passwd = NULL;
  cleanup_free char *group = NULL;
  cleanup_close int rootfd = -1;
  struct passwd *pw;
  cleanup_free char *name = NULL;

  if (keep_id_shift (config, &shift) == NULL)
    return 0;
  if (strcmp (rcr_json_get_string (config, "storageDriver", "overlay"), "vfs") == 0)
    lower = rcr_strdup_printf ("%s/vfs-root", c->dir);
  else
    {
      ids = rcr_xmalloc0 ((n + 1) * sizeof (char *));
      for (size_t i = 0; i < n; i++)
        ids[i] = rcr_xstrdup (json_object_get_string (json_object_array_get_idx (layers, i)) + 7);
      if (rcr_vfs_shifted_root (ctx->paths.root, ids, n,
                                ctx->paths.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque", &shift, &lower,
                                err)
          < 0)
        return -1;
      json_object_object_add (config, "lowerRoot", json_object_new_string (lower));
    }
  rootfd = open (lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", lower);
  pw = getpwuid (shift.uid);
  name = pw ? rcr_xstrdup (pw->pw_name) : rcr_strdup_printf ("%u", (unsigned)shift.uid);
  rcr_user_keep_id_files (rootfd, shift.uid, shift.gid, name, &passwd, &group);
  if (passwd)
    {
      cleanup_free char *path = rcr_strdup_printf ("%s/passwd", c->dir);
      if (write_text (path, passwd, err) < 0)
        return -1;
    }
  if (group)
    {
      cleanup_free char *path = rcr_strdup_printf ("%s/group", c->dir);
      if (write_text (path, group, err) < 0)
        return -1;
    }
  return 0;
}

/* The storage driver's part of a new container, recorded so that every later start uses
   the same one: overlay and fuse-overlayfs need nothing more (their upper and work dirs
   exist); vfs copies the image layers now. */
static int
build_root (const struct rcr_context *ctx, struct rcr_container *c, json_object *config, rcr_error_t *err)
{
  const char *driver = ctx->storage_driver ? ctx->storage_driver : rcr_driver_pick (ctx->paths.runroot);
  json_object *layers = rcr_json_get_array (config, "layers");
  size_t n = layers ? json_object_array_length (layers) : 0;
  cleanup_strv char **dirs = NULL;
  cleanup_free char *dest = NULL;
  struct rcr_id_shift shift;

  if (strcmp (driver, "fuse-overlayfs") == 0)
    {
      cleanup_free char *program = NULL;
      if (rcr_driver_check_fuse (&program, err) < 0)
        return -1;
    }
  json_object_object_add (config, "storageDriver", json_object_new_string (driver));
  if (strcmp (driver, "vfs") != 0)
    return 0;
  dirs = rcr_xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    dirs[i] = rcr_strdup_printf ("%s/storage/layers/%s/diff", ctx->paths.root,
                                 json_object_get_string (json_object_array_get_idx (layers, i)) + 7);
  dest = rcr_strdup_printf ("%s/vfs-root", c->dir);
  return rcr_vfs_build (dirs, n, dest, ctx->paths.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque",
                        keep_id_shift (config, &shift), err);
}

static int
lock_containers (const struct rcr_context *ctx, int mode, rcr_error_t *err)
{
  cleanup_free char *dir = containers_dir (ctx);
  cleanup_free char *path = rcr_strdup_printf ("%s/containers.lock", dir);
  int fd;

  if (rcr_mkdir_p (dir, 0700, err) < 0)
    return -1;
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", path);
  while (flock (fd, mode) < 0)
    if (errno != EINTR)
      {
        int r = rcr_make_error (err, errno, "lock \"%s\"", path);
        close (fd);
        return r;
      }
  return fd;
}

static bool
name_taken (const struct rcr_context *ctx, const char *name)
{
  struct rcr_container **all = NULL;
  size_t n = 0;
  rcr_error_t err = NULL;
  bool taken = false;

  if (rcr_container_list (ctx, &all, &n, &err) < 0)
    {
      rcr_error_release (&err);
      return false;
    }
  for (size_t i = 0; i < n && !taken; i++)
    taken = strcmp (rcr_json_get_string (all[i]->config, "name", ""), name) == 0;
  rcr_container_list_free (all, n);
  return taken;
}

int
rcr_container_create (const struct rcr_context *ctx, json_object *config, struct rcr_container **out, rcr_error_t *err)
{
  cleanup_free char *cdir = containers_dir (ctx);
  cleanup_close int lock = -1;
  struct rcr_container *c;
  const char *name = rcr_json_get_string (config, "name", NULL);
  struct timespec ts;

  if (rcr_paths_ensure (&ctx->paths, err) < 0)
    return -1;
  lock = lock_containers (ctx, LOCK_EX, err);
  if (lock < 0)
    return -1;
  if (name && name_taken (ctx, name))
    {
      int r = rcr_make_error (err, 0,
                              "the container name \"%s\" is already in use; remove that container or choose another "
                              "name with --name",
                              name);
      (*err)->status = RCR_CONTAINER_NAME_IN_USE;
      return r;
    }
  if (name == NULL)
    {
      cleanup_free char *gen = NULL;
      for (int tries = 0; tries < 100; tries++)
        {
          free (gen);
          gen = rcr_name_generate ();
          if (!name_taken (ctx, gen))
            break;
        }
      json_object_object_add (config, "name", json_object_new_string (gen));
    }

  c = rcr_xmalloc0 (sizeof (*c));
  c->id = new_id ();
  c->dir = rcr_strdup_printf ("%s/%s", cdir, c->id);
  c->run_dir = rcr_strdup_printf ("%s/containers/%s", ctx->paths.runroot, c->id);
  json_object_object_add (config, "id", json_object_new_string (c->id));
  if (rcr_json_get_string (config, "hostname", NULL) == NULL)
    {
      cleanup_free char *h = rcr_xstrndup (c->id, 12);
      json_object_object_add (config, "hostname", json_object_new_string (h));
    }
  clock_gettime (CLOCK_REALTIME, &ts);
  json_object_object_add (config, "created", json_object_new_int64 ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec));
  c->config = json_object_get (config);
  rcr_state_init (&c->state);
  c->state.status = RCR_STATUS_CREATED;
  c->state.created_at_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;

  {
    cleanup_free char *upper = rcr_strdup_printf ("%s/upper", c->dir);
    cleanup_free char *work = rcr_strdup_printf ("%s/work", c->dir);
    cleanup_free char *cfg = rcr_strdup_printf ("%s/config.json", c->dir);
    if (mkdir (c->dir, 0700) < 0 || mkdir (upper, 0755) < 0 || mkdir (work, 0700) < 0)
      {
        rcr_make_error (err, errno, "create \"%s\"", c->dir);
        goto fail;
      }
    if (keep_id_check (ctx, config, err) < 0 || build_root (ctx, c, config, err) < 0
        || keep_id_root (ctx, c, config, err) < 0
        /* a --rm container lives as long as its process: no need to outlive a crash */
        || rcr_json_write_file_sync (cfg, config, 0600, !rcr_json_get_bool (config, "autoRemove", false), err) < 0)
      goto fail;
    /* no state file yet: a container without one reads as created (never started), the
       state it has now; its first start writes one */
  }
  *out = c;
  return 0;

fail:
  {
    rcr_error_t tmp = NULL;
    rcr_rm_rf (c->dir, &tmp);
    rcr_rm_rf (c->run_dir, &tmp);
    rcr_error_release (&tmp);
    rcr_container_free (c);
    return -1;
  }
}

int
rcr_container_save_state (const struct rcr_context *ctx, struct rcr_container *c, rcr_error_t *err)
{
  cleanup_free char *path = rcr_strdup_printf ("%s/state.json", c->run_dir);
  (void)ctx;
  if (rcr_mkdir_p (c->run_dir, 0700, err) < 0)
    return -1;
  return rcr_state_write (path, &c->state, err);
}

/* Corrects what a dead monitor or a reboot left behind. */
static void
reconcile (const struct rcr_context *ctx, struct rcr_container *c)
{
  rcr_error_t err = NULL;
  bool changed = false;

  if (c->state.status == RCR_STATUS_RUNNING || c->state.status == RCR_STATUS_PAUSED
      || c->state.status == RCR_STATUS_STOPPING)
    {
      bool monitor = rcr_pid_alive (c->state.monitor_pid, c->state.monitor_start_time);
      bool init = rcr_pid_alive (c->state.pid, c->state.pid_start_time);
      if (!monitor)
        {
          /* nobody can collect the status any more: the container is gone or orphaned */
          if (init)
            kill (c->state.pid, SIGKILL);
          c->state.status = RCR_STATUS_EXITED;
          c->state.exit_code = -1;
          if (c->state.finished_at_ns == 0)
            {
              struct timespec ts;
              clock_gettime (CLOCK_REALTIME, &ts);
              c->state.finished_at_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
            }
          changed = true;
        }
    }
  if (changed && rcr_container_save_state (ctx, c, &err) < 0)
    rcr_error_release (&err);
}

static int
load_by_id (const struct rcr_context *ctx, const char *id, struct rcr_container **out, rcr_error_t *err)
{
  struct rcr_container *c = rcr_xmalloc0 (sizeof (*c));
  cleanup_free char *cdir = containers_dir (ctx);
  cleanup_free char *cfg = NULL;
  cleanup_free char *state = NULL;
  rcr_error_t tmp = NULL;

  c->id = rcr_xstrdup (id);
  c->dir = rcr_strdup_printf ("%s/%s", cdir, id);
  c->run_dir = rcr_strdup_printf ("%s/containers/%s", ctx->paths.runroot, id);
  cfg = rcr_strdup_printf ("%s/config.json", c->dir);
  state = rcr_strdup_printf ("%s/state.json", c->run_dir);
  rcr_state_init (&c->state);
  if (rcr_json_read_file (cfg, CONFIG_MAX, &c->config, err) < 0)
    {
      rcr_container_free (c);
      return -1;
    }
  if (rcr_state_read (state, &c->state, &tmp) < 0)
    {
      /* no volatile state: created and never started, or the runtime dir was wiped by a
         reboot after it ran */
      rcr_error_release (&tmp);
      rcr_state_init (&c->state);
      cleanup_free char *marker = rcr_strdup_printf ("%s/started", c->dir);
      c->state.status = access (marker, F_OK) == 0 ? RCR_STATUS_EXITED : RCR_STATUS_CREATED;
      c->state.created_at_ns = rcr_json_get_int64 (c->config, "created", 0);
    }
  reconcile (ctx, c);
  *out = c;
  return 0;
}

static int
cmp_created (const void *a, const void *b)
{
  const struct rcr_container *x = *(struct rcr_container *const *)a, *y = *(struct rcr_container *const *)b;
  int64_t cx = rcr_json_get_int64 (x->config, "created", 0), cy = rcr_json_get_int64 (y->config, "created", 0);
  return cx < cy ? -1 : cx > cy;
}

int
rcr_container_list (const struct rcr_context *ctx, struct rcr_container ***out, size_t *n, rcr_error_t *err)
{
  cleanup_free char *cdir = containers_dir (ctx);
  cleanup_dir DIR *d = opendir (cdir);
  struct rcr_container **v = NULL;
  struct dirent *de;
  size_t count = 0;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return rcr_make_error (err, errno, "open \"%s\"", cdir);
    }
  while ((de = readdir (d)) != NULL)
    {
      struct rcr_container *c = NULL;
      rcr_error_t tmp = NULL;
      if (strlen (de->d_name) != 64)
        continue;
      if (load_by_id (ctx, de->d_name, &c, &tmp) < 0)
        {
          /* a half-created or half-removed container: skip it */
          rcr_debug ("skipping container %s: %s", de->d_name, tmp->msg);
          rcr_error_release (&tmp);
          continue;
        }
      v = rcr_xrealloc (v, (count + 1) * sizeof (*v));
      v[count++] = c;
    }
  if (count > 1)
    qsort (v, count, sizeof (*v), cmp_created);
  *out = v;
  *n = count;
  return 0;
}

int
rcr_container_load (const struct rcr_context *ctx, const char *name_or_id, struct rcr_container **out, rcr_error_t *err)
{
  struct rcr_container **all = NULL, *found = NULL;
  size_t n = 0, prefix_matches = 0;
  size_t len = strlen (name_or_id);

  if (rcr_container_list (ctx, &all, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n && found == NULL; i++)
    if (strcmp (all[i]->id, name_or_id) == 0
        || strcmp (rcr_json_get_string (all[i]->config, "name", ""), name_or_id) == 0)
      found = all[i];
  if (found == NULL && len > 0 && strspn (name_or_id, "0123456789abcdef") == len)
    for (size_t i = 0; i < n; i++)
      if (strncmp (all[i]->id, name_or_id, len) == 0)
        {
          found = all[i];
          prefix_matches++;
        }
  if (prefix_matches > 1)
    {
      rcr_container_list_free (all, n);
      return rcr_make_error (err, 0, "more than one container matches the id prefix \"%s\"; give more characters",
                             name_or_id);
    }
  if (found == NULL)
    {
      int r;
      rcr_container_list_free (all, n);
      r = rcr_make_error (err, 0, "no container with name or ID \"%s\" found: no such container", name_or_id);
      (*err)->status = RCR_CONTAINER_NOT_FOUND;
      return r;
    }
  for (size_t i = 0; i < n; i++)
    if (all[i] != found)
      rcr_container_free (all[i]);
  free (all);
  *out = found;
  return 0;
}

static int
rm_cb (void *arg, rcr_error_t *err)
{
  return rcr_rm_rf (arg, err);
}

int
rcr_rm_rf_as_container (const struct rcr_context *ctx, const char *path, rcr_error_t *err)
{
  rcr_error_t tmp = NULL;

  if (rcr_rm_rf (path, &tmp) == 0)
    return 0;
  rcr_error_release (&tmp);
  /* files of subordinate ids: removed from inside a user namespace that maps them */
  if (ctx->paths.rootless)
    return rcr_userns_run_mapped (rm_cb, (void *)path, 0, NULL, err);
  return rcr_rm_rf (path, err);
}

int
rcr_container_delete (const struct rcr_context *ctx, struct rcr_container *c, rcr_error_t *err)
{
  /* the state first: a half-deleted container is then simply gone for `ps` */
  if (rcr_rm_rf (c->run_dir, err) < 0)
    return -1;
  /* the writable layer holds files of subordinate ids */
  return rcr_rm_rf_as_container (ctx, c->dir, err);
}

bool
rcr_container_image_in_use (const struct rcr_context *ctx, const char *image_id)
{
  struct rcr_container **all = NULL;
  size_t n = 0;
  rcr_error_t err = NULL;
  bool used = false;
  /* a container being created (a keep-id copy can take a while) has its config written
     before the lock goes: wait for it rather than miss it */
  cleanup_close int lock = lock_containers (ctx, LOCK_SH, &err);

  if (lock < 0 || rcr_container_list (ctx, &all, &n, &err) < 0)
    {
      rcr_error_release (&err);
      return true; /* cannot tell: keep the image */
    }
  for (size_t i = 0; i < n && !used; i++)
    used = strcmp (rcr_json_get_string (rcr_json_get_object (all[i]->config, "image"), "id", ""), image_id) == 0;
  rcr_container_list_free (all, n);
  return used;
}
