#!/usr/bin/env bash
# Install (if needed) and start a Docker engine with Compose v2 and buildx on a
# Debian 12 machine, as .ci/run needs it. Debian 12 ships Engine 20.10 without
# Compose v2, so the engine comes from Debian 13 (trixie) at a low pin
# priority: nothing else on the machine is upgraded. The mirror is derived from
# the machine's own apt sources, never written here.
#
#   .ci/engine.sh start   install if missing, start dockerd, wait for it
#   .ci/engine.sh stop    stop the dockerd this script started
set -euo pipefail

STATE_DIR="${DEVENV_CI_STATE:-/var/tmp/devenv-ci}"
LOG="$STATE_DIR/dockerd.log"
PIDFILE="$STATE_DIR/dockerd.pid"
mkdir -p "$STATE_DIR"

log() { printf '[engine] %s\n' "$*" >&2; }

have_engine_packages() {
  command -v dockerd >/dev/null 2>&1 \
    && docker compose version >/dev/null 2>&1 \
    && docker buildx version >/dev/null 2>&1
}

add_trixie_source() {
  local src=/etc/apt/sources.list.d/debian.sources
  local out=/etc/apt/sources.list.d/devenv-trixie.sources
  [[ -f "$out" ]] && return 0
  [[ -f "$src" ]] || { log "no $src to derive a trixie source from"; return 1; }
  # First stanza that lists bookworm (not -security/-updates): same URIs, suite renamed.
  awk 'BEGIN{RS=""; ORS="\n\n"} /Suites:[^\n]*bookworm([ \n]|$)/ && !/security/ {print; exit}' "$src" \
    | sed -E 's/^Suites:.*/Suites: trixie/' >"$out"
  cat >/etc/apt/preferences.d/devenv-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
}

install_engine() {
  log "installing Docker engine, Compose v2 and buildx from Debian trixie"
  add_trixie_source
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -t trixie docker.io docker-compose docker-buildx >/dev/null
  apt-get install -y -qq debootstrap >/dev/null
}

start() {
  have_engine_packages || install_engine
  command -v debootstrap >/dev/null 2>&1 || apt-get install -y -qq debootstrap >/dev/null
  if docker info >/dev/null 2>&1; then log "engine already running"; return 0; fi
  log "starting dockerd (log: $LOG)"
  nohup dockerd --storage-driver=overlay2 >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      log "engine ready: $(docker version --format '{{.Server.Version}}')"
      return 0
    fi
    sleep 1
  done
  log "dockerd did not answer within 60 s; last lines of its log:"
  tail -n 30 "$LOG" >&2
  return 1
}

stop() {
  [[ -f "$PIDFILE" ]] || return 0
  local pid; pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$PIDFILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
