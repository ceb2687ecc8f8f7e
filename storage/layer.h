/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_LAYER_H
#define RCR_STORAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* Limits against decompression bombs and hostile archives. */
struct rcr_layer_limits
{
  uint64_t max_bytes;   /* total uncompressed file content */
  uint64_t max_entries; /* number of tar entries */
};

#define RCR_LAYER_DEFAULT_MAX_BYTES (64ULL << 30)
#define RCR_LAYER_DEFAULT_MAX_ENTRIES (4ULL << 20)

struct rcr_layer_stats
{
  char diff_id[7 + 64 + 1]; /* "sha256:" + hex of the uncompressed tar stream */
  uint64_t uncompressed_size;
  uint64_t entries;
  uint64_t skipped_devices; /* device nodes are skipped with a warning */
};

/* Extracts one layer tar stream (gzip, zstd or plain, detected from the data) read from
   fd into the existing, empty directory dest_dir, computing the sha256 of the
   uncompressed stream (the diff_id) as it goes.
   - Whiteouts ".wh.NAME" become overlay whiteouts (a 0/0 character device; when mknod is
     refused, the xattr form "user.overlay.whiteout" on an empty file, as the kernel reads
     with the userxattr option); ".wh..wh..opq" sets "user.overlay.opaque"="y" on its
     directory (opaque_xattr_name overrides the xattr name, e.g. "trusted.overlay.opaque"
     as root). The whiteout entries themselves are not written.
   - Regular files, directories, symlinks, hardlinks (inside the layer only), fifos keep
     mode including setuid/setgid/sticky, owner (lchown to the numeric uid/gid; failures are
     errors unless ignore_chown_errors), mtime, and xattrs in the user.* and security.*
     namespaces.
   - Device nodes are skipped (counted in stats->skipped_devices).
   - Hostile entries are rejected and the extraction fails: absolute paths or ".." escaping
     dest_dir, writing through a symlink (every path component is opened with O_NOFOLLOW /
     openat2 RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS relative to dest_dir), hardlinks to targets
     outside dest_dir or to missing targets, whiteouts naming ".." or outside paths.
   - Exceeding limits (uncompressed bytes or entries) fails with a message naming the limit.
   Nothing is ever written outside dest_dir. On failure dest_dir may hold partial content:
   the caller removes it. Runs in whatever process calls it (the caller enters the user
   namespace first). */
int rcr_layer_extract (int fd, const char *dest_dir, const struct rcr_layer_limits *limits,
                       const char *opaque_xattr_name, bool ignore_chown_errors, struct rcr_layer_stats *stats,
                       rcr_error_t *err);

#endif
