"""A real PostgreSQL server for the tests: Debian's `postgresql` binaries, a fresh cluster in
a temporary folder, on a free loopback port. PostgreSQL refuses to run as root, so as root
(here and on CI) the cluster belongs to the `postgres` user and its commands run as it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql "
                           "(make test and .ci/run install it)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster, yield its URL (database `postgres`, user `postgres`, no password on
    loopback), stop and remove it afterwards. Raises when the server cannot start."""
    binaries = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="decisions-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(as_server_user([str(binaries / "initdb"), "-D", str(data), "-U",
                                       "postgres", "--auth=trust", "--no-sync",
                                       "-E", "UTF8"]), **run)
        options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=50")
        subprocess.run(as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-o",
                                       options, "-l", str(folder / "server.log"), "-w",
                                       "-t", "60", "start"]), **run)
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        raise RuntimeError(f"PostgreSQL did not start: {error.stderr}\n"
                           f"{log.read_text() if log.exists() else ''}") from error
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m",
                                       "immediate", "-w", "stop"]), capture_output=True,
                       timeout=60, check=False)
        shutil.rmtree(folder, ignore_errors=True)
