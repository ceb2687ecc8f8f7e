/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "common/cleanup.h"
#include "tap.h"
#include "userns/subid.h"

static const char *sample = "# comment line\n"
                            "root:10000:5\n"
                            "ann:100000:65536\n"
                            "1001:300000:1000\n"
                            "bob:165536:65536\n"
                            "ann:500000:10\n"
                            "broken line\n"
                            "ann:notanumber:5\n"
                            "ann:1:0\n"
                            "  \n"
                            "ann:4294967295:5\n";

int
main (void)
{
  struct rcr_id_range *r = NULL;
  struct rcr_id_map *map = NULL;
  size_t n = 0, bad = 0, nm;
  rcr_error_t err = NULL;

  tap_ok (rcr_subid_parse (sample, "ann", 1000, &r, &n, &bad, &err) == 0, "parse succeeds");
  tap_is_int (n, 2, "ann has two ranges");
  tap_ok (n == 2 && r[0].start == 100000 && r[0].count == 65536, "first range in file order");
  tap_ok (n == 2 && r[1].start == 500000 && r[1].count == 10, "second range");
  tap_is_int (bad, 4, "malformed lines are counted, not fatal");

  nm = rcr_idmap_build (1000, r, n, &map);
  tap_is_int (nm, 3, "map has own id plus one line per range");
  tap_ok (map[0].container_id == 0 && map[0].host_id == 1000 && map[0].size == 1, "container root is the user");
  tap_ok (map[1].container_id == 1 && map[1].host_id == 100000 && map[1].size == 65536, "ranges start at 1");
  tap_ok (map[2].container_id == 65537 && map[2].host_id == 500000, "next range continues after the first");
  tap_is_int (rcr_idmap_size (map, nm), 1 + 65536 + 10, "total ids");
  free (map);
  free (r);

  tap_ok (rcr_subid_parse (sample, "nobody-here", 1001, &r, &n, NULL, &err) == 0 && n == 1 && r[0].start == 300000,
          "a line naming the numeric uid matches");
  free (r);
  tap_ok (rcr_subid_parse (sample, "carol", 2000, &r, &n, NULL, &err) == 0 && n == 0, "a user without ranges");
  free (r);
  tap_ok (rcr_subid_parse (sample, NULL, 0, &r, &n, NULL, &err) == 0 && n == 0,
          "uid 0 matches no line named root by number");
  free (r);

  {
    /* keep-id as podman 4.3 writes it for uid 1004 and 100000:65536:
       0 100000 1004 / 1004 1004 1 / 1005 101004 64532 */
    struct rcr_id_range one[] = { { 100000, 65536 } };
    struct rcr_id_range two[] = { { 100000, 500 }, { 300000, 1000 } };
    struct rcr_id_range small[] = { { 100000, 10 } };
    nm = rcr_idmap_build_keep_id (1004, one, 1, &map);
    tap_is_int (nm, 3, "keep-id: three lines for one range");
    tap_ok (map[0].container_id == 0 && map[0].host_id == 100000 && map[0].size == 1004, "keep-id: 0.. below the user");
    tap_ok (map[1].container_id == 1004 && map[1].host_id == 1004 && map[1].size == 1, "keep-id: the user is itself");
    tap_ok (map[2].container_id == 1005 && map[2].host_id == 101004 && map[2].size == 64532, "keep-id: the rest above");
    tap_is_int (rcr_idmap_size (map, nm), 65537, "keep-id: every subordinate id plus the user");
    free (map);
    nm = rcr_idmap_build_keep_id (1004, two, 2, &map);
    tap_ok (nm == 4 && map[0].size == 500 && map[1].container_id == 500 && map[1].host_id == 300000
                && map[1].size == 504 && map[2].container_id == 1004 && map[3].container_id == 1005
                && map[3].host_id == 300504 && map[3].size == 496,
            "keep-id: the user's id splits the second range");
    free (map);
    nm = rcr_idmap_build_keep_id (1004, small, 1, &map);
    tap_ok (nm == 2 && map[0].size == 10 && map[1].container_id == 1004 && map[1].host_id == 1004,
            "keep-id: too few subordinate ids leave a gap below the user");
    free (map);
  }

  tap_ok (rcr_subid_read ("/nonexistent/subuid", "ann", 1000, &r, &n, &err) == 0 && n == 0,
          "a missing file means no ranges");
  free (r);
  return tap_done ();
}
