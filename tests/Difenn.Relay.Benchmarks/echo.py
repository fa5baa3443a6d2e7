#!/usr/bin/env python3
"""UDP echo server for the 200-client test (runs in the benchmark's server namespace)."""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, addr = s.recvfrom(65535)
    s.sendto(data, addr)
