/* SPDX-License-Identifier: Apache-2.0 */
/* Layer extraction against real tar streams written by libarchive (and by gzip and zstd
   when installed), extracted into a temporary directory and inspected with lstat,
   readlink and getxattr. Hostile cases check that nothing appears outside the
   destination. Ownership assertions need root in the initial user namespace; elsewhere
   the extraction ignores chown errors and they are skipped. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <openssl/evp.h>
#include <seccomp.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "storage/layer.h"
#include "tap.h"

extern char **environ;

/* Root of the initial user namespace: every id can be given away and read back. */
static bool is_root;

static bool
initial_userns_root (void)
{
  cleanup_free char *map = NULL;
  rcr_error_t err = NULL;
  unsigned long inside, outside, count;

  if (geteuid () != 0)
    return false;
  if (rcr_read_file ("/proc/self/uid_map", 4096, &map, NULL, &err) < 0)
    {
      rcr_error_release (&err);
      return false;
    }
  return sscanf (map, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 && outside == 0
         && count == 4294967295UL;
}

static void
tap_skip (const char *desc, const char *reason)
{
  tap_count++;
  printf ("ok %d - %s # skip %s\n", tap_count, desc, reason);
  fflush (stdout);
}

enum comp
{
  COMP_NONE,
  COMP_GZIP,
  COMP_ZSTD,
  COMP_EXT_GZIP,
  COMP_EXT_ZSTD,
};

static const char *const comp_names[] = { "plain", "gzip", "zstd", "gzip(1)", "zstd(1)" };

struct ent
{
  const char *path;
  mode_t type;
  mode_t perm;
  const char *data;
  size_t size; /* with data NULL: that many zero bytes */
  const char *symlink;
  const char *hardlink;
  int64_t uid, gid;
  time_t mtime;
  long mtime_nsec;
  const char *xattr_name;
  const void *xattr_value;
  size_t xattr_size;
  dev_t rdev;
};

/* A tar stream being written (pax, as the OCI tools do) into a memfd. */
struct tb
{
  struct archive *a;
  int fd;
};

static void
tb_init (struct tb *t)
{
  t->fd = memfd_create ("layer.tar", MFD_CLOEXEC);
  t->a = archive_write_new ();
  if (t->fd < 0 || t->a == NULL || archive_write_set_format_pax (t->a) != ARCHIVE_OK
      || archive_write_add_filter_none (t->a) != ARCHIVE_OK || archive_write_open_fd (t->a, t->fd) != ARCHIVE_OK)
    abort ();
}

static void
tb_add (struct tb *t, const struct ent *x)
{
  struct archive_entry *e = archive_entry_new ();
  static const char zeros[65536];
  size_t size = x->data ? strlen (x->data) : x->size;

  archive_entry_set_pathname (e, x->path);
  archive_entry_set_filetype (e, x->type ? x->type : AE_IFREG);
  archive_entry_set_perm (e, x->perm ? x->perm : 0644);
  archive_entry_set_uid (e, x->uid);
  archive_entry_set_gid (e, x->gid);
  archive_entry_set_mtime (e, x->mtime ? x->mtime : 1700000000, x->mtime_nsec);
  if (x->symlink)
    archive_entry_set_symlink (e, x->symlink);
  if (x->hardlink)
    archive_entry_set_hardlink (e, x->hardlink);
  if (x->xattr_name)
    archive_entry_xattr_add_entry (e, x->xattr_name, x->xattr_value, x->xattr_size);
  if (x->rdev)
    archive_entry_set_rdev (e, x->rdev);
  if ((x->type == 0 || x->type == AE_IFREG) && x->hardlink == NULL)
    archive_entry_set_size (e, (la_int64_t)size);
  if (archive_write_header (t->a, e) != ARCHIVE_OK)
    {
      fprintf (stderr, "archive_write_header %s: %s\n", x->path, archive_error_string (t->a));
      abort ();
    }
  if (x->data)
    archive_write_data (t->a, x->data, size);
  else
    for (size_t done = 0; done < size;)
      {
        size_t n = size - done < sizeof (zeros) ? size - done : sizeof (zeros);
        archive_write_data (t->a, zeros, n);
        done += n;
      }
  archive_entry_free (e);
}

static void
tb_file (struct tb *t, const char *path, const char *data, mode_t perm)
{
  tb_add (t, &(struct ent){ .path = path, .data = data, .perm = perm });
}

static void
tb_dir (struct tb *t, const char *path, mode_t perm)
{
  tb_add (t, &(struct ent){ .path = path, .type = AE_IFDIR, .perm = perm });
}

static void
tb_symlink (struct tb *t, const char *path, const char *target)
{
  tb_add (t, &(struct ent){ .path = path, .type = AE_IFLNK, .perm = 0777, .symlink = target });
}

static void
tb_hardlink (struct tb *t, const char *path, const char *target)
{
  tb_add (t, &(struct ent){ .path = path, .type = AE_IFREG, .hardlink = target });
}

static void
sha256_hex (const void *data, size_t len, char *out)
{
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  if (ctx == NULL || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1 || EVP_DigestUpdate (ctx, data, len) != 1
      || EVP_DigestFinal_ex (ctx, md, &mdlen) != 1)
    abort ();
  EVP_MD_CTX_free (ctx);
  memcpy (out, "sha256:", 7);
  for (unsigned int i = 0; i < mdlen; i++)
    snprintf (out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* Runs gzip(1)/zstd(1) with stdin and stdout on memfds. */
static int
compress_external (int in, const char *prog, const char *arg)
{
  cleanup_free char *path = rcr_find_executable (prog);
  posix_spawn_file_actions_t fa;
  char *argv[] = { (char *)prog, (char *)arg, (char *)"-c", NULL };
  int out, status;
  pid_t pid;

  if (path == NULL)
    return -1;
  out = memfd_create ("layer.out", MFD_CLOEXEC);
  lseek (in, 0, SEEK_SET);
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, in, 0);
  posix_spawn_file_actions_adddup2 (&fa, out, 1);
  if (posix_spawn (&pid, path, &fa, NULL, argv, environ) != 0)
    abort ();
  posix_spawn_file_actions_destroy (&fa);
  if (waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    abort ();
  lseek (out, 0, SEEK_SET);
  return out;
}

/* Compresses bytes with libarchive's raw writer, so the uncompressed stream is exactly
   these bytes. Returns a memfd at offset 0, or -1 when the tool is not installed. */
static int
compress_buf (const void *buf, size_t len, enum comp c)
{
  struct archive *w;
  struct archive_entry *e;
  int out = memfd_create ("layer.out", MFD_CLOEXEC);

  if (c == COMP_NONE || c == COMP_EXT_GZIP || c == COMP_EXT_ZSTD)
    {
      const char *p = buf;
      for (size_t done = 0; done < len;)
        {
          ssize_t n = write (out, p + done, len - done);
          if (n <= 0)
            abort ();
          done += (size_t)n;
        }
      lseek (out, 0, SEEK_SET);
      if (c == COMP_NONE)
        return out;
      {
        int r = compress_external (out, c == COMP_EXT_GZIP ? "gzip" : "zstd", c == COMP_EXT_GZIP ? "-n" : "-q");
        close (out);
        return r;
      }
    }
  w = archive_write_new ();
  if ((c == COMP_GZIP ? archive_write_add_filter_gzip (w) : archive_write_add_filter_zstd (w)) != ARCHIVE_OK
      || archive_write_set_format_raw (w) != ARCHIVE_OK || archive_write_open_fd (w, out) != ARCHIVE_OK)
    abort ();
  e = archive_entry_new ();
  archive_entry_set_pathname (e, "data");
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_size (e, (la_int64_t)len);
  if (archive_write_header (w, e) != ARCHIVE_OK)
    abort ();
  for (size_t done = 0; done < len;)
    {
      la_ssize_t n = archive_write_data (w, (const char *)buf + done, len - done);
      if (n <= 0)
        abort ();
      done += (size_t)n;
    }
  archive_entry_free (e);
  if (archive_write_close (w) != ARCHIVE_OK)
    abort ();
  archive_write_free (w);
  lseek (out, 0, SEEK_SET);
  return out;
}

static char *
fd_contents (int fd, size_t *len)
{
  struct stat st;
  char *buf;
  if (fstat (fd, &st) < 0)
    abort ();
  buf = rcr_xmalloc0 ((size_t)st.st_size + 1);
  if (pread (fd, buf, (size_t)st.st_size, 0) != st.st_size)
    abort ();
  *len = (size_t)st.st_size;
  return buf;
}

/* Finishes the tar; returns the (compressed) stream and the sha256 of the plain tar. */
static int
tb_finish (struct tb *t, enum comp c, char *diff_id, size_t *plain_len)
{
  cleanup_free char *buf = NULL;
  size_t len;
  int r;

  if (archive_write_close (t->a) != ARCHIVE_OK)
    abort ();
  archive_write_free (t->a);
  buf = fd_contents (t->fd, &len);
  close (t->fd);
  if (diff_id)
    sha256_hex (buf, len, diff_id);
  if (plain_len)
    *plain_len = len;
  r = compress_buf (buf, len, c);
  return r;
}

/* A destination inside its own temporary parent, so escapes are visible. */
struct xt
{
  char parent[64];
  char *dest;
};

static void
xt_init (struct xt *x)
{
  snprintf (x->parent, sizeof (x->parent), "/tmp/rcr-layer-test-XXXXXX");
  if (mkdtemp (x->parent) == NULL)
    abort ();
  x->dest = rcr_strdup_printf ("%s/dest", x->parent);
  if (mkdir (x->dest, 0700) < 0)
    abort ();
}

static char *
xt_path (struct xt *x, const char *rel)
{
  return rcr_strdup_printf ("%s/%s", x->dest, rel);
}

static bool
xt_only_dest (struct xt *x)
{
  cleanup_dir DIR *d = opendir (x->parent);
  struct dirent *de;
  int others = 0;
  if (d == NULL)
    return false;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0 && strcmp (de->d_name, "dest") != 0)
      others++;
  return others == 0;
}

static void
xt_done (struct xt *x)
{
  rcr_error_t err = NULL;
  if (rcr_rm_rf (x->parent, &err) < 0)
    {
      fprintf (stderr, "cleanup: %s\n", err->msg);
      rcr_error_release (&err);
    }
  free (x->dest);
}

static int
extract (struct xt *x, int fd, const struct rcr_layer_limits *limits, struct rcr_layer_stats *st, rcr_error_t *err)
{
  int r = rcr_layer_extract (fd, x->dest, limits, NULL, !is_root, st, err);
  close (fd);
  return r;
}

static bool
lstat_rel (struct xt *x, const char *rel, struct stat *st)
{
  cleanup_free char *p = xt_path (x, rel);
  return lstat (p, st) == 0;
}

static bool
exists_rel (struct xt *x, const char *rel)
{
  struct stat st;
  return lstat_rel (x, rel, &st);
}

static char *
read_rel (struct xt *x, const char *rel)
{
  cleanup_free char *p = xt_path (x, rel);
  char *out = NULL;
  rcr_error_t err = NULL;
  if (rcr_read_file (p, 1 << 20, &out, NULL, &err) < 0)
    {
      rcr_error_release (&err);
      return NULL;
    }
  return out;
}

static char *
readlink_rel (struct xt *x, const char *rel)
{
  cleanup_free char *p = xt_path (x, rel);
  char buf[4096];
  ssize_t n = readlink (p, buf, sizeof (buf) - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return rcr_xstrdup (buf);
}

/* The xattr's value as a string; NULL when absent. */
static char *
xattr_rel (struct xt *x, const char *rel, const char *name)
{
  cleanup_free char *p = *rel ? xt_path (x, rel) : rcr_xstrdup (x->dest);
  char buf[256];
  ssize_t n = lgetxattr (p, name, buf, sizeof (buf) - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return rcr_xstrdup (buf);
}

static void
is_xattr (struct xt *x, const char *rel, const char *name, const char *want, const char *desc)
{
  cleanup_free char *got = xattr_rel (x, rel, name);
  tap_is_str (got, want, "%s", desc);
}

static void
test_basic (void)
{
  struct tb t;
  struct xt x;
  struct rcr_layer_stats st;
  rcr_error_t err = NULL;
  struct stat s1, s2;
  int r;

  tb_init (&t);
  tb_dir (&t, "./", 0751);
  tb_add (&t, &(struct ent){ .path = "./etc/", .type = AE_IFDIR, .perm = 0755, .mtime = 1600000000 });
  tb_add (&t,
          &(struct ent){
              .path = "./etc/hello.txt", .data = "hello\n", .perm = 0640, .mtime = 1650000000, .mtime_nsec = 5000 });
  tb_file (&t, "bin/su", "#!/bin/false\n", 04755);
  tb_dir (&t, "tmp", 01777);
  tb_dir (&t, "ro", 0555);
  tb_file (&t, "ro/file", "inside a read-only dir", 0444);
  tb_symlink (&t, "link-rel", "etc/hello.txt");
  tb_symlink (&t, "link-abs", "/etc/passwd");
  tb_hardlink (&t, "hard", "etc/hello.txt");
  tb_file (&t, "deep/a/b/c.txt", "implicit parents", 0600);
  tb_add (&t, &(struct ent){ .path = "fifo", .type = AE_IFIFO, .perm = 0620 });
  tb_add (&t, &(struct ent){ .path = "owned", .data = "x", .uid = 1000, .gid = 1000 });
  tb_add (&t, &(struct ent){ .path = "nobody", .type = AE_IFDIR, .perm = 0700, .uid = 65534, .gid = 65534 });
  tb_add (&t,
          &(struct ent){ .path = "nobody-link", .type = AE_IFLNK, .symlink = "nobody", .uid = 65534, .gid = 65534 });
  tb_add (&t, &(struct ent){
                  .path = "attr.txt", .data = "x", .xattr_name = "user.test", .xattr_value = "v1", .xattr_size = 2 });
  tb_add (&t, &(struct ent){ .path = "forged",
                             .type = AE_IFDIR,
                             .xattr_name = "user.overlay.opaque",
                             .xattr_value = "y",
                             .xattr_size = 1 });
  xt_init (&x);
  r = extract (&x, tb_finish (&t, COMP_NONE, NULL, NULL), NULL, &st, &err);
  tap_ok (r == 0, "basic layer extracts (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);

  {
    cleanup_free char *c = read_rel (&x, "etc/hello.txt");
    tap_is_str (c, "hello\n", "regular file content");
  }
  tap_ok (lstat_rel (&x, "etc/hello.txt", &s1) && (s1.st_mode & 07777) == 0640, "regular file mode 0640");
  tap_ok (s1.st_mtim.tv_sec == 1650000000 && s1.st_mtim.tv_nsec == 5000, "regular file mtime with nanoseconds");
  tap_ok (lstat_rel (&x, "bin/su", &s2) && (s2.st_mode & 07777) == 04755, "setuid 04755 kept");
  tap_ok (lstat_rel (&x, "tmp", &s2) && S_ISDIR (s2.st_mode) && (s2.st_mode & 07777) == 01777, "directory 1777 kept");
  tap_ok (lstat_rel (&x, "ro", &s2) && (s2.st_mode & 07777) == 0555 && exists_rel (&x, "ro/file"),
          "read-only directory 0555 applied after its contents");
  tap_ok (lstat_rel (&x, "etc", &s2) && s2.st_mtim.tv_sec == 1600000000,
          "directory mtime survives the creation of its children");
  {
    cleanup_free char *l = readlink_rel (&x, "link-rel");
    tap_is_str (l, "etc/hello.txt", "relative symlink kept verbatim");
  }
  {
    cleanup_free char *l = readlink_rel (&x, "link-abs");
    tap_ok (l && strcmp (l, "/etc/passwd") == 0 && lstat_rel (&x, "link-abs", &s2) && S_ISLNK (s2.st_mode),
            "absolute symlink kept verbatim, not followed");
  }
  tap_ok (lstat_rel (&x, "hard", &s2) && s2.st_ino == s1.st_ino && s2.st_nlink == 2, "hardlink shares the inode");
  tap_ok (lstat_rel (&x, "deep/a", &s2) && S_ISDIR (s2.st_mode) && (s2.st_mode & 07777) == 0755,
          "missing parent directories created 0755");
  tap_ok (lstat_rel (&x, "fifo", &s2) && S_ISFIFO (s2.st_mode) && (s2.st_mode & 07777) == 0620, "fifo with mode");
  if (is_root)
    {
      tap_ok (lstat_rel (&x, "owned", &s2) && s2.st_uid == 1000 && s2.st_gid == 1000, "file owned by 1000:1000");
      tap_ok (lstat_rel (&x, "nobody", &s2) && s2.st_uid == 65534 && s2.st_gid == 65534
                  && lstat_rel (&x, "nobody-link", &s2) && s2.st_uid == 65534 && S_ISLNK (s2.st_mode),
              "directory and symlink (lchown) owned by 65534");
    }
  else
    {
      tap_skip ("file owned by 1000:1000", "needs root in the initial user namespace");
      tap_skip ("directory and symlink (lchown) owned by 65534", "needs root in the initial user namespace");
    }
  is_xattr (&x, "attr.txt", "user.test", "v1", "user.* xattr restored");
  {
    cleanup_free char *v = xattr_rel (&x, "forged", "user.overlay.opaque");
    tap_ok (v == NULL && exists_rel (&x, "forged"), "user.overlay.* xattr from the tar not restored");
  }
  {
    struct stat sd;
    tap_ok (stat (x.dest, &sd) == 0 && (sd.st_mode & 07777) == 0751, "\"./\" entry sets the layer root's mode");
  }
  tap_is_int ((long long)st.entries, 17, "stats count every entry");
  tap_ok (xt_only_dest (&x), "nothing written outside the destination");
  {
    /* rm -rf as a normal user needs to write into it. */
    cleanup_free char *ro = xt_path (&x, "ro");
    chmod (ro, 0755);
  }
  xt_done (&x);
}

static void
test_capability (void)
{
  /* vfs_cap_data v2: effective, cap_net_bind_service permitted. */
  static const unsigned char caps[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
  struct tb t;
  struct xt x;
  rcr_error_t err = NULL;
  cleanup_free char *p = NULL;
  unsigned char got[64];
  ssize_t n;
  int r;

  if (!is_root)
    {
      tap_skip ("security.capability restored after chown", "needs root in the initial user namespace");
      return;
    }
  tb_init (&t);
  tb_add (&t, &(struct ent){ .path = "ping",
                             .data = "elf",
                             .perm = 0755,
                             .uid = 0,
                             .gid = 0,
                             .xattr_name = "security.capability",
                             .xattr_value = caps,
                             .xattr_size = sizeof (caps) });
  xt_init (&x);
  r = extract (&x, tb_finish (&t, COMP_NONE, NULL, NULL), NULL, NULL, &err);
  p = xt_path (&x, "ping");
  n = lgetxattr (p, "security.capability", got, sizeof (got));
  tap_ok (r == 0 && n == (ssize_t)sizeof (caps) && memcmp (got, caps, sizeof (caps)) == 0,
          "security.capability restored after chown (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  xt_done (&x);
}

static void
test_whiteouts (void)
{
  struct tb t;
  struct xt x;
  rcr_error_t err = NULL;
  struct stat s;
  int r;

  tb_init (&t);
  tb_dir (&t, "a", 0755);
  tb_file (&t, "a/.wh.gone", "", 0644);
  tb_file (&t, ".wh.topgone", "", 0644);
  tb_dir (&t, "b", 0755);
  tb_file (&t, "b/.wh..wh..opq", "", 0644);
  tb_file (&t, "b/new.txt", "new", 0644);
  tb_file (&t, "b/sub/deeper.txt", "deeper", 0644);
  tb_file (&t, "c/keep", "mine", 0644);
  tb_file (&t, "c/.wh.keep", "", 0644);
  tb_file (&t, ".wh..wh.plnk", "", 0644);
  tb_file (&t, ".wh.w", "", 0644);
  tb_dir (&t, "w", 0755);
  xt_init (&x);
  r = extract (&x, tb_finish (&t, COMP_NONE, NULL, NULL), NULL, NULL, &err);
  tap_ok (r == 0, "layer with whiteouts extracts (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  tap_ok (lstat_rel (&x, "a/gone", &s) && S_ISCHR (s.st_mode) && s.st_rdev == makedev (0, 0)
              && !exists_rel (&x, "a/.wh.gone"),
          "whiteout becomes a 0/0 character device, the .wh. entry is not written");
  tap_ok (lstat_rel (&x, "topgone", &s) && S_ISCHR (s.st_mode) && s.st_rdev == makedev (0, 0),
          "whiteout at the layer root");
  is_xattr (&x, "b", "user.overlay.opaque", "y", "opaque directory gets user.overlay.opaque=y");
  {
    cleanup_free char *c = read_rel (&x, "b/new.txt");
    cleanup_free char *d = read_rel (&x, "b/sub/deeper.txt");
    tap_ok (c && strcmp (c, "new") == 0 && d && strcmp (d, "deeper") == 0 && !exists_rel (&x, "b/.wh..wh..opq"),
            "an opaque directory's new contents are extracted");
  }
  {
    cleanup_free char *c = read_rel (&x, "c/keep");
    tap_ok (c && strcmp (c, "mine") == 0, "a whiteout does not remove the same layer's entry");
  }
  tap_ok (!exists_rel (&x, ".wh..wh.plnk") && !exists_rel (&x, "..wh.plnk"), "aufs .wh..wh. metadata ignored");
  is_xattr (&x, "w", "user.overlay.opaque", "y", "directory replacing a whiteout of the same layer is opaque");
  xt_done (&x);
}

/* mknod of the whiteout device refused (as in some user namespaces): the xattr form. */
static void
test_xattr_whiteouts (void)
{
  struct tb t;
  struct xt x;
  struct stat s;
  int fd, status;
  pid_t pid;

  {
    cleanup_free char *probe = rcr_strdup_printf ("/tmp/rcr-layer-xattr-%d", (int)getpid ());
    int pfd = open (probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = pfd >= 0 && fsetxattr (pfd, "user.probe", "1", 1, 0) == 0;
    if (pfd >= 0)
      close (pfd);
    unlink (probe);
    if (!ok)
      {
        tap_skip ("xattr whiteouts", "/tmp has no user xattrs");
        tap_skip ("xattr whiteouts: parent marked", "/tmp has no user xattrs");
        tap_skip ("xattr whiteouts: opaque directory", "/tmp has no user xattrs");
        return;
      }
  }
  tb_init (&t);
  tb_file (&t, "d/.wh.x", "", 0644);
  tb_file (&t, ".wh.y", "", 0644);
  tb_file (&t, "o/.wh.z", "", 0644);
  tb_file (&t, "o/.wh..wh..opq", "", 0644);
  tb_file (&t, "o/new", "new", 0644);
  tb_dir (&t, "d", 0750);
  fd = tb_finish (&t, COMP_GZIP, NULL, NULL);
  xt_init (&x);
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      rcr_error_t err = NULL;
      scmp_filter_ctx sc = seccomp_init (SCMP_ACT_ALLOW);
      if (sc == NULL || seccomp_rule_add (sc, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (mknodat), 0) < 0
          || seccomp_rule_add (sc, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (mknod), 0) < 0 || seccomp_load (sc) < 0)
        _exit (3);
      seccomp_release (sc);
      if (rcr_layer_extract (fd, x.dest, NULL, NULL, !is_root, NULL, &err) < 0)
        {
          fprintf (stderr, "extract: %s\n", err->msg);
          rcr_error_release (&err);
          _exit (1);
        }
      _exit (0);
    }
  close (fd);
  waitpid (pid, &status, 0);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 3)
    {
      tap_skip ("xattr whiteouts", "seccomp unavailable");
      tap_skip ("xattr whiteouts: parent marked", "seccomp unavailable");
      tap_skip ("xattr whiteouts: opaque directory", "seccomp unavailable");
      xt_done (&x);
      return;
    }
  {
    cleanup_free char *v = xattr_rel (&x, "d/x", "user.overlay.whiteout");
    tap_ok (WIFEXITED (status) && WEXITSTATUS (status) == 0 && lstat_rel (&x, "d/x", &s) && S_ISREG (s.st_mode)
                && s.st_size == 0 && v != NULL && !exists_rel (&x, "d/.wh.x"),
            "mknod refused: empty file with user.overlay.whiteout");
  }
  {
    cleanup_free char *d = xattr_rel (&x, "d", "user.overlay.opaque");
    cleanup_free char *root = xattr_rel (&x, "", "user.overlay.opaque");
    tap_ok (d && strcmp (d, "x") == 0 && root && strcmp (root, "x") == 0 && exists_rel (&x, "y"),
            "parents of xattr whiteouts (the layer root too) get user.overlay.opaque=x");
  }
  {
    cleanup_free char *o = xattr_rel (&x, "o", "user.overlay.opaque");
    tap_ok (o && strcmp (o, "y") == 0 && !exists_rel (&x, "o/z") && exists_rel (&x, "o/new"),
            "no xattr whiteouts left in an opaque directory");
  }
  xt_done (&x);
}

static void
build_sample (struct tb *t)
{
  tb_init (t);
  tb_dir (t, "usr", 0755);
  tb_dir (t, "usr/bin", 0755);
  tb_file (t, "usr/bin/tool", "#!/bin/sh\necho tool\n", 0755);
  tb_add (t, &(struct ent){ .path = "usr/share/big", .size = 300000 });
  tb_symlink (t, "bin", "usr/bin");
}

static void
test_diff_ids (void)
{
  static const enum comp comps[] = { COMP_NONE, COMP_GZIP, COMP_ZSTD, COMP_EXT_GZIP, COMP_EXT_ZSTD };

  for (size_t i = 0; i < sizeof (comps) / sizeof (comps[0]); i++)
    {
      struct tb t;
      struct xt x;
      struct rcr_layer_stats st;
      rcr_error_t err = NULL;
      char want[7 + 64 + 1];
      size_t plain_len = 0;
      int fd, r;

      build_sample (&t);
      fd = tb_finish (&t, comps[i], want, &plain_len);
      if (fd < 0)
        {
          tap_skip (comp_names[i], "compressor not installed");
          continue;
        }
      xt_init (&x);
      r = extract (&x, fd, NULL, &st, &err);
      tap_ok (r == 0 && strcmp (st.diff_id, want) == 0 && st.uncompressed_size == plain_len && exists_rel (&x, "bin")
                  && st.entries == 5,
              "%s layer: diff_id is the sha256 of the uncompressed tar (%s)", comp_names[i],
              err ? err->msg : st.diff_id);
      rcr_error_release (&err);
      xt_done (&x);
    }
}

static void
test_empty_layers (void)
{
  static const char zeros[1024];
  struct rcr_layer_stats st;
  struct xt x;
  rcr_error_t err = NULL;
  int r;

  /* Docker's empty layer: two zero blocks, gzip'd; its diff_id is well known. */
  xt_init (&x);
  r = extract (&x, compress_buf (zeros, sizeof (zeros), COMP_GZIP), NULL, &st, &err);
  tap_is_str (r == 0 ? st.diff_id : (err ? err->msg : "?"),
              "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
              "the empty gzip layer has the well-known diff_id");
  rcr_error_release (&err);
  xt_done (&x);

  xt_init (&x);
  r = extract (&x, compress_buf ("", 0, COMP_NONE), NULL, &st, &err);
  tap_ok (r == 0 && st.entries == 0
              && strcmp (st.diff_id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
          "a zero-byte stream is an empty layer (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  xt_done (&x);
}

static void
test_devices (void)
{
  struct tb t;
  struct xt x;
  struct rcr_layer_stats st;
  rcr_error_t err = NULL;
  int r;

  tb_init (&t);
  tb_add (&t, &(struct ent){ .path = "dev/null", .type = AE_IFCHR, .perm = 0666, .rdev = makedev (1, 3) });
  tb_add (&t, &(struct ent){ .path = "dev/sda", .type = AE_IFBLK, .perm = 0660, .rdev = makedev (8, 0) });
  tb_file (&t, "dev/README", "devices are skipped", 0644);
  tb_hardlink (&t, "dev/null2", "dev/null");
  xt_init (&x);
  r = extract (&x, tb_finish (&t, COMP_NONE, NULL, NULL), NULL, &st, &err);
  tap_ok (r == 0 && st.skipped_devices == 3 && st.entries == 4 && !exists_rel (&x, "dev/null")
              && !exists_rel (&x, "dev/null2") && !exists_rel (&x, "dev/sda") && exists_rel (&x, "dev/README"),
          "device nodes and hardlinks to them skipped and counted (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  xt_done (&x);
}

static void
test_replace (void)
{
  struct tb t;
  struct xt x;
  rcr_error_t err = NULL;
  struct stat s;
  int r;

  tb_init (&t);
  tb_file (&t, "orig", "A", 0644);
  tb_hardlink (&t, "alias", "orig");
  tb_file (&t, "orig", "B", 0600);
  tb_dir (&t, "d", 0755);
  tb_file (&t, "d/f", "f", 0644);
  tb_file (&t, "d", "now a file", 0644);
  tb_symlink (&t, "s", "/tmp");
  tb_dir (&t, "s", 0711);
  tb_file (&t, "s/in", "inside", 0644);
  tb_dir (&t, "m", 0700);
  tb_file (&t, "m/c", "c", 0644);
  tb_dir (&t, "m", 0750);
  xt_init (&x);
  r = extract (&x, tb_finish (&t, COMP_NONE, NULL, NULL), NULL, NULL, &err);
  tap_ok (r == 0, "layer naming paths twice extracts (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  {
    cleanup_free char *o = read_rel (&x, "orig");
    cleanup_free char *a = read_rel (&x, "alias");
    tap_ok (o && strcmp (o, "B") == 0 && a && strcmp (a, "A") == 0,
            "a later file replaces the name, not the inode its hardlink shares");
  }
  {
    cleanup_free char *d = read_rel (&x, "d");
    tap_ok (d && strcmp (d, "now a file") == 0, "a file replaces a directory of the same name");
  }
  tap_ok (lstat_rel (&x, "s", &s) && S_ISDIR (s.st_mode) && (s.st_mode & 07777) == 0711 && exists_rel (&x, "s/in"),
          "a directory replaces a symlink without following it");
  tap_ok (lstat_rel (&x, "m", &s) && (s.st_mode & 07777) == 0750 && exists_rel (&x, "m/c"),
          "a directory over a directory updates its mode and keeps its contents");
  tap_ok (xt_only_dest (&x), "replacements wrote nothing outside the destination");
  xt_done (&x);
}

/* A hostile layer must fail and leave nothing outside the destination. */
static void
hostile (void (*build) (struct tb *, const char *outside), const char *desc, const char *must_not_exist)
{
  struct tb t;
  struct xt x;
  rcr_error_t err = NULL;
  int r;

  xt_init (&x);
  tb_init (&t);
  build (&t, x.parent);
  r = extract (&x, tb_finish (&t, COMP_GZIP, NULL, NULL), NULL, NULL, &err);
  tap_ok (r < 0 && err != NULL && xt_only_dest (&x) && (must_not_exist == NULL || access (must_not_exist, F_OK) < 0),
          "hostile %s rejected (%s)", desc, err ? err->msg : "extracted!");
  rcr_error_release (&err);
  xt_done (&x);
}

/* "/tmp/rcr-layer-pwned-PID" and "evil/rcr-layer-pwned-PID" */
static char abs_name[64];
static char tmp_entry[64];

static void
h_dotdot (struct tb *t, const char *outside)
{
  (void)outside;
  tb_file (t, "../pwned", "x", 0644);
}

static void
h_absolute (struct tb *t, const char *outside)
{
  (void)outside;
  tb_file (t, abs_name, "x", 0644);
}

static void
h_inner_dotdot (struct tb *t, const char *outside)
{
  (void)outside;
  tb_file (t, "a/../../pwned", "x", 0644);
}

static void
h_symlink_parent (struct tb *t, const char *outside)
{
  tb_symlink (t, "evil", outside);
  tb_file (t, "evil/pwned", "x", 0644);
}

static void
h_symlink_tmp (struct tb *t, const char *outside)
{
  (void)outside;
  tb_symlink (t, "evil", "/tmp");
  tb_file (t, tmp_entry, "x", 0644);
}

static void
h_symlink_dotdot_chain (struct tb *t, const char *outside)
{
  (void)outside;
  tb_dir (t, "a", 0755);
  tb_symlink (t, "a/up", "..");
  tb_symlink (t, "a/up2", "../..");
  tb_symlink (t, "l", "a/up2");
  tb_file (t, "l/pwned", "x", 0644);
}

static void
h_symlink_dir_entry (struct tb *t, const char *outside)
{
  tb_symlink (t, "evil", outside);
  tb_dir (t, "evil/sub", 0755);
}

static void
h_hardlink_abs (struct tb *t, const char *outside)
{
  (void)outside;
  tb_hardlink (t, "passwd", "/etc/passwd");
}

static void
h_hardlink_dotdot (struct tb *t, const char *outside)
{
  (void)outside;
  tb_hardlink (t, "x", "../x");
}

static void
h_hardlink_via_symlink (struct tb *t, const char *outside)
{
  (void)outside;
  tb_symlink (t, "etc", "/etc");
  tb_hardlink (t, "passwd", "etc/passwd");
}

static void
h_hardlink_missing (struct tb *t, const char *outside)
{
  (void)outside;
  tb_hardlink (t, "x", "does/not/exist");
}

static void
h_whiteout_dotdot (struct tb *t, const char *outside)
{
  (void)outside;
  tb_file (t, "a/.wh...", "", 0644);
}

static void
h_whiteout_parent (struct tb *t, const char *outside)
{
  (void)outside;
  tb_file (t, "../.wh.x", "", 0644);
}

static void
h_whiteout_dot (struct tb *t, const char *outside)
{
  (void)outside;
  tb_file (t, ".wh..", "", 0644);
}

static void
h_whiteout_via_symlink (struct tb *t, const char *outside)
{
  tb_symlink (t, "evil", outside);
  tb_file (t, "evil/.wh.dest", "", 0644);
}

static void
test_hostile (void)
{
  snprintf (abs_name, sizeof (abs_name), "/tmp/rcr-layer-pwned-%d", (int)getpid ());
  snprintf (tmp_entry, sizeof (tmp_entry), "evil/rcr-layer-pwned-%d", (int)getpid ());
  hostile (h_dotdot, "\"../pwned\"", NULL);
  hostile (h_absolute, "absolute path", abs_name);
  hostile (h_inner_dotdot, "\"a/../../pwned\"", NULL);
  hostile (h_symlink_parent, "symlink evil -> outside, then evil/pwned", NULL);
  hostile (h_symlink_tmp, "symlink evil -> /tmp, then evil/NAME", abs_name);
  hostile (h_symlink_dotdot_chain, "symlinks to \"..\" chained", NULL);
  hostile (h_symlink_dir_entry, "directory below a symlink to outside", NULL);
  hostile (h_hardlink_abs, "hardlink to /etc/passwd", NULL);
  hostile (h_hardlink_dotdot, "hardlink to ../x", NULL);
  hostile (h_hardlink_via_symlink, "hardlink through a symlinked parent", NULL);
  hostile (h_hardlink_missing, "hardlink to a missing target", NULL);
  hostile (h_whiteout_dotdot, "whiteout \".wh...\"", NULL);
  hostile (h_whiteout_parent, "whiteout \"../.wh.x\"", NULL);
  hostile (h_whiteout_dot, "whiteout \".wh..\"", NULL);
  hostile (h_whiteout_via_symlink, "whiteout below a symlink to outside", NULL);
}

static void
expect_failure (int fd, const struct rcr_layer_limits *limits, const char *want_msg, const char *desc)
{
  struct xt x;
  rcr_error_t err = NULL;
  int r;

  xt_init (&x);
  r = extract (&x, fd, limits, NULL, &err);
  tap_ok (r < 0 && err && (want_msg == NULL || strstr (err->msg, want_msg)) && xt_only_dest (&x), "%s (%s)", desc,
          err ? err->msg : "extracted!");
  rcr_error_release (&err);
  xt_done (&x);
}

static void
test_limits (void)
{
  struct rcr_layer_limits lim = { .max_bytes = 1 << 20, .max_entries = 10 };
  struct tb t;
  struct xt x;
  rcr_error_t err = NULL;
  int fd, r;

  tb_init (&t);
  for (int i = 0; i < 20; i++)
    {
      char name[32];
      snprintf (name, sizeof (name), "f%02d", i);
      tb_file (&t, name, "x", 0644);
    }
  expect_failure (tb_finish (&t, COMP_GZIP, NULL, NULL), &lim, "layer exceeds the limit of 10 entries",
                  "entry limit exceeded");

  tb_init (&t);
  for (int i = 0; i < 10; i++)
    {
      char name[32];
      snprintf (name, sizeof (name), "f%02d", i);
      tb_file (&t, name, "x", 0644);
    }
  xt_init (&x);
  r = extract (&x, tb_finish (&t, COMP_GZIP, NULL, NULL), &lim, NULL, &err);
  tap_ok (r == 0, "exactly max_entries entries pass (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  xt_done (&x);

  /* A bomb: 10 MiB of zeros is a few KiB of gzip. */
  tb_init (&t);
  tb_add (&t, &(struct ent){ .path = "bomb", .size = 10 << 20 });
  fd = tb_finish (&t, COMP_GZIP, NULL, NULL);
  {
    struct stat st;
    if (fstat (fd, &st) < 0)
      abort ();
    tap_ok (st.st_size < 100 * 1024, "the bomb compresses to %lld bytes", (long long)st.st_size);
  }
  expect_failure (fd, &lim, "layer exceeds 1048576 bytes uncompressed", "byte limit exceeded by a compressed bomb");

  /* Padding after the end of the archive is hashed, but not without bound. */
  {
    struct tb t2;
    cleanup_free char *buf = NULL;
    size_t len, big = 20 << 20;
    tb_init (&t2);
    tb_file (&t2, "f", "x", 0644);
    if (archive_write_close (t2.a) != ARCHIVE_OK)
      abort ();
    archive_write_free (t2.a);
    buf = fd_contents (t2.fd, &len);
    close (t2.fd);
    buf = rcr_xrealloc (buf, len + big);
    memset (buf + len, 0, big);
    expect_failure (compress_buf (buf, len + big, COMP_GZIP), NULL, "after the end of the tar archive",
                    "20 MiB of zeros after the end of the archive rejected");
  }
}

static void
test_corrupt (void)
{
  struct tb t;
  cleanup_free char *gz = NULL;
  cleanup_free char *zst = NULL;
  cleanup_free char *plain = NULL;
  size_t gzlen, zstlen, plainlen;
  int fd;

  build_sample (&t);
  fd = tb_finish (&t, COMP_GZIP, NULL, NULL);
  gz = fd_contents (fd, &gzlen);
  close (fd);
  build_sample (&t);
  fd = tb_finish (&t, COMP_ZSTD, NULL, NULL);
  zst = fd_contents (fd, &zstlen);
  close (fd);
  build_sample (&t);
  fd = tb_finish (&t, COMP_NONE, NULL, NULL);
  plain = fd_contents (fd, &plainlen);
  close (fd);

  {
    cleanup_free char *bad = rcr_xmalloc0 (gzlen);
    memcpy (bad, gz, gzlen);
    for (size_t i = gzlen / 3; i < gzlen / 3 + 64 && i < gzlen; i++)
      bad[i] ^= 0x5a;
    expect_failure (compress_buf (bad, gzlen, COMP_NONE), NULL, NULL, "corrupt gzip stream rejected");
  }
  expect_failure (compress_buf (gz, gzlen / 2, COMP_NONE), NULL, NULL, "truncated gzip stream rejected");
  expect_failure (compress_buf (gz, gzlen - 4, COMP_NONE), NULL, NULL, "gzip stream without its size trailer rejected");
  expect_failure (compress_buf (zst, zstlen / 2, COMP_NONE), NULL, NULL, "truncated zstd stream rejected");
  expect_failure (compress_buf (plain, 2048 + 100, COMP_NONE), NULL, NULL, "tar truncated inside a file rejected");
  {
    char junk[4096];
    for (size_t i = 0; i < sizeof (junk); i++)
      junk[i] = (char)(i * 7 + 3);
    expect_failure (compress_buf (junk, sizeof (junk), COMP_GZIP), NULL, NULL, "non-tar data rejected");
  }
}

static void
test_names (void)
{
  struct tb t;
  struct xt x;
  rcr_error_t err = NULL;
  int fd, r;

  /* Written as Go writes them: UTF-8 in a pax "path" record. Read back in the C locale,
     as rcr runs. */
  if (setlocale (LC_CTYPE, "C.UTF-8") == NULL)
    {
      tap_skip ("UTF-8 names", "no C.UTF-8 locale");
      return;
    }
  tb_init (&t);
  tb_file (&t, "caf\xc3\xa9/na\xc3\xafve.txt", "utf8", 0644);
  tb_file (&t, "./a//b/./c.txt", "normalised", 0644);
  fd = tb_finish (&t, COMP_NONE, NULL, NULL);
  setlocale (LC_CTYPE, "C");
  xt_init (&x);
  r = extract (&x, fd, NULL, NULL, &err);
  tap_ok (r == 0 && exists_rel (&x, "caf\xc3\xa9/na\xc3\xafve.txt") && exists_rel (&x, "a/b/c.txt"),
          "UTF-8 names kept byte for byte, \"./a//b/./c\" normalised (%s)", err ? err->msg : "ok");
  rcr_error_release (&err);
  xt_done (&x);
}

/* Runs one extraction in a child where openat2 fails with ENOSYS (old kernels, some
   seccomp profiles): the O_NOFOLLOW walk must hold the same line. Returns the child's
   exit status: 0 extracted, 1 failed, 3 seccomp unavailable. */
static int
extract_without_openat2 (int fd, struct xt *x)
{
  int status;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      rcr_error_t err = NULL;
      scmp_filter_ctx sc = seccomp_init (SCMP_ACT_ALLOW);
      if (sc == NULL || seccomp_rule_add (sc, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (openat2), 0) < 0
          || seccomp_load (sc) < 0)
        _exit (3);
      seccomp_release (sc);
      if (rcr_layer_extract (fd, x->dest, NULL, NULL, !is_root, NULL, &err) < 0)
        {
          rcr_error_release (&err);
          _exit (1);
        }
      _exit (0);
    }
  close (fd);
  if (waitpid (pid, &status, 0) < 0 || !WIFEXITED (status))
    return -1;
  return WEXITSTATUS (status);
}

static void
test_no_openat2 (void)
{
  struct tb t;
  struct xt x;
  int r;

  xt_init (&x);
  tb_init (&t);
  tb_file (&t, "deep/er/file", "walked", 0644);
  tb_symlink (&t, "deep/link", "er");
  tb_hardlink (&t, "deep/er/hard", "deep/er/file");
  r = extract_without_openat2 (tb_finish (&t, COMP_NONE, NULL, NULL), &x);
  if (r == 3)
    {
      tap_skip ("without openat2: layer extracts", "seccomp unavailable");
      tap_skip ("without openat2: symlinked parent rejected", "seccomp unavailable");
      xt_done (&x);
      return;
    }
  {
    cleanup_free char *c = read_rel (&x, "deep/er/hard");
    tap_ok (r == 0 && c && strcmp (c, "walked") == 0, "without openat2: layer extracts by the O_NOFOLLOW walk");
  }
  xt_done (&x);

  xt_init (&x);
  tb_init (&t);
  tb_symlink (&t, "evil", x.parent);
  tb_file (&t, "evil/pwned", "x", 0644);
  r = extract_without_openat2 (tb_finish (&t, COMP_NONE, NULL, NULL), &x);
  tap_ok (r == 1 && xt_only_dest (&x), "without openat2: a symlinked parent is still rejected");
  xt_done (&x);
}

int
main (void)
{
  is_root = initial_userns_root ();
  test_basic ();
  test_capability ();
  test_whiteouts ();
  test_xattr_whiteouts ();
  test_diff_ids ();
  test_empty_layers ();
  test_devices ();
  test_replace ();
  test_hostile ();
  test_limits ();
  test_corrupt ();
  test_names ();
  test_no_openat2 ();
  return tap_done ();
}
