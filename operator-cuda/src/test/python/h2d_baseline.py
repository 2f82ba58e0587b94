#!/usr/bin/env python3
"""PyTorch baseline for gpu-check.sh: host-to-device GB/s of a plain pinned copy.

usage: h2d_baseline.py SIZES_CSV OUT_JSON

For each size (bytes) it streams `src.cuda(non_blocking=True)` from one pinned uint8 tensor
(torch.empty(n, pin_memory=True)) for about half a second on the current stream, synchronising
once per chunk, exactly as GpuCheck.h2dGbps streams cudaMemcpyAsync from a pinned buffer, and
writes {"torch": version, "device": name, "h2d_gbps": {"<bytes>": GB/s (1e9)}}. Without torch or a
GPU it writes {"error": "..."} and exits 0, so the Java side reports the baseline as unavailable.
"""
import json
import sys
import time


def main():
    sizes = [int(s) for s in sys.argv[1].split(",")]
    out = sys.argv[2]
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means "no baseline"
        json.dump({"error": "PyTorch not importable: %s" % e}, open(out, "w"))
        print("PyTorch baseline skipped: torch not importable (%s)" % e)
        return
    if not torch.cuda.is_available():
        json.dump({"error": "torch.cuda.is_available() is False"}, open(out, "w"))
        print("PyTorch baseline skipped: torch.cuda.is_available() is False")
        return
    dev = torch.device("cuda:0")
    result = {}
    for n in sizes:
        src = torch.empty(n, dtype=torch.uint8, pin_memory=True)
        src.copy_(torch.arange(n, dtype=torch.int64).to(torch.uint8))
        for _ in range(20):
            src.cuda(non_blocking=True)
        torch.cuda.synchronize()
        chunk = max(1, min(1000, (64 << 20) // n))
        copies = 0
        start = time.perf_counter()
        while True:
            for _ in range(chunk):
                src.cuda(non_blocking=True)
            torch.cuda.synchronize()
            copies += chunk
            elapsed = time.perf_counter() - start
            if elapsed >= 0.5:
                break
        gbps = copies * n / elapsed / 1e9
        result[str(n)] = gbps
        print("torch pinned H2D %10d bytes: %8.2f GB/s" % (n, gbps))
    json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name(dev),
               "h2d_gbps": result}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
