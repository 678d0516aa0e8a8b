#!/usr/bin/env python3
"""Download a Hugging Face model into $HF_HOME at image build time (so pods start without the network).

The token comes from the BuildKit/buildah secret mounted at /run/secrets/hf_token for this RUN only; it is
passed to huggingface_hub in memory and never written to the image (no `huggingface-cli login`, no env layer).
"""
import os
import sys

from huggingface_hub import snapshot_download


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: download_model.py MODEL_ID", file=sys.stderr)
        return 2
    model_id = sys.argv[1]
    token = None
    secret = "/run/secrets/hf_token"
    if os.path.exists(secret):
        with open(secret, encoding="utf-8") as f:
            token = f.read().strip() or None
    path = snapshot_download(
        repo_id=model_id,
        token=token,
        # Weights, config and tokenizer only: no original .pth/.bin duplicates of the safetensors.
        allow_patterns=["*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt"],
    )
    print(f"downloaded {model_id} to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
