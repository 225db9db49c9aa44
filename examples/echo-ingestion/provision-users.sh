#!/bin/sh
# Creates (or re-keys) the two MQTT users of seed 004 with passwords read from files, never from
# arguments or the environment: echopub may only publish events, echosub may only read them.
#
#   provision-users.sh DATA_DIR PUBLISHER_PASSWORD_FILE SUBSCRIBER_PASSWORD_FILE
#
# It edits a stopped server's data directory (a Kubernetes initContainer on the same volume), and can be run
# again: an existing user gets its password from the file.
set -eu
data_dir=$1
pub_file=$2
sub_file=$3
sensorhub=${SENSORHUB_BIN:-sensorhub}

ensure_user() {
  name=$1
  password_file=$2
  shift 2
  if ! $sensorhub user add "$name" --data-dir "$data_dir" --password-stdin "$@" < "$password_file" 2>/tmp/provision-err; then
    if grep -q AUTH_USER_EXISTS /tmp/provision-err; then
      $sensorhub user passwd "$name" --data-dir "$data_dir" --password-stdin < "$password_file"
    else
      cat /tmp/provision-err >&2
      exit 1
    fi
  fi
}

ensure_user echopub "$pub_file" --role client --publish 'echo/+/events'
ensure_user echosub "$sub_file" --role client --subscribe 'echo/#'
