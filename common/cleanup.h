/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_COMMON_CLEANUP_H
#define RCR_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Scope-bound release of resources (the LXC/crun idiom); every function accepts NULL/-1. */

static inline void
rcr_cleanup_freep (void *p)
{
  void **pp = (void **)p;
  free (*pp);
}

static inline void
rcr_cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
rcr_cleanup_filep (FILE **f)
{
  if (*f != NULL)
    {
      int saved = errno;
      fclose (*f);
      errno = saved;
    }
}

static inline void
rcr_cleanup_dirp (DIR **d)
{
  if (*d != NULL)
    {
      int saved = errno;
      closedir (*d);
      errno = saved;
    }
}

/* A NULL-terminated vector of strings. */
static inline void
rcr_cleanup_strvp (char ***v)
{
  if (*v == NULL)
    return;
  for (char **p = *v; *p; p++)
    free (*p);
  free (*v);
}

#define cleanup_free __attribute__ ((cleanup (rcr_cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (rcr_cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (rcr_cleanup_filep)))
#define cleanup_dir __attribute__ ((cleanup (rcr_cleanup_dirp)))
#define cleanup_strv __attribute__ ((cleanup (rcr_cleanup_strvp)))

/* cleanup_json, cleanup_archive and cleanup_curl live next to their libraries'
   headers (common/json.h, storage/) so this header pulls in no third-party includes. */

static inline void *
rcr_steal_pointer (void *pp)
{
  void **p = (void **)pp;
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_pointer(pp) rcr_steal_pointer (pp)

static inline int
rcr_steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}
#define steal_fd(fd) rcr_steal_fd (fd)

#endif
