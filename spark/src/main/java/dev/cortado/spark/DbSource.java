package dev.cortado.spark;

import java.io.Serializable;
import java.util.Objects;

/** One DB the connector reads: its path and the db_type it is opened with. */
public record DbSource(String path, String dbType) implements Serializable {
  public DbSource {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(dbType, "dbType");
  }

  @Override
  public String toString() {
    return "db at " + path + " (" + dbType + ")";
  }
}
