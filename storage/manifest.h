/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_MANIFEST_H
#define RCR_STORAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define RCR_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define RCR_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define RCR_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define RCR_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

#define RCR_CONFIG_MAX_SIZE (8 * 1024 * 1024)
#define RCR_MANIFEST_MAX_BYTES (4 * 1024 * 1024)

enum rcr_compression
{
  RCR_COMPRESSION_NONE,
  RCR_COMPRESSION_GZIP,
  RCR_COMPRESSION_ZSTD,
};

struct rcr_descriptor
{
  char *media_type;
  char *digest;
  int64_t size;
  char *os, *arch, *variant; /* index entries only */
  enum rcr_compression compression; /* layers only */
};

struct rcr_manifest
{
  bool is_index;
  char *media_type;
  struct rcr_descriptor config;
  struct rcr_descriptor *layers;
  size_t n_layers;
  struct rcr_descriptor *manifests;
  size_t n_manifests;
};

/* Parses a manifest or index, enforcing media types, digests and sizes; media_type is the
   one the registry served it as (may be NULL). Schema 1 is refused. */
int rcr_manifest_parse (const char *body, size_t len, const char *media_type, struct rcr_manifest **out,
                        rcr_error_t *err);
void rcr_manifest_free (struct rcr_manifest *m);

struct rcr_platform
{
  char *os, *arch, *variant;
};

/* "os/arch[/variant]"; NULL or "" means this host. */
int rcr_platform_parse (const char *s, struct rcr_platform *p, rcr_error_t *err);
void rcr_platform_clear (struct rcr_platform *p);
/* The host's platform in OCI names (linux/amd64, linux/arm64/v8). */
void rcr_platform_host (struct rcr_platform *p);

/* Picks the index entry for the platform; the error lists the platforms on offer. */
int rcr_manifest_select (const struct rcr_manifest *index, const struct rcr_platform *p,
                         const struct rcr_descriptor **out, rcr_error_t *err);

/* Validates an image config and returns its rootfs.diff_ids (NULL-terminated). */
int rcr_config_diff_ids (const char *config, size_t len, char ***diff_ids, size_t *n, rcr_error_t *err);

static inline void
rcr_cleanup_manifestp (struct rcr_manifest **m)
{
  rcr_manifest_free (*m);
}
#define cleanup_manifest __attribute__ ((cleanup (rcr_cleanup_manifestp)))

#endif
