#!/usr/bin/env bash
# Build the baseline submission image (docker/baseline.Dockerfile) from an assembled context dir.
#
#   docker/baseline/build.sh [--checkpoint DIR] [--tag NAME] [--torch cpu|cuda]
#
# Without --checkpoint it trains the tiny offline model on synthetic data first (about a minute on
# 2 CPU cores) and caches it under $PODIUM_CACHE_DIR/baseline-checkpoint.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
CACHE_DIR="${PODIUM_CACHE_DIR:-$REPO_ROOT/.cache}"
TAG="podium/baseline:latest"
TORCH=cpu
CHECKPOINT=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --checkpoint) CHECKPOINT="$2"; shift 2 ;;
        --tag) TAG="$2"; shift 2 ;;
        --torch) TORCH="$2"; shift 2 ;;
        *) echo "baseline: unknown option $1 (use --checkpoint DIR, --tag NAME, --torch cpu|cuda)" >&2
           exit 2 ;;
    esac
done

"$REPO_ROOT/docker/base/build.sh"

if [[ -z "$CHECKPOINT" ]]; then
    CHECKPOINT="$CACHE_DIR/baseline-checkpoint"
    if [[ ! -f "$CHECKPOINT/podium_baseline.json" ]]; then
        echo "baseline: training the tiny model on synthetic data into $CHECKPOINT"
        (cd "$REPO_ROOT" && "$PYTHON" -m baselines.mbert.train --model tiny --data synthetic \
            --size tiny --out "$CHECKPOINT" --quiet)
    fi
fi
if [[ ! -f "$CHECKPOINT/podium_baseline.json" ]]; then
    echo "baseline: $CHECKPOINT is not a baseline checkpoint (podium_baseline.json missing)" >&2
    exit 1
fi

CONTEXT="$(mktemp -d)"
trap 'rm -rf "$CONTEXT"' EXIT
mkdir -p "$CONTEXT/code/baselines/mbert" "$CONTEXT/wheels" "$CONTEXT/checkpoint"
cp "$REPO_ROOT/baselines/__init__.py" "$CONTEXT/code/baselines/"
cp "$REPO_ROOT"/baselines/mbert/*.py "$CONTEXT/code/baselines/mbert/"
# Only what inference reads: the training log stays out of the image.
find "$CHECKPOINT" -maxdepth 1 -type f ! -name '*.jsonl' -exec cp {} "$CONTEXT/checkpoint/" \;
cp "$REPO_ROOT/docker/baseline/requirements.txt" "$CONTEXT/"
cp /etc/ssl/certs/ca-certificates.crt "$CONTEXT/"
if [[ "$TORCH" == cpu ]]; then
    # The host's pip config knows where the CPU wheel lives (a local find-links dir here);
    # `pip download` fetches exactly that file without installing anything.
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: torch==2.13.0 -d "$CONTEXT/wheels"
    ls "$CONTEXT"/wheels/torch-*+cpu-*.whl >/dev/null 2>&1 || {
        echo "baseline: pip did not find the CPU torch 2.13.0 wheel; use --torch cuda on GPU hosts" >&2
        exit 1
    }
fi

docker build --build-arg TORCH="$TORCH" -f "$REPO_ROOT/docker/baseline.Dockerfile" -t "$TAG" "$CONTEXT"
echo "baseline: built $TAG"
