/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "tap.h"

int
main (void)
{
  struct rcr_state a, b;
  char tmpl[] = "/tmp/rcr-unit-state-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_free char *ts = NULL;
  rcr_error_t err = NULL;

  rcr_state_init (&a);
  a.status = RCR_STATUS_RUNNING;
  a.pid = 4242;
  a.pid_start_time = 123456789012ULL;
  a.monitor_pid = 4240;
  a.monitor_start_time = 99;
  a.exit_code = 137;
  a.oom_killed = true;
  a.created_at_ns = 1700000000123456789LL;
  a.started_at_ns = 1700000001000000000LL;
  a.finished_at_ns = 1700000002000000001LL;
  a.error = rcr_xstrdup ("exec \"/bin/nope\": No such file or directory");

  tap_ok (mkdtemp (tmpl) != NULL, "mkdtemp");
  path = rcr_strdup_printf ("%s/state.json", tmpl);
  tap_ok (rcr_state_write (path, &a, &err) == 0, "write state.json");
  rcr_state_init (&b);
  tap_ok (rcr_state_read (path, &b, &err) == 0, "read state.json");
  tap_is_str (rcr_status_name (b.status), "running", "status round-trips");
  tap_is_int (b.pid, 4242, "pid");
  tap_ok (b.pid_start_time == 123456789012ULL, "pid start time");
  tap_is_int (b.monitor_pid, 4240, "monitor pid");
  tap_is_int (b.exit_code, 137, "exit code");
  tap_ok (b.oom_killed, "oom flag");
  tap_ok (b.created_at_ns == a.created_at_ns && b.finished_at_ns == a.finished_at_ns, "timestamps keep nanoseconds");
  tap_is_str (b.error, a.error, "error message");
  rcr_state_clear (&b);

  {
    cleanup_json json_object *o = NULL;
    tap_ok (rcr_json_parse ("{\"status\":\"exited\",\"pid\":\"oops\",\"future\":[1,2]}", "test", &o, &err) == 0,
            "parse a partial state");
    rcr_state_from_json (o, &b);
    tap_is_str (rcr_status_name (b.status), "exited", "known field read");
    tap_is_int (b.pid, 0, "wrongly typed field falls back to default");
    tap_is_int (b.exit_code, -1, "missing exit code means unknown");
    tap_ok (b.error == NULL, "missing error stays NULL");
    rcr_state_clear (&b);
  }
  {
    cleanup_json json_object *o = NULL;
    tap_ok (rcr_json_parse ("{\"status\":\"running\"} trailing", "test", &o, &err) < 0 && err != NULL,
            "trailing garbage is an error");
    rcr_error_release (&err);
  }

  tap_is_int (rcr_status_parse ("paused"), RCR_STATUS_PAUSED, "status parse");
  tap_is_int (rcr_status_parse ("configured"), RCR_STATUS_CREATED, "podman's old 'configured'");
  tap_is_int (rcr_status_parse ("bogus"), RCR_STATUS_UNKNOWN, "unknown status");
  ts = rcr_time_format_rfc3339 (1700000000123456789LL);
  tap_is_str (ts, "2023-11-14T22:13:20.123456789Z", "RFC 3339 with nanoseconds");

  {
    /* field 22 of /proc/self/stat, parsed independently: the 20th field after ") " */
    cleanup_free char *stat = NULL;
    unsigned long long want = 0;
    char *p;
    rcr_read_file ("/proc/self/stat", 4096, &stat, NULL, &err);
    p = strrchr (stat, ')') + 2;
    for (int i = 0; i < 19; i++)
      p = strchr (p, ' ') + 1;
    want = strtoull (p, NULL, 10);
    tap_ok (rcr_pid_start_time (getpid ()) == want && want > 0, "pid start time is /proc/PID/stat field 22 (%llu)",
            want);
    {
      void *big = malloc (64 << 20);
      tap_ok (rcr_pid_start_time (getpid ()) == want, "start time does not move with memory use");
      free (big);
    }
    tap_ok (rcr_pid_alive (getpid (), want), "our own pid is alive with its start time");
    tap_ok (!rcr_pid_alive (getpid (), want + 1), "a different start time means another process");
    tap_ok (rcr_pid_start_time (0) == 0, "pid 0 has no start time");
  }
  rcr_state_clear (&a);
  tap_ok (rcr_rm_rf (tmpl, &err) == 0, "cleanup");
  return tap_done ();
}
