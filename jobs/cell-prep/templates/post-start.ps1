# Verify, once every job's process has started, that the cell is still
# ready: cell-prep check changes nothing, prints a report and exits 1 when
# any check is off. Its exit code is passed on so that a cell that is not
# ready fails the deploy (Stop: a missing executable fails it too).
$ErrorActionPreference = "Stop"
& C:\var\vcap\packages\cell-prep\cell-prep.exe --config C:\var\vcap\jobs\cell-prep\config\cell-prep.json check; exit $LASTEXITCODE
