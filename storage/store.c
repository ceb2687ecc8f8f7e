/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/digest.h"
#include "storage/ref.h"
#include "userns/userns.h"

#define IMAGES_MAX_SIZE (64 * 1024 * 1024)

char *
rcr_store_path (const struct rcr_store *s, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *rel = NULL;
  va_start (ap, fmt);
  if (vasprintf (&rel, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return rcr_strdup_printf ("%s/%s", s->dir, rel);
}

int
rcr_store_open (const struct rcr_paths *paths, struct rcr_store **out, rcr_error_t *err)
{
  static const char *const subdirs[] = { "blobs/sha256", "layers", "staging" };
  struct rcr_store *s;
  cleanup_free char *lock = NULL;

  if (rcr_paths_ensure (paths, err) < 0)
    return -1;
  s = rcr_xmalloc0 (sizeof (*s));
  s->lock_fd = -1;
  s->rootless = paths->rootless;
  s->dir = rcr_strdup_printf ("%s/storage", paths->root);
  for (size_t i = 0; i < sizeof (subdirs) / sizeof (subdirs[0]); i++)
    {
      cleanup_free char *d = rcr_store_path (s, "%s", subdirs[i]);
      if (rcr_mkdir_p (d, 0700, err) < 0)
        {
          rcr_store_close (s);
          return -1;
        }
    }
  lock = rcr_store_path (s, "storage.lock");
  s->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd < 0)
    {
      int r = rcr_make_error (err, errno, "open \"%s\"", lock);
      rcr_store_close (s);
      return r;
    }
  *out = s;
  return 0;
}

void
rcr_store_close (struct rcr_store *s)
{
  if (s == NULL)
    return;
  if (s->lock_fd >= 0)
    close (s->lock_fd);
  free (s->dir);
  free (s);
}

int
rcr_store_lock (struct rcr_store *s, int mode, rcr_error_t *err)
{
  while (flock (s->lock_fd, mode) < 0)
    if (errno != EINTR)
      return rcr_make_error (err, errno, "lock the image store");
  s->lock_mode = mode == LOCK_UN ? 0 : mode;
  return 0;
}

const char *
rcr_store_opaque_xattr (const struct rcr_store *s)
{
  /* Rootless kernel overlay mounts with userxattr read the user.* names; so does
     fuse-overlayfs. Root mounts read trusted.*. */
  return s->rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
}

int
rcr_store_staging_new (struct rcr_store *s, struct rcr_staging *out, rcr_error_t *err)
{
  cleanup_free char *tmpl = rcr_store_path (s, "staging/%d-XXXXXX", (int)getpid ());
  cleanup_free char *lock = NULL;
  int fd;

  if (mkdtemp (tmpl) == NULL)
    return rcr_make_error (err, errno, "create staging directory \"%s\"", tmpl);
  lock = rcr_strdup_printf ("%s.lock", tmpl);
  fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      int r = rcr_make_error (err, errno, "lock \"%s\"", lock);
      if (fd >= 0)
        close (fd);
      rmdir (tmpl);
      return r;
    }
  out->dir = steal_pointer (&tmpl);
  out->lock_fd = fd;
  return 0;
}

void
rcr_store_staging_release (struct rcr_store *s, struct rcr_staging *st)
{
  rcr_error_t err = NULL;
  cleanup_free char *lock = NULL;

  if (st->dir == NULL)
    return;
  lock = rcr_strdup_printf ("%s.lock", st->dir);
  if (rcr_store_remove_tree (s, st->dir, &err) < 0)
    {
      rcr_warn ("cannot remove staging directory: %s", err->msg);
      rcr_error_release (&err);
    }
  else
    unlink (lock);
  if (st->lock_fd >= 0)
    close (st->lock_fd);
  free (st->dir);
  st->dir = NULL;
  st->lock_fd = -1;
}

void
rcr_store_staging_gc (struct rcr_store *s)
{
  cleanup_free char *dir = rcr_store_path (s, "staging");
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *lock = NULL;
      cleanup_free char *path = NULL;
      cleanup_close int fd = -1;
      rcr_error_t err = NULL;
      size_t len = strlen (de->d_name);

      if (len < 6 || strcmp (de->d_name + len - 5, ".lock") != 0)
        continue;
      lock = rcr_strdup_printf ("%s/%s", dir, de->d_name);
      path = rcr_xstrndup (lock, strlen (lock) - 5);
      fd = open (lock, O_RDWR | O_CLOEXEC);
      /* A free lock means its owner is gone, whatever way it died. */
      if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0)
        continue;
      rcr_debug ("removing abandoned staging directory %s", path);
      if (rcr_store_remove_tree (s, path, &err) < 0)
        {
          rcr_warn ("cannot remove abandoned staging directory: %s", err->msg);
          rcr_error_release (&err);
          continue;
        }
      unlink (lock);
    }
}

static int
remove_tree_cb (void *arg, rcr_error_t *err)
{
  return rcr_rm_rf (arg, err);
}

int
rcr_store_remove_tree (struct rcr_store *s, const char *path, rcr_error_t *err)
{
  struct stat st;
  if (lstat (path, &st) < 0 && errno == ENOENT)
    return 0;
  /* Extracted files belong to subordinate ids: only root of the user namespace may
     delete them. A tree without such files goes faster without it. */
  if (!s->rootless)
    return rcr_rm_rf (path, err);
  if (rcr_rm_rf (path, NULL) == 0)
    return 0;
  return rcr_userns_run_mapped (remove_tree_cb, (void *)path, 0, NULL, err);
}

int
rcr_store_images_load (struct rcr_store *s, json_object **images, rcr_error_t *err)
{
  cleanup_free char *path = rcr_store_path (s, "images.json");
  json_object *root = NULL, *arr;
  rcr_error_t tmp = NULL;

  if (rcr_json_read_file (path, IMAGES_MAX_SIZE, &root, &tmp) < 0)
    {
      if (tmp->status != ENOENT)
        {
          *err = tmp;
          return rcr_error_wrap (err, "read the image list");
        }
      rcr_error_release (&tmp);
      root = json_object_new_object ();
    }
  arr = rcr_json_get_array (root, "images");
  if (arr == NULL)
    json_object_object_add (root, "images", json_object_new_array ());
  *images = root;
  return 0;
}

int
rcr_store_images_save (struct rcr_store *s, json_object *images, rcr_error_t *err)
{
  cleanup_free char *path = rcr_store_path (s, "images.json");
  return rcr_json_write_file (path, images, 0600, err);
}

static bool
names_match (json_object *img, const char *want)
{
  json_object *names = rcr_json_get_array (img, "names");
  for (size_t i = 0; names && i < json_object_array_length (names); i++)
    if (strcmp (json_object_get_string (json_object_array_get_idx (names, i)), want) == 0)
      return true;
  return false;
}

json_object *
rcr_store_image_find (json_object *images, const char *name)
{
  json_object *arr = rcr_json_get_array (images, "images");
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  cleanup_free char *full = NULL;
  const char *id = name;
  json_object *prefix_match = NULL;
  int prefix_count = 0;
  rcr_error_t err = NULL;
  size_t len;

  if (arr == NULL)
    return NULL;
  if (rcr_has_prefix (id, "sha256:"))
    id += 7;
  len = strlen (id);
  if (rcr_image_ref_parse (name, &ref, &err) == 0)
    full = rcr_image_ref_string (ref);
  rcr_error_release (&err);

  for (size_t i = 0; i < json_object_array_length (arr); i++)
    {
      json_object *img = json_object_array_get_idx (arr, i);
      const char *img_id = rcr_json_get_string (img, "id", "");
      if (strcmp (img_id, id) == 0)
        return img;
      if (full && (names_match (img, full)))
        return img;
      if (len >= 3 && strncmp (img_id, id, len) == 0 && strspn (id, "0123456789abcdef") == len)
        {
          prefix_match = img;
          prefix_count++;
        }
    }
  /* podman also finds "localhost/NAME" and other registries' images by short name */
  if (ref && ref->short_name)
    for (size_t i = 0; i < json_object_array_length (arr); i++)
      {
        json_object *img = json_object_array_get_idx (arr, i);
        json_object *names = rcr_json_get_array (img, "names");
        cleanup_free char *suffix = rcr_strdup_printf ("/%s:%s", ref->path, ref->tag ? ref->tag : "latest");
        cleanup_free char *suffix2 = NULL;
        if (rcr_has_prefix (ref->path, "library/"))
          suffix2 = rcr_strdup_printf ("/%s:%s", ref->path + 8, ref->tag ? ref->tag : "latest");
        for (size_t k = 0; names && k < json_object_array_length (names); k++)
          {
            const char *n = json_object_get_string (json_object_array_get_idx (names, k));
            if (rcr_has_suffix (n, suffix) || (suffix2 && rcr_has_suffix (n, suffix2)))
              return img;
          }
      }
  return prefix_count == 1 ? prefix_match : NULL;
}

static char *
blob_path (struct rcr_store *s, const char *digest)
{
  return rcr_store_path (s, "blobs/sha256/%s", digest + 7);
}

bool
rcr_store_has_blob (struct rcr_store *s, const char *digest)
{
  cleanup_free char *p = NULL;
  if (!rcr_digest_valid (digest))
    return false;
  p = blob_path (s, digest);
  return access (p, F_OK) == 0;
}

bool
rcr_store_has_layer (struct rcr_store *s, const char *diff_id)
{
  cleanup_free char *p = NULL;
  if (!rcr_digest_valid (diff_id))
    return false;
  /* layer.json is written last: a layer without it was never completed */
  p = rcr_store_path (s, "layers/%s/layer.json", diff_id + 7);
  return access (p, F_OK) == 0;
}

int
rcr_store_put_blob (struct rcr_store *s, const char *digest, const void *data, size_t len, rcr_error_t *err)
{
  cleanup_free char *got = rcr_sha256_digest (data, len);
  cleanup_free char *p = NULL;
  if (!rcr_digest_valid (digest) || strcmp (got, digest) != 0)
    return rcr_make_error (err, 0, "blob %s: content has digest %s; not stored", digest, got);
  p = blob_path (s, digest);
  return rcr_write_file_atomic (p, data, len, 0600, err);
}

int
rcr_store_read_blob (struct rcr_store *s, const char *digest, size_t max, char **data, size_t *len, rcr_error_t *err)
{
  cleanup_free char *p = NULL;
  if (!rcr_digest_valid (digest))
    return rcr_make_error (err, 0, "invalid digest \"%s\"", digest);
  p = blob_path (s, digest);
  return rcr_read_file (p, max, data, len, err);
}

static bool
json_array_has_string (json_object *arr, const char *s)
{
  for (size_t i = 0; arr && i < json_object_array_length (arr); i++)
    if (strcmp (json_object_get_string (json_object_array_get_idx (arr, i)), s) == 0)
      return true;
  return false;
}

int
rcr_store_gc (struct rcr_store *s, json_object *images, rcr_error_t *err)
{
  json_object *arr = rcr_json_get_array (images, "images");
  cleanup_json json_object *used_layers = json_object_new_array ();
  cleanup_json json_object *used_blobs = json_object_new_array ();
  static const char *const dirs[] = { "layers", "blobs/sha256" };

  for (size_t i = 0; arr && i < json_object_array_length (arr); i++)
    {
      json_object *img = json_object_array_get_idx (arr, i);
      json_object *layers = rcr_json_get_array (img, "layers");
      const char *m = rcr_json_get_string (img, "manifestDigest", NULL);
      const char *c = rcr_json_get_string (img, "configDigest", NULL);
      for (size_t k = 0; layers && k < json_object_array_length (layers); k++)
        json_object_array_add (used_layers, json_object_get (json_object_array_get_idx (layers, k)));
      if (m)
        json_object_array_add (used_blobs, json_object_new_string (m));
      if (c)
        json_object_array_add (used_blobs, json_object_new_string (c));
      {
        const char *idx = rcr_json_get_string (img, "indexDigest", NULL);
        if (idx)
          json_object_array_add (used_blobs, json_object_new_string (idx));
      }
    }

  for (size_t k = 0; k < 2; k++)
    {
      cleanup_free char *dir = rcr_store_path (s, "%s", dirs[k]);
      cleanup_dir DIR *d = opendir (dir);
      struct dirent *de;
      if (d == NULL)
        continue;
      while ((de = readdir (d)) != NULL)
        {
          cleanup_free char *digest = NULL;
          cleanup_free char *path = NULL;
          if (de->d_name[0] == '.' || strlen (de->d_name) != 64)
            continue;
          digest = rcr_strdup_printf ("sha256:%s", de->d_name);
          if (json_array_has_string (k == 0 ? used_layers : used_blobs, digest))
            continue;
          path = rcr_strdup_printf ("%s/%s", dir, de->d_name);
          if (k == 0)
            {
              /* layer.json first: a half-removed layer then counts as absent */
              cleanup_free char *meta = rcr_strdup_printf ("%s/layer.json", path);
              unlink (meta);
              if (rcr_store_remove_tree (s, path, err) < 0)
                return -1;
            }
          else if (unlink (path) < 0 && errno != ENOENT)
            return rcr_make_error (err, errno, "remove \"%s\"", path);
        }
    }
  return 0;
}
