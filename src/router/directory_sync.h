// How the router's directory learns from the nodes, which publish their subjects:
//   GET /v1/directory?after=<id>&limit=<n>  -> 200 {"subjects":[{"id","jurisdiction"}...],
//                                                    "next":"<id>"|null}   (ascending ids)
//   GET /v1/directory/{id}                  -> 200 {"id","jurisdiction"} or 404
// both with "Authorization: Bearer <directory token>". Pull() copies one node's whole
// directory (at start, and whenever the node comes up); Resolve() asks one node of every
// jurisdiction about a subject the directory does not know. A node's answer is taken only for
// its own jurisdiction: a node that claims a subject of another one is counted as a conflict
// and ignored, so no answer can send a subject's requests abroad.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "router/directory.h"
#include "router/forwarder.h"
#include "router/node_table.h"
#include "router/router_metrics.h"

namespace domicile::router {

class DirectorySync {
 public:
  // REQUIRES: the pointers outlive this and every callback it has been given.
  DirectorySync(NodeTable* nodes, Forwarder* forwarder, Directory* directory,
                RouterMetrics* metrics, std::string token, std::chrono::milliseconds timeout);

  // The subject's home jurisdiction: from the directory, else from the nodes (then recorded).
  // `done` gets NotFound if every jurisdiction answered that it does not know the subject,
  // Unavailable if some could not be asked and none knew it. Runs `done` inline on a hit.
  void Resolve(const std::string& subject, std::function<void(absl::StatusOr<std::string>)> done);

  // Copies node `node`'s directory into the router's, page by page; `done` gets the number of
  // entries read, or why the pull stopped.
  void Pull(size_t node, std::function<void(absl::StatusOr<size_t>)> done);

  // Records that `subject` (or `grant`) lives in `j`, as a node of `j` said; logs a conflict.
  void Learn(bool grant, const std::string& id, const std::string& j);

  static constexpr int kPageSize = 1000;

 private:
  struct Lookup;
  struct PullState;
  void NextPage(std::shared_ptr<PullState> state);
  std::shared_ptr<const UpstreamRequest> Get(std::string target) const;

  NodeTable* const nodes_;
  Forwarder* const forwarder_;
  Directory* const directory_;
  RouterMetrics* const metrics_;
  const std::string token_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace domicile::router
