#!/usr/bin/env python3
"""A minimal, fast fake OpenAI chat-completions server for the benchmarks.

Raw sockets and one thread per connection (no http.server: its per-request parsing and
logging cost more than everything measured here). It runs in its own process so that the
harness's reader never competes with it for the GIL.

    python3 bench/fake_server.py PORT_FILE

writes the port it listens on (127.0.0.1, ephemeral) into PORT_FILE, then serves:

* POST .../chat/completions
    - body containing "stream":true  -> a short SSE answer (10 chunks, one write);
    - model "bench-latency"           -> 200 SSE chunks, 5 ms apart, each chunk's text is
                                         the CLOCK_MONOTONIC nanoseconds at which it was
                                         written, followed by "|" (no newline);
    - otherwise                       -> one JSON answer.
  Every response is sent with "Connection: close".
* GET /last -> JSON about the last POST: a sequence number, body length and sha256, and
  the CLOCK_MONOTONIC ns when its body was fully read and when the response was written.
"""

import hashlib
import json
import socket
import sys
import threading
import time

ANSWER = "Hello from the bench server. " * 4
LATENCY_CHUNKS = 200
LATENCY_GAP_S = 0.005

last = {"n": 0}
last_lock = threading.Lock()


def whole_response():
    body = json.dumps({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }).encode()
    head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return head + body


SSE_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")


def sse_chunk(text, finish=None):
    chunk = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": "bench",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


SSE_TAIL = (b"data: " + json.dumps({"id": "chatcmpl-bench", "object": "chat.completion.chunk",
                                    "model": "bench", "choices": [],
                                    "usage": {"prompt_tokens": 10, "completion_tokens": 20}}
                                   ).encode() + b"\n\ndata: [DONE]\n\n")

WHOLE = whole_response()
WORDS = ANSWER.split(" ")
STREAM = (SSE_HEAD + b"".join(sse_chunk(w + " ") for w in WORDS[:-1])
          + sse_chunk(WORDS[-1], "stop") + SSE_TAIL)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return None, None, None
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method_path = lines[0]
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    chunks = [body]
    got = len(body)
    while got < length:
        more = conn.recv(min(1 << 20, length - got))
        if not more:
            break
        chunks.append(more)
        got += len(more)
    return method_path, b"".join(chunks), time.monotonic_ns()


def serve_latency(conn):
    conn.sendall(SSE_HEAD)
    for i in range(LATENCY_CHUNKS):
        time.sleep(LATENCY_GAP_S)
        finish = "stop" if i == LATENCY_CHUNKS - 1 else None
        # the timestamp is taken as late as possible: the chunk is built around it
        now = time.monotonic_ns()
        conn.sendall(sse_chunk(f"{now}|", finish))
    conn.sendall(SSE_TAIL)


def handle(conn):
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        method_path, body, received = read_request(conn)
        if method_path is None:
            return
        if method_path.startswith("GET /last"):
            with last_lock:
                payload = json.dumps(last).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                         .encode() + payload)
            return
        if b'"model":"bench-latency"' in body:
            serve_latency(conn)
        elif b'"stream":true' in body:
            conn.sendall(STREAM)
        else:
            conn.sendall(WHOLE)
        sent = time.monotonic_ns()
        record = {"len": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                  "received_ns": received, "sent_ns": sent}
        with last_lock:
            record["n"] = last["n"] + 1
            last.clear()
            last.update(record)
    except OSError:
        pass
    finally:
        try:
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    with open(sys.argv[1], "w") as f:
        f.write(str(listener.getsockname()[1]))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
