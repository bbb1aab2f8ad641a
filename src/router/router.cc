#include "router/router.h"

#include <algorithm>
#include <thread>

#include "fmt/format.h"
#include "http/status_mapping.h"
#include "nlohmann/json.hpp"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::router {
namespace {

// Request headers the router sets itself or that only the client could have made up: the
// node is told the real peer in X-Forwarded-For, never what the client claimed.
bool IsReplacedRequestHeader(std::string_view name) {
  for (std::string_view h :
       {"Host", "Content-Length", "Expect", "X-Forwarded-For", "Forwarded", "X-Real-IP"}) {
    if (http::EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

absl::Status NoSuchJurisdiction(const std::string& j) {
  return absl::NotFoundError(fmt::format("no node of jurisdiction {} is behind this router", j));
}

absl::Status Misdirected(std::string_view what, const std::string& home, const std::string& j) {
  return ConflictError(fmt::format(
      "{} belongs to jurisdiction {}: it is never sent to a node of {}", what, home, j));
}

}  // namespace

Router::Router(const RouterConfig& config)
    : config_(config), nodes_(config.nodes), metrics_(&nodes_) {}

Router::~Router() { Stop(); }

absl::StatusOr<std::unique_ptr<Router>> Router::Start(const RouterConfig& config,
                                                      std::string directory_token) {
  if (directory_token.empty()) {
    return absl::InvalidArgumentError("the directory token for the nodes is empty");
  }
  if (config.nodes.empty()) return absl::InvalidArgumentError("the router has no nodes");
  std::string host;
  uint16_t port;
  RETURN_IF_ERROR(SplitListenAddress(config.listen, host, port));
  const int threads = config.threads > 0
                          ? config.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  std::unique_ptr<Router> r(new Router(config));
  ASSIGN_OR_RETURN(r->directory_, Directory::Open(config.data_dir));
  std::vector<std::string> urls;
  for (const NodeConfig& n : config.nodes) urls.push_back(n.url);
  UpstreamOptions upstream;
  upstream.loops = 1;  // requests run on the server's I/O threads (BorrowLoopsOf below)
  upstream.request_loops = threads;
  upstream.connect_timeout = config.connect_timeout;
  upstream.max_connections_per_node = config.max_connections_per_node;
  upstream.ca_file = config.node_ca;
  ASSIGN_OR_RETURN(r->upstreams_, Upstreams::Start(urls, upstream));
  const auto retry_after = std::max(
      std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(config.health_interval));
  r->forwarder_ =
      std::make_unique<Forwarder>(&r->nodes_, r->upstreams_.get(), &r->metrics_, retry_after);
  r->sync_ = std::make_unique<DirectorySync>(&r->nodes_, r->forwarder_.get(), r->directory_.get(),
                                             &r->metrics_, std::move(directory_token),
                                             config.request_timeout);
  // A check waits one interval for its answer, but at least connect_timeout and at most 5 s.
  const auto check_timeout = std::min<std::chrono::milliseconds>(
      std::max(config.health_interval, config.connect_timeout), std::chrono::seconds(5));
  r->health_ = std::make_unique<HealthChecker>(&r->nodes_, r->upstreams_.get(), r->sync_.get(),
                                               config.health_interval, check_timeout);
  r->health_->Start();
  r->health_->AwaitFirstRound(check_timeout + std::chrono::seconds(1));

  http::ServerOptions options;
  options.host = host;
  options.port = port;
  options.threads = threads;
  options.max_body_bytes = config.max_body_bytes;
  Router* self = r.get();
  ASSIGN_OR_RETURN(r->server_, http::Server::Start(
                                   options, [self](http::Request request, http::Responder respond) {
                                     self->Handle(std::move(request), std::move(respond));
                                   }));
  r->upstreams_->BorrowLoopsOf(r->server_.get());
  return r;
}

std::string Router::url() const {
  const std::string host = server_->host();
  return host.find(':') != std::string::npos ? fmt::format("http://[{}]:{}", host, port())
                                             : fmt::format("http://{}:{}", host, port());
}

uint16_t Router::port() const { return server_->port(); }

bool Router::AwaitSynced(std::chrono::milliseconds timeout) {
  return health_->AwaitSynced(timeout);
}

void Router::Stop() {
  if (server_ != nullptr) server_->Stop();
  if (upstreams_ != nullptr) upstreams_->Stop();
}

std::string Router::MetricsText() const {
  RouterGauges gauges;
  gauges.directory_subjects = directory_->subjects();
  gauges.directory_grants = directory_->grants();
  gauges.directory_journal_errors = directory_->journal_errors();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    gauges.open_connections.push_back(upstreams_->OpenConnections(i));
  }
  return metrics_.Render(gauges);
}

http::Response Router::Logs() const {
  nlohmann::json logs = nlohmann::json::array();
  for (const std::string& j : nodes_.jurisdictions()) {
    for (size_t i : nodes_.NodesOf(j)) {
      logs.push_back({{"node", nodes_.node(i).id},
                      {"jurisdiction", j},
                      {"prefix", "/n/" + nodes_.node(i).id},
                      {"up", nodes_.up(i)}});
    }
  }
  return http::JsonResponse(200, {{"logs", std::move(logs)}});
}

void Router::Refuse(const http::Responder& respond, const absl::Status& status) {
  http::Response response = http::ErrorResponse(status);
  metrics_.CountRefused(response.status);
  respond(std::move(response));
}

absl::Status Router::CheckPinned(const About& about, const std::string& j) const {
  std::optional<std::string> home;
  std::string what;
  switch (about.kind) {
    case About::Kind::kRegistration:
      home = about.jurisdiction;
      what = fmt::format("the registration of subject {}", about.subject);
      if (std::optional<std::string> known = directory_->SubjectJurisdiction(about.subject);
          known.has_value() && *known != j) {
        home = known;
        what = fmt::format("subject {}", about.subject);
      }
      break;
    case About::Kind::kSubject:
      home = directory_->SubjectJurisdiction(about.subject);
      what = fmt::format("subject {}", about.subject);
      break;
    case About::Kind::kGrantRequest:
      if (!about.subject.empty()) {
        home = directory_->SubjectJurisdiction(about.subject);
        what = fmt::format("a grant on subject {}", about.subject);
      } else {
        home = about.jurisdiction;
        what = fmt::format("a grant on jurisdiction {}", about.jurisdiction);
      }
      break;
    case About::Kind::kGrant:
      home = directory_->GrantJurisdiction(about.grant);
      what = fmt::format("grant {}", about.grant);
      break;
    case About::Kind::kNothing:
      if (!about.jurisdiction.empty()) home = about.jurisdiction;  // an import's
      what = "this import";
      break;
  }
  if (home.has_value() && *home != j) return Misdirected(what, *home, j);
  return absl::OkStatus();
}

void Router::Handle(http::Request request, http::Responder respond) {
  absl::StatusOr<Route> classified = ClassifyRequest(request.method, request.target, request.body);
  if (!classified.ok()) return Refuse(respond, classified.status());
  Route& route = *classified;
  switch (route.kind) {
    case Route::Kind::kHealth: {
      http::Response ok;
      ok.content_type = "text/plain";
      ok.body = "ok\n";
      return respond(std::move(ok));
    }
    case Route::Kind::kMetrics: {
      http::Response metrics;
      metrics.content_type = "text/plain; version=0.0.4; charset=utf-8";
      metrics.body = MetricsText();
      return respond(std::move(metrics));
    }
    case Route::Kind::kLogs:
      return respond(Logs());
    case Route::Kind::kJurisdiction: {
      if (!nodes_.HasJurisdiction(route.pinned)) {
        return Refuse(respond, NoSuchJurisdiction(route.pinned));
      }
      if (absl::Status s = CheckPinned(route.about, route.pinned); !s.ok()) {
        return Refuse(respond, s);
      }
      const std::string j = route.pinned;
      return ForwardToJurisdiction(j, route, std::move(request), std::move(respond));
    }
    case Route::Kind::kNode: {
      std::optional<size_t> node = nodes_.Find(route.pinned);
      if (!node.has_value()) {
        return Refuse(respond, absl::NotFoundError(fmt::format(
                                   "no node '{}' is behind this router (GET /v1/logs lists them)",
                                   route.pinned)));
      }
      if (absl::Status s = CheckPinned(route.about, nodes_.node(*node).jurisdiction); !s.ok()) {
        return Refuse(respond, s);
      }
      return ForwardToNode(*node, route, std::move(request), std::move(respond));
    }
    case Route::Kind::kContent:
      break;
  }

  const About& about = route.about;
  switch (about.kind) {
    case About::Kind::kRegistration: {
      if (!nodes_.HasJurisdiction(about.jurisdiction)) {
        return Refuse(respond, ResidencyViolationError(fmt::format(
                                   "no node of jurisdiction {} is behind this router: subject "
                                   "{} cannot be registered anywhere else",
                                   about.jurisdiction, about.subject)));
      }
      if (std::optional<std::string> known = directory_->SubjectJurisdiction(about.subject);
          known.has_value() && *known != about.jurisdiction) {
        return Refuse(respond, ConflictError(fmt::format(
                                   "subject {} is registered in {}; a home jurisdiction never "
                                   "changes",
                                   about.subject, *known)));
      }
      const std::string j = about.jurisdiction;
      return ForwardToJurisdiction(j, route, std::move(request), std::move(respond));
    }
    case About::Kind::kGrant: {
      std::optional<std::string> j = directory_->GrantJurisdiction(about.grant);
      if (!j.has_value()) {
        return Refuse(respond, absl::NotFoundError(fmt::format(
                                   "grant {} is unknown to the router: ask a node of its "
                                   "jurisdiction J at /j/{{J}}/v1/grants/{}",
                                   about.grant, about.grant)));
      }
      if (!nodes_.HasJurisdiction(*j)) return Refuse(respond, NoSuchJurisdiction(*j));
      return ForwardToJurisdiction(*j, route, std::move(request), std::move(respond));
    }
    case About::Kind::kGrantRequest:
      if (about.subject.empty()) {
        if (!nodes_.HasJurisdiction(about.jurisdiction)) {
          return Refuse(respond, NoSuchJurisdiction(about.jurisdiction));
        }
        const std::string j = about.jurisdiction;
        return ForwardToJurisdiction(j, route, std::move(request), std::move(respond));
      }
      [[fallthrough]];  // a grant on a subject goes where the subject lives
    case About::Kind::kSubject: {
      auto shared =
          std::make_shared<std::pair<Route, http::Request>>(std::move(route), std::move(request));
      const std::string subject = shared->first.about.subject;
      return sync_->Resolve(subject, [this, shared, respond = std::move(respond)](
                                         absl::StatusOr<std::string> j) mutable {
        if (!j.ok()) return Refuse(respond, j.status());
        if (!nodes_.HasJurisdiction(*j)) return Refuse(respond, NoSuchJurisdiction(*j));
        ForwardToJurisdiction(*j, shared->first, std::move(shared->second), std::move(respond));
      });
    }
    case About::Kind::kNothing:
      break;  // ClassifyRequest refused it
  }
  Refuse(respond, absl::InternalError("unroutable request"));
}

std::shared_ptr<const UpstreamRequest> Router::Outbound(const Route& route,
                                                        http::Request request) const {
  auto out = std::make_shared<UpstreamRequest>();
  out->method = std::move(request.method);
  out->target = route.target;
  for (http::Header& h : request.headers) {
    if (IsReplacedRequestHeader(h.name) || IsHopByHop(h.name, request.headers)) continue;
    out->headers.push_back(std::move(h));
  }
  out->headers.push_back({"X-Forwarded-For", request.remote_ip});
  out->body = std::move(request.body);
  out->timeout = config_.request_timeout;
  out->idempotent = IsRetryable(out->method);
  return out;
}

ForwardCallback Router::Finish(const About& about, http::Responder respond) {
  return [this, kind = about.kind, subject = about.subject,
          respond = std::move(respond)](Forwarded f) {
    const bool ok = f.node.has_value() && f.response.status >= 200 && f.response.status < 300;
    if (ok && kind == About::Kind::kRegistration) {
      sync_->Learn(false, subject, nodes_.node(*f.node).jurisdiction);
    } else if (ok && kind == About::Kind::kGrantRequest) {
      nlohmann::json grant = nlohmann::json::parse(f.response.body, nullptr, false);
      if (grant.is_object() && grant.contains("id") && grant["id"].is_string()) {
        sync_->Learn(true, grant["id"].get<std::string>(), nodes_.node(*f.node).jurisdiction);
      }
    }
    respond(std::move(f.response));
  };
}

void Router::ForwardToJurisdiction(const std::string& j, const Route& route, http::Request request,
                                   http::Responder respond) {
  forwarder_->ToJurisdiction(j, Outbound(route, std::move(request)),
                             Finish(route.about, std::move(respond)));
}

void Router::ForwardToNode(size_t node, const Route& route, http::Request request,
                           http::Responder respond) {
  forwarder_->ToNode(node, Outbound(route, std::move(request)),
                     Finish(route.about, std::move(respond)));
}

}  // namespace domicile::router
