// TfidfVectorizer: document frequencies over the training documents, sklearn's term pruning and sorting,
// then per document counts -> tf (raw or sublinear) x idf -> row norm, computed in double and stored f32.
#include "seek/text/tfidf.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "seek/core/error.h"
#include "seek/ops/creation.h"

namespace seek::text {

TfidfVectorizer::TfidfVectorizer(TfidfOptions options) : options_(options) {
  SEEK_CHECK_VALUE(options_.min_df >= 1, "TfidfVectorizer: min_df must be at least 1, got ", options_.min_df);
  SEEK_CHECK_VALUE(options_.max_df > 0 && options_.max_df <= 1, "TfidfVectorizer: max_df must be in (0, 1], got ",
                   options_.max_df);
}

void TfidfVectorizer::fit(const std::vector<std::vector<std::string>>& docs) {
  SEEK_CHECK_VALUE(!docs.empty(), "TfidfVectorizer.fit: no documents");
  // std::map keeps the terms in byte order, which is sklearn's sorted(vocabulary) for UTF-8 text.
  std::map<std::string, int64_t> df;
  for (const auto& doc : docs) {
    std::vector<const std::string*> seen;
    seen.reserve(doc.size());
    for (const auto& t : doc) seen.push_back(&t);
    std::sort(seen.begin(), seen.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    seen.erase(
        std::unique(seen.begin(), seen.end(), [](const std::string* a, const std::string* b) { return *a == *b; }),
        seen.end());
    for (const std::string* t : seen) ++df[*t];
  }
  const double n = static_cast<double>(docs.size());
  // sklearn: max_df as a fraction becomes a document count max_df * n (terms above it are dropped).
  const double max_count = options_.max_df * n;
  terms_.clear();
  index_.clear();
  idf_.clear();
  for (const auto& [term, count] : df) {
    if (count < options_.min_df || static_cast<double>(count) > max_count) continue;
    index_.emplace(term, static_cast<int64_t>(terms_.size()));
    terms_.push_back(term);
    const double s = options_.smooth_idf ? 1.0 : 0.0;
    idf_.push_back(std::log((n + s) / (static_cast<double>(count) + s)) + 1.0);
  }
  SEEK_CHECK_VALUE(!terms_.empty(), "TfidfVectorizer.fit: no term is left after min_df = ", options_.min_df,
                   " and max_df = ", options_.max_df, " (", df.size(), " distinct terms in ", docs.size(),
                   " documents)");
}

Tensor TfidfVectorizer::transform(const std::vector<std::vector<std::string>>& docs) const {
  SEEK_CHECK_VALUE(!terms_.empty(), "TfidfVectorizer.transform: call fit first");
  const size_t v = terms_.size();
  std::vector<float> out(docs.size() * v, 0.0f);
  std::vector<double> row(v, 0.0);
  std::vector<int64_t> used;
  for (size_t d = 0; d < docs.size(); ++d) {
    used.clear();
    for (const auto& t : docs[d]) {
      auto it = index_.find(t);
      if (it == index_.end()) continue;
      if (row[static_cast<size_t>(it->second)]++ == 0) used.push_back(it->second);
    }
    double norm = 0;
    for (int64_t j : used) {
      double& x = row[static_cast<size_t>(j)];
      if (options_.sublinear_tf) x = 1.0 + std::log(x);
      x *= idf_[static_cast<size_t>(j)];
      norm += options_.norm == TfidfNorm::L2 ? x * x : std::abs(x);
    }
    if (options_.norm == TfidfNorm::L2) norm = std::sqrt(norm);
    // A document without a known term stays a zero row (sklearn divides by 1 then).
    const double scale = options_.norm == TfidfNorm::None || norm == 0 ? 1.0 : 1.0 / norm;
    for (int64_t j : used) {
      out[d * v + static_cast<size_t>(j)] = static_cast<float>(row[static_cast<size_t>(j)] * scale);
      row[static_cast<size_t>(j)] = 0;
    }
  }
  return tensor(out, Shape{static_cast<int64_t>(docs.size()), static_cast<int64_t>(v)});
}

Tensor TfidfVectorizer::fit_transform(const std::vector<std::vector<std::string>>& docs) {
  fit(docs);
  return transform(docs);
}

int64_t TfidfVectorizer::index_of(const std::string& term) const {
  auto it = index_.find(term);
  return it == index_.end() ? -1 : it->second;
}

}  // namespace seek::text
