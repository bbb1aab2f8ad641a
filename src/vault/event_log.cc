#include "vault/event_log.h"

#include <future>

#include "util/errors.h"

namespace domicile::vault {
namespace {
constexpr std::string_view kLogIndexUrl = "domicile.dev/log-index";
}  // namespace

absl::StatusOr<uint64_t> EventLog::AppendAndWait(std::string event) {
  std::promise<absl::StatusOr<uint64_t>> promise;
  std::future<absl::StatusOr<uint64_t>> future = promise.get_future();
  Append(std::move(event),
         [&promise](absl::StatusOr<uint64_t> index) { promise.set_value(std::move(index)); });
  return future.get();
}

std::optional<uint64_t> LogIndexOf(const absl::Status& status) {
  auto payload = status.GetPayload(ToAbsl(kLogIndexUrl));
  if (!payload.has_value()) return std::nullopt;
  uint64_t index = 0;
  for (char c : std::string(*payload)) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<uint64_t>(c - '0');
  }
  return index;
}

absl::Status WithLogIndex(absl::Status status, uint64_t index) {
  if (!status.ok()) status.SetPayload(ToAbsl(kLogIndexUrl), absl::Cord(std::to_string(index)));
  return status;
}

}  // namespace domicile::vault
