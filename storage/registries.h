/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_REGISTRIES_H
#define RCR_STORAGE_REGISTRIES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* registries.conf as Podman reads it (containers-registries.conf(5), version 2; version 1
   files are converted like containers/image does).

   Which files, in order (containers/image sysregistriesv2):
   1. the main file: override_file when set (it must exist); else user_file when it exists,
      and then system_file and system_dir are NOT read; else system_file (may be missing);
   2. drop-ins: "*.conf" in system_dir (unless the user file is used), then in user_dir, each
      directory in byte order of the names; missing directories are fine.
   A later file replaces: unqualified-search-registries, short-name-mode and
   credential-helpers when it sets them; a whole [[registry]] entry with the same prefix;
   single [aliases] entries (an empty value removes an alias). */
struct rcr_registries_paths
{
  const char *override_file; /* $CONTAINERS_REGISTRIES_CONF, else $REGISTRIES_CONFIG_PATH */
  const char *system_file;   /* /etc/containers/registries.conf */
  const char *system_dir;    /* /etc/containers/registries.conf.d */
  const char *user_file;     /* $HOME/.config/containers/registries.conf */
  const char *user_dir;      /* $HOME/.config/containers/registries.conf.d */
};

enum rcr_short_name_mode
{
  RCR_SHORT_NAME_MODE_PERMISSIVE = 0, /* the default when no file sets it */
  RCR_SHORT_NAME_MODE_ENFORCING,
  RCR_SHORT_NAME_MODE_DISABLED,
};

enum rcr_pull_from_mirror
{
  RCR_PULL_FROM_MIRROR_ALL = 0,
  RCR_PULL_FROM_MIRROR_DIGEST_ONLY,
  RCR_PULL_FROM_MIRROR_TAG_ONLY,
};

struct rcr_registry_mirror
{
  char *location; /* "127.0.0.1:5000", "mirror.example.com/ns"; trailing '/' removed */
  bool insecure;  /* plain HTTP and unverified TLS allowed for this mirror */
  enum rcr_pull_from_mirror pull_from_mirror;
};

struct rcr_registry
{
  char *prefix;   /* what image names it applies to; "*.example.com" matches subdomains */
  char *location; /* where those images really are; "" only with a wildcard prefix (use the name as is) */
  bool insecure;
  bool blocked;
  bool mirror_by_digest_only;
  struct rcr_registry_mirror *mirrors; /* tried in order before location */
  size_t n_mirrors;
  char *file; /* the file and line of its [[registry]], for messages */
  int line;
};

struct rcr_registry_alias
{
  char *name;  /* short name: "alpine", "rhel/toolbox" */
  char *value; /* normalised fully qualified name without tag: "docker.io/library/alpine" */
  char *file;
  int line;
};

/* The merged configuration; read-only for callers. */
struct rcr_registries
{
  char **search;       /* unqualified-search-registries, NULL-terminated, possibly empty */
  char *search_origin; /* the file that set it, NULL when none did */
  enum rcr_short_name_mode short_name_mode;
  char *short_name_mode_origin;    /* NULL when defaulted */
  char **credential_helpers;       /* NULL-terminated; default { "containers-auth.json" } */
  struct rcr_registry *registries; /* unique prefixes, sorted by prefix */
  size_t n_registries;
  struct rcr_registry_alias *aliases; /* sorted by name; aliases removed by a later file are gone */
  size_t n_aliases;
  char **files; /* every file read, in order, NULL-terminated */
};

/* One place to try for a pull, in order: mirrors first, the registry's location last. */
struct rcr_pull_source
{
  char *reference; /* rewritten: "127.0.0.1:5000/library/alpine:latest"; NULL ends the array */
  char *location;  /* the endpoint: "127.0.0.1:5000" */
  bool insecure;
  bool mirror;
};

/* Reads and merges the configuration; paths NULL means Podman's default locations. */
int rcr_registries_load (const struct rcr_registries_paths *paths, struct rcr_registries **out, rcr_error_t *err);

void rcr_registries_free (struct rcr_registries *regs);

/* The [[registry]] with the longest prefix matching ref (a fully qualified name, with or
   without tag/digest, no transport); a prefix matches at a '/', ':' or '@' boundary or the
   end; "*.example.com" matches any subdomain host. NULL when none matches. */
const struct rcr_registry *rcr_registries_find (const struct rcr_registries *regs, const char *ref);

/* The ordered pull sources for a fully qualified reference ("docker.io/library/alpine:latest"):
   each applicable mirror, then the primary location, all with the prefix rewritten; a single
   unchanged source when no [[registry]] matches.  Fails when the registry is blocked.
   *out is NULL-terminated (reference == NULL); n_out may be NULL. */
int rcr_registries_pull_sources (const struct rcr_registries *regs, const char *ref, struct rcr_pull_source **out,
                                 size_t *n_out, rcr_error_t *err);

void rcr_registries_pull_sources_free (struct rcr_pull_source *sources);

/* The [aliases] entry for a short name without tag or digest ("alpine"); NULL when none. */
const struct rcr_registry_alias *rcr_registries_find_alias (const struct rcr_registries *regs, const char *short_name);

/* "enforcing", "permissive" or "disabled". */
const char *rcr_registries_short_name_mode_name (enum rcr_short_name_mode mode);

static inline void
rcr_registries_freep (struct rcr_registries **regs)
{
  rcr_registries_free (*regs);
}
#define cleanup_registries __attribute__ ((cleanup (rcr_registries_freep)))

static inline void
rcr_registries_pull_sources_freep (struct rcr_pull_source **sources)
{
  rcr_registries_pull_sources_free (*sources);
}
#define cleanup_pull_sources __attribute__ ((cleanup (rcr_registries_pull_sources_freep)))

#endif
