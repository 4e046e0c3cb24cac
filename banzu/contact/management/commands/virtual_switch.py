"""`manage.py virtual_switch`: play a telephone switch against a Banzu server over the CTI API (CT-1).

For a cluster, a demo on another machine or a load test: the switch talks HTTP (and the CTI
WebSocket) to `--url` with a switch token from ``manage.py cti_token``. Queues and simulated agents
come from the options, or else from the configuration of the token's centre in this database.
"""

from __future__ import annotations

import os
import random
import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from banzu.contact import virtual_switch as vs


def _queue(text: str) -> vs.QueueTraffic:
    """CODE[:share[:talk seconds[:patience seconds]]]"""
    code, *numbers = text.split(":")
    defaults = [1.0, vs.DEMO_TALK_SECONDS, vs.DEMO_PATIENCE_SECONDS]
    try:
        values = [float(n) for n in numbers] + defaults[len(numbers) :]
    except ValueError:
        raise CommandError(_("Write a queue as CODE[:share[:talk seconds[:patience seconds]]].")) from None
    if not code or len(values) != 3 or min(values) <= 0:
        raise CommandError(_("Write a queue as CODE[:share[:talk seconds[:patience seconds]]]."))
    return vs.QueueTraffic(code, share=values[0], talk_seconds=values[1], patience_seconds=values[2])


class Command(BaseCommand):
    help = "Play a telephone switch with callers and simulated agents against a Banzu server (CTI API)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="The Banzu server.")
        parser.add_argument(
            "--token", default=os.environ.get("BANZU_CTI_TOKEN", ""), help="The switch token (or BANZU_CTI_TOKEN)."
        )
        parser.add_argument("--seed", type=int, default=vs.EMBEDDED_SEED, help="Random seed.")
        parser.add_argument(
            "--agent", action="append", default=[], help="Employee number of an agent to simulate (repeatable)."
        )
        parser.add_argument(
            "--agents",
            type=int,
            default=vs.EMBEDDED_AGENTS,
            help="Without --agent: how many of the centre's agents to simulate.",
        )
        parser.add_argument(
            "--queue",
            action="append",
            default=[],
            type=_queue,
            help="CODE[:share[:talk[:patience]]], repeatable; default: the centre's voice queues.",
        )
        parser.add_argument("--replay", help="CSV of arrivals: offset_seconds,queue[,caller_number,...].")
        parser.add_argument("--occupancy", type=float, default=vs.DEMO_OCCUPANCY, help="Peak occupancy (0-1).")
        parser.add_argument("--floor", type=float, default=vs.DEMO_FLOOR, help="Quiet hours' rate, share of peak.")
        parser.add_argument("--duration", type=float, default=0, help="Seconds to run (0: until Ctrl-C).")
        parser.add_argument("--no-websocket", action="store_true", help="Poll instead of receiving pushes.")

    def handle(self, *args, **options) -> None:
        if not options["token"]:
            raise CommandError(_("Give the switch token with --token or BANZU_CTI_TOKEN."))
        try:
            client = vs.CtiClient(options["url"], options["token"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            status, who = client.whoami()
        except vs.CtiUnavailable as exc:
            raise CommandError(_("The server does not answer: %(error)s") % {"error": exc}) from exc
        if status != 200:
            raise CommandError(_("The server refused the switch token (%(status)s).") % {"status": status})

        agents, traffic = list(options["agent"]), list(options["queue"])
        rates = None
        if not agents or not traffic:
            plan = vs.plan_for_centre(
                who.get("centre", ""),
                agents=options["agents"],
                seed=options["seed"],
                occupancy=options["occupancy"],
                floor=options["floor"],
            )
            agents = agents or list(plan.agents)
            traffic = traffic or list(plan.traffic)
            rates = plan.rates or None
        if not traffic:
            raise CommandError(_("There is no voice queue to call; give one with --queue."))
        calls = None
        if options["replay"]:
            try:
                calls = vs.read_replay_file(options["replay"], traffic, random.Random(options["seed"]))  # noqa: S311
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        switch = vs.VirtualSwitch(
            client,
            agents=agents,
            traffic=traffic,
            seed=options["seed"],
            calls=calls,
            rates=rates,
            use_websocket=not options["no_websocket"],
            first_call_at_once=True,
        )
        self.stdout.write(
            _("Virtual switch %(switch)s: %(agents)s simulated agents, queues %(queues)s. Ctrl-C stops it.")
            % {"switch": who.get("switch", ""), "agents": len(agents), "queues": ", ".join(q.queue for q in traffic)}
        )
        finished = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_args: finished.set())
        switch.start()
        try:
            finished.wait(options["duration"] or None)
        except KeyboardInterrupt:
            pass
        finally:
            switch.stop()
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(_("Virtual switch stopped: %(stats)s") % {"stats": switch.stats.line()})
