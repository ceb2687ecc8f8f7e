/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "digest.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/codec.h"
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
  struct rcr_sha256 s;
  uint8_t md[32];
  rcr_sha256_init (&s);
  rcr_sha256_update (&s, data, len);
  rcr_sha256_final (&s, md);
  return rcr_sha256_hex_to_digest (md, sizeof (md));
}

int
rcr_sha256_fd (int fd, char **digest, rcr_error_t *err)
{
  struct rcr_sha256 s;
  uint8_t md[32];
  char buf[65536];

  rcr_sha256_init (&s);
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof (buf));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return rcr_make_error (err, errno, "read for digest");
        }
      if (n == 0)
        break;
      rcr_sha256_update (&s, buf, (size_t)n);
    }
  rcr_sha256_final (&s, md);
  *digest = rcr_sha256_hex_to_digest (md, sizeof (md));
  return 0;
}
