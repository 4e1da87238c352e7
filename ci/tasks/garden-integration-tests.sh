#!/usr/bin/env bash
# Concourse task (garden-integration-tests.yml): run garden-integration-tests
# against the gdn deployed by deploy-garden-windows. Every param is described
# in the task file and in ci/README.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

require_params GARDEN_PORT
export PATH=/usr/local/go/bin:$PATH

# instance_address GROUP prints the first IP of the deployment's first
# instance of GROUP, from `bosh instances --json` (read with bosh int, so
# the image needs no JSON tool).
instance_address() {
  local group=$1 table row instance
  table=$(mktemp)
  bosh -d "$DEPLOYMENT_NAME" instances --json >"$table"
  for ((row = 0; ; row++)); do
    instance=$(bosh int "$table" --path "/Tables/0/Rows/$row/instance" 2>/dev/null) || break
    if [[ $instance == "$group/"* ]]; then
      bosh int "$table" --path "/Tables/0/Rows/$row/ips" | head -1
      return 0
    fi
  done
  fail "deployment $DEPLOYMENT_NAME has no instance of instance group '$group' (bosh -d $DEPLOYMENT_NAME instances lists them)"
}

address=${GARDEN_ADDRESS:-}
if [ -z "$address" ]; then
  require_params BOSH_ENVIRONMENT BOSH_CLIENT BOSH_CLIENT_SECRET BOSH_CA_CERT DEPLOYMENT_NAME INSTANCE_GROUP
  use_bosh_cli bosh-cli
  address=$(instance_address "$INSTANCE_GROUP")
  [ -n "$address" ] || fail "instance group $INSTANCE_GROUP of $DEPLOYMENT_NAME has no IP address"
fi

# The suite has named its server settings differently over time: set every
# name, so whichever version the input holds finds them.
export GARDEN_ADDRESS=$address GDN_BIND_IP=$address
export GARDEN_PORT GDN_BIND_PORT=$GARDEN_PORT
export TEST_ROOTFS=${TEST_ROOTFS:-} LIMITS_TEST_URI=${LIMITS_TEST_URI:-}
echo "garden-integration-tests against gdn at $GARDEN_ADDRESS:$GARDEN_PORT"

cd garden-integration-tests
# GINKGO_ARGS is split into words on purpose: it holds several flags.
# shellcheck disable=SC2086
go test -count=1 -timeout "${TIMEOUT:-90m}" . -args ${GINKGO_ARGS:-}
