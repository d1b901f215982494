"""Generates tfidf_expected.json for tests/cpp/text/test_tfidf.cpp: scikit-learn's TfidfVectorizer on a tiny
corpus of already-split words (analyzer = the word list itself), for the default options and the variants
seek's TfidfVectorizer offers. Run with scikit-learn installed (1.9.1 made the stored file):
    /work/skref/bin/python tests/data/text/make_tfidf_reference.py
"""
import json
import os

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

TRAIN = [
    "the cat sat on the mat".split(),
    "the dog sat on the log the end".split(),
    "cats and dogs and cats".split(),
    "zebra über alles the".split(),
    "Mat mat mat dog".split(),
]
TEST = [
    "the cat and the unknown zebra".split(),
    "nothing here is known".split(),
    "dog dog dog dog".split(),
]
VARIANTS = {
    "default": {},
    "sublinear_tf": {"sublinear_tf": True},
    "no_smooth_idf": {"smooth_idf": False},
    "min_df_2": {"min_df": 2},
    "max_df_0.5": {"max_df": 0.5},
    "l1": {"norm": "l1"},
    "no_norm": {"norm": None},
}

out = {"sklearn": sklearn.__version__, "train": TRAIN, "test": TEST, "variants": {}}
for name, kw in VARIANTS.items():
    v = TfidfVectorizer(analyzer=lambda words: words, **kw)
    x_train = v.fit_transform(TRAIN).toarray()
    x_test = v.transform(TEST).toarray()
    out["variants"][name] = {
        "options": kw,
        "vocabulary": [str(t) for t in v.get_feature_names_out()],
        "idf": v.idf_.tolist(),
        "train": x_train.tolist(),
        "test": x_test.tolist(),
    }
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tfidf_expected.json"), "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
