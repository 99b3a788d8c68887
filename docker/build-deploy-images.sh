#!/usr/bin/env bash
# Build podium/web, worker, proxy, postgres and redis from the committed tree (HEAD), on the offline base image.
#
# The context is `git archive HEAD` (no .venv, caches or uncommitted files) plus the host's CA
# bundle as build-ca.crt, so pip inside the build trusts a TLS-intercepting proxy if there is one.
# Usage: docker/build-deploy-images.sh [web|worker|proxy|postgres|redis ...]   (default: all); TAG=... to retag.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/.." && pwd)"
TAG="${TAG:-latest}"
CA_BUNDLE="${PODIUM_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(web worker proxy postgres redis)

bash "$HERE/base/build.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$REPO_ROOT" archive --format=tar -o "$work/context.tar" HEAD
cp "$CA_BUNDLE" "$work/build-ca.crt"
tar -C "$work" -rf "$work/context.tar" build-ca.crt

export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"
for target in "${targets[@]}"; do
    docker build -f "docker/$target.Dockerfile" -t "podium/$target:$TAG" - < "$work/context.tar"
    echo "built podium/$target:$TAG"
done
