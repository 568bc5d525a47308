// A tiny HTTP/1.1 server on 127.0.0.1 for client tests: each connection is served on a thread
// of its own, its requests one after the other by the test's handler. Handlers can answer whole,
// or stream a chunked body and then end it cleanly (terminating chunk) or drop the connection
// mid-stream, which is how tests play a Kubernetes watch. A connection stays open (keep-alive)
// after every complete answer, and is closed after a handler that did not complete one.
#ifndef RUNLEDGER_TESTS_FAKE_HTTP_SERVER_H_
#define RUNLEDGER_TESTS_FAKE_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace runledger::testing {

struct HttpRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::string path;                            // without the query
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  absl::Time received;  // when the request had been read

  // The query parameter `key`, or "" if absent.
  std::string Param(const std::string& key) const;
};

class HttpResponder {
 public:
  HttpResponder(int fd, const std::atomic<bool>* stopping) : fd_(fd), stopping_(stopping) {}

  // A whole response with Content-Length.
  void Send(int status, const std::string& body,
            const std::string& content_type = "application/json");
  // The status line and headers of a chunked response; then Chunk() and EndChunked().
  void StartChunked(int status = 200);
  // False once the client has gone.
  bool Chunk(const std::string& data);
  // The terminating chunk: the body ends cleanly. Returning without it drops the stream.
  void EndChunked();
  // Whether an answer was completed (Send, or StartChunked + EndChunked).
  bool complete() const { return complete_; }
  // Waits up to `timeout` for the client to close the connection or the server to stop; true if
  // either happened.
  bool WaitClientGone(absl::Duration timeout);

 private:
  bool Write(const std::string& data);

  int fd_;
  const std::atomic<bool>* stopping_;
  bool complete_ = false;
};

using HttpHandler = std::function<void(const HttpRequest& request, HttpResponder& responder)>;

class FakeHttpServer {
 public:
  explicit FakeHttpServer(HttpHandler handler);
  ~FakeHttpServer();  // Stops accepting, tells handlers through WaitClientGone, joins them.
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  // "http://127.0.0.1:PORT"
  std::string url() const;
  // Every request received so far, in arrival order.
  std::vector<HttpRequest> requests() const;
  // Connections accepted so far.
  int connections() const { return connections_accepted_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  HttpHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_accepted_{0};
  std::thread accept_thread_;
  mutable absl::Mutex mu_;
  std::vector<std::thread> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);  // shut down on stop, to end idle reads
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger::testing

#endif  // RUNLEDGER_TESTS_FAKE_HTTP_SERVER_H_
