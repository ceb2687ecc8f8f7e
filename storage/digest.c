/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

char *
rcr_sha256_hex_to_digest (const unsigned char *md, unsigned int len)
{
  static const char hex[] = "0123456789abcdef";
  char *out = rcr_xmalloc0 (7 + 2 * (size_t)len + 1);
  memcpy (out, "sha256:", 7);
  for (unsigned int i = 0; i < len; i++)
    {
      out[7 + 2 * i] = hex[md[i] >> 4];
      out[7 + 2 * i + 1] = hex[md[i] & 0xf];
    }
  return out;
}

char *
rcr_sha256_digest (const void *data, size_t len)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_Digest (data, len, md, &mdlen, EVP_sha256 (), NULL);
  return rcr_sha256_hex_to_digest (md, mdlen);
}

int
rcr_sha256_fd (int fd, char **digest, rcr_error_t *err)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  char buf[65536];

  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof (buf));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          EVP_MD_CTX_free (ctx);
          return rcr_make_error (err, errno, "read for digest");
        }
      if (n == 0)
        break;
      EVP_DigestUpdate (ctx, buf, (size_t)n);
    }
  EVP_DigestFinal_ex (ctx, md, &mdlen);
  EVP_MD_CTX_free (ctx);
  *digest = rcr_sha256_hex_to_digest (md, mdlen);
  return 0;
}
