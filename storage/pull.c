/* SPDX-License-Identifier: Apache-2.0 */
/* rcr pull: name → sources → manifest → config → missing layers (parallel, verified) →
   extraction in the user namespace → one short exclusive-locked commit. */
#define _GNU_SOURCE
#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/auth.h"
#include "storage/layer.h"
#include "storage/manifest.h"
#include "storage/ref.h"
#include "storage/registries.h"
#include "userns/userns.h"

#define DEFAULT_PARALLEL 4
#define MAX_NESTED_INDEX 2

/* One distinct layer of the image being pulled. */
struct pull_layer
{
  const struct rcr_descriptor *desc;
  const char *diff_id;
  bool present;     /* already in the store */
  char *blob_path;  /* downloaded blob in the staging dir */
  char *staged_dir; /* staging/.../L<i>, holding diff/ and layer.json */
};

struct pull_state
{
  struct rcr_store *s;
  const struct rcr_pull_opts *opts;
  struct rcr_staging staging;
  struct pull_layer *layers;
  size_t n_layers;
};

static void
emit_blob (const struct rcr_pull_opts *o, const char *kind, const char *digest, int64_t size, const char *state)
{
  if (o->events && o->events->blob)
    o->events->blob (o->events->ctx, kind, digest, size, state);
}

static void
emit_warning (const struct rcr_pull_opts *o, const char *msg)
{
  if (o->events && o->events->warning)
    o->events->warning (o->events->ctx, msg);
  else
    rcr_warn ("%s", msg);
}

/* ---- extraction, in the user namespace ---- */

struct extract_job
{
  struct pull_state *ps;
};

static uint64_t
layer_byte_limit (int64_t compressed)
{
  const char *env = getenv ("RCR_LAYER_MAX_BYTES");
  uint64_t v;
  if (env && rcr_parse_u64 (env, &v) == 0 && v > 0)
    return v;
  /* Real layers compress 2-10x; a thousandfold expansion is a bomb. */
  v = (uint64_t)compressed * 100;
  if (v < (1ULL << 30))
    v = 1ULL << 30;
  return v < RCR_LAYER_DEFAULT_MAX_BYTES ? v : RCR_LAYER_DEFAULT_MAX_BYTES;
}

static int
extract_one (struct pull_state *ps, struct pull_layer *l, rcr_error_t *err)
{
  cleanup_free char *diff = rcr_strdup_printf ("%s/diff", l->staged_dir);
  cleanup_free char *meta = rcr_strdup_printf ("%s/layer.json", l->staged_dir);
  cleanup_close int fd = -1;
  cleanup_json json_object *j = NULL;
  struct rcr_layer_limits limits
      = { .max_bytes = layer_byte_limit (l->desc->size), .max_entries = RCR_LAYER_DEFAULT_MAX_ENTRIES };
  struct rcr_layer_stats stats = { 0 };

  if (mkdir (l->staged_dir, 0700) < 0 || mkdir (diff, 0755) < 0)
    return rcr_make_error (err, errno, "mkdir \"%s\"", diff);
  fd = open (l->blob_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", l->blob_path);
  if (rcr_layer_extract (fd, diff, &limits, rcr_store_opaque_xattr (ps->s), false, &stats, err) < 0)
    return rcr_error_wrap (err, "extract layer %s", l->desc->digest);
  if (strcmp (stats.diff_id, l->diff_id) != 0)
    return rcr_make_error (err, 0, "layer %s: uncompressed content has digest %s but the image config says %s",
                           l->desc->digest, stats.diff_id, l->diff_id);
  j = json_object_new_object ();
  json_object_object_add (j, "diffId", json_object_new_string (l->diff_id));
  json_object_object_add (j, "compressedDigest", json_object_new_string (l->desc->digest));
  json_object_object_add (j, "compressedSize", json_object_new_int64 (l->desc->size));
  json_object_object_add (j, "size", json_object_new_int64 ((int64_t)stats.uncompressed_size));
  json_object_object_add (j, "entries", json_object_new_int64 ((int64_t)stats.entries));
  return rcr_json_write_file (meta, j, 0600, err);
}

/* Extracts the layers assigned to worker w; runs in a forked worker. */
static int
extract_share (struct pull_state *ps, const int *owner, int w, rcr_error_t *err)
{
  for (size_t i = 0; i < ps->n_layers; i++)
    if (!ps->layers[i].present && owner[i] == w && extract_one (ps, &ps->layers[i], err) < 0)
      return -1;
  return 0;
}

/* Layers are independent directories: extract them in parallel, one worker per CPU,
   the biggest layers spread first. Runs as root of the user namespace. */
static int
extract_all_cb (void *arg, rcr_error_t *err)
{
  struct pull_state *ps = arg;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  int workers, first_failed = -1;
  size_t missing = 0;
  cleanup_free int *owner = rcr_xmalloc0 ((ps->n_layers + 1) * sizeof (int));
  cleanup_free int64_t *load = NULL;
  cleanup_free pid_t *pids = NULL;
  cleanup_free int *pipes = NULL;

  for (size_t i = 0; i < ps->n_layers; i++)
    missing += !ps->layers[i].present;
  workers = (int)(cpus < 1 ? 1 : cpus);
  if ((size_t)workers > missing)
    workers = (int)missing;
  if (workers <= 1)
    return extract_share (ps, owner, 0, err);

  load = rcr_xmalloc0 ((size_t)workers * sizeof (int64_t));
  for (;;)
    {
      /* largest unassigned layer to the least loaded worker */
      ssize_t best = -1;
      int w = 0;
      for (size_t i = 0; i < ps->n_layers; i++)
        if (!ps->layers[i].present && owner[i] == 0
            && (best < 0 || ps->layers[i].desc->size > ps->layers[best].desc->size))
          best = (ssize_t)i;
      if (best < 0)
        break;
      for (int k = 1; k < workers; k++)
        if (load[k] < load[w])
          w = k;
      owner[best] = w + 1;
      load[w] += ps->layers[best].desc->size;
    }
  for (size_t i = 0; i < ps->n_layers; i++)
    owner[i]--;

  pids = rcr_xmalloc0 ((size_t)workers * sizeof (pid_t));
  pipes = rcr_xmalloc0 ((size_t)workers * sizeof (int));
  for (int w = 0; w < workers; w++)
    {
      int p[2];
      if (pipe2 (p, O_CLOEXEC) < 0)
        return rcr_make_error (err, errno, "pipe");
      pids[w] = fork ();
      if (pids[w] < 0)
        return rcr_make_error (err, errno, "fork");
      if (pids[w] == 0)
        {
          rcr_error_t werr = NULL;
          close (p[0]);
          if (extract_share (ps, owner, w, &werr) < 0)
            {
              (void)!write (p[1], werr->msg, strlen (werr->msg));
              _exit (1);
            }
          _exit (0);
        }
      close (p[1]);
      pipes[w] = p[0];
    }
  for (int w = 0; w < workers; w++)
    {
      char msg[4096];
      ssize_t n = read (pipes[w], msg, sizeof (msg) - 1);
      int status = 0;
      close (pipes[w]);
      while (waitpid (pids[w], &status, 0) < 0 && errno == EINTR)
        ;
      if ((n > 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0) && first_failed < 0)
        {
          first_failed = w;
          msg[n > 0 ? n : 0] = '\0';
          rcr_make_error (err, 0, "%s", n > 0 ? msg : "layer extraction worker failed");
        }
    }
  return first_failed < 0 ? 0 : -1;
}

/* ---- fetching ---- */

static int
new_client (const struct rcr_pull_source *src, const struct rcr_image_ref *ref, const struct rcr_pull_opts *o,
            struct rcr_registry_client **out, rcr_error_t *err)
{
  cleanup_free char *user = NULL, *password = NULL, *source_file = NULL;
  struct rcr_registry_opts ro = { 0 };
  int ret;

  if (o->creds)
    {
      if (rcr_auth_parse_creds (o->creds, &user, &password, err) < 0)
        return -1;
      if (password == NULL || *password == '\0')
        return rcr_make_error (err, 0, "--creds \"%s\" has no password: use --creds USER:PASSWORD", user);
    }
  else if (rcr_auth_lookup (o->authfile, ref->domain, ref->path, &user, &password, &source_file, err) < 0)
    return -1;
  ro.host = ref->domain;
  ro.insecure = o->tls_verify == 0 || (o->tls_verify < 0 && src->insecure);
  ro.tls_verify = !ro.insecure;
  ro.username = user;
  ro.password = password;
  ret = rcr_registry_new (&ro, out, err);
  if (password)
    explicit_bzero (password, strlen (password));
  return ret;
}

/* Fetches the manifest for ref, descending through an index to this platform. */
static int
fetch_manifest (struct rcr_registry_client *c, const struct rcr_image_ref *ref, const struct rcr_platform *plat,
                char **body, size_t *len, char **digest, char **index_digest, struct rcr_manifest **out,
                rcr_error_t *err)
{
  cleanup_free char *reference = rcr_xstrdup (ref->digest ? ref->digest : ref->tag);

  for (int depth = 0;; depth++)
    {
      cleanup_free char *media_type = NULL;
      struct rcr_manifest *m = NULL;
      const struct rcr_descriptor *chosen;

      free (*body);
      *body = NULL;
      free (*digest);
      *digest = NULL;
      if (rcr_registry_get_manifest (c, ref->path, reference, body, len, &media_type, digest, err) < 0)
        return -1;
      if (rcr_manifest_parse (*body, *len, media_type, &m, err) < 0)
        return rcr_error_wrap (err, "manifest %s", *digest);
      if (!m->is_index)
        {
          *out = m;
          return 0;
        }
      if (depth >= MAX_NESTED_INDEX)
        {
          rcr_manifest_free (m);
          return rcr_make_error (err, 0, "index %s nests more than %d levels", *digest, MAX_NESTED_INDEX);
        }
      if (rcr_manifest_select (m, plat, &chosen, err) < 0)
        {
          rcr_manifest_free (m);
          return -1;
        }
      if (*index_digest == NULL)
        *index_digest = rcr_xstrdup (*digest);
      free (reference);
      reference = rcr_xstrdup (chosen->digest);
      rcr_manifest_free (m);
    }
}

static int
open_staged_file (struct pull_state *ps, const char *name, char **path, rcr_error_t *err)
{
  int fd;
  *path = rcr_strdup_printf ("%s/%s", ps->staging.dir, name);
  fd = open (*path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return rcr_make_error (err, errno, "create \"%s\"", *path);
  return fd;
}

static int
fetch_config (struct pull_state *ps, struct rcr_registry_client *c, const char *repo, const struct rcr_descriptor *cfg,
              char **data, size_t *len, rcr_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  struct rcr_blob_fetch f = { 0 };

  if (rcr_store_has_blob (ps->s, cfg->digest))
    {
      emit_blob (ps->opts, "config", cfg->digest, cfg->size, "exists");
      return rcr_store_read_blob (ps->s, cfg->digest, RCR_CONFIG_MAX_SIZE, data, len, err);
    }
  fd = open_staged_file (ps, "config", &path, err);
  if (fd < 0)
    return -1;
  f.digest = cfg->digest;
  f.size = cfg->size;
  f.fd = fd;
  if (rcr_registry_fetch_blobs (c, repo, &f, 1, 1, NULL, NULL, err) < 0)
    return -1;
  emit_blob (ps->opts, "config", cfg->digest, cfg->size, "done");
  /* verified while streaming: read it back for parsing */
  return rcr_read_file (path, RCR_CONFIG_MAX_SIZE, data, len, err);
}

static int
fetch_layers (struct pull_state *ps, struct rcr_registry_client *c, const char *repo, rcr_error_t *err)
{
  cleanup_free struct rcr_blob_fetch *fetches = rcr_xmalloc0 ((ps->n_layers + 1) * sizeof (*fetches));
  size_t n = 0;
  int ret = 0;

  for (size_t i = 0; i < ps->n_layers; i++)
    {
      struct pull_layer *l = &ps->layers[i];
      cleanup_free char *name = NULL;
      int fd;
      if (l->present)
        {
          emit_blob (ps->opts, "blob", l->desc->digest, l->desc->size, "exists");
          continue;
        }
      name = rcr_strdup_printf ("blob-%zu", i);
      fd = open_staged_file (ps, name, &l->blob_path, err);
      if (fd < 0)
        {
          ret = -1;
          break;
        }
      l->staged_dir = rcr_strdup_printf ("%s/L%zu", ps->staging.dir, i);
      fetches[n].digest = l->desc->digest;
      fetches[n].size = l->desc->size;
      fetches[n].fd = fd;
      n++;
      emit_blob (ps->opts, "blob", l->desc->digest, l->desc->size, "copying");
    }
  if (ret == 0 && n > 0)
    ret = rcr_registry_fetch_blobs (c, repo, fetches, n, ps->opts->parallel > 0 ? ps->opts->parallel : DEFAULT_PARALLEL,
                                    ps->opts->events ? ps->opts->events->progress : NULL,
                                    ps->opts->events ? ps->opts->events->ctx : NULL, err);
  for (size_t i = 0; i < n; i++)
    {
      if (ret == 0)
        emit_blob (ps->opts, "blob", fetches[i].digest, fetches[i].size, "done");
      close (fetches[i].fd);
    }
  return ret;
}

/* ---- commit ---- */

static void
array_remove_string (json_object *arr, const char *s)
{
  for (size_t i = 0; i < json_object_array_length (arr);)
    if (strcmp (json_object_get_string (json_object_array_get_idx (arr, i)), s) == 0)
      json_object_array_del_idx (arr, i, 1);
    else
      i++;
}

static void
array_add_unique (json_object *arr, const char *s)
{
  array_remove_string (arr, s);
  json_object_array_add (arr, json_object_new_string (s));
}

static int
commit (struct pull_state *ps, const char *name, const char *repo_digest, const char *manifest_body,
        size_t manifest_len, const char *manifest_digest, const char *index_digest, const char *config,
        size_t config_len, const struct rcr_manifest *m, char **image_id, rcr_error_t *err)
{
  cleanup_json json_object *images = NULL;
  cleanup_json json_object *cfg = NULL;
  const char *id = m->config.digest + 7;
  json_object *arr, *img, *names, *digests, *layers, *compressed;
  int64_t size = 0;

  if (rcr_store_lock (ps->s, LOCK_EX, err) < 0)
    return -1;
  /* Layers first: an image is only recorded once everything it needs is in place. */
  for (size_t i = 0; i < ps->n_layers; i++)
    {
      struct pull_layer *l = &ps->layers[i];
      cleanup_free char *dest = rcr_store_path (ps->s, "layers/%s", l->diff_id + 7);
      if (l->present)
        {
          if (!rcr_store_has_layer (ps->s, l->diff_id))
            return rcr_make_error (err, 0, "layer %s was removed while pulling; pull again", l->diff_id);
          continue;
        }
      if (rcr_store_has_layer (ps->s, l->diff_id))
        continue; /* a concurrent pull stored it first; ours is dropped with the staging dir */
      if (rename (l->staged_dir, dest) < 0)
        {
          if (errno == EEXIST || errno == ENOTEMPTY)
            {
              /* an incomplete leftover: replace it */
              rcr_error_t tmp = NULL;
              if (rcr_store_remove_tree (ps->s, dest, &tmp) < 0 || rename (l->staged_dir, dest) < 0)
                {
                  if (tmp)
                    *err = tmp;
                  else
                    rcr_make_error (err, errno, "rename layer into \"%s\"", dest);
                  return -1;
                }
            }
          else
            return rcr_make_error (err, errno, "rename layer into \"%s\"", dest);
        }
    }
  if (rcr_store_put_blob (ps->s, manifest_digest, manifest_body, manifest_len, err) < 0
      || rcr_store_put_blob (ps->s, m->config.digest, config, config_len, err) < 0)
    return -1;
  if (rcr_store_images_load (ps->s, &images, err) < 0)
    return -1;
  arr = rcr_json_get_array (images, "images");

  /* A tag names one image: take it away from any other. */
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    {
      json_object *other = json_object_array_get_idx (arr, i);
      json_object *on = rcr_json_get_array (other, "names");
      if (strcmp (rcr_json_get_string (other, "id", ""), id) != 0 && on)
        array_remove_string (on, name);
    }
  img = NULL;
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    if (strcmp (rcr_json_get_string (json_object_array_get_idx (arr, i), "id", ""), id) == 0)
      img = json_object_array_get_idx (arr, i);
  if (img == NULL)
    {
      img = json_object_new_object ();
      json_object_object_add (img, "id", json_object_new_string (id));
      json_object_object_add (img, "names", json_object_new_array ());
      json_object_object_add (img, "repoDigests", json_object_new_array ());
      json_object_array_add (arr, img);
    }
  names = rcr_json_get_array (img, "names");
  digests = rcr_json_get_array (img, "repoDigests");
  if (names == NULL)
    json_object_object_add (img, "names", names = json_object_new_array ());
  if (digests == NULL)
    json_object_object_add (img, "repoDigests", digests = json_object_new_array ());
  if (name)
    array_add_unique (names, name);
  array_add_unique (digests, repo_digest);

  layers = json_object_new_array ();
  compressed = json_object_new_array ();
  for (size_t i = 0; i < m->n_layers; i++)
    json_object_array_add (compressed, json_object_new_string (m->layers[i].digest));
  for (size_t i = 0; i < ps->n_layers; i++)
    {
      cleanup_free char *meta = rcr_store_path (ps->s, "layers/%s/layer.json", ps->layers[i].diff_id + 7);
      cleanup_json json_object *lj = NULL;
      rcr_error_t tmp = NULL;
      json_object_array_add (layers, json_object_new_string (ps->layers[i].diff_id));
      if (rcr_json_read_file (meta, 1 << 20, &lj, &tmp) == 0)
        size += rcr_json_get_int64 (lj, "size", 0);
      rcr_error_release (&tmp);
    }
  json_object_object_add (img, "layers", layers);
  json_object_object_add (img, "compressedLayers", compressed);
  json_object_object_add (img, "manifestDigest", json_object_new_string (manifest_digest));
  json_object_object_add (img, "configDigest", json_object_new_string (m->config.digest));
  if (index_digest)
    json_object_object_add (img, "indexDigest", json_object_new_string (index_digest));
  json_object_object_add (img, "manifestMediaType", json_object_new_string (m->media_type));
  json_object_object_add (img, "size", json_object_new_int64 (size));
  {
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    json_object_object_add (img, "pulledAt", json_object_new_int64 ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec));
  }
  if (rcr_json_parse (config, "image config", &cfg, err) < 0)
    return -1;
  json_object_object_add (img, "created", json_object_new_string (rcr_json_get_string (cfg, "created", "")));
  json_object_object_add (img, "architecture", json_object_new_string (rcr_json_get_string (cfg, "architecture", "")));
  json_object_object_add (img, "os", json_object_new_string (rcr_json_get_string (cfg, "os", "")));

  if (rcr_store_images_save (ps->s, images, err) < 0)
    return -1;
  *image_id = rcr_xstrdup (id);
  return 0;
}

/* Pulls from one source; fails without side effects on the image list. */
static int
pull_from (struct pull_state *ps, const struct rcr_pull_source *src, const char *name,
           const struct rcr_image_ref *canon, const struct rcr_platform *plat, char **image_id, rcr_error_t *err)
{
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  struct rcr_registry_client *c = NULL;
  cleanup_manifest struct rcr_manifest *m = NULL;
  cleanup_free char *body = NULL, *digest = NULL, *index_digest = NULL, *config = NULL;
  cleanup_free char *canon_name = NULL, *repo_digest = NULL;
  cleanup_strv char **diff_ids = NULL;
  size_t len = 0, config_len = 0, n_diff = 0;
  int ret = -1;

  if (rcr_image_ref_parse (src->reference, &ref, err) < 0)
    return -1;
  if (new_client (src, ref, ps->opts, &c, err) < 0)
    return -1;
  if (fetch_manifest (c, ref, plat, &body, &len, &digest, &index_digest, &m, err) < 0)
    goto out;
  if (fetch_config (ps, c, ref->path, &m->config, &config, &config_len, err) < 0)
    goto out;
  if (rcr_config_diff_ids (config, config_len, &diff_ids, &n_diff, err) < 0)
    goto out;
  if (n_diff != m->n_layers)
    {
      rcr_make_error (err, 0, "image config lists %zu layers but the manifest has %zu", n_diff, m->n_layers);
      goto out;
    }
  {
    cleanup_json json_object *cj = NULL;
    if (rcr_json_parse (config, "image config", &cj, err) < 0)
      goto out;
    const char *arch = rcr_json_get_string (cj, "architecture", "");
    const char *os = rcr_json_get_string (cj, "os", "");
    if ((*arch && strcmp (arch, plat->arch) != 0) || (*os && strcmp (os, plat->os) != 0))
      {
        cleanup_free char *w = rcr_strdup_printf ("image platform (%s/%s) does not match the expected platform (%s/%s)",
                                                  os, arch, plat->os, plat->arch);
        emit_warning (ps->opts, w);
      }
  }

  /* distinct layers, in order */
  ps->layers = rcr_xmalloc0 ((n_diff + 1) * sizeof (*ps->layers));
  for (size_t i = 0; i < n_diff; i++)
    {
      bool dup = false;
      for (size_t k = 0; k < ps->n_layers; k++)
        if (strcmp (ps->layers[k].diff_id, diff_ids[i]) == 0)
          dup = true;
      if (dup)
        continue;
      ps->layers[ps->n_layers].desc = &m->layers[i];
      ps->layers[ps->n_layers].diff_id = diff_ids[i];
      ps->layers[ps->n_layers].present = rcr_store_has_layer (ps->s, diff_ids[i]);
      ps->n_layers++;
    }
  if (fetch_layers (ps, c, ref->path, err) < 0)
    goto out;
  for (size_t i = 0; i < ps->n_layers; i++)
    if (!ps->layers[i].present)
      {
        if (rcr_userns_run_mapped (extract_all_cb, ps, 0, NULL, err) < 0)
          goto out;
        break;
      }

  canon_name = rcr_image_ref_name (canon);
  repo_digest = rcr_strdup_printf ("%s@%s", canon_name, digest);
  ret = commit (ps, name, repo_digest, body, len, digest, index_digest, config, config_len, m, image_id, err);

out:
  for (size_t i = 0; i < ps->n_layers; i++)
    {
      free (ps->layers[i].blob_path);
      free (ps->layers[i].staged_dir);
    }
  free (ps->layers);
  ps->layers = NULL;
  ps->n_layers = 0;
  rcr_registry_free (c);
  return ret;
}

/* ---- --pull=newer ---- */

/* The manifest digests the stored image ID is known by: the one it was pulled as, its
   index, and those of its repo digests (name@sha256:...). NULL when it is not stored. */
static char **
known_digests (struct rcr_store *s, const char *id, rcr_error_t *err)
{
  cleanup_json json_object *images = NULL;
  json_object *img, *rd;
  char **v;
  size_t n = 0;

  if (rcr_store_images_load (s, &images, err) < 0)
    return NULL;
  img = rcr_store_image_find (images, id);
  if (img == NULL)
    {
      rcr_make_error (err, ENOENT, "image %s is not in local storage any more", id);
      return NULL;
    }
  rd = rcr_json_get_array (img, "repoDigests");
  v = rcr_xmalloc0 ((3 + (rd ? json_object_array_length (rd) : 0)) * sizeof (char *));
  if (*rcr_json_get_string (img, "manifestDigest", ""))
    v[n++] = rcr_xstrdup (rcr_json_get_string (img, "manifestDigest", ""));
  if (*rcr_json_get_string (img, "indexDigest", ""))
    v[n++] = rcr_xstrdup (rcr_json_get_string (img, "indexDigest", ""));
  for (size_t i = 0; rd && i < json_object_array_length (rd); i++)
    {
      const char *at = strrchr (json_object_get_string (json_object_array_get_idx (rd, i)), '@');
      if (at)
        v[n++] = rcr_xstrdup (at + 1);
    }
  v[n] = NULL;
  return v;
}

/* podman's hasDifferentDigest: 1 when the registry's manifest for the platform (an
   index's entry for it, not the index) is none of known, 0 when it is one of them. Only
   the top manifest is fetched, never a blob. */
static int
registry_has_other (const struct rcr_pull_source *src, const struct rcr_pull_opts *o, const struct rcr_platform *plat,
                    char **known, rcr_error_t *err)
{
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  struct rcr_registry_client *c = NULL;
  cleanup_manifest struct rcr_manifest *m = NULL;
  cleanup_free char *body = NULL, *media_type = NULL, *digest = NULL;
  const char *remote;
  size_t len = 0;
  int ret = -1;

  if (rcr_image_ref_parse (src->reference, &ref, err) < 0 || new_client (src, ref, o, &c, err) < 0)
    return -1;
  if (rcr_registry_get_manifest (c, ref->path, ref->digest ? ref->digest : ref->tag, &body, &len, &media_type, &digest,
                                 err)
          < 0
      || rcr_manifest_parse (body, len, media_type, &m, err) < 0)
    goto out;
  remote = digest;
  if (m->is_index)
    {
      const struct rcr_descriptor *chosen;
      if (rcr_manifest_select (m, plat, &chosen, err) < 0)
        goto out;
      remote = chosen->digest;
    }
  ret = 1;
  for (char **k = known; *k; k++)
    if (strcmp (*k, remote) == 0)
      ret = 0;
out:
  rcr_registry_free (c);
  return ret;
}

/* The fully qualified names a (possibly short) name stands for, in the order to try. */
static char **
candidates (const struct rcr_registries *regs, const char *input, const struct rcr_image_ref *ref)
{
  char **v = rcr_xmalloc0 (sizeof (char *));
  size_t n = 0;
  const struct rcr_registry_alias *alias = NULL;
  cleanup_free char *bare = NULL;

  if (ref->short_name && regs)
    {
      /* the short name as typed, without tag or digest */
      bare = rcr_xstrndup (input, strcspn (input, ":@"));
      if (rcr_has_prefix (bare, "docker://"))
        memmove (bare, bare + 9, strlen (bare + 9) + 1);
      alias = rcr_registries_find_alias (regs, bare);
    }
  if (!ref->short_name)
    {
      v = rcr_xrealloc (v, 2 * sizeof (char *));
      v[n++] = rcr_image_ref_string (ref);
    }
  else if (alias)
    {
      v = rcr_xrealloc (v, 2 * sizeof (char *));
      v[n++] = rcr_strdup_printf ("%s%s%s%s%s", alias->value, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                                  ref->digest ? "@" : "", ref->digest ? ref->digest : "");
    }
  else if (regs && regs->search && regs->search[0])
    {
      const char *rest = input + (rcr_has_prefix (input, "docker://") ? 9 : 0);
      for (char **r = regs->search; *r; r++)
        {
          cleanup_image_ref struct rcr_image_ref *cand = NULL;
          cleanup_free char *full = rcr_strdup_printf ("%s/%s", *r, rest);
          rcr_error_t tmp = NULL;
          if (rcr_image_ref_parse (full, &cand, &tmp) < 0)
            {
              rcr_error_release (&tmp);
              continue;
            }
          v = rcr_xrealloc (v, (n + 2) * sizeof (char *));
          v[n++] = rcr_image_ref_string (cand);
        }
    }
  else
    {
      /* no search registries configured: Docker's rule, docker.io */
      v = rcr_xrealloc (v, 2 * sizeof (char *));
      v[n++] = rcr_image_ref_string (ref);
    }
  v[n] = NULL;
  return v;
}

int
rcr_pull (struct rcr_store *s, const char *name, const struct rcr_pull_opts *opts, char **image_id, rcr_error_t *err)
{
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  cleanup_registries struct rcr_registries *regs = NULL;
  cleanup_strv char **cands = NULL;
  cleanup_strv char **known = NULL;
  cleanup_free char *errors = NULL;
  cleanup_free char *stored_name = NULL;
  struct rcr_platform plat = { 0 };
  struct pull_state ps = { .s = s, .opts = opts, .staging = { NULL, -1 } };
  bool unchanged = false, newer_found = false;
  int ret = -1;

  if (rcr_image_ref_parse (name, &ref, err) < 0)
    return -1;
  if (rcr_platform_parse (opts->platform, &plat, err) < 0)
    return -1;
  if (rcr_registries_load (NULL, &regs, err) < 0)
    {
      rcr_platform_clear (&plat);
      return -1;
    }
  cands = candidates (regs, name, ref);

  if (rcr_store_lock (s, LOCK_SH, err) < 0)
    goto out;
  rcr_store_staging_gc (s);
  if (rcr_store_staging_new (s, &ps.staging, err) < 0)
    goto out;
  if (opts->kept_local)
    *opts->kept_local = false;
  if (opts->newer_than && (known = known_digests (s, opts->newer_than, err)) == NULL)
    goto out;

  for (char **cand = cands; *cand && ret < 0; cand++)
    {
      cleanup_image_ref struct rcr_image_ref *canon = NULL;
      cleanup_pull_sources struct rcr_pull_source *sources = NULL;
      cleanup_free char *canon_name = NULL;
      size_t n_sources = 0;
      rcr_error_t tmp = NULL;

      if (rcr_image_ref_parse (*cand, &canon, &tmp) < 0
          || rcr_registries_pull_sources (regs, *cand, &sources, &n_sources, &tmp) < 0)
        {
          char *next = rcr_strdup_printf ("%s%s%s", errors ? errors : "", errors ? "; " : "", tmp->msg);
          free (errors);
          errors = next;
          rcr_error_release (&tmp);
          continue;
        }
      canon_name = rcr_image_ref_string (canon);
      {
        /* the name the image is stored under: name:tag, or name@digest when pulled by
           digest alone (as podman, which then lists it with tag <none>) */
        cleanup_free char *repo = rcr_image_ref_name (canon);
        free (stored_name);
        stored_name = canon->tag ? rcr_strdup_printf ("%s:%s", repo, canon->tag)
                                 : rcr_strdup_printf ("%s@%s", repo, canon->digest);
      }
      if (known)
        {
          /* --pull=newer: ask the sources in order until one answers */
          int other = -1;
          for (size_t i = 0; i < n_sources && other < 0; i++)
            if ((other = registry_has_other (&sources[i], opts, &plat, known, &tmp)) < 0)
              {
                char *next = rcr_strdup_printf ("%s%s%s", errors ? errors : "", errors ? "; " : "", tmp->msg);
                free (errors);
                errors = next;
                rcr_error_release (&tmp);
              }
          if (other < 0)
            continue;
          if (other == 0)
            {
              unchanged = true; /* the local image is the registry's: keep it */
              break;
            }
          newer_found = true; /* from here on a failed pull is an error, as in podman */
        }
      if (opts->events && opts->events->trying)
        opts->events->trying (opts->events->ctx, canon_name);
      for (size_t i = 0; i < n_sources && ret < 0; i++)
        {
          if (pull_from (&ps, &sources[i], stored_name, canon, &plat, image_id, &tmp) == 0)
            {
              ret = 0;
              break;
            }
          /* remember why, and try the next source */
          {
            char *next = rcr_strdup_printf ("%s%s%s", errors ? errors : "", errors ? "; " : "", tmp->msg);
            free (errors);
            errors = next;
          }
          if (i + 1 < n_sources)
            {
              cleanup_free char *w = rcr_strdup_printf ("%s, trying the next source", tmp->msg);
              emit_warning (opts, w);
            }
          rcr_error_release (&tmp);
        }
    }
  if (ret < 0 && known && !newer_found)
    {
      /* podman's rule for --pull=newer: without a newer image, or with a registry that
         cannot be asked, the local image is used */
      if (!unchanged)
        {
          cleanup_free char *w = rcr_strdup_printf ("cannot check %s for a newer image (%s); using the local image",
                                                    name, errors ? errors : "no registry to ask");
          emit_warning (opts, w);
        }
      *image_id = rcr_xstrdup (opts->newer_than);
      if (opts->kept_local)
        *opts->kept_local = true;
      ret = 0;
    }
  else if (ret < 0)
    rcr_make_error (err, 0, "pull %s: %s", name, errors ? errors : "no registry to pull from");

out:
  rcr_store_staging_release (s, &ps.staging);
  rcr_store_lock (s, LOCK_UN, NULL);
  rcr_platform_clear (&plat);
  return ret;
}
