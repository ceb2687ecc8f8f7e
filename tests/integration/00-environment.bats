#!/usr/bin/env bats
# The harness itself: an unprivileged user with subordinate ids, a real registry holding
# fixture images pushed by skopeo (an independent client), and podman's registries.conf.

load helpers

@test "tests run as an unprivileged user" {
  [ "$(id -u)" -ne 0 ]
  [ "$(id -un)" != root ]
}

@test "the test user has subordinate uid and gid ranges" {
  run grep -E "^($(id -un)|$(id -u)):[0-9]+:[0-9]+$" /etc/subuid
  [ "$status" -eq 0 ]
  count=$(echo "$output" | head -n 1 | cut -d: -f3)
  [ "$count" -ge 65536 ]
  run grep -E "^($(id -un)|$(id -u)):[0-9]+:[0-9]+$" /etc/subgid
  [ "$status" -eq 0 ]
}

@test "XDG_RUNTIME_DIR is the user's own, mode 0700" {
  [ -d "$XDG_RUNTIME_DIR" ]
  [ "$(stat -c %u "$XDG_RUNTIME_DIR")" = "$(id -u)" ]
  [ "$(stat -c %a "$XDG_RUNTIME_DIR")" = 700 ]
}

@test "the registry answers the v2 API on loopback" {
  require_registry
  [[ $RCR_TEST_REGISTRY == 127.0.0.1:* ]]
  run curl -sS -o /dev/null -w '%{http_code}' "http://$RCR_TEST_REGISTRY/v2/"
  [ "$status" -eq 0 ]
  [ "$output" = 200 ]
}

@test "skopeo sees the alpine stand-in in the registry" {
  require_registry
  run skopeo inspect --tls-verify=false "docker://$RCR_TEST_REGISTRY/library/alpine:latest"
  [ "$status" -eq 0 ]
  [ "$(json_get "$output" .Architecture)" = amd64 ]
  [ "$(json_get "$output" .Os)" = linux ]
  [ "$(json_get "$output" '.Layers | length')" -ge 1 ]
}

@test "the multi-layer fixture has its config and several layers" {
  require_registry
  run skopeo inspect --tls-verify=false "docker://$RCR_TEST_REGISTRY/library/multilayer:latest"
  [ "$status" -eq 0 ]
  [ "$(json_get "$output" '.Layers | length')" -ge 4 ]
  [ "$(json_get "$output" '.Labels["org.rcr.test"]')" = multilayer ]
  run skopeo inspect --tls-verify=false --config "docker://$RCR_TEST_REGISTRY/library/multilayer:latest"
  [ "$status" -eq 0 ]
  [ "$(json_get "$output" .config.WorkingDir)" = /work ]
  [ "$(json_get "$output" .config.User)" = tester ]
  [ "$(json_get "$output" '.config.Entrypoint | join(" ")')" = "/bin/sh -c" ]
}

@test "the gzip, zstd and plain variants carry their layer media types" {
  require_registry
  for v in gzip:tar+gzip zstd:tar+zstd plain:tar; do
    run skopeo inspect --tls-verify=false --raw "docker://$RCR_TEST_REGISTRY/library/alpine-${v%%:*}:latest"
    [ "$status" -eq 0 ]
    [ "$(json_get "$output" '.layers[0].mediaType')" = "application/vnd.oci.image.layer.v1.${v#*:}" ]
  done
}

@test "the multiarch fixture is an index with amd64 and arm64 manifests" {
  require_registry
  run skopeo inspect --tls-verify=false --raw "docker://$RCR_TEST_REGISTRY/library/multiarch:latest"
  [ "$status" -eq 0 ]
  [ "$(json_get "$output" .mediaType)" = application/vnd.oci.image.index.v1+json ]
  [ "$(json_get "$output" '[.manifests[].platform.architecture] | sort | join(",")')" = amd64,arm64 ]
}

@test "registries.conf sends docker.io to the local registry, never past loopback" {
  require_registry
  conf=$HOME/.config/containers/registries.conf
  [ -f "$conf" ]
  run grep -F "location = \"$RCR_TEST_REGISTRY\"" "$conf"
  [ "$status" -eq 0 ]
  run grep -E '^location = "docker.io"' "$conf"
  [ "$status" -eq 1 ]
}
