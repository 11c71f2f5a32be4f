"""A stand-in for Twilio's Messages API on this machine, for local mode and the tests: it
accepts `POST /2010-04-01/Accounts/<sid>/Messages.json` (form-encoded `To`, `From`, `Body`,
HTTP basic auth with the account sid) as Twilio does, answers 201 with a message resource, and
keeps every message it was sent (`GET /messages` lists them as JSON).

    .venv/bin/python -m core.sms_standin --port 8026
    RECOVERYOS_TWILIO_BASE_URL=http://127.0.0.1:8026 RECOVERYOS_TWILIO_ACCOUNT_SID=AC... \\
      RECOVERYOS_TWILIO_AUTH_TOKEN=... RECOVERYOS_TWILIO_FROM_NUMBER=+15005550006 recoveryos worker
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
import uuid
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass(frozen=True)
class Sent:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str


@dataclass
class SmsStandIn:
    port: int = 0
    _sent: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> SmsStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                m = _MESSAGES.match(self.path)
                user = _basic_user(self.headers.get("Authorization", ""))
                if m is None or user != m.group(1):
                    return self._answer(401 if m else 404, {"message": "not found or not authorised"})
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                sent = Sent(
                    "SM" + uuid.uuid4().hex,
                    m.group(1),
                    form.get("To", [""])[0],
                    form.get("From", [""])[0],
                    form.get("Body", [""])[0],
                )
                with standin._lock:
                    standin._sent.append(sent)
                self._answer(
                    201,
                    {
                        "sid": sent.sid,
                        "account_sid": sent.account_sid,
                        "to": sent.to,
                        "from": sent.from_,
                        "body": sent.body,
                        "status": "queued",
                    },
                )

            def do_GET(self) -> None:
                self._answer(200, [asdict(s) for s in standin.sent()])

            def _answer(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)


def _basic_user(header: str) -> str | None:
    if not header.startswith("Basic "):
        return None
    try:
        return base64.b64decode(header[6:]).decode().split(":", 1)[0]
    except ValueError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description="A local stand-in for Twilio's Messages API")
    parser.add_argument("--port", type=int, default=8026)
    args = parser.parse_args()
    standin = SmsStandIn(args.port).start()
    print(f"SMS stand-in at {standin.base_url} (GET /messages lists what it was sent)", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
