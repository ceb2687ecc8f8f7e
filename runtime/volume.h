/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_VOLUME_H
#define RCR_RUNTIME_VOLUME_H

#include <stdbool.h>

#include "common/error.h"
#include "common/json.h"
#include "runtime/context.h"

/* Named volumes: $root/volumes/NAME/_data with NAME/volume.json (podman's local driver). */

#define RCR_VOLUME_NOT_FOUND ENOENT
#define RCR_VOLUME_EXISTS EEXIST
#define RCR_VOLUME_IN_USE EBUSY

/* Creates a volume (a random 64-hex name when name is NULL); labels may be NULL. With
   ignore_existing an existing volume is fine. Returns its podman-shaped JSON. */
int rcr_volume_create (const struct rcr_context *ctx, const char *name, json_object *labels, bool ignore_existing,
                       json_object **out, rcr_error_t *err);

int rcr_volume_inspect (const struct rcr_context *ctx, const char *name, json_object **out, rcr_error_t *err);

/* Every volume, by name. */
int rcr_volume_list (const struct rcr_context *ctx, json_object **out, rcr_error_t *err);

/* Names of the containers that mount the volume (NULL-terminated, malloc'd). */
char **rcr_volume_users (const struct rcr_context *ctx, const char *name);

/* Removes a volume and its data; one in use only with force (its containers go first). */
int rcr_volume_remove (const struct rcr_context *ctx, const char *name, bool force, rcr_error_t *err);

/* The host directory a volume's data lives in. */
char *rcr_volume_data_dir (const struct rcr_context *ctx, const char *name);

#endif
