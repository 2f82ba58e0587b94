package dev.cortado.db.rocksdb;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import java.util.Set;

/** The {@code rocksdb} (alias {@code RocksDB}) backend, with Caffe2's RocksDB options. */
public final class RocksDbProvider implements DbProvider {
  @Override
  public String name() {
    return "rocksdb";
  }

  @Override
  public Set<String> aliases() {
    return Set.of("RocksDB");
  }

  @Override
  public Db open(String source, Mode mode) {
    return RocksStore.open(name(), source, mode);
  }
}
