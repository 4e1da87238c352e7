param(
    [string]$SourceDir = "garden-windows"
)

$ErrorActionPreference = "Stop"

try {
    $target = $env:BOSH_INSTALL_TARGET
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    # selftest: the string on the next line is never closed
    Copy-Item -Path "$SourceDir\gdn.exe -Destination $target -ErrorAction Stop
} catch {
    Write-Error $_.Exception.Message
    exit 1
}

exit $LASTEXITCODE
