/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_STATE_H
#define RCR_RUNTIME_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/json.h"

/* Podman's status names, in lifecycle order. */
enum rcr_status
{
  RCR_STATUS_UNKNOWN = 0,
  RCR_STATUS_CREATED,
  RCR_STATUS_RUNNING,
  RCR_STATUS_PAUSED,
  RCR_STATUS_STOPPING,
  RCR_STATUS_EXITED,
};

/* The volatile state of one container: $runroot/containers/<id>/state.json. */
struct rcr_state
{
  enum rcr_status status;
  pid_t pid;               /* container init, as seen from the host */
  uint64_t pid_start_time; /* /proc/PID/stat field 22, so a recycled pid is not mistaken */
  pid_t monitor_pid;
  uint64_t monitor_start_time;
  int exit_code; /* -1 while unknown */
  bool oom_killed;
  int64_t created_at_ns; /* wall clock, nanoseconds since the epoch; 0 when unset */
  int64_t started_at_ns;
  int64_t finished_at_ns;
  char *error; /* why the last start failed, or NULL */
};

const char *rcr_status_name (enum rcr_status s);
enum rcr_status rcr_status_parse (const char *s);

void rcr_state_init (struct rcr_state *st);
void rcr_state_clear (struct rcr_state *st);

json_object *rcr_state_to_json (const struct rcr_state *st);
/* Tolerates missing and wrongly typed fields: they keep rcr_state_init's defaults. */
void rcr_state_from_json (json_object *obj, struct rcr_state *st);

int rcr_state_write (const char *path, const struct rcr_state *st, rcr_error_t *err);
int rcr_state_read (const char *path, struct rcr_state *st, rcr_error_t *err);

/* Formats nanoseconds since the epoch as RFC 3339 with nanoseconds in UTC, as podman's
   inspect does ("2026-11-23T15:41:24.123456789Z"); returns a malloc'd string. */
char *rcr_time_format_rfc3339 (int64_t ns);

#endif
