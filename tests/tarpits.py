"""Servers that accept a connection and then stall until told to go on: a webhook receiver that
holds the request, and an SMTP server that holds the DATA command. They show what a send does
to the rest of the system while the far end is slow."""

import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

HOLD_AT_MOST_SECONDS = 60


class _Stall:
    def __init__(self):
        self.arrived = threading.Event()  # a sender is connected and waiting on us
        self.release = threading.Event()  # answer it now

    @property
    def holding(self) -> bool:
        return self.arrived.is_set() and not self.release.is_set()


class TarpitWebhook(_Stall):
    def __init__(self):
        super().__init__()
        tarpit = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                tarpit.arrived.set()
                tarpit.release.wait(HOLD_AT_MOST_SECONDS)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # `localhost`, not the address: the send-time check resolves the name like a real one.
        self.url = f"http://localhost:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


class TarpitSmtp(_Stall):
    def __init__(self):
        super().__init__()
        tarpit = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
                tarpit.arrived.set()
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, tarpit.release.wait, HOLD_AT_MOST_SECONDS)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self.release.set()
        self._controller.stop()
