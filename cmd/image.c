/* SPDX-License-Identifier: Apache-2.0 */
/* `rcr image SUBCOMMAND`: podman's image group; inspect and prune live here. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "storage/images.h"

static int
run_inspect (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { "format", 'f', true, 1 }, { NULL, 0, false, 0 } };
  cleanup_json json_object *arr = json_object_new_array ();
  struct rcr_store *store = NULL;
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
    return cmd_usage_error (verb, "`rcr image inspect` requires at least one image name");
  if (cmd_open_store (ctx, &store) != 0)
    return RCR_EXIT_FAILURE;
  for (int i = optind; i < argc; i++)
    {
      json_object *o = NULL;
      rcr_error_t err = NULL;
      if (rcr_images_inspect (store, argv[i], &o, &err) < 0)
        {
          fprintf (stderr, "Error: %s\n", err->msg);
          rcr_error_release (&err);
          ret = RCR_EXIT_FAILURE;
          continue;
        }
      json_object_array_add (arr, o);
    }
  rcr_store_close (store);
  if ((format && strcasecmp (format, "json") != 0) || json_object_array_length (arr) > 0 || ret == 0)
    {
      int r = cmd_print_objects (verb, format, arr);
      if (r != 0)
        return r;
    }
  return ret;
}

const struct rcr_verb rcr_verb_image_inspect = {
  .name = "image inspect",
  .summary = "Display the configuration of an image",
  .usage = "  rcr image inspect [options] IMAGE [IMAGE...]\n"
           "\n"
           "Prints a JSON array, one podman-shaped object per image (Id, Digest, RepoTags,\n"
           "RepoDigests, Config, RootFS, Size, Architecture, Os, ...).\n"
           "\n"
           "Options:\n"
           "  -f, --format string   json, or a Go template such as {{.Config.Cmd}}\n",
  .run = run_inspect,
};

static const struct rcr_context *prune_ctx;

static bool
prune_in_use (const char *id)
{
  return rcr_container_image_in_use (prune_ctx, id);
}

static int
run_prune (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[]
      = { { "all", 'a', false, 1 }, { "force", 'f', false, 2 }, { NULL, 0, false, 0 } };
  cleanup_json json_object *deleted = json_object_new_array ();
  struct rcr_store *store = NULL;
  bool all = false, force = false;
  rcr_error_t err = NULL;
  const char *arg;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        all = true;
        break;
      case 2:
        force = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind < argc)
    return cmd_usage_error (verb, "`rcr image prune` takes no arguments");
  if (!force)
    {
      char answer[16] = "";
      fprintf (stderr, "WARNING! This command removes all %s images.\nAre you sure you want to continue? [y/N] ",
               all ? "images not used by containers" : "dangling");
      fflush (stderr);
      if (fgets (answer, sizeof (answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
        return 0;
    }
  if (cmd_open_store (ctx, &store) != 0)
    return RCR_EXIT_FAILURE;
  prune_ctx = ctx;
  if (rcr_images_prune (store, all, prune_in_use, deleted, &err) < 0)
    ret = cmd_fail (&err);
  else
    for (size_t i = 0; i < json_object_array_length (deleted); i++)
      printf ("%s\n", json_object_get_string (json_object_array_get_idx (deleted, i)));
  rcr_store_close (store);
  return ret;
}

static const struct rcr_verb verb_prune = {
  .name = "image prune",
  .summary = "Remove unused images",
  .usage = "  rcr image prune [options]\n"
           "\n"
           "Removes dangling images (those without a name), or with --all every image no container\n"
           "uses, then the layers nothing refers to any more.\n"
           "\n"
           "Options:\n"
           "  -a, --all     remove all unused images, not just dangling ones\n"
           "  -f, --force   do not prompt for confirmation\n",
  .run = run_prune,
};

static const struct
{
  const char *name;
  const struct rcr_verb *verb;
} subcommands[] = {
  { "inspect", &rcr_verb_image_inspect },
  { "prune", &verb_prune },
  { "ls", &rcr_verb_images },
  { "list", &rcr_verb_images },
  { "pull", &rcr_verb_pull },
  { "rm", &rcr_verb_rmi },
  { "tag", &rcr_verb_tag },
};

static int
run_image (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  if (argc < 2)
    return cmd_usage_error (verb, "missing subcommand: inspect, ls, prune, pull, rm or tag");
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return cmd_print_help (verb);
  for (size_t i = 0; i < sizeof (subcommands) / sizeof (subcommands[0]); i++)
    if (strcmp (argv[1], subcommands[i].name) == 0)
      return subcommands[i].verb->run (ctx, subcommands[i].verb, argc - 1, argv + 1);
  return cmd_usage_error (verb, "unrecognized command `rcr image %s`", argv[1]);
}

const struct rcr_verb rcr_verb_image = {
  .name = "image",
  .summary = "Manage images",
  .usage = "  rcr image SUBCOMMAND\n"
           "\n"
           "Subcommands:\n"
           "  inspect   display the configuration of an image\n"
           "  ls        list images in local storage (rcr images)\n"
           "  prune     remove unused images\n"
           "  pull      pull an image from a registry (rcr pull)\n"
           "  rm        remove images (rcr rmi)\n"
           "  tag       add a name to an image (rcr tag)\n",
  .run = run_image,
};
