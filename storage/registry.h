/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_REGISTRY_H
#define RCR_STORAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A client for one registry location (the host actually contacted: a mirror or the origin),
   speaking the OCI distribution API over libcurl. */
struct rcr_registry_client;

struct rcr_registry_opts
{
  const char *host;     /* "docker.io", "127.0.0.1:5000", "quay.io" */
  bool insecure;        /* plain http allowed and TLS not verified (registries.conf insecure=true) */
  bool tls_verify;      /* false with --tls-verify=false: same as insecure for this client */
  const char *username; /* credentials, or NULL */
  const char *password;
};

int rcr_registry_new (const struct rcr_registry_opts *opts, struct rcr_registry_client **out, rcr_error_t *err);
void rcr_registry_free (struct rcr_registry_client *r);

/* GET /v2/, following the auth challenge with the client's credentials; used by login to
   check credentials (a 401 then is an error "invalid username or password"). */
int rcr_registry_ping (struct rcr_registry_client *r, rcr_error_t *err);

/* Fetches a manifest or index by tag or digest. *digest is the sha256 of the body; when
   reference is a digest, the body must hash to it; a Docker-Content-Digest header that
   disagrees with the body is an error. *media_type comes from Content-Type, checked
   against the body's own mediaType. */
int rcr_registry_get_manifest (struct rcr_registry_client *r, const char *repo, const char *reference, char **body,
                               size_t *len, char **media_type, char **digest, rcr_error_t *err);

/* One blob to download into a file, verified while streaming. */
struct rcr_blob_fetch
{
  const char *digest;   /* sha256:... */
  int64_t size;         /* the descriptor's size; more bytes than this is an error */
  int fd;               /* where the bytes go (truncated and written from offset 0) */
  void *user;           /* for the progress callback */
  /* filled in */
  int64_t received;
  bool done;
};

/* Called from the transfer loop as bytes arrive; total is the descriptor size. */
typedef void (*rcr_progress_fn) (void *ctx, struct rcr_blob_fetch *blob);

/* Downloads blobs with up to `parallel` transfers at once. Each is hashed and counted as
   it streams; a digest or size mismatch, a redirect from https to http, or too many
   redirects fails that blob and the call. Authorization is never sent to a host other
   than the registry's own after a redirect. */
int rcr_registry_fetch_blobs (struct rcr_registry_client *r, const char *repo, struct rcr_blob_fetch *blobs, size_t n,
                              int parallel, rcr_progress_fn progress, void *progress_ctx, rcr_error_t *err);

/* The registry host to contact for a reference's domain ("docker.io" → registry-1.docker.io). */
const char *rcr_registry_api_host (const char *domain);

#endif
