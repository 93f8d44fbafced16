"""Chunked session vs stream upload, measured against the stand-in (the choice in upload.py)."""

from __future__ import annotations

import statistics
import time

from fastio_helpers import BIG, KEY

from agentci.deploy.backends.fastio import FastioBackend
from tests.servers.fastio_server import FastioServer


def test_chunked_and_stream_upload_of_5_mb_measured() -> None:
    data = bytes(range(256)) * (BIG // 256)
    with FastioServer(token=KEY) as fio:
        b = FastioBackend(fio.workspace_id, KEY, fio.url)
        chunked, stream = [], []
        for i in range(5):
            t0 = time.monotonic()
            b.write(f"k/chunked-{i}.bin", data)
            chunked.append(time.monotonic() - t0)
            t0 = time.monotonic()
            # The stream path of upload.rs:1116-1160, by hand: the backend does not use it.
            sid = b.client.call(
                "POST",
                "upload/",
                data={
                    "name": f"stream-{i}.bin",
                    "stream": "true",
                    "action": "create",
                    "instance_id": fio.workspace_id,
                    "folder_id": "root",
                    "profile_type": "workspace",
                },
            )["id"]
            resp = b.client.http.post(
                f"upload/{sid}/stream/",
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            assert resp.status_code == 200
            stream.append(time.monotonic() - t0)
        assert fio.find("k/chunked-4.bin").content == data  # type: ignore[union-attr]
        assert fio.find("stream-4.bin").content == data  # type: ignore[union-attr]
        print(
            f"\n5 MB upload against the stand-in, median of 5: chunked session {statistics.median(chunked):.3f}s "
            f"({len(fio.requests)} requests in all), stream {statistics.median(stream):.3f}s"
        )
