#!/usr/bin/env bash
# Start, stop or check the local Elasticsearch test node (see tests/es-node/README.md).
#   tests/es-node/es.sh up       build if needed, start in the background, wait for yellow (idempotent)
#   tests/es-node/es.sh stop     stop it, keep its data (a later `up` restarts it with the same indices)
#   tests/es-node/es.sh down     stop it and remove its data
#   tests/es-node/es.sh status   say whether it answers
# Environment: ES_PORT (default 9200), ES_STATE (default /tmp/corpus-es-$ES_PORT), ES_HEAP (512m),
# ES_WAIT (seconds to wait for yellow, default 180).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${ES_PORT:-9200}
state=${ES_STATE:-/tmp/corpus-es-$port}
url="http://127.0.0.1:$port"
pidfile="$state.pid"
logfile="$state.log"
es_version=8.19.21
# The node runs as an unprivileged user when we are root (Elasticsearch refuses root), so the
# distribution must be readable by that user: a copy outside the checkout, which may sit under /root.
home=${ES_HOME:-/tmp/corpus-es-home-$es_version}

answers() {
    curl -fsS -m 5 "$url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

build() {
    if [ ! -f "$here/target/es-node.jar" ] || [ "$here/pom.xml" -nt "$here/target/es-node.jar" ] \
        || [ -n "$(find "$here/src" -newer "$here/target/es-node.jar" -type f 2>/dev/null | head -1)" ]; then
        echo "es-node: building (Maven; the first time downloads Elasticsearch $es_version, ~110 MB)"
        mvn -q -B -f "$here/pom.xml" package -DskipTests
    fi
    if [ ! -f "$home/.copied" ] || [ "$here/target/es-node.jar" -nt "$home/.copied" ]; then
        rm -rf "$home"
        cp -a "$here/target/elasticsearch-$es_version" "$home"
        chmod -R a+rX "$home"
        touch "$home/.copied"
    fi
}

up() {
    if answers; then
        echo "es-node: already running at $url"
        return 0
    fi
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "es-node: started earlier (pid $(cat "$pidfile")) but not answering yet; waiting"
    else
        command -v java >/dev/null || { echo "es-node: java not found (install a JDK 17+)" >&2; exit 1; }
        build
        mkdir -p "$(dirname "$state")"
        echo "es-node: starting Elasticsearch $es_version at $url (state $state, log $logfile)"
        ES_HOME="$home" ES_PORT="$port" ES_DATA="$state" nohup java -Xmx32m -jar "$here/target/es-node.jar" \
            >"$logfile" 2>&1 &
        echo $! >"$pidfile"
    fi
    waited=0
    limit=${ES_WAIT:-180}
    until answers; do
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            echo "es-node: the node exited while starting; last lines of $logfile:" >&2
            tail -n 30 "$logfile" >&2
            exit 1
        fi
        if [ "$waited" -ge "$limit" ]; then
            echo "es-node: no yellow cluster at $url after ${limit}s; see $logfile" >&2
            exit 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
    echo "es-node: ready at $url (after ${waited}s)"
}

stop() {
    if [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
            kill -0 "$pid" 2>/dev/null && { echo "es-node: still running, killing" >&2; kill -KILL "$pid"; }
        fi
        rm -f "$pidfile"
    fi
    echo "es-node: stopped ($url)"
}

down() {
    stop
    rm -rf "$state" "$logfile"
    echo "es-node: data removed ($state)"
}

case "${1:-}" in
    up) up ;;
    stop) stop ;;
    down) down ;;
    status) if answers; then echo "es-node: running at $url"; else echo "es-node: not answering at $url"; exit 1; fi ;;
    *) echo "usage: $0 up|stop|down|status" >&2; exit 2 ;;
esac
