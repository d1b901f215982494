// The TF-IDF + logistic regression baseline (train_bert baseline) on the fine-tuning's split (80/10/10,
// stratified, seeded; split_documents): words from BERT's basic tokenizer (lower-cased, accents stripped,
// punctuation split), TfidfVectorizer with scikit-learn's defaults fitted on the training articles, and
// multinomial logistic regression as sklearn's LogisticRegression (C = 1: mean cross entropy +
// ||W||^2 / (2 C n), intercept not penalised) on an nn::Linear, minimised full-batch with L-BFGS (two-loop
// recursion, 10 pairs, Armijo backtracking) until every gradient entry is below --tol. It writes
// baseline_docs.tsv (part, label, path, words) so examples/bert/baseline_sklearn.py fits sklearn on the
// same split and the same words.
#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>

#include "bert/bert_common.h"
#include "seek/autograd/grad_mode.h"
#include "seek/nn/linear.h"
#include "seek/nn/loss.h"
#include "seek/ops/reduce.h"
#include "seek/text/tfidf.h"

namespace bert_example {

namespace {

using Params = std::vector<Tensor>;

double dot(const Params& a, const Params& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i].to(kF64) * b[i].to(kF64)).sum().item<double>();
  return s;
}

Params scaled(const Params& a, double k) {
  Params out;
  for (const auto& t : a) out.push_back(t * k);
  return out;
}

// Tensors are handles: a copy of a Params shares storage, so the recursion works on clones.
Params cloned(const Params& a) { return scaled(a, 1.0); }

void add_(Params& a, const Params& b, double k) {
  for (size_t i = 0; i < a.size(); ++i) a[i].add_(b[i] * k);
}

double max_abs(const Params& a) {
  double m = 0;
  for (const auto& t : a) m = std::max(m, t.abs().max().item<double>());
  return m;
}

// sklearn's objective at the Linear layer's parameters, with the gradient when `grad` is set.
struct Objective {
  nn::Linear& linear;
  const Tensor& x;
  const Tensor& y;
  double l2;  // 1 / (2 C n)
  int64_t evaluations = 0;

  double operator()(Params* grad) {
    ++evaluations;
    for (auto& p : linear.parameters()) p.set_grad(Tensor());
    std::optional<NoGradGuard> no_grad;
    if (!grad) no_grad.emplace();
    Tensor loss = nn::functional::cross_entropy(linear.forward(x), y) + (linear.weight() * linear.weight()).sum() * l2;
    if (grad) {
      loss.backward();
      grad->clear();
      for (auto& p : linear.parameters()) grad->push_back(p.grad().clone());
    }
    return loss.item<double>();
  }
};

// L-BFGS (Nocedal & Wright, algorithm 7.4) with backtracking; returns the iterations taken.
int64_t minimise_lbfgs(nn::Linear& linear, Objective& f, int64_t max_iter, double tol, double* final_loss) {
  Params params = linear.parameters(), g;
  double loss = f(&g);
  std::deque<std::pair<Params, Params>> history;  // (s, y), newest last
  int64_t it = 0;
  for (; it < max_iter && max_abs(g) >= tol; ++it) {
    // Two-loop recursion: d = -H g.
    Params q = cloned(g);
    std::vector<double> alpha(history.size());
    for (size_t k = history.size(); k-- > 0;) {
      const auto& [s, y] = history[k];
      alpha[k] = dot(s, q) / dot(y, s);
      add_(q, y, -alpha[k]);
    }
    double gamma = 1.0 / std::max(1.0, std::sqrt(dot(g, g)));  // first step: at most unit length
    if (!history.empty()) gamma = dot(history.back().first, history.back().second) /
                                  dot(history.back().second, history.back().second);
    Params d = scaled(q, gamma);
    for (size_t k = 0; k < history.size(); ++k) {
      const auto& [s, y] = history[k];
      const double beta = dot(y, d) / dot(y, s);
      add_(d, s, alpha[k] - beta);
    }
    d = scaled(d, -1.0);
    double slope = dot(g, d);
    if (slope >= 0) {  // not a descent direction (rounding): restart from steepest descent
      history.clear();
      d = scaled(g, -1.0 / std::max(1.0, std::sqrt(dot(g, g))));
      slope = dot(g, d);
    }
    // Armijo backtracking from the full step (the gradient comes with each try: the full step is
    // nearly always taken, so this costs one evaluation per iteration).
    double t = 1.0, new_loss = loss;
    {
      NoGradGuard no_grad;
      add_(params, d, t);
    }
    Params new_g;
    bool accepted = false;
    for (int tries = 0; tries < 40 && !accepted; ++tries) {
      new_loss = f(&new_g);
      accepted = new_loss <= loss + 1e-4 * t * slope;
      if (accepted) break;
      NoGradGuard no_grad;
      add_(params, d, tries + 1 < 40 ? -t / 2 : -t);  // halve the step; after the last try, undo it
      t /= 2;
    }
    if (!accepted) break;  // no decrease along d at this precision: the parameters stay where they were
    Params s = scaled(d, t), y = cloned(new_g);
    add_(y, g, -1.0);
    if (dot(s, y) > 1e-12) {
      history.emplace_back(std::move(s), std::move(y));
      if (history.size() > 10) history.pop_front();
    }
    if (std::abs(loss - new_loss) <= 1e-12 * std::max(1.0, std::abs(loss)) && max_abs(new_g) >= tol) {
      g = std::move(new_g);
      loss = new_loss;
      ++it;
      break;  // no progress left at this precision
    }
    g = std::move(new_g);
    loss = new_loss;
  }
  *final_loss = loss;
  return it;
}

}  // namespace

int baseline(const BaselineOptions& o) {
  set_num_threads_if(o.threads);
  const auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(o.out);
  text::TextFolderOptions fo;
  fo.replace_invalid_utf8 = true;
  const text::TextFolder folder(o.data, fo);
  const Split split = split_documents(folder, o.seed);

  // Words per article, and the split with the words for the scikit-learn check.
  std::vector<std::vector<std::string>> words(folder.size());
  for (size_t i = 0; i < folder.size(); ++i) words[i] = text::basic_tokenize(folder.text(i));
  std::ofstream docs(fs::path(o.out) / "baseline_docs.tsv");
  docs << "part\tlabel\tpath\twords\n";
  auto gather = [&](const std::vector<size_t>& which, const char* part, std::vector<int64_t>& labels) {
    std::vector<std::vector<std::string>> out;
    for (size_t i : which) {
      out.push_back(words[i]);
      labels.push_back(folder.label(i));
      docs << part << '\t' << folder.label(i) << '\t' << folder.paths()[i] << '\t';
      for (size_t k = 0; k < words[i].size(); ++k) docs << (k ? " " : "") << words[i][k];
      docs << '\n';
    }
    return out;
  };
  std::vector<int64_t> y_train, y_val, y_test;
  const auto train_words = gather(split.train, "train", y_train);
  const auto val_words = gather(split.val, "val", y_val);
  const auto test_words = gather(split.test, "test", y_test);
  docs.close();

  text::TfidfOptions to;
  to.min_df = o.min_df;
  to.sublinear_tf = o.sublinear_tf;
  text::TfidfVectorizer tfidf(to);
  const Tensor x_train = tfidf.fit_transform(train_words);
  const Tensor x_val = tfidf.transform(val_words), x_test = tfidf.transform(test_words);
  const int64_t v = x_train.size(1), classes = static_cast<int64_t>(folder.classes().size());
  auto seconds_since = [](auto t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  std::cerr << "TF-IDF: " << v << " terms from " << y_train.size() << " training articles; validation "
            << y_val.size() << ", test " << y_test.size() << " (" << std::fixed << std::setprecision(1)
            << seconds_since(t0) << " s with the words)\n";
  const auto t_fit = std::chrono::steady_clock::now();

  nn::Linear linear(v, classes);
  {
    NoGradGuard no_grad;  // sklearn starts from zero
    linear.weight().zero_();
    linear.bias().zero_();
  }
  const Tensor y = tensor(y_train, Shape{static_cast<int64_t>(y_train.size())});
  Objective f{linear, x_train, y, 1.0 / (2.0 * o.c * static_cast<double>(y_train.size()))};
  double loss = 0;
  const int64_t iters = minimise_lbfgs(linear, f, o.max_iter, o.tol, &loss);
  std::cerr << "logistic regression: objective " << std::setprecision(7) << loss << " after " << iters
            << " L-BFGS iterations, " << f.evaluations << " evaluations (" << std::setprecision(1)
            << seconds_since(t_fit) << " s)\n";

  auto predict = [&](const Tensor& x) {
    NoGradGuard no_grad;
    return to_vector<int64_t>(argmax(linear.forward(x), -1));
  };
  const Scores val = classification_scores(y_val, predict(x_val), classes);
  const Scores test = classification_scores(y_test, predict(x_test), classes);
  const double secs = seconds_since(t0);
  std::cerr << "validation accuracy " << std::fixed << std::setprecision(2) << 100 * val.accuracy << "%, macro-F1 "
            << std::setprecision(4) << val.macro_f1 << "; " << std::setprecision(1) << secs << " s in all\n";
  print_test_scores(test, folder.classes(),
                    "TF-IDF " + std::to_string(v) + " terms + logistic regression, " + std::to_string(iters) +
                        " L-BFGS iterations");
  return 0;
}

}  // namespace bert_example
