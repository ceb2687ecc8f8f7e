/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "state.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

#define STATE_FILE_MAX (1024 * 1024)

static const char *const status_names[] = {
  [RCR_STATUS_UNKNOWN] = "unknown", [RCR_STATUS_CREATED] = "created",   [RCR_STATUS_RUNNING] = "running",
  [RCR_STATUS_PAUSED] = "paused",   [RCR_STATUS_STOPPING] = "stopping", [RCR_STATUS_EXITED] = "exited",
};

const char *
rcr_status_name (enum rcr_status s)
{
  if ((size_t)s >= sizeof (status_names) / sizeof (status_names[0]))
    return "unknown";
  return status_names[s];
}

enum rcr_status
rcr_status_parse (const char *s)
{
  if (s == NULL)
    return RCR_STATUS_UNKNOWN;
  for (size_t i = 0; i < sizeof (status_names) / sizeof (status_names[0]); i++)
    if (strcmp (s, status_names[i]) == 0)
      return (enum rcr_status)i;
  /* podman's older name for a container that was created but never started */
  if (strcmp (s, "configured") == 0)
    return RCR_STATUS_CREATED;
  return RCR_STATUS_UNKNOWN;
}

void
rcr_state_init (struct rcr_state *st)
{
  memset (st, 0, sizeof (*st));
  st->exit_code = -1;
}

void
rcr_state_clear (struct rcr_state *st)
{
  free (st->error);
  rcr_state_init (st);
}

json_object *
rcr_state_to_json (const struct rcr_state *st)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "status", json_object_new_string (rcr_status_name (st->status)));
  json_object_object_add (o, "pid", json_object_new_int64 (st->pid));
  json_object_object_add (o, "pidStartTime", json_object_new_uint64 (st->pid_start_time));
  json_object_object_add (o, "monitorPid", json_object_new_int64 (st->monitor_pid));
  json_object_object_add (o, "monitorStartTime", json_object_new_uint64 (st->monitor_start_time));
  json_object_object_add (o, "exitCode", json_object_new_int (st->exit_code));
  json_object_object_add (o, "oomKilled", json_object_new_boolean (st->oom_killed));
  json_object_object_add (o, "createdAt", json_object_new_int64 (st->created_at_ns));
  json_object_object_add (o, "startedAt", json_object_new_int64 (st->started_at_ns));
  json_object_object_add (o, "finishedAt", json_object_new_int64 (st->finished_at_ns));
  rcr_json_add_string (o, "error", st->error);
  return o;
}

static uint64_t
get_u64 (json_object *obj, const char *key)
{
  json_object *v;
  if (json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_int))
    return json_object_get_uint64 (v);
  return 0;
}

void
rcr_state_from_json (json_object *obj, struct rcr_state *st)
{
  const char *e;

  rcr_state_clear (st);
  if (obj == NULL || !json_object_is_type (obj, json_type_object))
    return;
  st->status = rcr_status_parse (rcr_json_get_string (obj, "status", NULL));
  st->pid = (pid_t)rcr_json_get_int64 (obj, "pid", 0);
  st->pid_start_time = get_u64 (obj, "pidStartTime");
  st->monitor_pid = (pid_t)rcr_json_get_int64 (obj, "monitorPid", 0);
  st->monitor_start_time = get_u64 (obj, "monitorStartTime");
  st->exit_code = (int)rcr_json_get_int64 (obj, "exitCode", -1);
  st->oom_killed = rcr_json_get_bool (obj, "oomKilled", false);
  st->created_at_ns = rcr_json_get_int64 (obj, "createdAt", 0);
  st->started_at_ns = rcr_json_get_int64 (obj, "startedAt", 0);
  st->finished_at_ns = rcr_json_get_int64 (obj, "finishedAt", 0);
  e = rcr_json_get_string (obj, "error", NULL);
  st->error = e ? rcr_xstrdup (e) : NULL;
}

int
rcr_state_write (const char *path, const struct rcr_state *st, rcr_error_t *err)
{
  cleanup_json json_object *o = rcr_state_to_json (st);
  /* No fsync: the runroot is volatile by design (a reboot wipes it and the next command
     reads the container as exited), and the rename alone keeps readers from a torn file.
     The fsync cost a millisecond or more of every container start. */
  return rcr_json_write_file_sync (path, o, 0600, false, err);
}

int
rcr_state_read (const char *path, struct rcr_state *st, rcr_error_t *err)
{
  cleanup_json json_object *o = NULL;
  if (rcr_json_read_file (path, STATE_FILE_MAX, &o, err) < 0)
    return -1;
  rcr_state_from_json (o, st);
  return 0;
}

char *
rcr_time_format_rfc3339 (int64_t ns)
{
  time_t secs = (time_t)(ns / 1000000000LL);
  long frac = (long)(ns % 1000000000LL);
  struct tm tm;
  char buf[64];

  if (frac < 0)
    {
      frac += 1000000000L;
      secs--;
    }
  gmtime_r (&secs, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return rcr_strdup_printf ("%s.%09ldZ", buf, frac);
}
