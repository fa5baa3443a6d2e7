#!/usr/bin/env python3
"""200 clients at once: each sends one unique datagram to the relay and checks the echo it gets back.
Prints JSON {answered, crossed, missing}. Traffic goes only to the address given (inside the benchmark's namespaces)."""
import json, select, socket, sys, time

target, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.setblocking(False)
    socks.append(s)
for i, s in enumerate(socks):  # all at once, no pacing
    s.sendto(b"client-%05d" % i, (target, port))
answered = crossed = 0
pending = {s.fileno(): (i, s) for i, s in enumerate(socks)}
deadline = time.time() + 5
while pending and time.time() < deadline:
    ready, _, _ = select.select(list(pending), [], [], 0.2)
    for fd in ready:
        i, s = pending[fd]
        try:
            data = s.recv(2048)
        except BlockingIOError:
            continue
        if data == b"client-%05d" % i:
            answered += 1
            del pending[fd]
        else:
            crossed += 1
print(json.dumps({"answered": answered, "crossed": crossed, "missing": len(pending)}))
