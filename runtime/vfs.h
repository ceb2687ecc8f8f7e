/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_VFS_H
#define RCR_RUNTIME_VFS_H

#include <stddef.h>

#include "common/error.h"

/* The vfs driver: the container's root as a plain copy of the image layers (bottom first)
   with their whiteouts and opaque directories applied. Runs inside the user namespace so
   the files keep their owners. For kernels without overlay in a user namespace. */
int rcr_vfs_build (char **layers, size_t n_layers, const char *dest, const char *opaque_xattr, rcr_error_t *err);

#endif
