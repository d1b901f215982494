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


def test_mlm_data_helpers_and_split():
    assert seek.text.basic_tokenize("Héllo, World!") == ["hello", ",", "world", "!"]
    assert seek.text.basic_tokenize("Héllo", lowercase=False) == ["Héllo"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d"]
    tok = seek.text.BertTokenizer(vocab)
    seqs = seek.text.pack_sequences(tok, ["a b c d a b c d", "d c b a"], 6, min_tokens=1)
    assert all(s[0] == tok.cls_token_id and s[-1] == tok.sep_token_id and len(s) <= 6 for s in seqs)
    inner = [i for s in seqs for i in s[1:-1]]
    assert inner == [5, 6, 7, 8, 5, 6, 7, 8, 3, 8, 7, 6, 5, 3]  # the documents with a [SEP] after each
    ids = seek.text.pad_sequences(seqs, 6, tok.pad_token_id)
    assert ids.shape == (len(seqs), 6) and ids.dtype == seek.int64
    batch = seek.tensor([[2] + [5, 6, 7, 8] * 10 + [3]] * 8, dtype=seek.int64)
    gen = seek.Generator()
    gen.manual_seed(3)
    masked, labels, mask = seek.text.mask_tokens(batch, tok, generator=gen)
    gen.manual_seed(3)
    again, labels2, _ = seek.text.mask_tokens(batch, tok, generator=gen)
    assert masked.tolist() == again.tolist() and labels.tolist() == labels2.tolist()
    chosen = labels != -100
    assert 0 < chosen.sum().item() < batch.numel() / 2
    assert (labels[chosen] == batch[chosen]).all().item()  # labels are the original ids where chosen
    assert (masked[~chosen] == batch[~chosen]).all().item()
    assert not chosen[:, 0].any().item() and not chosen[:, -1].any().item()  # never [CLS] / [SEP]
    assert mask.tolist() == [[1] * 42] * 8
    with pytest.raises(ValueError):
        seek.text.mask_tokens(batch, tok, mlm_probability=1.5)

    labels = [0] * 50 + [1] * 30 + [2] * 20
    train, val, test = seek.text.stratified_split(labels, [0.8, 0.1, 0.1], seed=4)
    assert sorted(train + val + test) == list(range(100))
    assert [sum(labels[i] == c for i in test) for c in range(3)] == [5, 3, 2]
    assert seek.text.stratified_split(labels, [0.8, 0.1, 0.1], seed=4)[2] == test
    assert seek.text.stratified_split(labels, [0.8, 0.1, 0.1], seed=5)[2] != test
