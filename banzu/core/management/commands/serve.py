"""`manage.py serve`: the embedded one-process mode (DESIGN "Running").

One process on purpose: the in-memory channel layer only reaches WebSocket consumers of its own
process, and SQLite wants a single writing process. So the ASGI server runs in the main thread, and
the Huey consumer (threads) and any embedded services (``BANZU_EMBEDDED_SERVICES``: dotted paths of
``start() -> stop`` functions, e.g. the virtual switch) run beside it.

Ctrl-C (SIGINT) or SIGTERM: uvicorn finishes open requests, then the services and the Huey workers
stop (the workers finish the task in hand) and the command exits with status 0.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.utils.module_loading import autodiscover_modules, import_string
from django.utils.translation import gettext as _

from banzu.org import demo

logger = logging.getLogger(__name__)


def _static_files_are_current() -> bool:
    """True when the manifest lists every source file and is newer than all of them.

    Collecting hashes and compresses a few hundred files (seconds); on most starts nothing changed.
    """
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    if manifest_name is None:
        return False
    try:
        collected_at = os.path.getmtime(staticfiles_storage.path(manifest_name))
    except (OSError, NotImplementedError):
        return False
    listed, _hash = staticfiles_storage.load_manifest()
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):  # collectstatic's default ignore patterns
            prefix = getattr(storage, "prefix", None)
            name = "/".join(filter(None, [prefix, path.replace(os.sep, "/")]))
            if name not in listed or os.path.getmtime(storage.path(path)) > collected_at:
                return False
    return True


class _Server(uvicorn.Server):
    """uvicorn's server, telling us once it listens (so the printed URL is true)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.on_started()


class Command(BaseCommand):
    help = "Run Banzu in one process: migrate, load the demo centre in demo mode, serve HTTP and WebSockets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the background-task workers in this process (they run elsewhere).",
        )

    def handle(self, *args, **options) -> None:
        host, port = options["host"], options["port"]
        verbosity = max(options["verbosity"] - 1, 0)
        call_command("migrate", interactive=False, verbosity=verbosity)
        if not settings.DEBUG and not _static_files_are_current():
            call_command("collectstatic", interactive=False, verbosity=verbosity)
        password = None
        if settings.DEMO:
            call_command("demo", if_empty=True, verbosity=verbosity)
            password = demo.demo_password()
        # The server's threads open their own connections; don't hand them the set-up one.
        connections.close_all()

        if settings.DEMO:
            table = demo.format_logins(demo.demo_logins(password=password))
            if table:
                self.stdout.write(_("Demo log-ins:"))
                self.stdout.write(table)
                self.stdout.write("")
                self.stdout.flush()

        # Listening on every interface: show the local address, which a browser can open.
        url_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104 - compared, not bound
        url_host = f"[{url_host}]" if ":" in url_host else url_host
        url = f"http://{url_host}:{port}/"

        def announce() -> None:
            self.stdout.write(_("Banzu is running at %(url)s — press Ctrl-C to stop.") % {"url": url})
            self.stdout.flush()

        config = uvicorn.Config("banzu.asgi:application", host=host, port=port, lifespan="off", log_level="warning")
        server = _Server(config, on_started=announce)
        # uvicorn re-raises the signal that stopped it once it has shut down. With this handler SIGTERM
        # then arrives as KeyboardInterrupt like SIGINT, so both stop the workers before we exit.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        stops: list[Callable[[], object]] = []
        try:
            if not options["no_worker"]:
                stop_worker = self._start_worker()
                if stop_worker is not None:
                    stops.append(stop_worker)
            # Embedded services that speak HTTP (the virtual switch) reach this server over loopback.
            os.environ["BANZU_SERVE_URL"] = url
            for path in getattr(settings, "BANZU_EMBEDDED_SERVICES", []):
                stop = import_string(path)()
                if stop is not None:
                    stops.append(stop)
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            for stop in reversed(stops):
                try:
                    stop()
                except Exception:
                    # Stopping is best effort: one failing service must not keep the others running.
                    logger.exception("Stopping %r failed.", stop)
        self.stdout.write(_("Banzu has stopped."))

    def _start_worker(self) -> Callable[[], object] | None:
        """Huey's consumer as threads of this process; None when tasks run inline (immediate mode)."""
        from huey.contrib.djhuey import HUEY

        if HUEY.immediate:
            return None
        autodiscover_modules("tasks")
        options = settings.HUEY.get("consumer", {}) if isinstance(settings.HUEY, dict) else {}
        consumer = HUEY.create_consumer(workers=options.get("workers", 2), worker_type="thread", periodic=True)
        # The consumer installs its own signal handlers for when it runs alone; here uvicorn owns
        # the signals and we stop the consumer ourselves, so keep the handlers we had.
        handled = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
        previous = {signum: signal.getsignal(signum) for signum in handled}
        consumer.start()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        return lambda: consumer.stop(graceful=True)
