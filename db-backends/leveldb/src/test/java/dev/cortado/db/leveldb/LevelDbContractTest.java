package dev.cortado.db.leveldb;

import dev.cortado.db.DbProvider;
import dev.cortado.db.testkit.DbContractTest;

/** LevelDB passes the whole DB contract; shared fixtures are copied to a temp folder first. */
class LevelDbContractTest extends DbContractTest {
  @Override
  protected String dbType() {
    return "leveldb";
  }

  @Override
  protected DbProvider provider() {
    return new LevelDbProvider();
  }

  @Override
  protected boolean copyFixtureFirst() {
    return true;
  }
}
