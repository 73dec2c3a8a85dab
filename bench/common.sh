# Shared by the bench scripts: a release build, a throwaway data dir, optionally a
# throwaway PostgreSQL cluster, a server on a free port and a logged-in token.
# Source it, then call: bench_setup BACKEND (sqlite | postgres). It sets $work, $data,
# $url, $token, $auth, $server_pid and cleans everything up on exit.

bin=target/release/mycloud
password='Bench-pass-1234!'
server_pid=
pg_dir=

bench_cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -n $pg_dir ]]; then
        pg_run "$pg_bin/pg_ctl" -D "$pg_dir/db" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "${work:-/nonexistent}"
}

# Runs a PostgreSQL command as the postgres user when we are root (initdb refuses root).
pg_run() {
    if [[ $(id -u) == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a cluster in $work/pg and sets MYCLOUD_DATABASE_URL to it. Not in a $(…)
# subshell: bench_cleanup needs $pg_bin and $pg_dir to stop it.
start_postgres() {
    pg_bin=$(dirname "$(command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
    if [[ ! -x $pg_bin/initdb ]]; then
        echo "PostgreSQL not found (apt-get install postgresql)" >&2
        exit 1
    fi
    pg_dir=$work/pg
    mkdir -p "$pg_dir"
    if [[ $(id -u) == 0 ]]; then chown postgres "$pg_dir"; chmod 755 "$work"; fi
    local port
    port=$(free_port)
    pg_run "$pg_bin/initdb" -D "$pg_dir/db" -U postgres --auth=trust -E UTF8 >/dev/null
    # Durable settings, as a production server would run.
    pg_run "$pg_bin/pg_ctl" -D "$pg_dir/db" -l "$pg_dir/log" -w \
        -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
    export MYCLOUD_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

bench_setup() {
    local backend=$1
    echo "building release binary..."
    cargo build --release --quiet
    work=$(mktemp -d "${TMPDIR:-/tmp}/mycloud-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    data=$work/data
    case $backend in
        sqlite) export MYCLOUD_DATABASE_URL="sqlite://$data/mycloud.db" ;;
        postgres) start_postgres ;;
        *) echo "backend must be sqlite or postgres, not $backend" >&2; exit 2 ;;
    esac

    printf '%s\n' "$password" | "$bin" --data-dir "$data" user create bench --admin --password-stdin >/dev/null
    "$bin" serve --data-dir "$data" --listen 127.0.0.1:0 >"$work/stdout" 2>"$work/server.log" &
    server_pid=$!
    url=
    for _ in $(seq 300); do
        local line
        line=$(head -n 1 "$work/stdout")
        if [[ $line =~ ^mycloud\ listening\ on\ (http://[^ ]+/)$ ]]; then
            url=${BASH_REMATCH[1]%/}
            break
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if [[ -z $url ]]; then
        echo "server did not start; its log:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    echo "server at $url (pid $server_pid, $backend), data dir $data"
    token=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench\",\"password\":\"$password\"}" "$url/api/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    auth="Authorization: Token $token"
}

machine_line() {
    local cpu
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    echo "machine: $(nproc) CPUs, ${cpu:-$(uname -m)}; data on $(stat -f -c %T "$work")"
}
