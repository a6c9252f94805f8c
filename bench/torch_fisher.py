# The PyTorch side of bench/child-tuning.ts: the official Child-Tuning_D Fisher pass (and, for scale, one
# training epoch) on the same BERT checkpoint, head and batches as pelt, in train mode (dropout on).
# Run with Debian's python3-torch: /usr/bin/python3 bench/torch_fisher.py <case.json>
# Prints one JSON line: {"fisher_ms", "epoch_ms", "maxrss_mb", ...}.
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from bert_fixtures import read_safetensors  # noqa: E402  (the fixtures' safetensors reader)


def bert_logits(p, cfg, ids, types, mask, drop):
    """BertForSequenceClassification's forward with Hugging Face's dropout sites."""
    B, T = ids.shape
    H, NH, eps = cfg['hidden_size'], cfg['num_attention_heads'], cfg['layer_norm_eps']
    HS = H // NH
    pd, ad = cfg['hidden_dropout_prob'], cfg['attention_probs_dropout_prob']
    lin = lambda name, x: F.linear(x, p[name + '.weight'], p[name + '.bias'])  # noqa: E731
    ln = lambda name, x: F.layer_norm(x, (H,), p[name + '.weight'], p[name + '.bias'], eps)  # noqa: E731
    e = 'bert.embeddings.'
    h = F.embedding(ids, p[e + 'word_embeddings.weight'], padding_idx=cfg['pad_token_id'])
    h = h + p[e + 'token_type_embeddings.weight'][types] + p[e + 'position_embeddings.weight'][:T][None]
    h = F.dropout(ln(e + 'LayerNorm', h), pd, drop)
    add_mask = (1.0 - mask.float())[:, None, None, :] * torch.finfo(torch.float32).min
    heads = lambda t: t.view(B, T, NH, HS).permute(0, 2, 1, 3)  # noqa: E731
    for i in range(cfg['num_hidden_layers']):
        pre = f'bert.encoder.layer.{i}.'
        q, k, v = (heads(lin(pre + 'attention.self.' + m, h)) for m in ('query', 'key', 'value'))
        probs = F.dropout(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HS) + add_mask, -1), ad, drop)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        a = ln(pre + 'attention.output.LayerNorm', F.dropout(lin(pre + 'attention.output.dense', ctx), pd, drop) + h)
        f = lin(pre + 'output.dense', F.gelu(lin(pre + 'intermediate.dense', a)))
        h = ln(pre + 'output.LayerNorm', F.dropout(f, pd, drop) + a)
    pooled = torch.tanh(lin('bert.pooler.dense', h[:, 0]))
    return lin('classifier', F.dropout(pooled, pd, drop))


def main():
    c = json.load(open(sys.argv[1]))
    torch.set_num_threads(c['threads'])
    torch.manual_seed(0)
    cfg = json.load(open(c['model_dir'] + '/config.json'))
    base = {k: v for k, v in read_safetensors(c['model_dir'] + '/model.safetensors').items() if k.startswith('bert.')}
    f32 = lambda xs: torch.tensor(xs, dtype=torch.float32)  # noqa: E731  (JSON writes 0.0 as 0)
    head = {'classifier.weight': f32(c['head']['weight']).view(-1, cfg['hidden_size']), 'classifier.bias': f32(c['head']['bias'])}
    batches = [(torch.tensor(b['input_ids']), torch.tensor(b['token_type_ids']), torch.tensor(b['attention_mask']), torch.tensor(b['labels']))
               for b in c['batches']]

    def fresh():
        return {k: v.clone().requires_grad_() for k, v in {**base, **head}.items()}

    def loss_of(p, b):
        return F.cross_entropy(bert_logits(p, cfg, b[0], b[1], b[2], True), b[3])

    # warm-up (allocator, thread pool), not timed
    p = fresh()
    for b in batches[:2]:
        loss_of(p, b).backward()

    # the official calculate_fisher: per-tensor clip, then += grad ** 2 / N
    p = fresh()
    N = len(batches)
    fisher = {k: torch.zeros_like(v) for k, v in p.items()}
    t0 = time.perf_counter()
    for b in batches:
        loss_of(p, b).backward()
        for k, v in p.items():
            torch.nn.utils.clip_grad_norm_(v, 1.0)
            fisher[k] += (v.grad ** 2) / N
            v.grad = None
    r = np.concatenate([v.view(-1).numpy() for k, v in fisher.items() if 'encoder.layer' in k])
    polar = np.percentile(r, 70.0)
    fisher_ms = (time.perf_counter() - t0) * 1000

    # one epoch of ordinary training on the same batches: global clip, AdamW
    p = fresh()
    opt = torch.optim.AdamW(list(p.values()), lr=4e-5, weight_decay=0.01)
    t0 = time.perf_counter()
    for b in batches:
        opt.zero_grad(set_to_none=True)
        loss_of(p, b).backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        opt.step()
    epoch_ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({'fisher_ms': fisher_ms, 'epoch_ms': epoch_ms, 'polar': float(polar), 'kept': int((r >= polar).sum()),
                      'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'torch': torch.__version__,
                      'threads': torch.get_num_threads()}))


main()
