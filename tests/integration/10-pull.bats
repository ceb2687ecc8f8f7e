#!/usr/bin/env bats
# rcr pull against the real registry holding the skopeo-pushed fixtures: every fixture and
# compression, platforms, digests, podman's output, bad references, what lands in the
# store and with which owners, overlay semantics of the stored layers, and re-pulls that
# transfer nothing.

load helpers

setup_file() {
  use_file_store
}

teardown_file() {
  remove_store "$RCR_TEST_STORE"
}

setup() {
  require_registry
}

# Stores a test made for itself (pull_fresh) are removed even when the test failed, and
# so is what a test put into the user's default store.
teardown() {
  local d
  if [ -n "${USED_DEFAULT_STORE:-}" ]; then
    RCR_TEST_STORE= rcr rmi -i docker.io/library/alpine:latest
  fi
  for d in "$BATS_TEST_TMPDIR"/fresh-*; do
    [ -e "$d" ] || continue
    remove_store "$d"
  done
}

# pull_fresh NAME ARGS...: pulls into an empty store of its own, $FRESH.
pull_fresh() {
  local name=$1
  shift
  FRESH=$BATS_TEST_TMPDIR/fresh-$name
  RCR_TEST_STORE=$FRESH rcr pull "$@"
}

# config_digest NAME: the image id a pull must report, as skopeo sees the registry.
config_digest() {
  registry_raw "$1" | jq -r .config.digest
}

# The manifest digest of one platform of the multiarch index.
platform_manifest() {
  registry_raw multiarch | jq -r --arg a "$1" '.manifests[] | select(.platform.architecture == $a) | .digest'
}

# images_json_names [STORE]: every name in the store's images.json, sorted.
images_json_names() {
  jq -r '.images[].names[]' "$(store_dir "${1:-}")/images.json" | sort
}

@test "pull alpine prints podman's progress lines and the image id" {
  want=$(config_digest alpine)
  layer=$(registry_raw alpine | jq -r '.layers[0].digest')
  rcr pull alpine
  assert_equal "$output" "${want#sha256:}"
  assert_contains "$stderr" "Trying to pull docker.io/library/alpine:latest..."
  assert_contains "$stderr" "Copying blob ${layer:7:12}"
  assert_contains "$stderr" "Copying config ${want:7:12}"
  assert_contains "$stderr" "Writing manifest to image destination"
  # recorded under its canonical name, with the layer extracted under its diff_id
  images_json_names | grep -qx docker.io/library/alpine:latest
  diff_id=$(registry_config alpine | jq -r '.rootfs.diff_ids[0]')
  [ -d "$(store_dir)/layers/${diff_id#sha256:}/diff" ]
  [ -x "$(store_dir)/layers/${diff_id#sha256:}/diff/bin/busybox" ]
}

@test "pull -q prints only the 64-hex image id" {
  rcr pull -q busybox
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  assert_equal "$output" "$(config_digest busybox | cut -d: -f2)"
  [ -z "$stderr" ]
  # busybox is the same image as alpine: one image, two names
  rcr pull -q alpine
  rcr images -q busybox
  assert_equal "$output" "$(config_digest alpine | cut -c8-19)"
  images_json_names | grep -qx docker.io/library/busybox:latest
}

@test "rcr image pull is rcr pull" {
  rcr image pull -q alpine
  assert_equal "$output" "$(config_digest alpine | cut -d: -f2)"
}

@test "the gzip, zstd and uncompressed variants each extract into a fresh store" {
  diff_id=$(registry_config alpine | jq -r '.rootfs.diff_ids[0]')
  want=$(sorted_expect multilayer | grep -E $'^/(bin|sbin|etc/passwd|etc/group)(/|\t)')
  [ "$(wc -l <<<"$want")" -gt 100 ]
  for v in gzip zstd plain; do
    blob=$(registry_raw "alpine-$v" | jq -r '.layers[0].digest')
    pull_fresh "$v" "alpine-$v"
    assert_equal "$output" "$(config_digest "alpine-$v" | cut -d: -f2)"
    assert_contains "$stderr" "Copying blob ${blob:7:12} done"
    # the same uncompressed tar whatever the compression: same diff_id, same files
    [ "$(registry_config "alpine-$v" | jq -r '.rootfs.diff_ids[0]')" = "$diff_id" ]
    [ "$(layer_count "$FRESH")" -eq 1 ]
    layer=$(store_dir "$FRESH")/layers/${diff_id#sha256:}/diff
    [ -d "$layer" ]
    RCR_TEST_STORE=$FRESH rcr unshare bash -c "$(declare -f tree_list); tree_list \"\$1\"" _ "$layer"
    got=$(grep -E $'^/(bin|sbin|etc/passwd|etc/group)(/|\t)' <<<"$output")
    if [ "$got" != "$want" ]; then
      diff <(echo "$want") <(echo "$got") >&2
      return 1
    fi
  done
}

@test "pull multilayer stores all five layers" {
  want=$(config_digest multilayer)
  rcr pull multilayer
  assert_equal "$output" "${want#sha256:}"
  for layer in $(registry_raw multilayer | jq -r '.layers[].digest'); do
    assert_contains "$stderr" "Copying blob ${layer:7:12}"
  done
  for d in $(registry_config multilayer | jq -r '.rootfs.diff_ids[]'); do
    [ -d "$(store_dir)/layers/${d#sha256:}/diff" ]
  done
  [ "$(jq --arg id "${want#sha256:}" '.images[] | select(.id == $id) | .layers | length' "$(store_dir)/images.json")" -eq 5 ]
}

@test "pull multiarch picks linux/amd64 by default" {
  manifest=$(platform_manifest amd64)
  want=$(skopeo inspect --tls-verify=false --raw "docker://$RCR_TEST_REGISTRY/library/multiarch@$manifest" | jq -r .config.digest)
  pull_fresh amd64 multiarch
  assert_equal "$output" "${want#sha256:}"
  RCR_TEST_STORE=$FRESH rcr image inspect --format '{{.Architecture}} {{.Os}}' multiarch
  assert_equal "$output" "amd64 linux"
  RCR_TEST_STORE=$FRESH rcr image inspect --format '{{.GraphDriver.Data.LowerDir}}' multiarch
  top=${output%%:*}
  # the top layer is owned by the user (image root), so the host reads it directly
  [ "$(cat "$top/etc/platform")" = linux/amd64 ]
}

@test "pull --platform linux/arm64 picks the arm64/v8 image" {
  manifest=$(platform_manifest arm64)
  want=$(skopeo inspect --tls-verify=false --raw "docker://$RCR_TEST_REGISTRY/library/multiarch@$manifest" | jq -r .config.digest)
  pull_fresh arm64 --platform linux/arm64 multiarch
  assert_equal "$output" "${want#sha256:}"
  RCR_TEST_STORE=$FRESH rcr image inspect --format '{{.Architecture}} {{.Os}} {{.Variant}}' multiarch
  assert_equal "$output" "arm64 linux v8"
  RCR_TEST_STORE=$FRESH rcr image inspect --format '{{.GraphDriver.Data.LowerDir}}' multiarch
  refute_contains "$output" ":"
  RCR_TEST_STORE=$FRESH rcr unshare cat "$output/etc/platform"
  assert_equal "$output" linux/arm64/v8
  # --arch/--variant say the same
  RCR_TEST_STORE=$FRESH rcr pull -q --arch arm64 --variant v8 multiarch
  assert_equal "$output" "${want#sha256:}"
}

@test "a platform the index lacks, or a malformed one, fails with 125" {
  rcr 125 pull --platform linux/s390x multiarch
  assert_contains "$stderr" "linux/s390x"
  assert_contains "$stderr" "linux/arm64/v8"
  rcr 125 pull --platform bogus multiarch
  assert_contains "$stderr" "invalid platform"
  rcr 125 pull --platform linux/arm64 --arch arm64 multiarch
  assert_contains "$stderr" "--platform cannot be used with"
}

@test "pull by digest fetches exactly that manifest" {
  digest=$(registry_digest alpine)
  want=$(config_digest alpine)
  pull_fresh digest -q "alpine@$digest"
  assert_equal "$output" "${want#sha256:}"
  RCR_TEST_STORE=$FRESH rcr images --format json
  jq -e --arg d "docker.io/library/alpine@$digest" 'any(.[0].RepoDigests[]; . == $d)' <<<"$output" >/dev/null
  RCR_TEST_STORE=$FRESH rcr image inspect --format '{{.Digest}}' "$want"
  assert_equal "$output" "$digest"
}

# BUG (rcr, at 6bc54d8): an image pulled by digest was stored without any name, so
# `rcr images` showed <none> <none>, it counted as dangling and `rcr image prune` deleted
# it. Podman stores the name docker.io/library/alpine@sha256:..., lists it as
# "docker.io/library/alpine <none>", keeps it on prune, and reports no RepoTags for it
# (a digest is not a tag).
@test "an image pulled by digest is listed under its repository and is not dangling" {
  digest=$(registry_digest alpine)
  pull_fresh digest-name -q "alpine@$digest"
  id=$output
  RCR_TEST_STORE=$FRESH rcr images --format '{{.Repository}} {{.Tag}}'
  assert_equal "$output" "docker.io/library/alpine <none>"
  RCR_TEST_STORE=$FRESH rcr images -q --filter dangling=true
  [ -z "$output" ]
  RCR_TEST_STORE=$FRESH rcr image prune -f
  RCR_TEST_STORE=$FRESH rcr images -q --no-trunc
  assert_equal "$output" "$id"
  RCR_TEST_STORE=$FRESH rcr images --format json
  assert_equal "$(jq -c '[.[0].RepoTags[] | select(contains("@"))]' <<<"$output")" "[]"
  RCR_TEST_STORE=$FRESH rcr image inspect "$id"
  assert_equal "$(jq -c '[.[0].RepoTags[] | select(contains("@"))]' <<<"$output")" "[]"
}

# BUG (rcr, at 6bc54d8): pulling by digest while another named image is stored crashed
# (SIGSEGV, exit 139): commit() in storage/pull.c called array_remove_string (names, NULL).
@test "pull by digest works when other images are stored" {
  digest=$(registry_digest alpine)
  pull_fresh digest-other -q multilayer
  RCR_TEST_STORE=$FRESH rcr pull -q "alpine@$digest"
  assert_equal "$output" "$(config_digest alpine | cut -d: -f2)"
  RCR_TEST_STORE=$FRESH rcr images --format '{{.Repository}}:{{.Tag}}'
  assert_contains "$output" "docker.io/library/multilayer:latest"
}

@test "a digest the registry does not have fails with 125 and stores nothing" {
  bad=sha256:$(printf 'no such manifest' | sha256sum | cut -d' ' -f1)
  pull_fresh wrongdigest -q busybox
  RCR_TEST_STORE=$FRESH rcr 125 pull "alpine@$bad"
  assert_contains "$stderr" "$bad"
  assert_contains "$stderr" "manifest unknown"
  RCR_TEST_STORE=$FRESH rcr images --format '{{.Repository}}'
  assert_equal "$output" docker.io/library/busybox
  [ -z "$(ls -A "$(store_dir "$FRESH")/staging")" ]
}

@test "pulling an image the registry does not have fails with 125 and a clear message" {
  pull_fresh missing -q alpine
  RCR_TEST_STORE=$FRESH rcr 125 pull nosuchimage
  assert_contains "$stderr" "Trying to pull docker.io/library/nosuchimage:latest..."
  assert_contains "$stderr" "Error: "
  assert_contains "$stderr" "nosuchimage"
  assert_contains "$stderr" "manifest unknown"
  # a registry's 404 is not a missing local file (rcr at 6bc54d8 appended strerror(ENOENT))
  refute_contains "$stderr" "No such file or directory"
  [ -z "$output" ]
  RCR_TEST_STORE=$FRESH rcr images --format '{{.Repository}}'
  assert_equal "$output" docker.io/library/alpine
  [ "$(layer_count "$FRESH")" -eq 1 ]
  [ -z "$(ls -A "$(store_dir "$FRESH")/staging")" ]
}

@test "bad references fail with 125 before any request and leave nothing behind" {
  pull_fresh badref -q alpine
  before=$(cat "$(store_dir "$FRESH")/images.json")
  for ref in Alpine docker.io/library/Alpine sha256:../x 'alpine@sha256:../x' ../x 'alpine:bad/tag' \
    'al pine' 'alpine@sha256:abc' 'alpine:-tag'; do
    RCR_TEST_STORE=$FRESH rcr 125 pull "$ref"
    assert_contains "$stderr" "invalid reference"
    # refused while parsing: no source was tried
    refute_contains "$stderr" "Trying to pull"
    [ -z "$output" ]
  done
  RCR_TEST_STORE=$FRESH rcr 125 pull Alpine
  assert_contains "$stderr" "must be lowercase"
  RCR_TEST_STORE=$FRESH rcr 125 pull 'alpine@sha256:../x'
  assert_contains "$stderr" "bad digest"
  [ "$(cat "$(store_dir "$FRESH")/images.json")" = "$before" ]
  [ -z "$(ls -A "$(store_dir "$FRESH")/staging")" ]
  [ "$(layer_count "$FRESH")" -eq 1 ]
}

@test "pull without an image or with two exits 125 with usage" {
  rcr 125 pull
  assert_contains "$stderr" "requires exactly one image name"
  assert_contains "$stderr" "rcr pull --help"
  rcr 125 pull alpine busybox
  assert_contains "$stderr" "requires exactly one image name"
  rcr 125 pull --no-such-flag alpine
  assert_contains "$stderr" "unknown flag: --no-such-flag"
  rcr pull --help
  assert_contains "$output" "rcr pull"
  assert_contains "$output" "--platform"
}

@test "the registry's own address works, and --tls-verify refuses its plain http" {
  pull_fresh direct -q "$RCR_TEST_REGISTRY/library/alpine"
  assert_equal "$output" "$(config_digest alpine | cut -d: -f2)"
  images_json_names "$FRESH" | grep -qx "$RCR_TEST_REGISTRY/library/alpine:latest"
  RCR_TEST_STORE=$FRESH rcr pull -q --tls-verify=false "$RCR_TEST_REGISTRY/library/busybox"
  # forcing TLS against a plain-http registry must fail, not fall back to http
  RCR_TEST_STORE=$FRESH rcr 125 pull --tls-verify "$RCR_TEST_REGISTRY/library/multilayer"
  assert_contains "$stderr" "https://$RCR_TEST_REGISTRY/v2/"
  RCR_TEST_STORE=$FRESH rcr images --format '{{.Repository}}' "$RCR_TEST_REGISTRY/library/multilayer"
  [ -z "$output" ]
}

@test "the default store is \$HOME/.local/share/rcr/storage" {
  # no RCR_TEST_STORE: rcr's own default location
  USED_DEFAULT_STORE=1
  RCR_TEST_STORE= rcr pull -q alpine
  id=$output
  default=${XDG_DATA_HOME:-$HOME/.local/share}/rcr/storage
  jq -e --arg id "$id" '.images[] | select(.id == $id) | any(.names[]; . == "docker.io/library/alpine:latest")' \
    "$default/images.json" >/dev/null
  RCR_TEST_STORE= rcr rmi alpine
  assert_contains "$output" "Untagged: docker.io/library/alpine:latest"
  [ "$(jq '[.images[].names[] | select(. == "docker.io/library/alpine:latest")] | length' "$default/images.json")" -eq 0 ]
}

@test "files keep their image owners, shifted into the user's subordinate range on the host" {
  rcr pull -q multilayer
  rcr image inspect --format '{{.GraphDriver.Data.LowerDir}}' multilayer
  layer=
  for d in ${output//:/ }; do
    [ -e "$d/data/owned-tester" ] && layer=$d
  done
  [ -n "$layer" ]
  uid0=$(subid_start /etc/subuid)
  gid0=$(subid_start /etc/subgid)
  # container 0 is the user, container 1 the first subordinate id
  [ "$(stat -c %u:%g "$layer/data/owned-tester")" = "$((uid0 + 999)):$((gid0 + 999))" ]
  [ "$(stat -c %u:%g "$layer/data/owned-nobody")" = "$((uid0 + 65533)):$((gid0 + 65533))" ]
  [ "$(stat -c %u:%g:%a "$layer/usr/local/bin/suid-tool")" = "$(id -u):$(id -g):4755" ]
  [ "$(stat -c %a "$layer/scratch")" = 1777 ]
  # inside the user namespace they are the image's ids again
  rcr unshare stat -c '%n %u:%g %a' "$layer/data/owned-tester" "$layer/data/owned-nobody" \
    "$layer/usr/local/bin/suid-tool" "$layer/home/tester/.profile"
  assert_equal "${lines[0]}" "$layer/data/owned-tester 1000:1000 644"
  assert_equal "${lines[1]}" "$layer/data/owned-nobody 65534:65534 640"
  assert_equal "${lines[2]}" "$layer/usr/local/bin/suid-tool 0:0 4755"
  assert_equal "${lines[3]}" "$layer/home/tester/.profile 1000:1000 644"
}

@test "the stored layers mounted with kernel overlay give exactly the image's tree" {
  rcr pull -q multilayer
  rcr image inspect --format '{{.GraphDriver.Data.LowerDir}}' multilayer
  lower=$output
  [ "$(tr ':' '\n' <<<"$lower" | wc -l)" -eq 5 ]
  mnt=$BATS_TEST_TMPDIR/merged
  mkdir "$mnt"
  # in the private mount namespace of rcr unshare: nothing is mounted on the host
  rcr unshare bash -c "$(declare -f tree_list)"'
    set -e
    mount -t overlay overlay -o "lowerdir=$1,userxattr" "$2"
    tree_list "$2"
    umount "$2"' _ "$lower" "$mnt"
  got=$output
  want=$(sorted_expect multilayer)
  if [ "$got" != "$want" ]; then
    diff <(echo "$want") <(echo "$got") >&2
    return 1
  fi
  # spelled out: the whiteouts and the opaque directory took effect
  refute_contains "$got" $'/etc/motd\t'
  refute_contains "$got" /opt/gone
  [ "$(grep -c '^/opt/old/' <<<"$got")" -eq 1 ]
  grep -q $'^/opt/old/new.txt\tfile\t0644\t0\t0\t' <<<"$got"
  grep -q $'^/data\tdir\t0775\t0\t1000\t-$' <<<"$got"
  run ! grep -q " $mnt " /proc/self/mountinfo
}

@test "a re-pull transfers no blob and leaves the store's blobs and layers untouched" {
  rcr pull -q alpine
  rcr pull -q multilayer
  # layers: the very same inodes; blobs (manifests and configs, rewritten atomically by
  # each pull): the same names and contents
  snapshot() {
    rcr unshare find "$(store_dir)/layers" -printf '%p %i %y %m %U %G %s %T@\n'
    sort <<<"$output"
    (cd "$(store_dir)/blobs" && find . -type f -exec sha256sum {} + | sort)
  }
  before=$(snapshot)
  for image in alpine multilayer; do
    rcr pull "$image"
    copying=$(grep '^Copying ' <<<"$stderr")
    n_layers=$(registry_raw "$image" | jq '.layers | length')
    # one line per layer plus the config, each skipped
    [ "$(wc -l <<<"$copying")" -eq $((n_layers + 1)) ]
    [ "$(grep -c 'skipped: already exists$' <<<"$copying")" -eq $((n_layers + 1)) ]
  done
  [ "$(snapshot)" = "$before" ]
  # every blob is stored under its own digest
  for f in "$(store_dir)"/blobs/sha256/*; do
    [ "sha256:$(sha256sum <"$f" | cut -d' ' -f1)" = "sha256:$(basename "$f")" ]
  done
}

@test "a layer shared by several images is stored once" {
  base=$(registry_raw alpine | jq -r '.layers[0].digest')
  pull_fresh shared -q alpine
  [ "$(layer_count "$FRESH")" -eq 1 ]
  RCR_TEST_STORE=$FRESH rcr pull multilayer
  # multilayer's bottom layer is alpine's
  assert_contains "$stderr" "Copying blob ${base:7:12} skipped: already exists"
  [ "$(layer_count "$FRESH")" -eq 5 ]
  RCR_TEST_STORE=$FRESH rcr pull multiarch
  assert_contains "$stderr" "Copying blob ${base:7:12} skipped: already exists"
  [ "$(layer_count "$FRESH")" -eq 6 ]
  # removing one image keeps the layers the others use
  RCR_TEST_STORE=$FRESH rcr rmi multilayer
  [ "$(layer_count "$FRESH")" -eq 2 ]
  RCR_TEST_STORE=$FRESH rcr rmi alpine multiarch
  [ "$(layer_count "$FRESH")" -eq 0 ]
}
