#!/usr/bin/env python3
"""cellmage benchmarks: start-up, one call vs curl, context assembly, history, history at
scale, streaming.

    python3 bench/run.py            # builds the release binary, runs everything (~2 min)
    python3 bench/run.py --no-build # reuse target/release/cellmage
    python3 bench/run.py --quick    # fewer repetitions, for a smoke test
    python3 bench/run.py --bin PATH # measure another cellmage binary (no build)
    python3 bench/run.py --only scale  # one row (repeatable)

Python 3.11 standard library only; needs `curl` for the comparison rows and GNU time
(/usr/bin/time) for peak memory. Every timed child is started with os.posix_spawn, so wall
time is spawn-to-exit with little harness overhead. A fake OpenAI server (bench/fake_server.py) runs
in its own process on 127.0.0.1. Results are printed as Markdown and written to
target/bench/results.md.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "cellmage"
KEY = "sk-bench-0123456789"
PROMPT = "write a python function that adds two numbers"

args = None
lines_out = []


def say(text=""):
    print(text, flush=True)
    lines_out.append(text)


def note(text):
    print(f"  .. {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# running children


class Run:
    def __init__(self, wall, start_ns, end_ns):
        self.wall = wall
        self.start_ns = start_ns
        self.end_ns = end_ns


def spawn(argv, env, stdout="/dev/null", stdin="/dev/null"):
    """Runs argv to completion; stdout to a file, stderr to a file in the work directory.

    posix_spawn is a vfork, and Linux carries the parent's memory high-water mark into the
    child's ru_maxrss across exec, so wait4 cannot give the child's peak memory: `peak_rss`
    measures it in a separate run under GNU time, which forks from a small process."""
    err = str(WORK / "stderr.txt")
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    start = time.monotonic_ns()
    pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    end = time.monotonic_ns()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(map(str, argv))}\n"
                         + Path(err).read_text(errors="replace"))
    return Run((end - start) / 1e9, start, end)


def peak_rss(argv, env):
    """Peak resident memory of one run of argv in MB (GNU time's %M), or None."""
    if not os.path.exists("/usr/bin/time"):
        return None
    out = WORK / "rss.txt"
    spawn(["/usr/bin/time", "-f", "%M", "-o", str(out), *argv], env)
    return int(out.read_text().split()[-1]) / 1024


def median(xs):
    return statistics.median(xs)


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


class Series(list):
    """The timed runs of one command, and its peak RSS from the warm-up run."""

    rss_mb = None


def series(argvs, env, runs, after=None):
    """Runs each argv `runs` times, interleaved (a, b, a, b, ...) after one warm-up each
    (under GNU time, for the peak RSS). `after(i, run)` is called after each timed run."""
    results = [Series() for _ in argvs]
    for argv, result in zip(argvs, results):
        result.rss_mb = peak_rss(argv, env)
    for _ in range(runs):
        for i, argv in enumerate(argvs):
            run = spawn(argv, env)
            if after:
                after(i, run)
            results[i].append(run)
    return results


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def mb(value):
    return "n/a" if value is None else f"{value:.1f} MB"


def summary(runs):
    return median(r.wall for r in runs), runs.rss_mb


# ---------------------------------------------------------------------------------------
# the fake server


class Server:
    def __init__(self):
        port_file = WORK / "port"
        port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_server.py"),
                                      str(port_file)])
        for _ in range(500):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.01)
        self.port = int(port_file.read_text())
        self.base = f"http://127.0.0.1:{self.port}/v1"

    def request(self, raw):
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(raw)
            data = b""
            while True:
                more = s.recv(65536)
                if not more:
                    return data
                data += more

    def last(self):
        reply = self.request(b"GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
        return json.loads(reply.partition(b"\r\n\r\n")[2])

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def post_bytes(body):
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


# ---------------------------------------------------------------------------------------
# environment and request bodies


def base_env(server):
    home = WORK / "home"
    for d in ("home", "config", "data"):
        (WORK / d).mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "CELLMAGE_CONFIG_DIR": str(WORK / "config"),
        "CELLMAGE_DATA_DIR": str(WORK / "data"),
        "CELLMAGE_API_BASE": server.base,
        "CELLMAGE_API_KEY": KEY,
    }


def dry_run_body(cellmage_args, env):
    """The compact body from `--dry-run` (pretty JSON after the headers' blank line),
    re-serialised compactly: the bytes cellmage sends (checked against the server)."""
    out = WORK / "dry.txt"
    spawn([str(BIN), *cellmage_args, "--dry-run"], env, stdout=str(out))
    text = out.read_text()
    _, _, pretty = text.partition("\n\n")
    value = json.loads(pretty)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def curl_argv(server, body_file, stream):
    argv = ["curl", "-sS", "-X", "POST", f"{server.base}/chat/completions",
            "-H", "Content-Type: application/json", "-H", f"Authorization: Bearer {KEY}",
            "-H", "Expect:", "--data-binary", f"@{body_file}"]
    return argv + (["-N"] if stream else [])


# ---------------------------------------------------------------------------------------
# rows


def machine():
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    model = next((line.split(":", 1)[1].strip() for line in run(["lscpu"]).splitlines()
                  if line.startswith("Model name")), "?")
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal")), 0)
    os_name = next((line.split("=", 1)[1].strip('"') for line in
                    Path("/etc/os-release").read_text().splitlines()
                    if line.startswith("PRETTY_NAME")), platform.system())
    curl = run(["curl", "--version"]).splitlines()[0] if shutil.which("curl") else "none"
    say("## Machine")
    say()
    say(f"* CPU: {model}, `nproc` = {os.cpu_count()}, load average at start "
        f"{os.getloadavg()[0]:.2f}")
    say(f"* memory: {mem_kb / 1024 / 1024:.1f} GiB; OS: {os_name}, kernel {platform.release()}")
    say(f"* {run(['rustc', '--version'])}; {curl.split(' (')[0]}; Python "
        f"{platform.python_version()}")
    shown = BIN.relative_to(ROOT) if BIN.is_relative_to(ROOT) else BIN
    say(f"* cellmage: {run([str(BIN), '--version'])}, `{shown}` "
        f"{BIN.stat().st_size / 1024 / 1024:.1f} MiB")
    say()


def row_floor(server):
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "hi"}]},
                      separators=(",", ":")).encode()
    raw = post_bytes(body)
    times = []
    for _ in range(args.runs * 3):
        t = time.perf_counter()
        server.request(raw)
        times.append(time.perf_counter() - t)
    say("## 0. Floors")
    say()
    say("| what | median | peak RSS |")
    say("|---|---|---|")
    say(f"| fake server round trip (raw socket from the harness, connect → POST → whole "
        f"JSON answer → close) | {ms(median(times))} | – |")
    env = {"PATH": os.environ.get("PATH", "")}
    (run,) = series([["/bin/true"]], env, args.runs)
    say(f"| process spawn + exit (`/bin/true`) | {ms(summary(run)[0])} | {mb(run.rss_mb)} |")
    say()


def row_startup(env):
    version = [str(BIN), "--version"]
    dry = [str(BIN), "--no-history", "-m", "bench", "--dry-run", PROMPT]
    a, b = series([version, dry], env, args.runs * 2)
    say("## 1. Start-up")
    say()
    say("| command | median | peak RSS |")
    say("|---|---|---|")
    for label, runs in (("`cellmage --version`", a), ("`cellmage --dry-run` small prompt", b)):
        wall, rss = summary(runs)
        say(f"| {label} | {ms(wall)} | {mb(rss)} |")
    say()


def one_call(server, env, stream, extra, runs):
    """cellmage vs curl with the byte-identical body; returns a dict of medians."""
    flags = ["-m", "bench", *extra] + ([] if stream else ["--no-stream"])
    body = dry_run_body([*flags, PROMPT], env)
    body_file = WORK / f"body-{int(stream)}-{len(extra)}.json"
    body_file.write_bytes(body)
    cm = [str(BIN), *flags, PROMPT]
    curl = curl_argv(server, body_file, stream)
    seen = {0: [], 1: []}

    def after(i, run):
        last = server.last()
        seen[i].append((last, run))

    timed = series([cm, curl], env, runs, after)
    sha = hashlib.sha256(body).hexdigest()
    same = all(last["sha256"] == sha for i in (0, 1) for last, _ in seen[i])

    def stats(i):
        wall, rss = summary(timed[i])
        pre = median((last["received_ns"] - r.start_ns) / 1e9 for last, r in seen[i])
        post = median((r.end_ns - last["sent_ns"]) / 1e9 for last, r in seen[i])
        return {"wall": wall, "rss": rss, "pre": pre, "post": post}

    return {"cellmage": stats(0), "curl": stats(1), "same": same, "bytes": len(body)}


def row_call(server, env):
    say("## 2. One call end to end vs curl (same server, byte-identical body)")
    say()
    say("| mode | cellmage | curl | ratio | cellmage peak RSS | curl peak RSS | cellmage spawn → request "
        "received | curl spawn → request received | cellmage response sent → exit | "
        "curl response sent → exit |")
    say("|---|---|---|---|---|---|---|---|---|---|")
    all_same = True
    for stream in (False, True):
        for extra, what in ((["--no-history"], "--no-history"), ([], "default (recorded)")):
            r = one_call(server, env, stream, extra, args.runs * 2)
            all_same &= r["same"]
            c, k = r["cellmage"], r["curl"]
            mode = ("streaming" if stream else "non-streaming") + f", {what}"
            say(f"| {mode} | {ms(c['wall'])} | {ms(k['wall'])} | "
                f"**{c['wall'] / k['wall']:.2f}×** | {mb(c['rss'])} | {mb(k['rss'])} | {ms(c['pre'])} | "
                f"{ms(k['pre'])} | {ms(c['post'])} | {ms(k['post'])} |")
    say()
    say("The curl body is the `--dry-run` JSON re-serialised compactly "
        "(`json.dumps(separators=(',', ':'), ensure_ascii=False)`); the server hashed every "
        "body it received: "
        + ("**cellmage and curl sent byte-identical bodies in every run**."
           if all_same else "**the bodies differed** (see the harness output)."))
    say()


def write_context(dir_, files, size):
    """`files` source files of `size` bytes each, 100 per sub-directory."""
    if (dir_ / ".done").exists():
        return
    shutil.rmtree(dir_, ignore_errors=True)
    for i in range(files):
        sub = dir_ / f"pkg{i // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        lines, n, j = [], 0, 0
        while n < size:
            line = (f'def handler_{i}_{j}(request, retries={j % 7}):\n'
                    f'    """Handle request {j} of module {i}: "quoted", tab\\t."""\n'
                    f'    return request.get("key_{j}", {{}}).update(value={j} * 2)\n\n')
            lines.append(line)
            n += len(line)
            j += 1
        (sub / f"module_{i:04d}.py").write_text("".join(lines)[:size])
    (dir_ / ".done").write_text("")


def row_context(env):
    say("## 3. Context assembly: one directory snippet, `--dry-run` to /dev/null")
    say()
    say("| input | files | median | peak RSS | RSS / input | throughput |")
    say("|---|---|---|---|---|---|")
    for files in (500, 1000, 2000):
        size = 10_000
        dir_ = WORK / f"ctx-{files}"
        write_context(dir_, files, size)
        total = files * size
        argv = [str(BIN), "--no-history", "-m", "bench", "--dry-run", "--snippet", str(dir_),
                "summarise this code"]
        (runs,) = series([argv], env, max(3, args.runs // 2))
        wall, rss = summary(runs)
        ratio = "n/a" if rss is None else f"{rss * 1024 * 1024 / total:.1f}×"
        say(f"| {total / 1e6:.0f} MB | {files} | {ms(wall)} | {mb(rss)} | {ratio} | "
            f"{total / 1e6 / wall:.0f} MB/s |")
    say()


def cellmage_markdown(exchanges):
    """A conversation in CellMage's own Markdown export format (SPEC §4)."""
    out = ["---", "model_name: bench", "persona_name: coder",
           "saved_at: '2025-01-01T00:00:00'", "session_id: bench",
           f"total_messages: {exchanges * 2}", "total_tokens: 0", f"turns: {exchanges}",
           "---", "", "# Conversation on January 01, 2025", ""]
    for i in range(exchanges):
        out += ["**You:**", "", f"Step {i}: extend the key-value store with feature {i}.", "",
                "**assistant:**", "",
                f"Here is feature {i}:", "", "```python",
                f"def feature_{i}(store, key, value):",
                f"    store.set(key, value, ttl={i % 60})", f"    return store.get(key)", "```",
                "", "---", ""]
    return "\n".join(out)


def conversation_files(name):
    return [p for p in (WORK / "data").rglob("*") if p.is_file() and name in p.name]


def row_history(server, env):
    say("## 4. History: the next call on a long conversation")
    say()
    imported = {}
    for n in (10, 2000):
        name = f"bench-{n}"
        md = WORK / f"{name}.md"
        md.write_text(cellmage_markdown(n))
        err = WORK / "import-err.txt"
        with open(err, "w") as e:
            code = subprocess.run([str(BIN), "history", "import", str(md), "--as", name],
                                  env=env, stdout=subprocess.DEVNULL, stderr=e).returncode
        if code != 0:
            say(f"**Not available in this build**: `cellmage history import` failed "
                f"(exit {code}: `{err.read_text().strip()}`), so no conversation could be "
                "prepared; this row is skipped. It runs unchanged once conversations land.")
            say()
            return
        imported[n] = name
    say("| exchanges | request body | call (cellmage) | curl, same body | overhead vs curl | "
        "more than a `--no-history` call | spawn → request received | response sent → exit | "
        "`--dry-run` | peak RSS | store file after a call |")
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    base = one_call(server, env, False, ["--no-history"], args.runs)["cellmage"]
    say(f"| none (`--no-history`) | – | {ms(base['wall'])} | – | – | – | {ms(base['pre'])} | "
        f"{ms(base['post'])} | – | {mb(base['rss'])} | – |")
    for n, name in imported.items():
        flags = ["--conversation", name]
        before = {p: (p.stat().st_ino, p.stat().st_size) for p in conversation_files(name)}
        r = one_call(server, env, False, flags, args.runs)
        after = {p: (p.stat().st_ino, p.stat().st_size) for p in conversation_files(name)}
        calls = args.runs + 1
        store = describe_store(before, after, calls)
        dry = [str(BIN), "-m", "bench", *flags, "--dry-run", PROMPT]
        (druns,) = series([dry], env, args.runs)
        c, k = r["cellmage"], r["curl"]
        say(f"| {n} | {r['bytes'] / 1024:.0f} KiB | {ms(c['wall'])} | {ms(k['wall'])} | "
            f"**{ms(c['wall'] - k['wall'])}** | {ms(c['wall'] - base['wall'])} | "
            f"{ms(c['pre'])} | {ms(c['post'])} | "
            f"{ms(summary(druns)[0])} | {mb(c['rss'])} | {store} |")
    say()
    say("*overhead vs curl* = cellmage's median wall time minus curl's posting the same "
        "body (taken from `--dry-run` before the timed calls, so it lacks the few exchanges "
        "those calls add). *response sent → exit* holds parsing the answer, printing it and "
        "recording the exchange: its growth from 10 to 2,000 exchanges is what recording "
        "costs as history grows.")
    say()


def describe_store(before, after, calls):
    if not after:
        return "not found"
    if before.keys() != after.keys():
        return f"{len(before)} → {len(after)} files"
    rewritten = sum(before[p][0] != after[p][0] for p in after)
    grown = sum(after[p][1] - before[p][1] for p in after)
    kind = "rewritten (new inode)" if rewritten else "same inode"
    return f"{kind}, +{grown / max(calls, 1) / 1024:.1f} KiB per call"


def write_store(data, conversations, exchanges, answer_bytes):
    """`conversations` JSON Lines files of `exchanges` exchanges each, as cellmage writes
    them, in the current working directory's project."""
    store = data / "conversations"
    if (store / ".done").exists():
        return
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    answer = ("Here is the change:\n```python\ndef f(store, key):\n    return store.get(\"k\")\n```\n"
              * (answer_bytes // 70 + 1))[:answer_bytes]
    for c in range(conversations):
        name = f"c{c:05d}"
        header = {"format": "cellmage-conversation", "version": 1, "id": name, "name": name,
                  "created": "2025-01-01T00:00:00.000Z", "project": os.getcwd()}
        lines = [json.dumps(header, separators=(",", ":"))]
        for i in range(exchanges):
            lines.append(json.dumps({
                "time": "2025-01-01T00:00:00.000Z", "model": "bench", "provider": "openai",
                "persona": "coder",
                "messages": [{"role": "user", "content": f"Step {i}: extend feature {i}."}],
                "answer": answer, "usage": {"input_tokens": 11, "output_tokens": 7},
                "finish_reason": "stop", "cost": 0.0001, "duration_ms": 1234},
                separators=(",", ":"), ensure_ascii=False))
        (store / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    (store / ".done").write_text("")


def row_scale(env):
    say("## 6. History at scale: `history list` and loading a long conversation")
    say()
    say("| store | conversations | bytes | `history list` | ratio to small |")
    say("|---|---|---|---|---|")
    small = None
    for label, convs, exchanges, answer in (("small", 1000, 1, 200), ("large", 430, 100, 2600)):
        data = CACHE / f"scale-{label}"
        write_store(data, convs, exchanges, answer)
        size = sum(p.stat().st_size for p in (data / "conversations").glob("*.jsonl"))
        senv = dict(env, CELLMAGE_DATA_DIR=str(data))
        (runs,) = series([[str(BIN), "history", "list"]], senv, max(3, args.runs // 3))
        wall = median(r.wall for r in runs)
        small = small or wall
        say(f"| {label} | {convs} | {size / 1e6:.1f} MB | {ms(wall)} | {wall / small:.1f}× |")
    say()
    say("| conversation | `history show --last` (loads it whole) | more than 10 exchanges | per exchange |")
    say("|---|---|---|---|")
    base = None
    for n in (10, 5000):
        data = CACHE / f"load-{n}"
        write_store(data, 1, n, 200)
        senv = dict(env, CELLMAGE_DATA_DIR=str(data))
        argv = [str(BIN), "history", "show", "c00000", "--last"]
        (runs,) = series([argv], senv, args.runs)
        wall = median(r.wall for r in runs)
        base = base or wall
        per = "–" if n == 10 else f"{(wall - base) / (n - 10) * 1e6:.2f} µs"
        say(f"| {n} exchanges | {ms(wall)} | {ms(wall - base)} | {per} |")
    say()


def latency_run(argv, env):
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, bufsize=0)
    fd = proc.stdout.fileno()
    pending, delays, reads = b"", [], 0
    while True:
        data = os.read(fd, 65536)
        now = time.monotonic_ns()
        if not data:
            break
        reads += 1
        pending += data
        for sent in re.findall(rb"(\d{6,})\|", pending):
            delays.append((now - int(sent)) / 1e6)
        pending = pending[pending.rfind(b"|") + 1:] if b"|" in pending else pending
    proc.wait()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {argv}")
    return delays, reads


def row_stream(server, env):
    say("## 5. Streaming pass-through: chunk written by the server → bytes on stdout")
    say()
    say("| reader | chunks | median | p95 | max | reads of stdout |")
    say("|---|---|---|---|---|---|")
    body = json.dumps({"model": "bench-latency", "messages": [{"role": "user", "content": "go"}],
                       "stream": True}, separators=(",", ":")).encode()
    body_file = WORK / "latency.json"
    body_file.write_bytes(body)
    readers = (("cellmage (streaming, --no-history)",
                [str(BIN), "--no-history", "-m", "bench-latency", "go"]),
               ("curl -N (raw SSE)", curl_argv(server, body_file, True)))
    for label, argv in readers:
        delays, reads = [], 0
        for _ in range(3 if not args.quick else 1):
            d, r = latency_run(argv, env)
            delays += d
            reads += r
        say(f"| {label} | {len(delays)} | {median(delays):.3f} ms | {p95(delays):.3f} ms | "
            f"{max(delays):.3f} ms | {reads} |")
    say()


def main():
    global args, WORK, CACHE, BIN
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="reuse the release binary")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per series")
    parser.add_argument("--bin", type=Path, help="the cellmage binary to measure (no build)")
    parser.add_argument("--only", action="append", help="run only this row (floor, startup, "
                        "call, context, history, scale, stream); repeatable")
    args = parser.parse_args()
    args.runs = args.runs or (4 if args.quick else 30)
    if args.bin:
        BIN = args.bin.resolve()
    elif not args.no_build:
        note("cargo build --release")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if not shutil.which("curl"):
        raise SystemExit("curl is needed for the comparison rows")
    CACHE = ROOT / "target" / "bench"
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cellmage-bench-") as tmp:
        WORK = Path(tmp)
        server = Server()
        try:
            env = base_env(server)
            say(f"# cellmage benchmark run, {time.strftime('%Y-%m-%d %H:%M %Z')}")
            say()
            machine()
            steps = {"floor": lambda: row_floor(server), "startup": lambda: row_startup(env),
                     "call": lambda: row_call(server, env), "context": lambda: row_context(env),
                     "history": lambda: row_history(server, env),
                     "scale": lambda: row_scale(env), "stream": lambda: row_stream(server, env)}
            for name, step in steps.items():
                if not args.only or name in args.only:
                    step()
        finally:
            server.stop()
    say(f"_{args.runs} timed runs per series (after one warm-up), medians; "
        f"measuring took {time.monotonic() - started:.0f} s._")
    (CACHE / "results.md").write_text("\n".join(lines_out) + "\n")
    note(f"written to {(CACHE / 'results.md').relative_to(ROOT)}")


WORK = CACHE = None

if __name__ == "__main__":
    main()
