/* SPDX-License-Identifier: Apache-2.0 */
/* Container names: podman's validation rule and docker-style "adjective_surname"
   random names (the word lists are rcr's own). */
#define _GNU_SOURCE
#include "process.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

static const char *const adjectives[] = {
  "agile",   "amazing", "bold",    "brave",    "bright",  "busy",     "calm",     "clever",  "cool",     "curious",
  "daring",  "eager",   "elegant", "epic",     "fervent", "fond",     "friendly", "gallant", "gentle",   "happy",
  "hopeful", "humble",  "jolly",   "keen",     "kind",    "lively",   "loving",   "lucid",   "merry",    "mystic",
  "nifty",   "noble",   "patient", "peaceful", "placid",  "plucky",   "quiet",    "quirky",  "relaxed",  "serene",
  "sharp",   "steady",  "stoic",   "sweet",    "tender",  "trusting", "upbeat",   "vibrant", "wizardly", "zealous",
};

static const char *const surnames[] = {
  "agnesi",     "allen",    "babbage",  "bardeen", "bell",    "boole",    "borg",    "cerf",     "curie",    "darwin",
  "dijkstra",   "einstein", "euler",    "fermat",  "feynman", "franklin", "gauss",   "goldberg", "hamilton", "hopper",
  "hypatia",    "johnson",  "kepler",   "knuth",   "lamarr",  "lamport",  "liskov",  "lovelace", "maxwell",  "meitner",
  "mirzakhani", "newton",   "noether",  "pascal",  "perlman", "poincare", "ritchie", "sammet",   "shannon",  "shirley",
  "sinoussi",   "thompson", "torvalds", "turing",  "wescoff", "wilson",   "wing",    "wozniak",  "yonath",   "zuse",
};

#define N_ADJ (sizeof (adjectives) / sizeof (adjectives[0]))
#define N_SUR (sizeof (surnames) / sizeof (surnames[0]))

char *
rcr_name_generate (void)
{
  uint32_t rnd[2];

  /* The name only needs to be unlikely to collide; the caller checks uniqueness. */
  if (getrandom (rnd, sizeof (rnd), GRND_NONBLOCK) != (ssize_t)sizeof (rnd))
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      rnd[0] = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid ();
      rnd[1] = (uint32_t)ts.tv_sec * 2654435761U ^ (uint32_t)ts.tv_nsec;
    }
  return rcr_strdup_printf ("%s_%s", adjectives[rnd[0] % N_ADJ], surnames[rnd[1] % N_SUR]);
}

bool
rcr_name_valid (const char *name)
{
  static const char rest[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

  if (name == NULL || *name == '\0')
    return false;
  /* the first character is [a-zA-Z0-9]: the set above without "_.-" */
  if (strchr (rest, *name) == NULL || strchr ("_.-", *name) != NULL)
    return false;
  return strspn (name, rest) == strlen (name);
}
