#!/usr/bin/env bash
#
# Entrypoint of the services image (local/docker/Dockerfile.services): one
# image, one role per compose service, shaped like the AWS data path that
# local/lib/stack.sh models without Docker:
#
#   certs       once: a CA and one server certificate (SANs: postgres, pgbouncer,
#               redis, moto, localhost, 127.0.0.1, ::1) into /tls, kept in the volume
#   postgres    PostgreSQL 15 taking TLS connections only (hostnossl: reject),
#               scram-sha-256; the roles of deploy/database-roles.sql: the owner
#               POSTGRES_OWNER_USER / POSTGRES_OWNER_PASSWORD (owns `flightbook`, runs
#               the migrations) and the functions' POSTGRES_APP_USER / POSTGRES_APP_PASSWORD
#   pgbouncer   PgBouncer in front of it, as RDS Proxy: TLS required from clients,
#               verify-full TLS to Postgres, scram-sha-256, session pooling
#   redis       Redis on its TLS port only, `default` user off, one ACL user
#               REDIS_APP_USER / REDIS_APP_PASSWORD (as ElastiCache with RBAC)
#   moto        the AWS emulator (SQS, SNS, DynamoDB) on port 5000
#   health ROLE the compose healthcheck of that role
#
# Each server starts as root, takes its copy of the key, and then runs as its
# own unprivileged user (setpriv: exec, no extra process).
set -euo pipefail

TLS=/tls
PG_BIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data}

log() { printf '[%s] %s\n' "$role" "$*" >&2; }

# run_as USER CMD...: runs CMD as USER (its groups too), replacing this process
# when called with exec.
run_as() {
    local user=$1
    shift
    setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
}

# private_tls USER DIR: copies the CA, certificate and key into DIR, readable
# by USER only (servers refuse a key that others can read).
private_tls() {
    local user=$1 dir=$2
    for f in ca.pem server.pem server.key; do
        [[ -s $TLS/$f ]] || { log "$TLS/$f is missing: the certs service has not run"; exit 1; }
    done
    install -d -m 700 -o "$user" -g "$user" "$dir"
    install -m 644 -o "$user" -g "$user" "$TLS/ca.pem" "$TLS/server.pem" "$dir/"
    install -m 600 -o "$user" -g "$user" "$TLS/server.key" "$dir/"
}

need() {
    [[ -n ${!1:-} ]] || { log "$1 is not set"; exit 1; }
}

certs() {
    if [[ -s $TLS/ca.pem && -s $TLS/server.pem && -s $TLS/server.key ]]; then
        log "certificates already in $TLS"
        return 0
    fi
    log "making a local CA and a server certificate in $TLS"
    local tmp
    tmp=$(mktemp -d)
    (
        cd "$tmp"
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
            -subj "/CN=flightbook local CA (docker)" -keyout ca.key -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj "/CN=flightbook local services" -keyout server.key -out server.csr
        printf '%s\n' \
            'subjectAltName=DNS:postgres,DNS:pgbouncer,DNS:redis,DNS:moto,DNS:localhost,IP:127.0.0.1,IP:::1' \
            'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
            'extendedKeyUsage=serverAuth' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile server.ext -out server.pem
    ) 2>"$tmp/openssl.log" || { cat "$tmp/openssl.log" >&2; exit 1; }
    mkdir -p "$TLS"
    # The CA key is not kept: nothing else is ever signed with it.
    install -m 644 "$tmp/ca.pem" "$tmp/server.pem" "$TLS/"
    install -m 600 "$tmp/server.key" "$TLS/server.key.tmp"
    mv "$TLS/server.key.tmp" "$TLS/server.key"
    rm -rf "$tmp"
}

postgres_() {
    need POSTGRES_OWNER_USER
    need POSTGRES_OWNER_PASSWORD
    need POSTGRES_APP_USER
    need POSTGRES_APP_PASSWORD
    local tlsdir=/var/lib/postgresql/tls sock=/var/run/postgresql init_sock=/tmp/pg-init
    private_tls postgres "$tlsdir"
    install -d -m 2775 -o postgres -g postgres "$sock"
    install -d -m 700 -o postgres -g postgres "$PGDATA" "$init_sock"
    if [[ ! -s $PGDATA/PG_VERSION ]]; then
        log "initialising the cluster in $PGDATA"
        run_as postgres "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth-local=peer \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-instructions >/dev/null
    fi
    # Rewritten at each start: the superuser over the socket only, every TCP
    # client with TLS and a password (as RDS with rds.force_ssl).
    printf '%s\n' '# Written by local/docker/service.sh at each start.' \
        'local     all  postgres  peer' \
        'hostssl   all  all       0.0.0.0/0  scram-sha-256' \
        'hostssl   all  all       ::/0       scram-sha-256' \
        'hostnossl all  all       all        reject' >"$PGDATA/pg_hba.conf"
    chown postgres: "$PGDATA/pg_hba.conf"

    # The roles and the database, on a server that listens on a private
    # socket only (so the healthcheck does not pass before the real start).
    log "ensuring roles $POSTGRES_OWNER_USER, $POSTGRES_APP_USER and database flightbook"
    run_as postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -w -t 60 -l /tmp/pg-init.log \
        -o "-c listen_addresses='' -k $init_sock" start >/dev/null
    run_as postgres "$PG_BIN/psql" -h "$init_sock" -U postgres -d postgres -XqAt -v ON_ERROR_STOP=1 \
        -v owner="$POSTGRES_OWNER_USER" -v owner_password="$POSTGRES_OWNER_PASSWORD" \
        -v app="$POSTGRES_APP_USER" -v app_password="$POSTGRES_APP_PASSWORD" \
        -f /usr/local/share/flightbook/database-roles.sql
    run_as postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null

    log "starting postgres on port 5432 (TLS only, scram-sha-256)"
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$PG_BIN/postgres" -D "$PGDATA" \
        -c listen_addresses='*' -c port=5432 -c unix_socket_directories="$sock" \
        -c max_connections=300 -c ssl=on -c ssl_cert_file="$tlsdir/server.pem" \
        -c ssl_key_file="$tlsdir/server.key" -c ssl_min_protocol_version=TLSv1.2 \
        -c password_encryption=scram-sha-256
}

pgbouncer_() {
    need POSTGRES_OWNER_USER
    need POSTGRES_OWNER_PASSWORD
    need POSTGRES_APP_USER
    need POSTGRES_APP_PASSWORD
    local dir=/var/lib/pgbouncer-local
    private_tls postgres "$dir/tls"
    umask 077
    printf '"%s" "%s"\n' "$POSTGRES_APP_USER" "$POSTGRES_APP_PASSWORD" \
        "$POSTGRES_OWNER_USER" "$POSTGRES_OWNER_PASSWORD" >"$dir/userlist.txt"
    printf '%s\n' '; Written by local/docker/service.sh at each start.' \
        '[databases]' "* = host=${PGBOUNCER_UPSTREAM:-postgres} port=5432" \
        '[pgbouncer]' 'listen_addr = *' 'listen_port = 6432' 'unix_socket_dir =' \
        'auth_type = scram-sha-256' "auth_file = $dir/userlist.txt" \
        'pool_mode = session' 'max_client_conn = 2000' 'default_pool_size = 100' \
        'server_idle_timeout = 30' 'autodb_idle_timeout = 60' \
        'client_tls_sslmode = require' \
        "client_tls_cert_file = $dir/tls/server.pem" "client_tls_key_file = $dir/tls/server.key" \
        'server_tls_sslmode = verify-full' "server_tls_ca_file = $dir/tls/ca.pem" >"$dir/pgbouncer.ini"
    chown postgres: "$dir/userlist.txt" "$dir/pgbouncer.ini"
    log "starting pgbouncer on port 6432 in front of ${PGBOUNCER_UPSTREAM:-postgres}:5432 (TLS, scram-sha-256)"
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- pgbouncer "$dir/pgbouncer.ini"
}

redis_() {
    need REDIS_APP_USER
    need REDIS_APP_PASSWORD
    local dir=/etc/redis-local
    private_tls redis "$dir/tls"
    install -d -m 750 -o redis -g redis /data
    umask 077
    {
        printf '# Written by local/docker/service.sh at each start.\n'
        printf 'bind 0.0.0.0\nprotected-mode no\nport 0\ntls-port 6379\n'
        printf 'tls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-auth-clients no\n' \
            "$dir/tls/server.pem" "$dir/tls/server.key" "$dir/tls/ca.pem"
        printf 'user default off\nuser %s on >%s ~* &* +@all\n' "$REDIS_APP_USER" "$REDIS_APP_PASSWORD"
        printf 'dir /data\nappendonly yes\nappendfsync everysec\ndaemonize no\nlogfile ""\n'
    } >"$dir/redis.conf"
    chown redis: "$dir/redis.conf"
    log "starting redis on port 6379 (TLS only, ACL user $REDIS_APP_USER)"
    exec setpriv --reuid=redis --regid=redis --init-groups -- redis-server "$dir/redis.conf"
}

moto_() {
    log "starting moto on port 5000"
    exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
        /opt/moto/bin/moto_server -H 0.0.0.0 -p 5000
}

health() {
    case ${1:-} in
    postgres) pg_isready -q -h /var/run/postgresql -p 5432 -U postgres ;;
    pgbouncer)
        # The whole chain: TLS to the pooler, scram, verified TLS to Postgres.
        PGPASSWORD=$POSTGRES_APP_PASSWORD psql -XqAt -c 'SELECT 1' \
            "host=localhost port=6432 dbname=flightbook user=$POSTGRES_APP_USER sslmode=verify-full sslrootcert=$TLS/ca.pem" \
            >/dev/null
        ;;
    redis)
        [[ $(REDISCLI_AUTH=$REDIS_APP_PASSWORD redis-cli --tls --cacert "$TLS/ca.pem" -h localhost -p 6379 \
            --user "$REDIS_APP_USER" ping 2>/dev/null) == PONG ]]
        ;;
    moto)
        /opt/moto/bin/python -c \
            "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/moto-api/data.json', timeout=2)"
        ;;
    *) log "health: unknown role '${1:-}'"; return 2 ;;
    esac
}

role=${1:-}
case $role in
certs) certs ;;
postgres) postgres_ ;;
pgbouncer) pgbouncer_ ;;
redis) redis_ ;;
moto) moto_ ;;
health) role="health ${2:-}"; health "${2:-}" ;;
*)
    role=service
    log "usage: service.sh {certs|postgres|pgbouncer|redis|moto|health ROLE}"
    exit 2
    ;;
esac
