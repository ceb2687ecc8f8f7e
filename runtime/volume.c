/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/process.h"
#include "userns/userns.h"

static char *
volume_dir (const struct rcr_context *ctx, const char *name)
{
  return rcr_strdup_printf ("%s/volumes/%s", ctx->paths.root, name);
}

char *
rcr_volume_data_dir (const struct rcr_context *ctx, const char *name)
{
  return rcr_strdup_printf ("%s/volumes/%s/_data", ctx->paths.root, name);
}

static int
not_found (const char *name, rcr_error_t *err)
{
  int r = rcr_make_error (err, 0, "no volume with name \"%s\" found: no such volume", name);
  (*err)->status = RCR_VOLUME_NOT_FOUND;
  return r;
}

int
rcr_volume_inspect (const struct rcr_context *ctx, const char *name, json_object **out, rcr_error_t *err)
{
  cleanup_free char *dir = volume_dir (ctx, name);
  cleanup_free char *meta = rcr_strdup_printf ("%s/volume.json", dir);
  rcr_error_t tmp = NULL;

  if (!rcr_name_valid (name))
    return not_found (name, err);
  if (rcr_json_read_file (meta, 1 << 20, out, &tmp) < 0)
    {
      bool missing = tmp->status == ENOENT;
      if (missing)
        {
          rcr_error_release (&tmp);
          return not_found (name, err);
        }
      *err = tmp;
      return -1;
    }
  return 0;
}

int
rcr_volume_create (const struct rcr_context *ctx, const char *name_in, json_object *labels, bool ignore_existing,
                   json_object **out, rcr_error_t *err)
{
  cleanup_free char *name = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *data = NULL;
  cleanup_free char *meta = NULL;
  cleanup_free char *created = NULL;
  json_object *v;
  struct timespec ts;

  if (name_in == NULL)
    {
      unsigned char b[32];
      static const char hex[] = "0123456789abcdef";
      if (getrandom (b, sizeof (b), 0) != sizeof (b))
        return rcr_make_error (err, errno, "getrandom");
      name = rcr_xmalloc0 (65);
      for (int i = 0; i < 32; i++)
        {
          name[2 * i] = hex[b[i] >> 4];
          name[2 * i + 1] = hex[b[i] & 15];
        }
    }
  else if (!rcr_name_valid (name_in))
    return rcr_make_error (err, 0, "invalid volume name \"%s\": names match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name_in);
  else
    name = rcr_xstrdup (name_in);

  dir = volume_dir (ctx, name);
  data = rcr_strdup_printf ("%s/_data", dir);
  meta = rcr_strdup_printf ("%s/volume.json", dir);
  if (access (meta, F_OK) == 0)
    {
      if (ignore_existing)
        return rcr_volume_inspect (ctx, name, out, err);
      {
        int r = rcr_make_error (err, 0, "volume with name %s already exists: volume already exists", name);
        (*err)->status = RCR_VOLUME_EXISTS;
        return r;
      }
    }
  if (rcr_mkdir_p (data, 0755, err) < 0)
    return -1;
  clock_gettime (CLOCK_REALTIME, &ts);
  created = rcr_time_format_rfc3339 ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  v = json_object_new_object ();
  json_object_object_add (v, "Name", json_object_new_string (name));
  json_object_object_add (v, "Driver", json_object_new_string ("local"));
  json_object_object_add (v, "Mountpoint", json_object_new_string (data));
  json_object_object_add (v, "CreatedAt", json_object_new_string (created));
  json_object_object_add (v, "Labels", labels ? json_object_get (labels) : json_object_new_object ());
  json_object_object_add (v, "Scope", json_object_new_string ("local"));
  json_object_object_add (v, "Options", json_object_new_object ());
  if (rcr_json_write_file (meta, v, 0600, err) < 0)
    {
      json_object_put (v);
      return -1;
    }
  *out = v;
  return 0;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (rcr_json_get_string (*(json_object *const *)a, "Name", ""),
                 rcr_json_get_string (*(json_object *const *)b, "Name", ""));
}

int
rcr_volume_list (const struct rcr_context *ctx, json_object **out, rcr_error_t *err)
{
  cleanup_free char *dir = rcr_strdup_printf ("%s/volumes", ctx->paths.root);
  cleanup_dir DIR *d = opendir (dir);
  json_object *arr = json_object_new_array ();
  struct dirent *de;

  if (d == NULL && errno != ENOENT)
    {
      json_object_put (arr);
      return rcr_make_error (err, errno, "open \"%s\"", dir);
    }
  while (d && (de = readdir (d)) != NULL)
    {
      json_object *v = NULL;
      rcr_error_t tmp = NULL;
      if (de->d_name[0] == '.')
        continue;
      if (rcr_volume_inspect (ctx, de->d_name, &v, &tmp) < 0)
        {
          rcr_error_release (&tmp);
          continue;
        }
      json_object_array_add (arr, v);
    }
  /* by name, as podman lists them */
  json_object_array_sort (arr, cmp_names);
  *out = arr;
  return 0;
}

char **
rcr_volume_users (const struct rcr_context *ctx, const char *name)
{
  struct rcr_container **all = NULL;
  char **users = rcr_xmalloc0 (sizeof (char *));
  size_t n = 0, k = 0;
  rcr_error_t err = NULL;

  if (rcr_container_list (ctx, &all, &n, &err) < 0)
    {
      rcr_error_release (&err);
      return users;
    }
  for (size_t i = 0; i < n; i++)
    {
      json_object *mounts = rcr_json_get_array (all[i]->config, "mounts");
      for (size_t m = 0; mounts && m < json_object_array_length (mounts); m++)
        if (strcmp (rcr_json_get_string (json_object_array_get_idx (mounts, m), "volume", ""), name) == 0)
          {
            users = rcr_xrealloc (users, (k + 2) * sizeof (char *));
            users[k++] = rcr_xstrdup (all[i]->id);
            users[k] = NULL;
            break;
          }
    }
  rcr_container_list_free (all, n);
  return users;
}

static int
rm_cb (void *arg, rcr_error_t *err)
{
  return rcr_rm_rf (arg, err);
}

int
rcr_volume_remove (const struct rcr_context *ctx, const char *name, bool force, rcr_error_t *err)
{
  cleanup_json json_object *v = NULL;
  cleanup_strv char **users = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *meta = NULL;
  rcr_error_t tmp = NULL;

  if (rcr_volume_inspect (ctx, name, &v, err) < 0)
    return -1;
  users = rcr_volume_users (ctx, name);
  if (users[0] && !force)
    {
      int r = rcr_make_error (err, 0,
                              "volume %s is being used by the following container(s): %s: volume is being used; "
                              "remove the container first or use --force",
                              name, users[0]);
      (*err)->status = RCR_VOLUME_IN_USE;
      return r;
    }
  for (char **u = users; *u; u++)
    {
      cleanup_container struct rcr_container *c = NULL;
      if (rcr_container_load (ctx, *u, &c, &tmp) < 0 || rcr_container_remove (ctx, c, true, &tmp) < 0)
        {
          *err = tmp;
          return rcr_error_wrap (err, "remove container %s using volume %s", *u, name);
        }
    }
  dir = volume_dir (ctx, name);
  meta = rcr_strdup_printf ("%s/volume.json", dir);
  /* the metadata first: a half-removed volume is then simply gone */
  if (unlink (meta) < 0 && errno != ENOENT)
    return rcr_make_error (err, errno, "remove \"%s\"", meta);
  if (rcr_rm_rf (dir, &tmp) == 0)
    return 0;
  rcr_error_release (&tmp);
  /* files written by container users belong to subordinate ids */
  if (ctx->paths.rootless)
    return rcr_userns_run_mapped (rm_cb, dir, 0, NULL, err);
  return rcr_rm_rf (dir, err);
}
