/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_COMMON_CODEC_H
#define RCR_COMMON_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4) and base64 (RFC 4648): small enough to keep libcrypto out of the
   rcr binary, which only hashes manifests, configs and keys; streaming layer digests use
   OpenSSL in the pull plugin. */

struct rcr_sha256
{
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t used;
};

void rcr_sha256_init (struct rcr_sha256 *s);
void rcr_sha256_update (struct rcr_sha256 *s, const void *data, size_t len);
void rcr_sha256_final (struct rcr_sha256 *s, uint8_t out[32]);

/* Standard alphabet with padding; returns a malloc'd NUL-terminated string. */
char *rcr_base64_encode (const void *data, size_t len);

/* Strict decoding: length a multiple of 4, padding only at the end, no blanks.
   Returns the number of bytes written to out (which has room for len / 4 * 3 + 1) or -1. */
long rcr_base64_decode (const char *in, size_t len, uint8_t *out);

#endif
