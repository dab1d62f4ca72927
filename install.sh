#!/bin/sh
# Install devenv for this user, from this checkout, into an isolated environment.
#
#   ./install.sh          install or upgrade in place (pipx, else `uv tool`, else a private venv)
#   ./install.sh --dev    editable install of this checkout with the test dependencies, in ./.venv
#
# Safe to run again: it upgrades what is there. Works on Linux and macOS.
set -eu

MIN_MAJOR=3
MIN_MINOR=10
here="$(cd "$(dirname "$0")" && pwd)"
mode=user

for arg in "$@"; do
  case "$arg" in
    --dev) mode=dev ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

os="$(uname -s)"
python_hint() {
  case "$os" in
    Darwin) say "  brew install python@3.12   (or the installer from python.org)" ;;
    *)
      if command -v apt-get >/dev/null 2>&1; then say "  sudo apt-get install python3 python3-venv"
      elif command -v dnf >/dev/null 2>&1; then say "  sudo dnf install python3"
      else say "  your distribution's python3 (3.${MIN_MINOR} or newer) with its venv module"; fi ;;
  esac
}

# Pythons >= 3.10 on PATH, newest first.
pythons=""
for candidate in python3.13 python3.12 python3.11 python3.10 python3 python; do
  command -v "$candidate" >/dev/null 2>&1 || continue
  if "$candidate" -c "import sys; sys.exit(0 if sys.version_info >= ($MIN_MAJOR, $MIN_MINOR) else 1)" 2>/dev/null; then
    pythons="$pythons $(command -v "$candidate")"
  fi
done
if [ -z "$pythons" ]; then
  found="$(python3 --version 2>/dev/null || echo 'no python3')"
  say "devenv needs Python ${MIN_MAJOR}.${MIN_MINOR} or newer; this machine has: $found. Install it with:" >&2
  python_hint >&2
  exit 1
fi

# make_venv DIR: keep a working venv, else create one with the first Python
# whose venv module works (some distributions ship Python without ensurepip).
make_venv() {
  if [ -x "$1/bin/python" ] && "$1/bin/python" -m pip --version >/dev/null 2>&1; then return 0; fi
  for py in $pythons; do
    rm -rf "$1"
    if "$py" -m venv "$1" >/dev/null 2>&1 && "$1/bin/python" -m pip --version >/dev/null 2>&1; then return 0; fi
  done
  rm -rf "$1"
  say "none of these Pythons can create a virtual environment (venv/ensurepip missing):$pythons" >&2
  say "install the venv module with:" >&2
  python_hint >&2
  exit 1
}

if [ "$mode" = dev ]; then
  venv="$here/.venv"
  make_venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet --editable "$here[test]"
  say "devenv $("$venv/bin/devenv" --version | cut -d' ' -f2) installed editable in $venv"
  say "next: $venv/bin/python -m pytest      (the whole test suite; see README.md)"
  exit 0
fi

if command -v pipx >/dev/null 2>&1; then
  say "installing with pipx"
  pipx install --force "$here" >/dev/null
  launcher="$(command -v devenv || echo "$HOME/.local/bin/devenv")"
elif command -v uv >/dev/null 2>&1; then
  say "installing with uv tool"
  uv tool install --force --reinstall "$here" >/dev/null
  launcher="$(command -v devenv || echo "$HOME/.local/bin/devenv")"
else
  # A private venv in the user data directory, with a launcher in ~/.local/bin.
  if [ "$os" = Darwin ]; then data="$HOME/Library/Application Support/devenv"
  else data="${XDG_DATA_HOME:-$HOME/.local/share}/devenv"; fi
  venv="$data/venv"
  say "installing into $venv"
  mkdir -p "$data"
  make_venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet --upgrade --force-reinstall --no-deps "$here"
  "$venv/bin/python" -m pip install --quiet "$here"
  bindir="$HOME/.local/bin"
  mkdir -p "$bindir"
  ln -sf "$venv/bin/devenv" "$bindir/devenv"
  launcher="$bindir/devenv"
fi

say "devenv $("$launcher" --version | cut -d' ' -f2) installed: $launcher"
case ":$PATH:" in
  *":$(dirname "$launcher"):"*) next="devenv profile show" ;;
  *)
    say "$(dirname "$launcher") is not on your PATH; add it with:"
    say "  echo 'export PATH=\"$(dirname "$launcher"):\$PATH\"' >> ~/.profile && . ~/.profile"
    next="$launcher profile show" ;;
esac
say "next: $next"
