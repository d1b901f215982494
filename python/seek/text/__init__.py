"""seek.text: BERT's WordPiece tokenizer, WordPiece vocabulary training and text datasets.

    tok = seek.text.BertTokenizer.from_vocab_file("vocab.txt")           # or from_tokenizer_json
    batch = tok(["a text", "another"], padding=True, truncation=True, max_length=128,
                return_tensors="seek")                                  # input_ids [2, L], ...
    tok.decode(batch["input_ids"][0].tolist())

The tokenizer follows Hugging Face tokenizers' BertWordPieceTokenizer (normalisation, punctuation and
CJK splitting, greedy longest-match-first "##" pieces, [CLS] a [SEP] b [SEP], truncation strategies,
padding): the same vocabulary and text give the same ids. The call signature is transformers'
tokenizer __call__ (text, text_pair, add_special_tokens, padding, truncation, max_length,
return_tensors).
"""
from .. import _C

TextFolder = _C.text.TextFolder
read_corpus = _C.text.read_corpus
train_wordpiece = _C.text.train_wordpiece
basic_tokenize = _C.text.basic_tokenize
pad_sequences = _C.text.pad_sequences

__all__ = ["BertTokenizer", "TextFolder", "read_corpus", "train_wordpiece", "basic_tokenize", "pack_sequences",
           "pad_sequences", "mask_tokens", "stratified_split"]


def pack_sequences(tokenizer, texts, max_length, separate_documents=True, min_tokens=8):
    """run_mlm's group_texts: the texts' ids concatenated and cut into "[CLS] ... [SEP]" lists of at most
    max_length ids (a last, shorter one kept when it has min_tokens tokens)."""
    return _C.text.pack_sequences(tokenizer._tok, list(texts), max_length, separate_documents, min_tokens)


def mask_tokens(input_ids, tokenizer, mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1,
                generator=None):
    """DataCollatorForLanguageModeling on a [B, L] int64 batch: returns (masked input_ids, labels with -100
    where no prediction is due, attention_mask); a new mask at every call (or the generator's stream)."""
    return _C.text.mask_tokens(input_ids, tokenizer._tok, mlm_probability, mask_replace_prob, random_replace_prob,
                               generator)


def stratified_split(labels, fractions, seed=0):
    """Index lists, one per fraction, each keeping the class proportions of labels: the split the C++
    trainer (examples/bert) computes for the same labels and seed."""
    return _C.text.stratified_split(list(labels), list(fractions), seed)


def _padding_mode(padding):
    if padding is True or padding == "longest":
        return "longest"
    if padding is False or padding is None or padding == "do_not_pad":
        return "do_not_pad"
    if padding == "max_length":
        return "max_length"
    raise ValueError(f"padding must be True, False, 'longest', 'max_length' or 'do_not_pad', got {padding!r}")


def _truncation_mode(truncation, max_length):
    if truncation is True:
        truncation = "longest_first"
    if truncation is False or truncation is None or truncation == "do_not_truncate":
        return None
    if truncation not in ("longest_first", "only_first", "only_second"):
        raise ValueError("truncation must be True, False, 'longest_first', 'only_first', 'only_second' or "
                         f"'do_not_truncate', got {truncation!r}")
    return truncation


class BertTokenizer:
    """A WordPiece tokenizer over a vocabulary (a list of tokens, the index is the id)."""

    def __init__(self, vocab, lowercase=True, strip_accents=None, tokenize_chinese_chars=True, clean_text=True,
                 model_max_length=512, _impl=None):
        self._tok = _impl if _impl is not None else _C.text.BertTokenizer(
            list(vocab), lowercase, strip_accents, tokenize_chinese_chars, clean_text, model_max_length)

    @classmethod
    def from_vocab_file(cls, path, lowercase=True, strip_accents=None, tokenize_chinese_chars=True,
                        clean_text=True, model_max_length=512):
        return cls(None, _impl=_C.text.BertTokenizer.from_vocab_file(
            str(path), lowercase, strip_accents, tokenize_chinese_chars, clean_text, model_max_length))

    @classmethod
    def from_tokenizer_json(cls, path, model_max_length=512):
        return cls(None, _impl=_C.text.BertTokenizer.from_tokenizer_json(str(path), model_max_length))

    def __call__(self, text, text_pair=None, add_special_tokens=True, padding=False, truncation=None,
                 max_length=None, return_tensors=None, return_special_tokens_mask=False):
        pad = _padding_mode(padding)
        trunc = _truncation_mode(truncation, max_length)
        if trunc is None and truncation is None and max_length is not None:
            trunc = "longest_first"  # as transformers: max_length alone truncates
        eff_max = max_length if trunc is not None else None
        pad_to = max_length if pad == "max_length" else None
        if pad == "max_length" and max_length is None:
            pad_to = self.model_max_length
        single = isinstance(text, str)
        if single:
            if text_pair is not None and not isinstance(text_pair, str):
                raise TypeError("text is one string, so text_pair must be one string too")
            encs = [self._tok._encode(text, text_pair, add_special_tokens, eff_max, trunc or "longest_first", pad,
                                      pad_to)]
        else:
            texts = list(text)
            pairs = None if text_pair is None else list(text_pair)
            encs = self._tok._encode_batch(texts, pairs, add_special_tokens, eff_max, trunc or "longest_first", pad,
                                           pad_to)
        keys = ["input_ids", "token_type_ids", "attention_mask"]
        if return_special_tokens_mask:
            keys.append("special_tokens_mask")
        if return_tensors is not None:
            if return_tensors not in ("seek", "pt"):
                raise ValueError(f"return_tensors must be None, 'seek' or 'pt', got {return_tensors!r}")
            lengths = {len(e["input_ids"]) for e in encs}
            if len(lengths) > 1:
                raise ValueError(f"sequences of lengths {sorted(lengths)} make no tensor: pass padding=True")
            from .. import tensor, int64
            return {k: tensor([e[k] for e in encs], dtype=int64) for k in keys}
        if single:
            return {k: encs[0][k] for k in keys}
        return {k: [e[k] for e in encs] for k in keys}

    def encode(self, text, text_pair=None, add_special_tokens=True, max_length=None, truncation=None):
        return self(text, text_pair, add_special_tokens=add_special_tokens, max_length=max_length,
                    truncation=truncation)["input_ids"]

    def tokenize(self, text):
        return self._tok.tokenize(text)

    def decode(self, ids, skip_special_tokens=True):
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        return self._tok.decode(list(ids), skip_special_tokens)

    def batch_decode(self, sequences, skip_special_tokens=True):
        return [self.decode(s, skip_special_tokens) for s in sequences]

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, str):
            return self._tok.token_to_id(tokens)
        return [self._tok.token_to_id(t) for t in tokens]

    def convert_ids_to_tokens(self, ids):
        if isinstance(ids, int):
            return self._tok.id_to_token(ids)
        return [self._tok.id_to_token(i) for i in ids]

    def get_vocab(self):
        return {t: i for i, t in enumerate(self._tok.vocab)}

    def __len__(self):
        return self._tok.vocab_size

    def save_vocabulary(self, path):
        self._tok.save_vocab(str(path))

    def save_tokenizer_json(self, path):
        self._tok.save_tokenizer_json(str(path))

    vocab_size = property(lambda self: self._tok.vocab_size)
    model_max_length = property(lambda self: self._tok.model_max_length)
    unk_token_id = property(lambda self: self._tok.unk_token_id)
    cls_token_id = property(lambda self: self._tok.cls_token_id)
    sep_token_id = property(lambda self: self._tok.sep_token_id)
    pad_token_id = property(lambda self: self._tok.pad_token_id)
    mask_token_id = property(lambda self: self._tok.mask_token_id)
