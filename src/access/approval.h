// Approvals: an approver's signature on a grant. The approver signs the grant's canonical
// statement as a C2SP signed note with an Ed25519 key of their own; the node (and later the
// key custodian) checks it against the approver's verifier key from the configuration
// (`approval_key`), so an approval cannot be made up by anyone who lacks the approver's key,
// nor moved to another grant: the statement names the grant's id, requester, scope, class,
// actions, purpose and expiry.
//
// Approver key files hold "PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>", the form the
// Go note package uses for signer keys; `domicile keygen` writes them.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "access/grant.h"
#include "crypto/secret_bytes.h"
#include "tlog/note.h"

namespace domicile::access {

// The text an approver signs (ends with a newline):
//   domicile grant approval v1
//   id g-0123456789abcdef
//   requester bob
//   scope subject:u1
//   class protected
//   actions list,read
//   purpose support
//   expires 2026-11-22T11:00:00Z
//   break-glass no
std::string ApprovalStatement(const Grant& grant);

struct ApproverKey {
  std::string name;
  crypto::SecretBytes seed;  // 32 bytes
  tlog::NoteVerifier verifier;
};

// A fresh Ed25519 key named `name` (a note key name: no '+', spaces or newlines).
absl::StatusOr<ApproverKey> GenerateApproverKey(std::string_view name);
// The key file's text ("PRIVATE+KEY+...", newline-terminated), and back. InvalidArgument when
// malformed or when the key id does not match.
std::string FormatApproverKey(const ApproverKey& key);
absl::StatusOr<ApproverKey> ParseApproverKey(std::string_view text);

// The statement of `grant` signed with `key`: the body of POST /v1/grants/{id}/approvals.
absl::StatusOr<std::string> SignApproval(const Grant& grant, const ApproverKey& key);

// Checks that `signed_note` carries a valid signature by `approver_key` over exactly the
// statement of `grant`. Unauthenticated (with the reason) otherwise; InvalidArgument when the
// note is malformed.
absl::Status VerifyApproval(std::string_view signed_note, const Grant& grant,
                            const tlog::NoteVerifier& approver_key);

}  // namespace domicile::access
