"""seek.text from Python: the tokenizer against Hugging Face tokenizers' ids (the reference file
tests/data/text/wordpiece_expected.json), the transformers-style call, TextFolder and the trainer."""
import json
import os

import pytest

import seek
import seek.text

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "text")


def expected_cases():
    with open(os.path.join(DATA, "wordpiece_expected.json"), encoding="utf-8") as f:
        return {c["name"]: c for c in json.load(f)["cases"]}


def test_ids_match_hugging_face_tokenizers():
    cases = expected_cases()
    tok = seek.text.BertTokenizer.from_vocab_file(os.path.join(DATA, "wordpiece_vocab.txt"))
    single = cases["uncased_single"]
    out = tok(single["texts"])
    assert out["input_ids"] == single["ids"]
    assert out["token_type_ids"] == single["type_ids"]
    assert [tok.decode(ids) for ids in out["input_ids"]] == single["decoded"]
    pairs = cases["pairs_longest_first"]
    out = tok(pairs["texts"], pairs["pairs"], truncation=True, max_length=14)
    assert out["input_ids"] == pairs["ids"]
    assert out["token_type_ids"] == pairs["type_ids"]
    padded = cases["uncased_truncate_pad"]
    out = tok(padded["texts"], padding="max_length", truncation=True, max_length=12)
    assert out["input_ids"] == padded["ids"]
    assert out["attention_mask"] == padded["attention_mask"]
    cased = seek.text.BertTokenizer.from_vocab_file(os.path.join(DATA, "wordpiece_vocab.txt"), lowercase=False,
                                                    strip_accents=False)
    assert cased(cases["cased_single"]["texts"])["input_ids"] == cases["cased_single"]["ids"]


def test_tensors_and_errors():
    tok = seek.text.BertTokenizer.from_tokenizer_json(os.path.join(DATA, "wordpiece_tokenizer.json"))
    batch = tok(["the license", "a much longer text about the license"], padding=True, return_tensors="seek")
    assert batch["input_ids"].shape == (2, batch["input_ids"].shape[1])
    assert batch["input_ids"].dtype == seek.int64
    assert batch["attention_mask"].sum().item() == sum(len(tok.encode(t)) for t in
                                                       ["the license", "a much longer text about the license"])
    with pytest.raises(ValueError, match="padding=True"):
        tok(["a", "a b c"], return_tensors="seek")
    with pytest.raises(ValueError, match="more than the model's maximum"):
        tok("license " * 600)
    assert len(tok("license " * 600, truncation=True, max_length=16)["input_ids"]) == 16
    with pytest.raises(ValueError, match="twice"):
        seek.text.BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "a"])
    with pytest.raises(ValueError, match=r"cls_token '\[CLS\]'"):
        seek.text.BertTokenizer(["[PAD]", "[UNK]", "[SEP]", "[MASK]", "a"])


def test_text_folder_and_trainer(tmp_path):
    for cls, docs in {"sport": ["the match was won", "a late goal"], "tech": ["a new phone", "chips and code"]}.items():
        (tmp_path / cls).mkdir()
        for i, d in enumerate(docs):
            (tmp_path / cls / f"{i:03d}.txt").write_text(d, encoding="utf-8")
    folder = seek.text.TextFolder(str(tmp_path))
    assert folder.classes == ["sport", "tech"]
    assert len(folder) == 4 and folder[2] == ("a new phone", 1)
    assert folder.targets == [0, 0, 1, 1]
    vocab = seek.text.train_wordpiece(folder.texts * 5, vocab_size=60, min_frequency=2)
    assert vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = seek.text.BertTokenizer(vocab)
    assert "[UNK]" not in tok.tokenize("the match was won")
    assert tok.decode(tok.encode("a late goal")) == "a late goal"
