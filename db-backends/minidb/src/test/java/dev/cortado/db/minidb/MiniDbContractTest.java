package dev.cortado.db.minidb;

import dev.cortado.db.DbProvider;
import dev.cortado.db.testkit.DbContractTest;

/** minidb passes the backend contract; its records come back in file (insertion) order. */
class MiniDbContractTest extends DbContractTest {
  @Override
  protected String dbType() {
    return "minidb";
  }

  @Override
  protected DbProvider provider() {
    return new MiniDbProvider();
  }

  @Override
  protected boolean sortedKeys() {
    return false;
  }
}
