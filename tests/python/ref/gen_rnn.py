"""Writes rnn_ref.json: torch 1.13 reference outputs and gradients for tests/python/test_rnn.py.

    /work/torchref/bin/python tests/python/ref/gen_rnn.py     (writes tests/python/ref/rnn_ref.json)

Every case is float64 with a fixed seed and stores the module's state dict, the inputs, the
outputs and the gradients of a scalar loss (written out below, the test computes the same)
with respect to the inputs that require grad and every parameter.
"""
import json
import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)


def t2j(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": t.flatten().int().tolist()}
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": t.flatten().tolist()}
    # 12 significant digits: the test compares at 1e-9.
    return {"shape": list(t.shape), "dtype": "float64", "data": [float(f"{v:.12g}") for v in t.flatten().tolist()]}


def loss_of(tensors):
    # The test's loss: sum over outputs k of sum(out_k ** 2) * (k + 1) / 2 + sum(out_k).
    return sum(((o ** 2).sum() * (k + 1) / 2 + o.sum()) for k, o in enumerate(tensors))


def record(module, inputs, outputs, grad_inputs):
    loss = loss_of(outputs)
    params = dict(module.named_parameters())
    grads = torch.autograd.grad(loss, list(grad_inputs.values()) + list(params.values()), allow_unused=True)
    names = [f"input:{k}" for k in grad_inputs] + list(params)
    return {
        "state_dict": {k: t2j(v) for k, v in module.state_dict().items()},
        "inputs": {k: t2j(v) for k, v in inputs.items()},
        "outputs": [t2j(o) for o in outputs],
        "grads": {n: t2j(g) for n, g in zip(names, grads) if g is not None},
    }


def x(*shape):
    return torch.randn(*shape).requires_grad_()


def main():
    cases = {}
    torch.manual_seed(0)

    # LSTM with proj_size, 2 layers, given (h0, c0).
    m = torch.nn.LSTM(3, 5, num_layers=2, proj_size=2)
    inp, h0, c0 = x(4, 2, 3), x(2, 2, 2), x(2, 2, 5)
    out, (h, c) = m(inp, (h0, c0))
    cases["lstm_proj"] = record(m, {"input": inp, "h0": h0, "c0": c0}, [out, h, c],
                                {"input": inp, "h0": h0, "c0": c0})
    cases["lstm_proj"]["config"] = dict(input_size=3, hidden_size=5, num_layers=2, proj_size=2)

    # Bidirectional 2-layer GRU with batch_first, no h0.
    m = torch.nn.GRU(4, 3, num_layers=2, bidirectional=True, batch_first=True)
    inp = x(2, 5, 4)
    out, h = m(inp)
    cases["gru_bi_batch_first"] = record(m, {"input": inp}, [out, h], {"input": inp})
    cases["gru_bi_batch_first"]["config"] = dict(input_size=4, hidden_size=3, num_layers=2, bidirectional=True,
                                                 batch_first=True)

    # Bidirectional LSTM with proj over a packed batch of unsorted lengths, batch_first, h0/c0 given.
    m = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, proj_size=2)
    inp, h0, c0 = x(4, 6, 3), x(4, 4, 2), x(4, 4, 4)
    lengths = [3, 6, 1, 4]
    packed = pack_padded_sequence(inp, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out_p, (h, c) = m(packed, (h0, c0))
    out, out_len = pad_packed_sequence(out_p, batch_first=True, padding_value=-1.0, total_length=7)
    cases["lstm_packed_unsorted"] = record(m, {"input": inp, "h0": h0, "c0": c0}, [out, h, c],
                                           {"input": inp, "h0": h0, "c0": c0})
    cases["lstm_packed_unsorted"]["config"] = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True,
                                                   batch_first=True, proj_size=2)
    cases["lstm_packed_unsorted"]["lengths"] = lengths
    cases["lstm_packed_unsorted"]["packed_data"] = t2j(out_p.data)
    cases["lstm_packed_unsorted"]["batch_sizes"] = out_p.batch_sizes.tolist()

    # ReLU RNN over a packed, sorted batch (time first).
    m = torch.nn.RNN(2, 3, num_layers=2, nonlinearity="relu")
    inp = x(5, 3, 2)
    lengths = [5, 3, 2]
    out_p, h = m(pack_padded_sequence(inp, lengths))
    out, _ = pad_packed_sequence(out_p)
    cases["rnn_relu_packed_sorted"] = record(m, {"input": inp}, [out, h], {"input": inp})
    cases["rnn_relu_packed_sorted"]["config"] = dict(input_size=2, hidden_size=3, num_layers=2, nonlinearity="relu")
    cases["rnn_relu_packed_sorted"]["lengths"] = lengths

    # The cells, one step each (the LSTMCell unbatched).
    m = torch.nn.LSTMCell(3, 4)
    inp, h0, c0 = x(3), x(4), x(4)
    h, c = m(inp, (h0, c0))
    cases["lstm_cell_unbatched"] = record(m, {"input": inp, "h0": h0, "c0": c0}, [h, c], {"input": inp})
    m = torch.nn.GRUCell(3, 4)
    inp, h0 = x(2, 3), x(2, 4)
    h = m(inp, h0)
    cases["gru_cell"] = record(m, {"input": inp, "h0": h0}, [h], {"input": inp, "h0": h0})
    m = torch.nn.RNNCell(3, 4, nonlinearity="tanh", bias=False)
    inp = x(2, 3)
    h = m(inp)
    cases["rnn_cell_nobias"] = record(m, {"input": inp}, [h], {"input": inp})

    # Encoder-decoder Transformer in eval mode with a causal tgt_mask and bool padding masks
    # (grad enabled, so torch takes its reference path, not the fused fast path).
    m = torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16)
    m.eval()
    src, tgt = x(5, 2, 8), x(4, 2, 8)
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    src_kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
    tgt_kpm = torch.tensor([[False] * 4, [False, False, False, True]])
    out = m(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_kpm, tgt_key_padding_mask=tgt_kpm,
            memory_key_padding_mask=src_kpm)
    cases["transformer_masks"] = record(m, {"src": src, "tgt": tgt, "tgt_mask": tgt_mask, "src_kpm": src_kpm,
                                            "tgt_kpm": tgt_kpm}, [out], {"src": src, "tgt": tgt})

    # A pre-norm, batch_first, gelu decoder stack with a final norm and a memory_mask.
    layer = torch.nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, activation="gelu", batch_first=True,
                                             norm_first=True)
    m = torch.nn.TransformerDecoder(layer, 2, norm=torch.nn.LayerNorm(8))
    m.eval()
    tgt, mem = x(2, 3, 8), x(2, 4, 8)
    memory_mask = torch.randn(3, 4)
    out = m(tgt, mem, memory_mask=memory_mask)
    cases["decoder_prenorm_gelu"] = record(m, {"tgt": tgt, "memory": mem, "memory_mask": memory_mask}, [out],
                                           {"tgt": tgt, "memory": mem})

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rnn_ref.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
