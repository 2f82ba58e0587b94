package dev.cortado.db.memory;

import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The {@code memory} backend: sorted (unsigned byte order, like LMDB, LevelDB and RocksDB)
 * key-value maps that live in this JVM, for tests and ephemeral nets.
 *
 * <p>The source is a name, shared by every DB opened with it in this JVM, so a net that writes
 * {@code memory:train} and a later net that reads it see the same records. NEW starts an empty map
 * under the name (replacing one that exists), WRITE appends (creating the map when missing), READ
 * needs a map that was written before. Closing a DB keeps its records; {@link #drop} forgets them.
 */
public final class MemoryDbProvider implements DbProvider {
  private static final Map<String, ConcurrentNavigableMap<byte[], byte[]>> STORES =
      new ConcurrentHashMap<>();

  /** Memory DBs are keyed by name, not stored at a path: writers fill them in place. */
  @Override
  public boolean storesAtPath() {
    return false;
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public Db open(String source, Mode mode) {
    ConcurrentNavigableMap<byte[], byte[]> records =
        switch (mode) {
          case NEW -> {
            ConcurrentNavigableMap<byte[], byte[]> fresh = newMap();
            STORES.put(source, fresh);
            yield fresh;
          }
          case WRITE -> STORES.computeIfAbsent(source, s -> newMap());
          case READ -> {
            ConcurrentNavigableMap<byte[], byte[]> existing = STORES.get(source);
            if (existing == null) {
              throw new DbException(
                  "memory: cannot open '"
                      + source
                      + "' for READ: no in-memory DB of that name was"
                      + " written in this JVM (known: "
                      + STORES.keySet().stream().sorted().toList()
                      + ")");
            }
            yield existing;
          }
        };
    return new MemoryDb(name(), source, mode, records);
  }

  /** Forgets the records stored under {@code source}; true when there were any. */
  public static boolean drop(String source) {
    return STORES.remove(source) != null;
  }

  private static ConcurrentNavigableMap<byte[], byte[]> newMap() {
    return new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
  }
}
