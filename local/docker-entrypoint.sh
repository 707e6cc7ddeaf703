#!/usr/bin/env bash
# Entrypoint of the gateway image (local/Dockerfile): prepares the emulated
# AWS resources, the database and the admin, then becomes the gateway.
# Expects DATABASE_URL (the pooler), DATABASE_ADMIN_URL (Postgres itself),
# REDIS_URL, REDIS_CA_FILE, AWS_ENDPOINT_URL and AWS credentials from
# docker-compose.yml; arguments are passed on to the gateway.
#
# The resolved resource variables (queue URLs, topic ARN, table names, secret
# ARNs) are left in $STACK_ENV_FILE, for local/docker/sam-local, which gives the same
# resources to the functions that `sam local` runs.
set -euo pipefail
cd /app

# A signing key of our own unless one is given: made once, in the /keys volume.
if [[ -z ${JWT_PRIVATE_KEY:-} ]]; then
    export JWT_PRIVATE_KEY_FILE=${JWT_PRIVATE_KEY_FILE:-/keys/jwt-private.pem}
    if [[ ! -s $JWT_PRIVATE_KEY_FILE ]]; then
        echo "entrypoint: generating JWT signing key $JWT_PRIVATE_KEY_FILE" >&2
        (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$JWT_PRIVATE_KEY_FILE.tmp" 2>/dev/null)
        mv "$JWT_PRIVATE_KEY_FILE.tmp" "$JWT_PRIVATE_KEY_FILE"
    fi
fi

export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@flightbook.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-admin-change-me-42}
export AWS_REGION=${AWS_REGION:-ap-south-1}

# moto keeps nothing across restarts, so the resources are (re)created at
# every start; provision, seed and admin are all idempotent.
env_file=${STACK_ENV_FILE:-/tmp/flightbook-stack.env}
stack provision --template template.yaml --env-out "$env_file"
# shellcheck source=/dev/null
source "$env_file"
stack seed --days "${SEED_DAYS:-30}"
stack admin

echo "entrypoint: gateway on port ${PORT:-8080}; admin $ADMIN_EMAIL" >&2
exec gateway --template template.yaml "$@"
