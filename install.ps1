# Install devenv for this user, from this checkout, into an isolated environment (Windows).
#
#   .\install.ps1          install or upgrade in place (pipx, else `uv tool`, else a private venv)
#   .\install.ps1 -Dev     editable install of this checkout with the test dependencies, in .\.venv
#
# Safe to run again: it upgrades what is there.
param([switch]$Dev)
$ErrorActionPreference = 'Stop'
$MinMajor = 3; $MinMinor = 10
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path

# Run a native program and stop the install when it fails: $ErrorActionPreference does not
# cover native programs, only $LASTEXITCODE tells. Every native call below goes through this.
function Invoke-Checked {
    $exe = $args[0]; $rest = @($args | Select-Object -Skip 1)
    & $exe @rest
    if ($LASTEXITCODE -ne 0) {
        Write-Host "failed (exit code $LASTEXITCODE): $($args -join ' ')"
        exit $LASTEXITCODE
    }
}

function Find-Python {
    $candidates = @()
    if (Get-Command py -ErrorAction SilentlyContinue) { $candidates += ,@('py', '-3') }
    foreach ($n in 'python3', 'python') {
        if (Get-Command $n -ErrorAction SilentlyContinue) { $candidates += ,@($n) }
    }
    foreach ($c in $candidates) {
        $exe = $c[0]; $pre = @($c | Select-Object -Skip 1)
        & $exe @pre -c "import sys; sys.exit(0 if sys.version_info >= ($MinMajor, $MinMinor) else 1)" 2>$null
        if ($LASTEXITCODE -eq 0) {
            return (& $exe @pre -c "import sys; print(sys.executable)").Trim()
        }
    }
    return $null
}

$Python = Find-Python
if (-not $Python) {
    Write-Host "devenv needs Python $MinMajor.$MinMinor or newer, and none was found. Install it with:"
    Write-Host "  winget install Python.Python.3.12     (or the installer from python.org, with 'Add to PATH')"
    exit 1
}

if ($Dev) {
    $Venv = Join-Path $Here '.venv'
    if (-not (Test-Path (Join-Path $Venv 'Scripts\python.exe'))) { Invoke-Checked $Python -m venv $Venv }
    $VPy = Join-Path $Venv 'Scripts\python.exe'
    Invoke-Checked $VPy -m pip install --quiet --upgrade pip
    Invoke-Checked $VPy -m pip install --quiet --editable "$Here[test]"
    Write-Host "devenv installed editable in $Venv"
    Write-Host "next: $VPy -m pytest      (the whole test suite; see README.md)"
    exit 0
}

if (Get-Command pipx -ErrorAction SilentlyContinue) {
    Write-Host 'installing with pipx'
    Invoke-Checked pipx install --force $Here | Out-Null
} elseif (Get-Command uv -ErrorAction SilentlyContinue) {
    Write-Host 'installing with uv tool'
    Invoke-Checked uv tool install --force --reinstall $Here | Out-Null
} else {
    $Data = Join-Path $env:LOCALAPPDATA 'devenv'
    $Venv = Join-Path $Data 'venv'
    Write-Host "installing into $Venv"
    New-Item -ItemType Directory -Force -Path $Data | Out-Null
    if (-not (Test-Path (Join-Path $Venv 'Scripts\python.exe'))) { Invoke-Checked $Python -m venv $Venv }
    $VPy = Join-Path $Venv 'Scripts\python.exe'
    Invoke-Checked $VPy -m pip install --quiet --upgrade pip
    Invoke-Checked $VPy -m pip install --quiet --upgrade --force-reinstall --no-deps $Here
    Invoke-Checked $VPy -m pip install --quiet $Here
    $Bin = Join-Path $Data 'bin'
    New-Item -ItemType Directory -Force -Path $Bin | Out-Null
    Set-Content -Path (Join-Path $Bin 'devenv.cmd') -Value "@`"$(Join-Path $Venv 'Scripts\devenv.exe')`" %*" -Encoding ASCII
    $UserPath = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (-not ($UserPath -split ';' | Where-Object { $_ -eq $Bin })) {
        [Environment]::SetEnvironmentVariable('Path', "$Bin;$UserPath", 'User')
        Write-Host "added $Bin to your user PATH (open a new terminal to pick it up)"
    }
    $env:Path = "$Bin;$env:Path"
}

$Version = Invoke-Checked devenv --version
Write-Host "devenv $($Version.Split(' ')[1]) installed"
if (-not (Get-Command docker -ErrorAction SilentlyContinue)) {
    Write-Host 'Docker Desktop (WSL 2 backend) is needed to run clusters: winget install Docker.DockerDesktop'
}
Write-Host 'next: devenv profile show'
