# shellcheck shell=bash
# devenv's entrypoint library: sourced, never run, by every image's entrypoint
# (hadoop, hive, spark, postgres) and by hive-env.sh. Installed once in the jvm
# image as /usr/local/lib/devenv/entrypoint.sh; the postgres image, which is not
# built FROM jvm, gets the same file from its own build context (devenv stages
# images/lib/ into both contexts).
#
# The pattern (bitnami's libvalidations): check every setting, remembering each
# problem with `problem`, then `run_daemon CMD...` reports them all at once and
# exits 64, or execs CMD so that tini's SIGTERM reaches the daemon itself.
#
#   log MSG / warn MSG / die MSG   to stderr, prefixed with the script's name
#                                  (ENTRYPOINT_NAME overrides); die exits 64
#   problem MSG                    remember one problem, go on checking
#   report_problems                print every problem and exit 64, or return
#   run_daemon CMD [ARGS...]       report_problems, then exec CMD
#   check_conf_dir VAR [FILE...]   $VAR is a directory holding every FILE, and
#                                  all its *.xml files are well-formed
#   check_xml DIR                  every DIR/*.xml well-formed (needs python3)
#   check_memory VAR [DEFAULT]     $VAR is a JVM size (512m, 2g; a bare number
#                                  means MiB and gets an m); set to DEFAULT when empty
#   memory_size VALUE              prints VALUE as a JVM size, or fails
#   check_uint VAR VALUE, check_port VAR VALUE, check_one_of VAR VALUE CHOICE...
#   check_java                     $JAVA_HOME/bin/java is there
#   check_writable_dir DESC DIR    DIR exists (made if needed) and is writable

ENTRYPOINT_PROBLEMS=()

log() { printf '%s: %s\n' "${ENTRYPOINT_NAME:-${0##*/}}" "$*" >&2; }
warn() { log "warning: $*"; }
die() { log "error: $*"; exit 64; }
problem() { ENTRYPOINT_PROBLEMS+=("$*"); }

report_problems() {
  local n=${#ENTRYPOINT_PROBLEMS[@]} p
  (( n == 0 )) && return 0
  for p in "${ENTRYPOINT_PROBLEMS[@]}"; do log "error: $p"; done
  die "$n problem$( (( n == 1 )) || echo s) with the settings above; nothing started"
}

run_daemon() {
  report_problems
  exec "$@"
}

check_xml() {
  local dir=$1 f files=()
  for f in "$dir"/*.xml; do [[ -e "$f" ]] && files+=("$f"); done
  (( ${#files[@]} )) || return 0
  if ! command -v python3 >/dev/null; then problem "python3 is missing: cannot check the XML files in $dir"; return 0; fi
  local line
  while IFS= read -r line; do problem "$line"; done < <(python3 -c '
import sys
import xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    try:
        ET.parse(f)
    except ET.ParseError as e:
        print(f"{f} is not well-formed XML ({e})")
    except OSError as e:
        print(f"{f} cannot be read ({e.strerror})")
' "${files[@]}")
}

check_conf_dir() {
  local var=$1 dir=${!1:-} f; shift
  if [[ ! -d "$dir" ]]; then problem "$var=$dir is not a directory (mount the rendered config there)"; return 0; fi
  for f in "$@"; do [[ -r "$dir/$f" ]] || problem "$dir/$f is missing or unreadable"; done
  check_xml "$dir"
}

memory_size() {
  local v=$1
  [[ "$v" =~ ^[0-9]+$ ]] && v="${v}m"
  [[ "$v" =~ ^[1-9][0-9]*[kKmMgG]$ ]] || return 1
  printf '%s\n' "$v"
}

check_memory() {
  local var=$1 value=${!1:-${2:-}} size
  [[ -n "$value" ]] || return 0
  if size=$(memory_size "$value"); then
    printf -v "$var" '%s' "$size"
  else
    problem "$var must be a memory size like 512m or 2g, got '$value'"
  fi
}

check_uint() { [[ "$2" =~ ^[0-9]+$ ]] || problem "$1 must be a whole number, got '$2'"; }

check_port() {
  if [[ "$2" =~ ^[0-9]+$ ]] && (( 10#$2 >= 1 && 10#$2 <= 65535 )); then return 0; fi
  problem "$1 must be a port number (1-65535), got '$2'"
}

check_one_of() {
  local var=$1 value=$2 c; shift 2
  for c in "$@"; do [[ "$value" == "$c" ]] && return 0; done
  problem "$var must be one of $*, got '$value'"
}

check_java() {
  [[ -x "${JAVA_HOME:-/opt/java}/bin/java" ]] || problem "no java at JAVA_HOME=${JAVA_HOME:-}"
}

check_writable_dir() {
  local desc=$1 dir=$2
  mkdir -p "$dir" 2>/dev/null && [[ -w "$dir" ]] && return 0
  problem "$desc=$dir is not writable by uid $(id -u) (is /data owned by uid $(id -u)?)"
}
