package com.example.cortado.sqlite;

import dev.cortado.db.DbProvider;
import dev.cortado.db.testkit.DbContractTest;

/**
 * The whole DB contract. The shared datasets have no SQLite copy, so the testkit writes each one
 * through this backend first and checks it against the sorted (LMDB/LevelDB/RocksDB) expectations.
 */
class SqliteContractTest extends DbContractTest {
  @Override
  protected String dbType() {
    return "sqlite";
  }

  @Override
  protected DbProvider provider() {
    return new SqliteDbProvider();
  }
}
