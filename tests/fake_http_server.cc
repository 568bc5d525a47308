#include "tests/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace runledger::testing {
namespace {

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(
          static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    default:
      return "Status";
  }
}

// Reads one request from `fd`; false if the connection closed first.
bool ReadRequest(int fd, HttpRequest* request) {
  std::string data;
  char buf[4096];
  size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return false;
    data.append(buf, n);
  }
  std::vector<std::string> lines = absl::StrSplit(data.substr(0, header_end), "\r\n");
  std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
  if (first.size() < 2) return false;
  request->method = first[0];
  request->target = first[1];
  std::pair<std::string, std::string> path_query =
      absl::StrSplit(request->target, absl::MaxSplits('?', 1));
  request->path = path_query.first;
  for (absl::string_view kv : absl::StrSplit(path_query.second, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    request->query[PercentDecode(p.first)] = PercentDecode(p.second);
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<std::string, std::string> h = absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    request->headers[absl::AsciiStrToLower(h.first)] =
        std::string(absl::StripAsciiWhitespace(h.second));
  }
  size_t length = 0;
  if (auto it = request->headers.find("content-length"); it != request->headers.end()) {
    absl::SimpleAtoi(it->second, &length);
  }
  request->body = data.substr(header_end + 4);
  while (request->body.size() < length) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return false;
    request->body.append(buf, n);
  }
  return true;
}

}  // namespace

std::string HttpRequest::Param(const std::string& key) const {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

bool HttpResponder::Write(const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

void HttpResponder::Send(int status, const std::string& body, const std::string& content_type) {
  complete_ = Write(absl::StrCat("HTTP/1.1 ", status, " ", Reason(status),
                                 "\r\nContent-Type: ", content_type,
                                 "\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
}

void HttpResponder::StartChunked(int status) {
  Write(absl::StrCat("HTTP/1.1 ", status, " ", Reason(status),
                     "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

bool HttpResponder::Chunk(const std::string& data) {
  return Write(absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n"));
}

void HttpResponder::EndChunked() { complete_ = Write("0\r\n\r\n"); }

bool HttpResponder::WaitClientGone(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (stopping_->load()) return true;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 20) > 0) {
      char c;
      if (recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) return true;
    }
  }
  return false;
}

FakeHttpServer::FakeHttpServer(HttpHandler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(listen_fd_, 64);
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FakeHttpServer::~FakeHttpServer() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  close(listen_fd_);
  std::vector<std::thread> connections;
  {
    absl::MutexLock lock(&mu_);
    connections.swap(connections_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : connections) t.join();
}

std::string FakeHttpServer::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::vector<HttpRequest> FakeHttpServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void FakeHttpServer::AcceptLoop() {
  while (!stopping_) {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    absl::MutexLock lock(&mu_);
    open_fds_.push_back(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeHttpServer::Serve(int fd) {
  ++connections_accepted_;
  for (HttpRequest request; !stopping_ && ReadRequest(fd, &request); request = HttpRequest()) {
    request.received = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
    }
    HttpResponder responder(fd, &stopping_);
    handler_(request, responder);
    if (!responder.complete()) break;
  }
  absl::MutexLock lock(&mu_);
  open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

}  // namespace runledger::testing
