package dev.cortado.operator;

/**
 * A missing, duplicated or wrongly typed argument; the message names the argument and its owner.
 */
public class ArgumentException extends OperatorException {
  private static final long serialVersionUID = 1L;

  public ArgumentException(String message) {
    super(message);
  }
}
