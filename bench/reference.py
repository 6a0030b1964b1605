#!/usr/bin/env python3
"""Reference timings for `pnpm bench`, printed as one JSON object on stdout.

numpy sgemm (its BLAS, normally OpenBLAS on all cores) for the benchmark's shapes, and, when torch is
installed (Debian python3-torch), a GPT-2-small-shaped forward and backward with random weights, at
several thread settings (the best one is what the benchmark compares against).

usage: reference.py sgemm '[[M,K,N,batch],...]' REPS
       reference.py gpt2 '{"layers":12,"d":768,"heads":12,"dmlp":3072,"vocab":50257,"seq":128}' REPS THREADS
"""
import json
import statistics
import sys
import time


def sgemm(shapes, reps):
    import numpy as np

    rng = np.random.default_rng(0)
    out = []
    for m, k, n, batch in shapes:
        a = rng.standard_normal((batch, m, k), dtype=np.float32) if batch > 1 else rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((batch, k, n), dtype=np.float32) if batch > 1 else rng.standard_normal((k, n), dtype=np.float32)
        np.matmul(a, b)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            np.matmul(a, b)
            times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        out.append({"shape": [m, k, n, batch], "seconds": t, "gflops": 2.0 * m * k * n * batch / t / 1e9})
    return {"numpy": np.__version__, "sgemm": out}


def gpt2(cfg, reps, threads):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    L, d, H, dm, V, T = cfg["layers"], cfg["d"], cfg["heads"], cfg["dmlp"], cfg["vocab"], cfg["seq"]
    dh = d // H

    def p(*shape, std=0.02):
        return (torch.randn(*shape) * std).requires_grad_(True)

    wte, wpe = p(V, d), p(1024, d)
    blocks = []
    for _ in range(L):
        blocks.append(
            dict(
                ln1w=(torch.ones(d)).requires_grad_(True), ln1b=p(d), wqkv=p(d, 3 * d), bqkv=p(3 * d),
                wo=p(d, d), bo=p(d), ln2w=(torch.ones(d)).requires_grad_(True), ln2b=p(d),
                win=p(d, dm), bin=p(dm), wout=p(dm, d), bout=p(d),
            )
        )
    lnfw, lnfb = torch.ones(d).requires_grad_(True), p(d)
    params = [wte, wpe, lnfw, lnfb] + [t for b in blocks for t in b.values()]
    ids = torch.randint(0, V, (1, T))
    mask = torch.full((T, T), float("-inf")).triu(1)

    def block(x, b):
        h = F.layer_norm(x, (d,), b["ln1w"], b["ln1b"], 1e-5)
        qkv = torch.addmm(b["bqkv"], h.view(-1, d), b["wqkv"]).view(1, T, 3, H, dh)
        q, k, v = qkv.unbind(2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        s = q @ k.transpose(-1, -2) / dh**0.5 + mask
        z = (s.softmax(-1) @ v).transpose(1, 2).reshape(-1, d)
        x = x + torch.addmm(b["bo"], z, b["wo"]).view(1, T, d)
        h = F.layer_norm(x, (d,), b["ln2w"], b["ln2b"], 1e-5)
        m = F.gelu(torch.addmm(b["bin"], h.view(-1, d), b["win"]), approximate="tanh")
        return x + torch.addmm(b["bout"], m, b["wout"]).view(1, T, d)

    def forward(start=0, x=None):
        if x is None:
            x = wte[ids] + wpe[:T]
        for b in blocks[start:]:
            x = block(x, b)
        x = F.layer_norm(x, (d,), lnfw, lnfb, 1e-5)
        return x @ wte.t()

    def t_forward():
        with torch.no_grad():
            forward()

    def t_grad_resid6():
        with torch.no_grad():
            x = wte[ids] + wpe[:T]
            for b in blocks[:6]:
                x = block(x, b)
        x = x.detach().requires_grad_(True)
        logits = forward(6, x)
        metric = (logits[:, -1, 7] - logits[:, -1, 13]).sum()
        (g,) = torch.autograd.grad(metric, [x])
        return g

    def t_grad_all():
        logits = forward()
        loss = F.cross_entropy(logits[0, :-1], ids[0, 1:])
        return torch.autograd.grad(loss, params)

    res = {"torch": torch.__version__, "threads": threads}
    for name, fn in [("forward", t_forward), ("grad_resid6", t_grad_resid6), ("grad_all", t_grad_all)]:
        fn()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        res[name] = statistics.median(times)
    return res


def sae_topk(cfg, reps, threads):
    """One training step of a TopK SAE with a dense decoder (the common PyTorch formulation): encode,
    top-k, scatter into a dense code, dense decode, FVU loss, backward, unit-norm gradient projection,
    Adam step, decoder renormalisation. Returns tokens/s."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    d, n, k, batch = cfg["d"], cfg["n"], cfg["k"], cfg["batch"]
    W_enc = torch.nn.Parameter(torch.empty(n, d).uniform_(-(d ** -0.5), d ** -0.5))
    b_enc = torch.nn.Parameter(torch.zeros(n))
    W_dec = torch.nn.Parameter(W_enc.data / W_enc.data.norm(dim=1, keepdim=True))
    b_dec = torch.nn.Parameter(torch.zeros(d))
    opt = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=1e-4, eps=6.25e-10)
    x = torch.randn(batch, d)

    def step():
        z = torch.relu((x - b_dec) @ W_enc.T + b_enc)
        vals, idx = z.topk(k, dim=-1, sorted=False)
        code = torch.zeros_like(z).scatter_(-1, idx, vals)
        xhat = code @ W_dec + b_dec
        e = xhat - x
        loss = e.pow(2).sum() / (x - x.mean(0)).pow(2).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            g = W_dec.grad
            g -= (g * W_dec).sum(1, keepdim=True) * W_dec
        opt.step()
        with torch.no_grad():
            W_dec.div_(W_dec.norm(dim=1, keepdim=True))

    step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    return {"torch": torch.__version__, "threads": threads, "seconds": sec, "tokensPerSecond": batch / sec}


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "sgemm":
        print(json.dumps(sgemm(json.loads(sys.argv[2]), int(sys.argv[3]))))
    elif kind == "sae_topk":
        print(json.dumps(sae_topk(json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
    else:
        print(json.dumps(gpt2(json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
