/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "storage/registries.h"
#include "tap.h"

static char tmp_root[] = "/tmp/rcr-test-registries-XXXXXX";
static int case_no;

/* Each case gets its own directory: DIR/etc/containers/... and DIR/home/.config/containers/... */
struct fixture
{
  char *dir;
  char *system_file, *system_dir, *user_file, *user_dir;
  struct rcr_registries_paths paths;
};

static void
fixture_init (struct fixture *f)
{
  f->dir = rcr_strdup_printf ("%s/case%d", tmp_root, ++case_no);
  f->system_file = rcr_strdup_printf ("%s/etc/containers/registries.conf", f->dir);
  f->system_dir = rcr_strdup_printf ("%s/etc/containers/registries.conf.d", f->dir);
  f->user_file = rcr_strdup_printf ("%s/home/.config/containers/registries.conf", f->dir);
  f->user_dir = rcr_strdup_printf ("%s/home/.config/containers/registries.conf.d", f->dir);
  f->paths = (struct rcr_registries_paths){
    .system_file = f->system_file, .system_dir = f->system_dir, .user_file = f->user_file, .user_dir = f->user_dir
  };
}

static void
fixture_clear (struct fixture *f)
{
  free (f->dir);
  free (f->system_file);
  free (f->system_dir);
  free (f->user_file);
  free (f->user_dir);
}
#define cleanup_fixture __attribute__ ((cleanup (fixture_clear)))

static void
write_file (const char *path, const char *content)
{
  cleanup_free char *copy = rcr_xstrdup (path);
  rcr_error_t err = NULL;
  FILE *f;

  if (rcr_mkdir_p (dirname (copy), 0700, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      rcr_error_release (&err);
      abort ();
    }
  f = fopen (path, "we");
  if (f == NULL)
    abort ();
  fputs (content, f);
  fclose (f);
}

static struct rcr_registries *
load_ok (const struct rcr_registries_paths *paths, const char *what)
{
  struct rcr_registries *regs = NULL;
  rcr_error_t err = NULL;
  int r = rcr_registries_load (paths, &regs, &err);

  tap_ok (r == 0 && regs != NULL, "%s: loads", what);
  if (err)
    printf ("#   error: %s\n", err->msg);
  rcr_error_release (&err);
  return regs;
}

/* Loading must fail with "\"FILE\" line LINE: MSG" (line 0: no line part). */
static void
load_fails (const struct rcr_registries_paths *paths, const char *file, int line, const char *msg, const char *what)
{
  struct rcr_registries *regs = NULL;
  rcr_error_t err = NULL;
  int r = rcr_registries_load (paths, &regs, &err);
  cleanup_free char *want = line > 0 ? rcr_strdup_printf ("\"%s\" line %d: %s", file, line, msg)
                                     : rcr_strdup_printf ("\"%s\": %s", file, msg);

  tap_ok (r < 0 && regs == NULL, "%s: rejected", what);
  tap_is_str (err ? err->msg : NULL, want, "%s: message", what);
  rcr_registries_free (regs);
  rcr_error_release (&err);
}

/* The pull sources as one string: "ref (location, insecure, mirror) | ...". */
static char *
sources_string (const struct rcr_registries *regs, const char *ref)
{
  cleanup_pull_sources struct rcr_pull_source *v = NULL;
  rcr_error_t err = NULL;
  size_t n = 0;
  char *s = rcr_xstrdup ("");

  if (rcr_registries_pull_sources (regs, ref, &v, &n, &err) < 0)
    {
      free (s);
      s = rcr_strdup_printf ("error: %s", err->msg);
      rcr_error_release (&err);
      return s;
    }
  size_t count = 0;
  for (size_t i = 0; v[i].reference; i++, count++)
    {
      char *next = rcr_strdup_printf ("%s%s%s (%s%s%s)", s, i ? " | " : "", v[i].reference, v[i].location,
                                      v[i].insecure ? ", insecure" : "", v[i].mirror ? ", mirror" : "");
      free (s);
      s = next;
    }
  if (count != n)
    {
      char *next = rcr_strdup_printf ("%s [n_out %zu, entries %zu]", s, n, count);
      free (s);
      s = next;
    }
  return s;
}

static void
is_sources (const struct rcr_registries *regs, const char *ref, const char *want, const char *what)
{
  cleanup_free char *got = sources_string (regs, ref);
  tap_is_str (got, want, "%s", what);
}

static const char *
found_prefix (const struct rcr_registries *regs, const char *ref)
{
  const struct rcr_registry *r = rcr_registries_find (regs, ref);
  return r ? r->prefix : NULL;
}

static void
test_podman_user_file (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;

  fixture_init (&f);
  write_file (f.user_file, "unqualified-search-registries = [\"docker.io\"]\n"
                           "[[registry]]\n"
                           "prefix = \"docker.io\"\n"
                           "location = \"registry-1.docker.io\"\n"
                           "[[registry.mirror]]\n"
                           "location = \"127.0.0.1:5000\"\n"
                           "insecure = true\n");
  regs = load_ok (&f.paths, "a podman user's registries.conf");
  if (regs == NULL)
    return;
  tap_is_int (rcr_strv_len (regs->search), 1, "one search registry");
  tap_is_str (regs->search[0], "docker.io", "search registry");
  tap_is_str (regs->search_origin, f.user_file, "search origin is the user file");
  tap_is_int (regs->n_registries, 1, "one [[registry]]");
  tap_is_int (regs->registries[0].n_mirrors, 1, "one mirror");
  tap_ok (regs->registries[0].mirrors[0].insecure && !regs->registries[0].insecure, "mirror insecure, primary not");
  tap_is_int (regs->registries[0].line, 2, "registry line recorded");
  tap_is_int (regs->short_name_mode, RCR_SHORT_NAME_MODE_PERMISSIVE, "short-name-mode defaults to permissive");
  tap_is_str (regs->credential_helpers[0], "containers-auth.json", "default credential helper");
  is_sources (regs, "docker.io/library/alpine:latest",
              "127.0.0.1:5000/library/alpine:latest (127.0.0.1:5000, insecure, mirror) | "
              "registry-1.docker.io/library/alpine:latest (registry-1.docker.io)",
              "mirror first (insecure), then the primary location, both rewritten");
  is_sources (regs, "quay.io/podman/stable:latest", "quay.io/podman/stable:latest (quay.io)",
              "an unmatched registry gives the reference unchanged");
  rcr_registries_free (regs);
}

static void
test_prefix_rewriting (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;

  fixture_init (&f);
  write_file (f.system_file, "[[registry]]\n"
                             "prefix = \"docker.io\"\n"
                             "location = \"127.0.0.1:5000\"\n"
                             "insecure = true\n"
                             "[[registry.mirror]]\n"
                             "location = \"mirror.local/dockerhub/\"\n"
                             "[[registry.mirror]]\n"
                             "location = \"second.local:8443\"\n"
                             "insecure = true\n"
                             "\n"
                             "[[registry]]\n"
                             "prefix = \"example.com/foo\"\n"
                             "location = \"internal-registry.example.net/bar\"\n");
  regs = load_ok (&f.paths, "prefix rewriting");
  if (regs == NULL)
    return;
  is_sources (regs, "docker.io/library/alpine:latest",
              "mirror.local/dockerhub/library/alpine:latest (mirror.local/dockerhub, mirror) | "
              "second.local:8443/library/alpine:latest (second.local:8443, insecure, mirror) | "
              "127.0.0.1:5000/library/alpine:latest (127.0.0.1:5000, insecure)",
              "mirrors in file order (trailing '/' trimmed), then the location replacing the prefix");
  is_sources (regs, "example.com/foo/myimage:1.0",
              "internal-registry.example.net/bar/myimage:1.0 (internal-registry.example.net/bar)",
              "namespace prefix rewritten to another namespace");
  is_sources (regs, "example.com/foobar/myimage:1.0", "example.com/foobar/myimage:1.0 (example.com)",
              "a prefix only matches at a '/' boundary");
  is_sources (
      regs, "example.com/foo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "internal-registry.example.net/bar@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef "
      "(internal-registry.example.net/bar)",
      "a prefix matches at an '@' boundary");
  rcr_registries_free (regs);
}

static void
test_longest_prefix_and_wildcards (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;

  fixture_init (&f);
  write_file (f.system_file, "[[registry]]\nlocation = \"example.com\"\n"
                             "[[registry]]\nprefix = \"example.com/team\"\nlocation = \"team-mirror.local/t\"\n"
                             "[[registry]]\nprefix = \"example.com/team/app\"\nlocation = \"app.local\"\n"
                             "[[registry]]\nprefix = \"*.corp.example\"\n"
                             "[[registry]]\nprefix = \"*.cdn.example\"\nlocation = \"cdn-cache.local\"\n"
                             "[[registry]]\nprefix = \"eu.cdn.example/special\"\nlocation = \"special.local\"\n");
  regs = load_ok (&f.paths, "longest prefix and wildcards");
  if (regs == NULL)
    return;
  tap_is_str (found_prefix (regs, "example.com/other/x"), "example.com", "short prefix");
  tap_is_str (found_prefix (regs, "example.com/team/x"), "example.com/team", "longer prefix wins");
  tap_is_str (found_prefix (regs, "example.com/team/app"), "example.com/team/app", "longest prefix wins");
  tap_is_str (found_prefix (regs, "example.com/team/application"), "example.com/team",
              "no match inside a path component");
  tap_is_str (found_prefix (regs, "example.com"), "example.com", "exact match");
  tap_is_str (found_prefix (regs, "example.community/x"), NULL, "no match inside a host name");
  tap_is_str (found_prefix (regs, "registry.corp.example/ns/img"), "*.corp.example", "wildcard matches a subdomain");
  tap_is_str (found_prefix (regs, "a.b.corp.example:5000/img"), "*.corp.example",
              "wildcard matches a deeper subdomain with a port");
  tap_is_str (found_prefix (regs, "corp.example/img"), NULL, "wildcard does not match the bare domain");
  tap_is_str (found_prefix (regs, "evil.com/x.corp.example/img"), NULL, "wildcard only matches in the host part");
  tap_is_str (found_prefix (regs, "eu.cdn.example/special/img"), "eu.cdn.example/special",
              "a longer plain prefix beats a wildcard");
  is_sources (regs, "registry.corp.example/ns/img:2", "registry.corp.example/ns/img:2 (registry.corp.example)",
              "wildcard without location keeps the reference");
  is_sources (regs, "eu.cdn.example/ns/img:2", "cdn-cache.local/ns/img:2 (cdn-cache.local)",
              "wildcard with a location replaces the whole host");
  is_sources (regs, "example.com/team/app:3", "app.local:3 (app.local)", "prefix equal to the repository");
  tap_is_str (regs->registries[0].prefix, "*.cdn.example", "registries sorted by prefix");
  rcr_registries_free (regs);
}

static void
test_blocked_and_insecure (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;
  cleanup_free char *want = NULL;

  fixture_init (&f);
  write_file (f.system_file, "# blocked registries\n"
                             "[[registry]]\n"
                             "location = \"docker.io\"\n"
                             "blocked = true\n"
                             "[[registry]]\n"
                             "location = \"localhost:5000\"\n"
                             "insecure = true\n");
  regs = load_ok (&f.paths, "blocked and insecure");
  if (regs == NULL)
    return;
  want = rcr_strdup_printf ("error: registry docker.io is blocked in \"%s\" line 2", f.system_file);
  is_sources (regs, "docker.io/library/alpine:latest", want, "a blocked registry fails with file and line");
  is_sources (regs, "localhost:5000/app:1", "localhost:5000/app:1 (localhost:5000, insecure)", "insecure primary");
  rcr_registries_free (regs);
}

static void
test_digest_only_mirrors (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;

  fixture_init (&f);
  write_file (f.system_file, "[[registry]]\nlocation = \"quay.io\"\n"
                             "[[registry.mirror]]\nlocation = \"digests.local\"\npull-from-mirror = \"digest-only\"\n"
                             "[[registry.mirror]]\nlocation = \"tags.local\"\npull-from-mirror = \"tag-only\"\n"
                             "[[registry.mirror]]\nlocation = \"all.local\"\n"
                             "[[registry]]\nlocation = \"gcr.io\"\nmirror-by-digest-only = true\n"
                             "[[registry.mirror]]\nlocation = \"gcr-mirror.local\"\n");
  regs = load_ok (&f.paths, "pull-from-mirror");
  if (regs == NULL)
    return;
  is_sources (regs, "quay.io/a/b:1",
              "tags.local/a/b:1 (tags.local, mirror) | all.local/a/b:1 (all.local, mirror) | quay.io/a/b:1 (quay.io)",
              "tag pull skips digest-only mirrors");
  is_sources (regs, "quay.io/a/b@sha256:aa",
              "digests.local/a/b@sha256:aa (digests.local, mirror) | all.local/a/b@sha256:aa (all.local, mirror) | "
              "quay.io/a/b@sha256:aa (quay.io)",
              "digest pull skips tag-only mirrors");
  is_sources (regs, "gcr.io/x/y:1", "gcr.io/x/y:1 (gcr.io)", "mirror-by-digest-only: no mirror for tags");
  is_sources (regs, "gcr.io/x/y@sha256:bb",
              "gcr-mirror.local/x/y@sha256:bb (gcr-mirror.local, mirror) | gcr.io/x/y@sha256:bb (gcr.io)",
              "mirror-by-digest-only: mirror for digests");
  rcr_registries_free (regs);
}

static void
test_aliases (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;
  const struct rcr_registry_alias *a;

  fixture_init (&f);
  write_file (f.system_file, "short-name-mode = \"enforcing\"\n"
                             "[aliases]\n"
                             "  \"alpine\" = \"docker.io/library/alpine\"\n"
                             "  \"busybox\" = \"docker.io/busybox\"\n"
                             "  \"rhel/toolbox\" = \"registry.access.redhat.com/ubi8/toolbox\"\n"
                             "  \"local\" = \"localhost:5000/my/app\"\n");
  regs = load_ok (&f.paths, "aliases");
  if (regs == NULL)
    return;
  a = rcr_registries_find_alias (regs, "alpine");
  tap_is_str (a ? a->value : NULL, "docker.io/library/alpine", "alias lookup");
  tap_is_int (a ? a->line : 0, 3, "alias line");
  tap_is_str (a ? a->file : NULL, f.system_file, "alias file");
  a = rcr_registries_find_alias (regs, "busybox");
  tap_is_str (a ? a->value : NULL, "docker.io/library/busybox", "docker.io alias normalised with library/");
  a = rcr_registries_find_alias (regs, "rhel/toolbox");
  tap_is_str (a ? a->value : NULL, "registry.access.redhat.com/ubi8/toolbox", "short name with a namespace");
  a = rcr_registries_find_alias (regs, "local");
  tap_is_str (a ? a->value : NULL, "localhost:5000/my/app", "localhost alias");
  tap_ok (rcr_registries_find_alias (regs, "fedora") == NULL, "unknown alias");
  tap_is_int (regs->short_name_mode, RCR_SHORT_NAME_MODE_ENFORCING, "short-name-mode enforcing");
  tap_is_str (rcr_registries_short_name_mode_name (regs->short_name_mode), "enforcing", "short-name-mode name");
  rcr_registries_free (regs);

  write_file (f.system_file, "[aliases]\n\"alpine\" = \"docker.io/library/alpine:latest\"\n");
  load_fails (&f.paths, f.system_file, 2,
              "invalid alias \"alpine\" = \"docker.io/library/alpine:latest\": must not contain a tag",
              "alias with a tag");
  write_file (f.system_file, "[aliases]\n\"alpine\" = \"library/alpine\"\n");
  load_fails (&f.paths, f.system_file, 2,
              "invalid alias \"alpine\" = \"library/alpine\": must contain a registry and a repository, e.g. "
              "\"docker.io/library/alpine\"",
              "alias without a registry");
  write_file (f.system_file, "[aliases]\n\n\"quay.io/x\" = \"quay.io/x/y\"\n");
  load_fails (&f.paths, f.system_file, 3, "invalid short name \"quay.io/x\" in [aliases]: must not contain a registry",
              "short name with a registry");
}

static void
test_user_file_precedence (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;
  cleanup_free char *user_dropin = NULL, *system_dropin = NULL;

  fixture_init (&f);
  system_dropin = rcr_strdup_printf ("%s/50-system.conf", f.system_dir);
  user_dropin = rcr_strdup_printf ("%s/50-user.conf", f.user_dir);
  write_file (f.system_file, "unqualified-search-registries = [\"system.example\"]\n"
                             "[[registry]]\nlocation = \"system-only.example\"\n");
  write_file (system_dropin, "short-name-mode = \"disabled\"\n");
  write_file (user_dropin, "[[registry]]\nlocation = \"user-dropin.example\"\n");

  regs = load_ok (&f.paths, "without a user file");
  if (regs)
    {
      tap_is_str (regs->search[0], "system.example", "system file read");
      tap_is_int (regs->short_name_mode, RCR_SHORT_NAME_MODE_DISABLED, "system drop-in read");
      tap_is_int (regs->n_registries, 2, "user drop-ins are read after the system ones");
      tap_is_int (rcr_strv_len (regs->files), 3, "three files read");
      rcr_registries_free (regs);
    }

  write_file (f.user_file, "unqualified-search-registries = [\"user.example\", \"docker.io\"]\n");
  regs = load_ok (&f.paths, "with a user file");
  if (regs)
    {
      tap_is_str (regs->search[0], "user.example", "the user file replaces the system file");
      tap_is_int (regs->short_name_mode, RCR_SHORT_NAME_MODE_PERMISSIVE, "system drop-ins are not read");
      tap_is_int (regs->n_registries, 1, "only the user drop-in's registry");
      tap_is_str (regs->n_registries ? regs->registries[0].prefix : NULL, "user-dropin.example", "user drop-in read");
      tap_is_int (rcr_strv_len (regs->files), 2, "user file and user drop-in read");
      tap_is_str (regs->files[0], f.user_file, "user file first");
      rcr_registries_free (regs);
    }
}

static void
test_drop_ins (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;
  cleanup_free char *d10 = NULL, *d20 = NULL, *txt = NULL, *sub = NULL;
  const struct rcr_registry *r;

  fixture_init (&f);
  d10 = rcr_strdup_printf ("%s/10-mirror.conf", f.system_dir);
  d20 = rcr_strdup_printf ("%s/20-override.conf", f.system_dir);
  txt = rcr_strdup_printf ("%s/30-ignored.conf.txt", f.system_dir);
  sub = rcr_strdup_printf ("%s/40-dir.conf/inner.conf", f.system_dir);
  write_file (f.system_file, "unqualified-search-registries = [\"a.example\"]\n"
                             "short-name-mode = \"enforcing\"\n"
                             "[[registry]]\nprefix = \"docker.io\"\nlocation = \"registry-1.docker.io\"\n"
                             "[[registry.mirror]]\nlocation = \"old-mirror.local\"\n"
                             "[[registry]]\nlocation = \"quay.io\"\n"
                             "[aliases]\n\"alpine\" = \"docker.io/library/alpine\"\n\"fedora\" = "
                             "\"registry.fedoraproject.org/fedora\"\n");
  /* 20 is written first: the order must come from the names, not from the directory. */
  write_file (d20, "unqualified-search-registries = [\"c.example\"]\n"
                   "[aliases]\n\"fedora\" = \"\"\n\"alpine\" = \"quay.io/libpod/alpine\"\n");
  write_file (d10, "unqualified-search-registries = [\"b.example\"]\n"
                   "[[registry]]\nprefix = \"docker.io\"\nlocation = \"registry-1.docker.io\"\n"
                   "[[registry.mirror]]\nlocation = \"new-mirror.local\"\ninsecure = true\n");
  write_file (txt, "this is not TOML at all");
  write_file (sub, "neither is this");

  regs = load_ok (&f.paths, "drop-ins");
  if (regs == NULL)
    return;
  tap_is_str (regs->search[0], "c.example", "the last drop-in setting search wins");
  tap_is_str (regs->search_origin, d20, "search origin is that drop-in");
  tap_is_int (regs->short_name_mode, RCR_SHORT_NAME_MODE_ENFORCING, "a key no drop-in sets is kept");
  r = rcr_registries_find (regs, "docker.io/library/alpine");
  tap_ok (r && r->n_mirrors == 1 && strcmp (r->mirrors[0].location, "new-mirror.local") == 0,
          "a drop-in replaces the whole [[registry]] with the same prefix");
  tap_is_str (r ? r->file : NULL, d10, "and the entry names the drop-in");
  tap_is_str (found_prefix (regs, "quay.io/x/y"), "quay.io", "other registries are kept");
  tap_is_str (rcr_registries_find_alias (regs, "alpine") ? rcr_registries_find_alias (regs, "alpine")->value : NULL,
              "quay.io/libpod/alpine", "a drop-in overrides one alias");
  tap_ok (rcr_registries_find_alias (regs, "fedora") == NULL, "an empty alias value removes it");
  tap_is_int (rcr_strv_len (regs->files), 3, "*.conf files only, no directories");
  tap_is_str (regs->files[1], d10, "drop-ins in name order");
  rcr_registries_free (regs);

  write_file (d10, "[registries.search]\nregistries = [\"x.example\"]\n");
  load_fails (&f.paths, d10, 0,
              "drop-in files must use the version 2 format (unqualified-search-registries = [...], [[registry]]) "
              "instead of [registries.search], [registries.insecure] or [registries.block]; see "
              "containers-registries.conf(5)",
              "version 1 drop-in");
}

static void
test_missing_files (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs = NULL;
  rcr_error_t err = NULL;
  cleanup_free char *override = NULL;

  fixture_init (&f);
  regs = load_ok (&f.paths, "no files at all");
  if (regs)
    {
      tap_ok (regs->search && regs->search[0] == NULL, "empty search list");
      tap_ok (regs->search_origin == NULL, "no search origin");
      tap_is_int (regs->n_registries + regs->n_aliases, 0, "no registries, no aliases");
      tap_is_int (rcr_strv_len (regs->files), 0, "no files read");
      is_sources (regs, "docker.io/library/alpine:latest", "docker.io/library/alpine:latest (docker.io)",
                  "pull from the named registry");
      rcr_registries_free (regs);
      regs = NULL;
    }

  override = rcr_strdup_printf ("%s/override.conf", f.dir);
  f.paths.override_file = override;
  tap_ok (rcr_registries_load (&f.paths, &regs, &err) < 0 && err && err->status == ENOENT,
          "a missing CONTAINERS_REGISTRIES_CONF file is an error");
  rcr_error_release (&err);
  write_file (override, "unqualified-search-registries = [\"override.example\"]\n");
  write_file (f.user_file, "unqualified-search-registries = [\"user.example\"]\n");
  regs = load_ok (&f.paths, "override file");
  tap_is_str (regs ? regs->search[0] : NULL, "override.example", "the override file beats the user file");
  rcr_registries_free (regs);
}

static void
test_version1 (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;

  fixture_init (&f);
  write_file (f.system_file, "[registries.search]\nregistries = ['registry1.com', 'docker.io']\n"
                             "[registries.insecure]\nregistries = ['registry3.com/']\n"
                             "[registries.block]\nregistries = ['registry.untrusted.com', 'registry3.com']\n");
  regs = load_ok (&f.paths, "version 1 file");
  if (regs)
    {
      const struct rcr_registry *r = rcr_registries_find (regs, "registry3.com/a/b");
      tap_is_int (rcr_strv_len (regs->search), 2, "v1 search list");
      tap_ok (r && r->insecure && r->blocked, "a v1 registry both insecure and blocked");
      tap_ok (rcr_registries_find (regs, "registry.untrusted.com/x")
                  && rcr_registries_find (regs, "registry.untrusted.com/x")->blocked,
              "v1 block list");
      rcr_registries_free (regs);
    }
  write_file (f.system_file, "unqualified-search-registries = [\"docker.io\"]\n"
                             "[registries.search]\nregistries = ['registry1.com']\n");
  load_fails (&f.paths, f.system_file, 0,
              "mixing the version 1 format ([registries.search], [registries.insecure], [registries.block]) with "
              "version 2 settings is not supported; convert the file to version 2 (unqualified-search-registries = "
              "[...], [[registry]]), see containers-registries.conf(5)",
              "v1 and v2 mixed");
}

static void
test_errors (void)
{
  cleanup_fixture struct fixture f;

  fixture_init (&f);
  write_file (f.system_file, "[[registry]]\nlocation = \"a.example\"\n\ninsecure = \"yes\"\n");
  load_fails (&f.paths, f.system_file, 4, "'insecure' must be true or false", "wrong type");
  write_file (f.system_file, "[[registry]]\nlocation = \"a.example\"\n[[registry]]\ninsecure = true\n");
  load_fails (&f.paths, f.system_file, 3, "[[registry]] needs a location (or a prefix of the form *.example.com)",
              "registry without location");
  write_file (f.system_file, "[[registry]]\nprefix = \"a.example/ns\"\n");
  load_fails (&f.paths, f.system_file, 1,
              "[[registry]] with prefix \"a.example/ns\" has no location; only a prefix of the form *.example.com "
              "may omit it",
              "prefix without location");
  write_file (f.system_file, "[[registry]]\nlocation = \"https://a.example/\"\n");
  load_fails (&f.paths, f.system_file, 1,
              "invalid location \"https://a.example/\": URI schemes are not supported; write \"a.example\"",
              "URL as location");
  write_file (f.system_file, "[[registry]]\nprefix = \"*.example.com:5000\"\n");
  load_fails (&f.paths, f.system_file, 1,
              "wildcard prefix \"*.example.com:5000\" must have the form *.example.com (no port, path, tag or digest)",
              "wildcard with a port");
  write_file (f.system_file, "short-name-mode = \"strict\"\n");
  load_fails (&f.paths, f.system_file, 1,
              "invalid short-name-mode \"strict\": use \"enforcing\", \"permissive\" or \"disabled\"",
              "invalid short-name-mode");
  write_file (f.system_file, "[registry]\nlocation = \"a.example\"\n");
  load_fails (&f.paths, f.system_file, 1, "[registry] must be written [[registry]] (an array of tables)",
              "[registry] instead of [[registry]]");
  write_file (f.system_file, "unqualified-search-registries = [\"docker.io/library\"]\n");
  load_fails (&f.paths, f.system_file, 1,
              "invalid unqualified-search-registries entry \"docker.io/library\": expected a host[:port] such as "
              "\"docker.io\"",
              "search entry with a path");
  write_file (f.system_file, "[[registry]]\nlocation = \"a.example\"\n"
                             "[[registry]]\nprefix = \"b.example\"\nlocation = \"a.example\"\ninsecure = true\n");
  load_fails (&f.paths, f.system_file, 3,
              "registry \"a.example\" is defined multiple times with conflicting 'insecure' settings (see line 1)",
              "conflicting insecure settings");
  write_file (f.system_file, "[[registry]]\nlocation = \"a.example\"\n[[registry.mirror]]\ninsecure = true\n");
  load_fails (&f.paths, f.system_file, 3, "[[registry.mirror]] has no location", "mirror without location");
  write_file (f.system_file, "[[registry]]\nlocation = \"a.example\"\nmirror-by-digest-only = true\n"
                             "[[registry.mirror]]\nlocation = \"m.example\"\npull-from-mirror = \"tag-only\"\n");
  load_fails (&f.paths, f.system_file, 4,
              "cannot use both mirror-by-digest-only for registry \"a.example\" and pull-from-mirror for its mirror "
              "\"m.example\"",
              "mirror-by-digest-only with pull-from-mirror");
  write_file (f.system_file, "[[registry]]\nlocation = 'a.example'\n[[registry.mirror]]\nlocation = \"m\"\n"
                             "pull-from-mirror = \"sometimes\"\n");
  load_fails (&f.paths, f.system_file, 5,
              "unsupported pull-from-mirror value \"sometimes\": use \"all\", \"digest-only\" or \"tag-only\"",
              "bad pull-from-mirror");
  write_file (f.system_file, "unqualified-search-registries = \"docker.io\"\n");
  load_fails (&f.paths, f.system_file, 1,
              "'unqualified-search-registries' must be an array of strings, e.g. [\"docker.io\"]",
              "search as a string");
  write_file (f.system_file, "[[registry]]\nlocation = \"a.example\"\nlocation = \"b.example\"\n");
  load_fails (&f.paths, f.system_file, 3, "duplicate key 'location' (first defined on line 2)",
              "TOML errors come through with file and line");
}

static void
test_same_prefix_first_wins (void)
{
  cleanup_fixture struct fixture f;
  struct rcr_registries *regs;
  const struct rcr_registry *r;

  fixture_init (&f);
  write_file (f.system_file, "[[registry]]\nprefix = \"docker.io\"\nlocation = \"first.example\"\n"
                             "[[registry]]\nprefix = \"docker.io\"\nlocation = \"second.example\"\n"
                             "unknown-key = 1\n");
  regs = load_ok (&f.paths, "same prefix twice in one file");
  if (regs == NULL)
    return;
  r = rcr_registries_find (regs, "docker.io/library/alpine");
  tap_is_int (regs->n_registries, 1, "only one entry kept");
  tap_is_str (r ? r->location : NULL, "first.example", "the first entry wins (unknown keys ignored)");
  rcr_registries_free (regs);
}

int
main (void)
{
  rcr_error_t err = NULL;

  if (mkdtemp (tmp_root) == NULL)
    {
      printf ("not ok 1 - mkdtemp: %s\n1..1\n", strerror (errno));
      return 1;
    }
  test_podman_user_file ();
  test_prefix_rewriting ();
  test_longest_prefix_and_wildcards ();
  test_blocked_and_insecure ();
  test_digest_only_mirrors ();
  test_aliases ();
  test_user_file_precedence ();
  test_drop_ins ();
  test_missing_files ();
  test_version1 ();
  test_errors ();
  test_same_prefix_first_wins ();
  if (rcr_rm_rf (tmp_root, &err) < 0)
    rcr_error_release (&err);
  return tap_done ();
}
