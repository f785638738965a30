"""The Slack bench's client: its response URL (kept connections, counted, arrival times) and a run
against a stand-in for the bot on the same event loop."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from bench.slack_latency import COMMANDS, Sink, run, session


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, extra: str = ""
) -> bytes:
    """One POST on an open connection; the response's status line and headers."""
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n{extra}\r\n{{}}".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    await reader.readexactly(2)
    return head


def test_answers_on_one_kept_connection_are_counted_once_and_timed_on_arrival() -> None:
    async def scenario() -> None:
        async with Sink() as sink:
            port = int(urlsplit(sink.url).port or 0)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            sent = time.perf_counter()
            first = await _post(reader, writer, "/hook/a/0")
            second = await _post(reader, writer, "/hook/a/1")
            received = time.perf_counter()
            assert first.startswith(b"HTTP/1.1 200") and b"Connection: close" not in first
            assert second.startswith(b"HTTP/1.1 200")
            assert sink.connections == 1
            assert sent <= sink.arrived["/hook/a/0"] <= sink.arrived["/hook/a/1"] <= received
            assert await sink.wait("/hook/a/1") == sink.arrived["/hook/a/1"]
            writer.close()
            await writer.wait_closed()

    asyncio.run(scenario())


def test_connection_close_is_honoured_and_a_new_connection_counted() -> None:
    async def scenario() -> None:
        async with Sink() as sink:
            port = int(urlsplit(sink.url).port or 0)
            for n in range(2):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                head = await _post(reader, writer, f"/hook/c/{n}", "Connection: close\r\n")
                assert b"Connection: close" in head
                assert await reader.read() == b""  # the sink closed it
                writer.close()
            assert sink.connections == 2
            assert set(sink.arrived) == {"/hook/c/0", "/hook/c/1"}

    asyncio.run(scenario())


def test_wait_returns_the_arrival_of_a_later_answer_and_none_when_none_comes() -> None:
    async def scenario() -> None:
        async with Sink() as sink:
            port = int(urlsplit(sink.url).port or 0)
            waiting = asyncio.ensure_future(sink.wait("/hook/w/0"))
            await asyncio.sleep(0)  # the waiter is registered before the answer arrives
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await _post(reader, writer, "/hook/w/0")
            assert await waiting == sink.arrived["/hook/w/0"]
            assert await sink.wait("/hook/w/never", timeout=0.05) is None
            writer.close()

    asyncio.run(scenario())


def test_closing_the_sink_ends_the_handlers_of_kept_connections() -> None:
    async def scenario() -> None:
        sink = Sink()
        await sink.start()
        port = int(urlsplit(sink.url).port or 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await _post(reader, writer, "/hook/k/0")
        await sink.close()
        assert await reader.read() == b""  # the kept connection was closed by the sink
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        assert others == []  # no handler left for asyncio.run to cancel
        writer.close()

    asyncio.run(scenario())


def test_run_times_acks_and_answers_of_every_command_over_kept_connections() -> None:
    """A stand-in for the bot on the same loop: acks each signed command, then posts its answer
    to the response URL over one kept session, as the bot does."""

    async def scenario() -> None:
        texts: list[str] = []
        async with Sink() as sink, aiohttp.ClientSession() as poster:

            async def events(request: web.Request) -> web.Response:
                assert request.headers["X-Slack-Signature"].startswith("v0=")
                form = parse_qs(await request.text())
                texts.append(form["text"][0])

                async def answer() -> None:
                    async with poster.post(form["response_url"][0], json={"text": "ok"}) as response:
                        assert response.status == 200

                asyncio.get_running_loop().create_task(answer())
                return web.Response(text="")

            async def loop_cpu(_request: web.Request) -> web.Response:
                return web.json_response({"seconds": time.thread_time()})

            app = web.Application()
            app.router.add_post("/slack/events", events)
            app.router.add_get("/bench/loop-cpu", loop_cpu)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            try:
                async with session(4) as http:
                    out = await run(http, f"http://127.0.0.1:{port}", sink, 4, 24, "t")
                    same = await run(http, f"http://127.0.0.1:{port}", None, 4, 24, "u", pauses=out.waits)
            finally:
                await runner.cleanup()
        assert len(out.acks) == len(out.answers) == 24
        assert all(
            0 < ack <= answer for ack, answer in zip(sorted(out.acks), sorted(out.answers), strict=True)
        )
        assert sorted(out.waits) == list(range(24))
        assert out.connections * 24 <= 4  # the poster's connections, kept: not one per answer
        assert out.client_cpu > 0
        assert len(same.acks) == 24 and same.answers == []
        assert texts[:24].count(COMMANDS[0]) == 4  # the command mix in turn

    asyncio.run(scenario())
