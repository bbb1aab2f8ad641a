// HTTPS and mutual TLS, configured with [tls] cert, key and client_ca.
#include <cstdlib>

#include "e2e_fixture.h"
#include "gmock/gmock.h"
#include "util/file.h"

namespace domicile::testing {
namespace {

class TlsTest : public NodeTest {
 protected:
  void SetUp() override {
    // A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl(1).
    std::string d = dir_.path().string();
    std::string script =
        "set -e; cd " + d +
        "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
        "-subj /CN=test-ca -keyout ca.key -out ca.pem"
        "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=node "
        "-keyout node.key -out node.csr"
        "; printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext"
        "; openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san.ext -out node.pem"
        "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=client "
        "-keyout client.key -out client.csr"
        "; openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-out client.pem) > /dev/null 2>&1";
    script = "(" + script;
    ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed";
  }

  void StartWithTls(bool mutual) {
    std::string text = ExampleConfigText();
    std::string d = dir_.path().string();
    std::string tls = "\n[tls]\ncert = \"" + d + "/node.pem\"\nkey = \"" + d + "/node.key\"\n";
    if (mutual) tls += "client_ca = \"" + d + "/ca.pem\"\n";
    config_ = d + "/tls.toml";
    ASSERT_TRUE(WriteFileAtomically(config_, AsBytes(text + tls)).ok());
    ASSERT_NO_FATAL_FAILURE(StartNode());
    ASSERT_EQ(node_->url().rfind("https://", 0), 0u) << node_->url();
  }

  absl::StatusOr<http::ClientResponse> Health(http::ClientOptions options) {
    auto client = http::Client::Create(node_->url(), options);
    if (!client.ok()) return client.status();
    return (*client)->Do("GET", "/healthz");
  }
};

TEST_F(TlsTest, ServesHttpsVerifiedAgainstItsCa) {
  StartWithTls(false);
  http::ClientOptions trusted;
  trusted.ca_file = (dir_ / "ca.pem").string();
  auto ok = Health(trusted);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
  // A client that does not trust the CA refuses the connection.
  EXPECT_FALSE(Health({}).ok());
  // Plain HTTP to the TLS port gets nothing useful.
  std::string url = node_->url();
  auto plain = http::Client::Create("http://" + url.substr(8));
  ASSERT_TRUE(plain.ok());
  auto r = (*plain)->Do("GET", "/healthz");
  EXPECT_TRUE(!r.ok() || r->status != 200);
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificate) {
  StartWithTls(true);
  http::ClientOptions no_cert;
  no_cert.ca_file = (dir_ / "ca.pem").string();
  auto refused = Health(no_cert);
  EXPECT_TRUE(!refused.ok() || refused->status != 200);
  http::ClientOptions with_cert = no_cert;
  with_cert.cert_file = (dir_ / "client.pem").string();
  with_cert.key_file = (dir_ / "client.key").string();
  auto ok = Health(with_cert);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
}

}  // namespace
}  // namespace domicile::testing
