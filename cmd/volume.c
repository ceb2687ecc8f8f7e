/* SPDX-License-Identifier: Apache-2.0 */
/* rcr volume create|ls|inspect|rm|prune */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/volume.h"

static int
run_create (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "label", 'l', true, 1 },
    { "ignore", 0, false, 2 },
    { "driver", 'd', true, 3 },
    { NULL, 0, false, 0 },
  };
  cleanup_json json_object *labels = json_object_new_object ();
  cleanup_json json_object *v = NULL;
  bool ignore = false;
  rcr_error_t err = NULL;
  const char *arg;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        {
          const char *eq = strchr (arg, '=');
          cleanup_free char *k = eq ? rcr_xstrndup (arg, (size_t)(eq - arg)) : rcr_xstrdup (arg);
          json_object_object_add (labels, k, json_object_new_string (eq ? eq + 1 : ""));
          break;
        }
      case 2:
        ignore = true;
        break;
      case 3:
        if (strcmp (arg, "local") != 0)
          return cmd_usage_error (verb, "volume driver \"%s\": only local is supported", arg);
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (argc - optind > 1)
    return cmd_usage_error (verb, "too many arguments: rcr volume create [NAME]");
  if (rcr_volume_create (ctx, optind < argc ? argv[optind] : NULL, labels, ignore, &v, &err) < 0)
    return cmd_fail (&err);
  printf ("%s\n", rcr_json_get_string (v, "Name", ""));
  return 0;
}

static const struct rcr_verb verb_create = {
  .name = "volume create",
  .summary = "Create a new volume",
  .usage = "  rcr volume create [options] [NAME]\n"
           "\n"
           "Options:\n"
           "  -d, --driver string      volume driver (only \"local\")\n"
           "      --ignore             do not fail if the volume already exists\n"
           "  -l, --label stringArray  set metadata for a volume (KEY=VALUE)\n",
  .run = run_create,
};

static int
run_ls (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "format", 0, true, 1 },
    { "quiet", 'q', false, 2 },
    { "noheading", 'n', false, 3 },
    { NULL, 0, false, 0 },
  };
  cleanup_json json_object *all = NULL;
  const char *format = NULL, *arg;
  bool quiet = false, heading = true;
  rcr_error_t err = NULL;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        format = arg;
        break;
      case 2:
        quiet = true;
        break;
      case 3:
        heading = false;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind < argc)
    return cmd_usage_error (verb, "`rcr volume ls` takes no arguments");
  if (rcr_volume_list (ctx, &all, &err) < 0)
    return cmd_fail (&err);
  if (quiet)
    for (size_t i = 0; i < json_object_array_length (all); i++)
      printf ("%s\n", rcr_json_get_string (json_object_array_get_idx (all, i), "Name", ""));
  else if (format && strcasecmp (format, "json") == 0)
    cmd_print_json (all);
  else if (format && rcr_has_prefix (format, "table "))
    return cmd_print_table_format (verb, format + 6, all, (const char *const[]){ "Name", "VOLUME NAME", NULL },
                                   heading);
  else if (format)
    {
      for (size_t i = 0; i < json_object_array_length (all); i++)
        if (cmd_print_formatted (verb, format, json_object_array_get_idx (all, i)) != 0)
          return RCR_EXIT_FAILURE;
    }
  else
    {
      static const char *const hdr[] = { "DRIVER", "VOLUME NAME", NULL };
      struct cmd_table t;
      cmd_table_init (&t, hdr);
      for (size_t i = 0; i < json_object_array_length (all); i++)
        {
          char **cells = rcr_xmalloc0 (2 * sizeof (char *));
          json_object *v = json_object_array_get_idx (all, i);
          cells[0] = rcr_xstrdup (rcr_json_get_string (v, "Driver", "local"));
          cells[1] = rcr_xstrdup (rcr_json_get_string (v, "Name", ""));
          cmd_table_add (&t, cells);
        }
      cmd_table_print (&t, heading);
      cmd_table_clear (&t);
    }
  return 0;
}

static const struct rcr_verb verb_ls = {
  .name = "volume ls",
  .summary = "List volumes",
  .usage = "  rcr volume ls [options]\n"
           "\n"
           "Options:\n"
           "      --format string   json, or a Go template over Name, Driver, Mountpoint, CreatedAt, Labels\n"
           "  -n, --noheading       do not print headers\n"
           "  -q, --quiet           print volume names only\n",
  .run = run_ls,
};

static int
run_inspect (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { "format", 'f', true, 1 }, { NULL, 0, false, 0 } };
  cleanup_json json_object *arr = json_object_new_array ();
  const char *format = NULL, *arg;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        format = arg;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind >= argc)
    return cmd_usage_error (verb, "`rcr volume inspect` requires at least one volume name");
  for (int i = optind; i < argc; i++)
    {
      json_object *v = NULL;
      rcr_error_t err = NULL;
      if (rcr_volume_inspect (ctx, argv[i], &v, &err) < 0)
        {
          fprintf (stderr, "Error: %s\n", err->msg);
          rcr_error_release (&err);
          ret = RCR_EXIT_FAILURE;
          continue;
        }
      json_object_array_add (arr, v);
    }
  {
    int r = cmd_print_objects (verb, format, arr);
    return r != 0 ? r : ret;
  }
}

static const struct rcr_verb verb_inspect = {
  .name = "volume inspect",
  .summary = "Display detailed information on one or more volumes",
  .usage = "  rcr volume inspect [options] VOLUME [VOLUME...]\n"
           "\n"
           "Options:\n"
           "  -f, --format string   json, or a Go template such as {{.Mountpoint}}\n",
  .run = run_inspect,
};

static int
run_rm (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[]
      = { { "force", 'f', false, 1 }, { "all", 'a', false, 2 }, { NULL, 0, false, 0 } };
  cleanup_json json_object *all_vols = NULL;
  bool force = false, all = false;
  const char *arg;
  int optind = 1, c, ret = 0;
  rcr_error_t err = NULL;

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
      default:
        return RCR_EXIT_FAILURE;
      }
  if (all == (optind < argc))
    return cmd_usage_error (verb, "give volume names or --all");
  if (all && rcr_volume_list (ctx, &all_vols, &err) < 0)
    return cmd_fail (&err);
  for (size_t i = 0; all ? i < json_object_array_length (all_vols) : (int)i < argc - optind; i++)
    {
      const char *name
          = all ? rcr_json_get_string (json_object_array_get_idx (all_vols, i), "Name", "") : argv[optind + (int)i];
      if (rcr_volume_remove (ctx, name, force, &err) < 0)
        {
          int status = err->status;
          fprintf (stderr, "Error: %s\n", err->msg);
          rcr_error_release (&err);
          /* podman: 1 when a volume does not exist, 2 when one is in use */
          ret = status == RCR_VOLUME_NOT_FOUND ? (ret ? ret : 1) : status == RCR_VOLUME_IN_USE ? 2 : RCR_EXIT_FAILURE;
          continue;
        }
      printf ("%s\n", name);
    }
  return ret;
}

static const struct rcr_verb verb_rm = {
  .name = "volume rm",
  .summary = "Remove one or more volumes",
  .usage = "  rcr volume rm [options] VOLUME [VOLUME...]\n"
           "\n"
           "Exit status: 1 when a volume does not exist, 2 when one is in use.\n"
           "\n"
           "Options:\n"
           "  -a, --all     remove all volumes\n"
           "  -f, --force   remove the containers using the volume too\n",
  .run = run_rm,
};

static int
run_prune (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { "force", 'f', false, 1 }, { NULL, 0, false, 0 } };
  cleanup_json json_object *all = NULL;
  bool force = false;
  const char *arg;
  rcr_error_t err = NULL;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        force = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind < argc)
    return cmd_usage_error (verb, "`rcr volume prune` takes no arguments");
  if (!force)
    {
      char answer[16] = "";
      fputs ("WARNING! This will remove all volumes not used by at least one container. The following volumes will be "
             "removed:\nAre you sure you want to continue? [y/N] ",
             stderr);
      fflush (stderr);
      if (fgets (answer, sizeof (answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
        return 0;
    }
  if (rcr_volume_list (ctx, &all, &err) < 0)
    return cmd_fail (&err);
  for (size_t i = 0; i < json_object_array_length (all); i++)
    {
      const char *name = rcr_json_get_string (json_object_array_get_idx (all, i), "Name", "");
      cleanup_strv char **users = rcr_volume_users (ctx, name);
      if (users[0])
        continue;
      if (rcr_volume_remove (ctx, name, false, &err) < 0)
        {
          ret = cmd_fail (&err);
          continue;
        }
      printf ("%s\n", name);
    }
  return ret;
}

static const struct rcr_verb verb_prune = {
  .name = "volume prune",
  .summary = "Remove all unused volumes",
  .usage = "  rcr volume prune [options]\n"
           "\n"
           "Options:\n"
           "  -f, --force   do not prompt for confirmation\n",
  .run = run_prune,
};

static int
run_volume (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    const struct rcr_verb *verb;
  } sub[] = { { "create", &verb_create }, { "ls", &verb_ls },     { "list", &verb_ls },    { "inspect", &verb_inspect },
              { "rm", &verb_rm },         { "remove", &verb_rm }, { "prune", &verb_prune } };
  if (argc < 2)
    return cmd_usage_error (verb, "missing subcommand: create, inspect, ls, prune or rm");
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return cmd_print_help (verb);
  for (size_t i = 0; i < sizeof (sub) / sizeof (sub[0]); i++)
    if (strcmp (argv[1], sub[i].name) == 0)
      return sub[i].verb->run (ctx, sub[i].verb, argc - 1, argv + 1);
  return cmd_usage_error (verb, "unrecognized command `rcr volume %s`", argv[1]);
}

const struct rcr_verb rcr_verb_volume = {
  .name = "volume",
  .summary = "Manage volumes",
  .usage = "  rcr volume SUBCOMMAND\n"
           "\n"
           "Subcommands:\n"
           "  create    create a new volume\n"
           "  inspect   display detailed information on one or more volumes\n"
           "  ls        list volumes\n"
           "  prune     remove all unused volumes\n"
           "  rm        remove one or more volumes\n",
  .run = run_volume,
};
