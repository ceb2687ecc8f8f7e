/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_CONTAINER_H
#define RCR_RUNTIME_CONTAINER_H

#include <stdbool.h>

#include "common/error.h"
#include "common/json.h"
#include "runtime/context.h"
#include "runtime/state.h"

/* A container on disk:
     $root/containers/ID/config.json   what it runs (written once at create)
     $root/containers/ID/{upper,work}/ its writable layer
     $root/containers/ID/{hosts,resolv.conf,hostname,ctr.log}
     $runroot/containers/ID/state.json status, pids, exit code (volatile)
     $runroot/containers/ID/rootfs/    where its root is mounted, in its own namespace */
struct rcr_container
{
  char *id;
  char *dir;     /* $root/containers/ID */
  char *run_dir; /* $runroot/containers/ID */
  json_object *config;
  struct rcr_state state;
};

#define RCR_CONTAINER_NOT_FOUND ENOENT
#define RCR_CONTAINER_NAME_IN_USE EEXIST

/* Creates a container from a config (cmd/ fills: name, image, command, env, ...);
   assigns the id and, when config has no name, a generated one; writes hosts,
   resolv.conf and hostname. */
int rcr_container_create (const struct rcr_context *ctx, json_object *config, struct rcr_container **out,
                          rcr_error_t *err);

/* Finds a container by full id, unique id prefix or name, and loads it with its state
   corrected: a "running" container whose monitor and process are gone is exited (with
   an unknown status, -1), and after a reboot every container shows as exited. */
int rcr_container_load (const struct rcr_context *ctx, const char *name_or_id, struct rcr_container **out,
                        rcr_error_t *err);

/* Every container, loaded as above, oldest first. */
int rcr_container_list (const struct rcr_context *ctx, struct rcr_container ***out, size_t *n, rcr_error_t *err);

/* A --rm container's exit code, kept (in the run directory) after it removed itself so
   that `rcr wait` still learns it; pruned after five minutes. lookup: -1 when there is none. */
int rcr_exit_code_record (const struct rcr_context *ctx, const char *id, int code, rcr_error_t *err);
int rcr_exit_code_lookup (const struct rcr_context *ctx, const char *id, int *code);
void rcr_exit_codes_prune (const struct rcr_context *ctx);

/* hosts, hostname, .containerenv (and resolv.conf) in the run directory, for a start */
int rcr_container_write_run_files (const struct rcr_container *c, rcr_error_t *err);
/* Whether rcr_container_write_run_files writes FILE ("hosts", "resolv.conf", ...) for c. */
bool rcr_container_has_run_file (const struct rcr_container *c, const char *file);

int rcr_container_save_state (const struct rcr_context *ctx, struct rcr_container *c, rcr_error_t *err);

/* Deletes everything of a stopped container. */
/* rm -rf of PATH under a container's directory, some of whose files may belong to
   subordinate ids (removed from a mapped user namespace then). */
int rcr_rm_rf_as_container (const struct rcr_context *ctx, const char *path, rcr_error_t *err);

int rcr_container_delete (const struct rcr_context *ctx, struct rcr_container *c, rcr_error_t *err);

/* True while pid is alive and still the process that started at start_time. */
bool rcr_pid_alive (pid_t pid, uint64_t start_time);
/* /proc/PID/stat field 22, 0 when gone. */
uint64_t rcr_pid_start_time (pid_t pid);

void rcr_container_free (struct rcr_container *c);
void rcr_container_list_free (struct rcr_container **v, size_t n);

static inline void
rcr_cleanup_containerp (struct rcr_container **c)
{
  rcr_container_free (*c);
}
#define cleanup_container __attribute__ ((cleanup (rcr_cleanup_containerp)))

/* Is any container using this image id? (for rmi) */
bool rcr_container_image_in_use (const struct rcr_context *ctx, const char *image_id);

#endif
