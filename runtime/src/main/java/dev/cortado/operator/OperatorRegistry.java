package dev.cortado.operator;

import dev.cortado.RegistrationException;
import dev.cortado.plugin.Plugins;
import dev.cortado.proto.OperatorDef;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * All operator registrations, keyed by (type, device type, engine), with Caffe2's creation rules
 * (§9.2 of docs/caffe2-semantics.md): the schema is verified first, then the engines listed in
 * {@code def.engine} are tried in order, then Caffe2's global preference for the device (CUDNN on
 * CUDA), and the default engine is the fallback. Built once at startup; a duplicate registration or
 * two different schemas for one type are startup errors.
 */
public final class OperatorRegistry {
  /** Registry key, as Caffe2's per-device registries with {@code <type>_ENGINE_<engine>} names. */
  private record Key(String type, int deviceType, String engine) {}

  private record Entry(OperatorRegistration registration, String provider) {}

  /** Caffe2's default global engine preference per device type. */
  private static final Map<Integer, String> GLOBAL_ENGINE_PREFERENCES =
      Map.of(DeviceTypes.CUDA, "CUDNN", 6, "MIOPEN");

  private final Map<Key, Entry> entries = new LinkedHashMap<>();
  private final Map<String, OperatorSchema> schemas = new LinkedHashMap<>();
  private final Map<String, String> schemaProviders = new LinkedHashMap<>();

  /** Collects every provider's registrations; duplicates throw {@link RegistrationException}. */
  public OperatorRegistry(Collection<? extends OperatorProvider> providers) {
    for (OperatorProvider provider : providers) {
      String providerName = provider.getClass().getName();
      Collection<OperatorRegistration> regs;
      try {
        regs = provider.operators();
      } catch (RuntimeException e) {
        throw new RegistrationException(
            "operator provider " + providerName + " failed to list its operators: " + e, e);
      }
      if (regs == null || regs.isEmpty()) {
        throw new RegistrationException(
            "operator provider "
                + Plugins.describe(provider)
                + " registers no operators; a"
                + " provider must return at least one OperatorRegistration from operators()");
      }
      for (OperatorRegistration reg : regs) {
        add(reg, providerName);
      }
    }
  }

  /** The registry of every {@link OperatorProvider} that {@code loader} can see. */
  public static OperatorRegistry fromServiceLoader(ClassLoader loader) {
    return new OperatorRegistry(Plugins.load(OperatorProvider.class, loader));
  }

  private void add(OperatorRegistration reg, String provider) {
    Key key = new Key(reg.type(), reg.deviceType(), reg.engine());
    Entry previous = entries.get(key);
    if (previous != null) {
      throw new RegistrationException(
          "operator "
              + reg.key()
              + " on device "
              + DeviceTypes.name(reg.deviceType())
              + " is registered twice: by "
              + previous.provider()
              + " and by "
              + provider);
    }
    OperatorSchema known = schemas.get(reg.type());
    if (known == null) {
      schemas.put(reg.type(), reg.schema());
      schemaProviders.put(reg.type(), provider);
    } else if (!known.equals(reg.schema())) {
      throw new RegistrationException(
          "operator type "
              + reg.type()
              + " has two different schemas: one from "
              + schemaProviders.get(reg.type())
              + " ("
              + known.summary()
              + ") and one from "
              + provider
              + " ("
              + reg.schema().summary()
              + "); every device and engine of a type"
              + " shares one schema");
    }
    entries.put(key, new Entry(reg, provider));
  }

  /** Every registration, sorted by type, device and engine. */
  public List<OperatorRegistration> registrations() {
    return entries.values().stream()
        .map(Entry::registration)
        .sorted(
            Comparator.comparing(OperatorRegistration::type)
                .thenComparingInt(OperatorRegistration::deviceType)
                .thenComparing(OperatorRegistration::engine))
        .collect(Collectors.toList());
  }

  /** The registrations for one device type (for {@code cortado ops --device cuda}). */
  public List<OperatorRegistration> registrations(int deviceType) {
    return registrations().stream()
        .filter(r -> r.deviceType() == deviceType)
        .collect(Collectors.toList());
  }

  /** The class name of the provider that contributed a registration (for listings). */
  public Optional<String> provider(String type, int deviceType, String engine) {
    Entry e = entries.get(new Key(type, deviceType, OperatorRegistration.normalizeEngine(engine)));
    return Optional.ofNullable(e).map(Entry::provider);
  }

  /** The registered operator types, sorted. */
  public Set<String> types() {
    return new TreeSet<>(schemas.keySet());
  }

  public Optional<OperatorSchema> schema(String type) {
    return Optional.ofNullable(schemas.get(type));
  }

  /**
   * Builds the operator for {@code def} in {@code scope} (a workspace): checks the schema, picks
   * the engine, checks that every input blob exists and creates the output blobs.
   *
   * @param netName the owning net for messages, or null
   * @param index the position in the net, or -1
   */
  public Operator create(OperatorDef def, BlobScope scope, String netName, int index) {
    String owner = OperatorContext.describe(def, netName, index);
    OperatorSchema schema = schemas.get(def.getType());
    if (schema == null) {
      throw new UnknownOperatorException(unknownTypeMessage(def.getType(), owner));
    }
    schema.verify(def, owner);
    int device = def.getDeviceOption().getDeviceType();

    Blob[] inputs = new Blob[def.getInputCount()];
    for (int i = 0; i < inputs.length; i++) {
      Blob b = scope.getBlob(def.getInput(i));
      if (b == null) {
        throw new OperatorException(
            owner
                + ": input "
                + i
                + " '"
                + def.getInput(i)
                + "' does not exist in the workspace (Caffe2: Encountered a non-existing input"
                + " blob)");
      }
      inputs[i] = b;
    }
    Blob[] outputs = new Blob[def.getOutputCount()];
    for (int i = 0; i < outputs.length; i++) {
      outputs[i] = scope.createBlob(def.getOutput(i));
    }

    List<String> candidates = new ArrayList<>();
    for (String e : def.getEngine().split(",")) {
      String engine = OperatorRegistration.normalizeEngine(e);
      if (!engine.isEmpty()) {
        candidates.add(engine);
      }
    }
    // Caffe2's global engine preferences come after the listed engines: CUDNN on CUDA, MIOPEN
    // on HIP.
    String preferred = GLOBAL_ENGINE_PREFERENCES.get(device);
    if (preferred != null && !candidates.contains(preferred)) {
      candidates.add(preferred);
    }
    for (String engine : candidates) {
      Entry entry = entries.get(new Key(def.getType(), device, engine));
      if (entry == null) {
        continue;
      }
      OperatorContext ctx =
          new ScopedOperatorContext(def, scope, netName, index, engine, schema, inputs, outputs);
      try {
        return entry.registration().factory().create(ctx);
      } catch (UnsupportedOperatorFeatureException e) {
        // Caffe2 warns and tries the next engine; the default engine is the last resort.
        continue;
      }
    }
    Entry fallback = entries.get(new Key(def.getType(), device, ""));
    if (fallback == null) {
      Set<String> devices = new TreeSet<>();
      for (Key k : entries.keySet()) {
        if (k.type().equals(def.getType())) {
          devices.add(
              DeviceTypes.name(k.deviceType())
                  + (k.engine().isEmpty() ? "" : " engine " + k.engine()));
        }
      }
      throw new UnknownOperatorException(
          owner
              + ": cannot create operator of type '"
              + def.getType()
              + "' on the device '"
              + DeviceTypes.name(device)
              + "'"
              + (def.getEngine().isEmpty() ? "" : " with engine '" + def.getEngine() + "'")
              + "; it is registered for "
              + devices);
    }
    OperatorContext ctx =
        new ScopedOperatorContext(def, scope, netName, index, "", schema, inputs, outputs);
    return fallback.registration().factory().create(ctx);
  }

  private String unknownTypeMessage(String type, String owner) {
    List<String> near = nearest(type, 5);
    StringBuilder sb = new StringBuilder();
    sb.append(owner).append(": unknown operator type '").append(type).append("'; ");
    if (near.isEmpty()) {
      sb.append("no registered type is close (").append(schemas.size()).append(" registered)");
    } else {
      sb.append("did you mean ").append(near).append('?');
    }
    sb.append("; an operator is added by a jar that provides ")
        .append(OperatorProvider.class.getName());
    return sb.toString();
  }

  /** Registered types closest to {@code type} by case-insensitive edit distance. */
  public List<String> nearest(String type, int limit) {
    String t = type.toLowerCase(Locale.ROOT);
    int threshold = Math.max(2, t.length() / 3);
    record Scored(String name, int distance) {}
    List<Scored> scored = new ArrayList<>();
    for (String name : schemas.keySet()) {
      String n = name.toLowerCase(Locale.ROOT);
      int d = editDistance(t, n);
      if (d <= threshold
          || (t.length() >= 3 && n.length() >= 3 && (n.startsWith(t) || t.startsWith(n)))) {
        scored.add(new Scored(name, d));
      }
    }
    scored.sort(Comparator.comparingInt(Scored::distance).thenComparing(Scored::name));
    return scored.stream().limit(limit).map(Scored::name).collect(Collectors.toList());
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return prev[b.length()];
  }
}
