package com.example.cortado.sqlite;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import java.util.Set;

/** Adds db_type {@code sqlite}: found by ServiceLoader through META-INF/services. */
public final class SqliteDbProvider implements DbProvider {
  @Override public String name() { return "sqlite"; }
  @Override public Set<String> aliases() { return Set.of("SQLite"); }
  @Override public Db open(String source, Mode mode) { return new SqliteDb(source, mode); }
}
