# Packaging-style script: copies a prebuilt binary into the package's
# install target and fails the BOSH compile step on any error.
[CmdletBinding()]
param(
    [string]$SourceDir = (Join-Path $PWD "garden-windows"),
    [string]$BinaryName = "gdn.exe",
    [switch]$SkipVerify
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

function Test-Binary {
    param([Parameter(Mandatory = $true)][string]$Path)

    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        throw "missing binary: $Path"
    }
    $info = Get-Item -LiteralPath $Path
    Write-Host ("{0} is {1} bytes" -f $info.Name, $info.Length)
}

try {
    $target = $env:BOSH_INSTALL_TARGET
    if ([string]::IsNullOrEmpty($target)) {
        throw "BOSH_INSTALL_TARGET is not set"
    }

    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Copy-Item -Path (Join-Path $SourceDir $BinaryName) `
        -Destination $target -Force -ErrorAction Stop

    $settings = @{
        Binary  = Join-Path $target $BinaryName
        Created = (Get-Date).ToString("o")
    }
    $settings | ConvertTo-Json | Set-Content -Path "$target\install.json" -Encoding UTF8

    if (-not $SkipVerify) {
        Test-Binary -Path $settings.Binary
        & $settings.Binary --version
        if ($LASTEXITCODE -ne 0) {
            Write-Error "$BinaryName --version exited with $LASTEXITCODE"
        }
    }
} catch {
    Write-Error "packaging failed: $($_.Exception.Message)"
    exit 1
}

exit $LASTEXITCODE
