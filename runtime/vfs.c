/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/codec.h"
#include "common/util.h"
#include "userns/userns.h"

struct vfs_job
{
  char **layers;
  size_t n_layers;
  const char *dest;
  const char *opaque_xattr;
  const struct rcr_id_shift *shift;
  const char *publish; /* when set, dest is renamed to it once complete */
};

/* keep-id seen from the default map: image id k is stored for the container as k+1 below
   the user's id, as 0 (the user) at it, unchanged above */
static unsigned
shift_id (unsigned k, unsigned own)
{
  return k < own ? k + 1 : k == own ? 0 : k;
}

static int
copy_meta (int dirfd, const char *name, const struct stat *st, const struct rcr_id_shift *shift, rcr_error_t *err)
{
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  uid_t uid = shift ? shift_id (st->st_uid, shift->uid) : st->st_uid;
  gid_t gid = shift ? shift_id (st->st_gid, shift->gid) : st->st_gid;
  if (fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return rcr_make_error (err, errno, "chown \"%s\"", name);
  if (!S_ISLNK (st->st_mode) && fchmodat (dirfd, name, st->st_mode & 07777, 0) < 0)
    return rcr_make_error (err, errno, "chmod \"%s\"", name);
  if (utimensat (dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return rcr_make_error (err, errno, "set times of \"%s\"", name);
  return 0;
}

static int
empty_dir (int dirfd, rcr_error_t *err)
{
  cleanup_dir DIR *d = fdopendir (dup (dirfd));
  struct dirent *de;
  if (d == NULL)
    return rcr_make_error (err, errno, "opendir");
  rewinddir (d);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      path = rcr_strdup_printf ("/proc/self/fd/%d/%s", dirfd, de->d_name);
      if (rcr_rm_rf (path, err) < 0)
        return -1;
    }
  return 0;
}

/* Applies one layer directory (src) onto the tree being built (dst). */
static int
apply (int src, int dst, const char *opaque_xattr, const struct rcr_id_shift *shift, rcr_error_t *err)
{
  cleanup_dir DIR *d = fdopendir (dup (src));
  struct dirent *de;

  if (d == NULL)
    return rcr_make_error (err, errno, "opendir");
  if (fgetxattr (src, opaque_xattr, NULL, 0) > 0 && empty_dir (dst, err) < 0)
    return -1; /* an opaque directory hides everything below it */
  while ((de = readdir (d)) != NULL)
    {
      struct stat st, old;
      bool exists;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return rcr_make_error (err, errno, "stat \"%s\"", de->d_name);
      exists = fstatat (dst, de->d_name, &old, AT_SYMLINK_NOFOLLOW) == 0;
      /* a whiteout: a 0/0 character device removes what is below */
      if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
        {
          if (exists)
            {
              cleanup_free char *path = rcr_strdup_printf ("/proc/self/fd/%d/%s", dst, de->d_name);
              if (rcr_rm_rf (path, err) < 0)
                return -1;
            }
          continue;
        }
      if (exists && !(S_ISDIR (st.st_mode) && S_ISDIR (old.st_mode)))
        {
          cleanup_free char *path = rcr_strdup_printf ("/proc/self/fd/%d/%s", dst, de->d_name);
          if (rcr_rm_rf (path, err) < 0)
            return -1;
          exists = false;
        }
      if (S_ISDIR (st.st_mode))
        {
          cleanup_close int s2 = -1, d2 = -1;
          if (!exists && mkdirat (dst, de->d_name, 0700) < 0)
            return rcr_make_error (err, errno, "mkdir \"%s\"", de->d_name);
          s2 = openat (src, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          d2 = openat (dst, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (s2 < 0 || d2 < 0)
            return rcr_make_error (err, errno, "open \"%s\"", de->d_name);
          if (apply (s2, d2, opaque_xattr, shift, err) < 0)
            return -1;
        }
      else if (S_ISREG (st.st_mode))
        {
          cleanup_close int in = openat (src, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          cleanup_close int out = -1;
          off_t left = st.st_size;
          if (in < 0)
            return rcr_make_error (err, errno, "open \"%s\"", de->d_name);
          out = openat (dst, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
          if (out < 0)
            return rcr_make_error (err, errno, "create \"%s\"", de->d_name);
          while (left > 0)
            {
              ssize_t n = copy_file_range (in, NULL, out, NULL, (size_t)left, 0);
              if (n <= 0)
                return rcr_make_error (err, n < 0 ? errno : EIO, "copy \"%s\"", de->d_name);
              left -= n;
            }
        }
      else if (S_ISLNK (st.st_mode))
        {
          char target[4096];
          ssize_t n = readlinkat (src, de->d_name, target, sizeof (target) - 1);
          if (n < 0)
            return rcr_make_error (err, errno, "readlink \"%s\"", de->d_name);
          target[n] = '\0';
          if (symlinkat (target, dst, de->d_name) < 0)
            return rcr_make_error (err, errno, "symlink \"%s\"", de->d_name);
        }
      else if (S_ISFIFO (st.st_mode))
        {
          if (mkfifoat (dst, de->d_name, 0600) < 0)
            return rcr_make_error (err, errno, "mkfifo \"%s\"", de->d_name);
        }
      else
        continue; /* sockets and devices are not part of images */
      if (copy_meta (dst, de->d_name, &st, shift, err) < 0)
        return -1;
    }
  return 0;
}

static int
build_cb (void *arg, rcr_error_t *err)
{
  struct vfs_job *j = arg;
  cleanup_close int dst = -1;

  if (mkdir (j->dest, 0755) < 0 && errno != EEXIST)
    return rcr_make_error (err, errno, "mkdir \"%s\"", j->dest);
  dst = open (j->dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0)
    return rcr_make_error (err, errno, "open \"%s\"", j->dest);
  for (size_t i = 0; i < j->n_layers; i++)
    {
      cleanup_close int src = open (j->layers[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (src < 0)
        return rcr_make_error (err, errno, "open layer \"%s\"", j->layers[i]);
      if (apply (src, dst, j->opaque_xattr, j->shift, err) < 0)
        return rcr_error_wrap (err, "copy layer %zu", i);
    }
  if (j->shift)
    {
      /* the root directory itself: an image may own it too */
      struct stat st;
      if (fstat (dst, &st) < 0
          || fchown (dst, shift_id (st.st_uid, j->shift->uid), shift_id (st.st_gid, j->shift->gid)) < 0)
        return rcr_make_error (err, errno, "chown \"%s\"", j->dest);
    }
  /* a copy that is published is trusted from then on: its data must be on disk first */
  if (j->publish && syncfs (dst) < 0)
    return rcr_make_error (err, errno, "sync \"%s\"", j->dest);
  if (j->publish && rename (j->dest, j->publish) < 0)
    {
      int saved = errno;
      /* a concurrent build published the same tree first: use that one */
      if ((saved == ENOTEMPTY || saved == EEXIST) && rcr_rm_rf (j->dest, err) == 0)
        return 0;
      return rcr_make_error (err, saved, "rename \"%s\"", j->dest);
    }
  return 0;
}

int
rcr_vfs_build (char **layers, size_t n_layers, const char *dest, const char *opaque_xattr,
               const struct rcr_id_shift *shift, rcr_error_t *err)
{
  struct vfs_job j = { layers, n_layers, dest, opaque_xattr, shift, NULL };
  if (geteuid () == 0)
    return build_cb (&j, err);
  return rcr_userns_run_mapped (build_cb, &j, 0, NULL, err);
}

/* Builds a shifted copy in its temporary directory; what an earlier build left (it
   crashed or failed: callers hold the containers lock, so none is running) goes first,
   and a failed build leaves nothing. */
static int
shifted_cb (void *arg, rcr_error_t *err)
{
  struct vfs_job *j = arg;
  cleanup_free char *dir = rcr_xstrdup (j->dest);
  char *slash = strrchr (dir, '/');
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  *slash = '\0';
  d = opendir (dir);
  while (d && (de = readdir (d)) != NULL)
    if (strncmp (de->d_name, ".tmp-", 5) == 0)
      {
        cleanup_free char *old = rcr_strdup_printf ("%s/%s", dir, de->d_name);
        if (rcr_rm_rf (old, err) < 0)
          return -1;
      }
  if (build_cb (j, err) < 0)
    {
      rcr_error_t ignored = NULL;
      rcr_rm_rf (j->dest, &ignored);
      rcr_error_release (&ignored);
      return -1;
    }
  return 0;
}

int
rcr_vfs_shifted_root (const char *root, char **layer_ids, size_t n_layers, const char *opaque_xattr,
                      const struct rcr_id_shift *shift, char **out, rcr_error_t *err)
{
  cleanup_free char *chain = rcr_strdup_printf ("keep-id %u %u", (unsigned)shift->uid, (unsigned)shift->gid);
  cleanup_free char *dir = NULL;
  cleanup_free char *final = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_strv char **dirs = rcr_xmalloc0 ((n_layers + 1) * sizeof (char *));
  struct rcr_sha256 h;
  uint8_t md[32];
  char key[17];
  struct vfs_job j;

  if (n_layers == 0)
    return rcr_make_error (err, EINVAL, "an image without layers");
  for (size_t i = 0; i < n_layers; i++)
    {
      char *more = rcr_strdup_printf ("%s %s", chain, layer_ids[i]);
      free (chain);
      chain = more;
      dirs[i] = rcr_strdup_printf ("%s/storage/layers/%s/diff", root, layer_ids[i]);
    }
  rcr_sha256_init (&h);
  rcr_sha256_update (&h, chain, strlen (chain));
  rcr_sha256_final (&h, md);
  for (size_t i = 0; i < 8; i++)
    snprintf (key + 2 * i, 3, "%02x", md[i]);
  /* kept with the top layer, so removing the image's layers removes it as well; the key
     covers the whole chain and the mapping */
  dir = rcr_strdup_printf ("%s/storage/layers/%s/mapped", root, layer_ids[n_layers - 1]);
  final = rcr_strdup_printf ("%s/%s", dir, key);
  if (access (final, F_OK) == 0)
    {
      *out = steal_pointer (&final);
      return 0;
    }
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return rcr_make_error (err, errno, "mkdir \"%s\"", dir);
  tmp = rcr_strdup_printf ("%s/.tmp-%s-%d", dir, key, (int)getpid ());
  j = (struct vfs_job){ dirs, n_layers, tmp, opaque_xattr, shift, final };
  if ((geteuid () == 0 ? shifted_cb (&j, err) : rcr_userns_run_mapped (shifted_cb, &j, 0, NULL, err)) < 0)
    return rcr_error_wrap (err, "copy the image with its owners shifted for --userns=keep-id");
  *out = steal_pointer (&final);
  return 0;
}
