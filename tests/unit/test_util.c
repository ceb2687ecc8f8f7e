/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "tap.h"

static void
size_ok (const char *s, int64_t want)
{
  int64_t got = -1;
  rcr_error_t err = NULL;
  int r = rcr_parse_size (s, &got, &err);
  tap_ok (r == 0 && got == want, "size \"%s\" = %lld (got %lld)", s, (long long)want, (long long)got);
  rcr_error_release (&err);
}

static void
size_bad (const char *s)
{
  int64_t got = -1;
  rcr_error_t err = NULL;
  int r = rcr_parse_size (s, &got, &err);
  tap_ok (r < 0 && err && strstr (err->msg, "invalid size") == err->msg, "size \"%s\" rejected (%s)", s,
          err ? err->msg : "accepted");
  rcr_error_release (&err);
}

int
main (void)
{
  size_ok ("256m", 256LL << 20);
  size_ok ("256M", 256LL << 20);
  size_ok ("256mb", 256LL << 20);
  size_ok ("1g", 1LL << 30);
  size_ok ("1GB", 1LL << 30);
  size_ok ("512k", 512LL << 10);
  size_ok ("100b", 100);
  size_ok ("4096", 4096);
  size_ok ("0", 0);
  size_ok ("2t", 2LL << 40);
  size_bad ("");
  size_bad ("m");
  size_bad ("-1m");
  size_bad ("1.5g");
  size_bad ("12x");
  size_bad ("12mm");
  size_bad ("99999999999999999999");
  size_bad ("9000000000g");

  {
    char tmpl[] = "/tmp/rcr-unit-XXXXXX";
    cleanup_free char *path = NULL;
    cleanup_free char *back = NULL;
    cleanup_free char *deep = NULL;
    rcr_error_t err = NULL;
    size_t len = 0;
    struct stat st;

    tap_ok (mkdtemp (tmpl) != NULL, "mkdtemp");
    path = rcr_strdup_printf ("%s/file.json", tmpl);
    tap_ok (rcr_write_file_atomic (path, "hello", 5, 0600, &err) == 0, "atomic write");
    tap_ok (stat (path, &st) == 0 && (st.st_mode & 07777) == 0600, "atomic write sets the mode");
    tap_ok (rcr_read_file (path, 100, &back, &len, &err) == 0 && len == 5 && strcmp (back, "hello") == 0,
            "read back what was written");
    tap_ok (rcr_read_file (path, 3, &back, &len, &err) < 0 && err->status == EFBIG, "read honours max size");
    rcr_error_release (&err);
    deep = rcr_strdup_printf ("%s/a/b/c", tmpl);
    tap_ok (rcr_mkdir_p (deep, 0700, &err) == 0 && stat (deep, &st) == 0 && S_ISDIR (st.st_mode), "mkdir -p");
    tap_ok (rcr_rm_rf (tmpl, &err) == 0 && access (tmpl, F_OK) < 0, "rm -rf removes the tree");
  }

  {
    rcr_error_t err = NULL;
    int r = rcr_make_error (&err, ENOENT, "open \"%s\"", "/etc/subuid");
    tap_is_int (r, -ENOENT - 1, "rcr_make_error returns -errno-1");
    tap_is_str (err->msg, "open \"/etc/subuid\": No such file or directory", "error message carries strerror");
    rcr_error_wrap (&err, "read subordinate ids");
    tap_is_str (err->msg, "read subordinate ids: open \"/etc/subuid\": No such file or directory",
                "wrap prefixes the context");
    rcr_error_release (&err);
    tap_ok (err == NULL, "release clears the error");
  }
  {
    char text[] = "root:x:0:0:root:/root:/bin/bash\n"
                  "broken line\n"
                  ":x:7:7::/nowhere:/bin/sh\n"
                  "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
                  "alias:x:1000:1000::/home/alias:/bin/sh\n"
                  "bob:x:1001:1001::/home/bob\n";
    char *name = NULL, *home = NULL;
    bool compat = true;
    tap_ok (rcr_passwd_find (text, 1000, &name, &home, &compat) && !compat, "passwd: uid 1000 found");
    tap_is_str (name, "alice", "passwd: the first entry of a uid wins");
    tap_is_str (home, "/home/alice", "passwd: its home directory");
    free (name);
    free (home);
  }
  {
    char text[] = "root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001::/home/bob\n:x:7:7::/x:/bin/sh\n";
    char *name = NULL, *home = NULL;
    bool compat = true;
    tap_ok (!rcr_passwd_find (text, 1001, &name, &home, &compat) && !compat && name == NULL,
            "passwd: a line with six fields is no entry");
    tap_ok (!rcr_passwd_find (text, 7, &name, &home, &compat) && name == NULL, "passwd: an empty name is no entry");
  }
  {
    char text[] = "root:x:0:0:root:/root:/bin/bash\n+@netgroup::::::\nalice:x:1000:1000::/home/alice:/bin/sh\n";
    char *name = NULL, *home = NULL;
    bool compat = false;
    tap_ok (!rcr_passwd_find (text, 1000, &name, &home, &compat) && compat,
            "passwd: NIS compat entries leave the lookup to NSS");
  }
  {
    char *name = NULL, *home = NULL;
    struct passwd *pw = getpwuid (0);
    tap_ok (rcr_user_lookup (0, &name, &home) == 0 && pw && strcmp (name, pw->pw_name) == 0
                && strcmp (home, pw->pw_dir) == 0,
            "user lookup: uid 0 as getpwuid has it");
    free (name);
    free (home);
    tap_ok (rcr_user_lookup (3999999999U, &name, NULL) < 0, "user lookup: an unknown uid");
  }
  return tap_done ();
}
