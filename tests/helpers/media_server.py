"""A real HTTP file server on 127.0.0.1 for upload-from-url and ``validate --check-urls``.

It serves real PNG/APNG/MP4 bytes, an HTML page under an image name, a 404, a redirect and an
endpoint that refuses HEAD (405) so the ranged-GET fallback is exercised. Requests are logged.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int = 2, height: int = 2, *, animated: bool = False) -> bytes:
    """A valid RGB PNG (an APNG with an ``acTL`` chunk before ``IDAT`` when ``animated``)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\0" + b"\xc0\x40\x20" * width for _ in range(height))
    chunks = [_chunk(b"IHDR", header)]
    if animated:
        chunks.append(_chunk(b"acTL", struct.pack(">II", 1, 0)))
    chunks += [_chunk(b"IDAT", zlib.compress(rows)), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def mp4(brand: bytes = b"isom") -> bytes:
    """An ISO media file: an ``ftyp`` box of ``brand`` and an empty ``mdat``."""
    ftyp = b"ftyp" + brand + b"\0\0\0\x01" + brand + b"mp41"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"mdat"


HTML = b"<!doctype html><html><body>Not an image</body></html>"

#: path -> (status, content type, body)
FILES: dict[str, tuple[int, str, bytes]] = {
    "/cat.png": (200, "image/png", png()),
    "/anim.png": (200, "image/png", png(animated=True)),
    "/clip.mp4": (200, "video/mp4", mp4(b"XAVC")),
    "/page.png": (200, "text/html; charset=utf-8", HTML),
    "/page.html": (200, "text/html; charset=utf-8", HTML),
    "/no-head.png": (200, "image/png", png()),
}


class MediaServer:
    """The running server: ``url(path)``, the requests it saw as (method, path, range), and the
    most ``/slow.png`` requests it served at once."""

    def __init__(self, server: ThreadingHTTPServer, scheme: str) -> None:
        self._server = server
        self._scheme = scheme
        self.requests: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    @property
    def base(self) -> str:
        """``http(s)://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The full URL of a path."""
        return self.base + path


def _handler(owner: list[MediaServer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # quiet: pytest runs with warnings as errors, not with server logs

        def _answer(self, *, body: bool) -> None:
            me = owner[0]
            me.requests.append((self.command, self.path, self.headers.get("Range")))
            if self.path.split("?", 1)[0] == "/slow.png":
                with me.lock:
                    me.in_flight += 1
                    me.most_in_flight = max(me.most_in_flight, me.in_flight)
                time.sleep(0.2)
                with me.lock:
                    me.in_flight -= 1
                self.path = "/cat.png"
            if self.path == "/moved.png":
                self.send_response(302)
                self.send_header("Location", "/cat.png")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path == "/no-head.png" and self.command == "HEAD":
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = self.path.split("?", 1)[0]
            status, kind, data = FILES.get(path, (404, "text/plain", b"Not Found"))
            wanted = self.headers.get("Range", "")
            if status == 200 and wanted.startswith("bytes=0-"):
                status, data = 206, data[: int(wanted.removeprefix("bytes=0-")) + 1]
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(body=False)

    return Handler


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written to ``folder`` (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def serving(tls: tuple[Path, Path] | None = None) -> Iterator[MediaServer]:
    """Serve ``FILES`` on a free 127.0.0.1 port until the block ends (https with ``tls``)."""
    owner: list[MediaServer] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(owner))
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    running = MediaServer(server, "http" if tls is None else "https")
    owner.append(running)
    thread = threading.Thread(target=server.serve_forever, name="media server", daemon=True)
    thread.start()
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
