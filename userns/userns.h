/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_USERNS_USERNS_H
#define RCR_USERNS_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* newuidmap / newgidmap as found on this host. */
struct rcr_idtool
{
  char *path;  /* NULL when not found */
  bool usable; /* setuid root or carrying file capabilities */
  const char *hint;
};

void rcr_userns_probe_tool (const char *name, struct rcr_idtool *out);
void rcr_idtool_clear (struct rcr_idtool *t);

/* Runs fn(arg) in a forked child that is root of a new user namespace through a single-id
   mapping of the caller (no newuidmap needed), with the extra CLONE_* flags unshared too.
   As real root no user namespace is made. *status receives fn's return value (0-255) or
   128+signal. */
int rcr_userns_run_single (int (*fn) (void *), void *arg, int extra_flags, int *status, rcr_error_t *err);


enum rcr_userns_mode
{
  RCR_USERNS_DEFAULT, /* 0 → the caller, 1.. → the subordinate ranges */
  RCR_USERNS_KEEP_ID, /* the caller's ids are the same inside; the ranges fill the rest */
};

/* The id maps of one user namespace, worked out (subid files read, helpers found, command
   lines built) before the namespace exists, so that mapping it costs only the helpers. */
struct rcr_idmap_plan
{
  char *uid_tool, *gid_tool; /* newuidmap, newgidmap */
  char **uid_argv, **gid_argv;
  bool single; /* no subordinate ranges: only the caller is mapped, setgroups denied */
  uid_t uid;
  gid_t gid;
};

/* Plans the maps of mode for the calling user. With no subordinate ranges the default
   mode falls back to a single-id map with a warning (as podman does); keep-id fails with
   the usermod hint. */
int rcr_userns_plan (enum rcr_userns_mode mode, struct rcr_idmap_plan *plan, rcr_error_t *err);
/* Writes the planned maps for process pid (a child in a new user namespace); the pid is
   put into the helpers' command lines for the call. MEANWHILE (may be NULL) runs while the
   helpers do, for work of the caller's that the child needs only once mapped; its failure
   fails the call (after the helpers are waited for). */
int rcr_userns_apply (struct rcr_idmap_plan *plan, pid_t pid, int (*meanwhile) (void *arg, rcr_error_t *err),
                      void *meanwhile_arg, rcr_error_t *err);
void rcr_userns_plan_clear (struct rcr_idmap_plan *plan);

/* The work a mapped child does; a failure's message travels back to the parent. */
typedef int (*rcr_userns_fn) (void *arg, rcr_error_t *err);

/* Runs fn(arg) in a forked child that is root (uid/gid 0) of a new user namespace mapped
   like a rootless container: 0 → the caller, 1.. → the caller's subordinate ranges, written
   by newuidmap/newgidmap. extra_flags are unshared with the user namespace (CLONE_NEWNS,
   ...). As real root, fn runs in a plain child with the extra flags only. Fails with the
   usermod hint when the user has no subordinate ranges. With exit_status NULL a child
   exiting non-zero is an error; otherwise its status (128+N for signal N) lands there. */
int rcr_userns_run_mapped (rcr_userns_fn fn, void *arg, int extra_flags, int *exit_status, rcr_error_t *err);

#endif
