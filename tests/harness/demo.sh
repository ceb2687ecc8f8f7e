#!/usr/bin/env bash
# `make demo`: build rcr and run the main job as an unprivileged user.
# The main job today: `rcr run --rm alpine echo hello` (pulled first, so the pull shows);
# resource limits are not there yet, and the demo says so. Run as root it sets up the test user, the local registry and the fixtures;
# run as a normal user it uses that user and their own registries.conf.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
. tests/harness/lib.sh

make -s all

demo_as_user() {
  local rcr=$1
  echo "\$ rcr --version"
  "$rcr" --version
  echo
  echo "\$ rcr info --format '{{.Host.CgroupVersion}} {{.Store.GraphDriverName}}'"
  "$rcr" info --format '{{.Host.CgroupVersion}} {{.Store.GraphDriverName}}'
  echo
  echo "\$ rcr pull alpine"
  "$rcr" pull alpine
  echo
  echo "\$ rcr images"
  "$rcr" images
  echo
  echo "\$ rcr run --rm alpine echo hello"
  "$rcr" run --rm alpine echo hello
  echo
  echo "Not yet available: resource limits ('rcr run --rm --memory 256m alpine ...') and slirp networking (see README.md, Commands)."
}

if [ "$(id -u)" -ne 0 ]; then
  demo_as_user "$SRC/bin/rcr"
  exit 0
fi

WORK=
cleanup() {
  stop_registry
  [ -n "$WORK" ] && rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT INT TERM

tests/harness/install-deps.sh all
setup_test_user
WORK=$(mktemp -d /var/tmp/rcr-demo.XXXXXX)
chmod 0755 "$WORK"
cp -a bin "$WORK/bin"
chmod -R a+rX "$WORK/bin"
mkdir -m 0700 "$WORK/registry" "$WORK/fixtures"
# The real docker.io when it answers (its /v2/ says 401 to an anonymous client); otherwise
# the local registry serves the busybox-built stand-in image under docker.io's names.
start_registry "$WORK/registry"
push_fixtures "$SRC" "$WORK/fixtures" >/dev/null
if [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null || true)" = 401 ]; then
  echo "== docker.io is reachable: pulling from it"
  export RCR_USE_DOCKER_IO=1
else
  echo "== docker.io is not reachable: the local registry stands in for it"
fi
write_registries_conf
echo "== running as $RCR_TEST_USER (uid $RCR_TEST_UID)"
as_test_user bash -c "$(declare -f demo_as_user); demo_as_user $WORK/bin/rcr"
