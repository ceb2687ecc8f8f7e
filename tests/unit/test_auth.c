/* SPDX-License-Identifier: Apache-2.0 */
/* Every file lives in a temporary directory: HOME, XDG_* and DOCKER_CONFIG point there,
   so the user's real credentials are never read or written. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/util.h"
#include "storage/auth.h"
#include "tap.h"

static char *tmp;      /* the temporary directory */
static char *run_file; /* $XDG_RUNTIME_DIR/containers/auth.json */
static char *cfg_file; /* $XDG_CONFIG_HOME/containers/auth.json */
static char *docker_file;
static char *dockercfg_file;

static void
put_file (const char *path, const char *text, mode_t mode)
{
  cleanup_free char *dir = rcr_xstrdup (path);
  rcr_error_t err = NULL;

  *strrchr (dir, '/') = '\0';
  if (rcr_mkdir_p (dir, 0700, &err) < 0 || rcr_write_file_atomic (path, text, strlen (text), mode, &err) < 0)
    {
      printf ("Bail out! %s\n", err->msg);
      exit (1);
    }
}

static void
clear_files (void)
{
  unlink (run_file);
  unlink (cfg_file);
  unlink (docker_file);
  unlink (dockercfg_file);
}

static mode_t
file_mode (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* Looks up and compares; want_user NULL means "nothing found". */
static void
lookup_is (const char *authfile, const char *host, const char *repo, const char *want_user, const char *want_pass,
           const char *want_source, const char *desc)
{
  cleanup_free char *user = NULL;
  cleanup_free char *pass = NULL;
  cleanup_free char *source = NULL;
  rcr_error_t err = NULL;
  int r = rcr_auth_lookup (authfile, host, repo, &user, &pass, &source, &err);
  bool ok = r == 0;

  ok = ok && ((user == NULL && want_user == NULL) || (user && want_user && strcmp (user, want_user) == 0));
  ok = ok && ((pass == NULL && want_pass == NULL) || (pass && want_pass && strcmp (pass, want_pass) == 0));
  ok = ok && (want_source == NULL || (source && strcmp (source, want_source) == 0));
  tap_ok (ok, "%s", desc);
  if (!ok)
    printf ("#   r=%d user=%s pass=%s source=%s err=%s\n", r, user ? user : "(null)", pass ? pass : "(null)",
            source ? source : "(null)", err ? err->msg : "none");
  rcr_error_release (&err);
}

/* Looks up and expects an error whose message contains every non-NULL needle. */
static void
lookup_fails (const char *host, const char *repo, const char *needle1, const char *needle2, const char *desc)
{
  cleanup_free char *user = NULL;
  cleanup_free char *pass = NULL;
  rcr_error_t err = NULL;
  int r = rcr_auth_lookup (NULL, host, repo, &user, &pass, NULL, &err);
  bool ok = r < 0 && err && user == NULL && (needle1 == NULL || strstr (err->msg, needle1))
            && (needle2 == NULL || strstr (err->msg, needle2));

  tap_ok (ok, "%s (%s)", desc, err ? err->msg : "no error");
  rcr_error_release (&err);
}

static void
round_trip (const char *user, const char *password, const char *desc)
{
  cleanup_free char *b64 = rcr_auth_encode (user, password);
  cleanup_free char *u = NULL;
  cleanup_free char *p = NULL;
  rcr_error_t err = NULL;
  int r = rcr_auth_decode (b64, "test", &u, &p, &err);

  tap_ok (r == 0 && u && p && strcmp (u, user) == 0 && strcmp (p, password) == 0 && strlen (b64) % 4 == 0,
          "round trip %s (%s)", desc, err ? err->msg : b64);
  rcr_error_release (&err);
}

static void
decode_fails (const char *b64, const char *needle)
{
  cleanup_free char *u = NULL;
  cleanup_free char *p = NULL;
  rcr_error_t err = NULL;
  int r = rcr_auth_decode (b64, "\"f\": entry \"k\"", &u, &p, &err);

  tap_ok (r < 0 && err && strstr (err->msg, needle) && u == NULL && p == NULL, "decode \"%s\" rejected (%s)", b64,
          err ? err->msg : "accepted");
  rcr_error_release (&err);
}

static void
test_base64 (void)
{
  cleanup_free char *b64 = rcr_auth_encode ("user", "pass");
  cleanup_free char *u = NULL;
  cleanup_free char *p = NULL;
  rcr_error_t err = NULL;

  tap_is_str (b64, "dXNlcjpwYXNz", "encode user:pass");
  round_trip ("user", "pa:ss:word", "password with ':'");
  round_trip ("jürgen", "pässwörd€✓", "non-ASCII user and password");
  round_trip ("u", "p", "3 bytes, no padding");
  round_trip ("u", "pw", "4 bytes, '==' padding");
  round_trip ("u", "pwd", "5 bytes, '=' padding");
  round_trip ("user", "", "empty password");

  /* "dXNlcjpwYTpzcw==" is base64("user:pa:ss") as Go and coreutils write it. */
  tap_ok (rcr_auth_decode ("dXNlcjpwYTpzcw==", "test", &u, &p, &err) == 0 && strcmp (u, "user") == 0
              && strcmp (p, "pa:ss") == 0,
          "decode splits at the first ':' and drops the padding");
  rcr_error_release (&err);

  decode_fails ("", "empty");
  decode_fails ("dXNlcjpwYXNz=", "not valid base64");
  decode_fails ("dXNl cjpw", "not valid base64");
  decode_fails ("dX=lcjpw", "not valid base64");
  decode_fails ("dXNlcg==", "does not decode to \"user:password\"");
}

static void
test_default_file (void)
{
  cleanup_free char *d = NULL;
  cleanup_free char *want = NULL;
  cleanup_free char *rt = rcr_xstrdup (getenv ("XDG_RUNTIME_DIR"));

  d = rcr_auth_default_file ();
  tap_is_str (d, run_file, "default file is $XDG_RUNTIME_DIR/containers/auth.json");
  free (d);

  setenv ("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
  d = rcr_auth_default_file ();
  tap_is_str (d, "/x/auth.json", "$REGISTRY_AUTH_FILE is the default file");
  free (d);
  unsetenv ("REGISTRY_AUTH_FILE");

  setenv ("XDG_RUNTIME_DIR", "relative/run", 1);
  d = rcr_auth_default_file ();
  want = rcr_xstrdup (getuid () == 0 ? "/run/containers/0/auth.json" : cfg_file);
  tap_is_str (d, want, "relative $XDG_RUNTIME_DIR ignored: %s", want);
  free (d);
  unsetenv ("XDG_RUNTIME_DIR");
  d = rcr_auth_default_file ();
  tap_is_str (d, want, "no $XDG_RUNTIME_DIR: %s", want);
  setenv ("XDG_RUNTIME_DIR", rt, 1);
}

static void
test_lookup_order (void)
{
  clear_files ();
  lookup_is (NULL, "reg.example.com", NULL, NULL, NULL, NULL, "no files: nothing found, no error");

  put_file (dockercfg_file, "{\"reg.example.com\": {\"auth\": \"bGVnYWN5OmQ=\"}}", 0600);
  lookup_is (NULL, "reg.example.com", NULL, "legacy", "d", dockercfg_file, "~/.dockercfg (legacy format) is read");

  put_file (docker_file, "{\"auths\": {\"reg.example.com\": {\"auth\": \"ZG9ja2VyOmM=\"}}}", 0600);
  lookup_is (NULL, "reg.example.com", NULL, "docker", "c", docker_file, "~/.docker/config.json before ~/.dockercfg");

  put_file (cfg_file, "{\"auths\": {\"reg.example.com\": {\"auth\": \"Y29uZmlnOmI=\"}}}", 0600);
  lookup_is (NULL, "reg.example.com", NULL, "config", "b", cfg_file, "$XDG_CONFIG_HOME file before docker's");

  put_file (run_file, "{\"auths\": {\"other.example.com\": {\"auth\": \"cnVuOmE=\"}}}", 0600);
  lookup_is (NULL, "reg.example.com", NULL, "config", "b", cfg_file,
             "runtime file without an entry for the host: search goes on");
  lookup_is (NULL, "other.example.com", NULL, "run", "a", run_file, "runtime file is read first");

  put_file (run_file, "{\"auths\": {\"reg.example.com\": {}}}", 0600);
  lookup_is (NULL, "reg.example.com", NULL, "config", "b", cfg_file,
             "an entry without \"auth\" (credential helper marker) is skipped");

  {
    cleanup_free char *dc = rcr_strdup_printf ("%s/dockerconfig", tmp);
    cleanup_free char *dcf = rcr_strdup_printf ("%s/config.json", dc);
    put_file (dcf, "{\"auths\": {\"dc.example.com\": {\"auth\": \"ZGM6ZQ==\"}}}", 0600);
    setenv ("DOCKER_CONFIG", dc, 1);
    lookup_is (NULL, "dc.example.com", NULL, "dc", "e", dcf, "$DOCKER_CONFIG/config.json replaces ~/.docker");
    unsetenv ("DOCKER_CONFIG");
  }

  {
    cleanup_free char *envf = rcr_strdup_printf ("%s/env-auth.json", tmp);
    cleanup_free char *explicit = rcr_strdup_printf ("%s/explicit-auth.json", tmp);
    put_file (envf, "{\"auths\": {\"reg.example.com\": {\"auth\": \"ZW52OmY=\"}}}", 0600);
    put_file (explicit, "{\"auths\": {\"reg.example.com\": {\"auth\": \"ZXhwbGljaXQ6Zw==\"}}}", 0600);
    setenv ("REGISTRY_AUTH_FILE", envf, 1);
    lookup_is (NULL, "reg.example.com", NULL, "env", "f", envf, "$REGISTRY_AUTH_FILE honoured");
    lookup_is (NULL, "other.example.com", NULL, NULL, NULL, NULL, "$REGISTRY_AUTH_FILE is the only file read");
    lookup_is (explicit, "reg.example.com", NULL, "explicit", "g", explicit, "--authfile beats $REGISTRY_AUTH_FILE");
    unsetenv ("REGISTRY_AUTH_FILE");
  }
  clear_files ();
}

static void
test_keys (void)
{
  clear_files ();
  /* base64 of "host:1", "org:2", "repo:3" */
  put_file (cfg_file,
            "{\"auths\": {\"quay.io\": {\"auth\": \"aG9zdDox\"}, \"quay.io/org\": {\"auth\": \"b3JnOjI=\"},"
            " \"quay.io/org/repo\": {\"auth\": \"cmVwbzoz\"}}}",
            0600);
  lookup_is (NULL, "quay.io", "org/repo", "repo", "3", cfg_file, "namespaced: host/org/repo wins");
  lookup_is (NULL, "quay.io", "org/other", "org", "2", cfg_file, "namespaced: host/org next");
  lookup_is (NULL, "quay.io", "else/x", "host", "1", cfg_file, "namespaced: host last");
  lookup_is (NULL, "quay.io", NULL, "host", "1", cfg_file, "no repository: host key");

  put_file (cfg_file,
            "{\"auths\": {\"https://legacy.example.com/v1/\": {\"auth\": \"bGVnOjE=\"},"
            " \"http://plain.example.com:5000\": {\"auth\": \"cGxhaW46Mg==\"}}}",
            0600);
  lookup_is (NULL, "legacy.example.com", "a/b", "leg", "1", cfg_file, "legacy key https://host/v1/");
  lookup_is (NULL, "plain.example.com:5000", NULL, "plain", "2", cfg_file, "legacy key http://host:port");

  put_file (cfg_file, "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"aHViOjE=\"}}}", 0600);
  lookup_is (NULL, "docker.io", "library/alpine", "hub", "1", cfg_file, "docker.io: https://index.docker.io/v1/");
  put_file (cfg_file, "{\"auths\": {\"registry-1.docker.io\": {\"auth\": \"aHViOjI=\"}}}", 0600);
  lookup_is (NULL, "docker.io", "library/alpine", "hub", "2", cfg_file, "docker.io: registry-1.docker.io");
  put_file (cfg_file, "{\"auths\": {\"index.docker.io\": {\"auth\": \"aHViOjM=\"}}}", 0600);
  lookup_is (NULL, "docker.io", NULL, "hub", "3", cfg_file, "docker.io: index.docker.io");
  unlink (cfg_file);
  put_file (dockercfg_file, "{\"https://index.docker.io/v1/\": {\"auth\": \"aHViOjQ=\"}}", 0600);
  lookup_is (NULL, "docker.io", "library/alpine", "hub", "4", dockercfg_file,
             "docker.io in ~/.dockercfg under https://index.docker.io/v1/");

  put_file (cfg_file, "{\"auths\": {\"u.example.com\": {\"username\": \"ann\", \"password\": \"s:e\"}}}", 0600);
  lookup_is (NULL, "u.example.com", NULL, "ann", "s:e", cfg_file, "\"username\"/\"password\" fields tolerated");
  put_file (cfg_file, "{\"auths\": {\"t.example.com\": {\"auth\": \"dTpw\", \"identitytoken\": \"tok\"}}}", 0600);
  lookup_is (NULL, "t.example.com", NULL, "u", "p", cfg_file, "\"identitytoken\" ignored");
  put_file (cfg_file, "  \n", 0600);
  lookup_is (NULL, "t.example.com", NULL, NULL, NULL, NULL, "whitespace-only file is empty");
  clear_files ();
}

static void
test_errors (void)
{
  cleanup_free char *bad_key = rcr_strdup_printf ("\"%s\": entry \"bad.example.com\"", cfg_file);
  cleanup_free char *quoted_cfg = rcr_strdup_printf ("\"%s\"", cfg_file);
  cleanup_free char *quoted_run = rcr_strdup_printf ("\"%s\"", run_file);

  clear_files ();
  put_file (cfg_file, "{\"auths\": {\"bad.example.com\": {\"auth\": \"not base64!\"}}}", 0600);
  lookup_fails ("bad.example.com", NULL, bad_key, "not valid base64", "invalid base64 names file and key");
  put_file (cfg_file, "{\"auths\": {\"bad.example.com\": {\"auth\": \"\"}}}", 0600);
  lookup_fails ("bad.example.com", NULL, bad_key, "empty", "empty \"auth\" names file and key");
  put_file (cfg_file, "{\"auths\": {\"quay.io\": ", 0600);
  lookup_fails ("quay.io", NULL, quoted_cfg, NULL, "malformed JSON names the file");
  put_file (docker_file, "{\"auths\": {\"quay.io\": {\"auth\": \"dTpw\"}}}", 0600);
  lookup_fails ("quay.io", NULL, quoted_cfg, NULL, "malformed file is not skipped for a later one");
  put_file (run_file, "{\"auths\": []}", 0600);
  lookup_fails ("quay.io", NULL, quoted_run, "\"auths\" is not a JSON object", "\"auths\" of the wrong type");
  put_file (run_file, "[]", 0600);
  lookup_fails ("quay.io", NULL, quoted_run, "not a JSON object", "top level of the wrong type");
  clear_files ();
}

static void
test_store_remove (void)
{
  cleanup_free char *dir = rcr_strdup_printf ("%s/new/sub", tmp);
  cleanup_free char *file = rcr_strdup_printf ("%s/auth.json", dir);
  cleanup_json json_object *root = NULL;
  rcr_error_t err = NULL;
  json_object *auths;
  int r;

  r = rcr_auth_store (file, "127.0.0.1:5000", "ann", "pa:ss wörd", &err);
  tap_ok (r == 0, "store into a new file (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  tap_is_int (file_mode (dir), 0700, "parent directory created 0700");
  tap_is_int (file_mode (file), 0600, "new file is 0600");
  lookup_is (file, "127.0.0.1:5000", "library/alpine", "ann", "pa:ss wörd", file, "stored credentials found");

  put_file (file,
            "{\"auths\": {\"quay.io\": {\"auth\": \"cTpx\"}, \"127.0.0.1:5000\": {\"auth\": \"b2xkOm9sZA==\"}},"
            " \"credHelpers\": {\"gcr.io\": \"gcloud\"}, \"x-extra\": 1}",
            0644);
  r = rcr_auth_store (file, "127.0.0.1:5000", "bob", "new", &err);
  tap_ok (r == 0, "store replaces an entry (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  tap_is_int (file_mode (file), 0600, "a 0644 file is rewritten 0600");
  lookup_is (file, "127.0.0.1:5000", NULL, "bob", "new", file, "replaced entry read back");
  lookup_is (file, "quay.io", NULL, "q", "q", file, "other key kept");
  if (rcr_json_read_file (file, 1 << 20, &root, &err) < 0)
    rcr_error_release (&err);
  tap_is_str (rcr_json_get_string (rcr_json_get_object (root, "credHelpers"), "gcr.io", NULL), "gcloud",
              "credHelpers kept");
  tap_is_int (rcr_json_get_int64 (root, "x-extra", 0), 1, "unknown top-level field kept");
  json_object_put (steal_pointer (&root));

  r = rcr_auth_store (file, "https://quay.io", "u", "p", &err);
  tap_ok (r < 0 && err && strstr (err->msg, "http[s]://"), "store rejects a URL key (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  r = rcr_auth_store (file, "quay.io", "a:b", "p", &err);
  tap_ok (r < 0 && err && strstr (err->msg, "contains ':'"), "store rejects ':' in the user (%s)",
          err ? err->msg : "ok");
  rcr_error_release (&err);

  r = rcr_auth_remove (file, "quay.io", false, &err);
  tap_ok (r == 0, "remove one key (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  lookup_is (file, "quay.io", NULL, NULL, NULL, NULL, "removed key is gone");
  lookup_is (file, "127.0.0.1:5000", NULL, "bob", "new", file, "other key survives remove");

  r = rcr_auth_remove (file, "quay.io", false, &err);
  tap_ok (r == -ENOENT - 1 && err && err->status == ENOENT && strcmp (err->msg, "not logged into quay.io") == 0,
          "remove a missing key: ENOENT \"%s\"", err ? err->msg : "ok");
  rcr_error_release (&err);
  r = rcr_auth_remove (cfg_file, "quay.io", false, &err);
  tap_ok (r < 0 && err && err->status == ENOENT, "remove from a missing file: ENOENT");
  rcr_error_release (&err);

  r = rcr_auth_remove (file, NULL, true, &err);
  tap_ok (r == 0, "remove all (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  if (rcr_json_read_file (file, 1 << 20, &root, &err) < 0)
    rcr_error_release (&err);
  auths = rcr_json_get_object (root, "auths");
  tap_ok (auths && json_object_object_length (auths) == 0, "remove all leaves an empty \"auths\"");
  tap_ok (rcr_json_get_object (root, "credHelpers") != NULL, "remove all keeps other fields");
  tap_is_int (file_mode (file), 0600, "file still 0600 after remove");
  r = rcr_auth_remove (cfg_file, NULL, true, &err);
  tap_ok (r == 0 && access (cfg_file, F_OK) < 0, "remove all on a missing file is a no-op");
  rcr_error_release (&err);

  /* NULL file: the default ($REGISTRY_AUTH_FILE here). */
  {
    cleanup_free char *envf = rcr_strdup_printf ("%s/env/store.json", tmp);
    setenv ("REGISTRY_AUTH_FILE", envf, 1);
    r = rcr_auth_store (NULL, "localhost:5000", "me", "pw", &err);
    tap_ok (r == 0 && file_mode (envf) == 0600, "store with no file writes $REGISTRY_AUTH_FILE");
    rcr_error_release (&err);
    lookup_is (NULL, "localhost:5000", "x", "me", "pw", envf, "and lookup reads it");
    unsetenv ("REGISTRY_AUTH_FILE");
  }

  put_file (file, "{\"auths\": ", 0600);
  r = rcr_auth_store (file, "quay.io", "u", "p", &err);
  tap_ok (r < 0 && err && strstr (err->msg, file), "store refuses to clobber a malformed file (%s)",
          err ? err->msg : "ok");
  rcr_error_release (&err);
}

static void
creds_is (const char *in, const char *want_user, const char *want_pass)
{
  cleanup_free char *u = NULL;
  cleanup_free char *p = NULL;
  rcr_error_t err = NULL;
  int r = rcr_auth_parse_creds (in, &u, &p, &err);

  tap_ok (r == 0 && strcmp (u, want_user) == 0
              && ((p == NULL && want_pass == NULL) || (p && want_pass && strcmp (p, want_pass) == 0)),
          "--creds \"%s\" → user \"%s\" password %s", in, want_user, want_pass ? want_pass : "(prompt)");
  rcr_error_release (&err);
}

static void
creds_bad (const char *in, const char *needle)
{
  cleanup_free char *u = NULL;
  cleanup_free char *p = NULL;
  rcr_error_t err = NULL;
  int r = rcr_auth_parse_creds (in, &u, &p, &err);

  tap_ok (r < 0 && err && strstr (err->msg, needle), "--creds \"%s\" rejected (%s)", in, err ? err->msg : "ok");
  rcr_error_release (&err);
}

int
main (void)
{
  char tmpl[] = "/tmp/rcr-unit-auth-XXXXXX";
  cleanup_free char *home = NULL;
  cleanup_free char *run = NULL;
  cleanup_free char *cfg = NULL;
  rcr_error_t err = NULL;
  int ret;

  if (mkdtemp (tmpl) == NULL)
    {
      printf ("Bail out! mkdtemp: %s\n", strerror (errno));
      return 1;
    }
  tmp = tmpl;
  home = rcr_strdup_printf ("%s/home", tmp);
  run = rcr_strdup_printf ("%s/run", tmp);
  cfg = rcr_strdup_printf ("%s/config", tmp);
  setenv ("HOME", home, 1);
  setenv ("XDG_RUNTIME_DIR", run, 1);
  setenv ("XDG_CONFIG_HOME", cfg, 1);
  unsetenv ("REGISTRY_AUTH_FILE");
  unsetenv ("DOCKER_CONFIG");
  run_file = rcr_strdup_printf ("%s/containers/auth.json", run);
  cfg_file = rcr_strdup_printf ("%s/containers/auth.json", cfg);
  docker_file = rcr_strdup_printf ("%s/.docker/config.json", home);
  dockercfg_file = rcr_strdup_printf ("%s/.dockercfg", home);

  test_base64 ();
  test_default_file ();
  test_lookup_order ();
  test_keys ();
  test_errors ();
  test_store_remove ();

  creds_is ("user:pa:ss", "user", "pa:ss");
  creds_is ("user", "user", NULL);
  creds_is ("user:", "user", "");
  creds_bad ("", "credentials can't be empty");
  creds_bad (":pw", "username can't be empty");

  ret = tap_done ();
  if (rcr_rm_rf (tmp, &err) < 0)
    {
      printf ("# cleanup: %s\n", err->msg);
      rcr_error_release (&err);
    }
  free (run_file);
  free (cfg_file);
  free (docker_file);
  free (dockercfg_file);
  return ret;
}
