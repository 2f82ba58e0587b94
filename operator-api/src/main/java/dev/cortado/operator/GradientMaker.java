package dev.cortado.operator;

import dev.cortado.proto.OperatorDef;
import java.util.List;

/**
 * Makes the gradient operators of one forward operator, as Caffe2's {@code GradientMakerBase}
 * subclasses registered with {@code REGISTER_GRADIENT} do. The maker names blobs through its {@link
 * GradientContext}: {@code i(k)} and {@code o(k)} are the forward operator's input and output
 * names, {@code go(k)} the gradient of output k, {@code gi(k)} the gradient of input k ({@code
 * <input>_grad}).
 *
 * <p>After {@link #make} the runtime copies the forward operator's device option, engine and
 * arguments onto every gradient operator (appended after the maker's own arguments) unless the
 * maker says otherwise, and marks them {@code is_gradient_op}.
 */
@FunctionalInterface
public interface GradientMaker {
  /** The gradient operators; an empty list when the operator contributes no gradient operators. */
  List<OperatorDef> make(GradientContext g);

  /** Whether the forward operator's arguments are appended to each gradient operator. */
  default boolean copyArguments() {
    return true;
  }

  /** Whether the forward operator's engine is copied onto each gradient operator. */
  default boolean copyEngine() {
    return true;
  }

  /** Whether the forward operator's device option is copied onto each gradient operator. */
  default boolean copyDeviceOption() {
    return true;
  }

  /** {@code maker} with Caffe2's {@code CopyArguments() == false}. */
  static GradientMaker withoutArguments(GradientMaker maker) {
    return new GradientMaker() {
      @Override
      public List<OperatorDef> make(GradientContext g) {
        return maker.make(g);
      }

      @Override
      public boolean copyArguments() {
        return false;
      }
    };
  }
}
