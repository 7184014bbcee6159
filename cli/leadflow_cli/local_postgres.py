"""An embedded PostgreSQL (the pgserver wheel) for `leadflow run`, the fault run, the bench and
the tests, and helpers for a server reached by URL."""

import asyncio
import logging
import os
from pathlib import Path


class EmbeddedPostgres:
    """PostgreSQL from the pgserver wheel, data in `data_dir`, reached over a Unix socket."""

    def __init__(self, data_dir: Path, *, max_connections: int = 300):
        _name_runtime_dir()
        import pgserver

        # pgserver logs from an atexit hook, when test runners have already closed their streams.
        logging.getLogger("pgserver").propagate = False
        data_dir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(data_dir, cleanup_mode="stop")
        self.data_dir = data_dir
        self._allow_connections(max_connections)

    def _allow_connections(self, max_connections: int) -> None:
        """PostgreSQL's default (100) is below what may share this server: each service's pool
        grows to 20 under load, plus its listener and credentials connections (22 for each of
        five), and a second instance may join. Set once; a restart applies it."""
        shown = self._server.psql("SHOW max_connections;")
        if f" {max_connections}\n" not in shown:
            self._server.psql(f"ALTER SYSTEM SET max_connections = {max_connections};")
            self.restart()

    def socket_dir(self) -> str:
        uri = self._server.get_uri()
        return uri.split("host=", 1)[1].split("&")[0]

    def database_url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir()}"

    def create_database(self, database: str) -> None:
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{database}";')

    def restart(self) -> None:
        """A fast restart with the options it was started with (the fault-injection run's)."""
        self._pg_ctl("restart")

    def stop(self) -> None:
        self._server.cleanup()
        # pgserver stops only the postmaster it started: after a restart it leaves the new one
        # running (seen after the fault-injection run), so whatever still runs is stopped here.
        stop_server(self.data_dir)

    def _pg_ctl(self, action: str) -> None:
        pg_ctl_fast(self.data_dir, action)


def _name_runtime_dir() -> None:
    """pgserver keeps a lock in the user's runtime directory, which a root shell without a login
    session lacks (platformdirs then warns and uses /tmp/runtime-UID): named here, the same."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(f"/tmp/runtime-{os.getuid()}")
        runtime.mkdir(mode=0o700, exist_ok=True)
        runtime.chmod(0o700)  # platformdirs warns about one others may read
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def pg_ctl_fast(data_dir: Path, action: str) -> None:
    _name_runtime_dir()
    from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None  # pgserver's own user when run as root
    pg_ctl(["-w", "-m", "fast", action], pgdata=data_dir, user=user, timeout=60)


def stop_server(data_dir: Path) -> None:
    """Stops the server of `data_dir` if one runs (also from a process that did not start it)."""
    if (data_dir / "postmaster.pid").exists():
        pg_ctl_fast(data_dir, "stop")


async def create_database(admin_url: str, database: str) -> None:
    """CREATE DATABASE through asyncpg (for servers reached by URL, like the machine's own)."""
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


def postgres_answers(url: str, timeout: float = 2.0) -> bool:
    import asyncpg

    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(
                url.replace("postgresql+asyncpg://", "postgresql://"), timeout=timeout
            )
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())
