#!/usr/bin/env bash
# Provision base images in the local engine without a registry: debootstrap a
# minimal Debian root file system and import it under the very name profiles
# use (debian:<suite>-slim), so the same Dockerfiles build here and on a laptop
# that pulls the real image. The mirror comes from the machine's apt sources.
# Images already in the engine's store are kept (CI reuses the store).
#
#   .ci/base-images.sh [SUITE ...]     default: bookworm
set -euo pipefail

log() { printf '[base] %s\n' "$*" >&2; }

mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    awk '/^URIs:/{print $2; exit}' "$f"
  done | grep -v -- '-security' | head -n1
}

suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(bookworm)
MIRROR="$(mirror)"
[[ -n "$MIRROR" ]] || { log "no Debian mirror found in /etc/apt/sources.list.d"; exit 1; }
arch="$(dpkg --print-architecture)"

for suite in "${suites[@]}"; do
  name="debian:${suite}-slim"
  if docker image inspect "$name" >/dev/null 2>&1; then
    log "$name already present"
    continue
  fi
  root="$(mktemp -d)"
  log "debootstrap $suite ($arch) from the machine's mirror into $root"
  debootstrap --variant=minbase --arch="$arch" "$suite" "$root" "$MIRROR" >/dev/null
  # Like the official slim images: no docs, no apt lists, no caches.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* "$root"/usr/share/man/*
  tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$name" >/dev/null
  rm -rf "$root"
  log "imported $name"
done
