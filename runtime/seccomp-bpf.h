/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_SECCOMP_BPF_H
#define RCR_RUNTIME_SECCOMP_BPF_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A seccomp rule set with libseccomp's meaning, compiled to a short classic BPF program:
   per architecture a binary search over ranges of syscall numbers that share an action,
   and a small argument check for each conditional syscall. It covers what Podman's
   default profile needs (x86_64 with the x86 and x32 ABIs; EQ, NE and MASKED_EQ on
   arguments) and refuses anything else with an error: the caller then uses libseccomp
   (and drops the rule set, which may hold part of the refused rule). */
struct rcr_seccomp_bpf;

/* An empty rule set for the native architecture, as seccomp_init (default_action). */
int rcr_seccomp_bpf_new (uint32_t default_action, struct rcr_seccomp_bpf **out, rcr_error_t *err);

/* Adds an architecture (SCMP_ARCH_*), as seccomp_arch_add; adding one twice is a no-op. */
int rcr_seccomp_bpf_add_arch (struct rcr_seccomp_bpf *b, uint32_t token, rcr_error_t *err);

/* Adds a rule as seccomp_rule_add_array (ctx, action, nr, nargs, args) would: nr is the
   native number from seccomp_syscall_resolve_name, translated for every architecture. */
int rcr_seccomp_bpf_add_rule (struct rcr_seccomp_bpf *b, uint32_t action, int nr, unsigned int nargs,
                              const struct scmp_arg_cmp *args, rcr_error_t *err);

/* The program (malloc'ed, *len instructions). */
int rcr_seccomp_bpf_compile (const struct rcr_seccomp_bpf *b, struct sock_filter **prog, size_t *len, rcr_error_t *err);

void rcr_seccomp_bpf_free (struct rcr_seccomp_bpf *b);

#endif
