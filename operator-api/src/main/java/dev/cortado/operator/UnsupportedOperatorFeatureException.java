package dev.cortado.operator;

/**
 * Thrown by an engine-specific {@link OperatorFactory} that cannot handle this {@code OperatorDef};
 * as in Caffe2, creation then tries the next engine and finally the default one.
 */
public class UnsupportedOperatorFeatureException extends OperatorException {
  private static final long serialVersionUID = 1L;

  public UnsupportedOperatorFeatureException(String message) {
    super(message);
  }
}
