"""Inference throughput, peak memory and FLOP/s of the baseline on the synthetic test set.

    python benchmarks/bench_baseline.py                      # tiny and minilm, 20 per language
    python benchmarks/bench_baseline.py --models mbert-shape --per-language 3   # ~4 min on 2 CPUs
    python benchmarks/bench_baseline.py --checkpoint runs/tiny   # a trained checkpoint

Throughput does not depend on the weights' values, so untrained models of the right shape are
measured ("mbert-shape" is bert-base-multilingual-cased's architecture with random weights and
MiniLM's tokenizer, since the real one cannot be downloaded here). `--per-language N` takes the
first N test examples of every (task, language) — the figures are then for that subset, and the
full-set time printed beside them is labelled as an extrapolation.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

from baselines.mbert.encoders import MBERT, build_tiny_encoder, minilm_path
from baselines.mbert.inference import predict_examples
from baselines.mbert.model import MultiTaskModel, TaskHead
from baselines.mbert.runtime import (
    configure_cpu_threads,
    max_batch_tokens,
    pick_device,
    pick_dtype,
)

# Dense (no sparsity) peak FLOP/s per GPU model for bf16/fp16 tensor cores, from vendor sheets.
GPU_PEAK_FLOPS = {
    "H100 SXM": 989.4e12,
    "H100 PCIe": 756.5e12,
    "H100 NVL": 835.5e12,
    "H100": 989.4e12,
    "H200": 989.4e12,
    "A100": 312e12,
    "L40S": 362.05e12,
    "A10G": 70e12,
}
MBERT_SHAPE = {
    "vocab_size": 119547,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
}


def encoder_flops(config, rows: int, width: int) -> float:
    """Forward matmul FLOPs of a BERT encoder on a padded batch (2 per multiply-add).

    Per layer and token: Q, K, V and output projections 4·h², feed-forward 2·h·i; attention
    scores and weighted sum 2·L·h per token. Embeddings and heads are negligible.
    """
    h, i, n = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_token = n * (2 * (4 * h * h + 2 * h * i) + 2 * 2 * width * h)
    return float(rows * width * per_token)


def build_model(name: str, tasks: dict[str, TaskHead], texts, work: Path):
    from transformers import AutoTokenizer, BertConfig, BertModel

    if name == "tiny":
        path = build_tiny_encoder(texts, work / "tiny")
    elif name == "minilm":
        path = minilm_path()
    elif name == "mbert-shape":
        path = work / "mbert-shape"
        torch.manual_seed(0)
        BertModel(BertConfig(**MBERT_SHAPE), add_pooling_layer=False).save_pretrained(path)
        AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(path)
    else:
        raise SystemExit(f"unknown model {name!r}: use tiny, minilm, mbert-shape or --checkpoint")
    model = MultiTaskModel.create(str(path), tasks, 128)
    tokenizer = AutoTokenizer.from_pretrained(path, use_fast=True)
    model.config.base_model = MBERT if name == "mbert-shape" else name
    return model, tokenizer


def load_test_set(size: str, seed: int, task_ids: list[str], per_language: int):
    from evaluator.data import open_source
    from evaluator.registry import get_task

    source = open_source({"source": "synthetic", "seed": seed, "size": size})
    data, full_counts = {}, {}
    for task in task_ids:
        for lang in get_task(task).languages:
            rows = source.examples(task, lang, "test")
            full_counts[(task, lang)] = len(rows)
            data[(task, lang)] = rows[:per_language] if per_language else rows
    return data, full_counts


def peak_gpu_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, value in GPU_PEAK_FLOPS.items():
        if key in name:
            return value
    return None


def bench_one(model, tokenizer, data, full_counts, device, dtype) -> dict:
    model.to(device).eval()
    budget = max_batch_tokens(model.encoder.config, device, dtype, model.config.max_seq_length)
    shapes: list[tuple[int, int]] = []
    # one warm-up batch so one-off costs (allocator, kernels) are not timed
    first_key = next(iter(data))
    predict_examples(model, tokenizer, first_key[0], data[first_key][:8], device, dtype, budget)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
    per_task: dict[str, dict] = {}
    started = time.perf_counter()
    for (task, _lang), rows in data.items():
        t0 = time.perf_counter()
        predict_examples(
            model, tokenizer, task, rows, device, dtype, budget,
            on_batch=lambda r, w: shapes.append((r, w)),
        )  # fmt: skip
        if device.type == "cuda":
            torch.cuda.synchronize()
        entry = per_task.setdefault(task, {"sentences": 0, "seconds": 0.0})
        entry["sentences"] += len(rows)
        entry["seconds"] += time.perf_counter() - t0
    elapsed = time.perf_counter() - started
    sentences = sum(len(r) for r in data.values())
    flops = sum(encoder_flops(model.encoder.config, r, w) for r, w in shapes)
    full = sum(full_counts.values())
    result = {
        "model": model.config.base_model,
        "parameters_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 1),
        "device": str(device),
        "dtype": str(dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "batch_tokens": budget,
        "sentences": sentences,
        "full_test_sentences": full,
        "seconds": round(elapsed, 2),
        "sentences_per_s": round(sentences / elapsed, 1),
        "per_task_sentences_per_s": {
            t: round(v["sentences"] / v["seconds"], 1) for t, v in per_task.items()
        },
        "padded_tokens_per_s": round(sum(r * w for r, w in shapes) / elapsed),
        "achieved_tflops": round(flops / elapsed / 1e12, 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if sentences < full:
        result["extrapolated_full_set_seconds"] = round(elapsed * full / sentences, 1)
    if device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(device)
        result["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated(device) / 2**20)
        peak = peak_gpu_flops(device)
        if peak:
            result["gpu_peak_tflops"] = round(peak / 1e12, 1)
            result["fraction_of_peak"] = round(flops / elapsed / peak, 4)
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--models", default="tiny,minilm", help="tiny, minilm, mbert-shape")
    p.add_argument("--checkpoint", help="measure this trained checkpoint instead of --models")
    p.add_argument("--size", default="full", help="synthetic data size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tasks", default="xnli,pawsx,udpos,panx")
    p.add_argument("--per-language", type=int, default=20,
                   help="test examples per (task, language); 0 = the full test set")  # fmt: skip
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", default="auto")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)

    device = pick_device(args.device)
    dtype = pick_dtype(device, args.precision)
    configure_cpu_threads()
    task_ids = [t for t in args.tasks.split(",") if t]
    data, full_counts = load_test_set(args.size, args.seed, task_ids, args.per_language)
    from evaluator.registry import get_task

    tasks = {t: TaskHead(get_task(t).kind, list(get_task(t).labels)) for t in task_ids}
    results = []
    with tempfile.TemporaryDirectory() as work:
        names = ["checkpoint"] if args.checkpoint else args.models.split(",")
        for name in names:
            if args.checkpoint:
                model, tokenizer = MultiTaskModel.load(args.checkpoint)
            else:
                texts = (" ".join(r.get("tokens") or [r["sentence1"]]) for r in _sample(data))
                model, tokenizer = build_model(name, tasks, texts, Path(work))
            result = bench_one(model, tokenizer, data, full_counts, device, dtype)
            results.append(result)
            print(json.dumps(result), flush=True)
            del model
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    subset = "full test set" if not args.per_language else f"first {args.per_language} per language"
    print(f"\nsynthetic size={args.size}, {subset}; peak RSS is cumulative over models run so far")
    print("| model | params (M) | sentences | s | sentences/s | TFLOP/s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        cells = ("model", "parameters_m", "sentences", "seconds", "sentences_per_s",
                 "achieved_tflops", "peak_rss_mib")  # fmt: skip
        print("| " + " | ".join(str(r[c]) for c in cells) + " |")
    return 0


def _sample(data):
    for rows in data.values():
        yield from rows


if __name__ == "__main__":
    sys.exit(main())
