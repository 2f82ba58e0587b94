package dev.cortado.operator;

/**
 * What Caffe2's gradient registry says about an operator type (§9.5 of docs/caffe2-semantics.md).
 */
public enum Gradient {
  /** Produces no gradient operators and no input gradients (input and fill operators). */
  NO_GRADIENT,
  /** Asking for a gradient is an error (Save, DBExists). */
  SHOULD_NOT_DO_GRADIENT,
  /** A gradient would make sense but none exists; asking for it is an error. */
  GRADIENT_NOT_IMPLEMENTED_YET,
  /** A gradient maker exists in Caffe2 (Cortado itself builds no backward nets). */
  HAS_GRADIENT
}
