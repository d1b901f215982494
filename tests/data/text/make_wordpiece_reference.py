"""Makes the WordPiece reference files that tests/cpp/text/test_wordpiece_parity.cpp compares seek with.

Run with Hugging Face `tokenizers` (PyPI) installed:
    python tests/data/text/make_wordpiece_reference.py
Writes, beside this script:
  wordpiece_vocab.txt     a 900-token vocabulary trained by tokenizers' WordPiece trainer on Debian's
                          license texts (/usr/share/common-licenses), which every Debian system has
  wordpiece_tokenizer.json   the same tokenizer saved by tokenizers (seek loads its WordPiece part)
  wordpiece_expected.json    for each case: the texts, the options, and tokenizers' tokens, ids,
                          type ids, attention mask and decoded text
"""
import json
import os

from tokenizers import BertWordPieceTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = ["/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/Apache-2.0",
          "/usr/share/common-licenses/MPL-2.0"]

TEXTS = [
    "The GNU General Public License is a free, copyleft license for software.",
    "  Hello,   WORLD!!  (copyright) -- 'quoted' \"double\" [brackets] {braces} ",
    "Café naïve résumé Ångström façade jalapeño",
    "中文字符 and 日本語 mixed with English",
    "tab\tnewline\nreturn\r zero-width\u200bspace and\u0007bell",
    "supercalifragilisticexpialidocious " + "x" * 120,
    "numbers 12345 3.14159 1,000,000 and 42nd",
    "emoji 😀 and symbols © ® ™ € £ ¥ § ¶",
    "ÉCOLE Straße İstanbul ΣΊΣΥΦΟΣ",
    "",
    "license-licensed-licensing relicense sublicensable",
    "a" * 101,
    "the [MASK] of [MASK]s and [mask] [SEP]tail",
]
PAIRS = [
    ("What is a derivative work?", "A work based on the Program."),
    ("short", "a much longer second sequence of words that goes on and on about the license terms"),
    ("a first sequence that is clearly the longer of the two sequences here", "tiny"),
]


def encode_case(tok, name, texts, pair=None, **opts):
    if opts.get("max_length"):
        tok.enable_truncation(max_length=opts["max_length"], strategy=opts.get("strategy", "longest_first"))
    else:
        tok.no_truncation()
    if opts.get("pad_to"):
        tok.enable_padding(length=opts["pad_to"], pad_id=tok.token_to_id("[PAD]"))
    elif opts.get("pad_longest"):
        tok.enable_padding(pad_id=tok.token_to_id("[PAD]"))
    else:
        tok.no_padding()
    inputs = list(zip(texts, pair)) if pair else texts
    encs = tok.encode_batch(inputs, add_special_tokens=opts.get("add_special_tokens", True))
    return {
        "name": name, "texts": texts, "pairs": pair, "options": opts,
        "tokens": [e.tokens for e in encs], "ids": [e.ids for e in encs],
        "type_ids": [e.type_ids for e in encs], "attention_mask": [e.attention_mask for e in encs],
        "decoded": [tok.decode(e.ids) for e in encs],
        "decoded_keep_special": [tok.decode(e.ids, skip_special_tokens=False) for e in encs],
    }


def main():
    trainer_tok = BertWordPieceTokenizer(lowercase=True)
    trainer_tok.train(CORPUS, vocab_size=900, min_frequency=2, limit_alphabet=200,
                      special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    trainer_tok.save_model(HERE, "wordpiece")  # wordpiece-vocab.txt
    os.replace(os.path.join(HERE, "wordpiece-vocab.txt"), os.path.join(HERE, "wordpiece_vocab.txt"))
    trainer_tok.save(os.path.join(HERE, "wordpiece_tokenizer.json"))
    vocab = os.path.join(HERE, "wordpiece_vocab.txt")

    cases = []
    uncased = BertWordPieceTokenizer(vocab, lowercase=True)
    cases.append(encode_case(uncased, "uncased_single", TEXTS))
    cases.append(encode_case(uncased, "uncased_pairs", [a for a, _ in PAIRS], [b for _, b in PAIRS]))
    cases.append(encode_case(uncased, "uncased_no_special", TEXTS[:4], add_special_tokens=False))
    cases.append(encode_case(uncased, "uncased_truncate_pad", TEXTS[:3], max_length=12, pad_to=12))
    cases.append(encode_case(uncased, "pairs_longest_first", [a for a, _ in PAIRS], [b for _, b in PAIRS],
                             max_length=14))
    cases.append(encode_case(uncased, "pairs_only_second", [a for a, _ in PAIRS[:2]], [b for _, b in PAIRS[:2]],
                             max_length=14, strategy="only_second"))
    cases.append(encode_case(uncased, "pad_longest", TEXTS[:4], pad_longest=True))
    cased = BertWordPieceTokenizer(vocab, lowercase=False, strip_accents=False)
    cases.append(encode_case(cased, "cased_single", TEXTS))
    accents_kept = BertWordPieceTokenizer(vocab, lowercase=True, strip_accents=False)
    cases.append(encode_case(accents_kept, "lowercase_keep_accents", TEXTS[2:3] + TEXTS[8:9]))
    no_cjk = BertWordPieceTokenizer(vocab, handle_chinese_chars=False)
    cases.append(encode_case(no_cjk, "no_chinese_split", TEXTS[3:4]))
    with open(os.path.join(HERE, "wordpiece_expected.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizers_version": __import__("tokenizers").__version__, "cases": cases}, f,
                  ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
