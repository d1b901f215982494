"""The workload of bench_rnn.cpp in PyTorch: LSTM(200, 200, num_layers=2) over [35, 20, 200],
float32, median ms per forward (no grad) and per forward + backward.

    OMP_NUM_THREADS=2 /work/torchref/bin/python benchmarks/torch_rnn.py [rounds=7] [iters=10]
"""
import sys
import time

import torch


def median_ms(fn, rounds, iters):
    fn()
    v = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        v.append((time.perf_counter() - t0) * 1000 / iters)
    return sorted(v)[len(v) // 2]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(200, 200, 2)
    x = torch.randn(35, 20, 200)
    h0, c0 = torch.zeros(2, 20, 200), torch.zeros(2, 20, 200)

    def fwd():
        with torch.no_grad():
            lstm(x, (h0, c0))

    def fwd_bwd():
        lstm.zero_grad()
        out, (h, c) = lstm(x, (h0, c0))
        (out.sum() + h.sum() + c.sum()).backward()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"forward (no grad)   {median_ms(fwd, rounds, iters):8.3f} ms")
    print(f"forward + backward  {median_ms(fwd_bwd, rounds, iters):8.3f} ms")


if __name__ == "__main__":
    main()
