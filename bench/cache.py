#!/usr/bin/env python3
"""Prompt caching: what the second identical call of a conversation costs.

    python3 bench/cache.py [--bin target/release/cellmage]

Starts a fake Anthropic Messages server that bills prompt caching the way Anthropic's
prompt-caching documentation describes it, then runs cellmage twice in one conversation
with the same 50 KB snippet and prompt, and compares the input cost of the two calls on
claude-sonnet-4-5's prices ($3/M input, cache reads 0.1x, 5-minute cache writes 1.25x).

The fake's cache: the request is read as a sequence of blocks (system, then each message's
content blocks); a block with `cache_control` is a breakpoint. At each breakpoint the
prefix up to it is looked up, and so are the prefixes ending at the 20 blocks before it;
the longest one seen before is read from the cache. Every breakpoint's prefix is then
written (if it has at least 1024 tokens, the minimum for Sonnet), the tokens between the
read prefix and the last breakpoint being billed as cache writes. Tokens are estimated at
four bytes each. Python 3 standard library only.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MIN_TOKENS = 1024
LOOKBACK = 20
PRICE_IN, READ, WRITE = 3.00, 0.1, 1.25

cache = set()


def blocks_of(body):
    out = []
    system = body.get("system")
    if isinstance(system, str):
        out.append((system, False))
    elif isinstance(system, list):
        out += [(b["text"], "cache_control" in b) for b in system]
    for m in body["messages"]:
        content = m["content"]
        if isinstance(content, str):
            out.append((m["role"] + content, False))
        else:
            out += [(m["role"] + b.get("text", ""), "cache_control" in b) for b in content]
    return out


def bill(body):
    blocks = blocks_of(body)
    tokens = [-(-len(text.encode()) // 4) for text, _ in blocks]
    keys, h = [], hashlib.sha256()
    for text, _ in blocks:
        h.update(text.encode())
        keys.append(h.copy().hexdigest())
    marks = [i for i, (_, mark) in enumerate(blocks) if mark]
    read_end = -1
    for m in marks:
        for j in range(m, max(-1, m - LOOKBACK - 1), -1):
            if keys[j] in cache:
                read_end = max(read_end, j)
                break
    last = marks[-1] if marks else -1
    for m in marks:
        if sum(tokens[:m + 1]) >= MIN_TOKENS:
            cache.add(keys[m])
    read = sum(tokens[:read_end + 1])
    written = sum(tokens[read_end + 1:last + 1]) if last > read_end else 0
    if last >= 0 and sum(tokens[:last + 1]) < MIN_TOKENS:
        written = 0
    return {"input_tokens": sum(tokens) - read - written, "output_tokens": 5,
            "cache_read_input_tokens": read, "cache_creation_input_tokens": written}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reply = json.dumps({
            "id": "msg_1", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": bill(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def input_cost(usage):
    read = usage["cached_input_tokens"]
    written = usage["cache_write_tokens"]
    plain = usage["input_tokens"] - read - written
    return (plain + read * READ + written * WRITE) * PRICE_IN / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/debug/cellmage")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        snippet = os.path.join(tmp, "big.py")
        line = "def handler(request, retries=3):  # one line of a module\n"
        with open(snippet, "w") as f:
            f.write(line * (50 * 1024 // len(line)))
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp,
               "CELLMAGE_CONFIG_DIR": os.path.join(tmp, "config"),
               "CELLMAGE_DATA_DIR": os.path.join(tmp, "data"),
               "ANTHROPIC_API_KEY": "sk-ant-bench",
               "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{server.server_port}"}
        argv = [args.bin, "--json", "-m", "claude-sonnet-4-5", "--conversation", "bench",
                "--snippet", snippet, "explain this module"]
        costs = []
        for _ in range(2):
            run = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
            usage = json.loads(run.stdout)["usage"]
            costs.append(input_cost(usage))
            print(f"usage {usage} -> input ${costs[-1]:.6f}")
    ratio = costs[1] / costs[0]
    print(f"second call's input cost: {ratio:.1%} of the first's (goal <= 20%)")
    server.shutdown()
    sys.exit(0 if ratio <= 0.20 else 1)


if __name__ == "__main__":
    main()
