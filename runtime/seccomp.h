/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_SECCOMP_H
#define RCR_RUNTIME_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include "common/error.h"

/* A compiled seccomp filter, ready to be loaded just before exec. */
struct rcr_seccomp;

/* Podman's default profile (containers/common seccomp.json semantics): allow-list with
   ERRNO(EPERM) for the denied syscalls, ENOSYS for syscalls unknown to the profile where
   podman does so; the conditional rules that depend on capabilities are decided against
   `caps` (the container's effective capability set as a bit mask of CAP_* numbers). */
int rcr_seccomp_default (uint64_t caps, struct rcr_seccomp **out, rcr_error_t *err);

/* The default profile as a short classic BPF program with libseccomp's meaning (see
   seccomp-bpf.c); an error when the compact compiler does not cover the rule set. */
int rcr_seccomp_default_compact (uint64_t caps, void **bpf, size_t *len, rcr_error_t *err);

/* A profile in the OCI / Docker seccomp JSON format (what --security-opt seccomp=FILE takes). */
int rcr_seccomp_from_file (const char *path, uint64_t caps, struct rcr_seccomp **out, rcr_error_t *err);

/* Loads the filter into the calling thread (sets no_new_privs only when asked: the
   runtime decides that separately). Must be the last step before execve. */
int rcr_seccomp_load (struct rcr_seccomp *s, rcr_error_t *err);

void rcr_seccomp_free (struct rcr_seccomp *s);

/* The compiled program (BPF) of the default profile for these capabilities, from a cache
   in cache_dir keyed by everything it depends on (rcr and libseccomp versions, caps);
   compiled and stored on a miss: the compact compiler's program (seccomp-bpf.c), or
   libseccomp's when that compiler refuses the rule set. Keeps the compilation off the
   start of every container. Profile files are not cached: their flags (LOG, TSYNC) are
   applied by libseccomp when it loads them. */
int rcr_seccomp_cached_bpf (const char *cache_dir, uint64_t caps, void **bpf, size_t *len, rcr_error_t *err);

/* Writes the compiled program to fd. */
int rcr_seccomp_export (struct rcr_seccomp *s, int fd, rcr_error_t *err);

/* Loads a compiled program into the calling thread (seccomp(2) SET_MODE_FILTER). */
int rcr_seccomp_load_bpf (const void *bpf, size_t len, rcr_error_t *err);

#endif
