/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static bool
is_cgroup2 (const char *path)
{
  struct statfs sfs;
  return statfs (path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static char *
read_own_v2_path (void)
{
  cleanup_free char *text = NULL;
  char *saveptr = NULL;
  rcr_error_t err = NULL;

  if (rcr_read_file ("/proc/self/cgroup", 1 << 20, &text, NULL, &err) < 0)
    {
      rcr_error_release (&err);
      return NULL;
    }
  for (char *line = strtok_r (text, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    if (rcr_has_prefix (line, "0::"))
      return rcr_xstrdup (line + 3);
  return NULL;
}

static char **
split_words (const char *text)
{
  cleanup_free char *copy = rcr_xstrdup (text);
  char **v = rcr_xmalloc0 (sizeof (char *));
  size_t n = 0;
  char *saveptr = NULL;

  for (char *w = strtok_r (copy, " \t\n", &saveptr); w; w = strtok_r (NULL, " \t\n", &saveptr))
    {
      v = rcr_xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = rcr_xstrdup (w);
      v[n] = NULL;
    }
  return v;
}

/* A systemd manager that can create scopes for us: the system one for root, the user's
   own instance (reached through its private socket or the session bus) otherwise. */
static bool
has_systemd_manager (void)
{
  const char *rt = getenv ("XDG_RUNTIME_DIR");
  cleanup_free char *priv = NULL;
  cleanup_free char *bus = NULL;
  if (geteuid () == 0)
    return access ("/run/systemd/system", F_OK) == 0;
  if (rt == NULL || rt[0] != '/')
    return false;
  priv = rcr_strdup_printf ("%s/systemd/private", rt);
  bus = rcr_strdup_printf ("%s/bus", rt);
  return access (priv, F_OK) == 0 || access (bus, F_OK) == 0;
}

void
rcr_cgroup_probe (struct rcr_cgroup_probe *out)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *controllers_path = NULL;
  cleanup_free char *text = NULL;
  rcr_error_t err = NULL;
  size_t n_usable = 0;

  memset (out, 0, sizeof (*out));
  out->systemd = has_systemd_manager ();
  if (is_cgroup2 ("/sys/fs/cgroup"))
    {
      out->version = "v2";
      out->unified_mount = rcr_xstrdup ("/sys/fs/cgroup");
    }
  else if (is_cgroup2 ("/sys/fs/cgroup/unified"))
    {
      out->version = "hybrid";
      out->unified_mount = rcr_xstrdup ("/sys/fs/cgroup/unified");
    }
  else
    out->version = "v1";

  out->available = rcr_xmalloc0 (sizeof (char *));
  out->usable = rcr_xmalloc0 (sizeof (char *));
  if (out->unified_mount == NULL)
    {
      out->hint = "cgroup v1 only: rcr's limits need cgroup v2; boot with systemd.unified_cgroup_hierarchy=1";
      return;
    }

  out->own_path = read_own_v2_path ();
  if (out->own_path == NULL)
    out->own_path = rcr_xstrdup ("/");
  dir = rcr_strdup_printf ("%s%s", out->unified_mount, out->own_path);
  controllers_path = rcr_strdup_printf ("%s/cgroup.controllers", dir);
  if (rcr_read_file (controllers_path, 1 << 16, &text, NULL, &err) == 0)
    {
      rcr_cleanup_strvp (&out->available);
      out->available = split_words (text);
    }
  else
    rcr_error_release (&err);

  out->delegated = access (dir, W_OK) == 0;
  if (out->delegated)
    for (char **c = out->available; *c; c++)
      {
        out->usable = rcr_xrealloc (out->usable, (n_usable + 2) * sizeof (char *));
        out->usable[n_usable++] = rcr_xstrdup (*c);
        out->usable[n_usable] = NULL;
      }

  if (strcmp (out->version, "hybrid") == 0)
    out->hint = "hybrid cgroups: memory, pids and cpu are bound to cgroup v1, so rcr cannot enforce limits; boot with "
                "systemd.unified_cgroup_hierarchy=1 for cgroup v2";
  else if (!out->delegated)
    out->hint = "your cgroup is not delegated to you: run rcr inside a systemd user session (loginctl enable-linger "
                "$USER) whose user@.service has Delegate=yes";
  else if (!rcr_cgroup_has_controller (out, "memory") || !rcr_cgroup_has_controller (out, "pids"))
    out->hint = "memory or pids controller not delegated: add Delegate=cpu cpuset io memory pids to "
                "user@.service (systemctl edit user@.service)";
}

bool
rcr_cgroup_has_controller (const struct rcr_cgroup_probe *p, const char *name)
{
  for (char **c = p->usable; c && *c; c++)
    if (strcmp (*c, name) == 0)
      return true;
  return false;
}

void
rcr_cgroup_probe_clear (struct rcr_cgroup_probe *p)
{
  free (p->unified_mount);
  free (p->own_path);
  rcr_cleanup_strvp (&p->available);
  rcr_cleanup_strvp (&p->usable);
  memset (p, 0, sizeof (*p));
}

int
rcr_cgroup_manager_validate (const char *name, rcr_error_t *err)
{
  if (strcmp (name, "systemd") == 0 || strcmp (name, "cgroupfs") == 0)
    return 0;
  return rcr_make_error (err, 0, "unknown cgroup manager \"%s\": use systemd or cgroupfs", name);
}
