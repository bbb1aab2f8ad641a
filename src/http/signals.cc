#include "http/signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>

namespace domicile::http {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  BlockTerminationSignals();
  sigset_t set = TerminationSignals();
  for (;;) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) == 0) return signal_number;
    // sigwait only fails for an invalid set; retry rather than return a bogus signal.
  }
}

}  // namespace domicile::http
