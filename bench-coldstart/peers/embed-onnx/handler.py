# all-MiniLM-L6-v2 on ONNX Runtime (CPU), as an awslambdaric handler: the model exported from
# the same weights by bench-coldstart/peers/embed/export_onnx.py, the HF `tokenizers`
# package on the model's tokenizer.json, mean pooling and L2 normalisation in NumPy as
# sentence-transformers does them. Loaded at import (Lambda's INIT) from the package folder.
# Request {"inputs": ["sentence", ...]} -> {"model", "dims", "embeddings"} (rayo's shape).
import os

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ROOT = os.environ["LAMBDA_TASK_ROOT"]
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model

options = ort.SessionOptions()
# One thread of compute, as every row of the comparison.
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
SESSION = ort.InferenceSession(os.path.join(ROOT, "model.onnx"), options,
                               providers=["CPUExecutionProvider"])
TOKENIZER = Tokenizer.from_file(os.path.join(ROOT, "tokenizer.json"))
TOKENIZER.enable_truncation(MAX_TOKENS)
TOKENIZER.enable_padding()  # to the longest in the batch (the file's own is a fixed 128)


def handler(event, context):
    encodings = TOKENIZER.encode_batch(event["inputs"])
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    types = np.array([e.type_ids for e in encodings], dtype=np.int64)
    hidden = SESSION.run(["last_hidden_state"],
                         {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return {"model": "all-MiniLM-L6-v2", "dims": int(pooled.shape[1]), "embeddings": pooled.tolist()}
