// Where a Kubernetes API server is and how to authenticate to it, loaded from a kubeconfig
// (YAML or JSON, k8s.md b.1) or from the in-cluster service-account mount (k8s.md b.2).
//
// Invariant: a KubeConfig holds PEM text, never paths, for the CA and the client certificate and
// key (file forms are read at load time, `-data` forms base64-decoded), so a client built from it
// needs no file system except for a token file, which TokenSource re-reads when it changes.
#ifndef RUNLEDGER_WATCHER_KUBE_CONFIG_H_
#define RUNLEDGER_WATCHER_KUBE_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "src/watcher/token_source.h"

namespace runledger::watcher {

struct KubeConfig {
  std::string server;           // "https://host:port" (no trailing slash)
  std::string ca_pem;           // empty: the system's trust store
  std::string client_cert_pem;  // TLS client authentication, with client_key_pem
  std::string client_key_pem;
  TokenSource token;  // bearer token; may be combined with a client certificate
  bool insecure_skip_tls_verify = false;
  std::string default_namespace = "default";
};

// Loads the context `context` (empty: `current-context`) from `paths`, a `:`-separated list of
// kubeconfig files as in $KUBECONFIG. Unimplemented when the context needs what this client does
// not do: exec or auth-provider plugins, basic auth, impersonation (as*), proxy-url,
// tls-server-name. Clusters, users and contexts merge by name, the first file
// that defines a name winning; the first non-empty `current-context` wins. Relative file paths
// in a kubeconfig are relative to that file's directory.
absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& paths,
                                          const std::string& context = "");

// The in-cluster configuration: server from KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT,
// token, CA and namespace from `root` (the service-account mount; overridable for tests).
// FailedPrecondition when the environment variables are not set ("not in a cluster").
constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";
absl::StatusOr<KubeConfig> InClusterConfig(const std::string& root = kServiceAccountDir);

// In-cluster when KUBERNETES_SERVICE_HOST is set, else $KUBECONFIG, else ~/.kube/config.
absl::StatusOr<KubeConfig> DefaultKubeConfig();

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_KUBE_CONFIG_H_
