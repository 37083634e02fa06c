"""A local OpenAI-compatible chat-completions server for tests (no network, no model).

POST {base}/chat/completions with {"model", "messages", "stream"} answers with `reply` — as one
JSON completion, or with "stream": true as server-sent events of `chat.completion.chunk` pieces
ending in `data: [DONE]`, exactly as the OpenAI / Hunyuan endpoints do. Every request is recorded
(path, headers, parsed JSON body) so tests can check what the assistant sent.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LLMServer:
    def __init__(
        self, reply: str = "根据资料 [1]，请重新安装 VPN 客户端。", *, chunk_size: int = 4
    ):
        self.reply = reply
        self.chunk_size = chunk_size
        self.status = 200
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                if not self.path.endswith("/chat/completions") or body is None:
                    return self._json(404, {"error": {"message": "not found"}})
                if server.status != 200:
                    return self._json(server.status, {"error": {"message": "scripted failure"}})
                if body.get("stream"):
                    return self._stream(body)
                return self._json(
                    200,
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": server.reply},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _json(self, status: int, payload: dict):
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                text = server.reply
                pieces = [
                    text[i : i + server.chunk_size] for i in range(0, len(text), server.chunk_size)
                ]
                first = {"role": "assistant", "content": ""}
                for delta in [first, *({"content": p} for p in pieces)]:
                    chunk = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "model": body.get("model"),
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
