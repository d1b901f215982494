// autograd::queue_callback: callbacks queued by hooks run once backward has run every node (the leaves' .grad
// are final then), in order, those queued by a callback too; a backward inside a callback has its own list;
// outside backward it is an error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "seek/autograd/engine.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/ops/creation.h"

namespace seek {
namespace {

TEST(AutogradQueueCallback, RunsAfterEveryNodeInOrder) {
  Tensor a = ones({3}).requires_grad_(true);
  Tensor b = ones({3}).requires_grad_(true);
  std::vector<std::string> log;
  bool queued = false;
  // The hook of `a` (reached first: its node is later in the graph) queues; b's .grad must be there at the end.
  a.register_hook([&](const Tensor& g) {
    EXPECT_TRUE(autograd::in_backward());
    if (!queued) {
      queued = true;
      autograd::queue_callback([&] {
        log.push_back(b.grad().defined() ? "first: b has grad" : "first: b has no grad");
        autograd::queue_callback([&] { log.push_back("queued by a callback"); });
      });
      autograd::queue_callback([&] { log.push_back("second"); });
    }
    return g;
  });
  Tensor loss = (a * 2).sum() + (b * 3).sum() * a.sum();
  loss.backward();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], "first: b has grad");
  EXPECT_EQ(log[1], "second");
  EXPECT_EQ(log[2], "queued by a callback");
  EXPECT_FALSE(autograd::in_backward());
  // The next backward starts with an empty list.
  log.clear();
  queued = true;
  (a * 1).sum().backward();
  EXPECT_TRUE(log.empty());
}

TEST(AutogradQueueCallback, ABackwardInsideACallbackHasItsOwnList) {
  Tensor a = ones({2}).requires_grad_(true);
  Tensor c = ones({2}).requires_grad_(true);
  std::vector<std::string> log;
  c.register_hook([&](const Tensor& g) {
    autograd::queue_callback([&] { log.push_back("inner"); });
    return g;
  });
  bool once = false;
  a.register_hook([&](const Tensor& g) {
    if (!once) {
      once = true;
      autograd::queue_callback([&] {
        EnableGradGuard grad_on;
        (c * 2).sum().backward();
        log.push_back("outer");
      });
    }
    return g;
  });
  (a * 3).sum().backward();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], "inner");
  EXPECT_EQ(log[1], "outer");
}

TEST(AutogradQueueCallback, OutsideBackwardIsAnError) {
  try {
    autograd::queue_callback([] {});
    FAIL() << "expected an AutogradError";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("no backward pass is running"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seek
