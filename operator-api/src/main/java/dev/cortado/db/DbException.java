package dev.cortado.db;

import dev.cortado.CortadoException;

/**
 * A DB that cannot be opened, read or written; the message names the path, the type and the cause.
 */
public class DbException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public DbException(String message) {
    super(message);
  }

  public DbException(String message, Throwable cause) {
    super(message, cause);
  }
}
