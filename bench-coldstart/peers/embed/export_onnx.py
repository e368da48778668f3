"""Exports all-MiniLM-L6-v2's BERT encoder to ONNX from the local model folder, offline.

usage: export_onnx.py MODEL_DIR OUT.onnx       (run with the torch venv's python)

torch.onnx.export (the TorchScript exporter; `dynamo=False`) of transformers' BertModel
loaded from MODEL_DIR with HF_HUB_OFFLINE=1. Inputs input_ids, attention_mask,
token_type_ids (int64, batch x sequence, both dynamic); output last_hidden_state (batch x
sequence x 384). Pooling and normalisation stay in the handler, as sentence-transformers
does them outside the encoder. The export is then checked against PyTorch on a batch of
sentences of different lengths (max abs difference printed; above 1e-4 is an error).
"""

import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"

import torch  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402


class Encoder(torch.nn.Module):
    """BertModel called by keyword (its positional order changes between transformers
    releases), returning only last_hidden_state."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).last_hidden_state


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    model_dir, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    model = Encoder(AutoModel.from_pretrained(model_dir, attn_implementation="eager"))
    model.eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    batch = tok(["a short one", "a somewhat longer sentence, so that padding is exercised here"],
                padding=True, return_tensors="pt")
    args = (batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad():
        torch.onnx.export(
            model, args, out, input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]},
            opset_version=17, dynamo=False,
        )
        want = model(*args).numpy()
    try:
        import onnxruntime as ort
    except ImportError:
        print(f"export_onnx: wrote {out} ({os.path.getsize(out):,} bytes); onnxruntime not in this "
              "venv, checked by the comparison instead", file=sys.stderr)
        return
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    got = sess.run(["last_hidden_state"], {n: a.numpy() for n, a in zip(names, args)})[0]
    diff = float(abs(got - want).max())
    print(f"export_onnx: wrote {out} ({os.path.getsize(out):,} bytes); max |ORT - torch| = {diff:.2e}",
          file=sys.stderr)
    if diff > 1e-4:
        sys.exit(f"export_onnx: the export differs from PyTorch by {diff}")


if __name__ == "__main__":
    main()
