/* SPDX-License-Identifier: Apache-2.0 */
/* run, create and start: podman's flags turned into a container config, then the monitor. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/monitor.h"
#include "runtime/process.h"
#include "runtime/spawn.h"
#include "runtime/volume.h"
#include "storage/images.h"
#include "storage/pull.h"
#include "storage/store.h"

enum
{
  OPT_DETACH = 1,
  OPT_INTERACTIVE,
  OPT_TTY,
  OPT_RM,
  OPT_NAME,
  OPT_ENV,
  OPT_ENV_FILE,
  OPT_WORKDIR,
  OPT_USER,
  OPT_ENTRYPOINT,
  OPT_HOSTNAME,
  OPT_INIT,
  OPT_ULIMIT,
  OPT_CAP_ADD,
  OPT_CAP_DROP,
  OPT_PRIVILEGED,
  OPT_SECURITY_OPT,
  OPT_READ_ONLY,
  OPT_TMPFS,
  OPT_VOLUME,
  OPT_NETWORK,
  OPT_PULL,
  OPT_PLATFORM,
  OPT_TLS_VERIFY,
  OPT_QUIET,
  OPT_SIG_PROXY,
  OPT_LABEL,
  OPT_STOP_SIGNAL,
  OPT_STOP_TIMEOUT,
  OPT_PUBLISH,
  OPT_MEMORY,
  OPT_USERNS,
  OPT_CGROUPS,
  OPT_PIDS_LIMIT,
  OPT_CPUS,
};

static const struct cmd_option create_opts[] = {
  { "detach", 'd', false, OPT_DETACH },
  { "interactive", 'i', false, OPT_INTERACTIVE },
  { "tty", 't', false, OPT_TTY },
  { "rm", 0, false, OPT_RM },
  { "name", 0, true, OPT_NAME },
  { "env", 'e', true, OPT_ENV },
  { "env-file", 0, true, OPT_ENV_FILE },
  { "workdir", 'w', true, OPT_WORKDIR },
  { "user", 'u', true, OPT_USER },
  { "entrypoint", 0, true, OPT_ENTRYPOINT },
  { "hostname", 0, true, OPT_HOSTNAME },
  { "init", 0, false, OPT_INIT },
  { "ulimit", 0, true, OPT_ULIMIT },
  { "cap-add", 0, true, OPT_CAP_ADD },
  { "cap-drop", 0, true, OPT_CAP_DROP },
  { "privileged", 0, false, OPT_PRIVILEGED },
  { "security-opt", 0, true, OPT_SECURITY_OPT },
  { "read-only", 0, false, OPT_READ_ONLY },
  { "tmpfs", 0, true, OPT_TMPFS },
  { "volume", 'v', true, OPT_VOLUME },
  { "network", 0, true, OPT_NETWORK },
  { "net", 0, true, OPT_NETWORK },
  { "pull", 0, true, OPT_PULL },
  { "platform", 0, true, OPT_PLATFORM },
  { "tls-verify", 0, false, OPT_TLS_VERIFY },
  { "quiet", 'q', false, OPT_QUIET },
  { "sig-proxy", 0, false, OPT_SIG_PROXY },
  { "label", 'l', true, OPT_LABEL },
  { "stop-signal", 0, true, OPT_STOP_SIGNAL },
  { "stop-timeout", 0, true, OPT_STOP_TIMEOUT },
  { "publish", 'p', true, OPT_PUBLISH },
  { "memory", 'm', true, OPT_MEMORY },
  { "pids-limit", 0, true, OPT_PIDS_LIMIT },
  { "cpus", 0, true, OPT_CPUS },
  { "userns", 0, true, OPT_USERNS },
  { "cgroups", 0, true, OPT_CGROUPS },
  { NULL, 0, false, 0 },
};

struct run_flags
{
  bool detach, interactive, tty, rm, init, privileged, read_only, quiet, sig_proxy, no_new_privs;
  const char *name, *workdir, *user, *entrypoint, *hostname, *network, *pull, *platform, *seccomp, *stop_signal;
  bool keep_id;
  int tls_verify;
  int stop_timeout;
  json_object *env, *env_files, *ulimits, *cap_add, *cap_drop, *tmpfs, *volumes, *labels;
  char *seccomp_abs;
};

static void
flags_clear (struct run_flags *f)
{
  json_object *all[] = { f->env, f->env_files, f->ulimits, f->cap_add, f->cap_drop, f->tmpfs, f->volumes, f->labels };
  for (size_t i = 0; i < sizeof (all) / sizeof (all[0]); i++)
    if (all[i])
      json_object_put (all[i]);
  free (f->seccomp_abs);
}

static void
push (json_object **arr, const char *s)
{
  if (*arr == NULL)
    *arr = json_object_new_array ();
  json_object_array_add (*arr, json_object_new_string (s));
}

/* Parses create/run flags; returns 0, 'h' for help, or 125 after a usage error. */
static int
parse_flags (const struct rcr_verb *verb, int argc, char **argv, int *optind, struct run_flags *f)
{
  const char *arg;
  int c;

  memset (f, 0, sizeof (*f));
  f->tls_verify = -1;
  f->sig_proxy = true;
  f->stop_timeout = 10;
  while ((c = cmd_getopt (verb, argc, argv, create_opts, optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return 'h';
      case OPT_DETACH:
        f->detach = true;
        break;
      case OPT_INTERACTIVE:
        f->interactive = true;
        break;
      case OPT_TTY:
        f->tty = true;
        break;
      case OPT_RM:
        f->rm = true;
        break;
      case OPT_NAME:
        if (!rcr_name_valid (arg))
          return cmd_usage_error (verb, "invalid container name \"%s\": names match [a-zA-Z0-9][a-zA-Z0-9_.-]*", arg);
        f->name = arg;
        break;
      case OPT_ENV:
        push (&f->env, arg);
        break;
      case OPT_ENV_FILE:
        push (&f->env_files, arg);
        break;
      case OPT_WORKDIR:
        if (arg[0] != '/')
          return cmd_usage_error (verb, "--workdir \"%s\" must be an absolute path", arg);
        f->workdir = arg;
        break;
      case OPT_USER:
        f->user = arg;
        break;
      case OPT_ENTRYPOINT:
        f->entrypoint = arg;
        break;
      case OPT_HOSTNAME:
        f->hostname = arg;
        break;
      case OPT_INIT:
        f->init = true;
        break;
      case OPT_ULIMIT:
        {
          struct rcr_ulimit u;
          rcr_error_t err = NULL;
          if (rcr_ulimit_parse (arg, &u, &err) < 0)
            {
              cmd_usage_error (verb, "%s", err->msg);
              rcr_error_release (&err);
              return RCR_EXIT_FAILURE;
            }
          push (&f->ulimits, arg);
          break;
        }
      case OPT_CAP_ADD:
      case OPT_CAP_DROP:
        {
          cleanup_free char *copy = rcr_xstrdup (arg);
          char *save = NULL;
          for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
            {
              uint64_t m;
              rcr_error_t err = NULL;
              if (rcr_caps_parse (t, &m, &err) < 0)
                {
                  cmd_usage_error (verb, "%s", err->msg);
                  rcr_error_release (&err);
                  return RCR_EXIT_FAILURE;
                }
              /* stored as podman shows them: CAP_NET_ADMIN, or ALL */
              {
                cleanup_free char *canon = strcasecmp (t, "all") == 0 ? rcr_xstrdup ("ALL") : rcr_caps_to_string (m);
                push (c == OPT_CAP_ADD ? &f->cap_add : &f->cap_drop, canon);
              }
            }
          break;
        }
      case OPT_PRIVILEGED:
        f->privileged = true;
        break;
      case OPT_SECURITY_OPT:
        if (strcmp (arg, "no-new-privileges") == 0 || strcmp (arg, "no-new-privileges=true") == 0)
          f->no_new_privs = true;
        else if (strcmp (arg, "no-new-privileges=false") == 0)
          f->no_new_privs = false;
        else if (rcr_has_prefix (arg, "seccomp="))
          {
            const char *v = arg + 8;
            if (strcmp (v, "unconfined") != 0)
              {
                /* kept as an absolute host path: later starts must not depend on the cwd */
                char *abs = realpath (v, NULL);
                if (abs == NULL)
                  return cmd_usage_error (verb, "seccomp profile \"%s\": %s", v, strerror (errno));
                f->seccomp_abs = abs;
                v = abs;
              }
            f->seccomp = v;
          }
        else if (rcr_has_prefix (arg, "label=") || rcr_has_prefix (arg, "apparmor="))
          ; /* no SELinux or AppArmor here: accepted as podman does on such hosts */
        else
          return cmd_usage_error (verb, "unsupported --security-opt \"%s\" (supported: no-new-privileges, seccomp=)",
                                  arg);
        break;
      case OPT_READ_ONLY:
        f->read_only = true;
        break;
      case OPT_TMPFS:
        if (arg[0] != '/')
          return cmd_usage_error (verb, "--tmpfs \"%s\": the path must be absolute", arg);
        push (&f->tmpfs, arg);
        break;
      case OPT_VOLUME:
        push (&f->volumes, arg);
        break;
      case OPT_NETWORK:
        if (strcmp (arg, "none") != 0 && strcmp (arg, "host") != 0)
          {
            if (strcmp (arg, "slirp4netns") == 0 || strcmp (arg, "slirp") == 0 || rcr_has_prefix (arg, "slirp4netns:"))
              return cmd_usage_error (verb,
                                      "--network %s: slirp networking is not implemented yet; use --network "
                                      "none or host",
                                      arg);
            return cmd_usage_error (verb, "unsupported --network \"%s\": use none or host", arg);
          }
        f->network = arg;
        break;
      case OPT_PULL:
        if (strcmp (arg, "missing") != 0 && strcmp (arg, "always") != 0 && strcmp (arg, "never") != 0
            && strcmp (arg, "newer") != 0)
          return cmd_usage_error (verb, "invalid --pull \"%s\": use missing, always, never or newer", arg);
        f->pull = arg;
        break;
      case OPT_PLATFORM:
        f->platform = arg;
        break;
      case OPT_TLS_VERIFY:
        f->tls_verify = 1;
        break;
      case -OPT_TLS_VERIFY:
        f->tls_verify = 0;
        break;
      case OPT_QUIET:
        f->quiet = true;
        break;
      case OPT_SIG_PROXY:
        f->sig_proxy = true;
        break;
      case -OPT_SIG_PROXY:
        f->sig_proxy = false;
        break;
      case OPT_LABEL:
        push (&f->labels, arg);
        break;
      case OPT_STOP_SIGNAL:
        if (rcr_signal_parse (arg) < 0)
          return cmd_usage_error (verb, "invalid --stop-signal \"%s\": a signal name (SIGTERM, TERM) or number", arg);
        f->stop_signal = arg;
        break;
      case OPT_STOP_TIMEOUT:
        {
          uint64_t v;
          if (rcr_parse_u64 (arg, &v) < 0 || v > 1000000)
            return cmd_usage_error (verb, "invalid --stop-timeout \"%s\"", arg);
          f->stop_timeout = (int)v;
          break;
        }
      case OPT_PUBLISH:
        return cmd_usage_error (verb, "-p/--publish needs slirp networking, which is not implemented yet");
      case OPT_MEMORY:
      case OPT_PIDS_LIMIT:
      case OPT_CPUS:
        /* a limit the user asked for is never dropped silently */
        return cmd_usage_error (verb, "resource limits (--memory, --pids-limit, --cpus) are not implemented yet; "
                                      "`rcr info` shows whether this host could enforce them");
      case OPT_CGROUPS:
        if (strcmp (arg, "enabled") != 0 && strcmp (arg, "disabled") != 0 && strcmp (arg, "no-conmon") != 0
            && strcmp (arg, "split") != 0 && strcmp (arg, "required") != 0)
          return cmd_usage_error (verb, "invalid --cgroups \"%s\"", arg);
        break;
      case OPT_USERNS:
        f->keep_id = false;
        if (strcmp (arg, "host") == 0 || strcmp (arg, "") == 0)
          break;
        if (strcmp (arg, "keep-id") == 0)
          {
            if (geteuid () == 0)
              return cmd_usage_error (verb, "--userns=keep-id is only supported when running rootless");
            f->keep_id = true;
            break;
          }
        return cmd_usage_error (verb,
                                "--userns=%s is not supported: use keep-id (your uid and gid are the same inside) "
                                "or host (the default rootless mapping: 0 is you, 1.. your subordinate ids)",
                                arg);
      default:
        return RCR_EXIT_FAILURE;
      }
  return 0;
}

static json_object *
json_strv (char **v)
{
  json_object *a = json_object_new_array ();
  for (; v && *v; v++)
    json_object_array_add (a, json_object_new_string (*v));
  return a;
}

/* Finds the image, pulling it the way --pull says; returns its inspect JSON. */
/* The local image's stored name that the user's name stands for: itself when fully
   qualified, else the stored name ending in "/NAME" (":latest" implied), as a short name
   resolves; NULL for an id or digest, or a name that matches none. */
static const char *
stored_name_for (json_object *inspect, const char *name)
{
  json_object *tags = rcr_json_get_array (inspect, "RepoTags");
  const char *last = strrchr (name, '/');
  bool tagged = strchr (last ? last : name, ':') != NULL;
  cleanup_free char *want = tagged ? rcr_xstrdup (name) : rcr_strdup_printf ("%s:latest", name);
  cleanup_free char *suffix = rcr_strdup_printf ("/%s", want);
  size_t ls = strlen (suffix);

  if (strchr (name, '@') != NULL)
    return NULL;
  for (size_t i = 0; tags && i < json_object_array_length (tags); i++)
    {
      const char *t = json_object_get_string (json_object_array_get_idx (tags, i));
      size_t lt = t ? strlen (t) : 0;
      if (t && (strcmp (t, want) == 0 || (lt > ls && strcmp (t + lt - ls, suffix) == 0)))
        return t;
    }
  return NULL;
}

static int
resolve_image (struct rcr_context *ctx, const char *name, const struct run_flags *f, json_object **inspect,
               rcr_error_t *err)
{
  struct rcr_store *store = NULL;
  bool need_pull = f->pull && strcmp (f->pull, "always") == 0;
  bool newer = f->pull && strcmp (f->pull, "newer") == 0;
  cleanup_free char *local_id = NULL;
  cleanup_free char *local_name = NULL;
  int ret;

  if (rcr_store_open (&ctx->paths, &store, err) < 0)
    return -1;
  if (!need_pull)
    {
      rcr_error_t tmp = NULL;
      if (rcr_images_inspect (store, name, inspect, &tmp) == 0)
        {
          if (!newer)
            {
              rcr_store_close (store);
              return 0;
            }
          /* --pull=newer: the registry decides, the local image is the fallback. Only
             the name the local image is stored under is asked: a short name's other
             candidates (another registry, another repository) must never replace it */
          const char *stored = stored_name_for (*inspect, name);
          if (stored == NULL)
            {
              /* known by id or digest only: nothing to compare with */
              rcr_store_close (store);
              return 0;
            }
          local_id = rcr_xstrdup (rcr_json_get_string (*inspect, "Id", ""));
          local_name = rcr_xstrdup (stored);
          json_object_put (*inspect);
          *inspect = NULL;
        }
      else if (tmp->status != RCR_IMAGE_NOT_KNOWN || (f->pull && strcmp (f->pull, "never") == 0))
        {
          *err = tmp;
          rcr_store_close (store);
          if ((*err)->status == RCR_IMAGE_NOT_KNOWN)
            return rcr_error_wrap (err, "--pull=never");
          return -1;
        }
      rcr_error_release (&tmp);
    }
  {
    struct rcr_pull_opts po = { .platform = f->platform,
                                .tls_verify = f->tls_verify,
                                .newer_than = local_id && *local_id ? local_id : NULL };
    cleanup_free char *id = NULL;
    ret = cmd_pull_image (store, local_name ? local_name : name, &po, f->quiet, &id, err);
    if (ret == 0)
      ret = rcr_images_inspect (store, id, inspect, err);
  }
  rcr_store_close (store);
  return ret;
}

static int
parse_volume (struct rcr_context *ctx, const char *spec, json_object *mounts, rcr_error_t *err)
{
  cleanup_free char *copy = rcr_xstrdup (spec);
  char *parts[3] = { 0 };
  int n = 0;
  bool ro = false;
  json_object *m;
  cleanup_free char *source = NULL;

  for (char *save = NULL, *t = strtok_r (copy, ":", &save); t && n < 3; t = strtok_r (NULL, ":", &save))
    parts[n++] = t;
  if (n < 2)
    return rcr_make_error (err, 0, "invalid volume \"%s\": expected HOST-DIR:CONTAINER-DIR[:OPTIONS]", spec);
  if (parts[1][0] != '/')
    return rcr_make_error (err, 0, "invalid volume \"%s\": the container path must be absolute", spec);
  if (n == 3)
    {
      cleanup_free char *opts = rcr_xstrdup (parts[2]);
      char *save = NULL;
      for (char *o = strtok_r (opts, ",", &save); o; o = strtok_r (NULL, ",", &save))
        if (strcmp (o, "ro") == 0)
          ro = true;
        else if (strcmp (o, "rw") == 0 || strcmp (o, "z") == 0 || strcmp (o, "Z") == 0 || strcmp (o, "rbind") == 0
                 || strcmp (o, "bind") == 0)
          ;
        else
          return rcr_make_error (err, 0, "invalid volume option \"%s\" in \"%s\" (supported: ro, rw, z, Z)", o, spec);
    }
  if (parts[0][0] == '/')
    {
      if (access (parts[0], F_OK) < 0)
        return rcr_make_error (err, errno, "volume source \"%s\"", parts[0]);
      source = rcr_xstrdup (parts[0]);
    }
  else if (parts[0][0] == '.')
    return rcr_make_error (err, 0, "invalid volume \"%s\": give the host path as an absolute path", spec);
  else
    {
      /* a named volume: created on first use, as podman does */
      cleanup_json json_object *vol = NULL;
      if (rcr_volume_create (ctx, parts[0], NULL, true, &vol, err) < 0)
        return -1;
      source = rcr_xstrdup (rcr_json_get_string (vol, "Mountpoint", ""));
    }
  m = json_object_new_object ();
  json_object_object_add (m, "type", json_object_new_string ("bind"));
  json_object_object_add (m, "source", json_object_new_string (source));
  json_object_object_add (m, "destination", json_object_new_string (parts[1]));
  json_object_object_add (m, "readonly", json_object_new_boolean (ro));
  if (parts[0][0] != '/')
    json_object_object_add (m, "volume", json_object_new_string (parts[0]));
  json_object_array_add (mounts, m);
  return 0;
}

/* The container's config from the flags, the image and the command line. */
static int
build_config (struct rcr_context *ctx, const struct run_flags *f, const char *image_name, json_object *inspect,
              int argc, char **argv, json_object **out, rcr_error_t *err)
{
  json_object *cfg = json_object_new_object ();
  json_object *icfg = rcr_json_get_object (inspect, "Config");
  json_object *image = json_object_new_object ();
  json_object *rootfs = rcr_json_get_object (inspect, "RootFS");
  json_object *command = json_object_new_array ();
  json_object *mounts = json_object_new_array ();
  json_object *labels = json_object_new_object ();
  json_object *img_entry = rcr_json_get_array (icfg, "Entrypoint");
  json_object *img_cmd = rcr_json_get_array (icfg, "Cmd");
  json_object *tags = rcr_json_get_array (inspect, "RepoTags");
  cleanup_strv char **env = NULL;
  size_t n_env = 0;
  const char *img_workdir = rcr_json_get_string (icfg, "WorkingDir", "");
  const char *img_user = rcr_json_get_string (icfg, "User", "");

  json_object_object_add (cfg, "image", image);
  json_object_object_add (image, "name", json_object_new_string (image_name));
  json_object_object_add (image, "id", json_object_new_string (rcr_json_get_string (inspect, "Id", "")));
  json_object_object_add (image, "fullName",
                          json_object_new_string (tags && json_object_array_length (tags) > 0
                                                      ? json_object_get_string (json_object_array_get_idx (tags, 0))
                                                      : image_name));
  json_object_object_add (cfg, "layers", json_object_get (rcr_json_get_array (rootfs, "Layers")));
  if (f->name)
    json_object_object_add (cfg, "name", json_object_new_string (f->name));

  /* podman: --entrypoint replaces the image's and drops its Cmd; arguments replace Cmd.
     Both halves are kept apart too, for inspect's Config.Entrypoint and Config.Cmd. */
  {
    json_object *entry = json_object_new_array (), *cmdv = json_object_new_array ();
    if (f->entrypoint && f->entrypoint[0] == '[')
      {
        /* podman's JSON form: --entrypoint '["/bin/echo","a"]' */
        cleanup_json json_object *arr = NULL;
        rcr_error_t tmp = NULL;
        if (rcr_json_parse (f->entrypoint, "--entrypoint", &arr, &tmp) < 0
            || !json_object_is_type (arr, json_type_array))
          {
            json_object_put (entry);
            json_object_put (cmdv);
            json_object_put (cfg);
            if (tmp)
              {
                *err = tmp;
                return -1;
              }
            return rcr_make_error (err, 0, "--entrypoint: a JSON array of strings was expected");
          }
        for (size_t i = 0; i < json_object_array_length (arr); i++)
          json_object_array_add (entry,
                                 json_object_new_string (json_object_get_string (json_object_array_get_idx (arr, i))));
      }
    else if (f->entrypoint)
      {
        if (*f->entrypoint)
          json_object_array_add (entry, json_object_new_string (f->entrypoint));
      }
    else
      for (size_t i = 0; img_entry && i < json_object_array_length (img_entry); i++)
        json_object_array_add (entry, json_object_get (json_object_array_get_idx (img_entry, i)));
    if (argc > 0)
      for (int i = 0; i < argc; i++)
        json_object_array_add (cmdv, json_object_new_string (argv[i]));
    else if (!f->entrypoint)
      for (size_t i = 0; img_cmd && i < json_object_array_length (img_cmd); i++)
        json_object_array_add (cmdv, json_object_get (json_object_array_get_idx (img_cmd, i)));
    for (size_t i = 0; i < json_object_array_length (entry); i++)
      json_object_array_add (command, json_object_get (json_object_array_get_idx (entry, i)));
    for (size_t i = 0; i < json_object_array_length (cmdv); i++)
      json_object_array_add (command, json_object_get (json_object_array_get_idx (cmdv, i)));
    json_object_object_add (cfg, "entrypoint", entry);
    json_object_object_add (cfg, "cmd", cmdv);
  }
  if (json_object_array_length (command) == 0)
    {
      json_object_put (command);
      json_object_put (cfg);
      return rcr_make_error (err, 0, "no command or entrypoint specified for %s: give one after the image name",
                             image_name);
    }
  json_object_object_add (cfg, "command", command);

  /* podman 4's environment: PATH, TERM, container, then the image's, then the user's;
     HOME and HOSTNAME follow in the container */
  env = rcr_xmalloc0 (sizeof (char *));
  rcr_env_set (&env, &n_env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  rcr_env_set (&env, &n_env, "TERM=xterm");
  rcr_env_set (&env, &n_env, "container=podman");
  {
    json_object *ienv = rcr_json_get_array (icfg, "Env");
    for (size_t i = 0; ienv && i < json_object_array_length (ienv); i++)
      rcr_env_set (&env, &n_env, json_object_get_string (json_object_array_get_idx (ienv, i)));
  }
  for (size_t i = 0; f->env_files && i < json_object_array_length (f->env_files); i++)
    if (rcr_env_file_read (json_object_get_string (json_object_array_get_idx (f->env_files, i)), &env, &n_env, err) < 0)
      {
        json_object_put (cfg);
        return -1;
      }
  for (size_t i = 0; f->env && i < json_object_array_length (f->env); i++)
    rcr_env_set (&env, &n_env, json_object_get_string (json_object_array_get_idx (f->env, i)));

  json_object_object_add (cfg, "workdir",
                          json_object_new_string (f->workdir ? f->workdir : (*img_workdir ? img_workdir : "/")));
  if (f->keep_id)
    {
      /* podman: keep-id runs as the caller's own ids unless --user or the image's User
         says otherwise, and the caller's gid is a supplementary group either way */
      cleanup_free char *own = rcr_strdup_printf ("%u:%u", (unsigned)geteuid (), (unsigned)getegid ());
      json_object_object_add (cfg, "user", json_object_new_string (f->user ? f->user : *img_user ? img_user : own));
      json_object_object_add (cfg, "userns", json_object_new_string ("keep-id"));
      json_object_object_add (cfg, "keepIdGid", json_object_new_int64 ((int64_t)getegid ()));
    }
  else
    json_object_object_add (cfg, "user", json_object_new_string (f->user ? f->user : img_user));
  if (f->hostname)
    json_object_object_add (cfg, "hostname", json_object_new_string (f->hostname));
  json_object_object_add (cfg, "tty", json_object_new_boolean (f->tty));
  json_object_object_add (cfg, "interactive", json_object_new_boolean (f->interactive));
  json_object_object_add (cfg, "autoRemove", json_object_new_boolean (f->rm));
  json_object_object_add (cfg, "readOnly", json_object_new_boolean (f->read_only));
  json_object_object_add (cfg, "init", json_object_new_boolean (f->init));
  json_object_object_add (cfg, "privileged", json_object_new_boolean (f->privileged));
  json_object_object_add (cfg, "noNewPrivileges", json_object_new_boolean (f->no_new_privs));
  if (f->seccomp)
    json_object_object_add (cfg, "seccomp", json_object_new_string (f->seccomp));
  json_object_object_add (cfg, "network", json_object_new_string (f->network ? f->network : "none"));
  json_object_object_add (cfg, "capAdd", f->cap_add ? json_object_get (f->cap_add) : json_object_new_array ());
  json_object_object_add (cfg, "capDrop", f->cap_drop ? json_object_get (f->cap_drop) : json_object_new_array ());
  json_object_object_add (cfg, "ulimits", f->ulimits ? json_object_get (f->ulimits) : json_object_new_array ());
  json_object_object_add (
      cfg, "stopSignal",
      json_object_new_string (f->stop_signal ? f->stop_signal : rcr_json_get_string (icfg, "StopSignal", "SIGTERM")));
  json_object_object_add (cfg, "stopTimeout", json_object_new_int (f->stop_timeout));

  for (size_t i = 0; f->tmpfs && i < json_object_array_length (f->tmpfs); i++)
    {
      const char *spec = json_object_get_string (json_object_array_get_idx (f->tmpfs, i));
      const char *colon = strchr (spec, ':');
      json_object *m = json_object_new_object ();
      cleanup_free char *dest = colon ? rcr_xstrndup (spec, (size_t)(colon - spec)) : rcr_xstrdup (spec);
      json_object_object_add (m, "type", json_object_new_string ("tmpfs"));
      json_object_object_add (m, "destination", json_object_new_string (dest));
      json_object_object_add (m, "options", json_object_new_string (colon ? colon + 1 : "rw,noexec,nosuid,nodev"));
      json_object_array_add (mounts, m);
    }
  for (size_t i = 0; f->volumes && i < json_object_array_length (f->volumes); i++)
    if (parse_volume (ctx, json_object_get_string (json_object_array_get_idx (f->volumes, i)), mounts, err) < 0)
      {
        json_object_put (mounts);
        json_object_put (labels);
        json_object_put (cfg);
        return -1;
      }
  json_object_object_add (cfg, "mounts", mounts);

  {
    json_object *ilabels = rcr_json_get_object (icfg, "Labels");
    if (ilabels)
      {
        json_object_object_foreach (ilabels, k, v) json_object_object_add (labels, k, json_object_get (v));
      }
    for (size_t i = 0; f->labels && i < json_object_array_length (f->labels); i++)
      {
        const char *l = json_object_get_string (json_object_array_get_idx (f->labels, i));
        const char *eq = strchr (l, '=');
        cleanup_free char *key = eq ? rcr_xstrndup (l, (size_t)(eq - l)) : rcr_xstrdup (l);
        json_object_object_add (labels, key, json_object_new_string (eq ? eq + 1 : ""));
      }
  }
  json_object_object_add (cfg, "labels", labels);
  json_object_object_add (cfg, "env", json_strv (env));
  *out = cfg;
  return 0;
}

static int
exit_code_for (rcr_error_t err)
{
  if (err && err->status == RCR_SPAWN_NOT_FOUND)
    return RCR_EXIT_NOT_FOUND;
  if (err && err->status == RCR_SPAWN_CANNOT_INVOKE)
    return RCR_EXIT_CANNOT_INVOKE;
  return RCR_EXIT_FAILURE;
}

static int
create_container (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv, struct run_flags *f,
                  struct rcr_container **out)
{
  cleanup_json json_object *inspect = NULL;
  cleanup_json json_object *cfg = NULL;
  rcr_error_t err = NULL;
  int optind = 1, r;

  r = parse_flags (verb, argc, argv, &optind, f);
  if (r == 'h')
    return cmd_print_help (verb), -1;
  if (r != 0)
    return RCR_EXIT_FAILURE;
  if (optind >= argc)
    return cmd_usage_error (verb, "`rcr %s` requires at least 1 argument: the image", verb->name);
  rcr_debug ("flags parsed");
  if (resolve_image (ctx, argv[optind], f, &inspect, &err) < 0
      || build_config (ctx, f, argv[optind], inspect, argc - optind - 1, argv + optind + 1, &cfg, &err) < 0
      || rcr_container_create (ctx, cfg, out, &err) < 0)
    return cmd_fail (&err);
  return 0;
}

static int
run_run (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  struct run_flags f;
  cleanup_container struct rcr_container *c = NULL;
  struct rcr_start_opts so = { 0 };
  rcr_error_t err = NULL;
  int r, code = 0;

  r = create_container (ctx, verb, argc, argv, &f, &c);
  if (r != 0)
    {
      flags_clear (&f);
      return r < 0 ? 0 : r;
    }
  rcr_debug ("container %s created", c->id);
  so.attach = !f.detach;
  so.interactive = f.interactive;
  so.sig_proxy = f.sig_proxy;
  so.remove = f.rm;
  flags_clear (&f);
  if (rcr_container_start (ctx, c, &so, &code, &err) < 0)
    {
      int ec = exit_code_for (err);
      fprintf (stderr, "Error: %s\n", err->msg);
      rcr_error_release (&err);
      /* a --rm container whose command could not start goes too */
      if (so.remove)
        {
          cleanup_container struct rcr_container *again = NULL;
          if (rcr_container_load (ctx, c->id, &again, &err) == 0)
            rcr_container_delete (ctx, again, &err);
          rcr_error_release (&err);
        }
      return ec;
    }
  if (!so.attach)
    {
      printf ("%s\n", c->id);
      return 0;
    }
  return code;
}

static int
run_create (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  struct run_flags f;
  cleanup_container struct rcr_container *c = NULL;
  int r = create_container (ctx, verb, argc, argv, &f, &c);
  flags_clear (&f);
  if (r != 0)
    return r < 0 ? 0 : r;
  printf ("%s\n", c->id);
  return 0;
}

static int
run_start (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "attach", 'a', false, 1 },
    { "interactive", 'i', false, 2 },
    { "sig-proxy", 0, false, 3 },
    { NULL, 0, false, 0 },
  };
  struct rcr_start_opts so = { .sig_proxy = true };
  const char *arg;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        so.attach = true;
        break;
      case 2:
        so.interactive = true;
        break;
      case 3:
        so.sig_proxy = true;
        break;
      case -3:
        so.sig_proxy = false;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind >= argc)
    return cmd_usage_error (verb, "`rcr start` requires at least one container name or ID");
  if (so.attach && argc - optind > 1)
    return cmd_usage_error (verb, "you cannot start and attach multiple containers at once");
  for (int i = optind; i < argc; i++)
    {
      cleanup_container struct rcr_container *ctr = NULL;
      rcr_error_t err = NULL;
      int code = 0;
      if (rcr_container_load (ctx, argv[i], &ctr, &err) < 0)
        {
          ret = cmd_fail (&err);
          continue;
        }
      if (ctr->state.status == RCR_STATUS_RUNNING)
        {
          if (!so.attach)
            printf ("%s\n", argv[i]);
          continue;
        }
      so.remove = rcr_json_get_bool (ctr->config, "autoRemove", false);
      if (rcr_container_start (ctx, ctr, &so, &code, &err) < 0)
        {
          int ec = exit_code_for (err);
          fprintf (stderr, "Error: %s\n", err->msg);
          rcr_error_release (&err);
          ret = ec;
          continue;
        }
      if (so.attach)
        return code;
      printf ("%s\n", argv[i]);
    }
  return ret;
}

#define CREATE_OPTIONS                                                                                                 \
  "Options:\n"                                                                                                         \
  "      --cap-add strings       add capabilities (CAP_NET_ADMIN or net_admin, ALL)\n"                                 \
  "      --cap-drop strings      drop capabilities (ALL drops every one)\n"                                            \
  "      --entrypoint string     overwrite the image's ENTRYPOINT\n"                                                   \
  "  -e, --env stringArray       set environment variables (KEY=VALUE, or KEY to copy ours)\n"                         \
  "      --env-file strings      read environment variables from files\n"                                              \
  "      --hostname string       set the container's host name (default: its short id)\n"                              \
  "      --init                  run a tiny init as PID 1 that reaps zombies and forwards signals\n"                   \
  "  -i, --interactive           keep stdin open\n"                                                                    \
  "  -l, --label stringArray     set metadata on the container\n"                                                      \
  "      --name string           assign a name to the container\n"                                                     \
  "      --network string        none (default: loopback only) or host\n"                                              \
  "      --platform string       platform to pull when the image is missing\n"                                         \
  "      --privileged            every capability, no seccomp filter (still inside the user namespace)\n"              \
  "      --pull string           missing (default), always, never or newer\n"                                          \
  "  -q, --quiet                 suppress the pull output\n"                                                           \
  "      --read-only             mount the root read-only (with writable tmpfs on /tmp, /var/tmp, /run)\n"             \
  "      --rm                    remove the container when it exits\n"                                                 \
  "      --security-opt strings  no-new-privileges, seccomp=unconfined|PROFILE.json\n"                                 \
  "      --stop-signal string    signal to stop the container (default SIGTERM)\n"                                     \
  "      --stop-timeout uint     seconds before stop kills (default 10)\n"                                             \
  "      --tls-verify            require HTTPS when pulling (default true)\n"                                          \
  "      --tmpfs stringArray     mount a tmpfs: PATH[:OPTIONS]\n"                                                      \
  "  -t, --tty                   allocate a pseudo-TTY\n"                                                              \
  "      --ulimit strings        ulimit options: nofile=1024:2048\n"                                                   \
  "  -u, --user string           USER[:GROUP] as name or number\n"                                                     \
  "  -v, --volume stringArray    HOST-DIR:CONTAINER-DIR[:ro|rw], or VOLUME-NAME:CONTAINER-DIR\n"                       \
  "  -w, --workdir string        working directory inside the container\n"

const struct rcr_verb rcr_verb_run = {
  .name = "run",
  .summary = "Run a command in a new container",
  .usage = "  rcr run [options] IMAGE [COMMAND [ARG...]]\n"
           "\n"
           "Exit status: the command's; 125 when rcr fails, 126 when the command cannot be\n"
           "invoked, 127 when it is not found, 128+N when it was killed by signal N.\n"
           "\n" CREATE_OPTIONS "  -d, --detach                run in the background and print the container ID\n"
           "      --sig-proxy             proxy received signals to the container (default true)\n",
  .run = run_run,
  .stop_at_operand = true,
};

const struct rcr_verb rcr_verb_create = {
  .name = "create",
  .summary = "Create but do not start a container",
  .usage = "  rcr create [options] IMAGE [COMMAND [ARG...]]\n\n" CREATE_OPTIONS,
  .run = run_create,
  .stop_at_operand = true,
};

const struct rcr_verb rcr_verb_start = {
  .name = "start",
  .summary = "Start one or more containers",
  .usage = "  rcr start [options] CONTAINER [CONTAINER...]\n"
           "\n"
           "Options:\n"
           "  -a, --attach      attach to the container's output and wait for it\n"
           "  -i, --interactive attach the container's stdin\n"
           "      --sig-proxy   proxy received signals to the process (default true)\n",
  .run = run_start,
};
