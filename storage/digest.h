/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_DIGEST_H
#define RCR_STORAGE_DIGEST_H

#include <stddef.h>

#include "common/error.h"

/* "sha256:<hex>" of a buffer. */
char *rcr_sha256_digest (const void *data, size_t len);

/* "sha256:<hex>" of a raw sha256 result. */
char *rcr_sha256_hex_to_digest (const unsigned char *md, unsigned int len);

/* "sha256:<hex>" of a whole file read from fd's current offset. */
int rcr_sha256_fd (int fd, char **digest, rcr_error_t *err);

#endif
