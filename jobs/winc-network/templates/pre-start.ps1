# gdn asks winc-network only for container endpoints, which attach to the
# host's NAT network; that network must exist before gdn (job garden-windows)
# starts creating containers. Create it here, from this job's config file, and
# pass winc-network's exit code on so that a failure fails the deploy (Stop:
# a missing executable fails it too).
$ErrorActionPreference = "Stop"
& C:\var\vcap\packages\winc-network\winc-network.exe --action create --configFile C:\var\vcap\jobs\winc-network\config\winc-network.json; exit $LASTEXITCODE
