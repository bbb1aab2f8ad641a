#include "http/witness_client.h"

#include <utility>

#include "fmt/format.h"
#include "tlog/add_checkpoint.h"
#include "util/status_macros.h"

namespace domicile::http {
namespace {

// The longest witness answer quoted in an error.
constexpr size_t kMaxQuoted = 300;

}  // namespace

absl::StatusOr<std::unique_ptr<WitnessClient>> WitnessClient::Create(
    std::string_view submission_prefix, tlog::CosignerVerifier witness, ClientOptions options) {
  std::string_view url = submission_prefix;
  while (url.ends_with('/')) url.remove_suffix(1);
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || url.find_first_of("?#") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("witness URL \"{}\" is not http(s)://host[:port][/path]", submission_prefix));
  }
  const size_t slash = url.find('/', scheme + 3);
  const std::string_view base = url.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : url.substr(slash);
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Create(base, std::move(options)));
  std::unique_ptr<WitnessClient> out(
      new WitnessClient(std::move(client), fmt::format("{}/add-checkpoint", path)));
  std::string description = fmt::format("{} at {}", witness.name, url);
  out->session_ = std::make_unique<tlog::WitnessSession>(
      std::move(witness), [w = out.get()](std::string_view body) { return w->Post(body); },
      std::move(description));
  return out;
}

WitnessClient::WitnessClient(std::unique_ptr<Client> client, std::string path)
    : client_(std::move(client)), path_(std::move(path)) {}

absl::StatusOr<std::string> WitnessClient::Cosign(std::string_view signed_checkpoint,
                                                  const tlog::ConsistencyProofFn& proofs) {
  return session_->Cosign(signed_checkpoint, proofs);
}

absl::StatusOr<tlog::AddCheckpointResponse> WitnessClient::Post(std::string_view body) {
  ASSIGN_OR_RETURN(
      ClientResponse r,
      client_->Do("POST", path_, {{"Content-Type", "text/plain; charset=utf-8"}}, body));
  tlog::AddCheckpointResponse answer;
  answer.status = r.status;
  answer.content_type = std::string(r.GetHeader("Content-Type").value_or(""));
  answer.message = r.body.substr(0, kMaxQuoted);
  while (!answer.message.empty() && answer.message.back() == '\n') answer.message.pop_back();
  answer.body = std::move(r.body);
  return answer;
}

}  // namespace domicile::http
