package dev.cortado.operator;

import com.google.protobuf.ByteString;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.TensorProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed access to the arguments of an operator (or a net), with Caffe2's rules (§9.4 of
 * docs/caffe2-semantics.md): a single argument is read from exactly one field ({@code f} for float
 * and double, {@code i} for bool and integers, {@code s} for strings, {@code n} for nets) with no
 * cross-field coercion, and an integer must survive a round trip through the target type. A
 * repeated argument whose payload sits in another field reads as empty, as in Caffe2.
 */
public final class Arguments {
  private static final System.Logger LOG = System.getLogger(Arguments.class.getName());

  private final Map<String, Argument> byName;
  private final String owner;

  private Arguments(Map<String, Argument> byName, String owner) {
    this.byName = byName;
    this.owner = owner;
  }

  /**
   * The arguments of an operator. Two arguments with one name and identical bytes are a warning
   * (the last wins); with different contents they are an error.
   *
   * @param owner how messages name the owner, such as {@code operator Scale (index 2)}
   */
  public static Arguments forOperator(List<Argument> args, String owner) {
    Map<String, Argument> map = new LinkedHashMap<>();
    for (Argument arg : args) {
      Argument previous = map.put(arg.getName(), arg);
      if (previous != null) {
        if (!previous.equals(arg)) {
          throw new ArgumentException(
              owner
                  + ": argument '"
                  + arg.getName()
                  + "' is given twice with different values: "
                  + payload(previous)
                  + " and "
                  + payload(arg));
        }
        LOG.log(
            System.Logger.Level.WARNING,
            "{0}: argument ''{1}'' is given twice with the same value",
            owner,
            arg.getName());
      }
    }
    return new Arguments(map, owner);
  }

  /** The arguments of a net: any duplicate name is an error, as in Caffe2. */
  public static Arguments forNet(List<Argument> args, String owner) {
    Map<String, Argument> map = new LinkedHashMap<>();
    for (Argument arg : args) {
      if (map.put(arg.getName(), arg) != null) {
        throw new ArgumentException(owner + ": argument '" + arg.getName() + "' is given twice");
      }
    }
    return new Arguments(map, owner);
  }

  /** True when an argument of this name is present, whatever its payload. */
  public boolean has(String name) {
    return byName.containsKey(name);
  }

  /** The argument names in order of first appearance. */
  public Set<String> names() {
    return Collections.unmodifiableSet(byName.keySet());
  }

  /** The raw argument, or null. */
  public Argument raw(String name) {
    return byName.get(name);
  }

  /**
   * True when the argument is present with its {@code f} field set (Caffe2
   * HasSingleArgumentOfType<float>).
   */
  public boolean hasFloat(String name) {
    Argument a = byName.get(name);
    return a != null && a.hasF();
  }

  /** True when the argument is present with its {@code i} field set. */
  public boolean hasInt(String name) {
    Argument a = byName.get(name);
    return a != null && a.hasI();
  }

  /** True when the argument is present with its {@code s} field set. */
  public boolean hasString(String name) {
    Argument a = byName.get(name);
    return a != null && a.hasS();
  }

  public float getFloat(String name, float defaultValue) {
    Argument a = byName.get(name);
    if (a == null) {
      return defaultValue;
    }
    requireField(a, a.hasF(), "f", "float");
    return a.getF();
  }

  /** Reads field {@code f} (a 32-bit float on the wire) widened to double, as Caffe2 does. */
  public double getDouble(String name, double defaultValue) {
    Argument a = byName.get(name);
    if (a == null) {
      return defaultValue;
    }
    requireField(a, a.hasF(), "f", "double");
    return a.getF();
  }

  public boolean getBool(String name, boolean defaultValue) {
    Argument a = byName.get(name);
    if (a == null) {
      return defaultValue;
    }
    requireField(a, a.hasI(), "i", "bool");
    return a.getI() != 0;
  }

  public int getInt(String name, int defaultValue) {
    Argument a = byName.get(name);
    if (a == null) {
      return defaultValue;
    }
    requireField(a, a.hasI(), "i", "int");
    return toInt(name, a.getI());
  }

  public long getLong(String name, long defaultValue) {
    Argument a = byName.get(name);
    if (a == null) {
      return defaultValue;
    }
    requireField(a, a.hasI(), "i", "int64");
    return a.getI();
  }

  /** Field {@code s} decoded as UTF-8. */
  public String getString(String name, String defaultValue) {
    Argument a = byName.get(name);
    if (a == null) {
      return defaultValue;
    }
    requireField(a, a.hasS(), "s", "string");
    return a.getS().toStringUtf8();
  }

  /** Field {@code s} as raw bytes, or null when absent. */
  public byte[] getBytes(String name) {
    Argument a = byName.get(name);
    if (a == null) {
      return null;
    }
    requireField(a, a.hasS(), "s", "string");
    return a.getS().toByteArray();
  }

  /** Field {@code n}, or null when absent. */
  public NetDef getNet(String name) {
    Argument a = byName.get(name);
    if (a == null) {
      return null;
    }
    requireField(a, a.hasN(), "n", "NetDef");
    return a.getN();
  }

  public int requireInt(String name) {
    requirePresent(name);
    return getInt(name, 0);
  }

  public long requireLong(String name) {
    requirePresent(name);
    return getLong(name, 0);
  }

  public float requireFloat(String name) {
    requirePresent(name);
    return getFloat(name, 0f);
  }

  public String requireString(String name) {
    requirePresent(name);
    return getString(name, "");
  }

  /** Repeated {@code floats}; empty when absent or stored in another field. */
  public float[] getFloats(String name) {
    Argument a = byName.get(name);
    if (a == null) {
      return new float[0];
    }
    float[] out = new float[a.getFloatsCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getFloats(i);
    }
    return out;
  }

  /** Repeated {@code floats} widened to double. */
  public double[] getDoubles(String name) {
    float[] f = getFloats(name);
    double[] out = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }

  /** Repeated {@code ints}, each checked to fit in 32 bits. */
  public int[] getInts(String name) {
    long[] longs = getLongs(name);
    int[] out = new int[longs.length];
    for (int i = 0; i < longs.length; i++) {
      out[i] = toInt(name, longs[i]);
    }
    return out;
  }

  /** Repeated {@code ints}. */
  public long[] getLongs(String name) {
    Argument a = byName.get(name);
    if (a == null) {
      return new long[0];
    }
    long[] out = new long[a.getIntsCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getInts(i);
    }
    return out;
  }

  /** Repeated {@code ints} read as bools (non-zero is true). */
  public boolean[] getBools(String name) {
    long[] longs = getLongs(name);
    boolean[] out = new boolean[longs.length];
    for (int i = 0; i < longs.length; i++) {
      out[i] = longs[i] != 0;
    }
    return out;
  }

  /** Repeated {@code strings}, decoded as UTF-8. */
  public List<String> getStrings(String name) {
    Argument a = byName.get(name);
    if (a == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>(a.getStringsCount());
    for (ByteString s : a.getStringsList()) {
      out.add(s.toStringUtf8());
    }
    return out;
  }

  /** Repeated {@code strings} as raw bytes. */
  public List<byte[]> getByteStrings(String name) {
    Argument a = byName.get(name);
    if (a == null) {
      return List.of();
    }
    List<byte[]> out = new ArrayList<>(a.getStringsCount());
    for (ByteString s : a.getStringsList()) {
      out.add(s.toByteArray());
    }
    return out;
  }

  /** Repeated {@code nets}. */
  public List<NetDef> getNets(String name) {
    Argument a = byName.get(name);
    return a == null ? List.of() : a.getNetsList();
  }

  /** Repeated {@code tensors}. */
  public List<TensorProto> getTensors(String name) {
    Argument a = byName.get(name);
    return a == null ? List.of() : a.getTensorsList();
  }

  /** An {@link ArgumentException} about argument {@code name}, prefixed with the owner. */
  public ArgumentException error(String name, String message) {
    return new ArgumentException(owner + ": argument '" + name + "' " + message);
  }

  private void requirePresent(String name) {
    if (!byName.containsKey(name)) {
      throw new ArgumentException(owner + ": required argument '" + name + "' is missing");
    }
  }

  private void requireField(Argument a, boolean present, String field, String javaType) {
    if (!present) {
      throw new ArgumentException(
          owner
              + ": argument '"
              + a.getName()
              + "' does not have the right field: expected field "
              + field
              + " ("
              + javaType
              + "), found "
              + payload(a));
    }
  }

  private int toInt(String name, long value) {
    if ((int) value != value) {
      throw new ArgumentException(
          owner + ": argument '" + name + "' value " + value + " does not fit in int32");
    }
    return (int) value;
  }

  /** What an argument holds, for messages: {@code i=1}, {@code floats=[1.0, 2.0]}, ... */
  static String payload(Argument a) {
    List<String> parts = new ArrayList<>();
    if (a.hasF()) {
      parts.add("f=" + a.getF());
    }
    if (a.hasI()) {
      parts.add("i=" + a.getI());
    }
    if (a.hasS()) {
      String s = a.getS().toString(StandardCharsets.UTF_8);
      parts.add("s=\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"");
    }
    if (a.hasN()) {
      parts.add("n=<NetDef '" + a.getN().getName() + "'>");
    }
    if (a.hasT()) {
      parts.add("t=<TensorProto>");
    }
    if (a.getFloatsCount() > 0) {
      parts.add("floats=" + a.getFloatsList());
    }
    if (a.getIntsCount() > 0) {
      parts.add("ints=" + a.getIntsList());
    }
    if (a.getStringsCount() > 0) {
      parts.add(a.getStringsCount() + " strings");
    }
    if (a.getNetsCount() > 0) {
      parts.add(a.getNetsCount() + " nets");
    }
    if (a.getTensorsCount() > 0) {
      parts.add(a.getTensorsCount() + " tensors");
    }
    return parts.isEmpty() ? "no value" : String.join(", ", parts);
  }
}
