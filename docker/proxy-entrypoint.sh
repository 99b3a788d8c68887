#!/bin/sh
# Fills in docker/nginx.conf.template from the environment and runs nginx in the foreground.
set -eu
: "${PODIUM_PROXY_LISTEN:=8080}"
: "${PODIUM_PROXY_UPSTREAM:=web:8000}"
: "${PODIUM_MAX_UPLOAD_BYTES:=21474836480}"
: "${PODIUM_PROXY_BODY_TIMEOUT:=60s}"
: "${PODIUM_PROXY_RUN_DIR:=/tmp/nginx}"
export PODIUM_PROXY_LISTEN PODIUM_PROXY_UPSTREAM PODIUM_MAX_UPLOAD_BYTES PODIUM_PROXY_BODY_TIMEOUT \
    PODIUM_PROXY_RUN_DIR
mkdir -p "$PODIUM_PROXY_RUN_DIR"
# Only our names: nginx's own $host, $scheme... stay as they are.
envsubst '${PODIUM_PROXY_LISTEN} ${PODIUM_PROXY_UPSTREAM} ${PODIUM_MAX_UPLOAD_BYTES} ${PODIUM_PROXY_BODY_TIMEOUT} ${PODIUM_PROXY_RUN_DIR}' \
    < /etc/podium/nginx.conf.template > "$PODIUM_PROXY_RUN_DIR/nginx.conf"
exec nginx -e stderr -c "$PODIUM_PROXY_RUN_DIR/nginx.conf" -g 'daemon off;'
