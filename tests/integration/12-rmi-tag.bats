#!/usr/bin/env bats
# rcr tag, rcr rmi and rcr image prune (and their `rcr image` aliases): names, untagging,
# removal by id, exit statuses, and layers removed once no image uses them. Every test
# starts from an empty store of its own.

load helpers

setup() {
  require_registry
  export RCR_TEST_STORE=$BATS_TEST_TMPDIR/store
  ALPINE_ID=$(registry_raw alpine | jq -r .config.digest | cut -d: -f2)
  ML_ID=$(registry_raw multilayer | jq -r .config.digest | cut -d: -f2)
}

teardown() {
  remove_store "$BATS_TEST_TMPDIR/store"
}

# names ID: the names of the image with id ID, sorted, comma-separated
names() {
  jq -r --arg id "$1" '.images[] | select(.id == $id) | .names | sort | join(",")' "$(store_dir)/images.json"
}

image_count() {
  jq '.images | length' "$(store_dir)/images.json"
}

@test "tag adds names; a short name goes under localhost/" {
  rcr pull -q alpine
  rcr tag alpine myalpine
  [ -z "$output" ]
  rcr tag alpine myalpine:v1 example.com/team/app:2
  assert_equal "$(names "$ALPINE_ID")" \
    "docker.io/library/alpine:latest,example.com/team/app:2,localhost/myalpine:latest,localhost/myalpine:v1"
  rcr images --format '{{.Repository}} {{.Tag}} {{.ID}}' localhost/myalpine
  assert_equal "$(sort <<<"$output")" "$(printf 'localhost/myalpine latest %s\nlocalhost/myalpine v1 %s' "${ALPINE_ID:0:12}" "${ALPINE_ID:0:12}")"
  # the short name finds the localhost/ image, as in podman
  rcr image inspect --format '{{.Id}}' myalpine:v1
  assert_equal "$output" "$ALPINE_ID"
  [ "$(image_count)" -eq 1 ]
}

@test "tag by id, and rcr image tag" {
  rcr pull -q alpine
  rcr tag "${ALPINE_ID:0:12}" byid
  rcr image tag "sha256:$ALPINE_ID" viaimage:1
  assert_equal "$(names "$ALPINE_ID")" "docker.io/library/alpine:latest,localhost/byid:latest,localhost/viaimage:1"
}

@test "tag moves a name from the image that had it" {
  rcr pull -q alpine
  rcr pull -q multilayer
  rcr tag multilayer shared:1
  rcr tag alpine shared:1
  assert_equal "$(names "$ALPINE_ID")" "docker.io/library/alpine:latest,localhost/shared:1"
  assert_equal "$(names "$ML_ID")" "docker.io/library/multilayer:latest"
}

@test "tag refuses unknown images, bad names, digests and missing operands" {
  rcr pull -q alpine
  rcr 125 tag nosuchimage x
  assert_contains "$stderr" "nosuchimage: image not known"
  rcr 125 tag alpine Uppercase
  assert_contains "$stderr" "invalid reference"
  rcr 125 tag alpine "x@sha256:$ALPINE_ID"
  assert_contains "$stderr" "digest"
  rcr 125 tag alpine
  assert_contains "$stderr" "requires at least 2 arguments"
  # nothing was added by the failures
  assert_equal "$(names "$ALPINE_ID")" "docker.io/library/alpine:latest"
}

@test "rmi of one of several names only untags" {
  rcr pull -q alpine
  rcr tag alpine extra
  layers=$(layer_count)
  rcr rmi extra
  assert_equal "$output" "Untagged: localhost/extra:latest"
  assert_equal "$(names "$ALPINE_ID")" "docker.io/library/alpine:latest"
  [ "$(layer_count)" -eq "$layers" ]
  # by its full name too; busybox is the same image as alpine
  rcr pull -q busybox
  rcr rmi docker.io/library/busybox:latest
  assert_equal "$output" "Untagged: docker.io/library/busybox:latest"
  [ "$(image_count)" -eq 1 ]
}

@test "rmi by id of an image with several names needs -f" {
  rcr pull -q alpine
  rcr tag alpine second third:x
  rcr 125 rmi "${ALPINE_ID:0:12}"
  assert_contains "$stderr" "more than one tag"
  assert_contains "$stderr" "force"
  [ "$(image_count)" -eq 1 ]
  [ "$(layer_count)" -eq 1 ]
  rcr rmi -f "${ALPINE_ID:0:12}"
  assert_equal "$(grep -c '^Untagged: ' <<<"$output")" 3
  assert_contains "$output" "Untagged: localhost/third:x"
  assert_equal "$(grep '^Deleted: ' <<<"$output")" "Deleted: $ALPINE_ID"
  [ "$(image_count)" -eq 0 ]
  # the layer went with the last image using it
  [ "$(layer_count)" -eq 0 ]
  [ -z "$(ls -A "$(store_dir)/blobs/sha256")" ]
}

@test "rmi of the last name deletes the image and only its own layers" {
  rcr pull -q alpine
  rcr pull -q multilayer
  [ "$(layer_count)" -eq 5 ]
  rcr rmi multilayer
  assert_equal "$output" "$(printf 'Untagged: docker.io/library/multilayer:latest\nDeleted: %s' "$ML_ID")"
  # the base layer stays: alpine uses it
  [ "$(layer_count)" -eq 1 ]
  rcr image inspect --format '{{.Id}}' alpine
  assert_equal "$output" "$ALPINE_ID"
  rcr image rm alpine
  assert_contains "$output" "Deleted: $ALPINE_ID"
  [ "$(layer_count)" -eq 0 ]
}

@test "rmi of an unknown image exits 1 with 'image not known'; -i ignores it" {
  rcr pull -q alpine
  rcr 1 rmi nosuchimage
  assert_contains "$stderr" "nosuchimage: image not known"
  rcr rmi -i nosuchimage
  # known and unknown together: the known one goes, the status still says 1
  rcr 1 rmi nosuchimage alpine
  assert_contains "$output" "Deleted: $ALPINE_ID"
  [ "$(image_count)" -eq 0 ]
}

@test "rmi -a empties the store and removes the layer directories" {
  rcr pull -q alpine
  rcr pull -q multilayer
  rcr tag alpine more
  rcr rmi -a
  assert_contains "$output" "Deleted: $ALPINE_ID"
  assert_contains "$output" "Deleted: $ML_ID"
  rcr images -q
  [ -z "$output" ]
  [ "$(image_count)" -eq 0 ]
  [ -z "$(ls -A "$(store_dir)/layers")" ]
  [ -z "$(ls -A "$(store_dir)/blobs/sha256")" ]
  # nothing left owned by subordinate ids: the host user can delete the store
  [ -z "$(find "$(store_dir)" ! -user "$(id -u)")" ]
  # and on an empty store it succeeds doing nothing
  rcr rmi -a
  [ -z "$output" ]
}

@test "rmi usage errors exit 125" {
  rcr 125 rmi
  assert_contains "$stderr" "image name or ID must be specified"
  rcr 125 rmi -a alpine
  assert_contains "$stderr" "--all"
}

@test "image prune removes dangling images and their layers" {
  rcr pull -q alpine
  rcr pull -q multilayer
  # re-tagging moves multilayer's only name to alpine's image: multilayer is dangling
  rcr tag alpine docker.io/library/multilayer:latest
  rcr images -q --no-trunc --filter dangling=true
  assert_equal "$output" "$ML_ID"
  [ "$(layer_count)" -eq 5 ]
  rcr image prune -f
  assert_equal "$output" "$ML_ID"
  [ "$(image_count)" -eq 1 ]
  [ "$(layer_count)" -eq 1 ]
  rcr images -q --no-trunc
  assert_equal "$output" "$ALPINE_ID"
  # nothing dangling: nothing to do
  rcr image prune -f
  [ -z "$output" ]
  [ "$(image_count)" -eq 1 ]
}

@test "image prune asks first and removes nothing without a yes" {
  rcr pull -q alpine
  rcr pull -q multilayer
  rcr tag alpine docker.io/library/multilayer:latest
  rcr_stdin n image prune
  assert_contains "$stderr" "Are you sure you want to continue? [y/N]"
  [ -z "$output" ]
  [ "$(image_count)" -eq 2 ]
  rcr image prune </dev/null
  [ "$(image_count)" -eq 2 ]
  [ "$(layer_count)" -eq 5 ]
  rcr_stdin y image prune
  assert_equal "$output" "$ML_ID"
  [ "$(image_count)" -eq 1 ]
}

@test "image prune -a removes every image" {
  rcr pull -q alpine
  rcr pull -q multilayer
  rcr image prune -a -f
  assert_equal "$(sort <<<"$output")" "$(printf '%s\n' "$ALPINE_ID" "$ML_ID" | sort)"
  [ "$(image_count)" -eq 0 ]
  [ "$(layer_count)" -eq 0 ]
  rcr 125 image prune extra
  assert_contains "$stderr" "takes no arguments"
}
