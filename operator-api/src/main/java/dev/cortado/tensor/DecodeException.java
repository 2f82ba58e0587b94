package dev.cortado.tensor;

import dev.cortado.CortadoException;

/** A serialized tensor or TensorProtos record that cannot be decoded, with the reason. */
public class DecodeException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public DecodeException(String message) {
    super(message);
  }

  public DecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
