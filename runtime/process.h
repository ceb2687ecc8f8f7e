/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_PROCESS_H
#define RCR_RUNTIME_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/error.h"

/* ---- capabilities ---- */

/* Podman's 11 default capabilities as a mask of (1ULL << CAP_x). */
uint64_t rcr_caps_default (void);
/* Every capability the running kernel knows (for --privileged). */
uint64_t rcr_caps_all (void);
/* Parses "CAP_NET_ADMIN", "net_admin", "ALL" (case-insensitive, CAP_ prefix optional). */
int rcr_caps_parse (const char *name, uint64_t *mask, rcr_error_t *err);
/* Applies --cap-add/--cap-drop lists (NULL-terminated) to a base mask, as podman:
   drop "ALL" first, then add; adds win over drops of the same cap. */
int rcr_caps_compute (uint64_t base, char **add, char **drop, uint64_t *out, rcr_error_t *err);
/* What a user other than root gets, as podman 4.3: the --cap-add list alone (ALL = every
   capability), without the defaults and without --cap-drop. */
int rcr_caps_user (char **add, uint64_t *out, rcr_error_t *err);
/* In the container process, after setresuid to the container user: bounding set = mask;
   for uid 0 effective = permitted = mask, inheritable and ambient empty; for any other
   user effective = permitted = inheritable = ambient = user_caps (an error when one of
   them is not in mask). Uses prctl(PR_CAPBSET_DROP, PR_CAP_AMBIENT) and capset. */
int rcr_caps_apply (uint64_t mask, uint64_t user_caps, bool root_user, rcr_error_t *err);
/* "CAP_CHOWN,CAP_KILL,..." for inspect, malloc'd. */
char *rcr_caps_to_string (uint64_t mask);

/* ---- users and groups inside the container ---- */

struct rcr_user
{
  uid_t uid;
  gid_t gid;
  gid_t *groups; /* supplementary groups from the container's /etc/group */
  size_t n_groups;
  char *home; /* from /etc/passwd, "/" when unknown */
  char *name; /* NULL when the user was given numerically and is not in /etc/passwd */
};

/* Resolves podman's --user forms: "", "name", "uid", "name:group", "uid:gid",
   "name:gid", "uid:group" against the files of the container's root, read through
   rootfd (a directory fd of the rootfs) without following symlinks out of it
   (openat2 RESOLVE_IN_ROOT). A missing /etc/passwd is fine for numeric ids; an unknown
   name is an error naming the file ("unable to find user tester: no matching entries in
   passwd file"). */
int rcr_user_resolve (int rootfd, const char *spec, struct rcr_user *out, rcr_error_t *err);
void rcr_user_clear (struct rcr_user *u);
/* Adds a supplementary group (--userns=keep-id adds the caller's own gid, as podman). */
void rcr_user_add_group (struct rcr_user *u, gid_t g);
/* --userns=keep-id as podman does it: the image's /etc/passwd and /etc/group (read below
   rootfd, refusing symlinks) with an entry for the user appended ("name:*:uid:gid::/:/bin/sh",
   "name:x:gid:name"), or NULL for a file that has the id already or cannot be read. */
int rcr_user_keep_id_files (int rootfd, uid_t uid, gid_t gid, const char *name, char **passwd, char **group);

/* ---- limits ---- */

struct rcr_ulimit
{
  int resource; /* RLIMIT_* */
  struct rlimit lim;
};
/* Parses podman's --ulimit "nofile=1024:2048", "nproc=512", "core=-1" (unlimited). */
int rcr_ulimit_parse (const char *spec, struct rcr_ulimit *out, rcr_error_t *err);
/* The name of an RLIMIT_* ("nofile"), or NULL. */
const char *rcr_ulimit_name (int resource);

/* ---- environment ---- */

/* Reads an --env-file: KEY=VALUE lines, "#" comments, blank lines skipped, a bare KEY takes
   the value from the caller's environment (skipped when unset), as podman. Appends to *env
   (a NULL-terminated malloc'd vector). */
int rcr_env_file_read (const char *path, char ***env, size_t *n, rcr_error_t *err);
/* Sets KEY=VALUE in a NULL-terminated vector, replacing an existing KEY. "KEY" alone
   takes the caller's value (skipped when unset). */
void rcr_env_set (char ***env, size_t *n, const char *kv);
/* The value of KEY in env, or NULL. */
const char *rcr_env_get (char **env, const char *key);

/* ---- names ---- */

/* A podman-style random name "adjective_surname" (not checked for uniqueness). */
char *rcr_name_generate (void);
/* podman's rule for --name: [a-zA-Z0-9][a-zA-Z0-9_.-]*  */
bool rcr_name_valid (const char *name);

#endif
