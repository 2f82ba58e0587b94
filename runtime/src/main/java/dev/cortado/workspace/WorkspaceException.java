package dev.cortado.workspace;

import dev.cortado.CortadoException;

/** A missing or wrongly typed blob, an unknown net, or a misuse of a workspace. */
public class WorkspaceException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public WorkspaceException(String message) {
    super(message);
  }

  public WorkspaceException(String message, Throwable cause) {
    super(message, cause);
  }
}
