/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials in containers-auth.json(5) files, read and written the way
   containers/image pkg/docker/config does (see auth.h for the lookup order). */
#define _GNU_SOURCE
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/codec.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

/* Auth files hold a few keys; anything this large is not one. */
#define AUTH_FILE_MAX_SIZE (4 * 1024 * 1024)
#define AUTH_REL_PATH "containers/auth.json"
#define N_AUTH_PATHS 5

struct auth_path
{
  char *path;
  bool legacy; /* ~/.dockercfg: the top-level object is the "auths" map */
};

static char *
absolute_env (const char *name)
{
  const char *v = getenv (name);
  /* The XDG spec says relative values are invalid and must be ignored. */
  return (v && v[0] == '/') ? rcr_xstrdup (v) : NULL;
}

static char *
home_dir (void)
{
  const char *home = getenv ("HOME");
  struct passwd *pw;

  if (home && home[0])
    return rcr_xstrdup (home);
  pw = getpwuid (getuid ());
  return pw && pw->pw_dir && pw->pw_dir[0] ? rcr_xstrdup (pw->pw_dir) : NULL;
}

/* $XDG_CONFIG_HOME/containers/auth.json or ~/.config/containers/auth.json; NULL without a home. */
static char *
config_auth_file (void)
{
  cleanup_free char *cfg = absolute_env ("XDG_CONFIG_HOME");
  cleanup_free char *home = NULL;

  if (cfg)
    return rcr_strdup_printf ("%s/" AUTH_REL_PATH, cfg);
  home = home_dir ();
  return home ? rcr_strdup_printf ("%s/.config/" AUTH_REL_PATH, home) : NULL;
}

/* The default file without $REGISTRY_AUTH_FILE.  XDG_RUNTIME_DIR comes before the uid
   check as in containers/image, so a root login shell (XDG_RUNTIME_DIR=/run/user/0) and a
   process inside the rootless user namespace (uid 0 there) both find the user's file. */
static char *
implicit_default_file (void)
{
  cleanup_free char *rt = absolute_env ("XDG_RUNTIME_DIR");
  char *cfg;

  if (rt)
    return rcr_strdup_printf ("%s/" AUTH_REL_PATH, rt);
  if (getuid () == 0)
    return rcr_xstrdup ("/run/containers/0/auth.json");
  /* Podman would use /run/containers/UID, which an unprivileged user cannot create. */
  cfg = config_auth_file ();
  return cfg ? cfg : rcr_strdup_printf ("/run/containers/%u/auth.json", (unsigned)getuid ());
}

char *
rcr_auth_default_file (void)
{
  const char *env = getenv ("REGISTRY_AUTH_FILE");
  if (env && env[0])
    return rcr_xstrdup (env);
  return implicit_default_file ();
}

static void
add_path (struct auth_path *paths, size_t *n, char *path, bool legacy)
{
  if (path == NULL)
    return;
  for (size_t i = 0; i < *n; i++)
    if (strcmp (paths[i].path, path) == 0)
      {
        free (path);
        return;
      }
  paths[*n].path = path;
  paths[*n].legacy = legacy;
  (*n)++;
}

static size_t
lookup_paths (const char *authfile, struct auth_path paths[N_AUTH_PATHS])
{
  const char *env = getenv ("REGISTRY_AUTH_FILE");
  const char *docker_config = getenv ("DOCKER_CONFIG");
  cleanup_free char *home = NULL;
  size_t n = 0;

  /* An explicit file is the only one read, as with podman --authfile. */
  if (authfile && authfile[0])
    {
      add_path (paths, &n, rcr_xstrdup (authfile), false);
      return n;
    }
  if (env && env[0])
    {
      add_path (paths, &n, rcr_xstrdup (env), false);
      return n;
    }
  home = home_dir ();
  add_path (paths, &n, implicit_default_file (), false);
  add_path (paths, &n, config_auth_file (), false);
  if (docker_config && docker_config[0])
    add_path (paths, &n, rcr_strdup_printf ("%s/config.json", docker_config), false);
  else if (home)
    add_path (paths, &n, rcr_strdup_printf ("%s/.docker/config.json", home), false);
  if (home)
    add_path (paths, &n, rcr_strdup_printf ("%s/.dockercfg", home), true);
  return n;
}

static void
auth_paths_clear (struct auth_path *paths, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (paths[i].path);
}

/* Loads path; *out is NULL when it does not exist.  Whitespace-only files count as empty. */
static int
load_file (const char *path, json_object **out, rcr_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *source = NULL;
  rcr_error_t read_err = NULL;
  const char *p;

  *out = NULL;
  if (rcr_read_file (path, AUTH_FILE_MAX_SIZE, &text, NULL, &read_err) < 0)
    {
      int r;
      if (read_err->status == ENOENT)
        {
          rcr_error_release (&read_err);
          return 0;
        }
      r = rcr_error_wrap (&read_err, "read credentials");
      if (err)
        {
          rcr_error_release (err);
          *err = read_err;
        }
      else
        rcr_error_release (&read_err);
      return r;
    }
  for (p = text; *p && isspace ((unsigned char)*p); p++)
    ;
  if (*p == '\0')
    {
      *out = json_object_new_object ();
      return 0;
    }
  source = rcr_strdup_printf ("\"%s\"", path);
  if (rcr_json_parse (text, source, out, err) < 0)
    return -1;
  if (!json_object_is_type (*out, json_type_object))
    {
      json_object_put (steal_pointer (out));
      return rcr_make_error (err, 0, "parse credentials \"%s\": the top level is not a JSON object", path);
    }
  return 0;
}

/* The "auths" map of a loaded file, NULL when it has none. */
static int
auths_of (json_object *root, bool legacy, const char *path, json_object **auths, rcr_error_t *err)
{
  json_object *v;

  if (legacy)
    {
      *auths = root;
      return 0;
    }
  *auths = NULL;
  if (!json_object_object_get_ex (root, "auths", &v) || json_object_is_type (v, json_type_null))
    return 0;
  if (!json_object_is_type (v, json_type_object))
    return rcr_make_error (err, 0, "parse credentials \"%s\": \"auths\" is not a JSON object", path);
  *auths = v;
  return 0;
}

char *
rcr_auth_encode (const char *user, const char *password)
{
  cleanup_free char *plain = rcr_strdup_printf ("%s:%s", user, password);
  size_t len = strlen (plain);
  char *out = rcr_base64_encode (plain, len);

  explicit_bzero (plain, len);
  return out;
}

int
rcr_auth_decode (const char *b64, const char *source, char **user, char **password, rcr_error_t *err)
{
  size_t len = strlen (b64), ulen, plen;
  cleanup_free unsigned char *buf = NULL;
  const char *colon, *pw;
  int n;

  *user = *password = NULL;
  if (len == 0)
    return rcr_make_error (err, 0, "%s: \"auth\" is empty", source);
  /* as strict as Go's StdEncoding: no blanks, padding only at the end */
  buf = rcr_xmalloc0 (len / 4 * 3 + 1);
  {
    long got = rcr_base64_decode (b64, len, buf);
    if (got < 0)
      goto bad;
    n = (int)got;
  }

  colon = memchr (buf, ':', (size_t)n);
  if (colon == NULL)
    {
      explicit_bzero (buf, (size_t)n);
      return rcr_make_error (err, 0, "%s: \"auth\" does not decode to \"user:password\"", source);
    }
  ulen = (size_t)(colon - (const char *)buf);
  pw = colon + 1;
  plen = (size_t)n - ulen - 1;
  /* containers/image trims NULs around the password; NULs inside cannot be passed on. */
  while (plen > 0 && pw[0] == '\0')
    pw++, plen--;
  while (plen > 0 && pw[plen - 1] == '\0')
    plen--;
  if (memchr (buf, '\0', ulen) || memchr (pw, '\0', plen))
    {
      explicit_bzero (buf, (size_t)n);
      return rcr_make_error (err, 0, "%s: \"auth\" contains a NUL byte", source);
    }
  *user = strndup ((const char *)buf, ulen);
  *password = strndup (pw, plen);
  explicit_bzero (buf, (size_t)n);
  if (*user == NULL || *password == NULL)
    abort ();
  return 0;

bad:
  return rcr_make_error (err, 0, "%s: \"auth\" is not valid base64", source);
}

/* 1 with credentials, 0 for an entry that holds none (Docker's "{}" beside a credential
   helper), < 0 for a broken entry. */
static int
decode_entry (json_object *entry, const char *path, const char *key, char **user, char **password, rcr_error_t *err)
{
  cleanup_free char *source = rcr_strdup_printf ("credentials \"%s\": entry \"%s\"", path, key);
  json_object *auth;
  const char *u, *p;

  if (!json_object_is_type (entry, json_type_object))
    return rcr_make_error (err, 0, "%s: not a JSON object", source);
  /* identitytoken is an OAuth2 refresh token; rcr does not run that flow, so it is ignored. */
  if (json_object_object_get_ex (entry, "identitytoken", NULL))
    rcr_debug ("%s: \"identitytoken\" is not supported, ignored", source);
  if (json_object_object_get_ex (entry, "auth", &auth))
    {
      if (!json_object_is_type (auth, json_type_string))
        return rcr_make_error (err, 0, "%s: \"auth\" is not a string", source);
      if (rcr_auth_decode (json_object_get_string (auth), source, user, password, err) < 0)
        return -1;
      return 1;
    }
  u = rcr_json_get_string (entry, "username", NULL);
  p = rcr_json_get_string (entry, "password", NULL);
  if (u && u[0] && p)
    {
      *user = rcr_xstrdup (u);
      *password = rcr_xstrdup (p);
      return 1;
    }
  rcr_debug ("%s: no \"auth\" (a credential helper marker?), skipped", source);
  return 0;
}

static const char *
normalize_registry (const char *registry)
{
  if (strcmp (registry, "registry-1.docker.io") == 0 || strcmp (registry, "docker.io") == 0)
    return "index.docker.io";
  return registry;
}

/* containers/image normalizeAuthFileKey: "https://host/v1/" → "host"; docker.io aliases
   → "index.docker.io". */
static char *
normalize_key (const char *key, bool legacy)
{
  const char *s = key;
  cleanup_free char *host = NULL;

  if (rcr_has_prefix (s, "http://"))
    s += strlen ("http://");
  else if (rcr_has_prefix (s, "https://"))
    s += strlen ("https://");
  host = (legacy || s != key) ? strndup (s, strcspn (s, "/")) : rcr_xstrdup (s);
  if (host == NULL)
    abort ();
  return rcr_xstrdup (normalize_registry (host));
}

/* 1 and the credentials when path has an entry for key ("host[/repo/path]"), else 0. */
static int
find_in_file (json_object *auths, const char *path, bool legacy, const char *host, const char *key, char **user,
              char **password, rcr_error_t *err)
{
  cleanup_free char *cand = rcr_xstrdup (legacy ? host : key);
  const char *registry = normalize_registry (host);
  json_object *entry;
  int r;

  /* Namespaced keys match exactly, most specific first; legacy files know hosts only. */
  for (;;)
    {
      char *slash;
      if (json_object_object_get_ex (auths, cand, &entry))
        {
          r = decode_entry (entry, path, cand, user, password, err);
          if (r != 0)
            return r;
        }
      slash = strrchr (cand, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }

  /* Keys written as URLs ("https://host/v1/"), and docker.io under its other names. */
  json_object_object_foreach (auths, k, v)
  {
    cleanup_free char *norm = normalize_key (k, legacy);
    if (strcmp (norm, registry) != 0)
      continue;
    r = decode_entry (v, path, k, user, password, err);
    if (r != 0)
      return r;
  }
  return 0;
}

int
rcr_auth_lookup (const char *authfile, const char *host, const char *repo_path, char **user, char **password,
                 char **source_file, rcr_error_t *err)
{
  struct auth_path paths[N_AUTH_PATHS];
  cleanup_free char *key = NULL;
  size_t n;
  int ret = 0;

  *user = NULL;
  if (password)
    *password = NULL;
  if (source_file)
    *source_file = NULL;
  if (host == NULL || host[0] == '\0')
    return rcr_make_error (err, 0, "look up credentials: empty registry host");

  if (repo_path && repo_path[0])
    {
      size_t len = strlen (repo_path);
      while (len > 0 && repo_path[len - 1] == '/')
        len--;
      key = rcr_strdup_printf ("%s/%.*s", host, (int)len, repo_path);
    }
  else
    key = rcr_xstrdup (host);

  n = lookup_paths (authfile, paths);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_json json_object *root = NULL;
      cleanup_free char *u = NULL;
      cleanup_free char *p = NULL;
      json_object *auths = NULL;
      int r;

      if (load_file (paths[i].path, &root, err) < 0
          || (root && auths_of (root, paths[i].legacy, paths[i].path, &auths, err) < 0))
        {
          ret = -1;
          break;
        }
      if (root == NULL || auths == NULL)
        continue;
      r = find_in_file (auths, paths[i].path, paths[i].legacy, host, key, &u, &p, err);
      if (r < 0)
        {
          ret = -1;
          break;
        }
      if (r == 0)
        continue;
      *user = steal_pointer (&u);
      if (password)
        *password = steal_pointer (&p);
      else
        explicit_bzero (p, strlen (p));
      if (source_file)
        *source_file = rcr_xstrdup (paths[i].path);
      break;
    }
  auth_paths_clear (paths, n);
  return ret;
}

static int
validate_key (const char *key, rcr_error_t *err)
{
  if (key == NULL || key[0] == '\0')
    return rcr_make_error (err, 0, "empty credentials key");
  if (rcr_has_prefix (key, "http://") || rcr_has_prefix (key, "https://"))
    return rcr_make_error (err, 0, "credentials key \"%s\" has an http[s]:// prefix; use the registry host", key);
  for (const char *p = key; *p; p++)
    if (isspace ((unsigned char)*p) || iscntrl ((unsigned char)*p))
      return rcr_make_error (err, 0, "invalid credentials key \"%s\"", key);
  return 0;
}

static int
prepare_write (const char *file, rcr_error_t *err)
{
  cleanup_free char *dir = rcr_xstrdup (file);
  char *slash = strrchr (dir, '/');

  if (slash == NULL || slash == dir)
    return 0;
  *slash = '\0';
  return rcr_mkdir_p (dir, 0700, err);
}

/* Always 0600: the atomic rename replaces a file that was group or world readable. */
static int
write_auth_file (const char *file, json_object *root, rcr_error_t *err)
{
  if (prepare_write (file, err) < 0 || rcr_json_write_file (file, root, 0600, err) < 0)
    return rcr_error_wrap (err, "write credentials");
  return 0;
}

int
rcr_auth_store (const char *file, const char *key, const char *user, const char *password, rcr_error_t *err)
{
  cleanup_free char *def = NULL;
  cleanup_free char *b64 = NULL;
  cleanup_json json_object *root = NULL;
  json_object *auths, *entry;

  if (validate_key (key, err) < 0)
    return -1;
  if (user == NULL || user[0] == '\0')
    return rcr_make_error (err, 0, "store credentials for %s: empty user name", key);
  /* The stored form is "user:password" split at the first ':'. */
  if (strchr (user, ':'))
    return rcr_make_error (err, 0, "store credentials for %s: the user name contains ':'", key);
  if (password == NULL)
    password = "";
  if (file == NULL)
    file = def = rcr_auth_default_file ();

  if (load_file (file, &root, err) < 0)
    return -1;
  if (root == NULL)
    root = json_object_new_object ();
  if (auths_of (root, false, file, &auths, err) < 0)
    return -1;
  if (auths == NULL)
    {
      auths = json_object_new_object ();
      json_object_object_add (root, "auths", auths);
    }

  b64 = rcr_auth_encode (user, password);
  entry = json_object_new_object ();
  json_object_object_add (entry, "auth", json_object_new_string (b64));
  explicit_bzero (b64, strlen (b64));
  json_object_object_add (auths, key, entry);
  return write_auth_file (file, root, err);
}

static int
not_logged_in (const char *key, rcr_error_t *err)
{
  /* Podman's wording; ENOENT lets the CLI tell it from real failures. */
  rcr_make_error (err, 0, "not logged into %s", key);
  if (err && *err)
    (*err)->status = ENOENT;
  return -ENOENT - 1;
}

int
rcr_auth_remove (const char *file, const char *key, bool all, rcr_error_t *err)
{
  cleanup_free char *def = NULL;
  cleanup_json json_object *root = NULL;
  json_object *auths;

  if (!all && (key == NULL || key[0] == '\0'))
    return rcr_make_error (err, 0, "empty credentials key");
  if (file == NULL)
    file = def = rcr_auth_default_file ();
  if (load_file (file, &root, err) < 0)
    return -1;
  if (root == NULL)
    return all ? 0 : not_logged_in (key, err);
  if (auths_of (root, false, file, &auths, err) < 0)
    return -1;
  if (all)
    json_object_object_add (root, "auths", json_object_new_object ());
  else
    {
      if (auths == NULL || !json_object_object_get_ex (auths, key, NULL))
        return not_logged_in (key, err);
      json_object_object_del (auths, key);
    }
  return write_auth_file (file, root, err);
}

int
rcr_auth_parse_creds (const char *creds, char **user, char **password, rcr_error_t *err)
{
  const char *colon;

  *user = *password = NULL;
  if (creds == NULL || creds[0] == '\0')
    return rcr_make_error (err, 0, "credentials can't be empty");
  colon = strchr (creds, ':');
  if (colon == NULL)
    {
      *user = rcr_xstrdup (creds);
      return 0;
    }
  if (colon == creds)
    return rcr_make_error (err, 0, "username can't be empty");
  *user = strndup (creds, (size_t)(colon - creds));
  if (*user == NULL)
    abort ();
  *password = rcr_xstrdup (colon + 1);
  return 0;
}
