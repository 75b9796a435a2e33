#!/bin/sh
# library-sync wrapper: what launchd (or the systemd service) runs every interval.
#
#   library-sync-wrapper.sh NODE CLI CONFIG LOGFILE
#
# Steps, each logged as a JSON line (pino's format) to LOGFILE, where the CLI logs too:
#   1. library sync --fix            (waits up to $LIBRARY_SYNC_WAIT seconds, default 60, for a run holding the lock)
#   2. discover --rebuild-index      (when a discover command is installed next to the library CLI; else skipped)
#   3. library forge-sync NAME       (for each name in $LIBRARY_FORGE_REMOTES, space-separated; else skipped)
# Every step runs even if an earlier one failed (a remote never blocks the local sync). The exit status is the
# status of the first step that failed, so launchd's LastExitStatus means something: 0 all ok, 1 a company
# failed, 2 config or usage error, 3 a remote or the library's git host was unreachable, 75 the store stayed
# locked. Each step's stdout (the human summary) goes to
# library-sync.last-run.txt beside LOGFILE, replaced every run; stderr goes to the job's stderr.
set -u
if [ $# -ne 4 ]; then
  echo "usage: $0 NODE CLI CONFIG LOGFILE" >&2
  exit 2
fi
NODE=$1
CLI=$2
CONFIG=$3
LOG=$4
LOGDIR=$(dirname "$LOG")
LAST="$LOGDIR/library-sync.last-run.txt"
mkdir -p "$LOGDIR" || exit 73
RUN="wrapper-$$"
first_failure=0

json_string() { # escape \ and " for a JSON string
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

# log LEVEL STEP STATUS MESSAGE   (pino levels: 30 info, 50 error)
log() {
  printf '{"level":%s,"time":%s000,"run":"%s","pid":%s,"action":"wrapper","step":"%s","status":%s,"durationMs":%s,"msg":"%s"}\n' \
    "$1" "$(date +%s)" "$RUN" "$$" "$(json_string "$2")" "$3" "${duration_ms:-null}" "$(json_string "$4")" >>"$LOG"
}

# step NAME COMMAND...
step() {
  name=$1
  shift
  duration_ms=
  log 30 "$name" null "step $name: started"
  started=$(date +%s)
  echo "== $name" >>"$LAST"
  "$@" >>"$LAST"
  status=$?
  duration_ms=$(( ($(date +%s) - started) * 1000 ))
  if [ "$status" -eq 0 ]; then
    log 30 "$name" 0 "step $name: ok"
  else
    log 50 "$name" "$status" "step $name: failed with exit status $status"
    [ "$first_failure" -eq 0 ] && first_failure=$status
  fi
  duration_ms=
}

: >"$LAST"
step "sync" "$NODE" "$CLI" --config "$CONFIG" --log-file "$LOG" sync --fix --wait "${LIBRARY_SYNC_WAIT:-60}"

DISCOVER="$(dirname "$CLI")/discover.js"
if [ -f "$DISCOVER" ]; then
  # sync --fix already refreshed the index; this step is the operators' habit and a cheap check (it reads nothing when nothing moved).
  step "discover" "$NODE" "$DISCOVER" --config "$CONFIG" --log-file "$LOG" --rebuild-index --wait "${LIBRARY_SYNC_WAIT:-60}"
else
  log 30 "discover" null "step discover: skipped: no discover command at $DISCOVER"
fi

if [ -n "${LIBRARY_FORGE_REMOTES:-}" ]; then
  for remote in $LIBRARY_FORGE_REMOTES; do
    step "forge-sync $remote" "$NODE" "$CLI" --config "$CONFIG" --log-file "$LOG" forge-sync "$remote"
  done
else
  log 30 "forge-sync" null "step forge-sync: skipped: LIBRARY_FORGE_REMOTES is not set"
fi

exit "$first_failure"
