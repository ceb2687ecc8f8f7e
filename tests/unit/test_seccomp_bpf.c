/* SPDX-License-Identifier: Apache-2.0 */
/* The compact seccomp compiler (runtime/seccomp-bpf.c) against libseccomp, its reference:
   a classic BPF interpreter runs libseccomp's exported program and the compact one on the
   same struct seccomp_data inputs and the return values must be identical. The inputs are
   every syscall number below 1100 (and with the x32 bit), a few huge numbers, on x86_64,
   i386 and a foreign architecture; for every number whose program reads arguments (and
   its two neighbours), a grid of argument values built from the constants the two
   programs compare them with (the value, value +- 1, each mask bit flipped, 0, ~0, high
   words set and clear), found by running the programs until no new constant turns up.
   The test tests itself: every comparison constant of the compact program moved by one,
   and every return flipped, must make the comparison fail, and every instruction must be
   reached by some input. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/seccomp-bpf.h"
#include "runtime/seccomp.h"
#include "tap.h"

#define CAPB(n) (UINT64_C (1) << (n))
#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define N_WORDS 12 /* the argument words of struct seccomp_data: offsets 16..60 */
#define MAX_CONSTS 128
#define GRID_MAX 400000

static const uint64_t podman_caps = CAPB (CAP_CHOWN) | CAPB (CAP_DAC_OVERRIDE) | CAPB (CAP_FOWNER) | CAPB (CAP_FSETID)
                                    | CAPB (CAP_KILL) | CAPB (CAP_NET_BIND_SERVICE) | CAPB (CAP_SETFCAP)
                                    | CAPB (CAP_SETGID) | CAPB (CAP_SETPCAP) | CAPB (CAP_SETUID)
                                    | CAPB (CAP_SYS_CHROOT);

struct prog
{
  const struct sock_filter *ins;
  size_t n;
};

/* ---- a classic BPF interpreter, as the kernel runs a seccomp filter --------------------- */

/* The constants a program compares each argument word with (or masks it with). */
struct consts
{
  uint32_t v[N_WORDS][MAX_CONSTS];
  size_t n[N_WORDS];
  uint32_t mask[N_WORDS][MAX_CONSTS];
  size_t nmask[N_WORDS];
  bool grew;
};

static void
add_const (uint32_t *set, size_t *n, uint32_t v, bool *grew)
{
  for (size_t i = 0; i < *n; i++)
    if (set[i] == v)
      return;
  if (*n == MAX_CONSTS)
    return;
  set[(*n)++] = v;
  *grew = true;
}

struct run
{
  uint32_t ret;
  bool bad;           /* an instruction the interpreter (or the kernel) refuses */
  unsigned int words; /* the argument words the program loaded */
};

static struct run
bpf_run (const struct prog *p, const struct seccomp_data *d, struct consts *seen, bool *covered)
{
  struct run r = { 0 };
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
  int src = -1; /* the argument word A holds, masked or not */
  size_t pc = 0;

  while (pc < p->n)
    {
      const struct sock_filter *f = &p->ins[pc];
      uint32_t k = f->k, operand;

      if (covered)
        covered[pc] = true;
      pc++;
      switch (BPF_CLASS (f->code))
        {
        case BPF_LD:
          src = -1;
          if (f->code == (BPF_LD | BPF_W | BPF_ABS) && k < sizeof (*d) && k % 4 == 0)
            {
              memcpy (&A, (const char *)d + k, sizeof (A));
              if (k >= 16)
                {
                  src = (int)(k - 16) / 4;
                  r.words |= 1u << src;
                }
            }
          else if (f->code == (BPF_LD | BPF_IMM))
            A = k;
          else if (f->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
            A = M[k];
          else
            goto bad;
          break;
        case BPF_LDX:
          if (f->code == (BPF_LDX | BPF_IMM))
            X = k;
          else if (f->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
            X = M[k];
          else
            goto bad;
          break;
        case BPF_ST:
        case BPF_STX:
          if (k >= BPF_MEMWORDS)
            goto bad;
          M[k] = BPF_CLASS (f->code) == BPF_ST ? A : X;
          break;
        case BPF_ALU:
          operand = BPF_SRC (f->code) == BPF_X ? X : k;
          if (BPF_OP (f->code) == BPF_AND && BPF_SRC (f->code) == BPF_K && src >= 0 && seen)
            add_const (seen->mask[src], &seen->nmask[src], k, &seen->grew);
          else
            src = -1;
          switch (BPF_OP (f->code))
            {
            case BPF_ADD:
              A += operand;
              break;
            case BPF_SUB:
              A -= operand;
              break;
            case BPF_MUL:
              A *= operand;
              break;
            case BPF_OR:
              A |= operand;
              break;
            case BPF_AND:
              A &= operand;
              break;
            case BPF_XOR:
              A ^= operand;
              break;
            case BPF_LSH:
              A = operand < 32 ? A << operand : 0;
              break;
            case BPF_RSH:
              A = operand < 32 ? A >> operand : 0;
              break;
            case BPF_NEG:
              A = -A;
              break;
            case BPF_DIV:
              if (operand == 0)
                goto bad;
              A /= operand;
              break;
            default:
              goto bad;
            }
          break;
        case BPF_JMP:
          {
            bool taken;

            if (BPF_OP (f->code) == BPF_JA)
              {
                if (k >= p->n - pc)
                  goto bad;
                pc += k;
                break;
              }
            operand = BPF_SRC (f->code) == BPF_X ? X : k;
            if (BPF_SRC (f->code) == BPF_K && src >= 0 && seen)
              add_const (seen->v[src], &seen->n[src], k, &seen->grew);
            switch (BPF_OP (f->code))
              {
              case BPF_JEQ:
                taken = A == operand;
                break;
              case BPF_JGT:
                taken = A > operand;
                break;
              case BPF_JGE:
                taken = A >= operand;
                break;
              case BPF_JSET:
                taken = (A & operand) != 0;
                break;
              default:
                goto bad;
              }
            if ((size_t)(taken ? f->jt : f->jf) >= p->n - pc)
              goto bad;
            pc += taken ? f->jt : f->jf;
            break;
          }
        case BPF_RET:
          r.ret = BPF_RVAL (f->code) == BPF_A ? A : k;
          return r;
        case BPF_MISC:
          if (f->code == (BPF_MISC | BPF_TAX))
            X = A;
          else if (f->code == (BPF_MISC | BPF_TXA))
            A = X;
          else
            goto bad;
          break;
        default:
          goto bad;
        }
    }
bad:
  r.bad = true;
  return r;
}

/* ---- inputs ------------------------------------------------------------------------------- */

struct inputs
{
  struct seccomp_data *d;
  size_t n;
  size_t cap;
};

static void
push (struct inputs *in, const struct seccomp_data *d)
{
  if (in->n == in->cap)
    {
      in->cap = in->cap ? 2 * in->cap : 4096;
      in->d = rcr_xrealloc (in->d, in->cap * sizeof (*in->d));
    }
  in->d[in->n++] = *d;
}

static const uint32_t test_arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64 };

/* Every number below 1100, the same with the x32 bit, and some far beyond any table. */
static size_t
test_numbers (uint32_t *out)
{
  static const uint32_t huge[] = { 0x3fffffff, 0x400003ff, 0x4000ffff, 0x7fffffff, 0x80000000, 0xbfffffff,
                                   0xc0000000, 0xfffffffe, 0xffffffff, 0x40001000, 0x00010000, 0x7fffffff - 1 };
  size_t n = 0;

  for (uint32_t nr = 0; nr < 1100; nr++)
    {
      out[n++] = nr;
      out[n++] = nr | 0x40000000;
    }
  for (size_t i = 0; i < N_ELEMENTS (huge); i++)
    out[n++] = huge[i];
  return n;
}

/* The values to try in one argument word. */
static size_t
word_values (const struct consts *c, int w, uint32_t *out, size_t max)
{
  bool unused = false;
  size_t n = 0;

  add_const (out, &n, 0, &unused);
  add_const (out, &n, 1, &unused);
  add_const (out, &n, 0x80000000, &unused);
  add_const (out, &n, 0xffffffff, &unused);
  for (size_t i = 0; i < c->n[w] && n + 3 <= max; i++)
    {
      add_const (out, &n, c->v[w][i], &unused);
      add_const (out, &n, c->v[w][i] + 1, &unused);
      add_const (out, &n, c->v[w][i] - 1, &unused);
    }
  for (size_t i = 0; i < c->nmask[w]; i++)
    {
      uint32_t m = c->mask[w][i];

      add_const (out, &n, m, &unused);
      add_const (out, &n, ~m, &unused);
      for (int b = 0; b < 32; b++)
        if (m & (1u << b))
          for (size_t j = 0; j < c->n[w] && n < max; j++)
            {
              add_const (out, &n, c->v[w][j] ^ (1u << b), &unused);
              add_const (out, &n, c->v[w][j] | (1u << b), &unused);
              add_const (out, &n, c->v[w][j] & ~(1u << b), &unused);
            }
    }
  return n;
}

/* A syscall number whose program reads arguments, and which argument slots (bit per arg). */
struct cond
{
  uint32_t arch;
  uint32_t nr;
  unsigned int slots;
};

static unsigned int
slots_of (unsigned int words)
{
  unsigned int s = 0;
  for (int w = 0; w < N_WORDS; w++)
    if (words & (1u << w))
      s |= 1u << (w / 2);
  return s;
}

/* Every combination of the slots' values (or, when too many, every pair of slots). */
static void
grid (const struct cond *c, const struct consts *seen, struct inputs *in)
{
  static uint32_t lo[6][MAX_CONSTS * 8], hi[6][MAX_CONSTS * 8];
  size_t nlo[6] = { 0 }, nhi[6] = { 0 };
  int slot[6], ns = 0;
  size_t total = 1;

  for (int a = 0; a < 6; a++)
    if (c->slots & (1u << a))
      {
        slot[ns++] = a;
        nlo[a] = word_values (seen, 2 * a, lo[a], N_ELEMENTS (lo[a]));
        nhi[a] = word_values (seen, 2 * a + 1, hi[a], N_ELEMENTS (hi[a]));
        total *= nlo[a] * nhi[a];
      }
  if (total <= GRID_MAX)
    {
      for (size_t i = 0; i < total; i++)
        {
          struct seccomp_data d = { .nr = (int)c->nr, .arch = c->arch };
          size_t rest = i;

          for (int s = 0; s < ns; s++)
            {
              int a = slot[s];
              size_t v = rest % (nlo[a] * nhi[a]);
              rest /= nlo[a] * nhi[a];
              d.args[a] = (uint64_t)hi[a][v / nlo[a]] << 32 | lo[a][v % nlo[a]];
            }
          push (in, &d);
        }
      return;
    }
  for (int s = 0; s < ns; s++)
    for (int t = s + 1; t < ns; t++)
      {
        int a = slot[s], b = slot[t];
        for (size_t i = 0; i < nlo[a] * nhi[a]; i++)
          for (size_t j = 0; j < nlo[b] * nhi[b]; j++)
            {
              struct seccomp_data d = { .nr = (int)c->nr, .arch = c->arch };
              d.args[a] = (uint64_t)hi[a][i / nlo[a]] << 32 | lo[a][i % nlo[a]];
              d.args[b] = (uint64_t)hi[b][j / nlo[b]] << 32 | lo[b][j % nlo[b]];
              push (in, &d);
            }
      }
}

/* The inputs for comparing programs a and b. */
static void
build_inputs (const struct prog *a, const struct prog *b, struct inputs *in)
{
  static uint32_t nrs[2300];
  cleanup_free struct cond *conds = NULL;
  cleanup_free struct consts *seen = rcr_xmalloc0 (sizeof (*seen));
  size_t nn = test_numbers (nrs), nconds = 0, base;

  in->n = 0;
  for (size_t i = 0; i < N_ELEMENTS (test_arches); i++)
    for (size_t j = 0; j < nn; j++)
      {
        struct seccomp_data d = { .nr = (int)nrs[j], .arch = test_arches[i] };
        unsigned int words = bpf_run (a, &d, seen, NULL).words | bpf_run (b, &d, seen, NULL).words;

        push (in, &d);
        if (words != 0)
          {
            conds = rcr_xrealloc (conds, (nconds + 1) * sizeof (*conds));
            conds[nconds++] = (struct cond){ .arch = d.arch, .nr = nrs[j], .slots = slots_of (words) };
          }
      }
  /* the neighbours too: a range boundary one off would give them the argument checks */
  for (size_t i = 0, n = nconds; i < n; i++)
    for (int delta = -1; delta <= 1; delta += 2)
      {
        struct cond c = conds[i];
        bool known = false;

        c.nr += (uint32_t)delta;
        for (size_t j = 0; j < nconds; j++)
          known |= conds[j].arch == c.arch && conds[j].nr == c.nr;
        if (known)
          continue;
        conds = rcr_xrealloc (conds, (nconds + 1) * sizeof (*conds));
        conds[nconds++] = c;
      }
  base = in->n;
  /* until the grid turns up no new constant and no new argument */
  for (int round = 0; round < 8; round++)
    {
      bool changed = false;

      seen->grew = false;
      in->n = base;
      for (size_t i = 0; i < nconds; i++)
        grid (&conds[i], seen, in);
      for (size_t i = base; i < in->n; i++)
        {
          const struct seccomp_data *d = &in->d[i];
          unsigned int words = bpf_run (a, d, seen, NULL).words | bpf_run (b, d, seen, NULL).words;
          for (size_t j = 0; j < nconds; j++)
            if (conds[j].arch == d->arch && conds[j].nr == (uint32_t)d->nr
                && (conds[j].slots | slots_of (words)) != conds[j].slots)
              {
                conds[j].slots |= slots_of (words);
                changed = true;
              }
        }
      if (!seen->grew && !changed)
        return;
    }
}

/* How many inputs the programs disagree on (stops at the first when `first` is NULL). */
static size_t
mismatches (const struct prog *a, const struct prog *b, const struct inputs *in, bool all, size_t *first)
{
  size_t bad = 0;

  for (size_t i = 0; i < in->n; i++)
    {
      struct run ra = bpf_run (a, &in->d[i], NULL, NULL);
      struct run rb = bpf_run (b, &in->d[i], NULL, NULL);

      if (ra.bad || rb.bad || ra.ret != rb.ret)
        {
          if (bad++ == 0 && first)
            *first = i;
          if (!all)
            break;
        }
    }
  return bad;
}

static void
show_input (const struct prog *a, const struct prog *b, const struct seccomp_data *d)
{
  struct run ra = bpf_run (a, d, NULL, NULL), rb = bpf_run (b, d, NULL, NULL);

  printf ("#   arch=0x%x nr=0x%x args=%llx,%llx,%llx,%llx: libseccomp 0x%x%s, compact 0x%x%s\n", d->arch,
          (unsigned)d->nr, (unsigned long long)d->args[0], (unsigned long long)d->args[1],
          (unsigned long long)d->args[2], (unsigned long long)d->args[3], ra.ret, ra.bad ? " (bad)" : "", rb.ret,
          rb.bad ? " (bad)" : "");
}

/* ---- the programs ------------------------------------------------------------------------- */

static struct sock_filter *
libseccomp_program (struct rcr_seccomp *s, size_t *n)
{
  cleanup_close int fd = memfd_create ("bpf", MFD_CLOEXEC);
  rcr_error_t err = NULL;
  char *data = NULL;
  size_t len = 0;

  if (fd < 0 || rcr_seccomp_export (s, fd, &err) < 0 || lseek (fd, 0, SEEK_SET) != 0
      || rcr_read_fd (fd, "bpf", 1 << 20, &data, &len, &err) < 0)
    {
      printf ("# export: %s\n", err ? err->msg : strerror (errno));
      rcr_error_release (&err);
      return NULL;
    }
  *n = len / sizeof (struct sock_filter);
  return (struct sock_filter *)data;
}

static struct sock_filter *
export_ctx (scmp_filter_ctx ctx, size_t *n)
{
  cleanup_close int fd = memfd_create ("bpf", MFD_CLOEXEC);
  rcr_error_t err = NULL;
  char *data = NULL;
  size_t len = 0;

  if (fd < 0 || seccomp_export_bpf (ctx, fd) < 0 || lseek (fd, 0, SEEK_SET) != 0
      || rcr_read_fd (fd, "bpf", 1 << 20, &data, &len, &err) < 0)
    {
      rcr_error_release (&err);
      return NULL;
    }
  *n = len / sizeof (struct sock_filter);
  return (struct sock_filter *)data;
}

/* Both programs of the default profile for these capabilities. */
static bool
default_programs (uint64_t caps, struct prog *lib, struct prog *compact)
{
  struct rcr_seccomp *s = NULL;
  rcr_error_t err = NULL;
  void *bpf = NULL;
  size_t len = 0;

  if (rcr_seccomp_default (caps, &s, &err) < 0 || rcr_seccomp_default_compact (caps, &bpf, &len, &err) < 0)
    {
      printf ("# caps=%llx: %s\n", (unsigned long long)caps, err->msg);
      rcr_error_release (&err);
      rcr_seccomp_free (s);
      return false;
    }
  lib->ins = libseccomp_program (s, &lib->n);
  rcr_seccomp_free (s);
  compact->ins = bpf;
  compact->n = len / sizeof (struct sock_filter);
  return lib->ins != NULL;
}

/* ---- tests -------------------------------------------------------------------------------- */

static size_t
compare (const struct prog *lib, const struct prog *compact, const char *what)
{
  struct inputs in = { 0 };
  size_t first = 0, bad;

  build_inputs (lib, compact, &in);
  bad = mismatches (lib, compact, &in, true, &first);
  tap_ok (bad == 0, "%s: the same result on all %zu inputs (%zu vs %zu instructions)", what, in.n, lib->n, compact->n);
  if (bad)
    {
      printf ("#   %zu differ, the first:\n", bad);
      show_input (lib, compact, &in.d[first]);
    }
  free (in.d);
  return in.n;
}

static void
test_capability_sets (void)
{
  struct
  {
    const char *name;
    uint64_t caps;
  } sets[] = {
    { "podman's default caps", podman_caps },
    { "no caps", 0 },
    { "all caps", CAPB (CAP_LAST_CAP + 1) - 1 },
    { "+CAP_SYS_ADMIN", podman_caps | CAPB (CAP_SYS_ADMIN) },
    { "+CAP_SYS_PTRACE", podman_caps | CAPB (CAP_SYS_PTRACE) },
    { "+CAP_SYS_MODULE", podman_caps | CAPB (CAP_SYS_MODULE) },
    { "+CAP_AUDIT_WRITE", podman_caps | CAPB (CAP_AUDIT_WRITE) },
    { "+CAP_BPF +CAP_PERFMON", podman_caps | CAPB (CAP_BPF) | CAPB (CAP_PERFMON) },
    { "+CAP_SYS_ADMIN +CAP_PERFMON", podman_caps | CAPB (CAP_SYS_ADMIN) | CAPB (CAP_PERFMON) },
    { "-CAP_SYS_CHROOT", podman_caps & ~CAPB (CAP_SYS_CHROOT) },
  };
  bool every_cap_ok = true;

  for (size_t i = 0; i < N_ELEMENTS (sets); i++)
    {
      struct prog lib = { 0 }, compact = { 0 };
      char what[128];

      snprintf (what, sizeof (what), "default profile, %s", sets[i].name);
      if (!default_programs (sets[i].caps, &lib, &compact))
        {
          tap_ok (0, "%s: both programs", what);
          continue;
        }
      compare (&lib, &compact, what);
      free ((void *)lib.ins);
      free ((void *)compact.ins);
    }

  /* each capability added to podman's set on its own, the same comparison without a line each */
  for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
    {
      struct prog lib = { 0 }, compact = { 0 };
      struct inputs in = { 0 };
      size_t first = 0;

      if (!default_programs (podman_caps | CAPB (cap), &lib, &compact))
        {
          every_cap_ok = false;
          continue;
        }
      build_inputs (&lib, &compact, &in);
      if (mismatches (&lib, &compact, &in, false, &first) != 0)
        {
          printf ("#   with capability %d:\n", cap);
          show_input (&lib, &compact, &in.d[first]);
          every_cap_ok = false;
        }
      free (in.d);
      free ((void *)lib.ins);
      free ((void *)compact.ins);
    }
  tap_ok (every_cap_ok, "default profile, podman's caps plus any one capability: the same results");
}

/* The differential check catches a change of one constant or one return in the compact
   program; a check that cannot fail would prove nothing. */
static void
test_mutations (void)
{
  struct prog lib = { 0 }, compact = { 0 };
  struct inputs in = { 0 };
  cleanup_free struct sock_filter *mutant = NULL;
  cleanup_free bool *covered = NULL;
  size_t tried = 0, caught = 0, dead = 0;

  if (!default_programs (podman_caps, &lib, &compact))
    {
      tap_ok (0, "mutations: both programs");
      return;
    }
  build_inputs (&lib, &compact, &in);
  covered = rcr_xmalloc0 (compact.n * sizeof (*covered));
  for (size_t i = 0; i < in.n; i++)
    bpf_run (&compact, &in.d[i], NULL, covered);
  mutant = rcr_xmalloc0 (compact.n * sizeof (*mutant));
  for (size_t i = 0; i < compact.n; i++)
    {
      const struct sock_filter f = compact.ins[i];
      uint32_t changed[2];
      int nchanged = 0;

      if (!covered[i])
        {
          printf ("#   not reached: instruction %zu (code 0x%x k 0x%x)\n", i, f.code, f.k);
          dead++;
          continue;
        }
      if (BPF_CLASS (f.code) == BPF_RET)
        changed[nchanged++] = f.k == SCMP_ACT_ALLOW ? SCMP_ACT_ERRNO (EPERM) : SCMP_ACT_ALLOW;
      else if (BPF_CLASS (f.code) == BPF_JMP && BPF_OP (f.code) != BPF_JA)
        {
          changed[nchanged++] = f.k + 1;
          changed[nchanged++] = f.k - 1;
        }
      for (int c = 0; c < nchanged; c++)
        {
          struct prog m = { mutant, compact.n };

          memcpy (mutant, compact.ins, compact.n * sizeof (*mutant));
          mutant[i].k = changed[c];
          tried++;
          if (mismatches (&lib, &m, &in, false, NULL) != 0)
            caught++;
          else
            printf ("#   not caught: instruction %zu k 0x%x -> 0x%x\n", i, f.k, changed[c]);
        }
    }
  tap_ok (tried > 100 && caught == tried, "every one of %zu one-constant mutations of the compact program is caught",
          tried);
  tap_ok (dead == 0, "every instruction of the compact program is reached by some input (%zu are not)", dead);
  free (in.d);
  free ((void *)lib.ins);
  free ((void *)compact.ins);
}

/* Rule sets with what the default profile does not use, through libseccomp and the
   compact compiler with the same calls: the shapes the compiler accepts must give the same
   program results, the others must be refused. */
struct srule
{
  const char *name;
  uint32_t action;
  unsigned int nargs;
  struct scmp_arg_cmp args[3];
};

#define RULES(...)                                                                                                     \
  .rules = (const struct srule[]){ __VA_ARGS__ }, .n = sizeof ((struct srule[]){ __VA_ARGS__ }) / sizeof (struct srule)
#define EPERM_ SCMP_ACT_ERRNO (EPERM)

static void
test_rule_sets (void)
{
  /* SCMP_A0 () and the like are compound literals: the table cannot be static */
  const struct
  {
    const char *what;
    bool supported;
    const struct srule *rules;
    size_t n;
  } rule_sets[] = {
    { "MASKED_EQ, replaced and dropped rules, pseudo syscalls", true,
      RULES (
          { "clone", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_MASKED_EQ, 0x7E020000, 0) } },
          { "read", SCMP_ACT_ALLOW, 0, { { 0 } } }, { "read", EPERM_, 1, { SCMP_A0 (SCMP_CMP_EQ, 0) } },
          { "openat", EPERM_, 1, { SCMP_A2 (SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT) } },
          { "openat", SCMP_ACT_ALLOW, 0, { { 0 } } },
          { "mmap", EPERM_, 1, { SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC) } },
          { "getcwd", EPERM_, 1, { SCMP_A0 (SCMP_CMP_MASKED_EQ, 0, 0) } }, { "chown32", EPERM_, 0, { { 0 } } },
          { "getxattr", SCMP_ACT_ALLOW, 2, { SCMP_A3 (SCMP_CMP_EQ, 0), SCMP_A4 (SCMP_CMP_MASKED_EQ, 0x80000001, 1) } },
          { "madvise", SCMP_ACT_ALLOW, 1, { SCMP_A2 (SCMP_CMP_NE, 8) } },
          /* x86_64 only: 64-bit values are refused for the 32-bit ABIs */
          { "epoll_wait_old",
            SCMP_ACT_ALLOW,
            1,
            { SCMP_A1 (SCMP_CMP_MASKED_EQ, UINT64_C (0x0000ff00000000ff), UINT64_C (0x0000120000000034)) } }) },
    { "EQ on one argument, several actions", true,
      RULES ({ "write", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_EQ, 1) } },
             { "write", SCMP_ACT_ERRNO (EBADF), 1, { SCMP_A0 (SCMP_CMP_EQ, 2) } },
             { "write", EPERM_, 1, { SCMP_A0 (SCMP_CMP_EQ, 0xffffffff) } },
             { "write", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_EQ, 0) } },
             { "prctl", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_EQ, 38) } },
             { "prctl", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_EQ, 22) } },
             { "epoll_ctl_old", SCMP_ACT_ALLOW, 1, { SCMP_A2 (SCMP_CMP_EQ, UINT64_C (0x100000001)) } },
             { "epoll_ctl_old", EPERM_, 1, { SCMP_A2 (SCMP_CMP_EQ, UINT64_C (0x100000002)) } },
             { "epoll_ctl_old", SCMP_ACT_ERRNO (EACCES), 1, { SCMP_A2 (SCMP_CMP_EQ, UINT64_C (0x100000005)) } }) },
    { "a rule of EQ tests and rules negating them", true,
      RULES (
          { "kill", EPERM_, 2, { SCMP_A0 (SCMP_CMP_EQ, 1), SCMP_A1 (SCMP_CMP_EQ, 9) } },
          { "kill", SCMP_ACT_ALLOW, 1, { SCMP_A1 (SCMP_CMP_NE, 9) } },
          { "kill", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_NE, 1) } },
          { "fcntl",
            SCMP_ACT_ERRNO (EACCES),
            3,
            { SCMP_A0 (SCMP_CMP_EQ, 0), SCMP_A1 (SCMP_CMP_EQ, 4), SCMP_A2 (SCMP_CMP_EQ, 0x800) } },
          { "fcntl", SCMP_ACT_ALLOW, 1, { SCMP_A2 (SCMP_CMP_NE, 0x800) } },
          { "fcntl", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_NE, 0) } },
          { "epoll_wait_old", EPERM_, 2, { SCMP_A0 (SCMP_CMP_EQ, UINT64_C (0x100000000)), SCMP_A1 (SCMP_CMP_EQ, 7) } },
          { "epoll_wait_old", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_NE, UINT64_C (0x100000000)) } },
          { "epoll_wait_old", SCMP_ACT_ALLOW, 1, { SCMP_A1 (SCMP_CMP_NE, 7) } }) },
    { "socket and IPC calls (socketcall and ipc on x86)", true,
      RULES ({ "accept", SCMP_ACT_ALLOW, 0, { { 0 } } }, { "sendto", EPERM_, 0, { { 0 } } },
             { "getsockopt", SCMP_ACT_ERRNO (EACCES), 0, { { 0 } } }, { "recv", SCMP_ACT_ALLOW, 0, { { 0 } } },
             { "semop", SCMP_ACT_ALLOW, 0, { { 0 } } }, { "shmat", SCMP_ACT_ERRNO (EACCES), 0, { { 0 } } },
             { "msgget", EPERM_, 0, { { 0 } } }) },
    /* libseccomp 2.5.4 loses the second rule on x86 and x32 (x86_64 keeps it) */
    { "NE, then EQ and EQ with another action", false,
      RULES ({ "kill", SCMP_ACT_ALLOW, 1, { SCMP_A1 (SCMP_CMP_NE, 9) } },
             { "kill", EPERM_, 2, { SCMP_A1 (SCMP_CMP_EQ, 9), SCMP_A0 (SCMP_CMP_EQ, 1) } }) },
    { "one value with two actions", false,
      RULES ({ "write", SCMP_ACT_ALLOW, 1, { SCMP_A0 (SCMP_CMP_EQ, 2) } },
             { "write", EPERM_, 1, { SCMP_A0 (SCMP_CMP_EQ, 2) } }) },
    { "EQ values with different high words", false,
      RULES ({ "epoll_ctl_old", SCMP_ACT_ALLOW, 1, { SCMP_A2 (SCMP_CMP_EQ, 5) } },
             { "epoll_ctl_old", SCMP_ACT_ALLOW, 1, { SCMP_A2 (SCMP_CMP_EQ, UINT64_C (0x200000005)) } }) },
    { "two MASKED_EQ rules", false,
      RULES ({ "mmap", EPERM_, 1, { SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC) } },
             { "mmap", SCMP_ACT_ALLOW, 1, { SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) } }) },
    { "socket with argument rules (two-test rules on x86's socketcall)", false,
      RULES ({ "socket", SCMP_ACT_ERRNO (EINVAL), 2, { SCMP_A0 (SCMP_CMP_EQ, AF_NETLINK), SCMP_A2 (SCMP_CMP_EQ, 9) } },
             { "socket", SCMP_ACT_ALLOW, 1, { SCMP_A2 (SCMP_CMP_NE, 9) } }) },
  };

  const uint32_t def = SCMP_ACT_ERRNO (ENOSYS);

  for (size_t s = 0; s < N_ELEMENTS (rule_sets); s++)
    {
      scmp_filter_ctx ctx = seccomp_init (def);
      struct rcr_seccomp_bpf *b = NULL;
      rcr_error_t err = NULL;
      struct prog lib = { 0 }, compact = { 0 };
      struct sock_filter *prog = NULL;
      bool lib_ok, ok;

      if (ctx == NULL || rcr_seccomp_bpf_new (def, &b, &err) < 0)
        abort ();
      lib_ok = seccomp_arch_add (ctx, SCMP_ARCH_X86) == 0 && seccomp_arch_add (ctx, SCMP_ARCH_X32) == 0;
      ok = rcr_seccomp_bpf_add_arch (b, SCMP_ARCH_X86, &err) == 0
           && rcr_seccomp_bpf_add_arch (b, SCMP_ARCH_X32, &err) == 0;
      for (size_t i = 0; i < rule_sets[s].n; i++)
        {
          const struct srule *r = &rule_sets[s].rules[i];
          int nr = seccomp_syscall_resolve_name (r->name);

          int ret = lib_ok ? seccomp_rule_add_array (ctx, r->action, nr, r->nargs, r->args) : 0;

          if (ret < 0)
            {
              printf ("#   libseccomp refuses rule %zu (%s): %s\n", i, r->name, strerror (-ret));
              lib_ok = false;
            }
          ok = ok && rcr_seccomp_bpf_add_rule (b, r->action, nr, r->nargs, r->args, &err) == 0;
        }
      ok = ok && rcr_seccomp_bpf_compile (b, &prog, &compact.n, &err) == 0;
      compact.ins = prog;
      if (rule_sets[s].supported)
        {
          lib.ins = lib_ok ? export_ctx (ctx, &lib.n) : NULL;
          tap_ok (ok && lib.ins != NULL, "rule set \"%s\" compiles", rule_sets[s].what);
          if (err)
            printf ("#   %s\n", err->msg);
          if (ok && lib.ins != NULL)
            compare (&lib, &compact, rule_sets[s].what);
        }
      else
        tap_ok (!ok && err != NULL && err->status == ENOTSUP, "rule set \"%s\" is refused (%s)", rule_sets[s].what,
                err ? err->msg : "compiled");
      rcr_error_release (&err);
      rcr_seccomp_bpf_free (b);
      seccomp_release (ctx);
      free (prog);
      free ((void *)lib.ins);
    }
}

/* What the compact compiler does not cover is refused, so the caller falls back (after an
   error the rule set is not used again). */
static struct rcr_seccomp_bpf *
x86_rule_set (void)
{
  struct rcr_seccomp_bpf *b = NULL;
  rcr_error_t err = NULL;

  if (rcr_seccomp_bpf_new (SCMP_ACT_ERRNO (ENOSYS), &b, &err) < 0
      || rcr_seccomp_bpf_add_arch (b, SCMP_ARCH_X86, &err) < 0 || rcr_seccomp_bpf_add_arch (b, SCMP_ARCH_X32, &err) < 0)
    abort ();
  return b;
}

static void
test_refusals (void)
{
  struct rcr_seccomp_bpf *b = NULL;
  struct sock_filter *prog = NULL;
  rcr_error_t err = NULL;
  size_t n;
  int nr = seccomp_syscall_resolve_name ("kill");
  struct scmp_arg_cmp gt = SCMP_A0 (SCMP_CMP_GT, 5);
  struct scmp_arg_cmp wide = SCMP_A0 (SCMP_CMP_EQ, UINT64_C (0x100000000));
  struct scmp_arg_cmp eq1 = SCMP_A0 (SCMP_CMP_EQ, 1), a1 = SCMP_A1 (SCMP_CMP_EQ, 1);

  rcr_seccomp_bpf_new (SCMP_ACT_ERRNO (ENOSYS), &b, &err);
  tap_ok (rcr_seccomp_bpf_compile (b, &prog, &n, &err) < 0 && err->status == ENOTSUP,
          "x86_64 without x32 is refused (libseccomp tests the x32 bit then)");
  rcr_error_release (&err);
  tap_ok (rcr_seccomp_bpf_add_arch (b, SCMP_ARCH_AARCH64, &err) < 0, "an architecture outside x86 is refused");
  rcr_error_release (&err);
  rcr_seccomp_bpf_free (b);

  b = x86_rule_set ();
  tap_ok (rcr_seccomp_bpf_add_rule (b, SCMP_ACT_ALLOW, nr, 1, &gt, &err) < 0 && err->status == ENOTSUP,
          "a GT comparison is refused");
  rcr_error_release (&err);
  rcr_seccomp_bpf_free (b);

  b = x86_rule_set ();
  tap_ok (rcr_seccomp_bpf_add_rule (b, SCMP_ACT_ALLOW, nr, 1, &wide, &err) < 0 && err->status == ENOTSUP,
          "a 64-bit value with a 32-bit ABI is refused");
  rcr_error_release (&err);
  rcr_seccomp_bpf_free (b);

  b = x86_rule_set ();
  tap_ok (rcr_seccomp_bpf_add_rule (b, SCMP_ACT_ALLOW, nr, 1, &eq1, &err) == 0
              && rcr_seccomp_bpf_add_rule (b, SCMP_ACT_ERRNO (EPERM), nr, 1, &a1, &err) < 0 && err->status == ENOTSUP,
          "argument rules on different arguments with different actions are refused");
  rcr_error_release (&err);
  rcr_seccomp_bpf_free (b);
}

/* The program loads into the kernel and does what the profile says. */
struct probe
{
  const char *what;
  long nr;
  long args[6];
  int want_errno; /* 0: must succeed */
};

static void
test_kernel (void)
{
  static const struct probe probes[] = {
    { "getpid", SYS_getpid, { 0 }, 0 },
    { "bpf without CAP_SYS_ADMIN", SYS_bpf, { 0, 0, 0 }, EPERM },
    { "kexec_load", SYS_kexec_load, { 0 }, EPERM },
    { "add_key (not in the profile)", SYS_add_key, { 0 }, ENOSYS },
    { "syscall 1000", 1000, { 0 }, ENOSYS },
    { "socket(AF_NETLINK, NETLINK_AUDIT)", SYS_socket, { AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT }, EINVAL },
    { "socket(AF_UNIX)", SYS_socket, { AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0 }, 0 },
    { "personality(0xffffffff)", SYS_personality, { 0xffffffff }, 0 },
    { "personality(READ_IMPLIES_EXEC)", SYS_personality, { 0x0400000 }, ENOSYS },
  };
  struct prog lib = { 0 }, compact = { 0 };
  int fds[2], status;
  long results[2 * N_ELEMENTS (probes) + 1];
  pid_t pid;

  if (!default_programs (podman_caps, &lib, &compact))
    {
      tap_ok (0, "kernel: both programs");
      return;
    }
  tap_ok (compact.n * 3 < lib.n, "the compact program is under a third of libseccomp's (%zu vs %zu instructions)",
          compact.n, lib.n);
  if (pipe2 (fds, O_CLOEXEC) < 0 || (pid = fork ()) < 0)
    abort ();
  if (pid == 0)
    {
      rcr_error_t err = NULL;

      close (fds[0]);
      memset (results, 0, sizeof (results));
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
          && rcr_seccomp_load_bpf (compact.ins, compact.n * sizeof (*compact.ins), &err) == 0)
        {
          results[0] = 1;
          for (size_t i = 0; i < N_ELEMENTS (probes); i++)
            {
              const long *a = probes[i].args;
              errno = 0;
              results[1 + 2 * i] = syscall (probes[i].nr, a[0], a[1], a[2], a[3], a[4], a[5]);
              results[2 + 2 * i] = errno;
            }
        }
      _exit (write (fds[1], results, sizeof (results)) == sizeof (results) ? 0 : 1);
    }
  close (fds[1]);
  if (read (fds[0], results, sizeof (results)) != sizeof (results))
    results[0] = 0;
  close (fds[0]);
  waitpid (pid, &status, 0);
  tap_ok (results[0] == 1, "the compact program loads with seccomp(SET_MODE_FILTER)");
  for (size_t i = 0; results[0] == 1 && i < N_ELEMENTS (probes); i++)
    {
      long ret = results[1 + 2 * i], e = results[2 + 2 * i];
      if (probes[i].want_errno == 0)
        tap_ok (ret >= 0, "under it, %s works (%ld %s)", probes[i].what, ret, ret < 0 ? strerrorname_np ((int)e) : "");
      else
        tap_ok (ret == -1 && e == probes[i].want_errno, "under it, %s fails with %s", probes[i].what,
                strerrorname_np (probes[i].want_errno));
    }
  free ((void *)lib.ins);
  free ((void *)compact.ins);
}

/* The cache holds the compact program. */
static void
test_cache (void)
{
  char dir[] = "/tmp/rcr-unit-seccomp-bpf-XXXXXX";
  void *cached = NULL, *direct = NULL;
  size_t clen = 0, dlen = 0;
  rcr_error_t err = NULL;
  bool ok;

  if (mkdtemp (dir) == NULL)
    abort ();
  ok = rcr_seccomp_cached_bpf (dir, podman_caps, &cached, &clen, &err) == 0
       && rcr_seccomp_default_compact (podman_caps, &direct, &dlen, &err) == 0;

  tap_ok (ok && clen == dlen && memcmp (cached, direct, clen) == 0,
          "the seccomp cache stores the compact program (%zu bytes)", clen);
  free (cached);
  cached = NULL;
  ok = ok && rcr_seccomp_cached_bpf (dir, podman_caps, &cached, &clen, &err) == 0;
  tap_ok (ok && clen == dlen && memcmp (cached, direct, clen) == 0, "and reads it back");
  if (err)
    printf ("# %s\n", err->msg);
  rcr_error_release (&err);
  free (cached);
  free (direct);
  rcr_rm_rf (dir, &err);
  rcr_error_release (&err);
}

int
main (void)
{
  if (seccomp_arch_native () != SCMP_ARCH_X86_64)
    {
      printf ("1..0 # SKIP the compact compiler covers x86_64 hosts only\n");
      return 77;
    }
  test_capability_sets ();
  test_rule_sets ();
  test_refusals ();
  test_mutations ();
  test_kernel ();
  test_cache ();
  return tap_done ();
}
