#!/usr/bin/env bash
# Shared by local/docker-check and local/docker/sam-local (sourced; defines
# functions only).

# compose ARGS...: Docker Compose v2 (`docker compose`) when the CLI has it,
# else the Debian package's v1 (`docker-compose`, Python), which this
# repository's files are kept working with too.
compose() {
    if [[ -z ${_FLIGHTBOOK_COMPOSE:-} ]]; then
        if docker compose version >/dev/null 2>&1; then
            _FLIGHTBOOK_COMPOSE="docker compose"
        elif command -v docker-compose >/dev/null 2>&1; then
            _FLIGHTBOOK_COMPOSE=docker-compose
        else
            echo "neither \`docker compose\` (v2) nor docker-compose (v1) is installed" >&2
            return 1
        fi
    fi
    # shellcheck disable=SC2086 # two words for v2
    $_FLIGHTBOOK_COMPOSE "$@"
}

# compose_container SERVICE: the id of SERVICE's running container.
compose_container() {
    local id
    id=$(compose ps -q "$1" 2>/dev/null | head -n 1) || return 1
    [[ -n $id && $(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null) == true ]] || return 1
    printf '%s\n' "$id"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
