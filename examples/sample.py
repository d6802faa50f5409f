"""Generate text from a checkpoint written by ``examples/train_gpt.py``.

    python examples/sample.py --out-dir out --prompt "ROMEO:" --max-new-tokens 300
"""

from __future__ import annotations

import argparse
import sys

import common
from common import CHECKPOINT_NAME, ExampleError

import tinytorch
from tinytorch.data import CharTokenizer
from tinytorch.models.gpt import GPT, GPTConfig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Sample text from a train_gpt.py checkpoint.")
    p.add_argument("--out-dir", default=None, metavar="DIR",
                   help=f"directory holding {CHECKPOINT_NAME} (default: 'out')")
    p.add_argument("--prompt", default="\n", metavar="TEXT",
                   help="text to continue (default: a newline)")
    p.add_argument("--max-new-tokens", type=int, default=500,
                   help="characters to generate per sample (default: 500)")
    p.add_argument("--num-samples", type=int, default=1, help="how many samples (default: 1)")
    p.add_argument("--temperature", type=float, default=0.8,
                   help="below 1 sharper, above 1 more random (default: 0.8)")
    p.add_argument("--top-k", type=int, default=200,
                   help="sample among the k most likely characters only; 0 for all "
                        "(default: 200)")
    p.add_argument("--top-p", type=float, default=None,
                   help="nucleus sampling: keep the smallest set of characters with this much "
                        "probability (default: off)")
    p.add_argument("--seed", type=int, default=1337, help="random seed (default: 1337)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="where to run (default: 'cpu')")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="BLAS threads for the matrix products (default: the library's)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.max_new_tokens < 0 or args.num_samples < 1:
        raise ExampleError("--max-new-tokens must be >= 0 and --num-samples >= 1")
    common.check_number("--temperature", args.temperature, 0.0, low_open=True)
    if args.top_k < 0:
        raise ExampleError(f"--top-k must be >= 0, got {args.top_k}")
    if args.top_p is not None and not 0.0 < args.top_p <= 1.0:
        raise ExampleError(f"--top-p must be in (0, 1], got {args.top_p}")
    if args.device == "cuda" and not tinytorch.cuda.is_available():
        raise ExampleError("--device cuda: CuPy with a GPU is not available")
    if not args.prompt:
        raise ExampleError("--prompt is empty: give at least one character")

    if args.seed < 0:
        raise ExampleError(f"--seed must be at least 0, got {args.seed}")
    if args.top_p is not None:
        common.check_number("--top-p", args.top_p, 0.0, 1.0, low_open=True)
    common.set_threads(args.threads)
    ckpt = common.load_checkpoint(common.check_out_dir(args.out_dir, "out") / CHECKPOINT_NAME)
    try:
        tokenizer = CharTokenizer.from_state_dict(ckpt["tokenizer"])
        model = GPT(GPTConfig(**ckpt["config"]))
        model.to(dtype=getattr(tinytorch, ckpt.get("settings", {}).get("dtype", "float32")))
        model.load_state_dict(ckpt["model"])
    except (TypeError, ValueError, RuntimeError, KeyError) as e:
        raise ExampleError(f"the checkpoint does not describe a GPT: {common.first_line(e)}") \
            from None
    model.to(args.device)
    model.eval()
    try:
        ids = tokenizer.encode(args.prompt)
    except ValueError as e:
        raise ExampleError(f"--prompt: {e}") from None

    tinytorch.manual_seed(args.seed)
    idx = tinytorch.tensor([ids], dtype=tinytorch.int64, device=args.device)
    for i in range(args.num_samples):
        out = model.generate(idx, args.max_new_tokens, temperature=args.temperature,
                             top_k=min(args.top_k, tokenizer.vocab_size) or None, top_p=args.top_p)
        if i:
            print("-" * 40)
        print(tokenizer.decode(out[0].tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(common.run_main(main))
