/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_REF_H
#define RCR_STORAGE_REF_H

#include <stdbool.h>

#include "common/error.h"

/* A normalised image reference: docker.io/library/alpine:latest[@sha256:...]. */
struct rcr_image_ref
{
  char *domain;    /* "docker.io", "127.0.0.1:5000", "localhost" */
  char *path;      /* "library/alpine" */
  char *tag;       /* NULL only when a digest was given without a tag */
  char *digest;    /* "sha256:<64 hex>" or NULL */
  bool short_name; /* the user typed no registry: search registries and aliases may apply */
};

/* Parses and normalises a reference the way Docker and Podman do; rejects invalid input
   (uppercase, bad digests such as "sha256:../x") before any path or request is built. */
int rcr_image_ref_parse (const char *s, struct rcr_image_ref **out, rcr_error_t *err);

void rcr_image_ref_free (struct rcr_image_ref *ref);

/* "domain/path" */
char *rcr_image_ref_name (const struct rcr_image_ref *ref);

/* "domain/path:tag", "domain/path@digest" or "domain/path:tag@digest". */
char *rcr_image_ref_string (const struct rcr_image_ref *ref);

/* Validates "sha256:<64 lowercase hex>"; the only digest algorithm rcr accepts. */
bool rcr_digest_valid (const char *digest);

static inline void
rcr_cleanup_image_refp (struct rcr_image_ref **r)
{
  rcr_image_ref_free (*r);
}
#define cleanup_image_ref __attribute__ ((cleanup (rcr_cleanup_image_refp)))

#endif
