// TfidfVectorizer against scikit-learn's: the vocabulary (order included), the idf weights and the
// transformed rows of a tiny corpus for the default options and each variant, as
// tests/data/text/make_tfidf_reference.py computed them (tfidf_expected.json); a hand-computed value;
// and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "seek/core/error.h"
#include "seek/io/json.h"
#include "seek/ops/creation.h"
#include "seek/text/tfidf.h"

namespace json = seek::io::json;
using seek::text::TfidfNorm;
using seek::text::TfidfOptions;
using seek::text::TfidfVectorizer;
using Docs = std::vector<std::vector<std::string>>;

namespace {

json::Value load_expected() {
  std::ifstream f(std::string(SEEK_SOURCE_DIR) + "/tests/data/text/tfidf_expected.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

const json::Value& at(const json::Value& v, const char* key) {
  const json::Value* m = v.find(key);
  if (!m) throw std::runtime_error(std::string("tfidf_expected.json: no '") + key + "'");
  return *m;
}

Docs docs_of(const json::Value& v) {
  Docs out;
  for (const json::Value& d : v.as_array()) {
    out.emplace_back();
    for (const json::Value& w : d.as_array()) out.back().push_back(w.as_string());
  }
  return out;
}

TfidfOptions options_of(const std::string& variant) {
  TfidfOptions o;
  if (variant == "sublinear_tf") o.sublinear_tf = true;
  if (variant == "no_smooth_idf") o.smooth_idf = false;
  if (variant == "min_df_2") o.min_df = 2;
  if (variant == "max_df_0.5") o.max_df = 0.5;
  if (variant == "l1") o.norm = TfidfNorm::L1;
  if (variant == "no_norm") o.norm = TfidfNorm::None;
  return o;
}

void expect_rows(const seek::Tensor& x, const json::Value& expected, const std::string& what) {
  const auto& rows = expected.as_array();
  ASSERT_EQ(x.size(0), static_cast<int64_t>(rows.size())) << what;
  const auto got = seek::to_vector<float>(x);
  const int64_t v = x.size(1);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r].as_array();
    ASSERT_EQ(static_cast<int64_t>(row.size()), v) << what;
    for (size_t j = 0; j < row.size(); ++j)
      EXPECT_NEAR(got[r * static_cast<size_t>(v) + j], row[j].as_double(), 1e-6)
          << what << " row " << r << " col " << j;
  }
}

}  // namespace

TEST(Tfidf, MatchesScikitLearnForEveryVariant) {
  const json::Value ref = load_expected();
  const Docs train = docs_of(at(ref, "train")), test = docs_of(at(ref, "test"));
  int variants = 0;
  for (const auto& [name, expected] : at(ref, "variants").as_object()) {
    SCOPED_TRACE(name);
    TfidfVectorizer tfidf(options_of(name));
    const seek::Tensor x_train = tfidf.fit_transform(train);
    std::vector<std::string> vocab;
    for (const json::Value& t : at(expected, "vocabulary").as_array()) vocab.push_back(t.as_string());
    EXPECT_EQ(tfidf.vocabulary(), vocab);
    const auto& idf = at(expected, "idf").as_array();
    ASSERT_EQ(tfidf.idf().size(), idf.size());
    for (size_t j = 0; j < idf.size(); ++j) EXPECT_NEAR(tfidf.idf()[j], idf[j].as_double(), 1e-12) << vocab[j];
    expect_rows(x_train, at(expected, "train"), name + " train");
    expect_rows(tfidf.transform(test), at(expected, "test"), name + " test");
    ++variants;
  }
  EXPECT_EQ(variants, 7);
}

TEST(Tfidf, HandComputedValue) {
  // Two documents; "a" is in both (idf = ln(3/3) + 1 = 1), "b" in one (idf = ln(3/2) + 1).
  TfidfVectorizer tfidf;
  const auto x = seek::to_vector<float>(tfidf.fit_transform({{"a", "b", "b"}, {"a"}}));
  const double b = 2 * (std::log(1.5) + 1), norm = std::sqrt(1 + b * b);
  ASSERT_EQ(x.size(), 4u);
  EXPECT_NEAR(x[0], 1 / norm, 1e-6);
  EXPECT_NEAR(x[1], b / norm, 1e-6);
  EXPECT_NEAR(x[2], 1.0, 1e-6);
  EXPECT_EQ(x[3], 0.0f);
  EXPECT_EQ(tfidf.index_of("b"), 1);
  EXPECT_EQ(tfidf.index_of("c"), -1);
}

TEST(Tfidf, BadInputIsAClearError) {
  TfidfVectorizer tfidf;
  EXPECT_THROW(tfidf.transform({{"a"}}), seek::ValueError);  // before fit
  EXPECT_THROW(tfidf.fit({}), seek::ValueError);
  TfidfOptions o;
  o.min_df = 3;
  TfidfVectorizer strict(o);
  try {
    strict.fit({{"a"}, {"b"}});
    FAIL() << "no error for an empty vocabulary";
  } catch (const seek::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("min_df = 3"), std::string::npos) << e.what();
  }
  o.min_df = 0;
  EXPECT_THROW(TfidfVectorizer{o}, seek::ValueError);
  o.min_df = 1;
  o.max_df = 1.5;
  EXPECT_THROW(TfidfVectorizer{o}, seek::ValueError);
}
