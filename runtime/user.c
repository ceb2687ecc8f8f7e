/* SPDX-License-Identifier: Apache-2.0 */
/* --user resolution against the container's own /etc/passwd and /etc/group, with the
   rules of moby/sys user.GetExecUser (which podman's pkg/lookup calls) and the group
   handling of libpod's generateSpec:
     - "" is uid 0 looked up in passwd; "name" must be in passwd; a numeric uid need not
       be (then gid 0, home "/", no name);
     - an explicit group ("user:group") sets the gid and no supplementary groups; a name
       must be in /etc/group, a number need not be;
     - without ":" the supplementary groups are every group listing the user's name;
     - a non-empty spec also lists the primary gid among the groups.
   The files are the image's, never the host's: they are opened below rootfd with
   RESOLVE_IN_ROOT, so an absolute or "../" symlink resolves inside the rootfs. */
#define _GNU_SOURCE
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define USER_FILE_MAX (16 * 1024 * 1024)
/* NGROUPS_MAX of the kernel: setgroups refuses more */
#define USER_GROUPS_MAX 65536
/* moby/sys user: ids above MaxInt32 are refused for 32-bit compatibility */
#define USER_ID_MAX 2147483647U
#define OPENAT2_EAGAIN_RETRIES 32

struct field
{
  const char *p;
  size_t len;
};

/* Opens a file below rootfd component by component, refusing every symlink: the
   fallback for kernels without openat2 (before 5.6). */
static int
open_nofollow_walk (int rootfd, const char *path)
{
  cleanup_free char *copy = rcr_xstrdup (path);
  cleanup_close int dirfd = -1;
  char *save = NULL, *comp, *next;
  int cur = rootfd;

  comp = strtok_r (copy, "/", &save);
  while (comp)
    {
      next = strtok_r (NULL, "/", &save);
      if (next == NULL)
        return openat (cur, comp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      {
        int fd = openat (cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
          return -1;
        rcr_cleanup_closep (&dirfd);
        dirfd = fd;
        cur = dirfd;
      }
      comp = next;
    }
  errno = EINVAL;
  return -1;
}

/* Opens path (relative, e.g. "etc/passwd") inside the rootfs; *out is -1 when it does
   not exist. Not following symlinks out of the root matters: a passwd that links to
   /etc/shadow must not read the host's. */
static int
open_in_root (int rootfd, const char *path, int *out, rcr_error_t *err)
{
  struct open_how how = {
    .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  cleanup_close int fd = -1;
  struct stat st;

  *out = -1;
  for (int attempt = 0;; attempt++)
    {
      fd = (int)syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
      /* EAGAIN: a rename raced the lookup */
      if (fd >= 0 || errno != EAGAIN || attempt >= OPENAT2_EAGAIN_RETRIES)
        break;
    }
  if (fd < 0 && errno == ENOSYS)
    fd = open_nofollow_walk (rootfd, path);
  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return rcr_make_error (err, errno, "open \"/%s\" in the container", path);
    }
  /* O_NONBLOCK above keeps a FIFO from blocking the open; such a file is refused here */
  if (fstat (fd, &st) < 0)
    return rcr_make_error (err, errno, "stat \"/%s\" in the container", path);
  if (!S_ISREG (st.st_mode))
    return rcr_make_error (err, 0, "\"/%s\" in the container is not a regular file", path);
  *out = steal_fd (&fd);
  return 0;
}

/* Reads a file of the rootfs into a NUL-terminated buffer; *out is NULL when the file
   does not exist. */
static int
read_root_file (int rootfd, const char *path, char **out, size_t *len, rcr_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *what = NULL;
  int r;

  *out = NULL;
  *len = 0;
  r = open_in_root (rootfd, path, &fd, err);
  if (r < 0)
    return r;
  if (fd < 0)
    return 0;
  what = rcr_strdup_printf ("\"/%s\" in the container", path);
  return rcr_read_fd (fd, what, USER_FILE_MAX, out, len, err);
}

static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Next line of [*cur, end) with surrounding blanks trimmed; false at the end. Empty
   lines and "#" comments are skipped, as glibc and moby/sys user do. */
static bool
next_line (const char **cur, const char *end, struct field *line)
{
  while (*cur < end)
    {
      const char *s = *cur, *nl = memchr (s, '\n', (size_t)(end - s));
      const char *e = nl ? nl : end;
      *cur = nl ? nl + 1 : end;
      while (s < e && is_space (*s))
        s++;
      while (e > s && is_space (e[-1]))
        e--;
      if (s == e || *s == '#')
        continue;
      line->p = s;
      line->len = (size_t)(e - s);
      return true;
    }
  return false;
}

/* Splits a line at ':' into n fields; missing trailing fields are empty. */
static void
split_fields (const struct field *line, struct field *f, size_t n)
{
  const char *p = line->p, *end = line->p + line->len;

  for (size_t i = 0; i < n; i++)
    {
      const char *colon = p < end ? memchr (p, ':', (size_t)(end - p)) : NULL;
      const char *e = colon ? colon : end;
      f[i].p = p;
      f[i].len = (size_t)(e - p);
      p = colon ? colon + 1 : end;
    }
}

static bool
field_is (const struct field *f, const char *s)
{
  return f->len == strlen (s) && memcmp (f->p, s, f->len) == 0;
}

/* A decimal id in [0, USER_ID_MAX]; false for anything else, including an empty field. */
static bool
field_id (const struct field *f, uint32_t *id)
{
  uint64_t v = 0;
  if (f->len == 0 || f->len > 10)
    return false;
  for (size_t i = 0; i < f->len; i++)
    {
      if (f->p[i] < '0' || f->p[i] > '9')
        return false;
      v = v * 10 + (uint64_t)(f->p[i] - '0');
    }
  if (v > USER_ID_MAX)
    return false;
  *id = (uint32_t)v;
  return true;
}

/* One side of "user:group". */
struct id_arg
{
  const char *text;
  bool given;   /* false for "" */
  bool numeric; /* all digits */
  uint32_t id;
};

static int
parse_id_arg (const char *text, const char *spec, struct id_arg *a, rcr_error_t *err)
{
  const char *digits = text;

  memset (a, 0, sizeof (*a));
  a->text = text;
  a->given = *text != '\0';
  if (!a->given)
    return 0;
  if (*digits == '-' && digits[1] != '\0')
    digits++;
  if (strspn (digits, "0123456789") != strlen (digits))
    return 0;
  {
    struct field f = { text, strlen (text) };
    if (digits != text || !field_id (&f, &a->id))
      return rcr_make_error (err, 0, "invalid user \"%s\": uids and gids must be in range 0-%u", spec, USER_ID_MAX);
  }
  a->numeric = true;
  return 0;
}

struct gid_list
{
  gid_t *v;
  size_t n, alloc;
};

static void
gid_list_add (struct gid_list *l, gid_t g)
{
  if (l->n == l->alloc)
    {
      l->alloc = l->alloc ? l->alloc * 2 : 16;
      l->v = rcr_xrealloc (l->v, l->alloc * sizeof (gid_t));
    }
  l->v[l->n++] = g;
}

static int
cmp_gid (const void *a, const void *b)
{
  gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorted and without duplicates: the kernel keeps supplementary groups sorted anyway. */
static void
gid_list_uniq (struct gid_list *l)
{
  size_t w = 0;
  if (l->n == 0)
    return;
  qsort (l->v, l->n, sizeof (gid_t), cmp_gid);
  for (size_t r = 1; r < l->n; r++)
    if (l->v[r] != l->v[w])
      l->v[++w] = l->v[r];
  l->n = w + 1;
}

static bool
member_of (const struct field *list, const char *name)
{
  const char *p = list->p, *end = list->p + list->len;
  size_t nlen = strlen (name);

  while (p < end)
    {
      const char *comma = memchr (p, ',', (size_t)(end - p));
      const char *e = comma ? comma : end;
      if ((size_t)(e - p) == nlen && memcmp (p, name, nlen) == 0)
        return true;
      p = comma ? comma + 1 : end;
    }
  return false;
}

void
rcr_user_clear (struct rcr_user *u)
{
  if (u == NULL)
    return;
  free (u->groups);
  free (u->home);
  free (u->name);
  memset (u, 0, sizeof (*u));
}

static void
cleanup_userp (struct rcr_user *u)
{
  rcr_user_clear (u);
}

int
rcr_user_resolve (int rootfd, const char *spec, struct rcr_user *out, rcr_error_t *err)
{
  __attribute__ ((cleanup (cleanup_userp))) struct rcr_user u = { 0 };
  cleanup_free char *user_part = NULL;
  cleanup_free char *passwd = NULL;
  cleanup_free char *group = NULL;
  cleanup_free gid_t *gids_buf = NULL;
  struct gid_list gids = { 0 };
  struct id_arg ua, ga;
  const char *colon, *cur, *end;
  struct field line, f[7];
  size_t passwd_len = 0, group_len = 0;
  bool found = false;
  int r;

  memset (out, 0, sizeof (*out));
  if (spec == NULL)
    spec = "";
  colon = strchr (spec, ':');
  user_part = colon ? rcr_xstrndup (spec, (size_t)(colon - spec)) : rcr_xstrdup (spec);
  r = parse_id_arg (user_part, spec, &ua, err);
  if (r == 0)
    r = parse_id_arg (colon ? colon + 1 : "", spec, &ga, err);
  if (r == 0)
    r = read_root_file (rootfd, "etc/passwd", &passwd, &passwd_len, err);
  if (r < 0)
    return r;
  cur = passwd;
  end = passwd ? passwd + passwd_len : NULL;
  while (passwd && next_line (&cur, end, &line))
    {
      uint32_t uid, gid;
      split_fields (&line, f, 7);
      /* moby reads a malformed id as 0; a line that would make anyone root is skipped */
      if (!field_id (&f[2], &uid) || !field_id (&f[3], &gid))
        continue;
      /* "" means uid 0, the OCI default user */
      if (ua.given && !ua.numeric ? !field_is (&f[0], ua.text) : uid != ua.id)
        continue;
      u.uid = uid;
      u.gid = gid;
      u.name = rcr_xstrndup (f[0].p, f[0].len);
      u.home = f[5].len ? rcr_xstrndup (f[5].p, f[5].len) : NULL;
      found = true;
      break;
    }
  if (!found)
    {
      if (ua.given && !ua.numeric)
        return rcr_make_error (err, 0, "unable to find user %s: no matching entries in passwd file", ua.text);
      u.uid = ua.id;
      u.gid = 0;
    }
  if (u.home == NULL)
    u.home = rcr_xstrdup ("/");

  if (ga.given || u.name)
    {
      r = read_root_file (rootfd, "etc/group", &group, &group_len, err);
      if (r < 0)
        return r;
    }
  if (ga.given)
    {
      bool gfound = false;
      cur = group;
      end = group ? group + group_len : NULL;
      while (group && next_line (&cur, end, &line))
        {
          uint32_t gid;
          split_fields (&line, f, 4);
          if (!field_id (&f[2], &gid))
            continue;
          if (ga.numeric ? gid != ga.id : !field_is (&f[0], ga.text))
            continue;
          u.gid = gid;
          gfound = true;
          break;
        }
      if (!gfound)
        {
          if (!ga.numeric)
            return rcr_make_error (err, 0, "unable to find group %s: no matching entries in group file", ga.text);
          u.gid = ga.id;
        }
    }

  if (*spec != '\0')
    gid_list_add (&gids, u.gid);
  if (!colon && u.name)
    {
      cur = group;
      end = group ? group + group_len : NULL;
      while (group && next_line (&cur, end, &line))
        {
          uint32_t gid;
          split_fields (&line, f, 4);
          if (field_id (&f[2], &gid) && member_of (&f[3], u.name))
            gid_list_add (&gids, gid);
        }
    }
  gids_buf = gids.v;
  gid_list_uniq (&gids);
  if (gids.n > USER_GROUPS_MAX)
    return rcr_make_error (err, 0, "user %s is in %zu groups in the container's /etc/group; at most %d are allowed",
                           u.name ? u.name : user_part, gids.n, USER_GROUPS_MAX);
  u.groups = steal_pointer (&gids_buf);
  u.n_groups = gids.n;
  *out = u;
  memset (&u, 0, sizeof (u));
  return 0;
}

/* Does a passwd/group text have an entry whose third field is id? */
static bool
has_id (const char *text, size_t len, uint32_t id)
{
  const char *cur = text;
  struct field line;
  while (next_line (&cur, text + len, &line))
    {
      struct field f[3];
      uint32_t v;
      split_fields (&line, f, 3);
      if (field_id (&f[2], &v) && v == id)
        return true;
    }
  return false;
}

/* The image's file plus line, or NULL when the image already has an entry for id (or
   no such file, or one that cannot be read). */
static char *
with_entry (int rootfd, const char *path, uint32_t id, const char *line)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  rcr_error_t err = NULL;

  if (read_root_file (rootfd, path, &text, &len, &err) < 0)
    {
      rcr_error_release (&err);
      return NULL;
    }
  if (text == NULL || has_id (text, len, id))
    return NULL;
  return rcr_strdup_printf ("%s%s%s\n", text, len > 0 && text[len - 1] != '\n' ? "\n" : "", line);
}

int
rcr_user_keep_id_files (int rootfd, uid_t uid, gid_t gid, const char *name, char **passwd, char **group)
{
  cleanup_free char *pw_line = rcr_strdup_printf ("%s:*:%u:%u::/:/bin/sh", name, (unsigned)uid, (unsigned)gid);
  cleanup_free char *gr_line = rcr_strdup_printf ("%s:x:%u:%s", name, (unsigned)gid, name);

  *passwd = with_entry (rootfd, "etc/passwd", uid, pw_line);
  *group = with_entry (rootfd, "etc/group", gid, gr_line);
  return 0;
}

void
rcr_user_add_group (struct rcr_user *u, gid_t g)
{
  struct gid_list l = { u->groups, u->n_groups, u->n_groups };
  for (size_t i = 0; i < u->n_groups; i++)
    if (u->groups[i] == g)
      return;
  gid_list_add (&l, g);
  gid_list_uniq (&l);
  u->groups = l.v;
  u->n_groups = l.n;
}
