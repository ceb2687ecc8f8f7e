/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp filters compiled with libseccomp: Podman's default profile (containers/common
   pkg/seccomp, Docker's profile as Podman ships it) kept as C tables below, and profiles in
   the OCI / Docker JSON format for --security-opt seccomp=FILE.  Rules are added in profile
   order because libseccomp keeps the first unconditional rule for a syscall and ignores a
   later one with another action: following that order is what makes the result match the
   filter Podman + crun/runc produce from the same profile. */
#define _GNU_SOURCE
#include "seccomp.h"

#include <ctype.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/process.h"
#include "runtime/seccomp-bpf.h"
#include "storage/digest.h"

#define PROFILE_MAX_SIZE (4 * 1024 * 1024)
#define MAX_ERRNO_VALUE 4095
#define MAX_ARGS 6
#define CAP(n) (UINT64_C (1) << (n))

struct rcr_seccomp
{
  scmp_filter_ctx ctx;
};

static void
cleanup_scmp_ctxp (scmp_filter_ctx *ctx)
{
  if (*ctx != NULL)
    seccomp_release (*ctx);
}
#define cleanup_scmp __attribute__ ((cleanup (cleanup_scmp_ctxp)))

/* libseccomp's architecture tokens with the names profiles use: SCMP_ARCH_* in
   "architectures" / "archMap", Go's GOARCH-like names in includes/excludes "arches". */
static const struct arch_info
{
  uint32_t token;
  const char *scmp_name;
  const char *go_name;
} arch_table[] = {
  { SCMP_ARCH_X86, "SCMP_ARCH_X86", "x86" },
  { SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64", "amd64" },
  { SCMP_ARCH_X32, "SCMP_ARCH_X32", "x32" },
  { SCMP_ARCH_ARM, "SCMP_ARCH_ARM", "arm" },
  { SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64", "arm64" },
  { SCMP_ARCH_MIPS, "SCMP_ARCH_MIPS", "mips" },
  { SCMP_ARCH_MIPS64, "SCMP_ARCH_MIPS64", "mips64" },
  { SCMP_ARCH_MIPS64N32, "SCMP_ARCH_MIPS64N32", "mips64n32" },
  { SCMP_ARCH_MIPSEL, "SCMP_ARCH_MIPSEL", "mipsel" },
  { SCMP_ARCH_MIPSEL64, "SCMP_ARCH_MIPSEL64", "mipsel64" },
  { SCMP_ARCH_MIPSEL64N32, "SCMP_ARCH_MIPSEL64N32", "mipsel64n32" },
  { SCMP_ARCH_PPC, "SCMP_ARCH_PPC", "ppc" },
  { SCMP_ARCH_PPC64, "SCMP_ARCH_PPC64", "ppc64" },
  { SCMP_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE", "ppc64le" },
  { SCMP_ARCH_S390, "SCMP_ARCH_S390", "s390" },
  { SCMP_ARCH_S390X, "SCMP_ARCH_S390X", "s390x" },
  { SCMP_ARCH_PARISC, "SCMP_ARCH_PARISC", "parisc" },
  { SCMP_ARCH_PARISC64, "SCMP_ARCH_PARISC64", "parisc64" },
  { SCMP_ARCH_RISCV64, "SCMP_ARCH_RISCV64", "riscv64" },
};

/* Podman's archMap: the native architecture brings its compat ABIs along (the 32-bit
   x86 and x32 ABIs on x86_64), so a 32-bit binary in the image is filtered, not killed. */
static const struct
{
  uint32_t native;
  uint32_t sub[2];
} default_arch_map[] = {
  { SCMP_ARCH_X86_64, { SCMP_ARCH_X86, SCMP_ARCH_X32 } },
  { SCMP_ARCH_AARCH64, { SCMP_ARCH_ARM, 0 } },
  { SCMP_ARCH_MIPS64, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32 } },
  { SCMP_ARCH_MIPS64N32, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64 } },
  { SCMP_ARCH_MIPSEL64, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32 } },
  { SCMP_ARCH_MIPSEL64N32, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64 } },
  { SCMP_ARCH_S390X, { SCMP_ARCH_S390, 0 } },
};

/* ---- Podman's default profile ------------------------------------------------------ */

/* The lists of containers/common pkg/seccomp/seccomp.json as of commit f437c58 (2025-08):
   a syscall in neither list nor a conditional rule below gets the default, ENOSYS. Names
   unknown to the linked libseccomp are skipped when the filter is built. */
/* clang-format off */
/* Denied with EPERM for every container. */
static const char *const eperm_names[] = {
  "bdflush", "cachestat", "futex_requeue", "futex_wait", "futex_waitv", "futex_wake", "io_pgetevents",
  "io_pgetevents_time64", "kexec_file_load", "kexec_load", "map_shadow_stack", "migrate_pages", "move_pages",
  "nfsservctl", "nice", "oldfstat", "oldlstat", "oldolduname", "oldstat", "olduname", "pciconfig_iobase",
  "pciconfig_read", "pciconfig_write", "sgetmask", "ssetmask", "swapoff", "swapon", "syscall", "sysfs", "uselib",
  "userfaultfd", "ustat", "vm86", "vm86old", "vmsplice", NULL
};

/* Allowed for every container. */
static const char *const allow_names[] = {
  "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
  "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
  "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "clone", "clone3", "close",
  "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
  "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
  "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
  "fallocate", "fanotify_init", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32",
  "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
  "fsconfig", "fsetxattr", "fsmount", "fsopen", "fspick", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
  "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futimesat", "get_mempolicy", "get_robust_list",
  "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
  "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
  "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
  "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
  "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
  "io_getevents", "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc", "keyctl", "kill",
  "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
  "link", "linkat", "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
  "madvise", "mbind", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
  "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mount", "mount_setattr", "move_mount", "mprotect",
  "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
  "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
  "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "open_tree", "openat", "openat2",
  "pause", "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pivot_root", "pkey_alloc",
  "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
  "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6", "pselect6_time64", "ptrace",
  "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "reboot", "recv",
  "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
  "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
  "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
  "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
  "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
  "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
  "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
  "sendmsg", "sendto", "set_mempolicy", "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid",
  "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setns",
  "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
  "setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat",
  "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signal", "signalfd", "signalfd4", "sigprocmask",
  "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
  "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "syslog", "tee", "tgkill", "time", "timer_create",
  "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
  "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
  "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "umount", "umount2", "uname", "unlink", "unlinkat",
  "unshare", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "wait4", "waitid", "waitpid", "write",
  "writev", NULL
};

/* clang-format on */

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ARGS(...) ((const struct scmp_arg_cmp[]){ __VA_ARGS__ })
#define ALLOW SCMP_ACT_ALLOW
#define DENY SCMP_ACT_ERRNO (EPERM)

/* One entry of the profile: the rule applies when every capability in includes_caps is
   held, none in excludes_caps is, and (when arches is set) the native architecture, in
   Go's spelling, is one of the space-separated names. */
struct default_rule
{
  const char *const *names;
  uint32_t action;
  uint64_t includes_caps;
  uint64_t excludes_caps;
  const char *arches;
  const struct scmp_arg_cmp *args;
  unsigned int nargs;
};

/* In the order of containers/common pkg/seccomp/default_linux.go: order matters (see the
   top of the file): setns, for one, is in the allow list, so the later EPERM rule for
   containers without CAP_SYS_ADMIN changes nothing, in Podman as here. */
static const struct default_rule default_rules[] = {
  { .names = eperm_names, .action = DENY },
  { .names = allow_names, .action = ALLOW },
  /* personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32 and the query. */
  { .names = NAMES ("personality"), .action = ALLOW, .args = ARGS ({ 0, SCMP_CMP_EQ, 0x0, 0 }), .nargs = 1 },
  { .names = NAMES ("personality"), .action = ALLOW, .args = ARGS ({ 0, SCMP_CMP_EQ, 0x0008, 0 }), .nargs = 1 },
  { .names = NAMES ("personality"), .action = ALLOW, .args = ARGS ({ 0, SCMP_CMP_EQ, 0x20000, 0 }), .nargs = 1 },
  { .names = NAMES ("personality"), .action = ALLOW, .args = ARGS ({ 0, SCMP_CMP_EQ, 0x20008, 0 }), .nargs = 1 },
  { .names = NAMES ("personality"), .action = ALLOW, .args = ARGS ({ 0, SCMP_CMP_EQ, 0xffffffff, 0 }), .nargs = 1 },
  { .names = NAMES ("sync_file_range2", "swapcontext"), .action = ALLOW, .arches = "ppc64le" },
  { .names
    = NAMES ("arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls", "sync_file_range2"),
    .action = ALLOW,
    .arches = "arm arm64" },
  { .names = NAMES ("arch_prctl"), .action = ALLOW, .arches = "amd64 x32" },
  { .names = NAMES ("modify_ldt"), .action = ALLOW, .arches = "amd64 x32 x86" },
  { .names = NAMES ("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
    .action = ALLOW,
    .arches = "s390 s390x" },
  { .names = NAMES ("riscv_flush_icache"), .action = ALLOW, .arches = "riscv64" },
  { .names = NAMES ("open_by_handle_at"), .action = ALLOW, .includes_caps = CAP (CAP_DAC_READ_SEARCH) },
  { .names = NAMES ("open_by_handle_at"), .action = DENY, .excludes_caps = CAP (CAP_DAC_READ_SEARCH) },
  { .names = NAMES ("bpf", "lookup_dcookie", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns"),
    .action = ALLOW,
    .includes_caps = CAP (CAP_SYS_ADMIN) },
  { .names
    = NAMES ("lookup_dcookie", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns"),
    .action = DENY,
    .excludes_caps = CAP (CAP_SYS_ADMIN) },
  { .names = NAMES ("chroot"), .action = ALLOW, .includes_caps = CAP (CAP_SYS_CHROOT) },
  { .names = NAMES ("chroot"), .action = DENY, .excludes_caps = CAP (CAP_SYS_CHROOT) },
  { .names = NAMES ("delete_module", "finit_module", "init_module", "query_module"),
    .action = ALLOW,
    .includes_caps = CAP (CAP_SYS_MODULE) },
  { .names = NAMES ("delete_module", "finit_module", "init_module", "query_module"),
    .action = DENY,
    .excludes_caps = CAP (CAP_SYS_MODULE) },
  { .names = NAMES ("acct"), .action = ALLOW, .includes_caps = CAP (CAP_SYS_PACCT) },
  { .names = NAMES ("acct"), .action = DENY, .excludes_caps = CAP (CAP_SYS_PACCT) },
  { .names = NAMES ("kcmp", "process_madvise"), .action = ALLOW, .includes_caps = CAP (CAP_SYS_PTRACE) },
  { .names = NAMES ("kcmp", "process_madvise"), .action = DENY, .excludes_caps = CAP (CAP_SYS_PTRACE) },
  { .names = NAMES ("ioperm", "iopl"), .action = ALLOW, .includes_caps = CAP (CAP_SYS_RAWIO) },
  { .names = NAMES ("ioperm", "iopl"), .action = DENY, .excludes_caps = CAP (CAP_SYS_RAWIO) },
  { .names = NAMES ("clock_settime", "clock_settime64", "settimeofday", "stime"),
    .action = ALLOW,
    .includes_caps = CAP (CAP_SYS_TIME) },
  { .names = NAMES ("clock_settime", "clock_settime64", "settimeofday", "stime"),
    .action = DENY,
    .excludes_caps = CAP (CAP_SYS_TIME) },
  { .names = NAMES ("vhangup"), .action = ALLOW, .includes_caps = CAP (CAP_SYS_TTY_CONFIG) },
  { .names = NAMES ("vhangup"), .action = DENY, .excludes_caps = CAP (CAP_SYS_TTY_CONFIG) },
  /* Without CAP_AUDIT_WRITE, an audit netlink socket fails with EINVAL ("protocol not
     available"), which PAM and sshd treat as "no audit", where EPERM would be fatal. */
  { .names = NAMES ("socket"),
    .action = SCMP_ACT_ERRNO (EINVAL),
    .excludes_caps = CAP (CAP_AUDIT_WRITE),
    .args = ARGS ({ 0, SCMP_CMP_EQ, AF_NETLINK, 0 }, { 2, SCMP_CMP_EQ, NETLINK_AUDIT, 0 }),
    .nargs = 2 },
  { .names = NAMES ("socket"),
    .action = ALLOW,
    .excludes_caps = CAP (CAP_AUDIT_WRITE),
    .args = ARGS ({ 2, SCMP_CMP_NE, NETLINK_AUDIT, 0 }),
    .nargs = 1 },
  { .names = NAMES ("socket"),
    .action = ALLOW,
    .excludes_caps = CAP (CAP_AUDIT_WRITE),
    .args = ARGS ({ 0, SCMP_CMP_NE, AF_NETLINK, 0 }),
    .nargs = 1 },
  { .names = NAMES ("socket"),
    .action = ALLOW,
    .excludes_caps = CAP (CAP_AUDIT_WRITE),
    .args = ARGS ({ 2, SCMP_CMP_NE, NETLINK_AUDIT, 0 }),
    .nargs = 1 },
  { .names = NAMES ("socket"), .action = ALLOW, .includes_caps = CAP (CAP_AUDIT_WRITE) },
  { .names = NAMES ("bpf"), .action = DENY, .excludes_caps = CAP (CAP_SYS_ADMIN) | CAP (CAP_BPF) },
  { .names = NAMES ("bpf"), .action = ALLOW, .includes_caps = CAP (CAP_BPF) },
  { .names = NAMES ("perf_event_open"), .action = DENY, .excludes_caps = CAP (CAP_SYS_ADMIN) | CAP (CAP_BPF) },
  { .names = NAMES ("perf_event_open"), .action = ALLOW, .includes_caps = CAP (CAP_PERFMON) },
};

/* ---- building a filter ---------------------------------------------------------------- */

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static const struct arch_info *
arch_by_token (uint32_t token)
{
  for (size_t i = 0; i < N_ELEMENTS (arch_table); i++)
    if (arch_table[i].token == token)
      return &arch_table[i];
  return NULL;
}

static const struct arch_info *
arch_by_scmp_name (const char *name)
{
  if (strcmp (name, "SCMP_ARCH_NATIVE") == 0)
    return arch_by_token (seccomp_arch_native ());
  for (size_t i = 0; i < N_ELEMENTS (arch_table); i++)
    if (strcmp (arch_table[i].scmp_name, name) == 0)
      return &arch_table[i];
  return NULL;
}

/* The native architecture as includes/excludes "arches" name it ("amd64"), or "". */
static const char *
native_go_name (void)
{
  const struct arch_info *a = arch_by_token (seccomp_arch_native ());
  return a ? a->go_name : "";
}

static bool
word_in_list (const char *list, const char *word)
{
  size_t len = strlen (word);
  for (const char *p = list; *p;)
    {
      size_t n = strcspn (p, " ");
      if (n == len && strncmp (p, word, len) == 0)
        return true;
      p += n;
      p += strspn (p, " ");
    }
  return false;
}

static int
filter_new (uint32_t default_action, bool spec_allow, scmp_filter_ctx *out, rcr_error_t *err)
{
  cleanup_scmp scmp_filter_ctx ctx = seccomp_init (default_action);
  int ret;

  if (ctx == NULL)
    return rcr_make_error (err, EINVAL, "create seccomp filter with default action 0x%x", default_action);
  /* no_new_privs is the runtime's decision (--security-opt no-new-privileges), made apart
     from the filter; a filter that set it would change what setuid binaries do. */
  ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    return rcr_make_error (err, -ret, "clear the no_new_privs attribute of the seccomp filter");
  /* Report the kernel's errno from seccomp_load instead of libseccomp's ECANCELED. */
  (void)seccomp_attr_set (ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  /* crun's default (SECCOMP_FILTER_FLAG_SPEC_ALLOW): loading a filter does not by itself
     force the speculative store bypass mitigation on the container. Kernels without the
     flag refuse the attribute; the filter then loads without it. */
  if (spec_allow)
    (void)seccomp_attr_set (ctx, SCMP_FLTATR_CTL_SSB, 1);
  /* a binary tree of syscall numbers instead of a list: the program is a little longer,
     but every path through it is short, and the kernel walks each syscall's path once at
     load (its action cache): a third less time in seccomp() for the default profile */
  (void)seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  *out = steal_pointer (&ctx);
  return 0;
}

/* Where a profile's rules go: a libseccomp filter, or the compact compiler (seccomp-bpf.c)
   that takes the same calls. */
struct sink
{
  scmp_filter_ctx ctx;
  struct rcr_seccomp_bpf *bpf;
};

static int
add_arch (const struct sink *sink, uint32_t token, rcr_error_t *err)
{
  int ret;

  if (sink->bpf != NULL)
    return rcr_seccomp_bpf_add_arch (sink->bpf, token, err);
  ret = seccomp_arch_add (sink->ctx, token);
  if (ret < 0 && ret != -EEXIST)
    {
      const struct arch_info *a = arch_by_token (token);
      return rcr_make_error (err, -ret, "add architecture %s to the seccomp filter", a ? a->scmp_name : "?");
    }
  return 0;
}

static int
add_rule_array (const struct sink *sink, const char *name, uint32_t action, int nr, unsigned int nargs,
                const struct scmp_arg_cmp *args, rcr_error_t *err)
{
  int ret;

  if (sink->bpf != NULL)
    return rcr_seccomp_bpf_add_rule (sink->bpf, action, nr, nargs, args, err);
  ret = seccomp_rule_add_array (sink->ctx, action, nr, nargs, args);
  if (ret < 0)
    return rcr_make_error (err, -ret, "add seccomp rule for syscall %s", name);
  return 0;
}

static int
add_rule (const struct sink *sink, uint32_t default_action, const char *name, uint32_t action,
          const struct scmp_arg_cmp *args, unsigned int nargs, rcr_error_t *err)
{
  bool same_arg_twice = false;
  int nr, ret = 0;

  /* libseccomp refuses a rule that repeats the default action; it would change nothing. */
  if (action == default_action)
    return 0;
  nr = seccomp_syscall_resolve_name (name);
  if (nr == __NR_SCMP_ERROR)
    {
      /* Profiles name syscalls newer than this libseccomp; runtimes skip them too. */
      rcr_debug ("seccomp: syscall %s is unknown to libseccomp, rule skipped", name);
      return 0;
    }
  for (unsigned int i = 0; i < nargs; i++)
    for (unsigned int j = 0; j < i; j++)
      if (args[i].arg == args[j].arg)
        same_arg_twice = true;
  /* libseccomp takes one comparison per argument in a rule; like runc and crun, a rule
     with two on the same argument becomes one rule per comparison. */
  if (!same_arg_twice)
    return add_rule_array (sink, name, action, nr, nargs, args, err);
  for (unsigned int i = 0; i < nargs && ret == 0; i++)
    ret = add_rule_array (sink, name, action, nr, 1, &args[i], err);
  return ret;
}

static struct rcr_seccomp *
wrap_filter (scmp_filter_ctx ctx)
{
  struct rcr_seccomp *s = rcr_xmalloc0 (sizeof (*s));
  s->ctx = ctx;
  return s;
}

#define DEFAULT_ACTION SCMP_ACT_ERRNO (ENOSYS)

/* The architectures and rules of the default profile that apply with these capabilities,
   in profile order. */
static int
add_default_profile (const struct sink *sink, uint64_t caps, rcr_error_t *err)
{
  const uint32_t native = seccomp_arch_native ();
  const char *arch = native_go_name ();

  for (size_t i = 0; i < N_ELEMENTS (default_arch_map); i++)
    if (default_arch_map[i].native == native)
      for (size_t j = 0; j < N_ELEMENTS (default_arch_map[i].sub) && default_arch_map[i].sub[j]; j++)
        if (add_arch (sink, default_arch_map[i].sub[j], err) < 0)
          return -1;

  for (size_t i = 0; i < N_ELEMENTS (default_rules); i++)
    {
      const struct default_rule *r = &default_rules[i];

      if ((r->includes_caps & ~caps) != 0 || (r->excludes_caps & caps) != 0)
        continue;
      if (r->arches != NULL && !word_in_list (r->arches, arch))
        continue;
      for (const char *const *n = r->names; *n; n++)
        if (add_rule (sink, DEFAULT_ACTION, *n, r->action, r->args, r->nargs, err) < 0)
          return -1;
    }
  return 0;
}

int
rcr_seccomp_default (uint64_t caps, struct rcr_seccomp **out, rcr_error_t *err)
{
  cleanup_scmp scmp_filter_ctx ctx = NULL;

  *out = NULL;
  if (filter_new (DEFAULT_ACTION, true, &ctx, err) < 0
      || add_default_profile (&(struct sink){ .ctx = ctx }, caps, err) < 0)
    return rcr_error_wrap (err, "default seccomp profile");
  *out = wrap_filter (steal_pointer (&ctx));
  return 0;
}

int
rcr_seccomp_default_compact (uint64_t caps, void **bpf, size_t *len, rcr_error_t *err)
{
  struct rcr_seccomp_bpf *b = NULL;
  struct sock_filter *prog = NULL;
  size_t n = 0;
  int ret;

  *bpf = NULL;
  *len = 0;
  ret = rcr_seccomp_bpf_new (DEFAULT_ACTION, &b, err);
  if (ret == 0)
    ret = add_default_profile (&(struct sink){ .bpf = b }, caps, err);
  if (ret == 0)
    ret = rcr_seccomp_bpf_compile (b, &prog, &n, err);
  rcr_seccomp_bpf_free (b);
  if (ret < 0)
    return rcr_error_wrap (err, "default seccomp profile");
  *bpf = prog;
  *len = n * sizeof (*prog);
  return 0;
}

/* ---- the OCI / Docker JSON format ------------------------------------------------------ */

struct profile
{
  const char *path;
  uint64_t caps;
  const char *arch;
  int kernel[3];
  scmp_filter_ctx ctx;
  uint32_t default_action;
};

static int __attribute__ ((format (printf, 3, 4)))
profile_error (rcr_error_t *err, const struct profile *p, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (ret < 0)
    abort ();
  return rcr_make_error (err, 0, "seccomp profile \"%s\": %s", p->path, msg);
}

/* A member that is present and not null, or NULL. */
static json_object *
member (json_object *obj, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (obj, key, &v) || json_object_is_type (v, json_type_null))
    return NULL;
  return v;
}

static bool
get_u64 (json_object *v, uint64_t *out)
{
  if (!json_object_is_type (v, json_type_int) || json_object_get_int64 (v) < 0)
    return false;
  *out = json_object_get_uint64 (v);
  return true;
}

/* An errno given by name ("EPERM") or number ("1"), as Podman's "errno" field. */
static int
errno_from_string (const char *s)
{
  uint64_t v;
  if (rcr_parse_u64 (s, &v) == 0)
    return v <= MAX_ERRNO_VALUE ? (int)v : -1;
  for (int e = 1; e <= MAX_ERRNO_VALUE; e++)
    {
      const char *name = strerrorname_np (e);
      if (name && strcmp (name, s) == 0)
        return e;
    }
  return -1;
}

/* Reads "<name_key>" (a string, preferred as in Podman) or "<num_key>" (a number). */
static int
parse_errno (const struct profile *p, json_object *obj, const char *where, const char *name_key, const char *num_key,
             bool *present, int *value, rcr_error_t *err)
{
  json_object *v;
  uint64_t n;

  *present = false;
  v = member (obj, name_key);
  if (v != NULL && (!json_object_is_type (v, json_type_string) || json_object_get_string_len (v) > 0))
    {
      if (!json_object_is_type (v, json_type_string) || (*value = errno_from_string (json_object_get_string (v))) < 0)
        return profile_error (err, p, "%s%s: unknown errno %s", where, name_key, json_object_to_json_string (v));
      *present = true;
      return 0;
    }
  v = member (obj, num_key);
  if (v == NULL)
    return 0;
  if (!get_u64 (v, &n) || n > MAX_ERRNO_VALUE)
    return profile_error (err, p, "%s%s: expected an errno number from 0 to %d, got %s", where, num_key,
                          MAX_ERRNO_VALUE, json_object_to_json_string (v));
  *value = (int)n;
  *present = true;
  return 0;
}

static int
parse_action (const struct profile *p, const char *where, const char *name, bool has_errno, int errno_value,
              uint32_t *out, rcr_error_t *err)
{
  bool takes_errno = false;

  if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    {
      *out = SCMP_ACT_ERRNO (has_errno ? errno_value : EPERM);
      takes_errno = true;
    }
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    {
      *out = SCMP_ACT_TRACE (has_errno ? errno_value : EPERM);
      takes_errno = true;
    }
  else if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    return profile_error (err, p, "%saction SCMP_ACT_NOTIFY: seccomp notification is not supported", where);
  else
    return profile_error (err, p,
                          "%sunknown action \"%s\" (expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
                          "SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG)",
                          where, name);
  if (has_errno && !takes_errno)
    return profile_error (err, p, "%san errno is given for action %s, which takes none", where, name);
  return 0;
}

static int
parse_op (const char *name, enum scmp_compare *out)
{
  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; i < N_ELEMENTS (ops); i++)
    if (strcmp (ops[i].name, name) == 0)
      {
        *out = ops[i].op;
        return 0;
      }
  return -1;
}

static int
parse_args (const struct profile *p, const char *where, json_object *args, struct scmp_arg_cmp *out,
            unsigned int *nargs, rcr_error_t *err)
{
  size_t n;

  *nargs = 0;
  if (args == NULL)
    return 0;
  if (!json_object_is_type (args, json_type_array))
    return profile_error (err, p, "%sargs: expected an array", where);
  n = json_object_array_length (args);
  if (n > MAX_ARGS)
    return profile_error (err, p, "%sargs: at most %d comparisons, got %zu", where, MAX_ARGS, n);
  for (size_t i = 0; i < n; i++)
    {
      json_object *a = json_object_array_get_idx (args, i);
      json_object *v;
      uint64_t index, value = 0, value_two = 0;
      const char *op;

      if (!json_object_is_type (a, json_type_object))
        return profile_error (err, p, "%sargs[%zu]: expected an object", where, i);
      v = member (a, "index");
      if (v == NULL || !get_u64 (v, &index) || index >= MAX_ARGS)
        return profile_error (err, p, "%sargs[%zu]: index must be a number from 0 to 5", where, i);
      if ((v = member (a, "value")) != NULL && !get_u64 (v, &value))
        return profile_error (err, p, "%sargs[%zu]: value must be an unsigned 64-bit number", where, i);
      if ((v = member (a, "valueTwo")) != NULL && !get_u64 (v, &value_two))
        return profile_error (err, p, "%sargs[%zu]: valueTwo must be an unsigned 64-bit number", where, i);
      op = rcr_json_get_string (a, "op", NULL);
      if (op == NULL)
        return profile_error (err, p, "%sargs[%zu]: missing op", where, i);
      if (parse_op (op, &out[i].op) < 0)
        return profile_error (err, p,
                              "%sargs[%zu]: unknown op \"%s\" (expected SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, "
                              "SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT or SCMP_CMP_MASKED_EQ)",
                              where, i, op);
      out[i].arg = (unsigned int)index;
      out[i].datum_a = value;
      out[i].datum_b = value_two;
    }
  *nargs = (unsigned int)n;
  return 0;
}

static bool
cap_held (const struct profile *p, const char *name)
{
  uint64_t mask;
  rcr_error_t err = NULL;

  /* Podman compares names with the container's list: a name it cannot hold is not held */
  if (strcasecmp (name, "ALL") == 0 || rcr_caps_parse (name, &mask, &err) < 0)
    {
      rcr_error_release (&err);
      return false;
    }
  return (p->caps & mask) == mask;
}

/* major.minor[.patch], missing parts as 0; false when s does not start with a number. */
static bool
parse_kernel_version (const char *s, int v[3])
{
  v[0] = v[1] = v[2] = 0;
  for (int i = 0; i < 3; i++)
    {
      char *end;
      long n;

      if (!isdigit ((unsigned char)*s))
        return i > 0;
      errno = 0;
      n = strtol (s, &end, 10);
      if (errno != 0 || n > 100000)
        return false;
      v[i] = (int)n;
      if (*end != '.')
        return true;
      s = end + 1;
    }
  return true;
}

static bool
kernel_at_least (const struct profile *p, const int min[3])
{
  for (int i = 0; i < 3; i++)
    if (p->kernel[i] != min[i])
      return p->kernel[i] > min[i];
  return true;
}

/* Podman's reading of includes / excludes: "caps" all held / any held, "arches" the native
   one listed; "minKernel" (Docker's) the running kernel at least that version. */
static int
condition_holds (const struct profile *p, const char *where, json_object *filter, bool include, bool *holds,
                 rcr_error_t *err)
{
  const char *key = include ? "includes" : "excludes";
  json_object *caps, *arches, *min_kernel;

  *holds = false;
  if (filter == NULL)
    return 0;
  if (!json_object_is_type (filter, json_type_object))
    return profile_error (err, p, "%s%s: expected an object", where, key);

  caps = member (filter, "caps");
  if (caps != NULL)
    {
      if (!json_object_is_type (caps, json_type_array))
        return profile_error (err, p, "%s%s.caps: expected an array of capability names", where, key);
      for (size_t i = 0; i < json_object_array_length (caps); i++)
        {
          json_object *c = json_object_array_get_idx (caps, i);
          bool held;

          if (!json_object_is_type (c, json_type_string))
            return profile_error (err, p, "%s%s.caps[%zu]: expected a capability name", where, key, i);
          held = cap_held (p, json_object_get_string (c));
          if (include && !held)
            return 0;
          if (!include && held)
            {
              *holds = true;
              return 0;
            }
        }
    }
  arches = member (filter, "arches");
  if (arches != NULL)
    {
      bool listed = false;

      if (!json_object_is_type (arches, json_type_array))
        return profile_error (err, p, "%s%s.arches: expected an array of architecture names", where, key);
      for (size_t i = 0; i < json_object_array_length (arches); i++)
        {
          json_object *a = json_object_array_get_idx (arches, i);
          if (!json_object_is_type (a, json_type_string))
            return profile_error (err, p, "%s%s.arches[%zu]: expected an architecture name", where, key, i);
          if (strcmp (json_object_get_string (a), p->arch) == 0)
            listed = true;
        }
      if (include && json_object_array_length (arches) > 0 && !listed)
        return 0;
      if (!include && listed)
        {
          *holds = true;
          return 0;
        }
    }
  min_kernel = member (filter, "minKernel");
  if (min_kernel != NULL)
    {
      int min[3];
      bool newer;

      if (!json_object_is_type (min_kernel, json_type_string)
          || !parse_kernel_version (json_object_get_string (min_kernel), min))
        return profile_error (err, p, "%s%s.minKernel: expected a version such as \"4.8\", got %s", where, key,
                              json_object_to_json_string (min_kernel));
      newer = kernel_at_least (p, min);
      if (include && !newer)
        return 0;
      if (!include && newer)
        {
          *holds = true;
          return 0;
        }
    }
  *holds = include;
  return 0;
}

static int
add_profile_arch (const struct profile *p, const char *where, json_object *name, rcr_error_t *err)
{
  const struct arch_info *a = NULL;

  if (json_object_is_type (name, json_type_string))
    a = arch_by_scmp_name (json_object_get_string (name));
  if (a == NULL)
    return profile_error (err, p, "%s: unknown architecture %s (expected a name such as SCMP_ARCH_X86_64)", where,
                          json_object_to_json_string (name));
  if (add_arch (&(struct sink){ .ctx = p->ctx }, a->token, err) < 0)
    return rcr_error_wrap (err, "seccomp profile \"%s\": %s", p->path, where);
  return 0;
}

/* "architectures" lists every ABI; "archMap" lists, per native architecture, the ABIs that
   come with it (Podman's format): only the entry for the native one is used. */
static int
parse_arches (const struct profile *p, json_object *root, rcr_error_t *err)
{
  json_object *list = member (root, "architectures");
  json_object *map = member (root, "archMap");
  const struct arch_info *native = arch_by_token (seccomp_arch_native ());

  if (list != NULL && !json_object_is_type (list, json_type_array))
    return profile_error (err, p, "architectures: expected an array");
  if (map != NULL && !json_object_is_type (map, json_type_array))
    return profile_error (err, p, "archMap: expected an array");
  if (list != NULL && map != NULL && json_object_array_length (list) > 0 && json_object_array_length (map) > 0)
    return profile_error (err, p, "both architectures and archMap are given; use one of them");

  for (size_t i = 0; list != NULL && i < json_object_array_length (list); i++)
    {
      char where[64];
      snprintf (where, sizeof (where), "architectures[%zu]", i);
      if (add_profile_arch (p, where, json_object_array_get_idx (list, i), err) < 0)
        return -1;
    }
  for (size_t i = 0; map != NULL && native != NULL && i < json_object_array_length (map); i++)
    {
      json_object *entry = json_object_array_get_idx (map, i);
      json_object *subs;
      const char *arch;
      char where[96];

      if (!json_object_is_type (entry, json_type_object))
        return profile_error (err, p, "archMap[%zu]: expected an object", i);
      arch = rcr_json_get_string (entry, "architecture", NULL);
      if (arch == NULL)
        return profile_error (err, p, "archMap[%zu]: missing architecture", i);
      if (strcmp (arch, native->scmp_name) != 0)
        continue;
      subs = member (entry, "subArchitectures");
      if (subs != NULL && !json_object_is_type (subs, json_type_array))
        return profile_error (err, p, "archMap[%zu].subArchitectures: expected an array", i);
      for (size_t j = 0; subs != NULL && j < json_object_array_length (subs); j++)
        {
          snprintf (where, sizeof (where), "archMap[%zu].subArchitectures[%zu]", i, j);
          if (add_profile_arch (p, where, json_object_array_get_idx (subs, j), err) < 0)
            return -1;
        }
      break;
    }
  return 0;
}

/* "flags" (OCI): when absent, crun's default SPEC_ALLOW applies. */
static int
parse_flags (const struct profile *p, json_object *flags, rcr_error_t *err)
{
  if (!json_object_is_type (flags, json_type_array))
    return profile_error (err, p, "flags: expected an array");
  for (size_t i = 0; i < json_object_array_length (flags); i++)
    {
      json_object *f = json_object_array_get_idx (flags, i);
      const char *name = json_object_is_type (f, json_type_string) ? json_object_get_string (f) : "";
      enum scmp_filter_attr attr;
      int ret;

      if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        attr = SCMP_FLTATR_CTL_TSYNC;
      else if (strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
        attr = SCMP_FLTATR_CTL_LOG;
      else if (strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        attr = SCMP_FLTATR_CTL_SSB;
      else if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
        continue; /* only meaningful with a notify listener, which rcr does not offer */
      else
        return profile_error (err, p, "flags[%zu]: unknown flag %s", i, json_object_to_json_string (f));
      ret = seccomp_attr_set (p->ctx, attr, 1);
      if (ret < 0)
        return rcr_make_error (err, -ret, "seccomp profile \"%s\": flags[%zu]: set %s", p->path, i, name);
    }
  return 0;
}

/* The syscall names of an entry: "names" or "name", not both (as Podman). */
static int
entry_names (const struct profile *p, const char *where, json_object *entry, const char ***out, rcr_error_t *err)
{
  json_object *names = member (entry, "names");
  json_object *name = member (entry, "name");
  const char **v;
  size_t n;

  if (names != NULL && name != NULL)
    return profile_error (err, p, "%sboth name and names are given; use one of them", where);
  if (name != NULL)
    {
      if (!json_object_is_type (name, json_type_string) || json_object_get_string_len (name) == 0)
        return profile_error (err, p, "%sname: expected a syscall name", where);
      v = rcr_xmalloc0 (2 * sizeof (*v));
      v[0] = json_object_get_string (name);
      *out = v;
      return 0;
    }
  if (names == NULL)
    return profile_error (err, p, "%sno name or names", where);
  if (!json_object_is_type (names, json_type_array))
    return profile_error (err, p, "%snames: expected an array of syscall names", where);
  n = json_object_array_length (names);
  v = rcr_xmalloc0 ((n + 1) * sizeof (*v));
  for (size_t i = 0; i < n; i++)
    {
      json_object *s = json_object_array_get_idx (names, i);
      if (!json_object_is_type (s, json_type_string) || json_object_get_string_len (s) == 0)
        {
          free (v);
          return profile_error (err, p, "%snames[%zu]: expected a syscall name", where, i);
        }
      v[i] = json_object_get_string (s);
    }
  *out = v;
  return 0;
}

static int
parse_syscall_entry (struct profile *p, size_t index, json_object *entry, rcr_error_t *err)
{
  cleanup_free const char **names = NULL;
  struct scmp_arg_cmp args[MAX_ARGS];
  unsigned int nargs;
  const char *action_name;
  char where[160];
  bool has_errno, included, excluded;
  int errno_value = 0;
  uint32_t action;

  snprintf (where, sizeof (where), "syscalls[%zu]: ", index);
  if (!json_object_is_type (entry, json_type_object))
    return profile_error (err, p, "%sexpected an object", where);
  if (entry_names (p, where, entry, &names, err) < 0)
    return -1;
  if (names[0] != NULL)
    snprintf (where, sizeof (where), "syscalls[%zu] (%s%s): ", index, names[0], names[1] ? ", ..." : "");

  action_name = rcr_json_get_string (entry, "action", NULL);
  if (action_name == NULL)
    return profile_error (err, p, "%smissing action", where);
  if (parse_errno (p, entry, where, "errno", "errnoRet", &has_errno, &errno_value, err) < 0)
    return -1;
  if (parse_action (p, where, action_name, has_errno, errno_value, &action, err) < 0)
    return -1;
  if (parse_args (p, where, member (entry, "args"), args, &nargs, err) < 0)
    return -1;
  if (condition_holds (p, where, member (entry, "excludes"), false, &excluded, err) < 0
      || condition_holds (p, where, member (entry, "includes"), true, &included, err) < 0)
    return -1;
  if (excluded || (member (entry, "includes") != NULL && !included))
    return 0;

  for (const char **n = names; *n; n++)
    if (add_rule (&(struct sink){ .ctx = p->ctx }, p->default_action, *n, action, args, nargs, err) < 0)
      return rcr_error_wrap (err, "seccomp profile \"%s\": syscalls[%zu]", p->path, index);
  return 0;
}

static int
build_profile (struct profile *p, json_object *root, struct rcr_seccomp **out, rcr_error_t *err)
{
  cleanup_scmp scmp_filter_ctx ctx = NULL;
  json_object *syscalls = member (root, "syscalls");
  json_object *flags = member (root, "flags");
  const char *default_action, *listener;
  bool has_errno;
  int errno_value = 0;

  if (!json_object_is_type (root, json_type_object))
    return profile_error (err, p, "expected a JSON object");
  if (syscalls != NULL && !json_object_is_type (syscalls, json_type_array))
    return profile_error (err, p, "syscalls: expected an array");
  default_action = rcr_json_get_string (root, "defaultAction", NULL);
  if (default_action == NULL || *default_action == '\0')
    {
      /* Podman: no default action and no rules means no filter at all. */
      if (syscalls == NULL || json_object_array_length (syscalls) == 0)
        {
          rcr_debug ("seccomp profile \"%s\" is empty: no filter", p->path);
          return 0;
        }
      return profile_error (err, p, "missing defaultAction");
    }
  listener = rcr_json_get_string (root, "listenerPath", "");
  if (*listener != '\0')
    return profile_error (err, p, "listenerPath: seccomp notification is not supported");

  if (parse_errno (p, root, "", "defaultErrno", "defaultErrnoRet", &has_errno, &errno_value, err) < 0)
    return -1;
  if (parse_action (p, "defaultAction: ", default_action, has_errno, errno_value, &p->default_action, err) < 0)
    return -1;
  if (filter_new (p->default_action, flags == NULL, &ctx, err) < 0)
    return rcr_error_wrap (err, "seccomp profile \"%s\"", p->path);
  p->ctx = ctx;
  if (flags != NULL && parse_flags (p, flags, err) < 0)
    return -1;
  if (parse_arches (p, root, err) < 0)
    return -1;
  for (size_t i = 0; syscalls != NULL && i < json_object_array_length (syscalls); i++)
    if (parse_syscall_entry (p, i, json_object_array_get_idx (syscalls, i), err) < 0)
      return -1;
  *out = wrap_filter (steal_pointer (&ctx));
  return 0;
}

int
rcr_seccomp_from_file (const char *path, uint64_t caps, struct rcr_seccomp **out, rcr_error_t *err)
{
  cleanup_json json_object *root = NULL;
  struct profile p = { .path = path, .caps = caps, .arch = native_go_name () };
  struct utsname u;

  *out = NULL;
  if (rcr_json_read_file (path, PROFILE_MAX_SIZE, &root, err) < 0)
    return rcr_error_wrap (err, "read seccomp profile");
  if (uname (&u) < 0 || !parse_kernel_version (u.release, p.kernel))
    return rcr_make_error (err, errno, "read the kernel version");
  return build_profile (&p, root, out, err);
}

int
rcr_seccomp_load (struct rcr_seccomp *s, rcr_error_t *err)
{
  int ret;

  if (s == NULL)
    return 0;
  ret = seccomp_load (s->ctx);
  if (ret == -EACCES)
    return rcr_make_error (err, EACCES,
                           "load seccomp filter (the process needs no_new_privs set or CAP_SYS_ADMIN in its user "
                           "namespace)");
  if (ret < 0)
    return rcr_make_error (err, -ret, "load seccomp filter");
  return 0;
}

void
rcr_seccomp_free (struct rcr_seccomp *s)
{
  if (s == NULL)
    return;
  seccomp_release (s->ctx);
  free (s);
}

int
rcr_seccomp_export (struct rcr_seccomp *s, int fd, rcr_error_t *err)
{
  int ret = seccomp_export_bpf (s->ctx, fd);
  if (ret < 0)
    return rcr_make_error (err, -ret, "export the seccomp filter");
  return 0;
}

int
rcr_seccomp_load_bpf (const void *bpf, size_t len, rcr_error_t *err)
{
  struct sock_fprog prog
      = { .len = (unsigned short)(len / sizeof (struct sock_filter)), .filter = (struct sock_filter *)bpf };
  /* as libseccomp would: no Spectre store-bypass mitigation forced (crun's default) */
  if (len == 0 || len % sizeof (struct sock_filter) != 0 || len / sizeof (struct sock_filter) > 0xffff)
    return rcr_make_error (err, EINVAL, "invalid compiled seccomp filter of %zu bytes", len);
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) == 0)
    return 0;
  if (errno == EINVAL && syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
    return 0;
  if (errno == EACCES)
    return rcr_make_error (err, EACCES,
                           "load seccomp filter (the process needs no_new_privs set or CAP_SYS_ADMIN in its user "
                           "namespace)");
  return rcr_make_error (err, errno, "load seccomp filter");
}

/* The default profile's program into fd: the compact compiler's, or libseccomp's when the
   compiler refuses the rule set. */
static int
write_default_bpf (int fd, uint64_t caps, rcr_error_t *err)
{
  cleanup_free void *prog = NULL;
  struct rcr_seccomp *s = NULL;
  rcr_error_t refused = NULL;
  size_t len;
  int ret;

  if (rcr_seccomp_default_compact (caps, &prog, &len, &refused) == 0)
    {
      if (rcr_write_all (fd, prog, len) < 0)
        return rcr_make_error (err, errno, "write the seccomp filter");
      return 0;
    }
  rcr_debug ("seccomp: %s; using libseccomp's program", refused->msg);
  rcr_error_release (&refused);
  if (rcr_seccomp_default (caps, &s, err) < 0)
    return -1;
  ret = rcr_seccomp_export (s, fd, err);
  rcr_seccomp_free (s);
  return ret;
}

int
rcr_seccomp_cached_bpf (const char *cache_dir, uint64_t caps, void **bpf, size_t *len, rcr_error_t *err)
{
  const struct scmp_version *v = seccomp_version ();
  cleanup_free char *key = NULL;
  cleanup_free char *digest = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *tmp = NULL;
  rcr_error_t miss = NULL;
  int fd, ret;

  /* everything the compiled program depends on is in the key */
  key = rcr_strdup_printf ("rcr-seccomp-3 %s libseccomp-%u.%u.%u caps=%llx default", RCR_VERSION, v->major, v->minor,
                           v->micro, (unsigned long long)caps);
  digest = rcr_sha256_digest (key, strlen (key));
  path = rcr_strdup_printf ("%s/%s.bpf", cache_dir, digest + 7);
  if (rcr_read_file (path, 1 << 20, (char **)bpf, len, &miss) == 0 && *len > 0)
    return 0;
  rcr_error_release (&miss);

  if (rcr_mkdir_p (cache_dir, 0700, err) < 0)
    return -1;
  tmp = rcr_strdup_printf ("%s.tmp-%d", path, (int)getpid ());
  fd = open (tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return rcr_make_error (err, errno, "create \"%s\"", tmp);
  ret = write_default_bpf (fd, caps, err);
  close (fd);
  if (ret < 0 || rename (tmp, path) < 0)
    {
      if (ret == 0)
        rcr_make_error (err, errno, "rename \"%s\"", tmp);
      unlink (tmp);
      return -1;
    }
  return rcr_read_file (path, 1 << 20, (char **)bpf, len, err);
}
