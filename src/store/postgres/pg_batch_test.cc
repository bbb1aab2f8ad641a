#include "store/postgres/pg_batch.h"

#include <string>

#include "gtest/gtest.h"
#include "store/postgres/bytea_array.h"
#include "util/status_matchers.h"

namespace domicile::store::postgres {
namespace {

using ::domicile::testing::StatusIs;

// The binary encoding, byte by byte (big-endian integers).
TEST(ByteaArrayTest, EncodesPostgresBinaryArrays) {
  ByteaArray empty;
  EXPECT_EQ(empty.Encoded(), std::string("\0\0\0\0"
                                         "\0\0\0\0"
                                         "\0\0\0\x11",
                                         12));

  ByteaArray two;
  two.Add(std::string("a\0", 2));
  two.Add("");
  EXPECT_EQ(two.size(), 2u);
  EXPECT_EQ(two.Encoded(), std::string("\0\0\0\1"
                                       "\0\0\0\0"
                                       "\0\0\0\x11"
                                       "\0\0\0\2"
                                       "\0\0\0\1"
                                       "\0\0\0\2"
                                       "a\0"
                                       "\0\0\0\0",
                                       30));
  ByteaArray with_null;
  with_null.AddOptional(std::nullopt);
  with_null.AddOptional(std::string("x"));
  EXPECT_EQ(with_null.Encoded(), std::string("\0\0\0\1"
                                             "\0\0\0\1"
                                             "\0\0\0\x11"
                                             "\0\0\0\2"
                                             "\0\0\0\1"
                                             "\xff\xff\xff\xff"
                                             "\0\0\0\1"
                                             "x",
                                             29));
}

TEST(EncodeBatchTest, KeepsTheLastOperationOfEachKeyInKeyOrder) {
  WriteBatch batch;
  batch.Put("b", "1");
  batch.Put("a", "1");
  batch.Delete("b");
  batch.Delete("c");
  batch.Put("c", "2");
  batch.Put("a", "2");
  ASSERT_OK_AND_ASSIGN(EncodedBatch encoded, EncodeBatch(batch, 1 << 20));
  ASSERT_EQ(encoded.chunks.size(), 1u);
  BatchChunk& chunk = encoded.chunks[0];
  ByteaArray deletes, keys, values;
  deletes.Add("b");
  keys.Add("a");
  keys.Add("c");
  values.Add("2");
  values.Add("2");
  EXPECT_EQ(chunk.delete_keys.Encoded(), deletes.Encoded());
  EXPECT_EQ(chunk.put_keys.Encoded(), keys.Encoded());
  EXPECT_EQ(chunk.put_values.Encoded(), values.Encoded());
  EXPECT_EQ(encoded.expected_keys.size(), 0u);
}

TEST(EncodeBatchTest, CutsLargeBatchesIntoChunksAndKeepsExpectations) {
  WriteBatch batch;
  batch.Expect("x", "1");
  batch.ExpectAbsent("y");
  for (int i = 0; i < 10; ++i) batch.Put(std::string(1, static_cast<char>('a' + i)), "123456789");
  ASSERT_OK_AND_ASSIGN(EncodedBatch encoded, EncodeBatch(batch, 30));  // 3 puts of 10 bytes
  ASSERT_EQ(encoded.chunks.size(), 4u);
  EXPECT_EQ(encoded.chunks[0].put_keys.size(), 3u);
  EXPECT_EQ(encoded.chunks[3].put_keys.size(), 1u);
  EXPECT_EQ(encoded.expected_keys.size(), 2u);
  EXPECT_EQ(encoded.expected_values.size(), 2u);
}

TEST(EncodeBatchTest, AnEmptyBatchIsOneEmptyChunk) {
  WriteBatch batch;
  batch.ExpectAbsent("x");
  ASSERT_OK_AND_ASSIGN(EncodedBatch encoded, EncodeBatch(batch, 30));
  ASSERT_EQ(encoded.chunks.size(), 1u);
  EXPECT_EQ(encoded.chunks[0].put_keys.size(), 0u);
}

TEST(EncodeBatchTest, EmptyKeysAreRefused) {
  WriteBatch put;
  put.Put("", "v");
  EXPECT_THAT(EncodeBatch(put, 30), StatusIs(absl::StatusCode::kInvalidArgument));
  WriteBatch expect;
  expect.ExpectAbsent("");
  EXPECT_THAT(EncodeBatch(expect, 30), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::store::postgres
