/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "codec.h"

#include <string.h>

#include "util.h"

/* FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
   first 64 primes */
static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t
ror (uint32_t x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

static void
block (struct rcr_sha256 *s, const uint8_t *p)
{
  uint32_t w[64], a, b, c, d, e, f, g, h;

  for (int t = 0; t < 16; t++)
    w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8
           | (uint32_t)p[4 * t + 3];
  for (int t = 16; t < 64; t++)
    {
      uint32_t s0 = ror (w[t - 15], 7) ^ ror (w[t - 15], 18) ^ (w[t - 15] >> 3);
      uint32_t s1 = ror (w[t - 2], 17) ^ ror (w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
  a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int t = 0; t < 64; t++)
    {
      uint32_t t1 = h + (ror (e, 6) ^ ror (e, 11) ^ ror (e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
      uint32_t t2 = (ror (a, 2) ^ ror (a, 13) ^ ror (a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

void
rcr_sha256_init (struct rcr_sha256 *s)
{
  /* 5.3.3: the fractional parts of the square roots of the first 8 primes */
  static const uint32_t H0[8]
      = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  memcpy (s->h, H0, sizeof (H0));
  s->len = 0;
  s->used = 0;
}

void
rcr_sha256_update (struct rcr_sha256 *s, const void *data, size_t len)
{
  const uint8_t *p = data;
  s->len += len;
  if (s->used)
    {
      size_t take = 64 - s->used < len ? 64 - s->used : len;
      memcpy (s->buf + s->used, p, take);
      s->used += take;
      p += take;
      len -= take;
      if (s->used < 64)
        return;
      block (s, s->buf);
      s->used = 0;
    }
  for (; len >= 64; p += 64, len -= 64)
    block (s, p);
  memcpy (s->buf, p, len);
  s->used = len;
}

void
rcr_sha256_final (struct rcr_sha256 *s, uint8_t out[32])
{
  uint64_t bits = s->len * 8;
  uint8_t pad = 0x80;

  /* 5.1.1: a 1 bit, zeros up to 56 mod 64, the length in bits as 64-bit big-endian */
  rcr_sha256_update (s, &pad, 1);
  pad = 0;
  while (s->used != 56)
    rcr_sha256_update (s, &pad, 1);
  for (int i = 7; i >= 0; i--)
    {
      uint8_t byte = (uint8_t)(bits >> (8 * i));
      rcr_sha256_update (s, &byte, 1);
    }
  for (int i = 0; i < 8; i++)
    {
      out[4 * i] = (uint8_t)(s->h[i] >> 24);
      out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
      out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
      out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
rcr_base64_encode (const void *data, size_t len)
{
  const uint8_t *p = data;
  char *out = rcr_xmalloc0 (4 * ((len + 2) / 3) + 1), *w = out;

  for (size_t i = 0; i < len; i += 3)
    {
      uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
      *w++ = b64[v >> 18 & 63];
      *w++ = b64[v >> 12 & 63];
      *w++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
      *w++ = i + 2 < len ? b64[v & 63] : '=';
    }
  *w = '\0';
  return out;
}

static int
b64_value (char c)
{
  const char *p = c ? strchr (b64, c) : NULL;
  return p ? (int)(p - b64) : -1;
}

long
rcr_base64_decode (const char *in, size_t len, uint8_t *out)
{
  long n = 0;

  if (len % 4 != 0)
    return -1;
  for (size_t i = 0; i < len; i += 4)
    {
      int v[4];
      bool last = i + 4 == len;
      for (int k = 0; k < 4; k++)
        {
          v[k] = in[i + k] == '=' ? -2 : b64_value (in[i + k]);
          if (v[k] == -1)
            return -1;
        }
      /* '=' only at the end: "xx==" or "xxx=" */
      if (v[0] < 0 || v[1] < 0 || (v[2] == -2 && v[3] != -2) || (!last && (v[2] < 0 || v[3] < 0)))
        return -1;
      out[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
      if (v[2] >= 0)
        out[n++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
      if (v[3] >= 0)
        out[n++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
    }
  return n;
}
