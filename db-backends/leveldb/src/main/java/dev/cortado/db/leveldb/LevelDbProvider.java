package dev.cortado.db.leveldb;

import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.db.rocksdb.RocksStore;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code leveldb} (alias {@code LevelDB}) backend. It reads directories written by C++ LevelDB
 * through RocksDB, which understands LevelDB's files (Snappy {@code .ldb} tables, logs, MANIFEST);
 * see the module README for why, and for what writing produces.
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

  @Override
  public Db open(String source, Mode mode) {
    if (mode == Mode.WRITE && RocksStore.writtenByLevelDb(Path.of(source))) {
      // RocksDB would rewrite the MANIFEST in its own format, after which C++ LevelDB (and
      // Caffe2 builds without RocksDB) could no longer open the directory.
      throw new DbException(
          "leveldb: cannot open '" + source + "' for WRITE: it was written by C++ LevelDB, and"
              + " appending through RocksDB would leave a directory that LevelDB can no longer"
              + " read; write a new DB (NEW) and copy the records into it instead");
    }
    return RocksStore.open(name(), source, mode);
  }
}
