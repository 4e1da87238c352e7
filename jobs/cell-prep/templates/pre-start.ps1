# Make the cell ready before gdn (job garden-windows) starts: BOSH runs every
# job's pre-start before it starts any job's process. cell-prep converge
# prints what it found and changed, and exits 0 only when the cell is ready,
# 1 when it is not, and 3 when it scheduled the reboot a change needs
# (cell_prep.reboot_if_required); its exit code is passed on so that
# anything but 0 fails the deploy (Stop: a missing executable fails it too).
$ErrorActionPreference = "Stop"
& C:\var\vcap\packages\cell-prep\cell-prep.exe --config C:\var\vcap\jobs\cell-prep\config\cell-prep.json converge; exit $LASTEXITCODE
