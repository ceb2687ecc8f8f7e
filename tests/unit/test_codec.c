/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "common/codec.h"
#include "common/util.h"
#include "tap.h"

static void
sha (const char *in, size_t len, const char *want, const char *what)
{
  struct rcr_sha256 s;
  uint8_t out[32];
  char hex[65];
  rcr_sha256_init (&s);
  /* in pieces of 7 bytes, so block boundaries fall mid-update */
  for (size_t i = 0; i < len; i += 7)
    rcr_sha256_update (&s, in + i, len - i < 7 ? len - i : 7);
  rcr_sha256_final (&s, out);
  for (int i = 0; i < 32; i++)
    snprintf (hex + 2 * i, 3, "%02x", out[i]);
  tap_is_str (hex, want, "sha256 %s", what);
}

int
main (void)
{
  /* FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and well-known values */
  sha ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "of nothing");
  sha ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "of abc");
  sha ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "of the 448-bit message");
  {
    char *m = malloc (1000000);
    memset (m, 'a', 1000000);
    sha (m, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "of a million a");
    free (m);
  }
  sha ("The quick brown fox jumps over the lazy dog", 43,
       "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592", "of the fox");

  {
    static const struct
    {
      const char *plain, *enc;
    } v[] = { { "", "" },
              { "f", "Zg==" },
              { "fo", "Zm8=" },
              { "foo", "Zm9v" },
              { "foob", "Zm9vYg==" },
              { "fooba", "Zm9vYmE=" },
              { "foobar", "Zm9vYmFy" },
              { "user:pa:ss", "dXNlcjpwYTpzcw==" } };
    for (size_t i = 0; i < sizeof (v) / sizeof (v[0]); i++)
      {
        char *e = rcr_base64_encode (v[i].plain, strlen (v[i].plain));
        uint8_t buf[64];
        long n = rcr_base64_decode (v[i].enc, strlen (v[i].enc), buf);
        tap_is_str (e, v[i].enc, "base64 of \"%s\" (RFC 4648 section 10)", v[i].plain);
        tap_ok (n == (long)strlen (v[i].plain) && memcmp (buf, v[i].plain, (size_t)n) == 0, "decodes back \"%s\"",
                v[i].enc);
        free (e);
      }
    {
      uint8_t buf[64];
      tap_ok (rcr_base64_decode ("Zm9", 3, buf) < 0, "a length not a multiple of 4 is refused");
      tap_ok (rcr_base64_decode ("Zg==Zg==", 8, buf) < 0, "padding in the middle is refused");
      tap_ok (rcr_base64_decode ("Zm 9", 4, buf) < 0, "blanks are refused");
      tap_ok (rcr_base64_decode ("Z===", 4, buf) < 0, "three padding characters are refused");
      tap_ok (rcr_base64_decode ("Zg=a", 4, buf) < 0, "data after padding is refused");
    }
  }
  return tap_done ();
}
