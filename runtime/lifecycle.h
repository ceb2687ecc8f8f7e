/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_LIFECYCLE_H
#define RCR_RUNTIME_LIFECYCLE_H

#include <stdbool.h>

#include "common/error.h"
#include "runtime/container.h"

/* "SIGTERM", "TERM", "15" → 15; -1 when unknown. */
int rcr_signal_parse (const char *s);

/* Sends a signal to the container's first process. */
int rcr_container_kill (struct rcr_container *c, int sig, rcr_error_t *err);

/* The stop signal, then SIGKILL after timeout seconds; waits until the monitor has
   recorded the exit (bounded). */
int rcr_container_stop (const struct rcr_context *ctx, struct rcr_container *c, int timeout, rcr_error_t *err);

/* Waits until the container is no longer running; returns its exit code. */
int rcr_container_wait (const struct rcr_context *ctx, struct rcr_container *c, int *exit_code, rcr_error_t *err);

/* Removes a container; a running one only with force (it is killed first). */
int rcr_container_remove (const struct rcr_context *ctx, struct rcr_container *c, bool force, rcr_error_t *err);

/* Podman-shaped inspect JSON. */
json_object *rcr_container_inspect (const struct rcr_context *ctx, struct rcr_container *c);

#endif
