/* SPDX-License-Identifier: Apache-2.0 */
/* The registry client, pull and layer extraction live in rcr-pull.so, loaded on first
   use: libcurl and libarchive bring ~40 libraries whose loading would otherwise be paid
   by every `rcr run` of a stored image. These stubs have the real functions' names; the
   plugin is linked -Bsymbolic so its own calls never come back here. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "storage/pull.h"
#include "storage/registry.h"

#define PLUGIN_NAME "rcr-pull.so"

static void *plugin;

static int
load_plugin (rcr_error_t *err)
{
  char exe[PATH_MAX];
  ssize_t n;
  const char *env = getenv ("RCR_PLUGIN_DIR");
  cleanup_free char *dir = NULL;
  cleanup_free char *tried = NULL;

  if (plugin)
    return 0;
  n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  if (n < 0)
    return rcr_make_error (err, errno, "readlink /proc/self/exe");
  exe[n] = '\0';
  *strrchr (exe, '/') = '\0';
  /* next to the binary (the build tree), then PREFIX/lib/rcr (installed) */
  {
    const char *candidates[3] = { env, exe, NULL };
    cleanup_free char *libdir = rcr_strdup_printf ("%s/../lib/rcr", exe);
    candidates[2] = libdir;
    for (int i = 0; i < 3 && plugin == NULL; i++)
      {
        cleanup_free char *path = NULL;
        if (candidates[i] == NULL)
          continue;
        path = rcr_strdup_printf ("%s/%s", candidates[i], PLUGIN_NAME);
        if (access (path, R_OK) < 0)
          {
            char *t = rcr_strdup_printf ("%s%s%s", tried ? tried : "", tried ? ", " : "", path);
            free (tried);
            tried = t;
            continue;
          }
        plugin = dlopen (path, RTLD_NOW | RTLD_LOCAL);
        if (plugin == NULL)
          return rcr_make_error (err, 0, "load \"%s\": %s", path, dlerror ());
      }
  }
  if (plugin == NULL)
    return rcr_make_error (err, ENOENT, "%s not found (looked for %s); reinstall rcr", PLUGIN_NAME,
                           tried ? tried : "nothing");
  return 0;
}

static void *
plugin_sym (const char *name, rcr_error_t *err)
{
  void *f;
  if (load_plugin (err) < 0)
    return NULL;
  f = dlsym (plugin, name);
  if (f == NULL)
    rcr_make_error (err, 0, "%s: missing symbol %s", PLUGIN_NAME, name);
  return f;
}

int
rcr_pull (struct rcr_store *s, const char *name, const struct rcr_pull_opts *opts, char **image_id, rcr_error_t *err)
{
  int (*fn) (struct rcr_store *, const char *, const struct rcr_pull_opts *, char **, rcr_error_t *);
  *(void **)&fn = plugin_sym ("rcr_pull", err);
  return fn ? fn (s, name, opts, image_id, err) : -1;
}

int
rcr_registry_new (const struct rcr_registry_opts *opts, struct rcr_registry_client **out, rcr_error_t *err)
{
  int (*fn) (const struct rcr_registry_opts *, struct rcr_registry_client **, rcr_error_t *);
  *(void **)&fn = plugin_sym ("rcr_registry_new", err);
  return fn ? fn (opts, out, err) : -1;
}

int
rcr_registry_ping (struct rcr_registry_client *r, rcr_error_t *err)
{
  int (*fn) (struct rcr_registry_client *, rcr_error_t *);
  *(void **)&fn = plugin_sym ("rcr_registry_ping", err);
  return fn ? fn (r, err) : -1;
}

void
rcr_registry_free (struct rcr_registry_client *r)
{
  void (*fn) (struct rcr_registry_client *);
  if (r == NULL)
    return;
  /* a client exists only if the plugin was loaded */
  *(void **)&fn = dlsym (plugin, "rcr_registry_free");
  if (fn)
    fn (r);
}
