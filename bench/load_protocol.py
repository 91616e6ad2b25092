"""Protocol-level load test: one process simulates a class of N students, each speaking Streamlit's
websocket protocol like a browser tab (Streamlit's own protobuf classes, no browser).

    .venv/bin/python bench/load_protocol.py -n 10,20,30          # starts its own server on loopback
    .venv/bin/python bench/load_protocol.py --ramp               # N = 10, 20, 30, ... until p95 > 2 s
    .venv/bin/python bench/load_protocol.py -n 30 --server-opt runner.postScriptGC=true
    .venv/bin/python bench/load_protocol.py --url http://127.0.0.1:8500 --pid-dir /tmp/rnnviz-replicas -n 20

A simulated student (one "tab"):
  1. opens the page: GET the page with its query string (and any load-balancer cookie), then
     the websocket ``/_stcore/stream`` and a ``rerun_script`` BackMsg holding the query string;
  2. makes ``--interactions`` interactions (default 20), each 1-2 s after the previous one was
     sent (and never before its answer arrived, as a person waits to see the result):
     mostly time-step changes (a fragment rerun: the step slider ``w_step`` or the Prev/Next
     buttons, whose ``fragment_id`` comes from the deltas, as the browser sends it), some hidden
     size changes (``w_hidden``, a full rerun) and presets (the ``preset`` selectbox);
  3. closes the tab.
Widget ids are discovered from the ForwardMsg deltas by their user key (the id ends in
``-<key>``); every widget the page shows is sent back with its current value on each rerun, as
the browser's widget manager does, and cacheable messages are acknowledged with
``cached_message_hashes`` like the browser's message cache.

``--step-mode component`` sends each step change as a components-v2 state update instead
(``setStateValue``: the component's whole JSON state, e.g. ``{"step": 4, "unit": 2}``, as the
``json_value`` of the component keyed ``--component-key``, with its fragment id), for the
client-side player; ``--component-burst K`` sends K updates 250 ms apart (a drag, throttled
to 4 messages/s) and times the last one.

Latency of an interaction: BackMsg sent -> the ``script_finished`` ForwardMsg of that run
(FINISHED_SUCCESSFULLY, or FINISHED_FRAGMENT_RUN_SUCCESSFULLY for a fragment rerun).
Errors: an exception element on the page, a compile error, a run that does not finish within
``--timeout``, a lost connection that is not recovered, a cached message the client never got.

Per N it prints errors, p50/p95/p99 latency, server CPU (mean and p90 of 1-s samples, ms of
CPU per script run) and RSS (start, peak, per student), and ends with one line
``capacity: N=<largest N with 0 errors and p95 <= 1000 ms>``. Only loopback addresses are used
when it starts its own server; every loop is bounded in count and time.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUERY = "inputs=random_ids&length=60&step=0"
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
# the subprotocol list a browser tab sends: "streamlit", then an XSRF token (a placeholder when the
# server set no XSRF cookie), then the previous session id when it reconnects
PLACEHOLDER_TOKEN = "PLACEHOLDER_AUTH_TOKEN"
ID_KEY = re.compile(r"^\$\$ID-[0-9a-f]+-(.*)$")
# widget kinds whose value the browser keeps and sends back on every rerun (buttons send a trigger
# only when clicked; a components-v2 state is kept once the component set it)
TRACKED = ("slider", "selectbox", "number_input", "checkbox", "text_input", "text_area")


class ProtocolError(Exception):
    """Something a browser tab would show as broken: an exception, a lost message, no answer."""


def user_key(element_id: str) -> str | None:
    """The user key of a widget id (``$$ID-<hash>-<key>``); None for unkeyed widgets."""
    m = ID_KEY.match(element_id)
    if not m or m.group(1) == "None":
        return None
    return m.group(1)


def initial_widget_state(kind: str, el: Any, current: WidgetState | None) -> WidgetState | None:
    """The value the browser's widget manager holds for an element just received.

    A value the server sets (``set_value``) wins; otherwise a widget already on the page keeps its
    value and a new one starts at its default. Kinds this client never sends return None."""
    if kind not in TRACKED:
        return None
    set_value = getattr(el, "set_value", False)
    if current is not None and not set_value:
        return current
    ws = WidgetState(id=el.id)
    if kind == "slider":
        ws.double_array_value.data.extend(el.value if set_value else el.default)
    elif kind == "selectbox":
        if set_value and el.HasField("raw_value"):
            ws.string_value = el.raw_value
        elif el.HasField("default") and 0 <= el.default < len(el.options):
            ws.string_value = el.options[el.default]
        else:
            return None  # no selection (index=None): the browser sends nothing
    elif kind == "number_input":
        if set_value and el.HasField("value"):
            value = el.value
        elif el.HasField("default"):
            value = el.default
        else:
            return None
        if el.data_type == NumberInput.INT:
            ws.int_value = int(value)
        else:
            ws.double_value = value
    elif kind == "checkbox":
        ws.bool_value = el.value if set_value else el.default
    else:  # text_input, text_area
        if set_value and el.HasField("value"):
            ws.string_value = el.value
        elif el.HasField("default"):
            ws.string_value = el.default
        else:
            return None
    return ws


@dataclass
class Widget:
    kind: str
    proto: Any
    fragment_id: str


@dataclass
class Stats:
    """What one simulated student saw."""
    latencies: list[float] = field(default_factory=list)   # seconds, interactions
    kinds: list[str] = field(default_factory=list)          # what each of them was (step, size, preset)
    open_latencies: list[float] = field(default_factory=list)  # seconds, page opens
    errors: list[str] = field(default_factory=list)
    runs: int = 0               # script runs asked for (page opens + interactions + reconnect reloads)
    interrupted: int = 0        # interactions lost to a dropped connection (then reconnected)
    reconnects: int = 0
    restored: int = 0           # reconnects whose page came back with the same step and size
    replica: str = ""           # load balancer cookie at first open ("" without one)
    replica_end: str = ""       # ... when the tab closed (a reconnect may have moved it)
    bytes_in: int = 0


class Tab:
    """One browser tab of the app, driven over the websocket protocol."""

    def __init__(self, base_url: str, query: str, stats: Stats, *, timeout: float = 60.0,
                 reconnect_timeout: float = 90.0, lb_cookie: str = "rnnviz_replica") -> None:
        self.base = base_url.rstrip("/")
        self.lb_cookie = lb_cookie  # the load balancer's sticky cookie (deploy/haproxy.cfg.template)
        self.query = query  # the URL's query string, kept up to date as the app rewrites it
        self.stats = stats
        self.timeout = timeout
        self.reconnect_timeout = reconnect_timeout
        self.cookies: dict[str, str] = {}
        self.ws: Any = None
        self.session_id = ""
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}       # id -> latest element
        self.states: dict[str, WidgetState] = {}   # id -> value the tab would send
        self.keys: dict[str, str] = {}             # user key -> id
        self.component_state: dict[str, dict] = {}  # id -> JSON state of a components-v2 element
        self.texts: list[str] = []                 # markdown bodies of the current run (tests read them)
        self.cache: dict[str, bytes] = {}          # hash -> cacheable message, as the browser caches
        self._seen: set[str] = set()
        self._started: list[str] = []               # ids of the latest runs that started (new_session)
        self._before_send: set[str] = set()
        self.confirmed: tuple = (None, None)       # (step, hidden) after the last finished run
        self._run_fragment = ""
        self._finished: asyncio.Future | None = None
        self._reader: asyncio.Task | None = None
        self._closing = False
        self._disconnected = asyncio.Event()

    # ---- connection -----------------------------------------------------------------------------
    def _http_get(self, path: str) -> bytes:
        req = urllib.request.Request(self.base + path)
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            for header in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0].strip()
            return resp.read()

    async def _connect(self, reuse_session: bool) -> None:
        # What a tab loads before the websocket: the page (it sets a load balancer's sticky cookie)
        # and the host config; the JS bundles are cached by a returning browser and not fetched here.
        await asyncio.to_thread(self._http_get, "/" + (f"?{self.query}" if self.query else ""))
        await asyncio.to_thread(self._http_get, "/_stcore/host-config")
        protocols = ["streamlit", self.cookies.get("_streamlit_xsrf", PLACEHOLDER_TOKEN)]
        if reuse_session and self.session_id:
            protocols.append(self.session_id)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None
        ws_url = "ws" + self.base[len("http"):] + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=protocols, max_size=None, origin=self.base,
                                           additional_headers=headers, open_timeout=self.timeout,
                                           ping_interval=20, ping_timeout=60, compression=None)
        self._disconnected.clear()
        self._reader = asyncio.create_task(self._read())

    async def open(self) -> float:
        """Open the page (as a first visit of this URL); returns the seconds until the run finished."""
        start = time.perf_counter()
        await self._connect(reuse_session=False)
        self.stats.replica = self.stats.replica or self.cookies.get(self.lb_cookie, "")
        await self._run(fragment_id="", send_widgets=False)
        return time.perf_counter() - start

    async def close(self) -> None:
        self._closing = True
        self.stats.replica_end = self.cookies.get(self.lb_cookie, "")
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def reconnect(self) -> None:
        """What a tab does when its server went away: retry about once a second, then reload the
        page from its URL (the server that answers may be a new process that never saw this
        session, so the URL alone must bring the page back)."""
        deadline = time.monotonic() + self.reconnect_timeout
        self.stats.reconnects += 1
        # the page as last confirmed by a finished run, or with the lost interaction applied
        accepted = {self.confirmed, (self.value("w_step"), self.value("w_hidden"))}
        while True:
            try:
                if self._reader is not None:
                    self._reader.cancel()
                    await asyncio.gather(self._reader, return_exceptions=True)
                self.widgets.clear(); self.states.clear(); self.keys.clear(); self.component_state.clear()
                await self._connect(reuse_session=True)
                await self._run(fragment_id="", send_widgets=False)
                break
            except (OSError, websockets.exceptions.WebSocketException, ProtocolError, asyncio.TimeoutError) as exc:
                if time.monotonic() > deadline:
                    raise ProtocolError(f"could not reconnect within {self.reconnect_timeout:.0f} s: {exc}") from exc
                await asyncio.sleep(1.0)
        now = (self.value("w_step"), self.value("w_hidden"))
        if now in accepted:
            self.stats.restored += 1
        else:
            self.stats.errors.append(f"page not restored after reconnect: step/hidden {sorted(accepted, key=str)} -> {now}")

    # ---- messages -------------------------------------------------------------------------------
    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self.stats.bytes_in += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            self._disconnected.set()
            if self._finished is not None and not self._finished.done():
                self._finished.set_exception(ConnectionError("connection closed during a run"))

    def _fail(self, text: str) -> None:
        if self._finished is not None and not self._finished.done():
            self._finished.set_exception(ProtocolError(text))
        else:
            self.stats.errors.append(text)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # the server sent a reference to a message this tab said it has cached
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self._fail(f"reference to a message the tab never got ({msg.ref_hash})")
                return
            full = ForwardMsg()
            full.ParseFromString(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg.SerializeToString()
        if kind == "new_session":  # sent at the start of every run, fragment runs included
            self.page_script_hash = msg.new_session.page_script_hash
            self._started.append(msg.metadata.run.script_run_id)
            del self._started[:-64]
            if msg.new_session.HasField("initialize"):
                self.session_id = msg.new_session.initialize.session_id
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string  # the browser rewrites its URL
        elif kind == "delta":
            self._delta(msg)
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self._fail("script compilation error")
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self._fail("script finished with a compile error")
            elif status in FINISHED:
                self._prune(status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
                self.confirmed = (self.value("w_step"), self.value("w_hidden"))
                # a run that had started before the last rerun was sent is not its answer (a burst
                # of component updates: the earlier update's run may still finish after the send)
                run_id = msg.metadata.run.script_run_id
                if run_id and run_id in self._before_send:
                    return
                if self._finished is not None and not self._finished.done():
                    self._finished.set_result(status)

    def _delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        el = getattr(element, kind)
        if kind == "exception":
            self._fail(f"exception on the page: {el.type}: {el.message[:160]}")
            return
        if kind == "markdown":
            self.texts.append(el.body)
        element_id = getattr(el, "id", "") if kind not in ("markdown", "heading", "code", "text") else ""
        if not element_id:
            return
        self._seen.add(element_id)
        self.widgets[element_id] = Widget(kind, el, delta.fragment_id)
        key = user_key(element_id)
        if key is not None:
            self.keys[key] = element_id
        if kind not in TRACKED:
            return
        current = self.states.get(element_id)
        state = initial_widget_state(kind, el, current)
        if state is not None:
            self.states[element_id] = state
        elif current is not None and getattr(el, "set_value", False):
            del self.states[element_id]  # the server cleared it (e.g. the preset box after loading a preset)

    def _prune(self, fragment_run: bool) -> None:
        """Forget widgets the finished run did not draw (the browser's widget manager does the same)."""
        gone = [i for i, w in self.widgets.items()
                if i not in self._seen and (not fragment_run or w.fragment_id == self._run_fragment)]
        for i in gone:
            self.widgets.pop(i, None)
            self.states.pop(i, None)
            key = user_key(i)
            if key is not None and self.keys.get(key) == i:
                del self.keys[key]

    async def _run(self, *, fragment_id: str, send_widgets: bool = True,
                   changed: WidgetState | None = None, wait: bool = True) -> None:
        """Send one rerun (all widget states, ``changed`` on top) and wait for its script_finished."""
        back = BackMsg()
        rerun = back.rerun_script
        rerun.query_string = self.query
        rerun.page_script_hash = self.page_script_hash
        rerun.fragment_id = fragment_id
        rerun.cached_message_hashes.extend(self.cache)
        rerun.context_info.url = f"{self.base}/?{self.query}" if self.query else self.base + "/"
        rerun.context_info.timezone = "UTC"
        rerun.context_info.locale = "en-US"
        if send_widgets:
            states = dict(self.states)
            if changed is not None:
                states[changed.id] = changed
            rerun.widget_states.widgets.extend(states.values())
        self._seen = set()
        self.texts = []
        self._run_fragment = fragment_id
        self._before_send = set(self._started)
        loop = asyncio.get_running_loop()
        self._finished = loop.create_future()
        self.stats.runs += 1
        await self.ws.send(back.SerializeToString())
        if changed is not None and not changed.HasField("trigger_value"):
            self.states[changed.id] = changed
        if wait:
            await asyncio.wait_for(self._finished, self.timeout)

    # ---- what a student does ---------------------------------------------------------------------
    def widget(self, key: str) -> Widget | None:
        element_id = self.keys.get(key)
        return self.widgets.get(element_id) if element_id else None

    def value(self, key: str) -> Any:
        """The value the tab shows for widget ``key`` (a slider's number, a selectbox's label ...)."""
        element_id = self.keys.get(key)
        state = self.states.get(element_id) if element_id else None
        if state is None:
            return None
        which = state.WhichOneof("value")
        if which == "double_array_value":
            return state.double_array_value.data[0] if state.double_array_value.data else None
        return getattr(state, which) if which else None

    async def set_slider(self, key: str, value: float) -> None:
        w = self.widget(key)
        if w is None or w.kind != "slider":
            raise ProtocolError(f"no slider with key {key!r} on the page")
        value = min(max(value, w.proto.min), w.proto.max)
        state = WidgetState(id=w.proto.id)
        state.double_array_value.data.append(value)
        await self._run(fragment_id=w.fragment_id, changed=state)

    async def select(self, key: str, label: str) -> None:
        w = self.widget(key)
        if w is None or w.kind != "selectbox":
            raise ProtocolError(f"no selectbox with key {key!r} on the page")
        await self._run(fragment_id=w.fragment_id, changed=WidgetState(id=w.proto.id, string_value=label))

    async def click(self, key: str) -> None:
        w = self.widget(key)
        if w is None or w.kind != "button":
            raise ProtocolError(f"no button with key {key!r} on the page")
        await self._run(fragment_id=w.fragment_id, changed=WidgetState(id=w.proto.id, trigger_value=True))

    async def set_component_state(self, key: str, values: dict, *, burst: int = 1, gap: float = 0.25) -> None:
        """A components-v2 ``setStateValue``: the component's whole JSON state with ``values`` merged in,
        sent as the element's ``json_value`` with its fragment id (``burst`` updates ``gap`` s apart)."""
        w = self.widget(key)
        if w is None or w.kind != "bidi_component":
            raise ProtocolError(f"no component with key {key!r} on the page")
        state = self.component_state.setdefault(w.proto.id, {})
        for i in range(burst):
            state.update({k: (v[i] if isinstance(v, list) else v) for k, v in values.items()})
            changed = WidgetState(id=w.proto.id, json_value=json.dumps(state))
            last = i == burst - 1
            await self._run(fragment_id=w.fragment_id, changed=changed, wait=last)
            if not last:
                await asyncio.sleep(gap)


# ---- the simulated student ----------------------------------------------------------------------
@dataclass
class Plan:
    interactions: int = 20
    think: tuple[float, float] = (1.0, 2.0)
    step_mode: str = "component"
    component_key: str = "player"
    component_burst: int = 1
    mix: tuple[float, float, float] = (0.75, 0.15, 0.10)  # step, size, preset
    duration: float | None = None  # a soak: interact until this many seconds after opening, not `interactions` times


def choose(rng: random.Random, plan: Plan) -> str:
    x = rng.random()
    if x < plan.mix[0]:
        return "step"
    return "size" if x < plan.mix[0] + plan.mix[1] else "preset"


async def step_change(tab: Tab, rng: random.Random, plan: Plan) -> None:
    slider = tab.widget("w_step")
    if plan.step_mode == "component":
        comp = tab.widget(plan.component_key)
        if comp is None:
            raise ProtocolError(f"no component keyed {plan.component_key!r} on the page")
        state = tab.component_state.setdefault(comp.proto.id, {})
        length = component_length(comp.proto, tab.query)
        step = int(state.get("step", 0))
        steps = []
        for _ in range(plan.component_burst):
            step = step + 1 if step + 1 < length else 0
            steps.append(step)
        unit = int(state.get("unit", 0))
        await tab.set_component_state(plan.component_key, {"step": steps, "unit": unit}, burst=plan.component_burst)
        return
    if slider is None:
        raise ProtocolError("no time-step slider on the page")
    step, lo, hi = tab.value("w_step"), slider.proto.min, slider.proto.max
    forward = step < hi and (step <= lo or rng.random() < 0.8)
    if rng.random() < 0.3 and tab.widget("next" if forward else "prev") is not None:
        await tab.click("next" if forward else "prev")
    else:
        await tab.set_slider("w_step", step + (1 if forward else -1))


def component_length(proto: Any, query: str) -> int:
    """Number of time steps for a component: from its data (``length``/``T``), else the URL, else 10."""
    try:
        raw = proto.json or (proto.mixed.json if proto.HasField("mixed") else "")  # plain JSON, or beside Arrow
        data = json.loads(raw) if raw else {}
        for name in ("length", "T", "steps"):
            if isinstance(data.get(name), int) and data[name] > 0:
                return data[name]
    except (ValueError, AttributeError):
        pass
    length = urllib.parse.parse_qs(query).get("length", ["10"])[0]
    return int(length) if length.isdigit() and int(length) > 0 else 10


async def one_interaction(tab: Tab, rng: random.Random, plan: Plan) -> str:
    """One interaction; returns what it was: "step", "size" or "preset"."""
    what = choose(rng, plan)
    if what == "step" and (tab.widget("w_step") is not None or plan.step_mode == "component"):
        await step_change(tab, rng, plan)
        return "step"
    elif what == "preset" and tab.widget("preset") is not None and tab.widget("preset").proto.options:
        await tab.select("preset", rng.choice(list(tab.widget("preset").proto.options)))
        return "preset"
    else:
        w = tab.widget("w_hidden")
        if w is None:
            raise ProtocolError("no hidden-size slider on the page")
        hidden = tab.value("w_hidden")
        delta = rng.choice([-4, -2, -1, 1, 2, 4])
        if not w.proto.min <= hidden + delta <= min(w.proto.max, 96):
            delta = -delta
        await tab.set_slider("w_hidden", hidden + delta)
        return "size"


async def student(base_url: str, index: int, query: str, plan: Plan, stats: Stats, *, seed: int,
                  start_delay: float, timeout: float, stop: asyncio.Event) -> None:
    rng = random.Random(seed * 100_003 + index)
    await asyncio.sleep(start_delay)
    tab = Tab(base_url, query, stats, timeout=timeout)
    try:
        try:
            stats.open_latencies.append(await tab.open())
        except Exception as exc:
            stats.errors.append(f"student {index} could not open the page: {type(exc).__name__}: {exc}")
            return
        next_at = opened = time.monotonic()
        k = 0
        while (k < plan.interactions if plan.duration is None else time.monotonic() - opened < plan.duration):
            k += 1
            if stop.is_set():
                break
            next_at += rng.uniform(*plan.think)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            sent = time.perf_counter()
            try:
                kind = await one_interaction(tab, rng, plan)
                stats.latencies.append(time.perf_counter() - sent)
                stats.kinds.append(kind)
            except (ConnectionError, websockets.exceptions.ConnectionClosed):
                stats.interrupted += 1  # the server went away mid-run: reconnect as a tab does
                try:
                    await tab.reconnect()
                except ProtocolError as exc:
                    stats.errors.append(f"student {index}: {exc}")
                    return
            except asyncio.TimeoutError:
                stats.errors.append(f"student {index} interaction {k}: no answer within {timeout:.0f} s")
            except ProtocolError as exc:
                stats.errors.append(f"student {index} interaction {k}: {exc}")
            next_at = max(next_at, time.monotonic())
            if tab._disconnected.is_set() and not stop.is_set():  # dropped between interactions
                try:
                    await tab.reconnect()
                except ProtocolError as exc:
                    stats.errors.append(f"student {index}: {exc}")
                    return
    finally:
        await tab.close()


# ---- the server's CPU and memory ----------------------------------------------------------------
def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Probe:
    """CPU seconds and RSS of the server process(es), sampled once a second.

    ``pids`` is called on every sample, so replicas restarted during a round are followed (their
    pid files are re-read); CPU is summed over per-process deltas."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids
        self._last: dict[int, float] = {}
        self.samples: list[float] = []   # % of one core in each ~1-s interval
        self.rss_series: list[tuple[float, float]] = []  # (seconds into the round, MB)
        self._t0 = time.monotonic()
        self.cpu = 0.0
        self.rss_peak = 0.0
        self._t = time.monotonic()

    def rss(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                total += proc_rss_mb(pid)
            except OSError:
                pass
        return total

    def start(self) -> None:
        self._last = {}
        for pid in self.pids():
            try:
                self._last[pid] = proc_cpu_seconds(pid)
            except OSError:
                pass
        self.samples, self.cpu, self.rss_peak, self._t = [], 0.0, self.rss(), time.monotonic()
        self.rss_series, self._t0 = [], self._t

    def sample(self) -> None:
        now, used = time.monotonic(), 0.0
        for pid in self.pids():
            try:
                cpu = proc_cpu_seconds(pid)
            except OSError:
                continue
            used += cpu - self._last.get(pid, 0.0)  # a new pid (a restarted replica) counts from its start
            self._last[pid] = cpu
        self.cpu += used
        if now > self._t:
            self.samples.append(used / (now - self._t) * 100)
        self._t = now
        rss = self.rss()
        self.rss_series.append((now - self._t0, rss))
        self.rss_peak = max(self.rss_peak, rss)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (inclusive method, linear interpolation); NaN for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def capacity(rounds: list[dict], max_p95_ms: float = 1000.0) -> int:
    """Largest N served with 0 errors and p95 <= ``max_p95_ms`` (0 if none)."""
    ok = [r["n"] for r in rounds if not r["errors"] and r["latency_ms"]
          and percentile(r["latency_ms"], 95) <= max_p95_ms]
    return max(ok, default=0)


# ---- where the server's time goes (py-spy) --------------------------------------------------------
IDLE_LEAVES = ("select", "poll", "epoll", "wait", "sleep", "_wait_for_tstate_lock", "acquire", "get (queue.py",
               "run_forever", "_run_once")
SERIALISATION = ("google/protobuf", "SerializeToString", "calc_hash", "forward_msg_cache.py", "json/encoder.py",
                 "json/__init__.py", "plotly/io/_json", "_plotly_utils", "base64", "serialize_forward_msg",
                 "websockets/", "arrow")


def gc_line() -> str:
    """``script_runner.py:<line>`` of Streamlit's gc.collect(2) after each run (runner.postScriptGC)."""
    import streamlit.runtime.scriptrunner.script_runner as sr
    for number, line in enumerate(Path(sr.__file__).read_text().splitlines(), 1):
        if "gc.collect(" in line:
            return f"script_runner.py:{number})"
    return "script_runner.py:?)"


def classify(stack: list[str], gc_at: str) -> str:
    """One py-spy sample (thread name first, leaf last) -> where that time went."""
    leaf = stack[-1]
    if leaf.endswith(gc_at) or "gc_collect" in leaf:
        return "gc.collect after each run (runner.postScriptGC)"
    if any(leaf.startswith(name) for name in IDLE_LEAVES) and not any("rnnviz/" in f for f in stack):
        return "idle (waiting for work or I/O)"
    if any(any(k in f for k in SERIALISATION) for f in stack):
        return "serialisation (figure JSON, protobuf, message hashes, websocket frames)"
    if any("rnnviz/" in f or "app.py" in f for f in stack):  # (py-spy shortens paths: "rnnviz/ui/page.py")
        return "app script (rnnviz and the st.* calls it makes)"
    if "ScriptRunner" in stack[0] or any("script_runner.py" in f for f in stack):
        return "streamlit around each run (start, widget states, callbacks, finish)"
    return "server event loop (websocket I/O, HTTP, asyncio)"


def summarise_profile(path: Path, gc_at: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack_text, _, n = line.rpartition(" ")
        if not stack_text or not n.isdigit():
            continue
        stack = stack_text.split(";")
        what = classify(stack, gc_at)
        counts[what] = counts.get(what, 0) + int(n)
    return counts


async def profile_server(py_spy: str, pid: int, seconds: float, delay: float, out: Path) -> dict:
    """A py-spy recording of the thread that holds the GIL, during a round. All Python work needs the GIL,
    so these samples are where the server's Python time goes, and their number says how much of the
    time one core was busy with it (numpy and socket I/O release the GIL: not in the samples)."""
    await asyncio.sleep(delay)
    path = out.with_suffix(".gil.raw")
    proc = await asyncio.create_subprocess_exec(
        py_spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "50", "-f", "raw", "-o", str(path),
        "--threads", "--gil", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await proc.wait()
    return {"gil": summarise_profile(path, gc_line()) if path.exists() else {}}


def report_profile(profile: dict, seconds: float) -> None:
    gil = profile.get("gil", {})
    total = sum(gil.values())
    if not total:
        print("  profile: no samples (py-spy needs ptrace permission on the server)")
        return
    print(f"  profile (py-spy --gil, {seconds:.0f} s at 50 Hz): the GIL was held {total / (seconds * 50) * 100:.0f}% "
          "of the time; of that:")
    for what, n in sorted(gil.items(), key=lambda kv: -kv[1]):
        print(f"    {n / total * 100:5.1f}%  {what}")


# ---- rounds -------------------------------------------------------------------------------------
async def round_of(n: int, base_url: str, query_for: Callable[[int], str], plan: Plan, probe: Probe, *,
                   seed: int, arrival: float, timeout: float, max_seconds: float,
                   restart_after: float | None = None, restart_cmd: str | None = None,
                   py_spy: str | None = None, profile_seconds: float = 30.0) -> dict:
    stats = [Stats() for _ in range(n)]
    stop = asyncio.Event()
    rng = random.Random(seed)
    client_cpu0 = time.process_time()
    probe.start()
    rss_start = probe.rss()
    start = time.perf_counter()
    tasks = [asyncio.create_task(student(base_url, i, query_for(i), plan, stats[i], seed=seed,
                                         start_delay=rng.uniform(0, arrival), timeout=timeout, stop=stop))
             for i in range(n)]
    restart_info: dict = {}
    restart_task = None
    if restart_after is not None and restart_cmd:
        async def restart() -> None:
            await asyncio.sleep(restart_after)
            restart_info["at"] = time.perf_counter() - start
            proc = await asyncio.create_subprocess_exec(*shlex.split(restart_cmd), cwd=ROOT)
            restart_info["rc"] = await proc.wait()
            restart_info["took"] = time.perf_counter() - start - restart_info["at"]
        restart_task = asyncio.create_task(restart())
    profile_task = None
    if py_spy:
        profile_task = asyncio.create_task(profile_server(py_spy, probe.pids()[0], profile_seconds, arrival + 3,
                                                          Path(f"/tmp/rnnviz-profile-{n}")))
    while not all(t.done() for t in tasks):
        if time.perf_counter() - start > max_seconds:
            stop.set()
        if time.perf_counter() - start > max_seconds + timeout + 10:
            for t in tasks:
                t.cancel()
            break
        await asyncio.sleep(1.0)
        probe.sample()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    if restart_task is not None:
        await restart_task
    profile = await profile_task if profile_task is not None else None
    wall = time.perf_counter() - start
    probe.sample()
    errors = [e for s in stats for e in s.errors]
    errors += [f"student task failed: {type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    if stop.is_set():
        errors.append(f"round stopped after {max_seconds:.0f} s (--max-seconds)")
    runs = sum(s.runs for s in stats)
    return dict(n=n, wall=wall, stats=stats, errors=errors, runs=runs,
                latency_ms=[x * 1000 for s in stats for x in s.latencies],
                open_ms=[x * 1000 for s in stats for x in s.open_latencies],
                cpu=probe.cpu, cpu_samples=list(probe.samples), rss_start=rss_start, rss_peak=probe.rss_peak,
                rss_series=list(probe.rss_series),
                client_cpu=time.process_time() - client_cpu0, restart=restart_info, profile=profile,
                bytes_in=sum(s.bytes_in for s in stats), profile_seconds=profile_seconds)


def report(r: dict, rss_after: float | None) -> None:
    lat, n = r["latency_ms"], r["n"]
    print(f"\nN = {n}: {len(lat)} interactions in {r['wall']:.0f} s, {len(r['errors'])} errors")
    for e in r["errors"][:8]:
        print("   ", e)
    print(f"  latency (sent -> script finished): p50 {percentile(lat, 50):.0f} ms, p95 {percentile(lat, 95):.0f} ms, "
          f"p99 {percentile(lat, 99):.0f} ms, max {max(lat, default=float('nan')):.0f} ms; "
          f"page open p50 {percentile(r['open_ms'], 50):.0f} ms, p95 {percentile(r['open_ms'], 95):.0f} ms")
    by_kind = {}
    for s in r["stats"]:
        for kind, x in zip(s.kinds, s.latencies):
            by_kind.setdefault(kind, []).append(x * 1000)
    print("  by kind: " + "; ".join(f"{k} ({len(v)}) p50 {percentile(v, 50):.0f} / p95 {percentile(v, 95):.0f} ms"
                                   for k, v in sorted(by_kind.items())))
    samples = r["cpu_samples"]
    print(f"  server CPU: {r['cpu'] / r['wall'] * 100:.0f}% of a core (p90 of 1-s samples "
          f"{percentile(samples, 90):.0f}%), {r['cpu'] / max(r['runs'], 1) * 1000:.0f} ms per script run "
          f"({r['runs']} runs); client CPU {r['client_cpu'] / r['wall'] * 100:.0f}% of a core; "
          f"{r['bytes_in'] / max(r['runs'], 1) / 1024:.1f} KB received per run")
    after = f", after the sessions closed {rss_after:.0f} MB" if rss_after is not None else ""
    print(f"  server RSS: start {r['rss_start']:.0f} MB, peak {r['rss_peak']:.0f} MB "
          f"({(r['rss_peak'] - r['rss_start']) / max(n, 1):.1f} MB per student){after}")
    if r.get("profile"):
        report_profile(r["profile"], r["profile_seconds"])
    series = r["rss_series"]
    if r["wall"] >= 60 and len(series) > 10:  # a soak: does memory keep growing?
        at = [series[min(len(series) - 1, int(f * (len(series) - 1)))][1] for f in (0, 0.25, 0.5, 0.75, 1)]
        half = series[len(series) // 2:]
        slope = ((half[-1][1] - half[0][1]) / max(half[-1][0] - half[0][0], 1e-9)) * 60
        print(f"  RSS over the round (0/25/50/75/100%): {' / '.join(f'{x:.0f}' for x in at)} MB; "
              f"second half {slope:+.2f} MB/min")
    stats = r["stats"]
    if any(s.reconnects or s.interrupted for s in stats) or r["restart"] or len({s.replica for s in stats}) > 1:
        if r["restart"]:
            print(f"  restart at {r['restart'].get('at', float('nan')):.1f} s: exit {r['restart'].get('rc')}, "
                  f"took {r['restart'].get('took', float('nan')):.1f} s")
        for replica in sorted({s.replica for s in stats}):
            group = [s for s in stats if s.replica == replica]
            g_lat = [x * 1000 for s in group for x in s.latencies]
            print(f"  students first on {replica or '(no cookie)'}: {len(group)}, interactions done "
                  f"{len(g_lat)}, errors {sum(len(s.errors) for s in group)}, interrupted {sum(s.interrupted for s in group)}, "
                  f"reconnects {sum(s.reconnects for s in group)}, pages restored {sum(s.restored for s in group)}, "
                  f"p95 {percentile(g_lat, 95):.0f} ms; ended on "
                  f"{', '.join(sorted({s.replica_end or '?' for s in group}))}")


def settle(probe: Probe, target: float, seconds: float) -> float:
    """Server RSS once closed sessions are dropped: poll until within 10% of ``target`` or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    rss = probe.rss()
    while time.monotonic() < deadline and rss > 1.1 * target:
        time.sleep(1)
        rss = probe.rss()
    return rss


def load_server_starter() -> tuple[Callable[[], int], Callable[..., subprocess.Popen]]:
    """``free_port`` and ``start_server`` of tests/e2e/conftest.py (one server starter for the browser
    tests and the benchmarks), loaded by path: under pytest the name ``conftest`` is taken."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("rnnviz_e2e_server", ROOT / "tests" / "e2e" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.free_port, module.start_server


def pid_dir_reader(directory: Path) -> Callable[[], list[int]]:
    def pids() -> list[int]:
        found = []
        for f in sorted(directory.glob("replica-*.pid")):
            try:
                pid = int(f.read_text().strip())
            except (OSError, ValueError):
                continue
            if Path(f"/proc/{pid}").exists():
                found.append(pid)
        return found
    return pids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", default="10", help="comma-separated class sizes, one round each (default 10)")
    parser.add_argument("--ramp", action="store_true", help="N = --ramp-start, +--ramp-step, ... until p95 > 2 s or --max-n")
    parser.add_argument("--ramp-start", type=int, default=10)
    parser.add_argument("--ramp-step", type=int, default=10)
    parser.add_argument("--max-n", type=int, default=200)
    parser.add_argument("--interactions", type=int, default=20)
    parser.add_argument("--duration", type=float, help="a soak: each student interacts for this many seconds "
                        "(instead of --interactions); set --max-seconds above it")
    parser.add_argument("--think", default="1,2", help="seconds between interactions: min,max (default 1,2)")
    parser.add_argument("--mix", default="0.75,0.15,0.10", help="shares of step changes, size changes, presets")
    parser.add_argument("--step-mode", choices=("slider", "component"), default="component",
                        help="component (the app's step player): a components-v2 state update {step, unit}; "
                             "slider: a w_step slider and Prev/Next (an app that steps on the server)")
    parser.add_argument("--component-key", default="player")
    parser.add_argument("--component-burst", type=int, default=1, help="state updates per step change, 250 ms apart")
    parser.add_argument("--query", default=DEFAULT_QUERY, help="the page's query string (the lesson link)")
    parser.add_argument("--same-link", action="store_true",
                        help="every student opens exactly --query (default: hidden = 8 + i %% 24, so the class "
                             "holds many different models, the harder case for the server's trace cache)")
    parser.add_argument("--arrival", type=float, default=5.0, help="students open the page within this many seconds")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a run counts as lost")
    parser.add_argument("--max-seconds", type=float, default=170.0, help="time limit of one round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", help="an already running server or load balancer (default: start one here)")
    parser.add_argument("--pid", type=int, action="append", default=[], help="server pid(s) to measure with --url")
    parser.add_argument("--pid-dir", type=Path, help="directory of replica-*.pid files (scripts/serve-replicas.sh)")
    parser.add_argument("--server-opt", action="append", default=[],
                        help="Streamlit option for the server started here, e.g. runner.postScriptGC=false")
    parser.add_argument("--session-ttl", type=int, default=5, help="server.disconnectedSessionTTL of the server started here")
    parser.add_argument("--restart-after", type=float, help="seconds into each round to run --restart-cmd")
    parser.add_argument("--restart-cmd", help='e.g. "bash scripts/serve-replicas.sh restart 1"')
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--py-spy", help="path to py-spy: profile the (first) server during each round")
    parser.add_argument("--profile-seconds", type=float, default=30.0, help="length of the recording")
    args = parser.parse_args(argv)

    think = tuple(float(x) for x in args.think.split(","))
    mix = tuple(float(x) for x in args.mix.split(","))
    plan = Plan(interactions=args.interactions, think=think, step_mode=args.step_mode,  # type: ignore[arg-type]
                component_key=args.component_key, component_burst=args.component_burst, mix=mix,  # type: ignore[arg-type]
                duration=args.duration)

    def query_for(i: int) -> str:
        if args.same_link:
            return args.query
        return f"{args.query}&hidden={8 + i % 24}" if "hidden=" not in args.query else args.query

    server = None
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that `finally` stops the server
    try:
        if args.url:
            base = args.url
            if args.pid_dir:
                pids = pid_dir_reader(args.pid_dir)
            else:
                fixed = list(args.pid)
                pids = lambda: [p for p in fixed if Path(f"/proc/{p}").exists()]  # noqa: E731
        else:
            free_port, start_server = load_server_starter()
            extra: list[str] = ["--server.disconnectedSessionTTL", str(args.session_ttl)]
            for opt in args.server_opt:
                name, _, value = opt.partition("=")
                extra += [f"--{name}", value]
            port = free_port()
            server = start_server(port, extra_args=tuple(extra))
            base = f"http://127.0.0.1:{port}"
            pids = lambda: [server.pid]  # noqa: E731
        probe = Probe(pids)
        what = f"{args.interactions} interactions" if args.duration is None else f"{args.duration:g} s of interactions"
        print(f"server {base}, pids {pids()}, RSS {probe.rss():.0f} MB; options {args.server_opt or 'default'}; "
              f"step mode {args.step_mode}; {what} per student, {think[0]:g}-{think[1]:g} s apart")
        if not args.no_warmup:  # imports, first charts, the first cache entries
            warm = asyncio.run(round_of(2, base, query_for, Plan(interactions=5, think=(0.2, 0.4), step_mode=args.step_mode,
                                                                 component_key=args.component_key), probe,
                                        seed=args.seed + 999, arrival=0.0, timeout=args.timeout, max_seconds=60))
            if warm["errors"]:
                print("warm-up errors:", *warm["errors"][:3], sep="\n  ")
            settle(probe, 0, args.session_ttl + 5 if server else 0)
        rounds: list[dict] = []
        sizes = ([args.ramp_start + k * args.ramp_step for k in range(1000)] if args.ramp
                 else [int(x) for x in args.n.split(",") if x])
        for n in sizes:
            if n > args.max_n:
                break
            r = asyncio.run(round_of(n, base, query_for, plan, probe, seed=args.seed, arrival=args.arrival,
                                     timeout=args.timeout, max_seconds=args.max_seconds,
                                     restart_after=args.restart_after, restart_cmd=args.restart_cmd,
                                     py_spy=args.py_spy, profile_seconds=args.profile_seconds))
            after = settle(probe, r["rss_start"], args.session_ttl + 20) if server else None
            report(r, after)
            rounds.append(r)
            if args.ramp and percentile(r["latency_ms"], 95) > 2000:
                break
        print("\n| N | errors | p50 / p95 / p99 ms | server CPU (mean, p90) | ms CPU per run | RSS start → peak MB | MB per student |")
        print("|---|---|---|---|---|---|---|")
        for r in rounds:
            lat = r["latency_ms"]
            print(f"| {r['n']} | {len(r['errors'])} | {percentile(lat, 50):.0f} / {percentile(lat, 95):.0f} / "
                  f"{percentile(lat, 99):.0f} | {r['cpu'] / r['wall'] * 100:.0f}%, {percentile(r['cpu_samples'], 90):.0f}% | "
                  f"{r['cpu'] / max(r['runs'], 1) * 1000:.0f} | {r['rss_start']:.0f} → {r['rss_peak']:.0f} | "
                  f"{(r['rss_peak'] - r['rss_start']) / r['n']:.1f} |")
        print(f"capacity: N={capacity(rounds)}")
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    sys.exit(main())
