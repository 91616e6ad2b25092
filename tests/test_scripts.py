"""What the install, test, lock and deploy files promise, checked cheaply: the Dockerfile's rules
(and that the checker catches a bad one), the locks against the readable ranges, the browser
and PyTorch choices of scripts/lib.sh (with a stand-in python that records what pip was asked),
the HAProxy template, and that .ci/run runs exactly the README's test command."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import container_check as cc  # noqa: E402


def pins(path: Path) -> dict[str, str]:
    """name -> pinned version of a lock, read independently of the scripts (markers ignored)."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return out


def requirements(path: Path) -> list[Requirement]:
    reqs = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            reqs.append(Requirement(line))
    return reqs


# ---- locks -------------------------------------------------------------------------------------------
def test_locks_pin_every_requirement_within_its_readable_range():
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    for req in requirements(ROOT / "requirements.txt"):
        assert req.specifier.contains(runtime[req.name.lower()], prereleases=True), (req, runtime[req.name.lower()])
    for req in requirements(ROOT / "requirements-dev.txt"):
        assert req.specifier.contains(dev[req.name.lower()], prereleases=True), (req, dev[req.name.lower()])
    assert dev["torch"] == "2.13.0"


def test_runtime_lock_is_the_dev_locks_pins_without_test_tools():
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert {k: dev[k] for k in runtime} == runtime  # the app runs with the versions the tests ran
    for tool in ("torch", "pytest", "playwright", "pytest-playwright", "hypothesis", "pytest-xdist"):
        assert tool not in runtime
    assert {"numpy", "streamlit", "plotly"} <= runtime.keys()


# ---- Dockerfile ------------------------------------------------------------------------------------
def test_dockerfile_keeps_the_rules():
    assert cc.check_rules(ROOT) == []


def test_the_dockerfile_checker_catches_a_bad_dockerfile(tmp_path):
    for name in ("requirements.txt", "requirements.lock", "app.py", ".dockerignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11\n"
        "RUN pip install torch && \\\n    playwright install chromium\n"
        "COPY missing.py ./\n"
        "COPY tests ./tests\n"
        "EXPOSE 8000\n"
        'CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port=8501"]\n'
    )
    (tmp_path / "tests").mkdir()
    problems = "\n".join(cc.check_rules(tmp_path))
    for expected in ("base image", "'torch'", "'playwright'", "requirements.lock", "missing.py does not exist",
                     "tests is excluded by .dockerignore", "non-root user", "HEALTHCHECK", "EXPOSE", "0.0.0.0"):
        assert expected in problems, expected


def test_dockerfile_parsing_joins_continuations_and_drops_comments():
    text = "# a comment\nFROM python:3.11-slim\nRUN a \\\n  # inside\n  b\nCMD [\"x\", \"y\"]\n"
    assert cc.parse_dockerfile(text) == [("FROM", "python:3.11-slim"), ("RUN", "a  b"), ("CMD", '["x", "y"]')]
    assert cc.exec_form('["python", "-c", "print(1)"]') == ["python", "-c", "print(1)"]


def test_lock_markers_are_evaluated_for_this_machine():
    plat = sys.platform
    assert cc.marker_holds(f"sys_platform == '{plat}'")
    assert not cc.marker_holds(f"sys_platform != '{plat}'")
    assert cc.marker_holds("python_full_version < '99.1' and python_full_version >= '3.11'")
    assert not cc.marker_holds("python_full_version < '3.10.2'")  # tuples, not strings: '3.11' < '3.10.2' as text


# ---- scripts/lib.sh ------------------------------------------------------------------------------
def lib(snippet: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f"set -euo pipefail; . scripts/lib.sh; {snippet}"], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60)


@pytest.mark.parametrize("args, selected", [
    ("", True),
    ("-x -q", True),
    ("-m 'not browser'", False),
    ("-m 'not browser' -x -q", False),
    ("-m'not browser and not torch'", False),
    ("-m torch", True),
    ("-m browser", True),
    ("tests/test_app.py -k 'not browser'", True),  # -k is not a marker expression
])
def test_browser_tests_selected_reads_the_marker_expression(args, selected):
    result = lib(f"browser_tests_selected {args}")
    assert (result.returncode == 0) is selected


def fake_venv(tmp_path: Path, pip_exit: int) -> Path:
    """A venv whose python records its arguments; ``pip install`` exits with ``pip_exit`` and torch
    is never installed (so install_torch_cpu must try)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "calls.log"
    (venv / "bin" / "python").write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {log}\n'
        'case "$*" in *"pip install"*) exit ' + str(pip_exit) + ' ;; esac\n'
        "exit 1\n"
    )
    (venv / "bin" / "python").chmod(0o755)
    return venv


def test_torch_comes_from_the_cpu_index_first_and_falls_back_when_it_is_unreachable(tmp_path):
    venv = fake_venv(tmp_path, pip_exit=1)
    result = lib("install_torch_cpu && echo returned-ok",
                 env={"RNNVIZ_VENV": str(venv), "RNNVIZ_TORCH_INDEX": "https://cpu.example/whl"})
    calls = (tmp_path / "calls.log").read_text().splitlines()
    pip = [c for c in calls if "pip install" in c]
    assert pip == ["-m pip install --disable-pip-version-check --quiet --no-deps "
                   "--index-url https://cpu.example/whl --timeout 15 --retries 1 torch==2.13.0"]
    assert "falling back to the default index" in result.stderr
    assert "returned-ok" in result.stdout  # so that the locked install goes on with the default index


def test_an_empty_torch_index_skips_the_cpu_index(tmp_path):
    venv = fake_venv(tmp_path, pip_exit=0)
    result = lib("install_torch_cpu", env={"RNNVIZ_VENV": str(venv), "RNNVIZ_TORCH_INDEX": ""})
    assert result.returncode == 0
    assert not any("pip install" in c for c in (tmp_path / "calls.log").read_text().splitlines())


def test_a_chromium_named_by_rnnviz_chromium_must_start(tmp_path):
    missing = tmp_path / "no-chromium"
    result = lib("ensure_chromium", env={"RNNVIZ_CHROMIUM": str(missing), "RNNVIZ_VENV": str(Path(sys.executable).parents[1])})
    assert result.returncode == 1
    assert f"RNNVIZ_CHROMIUM={missing} does not start" in result.stderr


def test_install_is_skipped_when_requirements_and_lock_did_not_change(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    env = {"RNNVIZ_VENV": str(venv)}
    digest = lib("files_digest requirements.txt requirements.txt requirements.lock", env).stdout.strip()
    (venv / ".installed-requirements.txt").write_text(digest + "\n")
    result = lib("pip_install() { echo PIP-CALLED; }; install_locked requirements.txt requirements.lock", env)
    assert result.returncode == 0 and "PIP-CALLED" not in result.stdout
    (venv / ".installed-requirements.txt").write_text("an older digest\n")
    result = lib("pip_install() { echo PIP-CALLED \"$@\"; }; install_locked requirements.txt requirements.lock", env)
    assert "PIP-CALLED -r requirements.txt -c requirements.lock" in result.stdout


# ---- CI, README, HAProxy -------------------------------------------------------------------------
def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["bash scripts/run.sh", "bash scripts/test.sh"]
    ci = [l.strip() for l in (ROOT / ".ci/run").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert ci[-1] == 'bash scripts/test.sh "$@"'
    assert "export CI=${CI:-true}" in ci


def test_haproxy_template_renders_a_valid_config(tmp_path):
    text = (ROOT / "deploy/haproxy.cfg.template").read_text()
    servers = "    server r1 127.0.0.1:8501 check cookie r1\n    server r2 127.0.0.1:8502 check cookie r2"
    for name, value in (("@K@", "2"), ("@BIND@", "127.0.0.1"), ("@PORT@", "8500"), ("@SERVERS@", servers)):
        text = text.replace(name, value)
    assert "@" not in re.sub(r"#.*", "", text)
    for needed in ("cookie rnnviz_replica insert", "option redispatch", "timeout tunnel",
                   "option httpchk GET /_stcore/health", "balance leastconn"):
        assert needed in text
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    if shutil.which("haproxy"):  # HAProxy's own check where it is installed (scripts/serve-replicas.sh installs it)
        check = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
