/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static int
sys_openat2 (int dirfd, const char *path, struct open_how *how)
{
  return (int)syscall (SYS_openat2, dirfd, path, how, sizeof (*how));
}

static int
sys_fsopen (const char *fs, unsigned flags)
{
  return (int)syscall (SYS_fsopen, fs, flags);
}

static int
sys_fsconfig (int fd, unsigned cmd, const char *key, const void *value, int aux)
{
  return (int)syscall (SYS_fsconfig, fd, cmd, key, value, aux);
}

static int
sys_fsmount (int fd, unsigned flags, unsigned attrs)
{
  return (int)syscall (SYS_fsmount, fd, flags, attrs);
}

static int
sys_move_mount (int from_fd, const char *from, int to_fd, const char *to, unsigned flags)
{
  return (int)syscall (SYS_move_mount, from_fd, from, to_fd, to, flags);
}

static int
sys_open_tree (int dirfd, const char *path, unsigned flags)
{
  return (int)syscall (SYS_open_tree, dirfd, path, flags);
}

static int
sys_mount_setattr (int fd, const char *path, unsigned flags, struct mount_attr *attr)
{
  return (int)syscall (SYS_mount_setattr, fd, path, flags, attr, sizeof (*attr));
}

int
rcr_mount_open_in_root (int rootfd, const char *path, bool create, bool create_file, bool no_symlinks, int *out,
                        rcr_error_t *err)
{
  struct open_how how
      = { .flags = O_PATH | O_CLOEXEC,
          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0) };
  const char *rel = path;
  int fd;

  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    {
      fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0)
        return rcr_make_error (err, errno, "dup root fd");
      *out = fd;
      return 0;
    }
  fd = sys_openat2 (rootfd, rel, &how);
  if (fd >= 0)
    {
      *out = fd;
      return 0;
    }
  if (errno == ELOOP && no_symlinks)
    return rcr_make_error (err, ELOOP, "\"%s\" in the container is a symlink; refusing to mount over it", path);
  if (errno != ENOENT || !create)
    return rcr_make_error (err, errno, "open \"%s\" in the container", path);

  /* Create what is missing. Every prefix is resolved from the container's root, so a
     symlink on the way means what it means in the container; a dangling one is followed
     to its target, which is then created (as podman does), always inside the root. */
  {
    cleanup_free char *cur = rcr_xstrdup (rel);

    for (int hops = 0; hops < 40; hops++)
      {
        size_t pos = 0;
        bool restart = false;
        int steps = 0;

        while (!restart)
          {
            if (++steps > 4096)
              return rcr_make_error (err, ELOOP, "\"%s\" in the container: the path does not settle", path);
            size_t end = pos + strcspn (cur + pos, "/");
            bool last = cur[end] == '\0' || cur[end + strspn (cur + end, "/")] == '\0';
            cleanup_free char *prefix = rcr_xstrndup (cur, end);
            cleanup_free char *comp = rcr_xstrndup (cur + pos, end - pos);
            cleanup_close int parent = -1;
            struct stat st;

            fd = sys_openat2 (rootfd, prefix, &how);
            if (fd >= 0)
              {
                if (last)
                  {
                    *out = fd;
                    return 0;
                  }
                close (fd);
                pos = end + strspn (cur + end, "/");
                continue;
              }
            if (errno == ELOOP && no_symlinks)
              return rcr_make_error (err, ELOOP, "\"%s\" in the container is a symlink; refusing to mount over it",
                                     path);
            if (errno != ENOENT)
              return rcr_make_error (err, errno, "open \"%s\" in the container", path);
            if (strcmp (comp, "..") == 0 || strcmp (comp, ".") == 0)
              return rcr_make_error (err, EINVAL, "\"%s\": cannot create \"%s\" in the container", path, comp);
            if (pos == 0)
              parent = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
            else
              {
                cleanup_free char *pp = rcr_xstrndup (cur, pos);
                parent = sys_openat2 (rootfd, pp, &how);
              }
            if (parent < 0)
              return rcr_make_error (err, errno, "open the parent of \"%s\" in the container", path);
            if (fstatat (parent, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
              {
                /* a dangling symlink: continue with its target, inside the root */
                char target[4096];
                ssize_t n = readlinkat (parent, comp, target, sizeof (target) - 1);
                char *next;
                if (no_symlinks)
                  return rcr_make_error (err, ELOOP, "\"%s\" in the container is a symlink; refusing to mount over it",
                                         path);
                if (n <= 0)
                  return rcr_make_error (err, errno, "readlink \"%s\" in the container", path);
                target[n] = '\0';
                if (target[0] == '/')
                  next = rcr_strdup_printf ("%s%s", target + strspn (target, "/"), cur + end);
                else
                  next = rcr_strdup_printf ("%.*s%s%s", (int)pos, cur, target, cur + end);
                free (cur);
                cur = next;
                if (*cur == '\0')
                  {
                    *out = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
                    return *out < 0 ? rcr_make_error (err, errno, "dup root fd") : 0;
                  }
                restart = true;
                continue;
              }
            if (last && create_file)
              {
                int f = openat (parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (f < 0 && errno != EEXIST)
                  return rcr_make_error (err, errno, "create \"%s\" in the container", path);
                if (f >= 0)
                  close (f);
              }
            else if (mkdirat (parent, comp, 0755) < 0 && errno != EEXIST)
              return rcr_make_error (err, errno, "mkdir \"%s\" in the container", path);
            /* the same prefix again: it exists now */
          }
      }
    return rcr_make_error (err, ELOOP, "\"%s\" in the container: too many levels of symbolic links", path);
  }
}

int
rcr_mount_fs (const char *fstype, const char *source, const char *const *options, unsigned attrs, int *mfd,
              rcr_error_t *err)
{
  cleanup_close int fs = sys_fsopen (fstype, FSOPEN_CLOEXEC);
  int m;

  if (fs < 0)
    return rcr_make_error (err, errno, "fsopen %s", fstype);
  if (source && sys_fsconfig (fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return rcr_make_error (err, errno, "%s: set source", fstype);
  for (const char *const *o = options; o && *o; o++)
    {
      const char *eq = strchr (*o, '=');
      int r;
      if (eq)
        {
          cleanup_free char *key = rcr_xstrndup (*o, (size_t)(eq - *o));
          r = sys_fsconfig (fs, FSCONFIG_SET_STRING, key, eq + 1, 0);
        }
      else
        r = sys_fsconfig (fs, FSCONFIG_SET_FLAG, *o, NULL, 0);
      if (r < 0)
        return rcr_make_error (err, errno, "%s: option \"%s\"", fstype, *o);
    }
  if (sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return rcr_make_error (err, errno, "create %s filesystem", fstype);
  m = sys_fsmount (fs, FSMOUNT_CLOEXEC, attrs);
  if (m < 0)
    return rcr_make_error (err, errno, "fsmount %s", fstype);
  *mfd = m;
  return 0;
}

int
rcr_mount_clone (int dirfd, const char *path, bool recursive, bool readonly, int *mfd, rcr_error_t *err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  int m;

  if (path == NULL || *path == '\0')
    {
      flags |= AT_EMPTY_PATH;
      path = "";
    }
  m = sys_open_tree (dirfd, path, flags);
  if (m < 0)
    return rcr_make_error (err, errno, "clone mount of \"%s\"", *path ? path : "(fd)");
  if (readonly)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (sys_mount_setattr (m, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr) < 0)
        {
          int r = rcr_make_error (err, errno, "make \"%s\" read-only", *path ? path : "(fd)");
          close (m);
          return r;
        }
    }
  *mfd = m;
  return 0;
}

int
rcr_mount_attach (int mfd, int target_fd, const char *what, rcr_error_t *err)
{
  if (sys_move_mount (mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return rcr_make_error (err, errno, "mount %s", what);
  return 0;
}

/* Binds host device HOST (a path under /dev) at the same path in the container, unless
   the container has it already. */
static int
bind_host_device (int rootfd, const char *host, rcr_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
  cleanup_close int target = -1;
  cleanup_close int m = -1;
  rcr_error_t tmp = NULL;

  if (rcr_mount_open_in_root (rootfd, host, false, false, true, &target, &tmp) == 0)
    return 0; /* one of the default devices */
  rcr_error_release (&tmp);
  m = sys_open_tree (AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (m < 0)
    {
      /* gone since the directory was read */
      if (errno == ENOENT)
        return 0;
      return rcr_make_error (err, errno, "clone mount of \"%s\"", host);
    }
  if (sys_mount_setattr (m, "", AT_EMPTY_PATH, &attr) < 0)
    return rcr_make_error (err, errno, "make \"%s\" nosuid,noexec", host);
  if (rcr_mount_open_in_root (rootfd, host, true, true, true, &target, err) < 0)
    return -1;
  return rcr_mount_attach (m, target, host, err);
}

/* podman's getDevices: a directory walk of /dev that skips these directories, symlinks,
   /dev/console and anything not a device */
static int
bind_host_devices_in (int rootfd, const char *dir, bool rootless, int depth, rcr_error_t *err)
{
  static const char *const skip_dirs[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev", NULL };
  cleanup_dir DIR *d = NULL;
  struct dirent *e;
  int fd;

  if (depth > 16)
    return 0;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* a directory the user may not read holds nothing the user could open */
  if (fd < 0)
    return errno == EACCES || errno == ENOENT ? 0 : rcr_make_error (err, errno, "open \"%s\"", dir);
  d = fdopendir (fd);
  if (d == NULL)
    {
      int r = rcr_make_error (err, errno, "read \"%s\"", dir);
      close (fd);
      return r;
    }
  while ((errno = 0, e = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;
      struct stat st;
      bool skip = false;

      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      path = rcr_strdup_printf ("%s/%s", dir, e->d_name);
      if (S_ISDIR (st.st_mode))
        {
          for (const char *const *s = skip_dirs; *s && !skip; s++)
            skip = strcmp (e->d_name, *s) == 0;
          if (!skip && bind_host_devices_in (rootfd, path, rootless, depth + 1, err) < 0)
            return -1;
          continue;
        }
      if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
        continue;
      /* the runtime makes its own ptmx; the console is the host's; podman leaves the
         terminals out when rootless (as root it adds them) */
      if (strcmp (path, "/dev/console") == 0 || strcmp (path, "/dev/ptmx") == 0
          || (rootless && strncmp (path, "/dev/tty", 8) == 0))
        continue;
      if (bind_host_device (rootfd, path, err) < 0)
        return -1;
    }
  if (errno != 0)
    return rcr_make_error (err, errno, "read \"%s\"", dir);
  return 0;
}

int
rcr_mount_host_devices (int rootfd, bool rootless, rcr_error_t *err)
{
  if (bind_host_devices_in (rootfd, "/dev", rootless, 0, err) < 0)
    return rcr_error_wrap (err, "bind the host's devices");
  return 0;
}

/* The longest common directory prefix of the layers, for relative lowerdir paths. */
static size_t
common_dir_len (char **dirs, size_t n)
{
  size_t len = strlen (dirs[0]);
  for (size_t i = 1; i < n; i++)
    {
      size_t k = 0;
      while (k < len && dirs[i][k] == dirs[0][k])
        k++;
      len = k;
    }
  while (len > 0 && dirs[0][len - 1] != '/')
    len--;
  return len;
}

int
rcr_mount_overlay (char **lower, size_t n_lower, const char *upper, const char *work, bool userxattr,
                   bool volatile_upper, int *mfd, rcr_error_t *err)
{
  cleanup_close int fs = sys_fsopen ("overlay", FSOPEN_CLOEXEC);
  int m;

  if (fs < 0)
    return rcr_make_error (err, errno, "fsopen overlay");
  /* lowerdir+ adds layers top first (Linux 6.8); the option page limit never applies */
  for (size_t i = n_lower; i > 0; i--)
    if (sys_fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir+", lower[i - 1], 0) < 0)
      {
        if (errno == EINVAL && i == n_lower)
          goto classic;
        return rcr_make_error (err, errno, "overlay: add layer \"%s\"", lower[i - 1]);
      }
  if ((upper && sys_fsconfig (fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0)
      || (work && sys_fsconfig (fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
    return rcr_make_error (err, errno, "overlay: set upper and work dirs");
  if (userxattr && sys_fsconfig (fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
    return rcr_make_error (err, errno, "overlay: userxattr");
  /* an optimisation only: kernels before 5.10 do not know it (EINVAL), mount without */
  if (volatile_upper && sys_fsconfig (fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 && errno != EINVAL)
    return rcr_make_error (err, errno, "overlay: volatile");
  if (sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return rcr_make_error (err, errno, "create overlay (%zu layers)", n_lower);
  m = sys_fsmount (fs, FSMOUNT_CLOEXEC, 0);
  if (m < 0)
    return rcr_make_error (err, errno, "fsmount overlay");
  *mfd = m;
  return 0;

classic:
  {
    /* Older kernels: one option string with paths relative to the layers' common
       directory, which keeps ~70 bytes a layer within the page. */
    size_t base = common_dir_len (lower, n_lower);
    cleanup_free char *dir = rcr_xstrndup (lower[0], base);
    cleanup_free char *opts = NULL;
    cleanup_close int cwd = open (".", O_PATH | O_CLOEXEC);
    size_t len = 0, pos = 0;

    for (size_t i = n_lower; i > 0; i--)
      len += strlen (lower[i - 1]) - base + 1;
    opts = rcr_xmalloc0 (len + 1);
    for (size_t i = n_lower; i > 0; i--)
      {
        size_t l = strlen (lower[i - 1]) - base;
        memcpy (opts + pos, lower[i - 1] + base, l);
        pos += l;
        if (i > 1)
          opts[pos++] = ':';
      }
    opts[pos] = '\0';
    if (chdir (dir) < 0)
      return rcr_make_error (err, errno, "chdir \"%s\"", dir);
    close (fs);
    fs = sys_fsopen ("overlay", FSOPEN_CLOEXEC);
    if (fs < 0 || sys_fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir", opts, 0) < 0
        || (upper && sys_fsconfig (fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0)
        || (work && sys_fsconfig (fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
        || (userxattr && sys_fsconfig (fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
        || (volatile_upper && sys_fsconfig (fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 && errno != EINVAL)
        || sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
      {
        int r = rcr_make_error (err, errno, "create overlay (%zu layers)", n_lower);
        if (fchdir (cwd) < 0)
          return r;
        return r;
      }
    m = sys_fsmount (fs, FSMOUNT_CLOEXEC, 0);
    if (fchdir (cwd) < 0 || m < 0)
      return rcr_make_error (err, errno, "fsmount overlay");
    *mfd = m;
    return 0;
  }
}

int
rcr_mount_fuse (const char *source, const char *subtype, int *devfd, int *mfd, rcr_error_t *err)
{
  cleanup_close int dev = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  cleanup_free char *fd_opt = NULL;
  cleanup_free char *subtype_opt = NULL;
  /* default_permissions: the kernel checks modes and owners as on any filesystem (the
     daemon is root of the namespace and would allow everything); allow_other: the
     container's users are not the mounter */
  const char *opts[]
      = { "rootmode=40000", "user_id=0", "group_id=0", "default_permissions", "allow_other", NULL, NULL, NULL };

  if (dev < 0)
    return rcr_make_error (err, errno, "open /dev/fuse");
  fd_opt = rcr_strdup_printf ("fd=%d", dev);
  opts[5] = fd_opt;
  if (subtype)
    {
      subtype_opt = rcr_strdup_printf ("subtype=%s", subtype);
      opts[6] = subtype_opt;
    }
  if (rcr_mount_fs ("fuse", source, opts, MOUNT_ATTR_NODEV, mfd, err) < 0)
    return -1;
  *devfd = steal_fd (&dev);
  return 0;
}
