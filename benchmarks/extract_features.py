"""Benchmark of the extract_features stage against the plain reference loop, on CPU or GPU.

Builds a random-weight Whisper with whisper-tiny's encoder shape in a temporary folder, makes
speech-like demo audio, and times the stage (batched, `speech_encoding.features.extract.extract_story`) and
the reference loop (tests/extraction_reference.py: one window at a time through the Hugging Face
feature extractor and encoder) on the same audio. Prints windows/s, their ratio, the largest
absolute difference of the features, and the stage's achieved GFLOP/s against a measured matmul
peak. Run from the repository root:

    python benchmarks/extract_features.py [--duration 60] [--chunk 1.0] [--context 16.0]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # before tqdm is imported: no progress bars here

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from extraction_reference import load_reference, reference_loop  # noqa: E402
from peak_throughput import matmul_peak, sync  # noqa: E402

from speech_encoding.demo.model import write_demo_model  # noqa: E402
from speech_encoding.demo.speech_audio import speech_like_audio  # noqa: E402
from speech_encoding.features.extract import extract_story  # noqa: E402
from speech_encoding.features.speech_model import load_encoder  # noqa: E402

RATE = 16000
HOP = 160  # Whisper's log-mel hop (10 ms)
LABELS = {"reference": "reference loop (pad30, batch 1)", "stage": "stage (pad30)",
          "reference none": "reference loop (none, batch 1)", "stage none": "stage (none)"}
WHISPER_TINY = {"seed": 0, "num_mel_bins": 80, "d_model": 384, "encoder_layers": 4,
                "attention_heads": 6, "ffn_dim": 1536}


def window_gflop(mel_frames: int, last_only: bool = False, spec: dict = WHISPER_TINY) -> float:
    """FLOPs (2 per multiply-add) of one Whisper encoder pass over `mel_frames` log-mel frames.

    Convolutions, Q/K/V/output projections, attention (Q K^T and A V) and the feed-forward
    layers; elementwise work is not counted. With `last_only` (what the stage computes for
    `last` pooling), the final block computes K and V for every position but the rest for the
    final position only.
    """
    d, ffn, mels = spec["d_model"], spec["ffn_dim"], spec["num_mel_bins"]
    positions = math.ceil(mel_frames / 2)

    def block(queries: int) -> int:
        projections = 2 * 2 * positions * d * d + 2 * 2 * queries * d * d  # K, V; Q, output
        attention = 2 * 2 * queries * positions * d  # Q K^T and A V over all heads
        return projections + attention + 2 * 2 * queries * d * ffn
    convs = 2 * mel_frames * mels * d * 3 + 2 * positions * d * d * 3
    layers = spec["encoder_layers"]
    total = convs + (layers - 1) * block(positions) + block(1 if last_only else positions)
    return total / 1e9


def best_times(runs: dict, rounds: int, device: str) -> tuple[dict, float]:
    """{name: (result, best seconds)} and the best matmul peak: the runs alternate, round after
    round, each round starting with a peak measurement, so that load from other processes on a
    shared machine hits them alike; each run keeps its fastest round, and the peak its highest."""
    best, peak = {}, 0.0
    for index in range(rounds):
        round_peak = matmul_peak(device)
        peak = max(peak, round_peak)
        print(f"round {index + 1}: float32 matmul peak {round_peak:.1f} GFLOP/s", flush=True)
        for name, run in runs.items():
            sync(device)
            start = time.perf_counter()
            result = run()
            sync(device)
            seconds = time.perf_counter() - start
            if name not in best or seconds < best[name][1]:
                best[name] = (result, seconds)
    return best, peak


def max_difference(features: list[np.ndarray], expected: list[np.ndarray]) -> float:
    """Largest absolute difference over every layer."""
    return max(float(np.abs(f - e).max()) for f, e in zip(features, expected))


def stage_run(model_dir, audio, args, padding, dtype="float32"):
    """The stage on `audio`, as a callable (model loaded and warmed up)."""
    encoder = load_encoder(model_dir, args.device, dtype)
    options = (RATE, encoder, args.chunk, args.context, args.pool, args.batch_size)
    extract_story(audio[:round((args.context + args.chunk) * RATE)], *options, "warm-up", padding,
                  args.threads)
    return lambda: extract_story(audio, *options, "benchmark", padding, args.threads)


def reference_run(model_dir, audio, args, padding):
    """The reference loop on `audio`, as a callable (model loaded and warmed up)."""
    extractor, encoder, is_whisper = load_reference(model_dir)
    encoder.to(args.device)
    options = (RATE, args.chunk, args.context, args.pool, padding, args.device)
    reference_loop(extractor, encoder, is_whisper, audio[:round(args.context * RATE)], *options)
    return lambda: reference_loop(extractor, encoder, is_whisper, audio, *options)


def report(label: str, windows: int, seconds: float, gflop: float | None = None,
           peak: float | None = None) -> float:
    """Print one timing line (windows/s, GFLOP/s, % of peak) and return windows/s."""
    rate = windows / seconds
    line = f"{label:<34} {windows} windows in {seconds:7.2f} s = {rate:7.2f} windows/s"
    if gflop is not None:
        achieved = gflop * windows / seconds
        line += f", {achieved:6.1f} GFLOP/s ({100 * achieved / peak:4.1f}% of peak)"
    print(line, flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of audio")
    parser.add_argument("--chunk", type=float, default=1.0, help="chunk_size, seconds")
    parser.add_argument("--context", type=float, default=16.0, help="context_size, seconds")
    parser.add_argument("--pool", default="last", choices=["last", "mean"])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is kept")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"],
                        help="compute dtype of an extra stage run (GPU: float16/bfloat16)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, device {args.device}; "
          f"{args.duration} s of audio, context {args.context} s, chunk {args.chunk} s, "
          f"pool {args.pool}, batch size {args.batch_size}, best of {args.rounds} alternating rounds",
          flush=True)
    audio = speech_like_audio(args.duration, RATE, np.random.default_rng(0)).astype(np.float32)
    with tempfile.TemporaryDirectory() as model_dir:
        write_demo_model(WHISPER_TINY, model_dir)
        pad30_frames, own_frames = 30 * RATE // HOP, round(args.context * RATE) // HOP
        print(f"model: random Whisper, whisper-tiny encoder shape {WHISPER_TINY}; GFLOP per window "
              f"(full pass / final position only in the last block): padded to 30 s "
              f"{window_gflop(pad30_frames):.2f} / {window_gflop(pad30_frames, True):.2f}, "
              f"unpadded {window_gflop(own_frames):.2f} / {window_gflop(own_frames, True):.2f}")

        runs = {"reference": reference_run(model_dir, audio, args, "pad30"),
                "stage": stage_run(model_dir, audio, args, "pad30"),
                "reference none": reference_run(model_dir, audio, args, "none"),
                "stage none": stage_run(model_dir, audio, args, "none")}
        if args.dtype != "float32":
            runs[args.dtype] = stage_run(model_dir, audio, args, "pad30", args.dtype)
        best, peak = best_times(runs, args.rounds, args.device)
    work = {name: window_gflop(frames, args.pool == "last" and not name.startswith("reference"))
            for name, frames in (("reference", pad30_frames), ("stage", pad30_frames),
                                 ("reference none", own_frames), ("stage none", own_frames),
                                 (args.dtype, pad30_frames))}
    after = matmul_peak(args.device)
    print(f"float32 matmul peak after the runs: {after:.1f} GFLOP/s; the highest peak measured "
          f"({max(peak, after):.1f}) is used below", flush=True)
    summarize(best, work, max(peak, after), args.dtype)


def summarize(best: dict, work: dict, peak: float, dtype: str) -> None:
    """One line per run (GFLOP/s from the FLOPs that run performs), then the ratios and
    differences the targets are about."""
    n = len(best["reference"][0][1])
    rates = {name: report(LABELS.get(name, f"stage (pad30, {name})"), n, seconds, work[name], peak)
             for name, (_, seconds) in best.items()}
    features = {name: result[0] for name, (result, _) in best.items()}
    print(f"  pad30: stage / reference = {rates['stage'] / rates['reference']:.2f}x "
          f"(target >= 1.0), {100 * work['stage'] * rates['stage'] / peak:.1f}% of matmul peak "
          f"(target >= 60%), max |stage - reference| = "
          f"{max_difference(features['stage'], features['reference']):.2e}")
    print(f"  none: stage / pad30 reference loop = {rates['stage none'] / rates['reference']:.2f}x "
          f"(target >= 1.8), stage / none reference loop = "
          f"{rates['stage none'] / rates['reference none']:.2f}x, max |stage - none reference| = "
          f"{max_difference(features['stage none'], features['reference none']):.2e}")
    if dtype in best:
        print(f"  {dtype}: stage / reference = {rates[dtype] / rates['reference']:.2f}x, "
              f"max |stage - float32 reference| = "
              f"{max_difference(features[dtype], features['reference']):.2e}")

if __name__ == "__main__":
    main()
