// seek::dist::TCPStore — a small key-value store over TCP for rendezvous (torch.distributed.TCPStore's API).
//
// One process (is_master) runs the server on host:port; every process, the master included, is a client of it.
// Values are bytes. get() and wait() block until the keys exist, at most the store's timeout, then raise
// seek::Error naming the keys; the server itself answers a waiting request when its deadline passes, so that a
// request and its reply never get out of step. It serves launch bootstrap (NCCL's unique id, MPI port names,
// counters, barriers), never tensor data. Every failure (port in use, host not resolvable, nobody listening
// within the timeout, the master gone) is a seek::Error naming host:port.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace seek::dist {

struct TCPStoreOptions {
  bool is_master = false;
  // With wait_for_workers, the master's constructor returns only once world_size clients (the master's own
  // included) have connected. -1: unknown (no waiting).
  int world_size = -1;
  bool wait_for_workers = true;
  // Of connecting, of get/wait, and of each request (torch's default is 300 s).
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
};

class TCPStore {
 public:
  // The master listens on every interface at `port` (0: a free port, see port()); clients connect to host:port,
  // retrying until the timeout (the master may start later).
  TCPStore(std::string host, int port, const TCPStoreOptions& options = {});
  ~TCPStore();  // the master stops its server: clients' later requests raise "connection closed"
  TCPStore(const TCPStore&) = delete;
  TCPStore& operator=(const TCPStore&) = delete;

  void set(const std::string& key, const std::string& value);
  // Waits until the key exists (at most the timeout).
  std::string get(const std::string& key);
  // Adds delta to the integer the key holds (absent: 0) and returns the new value; the value is stored as its
  // decimal text, as torch does. A key holding something else raises seek::Error.
  int64_t add(const std::string& key, int64_t delta);
  bool check(const std::vector<std::string>& keys);  // every key exists now
  void wait(const std::vector<std::string>& keys);   // the store's timeout
  void wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout);
  bool delete_key(const std::string& key);  // false when it did not exist
  int64_t num_keys();

  const std::string& host() const;
  int port() const;  // the port listened on / connected to (the chosen one for port 0)
  bool is_master() const;
  std::chrono::milliseconds timeout() const;
  void set_timeout(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace seek::dist
