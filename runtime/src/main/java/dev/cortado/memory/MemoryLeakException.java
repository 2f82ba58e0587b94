package dev.cortado.memory;

import dev.cortado.CortadoException;

/**
 * A {@link BufferPool} was closed while buffers were still lent; the message names every owner, how
 * many buffers and bytes each one holds, and the thread that acquired them.
 */
public class MemoryLeakException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public MemoryLeakException(String message) {
    super(message);
  }
}
