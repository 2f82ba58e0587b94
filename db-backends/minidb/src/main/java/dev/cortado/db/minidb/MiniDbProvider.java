package dev.cortado.db.minidb;

import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Set;

/** The {@code minidb} (alias {@code MiniDB}) backend: Caffe2's single-file record format. */
public final class MiniDbProvider implements DbProvider {
  private final int windowBytes;

  /** The provider that {@link java.util.ServiceLoader} creates. */
  public MiniDbProvider() {
    this(MiniDb.DEFAULT_WINDOW_BYTES);
  }

  /** A provider whose readers map files in windows of at most {@code windowBytes} (tests). */
  MiniDbProvider(int windowBytes) {
    this.windowBytes = windowBytes;
  }

  @Override
  public String name() {
    return MiniDb.TYPE;
  }

  @Override
  public Set<String> aliases() {
    return Set.of("MiniDB");
  }

  @Override
  public Db open(String source, Mode mode) {
    Path path;
    try {
      path = Path.of(source);
    } catch (InvalidPathException e) {
      throw new DbException(
          "cannot open minidb file '" + source + "': not a valid path: " + e.getMessage(), e);
    }
    return MiniDb.open(path, source, mode, windowBytes);
  }
}
