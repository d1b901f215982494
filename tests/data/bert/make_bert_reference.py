"""Generates the BERT parity files of tests/cpp/models/test_bert.cpp and tests/python/test_bert.py.

Randomly initialised Hugging Face models (transformers 4.46.3 on torch 1.13.1) with a small config are saved
with save_pretrained (config.json + model.safetensors, tied weights left out as transformers does) in
base/ (BertModel), base_gelu_new/ (BertModel, hidden_act gelu_new), mlm/ (BertForMaskedLM) and cls/
(BertForSequenceClassification, 3 labels). reference.safetensors holds the inputs (with padding) and the
outputs in eval mode computed in float64 from the float32 weights; keys.json the models' state_dict keys.
Needs transformers (not a CI dependency): /work/torchref/bin/pip install "transformers<4.47", then
    /work/torchref/bin/python tests/data/bert/make_bert_reference.py
"""
import json
import os

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel

HERE = os.path.dirname(os.path.abspath(__file__))


def config(**kw):
    c = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             max_position_embeddings=64, type_vocab_size=2, hidden_dropout_prob=0.1,
             attention_probs_dropout_prob=0.1, initializer_range=0.2, num_labels=3)
    c.update(kw)
    return BertConfig(**c)


def main():
    torch.manual_seed(17)
    # initializer_range 0.2 (not 0.02) so that the outputs are far from trivial (logits of size ~1).
    models = {
        "base": BertModel(config()),
        "base_gelu_new": BertModel(config(hidden_act="gelu_new")),
        "mlm": BertForMaskedLM(config()),
        "cls": BertForSequenceClassification(config()),
    }
    B, L = 3, 10
    input_ids = torch.randint(1, 100, (B, L))
    attention_mask = torch.ones(B, L, dtype=torch.long)
    attention_mask[1, 7:] = 0  # padding at the end of rows 1 and 2
    attention_mask[2, 4:] = 0
    input_ids[attention_mask == 0] = 0  # pad_token_id
    token_type_ids = torch.zeros(B, L, dtype=torch.long)
    token_type_ids[:, 5:] = 1
    mlm_labels = torch.full((B, L), -100, dtype=torch.long)
    mlm_labels[0, 2], mlm_labels[1, 3], mlm_labels[2, 1], mlm_labels[0, 8] = 5, 17, 42, 99
    cls_labels = torch.tensor([2, 0, 1])

    ref = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids,
           "mlm_labels": mlm_labels, "cls_labels": cls_labels}
    keys = {}
    for name, m in models.items():
        m.eval()
        m.save_pretrained(os.path.join(HERE, name), safe_serialization=True)
        keys[name] = list(m.state_dict().keys())
        d = m.double()
        with torch.no_grad():
            args = dict(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            if name.startswith("base"):
                out = d(**args)
                ref[name + ".last_hidden_state"] = out.last_hidden_state
                ref[name + ".pooler_output"] = out.pooler_output
                # No mask and no token types: all ones / zeros as HF defaults.
                ref[name + ".nomask.last_hidden_state"] = d(input_ids=input_ids).last_hidden_state
            elif name == "mlm":
                out = d(**args, labels=mlm_labels)
                ref["mlm.logits"], ref["mlm.loss"] = out.logits, out.loss.reshape(1)
            else:
                out = d(**args, labels=cls_labels)
                ref["cls.logits"], ref["cls.loss"] = out.logits, out.loss.reshape(1)
    save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(HERE, "reference.safetensors"))
    with open(os.path.join(HERE, "keys.json"), "w") as f:
        json.dump(keys, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
