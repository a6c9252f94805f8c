# The PyTorch side of pelt's benchmarks: the same work as bench/*.ts, timed in the same run.
# Run with Debian's python3-torch: /usr/bin/python3 bench/torch_peer.py <case-json>
# Prints one JSON line: {"ms": median step ms, "maxrss_mb": peak resident memory, ...}.
import json, math, resource, sys, time

import torch
import torch.nn.functional as F


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def timeit(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return median(ts), min(ts)


def sgemm(c):
    m, k, n = c["m"], c["k"], c["n"]
    a, b = torch.randn(m, k), torch.randn(k, n)
    out = torch.empty(m, n)
    ms, best = timeit(lambda: torch.mm(a, b, out=out), 3, c["iters"])
    return {"ms": ms, "best_ms": best, "gflops": 2 * m * n * k / best / 1e6}


def numpy_sgemm(c):
    import numpy as np
    m, k, n = c["m"], c["k"], c["n"]
    a = np.random.rand(m, k).astype(np.float32)
    b = np.random.rand(k, n).astype(np.float32)
    out = np.empty((m, n), dtype=np.float32)
    ms, best = timeit(lambda: np.matmul(a, b, out=out), 3, c["iters"])
    return {"ms": ms, "best_ms": best, "gflops": 2 * m * n * k / best / 1e6}


class LowRankLinear(torch.autograd.Function):
    """y = x (W + s B A)^T + b through the merged weight, A and B's gradients in factored form: the same
    algorithm as pelt's T.linearLowRank (W, b frozen), so both sides of the LoRA case do the same work."""

    @staticmethod
    def forward(ctx, x, w, b, a, bb, s):
        w_eff = torch.addmm(w, bb, a, alpha=s)
        ctx.save_for_backward(x, w_eff, a, bb)
        ctx.s = s
        return F.linear(x, w_eff, b)

    @staticmethod
    def backward(ctx, dy):
        x, w_eff, a, bb = ctx.saved_tensors
        x2, dy2 = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
        dx = dy @ w_eff if ctx.needs_input_grad[0] else None
        da = ctx.s * (dy2 @ bb).t() @ x2  # [r, in]
        db = ctx.s * dy2.t() @ (x2 @ a.t())  # [out, r]
        return dx, None, None, da, db, None


class Layer(torch.nn.Module):
    """One BERT encoder layer (post-LN), as Hugging Face computes it, with an optional LoRA pair on q and v."""

    def __init__(self, h, nh, ffn, lora_rank, lora_form="merged"):
        super().__init__()
        self.h, self.nh = h, nh
        self.q, self.k, self.v = torch.nn.Linear(h, h), torch.nn.Linear(h, h), torch.nn.Linear(h, h)
        self.o = torch.nn.Linear(h, h)
        self.ln1 = torch.nn.LayerNorm(h, eps=1e-12)
        self.i = torch.nn.Linear(h, ffn)
        self.o2 = torch.nn.Linear(ffn, h)
        self.ln2 = torch.nn.LayerNorm(h, eps=1e-12)
        self.lora = lora_form if lora_rank > 0 else None
        if self.lora:
            self.qa = torch.nn.Parameter(torch.randn(lora_rank, h) * 0.02)
            self.qb = torch.nn.Parameter(torch.zeros(h, lora_rank))
            self.va = torch.nn.Parameter(torch.randn(lora_rank, h) * 0.02)
            self.vb = torch.nn.Parameter(torch.zeros(h, lora_rank))

    def forward(self, x, mask):
        B, T, H = x.shape
        hs = H // self.nh
        k = self.k(x)
        if self.lora == "merged":  # as pelt: one product through W + 2 B A
            q = LowRankLinear.apply(x, self.q.weight, self.q.bias, self.qa, self.qb, 2.0)
            v = LowRankLinear.apply(x, self.v.weight, self.v.bias, self.va, self.vb, 2.0)
        elif self.lora:  # as PEFT: x A^T B^T added to the frozen projection, alpha/r = 2 folded into B
            q = self.q(x) + F.linear(F.linear(x, self.qa), 2.0 * self.qb)
            v = self.v(x) + F.linear(F.linear(x, self.va), 2.0 * self.vb)
        else:
            q, v = self.q(x), self.v(x)
        split = lambda t: t.view(B, T, self.nh, hs).permute(0, 2, 1, 3)
        s = split(q) @ split(k).transpose(-1, -2) / math.sqrt(hs) + mask[:, None, None, :]
        p = F.dropout(torch.softmax(s, dim=-1), 0.1, self.training)
        ctx = (p @ split(v)).permute(0, 2, 1, 3).reshape(B, T, H)
        h1 = self.ln1(F.dropout(self.o(ctx), 0.1, self.training) + x)
        return self.ln2(F.dropout(self.o2(F.gelu(self.i(h1))), 0.1, self.training) + h1)


def layer_step(c):
    torch.manual_seed(0)
    B, T, H, NH, FFN = c["batch"], c["seq"], c["hidden"], c["heads"], c["ffn"]
    layer = Layer(H, NH, FFN, c["lora_rank"], c.get("lora_form", "merged"))
    if c["lora_rank"] > 0:
        for n, p in layer.named_parameters():
            p.requires_grad = n in ("qa", "qb", "va", "vb")
    x = torch.randn(B, T, H)
    mask = torch.zeros(B, T)
    mask[:, T - 16:] = -10000.0
    params = [p for p in layer.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, foreach=c.get("foreach", False))
    mode = c.get("mode", "train")

    def train():
        opt.zero_grad(set_to_none=True)
        out = layer(x, mask)
        out.pow(2).mean().backward()
        opt.step()

    def infer():
        with torch.no_grad():
            layer(x, mask)

    layer.train(mode == "train")
    ms, best = timeit(train if mode == "train" else infer, c["warmup"], c["iters"])
    return {"ms": ms, "best_ms": best}


def method_model(c):
    """A whole BertForSequenceClassification with one of pelt's methods (bench/methods.ts, bench/epoch.ts),
    from the spec-side implementation in scripts/fixtures/methods_torch.py, and an AdamW over what trains."""
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
    from methods_torch import base_params, forward, method_params

    cfg, spec = c["config"], c["spec"]
    gen = torch.Generator().manual_seed(0)
    p = {**base_params(cfg, 2, gen), **method_params(cfg, spec, gen, scale="init")}
    base = set(base_params(cfg, 2, torch.Generator().manual_seed(0)))
    which = c["trains"]  # "all" | "bias" | "method"
    for n, t in p.items():
        head = n.startswith("classifier.")
        t.requires_grad_(which == "all" or head or (which == "bias" and n.endswith(".bias")) or (which == "method" and n not in base))
    params = [t for t in p.values() if t.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, foreach=c.get("foreach", False))
    run = lambda ids, types, mask, dropout=0.0: forward(p, cfg, spec, ids, types, mask, dropout=dropout)
    return p, params, opt, run, gen


def method_step(c):
    """One train step or inference pass of method_model on random ids."""
    p, params, opt, run, gen = method_model(c)
    cfg = c["config"]
    B, T = c["batch"], c["seq"]
    ids = torch.randint(5, cfg["vocab_size"], (B, T), generator=gen)
    types = torch.zeros(B, T, dtype=torch.long)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[:, T - 16:] = 0
    labels = torch.randint(0, 2, (B,), generator=gen)

    def train():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(run(ids, types, mask, cfg["hidden_dropout_prob"]), labels).backward()
        opt.step()

    def infer():
        with torch.no_grad():
            run(ids, types, mask)

    ms, best = timeit(train if c.get("mode", "train") == "train" else infer, c["warmup"], c["iters"])
    return {"ms": ms, "best_ms": best, "trainable": sum(t.numel() for t in params), "total": sum(t.numel() for t in p.values())}


def epoch(c):
    """One training epoch over the pre-tokenized batches bench/epoch.ts wrote, as a Hugging Face training
    loop runs it: forward, cross-entropy, backward, clip_grad_norm_(1.0), AdamW step."""
    p, params, opt, run, gen = method_model(c)
    drop = c["config"]["hidden_dropout_prob"]
    batches = []
    for b in json.load(open(c["batches"])):
        shape = (b["batch"], b["seq"])
        batches.append(tuple(torch.tensor(b[k], dtype=torch.long).view(shape) for k in ("input_ids", "token_type_ids", "attention_mask")) + (torch.tensor(b["labels"]),))

    def step(ids, types, mask, labels):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(run(ids, types, mask, drop), labels).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    step(*batches[0])  # warm-up, as pelt's side
    t0 = time.perf_counter()
    examples = 0
    for b in batches:
        step(*b)
        examples += b[0].shape[0]
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "examples": examples, "examples_per_s": examples / seconds}


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c.get("threads", 2))
    r = {"sgemm": sgemm, "numpy_sgemm": numpy_sgemm, "layer": layer_step, "method": method_step, "epoch": epoch}[c["kind"]](c)
    r["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    r["torch"] = torch.__version__
    r["threads"] = torch.get_num_threads()
    print(json.dumps(r))


if __name__ == "__main__":
    main()
