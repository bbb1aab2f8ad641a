#include "vault/residency_guard.h"

#include "gtest/gtest.h"

namespace domicile::vault {
namespace {

Principal P(std::string location, std::vector<std::string> roles) {
  Principal p;
  p.id = "p";
  p.location = std::move(location);
  p.roles = std::move(roles);
  return p;
}

Resource Record(Classification c) {
  return Resource{Resource::Kind::kRecord, "u1", "k", "US", c, "us-tx"};
}

TEST(ResidencyGuard, ProtectedOnlyInJurisdiction) {
  ResidencyGuard g;
  EXPECT_TRUE(g.Decide(P("US", {}), Action::kRead, Record(Classification::kProtected), {}).allow);
  Decision d = g.Decide(P("CN", {"admin"}), Action::kRead, Record(Classification::kProtected), {});
  EXPECT_FALSE(d.allow);
  EXPECT_NE(d.reason.find("CN"), std::string::npos);
  EXPECT_FALSE(g.Decide(P("", {}), Action::kRead, Record(Classification::kProtected), {}).allow);
}

TEST(ResidencyGuard, PublicReadableEverywhereButWritesNeedWriter) {
  ResidencyGuard g;
  EXPECT_TRUE(g.Decide(P("CN", {}), Action::kRead, Record(Classification::kPublic), {}).allow);
  EXPECT_FALSE(g.Decide(P("US", {}), Action::kWrite, Record(Classification::kPublic), {}).allow);
  EXPECT_TRUE(
      g.Decide(P("CN", {"writer"}), Action::kWrite, Record(Classification::kPublic), {}).allow);
  EXPECT_FALSE(
      g.Decide(P("CN", {"writer"}), Action::kWrite, Record(Classification::kProtected), {}).allow);
  EXPECT_TRUE(
      g.Decide(P("US", {"writer"}), Action::kDelete, Record(Classification::kProtected), {}).allow);
}

TEST(ResidencyGuard, ListingIsProtected) {
  ResidencyGuard g;
  Resource subject{Resource::Kind::kSubject, "u1", "", "US", Classification::kPublic, ""};
  EXPECT_FALSE(g.Decide(P("CN", {}), Action::kList, subject, {}).allow);
  EXPECT_TRUE(g.Decide(P("US", {}), Action::kList, subject, {}).allow);
}

}  // namespace
}  // namespace domicile::vault
