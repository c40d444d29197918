"""A loop that runs beside the server from start-up to shutdown."""

from __future__ import annotations

import asyncio


class BackgroundLoop:
    """Subclasses write _run(); start() and stop() are the same for every loop."""

    name = "background"
    _task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
