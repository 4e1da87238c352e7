# Runs `go test` on the Windows integration suites named by $env:PACKAGES and
# passes its exit code on; the suites themselves check their settings.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..\src")
$packages = $env:PACKAGES -split " "
& go test "-count=1" "-timeout=90m" $packages
exit $LASTEXITCODE
