"""seek.nn.RNN / LSTM / GRU, the cells, seek.nn.utils.rnn packing and nn.Transformer against
torch 1.13: outputs and gradients from tests/python/ref/rnn_ref.json (written by
tests/python/ref/gen_rnn.py), plus the Python API surface (names, tuples, errors)."""
import json
import math
import os

import numpy as np
import pytest

import seek
import seek.nn as nn
from seek.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence,
                               pad_sequence, unpack_sequence)

with open(os.path.join(os.path.dirname(__file__), "ref", "rnn_ref.json")) as f:
    REF = json.load(f)["cases"]

_DTYPES = {"float64": seek.float64, "int64": seek.int64, "bool": seek.bool}


def j2t(d, requires_grad=False):
    t = seek.tensor(d["data"], dtype=_DTYPES[d["dtype"]]).reshape(d["shape"])
    if requires_grad:
        t.requires_grad_()
    return t


def close(a, ref, tol=1e-9):
    want = np.array(ref["data"], dtype=np.float64).reshape(ref["shape"])
    got = a.detach().numpy()
    assert list(got.shape) == ref["shape"]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def loss_of(outputs):
    total = None
    for k, o in enumerate(outputs):
        term = (o ** 2).sum() * ((k + 1) / 2) + o.sum()
        total = term if total is None else total + term
    return total


def check_case(name, module, run, grad_inputs):
    case = REF[name]
    module.to(seek.float64)
    module.load_state_dict({k: j2t(v) for k, v in case["state_dict"].items()})
    inputs = {k: j2t(v, requires_grad=k in grad_inputs) for k, v in case["inputs"].items()}
    outputs = run(module, inputs)
    assert len(outputs) == len(case["outputs"])
    for o, ref in zip(outputs, case["outputs"]):
        close(o, ref)
    loss_of(outputs).backward()
    params = dict(module.named_parameters())
    for gname, ref in case["grads"].items():
        if gname.startswith("input:"):
            close(inputs[gname[len("input:"):]].grad, ref)
        else:
            close(params[gname].grad, ref)
    assert len(case["grads"]) == len(grad_inputs) + len(params)
    return inputs, outputs


def test_lstm_proj_matches_torch():
    m = nn.LSTM(3, 5, num_layers=2, proj_size=2)
    check_case("lstm_proj", m, lambda m, i: (lambda o: [o[0], o[1][0], o[1][1]])(m(i["input"], (i["h0"], i["c0"]))),
               {"input", "h0", "c0"})


def test_bidirectional_gru_batch_first_matches_torch():
    m = nn.GRU(4, 3, num_layers=2, bidirectional=True, batch_first=True)
    check_case("gru_bi_batch_first", m, lambda m, i: list(m(i["input"])), {"input"})


def test_packed_unsorted_bidirectional_lstm_matches_torch():
    case = REF["lstm_packed_unsorted"]
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, proj_size=2)

    def run(m, i):
        packed = pack_padded_sequence(i["input"], seek.tensor(case["lengths"]), batch_first=True,
                                      enforce_sorted=False)
        out_p, (h, c) = m(packed, (i["h0"], i["c0"]))
        assert isinstance(out_p, PackedSequence)
        close(out_p.data, case["packed_data"])
        assert out_p.batch_sizes.tolist() == case["batch_sizes"]
        out, lengths = pad_packed_sequence(out_p, batch_first=True, padding_value=-1.0, total_length=7)
        assert lengths.tolist() == case["lengths"]
        return [out, h, c]

    check_case("lstm_packed_unsorted", m, run, {"input", "h0", "c0"})


def test_packed_sorted_relu_rnn_matches_torch():
    case = REF["rnn_relu_packed_sorted"]
    m = nn.RNN(2, 3, num_layers=2, nonlinearity="relu")

    def run(m, i):
        out_p, h = m(pack_padded_sequence(i["input"], case["lengths"]))
        return [pad_packed_sequence(out_p)[0], h]

    check_case("rnn_relu_packed_sorted", m, run, {"input"})


def test_cells_match_torch():
    check_case("lstm_cell_unbatched", nn.LSTMCell(3, 4),
               lambda m, i: list(m(i["input"], (i["h0"], i["c0"]))), {"input"})
    check_case("gru_cell", nn.GRUCell(3, 4), lambda m, i: [m(i["input"], i["h0"])], {"input", "h0"})
    check_case("rnn_cell_nobias", nn.RNNCell(3, 4, bias=False), lambda m, i: [m(i["input"])], {"input"})


def test_transformer_with_masks_matches_torch_in_eval_mode():
    m = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16)
    m.eval()

    def run(m, i):
        mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=seek.float64)
        np.testing.assert_array_equal(mask.numpy(), i["tgt_mask"].numpy())
        return [m(i["src"], i["tgt"], tgt_mask=mask, src_key_padding_mask=i["src_kpm"],
                  tgt_key_padding_mask=i["tgt_kpm"], memory_key_padding_mask=i["src_kpm"])]

    check_case("transformer_masks", m, run, {"src", "tgt"})


def test_prenorm_decoder_stack_matches_torch():
    layer = nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, activation="gelu", batch_first=True, norm_first=True)
    m = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(8))
    m.eval()
    check_case("decoder_prenorm_gelu", m, lambda m, i: [m(i["tgt"], i["memory"], memory_mask=i["memory_mask"])],
               {"tgt", "memory"})


def test_state_dict_keys_are_torchs():
    assert list(nn.GRU(2, 3, bidirectional=True).state_dict()) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse"]
    for name in ("lstm_proj", "gru_bi_batch_first", "transformer_masks"):
        m = {"lstm_proj": lambda: nn.LSTM(3, 5, num_layers=2, proj_size=2),
             "gru_bi_batch_first": lambda: nn.GRU(4, 3, num_layers=2, bidirectional=True, batch_first=True),
             "transformer_masks": lambda: nn.Transformer(8, 2, 2, 2, 16)}[name]()
        assert list(m.state_dict()) == list(REF[name]["state_dict"])
        for k, v in m.state_dict().items():
            assert list(v.shape) == REF[name]["state_dict"][k]["shape"], k


def test_rnn_api_surface():
    lstm = nn.LSTM(input_size=3, hidden_size=4, num_layers=2, batch_first=True, dropout=0.2)
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.batch_first, lstm.dropout) == (3, 4, 2, True, 0.2)
    lstm.flatten_parameters()
    out, (h, c) = lstm(seek.randn(2, 5, 3))
    assert out.shape == (2, 5, 4) and h.shape == (2, 2, 4) and c.shape == (2, 2, 4)
    out, h = nn.RNN(3, 4)(seek.randn(5, 3))  # unbatched
    assert out.shape == (5, 4) and h.shape == (1, 4)
    assert nn.RNN(3, 4, nonlinearity="relu").nonlinearity == "relu"
    h1 = nn.GRUCell(3, 4)(seek.randn(2, 3))
    assert h1.shape == (2, 4)
    h1, c1 = nn.LSTMCell(3, 4)(seek.randn(3))
    assert h1.shape == (4,) and c1.shape == (4,)
    assert isinstance(lstm, nn.RNNBase) and isinstance(lstm, nn.Module)
    assert "LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.2)" in repr(lstm)
    bound = 1 / math.sqrt(4)
    assert all(float(p.abs().max()) <= bound for p in lstm.parameters())


def test_packing_functions():
    a, b, c = seek.tensor([1.0, 2.0, 3.0]), seek.tensor([4.0]), seek.tensor([5.0, 6.0])
    padded = pad_sequence([a, b, c], batch_first=True, padding_value=9.0)
    assert padded.tolist() == [[1, 2, 3], [4, 9, 9], [5, 6, 9]]
    packed = pack_sequence([a, b, c], enforce_sorted=False)
    assert packed.data.tolist() == [1, 5, 4, 2, 6, 3]
    assert packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.sorted_indices.tolist() == [0, 2, 1] and packed.unsorted_indices.tolist() == [0, 2, 1]
    data, batch_sizes, sorted_indices, unsorted_indices = packed  # a namedtuple, as torch's
    assert [t.tolist() for t in unpack_sequence(packed)] == [[1, 2, 3], [4], [5, 6]]
    out, lengths = pad_packed_sequence(packed)
    assert out.shape == (3, 3) and lengths.tolist() == [3, 1, 2]
    assert packed.to(seek.float64).data.dtype == seek.float64


def test_errors_are_clear():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="input.size\\(-1\\) must be equal to input_size"):
        lstm(seek.randn(5, 2, 7))
    with pytest.raises(ValueError, match="expected hx\\[0\\] of size"):
        lstm(seek.randn(5, 2, 3), (seek.zeros(1, 3, 4), seek.zeros(1, 3, 4)))
    with pytest.raises(TypeError, match="hx must be a tuple"):
        lstm(seek.randn(5, 2, 3), seek.zeros(1, 2, 4))
    with pytest.raises(TypeError, match="input must be a tensor or a PackedSequence"):
        lstm([1, 2, 3])
    with pytest.raises(ValueError, match="enforce_sorted"):
        pack_padded_sequence(seek.randn(4, 2, 3), [2, 4])
    with pytest.raises(TypeError, match="lengths"):
        pack_padded_sequence(seek.randn(4, 2, 3), "ab")
    with pytest.raises(ValueError, match="proj_size"):
        nn.GRU(3, 4, proj_size=2) if False else nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="batch number of src and tgt"):
        nn.Transformer(8, 2, 1, 1, 16)(seek.randn(3, 2, 8), seek.randn(3, 3, 8))
