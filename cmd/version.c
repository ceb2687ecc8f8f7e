/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/utsname.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

enum
{
  OPT_FORMAT = 1,
};

static int
run_version (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "format", 'f', true, OPT_FORMAT },
    { NULL, 0, false, 0 },
  };
  cleanup_json json_object *v = json_object_new_object ();
  json_object *client = json_object_new_object ();
  const char *format = NULL, *arg;
  cleanup_free char *osarch = NULL;
  struct utsname u;
  int optind = 1, c;

  (void)ctx;
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
    return cmd_usage_error (verb, "`rcr version` takes no arguments");

  uname (&u);
  json_object_object_add (client, "Version", json_object_new_string (RCR_VERSION));
  json_object_object_add (client, "Built", json_object_new_string (__DATE__ " " __TIME__));
  osarch = rcr_strdup_printf ("linux/%s", u.machine);
  json_object_object_add (client, "OsArch", json_object_new_string (osarch));
  json_object_object_add (client, "Libslirp", json_object_new_string (RCR_SLIRP_VERSION));
  json_object_object_add (v, "Client", client);

  if (format)
    return cmd_print_formatted (verb, format, v);
  printf ("Version:      %s\nBuilt:        %s\nOS/Arch:      %s\nlibslirp:     %s\n", RCR_VERSION,
          json_object_get_string (json_object_object_get (client, "Built")),
          json_object_get_string (json_object_object_get (client, "OsArch")), RCR_SLIRP_VERSION);
  return 0;
}

const struct rcr_verb rcr_verb_version = {
  .name = "version",
  .summary = "Display the rcr version information",
  .usage = "  rcr version [options]\n"
           "\n"
           "Options:\n"
           "  -f, --format string   Change the output format to JSON or a Go template\n",
  .run = run_version,
};
