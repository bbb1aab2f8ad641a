#include "router/directory_sync.h"

#include <mutex>
#include <vector>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace domicile::router {
namespace {

// A short, printable excerpt of a node's answer for an error message.
std::string Excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// The string `key` of a JSON object, or "" (never throws, whatever a node sent).
std::string StringField(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

struct DirectorySync::Lookup {
  std::string subject;
  std::function<void(absl::StatusOr<std::string>)> done;
  std::mutex mu;
  size_t pending = 0;
  bool finished = false;
  std::vector<std::string> unanswered;  // jurisdictions that could not be asked
};

struct DirectorySync::PullState {
  size_t node = 0;
  std::string after;
  size_t entries = 0;
  std::function<void(absl::StatusOr<size_t>)> done;
};

DirectorySync::DirectorySync(NodeTable* nodes, Forwarder* forwarder, Directory* directory,
                             RouterMetrics* metrics, std::string token,
                             std::chrono::milliseconds timeout)
    : nodes_(nodes),
      forwarder_(forwarder),
      directory_(directory),
      metrics_(metrics),
      token_(std::move(token)),
      timeout_(timeout) {}

std::shared_ptr<const UpstreamRequest> DirectorySync::Get(std::string target) const {
  auto request = std::make_shared<UpstreamRequest>();
  request->method = "GET";
  request->target = std::move(target);
  request->headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  request->timeout = timeout_;
  request->idempotent = true;
  return request;
}

void DirectorySync::Learn(bool grant, const std::string& id, const std::string& j) {
  const Directory::Recorded r =
      grant ? directory_->RecordGrant(id, j) : directory_->RecordSubject(id, j);
  if (r == Directory::Recorded::kConflict) {
    metrics_->CountDirectoryConflict();
    const std::optional<std::string> known =
        grant ? directory_->GrantJurisdiction(id) : directory_->SubjectJurisdiction(id);
    spdlog::error("{} {} is placed in {} by a node, but the router's directory has {}; kept {}",
                  grant ? "grant" : "subject", id, j, known.value_or("?"), known.value_or("?"));
  }
}

void DirectorySync::Resolve(const std::string& subject,
                            std::function<void(absl::StatusOr<std::string>)> done) {
  if (std::optional<std::string> j = directory_->SubjectJurisdiction(subject)) {
    return done(*std::move(j));
  }
  auto lookup = std::make_shared<Lookup>();
  lookup->subject = subject;
  lookup->done = std::move(done);
  const std::vector<std::string>& js = nodes_->jurisdictions();
  lookup->pending = js.size();
  for (const std::string& j : js) {
    forwarder_->ToJurisdiction(
        j, Get("/v1/directory/" + subject),
        [this, lookup, j](Forwarded f) {
          // What this jurisdiction said: found, not found, or no answer.
          bool found = false, answered = f.node.has_value() && f.response.status == 404;
          if (f.node.has_value() && f.response.status == 200) {
            nlohmann::json a = nlohmann::json::parse(f.response.body, nullptr, false);
            if (StringField(a, "id") == lookup->subject && StringField(a, "jurisdiction") == j) {
              found = answered = true;
            } else if (StringField(a, "id") == lookup->subject) {
              metrics_->CountDirectoryConflict();
              spdlog::error("node {} of {} says subject {} lives in {}; ignored",
                            nodes_->node(*f.node).id, j, lookup->subject,
                            Excerpt(StringField(a, "jurisdiction")));
              answered = true;
            }
          }
          absl::StatusOr<std::string> result;
          {
            std::lock_guard<std::mutex> lock(lookup->mu);
            if (lookup->finished) return;
            --lookup->pending;
            if (!answered) lookup->unanswered.push_back(j);
            if (found) {
              result = j;
            } else if (lookup->pending > 0) {
              return;
            } else if (!lookup->unanswered.empty()) {
              result = absl::UnavailableError(
                  fmt::format("cannot tell where subject {} lives: no answer from the nodes of {}",
                              lookup->subject, fmt::join(lookup->unanswered, ", ")));
            } else {
              result = absl::NotFoundError(
                  fmt::format("subject {} is not registered in any jurisdiction", lookup->subject));
            }
            lookup->finished = true;
          }
          if (result.ok()) Learn(false, lookup->subject, *result);
          metrics_->CountLookup(result.ok()                         ? "found"
                                : absl::IsNotFound(result.status()) ? "not_found"
                                                                    : "unavailable");
          lookup->done(std::move(result));
        },
        /*count=*/false);
  }
}

void DirectorySync::Pull(size_t node, std::function<void(absl::StatusOr<size_t>)> done) {
  auto state = std::make_shared<PullState>();
  state->node = node;
  state->done = std::move(done);
  NextPage(std::move(state));
}

void DirectorySync::NextPage(std::shared_ptr<PullState> state) {
  std::string target = fmt::format("/v1/directory?limit={}", kPageSize);
  if (!state->after.empty()) target += "&after=" + state->after;  // ids need no escaping
  forwarder_->ToNode(
      state->node, Get(std::move(target)),
      [this, state](Forwarded f) {
        const NodeConfig& node = nodes_->node(state->node);
        auto fail = [&](std::string why) {
          state->done(absl::UnavailableError(
              fmt::format("pulling the directory of node {}: {}", node.id, why)));
        };
        if (!f.node.has_value() || f.response.status != 200) {
          return fail(fmt::format("HTTP {}: {}", f.response.status, Excerpt(f.response.body)));
        }
        nlohmann::json page = nlohmann::json::parse(f.response.body, nullptr, false);
        if (!page.is_object() || !page.contains("subjects") || !page["subjects"].is_array() ||
            !page.contains("next") || !(page["next"].is_null() || page["next"].is_string())) {
          return fail("the answer is not {\"subjects\":[...],\"next\":...}");
        }
        for (const nlohmann::json& entry : page["subjects"]) {
          if (!entry.is_object()) return fail("an entry is not an object");
          const std::string id = StringField(entry, "id");
          const std::string j = StringField(entry, "jurisdiction");
          if (j != node.jurisdiction) {
            metrics_->CountDirectoryConflict();
            spdlog::error("node {} of {} lists subject {} in {}; ignored", node.id,
                          node.jurisdiction, Excerpt(id), Excerpt(j));
            continue;
          }
          Learn(false, id, j);
          ++state->entries;
        }
        if (page["next"].is_null()) return state->done(state->entries);
        std::string next = page["next"].get<std::string>();
        if (next <= state->after || !IsSubjectId(next)) {
          return fail(fmt::format("'next' ({}) does not follow '{}'", Excerpt(next), state->after));
        }
        state->after = std::move(next);
        NextPage(state);
      },
      /*count=*/false);
}

}  // namespace domicile::router
