#pragma once
// TF-IDF features as scikit-learn's TfidfVectorizer computes them (the defaults: raw counts, smooth idf
// ln((1 + n) / (1 + df)) + 1, rows scaled to unit l2 norm; sublinear_tf and l1 / no norm as options), over
// documents that are already split into terms (basic_tokenize, WordPiece tokens...). The vocabulary is
// sorted as sklearn sorts it (byte order of UTF-8 = code-point order), so column j is the same term.
//
//   TfidfVectorizer tfidf;                      // min_df = 1, max_df = 1.0, smooth idf, l2 norm
//   Tensor x_train = tfidf.fit_transform(train_docs);   // float32 [N, V], dense
//   Tensor x_test = tfidf.transform(test_docs);         // terms outside the vocabulary are dropped
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::text {

enum class TfidfNorm { L2, L1, None };

struct TfidfOptions {
  int64_t min_df = 1;         // keep terms in at least this many training documents
  double max_df = 1.0;        // ... and in at most this fraction of them
  bool smooth_idf = true;     // idf = ln((1 + n) / (1 + df)) + 1; false: ln(n / df) + 1
  bool sublinear_tf = false;  // tf = 1 + ln(count)
  TfidfNorm norm = TfidfNorm::L2;
};

class TfidfVectorizer {
 public:
  explicit TfidfVectorizer(TfidfOptions options = {});

  // Learns the vocabulary and the idf weights. ValueError for no documents, bad options or an empty
  // vocabulary after min_df / max_df.
  void fit(const std::vector<std::vector<std::string>>& docs);
  // float32 [N, V] (V = vocabulary size); ValueError before fit.
  Tensor transform(const std::vector<std::vector<std::string>>& docs) const;
  Tensor fit_transform(const std::vector<std::vector<std::string>>& docs);

  const std::vector<std::string>& vocabulary() const { return terms_; }
  const std::vector<double>& idf() const { return idf_; }
  int64_t index_of(const std::string& term) const;  // -1 when not in the vocabulary
  const TfidfOptions& options() const { return options_; }

 private:
  TfidfOptions options_;
  std::vector<std::string> terms_;
  std::unordered_map<std::string, int64_t> index_;
  std::vector<double> idf_;
};

}  // namespace seek::text
