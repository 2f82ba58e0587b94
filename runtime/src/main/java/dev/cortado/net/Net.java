package dev.cortado.net;

import dev.cortado.operator.Operator;
import dev.cortado.proto.NetDef;
import java.util.List;

/**
 * A built {@code NetDef}: its operators, constructed in order, and an executor that runs them.
 * {@link #run()} throws an {@link dev.cortado.operator.OperatorRunException} naming the net, the
 * failing operator and the cause. {@link #close()} closes every operator and is idempotent.
 */
public interface Net extends AutoCloseable {
  /** The NetDef's name (may be empty for a net run once). */
  String name();

  /** The NetDef's {@code type} as written ({@code ""} means simple). */
  String type();

  /** The NetDef after device-option inheritance. */
  NetDef def();

  /** The operators in NetDef order. */
  List<Operator> operators();

  /** Runs every operator once; concurrent calls on one net run one after the other. */
  void run();

  @Override
  void close();
}
