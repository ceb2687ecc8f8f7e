/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_AUTH_H
#define RCR_STORAGE_AUTH_H

#include <stdbool.h>

#include "common/error.h"

/* Registry credentials in Podman's files (containers-auth.json(5)):
     { "auths": { "KEY": { "auth": base64("user:password") } }, ... }
   KEY is "host[:port]" or a namespace/repository "host/ns[/repo]".

   Lookup order (containers/image pkg/docker/config):
   1. authfile (--authfile) or else $REGISTRY_AUTH_FILE: when either is given it is the
      ONLY file read, as in Podman;
   2. otherwise rcr_auth_default_file (), then $XDG_CONFIG_HOME/containers/auth.json
      (~/.config/...), then $DOCKER_CONFIG/config.json or ~/.docker/config.json, then
      ~/.dockercfg (legacy: the top-level object is the "auths" map).
   Missing files are skipped; a malformed file is an error naming it.  Within a file the
   most specific key wins ("quay.io/org/repo", "quay.io/org", "quay.io"), then legacy URL
   keys ("https://host", "http://host/v1/"; for docker.io also "index.docker.io",
   "registry-1.docker.io", "https://index.docker.io/v1/").  An entry without "auth" (the
   "{}" Docker writes beside a credential helper) is skipped; "identitytoken" and
   "credHelpers" are not used. */

/* The file login writes, malloc'd: $REGISTRY_AUTH_FILE; else
   $XDG_RUNTIME_DIR/containers/auth.json when XDG_RUNTIME_DIR is absolute (any uid, as
   containers/image); else /run/containers/0/auth.json as root, and rootless
   $XDG_CONFIG_HOME/containers/auth.json (~/.config/containers/auth.json). */
char *rcr_auth_default_file (void);

/* Finds credentials for host ("127.0.0.1:5000", "docker.io") and optional repo_path
   ("library/alpine").  Returns 0 with *user NULL when nothing is found.  password and
   source_file (the file the entry came from) may be NULL; outputs are malloc'd. */
int rcr_auth_lookup (const char *authfile, const char *host, const char *repo_path, char **user, char **password,
                     char **source_file, rcr_error_t *err);

/* Sets auths[key] = {"auth": base64(user:password)} in file (NULL: the default file),
   keeping every other key and field; written atomically with mode 0600, parent
   directories created with mode 0700. */
int rcr_auth_store (const char *file, const char *key, const char *user, const char *password, rcr_error_t *err);

/* Removes auths[key] (exact key only) from file (NULL: the default file); when it is not
   there the error is "not logged into KEY" with status ENOENT.  all removes every entry
   and keeps the file with an empty "auths" (a missing file is then fine). */
int rcr_auth_remove (const char *file, const char *key, bool all, rcr_error_t *err);

/* Podman's --creds "user[:password]": split at the first ':'.  *password is NULL when
   there is no ':'; the caller prompts when it is NULL or empty, as Podman does. */
int rcr_auth_parse_creds (const char *creds, char **user, char **password, rcr_error_t *err);

/* base64("user:password"), malloc'd. */
char *rcr_auth_encode (const char *user, const char *password);

/* Decodes an "auth" value (padded standard base64) and splits it at the first ':';
   source names the file and key in errors. */
int rcr_auth_decode (const char *b64, const char *source, char **user, char **password, rcr_error_t *err);

#endif
