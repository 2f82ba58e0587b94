package dev.cortado.spark.tools;

/** A failure a spark tool reports as one line: the message already names what and where. */
final class ToolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ToolException(String message) {
    super(message);
  }

  ToolException(String message, Throwable cause) {
    super(message, cause);
  }
}
