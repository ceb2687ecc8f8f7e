/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "images.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "storage/manifest.h"
#include "storage/ref.h"

static int
load_locked (struct rcr_store *s, int mode, json_object **images, rcr_error_t *err)
{
  if (rcr_store_lock (s, mode, err) < 0)
    return -1;
  if (rcr_store_images_load (s, images, err) < 0)
    {
      rcr_store_lock (s, LOCK_UN, NULL);
      return -1;
    }
  return 0;
}

static int
not_known (const char *name, rcr_error_t *err)
{
  int r = rcr_make_error (err, 0, "%s: image not known", name);
  (*err)->status = RCR_IMAGE_NOT_KNOWN;
  return r;
}

int
rcr_images_list (struct rcr_store *s, json_object **out, rcr_error_t *err)
{
  cleanup_json json_object *images = NULL;
  if (load_locked (s, LOCK_SH, &images, err) < 0)
    return -1;
  rcr_store_lock (s, LOCK_UN, NULL);
  *out = json_object_get (rcr_json_get_array (images, "images"));
  return 0;
}

static json_object *
copy_or_empty (json_object *obj, const char *key, json_type type)
{
  json_object *v;
  if (obj && json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, type))
    return json_object_get (v);
  return type == json_type_array ? json_object_new_array () : json_object_new_object ();
}

int
rcr_images_inspect (struct rcr_store *s, const char *name, json_object **out, rcr_error_t *err)
{
  cleanup_json json_object *images = NULL;
  cleanup_json json_object *cfg = NULL;
  cleanup_free char *config = NULL;
  json_object *img, *o, *rootfs, *gd, *gdd, *ccfg;
  const char *config_digest;
  size_t len = 0;

  if (load_locked (s, LOCK_SH, &images, err) < 0)
    return -1;
  img = rcr_store_image_find (images, name);
  if (img == NULL)
    {
      rcr_store_lock (s, LOCK_UN, NULL);
      return not_known (name, err);
    }
  config_digest = rcr_json_get_string (img, "configDigest", "");
  if (rcr_store_read_blob (s, config_digest, RCR_CONFIG_MAX_SIZE, &config, &len, err) < 0
      || rcr_json_parse (config, "image config", &cfg, err) < 0)
    {
      rcr_store_lock (s, LOCK_UN, NULL);
      return rcr_error_wrap (err, "inspect %s", name);
    }
  rcr_store_lock (s, LOCK_UN, NULL);

  o = json_object_new_object ();
  json_object_object_add (o, "Id", json_object_new_string (rcr_json_get_string (img, "id", "")));
  json_object_object_add (o, "Digest", json_object_new_string (rcr_json_get_string (img, "manifestDigest", "")));
  {
    /* a name@digest (pulled by digest) is not a tag */
    json_object *tags = json_object_new_array (), *names = rcr_json_get_array (img, "names");
    for (size_t i = 0; names && i < json_object_array_length (names); i++)
      if (strchr (json_object_get_string (json_object_array_get_idx (names, i)), '@') == NULL)
        json_object_array_add (tags, json_object_get (json_object_array_get_idx (names, i)));
    json_object_object_add (o, "RepoTags", tags);
  }
  json_object_object_add (o, "RepoDigests", copy_or_empty (img, "repoDigests", json_type_array));
  json_object_object_add (o, "Parent", json_object_new_string (""));
  json_object_object_add (o, "Comment", json_object_new_string (rcr_json_get_string (cfg, "comment", "")));
  json_object_object_add (o, "Created", json_object_new_string (rcr_json_get_string (cfg, "created", "")));
  ccfg = copy_or_empty (cfg, "config", json_type_object);
  json_object_object_add (o, "Config", ccfg);
  json_object_object_add (o, "Version", json_object_new_string (rcr_json_get_string (cfg, "docker_version", "")));
  json_object_object_add (o, "Author", json_object_new_string (rcr_json_get_string (cfg, "author", "")));
  json_object_object_add (o, "Architecture", json_object_new_string (rcr_json_get_string (cfg, "architecture", "")));
  json_object_object_add (o, "Os", json_object_new_string (rcr_json_get_string (cfg, "os", "")));
  if (rcr_json_get_string (cfg, "variant", NULL))
    json_object_object_add (o, "Variant", json_object_new_string (rcr_json_get_string (cfg, "variant", "")));
  json_object_object_add (o, "Size", json_object_new_int64 (rcr_json_get_int64 (img, "size", 0)));
  json_object_object_add (o, "VirtualSize", json_object_new_int64 (rcr_json_get_int64 (img, "size", 0)));
  gd = json_object_new_object ();
  gdd = json_object_new_object ();
  {
    json_object *layers = rcr_json_get_array (img, "layers");
    size_t n = layers ? json_object_array_length (layers) : 0;
    cleanup_free char *lower = NULL;
    /* overlay order: the top layer first */
    for (size_t i = n; i > 0; i--)
      {
        const char *d = json_object_get_string (json_object_array_get_idx (layers, i - 1));
        cleanup_free char *p = rcr_store_path (s, "layers/%s/diff", d + 7);
        char *next = rcr_strdup_printf ("%s%s%s", lower ? lower : "", lower ? ":" : "", p);
        free (lower);
        lower = next;
      }
    if (lower)
      json_object_object_add (gdd, "LowerDir", json_object_new_string (lower));
  }
  json_object_object_add (gd, "Name", json_object_new_string ("overlay"));
  json_object_object_add (gd, "Data", gdd);
  json_object_object_add (o, "GraphDriver", gd);
  rootfs = json_object_new_object ();
  json_object_object_add (rootfs, "Type", json_object_new_string ("layers"));
  json_object_object_add (rootfs, "Layers", copy_or_empty (img, "layers", json_type_array));
  json_object_object_add (o, "RootFS", rootfs);
  json_object_object_add (o, "Labels", copy_or_empty (rcr_json_get_object (cfg, "config"), "Labels", json_type_object));
  json_object_object_add (o, "Annotations", json_object_new_object ());
  json_object_object_add (o, "ManifestType",
                          json_object_new_string (rcr_json_get_string (img, "manifestMediaType", "")));
  json_object_object_add (
      o, "User", json_object_new_string (rcr_json_get_string (rcr_json_get_object (cfg, "config"), "User", "")));
  json_object_object_add (o, "History", copy_or_empty (cfg, "history", json_type_array));
  json_object_object_add (o, "NamesHistory", copy_or_empty (img, "names", json_type_array));
  *out = o;
  return 0;
}

int
rcr_images_normalize_tag (const char *name, char **out, rcr_error_t *err)
{
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  cleanup_free char *bare = NULL;

  if (rcr_image_ref_parse (name, &ref, err) < 0)
    return -1;
  if (ref->digest)
    return rcr_make_error (err, 0, "%s: a tag cannot contain a digest", name);
  if (!ref->short_name)
    {
      *out = rcr_image_ref_string (ref);
      return 0;
    }
  /* podman: a name without a registry is a local one */
  bare = rcr_xstrndup (name, strcspn (name, ":"));
  *out = rcr_strdup_printf ("localhost/%s:%s", bare, ref->tag);
  return 0;
}

static void
remove_name_everywhere (json_object *arr, const char *name)
{
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    {
      json_object *names = rcr_json_get_array (json_object_array_get_idx (arr, i), "names");
      for (size_t k = 0; names && k < json_object_array_length (names);)
        if (strcmp (json_object_get_string (json_object_array_get_idx (names, k)), name) == 0)
          json_object_array_del_idx (names, k, 1);
        else
          k++;
    }
}

int
rcr_images_tag (struct rcr_store *s, const char *source, const char *const *targets, rcr_error_t *err)
{
  cleanup_json json_object *images = NULL;
  cleanup_strv char **norm = NULL;
  json_object *img, *arr, *names;
  size_t n = 0;
  int ret = 0;

  while (targets[n])
    n++;
  norm = rcr_xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    if (rcr_images_normalize_tag (targets[i], &norm[i], err) < 0)
      return -1;
  if (load_locked (s, LOCK_EX, &images, err) < 0)
    return -1;
  img = rcr_store_image_find (images, source);
  if (img == NULL)
    {
      ret = not_known (source, err);
      goto out;
    }
  arr = rcr_json_get_array (images, "images");
  names = rcr_json_get_array (img, "names");
  if (names == NULL)
    json_object_object_add (img, "names", names = json_object_new_array ());
  for (size_t i = 0; i < n; i++)
    {
      remove_name_everywhere (arr, norm[i]);
      json_object_array_add (names, json_object_new_string (norm[i]));
    }
  ret = rcr_store_images_save (s, images, err);
out:
  rcr_store_lock (s, LOCK_UN, NULL);
  return ret;
}

static bool
name_is_id (json_object *img, const char *name)
{
  const char *id = rcr_json_get_string (img, "id", "");
  if (rcr_has_prefix (name, "sha256:"))
    name += 7;
  return strlen (name) >= 3 && rcr_has_prefix (id, name);
}

/* The exact stored name the user meant, or NULL when they named the image by id. */
static const char *
matching_name (json_object *img, const char *name)
{
  json_object *names = rcr_json_get_array (img, "names");
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  cleanup_free char *full = NULL;
  rcr_error_t tmp = NULL;

  if (name_is_id (img, name))
    return NULL;
  if (rcr_image_ref_parse (name, &ref, &tmp) == 0)
    full = rcr_image_ref_string (ref);
  rcr_error_release (&tmp);
  for (size_t k = 0; names && k < json_object_array_length (names); k++)
    {
      const char *n = json_object_get_string (json_object_array_get_idx (names, k));
      if (full && strcmp (n, full) == 0)
        return n;
    }
  /* found by short name ("localhost/x:tag" for "x"): the name that ends the same way */
  if (ref && ref->short_name)
    {
      const char *path = ref->path + (rcr_has_prefix (ref->path, "library/") ? 8 : 0);
      cleanup_free char *suffix = rcr_strdup_printf ("/%s:%s", path, ref->tag ? ref->tag : "latest");
      for (size_t k = 0; names && k < json_object_array_length (names); k++)
        {
          const char *n = json_object_get_string (json_object_array_get_idx (names, k));
          if (rcr_has_suffix (n, suffix))
            return n;
        }
    }
  return NULL;
}

static void
delete_image (json_object *arr, json_object *img, json_object *deleted)
{
  const char *id = rcr_json_get_string (img, "id", "");
  json_object_array_add (deleted, json_object_new_string (id));
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    if (json_object_array_get_idx (arr, i) == img)
      {
        json_object_array_del_idx (arr, i, 1);
        break;
      }
}

int
rcr_images_remove (struct rcr_store *s, const char *name, bool force, bool (*in_use) (const char *id),
                   json_object *untagged, json_object *deleted, rcr_error_t *err)
{
  cleanup_json json_object *images = NULL;
  json_object *img, *arr, *names;
  const char *exact;
  int ret = 0;

  if (load_locked (s, LOCK_EX, &images, err) < 0)
    return -1;
  arr = rcr_json_get_array (images, "images");
  img = rcr_store_image_find (images, name);
  if (img == NULL)
    {
      ret = not_known (name, err);
      goto out;
    }
  names = rcr_json_get_array (img, "names");
  exact = matching_name (img, name);
  if (in_use && in_use (rcr_json_get_string (img, "id", "")) && !force)
    {
      ret = rcr_make_error (err, 0, "image used by a container: %s; remove the container first or use --force",
                            rcr_json_get_string (img, "id", ""));
      (*err)->status = RCR_IMAGE_IN_USE;
      goto out;
    }
  if (exact && names && json_object_array_length (names) > 1)
    {
      cleanup_free char *n = rcr_xstrdup (exact);
      remove_name_everywhere (arr, n);
      json_object_array_add (untagged, json_object_new_string (n));
    }
  else
    {
      if (!exact && names && json_object_array_length (names) > 1 && !force)
        {
          ret = rcr_make_error (err, 0,
                                "unable to delete image \"%s\" by ID with more than one tag (%zu): please force "
                                "removal",
                                rcr_json_get_string (img, "id", ""), json_object_array_length (names));
          goto out;
        }
      for (size_t k = 0; names && k < json_object_array_length (names); k++)
        json_object_array_add (untagged, json_object_get (json_object_array_get_idx (names, k)));
      delete_image (arr, img, deleted);
    }
  /* the image list first: a crash between the two leaves only unreferenced files */
  if ((ret = rcr_store_images_save (s, images, err)) == 0)
    ret = rcr_store_gc (s, images, err);
out:
  rcr_store_lock (s, LOCK_UN, NULL);
  return ret;
}

int
rcr_images_prune (struct rcr_store *s, bool all, bool (*in_use) (const char *id), json_object *deleted,
                  rcr_error_t *err)
{
  cleanup_json json_object *images = NULL;
  json_object *arr;
  int ret;

  if (load_locked (s, LOCK_EX, &images, err) < 0)
    return -1;
  arr = rcr_json_get_array (images, "images");
  for (size_t i = 0; i < json_object_array_length (arr);)
    {
      json_object *img = json_object_array_get_idx (arr, i);
      json_object *names = rcr_json_get_array (img, "names");
      bool dangling = names == NULL || json_object_array_length (names) == 0;
      if ((dangling || all) && !(in_use && in_use (rcr_json_get_string (img, "id", ""))))
        delete_image (arr, img, deleted);
      else
        i++;
    }
  if ((ret = rcr_store_images_save (s, images, err)) == 0)
    ret = rcr_store_gc (s, images, err);
  rcr_store_lock (s, LOCK_UN, NULL);
  return ret;
}
