/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "info.h"

#include <fcntl.h>
#include <seccomp.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/cgroup.h"
#include "storage/driver.h"
#include "userns/subid.h"
#include "userns/userns.h"

static const char *
go_arch (const char *machine)
{
  /* podman reports GOARCH names */
  if (strcmp (machine, "x86_64") == 0)
    return "amd64";
  if (strcmp (machine, "aarch64") == 0)
    return "arm64";
  if (rcr_has_prefix (machine, "armv"))
    return "arm";
  if (strcmp (machine, "i686") == 0 || strcmp (machine, "i386") == 0)
    return "386";
  return machine;
}

static json_object *
strv_to_json (char **v)
{
  json_object *a = json_object_new_array ();
  for (; v && *v; v++)
    json_object_array_add (a, json_object_new_string (*v));
  return a;
}

static void
add_hint (json_object *hints, json_object *obj, const char *hint)
{
  if (hint == NULL)
    return;
  if (obj)
    json_object_object_add (obj, "hint", json_object_new_string (hint));
  json_object_array_add (hints, json_object_new_string (hint));
}

/* idMappings as podman prints them, plus the raw subordinate ranges. */
static json_object *
id_mappings (const struct rcr_paths *p, const char *file, uint64_t own, const char *what, json_object **ranges_out,
             json_object *hints)
{
  cleanup_free struct rcr_id_range *ranges = NULL;
  cleanup_free struct rcr_id_map *map = NULL;
  json_object *arr = json_object_new_array ();
  json_object *rarr = json_object_new_array ();
  rcr_error_t err = NULL;
  size_t n = 0, n_map;

  if (rcr_subid_read (file, p->user, p->uid, &ranges, &n, &err) < 0)
    {
      json_object_array_add (hints, json_object_new_string (err->msg));
      rcr_error_release (&err);
    }
  for (size_t i = 0; i < n; i++)
    {
      json_object *r = json_object_new_object ();
      json_object_object_add (r, "start", json_object_new_uint64 (ranges[i].start));
      json_object_object_add (r, "count", json_object_new_uint64 (ranges[i].count));
      json_object_array_add (rarr, r);
    }
  *ranges_out = rarr;
  if (!p->rootless)
    {
      /* root maps the whole id space; podman shows an empty mapping then. */
      return arr;
    }
  if (n == 0)
    {
      cleanup_free char *hint = rcr_strdup_printf (
          "no subordinate %s range for user '%s' in %s; add one with: sudo usermod --add-sub%ss 100000-165535 %s", what,
          p->user, file, what, p->user);
      json_object_array_add (hints, json_object_new_string (hint));
    }
  n_map = rcr_idmap_build (own, ranges, n, &map);
  for (size_t i = 0; i < n_map; i++)
    {
      json_object *m = json_object_new_object ();
      json_object_object_add (m, "container_id", json_object_new_uint64 (map[i].container_id));
      json_object_object_add (m, "host_id", json_object_new_uint64 (map[i].host_id));
      json_object_object_add (m, "size", json_object_new_uint64 (map[i].size));
      json_object_array_add (arr, m);
    }
  return arr;
}

static json_object *
idtool_json (const char *name, json_object *hints)
{
  struct rcr_idtool t;
  json_object *o = json_object_new_object ();

  rcr_userns_probe_tool (name, &t);
  rcr_json_add_string (o, "path", t.path);
  json_object_object_add (o, "usable", json_object_new_boolean (t.usable));
  if (t.hint)
    {
      cleanup_free char *h = rcr_strdup_printf ("%s: %s", name, t.hint);
      add_hint (hints, o, h);
    }
  rcr_idtool_clear (&t);
  return o;
}

static json_object *
cgroup_json (const struct rcr_context *ctx, json_object *host, json_object *hints)
{
  struct rcr_cgroup_probe cg;
  json_object *o = json_object_new_object ();
  const char *manager;

  rcr_cgroup_probe (&cg);
  manager = ctx->cgroup_manager ? ctx->cgroup_manager : (cg.systemd ? "systemd" : "cgroupfs");
  json_object_object_add (host, "cgroupVersion", json_object_new_string (cg.version));
  json_object_object_add (host, "cgroupManager", json_object_new_string (manager));
  json_object_object_add (host, "cgroupControllers", strv_to_json (cg.usable));

  json_object_object_add (o, "version", json_object_new_string (cg.version));
  rcr_json_add_string (o, "unifiedMount", cg.unified_mount);
  rcr_json_add_string (o, "path", cg.own_path);
  json_object_object_add (o, "v2Controllers", strv_to_json (cg.available));
  json_object_object_add (o, "delegatedControllers", strv_to_json (cg.usable));
  json_object_object_add (o, "delegated", json_object_new_boolean (cg.delegated));
  json_object_object_add (o, "systemdManager", json_object_new_boolean (cg.systemd));
  json_object_object_add (o, "limitsAvailable",
                          json_object_new_boolean (rcr_cgroup_has_controller (&cg, "memory")
                                                   && rcr_cgroup_has_controller (&cg, "pids")
                                                   && strcmp (cg.version, "v2") == 0));
  add_hint (hints, o, cg.hint);
  rcr_cgroup_probe_clear (&cg);
  return o;
}

static json_object *
tun_json (json_object *hints)
{
  json_object *o = json_object_new_object ();
  cleanup_close int fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);

  json_object_object_add (o, "path", json_object_new_string ("/dev/net/tun"));
  json_object_object_add (o, "usable", json_object_new_boolean (fd >= 0));
  if (fd < 0)
    add_hint (hints, o,
              "/dev/net/tun is not usable by you, so slirp networking cannot work; make it mode 0666 (sudo chmod "
              "0666 /dev/net/tun) or load the tun module; --network none and host still work");
  return o;
}

static json_object *
storage_json (const struct rcr_context *ctx, json_object *store, json_object *hints)
{
  struct rcr_driver_probe d;
  json_object *ov = json_object_new_object ();
  json_object *fuse = json_object_new_object ();
  const char *chosen;

  rcr_driver_probe (ctx->paths.runroot, &d);
  chosen = ctx->storage_driver ? ctx->storage_driver : rcr_driver_choose (&d);
  json_object_object_add (store, "graphDriverName", json_object_new_string (chosen));

  json_object_object_add (ov, "usable", json_object_new_boolean (d.overlay_usable));
  json_object_object_add (ov, "userxattr", json_object_new_boolean (d.overlay_userxattr));
  rcr_json_add_string (ov, "error", d.overlay_usable ? NULL : d.overlay_error);
  add_hint (hints, ov, d.overlay_hint);
  json_object_object_add (store, "overlay", ov);

  rcr_json_add_string (fuse, "path", d.fuse_overlayfs_path);
  json_object_object_add (fuse, "usable", json_object_new_boolean (d.fuse_overlayfs_path != NULL && d.dev_fuse_usable));
  add_hint (hints, fuse, d.fuse_hint);
  json_object_object_add (store, "fuseOverlayfs", fuse);
  rcr_driver_probe_clear (&d);
  return store;
}

int
rcr_info_collect (const struct rcr_context *ctx, json_object **out, rcr_error_t *err)
{
  const struct rcr_paths *p = &ctx->paths;
  json_object *root = json_object_new_object ();
  json_object *host = json_object_new_object ();
  json_object *store = json_object_new_object ();
  json_object *version = json_object_new_object ();
  json_object *hints = json_object_new_array ();
  json_object *idm = json_object_new_object ();
  json_object *security = json_object_new_object ();
  json_object *slirp = json_object_new_object ();
  json_object *subuid = NULL, *subgid = NULL;
  const struct scmp_version *sv = seccomp_version ();
  struct utsname u;
  char hostname[256] = "";
  cleanup_free char *seccomp_ver = NULL;
  cleanup_free char *osarch = NULL;

  (void)err;
  uname (&u);
  seccomp_ver = rcr_strdup_printf ("%u.%u.%u", sv->major, sv->minor, sv->micro);
  osarch = rcr_strdup_printf ("linux/%s", go_arch (u.machine));
  gethostname (hostname, sizeof (hostname) - 1);
  json_object_object_add (host, "arch", json_object_new_string (go_arch (u.machine)));
  json_object_object_add (host, "os", json_object_new_string ("linux"));
  json_object_object_add (host, "kernel", json_object_new_string (u.release));
  json_object_object_add (host, "hostname", json_object_new_string (hostname));
  json_object_object_add (host, "cgroups", cgroup_json (ctx, host, hints));

  json_object_object_add (idm, "uidmap", id_mappings (p, "/etc/subuid", p->uid, "uid", &subuid, hints));
  json_object_object_add (idm, "gidmap", id_mappings (p, "/etc/subgid", p->gid, "gid", &subgid, hints));
  json_object_object_add (host, "idMappings", idm);
  json_object_object_add (host, "subuid", subuid);
  json_object_object_add (host, "subgid", subgid);
  json_object_object_add (host, "newuidmap", idtool_json ("newuidmap", hints));
  json_object_object_add (host, "newgidmap", idtool_json ("newgidmap", hints));

  json_object_object_add (security, "rootless", json_object_new_boolean (p->rootless));
  json_object_object_add (security, "seccompEnabled", json_object_new_boolean (true));
  json_object_object_add (security, "libseccompVersion", json_object_new_string (seccomp_ver));
  json_object_object_add (host, "security", security);

  json_object_object_add (slirp, "library", json_object_new_string ("libslirp"));
  json_object_object_add (slirp, "version", json_object_new_string (RCR_SLIRP_VERSION));
  json_object_object_add (host, "slirp", slirp);
  json_object_object_add (host, "tun", tun_json (hints));

  json_object_object_add (store, "graphRoot", json_object_new_string (p->root));
  json_object_object_add (store, "runRoot", json_object_new_string (p->runroot));
  storage_json (ctx, store, hints);

  json_object_object_add (version, "Version", json_object_new_string (RCR_VERSION));
  json_object_object_add (version, "OsArch", json_object_new_string (osarch));

  json_object_object_add (root, "host", host);
  json_object_object_add (root, "store", store);
  json_object_object_add (root, "version", version);
  json_object_object_add (root, "hints", hints);
  *out = root;
  return 0;
}
