// Kubeconfig and in-cluster configuration loading, on files the tests write themselves.
#include "src/watcher/kube_config.h"

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger::watcher {
namespace {

using ::runledger::e2e::TempDir;
using ::runledger::e2e::WriteFile;
using ::testing::HasSubstr;

constexpr char kCaPem[] = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
constexpr char kCertPem[] = "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n";
constexpr char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

class KubeConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = absl::StrCat(dir_.path(), "/", name);
    WriteFile(path, content);
    return path;
  }

  TempDir dir_;
};

// Two clusters, two users, three contexts; the current one uses file paths relative to the
// kubeconfig's directory, another base64 data and a token.
constexpr char kYaml[] = R"(apiVersion: v1
kind: Config
current-context: files
clusters:
- name: c-files
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: pki/ca.crt
- name: c-data
  cluster:
    server: https://kube.example:443
    certificate-authority-data: CA_B64
users:
- name: u-cert
  user:
    client-certificate: pki/client.crt
    client-key: pki/client.key
- name: u-token
  user:
    client-certificate-data: CERT_B64
    client-key-data: KEY_B64
    token: literal-token
    tokenFile: ignored-because-token-wins
contexts:
- name: files
  context: {cluster: c-files, user: u-cert}
- name: data
  context: {cluster: c-data, user: u-token, namespace: team-a}
- name: anonymous
  context: {cluster: c-files}
)";

std::string Filled(std::string yaml) {
  for (auto [key, pem] : {std::pair{"CA_B64", kCaPem}, std::pair{"CERT_B64", kCertPem},
                          std::pair{"KEY_B64", kKeyPem}}) {
    yaml.replace(yaml.find(key), strlen(key), absl::Base64Escape(pem));
  }
  return yaml;
}

TEST_F(KubeConfigTest, CurrentContextReadsRelativeFiles) {
  ASSERT_EQ(mkdir(absl::StrCat(dir_.path(), "/pki").c_str(), 0700), 0);
  Write("pki/ca.crt", kCaPem);
  Write("pki/client.crt", kCertPem);
  Write("pki/client.key", kKeyPem);
  absl::StatusOr<KubeConfig> config = LoadKubeconfig(Write("config", Filled(kYaml)));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
  EXPECT_TRUE(config->token.empty());
  EXPECT_EQ(config->default_namespace, "default");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

TEST_F(KubeConfigTest, NamedContextWithBase64DataAndTokenThatWinsOverTokenFile) {
  absl::StatusOr<KubeConfig> config = LoadKubeconfig(Write("config", Filled(kYaml)), "data");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://kube.example:443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
  EXPECT_EQ(config->token.Get().value_or(""), "literal-token");
  EXPECT_EQ(config->default_namespace, "team-a");
}

TEST_F(KubeConfigTest, ContextWithoutUserHasNoCredentials) {
  ASSERT_EQ(mkdir(absl::StrCat(dir_.path(), "/pki").c_str(), 0700), 0);
  Write("pki/ca.crt", kCaPem);
  absl::StatusOr<KubeConfig> config = LoadKubeconfig(Write("config", Filled(kYaml)), "anonymous");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->token.empty());
  EXPECT_TRUE(config->client_cert_pem.empty());
}

TEST_F(KubeConfigTest, JsonKubeconfigWithTokenFileAndInsecure) {
  Write("token", "  file-token-1\n");
  std::string path = Write("config.json", R"({"apiVersion":"v1","kind":"Config",
    "clusters":[{"name":"c","cluster":{"server":"https://10.0.0.1","insecure-skip-tls-verify":true}}],
    "users":[{"name":"u","user":{"tokenFile":"token"}}],
    "contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],
    "current-context":"x"})");
  absl::StatusOr<KubeConfig> config = LoadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token.path(), absl::StrCat(dir_.path(), "/token"));
  EXPECT_EQ(config->token.Get().value_or(""), "file-token-1");
}

TEST_F(KubeConfigTest, MergesFilesFirstDefinitionWins) {
  std::string first = Write("a", R"(
clusters: [{name: c, cluster: {server: "https://first"}}]
contexts: [{name: ctx, context: {cluster: c}}]
)");
  std::string second = Write("b", R"(
current-context: ctx
clusters: [{name: c, cluster: {server: "https://second"}}, {name: d, cluster: {server: "https://d"}}]
contexts: [{name: other, context: {cluster: d}}]
)");
  std::string missing = absl::StrCat(dir_.path(), "/absent");
  absl::StatusOr<KubeConfig> config =
      LoadKubeconfig(absl::StrCat(first, ":", missing, ":", second));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://first");
  config = LoadKubeconfig(absl::StrCat(first, ":", second), "other");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://d");
}

TEST_F(KubeConfigTest, ErrorsNameTheProblem) {
  struct Case {
    std::string yaml;
    std::string context;
    absl::StatusCode code;
    std::string message;
  };
  const std::string cluster = R"(clusters: [{name: c, cluster: {server: "https://s"}}]
)";
  std::vector<Case> cases = {
      {cluster + "contexts: [{name: x, context: {cluster: c}}]\n", "",
       absl::StatusCode::kFailedPrecondition, "no current-context"},
      {cluster + "current-context: y\n", "", absl::StatusCode::kNotFound,
       "context \"y\" not found"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: nope}}]\n", "",
       absl::StatusCode::kNotFound, "cluster \"nope\" not found"},
      {cluster + "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n", "",
       absl::StatusCode::kNotFound, "user \"u\" not found"},
      {"clusters: [{name: c, cluster: {server: https://s, insecure-skip-tls-verify: true, "
       "certificate-authority-data: " +
           absl::Base64Escape(kCaPem) +
           "}}]\ncurrent-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
       "", absl::StatusCode::kInvalidArgument, "insecure flag is not allowed"},
      {"clusters: [{name: c, cluster: {certificate-authority-data: '!!notbase64'}}]\n"
       "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
       "", absl::StatusCode::kInvalidArgument, "server is missing"},
      {"clusters: [{name: c, cluster: {server: https://s, certificate-authority-data: '!!'}}]\n"
       "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
       "", absl::StatusCode::kInvalidArgument, "certificate-authority-data is not valid base64"},
      {cluster + "users: [{name: u, user: {exec: {command: aws}}}]\n"
                 "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n",
       "", absl::StatusCode::kUnimplemented, "exec is not supported"},
      {cluster + "users: [{name: u, user: {token: t, as: admin}}]\n"
                 "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n",
       "", absl::StatusCode::kUnimplemented, "as is not supported"},
      {"clusters: [{name: c, cluster: {server: https://s, proxy-url: http://proxy:3128}}]\n"
       "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
       "", absl::StatusCode::kUnimplemented, "proxy-url is not supported"},
      {cluster +
           "users: [{name: u, user: {client-certificate-data: " + absl::Base64Escape(kCertPem) +
           "}}]\ncurrent-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n",
       "", absl::StatusCode::kInvalidArgument, "must be given together"},
      {"clusters: {c: 1}\n", "", absl::StatusCode::kInvalidArgument, "clusters is not a list"},
      {"clusters: [{cluster: {server: s}}]\n", "", absl::StatusCode::kInvalidArgument,
       "clusters[0].name is missing"},
      {"clusters: [unclosed\n", "", absl::StatusCode::kInvalidArgument, "kubeconfig"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KubeConfig> config = LoadKubeconfig(Write("config", c.yaml), c.context);
    EXPECT_EQ(config.status().code(), c.code) << c.yaml << "\n" << config.status();
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.message)) << c.yaml;
  }
  EXPECT_EQ(LoadKubeconfig(absl::StrCat(dir_.path(), "/absent")).status().code(),
            absl::StatusCode::kNotFound);
}

// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { old_.empty() ? unsetenv(name_) : setenv(name_, old_.c_str(), 1); }

 private:
  const char* name_;
  std::string old_;
};

TEST_F(KubeConfigTest, InClusterReadsServiceAccountMount) {
  Write("token", "sa-token-1\n");
  Write("ca.crt", kCaPem);
  Write("namespace", "tekton-pipelines\n");
  {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", nullptr);
    EXPECT_EQ(InClusterConfig(dir_.path()).status().code(), absl::StatusCode::kFailedPrecondition);
  }
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  absl::StatusOr<KubeConfig> config = InClusterConfig(dir_.path());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->default_namespace, "tekton-pipelines");
  EXPECT_EQ(config->token.Get().value_or(""), "sa-token-1");

  // The kubelet rotates the projected token: the next request sees the new one.
  Write("token.new", "sa-token-2");
  ASSERT_EQ(rename(absl::StrCat(dir_.path(), "/token.new").c_str(),
                   absl::StrCat(dir_.path(), "/token").c_str()),
            0);
  EXPECT_EQ(config->token.Get().value_or(""), "sa-token-2");
}

TEST_F(KubeConfigTest, InClusterBracketsIpv6AndNeedsToken) {
  Write("ca.crt", kCaPem);
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "fd00::1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "6443");
  EXPECT_EQ(InClusterConfig(dir_.path()).status().code(), absl::StatusCode::kUnavailable);
  Write("token", "t");
  absl::StatusOr<KubeConfig> config = InClusterConfig(dir_.path());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://[fd00::1]:6443");
  EXPECT_EQ(config->default_namespace, "default");  // no namespace file
}

TEST(TokenSourceTest, FileIsReReadOnlyWhenItChanges) {
  TempDir dir;
  std::string path = dir.path() + "/token";
  WriteFile(path, "one");
  TokenSource source = TokenSource::File(path);
  EXPECT_EQ(source.Get().value_or(""), "one");
  WriteFile(path, "two-longer");  // size differs, so a change within the same mtime tick shows
  EXPECT_EQ(source.Get().value_or(""), "two-longer");
  WriteFile(path, " \n");
  EXPECT_EQ(source.Get().status().code(), absl::StatusCode::kUnavailable);
  unlink(path.c_str());
  EXPECT_EQ(source.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(TokenSource::Literal(" lit \n").Get().value_or(""), "lit");
  EXPECT_TRUE(TokenSource().empty());
}

}  // namespace
}  // namespace runledger::watcher
