/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "storage/registries.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/toml.h"

/* registries.conf files are a few KiB; anything this large is not one. */
#define MAX_CONF_SIZE (4 * 1024 * 1024)

#define DEFAULT_CREDENTIAL_HELPER "containers-auth.json"

static int __attribute__ ((format (printf, 4, 5)))
conf_error (rcr_error_t *err, const char *file, int line, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (line > 0)
    return rcr_make_error (err, 0, "\"%s\" line %d: %s", file, line, msg);
  return rcr_make_error (err, 0, "\"%s\": %s", file, msg);
}

static void
strv_free (char **v)
{
  rcr_cleanup_strvp (&v);
}

static char **
strv_new_empty (void)
{
  return rcr_xmalloc0 (sizeof (char *));
}

static void
strv_append (char ***v, const char *s)
{
  size_t n = rcr_strv_len (*v);
  *v = rcr_xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = rcr_xstrdup (s);
  (*v)[n + 1] = NULL;
}

static void
registry_clear (struct rcr_registry *r)
{
  free (r->prefix);
  free (r->location);
  free (r->file);
  for (size_t i = 0; i < r->n_mirrors; i++)
    free (r->mirrors[i].location);
  free (r->mirrors);
  memset (r, 0, sizeof (*r));
}

static void
alias_clear (struct rcr_registry_alias *a)
{
  free (a->name);
  free (a->value);
  free (a->file);
  memset (a, 0, sizeof (*a));
}

void
rcr_registries_free (struct rcr_registries *regs)
{
  if (regs == NULL)
    return;
  strv_free (regs->search);
  free (regs->search_origin);
  free (regs->short_name_mode_origin);
  strv_free (regs->credential_helpers);
  for (size_t i = 0; i < regs->n_registries; i++)
    registry_clear (&regs->registries[i]);
  free (regs->registries);
  for (size_t i = 0; i < regs->n_aliases; i++)
    alias_clear (&regs->aliases[i]);
  free (regs->aliases);
  strv_free (regs->files);
  free (regs);
}

const char *
rcr_registries_short_name_mode_name (enum rcr_short_name_mode mode)
{
  switch (mode)
    {
    case RCR_SHORT_NAME_MODE_ENFORCING:
      return "enforcing";
    case RCR_SHORT_NAME_MODE_DISABLED:
      return "disabled";
    case RCR_SHORT_NAME_MODE_PERMISSIVE:
    default:
      return "permissive";
    }
}

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum (char c)
{
  return is_lower_alnum (c) || (c >= 'A' && c <= 'Z');
}

/* host[:port] as in the distribution reference grammar: DNS labels or an IPv4 address, or a
   bracketed IPv6 address, then an optional decimal port. */
static bool
valid_domain (const char *s, size_t n)
{
  size_t i = 0;

  if (n > 0 && s[0] == '[')
    {
      size_t start = ++i;
      while (i < n
             && (s[i] == ':' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
                 || (s[i] >= 'A' && s[i] <= 'F')))
        i++;
      if (i == start || i >= n || s[i] != ']')
        return false;
      i++;
    }
  else
    {
      for (;;)
        {
          size_t start = i;
          while (i < n && (is_alnum (s[i]) || s[i] == '-'))
            i++;
          if (i == start || s[start] == '-' || s[i - 1] == '-')
            return false;
          if (i < n && s[i] == '.')
            {
              i++;
              continue;
            }
          break;
        }
    }
  if (i < n && s[i] == ':')
    {
      size_t start = ++i;
      while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
      if (i == start)
        return false;
    }
  return i == n;
}

/* One repository path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'. */
static bool
valid_path_component (const char *s, size_t n)
{
  size_t i = 0;
  for (;;)
    {
      size_t start = i;
      while (i < n && is_lower_alnum (s[i]))
        i++;
      if (i == start)
        return false;
      if (i == n)
        return true;
      if (s[i] == '.')
        i++;
      else if (s[i] == '_')
        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
      else if (s[i] == '-')
        while (i < n && s[i] == '-')
          i++;
      else
        return false;
    }
}

static bool
valid_path (const char *s)
{
  for (;;)
    {
      size_t n = strcspn (s, "/");
      if (!valid_path_component (s, n))
        return false;
      if (s[n] == '\0')
        return true;
      s += n + 1;
    }
}

/* The first component names a registry when it looks like a host (as Docker decides). */
static bool
component_is_domain (const char *s, size_t n)
{
  return memchr (s, '.', n) || memchr (s, ':', n) || (n == 9 && memcmp (s, "localhost", 9) == 0);
}

/* Why name cannot be the left side of an alias, or NULL when it can. */
static const char *
short_name_problem (const char *name)
{
  const char *slash = strchr (name, '/');
  const char *last = strrchr (name, '/');

  if (strchr (name, '@'))
    return "must not contain a digest";
  if (slash && component_is_domain (name, (size_t)(slash - name)))
    return "must not contain a registry";
  if (strchr (last ? last + 1 : name, ':'))
    return "must not contain a tag";
  if (!valid_path (name))
    return "is not a valid image name (lowercase letters, digits, separators '.', '_', '-' and '/')";
  return NULL;
}

/* Checks and normalises the right side of an alias like Docker's ParseNormalizedNamed. */
static const char *
alias_value_normalize (const char *value, char **out)
{
  const char *slash = strchr (value, '/');
  const char *path;
  size_t dlen;

  if (strchr (value, '@'))
    return "must not contain a digest";
  if (slash == NULL || !component_is_domain (value, (size_t)(slash - value)))
    return "must contain a registry and a repository, e.g. \"docker.io/library/alpine\"";
  dlen = (size_t)(slash - value);
  path = slash + 1;
  if (!valid_domain (value, dlen))
    return "has an invalid registry host";
  if (strchr (path, ':'))
    return "must not contain a tag";
  if (!valid_path (path))
    return "is not a valid image name (lowercase letters, digits, separators '.', '_', '-' and '/')";
  if ((dlen == 9 && memcmp (value, "docker.io", 9) == 0) || (dlen == 15 && memcmp (value, "index.docker.io", 15) == 0))
    *out = rcr_strdup_printf ("docker.io/%s%s", strchr (path, '/') ? "" : "library/", path);
  else
    *out = rcr_xstrdup (value);
  return NULL;
}

static char *
xstrndup (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    abort ();
  return r;
}

/* Trims trailing '/' and refuses URLs, as containers/image parseLocation does. */
static int
parse_location (const char *file, int line, const char *what, const char *in, char **out, rcr_error_t *err)
{
  size_t n = strlen (in);
  cleanup_free char *trimmed = NULL;

  while (n > 0 && in[n - 1] == '/')
    n--;
  trimmed = xstrndup (in, n);
  if (rcr_has_prefix (trimmed, "http://") || rcr_has_prefix (trimmed, "https://"))
    return conf_error (err, file, line, "invalid %s \"%s\": URI schemes are not supported; write \"%s\"", what, in,
                       trimmed + (trimmed[4] == 's' ? 8 : 7));
  free (*out);
  *out = steal_pointer (&trimmed);
  return 0;
}

static int
want_string (const char *file, const char *key, json_object *v, const char **out, rcr_error_t *err)
{
  if (!json_object_is_type (v, json_type_string))
    return conf_error (err, file, rcr_toml_line (v), "'%s' must be a \"string\"", key);
  *out = json_object_get_string (v);
  return 0;
}

static int
want_bool (const char *file, const char *key, json_object *v, bool *out, rcr_error_t *err)
{
  if (!json_object_is_type (v, json_type_boolean))
    return conf_error (err, file, rcr_toml_line (v), "'%s' must be true or false", key);
  *out = json_object_get_boolean (v);
  return 0;
}

static int
want_string_array (const char *file, const char *key, json_object *v, char ***out, rcr_error_t *err)
{
  cleanup_strv char **res = strv_new_empty ();

  if (!json_object_is_type (v, json_type_array))
    return conf_error (err, file, rcr_toml_line (v), "'%s' must be an array of strings, e.g. [\"docker.io\"]", key);
  for (size_t i = 0; i < json_object_array_length (v); i++)
    {
      json_object *e = json_object_array_get_idx (v, i);
      if (!json_object_is_type (e, json_type_string))
        return conf_error (err, file, rcr_toml_line (v), "'%s' must be an array of strings, e.g. [\"docker.io\"]", key);
      strv_append (&res, json_object_get_string (e));
    }
  strv_free (*out);
  *out = steal_pointer (&res);
  return 0;
}

/* An array of tables, i.e. written as [[name]]; a lone [name] is a common mistake. */
static int
want_table_array (const char *file, const char *key, json_object *v, rcr_error_t *err)
{
  if (json_object_is_type (v, json_type_object))
    return conf_error (err, file, rcr_toml_line (v), "[%s] must be written [[%s]] (an array of tables)", key, key);
  if (!json_object_is_type (v, json_type_array))
    return conf_error (err, file, rcr_toml_line (v), "'%s' must be [[%s]] tables", key, key);
  for (size_t i = 0; i < json_object_array_length (v); i++)
    if (!json_object_is_type (json_object_array_get_idx (v, i), json_type_object))
      return conf_error (err, file, rcr_toml_line (v), "'%s' must be [[%s]] tables", key, key);
  return 0;
}

static void
unknown_key (const char *file, json_object *v, const char *table, const char *key)
{
  /* Podman ignores keys it does not know (newer or older versions may); so do we. */
  rcr_debug ("\"%s\" line %d: ignoring unknown key '%s' in %s", file, rcr_toml_line (v), key, table);
}

static int
parse_pull_from_mirror (const char *file, json_object *v, enum rcr_pull_from_mirror *out, rcr_error_t *err)
{
  const char *s = NULL;

  if (want_string (file, "pull-from-mirror", v, &s, err) < 0)
    return -1;
  if (strcmp (s, "") == 0 || strcmp (s, "all") == 0)
    *out = RCR_PULL_FROM_MIRROR_ALL;
  else if (strcmp (s, "digest-only") == 0)
    *out = RCR_PULL_FROM_MIRROR_DIGEST_ONLY;
  else if (strcmp (s, "tag-only") == 0)
    *out = RCR_PULL_FROM_MIRROR_TAG_ONLY;
  else
    return conf_error (err, file, rcr_toml_line (v),
                       "unsupported pull-from-mirror value \"%s\": use \"all\", \"digest-only\" or \"tag-only\"", s);
  return 0;
}

static int
parse_mirror (const char *file, json_object *table, struct rcr_registry_mirror *m, bool *pull_from_mirror_set,
              rcr_error_t *err)
{
  const char *location = NULL;

  json_object_object_foreach (table, mkey, mval)
  {
    if (strcmp (mkey, "location") == 0)
      {
        if (want_string (file, mkey, mval, &location, err) < 0)
          return -1;
      }
    else if (strcmp (mkey, "insecure") == 0)
      {
        if (want_bool (file, mkey, mval, &m->insecure, err) < 0)
          return -1;
      }
    else if (strcmp (mkey, "pull-from-mirror") == 0)
      {
        if (parse_pull_from_mirror (file, mval, &m->pull_from_mirror, err) < 0)
          return -1;
        *pull_from_mirror_set = json_object_get_string_len (mval) > 0;
      }
    else
      unknown_key (file, mval, "[[registry.mirror]]", mkey);
  }
  if (parse_location (file, rcr_toml_line (table), "mirror location", location ? location : "", &m->location, err) < 0)
    return -1;
  if (m->location[0] == '\0')
    return conf_error (err, file, rcr_toml_line (table), "[[registry.mirror]] has no location");
  return 0;
}

static int
parse_registry (const char *file, json_object *table, struct rcr_registry *r, rcr_error_t *err)
{
  const char *prefix = NULL, *location = NULL;
  json_object *mirrors = NULL;
  int line = rcr_toml_line (table);

  r->file = rcr_xstrdup (file);
  r->line = line;
  json_object_object_foreach (table, rkey, rval)
  {
    int ret = 0;
    if (strcmp (rkey, "prefix") == 0)
      ret = want_string (file, rkey, rval, &prefix, err);
    else if (strcmp (rkey, "location") == 0)
      ret = want_string (file, rkey, rval, &location, err);
    else if (strcmp (rkey, "insecure") == 0)
      ret = want_bool (file, rkey, rval, &r->insecure, err);
    else if (strcmp (rkey, "blocked") == 0)
      ret = want_bool (file, rkey, rval, &r->blocked, err);
    else if (strcmp (rkey, "mirror-by-digest-only") == 0)
      ret = want_bool (file, rkey, rval, &r->mirror_by_digest_only, err);
    else if (strcmp (rkey, "pull-from-mirror") == 0)
      {
        if (!json_object_is_type (rval, json_type_string) || json_object_get_string_len (rval) > 0)
          return conf_error (err, file, rcr_toml_line (rval),
                             "pull-from-mirror must not be set for a registry, only in its [[registry.mirror]] "
                             "tables");
      }
    else if (strcmp (rkey, "mirror") == 0)
      {
        ret = want_table_array (file, "registry.mirror", rval, err);
        mirrors = rval;
      }
    else
      unknown_key (file, rval, "[[registry]]", rkey);
    if (ret < 0)
      return -1;
  }

  if (parse_location (file, line, "location", location ? location : "", &r->location, err) < 0)
    return -1;
  if (prefix == NULL || prefix[0] == '\0')
    {
      if (r->location[0] == '\0')
        return conf_error (err, file, line, "[[registry]] needs a location (or a prefix of the form *.example.com)");
      r->prefix = rcr_xstrdup (r->location);
    }
  else
    {
      if (parse_location (file, line, "prefix", prefix, &r->prefix, err) < 0)
        return -1;
      if (!rcr_has_prefix (r->prefix, "*.") && r->location[0] == '\0')
        return conf_error (err, file, line,
                           "[[registry]] with prefix \"%s\" has no location; only a prefix of the form "
                           "*.example.com may omit it",
                           r->prefix);
      if (rcr_has_prefix (r->prefix, "*.") && strpbrk (r->prefix, "/@:"))
        return conf_error (err, file, line,
                           "wildcard prefix \"%s\" must have the form *.example.com (no port, path, tag or digest)",
                           r->prefix);
    }

  if (mirrors)
    {
      size_t n = json_object_array_length (mirrors);
      r->mirrors = rcr_xmalloc0 (n * sizeof (*r->mirrors));
      for (size_t i = 0; i < n; i++)
        {
          json_object *m = json_object_array_get_idx (mirrors, i);
          bool pull_from_mirror_set = false;

          r->n_mirrors = i + 1;
          if (parse_mirror (file, m, &r->mirrors[i], &pull_from_mirror_set, err) < 0)
            return -1;
          if (r->mirror_by_digest_only && pull_from_mirror_set)
            return conf_error (err, file, rcr_toml_line (m),
                               "cannot use both mirror-by-digest-only for registry \"%s\" and pull-from-mirror for its "
                               "mirror \"%s\"",
                               r->prefix, r->mirrors[i].location);
        }
    }
  return 0;
}

static struct rcr_registry *
add_registry (struct rcr_registries *c)
{
  c->registries = rcr_xrealloc (c->registries, (c->n_registries + 1) * sizeof (*c->registries));
  memset (&c->registries[c->n_registries], 0, sizeof (*c->registries));
  return &c->registries[c->n_registries++];
}

static int
parse_registries (const char *file, json_object *arr, struct rcr_registries *c, rcr_error_t *err)
{
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    if (parse_registry (file, json_object_array_get_idx (arr, i), add_registry (c), err) < 0)
      return -1;
  return 0;
}

static int
parse_aliases (const char *file, json_object *table, struct rcr_registries *c, rcr_error_t *err)
{
  if (!json_object_is_type (table, json_type_object))
    return conf_error (err, file, rcr_toml_line (table), "'aliases' must be an [aliases] table");
  json_object_object_foreach (table, name, val)
  {
    const char *value = NULL, *problem = NULL;
    cleanup_free char *normalized = NULL;
    struct rcr_registry_alias *a;

    if (want_string (file, name, val, &value, err) < 0)
      return -1;
    problem = short_name_problem (name);
    if (problem)
      return conf_error (err, file, rcr_toml_line (val), "invalid short name \"%s\" in [aliases]: %s", name, problem);
    /* An empty value removes an alias set by an earlier file. */
    if (value[0] != '\0')
      {
        problem = alias_value_normalize (value, &normalized);
        if (problem)
          return conf_error (err, file, rcr_toml_line (val), "invalid alias \"%s\" = \"%s\": %s", name, value, problem);
      }
    c->aliases = rcr_xrealloc (c->aliases, (c->n_aliases + 1) * sizeof (*c->aliases));
    a = &c->aliases[c->n_aliases++];
    a->name = rcr_xstrdup (name);
    a->value = steal_pointer (&normalized);
    a->file = rcr_xstrdup (file);
    a->line = rcr_toml_line (val);
  }
  return 0;
}

/* The registries = [...] list of a version 1 [registries.SECTION] table, or NULL. */
static json_object *
v1_list (json_object *root, const char *section)
{
  json_object *regs = rcr_json_get_object (root, "registries");
  json_object *sec = regs ? rcr_json_get_object (regs, section) : NULL;
  json_object *list = NULL;
  if (sec && json_object_object_get_ex (sec, "registries", &list))
    return list;
  return NULL;
}

static struct rcr_registry *
v1_registry (struct rcr_registries *c, const char *file, const char *location, int line)
{
  struct rcr_registry *r;
  for (size_t i = 0; i < c->n_registries; i++)
    if (strcmp (c->registries[i].location, location) == 0)
      return &c->registries[i];
  r = add_registry (c);
  r->location = rcr_xstrdup (location);
  r->prefix = rcr_xstrdup (location);
  r->file = rcr_xstrdup (file);
  r->line = line;
  return r;
}

/* Version 1 ([registries.search], [registries.insecure], [registries.block]) is converted
   the way containers/image does, so that old files keep working. */
static int
convert_v1 (const char *file, json_object *root, struct rcr_registries *c, rcr_error_t *err)
{
  static const char *const sections[] = { "block", "insecure" };
  json_object *search = v1_list (root, "search");

  if (search && want_string_array (file, "registries.search.registries", search, &c->search, err) < 0)
    return -1;
  if (search)
    c->search_origin = rcr_xstrdup (file);
  for (size_t s = 0; s < 2; s++)
    {
      cleanup_strv char **list = NULL;
      json_object *arr = v1_list (root, sections[s]);
      if (arr == NULL)
        continue;
      if (want_string_array (file, s == 0 ? "registries.block.registries" : "registries.insecure.registries", arr,
                             &list, err)
          < 0)
        return -1;
      for (size_t i = 0; list[i]; i++)
        {
          cleanup_free char *location = NULL;
          struct rcr_registry *r;
          if (parse_location (file, rcr_toml_line (arr), "location", list[i], &location, err) < 0)
            return -1;
          r = v1_registry (c, file, location, rcr_toml_line (arr));
          if (s == 0)
            r->blocked = true;
          else
            r->insecure = true;
        }
    }
  return 0;
}

static bool
is_v2_key (const char *key)
{
  static const char *const keys[] = { "registry",        "unqualified-search-registries",      "credential-helpers",
                                      "short-name-mode", "additional-layer-store-auth-helper", "aliases" };
  for (size_t i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
    if (strcmp (key, keys[i]) == 0)
      return true;
  return false;
}

static int
compare_registries (const void *a, const void *b)
{
  return strcmp (((const struct rcr_registry *)a)->prefix, ((const struct rcr_registry *)b)->prefix);
}

static int
compare_aliases (const void *a, const void *b)
{
  return strcmp (((const struct rcr_registry_alias *)a)->name, ((const struct rcr_registry_alias *)b)->name);
}

/* The checks containers/image makes once a file is read (postProcessRegistries). */
static int
check_file (const char *file, struct rcr_registries *c, rcr_error_t *err)
{
  size_t kept = 0;

  /* A registry may be listed under several prefixes, but not be both secure and insecure. */
  for (size_t i = 0; i < c->n_registries; i++)
    for (size_t j = i + 1; j < c->n_registries; j++)
      {
        struct rcr_registry *a = &c->registries[i], *b = &c->registries[j];
        const char *ka = a->location[0] ? a->location : a->prefix;
        const char *kb = b->location[0] ? b->location : b->prefix;
        if (strcmp (ka, kb) != 0)
          continue;
        if (a->insecure != b->insecure)
          return conf_error (err, file, b->line,
                             "registry \"%s\" is defined multiple times with conflicting 'insecure' settings (see "
                             "line %d)",
                             ka, a->line);
        if (a->blocked != b->blocked)
          return conf_error (err, file, b->line,
                             "registry \"%s\" is defined multiple times with conflicting 'blocked' settings (see "
                             "line %d)",
                             ka, a->line);
      }

  /* The first entry for a prefix wins, later ones are ignored (as Podman does). */
  for (size_t i = 0; i < c->n_registries; i++)
    {
      bool dup = false;
      for (size_t j = 0; j < kept && !dup; j++)
        dup = strcmp (c->registries[j].prefix, c->registries[i].prefix) == 0;
      if (dup)
        {
          rcr_debug ("\"%s\" line %d: ignoring [[registry]] with prefix \"%s\" already defined above", file,
                     c->registries[i].line, c->registries[i].prefix);
          registry_clear (&c->registries[i]);
          continue;
        }
      if (kept != i)
        {
          c->registries[kept] = c->registries[i];
          memset (&c->registries[i], 0, sizeof (c->registries[i]));
        }
      kept++;
    }
  c->n_registries = kept;
  return 0;
}

static int
check_search (const char *file, int line, char **search, rcr_error_t *err)
{
  for (size_t i = 0; search && search[i]; i++)
    {
      cleanup_free char *host = NULL;
      if (parse_location (file, line, "unqualified-search-registries entry", search[i], &host, err) < 0)
        return -1;
      if (!valid_domain (host, strlen (host)))
        return conf_error (err, file, line,
                           "invalid unqualified-search-registries entry \"%s\": expected a host[:port] such as "
                           "\"docker.io\"",
                           search[i]);
      free (search[i]);
      search[i] = steal_pointer (&host);
    }
  return 0;
}

/* Reads one file into a fresh configuration holding only what that file sets. */
static int
load_file (const char *file, bool drop_in, bool *missing, struct rcr_registries **out, rcr_error_t *err)
{
  cleanup_json json_object *root = NULL;
  cleanup_registries struct rcr_registries *c = rcr_xmalloc0 (sizeof (*c));
  bool v1 = false, v2 = false;
  int search_line = 0;

  *missing = false;
  if (rcr_toml_parse_file (file, MAX_CONF_SIZE, &root, err) < 0)
    {
      if (*err && (*err)->status == ENOENT)
        {
          *missing = true;
          rcr_error_release (err);
          return 0;
        }
      return -1;
    }
  rcr_debug ("loading registries configuration \"%s\"", file);

  v1 = v1_list (root, "search") || v1_list (root, "insecure") || v1_list (root, "block");
  json_object_object_foreach (root, key, val)
  {
    int ret = 0;
    if (is_v2_key (key))
      v2 = true;
    if (strcmp (key, "unqualified-search-registries") == 0)
      {
        ret = want_string_array (file, key, val, &c->search, err);
        c->search_origin = rcr_xstrdup (file);
        search_line = rcr_toml_line (val);
      }
    else if (strcmp (key, "credential-helpers") == 0)
      ret = want_string_array (file, key, val, &c->credential_helpers, err);
    else if (strcmp (key, "short-name-mode") == 0)
      {
        const char *mode = NULL;
        if (want_string (file, key, val, &mode, err) < 0)
          return -1;
        if (strcmp (mode, "enforcing") == 0)
          c->short_name_mode = RCR_SHORT_NAME_MODE_ENFORCING;
        else if (strcmp (mode, "permissive") == 0)
          c->short_name_mode = RCR_SHORT_NAME_MODE_PERMISSIVE;
        else if (strcmp (mode, "disabled") == 0)
          c->short_name_mode = RCR_SHORT_NAME_MODE_DISABLED;
        else if (mode[0] != '\0')
          return conf_error (err, file, rcr_toml_line (val),
                             "invalid short-name-mode \"%s\": use \"enforcing\", \"permissive\" or \"disabled\"", mode);
        if (mode[0] != '\0')
          c->short_name_mode_origin = rcr_xstrdup (file);
      }
    else if (strcmp (key, "registry") == 0)
      {
        ret = want_table_array (file, key, val, err);
        if (ret == 0)
          ret = parse_registries (file, val, c, err);
      }
    else if (strcmp (key, "aliases") == 0)
      ret = parse_aliases (file, val, c, err);
    else if (strcmp (key, "registries") == 0 && json_object_is_type (val, json_type_object))
      ; /* version 1, handled below */
    else if (strcmp (key, "additional-layer-store-auth-helper") != 0)
      unknown_key (file, val, "the top level", key);
    if (ret < 0)
      return -1;
  }

  if (v1)
    {
      if (drop_in)
        return conf_error (err, file, 0,
                           "drop-in files must use the version 2 format (unqualified-search-registries = [...], "
                           "[[registry]]) instead of [registries.search], [registries.insecure] or [registries.block]; "
                           "see containers-registries.conf(5)");
      if (v2)
        return conf_error (err, file, 0,
                           "mixing the version 1 format ([registries.search], [registries.insecure], "
                           "[registries.block]) with version 2 settings is not supported; convert the file to "
                           "version 2 (unqualified-search-registries = [...], [[registry]]), see "
                           "containers-registries.conf(5)");
      if (convert_v1 (file, root, c, err) < 0)
        return -1;
      search_line = rcr_toml_line (v1_list (root, "search"));
    }

  if (check_file (file, c, err) < 0 || check_search (file, search_line, c->search, err) < 0)
    return -1;
  *out = steal_pointer (&c);
  return 0;
}

/* Applies a later file on top of the configuration so far (updateWithConfigurationFrom). */
static void
merge (struct rcr_registries *base, struct rcr_registries *upd)
{
  if (upd->search)
    {
      strv_free (base->search);
      free (base->search_origin);
      base->search = steal_pointer (&upd->search);
      base->search_origin = steal_pointer (&upd->search_origin);
    }
  if (upd->credential_helpers)
    {
      strv_free (base->credential_helpers);
      base->credential_helpers = steal_pointer (&upd->credential_helpers);
    }
  if (upd->short_name_mode_origin)
    {
      free (base->short_name_mode_origin);
      base->short_name_mode = upd->short_name_mode;
      base->short_name_mode_origin = steal_pointer (&upd->short_name_mode_origin);
    }

  for (size_t i = 0; i < upd->n_registries; i++)
    {
      struct rcr_registry *dst = NULL;
      for (size_t j = 0; j < base->n_registries && dst == NULL; j++)
        if (strcmp (base->registries[j].prefix, upd->registries[i].prefix) == 0)
          dst = &base->registries[j];
      if (dst)
        registry_clear (dst);
      else
        dst = add_registry (base);
      *dst = upd->registries[i];
      memset (&upd->registries[i], 0, sizeof (upd->registries[i]));
    }

  for (size_t i = 0; i < upd->n_aliases; i++)
    {
      struct rcr_registry_alias *dst = NULL;
      for (size_t j = 0; j < base->n_aliases && dst == NULL; j++)
        if (strcmp (base->aliases[j].name, upd->aliases[i].name) == 0)
          dst = &base->aliases[j];
      if (dst)
        alias_clear (dst);
      else
        {
          base->aliases = rcr_xrealloc (base->aliases, (base->n_aliases + 1) * sizeof (*base->aliases));
          dst = &base->aliases[base->n_aliases++];
        }
      *dst = upd->aliases[i];
      memset (&upd->aliases[i], 0, sizeof (upd->aliases[i]));
    }
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* "*.conf" entries that are not directories, in byte order (as Go's WalkDir lists them). */
static int
list_drop_ins (const char *dir, char ***files, rcr_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  cleanup_strv char **names = strv_new_empty ();
  struct dirent *de;
  size_t n;

  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return rcr_make_error (err, errno, "open registries.conf.d directory \"%s\"", dir);
    }
  for (errno = 0; (de = readdir (d)) != NULL; errno = 0)
    {
      struct stat st;
      bool is_dir = de->d_type == DT_DIR;

      if (!rcr_has_suffix (de->d_name, ".conf"))
        continue;
      if (de->d_type == DT_UNKNOWN && fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        is_dir = S_ISDIR (st.st_mode);
      if (!is_dir)
        strv_append (&names, de->d_name);
    }
  if (errno != 0)
    return rcr_make_error (err, errno, "read registries.conf.d directory \"%s\"", dir);
  n = rcr_strv_len (names);
  qsort (names, n, sizeof (char *), compare_strings);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *path = rcr_strdup_printf ("%s/%s", dir, names[i]);
      strv_append (files, path);
    }
  return 0;
}

/* An alias set to "" only exists to cancel one from an earlier file. */
static void
drop_removed_aliases (struct rcr_registries *regs)
{
  size_t kept = 0;
  for (size_t i = 0; i < regs->n_aliases; i++)
    {
      if (regs->aliases[i].value == NULL)
        alias_clear (&regs->aliases[i]);
      else
        regs->aliases[kept++] = regs->aliases[i];
    }
  regs->n_aliases = kept;
}

static char *
home_dir (void)
{
  const char *home = getenv ("HOME");
  struct passwd *pw;

  if (home && home[0])
    return rcr_xstrdup (home);
  pw = getpwuid (getuid ());
  return pw && pw->pw_dir ? rcr_xstrdup (pw->pw_dir) : NULL;
}

static int
load_into (struct rcr_registries *regs, const char *file, bool drop_in, bool required, rcr_error_t *err)
{
  cleanup_registries struct rcr_registries *c = NULL;
  bool missing = false;

  if (load_file (file, drop_in, &missing, &c, err) < 0)
    return -1;
  if (missing)
    {
      if (required)
        return rcr_make_error (err, ENOENT, "open registries configuration \"%s\"", file);
      return 0;
    }
  strv_append (&regs->files, file);
  merge (regs, c);
  return 0;
}

int
rcr_registries_load (const struct rcr_registries_paths *paths, struct rcr_registries **out, rcr_error_t *err)
{
  cleanup_registries struct rcr_registries *regs = rcr_xmalloc0 (sizeof (*regs));
  cleanup_free char *home = NULL, *user_file = NULL, *user_dir = NULL;
  cleanup_strv char **drop_ins = strv_new_empty ();
  struct rcr_registries_paths defaults = { 0 };
  const char *main_file;
  bool use_system_dir = true;

  if (paths == NULL)
    {
      const char *env = getenv ("CONTAINERS_REGISTRIES_CONF");
      if (env == NULL || env[0] == '\0')
        env = getenv ("REGISTRIES_CONFIG_PATH");
      defaults.override_file = env && env[0] ? env : NULL;
      defaults.system_file = "/etc/containers/registries.conf";
      defaults.system_dir = "/etc/containers/registries.conf.d";
      home = home_dir ();
      if (home)
        {
          user_file = rcr_strdup_printf ("%s/.config/containers/registries.conf", home);
          user_dir = rcr_strdup_printf ("%s/.config/containers/registries.conf.d", home);
        }
      defaults.user_file = user_file;
      defaults.user_dir = user_dir;
      paths = &defaults;
    }

  regs->files = strv_new_empty ();
  if (paths->override_file)
    main_file = paths->override_file;
  else if (paths->user_file && access (paths->user_file, F_OK) == 0)
    {
      /* The user's file replaces the system file and the system drop-ins entirely. */
      main_file = paths->user_file;
      use_system_dir = false;
    }
  else
    main_file = paths->system_file;

  if (main_file && load_into (regs, main_file, false, paths->override_file != NULL, err) < 0)
    return -1;
  if (use_system_dir && paths->system_dir && list_drop_ins (paths->system_dir, &drop_ins, err) < 0)
    return -1;
  if (paths->user_dir && list_drop_ins (paths->user_dir, &drop_ins, err) < 0)
    return -1;
  for (size_t i = 0; drop_ins[i]; i++)
    if (load_into (regs, drop_ins[i], true, false, err) < 0)
      return -1;

  if (regs->search == NULL)
    regs->search = strv_new_empty ();
  if (regs->credential_helpers == NULL || regs->credential_helpers[0] == NULL)
    {
      strv_free (regs->credential_helpers);
      regs->credential_helpers = strv_new_empty ();
      strv_append (&regs->credential_helpers, DEFAULT_CREDENTIAL_HELPER);
    }

  drop_removed_aliases (regs);
  if (regs->n_registries)
    qsort (regs->registries, regs->n_registries, sizeof (*regs->registries), compare_registries);
  if (regs->n_aliases)
    qsort (regs->aliases, regs->n_aliases, sizeof (*regs->aliases), compare_aliases);

  *out = steal_pointer (&regs);
  return 0;
}

/* Length of ref matched by prefix, or -1 (containers/image refMatchingPrefix). For
   "*.example.com" the match covers the whole host, so that it is what gets rewritten. */
static ssize_t
ref_matching_prefix (const char *ref, const char *prefix)
{
  size_t rlen = strlen (ref), plen = strlen (prefix);

  if (rcr_has_prefix (prefix, "*."))
    {
      const char *hit = strstr (ref, prefix + 1);
      size_t end;
      if (hit == NULL || memchr (ref, '/', (size_t)(hit - ref)))
        return -1;
      end = (size_t)(hit - ref) + plen - 1;
      if (ref[end] == '\0' || ref[end] == '/' || ref[end] == ':' || ref[end] == '@')
        return (ssize_t)end;
      return -1;
    }
  if (rlen < plen || strncmp (ref, prefix, plen) != 0)
    return -1;
  if (rlen == plen || ref[plen] == '/' || ref[plen] == ':' || ref[plen] == '@')
    return (ssize_t)plen;
  return -1;
}

const struct rcr_registry *
rcr_registries_find (const struct rcr_registries *regs, const char *ref)
{
  const struct rcr_registry *best = NULL;
  size_t best_len = 0;

  for (size_t i = 0; regs && i < regs->n_registries; i++)
    {
      const struct rcr_registry *r = &regs->registries[i];
      size_t len = strlen (r->prefix);
      if (len > best_len && ref_matching_prefix (ref, r->prefix) >= 0)
        {
          best = r;
          best_len = len;
        }
    }
  return best;
}

const struct rcr_registry_alias *
rcr_registries_find_alias (const struct rcr_registries *regs, const char *short_name)
{
  struct rcr_registry_alias key = { .name = (char *)short_name };
  if (regs == NULL || regs->n_aliases == 0)
    return NULL;
  return bsearch (&key, regs->aliases, regs->n_aliases, sizeof (key), compare_aliases);
}

void
rcr_registries_pull_sources_free (struct rcr_pull_source *sources)
{
  if (sources == NULL)
    return;
  for (struct rcr_pull_source *s = sources; s->reference; s++)
    {
      free (s->reference);
      free (s->location);
    }
  free (sources);
}

static void
add_source (struct rcr_pull_source **v, size_t *n, char *reference, char *location, bool insecure, bool mirror)
{
  *v = rcr_xrealloc (*v, (*n + 2) * sizeof (**v));
  (*v)[*n] = (struct rcr_pull_source){
    .reference = reference, .location = location, .insecure = insecure, .mirror = mirror
  };
  (*n)++;
  memset (&(*v)[*n], 0, sizeof (**v));
}

int
rcr_registries_pull_sources (const struct rcr_registries *regs, const char *ref, struct rcr_pull_source **out,
                             size_t *n_out, rcr_error_t *err)
{
  __attribute__ ((cleanup (rcr_registries_pull_sources_freep))) struct rcr_pull_source *v = NULL;
  const struct rcr_registry *r;
  cleanup_free char *name = NULL;
  size_t n = 0, name_len;
  const char *last_slash;
  bool digested = strchr (ref, '@') != NULL;
  ssize_t plen;

  /* Registries are matched on the repository name alone, as containers/image does. */
  name_len = strcspn (ref, "@");
  last_slash = memrchr (ref, '/', name_len);
  if (last_slash)
    {
      const char *colon = memchr (last_slash, ':', name_len - (size_t)(last_slash - ref));
      if (colon)
        name_len = (size_t)(colon - ref);
    }
  name = xstrndup (ref, name_len);

  r = rcr_registries_find (regs, name);
  if (r == NULL)
    {
      add_source (&v, &n, rcr_xstrdup (ref), xstrndup (ref, strcspn (ref, "/")), false, false);
      goto done;
    }
  if (r->blocked)
    return rcr_make_error (err, 0, "registry %s is blocked in \"%s\" line %d", r->prefix, r->file, r->line);

  plen = ref_matching_prefix (ref, r->prefix);
  if (plen < 0)
    return rcr_make_error (err, 0, "invalid prefix \"%s\" for reference \"%s\"", r->prefix, ref);

  for (size_t i = 0; i < r->n_mirrors; i++)
    {
      const struct rcr_registry_mirror *m = &r->mirrors[i];
      bool use;
      if (r->mirror_by_digest_only)
        use = digested;
      else if (m->pull_from_mirror == RCR_PULL_FROM_MIRROR_DIGEST_ONLY)
        use = digested;
      else if (m->pull_from_mirror == RCR_PULL_FROM_MIRROR_TAG_ONLY)
        use = !digested;
      else
        use = true;
      if (use)
        add_source (&v, &n, rcr_strdup_printf ("%s%s", m->location, ref + plen), rcr_xstrdup (m->location), m->insecure,
                    true);
    }
  if (r->location[0] == '\0')
    /* A wildcard prefix without location: pull from the matched host itself. */
    add_source (&v, &n, rcr_xstrdup (ref), xstrndup (ref, strcspn (ref, "/")), r->insecure, false);
  else
    add_source (&v, &n, rcr_strdup_printf ("%s%s", r->location, ref + plen), rcr_xstrdup (r->location), r->insecure,
                false);

done:
  if (n_out)
    *n_out = n;
  *out = steal_pointer (&v);
  return 0;
}
