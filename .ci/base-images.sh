#!/usr/bin/env bash
# Provision base images in the local engine without a registry: debootstrap a
# minimal Debian root file system and import it under the very name profiles
# use (debian:<suite>-slim), so the same Dockerfiles build here and on a laptop
# that pulls the real image. The mirror comes from the machine's apt sources.
# Images already in the engine's store are kept (CI reuses the store).
#
#   .ci/base-images.sh [SUITE ...]     default: bookworm
#   BASE_ARCH=arm64 .ci/base-images.sh bookworm
#       another architecture (needs qemu-user-static and binfmt-support): imported
#       as debian:<suite>-slim-<arch> for linux/<arch> (benchmarks/arm64.py)
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
native="$(dpkg --print-architecture)"
arch="${BASE_ARCH:-$native}"

for suite in "${suites[@]}"; do
  name="debian:${suite}-slim"
  [[ "$arch" == "$native" ]] || name="${name}-${arch}"
  if docker image inspect "$name" >/dev/null 2>&1; then
    log "$name already present"
    continue
  fi
  root="$(mktemp -d)"
  log "debootstrap $suite ($arch) from the machine's mirror into $root"
  debootstrap --variant=minbase --arch="$arch" "$suite" "$root" "$MIRROR" >/dev/null
  # A mirror that serves a snapshot of a moving suite (sid, testing) holds a Release file
  # whose Valid-Until has passed; apt refuses it. Signatures are still checked; only the
  # freshness limit is lifted, in this locally provisioned base alone, and said so.
  until="$(sed -n 's/^Valid-Until: //p' "$root"/var/lib/apt/lists/*Release 2>/dev/null | head -n1)"
  if [[ -n "$until" ]] && (( $(date -d "$until" +%s) < $(date +%s) )); then
    log "the mirror's $suite Release expired on $until (a snapshot): apt in $name skips that freshness check"
    echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99devenv-snapshot-mirror"
  fi
  # Like the official slim images: no docs, no apt lists, no caches.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* "$root"/usr/share/man/*
  tar -C "$root" -c . | docker import --platform "linux/$arch" --change 'CMD ["bash"]' - "$name" >/dev/null
  rm -rf "$root"
  log "imported $name"
done
