/* SPDX-License-Identifier: Apache-2.0 */
/* rcr: argv → global options → verb. Only this layer prints results and picks exit codes. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/cgroup.h"
#include "runtime/exec.h"
#include "runtime/spawn.h"
#include "storage/driver.h"

static const struct rcr_verb *const verbs[] = {
  &rcr_verb_attach,  &rcr_verb_create,  &rcr_verb_exec,    &rcr_verb_image,  &rcr_verb_images,  &rcr_verb_info,
  &rcr_verb_inspect, &rcr_verb_kill,    &rcr_verb_login,   &rcr_verb_logout, &rcr_verb_logs,    &rcr_verb_pause,
  &rcr_verb_port,    &rcr_verb_ps,      &rcr_verb_pull,    &rcr_verb_rename, &rcr_verb_restart, &rcr_verb_rm,
  &rcr_verb_rmi,     &rcr_verb_run,     &rcr_verb_start,   &rcr_verb_stop,   &rcr_verb_tag,     &rcr_verb_top,
  &rcr_verb_unpause, &rcr_verb_unshare, &rcr_verb_version, &rcr_verb_volume, &rcr_verb_wait,
};

static void
print_main_help (FILE *out)
{
  fputs ("Manage pods, containers and images, rootless and daemonless\n"
         "\n"
         "Usage:\n"
         "  rcr [options] [command]\n"
         "\n"
         "Available Commands:\n",
         out);
  for (size_t i = 0; i < sizeof (verbs) / sizeof (verbs[0]); i++)
    fprintf (out, "  %-12s %s\n", verbs[i]->name, verbs[i]->summary);
  fputs ("\n"
         "Options:\n"
         "      --cgroup-manager string   Cgroup manager to use (\"cgroupfs\"|\"systemd\")\n"
         "  -h, --help                    Help for rcr\n"
         "      --log-level string        Log messages above specified level (error, warn, info, debug) (default "
         "\"warn\")\n"
         "      --root string             Path to the root directory in which data, including images, is stored\n"
         "      --runroot string          Path to the 'run directory' where all state information is stored\n"
         "      --storage-driver string   Select which storage driver is used to manage storage of images and "
         "containers (overlay, fuse-overlayfs, vfs)\n"
         "  -v, --version                 Version for rcr\n",
         out);
}

static const struct rcr_verb *
find_verb (const char *name)
{
  for (size_t i = 0; i < sizeof (verbs) / sizeof (verbs[0]); i++)
    if (strcmp (verbs[i]->name, name) == 0)
      return verbs[i];
  return NULL;
}

static int
main_usage_error (const char *fmt, ...)
{
  va_list ap;
  fputs ("Error: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs ("\nSee 'rcr --help'\n", stderr);
  return RCR_EXIT_FAILURE;
}

/* "--name value" or "--name=value"; returns 1 when argv[*i] is that flag. */
static int
take_value (const char *name, int argc, char **argv, int *i, const char **value, int *status)
{
  size_t len = strlen (name);
  const char *a = argv[*i];

  if (strncmp (a, name, len) != 0)
    return 0;
  if (a[len] == '=')
    {
      *value = a + len + 1;
      return 1;
    }
  if (a[len] != '\0')
    return 0;
  if (*i + 1 >= argc)
    {
      *status = main_usage_error ("flag needs an argument: %s", name);
      return 1;
    }
  *value = argv[++*i];
  return 1;
}

int
main (int argc, char **argv)
{
  struct rcr_context ctx = { 0 };
  const char *root = NULL, *runroot = NULL, *log_level = NULL;
  const struct rcr_verb *verb;
  rcr_error_t err = NULL;
  int i, status = 0, ret;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--") == 0)
        {
          i++;
          break;
        }
      if (strcmp (a, "-h") == 0 || strcmp (a, "--help") == 0)
        {
          print_main_help (stdout);
          return 0;
        }
      if (strcmp (a, "-v") == 0 || strcmp (a, "--version") == 0)
        {
          printf ("rcr version %s\n", RCR_VERSION);
          return 0;
        }
      if (take_value ("--root", argc, argv, &i, &root, &status)
          || take_value ("--runroot", argc, argv, &i, &runroot, &status)
          || take_value ("--log-level", argc, argv, &i, &log_level, &status)
          || take_value ("--storage-driver", argc, argv, &i, &ctx.storage_driver, &status)
          || take_value ("--cgroup-manager", argc, argv, &i, &ctx.cgroup_manager, &status))
        {
          if (status)
            return status;
          continue;
        }
      return main_usage_error ("unknown flag: %s", a);
    }

  if (log_level)
    {
      int lvl = rcr_log_level_parse (log_level);
      if (lvl < 0)
        return main_usage_error ("invalid log level \"%s\": use error, warn, info or debug", log_level);
      rcr_log_set_level ((enum rcr_log_level)lvl);
    }
  if (ctx.storage_driver && rcr_driver_validate (ctx.storage_driver, &err) < 0)
    return cmd_fail (&err);
  if (ctx.cgroup_manager && rcr_cgroup_manager_validate (ctx.cgroup_manager, &err) < 0)
    return cmd_fail (&err);
  if ((root && root[0] != '/') || (runroot && runroot[0] != '/'))
    return main_usage_error ("--root and --runroot need absolute paths");

  if (i >= argc)
    {
      print_main_help (stderr);
      fputs ("Error: missing command 'rcr COMMAND'\n", stderr);
      return RCR_EXIT_FAILURE;
    }
  if (strcmp (argv[i], "help") == 0)
    {
      if (i + 1 < argc && (verb = find_verb (argv[i + 1])) != NULL)
        return cmd_print_help (verb);
      print_main_help (stdout);
      return 0;
    }
  verb = find_verb (argv[i]);
  if (verb == NULL)
    {
      fprintf (stderr, "Error: unrecognized command `rcr %s`\nTry 'rcr --help' for more information\n", argv[i]);
      return RCR_EXIT_FAILURE;
    }

  /* exec enters a container: first make sure nothing in it can reach our binary on disk
     through /proc/PID/exe (CVE-2019-5736); this re-executes from a sealed memfd */
  if (verb == &rcr_verb_exec && rcr_reexec_sealed (argv, &err) < 0)
    return cmd_fail (&err);
  if (rcr_paths_init (&ctx.paths, root, runroot, &err) < 0)
    return cmd_fail (&err);
  rcr_spawn_set_argv_area (argv[0], (size_t)(argv[argc - 1] + strlen (argv[argc - 1]) - argv[0]));
  ret = verb->run (&ctx, verb, argc - i, argv + i);
  rcr_paths_clear (&ctx.paths);
  return ret;
}
