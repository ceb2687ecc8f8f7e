/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "manifest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/util.h"
#include "storage/ref.h"

#define MAX_LAYERS 500
#define MAX_INDEX_ENTRIES 1000
#define LAYER_MAX_SIZE (64LL << 30)

static bool
is_manifest_type (const char *t)
{
  return strcmp (t, RCR_MT_OCI_MANIFEST) == 0 || strcmp (t, RCR_MT_DOCKER_MANIFEST) == 0;
}

static bool
is_index_type (const char *t)
{
  return strcmp (t, RCR_MT_OCI_INDEX) == 0 || strcmp (t, RCR_MT_DOCKER_LIST) == 0;
}

static bool
is_config_type (const char *t)
{
  return strcmp (t, "application/vnd.oci.image.config.v1+json") == 0
         || strcmp (t, "application/vnd.docker.container.image.v1+json") == 0;
}

static int
layer_compression (const char *t, enum rcr_compression *c)
{
  static const struct
  {
    const char *type;
    enum rcr_compression c;
  } known[] = {
    { "application/vnd.oci.image.layer.v1.tar", RCR_COMPRESSION_NONE },
    { "application/vnd.oci.image.layer.v1.tar+gzip", RCR_COMPRESSION_GZIP },
    { "application/vnd.oci.image.layer.v1.tar+zstd", RCR_COMPRESSION_ZSTD },
    { "application/vnd.oci.image.layer.nondistributable.v1.tar", RCR_COMPRESSION_NONE },
    { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", RCR_COMPRESSION_GZIP },
    { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", RCR_COMPRESSION_ZSTD },
    { "application/vnd.docker.image.rootfs.diff.tar.gzip", RCR_COMPRESSION_GZIP },
    { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", RCR_COMPRESSION_GZIP },
    { "application/vnd.docker.image.rootfs.diff.tar", RCR_COMPRESSION_NONE },
  };
  for (size_t i = 0; i < sizeof (known) / sizeof (known[0]); i++)
    if (strcmp (t, known[i].type) == 0)
      {
        *c = known[i].c;
        return 0;
      }
  return -1;
}

static void
descriptor_clear (struct rcr_descriptor *d)
{
  free (d->media_type);
  free (d->digest);
  free (d->os);
  free (d->arch);
  free (d->variant);
  memset (d, 0, sizeof (*d));
}

void
rcr_manifest_free (struct rcr_manifest *m)
{
  if (m == NULL)
    return;
  free (m->media_type);
  descriptor_clear (&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    descriptor_clear (&m->layers[i]);
  for (size_t i = 0; i < m->n_manifests; i++)
    descriptor_clear (&m->manifests[i]);
  free (m->layers);
  free (m->manifests);
  free (m);
}

/* A descriptor's digest, size and media type; "urls" are ignored on purpose: rcr only
   fetches blobs from the registry the manifest came from. */
static int
parse_descriptor (json_object *o, const char *what, int64_t max_size, struct rcr_descriptor *d, rcr_error_t *err)
{
  json_object *size;
  const char *mt, *digest;

  if (o == NULL || !json_object_is_type (o, json_type_object))
    return rcr_make_error (err, 0, "%s: not an object", what);
  mt = rcr_json_get_string (o, "mediaType", NULL);
  digest = rcr_json_get_string (o, "digest", NULL);
  if (!rcr_digest_valid (digest))
    return rcr_make_error (err, 0, "%s: invalid digest \"%s\"", what, digest ? digest : "");
  if (!json_object_object_get_ex (o, "size", &size) || !json_object_is_type (size, json_type_int)
      || json_object_get_int64 (size) < 0)
    return rcr_make_error (err, 0, "%s: missing or invalid size", what);
  if (json_object_get_int64 (size) > max_size)
    return rcr_make_error (err, 0, "%s: size %lld exceeds the limit of %lld bytes", what,
                           (long long)json_object_get_int64 (size), (long long)max_size);
  d->media_type = rcr_xstrdup (mt ? mt : "");
  d->digest = rcr_xstrdup (digest);
  d->size = json_object_get_int64 (size);
  return 0;
}

int
rcr_manifest_parse (const char *body, size_t len, const char *served_type, struct rcr_manifest **out, rcr_error_t *err)
{
  cleanup_json json_object *j = NULL;
  struct rcr_manifest *m;
  const char *mt;
  json_object *arr;
  int64_t version;

  if (len > RCR_MANIFEST_MAX_BYTES)
    return rcr_make_error (err, 0, "manifest of %zu bytes exceeds the limit", len);
  if (rcr_json_parse (body, "manifest", &j, err) < 0)
    return -1;
  if (!json_object_is_type (j, json_type_object))
    return rcr_make_error (err, 0, "manifest is not a JSON object");
  version = rcr_json_get_int64 (j, "schemaVersion", 0);
  if (version == 1)
    return rcr_make_error (err, 0,
                           "Docker schema 1 manifests are not supported; push the image again with a "
                           "current client");
  if (version != 2)
    return rcr_make_error (err, 0, "manifest has unsupported schemaVersion %lld", (long long)version);
  mt = rcr_json_get_string (j, "mediaType", NULL);
  if (mt == NULL || *mt == '\0')
    {
      /* OCI allows omitting mediaType; tell manifest and index apart by their fields. */
      if (served_type && (is_manifest_type (served_type) || is_index_type (served_type)))
        mt = served_type;
      else if (rcr_json_get_array (j, "manifests"))
        mt = RCR_MT_OCI_INDEX;
      else
        mt = RCR_MT_OCI_MANIFEST;
    }
  if (!is_manifest_type (mt) && !is_index_type (mt))
    return rcr_make_error (err, 0, "unsupported manifest media type \"%s\"", mt);
  if (served_type && (is_manifest_type (served_type) || is_index_type (served_type))
      && is_index_type (served_type) != is_index_type (mt))
    return rcr_make_error (err, 0, "manifest served as %s but is a %s", served_type, mt);
  /* An index has manifests and no layers; a manifest the reverse. */
  if (is_index_type (mt) && (rcr_json_get_array (j, "layers") || rcr_json_get_object (j, "config")))
    return rcr_make_error (err, 0, "index of type %s carries layers or a config", mt);
  if (is_manifest_type (mt) && rcr_json_get_array (j, "manifests"))
    return rcr_make_error (err, 0, "manifest of type %s carries a manifests list", mt);

  m = rcr_xmalloc0 (sizeof (*m));
  m->media_type = rcr_xstrdup (mt);
  m->is_index = is_index_type (mt);
  if (m->is_index)
    {
      arr = rcr_json_get_array (j, "manifests");
      if (arr == NULL || json_object_array_length (arr) == 0)
        goto fail_msg_empty;
      if (json_object_array_length (arr) > MAX_INDEX_ENTRIES)
        {
          rcr_manifest_free (m);
          return rcr_make_error (err, 0, "index lists more than %d manifests", MAX_INDEX_ENTRIES);
        }
      m->n_manifests = json_object_array_length (arr);
      m->manifests = rcr_xmalloc0 (m->n_manifests * sizeof (*m->manifests));
      for (size_t i = 0; i < m->n_manifests; i++)
        {
          json_object *e = json_object_array_get_idx (arr, i), *plat;
          cleanup_free char *what = rcr_strdup_printf ("index entry %zu", i);
          if (parse_descriptor (e, what, RCR_MANIFEST_MAX_BYTES, &m->manifests[i], err) < 0)
            {
              rcr_manifest_free (m);
              return -1;
            }
          plat = rcr_json_get_object (e, "platform");
          m->manifests[i].os = rcr_xstrdup (rcr_json_get_string (plat, "os", NULL));
          m->manifests[i].arch = rcr_xstrdup (rcr_json_get_string (plat, "architecture", NULL));
          m->manifests[i].variant = rcr_xstrdup (rcr_json_get_string (plat, "variant", NULL));
        }
      *out = m;
      return 0;
    }

  if (parse_descriptor (rcr_json_get_object (j, "config"), "config", RCR_CONFIG_MAX_SIZE, &m->config, err) < 0)
    {
      rcr_manifest_free (m);
      return -1;
    }
  if (!is_config_type (m->config.media_type))
    {
      int r = rcr_make_error (err, 0, "unsupported config media type \"%s\"", m->config.media_type);
      rcr_manifest_free (m);
      return r;
    }
  arr = rcr_json_get_array (j, "layers");
  if (arr == NULL)
    goto fail_msg_empty;
  if (json_object_array_length (arr) > MAX_LAYERS)
    {
      rcr_manifest_free (m);
      return rcr_make_error (err, 0, "manifest has more than %d layers", MAX_LAYERS);
    }
  m->n_layers = json_object_array_length (arr);
  m->layers = rcr_xmalloc0 ((m->n_layers ? m->n_layers : 1) * sizeof (*m->layers));
  for (size_t i = 0; i < m->n_layers; i++)
    {
      cleanup_free char *what = rcr_strdup_printf ("layer %zu", i);
      struct rcr_descriptor *d = &m->layers[i];
      if (parse_descriptor (json_object_array_get_idx (arr, i), what, LAYER_MAX_SIZE, d, err) < 0)
        {
          rcr_manifest_free (m);
          return -1;
        }
      if (layer_compression (d->media_type, &d->compression) < 0)
        {
          int r = rcr_make_error (err, 0, "layer %zu: unsupported media type \"%s\"", i, d->media_type);
          rcr_manifest_free (m);
          return r;
        }
    }
  *out = m;
  return 0;

fail_msg_empty:
  rcr_manifest_free (m);
  return rcr_make_error (err, 0, "%s without %s", mt, is_index_type (mt) ? "manifests" : "layers");
}

void
rcr_platform_clear (struct rcr_platform *p)
{
  free (p->os);
  free (p->arch);
  free (p->variant);
  memset (p, 0, sizeof (*p));
}

void
rcr_platform_host (struct rcr_platform *p)
{
  struct utsname u;
  const char *arch, *variant = NULL;

  uname (&u);
  if (strcmp (u.machine, "x86_64") == 0)
    arch = "amd64";
  else if (strcmp (u.machine, "aarch64") == 0)
    {
      arch = "arm64";
      variant = "v8";
    }
  else if (rcr_has_prefix (u.machine, "armv7"))
    {
      arch = "arm";
      variant = "v7";
    }
  else if (strcmp (u.machine, "i686") == 0 || strcmp (u.machine, "i386") == 0)
    arch = "386";
  else
    arch = u.machine;
  p->os = rcr_xstrdup ("linux");
  p->arch = rcr_xstrdup (arch);
  p->variant = rcr_xstrdup (variant);
}

int
rcr_platform_parse (const char *s, struct rcr_platform *p, rcr_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *parts[4] = { 0 };
  int n = 0;

  memset (p, 0, sizeof (*p));
  if (s == NULL || *s == '\0')
    {
      rcr_platform_host (p);
      return 0;
    }
  copy = rcr_xstrdup (s);
  for (char *save = NULL, *t = strtok_r (copy, "/", &save); t; t = strtok_r (NULL, "/", &save))
    {
      if (n == 3)
        return rcr_make_error (err, 0, "invalid platform \"%s\": expected os/arch[/variant]", s);
      parts[n++] = t;
    }
  if (n < 2)
    return rcr_make_error (err, 0, "invalid platform \"%s\": expected os/arch[/variant], e.g. linux/arm64", s);
  for (int i = 0; i < n; i++)
    for (const char *c = parts[i]; *c; c++)
      if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
        return rcr_make_error (err, 0, "invalid platform \"%s\": unexpected character '%c'", s, *c);
  p->os = rcr_xstrdup (parts[0]);
  p->arch = rcr_xstrdup (parts[1]);
  p->variant = n == 3 ? rcr_xstrdup (parts[2]) : NULL;
  if (p->variant == NULL && strcmp (p->arch, "arm64") == 0)
    p->variant = rcr_xstrdup ("v8");
  return 0;
}

static bool
variant_matches (const char *want, const char *arch, const char *have)
{
  if (want == NULL)
    return true;
  if (have == NULL)
    /* arm64 images usually omit the default variant v8 */
    return strcmp (arch, "arm64") == 0 && strcmp (want, "v8") == 0;
  return strcmp (want, have) == 0;
}

int
rcr_manifest_select (const struct rcr_manifest *index, const struct rcr_platform *p, const struct rcr_descriptor **out,
                     rcr_error_t *err)
{
  cleanup_free char *offered = NULL;

  for (size_t i = 0; i < index->n_manifests; i++)
    {
      const struct rcr_descriptor *d = &index->manifests[i];
      if (d->os && d->arch && strcmp (d->os, p->os) == 0 && strcmp (d->arch, p->arch) == 0
          && variant_matches (p->variant, d->arch, d->variant))
        {
          *out = d;
          return 0;
        }
    }
  for (size_t i = 0; i < index->n_manifests; i++)
    {
      const struct rcr_descriptor *d = &index->manifests[i];
      char *next = rcr_strdup_printf ("%s%s%s/%s%s%s", offered ? offered : "", offered ? ", " : "", d->os ? d->os : "?",
                                      d->arch ? d->arch : "?", d->variant ? "/" : "", d->variant ? d->variant : "");
      free (offered);
      offered = next;
    }
  return rcr_make_error (err, ENOENT,
                         "no image for platform %s/%s%s%s in the index (it has: %s); choose one with --platform", p->os,
                         p->arch, p->variant ? "/" : "", p->variant ? p->variant : "", offered ? offered : "nothing");
}

int
rcr_config_diff_ids (const char *config, size_t len, char ***diff_ids, size_t *n, rcr_error_t *err)
{
  cleanup_json json_object *j = NULL;
  json_object *rootfs, *ids;
  char **v;
  size_t count;

  if (len > RCR_CONFIG_MAX_SIZE)
    return rcr_make_error (err, 0, "image config exceeds %d bytes", RCR_CONFIG_MAX_SIZE);
  if (rcr_json_parse (config, "image config", &j, err) < 0)
    return -1;
  rootfs = rcr_json_get_object (j, "rootfs");
  ids = rcr_json_get_array (rootfs, "diff_ids");
  if (ids == NULL)
    return rcr_make_error (err, 0, "image config has no rootfs.diff_ids");
  count = json_object_array_length (ids);
  v = rcr_xmalloc0 ((count + 1) * sizeof (char *));
  for (size_t i = 0; i < count; i++)
    {
      const char *s = json_object_get_string (json_object_array_get_idx (ids, i));
      if (!rcr_digest_valid (s))
        {
          rcr_cleanup_strvp (&v);
          return rcr_make_error (err, 0, "image config: invalid diff_id \"%s\"", s ? s : "");
        }
      v[i] = rcr_xstrdup (s);
    }
  *diff_ids = v;
  *n = count;
  return 0;
}
