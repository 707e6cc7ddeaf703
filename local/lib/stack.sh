#!/usr/bin/env bash
#
# local/lib/stack.sh: runs the backend's dependencies (PostgreSQL behind
# PgBouncer, Redis and the moto AWS emulator) as plain processes on loopback,
# without Docker, shaped like the AWS data path: the functions reach Postgres
# through a pooler (as RDS Proxy) over TLS with a password, and Redis over TLS
# with an ACL user (as ElastiCache with in-transit encryption and RBAC).
#
#   source local/lib/stack.sh      # from local/run, local/test, or a shell
#   local/lib/stack.sh stop run    # or call one function directly: stack_<cmd> ARGS
#
# Exports: DATABASE_URL (the pooler, sslmode=verify-full), DATABASE_ADMIN_URL
# (Postgres itself, for creating databases), REDIS_URL (rediss://user:pw@),
# REDIS_CA_FILE, STACK_TLS_DIR.
#
# Every stack has a NAME ("run", "test") and keeps all its state under
# $REPO/.stack/NAME/, so several stacks can run side by side on different ports:
#
#   .stack/NAME/pg/data, pg/postgres.log     PostgreSQL cluster, owned by the user
#                                            `postgres` when run as root (pg/ is a link
#                                            to /tmp/flightbook-pg.* if that user
#                                            cannot reach the repo, e.g. under /root)
#   .stack/NAME/pg/pgbouncer/                PgBouncer's config, user list, log, pid
#   .stack/NAME/tls/{ca,server}.{pem,key}    the stack's own CA and the certificate
#                                            every server presents (made once)
#   .stack/NAME/secrets/                     generated passwords (Postgres roles, Redis user)
#   .stack/NAME/redis/{redis.conf,redis.pid,redis.log,data/}
#   .stack/NAME/moto/{moto.pid,moto.log}
#   .stack/NAME/jwt-private.pem              RSA key the API signs JWTs with
#
# Endpoints that are already set in the environment are respected: with
# DATABASE_URL, REDIS_URL or AWS_ENDPOINT_URL set (to anything but what this
# stack would export itself), the matching service is not started.
#
# Options (environment):
#   STACK_EPHEMERAL=1   the data may be lost: Postgres without fsync, Redis without
#                       persistence (local/test sets it; local/run keeps the data)
#   STACK_WAIT_SECS=60  how long to wait for a service to become ready
#   PG_BIN=DIR          where initdb/pg_ctl live (found on PATH or in /usr/lib/postgresql)
#
# This file only defines functions and sets no shell options: the scripts that
# source it run under `set -euo pipefail`, and the functions check their own
# errors, so they behave the same when called from an `if`.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
STACK_WAIT_SECS=${STACK_WAIT_SECS:-60}
# Services (postgres redis moto) this shell started or adopted from its state
# dir, so that the caller can stop exactly those (stack_stop_managed).
STACK_MANAGED=()

# ---------------------------------------------------------------- helpers ----

_stack_log() { printf '[stack] %s\n' "$*" >&2; }
_stack_err() { printf '[stack] ERROR: %s\n' "$*" >&2; }

# _stack_fail MESSAGE [LOG]: report an error with the end of a log file.
_stack_fail() {
    _stack_err "$1"
    if [[ -n ${2:-} && -f $2 ]]; then
        printf -- '---- last lines of %s ----\n' "$2" >&2
        tail -n 40 "$2" >&2
        printf -- '---- end of %s ----\n' "$2" >&2
    fi
    return 1
}

_stack_have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command as root: directly, or through sudo for a normal user.
_stack_as_root() {
    if ((EUID == 0)); then
        "$@"
    elif _stack_have sudo; then
        sudo "$@"
    else
        _stack_err "need root to run: $*"
        return 1
    fi
}

_STACK_APT_UPDATED=
# Installs Debian packages; refreshes the package lists once per shell, since a
# fresh machine has none.
_stack_apt_install() {
    _stack_log "installing with apt: $*"
    # Wait for a concurrent apt/dpkg instead of failing on its lock.
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
    if [[ -z $_STACK_APT_UPDATED ]]; then
        _stack_as_root "${apt[@]}" update >&2 || return 1
        _STACK_APT_UPDATED=1
    fi
    _stack_as_root "${apt[@]}" install -y --no-install-recommends "$@" >&2
}

# _stack_state NAME: prints the state dir of stack NAME, creating it.
_stack_state() {
    local name=${1:-}
    if [[ ! $name =~ ^[A-Za-z0-9_-]+$ ]]; then
        _stack_err "invalid stack name '${name}'"
        return 1
    fi
    mkdir -p "$REPO/.stack/$name" || return 1
    printf '%s\n' "$REPO/.stack/$name"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
_stack_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_stack_check_port() {
    local port=$1 what=$2 var=$3
    if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        _stack_err "invalid port '$port' for $what"
        return 1
    fi
    if _stack_port_open "$port"; then
        _stack_err "port $port (for $what) is already used by another process; set $var to a free port"
        return 1
    fi
    # The default ports lie in Linux's ephemeral range (32768-60999), so the
    # port may be the local end of a client connection to something else on
    # loopback; after it closes it stays taken for 60s (TIME_WAIT) and the
    # server could not bind it. Wait for the kernel to let it go.
    local deadline=$((SECONDS + 90)) said=
    while _stack_port_held "$port"; do
        if ((SECONDS >= deadline)); then
            _stack_err "port $port (for $what) is still held by a connection after 90s; set $var to a free port"
            return 1
        fi
        if [[ -z $said ]]; then
            _stack_log "port $port (for $what) is held by a closing connection (TIME_WAIT); waiting for the kernel to free it (up to 60s)"
            said=1
        fi
        sleep 1
    done
}

# True while a server could not bind 127.0.0.1:PORT: tries it the way the
# servers do (SO_REUSEADDR), which a leftover server-side TIME_WAIT allows.
_stack_port_held() {
    ! python3 - "$1" 2>/dev/null <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
PY
}

# _stack_pidfile_pid FILE: prints the pid in FILE if that process is alive.
_stack_pidfile_pid() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(head -n 1 "$1") || return 1
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

# _stack_cmdline PID: the command line of a process, arguments space-separated.
_stack_cmdline() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# _stack_kill PID DESC: SIGTERM, then SIGKILL if it is still there after 30s.
# A process that leads its own process group (moto, through setsid) is
# signalled with its whole group, so that no child of it is left behind.
_stack_kill() {
    local pid=$1 desc=$2 target=$1 pgid i
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null) && [[ ${pgid// /} == "$pid" ]] && target=-$pid
    kill -TERM -- "$target" 2>/dev/null || return 0
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    _stack_err "$desc (pid $pid) ignored SIGTERM for 30s; killing it"
    kill -KILL -- "$target" 2>/dev/null || true
}

# _stack_wait_until DESC LOG PIDFILE COMMAND...: polls COMMAND until it succeeds;
# fails early if the process in PIDFILE (when given and written) has died.
_stack_wait_until() {
    local desc=$1 log=$2 pidfile=$3
    shift 3
    local deadline=$((SECONDS + STACK_WAIT_SECS))
    until "$@" >/dev/null 2>&1; do
        if [[ -n $pidfile && -s $pidfile ]] && ! _stack_pidfile_pid "$pidfile" >/dev/null; then
            _stack_fail "$desc exited during start-up" "$log"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            _stack_fail "$desc was not ready after ${STACK_WAIT_SECS}s" "$log"
            return 1
        fi
        sleep 0.2
    done
}

_stack_manage() {
    local svc
    for svc in "${STACK_MANAGED[@]}"; do
        [[ $svc == "$1" ]] && return 0
    done
    STACK_MANAGED+=("$1")
}

# _stack_preset VAR OWN_URL SERVICE: true (and says so) when VAR is set to an
# endpoint other than the one this stack would provide itself.
_stack_preset() {
    local value=${!1:-}
    if [[ -n $value && $value != "$2" ]]; then
        _stack_log "$1 is set; using it instead of starting $3"
        return 0
    fi
    return 1
}

# ---------------------------------------------------------------- tools ------

# _stack_ensure_venv DIR REQUIREMENTS: a virtualenv at DIR with REQUIREMENTS
# installed; pip runs only when the file (or the Python version) changed since
# the last successful install, recorded in DIR/.requirements.sha256.
_stack_ensure_venv() {
    local dir=$1 req=$2 want stamp=$1/.requirements.sha256
    [[ -f $req ]] || { _stack_err "missing $req"; return 1; }
    want=$({ sha256sum <"$req" && python3 --version; } | sha256sum) || return 1
    want=${want%% *}
    if [[ -f $stamp && $(<"$stamp") == "$want" ]] && "$dir/bin/python" -c '' 2>/dev/null; then
        return 0
    fi
    if ! "$dir/bin/python" -c '' 2>/dev/null; then
        rm -rf "$dir"
        _stack_log "creating virtualenv ${dir#"$REPO"/}"
        if ! python3 -m venv "$dir"; then
            # Debian's own python3 keeps ensurepip in a separate package.
            rm -rf "$dir"
            _stack_apt_install python3-venv || return 1
            python3 -m venv "$dir" || return 1
        fi
    fi
    _stack_log "installing ${req#"$REPO"/} into ${dir#"$REPO"/}"
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$dir/bin/python" -m pip install -q -r "$req" >&2 || return 1
    printf '%s\n' "$want" >"$stamp"
}

# Directory with initdb, pg_ctl, pg_isready, psql and createdb.
_stack_pg_bin() {
    local d
    if [[ -n ${PG_BIN:-} ]]; then
        printf '%s\n' "$PG_BIN"
        return 0
    fi
    if d=$(command -v pg_ctl 2>/dev/null); then
        d=$(dirname "$(readlink -f "$d")")
        [[ -x $d/initdb ]] && { printf '%s\n' "$d"; return 0; }
    fi
    # Debian keeps the server binaries off PATH; take the newest version.
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -x $d/pg_ctl && -x $d/initdb ]] && printf '%s\n' "$d"
}

# stack_require_rust: fails with what to do when there is no Rust toolchain
# (before any service is started for nothing).
stack_require_rust() {
    if ! _stack_have cargo; then
        _stack_err "cargo (Rust) is not installed. Install the stable toolchain with rustup:"
        _stack_err "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . \"\$HOME/.cargo/env\""
        _stack_err "then run this command again (see README, Prerequisites)."
        return 1
    fi
    local version
    version=$(cargo --version 2>/dev/null | awk '{print $2}')
    # The lower of the two sorts first: anything but 1.85.0 there is older.
    if [[ -n $version && $(printf '1.85.0\n%s\n' "$version" | sort -V | head -n 1) != 1.85.0 ]]; then
        _stack_err "cargo $version is older than 1.85 (edition 2021 crates here need it): rustup update stable"
        return 1
    fi
}

# Installs what the stack needs and is missing: redis, postgres, pgbouncer, openssl,
# curl (apt), moto (the project's pinned virtualenv $REPO/.venv).
stack_ensure_tools() {
    local lock_fd rc=0
    mkdir -p "$REPO/.stack" || return 1
    # local/run and local/test may both get here at once: one pip at a time.
    exec {lock_fd}>"$REPO/.stack/.tools.lock" || return 1
    flock "$lock_fd" || rc=1
    if ((rc == 0)); then
        _stack_ensure_tools_locked || rc=$?
    fi
    exec {lock_fd}>&-
    return "$rc"
}

_stack_ensure_tools_locked() {
    local missing=()
    { _stack_have redis-server && _stack_have redis-cli; } || missing+=(redis-server redis-tools)
    _stack_have pgbouncer || missing+=(pgbouncer)
    _stack_pg_bin >/dev/null || missing+=(postgresql postgresql-client)
    _stack_have openssl || missing+=(openssl)
    _stack_have curl || missing+=(curl ca-certificates)
    _stack_have python3 || missing+=(python3 python3-venv)
    _stack_have flock || missing+=(util-linux)
    if ((${#missing[@]})); then
        _stack_apt_install "${missing[@]}" || return 1
    fi
    _stack_ensure_venv "$REPO/.venv" "$REPO/local/requirements.txt"
}

# ---------------------------------------------------------------- tls, secrets

# stack_ensure_tls NAME: a CA and one server certificate (127.0.0.1, ::1,
# localhost and the compose service names) under .stack/NAME/tls, made once;
# exports STACK_TLS_DIR.
stack_ensure_tls() {
    local name=${1:?name} state dir
    state=$(_stack_state "$name") || return 1
    dir=$state/tls
    if [[ ! -s $dir/server.pem || ! -s $dir/ca.pem ]]; then
        _stack_log "making a local CA and server certificate in ${dir#"$REPO"/}"
        rm -rf "$dir" && mkdir -p "$dir" && chmod 700 "$dir" || return 1
        (
            cd "$dir" || exit 1
            umask 077
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
                -subj "/CN=flightbook local CA ($name)" -keyout ca.key -out ca.pem \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                    -subj "/CN=127.0.0.1" -keyout server.key -out server.csr &&
                printf '%s\n' 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:postgres,DNS:pgbouncer,DNS:redis' \
                    'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
                    'extendedKeyUsage=serverAuth' >server.ext &&
                openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
                    -extfile server.ext -out server.pem &&
                rm -f server.csr server.ext ca.srl
        ) >"$state/tls.log" 2>&1 || { _stack_fail "making the TLS certificates failed" "$state/tls.log"; return 1; }
        chmod 755 "$dir" && chmod 644 "$dir/ca.pem" "$dir/server.pem" || return 1
    fi
    export STACK_TLS_DIR=$dir
}

# _stack_secret NAME KEY: prints the password KEY of stack NAME, made once.
# Hex only, so that it goes into a URL as it is.
_stack_secret() {
    local state file
    state=$(_stack_state "$1") || return 1
    mkdir -p "$state/secrets" && chmod 700 "$state/secrets" || return 1
    file=$state/secrets/$2
    if [[ ! -s $file ]]; then
        (umask 077 && openssl rand -hex 24 >"$file.tmp" && mv "$file.tmp" "$file") || return 1
    fi
    cat "$file"
}

# ---------------------------------------------------------------- postgres ---

_stack_pg_as() {
    # Postgres refuses to run as root: run it as the `postgres` user then. From
    # / so that no server process complains about an unreadable cwd.
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

_stack_ensure_pg_user() {
    id -u postgres >/dev/null 2>&1 && return 0
    _stack_log "creating system user postgres"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin postgres
}

# _stack_pg_prepare_dir DIR: DIR exists and the server's user can write it.
_stack_pg_prepare_dir() {
    local dir=$1 alt
    if [[ -L $dir ]]; then
        [[ -d $dir ]] && return 0
        rm -f "$dir" || return 1
    fi
    mkdir -p "$dir" || return 1
    ((EUID == 0)) || return 0
    _stack_ensure_pg_user || return 1
    chown postgres: "$dir" && chmod 700 "$dir" || return 1
    runuser -u postgres -- test -w "$dir" -a -x "$dir" 2>/dev/null && return 0
    # Some parent of the repo is closed to other users (a clone under /root,
    # say), so `postgres` cannot reach its data dir. Keep the cluster in a
    # private dir under /tmp instead; DIR becomes a link to it.
    rmdir "$dir" 2>/dev/null || {
        _stack_err "user postgres cannot use $dir and it is not empty"
        return 1
    }
    alt=$(mktemp -d /tmp/flightbook-pg.XXXXXX) || return 1
    chown postgres: "$alt" && chmod 700 "$alt" && ln -s "$alt" "$dir" || return 1
    _stack_log "user postgres cannot reach $dir; keeping the cluster in $alt"
}

# The database's roles, as deploy/database-roles.sql makes them in AWS: the
# owner (migrations, seeding, the tests' set-up) and the role the functions
# connect as. `postgres` is kept for the stack's own set-up, over the Unix
# socket only.
STACK_PG_ROLE=flightbook
STACK_PG_APP_ROLE=flightbook_app

# stack_start_postgres NAME PORT: a cluster under .stack/NAME/pg listening on
# 127.0.0.1:PORT that takes TLS connections only (scram-sha-256), with the
# two roles and a database `flightbook`; exports DATABASE_ADMIN_URL (the
# owner, directly). The functions' DATABASE_URL is the pooler's, as the app
# role (stack_start_pgbouncer).
stack_start_postgres() {
    local name=${1:?name} port=${2:?port}
    _stack_preset DATABASE_URL "${STACK_OWN_DATABASE_URL:-}" Postgres && return 0

    local bin state pgdir data log sockdir running_port password app_password tls
    bin=$(_stack_pg_bin) || { _stack_err "PostgreSQL binaries not found (run stack_ensure_tools or set PG_BIN)"; return 1; }
    state=$(_stack_state "$name") || return 1
    stack_ensure_tls "$name" || return 1
    tls=$state/tls
    password=$(_stack_secret "$name" "postgres-$STACK_PG_ROLE") || return 1
    app_password=$(_stack_secret "$name" "postgres-$STACK_PG_APP_ROLE") || return 1
    _stack_pg_prepare_dir "$state/pg" || return 1
    # Resolved: the postgres user may only be able to reach it through /tmp.
    pgdir=$(readlink -f "$state/pg") || return 1
    data=$pgdir/data log=$pgdir/postgres.log
    # The Unix socket goes next to the data, unless that path is too long for
    # a socket name (108 bytes).
    sockdir=$pgdir
    ((${#sockdir} > 90)) && sockdir=/tmp

    if [[ -f $data/PG_VERSION ]] && _stack_pg_as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        running_port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null)
        if [[ $running_port == "$port" ]] && grep -q '^hostssl' "$data/pg_hba.conf" 2>/dev/null; then
            _stack_log "postgres ($name) already running on port $port; reusing it"
        else
            _stack_log "postgres ($name) is running on port $running_port or without TLS; restarting it on $port"
            _stack_pg_as "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || return 1
        fi
    fi

    if ! _stack_pg_as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        _stack_check_port "$port" "postgres ($name)" PG_PORT || return 1
        if [[ ! -f $data/PG_VERSION ]]; then
            _stack_log "initialising postgres cluster in ${data#"$REPO"/}"
            _stack_pg_as "$bin/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
                --encoding=UTF8 --locale=C --no-instructions >"$state/initdb.log" 2>&1 ||
                { _stack_fail "initdb failed" "$state/initdb.log"; return 1; }
        fi
        # Rewritten at each start: the superuser over the socket only, every
        # TCP client with TLS and a password (as RDS with rds.force_ssl).
        mkdir -p "$pgdir/tls" && cp "$tls/server.pem" "$tls/server.key" "$tls/ca.pem" "$pgdir/tls/" &&
            chown -R postgres: "$pgdir/tls" && chmod 600 "$pgdir/tls/server.key" || return 1
        local plaintext=()
        # The bench's plaintext baseline only (STACK_PLAINTEXT_TOO=1): never local/run or local/test.
        [[ ${STACK_PLAINTEXT_TOO:-0} == 1 ]] && plaintext=('host      all  all       127.0.0.1/32  scram-sha-256')
        printf '%s\n' '# Written by local/lib/stack.sh at each start; edit that instead.' \
            'local     all  postgres  peer' \
            'hostssl   all  all       127.0.0.1/32  scram-sha-256' \
            'hostssl   all  all       ::1/128       scram-sha-256' \
            "${plaintext[@]}" \
            'hostnossl all  all       all           reject' >"$data/pg_hba.conf" || return 1
        local opts="-h 127.0.0.1 -p $port -k '$sockdir' -c max_connections=300"
        opts+=" -c ssl=on -c ssl_cert_file='$pgdir/tls/server.pem' -c ssl_key_file='$pgdir/tls/server.key'"
        opts+=" -c ssl_min_protocol_version=TLSv1.2 -c password_encryption=scram-sha-256"
        if [[ ${STACK_EPHEMERAL:-0} == 1 ]]; then
            # Test data is thrown away: do not wait for the disk.
            opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        fi
        _stack_log "starting postgres ($name) on 127.0.0.1:$port (TLS only)"
        if ! _stack_pg_as "$bin/pg_ctl" -D "$data" -l "$log" -w -t "$STACK_WAIT_SECS" -o "$opts" start >/dev/null; then
            _stack_fail "postgres ($name) did not start" "$log"
            _stack_stop_postgres "$state" 2>/dev/null # if it is still starting
            return 1
        fi
    fi

    _stack_wait_until "postgres ($name)" "$log" "" \
        _stack_pg_as "$bin/pg_isready" -q -h "$sockdir" -p "$port" -U postgres || return 1

    # The roles as in AWS (deploy/database-roles.sql; passwords set again at
    # each start). Here the owner may also create databases: the tests make
    # one each.
    _stack_pg_as "$bin/psql" -h "$sockdir" -p "$port" -U postgres -d postgres -XqAt -v ON_ERROR_STOP=1 \
        -v owner="$STACK_PG_ROLE" -v owner_password="$password" \
        -v app="$STACK_PG_APP_ROLE" -v app_password="$app_password" \
        -f - <"$REPO/deploy/database-roles.sql" >"$state/roles.log" 2>&1 &&
        _stack_pg_as "$bin/psql" -h "$sockdir" -p "$port" -U postgres -d postgres -XqAt -v ON_ERROR_STOP=1 \
            -c "ALTER ROLE $STACK_PG_ROLE CREATEDB" >>"$state/roles.log" 2>&1 ||
        { _stack_fail "creating the Postgres roles failed" "$state/roles.log"; return 1; }

    export DATABASE_ADMIN_URL="postgres://$STACK_PG_ROLE:$password@127.0.0.1:$port/flightbook?sslmode=verify-full&sslrootcert=$tls/ca.pem"
    STACK_PG_PORT=$port
    _stack_manage postgres
}

# stack_start_pgbouncer NAME PORT: PgBouncer on 127.0.0.1:PORT in front of
# the stack's Postgres, as RDS Proxy is in AWS: TLS required from clients,
# verified TLS to the server, scram-sha-256, and no startup parameter it does
# not know (`options` is refused, as RDS Proxy refuses it). Session pooling:
# the functions keep prepared statements per connection, for which RDS Proxy
# pins the session. Exports DATABASE_URL. Does nothing when DATABASE_URL was
# given (no Postgres of our own).
stack_start_pgbouncer() {
    local name=${1:?name} port=${2:?port}
    [[ -n ${STACK_PG_PORT:-} ]] || return 0
    local state pgdir dir conf pidfile log pid password app_password
    state=$(_stack_state "$name") || return 1
    password=$(_stack_secret "$name" "postgres-$STACK_PG_ROLE") || return 1
    app_password=$(_stack_secret "$name" "postgres-$STACK_PG_APP_ROLE") || return 1
    pgdir=$(readlink -f "$state/pg") || return 1
    dir=$pgdir/pgbouncer conf=$pgdir/pgbouncer/pgbouncer.ini
    pidfile=$dir/pgbouncer.pid log=$dir/pgbouncer.log
    mkdir -p "$dir" || return 1
    _stack_have pgbouncer || { _stack_err "pgbouncer is not installed (run stack_ensure_tools)"; return 1; }

    if pid=$(_stack_pidfile_pid "$pidfile") && [[ $(_stack_cmdline "$pid") == *pgbouncer* ]]; then
        _stack_log "pgbouncer ($name) is running; restarting it with its current settings"
        _stack_kill "$pid" "pgbouncer ($name)"
    fi
    rm -f "$pidfile"
    _stack_check_port "$port" "pgbouncer ($name)" PGBOUNCER_PORT || return 1

    # Both roles, as RDS Proxy holds a secret for each (db-migrate connects as the owner).
    printf '"%s" "%s"\n' "$STACK_PG_APP_ROLE" "$app_password" "$STACK_PG_ROLE" "$password" >"$dir/userlist.txt" || return 1
    printf '%s\n' '; Written by local/lib/stack.sh at each start; edit that instead.' \
        '[databases]' "* = host=127.0.0.1 port=$STACK_PG_PORT" \
        '[pgbouncer]' 'listen_addr = 127.0.0.1' "listen_port = $port" 'unix_socket_dir =' \
        "logfile = $log" "pidfile = $pidfile" \
        'auth_type = scram-sha-256' "auth_file = $dir/userlist.txt" \
        'pool_mode = session' 'max_client_conn = 2000' 'default_pool_size = 250' \
        '; Tests make a database each: their server connections go back soon.' \
        'server_idle_timeout = 5' 'autodb_idle_timeout = 30' \
        'client_tls_sslmode = require' \
        "client_tls_cert_file = $pgdir/tls/server.pem" "client_tls_key_file = $pgdir/tls/server.key" \
        'server_tls_sslmode = verify-full' "server_tls_ca_file = $pgdir/tls/ca.pem" >"$conf" || return 1
    chown -R postgres: "$dir" && chmod 600 "$dir/userlist.txt" || return 1

    _stack_log "starting pgbouncer ($name) on 127.0.0.1:$port in front of postgres (TLS, scram-sha-256)"
    # It refuses to run as root, like Postgres.
    _stack_pg_as pgbouncer -d -q "$conf" >>"$state/pgbouncer-start.log" 2>&1 ||
        { _stack_fail "pgbouncer ($name) did not start" "$log"; return 1; }
    _stack_wait_until "pgbouncer ($name)" "$log" "$pidfile" _stack_port_open "$port" || return 1

    export DATABASE_URL="postgres://$STACK_PG_APP_ROLE:$app_password@127.0.0.1:$port/flightbook?sslmode=verify-full&sslrootcert=$state/tls/ca.pem"
    STACK_OWN_DATABASE_URL=$DATABASE_URL
    _stack_manage pgbouncer
}

_stack_stop_pgbouncer() {
    local state=$1 pid
    [[ -e $state/pg ]] || return 0
    pid=$(_stack_pidfile_pid "$(readlink -f "$state/pg")/pgbouncer/pgbouncer.pid") || return 0
    [[ $(_stack_cmdline "$pid") == *pgbouncer* ]] || return 0
    _stack_log "stopping pgbouncer (${state##*/})"
    _stack_kill "$pid" "pgbouncer (${state##*/})"
}

_stack_stop_postgres() {
    local state=$1 bin data
    [[ -e $state/pg ]] || return 0
    data=$(readlink -f "$state/pg")/data
    [[ -f $data/PG_VERSION ]] || return 0
    bin=$(_stack_pg_bin) || return 1
    _stack_pg_as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 0
    _stack_log "stopping postgres (${state##*/})"
    _stack_pg_as "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
}

# ---------------------------------------------------------------- redis ------

# The ACL user the functions use; `default` is switched off.
STACK_REDIS_USER=flightbook

# stack_start_redis NAME PORT: redis-server under .stack/NAME/redis on
# 127.0.0.1:PORT, TLS only, with an ACL user and no default user (as
# ElastiCache with in-transit encryption and RBAC); exports REDIS_URL
# (rediss://user:password@...) and REDIS_CA_FILE.
stack_start_redis() {
    local name=${1:?name} port=${2:?port}
    _stack_preset REDIS_URL "${STACK_OWN_REDIS_URL:-}" Redis && return 0

    local state dir conf pidfile log pid password
    state=$(_stack_state "$name") || return 1
    stack_ensure_tls "$name" || return 1
    password=$(_stack_secret "$name" "redis-$STACK_REDIS_USER") || return 1
    dir=$state/redis conf=$state/redis/redis.conf pidfile=$state/redis/redis.pid log=$state/redis/redis.log
    mkdir -p "$dir/data" || return 1

    if pid=$(_stack_pidfile_pid "$pidfile") && [[ $(_stack_cmdline "$pid") == *redis-server* ]]; then
        if _stack_redis_ping "$state" "$port"; then
            _stack_log "redis ($name) already running on port $port; reusing it"
            _stack_export_redis "$state" "$port" "$password"
            _stack_manage redis
            return 0
        fi
        _stack_log "redis ($name) is on another port, without TLS or not answering; restarting it"
        _stack_kill "$pid" "redis ($name)"
    fi
    rm -f "$pidfile"
    _stack_check_port "$port" "redis ($name)" REDIS_PORT || return 1

    # Rewritten on every start so that a changed port or mode takes effect.
    (
        umask 077
        printf '# Written by local/lib/stack.sh at each start; edit that instead.\n'
        # STACK_PLAINTEXT_TOO=1 (the bench's baseline): also plaintext on REDIS_PLAIN_PORT.
        printf 'bind 127.0.0.1\nprotected-mode yes\nport %s\ntls-port %s\n' \
            "$([[ ${STACK_PLAINTEXT_TOO:-0} == 1 ]] && echo "${REDIS_PLAIN_PORT:?}" || echo 0)" "$port"
        printf 'tls-cert-file "%s"\ntls-key-file "%s"\ntls-ca-cert-file "%s"\n' \
            "$state/tls/server.pem" "$state/tls/server.key" "$state/tls/ca.pem"
        printf 'tls-auth-clients no\n'
        printf 'user default off\nuser %s on >%s ~* &* +@all\n' "$STACK_REDIS_USER" "$password"
        printf 'daemonize yes\npidfile "%s"\nlogfile "%s"\ndir "%s"\n' "$pidfile" "$log" "$dir/data"
        if [[ ${STACK_EPHEMERAL:-0} == 1 ]]; then
            printf 'save ""\nappendonly no\n'
        else
            # Keep sessions, rate limits and holds across restarts of local/run.
            printf 'save 900 1 300 10 60 10000\nappendonly yes\nappendfsync everysec\n'
        fi
    ) >"$conf" || return 1

    _stack_log "starting redis ($name) on 127.0.0.1:$port (TLS only, ACL user $STACK_REDIS_USER)"
    redis-server "$conf" >>"$log" 2>&1 || { _stack_fail "redis-server ($name) did not start" "$log"; return 1; }
    if ! _stack_wait_until "redis ($name)" "$log" "$pidfile" _stack_redis_ping "$state" "$port"; then
        _stack_stop_redis "$state"
        return 1
    fi

    _stack_export_redis "$state" "$port" "$password"
    _stack_manage redis
}

_stack_export_redis() {
    export REDIS_URL="rediss://$STACK_REDIS_USER:$3@127.0.0.1:$2"
    export REDIS_CA_FILE=$1/tls/ca.pem
    STACK_OWN_REDIS_URL=$REDIS_URL
}

# _stack_redis_cli STATE PORT ARGS...: redis-cli over TLS as the ACL user.
_stack_redis_cli() {
    local state=$1 port=$2
    shift 2
    REDISCLI_AUTH=$(cat "$state/secrets/redis-$STACK_REDIS_USER") \
        redis-cli --tls --cacert "$state/tls/ca.pem" -h 127.0.0.1 -p "$port" --user "$STACK_REDIS_USER" "$@"
}

_stack_redis_ping() {
    [[ $(_stack_redis_cli "$1" "$2" ping 2>/dev/null) == PONG ]]
}

_stack_stop_redis() {
    local state=$1 pid
    pid=$(_stack_pidfile_pid "$state/redis/redis.pid") || return 0
    [[ $(_stack_cmdline "$pid") == *redis-server* ]] || return 0
    _stack_log "stopping redis (${state##*/})"
    # SIGTERM: redis saves its RDB (when persistence is on) and exits.
    _stack_kill "$pid" "redis (${state##*/})"
    rm -f "$state/redis/redis.pid"
}

# ---------------------------------------------------------------- moto -------

# stack_start_moto NAME PORT: moto_server from $REPO/.venv on 127.0.0.1:PORT;
# exports AWS_ENDPOINT_URL and the dummy AWS credentials/region.
stack_start_moto() {
    local name=${1:?name} port=${2:?port}
    local url="http://127.0.0.1:$port"
    stack_export_aws_defaults
    _stack_preset AWS_ENDPOINT_URL "$url" moto && return 0

    local state dir pidfile log pid moto=$REPO/.venv/bin/moto_server
    state=$(_stack_state "$name") || return 1
    dir=$state/moto pidfile=$state/moto/moto.pid log=$state/moto/moto.log
    mkdir -p "$dir" || return 1
    [[ -x $moto ]] || { _stack_err "$moto missing (run stack_ensure_tools)"; return 1; }

    if pid=$(_stack_pidfile_pid "$pidfile") && [[ $(_stack_cmdline "$pid") == *moto_server* ]]; then
        if [[ $(_stack_cmdline "$pid") == *"-p $port "* ]] && _stack_moto_ping "$port"; then
            _stack_log "moto ($name) already running on port $port; reusing it"
            export AWS_ENDPOINT_URL=$url
            _stack_manage moto
            return 0
        fi
        _stack_log "moto ($name) is on another port or not answering; restarting it"
        _stack_kill "$pid" "moto ($name)"
    fi
    rm -f "$pidfile"
    _stack_check_port "$port" "moto ($name)" MOTO_PORT || return 1

    _stack_log "starting moto ($name) on 127.0.0.1:$port"
    # setsid: its own session, so a Ctrl-C in the terminal does not kill it
    # before the caller's trap stops the stack in order. The inner shell writes
    # its own pid (kept by exec) because setsid may fork.
    # shellcheck disable=SC2016 # $$ and $@ belong to that inner shell
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=$AWS_REGION \
        setsid sh -c 'echo $$ >"$0"; exec nohup "$@"' "$pidfile" \
        "$moto" -H 127.0.0.1 -p "$port" </dev/null >>"$log" 2>&1 &
    if ! _stack_wait_until "moto ($name)" "$log" "$pidfile" _stack_moto_ping "$port"; then
        _stack_stop_moto "$state"
        return 1
    fi

    export AWS_ENDPOINT_URL=$url
    _stack_manage moto
}

_stack_moto_ping() {
    curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$1/moto-api/data.json"
}

_stack_stop_moto() {
    local state=$1 pid
    pid=$(_stack_pidfile_pid "$state/moto/moto.pid") || return 0
    [[ $(_stack_cmdline "$pid") == *moto_server* ]] || return 0
    _stack_log "stopping moto (${state##*/})"
    _stack_kill "$pid" "moto (${state##*/})"
    rm -f "$state/moto/moto.pid"
}

# ---------------------------------------------------------------- stop/wipe --

# stack_stop NAME [SERVICE...]: stops the services (postgres pgbouncer redis moto; all
# by default) that run from .stack/NAME, and nothing else.
stack_stop() {
    local name=${1:?name} state svc rc=0
    shift
    [[ -d $REPO/.stack/$name ]] || return 0
    state=$(_stack_state "$name") || return 1
    (($#)) || set -- moto redis pgbouncer postgres
    for svc in "$@"; do
        case $svc in
        postgres | pgbouncer | redis | moto) "_stack_stop_$svc" "$state" || rc=1 ;;
        *) _stack_err "unknown service '$svc'"; rc=1 ;;
        esac
    done
    return "$rc"
}

# stack_stop_managed NAME: stops what this shell started (STACK_MANAGED), not
# services it was pointed at through DATABASE_URL/REDIS_URL/AWS_ENDPOINT_URL.
stack_stop_managed() {
    local name=${1:?name}
    ((${#STACK_MANAGED[@]})) || return 0
    local reversed=() i
    # The reverse of the start order: the pooler before its Postgres.
    for ((i = ${#STACK_MANAGED[@]} - 1; i >= 0; i--)); do reversed+=("${STACK_MANAGED[i]}"); done
    stack_stop "$name" "${reversed[@]}" || return 1
    STACK_MANAGED=()
}

# stack_wipe NAME: stops the stack and deletes all its state.
stack_wipe() {
    local name=${1:?name} state target
    [[ -d $REPO/.stack/$name ]] || return 0
    stack_stop "$name" || return 1
    state=$(_stack_state "$name") || return 1
    if [[ -L $state/pg ]]; then
        target=$(readlink -f "$state/pg") && [[ $target == /tmp/flightbook-pg.* ]] && rm -rf "$target"
    fi
    rm -rf "$state"
}

# ---------------------------------------------------------------- env --------

# stack_ensure_jwt_key NAME: unless JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE is
# set, creates an RSA key once in .stack/NAME and exports JWT_PRIVATE_KEY_FILE.
stack_ensure_jwt_key() {
    local name=${1:?name} state key
    [[ -n ${JWT_PRIVATE_KEY:-} || -n ${JWT_PRIVATE_KEY_FILE:-} ]] && return 0
    state=$(_stack_state "$name") || return 1
    key=$state/jwt-private.pem
    if [[ ! -s $key ]]; then
        _stack_log "generating JWT signing key ${key#"$REPO"/}"
        (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$key.tmp" 2>/dev/null && mv "$key.tmp" "$key") || return 1
    fi
    chmod 600 "$key" || return 1
    export JWT_PRIVATE_KEY_FILE=$key
}

# Dummy credentials and region for the emulator; real ones already set win.
stack_export_aws_defaults() {
    export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test}
    export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
    export AWS_REGION=${AWS_REGION:-ap-south-1}
    # Python tools (sam, boto3) read this one.
    export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION}
}

# The admin that `stack admin` upserts, and the AWS defaults.
stack_export_defaults() {
    export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@flightbook.local}
    export ADMIN_PASSWORD=${ADMIN_PASSWORD:-admin-change-me-42}
    stack_export_aws_defaults
}

# stack_target_dir: cargo's target dir (CARGO_TARGET_DIR, .cargo/config.toml).
stack_target_dir() {
    local dir
    dir=$(cd "$REPO" && cargo metadata --no-deps --format-version 1 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null) || dir=
    [[ -n $dir ]] || dir=${CARGO_TARGET_DIR:-target}
    [[ $dir == /* ]] || dir=$REPO/$dir
    printf '%s\n' "$dir"
}

# Executed rather than sourced: `local/lib/stack.sh CMD ARGS` runs stack_CMD.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    if [[ $# -eq 0 ]] || ! declare -F "stack_$1" >/dev/null; then
        echo "usage: $0 {ensure_tools|start_postgres|start_redis|start_moto|stop|wipe|ensure_jwt_key} ARGS" >&2
        exit 2
    fi
    cmd=$1
    shift
    "stack_$cmd" "$@"
fi
