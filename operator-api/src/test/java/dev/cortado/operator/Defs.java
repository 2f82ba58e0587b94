package dev.cortado.operator;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;

/** Protobuf text-format helpers for tests. */
public final class Defs {
  private Defs() {}

  public static OperatorDef op(String text) {
    return parse(text, OperatorDef.newBuilder());
  }

  public static NetDef net(String text) {
    return parse(text, NetDef.newBuilder());
  }

  public static PlanDef plan(String text) {
    return parse(text, PlanDef.newBuilder());
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T parse(String text, Message.Builder b) {
    try {
      TextFormat.merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(e);
    }
    return (T) b.build();
  }
}
