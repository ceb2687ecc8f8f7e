/* SPDX-License-Identifier: Apache-2.0 */
/* The process module: capabilities (computed, and applied in forked children whose
   /proc/self/status is compared), --user resolution against temporary root
   directories (symlinks pointing out of the root must resolve inside it), --ulimit,
   --env / --env-file and container names.
   Capabilities are applied in a child: as root directly (and with setresuid to 65534
   for the non-root case); as a normal user inside a new user namespace mapping only
   the caller's uid, where the child holds every capability. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/process.h"
#include "tap.h"

#define BIT(c) (1ULL << (c))

static char *tmp;
/* false under an old kernel or valgrind < 3.22: the O_NOFOLLOW walk then refuses
   every symlinked passwd instead of resolving it inside the root */
static bool have_openat2;

static void
tap_skip (const char *desc, const char *reason)
{
  tap_count++;
  printf ("ok %d - %s # skip %s\n", tap_count, desc, reason);
  fflush (stdout);
}

static void
bail (const char *what)
{
  printf ("Bail out! %s: %s\n", what, strerror (errno));
  exit (1);
}

static char *
tpath (const char *rel)
{
  return rcr_strdup_printf ("%s/%s", tmp, rel);
}

/* Writes text to tmp/rel, creating the directories. */
static void
put (const char *rel, const char *text)
{
  cleanup_free char *path = tpath (rel);
  cleanup_free char *dir = rcr_xstrdup (path);
  rcr_error_t err = NULL;

  *strrchr (dir, '/') = '\0';
  if (rcr_mkdir_p (dir, 0755, &err) < 0 || rcr_write_file_atomic (path, text, strlen (text), 0644, &err) < 0)
    {
      printf ("Bail out! %s\n", err->msg);
      exit (1);
    }
}

static void
put_symlink (const char *rel, const char *target)
{
  cleanup_free char *path = tpath (rel);
  cleanup_free char *dir = rcr_xstrdup (path);
  rcr_error_t err = NULL;

  *strrchr (dir, '/') = '\0';
  if (rcr_mkdir_p (dir, 0755, &err) < 0)
    {
      printf ("Bail out! %s\n", err->msg);
      exit (1);
    }
  if (symlink (target, path) < 0)
    bail ("symlink");
}

static int
open_root (const char *rel)
{
  cleanup_free char *path = tpath (rel);
  cleanup_free char *dir = rcr_xstrdup (path);
  rcr_error_t err = NULL;
  int fd;

  if (rcr_mkdir_p (dir, 0755, &err) < 0)
    {
      printf ("Bail out! %s\n", err->msg);
      exit (1);
    }
  fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    bail ("open root");
  return fd;
}

/* ---- capabilities: pure logic ---- */

static int
cap_last (void)
{
  cleanup_free char *s = NULL;
  rcr_error_t err = NULL;
  if (rcr_read_file ("/proc/sys/kernel/cap_last_cap", 64, &s, NULL, &err) < 0)
    {
      rcr_error_release (&err);
      return CAP_LAST_CAP;
    }
  return atoi (s);
}

static uint64_t
expected_all (void)
{
  int last = cap_last ();
  if (last > 40)
    last = 40;
  return BIT (last + 1) - 1;
}

static void
parse_is (const char *name, uint64_t want)
{
  uint64_t got = 0;
  rcr_error_t err = NULL;
  int r = rcr_caps_parse (name, &got, &err);
  tap_ok (r == 0 && got == want, "caps parse \"%s\" = %#llx (got %#llx%s%s)", name, (unsigned long long)want,
          (unsigned long long)got, err ? ", " : "", err ? err->msg : "");
  rcr_error_release (&err);
}

static void
parse_bad (const char *name, const char *needle)
{
  uint64_t got = 0;
  rcr_error_t err = NULL;
  int r = rcr_caps_parse (name, &got, &err);
  tap_ok (r < 0 && err && strstr (err->msg, needle), "caps parse \"%s\" rejected (%s)", name,
          err ? err->msg : "accepted");
  rcr_error_release (&err);
}

static void
compute_is (uint64_t base, char **add, char **drop, uint64_t want, const char *desc)
{
  uint64_t got = 0;
  rcr_error_t err = NULL;
  int r = rcr_caps_compute (base, add, drop, &got, &err);
  tap_ok (r == 0 && got == want, "caps compute: %s", desc);
  if (r < 0 || got != want)
    printf ("#   got %#llx want %#llx err %s\n", (unsigned long long)got, (unsigned long long)want,
            err ? err->msg : "none");
  rcr_error_release (&err);
}

static void
compute_bad (uint64_t base, char **add, char **drop, const char *needle, const char *desc)
{
  uint64_t got = 0;
  rcr_error_t err = NULL;
  int r = rcr_caps_compute (base, add, drop, &got, &err);
  tap_ok (r < 0 && err && strstr (err->msg, needle), "caps compute: %s (%s)", desc, err ? err->msg : "accepted");
  rcr_error_release (&err);
}

static void
test_caps_logic (void)
{
  uint64_t def = rcr_caps_default ();
  uint64_t all = rcr_caps_all ();
  cleanup_free char *def_s = rcr_caps_to_string (def);
  cleanup_free char *empty_s = rcr_caps_to_string (0);
  cleanup_free char *all_s = rcr_caps_to_string (all);
  uint64_t round = 0;
  size_t n_all = 0;

  tap_is_int (__builtin_popcountll (def), 11, "podman's default set has 11 capabilities");
  tap_is_str (def_s,
              "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_NET_BIND_SERVICE,CAP_SETFCAP,"
              "CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT",
              "default set as a sorted string");
  tap_is_str (empty_s, "", "empty set is an empty string");
  tap_ok (all == expected_all (), "all = capabilities 0..min(cap_last_cap, 40) (%#llx)", (unsigned long long)all);

  /* every name in the string of "all" parses back to the same mask */
  for (char *save = NULL, *tok = strtok_r (all_s, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      uint64_t m = 0;
      if (rcr_caps_parse (tok, &m, NULL) == 0)
        round |= m;
      n_all++;
    }
  tap_ok (round == all && n_all == (size_t)__builtin_popcountll (all), "all names round-trip (%zu names)", n_all);

  parse_is ("CAP_NET_ADMIN", BIT (CAP_NET_ADMIN));
  parse_is ("net_admin", BIT (CAP_NET_ADMIN));
  parse_is ("Cap_Sys_Admin", BIT (CAP_SYS_ADMIN));
  parse_is ("CHECKPOINT_RESTORE", BIT (40));
  parse_is ("all", all);
  parse_bad ("CAP_FOO", "unknown capability \"CAP_FOO\"");
  parse_bad ("", "invalid capability");
  parse_bad ("CAP_", "unknown capability");
  parse_bad ("CAP_ALL", "unknown capability");

  {
    char *add_admin[] = { "NET_ADMIN", NULL };
    char *drop_chown[] = { "cap_chown", NULL };
    char *all_list[] = { "ALL", NULL };
    char *add_raw[] = { "net_raw", "CAP_MKNOD", NULL };
    char *drop_sysadmin[] = { "SYS_ADMIN", NULL };
    char *add_kill[] = { "KILL", NULL };
    char *bogus[] = { "CAP_BOGUS", NULL };

    compute_is (def, NULL, NULL, def, "no flags keep the base");
    compute_is (def, add_admin, NULL, def | BIT (CAP_NET_ADMIN), "--cap-add NET_ADMIN");
    compute_is (def, NULL, drop_chown, def & ~BIT (CAP_CHOWN), "--cap-drop cap_chown");
    compute_is (def, add_raw, all_list, BIT (CAP_NET_RAW) | BIT (CAP_MKNOD), "--cap-drop ALL keeps only the adds");
    compute_is (def, all_list, NULL, all, "--cap-add ALL");
    compute_is (def, all_list, drop_sysadmin, all & ~BIT (CAP_SYS_ADMIN), "--cap-add ALL --cap-drop SYS_ADMIN");
    compute_is (def, NULL, all_list, 0, "--cap-drop ALL alone is empty");
    compute_bad (def, add_kill, add_kill, "capability \"CAP_KILL\" cannot be dropped and added",
                 "the same capability added and dropped");
    compute_bad (def, all_list, all_list, "adding all caps and removing all caps not allowed", "ALL both ways");
    compute_bad (def, bogus, NULL, "--cap-add: unknown capability", "unknown name in --cap-add");
    compute_bad (def, NULL, bogus, "--cap-drop: unknown capability", "unknown name in --cap-drop");

    {
      uint64_t u = 1;
      rcr_error_t err = NULL;
      tap_ok (rcr_caps_user (NULL, &u, NULL) == 0 && u == 0, "user caps: no --cap-add, none");
      tap_ok (rcr_caps_user (add_raw, &u, NULL) == 0 && u == (BIT (CAP_NET_RAW) | BIT (CAP_MKNOD)),
              "user caps: the --cap-add list alone, no defaults");
      tap_ok (rcr_caps_user (all_list, &u, NULL) == 0 && u == all, "user caps: ALL is every capability");
      tap_ok (rcr_caps_user (bogus, &u, &err) < 0 && err && strstr (err->msg, "--cap-add: unknown capability"),
              "user caps: an unknown name is refused");
      rcr_error_release (&err);
    }
  }
}

/* ---- capabilities: applied in a child ---- */

struct capstat
{
  bool ok;
  char err[512];
  unsigned long long pre_bnd, inh, prm, eff, bnd, amb;
};

static unsigned long long
status_field (const char *text, const char *name)
{
  cleanup_free char *key = rcr_strdup_printf ("\n%s:", name);
  const char *p = strstr (text, key);
  return p ? strtoull (p + strlen (key), NULL, 16) : ~0ULL;
}

static void
write_all (int fd, const char *s, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, s, len);
      if (n <= 0)
        return;
      s += n;
      len -= (size_t)n;
    }
}

static void __attribute__ ((noreturn)) child_fail (int fd, const char *msg)
{
  cleanup_free char *line = rcr_strdup_printf ("ERR %s\n", msg);
  write_all (fd, line, strlen (line));
  _exit (1);
}

static void
write_map (int out, const char *file, const char *text)
{
  int fd = open (file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, text, strlen (text)) < 0)
    child_fail (out, file);
  close (fd);
}

enum apply_mode
{
  APPLY_ROOT,         /* stay uid 0 */
  APPLY_NONROOT,      /* setresuid to 65534 first (needs real root) */
  APPLY_ROOT_EXEC,    /* stay uid 0, then exec cat /proc/self/status */
  APPLY_NONROOT_EXEC, /* uid 65534, then exec cat */
  APPLY_NONROOT_FLAG, /* stay uid 0 but apply the non-root rule */
};

/* what the non-root rule gives (rcr_caps_apply's user_caps) in the next apply_in_child */
static uint64_t apply_user_caps;

/* The child's side of apply_in_child: writes "PreBnd" and its status to out. */
static void
apply_child (int out, uint64_t mask, enum apply_mode mode, bool userns)
{
  rcr_error_t err = NULL;
  cleanup_free char *pre = NULL;
  cleanup_free char *pre_line = NULL;
  bool switch_uid = mode == APPLY_NONROOT || mode == APPLY_NONROOT_EXEC;
  bool nonroot = switch_uid || mode == APPLY_NONROOT_FLAG;

  if (userns)
    {
      char map[64];
      uid_t uid = getuid ();
      gid_t gid = getgid ();
      if (unshare (CLONE_NEWUSER) < 0)
        child_fail (out, "unshare(CLONE_NEWUSER)");
      write_map (out, "/proc/self/setgroups", "deny");
      snprintf (map, sizeof (map), "0 %u 1", (unsigned)uid);
      write_map (out, "/proc/self/uid_map", map);
      snprintf (map, sizeof (map), "0 %u 1", (unsigned)gid);
      write_map (out, "/proc/self/gid_map", map);
    }
  /* an ambient capability the apply must clear */
  {
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    if (syscall (SYS_capget, &hdr, d) == 0)
      {
        d[0].inheritable |= 1U << CAP_KILL;
        if (syscall (SYS_capset, &hdr, d) == 0)
          prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0);
      }
  }
  if (rcr_read_file ("/proc/self/status", 65536, &pre, NULL, &err) < 0)
    child_fail (out, err->msg);
  pre_line = rcr_strdup_printf ("PreBnd:\t%016llx\n", status_field (pre, "CapBnd"));
  write_all (out, pre_line, strlen (pre_line));
  if (switch_uid)
    {
      if (prctl (PR_SET_KEEPCAPS, 1) < 0)
        child_fail (out, "PR_SET_KEEPCAPS");
      if (setgroups (0, NULL) < 0 || setresgid (65534, 65534, 65534) < 0 || setresuid (65534, 65534, 65534) < 0)
        child_fail (out, "switch to uid 65534");
    }
  if (rcr_caps_apply (mask, apply_user_caps, !nonroot, &err) < 0)
    child_fail (out, err->msg);
  if (mode == APPLY_ROOT_EXEC || mode == APPLY_NONROOT_EXEC)
    {
      char *argv[] = { "cat", "/proc/self/status", NULL };
      char *envp[] = { NULL };
      if (dup2 (out, 1) < 0)
        child_fail (out, "dup2");
      execve ("/bin/cat", argv, envp);
      child_fail (out, "execve /bin/cat");
    }
  {
    cleanup_free char *status_text = NULL;
    if (rcr_read_file ("/proc/self/status", 65536, &status_text, NULL, &err) < 0)
      child_fail (out, err->msg);
    write_all (out, status_text, strlen (status_text));
  }
}

/* Forks a child that gets full capabilities (as root, or in a new user namespace),
   applies mask and reports its /proc/self/status through a pipe. */
static void
apply_in_child (uint64_t mask, enum apply_mode mode, bool userns, struct capstat *st)
{
  int p[2];
  pid_t pid;
  cleanup_free char *out = NULL;
  size_t used = 0, alloc = 8192;
  int status;

  memset (st, 0, sizeof (*st));
  if (pipe2 (p, O_CLOEXEC) < 0)
    bail ("pipe2");
  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    bail ("fork");
  if (pid == 0)
    {
      close (p[0]);
      apply_child (p[1], mask, mode, userns);
      _exit (0);
    }
  close (p[1]);
  out = rcr_xmalloc0 (alloc);
  for (;;)
    {
      ssize_t n;
      if (used + 1 >= alloc)
        out = rcr_xrealloc (out, alloc *= 2);
      n = read (p[0], out + used, alloc - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      used += (size_t)n;
    }
  out[used] = '\0';
  close (p[0]);
  if (waitpid (pid, &status, 0) < 0)
    bail ("waitpid");
  if (strncmp (out, "ERR ", 4) == 0 || strstr (out, "\nERR "))
    {
      const char *e = strncmp (out, "ERR ", 4) == 0 ? out + 4 : strstr (out, "\nERR ") + 5;
      snprintf (st->err, sizeof (st->err), "%.*s", (int)strcspn (e, "\n"), e);
      return;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      snprintf (st->err, sizeof (st->err), "child exited with status %#x", status);
      return;
    }
  {
    /* status_field looks for "\nName:", so give the first line a newline too */
    cleanup_free char *text = rcr_strdup_printf ("\n%s", out);
    st->pre_bnd = status_field (text, "PreBnd");
    st->inh = status_field (text, "CapInh");
    st->prm = status_field (text, "CapPrm");
    st->eff = status_field (text, "CapEff");
    st->bnd = status_field (text, "CapBnd");
    st->amb = status_field (text, "CapAmb");
  }
  st->ok = true;
}

static void
apply_is (uint64_t mask, enum apply_mode mode, bool userns, bool want_eff, const char *desc)
{
  struct capstat st;
  unsigned long long want_bnd;

  apply_in_child (mask, mode, userns, &st);
  want_bnd = mask & st.pre_bnd;
  tap_ok (st.ok && st.bnd == want_bnd && st.eff == (want_eff ? want_bnd : 0) && st.prm == (want_eff ? want_bnd : 0)
              && st.inh == 0 && st.amb == 0,
          "caps apply: %s", desc);
  if (!st.ok)
    printf ("#   child: %s\n", st.err);
  else if (st.bnd != want_bnd || st.eff != (want_eff ? want_bnd : 0))
    printf ("#   bnd %016llx eff %016llx prm %016llx inh %016llx amb %016llx (want bnd %016llx)\n", st.bnd, st.eff,
            st.prm, st.inh, st.amb, want_bnd);
}

/* the non-root rule with --cap-add capabilities: all four sets hold user_caps */
static void
apply_user_is (uint64_t mask, uint64_t user_caps, enum apply_mode mode, bool userns, const char *desc)
{
  struct capstat st;

  apply_user_caps = user_caps;
  apply_in_child (mask, mode, userns, &st);
  apply_user_caps = 0;
  bool ok = st.ok && st.bnd == (mask & st.pre_bnd) && st.eff == user_caps && st.prm == user_caps && st.inh == user_caps
            && st.amb == user_caps;

  tap_ok (ok, "caps apply: %s", desc);
  if (!st.ok)
    printf ("#   child: %s\n", st.err);
  else if (!ok)
    printf ("#   bnd %016llx eff %016llx prm %016llx inh %016llx amb %016llx\n", st.bnd, st.eff, st.prm, st.inh,
            st.amb);
}

/* a user capability outside the bounding set is refused, naming it */
static void
apply_user_bad (uint64_t mask, uint64_t user_caps, bool userns, const char *needle, const char *desc)
{
  struct capstat st;

  apply_user_caps = user_caps;
  apply_in_child (mask, APPLY_NONROOT_FLAG, userns, &st);
  apply_user_caps = 0;
  tap_ok (!st.ok && strstr (st.err, needle), "caps apply: %s (%s)", desc, st.ok ? "accepted" : st.err);
}

static void
test_caps_apply (void)
{
  uint64_t def = rcr_caps_default ();
  uint64_t more = def | BIT (CAP_NET_ADMIN) | BIT (CAP_SYS_ADMIN);
  bool root = geteuid () == 0;
  bool userns = !root;

  if (userns)
    {
      struct capstat probe;
      apply_in_child (def, APPLY_ROOT, true, &probe);
      if (!probe.ok && strstr (probe.err, "unshare"))
        {
          tap_skip ("caps apply", "no unprivileged user namespaces here");
          return;
        }
    }
  apply_is (def, APPLY_ROOT, userns, true, "root: bounding = effective = permitted = default set");
  apply_is (more, APPLY_ROOT, userns, true, "root: default + NET_ADMIN + SYS_ADMIN");
  apply_is (0, APPLY_ROOT, userns, true, "root: --cap-drop ALL empties every set");
  apply_is (def, APPLY_ROOT_EXEC, userns, true, "root after execve: CapEff = CapPrm = CapBnd = default set");
  apply_is (def, APPLY_NONROOT_FLAG, userns, false, "non-root rule: bounding = default set, nothing effective");
  apply_user_is (more, BIT (CAP_NET_ADMIN) | BIT (CAP_SYS_ADMIN), APPLY_NONROOT_FLAG, userns,
                 "non-root rule with --cap-add: inh = prm = eff = amb = the added ones");
  apply_user_bad (def, BIT (CAP_NET_RAW), userns, "CAP_NET_RAW", "non-root rule: a user cap outside the bounding set");
  if (root)
    {
      apply_is (def, APPLY_NONROOT, false, false, "uid 65534: bounding = default set, effective/permitted empty");
      apply_is (def, APPLY_NONROOT_EXEC, false, false, "uid 65534 after execve: CapEff = CapPrm = 0");
      apply_user_is (more, BIT (CAP_NET_ADMIN), APPLY_NONROOT_EXEC, false,
                     "uid 65534 with --cap-add NET_ADMIN after execve: the ambient set carries it");
    }
  else
    {
      /* the user namespace maps only uid 0: there is no other uid to switch to */
      tap_skip ("caps apply as uid 65534", "needs root to switch uid");
      tap_skip ("caps apply as uid 65534 after execve", "needs root to switch uid");
      tap_skip ("caps apply as uid 65534 with --cap-add after execve", "needs root to switch uid");
    }
}

/* ---- users ---- */

static const char passwd_text[] = "root:x:0:0:root:/root:/bin/sh\n"
                                  "# a comment\n"
                                  "\n"
                                  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                  "tester:x:1000:1000:Test User:/home/tester:/bin/sh\n"
                                  "  spaced:x:1001:1001::/home/spaced:/bin/sh  \r\n"
                                  "nohome:x:1002:1002:::/bin/sh\n"
                                  "broken:x:notanumber:0::/broken:/bin/sh\n"
                                  "short:x:1003\n"
                                  "tester:x:2000:2000:second tester:/nope:/bin/sh\n";

static const char group_text[] = "root:x:0:root\n"
                                 "wheel:x:10:root,tester\n"
                                 "audio:x:63:tester\n"
                                 "tester:x:1000:\n"
                                 "video:x:44:someone,tester2,testers\n"
                                 "staff:x:50:root\n"
                                 "dup:x:63:tester\n";

static void
user_is (int rootfd, const char *spec, uid_t uid, gid_t gid, const char *name, const char *home, const gid_t *groups,
         size_t n_groups)
{
  struct rcr_user u = { 0 };
  rcr_error_t err = NULL;
  int r = rcr_user_resolve (rootfd, spec, &u, &err);
  bool ok = r == 0 && u.uid == uid && u.gid == gid && u.n_groups == n_groups;

  ok = ok && ((name == NULL && u.name == NULL) || (name && u.name && strcmp (name, u.name) == 0));
  ok = ok && u.home && strcmp (u.home, home) == 0;
  for (size_t i = 0; ok && i < n_groups; i++)
    ok = u.groups[i] == groups[i];
  tap_ok (ok, "user \"%s\" -> %u:%u name=%s home=%s groups=%zu", spec, (unsigned)uid, (unsigned)gid,
          name ? name : "(none)", home, n_groups);
  if (!ok)
    {
      printf ("#   r=%d err=%s uid=%u gid=%u name=%s home=%s groups:", r, err ? err->msg : "none", (unsigned)u.uid,
              (unsigned)u.gid, u.name ? u.name : "(null)", u.home ? u.home : "(null)");
      for (size_t i = 0; i < u.n_groups; i++)
        printf (" %u", (unsigned)u.groups[i]);
      printf ("\n");
    }
  rcr_user_clear (&u);
  rcr_error_release (&err);
}

static void
user_fails (int rootfd, const char *spec, const char *needle)
{
  struct rcr_user u = { 0 };
  rcr_error_t err = NULL;
  int r = rcr_user_resolve (rootfd, spec, &u, &err);
  tap_ok (r < 0 && err && strstr (err->msg, needle) && u.name == NULL && u.groups == NULL, "user \"%s\" fails: %s",
          spec, err ? err->msg : "accepted");
  rcr_user_clear (&u);
  rcr_error_release (&err);
}

/* openat2 made to fail with ENOSYS by seccomp: the O_NOFOLLOW walk must still find
   users, and refuse a symlinked passwd. Exit status bits: 1 filter active, 2 tester
   resolved, 4 symlink refused. */
static void
test_user_fallback (int root1, int root_link)
{
  pid_t pid;
  int status;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    bail ("fork");
  if (pid == 0)
    {
      struct rcr_user u = { 0 };
      rcr_error_t err = NULL;
      struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
      scmp_filter_ctx sc = seccomp_init (SCMP_ACT_ALLOW);
      int bits = 0;

      if (sc == NULL || seccomp_rule_add (sc, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (openat2), 0) < 0
          || seccomp_load (sc) < 0)
        _exit (100);
      seccomp_release (sc);
      if (syscall (SYS_openat2, AT_FDCWD, "/", &how, sizeof (how)) < 0 && errno == ENOSYS)
        bits |= 1;
      if (rcr_user_resolve (root1, "tester", &u, &err) == 0 && u.uid == 1000 && u.n_groups == 3)
        bits |= 2;
      rcr_user_clear (&u);
      rcr_error_release (&err);
      if (rcr_user_resolve (root_link, "climber", &u, &err) < 0 && err && strstr (err->msg, "symbolic links"))
        bits |= 4;
      rcr_user_clear (&u);
      rcr_error_release (&err);
      _exit (bits);
    }
  if (waitpid (pid, &status, 0) < 0)
    bail ("waitpid");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 100)
    {
      tap_skip ("users without openat2", "seccomp unavailable");
      return;
    }
  tap_ok (WIFEXITED (status) && WEXITSTATUS (status) == 7,
          "without openat2 (ENOSYS): walk finds \"tester\" and refuses a symlinked passwd (bits %d)",
          WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

static void
test_users (void)
{
  cleanup_close int root1 = -1, bare = -1, link_abs = -1, link_rel = -1, shadow = -1, fifo = -1, big = -1, many = -1;
  cleanup_free char *outside = NULL;
  cleanup_free char *inside_abs = NULL;

  put ("root1/etc/passwd", passwd_text);
  put ("root1/etc/group", group_text);
  root1 = open_root ("root1");

  {
    const gid_t g_root[] = { 0, 10, 50 };
    const gid_t g_tester[] = { 10, 63, 1000 };
    const gid_t g_zero[] = { 0 };
    const gid_t g_audio[] = { 63 };
    const gid_t g_4000[] = { 4000 };
    const gid_t g_wheel[] = { 10 };
    const gid_t g_spaced[] = { 1001 };
    const gid_t g_nohome[] = { 1002 };

    user_is (root1, "", 0, 0, "root", "/root", g_root, 3);
    user_is (root1, "root", 0, 0, "root", "/root", g_root, 3);
    user_is (root1, "tester", 1000, 1000, "tester", "/home/tester", g_tester, 3);
    user_is (root1, "1000", 1000, 1000, "tester", "/home/tester", g_tester, 3);
    user_is (root1, "4242", 4242, 0, NULL, "/", g_zero, 1);
    user_is (root1, "tester:audio", 1000, 63, "tester", "/home/tester", g_audio, 1);
    user_is (root1, "tester:4000", 1000, 4000, "tester", "/home/tester", g_4000, 1);
    user_is (root1, "4242:wheel", 4242, 10, NULL, "/", g_wheel, 1);
    user_is (root1, "spaced", 1001, 1001, "spaced", "/home/spaced", g_spaced, 1);
    user_is (root1, "nohome", 1002, 1002, "nohome", "/", g_nohome, 1);
  }
  user_fails (root1, "tester2", "unable to find user tester2: no matching entries in passwd file");
  user_fails (root1, "broken", "unable to find user broken");
  user_fails (root1, "short", "unable to find user short");
  user_fails (root1, "tester:nosuch", "unable to find group nosuch: no matching entries in group file");
  user_fails (root1, "-1", "uids and gids must be in range 0-2147483647");
  user_fails (root1, "2147483648", "uids and gids must be in range");
  user_fails (root1, "tester:99999999999", "uids and gids must be in range");

  /* no /etc at all: numeric ids work, names do not */
  bare = open_root ("bare");
  {
    const gid_t g_1234[] = { 1234 };
    user_is (bare, "", 0, 0, NULL, "/", NULL, 0);
    user_is (bare, "1234:1234", 1234, 1234, NULL, "/", g_1234, 1);
  }
  user_fails (bare, "tester", "unable to find user tester: no matching entries in passwd file");
  user_fails (bare, "0:wheel", "unable to find group wheel");

  /* passwd is an absolute symlink to a host file: it must resolve inside the root,
     where a different file with the same path exists */
  put ("outside/passwd", "evil:x:0:0::/evil:/bin/sh\n");
  outside = tpath ("outside/passwd");
  inside_abs = rcr_strdup_printf ("link_abs%s", outside);
  put (inside_abs, "inroot:x:7:7::/in:/bin/sh\n");
  put_symlink ("link_abs/etc/passwd", outside);
  link_abs = open_root ("link_abs");
  if (have_openat2)
    {
      const gid_t g_7[] = { 7 };
      user_is (link_abs, "inroot", 7, 7, "inroot", "/in", g_7, 1);
    }
  else
    user_fails (link_abs, "inroot", "symbolic links");
  user_fails (link_abs, "evil", have_openat2 ? "unable to find user evil" : "symbolic links");

  /* "../" climbing out of the root stops at the root */
  put ("link_rel/shadowlike", "climber:x:8:8::/c:/bin/sh\n");
  put_symlink ("link_rel/etc/passwd", "../../../../../../../../../../shadowlike");
  link_rel = open_root ("link_rel");
  if (have_openat2)
    {
      const gid_t g_8[] = { 8 };
      user_is (link_rel, "climber", 8, 8, "climber", "/c", g_8, 1);
    }
  else
    user_fails (link_rel, "climber", "symbolic links");

  /* the host's /etc/shadow is never read through a link to it */
  put_symlink ("shadow/etc/passwd", "/etc/shadow");
  shadow = open_root ("shadow");
  user_fails (shadow, "root", have_openat2 ? "unable to find user root" : "symbolic links");

  /* a FIFO would block a plain open; it is refused instead */
  {
    cleanup_free char *fifo_path = tpath ("fifo/etc/passwd");
    put ("fifo/etc/group", "");
    if (mkfifo (fifo_path, 0644) < 0)
      bail ("mkfifo");
    fifo = open_root ("fifo");
    user_fails (fifo, "tester", "is not a regular file");
  }

  /* a passwd over 16 MiB is refused */
  {
    cleanup_free char *big_path = tpath ("big/etc/passwd");
    cleanup_close int fd = -1;
    put ("big/etc/passwd", "");
    fd = open (big_path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate (fd, 17 * 1024 * 1024) < 0)
      bail ("ftruncate");
    big = open_root ("big");
    user_fails (big, "tester", "larger than 16 MiB");
  }

  /* more than 65536 groups is an error rather than a setgroups failure later */
  {
    size_t n = 70000, len = 0;
    cleanup_free char *text = rcr_xmalloc0 (n * 32);
    for (size_t i = 0; i < n; i++)
      len += (size_t)snprintf (text + len, n * 32 - len, "g%zu:x:%zu:tester\n", i, 100000 + i);
    put ("many/etc/passwd", "tester:x:1000:1000::/home/tester:/bin/sh\n");
    put ("many/etc/group", text);
    many = open_root ("many");
    user_fails (many, "tester", "at most 65536 are allowed");
    {
      const gid_t g_1000[] = { 1000 };
      user_is (many, "tester:1000", 1000, 1000, "tester", "/home/tester", g_1000, 1);
    }
  }

  test_user_fallback (root1, link_rel);
}

/* ---- ulimits ---- */

static void
ulimit_is (const char *spec, int resource, rlim_t soft, rlim_t hard)
{
  struct rcr_ulimit u = { 0 };
  rcr_error_t err = NULL;
  int r = rcr_ulimit_parse (spec, &u, &err);
  tap_ok (r == 0 && u.resource == resource && u.lim.rlim_cur == soft && u.lim.rlim_max == hard, "ulimit \"%s\"%s%s",
          spec, err ? ": " : "", err ? err->msg : "");
  rcr_error_release (&err);
}

static void
ulimit_bad (const char *spec, const char *needle)
{
  struct rcr_ulimit u = { 0 };
  rcr_error_t err = NULL;
  int r = rcr_ulimit_parse (spec, &u, &err);
  tap_ok (r < 0 && err && strstr (err->msg, needle), "ulimit \"%s\" rejected (%s)", spec, err ? err->msg : "accepted");
  rcr_error_release (&err);
}

static void
test_ulimits (void)
{
  ulimit_is ("nofile=1024:2048", RLIMIT_NOFILE, 1024, 2048);
  ulimit_is ("nproc=512", RLIMIT_NPROC, 512, 512);
  ulimit_is ("core=-1", RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY);
  ulimit_is ("memlock=8192:-1", RLIMIT_MEMLOCK, 8192, RLIM_INFINITY);
  ulimit_is ("stack=infinity", RLIMIT_STACK, RLIM_INFINITY, RLIM_INFINITY);
  ulimit_is ("rttime=0:0", RLIMIT_RTTIME, 0, 0);
  ulimit_is ("sigpending=9223372036854775807", RLIMIT_SIGPENDING, 9223372036854775807ULL, 9223372036854775807ULL);
  ulimit_bad ("nofile=2048:1024", "soft limit must be less than or equal to the hard limit");
  ulimit_bad ("nofile=-1:1024", "soft limit must be less than or equal to the hard limit");
  ulimit_bad ("bogus=1", "invalid ulimit type \"bogus\"");
  ulimit_bad ("as=1024", "invalid ulimit type \"as\"");
  ulimit_bad ("NOFILE=1", "invalid ulimit type");
  ulimit_bad ("nofile", "expected NAME=SOFT[:HARD]");
  ulimit_bad ("nofile=", "is not a number");
  ulimit_bad ("nofile=abc", "value \"abc\" is not a number");
  ulimit_bad ("nofile=1:2:3", "too many values");
  ulimit_bad ("nofile=-5", "is not a number");
  ulimit_bad ("nofile=10k", "is not a number");
  ulimit_bad ("nofile=9223372036854775808", "out of range");
  tap_is_str (rcr_ulimit_name (RLIMIT_NOFILE), "nofile", "ulimit name of RLIMIT_NOFILE");
  tap_is_str (rcr_ulimit_name (RLIMIT_AS), "as", "ulimit name of RLIMIT_AS");
  tap_ok (rcr_ulimit_name (999) == NULL, "ulimit name of an unknown resource is NULL");
}

/* ---- environment ---- */

static void
test_env (void)
{
  cleanup_strv char **env = NULL;
  size_t n = 0;
  rcr_error_t err = NULL;
  cleanup_free char *file = tpath ("env/good.env");
  cleanup_free char *bad = tpath ("env/bad.env");
  cleanup_free char *missing = tpath ("env/missing.env");
  int r;

  setenv ("RCR_T_HOSTVAR", "fromhost", 1);
  setenv ("RCR_T_PFX_A", "1", 1);
  setenv ("RCR_T_PFX_B", "2", 1);
  unsetenv ("RCR_T_UNSET");
  put ("env/good.env", "# a comment\n"
                       "   # an indented comment\n"
                       "\n"
                       "   \t\n"
                       "FOO=bar\n"
                       "  SPACED=  two words  \n"
                       "EMPTY=\n"
                       "QUOTED=\"q\"\n"
                       "EQ=a=b\n"
                       "RCR_T_HOSTVAR\n"
                       "RCR_T_UNSET\n"
                       "RCR_T_PFX_*\n"
                       "FOO=override\n"
                       "WIN=crlf\r\n"
                       "LAST=no newline");
  rcr_env_set (&env, &n, "PATH=/bin");
  rcr_env_set (&env, &n, "FOO=orig");
  r = rcr_env_file_read (file, &env, &n, &err);
  tap_ok (r == 0, "env file read%s%s", err ? ": " : "", err ? err->msg : "");
  rcr_error_release (&err);
  tap_is_str (env[1], "FOO=override", "a later KEY replaces the earlier entry in place");
  tap_is_str (rcr_env_get (env, "SPACED"), "  two words  ", "leading blanks of the line go, the value is verbatim");
  tap_is_str (rcr_env_get (env, "EMPTY"), "", "KEY= is an empty value");
  tap_is_str (rcr_env_get (env, "QUOTED"), "\"q\"", "quotes are kept, as podman and docker");
  tap_is_str (rcr_env_get (env, "EQ"), "a=b", "the value may contain '='");
  tap_is_str (rcr_env_get (env, "RCR_T_HOSTVAR"), "fromhost", "bare KEY takes the caller's value");
  tap_ok (rcr_env_get (env, "RCR_T_UNSET") == NULL, "bare KEY unset in the caller is skipped");
  tap_ok (rcr_env_get (env, "RCR_T_PFX_A") && rcr_env_get (env, "RCR_T_PFX_B")
              && strcmp (rcr_env_get (env, "RCR_T_PFX_B"), "2") == 0,
          "KEY* imports every caller variable with the prefix");
  tap_is_str (rcr_env_get (env, "WIN"), "crlf", "a CRLF line ending loses the CR");
  tap_is_str (rcr_env_get (env, "LAST"), "no newline", "last line without a newline");
  tap_ok (rcr_env_get (env, "# a comment") == NULL && n == rcr_strv_len (env) && n == 11,
          "comments and blank lines are skipped; count matches the vector (%zu)", n);

  put ("env/bad.env", "OK=1\n=A\n");
  r = rcr_env_file_read (bad, &env, &n, &err);
  tap_ok (r < 0 && err && strstr (err->msg, "line 2") && strstr (err->msg, "invalid variable \"=A\""),
          "a line starting with '=' is an error naming the line (%s)", err ? err->msg : "accepted");
  rcr_error_release (&err);
  r = rcr_env_file_read (missing, &env, &n, &err);
  tap_ok (r < 0 && err && strstr (err->msg, "missing.env") && err->status == ENOENT, "a missing env file (%s)",
          err ? err->msg : "accepted");
  rcr_error_release (&err);

  {
    size_t before;
    rcr_env_set (&env, &n, "PATH=/usr/bin:/bin");
    before = n;
    rcr_env_set (&env, &n, "RCR_T_UNSET");
    rcr_env_set (&env, &n, "=nothing");
    rcr_env_set (&env, &n, "");
    tap_ok (strcmp (env[0], "PATH=/usr/bin:/bin") == 0 && n == before, "env_set replaces PATH; bare unset, '=x' "
                                                                       "and \"\" add nothing");
    rcr_env_set (&env, &n, "NEW=1");
    tap_ok (n == before + 1 && strcmp (env[n - 1], "NEW=1") == 0 && env[n] == NULL, "env_set appends a new KEY");
  }
  tap_ok (rcr_env_get (env, "PAT") == NULL && rcr_env_get (NULL, "PATH") == NULL
              && strcmp (rcr_env_get (env, "PATH"), "/usr/bin:/bin") == 0,
          "env_get matches whole names only");
}

/* ---- names ---- */

static bool
lower_underscore_lower (const char *s)
{
  const char *u = strchr (s, '_');
  return u && u != s && u[1] && strspn (s, "abcdefghijklmnopqrstuvwxyz") == (size_t)(u - s)
         && strspn (u + 1, "abcdefghijklmnopqrstuvwxyz") == strlen (u + 1);
}

static void
test_names (void)
{
  bool all_ok = true, distinct = false;
  cleanup_free char *first = rcr_name_generate ();

  for (int i = 0; i < 200; i++)
    {
      cleanup_free char *n = rcr_name_generate ();
      if (!rcr_name_valid (n) || !lower_underscore_lower (n))
        {
          all_ok = false;
          printf ("#   bad name %s\n", n);
        }
      if (strcmp (n, first) != 0)
        distinct = true;
    }
  tap_ok (all_ok && lower_underscore_lower (first), "generated names look like adjective_surname (%s)", first);
  tap_ok (distinct, "generated names vary");
  tap_ok (rcr_name_valid ("web") && rcr_name_valid ("a") && rcr_name_valid ("my-app_1.0") && rcr_name_valid ("0abc")
              && rcr_name_valid ("A.B-C_d"),
          "valid names accepted");
  tap_ok (!rcr_name_valid (NULL) && !rcr_name_valid ("") && !rcr_name_valid ("_x") && !rcr_name_valid (".x")
              && !rcr_name_valid ("-x") && !rcr_name_valid ("a b") && !rcr_name_valid ("a/b")
              && !rcr_name_valid ("caf\xc3\xa9") && !rcr_name_valid ("a:b"),
          "invalid names refused");
}

int
main (void)
{
  char tmpl[] = "/tmp/rcr-test-process-XXXXXX";
  rcr_error_t err = NULL;

  /* the parent of the forked children must not die of a closed pipe */
  signal (SIGPIPE, SIG_IGN);
  tmp = mkdtemp (tmpl);
  if (tmp == NULL)
    bail ("mkdtemp");
  {
    struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
    int fd = (int)syscall (SYS_openat2, AT_FDCWD, "/", &how, sizeof (how));
    have_openat2 = fd >= 0 || errno != ENOSYS;
    if (fd >= 0)
      close (fd);
    if (!have_openat2)
      printf ("# openat2 unavailable: symlinked passwd files are expected to be refused\n");
  }

  test_caps_logic ();
  test_caps_apply ();
  test_users ();
  test_ulimits ();
  test_env ();
  test_names ();

  if (rcr_rm_rf (tmp, &err) < 0)
    {
      printf ("# cleanup: %s\n", err->msg);
      rcr_error_release (&err);
    }
  return tap_done ();
}
