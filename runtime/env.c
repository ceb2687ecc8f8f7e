/* SPDX-License-Identifier: Apache-2.0 */
/* The container's environment vector and podman's --env / --env-file syntax
   (pkg/env ParseFile, as restored by podman#20256 after the 4.7.0 dotenv parser was
   reverted):
     - leading blanks of a line are dropped; empty lines and "#" lines are skipped;
     - KEY=VALUE: VALUE is taken verbatim, quotes and trailing blanks included;
     - KEY alone: the caller's value of KEY, skipped when unset;
     - KEY* alone: every variable of the caller whose name starts with KEY;
     - a line starting with "=" is an error. */
#define _GNU_SOURCE
#include "process.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

extern char **environ;

#define ENV_FILE_MAX (16 * 1024 * 1024)

/* Sets key (keylen bytes) to value, replacing an existing entry. */
static void
env_put (char ***env, size_t *n, const char *key, size_t keylen, const char *value)
{
  char *entry = rcr_strdup_printf ("%.*s=%s", (int)keylen, key, value);
  char **v = *env;
  size_t count = v ? *n : 0;

  for (size_t i = 0; i < count; i++)
    if (strncmp (v[i], key, keylen) == 0 && v[i][keylen] == '=')
      {
        free (v[i]);
        v[i] = entry;
        return;
      }
  v = rcr_xrealloc (v, (count + 2) * sizeof (char *));
  v[count] = entry;
  v[count + 1] = NULL;
  *env = v;
  *n = count + 1;
}

/* One "KEY=VALUE", "KEY" or "KEY*" item; false when the name is empty. */
static bool
env_apply (char ***env, size_t *n, const char *item)
{
  const char *eq = strchr (item, '=');
  size_t len;

  if (eq)
    {
      if (eq == item)
        return false;
      env_put (env, n, item, (size_t)(eq - item), eq + 1);
      return true;
    }
  len = strlen (item);
  if (len > 0 && item[len - 1] == '*')
    {
      /* "*" alone imports everything, as in podman */
      for (char **e = environ; e && *e; e++)
        {
          const char *heq = strchr (*e, '=');
          if (heq && strncmp (*e, item, len - 1) == 0)
            env_put (env, n, *e, (size_t)(heq - *e), heq + 1);
        }
      return true;
    }
  if (len == 0)
    return false;
  {
    const char *val = getenv (item);
    if (val)
      env_put (env, n, item, len, val);
  }
  return true;
}

int
rcr_env_file_read (const char *path, char ***env, size_t *n, rcr_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0, lineno = 0;
  char *cur, *end;
  int r;

  r = rcr_read_file (path, ENV_FILE_MAX, &text, &len, err);
  if (r < 0)
    return rcr_error_wrap (err, "env file");
  if (memchr (text, '\0', len))
    return rcr_make_error (err, 0, "env file \"%s\" contains a NUL byte; it must be a text file", path);
  cur = text;
  end = text + len;
  while (cur < end)
    {
      char *nl = memchr (cur, '\n', (size_t)(end - cur));
      char *line = cur, *e = nl ? nl : end;

      cur = nl ? nl + 1 : end;
      lineno++;
      /* bufio.ScanLines drops one "\r" before the newline */
      if (e > line && e[-1] == '\r')
        e--;
      *e = '\0';
      line += strspn (line, " \t");
      if (*line == '\0' || *line == '#')
        continue;
      if (!env_apply (env, n, line))
        return rcr_make_error (err, 0,
                               "env file \"%s\", line %zu: invalid variable \"%s\": the name before '=' is empty", path,
                               lineno, line);
    }
  return 0;
}

void
rcr_env_set (char ***env, size_t *n, const char *kv)
{
  if (kv == NULL || *kv == '\0')
    return;
  if (!env_apply (env, n, kv))
    rcr_warn ("ignoring environment variable \"%s\": the name before '=' is empty", kv);
}

const char *
rcr_env_get (char **env, const char *key)
{
  size_t klen;

  if (env == NULL || key == NULL)
    return NULL;
  klen = strlen (key);
  for (char **e = env; *e; e++)
    if (strncmp (*e, key, klen) == 0 && (*e)[klen] == '=')
      return *e + klen + 1;
  return NULL;
}
