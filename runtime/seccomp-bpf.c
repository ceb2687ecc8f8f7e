/* SPDX-License-Identifier: Apache-2.0 */
/* A compact compiler for the default seccomp profile. libseccomp's program for it is a
   tree of one comparison per syscall number (~1450 instructions); the kernel's cost of
   seccomp() grows with the length (verification, eBPF conversion, JIT). Most neighbouring
   syscall numbers share an action, so ranges of numbers with a binary search over their
   boundaries say the same in a few hundred instructions.

   The meaning must be libseccomp's exactly, since the profile is written for it:
   - rules for a syscall combine as in its db_rule_add: the first unconditional rule wins
     and later ones are dropped; an unconditional rule after conditional ones replaces
     them; conditional rules are merged into one tree, and no match gives the default
     action. That merge is not a plain OR: in libseccomp 2.5.4, "a1 != 9 -> ALLOW" then
     "a0 == 1 && a1 == 9 -> EPERM" loses the second rule on the 32-bit ABIs (its prune
     step takes the new rule's last node for the existing one). So only shapes whose
     merge the tests check against libseccomp are accepted (see rules_supported), where
     it is an OR of rules that never both match; anything else is refused.
   - numbers are translated per architecture as arch_filter_rule_add does (native number
     -> name -> number of the other ABI); pseudo numbers (a syscall the ABI lacks) add
     nothing. On x86 a socket or IPC call also becomes socketcall / ipc with argument 0
     fixed to the call's number, before the direct syscall, as its abi_rule_add does.
   - x86_64 and x32 share AUDIT_ARCH_X86_64 and one search (x32 numbers carry bit 30),
     as libseccomp 2.5 emits them when both are present; arguments are compared in 64
     bits on x86_64 (low and high words) and in 32 bits on x86 and x32.
   - an unknown architecture gets libseccomp's bad-arch action, SCMP_ACT_KILL.
   tests/unit/test_seccomp_bpf.c runs both programs side by side in a BPF interpreter. */
#define _GNU_SOURCE
#include "runtime/seccomp-bpf.h"

#include <errno.h>
#include <linux/audit.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define MAX_ARGS 6
#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define JUMP_MAX 255
#define OFFSET_NR 0
#define OFFSET_ARCH 4
#define OFFSET_ARG(i) (16 + 8 * (i))
#define LO32 UINT64_C (0xffffffff)

/* The ABIs the compiler knows: token, the arch value the kernel reports, argument width. */
static const struct abi
{
  uint32_t token;
  uint32_t audit_arch;
  bool wide;
} abis[] = {
  { SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, true },
  { SCMP_ARCH_X86, AUDIT_ARCH_I386, false },
  { SCMP_ARCH_X32, AUDIT_ARCH_X86_64, false },
};

/* i386's direct socket and IPC syscalls (Linux 4.3 and 5.1); accept, send, recv, semop
   and semtimedop exist there only through socketcall / ipc. */
static const struct
{
  const char *name;
  int nr;
} x86_direct[] = {
  { "socket", 359 },   { "socketpair", 360 }, { "bind", 361 },       { "connect", 362 },     { "listen", 363 },
  { "accept4", 364 },  { "getsockopt", 365 }, { "setsockopt", 366 }, { "getsockname", 367 }, { "getpeername", 368 },
  { "sendto", 369 },   { "sendmsg", 370 },    { "recvfrom", 371 },   { "recvmsg", 372 },     { "shutdown", 373 },
  { "recvmmsg", 337 }, { "sendmmsg", 345 },   { "semget", 393 },     { "semctl", 394 },      { "shmget", 395 },
  { "shmctl", 396 },   { "shmat", 397 },      { "shmdt", 398 },      { "msgget", 399 },      { "msgsnd", 400 },
  { "msgrcv", 401 },   { "msgctl", 402 },
};

/* One argument test: matches when ((arg & mask) == datum) != ne; datum has no bit
   outside mask, mask none outside the ABI's width. */
struct cmp
{
  unsigned int arg;
  enum scmp_compare op; /* as given: EQ, NE or MASKED_EQ */
  bool ne;
  uint64_t mask;
  uint64_t datum;
};

struct rule
{
  uint32_t action;
  unsigned int ncmp;
  struct cmp cmp[MAX_ARGS]; /* by argument index */
};

/* What one syscall number does: an action, or conditional rules with the default as the
   fallback. */
struct sys
{
  uint32_t nr;
  bool wide;
  bool conditional;
  uint32_t action;
  struct rule *rules;
  size_t nrules;
};

/* The syscalls of one audit arch value, sorted by number. */
struct section
{
  uint32_t audit_arch;
  struct sys *sys;
  size_t n;
};

struct rcr_seccomp_bpf
{
  uint32_t default_action;
  uint32_t bad_arch_action;
  uint32_t native;
  const struct abi *abis[N_ELEMENTS (abis)];
  size_t n_abis;
  struct section sections[N_ELEMENTS (abis)];
  size_t n_sections;
};

static const struct abi *
abi_by_token (uint32_t token)
{
  for (size_t i = 0; i < N_ELEMENTS (abis); i++)
    if (abis[i].token == token)
      return &abis[i];
  return NULL;
}

void
rcr_seccomp_bpf_free (struct rcr_seccomp_bpf *b)
{
  if (b == NULL)
    return;
  for (size_t i = 0; i < b->n_sections; i++)
    {
      for (size_t j = 0; j < b->sections[i].n; j++)
        free (b->sections[i].sys[j].rules);
      free (b->sections[i].sys);
    }
  free (b);
}

int
rcr_seccomp_bpf_new (uint32_t default_action, struct rcr_seccomp_bpf **out, rcr_error_t *err)
{
  struct rcr_seccomp_bpf *b;
  int ret;

  *out = NULL;
  b = rcr_xmalloc0 (sizeof (*b));
  b->default_action = default_action;
  b->bad_arch_action = SCMP_ACT_KILL; /* libseccomp's SCMP_FLTATR_ACT_BADARCH default */
  b->native = seccomp_arch_native ();
  ret = rcr_seccomp_bpf_add_arch (b, b->native, err);
  if (ret < 0)
    {
      rcr_seccomp_bpf_free (b);
      return ret;
    }
  *out = b;
  return 0;
}

int
rcr_seccomp_bpf_add_arch (struct rcr_seccomp_bpf *b, uint32_t token, rcr_error_t *err)
{
  const struct abi *abi = abi_by_token (token);
  size_t i;

  if (abi == NULL || b->native != SCMP_ARCH_X86_64)
    return rcr_make_error (err, ENOTSUP, "compact seccomp filter: architecture 0x%x (native 0x%x) not supported", token,
                           b->native);
  for (i = 0; i < b->n_abis; i++)
    if (b->abis[i] == abi)
      return 0;
  b->abis[b->n_abis++] = abi;
  for (i = 0; i < b->n_sections; i++)
    if (b->sections[i].audit_arch == abi->audit_arch)
      return 0;
  b->sections[b->n_sections++].audit_arch = abi->audit_arch;
  return 0;
}

/* ---- the rule set ------------------------------------------------------------------ */

static bool
same_rule (const struct rule *a, const struct rule *b)
{
  if (a->action != b->action || a->ncmp != b->ncmp)
    return false;
  for (unsigned int i = 0; i < a->ncmp; i++)
    if (a->cmp[i].arg != b->cmp[i].arg || a->cmp[i].op != b->cmp[i].op || a->cmp[i].mask != b->cmp[i].mask
        || a->cmp[i].datum != b->cmp[i].datum)
      return false;
  return true;
}

static const struct cmp *
rule_cmp (const struct rule *r, unsigned int arg)
{
  for (unsigned int i = 0; i < r->ncmp; i++)
    if (r->cmp[i].arg == arg)
      return &r->cmp[i];
  return NULL;
}

/* Rules that each test one argument, the same one, with EQ for distinct values that share
   their high word (libseccomp refuses values with one low word and different actions). */
static bool
shape_set (const struct sys *s)
{
  for (size_t i = 0; i < s->nrules; i++)
    {
      const struct cmp *c = &s->rules[i].cmp[0];

      if (s->rules[i].ncmp != 1 || c->op != SCMP_CMP_EQ || c->arg != s->rules[0].cmp[0].arg
          || c->datum >> 32 != s->rules[0].cmp[0].datum >> 32)
        return false;
      for (size_t j = 0; j < i; j++)
        if (s->rules[j].cmp[0].datum == c->datum)
          return false;
    }
  return true;
}

/* A rule of EQ tests, then rules of one other action that each test one of its arguments
   with NE and the same value. */
static bool
shape_complement (const struct sys *s)
{
  const struct rule *first = &s->rules[0];

  if (s->nrules < 2)
    return false;
  for (unsigned int i = 0; i < first->ncmp; i++)
    if (first->cmp[i].op != SCMP_CMP_EQ)
      return false;
  for (size_t i = 1; i < s->nrules; i++)
    {
      const struct rule *r = &s->rules[i];
      const struct cmp *eq = r->ncmp == 1 ? rule_cmp (first, r->cmp[0].arg) : NULL;

      if (eq == NULL || r->cmp[0].op != SCMP_CMP_NE || r->cmp[0].datum != eq->datum || r->action == first->action
          || r->action != s->rules[1].action)
        return false;
    }
  return true;
}

/* The conditional rules of a syscall in a shape libseccomp merges into an OR of rules
   that never both match (the first match then decides, in any order): one rule (nothing
   to merge); a set (personality; socketcall and ipc on x86); a complement (socket without
   CAP_AUDIT_WRITE). */
static bool
rules_supported (const struct sys *s)
{
  return s->nrules == 1 || shape_set (s) || shape_complement (s);
}

static struct sys *
section_sys (struct section *s, uint32_t nr, bool wide)
{
  size_t lo = 0, hi = s->n;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (s->sys[mid].nr < nr)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < s->n && s->sys[lo].nr == nr)
    return &s->sys[lo];
  s->sys = rcr_xrealloc (s->sys, (s->n + 1) * sizeof (*s->sys));
  memmove (&s->sys[lo + 1], &s->sys[lo], (s->n - lo) * sizeof (*s->sys));
  s->n++;
  memset (&s->sys[lo], 0, sizeof (s->sys[lo]));
  s->sys[lo].nr = nr;
  s->sys[lo].wide = wide;
  s->sys[lo].action = UINT32_MAX; /* no rule yet */
  return &s->sys[lo];
}

static bool
sys_empty (const struct sys *s)
{
  return !s->conditional && s->action == UINT32_MAX;
}

/* db_rule_add's combination, for the cases this compiler accepts. */
static int
sys_add (struct sys *s, const struct rule *r, rcr_error_t *err)
{
  if (r->ncmp == 0)
    {
      if (s->conditional)
        {
          free (s->rules);
          s->rules = NULL;
          s->nrules = 0;
          s->conditional = false;
          s->action = r->action;
        }
      else if (sys_empty (s))
        s->action = r->action;
      return 0;
    }
  if (!s->conditional && !sys_empty (s))
    return 0;
  for (size_t i = 0; i < s->nrules; i++)
    if (same_rule (&s->rules[i], r))
      return 0; /* libseccomp finds it redundant */
  s->conditional = true;
  s->rules = rcr_xrealloc (s->rules, (s->nrules + 1) * sizeof (*s->rules));
  s->rules[s->nrules++] = *r;
  if (!rules_supported (s))
    return rcr_make_error (err, ENOTSUP,
                           "compact seccomp filter: syscall %u: argument rules in a combination not covered", s->nr);
  return 0;
}

/* One rule for one ABI's syscall number; args as libseccomp's chain, by argument index. */
static int
add_abi_rule (struct rcr_seccomp_bpf *b, const struct abi *abi, int nr, uint32_t action,
              const struct scmp_arg_cmp *chain[MAX_ARGS], rcr_error_t *err)
{
  const uint64_t width = abi->wide ? UINT64_MAX : LO32;
  struct section *sec = NULL;
  struct rule r = { .action = action };

  if (nr < 0)
    return 0; /* a pseudo number: libseccomp keeps it out of the program */
  for (unsigned int i = 0; i < MAX_ARGS; i++)
    {
      const struct scmp_arg_cmp *a = chain[i];
      struct cmp c = { .arg = i };

      if (a == NULL)
        continue;
      c.op = a->op;
      if (a->op == SCMP_CMP_EQ || a->op == SCMP_CMP_NE)
        {
          c.ne = a->op == SCMP_CMP_NE;
          c.mask = UINT64_MAX;
          c.datum = a->datum_a;
        }
      else
        {
          /* a value with bits outside its mask: whether libseccomp masks it too is not
             something this compiler guesses at */
          if ((a->datum_b & ~a->datum_a) != 0)
            return rcr_make_error (err, ENOTSUP, "compact seccomp filter: a masked value with bits outside its mask");
          c.mask = a->datum_a;
          c.datum = a->datum_b;
        }
      /* libseccomp would compare only the low word on a 32-bit ABI: refused, not copied */
      if ((c.mask & c.datum & ~width) != 0 || (a->op == SCMP_CMP_MASKED_EQ && (c.mask & ~width) != 0))
        return rcr_make_error (err, ENOTSUP, "compact seccomp filter: a 64-bit value on a 32-bit ABI");
      c.mask &= width;
      if (c.mask == 0)
        continue; /* libseccomp drops a test with an empty mask */
      r.cmp[r.ncmp++] = c;
    }
  for (size_t i = 0; i < b->n_sections; i++)
    if (b->sections[i].audit_arch == abi->audit_arch)
      sec = &b->sections[i];
  return sys_add (section_sys (sec, (uint32_t)nr, abi->wide), &r, err);
}

/* On x86, abi_rule_add: a socket or IPC call (a pseudo number there) is added as socketcall
   or ipc with argument 0 set to the call's number, then as the direct syscall if i386 has
   one. */
static int
add_x86_multiplexed (struct rcr_seccomp_bpf *b, const struct abi *abi, const char *name, int pseudo, uint32_t action,
                     const struct scmp_arg_cmp *chain[MAX_ARGS], rcr_error_t *err)
{
  const bool socket = pseudo <= -100 && pseudo >= -120;
  const struct scmp_arg_cmp *mux_chain[MAX_ARGS];
  struct scmp_arg_cmp call = { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = (uint64_t)(-pseudo % (socket ? 100 : 200)) };
  int mux = seccomp_syscall_resolve_name_arch (abi->token, socket ? "socketcall" : "ipc");
  int ret;

  if (mux < 0)
    return rcr_make_error (err, ENOTSUP, "compact seccomp filter: no %s syscall on x86", socket ? "socketcall" : "ipc");
  memcpy (mux_chain, chain, sizeof (mux_chain));
  mux_chain[0] = &call;
  ret = add_abi_rule (b, abi, mux, action, mux_chain, err);
  if (ret < 0)
    return ret;
  for (size_t i = 0; i < N_ELEMENTS (x86_direct); i++)
    if (strcmp (x86_direct[i].name, name) == 0)
      {
        cleanup_free char *known = seccomp_syscall_resolve_num_arch (abi->token, x86_direct[i].nr);

        /* an older libseccomp without the direct call emits only the multiplexed rule */
        if (known == NULL)
          return 0;
        if (strcmp (known, name) != 0)
          return rcr_make_error (err, ENOTSUP, "compact seccomp filter: x86 syscall %d is %s for libseccomp, not %s",
                                 x86_direct[i].nr, known, name);
        return add_abi_rule (b, abi, x86_direct[i].nr, action, chain, err);
      }
  return 0;
}

int
rcr_seccomp_bpf_add_rule (struct rcr_seccomp_bpf *b, uint32_t action, int nr, unsigned int nargs,
                          const struct scmp_arg_cmp *args, rcr_error_t *err)
{
  const struct scmp_arg_cmp *chain[MAX_ARGS] = { NULL };
  cleanup_free char *name = NULL;

  if (action == b->default_action)
    return rcr_make_error (err, EACCES, "compact seccomp filter: a rule with the default action");
  if (nargs > MAX_ARGS)
    return rcr_make_error (err, EINVAL, "compact seccomp filter: %u argument tests", nargs);
  for (unsigned int i = 0; i < nargs; i++)
    {
      if (args[i].arg >= MAX_ARGS || chain[args[i].arg] != NULL)
        return rcr_make_error (err, EINVAL, "compact seccomp filter: argument %u tested twice or out of range",
                               args[i].arg);
      if (args[i].op != SCMP_CMP_EQ && args[i].op != SCMP_CMP_NE && args[i].op != SCMP_CMP_MASKED_EQ)
        return rcr_make_error (err, ENOTSUP, "compact seccomp filter: comparison %d not supported", (int)args[i].op);
      chain[args[i].arg] = &args[i];
    }
  if (nr <= -1 && nr >= -99)
    return rcr_make_error (err, EINVAL, "compact seccomp filter: syscall %d", nr);

  for (size_t i = 0; i < b->n_abis; i++)
    {
      const struct abi *abi = b->abis[i];
      int abi_nr = nr;
      int ret;

      /* arch_syscall_translate: through the name the native number has */
      if (abi->token != b->native)
        {
          if (name == NULL)
            name = seccomp_syscall_resolve_num_arch (b->native, nr);
          if (name == NULL)
            return rcr_make_error (err, EFAULT, "compact seccomp filter: syscall %d has no name", nr);
          abi_nr = seccomp_syscall_resolve_name_arch (abi->token, name);
          if (abi_nr == __NR_SCMP_ERROR)
            return rcr_make_error (err, EFAULT, "compact seccomp filter: syscall %s unknown on 0x%x", name, abi->token);
        }
      if (abi->token == SCMP_ARCH_X86 && ((abi_nr <= -100 && abi_nr >= -120) || (abi_nr <= -200 && abi_nr >= -224)))
        ret = add_x86_multiplexed (b, abi, name, abi_nr, action, chain, err);
      else
        ret = add_abi_rule (b, abi, abi_nr, action, chain, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* ---- code generation ----------------------------------------------------------------- */

/* The program is assembled backwards, from its last instruction: every jump's targets
   already exist, so their distance is known. A conditional jump reaches at most 255
   instructions ahead; a return further away is repeated nearby, anything else is reached
   through a long "ja". A label is an instruction's index counted from the end. */
struct assembler
{
  struct sock_filter *ins; /* in reverse order */
  size_t n;
  size_t cap;
  struct
  {
    uint32_t action;
    size_t at;
  } rets[16]; /* the nearest copy of each return */
  size_t nrets;
};

struct target
{
  bool ret;
  uint32_t action; /* when ret */
  size_t at;       /* a label otherwise */
};

static struct target
to_ret (uint32_t action)
{
  return (struct target){ .ret = true, .action = action };
}

static struct target
to_label (size_t at)
{
  return (struct target){ .at = at };
}

static size_t
emit (struct assembler *a, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
  if (a->n == a->cap)
    {
      a->cap = a->cap ? 2 * a->cap : 512;
      a->ins = rcr_xrealloc (a->ins, a->cap * sizeof (*a->ins));
    }
  a->ins[a->n] = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
  return a->n++;
}

/* A label for t that the next instruction, emitted after `margin` more, can jump to. */
static size_t
reach (struct assembler *a, struct target t, size_t margin)
{
  if (t.ret)
    {
      size_t i;

      for (i = 0; i < a->nrets && a->rets[i].action != t.action; i++)
        ;
      if (i < a->nrets && a->n - a->rets[i].at - 1 + margin <= JUMP_MAX)
        return a->rets[i].at;
      if (i == a->nrets)
        a->rets[a->nrets++].action = t.action; /* compile checked there is room */
      a->rets[i].at = emit (a, BPF_RET | BPF_K, 0, 0, t.action);
      return a->rets[i].at;
    }
  if (a->n - t.at - 1 + margin <= JUMP_MAX)
    return t.at;
  return emit (a, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(a->n - t.at - 1));
}

static size_t
jump (struct assembler *a, uint16_t op, uint32_t k, struct target jt, struct target jf)
{
  size_t f = reach (a, jf, 1);
  size_t t = reach (a, jt, 0);
  size_t self = a->n;

  return emit (a, BPF_JMP | op | BPF_K, (uint8_t)(self - t - 1), (uint8_t)(self - f - 1), k);
}

/* Loads one 32-bit word of an argument, masked, and compares it. */
static size_t
emit_word (struct assembler *a, uint32_t offset, uint32_t mask, uint32_t datum, struct target eq, struct target ne)
{
  jump (a, BPF_JEQ, datum, eq, ne);
  if (mask != UINT32_MAX)
    emit (a, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);
  return emit (a, BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
}

/* One argument test (low word, and on a 64-bit ABI the high word first). */
static struct target
emit_cmp (struct assembler *a, bool wide, const struct cmp *c, struct target pass, struct target fail)
{
  const struct target match = c->ne ? fail : pass;
  const struct target differ = c->ne ? pass : fail;
  struct target lo = match;

  if ((uint32_t)c->mask != 0)
    lo = to_label (emit_word (a, OFFSET_ARG (c->arg), (uint32_t)c->mask, (uint32_t)c->datum, match, differ));
  if (wide && (c->mask >> 32) != 0)
    return to_label (
        emit_word (a, OFFSET_ARG (c->arg) + 4, (uint32_t)(c->mask >> 32), (uint32_t)(c->datum >> 32), lo, differ));
  return lo;
}

/* A set: the high word once (on a 64-bit ABI), then a "jeq" on the low word for each value. */
static size_t
emit_set (struct assembler *a, const struct sys *s, uint32_t default_action)
{
  const unsigned int arg = s->rules[0].cmp[0].arg;
  const struct target fail = to_ret (default_action);
  struct target t = fail;

  for (size_t i = s->nrules; i-- > 0;)
    t = to_label (jump (a, BPF_JEQ, (uint32_t)s->rules[i].cmp[0].datum, to_ret (s->rules[i].action), t));
  t = to_label (emit (a, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFFSET_ARG (arg)));
  if (!s->wide)
    return t.at;
  jump (a, BPF_JEQ, (uint32_t)(s->rules[0].cmp[0].datum >> 32), t, fail);
  return emit (a, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFFSET_ARG (arg) + 4);
}

/* A conditional syscall: its rules in order, then the default action. */
static size_t
emit_block (struct assembler *a, const struct sys *s, uint32_t default_action)
{
  struct target fail = to_ret (default_action);
  size_t nrules = s->nrules;

  if (shape_set (s))
    return emit_set (a, s, default_action);
  if (shape_complement (s))
    {
      /* when the negations cover every test of the first rule, one of them matches
         whenever it does not */
      bool covered = true;

      for (unsigned int i = 0; i < s->rules[0].ncmp; i++)
        {
          bool negated = false;
          for (size_t j = 1; j < s->nrules; j++)
            negated |= s->rules[j].cmp[0].arg == s->rules[0].cmp[i].arg;
          covered &= negated;
        }
      if (covered)
        {
          fail = to_ret (s->rules[1].action);
          nrules = 1;
        }
    }
  for (size_t i = nrules; i-- > 0;)
    {
      const struct rule *r = &s->rules[i];
      struct target pass = to_ret (r->action);

      for (unsigned int j = r->ncmp; j-- > 0;)
        pass = emit_cmp (a, s->wide, &r->cmp[j], pass, fail);
      fail = pass;
    }
  return fail.at;
}

/* What a syscall number does: an action, or a conditional syscall's block. */
struct outcome
{
  const struct sys *block; /* NULL for an action */
  uint32_t action;
  size_t *emitted; /* the block's label + 1 once emitted, shared by equal blocks */
};

/* A lone number between two ranges with the same outcome costs one "jeq" as an exception
   to one range, instead of two boundaries; a few per range keep every path short. */
#define MAX_EXCEPTIONS 4

/* Numbers from lo up to the next segment's lo: one outcome, but for a few exceptions. */
struct segment
{
  uint32_t lo;
  struct outcome o;
  size_t nexc;
  struct
  {
    uint32_t nr;
    struct outcome o;
  } exc[MAX_EXCEPTIONS];
};

static bool
same_block (const struct sys *a, const struct sys *b)
{
  if (a->wide != b->wide || a->nrules != b->nrules)
    return false;
  for (size_t i = 0; i < a->nrules; i++)
    if (!same_rule (&a->rules[i], &b->rules[i]))
      return false;
  return true;
}

static bool
same_outcome (const struct outcome *a, const struct outcome *b)
{
  if (a->block == NULL || b->block == NULL)
    return a->block == b->block && a->action == b->action;
  return same_block (a->block, b->block);
}

/* The section's numbers as segments: ranges with one outcome, neighbours with the same
   outcome merged, lone numbers folded into their neighbours as exceptions. */
static struct segment *
section_segments (const struct section *sec, uint32_t default_action, size_t *emitted, size_t *n)
{
  cleanup_free struct segment *r = rcr_xmalloc0 ((2 * sec->n + 1) * sizeof (*r));
  struct segment *seg;
  const struct outcome def = { .action = default_action };
  uint64_t next = 0;
  size_t m = 0, k = 0;

  for (size_t i = 0; i < sec->n; i++)
    {
      const struct sys *s = &sec->sys[i];
      struct segment cur = { .lo = s->nr, .o = { .block = s->conditional ? s : NULL, .action = s->action } };

      if (sys_empty (s))
        continue;
      if (s->nr > next)
        r[m++] = (struct segment){ .lo = (uint32_t)next, .o = def };
      if (cur.o.block != NULL)
        {
          cur.o.emitted = &emitted[i];
          for (size_t j = 0; j < m; j++)
            if (r[j].o.block != NULL && same_block (r[j].o.block, cur.o.block))
              cur.o.emitted = r[j].o.emitted;
        }
      if (m == 0 || !same_outcome (&r[m - 1].o, &cur.o))
        r[m++] = cur;
      next = (uint64_t)s->nr + 1;
    }
  if (next <= UINT32_MAX && !(m > 0 && same_outcome (&r[m - 1].o, &def)))
    r[m++] = (struct segment){ .lo = (uint32_t)next, .o = def };

  seg = rcr_xmalloc0 (m * sizeof (*seg));
  for (size_t i = 0; i < m; i++)
    {
      if (k > 0 && i + 1 < m && r[i].lo + 1 == r[i + 1].lo && same_outcome (&seg[k - 1].o, &r[i + 1].o)
          && seg[k - 1].nexc < MAX_EXCEPTIONS)
        {
          seg[k - 1].exc[seg[k - 1].nexc].nr = r[i].lo;
          seg[k - 1].exc[seg[k - 1].nexc++].o = r[i].o;
          i++; /* the range after it continues the segment */
          continue;
        }
      seg[k++] = r[i];
    }
  *n = k;
  return seg;
}

static struct target
outcome_target (struct assembler *a, const struct outcome *o, uint32_t default_action)
{
  if (o->block == NULL)
    return to_ret (o->action);
  if (*o->emitted == 0)
    *o->emitted = emit_block (a, o->block, default_action) + 1;
  return to_label (*o->emitted - 1);
}

/* A balanced search over segments [i, j]: "nr >= first number of the upper half". */
static struct target
emit_search (struct assembler *a, const struct segment *seg, size_t i, size_t j, uint32_t default_action)
{
  size_t mid;
  struct target upper, lower;

  if (i == j)
    {
      struct target t = outcome_target (a, &seg[i].o, default_action);

      for (size_t e = seg[i].nexc; e-- > 0;)
        t = to_label (jump (a, BPF_JEQ, seg[i].exc[e].nr, outcome_target (a, &seg[i].exc[e].o, default_action), t));
      return t;
    }
  mid = i + (j - i + 1) / 2;
  upper = emit_search (a, seg, mid, j, default_action);
  lower = emit_search (a, seg, i, mid - 1, default_action);
  return to_label (jump (a, BPF_JGE, seg[mid].lo, upper, lower));
}

static size_t
count_actions (const struct rcr_seccomp_bpf *b)
{
  uint32_t seen[64] = { b->default_action, b->bad_arch_action };
  size_t n = 2;

  for (size_t i = 0; i < b->n_sections; i++)
    for (size_t j = 0; j < b->sections[i].n; j++)
      {
        const struct sys *s = &b->sections[i].sys[j];

        if (sys_empty (s))
          continue;
        for (size_t k = 0; k < (s->conditional ? s->nrules : 1); k++)
          {
            uint32_t act = s->conditional ? s->rules[k].action : s->action;
            size_t x = 0;

            while (x < n && seen[x] != act)
              x++;
            if (x == n && n == N_ELEMENTS (seen))
              return SIZE_MAX;
            if (x == n)
              seen[n++] = act;
          }
      }
  return n;
}

int
rcr_seccomp_bpf_compile (const struct rcr_seccomp_bpf *b, struct sock_filter **prog, size_t *len, rcr_error_t *err)
{
  struct assembler a = { 0 };
  struct target entry[N_ELEMENTS (abis)];
  struct target next;
  struct sock_filter *out;

  *prog = NULL;
  *len = 0;
  /* x86_64 is the native ABI; libseccomp merges it with x32 into one search (no test of
     the x32 bit) only when both are present */
  if (b->n_sections == b->n_abis)
    return rcr_make_error (err, ENOTSUP, "compact seccomp filter: x86_64 without x32");
  /* every return is one of a few actions: the assembler keeps one nearby copy of each */
  if (count_actions (b) > N_ELEMENTS (a.rets))
    return rcr_make_error (err, ENOTSUP, "compact seccomp filter: more than %zu actions", N_ELEMENTS (a.rets));

  for (size_t i = b->n_sections; i-- > 0;)
    {
      const struct section *sec = &b->sections[i];
      cleanup_free size_t *emitted = rcr_xmalloc0 ((sec->n + 1) * sizeof (*emitted));
      cleanup_free struct segment *seg = NULL;
      size_t n;

      seg = section_segments (sec, b->default_action, emitted, &n);
      entry[i] = emit_search (&a, seg, 0, n - 1, b->default_action);
      if (n > 1 || seg[0].nexc > 0)
        entry[i] = to_label (emit (&a, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFFSET_NR));
    }
  next = to_ret (b->bad_arch_action);
  for (size_t i = b->n_sections; i-- > 0;)
    next = to_label (jump (&a, BPF_JEQ, b->sections[i].audit_arch, entry[i], next));
  emit (&a, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFFSET_ARCH);

  if (a.n > BPF_MAXINSNS)
    {
      free (a.ins);
      return rcr_make_error (err, E2BIG, "compact seccomp filter: %zu instructions", a.n);
    }
  out = rcr_xmalloc0 (a.n * sizeof (*out));
  for (size_t i = 0; i < a.n; i++)
    out[i] = a.ins[a.n - 1 - i];
  free (a.ins);
  *prog = out;
  *len = a.n;
  return 0;
}
