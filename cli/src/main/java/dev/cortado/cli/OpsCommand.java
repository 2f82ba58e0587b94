package dev.cortado.cli;

import dev.cortado.operator.DeviceTypes;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.operator.OperatorSchema.ArgumentSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cortado ops}: the registered operators and their schemas. */
@Command(
    name = "ops",
    sortOptions = false,
    description = {
      "Lists every registered operator (built-in and from plugin jars) with its schema: input and"
          + " output counts, in-place rules, gradient kind, doc and documented arguments, like"
          + " Caffe2's print_registered_core_operators. The db types known to CreateDB come last."
    })
final class OpsCommand implements Callable<Integer> {
  /** Device filter. */
  enum Device {
    cpu(DeviceTypes.CPU),
    cuda(DeviceTypes.CUDA);

    final int type;

    Device(int type) {
      this.type = type;
    }
  }

  @Spec CommandSpec spec;

  @Mixin HelpOption helpOption;

  @Option(
      names = "--device",
      paramLabel = "DEVICE",
      description = "Only operators registered for cpu or cuda (default: all).")
  Device device;

  @Option(
      names = "--type",
      paramLabel = "NAME",
      description = "Only this operator type (exact name).")
  String type;

  @Option(
      names = "--json",
      description =
          "One JSON line per registration: {\"type\",\"device\",\"engine\",\"inputs\","
              + "\"outputs\",\"allow_inplace\",\"enforce_inplace\",\"gradient\",\"doc\",\"args\","
              + "\"provider\"}; an unbounded count is null.")
  boolean json;

  @Override
  public Integer call() {
    var rt = Runtimes.start();
    OperatorRegistry registry = rt.operators();
    List<OperatorRegistration> regs =
        device == null ? registry.registrations() : registry.registrations(device.type);
    if (type != null) {
      regs = regs.stream().filter(r -> r.type().equals(type)).toList();
      if (regs.isEmpty()) {
        throw new CliException(
            "--type "
                + type
                + ": no such operator"
                + (device == null ? "" : " for device " + device)
                + "; nearest: "
                + registry.nearest(type, 5));
      }
    }
    regs =
        regs.stream()
            .sorted(
                java.util.Comparator.comparingInt(OperatorRegistration::deviceType)
                    .thenComparing(OperatorRegistration::type)
                    .thenComparing(OperatorRegistration::engine))
            .toList();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      for (OperatorRegistration r : regs) {
        out.println(JsonLine.toJson(toJson(r, registry)));
      }
    } else {
      printText(out, regs, registry);
      if (type == null) {
        out.println();
        out.println("db types (CreateDB db_type): " + String.join(", ", rt.dbs().names()));
      }
    }
    out.flush();
    return 0;
  }

  private static void printText(
      PrintWriter out, List<OperatorRegistration> regs, OperatorRegistry registry) {
    int lastDevice = -1;
    for (OperatorRegistration r : regs) {
      if (r.deviceType() != lastDevice) {
        if (lastDevice != -1) {
          out.println();
        }
        lastDevice = r.deviceType();
        long n = regs.stream().filter(x -> x.deviceType() == r.deviceType()).count();
        out.printf(
            "Device %d (%s): %d operator%s%n",
            r.deviceType(), deviceName(r.deviceType()), n, n == 1 ? "" : "s");
      }
      OperatorSchema s = r.schema();
      out.printf(
          "  %s%s  [%s]%n",
          r.type(), r.engine().isEmpty() ? "" : " (engine " + r.engine() + ")", s.summary());
      if (!s.doc().isEmpty()) {
        out.println("      " + s.doc());
      }
      for (ArgumentSpec a : s.arguments()) {
        String dflt =
            a.required()
                ? "required"
                : a.defaultValue() == null ? "no default" : "default " + a.defaultValue();
        out.printf("      %s (%s)%s%n", a.name(), dflt, a.doc().isEmpty() ? "" : ": " + a.doc());
      }
    }
    if (regs.isEmpty()) {
      out.println("no operators registered");
    }
  }

  private static Map<String, Object> toJson(OperatorRegistration r, OperatorRegistry registry) {
    OperatorSchema s = r.schema();
    List<Map<String, Object>> args = new ArrayList<>();
    for (ArgumentSpec a : s.arguments()) {
      args.add(
          new JsonLine()
              .put("name", a.name())
              .put("default", a.defaultValue())
              .put("required", a.required())
              .put("doc", a.doc())
              .asMap());
    }
    return new JsonLine()
        .put("type", r.type())
        .put("device", deviceName(r.deviceType()))
        .put("engine", r.engine())
        .put("inputs", range(s.minInputs(), s.maxInputs()))
        .put("outputs", range(s.minOutputs(), s.maxOutputs()))
        .put("allow_inplace", pairs(s.allowedInplace()))
        .put("enforce_inplace", pairs(s.enforcedInplace()))
        .put("gradient", s.gradient().name())
        .put("doc", s.doc())
        .put("args", args)
        .put("provider", registry.provider(r.type(), r.deviceType(), r.engine()).orElse(null))
        .asMap();
  }

  private static List<Integer> range(int min, int max) {
    List<Integer> out = new ArrayList<>();
    out.add(min);
    out.add(max == OperatorSchema.MANY ? null : max);
    return out;
  }

  private static List<List<Integer>> pairs(java.util.Set<OperatorSchema.InPlace> set) {
    return set.stream()
        .sorted((a, b) -> a.input() != b.input() ? a.input() - b.input() : a.output() - b.output())
        .map(p -> List.of(p.input(), p.output()))
        .toList();
  }

  static String deviceName(int deviceType) {
    return switch (deviceType) {
      case DeviceTypes.CPU -> "cpu";
      case DeviceTypes.CUDA -> "cuda";
      default -> "device" + deviceType;
    };
  }
}
