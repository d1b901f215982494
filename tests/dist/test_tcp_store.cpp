// seek::dist::TCPStore: the key-value operations, waiting and its timeouts, and the clear errors (nobody
// listening, port in use, unresolvable host, master gone). Every store here is this process's own (a master on
// a free port, clients on threads), so the tests run the same alone and on every rank under mpirun.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "seek/core/error.h"
#include "seek/dist/store.h"

using seek::dist::TCPStore;
using seek::dist::TCPStoreOptions;
using namespace std::chrono_literals;

namespace {

TCPStoreOptions master(std::chrono::milliseconds timeout = 30s) {
  TCPStoreOptions o;
  o.is_master = true;
  o.timeout = timeout;
  return o;
}
TCPStoreOptions client(std::chrono::milliseconds timeout = 30s) {
  TCPStoreOptions o;
  o.timeout = timeout;
  return o;
}

// The message of the seek::Error that f throws (fails the test when it throws nothing).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const seek::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no seek::Error";
  return "";
}

// A port nobody listens on now: a master's free port, after that master is gone.
int free_port() {
  TCPStore s("127.0.0.1", 0, master());
  return s.port();
}

}  // namespace

TEST(TCPStore, SetGetAddCheckDeleteNumKeys) {
  TCPStore m("127.0.0.1", 0, master());
  EXPECT_GT(m.port(), 0);
  EXPECT_TRUE(m.is_master());
  TCPStore c("127.0.0.1", m.port(), client());
  EXPECT_EQ(c.num_keys(), 0);
  const std::string binary("a\0b\xff", 4);
  m.set("bytes", binary);
  EXPECT_EQ(c.get("bytes"), binary);  // what one client sets, another reads
  c.set("bytes", "again");
  EXPECT_EQ(m.get("bytes"), "again");
  EXPECT_EQ(c.add("counter", 1), 1);
  EXPECT_EQ(m.add("counter", 5), 6);
  EXPECT_EQ(c.add("counter", -10), -4);
  EXPECT_EQ(m.get("counter"), "-4");  // stored as decimal text, as torch does
  EXPECT_TRUE(c.check({"bytes", "counter"}));
  EXPECT_FALSE(c.check({"bytes", "nothing"}));
  EXPECT_TRUE(c.check({}));
  EXPECT_EQ(c.num_keys(), 2);
  EXPECT_TRUE(c.delete_key("bytes"));
  EXPECT_FALSE(c.delete_key("bytes"));
  EXPECT_FALSE(m.check({"bytes"}));
  EXPECT_EQ(m.num_keys(), 1);
  m.set("empty", "");
  EXPECT_EQ(c.get("empty"), "");
  const std::string big(3 << 20, 'x');  // larger than one recv
  c.set("big", big);
  EXPECT_EQ(m.get("big"), big);
}

TEST(TCPStore, AddOnANonIntegerValueRaises) {
  TCPStore m("127.0.0.1", 0, master());
  m.set("text", "seven");
  const std::string msg = error_of([&] { m.add("text", 1); });
  EXPECT_NE(msg.find("'text'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not an integer"), std::string::npos) << msg;
  EXPECT_EQ(m.add("other", 2), 2);  // the connection is still in step
}

TEST(TCPStore, GetOfAMissingKeyTimesOutNamingTheKey) {
  TCPStore m("127.0.0.1", 0, master(300ms));
  const std::string msg = error_of([&] { m.get("never/set"); });
  EXPECT_NE(msg.find("'never/set'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("300 ms"), std::string::npos) << msg;
  m.set("after", "1");  // the store still answers in order after a timeout
  EXPECT_EQ(m.get("after"), "1");
}

TEST(TCPStore, WaitTimesOutNamingTheMissingKeys) {
  TCPStore m("127.0.0.1", 0, master());
  m.set("a", "1");
  const std::string msg = error_of([&] { m.wait({"a", "b"}, 200ms); });
  EXPECT_NE(msg.find("missing: ['b']"), std::string::npos) << msg;
  EXPECT_NE(msg.find("200 ms"), std::string::npos) << msg;
  m.wait({"a"}, 200ms);
}

TEST(TCPStore, GetAndWaitBlockUntilAnotherProcessSetsTheKey) {
  TCPStore m("127.0.0.1", 0, master());
  std::atomic<bool> got{false};
  std::string value;
  std::thread waiter([&] {
    TCPStore c("127.0.0.1", m.port(), client());
    c.wait({"ready"});
    value = c.get("value");
    got = true;
  });
  m.set("value", "42");
  EXPECT_FALSE(m.check({"ready"}));
  m.set("ready", "");
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(value, "42");
}

TEST(TCPStore, RendezvousOfFourClientsWithAMasterThatStartsLast) {
  const int port = free_port();
  constexpr int kClients = 4;
  std::vector<std::string> seen(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      TCPStore c("localhost", port, client());  // connects before the master listens: retries
      c.set("rank/" + std::to_string(i), std::to_string(i * i));
      const int64_t arrived = c.add("arrived", 1);
      EXPECT_GE(arrived, 1);
      std::vector<std::string> keys;
      for (int r = 0; r < kClients; ++r) keys.push_back("rank/" + std::to_string(r));
      c.wait(keys);
      for (int r = 0; r < kClients; ++r) seen[i] += c.get(keys[r]) + ",";
      c.add("done", 1);
    });
  }
  TCPStoreOptions o = master();
  o.world_size = kClients + 1;  // returns once every client (and the master's own) is connected
  TCPStore m("127.0.0.1", port, o);
  EXPECT_EQ(m.port(), port);
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(seen[i], "0,1,4,9,") << i;
  EXPECT_EQ(m.get("arrived"), "4");
  EXPECT_EQ(m.get("done"), "4");
}

TEST(TCPStore, ConnectingToAPortNobodyListensOnTimesOut) {
  const int port = free_port();
  const std::string msg = error_of([&] { TCPStore c("127.0.0.1", port, client(300ms)); });
  EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
  EXPECT_NE(msg.find("300 ms"), std::string::npos) << msg;
}

TEST(TCPStore, APortInUseIsAClearError) {
  TCPStore m("127.0.0.1", 0, master());
  const std::string msg = error_of([&] { TCPStore second("127.0.0.1", m.port(), master()); });
  EXPECT_NE(msg.find("port " + std::to_string(m.port())), std::string::npos) << msg;
  EXPECT_NE(msg.find("in use"), std::string::npos) << msg;
  m.set("still", "serving");
  EXPECT_EQ(m.get("still"), "serving");
}

TEST(TCPStore, AnUnresolvableHostIsAClearError) {
  const std::string msg = error_of([&] { TCPStore c("no-such-host.invalid", 29500, client(2s)); });
  EXPECT_NE(msg.find("no-such-host.invalid"), std::string::npos) << msg;
}

TEST(TCPStore, AClientOfAMasterThatIsGoneGetsAnErrorNotAHang) {
  auto m = std::make_unique<TCPStore>("127.0.0.1", 0, master());
  const int port = m->port();
  TCPStore c("127.0.0.1", port, client());
  c.set("k", "v");
  m.reset();
  const std::string msg = error_of([&] { c.get("k"); });
  EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
  EXPECT_NE(msg.find("closed"), std::string::npos) << msg;
  const std::string again = error_of([&] { c.set("k", "w"); });  // and later calls say so too
  EXPECT_NE(again.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << again;
}

TEST(TCPStore, BadArguments) {
  EXPECT_THROW(TCPStore("127.0.0.1", 70000, master()), seek::ValueError);
  EXPECT_THROW(TCPStore("", 29500, client()), seek::ValueError);
  EXPECT_THROW(TCPStore("127.0.0.1", 0, client()), seek::ValueError);  // a client needs the master's port
  TCPStore m("127.0.0.1", 0, master());
  EXPECT_THROW(m.set_timeout(0ms), seek::ValueError);
  m.set_timeout(5s);
  EXPECT_EQ(m.timeout(), 5s);
}

TEST(TCPStore, AValueTooLargeForTheStoreIsRefusedByTheClient) {
  TCPStore m("127.0.0.1", 0, master());
  const std::string huge(size_t{1} << 28, 'x');  // 256 MiB
  const std::string msg = error_of([&] { m.set("huge", huge); });
  EXPECT_NE(msg.find("not a data transport"), std::string::npos) << msg;
  m.set("small", "ok");  // still connected
  EXPECT_EQ(m.get("small"), "ok");
}
