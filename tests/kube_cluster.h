// A real kube-apiserver (with etcd and the Tekton CRDs) on loopback for a test suite, started by
// the kit in ../shared/tools/kube and stopped when the object goes away.
#ifndef RUNLEDGER_TESTS_KUBE_CLUSTER_H_
#define RUNLEDGER_TESTS_KUBE_CLUSTER_H_

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "src/watcher/kube_config.h"
#include "tests/test_util.h"

namespace runledger::e2e {

class KubeCluster {
 public:
  // Starts a new cluster. nullptr with `skip_reason` set when the kit or its kube-apiserver
  // build is absent; nullptr with a test failure when it does not start.
  static std::unique_ptr<KubeCluster> Start(std::string* skip_reason);
  ~KubeCluster();

  // A key of the kit's DIR/env: KUBE_API, KUBE_CA, KUBE_TOKEN, KUBECONFIG, ...
  std::string Env(const std::string& key) const;
  // The admin, through the kit's kubeconfig (current context: client certificate).
  watcher::KubeConfig AdminConfig() const;

 private:
  KubeCluster() = default;

  TempDir dir_;
  std::string cluster_;
  std::map<std::string, std::string> env_;
};

// ../shared/tools/kube
std::string KubeKitDir();

// A test suite sharing one cluster, started before its first test and stopped after its last.
// Every test skips, saying why, when no cluster can start. A fixture that overrides SetUp calls
// KubeClusterTest::SetUp first and returns if IsSkipped().
class KubeClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static const KubeCluster& cluster() { return *cluster_; }
  static std::string Env(const std::string& key) { return cluster_->Env(key); }

 private:
  static std::string* skip_reason_;
  static KubeCluster* cluster_;
};

}  // namespace runledger::e2e

#endif  // RUNLEDGER_TESTS_KUBE_CLUSTER_H_
