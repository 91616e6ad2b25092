"""Check the Dockerfile without a Docker engine (the project's machine has none).

    python3 scripts/container_check.py            # the rules only (fast; also run by tests/test_scripts.py)
    python3 scripts/container_check.py --build    # + build the image's environment as a venv and start the app

The rules: a slim Python base; the app only (no torch, no browser, no test tools); installed from
requirements.lock; every COPY source exists and is not excluded by .dockerignore; a non-root USER
before CMD; a HEALTHCHECK on /_stcore/health; the server listens on the port it EXPOSEs.

``--build`` emulates the image: copies exactly what the Dockerfile COPYs into a fresh directory,
runs its pip install line in a fresh venv of the base image's Python version, checks that the venv
holds exactly the packages pinned by requirements.lock (nothing more), then runs the CMD there (as
an unprivileged user when run as root, on a free loopback port), waits for the HEALTHCHECK to pass
and drives the page with the protocol load client (one student, a few interactions, 0 errors).
What it cannot check: the base image itself, useradd, file ownership inside the image.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("torch", "playwright", "pytest", "chromium", "hypothesis", "nvidia", "requirements-dev")


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def exec_form(args: str) -> list[str]:
    """The argv of an exec-form (JSON array) or shell-form instruction."""
    args = args.strip()
    if args.startswith("["):
        return json.loads(args)
    return ["/bin/sh", "-c", args]


def dockerignore_patterns(root: Path) -> list[str]:
    path = root / ".dockerignore"
    if not path.exists():
        return []
    return [l.strip() for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")]


def ignored(rel: str, patterns: list[str]) -> bool:
    rel = rel.strip("/")
    hit = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        p = pattern.lstrip("!").strip("/")
        p = p[3:] if p.startswith("**/") else p
        parts = rel.split("/")
        matched = any(fnmatch.fnmatch("/".join(parts[i:j]), p)
                      for i in range(len(parts)) for j in range(i + 1, len(parts) + 1))
        if matched:
            hit = not negate
    return hit


def copies(instructions: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY."""
    out = []
    for word, args in instructions:
        if word == "COPY":
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            out.append((parts[:-1], parts[-1]))
    return out


def check_rules(root: Path = ROOT) -> list[str]:
    """Everything wrong with the Dockerfile (an empty list when it keeps the rules)."""
    problems: list[str] = []
    instructions = parse_dockerfile((root / "Dockerfile").read_text())
    words = [w for w, _ in instructions]
    froms = [a for w, a in instructions if w == "FROM"]
    if len(froms) != 1 or not re.fullmatch(r"python:3\.\d+-slim(-\w+)?", froms[0].split()[0]):
        problems.append(f"base image must be one python:3.x-slim image, got {froms}")
    for word, args in instructions:
        low = args.lower()
        for bad in FORBIDDEN:
            if bad in low and word in ("RUN", "COPY", "CMD", "ENTRYPOINT"):
                problems.append(f"{word} mentions {bad!r}: the image holds the app only")
    runs = [a for w, a in instructions if w == "RUN"]
    if not any("pip install" in r and "requirements.lock" in r for r in runs):
        problems.append("no RUN pip install ... with requirements.lock")
    lock = (root / "requirements.lock").read_text().lower()
    for bad in ("torch", "playwright", "pytest", "hypothesis"):
        if re.search(rf"^{bad}[=\s]", lock, re.M):
            problems.append(f"requirements.lock pins {bad}: it must hold the app's packages only")
    patterns = dockerignore_patterns(root)
    for sources, _ in copies(instructions):
        for src in sources:
            if not (root / src).exists():
                problems.append(f"COPY source {src} does not exist")
            elif ignored(src, patterns):
                problems.append(f"COPY source {src} is excluded by .dockerignore")
    users = [(i, a) for i, (w, a) in enumerate(instructions) if w == "USER"]
    cmd_at = max((i for i, w in enumerate(words) if w in ("CMD", "ENTRYPOINT")), default=-1)
    if cmd_at < 0:
        problems.append("no CMD")
    if not users or users[-1][0] > cmd_at or users[-1][1].split(":")[0] in ("root", "0"):
        problems.append("the last USER before CMD must be a non-root user")
    health = [a for w, a in instructions if w == "HEALTHCHECK"]
    if not health or "/_stcore/health" not in health[-1]:
        problems.append("no HEALTHCHECK on /_stcore/health")
    cmd = exec_form(next((a for w, a in reversed(instructions) if w == "CMD"), "[]"))
    exposed = [a.split("/")[0] for w, a in instructions if w == "EXPOSE"]
    port = next((c.split("=", 1)[1] for c in cmd if c.startswith("--server.port=")), "8501")
    if exposed != [port]:
        problems.append(f"EXPOSE {exposed} does not match the server port {port}")
    if health and f":{port}/" not in health[-1]:
        problems.append("the HEALTHCHECK does not ask the server's port")
    if "--server.address=0.0.0.0" not in cmd:
        problems.append("in a container the server must listen on 0.0.0.0 (--server.address=0.0.0.0)")
    return problems


def lock_pins(lock: Path) -> dict[str, str]:
    """name -> version of the pins in ``lock`` whose markers hold on this machine."""
    from importlib.metadata import version  # noqa: F401  (stdlib; markers are evaluated below)
    pins = {}
    for line in lock.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "==" not in line:
            continue
        req, _, marker = line.partition(";")
        if marker.strip() and not marker_holds(marker.strip()):
            continue
        name, _, ver = req.strip().partition("==")
        pins[normalise(name)] = ver.strip()
    return pins


def marker_holds(marker: str) -> bool:
    """The PEP 508 markers uv writes (sys_platform, platform_machine, python_full_version): evaluated
    with Python's own values, by substitution (no packaging import needed)."""
    import platform
    env = {"sys_platform": sys.platform, "platform_machine": platform.machine(),
           "platform_system": platform.system(), "python_full_version": platform.python_version(),
           "python_version": ".".join(platform.python_version_tuple()[:2]), "implementation_name": sys.implementation.name}
    expr = marker
    for name, value in env.items():
        expr = re.sub(rf"\b{name}\b", repr(value), expr)

    def cmp(m: re.Match) -> str:  # version comparisons as tuples, string ones as they are
        left, op, right = m.group(1), m.group(2), m.group(3)
        if re.fullmatch(r"'\d+(\.\d+)*'", left) and re.fullmatch(r"'\d+(\.\d+)*'", right):
            lt = tuple(int(x) for x in left.strip("'").split("."))
            rt = tuple(int(x) for x in right.strip("'").split("."))
            return str(eval(f"{lt} {op} {rt}"))  # noqa: S307  (tuples of ints only)
        return f"{left} {op} {right}"
    expr = re.sub(r"('[^']*')\s*(==|!=|<=|>=|<|>)\s*('[^']*')", cmp, expr)
    return bool(eval(expr, {"__builtins__": {}}))  # noqa: S307  (True/False/and/or only by now)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_and_start(root: Path = ROOT, keep: bool = False) -> int:
    """Emulate the image as a venv and start the app from it; returns 0 when everything held."""
    instructions = parse_dockerfile((root / "Dockerfile").read_text())
    base = next(a for w, a in instructions if w == "FROM").split()[0]
    minor = re.match(r"python:(3\.\d+)", base).group(1)
    python = shutil.which(f"python{minor}")
    if python is None:
        print(f"needs python{minor} (the base image's version)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="rnnviz-image-"))
    app, venv, home = work / "app", work / "venv", work / "home"
    app.mkdir(); home.mkdir()
    try:
        for sources, dest in copies(instructions):
            for src in sources:
                target = app / dest if not dest.endswith("/") and len(sources) == 1 and dest not in ("./", ".") else app / dest / Path(src).name
                target.parent.mkdir(parents=True, exist_ok=True)
                if (root / src).is_dir():
                    shutil.copytree(root / src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    shutil.copy2(root / src, target)
        print(f"copied what the Dockerfile copies into {app}: {sorted(p.name for p in app.iterdir())}")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
        for word, args in instructions:
            if word == "ENV":
                for k, v in re.findall(r"(\w+)=(\S+)", args):
                    env[k] = v
        start = time.monotonic()
        for word, args in instructions:
            if word == "RUN" and "pip install" in args:
                print(f"RUN {args}")
                subprocess.run(["/bin/sh", "-c", args], cwd=app, env=env, check=True)
        print(f"installed in {time.monotonic() - start:.0f} s; venv {du_mb(venv):.0f} MB")
        freeze = subprocess.run([str(venv / "bin/python"), "-m", "pip", "freeze", "--all"], capture_output=True,
                                text=True, check=True).stdout
        have = {normalise(l.split("==")[0]): l.split("==")[1] for l in freeze.splitlines() if "==" in l}
        for tool in ("pip", "setuptools", "wheel"):  # the venv's own tools, also in the base image
            have.pop(tool, None)
        want = lock_pins(root / "requirements.lock")
        if have != want:
            extra = {k: v for k, v in have.items() if want.get(k) != v}
            missing = {k: v for k, v in want.items() if have.get(k) != v}
            print(f"FAIL: the venv is not the lock: extra/different {extra}, missing {missing}")
            return 1
        print(f"the venv holds exactly the {len(want)} packages pinned by requirements.lock")
        cmd = exec_form(next(a for w, a in reversed(instructions) if w == "CMD"))
        port = free_port()
        cmd = [f"--server.port={port}" if c.startswith("--server.port=") else
               "--server.address=127.0.0.1" if c.startswith("--server.address=") else c for c in cmd]
        cmd[0] = str(venv / "bin" / cmd[0]) if cmd[0] == "python" else cmd[0]
        prefix: list[str] = []
        if os.geteuid() == 0:  # as the image: not root (and HOME, /app not writable by the app)
            for d in (work, app, venv):
                os.chmod(d, 0o755)
            shutil.chown(home, "nobody")
            prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
        env["HOME"] = str(home)
        log = open(work / "server.log", "w")
        server = subprocess.Popen(prefix + cmd, cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            health = next(a for w, a in instructions if w == "HEALTHCHECK")
            check = exec_form(health.split(" CMD ", 1)[1]) if " CMD " in health else []
            check = [c.replace(":8501/", f":{port}/") for c in check]
            check[0] = str(venv / "bin" / check[0]) if check[0] == "python" else check[0]
            deadline = time.monotonic() + 60
            while subprocess.run(check, capture_output=True).returncode != 0:
                if server.poll() is not None or time.monotonic() > deadline:
                    print("FAIL: the HEALTHCHECK never passed; server log:\n" + (work / "server.log").read_text()[-2000:])
                    return 1
                time.sleep(0.5)
            print(f"HEALTHCHECK passes (the app runs as {'nobody' if prefix else 'this user'} from {app})")
            client = subprocess.run([str(venv / "bin/python"), str(root / "bench/load_protocol.py"), "--url",
                                     f"http://127.0.0.1:{port}", "--pid", str(server.pid), "-n", "1",
                                     "--interactions", "6", "--think", "0.2,0.4", "--no-warmup", "--arrival", "0"],
                                    capture_output=True, text=True, timeout=300)
            print(client.stdout[-1200:])
            if client.returncode != 0 or "1 | 0 |" not in client.stdout:
                print("FAIL: the page did not work through the protocol client\n" + client.stderr[-2000:])
                return 1
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        print("OK: the image's environment installs from the lock and serves the app")
        return 0
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true", help="also build the environment as a venv and start the app")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    problems = check_rules()
    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print("Dockerfile: the rules hold")
    return build_and_start(keep=args.keep) if args.build else 0


if __name__ == "__main__":
    sys.exit(main())
