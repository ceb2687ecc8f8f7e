/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdio.h>

#include "cmd.h"
#include "runtime/info.h"

enum
{
  OPT_FORMAT = 1,
};

static int
run_info (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "format", 'f', true, OPT_FORMAT },
    { NULL, 0, false, 0 },
  };
  cleanup_json json_object *info = NULL;
  const char *format = NULL, *arg;
  rcr_error_t err = NULL;
  int optind = 1, c;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case OPT_FORMAT:
        format = arg;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind < argc)
    return cmd_usage_error (verb, "`rcr info` takes no arguments");

  if (rcr_info_collect (ctx, &info, &err) < 0)
    return cmd_fail (&err);
  if (format)
    return cmd_print_formatted (verb, format, info);
  cmd_print_yaml (info);
  return 0;
}

const struct rcr_verb rcr_verb_info = {
  .name = "info",
  .summary = "Display rcr related system information",
  .usage = "  rcr info [options]\n"
           "\n"
           "Shows what this host offers rcr: kernel, cgroups and delegated controllers, subordinate\n"
           "id ranges, newuidmap/newgidmap, overlay in a user namespace, fuse-overlayfs, /dev/net/tun,\n"
           "libslirp, storage paths. Everything that does not work comes with a hint.\n"
           "\n"
           "Options:\n"
           "  -f, --format string   Change the output format to JSON or a Go template\n",
  .run = run_info,
};
