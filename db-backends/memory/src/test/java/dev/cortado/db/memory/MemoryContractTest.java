package dev.cortado.db.memory;

import dev.cortado.db.DbProvider;
import dev.cortado.db.testkit.DbContractTest;

/**
 * The in-memory backend passes the whole DB contract. It lives in operator-api, which the testkit
 * depends on, so its contract test runs here, in the first backend module that has both.
 */
class MemoryContractTest extends DbContractTest {
  @Override
  protected String dbType() {
    return "memory";
  }

  @Override
  protected DbProvider provider() {
    return new MemoryDbProvider();
  }
}
