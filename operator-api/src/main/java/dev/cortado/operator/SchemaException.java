package dev.cortado.operator;

/** An {@code OperatorDef} that does not pass its type's {@link OperatorSchema}. */
public class SchemaException extends OperatorException {
  private static final long serialVersionUID = 1L;

  public SchemaException(String message) {
    super(message);
  }
}
