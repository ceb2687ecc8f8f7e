/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

void *
rcr_xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
rcr_xrealloc (void *p, size_t size)
{
  void *r = realloc (p, size ? size : 1);
  if (r == NULL)
    abort ();
  return r;
}

char *
rcr_xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
rcr_xstrndup (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    abort ();
  return r;
}

char *
rcr_strdup_printf (const char *fmt, ...)
{
  va_list ap;
  char *s = NULL;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return s;
}

bool
rcr_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
rcr_has_suffix (const char *s, const char *suffix)
{
  size_t ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && strcmp (s + ls - lx, suffix) == 0;
}

size_t
rcr_strv_len (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

int
rcr_parse_u64 (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;

  if (s == NULL || !isdigit ((unsigned char)s[0]))
    return -1;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int
rcr_parse_size (const char *s, int64_t *out, rcr_error_t *err)
{
  const char *p = s;
  uint64_t num = 0, mult = 1;
  char unit;

  if (s == NULL || *s == '\0')
    return rcr_make_error (err, 0, "invalid size \"\": expected a number with an optional unit (b, k, m, g)");
  if (!isdigit ((unsigned char)*p))
    goto bad;
  while (isdigit ((unsigned char)*p))
    {
      uint64_t d = (uint64_t)(*p - '0');
      if (num > (UINT64_MAX - d) / 10)
        goto range;
      num = num * 10 + d;
      p++;
    }
  unit = (char)tolower ((unsigned char)*p);
  switch (unit)
    {
    case '\0':
      break;
    case 'b':
      p++;
      break;
    case 'k':
      mult = 1ULL << 10;
      p++;
      break;
    case 'm':
      mult = 1ULL << 20;
      p++;
      break;
    case 'g':
      mult = 1ULL << 30;
      p++;
      break;
    case 't':
      mult = 1ULL << 40;
      p++;
      break;
    default:
      goto bad;
    }
  /* "256mb" and "1GB" are accepted as podman does. */
  if (unit != 'b' && unit != '\0' && (*p == 'b' || *p == 'B'))
    p++;
  if (*p != '\0')
    goto bad;
  if (mult != 1 && num > (uint64_t)INT64_MAX / mult)
    goto range;
  if (num * mult > (uint64_t)INT64_MAX)
    goto range;
  *out = (int64_t)(num * mult);
  return 0;

bad:
  return rcr_make_error (err, 0, "invalid size \"%s\": expected a number with an optional unit (b, k, m, g), e.g. 256m",
                         s);
range:
  return rcr_make_error (err, 0, "invalid size \"%s\": value too large", s);
}

int
rcr_read_fd (int fd, const char *what, size_t max_size, char **out, size_t *len, rcr_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t used = 0, alloc = 4096;

  buf = rcr_xmalloc0 (alloc);
  for (;;)
    {
      ssize_t n;
      if (used + 1 >= alloc)
        {
          alloc *= 2;
          buf = rcr_xrealloc (buf, alloc);
        }
      n = read (fd, buf + used, alloc - used - 1);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return rcr_make_error (err, errno, "read %s", what);
        }
      if (n == 0)
        break;
      used += (size_t)n;
      if (used > max_size)
        {
          int r = max_size % (1 << 20) == 0
                      ? rcr_make_error (err, 0, "read %s: larger than %zu MiB", what, max_size >> 20)
                      : rcr_make_error (err, 0, "read %s: larger than %zu bytes", what, max_size);
          if (err && *err)
            (*err)->status = EFBIG;
          return r;
        }
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
rcr_read_file (const char *path, size_t max_size, char **out, size_t *len, rcr_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *what = NULL;

  if (fd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", path);
  what = rcr_strdup_printf ("\"%s\"", path);
  return rcr_read_fd (fd, what, max_size, out, len, err);
}

int
rcr_write_all (int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0)
        errno = EIO;
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t)n;
    }
  return 0;
}

int
rcr_write_file_replace (const char *path, const void *data, size_t len, mode_t mode, bool sync, rcr_error_t *err)
{
  cleanup_free char *tmp = rcr_strdup_printf ("%s.tmp-%d", path, (int)getpid ());
  cleanup_close int fd = -1;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return rcr_make_error (err, errno, "create \"%s\"", tmp);
  if (fchmod (fd, mode) < 0 || rcr_write_all (fd, data, len) < 0 || (sync && fsync (fd) < 0))
    {
      int r = rcr_make_error (err, errno, "write \"%s\"", tmp);
      unlink (tmp);
      return r;
    }
  if (close (steal_fd (&fd)) < 0)
    {
      int r = rcr_make_error (err, errno, "close \"%s\"", tmp);
      unlink (tmp);
      return r;
    }
  if (rename (tmp, path) < 0)
    {
      int r = rcr_make_error (err, errno, "rename \"%s\" to \"%s\"", tmp, path);
      unlink (tmp);
      return r;
    }
  return 0;
}

int
rcr_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, rcr_error_t *err)
{
  return rcr_write_file_replace (path, data, len, mode, true, err);
}

int
rcr_mkdir_p (const char *path, mode_t mode, rcr_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *p;
  struct stat st;

  /* the common case first: the directory, or all but its last component, exists (one
     system call instead of one per component on every container start) */
  if (mkdir (path, mode) == 0)
    return 0;
  if (errno == EEXIST)
    {
      if (stat (path, &st) == 0 && !S_ISDIR (st.st_mode))
        return rcr_make_error (err, ENOTDIR, "mkdir \"%s\"", path);
      return 0;
    }
  if (errno != ENOENT)
    return rcr_make_error (err, errno, "mkdir \"%s\"", path);
  copy = rcr_xstrdup (path);
  p = copy;
  if (*p == '/')
    p++;
  for (;; p++)
    {
      char c = *p;
      if (c != '/' && c != '\0')
        continue;
      *p = '\0';
      if (copy[0] != '\0' && mkdir (copy, mode) < 0 && errno != EEXIST)
        return rcr_make_error (err, errno, "mkdir \"%s\"", copy);
      if (c == '\0')
        break;
      *p = '/';
    }
  return 0;
}

static int
rm_rf_at (int parent, const char *name, dev_t dev, const char *top, rcr_error_t *err)
{
  struct stat st;
  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return rcr_make_error (err, errno, "stat \"%s/%s\"", top, name);
    }
  if (S_ISDIR (st.st_mode))
    {
      cleanup_dir DIR *d = NULL;
      struct dirent *de;
      int fd;

      if (st.st_dev != dev)
        return rcr_make_error (err, EXDEV, "remove \"%s/%s\": is a mount point", top, name);
      fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == EACCES)
        {
          /* A directory we own but made unreadable: make it traversable again. */
          if (fchmodat (parent, name, 0700, 0) == 0)
            fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (fd < 0)
        return rcr_make_error (err, errno, "open \"%s/%s\"", top, name);
      d = fdopendir (fd);
      if (d == NULL)
        {
          close (fd);
          return rcr_make_error (err, errno, "opendir \"%s/%s\"", top, name);
        }
      while ((de = readdir (d)) != NULL)
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          /* what readdir says is no directory goes at once, without a stat (a file
             mounted on is refused by the kernel: EBUSY) */
          if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && unlinkat (dirfd (d), de->d_name, 0) == 0)
            continue;
          if (rm_rf_at (dirfd (d), de->d_name, dev, top, err) < 0)
            return -1;
        }
      if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return rcr_make_error (err, errno, "rmdir \"%s/%s\"", top, name);
      return 0;
    }
  if (unlinkat (parent, name, 0) < 0 && errno != ENOENT)
    return rcr_make_error (err, errno, "unlink \"%s/%s\"", top, name);
  return 0;
}

int
rcr_rm_rf (const char *path, rcr_error_t *err)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return rcr_make_error (err, errno, "stat \"%s\"", path);
    }
  return rm_rf_at (AT_FDCWD, path, st.st_dev, path, err);
}

/* Finds UID in a passwd file's text; false when absent, or when the file has NIS
   "compat" entries (+/-), which only NSS can interpret. */
bool
rcr_passwd_find (char *text, uid_t uid, char **name, char **home, bool *compat)
{
  char *save = NULL;

  *compat = false;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[7];
      int n = 0;
      uint64_t v;

      if (line[0] == '+' || line[0] == '-')
        {
          *compat = true;
          return false;
        }
      f[n++] = line;
      for (char *p = line; *p && n < 7; p++)
        if (*p == ':')
          {
            *p = '\0';
            f[n++] = p + 1;
          }
      if (n < 7 || f[0][0] == '\0' || rcr_parse_u64 (f[2], &v) < 0 || v != (uint64_t)uid)
        continue;
      *name = rcr_xstrdup (f[0]);
      *home = rcr_xstrdup (f[5]);
      return true;
    }
  return false;
}

int
rcr_user_lookup (uid_t uid, char **name, char **home)
{
  /* one lookup per process: the answer does not change under us */
  static bool cached;
  static uid_t cached_uid;
  static char *cached_name, *cached_home;

  if (!cached || cached_uid != uid)
    {
      cleanup_free char *text = NULL;
      rcr_error_t ignored = NULL;
      char *n = NULL, *h = NULL;
      bool compat = false;

      /* /etc/passwd first: the first NSS lookup of a process costs half a millisecond
         (nsswitch.conf, the nscd socket) where reading the file costs a twentieth */
      if (rcr_read_file ("/etc/passwd", 16 << 20, &text, NULL, &ignored) < 0
          || !rcr_passwd_find (text, uid, &n, &h, &compat))
        {
          struct passwd *pw;
          rcr_error_release (&ignored);
          pw = getpwuid (uid);
          if (pw == NULL)
            return -1;
          n = rcr_xstrdup (pw->pw_name);
          h = rcr_xstrdup (pw->pw_dir ? pw->pw_dir : "");
        }
      free (cached_name);
      free (cached_home);
      cached_name = n;
      cached_home = h;
      cached_uid = uid;
      cached = true;
    }
  if (name)
    *name = rcr_xstrdup (cached_name);
  if (home)
    *home = rcr_xstrdup (cached_home);
  return 0;
}

char *
rcr_find_executable (const char *name)
{
  const char *path_env;
  cleanup_free char *copy = NULL;
  char *saveptr = NULL;

  if (strchr (name, '/'))
    return access (name, X_OK) == 0 ? rcr_xstrdup (name) : NULL;
  path_env = getenv ("PATH");
  if (path_env == NULL || *path_env == '\0')
    path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  copy = rcr_xstrdup (path_env);
  for (char *dir = strtok_r (copy, ":", &saveptr); dir; dir = strtok_r (NULL, ":", &saveptr))
    {
      char *candidate = rcr_strdup_printf ("%s/%s", dir, name);
      struct stat st;
      if (stat (candidate, &st) == 0 && S_ISREG (st.st_mode) && access (candidate, X_OK) == 0)
        return candidate;
      free (candidate);
    }
  return NULL;
}

void
rcr_signals_reset (void)
{
  sigset_t none;
  sigemptyset (&none);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);
}
