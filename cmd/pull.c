/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "storage/manifest.h"
#include "storage/pull.h"

enum
{
  OPT_QUIET = 1,
  OPT_PLATFORM,
  OPT_TLS_VERIFY,
  OPT_AUTHFILE,
  OPT_CREDS,
  OPT_ARCH,
  OPT_OS,
  OPT_VARIANT,
};

/* Podman prints one line per blob; on a terminal the lines show live progress. */
struct blob_line
{
  const char *kind;
  char *digest;
  int64_t size;
  int64_t received;
  const char *state;
  struct timespec started;
};

struct pull_ui
{
  bool quiet;
  bool tty;
  struct blob_line *lines;
  size_t n;
  size_t drawn;
  struct timespec last_draw;
};

static double
seconds_since (const struct timespec *t)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static struct blob_line *
find_line (struct pull_ui *ui, const char *digest)
{
  for (size_t i = 0; i < ui->n; i++)
    if (strcmp (ui->lines[i].digest, digest) == 0)
      return &ui->lines[i];
  return NULL;
}

static void
draw (struct pull_ui *ui, bool force)
{
  if (!force && ui->drawn > 0 && seconds_since (&ui->last_draw) < 0.1)
    return;
  clock_gettime (CLOCK_MONOTONIC, &ui->last_draw);
  if (ui->drawn > 0)
    fprintf (stderr, "\033[%zuA", ui->drawn);
  for (size_t i = 0; i < ui->n; i++)
    {
      struct blob_line *l = &ui->lines[i];
      cleanup_free char *got = cmd_human_size (l->received);
      cleanup_free char *total = cmd_human_size (l->size);
      fprintf (stderr, "\r\033[KCopying %s %.12s ", l->kind, l->digest + 7);
      if (strcmp (l->state, "copying") == 0)
        {
          double secs = seconds_since (&l->started);
          cleanup_free char *rate = cmd_human_size (secs > 0 ? (int64_t)((double)l->received / secs) : 0);
          int width = 30, fill = l->size > 0 ? (int)((double)l->received * width / (double)l->size) : 0;
          fprintf (stderr, "[%.*s%*s] %s / %s (%s/s)", fill, "==============================", width - fill, "", got,
                   total, rate);
        }
      else
        fputs (strcmp (l->state, "exists") == 0 ? "skipped: already exists" : "done", stderr);
      fputc ('\n', stderr);
    }
  ui->drawn = ui->n;
  fflush (stderr);
}

static void
on_trying (void *ctx, const char *reference)
{
  struct pull_ui *ui = ctx;
  if (!ui->quiet)
    fprintf (stderr, "Trying to pull %s...\n", reference);
}

static void
on_blob (void *ctx, const char *kind, const char *digest, int64_t size, const char *state)
{
  struct pull_ui *ui = ctx;
  struct blob_line *l;

  if (ui->quiet)
    return;
  /* the config arrives first and alone: podman prints it the same way */
  if (!ui->tty)
    {
      if (strcmp (state, "copying") != 0)
        fprintf (stderr, "Copying %s %.12s %s\n", kind, digest + 7,
                 strcmp (state, "exists") == 0 ? "skipped: already exists" : "done");
      return;
    }
  l = find_line (ui, digest);
  if (l == NULL)
    {
      ui->lines = rcr_xrealloc (ui->lines, (ui->n + 1) * sizeof (*ui->lines));
      l = &ui->lines[ui->n++];
      memset (l, 0, sizeof (*l));
      l->digest = rcr_xstrdup (digest);
      l->kind = kind;
      l->size = size;
      clock_gettime (CLOCK_MONOTONIC, &l->started);
    }
  l->state = state;
  if (strcmp (state, "copying") != 0)
    l->received = size;
  draw (ui, true);
}

static void
on_progress (void *ctx, struct rcr_blob_fetch *blob)
{
  struct pull_ui *ui = ctx;
  struct blob_line *l;
  if (ui->quiet || !ui->tty || (l = find_line (ui, blob->digest)) == NULL)
    return;
  l->received = blob->received;
  draw (ui, false);
}

static void
on_warning (void *ctx, const char *msg)
{
  (void)ctx;
  fprintf (stderr, "Warning: %s\n", msg);
}

static int
run_pull (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "quiet", 'q', false, OPT_QUIET },
    { "platform", 0, true, OPT_PLATFORM },
    { "tls-verify", 0, false, OPT_TLS_VERIFY },
    { "authfile", 0, true, OPT_AUTHFILE },
    { "creds", 0, true, OPT_CREDS },
    { "arch", 0, true, OPT_ARCH },
    { "os", 0, true, OPT_OS },
    { "variant", 0, true, OPT_VARIANT },
    { NULL, 0, false, 0 },
  };
  struct rcr_pull_opts po = { .tls_verify = -1 };
  bool quiet = false;
  const char *arg, *arch = NULL, *os = NULL, *variant = NULL;
  cleanup_free char *platform = NULL;
  struct rcr_store *store = NULL;
  rcr_error_t err = NULL;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case OPT_QUIET:
        quiet = true;
        break;
      case OPT_PLATFORM:
        platform = rcr_xstrdup (arg);
        break;
      case OPT_TLS_VERIFY:
        po.tls_verify = 1;
        break;
      case -OPT_TLS_VERIFY:
        po.tls_verify = 0;
        break;
      case OPT_AUTHFILE:
        po.authfile = arg;
        break;
      case OPT_CREDS:
        po.creds = arg;
        break;
      case OPT_ARCH:
        arch = arg;
        break;
      case OPT_OS:
        os = arg;
        break;
      case OPT_VARIANT:
        variant = arg;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind + 1 != argc)
    return cmd_usage_error (verb, "`rcr pull` requires exactly one image name");
  if (platform && (arch || os || variant))
    return cmd_usage_error (verb, "--platform cannot be used with --arch, --os or --variant");
  if (arch || os || variant)
    {
      struct rcr_platform host;
      rcr_platform_host (&host);
      platform = rcr_strdup_printf ("%s/%s%s%s", os ? os : host.os, arch ? arch : host.arch, variant ? "/" : "",
                                    variant ? variant : "");
      rcr_platform_clear (&host);
    }
  if (po.authfile && access (po.authfile, R_OK) < 0)
    {
      fprintf (stderr, "Error: credential file is not accessible: %s: %m\n", po.authfile);
      return RCR_EXIT_FAILURE;
    }
  po.platform = platform;

  if (cmd_open_store (ctx, &store) != 0)
    return RCR_EXIT_FAILURE;
  {
    cleanup_free char *id = NULL;
    if (cmd_pull_image (store, argv[optind], &po, quiet, &id, &err) < 0)
      ret = cmd_fail (&err);
    else
      printf ("%s\n", id);
  }
  rcr_store_close (store);
  return ret;
}

int
cmd_pull_image (struct rcr_store *store, const char *name, struct rcr_pull_opts *po, bool quiet, char **id,
                rcr_error_t *err)
{
  struct pull_ui ui = { .quiet = quiet, .tty = isatty (STDERR_FILENO) };
  struct rcr_pull_events ev
      = { .ctx = &ui, .trying = on_trying, .blob = on_blob, .progress = on_progress, .warning = on_warning };
  bool kept_local = false;
  int ret;

  po->events = &ev;
  if (po->newer_than)
    po->kept_local = &kept_local;
  ret = rcr_pull (store, name, po, id, err);
  po->kept_local = NULL;
  if (ret == 0 && !ui.quiet && !kept_local)
    fputs ("Writing manifest to image destination\n", stderr);
  for (size_t i = 0; i < ui.n; i++)
    free (ui.lines[i].digest);
  free (ui.lines);
  po->events = NULL;
  return ret;
}

const struct rcr_verb rcr_verb_pull = {
  .name = "pull",
  .summary = "Pull an image from a registry",
  .usage = "  rcr pull [options] IMAGE\n"
           "\n"
           "Pulls IMAGE (name[:tag] or name@digest) from a registry. Short names are resolved\n"
           "through registries.conf aliases and unqualified-search-registries; mirrors are tried\n"
           "before the origin. Every blob is verified against its digest before it is stored.\n"
           "\n"
           "Options:\n"
           "      --arch string       use ARCH instead of the architecture of the machine\n"
           "      --authfile string   path of the authentication file\n"
           "      --creds string      [username[:password]] for accessing the registry\n"
           "      --os string         use OS instead of the running OS\n"
           "      --platform string   specify the platform for selecting the image (os/arch[/variant])\n"
           "  -q, --quiet             suppress output information when pulling images\n"
           "      --tls-verify        require HTTPS and verify certificates (default true;\n"
           "                          --tls-verify=false allows plain http)\n"
           "      --variant string    use VARIANT instead of the running architecture variant\n",
  .run = run_pull,
};
