package dev.cortado.net;

import dev.cortado.operator.Arguments;
import dev.cortado.operator.BlobScope;
import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorRunException;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What every net type shares: the construction checks of §10.2 of docs/caffe2-semantics.md and
 * operator lifecycle.
 */
abstract class AbstractNet implements Net {
  protected final NetDef def;
  protected final List<Operator> operators;
  private volatile boolean closed;

  AbstractNet(NetDef original, OperatorRegistry registry, BlobScope scope) {
    String owner = describe(original.getName());
    Arguments.forNet(original.getArgList(), owner);
    this.def = inheritDeviceOption(original);
    checkSources(def, owner);
    List<Operator> built = new ArrayList<>(def.getOpCount());
    try {
      for (int i = 0; i < def.getOpCount(); i++) {
        built.add(registry.create(def.getOp(i), scope, def.getName(), i));
      }
    } catch (RuntimeException e) {
      closeAll(built, e);
      throw e;
    }
    this.operators = List.copyOf(built);
  }

  @Override
  public String name() {
    return def.getName();
  }

  @Override
  public String type() {
    return def.getType();
  }

  @Override
  public NetDef def() {
    return def;
  }

  @Override
  public List<Operator> operators() {
    return operators;
  }

  /** Runs operator {@code i}, wrapping any failure so that it names this net and the operator. */
  protected final void runOperator(int i) {
    try {
      operators.get(i).run();
    } catch (RuntimeException e) {
      throw failure(i, e);
    }
  }

  protected final OperatorRunException failure(int i, Throwable cause) {
    return new OperatorRunException(
        describe(name())
            + ": "
            + OperatorContext.describe(def.getOp(i), null, i)
            + " failed: "
            + causeMessage(cause, OperatorContext.describe(def.getOp(i), def.getName(), i)),
        cause);
  }

  /** The cause's message without the operator description that {@code ctx.error} put first. */
  static String causeMessage(Throwable cause, String operator) {
    String m = cause.getMessage();
    if (m == null) {
      return cause.toString();
    }
    String prefix = operator + ": ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }

  protected final void checkOpen() {
    if (closed) {
      throw new NetException(describe(name()) + " is closed");
    }
  }

  protected boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeAll(new ArrayList<>(operators), null);
  }

  static String describe(String netName) {
    return netName.isEmpty() ? "net (unnamed)" : "net '" + netName + "'";
  }

  /** Closes in reverse order; the first failure is thrown (or added to {@code pending}). */
  private static void closeAll(List<Operator> ops, RuntimeException pending) {
    RuntimeException first = null;
    for (int i = ops.size() - 1; i >= 0; i--) {
      try {
        ops.get(i).close();
      } catch (RuntimeException e) {
        if (pending != null) {
          pending.addSuppressed(e);
        } else if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** An op without a device_option gets the net's; a partial one is not merged (§10.2). */
  private static NetDef inheritDeviceOption(NetDef def) {
    NetDef.Builder b = def.toBuilder();
    for (int i = 0; i < b.getOpCount(); i++) {
      OperatorDef op = b.getOp(i);
      if (!op.hasDeviceOption() && def.hasDeviceOption()) {
        b.setOp(i, op.toBuilder().setDeviceOption(def.getDeviceOption()));
      }
    }
    return b.build();
  }

  private static void checkSources(NetDef def, String owner) {
    for (int i = 0; i < def.getOpCount(); i++) {
      OperatorDef op = def.getOp(i);
      if (op.hasDeviceOption() && !op.getDeviceOption().getNodeName().isEmpty()) {
        throw new NetException(
            owner
                + ": "
                + OperatorContext.describe(op, null, i)
                + " has device_option.node_name '"
                + op.getDeviceOption().getNodeName()
                + "'; it must be empty at execution time");
      }
    }
    Set<String> produced = new HashSet<>();
    for (OperatorDef op : def.getOpList()) {
      produced.addAll(op.getOutputList());
    }
    if (def.getExternalInputCount() > 0) {
      Set<String> known = new HashSet<>(def.getExternalInputList());
      for (int i = 0; i < def.getOpCount(); i++) {
        OperatorDef op = def.getOp(i);
        for (String in : op.getInputList()) {
          if (!known.contains(in)) {
            throw new NetException(
                owner
                    + ": source for input '"
                    + in
                    + "' of "
                    + OperatorContext.describe(op, null, i)
                    + " is unknown: it is neither an external_input nor an output of an earlier"
                    + " operator");
          }
        }
        known.addAll(op.getOutputList());
      }
    }
    for (String out : def.getExternalOutputList()) {
      if (!produced.contains(out) && !def.getExternalInputList().contains(out)) {
        throw new NetException(
            owner
                + ": external_output '"
                + out
                + "' is neither an external_input nor produced by any operator");
      }
    }
  }
}
