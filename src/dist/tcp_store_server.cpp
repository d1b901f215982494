// The TCPStore's server (tcp_store_wire.h): one thread serves every client over poll(), so the key-value map
// needs no lock. A GET or WAIT whose keys are missing is parked with its deadline; every SET/ADD re-checks the
// parked requests, and the poll timeout is the nearest deadline, at which the server replies "timed out". A
// client with a parked request sends nothing else (one request at a time per connection).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "dist/tcp_store_wire.h"

namespace seek::dist::detail {

using Clock = std::chrono::steady_clock;

bool send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string host_port(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? str("[", host, "]:", port) : str(host, ":", port);
}

struct TCPStoreServer::State {
  int listen_fd = -1;
  int wake[2] = {-1, -1};  // a byte on wake[1] stops the thread
  std::thread thread;
  std::mutex mutex;
  std::condition_variable cv;
  int connections = 0;  // accepted since the start (under mutex)

  // Server thread only.
  struct Parked {
    StoreCmd cmd;
    std::vector<std::string> keys;
    Clock::time_point deadline;
  };
  struct Client {
    std::string in;  // bytes received, not yet a whole frame
    std::optional<Parked> parked;
  };
  std::map<int, Client> clients;
  std::map<std::string, std::string> kv;

  void run();
  bool handle(int fd, Client& c, const std::string& body);  // false: drop the client
  bool try_answer(int fd, Client& c, bool expired);         // answers a parked request when it can
  void drop(int fd) {
    ::close(fd);
    clients.erase(fd);
  }
  bool all_present(const std::vector<std::string>& keys) const {
    for (const auto& k : keys)
      if (!kv.count(k)) return false;
    return true;
  }
};

namespace {

int listen_socket(int family, int port, int& err) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  const int one = 1, zero = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc;
  if (family == AF_INET6) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));  // IPv4 clients too
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  if (rc != 0 || ::listen(fd, 128) != 0) {
    err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TCPStoreServer::TCPStoreServer(const std::string& host, int port) : state_(std::make_unique<State>()) {
  SEEK_CHECK_VALUE(port >= 0 && port <= 65535, "TCPStore: port ", port, " is not in [0, 65535]");
  int err = 0;
  int fd = listen_socket(AF_INET6, port, err);
  if (fd < 0 && err != EADDRINUSE && err != EACCES) fd = listen_socket(AF_INET, port, err);  // no IPv6 here
  SEEK_CHECK(fd >= 0, "TCPStore: the master cannot listen on port ", port, " (for ", host_port(host, port),
             "): ", std::strerror(err),
             err == EADDRINUSE ? " (another process holds the port: choose another MASTER_PORT / port)" : "");
  state_->listen_fd = fd;
  sockaddr_storage a{};
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  if (::pipe2(state_->wake, O_CLOEXEC) != 0) {
    ::close(fd);
    throw Error(str("TCPStore: pipe: ", std::strerror(errno)));
  }
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

TCPStoreServer::~TCPStoreServer() {
  const char b = 1;
  [[maybe_unused]] const ssize_t n = ::write(state_->wake[1], &b, 1);
  if (state_->thread.joinable()) state_->thread.join();
  for (auto& [fd, c] : state_->clients) ::close(fd);
  ::close(state_->listen_fd);
  ::close(state_->wake[0]);
  ::close(state_->wake[1]);
}

int TCPStoreServer::wait_for_connections(int count, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->cv.wait_until(lock, deadline, [&] { return state_->connections >= count; });
  return state_->connections;
}

void TCPStoreServer::State::run() {
  std::vector<pollfd> fds;
  char buf[65536];
  for (;;) {
    fds.clear();
    fds.push_back({wake[0], POLLIN, 0});
    fds.push_back({listen_fd, POLLIN, 0});
    std::optional<Clock::time_point> next;
    for (auto& [fd, c] : clients) {
      fds.push_back({fd, POLLIN, 0});
      if (c.parked && (!next || c.parked->deadline < *next)) next = c.parked->deadline;
    }
    int timeout_ms = -1;
    if (next) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
    }
    const int rc = ::poll(fds.data(), fds.size(), timeout_ms);
    if (rc < 0 && errno != EINTR) return;
    if (fds[0].revents) return;  // stopping
    if (fds[1].revents & POLLIN) {
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        clients.emplace(fd, Client{});
        {
          std::lock_guard<std::mutex> lock(mutex);
          ++connections;
        }
        cv.notify_all();
      }
    }
    bool changed = false;
    for (size_t i = 2; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      const int fd = fds[i].fd;
      auto it = clients.find(fd);
      if (it == clients.end()) continue;
      const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) {  // closed by the client (or an error)
        drop(fd);
        continue;
      }
      Client& c = it->second;
      c.in.append(buf, static_cast<size_t>(n));
      bool ok = true;
      while (ok && !c.parked && c.in.size() >= 4) {
        const uint32_t len = frame_length(c.in.data());
        if (len > kMaxStoreFrame) {
          ok = false;
          break;
        }
        if (c.in.size() < 4 + size_t{len}) break;
        const std::string body = c.in.substr(4, len);
        c.in.erase(0, 4 + size_t{len});
        try {
          const size_t before = kv.size();
          const uint8_t cmd = body.empty() ? 0 : static_cast<uint8_t>(body[0]);
          ok = handle(fd, c, body);
          changed = changed || cmd == static_cast<uint8_t>(StoreCmd::Set) ||
                    cmd == static_cast<uint8_t>(StoreCmd::Add) || kv.size() != before;
        } catch (const std::exception&) {
          ok = false;  // malformed request
        }
      }
      if (!ok) drop(fd);
    }
    // Parked requests: answer those whose keys arrived, or whose deadline passed.
    const auto now = Clock::now();
    std::vector<int> gone;
    for (auto& [fd, c] : clients)
      if (c.parked && (changed || c.parked->deadline <= now) && !try_answer(fd, c, c.parked->deadline <= now))
        gone.push_back(fd);
    for (int fd : gone) drop(fd);
  }
}

bool TCPStoreServer::State::try_answer(int fd, Client& c, bool expired) {
  const Parked& p = *c.parked;
  WireWriter w;
  if (all_present(p.keys)) {
    w.u8(1);
    if (p.cmd == StoreCmd::Get) w.bytes(kv.at(p.keys[0]));
  } else if (expired) {
    std::vector<std::string> missing;
    for (const auto& k : p.keys)
      if (!kv.count(k)) missing.push_back(k);
    w.u8(0).strings(missing);
  } else {
    return true;  // still waiting
  }
  c.parked.reset();
  return send_all(fd, w.frame());
}

bool TCPStoreServer::State::handle(int fd, Client& c, const std::string& body) {
  WireReader r(body);
  const auto cmd = static_cast<StoreCmd>(r.u8());
  WireWriter w;
  switch (cmd) {
    case StoreCmd::Set: {
      std::string key = r.bytes();
      kv[std::move(key)] = r.bytes();
      w.u8(1);
      break;
    }
    case StoreCmd::Get:
    case StoreCmd::Wait: {
      std::vector<std::string> keys;
      if (cmd == StoreCmd::Get)
        keys.push_back(r.bytes());
      else
        keys = r.strings();
      const int64_t timeout_ms = r.i64();
      c.parked =
          Parked{cmd, std::move(keys), Clock::now() + std::chrono::milliseconds(std::max<int64_t>(0, timeout_ms))};
      return try_answer(fd, c, false);
    }
    case StoreCmd::Add: {
      const std::string key = r.bytes();
      const int64_t delta = r.i64();
      int64_t value = 0;
      auto it = kv.find(key);
      if (it != kv.end()) {
        const std::string& s = it->second;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc() || end != s.data() + s.size()) {
          w.u8(0).bytes(str("the key '", key, "' holds ", s.size(), " bytes that are not an integer"));
          break;
        }
      }
      value += delta;
      kv[key] = std::to_string(value);
      w.u8(1).i64(value);
      break;
    }
    case StoreCmd::Check: w.u8(all_present(r.strings()) ? 1 : 0); break;
    case StoreCmd::Delete: w.u8(kv.erase(r.bytes()) ? 1 : 0); break;
    case StoreCmd::NumKeys: w.i64(static_cast<int64_t>(kv.size())); break;
    default: return false;
  }
  return send_all(fd, w.frame());
}

}  // namespace seek::dist::detail
