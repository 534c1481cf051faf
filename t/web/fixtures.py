"""ZIPs for the generator page's ZIP reader (web/zip.js), written by
Python's zipfile into the folder given: python.zip (stored and deflated
entries, UTF-8 names, a folder entry, a binary file, an archive comment)
and damaged ones, each refused with a message: truncated.zip, crc.zip,
inflate.zip, count.zip, notzip.zip; and canned event streams for the
page's Server-Sent Events reader (web/events.js): stream.sse (comments,
an event of another type, data on two lines, CRLF and LF) and cut.sse
(ends before the project is ready)."""

import io
import os
import struct
import sys
import zipfile

out = sys.argv[1]


def build():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(zipfile.ZipInfo("top/"), b"")
        z.writestr("top/README.txt", "Hello from Python's zipfile.\n" * 40,
                   compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("top/stored.txt", "stored, not compressed\n",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("top/ünïcödé/日本語.md", "# Ünïcödé 日本語\n",
                   compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("top/empty/"), b"")
        z.writestr("top/bin/logo.png",
                   b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("top/big.txt",
                   "".join("line %d of a larger file\n" % i
                           for i in range(5000)),
                   compress_type=zipfile.ZIP_DEFLATED)
        z.comment = b"made by t/web/fixtures.py"
    return b.getvalue()


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


good = build()
write("python.zip", good)
write("truncated.zip", good[:len(good) // 2])

# one byte of the stored file's data changed: its CRC-32 no longer holds
z = zipfile.ZipFile(io.BytesIO(good))
info = z.getinfo("top/stored.txt")
at = info.header_offset + 30 + len(info.filename.encode()) + 2
bad = bytearray(good)
bad[at] ^= 0x20
write("crc.zip", bytes(bad))

# the deflated README's data replaced by bytes that are not deflate
info = z.getinfo("top/README.txt")
at = info.header_offset + 30 + len(info.filename.encode())
bad = bytearray(good)
bad[at:at + info.compress_size] = b"\xff" * info.compress_size
write("inflate.zip", bytes(bad))

# the end record claims 65,000 entries
eocd = good.rfind(b"PK\x05\x06")
bad = bytearray(good)
bad[eocd + 8:eocd + 12] = struct.pack("<HH", 65000, 65000)
write("count.zip", bytes(bad))

write("notzip.zip", b"this is not a zip archive\n" * 10)

write("stream.sse",
      b": keepalive\r\n\r\n"
      b"event: status\nid: 1\ndata: {\"id\":7,\"status\":\"queued\"}\n\n"
      b"event: other\ndata: {\"status\":\"failed\"}\n\n"
      b"id: 2\r\nevent: status\r\ndata: {\"id\":7,\r\n"
      b"data: \"status\":\"generating\"}\r\n\r\n"
      b": keepalive\n\n"
      b"event: status\nid: 3\ndata:{\"id\":7,\"status\":\"ready\"}\n\n")
write("cut.sse",
      b"event: status\nid: 5\ndata: {\"id\":7,\"status\":\"queued\"}\n\n")
