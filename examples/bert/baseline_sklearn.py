#!/usr/bin/env python3
"""scikit-learn's TF-IDF + logistic regression on the split `train_bert baseline` used, to check its figures.

Reads <out>/baseline_docs.tsv (part, label, path, words: the stratified 80/10/10 split of the C++ trainer and
the words of BERT's basic tokenizer) and fits TfidfVectorizer + LogisticRegression (defaults: smooth idf, l2
rows, C = 1, lbfgs, multinomial) twice: on the same words (the objective and the accuracy should match
seek's), and with sklearn's own tokenisation of the raw files (its default token pattern).

    build/examples/train_bert baseline --data data/bbc_news --out /tmp/baseline
    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn
    /tmp/skl/bin/python examples/bert/baseline_sklearn.py /tmp/baseline/baseline_docs.tsv [--sublinear-tf]

(--sublinear-tf goes with `train_bert baseline --sublinear-tf 1`.)
"""
import csv
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score


def read_docs(path):
    parts = {"train": [], "val": [], "test": []}
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            parts[row["part"]].append((int(row["label"]), row["path"], row["words"]))
    return parts


def raw_text(path):
    data = open(path, "rb").read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # BBC's sports/199.txt


def fit(name, train_docs, test_docs, y_train, y_test, **tfidf):
    vec = TfidfVectorizer(**tfidf)
    x_train = vec.fit_transform(train_docs)
    x_test = vec.transform(test_docs)
    clf = LogisticRegression(C=1.0, max_iter=1000, tol=1e-6).fit(x_train, y_train)
    # The objective seek minimises: mean cross entropy + ||W||^2 / (2 C n) (the intercept unpenalised).
    p = clf.predict_proba(x_train)
    ce = -np.mean(np.log(p[np.arange(len(y_train)), np.searchsorted(clf.classes_, y_train)]))
    objective = ce + np.sum(clf.coef_ ** 2) / (2 * 1.0 * len(y_train))
    pred = clf.predict(x_test)
    print(f"{name}: {x_train.shape[1]} terms, objective {objective:.7f}, test accuracy "
          f"{100 * accuracy_score(y_test, pred):.2f}%, macro-F1 {f1_score(y_test, pred, average='macro'):.4f}")


def main(path, sublinear_tf):
    parts = read_docs(path)
    y_train = np.array([d[0] for d in parts["train"]])
    y_test = np.array([d[0] for d in parts["test"]])
    print(f"{len(parts['train'])} training, {len(parts['val'])} validation, {len(parts['test'])} test documents")
    fit("sklearn, seek's words", [d[2] for d in parts["train"]], [d[2] for d in parts["test"]], y_train, y_test,
        analyzer=str.split, sublinear_tf=sublinear_tf)
    fit("sklearn, its own tokenisation", [raw_text(d[1]) for d in parts["train"]],
        [raw_text(d[1]) for d in parts["test"]], y_train, y_test, sublinear_tf=sublinear_tf)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--sublinear-tf"]
    if len(args) != 1:
        sys.exit("usage: baseline_sklearn.py OUT/baseline_docs.tsv [--sublinear-tf]")
    main(args[0], "--sublinear-tf" in sys.argv[1:])
