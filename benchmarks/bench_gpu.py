"""The supplied baseline on a real GPU: the platform's timing window, NVML energy and throughput.

Run on a lent GPU machine (no Docker, no internet, no pip there; the repository and the machine's
own python with torch+CUDA, transformers, tokenizers and nvidia-ml-py):

    python3 benchmarks/bench_gpu.py [--json var/bench/gpu.json] [--runs 10] [--per-language N]
    python3 benchmarks/bench_gpu.py --short [--cpu-smoke]   # 2 runs on a tiny split (CI: CPU)

What it does, in under 8 minutes on an H100/H200:
1. a baseline checkpoint of bert-base's shape with random weights and a WordPiece vocabulary
   trained on synthetic text (nothing can be downloaded; speed does not depend on the weights);
2. the baseline's throughput in the bench process itself, fp32 and bf16 (sentences/s) on a
   synthetic split of every task and language (`--throughput-per-language`, 9,500 sentences at
   the default), and the fraction of the GPU's dense bf16 peak, with FLOPs = 2 x non-embedding
   parameters x tokens processed (padding included: the GPU computes it);
3. a synthetic eval split in the hidden split's layout, every task and language, sized from
   the bf16 throughput so that one run infers for about `--run-compute-s` (between 1,900 and
   190,000 sentences; `--per-language` fixes it); the baseline's `predict` on it through the
   platform's ProcessRunner on the GPU, one discarded warm-up and `--runs` timed runs: the
   window the platform ranks by, its coefficient of variation, and per run the NVML energy
   counter, peak GPU memory, SM clock and throttling (evaluator/runner/gpu.py); the first
   run's predictions are checked as a worker checks them.
Without a CUDA GPU it stops at once with exit status 2. `--cpu-smoke` runs the same steps on the
CPU with a tiny model, only to check the script where no GPU is lent; its figures mean nothing.
Goals (benchmarks/goals.py, which also writes the JSON): the window's CV under the worker's 2%,
no throttled run, the whole benchmark within its 8 minutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from goals import Report, add_arguments  # noqa: E402

NEEDED = ("torch", "transformers", "tokenizers", "numpy", "pynvml")
BASE_SHAPE = {  # bert-base (and mBERT) without its vocabulary
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
}
# Dense bf16 tensor-core peak per GPU, from NVIDIA's data sheets (no sparsity); first match wins.
BF16_PEAK_FLOPS = {"H100 PCIe": 756e12, "H100 NVL": 835e12, "H100": 989e12, "H200": 989e12}


def fail(message: str) -> None:
    print(f"bench-gpu: {message}", file=sys.stderr)
    sys.exit(2)


def importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        return False


def check_machine(smoke: bool):
    missing = [name for name in NEEDED if not importable(name)]
    if missing:
        fail(
            f"missing Python packages: {', '.join(missing)}; this script uses only what the GPU "
            "machine has preinstalled (torch with CUDA, transformers, tokenizers, "
            "nvidia-ml-py)"
        )
    import torch

    if not torch.cuda.is_available() and not smoke:
        fail(
            f"no CUDA GPU is visible (torch {torch.__version__}, built for CUDA "
            f"{torch.version.cuda or 'none'}); run this on a lent GPU machine, or pass "
            "--cpu-smoke to check the script on the CPU"
        )
    return torch


def import_runner_parts():
    """ProcessRunner and the NVML module: the package re-exports lazily, so these load without
    the Docker SDK, which the GPU machine does not have."""
    from evaluator.runner.gpu import gpu_settings, gpu_window
    from evaluator.runner.limits import Limits
    from evaluator.runner.outcome import coefficient_of_variation
    from evaluator.runner.process_runner import ProcessRunner

    return ProcessRunner, Limits, gpu_window, gpu_settings, coefficient_of_variation


def build_split(work: Path, per_language: int) -> tuple[dict, dict]:
    from evaluator.contract import write_split
    from evaluator.data import open_source
    from evaluator.registry import TASKS

    source = open_source({"source": "synthetic", "seed": 0, "size": per_language})
    manifest = write_split(source, list(TASKS), "test", work / "input", work / "gold")
    rows = {
        (task, lang): source.examples(task, lang, "test")
        for task, entry in manifest["tasks"].items()
        for lang in entry["languages"]
    }
    return manifest, rows


def build_checkpoint(work: Path, rows: dict, shape: dict) -> Path:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from baselines.mbert.encoders import build_tiny_encoder
    from baselines.mbert.model import MultiTaskModel, TaskHead
    from evaluator.registry import TASKS

    texts = (
        " ".join(row.get("tokens") or [row["sentence1"], row["sentence2"]])
        for examples in rows.values()
        for row in examples
    )
    encoder = build_tiny_encoder(texts, work / "encoder")  # the vocabulary; weights replaced
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), max_position_embeddings=512, **shape)
    BertModel(config, add_pooling_layer=False).save_pretrained(encoder)
    heads = {t: TaskHead(spec.kind, list(spec.labels)) for t, spec in TASKS.items()}
    model = MultiTaskModel.create(str(encoder), heads, 128)
    return model.save(work / "checkpoint", tokenizer)


def timed_runs(args, work: Path, checkpoint: Path, manifest: dict, deadline: float) -> dict:
    ProcessRunner, Limits, gpu_window, _, cv = import_runner_parts()
    from evaluator.contract import read_predictions

    gpu = None if args.cpu_smoke else args.gpu
    command = [
        sys.executable,
        "-m",
        "baselines.mbert.predict",
        "--checkpoint",
        str(checkpoint),
        "--precision",
        "fp32" if args.cpu_smoke else "bf16",
    ]
    limits = Limits(
        time_limit_s=300,
        memory_mb=65536,
        cpus=16,
        gpus=0 if gpu is None else 1,
        output_mb=2048,
        output_files=1000,
    )
    runner = ProcessRunner()
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    runs, skipped = [], 0
    for index in range(args.runs + 1):  # run 0 is the discarded warm-up
        if index > 1 and time.monotonic() > deadline:
            skipped = args.runs + 1 - index
            break
        output = work / f"output-{index}"
        with gpu_window(args.gpu) as reading:
            outcome = runner.run(
                command, work / "input", output, limits, trusted=True, gpu=gpu, env=env
            )
        if not outcome.ok:
            fail(f"the baseline's predict failed: {outcome.failure}\n{outcome.logs[-3000:]}")
        if index == 1:
            read_predictions(output, manifest)  # raises with the exact problem if invalid
        if index > 0:
            runs.append({"window_s": round(outcome.duration_s, 4), **reading.summary()})
        print(
            f"  run {index or 'warm-up'}: {outcome.duration_s:.3f} s, energy "
            f"{reading.energy_mj if reading.energy_mj is not None else reading.energy_note or reading.reason}",  # noqa: E501
            flush=True,
        )
    windows = [r["window_s"] for r in runs]
    energies = [r["energy_mj"] for r in runs if r["energy_mj"] is not None]
    spread = cv(windows)
    return {
        "command": " ".join(command[1:]),
        "runs": runs,
        "runs_skipped_for_time": skipped,
        "window_median_s": statistics.median(windows),
        "window_cv_percent": None if spread is None else round(100 * spread, 3),
        "energy_median_j": round(statistics.median(energies) / 1000, 2) if energies else None,
        "energy_cv_percent": round(100 * cv(energies), 3) if len(energies) > 1 else None,
        "throttled_runs": sum(r["throttled"] for r in runs),
    }


def throughput(args, checkpoint: Path, rows: dict, torch) -> list[dict]:
    _, _, gpu_window, _, _ = import_runner_parts()
    from baselines.mbert.inference import predict_examples
    from baselines.mbert.model import MultiTaskModel
    from baselines.mbert.runtime import max_batch_tokens

    device = torch.device("cpu" if args.cpu_smoke else f"cuda:{args.gpu}")
    model, tokenizer = MultiTaskModel.load(checkpoint)
    model.to(device).eval()
    embeddings = sum(p.numel() for p in model.encoder.embeddings.parameters())
    flop_params = sum(p.numel() for p in model.parameters()) - embeddings
    peak = next((v for k, v in BF16_PEAK_FLOPS.items() if k in gpu_name(torch, device)), None)
    results = []
    for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        if args.cpu_smoke and dtype == torch.bfloat16:
            continue
        budget = max_batch_tokens(model.encoder.config, device, dtype, model.config.max_seq_length)
        first = next(iter(rows))
        predict_examples(model, tokenizer, first[0], rows[first][:64], device, dtype, budget)
        padded: list[int] = []
        synchronise(torch, device)
        with gpu_window(None if args.cpu_smoke else args.gpu) as reading:
            start = time.perf_counter()
            for (task, _), examples in rows.items():
                predict_examples(
                    model,
                    tokenizer,
                    task,
                    examples,
                    device,
                    dtype,
                    budget,
                    on_batch=lambda r, w, padded=padded: padded.append(r * w),
                )
            synchronise(torch, device)
            seconds = time.perf_counter() - start
        sentences = sum(len(v) for v in rows.values())
        tokens = sum(padded)
        flops = 2 * flop_params * tokens
        results.append(
            {
                "precision": label,
                "sentences": sentences,
                "seconds": round(seconds, 3),
                "sentences_per_s": round(sentences / seconds, 1),
                "padded_tokens_per_s": round(tokens / seconds),
                "achieved_tflops": round(flops / seconds / 1e12, 3),
                "fraction_of_bf16_dense_peak": round(flops / seconds / peak, 4) if peak else None,
                "batch_tokens": budget,
                "gpu": reading.summary(),
            }
        )
        print(f"  {label}: {sentences / seconds:,.0f} sentences/s", flush=True)
    return results


def timed_split_size(sentences_per_s: float, args) -> int:
    """Sentences per file so that one run infers for about --run-compute-s (95 files in all)."""
    files = 95
    return max(20, min(2000, int(sentences_per_s * args.run_compute_s / files)))


def gpu_name(torch, device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def synchronise(torch, device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def print_table(figures: dict) -> None:
    timed = figures["timed_runs"]
    print(
        f"\n{figures['gpu']}: timed split {figures['sentences']:,} sentences, throughput on "
        f"{figures['throughput_sentences']:,}; model {figures['model']}"
    )
    print(
        f"platform window (ProcessRunner), {len(timed['runs'])} runs after a warm-up: median "
        f"{timed['window_median_s']:.3f} s, CV {timed['window_cv_percent']}%; "
        f"throttled runs: {timed['throttled_runs']}"
    )
    print(f"{'run':>4} {'window s':>9} {'energy J':>9} {'peak MiB':>9} {'SM MHz':>7} throttled")
    for n, run in enumerate(timed["runs"], 1):
        energy = "-" if run["energy_mj"] is None else f"{run['energy_mj'] / 1000:.1f}"
        memory = run["peak_process_memory_mb"] or run["peak_device_memory_mb"]
        clock = run["sm_clock_median_mhz"]
        print(
            f"{n:>4} {run['window_s']:>9.3f} {energy:>9} "
            f"{'-' if memory is None else f'{memory:.0f}':>9} "
            f"{'-' if clock is None else f'{clock:.0f}':>7} {run['throttled']}"
        )
    print(f"{'precision':<10} {'sentences/s':>12} {'TFLOP/s':>9} {'of bf16 peak':>13}")
    for row in figures["throughput"]:
        share = row["fraction_of_bf16_dense_peak"]
        share_text = "-" if share is None else f"{100 * share:.2f}%"
        print(
            f"{row['precision']:<10} {row['sentences_per_s']:>12,.0f} "
            f"{row['achieved_tflops']:>9.2f} {share_text:>13}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, short_help="2 timed runs on a tiny split (with --cpu-smoke: CI)")
    parser.add_argument("--out", dest="json", type=Path, help="the old name of --json")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--per-language",
        type=int,
        default=0,
        help="sentences per task and language in the timed split; 0: sized so "
        "that a run's inference takes about --run-compute-s",
    )
    parser.add_argument("--run-compute-s", type=float, default=15)
    parser.add_argument("--throughput-per-language", type=int, default=100)
    parser.add_argument("--gpu", type=int, default=0)
    parser.add_argument(
        "--budget-s",
        type=float,
        default=360,
        help="start no timed run after this many seconds (the 8-minute goal)",
    )
    parser.add_argument("--cpu-smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.short:
        args.runs, args.per_language = min(args.runs, 2), args.per_language or 2
        args.throughput_per_language = min(args.throughput_per_language, 2)
    started = time.monotonic()
    torch = check_machine(args.cpu_smoke)
    _, _, _, gpu_settings, _ = import_runner_parts()
    shape = {
        **BASE_SHAPE,
        **(
            {
                "num_hidden_layers": 2,
                "hidden_size": 128,
                "num_attention_heads": 2,
                "intermediate_size": 256,
            }
            if args.cpu_smoke
            else {}
        ),
    }
    device = torch.device("cpu" if args.cpu_smoke else f"cuda:{args.gpu}")
    with tempfile.TemporaryDirectory(prefix="podium-bench-gpu-") as tmp:
        work = Path(tmp)
        _, sample = build_split(work / "sample", args.throughput_per_language)
        checkpoint = build_checkpoint(work, sample, shape)
        print(f"checkpoint ready in {time.monotonic() - started:.0f} s", flush=True)
        speed = throughput(args, checkpoint, sample, torch)
        per_language = args.per_language or timed_split_size(speed[-1]["sentences_per_s"], args)
        manifest, rows = build_split(work / "timed", per_language)
        print(
            f"timed split: {per_language} per language, {time.monotonic() - started:.0f} s in",
            flush=True,
        )
        timed = timed_runs(args, work / "timed", checkpoint, manifest, started + args.budget_s)
    figures = {
        "smoke_test_only": args.cpu_smoke,
        "gpu": gpu_name(torch, device),
        "gpu_settings": gpu_settings(None if args.cpu_smoke else args.gpu),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "python": platform.python_version(),
        "model": f"{'tiny' if args.cpu_smoke else 'bert-base'} shape, random weights "
        f"({shape['num_hidden_layers']} layers, hidden {shape['hidden_size']})",
        "sentences": sum(len(v) for v in rows.values()),
        "per_language": per_language,
        "timed_runs": timed,
        "throughput_sentences": sum(len(v) for v in sample.values()),
        "throughput": speed,
        "total_s": round(time.monotonic() - started, 1),
    }
    print_table(figures)
    report = Report.start("gpu", args)
    report.figures.update(figures)
    timed = figures["timed_runs"]
    goal_cv = float(os.environ.get("PODIUM_TIMING_GOAL_CV_PERCENT", "2"))
    if timed["window_cv_percent"] is not None:
        report.goal("platform window CV, same run repeated", timed["window_cv_percent"], "%",
                    below=goal_cv)  # fmt: skip
    report.goal("throttled runs", timed["throttled_runs"], "runs", below=1)
    report.goal("whole benchmark", figures["total_s"], "s", below=480)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
