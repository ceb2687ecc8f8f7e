/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/exec.h"
#include "runtime/spawn.h"

static int
run_exec (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "interactive", 'i', false, 1 }, { "tty", 't', false, 2 },    { "env", 'e', true, 3 },
    { "user", 'u', true, 4 },         { "workdir", 'w', true, 5 }, { "detach", 'd', false, 6 },
    { "privileged", 0, false, 7 },    { "env-file", 0, true, 8 },  { NULL, 0, false, 0 },
  };
  struct rcr_exec_opts o = { 0 };
  cleanup_container struct rcr_container *c = NULL;
  cleanup_strv char **env = rcr_xmalloc0 (sizeof (char *));
  size_t n_env = 0;
  rcr_error_t err = NULL;
  const char *arg;
  int optind = 1, ch, code = 0;

  while ((ch = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (ch)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        o.interactive = true;
        break;
      case 2:
        o.tty = true;
        break;
      case 3:
        rcr_env_set (&env, &n_env, arg);
        break;
      case 4:
        o.user = arg;
        break;
      case 5:
        if (arg[0] != '/')
          return cmd_usage_error (verb, "--workdir \"%s\" must be an absolute path", arg);
        o.cwd = arg;
        break;
      case 6:
        o.detach = true;
        break;
      case 7:
        o.privileged = true;
        break;
      case 8:
        if (rcr_env_file_read (arg, &env, &n_env, &err) < 0)
          return cmd_fail (&err);
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (argc - optind < 2)
    return cmd_usage_error (verb, "`rcr exec` requires a container and a command");
  if (rcr_container_load (ctx, argv[optind], &c, &err) < 0)
    return cmd_fail (&err);
  o.argv = argv + optind + 1;
  o.env = env;
  if (rcr_container_exec (ctx, c, &o, &code, &err) < 0)
    {
      int ec = err->status == RCR_SPAWN_NOT_FOUND       ? RCR_EXIT_NOT_FOUND
               : err->status == RCR_SPAWN_CANNOT_INVOKE ? RCR_EXIT_CANNOT_INVOKE
                                                        : RCR_EXIT_FAILURE;
      fprintf (stderr, "Error: %s\n", err->msg);
      rcr_error_release (&err);
      return ec;
    }
  return code;
}

const struct rcr_verb rcr_verb_exec = {
  .name = "exec",
  .summary = "Run a process in a running container",
  .usage = "  rcr exec [options] CONTAINER COMMAND [ARG...]\n"
           "\n"
           "Joins the container's namespaces (user first), takes its user, capabilities and seccomp\n"
           "filter, and runs COMMAND. rcr first re-executes itself from a sealed memfd, so nothing in\n"
           "the container can reach rcr's binary on disk through /proc/PID/exe.\n"
           "\n"
           "Exit status: the command's; 125, 126, 127 as for rcr run.\n"
           "\n"
           "Options:\n"
           "  -d, --detach            run the command in the background\n"
           "  -e, --env stringArray   set environment variables\n"
           "      --env-file strings  read environment variables from files\n"
           "  -i, --interactive       keep stdin open\n"
           "      --privileged        every capability, no seccomp filter (inside the user namespace)\n"
           "  -t, --tty               allocate a pseudo-TTY\n"
           "  -u, --user string       USER[:GROUP] inside the container\n"
           "  -w, --workdir string    working directory inside the container\n",
  .run = run_exec,
  .stop_at_operand = true,
};
