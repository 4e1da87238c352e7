#!/usr/bin/env bash
# Concourse task (deploy-garden-windows.yml): deploy this commit of the
# release with manifests/garden-windows.yml. Every param is described in the
# task file and in ci/README.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

require_params BOSH_ENVIRONMENT BOSH_CLIENT BOSH_CLIENT_SECRET BOSH_CA_CERT DEPLOYMENT_NAME
export PATH=/usr/local/go/bin:$PATH
use_bosh_cli bosh-cli

work=$(mktemp -d)
stemcell=(windows-stemcell/*.tgz)
[ -f "${stemcell[0]}" ] || fail "the windows-stemcell input holds no .tgz (a bosh-io-stemcell get with tarball: true, the default, should)"

cd release
manifest=manifests/garden-windows.yml
[ -f "$manifest" ] || fail "$manifest is missing from this commit of the release"

ops=()
for file in ${OPS_FILES:-}; do
  [ -f "$file" ] || fail "OPS_FILES names $file, which is not in the release (paths are relative to its root)"
  ops+=(-o "$file")
done

# A dev version unique to this build: the director keeps every upload, and a
# version it already has would be skipped, deploying the older build.
version="0+dev.$(date -u +%Y%m%d%H%M%S)"
scripts/build-binaries
bosh create-release --force --version "$version" --tarball "$work/garden-windows.tgz"

bosh -n upload-stemcell "${stemcell[0]}"
bosh -n upload-release "$work/garden-windows.tgz"

# Deploy exactly this build under the pipeline's deployment name, whatever
# the manifest says about either.
cat >"$work/this-build.yml" <<OPS
- type: replace
  path: /name
  value: $DEPLOYMENT_NAME
- type: replace
  path: /releases/name=garden-windows/version
  value: $version
OPS
printf '%s\n' "${MANIFEST_VARS:-"{}"}" >"$work/vars.yml"

bosh -n -d "$DEPLOYMENT_NAME" deploy "$manifest" \
  "${ops[@]}" -o "$work/this-build.yml" -l "$work/vars.yml"
bosh -d "$DEPLOYMENT_NAME" instances
