package dev.cortado.operator;

import dev.cortado.CortadoException;

/** A blob holds something other than what was asked for, or its old value failed to close. */
public class BlobException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public BlobException(String message) {
    super(message);
  }

  public BlobException(String message, Throwable cause) {
    super(message, cause);
  }
}
