package dev.cortado;

/** A startup error while collecting plugins: a duplicate or malformed registration. */
public class RegistrationException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public RegistrationException(String message) {
    super(message);
  }

  public RegistrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
