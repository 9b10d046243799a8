#!/usr/bin/env bash
# Stops the dockerd that prepare.sh started (and only that one); does nothing when prepare.sh found an engine
# already running. The images stay in the engine's store, so the next prepare.sh finds them cached.
set -euo pipefail

state_dir="${NEOGAT_DOCKER_STATE:-${TMPDIR:-/tmp}/neogat-docker}"
record="$state_dir/started-by-prepare"
[ -f "$record" ] || exit 0

pid="$(cat "$record")"
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
# Only that process, and only while it is still a dockerd (a pid can be reused after it ended).
if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "dockerd" ]; then
    echo "[docker-stop] stopping the dockerd that prepare.sh started (pid $pid)"
    as_root kill -TERM "$pid"
    for _ in $(seq 1 60); do
        as_root kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if as_root kill -0 "$pid" 2>/dev/null; then
        echo "[docker-stop] dockerd (pid $pid) still runs after 30 s"
        exit 1
    fi
fi
rm -f "$record"
