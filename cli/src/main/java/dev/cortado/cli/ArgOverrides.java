package dev.cortado.cli;

import com.google.protobuf.ByteString;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.proto.PlanDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --set name=value}: replaces the value of argument {@code name} in every operator that has
 * it, keeping the argument's field (i, f, s or their repeated forms), so an example file can be
 * pointed at another DB or batch size without editing it.
 */
final class ArgOverrides {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, Integer> hits = new LinkedHashMap<>();

  /** Parses {@code name=value} strings; a missing '=' is an error naming the option. */
  ArgOverrides(List<String> settings) {
    for (String s : settings) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw new CliException(
            "--set " + s + ": expected name=value, e.g. --set db=/data/mnist-lmdb");
      }
      values.put(s.substring(0, eq), s.substring(eq + 1));
      hits.put(s.substring(0, eq), 0);
    }
  }

  boolean isEmpty() {
    return values.isEmpty();
  }

  NetDef apply(NetDef net) {
    if (values.isEmpty()) {
      return net;
    }
    NetDef.Builder b = net.toBuilder();
    for (int i = 0; i < b.getOpCount(); i++) {
      b.setOp(i, apply(b.getOp(i), net.getName(), i));
    }
    return b.build();
  }

  PlanDef apply(PlanDef plan) {
    if (values.isEmpty()) {
      return plan;
    }
    PlanDef.Builder b = plan.toBuilder();
    for (int i = 0; i < b.getNetworkCount(); i++) {
      b.setNetwork(i, apply(b.getNetwork(i)));
    }
    return b.build();
  }

  /** Throws when a --set name matched no operator argument at all (most likely a typo). */
  void checkAllUsed(String where) {
    List<String> unused = new ArrayList<>();
    hits.forEach(
        (name, n) -> {
          if (n == 0) {
            unused.add(name);
          }
        });
    if (!unused.isEmpty()) {
      throw new CliException(
          "--set "
              + String.join(", ", unused)
              + ": no operator in "
              + where
              + " has an argument named "
              + String.join(" or ", unused)
              + "; --set only replaces arguments that are already there");
    }
  }

  private OperatorDef apply(OperatorDef op, String net, int index) {
    OperatorDef.Builder b = op.toBuilder();
    for (int a = 0; a < b.getArgCount(); a++) {
      Argument arg = b.getArg(a);
      String value = values.get(arg.getName());
      if (value != null) {
        String where =
            "operator "
                + op.getType()
                + " (index "
                + index
                + (net.isEmpty() ? "" : ", net '" + net + "'")
                + ") argument '"
                + arg.getName()
                + "'";
        b.setArg(a, replace(arg, value, where));
        hits.merge(arg.getName(), 1, Integer::sum);
      }
    }
    return b.build();
  }

  private static Argument replace(Argument arg, String value, String where) {
    Argument.Builder b = arg.toBuilder();
    try {
      if (arg.hasI()) {
        return b.setI(parseLong(value)).build();
      }
      if (arg.hasF()) {
        return b.setF(Float.parseFloat(value)).build();
      }
      if (arg.hasS()) {
        return b.setS(ByteString.copyFromUtf8(value)).build();
      }
      if (arg.getIntsCount() > 0) {
        b.clearInts();
        for (String v : list(value)) {
          b.addInts(parseLong(v));
        }
        return b.build();
      }
      if (arg.getFloatsCount() > 0) {
        b.clearFloats();
        for (String v : list(value)) {
          b.addFloats(Float.parseFloat(v));
        }
        return b.build();
      }
      if (arg.getStringsCount() > 0) {
        b.clearStrings();
        for (String v : list(value)) {
          b.addStrings(ByteString.copyFromUtf8(v));
        }
        return b.build();
      }
    } catch (NumberFormatException e) {
      throw new CliException(
          "--set "
              + arg.getName()
              + "="
              + value
              + ": "
              + where
              + " holds "
              + (arg.hasI() || arg.getIntsCount() > 0 ? "an integer" : "a float")
              + ", and '"
              + value
              + "' is not one");
    }
    throw new CliException(
        "--set "
            + arg.getName()
            + "="
            + value
            + ": "
            + where
            + " holds no i, f, s, ints, floats or strings value to replace");
  }

  private static long parseLong(String v) {
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> 1;
      case "false" -> 0;
      default -> Long.parseLong(v.trim());
    };
  }

  private static List<String> list(String value) {
    List<String> out = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      out.add(part.trim());
    }
    return out;
  }
}
