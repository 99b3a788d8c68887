#!/usr/bin/env bash
# Build the offline base image podium/base:bookworm with mmdebstrap + `docker import` (no registry needed).
#
# Idempotent: does nothing when the image already exists (FORCE=1 rebuilds). The root filesystem
# tarball is cached under $PODIUM_CACHE_DIR (default <repo>/.cache) so a rebuild after
# `docker system prune` takes seconds instead of a Debian download.
set -euo pipefail

IMAGE="${PODIUM_BASE_IMAGE:-podium/base:bookworm}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="${PODIUM_CACHE_DIR:-$REPO_ROOT/.cache}/podium-base"
TARBALL="$CACHE_DIR/bookworm-rootfs.tar"

if [[ "${FORCE:-0}" != 1 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "base: $IMAGE already present"
    exit 0
fi

if [[ ! -s "$TARBALL" ]]; then
    command -v mmdebstrap >/dev/null || {
        echo "base: mmdebstrap is missing; install it with: apt-get install -y mmdebstrap" >&2
        exit 1
    }
    mkdir -p "$CACHE_DIR"
    # Write to a temporary name first so an interrupted download never leaves a half tarball cached.
    mmdebstrap --quiet --format=tar --variant=apt --include=python3,python3-venv,ca-certificates \
        bookworm "$TARBALL.partial"
    mv "$TARBALL.partial" "$TARBALL"
fi

# docker import keeps no metadata, so set the defaults every Podium image relies on here.
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'CMD ["/bin/bash"]' \
    "$TARBALL" "$IMAGE" >/dev/null
echo "base: imported $IMAGE from $TARBALL"
