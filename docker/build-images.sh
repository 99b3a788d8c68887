#!/usr/bin/env bash
# Build the offline base image and every example submission (tags podium-example/<name>:latest).
#
# Idempotent and fast on a second run: the base is skipped when present and example builds hit
# Docker's layer cache. Usage: docker/build-images.sh [name ...]   (default: all examples)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/base/build.sh"

if [[ $# -gt 0 ]]; then
    names=("$@")
else
    names=()
    for dir in "$HERE"/examples/*/; do names+=("$(basename "$dir")"); done
fi

# The legacy builder ships with every engine; BuildKit (buildx) may be missing on Debian's docker.io.
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"
for name in "${names[@]}"; do
    context="$HERE/examples/$name"
    [[ -f "$context/Dockerfile" ]] || { echo "no example named $name in $HERE/examples" >&2; exit 1; }
    # Only show the builder's chatter (a deprecation notice for the legacy builder) when it fails.
    if ! log="$(docker build --quiet --tag "podium-example/$name:latest" "$context" 2>&1)"; then
        echo "$log" >&2
        exit 1
    fi
    echo "built podium-example/$name:latest"
done
