/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_IMAGES_H
#define RCR_STORAGE_IMAGES_H

#include <stdbool.h>

#include "common/error.h"
#include "common/json.h"
#include "storage/store.h"

/* Status values for errors the CLI maps to podman's exit codes. */
#define RCR_IMAGE_NOT_KNOWN ENOENT  /* rmi exits 1 */
#define RCR_IMAGE_IN_USE EBUSY      /* rmi exits 2 */

/* All images: a copy of the image list (each record as stored: id, names, repoDigests,
   size, created, ...), taken under the shared lock. */
int rcr_images_list (struct rcr_store *s, json_object **out, rcr_error_t *err);

/* Podman-shaped `image inspect` JSON for one image. */
int rcr_images_inspect (struct rcr_store *s, const char *name, json_object **out, rcr_error_t *err);

/* Normalises a name for tagging the way podman does: short names go under localhost/. */
int rcr_images_normalize_tag (const char *name, char **out, rcr_error_t *err);

int rcr_images_tag (struct rcr_store *s, const char *source, const char *const *targets, rcr_error_t *err);

/* Removes a name or an image. By name, an image with other names is only untagged.
   By id, an image with several names needs force. in_use (may be NULL) is asked for
   each image id and makes removal fail with RCR_IMAGE_IN_USE unless force.
   untagged/deleted receive the names and ids affected (arrays, appended to). */
int rcr_images_remove (struct rcr_store *s, const char *name, bool force, bool (*in_use) (const char *id),
                       json_object *untagged, json_object *deleted, rcr_error_t *err);

/* Removes dangling images (no names), or every image with all; appends removed ids. */
int rcr_images_prune (struct rcr_store *s, bool all, bool (*in_use) (const char *id), json_object *deleted,
                      rcr_error_t *err);

#endif
