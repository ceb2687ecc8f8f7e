/* SPDX-License-Identifier: Apache-2.0 */
/* ps, rm, stop, kill, wait, logs, inspect, rename: podman's container verbs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/process.h"

static const char *
name_of (struct rcr_container *c)
{
  return rcr_json_get_string (c->config, "name", "");
}

/* "Up 3 seconds", "Exited (0) 2 seconds ago", "Created" */
static char *
status_text (struct rcr_container *c)
{
  switch (c->state.status)
    {
    case RCR_STATUS_RUNNING:
    case RCR_STATUS_PAUSED:
      {
        cleanup_free char *age = cmd_human_age (c->state.started_at_ns / 1000000000LL);
        size_t l = strlen (age);
        /* "3 seconds ago" → "Up 3 seconds" */
        if (l > 4 && strcmp (age + l - 4, " ago") == 0)
          age[l - 4] = '\0';
        return rcr_strdup_printf ("%s %s%s", "Up", age, c->state.status == RCR_STATUS_PAUSED ? " (paused)" : "");
      }
    case RCR_STATUS_EXITED:
      {
        cleanup_free char *age = cmd_human_age (c->state.finished_at_ns / 1000000000LL);
        return rcr_strdup_printf ("Exited (%d) %s", c->state.exit_code, age);
      }
    case RCR_STATUS_CREATED:
      return rcr_xstrdup ("Created");
    default:
      return rcr_xstrdup (rcr_status_name (c->state.status));
    }
}

static char *
command_text (struct rcr_container *c, bool no_trunc)
{
  json_object *cmd = rcr_json_get_array (c->config, "command");
  char *s = rcr_xstrdup ("");
  for (size_t i = 0; cmd && i < json_object_array_length (cmd); i++)
    {
      char *n
          = rcr_strdup_printf ("%s%s%s", s, i ? " " : "", json_object_get_string (json_object_array_get_idx (cmd, i)));
      free (s);
      s = n;
    }
  if (!no_trunc && strlen (s) > 17)
    {
      s[17] = '\0';
      char *n = rcr_strdup_printf ("%s...", s);
      free (s);
      s = n;
    }
  return s;
}

static bool
filter_match (struct rcr_container *c, const char *f)
{
  const char *eq = strchr (f, '=');
  const char *v = eq ? eq + 1 : "";
  if (rcr_has_prefix (f, "name="))
    return strstr (name_of (c), v) != NULL || fnmatch (v, name_of (c), 0) == 0;
  if (rcr_has_prefix (f, "status="))
    return strcmp (rcr_status_name (c->state.status), v) == 0;
  if (rcr_has_prefix (f, "id="))
    return rcr_has_prefix (c->id, v);
  if (rcr_has_prefix (f, "label="))
    {
      const char *veq = strchr (v, '=');
      json_object *labels = rcr_json_get_object (c->config, "labels");
      cleanup_free char *key = veq ? rcr_xstrndup (v, (size_t)(veq - v)) : rcr_xstrdup (v);
      const char *have = rcr_json_get_string (labels, key, NULL);
      return have && (veq == NULL || strcmp (have, veq + 1) == 0);
    }
  if (rcr_has_prefix (f, "ancestor="))
    {
      json_object *img = rcr_json_get_object (c->config, "image");
      return strstr (rcr_json_get_string (img, "fullName", ""), v)
             || rcr_has_prefix (rcr_json_get_string (img, "id", ""), v);
    }
  return false;
}

/* podman: filters on the same key are ORed, different keys ANDed */
static bool
filters_match (struct rcr_container *c, const char **filters, size_t nf)
{
  for (size_t i = 0; i < nf; i++)
    {
      size_t klen = strcspn (filters[i], "=");
      bool any = false;
      for (size_t k = 0; k < nf && !any; k++)
        if (strncmp (filters[k], filters[i], klen + 1) == 0)
          any = filter_match (c, filters[k]);
      if (!any)
        return false;
    }
  return true;
}

static json_object *
ps_json (struct rcr_container *c)
{
  json_object *o = json_object_new_object ();
  json_object *names = json_object_new_array ();
  json_object *img = rcr_json_get_object (c->config, "image");
  json_object_object_add (o, "Id", json_object_new_string (c->id));
  json_object_object_add (o, "Image", json_object_new_string (rcr_json_get_string (img, "fullName", "")));
  json_object_object_add (o, "ImageID", json_object_new_string (rcr_json_get_string (img, "id", "")));
  json_object_object_add (o, "Command", json_object_get (rcr_json_get_array (c->config, "command")));
  json_object_object_add (o, "Created",
                          json_object_new_int64 (rcr_json_get_int64 (c->config, "created", 0) / 1000000000LL));
  json_object_object_add (o, "State", json_object_new_string (rcr_status_name (c->state.status)));
  {
    cleanup_free char *st = status_text (c);
    json_object_object_add (o, "Status", json_object_new_string (st));
  }
  json_object_object_add (o, "ExitCode", json_object_new_int (c->state.exit_code < 0 ? 0 : c->state.exit_code));
  json_object_object_add (o, "Exited", json_object_new_boolean (c->state.status == RCR_STATUS_EXITED));
  json_object_object_add (o, "Pid", json_object_new_int (c->state.status == RCR_STATUS_RUNNING ? c->state.pid : 0));
  json_object_array_add (names, json_object_new_string (name_of (c)));
  json_object_object_add (o, "Names", names);
  json_object_object_add (o, "Labels", json_object_get (rcr_json_get_object (c->config, "labels")));
  json_object_object_add (o, "Ports", json_object_new_array ());
  json_object_object_add (o, "AutoRemove",
                          json_object_new_boolean (rcr_json_get_bool (c->config, "autoRemove", false)));
  return o;
}

static int
run_ps (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "all", 'a', false, 1 },   { "quiet", 'q', false, 2 },   { "format", 0, true, 3 },
    { "filter", 'f', true, 4 }, { "no-trunc", 0, false, 5 },  { "latest", 'l', false, 6 },
    { "last", 'n', true, 7 },   { "noheading", 0, false, 8 }, { NULL, 0, false, 0 },
  };
  bool all = false, quiet = false, no_trunc = false, latest = false, heading = true;
  const char *format = NULL, *arg;
  cleanup_free const char **filters = NULL;
  size_t nf = 0, n = 0;
  long last = -1;
  struct rcr_container **v = NULL;
  rcr_error_t err = NULL;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        all = true;
        break;
      case 2:
        quiet = true;
        break;
      case 3:
        format = arg;
        break;
      case 4:
        {
          static const char *const known[] = { "name=", "status=", "id=", "label=", "ancestor=" };
          bool ok = false;
          for (size_t i = 0; i < sizeof (known) / sizeof (known[0]); i++)
            ok = ok || rcr_has_prefix (arg, known[i]);
          if (!ok)
            return cmd_usage_error (verb, "invalid filter \"%s\" (supported: name=, status=, id=, label=, ancestor=)",
                                    arg);
          filters = rcr_xrealloc (filters, (nf + 1) * sizeof (char *));
          filters[nf++] = arg;
          break;
        }
      case 5:
        no_trunc = true;
        break;
      case 6:
        latest = true;
        break;
      case 7:
        last = atol (arg);
        break;
      case 8:
        heading = false;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind < argc)
    return cmd_usage_error (verb, "`rcr ps` takes no arguments");
  if (rcr_container_list (ctx, &v, &n, &err) < 0)
    return cmd_fail (&err);

  {
    cleanup_json json_object *arr = json_object_new_array ();
    struct cmd_table t;
    static const char *const hdr[]
        = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES", NULL };
    size_t shown = 0;
    cmd_table_init (&t, hdr);
    /* newest first, as podman */
    for (size_t k = n; k > 0; k--)
      {
        struct rcr_container *ct = v[k - 1];
        bool status_filter = false;
        bool keep;
        for (size_t i = 0; i < nf; i++)
          status_filter = status_filter || rcr_has_prefix (filters[i], "status=");
        /* an explicit status filter shows stopped containers too */
        keep = all || status_filter || ct->state.status == RCR_STATUS_RUNNING || latest || last >= 0;
        if (keep && nf > 0)
          keep = filters_match (ct, filters, nf);
        if (!keep)
          continue;
        if ((latest && shown >= 1) || (last >= 0 && (long)shown >= last))
          break;
        shown++;
        if (quiet)
          printf ("%.*s\n", no_trunc ? 64 : 12, ct->id);
        else if (format)
          json_object_array_add (arr, ps_json (ct));
        else
          {
            char **cells = rcr_xmalloc0 (7 * sizeof (char *));
            json_object *img = rcr_json_get_object (ct->config, "image");
            cells[0] = no_trunc ? rcr_xstrdup (ct->id) : rcr_xstrndup (ct->id, 12);
            cells[1] = rcr_xstrdup (rcr_json_get_string (img, "fullName", ""));
            cells[2] = command_text (ct, no_trunc);
            cells[3] = cmd_human_age (rcr_json_get_int64 (ct->config, "created", 0) / 1000000000LL);
            cells[4] = status_text (ct);
            cells[5] = rcr_xstrdup ("");
            cells[6] = rcr_xstrdup (name_of (ct));
            cmd_table_add (&t, cells);
          }
      }
    if (!quiet && format && strcasecmp (format, "json") == 0)
      cmd_print_json (arr);
    else if (!quiet && format)
      {
        static const char *const aliases[] = { "ID", "CONTAINER ID", NULL };
        for (size_t i = 0; i < json_object_array_length (arr); i++)
          {
            /* podman's Go template fields: {{.Names}} is the name string, {{.ID}} short */
            json_object *o = json_object_array_get_idx (arr, i);
            json_object *names = rcr_json_get_array (o, "Names");
            cleanup_free char *id = rcr_xstrndup (rcr_json_get_string (o, "Id", ""), 12);
            cleanup_free char *name = rcr_xstrdup (names && json_object_array_length (names)
                                                       ? json_object_get_string (json_object_array_get_idx (names, 0))
                                                       : "");
            json_object_object_add (o, "ID", json_object_new_string (id));
            json_object_object_add (o, "Names", json_object_new_string (name));
          }
        if (rcr_has_prefix (format, "table "))
          cmd_print_table_format (verb, format + 6, arr, aliases, heading);
        else
          for (size_t i = 0; i < json_object_array_length (arr); i++)
            if (cmd_print_formatted (verb, format, json_object_array_get_idx (arr, i)) != 0)
              break;
      }
    else if (!quiet)
      cmd_table_print (&t, heading);
    cmd_table_clear (&t);
  }
  rcr_container_list_free (v, n);
  return 0;
}

const struct rcr_verb rcr_verb_ps = {
  .name = "ps",
  .summary = "List containers",
  .usage = "  rcr ps [options]\n"
           "\n"
           "Options:\n"
           "  -a, --all             show all the containers, default is only running containers\n"
           "  -f, --filter strings  name=, status=, id=, label=KEY[=VALUE], ancestor=\n"
           "      --format string   json, or a Go template over ID, Image, Command, Status, Names, ...\n"
           "  -n, --last int        print the n last created containers\n"
           "  -l, --latest          the latest container\n"
           "      --no-trunc        do not truncate the output\n"
           "      --noheading       do not print headers\n"
           "  -q, --quiet           print the numeric IDs of the containers only\n",
  .run = run_ps,
};

/* ---- verbs over a list of containers ---- */

/* Applies fn to each named container (or all with --all); podman's exit codes: 125 when
   one failed, 1 when one was not found (rm). */
static int
for_each (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv, int optind, bool all,
          bool ignore, int (*fn) (struct rcr_context *, struct rcr_container *, void *, rcr_error_t *), void *arg,
          bool print_name)
{
  int ret = 0;
  if (all)
    {
      struct rcr_container **v = NULL;
      size_t n = 0;
      rcr_error_t err = NULL;
      if (rcr_container_list (ctx, &v, &n, &err) < 0)
        return cmd_fail (&err);
      for (size_t i = 0; i < n; i++)
        {
          /* kill --all and stop --all mean the running containers */
          if ((strcmp (verb->name, "kill") == 0 || strcmp (verb->name, "stop") == 0)
              && v[i]->state.status != RCR_STATUS_RUNNING && v[i]->state.status != RCR_STATUS_PAUSED)
            continue;
          if (fn (ctx, v[i], arg, &err) < 0)
            {
              fprintf (stderr, "Error: %s\n", err->msg);
              rcr_error_release (&err);
              ret = RCR_EXIT_FAILURE;
            }
          else if (print_name)
            printf ("%s\n", v[i]->id);
        }
      rcr_container_list_free (v, n);
      return ret;
    }
  if (optind >= argc)
    return cmd_usage_error (verb, "`rcr %s` requires at least one container name or ID", verb->name);
  for (int i = optind; i < argc; i++)
    {
      cleanup_container struct rcr_container *ct = NULL;
      rcr_error_t err = NULL;
      if (rcr_container_load (ctx, argv[i], &ct, &err) < 0)
        {
          /* ignore, or rm --force: a container that is not there is already gone (podman 4.3) */
          if ((ignore || (strcmp (verb->name, "rm") == 0 && *(bool *)arg)) && err->status == RCR_CONTAINER_NOT_FOUND)
            {
              rcr_error_release (&err);
              continue;
            }
          fprintf (stderr, "Error: %s\n", err->msg);
          /* rm: 1 when containers were not found, 125 when anything else failed */
          if (err->status == RCR_CONTAINER_NOT_FOUND && strcmp (verb->name, "rm") == 0)
            ret = ret == RCR_EXIT_FAILURE ? ret : 1;
          else
            ret = RCR_EXIT_FAILURE;
          rcr_error_release (&err);
          continue;
        }
      if (fn (ctx, ct, arg, &err) < 0)
        {
          fprintf (stderr, "Error: %s\n", err->msg);
          rcr_error_release (&err);
          ret = RCR_EXIT_FAILURE;
        }
      else if (print_name)
        printf ("%s\n", argv[i]);
    }
  return ret;
}

static int
do_rm (struct rcr_context *ctx, struct rcr_container *c, void *arg, rcr_error_t *err)
{
  return rcr_container_remove (ctx, c, *(bool *)arg, err);
}

static int
run_rm (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "force", 'f', false, 1 },  { "all", 'a', false, 2 }, { "volumes", 'v', false, 3 },
    { "ignore", 'i', false, 4 }, { "time", 't', true, 5 }, { NULL, 0, false, 0 },
  };
  bool force = false, all = false, ignore = false;
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        force = true;
        break;
      case 2:
        all = true;
        break;
      case 3:
      case 5:
        break; /* anonymous volumes: rcr makes none; -t: the stop timeout of a forced rm */
      case 4:
        ignore = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (all && optind < argc)
    return cmd_usage_error (verb, "--all and container names cannot be used together");
  return for_each (ctx, verb, argc, argv, optind, all, ignore, do_rm, &force, true);
}

const struct rcr_verb rcr_verb_rm = {
  .name = "rm",
  .summary = "Remove one or more containers",
  .usage = "  rcr rm [options] CONTAINER [CONTAINER...]\n"
           "\n"
           "Options:\n"
           "  -a, --all      remove all containers\n"
           "  -f, --force    kill and remove running containers\n"
           "  -i, --ignore   ignore errors when a specified container is missing\n"
           "  -v, --volumes  remove anonymous volumes (rcr creates none)\n"
           "\n"
           "Exit status: 1 when a container was not found, 125 on other errors.\n",
  .run = run_rm,
};

static int
do_stop (struct rcr_context *ctx, struct rcr_container *c, void *arg, rcr_error_t *err)
{
  int t = *(int *)arg;
  if (t < 0)
    t = (int)rcr_json_get_int64 (c->config, "stopTimeout", 10);
  return rcr_container_stop (ctx, c, t, err);
}

static int
run_stop (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "time", 't', true, 1 },
    { "all", 'a', false, 2 },
    { "ignore", 'i', false, 3 },
    { NULL, 0, false, 0 },
  };
  bool all = false, ignore = false;
  int timeout = -1;
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        {
          uint64_t v;
          if (rcr_parse_u64 (arg, &v) < 0 || v > 1000000)
            return cmd_usage_error (verb, "invalid --time \"%s\"", arg);
          timeout = (int)v;
          break;
        }
      case 2:
        all = true;
        break;
      case 3:
        ignore = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  return for_each (ctx, verb, argc, argv, optind, all, ignore, do_stop, &timeout, true);
}

const struct rcr_verb rcr_verb_stop = {
  .name = "stop",
  .summary = "Stop one or more containers",
  .usage = "  rcr stop [options] CONTAINER [CONTAINER...]\n"
           "\n"
           "Sends the stop signal (SIGTERM unless --stop-signal said otherwise), then SIGKILL\n"
           "after the timeout.\n"
           "\n"
           "Options:\n"
           "  -a, --all       stop all running containers\n"
           "  -i, --ignore    ignore errors when a specified container is missing\n"
           "  -t, --time int  seconds to wait before killing (default: the container's, 10)\n",
  .run = run_stop,
};

static int
do_kill (struct rcr_context *ctx, struct rcr_container *c, void *arg, rcr_error_t *err)
{
  (void)ctx;
  return rcr_container_kill (c, *(int *)arg, err);
}

static int
run_kill (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "signal", 's', true, 1 },
    { "all", 'a', false, 2 },
    { NULL, 0, false, 0 },
  };
  int sig = SIGKILL;
  bool all = false;
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        sig = rcr_signal_parse (arg);
        if (sig < 0)
          return cmd_usage_error (verb, "invalid signal \"%s\"", arg);
        break;
      case 2:
        all = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  return for_each (ctx, verb, argc, argv, optind, all, false, do_kill, &sig, true);
}

const struct rcr_verb rcr_verb_kill = {
  .name = "kill",
  .summary = "Kill one or more running containers with a specific signal",
  .usage = "  rcr kill [options] CONTAINER [CONTAINER...]\n"
           "\n"
           "Options:\n"
           "  -a, --all            signal all running containers\n"
           "  -s, --signal string  signal to send to the container (default \"KILL\")\n",
  .run = run_kill,
};

static int
do_wait (struct rcr_context *ctx, struct rcr_container *c, void *arg, rcr_error_t *err)
{
  int code = 0;
  (void)arg;
  if (rcr_container_wait (ctx, c, &code, err) < 0)
    return -1;
  printf ("%d\n", code);
  return 0;
}

static int
run_wait (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { "condition", 0, true, 1 }, { NULL, 0, false, 0 } };
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        if (strcmp (arg, "stopped") != 0 && strcmp (arg, "exited") != 0)
          return cmd_usage_error (verb, "--condition: only stopped/exited is supported");
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind >= argc)
    return cmd_usage_error (verb, "`rcr wait` requires at least one container name or ID");
  {
    int ret = 0;
    for (int i = optind; i < argc; i++)
      {
        rcr_error_t err = NULL;
        int one, code;
        /* a --rm container that already removed itself left its exit code behind */
        if (strlen (argv[i]) == 64 && strchr (argv[i], '/') == NULL && rcr_exit_code_lookup (ctx, argv[i], &code) == 0)
          {
            cleanup_container struct rcr_container *still = NULL;
            if (rcr_container_load (ctx, argv[i], &still, &err) < 0)
              {
                rcr_error_release (&err);
                printf ("%d\n", code);
                continue;
              }
          }
        rcr_error_release (&err);
        one = for_each (ctx, verb, 2, (char *[]){ argv[0], argv[i], NULL }, 1, false, false, do_wait, NULL, false);
        if (one != 0)
          ret = one;
      }
    return ret;
  }
}

const struct rcr_verb rcr_verb_wait = {
  .name = "wait",
  .summary = "Block on one or more containers",
  .usage = "  rcr wait [options] CONTAINER [CONTAINER...]\n"
           "\n"
           "Waits until each container exits and prints its exit code.\n",
  .run = run_wait,
};

/* ---- inspect ---- */

static int
run_inspect (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "format", 'f', true, 1 },
    { "type", 't', true, 2 },
    { NULL, 0, false, 0 },
  };
  cleanup_json json_object *arr = json_object_new_array ();
  const char *format = NULL, *type = "all", *arg;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        format = arg;
        break;
      case 2:
        type = arg;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind >= argc)
    return cmd_usage_error (verb, "`rcr inspect` requires at least one container or image name");
  for (int i = optind; i < argc; i++)
    {
      cleanup_container struct rcr_container *ct = NULL;
      rcr_error_t err = NULL;
      if (strcmp (type, "image") != 0 && rcr_container_load (ctx, argv[i], &ct, &err) == 0)
        {
          json_object_array_add (arr, rcr_container_inspect (ctx, ct));
          continue;
        }
      rcr_error_release (&err);
      if (strcmp (type, "container") != 0)
        {
          /* podman's inspect falls back to images */
          char *sub_argv[4]
              = { (char *)"image inspect", (char *)"--format", (char *)(format ? format : "json"), argv[i] };
          if (rcr_verb_image_inspect.run (ctx, &rcr_verb_image_inspect, 4, sub_argv) == 0)
            continue;
        }
      else
        fprintf (stderr, "Error: no such container %s\n", argv[i]);
      ret = RCR_EXIT_FAILURE;
    }
  if (json_object_array_length (arr) > 0)
    {
      int r = cmd_print_objects (verb, format, arr);
      if (r != 0)
        return r;
    }
  return ret;
}

const struct rcr_verb rcr_verb_inspect = {
  .name = "inspect",
  .summary = "Display the configuration of a container or image",
  .usage = "  rcr inspect [options] {CONTAINER|IMAGE} [...]\n"
           "\n"
           "Options:\n"
           "  -f, --format string   json, or a Go template such as {{.State.Status}}\n"
           "  -t, --type string     container, image or all (default)\n",
  .run = run_inspect,
};

/* ---- logs ---- */

/* Prints one k8s-file log line: "TIME STREAM F|P MESSAGE". */
static void
print_log_line (const char *line, bool timestamps, int64_t since)
{
  const char *sp1 = strchr (line, ' '), *sp2, *sp3;
  cleanup_free char *ts = NULL;
  if (sp1 == NULL || (sp2 = strchr (sp1 + 1, ' ')) == NULL || (sp3 = strchr (sp2 + 1, ' ')) == NULL)
    return;
  ts = rcr_xstrndup (line, (size_t)(sp1 - line));
  if (since > 0 && cmd_parse_rfc3339 (ts) < since)
    return;
  {
    FILE *out = strncmp (sp1 + 1, "stderr", 6) == 0 ? stderr : stdout;
    bool full = sp2[1] == 'F';
    if (timestamps)
      fprintf (out, "%s ", ts);
    fputs (sp3 + 1, out);
    if (full)
      fputc ('\n', out);
  }
}

static int
run_logs (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "follow", 'f', false, 1 },     { "tail", 0, true, 2 },     { "since", 0, true, 3 },
    { "timestamps", 't', false, 4 }, { "names", 'n', false, 5 }, { NULL, 0, false, 0 },
  };
  cleanup_container struct rcr_container *ct = NULL;
  cleanup_free char *path = NULL;
  cleanup_file FILE *f = NULL;
  bool follow = false, timestamps = false;
  long tail = -1;
  int64_t since = 0;
  rcr_error_t err = NULL;
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        follow = true;
        break;
      case 2:
        {
          char *end;
          tail = strtol (arg, &end, 10);
          if (*end || tail < -1)
            return cmd_usage_error (verb, "invalid --tail \"%s\"", arg);
          break;
        }
      case 3:
        since = cmd_parse_rfc3339 (arg);
        if (since < 0)
          {
            /* a Go duration: 10m, 30s, 1h30m, 1.5h */
            const char *p = arg;
            double total = 0;
            while (*p)
              {
                char *end;
                double v = strtod (p, &end);
                int mult = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 0;
                if (end == p || mult == 0 || v < 0)
                  return cmd_usage_error (verb, "invalid --since \"%s\": a RFC 3339 time or a duration like 1h30m",
                                          arg);
                total += v * mult;
                p = end + 1;
              }
            since = (int64_t)time (NULL) - (int64_t)total;
          }
        break;
      case 4:
        timestamps = true;
        break;
      case 5:
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (argc - optind != 1)
    return cmd_usage_error (verb, "`rcr logs` requires exactly one container");
  if (rcr_container_load (ctx, argv[optind], &ct, &err) < 0)
    return cmd_fail (&err);
  path = rcr_strdup_printf ("%s/ctr.log", ct->dir);
  f = fopen (path, "re");
  if (f == NULL && errno != ENOENT)
    {
      rcr_make_error (&err, errno, "open \"%s\"", path);
      return cmd_fail (&err);
    }
  if (f)
    {
      char *line = NULL;
      size_t cap = 0;
      ssize_t len;
      char **ring = NULL;
      size_t nring = 0, pos = 0;
      if (tail >= 0)
        ring = rcr_xmalloc0 (((size_t)tail + 1) * sizeof (char *));
      while ((len = getline (&line, &cap, f)) > 0)
        {
          if (line[len - 1] == '\n')
            line[len - 1] = '\0';
          if (tail < 0)
            print_log_line (line, timestamps, since);
          else if (tail > 0)
            {
              free (ring[pos]);
              ring[pos] = rcr_xstrdup (line);
              pos = (pos + 1) % (size_t)tail;
              if (nring < (size_t)tail)
                nring++;
            }
        }
      for (size_t i = 0; i < nring; i++)
        {
          size_t k = (pos + (size_t)tail - nring + i) % (size_t)tail;
          print_log_line (ring[k], timestamps, since);
        }
      for (long i = 0; ring && i <= tail; i++)
        free (ring[i]);
      free (ring);
      while (follow)
        {
          fflush (stdout);
          clearerr (f);
          while ((len = getline (&line, &cap, f)) > 0)
            {
              if (line[len - 1] == '\n')
                line[len - 1] = '\0';
              print_log_line (line, timestamps, since);
            }
          fflush (stdout);
          {
            cleanup_container struct rcr_container *now = NULL;
            if (rcr_container_load (ctx, ct->id, &now, &err) < 0 || now->state.status != RCR_STATUS_RUNNING)
              {
                rcr_error_release (&err);
                /* one last read for what arrived before the exit */
                clearerr (f);
                while ((len = getline (&line, &cap, f)) > 0)
                  {
                    if (line[len - 1] == '\n')
                      line[len - 1] = '\0';
                    print_log_line (line, timestamps, since);
                  }
                break;
              }
          }
          usleep (100000);
        }
      free (line);
    }
  return 0;
}

const struct rcr_verb rcr_verb_logs = {
  .name = "logs",
  .summary = "Fetch the logs of a container",
  .usage = "  rcr logs [options] CONTAINER\n"
           "\n"
           "Options:\n"
           "  -f, --follow        follow log output until the container exits\n"
           "      --since string  show logs since TIMESTAMP (RFC 3339) or a duration (10m)\n"
           "      --tail int      number of lines to show from the end (default all)\n"
           "  -t, --timestamps    show timestamps\n",
  .run = run_logs,
};

/* ---- rename ---- */

static int
run_rename (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { NULL, 0, false, 0 } };
  cleanup_container struct rcr_container *ct = NULL;
  cleanup_container struct rcr_container *other = NULL;
  cleanup_free char *cfg = NULL;
  rcr_error_t err = NULL;
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    return c == 'h' ? cmd_print_help (verb) : RCR_EXIT_FAILURE;
  if (argc - optind != 2)
    return cmd_usage_error (verb, "`rcr rename` requires exactly 2 arguments: CONTAINER NEW_NAME");
  if (!rcr_name_valid (argv[optind + 1]))
    return cmd_usage_error (verb, "invalid container name \"%s\"", argv[optind + 1]);
  if (rcr_container_load (ctx, argv[optind], &ct, &err) < 0)
    return cmd_fail (&err);
  if (rcr_container_load (ctx, argv[optind + 1], &other, &err) == 0 && other && strcmp (other->id, ct->id) != 0)
    {
      fprintf (stderr, "Error: the container name \"%s\" is already in use\n", argv[optind + 1]);
      return RCR_EXIT_FAILURE;
    }
  rcr_error_release (&err);
  json_object_object_add (ct->config, "name", json_object_new_string (argv[optind + 1]));
  cfg = rcr_strdup_printf ("%s/config.json", ct->dir);
  if (rcr_json_write_file (cfg, ct->config, 0600, &err) < 0)
    return cmd_fail (&err);
  return 0;
}

const struct rcr_verb rcr_verb_rename = {
  .name = "rename",
  .summary = "Rename an existing container",
  .usage = "  rcr rename CONTAINER NEW_NAME\n",
  .run = run_rename,
};
