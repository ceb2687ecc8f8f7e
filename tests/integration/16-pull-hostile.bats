#!/usr/bin/env bats
# A scripted hostile registry (tests/fixtures/hostile-registry.py) against rcr pull:
# every bad input is refused with exit 125, nothing is recorded, and nothing is written
# outside the store. Plus SIGKILL at many moments of a pull: the store stays consistent.

load helpers

setup_file() {
  export HOSTILE_DIR=$BATS_FILE_TMPDIR/hostile
  mkdir -p "$HOSTILE_DIR"
  export HOSTILE_TOKEN=t$$x$RANDOM
  python3 "$BATS_TEST_DIRNAME/../fixtures/hostile-registry.py" --port-file "$HOSTILE_DIR/port" \
    --log "$HOSTILE_DIR/log" --bomb-gib 1 --slow-bps 4096 --oversize-mib 8 --token "$HOSTILE_TOKEN" \
    >"$HOSTILE_DIR/out" 2>&1 &
  echo $! >"$HOSTILE_DIR/pid"
  for _ in $(seq 1 200); do
    [ -s "$HOSTILE_DIR/port" ] && break
    sleep 0.05
  done
  [ -s "$HOSTILE_DIR/port" ] || { cat "$HOSTILE_DIR/out" >&2; return 1; }
  export HOSTILE=127.0.0.1:$(cat "$HOSTILE_DIR/port")
}

teardown_file() {
  local pid
  pid=$(cat "$HOSTILE_DIR/pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Each test gets its own empty store.
setup() {
  ROOT=$BATS_TEST_TMPDIR/root
  RUN=$BATS_TEST_TMPDIR/run
  STORE=$ROOT/storage
}

teardown() {
  # files owned by subordinate ids go through the user namespace
  [ -d "$ROOT" ] && "$RCR_BIN" --root "$ROOT" --runroot "$RUN" unshare rm -rf "$ROOT" "$RUN" || true
}

hrcr() {
  local expect=0
  if [[ ${1:-} =~ ^[0-9]+$ ]]; then
    expect=$1
    shift
  fi
  rcr "$expect" --root "$ROOT" --runroot "$RUN" "$@"
}

# nothing recorded: no image, no layer, no staging leftovers
assert_nothing_stored() {
  hrcr images -q
  [ -z "$output" ]
  [ -z "$(ls -A "$STORE/layers" 2>/dev/null)" ]
  [ -z "$(ls -A "$STORE/staging" 2>/dev/null)" ]
}

pull_fails() {
  local scenario=$1 pattern=$2
  hrcr 125 pull --tls-verify=false "$HOSTILE/hostile/$scenario:latest"
  if ! grep -qiE "$pattern" <<<"$stderr"; then
    echo "expected /$pattern/ in: $stderr" >&2
    return 1
  fi
  assert_nothing_stored
}

@test "the hostile registry's good image pulls (the client is not simply refusing it)" {
  hrcr pull --tls-verify=false "$HOSTILE/hostile/good:latest"
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  hrcr images -q
  [ -n "$output" ]
}

@test "a blob whose content does not match its digest is refused" {
  pull_fails wrong-digest "content has digest"
}

@test "a blob longer than its descriptor says is refused" {
  pull_fails wrong-size "more than the declared"
}

@test "a registry streaming past the declared size is cut off" {
  pull_fails oversize-blob "more than the declared"
  # rcr stopped reading long before the 8 MiB of junk were sent
  run du -sk "$ROOT"
  [ "${output%%[[:space:]]*}" -lt 2048 ]
}

@test "layers that do not match the config's diff_ids are refused" {
  pull_fails bad-diffid "diff|uncompressed content has digest"
}

@test "path traversal, absolute paths, symlink write-through and outside hardlinks are refused (CVE-2018-15664 / zip-slip class)" {
  pull_fails traversal "layer|path|link|escape|outside"
  # no marker file exists anywhere we could have written
  hits=$(find /tmp "$HOME" "$BATS_TEST_TMPDIR" -xdev -name "*$HOSTILE_TOKEN*" -print 2>/dev/null || true)
  echo "found: $hits" >&2
  [ -z "$hits" ]
}

@test "whiteouts naming paths outside the layer are refused and delete nothing" {
  for v in rel dotdot abs; do
    echo keep >"/tmp/victim-$v-$HOSTILE_TOKEN"
  done
  hrcr 125 pull --tls-verify=false "$HOSTILE/hostile/whiteout-escape:latest"
  for v in rel dotdot abs; do
    [ "$(cat "/tmp/victim-$v-$HOSTILE_TOKEN")" = keep ]
    rm -f "/tmp/victim-$v-$HOSTILE_TOKEN"
  done
  assert_nothing_stored
  hits=$(find /tmp "$HOME" -xdev -name ".wh.*$HOSTILE_TOKEN*" -print 2>/dev/null || true)
  [ -z "$hits" ]
}

@test "a decompression bomb stops at the uncompressed-size limit" {
  RCR_LAYER_MAX_BYTES=67108864 hrcr 125 pull --tls-verify=false "$HOSTILE/hostile/bomb:latest"
  assert_contains "$stderr" "exceeds"
  assert_nothing_stored
}

@test "a manifest served as another media type is refused" {
  pull_fails manifest-is-index "served as"
  pull_fails index-is-manifest "served as"
}

@test "an unknown layer media type is refused" {
  pull_fails bad-mediatype "unsupported media type"
}

@test "an oversized manifest and an oversized config are refused" {
  pull_fails huge-manifest "larger than|exceeds"
  pull_fails huge-config "exceeds"
}

@test "a manifest whose digest does not match is refused" {
  pull_fails digest-mismatch-manifest "digest"
  digest=$(curl -sS --max-time 10 -I "http://$HOSTILE/v2/hostile/digest-mismatch-manifest/manifests/latest" |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
  [ -n "$digest" ]
  hrcr 125 pull --tls-verify=false "$HOSTILE/hostile/digest-mismatch-manifest@$digest"
  assert_contains "$stderr" "digest"
}

@test "a truncated blob is refused" {
  pull_fails truncated-blob "transfer closed|received|partial|bytes"
}

@test "a 401 loop ends after a bounded number of token requests" {
  port=$(curl -sS --max-time 10 "http://$HOSTILE/ports" | jq -r '."401-loop"')
  [[ $port =~ ^[0-9]+$ ]]
  before=$(curl -sS --max-time 10 "http://$HOSTILE/token-count")
  hrcr 125 pull --tls-verify=false "127.0.0.1:$port/hostile/401-loop:latest"
  assert_contains "$stderr" "authentication required"
  after=$(curl -sS --max-time 10 "http://$HOSTILE/token-count")
  [ $((after - before)) -ge 1 ]
  [ $((after - before)) -le 3 ]
  assert_nothing_stored
}

@test "the Bearer token flow works" {
  port=$(curl -sS --max-time 10 "http://$HOSTILE/ports" | jq -r '.bearer')
  hrcr pull --tls-verify=false "127.0.0.1:$port/hostile/bearer:latest"
  [[ $output =~ ^[0-9a-f]{64}$ ]]
}

@test "Authorization is not sent to another host after a redirect" {
  port=$(curl -sS --max-time 10 "http://$HOSTILE/ports" | jq -r '.basic')
  curl -sS --max-time 10 "http://$HOSTILE/reset" >/dev/null
  hrcr pull --tls-verify=false --creds user:pass "127.0.0.1:$port/hostile/redirect-other-host:latest"
  log=$(curl -sS --max-time 10 "http://$HOSTILE/redirect-log")
  [ "$(jq 'length' <<<"$log")" -ge 1 ]
  [ "$(jq '[.[] | select(.authorization)] | length' <<<"$log")" = 0 ]
}

@test "wrong credentials are refused with a clear error" {
  port=$(curl -sS --max-time 10 "http://$HOSTILE/ports" | jq -r '.basic')
  hrcr 125 pull --tls-verify=false --creds user:wrong "127.0.0.1:$port/hostile/redirect-other-host:latest"
  assert_contains "$stderr" "invalid username or password"
  assert_nothing_stored
}

# A consistent store: every image's layers are complete, nothing is half-written.
assert_store_consistent() {
  local images layer
  [ -f "$STORE/images.json" ] || return 0
  jq -e . "$STORE/images.json" >/dev/null
  images=$(jq -r '.images[].layers[]' "$STORE/images.json")
  for layer in $images; do
    [ -f "$STORE/layers/${layer#sha256:}/layer.json" ] || { echo "missing layer $layer" >&2; return 1; }
  done
  for blob in $(jq -r '.images[] | .manifestDigest, .configDigest' "$STORE/images.json"); do
    [ "$(sha256sum "$STORE/blobs/sha256/${blob#sha256:}" | cut -d' ' -f1)" = "${blob#sha256:}" ] ||
      { echo "bad blob $blob" >&2; return 1; }
  done
}

@test "SIGKILL at 10 moments of a pull leaves a consistent store; the next pull succeeds" {
  require_registry
  local delays="0.005 0.01 0.02 0.04 0.06 0.08 0.1 0.15 0.2 0.3"
  for d in $delays; do
    "$RCR_BIN" --root "$ROOT" --runroot "$RUN" pull -q multilayer >/dev/null 2>&1 &
    pid=$!
    sleep "$d"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    assert_store_consistent
    # the image is either fully there or not there at all
    if "$RCR_BIN" --root "$ROOT" --runroot "$RUN" images -q | grep -q .; then
      "$RCR_BIN" --root "$ROOT" --runroot "$RUN" rmi -a >/dev/null
    fi
  done
  # and during a slow download from the hostile registry
  "$RCR_BIN" --root "$ROOT" --runroot "$RUN" pull -q --tls-verify=false "$HOSTILE/hostile/slow:latest" >/dev/null 2>&1 &
  pid=$!
  sleep 1
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  assert_store_consistent

  hrcr pull -q multilayer
  assert_store_consistent
  # the dead pulls' staging directories were collected
  [ -z "$(ls -A "$STORE/staging")" ]
  hrcr image inspect multilayer --format '{{.Config.WorkingDir}}'
  [ "$output" = /work ]
}
