// Waiting for SIGINT/SIGTERM in `domicile serve`, with sigwait(2) rather than a signal handler
// so that shutdown runs as ordinary code on the main thread.
//
// A process-directed signal goes to any thread that does not block it, so the signals must be
// blocked in every thread: call BlockTerminationSignals() first thing in main(), before any
// thread exists (threads inherit the mask), then start the server, then
// WaitForTerminationSignal(), then Server::Stop().
#pragma once

namespace domicile::http {

// Blocks SIGINT and SIGTERM in the calling thread (and so in threads it creates later).
// Idempotent.
void BlockTerminationSignals();

// Blocks the calling thread until SIGINT or SIGTERM arrives; returns the signal number. Blocks
// the two signals in the calling thread itself first, which is enough only if no other thread
// leaves them unblocked (see above).
int WaitForTerminationSignal();

}  // namespace domicile::http
