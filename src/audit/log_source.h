// Where the auditor reads a tlog-tiles log from: something that returns the bytes of
// "checkpoint", "tile/<L>/<N>[.p/<W>]" and "tile/entries/<N>[.p/<W>]". Nothing it returns is
// trusted; the verifier checks every byte against the signed checkpoint. Two implementations:
// a directory holding the log (directory_log_source.h) and an HTTP server (http_log_source.h).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace domicile::audit {

class LogSource {
 public:
  virtual ~LogSource() = default;

  // The bytes of the resource at `path` (relative to the log's prefix: "checkpoint" or a
  // C2SP tile path). NotFound if the log does not have it; InvalidArgument for a path that is
  // neither; Unavailable (or another code) if it could not be read.
  // Not thread-safe: call from one thread at a time.
  virtual absl::StatusOr<std::string> Fetch(std::string_view path) = 0;

  // Where `path` is read from, for messages ("/srv/log/tile/0/000", "http://h/log/checkpoint").
  virtual std::string Describe(std::string_view path) const = 0;
};

}  // namespace domicile::audit
