/* SPDX-License-Identifier: Apache-2.0 */
/* rcr unshare: a command in the rootless user namespace (0 → you, 1.. → your subordinate
   ids) and a private mount namespace, as `podman unshare`. Where the stored image files
   show their image owners. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "userns/userns.h"

struct unshare_args
{
  char **argv;
  const struct rcr_context *ctx;
};

static int
exec_cb (void *arg, rcr_error_t *err)
{
  struct unshare_args *a = arg;

  setenv ("RCR_GRAPHROOT", a->ctx->paths.root, 1);
  setenv ("RCR_RUNROOT", a->ctx->paths.runroot, 1);
  int e;

  execvp (a->argv[0], a->argv);
  e = errno;
  /* podman's codes: 127 when the command is not found, 126 when it cannot be run; the
     status carries them back (rcr_userns_run_mapped reports exit codes, not messages) */
  fprintf (stderr, "Error: exec \"%s\": %s\n", a->argv[0], strerror (e));
  (void)err;
  _exit (e == ENOENT || e == ENOTDIR ? 127 : 126);
}

static int
run_unshare (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { NULL, 0, false, 0 } };
  char *shell_argv[2] = { NULL, NULL };
  struct unshare_args a = { .ctx = ctx };
  rcr_error_t err = NULL;
  const char *arg;
  int optind = 1, c, status = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    if (c == 'h')
      return cmd_print_help (verb);
    else
      return RCR_EXIT_FAILURE;
  if (!ctx->paths.rootless)
    return cmd_usage_error (verb, "rcr unshare is only meaningful rootless");
  if (optind < argc)
    a.argv = argv + optind;
  else
    {
      shell_argv[0] = getenv ("SHELL") ? getenv ("SHELL") : (char *)"/bin/sh";
      a.argv = shell_argv;
    }
  if (rcr_userns_run_mapped (exec_cb, &a, CLONE_NEWNS, &status, &err) < 0)
    return cmd_fail (&err);
  return status;
}

const struct rcr_verb rcr_verb_unshare = {
  .name = "unshare",
  .summary = "Run a command in a modified user namespace",
  .usage = "  rcr unshare [COMMAND [ARG...]]\n"
           "\n"
           "Runs COMMAND (default: $SHELL) as root of a new user namespace mapped like a rootless\n"
           "container (0 is you, 1.. your /etc/subuid and /etc/subgid ranges), with a private mount\n"
           "namespace. Stored image files show their image owners there. RCR_GRAPHROOT and\n"
           "RCR_RUNROOT name rcr's directories.\n",
  .run = run_unshare,
  .stop_at_operand = true,
};
