# all-MiniLM-L6-v2 on sentence-transformers + PyTorch (CPU), as an awslambdaric handler: the
# Python peer of rayo's embedding function (bench-coldstart/embed-peers.sh). Everything is
# loaded at import (Lambda's INIT), from the package's own model folder, offline.
# Request {"inputs": ["sentence", ...]} -> {"model", "dims", "embeddings"} (rayo's shape).
import os

os.environ["HF_HUB_OFFLINE"] = "1"  # the benchmark sets it too: never reach for the Hub

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

# One thread of compute, as every row of the comparison (OMP_NUM_THREADS=1 is set as well).
torch.set_num_threads(1)
MODEL = SentenceTransformer(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "model"), device="cpu")


def handler(event, context):
    inputs = event["inputs"]
    # One batch for the whole request (encode's default batch is 32 sentences).
    vectors = MODEL.encode(inputs, batch_size=max(1, len(inputs)), normalize_embeddings=True,
                           convert_to_numpy=True)
    return {"model": "all-MiniLM-L6-v2", "dims": int(vectors.shape[1]), "embeddings": vectors.tolist()}
