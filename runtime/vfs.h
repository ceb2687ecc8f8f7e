/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_VFS_H
#define RCR_RUNTIME_VFS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The vfs driver: the container's root as a plain copy of the image layers (bottom first)
   with their whiteouts and opaque directories applied. Runs inside the user namespace so
   the files keep their owners. For kernels without overlay in a user namespace. */
/* --userns=keep-id: the caller's ids, seen from the default map's side */
struct rcr_id_shift
{
  uint32_t uid, gid;
};

/* shift (may be NULL) moves every owner to where --userns=keep-id expects it. */
int rcr_vfs_build (char **layers, size_t n_layers, const char *dest, const char *opaque_xattr,
                   const struct rcr_id_shift *shift, rcr_error_t *err);

/* The image's layers (ids under root/storage/layers, bottom first) flattened into one
   tree with shifted owners, built once and shared by every keep-id container of that
   image: the lower directory of their overlay. *out is its path. Call it with the
   containers lock held: a build clears what a crashed one left. */
int rcr_vfs_shifted_root (const char *root, char **layer_ids, size_t n_layers, const char *opaque_xattr,
                          const struct rcr_id_shift *shift, char **out, rcr_error_t *err);

#endif
