#include "custodian/remote_custodian.h"

#include <utility>

#include "custodian/justification_json.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::custodian {
namespace {

absl::Status Unreachable(std::string_view url, std::string_view why) {
  return WithErrorCode(absl::UnavailableError(fmt::format("the key custodian at {} {}", url, why)),
                       error_code::kUnavailable);
}

absl::StatusOr<crypto::SecretBytes> KeyOf(const nlohmann::json& answer) {
  auto it = answer.find("data_key");
  if (it == answer.end() || !it->is_string()) {
    return absl::UnavailableError("the key custodian answered without a data key");
  }
  std::optional<Bytes> raw = Base64Decode(it->get<std::string>());
  if (!raw.has_value()) return absl::UnavailableError("the key custodian's data key is not base64");
  crypto::SecretBytes key{ByteView(*raw)};
  std::fill(raw->begin(), raw->end(), 0);
  return key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RemoteCustodian>> RemoteCustodian::Create(
    RemoteCustodianOptions options) {
  if (options.token.empty()) {
    return absl::InvalidArgumentError("a remote custodian needs the node's token for it");
  }
  RETURN_IF_ERROR(http::ParseBaseUrl(options.url).status());
  if (options.workers == 0) options.workers = 1;
  std::unique_ptr<RemoteCustodian> c(new RemoteCustodian(std::move(options)));
  ASSIGN_OR_RETURN(c->shared_, http::Client::Create(c->options_.url, c->options_.client));
  for (size_t i = 0; i < c->options_.workers; ++i)
    c->workers_.emplace_back([p = c.get()] { p->Work(); });
  return c;
}

RemoteCustodian::RemoteCustodian(RemoteCustodianOptions options) : options_(std::move(options)) {}

RemoteCustodian::~RemoteCustodian() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  for (auto& task : queue_) task(nullptr);  // nullptr: answered with Unavailable
}

void RemoteCustodian::Work() {
  absl::StatusOr<std::unique_ptr<http::Client>> client =
      http::Client::Create(options_.url, options_.client);
  while (true) {
    std::function<void(http::Client*)> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task(client.ok() ? client->get() : nullptr);
  }
}

absl::StatusOr<nlohmann::json> RemoteCustodian::Post(http::Client& client, std::string_view path,
                                                     const nlohmann::json& body) const {
  absl::StatusOr<http::ClientResponse> r = client.Do(
      "POST", path,
      {{"Authorization", "Bearer " + options_.token}, {"Content-Type", "application/json"}},
      body.dump());
  if (!r.ok())
    return Unreachable(options_.url,
                       fmt::format("cannot be reached ({})", std::string(r.status().message())));
  nlohmann::json answer = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (r->status == 200 && answer.is_object()) return answer;
  std::string code, message = fmt::format("HTTP {}", r->status);
  if (answer.is_object() && answer.contains("error") && answer["error"].is_object()) {
    code = answer["error"].value("code", "");
    message = answer["error"].value("message", message);
  }
  if (code == error_code::kCustodianRefused) return CustodianRefusedError(message);
  if (r->status == 404 && code == error_code::kNotFound) return absl::NotFoundError(message);
  // Anything else — our credentials refused, a bad request, its log down — fails closed.
  return Unreachable(options_.url, fmt::format("did not release the key: {}", message));
}

absl::StatusOr<nlohmann::json> RemoteCustodian::PostShared(std::string_view path,
                                                           const nlohmann::json& body) {
  std::lock_guard lock(shared_mu_);
  return Post(*shared_, path, body);
}

void RemoteCustodian::Unwrap(const vault::Justification& why, const keys::WrappedDataKey& wrapped,
                             UnwrapDone done) {
  nlohmann::json body = {{"justification", JustificationToJson(why)},
                         {"wrapped", WrappedKeyToJson(wrapped)}};
  auto task = [this, body = std::move(body), done = std::move(done)](http::Client* client) {
    if (client == nullptr) return done(Unreachable(options_.url, "is not available"));
    absl::StatusOr<nlohmann::json> answer = Post(*client, "/v1/custodian/unwrap", body);
    if (!answer.ok()) return done(answer.status());
    done(KeyOf(*answer));
  };
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queue) {
      queue_.push_back(std::move(task));
      cv_.notify_one();
      return;
    }
  }
  task(nullptr);
}

absl::Status RemoteCustodian::EnsureKek(std::string_view kek_id) {
  return PostShared("/v1/custodian/keks", {{"kek", kek_id}}).status();
}

absl::StatusOr<keys::NewDataKey> RemoteCustodian::NewDataKey(const vault::Justification& why,
                                                             std::string_view kek_id) {
  ASSIGN_OR_RETURN(nlohmann::json answer,
                   PostShared("/v1/custodian/data-keys",
                              {{"justification", JustificationToJson(why)}, {"kek", kek_id}}));
  keys::NewDataKey out;
  ASSIGN_OR_RETURN(out.plaintext, KeyOf(answer));
  absl::StatusOr<keys::WrappedDataKey> wrapped =
      WrappedKeyFromJson(answer.value("wrapped", nlohmann::json()));
  if (!wrapped.ok()) return absl::UnavailableError("the key custodian's wrapped key is malformed");
  out.wrapped = std::move(*wrapped);
  return out;
}

absl::Status RemoteCustodian::DestroyKek(const vault::Justification& why, std::string_view kek_id) {
  return PostShared("/v1/custodian/keks/destroy",
                    {{"justification", JustificationToJson(why)}, {"kek", kek_id}})
      .status();
}

absl::Status RemoteCustodian::GrantRevoked(std::string_view id) {
  return PostShared("/v1/custodian/revocations", {{"grant", id}}).status();
}

}  // namespace domicile::custodian
