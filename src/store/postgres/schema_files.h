// The SQL files of src/store/postgres/schema/, embedded into the binary at build time (by
// embed_schema.cmake), so that a node migrates its database without the source tree.
#pragma once

#include <span>
#include <string_view>

namespace domicile::store::postgres {

struct SchemaFile {
  std::string_view path;  // relative to schema/: "0001_stores.sql", "store/0001_table.sql"
  std::string_view sql;
};

// Every file, ordered by path.
std::span<const SchemaFile> EmbeddedSchemaFiles();

}  // namespace domicile::store::postgres
