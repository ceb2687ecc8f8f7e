/* SPDX-License-Identifier: Apache-2.0 */
/* rcr-netns-helper: bridge networking for rcr running as root (bridge rcr0, veth, IPAM,
   NAT). Never setuid: it refuses to run for anyone but root. Links common/ only.
   The bridge operations arrive with the network issue; today it validates its caller
   and answers --help/--version. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static void
usage (FILE *out)
{
  fputs ("Usage: rcr-netns-helper [--help|--version]\n"
         "\n"
         "Sets up bridge networking for rcr containers when rcr runs as root.\n"
         "It is started by rcr, never installed setuid, and refuses to run when it is.\n",
         out);
}

int
main (int argc, char **argv)
{
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      usage (stdout);
      return 0;
    }
  if (argc > 1 && strcmp (argv[1], "--version") == 0)
    {
      printf ("rcr-netns-helper version %s\n", RCR_VERSION);
      return 0;
    }
  /* A setuid helper would let any user rewrite the host's network: refuse it outright. */
  if (getuid () != geteuid () || getgid () != getegid ())
    {
      fputs ("rcr-netns-helper: refusing to run setuid or setgid; remove the bit with chmod u-s,g-s\n", stderr);
      return 125;
    }
  if (geteuid () != 0)
    {
      fputs ("rcr-netns-helper: bridge networking needs root; rootless rcr uses slirp (--network slirp)\n", stderr);
      return 125;
    }
  usage (stderr);
  fputs ("rcr-netns-helper: no operation given (bridge operations are not implemented yet)\n", stderr);
  return 125;
}
