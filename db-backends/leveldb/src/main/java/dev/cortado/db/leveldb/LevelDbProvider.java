package dev.cortado.db.leveldb;

import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.db.rocksdb.RocksStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code leveldb} (alias {@code LevelDB}) backend. It reads directories written by C++ LevelDB
 * through RocksDB, which understands LevelDB's files (Snappy {@code .ldb} tables, logs, MANIFEST),
 * and writes LevelDB's own format with {@link LevelDbWriter}; see the module README for why.
 */
public final class LevelDbProvider implements DbProvider {
  @Override
  public String name() {
    return "leveldb";
  }

  @Override
  public Set<String> aliases() {
    return Set.of("LevelDB");
  }

  /**
   * READ opens read-only through RocksDB. NEW creates a LevelDB-format DB (failing when one exists,
   * as Caffe2's {@code error_if_exists}); WRITE appends to a LevelDB-format DB in LevelDB's format,
   * creating it when missing, or to a RocksDB-format one through RocksDB.
   */
  @Override
  public Db open(String source, Mode mode) {
    Path dir = Path.of(source);
    boolean exists = Files.exists(dir.resolve("CURRENT"));
    return switch (mode) {
      case READ -> RocksStore.open(name(), source, mode);
      case NEW -> {
        if (exists) {
          throw new DbException(
              "leveldb: cannot create '" + source + "' (NEW): a DB already exists there");
        }
        yield LevelDbWriter.open(name(), source, mode);
      }
      case WRITE ->
          !exists || RocksStore.writtenByLevelDb(dir)
              ? LevelDbWriter.open(name(), source, mode)
              : RocksStore.open(name(), source, mode);
    };
  }
}
