package dev.cortado.operator;

/** An operator type (or device) with no registration; the message suggests the nearest names. */
public class UnknownOperatorException extends OperatorException {
  private static final long serialVersionUID = 1L;

  public UnknownOperatorException(String message) {
    super(message);
  }
}
