/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "subid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define SUBID_FILE_MAX (16 * 1024 * 1024)

static bool
line_owner_matches (const char *owner, const char *user, uid_t uid)
{
  uint64_t v;
  if (user && strcmp (owner, user) == 0)
    return true;
  return rcr_parse_u64 (owner, &v) == 0 && v == (uint64_t)uid;
}

int
rcr_subid_parse (const char *text, const char *user, uid_t uid, struct rcr_id_range **out, size_t *n, size_t *n_bad,
                 rcr_error_t *err)
{
  cleanup_free char *copy = rcr_xstrdup (text);
  cleanup_free struct rcr_id_range *ranges = NULL;
  size_t count = 0, bad = 0;
  char *saveptr = NULL;

  (void)err;
  for (char *line = strtok_r (copy, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      char *fields[3], *p = line, *nl;
      uint64_t start, len;
      int i;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '#' || *p == '\0')
        continue;
      if ((nl = strchr (p, '\r')))
        *nl = '\0';
      for (i = 0; i < 3 && p; i++)
        {
          fields[i] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (i != 3 || p != NULL || rcr_parse_u64 (fields[1], &start) < 0 || rcr_parse_u64 (fields[2], &len) < 0
          || len == 0 || start > UINT32_MAX || len > (uint64_t)UINT32_MAX + 1 - start)
        {
          bad++;
          continue;
        }
      if (!line_owner_matches (fields[0], user, uid))
        continue;
      ranges = rcr_xrealloc (ranges, (count + 1) * sizeof (*ranges));
      ranges[count].start = start;
      ranges[count].count = len;
      count++;
    }
  *out = steal_pointer (&ranges);
  *n = count;
  if (n_bad)
    *n_bad = bad;
  return 0;
}

int
rcr_subid_read (const char *path, const char *user, uid_t uid, struct rcr_id_range **out, size_t *n, rcr_error_t *err)
{
  cleanup_free char *text = NULL;
  rcr_error_t tmp = NULL;

  if (rcr_read_file (path, SUBID_FILE_MAX, &text, NULL, &tmp) < 0)
    {
      if (tmp->status == ENOENT)
        {
          rcr_error_release (&tmp);
          *out = NULL;
          *n = 0;
          return 0;
        }
      *err = tmp;
      return rcr_error_code (tmp);
    }
  return rcr_subid_parse (text, user, uid, out, n, NULL, err);
}

size_t
rcr_idmap_build (uint64_t own_id, const struct rcr_id_range *ranges, size_t n_ranges, struct rcr_id_map **out)
{
  struct rcr_id_map *map = rcr_xmalloc0 ((n_ranges + 1) * sizeof (*map));
  uint64_t next = 1;

  map[0] = (struct rcr_id_map){ .container_id = 0, .host_id = own_id, .size = 1 };
  for (size_t i = 0; i < n_ranges; i++)
    {
      map[i + 1] = (struct rcr_id_map){ .container_id = next, .host_id = ranges[i].start, .size = ranges[i].count };
      next += ranges[i].count;
    }
  *out = map;
  return n_ranges + 1;
}

size_t
rcr_idmap_build_keep_id (uint64_t own_id, const struct rcr_id_range *ranges, size_t n_ranges,
                         struct rcr_id_map **out)
{
  /* at most one range is split around own_id, plus own_id's own line */
  struct rcr_id_map *map = rcr_xmalloc0 ((n_ranges + 2) * sizeof (*map));
  uint64_t next = 0;
  size_t n = 0;
  bool placed = false;

  for (size_t i = 0; i < n_ranges; i++)
    {
      uint64_t start = ranges[i].start, count = ranges[i].count;
      if (!placed && own_id >= next && own_id < next + count)
        {
          uint64_t before = own_id - next;
          if (before > 0)
            map[n++] = (struct rcr_id_map){ .container_id = next, .host_id = start, .size = before };
          map[n++] = (struct rcr_id_map){ .container_id = own_id, .host_id = own_id, .size = 1 };
          placed = true;
          start += before;
          count -= before;
          next = own_id + 1;
        }
      if (count > 0)
        map[n++] = (struct rcr_id_map){ .container_id = next, .host_id = start, .size = count };
      next += count;
    }
  if (!placed)
    map[n++] = (struct rcr_id_map){ .container_id = own_id, .host_id = own_id, .size = 1 };
  *out = map;
  return n;
}

uint64_t
rcr_idmap_size (const struct rcr_id_map *map, size_t n)
{
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += map[i].size;
  return total;
}
