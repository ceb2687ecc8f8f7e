#!/usr/bin/env bats
# The command line: help, version, global flags, usage errors and their exit codes.

load helpers

@test "rcr --help lists the commands and global flags" {
  rcr --help
  assert_contains "$output" "Usage:"
  assert_contains "$output" "info"
  for flag in --root --runroot --log-level --storage-driver --cgroup-manager; do
    assert_contains "$output" "$flag"
  done
}

@test "rcr --version and rcr version" {
  rcr --version
  [[ $output =~ ^rcr\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
  rcr version
  assert_contains "$output" "Version:"
  rcr version --format json
  [[ $(json_get "$output" .Client.Version) =~ ^[0-9]+\. ]]
}

@test "an unknown verb exits 125 with a usage hint" {
  rcr 125 nosuchverb
  assert_contains "$stderr" "unrecognized command"
  assert_contains "$stderr" "rcr --help"
}

@test "an unknown global flag exits 125" {
  rcr 125 --no-such-flag info
  assert_contains "$stderr" "unknown flag: --no-such-flag"
}

@test "an unknown verb flag exits 125 and names the verb's help" {
  rcr 125 info --bogus
  assert_contains "$stderr" "unknown flag: --bogus"
  assert_contains "$stderr" "rcr info --help"
  rcr 125 info -Z
  assert_contains "$stderr" "unknown shorthand flag"
}

@test "a flag without its value exits 125" {
  rcr 125 info --format
  assert_contains "$stderr" "flag needs an argument"
  rcr 125 --root
  assert_contains "$stderr" "flag needs an argument"
}

@test "no verb at all exits 125" {
  rcr 125
  assert_contains "$stderr" "missing command"
}

@test "every verb answers --help and help VERB" {
  for verb in info version; do
    rcr "$verb" --help
    assert_contains "$output" "Usage:"
    assert_contains "$output" "rcr $verb"
    rcr help "$verb"
    assert_contains "$output" "rcr $verb"
  done
}

@test "global flags are validated" {
  rcr 125 --log-level loud info
  assert_contains "$stderr" "invalid log level"
  rcr 125 --storage-driver btrfs info
  assert_contains "$stderr" "unknown storage driver"
  rcr 125 --cgroup-manager none info
  assert_contains "$stderr" "unknown cgroup manager"
  rcr 125 --root relative/path info
  assert_contains "$stderr" "absolute"
}

@test "global flags accept both --flag value and --flag=value" {
  rcr --log-level=debug --storage-driver vfs --cgroup-manager=cgroupfs info --format '{{.Store.GraphDriverName}} {{.Host.CgroupManager}}'
  [ "$output" = "vfs cgroupfs" ]
}

@test "operands where none are taken exit 125" {
  rcr 125 info extra
  assert_contains "$stderr" "takes no arguments"
}
