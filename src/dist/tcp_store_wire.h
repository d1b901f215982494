// The TCPStore's wire format and socket helpers, shared by its client (tcp_store.cpp) and server
// (tcp_store_server.cpp).
//
// A message is a frame: a 4-byte little-endian body length, then the body. A request body is a command byte and
// its arguments; strings are an 8-byte length and the bytes, integers 8 bytes little-endian. Every request gets
// exactly one reply; a request that waits (GET, WAIT) carries its timeout and the server replies "timed out"
// itself when it passes, so the client never abandons a reply.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seek/core/error.h"

namespace seek::dist::detail {

enum class StoreCmd : uint8_t { Set = 1, Get = 2, Add = 3, Check = 4, Wait = 5, Delete = 6, NumKeys = 7 };

constexpr uint32_t kMaxStoreFrame = 1u << 28;  // 256 MiB: a rendezvous store, not a data transport

class WireWriter {
 public:
  WireWriter& u8(uint8_t v) {
    buf_.push_back(static_cast<char>(v));
    return *this;
  }
  WireWriter& i64(int64_t v) {
    for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
    return *this;
  }
  WireWriter& bytes(const std::string& s) {
    i64(static_cast<int64_t>(s.size()));
    buf_.append(s);
    return *this;
  }
  WireWriter& strings(const std::vector<std::string>& v) {
    i64(static_cast<int64_t>(v.size()));
    for (const auto& s : v) bytes(s);
    return *this;
  }
  // The frame: length prefix and body.
  std::string frame() const {
    std::string out(4, '\0');
    const auto n = static_cast<uint32_t>(buf_.size());
    for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + buf_;
  }

 private:
  std::string buf_;
};

// Reads a body; a short or malformed body throws seek::Error (the server drops that client).
class WireReader {
 public:
  explicit WireReader(const std::string& body) : s_(body) {}
  uint8_t u8() {
    need(1);
    return static_cast<uint8_t>(s_[pos_++]);
  }
  int64_t i64() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(s_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return static_cast<int64_t>(v);
  }
  std::string bytes() {
    const int64_t n = i64();
    SEEK_CHECK(n >= 0 && static_cast<uint64_t>(n) <= s_.size() - pos_, "TCPStore: malformed message");
    std::string out = s_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  std::vector<std::string> strings() {
    const int64_t n = i64();
    SEEK_CHECK(n >= 0 && static_cast<uint64_t>(n) <= s_.size() - pos_, "TCPStore: malformed message");
    std::vector<std::string> out;
    for (int64_t i = 0; i < n; ++i) out.push_back(bytes());
    return out;
  }

 private:
  void need(size_t n) { SEEK_CHECK(s_.size() - pos_ >= n, "TCPStore: malformed message"); }
  const std::string& s_;
  size_t pos_ = 0;
};

// Decodes a frame's 4-byte length prefix.
inline uint32_t frame_length(const char* p) {
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return n;
}

// Sends everything (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE); false when the peer is gone.
bool send_all(int fd, const std::string& data);

// "host:port" for messages ("[::1]:29500" for IPv6 literals).
std::string host_port(const std::string& host, int port);

// The master's server: a thread that serves every client over poll().
class TCPStoreServer {
 public:
  // Listens on every interface (IPv6 dual-stack where available, else IPv4) at port (0: any free port).
  TCPStoreServer(const std::string& host, int port);
  ~TCPStoreServer();  // stops the thread and closes every connection
  int port() const { return port_; }
  // Blocks until `count` clients have connected since the start, at most until the deadline; returns how many.
  int wait_for_connections(int count, std::chrono::steady_clock::time_point deadline);

  struct State;

 private:
  int port_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace seek::dist::detail
