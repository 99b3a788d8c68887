#!/bin/sh
# Fills in docker/nginx.conf.template from the environment and runs nginx in the foreground.
# The tests start nginx through this script too (PODIUM_PROXY_TEMPLATE points at the repository's).
set -eu
: "${PODIUM_PROXY_LISTEN:=8080}"
: "${PODIUM_PROXY_UPSTREAM:=web:8000}"
: "${PODIUM_MAX_UPLOAD_BYTES:=21474836480}"
: "${PODIUM_PROXY_MAX_BODY:=1m}"
: "${PODIUM_PROXY_CONNECTIONS_PER_CLIENT:=32}"
: "${PODIUM_PROXY_BODY_TIMEOUT:=60s}"
: "${PODIUM_PROXY_RUN_DIR:=/tmp/nginx}"
: "${PODIUM_PROXY_REAL_IP_FROM:=gateway}"
: "${PODIUM_PROXY_TEMPLATE:=/etc/podium/nginx.conf.template}"
export PODIUM_PROXY_LISTEN PODIUM_PROXY_UPSTREAM PODIUM_MAX_UPLOAD_BYTES PODIUM_PROXY_MAX_BODY \
    PODIUM_PROXY_CONNECTIONS_PER_CLIENT PODIUM_PROXY_BODY_TIMEOUT PODIUM_PROXY_RUN_DIR
mkdir -p "$PODIUM_PROXY_RUN_DIR"

# nginx's size syntax (1048576, 512k, 1m, 1g) in bytes.
to_bytes() {
    case "$1" in
        *[kK]) echo $(( ${1%?} * 1024 )) ;;
        *[mM]) echo $(( ${1%?} * 1024 * 1024 )) ;;
        *[gG]) echo $(( ${1%?} * 1024 * 1024 * 1024 )) ;;
        *) echo $(( $1 )) ;;
    esac
}
# A small body's memory buffer: 64 KB more than the largest small body, so it never fills up
# (nginx writes a body to disk only when its buffer is full).
PODIUM_PROXY_BODY_BUFFER=$(( $(to_bytes "$PODIUM_PROXY_MAX_BODY") + 65536 ))
export PODIUM_PROXY_BODY_BUFFER

# This container's default gateway: where a TLS terminator on the same host connects from.
default_gateway() {
    # /proc/net/route holds it as 8 hex digits, least significant byte first.
    awk 'function byte(h) { return (index("0123456789ABCDEF", substr(h, 1, 1)) - 1) * 16 + index("0123456789ABCDEF", substr(h, 2, 1)) - 1 }
         $2 == "00000000" { g = toupper($3); print byte(substr(g, 7)) "." byte(substr(g, 5)) "." byte(substr(g, 3)) "." byte(g); exit }' /proc/net/route
}

# The proxies of ours in front whose X-Forwarded-For is believed (addresses or CIDRs, comma or
# space separated; "gateway": this container's gateway; "none": nobody, the peer is the client).
{
    echo "# Written by proxy-entrypoint.sh from PODIUM_PROXY_REAL_IP_FROM=$PODIUM_PROXY_REAL_IP_FROM"
    for source in $(echo "$PODIUM_PROXY_REAL_IP_FROM" | tr ',' ' '); do
        case "$source" in
            none) ;;
            gateway) gateway=$(default_gateway) && [ -n "$gateway" ] && echo "set_real_ip_from $gateway;" ;;
            *) echo "set_real_ip_from $source;" ;;
        esac
    done
} > "$PODIUM_PROXY_RUN_DIR/real-ip.conf"

# Only our names: nginx's own $host, $remote_addr... stay as they are.
envsubst '${PODIUM_PROXY_LISTEN} ${PODIUM_PROXY_UPSTREAM} ${PODIUM_MAX_UPLOAD_BYTES} ${PODIUM_PROXY_MAX_BODY} ${PODIUM_PROXY_BODY_BUFFER} ${PODIUM_PROXY_CONNECTIONS_PER_CLIENT} ${PODIUM_PROXY_BODY_TIMEOUT} ${PODIUM_PROXY_RUN_DIR}' \
    < "$PODIUM_PROXY_TEMPLATE" > "$PODIUM_PROXY_RUN_DIR/nginx.conf"
exec nginx -e stderr -c "$PODIUM_PROXY_RUN_DIR/nginx.conf" -g 'daemon off;'
