#!/usr/bin/env bash
# The official `openai` Python client, pinned, in a venv of its own (made the first time): prints
# the venv's python, which tests/it/router.rs runs as STORYLOOM_TEST_OPENAI_PYTHON.
set -euo pipefail
OPENAI_VERSION=3.51.0
VENV="${OPENAI_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/storyloom/openai-venv}"
if ! "$VENV/bin/python" -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
    echo "openai-client-venv: installing openai==$OPENAI_VERSION into $VENV" >&2
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet "openai==$OPENAI_VERSION" >&2
fi
echo "$VENV/bin/python"
