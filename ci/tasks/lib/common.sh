# shellcheck shell=bash
# Helpers the task scripts in ci/tasks source. Concourse runs each task in a
# fresh container whose working directory holds the task's inputs.

# fail MESSAGE... stops the task with a message naming what to fix.
fail() {
  echo "$(basename "$0" .sh): $*" >&2
  exit 1
}

# require_params NAME... fails unless every named param is set and non-empty;
# the message names the pipeline variable to set (params come from ((vars))).
require_params() {
  local name missing=()
  for name in "$@"; do
    if [ -z "${!name:-}" ]; then
      missing+=("$name")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    fail "params not set: ${missing[*]} (set them in the pipeline's variables, see ci/README.md)"
  fi
}

# use_bosh_cli DIR puts the BOSH CLI from a github-release input (the file
# bosh-cli-<version>-linux-amd64) on PATH as `bosh`, so the release's scripts
# (scripts/install-bosh-cli) take it instead of building the offline one.
use_bosh_cli() {
  local dir=$1 bins bin_dir
  bins=("$dir"/bosh-cli-*-linux-amd64)
  if [ ! -f "${bins[0]}" ]; then
    fail "no bosh-cli-*-linux-amd64 in input $dir (get the bosh-cli resource with params {globs: [bosh-cli-*-linux-amd64]})"
  fi
  bin_dir=$(mktemp -d)
  install -m 0755 "${bins[0]}" "$bin_dir/bosh"
  export PATH="$bin_dir:$PATH"
  unset GWR_BOSH_FROM_SOURCE
  bosh --version
}
