/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_USERNS_SUBID_H
#define RCR_USERNS_SUBID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct rcr_id_range
{
  uint64_t start;
  uint64_t count;
};

/* One line of a uid_map/gid_map: container_id host_id size. */
struct rcr_id_map
{
  uint64_t container_id;
  uint64_t host_id;
  uint64_t size;
};

/* Collects the ranges of /etc/subuid-format text that belong to the user, named either by
   name or by decimal uid, in file order. Malformed lines are skipped as shadow's own tools
   do; *n_bad counts them (may be NULL). */
int rcr_subid_parse (const char *text, const char *user, uid_t uid, struct rcr_id_range **out, size_t *n, size_t *n_bad,
                     rcr_error_t *err);

/* Reads a subid file; a missing file yields zero ranges. */
int rcr_subid_read (const char *path, const char *user, uid_t uid, struct rcr_id_range **out, size_t *n,
                    rcr_error_t *err);

/* The rootless mapping podman uses: container 0 → the user's own id, then container
   1, 2, ... → the subordinate ranges in order. Returns the number of map entries. */
size_t rcr_idmap_build (uint64_t own_id, const struct rcr_id_range *ranges, size_t n_ranges, struct rcr_id_map **out);

/* podman's --userns=keep-id mapping: own_id is own_id inside too, and the subordinate
   ranges fill container ids 0, 1, ... around it (0 → the first subordinate id). */
size_t rcr_idmap_build_keep_id (uint64_t own_id, const struct rcr_id_range *ranges, size_t n_ranges,
                                struct rcr_id_map **out);
/* Total number of ids covered by a map. */
uint64_t rcr_idmap_size (const struct rcr_id_map *map, size_t n);

#endif
