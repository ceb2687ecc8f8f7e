/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "storage/ref.h"
#include "tap.h"

static const char *D = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void
norm (const char *in, const char *want, int short_name)
{
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  cleanup_free char *s = NULL;
  rcr_error_t err = NULL;

  if (rcr_image_ref_parse (in, &ref, &err) < 0)
    {
      tap_ok (0, "%s → %s (error: %s)", in, want, err->msg);
      rcr_error_release (&err);
      return;
    }
  s = rcr_image_ref_string (ref);
  tap_is_str (s, want, "%s → %s", in, want);
  if (short_name >= 0)
    tap_is_int (ref->short_name, short_name, "%s short name flag", in);
}

static void
bad (const char *in, const char *why)
{
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  rcr_error_t err = NULL;
  int r = rcr_image_ref_parse (in, &ref, &err);
  tap_ok (r < 0 && err && strstr (err->msg, why), "\"%s\" rejected: %s (%s)", in, why, err ? err->msg : "accepted");
  rcr_error_release (&err);
}

int
main (void)
{
  cleanup_free char *with_digest = rcr_strdup_printf ("alpine@%s", D);
  cleanup_free char *want_digest = rcr_strdup_printf ("docker.io/library/alpine@%s", D);
  cleanup_free char *tag_digest = rcr_strdup_printf ("localhost:5000/a/b:v1@%s", D);
  cleanup_free char *upper_digest
      = rcr_strdup_printf ("alpine@sha256:%s", "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef");

  norm ("alpine", "docker.io/library/alpine:latest", 1);
  norm ("alpine:3.19", "docker.io/library/alpine:3.19", 1);
  norm ("library/alpine", "docker.io/library/alpine:latest", 1);
  norm ("user/app", "docker.io/user/app:latest", 1);
  norm ("docker.io/alpine", "docker.io/library/alpine:latest", 0);
  norm ("index.docker.io/library/alpine", "docker.io/library/alpine:latest", 0);
  norm ("quay.io/podman/stable:v4", "quay.io/podman/stable:v4", 0);
  norm ("127.0.0.1:5000/library/alpine", "127.0.0.1:5000/library/alpine:latest", 0);
  norm ("localhost/app", "localhost/app:latest", 0);
  norm ("localhost:5000/a/b/c:tag_1.2-x", "localhost:5000/a/b/c:tag_1.2-x", 0);
  norm ("docker://alpine", "docker.io/library/alpine:latest", 1);
  norm ("my-registry.example.com:443/team/svc__x", "my-registry.example.com:443/team/svc__x:latest", 0);
  norm (with_digest, want_digest, 1);
  norm (tag_digest, tag_digest, 0);
  norm ("a.b-c_d", "docker.io/library/a.b-c_d:latest", 1);

  bad ("", "empty");
  bad ("Alpine", "lowercase");
  bad ("docker.io/Library/alpine", "lowercase");
  bad ("alpine@sha256:../x", "bad digest");
  bad ("alpine@sha256:abc", "bad digest");
  bad ("alpine@md5:0123456789abcdef0123456789abcdef", "bad digest");
  bad (upper_digest, "bad digest");
  bad ("alpine:", "bad tag");
  bad ("alpine:-x", "bad tag");
  bad ("alpine:../../etc", "bad registry host");
  bad ("../alpine", "bad registry host");
  bad ("library/../alpine", "bad repository name component");
  bad ("a//b", "bad repository name component");
  bad ("alpine-", "bad repository name component");
  bad ("host:99999/x", "bad registry host");
  bad ("127.0.0.1:5000/", "no repository name");

  tap_ok (rcr_digest_valid (D), "valid digest");
  tap_ok (!rcr_digest_valid ("sha256:0123"), "short digest");

  {
    cleanup_image_ref struct rcr_image_ref *ref = NULL;
    cleanup_free char *name = NULL;
    rcr_error_t err = NULL;
    rcr_image_ref_parse ("127.0.0.1:5000/x/y:1", &ref, &err);
    name = rcr_image_ref_name (ref);
    tap_is_str (name, "127.0.0.1:5000/x/y", "name without tag");
    tap_is_str (ref->domain, "127.0.0.1:5000", "domain");
    tap_is_str (ref->path, "x/y", "path");
    tap_is_str (ref->tag, "1", "tag");
  }
  return tap_done ();
}
