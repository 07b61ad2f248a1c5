"""Waits for a freshly launched `hashdir serve` to answer GET /ready with 200 and prints the
milliseconds since its launch; exits 1 if the process dies first.

    ready-poll.py HTTP_PORT PID LAUNCH_NS   (LAUNCH_NS: `date +%s%N` taken just before the launch)

One process on one kept-alive connection, polling every 5 ms (a curl process per poll took about
8 ms of CPU each: on 2 cores, CPU the server's recovery then did not get). Used by
bench/serve-lib.sh (for bench/durability.sh and bench/fresh-replay.sh).
"""
import http.client
import os
import sys
import time

port, pid, start = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
conn = None
while True:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/ready")
        r = conn.getresponse()
        r.read()
        if r.status == 200:
            print((time.time_ns() - start) // 1000000)
            sys.exit(0)
    except (OSError, http.client.HTTPException):
        if conn is not None:
            conn.close()
        conn = None
    time.sleep(0.005)
