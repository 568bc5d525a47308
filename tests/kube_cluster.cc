#include "tests/kube_cluster.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace runledger::e2e {
namespace {

std::string ApiserverBinary() {
  if (const char* bin = std::getenv("KUBE_APISERVER_BIN")) return bin;
  const char* cache = std::getenv("RUNLEDGER_KUBE_CACHE");
  const char* home = std::getenv("HOME");
  std::string dir =
      cache != nullptr ? cache : absl::StrCat(home ? home : "", "/.cache/runledger-kube");
  return dir + "/bin/kube-apiserver";
}

}  // namespace

std::string KubeKitDir() { return std::string(RUNLEDGER_SHARED_DIR) + "/tools/kube"; }

std::unique_ptr<KubeCluster> KubeCluster::Start(std::string* skip_reason) {
  if (!std::filesystem::exists(KubeKitDir())) {
    *skip_reason = "no kube kit at " + KubeKitDir();
    return nullptr;
  }
  if (!std::filesystem::exists(ApiserverBinary())) {
    *skip_reason = "kube-apiserver not built (" + ApiserverBinary() + "); run " + KubeKitDir() +
                   "/build-apiserver.sh";
    return nullptr;
  }
  std::unique_ptr<KubeCluster> cluster(new KubeCluster());
  cluster->cluster_ = cluster->dir_.path() + "/cluster";
  const std::string log = cluster->dir_.path() + "/start.log";
  int rc = std::system(
      absl::StrCat(KubeKitDir(), "/start-cluster.sh ", cluster->cluster_, " >", log, " 2>&1")
          .c_str());
  if (rc != 0) {
    ADD_FAILURE() << "the kube kit's cluster did not start:\n" << ReadFile(log);
    return nullptr;
  }
  for (absl::string_view line : absl::StrSplit(ReadFile(cluster->cluster_ + "/env"), '\n')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    cluster->env_[kv.first] = kv.second;
  }
  return cluster;
}

KubeCluster::~KubeCluster() {
  std::system(
      absl::StrCat(KubeKitDir(), "/stop-cluster.sh ", cluster_, " >/dev/null 2>&1").c_str());
}

std::string KubeCluster::Env(const std::string& key) const {
  auto it = env_.find(key);
  return it == env_.end() ? "" : it->second;
}

watcher::KubeConfig KubeCluster::AdminConfig() const {
  absl::StatusOr<watcher::KubeConfig> config = watcher::LoadKubeconfig(Env("KUBECONFIG"));
  EXPECT_TRUE(config.ok()) << config.status();
  return config.value_or(watcher::KubeConfig());
}

std::string* KubeClusterTest::skip_reason_ = nullptr;
KubeCluster* KubeClusterTest::cluster_ = nullptr;

void KubeClusterTest::SetUpTestSuite() {
  std::string skip;
  cluster_ = KubeCluster::Start(&skip).release();
  delete skip_reason_;
  skip_reason_ =
      cluster_ == nullptr ? new std::string(skip.empty() ? "no cluster" : skip) : nullptr;
}

void KubeClusterTest::TearDownTestSuite() {
  delete cluster_;
  cluster_ = nullptr;
}

void KubeClusterTest::SetUp() {
  if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
  ASSERT_FALSE(Env("KUBE_API").empty()) << "cluster did not start";
}

}  // namespace runledger::e2e
