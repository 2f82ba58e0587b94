package dev.cortado.net;

import dev.cortado.operator.BlobScope;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.proto.NetDef;

/** Caffe2's {@code simple} net: the operators in order on the caller's thread. */
final class SimpleNet extends AbstractNet {
  SimpleNet(NetDef def, OperatorRegistry registry, BlobScope scope) {
    super(def, registry, scope);
  }

  @Override
  public synchronized void run() {
    checkOpen();
    for (int i = 0; i < operators.size(); i++) {
      runOperator(i);
    }
  }
}
