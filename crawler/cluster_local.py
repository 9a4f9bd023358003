"""A Redis of one's own on a free loopback port, for the tests and the benchmark of shared
crawls (a real redis-server, Debian's package; never a fake).

    with LocalRedis() as redis:           # redis-server --port N --bind 127.0.0.1 ...
        url = redis.url                   # redis://127.0.0.1:N/0
        redis.restart()                   # stop (SIGTERM: it saves what it persists), start
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: seconds a starting redis-server gets to answer
START_TIMEOUT_S = 10.0


class RedisUnavailable(RuntimeError):
    """No redis-server binary, and it could not be installed."""


def redis_server_binary(install: bool = True) -> str:
    """The redis-server binary; installed with apt-get (Debian's redis-server) when
    missing and we are root. Raises RedisUnavailable with the reason otherwise."""
    found = shutil.which("redis-server")
    if found:
        return found
    if not install:
        raise RedisUnavailable("redis-server is not installed")
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RedisUnavailable(
            "redis-server is not installed, and installing it needs root and apt-get "
            "(apt-get install redis-server, or sh scripts/system-deps.sh as root)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server"]
    if subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        subprocess.call(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        if subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            raise RedisUnavailable("apt-get install redis-server failed")
    found = shutil.which("redis-server")
    if not found:
        raise RedisUnavailable("redis-server is still missing after apt-get install")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRedis:
    """redis-server on 127.0.0.1 and a free port, in the foreground of a child process.

    persist=False: nothing kept (--save "" --appendonly no), as a test's scratch Redis;
    persist=True: an append-only file in a temporary folder, fsynced at every write
    (--appendfsync always), so a restart keeps the queue, the in-flight requests and the
    streams.
    """

    def __init__(self, *, persist: bool = False, port: int | None = None):
        self.binary = redis_server_binary()
        self.persist = persist
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="newsmon-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        cmd = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "no",
            "--save",
            "",
            "--dir",
            str(self.dir),
            "--protected-mode",
            "yes",
        ]
        if self.persist:
            cmd += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            cmd += ["--appendonly", "no"]
        return cmd

    def start(self) -> LocalRedis:
        log = open(self.dir / "redis.log", "ab")  # noqa: SIM115 - kept by the child
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log_tail()}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}: {self.log_tail()}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def log_tail(self) -> str:
        try:
            return (self.dir / "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM (redis-server writes out what it persists), then SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def restart(self, down_s: float = 0.0) -> None:
        self.stop()
        if down_s:
            time.sleep(down_s)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
