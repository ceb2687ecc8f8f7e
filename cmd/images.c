/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "storage/images.h"

enum
{
  OPT_ALL = 1,
  OPT_QUIET,
  OPT_FORMAT,
  OPT_DIGESTS,
  OPT_NO_TRUNC,
  OPT_FILTER,
  OPT_NOHEADING,
};

/* One row of `rcr images`: an image under one of its names. */
struct row
{
  json_object *img;
  char *repository;
  char *tag;
  int64_t created;
};

static void
split_name (const char *name, char **repo, char **tag)
{
  const char *slash = strrchr (name, '/'), *colon = strrchr (name, ':'), *at = strchr (name, '@');
  if (at)
    {
      /* pulled by digest: podman lists the repository with tag <none> */
      *repo = rcr_xstrndup (name, (size_t)(at - name));
      *tag = rcr_xstrdup ("<none>");
      return;
    }
  if (colon && (slash == NULL || colon > slash))
    {
      *repo = rcr_xstrndup (name, (size_t)(colon - name));
      *tag = rcr_xstrdup (colon + 1);
    }
  else
    {
      *repo = rcr_xstrdup (name);
      *tag = rcr_xstrdup ("<none>");
    }
}

static int
cmp_rows (const void *a, const void *b)
{
  const struct row *x = a, *y = b;
  if (x->created != y->created)
    return x->created > y->created ? -1 : 1;
  return strcmp (x->repository, y->repository);
}

/* --filter dangling=true|false and reference=PATTERN, as podman spells them. */
static int
filter_ok (const struct rcr_verb *verb, char **filters, size_t nf, json_object *img, const char *name, bool *keep)
{
  json_object *names = rcr_json_get_array (img, "names");
  bool dangling = names == NULL || json_object_array_length (names) == 0;

  *keep = true;
  for (size_t i = 0; i < nf; i++)
    {
      const char *f = filters[i], *eq = strchr (f, '=');
      if (eq == NULL)
        return cmd_usage_error (verb, "invalid filter \"%s\": expected KEY=VALUE", f);
      if (strncmp (f, "dangling=", 9) == 0)
        {
          int want = cmd_parse_bool (eq + 1);
          if (want < 0)
            return cmd_usage_error (verb, "invalid filter \"%s\": dangling takes true or false", f);
          if (dangling != (want == 1))
            *keep = false;
        }
      else if (strncmp (f, "reference=", 10) == 0)
        {
          const char *pat = eq + 1;
          bool match = false;
          if (name)
            {
              cleanup_free char *repo = NULL, *tag = NULL;
              split_name (name, &repo, &tag);
              const char *base = strrchr (repo, '/');
              /* "alpine", "library/alpine", "docker.io/library/alpine" all match */
              const char *no_domain = strchr (repo, '/') ? strchr (repo, '/') + 1 : repo;
              match = fnmatch (pat, name, 0) == 0 || fnmatch (pat, repo, 0) == 0 || fnmatch (pat, no_domain, 0) == 0
                      || (base && fnmatch (pat, base + 1, 0) == 0);
              if (!match && base)
                {
                  cleanup_free char *short_name = rcr_strdup_printf ("%s:%s", base + 1, tag);
                  match = fnmatch (pat, short_name, 0) == 0;
                }
            }
          if (!match)
            *keep = false;
        }
      else
        return cmd_usage_error (verb, "unsupported filter \"%s\" (supported: dangling=, reference=)", f);
    }
  return 0;
}

static json_object *
row_json (const struct row *r)
{
  json_object *o = json_object_new_object ();
  json_object *img = r->img;
  cleanup_free char *created_at = NULL;
  json_object *names = rcr_json_get_array (img, "names");
  json_object *digests = rcr_json_get_array (img, "repoDigests");
  int64_t size = rcr_json_get_int64 (img, "size", 0);

  json_object_object_add (o, "Id", json_object_new_string (rcr_json_get_string (img, "id", "")));
  json_object_object_add (o, "ParentId", json_object_new_string (""));
  {
    json_object *tags = json_object_new_array ();
    for (size_t i = 0; names && i < json_object_array_length (names); i++)
      if (strchr (json_object_get_string (json_object_array_get_idx (names, i)), '@') == NULL)
        json_object_array_add (tags, json_object_get (json_object_array_get_idx (names, i)));
    json_object_object_add (o, "RepoTags", tags);
  }
  json_object_object_add (o, "RepoDigests", digests ? json_object_get (digests) : json_object_new_array ());
  json_object_object_add (o, "Size", json_object_new_int64 (size));
  json_object_object_add (o, "SharedSize", json_object_new_int64 (0));
  json_object_object_add (o, "VirtualSize", json_object_new_int64 (size));
  json_object_object_add (o, "Labels", json_object_new_object ());
  json_object_object_add (o, "Containers", json_object_new_int (0));
  json_object_object_add (o, "Names", names ? json_object_get (names) : json_object_new_array ());
  json_object_object_add (o, "Digest", json_object_new_string (rcr_json_get_string (img, "manifestDigest", "")));
  json_object_object_add (o, "Created", json_object_new_int64 (r->created));
  created_at = rcr_strdup_printf ("%s", rcr_json_get_string (img, "created", ""));
  json_object_object_add (o, "CreatedAt", json_object_new_string (created_at));
  /* the fields podman's Go templates offer */
  json_object_object_add (o, "Repository", json_object_new_string (r->repository));
  json_object_object_add (o, "Tag", json_object_new_string (r->tag));
  json_object_object_add (o, "ID", json_object_new_string_len (rcr_json_get_string (img, "id", ""), 12));
  return o;
}

static int
run_images (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "all", 'a', false, OPT_ALL },
    { "quiet", 'q', false, OPT_QUIET },
    { "format", 0, true, OPT_FORMAT },
    { "digests", 0, false, OPT_DIGESTS },
    { "no-trunc", 0, false, OPT_NO_TRUNC },
    { "filter", 'f', true, OPT_FILTER },
    { "noheading", 'n', false, OPT_NOHEADING },
    { NULL, 0, false, 0 },
  };
  bool quiet = false, digests_col = false, no_trunc = false, heading = true;
  const char *format = NULL, *arg;
  cleanup_free char **filters = NULL;
  size_t nf = 0, nrows = 0;
  cleanup_json json_object *images = NULL;
  struct rcr_store *store = NULL;
  struct row *rows = NULL;
  rcr_error_t err = NULL;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case OPT_ALL:
        break; /* rcr stores no intermediate images: -a lists the same */
      case OPT_QUIET:
        quiet = true;
        break;
      case OPT_FORMAT:
        format = arg;
        break;
      case OPT_DIGESTS:
        digests_col = true;
        break;
      case OPT_NO_TRUNC:
        no_trunc = true;
        break;
      case OPT_NOHEADING:
        heading = false;
        break;
      case OPT_FILTER:
        filters = rcr_xrealloc (filters, (nf + 1) * sizeof (char *));
        filters[nf++] = (char *)arg;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (optind + 1 < argc)
    return cmd_usage_error (verb, "`rcr images` takes at most one image name");
  if (optind < argc)
    {
      filters = rcr_xrealloc (filters, (nf + 1) * sizeof (char *));
      filters[nf++] = rcr_strdup_printf ("reference=%s", argv[optind]);
    }

  {
    /* reject a bad filter even when there is nothing to filter */
    cleanup_json json_object *probe = json_object_new_object ();
    bool keep;
    if ((ret = filter_ok (verb, filters, nf, probe, "localhost/x:y", &keep)) != 0)
      goto out;
  }
  if (cmd_open_store (ctx, &store) != 0)
    return RCR_EXIT_FAILURE;
  if (rcr_images_list (store, &images, &err) < 0)
    {
      rcr_store_close (store);
      return cmd_fail (&err);
    }
  rcr_store_close (store);

  for (size_t i = 0; i < json_object_array_length (images); i++)
    {
      json_object *img = json_object_array_get_idx (images, i);
      json_object *names = rcr_json_get_array (img, "names");
      size_t nn = names ? json_object_array_length (names) : 0;
      int64_t created = cmd_parse_rfc3339 (rcr_json_get_string (img, "created", NULL));
      for (size_t k = 0; k < (nn ? nn : 1); k++)
        {
          const char *name = nn ? json_object_get_string (json_object_array_get_idx (names, k)) : NULL;
          bool keep;
          if ((ret = filter_ok (verb, filters, nf, img, name, &keep)) != 0)
            goto out;
          if (!keep)
            continue;
          rows = rcr_xrealloc (rows, (nrows + 1) * sizeof (*rows));
          rows[nrows].img = img;
          rows[nrows].created = created;
          if (name)
            split_name (name, &rows[nrows].repository, &rows[nrows].tag);
          else
            {
              rows[nrows].repository = rcr_xstrdup ("<none>");
              rows[nrows].tag = rcr_xstrdup ("<none>");
            }
          nrows++;
        }
    }
  if (nrows > 1)
    qsort (rows, nrows, sizeof (*rows), cmp_rows);

  if (quiet)
    {
      /* one id per image, in list order */
      for (size_t i = 0; i < nrows; i++)
        {
          bool seen = false;
          for (size_t k = 0; k < i; k++)
            seen = seen || rows[k].img == rows[i].img;
          if (!seen)
            printf ("%.*s\n", no_trunc ? 64 : 12, rcr_json_get_string (rows[i].img, "id", ""));
        }
    }
  else if (format && (strcasecmp (format, "json") == 0))
    {
      cleanup_json json_object *arr = json_object_new_array ();
      for (size_t i = 0; i < nrows; i++)
        {
          bool seen = false;
          for (size_t k = 0; k < i; k++)
            seen = seen || rows[k].img == rows[i].img;
          if (!seen)
            json_object_array_add (arr, row_json (&rows[i]));
        }
      cmd_print_json (arr);
    }
  else if (format)
    {
      static const char *const aliases[] = { "ID", "IMAGE ID", NULL };
      cleanup_json json_object *objs = json_object_new_array ();
      for (size_t i = 0; i < nrows; i++)
        json_object_array_add (objs, row_json (&rows[i]));
      if (rcr_has_prefix (format, "table "))
        ret = cmd_print_table_format (verb, format + 6, objs, aliases, heading);
      else
        for (size_t i = 0; i < nrows && ret == 0; i++)
          ret = cmd_print_formatted (verb, format, json_object_array_get_idx (objs, i));
    }
  else
    {
      static const char *const hdr[] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", NULL };
      static const char *const hdr_d[] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE", NULL };
      struct cmd_table t;
      cmd_table_init (&t, digests_col ? hdr_d : hdr);
      for (size_t i = 0; i < nrows; i++)
        {
          char **cells = rcr_xmalloc0 (t.ncols * sizeof (char *));
          size_t k = 0;
          const char *id = rcr_json_get_string (rows[i].img, "id", "");
          cells[k++] = rcr_xstrdup (rows[i].repository);
          cells[k++] = rcr_xstrdup (rows[i].tag);
          if (digests_col)
            cells[k++] = rcr_xstrdup (rcr_json_get_string (rows[i].img, "manifestDigest", ""));
          cells[k++] = no_trunc ? rcr_strdup_printf ("sha256:%s", id) : rcr_xstrndup (id, 12);
          cells[k++] = cmd_human_age (rows[i].created);
          cells[k++] = cmd_human_size (rcr_json_get_int64 (rows[i].img, "size", 0));
          cmd_table_add (&t, cells);
        }
      cmd_table_print (&t, heading);
      cmd_table_clear (&t);
    }
out:
  for (size_t i = 0; i < nrows; i++)
    {
      free (rows[i].repository);
      free (rows[i].tag);
    }
  free (rows);
  if (optind < argc && nf > 0)
    free (filters[nf - 1]);
  return ret;
}

const struct rcr_verb rcr_verb_images = {
  .name = "images",
  .summary = "List images in local storage",
  .usage = "  rcr images [options] [IMAGE]\n"
           "\n"
           "Options:\n"
           "  -a, --all             show all images (rcr keeps no intermediate images)\n"
           "      --digests         show digests\n"
           "  -f, --filter strings  filter output: dangling=true|false, reference=PATTERN\n"
           "      --format string   json, or a Go template over Repository, Tag, ID, Size, Digest, ...\n"
           "  -n, --noheading       do not print column headings\n"
           "      --no-trunc        do not truncate output\n"
           "  -q, --quiet           display only image IDs\n",
  .run = run_images,
};

/* ---- rmi ---- */

/* storage cannot see containers; the CLI asks the runtime for them */
static const struct rcr_context *in_use_ctx;

static bool
image_in_use (const char *id)
{
  return rcr_container_image_in_use (in_use_ctx, id);
}

static int
run_rmi (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "force", 'f', false, 1 },
    { "all", 'a', false, 2 },
    { "ignore", 'i', false, 3 },
    { NULL, 0, false, 0 },
  };
  bool force = false, all = false, ignore = false;
  cleanup_json json_object *untagged = json_object_new_array ();
  cleanup_json json_object *deleted = json_object_new_array ();
  cleanup_json json_object *targets = json_object_new_array ();
  struct rcr_store *store = NULL;
  const char *arg;
  int optind = 1, c, ret = 0;

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
        ignore = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (all && optind < argc)
    return cmd_usage_error (verb, "when using the --all switch, you may not pass any images names or IDs");
  if (!all && optind >= argc)
    return cmd_usage_error (verb, "image name or ID must be specified");
  if (cmd_open_store (ctx, &store) != 0)
    return RCR_EXIT_FAILURE;
  if (all)
    {
      cleanup_json json_object *images = NULL;
      rcr_error_t err = NULL;
      if (rcr_images_list (store, &images, &err) < 0)
        {
          rcr_store_close (store);
          return cmd_fail (&err);
        }
      for (size_t i = 0; i < json_object_array_length (images); i++)
        json_object_array_add (
            targets, json_object_new_string (rcr_json_get_string (json_object_array_get_idx (images, i), "id", "")));
      force = true; /* every name of every image goes */
    }
  else
    for (int i = optind; i < argc; i++)
      json_object_array_add (targets, json_object_new_string (argv[i]));

  for (size_t i = 0; i < json_object_array_length (targets); i++)
    {
      const char *t = json_object_get_string (json_object_array_get_idx (targets, i));
      rcr_error_t err = NULL;
      size_t u0 = json_object_array_length (untagged), d0 = json_object_array_length (deleted);
      in_use_ctx = ctx;
      if (rcr_images_remove (store, t, force, image_in_use, untagged, deleted, &err) < 0)
        {
          int status = err->status;
          if (status == RCR_IMAGE_NOT_KNOWN && ignore)
            {
              rcr_error_release (&err);
              continue;
            }
          fprintf (stderr, "Error: %s\n", err->msg);
          rcr_error_release (&err);
          /* podman: 1 when an image was not found, 2 when one is in use, 125 otherwise */
          if (status == RCR_IMAGE_NOT_KNOWN)
            ret = ret ? ret : 1;
          else if (status == RCR_IMAGE_IN_USE)
            ret = 2;
          else
            ret = RCR_EXIT_FAILURE;
          continue;
        }
      for (size_t k = u0; k < json_object_array_length (untagged); k++)
        printf ("Untagged: %s\n", json_object_get_string (json_object_array_get_idx (untagged, k)));
      for (size_t k = d0; k < json_object_array_length (deleted); k++)
        printf ("Deleted: %s\n", json_object_get_string (json_object_array_get_idx (deleted, k)));
    }
  rcr_store_close (store);
  return ret;
}

const struct rcr_verb rcr_verb_rmi = {
  .name = "rmi",
  .summary = "Remove one or more images from local storage",
  .usage = "  rcr rmi [options] IMAGE [IMAGE...]\n"
           "\n"
           "Removing a name an image has among others only untags it. Layers no image uses any\n"
           "more are deleted. Exit status: 1 when an image is not known, 2 when one is in use.\n"
           "\n"
           "Options:\n"
           "  -a, --all      remove all images\n"
           "  -f, --force    remove an image by ID even with several names, or in use\n"
           "  -i, --ignore   ignore errors if a specified image does not exist\n",
  .run = run_rmi,
};

/* ---- tag ---- */

static int
run_tag (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = { { NULL, 0, false, 0 } };
  struct rcr_store *store = NULL;
  rcr_error_t err = NULL;
  const char *arg;
  int optind = 1, c, ret = 0;

  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    if (c == 'h')
      return cmd_print_help (verb);
    else
      return RCR_EXIT_FAILURE;
  if (argc - optind < 2)
    return cmd_usage_error (verb, "`rcr tag` requires at least 2 arguments: IMAGE TARGET_NAME [TARGET_NAME...]");
  if (cmd_open_store (ctx, &store) != 0)
    return RCR_EXIT_FAILURE;
  if (rcr_images_tag (store, argv[optind], (const char *const *)&argv[optind + 1], &err) < 0)
    ret = cmd_fail (&err);
  rcr_store_close (store);
  return ret;
}

const struct rcr_verb rcr_verb_tag = {
  .name = "tag",
  .summary = "Add an additional name to a local image",
  .usage = "  rcr tag IMAGE TARGET_NAME[:TAG] [TARGET_NAME[:TAG]...]\n"
           "\n"
           "A target without a registry is stored as localhost/NAME, as podman does.\n",
  .run = run_tag,
};
