/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_PULL_H
#define RCR_STORAGE_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "storage/registry.h"
#include "storage/store.h"

/* What a pull reports as it goes; cmd/ turns it into podman's output. Any may be NULL. */
struct rcr_pull_events
{
  void *ctx;
  void (*trying) (void *ctx, const char *reference);
  /* kind: "blob" or "config"; state: "exists" (already stored), "copying", "done" */
  void (*blob) (void *ctx, const char *kind, const char *digest, int64_t size, const char *state);
  rcr_progress_fn progress;
  /* a non-fatal problem (a mirror that failed before the next source worked, ...) */
  void (*warning) (void *ctx, const char *msg);
};

struct rcr_pull_opts
{
  const char *platform; /* "os/arch[/variant]" or NULL for this host */
  int tls_verify;       /* -1: as registries.conf says; 0: --tls-verify=false; 1: forced on */
  const char *authfile; /* --authfile */
  const char *creds;    /* --creds user[:password] */
  int parallel;         /* concurrent blob downloads; <= 0 means the default (4) */
  const struct rcr_pull_events *events;
  /* --pull=newer: the id of the image already stored under the name. The registry's
     manifest is fetched (no blob) and the image pulled only when its digest for the
     platform is none the local image is known by; when the registry cannot be asked or
     the pull fails, the local image is kept with a warning. */
  const char *newer_than;
  bool *kept_local; /* with newer_than: set to whether the local image was kept */
};

/* Pulls an image into the store: resolves short names (aliases, then the unqualified
   search registries), tries mirrors before the origin, verifies every byte, extracts new
   layers in the user namespace, and records the image. *image_id is the config digest's hex. */
int rcr_pull (struct rcr_store *s, const char *name, const struct rcr_pull_opts *opts, char **image_id,
              rcr_error_t *err);

#endif
