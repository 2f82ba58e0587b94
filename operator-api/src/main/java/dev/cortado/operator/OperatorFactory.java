package dev.cortado.operator;

/**
 * Builds an operator for one {@code OperatorDef}; usually a constructor reference such as {@code
 * ScaleOp::new}. Argument checks belong in the constructor so that a bad net fails when it is
 * created, as in Caffe2.
 */
@FunctionalInterface
public interface OperatorFactory {
  Operator create(OperatorContext context);
}
