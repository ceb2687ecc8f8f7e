/* SPDX-License-Identifier: Apache-2.0 */
/* Image references as distribution/reference defines them:
     reference := name [":" tag] ["@" digest]
     name      := [domain "/"] component ("/" component)*
   Docker's normalisation: no domain → docker.io, one component on docker.io → library/. */
#define _GNU_SOURCE
#include "ref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

bool
rcr_digest_valid (const char *digest)
{
  const char *hex;
  if (digest == NULL || !rcr_has_prefix (digest, "sha256:"))
    return false;
  hex = digest + strlen ("sha256:");
  if (strlen (hex) != 64)
    return false;
  for (const char *p = hex; *p; p++)
    if (!isdigit ((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
      return false;
  return true;
}

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := "." | "_" | "__" | "-"+ */
static bool
component_valid (const char *s, size_t len)
{
  size_t i = 0;
  if (len == 0 || !is_lower_alnum (s[0]) || !is_lower_alnum (s[len - 1]))
    return false;
  while (i < len)
    {
      if (is_lower_alnum (s[i]))
        {
          i++;
          continue;
        }
      if (s[i] == '.')
        i++;
      else if (s[i] == '_')
        i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
      else if (s[i] == '-')
        while (i < len && s[i] == '-')
          i++;
      else
        return false;
      if (i >= len || !is_lower_alnum (s[i]))
        return false;
    }
  return true;
}

/* domain := host [":" port]; host labels of [A-Za-z0-9-], or a bracketed IPv6 address. */
static bool
domain_valid (const char *s)
{
  const char *colon;
  size_t hostlen;

  if (*s == '[')
    {
      const char *close = strchr (s, ']');
      if (close == NULL || close == s + 1)
        return false;
      for (const char *p = s + 1; p < close; p++)
        if (!isxdigit ((unsigned char)*p) && *p != ':')
          return false;
      colon = close[1] == ':' ? close + 1 : NULL;
      if (close[1] != '\0' && colon == NULL)
        return false;
    }
  else
    {
      colon = strchr (s, ':');
      hostlen = colon ? (size_t)(colon - s) : strlen (s);
      if (hostlen == 0)
        return false;
      for (size_t i = 0; i < hostlen; i++)
        {
          char c = s[i];
          if (!isalnum ((unsigned char)c) && c != '-' && c != '.')
            return false;
          if ((c == '.' || c == '-') && (i == 0 || i == hostlen - 1))
            return false;
        }
    }
  if (colon)
    {
      uint64_t port;
      if (rcr_parse_u64 (colon + 1, &port) < 0 || port == 0 || port > 65535)
        return false;
    }
  return true;
}

static bool
tag_valid (const char *t)
{
  size_t len = strlen (t);
  if (len == 0 || len > TAG_MAX_LEN)
    return false;
  if (!isalnum ((unsigned char)t[0]) && t[0] != '_')
    return false;
  for (size_t i = 1; i < len; i++)
    if (!isalnum ((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
      return false;
  return true;
}

static bool
looks_like_domain (const char *first, size_t len)
{
  return memchr (first, '.', len) || memchr (first, ':', len) || (len == 9 && memcmp (first, "localhost", 9) == 0)
         || memchr (first, '[', len);
}

void
rcr_image_ref_free (struct rcr_image_ref *ref)
{
  if (ref == NULL)
    return;
  free (ref->domain);
  free (ref->path);
  free (ref->tag);
  free (ref->digest);
  free (ref);
}

int
rcr_image_ref_parse (const char *input, struct rcr_image_ref **out, rcr_error_t *err)
{
  cleanup_free char *s = NULL;
  cleanup_image_ref struct rcr_image_ref *ref = NULL;
  char *at, *name, *slash, *last_slash, *colon;

  if (input == NULL || *input == '\0')
    return rcr_make_error (err, 0, "invalid reference format: empty image name");
  if (strlen (input) > 4096)
    return rcr_make_error (err, 0, "invalid reference format: image name too long");
  /* The transports podman accepts in front of a registry reference. */
  if (rcr_has_prefix (input, "docker://"))
    input += strlen ("docker://");
  s = rcr_xstrdup (input);
  ref = rcr_xmalloc0 (sizeof (*ref));

  at = strchr (s, '@');
  if (at)
    {
      *at = '\0';
      if (!rcr_digest_valid (at + 1))
        return rcr_make_error (err, 0,
                               "invalid reference \"%s\": bad digest \"%s\" (expected sha256: followed by 64 "
                               "lowercase hex digits)",
                               input, at + 1);
      ref->digest = rcr_xstrdup (at + 1);
    }

  name = s;
  last_slash = strrchr (name, '/');
  colon = strrchr (name, ':');
  if (colon && (last_slash == NULL || colon > last_slash))
    {
      *colon = '\0';
      if (!tag_valid (colon + 1))
        return rcr_make_error (err, 0,
                               "invalid reference \"%s\": bad tag \"%s\" (letters, digits, '_', '.', '-'; at most "
                               "128, not starting with '.' or '-')",
                               input, colon + 1);
      ref->tag = rcr_xstrdup (colon + 1);
    }

  slash = strchr (name, '/');
  if (slash && looks_like_domain (name, (size_t)(slash - name)))
    {
      *slash = '\0';
      if (!domain_valid (name))
        return rcr_make_error (err, 0, "invalid reference \"%s\": bad registry host \"%s\"", input, name);
      ref->domain = rcr_xstrdup (name);
      name = slash + 1;
    }
  else
    {
      ref->domain = rcr_xstrdup ("docker.io");
      ref->short_name = true;
    }

  if (*name == '\0')
    return rcr_make_error (err, 0, "invalid reference \"%s\": no repository name", input);
  for (const char *p = name; *p; p++)
    if (isupper ((unsigned char)*p))
      return rcr_make_error (err, 0, "invalid reference \"%s\": repository name must be lowercase", input);
  for (char *c = name;;)
    {
      char *e = strchr (c, '/');
      size_t len = e ? (size_t)(e - c) : strlen (c);
      if (!component_valid (c, len))
        return rcr_make_error (err, 0,
                               "invalid reference \"%s\": bad repository name component \"%.*s\" (lowercase "
                               "letters, digits and separators '.', '_', '__', '-')",
                               input, (int)len, c);
      if (e == NULL)
        break;
      c = e + 1;
    }

  if (strcmp (ref->domain, "index.docker.io") == 0)
    {
      free (ref->domain);
      ref->domain = rcr_xstrdup ("docker.io");
    }
  if (strcmp (ref->domain, "docker.io") == 0 && strchr (name, '/') == NULL)
    ref->path = rcr_strdup_printf ("library/%s", name);
  else
    ref->path = rcr_xstrdup (name);

  if (strlen (ref->domain) + 1 + strlen (ref->path) > NAME_MAX_LEN)
    return rcr_make_error (err, 0, "invalid reference \"%s\": repository name longer than %d characters", input,
                           NAME_MAX_LEN);
  if (ref->tag == NULL && ref->digest == NULL)
    ref->tag = rcr_xstrdup ("latest");
  *out = steal_pointer (&ref);
  return 0;
}

char *
rcr_image_ref_name (const struct rcr_image_ref *ref)
{
  return rcr_strdup_printf ("%s/%s", ref->domain, ref->path);
}

char *
rcr_image_ref_string (const struct rcr_image_ref *ref)
{
  return rcr_strdup_printf ("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                            ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}
