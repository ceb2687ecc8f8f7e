/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities of the container's process, computed and applied as podman + crun do.

   Call order in the container process (the caller does steps 1-3):
     1. prctl (PR_SET_KEEPCAPS, 1)       while still uid 0 in the container's user
                                         namespace: the permitted set then survives step 3
     2. setgroups, setresgid (gid, gid, gid)
     3. setresuid (uid, uid, uid)        for uid != 0 the kernel empties the effective set
     4. rcr_caps_apply (mask, user_caps, uid == 0)
                                         raises effective from permitted to get
                                         CAP_SETPCAP back, drops every other capability
                                         from the bounding set, clears ambient, then sets
                                         effective = permitted = mask (root), or
                                         effective = permitted = inheritable = ambient =
                                         user_caps (any other user)
     5. seccomp (when it needs no CAP_SYS_ADMIN), execve
   rcr_caps_apply needs CAP_SETPCAP in the permitted set on entry, so a seccomp filter
   loaded before it must allow capget, capset and prctl (podman's default does).

   What execve does with the result: a uid 0 process gets permitted = effective =
   bounding set (file capabilities count as full for root), so for root the bounding
   set is what the user sees. A non-root process keeps its ambient set across execve,
   plus what file capabilities grant within the bounding set. Podman 4.3 gives it the
   --cap-add list alone (not the defaults, --cap-drop not applied, --privileged adds
   nothing) in all four sets, so without --cap-add CapEff and CapPrm are 0. */
#define _GNU_SOURCE
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* Indexed by capability number, as in linux/capability.h, up to CAP_CHECKPOINT_RESTORE. */
static const char *const cap_names[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

#define N_CAP_NAMES ((int)(sizeof (cap_names) / sizeof (cap_names[0])))
_Static_assert(N_CAP_NAMES == 41, "capability table must end at CAP_CHECKPOINT_RESTORE (40)");

#define BIT(c) (1ULL << (c))

struct cap_sets
{
  uint64_t effective, permitted, inheritable;
};

/* The kernel's highest capability: /proc/sys/kernel/cap_last_cap, or probed with
   PR_CAPBSET_READ (EINVAL past the last one) when /proc is not there. */
static int
kernel_last_cap (void)
{
  cleanup_close int fd = open ("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  char buf[16];
  ssize_t n;
  int last;

  if (fd >= 0 && (n = read (fd, buf, sizeof (buf) - 1)) > 0)
    {
      char *end;
      long v;
      buf[n] = '\0';
      errno = 0;
      v = strtol (buf, &end, 10);
      if (errno == 0 && end != buf && (*end == '\n' || *end == '\0') && v >= 0 && v <= 63)
        return (int)v;
    }
  for (last = 63; last > 0; last--)
    if (prctl (PR_CAPBSET_READ, (unsigned long)last, 0, 0, 0) >= 0)
      break;
  return last;
}

static int
caps_get (struct cap_sets *s, rcr_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

  memset (data, 0, sizeof (data));
  if (syscall (SYS_capget, &hdr, data) < 0)
    return rcr_make_error (err, errno, "capget");
  s->effective = (uint64_t)data[1].effective << 32 | data[0].effective;
  s->permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
  s->inheritable = (uint64_t)data[1].inheritable << 32 | data[0].inheritable;
  return 0;
}

static int
caps_set (const struct cap_sets *s, rcr_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

  data[0].effective = (uint32_t)s->effective;
  data[1].effective = (uint32_t)(s->effective >> 32);
  data[0].permitted = (uint32_t)s->permitted;
  data[1].permitted = (uint32_t)(s->permitted >> 32);
  data[0].inheritable = (uint32_t)s->inheritable;
  data[1].inheritable = (uint32_t)(s->inheritable >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return rcr_make_error (err, errno, "capset");
  return 0;
}

static const char *
cap_name (int c)
{
  return c >= 0 && c < N_CAP_NAMES ? cap_names[c] : "an unnamed capability";
}

uint64_t
rcr_caps_default (void)
{
  /* containers/common pkg/config/default.go, DefaultCapabilities since podman 5 */
  return BIT (CAP_CHOWN) | BIT (CAP_DAC_OVERRIDE) | BIT (CAP_FOWNER) | BIT (CAP_FSETID) | BIT (CAP_KILL)
         | BIT (CAP_NET_BIND_SERVICE) | BIT (CAP_SETFCAP) | BIT (CAP_SETGID) | BIT (CAP_SETPCAP) | BIT (CAP_SETUID)
         | BIT (CAP_SYS_CHROOT);
}

uint64_t
rcr_caps_all (void)
{
  /* Like podman, only the capabilities both the kernel and rcr have names for: a newer
     kernel's extra ones stay out of --privileged rather than appear unnamed. */
  int last = kernel_last_cap ();
  if (last >= N_CAP_NAMES)
    last = N_CAP_NAMES - 1;
  return last >= 63 ? ~0ULL : BIT (last + 1) - 1;
}

int
rcr_caps_parse (const char *name, uint64_t *mask, rcr_error_t *err)
{
  const char *bare;

  if (name == NULL || *name == '\0')
    return rcr_make_error (err, 0, "invalid capability \"\": expected a name such as NET_ADMIN, or ALL");
  if (strcasecmp (name, "ALL") == 0)
    {
      *mask = rcr_caps_all ();
      return 0;
    }
  bare = strncasecmp (name, "CAP_", 4) == 0 ? name + 4 : name;
  for (int c = 0; c < N_CAP_NAMES; c++)
    if (strcasecmp (bare, cap_names[c] + 4) == 0)
      {
        *mask = BIT (c);
        return 0;
      }
  return rcr_make_error (err, 0,
                         "unknown capability \"%s\": expected a name from capabilities(7) such as NET_ADMIN or "
                         "CAP_NET_ADMIN, or ALL",
                         name);
}

/* ORs the parsed list into *mask; *all tells whether "ALL" was one of the entries. */
static int
parse_list (char **list, uint64_t *mask, bool *all, rcr_error_t *err)
{
  *mask = 0;
  *all = false;
  for (char **p = list; p && *p; p++)
    {
      uint64_t m;
      int r = rcr_caps_parse (*p, &m, err);
      if (r < 0)
        return r;
      if (strcasecmp (*p, "ALL") == 0)
        *all = true;
      else
        *mask |= m;
    }
  return 0;
}

int
rcr_caps_compute (uint64_t base, char **add, char **drop, uint64_t *out, rcr_error_t *err)
{
  uint64_t add_mask, drop_mask, both;
  bool add_all, drop_all;

  /* containers/common pkg/capabilities MergeCapabilities, rule for rule */
  if (parse_list (add, &add_mask, &add_all, err) < 0)
    return rcr_error_wrap (err, "--cap-add");
  if (parse_list (drop, &drop_mask, &drop_all, err) < 0)
    return rcr_error_wrap (err, "--cap-drop");

  if (drop_all)
    {
      if (add_all)
        return rcr_make_error (err, 0, "adding all caps and removing all caps not allowed");
      *out = add_mask;
      return 0;
    }
  if (add_all)
    {
      *out = rcr_caps_all () & ~drop_mask;
      return 0;
    }
  both = add_mask & drop_mask;
  if (both)
    return rcr_make_error (err, 0, "capability \"%s\" cannot be dropped and added", cap_name (__builtin_ctzll (both)));
  *out = (base & ~drop_mask) | add_mask;
  return 0;
}

int
rcr_caps_user (char **add, uint64_t *out, rcr_error_t *err)
{
  bool all;

  /* podman: MergeCapabilities (nil, CapAdd, nil) for a user other than root */
  if (parse_list (add, out, &all, err) < 0)
    return rcr_error_wrap (err, "--cap-add");
  if (all)
    *out = rcr_caps_all ();
  return 0;
}

int
rcr_caps_apply (uint64_t mask, uint64_t user_caps, bool root_user, rcr_error_t *err)
{
  struct cap_sets cur, want;
  uint64_t bounding = 0, held = 0, missing, unbounded;
  int last = kernel_last_cap ();

  if (caps_get (&cur, err) < 0)
    return rcr_error_wrap (err, "read the capabilities of the container process");
  /* setresuid to a non-zero uid emptied the effective set; PR_CAPBSET_DROP needs
     CAP_SETPCAP in it */
  want = cur;
  want.effective = cur.permitted;
  if (want.effective != cur.effective && caps_set (&want, err) < 0)
    return rcr_error_wrap (err, "raise the effective capabilities");

  for (int c = 0; c <= last; c++)
    {
      int r = prctl (PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0);
      if (r < 0)
        return rcr_make_error (err, errno, "read %s from the bounding set", cap_name (c));
      if (r == 0)
        continue;
      held |= BIT (c);
      if (c < 64 && (mask & BIT (c)))
        {
          bounding |= BIT (c);
          continue;
        }
      if (prctl (PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0)
        return rcr_make_error (err, errno, "drop %s from the bounding set", cap_name (c));
    }

  /* EINVAL: a kernel before 4.3 has no ambient set, so nothing to clear */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return rcr_make_error (err, errno, "clear the ambient capabilities");

  /* As podman, a capability the runtime's own bounding set lacks is left out quietly
     (a nested or restricted host); one that is bounded but not permitted is an error. */
  if (root_user)
    {
      want.permitted = mask & bounding;
      want.inheritable = 0;
    }
  else
    {
      want.permitted = user_caps & held;
      /* podman passes these to the OCI runtime, which fails to raise them: an
         inheritable or ambient capability must be in the bounding set */
      unbounded = want.permitted & ~bounding;
      if (unbounded)
        return rcr_make_error (err, EPERM,
                               "cannot give %s to a user other than root: it was dropped from the "
                               "container's bounding set (--cap-drop)",
                               cap_name (__builtin_ctzll (unbounded)));
      want.inheritable = want.permitted;
    }
  want.effective = want.permitted;
  missing = want.permitted & ~cur.permitted;
  if (missing)
    return rcr_make_error (err, EPERM, "cannot grant %s to the container: the runtime does not hold it",
                           cap_name (__builtin_ctzll (missing)));
  if (caps_set (&want, err) < 0)
    return rcr_error_wrap (err, "set the container's capabilities");
  /* only the ambient set carries capabilities of a user other than root across execve */
  for (int c = 0; c < 64; c++)
    if ((want.inheritable & BIT (c)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
      return rcr_make_error (err, errno, "raise %s in the ambient set", cap_name (c));
  return 0;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

char *
rcr_caps_to_string (uint64_t mask)
{
  const char *names[N_CAP_NAMES];
  size_t n = 0, len = 0;
  char *out, *p;

  /* podman lists capabilities sorted by name (MergeCapabilities sorts) */
  for (int c = 0; c < N_CAP_NAMES; c++)
    if (mask & BIT (c))
      {
        names[n++] = cap_names[c];
        len += strlen (cap_names[c]) + 1;
      }
  qsort (names, n, sizeof (names[0]), cmp_names);
  out = p = rcr_xmalloc0 (len + 1);
  for (size_t i = 0; i < n; i++)
    {
      size_t l = strlen (names[i]);
      if (i > 0)
        *p++ = ',';
      memcpy (p, names[i], l);
      p += l;
    }
  *p = '\0';
  return out;
}
