#!/usr/bin/env bash
# Shared pieces of `make check` and `make demo` (run as root): the unprivileged test user,
# the local registry, the fixture images and the user's registries.conf.
# Sourced, not run. Every function is idempotent.

RCR_TEST_USER=${RCR_TEST_USER:-rcr-test}

log() { printf '== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Creates the test user with subordinate id ranges and an XDG runtime dir; also relaxes
# /dev/fuse and /dev/net/tun to 0666 as workstation distributions ship them.
setup_test_user() {
  local user=$RCR_TEST_USER uid
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$user"
  fi
  uid=$(id -u "$user")
  ensure_subid_range /etc/subuid "$user" --add-subuids
  ensure_subid_range /etc/subgid "$user" --add-subgids
  install -d -m 0700 -o "$user" -g "$(id -gn "$user")" "/run/user/$uid"
  local dev
  for dev in /dev/fuse /dev/net/tun; do
    if [ -c "$dev" ] && [ "$(stat -c %a "$dev")" != 666 ]; then
      chmod 0666 "$dev"
    fi
  done
  RCR_TEST_UID=$uid
  RCR_TEST_HOME=$(getent passwd "$user" | cut -d: -f6)
}

# The second test user (RCR_TEST_USER set to it): no subordinate ids at all, for the
# single-id fallback. useradd may have given it ranges; they are taken away.
setup_nosubid_user() {
  local user=$RCR_TEST_USER uid
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$user"
  fi
  uid=$(id -u "$user")
  local file
  for file in /etc/subuid /etc/subgid; do
    if grep -qE "^($user|$uid):" "$file"; then
      sed -i -E "/^($user|$uid):/d" "$file"
    fi
  done
  install -d -m 0700 -o "$user" -g "$(id -gn "$user")" "/run/user/$uid"
  RCR_TEST_UID=$uid
  RCR_TEST_HOME=$(getent passwd "$user" | cut -d: -f6)
}

# Adds a 65536-id range after the highest range in use when the user has none.
ensure_subid_range() {
  local file=$1 user=$2 flag=$3 uid start
  uid=$(id -u "$user")
  touch "$file"
  if grep -qE "^($user|$uid):[0-9]+:[0-9]+$" "$file"; then
    return 0
  fi
  start=$(awk -F: 'BEGIN { m = 100000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }' "$file")
  usermod "$flag" "$start-$((start + 65535))" "$user"
}

# Removes what earlier runs left in the test user's rcr directories (never crossing a mount).
reset_test_user_state() {
  local uid=$RCR_TEST_UID home=$RCR_TEST_HOME
  rm -rf --one-file-system "$home/.local/share/rcr" "/run/user/$uid/rcr" "/tmp/rcr-$uid"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1 with its
# storage under $1; sets REGISTRY (host:port) and REGISTRY_PID.
start_registry() {
  launch_registry "$1" ""
  REGISTRY=$LAUNCHED_ADDR
  REGISTRY_PID=$LAUNCHED_PID
  log "registry up at $REGISTRY (pid $REGISTRY_PID)"
}

stop_registry() {
  stop_pid "${REGISTRY_PID:-}"
  REGISTRY_PID=
}

# Starts a second docker-registry that only answers with HTTP basic auth (an htpasswd file
# with one bcrypt entry), for the login tests; storage under $1. Sets AUTH_REGISTRY
# (host:port), AUTH_REGISTRY_PID and AUTH_REGISTRY_CREDS (user:password, a fresh password).
start_auth_registry() {
  local dir=$1 user=rcr-login pass
  pass=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  mkdir -p "$dir"
  # bcrypt is the only hash distribution's htpasswd accepts; cost 5 keeps each request fast.
  python3 -W ignore - "$user" "$pass" >"$dir/htpasswd" <<'PY'
import crypt, sys
h = crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))
if not h or not h.startswith("$2"):
    sys.exit("python3 crypt has no bcrypt ($2b$) support")
print(f"{sys.argv[1]}:{h}")
PY
  launch_registry "$dir" "auth:
  htpasswd:
    realm: rcr-test-login
    path: $dir/htpasswd" "$user:$pass"
  AUTH_REGISTRY=$LAUNCHED_ADDR
  AUTH_REGISTRY_PID=$LAUNCHED_PID
  AUTH_REGISTRY_CREDS=$user:$pass
  log "registry with htpasswd auth up at $AUTH_REGISTRY (pid $AUTH_REGISTRY_PID)"
}

stop_auth_registry() {
  stop_pid "${AUTH_REGISTRY_PID:-}"
  AUTH_REGISTRY_PID=
}

# Pushes the alpine layout (written by push_fixtures into $1/oci) to the auth registry as
# private/alpine:latest, with skopeo and the registry's credentials.
push_auth_fixture() {
  local dir=$1
  skopeo copy --quiet --dest-tls-verify=false --dest-creds "$AUTH_REGISTRY_CREDS" \
    "oci:$dir/oci/alpine:latest" "docker://$AUTH_REGISTRY/private/alpine:latest"
}

# launch_registry DIR AUTH_YAML [USER:PASSWORD]: runs docker-registry serve with its
# config, storage and log under DIR on a free loopback port and waits until /v2/ answers
# 200 (with the credentials, when given); sets LAUNCHED_ADDR and LAUNCHED_PID.
launch_registry() {
  local dir=$1 auth=$2 creds=${3:-} port i pid
  local curl_auth=()
  [ -z "$creds" ] || curl_auth=(-u "$creds")
  port=$(free_port)
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth
YAML
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  pid=$!
  LAUNCHED_PID=$pid
  LAUNCHED_ADDR=127.0.0.1:$port
  for i in $(seq 1 100); do
    if curl -fsS -o /dev/null "${curl_auth[@]}" "http://$LAUNCHED_ADDR/v2/" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$dir/registry.log" >&2
  stop_pid "$pid"
  die "docker-registry did not answer on $LAUNCHED_ADDR"
}

# Stops a process this script started, by pid.
stop_pid() {
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  fi
}

# Builds the OCI layouts from busybox-static and pushes them with skopeo, an independent
# client, so that no rcr code produced what rcr is tested against.
push_fixtures() {
  local src=$1 dir=$2
  python3 "$src/tests/fixtures/build-images.py" "$dir/oci" >"$dir/build-images.log"
  "$src/tests/fixtures/push.sh" "$dir/oci" "$REGISTRY"
}

# The test user's ~/.config/containers/registries.conf (podman's v2 format): docker.io is
# served by the local registry (prefix remapped, not mirrored: a mirror falls back to the
# real docker.io when it fails, and the tests must never reach past loopback), so
# `rcr run alpine` works literally and offline.
write_registries_conf() {
  local user=$RCR_TEST_USER home=$RCR_TEST_HOME group
  group=$(id -gn "$user")
  install -d -o "$user" -g "$group" -m 0755 "$home/.config" "$home/.config/containers"
  cat >"$home/.config/containers/registries.conf" <<TOML
# written by rcr's test harness$([ "${RCR_USE_DOCKER_IO:-0}" = 1 ] || echo ": docker.io is served by the local test registry")
unqualified-search-registries = ["docker.io"]

$(if [ "${RCR_USE_DOCKER_IO:-0}" != 1 ]; then printf '[[registry]]\nprefix = "docker.io"\nlocation = "%s"\ninsecure = true\n' "$REGISTRY"; fi)

[[registry]]
location = "$REGISTRY"
insecure = true
TOML
  if [ -n "${AUTH_REGISTRY:-}" ]; then
    cat >>"$home/.config/containers/registries.conf" <<TOML

# the login tests' registry (htpasswd auth, plain http)
[[registry]]
location = "$AUTH_REGISTRY"
insecure = true
TOML
  fi
  chown "$user:$group" "$home/.config/containers/registries.conf"
}

# Runs a command as the test user with a clean, explicit environment.
as_test_user() {
  runuser -u "$RCR_TEST_USER" -- env -i \
    HOME="$RCR_TEST_HOME" USER="$RCR_TEST_USER" LOGNAME="$RCR_TEST_USER" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    XDG_RUNTIME_DIR="/run/user/$RCR_TEST_UID" LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    RCR_TEST_REGISTRY="${REGISTRY:-}" RCR_TEST_STRICT="${RCR_TEST_STRICT:-0}" \
    RCR_TEST_AUTH_REGISTRY="${AUTH_REGISTRY:-}" RCR_TEST_AUTH_CREDS="${AUTH_REGISTRY_CREDS:-}" \
    RCR_BIN="${RCR_BIN:-}" RCR_TESTS="${RCR_TESTS:-}" RCR_FIXTURES="${RCR_FIXTURES:-}" \
    "$@"
}
