"""The gateway's OpenAI-compatible HTTP API with the standard library only: a streaming chat completion read as
server-sent events (http.client, line by line as the chunks arrive), and the model list."""

import base64
import http.client
import json
import urllib.parse


class HttpApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def _connection(base_url, timeout):
    url = urllib.parse.urlsplit(base_url)
    if url.scheme != "http":
        raise ValueError(f"{base_url}: only http:// gateway URLs are supported")
    return http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)


def _error_body(response):
    text = response.read().decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def list_models(base_url, timeout):
    connection = _connection(base_url, timeout)
    try:
        connection.request("GET", "/v1/models")
        response = connection.getresponse()
        if response.status != 200:
            raise HttpApiError(response.status, _error_body(response))
        return json.loads(response.read())
    finally:
        connection.close()


def chat_body(image, question, max_tokens, mustafar=None):
    """A chat completion request for one image and one question, greedy, streamed."""
    body = {
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": max_tokens,
        "temperature": 0,
        "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(image).decode("ascii")}},
            {"type": "text", "text": question},
        ]}],
    }
    if mustafar:
        body["mustafar"] = mustafar
    return body


def stream_chat(base_url, body, timeout):
    """POSTs a streaming chat completion and reads its SSE events until "data: [DONE]". Returns the joined
    content deltas, the number of chunks, the last chunk with a choice (finish reason, "mustafar" metadata), the
    usage (the chunk with "choices": [] that stream_options.include_usage asks for; None without it) and the
    response headers. An error event in the stream raises HttpApiError with status 200."""
    connection = _connection(base_url, timeout)
    try:
        payload = json.dumps(body).encode("utf-8")
        connection.request("POST", "/v1/chat/completions", body=payload,
                           headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
        response = connection.getresponse()
        if response.status != 200:
            raise HttpApiError(response.status, _error_body(response))
        content_type = response.getheader("Content-Type", "")
        if not content_type.startswith("text/event-stream"):
            raise HttpApiError(response.status, f"expected text/event-stream, got {content_type!r}")
        text, chunks, last, usage, done = [], 0, None, None, False
        while True:
            line = response.readline()
            if not line:
                break
            line = line.decode("utf-8").rstrip("\r\n")
            if not line.startswith("data: "):
                continue  # blank separators, comments
            data = line[len("data: "):]
            if data == "[DONE]":
                done = True
                break
            chunk = json.loads(data)
            if "error" in chunk:
                raise HttpApiError(200, chunk)
            chunks += 1
            if chunk.get("usage") is not None:
                usage = chunk["usage"]
            if not chunk.get("choices"):
                continue
            for choice in chunk["choices"]:
                text.append(choice.get("delta", {}).get("content") or "")
            last = chunk
        if not done:
            raise HttpApiError(200, "the event stream ended without data: [DONE]")
        return "".join(text), chunks, last, usage, dict(response.getheaders())
    finally:
        connection.close()
