"""The protocol-level load client (bench/load_protocol.py) against a real Streamlit server running a
tiny app (tests/tiny_load_app.py) that echoes what the server received: widget ids found by key,
fragment reruns, button triggers, components-v2 state, cached message references, exceptions as
errors, and a tab that reconnects to a new server process and gets its page back from the URL."""
from __future__ import annotations

import asyncio
import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import load_protocol as lp  # noqa: E402

free_port, start_server = lp.load_server_starter()

APP = ROOT / "tests" / "tiny_load_app.py"


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_server(port, APP)
    yield f"http://127.0.0.1:{port}", proc
    stop(proc)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def full_texts(tab: lp.Tab) -> list[str]:
    return [t for t in tab.texts if t.startswith("full ")]


def fragment_texts(tab: lp.Tab) -> list[str]:
    return [t for t in tab.texts if t.startswith("fragment ")]


# ---- pure functions, checked against hand computations ---------------------------------------------
def test_user_key_is_read_from_streamlit_widget_ids():
    assert lp.user_key("$$ID-4ab3bf92489d1797847f15d44dc51f2d-w_step") == "w_step"
    assert lp.user_key("$$ID-0f0f-my-key-with-dashes") == "my-key-with-dashes"
    assert lp.user_key("$$ID-0f0f-None") is None
    assert lp.user_key("not-a-widget-id") is None


def test_percentiles_and_capacity_by_hand():
    values = [float(v) for v in range(1, 101)]
    # inclusive method: position (n - 1) * q = 94.05 -> 95 + 0.05 * (96 - 95)
    assert lp.percentile(values, 95) == pytest.approx(95.05)
    assert lp.percentile(values, 50) == pytest.approx(50.5)
    assert lp.percentile([7.0], 99) == 7.0
    rounds = [
        dict(n=10, errors=[], latency_ms=[100.0] * 20),
        dict(n=20, errors=[], latency_ms=[900.0] * 19 + [5000.0]),      # p95 = 900 + 0.05 * 4100 = 1105 ms
        dict(n=30, errors=["lost"], latency_ms=[100.0] * 20),          # an error disqualifies
        dict(n=15, errors=[], latency_ms=[1000.0] * 20),                # exactly 1000 ms qualifies
    ]
    assert lp.capacity(rounds) == 15
    assert lp.capacity([dict(n=5, errors=[], latency_ms=[])]) == 0


# ---- against the tiny app ----------------------------------------------------------------------------
def test_open_finds_widgets_by_key_with_their_fragment(server):
    url, _ = server

    async def go():
        tab = lp.Tab(url, "hidden=12", lp.Stats())
        await tab.open()
        await tab.close()
        return tab

    tab = run(go())
    assert {"w_hidden", "preset", "w_step", "prev", "next", "player"} <= set(tab.keys)
    assert tab.value("w_hidden") == 12.0          # the app read ?hidden=12
    assert full_texts(tab) == ["full hidden=12 presets=0"]
    assert tab.widget("w_hidden").fragment_id == ""
    frag = tab.widget("w_step").fragment_id
    assert frag and tab.widget("next").fragment_id == frag and tab.widget("player").fragment_id == frag
    assert tab.query == "hidden=12"


def test_step_slider_and_buttons_rerun_only_the_fragment(server):
    url, _ = server

    async def go():
        tab = lp.Tab(url, "", lp.Stats())
        await tab.open()
        seen = []
        await tab.set_slider("w_step", 3)
        seen.append((full_texts(tab), fragment_texts(tab)))
        await tab.click("next")
        seen.append((full_texts(tab), fragment_texts(tab)))
        await tab.click("prev")
        await tab.click("prev")
        seen.append((full_texts(tab), fragment_texts(tab), tab.value("w_step")))
        await tab.close()
        return seen, tab.stats

    seen, stats = run(go())
    assert seen[0] == ([], ["fragment step=3 player step=0 unit=0"])   # no full-run text: a fragment rerun
    assert seen[1] == ([], ["fragment step=4 player step=0 unit=0"])
    assert seen[2] == ([], ["fragment step=2 player step=0 unit=0"], 2.0)
    assert stats.errors == []


def test_full_rerun_sends_widget_state_and_cached_messages_come_by_reference(server):
    url, _ = server

    async def go():
        tab = lp.Tab(url, "", lp.Stats())
        await tab.open()
        first = tab.stats.bytes_in
        await tab.set_slider("w_hidden", 20)
        second = tab.stats.bytes_in - first
        await tab.close()
        return tab, first, second

    tab, first, second = run(go())
    assert full_texts(tab) == ["full hidden=20 presets=0"]
    assert "x" * 12_000 in tab.texts      # the big text, resolved from the tab's cache
    assert first > 12_000 > second        # ... and not sent again: a reference took its place
    assert tab.query == "hidden=20"       # the URL follows the app


def test_preset_is_applied_once_and_the_box_resets(server):
    url, _ = server

    async def go():
        tab = lp.Tab(url, "", lp.Stats())
        await tab.open()
        await tab.select("preset", "beta")
        after_preset = (full_texts(tab), tab.value("w_hidden"), tab.value("preset"))
        await tab.set_slider("w_step", 1)   # the preset must not be sent again with this rerun
        await tab.set_slider("w_hidden", 31)
        await tab.close()
        return after_preset, full_texts(tab)

    after_preset, later = run(go())
    assert after_preset == (["full hidden=30 presets=1"], 30.0, None)
    assert later == ["full hidden=31 presets=1"]


def test_component_state_update_reaches_the_server(server):
    url, _ = server

    async def go():
        tab = lp.Tab(url, "", lp.Stats())
        await tab.open()
        await tab.set_component_state("player", {"step": 5, "unit": 2})
        one = (full_texts(tab), fragment_texts(tab))
        await tab.set_component_state("player", {"step": [6, 7]}, burst=2, gap=0.1)  # unit stays 2
        two = fragment_texts(tab)
        await tab.close()
        return one, two

    one, two = run(go())
    assert one == ([], ["fragment step=0 player step=5 unit=2"])
    # the first update's run may still be on its way when the second is sent: the last one counts
    assert two[-1] == "fragment step=0 player step=7 unit=2"


def test_component_step_mode_walks_the_steps_from_the_components_data(server):
    url, _ = server

    async def go():
        tab = lp.Tab(url, "", lp.Stats())
        await tab.open()
        plan = lp.Plan(step_mode="component", component_key="player")
        import random
        rng = random.Random(0)
        texts = []
        for _ in range(3):
            await lp.step_change(tab, rng, plan)
            texts += fragment_texts(tab)
        await tab.close()
        return texts

    assert run(go()) == [f"fragment step=0 player step={s} unit=0" for s in (1, 2, 3)]


def test_an_exception_on_the_page_is_an_error(server):
    url, _ = server

    async def go():
        tab = lp.Tab(url, "", lp.Stats())
        await tab.open()
        try:
            with pytest.raises(lp.ProtocolError, match="fifty-seven"):
                await tab.set_slider("w_hidden", 57)
        finally:
            await tab.close()

    run(go())


def test_a_class_round_reports_and_ends_with_capacity(server):
    url, proc = server
    out = io.StringIO()
    with redirect_stdout(out):
        rc = lp.main(["--url", url, "--pid", str(proc.pid), "-n", "3", "--interactions", "4", "--think", "0.1,0.2",
                      "--arrival", "0", "--no-warmup", "--max-seconds", "60", "--mix", "0.6,0.3,0.1"])
    text = out.getvalue()
    assert rc == 0
    assert "N = 3: 12 interactions" in text and ", 0 errors" in text
    assert text.rstrip().splitlines()[-1] == "capacity: N=3"
    assert "| 3 | 0 |" in text


def test_reconnect_to_a_new_server_process_brings_the_page_back_from_the_url():
    port = free_port()
    first = start_server(port, APP)
    url = f"http://127.0.0.1:{port}"
    second = None
    try:
        async def before():
            tab = lp.Tab(url, "", lp.Stats(), timeout=20, reconnect_timeout=60)
            await tab.open()
            await tab.set_slider("w_hidden", 21)
            return tab

        async def after(tab):
            await tab._disconnected.wait()  # the old server is gone
            await tab.reconnect()
            texts = full_texts(tab)
            await tab.close()
            return texts

        loop = asyncio.new_event_loop()
        try:
            tab = loop.run_until_complete(before())
            old_session = tab.session_id
            stop(first)
            second = start_server(port, APP)  # a new process: it never saw this session
            texts = loop.run_until_complete(asyncio.wait_for(after(tab), 90))
        finally:
            loop.close()
        assert texts == ["full hidden=21 presets=0"]   # rebuilt from ?hidden=21 alone
        assert tab.value("w_hidden") == 21.0
        assert tab.session_id != old_session
        assert (tab.stats.reconnects, tab.stats.restored, tab.stats.errors) == (1, 1, [])
    finally:
        stop(first)
        if second is not None:
            stop(second)


def test_profile_samples_are_classified_by_their_frames():
    gc_at = "script_runner.py:1055)"
    runner = "thread (1): ScriptRunner.scriptThread;Thread.run (threading.py:982)"
    cases = {
        f"{runner};_run_script (streamlit/runtime/scriptrunner/script_runner.py:1055)": "gc.collect",
        f"{runner};_run_script (script_runner.py:900);main (app.py:4);show (rnnviz/ui/charts.py:26);"
        "to_json (plotly/io/_json.py:80)": "serialisation",
        f"{runner};_run_script (script_runner.py:900);main (app.py:4);forward (rnnviz/network.py:10)": "app script",
        f"{runner};_run_script (script_runner.py:900);register_widget (streamlit/runtime/state/widgets.py:60)":
            "streamlit around each run",
        "thread (2): MainThread;run_forever (asyncio/base_events.py:608);select (selectors.py:468)": "idle",
        "thread (2): MainThread;run (uvicorn/server.py:60);send (starlette/websockets.py:100)": "server event loop",
    }
    for stack, expected in cases.items():
        assert lp.classify(stack.split(";"), gc_at).startswith(expected), stack
