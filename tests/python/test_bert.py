"""seek.models' BERT against Hugging Face transformers: the files in tests/data/bert (made by
make_bert_reference.py beside them) hold random HF models saved with save_pretrained and their float64 outputs."""
import copy
import json
import os
import pickle

import pytest

import seek
from seek import models

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "bert")
REF = seek.load(os.path.join(DATA, "reference.safetensors"))
KEYS = json.load(open(os.path.join(DATA, "keys.json")))


def max_diff(a, b):
    return (a.to(seek.float64) - b.to(seek.float64)).abs().max().item()


def inputs():
    return dict(input_ids=REF["input_ids"], attention_mask=REF["attention_mask"], token_type_ids=REF["token_type_ids"])


@pytest.mark.parametrize("name", ["base", "base_gelu_new"])
def test_bert_model_matches_transformers(name):
    m = models.BertModel.from_pretrained(os.path.join(DATA, name))
    m.eval()
    out = m(**inputs())
    assert max_diff(out.last_hidden_state, REF[name + ".last_hidden_state"]) < 1e-5
    assert max_diff(out.pooler_output, REF[name + ".pooler_output"]) < 1e-5
    assert max_diff(m(REF["input_ids"]).last_hidden_state, REF[name + ".nomask.last_hidden_state"]) < 1e-5


def test_masked_lm_and_classification_match_transformers():
    mlm = models.BertForMaskedLM.from_pretrained(os.path.join(DATA, "mlm"))
    mlm.eval()
    out = mlm(**inputs(), labels=REF["mlm_labels"])
    assert max_diff(out.logits, REF["mlm.logits"]) < 1e-5
    assert abs(out.loss.item() - REF["mlm.loss"].item()) < 1e-5
    assert mlm(REF["input_ids"]).loss is None
    # Sparse prediction: the labelled rows of the logits, the same loss (HF's reference values).
    sparse = mlm.forward_masked(**inputs(), labels=REF["mlm_labels"])
    due = (REF["mlm_labels"] != -100).reshape(-1)
    assert max_diff(sparse.logits, REF["mlm.logits"].reshape(-1, sparse.logits.shape[-1])[due]) < 1e-5
    assert abs(sparse.loss.item() - REF["mlm.loss"].item()) < 1e-5
    with pytest.raises(ValueError, match="labels"):
        mlm.forward_masked(**inputs())
    cls = models.BertForSequenceClassification.from_pretrained(os.path.join(DATA, "cls"))
    cls.eval()
    out = cls(**inputs(), labels=REF["cls_labels"])
    assert max_diff(out.logits, REF["cls.logits"]) < 1e-5
    assert abs(out.loss.item() - REF["cls.loss"].item()) < 1e-5


def test_state_dict_keys_and_hf_state_dicts():
    config = models.BertConfig.from_json_file(os.path.join(DATA, "cls", "config.json"))
    assert list(models.BertModel(config).state_dict().keys()) == KEYS["base"]
    assert list(models.BertForSequenceClassification(config).state_dict().keys()) == KEYS["cls"]
    mlm = models.BertForMaskedLM(config)
    assert list(mlm.state_dict().keys()) == KEYS["mlm"]
    # The tied decoder weight: one parameter, two names.
    names = [n for n, _ in mlm.named_parameters()]
    assert "bert.embeddings.word_embeddings.weight" in names and "cls.predictions.decoder.weight" not in names
    sd = seek.load(os.path.join(DATA, "mlm", "model.safetensors"))
    sd["bert.embeddings.position_ids"] = seek.arange(64).unsqueeze(0)  # older transformers kept this buffer
    missing, unexpected = mlm.load_state_dict(sd)
    assert missing == [] and unexpected == []
    state = mlm.state_dict()
    assert max_diff(state["cls.predictions.decoder.weight"], sd["bert.embeddings.word_embeddings.weight"]) == 0
    sd["cls.seq_relationship.weight"] = seek.zeros(2, 32)
    with pytest.raises(ValueError, match="cls.seq_relationship.weight"):
        mlm.load_state_dict(sd)


def test_config_fields_json_and_errors():
    c = models.BertConfig(hidden_size=64, num_attention_heads=4, attention_type="lsh", lsh_n_buckets=2,
                          classifier_dropout=0.2)
    assert c.hidden_size == 64 and c.attention_type == "lsh" and c.classifier_dropout == 0.2
    back = models.BertConfig.from_json(c.to_json())
    assert back.to_json() == c.to_json()
    assert pickle.loads(pickle.dumps(c)).to_json() == c.to_json()
    mini = models.BertConfig.bert_mini()
    assert (mini.num_hidden_layers, mini.hidden_size, mini.num_attention_heads, mini.intermediate_size) == (
        4, 256, 4, 1024)
    with pytest.raises(ValueError, match="not a multiple of the number of attention heads"):
        models.BertConfig(hidden_size=30, num_attention_heads=4)
    with pytest.raises(TypeError, match="unknown field 'hidden'"):
        models.BertConfig(hidden=3)
    with pytest.raises(ValueError, match="hidden_act"):
        models.BertConfig(hidden_act="swish-ish")


def test_training_step_lowers_the_mlm_loss_and_deepcopy():
    seek.manual_seed(5)
    config = models.BertConfig.from_json_file(os.path.join(DATA, "mlm", "config.json"))
    m = models.BertForMaskedLM(config)
    m.eval()
    opt = seek.optim.AdamW(m.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = m(**inputs(), labels=REF["mlm_labels"]).loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5
    twin = copy.deepcopy(m)
    assert max_diff(twin(REF["input_ids"]).logits, m(REF["input_ids"]).logits) == 0


def test_lsh_option_with_one_bucket_equals_standard_attention():
    config = models.BertConfig.from_json_file(os.path.join(DATA, "base", "config.json"))
    config.attention_type, config.lsh_n_buckets, config.lsh_chunk_size = "lsh", 1, 16
    m = models.BertModel(config)
    m.load_safetensors(os.path.join(DATA, "base", "model.safetensors"))
    m.eval()
    out = m(**inputs())
    assert max_diff(out.pooler_output, REF["base.pooler_output"]) < 1e-5
