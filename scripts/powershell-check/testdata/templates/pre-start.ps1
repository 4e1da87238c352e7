# BOSH renders job templates through ERB before they reach the VM, so the
# checker must accept ERB tags in files under templates/.
$ErrorActionPreference = "Stop"
$Enabled = [bool]$<%= p("garden.enabled") %>
$ListenPort = <%= p("garden.listen_port") %>
$DataDir = "<%= p("garden.data_dir") %>"
<% if p("garden.debug") -%>
$VerbosePreference = "Continue"
<% end -%>
<%# ERB comments vanish when rendered %>

if (-not $Enabled) {
    Write-Host "garden disabled"
    exit 0
}

try {
    New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
    Write-Host "listening on port $ListenPort"
} catch {
    Write-Error $_.Exception.Message
    exit 1
}

exit $LASTEXITCODE
