# Loaded by every bats file: `load helpers`.
# The suite runs as the unprivileged test user; tests/harness/check.sh sets RCR_BIN,
# RCR_TEST_REGISTRY and RCR_TEST_STRICT. Run by hand: RCR_BIN=bin/rcr bats tests/integration

bats_require_minimum_version 1.5.0

RCR_BIN=${RCR_BIN:-$BATS_TEST_DIRNAME/../../bin/rcr}
RCR_TIMEOUT=${RCR_TIMEOUT:-60}

# Environment limits a skip may name under RCR_TEST_STRICT=1 (see run-integration.sh).
RCR_ENV_LIMITS="no-cgroup-v2-delegation no-registry no-podman"

# rcr [EXPECTED_STATUS] ARGS...: runs bin/rcr under a timeout with stdout in $output and
# stderr in $stderr; fails the test unless it exits with EXPECTED_STATUS (default 0).
rcr() {
  local expect=0
  if [[ ${1:-} =~ ^[0-9]+$ ]]; then
    expect=$1
    shift
  fi
  # run --separate-stderr keeps stderr under the test's tmpdir; setup_file and
  # teardown_file have only the file's
  local BATS_TEST_TMPDIR=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}
  # RCR_TEST_STORE=DIR (see use_file_store) points the call at a private store under DIR.
  local store=()
  if [ -n "${RCR_TEST_STORE:-}" ]; then
    store=(--root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run")
  fi
  run --separate-stderr timeout --kill-after=5 "$RCR_TIMEOUT" "$RCR_BIN" "${store[@]}" "$@"
  if [ "$status" -ne "$expect" ]; then
    echo "rcr $*: exit status $status, expected $expect" >&2
    echo "stdout: $output" >&2
    echo "stderr: $stderr" >&2
    return 1
  fi
}

# skip_env NAME WHY: skips for a named environment limit; anything else is a failure.
skip_env() {
  local name=$1
  shift
  case " $RCR_ENV_LIMITS " in
    *" $name "*) skip "env: $name: $*" ;;
    *) echo "skip_env: unknown environment limit '$name'" >&2; return 1 ;;
  esac
}

require_registry() {
  [ -n "${RCR_TEST_REGISTRY:-}" ] || skip_env no-registry "RCR_TEST_REGISTRY is not set (run through make check)"
}

# assert_contains HAYSTACK NEEDLE
assert_contains() {
  if [[ "$1" != *"$2"* ]]; then
    echo "expected to find: $2" >&2
    echo "in: $1" >&2
    return 1
  fi
}

# refute_contains HAYSTACK NEEDLE
refute_contains() {
  if [[ "$1" == *"$2"* ]]; then
    echo "expected not to find: $2" >&2
    echo "in: $1" >&2
    return 1
  fi
}

# assert_equal ACTUAL EXPECTED
assert_equal() {
  if [ "$1" != "$2" ]; then
    echo "expected: $2" >&2
    echo "actual:   $1" >&2
    return 1
  fi
}

# json_get JSON FILTER: jq -r on a string
json_get() {
  jq -r "$2" <<<"$1"
}

# rcr_stdin INPUT [EXPECTED_STATUS] ARGS...: rcr with INPUT (and a newline) on stdin.
rcr_stdin() {
  local input=$1
  shift
  rcr "$@" <<<"$input"
}

# ---- image stores ----

# use_file_store: from setup_file, makes every rcr call of the file use an empty store of
# its own under $BATS_FILE_TMPDIR; remove it with remove_store "$RCR_TEST_STORE" in
# teardown_file. A test can point one call elsewhere: RCR_TEST_STORE=DIR rcr ...
use_file_store() {
  export RCR_TEST_STORE=$BATS_FILE_TMPDIR/store
  mkdir -p "$RCR_TEST_STORE"
}

# The storage directory (images.json, layers/, blobs/) of the store DIR (default: the
# file's store, else the user's default one).
store_dir() {
  local dir=${1:-${RCR_TEST_STORE:-}}
  if [ -n "$dir" ]; then
    echo "$dir/root/storage"
  else
    echo "${XDG_DATA_HOME:-$HOME/.local/share}/rcr/storage"
  fi
}

# remove_store DIR: deletes a store made through RCR_TEST_STORE. Its layers hold files owned
# by subordinate ids, which only the user namespace may delete.
remove_store() {
  local dir=$1
  [ -e "$dir" ] || return 0
  RCR_TEST_STORE= rcr unshare rm -rf -- "$dir"
  [ ! -e "$dir" ]
}

# layer_count [DIR]: the number of extracted layers in a store.
layer_count() {
  local d
  d=$(store_dir "${1:-}")/layers
  find "$d" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l
}

# ---- the registry, seen by an independent client ----

# registry_raw NAME[:TAG]: the manifest (or index) the test registry serves, via skopeo.
registry_raw() {
  local ref=$1
  [[ $ref == *:* ]] || ref=$ref:latest
  skopeo inspect --tls-verify=false --raw "docker://$RCR_TEST_REGISTRY/library/$ref"
}

# registry_digest NAME[:TAG]: the digest of what the tag names (manifest or index).
registry_digest() {
  local raw
  raw=$(registry_raw "$1") || return 1
  printf 'sha256:%s\n' "$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)"
}

# registry_config NAME[:TAG]: the image config of a single-platform image, via skopeo.
registry_config() {
  local ref=$1
  [[ $ref == *:* ]] || ref=$ref:latest
  skopeo inspect --tls-verify=false --config "docker://$RCR_TEST_REGISTRY/library/$ref"
}

# ---- ids and trees ----

# subid_start FILE: the first subordinate id of the current user in /etc/subuid or /etc/subgid.
subid_start() {
  grep -E "^($(id -un)|$(id -u)):[0-9]+:[0-9]+$" "$1" | head -n 1 | cut -d: -f2
}

# tree_list DIR: every path under DIR in the format of the fixtures' *.expect files,
# sorted: /path TYPE MODE UID GID EXTRA (tab-separated; EXTRA is sha256:HEX for files, the
# target for symlinks, "-" for directories). Run it inside `rcr unshare` to see image ids:
#   rcr unshare bash -c "$(declare -f tree_list); tree_list DIR"
tree_list() {
  local dir=$1 p t m u g l x
  (
    cd "$dir" || exit 1
    find . -mindepth 1 -printf '%P\t%y\t%m\t%U\t%G\t%l\n' | while IFS=$'\t' read -r p t m u g l; do
      case $t in
        d) t=dir x=- ;;
        f) t=file x=sha256:$(sha256sum <"$p" | cut -d' ' -f1) ;;
        l) t=symlink x=$l ;;
        *) t=other-$t x=- ;;
      esac
      printf '/%s\t%s\t%04d\t%s\t%s\t%s\n' "$p" "$t" "$m" "$u" "$g" "$x"
    done | LC_ALL=C sort
  )
}

# sorted_expect NAME: the fixture's NAME.expect, sorted as tree_list sorts.
sorted_expect() {
  LC_ALL=C sort "${RCR_FIXTURES:?RCR_FIXTURES must name the directory of the *.expect files}/$1.expect"
}

# ---- containers ----

# pid_gone PID: the process no longer runs (a zombie waiting for a reaper counts as gone)
pid_gone() {
  local state
  state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
  [ "$state" = Z ]
}

# wait_until TRIES DELAY CMD...: runs CMD until it succeeds, at most TRIES times DELAY
# seconds apart; fails when it never did.
wait_until() {
  local tries=$1 delay=$2 i
  shift 2
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep "$delay"
  done
  echo "wait_until: '$*' did not succeed after $tries tries" >&2
  return 1
}

# container_procs: the pids of processes in another user namespace (a container's) that
# run as us or as one of our subordinate uids (a container user other than root), zombies
# excepted.
container_procs() {
  local uid my_ns p pid ns state owner range first=-1 count=0
  uid=$(id -u)
  my_ns=$(readlink /proc/self/ns/user)
  range=$(grep -E "^($(id -un)|$uid):[0-9]+:[0-9]+$" /etc/subuid 2>/dev/null | head -n 1)
  if [ -n "$range" ]; then
    first=$(cut -d: -f2 <<<"$range")
    count=$(cut -d: -f3 <<<"$range")
  fi
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    owner=$(stat -c %u "$p" 2>/dev/null) || continue
    [ "$owner" = "$uid" ] || { [ "$owner" -ge "$first" ] && [ "$owner" -lt $((first + count)) ]; } || continue
    state=$(sed 's/^.*) \(.\).*/\1/' "$p/stat" 2>/dev/null) || continue
    [ "$state" = Z ] && continue
    ns=$(readlink "$p/ns/user" 2>/dev/null) || continue
    [ "$ns" != "$my_ns" ] && echo "$pid"
  done
  return 0
}

# push_derived_image NAME: alpine from the test registry plus one layer described on
# stdin, pushed with skopeo (an independent client) as $RCR_TEST_REGISTRY/test/NAME:latest;
# prints that reference. One line per entry, fields separated by single spaces:
#   dir PATH [OCTAL-MODE]      symlink PATH TARGET      file PATH TEXT...
#   config KEY JSON-VALUE      (sets the image config's KEY, e.g. config WorkingDir "/w")
push_derived_image() {
  local name=$1 dir
  dir=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/image-$name.XXXXXX")
  cat >"$dir.spec"
  skopeo copy --quiet --src-tls-verify=false "docker://$RCR_TEST_REGISTRY/library/alpine:latest" "oci:$dir:latest" ||
    return 1
  python3 - "$dir" "$dir.spec" <<'PY' || return 1
import gzip, hashlib, io, json, os, sys, tarfile

layout = sys.argv[1]
def blob_path(digest):
    return os.path.join(layout, "blobs", *digest.split(":"))
def read_blob(digest):
    with open(blob_path(digest), "rb") as fh:
        return fh.read()
def write_blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(digest), "wb") as fh:
        fh.write(data)
    return digest, len(data)

entries, config = [], {}
for line in open(sys.argv[2]).read().splitlines():
    if not line.strip():
        continue
    kind, rest = line.split(" ", 1)
    if kind == "config":
        key, value = rest.split(" ", 1)
        config[key] = json.loads(value)
    else:
        entries.append((kind, rest))

raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for kind, rest in entries:
        if kind == "dir":
            parts = rest.split(" ")
            ti = tarfile.TarInfo(parts[0].lstrip("/"))
            ti.type, ti.mode = tarfile.DIRTYPE, int(parts[1], 8) if len(parts) > 1 else 0o755
            tar.addfile(ti)
        elif kind == "symlink":
            path, target = rest.split(" ", 1)
            ti = tarfile.TarInfo(path.lstrip("/"))
            ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
            tar.addfile(ti)
        elif kind == "file":
            path, text = (rest.split(" ", 1) + [""])[:2]
            data = (text + "\n").encode()
            ti = tarfile.TarInfo(path.lstrip("/"))
            ti.size, ti.mode = len(data), 0o644
            tar.addfile(ti, io.BytesIO(data))
        else:
            sys.exit(f"push_derived_image: unknown entry kind {kind!r}")
tar_bytes = raw.getvalue()
gz = io.BytesIO()
with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
    g.write(tar_bytes)
layer_digest, layer_size = write_blob(gz.getvalue())

index = json.loads(open(os.path.join(layout, "index.json")).read())
mdesc = index["manifests"][0]
manifest = json.loads(read_blob(mdesc["digest"]))
cfg = json.loads(read_blob(manifest["config"]["digest"]))
cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
cfg.setdefault("history", []).append({"created_by": "rcr test: derived layer"})
cfg["config"].update(config)
cdigest, csize = write_blob(json.dumps(cfg).encode())
manifest["config"]["digest"], manifest["config"]["size"] = cdigest, csize
manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                           "digest": layer_digest, "size": layer_size})
mdigest, msize = write_blob(json.dumps(manifest).encode())
mdesc["digest"], mdesc["size"] = mdigest, msize
with open(os.path.join(layout, "index.json"), "w") as fh:
    json.dump(index, fh)
PY
  skopeo copy --quiet --dest-tls-verify=false "oci:$dir:latest" "docker://$RCR_TEST_REGISTRY/test/$name:latest" ||
    return 1
  rm -rf "$dir" "$dir.spec"
  echo "$RCR_TEST_REGISTRY/test/$name:latest"
}
