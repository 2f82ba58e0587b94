package dev.cortado.db.lmdb;

import dev.cortado.db.DbProvider;
import dev.cortado.db.testkit.DbContractTest;

/** LMDB passes the whole DB contract; its shared fixtures are read in place (read-only opens). */
class LmdbContractTest extends DbContractTest {
  @Override
  protected String dbType() {
    return "lmdb";
  }

  @Override
  protected DbProvider provider() {
    return new LmdbProvider();
  }
}
