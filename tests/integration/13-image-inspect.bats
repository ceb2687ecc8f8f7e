#!/usr/bin/env bats
# rcr image inspect: podman's fields, checked against the image config and manifest as
# skopeo (an independent client) reads them from the registry.

load helpers

setup_file() {
  require_registry
  use_file_store
  rcr pull -q multilayer
  rcr pull -q alpine
}

teardown_file() {
  remove_store "$RCR_TEST_STORE"
}

setup() {
  require_registry
  ML_ID=$(registry_raw multilayer | jq -r .config.digest | cut -d: -f2)
  ALPINE_ID=$(registry_raw alpine | jq -r .config.digest | cut -d: -f2)
}

@test "image inspect prints podman's fields for multilayer" {
  rcr image inspect multilayer
  jq -e 'type == "array" and length == 1' <<<"$output" >/dev/null
  i=$(jq '.[0]' <<<"$output")
  cfg=$(registry_config multilayer)
  digest=$(registry_digest multilayer)
  assert_equal "$(jq -r .Id <<<"$i")" "$ML_ID"
  assert_equal "$(jq -r .Digest <<<"$i")" "$digest"
  assert_equal "$(jq -c .RepoTags <<<"$i")" '["docker.io/library/multilayer:latest"]'
  assert_equal "$(jq -c .RepoDigests <<<"$i")" "[\"docker.io/library/multilayer@$digest\"]"
  assert_equal "$(jq -r .Architecture <<<"$i")" amd64
  assert_equal "$(jq -r .Os <<<"$i")" linux
  assert_equal "$(jq -r .Created <<<"$i")" 2023-11-14T22:13:20Z
  [ "$(jq .Size <<<"$i")" -gt 1000000 ]
  # Config is the image config's, unchanged
  assert_equal "$(jq -c '.Config.Env' <<<"$i")" "$(jq -c '.config.Env' <<<"$cfg")"
  jq -e '.Config.Env | index("FOO=bar") != null and index("MULTI=layer") != null' <<<"$i" >/dev/null
  assert_equal "$(jq -c .Config.Cmd <<<"$i")" '["echo multilayer"]'
  assert_equal "$(jq -c .Config.Entrypoint <<<"$i")" '["/bin/sh","-c"]'
  assert_equal "$(jq -r .Config.WorkingDir <<<"$i")" /work
  assert_equal "$(jq -r .Config.User <<<"$i")" tester
  assert_equal "$(jq -r '.Config.Labels["org.rcr.test"]' <<<"$i")" multilayer
  assert_equal "$(jq -r '.Config.Labels.maintainer' <<<"$i")" rcr
  assert_equal "$(jq -c '.Labels' <<<"$i")" "$(jq -c '.config.Labels' <<<"$cfg")"
  # one RootFS layer per diff_id, in order
  assert_equal "$(jq -r .RootFS.Type <<<"$i")" layers
  assert_equal "$(jq -c .RootFS.Layers <<<"$i")" "$(jq -c .rootfs.diff_ids <<<"$cfg")"
  [ "$(jq '.RootFS.Layers | length' <<<"$i")" -eq "$(registry_raw multilayer | jq '.layers | length')" ]
  [ "$(jq '.RootFS.Layers | length' <<<"$i")" -eq 5 ]
  [ "$(jq '.History | length' <<<"$i")" -eq 5 ]
  assert_equal "$(jq -r .ManifestType <<<"$i")" application/vnd.oci.image.manifest.v1+json
}

@test "GraphDriver.Data.LowerDir lists the layer directories, top first" {
  rcr image inspect --format '{{.GraphDriver.Name}}' multilayer
  assert_equal "$output" overlay
  rcr image inspect --format '{{.GraphDriver.Data.LowerDir}}' multilayer
  IFS=: read -r -a dirs <<<"$output"
  [ "${#dirs[@]}" -eq 5 ]
  mapfile -t diff_ids < <(registry_config multilayer | jq -r '.rootfs.diff_ids[]')
  for k in 0 1 2 3 4; do
    assert_equal "${dirs[$k]}" "$(store_dir)/layers/$(cut -d: -f2 <<<"${diff_ids[$((4 - k))]}")/diff"
    [ -d "${dirs[$k]}" ]
  done
}

@test "image inspect --format takes Go templates" {
  rcr image inspect --format '{{.Config.WorkingDir}} {{.Config.User}} {{.Os}}/{{.Architecture}}' multilayer
  assert_equal "$output" "/work tester linux/amd64"
  rcr image inspect --format '{{json .Config.Cmd}}' multilayer
  assert_equal "$(jq -c . <<<"$output")" '["echo multilayer"]'
  rcr image inspect --format '{{.Id}}' multilayer alpine
  assert_equal "$output" "$(printf '%s\n%s' "$ML_ID" "$ALPINE_ID")"
  rcr 125 image inspect --format '{{.NoSuchField}}' multilayer
  assert_contains "$stderr" "can't evaluate field"
}

@test "image inspect finds an image by short name, full name, id, id prefix and sha256:id" {
  for ref in alpine alpine:latest docker.io/library/alpine:latest "$ALPINE_ID" "${ALPINE_ID:0:12}" \
    "sha256:$ALPINE_ID"; do
    rcr image inspect --format '{{.Id}}' "$ref"
    assert_equal "$output" "$ALPINE_ID"
  done
}

@test "image inspect of several images prints one array" {
  rcr image inspect alpine multilayer
  assert_equal "$(jq -r '[.[].Id] | join(",")' <<<"$output")" "$ALPINE_ID,$ML_ID"
}

@test "image inspect of an unknown image exits 125" {
  rcr 125 image inspect nosuchimage
  assert_contains "$stderr" "nosuchimage: image not known"
  # a known and an unknown one: the known one is still printed
  rcr 125 image inspect --format '{{.Id}}' alpine nosuchimage
  assert_equal "$output" "$ALPINE_ID"
  assert_contains "$stderr" "nosuchimage: image not known"
  rcr 125 image inspect
  assert_contains "$stderr" "requires at least one image name"
}

# Podman (cobra) takes flags anywhere: `podman image inspect multilayer --format '{{.Os}}'`
# prints "linux". A pre-commit build of rcr took them as image names ("Error: --format:
# image not known"); fixed before 6bc54d8, this guards it.
@test "image inspect accepts flags after the image name, as podman does" {
  rcr image inspect multilayer --format '{{.Os}}'
  assert_equal "$output" linux
}

@test "rcr image answers its subcommands and refuses unknown ones" {
  rcr image --help
  for sub in inspect ls prune pull rm tag; do
    assert_contains "$output" "$sub"
  done
  rcr 125 image
  assert_contains "$stderr" "missing subcommand"
  rcr 125 image frobnicate
  assert_contains "$stderr" "unrecognized command"
}
