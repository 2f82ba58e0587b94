package dev.cortado;

/**
 * The one unchecked base exception of Cortado: every message says what was expected, what was found
 * and where (record key, byte offset, path, operator or argument).
 */
public class CortadoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CortadoException(String message) {
    super(message);
  }

  public CortadoException(String message, Throwable cause) {
    super(message, cause);
  }
}
