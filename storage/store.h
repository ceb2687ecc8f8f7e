/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_STORE_H
#define RCR_STORAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/json.h"
#include "common/paths.h"

/* $root/storage:
     storage.lock            flock: shared for readers and downloads, exclusive to commit
     blobs/sha256/HEX        manifests and configs, verified before they are stored
     layers/HEX/diff         one extracted layer per diff_id; layers/HEX/layer.json
     images.json             every image: id, names, digests, layers
     staging/ID + ID.lock    work in progress of one process, removed when its lock is free */
struct rcr_store
{
  char *dir;
  int lock_fd;
  int lock_mode; /* LOCK_SH, LOCK_EX or 0 */
  bool rootless;
};

int rcr_store_open (const struct rcr_paths *paths, struct rcr_store **out, rcr_error_t *err);
void rcr_store_close (struct rcr_store *s);

/* flock the whole store; mode is LOCK_SH, LOCK_EX or LOCK_UN. */
int rcr_store_lock (struct rcr_store *s, int mode, rcr_error_t *err);

char *rcr_store_path (const struct rcr_store *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* A private staging directory, locked for as long as this process lives. */
struct rcr_staging
{
  char *dir;
  int lock_fd;
};
int rcr_store_staging_new (struct rcr_store *s, struct rcr_staging *out, rcr_error_t *err);
void rcr_store_staging_release (struct rcr_store *s, struct rcr_staging *st);

/* Removes staging dirs whose owner died (their lock is free). */
void rcr_store_staging_gc (struct rcr_store *s);

/* Removes a tree that may hold files owned by subordinate ids (needs the user namespace). */
int rcr_store_remove_tree (struct rcr_store *s, const char *path, rcr_error_t *err);

/* The xattr name extraction uses for opaque directories, matching how layers are mounted. */
const char *rcr_store_opaque_xattr (const struct rcr_store *s);

/* images.json: read (missing file = no images) and write (atomically). */
int rcr_store_images_load (struct rcr_store *s, json_object **images, rcr_error_t *err);
int rcr_store_images_save (struct rcr_store *s, json_object *images, rcr_error_t *err);

/* The image whose id, id prefix (>= 3 hex chars), name or short name matches. */
json_object *rcr_store_image_find (json_object *images, const char *name_or_id);

bool rcr_store_has_blob (struct rcr_store *s, const char *digest);
bool rcr_store_has_layer (struct rcr_store *s, const char *diff_id);

/* Stores bytes as blobs/sha256/HEX after checking that they hash to digest. */
int rcr_store_put_blob (struct rcr_store *s, const char *digest, const void *data, size_t len, rcr_error_t *err);
int rcr_store_read_blob (struct rcr_store *s, const char *digest, size_t max, char **data, size_t *len,
                         rcr_error_t *err);

/* Deletes layers and blobs no image refers to. Needs the exclusive lock. */
int rcr_store_gc (struct rcr_store *s, json_object *images, rcr_error_t *err);

#endif
