/* SPDX-License-Identifier: Apache-2.0 */
/* Layer extraction: one pass over a (gzip|zstd|plain) tar stream that hashes the
   uncompressed bytes for the diff_id and writes the entries below a directory fd without
   ever following a symlink that came from the layer.

   Two libarchive readers are chained: "raw" over the fd does only the decompression and
   hands out the uncompressed byte stream; every block it yields is hashed and then fed to
   a second, tar-only reader through archive_read_open() callbacks. Nothing is buffered
   beyond libarchive's own blocks, and the bytes the tar reader never asks for (the end
   of the archive's padding) are drained and hashed at the end, so the digest covers the
   whole uncompressed stream as `zcat | sha256sum` would. */
#define _GNU_SOURCE
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#define READ_BLOCK_SIZE (64 * 1024)
/* Writers pad the end of the archive to their record size (10 KiB for GNU tar, 1 KiB for
   Go); anything much larger after the end marker is not a real layer. */
#define MAX_TRAILING_BYTES (16ULL << 20)
/* The uncompressed stream also carries headers, padding and pax records: it may exceed the
   content limit by this much per entry before it counts as a bomb. */
#define STREAM_SLACK_PER_ENTRY 2048ULL
/* Skipped device nodes remembered so that hardlinks to them are skipped too. */
#define MAX_TRACKED_DEVICES 1024

#define DEFAULT_OPAQUE_XATTR "user.overlay.opaque"
#define DEFAULT_WHITEOUT_XATTR "user.overlay.whiteout"
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

static inline void
cleanup_archivep (struct archive **a)
{
  if (*a)
    archive_free (*a);
}
#define cleanup_archive __attribute__ ((cleanup (cleanup_archivep)))

static inline void
cleanup_md_ctxp (EVP_MD_CTX **ctx)
{
  EVP_MD_CTX_free (*ctx);
}
#define cleanup_md_ctx __attribute__ ((cleanup (cleanup_md_ctxp)))

/* The decompressed byte stream between the two readers. */
struct layer_stream
{
  struct archive *raw;
  EVP_MD_CTX *md;
  uint64_t bytes;
  uint64_t max_bytes;
  bool eof;
  bool limit_hit;
  char *raw_error;
};

struct dir_fixup
{
  char *path;
  mode_t mode;
  struct timespec times[2];
};

struct extract_ctx
{
  int rootfd;
  const struct rcr_layer_limits *limits;
  const char *opaque_xattr;
  char *whiteout_xattr;
  bool ignore_chown_errors;
  struct rcr_layer_stats *stats;
  struct layer_stream *stream;
  uint64_t content_bytes;
  /* Directory modes and times are applied after all entries: creating children would
     change the times, and a read-only mode would stop the extraction. */
  struct dir_fixup *dirs;
  size_t n_dirs, alloc_dirs;
  /* Whiteouts made in the xattr form; their parents get the marker at the end. */
  char **xwhiteouts;
  size_t n_xwhiteouts, alloc_xwhiteouts;
  char **devices;
  size_t n_devices;
};

static void
layer_stream_clear (struct layer_stream *s)
{
  free (s->raw_error);
}
#define cleanup_stream __attribute__ ((cleanup (layer_stream_clear)))

static void
extract_ctx_clear (struct extract_ctx *ctx)
{
  for (size_t i = 0; i < ctx->n_dirs; i++)
    free (ctx->dirs[i].path);
  free (ctx->dirs);
  for (size_t i = 0; i < ctx->n_xwhiteouts; i++)
    free (ctx->xwhiteouts[i]);
  free (ctx->xwhiteouts);
  for (size_t i = 0; i < ctx->n_devices; i++)
    free (ctx->devices[i]);
  free (ctx->devices);
  free (ctx->whiteout_xattr);
}
#define cleanup_extract_ctx __attribute__ ((cleanup (extract_ctx_clear)))

static uint64_t
sat_add (uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
sat_mul (uint64_t a, uint64_t b)
{
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static la_ssize_t
stream_read (struct archive *tar, void *data, const void **buf)
{
  struct layer_stream *s = data;

  while (!s->eof)
    {
      const void *block;
      size_t size;
      la_int64_t offset;
      int r = archive_read_data_block (s->raw, &block, &size, &offset);

      if (r == ARCHIVE_EOF)
        {
          s->eof = true;
          break;
        }
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        {
          const char *msg = archive_error_string (s->raw);
          free (s->raw_error);
          s->raw_error = rcr_xstrdup (msg ? msg : "corrupt or truncated data");
          archive_set_error (tar, archive_errno (s->raw), "%s", s->raw_error);
          return -1;
        }
      if (size == 0)
        continue;
      s->bytes += size;
      if (s->bytes > s->max_bytes)
        {
          s->limit_hit = true;
          archive_set_error (tar, EFBIG, "layer stream too large");
          return -1;
        }
      if (EVP_DigestUpdate (s->md, block, size) != 1)
        {
          archive_set_error (tar, EIO, "sha256 update failed");
          return -1;
        }
      *buf = block;
      return (la_ssize_t)size;
    }
  return 0;
}

/* Turns a failed libarchive call on the tar reader into an error naming the real cause:
   the limit, the decompressor or the tar parser. */
static int
tar_error (struct extract_ctx *ctx, struct archive *tar, const char *what, rcr_error_t *err)
{
  const char *msg;

  if (ctx->stream->limit_hit)
    return rcr_make_error (err, 0, "layer stream exceeds %" PRIu64 " bytes uncompressed", ctx->stream->max_bytes);
  if (ctx->stream->raw_error)
    return rcr_make_error (err, 0, "decompress layer: %s", ctx->stream->raw_error);
  msg = archive_error_string (tar);
  return rcr_make_error (err, 0, "%s: %s", what, msg ? msg : "corrupt or truncated data");
}

/* Normalises an entry path to "a/b/c": a leading "./", empty and "." components go;
   absolute paths and ".." are refused. "" names the layer root. */
static int
clean_path (const char *in, char **out, rcr_error_t *err)
{
  cleanup_free char *copy = NULL;
  cleanup_free char *res = NULL;
  char *saveptr = NULL;
  size_t used = 0;

  if (in == NULL || *in == '\0')
    return rcr_make_error (err, 0, "layer entry with an empty path");
  if (*in == '/')
    return rcr_make_error (err, 0, "layer entry \"%s\": absolute path", in);
  copy = rcr_xstrdup (in);
  res = rcr_xmalloc0 (strlen (in) + 1);
  for (char *c = strtok_r (copy, "/", &saveptr); c; c = strtok_r (NULL, "/", &saveptr))
    {
      size_t len = strlen (c);
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        return rcr_make_error (err, 0, "layer entry \"%s\": path contains \"..\"", in);
      if (len > NAME_MAX)
        return rcr_make_error (err, ENAMETOOLONG, "layer entry \"%s\"", in);
      if (used > 0)
        res[used++] = '/';
      memcpy (res + used, c, len);
      used += len;
    }
  res[used] = '\0';
  *out = steal_pointer (&res);
  return 0;
}

/* Splits a cleaned path in place into parent ("" for the root) and last component. */
static void
split_path (char *path, const char **parent, const char **name)
{
  char *slash = strrchr (path, '/');
  if (slash == NULL)
    {
      *parent = "";
      *name = path;
      return;
    }
  *slash = '\0';
  *parent = path;
  *name = slash + 1;
}

static bool openat2_unavailable;

static int
openat2_dir (int rootfd, const char *path)
{
  struct open_how how = {
    .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  return (int)syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
}

/* Component-by-component walk with O_NOFOLLOW: the fallback when openat2 is missing and
   the way missing parents are created (0755, owned by the extracting user). */
static int
walk_dir (int rootfd, const char *path, bool create)
{
  cleanup_free char *copy = rcr_xstrdup (path);
  cleanup_close int cur = -1;
  char *saveptr = NULL;

  cur = openat (rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return -1;
  for (char *c = strtok_r (copy, "/", &saveptr); c; c = strtok_r (NULL, "/", &saveptr))
    {
      int fd = openat (cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create)
        {
          bool made = mkdirat (cur, c, 0755) == 0;
          if (!made && errno != EEXIST)
            return -1;
          fd = openat (cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          /* Exactly 0755 whatever the umask. */
          if (fd >= 0 && made && fchmod (fd, 0755) < 0)
            {
              int saved = errno;
              close (fd);
              errno = saved;
              return -1;
            }
        }
      if (fd < 0)
        return -1;
      close (cur);
      cur = fd;
    }
  return steal_fd (&cur);
}

/* Opens the directory at a cleaned path below the root, never through a symlink. */
static int
open_dir_raw (int rootfd, const char *path, bool create)
{
  int fd = -1;

  if (*path == '\0')
    return openat (rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!openat2_unavailable)
    {
      fd = openat2_dir (rootfd, path);
      if (fd < 0 && errno == ENOSYS)
        openat2_unavailable = true;
    }
  if (openat2_unavailable)
    fd = walk_dir (rootfd, path, false);
  if (fd < 0 && errno == ENOENT && create)
    fd = walk_dir (rootfd, path, true);
  return fd;
}

static int
open_dir (struct extract_ctx *ctx, const char *path, bool create, const char *entry, int *out, rcr_error_t *err)
{
  int fd = open_dir_raw (ctx->rootfd, path, create);
  if (fd < 0)
    {
      if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
        return rcr_make_error (err, 0, "layer entry \"%s\": \"%s\" is a symlink or not a directory", entry, path);
      return rcr_make_error (err, errno, "layer entry \"%s\": open directory \"%s\"", entry, path);
    }
  *out = fd;
  return 0;
}

/* Removes whatever is at name, a whole tree for a directory. */
static int
remove_at (int dfd, const char *name)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (unlinkat (dfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR)
    return -1;
  if (unlinkat (dfd, name, AT_REMOVEDIR) == 0)
    return 0;
  if (errno != ENOTEMPTY && errno != EEXIST)
    return -1;
  fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -1;
    }
  errno = 0;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (remove_at (dirfd (d), de->d_name) < 0)
        return -1;
      errno = 0;
    }
  if (errno != 0)
    return -1;
  return unlinkat (dfd, name, AT_REMOVEDIR);
}

static int
replace_at (int dfd, const char *name, const char *entry, rcr_error_t *err)
{
  if (remove_at (dfd, name) < 0)
    return rcr_make_error (err, errno, "layer entry \"%s\": remove the existing file", entry);
  return 0;
}

static bool
is_xwhiteout (struct extract_ctx *ctx, int dfd, const char *name)
{
  cleanup_close int fd = -1;
  struct stat st;

  fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size != 0)
    return false;
  return fgetxattr (fd, ctx->whiteout_xattr, NULL, 0) >= 0;
}

static bool
is_whiteout (struct extract_ctx *ctx, int dfd, const char *name, const struct stat *st)
{
  if (S_ISCHR (st->st_mode))
    return st->st_rdev == makedev (0, 0);
  return S_ISREG (st->st_mode) && st->st_size == 0 && is_xwhiteout (ctx, dfd, name);
}

static int
set_opaque (struct extract_ctx *ctx, int fd, const char *value, const char *path, rcr_error_t *err)
{
  if (fsetxattr (fd, ctx->opaque_xattr, value, strlen (value), 0) < 0)
    return rcr_make_error (err, errno, "set xattr %s on \"%s\"", ctx->opaque_xattr, *path ? path : ".");
  return 0;
}

/* Which xattrs from the tar are restored: user.* and security.*; overlay's own
   user.overlay.* would let a layer forge whiteouts, opaque dirs or redirects. */
static bool
xattr_wanted (const char *name)
{
  if (rcr_has_prefix (name, "user."))
    return !rcr_has_prefix (name, "user.overlay.");
  return rcr_has_prefix (name, "security.");
}

/* chown clears security.capability, so it is set in a second pass after the owner;
   user.* must be set first, while the new file is still writable by us. */
static int
apply_xattrs (struct archive_entry *e, int fd, bool caps_pass, const char *path, rcr_error_t *err)
{
  const char *name;
  const void *value;
  size_t size;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (name == NULL || (strcmp (name, "security.capability") == 0) != caps_pass)
        continue;
      if (!xattr_wanted (name))
        {
          rcr_debug ("layer entry \"%s\": xattr %s not restored", path, name);
          continue;
        }
      if (fsetxattr (fd, name, value, size, 0) == 0)
        continue;
      if (rcr_has_prefix (name, "security.") || errno == ENOTSUP)
        {
          rcr_debug ("layer entry \"%s\": set xattr %s: %s", path, name, strerror (errno));
          continue;
        }
      return rcr_make_error (err, errno, "set xattr %s on \"%s\"", name, path);
    }
  return 0;
}

static int
apply_owner (struct extract_ctx *ctx, struct archive_entry *e, int fd, int dfd, const char *name, const char *path,
             rcr_error_t *err)
{
  la_int64_t uid = archive_entry_uid (e), gid = archive_entry_gid (e);
  int r;

  /* (uid_t) -1 would mean "leave unchanged" to chown. */
  if (uid < 0 || uid >= (la_int64_t)UINT32_MAX || gid < 0 || gid >= (la_int64_t)UINT32_MAX)
    return rcr_make_error (err, 0, "layer entry \"%s\": invalid owner %" PRId64 ":%" PRId64, path, (int64_t)uid,
                           (int64_t)gid);
  if (fd >= 0)
    r = fchown (fd, (uid_t)uid, (gid_t)gid);
  else
    r = fchownat (dfd, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    {
      if (ctx->ignore_chown_errors && (errno == EPERM || errno == EINVAL))
        return 0;
      return rcr_make_error (err, errno, "chown \"%s\" to %" PRId64 ":%" PRId64, path, (int64_t)uid, (int64_t)gid);
    }
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  if (!archive_entry_mtime_is_set (e))
    {
      ts[0].tv_sec = ts[1].tv_sec = 0;
      ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
      return;
    }
  ts[1].tv_sec = archive_entry_mtime (e);
  ts[1].tv_nsec = archive_entry_mtime_nsec (e);
  if (ts[1].tv_nsec < 0 || ts[1].tv_nsec > 999999999)
    ts[1].tv_nsec = 0;
  ts[0] = ts[1];
  if (archive_entry_atime_is_set (e))
    {
      ts[0].tv_sec = archive_entry_atime (e);
      ts[0].tv_nsec = archive_entry_atime_nsec (e);
      if (ts[0].tv_nsec < 0 || ts[0].tv_nsec > 999999999)
        ts[0].tv_nsec = 0;
    }
}

static mode_t
entry_mode (struct archive_entry *e)
{
  return archive_entry_perm (e) & 07777;
}

static void
defer_dir (struct extract_ctx *ctx, const char *path, struct archive_entry *e)
{
  struct dir_fixup *f;

  if (ctx->n_dirs == ctx->alloc_dirs)
    {
      ctx->alloc_dirs = ctx->alloc_dirs ? ctx->alloc_dirs * 2 : 64;
      ctx->dirs = rcr_xrealloc (ctx->dirs, ctx->alloc_dirs * sizeof (*ctx->dirs));
    }
  f = &ctx->dirs[ctx->n_dirs++];
  f->path = rcr_xstrdup (path);
  f->mode = entry_mode (e);
  entry_times (e, f->times);
}

static void
record_xwhiteout (struct extract_ctx *ctx, const char *parent, const char *name)
{
  if (ctx->n_xwhiteouts == ctx->alloc_xwhiteouts)
    {
      ctx->alloc_xwhiteouts = ctx->alloc_xwhiteouts ? ctx->alloc_xwhiteouts * 2 : 16;
      ctx->xwhiteouts = rcr_xrealloc (ctx->xwhiteouts, ctx->alloc_xwhiteouts * sizeof (char *));
    }
  ctx->xwhiteouts[ctx->n_xwhiteouts++] = *parent ? rcr_strdup_printf ("%s/%s", parent, name) : rcr_xstrdup (name);
}

static int
write_all_at (int fd, const char *buf, size_t len, off_t off)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, buf, len, off);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      buf += n;
      len -= (size_t)n;
      off += n;
    }
  return 0;
}

static int
count_content (struct extract_ctx *ctx, uint64_t n, rcr_error_t *err)
{
  if (n > ctx->limits->max_bytes || ctx->content_bytes > ctx->limits->max_bytes - n)
    return rcr_make_error (err, 0, "layer exceeds %" PRIu64 " bytes uncompressed", ctx->limits->max_bytes);
  ctx->content_bytes += n;
  return 0;
}

static int
extract_regular (struct extract_ctx *ctx, struct archive *tar, struct archive_entry *e, int dfd, const char *name,
                 const char *path, rcr_error_t *err)
{
  cleanup_close int fd = -1;
  struct timespec ts[2];
  bool size_known = archive_entry_size_is_set (e);
  int64_t size = archive_entry_size (e);
  uint64_t end = 0;

  if (size_known && size < 0)
    return rcr_make_error (err, 0, "layer entry \"%s\": negative size", path);
  /* Counted before writing, so a bomb fails at its header. */
  if (size_known && count_content (ctx, (uint64_t)size, err) < 0)
    return -1;
  if (replace_at (dfd, name, path, err) < 0)
    return -1;
  fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return rcr_make_error (err, errno, "create \"%s\"", path);
  for (;;)
    {
      const void *buf;
      size_t len;
      la_int64_t off;
      int r = archive_read_data_block (tar, &buf, &len, &off);

      if (r == ARCHIVE_EOF)
        break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        {
          cleanup_free char *what = rcr_strdup_printf ("read layer entry \"%s\"", path);
          return tar_error (ctx, tar, what, err);
        }
      if (len == 0)
        continue;
      if (off < 0)
        return rcr_make_error (err, 0, "layer entry \"%s\": invalid data offset", path);
      if (!size_known && count_content (ctx, len, err) < 0)
        return -1;
      if (size_known && (uint64_t)off + len > (uint64_t)size)
        return rcr_make_error (err, 0, "layer entry \"%s\": data beyond the entry's size", path);
      if (write_all_at (fd, buf, len, off) < 0)
        return rcr_make_error (err, errno, "write \"%s\"", path);
      if ((uint64_t)off + len > end)
        end = (uint64_t)off + len;
    }
  /* A sparse file ending in a hole. */
  if (size_known && end < (uint64_t)size && ftruncate (fd, size) < 0)
    return rcr_make_error (err, errno, "truncate \"%s\"", path);

  if (apply_xattrs (e, fd, false, path, err) < 0 || apply_owner (ctx, e, fd, -1, NULL, path, err) < 0)
    return -1;
  if (fchmod (fd, entry_mode (e)) < 0)
    return rcr_make_error (err, errno, "chmod \"%s\"", path);
  if (apply_xattrs (e, fd, true, path, err) < 0)
    return -1;
  entry_times (e, ts);
  if (futimens (fd, ts) < 0)
    return rcr_make_error (err, errno, "set times of \"%s\"", path);
  return 0;
}

static int
dir_metadata (struct extract_ctx *ctx, struct archive_entry *e, int fd, const char *path, rcr_error_t *err)
{
  if (apply_xattrs (e, fd, false, path, err) < 0 || apply_owner (ctx, e, fd, -1, NULL, path, err) < 0
      || apply_xattrs (e, fd, true, path, err) < 0)
    return -1;
  defer_dir (ctx, path, e);
  return 0;
}

static int
extract_dir (struct extract_ctx *ctx, struct archive_entry *e, int dfd, const char *name, const char *path,
             rcr_error_t *err)
{
  cleanup_close int fd = -1;
  bool over_whiteout = false;
  struct stat st;

  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (!S_ISDIR (st.st_mode))
        {
          over_whiteout = is_whiteout (ctx, dfd, name, &st);
          if (replace_at (dfd, name, path, err) < 0)
            return -1;
        }
    }
  else if (errno != ENOENT)
    return rcr_make_error (err, errno, "stat \"%s\"", path);
  /* 0700 until the end: the entry's own mode could keep us from filling it. */
  if (mkdirat (dfd, name, 0700) < 0 && errno != EEXIST)
    return rcr_make_error (err, errno, "mkdir \"%s\"", path);
  fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", path);
  /* The same layer deleted the lower "name" and made a new directory: hide the lower one. */
  if (over_whiteout && set_opaque (ctx, fd, "y", path, err) < 0)
    return -1;
  return dir_metadata (ctx, e, fd, path, err);
}

static int
extract_symlink (struct extract_ctx *ctx, struct archive_entry *e, int dfd, const char *name, const char *path,
                 rcr_error_t *err)
{
  const char *target = archive_entry_symlink (e);
  struct timespec ts[2];

  if (target == NULL || *target == '\0')
    return rcr_make_error (err, 0, "layer entry \"%s\": symlink without a target", path);
  if (replace_at (dfd, name, path, err) < 0)
    return -1;
  if (symlinkat (target, dfd, name) < 0)
    return rcr_make_error (err, errno, "symlink \"%s\"", path);
  if (apply_owner (ctx, e, -1, dfd, name, path, err) < 0)
    return -1;
  entry_times (e, ts);
  if (utimensat (dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return rcr_make_error (err, errno, "set times of \"%s\"", path);
  return 0;
}

static int
extract_fifo (struct extract_ctx *ctx, struct archive_entry *e, int dfd, const char *name, const char *path,
              rcr_error_t *err)
{
  struct timespec ts[2];

  if (replace_at (dfd, name, path, err) < 0)
    return -1;
  if (mknodat (dfd, name, S_IFIFO | 0600, 0) < 0)
    return rcr_make_error (err, errno, "mkfifo \"%s\"", path);
  if (apply_owner (ctx, e, -1, dfd, name, path, err) < 0)
    return -1;
  /* The fifo was just made in a directory only we write to: no symlink can be there. */
  if (fchmodat (dfd, name, entry_mode (e), 0) < 0)
    return rcr_make_error (err, errno, "chmod \"%s\"", path);
  entry_times (e, ts);
  if (utimensat (dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return rcr_make_error (err, errno, "set times of \"%s\"", path);
  return 0;
}

static bool
is_skipped_device (struct extract_ctx *ctx, const char *path)
{
  for (size_t i = 0; i < ctx->n_devices; i++)
    if (strcmp (ctx->devices[i], path) == 0)
      return true;
  return false;
}

static int
extract_hardlink (struct extract_ctx *ctx, const char *link, int dfd, const char *name, const char *path,
                  rcr_error_t *err)
{
  cleanup_free char *target = NULL;
  cleanup_free char *tfull = NULL;
  cleanup_close int tdfd = -1;
  const char *tparent, *tname;
  struct stat tst, st;

  if (clean_path (link, &target, NULL) < 0 || *target == '\0')
    return rcr_make_error (err, 0, "layer entry \"%s\": hardlink target \"%s\" is not in the layer", path,
                           link ? link : "");
  tfull = rcr_xstrdup (target);
  split_path (target, &tparent, &tname);
  tdfd = open_dir_raw (ctx->rootfd, tparent, false);
  if (tdfd < 0 || fstatat (tdfd, tname, &tst, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (is_skipped_device (ctx, tfull))
        {
          ctx->stats->skipped_devices++;
          return 0;
        }
      return rcr_make_error (err, 0, "layer entry \"%s\": hardlink target \"%s\" is not in the layer", path, link);
    }
  if (S_ISDIR (tst.st_mode))
    return rcr_make_error (err, 0, "layer entry \"%s\": hardlink to the directory \"%s\"", path, link);
  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == tst.st_dev && st.st_ino == tst.st_ino)
    return 0;
  if (replace_at (dfd, name, path, err) < 0)
    return -1;
  /* flags 0: a link to a symlink links the symlink itself, never what it points to. */
  if (linkat (tdfd, tname, dfd, name, 0) < 0)
    return rcr_make_error (err, errno, "hardlink \"%s\" to \"%s\"", path, link);
  return 0;
}

/* ".wh.NAME" hides NAME of the lower layers: an overlay whiteout here, a 0/0 character
   device or, when mknod is refused, an empty file with the whiteout xattr. */
static int
extract_whiteout (struct extract_ctx *ctx, const char *parent, const char *base, const char *path, rcr_error_t *err)
{
  const char *target = base + strlen (WHITEOUT_PREFIX);
  cleanup_close int pfd = -1;
  cleanup_close int fd = -1;
  struct stat st;

  if (strcmp (base, WHITEOUT_OPAQUE) == 0)
    {
      if (open_dir (ctx, parent, true, path, &pfd, err) < 0)
        return -1;
      return set_opaque (ctx, pfd, "y", parent, err);
    }
  /* Other aufs bookkeeping (".wh..wh.plnk", ".wh..wh.aufs") means nothing to overlay. */
  if (rcr_has_prefix (base, WHITEOUT_META_PREFIX))
    return 0;
  if (*target == '\0' || strcmp (target, ".") == 0 || strcmp (target, "..") == 0)
    return rcr_make_error (err, 0, "layer entry \"%s\": invalid whiteout", path);
  if (open_dir (ctx, parent, true, path, &pfd, err) < 0)
    return -1;

  if (fstatat (pfd, target, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      /* A whiteout only hides lower layers (OCI image spec): this layer's own entry stays;
         a directory of this layer must then not merge with the lower one. */
      if (S_ISDIR (st.st_mode))
        {
          fd = openat (pfd, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd < 0)
            return rcr_make_error (err, errno, "open \"%s\"", path);
          return set_opaque (ctx, fd, "y", path, err);
        }
      return 0;
    }
  if (errno != ENOENT)
    return rcr_make_error (err, errno, "stat \"%s\"", path);

  if (mknodat (pfd, target, S_IFCHR | 0, makedev (0, 0)) == 0)
    return 0;
  if (errno != EPERM)
    return rcr_make_error (err, errno, "create whiteout \"%s\"", path);

  fd = openat (pfd, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return rcr_make_error (err, errno, "create whiteout \"%s\"", path);
  if (fsetxattr (fd, ctx->whiteout_xattr, "", 0, 0) < 0)
    return rcr_make_error (err, errno, "set xattr %s on whiteout \"%s\"", ctx->whiteout_xattr, path);
  record_xwhiteout (ctx, parent, target);
  return 0;
}

static int
extract_entry (struct extract_ctx *ctx, struct archive *tar, struct archive_entry *e, rcr_error_t *err)
{
  const char *raw = archive_entry_pathname (e) ? archive_entry_pathname (e) : archive_entry_pathname_utf8 (e);
  const char *link = archive_entry_hardlink (e);
  cleanup_free char *path = NULL;
  cleanup_free char *full = NULL;
  cleanup_close int dfd = -1;
  mode_t type = archive_entry_filetype (e);
  const char *parent, *name;

  if (clean_path (raw, &path, err) < 0)
    return -1;
  full = rcr_xstrdup (path);

  if (*path == '\0')
    {
      /* "./": the layer root's own metadata. */
      if (link != NULL || type != AE_IFDIR)
        return rcr_make_error (err, 0, "layer entry \"%s\": only a directory can name the layer root", raw);
      dfd = openat (ctx->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0)
        return rcr_make_error (err, errno, "open the layer root");
      return dir_metadata (ctx, e, dfd, "", err);
    }

  split_path (path, &parent, &name);
  if (rcr_has_prefix (name, WHITEOUT_PREFIX))
    return extract_whiteout (ctx, parent, name, full, err);

  if (link == NULL && (type == AE_IFCHR || type == AE_IFBLK))
    {
      ctx->stats->skipped_devices++;
      if (ctx->n_devices < MAX_TRACKED_DEVICES)
        {
          if (ctx->devices == NULL)
            ctx->devices = rcr_xmalloc0 (MAX_TRACKED_DEVICES * sizeof (char *));
          ctx->devices[ctx->n_devices++] = steal_pointer (&full);
        }
      return 0;
    }
  if (link == NULL && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO)
    return rcr_make_error (err, 0, "layer entry \"%s\": unsupported file type 0%o", full, (unsigned)type);

  if (open_dir (ctx, parent, true, full, &dfd, err) < 0)
    return -1;
  if (link != NULL)
    return extract_hardlink (ctx, link, dfd, name, full, err);
  switch (type)
    {
    case AE_IFREG:
      return extract_regular (ctx, tar, e, dfd, name, full, err);
    case AE_IFDIR:
      return extract_dir (ctx, e, dfd, name, full, err);
    case AE_IFLNK:
      return extract_symlink (ctx, e, dfd, name, full, err);
    default:
      return extract_fifo (ctx, e, dfd, name, full, err);
    }
}

/* Overlay (Linux >= 6.7, Documentation/filesystems/overlayfs.rst, "whiteouts and opaque
   directories") only looks for xattr whiteouts in a directory whose opaque xattr is "x";
   in an opaque ("y") directory they are pointless and would show up as empty files. */
static int
finish_xwhiteouts (struct extract_ctx *ctx, rcr_error_t *err)
{
  for (size_t i = 0; i < ctx->n_xwhiteouts; i++)
    {
      cleanup_free char *path = rcr_xstrdup (ctx->xwhiteouts[i]);
      cleanup_close int pfd = -1;
      const char *parent, *name;
      char val[2];
      ssize_t n;

      split_path (path, &parent, &name);
      pfd = open_dir_raw (ctx->rootfd, parent, false);
      if (pfd < 0 || !is_xwhiteout (ctx, pfd, name))
        continue;
      n = fgetxattr (pfd, ctx->opaque_xattr, val, sizeof (val));
      if (n == 1 && val[0] == 'y')
        {
          if (unlinkat (pfd, name, 0) < 0)
            return rcr_make_error (err, errno, "remove whiteout \"%s\"", ctx->xwhiteouts[i]);
          continue;
        }
      if (set_opaque (ctx, pfd, "x", parent, err) < 0)
        return -1;
    }
  return 0;
}

static int
finish_dirs (struct extract_ctx *ctx, rcr_error_t *err)
{
  for (size_t i = 0; i < ctx->n_dirs; i++)
    {
      struct dir_fixup *f = &ctx->dirs[i];
      cleanup_close int fd = open_dir_raw (ctx->rootfd, f->path, false);
      const char *shown = *f->path ? f->path : ".";

      /* Replaced by a later entry of the layer. */
      if (fd < 0)
        continue;
      if (fchmod (fd, f->mode) < 0)
        return rcr_make_error (err, errno, "chmod \"%s\"", shown);
      if (futimens (fd, f->times) < 0)
        return rcr_make_error (err, errno, "set times of \"%s\"", shown);
    }
  return 0;
}

static char *
whiteout_xattr_for (const char *opaque)
{
  const char *suffix = "opaque";
  size_t len = strlen (opaque), slen = strlen (suffix);

  if (rcr_has_suffix (opaque, suffix))
    return rcr_strdup_printf ("%.*swhiteout", (int)(len - slen), opaque);
  return rcr_xstrdup (DEFAULT_WHITEOUT_XATTR);
}

static void
hex_digest (const unsigned char *md, unsigned int len, char *out)
{
  static const char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; i++)
    {
      out[2 * i] = hex[md[i] >> 4];
      out[2 * i + 1] = hex[md[i] & 0xf];
    }
  out[2 * len] = '\0';
}

static int
read_entries (struct extract_ctx *ctx, struct archive *tar, rcr_error_t *err)
{
  for (;;)
    {
      struct archive_entry *e;
      int r = archive_read_next_header (tar, &e);

      if (r == ARCHIVE_EOF)
        return 0;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return tar_error (ctx, tar, "read layer", err);
      if (++ctx->stats->entries > ctx->limits->max_entries)
        return rcr_make_error (err, 0, "layer exceeds the limit of %" PRIu64 " entries", ctx->limits->max_entries);
      if (extract_entry (ctx, tar, e, err) < 0)
        return -1;
    }
}

/* The tar reader stops at the end-of-archive marker; the digest covers the rest too. */
static int
drain_stream (struct layer_stream *s, rcr_error_t *err)
{
  uint64_t trailing = 0;

  while (!s->eof)
    {
      const void *block;
      size_t size;
      la_int64_t offset;
      int r = archive_read_data_block (s->raw, &block, &size, &offset);

      if (r == ARCHIVE_EOF)
        break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        {
          const char *msg = archive_error_string (s->raw);
          return rcr_make_error (err, 0, "decompress layer: %s", msg ? msg : "corrupt or truncated data");
        }
      trailing += size;
      s->bytes += size;
      if (trailing > MAX_TRAILING_BYTES)
        return rcr_make_error (err, 0, "layer has more than %llu bytes of data after the end of the tar archive",
                               MAX_TRAILING_BYTES);
      if (EVP_DigestUpdate (s->md, block, size) != 1)
        return rcr_make_error (err, EIO, "sha256 of the layer");
    }
  return 0;
}

int
rcr_layer_extract (int fd, const char *dest_dir, const struct rcr_layer_limits *limits, const char *opaque_xattr_name,
                   bool ignore_chown_errors, struct rcr_layer_stats *stats, rcr_error_t *err)
{
  static const struct rcr_layer_limits default_limits
      = { .max_bytes = RCR_LAYER_DEFAULT_MAX_BYTES, .max_entries = RCR_LAYER_DEFAULT_MAX_ENTRIES };
  cleanup_close int rootfd = -1;
  cleanup_md_ctx EVP_MD_CTX *md = NULL;
  cleanup_archive struct archive *raw = NULL;
  /* Declared before the tar reader, which reads through it, so it outlives it. */
  cleanup_stream struct layer_stream stream = { 0 };
  cleanup_extract_ctx struct extract_ctx ctx = { 0 };
  cleanup_archive struct archive *tar = NULL;
  struct rcr_layer_stats local_stats;
  struct archive_entry *raw_entry;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  int r;

  if (limits == NULL)
    limits = &default_limits;
  if (stats == NULL)
    stats = &local_stats;
  memset (stats, 0, sizeof (*stats));
  if (opaque_xattr_name == NULL)
    opaque_xattr_name = DEFAULT_OPAQUE_XATTR;

  rootfd = open (dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", dest_dir);

  md = EVP_MD_CTX_new ();
  if (md == NULL || EVP_DigestInit_ex (md, EVP_sha256 (), NULL) != 1)
    return rcr_make_error (err, ENOMEM, "sha256 init");

  raw = archive_read_new ();
  if (raw == NULL)
    return rcr_make_error (err, ENOMEM, "archive_read_new");
  /* ARCHIVE_WARN means "through an external program": still correct, only slower. */
  if (archive_read_support_filter_gzip (raw) < ARCHIVE_WARN || archive_read_support_filter_zstd (raw) < ARCHIVE_WARN
      || archive_read_support_filter_none (raw) != ARCHIVE_OK || archive_read_support_format_raw (raw) != ARCHIVE_OK
      || archive_read_support_format_empty (raw) != ARCHIVE_OK)
    return rcr_make_error (err, 0, "libarchive setup: %s", archive_error_string (raw));
  if (archive_read_open_fd (raw, fd, READ_BLOCK_SIZE) != ARCHIVE_OK)
    return rcr_make_error (err, 0, "read layer: %s", archive_error_string (raw));
  r = archive_read_next_header (raw, &raw_entry);
  if (r == ARCHIVE_EOF)
    stream.eof = true;
  else if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
    return rcr_make_error (err, 0, "decompress layer: %s", archive_error_string (raw));

  stream.raw = raw;
  stream.md = md;
  stream.max_bytes = sat_add (sat_add (limits->max_bytes, sat_mul (limits->max_entries, STREAM_SLACK_PER_ENTRY)),
                              MAX_TRAILING_BYTES);

  ctx.rootfd = rootfd;
  ctx.limits = limits;
  ctx.opaque_xattr = opaque_xattr_name;
  ctx.whiteout_xattr = whiteout_xattr_for (opaque_xattr_name);
  ctx.ignore_chown_errors = ignore_chown_errors;
  ctx.stats = stats;
  ctx.stream = &stream;

  tar = archive_read_new ();
  if (tar == NULL)
    return rcr_make_error (err, ENOMEM, "archive_read_new");
  /* An empty stream is an empty layer, as for Go's archive/tar. */
  if (archive_read_support_format_tar (tar) != ARCHIVE_OK || archive_read_support_format_empty (tar) != ARCHIVE_OK)
    return rcr_make_error (err, 0, "libarchive setup: %s", archive_error_string (tar));
  if (archive_read_open (tar, &stream, NULL, stream_read, NULL) != ARCHIVE_OK)
    return tar_error (&ctx, tar, "read layer", err);
  if (read_entries (&ctx, tar, err) < 0 || drain_stream (&stream, err) < 0 || finish_xwhiteouts (&ctx, err) < 0
      || finish_dirs (&ctx, err) < 0)
    return -1;

  if (EVP_DigestFinal_ex (md, digest, &digest_len) != 1 || digest_len != 32)
    return rcr_make_error (err, EIO, "sha256 of the layer");
  memcpy (stats->diff_id, "sha256:", 7);
  hex_digest (digest, digest_len, stats->diff_id + 7);
  stats->uncompressed_size = stream.bytes;
  if (stats->skipped_devices > 0)
    rcr_warn ("skipped %" PRIu64 " device node%s of the layer extracted to \"%s\": device nodes are not extracted, "
              "containers get /dev from the runtime",
              stats->skipped_devices, stats->skipped_devices == 1 ? "" : "s", dest_dir);
  return 0;
}
