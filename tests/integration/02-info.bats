#!/usr/bin/env bats
# rcr info: what a user runs first when something fails. Every answer is checked against
# the host as the test sees it independently.

load helpers

setup() {
  rcr info --format json
  INFO=$output
}

@test "info --format json parses and has podman's top-level sections" {
  jq -e . <<<"$INFO" >/dev/null
  for key in host store version; do
    [ "$(json_get "$INFO" "has(\"$key\")")" = true ]
  done
}

@test "info reports the kernel and architecture" {
  [ "$(json_get "$INFO" .host.kernel)" = "$(uname -r)" ]
  case "$(uname -m)" in
    x86_64) [ "$(json_get "$INFO" .host.arch)" = amd64 ] ;;
    aarch64) [ "$(json_get "$INFO" .host.arch)" = arm64 ] ;;
  esac
  [ "$(json_get "$INFO" .host.os)" = linux ]
}

@test "info reports the cgroup version as the host mounts it" {
  fstype=$(stat -f -c %T /sys/fs/cgroup)
  if [ "$fstype" = cgroup2fs ]; then
    want=v2
  elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    want=hybrid
  else
    want=v1
  fi
  [ "$(json_get "$INFO" .host.cgroupVersion)" = "$want" ]
}

@test "without usable cgroup v2 limits, info says so with a hint" {
  if [ "$(json_get "$INFO" .host.cgroups.limitsAvailable)" = true ]; then
    # Only true with a delegated v2 subtree holding memory and pids.
    [ "$(json_get "$INFO" .host.cgroupVersion)" = v2 ]
    json_get "$INFO" '.host.cgroupControllers[]' | grep -qx memory
    return 0
  fi
  hint=$(json_get "$INFO" '.host.cgroups.hint')
  [ -n "$hint" ] && [ "$hint" != null ]
  if [ "$(json_get "$INFO" .host.cgroupVersion)" = hybrid ]; then
    assert_contains "$hint" "systemd.unified_cgroup_hierarchy=1"
    # The unprivileged user owns no part of the unified hierarchy here.
    [ "$(json_get "$INFO" '.host.cgroupControllers | length')" = 0 ]
  fi
  json_get "$INFO" '.hints[]' | grep -qF "$hint"
}

@test "info reports the user's subuid and subgid ranges and the id mapping" {
  line=$(grep -E "^($(id -un)|$(id -u)):" /etc/subuid | head -n 1)
  start=$(echo "$line" | cut -d: -f2)
  count=$(echo "$line" | cut -d: -f3)
  [ "$(json_get "$INFO" '.host.subuid[0].start')" = "$start" ]
  [ "$(json_get "$INFO" '.host.subuid[0].count')" = "$count" ]
  # container 0 → the user, container 1.. → the first range
  [ "$(json_get "$INFO" '.host.idMappings.uidmap[0].host_id')" = "$(id -u)" ]
  [ "$(json_get "$INFO" '.host.idMappings.uidmap[0].size')" = 1 ]
  [ "$(json_get "$INFO" '.host.idMappings.uidmap[1].container_id')" = 1 ]
  [ "$(json_get "$INFO" '.host.idMappings.uidmap[1].host_id')" = "$start" ]
  gline=$(grep -E "^($(id -un)|$(id -u)):" /etc/subgid | head -n 1)
  [ "$(json_get "$INFO" '.host.subgid[0].start')" = "$(echo "$gline" | cut -d: -f2)" ]
  [ "$(json_get "$INFO" '.host.idMappings.gidmap[0].host_id')" = "$(id -g)" ]
}

@test "info finds newuidmap and newgidmap and knows they are usable" {
  for tool in newuidmap newgidmap; do
    [ "$(json_get "$INFO" ".host.$tool.path")" = "$(command -v $tool)" ]
    [ "$(json_get "$INFO" ".host.$tool.usable")" = true ]
  done
}

@test "info probes kernel overlay in a user namespace" {
  # The kernel here is >= 5.11 with unprivileged user namespaces, so the probe must succeed.
  [ "$(json_get "$INFO" .store.overlay.usable)" = true ]
  [ "$(json_get "$INFO" .store.overlay.userxattr)" = true ]
  [ "$(json_get "$INFO" .store.graphDriverName)" = overlay ]
}

@test "info reports fuse-overlayfs and /dev/net/tun truthfully" {
  [ "$(json_get "$INFO" .store.fuseOverlayfs.path)" = "$(command -v fuse-overlayfs)" ]
  if [ -r /dev/net/tun ] && [ -w /dev/net/tun ]; then want=true; else want=false; fi
  [ "$(json_get "$INFO" .host.tun.usable)" = "$want" ]
  [[ $(json_get "$INFO" .host.slirp.version) =~ ^[0-9]+\.[0-9]+ ]]
}

@test "info reports the default storage root and runroot" {
  [ "$(json_get "$INFO" .store.graphRoot)" = "$HOME/.local/share/rcr" ]
  [ "$(json_get "$INFO" .store.runRoot)" = "$XDG_RUNTIME_DIR/rcr" ]
  [ "$(json_get "$INFO" .host.security.rootless)" = true ]
}

@test "--root and --runroot override the paths" {
  tmp=$(mktemp -d)
  rcr --root "$tmp/root" --runroot "$tmp/run" info --format json
  [ "$(json_get "$output" .store.graphRoot)" = "$tmp/root" ]
  [ "$(json_get "$output" .store.runRoot)" = "$tmp/run" ]
  # the overlay probe cleans up after itself
  [ -z "$(ls -A "$tmp/run" 2>/dev/null)" ]
  rm -rf "$tmp"
}

@test "the text form lists every hint" {
  rcr info
  assert_contains "$output" "host:"
  assert_contains "$output" "cgroupVersion:"
  n=$(json_get "$INFO" '.hints | length')
  for i in $(seq 0 $((n - 1))); do
    assert_contains "$output" "$(json_get "$INFO" ".hints[$i]")"
  done
}

@test "info --format with a Go template" {
  rcr info --format '{{.Host.Kernel}}'
  [ "$output" = "$(uname -r)" ]
  rcr info --format '{{json .Host.IdMappings.Uidmap}}'
  jq -e 'length >= 1' <<<"$output" >/dev/null
  rcr 125 info --format '{{.Host.NoSuchField}}'
  assert_contains "$stderr" "can't evaluate field"
}
