package dev.cortado.net;

import dev.cortado.CortadoException;

/** A NetDef that cannot be built (unknown type, unknown input source, bad option) or run. */
public class NetException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public NetException(String message) {
    super(message);
  }

  public NetException(String message, Throwable cause) {
    super(message, cause);
  }
}
