#!/usr/bin/env bash
# Build the baseline submission image (docker/baseline.Dockerfile) from an assembled context dir.
#
#   docker/baseline/build.sh [--checkpoint DIR] [--tag NAME] [--torch cpu|cuda] [--train "ARGS"]
#
# Without --checkpoint it first trains the documented recipe (docs/baseline.md) on the data this
# machine has: by default train.py's own default encoder (minilm, pretrained, offline) on the
# `small` synthetic split with XTREME's schedule (5 epochs for xnli/pawsx, 10 for udpos/panx),
# printing progress with the time left. --train adds or overrides train.py options (e.g.
# --train "--model tiny" for a quick image, --train "--model mbert --data local --data-path
# /data/xtreme" on a GPU host). The checkpoint is cached under $PODIUM_CACHE_DIR, keyed by the
# exact command; an interrupted training carries on where it stopped when run again.
#
# The default tag is one a team may upload: names under podium/ and podium-* are reserved for the
# platform's own images, and uploads tagged with them are refused.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
CACHE_DIR="${PODIUM_CACHE_DIR:-$REPO_ROOT/.cache}"
TAG="team-baseline/mbert:latest"
TORCH=cpu
CHECKPOINT=""
RECIPE=(--model minilm --data synthetic --size small)
EXTRA=""
USAGE="use --checkpoint DIR, --tag NAME, --torch cpu|cuda, --train \"TRAIN.PY OPTIONS\""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --checkpoint) CHECKPOINT="$2"; shift 2 ;;
        --tag) TAG="$2"; shift 2 ;;
        --torch) TORCH="$2"; shift 2 ;;
        --train) EXTRA="$2"; shift 2 ;;
        *) echo "baseline: unknown option $1 ($USAGE)" >&2; exit 2 ;;
    esac
done

case "$TAG" in
    podium/*|podium-*)
        echo "baseline: $TAG is a reserved name (podium/ and podium-* are the platform's own" \
             "images) and an upload with it is refused; pick e.g. --tag myteam/mbert:v1" >&2
        exit 2 ;;
esac

"$REPO_ROOT/docker/base/build.sh"

if [[ -z "$CHECKPOINT" ]]; then
    # shellcheck disable=SC2206  # --train is a list of options, split on purpose
    TRAIN=("${RECIPE[@]}" $EXTRA)
    KEY="$(printf '%s\n' "${TRAIN[@]}" | sha256sum | cut -c1-12)"
    CHECKPOINT="$CACHE_DIR/baseline-checkpoint-$KEY"
    if [[ ! -f "$CHECKPOINT/podium_baseline.json" ]]; then
        RESUME=()
        if [[ -f "$CHECKPOINT.partial/resume/state.pt" ]]; then
            echo "baseline: carrying on the interrupted training in $CHECKPOINT.partial"
            RESUME=(--resume)
        else
            echo "baseline: training the recipe (train.py ${TRAIN[*]}) into $CHECKPOINT"
            rm -rf "$CHECKPOINT.partial"
        fi
        (cd "$REPO_ROOT" && "$PYTHON" -m baselines.mbert.train "${TRAIN[@]}" \
            --out "$CHECKPOINT.partial" "${RESUME[@]}")
        mv "$CHECKPOINT.partial" "$CHECKPOINT"
    fi
fi
if [[ ! -f "$CHECKPOINT/podium_baseline.json" ]]; then
    echo "baseline: $CHECKPOINT is not a baseline checkpoint (podium_baseline.json missing)" >&2
    exit 1
fi

CONTEXT="$(mktemp -d)"
trap 'rm -rf "$CONTEXT"' EXIT
mkdir -p "$CONTEXT/code/baselines/mbert" "$CONTEXT/wheels"
cp "$REPO_ROOT/baselines/__init__.py" "$CONTEXT/code/baselines/"
cp "$REPO_ROOT"/baselines/mbert/*.py "$CONTEXT/code/baselines/mbert/"
# Only what inference reads (per-task sub-checkpoints included): the training log stays out.
mkdir -p "$CONTEXT/checkpoint"
(cd "$CHECKPOINT" && find . -type f ! -name '*.jsonl' -exec cp --parents {} "$CONTEXT/checkpoint/" \;)
# Submissions run as an unprivileged user and safetensors are written 0600; COPY keeps these modes.
chmod -R a+rX "$CONTEXT/code" "$CONTEXT/checkpoint"
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
