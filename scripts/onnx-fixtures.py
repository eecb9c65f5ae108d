#!/usr/bin/python3
"""Exports the ONNX fixtures of semic's importer tests, with PyTorch's own forward values and
gradients as the reference (autograd, float64 reference computed in float32 models).

Run from the repository root with torch 1.13 and onnx 1.12:

    /usr/bin/python3 scripts/onnx-fixtures.py

It writes tests/fixtures/onnx/<name>.onnx, <name>.inputs.json (for `semic run --inputs`) and
<name>.expected.json (PyTorch's values) for
  mlp   a 3 -> 4 -> 2 MLP (tanh), small enough for brute-force path enumeration;
  chains  hand-written softmax, LayerNorm and GELU (erf and tanh) chains, for --fuse;
  bert  a 2-layer BERT-style encoder with Hugging Face module names, opset 14 (LayerNorm, GELU as
        elementary chains) and opset 17 (LayerNormalization);
  gpt2  a 2-layer GPT-2-style causal decoder (Conv1D layout, tanh GELU, causal mask by Where).
The scalar whose gradients are recorded is one element of the model's output ("pick").
Models are written in plain torch (no transformers) with the module names Hugging Face uses.
"""

import json
import math
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


class Chains(nn.Module):
    """The elementary spellings of softmax, LayerNorm and both GELUs that model code (and older
    Hugging Face code) writes by hand, for the --fuse rules."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 6)
        self.out = nn.Linear(6, 3)
        self.weight = nn.Parameter(1 + 0.1 * torch.randn(6))
        self.bias = nn.Parameter(0.1 * torch.randn(6))

    def forward(self, x):
        h = self.inp(x)
        e = torch.exp(h - h.max(dim=-1, keepdim=True).values)
        h = h + e / e.sum(dim=-1, keepdim=True)
        u = h.mean(-1, keepdim=True)
        s = (h - u).pow(2).mean(-1, keepdim=True)
        h = self.weight * ((h - u) / torch.sqrt(s + 1e-6)) + self.bias
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        return self.out(h)


# ---- BERT-style encoder, Hugging Face module names


class BertSelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.num_attention_heads = heads
        self.attention_head_size = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def split(self, x):
        new_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        return x.view(new_shape).permute(0, 2, 1, 3)

    def forward(self, h):
        q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        probs = nn.functional.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.num_attention_heads * self.attention_head_size,))


class BertSelfOutput(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, h, x):
        return self.LayerNorm(self.dense(h) + x)


class BertAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.self = BertSelfAttention(hidden, heads)
        self.output = BertSelfOutput(hidden)

    def forward(self, x):
        return self.output(self.self(x), x)


class BertIntermediate(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.dense = nn.Linear(hidden, inter)

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.dense = nn.Linear(inter, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, h, x):
        return self.LayerNorm(self.dense(h) + x)


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.attention = BertAttention(hidden, heads)
        self.intermediate = BertIntermediate(hidden, inter)
        self.output = BertOutput(hidden, inter)

    def forward(self, x):
        a = self.attention(x)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, layers, hidden, heads, inter):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(hidden, heads, inter) for _ in range(layers)])

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return x


class BertEmbeddings(nn.Module):
    def __init__(self, vocab, hidden, max_pos):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(max_pos, hidden)
        self.token_type_embeddings = nn.Embedding(2, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.register_buffer("position_ids", torch.arange(max_pos).expand((1, -1)))
        self.register_buffer("token_type_ids", torch.zeros((1, max_pos), dtype=torch.long))

    def forward(self, input_ids):
        seq = input_ids.size(1)
        pos = self.position_ids[:, :seq]
        types = self.token_type_ids[:, :seq]
        words = self.word_embeddings(input_ids)
        self.words = words
        e = words + self.token_type_embeddings(types) + self.position_embeddings(pos)
        return self.LayerNorm(e)


class BertModel(nn.Module):
    def __init__(self, vocab=24, hidden=8, heads=2, inter=16, layers=2, max_pos=16):
        super().__init__()
        self.embeddings = BertEmbeddings(vocab, hidden, max_pos)
        self.encoder = BertEncoder(layers, hidden, heads, inter)


class BertForSequenceClassification(nn.Module):
    def __init__(self, labels=3):
        super().__init__()
        self.bert = BertModel()
        self.classifier = nn.Linear(8, labels)

    def forward(self, input_ids):
        h = self.bert.encoder(self.bert.embeddings(input_ids))
        return nn.functional.log_softmax(self.classifier(h[:, 0]), dim=-1)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        return self.LayerNorm(nn.functional.gelu(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, hidden, vocab):
        super().__init__()
        self.transform = BertPredictionHeadTransform(hidden)
        self.bias = nn.Parameter(torch.zeros(vocab))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, hidden, vocab):
        super().__init__()
        self.predictions = BertLMPredictionHead(hidden, vocab)


class BertForMaskedLM(nn.Module):
    """Hugging Face's BertForMaskedLM in plain torch (decoder tied to the word embeddings)."""

    def __init__(self, vocab):
        super().__init__()
        self.bert = BertModel(vocab=vocab)
        self.cls = BertOnlyMLMHead(8, vocab)

    def forward(self, input_ids):
        h = self.bert.encoder(self.bert.embeddings(input_ids))
        t = self.cls.predictions.transform(h)
        return t @ self.bert.embeddings.word_embeddings.weight.T + self.cls.predictions.bias


class BertPooler(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)


class BertWithPooler(BertModel):
    def __init__(self, vocab):
        super().__init__(vocab=vocab)
        self.pooler = BertPooler(8)


class HfBertForSequenceClassification(nn.Module):
    """Hugging Face's BertForSequenceClassification in plain torch: pooler (tanh) on [CLS], classifier."""

    def __init__(self, vocab, labels):
        super().__init__()
        self.bert = BertWithPooler(vocab)
        self.classifier = nn.Linear(8, labels)

    def forward(self, input_ids):
        h = self.bert.encoder(self.bert.embeddings(input_ids))
        return self.classifier(torch.tanh(self.bert.pooler.dense(h[:, 0])))


HF_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "keys", "to", "are", "is", "on", "table", "key", "##s", "cab", "##inet", ",", "."]


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header, raw little-endian f32 data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(blobs))


def export_hf_classifier():
    """A BertForSequenceClassification directory (id2label negative/neutral/positive) and torch's
    logit difference positive − negative for one sentence."""
    out = os.path.join(OUT, "hf-bert-cls")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(4)
    model = perturb_norms(HfBertForSequenceClassification(len(HF_VOCAB), 3)).eval()
    config = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": len(HF_VOCAB), "hidden_size": 8,
        "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16, "hidden_act": "gelu",
        "max_position_embeddings": 16, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
        "id2label": {"0": "negative", "1": "neutral", "2": "positive"},
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(HF_VOCAB) + "\n")
    write_safetensors(os.path.join(out, "model.safetensors"), {k: v for k, v in model.state_dict().items() if not k.endswith("_ids")})
    words = ["[CLS]", "the", "keys", "are", "on", "the", "table", "[SEP]"]
    logits = model(torch.tensor([[HF_VOCAB.index(w) for w in words]]))
    expected = {"text": "the keys are on the table", "compare": ["positive", "negative"], "value": (logits[0, 2] - logits[0, 0]).item()}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")
    print(f"wrote {out}")


def export_hf_checkpoint():
    """A BertForMaskedLM checkpoint directory in Hugging Face's layout (config.json, vocab.txt,
    model.safetensors), with torch's logit difference are − is at [MASK] and its gradient with
    respect to the embeddings' output (after their LayerNorm)."""
    out = os.path.join(OUT, "hf-bert")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(3)
    model = perturb_norms(BertForMaskedLM(len(HF_VOCAB))).eval()
    config = {
        "architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": len(HF_VOCAB), "hidden_size": 8,
        "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16, "hidden_act": "gelu",
        "max_position_embeddings": 16, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "position_embedding_type": "absolute",
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(HF_VOCAB) + "\n")
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("_ids")}
    write_safetensors(os.path.join(out, "model.safetensors"), state)
    # "the keys to the cabinet [MASK] on the table" in this vocabulary (lower case, WordPiece).
    words = ["[CLS]", "the", "keys", "to", "the", "cab", "##inet", "[MASK]", "on", "the", "table", "[SEP]"]
    ids = torch.tensor([[HF_VOCAB.index(w) for w in words]])
    emb = model.bert.embeddings
    outputs = []

    def keep(_module, _inputs, out):
        out.retain_grad()
        outputs.append(out)

    emb.register_forward_hook(keep)
    logits = model(ids)
    mask = words.index("[MASK]")
    diff = logits[0, mask, HF_VOCAB.index("are")] - logits[0, mask, HF_VOCAB.index("is")]
    diff.backward()
    expected = {"text": "the keys to the cabinet [MASK] on the table", "compare": ["are", "is"], "ids": ids[0].tolist(), "value": diff.item(),
                "embeddingsGrad": nested(outputs[0].grad[0])}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out}")


# ---- GPT-2-style causal decoder, Hugging Face module names


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight [in, out], y = x W + b."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.3)
        self.bias = nn.Parameter(torch.randn(nf) * 0.1)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.weight.size(-1),)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class GPT2Attention(nn.Module):
    def __init__(self, hidden, heads, max_pos):
        super().__init__()
        self.num_heads, self.head_dim = heads, hidden // heads
        self.register_buffer("bias", torch.tril(torch.ones((max_pos, max_pos), dtype=torch.bool)).view(1, 1, max_pos, max_pos))
        self.c_attn = Conv1D(3 * hidden, hidden)
        self.c_proj = Conv1D(hidden, hidden)

    def heads(self, x):
        return x.view(x.size()[:-1] + (self.num_heads, self.head_dim)).permute(0, 2, 1, 3)

    def forward(self, x):
        hidden = x.size(-1)
        q, k, v = self.c_attn(x).split(hidden, dim=2)
        q, k, v = self.heads(q), self.heads(k), self.heads(v)
        w = torch.matmul(q, k.transpose(-1, -2)) / (float(v.size(-1)) ** 0.5)
        qlen, klen = q.size(-2), k.size(-2)
        causal = self.bias[:, :, klen - qlen : klen, :klen]
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        w = nn.functional.softmax(w, dim=-1)
        a = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        return self.c_proj(a.view(a.size()[:-2] + (self.num_heads * self.head_dim,)))


class GPT2MLP(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.c_fc = Conv1D(inter, hidden)
        self.c_proj = Conv1D(hidden, inter)

    def forward(self, x):
        return self.c_proj(nn.functional.gelu(self.c_fc(x), approximate="tanh"))


class GPT2Block(nn.Module):
    def __init__(self, hidden, heads, inter, max_pos):
        super().__init__()
        self.ln_1 = nn.LayerNorm(hidden)
        self.attn = GPT2Attention(hidden, heads, max_pos)
        self.ln_2 = nn.LayerNorm(hidden)
        self.mlp = GPT2MLP(hidden, inter)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, vocab=24, hidden=8, heads=2, inter=16, layers=2, max_pos=16):
        super().__init__()
        self.wte = nn.Embedding(vocab, hidden)
        self.wpe = nn.Embedding(max_pos, hidden)
        self.h = nn.ModuleList([GPT2Block(hidden, heads, inter, max_pos) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(hidden)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, vocab=24):
        super().__init__()
        self.transformer = GPT2Model(vocab)
        self.lm_head = nn.Linear(8, vocab, bias=False)

    def forward(self, input_ids):
        t = self.transformer
        pos = torch.arange(0, input_ids.size(-1), dtype=torch.long).unsqueeze(0)
        words = t.wte(input_ids)
        self.words = words
        x = words + t.wpe(pos)
        for block in t.h:
            x = block(x)
        return self.lm_head(t.ln_f(x))


# ---- export


def nested(t):
    return t.detach().double().tolist()


def perturb_norms(model):
    """Distinct LayerNorm weights, so that the exporter does not merge equal initializers."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.add_(torch.randn_like(m.weight) * 0.1)
                m.bias.add_(torch.randn_like(m.bias) * 0.1)
    return model


def export(name, model, inputs, pick, opset, words=None, **kw):
    """Writes <name>.onnx and <name>.expected.json: forward output, the picked scalar and its
    gradients with respect to every float input, every parameter and (for id models) the word
    embeddings' output."""
    model.eval()
    path = os.path.join(OUT, f"{name}.onnx")
    names = list(inputs.keys())
    torch.onnx.export(model, tuple(inputs.values()), path, input_names=names, output_names=["output"], opset_version=opset, **kw)
    model.zero_grad()
    feeds = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    y = model(*feeds.values())
    if words:
        words(model).retain_grad()
    s = y[tuple(pick)]
    s.backward()
    grads = {k: nested(v.grad) for k, v in feeds.items() if v.is_floating_point()}
    params = {k: nested(p.grad) for k, p in model.named_parameters()}
    expected = {
        "opset": opset,
        "inputs": {k: v.tolist() for k, v in inputs.items()},
        "output": nested(y),
        "pick": pick,
        "value": s.item(),
        "grads": grads,
        "paramGrads": params,
    }
    if words:
        expected["wordsGrad"] = nested(words(model).grad)
    with open(os.path.join(OUT, f"{name}.inputs.json"), "w") as f:
        json.dump(expected["inputs"], f)
        f.write("\n")
    with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
        json.dump(expected, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export("mlp", Mlp(), {"x": torch.tensor([[0.5, -1.0, 2.0]])}, [0, 1], 14)
    export("chains", Chains(), {"x": torch.tensor([[0.3, -1.2, 0.8, 2.0], [1.0, 0.1, -0.4, 0.2]])}, [1, 2], 14)
    ids = torch.tensor([[1, 7, 3, 19, 5, 2]])
    torch.manual_seed(1)
    bert = perturb_norms(BertForSequenceClassification())
    export("bert.opset14", bert, {"input_ids": ids}, [0, 1], 14, words=lambda m: m.bert.embeddings.words, do_constant_folding=False)
    export("bert.opset17", bert, {"input_ids": ids}, [0, 1], 17, words=lambda m: m.bert.embeddings.words)
    torch.manual_seed(2)
    export("gpt2", perturb_norms(GPT2LMHeadModel()), {"input_ids": ids}, [0, 5, 4], 14, words=lambda m: m.words)
    export_hf_checkpoint()
    export_hf_classifier()


if __name__ == "__main__":
    main()
