/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp filters are checked by behaviour: each probe runs in a forked child that
   loads the filter and makes one real syscall; the result comes back through a pipe. The
   test process itself never loads a filter. A syscall the profile allows must behave
   exactly as it does unfiltered, whatever this process's privileges make of it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/seccomp.h"
#include "tap.h"

#define CAPB(n) (UINT64_C (1) << (n))

/* Podman's 11 default capabilities. */
static const uint64_t podman_caps = CAPB (CAP_CHOWN) | CAPB (CAP_DAC_OVERRIDE) | CAPB (CAP_FOWNER) | CAPB (CAP_FSETID)
                                    | CAPB (CAP_KILL) | CAPB (CAP_NET_BIND_SERVICE) | CAPB (CAP_SETFCAP)
                                    | CAPB (CAP_SETGID) | CAPB (CAP_SETPCAP) | CAPB (CAP_SETUID)
                                    | CAPB (CAP_SYS_CHROOT);

struct outcome
{
  int loaded; /* 1 when the filter loaded (or none was asked for) */
  long ret;
  int err;    /* errno when ret < 0 */
  int signal; /* the signal that killed the child, 0 when it exited */
};

typedef long (*probe_fn) (void);

/* Valgrind emulates syscalls (ENOSYS for kexec_load...) and its own syscalls trip the
   filters: under it only the building and parsing, and their memory, are checked. */
static int under_valgrind;

static int
skip_probe (const char *what)
{
  if (under_valgrind)
    tap_ok (1, "%s # SKIP syscall probes under valgrind", what);
  return under_valgrind;
}

static struct outcome
run (struct rcr_seccomp *filter, probe_fn fn)
{
  struct outcome o = { 0 };
  int fds[2], status;
  pid_t pid;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    abort ();
  pid = fork ();
  if (pid < 0)
    abort ();
  if (pid == 0)
    {
      rcr_error_t err = NULL;

      close (fds[0]);
      o.loaded = 1;
      /* What the runtime does for an unprivileged container process. */
      if (filter != NULL && (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || rcr_seccomp_load (filter, &err) < 0))
        o.loaded = 0;
      else
        {
          errno = 0;
          o.ret = fn ();
          o.err = o.ret < 0 ? errno : 0;
        }
      if (write (fds[1], &o, sizeof (o)) != sizeof (o))
        _exit (2);
      _exit (0);
    }
  close (fds[1]);
  if (read (fds[0], &o, sizeof (o)) != sizeof (o))
    o.loaded = -1;
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      abort ();
  if (WIFSIGNALED (status))
    o.signal = WTERMSIG (status);
  return o;
}

/* The filtered call failed with exactly this errno. */
static void
expect_errno (struct rcr_seccomp *f, probe_fn fn, int want, const char *what)
{
  struct outcome o;

  if (skip_probe (what))
    return;
  o = run (f, fn);
  tap_ok (o.loaded == 1 && o.ret == -1 && o.err == want, "%s fails with %s", what, strerrorname_np (want));
  if (!(o.loaded == 1 && o.ret == -1 && o.err == want))
    printf ("#   loaded=%d ret=%ld errno=%s signal=%d\n", o.loaded, o.ret, strerrorname_np (o.err), o.signal);
}

/* The filter lets the call through: the result is the one it has without a filter. */
static void
expect_unfiltered (struct rcr_seccomp *f, probe_fn fn, const char *what)
{
  struct outcome bare, o;
  int same;

  if (skip_probe (what))
    return;
  bare = run (NULL, fn);
  o = run (f, fn);
  same = o.loaded == 1 && o.signal == 0 && (o.ret < 0) == (bare.ret < 0) && o.err == bare.err;
  tap_ok (same, "%s is let through (result %s)", what, bare.ret < 0 ? strerrorname_np (bare.err) : "success");
  if (!same)
    printf ("#   filtered: loaded=%d ret=%ld errno=%s signal=%d; unfiltered: ret=%ld errno=%s\n", o.loaded, o.ret,
            strerrorname_np (o.err), o.signal, bare.ret, strerrorname_np (bare.err));
}

static void
expect_signal (struct rcr_seccomp *f, probe_fn fn, int sig, const char *what)
{
  struct outcome o;

  if (skip_probe (what))
    return;
  o = run (f, fn);
  tap_ok (o.signal == sig, "%s is killed by %s", what, sigabbrev_np (sig));
  if (o.signal != sig)
    printf ("#   loaded=%d ret=%ld errno=%s signal=%d\n", o.loaded, o.ret, strerrorname_np (o.err), o.signal);
}

/* ---- probes ----------------------------------------------------------------------------- */

static long
p_getpid (void)
{
  return syscall (SYS_getpid);
}
static long
p_write (void)
{
  int fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd < 0 ? -1 : syscall (SYS_write, fd, "x", 1);
}
static long
p_clock_gettime (void)
{
  struct timespec ts;
  return syscall (SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
}
static long
p_kexec_load (void)
{
  return syscall (SYS_kexec_load, 0, 0, NULL, 0);
}
static long
p_kexec_file_load (void)
{
  return syscall (SYS_kexec_file_load, -1, -1, 0, NULL, 0);
}
static long
p_open_by_handle_at (void)
{
  return syscall (SYS_open_by_handle_at, -1, NULL, 0);
}
static long
p_bpf (void)
{
  return syscall (SYS_bpf, -1, NULL, 0);
}
static long
p_perf_event_open (void)
{
  return syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0);
}
static long
p_userfaultfd (void)
{
  return syscall (SYS_userfaultfd, 0);
}
static long
p_init_module (void)
{
  return syscall (SYS_init_module, NULL, 0, "");
}
static long
p_add_key (void)
{
  return syscall (SYS_add_key, NULL, NULL, NULL, 0, 0);
}
static long
p_request_key (void)
{
  return syscall (SYS_request_key, NULL, NULL, NULL, 0);
}
static long
p_nr_1000 (void)
{
  return syscall (1000);
}
static long
p_keyctl (void)
{
  return syscall (SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2 /* process keyring */, 0);
}
static long
p_unshare_user (void)
{
  return syscall (SYS_unshare, CLONE_NEWUSER);
}
static long
p_mount (void)
{
  return syscall (SYS_mount, "none", "/nonexistent/rcr-seccomp-test", "tmpfs", 0, NULL);
}
static long
p_clone3 (void)
{
  return syscall (SYS_clone3, NULL, 0);
}
static long
p_setns (void)
{
  return syscall (SYS_setns, -1, 0);
}
static long
p_ptrace (void)
{
  return syscall (SYS_ptrace, 0x7fff, 0, NULL, NULL);
}
static long
p_kcmp (void)
{
  pid_t me = getpid ();
  return syscall (SYS_kcmp, me, me, 0 /* KCMP_FILE */, 0, 0);
}
static long
p_chroot (void)
{
  return syscall (SYS_chroot, "/nonexistent/rcr-seccomp-test");
}
/* CLOCK_MONOTONIC cannot be set: EINVAL when the filter lets the call through. */
static long
p_clock_settime (void)
{
  struct timespec ts = { 0 };
  return syscall (SYS_clock_settime, CLOCK_MONOTONIC, &ts);
}
/* A length over 64 is refused (after the capability check) without changing anything. */
static long
p_sethostname (void)
{
  static char name[1000];
  return syscall (SYS_sethostname, name, sizeof (name));
}
static long
p_personality_query (void)
{
  return syscall (SYS_personality, 0xffffffff);
}
static long
p_personality_exec (void)
{
  return syscall (SYS_personality, 0x0400000 /* READ_IMPLIES_EXEC */);
}
static long
p_socket_audit (void)
{
  return syscall (SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
}
static long
p_socket_unix (void)
{
  return syscall (SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}
#ifdef __x86_64__
static long
p_ioperm (void)
{
  return syscall (SYS_ioperm, 0, 0, 0);
}
/* getpid through the 32-bit ABI (int $0x80, i386 number 20). Without ia32 emulation the
   instruction faults: SIGSEGV goes back to its default (past a sanitizer's handler) so
   the child just dies of it. */
static long
p_getpid_ia32 (void)
{
  struct
  {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
  } dfl = { SIG_DFL, 0, NULL, 0 };
  long r;

  syscall (SYS_rt_sigaction, SIGSEGV, &dfl, NULL, sizeof (dfl.mask));
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
  return r;
}
#endif
static long
p_mkdir (void)
{
  return syscall (SYS_mkdir, "/nonexistent/rcr-seccomp-test", 0755);
}
static long
p_mkdirat_sticky (void)
{
  return syscall (SYS_mkdirat, AT_FDCWD, "/nonexistent/rcr-seccomp-test", 01755);
}
static long
p_mkdirat_plain (void)
{
  return syscall (SYS_mkdirat, AT_FDCWD, "/nonexistent/rcr-seccomp-test", 0755);
}
static long
p_fchdir_100 (void)
{
  return syscall (SYS_fchdir, 100);
}
static long
p_fchdir_101 (void)
{
  return syscall (SYS_fchdir, 101);
}
static long
p_fchdir_102 (void)
{
  return syscall (SYS_fchdir, 102);
}
static long
p_rmdir (void)
{
  return syscall (SYS_rmdir, "/nonexistent/rcr-seccomp-test");
}
static long
p_getppid (void)
{
  return syscall (SYS_getppid);
}

/* ---- profile files ---------------------------------------------------------------------- */

static char tmpdir[] = "/tmp/rcr-unit-seccomp-XXXXXX";

static char *
profile (const char *name, const char *json)
{
  char *path = rcr_strdup_printf ("%s/%s.json", tmpdir, name);
  rcr_error_t err = NULL;
  if (rcr_write_file_atomic (path, json, strlen (json), 0644, &err) < 0)
    abort ();
  return path;
}

static struct rcr_seccomp *
load_profile (const char *name, const char *json, uint64_t caps)
{
  cleanup_free char *path = profile (name, json);
  struct rcr_seccomp *f = NULL;
  rcr_error_t err = NULL;

  if (rcr_seccomp_from_file (path, caps, &f, &err) < 0)
    {
      printf ("# %s: %s\n", name, err->msg);
      rcr_error_release (&err);
    }
  return f;
}

/* The profile is refused, with a message naming the file and containing `want`. */
static void
expect_refused (const char *name, const char *json, const char *want)
{
  cleanup_free char *path = profile (name, json);
  struct rcr_seccomp *f = NULL;
  rcr_error_t err = NULL;
  int ret = rcr_seccomp_from_file (path, podman_caps, &f, &err);
  int good = ret < 0 && f == NULL && err != NULL && strstr (err->msg, path) && strstr (err->msg, want);

  tap_ok (good, "%s is refused with \"...%s...\"", name, want);
  if (!good)
    printf ("#   ret=%d msg=%s\n", ret, err ? err->msg : "(none)");
  rcr_error_release (&err);
  rcr_seccomp_free (f);
}

static void
test_default_profile (void)
{
  struct rcr_seccomp *f = NULL, *g = NULL;
  rcr_error_t err = NULL;

  tap_ok (rcr_seccomp_default (podman_caps, &f, &err) == 0 && f != NULL, "default profile with podman's caps");
  if (f == NULL)
    {
      printf ("# %s\n", err->msg);
      rcr_error_release (&err);
      return;
    }

  if (!skip_probe ("getpid works under the filter"))
    {
      struct outcome o = run (f, p_getpid);
      tap_ok (o.loaded == 1 && o.ret > 0, "getpid works under the filter");
    }
  if (!skip_probe ("open + write work under the filter"))
    {
      struct outcome o = run (f, p_write);
      tap_ok (o.loaded == 1 && o.ret == 1, "open + write work under the filter");
    }
  if (!skip_probe ("clock_gettime works under the filter"))
    {
      struct outcome o = run (f, p_clock_gettime);
      tap_ok (o.loaded == 1 && o.ret == 0, "clock_gettime works under the filter");
    }

  /* Denied outright (EPERM), whatever the kernel would have said. */
  expect_errno (f, p_kexec_load, EPERM, "kexec_load");
  expect_errno (f, p_kexec_file_load, EPERM, "kexec_file_load");
  expect_errno (f, p_open_by_handle_at, EPERM, "open_by_handle_at without CAP_DAC_READ_SEARCH");
  expect_errno (f, p_bpf, EPERM, "bpf without CAP_SYS_ADMIN/CAP_BPF");
  expect_errno (f, p_perf_event_open, EPERM, "perf_event_open without CAP_SYS_ADMIN/CAP_PERFMON");
  expect_errno (f, p_userfaultfd, EPERM, "userfaultfd");
  expect_errno (f, p_init_module, EPERM, "init_module without CAP_SYS_MODULE");
  expect_errno (f, p_kcmp, EPERM, "kcmp without CAP_SYS_PTRACE");
  expect_errno (f, p_clock_settime, EPERM, "clock_settime without CAP_SYS_TIME");
  expect_errno (f, p_sethostname, EPERM, "sethostname without CAP_SYS_ADMIN");
#ifdef __x86_64__
  expect_errno (f, p_ioperm, EPERM, "ioperm without CAP_SYS_RAWIO");
#endif

  /* Syscalls the profile does not know: the default action, ENOSYS, so callers fall back. */
  expect_errno (f, p_add_key, ENOSYS, "add_key (not in the profile)");
  expect_errno (f, p_request_key, ENOSYS, "request_key (not in the profile)");
  expect_errno (f, p_nr_1000, ENOSYS, "syscall number 1000");
  expect_errno (f, p_personality_exec, ENOSYS, "personality(READ_IMPLIES_EXEC) (no matching argument rule)");

  /* Allowed by Podman's profile: the user namespace, not seccomp, confines these. */
  expect_unfiltered (f, p_keyctl, "keyctl");
  expect_unfiltered (f, p_unshare_user, "unshare(CLONE_NEWUSER)");
  expect_unfiltered (f, p_mount, "mount");
  expect_unfiltered (f, p_clone3, "clone3");
  expect_unfiltered (f, p_ptrace, "ptrace");
  /* setns is in the allow list; the later EPERM rule without CAP_SYS_ADMIN is a no-op in
     libseccomp (first unconditional rule wins), in Podman as here. */
  expect_unfiltered (f, p_setns, "setns without CAP_SYS_ADMIN");
  expect_unfiltered (f, p_chroot, "chroot with CAP_SYS_CHROOT");
  expect_unfiltered (f, p_personality_query, "personality(0xffffffff)");
  expect_unfiltered (f, p_socket_unix, "socket(AF_UNIX)");
  expect_errno (f, p_socket_audit, EINVAL, "socket(AF_NETLINK, NETLINK_AUDIT) without CAP_AUDIT_WRITE");

#ifdef __x86_64__
  if (!skip_probe ("32-bit x86 ABI is filtered, not killed"))
    {
      struct outcome bare = run (NULL, p_getpid_ia32);
      if (bare.signal != 0 || bare.loaded != 1)
        tap_ok (1, "32-bit x86 ABI is filtered, not killed # SKIP kernel without ia32 emulation");
      else
        {
          struct outcome o = run (f, p_getpid_ia32);
          tap_ok (o.loaded == 1 && o.signal == 0 && o.ret > 0, "32-bit x86 ABI is filtered, not killed");
        }
    }
#endif
  rcr_seccomp_free (f);
  f = NULL;

  /* Capabilities decide the conditional rules. */
  tap_ok (rcr_seccomp_default (podman_caps & ~CAPB (CAP_SYS_CHROOT), &f, &err) == 0, "default profile, no chroot");
  expect_errno (f, p_chroot, EPERM, "chroot without CAP_SYS_CHROOT");
  rcr_seccomp_free (f);

  tap_ok (rcr_seccomp_default (podman_caps | CAPB (CAP_SYS_ADMIN) | CAPB (CAP_SYS_TIME) | CAPB (CAP_SYS_RAWIO)
                                   | CAPB (CAP_SYS_PTRACE),
                               &g, &err)
              == 0,
          "default profile with CAP_SYS_ADMIN, CAP_SYS_TIME, CAP_SYS_RAWIO, CAP_SYS_PTRACE");
  expect_unfiltered (g, p_sethostname, "sethostname with CAP_SYS_ADMIN");
  expect_errno (g, p_clock_settime, EINVAL, "clock_settime(CLOCK_MONOTONIC) with CAP_SYS_TIME reaches the kernel:");
  expect_unfiltered (g, p_kcmp, "kcmp with CAP_SYS_PTRACE");
#ifdef __x86_64__
  expect_unfiltered (g, p_ioperm, "ioperm with CAP_SYS_RAWIO");
#endif
  /* Podman's profile has an allow rule for perf_event_open only under CAP_PERFMON, and its
     EPERM rule excludes CAP_SYS_ADMIN: the call falls to the default action. */
  expect_errno (g, p_perf_event_open, ENOSYS, "perf_event_open with CAP_SYS_ADMIN only");
  expect_unfiltered (g, p_bpf, "bpf with CAP_SYS_ADMIN");
  rcr_seccomp_free (g);

  g = NULL;
  tap_ok (rcr_seccomp_default (podman_caps | CAPB (CAP_PERFMON) | CAPB (CAP_BPF), &g, &err) == 0,
          "default profile with CAP_PERFMON and CAP_BPF");
  /* The CAP_SYS_ADMIN group's EPERM rule names perf_event_open and comes first: CAP_PERFMON
     alone does not open it, in Podman as here. */
  expect_errno (g, p_perf_event_open, EPERM, "perf_event_open with CAP_PERFMON but not CAP_SYS_ADMIN");
  expect_unfiltered (g, p_bpf, "bpf with CAP_BPF");
  rcr_seccomp_free (g);

  g = NULL;
  tap_ok (rcr_seccomp_default (podman_caps | CAPB (CAP_PERFMON) | CAPB (CAP_SYS_ADMIN), &g, &err) == 0,
          "default profile with CAP_PERFMON and CAP_SYS_ADMIN");
  expect_unfiltered (g, p_perf_event_open, "perf_event_open with CAP_PERFMON and CAP_SYS_ADMIN");
  rcr_seccomp_free (g);
  rcr_error_release (&err);
}

static void
test_json_profiles (void)
{
  struct rcr_seccomp *f;
  rcr_error_t err = NULL;

  f = load_profile ("mkdir-errno",
                    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                    "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 122},"
                    "  {\"name\": \"rmdir\", \"action\": \"SCMP_ACT_ERRNO\", \"errno\": \"EROFS\"},"
                    "  {\"names\": [\"no_such_syscall_rcr\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                    podman_caps);
  tap_ok (f != NULL, "ALLOW profile with ERRNO rules loads (unknown syscall names are skipped)");
  expect_errno (f, p_mkdir, 122, "mkdir under errnoRet 122:");
  expect_errno (f, p_rmdir, EROFS, "rmdir under errno \"EROFS\":");
  expect_unfiltered (f, p_getpid, "getpid under defaultAction ALLOW");
  rcr_seccomp_free (f);

  f = load_profile (
      "args",
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
      "  {\"names\": [\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 30,"
      "   \"args\": [{\"index\": 2, \"value\": 3584, \"valueTwo\": 512, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
      "  {\"names\": [\"fchdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 52,"
      "   \"args\": [{\"index\": 0, \"value\": 100, \"op\": \"SCMP_CMP_EQ\"},"
      "              {\"index\": 0, \"value\": 101, \"op\": \"SCMP_CMP_EQ\"}]}]}",
      podman_caps);
  tap_ok (f != NULL, "profile with argument rules loads");
  expect_errno (f, p_mkdirat_sticky, EROFS, "mkdirat with the sticky bit (MASKED_EQ matches)");
  expect_unfiltered (f, p_mkdirat_plain, "mkdirat without the sticky bit");
  expect_errno (f, p_fchdir_100, EBADE, "fchdir(100), first of two comparisons on one argument,");
  expect_errno (f, p_fchdir_101, EBADE, "fchdir(101), second of two comparisons on one argument,");
  expect_unfiltered (f, p_fchdir_102, "fchdir(102)");
  rcr_seccomp_free (f);

  {
    const char *json = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                       "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
                       "   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
                       "  {\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
                       "   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_BPF\"]}},"
                       "  {\"names\": [\"fchdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
                       "   \"includes\": {\"minKernel\": \"999.0\"}},"
                       "  {\"names\": [\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
                       "   \"includes\": {\"minKernel\": \"2.6\", \"arches\": [\"amd64\", \"arm64\", \"s390x\","
                       "                  \"ppc64le\", \"riscv64\", \"x86\", \"arm\"]}}]}";
    f = load_profile ("conditions", json, podman_caps);
    tap_ok (f != NULL, "profile with includes/excludes loads");
    expect_unfiltered (f, p_mkdir, "includes caps CAP_SYS_ADMIN without it: rule skipped;");
    expect_errno (f, p_rmdir, EPERM, "excludes caps without them: rule applies;");
    expect_unfiltered (f, p_fchdir_102, "includes minKernel 999.0: rule skipped;");
    expect_errno (f, p_mkdirat_plain, EPERM, "includes minKernel 2.6 and the native arch: rule applies;");
    rcr_seccomp_free (f);

    f = load_profile ("conditions-admin", json, podman_caps | CAPB (CAP_SYS_ADMIN));
    expect_errno (f, p_mkdir, EPERM, "includes caps CAP_SYS_ADMIN with it: rule applies;");
    expect_unfiltered (f, p_rmdir, "excludes caps with CAP_SYS_ADMIN: rule skipped;");
    rcr_seccomp_free (f);
  }

  f = load_profile ("docker-style",
                    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": ["
                    "  {\"architecture\": \"SCMP_ARCH_RISCV64\", \"subArchitectures\": null},"
                    "  {\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]},"
                    "  {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],"
                    " \"syscalls\": ["
                    "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
                    "   \"comment\": \"excluded by an arch or a cap\","
                    "   \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"arches\": [\"s390\", \"s390x\"]}},"
                    "  {\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
                    "   \"excludes\": {\"caps\": [\"CAP_NOT_A_CAP\"], \"arches\": [\"amd64\", \"arm64\","
                    "   \"riscv64\", \"ppc64le\", \"s390x\", \"x86\", \"arm\"]}}]}",
                    podman_caps);
  tap_ok (f != NULL, "Docker-style profile (archMap with null subArchitectures, comments) loads");
  expect_errno (f, p_mkdir, EPERM, "excludes neither cap nor arch matching: rule applies;");
  expect_unfiltered (f, p_rmdir, "excludes listing the native arch: rule skipped;");
  rcr_seccomp_free (f);

  f = load_profile (
      "errno-default",
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrno\": \"EACCES\", \"syscalls\": ["
      "  {\"names\": [\"write\", \"exit\", \"exit_group\", \"getpid\", \"rt_sigreturn\", \"brk\","
      "              \"mmap\", \"munmap\", \"rt_sigprocmask\", \"gettid\", \"close\", \"sigaltstack\", \"madvise\"],"
      "   \"action\": \"SCMP_ACT_ALLOW\"}]}",
      podman_caps);
  tap_ok (f != NULL, "allow-list profile with defaultErrno loads");
  expect_unfiltered (f, p_getpid, "getpid in the allow list");
  expect_errno (f, p_getppid, EACCES, "getppid under defaultErrno \"EACCES\":");
  rcr_seccomp_free (f);

  /* libseccomp asks the kernel which actions exist; valgrind does not answer. */
  f = NULL;
  if (!skip_probe ("profile with KILL_PROCESS, TRAP and LOG rules loads"))
    {
      f = load_profile ("kill",
                        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [], \"syscalls\": ["
                        "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
                        "  {\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_TRAP\"},"
                        "  {\"names\": [\"fchdir\"], \"action\": \"SCMP_ACT_LOG\"}]}",
                        podman_caps);
      tap_ok (f != NULL, "profile with KILL_PROCESS, TRAP and LOG rules loads");
    }
  expect_signal (f, p_mkdir, SIGSYS, "mkdir under SCMP_ACT_KILL_PROCESS");
  expect_signal (f, p_rmdir, SIGSYS, "rmdir under SCMP_ACT_TRAP");
  expect_unfiltered (f, p_fchdir_102, "fchdir under SCMP_ACT_LOG");
  rcr_seccomp_free (f);

  if (!skip_probe ("profile with the LOG, TSYNC and SPEC_ALLOW flags loads"))
    {
      f = load_profile ("flags",
                        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\","
                        " \"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"], \"syscalls\": ["
                        "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                        podman_caps);
      tap_ok (f != NULL, "profile with the LOG, TSYNC and SPEC_ALLOW flags loads");
      rcr_seccomp_free (f);
    }

#ifdef __x86_64__
  if (!skip_probe ("a 32-bit syscall outside the profile's architectures is killed"))
    {
      struct outcome bare = run (NULL, p_getpid_ia32);
      f = load_profile ("native-only",
                        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"],"
                        " \"syscalls\": []}",
                        podman_caps);
      if (bare.signal != 0 || bare.loaded != 1)
        tap_ok (1, "a 32-bit syscall outside the profile's architectures is killed # SKIP no ia32 emulation");
      else
        expect_signal (f, p_getpid_ia32, SIGSYS, "a 32-bit syscall outside the profile's architectures");
      rcr_seccomp_free (f);
    }
#endif

  {
    cleanup_free char *path = profile ("empty", "{}");
    f = NULL;
    tap_ok (rcr_seccomp_from_file (path, podman_caps, &f, &err) == 0 && f == NULL,
            "an empty profile means no filter (as Podman)");
    tap_ok (rcr_seccomp_load (NULL, &err) == 0, "loading no filter is a no-op");
  }

  {
    struct rcr_seccomp *none = NULL;
    int ret = rcr_seccomp_from_file ("/nonexistent/rcr-profile.json", podman_caps, &none, &err);
    tap_ok (ret < 0 && err && strstr (err->msg, "\"/nonexistent/rcr-profile.json\"") && err->status == ENOENT,
            "a missing profile file is an error naming it");
    rcr_error_release (&err);
  }

  expect_refused ("malformed", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [", "parse JSON");
  expect_refused ("not-an-object", "[1, 2]", "expected a JSON object");
  expect_refused ("unknown-action",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                  "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                  "{\"names\": [\"mkdir\", \"rmdir\"], \"action\": \"SCMP_ACT_DENY\"}]}",
                  "syscalls[1] (mkdir, ...): unknown action \"SCMP_ACT_DENY\"");
  expect_refused ("unknown-default-action", "{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
                  "defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  expect_refused ("unknown-op",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\":"
                  " \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 2, \"op\": \"SCMP_CMP_ALMOST\"}]}]}",
                  "syscalls[0] (mkdir): args[0]: unknown op \"SCMP_CMP_ALMOST\"");
  expect_refused ("bad-index",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\":"
                  " \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                  "args[0]: index must be a number from 0 to 5");
  expect_refused ("name-and-names",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"mkdir\", \"names\":"
                  " [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                  "both name and names");
  expect_refused ("no-names",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ERRNO\"}]}",
                  "syscalls[0]: no name or names");
  expect_refused ("arch-and-map",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"], \"archMap\":"
                  " [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": []}]}",
                  "both architectures and archMap");
  expect_refused ("unknown-arch", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}",
                  "architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"");
  expect_refused ("errno-on-allow",
                  "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
                  " \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
                  "syscalls[0] (read): an errno is given for action SCMP_ACT_ALLOW");
  expect_refused ("unknown-errno",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
                  " \"SCMP_ACT_ERRNO\", \"errno\": \"EWHATEVER\"}]}",
                  "unknown errno \"EWHATEVER\"");
  expect_refused ("notify",
                  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
                  " \"SCMP_ACT_NOTIFY\"}]}",
                  "seccomp notification is not supported");
  expect_refused ("no-default-action", "{\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                  "missing defaultAction");
  expect_refused ("unknown-flag", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}",
                  "flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
  rcr_error_release (&err);
}

int
main (void)
{
  const char *preload = getenv ("LD_PRELOAD");

  under_valgrind = preload != NULL && strstr (preload, "vgpreload") != NULL;
  if (mkdtemp (tmpdir) == NULL)
    return 99;
  test_default_profile ();
  test_json_profiles ();
  {
    rcr_error_t err = NULL;
    rcr_rm_rf (tmpdir, &err);
    rcr_error_release (&err);
  }
  return tap_done ();
}
