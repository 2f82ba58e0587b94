package dev.cortado.db.rocksdb;

import dev.cortado.db.DbProvider;
import dev.cortado.db.testkit.DbContractTest;

/** RocksDB passes the whole DB contract; shared fixtures are copied to a temp folder first. */
class RocksDbContractTest extends DbContractTest {
  @Override
  protected String dbType() {
    return "rocksdb";
  }

  @Override
  protected DbProvider provider() {
    return new RocksDbProvider();
  }

  @Override
  protected boolean copyFixtureFirst() {
    return true;
  }
}
