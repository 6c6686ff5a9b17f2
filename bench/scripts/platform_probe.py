#!/usr/bin/env python3
# Part of claw-bench: see docs/performance.md, "The platform under the stalls".
"""Platform latency probe: how long a 4 KiB write + fdatasync takes, and how late a 1 ms
sleep wakes, per 10 s interval, for N seconds. Run on a quiet machine."""
import os, sys, time, threading
secs = int(sys.argv[1]) if len(sys.argv) > 1 else 120
path = sys.argv[2] if len(sys.argv) > 2 else '/tmp/fsync-probe.dat'
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
buf = b'x' * 4096
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs)-1, int(len(xs)*p))] if xs else 0
wake = []
stop = False
def sleeper():
    while not stop:
        t = time.perf_counter(); time.sleep(0.001); wake.append((time.perf_counter()-t-0.001)*1000)
th = threading.Thread(target=sleeper); th.start()
start = time.time(); n = 0
while time.time() - start < secs:
    lat = []; wake.clear(); t0 = time.time()
    while time.time() - t0 < 10:
        t = time.perf_counter(); os.pwrite(fd, buf, (n % 1024) * 4096); os.fdatasync(fd); lat.append((time.perf_counter()-t)*1000); n += 1
    w = list(wake)
    print(f"t={time.time()-start:5.0f}s fdatasync n={len(lat)} p50={pct(lat,.5):.2f}ms p99={pct(lat,.99):.2f}ms max={max(lat):.2f}ms | sleep(1ms) late p99={pct(w,.99):.2f}ms max={max(w) if w else 0:.2f}ms", flush=True)
stop = True; th.join(); os.close(fd); os.unlink(path)
