// Internal to src/http and the asynchronous clients that share its I/O threads (src/router's
// connection pools): the Asio event loop behind an http::IoLoop (see Server::CurrentLoop). Include
// it only from .cc files, so that Boost stays out of every other header.
#pragma once

#include <boost/asio/io_context.hpp>

namespace domicile::http {

class IoLoop {
 public:
  explicit IoLoop(boost::asio::io_context& context) : context_(context) {}
  boost::asio::io_context& context() const { return context_; }

 private:
  boost::asio::io_context& context_;
};

}  // namespace domicile::http
