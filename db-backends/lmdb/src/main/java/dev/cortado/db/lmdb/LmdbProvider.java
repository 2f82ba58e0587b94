package dev.cortado.db.lmdb;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import java.util.Set;

/** The {@code lmdb} (alias {@code LMDB}) backend: LMDB environments through lmdbjava. */
public final class LmdbProvider implements DbProvider {
  @Override
  public String name() {
    return "lmdb";
  }

  @Override
  public Set<String> aliases() {
    return Set.of("LMDB");
  }

  @Override
  public Db open(String source, Mode mode) {
    return LmdbStore.open(name(), source, mode);
  }
}
