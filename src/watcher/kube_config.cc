#include "src/watcher/kube_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "yaml-cpp/yaml.h"

namespace runledger::watcher {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return absl::StrCat(dir, "/", path);
}

// A named entry of a kubeconfig list (its inner map) and the directory of the file it came from.
struct Entry {
  YAML::Node node;
  std::string dir;
};
using Entries = absl::flat_hash_map<std::string, Entry>;

// Clusters, users and contexts of several kubeconfig files, first definition of a name winning.
struct Merged {
  Entries clusters, users, contexts;
  std::string current_context;
};

std::string Str(const YAML::Node& map, const char* key) {
  const YAML::Node value = map[key];
  return value && value.IsScalar() ? value.as<std::string>() : "";
}

absl::Status MergeList(const YAML::Node& root, const char* list, const char* inner,
                       const std::string& file, Entries* into) {
  const YAML::Node items = root[list];
  if (!items || items.IsNull()) return absl::OkStatus();
  if (!items.IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", file, ": ", list, " is not a list"));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    std::string name = Str(items[i], "name");
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig ", file, ": ", list, "[", i, "].name is missing"));
    }
    into->emplace(name, Entry{items[i][inner], DirName(file)});
  }
  return absl::OkStatus();
}

absl::Status MergeFile(const std::string& file, Merged* merged) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat("kubeconfig ", file, ": cannot read"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", file, ": ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", file, ": not a map"));
  }
  for (auto [list, inner, into] : {std::tuple{"clusters", "cluster", &merged->clusters},
                                   std::tuple{"users", "user", &merged->users},
                                   std::tuple{"contexts", "context", &merged->contexts}}) {
    if (absl::Status s = MergeList(root, list, inner, file, into); !s.ok()) return s;
  }
  if (merged->current_context.empty()) merged->current_context = Str(root, "current-context");
  return absl::OkStatus();
}

// The PEM text of `key` (a path relative to the file's directory) or `key`-data (base64), the
// data form winning; empty if neither is set.
absl::StatusOr<std::string> Pem(const Entry& entry, const std::string& key,
                                const std::string& where) {
  std::string data = Str(entry.node, (key + "-data").c_str());
  if (!data.empty()) {
    std::string pem;
    if (!absl::Base64Unescape(data, &pem)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig ", where, ": ", key, "-data is not valid base64"));
    }
    return pem;
  }
  std::string path = Str(entry.node, key.c_str());
  if (path.empty()) return std::string();
  return ReadWholeFile(Resolve(entry.dir, path), absl::StrCat("kubeconfig ", where, ": ", key));
}

// Unimplemented if `entry` sets any of `keys`: ignoring them would connect or authenticate
// differently from what the kubeconfig says.
absl::Status RefuseUnsupported(const Entry& entry, std::initializer_list<const char*> keys,
                               const std::string& where) {
  for (const char* key : keys) {
    if (entry.node[key]) {
      return absl::UnimplementedError(
          absl::StrCat("kubeconfig ", where, ": ", key, " is not supported"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyCluster(const std::string& name, const Entry& cluster, KubeConfig* config) {
  std::string where = absl::StrCat("cluster \"", name, "\"");
  if (absl::Status s = RefuseUnsupported(cluster, {"proxy-url", "tls-server-name"}, where);
      !s.ok()) {
    return s;
  }
  config->server = std::string(absl::StripSuffix(Str(cluster.node, "server"), "/"));
  if (config->server.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", where, ": server is missing"));
  }
  absl::StatusOr<std::string> ca = Pem(cluster, "certificate-authority", where);
  if (!ca.ok()) return ca.status();
  config->ca_pem = *std::move(ca);
  const YAML::Node insecure = cluster.node["insecure-skip-tls-verify"];
  config->insecure_skip_tls_verify = insecure && insecure.as<bool>();
  if (config->insecure_skip_tls_verify && !config->ca_pem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kubeconfig ", where,
        ": specifying a root certificates file with the insecure flag is not allowed"));
  }
  return absl::OkStatus();
}

absl::Status ApplyUser(const std::string& name, const Entry& user, KubeConfig* config) {
  std::string where = absl::StrCat("user \"", name, "\"");
  if (absl::Status s = RefuseUnsupported(
          user,
          {"exec", "auth-provider", "username", "password", "as", "as-groups", "as-user-extra"},
          where);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> cert = Pem(user, "client-certificate", where);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = Pem(user, "client-key", where);
  if (!key.ok()) return key.status();
  if (cert->empty() != key->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kubeconfig ", where, ": client-certificate and client-key must be given together"));
  }
  config->client_cert_pem = *std::move(cert);
  config->client_key_pem = *std::move(key);
  std::string token = Str(user.node, "token");
  std::string token_file = Str(user.node, "tokenFile");
  if (!token.empty()) {
    config->token = TokenSource::Literal(token);
  } else if (!token_file.empty()) {
    config->token = TokenSource::File(Resolve(user.dir, token_file));
  }
  return absl::OkStatus();
}

absl::StatusOr<KubeConfig> FromMerged(const Merged& merged, const std::string& context) {
  const std::string& name = context.empty() ? merged.current_context : context;
  if (name.empty()) {
    return absl::FailedPreconditionError("kubeconfig: no current-context and no context given");
  }
  auto ctx = merged.contexts.find(name);
  if (ctx == merged.contexts.end()) {
    return absl::NotFoundError(absl::StrCat("kubeconfig: context \"", name, "\" not found"));
  }
  KubeConfig config;
  std::string cluster_name = Str(ctx->second.node, "cluster");
  auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return absl::NotFoundError(absl::StrCat("kubeconfig: context \"", name, "\": cluster \"",
                                            cluster_name, "\" not found"));
  }
  if (absl::Status s = ApplyCluster(cluster_name, cluster->second, &config); !s.ok()) return s;
  std::string user_name = Str(ctx->second.node, "user");
  if (!user_name.empty()) {
    auto user = merged.users.find(user_name);
    if (user == merged.users.end()) {
      return absl::NotFoundError(
          absl::StrCat("kubeconfig: context \"", name, "\": user \"", user_name, "\" not found"));
    }
    if (absl::Status s = ApplyUser(user_name, user->second, &config); !s.ok()) return s;
  }
  std::string ns = Str(ctx->second.node, "namespace");
  if (!ns.empty()) config.default_namespace = ns;
  return config;
}

}  // namespace

absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& paths, const std::string& context) {
  Merged merged;
  int loaded = 0;
  absl::Status first_error;
  for (absl::string_view path : absl::StrSplit(paths, ':', absl::SkipEmpty())) {
    absl::Status s = MergeFile(std::string(path), &merged);
    if (s.ok()) {
      ++loaded;
    } else if (!absl::IsNotFound(s)) {  // a missing file in the list is skipped, as kubectl does
      return s;
    } else if (first_error.ok()) {
      first_error = s;
    }
  }
  if (loaded == 0) {
    return first_error.ok() ? absl::InvalidArgumentError("kubeconfig: no file given") : first_error;
  }
  try {
    return FromMerged(merged, context);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.what()));
  }
}

absl::StatusOr<KubeConfig> InClusterConfig(const std::string& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return absl::FailedPreconditionError(
        "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  KubeConfig config;
  bool ipv6 = absl::StrContains(host, ':');
  config.server = absl::StrCat("https://", ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port);
  config.token = TokenSource::File(root + "/token");
  if (absl::StatusOr<std::string> token = config.token.Get(); !token.ok()) return token.status();
  absl::StatusOr<std::string> ca = ReadWholeFile(root + "/ca.crt", "in-cluster CA");
  if (!ca.ok()) return ca.status();
  config.ca_pem = *std::move(ca);
  absl::StatusOr<std::string> ns = ReadWholeFile(root + "/namespace", "in-cluster namespace");
  if (ns.ok() && !absl::StripAsciiWhitespace(*ns).empty()) {
    config.default_namespace = std::string(absl::StripAsciiWhitespace(*ns));
  }
  return config;
}

absl::StatusOr<KubeConfig> DefaultKubeConfig() {
  if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return InClusterConfig();
  const char* env = std::getenv("KUBECONFIG");
  if (env != nullptr && *env != '\0') return LoadKubeconfig(env);
  const char* home = std::getenv("HOME");
  return LoadKubeconfig(absl::StrCat(home == nullptr ? "" : home, "/.kube/config"));
}

}  // namespace runledger::watcher
