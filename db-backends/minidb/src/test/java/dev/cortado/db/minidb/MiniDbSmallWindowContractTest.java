package dev.cortado.db.minidb;

import dev.cortado.db.DbProvider;
import dev.cortado.db.testkit.DbContractTest;

/**
 * The whole contract again with 100-byte map windows, so that records straddle windows and values
 * larger than a window get maps of their own: the path files over 2 GiB take.
 */
class MiniDbSmallWindowContractTest extends DbContractTest {
  @Override
  protected String dbType() {
    return "minidb";
  }

  @Override
  protected DbProvider provider() {
    return new MiniDbProvider(100);
  }

  @Override
  protected boolean sortedKeys() {
    return false;
  }
}
