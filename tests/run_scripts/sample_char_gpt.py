"""Samples from train_char_gpt.py's checkpoint, the way nanoGPT's sample.py does (our code)."""
import os
import pickle
import runpy
import sys

import torch
from torch.nn import functional as F

out_dir = sys.argv[1]
start = "\n"
torch.manual_seed(1337)
checkpoint = torch.load(os.path.join(out_dir, "ckpt.pt"), map_location="cpu")
config = checkpoint["config"]
# the model classes live in the training script's module; take them without training
sys.argv = ["train_char_gpt.py", "--max_iters=-1", f"--data_dir={config['data_dir']}",
            f"--out_dir={out_dir}-unused"]
trainer = runpy.run_path(os.path.join(os.path.dirname(__file__), "train_char_gpt.py"))
model = trainer["GPT"](**checkpoint["model_args"])
state_dict = checkpoint["model"]
unwanted_prefix = "_orig_mod."
for k in list(state_dict.keys()):
    if k.startswith(unwanted_prefix):
        state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
model.load_state_dict(state_dict)
model.eval()
with open(os.path.join(config["data_dir"], "meta.pkl"), "rb") as f:
    meta = pickle.load(f)
stoi, itos = meta["stoi"], meta["itos"]
x = torch.tensor([stoi[c] for c in start], dtype=torch.long, device="cpu")[None, ...]
with torch.no_grad():
    for _ in range(40):
        idx_cond = x[:, -config["block_size"]:]
        logits, _ = model(idx_cond)
        logits = logits[:, -1, :] / 0.8
        v, _ = torch.topk(logits, min(5, logits.size(-1)))
        logits[logits < v[:, [-1]]] = -float("Inf")
        probs = F.softmax(logits, dim=-1)
        idx_next = torch.multinomial(probs, num_samples=1)
        x = torch.cat((x, idx_next), dim=1)
print("SAMPLE:" + "".join(itos[i] for i in x[0].tolist()))
