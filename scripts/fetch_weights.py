#!/usr/bin/env python
"""Fetch CLIP weights into weights/ (run on a machine with internet access, then copy the file).

    python scripts/fetch_weights.py [clip | clip:ARCH/TAG ...]

Each checkpoint is written as weights/ARCH-TAG.safetensors (converted from a pickle-based
checkpoint if that is all the hub offers), the file name the verifier looks for first.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

from index.cli import run
from vision.weights import WeightsNotFound, parse_clip_spec, resolve_checkpoint, weights_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=["clip"], help="clip (ViT-B-32/laion2b_s34b_b79k) or clip:ARCH/TAG")
    args = parser.parse_args()
    for name in args.models:
        spec = parse_clip_spec(name)
        if spec.is_path:
            print(f"error: {name}: give a tag to download, not a file path", file=sys.stderr)
            return 2
        target = weights_dir() / spec.file_name
        if target.is_file():
            print(f"{spec.name}: already in place: {target}")
            continue
        try:
            source = resolve_checkpoint(spec, allow_download=True)
        except WeightsNotFound:
            print(f"error: could not download {spec.name}: this machine cannot reach the model hub. "
                  f"Run this command on a machine with internet access, then copy {spec.file_name} "
                  f"into {weights_dir()} here.", file=sys.stderr)
            return 2
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        if source.suffix == ".safetensors":
            shutil.copyfile(source, tmp)
        else:
            _convert_to_safetensors(source, tmp)
        os.replace(tmp, target)
        print(f"{spec.name}: wrote {target} ({target.stat().st_size / 1e6:.0f} MB); copy it to the same place on the offline machine")
    return 0


def _convert_to_safetensors(source: Path, target: Path) -> None:
    from open_clip.factory import load_state_dict
    from safetensors.torch import save_file

    state = load_state_dict(str(source), weights_only=True)
    save_file({key: value.contiguous().clone() for key, value in state.items()}, str(target))


if __name__ == "__main__":
    run(main)
