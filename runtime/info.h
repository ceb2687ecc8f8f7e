/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_INFO_H
#define RCR_RUNTIME_INFO_H

#include "common/error.h"
#include "common/json.h"
#include "runtime/context.h"

/* Probes the host and returns podman-info-shaped JSON (host, store, version) with a
   "hints" array: one line per thing that does not work and how to fix it. */
int rcr_info_collect (const struct rcr_context *ctx, json_object **out, rcr_error_t *err);

#endif
