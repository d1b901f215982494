// WordPiece vocabulary training (train_wordpiece in bert_tokenizer.h). Each word of the corpus is a
// sequence of pieces, first its characters ("c", "##c", ...). Every round merges the adjacent pair
// (a, b) with the highest score -- its count, or the likelihood gain count(ab) / (count(a) * count(b))
// -- into one piece (a + b without b's "##"). Counts are kept incrementally: a merge touches only the
// words that hold the pair (an index pair -> words), and a lazy max-heap holds candidate pairs; an
// entry whose score changed since it was pushed is pushed again with the current score when it
// surfaces. Under the likelihood score the pairs of the two pieces whose counts fell (so whose scores
// rose) are pushed again after each merge.
#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "seek/text/bert_tokenizer.h"
#include "text/unicode_text.h"

namespace seek::text {

namespace {

struct Candidate {
  double score;
  int64_t count;
  int32_t a, b;
  bool operator<(const Candidate& o) const {  // max-heap: higher score, then count, then lower ids first
    if (score != o.score) return score < o.score;
    if (count != o.count) return count < o.count;
    if (a != o.a) return a > o.a;
    return b > o.b;
  }
};

uint64_t key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

}  // namespace

std::vector<std::string> train_wordpiece(const std::vector<std::string>& texts,
                                         const WordPieceTrainerOptions& options) {
  SEEK_CHECK_VALUE(options.vocab_size > static_cast<int64_t>(options.special_tokens.size()),
                   "train_wordpiece: vocab_size ", options.vocab_size, " leaves no room beside the ",
                   options.special_tokens.size(), " special tokens");
  SEEK_CHECK_VALUE(options.min_frequency >= 1, "train_wordpiece: min_frequency must be >= 1");
  const std::string prefix = "##";
  std::unordered_map<std::string, int64_t> word_counts;
  for (const std::string& text : texts)
    for (std::string& w : basic_tokenize(text, options.normalizer)) ++word_counts[std::move(w)];
  // Characters by frequency; the alphabet keeps the limit_alphabet most frequent.
  std::map<char32_t, int64_t> char_counts;
  std::vector<std::pair<std::vector<char32_t>, int64_t>> words;
  words.reserve(word_counts.size());
  for (auto& [w, n] : word_counts) {
    words.emplace_back(unicode::decode_utf8(w), n);
    for (char32_t c : words.back().first) char_counts[c] += n;
  }
  std::sort(words.begin(), words.end());  // a fixed order whatever the hash map's
  std::vector<std::pair<int64_t, char32_t>> by_freq;
  for (auto [c, n] : char_counts) by_freq.emplace_back(-n, c);
  std::sort(by_freq.begin(), by_freq.end());
  if (static_cast<int64_t>(by_freq.size()) > options.limit_alphabet) by_freq.resize(options.limit_alphabet);
  std::unordered_set<char32_t> alphabet;
  for (auto [n, c] : by_freq) alphabet.insert(c);

  std::vector<std::string> vocab;
  std::unordered_map<std::string, int32_t> ids;
  auto intern = [&](const std::string& tok) {
    auto [it, fresh] = ids.emplace(tok, static_cast<int32_t>(vocab.size()));
    if (fresh) vocab.push_back(tok);
    return it->second;
  };
  for (const std::string& s : options.special_tokens) {
    SEEK_CHECK_VALUE(!ids.count(s), "train_wordpiece: the special token '", s, "' is given twice");
    intern(s);
  }
  std::vector<char32_t> sorted_alphabet(alphabet.begin(), alphabet.end());
  std::sort(sorted_alphabet.begin(), sorted_alphabet.end());
  for (char32_t c : sorted_alphabet) intern(unicode::encode_utf8({c}));

  // Words as piece ids; words with a character outside the alphabet take no part.
  std::vector<std::vector<int32_t>> pieces;
  std::vector<int64_t> freq;
  for (const auto& [cps, n] : words) {
    if (!std::all_of(cps.begin(), cps.end(), [&](char32_t c) { return alphabet.count(c) > 0; })) continue;
    std::vector<int32_t> p;
    for (size_t i = 0; i < cps.size(); ++i)
      p.push_back(intern((i ? prefix : std::string()) + unicode::encode_utf8({cps[i]})));
    pieces.push_back(std::move(p));
    freq.push_back(n);
  }
  std::vector<int64_t> unit_count(vocab.size(), 0);
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<int32_t>> pair_words;
  std::unordered_map<int32_t, std::unordered_set<uint64_t>> unit_pairs;
  for (size_t w = 0; w < pieces.size(); ++w) {
    const auto& p = pieces[w];
    for (size_t i = 0; i < p.size(); ++i) {
      unit_count[static_cast<size_t>(p[i])] += freq[w];
      if (i + 1 < p.size()) {
        const uint64_t k = key(p[i], p[i + 1]);
        pair_count[k] += freq[w];
        pair_words[k].push_back(static_cast<int32_t>(w));
        unit_pairs[p[i]].insert(k);
        unit_pairs[p[i + 1]].insert(k);
      }
    }
  }
  auto score_of = [&](uint64_t k, int64_t count) {
    if (!options.likelihood) return static_cast<double>(count);
    const auto a = static_cast<int32_t>(k >> 32), b = static_cast<int32_t>(k & 0xffffffffu);
    return static_cast<double>(count) / (static_cast<double>(unit_count[static_cast<size_t>(a)]) *
                                         static_cast<double>(unit_count[static_cast<size_t>(b)]));
  };
  std::priority_queue<Candidate> heap;
  auto push = [&](uint64_t k) {
    auto it = pair_count.find(k);
    if (it == pair_count.end() || it->second < options.min_frequency) return;
    heap.push(
        {score_of(k, it->second), it->second, static_cast<int32_t>(k >> 32), static_cast<int32_t>(k & 0xffffffffu)});
  };
  for (const auto& [k, n] : pair_count) push(k);

  while (static_cast<int64_t>(vocab.size()) < options.vocab_size && !heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    const uint64_t k = key(top.a, top.b);
    auto it = pair_count.find(k);
    if (it == pair_count.end() || it->second < options.min_frequency) continue;
    if (it->second != top.count || score_of(k, it->second) != top.score) {
      push(k);  // stale: back with its current score
      continue;
    }
    const std::string& tb = vocab[static_cast<size_t>(top.b)];
    const int32_t merged =
        intern(vocab[static_cast<size_t>(top.a)] + tb.substr(tb.rfind(prefix, 0) == 0 ? prefix.size() : 0));
    if (unit_count.size() < vocab.size()) unit_count.resize(vocab.size(), 0);
    std::unordered_set<uint64_t> touched;
    std::vector<int32_t> holders = std::move(pair_words[k]);
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    for (int32_t w : holders) {
      auto& p = pieces[static_cast<size_t>(w)];
      const int64_t n = freq[static_cast<size_t>(w)];
      std::vector<int32_t> next;
      next.reserve(p.size());
      bool changed = false;
      for (size_t i = 0; i < p.size(); ++i) {
        if (i + 1 < p.size() && p[i] == top.a && p[i + 1] == top.b) {
          next.push_back(merged);
          ++i;
          changed = true;
        } else {
          next.push_back(p[i]);
        }
      }
      if (!changed) continue;
      // Remove the word's old pairs and units, add the new ones.
      for (size_t i = 0; i < p.size(); ++i) {
        unit_count[static_cast<size_t>(p[i])] -= n;
        if (i + 1 < p.size()) {
          const uint64_t o = key(p[i], p[i + 1]);
          pair_count[o] -= n;
          touched.insert(o);
        }
      }
      for (size_t i = 0; i < next.size(); ++i) {
        unit_count[static_cast<size_t>(next[i])] += n;
        if (i + 1 < next.size()) {
          const uint64_t o = key(next[i], next[i + 1]);
          pair_count[o] += n;
          pair_words[o].push_back(w);
          unit_pairs[next[i]].insert(o);
          unit_pairs[next[i + 1]].insert(o);
          touched.insert(o);
        }
      }
      p = std::move(next);
    }
    pair_count.erase(k);
    // Pairs whose counts changed, and every pair of the pieces whose counts fell (their scores rose).
    if (options.likelihood)
      for (int32_t unit : {top.a, top.b})
        for (uint64_t o : unit_pairs[unit]) touched.insert(o);
    for (uint64_t o : touched) push(o);
  }
  return vocab;
}

}  // namespace seek::text
