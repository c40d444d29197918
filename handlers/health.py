"""GET /healthz (alive), /readyz (ready to serve) and /metrics (Prometheus), for the technician."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram
from prometheus_client import Counter as PromCounter
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from bot import readiness
from bot.outbox import OutboxWorker
from bot.reach import Reachability
from bot.scheduler import ReminderLoop
from bot.service import CaseService


class LoopCounters(Collector):
    """The outbox's and the reminders' own counts since start-up, read as they are scraped."""

    def __init__(self, worker: OutboxWorker, reminders: ReminderLoop) -> None:
        self.worker = worker
        self.reminders = reminders

    def collect(self) -> Iterator[Metric]:
        delivered = CounterMetricFamily(
            "post_concerns_deliveries", "Notices delivered, by platform", labels=["platform"]
        )
        for platform, count in sorted(self.worker.delivered.items()):
            delivered.add_metric([platform], count)
        failed = CounterMetricFamily(
            "post_concerns_delivery_failures",
            "Delivery attempts that failed (each is retried), by platform",
            labels=["platform"],
        )
        for platform, count in sorted(self.worker.failures.items()):
            failed.add_metric([platform], count)
        reminders = CounterMetricFamily("post_concerns_reminders_queued", "Task reminders queued")
        reminders.add_metric([], self.reminders.reminders_queued)
        yield from (delivered, failed, reminders)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Probes:
    """What the three routes read: the service (store, clock), the loops' counters, facts."""

    service: CaseService
    worker: OutboxWorker
    reminders: ReminderLoop
    reach: Reachability
    facts: Callable[[], dict[str, Any]]  # the /healthz body beyond status and uptime
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = PromCounter(
            "post_concerns_http_requests",
            "HTTP requests answered, by route and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "post_concerns_http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            ["route"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.depth = Gauge(
            "post_concerns_outbox_depth", "Notices not yet delivered", ["platform"], registry=r
        )
        self.oldest = Gauge(
            "post_concerns_outbox_oldest_age_seconds",
            "Age of the oldest notice not yet delivered",
            ["platform"],
            registry=r,
        )
        self.cases = Gauge("post_concerns_cases", "Cases by status", ["status"], registry=r)
        r.register(LoopCounters(self.worker, self.reminders))

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)

    @web.middleware
    async def measure(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Requests and their latency by route pattern (never by path: paths hold references)."""
        info = request.match_info
        route = info.route.resource.canonical if info.route.resource is not None else "unmatched"
        begun = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            self.latency.labels(route).observe(time.perf_counter() - begun)
            self.requests.labels(request.method, route, str(status)).inc()

    async def healthz(self, request: web.Request) -> web.Response:
        """Alive: the process answers. Says nothing about the store or the platforms."""
        uptime = round(time.monotonic() - self.started, 1)
        return web.json_response({"status": "ok", "uptime_seconds": uptime, **self.facts()})

    async def readyz(self, request: web.Request) -> web.Response:
        state = await readiness.check(self.service.store, self.service.clock)
        body = state.as_json()
        # How many deciders and leads each platform cannot reach yet (who: App Home, register).
        body["unreachable_people"] = {p: len(m) for p, m in sorted(self.reach.missing.items())}
        return web.json_response(body, status=200 if state.ready else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        state = await readiness.check(self.service.store, self.service.clock)
        for gauge in (self.depth, self.oldest, self.cases):
            gauge.clear()
        for platform, waiting in state.waiting.items():
            self.depth.labels(platform).set(waiting.count)
            self.oldest.labels(platform).set(waiting.oldest_seconds)
        if state.store_ok:
            by_status = Counter(s.status.value for s in await self.service.store.summaries())
            for status, count in by_status.items():
                self.cases.labels(status).set(count)
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
