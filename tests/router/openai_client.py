"""The official `openai` Python client against Storyloom's model router (tests/it/router.rs runs it).

    OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=sl_… python openai_client.py CHAT IMAGE ASR EMBED

CHAT, IMAGE, ASR (speech to text) and EMBED (embeddings) are public model names. Every call goes through the client's own request building
and response parsing (that is the check); what it parsed is printed as one JSON object, with the
router's usage id of each metered call, for the Rust test to compare with the ledger.
"""

import io
import json
import sys
import wave

import openai
from openai import OpenAI

chat_model, image_model, asr_model, embed_model = sys.argv[1:5]
client = OpenAI(max_retries=0)  # OPENAI_BASE_URL and OPENAI_API_KEY from the environment
messages = [{"role": "user", "content": "Say hello"}]
out = {"client_version": openai.__version__}

out["models"] = sorted(m.id for m in client.models.list().data)

raw = client.chat.completions.with_raw_response.create(
    model=chat_model, messages=messages, max_tokens=50
)
chat = raw.parse()
out["chat"] = {
    "usage_id": raw.headers.get("x-usage-id"),
    "content": chat.choices[0].message.content,
    "finish_reason": chat.choices[0].finish_reason,
    "prompt_tokens": chat.usage.prompt_tokens,
    "completion_tokens": chat.usage.completion_tokens,
}

raw = client.chat.completions.with_raw_response.create(
    model=chat_model,
    messages=messages,
    max_tokens=50,
    stream=True,
    stream_options={"include_usage": True},
)
pieces, usage, chunks = [], None, 0
for chunk in raw.parse():
    chunks += 1
    if chunk.choices:
        pieces.append(chunk.choices[0].delta.content or "")
    if chunk.usage:
        usage = chunk.usage
out["stream"] = {
    "usage_id": raw.headers.get("x-usage-id"),
    "content": "".join(pieces),
    "chunks": chunks,
    "completion_tokens": usage.completion_tokens if usage else None,
}

raw = client.images.with_raw_response.generate(
    model=image_model, prompt="a lighthouse at dusk", n=1, response_format="b64_json"
)
image = raw.parse()
out["image"] = {"usage_id": raw.headers.get("x-usage-id"), "b64_json": image.data[0].b64_json}

# One second of 16 kHz mono silence as a WAV file.
wav = io.BytesIO()
with wave.open(wav, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(b"\0\0" * 16000)
raw = client.audio.transcriptions.with_raw_response.create(
    model=asr_model, file=("hello.wav", wav.getvalue(), "audio/wav"), language="en"
)
out["transcription"] = {"usage_id": raw.headers.get("x-usage-id"), "text": raw.parse().text}

raw = client.embeddings.with_raw_response.create(model=embed_model, input=["hello", "world"])
embeddings = raw.parse()
out["embeddings"] = {
    "usage_id": raw.headers.get("x-usage-id"),
    "count": len(embeddings.data),
    "first": list(embeddings.data[0].embedding),
    "prompt_tokens": embeddings.usage.prompt_tokens,
}

try:
    client.chat.completions.create(model="no-such-model", messages=messages)
    out["not_found"] = None
except openai.NotFoundError as e:
    out["not_found"] = {"status": e.status_code, "code": e.code}

try:
    client.chat.completions.create(model=chat_model, messages=messages, max_tokens=10_000_000)
    out["too_expensive"] = None
except openai.APIStatusError as e:
    out["too_expensive"] = {"status": e.status_code, "code": e.code, "type": e.type}

print(json.dumps(out))
