#!/usr/bin/env bash
# bench/run.sh: container start latency of rcr vs podman (runc) vs the bwrap floor, for a
# 2 MB and a 338 MB image, and the RSS of a detached container's monitor. Run as root; the
# containers run as the unprivileged test user.   RUNS=20 bench/run.sh
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
. bench/lib.sh
RUNS=${RUNS:-20}

[ "$(id -u)" -eq 0 ] || die "run bench/run.sh as root (it creates the test user and a registry)"
bench_need podman skopeo hyperfine jq docker-registry bwrap runc bc
make -s all
bench_build_big_image
bench_setup

SMALL=$REGISTRY/library/alpine:latest
BIG=$REGISTRY/bench/big:latest
R="$WORK/rcr --root $T/rcr --runroot $T/rcr-run"
P="podman --runtime runc --cgroup-manager cgroupfs --root $T/podman --runroot $T/podman-run --storage-driver overlay"
cleanup_stores() {
  as_test_user sh -c "$R unshare rm -rf $T/rcr $T/rcr-run; $P unshare sh -c 'umount -R $T/podman/overlay 2>/dev/null; rm -rf $T/podman $T/podman-run'" || true
  bench_stop_podman_pause
}
trap 'cleanup_stores; stop_registry; rm -rf --one-file-system "$WORK"' EXIT INT TERM

as_test_user sh -c "$R pull -q --tls-verify=false $SMALL >/dev/null && $R pull -q --tls-verify=false $BIG >/dev/null &&
  $P pull -q --tls-verify=false $SMALL >/dev/null && $P pull -q --tls-verify=false $BIG >/dev/null"

# The machine's speed drifts over minutes (a shared VM), so the runs are split into ROUNDS
# rounds that each time every command; the ratios are computed per round (commands timed
# seconds apart) and the median round is reported, with every round shown.
ROUNDS=${ROUNDS:-3}
per=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
log "start latency, $ROUNDS rounds of $per runs each (network none)"
: >"$WORK/rounds.txt"
for round in $(seq 1 "$ROUNDS"); do
  as_test_user bash -c "cd $T && hyperfine -N --style basic --warmup 3 --runs $per --export-json $T/run-$round.json \
    -n 'rcr small' '$R run --rm --network none $SMALL true' \
    -n 'rcr big' '$R run --rm --network none $BIG true' \
    -n 'podman small' '$P run --rm --network none $SMALL true' \
    -n 'podman big' '$P run --rm --network none $BIG true' \
    -n 'bwrap floor' 'bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc /bin/true'" >"$WORK/hyperfine.log" 2>&1 ||
    { cat "$WORK/hyperfine.log"; die "benchmark failed"; }
  jq -r '[(.results[] | {(.command): .mean}) ] | add | [."rcr small", ."rcr big", ."podman small", ."podman big", ."bwrap floor"] | @tsv' \
    "$T/run-$round.json" >>"$WORK/rounds.txt"
done
# columns: rcr small, rcr big, podman small, podman big, bwrap; the round with the median
# rcr/podman ratio gives every figure below
read -r rs rb ps_ pb bw < <(awk '{ print $1 / $3, $0 }' "$WORK/rounds.txt" | sort -g |
  awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $2, $3, $4, $5, $6 }')

log "monitor RSS of a detached container"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
id=$(as_test_user sh -c "$R run -d --network none $SMALL sleep 60")
mon=$(as_test_user sh -c "$R inspect --format '{{.State.ConmonPid}}' $id")
rcr_rss=$(rss "$mon")
as_test_user sh -c "$R rm -f $id >/dev/null"
pid=$(as_test_user sh -c "$P run -d --network none $SMALL sleep 60")
conmon=$(as_test_user sh -c "$P inspect --format '{{.State.ConmonPid}}' $pid")
podman_rss=$(rss "$conmon")
as_test_user sh -c "$P rm -f -t 0 $pid >/dev/null"

printf 'run --rm --network none IMG true, per round (%d runs each): rcr/podman, rcr/bwrap, big/small\n' "$per"
awk '{ printf "  round %d: %.3f  %.2f  %.2f   (rcr %.1f ms, podman %.1f ms, bwrap %.1f ms)\n", NR, $1 / $3, $1 / $5, $2 / $1, $1 * 1000, $3 * 1000, $5 * 1000 }' "$WORK/rounds.txt"
printf 'the median round:\n'
printf '  rcr    2 MB image %7.1f ms   338 MB image %7.1f ms   (big/small %.2f)\n' "$(echo "$rs*1000" | bc -l)" "$(echo "$rb*1000" | bc -l)" "$(echo "$rb/$rs" | bc -l)"
printf '  podman 2 MB image %7.1f ms   338 MB image %7.1f ms\n' "$(echo "$ps_*1000" | bc -l)" "$(echo "$pb*1000" | bc -l)"
printf '  bwrap --unshare-all floor %.1f ms\n' "$(echo "$bw*1000" | bc -l)"
printf 'ratio rcr/podman = %.3f   rcr/bwrap = %.2f\n' "$(echo "$rs/$ps_" | bc -l)" "$(echo "$rs/$bw" | bc -l)"
printf 'monitor RSS: rcr %s kB, podman conmon %s kB\n' "$rcr_rss" "$podman_rss"
