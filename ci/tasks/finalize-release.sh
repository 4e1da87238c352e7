#!/usr/bin/env bash
# Concourse task (finalize-release.yml): run scripts/finalize-release for the
# version in version/version and commit what it records. Every param is
# described in the task file and in ci/README.md.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

require_params BLOBSTORE_ACCESS_KEY_ID BLOBSTORE_SECRET_ACCESS_KEY GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL
export PATH=/usr/local/go/bin:$PATH
use_bosh_cli bosh-cli

version=$(cat version/version)
[ -n "$version" ] || fail "version/version is empty"

# Work in a clone, which becomes the output the put pushes; the input stays
# as it was fetched.
git clone --quiet release finalized-release
cd finalized-release

# yaml_quote VALUE prints VALUE as a single-quoted YAML string.
yaml_quote() {
  printf "'%s'" "${1//\'/\'\'}"
}
(
  umask 077
  cat >config/private.yml <<PRIVATE
blobstore:
  options:
    access_key_id: $(yaml_quote "$BLOBSTORE_ACCESS_KEY_ID")
    secret_access_key: $(yaml_quote "$BLOBSTORE_SECRET_ACCESS_KEY")
PRIVATE
)
trap 'rm -f config/private.yml' EXIT

scripts/finalize-release "$version"

git add .final_builds releases
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
git commit --quiet -m "Final release $version"
git log -1 --stat
