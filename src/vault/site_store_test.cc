// The stored record format (docs/formats.md): encoded, decoded with and without a copy.
#include "vault/site_store.h"

#include <string>

#include "gtest/gtest.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::vault {
namespace {

using ::domicile::testing::StatusIs;

TEST(StoredRecordTest, EncodesTheFormatAndDecodesItWithOrWithoutACopy) {
  const StoredRecord record{Classification::kPublic, Classification::kPublic, 0x0102030405060708,
                            Bytes{0x01, 0xaa, 0xbb}};
  const std::string encoded = EncodeStoredRecord(record);
  EXPECT_EQ(HexEncode(AsBytes(encoded)),
            "02000102030405060708"
            "01aabb");

  const auto header = StoredRecordHeader(Classification::kPublic, 0x0102030405060708);
  EXPECT_EQ(std::string(header.data(), header.size()), encoded.substr(0, kStoredRecordHeaderSize));

  ASSERT_OK_AND_ASSIGN(StoredRecordView view, DecodeStoredRecordView(encoded));
  EXPECT_EQ(view.classification, Classification::kPublic);
  EXPECT_EQ(view.key_class, Classification::kPublic);
  EXPECT_EQ(view.version, 0x0102030405060708u);
  EXPECT_EQ(view.envelope.data(), AsBytes(encoded).data() + kStoredRecordHeaderSize);
  ASSERT_OK_AND_ASSIGN(StoredRecord copy, DecodeStoredRecord(encoded));
  EXPECT_EQ(copy.envelope, record.envelope);
  EXPECT_EQ(copy.version, record.version);
}

TEST(StoredRecordTest, AFormat1RecordIsSealedUnderTheProtectedKeyWhateverItsClass) {
  const std::string old("\x01\x00\0\0\0\0\0\0\0\x07\x01", 11);  // format 0x01, public, version 7
  ASSERT_OK_AND_ASSIGN(StoredRecordView view, DecodeStoredRecordView(old));
  EXPECT_EQ(view.classification, Classification::kPublic);
  EXPECT_EQ(view.key_class, Classification::kProtected);
  EXPECT_EQ(view.version, 7u);
}

TEST(StoredRecordTest, MalformedRecordsAreDataLoss) {
  for (const std::string& bad :
       {std::string(), std::string("\x03\x01", 2), std::string("\x02\x02\0\0\0\0\0\0\0\0", 10),
        std::string("\x02\x01\0\0\0", 5)}) {
    EXPECT_THAT(DecodeStoredRecordView(bad), StatusIs(absl::StatusCode::kDataLoss))
        << HexEncode(AsBytes(bad));
    EXPECT_THAT(DecodeStoredRecord(bad), StatusIs(absl::StatusCode::kDataLoss));
  }
}

}  // namespace
}  // namespace domicile::vault
