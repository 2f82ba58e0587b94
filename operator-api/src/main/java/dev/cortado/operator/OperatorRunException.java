package dev.cortado.operator;

/**
 * An operator that failed while a net ran it. The message names the net, the operator (type, index,
 * name) and the cause's message; the cause is attached.
 */
public class OperatorRunException extends OperatorException {
  private static final long serialVersionUID = 1L;

  public OperatorRunException(String message, Throwable cause) {
    super(message, cause);
  }
}
