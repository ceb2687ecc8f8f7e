/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "lifecycle.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/process.h"
#include "runtime/spawn.h"

int
rcr_signal_parse (const char *s)
{
  static const struct
  {
    const char *name;
    int sig;
  } names[] = {
    { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT }, { "ILL", SIGILL },     { "TRAP", SIGTRAP },
    { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },   { "FPE", SIGFPE },     { "KILL", SIGKILL },
    { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },     { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM },
    { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU },
    { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
    { "PWR", SIGPWR },   { "SYS", SIGSYS },
  };
  uint64_t n;

  if (s == NULL || *s == '\0')
    return -1;
  if (rcr_parse_u64 (s, &n) == 0)
    return n > 0 && n < (uint64_t)NSIG ? (int)n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if (strcasecmp (s, names[i].name) == 0)
      return names[i].sig;
  if (strncasecmp (s, "RTMIN", 5) == 0)
    {
      int off = s[5] == '+' ? atoi (s + 6) : 0;
      return SIGRTMIN + off <= SIGRTMAX ? SIGRTMIN + off : -1;
    }
  return -1;
}

int
rcr_container_kill (struct rcr_container *c, int sig, rcr_error_t *err)
{
  if (c->state.status != RCR_STATUS_RUNNING && c->state.status != RCR_STATUS_PAUSED)
    return rcr_make_error (err, 0, "can only kill running containers. %s is in state %s: container state improper",
                           c->id, rcr_status_name (c->state.status));
  if (!rcr_pid_alive (c->state.pid, c->state.pid_start_time))
    return 0;
  if (kill (c->state.pid, sig) < 0 && errno != ESRCH)
    return rcr_make_error (err, errno, "send signal %d to container %s", sig, c->id);
  return 0;
}

static int
reload (const struct rcr_context *ctx, struct rcr_container *c, rcr_error_t *err)
{
  cleanup_container struct rcr_container *fresh = NULL;
  if (rcr_container_load (ctx, c->id, &fresh, err) < 0)
    return -1;
  rcr_state_clear (&c->state);
  c->state = fresh->state;
  memset (&fresh->state, 0, sizeof (fresh->state));
  return 0;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* Polls the state until the monitor records an exit, for at most ms. */
static int
wait_exited (const struct rcr_context *ctx, struct rcr_container *c, int ms, bool *exited, rcr_error_t *err)
{
  *exited = false;
  for (int waited = 0; waited <= ms; waited += 10)
    {
      rcr_error_t tmp = NULL;
      if (reload (ctx, c, &tmp) < 0)
        {
          /* a --rm container removes itself when it exits */
          if (tmp->status == RCR_CONTAINER_NOT_FOUND)
            {
              rcr_error_release (&tmp);
              *exited = true;
              return 0;
            }
          *err = tmp;
          return -1;
        }
      if (c->state.status != RCR_STATUS_RUNNING && c->state.status != RCR_STATUS_PAUSED
          && c->state.status != RCR_STATUS_STOPPING && c->state.status != RCR_STATUS_CREATED)
        {
          *exited = true;
          return 0;
        }
      sleep_ms (10);
    }
  return 0;
}

int
rcr_container_stop (const struct rcr_context *ctx, struct rcr_container *c, int timeout, rcr_error_t *err)
{
  int sig = rcr_signal_parse (rcr_json_get_string (c->config, "stopSignal", "SIGTERM"));
  bool exited;

  if (c->state.status != RCR_STATUS_RUNNING && c->state.status != RCR_STATUS_PAUSED)
    return 0; /* podman: stopping a stopped container succeeds */
  if (sig < 0)
    sig = SIGTERM;
  if (timeout > 0 && rcr_container_kill (c, sig, err) < 0)
    return -1;
  if (timeout > 0 && wait_exited (ctx, c, timeout * 1000, &exited, err) < 0)
    return -1;
  if (timeout > 0 && exited)
    return 0;
  if (rcr_container_kill (c, SIGKILL, err) < 0)
    return -1;
  if (wait_exited (ctx, c, 10000, &exited, err) < 0)
    return -1;
  if (!exited)
    return rcr_make_error (err, 0, "container %s did not exit within 10 seconds of SIGKILL", c->id);
  return 0;
}

int
rcr_container_wait (const struct rcr_context *ctx, struct rcr_container *c, int *exit_code, rcr_error_t *err)
{
  cleanup_free char *exits = rcr_strdup_printf ("%s/exits/%s", ctx->paths.runroot, c->id);
  cleanup_free char *text = NULL;
  rcr_error_t tmp = NULL;
  bool exited = false;

  /* a container never started is waited for until it runs and ends, as podman does */
  while (!exited || c->state.status == RCR_STATUS_CREATED)
    {
      exited = false;
      if (wait_exited (ctx, c, 1000, &exited, err) < 0)
        return -1;
      if (exited && access (c->dir, F_OK) < 0)
        break; /* removed: a --rm container */
    }
  *exit_code = c->state.exit_code;
  /* a --rm container left its code behind when it removed itself */
  if (access (c->dir, F_OK) < 0 && rcr_read_file (exits, 64, &text, NULL, &tmp) == 0)
    *exit_code = atoi (text);
  rcr_error_release (&tmp);
  return 0;
}

int
rcr_container_remove (const struct rcr_context *ctx, struct rcr_container *c, bool force, rcr_error_t *err)
{
  if (c->state.status == RCR_STATUS_RUNNING || c->state.status == RCR_STATUS_PAUSED)
    {
      if (!force)
        return rcr_make_error (err, 0,
                               "cannot remove container %s as it is %s - running or paused containers cannot be "
                               "removed without force: container state improper",
                               c->id, rcr_status_name (c->state.status));
      if (rcr_container_stop (ctx, c, 0, err) < 0)
        return -1;
      /* a --rm container's monitor removes it itself */
      if (access (c->dir, F_OK) < 0)
        return 0;
    }
  return rcr_container_delete (ctx, c, err);
}

static json_object *
time_json (int64_t ns)
{
  cleanup_free char *s = ns ? rcr_time_format_rfc3339 (ns) : rcr_xstrdup ("0001-01-01T00:00:00Z");
  return json_object_new_string (s);
}

/* podman lists capabilities as an array of names, sorted */
static json_object *
caps_array (uint64_t mask)
{
  cleanup_free char *names = rcr_caps_to_string (mask);
  json_object *arr = json_object_new_array ();
  char *save = NULL;

  for (char *t = strtok_r (names, ",", &save); t; t = strtok_r (NULL, ",", &save))
    json_object_array_add (arr, json_object_new_string (t));
  return arr;
}

json_object *
rcr_container_inspect (const struct rcr_context *ctx, struct rcr_container *c)
{
  json_object *cfg = c->config;
  json_object *o = json_object_new_object ();
  json_object *state = json_object_new_object ();
  json_object *config = json_object_new_object ();
  json_object *host = json_object_new_object ();
  json_object *mounts = json_object_new_array ();
  json_object *image = rcr_json_get_object (cfg, "image");
  json_object *cmd = rcr_json_get_array (cfg, "command");
  bool running = c->state.status == RCR_STATUS_RUNNING;

  (void)ctx;
  json_object_object_add (o, "Id", json_object_new_string (c->id));
  json_object_object_add (o, "Created", time_json (rcr_json_get_int64 (cfg, "created", 0)));
  json_object_object_add (o, "Path",
                          json_object_new_string (cmd && json_object_array_length (cmd)
                                                      ? json_object_get_string (json_object_array_get_idx (cmd, 0))
                                                      : ""));
  {
    json_object *args = json_object_new_array ();
    for (size_t i = 1; cmd && i < json_object_array_length (cmd); i++)
      json_object_array_add (args, json_object_get (json_object_array_get_idx (cmd, i)));
    json_object_object_add (o, "Args", args);
  }
  json_object_object_add (state, "OciVersion", json_object_new_string ("1.1.0"));
  json_object_object_add (state, "Status", json_object_new_string (rcr_status_name (c->state.status)));
  json_object_object_add (state, "Running", json_object_new_boolean (running));
  json_object_object_add (state, "Paused", json_object_new_boolean (c->state.status == RCR_STATUS_PAUSED));
  json_object_object_add (state, "Restarting", json_object_new_boolean (false));
  json_object_object_add (state, "OOMKilled", json_object_new_boolean (c->state.oom_killed));
  json_object_object_add (state, "Dead", json_object_new_boolean (false));
  json_object_object_add (state, "Pid", json_object_new_int (running ? c->state.pid : 0));
  json_object_object_add (state, "ConmonPid", json_object_new_int (running ? c->state.monitor_pid : 0));
  json_object_object_add (state, "ExitCode", json_object_new_int (c->state.exit_code < 0 ? 0 : c->state.exit_code));
  json_object_object_add (state, "Error", json_object_new_string (c->state.error ? c->state.error : ""));
  json_object_object_add (state, "StartedAt", time_json (c->state.started_at_ns));
  json_object_object_add (state, "FinishedAt", time_json (c->state.finished_at_ns));
  json_object_object_add (o, "State", state);
  json_object_object_add (o, "Image", json_object_new_string (rcr_json_get_string (image, "id", "")));
  json_object_object_add (o, "ImageName", json_object_new_string (rcr_json_get_string (image, "fullName", "")));
  json_object_object_add (o, "Name", json_object_new_string (rcr_json_get_string (cfg, "name", "")));
  json_object_object_add (o, "RestartCount", json_object_new_int (0));
  json_object_object_add (o, "Driver", json_object_new_string (rcr_json_get_string (cfg, "storageDriver", "overlay")));
  json_object_object_add (o, "MountLabel", json_object_new_string (""));
  json_object_object_add (o, "ProcessLabel", json_object_new_string (""));
  {
    cleanup_free char *logp = rcr_strdup_printf ("%s/ctr.log", c->dir);
    cleanup_free char *hostsp = rcr_strdup_printf ("%s/hosts", c->run_dir);
    cleanup_free char *hostnamep = rcr_strdup_printf ("%s/hostname", c->run_dir);
    json_object_object_add (o, "LogPath", json_object_new_string (logp));
    json_object_object_add (o, "HostsPath", json_object_new_string (hostsp));
    json_object_object_add (o, "HostnamePath", json_object_new_string (hostnamep));
  }
  for (size_t i = 0;
       rcr_json_get_array (cfg, "mounts") && i < json_object_array_length (rcr_json_get_array (cfg, "mounts")); i++)
    {
      json_object *m = json_object_array_get_idx (rcr_json_get_array (cfg, "mounts"), i);
      json_object *pm = json_object_new_object ();
      const char *vol = rcr_json_get_string (m, "volume", NULL);
      json_object_object_add (pm, "Type",
                              json_object_new_string (vol ? "volume" : rcr_json_get_string (m, "type", "bind")));
      if (vol)
        json_object_object_add (pm, "Name", json_object_new_string (vol));
      json_object_object_add (pm, "Source", json_object_new_string (rcr_json_get_string (m, "source", "")));
      json_object_object_add (pm, "Destination", json_object_new_string (rcr_json_get_string (m, "destination", "")));
      json_object_object_add (pm, "RW", json_object_new_boolean (!rcr_json_get_bool (m, "readonly", false)));
      json_object_array_add (mounts, pm);
    }
  json_object_object_add (o, "Mounts", mounts);

  json_object_object_add (config, "Hostname", json_object_new_string (rcr_json_get_string (cfg, "hostname", "")));
  json_object_object_add (config, "User", json_object_new_string (rcr_json_get_string (cfg, "user", "")));
  json_object_object_add (config, "Env", json_object_get (rcr_json_get_array (cfg, "env")));
  /* containers made before Entrypoint and Cmd were kept apart show the whole command */
  json_object_object_add (
      config, "Entrypoint",
      json_object_get (rcr_json_get_array (cfg, "entrypoint") ? rcr_json_get_array (cfg, "entrypoint") : NULL));
  json_object_object_add (config, "Cmd",
                          json_object_get (rcr_json_get_array (cfg, "cmd") ? rcr_json_get_array (cfg, "cmd") : cmd));
  json_object_object_add (config, "Image", json_object_new_string (rcr_json_get_string (image, "fullName", "")));
  json_object_object_add (config, "WorkingDir", json_object_new_string (rcr_json_get_string (cfg, "workdir", "/")));
  json_object_object_add (config, "Tty", json_object_new_boolean (rcr_json_get_bool (cfg, "tty", false)));
  json_object_object_add (config, "OpenStdin", json_object_new_boolean (rcr_json_get_bool (cfg, "interactive", false)));
  json_object_object_add (config, "Labels", json_object_get (rcr_json_get_object (cfg, "labels")));
  json_object_object_add (config, "StopSignal",
                          json_object_new_string (rcr_json_get_string (cfg, "stopSignal", "SIGTERM")));
  json_object_object_add (config, "StopTimeout",
                          json_object_new_int ((int)rcr_json_get_int64 (cfg, "stopTimeout", 10)));
  json_object_object_add (o, "Config", config);

  {
    uint64_t caps = 0;
    json_object *capadd = json_object_new_array (), *capdrop = json_object_new_array ();
    char **add = NULL, **drop = NULL;
    json_object *a = rcr_json_get_array (cfg, "capAdd"), *d = rcr_json_get_array (cfg, "capDrop");
    rcr_error_t tmp = NULL;
    add = rcr_xmalloc0 (((a ? json_object_array_length (a) : 0) + 1) * sizeof (char *));
    drop = rcr_xmalloc0 (((d ? json_object_array_length (d) : 0) + 1) * sizeof (char *));
    for (size_t i = 0; a && i < json_object_array_length (a); i++)
      {
        add[i] = rcr_xstrdup (json_object_get_string (json_object_array_get_idx (a, i)));
        json_object_array_add (capadd, json_object_get (json_object_array_get_idx (a, i)));
      }
    for (size_t i = 0; d && i < json_object_array_length (d); i++)
      {
        drop[i] = rcr_xstrdup (json_object_get_string (json_object_array_get_idx (d, i)));
        json_object_array_add (capdrop, json_object_get (json_object_array_get_idx (d, i)));
      }
    rcr_caps_compute (rcr_json_get_bool (cfg, "privileged", false) ? rcr_caps_all () : rcr_caps_default (), add, drop,
                      &caps, &tmp);
    rcr_error_release (&tmp);
    {
      /* podman decides on the --user text: "", "root" or "0" (any group) is root; any
         other user's effective set is the --cap-add list alone */
      const char *user = rcr_json_get_string (cfg, "user", "");
      size_t ulen = strcspn (user, ":");
      uint64_t eff = caps;
      if (ulen != 0 && !(ulen == 4 && strncmp (user, "root", 4) == 0) && !(ulen == 1 && user[0] == '0'))
        {
          eff = 0;
          rcr_caps_user (add, &eff, &tmp);
          rcr_error_release (&tmp);
        }
      json_object_object_add (o, "EffectiveCaps", caps_array (eff));
      json_object_object_add (o, "BoundingCaps", caps_array (caps));
    }
    rcr_cleanup_strvp (&add);
    rcr_cleanup_strvp (&drop);
    json_object_object_add (host, "CapAdd", capadd);
    json_object_object_add (host, "CapDrop", capdrop);
  }
  json_object_object_add (host, "NetworkMode", json_object_new_string (rcr_json_get_string (cfg, "network", "none")));
  /* podman shows "" for the default rootless mapping */
  json_object_object_add (host, "UsernsMode", json_object_new_string (rcr_json_get_string (cfg, "userns", "")));
  json_object_object_add (host, "Privileged", json_object_new_boolean (rcr_json_get_bool (cfg, "privileged", false)));
  json_object_object_add (host, "ReadonlyRootfs", json_object_new_boolean (rcr_json_get_bool (cfg, "readOnly", false)));
  json_object_object_add (host, "AutoRemove", json_object_new_boolean (rcr_json_get_bool (cfg, "autoRemove", false)));
  json_object_object_add (host, "Init", json_object_new_boolean (rcr_json_get_bool (cfg, "init", false)));
  {
    json_object *sec = json_object_new_array ();
    if (rcr_json_get_bool (cfg, "noNewPrivileges", false))
      json_object_array_add (sec, json_object_new_string ("no-new-privileges"));
    if (rcr_json_get_string (cfg, "seccomp", NULL))
      {
        cleanup_free char *s = rcr_strdup_printf ("seccomp=%s", rcr_json_get_string (cfg, "seccomp", ""));
        json_object_array_add (sec, json_object_new_string (s));
      }
    json_object_object_add (host, "SecurityOpt", sec);
  }
  {
    json_object *masked = json_object_new_array (), *ro = json_object_new_array ();
    for (const char *const *p = rcr_masked_paths; *p; p++)
      json_object_array_add (masked, json_object_new_string (*p));
    for (const char *const *p = rcr_readonly_paths; *p; p++)
      json_object_array_add (ro, json_object_new_string (*p));
    json_object_object_add (host, "MaskedPaths", masked);
    json_object_object_add (host, "ReadonlyPaths", ro);
  }
  json_object_object_add (host, "Ulimits", json_object_get (rcr_json_get_array (cfg, "ulimits")));
  json_object_object_add (o, "HostConfig", host);
  return o;
}
