#!/usr/bin/env bash
# Installs (Debian packages) and starts the real services the test suite and the demo use.
#   scripts/services.sh install   apt-get the packages (root; CI and fresh machines)
#   scripts/services.sh start     start dockerd, PostgreSQL and print what is running
# Redis is started per test session by tests/conftest.py on a free port (a private instance).
set -euo pipefail

PACKAGES=(docker.io redis-server postgresql mmdebstrap docker-registry chromium chromium-driver wrk nginx docker-compose)
PG_USER=${PODIUM_PG_USER:-podium}
PG_PASSWORD=${PODIUM_PG_PASSWORD:-podium}

log() { printf '[services] %s\n' "$*" >&2; }

install() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "all packages present"; return; fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_docker() {
  command -v dockerd >/dev/null || { log "dockerd not installed (scripts/services.sh install)"; return 0; }
  if docker info >/dev/null 2>&1; then log "docker already running"; return; fi
  log "starting dockerd"
  setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && { log "docker up"; return; }; sleep 1; done
  log "dockerd did not start; see /var/log/dockerd.log"; return 1
}

start_postgres() {
  command -v pg_ctlcluster >/dev/null || { log "postgresql not installed"; return 0; }
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
  [ -n "$version" ] || { log "no PostgreSQL cluster"; return 0; }
  pg_ctlcluster "$version" main status >/dev/null 2>&1 || pg_ctlcluster "$version" main start
  # A login role that may create test databases; idempotent.
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 ||
    su postgres -c "psql -qc \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
  log "postgres $version up (postgres://$PG_USER:***@127.0.0.1:5432/)"
}

case "${1:-start}" in
  install) install ;;
  start) start_docker; start_postgres ;;
  *) echo "usage: $0 install|start" >&2; exit 2 ;;
esac
