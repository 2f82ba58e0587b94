package dev.cortado.operator;

import dev.cortado.CortadoException;

/** A failure tied to one operator; the message starts with the operator's type, index and name. */
public class OperatorException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public OperatorException(String message) {
    super(message);
  }

  public OperatorException(String message, Throwable cause) {
    super(message, cause);
  }
}
